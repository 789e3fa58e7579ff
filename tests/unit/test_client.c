/*
 * tests/unit/test_client.c - the client library (runtime/client.c and
 * runtime/client_events.c) against a fake node (fake_node.h), which
 * answers each request as the request asks: acceptance, rejection, an
 * error, events, silence, a late answer or one of a table of invalid
 * replies.
 */
#include "fake_node.h"
#include "shoal/client.h"
#include "shoal/plugin.h"

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

/* ---------------------------------------------------------------------
 * Fixtures
 */

static zactor_t *node;
static char client_endpoint[64];
static char status_endpoint[64];
static shoal_client_t *client;
static shoal_reply_t reply;

static shoal_events_t events;

static void s_start_node(void)
{
    node = fake_node_start(client_endpoint, status_endpoint,
                           sizeof client_endpoint);
    cr_assert_not_null(node);
    client = shoal_client_new(client_endpoint);
    cr_assert_not_null(client);
}

static void s_stop_node(void)
{
    shoal_reply_clear(&reply);
    shoal_events_clear(&events);
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

/* Saves a new key pair as dir/NAME.key and NAME.key_secret and
 * returns the path of NAME.key (malloc'd). */
static char *s_save_pair(const char *dir, const char *name)
{
    zcert_t *cert = zcert_new();
    cr_assert_not_null(cert);
    char *path = NULL;
    cr_assert_geq(asprintf(&path, "%s/%s.key", dir, name), 0);
    cr_assert_eq(zcert_save(cert, path), 0);
    zcert_destroy(&cert);
    return path;
}

Test(client_lifecycle, new_curve_names_the_key_file_it_cannot_use)
{
    char dir[] = "/tmp/shoal-client-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *node_key = s_save_pair(dir, "node");
    char *alice = s_save_pair(dir, "alice");
    char alice_secret[512];
    snprintf(alice_secret, sizeof alice_secret, "%s_secret", alice);
    char *error = NULL;

    shoal_client_t *self = shoal_client_new_curve(
        "tcp://127.0.0.1:7700", alice_secret, node_key, &error);
    cr_assert_not_null(self, "%s", error ? error : "?");
    cr_assert_null(error);
    shoal_client_destroy(&self);

    /* The public half as the client's key. */
    errno = 0;
    cr_assert_null(shoal_client_new_curve("tcp://127.0.0.1:7700", alice,
                                          node_key, &error));
    cr_assert_eq(errno, EINVAL);
    cr_assert(strstr(error, alice) && strstr(error, "no secret key"), "%s",
              error);
    free(error);

    /* A server key file that is not there. */
    char absent[512];
    snprintf(absent, sizeof absent, "%s/absent.key", dir);
    cr_assert_null(shoal_client_new_curve("tcp://127.0.0.1:7700", alice_secret,
                                          absent, &error));
    cr_assert(strstr(error, absent), "%s", error);
    free(error);

    /* A malformed endpoint, and no error wanted. */
    cr_assert_null(shoal_client_new_curve("not an endpoint", alice_secret,
                                          node_key, &error));
    cr_assert(strstr(error, "not an endpoint"), "%s", error);
    free(error);
    cr_assert_null(shoal_client_new_curve("not an endpoint", alice_secret,
                                          node_key, NULL));

    char secret[512];
    snprintf(secret, sizeof secret, "%s_secret", node_key);
    remove(secret);
    remove(node_key);
    remove(alice_secret);
    remove(alice);
    remove(dir);
    free(node_key);
    free(alice);
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

Test(client, asking_for_the_owner_sends_frame_8_and_reads_the_owner)
{
    /* Not asked: no options frame, and no owner. */
    cr_assert_eq(s_call("owner", "", NULL), 0);
    cr_assert_str_eq(reply.body, "<none>");
    cr_assert_not(reply.owner.known);
    shoal_reply_clear(&reply);

    shoal_client_ask_owner(client, true);
    cr_assert_eq(s_call("owner", "", NULL), 0, "frame 7 empty, then 8");
    cr_assert_str_eq(reply.body, "owner");
    cr_assert(reply.owner.known);
    cr_assert_eq(reply.owner.shard, 5);
    cr_assert_eq(reply.owner.epoch, 9);
    cr_assert_str_eq(reply.owner.member, "b");
    cr_assert_str_eq(reply.owner.endpoint, "tcp://127.0.0.1:7701");
    shoal_reply_clear(&reply);
    cr_assert_not(reply.owner.known, "clear zeroes the owner");

    cr_assert_eq(s_call("describe", "", "cmd-9"), 0);
    cr_assert_str_eq(reply.body, "counter|c1|describe|0|cmd-9");
    shoal_reply_clear(&reply);

    cr_assert_eq(s_call("owner-unknown", "", NULL), 0);
    cr_assert_eq(reply.status, SHOAL_REPLY_ERROR);
    cr_assert_str_eq(reply.error_code, "unavailable");
    cr_assert_not(reply.owner.known, "an empty owner frame");
    shoal_reply_clear(&reply);

    shoal_client_ask_owner(client, false);
    cr_assert_eq(s_call("owner", "", NULL), 0);
    cr_assert_str_eq(reply.body, "<none>");
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
    for (size_t row = 0; row < fake_node_garbage_reply_count(); row++) {
        char payload[24];
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

/* ---------------------------------------------------------------------
 * Topic reads
 */

TestSuite(events, .init = s_start_node, .fini = s_stop_node);

/* Reads topic after cursor, at most max events. */
static int s_read(const char *topic, const char *cursor, unsigned max)
{
    shoal_events_clear(&events);
    return shoal_client_read_events(client, topic, cursor, max, &events,
                                    ANSWER_TIMEOUT_MS);
}

Test(events, read_returns_the_events_and_the_next_cursor)
{
    cr_assert_eq(s_read("pokes", NULL, 10), 0);
    cr_assert_str_eq(events.cursor, "0:1,3:1");
    cr_assert_eq(events.count, 2);
    cr_assert_str_eq(events.events[0].position, "0:1");
    cr_assert_str_eq(events.events[0].entity, "poke/a");
    cr_assert_eq(events.events[0].written_ms, 1800000000000LL);
    cr_assert_str_eq(events.events[0].payload, "one");
    cr_assert_eq(events.events[0].payload_size, 3);
    cr_assert_str_eq(events.events[1].position, "3:1");
    cr_assert_str_eq(events.events[1].entity, "poke/b");
    cr_assert_eq(events.events[1].written_ms, -7);
    cr_assert_str_eq(events.events[1].payload, "");
    cr_assert_eq(events.events[1].payload_size, 0);
    cr_assert_null(events.error_code);
    cr_assert_null(events.error);

    cr_assert_eq(s_read("pokes", "0:1,3:1", 10), 0);
    cr_assert_eq(events.count, 0);
    cr_assert_null(events.events);
    cr_assert_str_eq(events.cursor, "0:1,3:1");
    shoal_events_clear(&events);
}

Test(events, read_puts_every_field_in_its_frame)
{
    cr_assert_eq(s_read("describe", "2:5", 7), 0);
    cr_assert_str_eq(events.cursor, "describe|2:5|7");
    cr_assert_eq(s_read("describe", NULL, 0), 0);
    cr_assert_str_eq(events.cursor, "describe||<none>", "max 0 sends none");
    cr_assert_eq(s_read("describe", "", SHOAL_EVENTS_READ_MAX), 0);
    cr_assert_str_eq(events.cursor, "describe||1000");
    shoal_events_clear(&events);
}

Test(events, payload_keeps_embedded_nul_and_is_terminated)
{
    cr_assert_eq(s_read("binary", "", 1), 0);
    cr_assert_eq(events.count, 1);
    cr_assert_eq(events.events[0].payload_size, 3);
    cr_assert_eq(memcmp(events.events[0].payload, "a\0b", 4), 0);
    cr_assert_eq(events.events[0].written_ms, 0);
    shoal_events_clear(&events);
}

Test(events, error_answer_returns_one_with_code_and_message)
{
    cr_assert_eq(s_read("refused", "9:1", 1), 1);
    cr_assert_str_eq(events.error_code, "malformed");
    cr_assert_str_eq(events.error, "cursor: shard 9 is out of range");
    cr_assert_null(events.cursor);
    cr_assert_eq(events.count, 0);
    shoal_events_clear(&events);
}

Test(events, read_refuses_arguments_past_the_protocol_limits)
{
    char long_topic[SHOAL_TOPIC_NAME_MAX + 2];
    memset(long_topic, 't', sizeof long_topic - 1);
    long_topic[sizeof long_topic - 1] = '\0';
    char *long_cursor = s_string_of(65537, '1');
    const char *topics[] = {NULL, "", "po kes", "pokes/1", long_topic};
    for (size_t index = 0; index < 5; index++) {
        errno = 0;
        cr_assert_eq(s_read(topics[index], "", 1), -1);
        cr_assert_eq(errno, EINVAL);
    }
    errno = 0;
    cr_assert_eq(s_read("pokes", "", SHOAL_EVENTS_READ_MAX + 1), -1);
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_eq(s_read("pokes", long_cursor, 1), -1);
    cr_assert_eq(errno, EINVAL);
    free(long_cursor);
    long_topic[SHOAL_TOPIC_NAME_MAX] = '\0';
    cr_assert_eq(shoal_client_read_events(client, long_topic, "", 1, &events,
                                          SILENCE_TIMEOUT_MS),
                 -1, "sent, and the fake stays silent");
    cr_assert_eq(errno, EAGAIN);
}

Test(events, read_refuses_every_invalid_answer)
{
    for (size_t row = 0; row < fake_node_garbage_events_count(); row++) {
        char cursor[24];
        snprintf(cursor, sizeof cursor, "%zu", row);
        cr_assert_eq(s_read("garbage", cursor, 1), -2,
                     "garbage answer %zu was accepted", row);
        cr_assert_null(events.cursor);
        cr_assert_null(events.events);
        cr_assert_null(events.error_code);
        cr_assert_eq(events.count, 0);
    }
    cr_assert_eq(s_read("pokes", NULL, 10), 0);
    cr_assert_eq(events.count, 2);
    shoal_events_clear(&events);
}

Test(events, read_holds_pipelined_replies_for_receive_in_order)
{
    const char *ids[] = {"a", "b", "c"};
    for (size_t index = 0; index < 3; index++)
        cr_assert_eq(shoal_client_send(client, ids[index], "counter", "c1",
                                       "echo", ids[index], 1, NULL),
                     0);
    cr_assert_eq(shoal_client_ping(client, "p"), 0);
    cr_assert_eq(s_read("pokes", NULL, 10), 0);
    cr_assert_eq(events.count, 2);
    shoal_events_clear(&events);
    for (size_t index = 0; index < 3; index++) {
        cr_assert_eq(shoal_client_receive(client, &reply, ANSWER_TIMEOUT_MS),
                     0);
        cr_assert_str_eq(reply.request_id, ids[index]);
        cr_assert_str_eq(reply.body, ids[index]);
        shoal_reply_clear(&reply);
    }
    cr_assert_eq(shoal_client_receive(client, &reply, ANSWER_TIMEOUT_MS), 0);
    cr_assert_eq(reply.status, SHOAL_REPLY_PONG);
    shoal_reply_clear(&reply);
    cr_assert_eq(shoal_client_receive(client, &reply, SILENCE_TIMEOUT_MS), -1,
                 "a reply came twice");
}

Test(events, late_answer_to_a_read_that_gave_up_is_dropped)
{
    errno = 0;
    cr_assert_eq(shoal_client_read_events(client, "slow", "late", 1, &events,
                                          SILENCE_TIMEOUT_MS),
                 -1);
    cr_assert_eq(errno, EAGAIN);
    cr_assert_null(events.cursor);
    /* The next read gets its own answer, not the late one. */
    cr_assert_eq(s_read("pokes", "0:1", 5), 0);
    cr_assert_str_eq(events.cursor, "0:1");
    shoal_events_clear(&events);

    cr_assert_eq(shoal_client_read_events(client, "slow", "late", 1, &events,
                                          SILENCE_TIMEOUT_MS),
                 -1);
    /* Nor does receive hand it out. */
    cr_assert_eq(shoal_client_send(client, "after", "counter", "c1", "echo",
                                   "x", 1, NULL),
                 0);
    cr_assert_eq(shoal_client_receive(client, &reply, ANSWER_TIMEOUT_MS), 0);
    cr_assert_str_eq(reply.request_id, "after");
}

Test(events, call_after_a_read_gets_its_own_reply)
{
    cr_assert_eq(shoal_client_send(client, "early", "counter", "c1", "echo",
                                   "e", 1, NULL),
                 0);
    cr_assert_eq(s_read("pokes", NULL, 10), 0);
    shoal_events_clear(&events);
    cr_assert_eq(s_call("echo", "fresh", NULL), 0);
    cr_assert_str_eq(reply.body, "fresh");
}

Test(events_lifecycle, clear_frees_and_zeroes_and_is_null_safe)
{
    shoal_events_t held = {.cursor = strdup("1:2"),
                           .count = 1,
                           .events = calloc(1, sizeof(shoal_event_record_t)),
                           .error_code = strdup("busy"),
                           .error = strdup("full")};
    held.events[0].entity = strdup("poke/a");
    held.events[0].payload = strdup("x");
    shoal_events_clear(&held);
    cr_assert_null(held.cursor);
    cr_assert_null(held.events);
    cr_assert_null(held.error_code);
    cr_assert_null(held.error);
    cr_assert_eq(held.count, 0);
    shoal_events_clear(NULL);
}

/* ---------------------------------------------------------------------
 * Cursors
 */

/* Asserts that shoal_cursor_after(cursor, position) is expected. */
static void s_assert_after(const char *cursor, const char *position,
                           const char *expected)
{
    char *next = shoal_cursor_after(cursor, position);
    cr_assert_not_null(next, "'%s' after '%s' was refused",
                       cursor ? cursor : "(null)",
                       position ? position : "(null)");
    cr_assert_str_eq(next, expected);
    free(next);
}

Test(cursor, after_sets_the_shard_of_the_position_in_order)
{
    s_assert_after(NULL, "24:1", "24:1");
    s_assert_after("", "0:7", "0:7");
    s_assert_after("24:1", "24:2", "24:2");
    s_assert_after("24:1", "3:5", "3:5,24:1");
    s_assert_after("3:5,24:1", "10:1", "3:5,10:1,24:1");
    s_assert_after("3:5,24:1", "99:4", "3:5,24:1,99:4");
    s_assert_after("4294967295:9223372036854775807", "0:1",
                   "0:1,4294967295:9223372036854775807");
}

Test(cursor, after_null_checks_and_keeps_the_cursor_in_the_nodes_form)
{
    s_assert_after(NULL, NULL, "");
    s_assert_after("", NULL, "");
    s_assert_after("1:2,3:4", NULL, "1:2,3:4");
    s_assert_after("01:02,3:0", NULL, "1:2");
}

Test(cursor, after_refuses_malformed_cursors_and_positions)
{
    const char *cursors[] = {"x",
                             "1",
                             "1:",
                             "1:2,",
                             ",1:2",
                             "1:2;3:4",
                             "3:1,2:1",
                             "2:1,2:3",
                             "-1:2",
                             "4294967296:1",
                             "1:9223372036854775808",
                             "1:2 "};
    for (size_t index = 0; index < sizeof cursors / sizeof cursors[0];
         index++) {
        errno = 0;
        cr_assert_null(shoal_cursor_after(cursors[index], NULL), "'%s'",
                       cursors[index]);
        cr_assert_eq(errno, EINVAL);
    }
    const char *positions[] = {"", "7", "7:", ":7", "7:1,8:1", "7:1x"};
    for (size_t index = 0; index < sizeof positions / sizeof positions[0];
         index++) {
        errno = 0;
        cr_assert_null(shoal_cursor_after("1:1", positions[index]), "'%s'",
                       positions[index]);
        cr_assert_eq(errno, EINVAL);
    }
}
