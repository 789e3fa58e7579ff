/*
 * cluster/member.h - one member of a cluster as a node sees it: who it is
 * (name and incarnation), where to reach it, its state, and the version
 * that orders the changes to its record across the cluster.
 *
 * A record is identified by its name. Between two records of one name, the
 * one with the higher (incarnation, version) is the newer: a restarted node
 * has a higher incarnation (its start time), and whoever changes a record
 * bumps its version. Records of equal (incarnation, version) that still
 * differ are ordered by the rest of their fields, so that every node picks
 * the same one (shoal_member_compare).
 *
 * The last fields are local to the node that holds the record (its failure
 * detector's memory of the member); they never travel in gossip.
 */
#ifndef SHOAL_CLUSTER_MEMBER_H
#define SHOAL_CLUSTER_MEMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A member name: [A-Za-z0-9_.-]{1,64}. */
#define SHOAL_MEMBER_NAME_MAX 64
/* An endpoint: any text of at most 255 bytes (empty: none). */
#define SHOAL_MEMBER_ENDPOINT_MAX 255
/* The largest incarnation, version, order number, epoch or heartbeat
 * count a record or a message may carry: 2^53 - 1, which every JSON parser
 * reads exactly. */
#define SHOAL_MEMBER_NUMBER_MAX ((UINT64_C(1) << 53) - 1)

/* The life of a member. The order is also the tie-break rank of
 * shoal_member_compare. */
typedef enum {
    SHOAL_MEMBER_JOINING = 0, /* asked to join; not admitted yet */
    SHOAL_MEMBER_UP = 1,      /* admitted by the coordinator; owns shards */
    SHOAL_MEMBER_LEAVING = 2, /* leaving gracefully; its shards move away */
    SHOAL_MEMBER_DOWN = 3,    /* silent too long; keeps its shards */
    SHOAL_MEMBER_REMOVED = 4, /* gone for good (left) or never admitted */
} shoal_member_state_t;

typedef struct {
    char name[SHOAL_MEMBER_NAME_MAX + 1];
    uint64_t incarnation; /* the node's start time in ms */
    char peer_endpoint[SHOAL_MEMBER_ENDPOINT_MAX + 1];
    char client_endpoint[SHOAL_MEMBER_ENDPOINT_MAX + 1];
    char status_endpoint[SHOAL_MEMBER_ENDPOINT_MAX + 1];
    shoal_member_state_t state;
    uint64_t version;  /* bumped by whoever changes the record */
    uint64_t up_since; /* admission order (founder: 1); 0 until admitted */

    /* Local only: this node's failure detector. */
    bool heard;              /* heard directly at least once */
    int64_t last_heard_ms;   /* when last heard directly (when heard) */
    uint64_t heartbeat_seen; /* highest heartbeat heard, this incarnation */
    int64_t learned_ms;      /* when this node learned this incarnation */
} shoal_member_t;

/* Returns whether name is a valid member name: [A-Za-z0-9_.-]{1,64}. */
bool shoal_member_name_is_valid(const char *name);

/* Returns the name of a state ("joining", "up", "leaving", "down",
 * "removed"), or "?" for a value out of the enum. */
const char *shoal_member_state_name(shoal_member_state_t state);

/* Parses a state name. Returns 0 and sets *state, or -1 when text names
 * no state. */
int shoal_member_state_parse(const char *text, shoal_member_state_t *state);

/* Orders two records of one member: negative when a is older than b, 0
 * when they are the same record, positive when a is newer. Compares
 * (incarnation, version), then state, order number and endpoints, so the
 * order is total over what gossip carries. Local fields are ignored. */
int shoal_member_compare(const shoal_member_t *a, const shoal_member_t *b);

/* Copies what gossip carries of src into dst (name, incarnation,
 * endpoints, state, version, order number); dst's local fields stay. */
void shoal_member_copy_record(shoal_member_t *dst, const shoal_member_t *src);

#endif
