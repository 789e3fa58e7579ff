/*
 * persistence/schema.c - the journal schema and its migrations.
 *
 * The version lives in SQLite's user_version. Each migration takes the
 * schema from version N to N + 1 inside one transaction; a journal whose
 * version is above SHOAL_JOURNAL_SCHEMA_VERSION was written by a newer
 * shoal and is refused rather than misread.
 */
#include "persistence/schema.h"
#include "persistence/journal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* migrations[N] takes the schema from version N to N + 1. */
static const char *const s_migrations[] = {
    /* 0 -> 1: the first schema. */
    "CREATE TABLE journal ("
    "  pos INTEGER PRIMARY KEY,"
    "  entity TEXT NOT NULL,"
    "  shard INTEGER NOT NULL,"
    "  prev_pos INTEGER NOT NULL,"
    "  first_seq INTEGER NOT NULL,"
    "  event_count INTEGER NOT NULL,"
    "  outcome INTEGER NOT NULL,"
    "  written_ms INTEGER NOT NULL,"
    "  command_id TEXT,"
    "  reply BLOB,"
    "  events BLOB);"
    "CREATE TABLE snapshots ("
    "  entity TEXT PRIMARY KEY,"
    "  seq INTEGER NOT NULL,"
    "  pos INTEGER NOT NULL,"
    "  state BLOB NOT NULL,"
    "  dedup BLOB);"
    "CREATE TABLE heads ("
    "  entity TEXT PRIMARY KEY,"
    "  pos INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value INTEGER NOT NULL) WITHOUT ROWID;",
    /* 1 -> 2: the durable state of policies, topics and timers. */
    "CREATE TABLE policy_offsets ("
    "  policy TEXT PRIMARY KEY,"
    "  pos INTEGER NOT NULL,"
    "  event_index INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE topic_events ("
    "  topic TEXT NOT NULL,"
    "  shard INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  entity TEXT NOT NULL,"
    "  written_ms INTEGER NOT NULL,"
    "  payload BLOB,"
    "  PRIMARY KEY (topic, shard, seq)) WITHOUT ROWID;"
    "CREATE TABLE timers ("
    "  id TEXT PRIMARY KEY,"
    "  due_ms INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  entity_id TEXT NOT NULL,"
    "  command TEXT NOT NULL,"
    "  payload BLOB);"
    "CREATE INDEX timers_by_due ON timers (due_ms, id);"
    "CREATE TABLE dead_letters ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  policy TEXT NOT NULL,"
    "  pos INTEGER NOT NULL,"
    "  event_index INTEGER NOT NULL,"
    "  entity TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL,"
    "  error TEXT,"
    "  parked_ms INTEGER NOT NULL);"
    "CREATE INDEX dead_letters_by_policy ON dead_letters (policy);",
    /* 2 -> 3: entries that arrived by a shard handoff
     * (persistence/slice.h) are marked, so that policies skip them. The
     * default keeps the writer's append as it was. */
    "ALTER TABLE journal ADD COLUMN imported INTEGER NOT NULL DEFAULT 0;",
};

_Static_assert(sizeof s_migrations / sizeof s_migrations[0] ==
                   SHOAL_JOURNAL_SCHEMA_VERSION,
               "one migration per schema version");

void shoal__error_set(char **error, const char *format, ...)
{
    if (!error)
        return;
    va_list args;
    va_start(args, format);
    char *message = NULL;
    if (vasprintf(&message, format, args) < 0)
        message = NULL;
    va_end(args);
    free(*error);
    *error = message;
}

/* Reads user_version into *version. Returns 0 or -1. */
static int s_read_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL))
        return -1;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* True when the database has tables that are not ours (version 0 but not
 * empty): then it is some other SQLite file, not a shoal journal. */
static bool s_has_foreign_tables(sqlite3 *db)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &stmt,
                           NULL))
        return true;
    bool foreign =
        sqlite3_step(stmt) != SQLITE_ROW || sqlite3_column_int(stmt, 0) > 0;
    sqlite3_finalize(stmt);
    return foreign;
}

/* Runs migration from_version -> from_version + 1 in a transaction. */
static int s_migrate_one(sqlite3 *db, const char *path, int from_version,
                         char **error)
{
    char *sql = NULL;
    if (asprintf(&sql, "BEGIN IMMEDIATE; %s PRAGMA user_version = %d;",
                 s_migrations[from_version], from_version + 1) < 0) {
        shoal__error_set(error, "%s: out of memory", path);
        return -1;
    }
    char *message = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &message);
    free(sql);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &message);
    if (rc != SQLITE_OK) {
        shoal__error_set(error, "%s: migration to schema version %d failed: %s",
                         path, from_version + 1,
                         message ? message : sqlite3_errmsg(db));
        sqlite3_free(message);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

int shoal__schema_prepare(sqlite3 *db, const char *path, bool read_only,
                          char **error)
{
    int version = 0;
    if (s_read_version(db, &version) < 0) {
        shoal__error_set(error, "%s: not a readable SQLite database: %s", path,
                         sqlite3_errmsg(db));
        return -1;
    }
    if (version > SHOAL_JOURNAL_SCHEMA_VERSION) {
        shoal__error_set(error,
                         "%s: journal schema version %d was written by a "
                         "newer shoal; this shoald reads up to version %d",
                         path, version, SHOAL_JOURNAL_SCHEMA_VERSION);
        return -1;
    }
    if (version == 0 && s_has_foreign_tables(db)) {
        shoal__error_set(error,
                         "%s: not a shoal journal (it has tables but no "
                         "schema version)",
                         path);
        return -1;
    }
    if (read_only) {
        if (version == SHOAL_JOURNAL_SCHEMA_VERSION)
            return 0;
        shoal__error_set(error, "%s: journal schema version %d, expected %d",
                         path, version, SHOAL_JOURNAL_SCHEMA_VERSION);
        return -1;
    }
    for (; version < SHOAL_JOURNAL_SCHEMA_VERSION; version++)
        if (s_migrate_one(db, path, version, error) < 0)
            return -1;
    return 0;
}
