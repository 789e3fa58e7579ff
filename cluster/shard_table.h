/*
 * cluster/shard_table.h - a versioned shard table: the owner (a member
 * name, or none) of each of a cluster's K shards, and the epoch of that
 * assignment.
 *
 * The coordinator publishes tables; every change of owner gives a new
 * table with a higher epoch. Of two tables, the one with the higher epoch
 * is the newer; two tables of one epoch (two coordinators on either side
 * of an asymmetric partition) are ordered by their author's name, the
 * smaller being the newer, so every node settles on the same one.
 *
 * Owner names are kept once each, shards point to them, so a table costs
 * four bytes per shard.
 */
#ifndef SHOAL_CLUSTER_SHARD_TABLE_H
#define SHOAL_CLUSTER_SHARD_TABLE_H

#include "cluster/member.h"

#include <stdbool.h>
#include <stdint.h>

/* The most shards a cluster may have (the runtime's `shards` setting has
 * the same bound). */
#define SHOAL_SHARD_TABLE_MAX_SHARDS 65536

typedef struct shoal_shard_table shoal_shard_table_t;

/* Creates a table of shards shards (1..SHOAL_SHARD_TABLE_MAX_SHARDS),
 * epoch 0, no author, every shard unowned. Returns NULL when out of
 * memory. */
shoal_shard_table_t *shoal_shard_table_new(uint32_t shards);

/* Frees the table and sets *self_p to NULL. NULL-safe. */
void shoal_shard_table_destroy(shoal_shard_table_t **self_p);

/* Returns a copy of the table (the caller's), or NULL when out of
 * memory. */
shoal_shard_table_t *shoal_shard_table_dup(const shoal_shard_table_t *self);

/* Number of shards. */
uint32_t shoal_shard_table_shards(const shoal_shard_table_t *self);

/* The epoch: 0 until a coordinator first publishes the table. */
uint64_t shoal_shard_table_epoch(const shoal_shard_table_t *self);

/* The name of the member that published this epoch ("" at epoch 0);
 * borrowed from the table. */
const char *shoal_shard_table_author(const shoal_shard_table_t *self);

/* Stamps the table with epoch and its author (a valid member name, or ""
 * with epoch 0). */
void shoal_shard_table_set_epoch(shoal_shard_table_t *self, uint64_t epoch,
                                 const char *author);

/* The owner of shard (< shards), borrowed from the table until it next
 * changes; NULL when the shard has no owner. */
const char *shoal_shard_table_owner(const shoal_shard_table_t *self,
                                    uint32_t shard);

/* Sets the owner of shard to name (a valid member name, copied), or to
 * none when name is NULL. Returns 0, or -1 when out of memory (the table
 * is then unchanged). */
int shoal_shard_table_set_owner(shoal_shard_table_t *self, uint32_t shard,
                                const char *name);

/* Number of shards name owns. */
uint32_t shoal_shard_table_owned_by(const shoal_shard_table_t *self,
                                    const char *name);

/* Number of shards that would move from one table to the other: shards
 * owned in from whose owner in to differs. A shard that gains its first
 * owner is not a move (no history goes with it). Both tables must have
 * the same number of shards. */
uint32_t shoal_shard_table_moves(const shoal_shard_table_t *from,
                                 const shoal_shard_table_t *to);

/* Returns whether both tables give every shard the same owner (epochs
 * are not compared). */
bool shoal_shard_table_same_owners(const shoal_shard_table_t *a,
                                   const shoal_shard_table_t *b);

/* Orders two tables: positive when a is newer than b (higher epoch; on
 * the same epoch, the smaller author name), 0 when they have the same
 * epoch and author, negative when a is older. */
int shoal_shard_table_compare(const shoal_shard_table_t *a,
                              const shoal_shard_table_t *b);

#endif
