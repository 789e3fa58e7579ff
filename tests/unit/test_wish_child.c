/*
 * tests/unit/test_wish_child.c - the wish plugin's `child` aggregate
 * beyond the scenarios of test_wish.c: malformed payloads, the fold on
 * events it could not have emitted, the snapshots, and a handler that
 * never writes to its state.
 */
#include "tests/unit/wish_test.h"

static wish_driver_t s_child;

static void s_setup(void)
{
    wish_driver_init(&s_child, "child", "alice");
}

static void s_teardown(void)
{
    wish_driver_fini(&s_child);
}

TestSuite(wish_child, .init = s_setup, .fini = s_teardown);

/* Asserts state survives a snapshot's encode and decode unchanged. */
static void s_assert_round_trip(const shoal_type_t *type, const void *state)
{
    void *decoded = harness_snapshot_round_trip(type, state);
    type->state_free(&decoded);
}

/* Returns how many wishes the child's query lists. */
static size_t s_wish_count(void)
{
    char *query = s_child.type->query(s_child.state, "alice");
    json_t *json = json_loads(query, 0, NULL);
    size_t count = json_array_size(json_object_get(json, "wishes"));
    json_decref(json);
    free(query);
    return count;
}

/* Returns a MakeWish payload whose wish is unit count times (malloc'd). */
static char *s_long_wish(const char *unit, size_t count)
{
    size_t size = strlen(unit) * count + 64;
    char *payload = malloc(size);
    cr_assert_not_null(payload);
    strcpy(payload, "{\"wish\":\"");
    for (size_t i = 0; i < count; i++)
        strcat(payload, unit);
    strcat(payload, "\",\"naughty\":false}");
    return payload;
}

Test(wish_child, malformed_payloads_are_rejected_naming_the_field)
{
    const char *cases[][3] = {
        {"MakeWish", "{\"naughty\":false}",
         "wish must be a string of 1 to 200 characters"},
        {"MakeWish", "{\"wish\":\"\",\"naughty\":false}",
         "wish must be a string of 1 to 200 characters"},
        {"MakeWish", "{\"wish\":7,\"naughty\":false}",
         "wish must be a string of 1 to 200 characters"},
        {"MakeWish", "{\"wish\":\"a kite\"}", "naughty must be a boolean"},
        {"MakeWish", "{\"wish\":\"a kite\",\"naughty\":\"no\"}",
         "naughty must be a boolean"},
        {"MakeWish", "{\"wish\":\"a kite\",\"naughty\":false,\"size\":3}",
         "unknown field \"size\""},
        {"MakeWish", "[\"a kite\"]", "payload must be a JSON object"},
        {"MakeWish", NULL, "wish must be a string of 1 to 200 characters"},
        {"CancelWish", "{}", "wish_id must be a string"},
        {"CancelWish", "{\"wish_id\":12}", "wish_id must be a string"},
        {"CancelWish", "{\"id\":\"x\"}", "unknown field \"id\""},
        {"MarkWishFulfilled", NULL, "wish_id must be a string"},
        {"MarkWishFulfilled", "{\"wish_id\":null}", "wish_id must be a string"},
        {"MarkNaughty", "{}",
         "until must be an integer of ms since the Unix epoch, before the "
         "year 10000"},
        {"MarkNaughty", "{\"until\":\"tomorrow\"}",
         "until must be an integer of ms since the Unix epoch, before the "
         "year 10000"},
        {"MarkNaughty", "{\"until\":1795773600000.5}",
         "until must be an integer of ms since the Unix epoch, before the "
         "year 10000"},
        {"MarkNaughty", "{\"until\":253402300800000}",
         "until must be an integer of ms since the Unix epoch, before the "
         "year 10000"},
        {"Nope", "{}", "unknown command Nope"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        wish_reject_quietly(&s_child, cases[i][0], cases[i][1], cases[i][2]);
    wish_assert_query(&s_child, "{\"child_id\":\"alice\",\"wishes\":[],"
                                "\"naughty_until\":0,\"banned_until\":0}");
}

Test(wish_child, a_payload_that_is_not_json_is_rejected_as_such)
{
    const char *commands[] = {"MakeWish", "CancelWish", "MarkWishFulfilled",
                              "MarkNaughty"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        harness_expect_reject_prefix(s_child.type, s_child.state, commands[i],
                                     "{\"wish\":", "payload is not valid JSON");
    /* duplicate fields are refused rather than guessed */
    harness_expect_reject_prefix(
        s_child.type, s_child.state, "MakeWish",
        "{\"wish\":\"a\",\"wish\":\"b\",\"naughty\":false}",
        "payload is not valid JSON");
}

Test(wish_child, a_wish_has_1_to_200_characters)
{
    /* 1 byte, 2 bytes and 4 bytes a character */
    const char *units[] = {"a", "\xc3\xa9", "\xf0\x9f\x8e\x81"};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        char *payload = s_long_wish(units[i], 200);
        harness_outcome_t outcome =
            wish_accept(&s_child, "MakeWish", payload, NULL, 1);
        harness_outcome_free(&outcome);
        free(payload);
        payload = s_long_wish(units[i], 201);
        wish_reject_quietly(&s_child, "MakeWish", payload,
                            "wish must be a string of 1 to 200 characters");
        free(payload);
    }
    cr_assert_eq(s_wish_count(), 3);
}

Test(wish_child, the_fold_applies_each_event)
{
    const shoal_type_t *type = s_child.type;
    void *state = s_child.state;
    harness_apply_text(type, state,
                       "{\"type\":\"WishApproved\",\"wish_id\":\"w1\","
                       "\"wish\":\"a kite\"}");
    harness_apply_text(type, state,
                       "{\"type\":\"WishApproved\",\"wish_id\":\"w2\","
                       "\"wish\":\"a ball\"}");
    harness_apply_text(type, state,
                       "{\"type\":\"WishApproved\",\"wish_id\":\"w3\","
                       "\"wish\":\"a sled\"}");
    harness_apply_text(type, state,
                       "{\"type\":\"WishCancelled\",\"wish_id\":\"w1\"}");
    harness_apply_text(type, state,
                       "{\"type\":\"WishFulfilled\",\"wish_id\":\"w3\","
                       "\"wish\":\"a sled\"}");
    harness_apply_text(type, state,
                       "{\"type\":\"WishRejected\",\"wish\":\"x\","
                       "\"reason\":\"NaughtyWish\",\"at\":1000}");
    harness_apply_text(type, state,
                       "{\"type\":\"BecameNaughty\",\"until\":5000}");
    harness_assert_query(type, state, "alice",
                         "{\"child_id\":\"alice\",\"wishes\":[{\"wish_id\":"
                         "\"w2\",\"wish\":\"a ball\"}],\"naughty_until\":5000,"
                         "\"banned_until\":61000}");

    /* WishRejected for the other reasons changes nothing */
    harness_apply_text(type, state,
                       "{\"type\":\"WishRejected\",\"wish\":\"x\","
                       "\"reason\":\"TooManyWishes\",\"at\":9000}");
    harness_apply_text(type, state,
                       "{\"type\":\"WishRejected\",\"wish\":\"x\","
                       "\"reason\":\"ChildOnNaughtyList\",\"at\":9000}");
    harness_assert_query(type, state, "alice",
                         "{\"child_id\":\"alice\",\"wishes\":[{\"wish_id\":"
                         "\"w2\",\"wish\":\"a ball\"}],\"naughty_until\":5000,"
                         "\"banned_until\":61000}");
}

Test(wish_child, the_fold_skips_events_it_could_not_have_emitted)
{
    const shoal_type_t *type = s_child.type;
    void *state = s_child.state;
    harness_apply_text(type, state,
                       "{\"type\":\"WishApproved\",\"wish_id\":\"w1\","
                       "\"wish\":\"a kite\"}");
    const char *bad[] = {
        "",
        "garbage",
        "[\"WishApproved\"]",
        "{\"event\":\"WishApproved\",\"wish_id\":\"w9\",\"wish\":\"x\"}",
        "{\"type\":\"WishApproved\",\"wish_id\":\"w1\",\"wish\":\"again\"}",
        "{\"type\":\"WishApproved\",\"wish_id\":\"w9\",\"wish\":\"\"}",
        "{\"type\":\"WishApproved\",\"wish_id\":\"\",\"wish\":\"x\"}",
        "{\"type\":\"WishApproved\",\"wish_id\":"
        "\"0123456789abcdef0123456789abcdef0\",\"wish\":\"x\"}",
        "{\"type\":\"WishApproved\",\"wish\":\"x\"}",
        "{\"type\":\"WishApproved\",\"wish_id\":\"w9\",\"wish\":5}",
        "{\"type\":\"WishCancelled\",\"wish_id\":\"w9\"}",
        "{\"type\":\"WishCancelled\"}",
        "{\"type\":\"WishRejected\",\"reason\":\"NaughtyWish\",\"at\":\"x\"}",
        "{\"type\":\"WishRejected\",\"reason\":\"NaughtyWish\"}",
        "{\"type\":\"BecameNaughty\",\"until\":\"tomorrow\"}",
        "{\"type\":\"BecameNaughty\"}",
        "{\"type\":\"WishStolen\",\"wish_id\":\"w1\"}",
        "{\"type\":7}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        harness_apply_text(type, state, bad[i]);
    harness_assert_query(type, state, "alice",
                         "{\"child_id\":\"alice\",\"wishes\":[{\"wish_id\":"
                         "\"w1\",\"wish\":\"a kite\"}],\"naughty_until\":0,"
                         "\"banned_until\":0}");

    /* an eleventh wish does not fit */
    for (int i = 2; i <= 11; i++) {
        char *event = wish_format("{\"type\":\"WishApproved\","
                                  "\"wish_id\":\"w%d\",\"wish\":\"x\"}",
                                  i);
        harness_apply_text(type, state, event);
        free(event);
    }
    cr_assert_eq(s_wish_count(), 10);
    char *query = type->query(state, "alice");
    cr_assert_null(strstr(query, "\"w11\""));
    free(query);

    /* a ban near the end of time saturates */
    harness_apply_text(type, state,
                       "{\"type\":\"WishRejected\",\"wish\":\"x\",\"reason\":"
                       "\"NaughtyWish\",\"at\":9223372036854775000}");
    query = type->query(state, "alice");
    cr_assert(strstr(query, "\"banned_until\":9223372036854775807"), "%s",
              query);
    free(query);
}

Test(wish_child, a_snapshot_decodes_to_the_folded_state)
{
    s_assert_round_trip(s_child.type, s_child.state);

    char *kept = wish_make(&s_child, "a kite \xe2\x9c\xa8 \\\"with\\\" quotes");
    char *cancelled = wish_make(&s_child, "a ball");
    free(wish_make(&s_child, "a sled"));
    char *payload = wish_format("{\"wish_id\":\"%s\"}", cancelled);
    harness_outcome_t outcome =
        wish_accept(&s_child, "CancelWish", payload, NULL, 1);
    harness_outcome_free(&outcome);
    outcome = wish_reject(&s_child, "MakeWish",
                          "{\"wish\":\"a slingshot\",\"naughty\":true}",
                          "naughty wish", 1);
    harness_outcome_free(&outcome);
    harness_apply_text(s_child.type, s_child.state,
                       "{\"type\":\"BecameNaughty\",\"until\":1}");
    s_assert_round_trip(s_child.type, s_child.state);

    /* the decoded state takes commands as the folded one does */
    void *data;
    size_t size;
    cr_assert_eq(s_child.type->snapshot_encode(s_child.state, &data, &size), 0);
    void *decoded = s_child.type->snapshot_decode("alice", data, size);
    free(data);
    s_child.type->state_free(&s_child.state);
    s_child.state = decoded;
    s_child.now_ms += WISH_MINUTE;
    free(payload);
    payload = wish_format("{\"wish_id\":\"%s\"}", kept);
    outcome = wish_accept(&s_child, "MarkWishFulfilled", payload, payload, 1);
    harness_outcome_free(&outcome);
    free(wish_make(&s_child, "a drum"));
    free(payload);
    free(kept);
    free(cancelled);
}

Test(wish_child, snapshot_decode_refuses_what_encode_cannot_write)
{
    const char *wish = "{\"wish_id\":\"w1\",\"wish\":\"a\"}";
    char *eleven = wish_format("{\"wishes\":[%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s],"
                               "\"naughty_until\":0,\"banned_until\":0}",
                               wish, wish, wish, wish, wish, wish, wish, wish,
                               wish, wish, wish);
    const char *bad[] = {
        "",
        "garbage",
        "[]",
        "{}",
        "{\"wishes\":[],\"naughty_until\":0}",
        "{\"wishes\":[],\"naughty_until\":0,\"banned_until\":0,\"x\":1}",
        "{\"wishes\":{},\"naughty_until\":0,\"banned_until\":0}",
        "{\"wishes\":[],\"naughty_until\":\"0\",\"banned_until\":0}",
        "{\"wishes\":[{\"wish_id\":\"w1\"}],\"naughty_until\":0,"
        "\"banned_until\":0}",
        "{\"wishes\":[{\"wish_id\":\"w1\",\"wish\":\"\"}],"
        "\"naughty_until\":0,\"banned_until\":0}",
        "{\"wishes\":[{\"wish_id\":\"w1\",\"wish\":\"a\",\"x\":1}],"
        "\"naughty_until\":0,\"banned_until\":0}",
        "{\"wishes\":[{\"wish_id\":\"w1\",\"wish\":\"a\"},"
        "{\"wish_id\":\"w1\",\"wish\":\"b\"}],\"naughty_until\":0,"
        "\"banned_until\":0}",
        eleven,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        harness_assert_decode_refuses(s_child.type, bad[i]);
    free(eleven);
}

Test(wish_child, handle_command_does_not_modify_state)
{
    char *wish_id = wish_make(&s_child, "a kite");
    char *by_id = wish_format("{\"wish_id\":\"%s\"}", wish_id);
    const char *commands[][2] = {
        {"MakeWish", "{\"wish\":\"a ball\",\"naughty\":false}"},
        {"MakeWish", "{\"wish\":\"a slingshot\",\"naughty\":true}"},
        {"CancelWish", by_id},
        {"MarkWishFulfilled", by_id},
        {"MarkNaughty", "{\"until\":1895773600000}"},
        {"MakeWish", "garbage"},
        {"Nope", NULL},
    };
    char *before = s_child.type->query(s_child.state, "alice");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        /* harness_run_at hands the handler a read-only copy: a write
         * faults */
        harness_outcome_t outcome =
            harness_run_at(s_child.type, s_child.state, "alice", WISH_NOW, 1,
                           commands[i][0], commands[i][1]);
        harness_outcome_free(&outcome);
        char *after = s_child.type->query(s_child.state, "alice");
        cr_assert_str_eq(after, before);
        free(after);
    }
    free(before);
    free(by_id);
    free(wish_id);
}

Test(wish_child, state_free_is_null_safe_and_clears_the_pointer)
{
    s_child.type->state_free(&s_child.state);
    cr_assert_null(s_child.state);
    s_child.type->state_free(&s_child.state);
    s_child.type->state_free(NULL);
}
