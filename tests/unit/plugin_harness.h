/*
 * tests/unit/plugin_harness.h - drives one plugin type the way the runtime
 * does, for the example plugins' unit tests: handle_command into a real
 * effect (actors/effect.c), then apply_event for each event it emitted.
 *
 * Every command runs against a read-only copy of the state (a bitwise copy
 * on a page mprotect'ed PROT_READ), so a handler that writes to its state
 * crashes the test instead of passing. The copy is shallow: it guards the
 * state struct itself, which for the examples is the whole state.
 */
#ifndef SHOAL_TESTS_PLUGIN_HARNESS_H
#define SHOAL_TESTS_PLUGIN_HARNESS_H

#include "actors/effect.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HARNESS_MAX_EVENTS 16

/* What one command produced: copies, NUL-terminated. */
typedef struct {
    bool rejected;
    char *reply; /* the reply, or the reason when rejected */
    size_t event_count;
    char *events[HARNESS_MAX_EVENTS];
} harness_outcome_t;

/* Returns a NUL-terminated malloc'd copy of size bytes at data. */
static inline char *harness_strndup(const void *data, size_t size)
{
    char *copy = malloc(size + 1);
    cr_assert_not_null(copy);
    if (size)
        memcpy(copy, data, size);
    copy[size] = '\0';
    return copy;
}

/* Returns a read-only bitwise copy of state (release with
 * harness_read_only_free), so that a write to it faults. */
static inline void *harness_read_only_copy(const void *state, size_t *length)
{
    size_t size = malloc_usable_size((void *)state);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    *length = (size + page - 1) / page * page;
    void *copy = mmap(NULL, *length, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(copy, MAP_FAILED);
    memcpy(copy, state, size);
    cr_assert_eq(mprotect(copy, *length, PROT_READ), 0);
    return copy;
}

/* The clock of harness_run: 2023-11-14T22:13:20Z. */
#define HARNESS_NOW_MS 1700000000000

/* Runs command name with payload (NULL: empty) against state, which it
 * leaves untouched, at now_ms on the handler's clock, for an entity whose
 * last event has sequence (which seeds shoal_ctx_new_id), and returns what
 * the handler decided. */
static inline harness_outcome_t
harness_run_at(const shoal_type_t *type, const void *state,
               const char *entity_id, int64_t now_ms, uint64_t sequence,
               const char *name, const char *payload)
{
    char key[SHOAL_TYPE_NAME_MAX + SHOAL_ENTITY_ID_MAX + 2];
    snprintf(key, sizeof key, "%s/%s", type->name, entity_id);
    shoal_ctx_t ctx;
    shoal__ctx_init(&ctx, now_ms, key, entity_id, sequence, NULL);
    shoal_command_t command = {name, payload, payload ? strlen(payload) : 0};

    size_t length;
    void *read_only = harness_read_only_copy(state, &length);
    shoal_effect_t *effect = shoal__effect_new();
    type->handle_command(&ctx, read_only, &command, effect);
    munmap(read_only, length);

    harness_outcome_t outcome = {0};
    cr_assert_not(shoal__effect_failed(effect));
    outcome.rejected = shoal__effect_rejected(effect);
    size_t size;
    const void *reply = shoal__effect_reply(effect, &size);
    outcome.reply = harness_strndup(reply, size);

    const uint8_t *events = shoal__effect_events(effect, &size);
    size_t offset = 0;
    const void *event;
    size_t event_size;
    int read;
    while ((read = shoal__events_next(events, size, &offset, &event,
                                      &event_size)) == 1) {
        cr_assert_lt(outcome.event_count, HARNESS_MAX_EVENTS);
        outcome.events[outcome.event_count++] =
            harness_strndup(event, event_size);
    }
    cr_assert_eq(read, 0, "corrupt event buffer");
    cr_assert_eq(outcome.event_count, shoal__effect_event_count(effect));
    shoal__effect_destroy(&effect);
    return outcome;
}

/* Runs command name with payload (NULL: empty) against state, which it
 * leaves untouched, at HARNESS_NOW_MS and sequence 0, and returns what the
 * handler decided. */
static inline harness_outcome_t
harness_run(const shoal_type_t *type, const void *state, const char *entity_id,
            const char *name, const char *payload)
{
    return harness_run_at(type, state, entity_id, HARNESS_NOW_MS, 0, name,
                          payload);
}

static inline void harness_outcome_free(harness_outcome_t *outcome)
{
    free(outcome->reply);
    for (size_t i = 0; i < outcome->event_count; i++)
        free(outcome->events[i]);
    memset(outcome, 0, sizeof *outcome);
}

/* Applies the outcome's events to state, as the runtime does once they
 * are durable. */
static inline void harness_apply(const shoal_type_t *type, void *state,
                                 const harness_outcome_t *outcome)
{
    for (size_t i = 0; i < outcome->event_count; i++)
        type->apply_event(state, outcome->events[i],
                          strlen(outcome->events[i]));
}

/* Applies one event given as text. */
static inline void harness_apply_text(const shoal_type_t *type, void *state,
                                      const char *event)
{
    type->apply_event(state, event, strlen(event));
}

/* Asserts that text is JSON equal to expected (key order aside). */
static inline void harness_assert_json(const char *text, const char *expected)
{
    cr_assert_not_null(text);
    json_t *actual_json = json_loads(text, JSON_DECODE_ANY, NULL);
    json_t *expected_json = json_loads(expected, JSON_DECODE_ANY, NULL);
    cr_assert_not_null(expected_json, "bad expectation: %s", expected);
    cr_assert(actual_json && json_equal(actual_json, expected_json),
              "got %s, expected %s", text, expected);
    json_decref(actual_json);
    json_decref(expected_json);
}

/* Asserts the state's query renders as expected. */
static inline void harness_assert_query(const shoal_type_t *type,
                                        const void *state,
                                        const char *entity_id,
                                        const char *expected)
{
    char *text = type->query(state, entity_id);
    harness_assert_json(text, expected);
    free(text);
}

/* Runs a command and asserts it is accepted with expected_reply and the
 * events in the NULL-terminated list expected_events, then applies them. */
static inline void harness_expect_accept(const shoal_type_t *type, void *state,
                                         const char *name, const char *payload,
                                         const char *expected_reply,
                                         const char *const *expected_events)
{
    harness_outcome_t outcome = harness_run(type, state, "e1", name, payload);
    cr_assert_not(outcome.rejected, "%s %s rejected: %s", name,
                  payload ? payload : "", outcome.reply);
    harness_assert_json(outcome.reply, expected_reply);
    size_t count = 0;
    while (expected_events[count])
        count++;
    cr_assert_eq(outcome.event_count, count, "%s: %zu events, expected %zu",
                 name, outcome.event_count, count);
    for (size_t i = 0; i < count; i++)
        harness_assert_json(outcome.events[i], expected_events[i]);
    harness_apply(type, state, &outcome);
    harness_outcome_free(&outcome);
}

/* Runs a command and asserts it is rejected with exactly reason and no
 * events. */
static inline void harness_expect_reject(const shoal_type_t *type,
                                         const void *state, const char *name,
                                         const char *payload,
                                         const char *reason)
{
    harness_outcome_t outcome = harness_run(type, state, "e1", name, payload);
    cr_assert(outcome.rejected, "%s %s accepted: %s", name,
              payload ? payload : "", outcome.reply);
    cr_assert_str_eq(outcome.reply, reason);
    cr_assert_eq(outcome.event_count, 0);
    harness_outcome_free(&outcome);
}

/* Runs a command and asserts it is rejected with a reason starting with
 * prefix and no events. */
static inline void harness_expect_reject_prefix(const shoal_type_t *type,
                                                const void *state,
                                                const char *name,
                                                const char *payload,
                                                const char *prefix)
{
    harness_outcome_t outcome = harness_run(type, state, "e1", name, payload);
    cr_assert(outcome.rejected, "%s %s accepted", name, payload ? payload : "");
    cr_assert(strncmp(outcome.reply, prefix, strlen(prefix)) == 0,
              "reason \"%s\" does not start with \"%s\"", outcome.reply,
              prefix);
    cr_assert_eq(outcome.event_count, 0);
    harness_outcome_free(&outcome);
}

/* Encodes state, decodes the bytes into a new state, and asserts both
 * render the same query. Returns the decoded state (the caller frees). */
static inline void *harness_snapshot_round_trip(const shoal_type_t *type,
                                                const void *state)
{
    void *data = NULL;
    size_t size = 0;
    cr_assert_eq(type->snapshot_encode(state, &data, &size), 0);
    void *decoded = type->snapshot_decode("e1", data, size);
    free(data);
    cr_assert_not_null(decoded);
    char *before = type->query(state, "e1");
    char *after = type->query(decoded, "e1");
    cr_assert_str_eq(after, before);
    free(before);
    free(after);
    return decoded;
}

/* Asserts snapshot_decode refuses text. */
static inline void harness_assert_decode_refuses(const shoal_type_t *type,
                                                 const char *text)
{
    void *state = type->snapshot_decode("e1", text, strlen(text));
    cr_assert_null(state, "decoded: %s", text);
}

#endif
