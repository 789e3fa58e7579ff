/*
 * actors/arena.h - a bump allocator for bytes that live and die together,
 * such as the entries a recovery reads: one malloc per chunk instead of
 * one per allocation, and one release for all of them.
 *
 * The caller allocates the arena (usually inside a larger struct) and
 * initializes it; every pointer the arena hands out stays valid, and is
 * owned by the arena, until shoal_arena_release.
 */
#ifndef SHOAL_ACTORS_ARENA_H
#define SHOAL_ACTORS_ARENA_H

#include <stddef.h>

typedef struct shoal_arena_chunk shoal_arena_chunk_t;

typedef struct {
    shoal_arena_chunk_t *chunks; /* newest first; owned */
} shoal_arena_t;

/* Makes *self an empty arena. Allocates nothing. */
void shoal_arena_init(shoal_arena_t *self);

/* Returns size bytes, aligned for any type, owned by the arena and valid
 * until shoal_arena_release, or NULL when out of memory. Chunks grow
 * geometrically, so n allocations cost O(log n) mallocs. */
void *shoal_arena_alloc(shoal_arena_t *self, size_t size);

/* Frees everything the arena handed out; *self is then empty again and
 * may be reused. */
void shoal_arena_release(shoal_arena_t *self);

#endif
