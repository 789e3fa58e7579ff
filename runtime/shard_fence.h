/*
 * runtime/shard_fence.h - which shards this node may write, and since
 * which epoch of the shard table: the fence the journal writer checks
 * before it writes anything.
 *
 * Every write carries the shard epoch: the epoch of the table under which
 * the main thread handed its command to a worker. The main thread opens a
 * shard's fence when a table gives it the shard (at that table's epoch),
 * and closes it when the shard is released for a handoff or a table gives
 * it to another member. The writer admits a write only while its shard's
 * fence is open and the write's epoch is at least the one the fence was
 * opened at, so a write of a shard this node no longer owns, or of an
 * earlier period of ownership, is refused (fencing) instead of landing in
 * a journal whose slice has already moved.
 *
 * A single node owns every shard at epoch 0, for ever.
 *
 * The main thread opens and closes; any thread may read. Each shard's
 * state is one atomic word, so a reader sees either the old or the new
 * state, never a mix.
 */
#ifndef SHOAL_RUNTIME_SHARD_FENCE_H
#define SHOAL_RUNTIME_SHARD_FENCE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct shoal_shard_fence shoal_shard_fence_t;

/* The "opened at" value of a closed shard. */
#define SHOAL_SHARD_FENCE_CLOSED UINT64_MAX

/* Creates the fence of shards shards (at least 1), every shard open at
 * epoch 0 when all_open (a single node), else every shard closed (a
 * cluster member before its first table). Returns NULL when out of
 * memory. The caller owns it. */
shoal_shard_fence_t *shoal_shard_fence_new(uint32_t shards, bool all_open);

/* Frees a fence and sets *self_p to NULL. NULL-safe. */
void shoal_shard_fence_destroy(shoal_shard_fence_t **self_p);

/* Opens shard from epoch on (epoch < SHOAL_SHARD_FENCE_CLOSED): writes
 * of epoch or later are admitted. Main thread only. */
void shoal_shard_fence_open(shoal_shard_fence_t *self, uint32_t shard,
                            uint64_t epoch);

/* Closes shard: no write of it is admitted until it is opened again.
 * Main thread only. */
void shoal_shard_fence_close(shoal_shard_fence_t *self, uint32_t shard);

/* Returns the epoch shard was opened at, or SHOAL_SHARD_FENCE_CLOSED. */
uint64_t shoal_shard_fence_since(const shoal_shard_fence_t *self,
                                 uint32_t shard);

/* Returns whether a write of shard carrying epoch is admitted: the shard
 * is open and epoch is at least the epoch it was opened at. A shard out
 * of range is never admitted. */
bool shoal_shard_fence_admits(const shoal_shard_fence_t *self, uint32_t shard,
                              uint64_t epoch);

/* Returns the number of shards. */
uint32_t shoal_shard_fence_shards(const shoal_shard_fence_t *self);

#endif
