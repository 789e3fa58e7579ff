/*
 * runtime/node_requests.c - the main thread's client and internal ports:
 * a request is checked, passed through its gatekeeper when it has one
 * (client port only), and handed to the worker of its shard, or to the
 * reactor (topic reads); answers go back on the route's ROUTER.
 */
#include "cluster/shard.h"
#include "runtime/log.h"
#include "runtime/node_internal.h"
#include "runtime/pipes.h"

/* The ROUTER a route names. */
void *shoal__node_socket_of(shoal_node_t *self, shoal_route_kind_t kind)
{
    return zsock_resolve(kind == SHOAL_ROUTE_STATUS     ? self->status
                         : kind == SHOAL_ROUTE_INTERNAL ? self->internal
                         : kind == SHOAL_ROUTE_PEER     ? self->peer
                                                        : self->client);
}

/* Sends an answer to route from the main thread. */
void shoal__node_reply(shoal_node_t *self, const shoal_route_t *route,
                       const shoal_answer_t *answer)
{
    shoal_frame_t frames[SHOAL_REPLY_FRAMES_MAX];
    char scratch[SHOAL_REPLY_SCRATCH];
    size_t count = shoal_protocol_reply(route, answer, frames, scratch);
    if (route->kind == SHOAL_ROUTE_GATE) {
        /* defensive: asks are never answered from the main thread */
        shoal_gates_answered(self->gates, frames + 1, count - 1);
        return;
    }
    if (shoal_frames_send(shoal__node_socket_of(self, route->kind), frames,
                          count, ZMQ_DONTWAIT) < 0)
        self->replies_dropped++;
}

/* Answers a request on route with an error, from the main thread. */
void shoal__node_reply_error(shoal_node_t *self, const shoal_route_t *route,
                             const char *code, const char *message)
{
    shoal_answer_t answer = {.kind = SHOAL_ANSWER_ERROR,
                             .error_code = code,
                             .body = message,
                             .body_size = strlen(message)};
    shoal__node_reply(self, route, &answer);
}

/* Hands a request to the worker of its shard. Returns 0, or -1 with
 * *code and *message saying why it could not (nothing is answered). */
int shoal__node_enqueue_local(shoal_node_t *self, const shoal_route_t *route,
                              shoal_request_kind_t kind,
                              const shoal_type_t *type, const char *entity_id,
                              const char *command, const char *command_id,
                              const void *payload, size_t payload_size,
                              const char **code, const char **message)
{
    if (self->stopping) {
        *code = "unavailable";
        *message = "node is shutting down";
        return -1;
    }
    uint32_t shard =
        shoal_shard_of(type->name, entity_id, (uint32_t)self->config->shards);
    uint32_t worker = shard % (uint32_t)self->config->workers;
    shoal_worker_stats_t *stats = &self->worker_stats[worker];
    *code = "busy";
    *message = "worker inbox is full";
    if (atomic_load(&stats->inbox_sent) - atomic_load(&stats->inbox_taken) >=
        self->config->inbox_capacity) {
        self->busy_at_dispatch++;
        return -1;
    }
    uint8_t route_bytes[SHOAL_ROUTE_MAX];
    size_t route_size = shoal_route_encode(route, route_bytes);
    shoal_request_t *request =
        shoal_request_new(kind, type, shard, entity_id, command, command_id,
                          payload, payload_size, route_bytes, route_size);
    if (!request) {
        *code = "internal";
        *message = "out of memory";
        return -1;
    }
    /* The write it makes carries the epoch of the table it was routed by
     * (runtime/shard_fence.h). */
    request->epoch = self->view ? self->view->epoch : 0;
    if (self->frozen && self->frozen[shard]) {
        /* The shard is being handed over: the request waits for the
         * outcome, in order with the others of its shard. */
        if (shoal__node_park(self, shard, request) < 0) {
            shoal_request_destroy(&request);
            *code = "busy";
            *message = "too many requests wait for shards being handed over";
            return -1;
        }
        return 0;
    }
    atomic_fetch_add(&stats->inbox_sent, 1);
    if (shoal_pipe_send(self->worker_inboxes[worker], SHOAL_PIPE_REQUEST,
                        request, ZMQ_DONTWAIT) < 0) {
        atomic_fetch_sub(&stats->inbox_sent, 1);
        shoal_request_destroy(&request);
        self->busy_at_dispatch++;
        return -1;
    }
    return 0;
}

/* Hands a request to the owner of its shard: this node's worker, or
 * another member (forwarded). */
int shoal__node_enqueue(shoal_node_t *self, const shoal_route_t *route,
                        shoal_request_kind_t kind, const shoal_type_t *type,
                        const char *entity_id, const char *command,
                        const char *command_id, const void *payload,
                        size_t payload_size, const char **code,
                        const char **message)
{
    if (self->peer && !self->stopping) {
        int routed =
            shoal__node_route(self, route, kind, type, entity_id, command,
                              command_id, payload, payload_size, code, message);
        if (routed <= 0)
            return routed;
    }
    return shoal__node_enqueue_local(self, route, kind, type, entity_id,
                                     command, command_id, payload, payload_size,
                                     code, message);
}

/* Hands a request to the worker of its shard, or answers why not. */
void shoal__node_dispatch(shoal_node_t *self, const shoal_route_t *route,
                          shoal_request_kind_t kind, const shoal_type_t *type,
                          const char *entity_id, const char *command,
                          const char *command_id, const void *payload,
                          size_t payload_size)
{
    const char *code, *message;
    if (shoal__node_enqueue(self, route, kind, type, entity_id, command,
                            command_id, payload, payload_size, &code,
                            &message) < 0)
        shoal__node_reply_error(self, route, code, message);
}

/* The gates' view of the node. */
static const shoal_type_t *s_gate_find_type(void *arg, const char *name)
{
    shoal_node_t *self = arg;
    return shoal_plugins_find(self->plugins, name);
}

static int64_t s_gate_now_ms(void *arg)
{
    shoal_node_t *self = arg;
    return shoal_clock_now_ms(&self->clock);
}

static void s_gate_dispatch(void *arg, const shoal_route_t *route,
                            const shoal_type_t *type, const char *entity_id,
                            const char *command, const char *command_id,
                            const void *payload, size_t payload_size)
{
    shoal__node_dispatch(arg, route, SHOAL_REQUEST_COMMAND, type, entity_id,
                         command, command_id, payload, payload_size);
}

static int s_gate_ask(void *arg, const shoal_route_t *route,
                      const shoal_type_t *type, const char *entity_id)
{
    const char *code, *message;
    return shoal__node_enqueue(arg, route, SHOAL_REQUEST_QUERY, type, entity_id,
                               NULL, NULL, NULL, 0, &code, &message);
}

static void s_gate_reply(void *arg, const shoal_route_t *route,
                         const shoal_answer_t *answer)
{
    shoal__node_reply(arg, route, answer);
}

/* Creates the gates and binds the internal port. */
int shoal__node_start_edge(shoal_node_t *self, char **error)
{
    shoal_gates_host_t host = {.arg = self,
                               .find_type = s_gate_find_type,
                               .now_ms = s_gate_now_ms,
                               .dispatch = s_gate_dispatch,
                               .ask = s_gate_ask,
                               .reply = s_gate_reply};
    self->gates = shoal_gates_new(&host, (int64_t)self->config->gate_timeout_ms,
                                  (size_t)self->config->max_gate_waiting);
    char endpoint[128];
    shoal_pipe_endpoint(endpoint, sizeof endpoint, self, "internal", -1);
    self->internal = zsock_new(ZMQ_ROUTER);
    zsock_set_linger(self->internal, 0);
    zsock_set_sndhwm(self->internal, 0);
    zsock_set_rcvhwm(self->internal, 0);
    if (!self->gates || zsock_bind(self->internal, "%s", endpoint) < 0) {
        free(*error);
        if (asprintf(error, "internal port %s: cannot start", endpoint) < 0)
            *error = NULL;
        return -1;
    }
    return 0;
}

/* Hands a request to the reactor, or answers why not; takes request. */
void shoal__node_to_reactor(shoal_node_t *self, const shoal_route_t *route,
                            shoal_reactor_request_t *request)
{
    request->route_size = shoal_route_encode(route, request->route);
    if (self->stopping) {
        shoal_reactor_request_destroy(&request);
        shoal__node_reply_error(self, route, "unavailable",
                                "node is shutting down");
        return;
    }
    if (shoal_pipe_send(self->reactor_requests, SHOAL_PIPE_REACTOR, request,
                        ZMQ_DONTWAIT) < 0) {
        shoal_reactor_request_destroy(&request);
        self->busy_at_dispatch++;
        shoal__node_reply_error(self, route, "busy",
                                "the reactor's queue is full");
    }
}

/* Hands an EVENTS request to the reactor, which reads the topic. */
static void s_ask_reactor_events(shoal_node_t *self, const shoal_route_t *route,
                                 const shoal_client_request_t *parsed)
{
    shoal_reactor_request_t *request = calloc(1, sizeof *request);
    char *cursor =
        request ? strndup(parsed->cursor, parsed->cursor_size) : NULL;
    if (!cursor || memchr(parsed->cursor, 0, parsed->cursor_size)) {
        free(cursor);
        free(request);
        shoal__node_reply_error(self, route, "malformed",
                                "frame 4 (cursor) must be text");
        return;
    }
    request->kind = SHOAL_REACTOR_EVENTS;
    snprintf(request->topic, sizeof request->topic, "%s", parsed->topic);
    request->cursor = cursor;
    request->max_events = parsed->max_events;
    shoal__node_to_reactor(self, route, request);
}

/* Handles one request on the client port or, when internal, on the
 * internal port (whose commands skip gatekeepers). */
static void s_handle_request(shoal_node_t *self, shoal_message_t *message,
                             bool internal)
{
    shoal_route_t route = {.kind = internal ? SHOAL_ROUTE_INTERNAL
                                            : SHOAL_ROUTE_CLIENT};
    size_t body;
    if (shoal_protocol_open_envelope(message->frames, message->count, &route,
                                     &body) < 0)
        return; /* nothing to answer */
    shoal_client_request_t request;
    const char *code = "malformed";
    char text[256] = "more frames than any request has";
    if (message->truncated || shoal_protocol_parse_client(
                                  message->frames + body, message->count - body,
                                  self->config->max_payload, &request, &route,
                                  &code, text, sizeof text) < 0) {
        shoal_log(SHOAL_LOG_DEBUG, "client port: %s: %s", code, text);
        shoal__node_reply_error(self, &route, code, text);
        return;
    }
    route.owner = request.want_owner;
    if (request.is_events) {
        s_ask_reactor_events(self, &route, &request);
        return;
    }
    if (request.is_ping) {
        shoal_frame_t frames[SHOAL_REPLY_FRAMES_MAX];
        size_t count = shoal_protocol_pong(&route, frames);
        if (shoal_frames_send(shoal__node_socket_of(self, route.kind), frames,
                              count, ZMQ_DONTWAIT) < 0)
            self->replies_dropped++;
        return;
    }
    const shoal_type_t *type = shoal_plugins_find(self->plugins, request.type);
    if (!type) {
        snprintf(text, sizeof text, "no loaded plugin declares type '%s'",
                 request.type);
        shoal__node_reply_error(self, &route, "unknown_type", text);
        return;
    }
    const shoal_gatekeeper_t *gatekeeper =
        internal ? NULL : shoal_plugins_gatekeeper(type, request.command);
    if (gatekeeper) {
        if (self->stopping)
            shoal__node_reply_error(self, &route, "unavailable",
                                    "node is shutting down");
        else
            shoal_gates_start(self->gates, &route, gatekeeper, type, &request);
        return;
    }
    shoal__node_dispatch(self, &route, SHOAL_REQUEST_COMMAND, type,
                         request.entity_id, request.command, request.command_id,
                         request.payload, request.payload_size);
}

/* Handles one message on the client port. */
void shoal__node_handle_client(shoal_node_t *self, shoal_message_t *message)
{
    s_handle_request(self, message, false);
}

/* Handles one message on the internal port. */
void shoal__node_handle_internal(shoal_node_t *self, shoal_message_t *message)
{
    s_handle_request(self, message, true);
}
