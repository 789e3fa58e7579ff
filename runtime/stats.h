/*
 * runtime/stats.h - the figures the status socket reports. Each field is
 * written by one thread and read by the main thread; all are atomics, the
 * only mutable memory threads share.
 */
#ifndef SHOAL_RUNTIME_STATS_H
#define SHOAL_RUNTIME_STATS_H

#include <stdatomic.h>
#include <stdint.h>

/* A group commit this long or longer counts as slow (status
 * journal.slow_commits), in microseconds. */
#define SHOAL_SLOW_COMMIT_US 100000

/* One worker's figures. inbox_sent is written by the main thread, the rest
 * by the worker. */
typedef struct {
    _Atomic uint64_t inbox_sent, inbox_taken;
    _Atomic uint64_t accepted, rejected, errors, busy, duplicates;
    _Atomic uint64_t recoveries, passivations, snapshots;
    _Atomic uint64_t resident, stashed, known;
} shoal_worker_stats_t;

/* The journal writer's figures. submitted is written by the workers
 * (fetch-add), the rest by the writer. */
typedef struct {
    _Atomic uint64_t submitted, taken;
    _Atomic uint64_t entries, events, bytes, commits, failures;
    _Atomic uint64_t last_commit_size, last_commit_latency_us;
    _Atomic uint64_t max_commit_latency_us; /* the slowest since start */
    _Atomic uint64_t slow_commits; /* group commits of SHOAL_SLOW_COMMIT_US
                                      or more since start */
    _Atomic uint64_t checkpoints;
    _Atomic uint64_t fenced;  /* writes refused: shard not owned at their
                                 epoch (runtime/shard_fence.h) */
    _Atomic int64_t last_pos; /* of the last entry committed */
} shoal_journal_stats_t;

#endif
