/*
 * cluster/gossip.h - the membership messages as JSON text: the gossip a
 * node sends every heartbeat (its view and shard table) and the request a
 * node sends to join a cluster.
 *
 * The decoders are pure functions of their bytes: they check every field
 * (types, ranges, names, sizes) and either fill a plain structure or
 * return -1 with a reason, never asserting on what came from the network.
 * A fuzz target can call them as they are.
 *
 * Gossip:
 *   {"gossip":1, "cluster":NAME, "from":NAME, "incarnation":N,
 *    "heartbeat":N,
 *    "members":[{"name":NAME, "incarnation":N, "version":N,
 *                "state":"joining|up|leaving|down|removed", "up_since":N,
 *                "peer":TEXT, "client":TEXT, "status":TEXT}, ...],
 *    "table":{"epoch":N, "author":NAME or "", "names":[NAME, ...],
 *             "owners":[I, ...]}}
 * where owners has one entry per shard, an index into names or -1 (no
 * owner). The sender's own record must be among the members, with the
 * incarnation it sends.
 *
 * Join request:
 *   {"join":1, "cluster":NAME, "name":NAME, "incarnation":N, "peer":TEXT,
 *    "client":TEXT,
 *    "status":TEXT, "shards":N, "protocol":TEXT, "plugin_types":[TYPE, ...]}
 *
 * "cluster" is the cluster's name, a member name; a node takes gossip and
 * join requests of its own cluster only. Numbers are integers in
 * 0..SHOAL_MEMBER_NUMBER_MAX; unknown keys are
 * ignored, so that later versions may add some.
 */
#ifndef SHOAL_CLUSTER_GOSSIP_H
#define SHOAL_CLUSTER_GOSSIP_H

#include "cluster/member.h"
#include "cluster/shard_table.h"

#include <stddef.h>
#include <stdint.h>

/* The longest message either decoder reads; longer ones are refused
 * before parsing. A full view (256 members) and table (65536 shards) take
 * about half of it. */
#define SHOAL_GOSSIP_MAX_BYTES (1u << 20)
/* The most member records a view (and so a gossip) may hold, removed ones
 * included. */
#define SHOAL_GOSSIP_MAX_MEMBERS 256
/* The most plugin types a join request may list. */
#define SHOAL_GOSSIP_MAX_TYPES 1024
/* The longest protocol version text: 1..32 printable ASCII bytes. */
#define SHOAL_GOSSIP_PROTOCOL_MAX 32

/* A decoded gossip. Everything in it is its own (shoal_gossip_clear). */
typedef struct {
    char cluster[SHOAL_MEMBER_NAME_MAX + 1];
    char from[SHOAL_MEMBER_NAME_MAX + 1];
    uint64_t incarnation;
    uint64_t heartbeat;
    shoal_member_t *members; /* local fields zeroed */
    size_t member_count;
    shoal_shard_table_t *table;
} shoal_gossip_t;

/* A join request. plugin_types is the canonical list (see
 * shoal_gossip_types_canonical), the request's own. */
typedef struct {
    char cluster[SHOAL_MEMBER_NAME_MAX + 1]; /* the cluster it asks to join */
    shoal_member_t member;                   /* name, incarnation, endpoints */
    uint32_t shards;
    char protocol_version[SHOAL_GOSSIP_PROTOCOL_MAX + 1];
    char *plugin_types;
} shoal_join_request_t;

/* Encodes a gossip of cluster from the node named from (whose record is
 * among members[0..count)) with its heartbeat counter, view and table.
 * Returns the text (malloc'd, the caller's, NUL-terminated), or NULL when
 * out of memory. */
char *shoal_gossip_encode(const char *cluster, const char *from,
                          uint64_t incarnation, uint64_t heartbeat,
                          const shoal_member_t *members, size_t count,
                          const shoal_shard_table_t *table);

/* Decodes size bytes of gossip for a cluster of shards shards into
 * *gossip. Returns 0 (gossip filled; shoal_gossip_clear frees it), or -1
 * with a reason in error (gossip left empty) when the text is not a valid
 * gossip: too long, not JSON, a field missing, of the wrong type or out of
 * range, a member twice, an owner index out of the names, or a table of
 * another shard count. */
int shoal_gossip_decode(const char *text, size_t size, uint32_t shards,
                        shoal_gossip_t *gossip, char *error, size_t error_size);

/* Frees what a decoded gossip holds and empties it. NULL-safe, and safe
 * on an emptied gossip. */
void shoal_gossip_clear(shoal_gossip_t *gossip);

/* Encodes a join request. Returns the text (malloc'd, the caller's), or
 * NULL when out of memory. */
char *shoal_join_request_encode(const shoal_join_request_t *request);

/* Decodes size bytes of a join request into *request. Returns 0 (request
 * filled; shoal_join_request_clear frees it), or -1 with a reason in error
 * (request left empty) when the text is not a valid join request. */
int shoal_join_request_decode(const char *text, size_t size,
                              shoal_join_request_t *request, char *error,
                              size_t error_size);

/* Frees what a join request holds and empties it. NULL-safe. */
void shoal_join_request_clear(shoal_join_request_t *request);

/* Returns whether name is a valid plugin type name: [A-Za-z0-9_-]{1,64}
 * (the rule of include/shoal/plugin.h). */
bool shoal_gossip_type_is_valid(const char *name);

/* Returns the canonical text of a set of plugin type names (valid ones):
 * sorted, without repeats, joined by commas ("" for none). Two nodes have
 * the same types exactly when these texts are equal. Returns the text
 * (malloc'd, the caller's), or NULL when out of memory. */
char *shoal_gossip_types_canonical(const char *const *types, size_t count);

#endif
