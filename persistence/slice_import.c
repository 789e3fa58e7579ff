/*
 * persistence/slice_import.c - importing a shard's slice into a journal
 * (see slice.h).
 *
 * The import remembers, for every entry it appended, the exporter's
 * position, its own, and a fingerprint of the entity: positions arrive
 * ascending and are given ascending, so the table is sorted and a lookup
 * is a binary search. A chain link, a snapshot or a dead letter that
 * points at an exporter's position is mapped through it, and must land on
 * an entry of the same entity. The heads of the entities a chunk touched
 * are saved with the chunk, in key order.
 *
 * Timers and dead letters are held, as records, until the finish writes
 * them (see slice.h for why): a chunk's are written again into a buffer,
 * the dead letters with their positions mapped already.
 */
#include "persistence/journal_internal.h"
#include "persistence/reactions.h"
#include "persistence/schema.h"
#include "persistence/slice.h"
#include "persistence/slice_format.h"

#include <assert.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An entry the import appended. */
typedef struct {
    int64_t old_pos;      /* the exporter's */
    int64_t new_pos;      /* this journal's */
    uint64_t fingerprint; /* of the entity key */
} s_moved_t;

/* The head of an entity after an entry of the chunk being applied. */
typedef struct {
    const char *entity; /* in the chunk */
    int64_t pos;
} s_head_t;

/* What a chunk changes in memory, to put back when it is refused. */
typedef struct {
    size_t moved_count;
    size_t held_size;
    shoal_slice_kind_t last_kind;
    shoal_slice_counts_t received;
    bool ended;
    uint32_t shards;
} s_undo_t;

struct shoal_slice_import {
    shoal_journal_t *journal; /* borrowed */
    shoal_reactions_t *reactions;
    sqlite3_stmt *insert;
    sqlite3_stmt *mark;
    uint32_t shard;
    uint32_t shards;        /* the stream's; 0 before its first chunk */
    int64_t journal_shards; /* the journal's setting, 0 when not bound */
    uint32_t next_index;    /* chunks applied */
    uint64_t *checksums;    /* of each chunk applied */
    size_t checksums_capacity;
    s_moved_t *moved;
    size_t moved_count;
    size_t moved_capacity;
    s_head_t *heads; /* of the chunk being applied */
    size_t heads_count;
    size_t heads_capacity;
    shoal_slice_buffer_t held; /* timer and dead letter records */
    shoal_slice_kind_t last_kind;
    shoal_slice_counts_t received;
    bool ended;
    bool finished;
    char mark_key[32];
};

/* The mark of an unfinished import (slice.c drops it by the same name). */
static void s_mark_key(char *key, size_t size, uint32_t shard)
{
    snprintf(key, size, "slice_import.%u", (unsigned)shard);
}

static const char s_insert_sql[] =
    "INSERT INTO journal (entity, shard, prev_pos, first_seq, event_count,"
    " outcome, written_ms, command_id, reply, events, imported)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1)";

/* The statements that delete an unfinished import of shard ?1, but for
 * its entries (shoal__journal_delete_shard): the snapshots and heads go
 * first, found through the entries. */
static const char *const s_cleanup_sql[] = {
    "DELETE FROM snapshots WHERE entity IN (SELECT entity FROM journal"
    " WHERE shard = ?1 AND imported = 1)",
    "DELETE FROM heads WHERE entity IN (SELECT entity FROM journal"
    " WHERE shard = ?1 AND imported = 1)",
    "DELETE FROM topic_events WHERE shard = ?1",
};

/* Sets *error to "PATH: shard S: what: sqlite's message". */
static void s_db_error(shoal_slice_import_t *self, char **error,
                       const char *what)
{
    shoal__error_set(error, "%s: importing shard %u: %s: %s",
                     shoal__journal_path(self->journal), (unsigned)self->shard,
                     what, sqlite3_errmsg(shoal__journal_db(self->journal)));
}

/* Puts the journal's path before an error about a chunk (the format and
 * the checks name the chunk, not where it was going). */
static void s_name_journal(shoal_slice_import_t *self, char **error)
{
    const char *path = shoal__journal_path(self->journal);
    if (!error || !*error || strncmp(*error, path, strlen(path)) == 0)
        return;
    char *message = *error;
    *error = NULL;
    shoal__error_set(error, "%s: %s", path, message);
    free(message);
}

/* Runs sql with shard bound to ?1, when it has a ?1. If value is not NULL
 * and the statement returns a row, sets *value from its first column and
 * returns 1. Returns 0 when done, -1 with *error set. */
static int s_query(shoal_slice_import_t *self, const char *sql, int64_t *value,
                   char **error)
{
    sqlite3 *db = shoal__journal_db(self->journal);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        s_db_error(self, error, sql);
        return -1;
    }
    if (sqlite3_bind_parameter_count(stmt) >= 1)
        sqlite3_bind_int64(stmt, 1, self->shard);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && value)
        *value = sqlite3_column_int64(stmt, 0);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        s_db_error(self, error, sql);
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Reads the meta value of key; returns 1 (found), 0 or -1. */
static int s_read_meta(shoal_slice_import_t *self, const char *key,
                       int64_t *value, char **error)
{
    sqlite3 *db = shoal__journal_db(self->journal);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1,
                           &stmt, NULL) != SQLITE_OK) {
        s_db_error(self, error, "cannot read meta");
        return -1;
    }
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *value = sqlite3_column_int64(stmt, 0);
    else if (rc != SQLITE_DONE)
        s_db_error(self, error, "cannot read meta");
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Saves the mark (the number of chunks applied) in the open
 * transaction. */
static int s_save_mark(shoal_slice_import_t *self, int64_t count, char **error)
{
    sqlite3_stmt *stmt = self->mark;
    sqlite3_bind_int64(stmt, 1, count);
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) {
        s_db_error(self, error, "cannot save the import's mark");
        return -1;
    }
    return 0;
}

/* Starts the import in the journal: deletes an unfinished one, or checks
 * that the shard is not here, then sets the mark. */
static int s_start(shoal_slice_import_t *self, char **error)
{
    int64_t chunks = 0, shards = 0;
    if (shoal_journal_begin(self->journal, error) < 0)
        return -1;
    int marked = s_read_meta(self, self->mark_key, &chunks, error);
    if (marked < 0 || s_read_meta(self, "setting.shards", &shards, error) < 0)
        goto out_rollback;
    self->journal_shards = shards;
    if (marked) {
        for (size_t i = 0; i < sizeof s_cleanup_sql / sizeof *s_cleanup_sql;
             i++)
            if (s_query(self, s_cleanup_sql[i], NULL, error) < 0)
                goto out_rollback;
        if (shoal__journal_delete_shard(self->journal, self->shard, true,
                                        error) < 0)
            goto out_rollback;
    } else {
        int64_t entries = 0, events = 0;
        if (s_query(self, "SELECT count(*) FROM journal WHERE shard = ?1",
                    &entries, error) < 0 ||
            s_query(self, "SELECT count(*) FROM topic_events WHERE shard = ?1",
                    &events, error) < 0)
            goto out_rollback;
        if (entries > 0 || events > 0) {
            shoal__error_set(error,
                             "%s: cannot import shard %u: the journal holds "
                             "%lld entries and %lld topic events of it; drop "
                             "the shard first",
                             shoal__journal_path(self->journal),
                             (unsigned)self->shard, (long long)entries,
                             (long long)events);
            goto out_rollback;
        }
    }
    if (s_save_mark(self, 0, error) < 0)
        goto out_rollback;
    return shoal_journal_commit(self->journal, error);

out_rollback:
    shoal_journal_rollback(self->journal);
    return -1;
}

void shoal_slice_import_destroy(shoal_slice_import_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_slice_import_t *self = *self_p;
    shoal_reactions_close(&self->reactions);
    sqlite3_finalize(self->insert);
    sqlite3_finalize(self->mark);
    free(self->checksums);
    free(self->moved);
    free(self->heads);
    free(self->held.data);
    free(self);
    *self_p = NULL;
}

shoal_slice_import_t *shoal_slice_import_begin(shoal_journal_t *journal,
                                               uint32_t shard, char **error)
{
    assert(journal);
    const char *path = shoal__journal_path(journal);
    sqlite3 *db = shoal__journal_db(journal);
    shoal_slice_import_t *self = calloc(1, sizeof *self);
    if (!self) {
        shoal__error_set(error, "%s: out of memory", path);
        return NULL;
    }
    self->journal = journal;
    self->shard = shard;
    s_mark_key(self->mark_key, sizeof self->mark_key, shard);
    if (!(self->reactions = shoal_reactions_open(journal, error)))
        goto out_destroy;
    if (sqlite3_prepare_v2(db, s_insert_sql, -1, &self->insert, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT OR REPLACE INTO meta (key, value)"
                           " VALUES (?2, ?1)",
                           -1, &self->mark, NULL) != SQLITE_OK) {
        s_db_error(self, error, "cannot prepare the import");
        goto out_destroy;
    }
    sqlite3_bind_text(self->mark, 2, self->mark_key, -1, SQLITE_STATIC);
    if (s_start(self, error) < 0)
        goto out_destroy;
    return self;

out_destroy:
    shoal_slice_import_destroy(&self);
    return NULL;
}

uint32_t shoal_slice_import_next_index(const shoal_slice_import_t *self)
{
    return self->next_index;
}

/* ---------------------------------------------------------------------
 * Applying records
 */

/* FNV-1a-64 of an entity key: tells entities apart in the moved table. */
static uint64_t s_fingerprint(const char *entity)
{
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (; *entity; entity++) {
        hash ^= (uint8_t)*entity;
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

/* Finds the exporter's position old_pos among the entries moved. */
static const s_moved_t *s_find_moved(const shoal_slice_import_t *self,
                                     int64_t old_pos)
{
    size_t low = 0, high = self->moved_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (self->moved[middle].old_pos < old_pos)
            low = middle + 1;
        else
            high = middle;
    }
    if (low < self->moved_count && self->moved[low].old_pos == old_pos)
        return &self->moved[low];
    return NULL;
}

/* Maps the exporter's position of an entry of entity to this journal's.
 * Returns it, or 0 with *error set naming what (a "snapshot", ...). */
static int64_t s_map(shoal_slice_import_t *self, int64_t old_pos,
                     const char *entity, const char *what, char **error)
{
    const s_moved_t *moved = s_find_moved(self, old_pos);
    if (moved && moved->fingerprint == s_fingerprint(entity))
        return moved->new_pos;
    shoal__error_set(error, "shard %u: the %s of %s points at entry %lld, %s",
                     (unsigned)self->shard, what, entity, (long long)old_pos,
                     moved ? "an entry of another entity"
                           : "which was not sent");
    return 0;
}

/* Grows an array of count elements of size to hold one more. */
static int s_grow(void **array, size_t *capacity, size_t count, size_t size)
{
    if (count < *capacity)
        return 0;
    size_t grown = *capacity ? *capacity * 2 : 256;
    void *bigger = realloc(*array, grown * size);
    if (!bigger)
        return -1;
    *array = bigger;
    *capacity = grown;
    return 0;
}

static void s_bind_blob(sqlite3_stmt *stmt, int index, const void *data,
                        size_t size)
{
    if (!data || size == 0)
        sqlite3_bind_zeroblob(stmt, index, 0);
    else
        sqlite3_bind_blob64(stmt, index, data, size, SQLITE_STATIC);
}

static int s_apply_entry(shoal_slice_import_t *self,
                         const shoal_journal_entry_t *entry, char **error)
{
    if (self->moved_count > 0 &&
        entry->pos <= self->moved[self->moved_count - 1].old_pos) {
        shoal__error_set(error,
                         "shard %u: entry %lld comes after entry %lld: the "
                         "entries are out of order",
                         (unsigned)self->shard, (long long)entry->pos,
                         (long long)self->moved[self->moved_count - 1].old_pos);
        return -1;
    }
    int64_t prev_pos = 0;
    if (entry->prev_pos != 0 &&
        !(prev_pos =
              s_map(self, entry->prev_pos, entry->entity, "chain link", error)))
        return -1;
    if (s_grow((void **)&self->moved, &self->moved_capacity, self->moved_count,
               sizeof *self->moved) < 0 ||
        s_grow((void **)&self->heads, &self->heads_capacity, self->heads_count,
               sizeof *self->heads) < 0) {
        shoal__error_set(error, "shard %u: out of memory",
                         (unsigned)self->shard);
        return -1;
    }
    sqlite3_stmt *stmt = self->insert;
    sqlite3_bind_text(stmt, 1, entry->entity, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, self->shard);
    sqlite3_bind_int64(stmt, 3, prev_pos);
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
        s_db_error(self, error, "cannot append an entry");
        return -1;
    }
    int64_t pos = sqlite3_last_insert_rowid(shoal__journal_db(self->journal));
    self->moved[self->moved_count++] = (s_moved_t){
        .old_pos = entry->pos,
        .new_pos = pos,
        .fingerprint = s_fingerprint(entry->entity),
    };
    self->heads[self->heads_count++] = (s_head_t){entry->entity, pos};
    return 0;
}

static int s_apply_snapshot(shoal_slice_import_t *self, const char *entity,
                            const shoal_snapshot_t *snapshot, char **error)
{
    shoal_snapshot_t mapped = *snapshot;
    if (!(mapped.pos = s_map(self, snapshot->pos, entity, "snapshot", error)))
        return -1;
    return shoal_journal_save_snapshot(self->journal, entity, &mapped, error);
}

/* Holds a timer or dead letter record for the finish. */
static int s_hold(shoal_slice_import_t *self, shoal_slice_record_t *record,
                  char **error)
{
    if (record->kind == SHOAL_SLICE_DEAD_LETTER) {
        shoal_dead_letter_t *letter = &record->as.dead_letter;
        if (!(letter->pos = s_map(self, letter->pos, letter->entity,
                                  "dead letter", error)))
            return -1;
    }
    if (shoal__slice_append_record(&self->held, record) < 0) {
        shoal__error_set(error, "shard %u: out of memory",
                         (unsigned)self->shard);
        return -1;
    }
    return 0;
}

/* Checks the counts of the end record against what was received. */
static int s_check_end(shoal_slice_import_t *self,
                       const shoal_slice_counts_t *sent, char **error)
{
    const shoal_slice_counts_t *got = &self->received;
    if (memcmp(sent, got, sizeof *sent) == 0) {
        self->ended = true;
        return 0;
    }
    shoal__error_set(
        error,
        "shard %u: the stream sent %llu entries, %llu snapshots, "
        "%llu topic events, %llu timers and %llu dead letters; "
        "%llu, %llu, %llu, %llu and %llu arrived",
        (unsigned)self->shard, (unsigned long long)sent->entries,
        (unsigned long long)sent->snapshots,
        (unsigned long long)sent->topic_events,
        (unsigned long long)sent->timers,
        (unsigned long long)sent->dead_letters,
        (unsigned long long)got->entries, (unsigned long long)got->snapshots,
        (unsigned long long)got->topic_events, (unsigned long long)got->timers,
        (unsigned long long)got->dead_letters);
    return -1;
}

/* Applies one record in the open transaction. */
static int s_apply(shoal_slice_import_t *self, shoal_slice_record_t *record,
                   char **error)
{
    if (self->ended || record->kind < self->last_kind) {
        shoal__error_set(error, "shard %u: %s record after the %s",
                         (unsigned)self->shard,
                         shoal__slice_kind_name(record->kind),
                         self->ended ? "end of the stream"
                                     : shoal__slice_kind_name(self->last_kind));
        return -1;
    }
    self->last_kind = record->kind;
    switch (record->kind) {
    case SHOAL_SLICE_ENTRY:
        self->received.entries++;
        return s_apply_entry(self, &record->as.entry, error);
    case SHOAL_SLICE_SNAPSHOT:
        self->received.snapshots++;
        return s_apply_snapshot(self, record->as.snapshot.entity,
                                &record->as.snapshot.snapshot, error);
    case SHOAL_SLICE_TOPIC_EVENT:
        self->received.topic_events++;
        return shoal_reactions_publish(self->reactions, &record->as.topic_event,
                                       error);
    case SHOAL_SLICE_TIMER:
        self->received.timers++;
        return s_hold(self, record, error);
    case SHOAL_SLICE_DEAD_LETTER:
        self->received.dead_letters++;
        return s_hold(self, record, error);
    case SHOAL_SLICE_END:
        return s_check_end(self, &record->as.end, error);
    }
    return -1; /* defensive: the format reads no other kind */
}

/* Orders heads by entity, then position. */
static int s_compare_heads(const void *a, const void *b)
{
    const s_head_t *x = a, *y = b;
    int order = strcmp(x->entity, y->entity);
    if (order)
        return order;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Saves, in key order, the last head of each entity the chunk touched. */
static int s_save_heads(shoal_slice_import_t *self, char **error)
{
    if (self->heads_count == 0)
        return 0;
    qsort(self->heads, self->heads_count, sizeof *self->heads, s_compare_heads);
    for (size_t i = 0; i < self->heads_count; i++) {
        const s_head_t *head = &self->heads[i];
        bool last = i + 1 == self->heads_count ||
                    strcmp(head->entity, self->heads[i + 1].entity) != 0;
        if (last && shoal_journal_save_head(self->journal, head->entity,
                                            head->pos, error) < 0)
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Chunks and the finish
 */

/* Checks a chunk's header against the stream. Returns 1 to apply it, 0
 * for a chunk applied before, -1 with *error set. */
static int s_check_chunk(shoal_slice_import_t *self,
                         const shoal_slice_chunk_t *chunk, char **error)
{
    if (chunk->shard != self->shard) {
        shoal__error_set(error, "slice chunk %u is of shard %u, not %u",
                         (unsigned)chunk->index, (unsigned)chunk->shard,
                         (unsigned)self->shard);
        return -1;
    }
    uint32_t expected =
        self->shards ? self->shards : (uint32_t)self->journal_shards;
    if (expected && chunk->shards != expected) {
        shoal__error_set(error,
                         "slice chunk %u of shard %u: a journal of %u shards "
                         "cannot move into one of %u",
                         (unsigned)chunk->index, (unsigned)chunk->shard,
                         (unsigned)chunk->shards, (unsigned)expected);
        return -1;
    }
    if (chunk->index < self->next_index) {
        if (self->checksums[chunk->index] == chunk->checksum)
            return 0;
        shoal__error_set(error,
                         "slice chunk %u of shard %u differs from the chunk "
                         "%u applied before",
                         (unsigned)chunk->index, (unsigned)chunk->shard,
                         (unsigned)chunk->index);
        return -1;
    }
    if (chunk->index > self->next_index || self->ended) {
        shoal__error_set(error, "slice chunk %u of shard %u arrived; %s",
                         (unsigned)chunk->index, (unsigned)chunk->shard,
                         self->ended ? "the stream had ended"
                                     : "another was expected first");
        return -1;
    }
    return 1;
}

/* Applies every record of an opened chunk in the open transaction. */
static int s_apply_chunk(shoal_slice_import_t *self,
                         const shoal_slice_chunk_t *chunk, char **error)
{
    if (s_grow((void **)&self->checksums, &self->checksums_capacity,
               self->next_index, sizeof *self->checksums) < 0) {
        shoal__error_set(error, "shard %u: out of memory",
                         (unsigned)self->shard);
        return -1;
    }
    self->heads_count = 0;
    shoal_slice_record_t record;
    size_t offset = 0;
    int read;
    while ((read = shoal__slice_chunk_next(chunk, &offset, &record, error)) ==
           1)
        if (s_apply(self, &record, error) < 0)
            return -1;
    if (read < 0 || s_save_heads(self, error) < 0 ||
        s_save_mark(self, (int64_t)self->next_index + 1, error) < 0)
        return -1;
    return 0;
}

int shoal_slice_import_chunk(shoal_slice_import_t *self, const void *data,
                             size_t size, char **error)
{
    shoal_slice_chunk_t chunk;
    if (shoal__slice_chunk_open(data, size, &chunk, error) < 0) {
        s_name_journal(self, error);
        return -1;
    }
    int fresh = s_check_chunk(self, &chunk, error);
    if (fresh < 0)
        s_name_journal(self, error);
    if (fresh <= 0)
        return fresh;
    s_undo_t undo = {.moved_count = self->moved_count,
                     .held_size = self->held.size,
                     .last_kind = self->last_kind,
                     .received = self->received,
                     .ended = self->ended,
                     .shards = self->shards};
    self->shards = chunk.shards;
    if (shoal_journal_begin(self->journal, error) < 0)
        goto out_undo;
    if (s_apply_chunk(self, &chunk, error) < 0) {
        shoal_journal_rollback(self->journal);
        goto out_undo;
    }
    if (shoal_journal_commit(self->journal, error) < 0)
        goto out_undo;
    self->checksums[self->next_index++] = chunk.checksum;
    return 0;

out_undo:
    s_name_journal(self, error);
    self->moved_count = undo.moved_count;
    self->held.size = undo.held_size;
    self->last_kind = undo.last_kind;
    self->received = undo.received;
    self->ended = undo.ended;
    self->shards = undo.shards;
    return -1;
}

/* Writes the held timers and dead letters in the open transaction. */
static int s_write_held(shoal_slice_import_t *self, char **error)
{
    shoal_slice_chunk_t held = {.shard = self->shard,
                                .shards = self->shards,
                                .body = self->held.data,
                                .body_size = self->held.size};
    shoal_slice_record_t record;
    size_t offset = 0;
    int read;
    while ((read = shoal__slice_chunk_next(&held, &offset, &record, error)) ==
           1) {
        int rc =
            record.kind == SHOAL_SLICE_TIMER
                ? shoal_reactions_add_timer(self->reactions, &record.as.timer,
                                            error)
                : shoal_reactions_park(self->reactions, &record.as.dead_letter,
                                       NULL, error);
        if (rc < 0)
            return -1;
    }
    return read;
}

int shoal_slice_import_finish(shoal_slice_import_t *self, char **error)
{
    if (self->finished)
        return 0;
    if (!self->ended) {
        shoal__error_set(error,
                         "%s: the import of shard %u is not complete: chunk "
                         "%u and the end of the stream did not arrive",
                         shoal__journal_path(self->journal),
                         (unsigned)self->shard, (unsigned)self->next_index);
        return -1;
    }
    if (shoal_journal_begin(self->journal, error) < 0)
        return -1;
    if (s_write_held(self, error) < 0 ||
        s_query(self, "DELETE FROM meta WHERE key = 'slice_import.' || ?1",
                NULL, error) < 0) {
        shoal_journal_rollback(self->journal);
        return -1;
    }
    if (shoal_journal_commit(self->journal, error) < 0)
        return -1;
    self->finished = true;
    return 0;
}
