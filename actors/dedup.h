/*
 * actors/dedup.h - an entity's memory of recent command ids and their
 * outcomes, which makes commands with an id effectively-once: a repeated
 * id gets the first outcome back and changes nothing.
 *
 * The window holds the last `capacity` ids (oldest forgotten first). It is
 * rebuilt at recovery from the snapshot (encoded with it) and the journal
 * entries after it, so it survives restarts.
 */
#ifndef SHOAL_ACTORS_DEDUP_H
#define SHOAL_ACTORS_DEDUP_H

#include "persistence/journal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct shoal_dedup shoal_dedup_t;

/* A remembered outcome; its pointers are borrowed from the window. */
typedef struct {
    shoal_outcome_t outcome;
    uint64_t first_seq;
    uint32_t event_count;
    const void *reply;
    size_t reply_size;
} shoal_dedup_record_t;

/* Creates an empty window of capacity ids (capacity >= 1). Returns NULL
 * when out of memory. */
shoal_dedup_t *shoal_dedup_new(size_t capacity);

/* Frees the window and sets *self_p to NULL. NULL-safe. */
void shoal_dedup_destroy(shoal_dedup_t **self_p);

/* Remembers the outcome of command_id (copied), forgetting the oldest id
 * when full. Returns 0, or -1 when out of memory. */
int shoal_dedup_remember(shoal_dedup_t *self, const char *command_id,
                         const shoal_dedup_record_t *record);

/* Looks command_id up. Returns true and fills *record when remembered. */
bool shoal_dedup_lookup(const shoal_dedup_t *self, const char *command_id,
                        shoal_dedup_record_t *record);

/* Number of ids remembered. */
size_t shoal_dedup_size(const shoal_dedup_t *self);

/* Encodes the window, oldest first, into *data (malloc'd, the caller
 * frees). Returns 0 or -1 when out of memory. */
int shoal_dedup_encode(const shoal_dedup_t *self, void **data, size_t *size);

/* Remembers every record of an encoded window, oldest first. Returns 0, or
 * -1 when the bytes are not a valid encoding (nothing is then kept from
 * them past the last valid record). */
int shoal_dedup_decode(shoal_dedup_t *self, const void *data, size_t size);

#endif
