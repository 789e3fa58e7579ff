/*
 * actors/keymap.h - a compact hash map from string keys to 64-bit values,
 * for the tables that hold one entry per entity (the resident entities,
 * the journal heads of passivated ones), where a general-purpose hash
 * table's per-entry allocation would cost more than the entity itself.
 *
 * Open addressing with linear probing and backward-shift deletion: one
 * 16-byte slot per entry, no allocation per entry beyond the key when the
 * map owns its keys. Keys are NUL-terminated strings; values are 48-bit
 * (the slot keeps a hash tag in the upper bits).
 */
#ifndef SHOAL_ACTORS_KEYMAP_H
#define SHOAL_ACTORS_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct shoal_keymap shoal_keymap_t;

/* Creates an empty map. When owns_keys, the map copies each key it stores
 * and frees it on removal; otherwise keys are borrowed and must stay valid
 * and unchanged while stored. Returns NULL when out of memory. */
shoal_keymap_t *shoal_keymap_new(bool owns_keys);

/* Frees the map (and its keys when it owns them); sets *self_p to NULL.
 * NULL-safe. */
void shoal_keymap_destroy(shoal_keymap_t **self_p);

/* Stores value under key, replacing any value there. value must be below
 * 2^48 (journal positions and user-space pointers are). Returns 0, or -1
 * when out of memory (the map is then unchanged). */
int shoal_keymap_put(shoal_keymap_t *self, const char *key, uint64_t value);

/* Looks key up. Returns true and sets *value when present. value may be
 * NULL. */
bool shoal_keymap_get(const shoal_keymap_t *self, const char *key,
                      uint64_t *value);

/* Removes key. Returns true and sets *value (may be NULL) when it was
 * present. */
bool shoal_keymap_remove(shoal_keymap_t *self, const char *key,
                         uint64_t *value);

/* Number of entries. */
size_t shoal_keymap_size(const shoal_keymap_t *self);

/* Bytes the map itself holds: its slots and the keys it owns. */
size_t shoal_keymap_bytes(const shoal_keymap_t *self);

/* Steps a walk over the entries, in no order: starting from *cursor (0
 * for the first call), finds the next entry, sets *key (borrowed) and
 * *value, advances *cursor past it and returns true; returns false at the
 * end. The map must not change during the walk. */
bool shoal_keymap_next(const shoal_keymap_t *self, size_t *cursor,
                       const char **key, uint64_t *value);

#endif
