/*
 * tests/unit/wish_test.h - what the wish plugin's test files share: the
 * plugin's types, a driver that runs one entity's commands through the
 * plugin harness on a clock the test moves, and small JSON helpers.
 *
 * The driver keeps the entity's sequence (how many events it has), as the
 * runtime does, so that shoal_ctx_new_id draws a new wish id for each
 * approved wish.
 */
#ifndef SHOAL_TESTS_WISH_TEST_H
#define SHOAL_TESTS_WISH_TEST_H

#include "tests/unit/fake_gate_reaction.h"
#include "tests/unit/plugin_harness.h"

#include <stdarg.h>
#include <stdio.h>

extern const shoal_plugin_t shoal_plugin;

/* The test clock: 2026-11-26T10:00:00Z. */
#define WISH_NOW 1795687200000LL
#define WISH_MINUTE 60000LL
#define WISH_DAY (24 * 60 * WISH_MINUTE)

typedef struct {
    const shoal_type_t *type;
    void *state;
    const char *entity_id;
    int64_t now_ms;
    uint64_t sequence; /* events applied so far */
} wish_driver_t;

/* Returns the plugin's type called name. */
static inline const shoal_type_t *wish_type(const char *name)
{
    for (size_t i = 0; i < shoal_plugin.type_count; i++)
        if (strcmp(shoal_plugin.types[i].name, name) == 0)
            return &shoal_plugin.types[i];
    cr_assert_fail("no type %s", name);
    return NULL;
}

/* Returns the plugin's policy called name. */
static inline const shoal_policy_t *wish_policy(const char *name)
{
    for (size_t i = 0; i < shoal_plugin.policy_count; i++)
        if (strcmp(shoal_plugin.policies[i].name, name) == 0)
            return &shoal_plugin.policies[i];
    cr_assert_fail("no policy %s", name);
    return NULL;
}

/* Hands every event of outcome to policy name on reaction, in order, as
 * the runtime does once they are durable, and asserts it handles each. */
static inline void wish_react(shoal_reaction_t *reaction, const char *name,
                              const harness_outcome_t *outcome)
{
    const shoal_policy_t *policy = wish_policy(name);
    for (size_t i = 0; i < outcome->event_count; i++)
        cr_assert_eq(policy->handle(reaction, outcome->events[i],
                                    strlen(outcome->events[i])),
                     0, "%s failed on %s: %s", name, outcome->events[i],
                     reaction->failure ? reaction->failure : "");
}

/* Prepares a driver for a new entity type_name/entity_id (borrowed) at
 * WISH_NOW. */
static inline void wish_driver_init(wish_driver_t *driver,
                                    const char *type_name,
                                    const char *entity_id)
{
    driver->type = wish_type(type_name);
    driver->state = driver->type->state_new(entity_id);
    cr_assert_not_null(driver->state);
    driver->entity_id = entity_id;
    driver->now_ms = WISH_NOW;
    driver->sequence = 0;
}

static inline void wish_driver_fini(wish_driver_t *driver)
{
    driver->type->state_free(&driver->state);
}

/* Runs command name with payload (NULL: empty) against a read-only copy of
 * the state, then applies its events as the runtime does once they are
 * durable. Returns the outcome (free it with harness_outcome_free). */
static inline harness_outcome_t wish_run(wish_driver_t *driver,
                                         const char *name, const char *payload)
{
    harness_outcome_t outcome =
        harness_run_at(driver->type, driver->state, driver->entity_id,
                       driver->now_ms, driver->sequence, name, payload);
    harness_apply(driver->type, driver->state, &outcome);
    driver->sequence += outcome.event_count;
    return outcome;
}

/* Runs a command and asserts it is accepted with event_count events and,
 * when expected_reply is not NULL, that reply. Returns the outcome. */
static inline harness_outcome_t
wish_accept(wish_driver_t *driver, const char *name, const char *payload,
            const char *expected_reply, size_t event_count)
{
    harness_outcome_t outcome = wish_run(driver, name, payload);
    cr_assert_not(outcome.rejected, "%s %s rejected: %s", name,
                  payload ? payload : "", outcome.reply);
    if (expected_reply)
        harness_assert_json(outcome.reply, expected_reply);
    cr_assert_eq(outcome.event_count, event_count,
                 "%s: %zu events, expected %zu", name, outcome.event_count,
                 event_count);
    return outcome;
}

/* Runs a command and asserts it is rejected with exactly reason and
 * event_count events (a rejection may be recorded). Returns the outcome. */
static inline harness_outcome_t
wish_reject(wish_driver_t *driver, const char *name, const char *payload,
            const char *reason, size_t event_count)
{
    harness_outcome_t outcome = wish_run(driver, name, payload);
    cr_assert(outcome.rejected, "%s %s accepted: %s", name,
              payload ? payload : "", outcome.reply);
    cr_assert_str_eq(outcome.reply, reason);
    cr_assert_eq(outcome.event_count, event_count,
                 "%s: %zu events, expected %zu", name, outcome.event_count,
                 event_count);
    return outcome;
}

/* As wish_reject, for a rejection with no event. */
static inline void wish_reject_quietly(wish_driver_t *driver, const char *name,
                                       const char *payload, const char *reason)
{
    harness_outcome_t outcome = wish_reject(driver, name, payload, reason, 0);
    harness_outcome_free(&outcome);
}

/* Returns a printf-style string (malloc'd, the caller frees it). */
static inline char *wish_format(const char *format, ...)
    __attribute__((format(printf, 1, 2)));

static inline char *wish_format(const char *format, ...)
{
    char *text = NULL;
    va_list args;
    va_start(args, format);
    cr_assert_geq(vasprintf(&text, format, args), 0);
    va_end(args);
    return text;
}

/* Asserts text is JSON equal to the printf-style expectation. */
static inline void wish_assert_json(const char *text, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static inline void wish_assert_json(const char *text, const char *format, ...)
{
    char *expected = NULL;
    va_list args;
    va_start(args, format);
    cr_assert_geq(vasprintf(&expected, format, args), 0);
    va_end(args);
    harness_assert_json(text, expected);
    free(expected);
}

/* Asserts the driver's entity queries as the printf-style expectation. */
static inline void wish_assert_query(wish_driver_t *driver, const char *format,
                                     ...) __attribute__((format(printf, 2, 3)));

static inline void wish_assert_query(wish_driver_t *driver, const char *format,
                                     ...)
{
    char *expected = NULL;
    va_list args;
    va_start(args, format);
    cr_assert_geq(vasprintf(&expected, format, args), 0);
    va_end(args);
    harness_assert_query(driver->type, driver->state, driver->entity_id,
                         expected);
    free(expected);
}

/* Returns the string field name of the JSON object text (malloc'd). */
static inline char *wish_json_string(const char *text, const char *name)
{
    json_t *json = json_loads(text, 0, NULL);
    cr_assert_not_null(json, "not JSON: %s", text);
    const char *value = json_string_value(json_object_get(json, name));
    cr_assert_not_null(value, "no string %s in %s", name, text);
    char *copy = strdup(value);
    json_decref(json);
    return copy;
}

/* Makes a nice wish (the gatekeeper's naughty:false) and asserts it is
 * approved with one WishApproved event. Returns the wish id (malloc'd). */
static inline char *wish_make(wish_driver_t *driver, const char *wish)
{
    char *payload = wish_format("{\"wish\":\"%s\",\"naughty\":false}", wish);
    harness_outcome_t outcome =
        wish_accept(driver, "MakeWish", payload, NULL, 1);
    char *wish_id = wish_json_string(outcome.reply, "wish_id");
    cr_assert_eq(strlen(wish_id), 32);
    wish_assert_json(outcome.events[0],
                     "{\"type\":\"WishApproved\",\"wish_id\":\"%s\","
                     "\"wish\":\"%s\"}",
                     wish_id, wish);
    harness_outcome_free(&outcome);
    free(payload);
    return wish_id;
}

/* Loads the shipped keyword list through the plugin's open, as the node
 * does: WISH_PLUGIN_PATH is where the build put wish.so. */
static inline void wish_open_shipped(void)
{
    const char *plugin_path = getenv("WISH_PLUGIN_PATH");
    cr_assert_not_null(plugin_path, "WISH_PLUGIN_PATH is not set");
    unsetenv("SHOAL_WISH_NAUGHTY_WORDS");
    char error[512] = "";
    cr_assert_eq(shoal_plugin.open(plugin_path, error, sizeof error), 0,
                 "open: %s", error);
}

#endif
