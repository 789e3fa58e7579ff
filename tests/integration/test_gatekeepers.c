/*
 * tests/integration/test_gatekeepers.c - gatekeepers run at the edge,
 * before routing: they reject (nothing is journaled), enrich a command
 * with what they asked of another entity's command model, or dispatch a
 * command elsewhere; commands sent by policies skip them.
 */
#include "node_fixture.h"
#include "reaction_helpers.h"

static node_fixture_t s_fixture;

static void s_setup(void)
{
    node_fixture_init(&s_fixture);
    s_fixture.node = node_process_start(
        s_fixture.dir, "--plugin", test_fixture_plugin("reaction_probe"), NULL);
    node_fixture_connect(&s_fixture);
}

static void s_teardown(void)
{
    node_fixture_fini(&s_fixture);
}

TestSuite(gatekeepers, .init = s_setup, .fini = s_teardown);

Test(gatekeepers, a_rejection_at_the_gate_journals_nothing)
{
    char body[256];
    cr_assert_eq(test_call(s_fixture.client, "sink", "a", "Count", "deny", body,
                           sizeof body),
                 SHOAL_REPLY_REJECTED);
    cr_assert_str_eq(body, "denied at the gate");
    cr_assert_eq(node_process_get_int(s_fixture.node, "sink", "a", "count"), 0);
    json_t *status = node_process_status_json(s_fixture.node);
    json_t *gates = json_object_get(status, "gates");
    cr_assert_eq(json_integer_value(json_object_get(gates, "rejected")), 1);
    json_decref(status);
}

Test(gatekeepers, enrichment_carries_what_the_gatekeeper_asked)
{
    for (int i = 0; i < 3; i++)
        cr_assert_eq(
            test_call(s_fixture.client, "poke", "p", "Poke", "x", NULL, 0),
            SHOAL_REPLY_ACCEPTED);
    cr_assert_eq(
        test_call(s_fixture.client, "sink", "w", "Count", "ask:p", NULL, 0),
        SHOAL_REPLY_ACCEPTED);
    json_t *sink = node_process_get_json(s_fixture.node, "sink", "w");
    cr_assert_str_eq(json_string_value(json_object_get(sink, "last")),
                     "pokes=3");
    json_decref(sink);
    /* An entity with no events answers its empty state. */
    cr_assert_eq(test_call(s_fixture.client, "sink", "v", "Count", "ask:nobody",
                           NULL, 0),
                 SHOAL_REPLY_ACCEPTED);
    sink = node_process_get_json(s_fixture.node, "sink", "v");
    cr_assert_str_eq(json_string_value(json_object_get(sink, "last")),
                     "pokes=0");
    json_decref(sink);
}

Test(gatekeepers, a_dispatch_elsewhere_reaches_the_other_entity)
{
    cr_assert_eq(test_call(s_fixture.client, "sink", "from", "Count",
                           "redirect:to", NULL, 0),
                 SHOAL_REPLY_ACCEPTED);
    cr_assert_eq(node_process_get_int(s_fixture.node, "sink", "from", "count"),
                 0);
    json_t *sink = node_process_get_json(s_fixture.node, "sink", "to");
    cr_assert_str_eq(json_string_value(json_object_get(sink, "last")),
                     "redirected");
    json_decref(sink);
}

Test(gatekeepers, commands_without_a_gatekeeper_pass_unchanged)
{
    cr_assert_eq(
        test_call(s_fixture.client, "sink", "u", "Count", "plain", NULL, 0),
        SHOAL_REPLY_ACCEPTED);
    json_t *sink = node_process_get_json(s_fixture.node, "sink", "u");
    cr_assert_str_eq(json_string_value(json_object_get(sink, "last")), "plain");
    json_decref(sink);
}

Test(gatekeepers, many_asking_commands_in_flight_all_complete)
{
    const int count = 300;
    for (int i = 0; i < count; i++) {
        char id[16];
        snprintf(id, sizeof id, "r%d", i);
        cr_assert_eq(shoal_client_send(s_fixture.client, id, "sink", "many",
                                       "Count", "ask:p", 5, NULL),
                     0);
    }
    for (int i = 0; i < count; i++) {
        shoal_reply_t reply = {0};
        cr_assert_eq(shoal_client_receive(s_fixture.client, &reply,
                                          TEST_REQUEST_TIMEOUT_MS),
                     0);
        cr_assert_eq(reply.status, SHOAL_REPLY_ACCEPTED, "%s: %s",
                     reply.error_code ? reply.error_code : "", reply.body);
        shoal_reply_clear(&reply);
    }
    cr_assert_eq(node_process_get_int(s_fixture.node, "sink", "many", "count"),
                 count);
}
