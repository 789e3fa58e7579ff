/*
 * runtime/cluster_view.h - what the main thread needs of the cluster to
 * route: who owns each shard, whether the owner can be reached, and
 * whether this node may serve at all. The cluster thread builds a new view
 * from its membership after every change and hands it to the main thread
 * whole (one pointer); the main thread reads it alone and frees it when
 * the next one comes.
 */
#ifndef SHOAL_RUNTIME_CLUSTER_VIEW_H
#define SHOAL_RUNTIME_CLUSTER_VIEW_H

#include "cluster/membership.h"

#include <stdbool.h>
#include <stdint.h>

/* A shard without an owner in the table. */
#define SHOAL_CLUSTER_NO_OWNER UINT16_MAX

typedef struct {
    char name[SHOAL_MEMBER_NAME_MAX + 1];
    char peer_endpoint[SHOAL_MEMBER_ENDPOINT_MAX + 1];
    char client_endpoint[SHOAL_MEMBER_ENDPOINT_MAX + 1];
    bool is_local;
    bool available; /* up or leaving, and reachable from this node */
    shoal_member_state_t state;
} shoal_cluster_member_view_t;

typedef struct {
    uint64_t epoch;
    bool serving;     /* a table, a quorum, and this node up or leaving */
    bool removed;     /* this node has left the cluster */
    size_t others_up; /* other members up and reachable: someone to hand
                         shards to */
    char why[160];    /* when not serving: the reason, for clients */
    char *fatal;      /* when set, the node must stop: the reason */
    uint32_t shards;
    uint16_t *owners; /* shards entries: an index into members */
    size_t member_count;
    shoal_cluster_member_view_t *members;
    char *status_json; /* the "cluster" object of the status document */
    /* The handoff this node drives, if any (set by the cluster thread). */
    int64_t handoff_shard; /* -1: none */
    char handoff_to[SHOAL_MEMBER_NAME_MAX + 1];
    const char *handoff_phase; /* static text */
    int64_t receiving_shard;   /* -1: none */
} shoal_cluster_view_t;

/* Builds the view of membership at now_ms (monotonic). Returns it (the
 * caller's) or NULL when out of memory. */
shoal_cluster_view_t *shoal_cluster_view_build(const shoal_membership_t *m,
                                               int64_t now_ms);

/* Builds a view that only says the node must stop, for reason. */
shoal_cluster_view_t *shoal_cluster_view_fatal(const char *reason);

/* Frees a view and sets *self_p to NULL. NULL-safe. */
void shoal_cluster_view_destroy(shoal_cluster_view_t **self_p);

/* A cheap fingerprint of what routing depends on (epoch, owners' and
 * members' availability, serving), to tell whether a new view differs. */
uint64_t shoal_cluster_view_fingerprint(const shoal_cluster_view_t *self);

#endif
