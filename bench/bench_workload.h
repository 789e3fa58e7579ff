/*
 * bench/bench_workload.h - the workloads of the benchmark issue, and what
 * they share.
 *
 *   W1, W2  bench_persisted.c  persisted commands/s; latency at half load
 *                              and with one command in flight
 *   W3      bench_ask.c        commands that emit no events
 *   W4      bench_recovery.c   restart and recovery of a journal
 *   W5      bench_memory.c     resident bytes per idle entity
 *   W6      bench_cluster.c    W1's load on a cluster of three nodes
 *
 * Each runner starts its own nodes in folders under the run's work_dir,
 * measures its raw limits while no node runs, adds its rows (and a
 * failure row when it cannot finish) and details to the report, and
 * stops every node it started before it returns. Returns 0, or -1 when
 * some figure could not be measured.
 */
#ifndef SHOAL_BENCH_WORKLOAD_H
#define SHOAL_BENCH_WORKLOAD_H

#include "bench.h"
#include "bench_load.h"
#include "bench_node.h"
#include "bench_report.h"

/* How long a node may take to start, and to stop after SIGTERM. */
#define BENCH_NODE_START_TIMEOUT_MS 60000
#define BENCH_NODE_STOP_TIMEOUT_MS 60000

/* The longest wait for any one reply before the harness calls it lost. */
#define BENCH_REPLY_TIMEOUT_MS 30000

int bench_run_persisted(const bench_context_t *context, bench_report_t *report);
int bench_run_ask(const bench_context_t *context, bench_report_t *report);
int bench_run_recovery(const bench_context_t *context, bench_report_t *report);
int bench_run_memory(const bench_context_t *context, bench_report_t *report);
/* Reads W1's figure from the report, so it runs after W1. */
int bench_run_cluster(const bench_context_t *context, bench_report_t *report);

/* Starts a node in folder `name` under the run's work_dir, loading the
 * plugin at plugin_path, with the settings in args (NULL-terminated) plus
 * --workers when the run sets it. Returns the node or NULL. *dir_p, when
 * not NULL, receives the folder's path (the caller's, free()). */
bench_node_t *bench_start_node(const bench_context_t *context, const char *name,
                               const char *plugin_path,
                               const char *const args[], char **dir_p);

/* The path of an example plugin: <plugin_dir>/<name>/<name>.so, in buffer. */
const char *bench_example_plugin(const bench_context_t *context,
                                 const char *name, char *buffer, size_t size);

/* Stops a node and reports a non-zero exit as a failure row. When the
 * workload failed, first prints the node's status and stderr. Returns 0
 * or -1. */
int bench_stop_node(bench_node_t **node_p, bench_report_t *report,
                    const char *workload, bool workload_failed);

/* A closed-loop spec over target with the profile's clients and window. */
bench_closed_spec_t bench_closed_spec(const bench_context_t *context,
                                      const bench_target_t *target);

/* Outcomes as a JSON object. */
json_t *bench_outcomes_json(const bench_outcomes_t *outcomes);

/* Latency as a JSON object, in microseconds. */
json_t *bench_latency_json(const bench_latency_t *latency);

#endif
