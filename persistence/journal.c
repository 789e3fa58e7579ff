/*
 * persistence/journal.c - the SQLite event journal (see journal.h).
 *
 * Every statement is prepared once when the handle opens; the hot path
 * (append, commit) binds and steps, never parses SQL.
 */
#include "persistence/journal.h"
#include "persistence/journal_internal.h"
#include "persistence/positions.h"
#include "persistence/schema.h"

#include <assert.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_APPEND,
    S_SAVE_SNAPSHOT,
    S_SAVE_HEAD,
    S_SAVE_META,
    S_READ_ENTRY,
    S_READ_ENTRIES,
    S_READ_SNAPSHOT,
    S_BEGIN_READ,
    S_SCAN,
    S_LAST_POS,
    S_STATEMENT_COUNT
};

static const char *const s_sql[S_STATEMENT_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_APPEND] = "INSERT INTO journal (entity, shard, prev_pos, first_seq,"
                 " event_count, outcome, written_ms, command_id, reply,"
                 " events) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [S_SAVE_SNAPSHOT] = "INSERT OR REPLACE INTO snapshots (entity, seq, pos,"
                        " state, dedup) VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_SAVE_HEAD] = "INSERT OR REPLACE INTO heads (entity, pos)"
                    " VALUES (?1, ?2)",
    [S_SAVE_META] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
    [S_READ_ENTRY] = "SELECT pos, entity, shard, prev_pos, first_seq,"
                     " event_count, outcome, written_ms, command_id, reply,"
                     " events, imported FROM journal WHERE pos = ?1",
    /* The rows at an array of positions, in the array's order; the same
     * columns as S_READ_ENTRY (s_row_entry). */
    [S_READ_ENTRIES] = "SELECT j.pos, j.entity, j.shard, j.prev_pos,"
                       " j.first_seq, j.event_count, j.outcome, j.written_ms,"
                       " j.command_id, j.reply, j.events, j.imported"
                       " FROM shoal_positions(?1, ?2) AS p"
                       " CROSS JOIN journal AS j ON j.pos = p.value",
    [S_READ_SNAPSHOT] = "SELECT seq, pos, state, dedup FROM snapshots"
                        " WHERE entity = ?1",
    [S_BEGIN_READ] = "BEGIN DEFERRED",
    [S_SCAN] = "SELECT pos, event_count, imported, entity, shard, prev_pos,"
               " first_seq, outcome, written_ms, command_id, reply, events"
               " FROM journal WHERE pos > ?1 ORDER BY pos",
    [S_LAST_POS] = "SELECT max(pos) FROM journal",
};

struct shoal_journal {
    sqlite3 *db;
    char *path;
    bool read_only;
    bool in_transaction;
    sqlite3_stmt *stmt[S_STATEMENT_COUNT];
};

/* Sets *error from the connection's last error, naming the operation. */
static void s_error(shoal_journal_t *self, char **error, const char *what)
{
    shoal__error_set(error, "%s: %s: %s", self->path, what,
                     sqlite3_errmsg(self->db));
}

/* Runs one statement of the fixed set with no parameters and no rows. */
static int s_step_done(shoal_journal_t *self, int which, char **error)
{
    sqlite3_stmt *stmt = self->stmt[which];
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) {
        s_error(self, error, s_sql[which]);
        return -1;
    }
    return 0;
}

/* Applies the connection pragmas: WAL, durability. Switching to WAL
 * rewrites the file's header, so this runs only once the schema check
 * has found the file to be a shoal journal. */
static int s_configure(shoal_journal_t *self, shoal_durability_t durability,
                       char **error)
{
    const char *pragmas =
        durability == SHOAL_DURABILITY_FULL
            ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
            : "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";
    if (self->read_only)
        pragmas = "PRAGMA query_only = 1; PRAGMA mmap_size = 1073741824;";
    char *message = NULL;
    if (sqlite3_exec(self->db, pragmas, NULL, NULL, &message) != SQLITE_OK) {
        shoal__error_set(error, "%s: cannot configure: %s", self->path,
                         message ? message : sqlite3_errmsg(self->db));
        sqlite3_free(message);
        return -1;
    }
    return 0;
}

shoal_journal_t *shoal_journal_open(const char *path,
                                    shoal_durability_t durability,
                                    bool read_only, char **error)
{
    assert(path);
    shoal_journal_t *self = calloc(1, sizeof *self);
    if (!self || !(self->path = strdup(path))) {
        free(self);
        shoal__error_set(error, "%s: out of memory", path);
        return NULL;
    }
    self->read_only = read_only;
    int flags = SQLITE_OPEN_NOMUTEX |
                (read_only ? SQLITE_OPEN_READONLY
                           : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path, &self->db, flags, NULL) != SQLITE_OK) {
        shoal__error_set(error, "%s: cannot open journal: %s", path,
                         self->db ? sqlite3_errmsg(self->db) : "out of memory");
        goto out_close;
    }
    sqlite3_extended_result_codes(self->db, 1);
    sqlite3_busy_timeout(self->db, 10000);
    if (shoal__schema_prepare(self->db, path, read_only, error) < 0)
        goto out_close;
    if (s_configure(self, durability, error) < 0)
        goto out_close;
    if (shoal__positions_register(self->db) != SQLITE_OK) {
        s_error(self, error, "cannot register shoal_positions");
        goto out_close;
    }
    for (int i = 0; i < S_STATEMENT_COUNT; i++) {
        if (sqlite3_prepare_v3(self->db, s_sql[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &self->stmt[i],
                               NULL) != SQLITE_OK) {
            s_error(self, error, "cannot prepare statement");
            goto out_close;
        }
    }
    return self;

out_close:
    shoal_journal_close(&self);
    return NULL;
}

void shoal_journal_close(shoal_journal_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_journal_t *self = *self_p;
    if (self->in_transaction)
        shoal_journal_rollback(self);
    for (int i = 0; i < S_STATEMENT_COUNT; i++)
        sqlite3_finalize(self->stmt[i]);
    sqlite3_close(self->db);
    free(self->path);
    free(self);
    *self_p = NULL;
}

sqlite3 *shoal__journal_db(shoal_journal_t *self)
{
    return self->db;
}

const char *shoal__journal_path(const shoal_journal_t *self)
{
    return self->path;
}

int shoal_journal_begin_read(shoal_journal_t *self, char **error)
{
    assert(!self->in_transaction);
    if (s_step_done(self, S_BEGIN_READ, error) < 0)
        return -1;
    self->in_transaction = true;
    return 0;
}

void shoal_journal_end_read(shoal_journal_t *self)
{
    if (!self->in_transaction)
        return;
    if (sqlite3_get_autocommit(self->db) == 0)
        s_step_done(self, S_COMMIT, NULL);
    self->in_transaction = false;
}

int shoal_journal_begin(shoal_journal_t *self, char **error)
{
    assert(!self->read_only && !self->in_transaction);
    if (s_step_done(self, S_BEGIN, error) < 0)
        return -1;
    self->in_transaction = true;
    return 0;
}

/* Binds a blob, NULL when empty. */
static int s_bind_blob(sqlite3_stmt *stmt, int index, const void *data,
                       size_t size)
{
    if (!data || size == 0)
        return sqlite3_bind_zeroblob(stmt, index, 0);
    return sqlite3_bind_blob64(stmt, index, data, size, SQLITE_STATIC);
}

int shoal_journal_append(shoal_journal_t *self, shoal_journal_entry_t *entry,
                         char **error)
{
    assert(self->in_transaction);
    sqlite3_stmt *stmt = self->stmt[S_APPEND];
    sqlite3_bind_text(stmt, 1, entry->entity, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, entry->shard);
    sqlite3_bind_int64(stmt, 3, entry->prev_pos);
    sqlite3_bind_int64(stmt, 4, (sqlite3_int64)entry->first_seq);
    sqlite3_bind_int64(stmt, 5, entry->event_count);
    sqlite3_bind_int(stmt, 6, (int)entry->outcome);
    sqlite3_bind_int64(stmt, 7, entry->written_ms);
    if (entry->command_id)
        sqlite3_bind_text(stmt, 8, entry->command_id, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, 8);
    s_bind_blob(stmt, 9, entry->reply, entry->reply_size);
    s_bind_blob(stmt, 10, entry->events, entry->events_size);
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_DONE) {
        s_error(self, error, "cannot append entry");
        return -1;
    }
    entry->pos = sqlite3_last_insert_rowid(self->db);
    return 0;
}

int shoal_journal_save_snapshot(shoal_journal_t *self, const char *entity,
                                const shoal_snapshot_t *snapshot, char **error)
{
    assert(self->in_transaction);
    sqlite3_stmt *stmt = self->stmt[S_SAVE_SNAPSHOT];
    sqlite3_bind_text(stmt, 1, entity, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)snapshot->seq);
    sqlite3_bind_int64(stmt, 3, snapshot->pos);
    s_bind_blob(stmt, 4, snapshot->state, snapshot->state_size);
    s_bind_blob(stmt, 5, snapshot->dedup, snapshot->dedup_size);
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_DONE) {
        s_error(self, error, "cannot save snapshot");
        return -1;
    }
    return 0;
}

int shoal_journal_save_head(shoal_journal_t *self, const char *entity,
                            int64_t pos, char **error)
{
    assert(self->in_transaction);
    sqlite3_stmt *stmt = self->stmt[S_SAVE_HEAD];
    sqlite3_bind_text(stmt, 1, entity, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, pos);
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) {
        s_error(self, error, "cannot save entity head");
        return -1;
    }
    return 0;
}

/* Saves one meta value in the open transaction. */
static int s_save_meta(shoal_journal_t *self, const char *key, int64_t value,
                       char **error)
{
    sqlite3_stmt *stmt = self->stmt[S_SAVE_META];
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, value);
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) {
        s_error(self, error, "cannot save checkpoint");
        return -1;
    }
    return 0;
}

int shoal_journal_save_checkpoint(shoal_journal_t *self, int64_t pos,
                                  const shoal_journal_totals_t *totals,
                                  char **error)
{
    assert(self->in_transaction);
    if (s_save_meta(self, "checkpoint_pos", pos, error) < 0 ||
        s_save_meta(self, "entries", (int64_t)totals->entries, error) < 0 ||
        s_save_meta(self, "events", (int64_t)totals->events, error) < 0 ||
        s_save_meta(self, "bytes", (int64_t)totals->bytes, error) < 0)
        return -1;
    return 0;
}

int shoal_journal_commit(shoal_journal_t *self, char **error)
{
    assert(self->in_transaction);
    if (s_step_done(self, S_COMMIT, error) < 0) {
        shoal_journal_rollback(self);
        return -1;
    }
    self->in_transaction = false;
    return 0;
}

void shoal_journal_rollback(shoal_journal_t *self)
{
    if (!self->in_transaction)
        return;
    if (sqlite3_get_autocommit(self->db) == 0)
        s_step_done(self, S_ROLLBACK, NULL);
    self->in_transaction = false;
}

/* Reads the meta value of key into *value (left as is when absent). */
static int s_read_meta(shoal_journal_t *self, const char *key, int64_t *value,
                       char **error)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(self->db, "SELECT value FROM meta WHERE key = ?1",
                           -1, &stmt, NULL) != SQLITE_OK) {
        s_error(self, error, "cannot read meta");
        return -1;
    }
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        s_error(self, error, "cannot read meta");
        return -1;
    }
    return 0;
}

/* Runs a query of (entity, pos, ...) rows, calling visit for each; when
 * totals is non-NULL the rows also carry event_count and sizes to add. */
static int s_visit_rows(shoal_journal_t *self, const char *sql, int64_t after,
                        void (*visit)(const char *, int64_t, void *), void *arg,
                        shoal_journal_totals_t *totals, int64_t *last_pos,
                        char **error)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        s_error(self, error, "cannot load entity heads");
        return -1;
    }
    if (sqlite3_bind_parameter_count(stmt) > 0)
        sqlite3_bind_int64(stmt, 1, after);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *entity = (const char *)sqlite3_column_text(stmt, 0);
        int64_t pos = sqlite3_column_int64(stmt, 1);
        if (entity && *entity) /* a hole has none */
            visit(entity, pos, arg);
        if (totals) {
            totals->entries++;
            totals->events += (uint64_t)sqlite3_column_int64(stmt, 2);
            totals->bytes += (uint64_t)sqlite3_column_int64(stmt, 3);
            *last_pos = pos;
        }
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        s_error(self, error, "cannot load entity heads");
        return -1;
    }
    return 0;
}

int shoal_journal_load_heads(shoal_journal_t *self,
                             void (*visit)(const char *entity, int64_t pos,
                                           void *arg),
                             void *arg, shoal_journal_totals_t *totals,
                             int64_t *last_pos, char **error)
{
    int64_t checkpoint = 0, entries = 0, events = 0, bytes = 0;
    if (s_read_meta(self, "checkpoint_pos", &checkpoint, error) < 0 ||
        s_read_meta(self, "entries", &entries, error) < 0 ||
        s_read_meta(self, "events", &events, error) < 0 ||
        s_read_meta(self, "bytes", &bytes, error) < 0)
        return -1;
    totals->entries = (uint64_t)entries;
    totals->events = (uint64_t)events;
    totals->bytes = (uint64_t)bytes;
    *last_pos = checkpoint;
    if (s_visit_rows(self, "SELECT entity, pos FROM heads", 0, visit, arg, NULL,
                     NULL, error) < 0)
        return -1;
    return s_visit_rows(self,
                        "SELECT entity, pos, event_count,"
                        " length(events) + length(reply) FROM journal"
                        " WHERE pos > ?1 ORDER BY pos",
                        checkpoint, visit, arg, totals, last_pos, error);
}

/* Returns a malloc'd copy of a column's bytes (NUL-terminated), or NULL
 * when the column is NULL or empty. */
static void *s_column_copy(sqlite3_stmt *stmt, int column, size_t *size)
{
    const void *data = sqlite3_column_blob(stmt, column);
    int length = sqlite3_column_bytes(stmt, column);
    if (size)
        *size = (size_t)length;
    if (!data)
        return NULL;
    char *copy = malloc((size_t)length + 1);
    if (!copy)
        return NULL;
    memcpy(copy, data, (size_t)length);
    copy[length] = '\0';
    return copy;
}

/* Copies size bytes and a NUL to *cursor, advancing it; returns the copy,
 * or NULL when data is NULL. */
static const void *s_put(char **cursor, const void *data, size_t size)
{
    if (!data)
        return NULL;
    char *copy = *cursor;
    if (size)
        memcpy(copy, data, size);
    copy[size] = '\0';
    *cursor += size + 1;
    return copy;
}

int shoal_journal_entry_copy(shoal_journal_entry_t *to,
                             const shoal_journal_entry_t *from)
{
    size_t entity_size = strlen(from->entity);
    size_t id_size = from->command_id ? strlen(from->command_id) : 0;
    char *block = malloc(entity_size + 1 + id_size + 1 + from->reply_size + 1 +
                         from->events_size + 1);
    if (!block) {
        memset(to, 0, sizeof *to);
        return -1;
    }
    *to = *from;
    char *cursor = block;
    to->entity = s_put(&cursor, from->entity, entity_size);
    to->command_id = s_put(&cursor, from->command_id, id_size);
    to->reply = s_put(&cursor, from->reply, from->reply_size);
    to->events = s_put(&cursor, from->events, from->events_size);
    return 0;
}

/* The entry of the current row of S_READ_ENTRY or S_READ_ENTRIES, its
 * pointers into the row (valid until the next step or reset). */
static shoal_journal_entry_t s_row_entry(sqlite3_stmt *stmt)
{
    return (shoal_journal_entry_t){
        .pos = sqlite3_column_int64(stmt, 0),
        .entity = (const char *)sqlite3_column_text(stmt, 1),
        .shard = (uint32_t)sqlite3_column_int64(stmt, 2),
        .prev_pos = sqlite3_column_int64(stmt, 3),
        .first_seq = (uint64_t)sqlite3_column_int64(stmt, 4),
        .event_count = (uint32_t)sqlite3_column_int64(stmt, 5),
        .outcome = (shoal_outcome_t)sqlite3_column_int(stmt, 6),
        .written_ms = sqlite3_column_int64(stmt, 7),
        .command_id = (const char *)sqlite3_column_text(stmt, 8),
        .reply = sqlite3_column_blob(stmt, 9),
        .reply_size = (size_t)sqlite3_column_bytes(stmt, 9),
        .events = sqlite3_column_blob(stmt, 10),
        .events_size = (size_t)sqlite3_column_bytes(stmt, 10),
        .imported = sqlite3_column_int(stmt, 11) != 0,
    };
}

int shoal_journal_read_entry(shoal_journal_t *self, int64_t pos,
                             shoal_journal_entry_t *entry, char **error)
{
    sqlite3_stmt *stmt = self->stmt[S_READ_ENTRY];
    memset(entry, 0, sizeof *entry);
    sqlite3_bind_int64(stmt, 1, pos);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        /* The columns are read in place, then copied in one allocation. */
        shoal_journal_entry_t row = s_row_entry(stmt);
        if (!row.entity || shoal_journal_entry_copy(entry, &row) < 0) {
            sqlite3_reset(stmt);
            shoal__error_set(error, "%s: entry %lld: %s", self->path,
                             (long long)pos,
                             row.entity ? "out of memory" : "no entity");
            return -1;
        }
    }
    sqlite3_reset(stmt);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW) {
        s_error(self, error, "cannot read entry");
        return -1;
    }
    return 1;
}

int shoal_journal_read_entries(shoal_journal_t *self, const int64_t *positions,
                               size_t count,
                               void (*visit)(const shoal_journal_entry_t *entry,
                                             void *arg),
                               void *arg, char **error)
{
    assert(visit && (positions || count == 0));
    if (count == 0)
        return 0;
    sqlite3_stmt *stmt = self->stmt[S_READ_ENTRIES];
    if (shoal__positions_bind(stmt, 1, positions, count) != SQLITE_OK) {
        s_error(self, error, "cannot bind positions");
        return -1;
    }
    int visited = 0, rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        shoal_journal_entry_t entry = s_row_entry(stmt);
        if (!entry.entity) /* defensive: the column is NOT NULL */
            continue;
        visit(&entry, arg);
        if (visited < INT_MAX)
            visited++;
    }
    if (rc != SQLITE_DONE)
        s_error(self, error, "cannot read entries");
    sqlite3_reset(stmt);
    /* The array is the caller's: no binding may outlive the call. */
    sqlite3_clear_bindings(stmt);
    return rc == SQLITE_DONE ? visited : -1;
}

int shoal_journal_scan(shoal_journal_t *self, int64_t after_pos, size_t limit,
                       int (*visit)(const shoal_journal_entry_t *entry,
                                    void *arg),
                       void *arg, int64_t *last_pos, char **error)
{
    assert(visit && last_pos);
    if (limit > INT_MAX)
        limit = INT_MAX;
    *last_pos = after_pos;
    if (limit == 0)
        return 0;
    /* One statement, so one snapshot of the journal: an entry committed
     * meanwhile by another connection is either seen or left for the next
     * scan, never stepped over by *last_pos. */
    sqlite3_stmt *stmt = self->stmt[S_SCAN];
    sqlite3_bind_int64(stmt, 1, after_pos);
    size_t visited = 0;
    int rc = SQLITE_DONE;
    while (visited < limit && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t pos = sqlite3_column_int64(stmt, 0);
        uint32_t event_count = (uint32_t)sqlite3_column_int64(stmt, 1);
        /* Imported entries were handled where they were written. */
        if (event_count == 0 || sqlite3_column_int(stmt, 2) != 0) {
            *last_pos = pos;
            continue;
        }
        shoal_journal_entry_t entry = {
            .pos = pos,
            .event_count = event_count,
            .entity = (const char *)sqlite3_column_text(stmt, 3),
            .shard = (uint32_t)sqlite3_column_int64(stmt, 4),
            .prev_pos = sqlite3_column_int64(stmt, 5),
            .first_seq = (uint64_t)sqlite3_column_int64(stmt, 6),
            .outcome = (shoal_outcome_t)sqlite3_column_int(stmt, 7),
            .written_ms = sqlite3_column_int64(stmt, 8),
            .command_id = (const char *)sqlite3_column_text(stmt, 9),
            .reply = sqlite3_column_blob(stmt, 10),
            .reply_size = (size_t)sqlite3_column_bytes(stmt, 10),
            .events = sqlite3_column_blob(stmt, 11),
            .events_size = (size_t)sqlite3_column_bytes(stmt, 11),
        };
        if (!entry.entity) { /* defensive: the column is NOT NULL */
            sqlite3_reset(stmt);
            shoal__error_set(error, "%s: entry %lld: no entity", self->path,
                             (long long)pos);
            return -1;
        }
        if (visit(&entry, arg) != 0) {
            rc = SQLITE_DONE;
            break;
        }
        *last_pos = pos;
        visited++;
    }
    if (visited == limit)
        rc = SQLITE_DONE;
    if (rc != SQLITE_DONE)
        s_error(self, error, "cannot scan entries");
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? (int)visited : -1;
}

/* Runs sql with ?1 bound to value. Returns the rows it changed, or -1
 * with *error set. */
static int64_t s_change(shoal_journal_t *self, const char *sql, int64_t value,
                        char **error)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        s_error(self, error, sql);
        return -1;
    }
    sqlite3_bind_int64(stmt, 1, value);
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE)
        s_error(self, error, sql);
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? sqlite3_changes64(self->db) : -1;
}

int64_t shoal__journal_delete_shard(shoal_journal_t *self, uint32_t shard,
                                    bool imported_only, char **error)
{
    assert(self->in_transaction);
    int64_t last = 0, left = 0;
    if (shoal_journal_last_pos(self, &last, error) < 0)
        return -1;
    int64_t deleted = s_change(
        self,
        imported_only ? "DELETE FROM journal WHERE shard = ?1 AND imported = 1"
                      : "DELETE FROM journal WHERE shard = ?1",
        shard, error);
    if (deleted < 0 || shoal_journal_last_pos(self, &left, error) < 0)
        return -1;
    if (left < last &&
        s_change(self,
                 "INSERT INTO journal (pos, entity, shard, prev_pos,"
                 " first_seq, event_count, outcome, written_ms)"
                 " VALUES (?1, '', -1, 0, 0, 0, 0, 0)",
                 last, error) < 0)
        return -1;
    return deleted;
}

int shoal_journal_last_pos(shoal_journal_t *self, int64_t *pos, char **error)
{
    sqlite3_stmt *stmt = self->stmt[S_LAST_POS];
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *pos = sqlite3_column_int64(stmt, 0); /* NULL, so 0, when empty */
    else
        s_error(self, error, "cannot read the last position");
    sqlite3_reset(stmt);
    return rc == SQLITE_ROW ? 0 : -1;
}

void shoal_journal_entry_clear(shoal_journal_entry_t *entry)
{
    free((void *)entry->entity); /* the one block of the copy */
    memset(entry, 0, sizeof *entry);
}

int shoal_journal_read_snapshot(shoal_journal_t *self, const char *entity,
                                shoal_snapshot_t *snapshot, char **error)
{
    sqlite3_stmt *stmt = self->stmt[S_READ_SNAPSHOT];
    memset(snapshot, 0, sizeof *snapshot);
    sqlite3_bind_text(stmt, 1, entity, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        snapshot->seq = (uint64_t)sqlite3_column_int64(stmt, 0);
        snapshot->pos = sqlite3_column_int64(stmt, 1);
        snapshot->state = s_column_copy(stmt, 2, &snapshot->state_size);
        snapshot->dedup = s_column_copy(stmt, 3, &snapshot->dedup_size);
    }
    sqlite3_reset(stmt);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW) {
        s_error(self, error, "cannot read snapshot");
        return -1;
    }
    return 1;
}

void shoal_snapshot_clear(shoal_snapshot_t *snapshot)
{
    free(snapshot->state);
    free(snapshot->dedup);
    memset(snapshot, 0, sizeof *snapshot);
}

int shoal_journal_bind_setting(shoal_journal_t *self, const char *name,
                               int64_t value, char **error)
{
    char key[80];
    snprintf(key, sizeof key, "setting.%s", name);
    int64_t recorded = INT64_MIN;
    if (s_read_meta(self, key, &recorded, error) < 0)
        return -1;
    if (recorded == value)
        return 0;
    if (recorded != INT64_MIN) {
        shoal__error_set(error,
                         "%s: the journal was created with %s = %lld; it "
                         "cannot be opened with %s = %lld",
                         self->path, name, (long long)recorded, name,
                         (long long)value);
        return -1;
    }
    if (shoal_journal_begin(self, error) < 0)
        return -1;
    if (s_save_meta(self, key, value, error) < 0) {
        shoal_journal_rollback(self);
        return -1;
    }
    return shoal_journal_commit(self, error);
}
