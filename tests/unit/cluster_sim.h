/*
 * tests/unit/cluster_sim.h - a cluster of membership views in one process:
 * each round advances a shared clock by one heartbeat, has every running
 * node send its gossip to every other running node whose link is not cut,
 * then ticks every running node. Tests stop nodes, cut links one way or
 * both, and restart nodes with a new incarnation.
 *
 * Node i is named "n<i+1>", has incarnation 1001 + i unless restarted, and
 * the endpoints tcp://127.0.0.1:7<i+1>01 (peer), 7<i+1>02 (client) and
 * 7<i+1>03 (status).
 */
#ifndef SHOAL_TESTS_CLUSTER_SIM_H
#define SHOAL_TESTS_CLUSTER_SIM_H

#include "cluster/membership.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_SHARDS 64
#define SIM_HEARTBEAT_MS 100
#define SIM_SUSPECT_MS 500
#define SIM_DOWN_MS 1500
#define SIM_MAX_NODES 5
#define SIM_PROTOCOL "SHOAL/1"
#define SIM_CLUSTER "sim"

typedef struct {
    shoal_membership_t *nodes[SIM_MAX_NODES];
    bool running[SIM_MAX_NODES];
    bool cut[SIM_MAX_NODES][SIM_MAX_NODES]; /* i's gossip does not reach j */
    int64_t now;
    uint32_t shards;
    uint32_t max_moves;
    bool hold_owned;
    uint32_t min_members;
} sim_t;

static const char *const sim_types[] = {"counter", "account"};

/* The settings every simulated node shares (seed: NULL to found). */
static inline shoal_membership_settings_t sim_settings(const sim_t *sim,
                                                       const char *const *seed)
{
    return (shoal_membership_settings_t){
        .cluster_name = SIM_CLUSTER,
        .shards = sim->shards,
        .heartbeat_ms = SIM_HEARTBEAT_MS,
        .suspect_after_ms = SIM_SUSPECT_MS,
        .down_after_ms = SIM_DOWN_MS,
        .max_moves = sim->max_moves,
        .hold_owned = sim->hold_owned,
        .min_members = sim->min_members,
        .protocol_version = SIM_PROTOCOL,
        .plugin_types = sim_types,
        .plugin_type_count = 2,
        .seeds = seed,
        .seed_count = seed ? 1 : 0,
    };
}

/* The record node index starts with. */
static inline shoal_member_t sim_member(int index, uint64_t incarnation)
{
    shoal_member_t member = {0};
    snprintf(member.name, sizeof member.name, "n%d", index + 1);
    member.incarnation = incarnation;
    snprintf(member.peer_endpoint, sizeof member.peer_endpoint,
             "tcp://127.0.0.1:7%d01", index + 1);
    snprintf(member.client_endpoint, sizeof member.client_endpoint,
             "tcp://127.0.0.1:7%d02", index + 1);
    snprintf(member.status_endpoint, sizeof member.status_endpoint,
             "tcp://127.0.0.1:7%d03", index + 1);
    return member;
}

/* Starts an empty simulation at t = 10 s. */
static inline void sim_init(sim_t *sim, uint32_t max_moves)
{
    memset(sim, 0, sizeof *sim);
    sim->now = 10000;
    sim->shards = SIM_SHARDS;
    sim->max_moves = max_moves;
}

/* Frees every node. */
static inline void sim_destroy(sim_t *sim)
{
    for (int i = 0; i < SIM_MAX_NODES; i++)
        shoal_membership_destroy(&sim->nodes[i]);
}

/* Starts node 0 as the founder of a cluster. */
static inline void sim_found(sim_t *sim)
{
    shoal_membership_settings_t settings = sim_settings(sim, NULL);
    shoal_member_t member = sim_member(0, 1001);
    sim->nodes[0] = shoal_membership_new(&member, &settings);
    cr_assert_not_null(sim->nodes[0]);
    sim->running[0] = true;
}

/* Starts node index (replacing whatever ran there) with incarnation and
 * has it ask seed to join: the seed decodes the request and accepts it or
 * refuses it; on acceptance the joiner merges the seed's gossip. Returns
 * what the seed answered, its reason in reason. */
static inline int sim_join_as(sim_t *sim, int index, uint64_t incarnation,
                              int seed, char *reason, size_t reason_size)
{
    const char *seeds[] = {
        shoal_membership_local(sim->nodes[seed])->peer_endpoint};
    shoal_membership_settings_t settings = sim_settings(sim, seeds);
    shoal_member_t member = sim_member(index, incarnation);
    shoal_membership_destroy(&sim->nodes[index]);
    sim->nodes[index] = shoal_membership_new(&member, &settings);
    cr_assert_not_null(sim->nodes[index]);
    char *text = shoal_membership_encode_join(sim->nodes[index]);
    cr_assert_not_null(text);
    shoal_join_request_t request;
    char error[256];
    cr_assert_eq(shoal_join_request_decode(text, strlen(text), &request, error,
                                           sizeof error),
                 0, "%s", error);
    free(text);
    int rc = shoal_membership_accept_join(sim->nodes[seed], &request, sim->now,
                                          reason, reason_size);
    shoal_join_request_clear(&request);
    if (rc == 0) {
        char *reply =
            shoal_membership_encode_gossip(sim->nodes[seed], sim->now);
        cr_assert_eq(shoal_membership_merge_gossip(sim->nodes[index], reply,
                                                   strlen(reply), sim->now,
                                                   error, sizeof error),
                     0, "%s", error);
        free(reply);
    }
    sim->running[index] = rc == 0;
    return rc;
}

/* Starts node index with its first incarnation and joins it through
 * seed, which must accept. */
static inline void sim_join(sim_t *sim, int index, int seed)
{
    char reason[256] = "";
    cr_assert_eq(
        sim_join_as(sim, index, 1001 + index, seed, reason, sizeof reason), 0,
        "%s", reason);
}

/* One round: the clock moves one heartbeat, every running node gossips to
 * every other running one (unless the link is cut), then each ticks. */
static inline void sim_round(sim_t *sim)
{
    sim->now += SIM_HEARTBEAT_MS;
    for (int i = 0; i < SIM_MAX_NODES; i++) {
        if (!sim->running[i])
            continue;
        char *text = shoal_membership_encode_gossip(sim->nodes[i], sim->now);
        cr_assert_not_null(text);
        for (int j = 0; j < SIM_MAX_NODES; j++) {
            if (j == i || !sim->running[j] || sim->cut[i][j])
                continue;
            char error[256];
            cr_assert_eq(shoal_membership_merge_gossip(sim->nodes[j], text,
                                                       strlen(text), sim->now,
                                                       error, sizeof error),
                         0, "%s", error);
        }
        free(text);
    }
    for (int i = 0; i < SIM_MAX_NODES; i++)
        if (sim->running[i])
            cr_assert_geq(shoal_membership_tick(sim->nodes[i], sim->now), 0);
}

/* Runs count rounds. */
static inline void sim_rounds(sim_t *sim, int count)
{
    for (int i = 0; i < count; i++)
        sim_round(sim);
}

/* Cuts (or restores) both directions between node a and node b. */
static inline void sim_cut(sim_t *sim, int a, int b, bool cut)
{
    sim->cut[a][b] = cut;
    sim->cut[b][a] = cut;
}

/* The state node viewer sees node subject in. */
static inline shoal_member_state_t sim_state(const sim_t *sim, int viewer,
                                             int subject)
{
    char name[8];
    snprintf(name, sizeof name, "n%d", subject + 1);
    const shoal_member_t *member =
        shoal_membership_find(sim->nodes[viewer], name);
    cr_assert_not_null(member, "n%d does not know %s", viewer + 1, name);
    return member->state;
}

/* Asserts that running nodes a and b hold the same records and table. */
static inline void sim_assert_same_view(const sim_t *sim, int a, int b)
{
    const shoal_membership_t *x = sim->nodes[a], *y = sim->nodes[b];
    cr_assert_eq(shoal_membership_member_count(x),
                 shoal_membership_member_count(y), "n%d and n%d", a + 1, b + 1);
    for (size_t i = 0; i < shoal_membership_member_count(x); i++) {
        const shoal_member_t *mine = shoal_membership_member(x, i);
        const shoal_member_t *theirs = shoal_membership_find(y, mine->name);
        cr_assert_not_null(theirs);
        cr_assert_eq(shoal_member_compare(mine, theirs), 0,
                     "n%d and n%d differ on %s", a + 1, b + 1, mine->name);
    }
    cr_assert_eq(shoal_shard_table_compare(shoal_membership_table(x),
                                           shoal_membership_table(y)),
                 0);
    cr_assert(shoal_shard_table_same_owners(shoal_membership_table(x),
                                            shoal_membership_table(y)));
}

/* Asserts that every running node holds the same view as the first. */
static inline void sim_assert_converged(const sim_t *sim)
{
    int first = -1;
    for (int i = 0; i < SIM_MAX_NODES; i++) {
        if (!sim->running[i])
            continue;
        if (first < 0)
            first = i;
        else
            sim_assert_same_view(sim, first, i);
    }
}

/* A 64-shard cluster of count nodes, all up, converged. */
static inline void sim_start_cluster(sim_t *sim, int count, uint32_t max_moves)
{
    sim_init(sim, max_moves);
    sim_found(sim);
    sim_round(sim);
    for (int i = 1; i < count; i++) {
        sim_join(sim, i, 0);
        sim_rounds(sim, 3);
    }
    sim_rounds(sim, 64);
    sim_assert_converged(sim);
}

#endif
