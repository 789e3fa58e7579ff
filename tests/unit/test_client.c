/*
 * tests/unit/test_client.c - the client library (runtime/client.c) against
 * a fake node.
 *
 * The fake node is a zactor holding two ROUTER sockets on ephemeral ports,
 * a client port and a status socket, that answer per docs/PROTOCOL.md.
 * What it answers is chosen by the command name (client port) or the
 * request text (status socket), so each test can provoke the reply it
 * needs: acceptance, rejection, an error, silence, a late answer or one of
 * a table of invalid replies.
 */
#include "shoal/client.h"

#include <criterion/criterion.h>
#include <czmq.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* How long a test waits for an answer it expects, and for one it does
 * not (a timeout under test). */
#define ANSWER_TIMEOUT_MS 5000
#define SILENCE_TIMEOUT_MS 100

/* Replies the node must not accept, one per row; "@" stands for the
 * request id the client sent. The "garbage" command's payload picks the
 * row. */
#define GARBAGE_FRAMES_MAX 8
static const char *const garbage_replies[][GARBAGE_FRAMES_MAX] = {
    {"SHOAL/2", "@", "PONG"},                    /* wrong version */
    {"SHOAL/1", "@", "DONE"},                    /* unknown status */
    {"SHOAL/1", "@"},                            /* no status */
    {"SHOAL/1"},                                 /* no request id */
    {"SHOAL/1", "@", "ACCEPTED", "1", "1"},      /* no reply frame */
    {"SHOAL/1", "@", "ACCEPTED", "x", "1", ""},  /* not a number */
    {"SHOAL/1", "@", "ACCEPTED", "-1", "1", ""}, /* a sign */
    {"SHOAL/1", "@", "ACCEPTED", "01", "1", ""}, /* a leading zero */
    {"SHOAL/1", "@", "ACCEPTED", "", "0", ""},   /* an empty number */
    {"SHOAL/1", "@", "ACCEPTED", "0", "2", ""},  /* events, no seq */
    {"SHOAL/1", "@", "ACCEPTED", "4", "0", ""},  /* seq, no events */
    /* a sequence number past 64 bits, and a range that wraps */
    {"SHOAL/1", "@", "REJECTED", "18446744073709551616", "1", ""},
    {"SHOAL/1", "@", "REJECTED", "18446744073709551615", "2", ""},
    {"SHOAL/1", "@", "ACCEPTED", "1", "1", "", "extra"}, /* extra frame */
    {"SHOAL/1", "@", "ERROR", "", "no code"},            /* empty code */
    {"SHOAL/1", "@", "ERROR", "Busy!", "odd code"},      /* not a code */
    {"SHOAL/1", "@", "ERROR", "busy"},                   /* no message */
    {"SHOAL/1", "@", "PONG", ""},                        /* extra frame */
    {"", "SHOAL/1", "@", "PONG"},                        /* a delimiter */
    {"SHOAL/1",
     "0123456789012345678901234567890123456789012345678901234567890123X",
     "PONG"}, /* a request id past 64 bytes */
};
#define GARBAGE_REPLY_COUNT (sizeof garbage_replies / sizeof garbage_replies[0])

/* ---------------------------------------------------------------------
 * The fake node
 */

/* Appends a reply's frames to reply, after the peer's envelope. */
static void s_add_frames(zmsg_t *reply, const char *const *frames, size_t count,
                         const char *request_id)
{
    for (size_t index = 0; index < count && frames[index] != NULL; index++)
        zmsg_addstr(reply, strcmp(frames[index], "@") == 0 ? request_id
                                                           : frames[index]);
}

/* Answers one SEND per its command name (frames: type, entity id, command,
 * payload, optional command id). Returns false to stay silent. */
static bool s_answer_send(zmsg_t *request, zmsg_t *reply,
                          const char *request_id)
{
    char *type = zmsg_popstr(request);
    char *entity_id = zmsg_popstr(request);
    char *command = zmsg_popstr(request);
    zframe_t *payload = zmsg_pop(request);
    char *command_id = zmsg_popstr(request);
    bool answer = true;
    char number[32];

    if (payload == NULL || zmsg_size(request) > 0) {
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "@", "ERROR", "malformed",
                                      "wrong frame count"},
                     5, request_id);
    } else if (streq(command, "echo")) {
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "@", "ACCEPTED", "3", "2"}, 5,
                     request_id);
        zmsg_addmem(reply, zframe_data(payload), zframe_size(payload));
    } else if (streq(command, "describe")) {
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "@", "ACCEPTED", "0", "0"}, 5,
                     request_id);
        zmsg_addstrf(reply, "%s|%s|%s|%zu|%s", type, entity_id, command,
                     zframe_size(payload),
                     command_id != NULL ? command_id : "<none>");
    } else if (streq(command, "reject")) {
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "@", "REJECTED", "7", "1",
                                      "insufficient funds"},
                     6, request_id);
    } else if (streq(command, "busy")) {
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "@", "ERROR", "busy",
                                      "worker inbox full"},
                     5, request_id);
    } else if (streq(command, "pong")) {
        s_add_frames(reply, (const char *[]){"SHOAL/1", "@", "PONG"}, 3,
                     request_id);
    } else if (streq(command, "slow")) {
        zclock_sleep(300); /* the client under test times out meanwhile */
        s_add_frames(
            reply,
            (const char *[]){"SHOAL/1", "@", "ACCEPTED", "0", "0", "late"}, 6,
            request_id);
    } else if (streq(command, "garbage")) {
        snprintf(number, sizeof number, "%.*s", (int)zframe_size(payload),
                 (char *)zframe_data(payload));
        size_t row = (size_t)atoi(number);
        s_add_frames(reply, garbage_replies[row], GARBAGE_FRAMES_MAX,
                     request_id);
    } else
        answer = false; /* "silent" and anything else */

    zstr_free(&type);
    zstr_free(&entity_id);
    zstr_free(&command);
    zframe_destroy(&payload);
    zstr_free(&command_id);
    return answer;
}

/* Receives one client-port request and answers it, keeping the peer's
 * envelope (routing id, and the delimiter if there was one). */
static void s_serve_client_port(zsock_t *router)
{
    zmsg_t *request = zmsg_recv(router);
    if (request == NULL)
        return;
    zmsg_t *reply = zmsg_new();
    zmsg_append(reply, &(zframe_t *){zmsg_pop(request)});
    if (zframe_size(zmsg_first(request)) == 0)
        zmsg_append(reply, &(zframe_t *){zmsg_pop(request)});

    char *version = zmsg_popstr(request);
    char *request_id = zmsg_popstr(request);
    char *verb = zmsg_popstr(request);
    bool answer = true;
    if (verb != NULL && streq(verb, "PING") && zmsg_size(request) == 0)
        s_add_frames(reply, (const char *[]){"SHOAL/1", "@", "PONG"}, 3,
                     request_id);
    else if (verb != NULL && streq(verb, "SEND") && streq(version, "SHOAL/1"))
        answer = s_answer_send(request, reply, request_id);
    else
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "", "ERROR", "malformed",
                                      "bad request"},
                     5, request_id != NULL ? request_id : "");
    if (answer)
        zmsg_send(&reply, router);
    zmsg_destroy(&reply);
    zstr_free(&version);
    zstr_free(&request_id);
    zstr_free(&verb);
    zmsg_destroy(&request);
}

/* Receives one status request and answers it. Only requests with a
 * delimiter and one text frame are answered OK. */
static void s_serve_status(zsock_t *router)
{
    zmsg_t *request = zmsg_recv(router);
    if (request == NULL)
        return;
    zmsg_t *reply = zmsg_new();
    zmsg_append(reply, &(zframe_t *){zmsg_pop(request)});
    zmsg_addmem(reply, NULL, 0);
    zframe_t *delimiter = zmsg_pop(request);
    char *text = zmsg_popstr(request);
    bool answer = true;

    if (zframe_size(delimiter) != 0 || text == NULL || zmsg_size(request))
        s_add_frames(reply, (const char *[]){"ERROR", "bad envelope"}, 2, "");
    else if (streq(text, "status"))
        s_add_frames(reply, (const char *[]){"OK", "{\"node\":\"fake\"}"}, 2,
                     "");
    else if (streq(text, "get counter c1"))
        s_add_frames(reply, (const char *[]){"OK", "{\"value\":1}"}, 2, "");
    else if (streq(text, "garbage"))
        s_add_frames(reply, (const char *[]){"MAYBE", "?"}, 2, "");
    else if (streq(text, "silent"))
        answer = false;
    else {
        zmsg_addstr(reply, "ERROR");
        zmsg_addstrf(reply, "unknown request '%s'", text);
    }
    if (answer)
        zmsg_send(&reply, router);
    zmsg_destroy(&reply);
    zframe_destroy(&delimiter);
    zstr_free(&text);
    zmsg_destroy(&request);
}

/* Binds a ROUTER with linger 0 on an ephemeral port; returns the port. */
static zsock_t *s_router_new(int *port)
{
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    cr_assert_not_null(router);
    zsock_set_linger(router, 0);
    *port = zsock_bind(router, "tcp://127.0.0.1:*");
    cr_assert_gt(*port, 0);
    return router;
}

/* The fake node's actor: signals, reports its two ports, serves until
 * $TERM. */
static void s_fake_node(zsock_t *pipe, void *args)
{
    (void)args;
    int client_port, status_port;
    zsock_t *client_router = s_router_new(&client_port);
    zsock_t *status_router = s_router_new(&status_port);
    zpoller_t *poller = zpoller_new(pipe, client_router, status_router, NULL);
    zsock_signal(pipe, 0);
    zsock_send(pipe, "ii", client_port, status_port);

    while (true) {
        void *which = zpoller_wait(poller, -1);
        if (which == client_router)
            s_serve_client_port(client_router);
        else if (which == status_router)
            s_serve_status(status_router);
        else {
            char *message = which == pipe ? zstr_recv(pipe) : NULL;
            bool terminate = message == NULL || streq(message, "$TERM");
            zstr_free(&message);
            if (terminate)
                break;
        }
    }
    zpoller_destroy(&poller);
    zsock_destroy(&client_router);
    zsock_destroy(&status_router);
}

/* ---------------------------------------------------------------------
 * Fixtures
 */

static zactor_t *node;
static char client_endpoint[64];
static char status_endpoint[64];
static shoal_client_t *client;
static shoal_reply_t reply;

static void s_start_node(void)
{
    int client_port, status_port;
    node = zactor_new(s_fake_node, NULL);
    cr_assert_not_null(node);
    cr_assert_eq(zsock_recv(node, "ii", &client_port, &status_port), 0);
    snprintf(client_endpoint, sizeof client_endpoint, "tcp://127.0.0.1:%d",
             client_port);
    snprintf(status_endpoint, sizeof status_endpoint, "tcp://127.0.0.1:%d",
             status_port);
    client = shoal_client_new(client_endpoint);
    cr_assert_not_null(client);
}

static void s_stop_node(void)
{
    shoal_reply_clear(&reply);
    shoal_client_destroy(&client);
    zactor_destroy(&node);
}

/* An endpoint on loopback where nobody answers. */
static void s_unbound_endpoint(char *endpoint, size_t size)
{
    /* The port is held by a socket that never listens, until the test's
     * process ends: connections are refused, and no other test running
     * meanwhile can be given it. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)&address, sizeof address), 0);
    socklen_t length = sizeof address;
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&address, &length), 0);
    snprintf(endpoint, size, "tcp://127.0.0.1:%d", ntohs(address.sin_port));
}

/* Calls command on counter/c1 with a text payload. */
static int s_call(const char *command, const char *payload,
                  const char *command_id)
{
    return shoal_client_call(client, "counter", "c1", command, payload,
                             strlen(payload), command_id, &reply,
                             ANSWER_TIMEOUT_MS);
}

/* ---------------------------------------------------------------------
 * Lifecycle
 */

Test(client_lifecycle, new_refuses_malformed_endpoints)
{
    cr_assert_null(shoal_client_new(NULL));
    cr_assert_null(shoal_client_new(""));
    cr_assert_null(shoal_client_new("not an endpoint"));
    cr_assert_null(shoal_client_new("tcp://"));
    cr_assert_null(shoal_client_new("carrier-pigeon://127.0.0.1:7700"));
}

Test(client_lifecycle, destroy_nulls_the_pointer_and_is_null_safe)
{
    shoal_client_t *self = shoal_client_new("tcp://127.0.0.1:7700");
    cr_assert_not_null(self);
    shoal_client_destroy(&self);
    cr_assert_null(self);
    shoal_client_destroy(&self);
}

Test(client_lifecycle, reply_clear_frees_and_zeroes)
{
    shoal_reply_t cleared = {.status = SHOAL_REPLY_ERROR,
                             .first_seq = 9,
                             .error_code = strdup("busy"),
                             .body = strdup("full"),
                             .body_size = 4};
    shoal_reply_clear(&cleared);
    cr_assert_null(cleared.error_code);
    cr_assert_null(cleared.body);
    cr_assert_eq(cleared.first_seq, 0);
    cr_assert_eq(cleared.body_size, 0);
    shoal_reply_clear(NULL);
}

/* ---------------------------------------------------------------------
 * Round trips
 */

TestSuite(client, .init = s_start_node, .fini = s_stop_node);

Test(client, call_returns_accepted_with_sequence_and_reply)
{
    cr_assert_eq(s_call("echo", "{\"balance\":10}", NULL), 0);
    cr_assert_eq(reply.status, SHOAL_REPLY_ACCEPTED);
    cr_assert_eq(reply.first_seq, 3);
    cr_assert_eq(reply.event_count, 2);
    cr_assert_str_eq(reply.body, "{\"balance\":10}");
    cr_assert_eq(reply.body_size, strlen("{\"balance\":10}"));
    cr_assert_null(reply.error_code);
}

Test(client, send_puts_every_field_in_its_frame)
{
    cr_assert_eq(s_call("describe", "abc", "cmd-1"), 0);
    cr_assert_str_eq(reply.body, "counter|c1|describe|3|cmd-1");
}

Test(client, absent_or_empty_command_id_sends_no_frame)
{
    cr_assert_eq(s_call("describe", "", NULL), 0);
    cr_assert_str_eq(reply.body, "counter|c1|describe|0|<none>");
    shoal_reply_clear(&reply);
    cr_assert_eq(s_call("describe", "", ""), 0);
    cr_assert_str_eq(reply.body, "counter|c1|describe|0|<none>");
}

Test(client, reply_body_keeps_embedded_nul_and_is_terminated)
{
    cr_assert_eq(shoal_client_call(client, "counter", "c1", "echo", "a\0b", 3,
                                   NULL, &reply, ANSWER_TIMEOUT_MS),
                 0);
    cr_assert_eq(reply.body_size, 3);
    cr_assert_eq(memcmp(reply.body, "a\0b", 4), 0);
}

Test(client, call_returns_rejection_with_reason_and_events)
{
    cr_assert_eq(s_call("reject", "{}", NULL), 0);
    cr_assert_eq(reply.status, SHOAL_REPLY_REJECTED);
    cr_assert_eq(reply.first_seq, 7);
    cr_assert_eq(reply.event_count, 1);
    cr_assert_str_eq(reply.body, "insufficient funds");
    cr_assert_null(reply.error_code);
}

Test(client, call_returns_error_code_and_message)
{
    cr_assert_eq(s_call("busy", "{}", NULL), 0);
    cr_assert_eq(reply.status, SHOAL_REPLY_ERROR);
    cr_assert_str_eq(reply.error_code, "busy");
    cr_assert_str_eq(reply.body, "worker inbox full");
    cr_assert_eq(reply.body_size, strlen("worker inbox full"));
}

Test(client, ping_is_answered_pong_with_its_request_id)
{
    cr_assert_eq(shoal_client_ping(client, "ping-7"), 0);
    cr_assert_eq(shoal_client_receive(client, &reply, ANSWER_TIMEOUT_MS), 0);
    cr_assert_eq(reply.status, SHOAL_REPLY_PONG);
    cr_assert_str_eq(reply.request_id, "ping-7");
    cr_assert_str_eq(reply.body, "");
    cr_assert_eq(reply.body_size, 0);
}

Test(client, pipelined_replies_carry_their_request_ids)
{
    const char *ids[] = {"a", "", "c"};
    for (size_t index = 0; index < 3; index++)
        cr_assert_eq(shoal_client_send(client, ids[index], "counter", "c1",
                                       "echo", "x", 1, NULL),
                     0);
    cr_assert_eq(shoal_client_ping(client, NULL), 0);
    for (size_t index = 0; index < 3; index++) {
        cr_assert_eq(shoal_client_receive(client, &reply, ANSWER_TIMEOUT_MS),
                     0);
        cr_assert_str_eq(reply.request_id, ids[index]);
        shoal_reply_clear(&reply);
    }
    cr_assert_eq(shoal_client_receive(client, &reply, ANSWER_TIMEOUT_MS), 0);
    cr_assert_eq(reply.status, SHOAL_REPLY_PONG);
    cr_assert_str_eq(reply.request_id, "");
}

Test(client, call_discards_the_late_reply_to_an_earlier_call)
{
    cr_assert_eq(shoal_client_call(client, "counter", "c1", "slow", NULL, 0,
                                   NULL, &reply, SILENCE_TIMEOUT_MS),
                 -1);
    cr_assert_eq(s_call("echo", "fresh", NULL), 0);
    cr_assert_str_eq(reply.body, "fresh");
}

Test(client, call_treats_pong_to_a_command_as_invalid)
{
    cr_assert_eq(s_call("pong", "", NULL), -2);
    cr_assert_null(reply.body);
}

/* ---------------------------------------------------------------------
 * Argument limits
 */

/* A string of size copies of c (the caller frees it). */
static char *s_string_of(size_t size, char c)
{
    char *text = malloc(size + 1);
    memset(text, c, size);
    text[size] = '\0';
    return text;
}

/* Sends with the given arguments and expects -1 with errno EINVAL. */
static void s_assert_refused(const char *request_id, const char *type,
                             const char *entity_id, const char *command,
                             const void *payload, size_t payload_size,
                             const char *command_id)
{
    errno = 0;
    cr_assert_eq(shoal_client_send(client, request_id, type, entity_id, command,
                                   payload, payload_size, command_id),
                 -1, "type '%s' entity '%s' command '%s' was accepted",
                 type ? type : "(null)", entity_id ? entity_id : "(null)",
                 command ? command : "(null)");
    cr_assert_eq(errno, EINVAL);
}

Test(client, send_refuses_arguments_past_the_protocol_limits)
{
    char *long_request_id = s_string_of(SHOAL_REQUEST_ID_MAX + 1, 'r');
    char *long_type = s_string_of(65, 't');
    char *long_entity_id = s_string_of(257, 'e');
    char *long_command = s_string_of(65, 'c');
    char *long_command_id = s_string_of(129, 'i');

    s_assert_refused(long_request_id, "counter", "c1", "echo", "", 0, NULL);
    s_assert_refused(NULL, NULL, "c1", "echo", "", 0, NULL);
    s_assert_refused(NULL, "", "c1", "echo", "", 0, NULL);
    s_assert_refused(NULL, long_type, "c1", "echo", "", 0, NULL);
    s_assert_refused(NULL, "counter.v2", "c1", "echo", "", 0, NULL);
    s_assert_refused(NULL, "counter", NULL, "echo", "", 0, NULL);
    s_assert_refused(NULL, "counter", "", "echo", "", 0, NULL);
    s_assert_refused(NULL, "counter", long_entity_id, "echo", "", 0, NULL);
    s_assert_refused(NULL, "counter", "a/b", "echo", "", 0, NULL);
    s_assert_refused(NULL, "counter", "c1", NULL, "", 0, NULL);
    s_assert_refused(NULL, "counter", "c1", "", "", 0, NULL);
    s_assert_refused(NULL, "counter", "c1", long_command, "", 0, NULL);
    s_assert_refused(NULL, "counter", "c1", "add one", "", 0, NULL);
    s_assert_refused(NULL, "counter", "c1", "echo", NULL, 1, NULL);
    s_assert_refused(NULL, "counter", "c1", "echo", "", 0, long_command_id);

    errno = 0;
    cr_assert_eq(shoal_client_ping(client, long_request_id), -1);
    cr_assert_eq(errno, EINVAL);
    free(long_request_id);
    free(long_type);
    free(long_entity_id);
    free(long_command);
    free(long_command_id);
}

Test(client, send_accepts_arguments_at_the_protocol_limits)
{
    char *request_id = s_string_of(SHOAL_REQUEST_ID_MAX, 'r');
    char *type = s_string_of(64, 't');
    char *entity_id = s_string_of(256, 'e');
    char *command_id = s_string_of(128, 'i');
    type[0] = 'T';
    type[1] = '_';
    type[2] = '-';
    type[3] = '9';
    entity_id[0] = ' '; /* anything but NUL and '/' */

    cr_assert_eq(shoal_client_send(client, request_id, type, entity_id,
                                   "describe", NULL, 0, command_id),
                 0);
    cr_assert_eq(shoal_client_receive(client, &reply, ANSWER_TIMEOUT_MS), 0);
    cr_assert_str_eq(reply.request_id, request_id);
    char *expected = NULL;
    cr_assert_gt(
        asprintf(&expected, "%s|%s|describe|0|%s", type, entity_id, command_id),
        0);
    cr_assert_str_eq(reply.body, expected);
    free(expected);
    free(request_id);
    free(type);
    free(entity_id);
    free(command_id);
}

/* ---------------------------------------------------------------------
 * Invalid replies and timeouts
 */

Test(client, receive_refuses_every_invalid_reply)
{
    for (size_t row = 0; row < GARBAGE_REPLY_COUNT; row++) {
        char payload[16];
        snprintf(payload, sizeof payload, "%zu", row);
        cr_assert_eq(shoal_client_send(client, "g", "counter", "c1", "garbage",
                                       payload, strlen(payload), NULL),
                     0);
        cr_assert_eq(shoal_client_receive(client, &reply, ANSWER_TIMEOUT_MS),
                     -2, "garbage reply %zu was accepted", row);
        cr_assert_null(reply.body);
        cr_assert_null(reply.error_code);
    }
    cr_assert_eq(s_call("echo", "still works", NULL), 0);
    cr_assert_str_eq(reply.body, "still works");
}

Test(client, call_returns_invalid_for_garbage_answering_it)
{
    cr_assert_eq(s_call("garbage", "5", NULL), -2);
}

Test(client, receive_times_out_when_nobody_binds)
{
    char endpoint[64];
    s_unbound_endpoint(endpoint, sizeof endpoint);
    shoal_client_t *lonely = shoal_client_new(endpoint);
    cr_assert_not_null(lonely);
    cr_assert_eq(shoal_client_ping(lonely, "anyone"), 0);
    int64_t start = zclock_mono();
    errno = 0;
    cr_assert_eq(shoal_client_receive(lonely, &reply, SILENCE_TIMEOUT_MS), -1);
    cr_assert_eq(errno, EAGAIN);
    cr_assert_geq(zclock_mono() - start, SILENCE_TIMEOUT_MS - 10);
    cr_assert_eq(shoal_client_call(lonely, "counter", "c1", "echo", "", 0, NULL,
                                   &reply, SILENCE_TIMEOUT_MS),
                 -1);
    shoal_client_destroy(&lonely);
}

Test(client, send_refuses_when_the_queue_is_full)
{
    char endpoint[64];
    s_unbound_endpoint(endpoint, sizeof endpoint);
    shoal_client_t *lonely = shoal_client_new(endpoint);
    int rc = 0;
    for (int sent = 0; sent < 100000 && rc == 0; sent++)
        rc = shoal_client_send(lonely, "r", "counter", "c1", "echo", "x", 1,
                               NULL);
    cr_assert_eq(rc, -1, "the queue never filled up");
    cr_assert_eq(errno, EAGAIN);
    shoal_client_destroy(&lonely);
}

Test(client, call_times_out_when_the_node_stays_silent)
{
    cr_assert_eq(shoal_client_call(client, "counter", "c1", "silent", "", 0,
                                   NULL, &reply, SILENCE_TIMEOUT_MS),
                 -1);
    cr_assert_null(reply.body);
}

/* ---------------------------------------------------------------------
 * Status socket
 */

TestSuite(status, .init = s_start_node, .fini = s_stop_node);

Test(status, ok_answer_returns_zero_and_the_answer)
{
    char *answer = NULL;
    cr_assert_eq(shoal_status_request(status_endpoint, "status",
                                      ANSWER_TIMEOUT_MS, &answer),
                 0);
    cr_assert_str_eq(answer, "{\"node\":\"fake\"}");
    free(answer);
    cr_assert_eq(shoal_status_request(status_endpoint, "get counter c1",
                                      ANSWER_TIMEOUT_MS, &answer),
                 0);
    cr_assert_str_eq(answer, "{\"value\":1}");
    free(answer);
}

Test(status, error_answer_returns_one_and_the_message)
{
    char *answer = NULL;
    cr_assert_eq(shoal_status_request(status_endpoint, "explode",
                                      ANSWER_TIMEOUT_MS, &answer),
                 1);
    cr_assert_str_eq(answer, "unknown request 'explode'");
    free(answer);
}

Test(status, invalid_answer_returns_minus_two)
{
    char *answer = NULL;
    cr_assert_eq(shoal_status_request(status_endpoint, "garbage",
                                      ANSWER_TIMEOUT_MS, &answer),
                 -2);
    cr_assert_null(answer);
}

Test(status, times_out_when_nobody_answers)
{
    char endpoint[64];
    char *answer = NULL;
    s_unbound_endpoint(endpoint, sizeof endpoint);
    errno = 0;
    cr_assert_eq(
        shoal_status_request(endpoint, "status", SILENCE_TIMEOUT_MS, &answer),
        -1);
    cr_assert_eq(errno, EAGAIN);
    cr_assert_null(answer);
    cr_assert_eq(shoal_status_request(status_endpoint, "silent",
                                      SILENCE_TIMEOUT_MS, &answer),
                 -1);
    cr_assert_null(answer);
}

Test(status, refuses_malformed_endpoint_and_empty_request)
{
    char *answer = NULL;
    errno = 0;
    cr_assert_eq(
        shoal_status_request("nowhere", "status", SILENCE_TIMEOUT_MS, &answer),
        -1);
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_eq(
        shoal_status_request(status_endpoint, "", SILENCE_TIMEOUT_MS, &answer),
        -1);
    cr_assert_eq(errno, EINVAL);
    cr_assert_null(answer);
}
