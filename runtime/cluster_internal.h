/*
 * runtime/cluster_internal.h - the cluster thread's state, shared by
 * cluster_thread.c (membership over ZeroMQ) and cluster_handoff.c (moving
 * shards to their new owners). Touched by the cluster thread only.
 */
#ifndef SHOAL_RUNTIME_CLUSTER_INTERNAL_H
#define SHOAL_RUNTIME_CLUSTER_INTERNAL_H

#include "cluster/membership.h"
#include "persistence/slice.h"
#include "runtime/cluster_thread.h"

typedef enum {
    S_OUT_IDLE,
    S_OUT_FREEZING, /* the main thread releases the shard */
    S_OUT_POLICIES, /* the policies finish what the shard journaled */
    S_OUT_STREAMING,
    S_OUT_WAIT_DONE, /* the new owner finishes the import */
    S_OUT_WAIT_FLIP, /* the coordinator publishes the new owner */
} s_out_phase_t;

/* The shard this node is handing over, if any. */
typedef struct {
    s_out_phase_t phase;
    uint32_t shard;
    uint64_t stream; /* names this attempt in its messages */
    char to[SHOAL_MEMBER_NAME_MAX + 1];
    int64_t freeze_pos;
    shoal_slice_export_t *export;
    uint32_t index; /* of the chunk waiting for its acknowledgement */
    void *chunk;
    size_t chunk_size;
    int64_t sent_at;     /* zclock_mono of the last send, for resends */
    int64_t deadline;    /* zclock_mono: give up after it */
    int64_t quiet_until; /* after giving up, before trying again */
} s_out_t;

/* The shard this node is receiving, if any. */
typedef struct {
    bool active;
    uint32_t shard;
    uint64_t stream; /* of the attempt being received */
    char from[SHOAL_MEMBER_NAME_MAX + 1];
    shoal_slice_import_t *import;
    bool adopting;      /* finished: the main thread hands the heads over */
    int64_t done_shard; /* last shard fully received, -1 none */
    char done_from[SHOAL_MEMBER_NAME_MAX + 1];
    uint64_t done_stream;
} s_in_t;

typedef struct s_cluster {
    shoal_cluster_args_t *args;
    shoal_membership_t *membership;
    zsock_t *inbox;       /* PULL, from the main thread */
    zsock_t *views;       /* PUSH, to the main thread */
    zsock_t *out;         /* ROUTER, connected to the peers by endpoint */
    zhashx_t *connected;  /* endpoint -> (void *)1 */
    zhashx_t *states;     /* member name -> last logged state + 1 */
    uint64_t fingerprint; /* of the last view handed over */
    int64_t published_at; /* zclock_mono */
    bool fatal;
    shoal_journal_t *journal; /* writable, for handoffs; NULL when none */
    s_out_t out_handoff;
    s_in_t in_handoff;
} s_cluster_t;

/* Sends [SHOAL-PEER/1][kind][text] and, when blob is not NULL, a fourth
 * frame with blob, to the peer at endpoint (dropped when not connected
 * yet). */
void shoal__cluster_send(s_cluster_t *self, const char *endpoint,
                         const char *kind, const char *text, const void *blob,
                         size_t blob_size);

/* --- cluster_handoff.c --- */

/* Moves the handoffs on; called each heartbeat. */
void shoal__cluster_handoff_tick(s_cluster_t *self);

/* Takes a message of the handoff protocol from a peer or the main thread.
 * Returns true when kind was one (the frames stay the caller's). */
bool shoal__cluster_handoff_message(s_cluster_t *self, const char *kind,
                                    zframe_t *body, zframe_t *blob);

/* Abandons what is under way and frees it. */
void shoal__cluster_handoff_close(s_cluster_t *self);

#endif
