/*
 * cluster/shard.h - which shard an entity belongs to.
 *
 * shard = FNV-1a-64("type/id") mod shards. The function is part of the
 * journal's format: changing it would move entities away from their
 * history, so it never changes for a given number of shards.
 */
#ifndef SHOAL_CLUSTER_SHARD_H
#define SHOAL_CLUSTER_SHARD_H

#include <stddef.h>
#include <stdint.h>

/* Returns the shard of the entity key "type/id" among shards (>= 1). */
uint32_t shoal_shard_of(const char *type, const char *entity_id,
                        uint32_t shards);

#endif
