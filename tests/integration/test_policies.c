/*
 * tests/integration/test_policies.c - policies (event handlers) run after
 * their source events are durable: what they dispatch is applied once at
 * the target and what they publish appears once on the topic, in order
 * per source entity, even across kill -9; a failing event is retried,
 * then parked as a dead letter, and a retry from the status socket
 * handles it; a topic consumer resumes from its cursor.
 */
#include "node_fixture.h"
#include "reaction_helpers.h"

#include <signal.h>
#include <unistd.h>

static node_fixture_t s_fixture;
static char s_fail_file[4096];

/* Starts the node with the probe plugin and extra flags (NULL-ended). */
static void s_start(const char *extra, const char *value)
{
    s_fixture.node = node_process_start(
        s_fixture.dir, "--plugin", test_fixture_plugin("reaction_probe"),
        "--policy-max-attempts", "3", "--policy-backoff-ms", "20", extra, value,
        NULL);
    node_fixture_connect(&s_fixture);
}

static void s_setup(void)
{
    node_fixture_init(&s_fixture);
    snprintf(s_fail_file, sizeof s_fail_file, "%s/fail", s_fixture.dir);
    setenv("SHOAL_TEST_FAIL_FILE", s_fail_file, 1);
}

static void s_teardown(void)
{
    node_fixture_fini(&s_fixture);
}

TestSuite(policies, .init = s_setup, .fini = s_teardown);

Test(policies, dispatches_and_publishes_after_the_events_are_durable)
{
    s_start(NULL, NULL);
    for (int i = 1; i <= 5; i++) {
        char text[8];
        snprintf(text, sizeof text, "x%d", i);
        cr_assert_eq(
            test_call(s_fixture.client, "poke", "a", "Poke", text, NULL, 0),
            SHOAL_REPLY_ACCEPTED);
    }
    cr_assert_eq(
        test_wait_get_int(s_fixture.node, "sink", "a", "count", 5, 10000), 5);
    cr_assert_eq(test_wait_policy_int(s_fixture.node, "poke-forwarder",
                                      "handled", 5, 10000),
                 5);
    cr_assert_eq(
        test_wait_policy_int(s_fixture.node, "poke-forwarder", "lag", 0, 10000),
        0);
    char cursor[4096] = "";
    test_event_t events[10];
    cr_assert_eq(test_read_events(s_fixture.node, "pokes", cursor,
                                  sizeof cursor, 10, events),
                 5);
    for (int i = 0; i < 5; i++) {
        char text[8];
        snprintf(text, sizeof text, "x%d", i + 1);
        cr_assert_str_eq(events[i].payload, text);
        cr_assert_str_eq(events[i].entity, "poke/a");
    }
    /* Nothing new after the cursor. */
    cr_assert_eq(test_read_events(s_fixture.node, "pokes", cursor,
                                  sizeof cursor, 10, events),
                 0);
}

Test(policies, a_consumer_resumes_from_its_cursor_missing_nothing)
{
    s_start(NULL, NULL);
    const int entities = 20, pokes = 4;
    for (int round = 1; round <= pokes; round++)
        for (int e = 0; e < entities; e++) {
            char id[16], text[16];
            snprintf(id, sizeof id, "e%d", e);
            snprintf(text, sizeof text, "%d", round);
            cr_assert_eq(
                test_call(s_fixture.client, "poke", id, "Poke", text, NULL, 0),
                SHOAL_REPLY_ACCEPTED);
        }
    cr_assert_eq(test_wait_policy_int(s_fixture.node, "poke-forwarder",
                                      "handled", entities * pokes, 10000),
                 entities * pokes);
    /* Read three at a time; each entity's events must come in order. */
    int last[20] = {0}, total = 0;
    char cursor[4096] = "";
    test_event_t events[3];
    int count;
    while ((count = test_read_events(s_fixture.node, "pokes", cursor,
                                     sizeof cursor, 3, events)) > 0) {
        for (int i = 0; i < count; i++) {
            int e = atoi(events[i].entity + strlen("poke/e"));
            int n = atoi(events[i].payload);
            cr_assert_eq(n, last[e] + 1, "entity %d: %d after %d", e, n,
                         last[e]);
            last[e] = n;
            total++;
        }
    }
    cr_assert_eq(count, 0);
    cr_assert_eq(total, entities * pokes);
    /* A cursor from the start of the topic again reads everything. */
    char again[4096] = "";
    test_event_t all[100];
    cr_assert_eq(test_read_events(s_fixture.node, "pokes", again, sizeof again,
                                  100, all),
                 entities * pokes);
    cr_assert_str_eq(again, cursor);
}

Test(policies, a_malformed_cursor_is_refused_with_the_reason)
{
    s_start(NULL, NULL);
    char cursor[64] = "99999:1";
    test_event_t events[1];
    cr_assert_eq(test_read_events(s_fixture.node, "pokes", cursor,
                                  sizeof cursor, 1, events),
                 -1);
    snprintf(cursor, sizeof cursor, "3:1,2:1");
    cr_assert_eq(test_read_events(s_fixture.node, "pokes", cursor,
                                  sizeof cursor, 1, events),
                 -1);
}

Test(policies, delivery_is_at_least_once_and_applied_once_across_kill_9)
{
    s_start("--policy-batch", "4");
    const int entities = 100, pokes = 5;
    int sent = 0;
    for (int round = 1; round <= pokes; round++)
        for (int e = 0; e < entities; e++) {
            char id[16], text[16], request[16];
            snprintf(id, sizeof id, "k%d", e);
            snprintf(text, sizeof text, "%d", round);
            snprintf(request, sizeof request, "%d", sent++);
            cr_assert_eq(shoal_client_send(s_fixture.client, request, "poke",
                                           id, "Poke", text, strlen(text),
                                           NULL),
                         0);
        }
    for (int i = 0; i < sent; i++) {
        shoal_reply_t reply = {0};
        cr_assert_eq(shoal_client_receive(s_fixture.client, &reply,
                                          TEST_REQUEST_TIMEOUT_MS),
                     0);
        cr_assert_eq(reply.status, SHOAL_REPLY_ACCEPTED);
        shoal_reply_clear(&reply);
    }
    /* Kill it while the policy is part way through. */
    long long handled =
        test_policy_int(s_fixture.node, "poke-forwarder", "handled");
    cr_assert_lt(handled, entities * pokes,
                 "the policy finished before the kill (%lld)", handled);
    shoal_client_destroy(&s_fixture.client);
    node_process_kill(&s_fixture.node);
    s_start(NULL, NULL);
    /* Every sink reaches its count; a redelivery applied twice would
     * show after it. */
    for (int e = 0; e < entities; e++) {
        char id[16];
        snprintf(id, sizeof id, "k%d", e);
        test_wait_get_int(s_fixture.node, "sink", id, "count", pokes, 30000);
    }
    cr_assert_eq(
        test_wait_policy_int(s_fixture.node, "poke-forwarder", "lag", 0, 30000),
        0);
    test_sleep_ms(300);
    for (int e = 0; e < entities; e++) {
        char id[16];
        snprintf(id, sizeof id, "k%d", e);
        cr_assert_eq(node_process_get_int(s_fixture.node, "sink", id, "count"),
                     pokes,
                     "sink/%s applied a redelivered command twice or missed "
                     "one",
                     id);
    }
    /* The topic holds each event once, in order per entity. */
    int last[100] = {0}, total = 0, count;
    char cursor[4096] = "";
    test_event_t events[200];
    while ((count = test_read_events(s_fixture.node, "pokes", cursor,
                                     sizeof cursor, 200, events)) > 0)
        for (int i = 0; i < count; i++) {
            int e = atoi(events[i].entity + strlen("poke/k"));
            int n = atoi(events[i].payload);
            cr_assert_eq(n, last[e] + 1, "entity %d: %d after %d", e, n,
                         last[e]);
            last[e] = n;
            total++;
        }
    cr_assert_eq(total, entities * pokes);
}

/* Asks the status socket and returns the answer (the caller frees). */
static char *s_status(const char *request, int expect)
{
    char *answer = NULL;
    cr_assert_eq(
        shoal_status_request(node_process_status_endpoint(s_fixture.node),
                             request, TEST_REQUEST_TIMEOUT_MS, &answer),
        expect, "%s: %s", request, answer ? answer : "no answer");
    return answer;
}

Test(policies, a_failing_event_is_retried_parked_then_retried_by_hand)
{
    s_start(NULL, NULL);
    FILE *file = fopen(s_fail_file, "w");
    cr_assert_not_null(file);
    fclose(file);
    cr_assert_eq(
        test_call(s_fixture.client, "poke", "f", "Poke", "fail-1", NULL, 0),
        SHOAL_REPLY_ACCEPTED);
    cr_assert_eq(
        test_call(s_fixture.client, "poke", "g", "Poke", "ok", NULL, 0),
        SHOAL_REPLY_ACCEPTED);
    cr_assert_eq(test_wait_policy_int(s_fixture.node, "poke-forwarder",
                                      "dead_letters", 1, 10000),
                 1);
    cr_assert_geq(test_policy_int(s_fixture.node, "poke-forwarder", "retries"),
                  2);
    /* The policy moved on past the parked event. */
    cr_assert_eq(
        test_wait_get_int(s_fixture.node, "sink", "g", "count", 1, 10000), 1);
    cr_assert_eq(node_process_get_int(s_fixture.node, "sink", "f", "count"), 0);
    char *answer = s_status("dead-letters", 0);
    json_t *root = json_loads(answer, 0, NULL);
    json_t *list = json_object_get(root, "dead_letters");
    cr_assert_eq(json_array_size(list), 1, "%s", answer);
    json_t *letter = json_array_get(list, 0);
    cr_assert_str_eq(json_string_value(json_object_get(letter, "entity")),
                     "poke/f");
    cr_assert_str_eq(json_string_value(json_object_get(letter, "error")),
                     "asked to fail");
    cr_assert_eq(json_integer_value(json_object_get(letter, "attempts")), 3);
    long long id = json_integer_value(json_object_get(letter, "id"));
    json_decref(root);
    free(answer);
    char request[64];
    snprintf(request, sizeof request, "retry %lld", id);
    /* Still failing: the retry says so and the letter stays. */
    free(s_status(request, 1));
    unlink(s_fail_file);
    free(s_status(request, 0));
    cr_assert_eq(node_process_get_int(s_fixture.node, "sink", "f", "count"), 1);
    answer = s_status("dead-letters", 0);
    cr_assert(strstr(answer, "\"dead_letters\":[]"), "%s", answer);
    free(answer);
    free(s_status(request, 1)); /* gone */
    cr_assert_eq(test_wait_policy_int(s_fixture.node, "poke-forwarder",
                                      "dead_letters", 0, 10000),
                 0);
}
