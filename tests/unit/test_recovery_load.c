/*
 * tests/unit/test_recovery_load.c - the recovery load (actors/
 * recovery_load.c): a batch of recoveries walks its chains together, level
 * by level, and each recovery gets exactly what a load of its own gives:
 * the snapshot and the entries after it in ascending order, or its own
 * error when its chain is broken, without failing the others.
 *
 * Every test writes a journal in its own temporary directory.
 */
#include "actors/messages.h"
#include "persistence/journal.h"
#include "tests/unit/temp_dir.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static char *s_dir;
static char *s_path;
static shoal_journal_t *s_writer;

static void s_setup(void)
{
    s_dir = temp_dir_new();
    s_path = temp_dir_file(s_dir, "journal.db");
    char *error = NULL;
    s_writer = shoal_journal_open(s_path, SHOAL_DURABILITY_FAST, false, &error);
    cr_assert_not_null(s_writer, "%s", error);
}

static void s_teardown(void)
{
    shoal_journal_close(&s_writer);
    free(s_path);
    s_path = NULL;
    temp_dir_destroy(&s_dir);
}

TestSuite(recovery_load, .init = s_setup, .fini = s_teardown);

/* Appends an entry of key after prev_pos with one event, seq first_seq,
 * whose bytes name the seq; returns its pos. */
static int64_t s_append(const char *key, int64_t prev_pos, uint64_t first_seq)
{
    char events[32], reply[32];
    snprintf(events, sizeof events, "event %llu",
             (unsigned long long)first_seq);
    snprintf(reply, sizeof reply, "reply %llu", (unsigned long long)first_seq);
    shoal_journal_entry_t entry = {
        .shard = 1,
        .entity = key,
        .prev_pos = prev_pos,
        .first_seq = first_seq,
        .event_count = 1,
        .outcome = SHOAL_OUTCOME_ACCEPTED,
        .written_ms = 1700000000000,
        .command_id = first_seq % 2 ? "odd" : NULL,
        .reply = reply,
        .reply_size = strlen(reply),
        .events = events,
        .events_size = strlen(events),
    };
    char *error = NULL;
    cr_assert_eq(shoal_journal_begin(s_writer, &error), 0, "%s", error);
    cr_assert_eq(shoal_journal_append(s_writer, &entry, &error), 0, "%s",
                 error);
    cr_assert_eq(shoal_journal_commit(s_writer, &error), 0, "%s", error);
    return entry.pos;
}

/* Saves a snapshot of key at pos with seq. */
static void s_snapshot(const char *key, int64_t pos, uint64_t seq)
{
    shoal_snapshot_t snapshot = {
        .seq = seq, .pos = pos, .state = "state", .state_size = 5};
    char *error = NULL;
    cr_assert_eq(shoal_journal_begin(s_writer, &error), 0);
    cr_assert_eq(shoal_journal_save_snapshot(s_writer, key, &snapshot, &error),
                 0, "%s", error);
    cr_assert_eq(shoal_journal_commit(s_writer, &error), 0);
}

static shoal_journal_t *s_reader(void)
{
    char *error = NULL;
    shoal_journal_t *reader =
        shoal_journal_open(s_path, SHOAL_DURABILITY_FAST, true, &error);
    cr_assert_not_null(reader, "%s", error);
    return reader;
}

/* Loads the recoveries as the reader thread does: one batch in one read
 * transaction. */
static void s_load_batch(shoal_journal_t *reader, shoal_recovery_t **batch,
                         size_t count)
{
    char *error = NULL;
    cr_assert_eq(shoal_journal_begin_read(reader, &error), 0, "%s", error);
    shoal_recovery_load_batch(batch, count, reader);
    shoal_journal_end_read(reader);
}

/* Asserts that two loads of the same entity have the same results. */
static void s_assert_same_results(const shoal_recovery_t *a,
                                  const shoal_recovery_t *b)
{
    cr_assert_eq(!a->error, !b->error, "%s / %s", a->error, b->error);
    if (a->error)
        cr_assert_str_eq(a->error, b->error);
    cr_assert_eq(a->has_snapshot, b->has_snapshot);
    cr_assert_eq(a->snapshot.pos, b->snapshot.pos);
    cr_assert_eq(a->entry_count, b->entry_count, "%s", a->key);
    for (size_t i = 0; i < a->entry_count; i++) {
        const shoal_journal_entry_t *x = &a->entries[i], *y = &b->entries[i];
        cr_assert_eq(x->pos, y->pos);
        cr_assert_str_eq(x->entity, y->entity);
        cr_assert_eq(x->prev_pos, y->prev_pos);
        cr_assert_eq(x->first_seq, y->first_seq);
        cr_assert_eq(!x->command_id, !y->command_id);
        cr_assert_eq(x->reply_size, y->reply_size);
        cr_assert_eq(memcmp(x->reply, y->reply, x->reply_size), 0);
        cr_assert_eq(x->events_size, y->events_size);
        cr_assert_eq(memcmp(x->events, y->events, x->events_size), 0);
    }
}

Test(recovery_load, a_batch_gives_each_chain_in_order_as_a_load_of_its_own)
{
    /* Five entities whose chains interleave, 1 to 40 entries each. */
    const char *keys[] = {"account/a", "account/b", "account/c", "account/d",
                          "account/e"};
    int64_t heads[5] = {0}, positions_of_d[31];
    uint64_t seqs[5] = {0};
    for (int round = 0; round < 40; round++)
        for (int k = 0; k < 5; k++)
            if (round < 1 + k * 10) {
                seqs[k]++;
                heads[k] = s_append(keys[k], heads[k], seqs[k]);
                if (k == 3)
                    positions_of_d[round] = heads[k];
            }
    s_snapshot("account/d", positions_of_d[27], 28); /* 3 entries after */

    shoal_journal_t *reader = s_reader();
    /* b twice, and d once ignoring its snapshot. */
    shoal_recovery_t *batch[7];
    for (int k = 0; k < 5; k++)
        batch[k] = shoal_recovery_new(0, NULL, keys[k], heads[k]);
    batch[5] = shoal_recovery_new(0, NULL, keys[1], heads[1]);
    batch[6] = shoal_recovery_new(0, NULL, keys[3], heads[3]);
    batch[6]->ignore_snapshot = true;
    s_load_batch(reader, batch, 7);

    for (int i = 0; i < 7; i++) {
        shoal_recovery_t *alone =
            shoal_recovery_new(0, NULL, batch[i]->key, batch[i]->head_pos);
        alone->ignore_snapshot = batch[i]->ignore_snapshot;
        shoal_recovery_load(alone, reader);
        s_assert_same_results(batch[i], alone);
        shoal_recovery_destroy(&alone);
        cr_assert_null(batch[i]->error, "%s", batch[i]->error);
        /* Ascending, linked, ending at the head. */
        const shoal_recovery_t *recovery = batch[i];
        for (size_t e = 0; e < recovery->entry_count; e++) {
            cr_assert_str_eq(recovery->entries[e].entity, recovery->key);
            if (e > 0)
                cr_assert_eq(recovery->entries[e].prev_pos,
                             recovery->entries[e - 1].pos);
        }
        cr_assert_eq(recovery->entries[recovery->entry_count - 1].pos,
                     recovery->head_pos);
    }
    cr_assert_eq(batch[0]->entry_count, 1);
    cr_assert_eq(batch[4]->entry_count, 40);
    cr_assert_eq(batch[4]->entries[0].first_seq, 1);
    cr_assert_eq(batch[1]->entry_count, 11);
    cr_assert_eq(batch[5]->entry_count, 11);
    /* d from its snapshot: the entries after it; and all of them. */
    cr_assert(batch[3]->has_snapshot);
    cr_assert_eq(batch[3]->entry_count, 3);
    cr_assert_gt(batch[3]->entries[0].pos, batch[3]->snapshot.pos);
    cr_assert_not(batch[6]->has_snapshot);
    cr_assert_eq(batch[6]->entry_count, 31);

    for (int i = 0; i < 7; i++)
        shoal_recovery_destroy(&batch[i]);
    shoal_journal_close(&reader);
}

Test(recovery_load, a_broken_chain_fails_its_recovery_only)
{
    int64_t a1 = s_append("account/a", 0, 1);
    int64_t b1 = s_append("account/b", 0, 1);
    int64_t a2 = s_append("account/a", a1, 2);
    /* c's second entry points at b's: a chain that leads elsewhere. */
    int64_t c1 = s_append("account/c", b1, 1);
    int64_t a3 = s_append("account/a", a2, 3);
    (void)c1;

    shoal_journal_t *reader = s_reader();
    shoal_recovery_t *batch[4] = {
        shoal_recovery_new(0, NULL, "account/a", a3),
        shoal_recovery_new(0, NULL, "account/c", c1),
        shoal_recovery_new(0, NULL, "account/d", 99), /* no entry there */
        shoal_recovery_new(0, NULL, "account/e", 0),  /* nothing to load */
    };
    s_load_batch(reader, batch, 4);

    cr_assert_null(batch[0]->error, "%s", batch[0]->error);
    cr_assert_eq(batch[0]->entry_count, 3);
    cr_assert_eq(batch[0]->entries[0].pos, a1);
    cr_assert_eq(batch[0]->entries[2].pos, a3);

    char expected[128];
    snprintf(expected, sizeof expected,
             "journal chain of account/c is broken at pos %lld", (long long)b1);
    cr_assert_str_eq(batch[1]->error, expected);
    cr_assert_eq(batch[1]->entry_count, 0, "a failed load has no results");
    cr_assert_null(batch[1]->entries);
    cr_assert_str_eq(batch[2]->error,
                     "journal chain of account/d is broken at pos 99");
    cr_assert_null(batch[3]->error);
    cr_assert_eq(batch[3]->entry_count, 0);

    /* A load again starts afresh: the same results, not twice them. */
    s_load_batch(reader, batch, 4);
    cr_assert_eq(batch[0]->entry_count, 3);
    cr_assert_str_eq(batch[1]->error, expected);
    for (int i = 0; i < 4; i++)
        shoal_recovery_destroy(&batch[i]);
    shoal_journal_close(&reader);
}

Test(recovery_load, push_entry_copies_the_bytes_into_the_recovery)
{
    shoal_recovery_t *recovery = shoal_recovery_new(0, NULL, "account/a", 1);
    char events[] = "ev", reply[] = "re", id[] = "id";
    for (uint64_t i = 0; i < 100; i++) {
        shoal_journal_entry_t entry = {
            .pos = (int64_t)i + 1,
            .entity = "account/a",
            .first_seq = i,
            .command_id = i % 2 ? id : NULL,
            .reply = reply,
            .reply_size = 2,
            .events = events,
            .events_size = 2,
        };
        cr_assert_eq(shoal_recovery_push_entry(recovery, &entry), 0);
    }
    events[0] = reply[0] = id[0] = 'X'; /* the copies do not change */
    cr_assert_eq(recovery->entry_count, 100);
    for (size_t i = 0; i < 100; i++) {
        const shoal_journal_entry_t *entry = &recovery->entries[i];
        cr_assert_eq(entry->first_seq, i);
        cr_assert_str_eq(entry->entity, "account/a");
        cr_assert_str_eq(entry->events, "ev");
        cr_assert_str_eq(entry->reply, "re");
        if (i % 2)
            cr_assert_str_eq(entry->command_id, "id");
        else
            cr_assert_null(entry->command_id);
    }
    shoal_recovery_clear_results(recovery);
    cr_assert_eq(recovery->entry_count, 0);
    shoal_recovery_destroy(&recovery);
}
