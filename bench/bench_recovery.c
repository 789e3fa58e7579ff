/*
 * bench/bench_recovery.c - W4: recovery.
 *
 * A node journals `events` events over `entities` accounts (one Open each,
 * then Deposits spread uniformly, one event per command), stops cleanly
 * (SIGTERM), and starts again on the same journal. Measured from the
 * spawn of the second node: the time until it is serving (its readiness
 * line) and the time until every entity has been recovered and read once
 * through the status socket (`get account ID`, several threads in
 * parallel). Events per second = events / that second time. The raw
 * limit is SQLite reading the same journal file sequentially, between
 * the two nodes.
 */
#include "bench_raw.h"
#include "bench_workload.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* W4's targets (the benchmark issue). */
#define S_W4_TARGET_EVENTS_PER_SECOND 1000000.0
#define S_W4_TARGET_SERVING_SECONDS 1.0

/* The status readers: threads and requests in flight each. */
#define S_READ_THREADS 2
#define S_READ_WINDOW 512

/* Journals the events through a first node, then stops it. */
static int s_build_journal(const bench_context_t *context,
                           const char *const args[], const char *plugin,
                           char **dir_p)
{
    const bench_profile_t *profile = &context->profile;
    bench_node_t *node = bench_start_node(context, "w4", plugin, args, dir_p);
    if (!node)
        return -1;
    int64_t start = bench_now_ns();
    bench_target_t target = {.endpoint = bench_node_client_endpoint(node),
                             .type = "account",
                             .command = "Open",
                             .payload = "{\"owner\":\"bench\"}",
                             .entity_count = profile->w4_entities};
    bench_closed_spec_t spec = bench_closed_spec(context, &target);
    spec.each_entity_once = true;
    bench_closed_result_t opened, deposited = {0};
    int rc = bench_closed_loop(&spec, &opened);
    if (rc == 0 && opened.all.accepted == profile->w4_entities &&
        profile->w4_events > profile->w4_entities) {
        target.command = "Deposit";
        target.payload = "{\"amount\":1}";
        spec = bench_closed_spec(context, &target);
        spec.total = profile->w4_events - profile->w4_entities;
        rc = bench_closed_loop(&spec, &deposited);
        if (deposited.all.accepted != spec.total)
            rc = -1;
    } else if (opened.all.accepted != profile->w4_entities)
        rc = -1;
    int64_t events = bench_node_status_int(node, "journal.events");
    if (rc == 0 && events != (int64_t)profile->w4_events) {
        fprintf(stderr,
                "shoal-bench: W4: the journal holds %" PRId64
                " events, expected %" PRIu64 "\n",
                events, profile->w4_events);
        rc = -1;
    }
    bench_say("W4: journaled %" PRId64 " events over %" PRIu64
              " entities in %.1f s",
              events, profile->w4_entities, bench_seconds_since(start));
    if (rc != 0)
        bench_node_print_diagnostics(node);
    int code = bench_node_stop(&node, BENCH_NODE_STOP_TIMEOUT_MS);
    return rc == 0 && code == 0 ? 0 : -1;
}

/* Adds W4's rows. */
static void s_rows(bench_report_t *report, double ready_seconds,
                   double all_seconds, double events,
                   const bench_raw_read_t *raw)
{
    bench_row_t *row =
        bench_report_add(report, "W4", "time to serving", ready_seconds, "s");
    bench_row_set_target(row, "<= 1 s",
                         ready_seconds <= S_W4_TARGET_SERVING_SECONDS);
    bench_report_add(report, "W4", "time until every entity read once",
                     all_seconds, "s");
    double rate = events / all_seconds;
    row = bench_report_add(report, "W4", "recovery events/s", rate, "events/s");
    bench_row_set_raw(row, "SQLite sequential read, same journal",
                      raw->events_per_second, BENCH_RATIO_PERCENT);
    bench_row_set_target(row, ">= 1,000,000",
                         rate >= S_W4_TARGET_EVENTS_PER_SECOND);
}

int bench_run_recovery(const bench_context_t *context, bench_report_t *report)
{
    const bench_profile_t *profile = &context->profile;
    char plugin[PATH_MAX], resident[32];
    bench_example_plugin(context, "account", plugin, sizeof plugin);
    snprintf(resident, sizeof resident, "%" PRIu64,
             profile->w4_entities * 4 + 1000);
    const char *args[] = {"--durability",
                          "full",
                          "--max-resident",
                          resident,
                          "--passivate-idle-ms",
                          "0",
                          NULL};
    char *dir = NULL;
    bench_say("W4: journaling %" PRIu64 " events over %" PRIu64 " entities",
              profile->w4_events, profile->w4_entities);
    if (s_build_journal(context, args, plugin, &dir) != 0) {
        bench_report_add_failure(report, "W4", "recovery",
                                 "building the journal failed (see log)");
        free(dir);
        return -1;
    }

    char journal_path[PATH_MAX];
    snprintf(journal_path, sizeof journal_path, "%s/data/journal.db", dir);
    free(dir);
    bench_raw_read_t raw;
    if (bench_raw_sqlite_read(journal_path, &raw) != 0) {
        bench_report_add_failure(report, "W4", "raw SQLite read",
                                 "could not measure (see log)");
        return -1;
    }
    bench_say("raw: SQLite sequential read %.0f rows/s, %.0f events/s "
              "(%" PRIu64 " rows)",
              raw.rows_per_second, raw.events_per_second, raw.rows);

    /* The restart: bench_start_node reuses the folder and its journal. */
    bench_node_t *node = bench_start_node(context, "w4", plugin, args, NULL);
    if (!node) {
        bench_report_add_failure(report, "W4", "recovery",
                                 "restart failed (see log)");
        return -1;
    }
    double ready_seconds = bench_node_ready_seconds(node);
    bench_read_result_t read;
    int rc = bench_read_all(bench_node_status_endpoint(node), "account", NULL,
                            profile->w4_entities, S_READ_THREADS, S_READ_WINDOW,
                            BENCH_REPLY_TIMEOUT_MS, &read);
    double all_seconds = bench_seconds_since(bench_node_spawned_ns(node));
    json_t *thread_cpu = bench_node_thread_cpu(node);
    json_t *thread_cores = bench_thread_cores(NULL, thread_cpu, all_seconds);
    json_decref(thread_cpu);
    int64_t recoveries = bench_node_status_int(node, "lifecycle.recoveries");
    int64_t events = bench_node_status_int(node, "journal.events");
    int stop_rc = bench_stop_node(&node, report, "W4", rc != 0);
    if (rc != 0) {
        bench_report_add_failure(report, "W4", "recovery",
                                 "not every entity was read (see log)");
        json_decref(thread_cores);
        return -1;
    }
    bench_say_json("W4: node threads from spawn (cores)", thread_cores);
    bench_say("W4: serving after %.3f s, every entity read after %.3f s "
              "(%" PRIu64 " busy answers retried, %" PRId64 " recoveries)",
              ready_seconds, all_seconds, read.errors, recoveries);
    s_rows(report, ready_seconds, all_seconds, (double)profile->w4_events,
           &raw);
    bench_report_set_details(
        report, "W4",
        json_pack("{s:I, s:I, s:I, s:f, s:f, s:f, s:I, s:I, s:i, s:i, s:o, "
                  "s:{s:I, s:I, s:I, s:f, s:f, s:f}}",
                  "entities", (json_int_t)profile->w4_entities, "events",
                  (json_int_t)profile->w4_events, "events_after_restart",
                  (json_int_t)events, "ready_seconds", ready_seconds,
                  "all_read_seconds", all_seconds, "read_seconds_after_ready",
                  read.seconds, "recoveries", (json_int_t)recoveries,
                  "status_errors_retried", (json_int_t)read.errors,
                  "read_threads", S_READ_THREADS, "read_window", S_READ_WINDOW,
                  "node_thread_cores", thread_cores, "raw_sqlite_read", "rows",
                  (json_int_t)raw.rows, "events", (json_int_t)raw.events,
                  "bytes", (json_int_t)raw.bytes, "seconds", raw.seconds,
                  "rows_per_second", raw.rows_per_second, "events_per_second",
                  raw.events_per_second));
    return stop_rc;
}
