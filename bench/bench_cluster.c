/*
 * bench/bench_cluster.c - W6: W1's workload on a three-node cluster.
 *
 * Three shoald processes on loopback form one cluster: a founder, then
 * two members that join through it, each with --cluster-min-members 3,
 * so that the first shard table is made once all three are up. When
 * every member sees the three up and reachable and serves, the accounts
 * are opened (setup, not timed) and W1's Deposits follow: uniform over
 * the accounts, default durability, pipelining clients, but with the
 * clients spread evenly over the three members' client ports. A member
 * owns about a third of the shards, so about two commands in three reach
 * a member that forwards them to the owner over its peer port.
 *
 * The figure is read against W1's, measured on one node earlier in the
 * same run; the members' "cluster.forwarded" counters give the fraction
 * of commands forwarded. All three nodes and the harness share the
 * machine's cores, so on a small machine the ratio measures the cost of
 * forwarding under CPU contention, not scale-out.
 */
#include "bench_workload.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MEMBERS 3

/* How long the three members may take to see each other and serve. */
#define S_FORM_TIMEOUT_MS 60000

static const char *const s_names[S_MEMBERS] = {"w6-a", "w6-b", "w6-c"};

/* One member and its readings around the timed load. */
typedef struct {
    bench_node_t *node;
    const char *name;
    char client_endpoint[256]; /* a copy: the report outlives the node */
    int64_t shards;            /* shards it owns */
    int64_t forwarded[2];      /* cluster.forwarded before and after */
    int64_t expired, refused;
    int64_t entries[2], commits[2]; /* journal counters */
    double cpu[2];                  /* process CPU seconds */
} s_member_t;

/* What W6 measured. */
typedef struct {
    s_member_t members[S_MEMBERS];
    const char *endpoints[S_MEMBERS]; /* the members' client_endpoint */
    bench_closed_result_t load;
    int clients, window;
    double seconds; /* the load's wall time, warm-up included */
    double harness_cores;
} s_w6_t;

/* ---------------------------------------------------------------------
 * Forming the cluster
 */

/* Starts member index, founding the cluster when seed is NULL. */
static bench_node_t *s_start_member(const bench_context_t *context, int index,
                                    const char *seed)
{
    const bench_profile_t *profile = &context->profile;
    char account[PATH_MAX], resident[32], folder[16];
    snprintf(resident, sizeof resident, "%" PRIu64,
             profile->w1_entities * 4 + 1000);
    snprintf(folder, sizeof folder, "w6-%c", 'a' + index);
    const char *args[] = {"--durability",
                          "full",
                          "--max-resident",
                          resident,
                          "--passivate-idle-ms",
                          "0",
                          "--node-name",
                          s_names[index],
                          "--cluster-endpoint",
                          "tcp://127.0.0.1:*",
                          "--cluster-min-members",
                          "3",
                          seed ? "--seed" : NULL,
                          seed,
                          NULL};
    return bench_start_node(
        context, folder,
        bench_example_plugin(context, "account", account, sizeof account), args,
        NULL);
}

/* True when the member's status says it serves, sees every member up
 * and reachable, and knows an owner for every shard. Sets *shards to
 * the number of shards the member owns. */
static bool s_member_ready(bench_node_t *node, const char *name,
                           int64_t *shards)
{
    json_t *status = bench_node_status(node);
    json_t *cluster = json_object_get(status, "cluster");
    bool ready = json_is_true(json_object_get(cluster, "serving"));
    for (int i = 0; ready && i < S_MEMBERS; i++) {
        bool up = false;
        size_t index;
        json_t *member;
        json_array_foreach(json_object_get(cluster, "members"), index, member)
        {
            const char *member_name =
                json_string_value(json_object_get(member, "name"));
            const char *state =
                json_string_value(json_object_get(member, "state"));
            if (!member_name || strcmp(member_name, s_names[i]) != 0)
                continue;
            up = state && strcmp(state, "up") == 0 &&
                 json_is_true(json_object_get(member, "reachable"));
            if (strcmp(member_name, name) == 0)
                *shards = json_integer_value(json_object_get(member, "shards"));
        }
        ready = up;
    }
    size_t index;
    json_t *owner;
    json_array_foreach(json_object_get(cluster, "shards"), index, owner)
    {
        if (!json_is_string(owner))
            ready = false;
    }
    json_decref(status);
    return ready;
}

/* Waits until every member is ready (s_member_ready). Returns 0, or -1
 * on the timeout, a member's exit or an interruption. */
static int s_await_cluster(s_w6_t *w6)
{
    int64_t start = bench_now_ns();
    int64_t deadline = start + (int64_t)S_FORM_TIMEOUT_MS * 1000000;
    int ready = 0;
    while (!bench_interrupted() && bench_now_ns() < deadline) {
        ready = 0;
        for (int i = 0; i < S_MEMBERS; i++) {
            s_member_t *member = &w6->members[i];
            if (!bench_node_alive(member->node))
                return -1;
            if (s_member_ready(member->node, member->name, &member->shards))
                ready++;
        }
        if (ready == S_MEMBERS) {
            bench_say("W6: cluster of %d serving after %.1f s; shards owned: "
                      "%s %" PRId64 ", %s %" PRId64 ", %s %" PRId64,
                      S_MEMBERS, bench_seconds_since(start), s_names[0],
                      w6->members[0].shards, s_names[1], w6->members[1].shards,
                      s_names[2], w6->members[2].shards);
            return 0;
        }
        bench_sleep_ms(50);
    }
    if (!bench_interrupted())
        fprintf(stderr,
                "shoal-bench: W6: %d of %d members serving with all "
                "members up after %d ms\n",
                ready, S_MEMBERS, S_FORM_TIMEOUT_MS);
    return -1;
}

/* Starts the founder and the two joiners and waits until they serve.
 * Returns 0, or -1 with the members started so far left in w6 for the
 * caller to stop. */
static int s_form_cluster(const bench_context_t *context, s_w6_t *w6)
{
    for (int i = 0; i < S_MEMBERS; i++) {
        s_member_t *member = &w6->members[i];
        const char *seed =
            i == 0 ? NULL : bench_node_cluster_endpoint(w6->members[0].node);
        member->name = s_names[i];
        member->node = s_start_member(context, i, seed);
        if (!member->node)
            return -1;
        if (!*bench_node_cluster_endpoint(member->node)) {
            fprintf(stderr,
                    "shoal-bench: W6: %s's readiness line has no "
                    "cluster endpoint\n",
                    member->name);
            return -1;
        }
        snprintf(member->client_endpoint, sizeof member->client_endpoint, "%s",
                 bench_node_client_endpoint(member->node));
        w6->endpoints[i] = member->client_endpoint;
    }
    return s_await_cluster(w6);
}

/* Stops every member that was started. Returns 0, or -1 when one did not
 * stop cleanly (reported). */
static int s_stop_members(s_w6_t *w6, bench_report_t *report, bool failed)
{
    int rc = 0;
    /* All at once: members stopped one by one would each hand their
     * shards over to the ones still running. */
    for (int i = 0; i < S_MEMBERS; i++)
        bench_node_signal_stop(w6->members[i].node);
    for (int i = S_MEMBERS - 1; i >= 0; i--) {
        if (bench_stop_node(&w6->members[i].node, report, "W6", failed) != 0)
            rc = -1;
    }
    return rc;
}

/* ---------------------------------------------------------------------
 * The load
 */

/* Reads the counters of every member into slot `at` (0 before, 1
 * after). */
static void s_read_members(s_w6_t *w6, int at)
{
    for (int i = 0; i < S_MEMBERS; i++) {
        s_member_t *member = &w6->members[i];
        bench_node_t *node = member->node;
        member->forwarded[at] =
            bench_node_status_int(node, "cluster.forwarded");
        member->entries[at] = bench_node_status_int(node, "journal.entries");
        member->commits[at] = bench_node_status_int(node, "journal.commits");
        member->cpu[at] = bench_node_cpu_seconds(node);
        if (at == 1) {
            member->expired =
                bench_node_status_int(node, "cluster.forwards_expired");
            member->refused =
                bench_node_status_int(node, "cluster.forwards_refused");
        }
    }
}

/* A closed-loop spec over target with the clients spread evenly over the
 * members: the profile's clients rounded up to a multiple of the member
 * count, and the window cut so that as many requests are in flight as
 * in W1. */
static bench_closed_spec_t s_spread_spec(const bench_context_t *context,
                                         const bench_target_t *target,
                                         s_w6_t *w6)
{
    bench_closed_spec_t spec = bench_closed_spec(context, target);
    int in_flight = spec.clients * spec.window;
    spec.clients = (spec.clients + S_MEMBERS - 1) / S_MEMBERS * S_MEMBERS;
    spec.window = in_flight / spec.clients > 0 ? in_flight / spec.clients : 1;
    spec.endpoints = w6->endpoints;
    spec.endpoint_count = S_MEMBERS;
    return spec;
}

/* Opens every account once, through all the members. Returns 0 when all
 * were accepted. */
static int s_open_accounts(const bench_context_t *context, s_w6_t *w6)
{
    uint64_t count = context->profile.w1_entities;
    bench_target_t target = {.endpoint = w6->endpoints[0],
                             .type = "account",
                             .command = "Open",
                             .payload = "{\"owner\":\"bench\"}",
                             .entity_count = count};
    bench_closed_spec_t spec = s_spread_spec(context, &target, w6);
    spec.each_entity_once = true;
    bench_closed_result_t result;
    int64_t start = bench_now_ns();
    int rc = bench_closed_loop(&spec, &result);
    if (rc != 0 || result.all.accepted != count) {
        fprintf(stderr,
                "shoal-bench: W6: opening %" PRIu64 " accounts: %" PRIu64
                " accepted, %" PRIu64 " rejected, %" PRIu64
                " errors; first error: %s\n",
                count, result.all.accepted, result.all.rejected,
                result.all.errors, result.first_error);
        return -1;
    }
    bench_say("W6: opened %" PRIu64 " accounts in %.1f s", count,
              bench_seconds_since(start));
    return 0;
}

/* The timed Deposits, spread over the members. Returns 0 or -1. */
static int s_deposits(const bench_context_t *context, s_w6_t *w6)
{
    const bench_profile_t *profile = &context->profile;
    bench_target_t target = {.endpoint = w6->endpoints[0],
                             .type = "account",
                             .command = "Deposit",
                             .payload = "{\"amount\":1}",
                             .entity_count = profile->w1_entities};
    bench_closed_spec_t spec = s_spread_spec(context, &target, w6);
    spec.seconds = profile->w6_seconds;
    spec.warmup_seconds = profile->w6_warmup_seconds;
    w6->clients = spec.clients;
    w6->window = spec.window;
    bench_say("W6: %d clients x %d in flight over %d members, Deposits over "
              "%" PRIu64 " accounts, %.0f s",
              spec.clients, spec.window, S_MEMBERS, target.entity_count,
              spec.warmup_seconds + spec.seconds);
    s_read_members(w6, 0);
    double harness_cpu = bench_process_cpu_seconds();
    int64_t start = bench_now_ns();
    int rc = bench_closed_loop(&spec, &w6->load);
    w6->seconds = bench_seconds_since(start);
    w6->harness_cores =
        (bench_process_cpu_seconds() - harness_cpu) / w6->seconds;
    if (rc != 0 || w6->load.counted.accepted == 0)
        return -1;
    s_read_members(w6, 1);
    return 0;
}

/* ---------------------------------------------------------------------
 * The report
 */

/* Commands forwarded by all members during the load. */
static int64_t s_forwarded(const s_w6_t *w6)
{
    int64_t sum = 0;
    for (int i = 0; i < S_MEMBERS; i++)
        sum += w6->members[i].forwarded[1] - w6->members[i].forwarded[0];
    return sum;
}

/* Per-member details, as a JSON array. */
static json_t *s_members_json(const s_w6_t *w6)
{
    json_t *array = json_array();
    for (int i = 0; i < S_MEMBERS; i++) {
        const s_member_t *member = &w6->members[i];
        int64_t entries = member->entries[1] - member->entries[0];
        int64_t commits = member->commits[1] - member->commits[0];
        json_array_append_new(
            array,
            json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f}",
                      "name", member->name, "client_endpoint", w6->endpoints[i],
                      "shards_owned", (json_int_t)member->shards, "forwarded",
                      (json_int_t)(member->forwarded[1] - member->forwarded[0]),
                      "forwards_expired", (json_int_t)member->expired,
                      "forwards_refused", (json_int_t)member->refused,
                      "journal_entries", (json_int_t)entries, "group_commits",
                      (json_int_t)commits, "mean_group_commit_size",
                      commits > 0 ? (double)entries / (double)commits : 0.0,
                      "node_cpu_cores",
                      (member->cpu[1] - member->cpu[0]) / w6->seconds));
    }
    return array;
}

/* Adds W6's rows and details; w1_state and w1_rate say what W1 gave. */
static void s_report(bench_report_t *report, const bench_context_t *context,
                     const s_w6_t *w6, bench_figure_state_t w1_state,
                     double w1_rate)
{
    double rate = w6->load.rate;
    bench_row_t *row = bench_report_add(
        report, "W6", "cluster of 3 commands/s (W1's load)", rate, "cmd/s");
    if (w1_state == BENCH_FIGURE_MEASURED)
        bench_row_set_raw(row, "W1 on one node, same run", w1_rate,
                          BENCH_RATIO_PERCENT);
    else
        bench_row_set_raw(row,
                          w1_state == BENCH_FIGURE_ABSENT
                              ? "W1 not selected: no ratio"
                              : "W1 not measured: no ratio",
                          NAN, BENCH_RATIO_NONE);
    int64_t forwarded = s_forwarded(w6);
    double sent = (double)(w6->load.sent ? w6->load.sent : 1);
    bench_report_add(report, "W6", "commands forwarded",
                     100.0 * (double)forwarded / sent, "% of sent");
    double node_cores = 0;
    for (int i = 0; i < S_MEMBERS; i++)
        node_cores +=
            (w6->members[i].cpu[1] - w6->members[i].cpu[0]) / w6->seconds;
    json_t *details = json_pack(
        "{s:I, s:i, s:i, s:i, s:f, s:f, s:f, s:o, s:o, s:I, s:I, s:f, s:f, "
        "s:f, s:o}",
        "entities", (json_int_t)context->profile.w1_entities, "members",
        S_MEMBERS, "clients", w6->clients, "window", w6->window, "seconds",
        w6->load.seconds, "warmup_seconds", context->profile.w6_warmup_seconds,
        "rate", rate, "counted", bench_outcomes_json(&w6->load.counted), "all",
        bench_outcomes_json(&w6->load.all), "sent", (json_int_t)w6->load.sent,
        "forwarded", (json_int_t)forwarded, "forwarded_fraction",
        (double)forwarded / sent, "node_cpu_cores", node_cores,
        "harness_cpu_cores", w6->harness_cores, "per_member",
        s_members_json(w6));
    if (details) {
        json_object_set_new(details, "w1_rate",
                            w1_state == BENCH_FIGURE_MEASURED
                                ? json_real(w1_rate)
                                : json_null());
        json_object_set_new(details, "ratio_to_w1",
                            w1_state == BENCH_FIGURE_MEASURED && w1_rate > 0
                                ? json_real(rate / w1_rate)
                                : json_null());
        if (w1_state != BENCH_FIGURE_MEASURED)
            json_object_set_new(details, "w1",
                                json_string(w1_state == BENCH_FIGURE_ABSENT
                                                ? "not selected"
                                                : "not measured"));
        if (*w6->load.first_error)
            json_object_set_new(details, "first_error",
                                json_string(w6->load.first_error));
    }
    bench_report_set_details(report, "W6", details);
    bench_say("W6: %.0f cmd/s (%" PRIu64 " errors, %" PRIu64
              " busy), %.1f%% forwarded, nodes used %.2f cores, harness "
              "%.2f",
              rate, w6->load.all.errors, w6->load.all.busy,
              100.0 * (double)forwarded / sent, node_cores, w6->harness_cores);
    if (w1_state == BENCH_FIGURE_MEASURED)
        bench_say("W6: %.1f%% of W1's %.0f cmd/s", 100.0 * rate / w1_rate,
                  w1_rate);
    else
        bench_say("W6: W1 %s in this run: no ratio",
                  w1_state == BENCH_FIGURE_ABSENT ? "was not selected"
                                                  : "was not measured");
    if (*w6->load.first_error)
        bench_say("W6: first error: %s", w6->load.first_error);
}

int bench_run_cluster(const bench_context_t *context, bench_report_t *report)
{
    double w1_rate;
    bench_figure_state_t w1_state =
        bench_report_figure(report, "W1", "persisted commands/s", &w1_rate);
    s_w6_t w6;
    memset(&w6, 0, sizeof w6);
    const char *failure = NULL;
    if (s_form_cluster(context, &w6) != 0)
        failure = "cluster did not form (see log)";
    else if (s_open_accounts(context, &w6) != 0)
        failure = "setup (Open) failed (see log)";
    else if (s_deposits(context, &w6) != 0)
        failure =
            w6.load.lost ? "replies lost (see log)" : "load failed (see log)";
    if (failure && bench_interrupted())
        failure = "interrupted";
    /* After an interruption the nodes are killed already: nothing to
     * diagnose. */
    int stop_rc =
        s_stop_members(&w6, report, failure != NULL && !bench_interrupted());
    if (failure) {
        bench_report_add_failure(
            report, "W6", "cluster of 3 commands/s (W1's load)", failure);
        return -1;
    }
    s_report(report, context, &w6, w1_state, w1_rate);
    return stop_rc;
}
