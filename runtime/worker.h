/*
 * runtime/worker.h - a worker thread: the home of the entities of the
 * shards pinned to it. It receives requests from the main thread and
 * appends and recoveries handed back by the journal threads, all on one
 * inbox, and runs them through its entities (actors/entities.h).
 */
#ifndef SHOAL_RUNTIME_WORKER_H
#define SHOAL_RUNTIME_WORKER_H

#include "actors/keymap.h"
#include "runtime/clock.h"
#include "runtime/config.h"
#include "runtime/stats.h"

#include <czmq.h>

typedef struct {
    const void *node; /* names the inproc endpoints */
    uint32_t index;
    const shoal_config_t *config; /* borrowed, read-only */
    shoal_clock_t *clock;         /* the node's, shared */
    shoal_worker_stats_t *stats;
    shoal_journal_stats_t *journal_stats;
    shoal_keymap_t *heads;   /* the directory of this worker's shards; taken */
    const char *owner_label; /* "MEMBER CLIENT_ENDPOINT" of this node, for
                                the owner frame; the node fills it before
                                any request reaches a worker */
} shoal_worker_args_t;

/* The worker actor. Commands on its pipe: "STOP" starts the shutdown (the
 * worker signals once nothing it gave out is still pending); "$TERM" ends
 * it. args is a shoal_worker_args_t, borrowed except heads. */
void shoal_worker_actor(zsock_t *pipe, void *args);

#endif
