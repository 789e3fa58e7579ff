/*
 * actors/recovery_load.c - the recovery load (see messages.h): reads the
 * snapshot of each recovering entity, then walks the entities' chains
 * back from their heads together, one level at a time. Each level reads
 * the next entry of every chain still walking with one pass over the
 * journal in position order (shoal_journal_read_entries), instead of one
 * statement per entry; the entries' bytes go to each recovery's arena.
 */
#include "actors/messages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One chain still walking: its recovery and the position to read next. */
typedef struct {
    int64_t pos;
    size_t index; /* into the batch */
} s_step_t;

/* The state of one batch's load. */
typedef struct {
    shoal_recovery_t *const *batch;
    size_t count;
    int64_t *stop;   /* per recovery: the snapshot's pos, or 0 */
    int64_t *next;   /* per recovery: the next pos, <= stop when done */
    s_step_t *steps; /* this level's steps, sorted by pos */
    int64_t *wanted; /* this level's distinct positions, ascending */
    bool *found;     /* per step: its entry was read */
    size_t step_count;
} s_load_t;

/* Marks a recovery failed with a formatted message; its chain stops. */
static void s_fail(s_load_t *self, size_t index, const char *message)
{
    shoal_recovery_t *recovery = self->batch[index];
    self->next[index] = self->stop[index];
    if (recovery->error)
        return;
    recovery->error = strdup(message);
    if (!recovery->error) /* out of memory: say so, statically */
        recovery->error = strdup("recovery failed: out of memory");
}

/* Fails a recovery whose chain does not lead on from pos. */
static void s_fail_broken(s_load_t *self, size_t index, int64_t pos)
{
    char message[512];
    snprintf(message, sizeof message,
             "journal chain of %.400s is broken at pos %lld",
             self->batch[index]->key, (long long)pos);
    s_fail(self, index, message);
}

static int s_compare_steps(const void *a, const void *b)
{
    const s_step_t *x = a, *y = b;
    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Returns the first step at pos, or step_count when none is. */
static size_t s_first_step_at(const s_load_t *self, int64_t pos)
{
    size_t low = 0, high = self->step_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (self->steps[middle].pos < pos)
            low = middle + 1;
        else
            high = middle;
    }
    return low < self->step_count && self->steps[low].pos == pos
               ? low
               : self->step_count;
}

/* Takes an entry read at this level into every chain that asked for it. */
static void s_take(const shoal_journal_entry_t *entry, void *arg)
{
    s_load_t *self = arg;
    for (size_t at = s_first_step_at(self, entry->pos);
         at < self->step_count && self->steps[at].pos == entry->pos; at++) {
        size_t index = self->steps[at].index;
        shoal_recovery_t *recovery = self->batch[index];
        self->found[at] = true;
        if (strcmp(entry->entity, recovery->key) != 0 ||
            entry->prev_pos >= entry->pos) {
            s_fail_broken(self, index, entry->pos);
            continue;
        }
        if (shoal_recovery_push_entry(recovery, entry) < 0) {
            s_fail(self, index, "recovery failed: out of memory");
            continue;
        }
        self->next[index] = entry->prev_pos;
    }
}

/* Reads the next entry of every chain still walking. Returns the number
 * of chains that were, 0 when all are done. */
static size_t s_read_level(s_load_t *self, shoal_journal_t *journal)
{
    self->step_count = 0;
    for (size_t i = 0; i < self->count; i++)
        if (self->next[i] > self->stop[i])
            self->steps[self->step_count++] =
                (s_step_t){.pos = self->next[i], .index = i};
    if (self->step_count == 0)
        return 0;
    qsort(self->steps, self->step_count, sizeof *self->steps, s_compare_steps);
    size_t wanted = 0;
    for (size_t at = 0; at < self->step_count; at++) {
        self->found[at] = false;
        if (wanted == 0 || self->wanted[wanted - 1] != self->steps[at].pos)
            self->wanted[wanted++] = self->steps[at].pos;
    }
    char *error = NULL;
    int read = shoal_journal_read_entries(journal, self->wanted, wanted, s_take,
                                          self, &error);
    size_t walking = self->step_count;
    for (size_t at = 0; at < self->step_count; at++) {
        size_t index = self->steps[at].index;
        if (read < 0)
            s_fail(self, index, error ? error : "cannot read entries");
        else if (!self->found[at])
            s_fail_broken(self, index, self->steps[at].pos);
    }
    free(error);
    return walking;
}

/* Reads the snapshot of one recovery and sets where its chain stops.
 * Returns 0, or -1 when the recovery failed. */
static int s_start(s_load_t *self, size_t index, shoal_journal_t *journal)
{
    shoal_recovery_t *recovery = self->batch[index];
    shoal_recovery_clear_results(recovery);
    self->stop[index] = self->next[index] = 0;
    int found = recovery->ignore_snapshot
                    ? 0
                    : shoal_journal_read_snapshot(journal, recovery->key,
                                                  &recovery->snapshot,
                                                  &recovery->error);
    if (found < 0)
        return -1;
    recovery->has_snapshot = found == 1;
    self->stop[index] = recovery->has_snapshot ? recovery->snapshot.pos : 0;
    self->next[index] = recovery->head_pos;
    return 0;
}

/* Ends one recovery: its entries forwards, or no results on failure. */
static void s_finish(shoal_recovery_t *recovery)
{
    if (recovery->error) {
        char *error = recovery->error;
        recovery->error = NULL;
        shoal_recovery_clear_results(recovery);
        recovery->error = error;
        return;
    }
    /* The chain was walked backwards; the fold needs it forwards. */
    shoal_journal_entry_t *entries = recovery->entries;
    for (size_t i = 0, j = recovery->entry_count; i + 1 < j--; i++) {
        shoal_journal_entry_t swap = entries[i];
        entries[i] = entries[j];
        entries[j] = swap;
    }
}

void shoal_recovery_load_batch(shoal_recovery_t *const *batch, size_t count,
                               shoal_journal_t *journal)
{
    if (count == 0)
        return;
    s_load_t load = {.batch = batch, .count = count};
    load.stop = malloc(count * sizeof *load.stop);
    load.next = malloc(count * sizeof *load.next);
    load.steps = malloc(count * sizeof *load.steps);
    load.wanted = malloc(count * sizeof *load.wanted);
    load.found = malloc(count * sizeof *load.found);
    if (!load.stop || !load.next || !load.steps || !load.wanted ||
        !load.found) {
        for (size_t i = 0; i < count; i++) {
            shoal_recovery_clear_results(batch[i]);
            batch[i]->error = strdup("recovery failed: out of memory");
        }
        goto out_free;
    }
    for (size_t i = 0; i < count; i++)
        s_start(&load, i, journal);
    while (s_read_level(&load, journal) > 0)
        ;
    for (size_t i = 0; i < count; i++)
        s_finish(batch[i]);

out_free:
    free(load.found);
    free(load.wanted);
    free(load.steps);
    free(load.next);
    free(load.stop);
}

void shoal_recovery_load(shoal_recovery_t *recovery, shoal_journal_t *journal)
{
    shoal_recovery_load_batch(&recovery, 1, journal);
}
