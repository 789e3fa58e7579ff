/*
 * tests/unit/test_protocol.c - the wire protocol (runtime/protocol.c)
 * against docs/PROTOCOL.md: envelopes of REQ and DEALER peers, every rule
 * of a client request's frames, the route a request carries through the
 * node, and the frames of every reply.
 *
 * Messages are arrays of frame views, built frame by frame; no socket is
 * involved. Each frame of a built message is a heap copy of exactly its
 * size, with no NUL after it, so that a parser reading past a frame (or
 * treating one as a C string) is caught by valgrind or ASan.
 */
#include "runtime/protocol.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAYLOAD 100

/* Most frames a test message holds: more than a request may have. */
#define MESSAGE_MAX (SHOAL_FRAMES_MAX + 4)

/* A message built by a test; owns the bytes its frames view. */
typedef struct {
    shoal_frame_t frames[MESSAGE_MAX];
    size_t count;
} s_message_t;

/* Appends a copy of size bytes of data as a frame. */
static void s_message_add(s_message_t *message, const void *data, size_t size)
{
    cr_assert_lt(message->count, MESSAGE_MAX, "too many frames for a test");
    void *copy = malloc(size ? size : 1);
    cr_assert_not_null(copy);
    if (size)
        memcpy(copy, data, size);
    message->frames[message->count++] = (shoal_frame_t){copy, size};
}

/* Appends a text frame, without its NUL. */
static void s_message_addstr(s_message_t *message, const char *text)
{
    s_message_add(message, text, strlen(text));
}

/* Builds a message of text frames; NULL ends the list. */
static s_message_t *s_message(const char *first, ...)
{
    s_message_t *message = calloc(1, sizeof *message);
    cr_assert_not_null(message);
    va_list args;
    va_start(args, first);
    for (const char *frame = first; frame; frame = va_arg(args, const char *))
        s_message_addstr(message, frame);
    va_end(args);
    return message;
}

/* Frees a message, its frames' bytes and nulls the caller's pointer. */
static void s_message_destroy(s_message_t **message_p)
{
    s_message_t *message = *message_p;
    if (!message)
        return;
    for (size_t i = 0; i < message->count; i++)
        free((void *)message->frames[i].data);
    free(message);
    *message_p = NULL;
}

/* The outcome of one parse. */
typedef struct {
    int rc;
    shoal_client_request_t request;
    shoal_route_t route;
    const char *code;
    char text[256];
} s_parse_t;

/* Returns a malloc'd string of size copies of c. */
static char *s_repeat(char c, size_t size)
{
    char *text = malloc(size + 1);
    memset(text, c, size);
    text[size] = '\0';
    return text;
}

/* The request id the last s_parse left in its route, copied, and whether
 * it left one at all. */
static char s_request_id[SHOAL_REQUEST_ID_MAX + 1];
static bool s_has_request_id;

/* Parses message and destroys it. The pointers into the message (payload,
 * request id) are cleared in the result; the request id is copied into
 * s_request_id first. */
static s_parse_t s_parse(s_message_t *message)
{
    s_parse_t parse;
    memset(&parse, 0, sizeof parse);
    memset(&parse.route, 0xab, sizeof parse.route);
    parse.rc = shoal_protocol_parse_client(
        message->frames, message->count, MAX_PAYLOAD, &parse.request,
        &parse.route, &parse.code, parse.text, sizeof parse.text);
    s_has_request_id = parse.route.request_id != NULL;
    memset(s_request_id, 0, sizeof s_request_id);
    if (s_has_request_id) {
        cr_assert_leq(parse.route.request_id_size, SHOAL_REQUEST_ID_MAX);
        memcpy(s_request_id, parse.route.request_id,
               parse.route.request_id_size);
    }
    parse.request.payload = NULL; /* points into the destroyed message */
    parse.route.request_id = NULL;
    s_message_destroy(&message);
    return parse;
}

/* Asserts a parse failed as malformed, with a text mentioning about. */
static void s_assert_malformed(const s_parse_t *parse, const char *about)
{
    cr_assert_eq(parse->rc, -1, "accepted; expected malformed (%s)", about);
    cr_assert_not_null(parse->code);
    cr_assert_str_eq(parse->code, "malformed", "(%s): %s", about, parse->text);
    cr_assert(strstr(parse->text, about), "'%s' does not mention '%s'",
              parse->text, about);
}

/* A SEND with the given frames 3..6 and, when command_id is non-NULL,
 * frame 7. */
static s_message_t *s_send(const char *type, const char *entity_id,
                           const char *command, const char *payload,
                           const char *command_id)
{
    s_message_t *message =
        s_message("SHOAL/1", "r1", "SEND", type, entity_id, command, NULL);
    s_message_addstr(message, payload);
    if (command_id)
        s_message_addstr(message, command_id);
    return message;
}

/* Asserts the count frames are exactly the text frames first and the
 * rest of args (NULL-terminated), byte for byte. */
static void s_assert_frames_va(const shoal_frame_t *frames, size_t count,
                               const char *first, va_list args)
{
    cr_assert_leq(count, SHOAL_REPLY_FRAMES_MAX);
    size_t index = 0;
    for (const char *expected = first; expected;
         expected = va_arg(args, const char *), index++) {
        cr_assert_lt(index, count, "frame %zu missing, expected '%s'", index,
                     expected);
        size_t size = strlen(expected);
        cr_assert_eq(frames[index].size, size,
                     "frame %zu has %zu bytes, expected '%s'", index,
                     frames[index].size, expected);
        cr_assert(size == 0 || memcmp(frames[index].data, expected, size) == 0,
                  "frame %zu is '%.*s', expected '%s'", index, (int)size,
                  (const char *)frames[index].data, expected);
    }
    cr_assert_eq(count, index, "%zu frames, expected %zu", count, index);
}

/* Asserts the count frames are exactly the text frames given
 * (NULL-terminated), byte for byte. */
static void s_assert_frames(const shoal_frame_t *frames, size_t count,
                            const char *first, ...)
{
    va_list args;
    va_start(args, first);
    s_assert_frames_va(frames, count, first, args);
    va_end(args);
}

/* ---------------------------------------------------------------------
 * Envelopes
 */

Test(protocol, open_envelope_of_a_dealer_without_delimiter)
{
    s_message_t *message = s_message("peer", "SHOAL/1", "r1", "PING", NULL);
    shoal_route_t route = {.delimiter = true};
    size_t body = 0;
    cr_assert_eq(shoal_protocol_open_envelope(message->frames, message->count,
                                              &route, &body),
                 0);
    cr_assert_eq(route.identity, message->frames[0].data);
    cr_assert_eq(route.identity_size, 4);
    cr_assert_not(route.delimiter);
    cr_assert_eq(body, 1);
    cr_assert_eq(message->count - body, 3);
    s_message_destroy(&message);
}

Test(protocol, open_envelope_of_a_req_skips_the_delimiter)
{
    s_message_t *message = s_message("peer", "", "SHOAL/1", "r1", "PING", NULL);
    shoal_route_t route = {.delimiter = false};
    size_t body = 0;
    cr_assert_eq(shoal_protocol_open_envelope(message->frames, message->count,
                                              &route, &body),
                 0);
    cr_assert_eq(route.identity, message->frames[0].data);
    cr_assert_eq(route.identity_size, 4);
    cr_assert(route.delimiter);
    cr_assert_eq(body, 2);
    cr_assert_eq(message->count - body, 3);
    cr_assert_eq(message->frames[body].size, 7);
    cr_assert_eq(memcmp(message->frames[body].data, "SHOAL/1", 7), 0);
    s_message_destroy(&message);
}

Test(protocol, open_envelope_keeps_a_binary_identity)
{
    static const unsigned char identity[] = {0, 0x80, 0xff, 0};
    s_message_t *message = s_message(NULL);
    s_message_add(message, identity, sizeof identity);
    s_message_addstr(message, "SHOAL/1");
    shoal_route_t route;
    size_t body;
    cr_assert_eq(shoal_protocol_open_envelope(message->frames, message->count,
                                              &route, &body),
                 0);
    cr_assert_eq(route.identity_size, sizeof identity);
    cr_assert_eq(memcmp(route.identity, identity, sizeof identity), 0);
    cr_assert_eq(body, 1);
    s_message_destroy(&message);
}

Test(protocol, open_envelope_takes_only_the_first_empty_frame_as_delimiter)
{
    /* A delimiter and an empty body frame: there is a frame to answer. */
    s_message_t *message = s_message("peer", "", "", NULL);
    shoal_route_t route;
    size_t body;
    cr_assert_eq(shoal_protocol_open_envelope(message->frames, message->count,
                                              &route, &body),
                 0);
    cr_assert(route.delimiter);
    cr_assert_eq(body, 2);
    s_message_destroy(&message);
}

Test(protocol, open_envelope_drops_a_message_with_nothing_to_answer)
{
    shoal_route_t route;
    size_t body;

    /* Only a routing id. */
    s_message_t *message = s_message("peer", NULL);
    cr_assert_eq(shoal_protocol_open_envelope(message->frames, message->count,
                                              &route, &body),
                 -1);
    s_message_destroy(&message);

    /* A routing id and a delimiter. */
    message = s_message("peer", "", NULL);
    cr_assert_eq(shoal_protocol_open_envelope(message->frames, message->count,
                                              &route, &body),
                 -1);
    s_message_destroy(&message);

    /* Nothing at all: no frame is read. */
    cr_assert_eq(shoal_protocol_open_envelope(NULL, 0, &route, &body), -1);
}

/* ---------------------------------------------------------------------
 * Client requests
 */

Test(protocol, parses_a_send_without_command_id)
{
    s_parse_t parse =
        s_parse(s_send("counter", "e-1", "Increment", "{\"by\":2}", NULL));
    cr_assert_eq(parse.rc, 0, "%s", parse.text);
    cr_assert_not(parse.request.is_ping);
    cr_assert_str_eq(parse.request.type, "counter");
    cr_assert_str_eq(parse.request.entity_id, "e-1");
    cr_assert_str_eq(parse.request.command, "Increment");
    cr_assert_str_eq(parse.request.command_id, "");
    cr_assert_eq(parse.request.payload_size, strlen("{\"by\":2}"));
    cr_assert(s_has_request_id);
    cr_assert_str_eq(s_request_id, "r1");
}

Test(protocol, a_send_may_ask_for_the_owner_in_frame_8)
{
    s_message_t *message = s_send("counter", "e1", "Inc", "", "");
    s_message_addstr(message, "owner");
    s_parse_t parse = s_parse(message);
    cr_assert_eq(parse.rc, 0, "%s", parse.text);
    cr_assert(parse.request.want_owner);
    cr_assert_str_eq(parse.request.command_id, "", "frame 7 empty: no id");

    message = s_send("counter", "e1", "Inc", "", "c1");
    s_message_addstr(message, "");
    parse = s_parse(message);
    cr_assert_eq(parse.rc, 0, "%s", parse.text);
    cr_assert_not(parse.request.want_owner, "empty options ask nothing");
    cr_assert_str_eq(parse.request.command_id, "c1");

    parse = s_parse(s_send("counter", "e1", "Inc", "", "c1"));
    cr_assert_not(parse.request.want_owner);

    message = s_send("counter", "e1", "Inc", "", "c1");
    s_message_addstr(message, "owners");
    parse = s_parse(message);
    s_assert_malformed(&parse, "frame 8 (reply options)");
}

Test(protocol, parses_a_send_with_command_id_and_points_into_the_frames)
{
    s_message_t *message =
        s_send("account", "acc 1", "Deposit", "{}", "cmd-42");
    shoal_client_request_t request;
    shoal_route_t route = {0};
    const char *code = NULL;
    char text[128];
    cr_assert_eq(shoal_protocol_parse_client(message->frames, message->count,
                                             MAX_PAYLOAD, &request, &route,
                                             &code, text, sizeof text),
                 0, "%s", text);
    cr_assert_str_eq(request.type, "account");
    cr_assert_str_eq(request.entity_id, "acc 1");
    cr_assert_str_eq(request.command, "Deposit");
    cr_assert_str_eq(request.command_id, "cmd-42");
    cr_assert_eq(request.payload_size, 2);
    cr_assert_eq(route.request_id_size, 2);
    cr_assert_eq(memcmp(route.request_id, "r1", 2), 0);

    /* The payload and request id point into the frames, not copies. */
    cr_assert_eq(route.request_id, message->frames[1].data);
    cr_assert_eq(request.payload, message->frames[6].data);
    s_message_destroy(&message);
}

Test(protocol, payload_is_opaque_bytes_up_to_max_payload)
{
    s_message_t *message =
        s_message("SHOAL/1", "r1", "SEND", "counter", "e1", "Set", NULL);
    unsigned char payload[MAX_PAYLOAD];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (unsigned char)i; /* NULs included */
    s_message_add(message, payload, sizeof payload);
    s_message_addstr(message, "");
    shoal_client_request_t request;
    shoal_route_t route;
    const char *code;
    char text[128];
    cr_assert_eq(shoal_protocol_parse_client(message->frames, message->count,
                                             MAX_PAYLOAD, &request, &route,
                                             &code, text, sizeof text),
                 0, "%s", text);
    cr_assert_eq(request.payload_size, sizeof payload);
    cr_assert_eq(memcmp(request.payload, payload, sizeof payload), 0);
    cr_assert_str_eq(request.command_id, "", "an empty frame 7 is no id");
    s_message_destroy(&message);
}

Test(protocol, refuses_a_payload_over_max_payload)
{
    char *payload = s_repeat('p', MAX_PAYLOAD + 1);
    s_parse_t parse = s_parse(s_send("counter", "e1", "Set", payload, NULL));
    s_assert_malformed(&parse, "frame 6");
    cr_assert_str_eq(s_request_id, "r1");
    free(payload);
}

Test(protocol, parses_a_ping)
{
    s_parse_t parse = s_parse(s_message("SHOAL/1", "ping-7", "PING", NULL));
    cr_assert_eq(parse.rc, 0, "%s", parse.text);
    cr_assert(parse.request.is_ping);
    cr_assert_str_eq(s_request_id, "ping-7");

    /* An empty request id is allowed. */
    parse = s_parse(s_message("SHOAL/1", "", "PING", NULL));
    cr_assert_eq(parse.rc, 0, "%s", parse.text);
    cr_assert(s_has_request_id);
    cr_assert_str_eq(s_request_id, "");
}

Test(protocol, refuses_a_ping_with_more_frames)
{
    s_parse_t parse = s_parse(s_message("SHOAL/1", "r1", "PING", "x", NULL));
    cr_assert_eq(parse.rc, -1);
    cr_assert_str_eq(parse.code, "malformed");
    cr_assert_str_eq(s_request_id, "r1");
}

Test(protocol, refuses_another_version_but_keeps_the_request_id)
{
    const char *versions[] = {"SHOAL/2", "SHOAL/10", "shoal/1",
                              "",        "SHOAL/1 ", "SHOAL/"};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        s_parse_t parse = s_parse(s_message(versions[i], "r9", "PING", NULL));
        cr_assert_eq(parse.rc, -1, "version '%s' accepted", versions[i]);
        cr_assert_str_eq(parse.code, "unsupported_version");
        cr_assert(strstr(parse.text, "SHOAL/1"), "%s", parse.text);
        cr_assert(s_has_request_id);
        cr_assert_str_eq(s_request_id, "r9");
    }
    /* Only a version frame: no request id to keep. */
    s_parse_t parse = s_parse(s_message("SHOAL/9", NULL));
    cr_assert_str_eq(parse.code, "unsupported_version");
    cr_assert_not(s_has_request_id);

    /* No frame at all (open_envelope drops such a message first). */
    parse = s_parse(s_message(NULL));
    cr_assert_eq(parse.rc, -1);
    cr_assert_not_null(parse.code);
    cr_assert_not(s_has_request_id);
}

Test(protocol, frames_are_bytes_not_c_strings)
{
    /* A version, verb or name followed by a NUL is not that word: the
     * frame's size counts, not where a NUL falls. */
    s_message_t *message = s_message(NULL);
    s_message_add(message, "SHOAL/1\0", 8);
    s_message_addstr(message, "r1");
    s_message_addstr(message, "PING");
    s_parse_t parse = s_parse(message);
    cr_assert_eq(parse.rc, -1);
    cr_assert_str_eq(parse.code, "unsupported_version");
    cr_assert_str_eq(s_request_id, "r1");

    message = s_message("SHOAL/1", "r1", NULL);
    s_message_add(message, "PING\0", 5);
    parse = s_parse(message);
    s_assert_malformed(&parse, "frame 2");

    message = s_message("SHOAL/1", "r1", NULL);
    s_message_add(message, "SEND\0x", 6);
    s_message_addstr(message, "counter");
    s_message_addstr(message, "e1");
    s_message_addstr(message, "Inc");
    s_message_addstr(message, "");
    parse = s_parse(message);
    s_assert_malformed(&parse, "frame 2");

    /* A request id may hold any bytes, NULs included. */
    message = s_message("SHOAL/1", NULL);
    s_message_add(message, "a\0b", 3);
    s_message_addstr(message, "PING");
    shoal_client_request_t request;
    shoal_route_t route;
    const char *code;
    char text[128];
    cr_assert_eq(shoal_protocol_parse_client(message->frames, message->count,
                                             MAX_PAYLOAD, &request, &route,
                                             &code, text, sizeof text),
                 0, "%s", text);
    cr_assert_eq(route.request_id_size, 3);
    cr_assert_eq(memcmp(route.request_id, "a\0b", 3), 0);
    s_message_destroy(&message);
}

Test(protocol, refuses_a_missing_request_id)
{
    s_parse_t parse = s_parse(s_message("SHOAL/1", NULL));
    s_assert_malformed(&parse, "frame 1");
    cr_assert_not(s_has_request_id);
    cr_assert_eq(parse.route.request_id_size, 0);
}

Test(protocol, request_id_may_have_64_bytes_not_65)
{
    cr_assert_eq(SHOAL_REQUEST_ID_MAX, 64, "docs/PROTOCOL.md says 0..64");

    char *id = s_repeat('i', SHOAL_REQUEST_ID_MAX);
    s_parse_t parse = s_parse(s_message("SHOAL/1", id, "PING", NULL));
    cr_assert_eq(parse.rc, 0, "%s", parse.text);
    cr_assert_str_eq(s_request_id, id);
    parse = s_parse(
        s_message("SHOAL/1", id, "SEND", "counter", "e1", "Inc", "", NULL));
    cr_assert_eq(parse.rc, 0, "%s", parse.text);
    cr_assert_str_eq(s_request_id, id);
    free(id);

    id = s_repeat('i', SHOAL_REQUEST_ID_MAX + 1);
    parse = s_parse(s_message("SHOAL/1", id, "PING", NULL));
    s_assert_malformed(&parse, "frame 1");
    cr_assert_not(s_has_request_id, "an oversized request id is not echoed");
    cr_assert_eq(parse.route.request_id_size, 0);
    parse = s_parse(
        s_message("SHOAL/1", id, "SEND", "counter", "e1", "Inc", "", NULL));
    s_assert_malformed(&parse, "frame 1");
    cr_assert_not(s_has_request_id);

    /* Under another version too, an oversized id is not kept. */
    parse = s_parse(s_message("SHOAL/2", id, "PING", NULL));
    cr_assert_str_eq(parse.code, "unsupported_version");
    cr_assert_not(s_has_request_id);
    cr_assert_eq(parse.route.request_id_size, 0);
    free(id);
}

Test(protocol, refuses_a_missing_or_unknown_verb)
{
    s_parse_t parse = s_parse(s_message("SHOAL/1", "r1", NULL));
    s_assert_malformed(&parse, "frame 2");
    cr_assert_str_eq(s_request_id, "r1");

    const char *verbs[] = {"POST", "send", "PONG", "", "PIN", "SENDX"};
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        parse = s_parse(s_message("SHOAL/1", "r1", verbs[i], NULL));
        s_assert_malformed(&parse, "frame 2");
        cr_assert_str_eq(s_request_id, "r1");
    }
}

Test(protocol, refuses_a_send_with_missing_or_extra_frames)
{
    s_parse_t parse = s_parse(
        s_message("SHOAL/1", "r1", "SEND", "counter", "e1", "Inc", NULL));
    s_assert_malformed(&parse, "frames");
    cr_assert_str_eq(s_request_id, "r1");

    parse = s_parse(s_message("SHOAL/1", "r1", "SEND", NULL));
    s_assert_malformed(&parse, "frames");
    cr_assert_str_eq(s_request_id, "r1");

    /* 10 frames: one past the optional reply options. */
    s_message_t *message = s_send("counter", "e1", "Inc", "", "c1");
    s_message_addstr(message, "owner");
    s_message_addstr(message, "extra");
    cr_assert_eq(message->count, 10);
    parse = s_parse(message);
    s_assert_malformed(&parse, "frames");
    cr_assert(strstr(parse.text, "10"), "%s", parse.text);
    cr_assert_str_eq(s_request_id, "r1");

    /* As many frames as a request may have, and more. */
    for (size_t count = SHOAL_FRAMES_MAX; count <= MESSAGE_MAX; count++) {
        message = s_send("counter", "e1", "Inc", "", "c1");
        while (message->count < count)
            s_message_addstr(message, "extra");
        parse = s_parse(message);
        s_assert_malformed(&parse, "frames");
        cr_assert_str_eq(s_request_id, "r1");
    }
}

Test(protocol, refuses_a_bad_type_name)
{
    char *long_name = s_repeat('t', SHOAL_TYPE_NAME_MAX + 1);
    const char *bad[] = {"",    "coun ter", "counter/x", "caf\xc3\xa9",
                         "a.b", long_name};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_parse_t parse = s_parse(s_send(bad[i], "e1", "Inc", "", NULL));
        s_assert_malformed(&parse, "frame 3");
        cr_assert_str_eq(s_request_id, "r1");
    }
    free(long_name);

    char *max_name = s_repeat('t', SHOAL_TYPE_NAME_MAX);
    s_parse_t parse = s_parse(s_send(max_name, "e1", "Inc", "", NULL));
    cr_assert_eq(parse.rc, 0, "%s", parse.text);
    cr_assert_str_eq(parse.request.type, max_name);
    free(max_name);

    parse = s_parse(s_send("A-z_0-9", "e1", "Inc", "", NULL));
    cr_assert_eq(parse.rc, 0, "%s", parse.text);
}

Test(protocol, refuses_a_type_name_with_a_nul)
{
    /* Inside, at the end and alone: a view has no terminator to stop at. */
    static const struct {
        const char *bytes;
        size_t size;
    } bad[] = {{"coun\0ter", 8}, {"counter\0", 8}, {"\0", 1}, {"\0counter", 8}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_message_t *message = s_message("SHOAL/1", "r1", "SEND", NULL);
        s_message_add(message, bad[i].bytes, bad[i].size);
        s_message_addstr(message, "e1");
        s_message_addstr(message, "Inc");
        s_message_addstr(message, "");
        s_parse_t parse = s_parse(message);
        s_assert_malformed(&parse, "frame 3");
        cr_assert_str_eq(s_request_id, "r1");
    }
}

Test(protocol, refuses_a_bad_entity_id)
{
    char *long_id = s_repeat('e', SHOAL_ENTITY_ID_MAX + 1);
    const char *bad[] = {"", "a/b", "/", long_id};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_parse_t parse = s_parse(s_send("counter", bad[i], "Inc", "", NULL));
        s_assert_malformed(&parse, "frame 4");
        cr_assert_str_eq(s_request_id, "r1");
    }
    free(long_id);

    s_message_t *message = s_message("SHOAL/1", "r1", "SEND", "counter", NULL);
    s_message_add(message, "e\0", 2);
    s_message_addstr(message, "Inc");
    s_message_addstr(message, "");
    s_parse_t parse = s_parse(message);
    s_assert_malformed(&parse, "frame 4");

    /* Any other bytes are fine, up to the limit. */
    char *max_id = s_repeat('e', SHOAL_ENTITY_ID_MAX);
    parse = s_parse(s_send("counter", max_id, "Inc", "", NULL));
    cr_assert_eq(parse.rc, 0, "%s", parse.text);
    cr_assert_str_eq(parse.request.entity_id, max_id);
    free(max_id);
    parse = s_parse(s_send("counter", "caf\xc3\xa9 #1", "Inc", "", NULL));
    cr_assert_eq(parse.rc, 0, "%s", parse.text);
}

Test(protocol, refuses_a_bad_command_name)
{
    char *long_name = s_repeat('c', SHOAL_COMMAND_NAME_MAX + 1);
    const char *bad[] = {"", "Do It", "Do/It", long_name};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_parse_t parse = s_parse(s_send("counter", "e1", bad[i], "", NULL));
        s_assert_malformed(&parse, "frame 5");
        cr_assert_str_eq(s_request_id, "r1");
    }
    free(long_name);

    s_message_t *message =
        s_message("SHOAL/1", "r1", "SEND", "counter", "e1", NULL);
    s_message_add(message, "Inc\0", 4);
    s_message_addstr(message, "");
    s_parse_t parse = s_parse(message);
    s_assert_malformed(&parse, "frame 5");

    char *max_name = s_repeat('c', SHOAL_COMMAND_NAME_MAX);
    parse = s_parse(s_send("counter", "e1", max_name, "", NULL));
    cr_assert_eq(parse.rc, 0, "%s", parse.text);
    cr_assert_str_eq(parse.request.command, max_name);
    free(max_name);
}

Test(protocol, refuses_a_bad_command_id)
{
    char *long_id = s_repeat('k', SHOAL_COMMAND_ID_MAX + 1);
    s_parse_t parse = s_parse(s_send("counter", "e1", "Inc", "", long_id));
    s_assert_malformed(&parse, "frame 7");
    cr_assert_str_eq(s_request_id, "r1");
    free(long_id);

    s_message_t *message = s_send("counter", "e1", "Inc", "", NULL);
    s_message_add(message, "c\0d", 3);
    parse = s_parse(message);
    s_assert_malformed(&parse, "frame 7");

    char *max_id = s_repeat('k', SHOAL_COMMAND_ID_MAX);
    parse = s_parse(s_send("counter", "e1", "Inc", "", max_id));
    cr_assert_eq(parse.rc, 0, "%s", parse.text);
    cr_assert_str_eq(parse.request.command_id, max_id);
    free(max_id);
}

Test(protocol, error_text_fits_the_buffer_given)
{
    s_message_t *message = s_message("SHOAL/2", "r1", "PING", NULL);
    shoal_client_request_t request;
    shoal_route_t route;
    const char *code = NULL;
    char text[8];
    memset(text, 'x', sizeof text);
    cr_assert_eq(shoal_protocol_parse_client(message->frames, message->count,
                                             MAX_PAYLOAD, &request, &route,
                                             &code, text, 6),
                 -1);
    cr_assert_leq(strlen(text), 5);
    cr_assert_eq(text[6], 'x', "wrote past the size given");
    s_message_destroy(&message);
}

/* ---------------------------------------------------------------------
 * Routes
 */

Test(protocol, route_round_trips_through_its_encoding)
{
    static const unsigned char identity[] = {0, 'k', 0x80, 0xff, 7};
    shoal_route_t route = {.kind = SHOAL_ROUTE_CLIENT,
                           .identity = identity,
                           .identity_size = sizeof identity,
                           .delimiter = true,
                           .owner = true,
                           .request_id = "req-1",
                           .request_id_size = 5};
    uint8_t buffer[SHOAL_ROUTE_MAX];
    size_t size = shoal_route_encode(&route, buffer);
    cr_assert_leq(size, SHOAL_ROUTE_MAX);

    shoal_route_t decoded;
    cr_assert_eq(shoal_route_decode(buffer, size, &decoded), 0);
    cr_assert_eq(decoded.kind, SHOAL_ROUTE_CLIENT);
    cr_assert(decoded.delimiter);
    cr_assert(decoded.owner);
    cr_assert_eq(decoded.identity_size, sizeof identity);
    cr_assert_eq(memcmp(decoded.identity, identity, sizeof identity), 0);
    cr_assert_eq(decoded.request_id_size, 5);
    cr_assert_eq(memcmp(decoded.request_id, "req-1", 5), 0);
    /* Borrowed from the buffer. */
    cr_assert((const uint8_t *)decoded.identity >= buffer &&
              (const uint8_t *)decoded.identity < buffer + size);
}

Test(protocol, status_route_with_nothing_optional_round_trips)
{
    shoal_route_t route = {
        .kind = SHOAL_ROUTE_STATUS, .identity = "x", .identity_size = 1};
    uint8_t buffer[SHOAL_ROUTE_MAX];
    size_t size = shoal_route_encode(&route, buffer);
    shoal_route_t decoded;
    cr_assert_eq(shoal_route_decode(buffer, size, &decoded), 0);
    cr_assert_eq(decoded.kind, SHOAL_ROUTE_STATUS);
    cr_assert_not(decoded.delimiter);
    cr_assert_not(decoded.owner);
    cr_assert_eq(decoded.identity_size, 1);
    cr_assert_eq(decoded.request_id_size, 0);
}

Test(protocol, route_of_the_largest_identity_and_request_id_fits)
{
    unsigned char identity[255];
    memset(identity, 'i', sizeof identity);
    char request_id[SHOAL_REQUEST_ID_MAX];
    memset(request_id, 'r', sizeof request_id);
    shoal_route_t route = {.kind = SHOAL_ROUTE_CLIENT,
                           .identity = identity,
                           .identity_size = sizeof identity,
                           .request_id = request_id,
                           .request_id_size = sizeof request_id};
    uint8_t buffer[SHOAL_ROUTE_MAX];
    size_t size = shoal_route_encode(&route, buffer);
    cr_assert_leq(size, SHOAL_ROUTE_MAX);
    shoal_route_t decoded;
    cr_assert_eq(shoal_route_decode(buffer, size, &decoded), 0);
    cr_assert_eq(decoded.identity_size, 255);
    cr_assert_eq(decoded.request_id_size, SHOAL_REQUEST_ID_MAX);
}

Test(protocol, route_decode_refuses_garbage)
{
    shoal_route_t route = {.kind = SHOAL_ROUTE_CLIENT,
                           .identity = "peer",
                           .identity_size = 4,
                           .request_id = "r1",
                           .request_id_size = 2};
    uint8_t buffer[SHOAL_ROUTE_MAX + 1];
    size_t size = shoal_route_encode(&route, buffer);
    shoal_route_t decoded;

    /* Every truncation, and a byte too many. */
    for (size_t cut = 0; cut < size; cut++) {
        uint8_t *prefix = malloc(cut ? cut : 1);
        memcpy(prefix, buffer, cut);
        cr_assert_eq(shoal_route_decode(prefix, cut, &decoded), -1,
                     "truncated to %zu of %zu", cut, size);
        free(prefix);
    }
    buffer[size] = 0;
    cr_assert_eq(shoal_route_decode(buffer, size + 1, &decoded), -1);

    /* A kind outside the known ones. */
    uint8_t bad_kind[SHOAL_ROUTE_MAX];
    memcpy(bad_kind, buffer, size);
    bad_kind[0] = 0;
    cr_assert_eq(shoal_route_decode(bad_kind, size, &decoded), -1);
    bad_kind[0] = 6;
    cr_assert_eq(shoal_route_decode(bad_kind, size, &decoded), -1);

    /* Lengths past the end. */
    uint8_t long_identity[] = {1, 0, 200, 'p', 0};
    cr_assert_eq(
        shoal_route_decode(long_identity, sizeof long_identity, &decoded), -1);
    uint8_t long_request_id[] = {1, 0, 1, 'p', 9, 'r'};
    cr_assert_eq(
        shoal_route_decode(long_request_id, sizeof long_request_id, &decoded),
        -1);
}

/* Found by fuzzing: decode took what encode never writes, so a decoded
 * route did not encode back to its bytes. */
Test(protocol, route_decode_refuses_what_encode_never_writes)
{
    /* A request id longer than the protocol allows. */
    uint8_t long_id[4 + 1 + SHOAL_REQUEST_ID_MAX + 1];
    memset(long_id, 'r', sizeof long_id);
    long_id[0] = SHOAL_ROUTE_CLIENT;
    long_id[1] = 0;
    long_id[2] = 1;
    long_id[4] = SHOAL_REQUEST_ID_MAX + 1;
    shoal_route_t decoded;
    cr_assert_eq(shoal_route_decode(long_id, sizeof long_id, &decoded), -1);
    long_id[4] = SHOAL_REQUEST_ID_MAX;
    cr_assert_eq(shoal_route_decode(long_id, sizeof long_id - 1, &decoded), 0);

    /* Flags other than delimiter (1) and owner (2). */
    uint8_t flag[] = {SHOAL_ROUTE_STATUS, 4, 1, 'p', 0};
    cr_assert_eq(shoal_route_decode(flag, sizeof flag, &decoded), -1);
    flag[1] = 1;
    cr_assert_eq(shoal_route_decode(flag, sizeof flag, &decoded), 0);
    cr_assert(decoded.delimiter);
    cr_assert_not(decoded.owner);
    flag[1] = 3;
    cr_assert_eq(shoal_route_decode(flag, sizeof flag, &decoded), 0);
    cr_assert(decoded.delimiter);
    cr_assert(decoded.owner);
}

/* ---------------------------------------------------------------------
 * Replies
 */

static const shoal_route_t s_client_route = {.kind = SHOAL_ROUTE_CLIENT,
                                             .identity = "peer",
                                             .identity_size = 4,
                                             .request_id = "r7",
                                             .request_id_size = 2};

/* The frames of one reply and the scratch they may point into. The
 * scratch starts out full of garbage, as a caller's stack would be. */
typedef struct {
    shoal_frame_t frames[SHOAL_REPLY_FRAMES_MAX];
    char scratch[SHOAL_REPLY_SCRATCH];
    size_t count;
} s_reply_t;

/* Lays out the reply to answer on route into reply. */
static void s_reply(s_reply_t *reply, const shoal_route_t *route,
                    const shoal_answer_t *answer)
{
    memset(reply, 0x5a, sizeof *reply);
    reply->count =
        shoal_protocol_reply(route, answer, reply->frames, reply->scratch);
}

/* Lays out the reply to answer on route and asserts its frames are
 * exactly the text frames given (NULL-terminated), as s_assert_frames. */
static void s_assert_reply(const shoal_route_t *route,
                           const shoal_answer_t *answer, const char *first, ...)
{
    s_reply_t reply;
    s_reply(&reply, route, answer);
    va_list args;
    va_start(args, first);
    s_assert_frames_va(reply.frames, reply.count, first, args);
    va_end(args);
}

Test(protocol, accepted_reply_carries_sequence_count_and_reply)
{
    shoal_answer_t answer = {.kind = SHOAL_ANSWER_ACCEPTED,
                             .first_seq = 5,
                             .event_count = 2,
                             .body = "{\"value\":7}",
                             .body_size = 11};
    s_assert_reply(&s_client_route, &answer, "peer", "SHOAL/1", "r7",
                   "ACCEPTED", "5", "2", "{\"value\":7}", NULL);

    /* No events, an empty reply. */
    answer = (shoal_answer_t){.kind = SHOAL_ANSWER_ACCEPTED};
    s_assert_reply(&s_client_route, &answer, "peer", "SHOAL/1", "r7",
                   "ACCEPTED", "0", "0", "", NULL);
}

Test(protocol, numbers_are_unsigned_decimal_up_to_64_bits)
{
    shoal_answer_t answer = {.kind = SHOAL_ANSWER_ACCEPTED,
                             .first_seq = UINT64_MAX,
                             .event_count = 1};
    s_assert_reply(&s_client_route, &answer, "peer", "SHOAL/1", "r7",
                   "ACCEPTED", "18446744073709551615", "1", "", NULL);

    /* Both numbers at their largest: neither overwrites the other. */
    answer.event_count = UINT64_MAX;
    s_assert_reply(&s_client_route, &answer, "peer", "SHOAL/1", "r7",
                   "ACCEPTED", "18446744073709551615", "18446744073709551615",
                   "", NULL);
}

Test(protocol, numbers_are_decimal_without_leading_zeros)
{
    static const struct {
        uint64_t value;
        const char *text;
    } numbers[] = {
        {0, "0"},
        {1, "1"},
        {9, "9"},
        {10, "10"},
        {100, "100"},
        {1000000, "1000000"},
        {4294967296ULL, "4294967296"},
        {10000000000000000000ULL, "10000000000000000000"},
    };
    size_t n = sizeof numbers / sizeof numbers[0];
    for (size_t i = 0; i < n; i++) {
        size_t j = n - 1 - i;
        shoal_answer_t answer = {.kind = SHOAL_ANSWER_REJECTED,
                                 .first_seq = numbers[i].value,
                                 .event_count = numbers[j].value,
                                 .body = "no",
                                 .body_size = 2};
        s_reply_t reply;
        s_reply(&reply, &s_client_route, &answer);
        s_assert_frames(reply.frames, reply.count, "peer", "SHOAL/1", "r7",
                        "REJECTED", numbers[i].text, numbers[j].text, "no",
                        NULL);
        /* The numbers live in the scratch given, not in static storage. */
        for (size_t f = 4; f <= 5; f++)
            cr_assert((const char *)reply.frames[f].data >= reply.scratch &&
                          (const char *)reply.frames[f].data +
                                  reply.frames[f].size <=
                              reply.scratch + SHOAL_REPLY_SCRATCH,
                      "frame %zu is not in the scratch", f);
    }
}

Test(protocol, reply_starts_with_a_delimiter_when_the_request_had_one)
{
    shoal_route_t route = s_client_route;
    route.delimiter = true;
    shoal_answer_t answer = {.kind = SHOAL_ANSWER_ACCEPTED,
                             .first_seq = 1,
                             .event_count = 1,
                             .body = "ok",
                             .body_size = 2};
    s_assert_reply(&route, &answer, "peer", "", "SHOAL/1", "r7", "ACCEPTED",
                   "1", "1", "ok", NULL);
    route.owner = true;
    answer.owner = "3 7 b tcp://127.0.0.1:7701";
    s_reply_t reply;
    s_reply(&reply, &route, &answer);
    s_assert_frames(reply.frames, reply.count, "peer", "", "SHOAL/1", "r7",
                    "ACCEPTED", "1", "1", "ok", "3 7 b tcp://127.0.0.1:7701",
                    NULL);
    cr_assert_eq(reply.count, SHOAL_REPLY_FRAMES_MAX,
                 "the largest reply fills SHOAL_REPLY_FRAMES_MAX");
    route.owner = false;

    answer = (shoal_answer_t){.kind = SHOAL_ANSWER_REJECTED,
                              .first_seq = 3,
                              .event_count = 0,
                              .body = "no",
                              .body_size = 2};
    s_assert_reply(&route, &answer, "peer", "", "SHOAL/1", "r7", "REJECTED",
                   "3", "0", "no", NULL);

    answer = (shoal_answer_t){.kind = SHOAL_ANSWER_ERROR,
                              .error_code = "busy",
                              .body = "full",
                              .body_size = 4};
    s_assert_reply(&route, &answer, "peer", "", "SHOAL/1", "r7", "ERROR",
                   "busy", "full", NULL);

    shoal_frame_t frames[SHOAL_REPLY_FRAMES_MAX];
    size_t count = shoal_protocol_pong(&route, frames);
    s_assert_frames(frames, count, "peer", "", "SHOAL/1", "r7", "PONG", NULL);
}

Test(protocol, rejected_reply_carries_the_reason)
{
    shoal_answer_t answer = {.kind = SHOAL_ANSWER_REJECTED,
                             .first_seq = 0,
                             .event_count = 0,
                             .body = "insufficient funds",
                             .body_size = 18};
    s_assert_reply(&s_client_route, &answer, "peer", "SHOAL/1", "r7",
                   "REJECTED", "0", "0", "insufficient funds", NULL);

    /* A rejection that recorded events. */
    answer.first_seq = 9;
    answer.event_count = 1;
    s_assert_reply(&s_client_route, &answer, "peer", "SHOAL/1", "r7",
                   "REJECTED", "9", "1", "insufficient funds", NULL);
}

Test(protocol, error_reply_carries_code_and_message)
{
    shoal_answer_t answer = {.kind = SHOAL_ANSWER_ERROR,
                             .error_code = "busy",
                             .body = "stash is full",
                             .body_size = 13};
    s_assert_reply(&s_client_route, &answer, "peer", "SHOAL/1", "r7", "ERROR",
                   "busy", "stash is full", NULL);

    /* Without a code: internal. */
    answer.error_code = NULL;
    s_assert_reply(&s_client_route, &answer, "peer", "SHOAL/1", "r7", "ERROR",
                   "internal", "stash is full", NULL);
}

Test(protocol, error_reply_to_a_request_without_id_has_an_empty_id)
{
    shoal_route_t route = s_client_route;
    route.request_id = NULL;
    route.request_id_size = 0;
    shoal_answer_t answer = {.kind = SHOAL_ANSWER_ERROR,
                             .error_code = "malformed",
                             .body = "frame 1",
                             .body_size = 7};
    s_assert_reply(&route, &answer, "peer", "SHOAL/1", "", "ERROR", "malformed",
                   "frame 1", NULL);
}

Test(protocol, query_answer_off_the_status_socket_carries_the_sequence)
{
    shoal_answer_t answer = {.kind = SHOAL_ANSWER_QUERY,
                             .first_seq = 42,
                             .body = "{}",
                             .body_size = 2};
    s_assert_reply(&s_client_route, &answer, "peer", "SHOAL/1", "r7", "QUERY",
                   "42", "{}", NULL);
}

Test(protocol, pong_has_no_further_frames)
{
    shoal_frame_t frames[SHOAL_REPLY_FRAMES_MAX];
    size_t count = shoal_protocol_pong(&s_client_route, frames);
    s_assert_frames(frames, count, "peer", "SHOAL/1", "r7", "PONG", NULL);
}

Test(protocol, status_replies_are_ok_or_error_and_one_frame)
{
    shoal_route_t route = {
        .kind = SHOAL_ROUTE_STATUS, .identity = "ops", .identity_size = 3};
    shoal_answer_t answer = {
        .kind = SHOAL_ANSWER_QUERY, .body = "{\"value\":3}", .body_size = 11};
    s_assert_reply(&route, &answer, "ops", "OK", "{\"value\":3}", NULL);

    answer = (shoal_answer_t){.kind = SHOAL_ANSWER_ERROR,
                              .error_code = "busy",
                              .body = "worker inbox is full",
                              .body_size = 20};
    s_assert_reply(&route, &answer, "ops", "ERROR", "worker inbox is full",
                   NULL);

    route.delimiter = true;
    s_assert_reply(&route, &answer, "ops", "", "ERROR", "worker inbox is full",
                   NULL);

    answer = (shoal_answer_t){
        .kind = SHOAL_ANSWER_QUERY, .body = "{}", .body_size = 2};
    s_assert_reply(&route, &answer, "ops", "", "OK", "{}", NULL);
}

Test(protocol, reply_keeps_binary_identity_and_body_without_copying)
{
    static const unsigned char identity[] = {0, 0x80, 0xff};
    static const unsigned char body[] = {'a', 0, 'b'};
    shoal_route_t route = s_client_route;
    route.identity = identity;
    route.identity_size = sizeof identity;
    shoal_answer_t answer = {
        .kind = SHOAL_ANSWER_ACCEPTED, .body = body, .body_size = sizeof body};
    s_reply_t reply;
    s_reply(&reply, &route, &answer);
    cr_assert_eq(reply.count, 7);
    shoal_frame_t first = reply.frames[0];
    cr_assert_eq(first.size, sizeof identity);
    cr_assert_eq(memcmp(first.data, identity, sizeof identity), 0);
    shoal_frame_t last = reply.frames[reply.count - 1];
    cr_assert_eq(last.size, sizeof body);
    cr_assert_eq(memcmp(last.data, body, sizeof body), 0);

    /* The frames view the route and the answer. */
    cr_assert_eq(first.data, (const void *)identity);
    cr_assert_eq(reply.frames[2].data, route.request_id);
    cr_assert_eq(last.data, (const void *)body);
}

Test(protocol, the_owner_frame_ends_outcomes_and_errors_when_asked)
{
    shoal_route_t route = s_client_route;
    route.owner = true;
    shoal_answer_t answer = {.kind = SHOAL_ANSWER_REJECTED,
                             .first_seq = 0,
                             .event_count = 0,
                             .body = "no",
                             .body_size = 2,
                             .owner = "12 4 a tcp://h:1"};
    s_assert_reply(&route, &answer, "peer", "SHOAL/1", "r7", "REJECTED", "0",
                   "0", "no", "12 4 a tcp://h:1", NULL);
    answer = (shoal_answer_t){.kind = SHOAL_ANSWER_ERROR,
                              .error_code = "busy",
                              .body = "full",
                              .body_size = 4};
    s_assert_reply(&route, &answer, "peer", "SHOAL/1", "r7", "ERROR", "busy",
                   "full", "", NULL);
    /* Not asked: no owner frame, whatever the answer holds. */
    route.owner = false;
    answer.owner = "12 4 a tcp://h:1";
    s_assert_reply(&route, &answer, "peer", "SHOAL/1", "r7", "ERROR", "busy",
                   "full", NULL);
}
