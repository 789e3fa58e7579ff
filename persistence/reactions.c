/*
 * persistence/reactions.c - policy offsets, topic events, timers and dead
 * letters, on a journal handle's connection (see reactions.h).
 *
 * Every statement is prepared once when the handle opens, on the journal
 * handle's connection, and is reset (its bindings cleared) after each use
 * so that it holds no read lock between calls.
 */
#include "persistence/reactions.h"
#include "persistence/journal_internal.h"
#include "persistence/schema.h"

#include <assert.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    R_LOAD_OFFSET,
    R_SAVE_OFFSET,
    R_PUBLISH,
    R_TOPIC_LAST,
    R_TOPIC_SHARD_BEFORE,
    R_TOPIC_BEFORE,
    R_READ_TOPIC,
    R_ADD_TIMER,
    R_DELETE_TIMER,
    R_DUE_TIMERS,
    R_NEXT_DUE,
    R_TIMER_COUNT,
    R_PARK,
    R_DEAD_LETTERS,
    R_DEAD_LETTERS_OF_POLICY,
    R_GET_DEAD_LETTER,
    R_UNPARK,
    R_DEAD_LETTER_COUNTS,
    R_STATEMENT_COUNT
};

#define DEAD_LETTER_COLUMNS                                                    \
    "id, policy, pos, event_index, entity, seq, attempts, error, parked_ms"

static const char *const s_sql[R_STATEMENT_COUNT] = {
    [R_LOAD_OFFSET] = "SELECT pos, event_index FROM policy_offsets"
                      " WHERE policy = ?1",
    [R_SAVE_OFFSET] = "INSERT OR REPLACE INTO policy_offsets (policy, pos,"
                      " event_index) VALUES (?1, ?2, ?3)",
    [R_PUBLISH] = "INSERT INTO topic_events (topic, shard, seq, entity,"
                  " written_ms, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    /* The heads walk the primary key backwards, one seek per (topic,
     * shard): the first row below a bound is the highest seq of the
     * (topic, shard) just below it. The bound is on the topic alone, or on
     * the shard within a topic, as a row value (topic, shard) < (?, ?)
     * would seek on the topic only and step over the rows of its shards. */
    [R_TOPIC_LAST] = "SELECT topic, shard, seq FROM topic_events"
                     " ORDER BY topic DESC, shard DESC, seq DESC LIMIT 1",
    [R_TOPIC_SHARD_BEFORE] = "SELECT topic, shard, seq FROM topic_events"
                             " WHERE topic = ?1 AND shard < ?2"
                             " ORDER BY shard DESC, seq DESC LIMIT 1",
    [R_TOPIC_BEFORE] = "SELECT topic, shard, seq FROM topic_events"
                       " WHERE topic < ?1"
                       " ORDER BY topic DESC, shard DESC, seq DESC LIMIT 1",
    [R_READ_TOPIC] = "SELECT seq, entity, written_ms, payload FROM topic_events"
                     " WHERE topic = ?1 AND shard = ?2 AND seq > ?3"
                     " ORDER BY seq LIMIT ?4",
    [R_ADD_TIMER] = "INSERT OR IGNORE INTO timers (id, due_ms, type, entity_id,"
                    " command, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [R_DELETE_TIMER] = "DELETE FROM timers WHERE id = ?1",
    [R_DUE_TIMERS] = "SELECT id, due_ms, type, entity_id, command, payload"
                     " FROM timers WHERE due_ms <= ?1"
                     " ORDER BY due_ms, id LIMIT ?2",
    [R_NEXT_DUE] = "SELECT min(due_ms) FROM timers",
    [R_TIMER_COUNT] = "SELECT count(*) FROM timers",
    [R_PARK] = "INSERT INTO dead_letters (policy, pos, event_index, entity,"
               " seq, attempts, error, parked_ms)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [R_DEAD_LETTERS] = "SELECT " DEAD_LETTER_COLUMNS " FROM dead_letters"
                       " WHERE id > ?1 ORDER BY id LIMIT ?2",
    [R_DEAD_LETTERS_OF_POLICY] =
        "SELECT " DEAD_LETTER_COLUMNS " FROM dead_letters WHERE policy = ?3"
        " AND id > ?1 ORDER BY id LIMIT ?2",
    [R_GET_DEAD_LETTER] = "SELECT " DEAD_LETTER_COLUMNS " FROM dead_letters"
                          " WHERE id = ?1",
    [R_UNPARK] = "DELETE FROM dead_letters WHERE id = ?1",
    [R_DEAD_LETTER_COUNTS] = "SELECT policy, count(*) FROM dead_letters"
                             " GROUP BY policy ORDER BY policy",
};

struct shoal_reactions {
    sqlite3 *db;      /* the journal handle's */
    const char *path; /* the journal handle's, for errors */
    sqlite3_stmt *stmt[R_STATEMENT_COUNT];
};

/* Sets *error to "PATH: what: sqlite message", what from a printf format.
 * Call it before the statement that failed is reset. */
static void s_error(shoal_reactions_t *self, char **error, const char *format,
                    ...) __attribute__((format(printf, 3, 4)));

static void s_error(shoal_reactions_t *self, char **error, const char *format,
                    ...)
{
    if (!error)
        return;
    va_list args;
    va_start(args, format);
    char *what = NULL;
    if (vasprintf(&what, format, args) < 0)
        what = NULL;
    va_end(args);
    shoal__error_set(error, "%s: %s: %s", self->path,
                     what ? what : "out of memory", sqlite3_errmsg(self->db));
    free(what);
}

/* Makes a statement ready for its next use. */
static void s_done(sqlite3_stmt *stmt)
{
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

/* True when the connection is in a write transaction, as writes need. */
static inline bool s_writing(shoal_reactions_t *self)
{
    return sqlite3_txn_state(self->db, "main") == SQLITE_TXN_WRITE;
}

/* Binds a blob, an empty one when data is NULL or size 0. */
static void s_bind_blob(sqlite3_stmt *stmt, int index, const void *data,
                        size_t size)
{
    if (!data || size == 0)
        sqlite3_bind_zeroblob(stmt, index, 0);
    else
        sqlite3_bind_blob64(stmt, index, data, size, SQLITE_STATIC);
}

/* Binds a LIMIT, capped so that a count of rows fits in an int. */
static void s_bind_limit(sqlite3_stmt *stmt, int index, size_t limit)
{
    sqlite3_bind_int64(stmt, index, limit > INT_MAX ? INT_MAX : (int64_t)limit);
}

/* Steps a statement that returns no rows and makes it ready again.
 * Returns the number of rows it changed, or -1 with *error set. */
static int s_change(shoal_reactions_t *self, sqlite3_stmt *stmt, char **error,
                    const char *what, const char *name)
{
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE)
        s_error(self, error, "%s %s", what, name);
    s_done(stmt);
    return rc == SQLITE_DONE ? sqlite3_changes(self->db) : -1;
}

/* Steps stmt through its rows, calling row(stmt, context) for each until
 * one returns non-zero, and makes it ready again. Returns the number of
 * rows row returned 0 for, or -1 with *error set naming what. */
static int s_walk(shoal_reactions_t *self, sqlite3_stmt *stmt,
                  int (*row)(sqlite3_stmt *stmt, void *context), void *context,
                  char **error, const char *what)
{
    int count = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (row(stmt, context) != 0) {
            rc = SQLITE_DONE;
            break;
        }
        count++;
    }
    if (rc != SQLITE_DONE)
        s_error(self, error, "%s", what);
    s_done(stmt);
    return rc == SQLITE_DONE ? count : -1;
}

shoal_reactions_t *shoal_reactions_open(shoal_journal_t *journal, char **error)
{
    assert(journal);
    shoal_reactions_t *self = calloc(1, sizeof *self);
    if (!self) {
        shoal__error_set(error, "%s: out of memory",
                         shoal__journal_path(journal));
        return NULL;
    }
    self->db = shoal__journal_db(journal);
    self->path = shoal__journal_path(journal);
    for (int i = 0; i < R_STATEMENT_COUNT; i++) {
        if (sqlite3_prepare_v3(self->db, s_sql[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &self->stmt[i],
                               NULL) != SQLITE_OK) {
            s_error(self, error, "cannot prepare statement");
            shoal_reactions_close(&self);
            return NULL;
        }
    }
    return self;
}

void shoal_reactions_close(shoal_reactions_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_reactions_t *self = *self_p;
    for (int i = 0; i < R_STATEMENT_COUNT; i++)
        sqlite3_finalize(self->stmt[i]);
    free(self);
    *self_p = NULL;
}

/* ---------------------------------------------------------------------
 * Policy offsets
 */

int shoal_reactions_load_offset(shoal_reactions_t *self, const char *policy,
                                int64_t *pos, uint32_t *event_index,
                                char **error)
{
    assert(policy && pos && event_index);
    sqlite3_stmt *stmt = self->stmt[R_LOAD_OFFSET];
    sqlite3_bind_text(stmt, 1, policy, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    *pos = 0;
    *event_index = 0;
    if (rc == SQLITE_ROW) {
        *pos = sqlite3_column_int64(stmt, 0);
        *event_index = (uint32_t)sqlite3_column_int64(stmt, 1);
    } else if (rc != SQLITE_DONE)
        s_error(self, error, "cannot load the offset of policy %s", policy);
    s_done(stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int shoal_reactions_save_offset(shoal_reactions_t *self, const char *policy,
                                int64_t pos, uint32_t event_index, char **error)
{
    assert(policy && s_writing(self));
    sqlite3_stmt *stmt = self->stmt[R_SAVE_OFFSET];
    sqlite3_bind_text(stmt, 1, policy, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, pos);
    sqlite3_bind_int64(stmt, 3, event_index);
    return s_change(self, stmt, error, "cannot save the offset of policy",
                    policy) < 0
               ? -1
               : 0;
}

/* ---------------------------------------------------------------------
 * Topics
 */

int shoal_reactions_publish(shoal_reactions_t *self,
                            const shoal_topic_event_t *event, char **error)
{
    assert(event->topic && event->entity && s_writing(self));
    sqlite3_stmt *stmt = self->stmt[R_PUBLISH];
    sqlite3_bind_text(stmt, 1, event->topic, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, event->shard);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64)event->seq);
    sqlite3_bind_text(stmt, 4, event->entity, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, event->written_ms);
    s_bind_blob(stmt, 6, event->payload, event->payload_size);
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE)
        s_error(self, error, "cannot publish event %llu of topic %s shard %u",
                (unsigned long long)event->seq, event->topic,
                (unsigned)event->shard);
    s_done(stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Steps one of the topic heads statements, bound to topic and shard when
 * topic is not NULL. Returns 1 with *row_topic (malloc'd, replacing the
 * old one), *shard and *seq set from the row, 0 when there is no row, -1
 * with *error set. */
static int s_topic_head(shoal_reactions_t *self, int which, char **row_topic,
                        uint32_t *shard, uint64_t *seq, char **error)
{
    sqlite3_stmt *stmt = self->stmt[which];
    if (*row_topic)
        sqlite3_bind_text(stmt, 1, *row_topic, -1, SQLITE_TRANSIENT);
    if (which == R_TOPIC_SHARD_BEFORE)
        sqlite3_bind_int64(stmt, 2, *shard);
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        if (rc != SQLITE_DONE)
            s_error(self, error, "cannot read the topic heads");
        s_done(stmt);
        return rc == SQLITE_DONE ? 0 : -1;
    }
    const char *text = (const char *)sqlite3_column_text(stmt, 0);
    char *copy = text ? strdup(text) : NULL;
    if (!copy) /* out of memory, or (defensive) a NULL topic */
        shoal__error_set(error, "%s: cannot read the topic heads: %s",
                         self->path, text ? "out of memory" : "no topic");
    *shard = (uint32_t)sqlite3_column_int64(stmt, 1);
    *seq = (uint64_t)sqlite3_column_int64(stmt, 2);
    s_done(stmt);
    free(*row_topic);
    *row_topic = copy;
    return copy ? 1 : -1;
}

int shoal_reactions_topic_heads(shoal_reactions_t *self,
                                void (*visit)(const char *topic, uint32_t shard,
                                              uint64_t seq, void *arg),
                                void *arg, char **error)
{
    assert(visit);
    char *topic = NULL; /* the last one visited, copied out of its row */
    uint32_t shard = 0;
    uint64_t seq = 0;
    int found = s_topic_head(self, R_TOPIC_LAST, &topic, &shard, &seq, error);
    while (found == 1) {
        visit(topic, shard, seq, arg);
        found = s_topic_head(self, R_TOPIC_SHARD_BEFORE, &topic, &shard, &seq,
                             error);
        if (found == 0)
            found =
                s_topic_head(self, R_TOPIC_BEFORE, &topic, &shard, &seq, error);
    }
    free(topic);
    return found;
}

typedef struct {
    int (*visit)(const shoal_topic_event_t *event, void *arg);
    void *arg;
    const char *topic;
    uint32_t shard;
} s_topic_walk_t;

static int s_topic_row(sqlite3_stmt *stmt, void *context)
{
    s_topic_walk_t *walk = context;
    shoal_topic_event_t event = {
        .topic = walk->topic,
        .shard = walk->shard,
        .seq = (uint64_t)sqlite3_column_int64(stmt, 0),
        .entity = (const char *)sqlite3_column_text(stmt, 1),
        .written_ms = sqlite3_column_int64(stmt, 2),
        .payload = sqlite3_column_blob(stmt, 3),
        .payload_size = (size_t)sqlite3_column_bytes(stmt, 3),
    };
    return walk->visit(&event, walk->arg);
}

int shoal_reactions_read_topic(shoal_reactions_t *self, const char *topic,
                               uint32_t shard, uint64_t after_seq, size_t limit,
                               int (*visit)(const shoal_topic_event_t *event,
                                            void *arg),
                               void *arg, char **error)
{
    assert(topic && visit);
    sqlite3_stmt *stmt = self->stmt[R_READ_TOPIC];
    sqlite3_bind_text(stmt, 1, topic, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, shard);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64)after_seq);
    s_bind_limit(stmt, 4, limit);
    s_topic_walk_t walk = {visit, arg, topic, shard};
    return s_walk(self, stmt, s_topic_row, &walk, error,
                  "cannot read the topic");
}

/* ---------------------------------------------------------------------
 * Timers
 */

int shoal_reactions_add_timer(shoal_reactions_t *self,
                              const shoal_timer_row_t *timer, char **error)
{
    assert(timer->id && timer->type && timer->entity_id && timer->command);
    assert(s_writing(self));
    sqlite3_stmt *stmt = self->stmt[R_ADD_TIMER];
    sqlite3_bind_text(stmt, 1, timer->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, timer->due_ms);
    sqlite3_bind_text(stmt, 3, timer->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, timer->entity_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, timer->command, -1, SQLITE_STATIC);
    s_bind_blob(stmt, 6, timer->payload, timer->payload_size);
    return s_change(self, stmt, error, "cannot add timer", timer->id) < 0 ? -1
                                                                          : 0;
}

int shoal_reactions_delete_timer(shoal_reactions_t *self, const char *id,
                                 char **error)
{
    assert(id && s_writing(self));
    sqlite3_stmt *stmt = self->stmt[R_DELETE_TIMER];
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    int changes = s_change(self, stmt, error, "cannot delete timer", id);
    return changes < 0 ? -1 : changes > 0;
}

typedef struct {
    int (*visit)(const shoal_timer_row_t *timer, void *arg);
    void *arg;
} s_timer_walk_t;

static int s_timer_row(sqlite3_stmt *stmt, void *context)
{
    s_timer_walk_t *walk = context;
    shoal_timer_row_t timer = {
        .id = (const char *)sqlite3_column_text(stmt, 0),
        .due_ms = sqlite3_column_int64(stmt, 1),
        .type = (const char *)sqlite3_column_text(stmt, 2),
        .entity_id = (const char *)sqlite3_column_text(stmt, 3),
        .command = (const char *)sqlite3_column_text(stmt, 4),
        .payload = sqlite3_column_blob(stmt, 5),
        .payload_size = (size_t)sqlite3_column_bytes(stmt, 5),
    };
    return walk->visit(&timer, walk->arg);
}

int shoal_reactions_due_timers(shoal_reactions_t *self, int64_t until_ms,
                               size_t limit,
                               int (*visit)(const shoal_timer_row_t *timer,
                                            void *arg),
                               void *arg, char **error)
{
    assert(visit);
    sqlite3_stmt *stmt = self->stmt[R_DUE_TIMERS];
    sqlite3_bind_int64(stmt, 1, until_ms);
    s_bind_limit(stmt, 2, limit);
    s_timer_walk_t walk = {visit, arg};
    return s_walk(self, stmt, s_timer_row, &walk, error,
                  "cannot read the due timers");
}

int shoal_reactions_next_due(shoal_reactions_t *self, int64_t *due_ms,
                             char **error)
{
    sqlite3_stmt *stmt = self->stmt[R_NEXT_DUE];
    int rc = sqlite3_step(stmt);
    int found = 0;
    if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
        *due_ms = sqlite3_column_int64(stmt, 0);
        found = 1;
    } else if (rc != SQLITE_ROW) {
        s_error(self, error, "cannot read the next due timer");
        found = -1;
    }
    s_done(stmt);
    return found;
}

int shoal_reactions_timer_count(shoal_reactions_t *self, uint64_t *count,
                                char **error)
{
    sqlite3_stmt *stmt = self->stmt[R_TIMER_COUNT];
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *count = (uint64_t)sqlite3_column_int64(stmt, 0);
    else
        s_error(self, error, "cannot count the timers");
    s_done(stmt);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* ---------------------------------------------------------------------
 * Dead letters
 */

int shoal_reactions_park(shoal_reactions_t *self,
                         const shoal_dead_letter_t *letter, int64_t *id,
                         char **error)
{
    assert(letter->policy && letter->entity && s_writing(self));
    sqlite3_stmt *stmt = self->stmt[R_PARK];
    sqlite3_bind_text(stmt, 1, letter->policy, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, letter->pos);
    sqlite3_bind_int64(stmt, 3, letter->event_index);
    sqlite3_bind_text(stmt, 4, letter->entity, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, (sqlite3_int64)letter->seq);
    sqlite3_bind_int64(stmt, 6, letter->attempts);
    if (letter->error)
        sqlite3_bind_text(stmt, 7, letter->error, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, 7);
    sqlite3_bind_int64(stmt, 8, letter->parked_ms);
    if (s_change(self, stmt, error, "cannot park an event of policy",
                 letter->policy) < 0)
        return -1;
    if (id)
        *id = sqlite3_last_insert_rowid(self->db);
    return 0;
}

typedef struct {
    int (*visit)(const shoal_dead_letter_t *letter, void *arg);
    void *arg;
} s_letter_walk_t;

/* Visits the row of DEAD_LETTER_COLUMNS. */
static int s_letter_row(sqlite3_stmt *stmt, void *context)
{
    s_letter_walk_t *walk = context;
    shoal_dead_letter_t letter = {
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
    return walk->visit(&letter, walk->arg);
}

int shoal_reactions_dead_letters(shoal_reactions_t *self, const char *policy,
                                 int64_t after_id, size_t limit,
                                 int (*visit)(const shoal_dead_letter_t *letter,
                                              void *arg),
                                 void *arg, char **error)
{
    assert(visit);
    sqlite3_stmt *stmt =
        self->stmt[policy ? R_DEAD_LETTERS_OF_POLICY : R_DEAD_LETTERS];
    sqlite3_bind_int64(stmt, 1, after_id);
    s_bind_limit(stmt, 2, limit);
    if (policy)
        sqlite3_bind_text(stmt, 3, policy, -1, SQLITE_STATIC);
    s_letter_walk_t walk = {visit, arg};
    return s_walk(self, stmt, s_letter_row, &walk, error,
                  "cannot list the dead letters");
}

int shoal_reactions_get_dead_letter(
    shoal_reactions_t *self, int64_t id,
    int (*visit)(const shoal_dead_letter_t *letter, void *arg), void *arg,
    char **error)
{
    assert(visit);
    sqlite3_stmt *stmt = self->stmt[R_GET_DEAD_LETTER];
    sqlite3_bind_int64(stmt, 1, id);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        s_letter_walk_t walk = {visit, arg};
        s_letter_row(stmt, &walk);
    } else if (rc != SQLITE_DONE) {
        s_error(self, error, "cannot read dead letter %lld", (long long)id);
    }
    s_done(stmt);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int shoal_reactions_unpark(shoal_reactions_t *self, int64_t id, char **error)
{
    assert(s_writing(self));
    sqlite3_stmt *stmt = self->stmt[R_UNPARK];
    sqlite3_bind_int64(stmt, 1, id);
    char name[24];
    snprintf(name, sizeof name, "%lld", (long long)id);
    int changes =
        s_change(self, stmt, error, "cannot unpark dead letter", name);
    return changes < 0 ? -1 : changes > 0;
}

typedef struct {
    void (*visit)(const char *policy, uint64_t count, void *arg);
    void *arg;
} s_count_walk_t;

static int s_count_row(sqlite3_stmt *stmt, void *context)
{
    s_count_walk_t *walk = context;
    const char *policy = (const char *)sqlite3_column_text(stmt, 0);
    if (policy) /* defensive: the column is NOT NULL */
        walk->visit(policy, (uint64_t)sqlite3_column_int64(stmt, 1), walk->arg);
    return 0;
}

int shoal_reactions_dead_letter_counts(shoal_reactions_t *self,
                                       void (*visit)(const char *policy,
                                                     uint64_t count, void *arg),
                                       void *arg, char **error)
{
    assert(visit);
    s_count_walk_t walk = {visit, arg};
    return s_walk(self, self->stmt[R_DEAD_LETTER_COUNTS], s_count_row, &walk,
                  error, "cannot count the dead letters") < 0
               ? -1
               : 0;
}
