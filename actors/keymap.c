/*
 * actors/keymap.c - the compact string-keyed hash map (see keymap.h).
 *
 * The table size is a power of two and kept at most 3/4 full. Removal
 * shifts the following entries of the probe run back, so no tombstones
 * accumulate and lookups never slow down with churn.
 */
#include "actors/keymap.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* A slot: the key, and the value in the low 48 bits with a 16-bit tag of
 * the key's hash above it, so that a probe rejects most other keys
 * without touching their strings. */
typedef struct {
    char *key; /* NULL: empty slot */
    uint64_t tagged;
} s_slot_t;

#define S_VALUE_BITS 48
#define S_VALUE_MASK ((UINT64_C(1) << S_VALUE_BITS) - 1)

struct shoal_keymap {
    s_slot_t *slots;
    size_t capacity; /* a power of two */
    size_t size;
    size_t key_bytes; /* owned key bytes, for shoal_keymap_bytes */
    bool owns_keys;
};

#define S_INITIAL_CAPACITY 64

/* FNV-1a-64, finished with a multiply-shift mix for the low bits. */
static uint64_t s_hash(const char *key)
{
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (; *key; key++) {
        hash ^= (uint8_t)*key;
        hash *= 0x100000001b3ULL;
    }
    hash ^= hash >> 29;
    hash *= 0xbf58476d1ce4e5b9ULL;
    return hash ^ (hash >> 32);
}

shoal_keymap_t *shoal_keymap_new(bool owns_keys)
{
    shoal_keymap_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->slots = calloc(S_INITIAL_CAPACITY, sizeof *self->slots);
    if (!self->slots) {
        free(self);
        return NULL;
    }
    self->capacity = S_INITIAL_CAPACITY;
    self->owns_keys = owns_keys;
    return self;
}

void shoal_keymap_destroy(shoal_keymap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_keymap_t *self = *self_p;
    if (self->owns_keys)
        for (size_t i = 0; i < self->capacity; i++)
            free(self->slots[i].key);
    free(self->slots);
    free(self);
    *self_p = NULL;
}

/* The tag a hash gives a slot's upper bits. */
static uint64_t s_tag(uint64_t hash)
{
    return (hash >> 48) << S_VALUE_BITS;
}

/* Returns the slot of key, or the empty slot where it would go. */
static s_slot_t *s_find_hashed(const shoal_keymap_t *self, const char *key,
                               uint64_t hash)
{
    size_t mask = self->capacity - 1;
    uint64_t tag = s_tag(hash);
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        s_slot_t *slot = &self->slots[i];
        if (!slot->key || ((slot->tagged & ~S_VALUE_MASK) == tag &&
                           strcmp(slot->key, key) == 0))
            return slot;
    }
}

/* Returns the slot of key, or the empty slot where it would go. */
static s_slot_t *s_find(const shoal_keymap_t *self, const char *key)
{
    return s_find_hashed(self, key, s_hash(key));
}

/* Doubles the table. Returns 0 or -1 when out of memory. */
static int s_grow(shoal_keymap_t *self)
{
    size_t old_capacity = self->capacity;
    s_slot_t *old = self->slots;
    s_slot_t *slots = calloc(old_capacity * 2, sizeof *slots);
    if (!slots)
        return -1;
    self->slots = slots;
    self->capacity = old_capacity * 2;
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i].key)
            *s_find(self, old[i].key) = old[i]; /* keys are distinct */
    free(old);
    return 0;
}

int shoal_keymap_put(shoal_keymap_t *self, const char *key, uint64_t value)
{
    assert(key && value <= S_VALUE_MASK);
    uint64_t hash = s_hash(key);
    s_slot_t *slot = s_find_hashed(self, key, hash);
    if (slot->key) {
        slot->tagged = s_tag(hash) | value;
        return 0;
    }
    if ((self->size + 1) * 4 > self->capacity * 3) {
        if (s_grow(self) < 0)
            return -1;
        slot = s_find_hashed(self, key, hash);
    }
    char *stored = (char *)key;
    if (self->owns_keys) {
        size_t length = strlen(key) + 1;
        if (!(stored = malloc(length)))
            return -1;
        memcpy(stored, key, length);
        self->key_bytes += length;
    }
    slot->key = stored;
    slot->tagged = s_tag(hash) | value;
    self->size++;
    return 0;
}

bool shoal_keymap_get(const shoal_keymap_t *self, const char *key,
                      uint64_t *value)
{
    s_slot_t *slot = s_find(self, key);
    if (!slot->key)
        return false;
    if (value)
        *value = slot->tagged & S_VALUE_MASK;
    return true;
}

bool shoal_keymap_remove(shoal_keymap_t *self, const char *key, uint64_t *value)
{
    s_slot_t *slot = s_find(self, key);
    if (!slot->key)
        return false;
    if (value)
        *value = slot->tagged & S_VALUE_MASK;
    if (self->owns_keys) {
        self->key_bytes -= strlen(slot->key) + 1;
        free(slot->key);
    }
    /* Backward-shift: pull later entries of the run into the hole when
     * their home slot is not between the hole and themselves. */
    size_t mask = self->capacity - 1;
    size_t hole = (size_t)(slot - self->slots);
    for (size_t i = (hole + 1) & mask; self->slots[i].key; i = (i + 1) & mask) {
        size_t home = s_hash(self->slots[i].key) & mask;
        bool movable =
            hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
        if (movable) {
            self->slots[hole] = self->slots[i];
            hole = i;
        }
    }
    self->slots[hole].key = NULL;
    self->slots[hole].tagged = 0;
    self->size--;
    return true;
}

size_t shoal_keymap_size(const shoal_keymap_t *self)
{
    return self->size;
}

size_t shoal_keymap_bytes(const shoal_keymap_t *self)
{
    return self->capacity * sizeof(s_slot_t) + self->key_bytes;
}

bool shoal_keymap_next(const shoal_keymap_t *self, size_t *cursor,
                       const char **key, uint64_t *value)
{
    for (; *cursor < self->capacity; (*cursor)++) {
        const s_slot_t *slot = &self->slots[*cursor];
        if (slot->key) {
            *key = slot->key;
            *value = slot->tagged & S_VALUE_MASK;
            (*cursor)++;
            return true;
        }
    }
    return false;
}
