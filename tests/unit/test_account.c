/*
 * tests/unit/test_account.c - the `account` example plugin: the lifecycle
 * rules of every command, its events, reply and rejections, the fold, the
 * query and the snapshot.
 *
 * Built with examples/account/account.c, account_forms.c and
 * actors/effect.c compiled in, so shoal_plugin is this plugin's
 * descriptor.
 */
#include "examples/account/account_forms.h"
#include "tests/unit/plugin_harness.h"

extern const shoal_plugin_t shoal_plugin;

static const shoal_type_t *s_type;
static void *s_state;

#define NEW_QUERY                                                              \
    "{\"id\":\"e1\",\"open\":false,\"closed\":false,\"owner\":null,"           \
    "\"balance\":0}"

#define EVENTS(...) ((const char *const[]){__VA_ARGS__, NULL})

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

/* Replaces s_state with the state snapshot decodes to. */
static void s_set_state(const char *snapshot)
{
    s_type->state_free(&s_state);
    s_state = s_type->snapshot_decode("e1", snapshot, strlen(snapshot));
    cr_assert_not_null(s_state, "refused: %s", snapshot);
}

/* Makes s_state an account of Ada's holding balance. */
static void s_set_open(long long balance)
{
    char snapshot[128];
    snprintf(snapshot, sizeof snapshot,
             "{\"open\":true,\"closed\":false,\"owner\":\"Ada\","
             "\"balance\":%lld}",
             balance);
    s_set_state(snapshot);
}

static void s_set_closed(void)
{
    s_set_state("{\"open\":false,\"closed\":true,\"owner\":\"Ada\","
                "\"balance\":0}");
}

/* Returns "{\"owner\":\"<count times unit>\"}" (the caller frees). */
static char *s_owner_payload(const char *unit, size_t count)
{
    size_t size = strlen(unit) * count + 16;
    char *payload = malloc(size);
    cr_assert_not_null(payload);
    strcpy(payload, "{\"owner\":\"");
    for (size_t i = 0; i < count; i++)
        strcat(payload, unit);
    strcat(payload, "\"}");
    return payload;
}

TestSuite(account, .init = s_setup, .fini = s_teardown);

Test(account, exports_one_type_with_every_function)
{
    cr_assert_eq(shoal_plugin.abi_version, SHOAL_PLUGIN_ABI_VERSION);
    cr_assert_eq(shoal_plugin.type_count, 1);
    cr_assert_str_eq(s_type->name, "account");
    cr_assert(s_type->state_new && s_type->state_free &&
              s_type->handle_command && s_type->apply_event && s_type->query &&
              s_type->snapshot_encode && s_type->snapshot_decode);
}

Test(account, starts_new)
{
    harness_assert_query(s_type, s_state, "e1", NEW_QUERY);
}

Test(account, state_free_is_null_safe_and_clears_the_pointer)
{
    s_type->state_free(&s_state);
    cr_assert_null(s_state);
    s_type->state_free(&s_state);
    s_type->state_free(NULL);
}

Test(account, open_records_the_owner)
{
    harness_expect_accept(s_type, s_state, "Open", "{\"owner\":\"Ada\"}",
                          "{\"balance\":0}",
                          EVENTS("{\"event\":\"Opened\",\"owner\":\"Ada\"}"));
    harness_assert_query(s_type, s_state, "e1",
                         "{\"id\":\"e1\",\"open\":true,\"closed\":false,"
                         "\"owner\":\"Ada\",\"balance\":0}");
}

Test(account, open_accepts_owners_of_up_to_100_characters)
{
    /* 1 byte, 2 bytes and 4 bytes a character */
    const char *units[] = {"a", "\xc3\xa9", "\xf0\x9f\x90\x9f"};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        s_set_state("{\"open\":false,\"closed\":false,\"owner\":null,"
                    "\"balance\":0}");
        char *payload = s_owner_payload(units[i], 100);
        char *event = malloc(strlen(payload) + 32);
        cr_assert_not_null(event);
        sprintf(event, "{\"event\":\"Opened\",%s", payload + 1);
        harness_expect_accept(s_type, s_state, "Open", payload,
                              "{\"balance\":0}", EVENTS(event));
        char *query = malloc(strlen(payload) + 128);
        cr_assert_not_null(query);
        sprintf(query,
                "{\"id\":\"e1\",\"open\":true,\"closed\":false,%.*s,"
                "\"balance\":0}",
                (int)strlen(payload) - 2, payload + 1);
        harness_assert_query(s_type, s_state, "e1", query);
        free(query);
        free(event);
        free(payload);
    }
    harness_expect_accept(s_type, s_state, "Deposit", "{\"amount\":1}",
                          "{\"balance\":1}",
                          EVENTS("{\"event\":\"Deposited\",\"amount\":1}"));
}

Test(account, open_rejects_a_bad_owner_naming_the_field)
{
    const char *reason = "owner must be a string of 1 to 100 characters";
    const char *bad[] = {NULL,
                         "{}",
                         "{\"owner\":\"\"}",
                         "{\"owner\":42}",
                         "{\"owner\":null}",
                         "{\"owner\":[\"Ada\"]}",
                         "{\"owner\":true}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        harness_expect_reject(s_type, s_state, "Open", bad[i], reason);
    const char *units[] = {"a", "\xc3\xa9", "\xf0\x9f\x90\x9f"};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        char *payload = s_owner_payload(units[i], 101);
        harness_expect_reject(s_type, s_state, "Open", payload, reason);
        free(payload);
    }
    harness_assert_query(s_type, s_state, "e1", NEW_QUERY);
}

Test(account, open_is_rejected_once_opened_or_closed)
{
    s_set_open(0);
    harness_expect_reject(s_type, s_state, "Open", "{\"owner\":\"Bob\"}",
                          "account already open");
    s_set_closed();
    harness_expect_reject(s_type, s_state, "Open", "{\"owner\":\"Bob\"}",
                          "account already open");
}

Test(account, deposit_adds_to_the_balance)
{
    s_set_open(0);
    harness_expect_accept(s_type, s_state, "Deposit", "{\"amount\":100}",
                          "{\"balance\":100}",
                          EVENTS("{\"event\":\"Deposited\",\"amount\":100}"));
    harness_expect_accept(s_type, s_state, "Deposit", "{\"amount\":25}",
                          "{\"balance\":125}",
                          EVENTS("{\"event\":\"Deposited\",\"amount\":25}"));
    harness_assert_query(s_type, s_state, "e1",
                         "{\"id\":\"e1\",\"open\":true,\"closed\":false,"
                         "\"owner\":\"Ada\",\"balance\":125}");
}

Test(account, withdraw_takes_from_the_balance)
{
    s_set_open(100);
    harness_expect_accept(s_type, s_state, "Withdraw", "{\"amount\":30}",
                          "{\"balance\":70}",
                          EVENTS("{\"event\":\"Withdrawn\",\"amount\":30}"));
    harness_expect_accept(s_type, s_state, "Withdraw", "{\"amount\":70}",
                          "{\"balance\":0}",
                          EVENTS("{\"event\":\"Withdrawn\",\"amount\":70}"));
    harness_assert_query(s_type, s_state, "e1",
                         "{\"id\":\"e1\",\"open\":true,\"closed\":false,"
                         "\"owner\":\"Ada\",\"balance\":0}");
}

Test(account, withdraw_past_the_balance_is_rejected)
{
    s_set_open(100);
    harness_expect_reject(s_type, s_state, "Withdraw", "{\"amount\":101}",
                          "insufficient funds: balance 100, requested 101");
    s_set_open(0);
    harness_expect_reject(s_type, s_state, "Withdraw", "{\"amount\":1}",
                          "insufficient funds: balance 0, requested 1");
    harness_expect_reject(
        s_type, s_state, "Withdraw", "{\"amount\":9223372036854775807}",
        "insufficient funds: balance 0, requested 9223372036854775807");
}

Test(account, amount_must_be_a_positive_integer)
{
    s_set_open(100);
    const char *bad[] = {NULL,
                         "{}",
                         "{\"amount\":0}",
                         "{\"amount\":-5}",
                         "{\"amount\":1.5}",
                         "{\"amount\":5.0}",
                         "{\"amount\":\"5\"}",
                         "{\"amount\":null}",
                         "{\"amount\":true}",
                         "{\"amount\":-9223372036854775808}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        harness_expect_reject(s_type, s_state, "Deposit", bad[i],
                              "amount must be a positive integer");
        harness_expect_reject(s_type, s_state, "Withdraw", bad[i],
                              "amount must be a positive integer");
    }
}

Test(account, deposit_past_the_int64_range_is_rejected)
{
    s_set_open(9223372036854775800LL);
    harness_expect_reject(s_type, s_state, "Deposit", "{\"amount\":8}",
                          "balance would overflow");
    harness_expect_accept(s_type, s_state, "Deposit", "{\"amount\":7}",
                          "{\"balance\":9223372036854775807}",
                          EVENTS("{\"event\":\"Deposited\",\"amount\":7}"));
}

Test(account, close_needs_a_zero_balance)
{
    s_set_open(1);
    harness_expect_reject(s_type, s_state, "Close", NULL,
                          "balance is not zero");
    harness_expect_accept(s_type, s_state, "Withdraw", "{\"amount\":1}",
                          "{\"balance\":0}",
                          EVENTS("{\"event\":\"Withdrawn\",\"amount\":1}"));
    harness_expect_accept(s_type, s_state, "Close", NULL, "{\"balance\":0}",
                          EVENTS("{\"event\":\"Closed\"}"));
    harness_assert_query(s_type, s_state, "e1",
                         "{\"id\":\"e1\",\"open\":false,\"closed\":true,"
                         "\"owner\":\"Ada\",\"balance\":0}");
}

Test(account, close_takes_no_fields)
{
    s_set_open(0);
    harness_expect_reject(s_type, s_state, "Close", "{\"force\":true}",
                          "unknown field \"force\"");
    harness_expect_accept(s_type, s_state, "Close", "{}", "{\"balance\":0}",
                          EVENTS("{\"event\":\"Closed\"}"));
}

Test(account, commands_need_an_open_account)
{
    const char *commands[][2] = {{"Deposit", "{\"amount\":5}"},
                                 {"Withdraw", "{\"amount\":5}"},
                                 {"Close", NULL},
                                 {"Deposit", "garbage"}};
    size_t count = sizeof commands / sizeof commands[0];
    for (size_t i = 0; i < count; i++)
        harness_expect_reject(s_type, s_state, commands[i][0], commands[i][1],
                              "account not open");
    s_set_closed();
    for (size_t i = 0; i < count; i++)
        harness_expect_reject(s_type, s_state, commands[i][0], commands[i][1],
                              "account not open");
}

Test(account, a_whole_life)
{
    harness_expect_accept(s_type, s_state, "Open", "{\"owner\":\"Ada\"}",
                          "{\"balance\":0}",
                          EVENTS("{\"event\":\"Opened\",\"owner\":\"Ada\"}"));
    harness_expect_accept(s_type, s_state, "Deposit", "{\"amount\":50}",
                          "{\"balance\":50}",
                          EVENTS("{\"event\":\"Deposited\",\"amount\":50}"));
    harness_expect_accept(s_type, s_state, "Withdraw", "{\"amount\":50}",
                          "{\"balance\":0}",
                          EVENTS("{\"event\":\"Withdrawn\",\"amount\":50}"));
    harness_expect_accept(s_type, s_state, "Close", NULL, "{\"balance\":0}",
                          EVENTS("{\"event\":\"Closed\"}"));
    harness_expect_reject(s_type, s_state, "Deposit", "{\"amount\":1}",
                          "account not open");
}

Test(account, unknown_command_is_rejected_by_name)
{
    harness_expect_reject(s_type, s_state, "Transfer", NULL,
                          "unknown command Transfer");
    s_set_open(10);
    harness_expect_reject(s_type, s_state, "deposit", "{\"amount\":1}",
                          "unknown command deposit");
}

Test(account, malformed_payload_is_rejected)
{
    const char *bad[] = {"{", "not json", "{\"amount\":1", " ",
                         "{\"amount\":1,\"amount\":2}"};
    s_set_open(10);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        harness_expect_reject_prefix(s_type, s_state, "Deposit", bad[i],
                                     "payload is not valid JSON: ");
        harness_expect_reject_prefix(s_type, s_state, "Close", bad[i],
                                     "payload is not valid JSON: ");
    }
}

Test(account, payload_must_be_an_object_of_known_fields)
{
    harness_expect_reject(s_type, s_state, "Open", "\"Ada\"",
                          "payload must be a JSON object");
    harness_expect_reject(s_type, s_state, "Open",
                          "{\"owner\":\"Ada\",\"amount\":5}",
                          "unknown field \"amount\"");
    s_set_open(10);
    harness_expect_reject(s_type, s_state, "Withdraw", "[5]",
                          "payload must be a JSON object");
    harness_expect_reject(s_type, s_state, "Withdraw", "{\"amout\":5}",
                          "unknown field \"amout\"");
}

Test(account, fold_applies_each_event)
{
    harness_apply_text(s_type, s_state,
                       "{\"event\":\"Opened\",\"owner\":\"Ada\"}");
    harness_apply_text(s_type, s_state,
                       "{\"event\":\"Deposited\",\"amount\":70}");
    harness_apply_text(s_type, s_state,
                       "{\"event\":\"Withdrawn\",\"amount\":20}");
    harness_assert_query(s_type, s_state, "e1",
                         "{\"id\":\"e1\",\"open\":true,\"closed\":false,"
                         "\"owner\":\"Ada\",\"balance\":50}");
    harness_apply_text(s_type, s_state,
                       "{\"event\":\"Withdrawn\",\"amount\":50}");
    harness_apply_text(s_type, s_state, "{\"event\":\"Closed\"}");
    harness_assert_query(s_type, s_state, "e1",
                         "{\"id\":\"e1\",\"open\":false,\"closed\":true,"
                         "\"owner\":\"Ada\",\"balance\":0}");
}

Test(account, fold_is_deterministic)
{
    const char *journal[] = {
        "{\"event\":\"Opened\",\"owner\":\"Ada\"}",
        "{\"event\":\"Deposited\",\"amount\":9}",
        "{\"event\":\"Withdrawn\",\"amount\":4}",
    };
    void *replayed = s_type->state_new("e1");
    for (size_t i = 0; i < sizeof journal / sizeof journal[0]; i++) {
        harness_apply_text(s_type, s_state, journal[i]);
        harness_apply_text(s_type, replayed, journal[i]);
    }
    char *first = s_type->query(s_state, "e1");
    char *second = s_type->query(replayed, "e1");
    cr_assert_str_eq(first, second);
    harness_assert_json(first, "{\"id\":\"e1\",\"open\":true,\"closed\":false,"
                               "\"owner\":\"Ada\",\"balance\":5}");
    free(first);
    free(second);
    s_type->state_free(&replayed);
}

Test(account, fold_skips_events_it_could_not_have_emitted)
{
    /* before Opened: nothing but Opened applies */
    harness_apply_text(s_type, s_state,
                       "{\"event\":\"Deposited\",\"amount\":5}");
    harness_apply_text(s_type, s_state, "{\"event\":\"Closed\"}");
    harness_apply_text(s_type, s_state,
                       "{\"event\":\"Opened\",\"owner\":\"\"}");
    harness_apply_text(s_type, s_state, "{\"event\":\"Opened\",\"owner\":7}");
    harness_apply_text(s_type, s_state, "{\"event\":\"Opened\"}");
    char *too_long = s_owner_payload("a", 101);
    char *event = malloc(strlen(too_long) + 32);
    cr_assert_not_null(event);
    sprintf(event, "{\"event\":\"Opened\",%s", too_long + 1);
    harness_apply_text(s_type, s_state, event);
    free(event);
    free(too_long);
    harness_assert_query(s_type, s_state, "e1", NEW_QUERY);

    /* open, balance 10 */
    s_set_open(10);
    const char *bad[] = {
        "",
        "garbage",
        "{\"event\":\"Opened\",\"owner\":\"Bob\"}",
        "{\"event\":\"Withdrawn\",\"amount\":11}",
        "{\"event\":\"Withdrawn\",\"amount\":-5}",
        "{\"event\":\"Deposited\",\"amount\":0}",
        "{\"event\":\"Deposited\",\"amount\":\"5\"}",
        "{\"event\":\"Deposited\"}",
        "{\"event\":\"Closed\"}",
        "{\"event\":\"Robbed\",\"amount\":10}",
        "[\"Closed\"]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        harness_apply_text(s_type, s_state, bad[i]);
    harness_assert_query(s_type, s_state, "e1",
                         "{\"id\":\"e1\",\"open\":true,\"closed\":false,"
                         "\"owner\":\"Ada\",\"balance\":10}");

    s_set_open(9223372036854775807LL);
    harness_apply_text(s_type, s_state,
                       "{\"event\":\"Deposited\",\"amount\":1}");
    harness_assert_query(s_type, s_state, "e1",
                         "{\"id\":\"e1\",\"open\":true,\"closed\":false,"
                         "\"owner\":\"Ada\",\"balance\":9223372036854775807}");

    s_set_closed();
    harness_apply_text(s_type, s_state,
                       "{\"event\":\"Opened\",\"owner\":\"Bob\"}");
    harness_apply_text(s_type, s_state,
                       "{\"event\":\"Deposited\",\"amount\":5}");
    harness_assert_query(s_type, s_state, "e1",
                         "{\"id\":\"e1\",\"open\":false,\"closed\":true,"
                         "\"owner\":\"Ada\",\"balance\":0}");
}

Test(account, handle_command_does_not_modify_state)
{
    const char *commands[][2] = {
        {"Open", "{\"owner\":\"Bob\"}"}, {"Open", "{\"owner\":\"\"}"},
        {"Deposit", "{\"amount\":5}"},   {"Withdraw", "{\"amount\":5}"},
        {"Withdraw", "{\"amount\":99}"}, {"Close", NULL},
        {"Deposit", "garbage"},          {"Nope", NULL},
    };
    const char *snapshots[] = {
        "{\"open\":false,\"closed\":false,\"owner\":null,\"balance\":0}",
        "{\"open\":true,\"closed\":false,\"owner\":\"Ada\",\"balance\":0}",
        "{\"open\":true,\"closed\":false,\"owner\":\"Ada\",\"balance\":10}",
        "{\"open\":false,\"closed\":true,\"owner\":\"Ada\",\"balance\":0}",
    };
    for (size_t s = 0; s < sizeof snapshots / sizeof snapshots[0]; s++) {
        s_set_state(snapshots[s]);
        char *before = s_type->query(s_state, "e1");
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
            /* harness_run hands the handler a read-only copy: a write
             * faults */
            harness_outcome_t outcome = harness_run(
                s_type, s_state, "e1", commands[i][0], commands[i][1]);
            harness_outcome_free(&outcome);
            char *after = s_type->query(s_state, "e1");
            cr_assert_str_eq(after, before);
            free(after);
        }
        free(before);
    }
}

Test(account, query_renders_the_entity_id)
{
    harness_assert_query(s_type, s_state, "acc-\"1\"",
                         "{\"id\":\"acc-\\\"1\\\"\",\"open\":false,"
                         "\"closed\":false,\"owner\":null,\"balance\":0}");
    harness_assert_query(s_type, s_state,
                         "\xff"
                         "1",
                         "{\"id\":\"?1\",\"open\":false,\"closed\":false,"
                         "\"owner\":null,\"balance\":0}");
}

Test(account, snapshot_round_trips)
{
    const char *snapshots[] = {
        "{\"open\":false,\"closed\":false,\"owner\":null,\"balance\":0}",
        "{\"open\":true,\"closed\":false,\"owner\":\"Ada\",\"balance\":0}",
        ("{\"open\":true,\"closed\":false,\"owner\":\"A \\\"d\\\" \xc3\xa9\","
         "\"balance\":9223372036854775807}"),
        "{\"open\":false,\"closed\":true,\"owner\":\"Ada\",\"balance\":0}",
    };
    for (size_t i = 0; i < sizeof snapshots / sizeof snapshots[0]; i++) {
        s_set_state(snapshots[i]);
        void *decoded = harness_snapshot_round_trip(s_type, s_state);
        s_type->state_free(&decoded);
    }
}

Test(account, snapshot_is_the_state)
{
    harness_apply_text(s_type, s_state,
                       "{\"event\":\"Opened\",\"owner\":\"Ada\"}");
    harness_apply_text(s_type, s_state,
                       "{\"event\":\"Deposited\",\"amount\":12}");
    void *data = NULL;
    size_t size = 0;
    cr_assert_eq(s_type->snapshot_encode(s_state, &data, &size), 0);
    char *text = harness_strndup(data, size);
    harness_assert_json(text, "{\"open\":true,\"closed\":false,"
                              "\"owner\":\"Ada\",\"balance\":12}");
    free(text);
    free(data);
}

Test(account, snapshot_decode_refuses_garbage)
{
    char *long_owner = s_owner_payload("a", 101);
    char too_long[512];
    snprintf(too_long, sizeof too_long,
             "{\"open\":true,\"closed\":false,%.*s,\"balance\":0}",
             (int)strlen(long_owner) - 2, long_owner + 1);
    free(long_owner);
    const char *bad[] = {
        "",
        "garbage",
        "{}",
        "null",
        "[]",
        too_long,
        "{\"open\":true,\"closed\":false,\"owner\":\"Ada\"}",
        ("{\"open\":true,\"closed\":false,\"owner\":\"Ada\",\"balance\":0,"
         "\"x\":1}"),
        "{\"open\":1,\"closed\":false,\"owner\":\"Ada\",\"balance\":0}",
        "{\"open\":true,\"closed\":false,\"owner\":\"Ada\",\"balance\":\"0\"}",
        "{\"open\":true,\"closed\":false,\"owner\":\"Ada\",\"balance\":-1}",
        "{\"open\":true,\"closed\":true,\"owner\":\"Ada\",\"balance\":0}",
        "{\"open\":true,\"closed\":false,\"owner\":null,\"balance\":0}",
        "{\"open\":true,\"closed\":false,\"owner\":\"\",\"balance\":0}",
        "{\"open\":true,\"closed\":false,\"owner\":5,\"balance\":0}",
        "{\"open\":false,\"closed\":true,\"owner\":\"Ada\",\"balance\":3}",
        "{\"open\":false,\"closed\":true,\"owner\":null,\"balance\":0}",
        "{\"open\":false,\"closed\":false,\"owner\":\"Ada\",\"balance\":0}",
        "{\"open\":false,\"closed\":false,\"owner\":null,\"balance\":3}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        harness_assert_decode_refuses(s_type, bad[i]);
    cr_assert_null(s_type->snapshot_decode("e1", NULL, 0));
}

/* --- The fixed forms (examples/account/account_forms.h) ----------------- */

Test(account_forms, reads_exactly_the_amount_events_the_account_writes)
{
    int64_t amount = -1;
    const char *deposited = "{\"event\":\"Deposited\",\"amount\":70}";
    cr_assert_eq(account_form_read_event(deposited, strlen(deposited), &amount),
                 ACCOUNT_FORM_DEPOSITED);
    cr_assert_eq(amount, 70);
    const char *withdrawn =
        "{\"event\":\"Withdrawn\",\"amount\":9223372036854775807}";
    cr_assert_eq(account_form_read_event(withdrawn, strlen(withdrawn), &amount),
                 ACCOUNT_FORM_WITHDRAWN);
    cr_assert_eq(amount, INT64_MAX);
    const char *zero = "{\"event\":\"Deposited\",\"amount\":0}";
    cr_assert_eq(account_form_read_event(zero, strlen(zero), &amount),
                 ACCOUNT_FORM_DEPOSITED, "0 is read; the fold skips it");
    cr_assert_eq(amount, 0);

    /* Anything else is left to the JSON parser. */
    const char *other[] = {
        "",
        "{\"event\":\"Deposited\",\"amount\":}",
        "{\"event\":\"Deposited\",\"amount\":07}",
        "{\"event\":\"Deposited\",\"amount\":-5}",
        "{\"event\":\"Deposited\",\"amount\":5.0}",
        "{\"event\":\"Deposited\",\"amount\":\"5\"}",
        "{\"event\":\"Deposited\",\"amount\":9223372036854775808}",
        "{\"event\":\"Deposited\",\"amount\":18446744073709551616}",
        "{\"event\":\"Deposited\", \"amount\":5}",
        "{\"event\":\"Deposited\",\"amount\":5} ",
        "{\"amount\":5,\"event\":\"Deposited\"}",
        "{\"event\":\"Closed\"}",
        "{\"event\":\"Opened\",\"owner\":\"Ada\"}",
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        cr_assert_eq(
            account_form_read_event(other[i], strlen(other[i]), &amount),
            ACCOUNT_FORM_OTHER, "%s", other[i]);
}

Test(account_forms, reads_exactly_the_amount_payload)
{
    int64_t amount = -1;
    cr_assert_eq(account_form_read_payload("{\"amount\":5}", 12, &amount), 0);
    cr_assert_eq(amount, 5);
    const char *other[] = {"",
                           "{}",
                           "{\"amount\": 5}",
                           "{\"amount\":05}",
                           "{\"amount\":-5}",
                           "{\"amount\":5,\"x\":1}",
                           "{\"amount\":9223372036854775808}",
                           "{\"amount\":5}x"};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        cr_assert_eq(
            account_form_read_payload(other[i], strlen(other[i]), &amount), -1,
            "%s", other[i]);
}

Test(account_forms, writes_what_it_reads_and_what_jansson_renders)
{
    char event[ACCOUNT_AMOUNT_EVENT_MAX];
    size_t size =
        account_form_write_event(event, ACCOUNT_FORM_WITHDRAWN, INT64_MAX);
    cr_assert_str_eq(
        event, "{\"event\":\"Withdrawn\",\"amount\":9223372036854775807}");
    cr_assert_eq(size, strlen(event));
    int64_t amount = 0;
    cr_assert_eq(account_form_read_event(event, size, &amount),
                 ACCOUNT_FORM_WITHDRAWN);
    cr_assert_eq(amount, INT64_MAX);
    size = account_form_write_event(event, ACCOUNT_FORM_DEPOSITED, 42);
    json_t *json =
        json_pack("{s:s, s:I}", "event", "Deposited", "amount", (json_int_t)42);
    char *rendered = json_dumps(json, JSON_COMPACT);
    cr_assert_str_eq(event, rendered, "the form is jansson's compact form");
    free(rendered);
    json_decref(json);
}

/* Folds one event into a fresh open account of balance 10 and returns its
 * query (the caller frees). */
static char *s_fold_into_ten(const char *event)
{
    s_set_open(10);
    harness_apply_text(s_type, s_state, event);
    return s_type->query(s_state, "e1");
}

Test(account_forms, the_fold_gives_the_same_state_whichever_way_it_reads,
     .init = s_setup, .fini = s_teardown)
{
    /* Each pair: an event in the fixed form, and the same event as JSON
     * the fixed form does not match (spaces, fields swapped). */
    const char *pairs[][2] = {
        {"{\"event\":\"Deposited\",\"amount\":5}",
         "{\"event\": \"Deposited\", \"amount\": 5}"},
        {"{\"event\":\"Withdrawn\",\"amount\":4}",
         "{\"amount\":4,\"event\":\"Withdrawn\"}"},
        {"{\"event\":\"Withdrawn\",\"amount\":11}",
         "{\"amount\":11, \"event\":\"Withdrawn\"}"},
        {"{\"event\":\"Deposited\",\"amount\":0}",
         "{\"amount\":0, \"event\":\"Deposited\"}"},
        {"{\"event\":\"Deposited\",\"amount\":9223372036854775807}",
         "{\"amount\":9223372036854775807, \"event\":\"Deposited\"}"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        int64_t amount;
        cr_assert_neq(
            account_form_read_event(pairs[i][0], strlen(pairs[i][0]), &amount),
            ACCOUNT_FORM_OTHER);
        cr_assert_eq(
            account_form_read_event(pairs[i][1], strlen(pairs[i][1]), &amount),
            ACCOUNT_FORM_OTHER);
        char *fast = s_fold_into_ten(pairs[i][0]);
        char *parsed = s_fold_into_ten(pairs[i][1]);
        cr_assert_str_eq(fast, parsed, "%s", pairs[i][0]);
        free(fast);
        free(parsed);
    }
}

Test(account_forms, a_payload_in_the_fixed_form_or_as_json_decides_alike,
     .init = s_setup, .fini = s_teardown)
{
    s_set_open(10);
    harness_expect_accept(s_type, s_state, "Deposit", "{\"amount\":5}",
                          "{\"balance\":15}",
                          EVENTS("{\"event\":\"Deposited\",\"amount\":5}"));
    harness_expect_accept(s_type, s_state, "Deposit", "{ \"amount\" : 5 }",
                          "{\"balance\":20}",
                          EVENTS("{\"event\":\"Deposited\",\"amount\":5}"));
    harness_expect_reject(s_type, s_state, "Withdraw", "{\"amount\":21}",
                          "insufficient funds: balance 20, requested 21");
    harness_expect_reject(s_type, s_state, "Withdraw", "{ \"amount\": 21}",
                          "insufficient funds: balance 20, requested 21");
    harness_expect_reject(s_type, s_state, "Withdraw", "{\"amount\":0}",
                          "amount must be a positive integer");
}
