/*
 * tests/integration/test_timers.c - durable timers: a command a policy
 * schedules fires when the node's clock (a manual clock here) reaches its
 * time, not before; a timer that falls due while the node is down fires
 * once it is up again; a fired timer never fires twice.
 */
#include "node_fixture.h"
#include "reaction_helpers.h"

#define T0 1800000000000LL /* 2027-01-15T08:00:00Z */

static node_fixture_t s_fixture;

/* Starts the node with the manual clock at ms. */
static void s_start(long long ms)
{
    char clock[32];
    snprintf(clock, sizeof clock, "%lld", ms);
    s_fixture.node = node_process_start(s_fixture.dir, "--plugin",
                                        test_fixture_plugin("reaction_probe"),
                                        "--manual-clock-ms", clock, NULL);
    node_fixture_connect(&s_fixture);
}

static void s_setup(void)
{
    node_fixture_init(&s_fixture);
    s_start(T0);
}

static void s_teardown(void)
{
    node_fixture_fini(&s_fixture);
}

TestSuite(timers, .init = s_setup, .fini = s_teardown);

/* Moves the node's manual clock to ms. */
static void s_set_clock(long long ms)
{
    char request[64], *answer = NULL;
    snprintf(request, sizeof request, "clock set %lld", ms);
    cr_assert_eq(
        shoal_status_request(node_process_status_endpoint(s_fixture.node),
                             request, TEST_REQUEST_TIMEOUT_MS, &answer),
        0, "clock set: %s", answer ? answer : "no answer");
    free(answer);
}

/* Schedules a Ring of alarm/id at ms (through the alarm-scheduler). */
static void s_set_alarm(const char *id, long long ms)
{
    long long handled =
        test_policy_int(s_fixture.node, "alarm-scheduler", "handled");
    char text[32];
    snprintf(text, sizeof text, "%lld", ms);
    cr_assert_eq(test_call(s_fixture.client, "alarm", id, "Set", text, NULL, 0),
                 SHOAL_REPLY_ACCEPTED);
    cr_assert_eq(test_wait_policy_int(s_fixture.node, "alarm-scheduler",
                                      "handled", handled + 1, 10000),
                 handled + 1, "the scheduler handled the Set event");
}

Test(timers, a_timer_fires_when_the_clock_reaches_it_and_not_before)
{
    s_set_alarm("a", T0 + 60000);
    test_sleep_ms(300);
    cr_assert_eq(node_process_get_int(s_fixture.node, "alarm", "a", "rings"),
                 0);
    s_set_clock(T0 + 59999);
    test_sleep_ms(300);
    cr_assert_eq(node_process_get_int(s_fixture.node, "alarm", "a", "rings"),
                 0);
    s_set_clock(T0 + 60000);
    cr_assert_eq(
        test_wait_get_int(s_fixture.node, "alarm", "a", "rings", 1, 10000), 1);
    test_sleep_ms(300);
    cr_assert_eq(node_process_get_int(s_fixture.node, "alarm", "a", "rings"), 1,
                 "a timer fires once");
    json_t *status = node_process_status_json(s_fixture.node);
    json_t *timers = json_object_get(status, "timers");
    cr_assert_eq(json_integer_value(json_object_get(timers, "fired")), 1);
    json_decref(status);
}

Test(timers, a_timer_due_while_the_node_is_down_fires_once_it_is_up)
{
    s_set_alarm("early", T0 + 1000);
    s_set_alarm("late", T0 + 3600000);
    s_set_clock(T0 + 1000);
    cr_assert_eq(
        test_wait_get_int(s_fixture.node, "alarm", "early", "rings", 1, 10000),
        1);
    shoal_client_destroy(&s_fixture.client);
    cr_assert_eq(node_process_stop(&s_fixture.node), 0);
    s_start(T0 + 7200000); /* two hours later: "late" fell due meanwhile */
    cr_assert_eq(
        test_wait_get_int(s_fixture.node, "alarm", "late", "rings", 1, 10000),
        1);
    test_sleep_ms(300);
    cr_assert_eq(
        node_process_get_int(s_fixture.node, "alarm", "early", "rings"), 1,
        "the timer fired before the restart does not fire again");
}

Test(timers, a_timer_survives_kill_9)
{
    s_set_alarm("k", T0 + 5000);
    shoal_client_destroy(&s_fixture.client);
    node_process_kill(&s_fixture.node);
    s_start(T0 + 10000);
    cr_assert_eq(
        test_wait_get_int(s_fixture.node, "alarm", "k", "rings", 1, 10000), 1);
}

Test(timers, the_clock_cannot_be_set_without_a_manual_clock)
{
    shoal_client_destroy(&s_fixture.client);
    cr_assert_eq(node_process_stop(&s_fixture.node), 0);
    s_fixture.node = node_process_start(
        s_fixture.dir, "--plugin", test_fixture_plugin("reaction_probe"), NULL);
    cr_assert_not_null(s_fixture.node);
    char *answer = NULL;
    cr_assert_eq(
        shoal_status_request(node_process_status_endpoint(s_fixture.node),
                             "clock set 1800000000000", TEST_REQUEST_TIMEOUT_MS,
                             &answer),
        1);
    cr_assert(strstr(answer, "manual"), "%s", answer);
    free(answer);
}
