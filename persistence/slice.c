/*
 * persistence/slice.c - exporting a shard's slice of the journal, and
 * dropping it or measuring it (see slice.h); the import is in
 * slice_import.c.
 *
 * The export steps one statement per kind of row, inside the read
 * transaction opened at its start, and leaves each statement on its row
 * between chunks. Each row is written as a record into a scratch buffer
 * first: when it does not fit in the chunk being made, it waits there and
 * opens the next chunk.
 *
 * Snapshots, heads, timers and dead letters have no shard column; they
 * are found through the shard function (cluster/shard.h), which the
 * statements call as the SQL function shoal_shard_of(key, shards) or
 * shoal_shard_of(type, entity_id, shards).
 */
#include "persistence/slice.h"
#include "cluster/shard.h"
#include "persistence/journal_internal.h"
#include "persistence/schema.h"
#include "persistence/slice_format.h"

#include <assert.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SQL function shoal_shard_of: NULL for a key that is not "type/id"
 * or for fewer than one shard. */
static void s_shard_function(sqlite3_context *context, int argc,
                             sqlite3_value **argv)
{
    sqlite3_int64 shards = sqlite3_value_int64(argv[argc - 1]);
    const char *first = (const char *)sqlite3_value_text(argv[0]);
    const char *id = argc == 3 ? (const char *)sqlite3_value_text(argv[1]) : "";
    if (!first || !id || shards < 1 || shards > UINT32_MAX) {
        sqlite3_result_null(context);
        return;
    }
    int64_t shard = argc == 3
                        ? shoal_shard_of(first, id, (uint32_t)shards)
                        : shoal__slice_shard_of_key(first, (uint32_t)shards);
    if (shard < 0)
        sqlite3_result_null(context);
    else
        sqlite3_result_int64(context, shard);
}

/* Makes shoal_shard_of callable on journal's connection. */
static int s_register_shard_function(shoal_journal_t *journal, char **error)
{
    sqlite3 *db = shoal__journal_db(journal);
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY;
    if (sqlite3_create_function_v2(db, "shoal_shard_of", 2, flags, NULL,
                                   s_shard_function, NULL, NULL,
                                   NULL) != SQLITE_OK ||
        sqlite3_create_function_v2(db, "shoal_shard_of", 3, flags, NULL,
                                   s_shard_function, NULL, NULL,
                                   NULL) != SQLITE_OK) {
        shoal__error_set(error, "%s: cannot define shoal_shard_of: %s",
                         shoal__journal_path(journal), sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

/* Prepares sql on journal's connection and binds shard to ?1 and shards
 * to ?2 when it has them. Returns the statement, or NULL with *error. */
static sqlite3_stmt *s_prepare(shoal_journal_t *journal, const char *sql,
                               uint32_t shard, uint32_t shards, char **error)
{
    sqlite3 *db = shoal__journal_db(journal);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        shoal__error_set(error, "%s: cannot prepare \"%s\": %s",
                         shoal__journal_path(journal), sql, sqlite3_errmsg(db));
        return NULL;
    }
    int parameters = sqlite3_bind_parameter_count(stmt);
    if (parameters >= 1)
        sqlite3_bind_int64(stmt, 1, shard);
    if (parameters >= 2)
        sqlite3_bind_int64(stmt, 2, shards);
    return stmt;
}

/* ---------------------------------------------------------------------
 * Export
 */

typedef enum {
    E_ENTRIES,
    E_SNAPSHOTS,
    E_TOPIC_EVENTS,
    E_TIMERS,
    E_DEAD_LETTERS,
    E_END,
    E_DONE,
} s_phase_t;

/* One statement per phase before E_END, in stream order. The entries go
 * through the rowid table whole: there is no index on shard. */
static const char *const s_export_sql[E_END] = {
    [E_ENTRIES] = "SELECT pos, prev_pos, first_seq, event_count, outcome,"
                  " written_ms, entity, command_id, reply, events"
                  " FROM journal WHERE shard = ?1 ORDER BY pos",
    [E_SNAPSHOTS] = "SELECT entity, seq, pos, state, dedup FROM snapshots"
                    " WHERE shoal_shard_of(entity, ?2) = ?1 ORDER BY entity",
    [E_TOPIC_EVENTS] = "SELECT topic, seq, entity, written_ms, payload"
                       " FROM topic_events WHERE shard = ?1"
                       " ORDER BY topic, seq",
    [E_TIMERS] = "SELECT id, due_ms, type, entity_id, command, payload"
                 " FROM timers WHERE shoal_shard_of(type, entity_id, ?2) = ?1"
                 " ORDER BY id",
    [E_DEAD_LETTERS] = "SELECT id, policy, pos, event_index, entity, seq,"
                       " attempts, error, parked_ms FROM dead_letters"
                       " WHERE shoal_shard_of(entity, ?2) = ?1 ORDER BY id",
};

struct shoal_slice_export {
    shoal_journal_t *journal; /* borrowed */
    uint32_t shard;
    uint32_t shards;
    size_t chunk_bytes;
    s_phase_t phase;
    sqlite3_stmt *stmt[E_END];
    shoal_slice_buffer_t chunk;   /* the chunk being made */
    shoal_slice_buffer_t waiting; /* a record for the next chunk, or empty */
    uint32_t index;               /* of the next chunk */
    shoal_slice_counts_t counts;
    bool reading; /* the read transaction is open */
    bool failed;
};

/* Ends the read transaction (the statements are reset first). */
static void s_export_stop_reading(shoal_slice_export_t *self)
{
    for (int i = 0; i < E_END; i++)
        if (self->stmt[i])
            sqlite3_reset(self->stmt[i]);
    if (self->reading)
        shoal_journal_end_read(self->journal);
    self->reading = false;
}

void shoal_slice_export_destroy(shoal_slice_export_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_slice_export_t *self = *self_p;
    s_export_stop_reading(self);
    for (int i = 0; i < E_END; i++)
        sqlite3_finalize(self->stmt[i]);
    free(self->chunk.data);
    free(self->waiting.data);
    free(self);
    *self_p = NULL;
}

shoal_slice_export_t *shoal_slice_export_begin(shoal_journal_t *journal,
                                               uint32_t shard, uint32_t shards,
                                               char **error)
{
    assert(journal && shards >= 1 && shard < shards);
    shoal_slice_export_t *self = calloc(1, sizeof *self);
    if (!self) {
        shoal__error_set(error, "%s: out of memory",
                         shoal__journal_path(journal));
        return NULL;
    }
    *self = (shoal_slice_export_t){.journal = journal,
                                   .shard = shard,
                                   .shards = shards,
                                   .chunk_bytes = SHOAL_SLICE_CHUNK_BYTES};
    if (s_register_shard_function(journal, error) < 0)
        goto out_destroy;
    for (int i = 0; i < E_END; i++)
        if (!(self->stmt[i] =
                  s_prepare(journal, s_export_sql[i], shard, shards, error)))
            goto out_destroy;
    if (shoal_journal_begin_read(journal, error) < 0)
        goto out_destroy;
    self->reading = true;
    /* A WAL read transaction takes its snapshot at its first read: take
     * it now, so that the export is the journal as of its beginning. */
    sqlite3_stmt *first =
        s_prepare(journal, "SELECT count(*) FROM meta", shard, shards, error);
    int rc = first ? sqlite3_step(first) : SQLITE_ERROR;
    sqlite3_finalize(first);
    if (rc != SQLITE_ROW) {
        if (first)
            shoal__error_set(error, "%s: cannot start the export: %s",
                             shoal__journal_path(journal),
                             sqlite3_errmsg(shoal__journal_db(journal)));
        goto out_destroy;
    }
    return self;

out_destroy:
    shoal_slice_export_destroy(&self);
    return NULL;
}

void shoal_slice_export_set_chunk_bytes(shoal_slice_export_t *self,
                                        size_t bytes)
{
    self->chunk_bytes = bytes ? bytes : 1;
}

/* Fills record from the row stmt is on, for phase. */
static void s_record_of_row(s_phase_t phase, sqlite3_stmt *stmt,
                            shoal_slice_record_t *record)
{
    memset(record, 0, sizeof *record);
    switch (phase) {
    case E_ENTRIES:
        record->kind = SHOAL_SLICE_ENTRY;
        record->as.entry = (shoal_journal_entry_t){
            .pos = sqlite3_column_int64(stmt, 0),
            .prev_pos = sqlite3_column_int64(stmt, 1),
            .first_seq = (uint64_t)sqlite3_column_int64(stmt, 2),
            .event_count = (uint32_t)sqlite3_column_int64(stmt, 3),
            .outcome = (shoal_outcome_t)sqlite3_column_int(stmt, 4),
            .written_ms = sqlite3_column_int64(stmt, 5),
            .entity = (const char *)sqlite3_column_text(stmt, 6),
            .command_id = (const char *)sqlite3_column_text(stmt, 7),
            .reply = sqlite3_column_blob(stmt, 8),
            .reply_size = (size_t)sqlite3_column_bytes(stmt, 8),
            .events = sqlite3_column_blob(stmt, 9),
            .events_size = (size_t)sqlite3_column_bytes(stmt, 9),
        };
        break;
    case E_SNAPSHOTS:
        record->kind = SHOAL_SLICE_SNAPSHOT;
        record->as.snapshot.entity = (const char *)sqlite3_column_text(stmt, 0);
        record->as.snapshot.snapshot = (shoal_snapshot_t){
            .seq = (uint64_t)sqlite3_column_int64(stmt, 1),
            .pos = sqlite3_column_int64(stmt, 2),
            .state = (void *)sqlite3_column_blob(stmt, 3),
            .state_size = (size_t)sqlite3_column_bytes(stmt, 3),
            .dedup = (void *)sqlite3_column_blob(stmt, 4),
            .dedup_size = (size_t)sqlite3_column_bytes(stmt, 4),
        };
        break;
    case E_TOPIC_EVENTS:
        record->kind = SHOAL_SLICE_TOPIC_EVENT;
        record->as.topic_event = (shoal_topic_event_t){
            .topic = (const char *)sqlite3_column_text(stmt, 0),
            .seq = (uint64_t)sqlite3_column_int64(stmt, 1),
            .entity = (const char *)sqlite3_column_text(stmt, 2),
            .written_ms = sqlite3_column_int64(stmt, 3),
            .payload = sqlite3_column_blob(stmt, 4),
            .payload_size = (size_t)sqlite3_column_bytes(stmt, 4),
        };
        break;
    case E_TIMERS:
        record->kind = SHOAL_SLICE_TIMER;
        record->as.timer = (shoal_timer_row_t){
            .id = (const char *)sqlite3_column_text(stmt, 0),
            .due_ms = sqlite3_column_int64(stmt, 1),
            .type = (const char *)sqlite3_column_text(stmt, 2),
            .entity_id = (const char *)sqlite3_column_text(stmt, 3),
            .command = (const char *)sqlite3_column_text(stmt, 4),
            .payload = sqlite3_column_blob(stmt, 5),
            .payload_size = (size_t)sqlite3_column_bytes(stmt, 5),
        };
        break;
    case E_DEAD_LETTERS:
        record->kind = SHOAL_SLICE_DEAD_LETTER;
        record->as.dead_letter = (shoal_dead_letter_t){
            .id = sqlite3_column_int64(stmt, 0),
            .policy = (const char *)sqlite3_column_text(stmt, 1),
            .pos = sqlite3_column_int64(stmt, 2),
            .event_index = (uint32_t)sqlite3_column_int64(stmt, 3),
            .entity = (const char *)sqlite3_column_text(stmt, 4),
            .seq = (uint64_t)sqlite3_column_int64(stmt, 5),
            .attempts = (uint32_t)sqlite3_column_int64(stmt, 6),
            .error = (const char *)sqlite3_column_text(stmt, 7),
            .parked_ms = sqlite3_column_int64(stmt, 8),
        };
        break;
    default: /* E_END and E_DONE make no rows */
        assert(false);
    }
}

static void s_count(shoal_slice_counts_t *counts, shoal_slice_kind_t kind)
{
    switch (kind) {
    case SHOAL_SLICE_ENTRY:
        counts->entries++;
        break;
    case SHOAL_SLICE_SNAPSHOT:
        counts->snapshots++;
        break;
    case SHOAL_SLICE_TOPIC_EVENT:
        counts->topic_events++;
        break;
    case SHOAL_SLICE_TIMER:
        counts->timers++;
        break;
    case SHOAL_SLICE_DEAD_LETTER:
        counts->dead_letters++;
        break;
    default:
        break;
    }
}

/* Writes the next record of the stream into self->waiting: 1 when there
 * is one, 0 when the stream is over, -1 with *error set. */
static int s_export_record(shoal_slice_export_t *self, char **error)
{
    const char *path = shoal__journal_path(self->journal);
    shoal_slice_record_t record;
    while (self->phase < E_END) {
        sqlite3_stmt *stmt = self->stmt[self->phase];
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) {
            sqlite3_reset(stmt);
            self->phase++;
            continue;
        }
        if (rc != SQLITE_ROW) {
            shoal__error_set(error, "%s: cannot export shard %u: %s", path,
                             (unsigned)self->shard,
                             sqlite3_errmsg(shoal__journal_db(self->journal)));
            return -1;
        }
        s_record_of_row(self->phase, stmt, &record);
        goto out_write;
    }
    if (self->phase == E_DONE)
        return 0;
    record =
        (shoal_slice_record_t){.kind = SHOAL_SLICE_END, .as.end = self->counts};
    self->phase = E_DONE;

out_write:
    self->waiting.size = 0;
    if (shoal__slice_append_record(&self->waiting, &record) < 0) {
        shoal__error_set(error,
                         "%s: shard %u: cannot export a %s record: out of "
                         "memory, or a field of 4 GiB or more",
                         path, (unsigned)self->shard,
                         shoal__slice_kind_name(record.kind));
        return -1;
    }
    s_count(&self->counts, record.kind);
    return 1;
}

int shoal_slice_export_next(shoal_slice_export_t *self, void **chunk,
                            size_t *size, char **error)
{
    assert(chunk && size);
    *chunk = NULL;
    *size = 0;
    if (self->failed) {
        shoal__error_set(error, "%s: the export of shard %u failed before",
                         shoal__journal_path(self->journal),
                         (unsigned)self->shard);
        return -1;
    }
    if (self->phase == E_DONE && self->waiting.size == 0) {
        s_export_stop_reading(self);
        return 0;
    }
    if (shoal__slice_chunk_start(&self->chunk) < 0)
        goto out_memory;
    size_t records = 0;
    for (;;) {
        if (self->waiting.size == 0) {
            int made = s_export_record(self, error);
            if (made < 0)
                goto out_failed;
            if (made == 0)
                break;
        }
        if (records > 0 &&
            self->chunk.size + self->waiting.size > self->chunk_bytes)
            break; /* it waits for the next chunk */
        if (shoal__slice_append_bytes(&self->chunk, &self->waiting) < 0)
            goto out_memory;
        self->waiting.size = 0;
        records++;
    }
    shoal__slice_chunk_seal(&self->chunk, self->shard, self->shards,
                            self->index++);
    *chunk = self->chunk.data;
    *size = self->chunk.size;
    self->chunk = (shoal_slice_buffer_t){0};
    if (self->phase == E_DONE && self->waiting.size == 0)
        s_export_stop_reading(self);
    return 1;

out_memory:
    shoal__error_set(error, "%s: shard %u: out of memory making a chunk",
                     shoal__journal_path(self->journal), (unsigned)self->shard);
out_failed:
    self->failed = true;
    s_export_stop_reading(self);
    return -1;
}

/* ---------------------------------------------------------------------
 * Drop, stats and heads
 */

/* Runs one statement of no rows. Returns 0, or -1 with *error set. */
static int s_run(shoal_journal_t *journal, const char *sql, uint32_t shard,
                 uint32_t shards, char **error)
{
    sqlite3_stmt *stmt = s_prepare(journal, sql, shard, shards, error);
    if (!stmt)
        return -1;
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE)
        shoal__error_set(error, "%s: shard %u: \"%s\" failed: %s",
                         shoal__journal_path(journal), (unsigned)shard, sql,
                         sqlite3_errmsg(shoal__journal_db(journal)));
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}

int shoal_slice_drop(shoal_journal_t *journal, uint32_t shard, uint32_t shards,
                     char **error)
{
    assert(journal && shards >= 1 && shard < shards);
    static const char *const drops[] = {
        "DELETE FROM snapshots WHERE shoal_shard_of(entity, ?2) = ?1",
        "DELETE FROM heads WHERE shoal_shard_of(entity, ?2) = ?1",
        "DELETE FROM topic_events WHERE shard = ?1",
        "DELETE FROM timers WHERE shoal_shard_of(type, entity_id, ?2) = ?1",
        "DELETE FROM dead_letters WHERE shoal_shard_of(entity, ?2) = ?1",
        "DELETE FROM meta WHERE key = 'slice_import.' || ?1",
    };
    if (s_register_shard_function(journal, error) < 0 ||
        shoal_journal_begin(journal, error) < 0)
        return -1;
    for (size_t i = 0; i < sizeof drops / sizeof drops[0]; i++)
        if (s_run(journal, drops[i], shard, shards, error) < 0)
            goto out_rollback;
    if (shoal__journal_delete_shard(journal, shard, false, error) < 0)
        goto out_rollback;
    return shoal_journal_commit(journal, error);

out_rollback:
    shoal_journal_rollback(journal);
    return -1;
}

int shoal_slice_stats(shoal_journal_t *journal, uint32_t shard,
                      uint64_t *entries, uint64_t *bytes, char **error)
{
    assert(journal && entries && bytes);
    sqlite3_stmt *stmt =
        s_prepare(journal,
                  "SELECT count(*), coalesce(sum(coalesce(length(events), 0)"
                  " + coalesce(length(reply), 0)), 0)"
                  " FROM journal WHERE shard = ?1",
                  shard, 0, error);
    if (!stmt)
        return -1;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *entries = (uint64_t)sqlite3_column_int64(stmt, 0);
        *bytes = (uint64_t)sqlite3_column_int64(stmt, 1);
    } else {
        shoal__error_set(error, "%s: cannot measure shard %u: %s",
                         shoal__journal_path(journal), (unsigned)shard,
                         sqlite3_errmsg(shoal__journal_db(journal)));
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW ? 0 : -1;
}

int shoal_slice_heads(shoal_journal_t *journal, uint32_t shard, uint32_t shards,
                      void (*visit)(const char *entity, int64_t pos, void *arg),
                      void *arg, char **error)
{
    assert(journal && visit && shards >= 1 && shard < shards);
    if (s_register_shard_function(journal, error) < 0)
        return -1;
    sqlite3_stmt *stmt = s_prepare(journal,
                                   "SELECT entity, pos FROM heads WHERE"
                                   " shoal_shard_of(entity, ?2) = ?1"
                                   " ORDER BY entity",
                                   shard, shards, error);
    if (!stmt)
        return -1;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *entity = (const char *)sqlite3_column_text(stmt, 0);
        if (entity) /* defensive: the column is the key */
            visit(entity, sqlite3_column_int64(stmt, 1), arg);
    }
    if (rc != SQLITE_DONE)
        shoal__error_set(error, "%s: cannot read the heads of shard %u: %s",
                         shoal__journal_path(journal), (unsigned)shard,
                         sqlite3_errmsg(shoal__journal_db(journal)));
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}
