/*
 * tests/integration/test_malformed.c - every malformed request gets an
 * answer (or, when it cannot be addressed, is dropped) and the node keeps
 * serving: after each one, a valid command on the same socket is still
 * ACCEPTED, and its reply is the next one the socket receives.
 *
 * The requests are built frame by frame with raw CZMQ sockets, so the
 * test depends on docs/PROTOCOL.md alone: DEALER with and without the
 * empty delimiter, REQ, on the client port and the status socket.
 */
#include "node_fixture.h"
#include "node_process.h"
#include "shoal/plugin.h"

#include <criterion/criterion.h>
#include <czmq.h>
#include <stdio.h>
#include <string.h>

#define RECEIVE_TIMEOUT_MS 5000
#define DROP_WAIT_MS 300

static node_fixture_t s_fixture;
static zsock_t *s_socket;
static bool s_delimiter; /* does s_socket send a delimiter frame first? */
static bool s_is_req;
static long long s_expected_value; /* of counter "m" */
static int s_request_number;

static void s_setup(void)
{
    s_expected_value = 0;
    s_request_number = 0;
    node_fixture_init(&s_fixture);
    s_fixture.node = node_process_start_examples(s_fixture.dir, "--max-payload",
                                                 "1024", NULL);
    cr_assert_not_null(s_fixture.node);
}

static void s_teardown(void)
{
    zsock_destroy(&s_socket);
    node_fixture_fini(&s_fixture);
}

TestSuite(malformed, .init = s_setup, .fini = s_teardown);

/* --- Sockets and frames ----------------------------------------------- */

/* Opens s_socket on endpoint: type ZMQ_DEALER or ZMQ_REQ; a DEALER sends
 * the empty delimiter when delimiter is set (a REQ always does). */
static void s_open(const char *endpoint, int type, bool delimiter)
{
    zsock_destroy(&s_socket);
    s_socket = zsock_new(type);
    cr_assert_not_null(s_socket);
    zsock_set_linger(s_socket, 0);
    zsock_set_rcvtimeo(s_socket, RECEIVE_TIMEOUT_MS);
    cr_assert_eq(zsock_connect(s_socket, "%s", endpoint), 0);
    s_is_req = type == ZMQ_REQ;
    s_delimiter = delimiter && !s_is_req;
}

static void s_open_client(int type, bool delimiter)
{
    s_open(node_process_client_endpoint(s_fixture.node), type, delimiter);
}

/* Sends msg (destroyed), adding the delimiter when the socket wants it. */
static void s_send(zmsg_t **msg)
{
    if (s_delimiter)
        zmsg_pushmem(*msg, "", 0);
    cr_assert_eq(zmsg_send(msg, s_socket), 0);
}

/* Receives a reply and strips the delimiter, checking it is there when
 * it was sent. Returns NULL on timeout. */
static zmsg_t *s_receive(int timeout_ms)
{
    zsock_set_rcvtimeo(s_socket, timeout_ms);
    zmsg_t *reply = zmsg_recv(s_socket);
    if (!reply)
        return NULL;
    if (s_delimiter) {
        zframe_t *delimiter = zmsg_pop(reply);
        cr_assert(delimiter && zframe_size(delimiter) == 0,
                  "a request with a delimiter got a reply without one");
        zframe_destroy(&delimiter);
    }
    return reply;
}

/* Builds a message from count strings. */
static zmsg_t *s_message(int count, ...)
{
    zmsg_t *msg = zmsg_new();
    va_list list;
    va_start(list, count);
    for (int i = 0; i < count; i++) {
        const char *frame = va_arg(list, const char *);
        zmsg_addmem(msg, frame, strlen(frame));
    }
    va_end(list);
    return msg;
}

/* A SEND request with the given frames 3..6, as strings. */
static zmsg_t *s_send_request(const char *request_id, const char *type,
                              const char *entity, const char *command,
                              const char *payload)
{
    return s_message(7, SHOAL_PROTOCOL_VERSION, request_id, "SEND", type,
                     entity, command, payload);
}

/* A string of size copies of c, the caller's. */
static char *s_repeat(char c, size_t size)
{
    char *text = malloc(size + 1);
    cr_assert_not_null(text);
    memset(text, c, size);
    text[size] = '\0';
    return text;
}

/* Pops a frame and returns it as a string (the caller's). */
static char *s_pop_string(zmsg_t *msg)
{
    char *text = zmsg_popstr(msg);
    cr_assert_not_null(text, "reply has too few frames");
    return text;
}

static void s_expect_frame(zmsg_t *msg, const char *expected, const char *what)
{
    char *frame = s_pop_string(msg);
    cr_assert_str_eq(frame, expected, "%s: '%s', expected '%s'", what, frame,
                     expected);
    free(frame);
}

/* Checks a client port ERROR reply with the given code. */
static void s_expect_error(zmsg_t *reply, const char *code, const char *what)
{
    cr_assert_not_null(reply, "%s: no reply", what);
    s_expect_frame(reply, SHOAL_PROTOCOL_VERSION, what);
    free(s_pop_string(reply)); /* request id: may be empty */
    s_expect_frame(reply, "ERROR", what);
    s_expect_frame(reply, code, what);
    char *message = s_pop_string(reply);
    cr_assert_gt(strlen(message), 0, "%s: empty error message", what);
    free(message);
    cr_assert_eq(zmsg_size(reply), 0, "%s: extra frames", what);
    zmsg_destroy(&reply);
}

/* Sends msg and expects ERROR with code. */
static void s_expect_answer_error(zmsg_t *msg, const char *code,
                                  const char *what)
{
    s_send(&msg);
    s_expect_error(s_receive(RECEIVE_TIMEOUT_MS), code, what);
}

/* Sends a valid Increment to counter "m" and expects its ACCEPTED reply
 * to be the next reply on the socket. */
static void s_expect_serving(const char *after)
{
    char request_id[32];
    snprintf(request_id, sizeof request_id, "ok-%d", ++s_request_number);
    zmsg_t *msg =
        s_send_request(request_id, "counter", "m", "Increment", "{\"by\":1}");
    s_send(&msg);
    zmsg_t *reply = s_receive(RECEIVE_TIMEOUT_MS);
    cr_assert_not_null(reply, "after %s: no reply to a valid command", after);
    s_expect_frame(reply, SHOAL_PROTOCOL_VERSION, after);
    s_expect_frame(reply, request_id, after);
    s_expect_frame(reply, "ACCEPTED", after);
    s_expected_value++;
    char *first_seq = s_pop_string(reply);
    cr_assert_eq(atoll(first_seq), s_expected_value, "after %s: first_seq %s",
                 after, first_seq);
    free(first_seq);
    s_expect_frame(reply, "1", after);
    char *body = s_pop_string(reply);
    cr_assert_eq(test_json_int(body, "value"), s_expected_value,
                 "after %s: reply %s", after, body);
    free(body);
    zmsg_destroy(&reply);
    cr_assert(node_process_alive(s_fixture.node), "the node died after %s",
              after);
}

/* --- Client port -------------------------------------------------------- */

/* Sends msg, expects ERROR code, then checks the node still serves. */
static void s_case(zmsg_t *msg, const char *code, const char *what)
{
    s_expect_answer_error(msg, code, what);
    s_expect_serving(what);
}

/* A SEND request to counter "m" whose frame `index` (0..7) is replaced by
 * size bytes of value (a frame with embedded NULs is possible). The
 * command id frame 7 is only present when it is the one replaced. */
static zmsg_t *s_request_with_frame(int index, const void *value, size_t size)
{
    const char *frames[] = {SHOAL_PROTOCOL_VERSION,
                            "bad",
                            "SEND",
                            "counter",
                            "m",
                            "Increment",
                            "{\"by\":1}"};
    zmsg_t *msg = zmsg_new();
    for (int i = 0; i < 8; i++) {
        if (i == index)
            zmsg_addmem(msg, value, size);
        else if (i < 7)
            zmsg_addmem(msg, frames[i], strlen(frames[i]));
    }
    return msg;
}

static zmsg_t *s_request_with_string(int index, const char *value)
{
    return s_request_with_frame(index, value, strlen(value));
}

/* Sends msg and expects ACCEPTED; returns the reply body's "value". */
static long long s_expect_accepted(zmsg_t *msg, const char *what)
{
    s_send(&msg);
    zmsg_t *reply = s_receive(RECEIVE_TIMEOUT_MS);
    cr_assert_not_null(reply, "%s: no reply", what);
    s_expect_frame(reply, SHOAL_PROTOCOL_VERSION, what);
    free(s_pop_string(reply));
    char *status = s_pop_string(reply);
    if (strcmp(status, "ACCEPTED") != 0) {
        char *rest = zmsg_popstr(reply);
        char *more = zmsg_popstr(reply);
        cr_assert_fail("%s: %s %s %s", what, status, rest ? rest : "",
                       more ? more : "");
    }
    free(status);
    free(s_pop_string(reply));
    free(s_pop_string(reply));
    char *body = s_pop_string(reply);
    long long value = test_json_int(body, "value");
    free(body);
    zmsg_destroy(&reply);
    return value;
}

static void s_missing_frames_cases(void)
{
    s_case(s_message(1, SHOAL_PROTOCOL_VERSION), "malformed",
           "only the version frame");
    s_case(s_message(2, SHOAL_PROTOCOL_VERSION, "r"), "malformed", "no verb");
    s_case(s_message(3, SHOAL_PROTOCOL_VERSION, "r", "SEND"), "malformed",
           "SEND without type");
    s_case(s_message(5, SHOAL_PROTOCOL_VERSION, "r", "SEND", "counter", "m"),
           "malformed", "SEND without command");
    s_case(s_message(6, SHOAL_PROTOCOL_VERSION, "r", "SEND", "counter", "m",
                     "Increment"),
           "malformed", "SEND without payload");
}

static void s_length_cases(void)
{
    char *long_request_id = s_repeat('r', SHOAL_REQUEST_ID_MAX + 1);
    s_case(s_message(3, SHOAL_PROTOCOL_VERSION, long_request_id, "PING"),
           "malformed", "request id of 65 bytes");
    free(long_request_id);

    char *long_type = s_repeat('t', SHOAL_TYPE_NAME_MAX + 1);
    s_case(s_request_with_string(3, long_type), "malformed",
           "type of 65 bytes");
    long_type[SHOAL_TYPE_NAME_MAX] = '\0';
    s_case(s_request_with_string(3, long_type), "unknown_type",
           "unknown type of 64 bytes");
    free(long_type);

    char *long_entity = s_repeat('e', SHOAL_ENTITY_ID_MAX + 1);
    s_case(s_request_with_string(4, long_entity), "malformed",
           "entity id of 257 bytes");
    long_entity[SHOAL_ENTITY_ID_MAX] = '\0';
    cr_assert_eq(s_expect_accepted(s_request_with_string(4, long_entity),
                                   "entity id of 256 bytes"),
                 1);
    free(long_entity);

    char *long_command = s_repeat('C', SHOAL_COMMAND_NAME_MAX + 1);
    s_case(s_request_with_string(5, long_command), "malformed",
           "command name of 65 bytes");
    free(long_command);

    char *long_command_id = s_repeat('i', SHOAL_COMMAND_ID_MAX + 1);
    s_case(s_request_with_string(7, long_command_id), "malformed",
           "command id of 129 bytes");
    long_command_id[SHOAL_COMMAND_ID_MAX] = '\0';
    cr_assert_eq(s_expect_accepted(s_request_with_string(7, long_command_id),
                                   "command id of 128 bytes"),
                 ++s_expected_value);
    free(long_command_id);
    s_expect_serving("command id of 128 bytes");
}

static void s_form_cases(void)
{
    s_case(s_request_with_string(2, "FOO"), "malformed", "unknown verb");
    s_case(s_request_with_string(2, "send"), "malformed", "lower-case verb");
    s_case(s_request_with_string(3, ""), "malformed", "empty type");
    s_case(s_request_with_string(3, "coun ter"), "malformed",
           "type with a space");
    s_case(s_request_with_string(3, "nosuchtype"), "unknown_type",
           "unknown type");
    s_case(s_request_with_string(4, ""), "malformed", "empty entity id");
    s_case(s_request_with_string(4, "a/b"), "malformed",
           "entity id with a slash");
    s_case(s_request_with_frame(4, "a\0b", 3), "malformed",
           "entity id with a NUL");
    s_case(s_request_with_string(5, ""), "malformed", "empty command name");
    s_case(s_request_with_string(5, "Incr ement"), "malformed",
           "command name with a space");
    s_case(s_request_with_frame(7, "c\0d", 3), "malformed",
           "command id with a NUL");
}

static void s_payload_cases(void)
{
    /* The node runs with --max-payload 1024. */
    char *payload = s_repeat(' ', 1025);
    memcpy(payload, "{\"by\":1}", 8);
    s_case(s_request_with_string(6, payload), "malformed",
           "payload of 1025 bytes");
    payload[1024] = '\0';
    cr_assert_eq(s_expect_accepted(s_request_with_string(6, payload),
                                   "payload of 1024 bytes"),
                 ++s_expected_value);
    free(payload);
    s_expect_serving("payload of 1024 bytes");
}

static void s_ping_case(void)
{
    char *request_id = s_repeat('p', SHOAL_REQUEST_ID_MAX);
    zmsg_t *msg = s_message(3, SHOAL_PROTOCOL_VERSION, request_id, "PING");
    s_send(&msg);
    zmsg_t *reply = s_receive(RECEIVE_TIMEOUT_MS);
    cr_assert_not_null(reply, "PING: no reply");
    s_expect_frame(reply, SHOAL_PROTOCOL_VERSION, "PING");
    s_expect_frame(reply, request_id, "PING");
    s_expect_frame(reply, "PONG", "PING");
    cr_assert_eq(zmsg_size(reply), 0, "PONG has extra frames");
    zmsg_destroy(&reply);
    free(request_id);
}

static void s_client_port_cases(void)
{
    s_expect_serving("nothing");
    s_ping_case();
    s_case(s_message(3, "SHOAL/2", "v", "PING"), "unsupported_version",
           "version SHOAL/2");
    s_case(s_request_with_string(0, "shoal/1"), "unsupported_version",
           "version in lower case");
    s_missing_frames_cases();
    s_length_cases();
    s_form_cases();
    s_payload_cases();
}

Test(malformed, dealer_without_delimiter_gets_answers)
{
    s_open_client(ZMQ_DEALER, false);
    s_client_port_cases();
}

Test(malformed, dealer_with_delimiter_gets_answers)
{
    s_open_client(ZMQ_DEALER, true);
    s_client_port_cases();
}

Test(malformed, req_socket_gets_answers)
{
    s_open_client(ZMQ_REQ, true);
    s_client_port_cases();
}

Test(malformed, empty_message_after_delimiter_is_dropped)
{
    s_open_client(ZMQ_DEALER, false);
    /* A lone empty frame is a delimiter with nothing after it: it cannot
     * be answered. The next request is answered, and its reply is the
     * first one the socket sees. */
    zmsg_t *msg = s_message(1, "");
    s_send(&msg);
    s_expect_serving("an empty message");
    msg = s_message(1, "");
    s_send(&msg);
    msg = s_message(1, "");
    s_send(&msg);
    s_expect_serving("two empty messages");
    cr_assert_null(s_receive(DROP_WAIT_MS), "an empty message was answered");
}

Test(malformed, node_serves_other_clients_meanwhile)
{
    /* Malformed traffic on one socket does not disturb another. */
    s_open_client(ZMQ_DEALER, false);
    shoal_client_t *client = node_process_client(s_fixture.node);
    cr_assert_not_null(client);
    for (int i = 0; i < 20; i++) {
        zmsg_t *msg = s_message(2, "SHOAL/1", "x");
        s_send(&msg);
        shoal_reply_t reply = {0};
        int rc =
            shoal_client_call(client, "counter", "other", "Increment", NULL, 0,
                              NULL, &reply, TEST_REQUEST_TIMEOUT_MS);
        cr_assert_eq(rc, 0);
        cr_assert_eq(reply.status, SHOAL_REPLY_ACCEPTED);
        shoal_reply_clear(&reply);
        s_expect_error(s_receive(RECEIVE_TIMEOUT_MS), "malformed",
                       "missing verb");
    }
    shoal_client_destroy(&client);
    cr_assert_eq(
        node_process_get_int(s_fixture.node, "counter", "other", "value"), 20);
}

/* --- Status socket ------------------------------------------------------ */

static void s_open_status(int type, bool delimiter)
{
    s_open(node_process_status_endpoint(s_fixture.node), type, delimiter);
}

/* Sends a one-frame status request and returns the answer (the caller's),
 * checking the status frame is `expected`. */
static char *s_status_request(const char *request, const char *expected)
{
    zmsg_t *msg = s_message(1, request);
    s_send(&msg);
    zmsg_t *reply = s_receive(RECEIVE_TIMEOUT_MS);
    cr_assert_not_null(reply, "status '%s': no reply", request);
    s_expect_frame(reply, expected, request);
    char *answer = s_pop_string(reply);
    cr_assert_eq(zmsg_size(reply), 0, "status '%s': extra frames", request);
    zmsg_destroy(&reply);
    return answer;
}

static void s_expect_status_ok(void)
{
    char *answer = s_status_request("status", "OK");
    json_t *json = json_loads(answer, 0, NULL);
    cr_assert(json_is_object(json), "status is not a JSON object: %s", answer);
    cr_assert(json_is_string(json_object_get(json, "node")), "%s", answer);
    cr_assert(json_is_integer(json_object_get(json, "entities")), "%s", answer);
    json_decref(json);
    free(answer);
}

static void s_status_error_case(const char *request)
{
    char *message = s_status_request(request, "ERROR");
    cr_assert_gt(strlen(message), 0, "'%s': empty error message", request);
    free(message);
    s_expect_status_ok();
}

static void s_status_cases(void)
{
    s_expect_status_ok();
    s_status_error_case("bogus");
    s_status_error_case("STATUS please");
    s_status_error_case("get");
    s_status_error_case("get counter");
    s_status_error_case("get nosuchtype x");

    char *answer = s_status_request("get counter m", "OK");
    json_t *json = json_loads(answer, 0, NULL);
    cr_assert(json_is_object(json), "get: not JSON: %s", answer);
    cr_assert_eq(json_integer_value(json_object_get(json, "value")), 0);
    json_decref(json);
    free(answer);

    answer = s_status_request("metrics", "OK");
    cr_assert(strncmp(answer, "shoal_", 6) == 0 || strstr(answer, "\nshoal_"),
              "metrics: no shoal_ line: %s", answer);
    free(answer);
}

Test(malformed, status_socket_dealer_without_delimiter)
{
    s_open_status(ZMQ_DEALER, false);
    s_status_cases();
    /* A lone empty frame is dropped; the next request is answered. */
    zmsg_t *msg = s_message(1, "");
    s_send(&msg);
    s_expect_status_ok();
    cr_assert_null(s_receive(DROP_WAIT_MS), "an empty message was answered");
}

Test(malformed, status_socket_dealer_with_delimiter)
{
    s_open_status(ZMQ_DEALER, true);
    s_status_cases();
}

Test(malformed, status_socket_req)
{
    s_open_status(ZMQ_REQ, true);
    s_status_cases();
}
