/*
 * cluster/shard.c - the entity-to-shard function (see shard.h).
 */
#include "cluster/shard.h"

#include <assert.h>

/* Folds a string into an FNV-1a-64 hash. */
static uint64_t s_fnv1a(uint64_t hash, const char *text)
{
    for (; *text; text++) {
        hash ^= (uint8_t)*text;
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

uint32_t shoal_shard_of(const char *type, const char *entity_id,
                        uint32_t shards)
{
    assert(shards >= 1);
    uint64_t hash = s_fnv1a(0xcbf29ce484222325ULL, type);
    hash = s_fnv1a(hash, "/");
    hash = s_fnv1a(hash, entity_id);
    return (uint32_t)(hash % shards);
}
