/*
 * runtime/status.c - the status JSON (built with jansson) and the
 * Prometheus metrics text.
 */
#include "runtime/status.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* Sums the counter at offset over all workers. */
static uint64_t s_sum(const shoal_status_input_t *input, size_t offset)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; i < input->workers; i++) {
        _Atomic uint64_t *field =
            (_Atomic uint64_t *)((char *)&input->worker_stats[i] + offset);
        sum += atomic_load(field);
    }
    return sum;
}

#define S_SUM(input, field)                                                    \
    s_sum((input), offsetof(shoal_worker_stats_t, field))

/* Requests queued for one worker and not yet taken. */
static uint64_t s_inbox_depth(const shoal_worker_stats_t *stats)
{
    uint64_t sent = atomic_load(&stats->inbox_sent);
    uint64_t taken = atomic_load(&stats->inbox_taken);
    return sent > taken ? sent - taken : 0;
}

/* Busy answers: the workers', the main thread's and the gates'. */
static uint64_t s_busy(const shoal_status_input_t *input)
{
    return S_SUM(input, busy) + input->busy_at_dispatch +
           (input->gates ? input->gates->busy : 0);
}

/* Appends queued for the writer and not yet taken. */
static uint64_t s_journal_depth(const shoal_journal_stats_t *stats)
{
    uint64_t submitted = atomic_load(&stats->submitted);
    uint64_t taken = atomic_load(&stats->taken);
    return submitted > taken ? submitted - taken : 0;
}

char *shoal_status_json(const shoal_status_input_t *input)
{
    shoal_journal_stats_t *journal = input->journal_stats;
    json_t *types = json_array();
    for (size_t i = 0; i < input->type_count; i++)
        json_array_append_new(types, json_string(input->types[i]));
    json_t *inboxes = json_array();
    for (uint32_t i = 0; i < input->workers; i++)
        json_array_append_new(inboxes, json_integer((json_int_t)s_inbox_depth(
                                           &input->worker_stats[i])));
    json_t *root = json_pack(
        "{s:s, s:s, s:I, s:o, s:i, s:i, s:I, s:I,"
        " s:{s:o, s:I, s:I},"
        " s:{s:I, s:I, s:I, s:I, s:I, s:f},"
        " s:{s:I, s:I, s:I},"
        " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}}",
        "node", input->node_name, "version", input->version, "uptime_s",
        (json_int_t)input->uptime_s, "types", types, "shards",
        (int)input->shards, "workers", (int)input->workers, "entities",
        (json_int_t)S_SUM(input, resident), "known_entities",
        (json_int_t)S_SUM(input, known), "queues", "worker_inbox", inboxes,
        "journal", (json_int_t)s_journal_depth(journal), "stashed",
        (json_int_t)S_SUM(input, stashed), "commands", "accepted",
        (json_int_t)S_SUM(input, accepted), "rejected",
        (json_int_t)S_SUM(input, rejected), "errors",
        (json_int_t)S_SUM(input, errors), "busy", (json_int_t)s_busy(input),
        "duplicates", (json_int_t)S_SUM(input, duplicates), "per_second",
        input->commands_per_second, "lifecycle", "recoveries",
        (json_int_t)S_SUM(input, recoveries), "passivations",
        (json_int_t)S_SUM(input, passivations), "snapshots",
        (json_int_t)S_SUM(input, snapshots), "journal", "events",
        (json_int_t)atomic_load(&journal->events), "entries",
        (json_int_t)atomic_load(&journal->entries), "bytes",
        (json_int_t)atomic_load(&journal->bytes), "commits",
        (json_int_t)atomic_load(&journal->commits), "failures",
        (json_int_t)atomic_load(&journal->failures), "fenced",
        (json_int_t)atomic_load(&journal->fenced), "last_commit_size",
        (json_int_t)atomic_load(&journal->last_commit_size),
        "last_commit_latency_us",
        (json_int_t)atomic_load(&journal->last_commit_latency_us),
        "max_commit_latency_us",
        (json_int_t)atomic_load(&journal->max_commit_latency_us),
        "slow_commits", (json_int_t)atomic_load(&journal->slow_commits),
        "durability", input->durability);
    if (!root)
        return NULL;
    json_object_set_new(root, "replies_dropped",
                        json_integer((json_int_t)input->replies_dropped));
    if (input->gates)
        json_object_set_new(
            root, "gates",
            json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                      "waiting", (json_int_t)input->gates_waiting, "started",
                      (json_int_t)input->gates->started, "forwarded",
                      (json_int_t)input->gates->forwarded, "rejected",
                      (json_int_t)input->gates->rejected, "dispatched",
                      (json_int_t)input->gates->dispatched, "failed",
                      (json_int_t)input->gates->failed, "asks",
                      (json_int_t)input->gates->asks, "ask_timeouts",
                      (json_int_t)input->gates->ask_timeouts, "busy",
                      (json_int_t)input->gates->busy));
    json_object_set_new(root, "clock",
                        json_pack("{s:I, s:b}", "now_ms",
                                  (json_int_t)input->clock_ms, "manual",
                                  input->manual_clock));
    json_t *cluster =
        input->cluster_json ? json_loads(input->cluster_json, 0, NULL) : NULL;
    if (cluster) {
        json_object_set_new(cluster, "forwarded",
                            json_integer((json_int_t)input->forwarded));
        json_object_set_new(cluster, "forwards_expired",
                            json_integer((json_int_t)input->forwards_expired));
        json_object_set_new(cluster, "forwards_refused",
                            json_integer((json_int_t)input->forwards_refused));
        json_object_set_new(cluster, "parked",
                            json_integer((json_int_t)input->parked));
        json_object_set_new(cluster, "handoff",
                            input->handoff_shard < 0
                                ? json_null()
                                : json_pack("{s:I, s:s, s:s}", "shard",
                                            (json_int_t)input->handoff_shard,
                                            "to", input->handoff_to, "phase",
                                            input->handoff_phase));
        json_object_set_new(
            cluster, "receiving",
            input->receiving_shard < 0
                ? json_null()
                : json_integer((json_int_t)input->receiving_shard));
        json_object_set_new(root, "cluster", cluster);
    }
    json_t *reactor =
        input->reactor_json ? json_loads(input->reactor_json, 0, NULL) : NULL;
    if (reactor)
        json_object_update(root, reactor);
    json_decref(reactor);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

/* Appends one metric with its HELP and TYPE lines. */
static void s_metric(FILE *out, const char *name, const char *type,
                     const char *help, double value)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name,
            type, name, value);
}

char *shoal_status_metrics(const shoal_status_input_t *input)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out)
        return NULL;
    shoal_journal_stats_t *journal = input->journal_stats;
    s_metric(out, "shoal_uptime_seconds", "gauge", "Seconds since start.",
             (double)input->uptime_s);
    s_metric(out, "shoal_entities_resident", "gauge", "Entities in memory.",
             (double)S_SUM(input, resident));
    s_metric(out, "shoal_entities_stashed_requests", "gauge",
             "Requests waiting behind a busy entity.",
             (double)S_SUM(input, stashed));
    fprintf(out, "# HELP shoal_commands_total Commands answered, by outcome."
                 "\n# TYPE shoal_commands_total counter\n");
    fprintf(out, "shoal_commands_total{outcome=\"accepted\"} %llu\n",
            (unsigned long long)S_SUM(input, accepted));
    fprintf(out, "shoal_commands_total{outcome=\"rejected\"} %llu\n",
            (unsigned long long)S_SUM(input, rejected));
    fprintf(out, "shoal_commands_total{outcome=\"error\"} %llu\n",
            (unsigned long long)S_SUM(input, errors));
    fprintf(out, "shoal_commands_total{outcome=\"busy\"} %llu\n",
            (unsigned long long)s_busy(input));
    fprintf(out, "shoal_commands_total{outcome=\"duplicate\"} %llu\n",
            (unsigned long long)S_SUM(input, duplicates));
    s_metric(out, "shoal_replies_dropped_total", "counter",
             "Replies not sent: the peer was gone or its queue full.",
             (double)input->replies_dropped);
    fprintf(out, "# HELP shoal_worker_inbox_depth Requests queued per worker."
                 "\n# TYPE shoal_worker_inbox_depth gauge\n");
    for (uint32_t i = 0; i < input->workers; i++)
        fprintf(out, "shoal_worker_inbox_depth{worker=\"%u\"} %llu\n", i,
                (unsigned long long)s_inbox_depth(&input->worker_stats[i]));
    s_metric(out, "shoal_journal_queue_depth", "gauge",
             "Appends waiting for the journal writer.",
             (double)s_journal_depth(journal));
    s_metric(out, "shoal_journal_events_total", "counter",
             "Events in the journal.", (double)atomic_load(&journal->events));
    s_metric(out, "shoal_journal_entries_total", "counter",
             "Entries (command outcomes) in the journal.",
             (double)atomic_load(&journal->entries));
    s_metric(out, "shoal_journal_bytes_total", "counter",
             "Event and reply bytes in the journal.",
             (double)atomic_load(&journal->bytes));
    s_metric(out, "shoal_journal_commits_total", "counter",
             "Group commits since start.",
             (double)atomic_load(&journal->commits));
    s_metric(out, "shoal_journal_commit_failures_total", "counter",
             "Group commits that failed since start.",
             (double)atomic_load(&journal->failures));
    s_metric(out, "shoal_journal_slow_commits_total", "counter",
             "Group commits that took 100 ms or more since start.",
             (double)atomic_load(&journal->slow_commits));
    s_metric(out, "shoal_journal_max_commit_latency_seconds", "gauge",
             "Duration of the slowest group commit since start.",
             (double)atomic_load(&journal->max_commit_latency_us) / 1e6);
    s_metric(out, "shoal_journal_fenced_total", "counter",
             "Writes refused because this node did not own their shard at "
             "their epoch.",
             (double)atomic_load(&journal->fenced));
    s_metric(out, "shoal_journal_last_commit_size", "gauge",
             "Appends in the last group commit.",
             (double)atomic_load(&journal->last_commit_size));
    s_metric(out, "shoal_journal_last_commit_latency_seconds", "gauge",
             "Duration of the last group commit.",
             (double)atomic_load(&journal->last_commit_latency_us) / 1e6);
    s_metric(out, "shoal_recoveries_total", "counter",
             "Entities recovered from the journal.",
             (double)S_SUM(input, recoveries));
    s_metric(out, "shoal_passivations_total", "counter", "Entities passivated.",
             (double)S_SUM(input, passivations));
    s_metric(out, "shoal_snapshots_total", "counter", "Snapshots written.",
             (double)S_SUM(input, snapshots));
    if (input->gates) {
        s_metric(out, "shoal_gate_commands_waiting", "gauge",
                 "Commands waiting on their gatekeeper's asks.",
                 (double)input->gates_waiting);
        s_metric(out, "shoal_gate_rejections_total", "counter",
                 "Commands rejected by gatekeepers.",
                 (double)input->gates->rejected);
        s_metric(out, "shoal_gate_ask_timeouts_total", "counter",
                 "Gatekeeper asks that timed out.",
                 (double)input->gates->ask_timeouts);
    }
    if (input->cluster_json) {
        s_metric(out, "shoal_forwarded_total", "counter",
                 "Requests forwarded to the owner of their shard.",
                 (double)input->forwarded);
        s_metric(out, "shoal_forwards_expired_total", "counter",
                 "Forwarded requests whose owner did not answer in time.",
                 (double)input->forwards_expired);
        s_metric(out, "shoal_forwards_refused_total", "counter",
                 "Forwarded requests refused here for a shard this node "
                 "does not own (stale sender).",
                 (double)input->forwards_refused);
    }
    if (input->reactor_metrics)
        fputs(input->reactor_metrics, out);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
