/*
 * tests/unit/test_counter.c - the `counter` example plugin: every command's
 * events, reply and rejections, the fold, the query and the snapshot.
 *
 * Built with examples/counter/counter.c and actors/effect.c compiled in, so
 * shoal_plugin is this plugin's descriptor.
 */
#include "tests/unit/plugin_harness.h"

extern const shoal_plugin_t shoal_plugin;

static const shoal_type_t *s_type;
static void *s_state;

static void s_setup(void)
{
    s_type = &shoal_plugin.types[0];
    s_state = s_type->state_new("e1");
    cr_assert_not_null(s_state);
}

static void s_teardown(void)
{
    s_type->state_free(&s_state);
}

/* Replaces s_state with the state a snapshot of value decodes to. */
static void s_set_value(const char *value)
{
    char text[64];
    snprintf(text, sizeof text, "{\"value\":%s}", value);
    s_type->state_free(&s_state);
    s_state = s_type->snapshot_decode("e1", text, strlen(text));
    cr_assert_not_null(s_state);
}

#define EVENTS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_EVENTS ((const char *const[]){NULL})

TestSuite(counter, .init = s_setup, .fini = s_teardown);

Test(counter, exports_one_type_with_every_function)
{
    cr_assert_eq(shoal_plugin.abi_version, SHOAL_PLUGIN_ABI_VERSION);
    cr_assert_eq(shoal_plugin.type_count, 1);
    cr_assert_str_eq(s_type->name, "counter");
    cr_assert(s_type->state_new && s_type->state_free &&
              s_type->handle_command && s_type->apply_event && s_type->query &&
              s_type->snapshot_encode && s_type->snapshot_decode);
}

Test(counter, starts_at_zero)
{
    harness_assert_query(s_type, s_state, "e1", "{\"id\":\"e1\",\"value\":0}");
}

Test(counter, state_free_is_null_safe_and_clears_the_pointer)
{
    s_type->state_free(&s_state);
    cr_assert_null(s_state);
    s_type->state_free(&s_state);
    s_type->state_free(NULL);
}

Test(counter, increment_without_payload_adds_one)
{
    harness_expect_accept(s_type, s_state, "Increment", NULL, "{\"value\":1}",
                          EVENTS("{\"event\":\"Incremented\",\"by\":1}"));
    harness_expect_accept(s_type, s_state, "Increment", "{}", "{\"value\":2}",
                          EVENTS("{\"event\":\"Incremented\",\"by\":1}"));
    harness_assert_query(s_type, s_state, "e1", "{\"id\":\"e1\",\"value\":2}");
}

Test(counter, increment_adds_by)
{
    harness_expect_accept(s_type, s_state, "Increment", "{\"by\":5}",
                          "{\"value\":5}",
                          EVENTS("{\"event\":\"Incremented\",\"by\":5}"));
    harness_expect_accept(
        s_type, s_state, "Increment", "{\"by\":1000000000000}",
        "{\"value\":1000000000005}",
        EVENTS("{\"event\":\"Incremented\",\"by\":1000000000000}"));
    harness_assert_query(s_type, s_state, "e1",
                         "{\"id\":\"e1\",\"value\":1000000000005}");
}

Test(counter, decrement_subtracts_by_and_may_go_negative)
{
    harness_expect_accept(s_type, s_state, "Decrement", "{\"by\":3}",
                          "{\"value\":-3}",
                          EVENTS("{\"event\":\"Decremented\",\"by\":3}"));
    harness_expect_accept(s_type, s_state, "Decrement", NULL, "{\"value\":-4}",
                          EVENTS("{\"event\":\"Decremented\",\"by\":1}"));
    harness_assert_query(s_type, s_state, "e1", "{\"id\":\"e1\",\"value\":-4}");
}

Test(counter, step_must_be_a_positive_integer_up_to_10_to_the_12)
{
    const char *bad[] = {
        "{\"by\":0}",    "{\"by\":-1}",
        "{\"by\":1.5}",  "{\"by\":2.0}",
        "{\"by\":1e3}",  "{\"by\":\"2\"}",
        "{\"by\":null}", "{\"by\":true}",
        "{\"by\":[1]}",  "{\"by\":1000000000001}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        harness_expect_reject(s_type, s_state, "Increment", bad[i],
                              "by must be a positive integer");
        harness_expect_reject(s_type, s_state, "Decrement", bad[i],
                              "by must be a positive integer");
    }
}

Test(counter, reset_returns_to_zero)
{
    harness_expect_accept(s_type, s_state, "Increment", "{\"by\":7}",
                          "{\"value\":7}",
                          EVENTS("{\"event\":\"Incremented\",\"by\":7}"));
    harness_expect_accept(s_type, s_state, "Reset", NULL, "{\"value\":0}",
                          EVENTS("{\"event\":\"Reset\"}"));
    harness_assert_query(s_type, s_state, "e1", "{\"id\":\"e1\",\"value\":0}");

    s_set_value("-9");
    harness_expect_accept(s_type, s_state, "Reset", "{}", "{\"value\":0}",
                          EVENTS("{\"event\":\"Reset\"}"));
    harness_assert_query(s_type, s_state, "e1", "{\"id\":\"e1\",\"value\":0}");
}

Test(counter, reset_at_zero_is_accepted_without_events)
{
    harness_expect_accept(s_type, s_state, "Reset", NULL, "{\"value\":0}",
                          NO_EVENTS);
}

Test(counter, reset_takes_no_fields)
{
    harness_expect_reject(s_type, s_state, "Reset", "{\"by\":1}",
                          "unknown field \"by\"");
}

Test(counter, unknown_command_is_rejected_by_name)
{
    harness_expect_reject(s_type, s_state, "Multiply", NULL,
                          "unknown command Multiply");
    harness_expect_reject(s_type, s_state, "increment", "{\"by\":1}",
                          "unknown command increment");
}

Test(counter, malformed_payload_is_rejected)
{
    const char *bad[] = {"{", "not json", "{\"by\":1", " ",
                         "{\"by\":1,\"by\":2}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        harness_expect_reject_prefix(s_type, s_state, "Increment", bad[i],
                                     "payload is not valid JSON: ");
        harness_expect_reject_prefix(s_type, s_state, "Reset", bad[i],
                                     "payload is not valid JSON: ");
    }
}

Test(counter, payload_must_be_an_object)
{
    const char *bad[] = {"5", "[1]", "null", "\"by\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        harness_expect_reject(s_type, s_state, "Decrement", bad[i],
                              "payload must be a JSON object");
}

Test(counter, unknown_field_is_rejected)
{
    harness_expect_reject(s_type, s_state, "Increment", "{\"bye\":2}",
                          "unknown field \"bye\"");
    harness_expect_reject(s_type, s_state, "Decrement",
                          "{\"by\":2,\"note\":\"x\"}",
                          "unknown field \"note\"");
}

Test(counter, refuses_to_leave_the_int64_range)
{
    s_set_value("9223372036854775807");
    harness_expect_reject(s_type, s_state, "Increment", NULL,
                          "value would overflow");
    harness_expect_accept(s_type, s_state, "Decrement", NULL,
                          "{\"value\":9223372036854775806}",
                          EVENTS("{\"event\":\"Decremented\",\"by\":1}"));

    s_set_value("-9223372036854775808");
    harness_expect_reject(s_type, s_state, "Decrement", "{\"by\":2}",
                          "value would overflow");
    harness_expect_accept(s_type, s_state, "Increment", NULL,
                          "{\"value\":-9223372036854775807}",
                          EVENTS("{\"event\":\"Incremented\",\"by\":1}"));
}

Test(counter, fold_applies_each_event)
{
    harness_apply_text(s_type, s_state,
                       "{\"event\":\"Incremented\",\"by\":10}");
    harness_assert_query(s_type, s_state, "e1", "{\"id\":\"e1\",\"value\":10}");
    harness_apply_text(s_type, s_state, "{\"event\":\"Decremented\",\"by\":4}");
    harness_assert_query(s_type, s_state, "e1", "{\"id\":\"e1\",\"value\":6}");
    harness_apply_text(s_type, s_state, "{\"event\":\"Reset\"}");
    harness_assert_query(s_type, s_state, "e1", "{\"id\":\"e1\",\"value\":0}");
    harness_apply_text(s_type, s_state, "{\"event\":\"Decremented\",\"by\":2}");
    harness_assert_query(s_type, s_state, "e1", "{\"id\":\"e1\",\"value\":-2}");
}

Test(counter, fold_is_deterministic)
{
    const char *journal[] = {
        "{\"event\":\"Incremented\",\"by\":3}",
        "{\"event\":\"Decremented\",\"by\":1}",
        "{\"event\":\"Reset\"}",
        "{\"event\":\"Incremented\",\"by\":8}",
    };
    void *replayed = s_type->state_new("e1");
    for (size_t i = 0; i < sizeof journal / sizeof journal[0]; i++) {
        harness_apply_text(s_type, s_state, journal[i]);
        harness_apply_text(s_type, replayed, journal[i]);
    }
    harness_assert_query(s_type, s_state, "e1", "{\"id\":\"e1\",\"value\":8}");
    harness_assert_query(s_type, replayed, "e1", "{\"id\":\"e1\",\"value\":8}");
    s_type->state_free(&replayed);
}

Test(counter, fold_skips_events_it_could_not_have_emitted)
{
    s_set_value("5");
    const char *bad[] = {
        "",
        "garbage",
        "{\"event\":\"Incremented\"}",
        "{\"event\":\"Incremented\",\"by\":-5}",
        "{\"event\":\"Decremented\",\"by\":\"5\"}",
        "{\"event\":\"Exploded\",\"by\":5}",
        "{\"by\":5}",
        "[\"Reset\"]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        harness_apply_text(s_type, s_state, bad[i]);
    harness_assert_query(s_type, s_state, "e1", "{\"id\":\"e1\",\"value\":5}");

    s_set_value("9223372036854775807");
    harness_apply_text(s_type, s_state, "{\"event\":\"Incremented\",\"by\":1}");
    harness_assert_query(s_type, s_state, "e1",
                         "{\"id\":\"e1\",\"value\":9223372036854775807}");
}

Test(counter, handle_command_does_not_modify_state)
{
    s_set_value("5");
    const char *commands[][2] = {
        {"Increment", "{\"by\":2}"}, {"Decrement", NULL},     {"Reset", NULL},
        {"Increment", "{\"by\":0}"}, {"Reset", "{\"by\":1}"}, {"Nope", NULL},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        /* harness_run hands the handler a read-only copy: a write faults */
        harness_outcome_t outcome =
            harness_run(s_type, s_state, "e1", commands[i][0], commands[i][1]);
        harness_outcome_free(&outcome);
        harness_assert_query(s_type, s_state, "e1",
                             "{\"id\":\"e1\",\"value\":5}");
    }
}

Test(counter, query_renders_the_entity_id)
{
    harness_assert_query(s_type, s_state, "visits-\"7\"",
                         "{\"id\":\"visits-\\\"7\\\"\",\"value\":0}");
    harness_assert_query(s_type, s_state, "caf\xc3\xa9",
                         "{\"id\":\"caf\xc3\xa9\",\"value\":0}");
    harness_assert_query(s_type, s_state,
                         "a\xff"
                         "b",
                         "{\"id\":\"a?b\",\"value\":0}");
}

Test(counter, snapshot_round_trips)
{
    const char *values[] = {"0", "42", "-17", "9223372036854775807",
                            "-9223372036854775808"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        s_set_value(values[i]);
        void *decoded = harness_snapshot_round_trip(s_type, s_state);
        s_type->state_free(&decoded);
    }
}

Test(counter, snapshot_is_the_value)
{
    harness_apply_text(s_type, s_state,
                       "{\"event\":\"Incremented\",\"by\":42}");
    void *data = NULL;
    size_t size = 0;
    cr_assert_eq(s_type->snapshot_encode(s_state, &data, &size), 0);
    char *text = harness_strndup(data, size);
    harness_assert_json(text, "{\"value\":42}");
    free(text);
    free(data);
}

Test(counter, snapshot_decode_refuses_garbage)
{
    const char *bad[] = {
        "",
        "garbage",
        "{}",
        "[42]",
        "42",
        "null",
        "{\"value\":\"42\"}",
        "{\"value\":4.2}",
        "{\"value\":null}",
        "{\"value\":1,\"extra\":true}",
        "{\"value\":99999999999999999999}",
        "{\"value\":1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        harness_assert_decode_refuses(s_type, bad[i]);
    cr_assert_null(s_type->snapshot_decode("e1", NULL, 0));
}
