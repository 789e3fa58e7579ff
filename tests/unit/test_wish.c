/*
 * tests/unit/test_wish.c - the wish example plugin against the scenarios
 * of the reference domain (examples/wish/README.md): the `child` aggregate's
 * rules in their order, with their events and replies, on a clock the
 * tests move.
 *
 * The test executable compiles in every file of examples/wish/, the real
 * effect (actors/effect.c) and a fake gate and reaction, so shoal_plugin
 * is the wish plugin's descriptor. The other test_wish_*.c files cover
 * the child's payloads, fold and snapshots, the `wish` lookup, the
 * gatekeepers and the policies.
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

TestSuite(wish, .init = s_setup, .fini = s_teardown);

Test(wish, exports_the_types_policies_and_lifecycle)
{
    cr_assert_eq(shoal_plugin.abi_version, SHOAL_PLUGIN_ABI_VERSION);
    cr_assert_str_eq(shoal_plugin.name, "wish");
    cr_assert_eq(shoal_plugin.type_count, 2);
    cr_assert_str_eq(shoal_plugin.types[0].name, "child");
    cr_assert_str_eq(shoal_plugin.types[1].name, "wish");
    for (size_t i = 0; i < shoal_plugin.type_count; i++) {
        const shoal_type_t *type = &shoal_plugin.types[i];
        cr_assert(type->state_new && type->state_free && type->handle_command &&
                  type->apply_event && type->query && type->snapshot_encode &&
                  type->snapshot_decode);
        cr_assert_eq(type->gatekeeper_count, 1);
    }
    cr_assert_str_eq(shoal_plugin.types[0].gatekeepers[0].command, "MakeWish");
    cr_assert_str_eq(shoal_plugin.types[1].gatekeepers[0].command,
                     "FulfillWish");
    cr_assert_eq(shoal_plugin.policy_count, 2);
    cr_assert_str_eq(shoal_plugin.policies[0].name, "wish-lookup");
    cr_assert_str_eq(shoal_plugin.policies[1].name, "wish-publisher");
    cr_assert_str_eq(shoal_plugin.policies[0].source_type, "child");
    cr_assert_str_eq(shoal_plugin.policies[1].source_type, "child");
    cr_assert(shoal_plugin.open && shoal_plugin.close);
}

Test(wish, a_new_child_has_no_wishes_and_a_clean_record)
{
    wish_assert_query(&s_child, "{\"child_id\":\"alice\",\"wishes\":[],"
                                "\"naughty_until\":0,\"banned_until\":0}");
}

/* Scenario: a child with no wishes makes a wish -> approved, listed by
 * the query. */
Test(wish, a_first_wish_is_approved_and_listed)
{
    char *wish_id = wish_make(&s_child, "a red bicycle");
    wish_assert_query(&s_child,
                      "{\"child_id\":\"alice\",\"wishes\":[{\"wish_id\":\"%s\","
                      "\"wish\":\"a red bicycle\"}],\"naughty_until\":0,"
                      "\"banned_until\":0}",
                      wish_id);
    free(wish_id);
}

Test(wish, wish_ids_are_deterministic_and_distinct)
{
    /* the same command against the same entity and sequence draws the
     * same id: a retried command approves the same wish */
    const char *payload = "{\"wish\":\"a kite\",\"naughty\":false}";
    harness_outcome_t first = harness_run_at(
        s_child.type, s_child.state, "alice", WISH_NOW, 0, "MakeWish", payload);
    harness_outcome_t again =
        harness_run_at(s_child.type, s_child.state, "alice", WISH_NOW + 5, 0,
                       "MakeWish", payload);
    cr_assert_str_eq(again.reply, first.reply);
    harness_outcome_free(&first);
    harness_outcome_free(&again);

    char *ids[3];
    for (size_t i = 0; i < 3; i++)
        ids[i] = wish_make(&s_child, "a kite");
    cr_assert_str_neq(ids[0], ids[1]);
    cr_assert_str_neq(ids[1], ids[2]);
    cr_assert_str_neq(ids[0], ids[2]);
    for (size_t i = 0; i < 3; i++)
        free(ids[i]);
}

/* Scenario: the 11th wish -> rejected TooManyWishes; still 10 wishes. */
Test(wish, the_eleventh_wish_is_rejected_and_recorded)
{
    char *ids[10];
    for (size_t i = 0; i < 10; i++) {
        char wish[32];
        snprintf(wish, sizeof wish, "present %zu", i);
        ids[i] = wish_make(&s_child, wish);
    }
    s_child.now_ms += 1234;
    harness_outcome_t outcome = wish_reject(
        &s_child, "MakeWish", "{\"wish\":\"a pony\",\"naughty\":false}",
        "can't have more than ten wishes", 1);
    wish_assert_json(outcome.events[0],
                     "{\"type\":\"WishRejected\",\"wish\":\"a pony\","
                     "\"reason\":\"TooManyWishes\",\"at\":%lld}",
                     (long long)(WISH_NOW + 1234));
    harness_outcome_free(&outcome);

    /* still the ten, in approval order, and no ban */
    char *query = s_child.type->query(s_child.state, "alice");
    json_t *json = json_loads(query, 0, NULL);
    json_t *wishes = json_object_get(json, "wishes");
    cr_assert_eq(json_array_size(wishes), 10);
    for (size_t i = 0; i < 10; i++)
        cr_assert_str_eq(json_string_value(json_object_get(
                             json_array_get(wishes, i), "wish_id")),
                         ids[i]);
    cr_assert_eq(json_integer_value(json_object_get(json, "banned_until")), 0);
    json_decref(json);
    free(query);

    /* once one is cancelled, there is room again */
    char *payload = wish_format("{\"wish_id\":\"%s\"}", ids[3]);
    outcome = wish_accept(&s_child, "CancelWish", payload, NULL, 1);
    harness_outcome_free(&outcome);
    free(payload);
    free(wish_make(&s_child, "a pony"));
    for (size_t i = 0; i < 10; i++)
        free(ids[i]);
}

/* Scenario: a naughty wish -> rejected NaughtyWish; any wish within the
 * next minute -> rejected "banned" with no event; after the minute, a
 * nice wish -> approved. */
Test(wish, a_naughty_wish_bans_the_child_for_a_minute)
{
    harness_outcome_t outcome = wish_reject(
        &s_child, "MakeWish", "{\"wish\":\"a slingshot\",\"naughty\":true}",
        "naughty wish", 1);
    wish_assert_json(outcome.events[0],
                     "{\"type\":\"WishRejected\",\"wish\":\"a slingshot\","
                     "\"reason\":\"NaughtyWish\",\"at\":%lld}",
                     (long long)WISH_NOW);
    harness_outcome_free(&outcome);
    wish_assert_query(&s_child,
                      "{\"child_id\":\"alice\",\"wishes\":[],"
                      "\"naughty_until\":0,\"banned_until\":%lld}",
                      (long long)(WISH_NOW + WISH_MINUTE));

    /* within the minute: banned, nice or naughty, and nothing recorded */
    int64_t within[] = {0, 1, 30000, WISH_MINUTE - 1};
    for (size_t i = 0; i < sizeof within / sizeof within[0]; i++) {
        s_child.now_ms = WISH_NOW + within[i];
        wish_reject_quietly(&s_child, "MakeWish",
                            "{\"wish\":\"a teddy bear\",\"naughty\":false}",
                            "banned until 2026-11-26T10:01:00Z");
        wish_reject_quietly(&s_child, "MakeWish",
                            "{\"wish\":\"a catapult\",\"naughty\":true}",
                            "banned until 2026-11-26T10:01:00Z");
    }
    wish_assert_query(&s_child,
                      "{\"child_id\":\"alice\",\"wishes\":[],"
                      "\"naughty_until\":0,\"banned_until\":%lld}",
                      (long long)(WISH_NOW + WISH_MINUTE));

    /* the minute is over */
    s_child.now_ms = WISH_NOW + WISH_MINUTE;
    char *wish_id = wish_make(&s_child, "a teddy bear");
    wish_assert_query(&s_child,
                      "{\"child_id\":\"alice\",\"wishes\":[{\"wish_id\":\"%s\","
                      "\"wish\":\"a teddy bear\"}],\"naughty_until\":0,"
                      "\"banned_until\":%lld}",
                      wish_id, (long long)(WISH_NOW + WISH_MINUTE));
    free(wish_id);
}

Test(wish, the_ban_renders_milliseconds_when_it_has_some)
{
    s_child.now_ms = WISH_NOW + 250;
    harness_outcome_t outcome = wish_reject(
        &s_child, "MakeWish", "{\"wish\":\"a stink bomb\",\"naughty\":true}",
        "naughty wish", 1);
    harness_outcome_free(&outcome);
    wish_reject_quietly(&s_child, "MakeWish",
                        "{\"wish\":\"a doll\",\"naughty\":false}",
                        "banned until 2026-11-26T10:01:00.250Z");
}

/* Scenario: MarkNaughty until tomorrow -> all active wishes cancelled (one
 * event each), new wishes rejected ChildOnNaughtyList until then; a
 * MarkNaughty with an earlier date -> rejected. */
Test(wish, mark_naughty_cancels_every_active_wish_in_one_command)
{
    char *kept[2];
    kept[0] = wish_make(&s_child, "a drum");
    char *cancelled = wish_make(&s_child, "a trumpet");
    kept[1] = wish_make(&s_child, "a violin");
    char *payload = wish_format("{\"wish_id\":\"%s\"}", cancelled);
    harness_outcome_t outcome =
        wish_accept(&s_child, "CancelWish", payload, NULL, 1);
    harness_outcome_free(&outcome);
    free(payload);

    int64_t tomorrow = WISH_NOW + WISH_DAY;
    payload = wish_format("{\"until\":%lld}", (long long)tomorrow);
    char *reply = wish_format("{\"naughty_until\":%lld}", (long long)tomorrow);
    outcome = wish_accept(&s_child, "MarkNaughty", payload, reply, 3);
    wish_assert_json(outcome.events[0],
                     "{\"type\":\"BecameNaughty\",\"until\":%lld}",
                     (long long)tomorrow);
    wish_assert_json(outcome.events[1],
                     "{\"type\":\"WishCancelled\",\"wish_id\":\"%s\","
                     "\"wish\":\"a drum\"}",
                     kept[0]);
    wish_assert_json(outcome.events[2],
                     "{\"type\":\"WishCancelled\",\"wish_id\":\"%s\","
                     "\"wish\":\"a violin\"}",
                     kept[1]);
    harness_outcome_free(&outcome);
    free(payload);
    free(reply);
    wish_assert_query(&s_child,
                      "{\"child_id\":\"alice\",\"wishes\":[],"
                      "\"naughty_until\":%lld,\"banned_until\":0}",
                      (long long)tomorrow);

    /* until then, every wish is rejected and recorded */
    int64_t before[] = {0, WISH_DAY / 2, WISH_DAY - 1};
    for (size_t i = 0; i < sizeof before / sizeof before[0]; i++) {
        s_child.now_ms = WISH_NOW + before[i];
        outcome = wish_reject(
            &s_child, "MakeWish", "{\"wish\":\"a drum\",\"naughty\":false}",
            "on the naughty list until 2026-11-27T10:00:00Z", 1);
        wish_assert_json(outcome.events[0],
                         "{\"type\":\"WishRejected\",\"wish\":\"a drum\","
                         "\"reason\":\"ChildOnNaughtyList\",\"at\":%lld}",
                         (long long)s_child.now_ms);
        harness_outcome_free(&outcome);
    }
    wish_assert_query(&s_child,
                      "{\"child_id\":\"alice\",\"wishes\":[],"
                      "\"naughty_until\":%lld,\"banned_until\":0}",
                      (long long)tomorrow);

    /* from then on, wishes are approved again */
    s_child.now_ms = tomorrow;
    free(wish_make(&s_child, "a drum"));
    for (size_t i = 0; i < 2; i++)
        free(kept[i]);
    free(cancelled);
}

Test(wish, mark_naughty_with_no_wishes_only_becomes_naughty)
{
    harness_outcome_t outcome =
        wish_accept(&s_child, "MarkNaughty", "{\"until\":1795773600000}",
                    "{\"naughty_until\":1795773600000}", 1);
    harness_assert_json(outcome.events[0], "{\"type\":\"BecameNaughty\","
                                           "\"until\":1795773600000}");
    harness_outcome_free(&outcome);
}

Test(wish, mark_naughty_refuses_an_earlier_or_an_expired_date)
{
    int64_t tomorrow = WISH_NOW + WISH_DAY;
    char *payload = wish_format("{\"until\":%lld}", (long long)tomorrow);
    harness_outcome_t outcome =
        wish_accept(&s_child, "MarkNaughty", payload, NULL, 1);
    harness_outcome_free(&outcome);

    /* an earlier date, or the same one */
    char *earlier = wish_format("{\"until\":%lld}", (long long)tomorrow - 1);
    wish_reject_quietly(&s_child, "MarkNaughty", earlier,
                        "already on the naughty list");
    wish_reject_quietly(&s_child, "MarkNaughty", payload,
                        "already on the naughty list");

    /* a date that is not in the future, naughty or not */
    char *now = wish_format("{\"until\":%lld}", (long long)WISH_NOW);
    char *past = wish_format("{\"until\":%lld}", (long long)WISH_NOW - 1);
    wish_reject_quietly(&s_child, "MarkNaughty", now, "already expired");
    wish_reject_quietly(&s_child, "MarkNaughty", past, "already expired");
    wish_reject_quietly(&s_child, "MarkNaughty", "{\"until\":0}",
                        "already expired");

    /* a later date extends the naughtiness */
    char *later = wish_format("{\"until\":%lld}", (long long)tomorrow + 1);
    outcome = wish_accept(&s_child, "MarkNaughty", later, NULL, 1);
    harness_outcome_free(&outcome);
    wish_assert_query(&s_child,
                      "{\"child_id\":\"alice\",\"wishes\":[],"
                      "\"naughty_until\":%lld,\"banned_until\":0}",
                      (long long)tomorrow + 1);

    /* once it is over, "already expired" comes first */
    s_child.now_ms = tomorrow + 10;
    wish_reject_quietly(&s_child, "MarkNaughty", later, "already expired");
    free(payload);
    free(earlier);
    free(now);
    free(past);
    free(later);
}

/* Scenario: cancel or fulfil an unknown wish -> rejected "wish not
 * found". */
Test(wish, cancelling_or_fulfilling_an_unknown_wish_is_rejected)
{
    const char *unknown = "{\"wish_id\":\"0123456789abcdef0123456789abcdef\"}";
    wish_reject_quietly(&s_child, "CancelWish", unknown, "wish not found");
    wish_reject_quietly(&s_child, "MarkWishFulfilled", unknown,
                        "wish not found");

    /* a wish no longer active is unknown too */
    char *cancelled = wish_make(&s_child, "a yo-yo");
    char *fulfilled = wish_make(&s_child, "a puzzle");
    char *cancel = wish_format("{\"wish_id\":\"%s\"}", cancelled);
    char *fulfil = wish_format("{\"wish_id\":\"%s\"}", fulfilled);
    harness_outcome_t outcome =
        wish_accept(&s_child, "CancelWish", cancel, NULL, 1);
    harness_outcome_free(&outcome);
    outcome = wish_accept(&s_child, "MarkWishFulfilled", fulfil, NULL, 1);
    harness_outcome_free(&outcome);
    wish_reject_quietly(&s_child, "CancelWish", cancel, "wish not found");
    wish_reject_quietly(&s_child, "MarkWishFulfilled", cancel,
                        "wish not found");
    wish_reject_quietly(&s_child, "CancelWish", fulfil, "wish not found");
    wish_reject_quietly(&s_child, "MarkWishFulfilled", fulfil,
                        "wish not found");
    free(cancelled);
    free(fulfilled);
    free(cancel);
    free(fulfil);
}

Test(wish, cancel_wish_removes_the_wish_and_names_it)
{
    char *first = wish_make(&s_child, "a kite");
    char *second = wish_make(&s_child, "a ball");
    char *third = wish_make(&s_child, "a sled");
    char *payload = wish_format("{\"wish_id\":\"%s\"}", second);
    harness_outcome_t outcome =
        wish_accept(&s_child, "CancelWish", payload, payload, 1);
    wish_assert_json(outcome.events[0],
                     "{\"type\":\"WishCancelled\",\"wish_id\":\"%s\","
                     "\"wish\":\"a ball\"}",
                     second);
    harness_outcome_free(&outcome);
    wish_assert_query(&s_child,
                      "{\"child_id\":\"alice\",\"wishes\":["
                      "{\"wish_id\":\"%s\",\"wish\":\"a kite\"},"
                      "{\"wish_id\":\"%s\",\"wish\":\"a sled\"}],"
                      "\"naughty_until\":0,\"banned_until\":0}",
                      first, third);
    free(first);
    free(second);
    free(third);
    free(payload);
}

Test(wish, mark_wish_fulfilled_removes_the_wish_and_names_it)
{
    char *wish_id = wish_make(&s_child, "a chess set");
    char *payload = wish_format("{\"wish_id\":\"%s\"}", wish_id);
    harness_outcome_t outcome =
        wish_accept(&s_child, "MarkWishFulfilled", payload, payload, 1);
    wish_assert_json(outcome.events[0],
                     "{\"type\":\"WishFulfilled\",\"wish_id\":\"%s\","
                     "\"wish\":\"a chess set\"}",
                     wish_id);
    harness_outcome_free(&outcome);
    wish_assert_query(&s_child, "{\"child_id\":\"alice\",\"wishes\":[],"
                                "\"naughty_until\":0,\"banned_until\":0}");
    free(wish_id);
    free(payload);
}

/* The rules of MakeWish apply in wish.md's order: each test below sets up
 * two reasons at once and expects the earlier rule's answer. */
Test(wish, a_ban_comes_before_too_many_wishes)
{
    for (size_t i = 0; i < 10; i++)
        free(wish_make(&s_child, "a marble"));
    /* a full list (rule 2) comes before a naughty wish (rule 4): no ban */
    harness_outcome_t outcome = wish_reject(
        &s_child, "MakeWish", "{\"wish\":\"a slingshot\",\"naughty\":true}",
        "can't have more than ten wishes", 1);
    cr_assert(strstr(outcome.events[0], "\"TooManyWishes\""));
    harness_outcome_free(&outcome);
    /* a ban (applied directly: a full list takes no naughty wish) comes
     * before the full list, and records nothing */
    char *event = wish_format("{\"type\":\"WishRejected\",\"wish\":\"x\","
                              "\"reason\":\"NaughtyWish\",\"at\":%lld}",
                              (long long)WISH_NOW);
    harness_apply_text(s_child.type, s_child.state, event);
    free(event);
    wish_reject_quietly(&s_child, "MakeWish",
                        "{\"wish\":\"a marble\",\"naughty\":false}",
                        "banned until 2026-11-26T10:01:00Z");
}

Test(wish, too_many_wishes_comes_before_the_naughty_list)
{
    for (size_t i = 0; i < 10; i++)
        free(wish_make(&s_child, "a marble"));
    /* naughty with a full list: applied directly, as MarkNaughty would
     * have cancelled the wishes */
    harness_apply_text(s_child.type, s_child.state,
                       "{\"type\":\"BecameNaughty\",\"until\":1795773600000}");
    harness_outcome_t outcome = wish_reject(
        &s_child, "MakeWish", "{\"wish\":\"a marble\",\"naughty\":false}",
        "can't have more than ten wishes", 1);
    cr_assert(strstr(outcome.events[0], "\"TooManyWishes\""));
    harness_outcome_free(&outcome);
}

Test(wish, the_naughty_list_comes_before_a_naughty_wish)
{
    harness_outcome_t outcome = wish_accept(
        &s_child, "MarkNaughty", "{\"until\":1795773600000}", NULL, 1);
    harness_outcome_free(&outcome);
    outcome = wish_reject(&s_child, "MakeWish",
                          "{\"wish\":\"a slingshot\",\"naughty\":true}",
                          "on the naughty list until 2026-11-27T10:00:00Z", 1);
    cr_assert(strstr(outcome.events[0], "\"ChildOnNaughtyList\""));
    harness_outcome_free(&outcome);
    /* so no ban follows */
    wish_assert_query(&s_child,
                      "{\"child_id\":\"alice\",\"wishes\":[],"
                      "\"naughty_until\":1795773600000,\"banned_until\":0}");
}

/* Scenario: FulfillWish by wish id alone finds the child through the
 * lookup. The runtime's part is played by hand: the policy's dispatches
 * run on the `wish` entity, the gatekeeper's ask is answered with that
 * entity's query, and its dispatch runs on the child. */
Test(wish, fulfill_wish_by_wish_id_alone_finds_the_child)
{
    harness_outcome_t approved =
        wish_accept(&s_child, "MakeWish",
                    "{\"wish\":\"a kite\",\"naughty\":false}", NULL, 1);
    char *wish_id = wish_json_string(approved.reply, "wish_id");
    wish_driver_t lookup;
    wish_driver_init(&lookup, "wish", wish_id);

    /* the wish-lookup policy registers the wish */
    shoal_reaction_t reaction;
    fake_reaction_init(&reaction, WISH_NOW, "alice", 1);
    wish_react(&reaction, "wish-lookup", &approved);
    cr_assert_eq(reaction.action_count, 1);
    cr_assert_str_eq(reaction.actions[0].entity_id, wish_id);
    harness_outcome_t outcome =
        wish_accept(&lookup, reaction.actions[0].command,
                    reaction.actions[0].payload, NULL, 1);
    harness_outcome_free(&outcome);
    fake_reaction_fini(&reaction);

    /* FulfillWish {} to wish/<id>: the gatekeeper asks, then dispatches */
    const shoal_gatekeeper_t *gatekeeper = &lookup.type->gatekeepers[0];
    shoal_command_t command = {"FulfillWish", "{}", 2};
    shoal_gate_t gate;
    fake_gate_init(&gate, WISH_NOW, wish_id);
    gatekeeper->run(&gate, &command);
    cr_assert_eq(gate.ask_count, 1);
    char *answer = lookup.type->query(lookup.state, wish_id);
    fake_gate_set_answer(&gate, 0, answer, lookup.sequence);
    free(answer);
    fake_gate_next_round(&gate);
    gatekeeper->run(&gate, &command);
    cr_assert_eq(gate.decision, FAKE_GATE_DISPATCH);
    cr_assert_str_eq(gate.dispatch_type, "child");
    cr_assert_str_eq(gate.dispatch_entity_id, "alice");
    harness_outcome_t fulfilled = wish_accept(&s_child, gate.dispatch_command,
                                              gate.payload, gate.payload, 1);
    wish_assert_json(fulfilled.events[0],
                     "{\"type\":\"WishFulfilled\",\"wish_id\":\"%s\","
                     "\"wish\":\"a kite\"}",
                     wish_id);
    fake_gate_fini(&gate);

    /* the wish-lookup policy closes the wish: a second FulfillWish finds
     * nothing */
    fake_reaction_init(&reaction, WISH_NOW, "alice", 2);
    wish_react(&reaction, "wish-lookup", &fulfilled);
    cr_assert_eq(reaction.action_count, 1);
    outcome = wish_accept(&lookup, reaction.actions[0].command,
                          reaction.actions[0].payload, NULL, 1);
    harness_outcome_free(&outcome);
    fake_reaction_fini(&reaction);
    fake_gate_init(&gate, WISH_NOW, wish_id);
    gatekeeper->run(&gate, &command);
    answer = lookup.type->query(lookup.state, wish_id);
    fake_gate_set_answer(&gate, 0, answer, lookup.sequence);
    free(answer);
    fake_gate_next_round(&gate);
    gatekeeper->run(&gate, &command);
    cr_assert_eq(gate.decision, FAKE_GATE_REJECT);
    cr_assert_str_eq(gate.reason, "wish not found");
    fake_gate_fini(&gate);

    harness_outcome_free(&approved);
    harness_outcome_free(&fulfilled);
    wish_driver_fini(&lookup);
    free(wish_id);
}

/* Runs a command on the child and hands its events to the publisher.
 * Returns the reply (malloc'd). */
static char *s_run_and_publish(shoal_reaction_t *reaction, const char *name,
                               const char *payload)
{
    harness_outcome_t outcome = wish_run(&s_child, name, payload);
    wish_react(reaction, "wish-publisher", &outcome);
    char *reply = strdup(outcome.reply);
    harness_outcome_free(&outcome);
    return reply;
}

/* Makes a nice wish through s_run_and_publish. Returns its id. */
static char *s_make_and_publish(shoal_reaction_t *reaction, const char *wish)
{
    char *payload = wish_format("{\"wish\":\"%s\",\"naughty\":false}", wish);
    char *reply = s_run_and_publish(reaction, "MakeWish", payload);
    char *wish_id = wish_json_string(reply, "wish_id");
    free(reply);
    free(payload);
    return wish_id;
}

/* Scenario (the plugin's part): every approved, cancelled and fulfilled
 * wish appears once on wish_updates, in the child's order; a naughty wish
 * appears on naughtiness. */
Test(wish, the_publisher_reports_each_change_once_in_order)
{
    shoal_reaction_t reaction;
    fake_reaction_init(&reaction, WISH_NOW, "alice", 1);
    char *kite = s_make_and_publish(&reaction, "a kite");
    char *ball = s_make_and_publish(&reaction, "a ball");
    char *payload = wish_format("{\"wish_id\":\"%s\"}", kite);
    free(s_run_and_publish(&reaction, "MarkWishFulfilled", payload));
    free(payload);
    char *sled = s_make_and_publish(&reaction, "a sled");
    payload = wish_format("{\"wish_id\":\"%s\"}", sled);
    free(s_run_and_publish(&reaction, "CancelWish", payload));
    free(payload);
    free(s_run_and_publish(&reaction, "MakeWish",
                           "{\"wish\":\"a slingshot\",\"naughty\":true}"));
    s_child.now_ms += WISH_MINUTE;
    free(s_run_and_publish(&reaction, "MarkNaughty",
                           "{\"until\":1795773600000}"));
    free(s_run_and_publish(&reaction, "MakeWish",
                           "{\"wish\":\"a drum\",\"naughty\":false}"));

    struct {
        const char *topic, *type, *wish_id, *wish;
    } expected[] = {
        {"wish_updates", "WishApproved", kite, "a kite"},
        {"wish_updates", "WishApproved", ball, "a ball"},
        {"wish_updates", "WishFulfilled", kite, "a kite"},
        {"wish_updates", "WishApproved", sled, "a sled"},
        {"wish_updates", "WishCancelled", sled, "a sled"},
        {"naughtiness", "NaughtinessDetected", NULL, "a slingshot"},
        {"wish_updates", "WishCancelled", ball, "a ball"},
    };
    size_t count = sizeof expected / sizeof expected[0];
    cr_assert_eq(reaction.action_count, count);
    for (size_t i = 0; i < count; i++) {
        cr_assert_eq(reaction.actions[i].kind, FAKE_REACTION_PUBLISH);
        cr_assert_str_eq(reaction.actions[i].topic, expected[i].topic);
        if (expected[i].wish_id)
            wish_assert_json(reaction.actions[i].payload,
                             "{\"type\":\"%s\",\"child_id\":\"alice\","
                             "\"wish_id\":\"%s\",\"wish\":\"%s\"}",
                             expected[i].type, expected[i].wish_id,
                             expected[i].wish);
        else
            wish_assert_json(reaction.actions[i].payload,
                             "{\"type\":\"%s\",\"child_id\":\"alice\","
                             "\"wish\":\"%s\",\"at\":%lld}",
                             expected[i].type, expected[i].wish,
                             (long long)WISH_NOW);
    }
    fake_reaction_fini(&reaction);
    free(kite);
    free(ball);
    free(sled);
}
