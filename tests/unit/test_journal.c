/*
 * tests/unit/test_journal.c - the SQLite event journal
 * (persistence/journal.c and its schema): appends and their positions,
 * entries and snapshots read back field for field, the entity directory
 * (heads, checkpoint and the tail after it), the scan that policies read
 * events with (which skips imported entries), transactions, read-only
 * handles, the files it must refuse, and the migration from version 2.
 *
 * Every test works in its own temporary directory. Files the journal must
 * refuse are written with SQLite directly.
 */
#include "persistence/journal.h"
#include "tests/unit/temp_dir.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *s_dir;
static char *s_path; /* s_dir/journal.db, not created by the setup */

static void s_setup(void)
{
    s_dir = temp_dir_new();
    s_path = temp_dir_file(s_dir, "journal.db");
}

static void s_teardown(void)
{
    free(s_path);
    s_path = NULL;
    temp_dir_destroy(&s_dir);
}

TestSuite(journal, .init = s_setup, .fini = s_teardown);

/* ---------------------------------------------------------------------
 * Helpers
 */

/* Opens s_path and asserts it worked. */
static shoal_journal_t *s_open(shoal_durability_t durability, bool read_only)
{
    char *error = NULL;
    shoal_journal_t *journal =
        shoal_journal_open(s_path, durability, read_only, &error);
    cr_assert_not_null(journal, "open %s: %s", s_path,
                       error ? error : "(no error)");
    cr_assert_null(error);
    return journal;
}

/* Opens s_path, asserts it is refused, and returns the error (the caller
 * frees). */
static char *s_open_refused(bool read_only)
{
    char *error = NULL;
    shoal_journal_t *journal =
        shoal_journal_open(s_path, SHOAL_DURABILITY_FULL, read_only, &error);
    cr_assert_null(journal, "%s was opened", s_path);
    cr_assert_not_null(error, "refused without an error");
    return error;
}

/* An entry of entity with the given chain link and one-byte events. */
static shoal_journal_entry_t s_entry(const char *entity, int64_t prev_pos,
                                     uint64_t first_seq, const char *events,
                                     const char *command_id)
{
    return (shoal_journal_entry_t){
        .shard = 3,
        .entity = entity,
        .prev_pos = prev_pos,
        .first_seq = first_seq,
        .event_count = events ? (uint32_t)strlen(events) : 0,
        .outcome = SHOAL_OUTCOME_ACCEPTED,
        .written_ms = 1700000000000,
        .command_id = command_id,
        .reply = "ok",
        .reply_size = 2,
        .events = events,
        .events_size = events ? strlen(events) : 0,
    };
}

/* Appends one entry in its own transaction and returns its pos. */
static int64_t s_append(shoal_journal_t *journal, shoal_journal_entry_t entry)
{
    char *error = NULL;
    cr_assert_eq(shoal_journal_begin(journal, &error), 0, "%s", error);
    cr_assert_eq(shoal_journal_append(journal, &entry, &error), 0, "%s", error);
    cr_assert_eq(shoal_journal_commit(journal, &error), 0, "%s", error);
    cr_assert_gt(entry.pos, 0);
    return entry.pos;
}

/* Runs SQL on s_path with a plain SQLite connection. */
static void s_sql(const char *sql)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(s_path, &db), SQLITE_OK);
    char *message = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &message);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, message ? message : "?");
    sqlite3_close(db);
}

/* Returns the single integer a query on s_path gives. */
static int64_t s_sql_int(const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    cr_assert_eq(sqlite3_open_v2(s_path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK,
                 "%s: %s", sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(stmt), SQLITE_ROW, "%s: no row", sql);
    int64_t value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
}

/* Returns the journal mode of s_path ("delete", "wal", ...), as a plain
 * connection sees it, in buffer. */
static const char *s_journal_mode(char *buffer, size_t size)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    cr_assert_eq(sqlite3_open_v2(s_path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(stmt), SQLITE_ROW);
    snprintf(buffer, size, "%s", (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return buffer;
}

static bool s_exists(const char *path)
{
    struct stat status;
    return stat(path, &status) == 0;
}

/* What load_heads reported: every visit in order. */
#define VISITS_MAX 16
typedef struct {
    size_t count;
    char entity[VISITS_MAX][32];
    int64_t pos[VISITS_MAX];
} s_visits_t;

static void s_visit(const char *entity, int64_t pos, void *arg)
{
    s_visits_t *visits = arg;
    cr_assert_lt(visits->count, VISITS_MAX);
    snprintf(visits->entity[visits->count], sizeof visits->entity[0], "%s",
             entity);
    visits->pos[visits->count++] = pos;
}

/* The head of entity after every visit (the later supersedes), 0 when it
 * was never visited. */
static int64_t s_head(const s_visits_t *visits, const char *entity)
{
    int64_t head = 0;
    for (size_t i = 0; i < visits->count; i++)
        if (strcmp(visits->entity[i], entity) == 0)
            head = visits->pos[i];
    return head;
}

static void s_load_heads(shoal_journal_t *journal, s_visits_t *visits,
                         shoal_journal_totals_t *totals, int64_t *last_pos)
{
    memset(visits, 0, sizeof *visits);
    char *error = NULL;
    cr_assert_eq(shoal_journal_load_heads(journal, s_visit, visits, totals,
                                          last_pos, &error),
                 0, "%s", error);
}

/* ---------------------------------------------------------------------
 * Opening and the schema
 */

Test(journal, open_creates_the_file_with_the_current_schema)
{
    cr_assert_not(s_exists(s_path));
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    shoal_journal_close(&journal);
    cr_assert_null(journal);

    cr_assert(s_exists(s_path));
    cr_assert_eq(s_sql_int("PRAGMA user_version"),
                 SHOAL_JOURNAL_SCHEMA_VERSION);
    char mode[16];
    cr_assert_str_eq(s_journal_mode(mode, sizeof mode), "wal");
    cr_assert_eq(s_sql_int("SELECT count(*) FROM sqlite_master WHERE type ="
                           " 'table' AND name IN ('journal', 'snapshots',"
                           " 'heads', 'meta', 'policy_offsets',"
                           " 'topic_events', 'timers', 'dead_letters')"),
                 8);
}

Test(journal, close_is_null_safe)
{
    shoal_journal_t *journal = NULL;
    shoal_journal_close(&journal);
    shoal_journal_close(NULL);
}

Test(journal, a_new_journal_is_empty)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    s_visits_t visits;
    shoal_journal_totals_t totals = {99, 99, 99};
    int64_t last_pos = 99;
    s_load_heads(journal, &visits, &totals, &last_pos);
    cr_assert_eq(visits.count, 0);
    cr_assert_eq(totals.entries, 0);
    cr_assert_eq(totals.events, 0);
    cr_assert_eq(totals.bytes, 0);
    cr_assert_eq(last_pos, 0);
    shoal_journal_close(&journal);
}

Test(journal, refuses_a_journal_of_a_newer_schema_version)
{
    enum { NEWER = SHOAL_JOURNAL_SCHEMA_VERSION + 1 };
    char sql[128];
    snprintf(sql, sizeof sql,
             "CREATE TABLE journal (pos INTEGER PRIMARY KEY);"
             "PRAGMA user_version = %d;",
             NEWER);
    s_sql(sql);
    for (int read_only = 0; read_only <= 1; read_only++) {
        char *error = s_open_refused(read_only);
        cr_assert(strstr(error, "newer"), "error: %s", error);
        cr_assert(strstr(error, s_path), "error: %s", error);
        free(error);
    }
    cr_assert_eq(s_sql_int("PRAGMA user_version"), NEWER,
                 "version was changed");
    char mode[16];
    cr_assert_str_eq(s_journal_mode(mode, sizeof mode), "delete",
                     "the refused file was switched to another journal mode");
}

Test(journal, refuses_a_sqlite_file_with_foreign_tables)
{
    s_sql("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);"
          "INSERT INTO customers (name) VALUES ('ada');");
    for (int read_only = 0; read_only <= 1; read_only++) {
        char *error = s_open_refused(read_only);
        cr_assert(strstr(error, "not a shoal journal"), "error: %s", error);
        cr_assert(strstr(error, s_path), "error: %s", error);
        free(error);
    }
    /* Left as it was: no schema, the foreign rows intact. */
    cr_assert_eq(s_sql_int("PRAGMA user_version"), 0);
    cr_assert_eq(s_sql_int("SELECT count(*) FROM sqlite_master WHERE name ="
                           " 'journal'"),
                 0);
    cr_assert_eq(s_sql_int("SELECT count(*) FROM customers"), 1);
    char mode[16];
    cr_assert_str_eq(s_journal_mode(mode, sizeof mode), "delete",
                     "the refused file was switched to another journal mode");
}

Test(journal, refuses_a_file_that_is_not_sqlite_and_leaves_it_alone)
{
    enum { SIZE = 8192 };
    static unsigned char garbage[SIZE];
    uint32_t x = 2463534242u; /* xorshift32: the same bytes every run */
    for (size_t i = 0; i < SIZE; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        garbage[i] = (unsigned char)x;
    }
    FILE *file = fopen(s_path, "wb");
    cr_assert_not_null(file);
    cr_assert_eq(fwrite(garbage, 1, SIZE, file), SIZE);
    fclose(file);

    for (int read_only = 0; read_only <= 1; read_only++) {
        char *error = s_open_refused(read_only);
        cr_assert(strstr(error, s_path), "error does not name the file: %s",
                  error);
        free(error);
    }

    static unsigned char after[SIZE + 1];
    file = fopen(s_path, "rb");
    cr_assert_not_null(file);
    cr_assert_eq(fread(after, 1, sizeof after, file), SIZE, "size changed");
    fclose(file);
    cr_assert_eq(memcmp(garbage, after, SIZE), 0, "the file was modified");
}

Test(journal, reopening_preserves_entries_snapshots_and_heads)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    int64_t first = s_append(journal, s_entry("counter/a", 0, 1, "x", "c1"));
    int64_t second =
        s_append(journal, s_entry("counter/a", first, 2, "yz", NULL));
    char *error = NULL;
    shoal_snapshot_t snapshot = {
        .seq = 1, .pos = first, .state = "S", .state_size = 1};
    cr_assert_eq(shoal_journal_begin(journal, &error), 0);
    cr_assert_eq(
        shoal_journal_save_snapshot(journal, "counter/a", &snapshot, &error), 0,
        "%s", error);
    cr_assert_eq(shoal_journal_commit(journal, &error), 0);
    shoal_journal_close(&journal);

    journal = s_open(SHOAL_DURABILITY_FULL, false);
    shoal_journal_entry_t entry;
    cr_assert_eq(shoal_journal_read_entry(journal, second, &entry, &error), 1);
    cr_assert_str_eq(entry.entity, "counter/a");
    cr_assert_eq(entry.prev_pos, first);
    cr_assert_eq(entry.events_size, 2);
    cr_assert_eq(memcmp(entry.events, "yz", 2), 0);
    shoal_journal_entry_clear(&entry);

    shoal_snapshot_t read;
    cr_assert_eq(
        shoal_journal_read_snapshot(journal, "counter/a", &read, &error), 1);
    cr_assert_eq(read.pos, first);
    shoal_snapshot_clear(&read);

    s_visits_t visits;
    shoal_journal_totals_t totals;
    int64_t last_pos;
    s_load_heads(journal, &visits, &totals, &last_pos);
    cr_assert_eq(s_head(&visits, "counter/a"), second);
    cr_assert_eq(totals.entries, 2);
    cr_assert_eq(totals.events, 3);
    cr_assert_eq(last_pos, second);

    /* Appends continue after the old ones. */
    cr_assert_gt(s_append(journal, s_entry("counter/a", second, 4, "w", NULL)),
                 second);
    shoal_journal_close(&journal);
}

/* ---------------------------------------------------------------------
 * Entries
 */

Test(journal, append_sets_increasing_positions_from_one)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    char *error = NULL;
    cr_assert_eq(shoal_journal_begin(journal, &error), 0);
    int64_t previous = 0;
    for (int i = 0; i < 5; i++) {
        shoal_journal_entry_t entry =
            s_entry(i % 2 ? "counter/a" : "counter/b", 0, 1, "e", NULL);
        entry.pos = -7; /* must be overwritten */
        cr_assert_eq(shoal_journal_append(journal, &entry, &error), 0, "%s",
                     error);
        if (i == 0)
            cr_assert_eq(entry.pos, 1);
        else
            cr_assert_gt(entry.pos, previous);
        previous = entry.pos;
    }
    cr_assert_eq(shoal_journal_commit(journal, &error), 0);
    /* And across transactions. */
    cr_assert_gt(s_append(journal, s_entry("counter/a", 0, 1, "e", NULL)),
                 previous);
    shoal_journal_close(&journal);
}

Test(journal, read_entry_returns_every_field_as_appended)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    static const unsigned char events[] = {3,   0, 0, 0, 'a', 0,
                                           'b', 1, 0, 0, 0,   0xff};
    static const unsigned char reply[] = {'n', 0, 'o'};
    shoal_journal_entry_t entry = {
        .shard = 4242,
        .entity = "account/acc-1",
        .prev_pos = 0,
        .first_seq = UINT64_C(1) << 40,
        .event_count = 2,
        .outcome = SHOAL_OUTCOME_REJECTED,
        .written_ms = 1712345678901,
        .command_id = "cmd-\xc3\xa9-1",
        .reply = reply,
        .reply_size = sizeof reply,
        .events = events,
        .events_size = sizeof events,
    };
    int64_t pos = s_append(journal, entry);

    shoal_journal_entry_t read;
    char *error = NULL;
    cr_assert_eq(shoal_journal_read_entry(journal, pos, &read, &error), 1, "%s",
                 error);
    cr_assert_eq(read.pos, pos);
    cr_assert_eq(read.shard, 4242);
    cr_assert_str_eq(read.entity, "account/acc-1");
    cr_assert_eq(read.prev_pos, 0);
    cr_assert_eq(read.first_seq, UINT64_C(1) << 40);
    cr_assert_eq(read.event_count, 2);
    cr_assert_eq(read.outcome, SHOAL_OUTCOME_REJECTED);
    cr_assert_eq(read.written_ms, 1712345678901);
    cr_assert_str_eq(read.command_id, "cmd-\xc3\xa9-1");
    cr_assert_eq(read.reply_size, sizeof reply);
    cr_assert_eq(memcmp(read.reply, reply, sizeof reply), 0,
                 "reply with a NUL byte differs");
    cr_assert_eq(read.events_size, sizeof events);
    cr_assert_eq(memcmp(read.events, events, sizeof events), 0);
    shoal_journal_entry_clear(&read);
    cr_assert_null(read.entity);
    cr_assert_eq(read.pos, 0);
    shoal_journal_close(&journal);
}

Test(journal, read_entry_keeps_a_missing_command_id_and_empty_blobs_empty)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    shoal_journal_entry_t entry = s_entry("counter/a", 0, 0, NULL, NULL);
    entry.reply = NULL;
    entry.reply_size = 0;
    int64_t pos = s_append(journal, entry);

    shoal_journal_entry_t read;
    char *error = NULL;
    cr_assert_eq(shoal_journal_read_entry(journal, pos, &read, &error), 1);
    cr_assert_null(read.command_id, "got command id '%s'", read.command_id);
    cr_assert_eq(read.reply_size, 0);
    cr_assert_eq(read.events_size, 0);
    cr_assert_eq(read.event_count, 0);
    cr_assert_eq(read.outcome, SHOAL_OUTCOME_ACCEPTED);
    shoal_journal_entry_clear(&read);

    /* An empty reply given as a non-NULL pointer reads back empty too. */
    entry.reply = "";
    entry.command_id = "";
    pos = s_append(journal, entry);
    cr_assert_eq(shoal_journal_read_entry(journal, pos, &read, &error), 1);
    cr_assert_eq(read.reply_size, 0);
    shoal_journal_entry_clear(&read);
    shoal_journal_close(&journal);
}

Test(journal, read_entry_at_a_missing_pos_returns_zero)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    shoal_journal_entry_t read;
    char *error = NULL;
    cr_assert_eq(shoal_journal_read_entry(journal, 1, &read, &error), 0);
    cr_assert_null(read.entity);
    int64_t pos = s_append(journal, s_entry("counter/a", 0, 1, "e", NULL));
    cr_assert_eq(shoal_journal_read_entry(journal, pos + 1, &read, &error), 0);
    cr_assert_eq(shoal_journal_read_entry(journal, 0, &read, &error), 0);
    cr_assert_eq(shoal_journal_read_entry(journal, -1, &read, &error), 0);
    cr_assert_null(error);
    /* The statement is reusable after a miss. */
    cr_assert_eq(shoal_journal_read_entry(journal, pos, &read, &error), 1);
    shoal_journal_entry_clear(&read);
    shoal_journal_close(&journal);
}

Test(journal, rollback_discards_the_appends_of_the_transaction)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    int64_t kept = s_append(journal, s_entry("counter/a", 0, 1, "e", NULL));
    char *error = NULL;
    cr_assert_eq(shoal_journal_begin(journal, &error), 0);
    shoal_journal_entry_t entry = s_entry("counter/a", kept, 2, "f", NULL);
    cr_assert_eq(shoal_journal_append(journal, &entry, &error), 0);
    shoal_snapshot_t snapshot = {
        .seq = 2, .pos = entry.pos, .state = "s", .state_size = 1};
    cr_assert_eq(
        shoal_journal_save_snapshot(journal, "counter/a", &snapshot, &error),
        0);
    shoal_journal_rollback(journal);
    shoal_journal_rollback(journal); /* no transaction: nothing happens */

    shoal_journal_entry_t read;
    cr_assert_eq(shoal_journal_read_entry(journal, entry.pos, &read, &error),
                 0);
    shoal_snapshot_t read_snapshot;
    cr_assert_eq(shoal_journal_read_snapshot(journal, "counter/a",
                                             &read_snapshot, &error),
                 0);
    cr_assert_eq(shoal_journal_read_entry(journal, kept, &read, &error), 1);
    shoal_journal_entry_clear(&read);

    /* The handle takes a new transaction afterwards. */
    s_append(journal, s_entry("counter/a", kept, 2, "f", NULL));
    shoal_journal_close(&journal);
}

Test(journal, close_rolls_back_an_open_transaction)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    char *error = NULL;
    cr_assert_eq(shoal_journal_begin(journal, &error), 0);
    shoal_journal_entry_t entry = s_entry("counter/a", 0, 1, "e", NULL);
    cr_assert_eq(shoal_journal_append(journal, &entry, &error), 0);
    shoal_journal_close(&journal);

    cr_assert_eq(s_sql_int("SELECT count(*) FROM journal"), 0);
}

/* ---------------------------------------------------------------------
 * Snapshots
 */

Test(journal, snapshot_is_saved_read_and_replaced)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    char *error = NULL;
    shoal_snapshot_t none;
    cr_assert_eq(
        shoal_journal_read_snapshot(journal, "counter/a", &none, &error), 0);

    static const unsigned char state[] = {0, 1, 2, 0, 3};
    shoal_snapshot_t snapshot = {.seq = 10,
                                 .pos = 7,
                                 .state = (void *)state,
                                 .state_size = sizeof state,
                                 .dedup = "DEDUP",
                                 .dedup_size = 5};
    cr_assert_eq(shoal_journal_begin(journal, &error), 0);
    cr_assert_eq(
        shoal_journal_save_snapshot(journal, "counter/a", &snapshot, &error), 0,
        "%s", error);
    cr_assert_eq(shoal_journal_commit(journal, &error), 0);

    shoal_snapshot_t read;
    cr_assert_eq(
        shoal_journal_read_snapshot(journal, "counter/a", &read, &error), 1);
    cr_assert_eq(read.seq, 10);
    cr_assert_eq(read.pos, 7);
    cr_assert_eq(read.state_size, sizeof state);
    cr_assert_eq(memcmp(read.state, state, sizeof state), 0);
    cr_assert_eq(read.dedup_size, 5);
    cr_assert_eq(memcmp(read.dedup, "DEDUP", 5), 0);
    shoal_snapshot_clear(&read);
    cr_assert_null(read.state);

    /* Another entity has none. */
    cr_assert_eq(
        shoal_journal_read_snapshot(journal, "counter/b", &read, &error), 0);

    /* A later snapshot replaces the first; no dedup reads back empty. */
    shoal_snapshot_t newer = {
        .seq = 20, .pos = 15, .state = "new", .state_size = 3};
    cr_assert_eq(shoal_journal_begin(journal, &error), 0);
    cr_assert_eq(
        shoal_journal_save_snapshot(journal, "counter/a", &newer, &error), 0);
    cr_assert_eq(shoal_journal_commit(journal, &error), 0);
    cr_assert_eq(
        shoal_journal_read_snapshot(journal, "counter/a", &read, &error), 1);
    cr_assert_eq(read.seq, 20);
    cr_assert_eq(read.pos, 15);
    cr_assert_eq(read.state_size, 3);
    cr_assert_eq(memcmp(read.state, "new", 3), 0);
    cr_assert_eq(read.dedup_size, 0);
    shoal_snapshot_clear(&read);
    cr_assert_eq(s_sql_int("SELECT count(*) FROM snapshots"), 1);
    shoal_journal_close(&journal);
}

/* ---------------------------------------------------------------------
 * The entity directory
 */

Test(journal, load_heads_without_a_checkpoint_scans_every_entry)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    int64_t a1 = s_append(journal, s_entry("counter/a", 0, 1, "ee", NULL));
    int64_t b1 = s_append(journal, s_entry("counter/b", 0, 1, "e", NULL));
    int64_t a2 = s_append(journal, s_entry("counter/a", a1, 3, "eee", NULL));

    s_visits_t visits;
    shoal_journal_totals_t totals;
    int64_t last_pos;
    s_load_heads(journal, &visits, &totals, &last_pos);
    cr_assert_eq(visits.count, 3);
    cr_assert_eq(s_head(&visits, "counter/a"), a2);
    cr_assert_eq(s_head(&visits, "counter/b"), b1);
    cr_assert_eq(totals.entries, 3);
    cr_assert_eq(totals.events, 6);
    /* events plus reply ("ok") of each entry */
    cr_assert_eq(totals.bytes, (2 + 2) + (1 + 2) + (3 + 2));
    cr_assert_eq(last_pos, a2);
    shoal_journal_close(&journal);
}

Test(journal,
     load_heads_reads_the_saved_heads_then_the_tail_after_the_checkpoint)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    int64_t a1 = s_append(journal, s_entry("counter/a", 0, 1, "e", NULL));
    int64_t b1 = s_append(journal, s_entry("counter/b", 0, 1, "e", NULL));
    int64_t a2 = s_append(journal, s_entry("counter/a", a1, 2, "e", NULL));

    /* Heads saved up to a2, with totals that are not the real ones, so
     * that the result shows they were taken from the checkpoint. */
    char *error = NULL;
    shoal_journal_totals_t saved = {
        .entries = 100, .events = 200, .bytes = 3000};
    cr_assert_eq(shoal_journal_begin(journal, &error), 0);
    cr_assert_eq(shoal_journal_save_head(journal, "counter/a", a2, &error), 0,
                 "%s", error);
    cr_assert_eq(shoal_journal_save_head(journal, "counter/b", b1, &error), 0);
    cr_assert_eq(shoal_journal_save_checkpoint(journal, a2, &saved, &error), 0,
                 "%s", error);
    cr_assert_eq(shoal_journal_commit(journal, &error), 0);

    /* The tail: a new entity and a newer head for a. */
    int64_t c1 = s_append(journal, s_entry("counter/c", 0, 1, "ee", NULL));
    int64_t a3 = s_append(journal, s_entry("counter/a", a2, 3, "eee", NULL));

    s_visits_t visits;
    shoal_journal_totals_t totals;
    int64_t last_pos;
    s_load_heads(journal, &visits, &totals, &last_pos);

    /* Two saved heads, then the two tail entries: the entries before the
     * checkpoint are not scanned again. */
    cr_assert_eq(visits.count, 4);
    cr_assert_eq(s_head(&visits, "counter/a"), a3, "the tail supersedes");
    cr_assert_eq(s_head(&visits, "counter/b"), b1);
    cr_assert_eq(s_head(&visits, "counter/c"), c1);
    cr_assert_str_eq(visits.entity[2], "counter/c");
    cr_assert_str_eq(visits.entity[3], "counter/a");
    cr_assert_eq(totals.entries, 100 + 2);
    cr_assert_eq(totals.events, 200 + 2 + 3);
    cr_assert_eq(totals.bytes, 3000 + (2 + 2) + (3 + 2));
    cr_assert_eq(last_pos, a3);

    /* With no tail, last_pos is the checkpoint. */
    cr_assert_eq(shoal_journal_begin(journal, &error), 0);
    cr_assert_eq(shoal_journal_save_head(journal, "counter/a", a3, &error), 0);
    cr_assert_eq(shoal_journal_save_head(journal, "counter/c", c1, &error), 0);
    cr_assert_eq(shoal_journal_save_checkpoint(journal, a3, &totals, &error),
                 0);
    cr_assert_eq(shoal_journal_commit(journal, &error), 0);
    shoal_journal_totals_t again;
    s_load_heads(journal, &visits, &again, &last_pos);
    cr_assert_eq(visits.count, 3);
    cr_assert_eq(s_head(&visits, "counter/a"), a3);
    cr_assert_eq(again.entries, totals.entries);
    cr_assert_eq(again.events, totals.events);
    cr_assert_eq(again.bytes, totals.bytes);
    cr_assert_eq(last_pos, a3);
    shoal_journal_close(&journal);
}

Test(journal, save_head_replaces_the_saved_head_of_an_entity)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    char *error = NULL;
    shoal_journal_totals_t totals = {0};
    cr_assert_eq(shoal_journal_begin(journal, &error), 0);
    cr_assert_eq(shoal_journal_save_head(journal, "counter/a", 1, &error), 0);
    cr_assert_eq(shoal_journal_save_head(journal, "counter/a", 5, &error), 0);
    cr_assert_eq(shoal_journal_save_checkpoint(journal, 0, &totals, &error), 0);
    cr_assert_eq(shoal_journal_commit(journal, &error), 0);

    s_visits_t visits;
    int64_t last_pos;
    s_load_heads(journal, &visits, &totals, &last_pos);
    cr_assert_eq(visits.count, 1);
    cr_assert_eq(visits.pos[0], 5);
    shoal_journal_close(&journal);
}

/* ---------------------------------------------------------------------
 * Scanning for policies
 */

/* What shoal_journal_scan visited, in order; stop_at is the count of
 * visits after which the visit returns non-zero (0: never). */
#define SCANNED_MAX 16
typedef struct {
    size_t count;
    size_t stop_at;
    shoal_journal_entry_t entry[SCANNED_MAX]; /* owned copies */
} s_scanned_t;

static int s_scan_visit(const shoal_journal_entry_t *entry, void *arg)
{
    s_scanned_t *scanned = arg;
    cr_assert_lt(scanned->count, SCANNED_MAX);
    cr_assert_gt(entry->event_count, 0, "entry %lld has no events",
                 (long long)entry->pos);
    cr_assert_eq(
        shoal_journal_entry_copy(&scanned->entry[scanned->count], entry), 0);
    scanned->count++;
    return scanned->stop_at && scanned->count == scanned->stop_at;
}

static void s_scanned_clear(s_scanned_t *scanned)
{
    for (size_t i = 0; i < scanned->count; i++)
        shoal_journal_entry_clear(&scanned->entry[i]);
    memset(scanned, 0, sizeof *scanned);
}

/* Scans after after_pos, asserts it worked, and returns what it returned;
 * scanned is cleared first. */
static int s_scan(shoal_journal_t *journal, int64_t after_pos, size_t limit,
                  s_scanned_t *scanned, int64_t *last_pos)
{
    size_t stop_at = scanned->stop_at;
    s_scanned_clear(scanned);
    scanned->stop_at = stop_at;
    char *error = NULL;
    int visited = shoal_journal_scan(journal, after_pos, limit, s_scan_visit,
                                     scanned, last_pos, &error);
    cr_assert_geq(visited, 0, "%s", error);
    cr_assert_null(error);
    return visited;
}

Test(journal, scan_visits_the_entries_with_events_in_order_and_skips_others)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    shoal_journal_entry_t first = s_entry("counter/a", 0, 1, "ab", "c1");
    first.shard = 7;
    first.written_ms = 1700000000123;
    int64_t a1 = s_append(journal, first);
    int64_t rejected =
        s_append(journal, s_entry("counter/b", 0, 0, NULL, "c2"));
    int64_t b1 = s_append(journal, s_entry("counter/b", 0, 1, "c", NULL));
    int64_t tail = s_append(journal, s_entry("counter/a", a1, 0, NULL, NULL));
    cr_assert_lt(a1, rejected);

    s_scanned_t scanned = {0};
    int64_t last_pos = -1;
    cr_assert_eq(s_scan(journal, 0, 100, &scanned, &last_pos), 2);
    cr_assert_eq(scanned.count, 2);

    const shoal_journal_entry_t *read = &scanned.entry[0];
    cr_assert_eq(read->pos, a1);
    cr_assert_str_eq(read->entity, "counter/a");
    cr_assert_eq(read->shard, 7);
    cr_assert_eq(read->prev_pos, 0);
    cr_assert_eq(read->first_seq, 1);
    cr_assert_eq(read->event_count, 2);
    cr_assert_eq(read->outcome, SHOAL_OUTCOME_ACCEPTED);
    cr_assert_eq(read->written_ms, 1700000000123);
    cr_assert_str_eq(read->command_id, "c1");
    cr_assert_eq(read->reply_size, 2);
    cr_assert_eq(memcmp(read->reply, "ok", 2), 0);
    cr_assert_eq(read->events_size, 2);
    cr_assert_eq(memcmp(read->events, "ab", 2), 0);

    read = &scanned.entry[1];
    cr_assert_eq(read->pos, b1);
    cr_assert_str_eq(read->entity, "counter/b");
    cr_assert_null(read->command_id);
    cr_assert_eq(read->events_size, 1);

    /* The entry without events at the end is looked at all the same. */
    cr_assert_eq(last_pos, tail);
    s_scanned_clear(&scanned);
    shoal_journal_close(&journal);
}

Test(journal, scan_resumes_after_pos_and_stops_at_limit)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    int64_t with_events[5];
    for (int i = 0; i < 5; i++) {
        s_append(journal, s_entry("counter/a", 0, 0, NULL, NULL));
        with_events[i] = s_append(
            journal, s_entry("counter/a", 0, (uint64_t)i + 1, "e", NULL));
    }
    int64_t tail = s_append(journal, s_entry("counter/a", 0, 0, NULL, NULL));

    /* Two at a time: the scan stops at the limit-th entry with events,
     * not after the entries without events that follow it. */
    s_scanned_t scanned = {0};
    int64_t after = 0, last_pos = -1;
    for (int round = 0; round < 2; round++) {
        cr_assert_eq(s_scan(journal, after, 2, &scanned, &last_pos), 2);
        cr_assert_eq(scanned.entry[0].pos, with_events[2 * round]);
        cr_assert_eq(scanned.entry[1].pos, with_events[2 * round + 1]);
        cr_assert_eq(last_pos, with_events[2 * round + 1]);
        after = last_pos;
    }
    cr_assert_eq(s_scan(journal, after, 2, &scanned, &last_pos), 1);
    cr_assert_eq(scanned.entry[0].pos, with_events[4]);
    cr_assert_eq(last_pos, tail);

    /* Past the end: nothing, and last_pos stays. */
    cr_assert_eq(s_scan(journal, tail, 2, &scanned, &last_pos), 0);
    cr_assert_eq(last_pos, tail);

    /* From the middle: only what comes after. */
    cr_assert_eq(s_scan(journal, with_events[3], 100, &scanned, &last_pos), 1);
    cr_assert_eq(scanned.entry[0].pos, with_events[4]);

    /* A limit of 0 looks at nothing. */
    cr_assert_eq(s_scan(journal, 0, 0, &scanned, &last_pos), 0);
    cr_assert_eq(last_pos, 0);
    s_scanned_clear(&scanned);
    shoal_journal_close(&journal);
}

Test(journal, scan_of_only_entries_without_events_advances_last_pos)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    s_scanned_t scanned = {0};
    int64_t last_pos = -1;
    cr_assert_eq(s_scan(journal, 0, 10, &scanned, &last_pos), 0);
    cr_assert_eq(last_pos, 0, "an empty journal");

    s_append(journal, s_entry("counter/a", 0, 0, NULL, NULL));
    int64_t second = s_append(journal, s_entry("counter/b", 0, 0, NULL, NULL));
    cr_assert_eq(s_scan(journal, 0, 10, &scanned, &last_pos), 0);
    cr_assert_eq(scanned.count, 0);
    cr_assert_eq(last_pos, second);
    shoal_journal_close(&journal);
}

Test(journal, scan_stops_before_the_entry_whose_visit_returns_non_zero)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    int64_t a = s_append(journal, s_entry("counter/a", 0, 1, "e", NULL));
    int64_t eventless =
        s_append(journal, s_entry("counter/a", a, 0, NULL, NULL));
    int64_t b = s_append(journal, s_entry("counter/b", 0, 1, "e", NULL));
    int64_t c = s_append(journal, s_entry("counter/c", 0, 1, "e", NULL));

    s_scanned_t scanned = {.stop_at = 2};
    int64_t last_pos = -1;
    cr_assert_eq(s_scan(journal, 0, 10, &scanned, &last_pos), 1);
    cr_assert_eq(scanned.count, 2, "b was visited");
    cr_assert_eq(scanned.entry[1].pos, b);
    cr_assert_eq(last_pos, eventless, "b does not count as looked at");

    /* Resuming at last_pos gets b again, then c; the statement was reset
     * by the stop. */
    scanned.stop_at = 0;
    cr_assert_eq(s_scan(journal, last_pos, 10, &scanned, &last_pos), 2);
    cr_assert_eq(scanned.entry[0].pos, b);
    cr_assert_eq(scanned.entry[1].pos, c);
    cr_assert_eq(last_pos, c);
    s_scanned_clear(&scanned);
    shoal_journal_close(&journal);
}

Test(journal, scan_works_on_a_read_only_handle_and_in_a_transaction)
{
    shoal_journal_t *writer = s_open(SHOAL_DURABILITY_FULL, false);
    int64_t a = s_append(writer, s_entry("counter/a", 0, 1, "e", NULL));
    shoal_journal_t *reader = s_open(SHOAL_DURABILITY_FULL, true);
    s_scanned_t scanned = {0};
    int64_t last_pos = -1;
    cr_assert_eq(s_scan(reader, 0, 10, &scanned, &last_pos), 1);
    cr_assert_eq(last_pos, a);
    shoal_journal_close(&reader);

    /* In the writer's own transaction, its uncommitted appends are seen. */
    char *error = NULL;
    cr_assert_eq(shoal_journal_begin(writer, &error), 0);
    shoal_journal_entry_t entry = s_entry("counter/b", 0, 1, "e", NULL);
    cr_assert_eq(shoal_journal_append(writer, &entry, &error), 0);
    cr_assert_eq(s_scan(writer, a, 10, &scanned, &last_pos), 1);
    cr_assert_eq(last_pos, entry.pos);
    shoal_journal_rollback(writer);
    s_scanned_clear(&scanned);
    shoal_journal_close(&writer);
}

Test(journal, scan_skips_imported_entries_and_moves_last_pos_over_them)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    int64_t own = s_append(journal, s_entry("counter/a", 0, 1, "e", NULL));
    int64_t imported = s_append(journal, s_entry("counter/b", 0, 1, "e", NULL));
    int64_t tail = s_append(journal, s_entry("counter/b", 0, 1, "e", NULL));
    shoal_journal_close(&journal);
    /* Only a handoff writes imported entries (persistence/slice.c). */
    char sql[96];
    snprintf(sql, sizeof sql,
             "UPDATE journal SET imported = 1 WHERE pos IN (%lld, %lld)",
             (long long)imported, (long long)tail);
    s_sql(sql);

    journal = s_open(SHOAL_DURABILITY_FULL, false);
    s_scanned_t scanned = {0};
    int64_t last_pos = -1;
    cr_assert_eq(s_scan(journal, 0, 10, &scanned, &last_pos), 1);
    cr_assert_eq(scanned.entry[0].pos, own);
    cr_assert_not(scanned.entry[0].imported);
    cr_assert_eq(last_pos, tail, "the imported entries count as looked at");

    /* Read one by one, the flag shows. */
    shoal_journal_entry_t read;
    char *error = NULL;
    cr_assert_eq(shoal_journal_read_entry(journal, imported, &read, &error), 1);
    cr_assert(read.imported);
    shoal_journal_entry_clear(&read);
    cr_assert_eq(shoal_journal_read_entry(journal, own, &read, &error), 1);
    cr_assert_not(read.imported);
    shoal_journal_entry_clear(&read);

    /* An append is always the node's own, whatever the caller says. */
    shoal_journal_entry_t entry = s_entry("counter/c", 0, 1, "e", NULL);
    entry.imported = true;
    int64_t appended = s_append(journal, entry);
    cr_assert_eq(shoal_journal_read_entry(journal, appended, &read, &error), 1);
    cr_assert_not(read.imported);
    shoal_journal_entry_clear(&read);
    s_scanned_clear(&scanned);
    shoal_journal_close(&journal);
}

Test(journal, last_pos_is_the_last_entry_appended_or_zero)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    char *error = NULL;
    int64_t pos = -1;
    cr_assert_eq(shoal_journal_last_pos(journal, &pos, &error), 0, "%s", error);
    cr_assert_eq(pos, 0);

    s_append(journal, s_entry("counter/a", 0, 1, "e", NULL));
    int64_t eventless =
        s_append(journal, s_entry("counter/a", 0, 0, NULL, NULL));
    cr_assert_eq(shoal_journal_last_pos(journal, &pos, &error), 0);
    cr_assert_eq(pos, eventless, "entries without events count");

    /* A rolled-back append does not. */
    cr_assert_eq(shoal_journal_begin(journal, &error), 0);
    shoal_journal_entry_t entry = s_entry("counter/a", 0, 2, "e", NULL);
    cr_assert_eq(shoal_journal_append(journal, &entry, &error), 0);
    shoal_journal_rollback(journal);
    cr_assert_eq(shoal_journal_last_pos(journal, &pos, &error), 0);
    cr_assert_eq(pos, eventless);

    /* And after a reopen, on a read-only handle. */
    shoal_journal_close(&journal);
    journal = s_open(SHOAL_DURABILITY_FULL, true);
    cr_assert_eq(shoal_journal_last_pos(journal, &pos, &error), 0);
    cr_assert_eq(pos, eventless);
    shoal_journal_close(&journal);
}

/* What shoal_journal_read_entries visited: owned copies, in visit order. */
typedef struct {
    shoal_journal_entry_t entry[16];
    size_t count;
} s_read_t;

static void s_read_visit(const shoal_journal_entry_t *entry, void *arg)
{
    s_read_t *read = arg;
    cr_assert_lt(read->count, 16);
    cr_assert_eq(shoal_journal_entry_copy(&read->entry[read->count++], entry),
                 0);
}

static void s_read_clear(s_read_t *read)
{
    for (size_t i = 0; i < read->count; i++)
        shoal_journal_entry_clear(&read->entry[i]);
    read->count = 0;
}

Test(journal, read_entries_visits_the_entries_at_the_positions_in_their_order)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    int64_t first = s_append(journal, s_entry("counter/a", 0, 1, "ab", "c-1"));
    int64_t second = s_append(journal, s_entry("counter/b", 0, 1, "x", NULL));
    int64_t third =
        s_append(journal, s_entry("counter/a", first, 3, "c", NULL));
    shoal_journal_close(&journal);

    /* On a read-only handle, in a read transaction, as the reader does. */
    journal = s_open(SHOAL_DURABILITY_FULL, true);
    char *error = NULL;
    cr_assert_eq(shoal_journal_begin_read(journal, &error), 0, "%s", error);
    s_read_t read = {0};
    int64_t positions[] = {third, 99, first, second, 0, -1};
    cr_assert_eq(shoal_journal_read_entries(journal, positions, 6, s_read_visit,
                                            &read, &error),
                 3, "%s", error);
    cr_assert_eq(read.count, 3, "missing positions are not visited");
    cr_assert_eq(read.entry[0].pos, third);
    cr_assert_eq(read.entry[1].pos, first);
    cr_assert_eq(read.entry[2].pos, second);

    /* Every field, as read_entry gives it. */
    for (size_t i = 0; i < read.count; i++) {
        shoal_journal_entry_t one;
        cr_assert_eq(
            shoal_journal_read_entry(journal, read.entry[i].pos, &one, &error),
            1);
        const shoal_journal_entry_t *many = &read.entry[i];
        cr_assert_str_eq(many->entity, one.entity);
        cr_assert_eq(many->shard, one.shard);
        cr_assert_eq(many->prev_pos, one.prev_pos);
        cr_assert_eq(many->first_seq, one.first_seq);
        cr_assert_eq(many->event_count, one.event_count);
        cr_assert_eq(many->outcome, one.outcome);
        cr_assert_eq(many->written_ms, one.written_ms);
        cr_assert_eq(!many->command_id, !one.command_id);
        if (one.command_id)
            cr_assert_str_eq(many->command_id, one.command_id);
        cr_assert_eq(many->reply_size, one.reply_size);
        cr_assert_eq(memcmp(many->reply, one.reply, one.reply_size), 0);
        cr_assert_eq(many->events_size, one.events_size);
        cr_assert_eq(memcmp(many->events, one.events, one.events_size), 0);
        cr_assert_eq(many->imported, one.imported);
        shoal_journal_entry_clear(&one);
    }
    s_read_clear(&read);

    /* The statement is reusable, and nothing is read for no positions. */
    cr_assert_eq(shoal_journal_read_entries(journal, positions + 2, 1,
                                            s_read_visit, &read, &error),
                 1);
    cr_assert_eq(read.entry[0].pos, first);
    s_read_clear(&read);
    cr_assert_eq(shoal_journal_read_entries(journal, NULL, 0, s_read_visit,
                                            &read, &error),
                 0);
    cr_assert_eq(read.count, 0);
    shoal_journal_end_read(journal);
    shoal_journal_close(&journal);
}

/* ---------------------------------------------------------------------
 * Read-only handles and durability
 */

Test(journal, read_only_handle_never_creates_a_missing_file)
{
    char *error = s_open_refused(true);
    cr_assert(strstr(error, s_path), "error does not name the file: %s", error);
    free(error);
    cr_assert_not(s_exists(s_path), "the read-only open created the file");
}

Test(journal, read_only_handle_reads_what_the_writer_committed)
{
    shoal_journal_t *writer = s_open(SHOAL_DURABILITY_FULL, false);
    int64_t pos = s_append(writer, s_entry("counter/a", 0, 1, "e", "c1"));

    /* While the writer is open, as recovery does... */
    shoal_journal_t *reader = s_open(SHOAL_DURABILITY_FULL, true);
    shoal_journal_entry_t read;
    char *error = NULL;
    cr_assert_eq(shoal_journal_read_entry(reader, pos, &read, &error), 1, "%s",
                 error);
    cr_assert_str_eq(read.command_id, "c1");
    shoal_journal_entry_clear(&read);

    /* ...and it sees later commits. */
    int64_t later = s_append(writer, s_entry("counter/a", pos, 2, "e", NULL));
    cr_assert_eq(shoal_journal_read_entry(reader, later, &read, &error), 1);
    shoal_journal_entry_clear(&read);
    shoal_journal_close(&reader);
    shoal_journal_close(&writer);

    /* ...and after the writer is gone. */
    reader = s_open(SHOAL_DURABILITY_FULL, true);
    cr_assert_eq(shoal_journal_read_entry(reader, later, &read, &error), 1);
    shoal_journal_entry_clear(&read);
    shoal_journal_close(&reader);
}

Test(journal, read_only_handle_refuses_an_unmigrated_file)
{
    FILE *file = fopen(s_path, "wb"); /* an empty file: an empty database */
    cr_assert_not_null(file);
    fclose(file);
    char *error = s_open_refused(true);
    cr_assert(strstr(error, s_path), "error: %s", error);
    free(error);
    cr_assert_eq(s_sql_int("SELECT count(*) FROM sqlite_master"), 0,
                 "the read-only open created the schema");
}

/* Beginning a write on a read-only handle is a programming error. */
Test(journal, read_only_handle_cannot_begin_a_write)
{
    shoal_journal_t *writer = s_open(SHOAL_DURABILITY_FULL, false);
    shoal_journal_close(&writer);
    /* In a child, so that this test's teardown still runs. */
    fflush(NULL);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        signal(SIGABRT, SIG_DFL);
        shoal_journal_t *reader = s_open(SHOAL_DURABILITY_FULL, true);
        char *error = NULL;
        shoal_journal_begin(reader, &error);
        _exit(0); /* not reached when the handle refuses */
    }
    int status = 0;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
              "begin on a read-only handle did not abort (status %d)", status);
}

Test(journal, fast_durability_writes_and_reads_back)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FAST, false);
    int64_t pos = s_append(journal, s_entry("counter/a", 0, 1, "abc", "c"));
    shoal_journal_close(&journal);

    journal = s_open(SHOAL_DURABILITY_FAST, false);
    shoal_journal_entry_t read;
    char *error = NULL;
    cr_assert_eq(shoal_journal_read_entry(journal, pos, &read, &error), 1);
    cr_assert_str_eq(read.entity, "counter/a");
    cr_assert_eq(read.events_size, 3);
    shoal_journal_entry_clear(&read);
    shoal_journal_close(&journal);
    cr_assert_eq(s_sql_int("PRAGMA user_version"),
                 SHOAL_JOURNAL_SCHEMA_VERSION);
}

Test(journal, a_bound_setting_is_recorded_then_enforced)
{
    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FAST, false);
    char *error = NULL;
    cr_assert_eq(shoal_journal_bind_setting(journal, "shards", 64, &error), 0);
    cr_assert_eq(shoal_journal_bind_setting(journal, "shards", 64, &error), 0);
    shoal_journal_close(&journal);

    journal = s_open(SHOAL_DURABILITY_FAST, false);
    cr_assert_eq(shoal_journal_bind_setting(journal, "shards", 64, &error), 0);
    cr_assert_eq(shoal_journal_bind_setting(journal, "shards", 8, &error), -1);
    cr_assert_not_null(error);
    cr_assert(strstr(error, s_path) && strstr(error, "shards = 64") &&
                  strstr(error, "shards = 8"),
              "%s", error);
    free(error);
    shoal_journal_close(&journal);
}

/* ---------------------------------------------------------------------
 * The migration from schema version 2
 */

/* Version 2's schema, as shoal wrote it. */
static const char s_v2_schema[] =
    "CREATE TABLE journal (pos INTEGER PRIMARY KEY, entity TEXT NOT NULL,"
    "  shard INTEGER NOT NULL, prev_pos INTEGER NOT NULL,"
    "  first_seq INTEGER NOT NULL, event_count INTEGER NOT NULL,"
    "  outcome INTEGER NOT NULL, written_ms INTEGER NOT NULL,"
    "  command_id TEXT, reply BLOB, events BLOB);"
    "CREATE TABLE snapshots (entity TEXT PRIMARY KEY, seq INTEGER NOT NULL,"
    "  pos INTEGER NOT NULL, state BLOB NOT NULL, dedup BLOB);"
    "CREATE TABLE heads (entity TEXT PRIMARY KEY,"
    "  pos INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE meta (key TEXT PRIMARY KEY,"
    "  value INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE policy_offsets (policy TEXT PRIMARY KEY,"
    "  pos INTEGER NOT NULL, event_index INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE topic_events (topic TEXT NOT NULL, shard INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL, entity TEXT NOT NULL,"
    "  written_ms INTEGER NOT NULL, payload BLOB,"
    "  PRIMARY KEY (topic, shard, seq)) WITHOUT ROWID;"
    "CREATE TABLE timers (id TEXT PRIMARY KEY, due_ms INTEGER NOT NULL,"
    "  type TEXT NOT NULL, entity_id TEXT NOT NULL, command TEXT NOT NULL,"
    "  payload BLOB);"
    "CREATE INDEX timers_by_due ON timers (due_ms, id);"
    "CREATE TABLE dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  policy TEXT NOT NULL, pos INTEGER NOT NULL,"
    "  event_index INTEGER NOT NULL, entity TEXT NOT NULL,"
    "  seq INTEGER NOT NULL, attempts INTEGER NOT NULL, error TEXT,"
    "  parked_ms INTEGER NOT NULL);"
    "CREATE INDEX dead_letters_by_policy ON dead_letters (policy);"
    "PRAGMA user_version = 2;";

Test(journal, a_version_2_journal_migrates_and_its_entries_are_its_own)
{
    s_sql(s_v2_schema);
    s_sql("INSERT INTO journal VALUES (1, 'counter/a', 3, 0, 1, 1, 0,"
          " 1700000000000, 'c1', x'6f6b', x'65');"
          "INSERT INTO journal VALUES (2, 'counter/a', 3, 1, 2, 1, 0,"
          " 1700000000001, NULL, NULL, x'66');"
          "INSERT INTO heads VALUES ('counter/a', 2);"
          "INSERT INTO meta VALUES ('checkpoint_pos', 2);"
          "INSERT INTO policy_offsets VALUES ('notify', 1, 0);");

    shoal_journal_t *journal = s_open(SHOAL_DURABILITY_FULL, false);
    cr_assert_eq(s_sql_int("PRAGMA user_version"), 3);
    cr_assert_eq(s_sql_int("SELECT count(*) FROM journal WHERE imported = 0"),
                 2, "the old entries were written by this node");
    cr_assert_eq(s_sql_int("SELECT count(*) FROM policy_offsets"), 1);

    /* The policies still see the old entries... */
    s_scanned_t scanned = {0};
    int64_t last_pos = -1;
    cr_assert_eq(s_scan(journal, 0, 10, &scanned, &last_pos), 2);
    cr_assert_str_eq(scanned.entry[0].command_id, "c1");
    cr_assert_eq(last_pos, 2);

    /* ...the directory finds them, and appends go on after them. */
    s_visits_t visits;
    shoal_journal_totals_t totals;
    s_load_heads(journal, &visits, &totals, &last_pos);
    cr_assert_eq(s_head(&visits, "counter/a"), 2);
    cr_assert_eq(s_append(journal, s_entry("counter/a", 2, 3, "g", NULL)), 3);
    s_scanned_clear(&scanned);
    shoal_journal_close(&journal);

    /* Opened again, nothing migrates twice. */
    journal = s_open(SHOAL_DURABILITY_FULL, false);
    cr_assert_eq(s_sql_int("PRAGMA user_version"), 3);
    cr_assert_eq(s_sql_int("SELECT count(*) FROM journal"), 3);
    shoal_journal_close(&journal);
}

Test(journal, a_failed_migration_leaves_the_version_2_journal_as_it_was)
{
    /* A column already named like the one version 3 adds makes the
     * migration fail: its transaction is rolled back as a whole. */
    s_sql(s_v2_schema);
    s_sql("ALTER TABLE journal ADD COLUMN imported;"
          "INSERT INTO journal VALUES (1, 'counter/a', 3, 0, 1, 1, 0,"
          " 1700000000000, NULL, NULL, x'65', 7);");
    char *error = s_open_refused(false);
    cr_assert(strstr(error, s_path) && strstr(error, "version 3"), "error: %s",
              error);
    free(error);
    cr_assert_eq(s_sql_int("PRAGMA user_version"), 2);
    cr_assert_eq(s_sql_int("SELECT imported FROM journal WHERE pos = 1"), 7);

    /* A read-only handle does not migrate: it refuses the old version. */
    error = s_open_refused(true);
    cr_assert(strstr(error, "version 2"), "error: %s", error);
    free(error);
}
