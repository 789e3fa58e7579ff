/*
 * actors/entities.h - the entities of one worker thread: the resident
 * table, the entity directory (journal heads) of the worker's shards, the
 * per-entity stash, the path of one command (handler -> journal -> fold ->
 * answer), snapshots and passivation.
 *
 * This layer knows nothing of sockets or threads: the worker gives it a
 * host, the functions it calls to reach the journal writer, the journal
 * reader and the requester. Every function runs on the worker's thread.
 */
#ifndef SHOAL_ACTORS_ENTITIES_H
#define SHOAL_ACTORS_ENTITIES_H

#include "actors/keymap.h"
#include "actors/messages.h"

typedef struct shoal_entities shoal_entities_t;

/* How the entities reach the rest of the node. */
typedef struct {
    void *arg; /* passed back to every function */
    /* Queues an append for the journal writer, taking it on success.
     * Returns 0, or -1 when the writer's queue is full (append not taken). */
    int (*submit_append)(void *arg, shoal_append_t *append);
    /* Queues a recovery for a journal reader, as above. */
    int (*submit_recovery)(void *arg, shoal_recovery_t *recovery);
    /* Sends the answer to a request; takes the request. */
    void (*answer)(void *arg, shoal_request_t *request,
                   const shoal_answer_t *answer);
    /* The clock, in ms since the Unix epoch. */
    int64_t (*now_ms)(void *arg);
} shoal_entities_host_t;

typedef struct {
    uint32_t worker;           /* this worker's index, carried in messages */
    size_t stash_capacity;     /* requests waiting per entity */
    size_t max_stashed;        /* requests waiting in all the stashes */
    size_t max_resident;       /* entities in memory on this worker */
    size_t dedup_window;       /* command ids remembered per entity */
    uint64_t snapshot_every;   /* changes between snapshots; 0 = never */
    int64_t passivate_idle_ms; /* 0 = never by idleness */
} shoal_entities_config_t;

/* Counters, read by the worker for the status socket. */
typedef struct {
    uint64_t accepted, rejected, errors, busy, duplicates;
    uint64_t recoveries, passivations, snapshots;
} shoal_entities_counters_t;

/* Creates the entities of one worker. heads (entity key -> journal pos of
 * its last entry, for this worker's shards) is taken. Returns NULL when
 * out of memory. */
shoal_entities_t *shoal_entities_new(const shoal_entities_host_t *host,
                                     const shoal_entities_config_t *config,
                                     shoal_keymap_t **heads_p);

/* Frees every entity and the directory, answering waiting requests with
 * an error, and sets *self_p to NULL. NULL-safe. */
void shoal_entities_destroy(shoal_entities_t **self_p);

/* Handles one request: runs it now, or stashes it behind the entity's
 * recovery or pending append, or answers busy. Takes the request. */
void shoal_entities_handle(shoal_entities_t *self, shoal_request_t **request_p);

/* The journal writer gives an append back (durable, or failed with
 * append->error). Takes the append. */
void shoal_entities_appended(shoal_entities_t *self, shoal_append_t **append_p);

/* A journal reader gives a recovery back, loaded or failed. Takes it. */
void shoal_entities_recovered(shoal_entities_t *self,
                              shoal_recovery_t **recovery_p);

/* Passivates entities idle past passivate_idle_ms. Call it periodically. */
void shoal_entities_sweep(shoal_entities_t *self);

/* Starts shutting down: answers every stashed request, and every later
 * one, with an `unavailable` error, and stops starting new work. The
 * worker keeps handing back appends and recoveries until
 * shoal_entities_pending is 0. */
void shoal_entities_stop(shoal_entities_t *self);

/* Lets a shard go, for a handoff to another node: drops from memory
 * every entity of shard that has nothing in flight and nothing stashed,
 * and forgets the directory heads of the shard's entities (shard_of tells
 * the shard of a "type/id" key). Returns how many of its entities are
 * still busy: call again until it returns 0 (the caller stops sending the
 * shard's requests first). */
size_t shoal_entities_release_shard(shoal_entities_t *self, uint32_t shard,
                                    uint32_t (*shard_of)(const char *key,
                                                         void *arg),
                                    void *arg);

/* Takes the directory head of an entity a handoff brought (its journal
 * now ends at pos), replacing what was known of it; a resident copy is
 * dropped when idle. Returns 0, or -1 when out of memory or when the
 * entity is busy here (it must not be: its shard was not served). */
int shoal_entities_adopt_head(shoal_entities_t *self, const char *key,
                              int64_t pos);

/* Appends and recoveries given out and not yet handed back. */
size_t shoal_entities_pending(const shoal_entities_t *self);

/* Entities in memory. */
size_t shoal_entities_resident(const shoal_entities_t *self);

/* Requests waiting in stashes. */
size_t shoal_entities_stashed(const shoal_entities_t *self);

/* Entries in the entity directory (entities with a journal). */
size_t shoal_entities_known(const shoal_entities_t *self);

/* The counters so far. */
const shoal_entities_counters_t *
shoal_entities_counters(const shoal_entities_t *self);

#endif
