/*
 * bench/bench_load.h - load generators that drive a node over the client
 * protocol (include/shoal/client.h), and latency statistics.
 *
 * Closed loop: `clients` threads, each with its own client, keep `window`
 * requests in flight and send the next one as soon as a reply comes back;
 * this finds the highest rate the node sustains.
 *
 * Open loop: sender threads send at a fixed rate on an absolute schedule
 * whatever the replies do, so a node that falls behind shows as queueing
 * delay; each request's latency is measured from the time it was due.
 *
 * Every entity is picked uniformly at random among entity_count ids
 * (id_prefix + index), except in the closed loop's each_entity_once mode,
 * which sends one command to every entity (setup and W5).
 */
#ifndef SHOAL_BENCH_LOAD_H
#define SHOAL_BENCH_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What to send. Strings are borrowed. */
typedef struct {
    const char *endpoint;  /* the node's client port */
    const char *type;      /* "account" */
    const char *command;   /* "Deposit" */
    const char *payload;   /* '{"amount":1}' */
    const char *id_prefix; /* entity ids are id_prefix + index; may be NULL */
    uint64_t entity_count;
} bench_target_t;

/* Replies by outcome. */
typedef struct {
    uint64_t accepted;
    uint64_t rejected;
    uint64_t errors; /* ERROR replies of any code, busy included */
    uint64_t busy;   /* ERROR busy */
    uint64_t invalid;
} bench_outcomes_t;

typedef struct {
    bench_target_t target;
    int clients;
    int window;
    /* When endpoint_count > 0, client k connects to
     * endpoints[k % endpoint_count] (borrowed) instead of
     * target.endpoint: the clients spread over several nodes. */
    const char *const *endpoints;
    int endpoint_count;
    /* Exactly one of the three modes: */
    bool each_entity_once; /* one command per entity, then stop */
    uint64_t total;        /* this many commands, then stop */
    double seconds;        /* send for this long (after the warm-up) */
    double warmup_seconds; /* replies in the warm-up are not counted */
    int timeout_ms;        /* longest wait for any reply before giving up */
} bench_closed_spec_t;

typedef struct {
    bench_outcomes_t counted; /* replies inside the measured interval */
    bench_outcomes_t all;     /* every reply */
    uint64_t sent;
    uint64_t lost;         /* requests never answered within timeout_ms */
    double seconds;        /* the measured interval */
    double rate;           /* counted.accepted + counted.rejected per second */
    char first_error[192]; /* "code: message" of the first ERROR reply */
} bench_closed_result_t;

/* Runs a closed-loop load. Returns 0, or -1 when a client could not be
 * made, replies stopped coming (result->lost > 0) or the run was
 * interrupted; the result is filled as far as it got. */
int bench_closed_loop(const bench_closed_spec_t *spec,
                      bench_closed_result_t *result);

/* Latency percentiles, in microseconds. */
typedef struct {
    uint64_t count;
    double mean;
    double p50;
    double p99;
    double p999;
    double max;
} bench_latency_t;

/* Sorts samples (nanoseconds) and fills *latency from them. */
void bench_latency_compute(int64_t *samples, size_t count,
                           bench_latency_t *latency);

typedef struct {
    bench_target_t target;
    double rate;    /* requests per second, all threads together */
    double seconds; /* how long to send */
    int threads;
    int timeout_ms; /* how long to wait for the last replies */
} bench_open_spec_t;

typedef struct {
    bench_latency_t latency;   /* due time -> reply, accepted replies */
    bench_latency_t from_send; /* actual send -> reply */
    bench_latency_t send_lag;  /* due time -> actual send: the harness's
                                  own delay (a CPU it shares, a full
                                  socket queue) */
    bench_outcomes_t all;
    uint64_t sent;
    uint64_t lost;
    double achieved_rate;  /* replies per second while sending */
    char first_error[192]; /* "code: message" of the first ERROR reply */
    /* The worst latency of the requests due in each tick of the run
     * (BENCH_OPEN_TICK_MS), in microseconds, 0 for none: shows whether
     * the tail comes from periodic stalls. Owned by the result. */
    double *worst_per_tick_us;
    size_t tick_count;
} bench_open_result_t;

#define BENCH_OPEN_TICK_MS 100

/* Runs an open-loop load. Returns 0, or -1 as bench_closed_loop. The
 * result holds memory: release it with bench_open_result_clear. */
int bench_open_loop(const bench_open_spec_t *spec, bench_open_result_t *result);

/* Frees what a result holds. NULL-safe. */
void bench_open_result_clear(bench_open_result_t *result);

/* Sends `samples` commands one at a time (each waits for its reply) and
 * measures their latency. Returns 0, or -1 when a reply did not come
 * within timeout_ms or was not ACCEPTED/REJECTED. */
int bench_single_in_flight(const bench_target_t *target, uint64_t samples,
                           int timeout_ms, bench_latency_t *latency);

typedef struct {
    uint64_t answered; /* entities whose `get` was answered OK */
    uint64_t errors;   /* ERROR answers (retried) */
    double seconds;
} bench_read_result_t;

/* Asks the status socket `get TYPE ID` once for every entity id_prefix +
 * 0 .. entity_count - 1, from `threads` threads with `window` requests
 * in flight each; the answer must carry "id":"<id>" (both example
 * plugins' queries do). Entities answered with an error are asked again.
 * Returns 0 when every entity was answered, -1 otherwise. */
int bench_read_all(const char *status_endpoint, const char *type,
                   const char *id_prefix, uint64_t entity_count, int threads,
                   int window, int timeout_ms, bench_read_result_t *result);

#endif
