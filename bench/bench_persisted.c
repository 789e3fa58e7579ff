/*
 * bench/bench_persisted.c - W1 and W2: persisted commands.
 *
 * W1: `account` entities, opened first (setup, not timed), then Deposits
 * spread uniformly over them from pipelining clients, default durability
 * (an fsync per group commit). The raw limit is SQLite appending rows of
 * the same shape to the same table in batches of the node's max_batch;
 * the raw rate at the node's own mean group commit size goes to the
 * details, to tell SQLite's share of the time from the rest.
 *
 * W2, on the same node: an open-loop load at half of W1's rate, its
 * latency measured from each request's due time, then one command in
 * flight. The raw limit is a DEALER/ROUTER round trip over tcp loopback.
 *
 * Raw limits are measured while no node runs.
 */
#include "bench_raw.h"
#include "bench_workload.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* The node's max_batch (shoald --help): the raw append uses it. */
#define S_RAW_BATCH 1000

/* W1's targets (the benchmark issue). */
#define S_W1_TARGET_RATE 200000.0
#define S_W1_TARGET_FRACTION 0.40
/* W2's target: p99 at half load, in microseconds. */
#define S_W2_TARGET_P99_US 2000.0

/* What W1 measured on the node. */
typedef struct {
    bench_closed_result_t load;
    int clients, window;
    int64_t entries, commits;
    double mean_batch;
    double node_cores, harness_cores;
    json_t *thread_cores; /* per node thread; owned */
} s_w1_t;

/* What W2 measured on the node. */
typedef struct {
    bench_open_spec_t spec;
    bench_open_result_t open;
    bench_latency_t single;
    int64_t slow_commits; /* the node's group commits of 100 ms or more
                             during the open loop */
} s_w2_t;

/* Opens every account once. Returns 0 when all were accepted. */
static int s_open_accounts(const bench_context_t *context, bench_node_t *node,
                           uint64_t count)
{
    bench_target_t target = {.endpoint = bench_node_client_endpoint(node),
                             .type = "account",
                             .command = "Open",
                             .payload = "{\"owner\":\"bench\"}",
                             .entity_count = count};
    bench_closed_spec_t spec = bench_closed_spec(context, &target);
    spec.each_entity_once = true;
    bench_closed_result_t result;
    int64_t start = bench_now_ns();
    int rc = bench_closed_loop(&spec, &result);
    if (rc != 0 || result.all.accepted != count) {
        fprintf(stderr,
                "shoal-bench: opening %" PRIu64 " accounts: %" PRIu64
                " accepted, %" PRIu64 " rejected, %" PRIu64 " errors\n",
                count, result.all.accepted, result.all.rejected,
                result.all.errors);
        return -1;
    }
    bench_say("opened %" PRIu64 " accounts in %.1f s", count,
              bench_seconds_since(start));
    return 0;
}

/* The Deposit commands W1 and W2 send. */
static bench_target_t s_deposits(const bench_context_t *context,
                                 bench_node_t *node)
{
    return (bench_target_t){.endpoint = bench_node_client_endpoint(node),
                            .type = "account",
                            .command = "Deposit",
                            .payload = "{\"amount\":1}",
                            .entity_count = context->profile.w1_entities};
}

/* W1: the timed Deposits. Returns 0 or -1. */
static int s_w1(const bench_context_t *context, bench_node_t *node, s_w1_t *w1)
{
    const bench_profile_t *profile = &context->profile;
    bench_target_t target = s_deposits(context, node);
    bench_closed_spec_t spec = bench_closed_spec(context, &target);
    spec.seconds = profile->w1_seconds;
    spec.warmup_seconds = profile->w1_warmup_seconds;
    w1->clients = spec.clients;
    w1->window = spec.window;
    int64_t entries_before = bench_node_status_int(node, "journal.entries");
    int64_t commits_before = bench_node_status_int(node, "journal.commits");
    double node_cpu = bench_node_cpu_seconds(node);
    json_t *threads_before = bench_node_thread_cpu(node);
    double harness_cpu = bench_process_cpu_seconds();
    int64_t start = bench_now_ns();
    bench_say("W1: %d clients x %d in flight, Deposits over %" PRIu64
              " accounts, %.0f s",
              spec.clients, spec.window, target.entity_count,
              spec.warmup_seconds + spec.seconds);
    int rc = bench_closed_loop(&spec, &w1->load);
    double elapsed = bench_seconds_since(start);
    w1->node_cores = (bench_node_cpu_seconds(node) - node_cpu) / elapsed;
    w1->harness_cores = (bench_process_cpu_seconds() - harness_cpu) / elapsed;
    json_t *threads_after = bench_node_thread_cpu(node);
    w1->thread_cores =
        bench_thread_cores(threads_before, threads_after, elapsed);
    json_decref(threads_before);
    json_decref(threads_after);
    w1->entries =
        bench_node_status_int(node, "journal.entries") - entries_before;
    w1->commits =
        bench_node_status_int(node, "journal.commits") - commits_before;
    w1->mean_batch =
        w1->commits > 0 ? (double)w1->entries / (double)w1->commits : 0;
    if (rc != 0 || w1->load.counted.accepted == 0)
        return -1;
    bench_say("W1: %.0f cmd/s (%" PRIu64 " errors, %" PRIu64
              " busy), mean group commit %.0f, node used %.2f cores, "
              "harness %.2f",
              w1->load.rate, w1->load.all.errors, w1->load.all.busy,
              w1->mean_batch, w1->node_cores, w1->harness_cores);
    if (*w1->load.first_error)
        bench_say("W1: first error: %s", w1->load.first_error);
    bench_say_json("W1: node threads (cores)", w1->thread_cores);
    return 0;
}

/* W2: open loop at half of W1's rate, then one in flight. */
static int s_w2(const bench_context_t *context, bench_node_t *node,
                double w1_rate, s_w2_t *w2)
{
    const bench_profile_t *profile = &context->profile;
    bench_target_t target = s_deposits(context, node);
    w2->spec = (bench_open_spec_t){.target = target,
                                   .rate = w1_rate / 2,
                                   .seconds = profile->w2_seconds,
                                   .threads = 2,
                                   .timeout_ms = BENCH_REPLY_TIMEOUT_MS};
    bench_say("W2: open loop at %.0f cmd/s for %.0f s", w2->spec.rate,
              w2->spec.seconds);
    bench_open_result_t *open = &w2->open;
    int64_t slow_before = bench_node_status_int(node, "journal.slow_commits");
    if (bench_open_loop(&w2->spec, open) != 0)
        return -1;
    w2->slow_commits =
        bench_node_status_int(node, "journal.slow_commits") - slow_before;
    bench_say("W2: p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us; "
              "achieved %.0f cmd/s; from the actual send: p50 %.0f us, "
              "p99 %.0f us; harness send lag p99 %.0f us, max %.0f us",
              open->latency.p50, open->latency.p99, open->latency.p999,
              open->latency.max, open->achieved_rate, open->from_send.p50,
              open->from_send.p99, open->send_lag.p99, open->send_lag.max);
    bench_say("W2: group commits of 100 ms or more in the node: %" PRId64,
              w2->slow_commits);
    if (open->all.errors > 0)
        bench_say("W2: %" PRIu64 " errors (%" PRIu64 " busy) of %" PRIu64
                  " sent; first: %s",
                  open->all.errors, open->all.busy, open->sent,
                  open->first_error);
    bench_say("W2: one in flight, %" PRIu64 " commands",
              profile->w2_single_samples);
    if (bench_single_in_flight(&target, profile->w2_single_samples,
                               BENCH_REPLY_TIMEOUT_MS, &w2->single) != 0)
        return -1;
    bench_say("W2: one in flight p50 %.0f us, p99 %.0f us", w2->single.p50,
              w2->single.p99);
    return 0;
}

/* Adds W1's row and details. */
static void s_w1_report(bench_report_t *report, const bench_context_t *context,
                        const s_w1_t *w1, const bench_raw_append_t *raw,
                        const bench_raw_append_t *raw_at_batch)
{
    double rate = w1->load.rate;
    bench_row_t *row =
        bench_report_add(report, "W1", "persisted commands/s", rate, "cmd/s");
    bench_row_set_raw(row, "SQLite append, batches of 1000, sync FULL",
                      raw->rows_per_second, BENCH_RATIO_PERCENT);
    bench_row_set_target(row, ">= 200,000 and >= 40% raw",
                         rate >= S_W1_TARGET_RATE &&
                             rate >=
                                 S_W1_TARGET_FRACTION * raw->rows_per_second);
    json_t *details = json_pack(
        "{s:I, s:i, s:i, s:f, s:f, s:o, s:o, s:I, s:I, s:f, s:f, "
        "s:f, s:{s:I, s:f, s:f, s:i}, s:{s:I, s:f, s:f, s:i}}",
        "entities", (json_int_t)context->profile.w1_entities, "clients",
        w1->clients, "window", w1->window, "seconds", w1->load.seconds, "rate",
        rate, "counted", bench_outcomes_json(&w1->load.counted), "all",
        bench_outcomes_json(&w1->load.all), "journal_entries",
        (json_int_t)w1->entries, "group_commits", (json_int_t)w1->commits,
        "mean_group_commit_size", w1->mean_batch, "node_cpu_cores",
        w1->node_cores, "harness_cpu_cores", w1->harness_cores,
        "raw_sqlite_append", "rows", (json_int_t)raw->rows, "seconds",
        raw->seconds, "rows_per_second", raw->rows_per_second, "batch",
        S_RAW_BATCH, "raw_sqlite_append_at_mean_batch", "rows",
        (json_int_t)raw_at_batch->rows, "seconds", raw_at_batch->seconds,
        "rows_per_second", raw_at_batch->rows_per_second, "batch",
        (int)lround(w1->mean_batch));
    if (details)
        json_object_set(details, "node_thread_cores", w1->thread_cores);
    if (details && *w1->load.first_error)
        json_object_set_new(details, "first_error",
                            json_string(w1->load.first_error));
    bench_report_set_details(report, "W1", details);
}

/* Adds W2's rows (latencies in milliseconds) and details. commits is
 * the raw group-commit latency at W2's rate, or NULL when not measured. */
static void s_w2_report(bench_report_t *report, const s_w2_t *w2,
                        const bench_latency_t *raw,
                        const bench_raw_commits_t *commits)
{
    const bench_latency_t *open = &w2->open.latency, *single = &w2->single;
    struct {
        const char *name;
        double value, raw;
    } rows[] = {
        {"latency p50 at half load", open->p50, raw->p50},
        {"latency p99 at half load", open->p99, raw->p99},
        {"latency p99.9 at half load", open->p999, raw->p999},
        {"latency max at half load", open->max, raw->max},
        {"latency p50 one in flight", single->p50, raw->p50},
        {"latency p99 one in flight", single->p99, raw->p99},
        {"latency p99.9 one in flight", single->p999, raw->p999},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        bench_row_t *row = bench_report_add(report, "W2", rows[i].name,
                                            rows[i].value / 1e3, "ms");
        bench_row_set_raw(row, "ZeroMQ round trip, same percentile",
                          rows[i].raw / 1e3, BENCH_RATIO_TIMES);
        if (i == 1)
            bench_row_set_target(row, "<= 2 ms",
                                 open->p99 <= S_W2_TARGET_P99_US);
    }
    if (commits) {
        bench_row_t *row = bench_report_add(
            report, "W2", "latency p99 at half load, against the disk",
            open->p99 / 1e3, "ms");
        bench_row_set_raw(row,
                          "SQLite group commit at the same rate, sync "
                          "FULL, p99",
                          commits->latency.p99 / 1e3, BENCH_RATIO_TIMES);
        row = bench_report_add(report, "W2",
                               "latency max at half load, against the disk",
                               open->max / 1e3, "ms");
        bench_row_set_raw(row,
                          "SQLite group commit at the same rate, sync "
                          "FULL, max",
                          commits->latency.max / 1e3, BENCH_RATIO_TIMES);
    }
    double sent = (double)(w2->open.sent ? w2->open.sent : 1);
    bench_report_add(report, "W2", "errors (busy) at half load",
                     100.0 * (double)w2->open.all.errors / sent, "% of sent");
    json_t *ticks = json_array();
    for (size_t i = 0; i < w2->open.tick_count; i++)
        json_array_append_new(ticks, json_integer((json_int_t)lround(
                                         w2->open.worst_per_tick_us[i])));
    bench_report_set_details(
        report, "W2",
        json_pack("{s:f, s:f, s:f, s:i, s:o, s:o, s:o, s:o, s:I, s:I, s:o, "
                  "s:o, s:i, s:o, s:s, s:I}",
                  "offered_rate", w2->spec.rate, "achieved_rate",
                  w2->open.achieved_rate, "seconds", w2->spec.seconds,
                  "sender_threads", w2->spec.threads, "half_load",
                  bench_latency_json(open), "half_load_from_send",
                  bench_latency_json(&w2->open.from_send), "harness_send_lag",
                  bench_latency_json(&w2->open.send_lag), "outcomes",
                  bench_outcomes_json(&w2->open.all), "sent",
                  (json_int_t)w2->open.sent, "lost", (json_int_t)w2->open.lost,
                  "one_in_flight", bench_latency_json(single), "raw_round_trip",
                  bench_latency_json(raw), "tick_ms", BENCH_OPEN_TICK_MS,
                  "worst_latency_us_per_tick", ticks, "first_error",
                  w2->open.first_error, "node_slow_commits",
                  (json_int_t)w2->slow_commits));
}

/* Measures the raw append rate in a folder of its own. */
static int s_raw_append(const bench_context_t *context, int batch,
                        double seconds, bench_raw_append_t *raw)
{
    char *dir = bench_subdir_new(context->work_dir, "raw-append");
    int rc = dir ? bench_raw_sqlite_append(dir, batch, seconds, true, raw) : -1;
    if (dir)
        bench_remove_tree(dir);
    free(dir);
    if (rc == 0)
        bench_say("raw: SQLite append, batches of %d: %.0f rows/s", batch,
                  raw->rows_per_second);
    return rc;
}

/* Measures the disk's group-commit latency at rate, in a folder of its
 * own. */
static int s_raw_commits(const bench_context_t *context, double rate,
                         double seconds, bench_raw_commits_t *commits)
{
    char *dir = bench_subdir_new(context->work_dir, "raw-commits");
    int rc =
        dir ? bench_raw_sqlite_commit_latency(dir, rate, seconds, commits) : -1;
    if (dir)
        bench_remove_tree(dir);
    free(dir);
    if (rc == 0)
        bench_say("raw: SQLite group commits at %.0f rows/s: %.1f rows "
                  "each, p50 %.0f us, p99 %.0f us, max %.0f us",
                  rate, commits->mean_batch, commits->latency.p50,
                  commits->latency.p99, commits->latency.max);
    else
        bench_say("raw: SQLite group commits at W2's rate: not measured");
    return rc;
}

/* The node's part: setup, W1, W2. Returns 0 when W1 was measured; sets
 * *w2_done when W2 was too. */
static int s_run_node(const bench_context_t *context, bench_report_t *report,
                      s_w1_t *w1, s_w2_t *w2, bool *w2_done)
{
    const bench_profile_t *profile = &context->profile;
    char account[PATH_MAX], resident[32];
    snprintf(resident, sizeof resident, "%" PRIu64,
             profile->w1_entities * 4 + 1000);
    const char *args[] = {"--durability",
                          "full",
                          "--max-resident",
                          resident,
                          "--passivate-idle-ms",
                          "0",
                          NULL};
    bench_node_t *node = bench_start_node(
        context, "w1",
        bench_example_plugin(context, "account", account, sizeof account), args,
        NULL);
    if (!node) {
        bench_report_add_failure(report, "W1", "persisted commands/s",
                                 "node did not start");
        return -1;
    }
    int rc = -1;
    if (s_open_accounts(context, node, profile->w1_entities) != 0)
        bench_report_add_failure(report, "W1", "persisted commands/s",
                                 "setup (Open) failed (see log)");
    else if (s_w1(context, node, w1) != 0)
        bench_report_add_failure(report, "W1", "persisted commands/s",
                                 w1->load.lost ? "replies lost (see log)"
                                               : "load failed (see log)");
    else {
        rc = 0;
        *w2_done = s_w2(context, node, w1->load.rate, w2) == 0;
    }
    if (bench_stop_node(&node, report, "W1", rc != 0 || !*w2_done) != 0)
        rc = -1;
    return rc;
}

int bench_run_persisted(const bench_context_t *context, bench_report_t *report)
{
    const bench_profile_t *profile = &context->profile;
    bench_raw_append_t raw_append, raw_at_batch = {0};
    if (s_raw_append(context, S_RAW_BATCH, profile->raw_seconds, &raw_append) !=
        0) {
        bench_report_add_failure(report, "W1", "raw SQLite append",
                                 "could not measure (see log)");
        return -1;
    }
    s_w1_t w1 = {0};
    s_w2_t w2 = {0};
    bool w2_done = false;
    int rc = s_run_node(context, report, &w1, &w2, &w2_done);
    if (rc != 0) {
        json_decref(w1.thread_cores);
        bench_open_result_clear(&w2.open);
        return -1;
    }
    int batch = (int)lround(w1.mean_batch);
    if (batch < 1 || s_raw_append(context, batch, profile->raw_seconds / 2,
                                  &raw_at_batch) != 0)
        bench_say("raw: SQLite append at the node's batch size: not measured");
    s_w1_report(report, context, &w1, &raw_append, &raw_at_batch);
    json_decref(w1.thread_cores);
    if (!w2_done) {
        bench_report_add_failure(report, "W2", "latency",
                                 "load failed (see log)");
        bench_open_result_clear(&w2.open);
        return -1;
    }
    bench_latency_t raw_round_trip;
    uint64_t samples = profile->w2_single_samples * 4;
    bench_say("raw: ZeroMQ round trip, %" PRIu64 " samples", samples);
    if (bench_raw_zmq_round_trip(samples, &raw_round_trip) != 0) {
        bench_report_add_failure(report, "W2", "raw ZeroMQ round trip",
                                 "could not measure (see log)");
        bench_open_result_clear(&w2.open);
        return -1;
    }
    bench_say("raw: ZeroMQ round trip p50 %.0f us, p99 %.0f us",
              raw_round_trip.p50, raw_round_trip.p99);
    bench_raw_commits_t commits;
    bool commits_measured = s_raw_commits(context, w2.open.achieved_rate,
                                          w2.spec.seconds, &commits) == 0;
    s_w2_report(report, &w2, &raw_round_trip,
                commits_measured ? &commits : NULL);
    bench_open_result_clear(&w2.open);
    return 0;
}
