/*
 * tests/unit/test_heads_checkpoint.c - sliced checkpoints of the entity
 * directory against a real journal: whatever slice a crash stops at,
 * loading the heads gives every entity its latest entry.
 */
#include "runtime/heads_checkpoint.h"
#include "temp_dir.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define ENTITIES 300

static char *s_dir;
static char s_path[512];
static shoal_journal_t *s_journal;
static shoal_heads_checkpoint_t *s_checkpoint;
static shoal_journal_totals_t s_totals;
static int64_t s_last_pos;
static int64_t s_heads[ENTITIES]; /* the truth: latest pos per entity */

static void s_setup(void)
{
    s_dir = temp_dir_new();
    snprintf(s_path, sizeof s_path, "%s/journal.db", s_dir);
    char *error = NULL;
    s_journal =
        shoal_journal_open(s_path, SHOAL_DURABILITY_FAST, false, &error);
    cr_assert_not_null(s_journal, "%s", error);
    s_checkpoint = shoal_heads_checkpoint_new();
    cr_assert_not_null(s_checkpoint);
    memset(s_heads, 0, sizeof s_heads);
    memset(&s_totals, 0, sizeof s_totals);
    s_last_pos = 0;
}

static void s_teardown(void)
{
    shoal_heads_checkpoint_destroy(&s_checkpoint);
    shoal_journal_close(&s_journal);
    temp_dir_destroy(&s_dir);
}

TestSuite(heads_checkpoint, .init = s_setup, .fini = s_teardown);

/* Appends one entry for entity index in its own transaction, notes its
 * head, and (like the writer) saves a slice of the checkpoint with it. */
static void s_append(int index, size_t slice)
{
    char key[32];
    snprintf(key, sizeof key, "t/%d", index);
    char *error = NULL;
    cr_assert_eq(shoal_journal_begin(s_journal, &error), 0);
    shoal_journal_entry_t entry = {.entity = key,
                                   .prev_pos = s_heads[index],
                                   .first_seq = 1,
                                   .event_count = 1,
                                   .events = "\1\0\0\0x",
                                   .events_size = 5};
    cr_assert_eq(shoal_journal_append(s_journal, &entry, &error), 0);
    cr_assert_eq(
        shoal_heads_checkpoint_write(s_checkpoint, s_journal, slice, &error), 0,
        "%s", error);
    cr_assert_eq(shoal_journal_commit(s_journal, &error), 0);
    shoal_heads_checkpoint_committed(s_checkpoint);
    shoal_heads_checkpoint_note(s_checkpoint, key, entry.pos);
    s_heads[index] = entry.pos;
    s_last_pos = entry.pos;
    s_totals.entries++;
    s_totals.events++;
    s_totals.bytes += 5;
}

static int64_t s_loaded[ENTITIES];

static void s_visit(const char *key, int64_t pos, void *arg)
{
    int *count = arg;
    int index = atoi(key + 2);
    cr_assert(index >= 0 && index < ENTITIES);
    if (pos > s_loaded[index]) /* the node keeps the latest, too */
        s_loaded[index] = pos;
    (*count)++;
}

/* Loads the heads as a restarting node would and compares with the truth;
 * returns how many rows the load visited. */
static int s_assert_heads_load(void)
{
    memset(s_loaded, 0, sizeof s_loaded);
    char *error = NULL;
    shoal_journal_t *reader =
        shoal_journal_open(s_path, SHOAL_DURABILITY_FAST, true, &error);
    cr_assert_not_null(reader, "%s", error);
    shoal_journal_totals_t totals;
    int64_t last_pos = 0;
    int visited = 0;
    cr_assert_eq(shoal_journal_load_heads(reader, s_visit, &visited, &totals,
                                          &last_pos, &error),
                 0, "%s", error);
    shoal_journal_close(&reader);
    for (int i = 0; i < ENTITIES; i++)
        cr_assert_eq(s_loaded[i], s_heads[i], "entity %d: loaded %lld, is %lld",
                     i, (long long)s_loaded[i], (long long)s_heads[i]);
    cr_assert_eq(last_pos, s_last_pos);
    cr_assert_eq(totals.entries, s_totals.entries);
    cr_assert_eq(totals.events, s_totals.events);
    return visited;
}

Test(heads_checkpoint, nothing_to_start_without_changes)
{
    cr_assert_not(shoal_heads_checkpoint_start(s_checkpoint, 0, &s_totals));
    cr_assert_not(shoal_heads_checkpoint_busy(s_checkpoint));
}

Test(heads_checkpoint, every_slice_point_loads_the_latest_heads)
{
    for (int i = 0; i < ENTITIES; i++)
        s_append(i, 7);
    int64_t checkpoint_pos = s_last_pos;
    cr_assert(
        shoal_heads_checkpoint_start(s_checkpoint, s_last_pos, &s_totals));
    cr_assert_not(
        shoal_heads_checkpoint_start(s_checkpoint, s_last_pos, &s_totals),
        "a second start while one is in progress");
    /* Appends go on while the checkpoint is saved 7 heads at a time; a
     * "crash" (a load) at every step must still see the truth. */
    int steps = 0;
    while (shoal_heads_checkpoint_busy(s_checkpoint)) {
        s_append(steps % ENTITIES, 7);
        s_assert_heads_load();
        steps++;
        cr_assert_lt(steps, 1000, "the checkpoint never finished");
    }
    cr_assert_geq(steps, ENTITIES / 7);
    /* A finished checkpoint lets the load skip the entries it covers: it
     * reads the saved heads, then only the entries after the checkpoint. */
    int visited = s_assert_heads_load();
    cr_assert_eq(visited, ENTITIES + (int)(s_last_pos - checkpoint_pos));
}

Test(heads_checkpoint, a_rolled_back_slice_is_written_again)
{
    for (int i = 0; i < 20; i++)
        s_append(i, 0);
    cr_assert(
        shoal_heads_checkpoint_start(s_checkpoint, s_last_pos, &s_totals));
    char *error = NULL;
    cr_assert_eq(shoal_journal_begin(s_journal, &error), 0);
    cr_assert_eq(
        shoal_heads_checkpoint_write(s_checkpoint, s_journal, 100, &error), 0);
    shoal_journal_rollback(s_journal);
    shoal_heads_checkpoint_rolled_back(s_checkpoint);
    cr_assert(shoal_heads_checkpoint_busy(s_checkpoint));
    cr_assert_eq(shoal_journal_begin(s_journal, &error), 0);
    cr_assert_eq(
        shoal_heads_checkpoint_write(s_checkpoint, s_journal, 100, &error), 0);
    cr_assert_eq(shoal_journal_commit(s_journal, &error), 0);
    cr_assert(shoal_heads_checkpoint_committed(s_checkpoint));
    cr_assert_not(shoal_heads_checkpoint_busy(s_checkpoint));
    /* All 20 heads come from the heads table: the tail is empty. */
    cr_assert_eq(s_assert_heads_load(), 20);
}
