/*
 * runtime/shard_fence.c - one atomic "opened at" epoch per shard.
 */
#include "runtime/shard_fence.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>

struct shoal_shard_fence {
    uint32_t shards;
    _Atomic uint64_t since[]; /* SHOAL_SHARD_FENCE_CLOSED, or opened at */
};

shoal_shard_fence_t *shoal_shard_fence_new(uint32_t shards, bool all_open)
{
    assert(shards > 0);
    shoal_shard_fence_t *self =
        malloc(sizeof *self + shards * sizeof self->since[0]);
    if (!self)
        return NULL;
    self->shards = shards;
    for (uint32_t shard = 0; shard < shards; shard++)
        atomic_init(&self->since[shard],
                    all_open ? 0 : SHOAL_SHARD_FENCE_CLOSED);
    return self;
}

void shoal_shard_fence_destroy(shoal_shard_fence_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

void shoal_shard_fence_open(shoal_shard_fence_t *self, uint32_t shard,
                            uint64_t epoch)
{
    assert(shard < self->shards && epoch != SHOAL_SHARD_FENCE_CLOSED);
    atomic_store(&self->since[shard], epoch);
}

void shoal_shard_fence_close(shoal_shard_fence_t *self, uint32_t shard)
{
    assert(shard < self->shards);
    atomic_store(&self->since[shard], SHOAL_SHARD_FENCE_CLOSED);
}

uint64_t shoal_shard_fence_since(const shoal_shard_fence_t *self,
                                 uint32_t shard)
{
    if (shard >= self->shards)
        return SHOAL_SHARD_FENCE_CLOSED;
    return atomic_load(&self->since[shard]);
}

bool shoal_shard_fence_admits(const shoal_shard_fence_t *self, uint32_t shard,
                              uint64_t epoch)
{
    uint64_t since = shoal_shard_fence_since(self, shard);
    return since != SHOAL_SHARD_FENCE_CLOSED && epoch >= since;
}

uint32_t shoal_shard_fence_shards(const shoal_shard_fence_t *self)
{
    return self->shards;
}
