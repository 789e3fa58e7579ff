/*
 * runtime/writer.c - the journal writer thread: group commit.
 *
 * One thread owns the writable connection. It blocks until an append
 * arrives, takes whatever else is already queued (up to max_batch), and
 * commits them all in one transaction: one fsync for the batch in the
 * default durability. Under load, batches grow by themselves while the
 * previous commit is on disk.
 *
 * Each transaction also carries a slice of the entity-directory
 * checkpoint in progress (runtime/heads_checkpoint.h), so checkpoints
 * cost every commit a little instead of stalling one a lot.
 */
#include "actors/messages.h"
#include "runtime/heads_checkpoint.h"
#include "runtime/journal_threads.h"
#include "runtime/log.h"
#include "runtime/pipes.h"

#include <pthread.h>
#include <time.h>

/* Fewest heads saved per group commit while a checkpoint is in progress. */
#define S_HEADS_PER_COMMIT 16

/* Heads saved per transaction of its own, when no commands wait. */
#define S_HEADS_WHEN_IDLE 4096

typedef struct {
    shoal_writer_args_t *args;
    zsock_t *input;
    zsock_t **workers;
    shoal_heads_checkpoint_t *checkpoint;
    shoal_journal_totals_t totals;
    int64_t last_pos;
    int64_t last_checkpoint_ms;
    int64_t slice_failed_ms; /* 0, or when the last slice failed */
    shoal_append_t **batch;
} s_writer_t;

/* Monotonic clock in microseconds. */
static int64_t s_now_us(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

/* Writes the batch, and a slice of the checkpoint in progress, in one
 * transaction. Returns 0, or -1 with *error (rolled back). */
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
        if (rc < 0)
            goto out_rollback;
    }
    /* Half as many heads as entries: a checkpoint never more than about
     * doubles a commit's cost, and a small batch stays small. */
    size_t slice =
        count / 2 < S_HEADS_PER_COMMIT ? S_HEADS_PER_COMMIT : count / 2;
    if (shoal_heads_checkpoint_write(self->checkpoint, journal, slice, error) <
        0)
        goto out_rollback;
    if (shoal_journal_commit(journal, error) < 0) {
        shoal_heads_checkpoint_rolled_back(self->checkpoint);
        return -1;
    }
    shoal_heads_checkpoint_committed(self->checkpoint);
    return 0;

out_rollback:
    shoal_journal_rollback(journal);
    shoal_heads_checkpoint_rolled_back(self->checkpoint);
    return -1;
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
        shoal_heads_checkpoint_note(self->checkpoint, append->entity_key,
                                    entry->pos);
        self->totals.entries++;
        self->totals.events += entry->event_count;
        self->totals.bytes += entry->events_size + entry->reply_size;
        self->last_pos = entry->pos;
    }
    atomic_store(&stats->entries, self->totals.entries);
    atomic_store(&stats->events, self->totals.events);
    atomic_store(&stats->bytes, self->totals.bytes);
}

/* Hands an append back to its worker. */
static void s_hand_back(s_writer_t *self, shoal_append_t *append)
{
    int sent = shoal_pipe_send(self->workers[append->worker], SHOAL_PIPE_APPEND,
                               append, 0);
    assert(sent == 0); /* blocking send to our own thread */
    (void)sent;
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
        atomic_store(&stats->last_pos, self->last_pos);
        atomic_store(&stats->last_commit_size, count);
        atomic_store(&stats->last_commit_latency_us, (uint64_t)latency);
        if ((uint64_t)latency > atomic_load(&stats->max_commit_latency_us))
            atomic_store(&stats->max_commit_latency_us, (uint64_t)latency);
        if (latency >= SHOAL_SLOW_COMMIT_US) {
            atomic_fetch_add(&stats->slow_commits, 1);
            shoal_log(latency >= 10 * SHOAL_SLOW_COMMIT_US ? SHOAL_LOG_WARN
                                                           : SHOAL_LOG_DEBUG,
                      "journal: a group commit of %zu appends took %lld ms "
                      "(the disk, or the machine, was slow)",
                      count, (long long)(latency / 1000));
        }
    } else {
        atomic_fetch_add(&stats->failures, 1);
        shoal_log(SHOAL_LOG_ERROR,
                  "journal: group commit of %zu appends failed: %s", count,
                  error ? error : "unknown error");
    }
    for (size_t i = 0; i < count; i++) {
        shoal_append_t *append = self->batch[i];
        if (rc < 0)
            append->error = strdup(error ? error : "journal write failed");
        s_hand_back(self, append);
    }
    free(error);
}

/* Saves a slice of the checkpoint in progress in a transaction of its own
 * (when no appends are waiting). Returns 0, or -1 when it failed (it is
 * retried after checkpoint_ms). */
static int s_checkpoint_slice(s_writer_t *self, size_t max)
{
    shoal_journal_t *journal = self->args->journal;
    char *error = NULL;
    if (shoal_journal_begin(journal, &error) < 0)
        goto out_failed;
    if (shoal_heads_checkpoint_write(self->checkpoint, journal, max, &error) <
        0) {
        shoal_journal_rollback(journal);
        shoal_heads_checkpoint_rolled_back(self->checkpoint);
        goto out_failed;
    }
    if (shoal_journal_commit(journal, &error) < 0) {
        shoal_heads_checkpoint_rolled_back(self->checkpoint);
        goto out_failed;
    }
    if (shoal_heads_checkpoint_committed(self->checkpoint)) {
        atomic_fetch_add(&self->args->stats->checkpoints, 1);
        shoal_log(SHOAL_LOG_DEBUG, "journal: directory checkpointed at %lld",
                  (long long)self->last_pos);
    }
    return 0;

out_failed:
    shoal_log(SHOAL_LOG_WARN, "journal: checkpoint failed (retried later): %s",
              error ? error : "unknown error");
    free(error);
    self->slice_failed_ms = zclock_mono();
    return -1;
}

/* True when an idle slice may run now: one is in progress and the last
 * attempt did not fail within checkpoint_ms. */
static bool s_slice_ready(const s_writer_t *self)
{
    return shoal_heads_checkpoint_busy(self->checkpoint) &&
           (self->slice_failed_ms == 0 ||
            zclock_mono() - self->slice_failed_ms >= self->args->checkpoint_ms);
}

/* Hands back, unwritten and fenced, the appends of the batch whose shard
 * this node does not own at their epoch, and keeps the others in order.
 * Returns how many are kept. */
static size_t s_refuse_fenced(s_writer_t *self, size_t count)
{
    const shoal_shard_fence_t *fence = self->args->fence;
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        shoal_append_t *append = self->batch[i];
        if (shoal_shard_fence_admits(fence, append->shard, append->epoch)) {
            self->batch[kept++] = append;
            continue;
        }
        uint64_t since = shoal_shard_fence_since(fence, append->shard);
        char owned[48] = "";
        if (since != SHOAL_SHARD_FENCE_CLOSED)
            snprintf(owned, sizeof owned, " only since epoch %llu",
                     (unsigned long long)since);
        append->fenced = true;
        if (asprintf(&append->error,
                     "write of %s refused: this node %s shard %u%s, and the "
                     "write carries epoch %llu (the shard moved); resend the "
                     "command with the same command id",
                     append->entity_key, *owned ? "owns" : "does not own",
                     append->shard, owned,
                     (unsigned long long)append->epoch) < 0)
            append->error = NULL;
        atomic_fetch_add(&self->args->stats->fenced, 1);
        shoal_log(SHOAL_LOG_WARN, "journal: %s",
                  append->error ? append->error : "write fenced");
        s_hand_back(self, append);
    }
    return kept;
}

/* Takes whatever appends are queued, up to max_batch, refuses the fenced
 * ones and commits the others. Returns how many were taken. */
static size_t s_drain(s_writer_t *self)
{
    size_t count = 0;
    void *pointer;
    while (count < self->args->max_batch &&
           shoal_pipe_receive(self->input, &pointer, ZMQ_DONTWAIT) ==
               SHOAL_PIPE_APPEND)
        self->batch[count++] = pointer;
    if (count == 0)
        return 0;
    atomic_fetch_add(&self->args->stats->taken, count);
    size_t kept = s_refuse_fenced(self, count);
    if (kept > 0)
        s_commit_batch(self, kept);
    return count;
}

/* Starts a checkpoint when one is due, and when the writer is idle moves
 * the one in progress along in bigger slices. */
static void s_checkpoint_tick(s_writer_t *self, bool idle)
{
    if (zclock_mono() - self->last_checkpoint_ms >= self->args->checkpoint_ms &&
        shoal_heads_checkpoint_start(self->checkpoint, self->last_pos,
                                     &self->totals))
        self->last_checkpoint_ms = zclock_mono();
    if (idle && s_slice_ready(self))
        s_checkpoint_slice(self, S_HEADS_WHEN_IDLE);
}

/* At stop: finishes the checkpoint in progress, then checkpoints every
 * head still dirty, so that the next start scans nothing. Gives up at the
 * first failure (the next start then scans from the last checkpoint). */
static void s_checkpoint_all(s_writer_t *self)
{
    for (int round = 0; round < 2; round++) {
        while (shoal_heads_checkpoint_busy(self->checkpoint))
            if (s_checkpoint_slice(self, SIZE_MAX) < 0)
                return;
        if (!shoal_heads_checkpoint_start(self->checkpoint, self->last_pos,
                                          &self->totals))
            return;
    }
}

/* Creates the writer's sockets. */
static void s_setup(s_writer_t *self, shoal_writer_args_t *args)
{
    char endpoint[128];
    shoal_pipe_endpoint(endpoint, sizeof endpoint, args->node, "journal", -1);
    self->input = zsock_new(ZMQ_PULL);
    zsock_set_rcvhwm(self->input, 0);
    int bound = zsock_bind(self->input, "%s", endpoint);
    assert(bound == 0);
    (void)bound;
    self->workers = calloc(args->workers, sizeof *self->workers);
    for (uint32_t i = 0; i < args->workers; i++) {
        shoal_pipe_endpoint(endpoint, sizeof endpoint, args->node, "worker",
                            (int)i);
        self->workers[i] = zsock_new(ZMQ_PUSH);
        zsock_set_sndhwm(self->workers[i], 0);
        zsock_connect(self->workers[i], "%s", endpoint);
    }
    self->checkpoint = shoal_heads_checkpoint_new();
    assert(self->checkpoint);
    self->batch = calloc(args->max_batch, sizeof *self->batch);
    self->last_checkpoint_ms = zclock_mono();
    atomic_store(&args->stats->entries, self->totals.entries);
    atomic_store(&args->stats->events, self->totals.events);
    atomic_store(&args->stats->bytes, self->totals.bytes);
}

void shoal_writer_actor(zsock_t *pipe, void *raw_args)
{
    shoal_writer_args_t *args = raw_args;
    s_writer_t self = {
        .args = args, .totals = args->totals, .last_pos = args->last_pos};
    pthread_setname_np(pthread_self(), "shoal-writer");
    s_setup(&self, args);
    zsock_signal(pipe, 0);

    zmq_pollitem_t items[] = {
        {zsock_resolve(pipe), 0, ZMQ_POLLIN, 0},
        {zsock_resolve(self.input), 0, ZMQ_POLLIN, 0},
    };
    while (true) {
        long timeout = s_slice_ready(&self) ? 0 : (long)args->checkpoint_ms;
        if (zmq_poll(items, 2, timeout) < 0 && errno != EINTR)
            break;
        if (items[0].revents & ZMQ_POLLIN) {
            char *command = zstr_recv(pipe);
            bool stop = !command || streq(command, "$TERM");
            zstr_free(&command);
            if (stop)
                break;
        }
        size_t drained = 0;
        if (items[1].revents & ZMQ_POLLIN)
            drained = s_drain(&self);
        s_checkpoint_tick(&self, drained == 0);
    }
    /* A last, whole checkpoint: the next start scans nothing. */
    while (s_drain(&self) > 0)
        ;
    s_checkpoint_all(&self);
    shoal_heads_checkpoint_destroy(&self.checkpoint);
    free(self.batch);
    for (uint32_t i = 0; i < args->workers; i++)
        zsock_destroy(&self.workers[i]);
    free(self.workers);
    zsock_destroy(&self.input);
}
