/*
 * tests/integration/test_read_your_writes.c - `get` reads the command
 * model: as soon as a command's ACCEPTED reply arrives, the status socket
 * shows its events, with no delay and no retry.
 */
#include "node_fixture.h"
#include "node_process.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define ROUNDS 200
#define PIPELINED 100

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

TestSuite(read_your_writes, .init = s_setup, .fini = s_teardown);

/* Sends one command, expects ACCEPTED, returns the reply's "value" (or
 * INT64_MIN when it has none). */
static long long s_accept(const char *type, const char *id, const char *command,
                          const char *payload)
{
    shoal_reply_t reply = {0};
    int rc = shoal_client_call(s_fixture.client, type, id, command, payload,
                               strlen(payload), NULL, &reply,
                               TEST_REQUEST_TIMEOUT_MS);
    cr_assert_eq(rc, 0, "%s/%s %s: no reply (%d)", type, id, command, rc);
    cr_assert_eq(reply.status, SHOAL_REPLY_ACCEPTED, "%s/%s %s: %d %s", type,
                 id, command, reply.status, reply.body);
    long long value = test_json_int(reply.body, "value");
    shoal_reply_clear(&reply);
    return value;
}

Test(read_your_writes, get_shows_each_accepted_command_at_once)
{
    const char *counters[] = {"r0", "r1", "r2"};
    long long expected[3] = {0, 0, 0};
    for (int round = 0; round < ROUNDS; round++) {
        int which = round % 3;
        const char *id = counters[which];
        char payload[32];
        int by = round % 5 + 1;
        snprintf(payload, sizeof payload, "{\"by\":%d}", by);
        bool up = round % 4 != 3;
        long long value =
            s_accept("counter", id, up ? "Increment" : "Decrement", payload);
        expected[which] += up ? by : -by;
        cr_assert_eq(value, expected[which], "round %d: reply %lld", round,
                     value);
        long long seen =
            node_process_get_int(s_fixture.node, "counter", id, "value");
        cr_assert_eq(seen, expected[which],
                     "round %d: get %s shows %lld after a reply of %lld", round,
                     id, seen, expected[which]);
    }
}

Test(read_your_writes, account_balance_is_visible_after_each_command)
{
    s_accept("account", "ryw", "Open", "{\"owner\":\"frank\"}");
    long long balance = 0;
    for (int round = 0; round < ROUNDS / 2; round++) {
        char payload[32];
        bool deposit = round % 3 != 2;
        snprintf(payload, sizeof payload, "{\"amount\":%d}", round + 1);
        s_accept("account", "ryw", deposit ? "Deposit" : "Withdraw", payload);
        balance += deposit ? round + 1 : -(round + 1);
        json_t *state = node_process_get_json(s_fixture.node, "account", "ryw");
        cr_assert_not_null(state);
        cr_assert(json_is_true(json_object_get(state, "open")));
        cr_assert_eq(json_integer_value(json_object_get(state, "balance")),
                     balance, "round %d", round);
        json_decref(state);
    }
}

Test(read_your_writes, pipelined_replies_are_visible_when_they_arrive)
{
    /* With commands in flight, get may already show later commands, but
     * never less than the reply just received. */
    for (int i = 0; i < PIPELINED; i++) {
        char request_id[16];
        snprintf(request_id, sizeof request_id, "%d", i);
        cr_assert_eq(shoal_client_send(s_fixture.client, request_id, "counter",
                                       "p", "Increment", "", 0, NULL),
                     0);
    }
    long long last = 0;
    for (int i = 0; i < PIPELINED; i++) {
        shoal_reply_t reply = {0};
        cr_assert_eq(shoal_client_receive(s_fixture.client, &reply,
                                          TEST_REQUEST_TIMEOUT_MS),
                     0);
        cr_assert_eq(reply.status, SHOAL_REPLY_ACCEPTED, "%d %s", reply.status,
                     reply.body);
        long long value = test_json_int(reply.body, "value");
        shoal_reply_clear(&reply);
        cr_assert_eq(value, last + 1, "replies for one entity out of order");
        last = value;
        long long seen =
            node_process_get_int(s_fixture.node, "counter", "p", "value");
        cr_assert_geq(seen, value, "get shows %lld after a reply of %lld", seen,
                      value);
        cr_assert_leq(seen, PIPELINED);
    }
}
