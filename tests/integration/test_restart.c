/*
 * tests/integration/test_restart.c - the state of every entity survives a
 * restart of its node exactly: after a clean stop (SIGTERM), after a crash
 * (SIGKILL), and with snapshots in the recovery path.
 *
 * A script of commands is run against counters and accounts; the test
 * checks the expected state, restarts the node on the same data directory
 * and checks that `get` renders every entity identically, and that the
 * entities' sequence numbers go on where they left off.
 */
#include "node_fixture.h"
#include "node_process.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *type;
    const char *id;
    const char *command;
    const char *payload; /* NULL: empty payload */
    shoal_reply_status_t expect;
} step_t;

static const step_t s_script[] = {
    {"counter", "c1", "Increment", "{\"by\":5}", SHOAL_REPLY_ACCEPTED},
    {"counter", "c1", "Increment", NULL, SHOAL_REPLY_ACCEPTED},
    {"counter", "c2", "Increment", "{\"by\":10}", SHOAL_REPLY_ACCEPTED},
    {"counter", "c2", "Decrement", "{\"by\":3}", SHOAL_REPLY_ACCEPTED},
    {"counter", "c3", "Increment", "{\"by\":4}", SHOAL_REPLY_ACCEPTED},
    {"counter", "c3", "Reset", NULL, SHOAL_REPLY_ACCEPTED},
    {"counter", "c3", "Increment", "{\"by\":2}", SHOAL_REPLY_ACCEPTED},
    {"counter", "c4", "Decrement", "{\"by\":7}", SHOAL_REPLY_ACCEPTED},
    {"account", "a1", "Open", "{\"owner\":\"alice\"}", SHOAL_REPLY_ACCEPTED},
    {"account", "a1", "Deposit", "{\"amount\":100}", SHOAL_REPLY_ACCEPTED},
    {"account", "a1", "Withdraw", "{\"amount\":30}", SHOAL_REPLY_ACCEPTED},
    {"account", "a1", "Withdraw", "{\"amount\":1000}", SHOAL_REPLY_REJECTED},
    {"account", "a2", "Open", "{\"owner\":\"bob\"}", SHOAL_REPLY_ACCEPTED},
    {"account", "a2", "Deposit", "{\"amount\":5}", SHOAL_REPLY_ACCEPTED},
    {"account", "a2", "Withdraw", "{\"amount\":5}", SHOAL_REPLY_ACCEPTED},
    {"account", "a2", "Close", NULL, SHOAL_REPLY_ACCEPTED},
    {"account", "a3", "Open", "{\"owner\":\"carol\"}", SHOAL_REPLY_ACCEPTED},
    {"account", "a3", "Deposit", "{\"amount\":42}", SHOAL_REPLY_ACCEPTED},
};

#define SCRIPT_LENGTH (sizeof s_script / sizeof s_script[0])

/* Entities the script touches, plus one it never touches. */
static const char *const s_entities[][2] = {
    {"counter", "c1"}, {"counter", "c2"}, {"counter", "c3"},
    {"counter", "c4"}, {"counter", "c5"}, {"account", "a1"},
    {"account", "a2"}, {"account", "a3"}, {"counter", "never"},
};

#define ENTITY_COUNT (sizeof s_entities / sizeof s_entities[0])

/* c5 gets this many Increments by 1, enough for several snapshots. */
#define C5_INCREMENTS 40

static node_fixture_t s_fixture;

static void s_setup(void)
{
    node_fixture_init(&s_fixture);
}

static void s_teardown(void)
{
    node_fixture_fini(&s_fixture);
}

TestSuite(restart, .init = s_setup, .fini = s_teardown);

/* Starts the node on the test's data directory with extra_flag (may be
 * NULL) and connects the client. */
static void s_start(const char *extra_flag, const char *extra_value)
{
    shoal_client_destroy(&s_fixture.client);
    s_fixture.node = node_process_start_examples(s_fixture.dir, extra_flag,
                                                 extra_value, NULL);
    node_fixture_connect(&s_fixture);
}

/* Sends one command and checks its status; returns the reply's first_seq. */
static uint64_t s_call(const char *type, const char *id, const char *command,
                       const char *payload, shoal_reply_status_t expect)
{
    shoal_reply_t reply = {0};
    int rc = shoal_client_call(s_fixture.client, type, id, command, payload,
                               payload ? strlen(payload) : 0, NULL, &reply,
                               TEST_REQUEST_TIMEOUT_MS);
    cr_assert_eq(rc, 0, "%s/%s %s: no reply (%d)", type, id, command, rc);
    cr_assert_eq(reply.status, expect, "%s/%s %s: status %d, expected %d: %s",
                 type, id, command, reply.status, expect,
                 reply.body ? reply.body : "");
    uint64_t first_seq = reply.first_seq;
    shoal_reply_clear(&reply);
    return first_seq;
}

static void s_run_script(void)
{
    for (size_t i = 0; i < SCRIPT_LENGTH; i++) {
        const step_t *step = &s_script[i];
        s_call(step->type, step->id, step->command, step->payload,
               step->expect);
    }
    for (int i = 0; i < C5_INCREMENTS; i++)
        s_call("counter", "c5", "Increment", NULL, SHOAL_REPLY_ACCEPTED);
}

/* Returns {"type/id": get-answer, ...} for every entity of s_entities. */
static json_t *s_capture(void)
{
    json_t *all = json_object();
    for (size_t i = 0; i < ENTITY_COUNT; i++) {
        json_t *state = node_process_get_json(s_fixture.node, s_entities[i][0],
                                              s_entities[i][1]);
        cr_assert_not_null(state, "get %s %s failed", s_entities[i][0],
                           s_entities[i][1]);
        char key[128];
        snprintf(key, sizeof key, "%s/%s", s_entities[i][0], s_entities[i][1]);
        json_object_set_new(all, key, state);
    }
    return all;
}

static long long s_int(json_t *all, const char *key, const char *field)
{
    json_t *member = json_object_get(json_object_get(all, key), field);
    cr_assert(json_is_integer(member), "%s has no integer %s", key, field);
    return json_integer_value(member);
}

static bool s_bool(json_t *all, const char *key, const char *field)
{
    json_t *member = json_object_get(json_object_get(all, key), field);
    cr_assert(json_is_boolean(member), "%s has no boolean %s", key, field);
    return json_is_true(member);
}

/* Checks the state the script leaves, independently of any restart. */
static void s_check_expected(json_t *all)
{
    cr_assert_eq(s_int(all, "counter/c1", "value"), 6);
    cr_assert_eq(s_int(all, "counter/c2", "value"), 7);
    cr_assert_eq(s_int(all, "counter/c3", "value"), 2);
    cr_assert_eq(s_int(all, "counter/c4", "value"), -7);
    cr_assert_eq(s_int(all, "counter/c5", "value"), C5_INCREMENTS);
    cr_assert_eq(s_int(all, "counter/never", "value"), 0);
    cr_assert_eq(s_int(all, "account/a1", "balance"), 70);
    cr_assert(s_bool(all, "account/a1", "open"));
    cr_assert_not(s_bool(all, "account/a1", "closed"));
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(all, "account/a1"), "owner")),
                     "alice");
    cr_assert_eq(s_int(all, "account/a2", "balance"), 0);
    cr_assert(s_bool(all, "account/a2", "closed"));
    cr_assert_eq(s_int(all, "account/a3", "balance"), 42);
}

static void s_check_same(json_t *before, json_t *after)
{
    char *before_text = json_dumps(before, JSON_SORT_KEYS | JSON_COMPACT);
    char *after_text = json_dumps(after, JSON_SORT_KEYS | JSON_COMPACT);
    cr_assert(json_equal(before, after),
              "state changed across restart:\nbefore %s\nafter  %s",
              before_text, after_text);
    free(before_text);
    free(after_text);
}

/* After a restart the entities continue their sequences: c1 had 2 events,
 * c5 had C5_INCREMENTS, so their next events are numbered after those. */
static void s_check_sequences_continue(uint64_t c1_events, uint64_t c5_events)
{
    uint64_t seq = s_call("counter", "c1", "Increment", "{\"by\":1}",
                          SHOAL_REPLY_ACCEPTED);
    cr_assert_eq(seq, c1_events + 1, "c1's next event is %llu, expected %llu",
                 (unsigned long long)seq, (unsigned long long)c1_events + 1);
    seq = s_call("counter", "c5", "Increment", NULL, SHOAL_REPLY_ACCEPTED);
    cr_assert_eq(seq, c5_events + 1, "c5's next event is %llu, expected %llu",
                 (unsigned long long)seq, (unsigned long long)c5_events + 1);
    cr_assert_eq(node_process_get_int(s_fixture.node, "counter", "c1", "value"),
                 7);
    cr_assert_eq(node_process_get_int(s_fixture.node, "counter", "c5", "value"),
                 (long long)c5_events + 1);
}

Test(restart, state_survives_clean_restart)
{
    s_start(NULL, NULL);
    s_run_script();
    json_t *before = s_capture();
    s_check_expected(before);

    shoal_client_destroy(&s_fixture.client);
    cr_assert_eq(node_process_stop(&s_fixture.node), 0, "SIGTERM must exit 0");
    s_start(NULL, NULL);
    json_t *after = s_capture();
    s_check_same(before, after);
    s_check_sequences_continue(2, C5_INCREMENTS);
    json_decref(before);
    json_decref(after);
}

Test(restart, state_survives_kill_9)
{
    s_start(NULL, NULL);
    s_run_script();
    json_t *before = s_capture();
    s_check_expected(before);

    node_process_kill(&s_fixture.node);
    s_start(NULL, NULL);
    json_t *after = s_capture();
    s_check_same(before, after);
    s_check_sequences_continue(2, C5_INCREMENTS);
    json_decref(before);
    json_decref(after);
}

Test(restart, state_survives_restarts_with_snapshots)
{
    /* Snapshots every 3 events: recovery reads a snapshot and the journal
     * after it. Alternate clean stops and crashes. */
    s_start("--snapshot-every", "3");
    s_run_script();
    json_t *before = s_capture();
    s_check_expected(before);

    node_process_kill(&s_fixture.node);
    s_start("--snapshot-every", "3");
    json_t *after = s_capture();
    s_check_same(before, after);
    json_decref(after);

    shoal_client_destroy(&s_fixture.client);
    cr_assert_eq(node_process_stop(&s_fixture.node), 0, "SIGTERM must exit 0");
    s_start("--snapshot-every", "3");
    after = s_capture();
    s_check_same(before, after);
    s_check_sequences_continue(2, C5_INCREMENTS);
    json_decref(before);
    json_decref(after);

    /* And once more, with the events written after the restarts. */
    before = s_capture();
    node_process_kill(&s_fixture.node);
    s_start(NULL, NULL);
    after = s_capture();
    s_check_same(before, after);
    json_decref(before);
    json_decref(after);
}
