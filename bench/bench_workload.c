/*
 * bench/bench_workload.c - what the workloads share: starting and
 * stopping their nodes, the default load shape, and JSON renderings of
 * outcomes and latencies (see bench_workload.h).
 */
#include "bench_workload.h"

#include <stdio.h>
#include <stdlib.h>

#define S_ARGS_MAX 48

const char *bench_example_plugin(const bench_context_t *context,
                                 const char *name, char *buffer, size_t size)
{
    snprintf(buffer, size, "%s/%s/%s.so", context->plugin_dir, name, name);
    return buffer;
}

bench_node_t *bench_start_node(const bench_context_t *context, const char *name,
                               const char *plugin_path,
                               const char *const args[], char **dir_p)
{
    char *dir = bench_subdir_new(context->work_dir, name);
    if (!dir)
        return NULL;
    const char *argv[S_ARGS_MAX];
    size_t argc = 0;
    char workers[16];
    argv[argc++] = "--plugin";
    argv[argc++] = plugin_path;
    if (context->workers > 0) {
        snprintf(workers, sizeof workers, "%d", context->workers);
        argv[argc++] = "--workers";
        argv[argc++] = workers;
    }
    for (size_t i = 0; args[i] && argc + 1 < S_ARGS_MAX; i++)
        argv[argc++] = args[i];
    for (int i = 0; i < context->node_arg_count && argc + 1 < S_ARGS_MAX; i++)
        argv[argc++] = context->node_args[i];
    argv[argc] = NULL;
    bench_node_t *node = bench_node_start(context->shoald, dir, argv,
                                          BENCH_NODE_START_TIMEOUT_MS);
    if (node && dir_p)
        *dir_p = dir;
    else
        free(dir);
    return node;
}

int bench_stop_node(bench_node_t **node_p, bench_report_t *report,
                    const char *workload, bool workload_failed)
{
    if (!*node_p)
        return 0;
    if (workload_failed)
        bench_node_print_diagnostics(*node_p);
    int code = bench_node_stop(node_p, BENCH_NODE_STOP_TIMEOUT_MS);
    if (code == 0)
        return 0;
    if (bench_interrupted())
        return -1; /* killed by the interruption: nothing to report */
    char reason[96];
    snprintf(reason, sizeof reason,
             "shoald exited with %d (expected 0 after SIGTERM)", code);
    bench_report_add_failure(report, workload, "clean stop", reason);
    return -1;
}

bench_closed_spec_t bench_closed_spec(const bench_context_t *context,
                                      const bench_target_t *target)
{
    return (bench_closed_spec_t){.target = *target,
                                 .clients = context->profile.clients,
                                 .window = context->profile.window,
                                 .timeout_ms = BENCH_REPLY_TIMEOUT_MS};
}

json_t *bench_outcomes_json(const bench_outcomes_t *outcomes)
{
    return json_pack(
        "{s:I, s:I, s:I, s:I, s:I}", "accepted", (json_int_t)outcomes->accepted,
        "rejected", (json_int_t)outcomes->rejected, "errors",
        (json_int_t)outcomes->errors, "busy", (json_int_t)outcomes->busy,
        "invalid", (json_int_t)outcomes->invalid);
}

json_t *bench_latency_json(const bench_latency_t *latency)
{
    return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f}", "count",
                     (json_int_t)latency->count, "mean_us", latency->mean,
                     "p50_us", latency->p50, "p99_us", latency->p99, "p999_us",
                     latency->p999, "max_us", latency->max);
}
