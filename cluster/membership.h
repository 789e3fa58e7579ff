/*
 * cluster/membership.h - one node's view of its cluster: the members and
 * their states, who is reachable, who coordinates, whether this side has
 * a quorum, and the shard table.
 *
 * Pure and socket-free: the view changes only through the calls below,
 * fed with the messages the node receives and the time (`now_ms`, from a
 * monotonic clock, in milliseconds) the caller reads. The node that wires
 * it to sockets sends the join request to a seed, the gossip text to every
 * other member each heartbeat_ms, and calls shoal_membership_tick as
 * often.
 *
 * The protocol, in short (docs/ARCHITECTURE.md, "Cluster membership"):
 * - A node started without seeds founds a cluster: it is up, order number
 *   1, and coordinator. A node with seeds sends a join request; a seed
 *   that is up checks its settings and adds it as joining, or refuses it
 *   with a reason naming both values.
 * - Gossip carries the sender's heartbeat count, its whole view and its
 *   table. For each member the record with the higher (incarnation,
 *   version) wins; the higher table (epoch) wins. A node never takes a
 *   record of itself that says it is down, removed (unless it is leaving)
 *   or in another state it did not choose: it refutes it by bumping its
 *   own version above it.
 * - A member not heard directly for suspect_after_ms is unreachable from
 *   here. Only the coordinator (the up member with the lowest order number
 *   among those reachable from here) changes the states of others, and
 *   only while it has a quorum: it admits reachable joiners (up, next
 *   order number), marks members silent for down_after_ms down (a silent
 *   joiner is removed instead), brings back down members it hears again,
 *   removes leaving members that own no shard, and moves at most
 *   max_moves shards per tick toward the rendezvous-hashed table.
 * - Quorum: this node reaches a strict majority of the voting members
 *   (up, leaving and down ones; joining and removed ones do not vote).
 *   Down members keep their vote so that two sides of a partition cannot
 *   each mark the other down and both find a majority.
 */
#ifndef SHOAL_CLUSTER_MEMBERSHIP_H
#define SHOAL_CLUSTER_MEMBERSHIP_H

#include "cluster/gossip.h"
#include "cluster/member.h"
#include "cluster/shard_table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct shoal_membership shoal_membership_t;

/* What a view needs to know; strings and arrays are copied at creation. */
typedef struct {
    const char *cluster_name;     /* the cluster's name, a member name */
    uint32_t shards;              /* K, 1..SHOAL_SHARD_TABLE_MAX_SHARDS */
    int64_t heartbeat_ms;         /* how often the node gossips; > 0 */
    int64_t suspect_after_ms;     /* silence that makes a member unreachable;
                                     > heartbeat_ms */
    int64_t down_after_ms;        /* silence after which the coordinator marks
                                     it down; >= suspect_after_ms */
    uint32_t max_moves;           /* shards moved per tick at most; 0: all */
    bool hold_owned;              /* never move a shard that has an owner (until
                                     the node can hand a shard's journal over) */
    uint32_t min_members;         /* up members needed before the first table;
                                     0 or 1: at once */
    const char *protocol_version; /* e.g. "SHOAL/1"; 1..32 printable */
    const char *const *plugin_types; /* the node's plugin type names */
    size_t plugin_type_count;
    const char *const *seeds; /* endpoints to join through; none: found */
    size_t seed_count;
} shoal_membership_settings_t;

/* The owner of a shard as this node sees it. Pointers are borrowed from
 * the view until it next changes. */
typedef struct {
    const char *name;             /* NULL when the shard has no owner */
    const shoal_member_t *member; /* NULL when no owner or not in view */
    bool is_local;                /* the owner is this node */
    bool available; /* the owner is up or leaving and reachable from here */
} shoal_shard_owner_t;

/* Creates the view of the node described by local (a valid name,
 * incarnation and endpoints of at most 255 bytes; its state, version and
 * order number are set here). Without seeds the node founds a cluster: up,
 * order number 1, coordinator, epoch 0 until its first tick. With seeds it
 * is joining until a coordinator admits it. Invalid settings are a
 * programming error (asserted): the caller validates its configuration.
 * Returns NULL when out of memory. */
shoal_membership_t *
shoal_membership_new(const shoal_member_t *local,
                     const shoal_membership_settings_t *settings);

/* Frees the view and sets *self_p to NULL. NULL-safe. */
void shoal_membership_destroy(shoal_membership_t **self_p);

/* Encodes this node's join request (its record and settings) for a seed.
 * Returns the text (malloc'd, the caller's) or NULL when out of
 * memory. */
char *shoal_membership_encode_join(const shoal_membership_t *self);

/* Checks a join request against this node's view and settings, changing
 * nothing. Refuses (-1, with a reason naming both values in reason) when
 * this node is not up; when the cluster name, shard count, protocol
 * version or plugin types differ; when the name is this node's own; when a
 * member of that name has a newer incarnation, or the same incarnation with
 * other endpoints (two nodes sharing a name) or removed (a node that left comes
 * back only restarted); when the view is full. Returns 0 when the request
 * is acceptable: new, a restart (higher incarnation: the same node back)
 * or a repeat of an accepted request. */
int shoal_membership_check_join(const shoal_membership_t *self,
                                const shoal_join_request_t *request,
                                char *reason, size_t reason_size);

/* Checks a join request (shoal_membership_check_join) and accepts it: a
 * new name or a new incarnation gets a joining record (version 1) that
 * replaces the old one; a repeat changes nothing. Either way the joiner
 * counts as heard now. Returns 0, or -1 with a reason (refused, or out of
 * memory). The caller answers the joiner with this node's gossip, or with
 * the reason. */
int shoal_membership_accept_join(shoal_membership_t *self,
                                 const shoal_join_request_t *request,
                                 int64_t now_ms, char *reason,
                                 size_t reason_size);

/* Counts a heartbeat and encodes this node's gossip: its name,
 * incarnation, heartbeat count, view and table. Returns the text
 * (malloc'd, the caller's) or NULL when out of memory. */
char *shoal_membership_encode_gossip(shoal_membership_t *self, int64_t now_ms);

/* Merges size bytes of gossip received from another node (see the rules
 * above). A gossip whose heartbeat count is higher than the last one seen
 * from its sender's incarnation counts as hearing the sender now. Returns
 * 0, or -1 with a reason in error, the view unchanged, when the text is
 * not valid gossip for this cluster (gossip.h), comes from a node of
 * another cluster (another name: its gossip is not taken), comes from a node
 * with this node's name, would make the view hold more than
 * SHOAL_GOSSIP_MAX_MEMBERS members, or when out of memory. */
int shoal_membership_merge_gossip(shoal_membership_t *self, const char *text,
                                  size_t size, int64_t now_ms, char *error,
                                  size_t error_size);

/* Does the coordinator's work when this node is the coordinator and has
 * a quorum (see above); otherwise nothing. Returns the number of changes
 * made (records changed, plus 1 when it published a new table; 0: the
 * view is as it was), or -1 when out of memory (some records may have
 * changed). */
int shoal_membership_tick(shoal_membership_t *self, int64_t now_ms);

/* Starts this node's graceful leave: an up node becomes leaving (the
 * coordinator moves its shards away, then removes it); a joining node,
 * never admitted, becomes removed at once. Bumps its version. Does
 * nothing for a node already leaving or removed. */
void shoal_membership_leave(shoal_membership_t *self);

/* This node's own record, borrowed until the view next changes. */
const shoal_member_t *shoal_membership_local(const shoal_membership_t *self);

/* Returns whether a newer incarnation of this node's name was seen: a
 * restarted copy of this node has replaced it, and this process should
 * stop. */
bool shoal_membership_superseded(const shoal_membership_t *self);

/* Number of shards of the cluster. */
uint32_t shoal_membership_shards(const shoal_membership_t *self);

/* Number of seeds given at creation, and one of them (borrowed). */
size_t shoal_membership_seed_count(const shoal_membership_t *self);
const char *shoal_membership_seed(const shoal_membership_t *self, size_t index);

/* Number of member records in the view (this node's included; removed
 * ones too), and the one at index (borrowed until the view next changes;
 * index 0 is this node). */
size_t shoal_membership_member_count(const shoal_membership_t *self);
const shoal_member_t *shoal_membership_member(const shoal_membership_t *self,
                                              size_t index);

/* The record of the member called name (borrowed until the view next
 * changes), or NULL when the view has none. */
const shoal_member_t *shoal_membership_find(const shoal_membership_t *self,
                                            const char *name);

/* Returns whether member (a record of this view) is reachable from here
 * at now_ms: this node always; another when heard directly less than
 * suspect_after_ms ago. */
bool shoal_membership_is_reachable(const shoal_membership_t *self,
                                   const shoal_member_t *member,
                                   int64_t now_ms);

/* The coordinator as this node sees it at now_ms: the up member with the
 * lowest order number (then name) among those reachable from here.
 * Borrowed; NULL when no up member is reachable. */
const shoal_member_t *
shoal_membership_coordinator(const shoal_membership_t *self, int64_t now_ms);

/* Returns whether this node is the coordinator at now_ms. */
bool shoal_membership_is_coordinator(const shoal_membership_t *self,
                                     int64_t now_ms);

/* Returns whether this node reaches, at now_ms, a strict majority of the
 * voting members (up, leaving, down), itself included when it votes. */
bool shoal_membership_has_quorum(const shoal_membership_t *self,
                                 int64_t now_ms);

/* The current shard table, borrowed until the view next changes. */
const shoal_shard_table_t *
shoal_membership_table(const shoal_membership_t *self);

/* The epoch of the current table (0: none published yet). */
uint64_t shoal_membership_epoch(const shoal_membership_t *self);

/* Fills *owner with the owner of shard (< shards) at now_ms. Returns 0,
 * or -1 when the shard has no owner yet (owner then says so: name NULL,
 * not local, not available). Whether this side may serve at all is
 * shoal_membership_has_quorum's to say. */
int shoal_membership_shard_owner(const shoal_membership_t *self, uint32_t shard,
                                 int64_t now_ms, shoal_shard_owner_t *owner);

/* The coordinator's side of a completed shard handoff: publishes `to` as
 * the owner of shard at the next epoch, when this node is the coordinator
 * and has a quorum, its table gives the shard to `from`, and `to` is an up
 * member. Returns 1 when it published, 0 when it did not (the caller may
 * ask again once views agree), -1 when out of memory. */
int shoal_membership_handoff_done(shoal_membership_t *self, uint32_t shard,
                                  const char *from, const char *to,
                                  int64_t now_ms);

/* Returns the table the coordinator is heading for from this view: the
 * rendezvous owner among the up members of each shard, except that a
 * shard whose owner is down or joining (a restarted node not yet
 * admitted) stays with it. Its epoch is the current one. Returns the
 * table (the caller's) or NULL when out of memory. */
shoal_shard_table_t *
shoal_membership_target_table(const shoal_membership_t *self);

#endif
