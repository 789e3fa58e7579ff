/*
 * tests/unit/test_wish_lookup.c - the wish plugin's `wish` lookup
 * aggregate: registration (idempotent for the same child), closing,
 * FulfillWish reaching it around its gatekeeper, the fold, the query and
 * the snapshots.
 */
#include "tests/unit/wish_test.h"

#define WISH_ID "0123456789abcdef0123456789abcdef"

static wish_driver_t s_wish;

static void s_setup(void)
{
    wish_driver_init(&s_wish, "wish", WISH_ID);
}

static void s_teardown(void)
{
    wish_driver_fini(&s_wish);
}

TestSuite(wish_lookup, .init = s_setup, .fini = s_teardown);

/* Registers the wish to alice. */
static void s_register(void)
{
    harness_outcome_t outcome = wish_accept(
        &s_wish, "RegisterWish", "{\"child_id\":\"alice\"}", NULL, 1);
    harness_assert_json(outcome.events[0],
                        "{\"type\":\"WishRegistered\",\"child_id\":\"alice\"}");
    cr_assert_str_eq(outcome.reply, "");
    harness_outcome_free(&outcome);
}

Test(wish_lookup, an_unknown_wish_has_no_child)
{
    wish_assert_query(&s_wish, "{\"wish_id\":\"" WISH_ID "\","
                               "\"child_id\":null,\"open\":false}");
}

Test(wish_lookup, register_wish_records_the_child)
{
    s_register();
    wish_assert_query(&s_wish, "{\"wish_id\":\"" WISH_ID "\","
                               "\"child_id\":\"alice\",\"open\":true}");
}

Test(wish_lookup, registering_the_same_child_again_changes_nothing)
{
    s_register();
    harness_outcome_t outcome = wish_accept(
        &s_wish, "RegisterWish", "{\"child_id\":\"alice\"}", NULL, 0);
    cr_assert_str_eq(outcome.reply, "");
    harness_outcome_free(&outcome);
    wish_reject_quietly(&s_wish, "RegisterWish", "{\"child_id\":\"bob\"}",
                        "wish already registered to another child");
    wish_assert_query(&s_wish, "{\"wish_id\":\"" WISH_ID "\","
                               "\"child_id\":\"alice\",\"open\":true}");
}

Test(wish_lookup, close_wish_closes_an_open_wish_once)
{
    wish_reject_quietly(&s_wish, "CloseWish", "{}", "wish not found");
    s_register();
    harness_outcome_t outcome =
        wish_accept(&s_wish, "CloseWish", NULL, NULL, 1);
    harness_assert_json(outcome.events[0], "{\"type\":\"WishClosed\"}");
    harness_outcome_free(&outcome);
    wish_assert_query(&s_wish, "{\"wish_id\":\"" WISH_ID "\","
                               "\"child_id\":\"alice\",\"open\":false}");
    wish_reject_quietly(&s_wish, "CloseWish", "{}", "wish not found");

    /* a late registration does not reopen it */
    outcome = wish_accept(&s_wish, "RegisterWish", "{\"child_id\":\"alice\"}",
                          NULL, 0);
    harness_outcome_free(&outcome);
    wish_assert_query(&s_wish, "{\"wish_id\":\"" WISH_ID "\","
                               "\"child_id\":\"alice\",\"open\":false}");
}

Test(wish_lookup, fulfill_wish_is_left_to_the_gatekeeper)
{
    wish_reject_quietly(&s_wish, "FulfillWish", "{}", "wish not found");
    s_register();
    wish_reject_quietly(&s_wish, "FulfillWish", NULL,
                        "FulfillWish is handled by the gatekeeper");
    wish_reject_quietly(&s_wish, "FulfillWish", "{\"wish_id\":\"" WISH_ID "\"}",
                        "FulfillWish is handled by the gatekeeper");
    wish_reject_quietly(&s_wish, "FulfillWish", "{\"wish_id\":\"other\"}",
                        "wish_id must be the id of the wish addressed");
    harness_outcome_t outcome =
        wish_accept(&s_wish, "CloseWish", "{}", NULL, 1);
    harness_outcome_free(&outcome);
    wish_reject_quietly(&s_wish, "FulfillWish", "{}", "wish not found");
}

Test(wish_lookup, malformed_payloads_are_rejected_naming_the_field)
{
    const char *cases[][3] = {
        {"RegisterWish", "{}",
         "child_id must be a child's id: 1 to 256 bytes, no '/'"},
        {"RegisterWish", "{\"child_id\":\"\"}",
         "child_id must be a child's id: 1 to 256 bytes, no '/'"},
        {"RegisterWish", "{\"child_id\":\"a/b\"}",
         "child_id must be a child's id: 1 to 256 bytes, no '/'"},
        {"RegisterWish", "{\"child_id\":3}",
         "child_id must be a child's id: 1 to 256 bytes, no '/'"},
        {"RegisterWish", "{\"child_id\":\"alice\",\"x\":1}",
         "unknown field \"x\""},
        {"CloseWish", "{\"child_id\":\"alice\"}", "unknown field \"child_id\""},
        {"FulfillWish", "{\"child_id\":\"alice\"}",
         "unknown field \"child_id\""},
        {"FulfillWish", "{\"wish_id\":7}",
         "wish_id must be the id of the wish addressed"},
        {"CloseWish", "[]", "payload must be a JSON object"},
        {"Forget", NULL, "unknown command Forget"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        wish_reject_quietly(&s_wish, cases[i][0], cases[i][1], cases[i][2]);
    harness_expect_reject_prefix(s_wish.type, s_wish.state, "RegisterWish", "{",
                                 "payload is not valid JSON");
    wish_assert_query(&s_wish, "{\"wish_id\":\"" WISH_ID "\","
                               "\"child_id\":null,\"open\":false}");
}

Test(wish_lookup, a_child_id_may_have_256_bytes)
{
    char payload[400];
    snprintf(payload, sizeof payload, "{\"child_id\":\"%0256d\"}", 0);
    harness_outcome_t outcome =
        wish_accept(&s_wish, "RegisterWish", payload, NULL, 1);
    harness_outcome_free(&outcome);
    s_wish.type->state_free(&s_wish.state);
    s_wish.state = s_wish.type->state_new(WISH_ID);
    snprintf(payload, sizeof payload, "{\"child_id\":\"%0257d\"}", 0);
    wish_reject_quietly(&s_wish, "RegisterWish", payload,
                        "child_id must be a child's id: 1 to 256 bytes, no "
                        "'/'");
}

Test(wish_lookup, the_fold_skips_events_it_could_not_have_emitted)
{
    const shoal_type_t *type = s_wish.type;
    const char *bad[] = {
        "",
        "garbage",
        "{\"type\":\"WishRegistered\"}",
        "{\"type\":\"WishRegistered\",\"child_id\":\"\"}",
        "{\"type\":\"WishRegistered\",\"child_id\":\"a/b\"}",
        "{\"type\":\"WishRegistered\",\"child_id\":5}",
        "{\"type\":\"WishReopened\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        harness_apply_text(type, s_wish.state, bad[i]);
    wish_assert_query(&s_wish, "{\"wish_id\":\"" WISH_ID "\","
                               "\"child_id\":null,\"open\":false}");
    harness_apply_text(type, s_wish.state,
                       "{\"type\":\"WishRegistered\",\"child_id\":\"alice\"}");
    harness_apply_text(type, s_wish.state,
                       "{\"type\":\"WishRegistered\",\"child_id\":\"bob\"}");
    wish_assert_query(&s_wish, "{\"wish_id\":\"" WISH_ID "\","
                               "\"child_id\":\"alice\",\"open\":true}");
}

Test(wish_lookup, a_snapshot_decodes_to_the_folded_state)
{
    void *decoded = harness_snapshot_round_trip(s_wish.type, s_wish.state);
    s_wish.type->state_free(&decoded);
    s_register();
    decoded = harness_snapshot_round_trip(s_wish.type, s_wish.state);
    s_wish.type->state_free(&decoded);
    harness_outcome_t outcome =
        wish_accept(&s_wish, "CloseWish", "{}", NULL, 1);
    harness_outcome_free(&outcome);
    decoded = harness_snapshot_round_trip(s_wish.type, s_wish.state);
    s_wish.type->state_free(&decoded);

    const char *bad[] = {
        "",
        "{}",
        "{\"child_id\":null}",
        "{\"child_id\":null,\"open\":true}",
        "{\"child_id\":\"\",\"open\":true}",
        "{\"child_id\":\"a/b\",\"open\":true}",
        "{\"child_id\":\"alice\",\"open\":1}",
        "{\"child_id\":\"alice\",\"open\":true,\"x\":1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        harness_assert_decode_refuses(s_wish.type, bad[i]);
}

Test(wish_lookup, handle_command_does_not_modify_state)
{
    s_register();
    const char *commands[][2] = {
        {"RegisterWish", "{\"child_id\":\"bob\"}"},
        {"CloseWish", "{}"},
        {"FulfillWish", "{}"},
        {"CloseWish", "garbage"},
    };
    char *before = s_wish.type->query(s_wish.state, WISH_ID);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        harness_outcome_t outcome = harness_run(
            s_wish.type, s_wish.state, WISH_ID, commands[i][0], commands[i][1]);
        harness_outcome_free(&outcome);
        char *after = s_wish.type->query(s_wish.state, WISH_ID);
        cr_assert_str_eq(after, before);
        free(after);
    }
    free(before);
}
