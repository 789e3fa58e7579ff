/*
 * tests/integration/test_wish_scenarios.c - the scenarios of the
 * reference domain (Santa's wish management), end to end on a real node
 * with the wish example plugin and a manual clock: the child aggregate's
 * rules, the gatekeepers, the wish lookup kept by a policy, and the
 * wish_updates and naughtiness topics, also across kill -9.
 */
#include "node_fixture.h"
#include "reaction_helpers.h"

#define T0 1800000000000LL /* 2027-01-15T08:00:00Z */
#define DAY (24LL * 3600 * 1000)

static node_fixture_t s_fixture;
static long long s_now = T0;

/* Starts the node with the wish plugin, the clock at s_now. */
static void s_start(void)
{
    char clock[32];
    snprintf(clock, sizeof clock, "%lld", s_now);
    s_fixture.node = node_process_start(s_fixture.dir, "--plugin",
                                        test_example_plugin("wish"),
                                        "--manual-clock-ms", clock, NULL);
    node_fixture_connect(&s_fixture);
}

static void s_setup(void)
{
    node_fixture_init(&s_fixture);
    s_now = T0;
    s_start();
}

static void s_teardown(void)
{
    node_fixture_fini(&s_fixture);
}

TestSuite(wish, .init = s_setup, .fini = s_teardown);

/* Moves the node's clock forward by ms. */
static void s_advance(long long ms)
{
    s_now += ms;
    char request[64], *answer = NULL;
    snprintf(request, sizeof request, "clock set %lld", s_now);
    cr_assert_eq(
        shoal_status_request(node_process_status_endpoint(s_fixture.node),
                             request, TEST_REQUEST_TIMEOUT_MS, &answer),
        0);
    free(answer);
}

/* The outcome of one command. */
typedef struct {
    shoal_reply_status_t status;
    uint64_t event_count;
    char body[512];
} s_outcome_t;

static s_outcome_t s_send(const char *type, const char *id, const char *command,
                          const char *payload)
{
    shoal_reply_t reply = {0};
    cr_assert_eq(shoal_client_call(s_fixture.client, type, id, command, payload,
                                   strlen(payload), NULL, &reply,
                                   TEST_REQUEST_TIMEOUT_MS),
                 0, "%s/%s %s: no reply", type, id, command);
    s_outcome_t outcome = {.status = reply.status,
                           .event_count = reply.event_count};
    snprintf(outcome.body, sizeof outcome.body, "%s%s%s",
             reply.error_code ? reply.error_code : "",
             reply.error_code ? ": " : "", reply.body);
    shoal_reply_clear(&reply);
    return outcome;
}

/* Makes a wish; returns its id (static storage) when approved, else NULL
 * with the outcome in *outcome when given. */
static const char *s_make_wish(const char *child, const char *wish,
                               s_outcome_t *outcome)
{
    char payload[512];
    snprintf(payload, sizeof payload, "{\"wish\": \"%s\"}", wish);
    s_outcome_t got = s_send("child", child, "MakeWish", payload);
    if (outcome)
        *outcome = got;
    if (got.status != SHOAL_REPLY_ACCEPTED)
        return NULL;
    static char id[64];
    json_t *reply = json_loads(got.body, 0, NULL);
    cr_assert_not_null(reply, "reply: %s", got.body);
    snprintf(id, sizeof id, "%s",
             json_string_value(json_object_get(reply, "wish_id")));
    json_decref(reply);
    return id;
}

/* Number of active wishes of a child. */
static size_t s_wish_count(const char *child)
{
    json_t *state = node_process_get_json(s_fixture.node, "child", child);
    cr_assert_not_null(state);
    size_t count = json_array_size(json_object_get(state, "wishes"));
    json_decref(state);
    return count;
}

Test(wish, a_first_wish_is_approved_and_listed_at_once)
{
    const char *id = s_make_wish("alice", "a red bicycle", NULL);
    cr_assert_not_null(id);
    json_t *state = node_process_get_json(s_fixture.node, "child", "alice");
    json_t *wishes = json_object_get(state, "wishes");
    cr_assert_eq(json_array_size(wishes), 1);
    json_t *wish = json_array_get(wishes, 0);
    cr_assert_str_eq(json_string_value(json_object_get(wish, "wish")),
                     "a red bicycle");
    cr_assert_str_eq(json_string_value(json_object_get(wish, "wish_id")), id);
    json_decref(state);
}

Test(wish, the_eleventh_wish_is_rejected_with_an_event)
{
    for (int i = 0; i < 10; i++) {
        char wish[32];
        snprintf(wish, sizeof wish, "toy number %d", i);
        cr_assert_not_null(s_make_wish("bob", wish, NULL));
    }
    s_outcome_t outcome;
    cr_assert_null(s_make_wish("bob", "one more toy", &outcome));
    cr_assert_eq(outcome.status, SHOAL_REPLY_REJECTED);
    cr_assert_str_eq(outcome.body, "can't have more than ten wishes");
    cr_assert_eq(outcome.event_count, 1, "the rejection is recorded");
    cr_assert_eq(s_wish_count("bob"), 10);
}

Test(wish, a_naughty_wish_bans_the_child_for_a_minute)
{
    s_outcome_t outcome;
    /* The client claims it is nice; the gatekeeper knows better. */
    s_outcome_t claimed =
        s_send("child", "carol", "MakeWish",
               "{\"wish\": \"A SLINGSHOT please\", \"naughty\": false}");
    cr_assert_eq(claimed.status, SHOAL_REPLY_REJECTED);
    cr_assert_str_eq(claimed.body, "naughty wish");
    cr_assert_eq(claimed.event_count, 1);
    s_advance(30000);
    cr_assert_null(s_make_wish("carol", "a teddy bear", &outcome));
    cr_assert_eq(outcome.status, SHOAL_REPLY_REJECTED);
    cr_assert(strncmp(outcome.body, "banned until ", 13) == 0, "%s",
              outcome.body);
    cr_assert_eq(outcome.event_count, 0, "a ban rejects with no event");
    s_advance(30000);
    cr_assert_not_null(s_make_wish("carol", "a teddy bear", NULL));
    /* The naughtiness team hears of it. */
    char cursor[1024] = "";
    test_event_t events[4];
    long long deadline = test_now_ms() + 10000;
    int count = 0;
    while ((count = test_read_events(s_fixture.node, "naughtiness", cursor,
                                     sizeof cursor, 4, events)) == 0 &&
           test_now_ms() < deadline)
        test_sleep_ms(20);
    cr_assert_eq(count, 1);
    cr_assert_str_eq(events[0].entity, "child/carol");
    cr_assert(strstr(events[0].payload, "NaughtinessDetected"), "%s",
              events[0].payload);
    cr_assert(strstr(events[0].payload, "SLINGSHOT"), "%s", events[0].payload);
}

Test(wish, a_nice_wish_passes_the_gatekeeper_whatever_the_client_claims)
{
    s_outcome_t outcome = s_send("child", "dora", "MakeWish",
                                 "{\"wish\": \"a kite\", \"naughty\": true}");
    cr_assert_eq(outcome.status, SHOAL_REPLY_ACCEPTED, "%s", outcome.body);
}

Test(wish, mark_naughty_cancels_every_wish_and_rejects_new_ones)
{
    cr_assert_not_null(s_make_wish("eve", "a doll", NULL));
    cr_assert_not_null(s_make_wish("eve", "a ball", NULL));
    cr_assert_not_null(s_make_wish("eve", "a puzzle", NULL));
    char payload[64];
    snprintf(payload, sizeof payload, "{\"until\": %lld}", s_now + DAY);
    s_outcome_t marked = s_send("child", "eve", "MarkNaughty", payload);
    cr_assert_eq(marked.status, SHOAL_REPLY_ACCEPTED, "%s", marked.body);
    cr_assert_eq(marked.event_count, 4, "BecameNaughty and one cancel each");
    cr_assert_eq(s_wish_count("eve"), 0);
    s_outcome_t outcome;
    cr_assert_null(s_make_wish("eve", "a train", &outcome));
    cr_assert_eq(outcome.status, SHOAL_REPLY_REJECTED);
    cr_assert(strncmp(outcome.body, "on the naughty list until ", 26) == 0,
              "%s", outcome.body);
    cr_assert_eq(outcome.event_count, 1);
    snprintf(payload, sizeof payload, "{\"until\": %lld}", s_now + DAY / 2);
    outcome = s_send("child", "eve", "MarkNaughty", payload);
    cr_assert_eq(outcome.status, SHOAL_REPLY_REJECTED);
    cr_assert_str_eq(outcome.body, "already on the naughty list");
    snprintf(payload, sizeof payload, "{\"until\": %lld}", s_now - 1);
    outcome = s_send("child", "eve", "MarkNaughty", payload);
    cr_assert_str_eq(outcome.body, "already expired");
    s_advance(DAY);
    cr_assert_not_null(s_make_wish("eve", "a train", NULL));
}

Test(wish, an_unknown_wish_cannot_be_cancelled_or_fulfilled)
{
    s_outcome_t outcome =
        s_send("child", "finn", "CancelWish", "{\"wish_id\": \"nope\"}");
    cr_assert_eq(outcome.status, SHOAL_REPLY_REJECTED);
    cr_assert_str_eq(outcome.body, "wish not found");
    outcome =
        s_send("child", "finn", "MarkWishFulfilled", "{\"wish_id\": \"nope\"}");
    cr_assert_str_eq(outcome.body, "wish not found");
    outcome = s_send("wish", "nope", "FulfillWish", "{}");
    cr_assert_eq(outcome.status, SHOAL_REPLY_REJECTED);
    cr_assert_str_eq(outcome.body, "wish not found");
}

/* Waits until the lookup knows wish id as open (or closed). */
static void s_wait_lookup(const char *id, bool open)
{
    long long deadline = test_now_ms() + 10000;
    while (test_now_ms() < deadline) {
        json_t *state = node_process_get_json(s_fixture.node, "wish", id);
        bool is_open = state && json_is_true(json_object_get(state, "open"));
        json_decref(state);
        if (is_open == open)
            return;
        test_sleep_ms(20);
    }
    cr_assert_fail("wish/%s never became %s", id, open ? "open" : "closed");
}

Test(wish, fulfil_by_wish_id_alone_finds_the_child_through_the_lookup)
{
    char id[64];
    snprintf(id, sizeof id, "%s", s_make_wish("gus", "a telescope", NULL));
    s_wait_lookup(id, true);
    s_outcome_t outcome = s_send("wish", id, "FulfillWish", "{}");
    cr_assert_eq(outcome.status, SHOAL_REPLY_ACCEPTED, "%s", outcome.body);
    cr_assert_eq(s_wish_count("gus"), 0);
    s_wait_lookup(id, false);
    outcome = s_send("wish", id, "FulfillWish", "{}");
    cr_assert_str_eq(outcome.body, "wish not found");
}

/* Reads all of wish_updates and checks the sequence of (type, wish id)
 * of each child against want (a "type:n" list per child, n the wish's
 * index in ids). */
static int s_read_all(test_event_t *events, int max)
{
    char cursor[4096] = "";
    int total = 0, count;
    while (total < max &&
           (count = test_read_events(s_fixture.node, "wish_updates", cursor,
                                     sizeof cursor, 50, events + total)) > 0)
        total += count;
    return total;
}

Test(wish, every_update_is_published_once_in_order_across_kill_9)
{
    char ids[4][64];
    for (int i = 0; i < 3; i++) {
        char wish[32];
        snprintf(wish, sizeof wish, "gift %d", i);
        snprintf(ids[i], sizeof ids[i], "%s", s_make_wish("hal", wish, NULL));
    }
    char payload[128];
    snprintf(payload, sizeof payload, "{\"wish_id\": \"%s\"}", ids[0]);
    cr_assert_eq(s_send("child", "hal", "CancelWish", payload).status,
                 SHOAL_REPLY_ACCEPTED);
    shoal_client_destroy(&s_fixture.client);
    node_process_kill(&s_fixture.node);
    s_start();
    snprintf(payload, sizeof payload, "{\"wish_id\": \"%s\"}", ids[1]);
    cr_assert_eq(s_send("child", "hal", "MarkWishFulfilled", payload).status,
                 SHOAL_REPLY_ACCEPTED);
    snprintf(ids[3], sizeof ids[3], "%s", s_make_wish("hal", "gift 3", NULL));
    shoal_client_destroy(&s_fixture.client);
    node_process_kill(&s_fixture.node);
    s_start();
    cr_assert_eq(
        test_wait_policy_int(s_fixture.node, "wish-publisher", "lag", 0, 10000),
        0);
    /* approved 0, 1, 2; cancelled 0; fulfilled 1; approved 3 */
    const char *want_type[] = {"WishApproved",  "WishApproved",
                               "WishApproved",  "WishCancelled",
                               "WishFulfilled", "WishApproved"};
    const int want_wish[] = {0, 1, 2, 0, 1, 3};
    test_event_t events[20];
    long long deadline = test_now_ms() + 10000;
    int total;
    while ((total = s_read_all(events, 20)) < 6 && test_now_ms() < deadline)
        test_sleep_ms(20);
    cr_assert_eq(total, 6, "each update appears once");
    for (int i = 0; i < 6; i++) {
        cr_assert_str_eq(events[i].entity, "child/hal");
        json_t *event = json_loads(events[i].payload, 0, NULL);
        cr_assert_not_null(event, "%s", events[i].payload);
        cr_assert_str_eq(json_string_value(json_object_get(event, "type")),
                         want_type[i], "update %d: %s", i, events[i].payload);
        cr_assert_str_eq(json_string_value(json_object_get(event, "wish_id")),
                         ids[want_wish[i]], "update %d", i);
        json_decref(event);
    }
}

Test(wish, the_story_runs_through_a_client_that_follows_only_the_protocol)
{
    const char *root = getenv("SHOAL_SOURCE_ROOT");
    cr_assert_not_null(root, "SHOAL_SOURCE_ROOT is not set");
    char script[4096];
    snprintf(script, sizeof script, "%s/examples/wish/protocol_client.py",
             root);
    const char *argv[] = {"/usr/bin/python3",
                          script,
                          node_process_client_endpoint(s_fixture.node),
                          node_process_status_endpoint(s_fixture.node),
                          "ida",
                          NULL};
    char *out = NULL, *err = NULL;
    int rc = test_run_program(argv, 60000, &out, &err);
    cr_assert_eq(rc, 0, "the protocol client failed (%d):\n%s\n%s", rc,
                 out ? out : "", err ? err : "");
    cr_assert(strstr(out, "the wish story holds"), "%s", out);
    free(out);
    free(err);
}

Test(wish, the_demo_script_walks_the_story_with_the_cli)
{
    const char *root = getenv("SHOAL_SOURCE_ROOT");
    const char *build = getenv("SHOAL_BUILD_ROOT");
    cr_assert(root && build, "SHOAL_SOURCE_ROOT and SHOAL_BUILD_ROOT");
    char script[4096];
    snprintf(script, sizeof script, "%s/examples/wish/demo.sh", root);
    const char *argv[] = {"/bin/sh", script, build, NULL};
    char *out = NULL, *err = NULL;
    int rc = test_run_program(argv, 120000, &out, &err);
    cr_assert_eq(rc, 0, "the demo failed (%d):\n%s\n%s", rc, out ? out : "",
                 err ? err : "");
    cr_assert(strstr(out, "The wish story ran to the end."), "%s", out);
    cr_assert(strstr(out, "WishFulfilled"),
              "wish_updates shows the "
              "fulfilment:\n%s",
              out);
    free(out);
    free(err);
}
