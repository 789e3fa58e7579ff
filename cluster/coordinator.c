/*
 * cluster/coordinator.c - the coordinator's work on a view: changing the
 * states of other members (admit, mark down, bring back, remove) and
 * moving the shard table toward its rendezvous target a few shards per
 * tick (see membership.h).
 *
 * Every node can compute the target table from its view; only the
 * coordinator with a quorum publishes tables, each with the next epoch.
 * A shard that gains its first owner is not a move and is never held
 * back: only moves between owners (which the handoff will turn into
 * journal transfers) count against max_moves.
 */
#include "cluster/membership_internal.h"
#include "cluster/rendezvous.h"

#include <stdlib.h>
#include <string.h>

/* How long this node has not heard member: since it last heard it, or
 * since it learned of it when never heard. */
static int64_t s_silence(const shoal_member_t *member, int64_t now_ms)
{
    return now_ms -
           (member->heard ? member->last_heard_ms : member->learned_ms);
}

/* The order number the next admitted member gets. */
static uint64_t s_next_order(const shoal_membership_t *self)
{
    uint64_t highest = 0;
    for (size_t i = 0; i < self->member_count; i++)
        if (self->members[i].up_since > highest)
            highest = self->members[i].up_since;
    return highest + 1;
}

/* Decides the state of another member. Returns whether it changed (its
 * version is then bumped). */
static bool s_judge(shoal_membership_t *self, shoal_member_t *member,
                    int64_t now_ms, uint64_t *next_order)
{
    bool reachable = shoal_membership_is_reachable(self, member, now_ms);
    bool silent = s_silence(member, now_ms) >= self->down_after_ms;
    shoal_member_state_t state = member->state;
    switch (member->state) {
    case SHOAL_MEMBER_JOINING:
        /* A joiner that vanished before admission owns nothing and never
         * voted: it is dropped, not marked down. */
        if (reachable)
            state = SHOAL_MEMBER_UP;
        else if (silent)
            state = SHOAL_MEMBER_REMOVED;
        break;
    case SHOAL_MEMBER_UP:
        if (silent)
            state = SHOAL_MEMBER_DOWN;
        break;
    case SHOAL_MEMBER_LEAVING:
        if (silent)
            state = SHOAL_MEMBER_DOWN;
        else if (!shoal_shard_table_owned_by(self->table, member->name))
            state = SHOAL_MEMBER_REMOVED;
        break;
    case SHOAL_MEMBER_DOWN:
        /* Back (the same process: a new one joins with a new
         * incarnation): it serves its shards again, with its order. */
        if (reachable)
            state = SHOAL_MEMBER_UP;
        break;
    case SHOAL_MEMBER_REMOVED:
        break;
    }
    if (state == member->state)
        return false;
    if (member->state == SHOAL_MEMBER_JOINING && state == SHOAL_MEMBER_UP)
        member->up_since = (*next_order)++;
    member->state = state;
    member->version++;
    return true;
}

/* The candidates of the target table: the up members' names and the
 * per-name part of their weights. */
typedef struct {
    const char *names[SHOAL_GOSSIP_MAX_MEMBERS];
    uint64_t hashes[SHOAL_GOSSIP_MAX_MEMBERS];
    size_t count;
} s_candidates_t;

/* Returns whether a shard owned by owner (NULL: none) stays with it
 * whatever the hashing says: its owner is down (its history waits for it)
 * or joining (a restarted owner not yet admitted again). */
static bool s_kept(const shoal_membership_t *self, const char *owner)
{
    if (!owner)
        return false;
    const shoal_member_t *member = shoal__membership_find(self, owner);
    return member && (member->state == SHOAL_MEMBER_DOWN ||
                      member->state == SHOAL_MEMBER_JOINING);
}

shoal_shard_table_t *
shoal_membership_target_table(const shoal_membership_t *self)
{
    s_candidates_t *candidates = calloc(1, sizeof *candidates);
    shoal_shard_table_t *target = shoal_shard_table_dup(self->table);
    if (!candidates || !target)
        goto out_free;
    for (size_t i = 0; i < self->member_count; i++)
        if (self->members[i].state == SHOAL_MEMBER_UP) {
            const char *name = self->members[i].name;
            candidates->names[candidates->count] = name;
            candidates->hashes[candidates->count++] =
                shoal_rendezvous_name_hash(name);
        }
    for (uint32_t shard = 0; candidates->count && shard < self->shards;
         shard++) {
        const char *owner = shoal_shard_table_owner(target, shard);
        if (s_kept(self, owner))
            continue;
        const char *winner = candidates->names[shoal_rendezvous_owner(
            shard, candidates->names, candidates->hashes, candidates->count)];
        if ((!owner || strcmp(owner, winner)) &&
            shoal_shard_table_set_owner(target, shard, winner))
            goto out_free;
    }
    free(candidates);
    return target;
out_free:
    free(candidates);
    shoal_shard_table_destroy(&target);
    return NULL;
}

/* Moves the table toward its target: every unowned shard, and at most
 * max_moves shards between owners. Publishes the result with the next
 * epoch when anything changed. Returns 1 when it published, 0 when the
 * table already was the target, -1 when out of memory. */
static int s_rebalance(shoal_membership_t *self)
{
    if (shoal_shard_table_epoch(self->table) == 0) {
        /* The first table waits for min_members up members, so that a
         * cluster started together spreads its shards from the start. */
        uint32_t up = 0;
        for (size_t i = 0; i < self->member_count; i++)
            up += self->members[i].state == SHOAL_MEMBER_UP;
        if (up < self->min_members)
            return 0;
    }
    shoal_shard_table_t *target = shoal_membership_target_table(self);
    shoal_shard_table_t *next = shoal_shard_table_dup(self->table);
    int rc = -1;
    if (!target || !next)
        goto out_free;
    uint32_t moves = 0;
    bool changed = false;
    for (uint32_t shard = 0; shard < self->shards; shard++) {
        const char *from = shoal_shard_table_owner(self->table, shard);
        const char *to = shoal_shard_table_owner(target, shard);
        if (!to || (from && strcmp(from, to) == 0))
            continue;
        if (from &&
            (self->hold_owned || (self->max_moves && moves >= self->max_moves)))
            continue;
        if (shoal_shard_table_set_owner(next, shard, to))
            goto out_free;
        moves += from != NULL;
        changed = true;
    }
    rc = 0;
    if (changed) {
        shoal_shard_table_set_epoch(next,
                                    shoal_shard_table_epoch(self->table) + 1,
                                    self->members[0].name);
        shoal_shard_table_destroy(&self->table);
        self->table = next;
        next = NULL;
        rc = 1;
    }
out_free:
    shoal_shard_table_destroy(&target);
    shoal_shard_table_destroy(&next);
    return rc;
}

int shoal_membership_tick(shoal_membership_t *self, int64_t now_ms)
{
    if (!shoal_membership_is_coordinator(self, now_ms) ||
        !shoal_membership_has_quorum(self, now_ms))
        return 0;
    uint64_t next_order = s_next_order(self);
    int changes = 0;
    for (size_t i = 1; i < self->member_count; i++)
        changes += s_judge(self, &self->members[i], now_ms, &next_order);
    int published = s_rebalance(self);
    if (published < 0)
        return -1;
    return changes + published;
}

int shoal_membership_handoff_done(shoal_membership_t *self, uint32_t shard,
                                  const char *from, const char *to,
                                  int64_t now_ms)
{
    if (shard >= self->shards || !from || !to ||
        !shoal_membership_is_coordinator(self, now_ms) ||
        !shoal_membership_has_quorum(self, now_ms))
        return 0;
    const char *owner = shoal_shard_table_owner(self->table, shard);
    const shoal_member_t *target = shoal_membership_find(self, to);
    if (!owner || strcmp(owner, from) != 0 || !target ||
        target->state != SHOAL_MEMBER_UP)
        return 0;
    shoal_shard_table_t *next = shoal_shard_table_dup(self->table);
    if (!next || shoal_shard_table_set_owner(next, shard, to) < 0) {
        shoal_shard_table_destroy(&next);
        return -1;
    }
    shoal_shard_table_set_epoch(next, shoal_shard_table_epoch(self->table) + 1,
                                self->members[0].name);
    shoal_shard_table_destroy(&self->table);
    self->table = next;
    return 1;
}
