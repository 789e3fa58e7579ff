/*
 * bench/bench_raw.h - the machine's raw limits, measured by the harness
 * in the same run as the workloads they bound.
 *
 * SQLite: appending rows shaped like the node's journal rows (the same
 * table, see persistence/schema.c) in batched transactions with the
 * node's pragmas (WAL, synchronous FULL), and reading a journal file
 * sequentially. ZeroMQ: a DEALER/ROUTER round trip over tcp loopback with
 * one message in flight, and the pipelined request/reply rate, with
 * frames shaped like the client protocol's and a ROUTER that only echoes.
 */
#ifndef SHOAL_BENCH_RAW_H
#define SHOAL_BENCH_RAW_H

#include "bench_load.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint64_t rows;
    double seconds;
    double rows_per_second;
} bench_raw_append_t;

/* Appends journal-shaped rows to a fresh SQLite file in dir, `batch` rows
 * per transaction, for about `seconds`, with synchronous FULL (or NORMAL
 * when full_sync is false) in WAL mode. Returns 0 or -1. */
int bench_raw_sqlite_append(const char *dir, int batch, double seconds,
                            bool full_sync, bench_raw_append_t *result);

typedef struct {
    uint64_t rows;
    uint64_t commits;
    double seconds;
    double mean_batch;
    bench_latency_t latency; /* of each commit, fsync included */
} bench_raw_commits_t;

/* Appends journal-shaped rows arriving at `rate` rows/s for `seconds`,
 * each commit taking every row due (at most 1,000), as the node's group
 * commit does, with synchronous FULL in WAL mode; measures each commit.
 * The disk's own latency at the write rate a workload makes. Returns 0
 * or -1. */
int bench_raw_sqlite_commit_latency(const char *dir, double rate,
                                    double seconds,
                                    bench_raw_commits_t *result);

typedef struct {
    uint64_t rows;
    uint64_t events; /* sum of event_count */
    uint64_t bytes;  /* reply and events blobs */
    double seconds;
    double rows_per_second;
    double events_per_second;
} bench_raw_read_t;

/* Reads every row of the journal table of the SQLite file at path in
 * position order, touching every column. Returns 0 or -1. */
int bench_raw_sqlite_read(const char *path, bench_raw_read_t *result);

/* Measures `samples` DEALER -> ROUTER -> DEALER round trips over tcp
 * loopback, one in flight. Returns 0 or -1. */
int bench_raw_zmq_round_trip(uint64_t samples, bench_latency_t *latency);

typedef struct {
    uint64_t round_trips;
    double seconds;
    double per_second;
} bench_raw_rate_t;

/* Measures the pipelined request/reply rate: `clients` DEALER threads
 * keep `window` requests in flight each against one ROUTER thread that
 * echoes a reply, for `seconds`. Returns 0 or -1. */
int bench_raw_zmq_rate(int clients, int window, double seconds,
                       bench_raw_rate_t *result);

#endif
