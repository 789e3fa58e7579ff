/*
 * actors/arena.c - a bump allocator over a list of growing chunks (see
 * arena.h).
 */
#include "actors/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>

#define S_FIRST_CHUNK 1024

struct shoal_arena_chunk {
    shoal_arena_chunk_t *next;
    size_t size; /* bytes in data */
    size_t used;
    alignas(max_align_t) char data[];
};

void shoal_arena_init(shoal_arena_t *self)
{
    self->chunks = NULL;
}

/* Rounds size up to the alignment of max_align_t. */
static size_t s_aligned(size_t size)
{
    size_t align = alignof(max_align_t);
    return (size + align - 1) & ~(align - 1);
}

void *shoal_arena_alloc(shoal_arena_t *self, size_t size)
{
    size_t need = s_aligned(size ? size : 1);
    if (need < size) /* defensive: overflow */
        return NULL;
    shoal_arena_chunk_t *chunk = self->chunks;
    if (!chunk || chunk->size - chunk->used < need) {
        size_t grown = chunk ? chunk->size * 2 : S_FIRST_CHUNK;
        if (grown < need)
            grown = need;
        if (grown > SIZE_MAX - sizeof *chunk)
            return NULL;
        shoal_arena_chunk_t *fresh = malloc(sizeof *fresh + grown);
        if (!fresh)
            return NULL;
        fresh->next = chunk;
        fresh->size = grown;
        fresh->used = 0;
        self->chunks = chunk = fresh;
    }
    void *start = chunk->data + chunk->used;
    chunk->used += need;
    return start;
}

void shoal_arena_release(shoal_arena_t *self)
{
    while (self->chunks) {
        shoal_arena_chunk_t *next = self->chunks->next;
        free(self->chunks);
        self->chunks = next;
    }
}
