/*
 * tests/integration/test_dedup.c - command ids make commands
 * effectively-once: a repeat of an id the entity has seen returns the first
 * outcome (same status, sequence numbers and reply) and journals nothing,
 * also after a restart; ids are scoped to their entity.
 */
#include "node_fixture.h"
#include "node_process.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static node_fixture_t s_fixture;

static void s_setup(void)
{
    node_fixture_init(&s_fixture);
    s_fixture.node = node_process_start_examples(s_fixture.dir, NULL);
    node_fixture_connect(&s_fixture);
}

static void s_teardown(void)
{
    node_fixture_fini(&s_fixture);
}

TestSuite(dedup, .init = s_setup, .fini = s_teardown);

/* A reply as the tests compare it. */
typedef struct {
    shoal_reply_status_t status;
    uint64_t first_seq;
    uint64_t event_count;
    char body[256];
} outcome_t;

static outcome_t s_call(const char *type, const char *id, const char *command,
                        const char *payload, const char *command_id)
{
    shoal_reply_t reply = {0};
    int rc = shoal_client_call(s_fixture.client, type, id, command, payload,
                               payload ? strlen(payload) : 0, command_id,
                               &reply, TEST_REQUEST_TIMEOUT_MS);
    cr_assert_eq(rc, 0, "%s/%s %s: no reply (%d)", type, id, command, rc);
    cr_assert_neq(reply.status, SHOAL_REPLY_ERROR, "%s/%s %s: ERROR %s: %s",
                  type, id, command, reply.error_code, reply.body);
    outcome_t outcome = {reply.status, reply.first_seq, reply.event_count, ""};
    snprintf(outcome.body, sizeof outcome.body, "%s", reply.body);
    shoal_reply_clear(&reply);
    return outcome;
}

static void s_assert_same(const outcome_t *first, const outcome_t *again)
{
    cr_assert_eq(again->status, first->status, "status %d, first was %d",
                 again->status, first->status);
    cr_assert_eq(again->first_seq, first->first_seq,
                 "first_seq %llu, first was %llu",
                 (unsigned long long)again->first_seq,
                 (unsigned long long)first->first_seq);
    cr_assert_eq(again->event_count, first->event_count,
                 "event_count %llu, first was %llu",
                 (unsigned long long)again->event_count,
                 (unsigned long long)first->event_count);
    cr_assert_str_eq(again->body, first->body);
}

static long long s_value(const char *id)
{
    return node_process_get_int(s_fixture.node, "counter", id, "value");
}

/* Stops the node (kills it when crash) and starts it again on the same
 * data directory, with --snapshot-every snapshot_every unless that is
 * NULL; reconnects the client. */
static void s_restart(bool crash, const char *snapshot_every)
{
    shoal_client_destroy(&s_fixture.client);
    if (crash)
        node_process_kill(&s_fixture.node);
    else
        cr_assert_eq(node_process_stop(&s_fixture.node), 0);
    s_fixture.node = node_process_start_examples(
        s_fixture.dir, snapshot_every ? "--snapshot-every" : NULL,
        snapshot_every, NULL);
    node_fixture_connect(&s_fixture);
}

Test(dedup, duplicate_command_id_is_applied_once)
{
    outcome_t first = s_call("counter", "d", "Increment", "{\"by\":5}", "x1");
    cr_assert_eq(first.status, SHOAL_REPLY_ACCEPTED);
    cr_assert_eq(first.first_seq, 1);
    cr_assert_eq(first.event_count, 1);
    cr_assert_eq(test_json_int(first.body, "value"), 5);

    outcome_t other = s_call("counter", "d", "Increment", "{\"by\":1}", NULL);
    cr_assert_eq(other.first_seq, 2);
    cr_assert_eq(s_value("d"), 6);

    outcome_t again = s_call("counter", "d", "Increment", "{\"by\":5}", "x1");
    s_assert_same(&first, &again);
    cr_assert_eq(s_value("d"), 6, "the duplicate was applied again");

    /* The next command's event follows directly: the duplicate journaled
     * nothing. */
    outcome_t next = s_call("counter", "d", "Increment", "{\"by\":1}", "x2");
    cr_assert_eq(next.first_seq, 3);
    cr_assert_eq(s_value("d"), 7);
}

Test(dedup, duplicate_with_another_payload_returns_the_first_outcome)
{
    outcome_t first = s_call("counter", "d", "Increment", "{\"by\":2}", "p1");
    outcome_t again = s_call("counter", "d", "Decrement", "{\"by\":9}", "p1");
    s_assert_same(&first, &again);
    cr_assert_eq(s_value("d"), 2);
}

Test(dedup, duplicate_of_a_rejection_is_rejected_again)
{
    s_call("account", "r", "Open", "{\"owner\":\"dan\"}", "open-1");
    s_call("account", "r", "Deposit", "{\"amount\":10}", "dep-1");
    outcome_t first =
        s_call("account", "r", "Withdraw", "{\"amount\":50}", "wd-1");
    cr_assert_eq(first.status, SHOAL_REPLY_REJECTED);
    cr_assert(strstr(first.body, "insufficient funds"), "reason: %s",
              first.body);

    /* Now the balance would allow it, but the id's outcome is decided. */
    s_call("account", "r", "Deposit", "{\"amount\":100}", "dep-2");
    outcome_t again =
        s_call("account", "r", "Withdraw", "{\"amount\":50}", "wd-1");
    s_assert_same(&first, &again);
    cr_assert_eq(
        node_process_get_int(s_fixture.node, "account", "r", "balance"), 110);
}

Test(dedup, entities_reuse_ids_independently)
{
    outcome_t a = s_call("counter", "a", "Increment", "{\"by\":3}", "same");
    outcome_t b = s_call("counter", "b", "Increment", "{\"by\":4}", "same");
    outcome_t account =
        s_call("account", "a", "Open", "{\"owner\":\"erin\"}", "same");
    cr_assert_eq(a.status, SHOAL_REPLY_ACCEPTED);
    cr_assert_eq(b.status, SHOAL_REPLY_ACCEPTED);
    cr_assert_eq(account.status, SHOAL_REPLY_ACCEPTED);
    cr_assert_eq(b.first_seq, 1);
    cr_assert_eq(account.first_seq, 1);
    cr_assert_eq(s_value("a"), 3);
    cr_assert_eq(s_value("b"), 4);
    json_t *state = node_process_get_json(s_fixture.node, "account", "a");
    cr_assert(json_is_true(json_object_get(state, "open")));
    json_decref(state);

    outcome_t b_again =
        s_call("counter", "b", "Increment", "{\"by\":4}", "same");
    s_assert_same(&b, &b_again);
    cr_assert_eq(s_value("b"), 4);
}

Test(dedup, duplicate_is_applied_once_after_clean_restart)
{
    outcome_t first = s_call("counter", "d", "Increment", "{\"by\":5}", "x1");
    s_call("counter", "d", "Increment", "{\"by\":1}", NULL);
    outcome_t rejected =
        s_call("account", "r", "Withdraw", "{\"amount\":1}", "wd-1");
    cr_assert_eq(rejected.status, SHOAL_REPLY_REJECTED);

    s_restart(false, NULL);
    outcome_t again = s_call("counter", "d", "Increment", "{\"by\":5}", "x1");
    s_assert_same(&first, &again);
    cr_assert_eq(s_value("d"), 6);
    outcome_t rejected_again =
        s_call("account", "r", "Withdraw", "{\"amount\":1}", "wd-1");
    s_assert_same(&rejected, &rejected_again);
}

Test(dedup, duplicate_is_applied_once_after_kill_9)
{
    outcome_t first = s_call("counter", "d", "Increment", "{\"by\":5}", "x1");
    s_call("counter", "d", "Increment", "{\"by\":1}", "x2");

    s_restart(true, NULL);
    outcome_t again = s_call("counter", "d", "Increment", "{\"by\":5}", "x1");
    s_assert_same(&first, &again);
    cr_assert_eq(s_value("d"), 6);

    /* Ids are remembered through a snapshot too. */
    s_restart(true, "1");
    outcome_t third = s_call("counter", "d", "Increment", "{\"by\":1}", "x3");
    cr_assert_eq(third.first_seq, 3);
    s_restart(true, "1");
    outcome_t third_again =
        s_call("counter", "d", "Increment", "{\"by\":1}", "x3");
    s_assert_same(&third, &third_again);
    outcome_t first_again =
        s_call("counter", "d", "Increment", "{\"by\":5}", "x1");
    s_assert_same(&first, &first_again);
    cr_assert_eq(s_value("d"), 7);
}
