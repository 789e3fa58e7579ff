/*
 * bench/bench_main.c - shoal-bench: the benchmark harness's entry point.
 *
 * Reads the flags, picks the profile (quick by default, the full
 * sizes with --full), makes the run's temporary folder, runs the
 * workloads in order, prints the table and writes the JSON report. Every
 * node a workload starts is stopped by it, and killed by the node
 * registry if anything goes wrong; the temporary folder is removed at the
 * end unless --keep is given.
 *
 * Exit: 0 when every figure was measured, 1 when some could not be, 2 on
 * a usage error.
 */
#include "bench.h"
#include "bench_node.h"
#include "bench_report.h"
#include "bench_workload.h"

#include <czmq.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const bench_profile_t s_quick = {
    .name = "quick",
    .clients = 4,
    .window = 512,
    .raw_seconds = 3,
    .w1_entities = 10000,
    .w1_seconds = 10,
    .w1_warmup_seconds = 2,
    .w2_seconds = 10,
    .w2_single_samples = 5000,
    .w3_entities = 10000,
    .w3_seconds = 5,
    .w4_entities = 10000,
    .w4_events = 100000,
    .w5_entities = 200000,
    .w6_seconds = 10,
    .w6_warmup_seconds = 2,
};

static const bench_profile_t s_full = {
    .name = "full",
    .clients = 4,
    .window = 512,
    .raw_seconds = 5,
    .w1_entities = 100000,
    .w1_seconds = 30,
    .w1_warmup_seconds = 3,
    .w2_seconds = 30,
    .w2_single_samples = 20000,
    .w3_entities = 100000,
    .w3_seconds = 10,
    .w4_entities = 100000,
    .w4_events = 1000000,
    .w5_entities = 1000000,
    .w6_seconds = 30,
    .w6_warmup_seconds = 3,
};

typedef struct {
    const char *name; /* "W1" ... as --only names them */
    const char *also; /* a second name the runner covers, or NULL */
    int (*run)(const bench_context_t *context, bench_report_t *report);
} s_workload_t;

/* In the order they run; W6 comes after W1, whose figure it is read
 * against. */
static const s_workload_t s_workloads[] = {
    {"W1", "W2", bench_run_persisted}, /* bench_persisted.c */
    {"W3", NULL, bench_run_ask},       /* bench_ask.c */
    {"W4", NULL, bench_run_recovery},  /* bench_recovery.c */
    {"W5", NULL, bench_run_memory},    /* bench_memory.c */
    {"W6", NULL, bench_run_cluster},   /* bench_cluster.c */
};

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: shoal-bench --shoald PATH --plugin-dir DIR --probe PATH\n"
            "                   [--json PATH] [--full] [--only W1,W3,...]\n"
            "                   [--workers N] [--clients N] [--window N]\n"
            "                   [--node-setting KEY=VALUE]... [--keep]\n"
            "\n"
            "Starts shoald nodes in temporary folders on ephemeral ports,\n"
            "runs the workloads W1..W6 through the client protocol, measures\n"
            "the machine's raw SQLite and ZeroMQ limits in the same run, and\n"
            "prints a table (Markdown); --json also writes it as JSON.\n"
            "\n"
            "  W1  persisted commands/s on one node\n"
            "  W2  latency at half of W1's rate and with one command in\n"
            "      flight (runs with W1)\n"
            "  W3  commands that emit no events\n"
            "  W4  recovery after a restart\n"
            "  W5  resident memory per idle entity\n"
            "  W6  W1's load on a cluster of three nodes, the clients\n"
            "      spread over all three (about 2/3 of the commands are\n"
            "      forwarded), read against W1's figure of the same run\n"
            "\n"
            "  --shoald PATH      the node binary (build/shoald)\n"
            "  --plugin-dir DIR   the example plugins (build/examples)\n"
            "  --probe PATH       the bench plugin (build/bench/probe.so)\n"
            "  --json PATH        write the results as JSON to PATH\n"
            "  --full             the issue's sizes (default: quick)\n"
            "  --only LIST        run only these workloads (W2 runs with W1;\n"
            "                     W6 has no ratio without W1)\n"
            "  --workers N        worker threads of the nodes (default: "
            "theirs)\n"
            "  --clients N        pipelining client threads [%d]; W6 rounds\n"
            "                     them up to a multiple of 3 and keeps as\n"
            "                     many requests in flight\n"
            "  --window N         requests in flight per client [%d]\n"
            "  --node-setting KEY=VALUE\n"
            "                     pass --KEY VALUE to every node, after the\n"
            "                     workload's own settings (e.g.\n"
            "                     checkpoint-ms=60000); repeatable\n"
            "  --keep             keep the temporary folder\n",
            s_quick.clients, s_quick.window);
}

/* Adds a --node-setting KEY=VALUE as the flags "--KEY" "VALUE"; the
 * flag's text lives in flags, the value in argv (left as it is, so that
 * the report shows the command as typed). Returns 0 or -1. */
static int s_add_node_setting(bench_context_t *context, const char *setting,
                              char flags[][80])
{
    char *equals = strchr(setting, '=');
    int index = context->node_arg_count / 2;
    if (!equals || equals == setting || index == BENCH_NODE_SETTINGS_MAX ||
        (size_t)(equals - setting) + 3 > 80) {
        fprintf(stderr,
                "shoal-bench: bad --node-setting '%s' (KEY=VALUE, "
                "at most %d)\n",
                setting, BENCH_NODE_SETTINGS_MAX);
        return -1;
    }
    snprintf(flags[index], 80, "--%.*s", (int)(equals - setting), setting);
    context->node_args[context->node_arg_count++] = flags[index];
    context->node_args[context->node_arg_count++] = equals + 1;
    return 0;
}

/* True when the workload is selected by --only (or there is no --only). */
static bool s_selected(const char *only, const s_workload_t *workload)
{
    if (!only)
        return true;
    return strstr(only, workload->name) ||
           (workload->also && strstr(only, workload->also));
}

/* Checks that path names a file with the given access. */
static bool s_usable(const char *what, const char *path, int mode)
{
    if (path && access(path, mode) == 0)
        return true;
    fprintf(stderr, "shoal-bench: %s %s is missing or not usable\n", what,
            path ? path : "(not given)");
    return false;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"shoald", required_argument, NULL, 's'},
        {"plugin-dir", required_argument, NULL, 'p'},
        {"probe", required_argument, NULL, 'P'},
        {"json", required_argument, NULL, 'j'},
        {"full", no_argument, NULL, 'f'},
        {"only", required_argument, NULL, 'o'},
        {"workers", required_argument, NULL, 'w'},
        {"clients", required_argument, NULL, 'c'},
        {"window", required_argument, NULL, 'W'},
        {"keep", no_argument, NULL, 'k'},
        {"node-setting", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    bench_context_t context = {.profile = s_quick};
    char node_flags[BENCH_NODE_SETTINGS_MAX][80];
    const char *json_path = NULL, *only = NULL;
    bool keep = false;
    int clients = 0, window = 0, option;
    while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (option) {
        case 's':
            context.shoald = optarg;
            break;
        case 'p':
            context.plugin_dir = optarg;
            break;
        case 'P':
            context.probe = optarg;
            break;
        case 'j':
            json_path = optarg;
            break;
        case 'f':
            context.profile = s_full;
            break;
        case 'o':
            only = optarg;
            break;
        case 'w':
            context.workers = atoi(optarg);
            break;
        case 'c':
            clients = atoi(optarg);
            break;
        case 'W':
            window = atoi(optarg);
            break;
        case 'k':
            keep = true;
            break;
        case 'n':
            if (s_add_node_setting(&context, optarg, node_flags) != 0) {
                s_usage(stderr);
                return 2;
            }
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        default:
            s_usage(stderr);
            return 2;
        }
    }
    if (clients > 0)
        context.profile.clients = clients;
    if (window > 0)
        context.profile.window = window;
    char counter[4096], account[4096];
    if (optind != argc || !context.plugin_dir ||
        !s_usable("shoald", context.shoald, X_OK) ||
        !s_usable("probe plugin", context.probe, R_OK) ||
        !s_usable(
            "counter plugin",
            bench_example_plugin(&context, "counter", counter, sizeof counter),
            R_OK) ||
        !s_usable(
            "account plugin",
            bench_example_plugin(&context, "account", account, sizeof account),
            R_OK)) {
        s_usage(stderr);
        return 2;
    }

    zsys_init();
    zsys_handler_set(NULL); /* our handler, not CZMQ's */
    bench_install_interrupt_handler();
    bench_node_install_hooks();
    bench_machine_t machine;
    bench_machine_probe(&machine, argc, argv, context.profile.name);
    char *work_dir = bench_temp_dir_new();
    bench_report_t *report = bench_report_new();
    if (!work_dir || !report)
        return 1;
    context.work_dir = work_dir;
    bench_say("shoal-bench, %s profile, in %s", context.profile.name, work_dir);

    int failures = 0;
    for (size_t i = 0; i < sizeof s_workloads / sizeof s_workloads[0]; i++) {
        if (bench_interrupted())
            break;
        if (!s_selected(only, &s_workloads[i]))
            continue;
        if (s_workloads[i].run(&context, report) != 0)
            failures++;
    }
    bench_node_kill_all(); /* Defensive: every runner stops its nodes. */
    if (bench_interrupted())
        bench_say("interrupted: the nodes were killed");

    bench_report_print(report, &machine, stdout);
    fflush(stdout);
    if (json_path && bench_report_write_json(report, &machine, json_path) == 0)
        bench_say("results written to %s", json_path);
    if (keep)
        bench_say("kept %s", work_dir);
    else
        bench_remove_tree(work_dir);
    bool failed = failures > 0 || bench_report_has_failures(report) ||
                  bench_interrupted();
    bench_report_destroy(&report);
    free(work_dir);
    return failed ? 1 : 0;
}
