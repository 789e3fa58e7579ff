/*
 * tests/unit/test_reactions.c - the durable state of policies, topics and
 * timers (persistence/reactions.c) and schema version 2 that holds it:
 * policy offsets, topic events read back in order by (topic, shard) and
 * their heads, timers by due time, dead letters, transactions, and the
 * migration of a version 1 journal.
 *
 * Every test works in its own temporary directory, on a writable journal
 * handle as the node's reactor thread holds one. The version 1 journal is
 * written with SQLite directly.
 */
#include "persistence/journal.h"
#include "persistence/journal_internal.h"
#include "persistence/reactions.h"
#include "tests/unit/temp_dir.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *s_dir;
static char *s_path;               /* s_dir/journal.db */
static shoal_journal_t *s_journal; /* opened by s_open */
static shoal_reactions_t *s_store; /* on s_journal */

/* Opens s_path writable with a reactions handle on it. */
static void s_open(void)
{
    char *error = NULL;
    s_journal =
        shoal_journal_open(s_path, SHOAL_DURABILITY_FULL, false, &error);
    cr_assert_not_null(s_journal, "open %s: %s", s_path, error);
    s_store = shoal_reactions_open(s_journal, &error);
    cr_assert_not_null(s_store, "reactions on %s: %s", s_path, error);
    cr_assert_null(error);
}

static void s_close(void)
{
    shoal_reactions_close(&s_store);
    cr_assert_null(s_store);
    shoal_journal_close(&s_journal);
}

static void s_setup(void)
{
    s_dir = temp_dir_new();
    s_path = temp_dir_file(s_dir, "journal.db");
}

static void s_teardown(void)
{
    shoal_reactions_close(&s_store);
    shoal_journal_close(&s_journal);
    free(s_path);
    s_path = NULL;
    temp_dir_destroy(&s_dir);
}

TestSuite(reactions, .init = s_setup, .fini = s_teardown);

/* ---------------------------------------------------------------------
 * Helpers
 */

static void s_begin(void)
{
    char *error = NULL;
    cr_assert_eq(shoal_journal_begin(s_journal, &error), 0, "%s", error);
}

static void s_commit(void)
{
    char *error = NULL;
    cr_assert_eq(shoal_journal_commit(s_journal, &error), 0, "%s", error);
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

/* Runs body in a child process and asserts that it aborts (an assert on
 * API misuse); the child opens its own handles on s_path. */
#define ASSERT_ABORTS(body)                                                    \
    do {                                                                       \
        fflush(NULL);                                                          \
        pid_t child = fork();                                                  \
        cr_assert_geq(child, 0);                                               \
        if (child == 0) {                                                      \
            signal(SIGABRT, SIG_DFL);                                          \
            s_open();                                                          \
            body;                                                              \
            _exit(0);                                                          \
        }                                                                      \
        int status = 0;                                                        \
        cr_assert_eq(waitpid(child, &status, 0), child);                       \
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,          \
                  "did not abort (status %d)", status);                        \
    } while (0)

/* --- Offsets ---------------------------------------------------------- */

static void s_save_offset(const char *policy, int64_t pos, uint32_t event_index)
{
    char *error = NULL;
    cr_assert_eq(
        shoal_reactions_save_offset(s_store, policy, pos, event_index, &error),
        0, "%s", error);
}

static void s_load_offset(const char *policy, int64_t *pos,
                          uint32_t *event_index)
{
    char *error = NULL;
    *pos = -1;
    *event_index = 99;
    cr_assert_eq(
        shoal_reactions_load_offset(s_store, policy, pos, event_index, &error),
        0, "%s", error);
}

/* --- Topics: what a read or the heads visited ------------------------- */

#define MAX_ROWS 64
typedef struct {
    size_t count;
    size_t stop_at; /* the visit returns non-zero at this count (0: never) */
    char topic[MAX_ROWS][16];
    uint32_t shard[MAX_ROWS];
    uint64_t seq[MAX_ROWS];
    char entity[MAX_ROWS][32];
    int64_t written_ms[MAX_ROWS];
    char payload[MAX_ROWS][16];
    size_t payload_size[MAX_ROWS];
    bool payload_null[MAX_ROWS];
} s_events_t;

static int s_event_visit(const shoal_topic_event_t *event, void *arg)
{
    s_events_t *events = arg;
    size_t i = events->count++;
    cr_assert_lt(i, MAX_ROWS);
    snprintf(events->topic[i], sizeof events->topic[i], "%s", event->topic);
    events->shard[i] = event->shard;
    events->seq[i] = event->seq;
    snprintf(events->entity[i], sizeof events->entity[i], "%s", event->entity);
    events->written_ms[i] = event->written_ms;
    cr_assert_leq(event->payload_size, sizeof events->payload[i]);
    if (event->payload_size)
        memcpy(events->payload[i], event->payload, event->payload_size);
    events->payload_size[i] = event->payload_size;
    events->payload_null[i] = event->payload == NULL;
    return events->stop_at && events->count == events->stop_at;
}

static void s_head_visit(const char *topic, uint32_t shard, uint64_t seq,
                         void *arg)
{
    s_events_t *heads = arg;
    size_t i = heads->count++;
    cr_assert_lt(i, MAX_ROWS);
    snprintf(heads->topic[i], sizeof heads->topic[i], "%s", topic);
    heads->shard[i] = shard;
    heads->seq[i] = seq;
}

/* The seq of the head of (topic, shard) among heads, 0 when absent; a
 * (topic, shard) visited twice fails the test. */
static uint64_t s_head_of(const s_events_t *heads, const char *topic,
                          uint32_t shard)
{
    uint64_t seq = 0;
    for (size_t i = 0; i < heads->count; i++) {
        if (strcmp(heads->topic[i], topic) == 0 && heads->shard[i] == shard) {
            cr_assert_eq(seq, 0, "%s/%u visited twice", topic, shard);
            seq = heads->seq[i];
        }
    }
    return seq;
}

static void s_heads(s_events_t *heads)
{
    memset(heads, 0, sizeof *heads);
    char *error = NULL;
    cr_assert_eq(
        shoal_reactions_topic_heads(s_store, s_head_visit, heads, &error), 0,
        "%s", error);
}

static void s_publish(const char *topic, uint32_t shard, uint64_t seq,
                      const char *entity, const char *payload)
{
    shoal_topic_event_t event = {
        .topic = topic,
        .shard = shard,
        .seq = seq,
        .entity = entity,
        .written_ms = 1700000000000 + (int64_t)seq,
        .payload = payload,
        .payload_size = payload ? strlen(payload) : 0,
    };
    char *error = NULL;
    cr_assert_eq(shoal_reactions_publish(s_store, &event, &error), 0,
                 "publish %s/%u/%llu: %s", topic, shard,
                 (unsigned long long)seq, error);
}

/* Reads (topic, shard) after after_seq into events (cleared first, its
 * stop_at kept) and returns what the read returned. */
static int s_read_topic(const char *topic, uint32_t shard, uint64_t after_seq,
                        size_t limit, s_events_t *events)
{
    size_t stop_at = events->stop_at;
    memset(events, 0, sizeof *events);
    events->stop_at = stop_at;
    char *error = NULL;
    int count = shoal_reactions_read_topic(
        s_store, topic, shard, after_seq, limit, s_event_visit, events, &error);
    cr_assert_geq(count, 0, "%s", error);
    cr_assert_null(error);
    return count;
}

/* --- Timers ----------------------------------------------------------- */

typedef struct {
    size_t count;
    size_t stop_at;
    char id[MAX_ROWS][16];
    int64_t due_ms[MAX_ROWS];
    char type[MAX_ROWS][16];
    char entity_id[MAX_ROWS][16];
    char command[MAX_ROWS][16];
    char payload[MAX_ROWS][16];
    size_t payload_size[MAX_ROWS];
} s_timers_t;

static int s_timer_visit(const shoal_timer_row_t *timer, void *arg)
{
    s_timers_t *timers = arg;
    size_t i = timers->count++;
    cr_assert_lt(i, MAX_ROWS);
    snprintf(timers->id[i], sizeof timers->id[i], "%s", timer->id);
    timers->due_ms[i] = timer->due_ms;
    snprintf(timers->type[i], sizeof timers->type[i], "%s", timer->type);
    snprintf(timers->entity_id[i], sizeof timers->entity_id[i], "%s",
             timer->entity_id);
    snprintf(timers->command[i], sizeof timers->command[i], "%s",
             timer->command);
    cr_assert_leq(timer->payload_size, sizeof timers->payload[i]);
    if (timer->payload_size)
        memcpy(timers->payload[i], timer->payload, timer->payload_size);
    timers->payload_size[i] = timer->payload_size;
    return timers->stop_at && timers->count == timers->stop_at;
}

static void s_add_timer(const char *id, int64_t due_ms, const char *payload)
{
    shoal_timer_row_t timer = {
        .id = id,
        .due_ms = due_ms,
        .type = "counter",
        .entity_id = "c-1",
        .command = "add",
        .payload = payload,
        .payload_size = payload ? strlen(payload) : 0,
    };
    char *error = NULL;
    cr_assert_eq(shoal_reactions_add_timer(s_store, &timer, &error), 0,
                 "add timer %s: %s", id, error);
}

static int s_due_timers(int64_t until_ms, size_t limit, s_timers_t *timers)
{
    size_t stop_at = timers->stop_at;
    memset(timers, 0, sizeof *timers);
    timers->stop_at = stop_at;
    char *error = NULL;
    int count = shoal_reactions_due_timers(s_store, until_ms, limit,
                                           s_timer_visit, timers, &error);
    cr_assert_geq(count, 0, "%s", error);
    return count;
}

static uint64_t s_timer_count(void)
{
    uint64_t count = 99;
    char *error = NULL;
    cr_assert_eq(shoal_reactions_timer_count(s_store, &count, &error), 0, "%s",
                 error);
    return count;
}

/* Returns what next_due returned; *due_ms is -1 when it was not set. */
static int s_next_due(int64_t *due_ms)
{
    char *error = NULL;
    *due_ms = -1;
    int found = shoal_reactions_next_due(s_store, due_ms, &error);
    cr_assert_geq(found, 0, "%s", error);
    return found;
}

/* --- Dead letters ----------------------------------------------------- */

typedef struct {
    size_t count;
    size_t stop_at;
    shoal_dead_letter_t letter[MAX_ROWS]; /* strings point into the arrays */
    char policy[MAX_ROWS][16];
    char entity[MAX_ROWS][32];
    char error[MAX_ROWS][32];
} s_letters_t;

static int s_letter_visit(const shoal_dead_letter_t *letter, void *arg)
{
    s_letters_t *letters = arg;
    size_t i = letters->count++;
    cr_assert_lt(i, MAX_ROWS);
    letters->letter[i] = *letter;
    snprintf(letters->policy[i], sizeof letters->policy[i], "%s",
             letter->policy);
    letters->letter[i].policy = letters->policy[i];
    snprintf(letters->entity[i], sizeof letters->entity[i], "%s",
             letter->entity);
    letters->letter[i].entity = letters->entity[i];
    if (letter->error) {
        snprintf(letters->error[i], sizeof letters->error[i], "%s",
                 letter->error);
        letters->letter[i].error = letters->error[i];
    }
    return letters->stop_at && letters->count == letters->stop_at;
}

static int64_t s_park(const char *policy, int64_t pos, const char *reason)
{
    shoal_dead_letter_t letter = {
        .id = 12345, /* ignored */
        .policy = policy,
        .pos = pos,
        .event_index = 2,
        .entity = "account/acc-1",
        .seq = (uint64_t)pos * 10,
        .attempts = 5,
        .error = reason,
        .parked_ms = 1700000000000 + pos,
    };
    int64_t id = -1;
    char *error = NULL;
    cr_assert_eq(shoal_reactions_park(s_store, &letter, &id, &error), 0, "%s",
                 error);
    cr_assert_gt(id, 0);
    return id;
}

static int s_dead_letters(const char *policy, int64_t after_id, size_t limit,
                          s_letters_t *letters)
{
    size_t stop_at = letters->stop_at;
    memset(letters, 0, sizeof *letters);
    letters->stop_at = stop_at;
    char *error = NULL;
    int count = shoal_reactions_dead_letters(s_store, policy, after_id, limit,
                                             s_letter_visit, letters, &error);
    cr_assert_geq(count, 0, "%s", error);
    return count;
}

typedef struct {
    size_t count;
    char policy[MAX_ROWS][16];
    uint64_t letters[MAX_ROWS];
} s_counts_t;

static void s_count_visit(const char *policy, uint64_t count, void *arg)
{
    s_counts_t *counts = arg;
    size_t i = counts->count++;
    cr_assert_lt(i, MAX_ROWS);
    snprintf(counts->policy[i], sizeof counts->policy[i], "%s", policy);
    counts->letters[i] = count;
}

static void s_dead_letter_counts(s_counts_t *counts)
{
    memset(counts, 0, sizeof *counts);
    char *error = NULL;
    cr_assert_eq(shoal_reactions_dead_letter_counts(s_store, s_count_visit,
                                                    counts, &error),
                 0, "%s", error);
}

/* ---------------------------------------------------------------------
 * Opening
 */

Test(reactions, open_and_close_and_close_is_null_safe)
{
    s_open();
    s_close();
    shoal_reactions_t *none = NULL;
    shoal_reactions_close(&none);
    shoal_reactions_close(NULL);
}

Test(reactions, a_new_journal_has_no_reaction_state)
{
    s_open();
    int64_t pos;
    uint32_t event_index;
    s_load_offset("notify", &pos, &event_index);
    cr_assert_eq(pos, 0);
    cr_assert_eq(event_index, 0);

    s_events_t events;
    s_heads(&events);
    cr_assert_eq(events.count, 0);
    cr_assert_eq(s_read_topic("orders", 0, 0, 10, &events), 0);

    s_timers_t timers = {0};
    cr_assert_eq(s_due_timers(INT64_MAX, 10, &timers), 0);
    int64_t due;
    cr_assert_eq(s_next_due(&due), 0);
    cr_assert_eq(due, -1, "next_due set *due_ms without a timer");
    cr_assert_eq(s_timer_count(), 0);

    s_letters_t letters = {0};
    cr_assert_eq(s_dead_letters(NULL, 0, 10, &letters), 0);
    s_counts_t counts;
    s_dead_letter_counts(&counts);
    cr_assert_eq(counts.count, 0);
}

/* ---------------------------------------------------------------------
 * Policy offsets
 */

Test(reactions, offsets_are_saved_replaced_and_kept_per_policy)
{
    s_open();
    s_begin();
    s_save_offset("notify", 10, 0);
    s_save_offset("audit", 7, 3);
    s_commit();

    int64_t pos;
    uint32_t event_index;
    s_load_offset("notify", &pos, &event_index);
    cr_assert_eq(pos, 10);
    cr_assert_eq(event_index, 0);
    s_load_offset("audit", &pos, &event_index);
    cr_assert_eq(pos, 7);
    cr_assert_eq(event_index, 3);

    s_begin();
    s_save_offset("notify", INT64_C(1) << 40, UINT32_MAX);
    s_commit();
    s_load_offset("notify", &pos, &event_index);
    cr_assert_eq(pos, INT64_C(1) << 40);
    cr_assert_eq(event_index, UINT32_MAX);
    s_load_offset("audit", &pos, &event_index);
    cr_assert_eq(pos, 7, "another policy's offset changed");
    cr_assert_eq(s_sql_int("SELECT count(*) FROM policy_offsets"), 2);
}

Test(reactions, offsets_persist_across_close_and_reopen)
{
    s_open();
    s_begin();
    s_save_offset("notify", 42, 1);
    s_commit();
    s_close();

    s_open();
    int64_t pos;
    uint32_t event_index;
    s_load_offset("notify", &pos, &event_index);
    cr_assert_eq(pos, 42);
    cr_assert_eq(event_index, 1);
    s_load_offset("other", &pos, &event_index);
    cr_assert_eq(pos, 0);
    cr_assert_eq(event_index, 0);
}

/* ---------------------------------------------------------------------
 * Topics
 */

Test(reactions, read_topic_returns_the_events_of_one_topic_and_shard_in_order)
{
    s_open();
    /* Interleaved, and each (topic, shard) in a scrambled seq order: the
     * reads must come back by seq all the same. */
    static const uint64_t order[] = {3, 1, 5, 2, 4};
    s_begin();
    for (size_t i = 0; i < 5; i++) {
        char payload[16];
        snprintf(payload, sizeof payload, "o0-%llu",
                 (unsigned long long)order[i]);
        s_publish("orders", 0, order[i], "order/a", payload);
        snprintf(payload, sizeof payload, "o1-%llu",
                 (unsigned long long)order[i]);
        s_publish("orders", 1, order[i], "order/b", payload);
        s_publish("ordersx", 0, order[i], "order/c", "x");
    }
    s_commit();

    s_events_t events = {0};
    cr_assert_eq(s_read_topic("orders", 1, 0, 100, &events), 5);
    for (size_t i = 0; i < 5; i++) {
        char payload[16];
        snprintf(payload, sizeof payload, "o1-%zu", i + 1);
        cr_assert_str_eq(events.topic[i], "orders");
        cr_assert_eq(events.shard[i], 1);
        cr_assert_eq(events.seq[i], i + 1);
        cr_assert_str_eq(events.entity[i], "order/b");
        cr_assert_eq(events.written_ms[i], 1700000000000 + (int64_t)i + 1);
        cr_assert_eq(events.payload_size[i], strlen(payload));
        cr_assert_eq(memcmp(events.payload[i], payload, strlen(payload)), 0);
    }
    cr_assert_eq(s_read_topic("orders", 0, 0, 100, &events), 5);
    cr_assert_str_eq(events.entity[0], "order/a");
    cr_assert_eq(s_read_topic("orders", 2, 0, 100, &events), 0);
    cr_assert_eq(s_read_topic("order", 0, 0, 100, &events), 0);
}

Test(reactions, read_topic_resumes_after_a_seq_with_nothing_missed)
{
    s_open();
    enum { EVENTS = 23 };
    s_begin();
    for (uint64_t seq = 1; seq <= EVENTS; seq++) {
        s_publish("orders", 4, seq, "order/a", NULL);
        s_publish("orders", 5, seq, "order/b", NULL);
    }
    s_commit();

    /* Pages of 5, each after the last seq read, cover 1..23 once each. */
    uint64_t after = 0, expected = 1;
    s_events_t events = {0};
    for (int page = 0; page < 10; page++) {
        int count = s_read_topic("orders", 4, after, 5, &events);
        cr_assert_leq(count, 5);
        for (int i = 0; i < count; i++)
            cr_assert_eq(events.seq[i], expected++, "page %d", page);
        if (count == 0)
            break;
        after = events.seq[count - 1];
    }
    cr_assert_eq(expected, EVENTS + 1);

    /* An event published later continues after the last one read. */
    s_begin();
    s_publish("orders", 4, EVENTS + 1, "order/a", "late");
    s_commit();
    cr_assert_eq(s_read_topic("orders", 4, after, 5, &events), 1);
    cr_assert_eq(events.seq[0], EVENTS + 1);

    /* A visit that returns non-zero stops the read there; that event does
     * not count. */
    events.stop_at = 3;
    cr_assert_eq(s_read_topic("orders", 5, 10, 100, &events), 2);
    cr_assert_eq(events.count, 3);
    cr_assert_eq(events.seq[2], 13);
    /* ...and the statement is reusable. */
    events.stop_at = 0;
    cr_assert_eq(s_read_topic("orders", 5, 20, 100, &events), 3);
    cr_assert_eq(s_read_topic("orders", 5, 0, 0, &events), 0, "limit 0");
}

Test(reactions, topic_payloads_keep_nul_bytes_and_empty_ones_read_back_empty)
{
    s_open();
    static const unsigned char binary[] = {0, 'a', 0, 0xff};
    shoal_topic_event_t event = {
        .topic = "bin",
        .shard = 0,
        .seq = 1,
        .entity = "t/1",
        .written_ms = 5,
        .payload = binary,
        .payload_size = sizeof binary,
    };
    char *error = NULL;
    s_begin();
    cr_assert_eq(shoal_reactions_publish(s_store, &event, &error), 0, "%s",
                 error);
    event.seq = 2;
    event.payload = "";
    event.payload_size = 0;
    cr_assert_eq(shoal_reactions_publish(s_store, &event, &error), 0);
    s_commit();

    s_events_t events = {0};
    cr_assert_eq(s_read_topic("bin", 0, 0, 10, &events), 2);
    cr_assert_eq(events.payload_size[0], sizeof binary);
    cr_assert_eq(memcmp(events.payload[0], binary, sizeof binary), 0);
    cr_assert_eq(events.payload_size[1], 0);
    cr_assert(events.payload_null[1]);
}

Test(reactions, publishing_a_taken_seq_is_refused_and_the_rest_commits)
{
    s_open();
    s_begin();
    s_publish("orders", 2, 1, "order/a", "first");
    shoal_topic_event_t again = {.topic = "orders",
                                 .shard = 2,
                                 .seq = 1,
                                 .entity = "order/z",
                                 .payload = "second",
                                 .payload_size = 6};
    char *error = NULL;
    cr_assert_eq(shoal_reactions_publish(s_store, &again, &error), -1);
    cr_assert_not_null(error);
    cr_assert(strstr(error, s_path) && strstr(error, "orders") &&
                  strstr(error, "UNIQUE"),
              "error: %s", error);
    free(error);
    /* Another shard or seq is not taken; the transaction goes on. */
    s_publish("orders", 3, 1, "order/b", "other shard");
    s_publish("orders", 2, 2, "order/a", "next");
    s_commit();

    s_events_t events = {0};
    cr_assert_eq(s_read_topic("orders", 2, 0, 10, &events), 2);
    cr_assert_str_eq(events.entity[0], "order/a", "the duplicate replaced it");
    cr_assert_eq(memcmp(events.payload[0], "first", 5), 0);
}

Test(reactions, topic_heads_give_the_highest_seq_of_every_topic_and_shard)
{
    s_open();
    s_begin();
    for (uint64_t seq = 1; seq <= 7; seq++)
        s_publish("orders", 0, seq, "order/a", NULL);
    for (uint64_t seq = 1; seq <= 3; seq++)
        s_publish("orders", 9, seq, "order/a", NULL);
    s_publish("orders", 4294967295u, 1, "order/a", NULL);
    s_publish("payments", 0, 12, "pay/a", NULL); /* not from 1: still max */
    s_publish("a", 1, 1, "x/a", NULL);
    s_publish("z", 0, 2, "x/z", NULL);
    s_publish("z", 0, 1, "x/z", NULL);
    s_commit();

    s_events_t heads;
    s_heads(&heads);
    cr_assert_eq(heads.count, 6);
    cr_assert_eq(s_head_of(&heads, "orders", 0), 7);
    cr_assert_eq(s_head_of(&heads, "orders", 9), 3);
    cr_assert_eq(s_head_of(&heads, "orders", 4294967295u), 1);
    cr_assert_eq(s_head_of(&heads, "payments", 0), 12);
    cr_assert_eq(s_head_of(&heads, "a", 1), 1);
    cr_assert_eq(s_head_of(&heads, "z", 0), 2);

    s_begin();
    s_publish("orders", 9, 4, "order/a", NULL);
    s_commit();
    s_heads(&heads);
    cr_assert_eq(heads.count, 6);
    cr_assert_eq(s_head_of(&heads, "orders", 9), 4);
}

/* The number of virtual machine steps every statement of the connection
 * has run, to tell a seek per (topic, shard) from a scan of the rows. */
static int64_t s_vm_steps(void)
{
    sqlite3 *db = shoal__journal_db(s_journal);
    int64_t steps = 0;
    for (sqlite3_stmt *stmt = sqlite3_next_stmt(db, NULL); stmt;
         stmt = sqlite3_next_stmt(db, stmt))
        steps += sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_VM_STEP, 0);
    return steps;
}

Test(reactions, topic_heads_cost_does_not_grow_with_the_number_of_events)
{
    s_open();
    s_begin();
    for (uint64_t seq = 1; seq <= 3; seq++) {
        s_publish("orders", 0, seq, "order/a", "payload");
        s_publish("orders", 1, seq, "order/a", "payload");
    }
    s_commit();
    s_events_t heads;
    int64_t before = s_vm_steps();
    s_heads(&heads);
    int64_t few = s_vm_steps() - before;

    s_begin();
    for (uint64_t seq = 4; seq <= 2000; seq++) {
        s_publish("orders", 0, seq, "order/a", "payload");
        s_publish("orders", 1, seq, "order/a", "payload");
    }
    s_commit();
    before = s_vm_steps();
    s_heads(&heads);
    int64_t many = s_vm_steps() - before;
    cr_assert_eq(s_head_of(&heads, "orders", 1), 2000);
    cr_assert_eq(many, few, "%lld steps for 6 events, %lld for 4000",
                 (long long)few, (long long)many);
}

/* ---------------------------------------------------------------------
 * Timers
 */

Test(reactions, due_timers_come_by_due_time_then_id)
{
    s_open();
    s_begin();
    s_add_timer("t-c", 300, "c");
    s_add_timer("t-b", 100, "b");
    s_add_timer("t-z", 200, NULL);
    s_add_timer("t-a", 200, "a\0x"); /* the payload stops at the NUL */
    s_add_timer("t-late", 5000, "late");
    s_commit();
    cr_assert_eq(s_timer_count(), 5);

    s_timers_t timers = {0};
    cr_assert_eq(s_due_timers(300, 100, &timers), 4);
    static const char *const ids[] = {"t-b", "t-a", "t-z", "t-c"};
    static const int64_t dues[] = {100, 200, 200, 300};
    for (size_t i = 0; i < 4; i++) {
        cr_assert_str_eq(timers.id[i], ids[i], "timer %zu", i);
        cr_assert_eq(timers.due_ms[i], dues[i]);
        cr_assert_str_eq(timers.type[i], "counter");
        cr_assert_str_eq(timers.entity_id[i], "c-1");
        cr_assert_str_eq(timers.command[i], "add");
    }
    cr_assert_eq(timers.payload_size[0], 1);
    cr_assert_eq(timers.payload[0][0], 'b');
    cr_assert_eq(timers.payload_size[2], 0, "no payload reads back empty");

    /* until_ms is inclusive; limit caps; a stop is not counted. */
    cr_assert_eq(s_due_timers(99, 100, &timers), 0);
    cr_assert_eq(s_due_timers(100, 100, &timers), 1);
    cr_assert_eq(s_due_timers(INT64_MAX, 2, &timers), 2);
    cr_assert_str_eq(timers.id[1], "t-a");
    timers.stop_at = 3;
    cr_assert_eq(s_due_timers(INT64_MAX, 100, &timers), 2);
    cr_assert_eq(timers.count, 3);
    timers.stop_at = 0;
    cr_assert_eq(s_due_timers(INT64_MAX, 100, &timers), 5);
    cr_assert_str_eq(timers.id[4], "t-late");

    /* Reading does not delete. */
    cr_assert_eq(s_timer_count(), 5);
}

Test(reactions, adding_a_timer_id_again_changes_nothing)
{
    s_open();
    s_begin();
    s_add_timer("t-1", 100, "first");
    s_commit();
    s_begin();
    shoal_timer_row_t again = {.id = "t-1",
                               .due_ms = 50,
                               .type = "other",
                               .entity_id = "o-1",
                               .command = "other",
                               .payload = "second",
                               .payload_size = 6};
    char *error = NULL;
    cr_assert_eq(shoal_reactions_add_timer(s_store, &again, &error), 0, "%s",
                 error);
    cr_assert_eq(shoal_reactions_add_timer(s_store, &again, &error), 0);
    s_commit();

    cr_assert_eq(s_timer_count(), 1);
    s_timers_t timers = {0};
    cr_assert_eq(s_due_timers(INT64_MAX, 10, &timers), 1);
    cr_assert_eq(timers.due_ms[0], 100);
    cr_assert_str_eq(timers.type[0], "counter");
    cr_assert_eq(memcmp(timers.payload[0], "first", 5), 0);
    int64_t due;
    cr_assert_eq(s_next_due(&due), 1);
    cr_assert_eq(due, 100);
}

Test(reactions, delete_timer_and_next_due)
{
    s_open();
    s_begin();
    s_add_timer("t-1", 300, NULL);
    s_add_timer("t-2", -20, NULL); /* due times are the runtime's clock */
    s_add_timer("t-3", 150, NULL);
    s_commit();
    int64_t due;
    cr_assert_eq(s_next_due(&due), 1);
    cr_assert_eq(due, -20);

    char *error = NULL;
    s_begin();
    cr_assert_eq(shoal_reactions_delete_timer(s_store, "t-2", &error), 1, "%s",
                 error);
    cr_assert_eq(shoal_reactions_delete_timer(s_store, "t-2", &error), 0);
    cr_assert_eq(shoal_reactions_delete_timer(s_store, "none", &error), 0);
    s_commit();
    cr_assert_null(error);
    cr_assert_eq(s_next_due(&due), 1);
    cr_assert_eq(due, 150);
    cr_assert_eq(s_timer_count(), 2);

    s_begin();
    cr_assert_eq(shoal_reactions_delete_timer(s_store, "t-1", &error), 1);
    cr_assert_eq(shoal_reactions_delete_timer(s_store, "t-3", &error), 1);
    s_commit();
    cr_assert_eq(s_next_due(&due), 0);
    cr_assert_eq(s_timer_count(), 0);

    /* A deleted id can be added again. */
    s_begin();
    s_add_timer("t-2", 7, NULL);
    s_commit();
    cr_assert_eq(s_next_due(&due), 1);
    cr_assert_eq(due, 7);
}

Test(reactions, timers_persist_across_close_and_reopen)
{
    s_open();
    s_begin();
    s_add_timer("t-1", 100, "p");
    s_commit();
    s_close();
    s_open();
    cr_assert_eq(s_timer_count(), 1);
    int64_t due;
    cr_assert_eq(s_next_due(&due), 1);
    cr_assert_eq(due, 100);
}

/* ---------------------------------------------------------------------
 * Dead letters
 */

Test(reactions, dead_letters_are_parked_listed_and_filtered)
{
    s_open();
    s_begin();
    int64_t first = s_park("notify", 1, "timeout");
    int64_t second = s_park("audit", 2, NULL);
    int64_t third = s_park("notify", 3, "refused");
    s_commit();
    cr_assert_eq(first, 1);
    cr_assert_lt(first, second);
    cr_assert_lt(second, third);

    s_letters_t letters = {0};
    cr_assert_eq(s_dead_letters(NULL, 0, 100, &letters), 3);
    cr_assert_eq(letters.letter[0].id, first);
    cr_assert_eq(letters.letter[1].id, second);
    cr_assert_eq(letters.letter[2].id, third);
    const shoal_dead_letter_t *letter = &letters.letter[0];
    cr_assert_str_eq(letter->policy, "notify");
    cr_assert_eq(letter->pos, 1);
    cr_assert_eq(letter->event_index, 2);
    cr_assert_str_eq(letter->entity, "account/acc-1");
    cr_assert_eq(letter->seq, 10);
    cr_assert_eq(letter->attempts, 5);
    cr_assert_str_eq(letter->error, "timeout");
    cr_assert_eq(letter->parked_ms, 1700000000001);
    cr_assert_null(letters.letter[1].error, "no reason reads back NULL");

    /* By policy. */
    cr_assert_eq(s_dead_letters("notify", 0, 100, &letters), 2);
    cr_assert_eq(letters.letter[0].id, first);
    cr_assert_eq(letters.letter[1].id, third);
    cr_assert_eq(s_dead_letters("audit", 0, 100, &letters), 1);
    cr_assert_eq(letters.letter[0].id, second);
    cr_assert_eq(s_dead_letters("none", 0, 100, &letters), 0);

    /* Pages: after an id, up to a limit; a stop is not counted. */
    cr_assert_eq(s_dead_letters(NULL, first, 1, &letters), 1);
    cr_assert_eq(letters.letter[0].id, second);
    cr_assert_eq(s_dead_letters("notify", first, 100, &letters), 1);
    cr_assert_eq(letters.letter[0].id, third);
    cr_assert_eq(s_dead_letters(NULL, third, 100, &letters), 0);
    letters.stop_at = 1;
    cr_assert_eq(s_dead_letters(NULL, 0, 100, &letters), 0);
    cr_assert_eq(letters.count, 1);
}

Test(reactions, get_dead_letter_finds_one_by_id)
{
    s_open();
    s_begin();
    s_park("notify", 1, NULL);
    int64_t id = s_park("audit", 4, "boom");
    s_commit();

    s_letters_t letters = {0};
    char *error = NULL;
    cr_assert_eq(shoal_reactions_get_dead_letter(s_store, id, s_letter_visit,
                                                 &letters, &error),
                 1, "%s", error);
    cr_assert_eq(letters.count, 1);
    cr_assert_eq(letters.letter[0].id, id);
    cr_assert_str_eq(letters.letter[0].policy, "audit");
    cr_assert_eq(letters.letter[0].pos, 4);
    cr_assert_str_eq(letters.letter[0].error, "boom");

    memset(&letters, 0, sizeof letters);
    cr_assert_eq(shoal_reactions_get_dead_letter(
                     s_store, id + 1, s_letter_visit, &letters, &error),
                 0);
    cr_assert_eq(letters.count, 0);
    cr_assert_null(error);
}

Test(reactions, unpark_deletes_and_ids_are_not_reused)
{
    s_open();
    s_begin();
    int64_t first = s_park("notify", 1, NULL);
    int64_t last = s_park("notify", 2, NULL);
    s_commit();

    char *error = NULL;
    s_begin();
    cr_assert_eq(shoal_reactions_unpark(s_store, last, &error), 1, "%s", error);
    cr_assert_eq(shoal_reactions_unpark(s_store, last, &error), 0);
    cr_assert_eq(shoal_reactions_unpark(s_store, 999, &error), 0);
    s_commit();
    cr_assert_null(error);

    s_letters_t letters = {0};
    cr_assert_eq(s_dead_letters(NULL, 0, 100, &letters), 1);
    cr_assert_eq(letters.letter[0].id, first);

    /* The id of the unparked letter is not given again, even across a
     * reopen: an operator's id names one letter only. */
    s_close();
    s_open();
    s_begin();
    int64_t next = s_park("notify", 3, NULL);
    s_commit();
    cr_assert_gt(next, last);
}

Test(reactions, dead_letter_counts_are_per_policy)
{
    s_open();
    s_begin();
    for (int i = 0; i < 3; i++)
        s_park("notify", i + 1, NULL);
    int64_t audit = s_park("audit", 9, NULL);
    s_commit();

    s_counts_t counts;
    s_dead_letter_counts(&counts);
    cr_assert_eq(counts.count, 2);
    cr_assert_str_eq(counts.policy[0], "audit");
    cr_assert_eq(counts.letters[0], 1);
    cr_assert_str_eq(counts.policy[1], "notify");
    cr_assert_eq(counts.letters[1], 3);

    char *error = NULL;
    s_begin();
    cr_assert_eq(shoal_reactions_unpark(s_store, audit, &error), 1);
    s_commit();
    s_dead_letter_counts(&counts);
    cr_assert_eq(counts.count, 1);
    cr_assert_str_eq(counts.policy[0], "notify");
}

/* ---------------------------------------------------------------------
 * Transactions
 */

Test(reactions, a_rolled_back_transaction_leaves_nothing)
{
    s_open();
    s_begin();
    s_save_offset("notify", 5, 0);
    s_add_timer("kept", 10, NULL);
    s_commit();

    s_begin();
    s_save_offset("notify", 9, 2);
    s_save_offset("audit", 3, 0);
    s_publish("orders", 0, 1, "order/a", "p");
    s_add_timer("t-1", 100, NULL);
    char *error = NULL;
    cr_assert_eq(shoal_reactions_delete_timer(s_store, "kept", &error), 1);
    s_park("notify", 1, "x");
    /* Inside the transaction, its reads see its writes. */
    int64_t pos;
    uint32_t event_index;
    s_load_offset("notify", &pos, &event_index);
    cr_assert_eq(pos, 9);
    cr_assert_eq(s_timer_count(), 1);
    shoal_journal_rollback(s_journal);

    s_load_offset("notify", &pos, &event_index);
    cr_assert_eq(pos, 5);
    cr_assert_eq(event_index, 0);
    s_load_offset("audit", &pos, &event_index);
    cr_assert_eq(pos, 0);
    s_events_t events;
    s_heads(&events);
    cr_assert_eq(events.count, 0);
    s_timers_t timers = {0};
    cr_assert_eq(s_due_timers(INT64_MAX, 10, &timers), 1);
    cr_assert_str_eq(timers.id[0], "kept");
    s_letters_t letters = {0};
    cr_assert_eq(s_dead_letters(NULL, 0, 10, &letters), 0);
    s_counts_t counts;
    s_dead_letter_counts(&counts);
    cr_assert_eq(counts.count, 0);

    /* And closing with a transaction open rolls it back too. */
    s_begin();
    s_publish("orders", 0, 1, "order/a", "p");
    s_close();
    cr_assert_eq(s_sql_int("SELECT count(*) FROM topic_events"), 0);
}

/* What the policy of the next test does with an entry: publishes one
 * public event per entry on its shard, numbered from the topic heads. */
typedef struct {
    uint64_t next_seq;
    int64_t handled[MAX_ROWS];
    size_t count;
} s_policy_t;

static int s_policy_visit(const shoal_journal_entry_t *entry, void *arg)
{
    s_policy_t *policy = arg;
    cr_assert_lt(policy->count, MAX_ROWS);
    policy->handled[policy->count++] = entry->pos;
    s_publish("orders", entry->shard, policy->next_seq++, entry->entity,
              entry->events_size ? "e" : NULL);
    return 0;
}

/* Appends an entry on the writer handle, in its own transaction. */
static int64_t s_append(shoal_journal_t *writer, const char *events)
{
    shoal_journal_entry_t entry = {
        .shard = 1,
        .entity = "order/a",
        .first_seq = 1,
        .event_count = events ? (uint32_t)strlen(events) : 0,
        .events = events,
        .events_size = events ? strlen(events) : 0,
    };
    char *error = NULL;
    cr_assert_eq(shoal_journal_begin(writer, &error), 0, "%s", error);
    cr_assert_eq(shoal_journal_append(writer, &entry, &error), 0, "%s", error);
    cr_assert_eq(shoal_journal_commit(writer, &error), 0, "%s", error);
    return entry.pos;
}

/* Runs the policy once: scans after its offset, publishes, saves the new
 * offset, all in one transaction on the reactor's handle. */
static void s_run_policy(s_policy_t *policy)
{
    int64_t pos;
    uint32_t event_index;
    s_load_offset("publisher", &pos, &event_index);
    s_begin();
    int64_t last_pos = -1;
    char *error = NULL;
    cr_assert_geq(shoal_journal_scan(s_journal, pos, 100, s_policy_visit,
                                     policy, &last_pos, &error),
                  0, "%s", error);
    s_save_offset("publisher", last_pos, 0);
    s_commit();
}

Test(reactions, a_policy_runs_on_the_reactor_handle_beside_the_journal_writer)
{
    /* The node's two writers on one file: the journal writer appends
     * entries, the reactor scans them and records what its policy did. */
    s_open();
    char *error = NULL;
    shoal_journal_t *writer =
        shoal_journal_open(s_path, SHOAL_DURABILITY_FULL, false, &error);
    cr_assert_not_null(writer, "%s", error);
    int64_t first = s_append(writer, "e");
    int64_t eventless = s_append(writer, NULL);

    s_policy_t policy = {.next_seq = 1};
    s_run_policy(&policy);
    cr_assert_eq(policy.count, 1);
    cr_assert_eq(policy.handled[0], first);
    int64_t pos;
    uint32_t event_index;
    s_load_offset("publisher", &pos, &event_index);
    cr_assert_eq(pos, eventless, "the offset passes the entry without events");

    /* The writer goes on; the next run takes only what is new. */
    int64_t third = s_append(writer, "ee");
    s_run_policy(&policy);
    cr_assert_eq(policy.count, 2);
    cr_assert_eq(policy.handled[1], third);
    s_run_policy(&policy);
    cr_assert_eq(policy.count, 2, "nothing new, nothing handled");

    s_events_t heads;
    s_heads(&heads);
    cr_assert_eq(heads.count, 1);
    cr_assert_eq(s_head_of(&heads, "orders", 1), 2);
    shoal_journal_close(&writer);
}

Test(reactions, writes_outside_a_transaction_are_a_programming_error)
{
    s_open();
    s_close();
    ASSERT_ABORTS(s_save_offset("notify", 1, 0));
    ASSERT_ABORTS(s_publish("orders", 0, 1, "order/a", NULL));
    ASSERT_ABORTS(s_add_timer("t-1", 1, NULL));
    ASSERT_ABORTS(shoal_reactions_delete_timer(s_store, "t-1", NULL));
    ASSERT_ABORTS(s_park("notify", 1, NULL));
    ASSERT_ABORTS(shoal_reactions_unpark(s_store, 1, NULL));
    /* A read transaction is not a write transaction. */
    ASSERT_ABORTS({
        shoal_journal_begin_read(s_journal, NULL);
        s_save_offset("notify", 1, 0);
    });
    s_open();
    cr_assert_eq(s_sql_int("SELECT count(*) FROM policy_offsets") +
                     s_sql_int("SELECT count(*) FROM topic_events") +
                     s_sql_int("SELECT count(*) FROM timers") +
                     s_sql_int("SELECT count(*) FROM dead_letters"),
                 0);
}

/* ---------------------------------------------------------------------
 * The migration from schema version 1
 */

/* Version 1's schema, as shoal wrote it. */
static const char s_v1_schema[] = "CREATE TABLE journal ("
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
                                  "  value INTEGER NOT NULL) WITHOUT ROWID;"
                                  "PRAGMA user_version = 1;";

Test(reactions, a_version_1_journal_migrates_with_its_rows_intact)
{
    s_sql(s_v1_schema);
    s_sql("INSERT INTO journal VALUES (1, 'counter/a', 3, 0, 1, 2, 0,"
          " 1700000000000, 'c1', x'6f6b', x'00ff');"
          "INSERT INTO journal VALUES (2, 'counter/a', 3, 1, 3, 0, 1,"
          " 1700000000001, NULL, x'6e6f', NULL);"
          "INSERT INTO snapshots VALUES ('counter/a', 2, 1, x'53', NULL);"
          "INSERT INTO heads VALUES ('counter/a', 1);"
          "INSERT INTO meta VALUES ('setting.shards', 64);"
          "INSERT INTO meta VALUES ('checkpoint_pos', 1);");
    cr_assert_eq(s_sql_int("PRAGMA user_version"), 1);

    s_open();
    cr_assert_eq(s_sql_int("PRAGMA user_version"),
                 SHOAL_JOURNAL_SCHEMA_VERSION);
    cr_assert_eq(s_sql_int("SELECT count(*) FROM sqlite_master WHERE type ="
                           " 'table' AND name IN ('policy_offsets',"
                           " 'topic_events', 'timers', 'dead_letters')"),
                 4);
    cr_assert_eq(s_sql_int("SELECT count(*) FROM sqlite_master WHERE type ="
                           " 'index' AND name IN ('timers_by_due',"
                           " 'dead_letters_by_policy')"),
                 2);

    /* The old rows, through the journal's own reads. */
    char *error = NULL;
    shoal_journal_entry_t entry;
    cr_assert_eq(shoal_journal_read_entry(s_journal, 1, &entry, &error), 1,
                 "%s", error);
    cr_assert_str_eq(entry.entity, "counter/a");
    cr_assert_eq(entry.shard, 3);
    cr_assert_eq(entry.event_count, 2);
    cr_assert_str_eq(entry.command_id, "c1");
    cr_assert_eq(entry.events_size, 2);
    cr_assert_eq(memcmp(entry.events, "\x00\xff", 2), 0);
    shoal_journal_entry_clear(&entry);
    cr_assert_eq(shoal_journal_read_entry(s_journal, 2, &entry, &error), 1);
    cr_assert_eq(entry.outcome, SHOAL_OUTCOME_REJECTED);
    shoal_journal_entry_clear(&entry);
    shoal_snapshot_t snapshot;
    cr_assert_eq(
        shoal_journal_read_snapshot(s_journal, "counter/a", &snapshot, &error),
        1);
    cr_assert_eq(snapshot.seq, 2);
    shoal_snapshot_clear(&snapshot);
    cr_assert_eq(shoal_journal_bind_setting(s_journal, "shards", 64, &error), 0,
                 "%s", error);
    int64_t last_pos = 0;
    cr_assert_eq(shoal_journal_last_pos(s_journal, &last_pos, &error), 0);
    cr_assert_eq(last_pos, 2);
    cr_assert_eq(s_sql_int("SELECT count(*) FROM heads"), 1);

    /* The new tables work, and the journal appends after the old rows. */
    s_begin();
    s_save_offset("notify", 1, 1);
    s_publish("orders", 0, 1, "counter/a", "p");
    s_add_timer("t-1", 10, NULL);
    s_park("notify", 1, NULL);
    shoal_journal_entry_t next = {.shard = 3,
                                  .entity = "counter/a",
                                  .prev_pos = 2,
                                  .first_seq = 3,
                                  .event_count = 1,
                                  .events = "e",
                                  .events_size = 1};
    cr_assert_eq(shoal_journal_append(s_journal, &next, &error), 0);
    s_commit();
    cr_assert_eq(next.pos, 3);
    s_close();

    /* Opened again, it is at the current version and nothing migrates
     * twice. */
    s_open();
    cr_assert_eq(s_sql_int("PRAGMA user_version"),
                 SHOAL_JOURNAL_SCHEMA_VERSION);
    cr_assert_eq(s_timer_count(), 1);
}

Test(reactions, a_failed_migration_leaves_the_version_1_journal_as_it_was)
{
    /* A table already named like one version 2 adds makes the migration
     * fail: its transaction is rolled back as a whole. */
    s_sql(s_v1_schema);
    s_sql("CREATE TABLE timers (x);"
          "INSERT INTO journal VALUES (1, 'counter/a', 3, 0, 1, 1, 0,"
          " 1700000000000, NULL, NULL, x'00');");
    char *error = NULL;
    shoal_journal_t *journal =
        shoal_journal_open(s_path, SHOAL_DURABILITY_FULL, false, &error);
    cr_assert_null(journal);
    cr_assert_not_null(error);
    cr_assert(strstr(error, s_path) && strstr(error, "version 2"), "error: %s",
              error);
    free(error);
    cr_assert_eq(s_sql_int("PRAGMA user_version"), 1);
    cr_assert_eq(s_sql_int("SELECT count(*) FROM sqlite_master WHERE name IN"
                           " ('policy_offsets', 'topic_events')"),
                 0);
    cr_assert_eq(s_sql_int("SELECT count(*) FROM journal"), 1);
}
