/*
 * actors/entity.h - one entity: its state, its place in the journal, the
 * fold of durable entries into it, its snapshots and its recovery.
 *
 * An entity belongs to one worker thread; nothing here locks.
 */
#ifndef SHOAL_ACTORS_ENTITY_H
#define SHOAL_ACTORS_ENTITY_H

#include "actors/dedup.h"
#include "actors/messages.h"

typedef enum {
    SHOAL_ENTITY_RECOVERING, /* waiting for its snapshot and entries */
    SHOAL_ENTITY_READY,      /* can take the next command */
    SHOAL_ENTITY_PERSISTING, /* waiting for its entry to be durable */
} shoal_entity_phase_t;

/* Laid out for size: one of these stays in memory per resident entity. */
typedef struct shoal_entity {
    const shoal_type_t *type; /* borrowed from the plugin */
    void *state;              /* the plugin's, owned */
    uint64_t seq;             /* last durable event, 0 for none */
    int64_t head_pos;         /* last journal entry, 0 for none */
    shoal_dedup_t *dedup;     /* created on the first command id */
    /* Requests waiting for this entity, oldest first. The one whose entry
     * is being made durable (phase PERSISTING) travels with its append. */
    shoal_request_t *stash_head, *stash_tail;
    /* Least-recently-used order, for passivation. */
    struct shoal_entity *older, *newer;
    /* The clock's milliseconds, truncated to 32 bits: idle times are
     * differences, right for up to 49 days. */
    uint32_t last_used_ms;
    uint32_t changes_since_snapshot; /* events; 1 per entry without */
    uint16_t stash_count;            /* stash_capacity is at most 65535 */
    uint16_t shard;                  /* shards are at most 65536 */
    uint8_t phase;                   /* shoal_entity_phase_t */
    uint8_t id_offset;               /* where the id starts in key */
    char key[];                      /* "type/id" */
} shoal_entity_t;

/* The id part of the entity's key. */
static inline const char *shoal_entity_id(const shoal_entity_t *self)
{
    return self->key + self->id_offset;
}

/* Creates an entity in the RECOVERING phase with no state yet. Returns
 * NULL when out of memory. */
shoal_entity_t *shoal_entity_new(const shoal_type_t *type, uint32_t shard,
                                 const char *key);

/* Frees the entity, its state and its dedup window, and sets *self_p to
 * NULL. The stash and in-flight request must be empty. NULL-safe. */
void shoal_entity_destroy(shoal_entity_t **self_p);

/* Gives the entity the empty state of a new entity. Returns 0 or -1 when
 * the plugin's state_new failed. */
int shoal_entity_start_empty(shoal_entity_t *self);

/* Rebuilds the state from a loaded recovery: the snapshot (or the empty
 * state when there is none or it does not decode) and the entries after
 * it. Returns 0; -1 with *error set (malloc'd) when an entry is corrupt
 * or state_new failed; -2 when the snapshot does not decode (the caller
 * then recovers again with ignore_snapshot). */
int shoal_entity_restore(shoal_entity_t *self, shoal_recovery_t *recovery,
                         size_t dedup_window, char **error);

/* Folds one durable entry: applies its events in order, advances seq and
 * head_pos, and remembers its command id. Returns 0, or -1 when the packed
 * events are corrupt (nothing after the corrupt event is applied). */
int shoal_entity_fold(shoal_entity_t *self, const shoal_journal_entry_t *entry,
                      size_t dedup_window);

/* Encodes a snapshot of the current state and dedup window into
 * *snapshot (owned buffers). Returns 0, or -1 when the type has no
 * snapshots or encoding failed. */
int shoal_entity_snapshot(const shoal_entity_t *self,
                          shoal_snapshot_t *snapshot);

#endif
