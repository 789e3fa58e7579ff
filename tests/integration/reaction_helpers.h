/*
 * tests/integration/reaction_helpers.h - small helpers shared by the
 * tests of policies, timers, topics and gatekeepers: waiting for an
 * entity's query field, reading a policy's figures from `status`, and
 * reading a topic with the EVENTS verb over a raw DEALER.
 */
#ifndef SHOAL_TESTS_REACTION_HELPERS_H
#define SHOAL_TESTS_REACTION_HELPERS_H

#include "node_process.h"

#include <czmq.h>
#include <criterion/criterion.h>
#include <string.h>

/* Polls `get TYPE ID` until its integer field equals want or timeout_ms
 * passes. Returns the last value seen. */
static inline long long test_wait_get_int(const node_process_t *node,
                                          const char *type, const char *id,
                                          const char *field, long long want,
                                          int timeout_ms)
{
    long long deadline = test_now_ms() + timeout_ms, value;
    while ((value = node_process_get_int(node, type, id, field)) != want &&
           test_now_ms() < deadline)
        test_sleep_ms(20);
    return value;
}

/* Returns integer field of the policy named name in `status`, or
 * INT64_MIN. */
static inline long long test_policy_int(const node_process_t *node,
                                        const char *name, const char *field)
{
    json_t *status = node_process_status_json(node);
    long long value = INT64_MIN;
    json_t *policies = status ? json_object_get(status, "policies") : NULL;
    size_t index;
    json_t *policy;
    json_array_foreach(policies, index, policy)
    {
        const char *policy_name =
            json_string_value(json_object_get(policy, "name"));
        json_t *number = json_object_get(policy, field);
        if (policy_name && strcmp(policy_name, name) == 0 &&
            json_is_integer(number))
            value = json_integer_value(number);
    }
    json_decref(status);
    return value;
}

/* Polls a policy's field until it equals want. Returns the last value. */
static inline long long test_wait_policy_int(const node_process_t *node,
                                             const char *name,
                                             const char *field, long long want,
                                             int timeout_ms)
{
    long long deadline = test_now_ms() + timeout_ms, value;
    while ((value = test_policy_int(node, name, field)) != want &&
           test_now_ms() < deadline)
        test_sleep_ms(20);
    return value;
}

/* One event read from a topic. */
typedef struct {
    char position[32];
    char entity[300];
    char payload[256];
} test_event_t;

/* Reads up to max events of topic after cursor (in/out: replaced by the
 * reply's cursor, cursor_size bytes) into events. Returns the count, or
 * -1 on an ERROR reply or no reply (the reason is printed). */
static inline int test_read_events(const node_process_t *node,
                                   const char *topic, char *cursor,
                                   size_t cursor_size, int max,
                                   test_event_t *events)
{
    zsock_t *dealer = zsock_new_dealer(node_process_client_endpoint(node));
    cr_assert_not_null(dealer);
    zsock_set_rcvtimeo(dealer, TEST_REQUEST_TIMEOUT_MS);
    char max_text[16];
    snprintf(max_text, sizeof max_text, "%d", max);
    zstr_sendx(dealer, "SHOAL/1", "r1", "EVENTS", topic, cursor, max_text,
               NULL);
    zmsg_t *reply = zmsg_recv(dealer);
    zsock_destroy(&dealer);
    if (!reply) {
        fprintf(stderr, "EVENTS %s: no reply\n", topic);
        return -1;
    }
    char *version = zmsg_popstr(reply), *id = zmsg_popstr(reply),
         *status = zmsg_popstr(reply);
    int count = -1;
    if (status && strcmp(status, "EVENTS") == 0) {
        char *next = zmsg_popstr(reply), *number = zmsg_popstr(reply);
        snprintf(cursor, cursor_size, "%s", next ? next : "");
        count = number ? atoi(number) : -1;
        for (int i = 0; i < count; i++) {
            char *position = zmsg_popstr(reply), *entity = zmsg_popstr(reply),
                 *written = zmsg_popstr(reply), *payload = zmsg_popstr(reply);
            snprintf(events[i].position, sizeof events[i].position, "%s",
                     position ? position : "");
            snprintf(events[i].entity, sizeof events[i].entity, "%s",
                     entity ? entity : "");
            snprintf(events[i].payload, sizeof events[i].payload, "%s",
                     payload ? payload : "");
            free(position);
            free(entity);
            free(written);
            free(payload);
        }
        free(next);
        free(number);
    } else {
        char *code = zmsg_popstr(reply), *text = zmsg_popstr(reply);
        fprintf(stderr, "EVENTS %s: %s %s: %s\n", topic, status, code, text);
        free(code);
        free(text);
    }
    free(version);
    free(id);
    free(status);
    zmsg_destroy(&reply);
    return count;
}

/* Sends a command and returns its reply status, copying the body into
 * body (body_size bytes) when not NULL. Fails the test without a reply. */
static inline shoal_reply_status_t test_call(shoal_client_t *client,
                                             const char *type, const char *id,
                                             const char *command,
                                             const char *payload, char *body,
                                             size_t body_size)
{
    shoal_reply_t reply = {0};
    int rc = shoal_client_call(client, type, id, command, payload,
                               payload ? strlen(payload) : 0, NULL, &reply,
                               TEST_REQUEST_TIMEOUT_MS);
    cr_assert_eq(rc, 0, "%s/%s %s: no reply", type, id, command);
    if (body)
        snprintf(body, body_size, "%s%s%s",
                 reply.error_code ? reply.error_code : "",
                 reply.error_code ? ": " : "", reply.body);
    shoal_reply_status_t status = reply.status;
    shoal_reply_clear(&reply);
    return status;
}

#endif
