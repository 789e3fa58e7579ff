/*
 * runtime/journal_threads.h - the two threads around the journal: the
 * writer, which group-commits the appends of all workers, and the reader,
 * which loads recoveries. Both are CZMQ actors: they signal once ready and
 * stop on $TERM.
 */
#ifndef SHOAL_RUNTIME_JOURNAL_THREADS_H
#define SHOAL_RUNTIME_JOURNAL_THREADS_H

#include "persistence/journal.h"
#include "runtime/shard_fence.h"
#include "runtime/stats.h"

#include <czmq.h>

typedef struct {
    const void *node;         /* names the inproc endpoints */
    shoal_journal_t *journal; /* writable; used only by the writer */
    uint32_t workers;
    size_t max_batch;
    int64_t checkpoint_ms;
    shoal_journal_stats_t *stats;
    const shoal_shard_fence_t *fence; /* which writes are admitted */
    shoal_journal_totals_t totals;    /* as loaded at start */
    int64_t last_pos;                 /* as loaded at start */
} shoal_writer_args_t;

/* The journal writer actor. It binds the journal endpoint, takes batches
 * of up to max_batch appends, refuses those the fence does not admit
 * (handed back unwritten, fenced, with an error naming the shard and the
 * epochs), commits the others as one transaction (the group commit), and
 * hands every append back to its worker, durable or with its error. It
 * checkpoints the entity directory every checkpoint_ms and when it stops. args
 * is a shoal_writer_args_t, borrowed. */
void shoal_writer_actor(zsock_t *pipe, void *args);

typedef struct {
    const void *node;
    shoal_journal_t *journal; /* read-only; used only by this reader */
    uint32_t index;           /* names its endpoint */
    uint32_t workers;
} shoal_reader_args_t;

/* A journal reader actor: binds its reader endpoint, loads each
 * recovery with its own read-only handle and hands it back to its
 * worker. args is a shoal_reader_args_t, borrowed. */
void shoal_reader_actor(zsock_t *pipe, void *args);

#endif
