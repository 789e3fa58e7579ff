/*
 * tests/unit/test_shard_table.c - the versioned shard table (owners,
 * moves, the order of tables) and rendezvous hashing (spread, minimal
 * moves, and weights that never change).
 */
#include "cluster/rendezvous.h"
#include "cluster/shard_table.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

Test(shard_table, starts_unowned_at_epoch_zero)
{
    shoal_shard_table_t *table = shoal_shard_table_new(8);
    cr_assert_eq(shoal_shard_table_shards(table), 8);
    cr_assert_eq(shoal_shard_table_epoch(table), 0);
    cr_assert_str_eq(shoal_shard_table_author(table), "");
    for (uint32_t shard = 0; shard < 8; shard++)
        cr_assert_null(shoal_shard_table_owner(table, shard));
    shoal_shard_table_destroy(&table);
    cr_assert_null(table);
    shoal_shard_table_destroy(&table);
}

Test(shard_table, counts_owners_and_moves)
{
    shoal_shard_table_t *a = shoal_shard_table_new(6);
    for (uint32_t shard = 0; shard < 5; shard++)
        shoal_shard_table_set_owner(a, shard, shard < 3 ? "n1" : "n2");
    shoal_shard_table_t *b = shoal_shard_table_dup(a);
    cr_assert(shoal_shard_table_same_owners(a, b));
    shoal_shard_table_set_owner(b, 0, "n3");
    shoal_shard_table_set_owner(b, 3, "n3");
    shoal_shard_table_set_owner(b, 5, "n3"); /* a first owner: no move */
    cr_assert_eq(shoal_shard_table_owned_by(a, "n1"), 3);
    cr_assert_eq(shoal_shard_table_owned_by(b, "n3"), 3);
    cr_assert_eq(shoal_shard_table_owned_by(b, "n9"), 0);
    cr_assert_eq(shoal_shard_table_moves(a, b), 2);
    cr_assert_eq(shoal_shard_table_moves(b, a), 3, "losing an owner moves");
    cr_assert_not(shoal_shard_table_same_owners(a, b));
    shoal_shard_table_set_owner(b, 5, NULL);
    cr_assert_null(shoal_shard_table_owner(b, 5));
    shoal_shard_table_destroy(&a);
    shoal_shard_table_destroy(&b);
}

Test(shard_table, orders_by_epoch_then_the_smaller_author)
{
    shoal_shard_table_t *a = shoal_shard_table_new(4);
    shoal_shard_table_t *b = shoal_shard_table_new(4);
    cr_assert_eq(shoal_shard_table_compare(a, b), 0);
    shoal_shard_table_set_epoch(a, 3, "n2");
    shoal_shard_table_set_epoch(b, 2, "n1");
    cr_assert_gt(shoal_shard_table_compare(a, b), 0);
    cr_assert_lt(shoal_shard_table_compare(b, a), 0);
    shoal_shard_table_set_epoch(b, 3, "n1");
    cr_assert_gt(shoal_shard_table_compare(b, a), 0, "same epoch: n1 wins");
    shoal_shard_table_set_epoch(a, 3, "n1");
    cr_assert_eq(shoal_shard_table_compare(a, b), 0);
    shoal_shard_table_t *copy = shoal_shard_table_dup(b);
    cr_assert_eq(shoal_shard_table_epoch(copy), 3);
    cr_assert_str_eq(shoal_shard_table_author(copy), "n1");
    shoal_shard_table_destroy(&copy);
    shoal_shard_table_destroy(&a);
    shoal_shard_table_destroy(&b);
}

/* The weights decide where shards live in running clusters: pinned. */
Test(rendezvous, weights_never_change)
{
    cr_assert_eq(shoal_rendezvous_name_hash(""), 0xcbf29ce484222325ULL);
    cr_assert_eq(shoal_rendezvous_name_hash("n1"), 0x08b37b07b558d4c0ULL);
    cr_assert_eq(shoal_rendezvous_weight(shoal_rendezvous_name_hash("n1"), 0),
                 0x97b93647b2ca9aaeULL);
    cr_assert_eq(shoal_rendezvous_weight(shoal_rendezvous_name_hash("n2"), 7),
                 0xb573c7c92e53bfeeULL);
}

/* Owner counts of names[0..count) over shards shards. */
static void s_spread(const char *const *names, size_t count, uint32_t shards,
                     uint32_t *owned, long *owners)
{
    memset(owned, 0, count * sizeof *owned);
    for (uint32_t shard = 0; shard < shards; shard++) {
        owners[shard] = shoal_rendezvous_owner(shard, names, NULL, count);
        owned[owners[shard]]++;
    }
}

enum { S_SHARDS = 4096 };

Test(rendezvous, spreads_shards_evenly)
{
    const char *names[] = {"n1", "n2", "n3", "n4", "node-east-1"};
    static long owners[S_SHARDS];
    uint32_t owned[5];
    s_spread(names, 5, S_SHARDS, owned, owners);
    for (int i = 0; i < 5; i++)
        cr_assert(owned[i] > S_SHARDS / 5 * 85 / 100 &&
                      owned[i] < S_SHARDS / 5 * 115 / 100,
                  "%s owns %u of %d", names[i], owned[i], S_SHARDS);
    cr_assert_eq(shoal_rendezvous_owner(0, names, NULL, 0), -1);
}

Test(rendezvous, adding_or_removing_a_name_moves_only_its_share)
{
    const char *names[] = {"n1", "n2", "n3", "n4"};
    static long three[S_SHARDS], four[S_SHARDS];
    uint32_t owned[4];
    s_spread(names, 3, S_SHARDS, owned, three);
    s_spread(names, 4, S_SHARDS, owned, four);
    uint32_t moved = 0;
    for (uint32_t shard = 0; shard < S_SHARDS; shard++)
        if (three[shard] != four[shard]) {
            cr_assert_eq(four[shard], 3, "shards move only to the new name");
            moved++;
        }
    cr_assert(moved > S_SHARDS / 4 * 90 / 100 &&
                  moved < S_SHARDS / 4 * 110 / 100,
              "%u moved, K/N = %d", moved, S_SHARDS / 4);
    /* Without n2, only n2's shards move. */
    const char *without[] = {"n1", "n3", "n4"};
    for (uint32_t shard = 0; shard < S_SHARDS; shard++) {
        long owner = shoal_rendezvous_owner(shard, without, NULL, 3);
        if (four[shard] != 1)
            cr_assert_str_eq(without[owner], names[four[shard]]);
    }
}
