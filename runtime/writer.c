/*
 * runtime/writer.c - the journal writer thread: group commit.
 *
 * One thread owns the writable connection. It blocks until an append
 * arrives, takes whatever else is already queued (up to max_batch), and
 * commits them all in one transaction: one fsync for the batch in the
 * default durability. Under load, batches grow by themselves while the
 * previous commit is on disk.
 */
#include "runtime/journal_threads.h"
#include "actors/keymap.h"
#include "actors/messages.h"
#include "runtime/log.h"
#include "runtime/pipes.h"

#include <time.h>

typedef struct {
    shoal_writer_args_t *args;
    zsock_t *input;
    zsock_t **workers;
    shoal_keymap_t *dirty_heads; /* key -> pos, not yet checkpointed */
    shoal_journal_totals_t totals;
    int64_t last_pos;
    int64_t last_checkpoint_ms;
    bool dirty_lost; /* a head could not be kept: never checkpoint */
    shoal_append_t **batch;
} s_writer_t;

/* Monotonic clock in microseconds. */
static int64_t s_now_us(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

/* Writes the batch in one transaction. Returns 0, or -1 with *error. */
static int s_write_batch(s_writer_t *self, size_t count, char **error)
{
    shoal_journal_t *journal = self->args->journal;
    if (shoal_journal_begin(journal, error) < 0)
        return -1;
    for (size_t i = 0; i < count; i++) {
        shoal_append_t *append = self->batch[i];
        int rc = append->is_snapshot
                     ? shoal_journal_save_snapshot(journal, append->entity_key,
                                                   &append->snapshot, error)
                     : shoal_journal_append(journal, &append->entry, error);
        if (rc < 0) {
            shoal_journal_rollback(journal);
            return -1;
        }
    }
    return shoal_journal_commit(journal, error);
}

/* Counts a committed batch into the totals and the dirty heads. */
static void s_account(s_writer_t *self, size_t count)
{
    shoal_journal_stats_t *stats = self->args->stats;
    for (size_t i = 0; i < count; i++) {
        shoal_append_t *append = self->batch[i];
        if (append->is_snapshot)
            continue;
        shoal_journal_entry_t *entry = &append->entry;
        if (shoal_keymap_put(self->dirty_heads, append->entity_key,
                             (uint64_t)entry->pos) < 0)
            self->dirty_lost = true; /* the next start scans further */
        self->totals.entries++;
        self->totals.events += entry->event_count;
        self->totals.bytes += entry->events_size + entry->reply_size;
        self->last_pos = entry->pos;
    }
    atomic_store(&stats->entries, self->totals.entries);
    atomic_store(&stats->events, self->totals.events);
    atomic_store(&stats->bytes, self->totals.bytes);
}

/* Commits one batch and hands every append back to its worker. */
static void s_commit_batch(s_writer_t *self, size_t count)
{
    shoal_journal_stats_t *stats = self->args->stats;
    int64_t started = s_now_us();
    char *error = NULL;
    int rc = s_write_batch(self, count, &error);
    int64_t latency = s_now_us() - started;
    if (rc == 0) {
        s_account(self, count);
        atomic_fetch_add(&stats->commits, 1);
        atomic_store(&stats->last_commit_size, count);
        atomic_store(&stats->last_commit_latency_us, (uint64_t)latency);
    } else {
        atomic_fetch_add(&stats->failures, 1);
        shoal_log(SHOAL_LOG_ERROR,
                  "journal: group commit of %zu appends "
                  "failed: %s",
                  count, error ? error : "unknown error");
    }
    for (size_t i = 0; i < count; i++) {
        shoal_append_t *append = self->batch[i];
        if (rc < 0)
            append->error = strdup(error ? error : "journal write failed");
        int sent = shoal_pipe_send(self->workers[append->worker],
                                   SHOAL_PIPE_APPEND, append, 0);
        assert(sent == 0); /* blocking send to our own thread */
        (void)sent;
    }
    free(error);
}

typedef struct {
    struct {
        const char *key;
        int64_t pos;
    } * items;
    size_t count;
} s_heads_t;

/* Adds one dirty head to the list to save. */
static void s_collect_head(const char *key, uint64_t pos, void *arg)
{
    s_heads_t *heads = arg;
    heads->items[heads->count].key = key;
    heads->items[heads->count].pos = (int64_t)pos;
    heads->count++;
}

/* Orders heads by key. */
static int s_compare_heads(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Saves the dirty heads and the totals as a checkpoint. */
static void s_checkpoint(s_writer_t *self)
{
    shoal_journal_t *journal = self->args->journal;
    char *error = NULL;
    if (shoal_journal_begin(journal, &error) < 0)
        goto out_failed;
    /* In key order, the heads table's B-tree is written page after page
     * rather than at random. */
    s_heads_t heads = {0};
    heads.items = malloc((shoal_keymap_size(self->dirty_heads) + 1) *
                         sizeof *heads.items);
    if (!heads.items) {
        shoal_journal_rollback(journal);
        error = strdup("out of memory");
        goto out_failed;
    }
    shoal_keymap_each(self->dirty_heads, s_collect_head, &heads);
    qsort(heads.items, heads.count, sizeof *heads.items, s_compare_heads);
    int rc = 0;
    for (size_t i = 0; i < heads.count && rc == 0; i++)
        rc = shoal_journal_save_head(journal, heads.items[i].key,
                                     heads.items[i].pos, &error);
    free(heads.items);
    /* Were a head lost to memory pressure, the checkpoint must not move
     * past it: the next start then scans the journal from the old one. */
    if (rc < 0 || (!self->dirty_lost &&
                   shoal_journal_save_checkpoint(journal, self->last_pos,
                                                 &self->totals, &error) < 0)) {
        shoal_journal_rollback(journal);
        goto out_failed;
    }
    if (shoal_journal_commit(journal, &error) < 0)
        goto out_failed;
    shoal_log(SHOAL_LOG_DEBUG,
              "journal: checkpointed %zu entity heads at "
              "pos %lld",
              shoal_keymap_size(self->dirty_heads), (long long)self->last_pos);
    /* A new map gives the memory of a burst back. */
    shoal_keymap_t *empty = shoal_keymap_new(true);
    if (empty) {
        shoal_keymap_destroy(&self->dirty_heads);
        self->dirty_heads = empty;
    }
    atomic_fetch_add(&self->args->stats->checkpoints, 1);
    return;

out_failed:
    shoal_log(SHOAL_LOG_WARN,
              "journal: checkpoint failed (retried later): "
              "%s",
              error ? error : "unknown error");
    free(error);
}

/* Takes whatever appends are queued, up to max_batch, and commits them. */
static void s_drain(s_writer_t *self)
{
    size_t count = 0;
    void *pointer;
    while (count < self->args->max_batch &&
           shoal_pipe_receive(self->input, &pointer, ZMQ_DONTWAIT) ==
               SHOAL_PIPE_APPEND)
        self->batch[count++] = pointer;
    if (count == 0)
        return;
    atomic_fetch_add(&self->args->stats->taken, count);
    s_commit_batch(self, count);
}

void shoal_writer_actor(zsock_t *pipe, void *raw_args)
{
    shoal_writer_args_t *args = raw_args;
    s_writer_t self = {
        .args = args, .totals = args->totals, .last_pos = args->last_pos};
    char endpoint[128];
    shoal_pipe_endpoint(endpoint, sizeof endpoint, args->node, "journal", -1);
    self.input = zsock_new(ZMQ_PULL);
    zsock_set_rcvhwm(self.input, 0);
    int bound = zsock_bind(self.input, "%s", endpoint);
    assert(bound == 0);
    (void)bound;
    self.workers = calloc(args->workers, sizeof *self.workers);
    for (uint32_t i = 0; i < args->workers; i++) {
        shoal_pipe_endpoint(endpoint, sizeof endpoint, args->node, "worker",
                            (int)i);
        self.workers[i] = zsock_new(ZMQ_PUSH);
        zsock_set_sndhwm(self.workers[i], 0);
        zsock_connect(self.workers[i], "%s", endpoint);
    }
    self.dirty_heads = shoal_keymap_new(true);
    assert(self.dirty_heads);
    self.batch = calloc(args->max_batch, sizeof *self.batch);
    self.last_checkpoint_ms = zclock_mono();
    atomic_store(&args->stats->entries, self.totals.entries);
    atomic_store(&args->stats->events, self.totals.events);
    atomic_store(&args->stats->bytes, self.totals.bytes);
    zsock_signal(pipe, 0);

    zmq_pollitem_t items[] = {
        {zsock_resolve(pipe), 0, ZMQ_POLLIN, 0},
        {zsock_resolve(self.input), 0, ZMQ_POLLIN, 0},
    };
    while (true) {
        if (zmq_poll(items, 2, args->checkpoint_ms) < 0 && errno != EINTR)
            break;
        if (items[0].revents & ZMQ_POLLIN) {
            char *command = zstr_recv(pipe);
            bool stop = !command || streq(command, "$TERM");
            zstr_free(&command);
            if (stop)
                break;
        }
        if (items[1].revents & ZMQ_POLLIN)
            s_drain(&self);
        if (shoal_keymap_size(self.dirty_heads) > 0 &&
            zclock_mono() - self.last_checkpoint_ms >= args->checkpoint_ms) {
            s_checkpoint(&self);
            self.last_checkpoint_ms = zclock_mono();
        }
    }
    s_drain(&self);
    if (shoal_keymap_size(self.dirty_heads) > 0)
        s_checkpoint(&self);
    shoal_keymap_destroy(&self.dirty_heads);
    free(self.batch);
    for (uint32_t i = 0; i < args->workers; i++)
        zsock_destroy(&self.workers[i]);
    free(self.workers);
    zsock_destroy(&self.input);
}
