/*
 * runtime/node.c - the node's main thread: start-up, the loop that routes
 * requests from the two ROUTER sockets to the workers and answers back to
 * the peers, and the orderly shutdown.
 */
#include "runtime/node.h"
#include "actors/keymap.h"
#include "cluster/shard.h"
#include "runtime/frames.h"
#include "runtime/gates.h"
#include "runtime/journal_threads.h"
#include "runtime/log.h"
#include "runtime/pipes.h"
#include "runtime/plugins.h"
#include "runtime/protocol.h"
#include "runtime/reactor.h"
#include "runtime/status.h"
#include "runtime/status_request.h"
#include "runtime/worker.h"
#include "shoal/shoal.h"

#include <errno.h>
#include <sys/stat.h>

/* Messages ZeroMQ queues per peer: replies out and requests in on the
 * client port, both ways on the status socket (docs/ARCHITECTURE.md,
 * "Overload"). */
#define S_CLIENT_SNDHWM 100000
#define S_CLIENT_RCVHWM 10000
#define S_STATUS_HWM 1000

struct shoal_node {
    const shoal_config_t *config;
    shoal_clock_t clock;
    shoal_plugins_t *plugins;
    const char **type_names;
    char *journal_path;
    shoal_journal_t *journal;          /* the writer's */
    shoal_journal_t **reader_journals; /* one per reader */
    shoal_journal_stats_t journal_stats;
    shoal_worker_stats_t *worker_stats;
    shoal_writer_args_t writer_args;
    shoal_reader_args_t *reader_args;
    shoal_worker_args_t *worker_args;
    zactor_t *writer;
    zactor_t **readers;
    zactor_t **workers;
    zsock_t **worker_inboxes; /* PUSH, main -> worker */
    zsock_t *answers;         /* PULL, workers -> main */
    zsock_t *client;          /* ROUTER */
    zsock_t *status;          /* ROUTER */
    zsock_t *internal;        /* ROUTER, inproc: policies and timers */
    shoal_gates_t *gates;
    shoal_reactor_args_t reactor_args;
    shoal_reactor_stats_t reactor_stats;
    zactor_t *reactor;
    zsock_t *reactor_requests; /* PUSH, main -> reactor */
    char *client_endpoint;
    char *status_endpoint;
    int64_t started_ms;
    uint64_t rate_count; /* commands answered at rate_at_ms */
    int64_t rate_at_ms;
    double rate;
    uint64_t busy_at_dispatch; /* busy answers given by the main thread */
    uint64_t replies_dropped;  /* peer gone, or its queue full */
    bool stopping;
};

/* Sets *error to a formatted, malloc'd message. */
static void s_error(char **error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void s_error(char **error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    free(*error);
    if (vasprintf(error, format, args) < 0)
        *error = NULL;
    va_end(args);
}

/* Creates dir and its parents when missing. Returns 0 or -1 (errno). */
static int s_make_dirs(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *at = path + 1; *at; at++) {
        if (*at != '/')
            continue;
        *at = '\0';
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return -1;
        *at = '/';
    }
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* Loads every configured plugin. */
static int s_load_plugins(shoal_node_t *self, char **error)
{
    self->plugins = shoal_plugins_new();
    for (size_t i = 0; i < self->config->plugin_count; i++)
        if (shoal_plugins_load(self->plugins, self->config->plugins[i], error) <
            0)
            return -1;
    if (shoal_plugins_check_policies(self->plugins, error) < 0)
        return -1;
    size_t count = shoal_plugins_type_count(self->plugins);
    self->type_names = calloc(count + 1, sizeof *self->type_names);
    for (size_t i = 0; i < count; i++)
        self->type_names[i] = shoal_plugins_type_at(self->plugins, i)->name;
    return 0;
}

typedef struct {
    shoal_keymap_t **heads;
    uint32_t shards, workers;
    bool out_of_memory;
} s_heads_split_t;

/* Files one entity head under the worker that owns its shard. */
static void s_file_head(const char *key, int64_t pos, void *arg)
{
    s_heads_split_t *split = arg;
    const char *slash = strchr(key, '/');
    if (!slash)
        return; /* defensive: every key is "type/id" */
    char type[SHOAL_TYPE_NAME_MAX + 1];
    size_t type_size = (size_t)(slash - key);
    if (type_size > SHOAL_TYPE_NAME_MAX)
        return;
    memcpy(type, key, type_size);
    type[type_size] = '\0';
    uint32_t shard = shoal_shard_of(type, slash + 1, split->shards);
    shoal_keymap_t *heads = split->heads[shard % split->workers];
    uint64_t known = 0;
    if (shoal_keymap_get(heads, key, &known) && known >= (uint64_t)pos)
        return; /* the latest entry is the head */
    if (shoal_keymap_put(heads, key, (uint64_t)pos) < 0)
        split->out_of_memory = true;
}

/* Opens the journal and loads the entity directory, split by worker. */
static int s_open_journal(shoal_node_t *self, shoal_keymap_t **heads,
                          char **error)
{
    const shoal_config_t *config = self->config;
    if (s_make_dirs(config->data_dir) < 0) {
        s_error(error, "%s: cannot create data folder: %s", config->data_dir,
                strerror(errno));
        return -1;
    }
    if (asprintf(&self->journal_path, "%s/journal.db", config->data_dir) < 0)
        return -1;
    self->journal = shoal_journal_open(self->journal_path, config->durability,
                                       false, error);
    if (!self->journal ||
        shoal_journal_bind_setting(self->journal, "shards",
                                   (int64_t)config->shards, error) < 0)
        return -1;
    self->reader_journals =
        calloc(config->readers, sizeof *self->reader_journals);
    for (uint64_t i = 0; i < config->readers; i++) {
        self->reader_journals[i] = shoal_journal_open(
            self->journal_path, config->durability, true, error);
        if (!self->reader_journals[i])
            return -1;
    }
    shoal_journal_t *reader = self->reader_journals[0];
    s_heads_split_t split = {.heads = heads,
                             .shards = (uint32_t)config->shards,
                             .workers = (uint32_t)config->workers};
    int64_t started = zclock_mono();
    if (shoal_journal_load_heads(reader, s_file_head, &split,
                                 &self->writer_args.totals,
                                 &self->writer_args.last_pos, error) < 0)
        return -1;
    if (split.out_of_memory) {
        s_error(error, "%s: out of memory loading the entity directory",
                self->journal_path);
        return -1;
    }
    size_t known = 0;
    for (uint32_t i = 0; i < config->workers; i++)
        known += shoal_keymap_size(heads[i]);
    shoal_log(SHOAL_LOG_INFO,
              "journal %s: %zu entities, %llu events, last pos %lld "
              "(directory loaded in %lld ms)",
              self->journal_path, known,
              (unsigned long long)self->writer_args.totals.events,
              (long long)self->writer_args.last_pos,
              (long long)(zclock_mono() - started));
    return 0;
}

/* Starts the reactor (policies, timers, topics). Returns 0 or -1. */
static int s_start_reactor(shoal_node_t *self, char **error)
{
    pthread_mutex_init(&self->reactor_stats.lock, NULL);
    self->reactor_args = (shoal_reactor_args_t){
        .node = self,
        .config = self->config,
        .clock = &self->clock,
        .plugins = self->plugins,
        .journal_path = self->journal_path,
        .stats = &self->reactor_stats,
    };
    self->reactor = zactor_new(shoal_reactor_actor, &self->reactor_args);
    if (self->reactor_args.error) {
        s_error(error, "%s", self->reactor_args.error);
        return -1;
    }
    char endpoint[128];
    shoal_pipe_endpoint(endpoint, sizeof endpoint, self, "reactor", -1);
    self->reactor_requests = zsock_new(ZMQ_PUSH);
    zsock_set_sndhwm(self->reactor_requests, 1000);
    zsock_connect(self->reactor_requests, "%s", endpoint);
    return 0;
}

/* Starts the writer, the reader and the workers. */
static void s_start_threads(shoal_node_t *self, shoal_keymap_t **heads)
{
    const shoal_config_t *config = self->config;
    uint32_t workers = (uint32_t)config->workers;
    self->writer_args.node = self;
    self->writer_args.journal = self->journal;
    self->writer_args.workers = workers;
    self->writer_args.max_batch = config->max_batch;
    self->writer_args.checkpoint_ms = (int64_t)config->checkpoint_ms;
    self->writer_args.stats = &self->journal_stats;
    self->reader_args = calloc(config->readers, sizeof *self->reader_args);
    self->readers = calloc(config->readers, sizeof *self->readers);
    self->worker_stats = calloc(workers, sizeof *self->worker_stats);
    self->worker_args = calloc(workers, sizeof *self->worker_args);
    self->workers = calloc(workers, sizeof *self->workers);
    self->worker_inboxes = calloc(workers, sizeof *self->worker_inboxes);
    char endpoint[128];
    shoal_pipe_endpoint(endpoint, sizeof endpoint, self, "answers", -1);
    self->answers = zsock_new(ZMQ_PULL);
    zsock_set_rcvhwm(self->answers, 0);
    zsock_bind(self->answers, "%s", endpoint);
    for (uint32_t i = 0; i < workers; i++) {
        self->worker_args[i] = (shoal_worker_args_t){
            .node = self,
            .index = i,
            .config = config,
            .clock = &self->clock,
            .stats = &self->worker_stats[i],
            .journal_stats = &self->journal_stats,
            .heads = heads[i],
        };
        heads[i] = NULL;
        self->workers[i] =
            zactor_new(shoal_worker_actor, &self->worker_args[i]);
        shoal_pipe_endpoint(endpoint, sizeof endpoint, self, "worker", (int)i);
        self->worker_inboxes[i] = zsock_new(ZMQ_PUSH);
        zsock_set_sndhwm(self->worker_inboxes[i], 0);
        zsock_connect(self->worker_inboxes[i], "%s", endpoint);
    }
    self->writer = zactor_new(shoal_writer_actor, &self->writer_args);
    for (uint32_t i = 0; i < config->readers; i++) {
        self->reader_args[i] =
            (shoal_reader_args_t){.node = self,
                                  .journal = self->reader_journals[i],
                                  .index = i,
                                  .workers = workers};
        self->readers[i] =
            zactor_new(shoal_reader_actor, &self->reader_args[i]);
    }
}

/* Binds a ROUTER with the given high-water marks and returns it, with its
 * resolved endpoint in *resolved (malloc'd). Returns NULL with *error set
 * when the bind fails. The ROUTER is mandatory: a reply to a peer that is
 * gone or whose queue is full fails, so it is counted, and every send on
 * it is ZMQ_DONTWAIT. */
static zsock_t *s_bind_router(const char *endpoint, const char *what,
                              int sndhwm, int rcvhwm, char **resolved,
                              char **error)
{
    zsock_t *socket = zsock_new(ZMQ_ROUTER);
    zsock_set_linger(socket, 0);
    zsock_set_sndhwm(socket, sndhwm);
    zsock_set_rcvhwm(socket, rcvhwm);
    zsock_set_router_mandatory(socket, 1);
    if (zsock_bind(socket, "%s", endpoint) < 0) {
        s_error(error, "%s %s: cannot bind: %s", what, endpoint,
                zmq_strerror(zmq_errno()));
        zsock_destroy(&socket);
        return NULL;
    }
    *resolved = zsock_last_endpoint(socket);
    return socket;
}

static int s_start_edge(shoal_node_t *self, char **error);

shoal_node_t *shoal_node_new(const shoal_config_t *config, char **error)
{
    shoal_node_t *self = calloc(1, sizeof *self);
    assert(self);
    self->config = config;
    shoal_clock_init(&self->clock, (int64_t)config->manual_clock_ms);
    self->started_ms = zclock_time();
    self->rate_at_ms = zclock_mono();
    shoal_keymap_t **heads = calloc(config->workers, sizeof *heads);
    for (uint32_t i = 0; i < config->workers; i++) {
        heads[i] = shoal_keymap_new(true);
        assert(heads[i]);
    }
    bool started = s_load_plugins(self, error) == 0 &&
                   s_open_journal(self, heads, error) == 0;
    if (started)
        started = s_start_edge(self, error) == 0;
    if (started) {
        s_start_threads(self, heads);
        started = s_start_reactor(self, error) == 0;
    }
    if (started) {
        self->client =
            s_bind_router(config->endpoint, "client port", S_CLIENT_SNDHWM,
                          S_CLIENT_RCVHWM, &self->client_endpoint, error);
        self->status =
            self->client
                ? s_bind_router(config->status_endpoint, "status socket",
                                S_STATUS_HWM, S_STATUS_HWM,
                                &self->status_endpoint, error)
                : NULL;
        started = self->client && self->status;
    }
    for (uint32_t i = 0; i < config->workers; i++)
        shoal_keymap_destroy(&heads[i]);
    free(heads);
    if (!started)
        shoal_node_destroy(&self);
    return self;
}

const char *shoal_node_client_endpoint(const shoal_node_t *self)
{
    return self->client_endpoint;
}

const char *shoal_node_status_endpoint(const shoal_node_t *self)
{
    return self->status_endpoint;
}

/* The ROUTER a route names. */
static void *s_socket_of(shoal_node_t *self, shoal_route_kind_t kind)
{
    return zsock_resolve(kind == SHOAL_ROUTE_STATUS     ? self->status
                         : kind == SHOAL_ROUTE_INTERNAL ? self->internal
                                                        : self->client);
}

/* Sends an answer to route from the main thread. */
static void s_reply(shoal_node_t *self, const shoal_route_t *route,
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
    if (shoal_frames_send(s_socket_of(self, route->kind), frames, count,
                          ZMQ_DONTWAIT) < 0)
        self->replies_dropped++;
}

/* Answers a request on route with an error, from the main thread. */
static void s_reply_error(shoal_node_t *self, const shoal_route_t *route,
                          const char *code, const char *message)
{
    shoal_answer_t answer = {.kind = SHOAL_ANSWER_ERROR,
                             .error_code = code,
                             .body = message,
                             .body_size = strlen(message)};
    s_reply(self, route, &answer);
}

/* Hands a request to the worker of its shard. Returns 0, or -1 with
 * *code and *message saying why it could not (nothing is answered). */
static int s_enqueue(shoal_node_t *self, const shoal_route_t *route,
                     shoal_request_kind_t kind, const shoal_type_t *type,
                     const char *entity_id, const char *command,
                     const char *command_id, const void *payload,
                     size_t payload_size, const char **code,
                     const char **message)
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

/* Hands a request to the worker of its shard, or answers why not. */
static void s_dispatch(shoal_node_t *self, const shoal_route_t *route,
                       shoal_request_kind_t kind, const shoal_type_t *type,
                       const char *entity_id, const char *command,
                       const char *command_id, const void *payload,
                       size_t payload_size)
{
    const char *code, *message;
    if (s_enqueue(self, route, kind, type, entity_id, command, command_id,
                  payload, payload_size, &code, &message) < 0)
        s_reply_error(self, route, code, message);
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
    s_dispatch(arg, route, SHOAL_REQUEST_COMMAND, type, entity_id, command,
               command_id, payload, payload_size);
}

static int s_gate_ask(void *arg, const shoal_route_t *route,
                      const shoal_type_t *type, const char *entity_id)
{
    const char *code, *message;
    return s_enqueue(arg, route, SHOAL_REQUEST_QUERY, type, entity_id, NULL,
                     NULL, NULL, 0, &code, &message);
}

static void s_gate_reply(void *arg, const shoal_route_t *route,
                         const shoal_answer_t *answer)
{
    s_reply(arg, route, answer);
}

/* Creates the gates and binds the internal port. */
static int s_start_edge(shoal_node_t *self, char **error)
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
        s_error(error, "internal port %s: cannot start", endpoint);
        return -1;
    }
    return 0;
}

/* Hands a request to the reactor, or answers why not; takes request. */
static void s_to_reactor(shoal_node_t *self, const shoal_route_t *route,
                         shoal_reactor_request_t *request)
{
    request->route_size = shoal_route_encode(route, request->route);
    if (self->stopping) {
        shoal_reactor_request_destroy(&request);
        s_reply_error(self, route, "unavailable", "node is shutting down");
        return;
    }
    if (shoal_pipe_send(self->reactor_requests, SHOAL_PIPE_REACTOR, request,
                        ZMQ_DONTWAIT) < 0) {
        shoal_reactor_request_destroy(&request);
        self->busy_at_dispatch++;
        s_reply_error(self, route, "busy", "the reactor's queue is full");
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
        s_reply_error(self, route, "malformed",
                      "frame 4 (cursor) must be text");
        return;
    }
    request->kind = SHOAL_REACTOR_EVENTS;
    snprintf(request->topic, sizeof request->topic, "%s", parsed->topic);
    request->cursor = cursor;
    request->max_events = parsed->max_events;
    s_to_reactor(self, route, request);
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
        s_reply_error(self, &route, code, text);
        return;
    }
    if (request.is_events) {
        s_ask_reactor_events(self, &route, &request);
        return;
    }
    if (request.is_ping) {
        shoal_frame_t frames[SHOAL_REPLY_FRAMES_MAX];
        size_t count = shoal_protocol_pong(&route, frames);
        if (shoal_frames_send(s_socket_of(self, route.kind), frames, count,
                              ZMQ_DONTWAIT) < 0)
            self->replies_dropped++;
        return;
    }
    const shoal_type_t *type = shoal_plugins_find(self->plugins, request.type);
    if (!type) {
        snprintf(text, sizeof text, "no loaded plugin declares type '%s'",
                 request.type);
        s_reply_error(self, &route, "unknown_type", text);
        return;
    }
    const shoal_gatekeeper_t *gatekeeper =
        internal ? NULL : shoal_plugins_gatekeeper(type, request.command);
    if (gatekeeper) {
        if (self->stopping)
            s_reply_error(self, &route, "unavailable", "node is shutting down");
        else
            shoal_gates_start(self->gates, &route, gatekeeper, type, &request);
        return;
    }
    s_dispatch(self, &route, SHOAL_REQUEST_COMMAND, type, request.entity_id,
               request.command, request.command_id, request.payload,
               request.payload_size);
}

/* Handles one message on the client port. */
static void s_handle_client(shoal_node_t *self, shoal_message_t *message)
{
    s_handle_request(self, message, false);
}

/* Handles one message on the internal port. */
static void s_handle_internal(shoal_node_t *self, shoal_message_t *message)
{
    s_handle_request(self, message, true);
}

/* Fills the input of the status renderings. */
static void s_status_input(shoal_node_t *self, shoal_status_input_t *input)
{
    *input = (shoal_status_input_t){
        .node_name = self->config->node_name,
        .version = SHOAL_VERSION,
        .uptime_s = (zclock_time() - self->started_ms) / 1000,
        .types = self->type_names,
        .type_count = shoal_plugins_type_count(self->plugins),
        .shards = (uint32_t)self->config->shards,
        .workers = (uint32_t)self->config->workers,
        .worker_stats = self->worker_stats,
        .journal_stats = &self->journal_stats,
        .durability =
            self->config->durability == SHOAL_DURABILITY_FULL ? "full" : "fast",
        .commands_per_second = self->rate,
        .busy_at_dispatch = self->busy_at_dispatch,
        .replies_dropped = self->replies_dropped,
        .gates = shoal_gates_counters(self->gates),
        .gates_waiting = shoal_gates_waiting(self->gates),
        .clock_ms = shoal_clock_now_ms(&self->clock),
        .manual_clock = self->clock.manual,
    };
}

/* Answers a status or metrics request from the main thread; takes text. */
static void s_reply_text(shoal_node_t *self, const shoal_route_t *route,
                         char *text)
{
    if (!text) {
        s_reply_error(self, route, "internal", "out of memory");
        return;
    }
    shoal_answer_t answer = {
        .kind = SHOAL_ANSWER_QUERY, .body = text, .body_size = strlen(text)};
    s_reply(self, route, &answer);
    free(text);
}

/* Handles `get TYPE ID`. */
static void s_handle_get(shoal_node_t *self, const shoal_route_t *route,
                         char *arguments)
{
    char *type_name = arguments;
    char *entity_id = type_name ? strchr(type_name, ' ') : NULL;
    if (!entity_id || !*(entity_id + 1)) {
        s_reply_error(self, route, "malformed", "usage: get TYPE ID");
        return;
    }
    *entity_id++ = '\0';
    const shoal_type_t *type = shoal_plugins_find(self->plugins, type_name);
    if (!type) {
        char text[128];
        snprintf(text, sizeof text, "no loaded plugin declares type '%.64s'",
                 type_name);
        s_reply_error(self, route, "unknown_type", text);
        return;
    }
    if (strlen(entity_id) > SHOAL_ENTITY_ID_MAX || strchr(entity_id, '/')) {
        s_reply_error(self, route, "malformed",
                      "entity id must be 1..256 bytes with no '/'");
        return;
    }
    s_dispatch(self, route, SHOAL_REQUEST_QUERY, type, entity_id, NULL, NULL,
               NULL, 0);
}

/* Handles `clock` (show the node's clock) and `clock set MS` (move a
 * manual clock forward). */
static void s_handle_clock(shoal_node_t *self, const shoal_route_t *route,
                           const char *arguments)
{
    if (*arguments) {
        char *end = NULL;
        errno = 0;
        long long ms = strncmp(arguments, " set ", 5) == 0
                           ? strtoll(arguments + 5, &end, 10)
                           : -1;
        if (ms <= 0 || errno || !end || *end) {
            s_reply_error(self, route, "malformed",
                          "usage: clock, or clock set MS (ms since the "
                          "Unix epoch)");
            return;
        }
        if (!self->clock.manual) {
            s_reply_error(self, route, "malformed",
                          "the clock is the system's: start the node with "
                          "--manual-clock-ms to set it");
            return;
        }
        if (shoal_clock_set_ms(&self->clock, ms) < 0) {
            s_reply_error(self, route, "malformed",
                          "the clock never moves backwards");
            return;
        }
        shoal_log(SHOAL_LOG_INFO, "manual clock set to %lld", ms);
    }
    char *text = NULL;
    if (asprintf(&text, "{\"now_ms\": %lld, \"manual\": %s}",
                 (long long)shoal_clock_now_ms(&self->clock),
                 self->clock.manual ? "true" : "false") < 0)
        text = NULL;
    s_reply_text(self, route, text);
}

/* Handles `dead-letters [POLICY]`: the reactor lists them. */
static void s_handle_dead_letters(shoal_node_t *self,
                                  const shoal_route_t *route,
                                  const char *arguments)
{
    const char *policy = *arguments ? arguments + 1 : "";
    if (*arguments &&
        !shoal_name_is_valid(policy, strlen(policy), SHOAL_POLICY_NAME_MAX)) {
        s_reply_error(self, route, "malformed", "usage: dead-letters [POLICY]");
        return;
    }
    shoal_reactor_request_t *request = calloc(1, sizeof *request);
    if (!request) {
        s_reply_error(self, route, "internal", "out of memory");
        return;
    }
    request->kind = SHOAL_REACTOR_DEAD_LETTERS;
    snprintf(request->policy, sizeof request->policy, "%s", policy);
    s_to_reactor(self, route, request);
}

/* Handles `retry ID`: the reactor handles a dead letter again. */
static void s_handle_retry(shoal_node_t *self, const shoal_route_t *route,
                           const char *arguments)
{
    char *end = NULL;
    errno = 0;
    long long id = strtoll(arguments, &end, 10);
    if (id <= 0 || errno || !end || *end || end == arguments) {
        s_reply_error(self, route, "malformed",
                      "usage: retry ID (a dead letter's id)");
        return;
    }
    shoal_reactor_request_t *request = calloc(1, sizeof *request);
    if (!request) {
        s_reply_error(self, route, "internal", "out of memory");
        return;
    }
    request->kind = SHOAL_REACTOR_RETRY;
    request->dead_letter = id;
    s_to_reactor(self, route, request);
}

/* Handles one message on the status socket. */
static void s_handle_status(shoal_node_t *self, shoal_message_t *message)
{
    shoal_route_t route = {.kind = SHOAL_ROUTE_STATUS};
    size_t body;
    if (shoal_protocol_open_envelope(message->frames, message->count, &route,
                                     &body) < 0)
        return;
    shoal_status_request_t request;
    shoal_status_request_parse(message->frames + body, message->count - body,
                               message->truncated, &request);
    if (request.kind == SHOAL_STATUS_REQUEST_MALFORMED) {
        s_reply_error(self, &route, "malformed", request.error);
        return;
    }
    shoal_status_input_t input;
    s_status_input(self, &input);
    switch (request.kind) {
    case SHOAL_STATUS_REQUEST_STATUS:
    case SHOAL_STATUS_REQUEST_METRICS: {
        pthread_mutex_lock(&self->reactor_stats.lock);
        char *reactor_json =
            self->reactor_stats.json ? strdup(self->reactor_stats.json) : NULL;
        char *reactor_metrics = self->reactor_stats.metrics
                                    ? strdup(self->reactor_stats.metrics)
                                    : NULL;
        pthread_mutex_unlock(&self->reactor_stats.lock);
        input.reactor_json = reactor_json;
        input.reactor_metrics = reactor_metrics;
        s_reply_text(self, &route,
                     request.kind == SHOAL_STATUS_REQUEST_STATUS
                         ? shoal_status_json(&input)
                         : shoal_status_metrics(&input));
        free(reactor_json);
        free(reactor_metrics);
        break;
    }
    case SHOAL_STATUS_REQUEST_GET:
        s_handle_get(self, &route, request.arguments);
        break;
    case SHOAL_STATUS_REQUEST_CLOCK:
        s_handle_clock(self, &route, request.arguments);
        break;
    case SHOAL_STATUS_REQUEST_DEAD_LETTERS:
        s_handle_dead_letters(self, &route, request.arguments);
        break;
    case SHOAL_STATUS_REQUEST_RETRY:
        s_handle_retry(self, &route, request.arguments);
        break;
    case SHOAL_STATUS_REQUEST_MALFORMED:
        break; /* answered above */
    }
}

/* Receives and handles up to limit messages waiting on a ROUTER. */
static void s_serve_socket(shoal_node_t *self, zsock_t *socket, int limit,
                           void (*handle)(shoal_node_t *, shoal_message_t *))
{
    shoal_message_t message;
    for (int i = 0; i < limit; i++) {
        if (shoal_message_receive(&message, zsock_resolve(socket),
                                  ZMQ_DONTWAIT) < 0)
            return;
        handle(self, &message);
        shoal_message_close(&message);
    }
}

/* Forwards the answers the workers have ready to their peers: each is a
 * route kind byte followed by the reply's frames, moved without copying. */
static void s_forward_answers(shoal_node_t *self)
{
    void *answers = zsock_resolve(self->answers);
    for (int i = 0; i < 10000; i++) {
        uint8_t kind = 0;
        if (zmq_recv(answers, &kind, 1, ZMQ_DONTWAIT) < 0)
            return;
        if (kind == SHOAL_ROUTE_GATE) {
            shoal_message_t message;
            /* [identity (empty)] [reply frames] */
            if (shoal_message_receive(&message, answers, 0) == 0) {
                if (message.count > 1)
                    shoal_gates_answered(self->gates, message.frames + 1,
                                         message.count - 1);
                shoal_message_close(&message);
            }
            continue;
        }
        if (shoal_message_forward_rest(
                answers, s_socket_of(self, (shoal_route_kind_t)kind)) < 0)
            self->replies_dropped++;
    }
}

/* Updates the commands-per-second figure about once a second. */
static void s_update_rate(shoal_node_t *self)
{
    int64_t now = zclock_mono();
    if (now - self->rate_at_ms < 1000)
        return;
    uint64_t count = 0;
    for (uint32_t i = 0; i < self->config->workers; i++)
        count += atomic_load(&self->worker_stats[i].accepted) +
                 atomic_load(&self->worker_stats[i].rejected);
    self->rate = (double)(count - self->rate_count) * 1000.0 /
                 (double)(now - self->rate_at_ms);
    self->rate_count = count;
    self->rate_at_ms = now;
}

/* One turn of the loop: waits up to timeout_ms, then serves what came. */
static void s_serve_once(shoal_node_t *self, int timeout_ms)
{
    zmq_pollitem_t items[] = {
        {zsock_resolve(self->client), 0, ZMQ_POLLIN, 0},
        {zsock_resolve(self->status), 0, ZMQ_POLLIN, 0},
        {zsock_resolve(self->answers), 0, ZMQ_POLLIN, 0},
        {zsock_resolve(self->internal), 0, ZMQ_POLLIN, 0},
    };
    timeout_ms = shoal_gates_wait_ms(self->gates, zclock_mono(), timeout_ms);
    if (zmq_poll(items, 4, timeout_ms) < 0)
        return; /* EINTR: the caller looks at its stop flag */
    if (items[2].revents & ZMQ_POLLIN)
        s_forward_answers(self);
    if (items[0].revents & ZMQ_POLLIN)
        s_serve_socket(self, self->client, 1000, s_handle_client);
    if (items[3].revents & ZMQ_POLLIN)
        s_serve_socket(self, self->internal, 1000, s_handle_internal);
    if (items[1].revents & ZMQ_POLLIN)
        s_serve_socket(self, self->status, 100, s_handle_status);
    shoal_gates_expire(self->gates, zclock_mono());
    s_update_rate(self);
}

void shoal_node_run(shoal_node_t *self, volatile sig_atomic_t *stop)
{
    shoal_log(SHOAL_LOG_INFO,
              "serving %zu types on %s, status on %s, %u "
              "shards on %u workers",
              shoal_plugins_type_count(self->plugins), self->client_endpoint,
              self->status_endpoint, (unsigned)self->config->shards,
              (unsigned)self->config->workers);
    while (!*stop)
        s_serve_once(self, 200);
}

/* Lets the workers finish what is in flight, answering meanwhile. */
static void s_drain_workers(shoal_node_t *self)
{
    uint32_t workers = (uint32_t)self->config->workers;
    self->stopping = true;
    for (uint32_t i = 0; i < workers; i++)
        zstr_send(self->workers[i], "STOP");
    int64_t deadline = zclock_mono() + 30000;
    for (uint32_t i = 0; i < workers; i++) {
        while (!(zsock_events(zactor_sock(self->workers[i])) & ZMQ_POLLIN)) {
            if (zclock_mono() > deadline) {
                shoal_log(SHOAL_LOG_WARN,
                          "worker %u did not finish its "
                          "commands in flight within 30 s",
                          i);
                return;
            }
            s_serve_once(self, 10);
        }
        zsock_wait(self->workers[i]);
    }
    s_serve_once(self, 0);
}

void shoal_node_destroy(shoal_node_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_node_t *self = *self_p;
    zactor_destroy(&self->reactor);
    zsock_destroy(&self->reactor_requests);
    if (self->workers && self->client && self->status)
        s_drain_workers(self);
    for (uint32_t i = 0; self->readers && i < self->config->readers; i++)
        zactor_destroy(&self->readers[i]);
    zactor_destroy(&self->writer);
    for (uint32_t i = 0; self->workers && i < self->config->workers; i++) {
        zactor_destroy(&self->workers[i]);
        zsock_destroy(&self->worker_inboxes[i]);
    }
    shoal_gates_destroy(&self->gates);
    zsock_destroy(&self->internal);
    zsock_destroy(&self->answers);
    zsock_destroy(&self->client);
    zsock_destroy(&self->status);
    for (uint32_t i = 0; self->reader_journals && i < self->config->readers;
         i++)
        shoal_journal_close(&self->reader_journals[i]);
    free(self->reader_journals);
    free(self->reader_args);
    free(self->readers);
    shoal_journal_close(&self->journal);
    shoal_plugins_destroy(&self->plugins);
    free(self->workers);
    free(self->worker_inboxes);
    free(self->worker_args);
    free(self->worker_stats);
    free(self->type_names);
    free(self->journal_path);
    free(self->reactor_args.error);
    if (self->reactor_args.stats) {
        free(self->reactor_stats.json);
        free(self->reactor_stats.metrics);
        pthread_mutex_destroy(&self->reactor_stats.lock);
    }
    free(self->client_endpoint);
    free(self->status_endpoint);
    free(self);
    *self_p = NULL;
}
