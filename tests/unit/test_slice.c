/*
 * tests/unit/test_slice.c - moving one shard's slice of a journal to
 * another journal (persistence/slice.c, slice_import.c, slice_format.c):
 * every entry arrives once, intact, with chains, snapshots and dead
 * letters on the new positions; topic events, timers and heads follow;
 * the policies skip what was imported; other shards stay as they were on
 * both sides; drop removes the shard and nothing else; damaged, forged
 * and out-of-order chunks are refused with nothing applied; an
 * interrupted import (a crash included) restarts without duplicates.
 *
 * Each test builds an old owner's journal with entities in several
 * shards, with snapshots, topic events, timers and dead letters, and a
 * new owner's journal with rows of its own, in a temporary directory.
 */
#include "actors/messages.h"
#include "cluster/shard.h"
#include "persistence/journal.h"
#include "persistence/reactions.h"
#include "persistence/slice.h"
#include "persistence/slice_format.h"
#include "tests/unit/temp_dir.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHARDS 8
#define ROUNDS 6
#define ENTITIES 8 /* the first half in the shard that moves */
#define MOVED 4
#define OWN 5 /* the new owner's own entities, none in the shard */

static char *s_dir;
static char *s_old_path; /* the old owner's journal */
static char *s_new_path; /* the new owner's journal */
static uint32_t s_shard; /* the shard that moves */
static char s_ids[ENTITIES][16];
static char s_keys[ENTITIES][32]; /* "counter/ID" */
static int64_t s_old_pos[ENTITIES][ROUNDS];
static char s_own_keys[OWN][32];

/* Picks the entities: ids whose shard is (first half) or is not (second
 * half) the shard of counter/k0, which is the one that moves. */
static void s_setup(void)
{
    s_dir = temp_dir_new();
    s_old_path = temp_dir_file(s_dir, "old.db");
    s_new_path = temp_dir_file(s_dir, "new.db");
    s_shard = shoal_shard_of("counter", "k0", SHARDS);
    int in = 0, out = MOVED, own = 0;
    for (int n = 0; in < MOVED || out < ENTITIES || own < OWN; n++) {
        char id[16];
        snprintf(id, sizeof id, "k%d", n);
        bool moves = shoal_shard_of("counter", id, SHARDS) == s_shard;
        int slot = moves && in < MOVED        ? in++
                   : !moves && out < ENTITIES ? out++
                                              : -1;
        if (slot >= 0) {
            snprintf(s_ids[slot], sizeof s_ids[slot], "%s", id);
            snprintf(s_keys[slot], sizeof s_keys[slot], "counter/%s", id);
        }
        snprintf(id, sizeof id, "b%d", n);
        if (own < OWN && shoal_shard_of("account", id, SHARDS) != s_shard)
            snprintf(s_own_keys[own++], sizeof s_own_keys[0], "account/%s", id);
    }
}

static void s_teardown(void)
{
    free(s_old_path);
    free(s_new_path);
    temp_dir_destroy(&s_dir);
}

TestSuite(slice, .init = s_setup, .fini = s_teardown);

/* ---------------------------------------------------------------------
 * Helpers: journals
 */

static shoal_journal_t *s_open(const char *path)
{
    char *error = NULL;
    shoal_journal_t *journal =
        shoal_journal_open(path, SHOAL_DURABILITY_FAST, false, &error);
    cr_assert_not_null(journal, "open %s: %s", path, error);
    cr_assert_eq(shoal_journal_bind_setting(journal, "shards", SHARDS, &error),
                 0, "%s", error);
    return journal;
}

/* Returns the integer a query (a printf format) gives on path. */
static int64_t s_sql_int(const char *path, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static int64_t s_sql_int(const char *path, const char *format, ...)
{
    char sql[512];
    va_list args;
    va_start(args, format);
    vsnprintf(sql, sizeof sql, format, args);
    va_end(args);
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK,
                 "%s: %s", sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(stmt), SQLITE_ROW, "%s: no row", sql);
    int64_t value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
}

/* A digest (FNV-1a-64) of every column of every row of table on path,
 * in key order, to tell whether anything changed. */
static uint64_t s_digest(const char *path, const char *table)
{
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT * FROM %s", table);
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    uint64_t hash = 0xcbf29ce484222325ULL;
    while (sqlite3_step(stmt) == SQLITE_ROW)
        for (int c = 0; c < sqlite3_column_count(stmt); c++) {
            const uint8_t *bytes = sqlite3_column_blob(stmt, c);
            int size = sqlite3_column_bytes(stmt, c);
            for (int b = 0; b < size; b++)
                hash = (hash ^ bytes[b]) * 0x100000001b3ULL;
            hash = (hash ^ (uint64_t)sqlite3_column_type(stmt, c)) *
                   0x100000001b3ULL;
        }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return hash;
}

/* Packs two events for round of entity i: u32 length + bytes each. */
static size_t s_events(uint8_t *buffer, int i, int round)
{
    size_t size = 0;
    for (int e = 0; e < 2; e++) {
        char event[48];
        int length =
            snprintf(event, sizeof event, "%s#%d%c", s_keys[i], round, 'a' + e);
        uint32_t n = (uint32_t)length;
        memcpy(buffer + size, &n, 4);
        memcpy(buffer + size + 4, event, (size_t)length);
        size += 4 + (size_t)length;
    }
    return size;
}

static void s_begin(shoal_journal_t *journal)
{
    char *error = NULL;
    cr_assert_eq(shoal_journal_begin(journal, &error), 0, "%s", error);
}

static void s_commit(shoal_journal_t *journal)
{
    char *error = NULL;
    cr_assert_eq(shoal_journal_commit(journal, &error), 0, "%s", error);
}

/* Round 3 of every entity is a rejection: no events, a reason. */
static bool s_rejected(int round)
{
    return round == 3;
}

/* The first_seq of entity i's entry of round. */
static uint64_t s_first_seq(int round)
{
    uint64_t seq = 1;
    for (int r = 0; r < round; r++)
        seq += s_rejected(r) ? 0 : 2;
    return seq;
}

/* The old owner's journal: ROUNDS entries per entity, interleaved; a
 * snapshot of each at round 2; heads saved up to round 3 with a
 * checkpoint there (the tail is found by the scan); topic events, timers
 * and dead letters in the moving shard and in another. */
static void s_build_old(void)
{
    shoal_journal_t *journal = s_open(s_old_path);
    char *error = NULL;
    for (int round = 0; round < ROUNDS; round++) {
        s_begin(journal);
        for (int i = 0; i < ENTITIES; i++) {
            uint8_t events[128];
            char reply[48], command_id[48];
            snprintf(reply, sizeof reply, "reply %s %d", s_keys[i], round);
            snprintf(command_id, sizeof command_id, "cmd-%s-%d", s_keys[i],
                     round);
            shoal_journal_entry_t entry = {
                .shard = shoal_shard_of("counter", s_ids[i], SHARDS),
                .entity = s_keys[i],
                .prev_pos = round ? s_old_pos[i][round - 1] : 0,
                .first_seq = s_first_seq(round),
                .outcome = s_rejected(round) ? SHOAL_OUTCOME_REJECTED
                                             : SHOAL_OUTCOME_ACCEPTED,
                .written_ms = 1700000000000 + round * 100 + i,
                .command_id = round % 2 ? command_id : NULL,
                .reply = reply,
                .reply_size = strlen(reply),
            };
            if (!s_rejected(round)) {
                entry.event_count = 2;
                entry.events = events;
                entry.events_size = s_events(events, i, round);
            }
            cr_assert_eq(shoal_journal_append(journal, &entry, &error), 0, "%s",
                         error);
            s_old_pos[i][round] = entry.pos;
            if (round == 2) {
                char state[48];
                snprintf(state, sizeof state, "state of %.31s", s_keys[i]);
                shoal_snapshot_t snapshot = {
                    .seq = entry.first_seq + 1,
                    .pos = entry.pos,
                    .state = state,
                    .state_size = strlen(state),
                    .dedup = i % 2 ? NULL : "dedup",
                    .dedup_size = i % 2 ? 0 : 5,
                };
                cr_assert_eq(shoal_journal_save_snapshot(journal, s_keys[i],
                                                         &snapshot, &error),
                             0, "%s", error);
            }
            if (round == 3)
                cr_assert_eq(shoal_journal_save_head(journal, s_keys[i],
                                                     entry.pos, &error),
                             0);
        }
        if (round == 3) {
            shoal_journal_totals_t totals = {0};
            cr_assert_eq(
                shoal_journal_save_checkpoint(
                    journal, s_old_pos[ENTITIES - 1][3], &totals, &error),
                0);
        }
        s_commit(journal);
    }

    shoal_reactions_t *store = shoal_reactions_open(journal, &error);
    cr_assert_not_null(store, "%s", error);
    uint32_t other = shoal_shard_of("counter", s_ids[MOVED], SHARDS);
    struct {
        const char *topic;
        uint32_t shard;
        uint64_t seq;
        int entity;
    } topics[] = {{"orders", s_shard, 1, 0}, {"orders", s_shard, 2, 1},
                  {"orders", s_shard, 3, 0}, {"audit", s_shard, 1, 2},
                  {"audit", s_shard, 2, 3},  {"orders", other, 1, MOVED}};
    s_begin(journal);
    for (size_t t = 0; t < sizeof topics / sizeof topics[0]; t++) {
        char payload[32];
        snprintf(payload, sizeof payload, "%s-%llu", topics[t].topic,
                 (unsigned long long)topics[t].seq);
        shoal_topic_event_t event = {
            .topic = topics[t].topic,
            .shard = topics[t].shard,
            .seq = topics[t].seq,
            .entity = s_keys[topics[t].entity],
            .written_ms = 1700000001000 + (int64_t)t,
            .payload = payload,
            .payload_size = strlen(payload),
        };
        cr_assert_eq(shoal_reactions_publish(store, &event, &error), 0, "%s",
                     error);
    }
    struct {
        const char *id;
        int target;
        const char *payload;
    } timers[] = {{"t-moving-1", 0, "p1"},
                  {"t-moving-2", 1, NULL},
                  {"t-staying", MOVED, "p3"}};
    for (size_t t = 0; t < sizeof timers / sizeof timers[0]; t++) {
        shoal_timer_row_t timer = {
            .id = timers[t].id,
            .due_ms = 1700000002000 + (int64_t)t,
            .type = "counter",
            .entity_id = s_ids[timers[t].target],
            .command = "Remind",
            .payload = timers[t].payload,
            .payload_size = timers[t].payload ? strlen(timers[t].payload) : 0,
        };
        cr_assert_eq(shoal_reactions_add_timer(store, &timer, &error), 0);
    }
    int letters[] = {0, MOVED, 1};
    for (size_t l = 0; l < 3; l++) {
        int i = letters[l];
        shoal_dead_letter_t letter = {
            .policy = "notify",
            .pos = s_old_pos[i][1],
            .event_index = 1,
            .entity = s_keys[i],
            .seq = s_first_seq(1) + 1,
            .attempts = 5,
            .error = l == 2 ? NULL : "the target was busy",
            .parked_ms = 1700000003000 + (int64_t)l,
        };
        cr_assert_eq(shoal_reactions_park(store, &letter, NULL, &error), 0);
    }
    s_commit(journal);
    shoal_reactions_close(&store);
    shoal_journal_close(&journal);
}

/* The new owner's journal: entries of its own entities (in other shards,
 * so positions 1.. are taken), a topic event, a timer of its own aimed at
 * an entity of the moving shard, a dead letter and a policy offset. */
static void s_build_new(void)
{
    shoal_journal_t *journal = s_open(s_new_path);
    char *error = NULL;
    s_begin(journal);
    for (int i = 0; i < OWN; i++) {
        const char *id = strchr(s_own_keys[i], '/') + 1;
        shoal_journal_entry_t entry = {
            .shard = shoal_shard_of("account", id, SHARDS),
            .entity = s_own_keys[i],
            .first_seq = 1,
            .event_count = 1,
            .written_ms = 1700000000000,
            .reply = "own",
            .reply_size = 3,
            .events = "\x01\0\0\0x",
            .events_size = 5,
        };
        cr_assert_eq(shoal_journal_append(journal, &entry, &error), 0);
        cr_assert_eq(
            shoal_journal_save_head(journal, s_own_keys[i], entry.pos, &error),
            0);
    }
    shoal_reactions_t *store = shoal_reactions_open(journal, &error);
    cr_assert_not_null(store);
    shoal_topic_event_t event = {
        .topic = "orders",
        .shard =
            shoal_shard_of("account", strchr(s_own_keys[0], '/') + 1, SHARDS),
        .seq = 1,
        .entity = s_own_keys[0],
        .written_ms = 1,
    };
    cr_assert_eq(shoal_reactions_publish(store, &event, &error), 0);
    shoal_timer_row_t timer = {.id = "t-own",
                               .due_ms = 5,
                               .type = "counter",
                               .entity_id = s_ids[2],
                               .command = "Remind"};
    cr_assert_eq(shoal_reactions_add_timer(store, &timer, &error), 0);
    shoal_dead_letter_t letter = {.policy = "notify",
                                  .pos = 1,
                                  .entity = s_own_keys[0],
                                  .seq = 1,
                                  .attempts = 5,
                                  .parked_ms = 1};
    cr_assert_eq(shoal_reactions_park(store, &letter, NULL, &error), 0);
    cr_assert_eq(shoal_reactions_save_offset(store, "notify", OWN, 0, &error),
                 0);
    s_commit(journal);
    shoal_reactions_close(&store);
    shoal_journal_close(&journal);
}

/* ---------------------------------------------------------------------
 * Helpers: chunks
 */

typedef struct {
    void **data;
    size_t *size;
    size_t count;
} s_chunks_t;

static void s_chunks_push(s_chunks_t *chunks, void *data, size_t size)
{
    chunks->data = realloc(chunks->data, (chunks->count + 1) * sizeof(void *));
    chunks->size = realloc(chunks->size, (chunks->count + 1) * sizeof(size_t));
    cr_assert(chunks->data && chunks->size);
    chunks->data[chunks->count] = data;
    chunks->size[chunks->count++] = size;
}

static void s_chunks_free(s_chunks_t *chunks)
{
    for (size_t i = 0; i < chunks->count; i++)
        free(chunks->data[i]);
    free(chunks->data);
    free(chunks->size);
    memset(chunks, 0, sizeof *chunks);
}

/* Exports shard of the journal at path in chunks of about chunk_bytes. */
static s_chunks_t s_export(const char *path, uint32_t shard, size_t chunk_bytes)
{
    char *error = NULL;
    shoal_journal_t *journal =
        shoal_journal_open(path, SHOAL_DURABILITY_FAST, true, &error);
    cr_assert_not_null(journal, "%s", error);
    shoal_slice_export_t *export =
        shoal_slice_export_begin(journal, shard, SHARDS, &error);
    cr_assert_not_null(export, "%s", error);
    if (chunk_bytes)
        shoal_slice_export_set_chunk_bytes(export, chunk_bytes);
    s_chunks_t chunks = {0};
    void *data;
    size_t size;
    int made;
    while ((made = shoal_slice_export_next(export, &data, &size, &error)) == 1)
        s_chunks_push(&chunks, data, size);
    cr_assert_eq(made, 0, "%s", error);
    cr_assert_eq(shoal_slice_export_next(export, &data, &size, &error), 0);
    shoal_slice_export_destroy(&export);
    cr_assert_null(export);
    shoal_journal_close(&journal);
    return chunks;
}

static shoal_slice_import_t *s_import_begin(shoal_journal_t *journal)
{
    char *error = NULL;
    shoal_slice_import_t *import =
        shoal_slice_import_begin(journal, s_shard, &error);
    cr_assert_not_null(import, "%s", error);
    return import;
}

static void s_import_chunk(shoal_slice_import_t *import,
                           const s_chunks_t *chunks, size_t i)
{
    char *error = NULL;
    cr_assert_eq(shoal_slice_import_chunk(import, chunks->data[i],
                                          chunks->size[i], &error),
                 0, "chunk %zu: %s", i, error);
}

/* Imports every chunk into the journal at path and finishes. */
static void s_import(const char *path, const s_chunks_t *chunks)
{
    shoal_journal_t *journal = s_open(path);
    shoal_slice_import_t *import = s_import_begin(journal);
    for (size_t i = 0; i < chunks->count; i++) {
        s_import_chunk(import, chunks, i);
        cr_assert_eq(shoal_slice_import_next_index(import), i + 1);
    }
    char *error = NULL;
    cr_assert_eq(shoal_slice_import_finish(import, &error), 0, "%s", error);
    shoal_slice_import_destroy(&import);
    cr_assert_null(import);
    shoal_journal_close(&journal);
}

/* Builds both journals and moves the shard in small chunks. */
static void s_move(void)
{
    s_build_old();
    s_build_new();
    s_chunks_t chunks = s_export(s_old_path, s_shard, 300);
    cr_assert_gt(chunks.count, 10, "small chunks make a long stream");
    s_import(s_new_path, &chunks);
    s_chunks_free(&chunks);
}

/* Reads every entry of the journal at path that keep(entry) accepts, in
 * pos order (owned copies, *count of them). */
static shoal_journal_entry_t *
s_entries(const char *path, bool (*keep)(const shoal_journal_entry_t *),
          size_t *count)
{
    char *error = NULL;
    shoal_journal_t *journal =
        shoal_journal_open(path, SHOAL_DURABILITY_FAST, true, &error);
    cr_assert_not_null(journal);
    int64_t last = 0;
    cr_assert_eq(shoal_journal_last_pos(journal, &last, &error), 0);
    shoal_journal_entry_t *entries = calloc((size_t)last + 1, sizeof *entries);
    *count = 0;
    for (int64_t pos = 1; pos <= last; pos++) {
        shoal_journal_entry_t *entry = &entries[*count];
        int found = shoal_journal_read_entry(journal, pos, entry, &error);
        cr_assert_geq(found, 0, "%s", error);
        if (found && keep(entry))
            (*count)++;
        else if (found)
            shoal_journal_entry_clear(entry);
    }
    shoal_journal_close(&journal);
    return entries;
}

static void s_entries_free(shoal_journal_entry_t *entries, size_t count)
{
    for (size_t i = 0; i < count; i++)
        shoal_journal_entry_clear(&entries[i]);
    free(entries);
}

static bool s_in_shard(const shoal_journal_entry_t *entry)
{
    return entry->shard == s_shard;
}

static bool s_imported(const shoal_journal_entry_t *entry)
{
    return entry->imported;
}

static bool s_own(const shoal_journal_entry_t *entry)
{
    return !entry->imported;
}

static bool s_same_bytes(const void *a, size_t a_size, const void *b,
                         size_t b_size)
{
    return a_size == b_size && (a_size == 0 || memcmp(a, b, a_size) == 0);
}

/* Asserts that two entries are the same command outcome. */
static void s_assert_same_entry(const shoal_journal_entry_t *a,
                                const shoal_journal_entry_t *b)
{
    cr_assert_str_eq(a->entity, b->entity);
    cr_assert_eq(a->shard, b->shard);
    cr_assert_eq(a->first_seq, b->first_seq, "%s", a->entity);
    cr_assert_eq(a->event_count, b->event_count);
    cr_assert_eq(a->outcome, b->outcome);
    cr_assert_eq(a->written_ms, b->written_ms);
    cr_assert((!a->command_id && !b->command_id) ||
                  (a->command_id && b->command_id &&
                   strcmp(a->command_id, b->command_id) == 0),
              "command ids of %s differ", a->entity);
    cr_assert(s_same_bytes(a->reply, a->reply_size, b->reply, b->reply_size));
    cr_assert(
        s_same_bytes(a->events, a->events_size, b->events, b->events_size));
}

/* The head of every entity the directory loader reports. */
#define HEADS_MAX 64
typedef struct {
    size_t count;
    char entity[HEADS_MAX][32];
    int64_t pos[HEADS_MAX];
} s_heads_t;

static void s_note_head(const char *entity, int64_t pos, void *arg)
{
    s_heads_t *heads = arg;
    for (size_t i = 0; i < heads->count; i++)
        if (strcmp(heads->entity[i], entity) == 0) {
            heads->pos[i] = pos; /* a later visit supersedes */
            return;
        }
    cr_assert_lt(heads->count, HEADS_MAX);
    snprintf(heads->entity[heads->count], sizeof heads->entity[0], "%s",
             entity);
    heads->pos[heads->count++] = pos;
}

static int64_t s_head_of(const s_heads_t *heads, const char *entity)
{
    for (size_t i = 0; i < heads->count; i++)
        if (strcmp(heads->entity[i], entity) == 0)
            return heads->pos[i];
    return 0;
}

static s_heads_t s_load_heads(const char *path)
{
    char *error = NULL;
    shoal_journal_t *journal =
        shoal_journal_open(path, SHOAL_DURABILITY_FAST, true, &error);
    cr_assert_not_null(journal);
    s_heads_t heads = {0};
    shoal_journal_totals_t totals;
    int64_t last_pos;
    cr_assert_eq(shoal_journal_load_heads(journal, s_note_head, &heads, &totals,
                                          &last_pos, &error),
                 0, "%s", error);
    shoal_journal_close(&journal);
    return heads;
}

/* The rows of the journal at path that belong to the moving shard, by
 * table: counted through the shard function. */
static int64_t s_shard_rows(const char *path, const char *table)
{
    int64_t count = 0;
    if (strcmp(table, "journal") == 0)
        return s_sql_int(path, "SELECT count(*) FROM journal WHERE shard = %u",
                         s_shard);
    if (strcmp(table, "topic_events") == 0)
        return s_sql_int(path,
                         "SELECT count(*) FROM topic_events WHERE shard = %u",
                         s_shard);
    for (int i = 0; i < MOVED; i++)
        count +=
            strcmp(table, "timers") == 0
                ? s_sql_int(path,
                            "SELECT count(*) FROM timers WHERE type ="
                            " 'counter' AND entity_id = '%s'",
                            s_ids[i])
                : s_sql_int(path, "SELECT count(*) FROM %s WHERE entity = '%s'",
                            table, s_keys[i]);
    return count;
}

/* ---------------------------------------------------------------------
 * What arrives
 */

Test(slice, every_entry_of_the_shard_arrives_once_and_intact)
{
    s_move();
    size_t sent_count, got_count;
    shoal_journal_entry_t *sent =
        s_entries(s_old_path, s_in_shard, &sent_count);
    shoal_journal_entry_t *got = s_entries(s_new_path, s_imported, &got_count);
    cr_assert_eq(sent_count, MOVED * ROUNDS);
    cr_assert_eq(got_count, sent_count);
    for (size_t i = 0; i < got_count; i++) {
        s_assert_same_entry(&got[i], &sent[i]);
        cr_assert(got[i].imported);
        cr_assert_gt(got[i].pos, OWN, "after the new journal's own entries");
    }
    s_entries_free(sent, sent_count);
    s_entries_free(got, got_count);
}

Test(slice, chains_walk_from_the_new_heads_to_the_first_entry)
{
    s_move();
    s_heads_t heads = s_load_heads(s_new_path);
    char *error = NULL;
    shoal_journal_t *journal =
        shoal_journal_open(s_new_path, SHOAL_DURABILITY_FAST, true, &error);
    cr_assert_not_null(journal);
    for (int i = 0; i < MOVED; i++) {
        int64_t head = s_head_of(&heads, s_keys[i]);
        cr_assert_gt(head, 0, "no head for %s", s_keys[i]);
        /* The whole chain, as a recovery that ignores the snapshot. */
        shoal_recovery_t *recovery =
            shoal_recovery_new(0, NULL, s_keys[i], head);
        recovery->ignore_snapshot = true;
        shoal_recovery_load(recovery, journal);
        cr_assert_null(recovery->error, "%s", recovery->error);
        cr_assert_eq(recovery->entry_count, ROUNDS, "%s", s_keys[i]);
        for (int round = 0; round < ROUNDS; round++) {
            const shoal_journal_entry_t *entry = &recovery->entries[round];
            cr_assert_eq(entry->first_seq, s_first_seq(round));
            cr_assert_eq(entry->prev_pos,
                         round ? recovery->entries[round - 1].pos : 0);
        }
        shoal_recovery_destroy(&recovery);

        /* From the snapshot: the entries after round 2. */
        recovery = shoal_recovery_new(0, NULL, s_keys[i], head);
        shoal_recovery_load(recovery, journal);
        cr_assert_null(recovery->error, "%s", recovery->error);
        cr_assert(recovery->has_snapshot);
        cr_assert_eq(recovery->snapshot.seq, s_first_seq(2) + 1);
        cr_assert_eq(recovery->entry_count, ROUNDS - 3);
        cr_assert_eq(recovery->entries[0].first_seq, s_first_seq(3));
        shoal_recovery_destroy(&recovery);
    }
    shoal_journal_close(&journal);
}

Test(slice, a_batch_walks_the_imported_chains_as_single_loads_do)
{
    s_move();
    s_heads_t heads = s_load_heads(s_new_path);
    char *error = NULL;
    shoal_journal_t *journal =
        shoal_journal_open(s_new_path, SHOAL_DURABILITY_FAST, true, &error);
    cr_assert_not_null(journal);
    /* Every moved entity twice, once from its snapshot, once whole, all
     * in one batch, as the reader thread loads them. */
    shoal_recovery_t *batch[2 * MOVED];
    for (int i = 0; i < 2 * MOVED; i++) {
        int64_t head = s_head_of(&heads, s_keys[i % MOVED]);
        batch[i] = shoal_recovery_new(0, NULL, s_keys[i % MOVED], head);
        batch[i]->ignore_snapshot = i >= MOVED;
    }
    cr_assert_eq(shoal_journal_begin_read(journal, &error), 0, "%s", error);
    shoal_recovery_load_batch(batch, 2 * MOVED, journal);
    shoal_journal_end_read(journal);
    for (int i = 0; i < 2 * MOVED; i++) {
        shoal_recovery_t *recovery = batch[i];
        cr_assert_null(recovery->error, "%s", recovery->error);
        bool whole = i >= MOVED;
        cr_assert_eq(recovery->has_snapshot, !whole);
        int first = whole ? 0 : 3;
        cr_assert_eq(recovery->entry_count, (size_t)(ROUNDS - first), "%s",
                     recovery->key);
        for (int round = first; round < ROUNDS; round++) {
            const shoal_journal_entry_t *entry =
                &recovery->entries[round - first];
            cr_assert_str_eq(entry->entity, recovery->key);
            cr_assert(entry->imported);
            cr_assert_eq(entry->first_seq, s_first_seq(round));
            if (round > first)
                cr_assert_eq(entry->prev_pos,
                             recovery->entries[round - first - 1].pos);
        }
        shoal_recovery_destroy(&batch[i]);
    }
    shoal_journal_close(&journal);
}

Test(slice, snapshots_point_at_the_same_entries_at_their_new_positions)
{
    s_move();
    char *error = NULL;
    shoal_journal_t *journal =
        shoal_journal_open(s_new_path, SHOAL_DURABILITY_FAST, true, &error);
    cr_assert_not_null(journal);
    for (int i = 0; i < MOVED; i++) {
        shoal_snapshot_t snapshot;
        cr_assert_eq(
            shoal_journal_read_snapshot(journal, s_keys[i], &snapshot, &error),
            1);
        cr_assert_eq(snapshot.seq, s_first_seq(2) + 1);
        char state[48];
        snprintf(state, sizeof state, "state of %.31s", s_keys[i]);
        cr_assert(s_same_bytes(snapshot.state, snapshot.state_size, state,
                               strlen(state)));
        cr_assert(s_same_bytes(snapshot.dedup, snapshot.dedup_size,
                               i % 2 ? NULL : "dedup", i % 2 ? 0 : 5));
        shoal_journal_entry_t entry;
        cr_assert_eq(
            shoal_journal_read_entry(journal, snapshot.pos, &entry, &error), 1);
        cr_assert_str_eq(entry.entity, s_keys[i]);
        cr_assert_eq(entry.first_seq + entry.event_count - 1, snapshot.seq);
        cr_assert(entry.imported);
        shoal_journal_entry_clear(&entry);
        shoal_snapshot_clear(&snapshot);
    }
    /* The snapshots of the other shards stayed behind. */
    cr_assert_eq(s_sql_int(s_new_path, "SELECT count(*) FROM snapshots"),
                 MOVED);
    shoal_journal_close(&journal);
}

typedef struct {
    size_t count;
    uint64_t seq[8];
    char entity[8][32];
    char payload[8][32];
} s_topic_read_t;

static int s_topic_visit(const shoal_topic_event_t *event, void *arg)
{
    s_topic_read_t *read = arg;
    cr_assert_lt(read->count, 8);
    read->seq[read->count] = event->seq;
    snprintf(read->entity[read->count], 32, "%s", event->entity);
    snprintf(read->payload[read->count], 32, "%.*s", (int)event->payload_size,
             (const char *)event->payload);
    read->count++;
    return 0;
}

Test(slice, topic_events_keep_their_shard_and_numbers)
{
    s_move();
    char *error = NULL;
    shoal_journal_t *journal = s_open(s_new_path);
    shoal_reactions_t *store = shoal_reactions_open(journal, &error);
    s_topic_read_t read = {0};
    cr_assert_eq(shoal_reactions_read_topic(store, "orders", s_shard, 0, 10,
                                            s_topic_visit, &read, &error),
                 3);
    for (uint64_t seq = 1; seq <= 3; seq++) {
        cr_assert_eq(read.seq[seq - 1], seq);
        char payload[32];
        snprintf(payload, sizeof payload, "orders-%llu",
                 (unsigned long long)seq);
        cr_assert_str_eq(read.payload[seq - 1], payload);
    }
    cr_assert_str_eq(read.entity[1], s_keys[1]);
    memset(&read, 0, sizeof read);
    cr_assert_eq(shoal_reactions_read_topic(store, "audit", s_shard, 1, 10,
                                            s_topic_visit, &read, &error),
                 1, "a cursor resumes after seq 1");
    cr_assert_eq(read.seq[0], 2);
    /* The other shard's events did not come; the new node's own stay. */
    cr_assert_eq(s_sql_int(s_new_path, "SELECT count(*) FROM topic_events"),
                 5 + 1);
    shoal_reactions_close(&store);
    shoal_journal_close(&journal);
}

static int s_letter_visit(const shoal_dead_letter_t *letter, void *arg)
{
    shoal_dead_letter_t *copies = arg;
    size_t i = 0;
    while (copies[i].policy)
        i++;
    copies[i] = *letter;
    copies[i].policy = strdup(letter->policy);
    copies[i].entity = strdup(letter->entity);
    copies[i].error = letter->error ? strdup(letter->error) : NULL;
    return 0;
}

Test(slice, timers_keep_their_ids_and_dead_letters_find_their_events)
{
    s_move();
    char *error = NULL;
    /* Timers: the two aimed at the shard, as they were; the new node's
     * own timer, aimed at the shard too, is still there. */
    cr_assert_eq(s_sql_int(s_new_path, "SELECT count(*) FROM timers"), 3);
    cr_assert_eq(s_sql_int(s_new_path,
                           "SELECT count(*) FROM timers WHERE id ="
                           " 't-moving-1' AND due_ms = 1700000002000 AND"
                           " entity_id = '%s' AND command = 'Remind' AND"
                           " payload = CAST('p1' AS BLOB)",
                           s_ids[0]),
                 1);
    cr_assert_eq(s_sql_int(s_new_path,
                           "SELECT count(*) FROM timers WHERE id ="
                           " 't-moving-2' AND entity_id = '%s'",
                           s_ids[1]),
                 1);
    cr_assert_eq(s_sql_int(s_new_path, "SELECT count(*) FROM timers WHERE id ="
                                       " 't-own'"),
                 1);

    /* Dead letters: new ids after the new node's own, their pos on the
     * same event in the new journal. */
    shoal_journal_t *journal = s_open(s_new_path);
    shoal_reactions_t *store = shoal_reactions_open(journal, &error);
    shoal_dead_letter_t letters[8] = {{0}};
    cr_assert_eq(shoal_reactions_dead_letters(store, NULL, 1, 10,
                                              s_letter_visit, letters, &error),
                 2);
    for (int l = 0; l < 2; l++) {
        int i = l == 0 ? 0 : 1;
        cr_assert_gt(letters[l].id, 1);
        cr_assert_str_eq(letters[l].entity, s_keys[i]);
        cr_assert_eq(letters[l].event_index, 1);
        cr_assert_eq(letters[l].seq, s_first_seq(1) + 1);
        cr_assert_eq(letters[l].attempts, 5);
        if (l == 0)
            cr_assert_str_eq(letters[l].error, "the target was busy");
        else
            cr_assert_null(letters[l].error);
        shoal_journal_entry_t entry;
        cr_assert_eq(
            shoal_journal_read_entry(journal, letters[l].pos, &entry, &error),
            1);
        cr_assert_str_eq(entry.entity, s_keys[i]);
        cr_assert_eq(entry.first_seq, s_first_seq(1));
        shoal_journal_entry_clear(&entry);
        free((void *)letters[l].policy);
        free((void *)letters[l].entity);
        free((void *)letters[l].error);
    }
    shoal_reactions_close(&store);
    shoal_journal_close(&journal);
}

/* ---------------------------------------------------------------------
 * The policies, the directory, the other shards
 */

static int s_count_visit(const shoal_journal_entry_t *entry, void *arg)
{
    cr_assert_not(entry->imported);
    cr_assert_neq(entry->shard, s_shard, "%s was imported", entry->entity);
    (*(int *)arg)++;
    return 0;
}

Test(slice, the_policies_scan_skips_the_imported_entries)
{
    s_move();
    char *error = NULL;
    shoal_journal_t *journal = s_open(s_new_path);
    int visited = 0;
    int64_t last_pos = 0, end = 0;
    cr_assert_eq(shoal_journal_scan(journal, 0, 1000, s_count_visit, &visited,
                                    &last_pos, &error),
                 OWN);
    cr_assert_eq(visited, OWN);
    cr_assert_eq(shoal_journal_last_pos(journal, &end, &error), 0);
    cr_assert_eq(last_pos, end, "the policies move past the imported");
    /* The new node's policy offset is its own and stays. */
    cr_assert_eq(s_sql_int(s_new_path, "SELECT pos FROM policy_offsets"), OWN);
    shoal_journal_close(&journal);
}

Test(slice, the_directory_finds_the_imported_heads_after_a_restart)
{
    s_move();
    size_t got_count;
    shoal_journal_entry_t *got = s_entries(s_new_path, s_imported, &got_count);
    s_heads_t heads = s_load_heads(s_new_path);
    for (int i = 0; i < MOVED; i++) {
        int64_t last = 0;
        for (size_t e = 0; e < got_count; e++)
            if (strcmp(got[e].entity, s_keys[i]) == 0)
                last = got[e].pos;
        cr_assert_eq(s_head_of(&heads, s_keys[i]), last, "%s", s_keys[i]);
        cr_assert_eq(s_sql_int(s_new_path,
                               "SELECT pos FROM heads WHERE entity = '%s'",
                               s_keys[i]),
                     last, "the heads table has it, not only the tail");
    }
    for (int i = 0; i < OWN; i++)
        cr_assert_eq(s_head_of(&heads, s_own_keys[i]), i + 1);

    /* The writer's next checkpoint moves past the imported entries: the
     * heads table alone must still find them. */
    char *error = NULL;
    shoal_journal_t *journal = s_open(s_new_path);
    int64_t end = 0;
    cr_assert_eq(shoal_journal_last_pos(journal, &end, &error), 0);
    s_begin(journal);
    shoal_journal_totals_t totals = {0};
    cr_assert_eq(shoal_journal_save_checkpoint(journal, end, &totals, &error),
                 0);
    s_commit(journal);
    s_heads_t later = {0};
    cr_assert_eq(shoal_slice_heads(journal, s_shard, SHARDS, s_note_head,
                                   &later, &error),
                 0, "%s", error);
    cr_assert_eq(later.count, MOVED, "the heads of the shard, and only them");
    shoal_journal_close(&journal);
    heads = s_load_heads(s_new_path);
    for (int i = 0; i < MOVED; i++) {
        cr_assert_eq(s_head_of(&heads, s_keys[i]),
                     s_head_of(&later, s_keys[i]));
        cr_assert_gt(s_head_of(&later, s_keys[i]), 0);
    }
    s_entries_free(got, got_count);
}

Test(slice, other_shards_are_untouched_on_both_sides)
{
    s_build_old();
    s_build_new();
    static const char *const tables[] = {
        "journal", "snapshots",    "heads",         "topic_events",
        "timers",  "dead_letters", "policy_offsets"};
    uint64_t old_before[7];
    for (int t = 0; t < 7; t++)
        old_before[t] = s_digest(s_old_path, tables[t]);
    size_t own_count;
    shoal_journal_entry_t *own = s_entries(s_new_path, s_own, &own_count);

    s_chunks_t chunks = s_export(s_old_path, s_shard, 0);
    cr_assert_eq(chunks.count, 1, "a small shard fits in one chunk");
    s_import(s_new_path, &chunks);
    s_chunks_free(&chunks);

    for (int t = 0; t < 7; t++)
        cr_assert_eq(s_digest(s_old_path, tables[t]), old_before[t],
                     "the export changed %s", tables[t]);
    size_t after_count;
    shoal_journal_entry_t *after = s_entries(s_new_path, s_own, &after_count);
    cr_assert_eq(after_count, own_count);
    for (size_t i = 0; i < own_count; i++) {
        cr_assert_eq(after[i].pos, own[i].pos);
        s_assert_same_entry(&after[i], &own[i]);
    }
    cr_assert_eq(s_sql_int(s_new_path,
                           "SELECT count(*) FROM journal WHERE"
                           " imported = 1 AND shard != %u",
                           s_shard),
                 0);
    s_entries_free(own, own_count);
    s_entries_free(after, after_count);
}

Test(slice, drop_removes_exactly_the_shard)
{
    s_build_old();
    static const char *const tables[] = {"journal", "snapshots",
                                         "heads",   "topic_events",
                                         "timers",  "dead_letters"};
    int64_t total[6], moving[6];
    for (int t = 0; t < 6; t++) {
        total[t] = s_sql_int(s_old_path, "SELECT count(*) FROM %s", tables[t]);
        moving[t] = s_shard_rows(s_old_path, tables[t]);
        cr_assert_gt(moving[t], 0, "the fixture has %s in the shard",
                     tables[t]);
        cr_assert_lt(moving[t], total[t], "and %s elsewhere", tables[t]);
    }
    shoal_journal_t *journal = s_open(s_old_path);
    char *error = NULL;
    cr_assert_eq(shoal_slice_drop(journal, s_shard, SHARDS, &error), 0, "%s",
                 error);
    shoal_journal_close(&journal);
    for (int t = 0; t < 6; t++) {
        cr_assert_eq(s_shard_rows(s_old_path, tables[t]), 0, "%s", tables[t]);
        cr_assert_eq(
            s_sql_int(s_old_path, "SELECT count(*) FROM %s", tables[t]),
            total[t] - moving[t], "%s", tables[t]);
    }
    /* The directory of the old owner no longer knows the shard. */
    s_heads_t heads = s_load_heads(s_old_path);
    for (int i = 0; i < ENTITIES; i++)
        cr_assert_eq(s_head_of(&heads, s_keys[i]) != 0, i >= MOVED, "%s",
                     s_keys[i]);
    /* A shard with nothing to drop: nothing happens. */
    journal = s_open(s_old_path);
    cr_assert_eq(shoal_slice_drop(journal, s_shard, SHARDS, &error), 0);
    shoal_journal_close(&journal);
}

/* Appends an entry of entity key in shard to journal; returns its pos. */
static int64_t s_append(shoal_journal_t *journal, const char *key,
                        uint32_t shard)
{
    char *error = NULL;
    shoal_journal_entry_t entry = {.shard = shard,
                                   .entity = key,
                                   .first_seq = 1,
                                   .event_count = 1,
                                   .events = "\x01\0\0\0e",
                                   .events_size = 5};
    s_begin(journal);
    cr_assert_eq(shoal_journal_append(journal, &entry, &error), 0, "%s", error);
    s_commit(journal);
    return entry.pos;
}

Test(slice, deleting_the_last_entries_leaves_a_hole_so_positions_grow)
{
    /* The new owner: an unfinished import at the end of its journal, which
     * its policies have read past, is deleted by the next begin; its next
     * entry must come after it all the same. */
    s_build_old();
    s_build_new();
    s_chunks_t chunks = s_export(s_old_path, s_shard, 300);
    shoal_journal_t *journal = s_open(s_new_path);
    shoal_slice_import_t *import = s_import_begin(journal);
    for (size_t i = 0; i + 1 < chunks.count; i++)
        s_import_chunk(import, &chunks, i);
    shoal_slice_import_destroy(&import);
    s_chunks_free(&chunks);
    char *error = NULL;
    int64_t tail = 0;
    cr_assert_eq(shoal_journal_last_pos(journal, &tail, &error), 0);
    cr_assert_gt(tail, OWN);
    import = s_import_begin(journal);
    shoal_slice_import_destroy(&import);
    cr_assert_eq(s_sql_int(s_new_path,
                           "SELECT count(*) FROM journal WHERE imported = 1"),
                 0);
    uint32_t own_shard =
        shoal_shard_of("account", strchr(s_own_keys[0], '/') + 1, SHARDS);
    cr_assert_eq(s_append(journal, s_own_keys[0], own_shard), tail + 1);
    shoal_journal_close(&journal);

    /* The old owner: its last entry is of the shard. */
    journal = s_open(s_old_path);
    int64_t last = s_append(journal, s_keys[0], s_shard);
    cr_assert_eq(shoal_slice_drop(journal, s_shard, SHARDS, &error), 0, "%s",
                 error);
    cr_assert_eq(s_sql_int(s_old_path,
                           "SELECT count(*) FROM journal WHERE pos = %lld AND"
                           " entity = '' AND shard = -1 AND event_count = 0",
                           (long long)last),
                 1, "a hole keeps the last position");
    uint32_t other = shoal_shard_of("counter", s_ids[MOVED], SHARDS);
    cr_assert_eq(s_append(journal, s_keys[MOVED], other), last + 1);
    int visited = 0;
    int64_t scanned = 0;
    cr_assert_eq(shoal_journal_scan(journal, last - 1, 10, s_count_visit,
                                    &visited, &scanned, &error),
                 1, "the scan passes over the hole");
    cr_assert_eq(scanned, last + 1);
    shoal_journal_close(&journal);
    s_heads_t heads = s_load_heads(s_old_path);
    cr_assert_eq(s_head_of(&heads, ""), 0, "the directory passes over it");
    cr_assert_eq(s_head_of(&heads, s_keys[MOVED]), last + 1);

    /* A drop whose entries are not last leaves no hole. */
    journal = s_open(s_old_path);
    cr_assert_eq(
        shoal_slice_drop(journal, (other + 1) % SHARDS, SHARDS, &error), 0);
    shoal_journal_close(&journal);
    cr_assert_eq(
        s_sql_int(s_old_path, "SELECT count(*) FROM journal WHERE entity = ''"),
        1);
}

Test(slice, stats_count_the_entries_and_bytes_of_a_shard)
{
    s_build_old();
    shoal_journal_t *journal = s_open(s_old_path);
    char *error = NULL;
    uint64_t entries = 0, bytes = 0;
    cr_assert_eq(shoal_slice_stats(journal, s_shard, &entries, &bytes, &error),
                 0, "%s", error);
    cr_assert_eq(entries, MOVED * ROUNDS);
    cr_assert_eq((int64_t)bytes,
                 s_sql_int(s_old_path,
                           "SELECT sum(length(events) + length(reply)) FROM"
                           " journal WHERE shard = %u",
                           s_shard));
    uint32_t empty = (s_shard + 1) % SHARDS;
    while (s_sql_int(s_old_path,
                     "SELECT count(*) FROM journal WHERE shard = %u", empty))
        empty = (empty + 1) % SHARDS;
    cr_assert_eq(shoal_slice_stats(journal, empty, &entries, &bytes, &error),
                 0);
    cr_assert_eq(entries, 0);
    cr_assert_eq(bytes, 0);
    shoal_journal_close(&journal);
}

/* ---------------------------------------------------------------------
 * The export
 */

Test(slice, chunks_stay_within_their_size_unless_one_record_is_larger)
{
    s_build_old();
    s_chunks_t chunks = s_export(s_old_path, s_shard, 200);
    size_t records = 0;
    for (size_t i = 0; i < chunks.count; i++) {
        shoal_slice_chunk_t chunk;
        char *error = NULL;
        cr_assert_eq(shoal__slice_chunk_open(chunks.data[i], chunks.size[i],
                                             &chunk, &error),
                     0, "%s", error);
        cr_assert_eq(chunk.index, i);
        cr_assert_eq(chunk.shard, s_shard);
        cr_assert_eq(chunk.shards, SHARDS);
        shoal_slice_record_t record;
        size_t offset = 0, in_chunk = 0;
        while (shoal__slice_chunk_next(&chunk, &offset, &record, &error) == 1)
            in_chunk++;
        cr_assert_null(error, "%s", error);
        cr_assert(chunks.size[i] <= 200 || in_chunk == 1,
                  "chunk %zu: %zu bytes, %zu records", i, chunks.size[i],
                  in_chunk);
        records += in_chunk;
    }
    /* Entries, snapshots, topic events, timers, dead letters, the end. */
    cr_assert_eq(records, MOVED * ROUNDS + MOVED + 5 + 2 + 2 + 1);
    s_chunks_free(&chunks);
}

Test(slice, the_export_is_one_snapshot_of_the_journal)
{
    s_build_old();
    char *error = NULL;
    shoal_journal_t *reader =
        shoal_journal_open(s_old_path, SHOAL_DURABILITY_FAST, true, &error);
    shoal_slice_export_t *export =
        shoal_slice_export_begin(reader, s_shard, SHARDS, &error);
    cr_assert_not_null(export, "%s", error);
    shoal_slice_export_set_chunk_bytes(export, 1);

    /* Written after the export began: not part of it. */
    shoal_journal_t *writer = s_open(s_old_path);
    s_begin(writer);
    shoal_journal_entry_t entry = {.shard = s_shard,
                                   .entity = s_keys[0],
                                   .prev_pos = s_old_pos[0][ROUNDS - 1],
                                   .first_seq = 99,
                                   .event_count = 1,
                                   .events = "\x01\0\0\0z",
                                   .events_size = 5};
    cr_assert_eq(shoal_journal_append(writer, &entry, &error), 0);
    s_commit(writer);

    s_chunks_t chunks = {0};
    void *data;
    size_t size;
    while (shoal_slice_export_next(export, &data, &size, &error) == 1)
        s_chunks_push(&chunks, data, size);
    cr_assert_null(error, "%s", error);
    shoal_slice_export_destroy(&export);
    shoal_journal_close(&reader);
    shoal_journal_close(&writer);

    s_build_new();
    s_import(s_new_path, &chunks);
    cr_assert_eq(s_sql_int(s_new_path,
                           "SELECT count(*) FROM journal WHERE imported = 1"),
                 MOVED * ROUNDS);
    cr_assert_eq(s_sql_int(s_new_path, "SELECT count(*) FROM journal WHERE"
                                       " first_seq = 99"),
                 0);
    s_chunks_free(&chunks);
}

Test(slice, an_empty_shard_moves_as_one_chunk)
{
    s_build_old();
    s_build_new();
    shoal_journal_t *journal = s_open(s_old_path);
    char *error = NULL;
    cr_assert_eq(shoal_slice_drop(journal, s_shard, SHARDS, &error), 0);
    shoal_journal_close(&journal);
    s_chunks_t chunks = s_export(s_old_path, s_shard, 0);
    cr_assert_eq(chunks.count, 1);
    uint64_t before = s_digest(s_new_path, "journal");
    s_import(s_new_path, &chunks);
    cr_assert_eq(s_digest(s_new_path, "journal"), before);
    s_chunks_free(&chunks);
}

/* ---------------------------------------------------------------------
 * Refusals
 */

/* Digests every table of the new journal. */
static void s_digest_all(uint64_t digest[8])
{
    static const char *const tables[] = {
        "journal", "snapshots",    "heads",          "topic_events",
        "timers",  "dead_letters", "policy_offsets", "meta"};
    for (int t = 0; t < 8; t++)
        digest[t] = s_digest(s_new_path, tables[t]);
}

/* Offers chunk (size bytes) to import, asserts it is refused with an
 * error holding reason, and that the new journal did not change. */
static void s_assert_refused(shoal_slice_import_t *import, const void *chunk,
                             size_t size, const char *reason)
{
    uint64_t before[8], after[8];
    s_digest_all(before);
    uint32_t next = shoal_slice_import_next_index(import);
    char *error = NULL;
    cr_assert_eq(shoal_slice_import_chunk(import, chunk, size, &error), -1,
                 "a chunk that is %s was taken", reason);
    cr_assert_not_null(error);
    cr_assert(strstr(error, reason), "expected \"%s\" in: %s", reason, error);
    free(error);
    s_digest_all(after);
    cr_assert_arr_eq(before, after, sizeof before, "refused, but applied");
    cr_assert_eq(shoal_slice_import_next_index(import), next);
}

Test(slice, damaged_truncated_or_misplaced_chunks_are_refused_untouched)
{
    s_build_old();
    s_build_new();
    s_chunks_t chunks = s_export(s_old_path, s_shard, 400);
    cr_assert_gt(chunks.count, 4);
    shoal_journal_t *journal = s_open(s_new_path);
    shoal_slice_import_t *import = s_import_begin(journal);
    s_import_chunk(import, &chunks, 0);
    s_import_chunk(import, &chunks, 1);

    /* Each a copy of chunk 2 with one thing wrong. */
    size_t size = chunks.size[2];
    uint8_t *copy = malloc(size);
    struct {
        size_t at;  /* the byte to flip */
        uint8_t by; /* what to flip it with, 0 for none */
        size_t size;
        bool no_shards; /* set the number of shards to 0 */
        const char *reason;
    } damage[] = {
        {SHOAL_SLICE_HEADER_SIZE + 40, 0x5a, size, false, "checksum"},
        {size - 1, 0x01, size, false, "checksum"},
        {8, 0x01, size, false, "checksum"},  /* another shard, same sum */
        {16, 0x01, size, false, "checksum"}, /* another index */
        {0, 0x20, size, false, "bad magic"},
        {4, 0x02, size, false, "format version 3"},
        {5, 0x01, size, false, "unknown flags"},
        {0, 0, size, true, "of 0 shards"},
        {0, 0, size - 1, false, "the header says"},
        {0, 0, 10, false, "shorter than"},
    };
    for (size_t d = 0; d < sizeof damage / sizeof damage[0]; d++) {
        memcpy(copy, chunks.data[2], size);
        copy[damage[d].at] ^= damage[d].by;
        if (damage[d].no_shards)
            memset(copy + 12, 0, 4);
        s_assert_refused(import, copy, damage[d].size, damage[d].reason);
    }
    free(copy);
    /* Out of order: a gap, the end first. */
    s_assert_refused(import, chunks.data[3], chunks.size[3], "expected first");
    s_assert_refused(import, chunks.data[chunks.count - 1],
                     chunks.size[chunks.count - 1], "expected first");
    /* Not the stream's: a chunk of another shard. */
    uint32_t other = shoal_shard_of("counter", s_ids[MOVED], SHARDS);
    s_chunks_t others = s_export(s_old_path, other, 0);
    s_assert_refused(import, others.data[0], others.size[0], "is of shard");
    s_chunks_free(&others);

    /* After the refusals the stream goes on where it was. */
    for (size_t i = 2; i < chunks.count; i++)
        s_import_chunk(import, &chunks, i);
    char *error = NULL;
    cr_assert_eq(shoal_slice_import_finish(import, &error), 0, "%s", error);
    shoal_slice_import_destroy(&import);
    shoal_journal_close(&journal);
    cr_assert_eq(s_sql_int(s_new_path,
                           "SELECT count(*) FROM journal WHERE imported = 1"),
                 MOVED * ROUNDS);
    s_chunks_free(&chunks);
}

/* Seals records into a chunk of the moving shard with index. */
static void *s_forge(const shoal_slice_record_t *records, size_t count,
                     uint32_t index, uint32_t shards, size_t *size)
{
    shoal_slice_buffer_t buffer = {0};
    cr_assert_eq(shoal__slice_chunk_start(&buffer), 0);
    for (size_t i = 0; i < count; i++)
        cr_assert_eq(shoal__slice_append_record(&buffer, &records[i]), 0);
    shoal__slice_chunk_seal(&buffer, s_shard, shards, index);
    *size = buffer.size;
    return buffer.data;
}

static shoal_slice_record_t s_forged_entry(int i, int64_t pos, int64_t prev)
{
    return (shoal_slice_record_t){
        .kind = SHOAL_SLICE_ENTRY,
        .as.entry = {.pos = pos,
                     .prev_pos = prev,
                     .first_seq = 1,
                     .event_count = 1,
                     .entity = s_keys[i],
                     .events = "\x01\0\0\0e",
                     .events_size = 5},
    };
}

Test(slice, records_that_do_not_fit_the_stream_are_refused_untouched)
{
    s_build_new();
    shoal_journal_t *journal = s_open(s_new_path);
    shoal_slice_import_t *import = s_import_begin(journal);
    /* A good first chunk: entries 10 and 20 of entity 0, 15 of entity 1. */
    shoal_slice_record_t first[] = {s_forged_entry(0, 10, 0),
                                    s_forged_entry(1, 15, 0),
                                    s_forged_entry(0, 20, 10)};
    size_t size;
    void *chunk = s_forge(first, 3, 0, SHARDS, &size);
    char *error = NULL;
    cr_assert_eq(shoal_slice_import_chunk(import, chunk, size, &error), 0, "%s",
                 error);
    /* Delivered twice: applied once. */
    cr_assert_eq(shoal_slice_import_chunk(import, chunk, size, &error), 0);
    free(chunk);
    cr_assert_eq(s_sql_int(s_new_path,
                           "SELECT count(*) FROM journal WHERE imported = 1"),
                 3);

    shoal_slice_record_t snapshot_of_unsent = {
        .kind = SHOAL_SLICE_SNAPSHOT,
        .as.snapshot = {.entity = s_keys[0],
                        .snapshot = {.seq = 1, .pos = 11}}};
    shoal_slice_record_t snapshot_ok = {
        .kind = SHOAL_SLICE_SNAPSHOT,
        .as.snapshot = {.entity = s_keys[0],
                        .snapshot = {.seq = 2, .pos = 20}}};
    shoal_slice_record_t snapshot_of_other = {
        .kind = SHOAL_SLICE_SNAPSHOT,
        .as.snapshot = {.entity = s_keys[0],
                        .snapshot = {.seq = 1, .pos = 15}}};
    shoal_slice_record_t end_short = {.kind = SHOAL_SLICE_END,
                                      .as.end = {.entries = 4}};
    shoal_slice_record_t letter_of_unsent = {
        .kind = SHOAL_SLICE_DEAD_LETTER,
        .as.dead_letter = {.policy = "p", .pos = 12, .entity = s_keys[1]}};
    struct {
        shoal_slice_record_t records[2];
        size_t count;
        uint32_t index;
        uint32_t shards;
        const char *reason;
    } cases[] = {
        /* A good record, then a bad one: neither is applied. */
        {{s_forged_entry(1, 30, 15), s_forged_entry(MOVED, 31, 0)},
         2,
         1,
         SHARDS,
         "belongs to another shard"},
        {{s_forged_entry(0, 130, 99)}, 1, 1, SHARDS, "which was not sent"},
        {{s_forged_entry(0, 30, 15)}, 1, 1, SHARDS, "another entity"},
        {{s_forged_entry(0, 20, 10)}, 1, 1, SHARDS, "out of order"},
        {{snapshot_of_unsent}, 1, 1, SHARDS, "which was not sent"},
        {{snapshot_of_other}, 1, 1, SHARDS, "another entity"},
        {{letter_of_unsent}, 1, 1, SHARDS, "which was not sent"},
        {{snapshot_ok, s_forged_entry(0, 30, 20)},
         2,
         1,
         SHARDS,
         "entry record after the snapshot"},
        {{end_short}, 1, 1, SHARDS, "3, 0, 0, 0 and 0 arrived"},
        {{s_forged_entry(0, 30, 20)}, 1, 0, SHARDS, "differs from the chunk"},
        {{s_forged_entry(0, 30, 20)}, 1, 1, 16, "journal of 16 shards"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        chunk = s_forge(cases[c].records, cases[c].count, cases[c].index,
                        cases[c].shards, &size);
        s_assert_refused(import, chunk, size, cases[c].reason);
        free(chunk);
    }
    /* A record cut short inside a chunk whose checksum is right. */
    shoal_slice_buffer_t buffer = {0};
    cr_assert_eq(shoal__slice_chunk_start(&buffer), 0);
    shoal_slice_record_t good = s_forged_entry(0, 30, 20);
    cr_assert_eq(shoal__slice_append_record(&buffer, &good), 0);
    buffer.size -= 3;
    buffer.data[SHOAL_SLICE_HEADER_SIZE + 1] -= 3; /* the record's size */
    shoal__slice_chunk_seal(&buffer, s_shard, SHARDS, 1);
    s_assert_refused(import, buffer.data, buffer.size,
                     "runs past the end of its record");
    free(buffer.data);

    /* The finish wants the end. */
    cr_assert_eq(shoal_slice_import_finish(import, &error), -1);
    cr_assert(strstr(error, "not complete"), "%s", error);
    free(error);
    shoal_slice_import_destroy(&import);
    shoal_journal_close(&journal);
}

Test(slice, a_journal_that_holds_the_shard_refuses_an_import)
{
    s_build_old();
    shoal_journal_t *journal = s_open(s_old_path);
    char *error = NULL;
    cr_assert_null(shoal_slice_import_begin(journal, s_shard, &error));
    cr_assert(strstr(error, "drop the shard first") &&
                  strstr(error, s_old_path),
              "%s", error);
    free(error);
    error = NULL;
    shoal_journal_close(&journal);

    /* Nor may a finished import be applied twice. */
    s_build_new();
    s_chunks_t chunks = s_export(s_old_path, s_shard, 0);
    s_import(s_new_path, &chunks);
    journal = s_open(s_new_path);
    cr_assert_null(shoal_slice_import_begin(journal, s_shard, &error));
    cr_assert(strstr(error, "24 entries"), "%s", error);
    free(error);
    shoal_journal_close(&journal);
    s_chunks_free(&chunks);
}

/* ---------------------------------------------------------------------
 * Interrupted imports
 */

/* Asserts that the new journal holds the shard once, finished. */
static void s_assert_moved_once(void)
{
    cr_assert_eq(s_sql_int(s_new_path,
                           "SELECT count(*) FROM journal WHERE"
                           " imported = 1 AND shard = %u",
                           s_shard),
                 MOVED * ROUNDS);
    cr_assert_eq(s_sql_int(s_new_path,
                           "SELECT count(*) FROM (SELECT DISTINCT entity,"
                           " written_ms FROM journal WHERE imported = 1)"),
                 MOVED * ROUNDS);
    cr_assert_eq(s_sql_int(s_new_path, "SELECT count(*) FROM snapshots"),
                 MOVED);
    cr_assert_eq(s_sql_int(s_new_path, "SELECT count(*) FROM topic_events"),
                 5 + 1);
    cr_assert_eq(s_sql_int(s_new_path, "SELECT count(*) FROM timers"), 3);
    cr_assert_eq(s_sql_int(s_new_path, "SELECT count(*) FROM dead_letters"),
                 1 + 2);
    cr_assert_eq(s_sql_int(s_new_path, "SELECT count(*) FROM heads"),
                 OWN + MOVED);
    cr_assert_eq(s_sql_int(s_new_path, "SELECT count(*) FROM meta WHERE key"
                                       " LIKE 'slice_import.%%'"),
                 0);
    /* Every head is the last imported entry of its entity. */
    cr_assert_eq(s_sql_int(s_new_path,
                           "SELECT count(*) FROM heads h WHERE h.pos = (SELECT"
                           " max(pos) FROM journal j WHERE j.entity ="
                           " h.entity)"),
                 OWN + MOVED);
}

Test(slice, an_abandoned_import_restarts_from_scratch_without_duplicates)
{
    s_build_old();
    s_build_new();
    s_chunks_t chunks = s_export(s_old_path, s_shard, 300);
    shoal_journal_t *journal = s_open(s_new_path);
    shoal_slice_import_t *import = s_import_begin(journal);
    for (size_t i = 0; i < chunks.count - 1; i++)
        s_import_chunk(import, &chunks, i);
    shoal_slice_import_destroy(&import);
    /* Applied so far, and marked; no timers or dead letters yet. */
    cr_assert_eq(s_sql_int(s_new_path,
                           "SELECT value FROM meta WHERE key ="
                           " 'slice_import.%u'",
                           s_shard),
                 (int64_t)chunks.count - 1);
    cr_assert_eq(s_sql_int(s_new_path, "SELECT count(*) FROM timers"), 1);
    cr_assert_eq(s_sql_int(s_new_path, "SELECT count(*) FROM dead_letters"), 1);
    shoal_journal_close(&journal);

    s_import(s_new_path, &chunks);
    s_assert_moved_once();
    s_chunks_free(&chunks);
}

Test(slice, an_import_killed_mid_stream_restarts_without_duplicates)
{
    s_build_old();
    s_build_new();
    s_chunks_t chunks = s_export(s_old_path, s_shard, 300);
    fflush(NULL);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        /* Killed after half the stream, its connection and the import
         * open. */
        char *error = NULL;
        shoal_journal_t *journal = shoal_journal_open(
            s_new_path, SHOAL_DURABILITY_FULL, false, &error);
        shoal_slice_import_t *import =
            journal ? shoal_slice_import_begin(journal, s_shard, &error) : NULL;
        for (size_t i = 0; import && i < chunks.count / 2; i++)
            if (shoal_slice_import_chunk(import, chunks.data[i], chunks.size[i],
                                         &error) < 0)
                _exit(2);
        if (import)
            raise(SIGKILL);
        _exit(3);
    }
    int status = 0;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %d",
              status);
    cr_assert_gt(s_sql_int(s_new_path,
                           "SELECT count(*) FROM journal WHERE imported = 1"),
                 0, "the child applied chunks");

    s_import(s_new_path, &chunks);
    s_assert_moved_once();
    s_chunks_free(&chunks);
}

Test(slice, drop_discards_an_unfinished_import)
{
    s_build_old();
    s_build_new();
    uint64_t before[8];
    s_digest_all(before);
    s_chunks_t chunks = s_export(s_old_path, s_shard, 300);
    shoal_journal_t *journal = s_open(s_new_path);
    shoal_slice_import_t *import = s_import_begin(journal);
    for (size_t i = 0; i < chunks.count / 2; i++)
        s_import_chunk(import, &chunks, i);
    shoal_slice_import_destroy(&import);
    char *error = NULL;
    /* Drop deletes the new node's timer aimed at the shard too: it goes
     * by the target. */
    cr_assert_eq(shoal_slice_drop(journal, s_shard, SHARDS, &error), 0, "%s",
                 error);
    shoal_journal_close(&journal);
    cr_assert_eq(s_sql_int(s_new_path,
                           "SELECT count(*) FROM journal WHERE"
                           " shard = %u",
                           s_shard),
                 0);
    cr_assert_eq(s_sql_int(s_new_path, "SELECT count(*) FROM meta WHERE key"
                                       " LIKE 'slice_import.%%'"),
                 0);
    uint64_t after[8];
    s_digest_all(after);
    cr_assert_eq(after[3], before[3], "topic_events");
    /* The journal is as it was, but for the hole that keeps the last
     * position of the import. */
    cr_assert_eq(s_digest(s_new_path, "journal WHERE entity != ''"), before[0]);
    cr_assert_eq(
        s_sql_int(s_new_path, "SELECT count(*) FROM journal WHERE entity = ''"),
        1);
    s_chunks_free(&chunks);
}
