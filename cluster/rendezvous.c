/*
 * cluster/rendezvous.c - highest-random-weight hashing of shards onto
 * member names (see rendezvous.h).
 */
#include "cluster/rendezvous.h"

#include <string.h>

/* The splitmix64 finalizer: every input bit flips about half the output
 * bits, which FNV-1a alone does not give in the high bits. */
static uint64_t s_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t shoal_rendezvous_name_hash(const char *name)
{
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (; *name; name++) {
        hash ^= (uint8_t)*name;
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

uint64_t shoal_rendezvous_weight(uint64_t name_hash, uint32_t shard)
{
    return s_mix64(name_hash ^ s_mix64((uint64_t)shard + 1));
}

long shoal_rendezvous_owner(uint32_t shard, const char *const *names,
                            const uint64_t *name_hashes, size_t count)
{
    long best = -1;
    uint64_t best_weight = 0;
    for (size_t i = 0; i < count; i++) {
        uint64_t hash =
            name_hashes ? name_hashes[i] : shoal_rendezvous_name_hash(names[i]);
        uint64_t weight = shoal_rendezvous_weight(hash, shard);
        if (best < 0 || weight > best_weight ||
            (weight == best_weight && strcmp(names[i], names[best]) < 0)) {
            best = (long)i;
            best_weight = weight;
        }
    }
    return best;
}
