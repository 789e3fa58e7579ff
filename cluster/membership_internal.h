/*
 * cluster/membership_internal.h - the view's structure, shared by the two
 * files that implement it (membership.c: the view, the join handshake,
 * gossip and queries; coordinator.c: the coordinator's tick and the
 * target table). Nothing outside cluster/membership*.c and
 * cluster/coordinator.c includes it.
 */
#ifndef SHOAL_CLUSTER_MEMBERSHIP_INTERNAL_H
#define SHOAL_CLUSTER_MEMBERSHIP_INTERNAL_H

#include "cluster/membership.h"

struct shoal_membership {
    uint32_t shards;
    int64_t heartbeat_ms;
    int64_t suspect_after_ms;
    int64_t down_after_ms;
    uint32_t max_moves;
    bool hold_owned;
    uint32_t min_members;
    char protocol_version[SHOAL_GOSSIP_PROTOCOL_MAX + 1];
    char cluster_name[SHOAL_MEMBER_NAME_MAX + 1];
    char *plugin_types; /* canonical list (shoal_gossip_types_canonical) */
    char **seeds;
    size_t seed_count;
    shoal_member_t *members; /* [0] is this node */
    size_t member_count;
    size_t member_capacity;
    shoal_shard_table_t *table;
    uint64_t heartbeat; /* this node's heartbeat count */
    bool superseded;
};

/* The record of name in the view (mutable), or NULL. */
shoal_member_t *shoal__membership_find(const shoal_membership_t *self,
                                       const char *name);

#endif
