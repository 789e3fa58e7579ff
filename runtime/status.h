/*
 * runtime/status.h - rendering the node's figures for the status socket:
 * the `status` JSON document and the `metrics` Prometheus text.
 */
#ifndef SHOAL_RUNTIME_STATUS_H
#define SHOAL_RUNTIME_STATUS_H

#include "runtime/gates.h"
#include "runtime/stats.h"

#include <stdbool.h>

#include <stddef.h>

/* Everything the two renderings need; borrowed. */
typedef struct {
    const char *node_name;
    const char *version;
    int64_t uptime_s;
    const char *const *types;
    size_t type_count;
    uint32_t shards;
    uint32_t workers;
    shoal_worker_stats_t *worker_stats; /* workers entries */
    shoal_journal_stats_t *journal_stats;
    const char *durability;
    double commands_per_second;
    uint64_t busy_at_dispatch; /* busy answers not counted by a worker */
    uint64_t replies_dropped;  /* peer gone, or its queue full */
    const shoal_gates_counters_t *gates;
    size_t gates_waiting;
    int64_t clock_ms;
    bool manual_clock;
    const char *reactor_json; /* policies, topics, timers; or NULL */
    const char *cluster_json; /* the cluster object, or NULL */
    uint64_t forwarded, forwards_expired, forwards_refused;
    size_t parked;         /* requests waiting for shards handed over */
    int64_t handoff_shard; /* -1: none */
    const char *handoff_to, *handoff_phase;
    int64_t receiving_shard;     /* -1: none */
    const char *reactor_metrics; /* their Prometheus lines; or NULL */
} shoal_status_input_t;

/* Returns the `status` JSON document (malloc'd, the caller frees), or
 * NULL when out of memory. */
char *shoal_status_json(const shoal_status_input_t *input);

/* Returns the `metrics` text in the Prometheus exposition format 0.0.4
 * (malloc'd, the caller frees), or NULL when out of memory. */
char *shoal_status_metrics(const shoal_status_input_t *input);

#endif
