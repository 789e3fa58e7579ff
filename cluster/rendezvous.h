/*
 * cluster/rendezvous.h - rendezvous (highest random weight) hashing: the
 * owner of a shard is the candidate with the highest weight(shard, name).
 *
 * Adding a candidate takes from each other one only the shards the new one
 * outweighs them on (about K/N in all); removing one moves only its own
 * shards, each to its runner-up. Modulo hashing, by contrast, moves most
 * shards whenever N changes.
 *
 * weight = mix64(FNV-1a-64(name) ^ mix64(shard + 1)), with mix64 the
 * splitmix64 finalizer. The function decides where shards live in a
 * running cluster: every node must compute the same, so it never changes.
 */
#ifndef SHOAL_CLUSTER_RENDEZVOUS_H
#define SHOAL_CLUSTER_RENDEZVOUS_H

#include <stddef.h>
#include <stdint.h>

/* The per-name part of the weight (FNV-1a-64 of name), which a caller
 * ranking many shards computes once per candidate. */
uint64_t shoal_rendezvous_name_hash(const char *name);

/* The weight of a candidate whose name hashes to name_hash for shard. */
uint64_t shoal_rendezvous_weight(uint64_t name_hash, uint32_t shard);

/* Returns the index in names[0..count) of the winner of shard: the
 * highest weight, the smaller name on a tie. name_hashes, when not NULL,
 * holds shoal_rendezvous_name_hash of each name. Returns -1 when count is
 * 0. */
long shoal_rendezvous_owner(uint32_t shard, const char *const *names,
                            const uint64_t *name_hashes, size_t count);

#endif
