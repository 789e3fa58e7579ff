/*
 * runtime/worker.c - a worker thread (see worker.h).
 *
 * The worker is the host of actors/entities: it lends it the journal
 * writer, the journal reader, the way back to the client and the clock.
 */
#include "runtime/worker.h"
#include "actors/entities.h"
#include "cluster/shard.h"
#include "runtime/handoff.h"
#include "runtime/frames.h"
#include "runtime/log.h"
#include "runtime/pipes.h"
#include "runtime/protocol.h"

#include <pthread.h>

typedef struct {
    shoal_worker_args_t *args;
    shoal_handoff_msg_t **releasing; /* RELEASE messages not done yet */
    size_t releasing_count;
    zsock_t *inbox;
    zsock_t *journal;
    zsock_t *reader;
    zsock_t *answers;
    shoal_entities_t *entities;
} s_worker_t;

/* The node's clock in ms since the Unix epoch. */
static int64_t s_now_ms(void *arg)
{
    s_worker_t *self = arg;
    return shoal_clock_now_ms(self->args->clock);
}

/* Queues an append for the writer unless its queue is full. */
static int s_submit_append(void *arg, shoal_append_t *append)
{
    s_worker_t *self = arg;
    shoal_journal_stats_t *stats = self->args->journal_stats;
    /* taken first: it never passes submitted, which other workers may
     * raise meanwhile, so the difference cannot wrap. */
    uint64_t taken = atomic_load(&stats->taken);
    uint64_t queued = atomic_load(&stats->submitted) - taken;
    if (queued >= self->args->config->journal_queue)
        return -1;
    /* Counted before the send: the writer may take it at once. */
    atomic_fetch_add(&stats->submitted, 1);
    if (shoal_pipe_send(self->journal, SHOAL_PIPE_APPEND, append,
                        ZMQ_DONTWAIT) < 0) {
        atomic_fetch_sub(&stats->submitted, 1);
        return -1;
    }
    return 0;
}

/* Queues a recovery for the reader. */
static int s_submit_recovery(void *arg, shoal_recovery_t *recovery)
{
    s_worker_t *self = arg;
    return shoal_pipe_send(self->reader, SHOAL_PIPE_RECOVERY, recovery,
                           ZMQ_DONTWAIT);
}

/* Sends an answer to the main thread, which forwards it to the peer. */
static void s_answer(void *arg, shoal_request_t *request,
                     const shoal_answer_t *answer)
{
    s_worker_t *self = arg;
    shoal_route_t route;
    if (shoal_route_decode(request->route, request->route_size, &route) == 0) {
        shoal_frame_t frames[SHOAL_REPLY_FRAMES_MAX + 1];
        char scratch[SHOAL_REPLY_SCRATCH];
        char owner[SHOAL_OWNER_TEXT_MAX + 1];
        shoal_answer_t named = *answer;
        if (route.owner) {
            /* This node handled it: it names itself. */
            snprintf(owner, sizeof owner, "%u %llu %s", request->shard,
                     (unsigned long long)request->epoch,
                     self->args->owner_label);
            named.owner = owner;
        }
        uint8_t kind = (uint8_t)route.kind;
        frames[0] = (shoal_frame_t){&kind, 1};
        size_t count =
            shoal_protocol_reply(&route, &named, frames + 1, scratch);
        shoal_frames_send(zsock_resolve(self->answers), frames, count + 1, 0);
    }
    shoal_request_destroy(&request);
}

/* The shard of a "type/id" key. */
static uint32_t s_shard_of_key(const char *key, void *arg)
{
    s_worker_t *self = arg;
    const char *slash = strchr(key, '/');
    char type[SHOAL_TYPE_NAME_MAX + 1];
    size_t size = slash ? (size_t)(slash - key) : 0;
    if (!slash || size > SHOAL_TYPE_NAME_MAX)
        return UINT32_MAX; /* defensive: every key is "type/id" */
    memcpy(type, key, size);
    type[size] = '\0';
    return shoal_shard_of(type, slash + 1,
                          (uint32_t)self->args->config->shards);
}

/* Hands a handoff message back to the main thread. */
static void s_control_reply(s_worker_t *self, shoal_handoff_msg_t *message)
{
    uint8_t kind = SHOAL_ROUTE_CONTROL;
    void *socket = zsock_resolve(self->answers);
    zmq_send(socket, &kind, 1, ZMQ_SNDMORE);
    if (shoal_pipe_send(self->answers, SHOAL_PIPE_HANDOFF, message, 0) < 0)
        shoal_handoff_msg_destroy(&message);
}

/* Goes on releasing the shards being handed over; answers RELEASED for
 * each once none of its entities is busy. */
static void s_release_shards(s_worker_t *self)
{
    for (size_t i = 0; i < self->releasing_count;) {
        shoal_handoff_msg_t *message = self->releasing[i];
        if (shoal_entities_release_shard(self->entities, message->shard,
                                         s_shard_of_key, self) > 0) {
            i++;
            continue;
        }
        message->kind = SHOAL_HANDOFF_RELEASED;
        s_control_reply(self, message);
        self->releasing[i] = self->releasing[--self->releasing_count];
    }
}

/* Takes a handoff message from the main thread. */
static void s_handoff(s_worker_t *self, shoal_handoff_msg_t *message)
{
    if (message->kind == SHOAL_HANDOFF_RELEASE) {
        shoal_handoff_msg_t **grown = realloc(
            self->releasing, (self->releasing_count + 1) * sizeof *grown);
        assert(grown);
        self->releasing = grown;
        self->releasing[self->releasing_count++] = message;
        s_release_shards(self);
        return;
    }
    for (size_t i = 0; i < message->head_count; i++)
        if (shoal_entities_adopt_head(self->entities, message->keys[i],
                                      message->positions[i]) < 0)
            shoal_log(SHOAL_LOG_ERROR,
                      "worker %u: cannot adopt the head of %s (pos %lld)",
                      self->args->index, message->keys[i],
                      (long long)message->positions[i]);
    message->kind = SHOAL_HANDOFF_ADOPTED;
    s_control_reply(self, message);
}

/* Handles every pointer waiting in the inbox, up to a bound so that the
 * pipe is looked at now and then. */
static void s_drain_inbox(s_worker_t *self)
{
    void *pointer;
    for (int i = 0; i < 4096; i++) {
        int tag = shoal_pipe_receive(self->inbox, &pointer, ZMQ_DONTWAIT);
        if (tag < 0)
            return;
        if (tag == SHOAL_PIPE_REQUEST) {
            atomic_fetch_add(&self->args->stats->inbox_taken, 1);
            shoal_request_t *request = pointer;
            shoal_entities_handle(self->entities, &request);
        } else if (tag == SHOAL_PIPE_APPEND) {
            shoal_append_t *append = pointer;
            shoal_entities_appended(self->entities, &append);
        } else if (tag == SHOAL_PIPE_RECOVERY) {
            shoal_recovery_t *recovery = pointer;
            shoal_entities_recovered(self->entities, &recovery);
        } else if (tag == SHOAL_PIPE_HANDOFF) {
            s_handoff(self, pointer);
        }
    }
}

/* Publishes the entities' figures for the status socket. */
static void s_publish(s_worker_t *self)
{
    shoal_worker_stats_t *stats = self->args->stats;
    const shoal_entities_counters_t *counters =
        shoal_entities_counters(self->entities);
    atomic_store(&stats->accepted, counters->accepted);
    atomic_store(&stats->rejected, counters->rejected);
    atomic_store(&stats->errors, counters->errors);
    atomic_store(&stats->busy, counters->busy);
    atomic_store(&stats->duplicates, counters->duplicates);
    atomic_store(&stats->recoveries, counters->recoveries);
    atomic_store(&stats->passivations, counters->passivations);
    atomic_store(&stats->snapshots, counters->snapshots);
    atomic_store(&stats->resident, shoal_entities_resident(self->entities));
    atomic_store(&stats->stashed, shoal_entities_stashed(self->entities));
    atomic_store(&stats->known, shoal_entities_known(self->entities));
}

/* Connects a PUSH socket to one of the node's inproc endpoints. */
static zsock_t *s_push_to(const void *node, const char *what, int hwm)
{
    char endpoint[128];
    shoal_pipe_endpoint(endpoint, sizeof endpoint, node, what, -1);
    zsock_t *socket = zsock_new(ZMQ_PUSH);
    zsock_set_sndhwm(socket, hwm);
    zsock_connect(socket, "%s", endpoint);
    return socket;
}

/* The sweep period: often enough to passivate close to the idle time. */
static int s_sweep_ms(const shoal_config_t *config)
{
    if (config->passivate_idle_ms == 0)
        return 1000;
    uint64_t period = config->passivate_idle_ms / 4;
    return period < 10 ? 10 : period > 1000 ? 1000 : (int)period;
}

/* Creates the worker's sockets and entities. */
static void s_setup(s_worker_t *self, shoal_worker_args_t *args)
{
    const shoal_config_t *config = args->config;
    char endpoint[128];
    shoal_pipe_endpoint(endpoint, sizeof endpoint, args->node, "worker",
                        (int)args->index);
    self->inbox = zsock_new(ZMQ_PULL);
    zsock_set_rcvhwm(self->inbox, 0);
    int bound = zsock_bind(self->inbox, "%s", endpoint);
    assert(bound == 0);
    (void)bound;
    self->journal = s_push_to(args->node, "journal", 0);
    /* One PUSH connected to every reader deals recoveries round-robin. */
    self->reader = zsock_new(ZMQ_PUSH);
    zsock_set_sndhwm(self->reader, 0);
    for (uint64_t i = 0; i < config->readers; i++) {
        char reader[128];
        shoal_pipe_endpoint(reader, sizeof reader, args->node, "reader",
                            (int)i);
        zsock_connect(self->reader, "%s", reader);
    }
    self->answers = s_push_to(args->node, "answers", 0);
    shoal_entities_host_t host = {.arg = self,
                                  .submit_append = s_submit_append,
                                  .submit_recovery = s_submit_recovery,
                                  .answer = s_answer,
                                  .now_ms = s_now_ms};
    shoal_entities_config_t entities_config = {
        .worker = args->index,
        .stash_capacity = config->stash_capacity,
        .max_stashed =
            (config->max_stashed + config->workers - 1) / config->workers,
        .max_resident =
            (config->max_resident + config->workers - 1) / config->workers,
        .dedup_window = config->dedup_window,
        .snapshot_every = config->snapshot_every,
        .passivate_idle_ms = (int64_t)config->passivate_idle_ms,
    };
    self->entities = shoal_entities_new(&host, &entities_config, &args->heads);
    assert(self->entities);
}

void shoal_worker_actor(zsock_t *pipe, void *raw_args)
{
    shoal_worker_args_t *args = raw_args;
    s_worker_t self = {.args = args};
    char name[16];
    snprintf(name, sizeof name, "shoal-worker%u", args->index);
    pthread_setname_np(pthread_self(), name);
    s_setup(&self, args);
    zsock_signal(pipe, 0);

    int sweep_ms = s_sweep_ms(args->config);
    int64_t last_sweep = zclock_mono();
    bool stopping = false, stop_signalled = false;
    zmq_pollitem_t items[] = {
        {zsock_resolve(pipe), 0, ZMQ_POLLIN, 0},
        {zsock_resolve(self.inbox), 0, ZMQ_POLLIN, 0},
    };
    while (true) {
        if (zmq_poll(items, 2, sweep_ms) < 0 && errno != EINTR)
            break;
        if (items[0].revents & ZMQ_POLLIN) {
            char *command = zstr_recv(pipe);
            bool terminate = !command || streq(command, "$TERM");
            if (command && streq(command, "STOP")) {
                stopping = true;
                shoal_entities_stop(self.entities);
            }
            zstr_free(&command);
            if (terminate)
                break;
        }
        s_drain_inbox(&self);
        if (self.releasing_count)
            s_release_shards(&self);
        if (zclock_mono() - last_sweep >= sweep_ms) {
            shoal_entities_sweep(self.entities);
            last_sweep = zclock_mono();
        }
        s_publish(&self);
        if (stopping && !stop_signalled &&
            shoal_entities_pending(self.entities) == 0) {
            zsock_signal(pipe, 0);
            stop_signalled = true;
        }
    }
    s_drain_inbox(&self);
    for (size_t i = 0; i < self.releasing_count; i++)
        shoal_handoff_msg_destroy(&self.releasing[i]);
    free(self.releasing);
    shoal_entities_destroy(&self.entities);
    zsock_destroy(&self.answers);
    zsock_destroy(&self.reader);
    zsock_destroy(&self.journal);
    zsock_destroy(&self.inbox);
}
