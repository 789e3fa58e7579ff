/*
 * tests/integration/test_busy.c - a full entity stash answers `busy`
 * instead of queueing without bound, and never loses or duplicates a
 * request: with --stash-capacity 1, a burst of pipelined commands to one
 * counter gets exactly one reply each, some of them busy, and the counter
 * ends at the number of ACCEPTED replies.
 */
#include "node_fixture.h"
#include "node_process.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BURST 500
#define STRAY_WAIT_MS 300

static node_fixture_t s_fixture;

static void s_setup(void)
{
    node_fixture_init(&s_fixture);
}

static void s_teardown(void)
{
    node_fixture_fini(&s_fixture);
}

TestSuite(busy, .init = s_setup, .fini = s_teardown);

Test(busy, full_stash_answers_busy_and_loses_nothing)
{
    s_fixture.node = node_process_start_examples(s_fixture.dir,
                                                 "--stash-capacity", "1", NULL);
    node_fixture_connect(&s_fixture);

    for (int i = 0; i < BURST; i++) {
        char request_id[16];
        snprintf(request_id, sizeof request_id, "%d", i);
        cr_assert_eq(shoal_client_send(s_fixture.client, request_id, "counter",
                                       "hot", "Increment", "{\"by\":1}", 8,
                                       NULL),
                     0, "send %d failed", i);
    }

    static bool answered[BURST];
    int accepted = 0, busy = 0;
    long long last_value = 0;
    for (int i = 0; i < BURST; i++) {
        shoal_reply_t reply = {0};
        int rc = shoal_client_receive(s_fixture.client, &reply,
                                      TEST_REQUEST_TIMEOUT_MS);
        cr_assert_eq(rc, 0, "only %d of %d requests answered", i, BURST);
        char *end;
        long request = strtol(reply.request_id, &end, 10);
        cr_assert(*end == '\0' && request >= 0 && request < BURST,
                  "reply for unknown request id '%s'", reply.request_id);
        cr_assert_not(answered[request], "request %ld answered twice", request);
        answered[request] = true;
        if (reply.status == SHOAL_REPLY_ACCEPTED) {
            long long value = test_json_int(reply.body, "value");
            cr_assert_eq(value, last_value + 1,
                         "accepted replies out of order: %lld after %lld",
                         value, last_value);
            last_value = value;
            accepted++;
        } else {
            cr_assert_eq(reply.status, SHOAL_REPLY_ERROR,
                         "request %ld: status %d: %s", request, reply.status,
                         reply.body);
            cr_assert_str_eq(reply.error_code, "busy", "request %ld: %s",
                             request, reply.body);
            busy++;
        }
        shoal_reply_clear(&reply);
    }
    shoal_reply_t stray = {0};
    cr_assert_neq(shoal_client_receive(s_fixture.client, &stray, STRAY_WAIT_MS),
                  0, "a reply beyond one per request: %s", stray.request_id);

    cr_log_info("%d accepted, %d busy", accepted, busy);
    cr_assert_geq(busy, 1, "no busy reply with a stash of 1");
    cr_assert_geq(accepted, 1);
    cr_assert_eq(
        node_process_get_int(s_fixture.node, "counter", "hot", "value"),
        accepted, "value differs from the accepted count");
    json_t *status = node_process_status_json(s_fixture.node);
    json_t *commands = json_object_get(status, "commands");
    cr_assert(json_is_object(commands), "status has no \"commands\"");
    cr_assert_eq(json_integer_value(json_object_get(commands, "accepted")),
                 accepted, "status counts another number of accepted");
    cr_assert_eq(json_integer_value(json_object_get(commands, "busy")), busy,
                 "status counts another number of busy");
    json_decref(status);

    /* The node still serves the entity normally. */
    shoal_reply_t reply = {0};
    cr_assert_eq(shoal_client_call(s_fixture.client, "counter", "hot",
                                   "Increment", NULL, 0, NULL, &reply,
                                   TEST_REQUEST_TIMEOUT_MS),
                 0);
    cr_assert_eq(reply.status, SHOAL_REPLY_ACCEPTED);
    cr_assert_eq(test_json_int(reply.body, "value"), accepted + 1);
    shoal_reply_clear(&reply);
}

/* With a worker inbox of one request, a burst to many entities outruns the
 * worker: the main thread answers busy, every request still gets exactly
 * one reply, and each counter ends at its accepted count. */
Test(busy, full_worker_inbox_answers_busy_and_loses_nothing)
{
    s_fixture.node = node_process_start_examples(
        s_fixture.dir, "--inbox-capacity", "1", "--workers", "1", NULL);
    node_fixture_connect(&s_fixture);
    enum { ENTITIES = 50 };
    for (int i = 0; i < BURST; i++) {
        char request_id[16], entity[16];
        snprintf(request_id, sizeof request_id, "%d", i);
        snprintf(entity, sizeof entity, "e%d", i % ENTITIES);
        cr_assert_eq(shoal_client_send(s_fixture.client, request_id, "counter",
                                       entity, "Increment", NULL, 0, NULL),
                     0);
    }
    static bool answered[BURST];
    long long accepted[ENTITIES] = {0};
    int busy = 0;
    for (int i = 0; i < BURST; i++) {
        shoal_reply_t reply = {0};
        cr_assert_eq(shoal_client_receive(s_fixture.client, &reply,
                                          TEST_REQUEST_TIMEOUT_MS),
                     0, "only %d of %d requests answered", i, BURST);
        long request = strtol(reply.request_id, NULL, 10);
        cr_assert(request >= 0 && request < BURST && !answered[request]);
        answered[request] = true;
        if (reply.status == SHOAL_REPLY_ACCEPTED) {
            accepted[request % ENTITIES]++;
        } else {
            cr_assert_eq(reply.status, SHOAL_REPLY_ERROR);
            cr_assert_str_eq(reply.error_code, "busy");
            busy++;
        }
        shoal_reply_clear(&reply);
    }
    cr_log_info("%d busy of %d", busy, BURST);
    cr_assert_geq(busy, 1, "no busy reply with an inbox of 1");
    for (int i = 0; i < ENTITIES; i++) {
        char entity[16];
        snprintf(entity, sizeof entity, "e%d", i);
        cr_assert_eq(
            node_process_get_int(s_fixture.node, "counter", entity, "value"),
            accepted[i], "counter %s", entity);
    }
    json_t *status = node_process_status_json(s_fixture.node);
    cr_assert_eq(json_integer_value(json_object_get(
                     json_object_get(status, "commands"), "busy")),
                 busy, "status counts another number of busy");
    json_decref(status);
}
