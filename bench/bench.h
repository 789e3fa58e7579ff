/*
 * bench/bench.h - what every part of the benchmark harness shares: the
 * run's context (paths, the profile's sizes), a monotonic clock, progress
 * lines, temporary folders and the interruption flag.
 *
 * The harness is a client of shoal like any other: it starts shoald
 * processes (bench_node.h), drives them over the wire protocol
 * (bench_load.h) and measures the machine's raw limits itself
 * (bench_raw.h). It never links the runtime's internals.
 */
#ifndef SHOAL_BENCH_H
#define SHOAL_BENCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The sizes of one run. The quick profile (`make bench`) fits in a few
 * minutes on a 2-core machine; the full one (`make bench FULL=1`) uses the
 * sizes of the benchmark issue. */
typedef struct {
    const char *name; /* "quick" or "full" */
    int clients;      /* pipelining client threads (W1, W3, W6) */
    int window;       /* requests in flight per client */
    double raw_seconds;
    uint64_t w1_entities;
    double w1_seconds;
    double w1_warmup_seconds;
    double w2_seconds;
    uint64_t w2_single_samples;
    uint64_t w3_entities;
    double w3_seconds;
    uint64_t w4_entities;
    uint64_t w4_events;
    uint64_t w5_entities;
    double w6_seconds; /* W6 uses W1's accounts, clients and window */
    double w6_warmup_seconds;
} bench_profile_t;

#define BENCH_NODE_SETTINGS_MAX 8

/* One run of the harness. Paths are borrowed from argv; work_dir is the
 * run's temporary folder, removed at the end. */
typedef struct {
    const char *shoald;     /* the node binary */
    const char *plugin_dir; /* holds counter/counter.so, account/account.so */
    const char *probe;      /* bench/probe.so */
    const char *work_dir;   /* /tmp/shoal-bench-XXXXXX */
    int workers;            /* --workers for the nodes; 0 = their default */
    /* Extra node flags from --node-setting KEY=VALUE, as "--KEY", "VALUE"
     * pairs, given to every node after the workload's own settings. */
    const char *node_args[2 * BENCH_NODE_SETTINGS_MAX];
    int node_arg_count;
    bench_profile_t profile;
} bench_context_t;

/* Nanoseconds on the monotonic clock. */
int64_t bench_now_ns(void);

/* Seconds between two bench_now_ns readings. */
double bench_seconds_since(int64_t start_ns);

/* CPU time the harness itself used so far (user + system), seconds. */
double bench_process_cpu_seconds(void);

/* Sleeps ms milliseconds (resumes after signals). */
void bench_sleep_ms(int ms);

/* Prints one progress line on stderr, prefixed with the elapsed time. */
void bench_say(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Prints label and a compact rendering of json (borrowed) as one
 * progress line. */
void bench_say_json(const char *label, json_t *json);

/* Creates a fresh folder /tmp/shoal-bench-XXXXXX. Returns its path (the
 * caller's, release with bench_temp_dir_remove), or NULL. */
char *bench_temp_dir_new(void);

/* Creates folder `name` under parent. Returns its path (the caller's,
 * free()), or NULL. */
char *bench_subdir_new(const char *parent, const char *name);

/* Removes a folder and everything under it. Returns 0 or -1. */
int bench_remove_tree(const char *path);

/* True once SIGINT or SIGTERM reached the harness: loops give up. */
bool bench_interrupted(void);

/* Installs the SIGINT/SIGTERM handler behind bench_interrupted. */
void bench_install_interrupt_handler(void);

/* Sets a function the handler calls on SIGINT/SIGTERM; it must be
 * async-signal-safe (bench_node uses it to kill the nodes at once). */
void bench_set_interrupt_hook(void (*hook)(void));

/* Fills buffer with `prefix` + the decimal index: the entity ids the
 * workloads use ("42", "w-42"). */
void bench_entity_id(char *buffer, size_t size, const char *prefix,
                     uint64_t index);

/* A small fast random generator (xorshift64*), one per thread. */
typedef struct {
    uint64_t state;
} bench_random_t;

void bench_random_seed(bench_random_t *random, uint64_t seed);

/* Returns a number uniformly in [0, bound) (bound > 0). */
uint64_t bench_random_below(bench_random_t *random, uint64_t bound);

#endif
