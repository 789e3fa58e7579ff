/*
 * actors/messages.h - the messages that cross threads on the path of one
 * command: the request (router -> worker), the append (worker -> journal
 * writer -> worker), the recovery (worker -> journal reader -> worker) and
 * the answer the entity gives (worker -> router).
 *
 * Each message is one allocation that owns every byte it points to, so a
 * message passes between threads as a single pointer and is freed by
 * whoever holds it last. No two threads touch a message at the same time.
 */
#ifndef SHOAL_ACTORS_MESSAGES_H
#define SHOAL_ACTORS_MESSAGES_H

#include "actors/arena.h"
#include "persistence/journal.h"
#include "shoal/plugin.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SHOAL_REQUEST_COMMAND, /* run a command against an entity */
    SHOAL_REQUEST_QUERY,   /* render an entity's state (status `get`) */
} shoal_request_kind_t;

/* One inbound request for one entity. */
typedef struct shoal_request {
    struct shoal_request *next; /* stash link, while an entity holds it */
    shoal_request_kind_t kind;
    const shoal_type_t *type; /* borrowed from the plugin, lives forever */
    uint32_t shard;
    uint64_t epoch;        /* the shard table's epoch when it was handed to its
                              worker (0 on a single node); set by the runtime */
    const char *key;       /* "type/id" */
    const char *entity_id; /* the id part of key */
    const char *command_name; /* "" for a query */
    const char *command_id;   /* NULL when none */
    const void *payload;
    size_t payload_size;
    const void *route; /* the runtime's reply address, opaque here */
    size_t route_size;
    char data[]; /* storage for everything above */
} shoal_request_t;

/* Creates a request holding copies of all its arguments. type_name and
 * entity_id form the key. command_name, command_id (NULL or "" for none),
 * payload and route may be NULL when empty. Returns NULL when out of
 * memory. */
shoal_request_t *shoal_request_new(shoal_request_kind_t kind,
                                   const shoal_type_t *type, uint32_t shard,
                                   const char *entity_id,
                                   const char *command_name,
                                   const char *command_id, const void *payload,
                                   size_t payload_size, const void *route,
                                   size_t route_size);

/* Frees a request and sets *self_p to NULL. NULL-safe. */
void shoal_request_destroy(shoal_request_t **self_p);

typedef enum {
    SHOAL_ANSWER_ACCEPTED,
    SHOAL_ANSWER_REJECTED,
    SHOAL_ANSWER_ERROR,
    SHOAL_ANSWER_QUERY, /* body is the rendered state */
} shoal_answer_kind_t;

/* What an entity answers to a request; borrowed by the callback. */
typedef struct {
    shoal_answer_kind_t kind;
    uint64_t first_seq; /* QUERY: the entity's last sequence */
    uint64_t event_count;
    const char *error_code; /* ERROR: "busy", "internal", ... */
    const void *body;       /* reply, reason, error message or state */
    size_t body_size;
    const char *owner; /* "SHARD EPOCH MEMBER ENDPOINT" of the node that
                          handled it, for a request that asked (NULL: none) */
} shoal_answer_t;

/* A write for the journal writer: an entry, or a snapshot. */
typedef struct shoal_append {
    bool is_snapshot;
    bool fenced;              /* set by the writer: refused, not written,
                                 because this node no longer owns the shard
                                 at epoch (see runtime/shard_fence.h) */
    uint32_t worker;          /* whom to give the append back to */
    uint32_t shard;           /* the entity's shard */
    uint64_t epoch;           /* the shard epoch the write carries */
    void *entity;             /* the worker's cookie; never touched elsewhere */
    shoal_request_t *request; /* the worker's: the command to answer */
    char *entity_key;         /* points into data */
    shoal_journal_entry_t entry; /* !is_snapshot */
    shoal_snapshot_t snapshot;   /* is_snapshot; buffers owned */
    int64_t committed_ms;        /* set by the writer */
    char *error;                 /* set by the writer on failure (malloc'd) */
    char data[];
} shoal_append_t;

/* Creates the append of one entry, of entry->shard at epoch 0 (the caller
 * sets the epoch): copies the entity key, command id, reply and events;
 * the other fields of *entry are copied as they are. Returns NULL when
 * out of memory. */
shoal_append_t *shoal_append_new_entry(uint32_t worker, void *entity,
                                       const shoal_journal_entry_t *entry);

/* Creates the append of one snapshot, of shard 0 at epoch 0 (the caller
 * sets both), taking ownership of the buffers in *snapshot (which is
 * zeroed). Returns NULL when out of memory (the
 * buffers are then freed). */
shoal_append_t *shoal_append_new_snapshot(uint32_t worker,
                                          const char *entity_key,
                                          shoal_snapshot_t *snapshot);

/* Frees an append and sets *self_p to NULL. NULL-safe. */
void shoal_append_destroy(shoal_append_t **self_p);

/* A recovery: load an entity's snapshot and the entries after it. */
typedef struct shoal_recovery {
    uint32_t worker;
    void *entity; /* the worker's cookie */
    char *key;    /* owned */
    int64_t head_pos;
    bool ignore_snapshot; /* replay the whole chain */
    /* Results, filled by shoal_recovery_load: */
    bool has_snapshot;
    shoal_snapshot_t snapshot;
    shoal_journal_entry_t *entries; /* ascending pos; bytes in entry_bytes */
    size_t entry_count;
    size_t entry_capacity;
    shoal_arena_t entry_bytes; /* the entries' strings and blobs */
    char *error;               /* malloc'd when the load failed */
} shoal_recovery_t;

/* Creates a recovery request. Returns NULL when out of memory. */
shoal_recovery_t *shoal_recovery_new(uint32_t worker, void *entity,
                                     const char *key, int64_t head_pos);

/* Frees a recovery with its results and sets *self_p to NULL. NULL-safe. */
void shoal_recovery_destroy(shoal_recovery_t **self_p);

/* Frees the results of a recovery (snapshot, entries, error), keeping the
 * request, so that it can be loaded again. */
void shoal_recovery_clear_results(shoal_recovery_t *self);

/* Appends a copy of *entry to the recovery's entries: its entity, command
 * id, reply and events are copied into the recovery's entry_bytes, which
 * owns them (NULL pointers stay NULL). Returns 0, or -1 when out of
 * memory (the entries are then as they were). */
int shoal_recovery_push_entry(shoal_recovery_t *self,
                              const shoal_journal_entry_t *entry);

/* Reads the snapshot and the entries after it, walking the entity's chain
 * back from head_pos, into the recovery's results. Runs on a reader
 * thread with its own journal handle. On failure sets recovery->error.
 * The same as shoal_recovery_load_batch of one recovery. */
void shoal_recovery_load(shoal_recovery_t *recovery, shoal_journal_t *journal);

/* Loads count recoveries (borrowed; each as shoal_recovery_load would,
 * each failing or not on its own) by walking their chains together, one
 * level at a time: the next entry of every chain still walking is read
 * in one pass in position order (shoal_journal_read_entries). Run it in
 * a read transaction, so that every chain is read from one snapshot. */
void shoal_recovery_load_batch(shoal_recovery_t *const *batch, size_t count,
                               shoal_journal_t *journal);

#endif
