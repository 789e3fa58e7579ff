/*
 * runtime/reactor.c - the reactor thread's loop (see reactor.h): its
 * sockets, the commands it sends through the node's internal port and the
 * routing of their replies, the requests of the main thread, and the
 * figures it publishes.
 */
#include "runtime/reactor_internal.h"
#include "runtime/frames.h"
#include "runtime/log.h"
#include "runtime/pipes.h"

#include <jansson.h>

void shoal_reactor_request_destroy(shoal_reactor_request_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->cursor);
    free(*self_p);
    *self_p = NULL;
}

int64_t shoal__reactor_now_ms(s_reactor_t *self)
{
    return shoal_clock_now_ms(self->args->clock);
}

const shoal_type_t *shoal__reactor_find_type(void *arg, const char *name)
{
    s_reactor_t *self = arg;
    return shoal_plugins_find(self->args->plugins, name);
}

int shoal__reactor_send(s_reactor_t *self, uint8_t owner, uint64_t tag,
                        const char *type, const char *entity_id,
                        const char *command, const char *command_id,
                        const void *payload, size_t payload_size)
{
    uint8_t request_id[8];
    uint64_t full = ((uint64_t)owner << 56) | (tag & 0x00FFFFFFFFFFFFFFULL);
    for (int i = 0; i < 8; i++)
        request_id[i] = (uint8_t)(full >> (56 - 8 * i));
    shoal_frame_t frames[] = {
        {"SHOAL/1", 7},
        {request_id, sizeof request_id},
        {"SEND", 4},
        {type, strlen(type)},
        {entity_id, strlen(entity_id)},
        {command, strlen(command)},
        {payload, payload_size},
        {command_id, strlen(command_id)},
    };
    return shoal_frames_send(zsock_resolve(self->dealer), frames, 8,
                             ZMQ_DONTWAIT);
}

/* Sends frames on route (encoded) to the main thread, which passes them
 * to the route's peer. */
static void s_answer(s_reactor_t *self, const uint8_t *route_bytes,
                     size_t route_size, const shoal_frame_t *body,
                     size_t body_count)
{
    shoal_route_t route;
    if (shoal_route_decode(route_bytes, route_size, &route) < 0)
        return; /* defensive: the main thread encoded it */
    shoal_frame_t *frames = malloc((body_count + 3) * sizeof *frames);
    if (!frames)
        return;
    uint8_t kind = (uint8_t)route.kind;
    size_t count = 0;
    frames[count++] = (shoal_frame_t){&kind, 1};
    frames[count++] = (shoal_frame_t){route.identity, route.identity_size};
    if (route.delimiter)
        frames[count++] = (shoal_frame_t){"", 0};
    memcpy(frames + count, body, body_count * sizeof *body);
    shoal_frames_send(zsock_resolve(self->answers), frames, count + body_count,
                      0);
    free(frames);
}

void shoal__reactor_reply_error(s_reactor_t *self, const uint8_t *route,
                                size_t route_size, const char *code,
                                const char *message)
{
    shoal_route_t decoded;
    if (shoal_route_decode(route, route_size, &decoded) < 0)
        return;
    if (decoded.kind == SHOAL_ROUTE_STATUS) {
        shoal_frame_t body[] = {{"ERROR", 5}, {message, strlen(message)}};
        s_answer(self, route, route_size, body, 2);
        return;
    }
    shoal_frame_t body[] = {
        {"SHOAL/1", 7},
        {decoded.request_id, decoded.request_id_size},
        {"ERROR", 5},
        {code, strlen(code)},
        {message, strlen(message)},
    };
    s_answer(self, route, route_size, body, 5);
}

void shoal__reactor_reply_text(s_reactor_t *self, const uint8_t *route,
                               size_t route_size, const char *text)
{
    shoal_frame_t body[] = {{"OK", 2}, {text, strlen(text)}};
    s_answer(self, route, route_size, body, 2);
}

void shoal__reactor_answer_frames(s_reactor_t *self, const uint8_t *route,
                                  size_t route_size, const shoal_frame_t *body,
                                  size_t count)
{
    s_answer(self, route, route_size, body, count);
}

/* Takes the replies waiting on the dealer. */
static void s_take_replies(s_reactor_t *self)
{
    shoal_message_t message;
    for (int i = 0; i < 1000; i++) {
        if (shoal_message_receive(&message, zsock_resolve(self->dealer),
                                  ZMQ_DONTWAIT) < 0)
            return;
        const shoal_frame_t *frames = message.frames;
        if (message.count >= 3 && frames[1].size == 8) {
            const uint8_t *id = frames[1].data;
            uint64_t full = 0;
            for (int j = 0; j < 8; j++)
                full = (full << 8) | id[j];
            uint8_t owner = (uint8_t)(full >> 56);
            uint64_t tag = full & 0x00FFFFFFFFFFFFFFULL;
            s_reply_t reply =
                shoal_frame_is(&frames[2], "ACCEPTED")   ? S_REPLY_ACCEPTED
                : shoal_frame_is(&frames[2], "REJECTED") ? S_REPLY_REJECTED
                                                         : S_REPLY_ERROR;
            char error[512] = "";
            if (reply == S_REPLY_ERROR && message.count >= 5)
                snprintf(error, sizeof error, "%.*s: %.*s", (int)frames[3].size,
                         (const char *)frames[3].data,
                         (int)(frames[4].size > 400 ? 400 : frames[4].size),
                         (const char *)frames[4].data);
            else if (reply == S_REPLY_ERROR)
                snprintf(error, sizeof error, "malformed reply");
            if (owner == S_OWNER_TIMER)
                shoal__reactor_timers_reply(self, tag, reply, error);
            else
                shoal__reactor_policies_reply(self, owner, tag, reply, error);
        }
        shoal_message_close(&message);
    }
}

/* Serves the main thread's requests. */
static void s_take_requests(s_reactor_t *self)
{
    void *pointer;
    for (int i = 0; i < 100; i++) {
        if (shoal_pipe_receive(self->requests, &pointer, ZMQ_DONTWAIT) < 0)
            return;
        shoal_reactor_request_t *request = pointer;
        switch (request->kind) {
        case SHOAL_REACTOR_EVENTS:
            shoal__reactor_serve_events(self, request);
            break;
        case SHOAL_REACTOR_DEAD_LETTERS:
            shoal__reactor_serve_dead_letters(self, request);
            break;
        case SHOAL_REACTOR_RETRY:
            shoal__reactor_policies_retry(self, request);
            break;
        case SHOAL_REACTOR_RELOAD_TOPICS:
            shoal__reactor_policies_reload_topics(self);
            break;
        }
        shoal_reactor_request_destroy(&request);
    }
}

/* Refreshes the figures for the status socket, a few times a second. */
static void s_publish_stats(s_reactor_t *self, bool now)
{
    int64_t mono = zclock_mono();
    if (!now && mono - self->stats_at < 250)
        return;
    self->stats_at = mono;
    json_t *object = json_object();
    char *metrics = strdup("");
    shoal__reactor_policies_stats(self, object, &metrics);
    json_object_set_new(object, "timers",
                        json_pack("{s:I, s:I, s:I}", "pending",
                                  (json_int_t)self->timers_pending, "fired",
                                  (json_int_t)self->timers_fired, "failures",
                                  (json_int_t)self->timer_failures));
    char *more = NULL;
    if (metrics && asprintf(&more,
                            "%s# TYPE shoal_timers_pending gauge\n"
                            "shoal_timers_pending %llu\n"
                            "# TYPE shoal_timers_fired_total counter\n"
                            "shoal_timers_fired_total %llu\n"
                            "# TYPE shoal_timer_failures_total counter\n"
                            "shoal_timer_failures_total %llu\n",
                            metrics, (unsigned long long)self->timers_pending,
                            (unsigned long long)self->timers_fired,
                            (unsigned long long)self->timer_failures) < 0)
        more = NULL;
    free(metrics);
    char *json = json_dumps(object, JSON_COMPACT);
    json_decref(object);
    shoal_reactor_stats_t *stats = self->args->stats;
    pthread_mutex_lock(&stats->lock);
    free(stats->json);
    free(stats->metrics);
    stats->json = json;
    stats->metrics = more;
    pthread_mutex_unlock(&stats->lock);
}

/* Opens the journal connection and the sockets, and loads the state. */
static int s_setup(s_reactor_t *self, char **error)
{
    const shoal_reactor_args_t *args = self->args;
    self->journal = shoal_journal_open(args->journal_path,
                                       args->config->durability, false, error);
    if (!self->journal)
        return -1;
    self->store = shoal_reactions_open(self->journal, error);
    if (!self->store)
        return -1;
    char endpoint[128];
    shoal_pipe_endpoint(endpoint, sizeof endpoint, args->node, "internal", -1);
    self->dealer = zsock_new(ZMQ_DEALER);
    zsock_set_sndhwm(self->dealer, 0);
    zsock_set_rcvhwm(self->dealer, 0);
    zsock_connect(self->dealer, "%s", endpoint);
    shoal_pipe_endpoint(endpoint, sizeof endpoint, args->node, "reactor", -1);
    self->requests = zsock_new(ZMQ_PULL);
    zsock_set_rcvhwm(self->requests, 0);
    zsock_bind(self->requests, "%s", endpoint);
    shoal_pipe_endpoint(endpoint, sizeof endpoint, args->node, "answers", -1);
    self->answers = zsock_new(ZMQ_PUSH);
    zsock_set_sndhwm(self->answers, 0);
    zsock_connect(self->answers, "%s", endpoint);
    if (shoal__reactor_policies_open(self, error) < 0 ||
        shoal__reactor_timers_open(self, error) < 0)
        return -1;
    return 0;
}

/* Releases what s_setup acquired. */
static void s_teardown(s_reactor_t *self)
{
    shoal__reactor_timers_close(self);
    shoal__reactor_policies_close(self);
    zsock_destroy(&self->answers);
    zsock_destroy(&self->requests);
    zsock_destroy(&self->dealer);
    shoal_reactions_close(&self->store);
    shoal_journal_close(&self->journal);
}

void shoal_reactor_actor(zsock_t *pipe, void *raw_args)
{
    s_reactor_t self = {.args = raw_args,
                        .config = ((shoal_reactor_args_t *)raw_args)->config};
    pthread_setname_np(pthread_self(), "shoal-reactor");
    char *error = NULL;
    if (s_setup(&self, &error) < 0) {
        self.args->error = error ? error : strdup("out of memory");
        s_teardown(&self);
        zsock_signal(pipe, 1);
        /* zactor waits for $TERM before it lets the thread end */
        char *command = zstr_recv(pipe);
        zstr_free(&command);
        return;
    }
    s_publish_stats(&self, true);
    zsock_signal(pipe, 0);
    zmq_pollitem_t items[] = {
        {zsock_resolve(pipe), 0, ZMQ_POLLIN, 0},
        {zsock_resolve(self.dealer), 0, ZMQ_POLLIN, 0},
        {zsock_resolve(self.requests), 0, ZMQ_POLLIN, 0},
    };
    while (true) {
        if (zmq_poll(items, 3, 10) < 0 && errno != EINTR)
            break;
        if (items[0].revents & ZMQ_POLLIN) {
            char *command = zstr_recv(pipe);
            bool terminate = !command || streq(command, "$TERM");
            zstr_free(&command);
            if (terminate)
                break;
        }
        if (items[1].revents & ZMQ_POLLIN)
            s_take_replies(&self);
        if (items[2].revents & ZMQ_POLLIN)
            s_take_requests(&self);
        shoal__reactor_policies_step(&self);
        shoal__reactor_timers_step(&self);
        s_publish_stats(&self, false);
    }
    s_teardown(&self);
}
