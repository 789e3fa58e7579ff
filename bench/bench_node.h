/*
 * bench/bench_node.h - shoald processes for the benchmarks.
 *
 * A bench_node is one shoald started with posix_spawn on ephemeral ports
 * (tcp://127.0.0.1:*) with its journal in a folder of the caller's.
 * Starting waits for the readiness line `shoald ready client=EP
 * status=EP` (with ` cluster=EP` for a cluster member) and records how long it
 * took; the node's stderr goes to <dir>/shoald.stderr, whose tail is printed
 * when the node fails.
 *
 * Every node started here is kept in a registry that is emptied (SIGKILL
 * and reap) by bench_node_kill_all, at exit, on SIGINT/SIGTERM and on a
 * fatal signal of the harness: a run that fails never leaves a node.
 */
#ifndef SHOAL_BENCH_NODE_H
#define SHOAL_BENCH_NODE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct bench_node bench_node_t;

/* Starts `shoald` with args (NULL-terminated; the caller's settings and
 * plugins) plus the ephemeral endpoints and `--data-dir <dir>/data`, and
 * waits up to timeout_ms for the readiness line. Returns the node (the
 * caller's: bench_node_stop or bench_node_kill), or NULL when it could not
 * start (the reason and the node's stderr are printed). */
bench_node_t *bench_node_start(const char *shoald, const char *dir,
                               const char *const args[], int timeout_ms);

/* Sends SIGTERM and waits up to timeout_ms for the node to exit, killing
 * it after that. Returns its exit code, 128 + signal when a signal ended
 * it, or -1 on the timeout. Frees the node, sets *self_p to NULL.
 * NULL-safe (returns -1). */
int bench_node_stop(bench_node_t **self_p, int timeout_ms);

/* Sends the node SIGTERM without waiting (bench_node_stop waits). */
void bench_node_signal_stop(bench_node_t *self);

/* Kills the node with SIGKILL, reaps it, frees it, sets *self_p to NULL.
 * NULL-safe. */
void bench_node_kill(bench_node_t **self_p);

/* Kills and reaps every node not reaped yet. (The signal handlers only
 * kill, which is async-signal-safe; the reaping happens at exit.) */
void bench_node_kill_all(void);

/* Installs the hooks that kill every node at exit, on SIGINT/SIGTERM and
 * on a fatal signal. Called once by main. */
void bench_node_install_hooks(void);

/* True while the node runs. When it has exited on its own, reaps it,
 * prints its exit code and returns false from then on. */
bool bench_node_alive(bench_node_t *self);

/* The resolved endpoints, borrowed. The cluster (peer) endpoint is ""
 * for a node started without --cluster-endpoint. */
const char *bench_node_client_endpoint(const bench_node_t *self);
const char *bench_node_status_endpoint(const bench_node_t *self);
const char *bench_node_cluster_endpoint(const bench_node_t *self);

/* Seconds from the spawn to the readiness line. */
double bench_node_ready_seconds(const bench_node_t *self);

/* The spawn time on the bench_now_ns clock. */
int64_t bench_node_spawned_ns(const bench_node_t *self);

/* The node's resident memory, bytes, from /proc/PID/status. */
typedef struct {
    int64_t rss;       /* VmRSS: the figure W5 reports */
    int64_t anonymous; /* RssAnon: heap, stacks, anonymous maps */
    int64_t file;      /* RssFile: mapped files (code, libraries) */
    int64_t shared;    /* RssShmem: shared memory (SQLite's WAL index) */
} bench_node_memory_t;

/* Reads the node's resident memory into *memory. Returns 0, or -1 when
 * /proc cannot be read (then *memory is zeroed). */
int bench_node_memory(const bench_node_t *self, bench_node_memory_t *memory);

/* CPU time the node used so far (user + system), in seconds, or -1. */
double bench_node_cpu_seconds(const bench_node_t *self);

/* CPU time (user + system, seconds) of each of the node's threads now,
 * as a JSON object label -> {"tid": id, "cpu_s": seconds} (the caller's),
 * or NULL when /proc cannot be read. The label is "main" for the main
 * thread, the thread's name when it has its own (ZMQbg/IO/0), else
 * "shoald#k" with k its rank in creation order. */
json_t *bench_node_thread_cpu(const bench_node_t *self);

/* From two bench_node_thread_cpu readings `seconds` apart, the cores each
 * thread used meanwhile, as an object label -> cores (the caller's),
 * busiest first, threads under 0.01 core left out. NULL-safe (returns an
 * empty object). */
json_t *bench_thread_cores(json_t *before, json_t *after, double seconds);

/* Asks the status socket `status` and returns the parsed JSON (the
 * caller's, json_decref), or NULL (the reason is printed). Returns NULL
 * at once when the node has exited or the run was interrupted. */
json_t *bench_node_status(bench_node_t *self);

/* Reads an integer from the status JSON by a dotted path such as
 * "journal.events". Returns it, or -1 when the status or the field is
 * missing. */
int64_t bench_node_status_int(bench_node_t *self, const char *path);

/* Waits up to timeout_ms until the status field `path` is at least
 * `value`, polling. Returns 0, or -1 on timeout (the last value is
 * printed). */
int bench_node_wait_status_at_least(bench_node_t *self, const char *path,
                                    int64_t value, int timeout_ms);

/* As bench_node_wait_status_at_least, until the field is at most value. */
int bench_node_wait_status_at_most(bench_node_t *self, const char *path,
                                   int64_t value, int timeout_ms);

/* Prints the last lines of the node's stderr file to stderr. */
void bench_node_print_stderr(const bench_node_t *self);

/* Prints what a failed workload needs to show about a node that is still
 * running: its status JSON (queues, counters) and its stderr's tail. */
void bench_node_print_diagnostics(bench_node_t *self);

#endif
