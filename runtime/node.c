/*
 * runtime/node.c - the node's main thread: start-up, the loop that routes
 * requests from the two ROUTER sockets to the workers and answers back to
 * the peers, and the orderly shutdown.
 */
#include "actors/keymap.h"
#include "cluster/shard.h"
#include "runtime/log.h"
#include "runtime/node_internal.h"
#include "runtime/pipes.h"
#include "shoal/shoal.h"

#include <errno.h>
#include <sys/stat.h>

/* Messages ZeroMQ queues per peer: replies out and requests in on the
 * client port, both ways on the status socket (docs/ARCHITECTURE.md,
 * "Overload"). */
#define S_CLIENT_SNDHWM 100000
#define S_CLIENT_RCVHWM 10000
#define S_STATUS_HWM 1000

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
    self->writer_args.fence = self->fence;
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
            .owner_label = self->owner_label,
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

/* Binds a ROUTER, secured by security unless it is NULL, with the given
 * high-water marks, and returns it with its resolved endpoint in *resolved
 * (malloc'd). Returns NULL with *error set when the bind fails. The ROUTER
 * is mandatory: a reply to a peer that is gone or whose queue is full
 * fails, so it is counted, and every send on it is ZMQ_DONTWAIT. */
static zsock_t *s_bind_router(const char *endpoint, const char *what,
                              shoal_security_t *security, int sndhwm,
                              int rcvhwm, char **resolved, char **error)
{
    zsock_t *socket = zsock_new(ZMQ_ROUTER);
    zsock_set_linger(socket, 0);
    zsock_set_sndhwm(socket, sndhwm);
    zsock_set_rcvhwm(socket, rcvhwm);
    zsock_set_router_mandatory(socket, 1);
    if (security &&
        shoal_security_secure(security, socket, SHOAL_SECURITY_CLIENT_DOMAIN,
                              what, error) < 0) {
        zsock_destroy(&socket);
        return NULL;
    }
    if (zsock_bind(socket, "%s", endpoint) < 0) {
        s_error(error, "%s %s: cannot bind: %s", what, endpoint,
                zmq_strerror(zmq_errno()));
        zsock_destroy(&socket);
        return NULL;
    }
    *resolved = zsock_last_endpoint(socket);
    return socket;
}

/* Fills the label the owner frame names this node by: its member name
 * ("-" when the name is not one) and its client endpoint. Before the
 * loop runs, so before any request reaches a worker. */
static void s_name_owner(shoal_node_t *self)
{
    const char *name = self->config->node_name;
    snprintf(self->owner_label, sizeof self->owner_label, "%s %s",
             shoal_member_name_is_valid(name) ? name : "-",
             self->client_endpoint);
}

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
    bool started = shoal_security_start(&self->security, config, error) == 0 &&
                   s_load_plugins(self, error) == 0 &&
                   s_open_journal(self, heads, error) == 0;
    if (started)
        started = shoal__node_start_edge(self, error) == 0;
    if (started) {
        /* A cluster member writes a shard once a table gives it. */
        self->fence = shoal_shard_fence_new((uint32_t)config->shards,
                                            !*config->cluster_endpoint);
        started = self->fence != NULL;
        if (!started)
            s_error(error, "out of memory");
    }
    if (started) {
        s_start_threads(self, heads);
        started = s_start_reactor(self, error) == 0;
    }
    if (started) {
        self->client = s_bind_router(
            config->endpoint, "client port", &self->security, S_CLIENT_SNDHWM,
            S_CLIENT_RCVHWM, &self->client_endpoint, error);
        self->status =
            self->client
                ? s_bind_router(config->status_endpoint, "status socket", NULL,
                                S_STATUS_HWM, S_STATUS_HWM,
                                &self->status_endpoint, error)
                : NULL;
        started = self->client && self->status &&
                  shoal__node_start_cluster(self, error) == 0;
    }
    if (started)
        s_name_owner(self);
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
        if (kind == SHOAL_ROUTE_CONTROL) {
            void *pointer;
            if (shoal_pipe_receive(self->answers, &pointer, 0) ==
                SHOAL_PIPE_HANDOFF)
                shoal__node_on_handoff(self, pointer);
            continue;
        }
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
                answers,
                shoal__node_socket_of(self, (shoal_route_kind_t)kind)) < 0)
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
    zmq_pollitem_t items[7] = {
        {zsock_resolve(self->client), 0, ZMQ_POLLIN, 0},
        {zsock_resolve(self->status), 0, ZMQ_POLLIN, 0},
        {zsock_resolve(self->answers), 0, ZMQ_POLLIN, 0},
        {zsock_resolve(self->internal), 0, ZMQ_POLLIN, 0},
    };
    int count = 4;
    bool cluster = self->peer && self->forward && self->cluster_views;
    if (cluster) {
        items[count++] =
            (zmq_pollitem_t){zsock_resolve(self->peer), 0, ZMQ_POLLIN, 0};
        items[count++] =
            (zmq_pollitem_t){zsock_resolve(self->forward), 0, ZMQ_POLLIN, 0};
        items[count++] = (zmq_pollitem_t){zsock_resolve(self->cluster_views), 0,
                                          ZMQ_POLLIN, 0};
        if (timeout_ms > 50)
            timeout_ms = 50; /* forwards expire on time */
    }
    timeout_ms = shoal_gates_wait_ms(self->gates, zclock_mono(), timeout_ms);
    if (zmq_poll(items, count, timeout_ms) < 0)
        return; /* EINTR: the caller looks at its stop flag */
    if (cluster) {
        if (items[6].revents & ZMQ_POLLIN)
            shoal__node_take_views(self);
        if (items[5].revents & ZMQ_POLLIN)
            shoal__node_take_forward_replies(self);
        if (items[4].revents & ZMQ_POLLIN)
            s_serve_socket(self, self->peer, 1000, shoal__node_handle_peer);
        shoal__node_expire_forwards(self, zclock_mono());
    }
    if (items[2].revents & ZMQ_POLLIN)
        s_forward_answers(self);
    if (items[0].revents & ZMQ_POLLIN)
        s_serve_socket(self, self->client, 1000, shoal__node_handle_client);
    if (items[3].revents & ZMQ_POLLIN)
        s_serve_socket(self, self->internal, 1000, shoal__node_handle_internal);
    if (items[1].revents & ZMQ_POLLIN)
        s_serve_socket(self, self->status, 100, shoal__node_handle_status);
    shoal_gates_expire(self->gates, zclock_mono());
    s_update_rate(self);
}

/* A cluster member asked to stop leaves gracefully first: it hands its
 * shards over, and stops once the cluster has removed it (or after two
 * minutes, or at once when no other member is up to take them). Returns
 * whether it is still leaving. */
static bool s_leaving(shoal_node_t *self)
{
    /* Nobody else up (all leaving or down, or stopped together): there is
     * no one to hand the shards to; they wait in the journal. */
    if (!self->cluster || !self->view || self->view->others_up == 0)
        return false;
    if (!self->leaving) {
        self->leaving = true;
        self->leave_deadline = zclock_mono() + 120000;
        shoal_log(SHOAL_LOG_INFO,
                  "leaving the cluster: handing the shards over first");
        zstr_send(self->cluster, "LEAVE");
        return true;
    }
    if (self->view->removed) {
        shoal_log(SHOAL_LOG_INFO, "left the cluster");
        return false;
    }
    if (zclock_mono() > self->leave_deadline) {
        shoal_log(SHOAL_LOG_WARN, "leaving the cluster took more than two "
                                  "minutes; stopping with shards still here");
        return false;
    }
    return true;
}

void shoal_node_run(shoal_node_t *self, volatile sig_atomic_t *stop)
{
    shoal_log(SHOAL_LOG_INFO,
              "serving %zu types on %s, status on %s, %u "
              "shards on %u workers",
              shoal_plugins_type_count(self->plugins), self->client_endpoint,
              self->status_endpoint, (unsigned)self->config->shards,
              (unsigned)self->config->workers);
    while (!self->fatal) {
        if ((*stop || self->leave_asked) && !s_leaving(self))
            break;
        s_serve_once(self, 200);
    }
    if (self->fatal)
        shoal_log(SHOAL_LOG_ERROR, "stopping: %s", self->fatal);
}

const char *shoal_node_fatal(const shoal_node_t *self)
{
    return self->fatal;
}

const char *shoal_node_cluster_endpoint(const shoal_node_t *self)
{
    return self->peer_endpoint;
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
    shoal__node_stop_cluster(self);
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
    shoal_security_stop(&self->security);
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
    shoal_shard_fence_destroy(&self->fence);
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
    free(self->fatal);
    free(self);
    *self_p = NULL;
}
