/*
 * tests/integration/test_passivation.c - idle entities leave memory and
 * come back with their state: after --passivate-idle-ms of silence, and
 * when --max-resident is reached.
 *
 * Passivation has no signal a client can wait on, so the idle test polls
 * the status socket's "entities" count, with a deadline.
 */
#include "node_fixture.h"
#include "node_process.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define PASSIVATION_DEADLINE_MS 10000
#define POLL_INTERVAL_MS 50

static node_fixture_t s_fixture;

static void s_setup(void)
{
    node_fixture_init(&s_fixture);
}

static void s_teardown(void)
{
    node_fixture_fini(&s_fixture);
}

TestSuite(passivation, .init = s_setup, .fini = s_teardown);

static void s_start(const char *const args[])
{
    s_fixture.node = node_process_startv(s_fixture.dir, args);
    node_fixture_connect(&s_fixture);
}

/* Increments counter id by `by`; returns the value after. */
static long long s_increment(const char *id, int by)
{
    char payload[32];
    snprintf(payload, sizeof payload, "{\"by\":%d}", by);
    shoal_reply_t reply = {0};
    int rc = shoal_client_call(s_fixture.client, "counter", id, "Increment",
                               payload, strlen(payload), NULL, &reply,
                               TEST_REQUEST_TIMEOUT_MS);
    cr_assert_eq(rc, 0, "%s: no reply (%d)", id, rc);
    cr_assert_eq(reply.status, SHOAL_REPLY_ACCEPTED, "%s: %d %s %s", id,
                 reply.status, reply.error_code ? reply.error_code : "",
                 reply.body);
    long long value = test_json_int(reply.body, "value");
    shoal_reply_clear(&reply);
    return value;
}

static long long s_resident(void)
{
    long long entities = node_process_status_int(s_fixture.node, "entities");
    cr_assert_geq(entities, 0, "status has no \"entities\"");
    return entities;
}

Test(passivation, idle_entities_are_passivated_and_recovered)
{
    const char *args[] = {"--plugin", test_example_plugin("counter"),
                          "--passivate-idle-ms", "200", NULL};
    s_start(args);
    char id[16];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "idle%d", i);
        cr_assert_eq(s_increment(id, i + 1), i + 1);
        cr_assert_eq(s_increment(id, 10), i + 11);
    }
    cr_assert_gt(s_resident(), 0, "no entity resident right after use");

    long long deadline = test_now_ms() + PASSIVATION_DEADLINE_MS;
    long long entities;
    while ((entities = s_resident()) > 0) {
        cr_assert_lt(test_now_ms(), deadline,
                     "%lld entities still resident after %d ms", entities,
                     PASSIVATION_DEADLINE_MS);
        test_sleep_ms(POLL_INTERVAL_MS);
    }

    /* Recovered by a query and by a command alike. */
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "idle%d", i);
        cr_assert_eq(
            node_process_get_int(s_fixture.node, "counter", id, "value"),
            i + 11, "%s lost its state when passivated", id);
        cr_assert_eq(s_increment(id, 100), i + 111);
    }
}

Test(passivation, max_resident_is_never_exceeded)
{
    const char *args[] = {"--plugin",
                          test_example_plugin("counter"),
                          "--max-resident",
                          "3",
                          "--workers",
                          "1",
                          NULL};
    s_start(args);
    char id[16];
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof id, "cap%d", i);
        cr_assert_eq(s_increment(id, i + 1), i + 1);
        long long entities = s_resident();
        cr_assert_leq(entities, 3, "%lld entities resident after %s", entities,
                      id);
    }
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 10; i++) {
            snprintf(id, sizeof id, "cap%d", i);
            long long expected = i + 1 + round * 1000;
            cr_assert_eq(
                node_process_get_int(s_fixture.node, "counter", id, "value"),
                expected, "%s lost its state", id);
            cr_assert_leq(s_resident(), 3);
            cr_assert_eq(s_increment(id, 1000), expected + 1000);
            cr_assert_leq(s_resident(), 3);
        }
    }
}
