/*
 * tests/unit/test_entities.c - the entities of one worker
 * (actors/entities.c) against a fake host: the path of a command through
 * the journal and back, the stash, deduplication, recovery, passivation,
 * the resident cap, snapshots and shutdown.
 *
 * The fake host keeps everything in this process: appends and recoveries
 * the entities submit wait in queues until a test hands them back, as the
 * journal writer and reader threads would; the writer's part is played by
 * s_write, which numbers entries (entry.pos) and keeps copies of them in
 * an in-memory journal, from which s_recover fills recoveries the way
 * shoal_recovery_load does. Answers are recorded; the clock is a variable.
 *
 * The aggregate type is defined here: a counter whose events are one
 * signed byte, the amount to add.
 */
#include "actors/dedup.h"
#include "actors/effect.h"
#include "actors/entities.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * The test type: "tcounter"
 *
 * Commands: Add (one event, +1), AddTwice (two events, +1 each), Noop (no
 * event, reply "noop"), Refuse (rejected, no event), RecordRefusal
 * (rejected with one event, +1), Overflow (an event past the limits).
 * Replies are "value=N", N the value the events lead to.
 */

typedef struct {
    int64_t value;
} s_state_t;

static void *s_state_new(const char *entity_id)
{
    (void)entity_id;
    return calloc(1, sizeof(s_state_t));
}

static void s_state_free(void **state_p)
{
    if (state_p && *state_p) {
        free(*state_p);
        *state_p = NULL;
    }
}

static void s_reply_value(shoal_effect_t *effect, int64_t value)
{
    char reply[32];
    int size = snprintf(reply, sizeof reply, "value=%lld", (long long)value);
    shoal_effect_reply(effect, reply, (size_t)size);
}

static void s_handle_command(shoal_ctx_t *ctx, const void *state,
                             const shoal_command_t *command,
                             shoal_effect_t *effect)
{
    (void)ctx;
    const s_state_t *counter = state;
    const int8_t one = 1;
    if (strcmp(command->name, "Add") == 0) {
        shoal_effect_emit(effect, &one, 1);
        s_reply_value(effect, counter->value + 1);
    } else if (strcmp(command->name, "AddTwice") == 0) {
        shoal_effect_emit(effect, &one, 1);
        shoal_effect_emit(effect, &one, 1);
        s_reply_value(effect, counter->value + 2);
    } else if (strcmp(command->name, "Noop") == 0) {
        shoal_effect_reply(effect, "noop", 4);
    } else if (strcmp(command->name, "Refuse") == 0) {
        char reason[32];
        snprintf(reason, sizeof reason, "refused at %lld",
                 (long long)counter->value);
        shoal_effect_reject(effect, reason);
    } else if (strcmp(command->name, "RecordRefusal") == 0) {
        shoal_effect_emit(effect, &one, 1);
        shoal_effect_reject(effect, "recorded");
    } else if (strcmp(command->name, "Overflow") == 0) {
        /* Past the byte limit: refused before a byte is read. */
        shoal_effect_emit(effect, &one, SHOAL_EFFECT_MAX_BYTES + 1);
    }
}

static void s_apply_event(void *state, const void *event, size_t size)
{
    cr_assert_eq(size, 1, "event of %zu bytes", size);
    ((s_state_t *)state)->value += *(const int8_t *)event;
}

static char *s_query(const void *state, const char *entity_id)
{
    (void)entity_id;
    char *text = NULL;
    if (asprintf(&text, "value=%lld",
                 (long long)((const s_state_t *)state)->value) < 0)
        return NULL;
    return text;
}

static int s_snapshot_encode(const void *state, void **data, size_t *size)
{
    *data = malloc(sizeof(int64_t));
    memcpy(*data, &((const s_state_t *)state)->value, sizeof(int64_t));
    *size = sizeof(int64_t);
    return 0;
}

static void *s_snapshot_decode(const char *entity_id, const void *data,
                               size_t size)
{
    if (size != sizeof(int64_t))
        return NULL;
    s_state_t *state = s_state_new(entity_id);
    memcpy(&state->value, data, sizeof(int64_t));
    return state;
}

static const shoal_type_t s_type = {
    .name = "tcounter",
    .state_new = s_state_new,
    .state_free = s_state_free,
    .handle_command = s_handle_command,
    .apply_event = s_apply_event,
    .query = s_query,
    .snapshot_encode = s_snapshot_encode,
    .snapshot_decode = s_snapshot_decode,
};

#define SHARD 7

/* ---------------------------------------------------------------------
 * The fake host and its in-memory journal
 */

#define QUEUE_MAX 64
#define JOURNAL_MAX 64
#define SNAPSHOTS_MAX 8

typedef struct {
    char tag[32]; /* the request's route: the test's name for it */
    char key[64];
    shoal_answer_kind_t kind;
    uint64_t first_seq, event_count;
    char code[32];
    char body[256];
} s_answer_t;

static struct {
    shoal_append_t *appends[QUEUE_MAX];
    size_t append_count;
    shoal_recovery_t *recoveries[QUEUE_MAX];
    size_t recovery_count;
    bool refuse_appends, refuse_recoveries;
    s_answer_t answers[QUEUE_MAX];
    size_t answer_count;
    int64_t now;
} s_host;

/* Entries by pos (owned copies), and the latest snapshot per entity. */
static shoal_journal_entry_t s_journal[JOURNAL_MAX + 1];
static int64_t s_last_pos;
static struct {
    char *key;
    shoal_snapshot_t snapshot;
} s_snapshots[SNAPSHOTS_MAX];

static shoal_entities_t *s_entities;

static int s_submit_append(void *arg, shoal_append_t *append)
{
    (void)arg;
    if (s_host.refuse_appends)
        return -1;
    cr_assert_lt(s_host.append_count, QUEUE_MAX);
    s_host.appends[s_host.append_count++] = append;
    return 0;
}

static int s_submit_recovery(void *arg, shoal_recovery_t *recovery)
{
    (void)arg;
    if (s_host.refuse_recoveries)
        return -1;
    cr_assert_lt(s_host.recovery_count, QUEUE_MAX);
    s_host.recoveries[s_host.recovery_count++] = recovery;
    return 0;
}

static void s_answer(void *arg, shoal_request_t *request,
                     const shoal_answer_t *answer)
{
    (void)arg;
    cr_assert_lt(s_host.answer_count, QUEUE_MAX);
    s_answer_t *record = &s_host.answers[s_host.answer_count++];
    memset(record, 0, sizeof *record);
    snprintf(record->tag, sizeof record->tag, "%.*s", (int)request->route_size,
             (const char *)request->route);
    snprintf(record->key, sizeof record->key, "%s", request->key);
    record->kind = answer->kind;
    record->first_seq = answer->first_seq;
    record->event_count = answer->event_count;
    if (answer->error_code)
        snprintf(record->code, sizeof record->code, "%s", answer->error_code);
    snprintf(record->body, sizeof record->body, "%.*s", (int)answer->body_size,
             answer->body ? (const char *)answer->body : "");
    shoal_request_destroy(&request);
}

static int64_t s_now_ms(void *arg)
{
    (void)arg;
    return s_host.now;
}

static const shoal_entities_host_t s_fake_host = {
    .arg = NULL,
    .submit_append = s_submit_append,
    .submit_recovery = s_submit_recovery,
    .answer = s_answer,
    .now_ms = s_now_ms,
};

static shoal_entities_config_t s_config(void)
{
    return (shoal_entities_config_t){.worker = 0,
                                     .stash_capacity = 8,
                                     .max_stashed = 64,
                                     .max_resident = 16,
                                     .dedup_window = 8,
                                     .snapshot_every = 0,
                                     .passivate_idle_ms = 0};
}

/* Creates s_entities with config and the directory heads (NULL: empty). */
static void s_start(shoal_entities_config_t config, shoal_keymap_t *heads)
{
    if (!heads)
        heads = shoal_keymap_new(true);
    s_entities = shoal_entities_new(&s_fake_host, &config, &heads);
    cr_assert_not_null(s_entities);
    cr_assert_null(heads, "the directory was not taken");
}

/* A directory of one entity. */
static shoal_keymap_t *s_heads(const char *key, int64_t pos)
{
    shoal_keymap_t *heads = shoal_keymap_new(true);
    shoal_keymap_put(heads, key, (uint64_t)pos);
    return heads;
}

static void *s_copy(const void *data, size_t size)
{
    if (!data)
        return NULL;
    char *copy = malloc(size + 1);
    memcpy(copy, data, size);
    copy[size] = '\0';
    return copy;
}

/* Copies an entry with owned buffers, as shoal_journal_read_entry does. */
static void s_entry_copy(shoal_journal_entry_t *to,
                         const shoal_journal_entry_t *from)
{
    cr_assert_eq(shoal_journal_entry_copy(to, from), 0);
}

/* Adds an entry to the journal directly, as a previous run of the node
 * would have, with count one-byte events of +1. Returns its pos. */
static int64_t s_journal_add(const char *key, int64_t prev_pos,
                             uint64_t first_seq, uint32_t count,
                             const char *command_id, const char *reply)
{
    uint8_t events[64];
    size_t size = 0;
    cr_assert_leq(count, 12);
    for (uint32_t i = 0; i < count; i++) {
        memcpy(events + size, "\x01\x00\x00\x00\x01", 5);
        size += 5;
    }
    cr_assert_lt(s_last_pos, JOURNAL_MAX);
    shoal_journal_entry_t entry = {.pos = ++s_last_pos,
                                   .shard = SHARD,
                                   .entity = key,
                                   .prev_pos = prev_pos,
                                   .first_seq = first_seq,
                                   .event_count = count,
                                   .outcome = SHOAL_OUTCOME_ACCEPTED,
                                   .command_id = command_id,
                                   .reply = reply,
                                   .reply_size = strlen(reply),
                                   .events = events,
                                   .events_size = size};
    s_entry_copy(&s_journal[entry.pos], &entry);
    return entry.pos;
}

/* Saves a snapshot in the journal directly (buffers copied). */
static void s_journal_snapshot(const char *key,
                               const shoal_snapshot_t *snapshot)
{
    size_t i = 0;
    while (i < SNAPSHOTS_MAX && s_snapshots[i].key &&
           strcmp(s_snapshots[i].key, key) != 0)
        i++;
    cr_assert_lt(i, SNAPSHOTS_MAX);
    if (!s_snapshots[i].key)
        s_snapshots[i].key = strdup(key);
    shoal_snapshot_clear(&s_snapshots[i].snapshot);
    shoal_snapshot_t *copy = &s_snapshots[i].snapshot;
    *copy = *snapshot;
    copy->state = s_copy(snapshot->state, snapshot->state_size);
    copy->dedup = s_copy(snapshot->dedup, snapshot->dedup_size);
}

/* Takes the oldest queued append. */
static shoal_append_t *s_pop_append(void)
{
    cr_assert_gt(s_host.append_count, 0, "no append was submitted");
    shoal_append_t *append = s_host.appends[0];
    memmove(s_host.appends, s_host.appends + 1,
            --s_host.append_count * sizeof *s_host.appends);
    return append;
}

static shoal_recovery_t *s_pop_recovery(void)
{
    cr_assert_gt(s_host.recovery_count, 0, "no recovery was submitted");
    shoal_recovery_t *recovery = s_host.recoveries[0];
    memmove(s_host.recoveries, s_host.recoveries + 1,
            --s_host.recovery_count * sizeof *s_host.recoveries);
    return recovery;
}

/* Makes an append durable, as the writer does, and hands it back. */
static void s_write(shoal_append_t *append)
{
    if (append->is_snapshot) {
        s_journal_snapshot(append->entity_key, &append->snapshot);
    } else {
        cr_assert_lt(s_last_pos, JOURNAL_MAX);
        append->entry.pos = ++s_last_pos;
        append->committed_ms = s_host.now;
        s_entry_copy(&s_journal[append->entry.pos], &append->entry);
    }
    shoal_entities_appended(s_entities, &append);
    cr_assert_null(append);
}

/* Writes every queued append, and those they lead to. */
static void s_flush(void)
{
    while (s_host.append_count)
        s_write(s_pop_append());
}

/* Fills a recovery from the journal, as shoal_recovery_load does. */
static void s_fill(shoal_recovery_t *recovery)
{
    /* A recovery sent back again is loaded afresh. */
    shoal_recovery_clear_results(recovery);

    int64_t stop = 0;
    if (!recovery->ignore_snapshot) {
        for (size_t i = 0; i < SNAPSHOTS_MAX && s_snapshots[i].key; i++) {
            if (strcmp(s_snapshots[i].key, recovery->key) == 0) {
                const shoal_snapshot_t *saved = &s_snapshots[i].snapshot;
                recovery->has_snapshot = true;
                recovery->snapshot = *saved;
                recovery->snapshot.state =
                    s_copy(saved->state, saved->state_size);
                recovery->snapshot.dedup =
                    s_copy(saved->dedup, saved->dedup_size);
                stop = saved->pos;
            }
        }
    }
    int64_t chain[JOURNAL_MAX];
    size_t count = 0;
    for (int64_t pos = recovery->head_pos; pos > stop;
         pos = s_journal[pos].prev_pos) {
        cr_assert_leq(pos, s_last_pos);
        cr_assert_str_eq(s_journal[pos].entity, recovery->key);
        chain[count++] = pos;
    }
    while (count > 0)
        cr_assert_eq(
            shoal_recovery_push_entry(recovery, &s_journal[chain[--count]]), 0);
}

/* Loads and hands back the oldest queued recovery. */
static void s_recover(void)
{
    shoal_recovery_t *recovery = s_pop_recovery();
    s_fill(recovery);
    shoal_entities_recovered(s_entities, &recovery);
    cr_assert_null(recovery);
}

/* Sends a command to tcounter/entity_id; tag names its answer. */
static void s_send(const char *entity_id, const char *name,
                   const char *command_id, const char *tag)
{
    shoal_request_t *request =
        shoal_request_new(SHOAL_REQUEST_COMMAND, &s_type, SHARD, entity_id,
                          name, command_id, NULL, 0, tag, strlen(tag));
    cr_assert_not_null(request);
    shoal_entities_handle(s_entities, &request);
    cr_assert_null(request);
}

static void s_ask(const char *entity_id, const char *tag)
{
    shoal_request_t *request =
        shoal_request_new(SHOAL_REQUEST_QUERY, &s_type, SHARD, entity_id, NULL,
                          NULL, NULL, 0, tag, strlen(tag));
    shoal_entities_handle(s_entities, &request);
}

/* The answer to tag, or NULL. */
static const s_answer_t *s_find(const char *tag)
{
    const s_answer_t *found = NULL;
    for (size_t i = 0; i < s_host.answer_count; i++) {
        if (strcmp(s_host.answers[i].tag, tag) == 0) {
            cr_assert_null(found, "%s answered twice", tag);
            found = &s_host.answers[i];
        }
    }
    return found;
}

static const s_answer_t *s_expect(const char *tag)
{
    const s_answer_t *answer = s_find(tag);
    cr_assert_not_null(answer, "%s has no answer", tag);
    return answer;
}

static void s_expect_accepted(const char *tag, uint64_t first_seq,
                              uint64_t event_count, const char *body)
{
    const s_answer_t *answer = s_expect(tag);
    cr_assert_eq(answer->kind, SHOAL_ANSWER_ACCEPTED, "%s: kind %d (%s %s)",
                 tag, answer->kind, answer->code, answer->body);
    cr_assert_eq(answer->first_seq, first_seq, "%s: first_seq", tag);
    cr_assert_eq(answer->event_count, event_count, "%s: event_count", tag);
    cr_assert_str_eq(answer->body, body, "%s: body", tag);
}

static void s_expect_rejected(const char *tag, uint64_t first_seq,
                              uint64_t event_count, const char *reason)
{
    const s_answer_t *answer = s_expect(tag);
    cr_assert_eq(answer->kind, SHOAL_ANSWER_REJECTED, "%s: kind %d", tag,
                 answer->kind);
    cr_assert_eq(answer->first_seq, first_seq, "%s: first_seq", tag);
    cr_assert_eq(answer->event_count, event_count, "%s: event_count", tag);
    cr_assert_str_eq(answer->body, reason, "%s: reason", tag);
}

static void s_expect_error(const char *tag, const char *code,
                           const char *fragment)
{
    const s_answer_t *answer = s_expect(tag);
    cr_assert_eq(answer->kind, SHOAL_ANSWER_ERROR, "%s: kind %d (%s)", tag,
                 answer->kind, answer->body);
    cr_assert_str_eq(answer->code, code, "%s: %s", tag, answer->body);
    cr_assert(strstr(answer->body, fragment), "%s: '%s' lacks '%s'", tag,
              answer->body, fragment);
}

/* Asserts the query of entity_id answers value=value. */
static void s_expect_value(const char *entity_id, int64_t value)
{
    static int queries;
    char tag[32], body[32];
    snprintf(tag, sizeof tag, "query-%d", ++queries);
    s_ask(entity_id, tag);
    const s_answer_t *answer = s_expect(tag);
    cr_assert_eq(answer->kind, SHOAL_ANSWER_QUERY, "%s: kind %d (%s)",
                 entity_id, answer->kind, answer->body);
    snprintf(body, sizeof body, "value=%lld", (long long)value);
    cr_assert_str_eq(answer->body, body, "%s", entity_id);
}

/* Asserts the answers came in the order of the NULL-terminated tags. */
static void s_expect_order(const char *first, ...)
{
    va_list args;
    va_start(args, first);
    size_t at = 0;
    for (const char *tag = first; tag; tag = va_arg(args, const char *)) {
        while (at < s_host.answer_count &&
               strcmp(s_host.answers[at].tag, tag) != 0)
            at++;
        cr_assert_lt(at, s_host.answer_count, "%s answered out of order", tag);
    }
    va_end(args);
}

static void s_setup(void)
{
    memset(&s_host, 0, sizeof s_host);
    s_host.now = 1000;
    memset(s_journal, 0, sizeof s_journal);
    s_last_pos = 0;
    memset(s_snapshots, 0, sizeof s_snapshots);
}

static void s_teardown(void)
{
    shoal_entities_destroy(&s_entities);
    while (s_host.append_count) {
        /* The command of an append still in the journal is the worker's,
         * which is gone: the append was never handed back. */
        shoal_append_t *append = s_pop_append();
        shoal_request_destroy(&append->request);
        shoal_append_destroy(&append);
    }
    while (s_host.recovery_count) {
        shoal_recovery_t *recovery = s_pop_recovery();
        shoal_recovery_destroy(&recovery);
    }
    for (int64_t pos = 1; pos <= s_last_pos; pos++)
        shoal_journal_entry_clear(&s_journal[pos]);
    for (size_t i = 0; i < SNAPSHOTS_MAX; i++) {
        free(s_snapshots[i].key);
        shoal_snapshot_clear(&s_snapshots[i].snapshot);
    }
}

TestSuite(entities, .init = s_setup, .fini = s_teardown);

/* ---------------------------------------------------------------------
 * The path of one command
 */

Test(entities, first_command_on_a_fresh_entity_runs_without_recovery)
{
    s_start(s_config(), NULL);
    s_send("e1", "Add", NULL, "r1");

    cr_assert_eq(s_host.recovery_count, 0);
    cr_assert_eq(shoal_entities_counters(s_entities)->recoveries, 0);
    cr_assert_eq(s_host.append_count, 1);
    cr_assert_eq(shoal_entities_resident(s_entities), 1);
    cr_assert_eq(shoal_entities_pending(s_entities), 1);

    const shoal_append_t *append = s_host.appends[0];
    cr_assert_not(append->is_snapshot);
    cr_assert_eq(append->worker, 0);
    cr_assert_str_eq(append->entity_key, "tcounter/e1");
    cr_assert_str_eq(append->entry.entity, "tcounter/e1");
    cr_assert_eq(append->entry.shard, SHARD);
    cr_assert_eq(append->entry.prev_pos, 0);
    cr_assert_eq(append->entry.first_seq, 1);
    cr_assert_eq(append->entry.event_count, 1);
    cr_assert_eq(append->entry.outcome, SHOAL_OUTCOME_ACCEPTED);
    cr_assert_eq(append->entry.written_ms, 1000);
    cr_assert_null(append->entry.command_id);
    cr_assert_eq(append->entry.reply_size, 7);
    cr_assert_eq(memcmp(append->entry.reply, "value=1", 7), 0);
    cr_assert_eq(append->entry.events_size, 5);
    cr_assert_eq(memcmp(append->entry.events, "\x01\x00\x00\x00\x01", 5), 0);
}

Test(entities, answer_comes_only_after_the_append_is_durable)
{
    s_start(s_config(), NULL);
    s_send("e1", "Add", NULL, "r1");
    cr_assert_eq(s_host.answer_count, 0, "answered before the journal");

    s_flush();
    s_expect_accepted("r1", 1, 1, "value=1");
    cr_assert_eq(shoal_entities_pending(s_entities), 0);
    cr_assert_eq(shoal_entities_known(s_entities), 1, "head not recorded");
    cr_assert_eq(shoal_entities_counters(s_entities)->accepted, 1);
    s_expect_value("e1", 1);

    s_send("e1", "AddTwice", NULL, "r2");
    cr_assert_eq(s_host.appends[0]->entry.prev_pos, 1);
    cr_assert_eq(s_host.appends[0]->entry.first_seq, 2);
    s_flush();
    s_expect_accepted("r2", 2, 2, "value=3");
    s_expect_value("e1", 3);
}

Test(entities, state_does_not_change_before_the_append_is_durable)
{
    s_start(s_config(), NULL);
    s_send("e1", "Add", NULL, "r1");
    /* A query goes behind the command, so it sees the state after it. */
    s_ask("e1", "q1");
    cr_assert_null(s_find("q1"));
    s_flush();
    s_expect_order("r1", "q1", NULL);
    cr_assert_str_eq(s_expect("q1")->body, "value=1");
}

Test(entities, commands_while_persisting_are_stashed_and_run_in_order)
{
    s_start(s_config(), NULL);
    s_send("e1", "Add", NULL, "r1");
    s_send("e1", "Add", NULL, "r2");
    s_ask("e1", "r3");
    s_send("e1", "AddTwice", NULL, "r4");
    cr_assert_eq(s_host.append_count, 1, "one entry in flight at a time");
    cr_assert_eq(shoal_entities_stashed(s_entities), 3);
    cr_assert_eq(s_host.answer_count, 0);

    s_write(s_pop_append());
    s_expect_accepted("r1", 1, 1, "value=1");
    cr_assert_null(s_find("r2"));
    cr_assert_eq(s_host.append_count, 1, "the next command was not run");
    cr_assert_eq(s_host.appends[0]->entry.prev_pos, 1);
    cr_assert_eq(s_host.appends[0]->entry.first_seq, 2);
    cr_assert_eq(shoal_entities_stashed(s_entities), 2);

    s_write(s_pop_append());
    s_expect_accepted("r2", 2, 1, "value=2");
    cr_assert_str_eq(s_expect("r3")->body, "value=2");
    cr_assert_eq(s_host.appends[0]->entry.first_seq, 3);
    cr_assert_eq(shoal_entities_stashed(s_entities), 0);

    s_write(s_pop_append());
    s_expect_accepted("r4", 3, 2, "value=4");
    s_expect_order("r1", "r2", "r3", "r4", NULL);
    s_expect_value("e1", 4);
}

Test(entities, different_entities_do_not_wait_for_each_other)
{
    s_start(s_config(), NULL);
    s_send("e1", "Add", NULL, "r1");
    s_send("e2", "Add", NULL, "r2");
    cr_assert_eq(s_host.append_count, 2);
    cr_assert_eq(shoal_entities_stashed(s_entities), 0);
    cr_assert_str_eq(s_host.appends[1]->entity_key, "tcounter/e2");
    cr_assert_eq(s_host.appends[1]->entry.first_seq, 1);
    /* Handed back in the other order. */
    shoal_append_t *first = s_pop_append();
    s_write(s_pop_append());
    s_expect_accepted("r2", 1, 1, "value=1");
    s_write(first);
    s_expect_accepted("r1", 1, 1, "value=1");
    cr_assert_eq(shoal_entities_known(s_entities), 2);
}

Test(entities, full_stash_answers_busy)
{
    shoal_entities_config_t config = s_config();
    config.stash_capacity = 2;
    s_start(config, NULL);
    s_send("e1", "Add", NULL, "r1"); /* in flight */
    s_send("e1", "Add", NULL, "r2"); /* stashed */
    s_send("e1", "Add", NULL, "r3"); /* stashed */
    s_send("e1", "Add", NULL, "r4"); /* no room */
    s_expect_error("r4", "busy", "tcounter/e1");
    cr_assert_eq(shoal_entities_counters(s_entities)->busy, 1);
    cr_assert_eq(shoal_entities_stashed(s_entities), 2);

    s_flush();
    s_expect_accepted("r1", 1, 1, "value=1");
    s_expect_accepted("r2", 2, 1, "value=2");
    s_expect_accepted("r3", 3, 1, "value=3");
    s_expect_value("e1", 3);
}

/* The stashes of one worker together hold at most max_stashed requests,
 * however many entities share them. */
Test(entities, full_worker_stashes_answer_busy)
{
    shoal_entities_config_t config = s_config();
    config.max_stashed = 3;
    s_start(config, NULL);
    s_send("e1", "Add", NULL, "r1"); /* in flight */
    s_send("e2", "Add", NULL, "r2"); /* in flight */
    s_send("e1", "Add", NULL, "r3"); /* stashed */
    s_send("e2", "Add", NULL, "r4"); /* stashed */
    s_send("e1", "Add", NULL, "r5"); /* stashed */
    s_send("e2", "Add", NULL, "r6"); /* no room */
    s_expect_error("r6", "busy", "stashes of worker 0 are full");
    cr_assert_eq(shoal_entities_counters(s_entities)->busy, 1);
    cr_assert_eq(shoal_entities_stashed(s_entities), 3);
    s_send("e3", "Add", NULL, "r7"); /* a ready entity still runs */
    cr_assert_eq(s_host.append_count, 3);

    s_flush();
    s_expect_accepted("r1", 1, 1, "value=1");
    s_expect_accepted("r2", 1, 1, "value=1");
    s_expect_accepted("r7", 1, 1, "value=1");
    s_expect_accepted("r3", 2, 1, "value=2");
    s_expect_accepted("r4", 2, 1, "value=2");
    s_expect_accepted("r5", 3, 1, "value=3");
    s_expect_value("e1", 3);
    s_expect_value("e2", 2);
    cr_assert_eq(shoal_entities_stashed(s_entities), 0);
}

Test(entities, rejection_without_events_is_answered_at_once)
{
    s_start(s_config(), NULL);
    s_send("e1", "Refuse", NULL, "r1");
    s_expect_rejected("r1", 0, 0, "refused at 0");
    cr_assert_eq(s_host.append_count, 0);
    cr_assert_eq(shoal_entities_counters(s_entities)->rejected, 1);
    cr_assert_eq(shoal_entities_known(s_entities), 0);

    s_send("e1", "Noop", NULL, "r2");
    s_expect_accepted("r2", 0, 0, "noop");
    cr_assert_eq(s_host.append_count, 0);
}

Test(entities, rejection_with_events_is_journaled_and_applied)
{
    s_start(s_config(), NULL);
    s_send("e1", "RecordRefusal", NULL, "r1");
    cr_assert_null(s_find("r1"));
    cr_assert_eq(s_host.appends[0]->entry.outcome, SHOAL_OUTCOME_REJECTED);
    cr_assert_eq(s_host.appends[0]->entry.event_count, 1);
    s_flush();
    s_expect_rejected("r1", 1, 1, "recorded");
    s_expect_value("e1", 1);
}

Test(entities, handler_failure_answers_internal_and_journals_nothing)
{
    s_start(s_config(), NULL);
    s_send("e1", "Overflow", NULL, "r1");
    s_expect_error("r1", "internal", "handler");
    cr_assert_eq(s_host.append_count, 0);
    s_send("e1", "Add", NULL, "r2");
    s_flush();
    s_expect_accepted("r2", 1, 1, "value=1");
}

Test(entities, append_error_answers_internal_and_leaves_the_state_unchanged)
{
    s_start(s_config(), NULL);
    s_send("e1", "Add", NULL, "r1");
    s_send("e1", "Add", NULL, "r2");
    shoal_append_t *append = s_pop_append();
    append->error = strdup("disk full");
    shoal_entities_appended(s_entities, &append);

    s_expect_error("r1", "internal", "disk full");
    cr_assert_eq(shoal_entities_counters(s_entities)->errors, 1);
    cr_assert_eq(shoal_entities_known(s_entities), 0);
    /* The next command starts from the same state and chain. */
    cr_assert_eq(s_host.append_count, 1);
    cr_assert_eq(s_host.appends[0]->entry.prev_pos, 0);
    cr_assert_eq(s_host.appends[0]->entry.first_seq, 1);
    cr_assert_eq(memcmp(s_host.appends[0]->entry.reply, "value=1", 7), 0);
    s_flush();
    s_expect_accepted("r2", 1, 1, "value=1");
    s_expect_value("e1", 1);
}

Test(entities, full_journal_queue_answers_busy)
{
    s_start(s_config(), NULL);
    s_host.refuse_appends = true;
    s_send("e1", "Add", NULL, "r1");
    s_expect_error("r1", "busy", "journal");
    cr_assert_eq(shoal_entities_pending(s_entities), 0);

    s_host.refuse_appends = false;
    s_send("e1", "Add", NULL, "r2");
    cr_assert_eq(s_host.append_count, 1, "the entity was left waiting");
    s_flush();
    s_expect_accepted("r2", 1, 1, "value=1");
}

/* ---------------------------------------------------------------------
 * Deduplication
 */

Test(entities, duplicate_command_id_gets_the_same_answer_and_no_append)
{
    s_start(s_config(), NULL);
    s_send("e1", "Add", "c1", "r1");
    cr_assert_str_eq(s_host.appends[0]->entry.command_id, "c1");
    s_flush();
    s_expect_accepted("r1", 1, 1, "value=1");

    s_send("e1", "Add", "c1", "r2");
    s_expect_accepted("r2", 1, 1, "value=1");
    cr_assert_eq(s_host.append_count, 0, "a duplicate was journaled");
    cr_assert_eq(shoal_entities_counters(s_entities)->duplicates, 1);
    s_expect_value("e1", 1);

    /* Another id runs. */
    s_send("e1", "Add", "c2", "r3");
    s_flush();
    s_expect_accepted("r3", 2, 1, "value=2");
}

Test(entities, duplicate_of_a_rejection_gets_the_first_reason)
{
    s_start(s_config(), NULL);
    s_send("e1", "Refuse", "c1", "r1");
    s_flush();
    s_expect_rejected("r1", 0, 0, "refused at 0");
    s_send("e1", "Add", NULL, "r2");
    s_flush();
    /* Now the handler would say "refused at 1"; the first outcome wins. */
    s_send("e1", "Refuse", "c1", "r3");
    s_expect_rejected("r3", 0, 0, "refused at 0");
    cr_assert_eq(s_host.append_count, 0);
}

Test(entities, duplicate_stashed_behind_its_original_is_not_run_twice)
{
    s_start(s_config(), NULL);
    s_send("e1", "Add", "c1", "r1");
    s_send("e1", "Add", "c1", "r2");
    s_flush();
    cr_assert_eq(s_last_pos, 1, "the duplicate was journaled");
    s_expect_accepted("r1", 1, 1, "value=1");
    s_expect_accepted("r2", 1, 1, "value=1");
    s_expect_value("e1", 1);
}

Test(entities, command_with_id_and_no_events_is_still_journaled)
{
    s_start(s_config(), NULL);
    s_send("e1", "Noop", "c1", "r1");
    cr_assert_null(s_find("r1"), "answered before the id was durable");
    cr_assert_eq(s_host.append_count, 1);
    const shoal_journal_entry_t *entry = &s_host.appends[0]->entry;
    cr_assert_eq(entry->event_count, 0);
    cr_assert_eq(entry->events_size, 0);
    cr_assert_str_eq(entry->command_id, "c1");
    s_flush();
    s_expect_accepted("r1", 0, 0, "noop");

    /* Survives a restart: a new worker recovers it from the journal. */
    shoal_entities_destroy(&s_entities);
    s_start(s_config(), s_heads("tcounter/e1", s_last_pos));
    s_send("e1", "Noop", "c1", "r2");
    s_recover();
    s_expect_accepted("r2", 0, 0, "noop");
    cr_assert_eq(shoal_entities_counters(s_entities)->duplicates, 1);
    cr_assert_eq(s_host.append_count, 0);
}

Test(entities, without_a_dedup_window_ids_are_not_journaled_for_nothing)
{
    shoal_entities_config_t config = s_config();
    config.dedup_window = 0;
    s_start(config, NULL);
    s_send("e1", "Noop", "c1", "r1");
    s_expect_accepted("r1", 0, 0, "noop");
    cr_assert_eq(s_host.append_count, 0);
    /* With events it is journaled, but not remembered. */
    s_send("e1", "Add", "c2", "r2");
    s_flush();
    s_send("e1", "Add", "c2", "r3");
    s_flush();
    s_expect_accepted("r3", 2, 1, "value=2");
}

Test(entities, dedup_window_forgets_the_oldest_id)
{
    shoal_entities_config_t config = s_config();
    config.dedup_window = 2;
    s_start(config, NULL);
    s_send("e1", "Add", "c1", "r1");
    s_send("e1", "Add", "c2", "r2");
    s_send("e1", "Add", "c3", "r3");
    s_flush();
    s_send("e1", "Add", "c3", "r4"); /* remembered */
    s_send("e1", "Add", "c1", "r5"); /* forgotten: runs again */
    s_flush();
    s_expect_accepted("r4", 3, 1, "value=3");
    s_expect_accepted("r5", 4, 1, "value=4");
}

/* ---------------------------------------------------------------------
 * Recovery
 */

Test(entities, entity_with_a_journal_is_recovered_before_its_commands)
{
    int64_t first = s_journal_add("tcounter/e1", 0, 1, 1, "old", "value=1");
    s_journal_add("tcounter/other", 0, 1, 1, NULL, "value=1");
    int64_t head = s_journal_add("tcounter/e1", first, 2, 2, NULL, "value=3");
    s_start(s_config(), s_heads("tcounter/e1", head));
    cr_assert_eq(shoal_entities_known(s_entities), 1);

    s_send("e1", "Add", NULL, "r1");
    s_ask("e1", "r2");
    s_send("e1", "Add", "old", "r3");
    cr_assert_eq(s_host.recovery_count, 1);
    const shoal_recovery_t *recovery = s_host.recoveries[0];
    cr_assert_str_eq(recovery->key, "tcounter/e1");
    cr_assert_eq(recovery->head_pos, head);
    cr_assert_eq(recovery->worker, 0);
    cr_assert_not(recovery->ignore_snapshot);
    cr_assert_eq(s_host.append_count, 0);
    cr_assert_eq(s_host.answer_count, 0);
    cr_assert_eq(shoal_entities_stashed(s_entities), 3);
    cr_assert_eq(shoal_entities_pending(s_entities), 1);
    cr_assert_eq(shoal_entities_resident(s_entities), 1);
    cr_assert_eq(shoal_entities_counters(s_entities)->recoveries, 1);

    s_recover();
    cr_assert_eq(s_host.append_count, 1, "the stash did not run");
    cr_assert_eq(s_host.appends[0]->entry.prev_pos, head);
    cr_assert_eq(s_host.appends[0]->entry.first_seq, 4);
    s_flush();
    s_expect_accepted("r1", 4, 1, "value=4");
    cr_assert_str_eq(s_expect("r2")->body, "value=4");
    /* The dedup window was rebuilt from the entries. */
    s_expect_accepted("r3", 1, 1, "value=1");
    s_expect_order("r1", "r2", "r3", NULL);
    cr_assert_eq(shoal_entities_pending(s_entities), 0);
}

Test(entities, recovery_starts_from_the_snapshot)
{
    int64_t first = s_journal_add("tcounter/e1", 0, 1, 1, NULL, "value=1");
    int64_t second =
        s_journal_add("tcounter/e1", first, 2, 1, "in-snap", "value=2");
    int64_t head = s_journal_add("tcounter/e1", second, 3, 1, NULL, "x");
    /* A snapshot at second whose state (40) is not what the entries give:
     * the result shows which was used. */
    int64_t value = 40;
    shoal_dedup_t *dedup = shoal_dedup_new(8);
    shoal_dedup_record_t record = {.outcome = SHOAL_OUTCOME_ACCEPTED,
                                   .first_seq = 2,
                                   .event_count = 1,
                                   .reply = "value=2",
                                   .reply_size = 7};
    shoal_dedup_remember(dedup, "in-snap", &record);
    shoal_snapshot_t snapshot = {
        .seq = 2, .pos = second, .state = &value, .state_size = sizeof value};
    cr_assert_eq(
        shoal_dedup_encode(dedup, &snapshot.dedup, &snapshot.dedup_size), 0);
    s_journal_snapshot("tcounter/e1", &snapshot);
    free(snapshot.dedup);
    shoal_dedup_destroy(&dedup);

    s_start(s_config(), s_heads("tcounter/e1", head));
    s_send("e1", "Add", "in-snap", "r1");
    s_send("e1", "Add", NULL, "r2");
    s_recover();
    s_flush();
    s_expect_accepted("r1", 2, 1, "value=2");
    s_expect_accepted("r2", 4, 1, "value=42");
    s_expect_value("e1", 42);
}

Test(entities, snapshot_that_does_not_decode_is_replaced_by_the_whole_chain)
{
    int64_t first = s_journal_add("tcounter/e1", 0, 1, 1, NULL, "value=1");
    int64_t head = s_journal_add("tcounter/e1", first, 2, 2, NULL, "value=3");
    shoal_snapshot_t snapshot = {
        .seq = 1, .pos = first, .state = "bad", .state_size = 3};
    s_journal_snapshot("tcounter/e1", &snapshot);

    s_start(s_config(), s_heads("tcounter/e1", head));
    s_send("e1", "Add", NULL, "r1");
    s_recover();
    /* Sent back to the reader, the snapshot to be ignored. */
    cr_assert_eq(s_host.recovery_count, 1);
    cr_assert(s_host.recoveries[0]->ignore_snapshot);
    cr_assert_eq(shoal_entities_pending(s_entities), 1);
    cr_assert_null(s_find("r1"));
    s_recover();
    s_flush();
    s_expect_accepted("r1", 4, 1, "value=4");
}

Test(entities, recovery_error_fails_the_stash_and_drops_the_entity)
{
    s_start(s_config(), s_heads("tcounter/e1", 5));
    s_send("e1", "Add", NULL, "r1");
    s_send("e1", "Add", "c1", "r2");
    shoal_recovery_t *recovery = s_pop_recovery();
    recovery->error = strdup("disk read error");
    shoal_entities_recovered(s_entities, &recovery);

    s_expect_error("r1", "internal", "disk read error");
    s_expect_error("r2", "internal", "tcounter/e1");
    cr_assert_eq(shoal_entities_resident(s_entities), 0);
    cr_assert_eq(shoal_entities_stashed(s_entities), 0);
    cr_assert_eq(shoal_entities_pending(s_entities), 0);
    cr_assert_eq(s_host.append_count, 0);
    cr_assert_eq(shoal_entities_known(s_entities), 1, "the head was lost");

    /* A later request tries again. */
    s_send("e1", "Add", NULL, "r3");
    cr_assert_eq(s_host.recovery_count, 1);
    cr_assert_eq(shoal_entities_counters(s_entities)->recoveries, 2);
}

Test(entities, corrupt_entry_fails_the_recovery)
{
    int64_t head = s_journal_add("tcounter/e1", 0, 1, 2, NULL, "value=2");
    s_start(s_config(), s_heads("tcounter/e1", head));
    s_send("e1", "Add", NULL, "r1");
    shoal_recovery_t *recovery = s_pop_recovery();
    s_fill(recovery);
    recovery->entries[0].events_size = 7; /* the second event cut short */
    shoal_entities_recovered(s_entities, &recovery);
    s_expect_error("r1", "internal", "corrupt");
    cr_assert_eq(shoal_entities_resident(s_entities), 0);
}

Test(entities, full_recovery_queue_answers_busy)
{
    s_start(s_config(), s_heads("tcounter/e1", 3));
    s_host.refuse_recoveries = true;
    s_send("e1", "Add", NULL, "r1");
    s_expect_error("r1", "busy", "recovery");
    cr_assert_eq(shoal_entities_resident(s_entities), 0);
    cr_assert_eq(shoal_entities_pending(s_entities), 0);
}

/* ---------------------------------------------------------------------
 * Queries
 */

Test(entities, query_of_an_unknown_entity_answers_the_empty_state)
{
    s_start(s_config(), NULL);
    s_ask("nobody", "q1");
    const s_answer_t *answer = s_expect("q1");
    cr_assert_eq(answer->kind, SHOAL_ANSWER_QUERY);
    cr_assert_str_eq(answer->body, "value=0");
    cr_assert_str_eq(answer->key, "tcounter/nobody");
    cr_assert_eq(shoal_entities_resident(s_entities), 0, "made resident");
    cr_assert_eq(s_host.recovery_count, 0);
    cr_assert_eq(s_host.append_count, 0);
}

Test(entities, query_of_a_passivated_entity_recovers_it)
{
    int64_t head = s_journal_add("tcounter/e1", 0, 1, 2, NULL, "value=2");
    s_start(s_config(), s_heads("tcounter/e1", head));
    s_ask("e1", "q1");
    cr_assert_null(s_find("q1"));
    cr_assert_eq(s_host.recovery_count, 1);
    s_recover();
    cr_assert_str_eq(s_expect("q1")->body, "value=2");
}

/* ---------------------------------------------------------------------
 * Passivation and the resident cap
 */

Test(entities, idle_entities_are_passivated_by_the_sweep)
{
    shoal_entities_config_t config = s_config();
    config.passivate_idle_ms = 1000;
    s_start(config, NULL);
    s_host.now = 10000;
    s_send("e1", "Add", NULL, "r1");
    s_flush();
    s_host.now = 10500;
    s_send("e2", "Add", NULL, "r2");
    s_flush();

    s_host.now = 10999;
    shoal_entities_sweep(s_entities);
    cr_assert_eq(shoal_entities_resident(s_entities), 2);
    s_host.now = 11000;
    shoal_entities_sweep(s_entities);
    cr_assert_eq(shoal_entities_resident(s_entities), 1, "e1 stayed");
    cr_assert_eq(shoal_entities_counters(s_entities)->passivations, 1);
    s_host.now = 11500;
    shoal_entities_sweep(s_entities);
    cr_assert_eq(shoal_entities_resident(s_entities), 0);

    /* Back from the journal with its state. */
    s_send("e1", "Add", NULL, "r3");
    cr_assert_eq(s_host.recovery_count, 1);
    s_recover();
    s_flush();
    s_expect_accepted("r3", 2, 1, "value=2");
}

Test(entities, use_keeps_an_entity_from_passivation)
{
    shoal_entities_config_t config = s_config();
    config.passivate_idle_ms = 1000;
    s_start(config, NULL);
    s_send("e1", "Add", NULL, "r1");
    s_flush();
    s_host.now += 900;
    s_ask("e1", "q1"); /* a query is a use */
    s_host.now += 900;
    shoal_entities_sweep(s_entities);
    cr_assert_eq(shoal_entities_resident(s_entities), 1);
}

Test(entities, busy_entities_are_not_passivated)
{
    shoal_entities_config_t config = s_config();
    config.passivate_idle_ms = 1000;
    s_start(config, NULL);
    s_send("e1", "Add", NULL, "r1"); /* in flight */
    s_host.now += 5000;
    shoal_entities_sweep(s_entities);
    cr_assert_eq(shoal_entities_resident(s_entities), 1);
    s_flush();
    s_expect_accepted("r1", 1, 1, "value=1");
    s_host.now += 5000;
    shoal_entities_sweep(s_entities);
    cr_assert_eq(shoal_entities_resident(s_entities), 0);
}

Test(entities, no_passivation_by_idleness_when_disabled)
{
    s_start(s_config(), NULL); /* passivate_idle_ms 0 */
    s_send("e1", "Add", NULL, "r1");
    s_flush();
    s_host.now += 1000000000;
    shoal_entities_sweep(s_entities);
    cr_assert_eq(shoal_entities_resident(s_entities), 1);
}

Test(entities, resident_cap_evicts_the_least_recently_used)
{
    shoal_entities_config_t config = s_config();
    config.max_resident = 2;
    s_start(config, NULL);
    s_send("e1", "Add", NULL, "r1");
    s_flush();
    s_send("e2", "Add", NULL, "r2");
    s_flush();
    s_ask("e1", "q1"); /* e1 is now more recent than e2 */

    s_send("e3", "Add", NULL, "r3");
    cr_assert_eq(shoal_entities_resident(s_entities), 2);
    cr_assert_eq(shoal_entities_counters(s_entities)->passivations, 1);
    s_flush();

    /* e1 is still in memory, e2 comes back from the journal. */
    s_send("e1", "Add", NULL, "r4");
    cr_assert_eq(s_host.recovery_count, 0, "e1 was evicted");
    s_flush();
    s_expect_accepted("r4", 2, 1, "value=2");
    s_send("e2", "Add", NULL, "r5");
    cr_assert_eq(s_host.recovery_count, 1);
    cr_assert_str_eq(s_host.recoveries[0]->key, "tcounter/e2");
    s_recover();
    s_flush();
    s_expect_accepted("r5", 2, 1, "value=2");
    cr_assert_eq(shoal_entities_resident(s_entities), 2);
}

Test(entities, resident_cap_with_every_entity_busy_answers_busy)
{
    shoal_entities_config_t config = s_config();
    config.max_resident = 1;
    s_start(config, NULL);
    s_send("e1", "Add", NULL, "r1"); /* in flight: cannot leave */
    s_send("e2", "Add", NULL, "r2");
    s_expect_error("r2", "busy", "resident");
    cr_assert_eq(shoal_entities_resident(s_entities), 1);
    s_flush();
    s_send("e2", "Add", NULL, "r3");
    s_flush();
    s_expect_accepted("r3", 1, 1, "value=1");
}

/* ---------------------------------------------------------------------
 * Snapshots
 */

Test(entities, snapshot_is_submitted_every_snapshot_every_events)
{
    shoal_entities_config_t config = s_config();
    config.snapshot_every = 3;
    s_start(config, NULL);
    s_send("e1", "Add", "c1", "r1"); /* 1 event */
    s_write(s_pop_append());
    cr_assert_eq(s_host.append_count, 0, "snapshot too early");
    s_send("e1", "AddTwice", NULL, "r2"); /* 3 events */
    s_write(s_pop_append());
    s_expect_accepted("r2", 2, 2, "value=3");

    cr_assert_eq(s_host.append_count, 1, "no snapshot");
    const shoal_append_t *append = s_host.appends[0];
    cr_assert(append->is_snapshot);
    cr_assert_str_eq(append->entity_key, "tcounter/e1");
    cr_assert_eq(append->snapshot.seq, 3);
    cr_assert_eq(append->snapshot.pos, 2);
    cr_assert_eq(append->snapshot.state_size, sizeof(int64_t));
    int64_t value;
    memcpy(&value, append->snapshot.state, sizeof value);
    cr_assert_eq(value, 3);
    /* The dedup window goes with it. */
    shoal_dedup_t *dedup = shoal_dedup_new(8);
    cr_assert_eq(shoal_dedup_decode(dedup, append->snapshot.dedup,
                                    append->snapshot.dedup_size),
                 0);
    shoal_dedup_record_t record;
    cr_assert(shoal_dedup_lookup(dedup, "c1", &record));
    shoal_dedup_destroy(&dedup);
    cr_assert_eq(shoal_entities_pending(s_entities), 1);

    s_flush();
    cr_assert_eq(shoal_entities_counters(s_entities)->snapshots, 1);
    cr_assert_eq(shoal_entities_pending(s_entities), 0);

    /* The count starts again; an entry without events counts as one. */
    s_send("e1", "Add", NULL, "r3");
    s_write(s_pop_append());
    s_send("e1", "Noop", "c2", "r4");
    s_write(s_pop_append());
    cr_assert_eq(s_host.append_count, 0, "snapshot too early");
    s_send("e1", "Noop", "c3", "r5");
    s_write(s_pop_append());
    cr_assert_eq(s_host.append_count, 1, "entries without events ignored");
    cr_assert(s_host.appends[0]->is_snapshot);
    cr_assert_eq(s_host.appends[0]->snapshot.seq, 4);
    cr_assert_eq(s_host.appends[0]->snapshot.pos, 5);
}

Test(entities, recovered_events_count_toward_the_next_snapshot)
{
    int64_t first = s_journal_add("tcounter/e1", 0, 1, 1, NULL, "value=1");
    int64_t head = s_journal_add("tcounter/e1", first, 2, 1, NULL, "value=2");
    shoal_entities_config_t config = s_config();
    config.snapshot_every = 3;
    s_start(config, s_heads("tcounter/e1", head));
    s_send("e1", "Add", NULL, "r1"); /* 2 recovered events, then 1 */
    s_recover();
    s_write(s_pop_append());
    s_expect_accepted("r1", 3, 1, "value=3");
    cr_assert_eq(s_host.append_count, 1, "no snapshot");
    cr_assert(s_host.appends[0]->is_snapshot);
    cr_assert_eq(s_host.appends[0]->snapshot.seq, 3);
}

Test(entities, failed_snapshot_submission_is_retried_after_the_next_change)
{
    shoal_entities_config_t config = s_config();
    config.snapshot_every = 1;
    s_start(config, NULL);
    s_send("e1", "Add", NULL, "r1");
    shoal_append_t *append = s_pop_append();
    s_host.refuse_appends = true; /* the snapshot finds the queue full */
    s_write(append);
    s_expect_accepted("r1", 1, 1, "value=1");
    cr_assert_eq(s_host.append_count, 0);
    cr_assert_eq(shoal_entities_pending(s_entities), 0);

    s_host.refuse_appends = false;
    s_send("e1", "Add", NULL, "r2");
    s_write(s_pop_append());
    cr_assert_eq(s_host.append_count, 1);
    cr_assert(s_host.appends[0]->is_snapshot);
    cr_assert_eq(s_host.appends[0]->snapshot.seq, 2);
}

Test(entities, no_snapshot_when_snapshot_every_is_zero)
{
    s_start(s_config(), NULL);
    for (int i = 0; i < 20; i++) {
        s_send("e1", "AddTwice", NULL, "r");
        s_write(s_pop_append());
        cr_assert_eq(s_host.append_count, 0);
        s_host.answer_count = 0;
    }
}

/* ---------------------------------------------------------------------
 * Shutdown
 */

Test(entities, stop_answers_stashed_and_later_requests_unavailable)
{
    s_start(s_config(), s_heads("tcounter/e2", 9));
    s_send("e1", "Add", NULL, "r1"); /* in flight */
    s_send("e1", "Add", NULL, "r2"); /* stashed */
    s_send("e1", "Add", NULL, "r3"); /* stashed */
    s_send("e2", "Add", NULL, "r4"); /* waiting for its recovery */
    shoal_entities_stop(s_entities);

    s_expect_error("r2", "unavailable", "shutting down");
    s_expect_error("r3", "unavailable", "shutting down");
    s_expect_error("r4", "unavailable", "shutting down");
    cr_assert_null(s_find("r1"));
    cr_assert_eq(shoal_entities_stashed(s_entities), 0);
    s_send("e1", "Add", NULL, "r5");
    s_expect_error("r5", "unavailable", "shutting down");
    s_ask("e3", "q1");
    s_expect_error("q1", "unavailable", "shutting down");

    /* The worker keeps handing back what is in flight. */
    cr_assert_eq(shoal_entities_pending(s_entities), 2);
    s_flush();
    s_expect_accepted("r1", 1, 1, "value=1"); /* it is durable */
    cr_assert_eq(s_host.append_count, 0);
    shoal_recovery_t *recovery = s_pop_recovery(); /* e2: nothing to load */
    shoal_entities_recovered(s_entities, &recovery);
    cr_assert_eq(shoal_entities_pending(s_entities), 0);
    cr_assert_eq(shoal_entities_resident(s_entities), 1);
}

Test(entities, destroy_answers_waiting_requests)
{
    s_start(s_config(), NULL);
    s_send("e1", "Add", NULL, "r1");
    s_send("e1", "Add", NULL, "r2");
    shoal_entities_destroy(&s_entities);
    cr_assert_null(s_entities);
    s_expect_error("r2", "unavailable", "shutting down");
    shoal_entities_destroy(&s_entities); /* NULL-safe */
}

/* The shard of the test keys: "tcounter/other..." ids live in shard
 * SHARD + 1, every other in SHARD. */
static uint32_t s_shard_of(const char *key, void *arg)
{
    (void)arg;
    return strncmp(key, "tcounter/other", 14) == 0 ? SHARD + 1 : SHARD;
}

/* Sends a command to tcounter/entity_id in shard. */
static void s_send_in(uint32_t shard, const char *entity_id, const char *tag)
{
    shoal_request_t *request =
        shoal_request_new(SHOAL_REQUEST_COMMAND, &s_type, shard, entity_id,
                          "Add", NULL, NULL, 0, tag, strlen(tag));
    cr_assert_not_null(request);
    shoal_entities_handle(s_entities, &request);
}

Test(entities, releasing_a_shard_drops_its_idle_entities_and_their_heads)
{
    s_start(s_config(), NULL);
    s_send("idle", "Add", NULL, "r1");
    s_flush();
    s_send_in(SHARD + 1, "other", "r2");
    s_flush();
    s_send("busy", "Add", NULL, "r3"); /* its append is in flight */
    cr_assert_eq(shoal_entities_resident(s_entities), 3);
    cr_assert_eq(
        shoal_entities_release_shard(s_entities, SHARD, s_shard_of, NULL), 1,
        "the entity with an append in flight is still busy");
    cr_assert_eq(shoal_entities_resident(s_entities), 2);
    s_flush();
    cr_assert_eq(
        shoal_entities_release_shard(s_entities, SHARD, s_shard_of, NULL), 0);
    cr_assert_eq(shoal_entities_resident(s_entities), 1, "other stays");
    /* Their heads are forgotten: a command starts a fresh entity. */
    size_t recoveries = s_host.recovery_count;
    s_send("idle", "Add", NULL, "r4");
    cr_assert_eq(s_host.recovery_count, recoveries, "no recovery");
    s_flush();
    s_expect_accepted("r4", 1, 1, "value=1");
}

Test(entities, an_adopted_head_is_recovered_from)
{
    s_start(s_config(), NULL);
    s_send("moved", "Add", NULL, "r1");
    s_flush();
    s_send("moved", "Add", NULL, "r2");
    s_flush();
    int64_t head = s_last_pos;
    cr_assert_eq(
        shoal_entities_release_shard(s_entities, SHARD, s_shard_of, NULL), 0);
    cr_assert_eq(shoal_entities_adopt_head(s_entities, "tcounter/moved", head),
                 0);
    size_t recoveries = s_host.recovery_count;
    s_send("moved", "Add", NULL, "r3");
    cr_assert_eq(s_host.recovery_count, recoveries + 1);
    s_recover();
    s_flush();
    s_expect_accepted("r3", 3, 1, "value=3");
}
