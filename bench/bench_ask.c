/*
 * bench/bench_ask.c - W3: commands that emit no events.
 *
 * The bench plugin's `probe` type answers Ask from memory: no event, no
 * command id, so the node answers without the journal. The entities are
 * made resident first (not timed); then pipelining clients send Asks
 * spread uniformly over them. The raw limit is the pipelined
 * request/reply rate of a bare ZeroMQ ROUTER with the same clients and
 * window, measured once the node has stopped.
 */
#include "bench_raw.h"
#include "bench_workload.h"

#include <inttypes.h>
#include <stdio.h>

/* W3's target: a fraction of the raw ZeroMQ rate (the benchmark issue). */
#define S_W3_TARGET_FRACTION 0.30

int bench_run_ask(const bench_context_t *context, bench_report_t *report)
{
    const bench_profile_t *profile = &context->profile;
    char resident[32];
    snprintf(resident, sizeof resident, "%" PRIu64,
             profile->w3_entities * 4 + 1000);
    const char *args[] = {"--max-resident", resident, "--passivate-idle-ms",
                          "0", NULL};
    bench_node_t *node =
        bench_start_node(context, "w3", context->probe, args, NULL);
    if (!node) {
        bench_report_add_failure(report, "W3", "ask commands/s",
                                 "node did not start");
        return -1;
    }
    bench_target_t target = {.endpoint = bench_node_client_endpoint(node),
                             .type = "probe",
                             .command = "Ask",
                             .entity_count = profile->w3_entities};
    bench_closed_spec_t setup = bench_closed_spec(context, &target);
    setup.each_entity_once = true;
    bench_closed_result_t result;
    int rc = bench_closed_loop(&setup, &result);
    if (rc != 0 || result.all.accepted != profile->w3_entities) {
        bench_report_add_failure(report, "W3", "ask commands/s",
                                 "setup failed (see log)");
        bench_stop_node(&node, report, "W3", true);
        return -1;
    }

    bench_closed_spec_t spec = bench_closed_spec(context, &target);
    spec.seconds = profile->w3_seconds;
    spec.warmup_seconds = 1;
    bench_say("W3: %d clients x %d in flight, Asks over %" PRIu64
              " entities, %.0f s",
              spec.clients, spec.window, target.entity_count,
              spec.warmup_seconds + spec.seconds);
    double cpu_before = bench_node_cpu_seconds(node);
    double harness_before = bench_process_cpu_seconds();
    json_t *threads_before = bench_node_thread_cpu(node);
    int64_t start = bench_now_ns();
    rc = bench_closed_loop(&spec, &result);
    double elapsed = bench_seconds_since(start);
    double node_cores = (bench_node_cpu_seconds(node) - cpu_before) / elapsed;
    double harness_cores =
        (bench_process_cpu_seconds() - harness_before) / elapsed;
    json_t *threads_after = bench_node_thread_cpu(node);
    json_t *thread_cores =
        bench_thread_cores(threads_before, threads_after, elapsed);
    json_decref(threads_before);
    json_decref(threads_after);
    int stop_rc = bench_stop_node(&node, report, "W3",
                                  rc != 0 || result.counted.accepted == 0);
    if (rc != 0 || result.counted.accepted == 0) {
        bench_report_add_failure(report, "W3", "ask commands/s",
                                 "load failed (see log)");
        json_decref(thread_cores);
        return -1;
    }
    bench_say("W3: %.0f cmd/s (%" PRIu64 " errors), node used %.2f cores, "
              "harness %.2f",
              result.rate, result.all.errors, node_cores, harness_cores);
    bench_say_json("W3: node threads (cores)", thread_cores);

    bench_raw_rate_t raw;
    bench_say("raw: ZeroMQ request/reply rate, %d clients x %d in flight",
              spec.clients, spec.window);
    if (bench_raw_zmq_rate(spec.clients, spec.window, profile->raw_seconds,
                           &raw) != 0) {
        bench_report_add_failure(report, "W3", "raw ZeroMQ rate",
                                 "could not measure (see log)");
        json_decref(thread_cores);
        return -1;
    }
    bench_say("raw: ZeroMQ %.0f round trips/s", raw.per_second);
    bench_row_t *row =
        bench_report_add(report, "W3", "ask commands/s", result.rate, "cmd/s");
    bench_row_set_raw(row, "ZeroMQ DEALER/ROUTER echo, same pipelining",
                      raw.per_second, BENCH_RATIO_PERCENT);
    bench_row_set_target(row, ">= 30% raw",
                         result.rate >= S_W3_TARGET_FRACTION * raw.per_second);
    bench_report_set_details(
        report, "W3",
        json_pack(
            "{s:I, s:i, s:i, s:f, s:f, s:o, s:f, s:f, s:o, s:{s:I, s:f, s:f}}",
            "entities", (json_int_t)profile->w3_entities, "clients",
            spec.clients, "window", spec.window, "seconds", spec.seconds,
            "rate", result.rate, "all", bench_outcomes_json(&result.all),
            "node_cpu_cores", node_cores, "harness_cpu_cores", harness_cores,
            "node_thread_cores", thread_cores, "raw_zmq_rate", "round_trips",
            (json_int_t)raw.round_trips, "seconds", raw.seconds, "per_second",
            raw.per_second));
    return stop_rc;
}
