/*
 * tests/unit/test_wish_policies.c - the wish plugin's policies, run on the
 * fake reaction: what "wish-lookup" dispatches and what "wish-publisher"
 * publishes for each event type, with which payloads, and how both fail
 * on an event they cannot read.
 */
#include "tests/unit/wish_test.h"

#define WISH_ID "0123456789abcdef0123456789abcdef"

TestSuite(wish_policies);

/* Runs policy name on event (an event of child alice, sequence 7) into
 * reaction, which the caller finishes with fake_reaction_fini. Returns
 * what the policy returned. */
static int s_react(shoal_reaction_t *reaction, const char *name,
                   const char *event)
{
    fake_reaction_init(reaction, WISH_NOW, "alice", 7);
    return wish_policy(name)->handle(reaction, event, strlen(event));
}

/* Asserts action index of reaction is a dispatch of command with payload
 * to wish/WISH_ID. */
static void s_assert_dispatch(const shoal_reaction_t *reaction, size_t index,
                              const char *command, const char *payload)
{
    const fake_reaction_action_t *action = &reaction->actions[index];
    cr_assert_eq(action->kind, FAKE_REACTION_DISPATCH);
    cr_assert_str_eq(action->type, "wish");
    cr_assert_str_eq(action->entity_id, WISH_ID);
    cr_assert_str_eq(action->command, command);
    harness_assert_json(action->payload, payload);
}

/* Asserts action index of reaction is a publication of payload on
 * topic. */
static void s_assert_publish(const shoal_reaction_t *reaction, size_t index,
                             const char *topic, const char *payload)
{
    const fake_reaction_action_t *action = &reaction->actions[index];
    cr_assert_eq(action->kind, FAKE_REACTION_PUBLISH);
    cr_assert_str_eq(action->topic, topic);
    harness_assert_json(action->payload, payload);
}

/* Asserts policy name does nothing with event, successfully. */
static void s_assert_ignores(const char *name, const char *event)
{
    shoal_reaction_t reaction;
    cr_assert_eq(s_react(&reaction, name, event), 0, "%s", event);
    cr_assert_eq(reaction.action_count, 0, "%s", event);
    cr_assert_eq(reaction.failure_count, 0, "%s", event);
    fake_reaction_fini(&reaction);
}

/* Asserts policy name fails on event with a reason holding fragment, and
 * does nothing. */
static void s_assert_fails(const char *name, const char *event,
                           const char *fragment)
{
    shoal_reaction_t reaction;
    cr_assert_eq(s_react(&reaction, name, event), -1, "%s", event);
    cr_assert_eq(reaction.action_count, 0, "%s", event);
    cr_assert_eq(reaction.failure_count, 1, "%s", event);
    cr_assert(strstr(reaction.failure, fragment), "%s: \"%s\"", event,
              reaction.failure);
    fake_reaction_fini(&reaction);
}

#define APPROVED                                                               \
    "{\"type\":\"WishApproved\",\"wish_id\":\"" WISH_ID "\","                  \
    "\"wish\":\"a kite\"}"
#define CANCELLED                                                              \
    "{\"type\":\"WishCancelled\",\"wish_id\":\"" WISH_ID "\","                 \
    "\"wish\":\"a kite\"}"
#define FULFILLED                                                              \
    "{\"type\":\"WishFulfilled\",\"wish_id\":\"" WISH_ID "\","                 \
    "\"wish\":\"a kite\"}"
#define NAUGHTY_WISH                                                           \
    "{\"type\":\"WishRejected\",\"wish\":\"a slingshot\","                     \
    "\"reason\":\"NaughtyWish\",\"at\":1795687200000}"
#define TOO_MANY                                                               \
    "{\"type\":\"WishRejected\",\"wish\":\"a kite\","                          \
    "\"reason\":\"TooManyWishes\",\"at\":1795687200000}"
#define ON_THE_LIST                                                            \
    "{\"type\":\"WishRejected\",\"wish\":\"a kite\","                          \
    "\"reason\":\"ChildOnNaughtyList\",\"at\":1795687200000}"
#define BECAME_NAUGHTY "{\"type\":\"BecameNaughty\",\"until\":1795773600000}"

/* --- wish-lookup -------------------------------------------------------- */

Test(wish_policies, lookup_registers_an_approved_wish)
{
    shoal_reaction_t reaction;
    cr_assert_eq(s_react(&reaction, "wish-lookup", APPROVED), 0);
    cr_assert_eq(reaction.action_count, 1);
    s_assert_dispatch(&reaction, 0, "RegisterWish", "{\"child_id\":\"alice\"}");
    fake_reaction_fini(&reaction);
}

Test(wish_policies, lookup_closes_a_cancelled_or_fulfilled_wish)
{
    const char *events[] = {
        CANCELLED,
        FULFILLED,
        "{\"type\":\"WishCancelled\",\"wish_id\":\"" WISH_ID "\"}",
    };
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
        shoal_reaction_t reaction;
        cr_assert_eq(s_react(&reaction, "wish-lookup", events[i]), 0);
        cr_assert_eq(reaction.action_count, 1);
        s_assert_dispatch(&reaction, 0, "CloseWish", "{}");
        fake_reaction_fini(&reaction);
    }
}

Test(wish_policies, lookup_ignores_the_other_events)
{
    const char *events[] = {NAUGHTY_WISH, TOO_MANY, ON_THE_LIST, BECAME_NAUGHTY,
                            "{\"type\":\"WishStolen\"}"};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        s_assert_ignores("wish-lookup", events[i]);
}

Test(wish_policies, lookup_fails_on_an_event_it_cannot_read)
{
    s_assert_fails("wish-lookup", "garbage", "not valid JSON");
    s_assert_fails("wish-lookup", "", "not valid JSON");
    s_assert_fails("wish-lookup", "[1]", "\"type\"");
    s_assert_fails("wish-lookup", "{\"wish_id\":\"w\"}", "\"type\"");
    s_assert_fails("wish-lookup", "{\"type\":\"WishApproved\",\"wish\":\"x\"}",
                   "WishApproved event has no string \"wish_id\"");
    s_assert_fails("wish-lookup", "{\"type\":\"WishFulfilled\",\"wish_id\":1}",
                   "WishFulfilled event has no string \"wish_id\"");
}

Test(wish_policies, lookup_fails_when_the_dispatch_fails)
{
    shoal_reaction_t reaction;
    fake_reaction_init(&reaction, WISH_NOW, "alice", 7);
    reaction.fail_calls = true;
    cr_assert_eq(wish_policy("wish-lookup")
                     ->handle(&reaction, APPROVED, strlen(APPROVED)),
                 -1);
    cr_assert_eq(reaction.failure_count, 1);
    cr_assert(strstr(reaction.failure, "RegisterWish"), "%s", reaction.failure);
    fake_reaction_fini(&reaction);
}

/* --- wish-publisher ----------------------------------------------------- */

Test(wish_policies, publisher_publishes_wish_updates)
{
    const char *events[][2] = {
        {APPROVED, "WishApproved"},
        {CANCELLED, "WishCancelled"},
        {FULFILLED, "WishFulfilled"},
    };
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
        shoal_reaction_t reaction;
        cr_assert_eq(s_react(&reaction, "wish-publisher", events[i][0]), 0);
        cr_assert_eq(reaction.action_count, 1);
        char *expected = wish_format(
            "{\"type\":\"%s\",\"child_id\":\"alice\",\"wish_id\":\"" WISH_ID
            "\",\"wish\":\"a kite\"}",
            events[i][1]);
        s_assert_publish(&reaction, 0, "wish_updates", expected);
        free(expected);
        fake_reaction_fini(&reaction);
    }
}

Test(wish_policies, publisher_leaves_out_a_wish_the_event_does_not_name)
{
    shoal_reaction_t reaction;
    cr_assert_eq(s_react(&reaction, "wish-publisher",
                         "{\"type\":\"WishCancelled\",\"wish_id\":\"" WISH_ID
                         "\"}"),
                 0);
    s_assert_publish(&reaction, 0, "wish_updates",
                     "{\"type\":\"WishCancelled\",\"child_id\":\"alice\","
                     "\"wish_id\":\"" WISH_ID "\"}");
    fake_reaction_fini(&reaction);
}

Test(wish_policies, publisher_reports_a_naughty_wish)
{
    shoal_reaction_t reaction;
    cr_assert_eq(s_react(&reaction, "wish-publisher", NAUGHTY_WISH), 0);
    cr_assert_eq(reaction.action_count, 1);
    s_assert_publish(&reaction, 0, "naughtiness",
                     "{\"type\":\"NaughtinessDetected\",\"child_id\":\"alice\","
                     "\"wish\":\"a slingshot\",\"at\":1795687200000}");
    fake_reaction_fini(&reaction);
}

Test(wish_policies, publisher_ignores_the_other_events)
{
    const char *events[] = {TOO_MANY, ON_THE_LIST, BECAME_NAUGHTY,
                            "{\"type\":\"WishRejected\",\"wish\":\"x\"}",
                            "{\"type\":\"WishStolen\"}"};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        s_assert_ignores("wish-publisher", events[i]);
}

Test(wish_policies, publisher_fails_on_an_event_it_cannot_read)
{
    s_assert_fails("wish-publisher", "{\"type\":", "not valid JSON");
    s_assert_fails("wish-publisher", "{\"type\":null}", "\"type\"");
    s_assert_fails("wish-publisher", "{\"type\":\"WishApproved\"}",
                   "WishApproved event has no string \"wish_id\"");
    s_assert_fails("wish-publisher",
                   "{\"type\":\"WishRejected\",\"reason\":\"NaughtyWish\","
                   "\"at\":1}",
                   "WishRejected event has no string \"wish\"");
    s_assert_fails("wish-publisher",
                   "{\"type\":\"WishRejected\",\"reason\":\"NaughtyWish\","
                   "\"wish\":\"x\"}",
                   "WishRejected event has no integer \"at\"");
}

Test(wish_policies, publisher_fails_when_the_publication_fails)
{
    shoal_reaction_t reaction;
    fake_reaction_init(&reaction, WISH_NOW, "alice", 7);
    reaction.fail_calls = true;
    cr_assert_eq(wish_policy("wish-publisher")
                     ->handle(&reaction, NAUGHTY_WISH, strlen(NAUGHTY_WISH)),
                 -1);
    cr_assert_eq(reaction.failure_count, 1);
    cr_assert(strstr(reaction.failure, "naughtiness"), "%s", reaction.failure);
    fake_reaction_fini(&reaction);
}

Test(wish_policies, a_redelivered_event_takes_the_same_actions)
{
    const char *names[] = {"wish-lookup", "wish-publisher"};
    for (size_t i = 0; i < 2; i++) {
        shoal_reaction_t first, again;
        cr_assert_eq(s_react(&first, names[i], APPROVED), 0);
        cr_assert_eq(s_react(&again, names[i], APPROVED), 0);
        cr_assert_eq(again.action_count, first.action_count);
        cr_assert_str_eq(again.actions[0].payload, first.actions[0].payload);
        fake_reaction_fini(&first);
        fake_reaction_fini(&again);
    }
}
