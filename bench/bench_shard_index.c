/*
 * bench/bench_shard_index.c - what an index on journal (shard, pos) would
 * cost the write path, and what it would save a shard handoff
 * (persistence/slice.c), measured in one run on one machine.
 *
 * It appends rows shaped like a Deposit's journal entry (an account of
 * 100,000, one event, a short reply) with the node's pragmas (WAL,
 * synchronous FULL) and the writer's insert statement, in transactions
 * of 1000 rows, to three tables: schema version 2, version 3 (the
 * imported column with its default), and version 3 with the index. The
 * runs alternate (A B C C B A) so that a drift of the machine falls on
 * all three. Then, on the version 3 files with and without the index, it
 * times what a handoff reads and deletes: every row of one shard in pos
 * order (the export), whether an absent shard has rows (the import's
 * check), and deleting one shard's rows (the drop, rolled back).
 *
 * Usage: shoal-bench-shard-index [ROWS [SHARDS [DIR]]]
 * (defaults 1000000, 64, $TMPDIR or /tmp). Prints a Markdown table.
 */
#include "cluster/shard.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_BATCH 1000

/* Where the bytes read go, so that reading them is not optimized out. */
static volatile uint64_t s_sink;

typedef enum { S_V2, S_V3, S_V3_INDEX, S_VARIANTS } s_variant_t;

static const char *const s_names[S_VARIANTS] = {
    [S_V2] = "version 2 (no imported column)",
    [S_V3] = "version 3 (imported, default 0)",
    [S_V3_INDEX] = "version 3 + INDEX journal (shard, pos)",
};

static const char s_table_v2[] =
    "CREATE TABLE journal (pos INTEGER PRIMARY KEY, entity TEXT NOT NULL,"
    " shard INTEGER NOT NULL, prev_pos INTEGER NOT NULL,"
    " first_seq INTEGER NOT NULL, event_count INTEGER NOT NULL,"
    " outcome INTEGER NOT NULL, written_ms INTEGER NOT NULL,"
    " command_id TEXT, reply BLOB, events BLOB)";

static double s_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void s_exec(sqlite3 *db, const char *sql)
{
    char *message = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK) {
        fprintf(stderr, "shoal-bench-shard-index: %s: %s\n", sql,
                message ? message : sqlite3_errmsg(db));
        exit(1);
    }
}

/* xorshift64*: the same rows for every variant. */
static uint64_t s_random(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545F4914F6CDD1DULL;
}

/* Creates path with variant's schema and appends rows; returns rows/s. */
static double s_append(const char *path, s_variant_t variant, uint64_t rows,
                       uint32_t shards)
{
    unlink(path);
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        exit(1);
    s_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL");
    s_exec(db, s_table_v2);
    if (variant != S_V2)
        s_exec(db, "ALTER TABLE journal ADD COLUMN imported INTEGER NOT NULL"
                   " DEFAULT 0");
    if (variant == S_V3_INDEX)
        s_exec(db, "CREATE INDEX journal_by_shard ON journal (shard, pos)");
    sqlite3_stmt *insert = NULL;
    sqlite3_prepare_v3(db,
                       "INSERT INTO journal (entity, shard, prev_pos,"
                       " first_seq, event_count, outcome, written_ms,"
                       " command_id, reply, events) VALUES (?1, ?2, ?3, ?4,"
                       " ?5, ?6, ?7, ?8, ?9, ?10)",
                       -1, SQLITE_PREPARE_PERSISTENT, &insert, NULL);
    static const char event[] = "{\"event\":\"Deposited\",\"amount\":1}";
    uint8_t events[4 + sizeof event];
    uint32_t size = (uint32_t)(sizeof event - 1);
    memcpy(events, &size, 4);
    memcpy(events + 4, event, size);
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    double started = s_now();
    for (uint64_t row = 0; row < rows;) {
        s_exec(db, "BEGIN IMMEDIATE");
        for (int i = 0; i < S_BATCH && row < rows; i++, row++) {
            char id[24], entity[40], reply[40];
            snprintf(id, sizeof id, "%" PRIu64, s_random(&state) % 100000);
            snprintf(entity, sizeof entity, "account/%s", id);
            snprintf(reply, sizeof reply, "{\"balance\":%" PRIu64 "}", row);
            sqlite3_bind_text(insert, 1, entity, -1, SQLITE_STATIC);
            sqlite3_bind_int64(insert, 2,
                               shoal_shard_of("account", id, shards));
            sqlite3_bind_int64(insert, 3, row > 100 ? (int64_t)row - 100 : 0);
            sqlite3_bind_int64(insert, 4, (int64_t)row / 1000 + 1);
            sqlite3_bind_int64(insert, 5, 1);
            sqlite3_bind_int(insert, 6, 0);
            sqlite3_bind_int64(insert, 7, 1700000000000LL + (int64_t)row);
            sqlite3_bind_null(insert, 8);
            sqlite3_bind_blob(insert, 9, reply, (int)strlen(reply),
                              SQLITE_STATIC);
            sqlite3_bind_blob(insert, 10, events, (int)(4 + size),
                              SQLITE_STATIC);
            if (sqlite3_step(insert) != SQLITE_DONE) {
                fprintf(stderr, "shoal-bench-shard-index: insert: %s\n",
                        sqlite3_errmsg(db));
                exit(1);
            }
            sqlite3_reset(insert);
        }
        s_exec(db, "COMMIT");
    }
    double seconds = s_now() - started;
    sqlite3_finalize(insert);
    s_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    sqlite3_close(db);
    return (double)rows / seconds;
}

/* Runs sql (one shard parameter) to its end; returns the best time of 3
 * in ms and sets *rows to the rows it returned. */
static double s_time_query(sqlite3 *db, const char *sql, int64_t shard,
                           uint64_t *rows)
{
    double best = 1e30;
    for (int round = 0; round < 3; round++) {
        sqlite3_stmt *stmt = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
            fprintf(stderr, "shoal-bench-shard-index: %s: %s\n", sql,
                    sqlite3_errmsg(db));
            exit(1);
        }
        sqlite3_bind_int64(stmt, 1, shard);
        double started = s_now();
        uint64_t count = 0, bytes = 0;
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            count++;
            for (int i = 0; i < sqlite3_column_count(stmt); i++)
                bytes += (uint64_t)sqlite3_column_bytes(stmt, i);
        }
        double ms = (s_now() - started) * 1000;
        sqlite3_finalize(stmt);
        if (ms < best)
            best = ms;
        *rows = count;
        s_sink += bytes;
    }
    return best;
}

/* Deletes a shard's rows in a transaction that is rolled back; returns
 * the best time of 3 in ms. */
static double s_time_drop(sqlite3 *db, int64_t shard)
{
    double best = 1e30;
    char sql[96];
    snprintf(sql, sizeof sql, "DELETE FROM journal WHERE shard = %" PRId64,
             shard);
    for (int round = 0; round < 3; round++) {
        s_exec(db, "BEGIN IMMEDIATE");
        double started = s_now();
        s_exec(db, sql);
        double ms = (s_now() - started) * 1000;
        s_exec(db, "ROLLBACK");
        if (ms < best)
            best = ms;
    }
    return best;
}

static double s_megabytes(const char *path)
{
    struct stat status;
    return stat(path, &status) == 0 ? (double)status.st_size / 1e6 : 0;
}

int main(int argc, char **argv)
{
    uint64_t rows = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    uint32_t shards = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 64;
    const char *base = getenv("TMPDIR");
    const char *dir = argc > 3 ? argv[3] : base && *base ? base : "/tmp";
    if (rows == 0 || shards == 0) {
        fprintf(stderr, "usage: shoal-bench-shard-index [ROWS [SHARDS "
                        "[DIR]]]\n");
        return 2;
    }
    char paths[S_VARIANTS][512];
    for (int v = 0; v < S_VARIANTS; v++)
        snprintf(paths[v], sizeof paths[v], "%s/shard-index-%d-%d.db", dir,
                 (int)getpid(), v);

    static const s_variant_t order[] = {S_V2,       S_V3, S_V3_INDEX,
                                        S_V3_INDEX, S_V3, S_V2};
    double rate[S_VARIANTS][2] = {{0}};
    int runs[S_VARIANTS] = {0};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        s_variant_t v = order[i];
        rate[v][runs[v]++] = s_append(paths[v], v, rows, shards);
        fprintf(stderr, "%s: %.0f rows/s\n", s_names[v], rate[v][runs[v] - 1]);
    }

    printf("%" PRIu64 " rows of a Deposit's shape over %" PRIu32
           " shards, transactions of %d rows, WAL, synchronous FULL\n\n",
           rows, shards, S_BATCH);
    printf("| schema | append rows/s (run 1, run 2) | file MB |\n");
    printf("| --- | --- | --- |\n");
    for (int v = 0; v < S_VARIANTS; v++)
        printf("| %s | %.0f, %.0f | %.0f |\n", s_names[v], rate[v][0],
               rate[v][1], s_megabytes(paths[v]));

    printf("\n| handoff step (best of 3, file in the OS cache) | %s | %s |\n",
           s_names[S_V3], s_names[S_V3_INDEX]);
    printf("| --- | --- | --- |\n");
    sqlite3 *db[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++)
        if (sqlite3_open(paths[S_V3 + i], &db[i]) != SQLITE_OK)
            return 1;
    const char *export_sql =
        "SELECT pos, prev_pos, first_seq, event_count, outcome, written_ms,"
        " entity, command_id, reply, events FROM journal WHERE shard = ?1"
        " ORDER BY pos";
    uint64_t count[2] = {0, 0};
    double ms[2];
    for (int i = 0; i < 2; i++)
        ms[i] = s_time_query(db[i], export_sql, 7, &count[i]);
    printf("| export: the %" PRIu64 " rows of one shard, in pos order | "
           "%.0f ms | %.0f ms |\n",
           count[0], ms[0], ms[1]);
    const char *exists_sql =
        "SELECT EXISTS (SELECT 1 FROM journal WHERE shard = ?1)";
    for (int i = 0; i < 2; i++)
        ms[i] = s_time_query(db[i], exists_sql, (int64_t)shards, &count[i]);
    printf("| import check: does an absent shard have rows | %.1f ms | "
           "%.1f ms |\n",
           ms[0], ms[1]);
    for (int i = 0; i < 2; i++)
        ms[i] = s_time_drop(db[i], 7);
    printf("| drop: delete one shard's rows (rolled back) | %.0f ms | "
           "%.0f ms |\n",
           ms[0], ms[1]);
    for (int i = 0; i < 2; i++)
        sqlite3_close(db[i]);
    for (int v = 0; v < S_VARIANTS; v++) {
        char *file = NULL;
        unlink(paths[v]);
        if (asprintf(&file, "%s-wal", paths[v]) >= 0)
            unlink(file);
        free(file);
        if (asprintf(&file, "%s-shm", paths[v]) >= 0)
            unlink(file);
        free(file);
    }
    return 0;
}
