/*
 * bench/bench_memory.c - W5: resident bytes per idle in-memory entity.
 *
 * For each of two plugins, a node that never passivates (and whose
 * resident cap is far above the count) first takes a warm-up of entities,
 * so that one-time costs (the SQLite page cache, socket buffers, thread
 * arenas) are paid before the first reading; then its RSS is read, one
 * command goes to each of `count` new entities, and, once every entity is
 * resident and a directory checkpoint has passed, the RSS is read again.
 * (RSS after - RSS before) / count is the figure.
 *
 *   probe   Touch: one tiny event; the state is a shared static object,
 *           so the figure is the runtime's own overhead per entity
 *   counter Increment: the same with a real (8-byte, calloc'd) state
 *
 * The difference is what the plugin state costs. Durability is `fast`:
 * memory does not depend on fsync, and the runs are shorter.
 */
#include "bench_workload.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* W5's target: runtime overhead per entity, bytes (the benchmark issue). */
#define S_W5_TARGET_BYTES 200.0

/* Enough warm-up entities that the journal outgrows SQLite's page cache
 * (2 MB by default) before the first reading. */
#define S_WARMUP_ENTITIES 50000
/* A small window: fewer requests in flight, less transient memory. */
#define S_CLIENTS 2
#define S_WINDOW 64
/* The node's checkpoint interval here; the harness waits a bit longer so
 * the writer's table of changed heads has been flushed once. */
#define S_CHECKPOINT_MS "500"
#define S_SETTLE_MS 1500

typedef struct {
    bench_node_memory_t before;
    bench_node_memory_t loaded;  /* right after the last reply */
    bench_node_memory_t settled; /* after a checkpoint */
    int64_t resident;
    double seconds;
    double bytes_per_entity;
} s_memory_t;

/* Sends one command to each of count entities named prefix + index. */
static int s_touch_each(const bench_context_t *context, bench_node_t *node,
                        const char *type, const char *command,
                        const char *prefix, uint64_t count)
{
    bench_target_t target = {.endpoint = bench_node_client_endpoint(node),
                             .type = type,
                             .command = command,
                             .id_prefix = prefix,
                             .entity_count = count};
    bench_closed_spec_t spec = bench_closed_spec(context, &target);
    spec.clients = S_CLIENTS;
    spec.window = S_WINDOW;
    spec.each_entity_once = true;
    bench_closed_result_t result;
    if (bench_closed_loop(&spec, &result) != 0 ||
        result.all.accepted != count) {
        fprintf(stderr,
                "shoal-bench: W5: %s %s: %" PRIu64 " of %" PRIu64
                " accepted, %" PRIu64 " errors\n",
                type, command, result.all.accepted, count, result.all.errors);
        return -1;
    }
    return 0;
}

/* Measures one plugin. Returns 0 or -1. */
static int s_measure(const bench_context_t *context, const char *name,
                     const char *plugin, const char *type, const char *command,
                     s_memory_t *memory)
{
    uint64_t count = context->profile.w5_entities;
    char resident[32];
    snprintf(resident, sizeof resident, "%" PRIu64,
             (count + S_WARMUP_ENTITIES) * 4);
    const char *args[] = {"--durability",
                          "fast",
                          "--max-resident",
                          resident,
                          "--passivate-idle-ms",
                          "0",
                          "--checkpoint-ms",
                          S_CHECKPOINT_MS,
                          NULL};
    bench_node_t *node = bench_start_node(context, name, plugin, args, NULL);
    if (!node)
        return -1;
    int rc = -1;
    int64_t expected = (int64_t)(count + S_WARMUP_ENTITIES);
    if (s_touch_each(context, node, type, command, "warm-",
                     S_WARMUP_ENTITIES) != 0)
        goto out_stop;
    bench_sleep_ms(S_SETTLE_MS);
    bench_node_memory(node, &memory->before);
    int64_t start = bench_now_ns();
    if (s_touch_each(context, node, type, command, NULL, count) != 0)
        goto out_stop;
    memory->seconds = bench_seconds_since(start);
    bench_node_memory(node, &memory->loaded);
    if (bench_node_wait_status_at_least(node, "entities", expected, 30000) != 0)
        goto out_stop;
    bench_sleep_ms(S_SETTLE_MS);
    bench_node_memory(node, &memory->settled);
    memory->resident = bench_node_status_int(node, "entities");
    memory->bytes_per_entity =
        (double)(memory->settled.rss - memory->before.rss) / (double)count;
    bench_say("W5: %s: %" PRIu64 " entities in %.1f s; RSS %.1f -> %.1f MiB "
              "(%.1f right after): %.0f bytes/entity",
              type, count, memory->seconds,
              (double)memory->before.rss / 1048576.0,
              (double)memory->settled.rss / 1048576.0,
              (double)memory->loaded.rss / 1048576.0, memory->bytes_per_entity);
    rc = 0;
out_stop:
    if (rc != 0)
        bench_node_print_diagnostics(node);
    if (bench_node_stop(&node, BENCH_NODE_STOP_TIMEOUT_MS) != 0)
        rc = -1;
    return rc;
}

static json_t *s_reading_json(const bench_node_memory_t *reading)
{
    return json_pack("{s:I, s:I, s:I, s:I}", "rss", (json_int_t)reading->rss,
                     "anonymous", (json_int_t)reading->anonymous, "file",
                     (json_int_t)reading->file, "shared",
                     (json_int_t)reading->shared);
}

static json_t *s_memory_json(const s_memory_t *memory, uint64_t count)
{
    double per_entity = (double)count;
    return json_pack(
        "{s:o, s:o, s:o, s:I, s:f, s:f, s:{s:f, s:f, s:f}}", "before",
        s_reading_json(&memory->before), "right_after",
        s_reading_json(&memory->loaded), "settled",
        s_reading_json(&memory->settled), "resident_entities",
        (json_int_t)memory->resident, "load_seconds", memory->seconds,
        "bytes_per_entity", memory->bytes_per_entity,
        "bytes_per_entity_by_kind", "anonymous",
        (double)(memory->settled.anonymous - memory->before.anonymous) /
            per_entity,
        "file",
        (double)(memory->settled.file - memory->before.file) / per_entity,
        "shared",
        (double)(memory->settled.shared - memory->before.shared) / per_entity);
}

int bench_run_memory(const bench_context_t *context, bench_report_t *report)
{
    s_memory_t probe = {0}, counter = {0};
    char counter_plugin[PATH_MAX];
    bench_example_plugin(context, "counter", counter_plugin,
                         sizeof counter_plugin);
    bench_say("W5: %" PRIu64 " probe entities", context->profile.w5_entities);
    if (s_measure(context, "w5-probe", context->probe, "probe", "Touch",
                  &probe) != 0) {
        bench_report_add_failure(report, "W5", "runtime bytes/entity",
                                 "probe run failed (see log)");
        return -1;
    }
    bench_say("W5: %" PRIu64 " counter entities", context->profile.w5_entities);
    if (s_measure(context, "w5-counter", counter_plugin, "counter", "Increment",
                  &counter) != 0) {
        bench_report_add_failure(report, "W5", "total bytes/entity",
                                 "counter run failed (see log)");
        return -1;
    }
    bench_row_t *row =
        bench_report_add(report, "W5", "runtime overhead per entity (probe)",
                         probe.bytes_per_entity, "B/entity");
    bench_row_set_target(row, "<= 200 B",
                         probe.bytes_per_entity <= S_W5_TARGET_BYTES);
    bench_report_add(report, "W5", "total per counter entity",
                     counter.bytes_per_entity, "B/entity");
    bench_report_add(report, "W5", "plugin state (counter - probe)",
                     counter.bytes_per_entity - probe.bytes_per_entity,
                     "B/entity");
    bench_report_set_details(
        report, "W5",
        json_pack("{s:I, s:i, s:o, s:o}", "entities",
                  (json_int_t)context->profile.w5_entities, "warmup_entities",
                  S_WARMUP_ENTITIES, "probe",
                  s_memory_json(&probe, context->profile.w5_entities),
                  "counter",
                  s_memory_json(&counter, context->profile.w5_entities)));
    return 0;
}
