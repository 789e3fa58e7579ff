/*
 * tests/unit/test_frames.c - multipart messages as frame views
 * (runtime/frames.c) over real ZeroMQ sockets: a send and receive round
 * trip keeps every frame's bytes (empty and large frames included), a
 * message with too many frames is truncated without disturbing the next
 * one, a non-blocking receive on an empty socket fails, and the rest of a
 * message is forwarded to another socket whole and in order.
 *
 * Each test has two inproc PAIR pairs in its own context: in -> out, the
 * path under test, and relay_in -> relay_out, where forwarded parts go.
 */
#include "runtime/frames.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static void *s_context;
static void *s_in, *s_out;             /* send on s_in, receive on s_out */
static void *s_relay_in, *s_relay_out; /* forward to s_relay_in */

/* Opens a connected PAIR pair on endpoint: *sender connects to *receiver. */
static void s_pair(const char *endpoint, void **sender, void **receiver)
{
    int linger = 0;
    *receiver = zmq_socket(s_context, ZMQ_PAIR);
    *sender = zmq_socket(s_context, ZMQ_PAIR);
    cr_assert(*receiver && *sender);
    zmq_setsockopt(*receiver, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(*sender, ZMQ_LINGER, &linger, sizeof linger);
    cr_assert_eq(zmq_bind(*receiver, endpoint), 0, "bind %s: %s", endpoint,
                 zmq_strerror(errno));
    cr_assert_eq(zmq_connect(*sender, endpoint), 0, "connect %s: %s", endpoint,
                 zmq_strerror(errno));
}

static void s_setup(void)
{
    s_context = zmq_ctx_new();
    cr_assert_not_null(s_context);
    s_pair("inproc://frames", &s_in, &s_out);
    s_pair("inproc://relay", &s_relay_in, &s_relay_out);
}

static void s_teardown(void)
{
    zmq_close(s_in);
    zmq_close(s_out);
    zmq_close(s_relay_in);
    zmq_close(s_relay_out);
    zmq_ctx_term(s_context);
}

TestSuite(frames, .init = s_setup, .fini = s_teardown);

/* A text frame view, without the NUL. */
static shoal_frame_t s_text(const char *text)
{
    return (shoal_frame_t){text, strlen(text)};
}

/* Asserts message holds exactly the count frames expected, byte for byte,
 * and was not truncated. */
static void s_assert_message(const shoal_message_t *message,
                             const shoal_frame_t *expected, size_t count)
{
    cr_assert_not(message->truncated);
    cr_assert_eq(message->count, count, "%zu frames, expected %zu",
                 message->count, count);
    for (size_t i = 0; i < count; i++) {
        cr_assert_eq(message->frames[i].size, expected[i].size,
                     "frame %zu has %zu bytes, expected %zu", i,
                     message->frames[i].size, expected[i].size);
        cr_assert(expected[i].size == 0 ||
                      memcmp(message->frames[i].data, expected[i].data,
                             expected[i].size) == 0,
                  "frame %zu differs", i);
    }
}

/* Sends a single-part message of text; asserts it was taken. */
static void s_send_text(void *socket, const char *text)
{
    cr_assert_eq(zmq_send(socket, text, strlen(text), 0), (int)strlen(text));
}

/* ---------------------------------------------------------------------
 * Round trips
 */

Test(frames, round_trip_keeps_count_and_bytes)
{
    static const unsigned char binary[] = {0, 1, 0x80, 0xff, 0};
    shoal_frame_t sent[] = {
        s_text("peer"),          {"", 0},   s_text("SHOAL/1"),
        {binary, sizeof binary}, {NULL, 0}, /* an empty view may have no bytes
                                               at all */
        s_text("last"),
    };
    size_t count = sizeof sent / sizeof sent[0];
    cr_assert_eq(shoal_frames_send(s_in, sent, count, 0), 0);

    shoal_message_t message;
    cr_assert_eq(shoal_message_receive(&message, s_out, 0), 0);
    s_assert_message(&message, sent, count);
    shoal_message_close(&message);
    cr_assert_eq(message.count, 0);
}

Test(frames, round_trip_of_single_and_empty_frames)
{
    shoal_frame_t one = s_text("only");
    cr_assert_eq(shoal_frames_send(s_in, &one, 1, 0), 0);
    shoal_frame_t empty = {"", 0};
    cr_assert_eq(shoal_frames_send(s_in, &empty, 1, ZMQ_DONTWAIT), 0);
    shoal_frame_t empties[] = {{"", 0}, {"", 0}, {"", 0}};
    cr_assert_eq(shoal_frames_send(s_in, empties, 3, 0), 0);

    shoal_message_t message;
    cr_assert_eq(shoal_message_receive(&message, s_out, 0), 0);
    s_assert_message(&message, &one, 1);
    shoal_message_close(&message);

    cr_assert_eq(shoal_message_receive(&message, s_out, 0), 0);
    s_assert_message(&message, &empty, 1);
    shoal_message_close(&message);

    cr_assert_eq(shoal_message_receive(&message, s_out, ZMQ_DONTWAIT), 0);
    s_assert_message(&message, empties, 3);
    shoal_message_close(&message);
}

Test(frames, round_trip_of_a_large_frame)
{
    size_t size = 1024 * 1024;
    unsigned char *large = malloc(size);
    cr_assert_not_null(large);
    for (size_t i = 0; i < size; i++)
        large[i] = (unsigned char)(i * 31 + (i >> 8));
    shoal_frame_t sent[] = {s_text("head"), {large, size}, {"", 0}};
    cr_assert_eq(shoal_frames_send(s_in, sent, 3, 0), 0);

    shoal_message_t message;
    cr_assert_eq(shoal_message_receive(&message, s_out, 0), 0);
    s_assert_message(&message, sent, 3);
    /* The view is the received part itself, not a copy. */
    cr_assert_eq(message.frames[1].data, zmq_msg_data(&message.parts[1]));
    shoal_message_close(&message);
    free(large);
}

Test(frames, sent_frames_are_copies)
{
    char text[] = "before";
    shoal_frame_t frame = {text, sizeof text - 1};
    cr_assert_eq(shoal_frames_send(s_in, &frame, 1, 0), 0);
    memcpy(text, "AFTER!", 6);

    shoal_message_t message;
    cr_assert_eq(shoal_message_receive(&message, s_out, 0), 0);
    shoal_frame_t expected = s_text("before");
    s_assert_message(&message, &expected, 1);
    shoal_message_close(&message);
}

Test(frames, messages_arrive_whole_and_in_order)
{
    for (int i = 0; i < 100; i++) {
        char head[16], tail[16];
        snprintf(head, sizeof head, "head-%d", i);
        snprintf(tail, sizeof tail, "tail-%d", i);
        shoal_frame_t sent[] = {s_text(head), s_text(tail)};
        cr_assert_eq(shoal_frames_send(s_in, sent, 1 + (size_t)(i % 2), 0), 0);
    }
    for (int i = 0; i < 100; i++) {
        char head[16], tail[16];
        snprintf(head, sizeof head, "head-%d", i);
        snprintf(tail, sizeof tail, "tail-%d", i);
        shoal_frame_t expected[] = {s_text(head), s_text(tail)};
        shoal_message_t message;
        cr_assert_eq(shoal_message_receive(&message, s_out, 0), 0);
        s_assert_message(&message, expected, 1 + (size_t)(i % 2));
        shoal_message_close(&message);
    }
}

/* ---------------------------------------------------------------------
 * Limits
 */

/* Sends a message of count frames "f0", "f1", ... */
static void s_send_numbered(void *socket, size_t count)
{
    char texts[SHOAL_FRAMES_MAX * 2][8];
    shoal_frame_t frames[SHOAL_FRAMES_MAX * 2];
    cr_assert_leq(count, SHOAL_FRAMES_MAX * 2);
    for (size_t i = 0; i < count; i++) {
        snprintf(texts[i], sizeof texts[i], "f%zu", i);
        frames[i] = s_text(texts[i]);
    }
    cr_assert_eq(shoal_frames_send(socket, frames, count, 0), 0);
}

/* Asserts message holds the first count frames s_send_numbered sent. */
static void s_assert_numbered(const shoal_message_t *message, size_t count)
{
    cr_assert_eq(message->count, count);
    for (size_t i = 0; i < count; i++) {
        char text[8];
        snprintf(text, sizeof text, "f%zu", i);
        cr_assert_eq(message->frames[i].size, strlen(text), "frame %zu", i);
        cr_assert_eq(memcmp(message->frames[i].data, text, strlen(text)), 0,
                     "frame %zu", i);
    }
}

Test(frames, receives_a_message_of_the_most_frames_whole)
{
    s_send_numbered(s_in, SHOAL_FRAMES_MAX);
    shoal_message_t message;
    cr_assert_eq(shoal_message_receive(&message, s_out, 0), 0);
    cr_assert_not(message.truncated);
    s_assert_numbered(&message, SHOAL_FRAMES_MAX);
    shoal_message_close(&message);
}

Test(frames, truncates_a_message_of_too_many_frames_and_keeps_the_next)
{
    size_t sizes[] = {SHOAL_FRAMES_MAX + 1, SHOAL_FRAMES_MAX * 2};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        s_send_numbered(s_in, sizes[i]);
        shoal_frame_t next[] = {s_text("next"), s_text("message")};
        cr_assert_eq(shoal_frames_send(s_in, next, 2, 0), 0);

        shoal_message_t message;
        cr_assert_eq(shoal_message_receive(&message, s_out, 0), 0);
        cr_assert(message.truncated, "%zu frames not truncated", sizes[i]);
        s_assert_numbered(&message, SHOAL_FRAMES_MAX);
        shoal_message_close(&message);

        /* The dropped parts are gone; the next message is intact. */
        cr_assert_eq(shoal_message_receive(&message, s_out, ZMQ_DONTWAIT), 0);
        s_assert_message(&message, next, 2);
        shoal_message_close(&message);

        cr_assert_eq(shoal_message_receive(&message, s_out, ZMQ_DONTWAIT), -1);
    }
}

Test(frames, nonblocking_receive_on_an_empty_socket_fails)
{
    shoal_message_t message;
    memset(&message, 0x5a, sizeof message);
    cr_assert_eq(shoal_message_receive(&message, s_out, ZMQ_DONTWAIT), -1);
    cr_assert_eq(errno, EAGAIN);
    cr_assert_eq(message.count, 0, "nothing to close");
    cr_assert_not(message.truncated);

    /* Once a message is there, it is received. */
    s_send_text(s_in, "now");
    cr_assert_eq(shoal_message_receive(&message, s_out, 0), 0);
    shoal_frame_t expected = s_text("now");
    s_assert_message(&message, &expected, 1);
    shoal_message_close(&message);
    cr_assert_eq(shoal_message_receive(&message, s_out, ZMQ_DONTWAIT), -1);
}

/* ---------------------------------------------------------------------
 * Forwarding
 */

/* Receives one part of the message on socket, as the node reads a head
 * before deciding where the rest goes, and asserts it is text. */
static void s_receive_head(void *socket, const char *text)
{
    zmq_msg_t part;
    zmq_msg_init(&part);
    cr_assert_geq(zmq_msg_recv(&part, socket, 0), 0);
    cr_assert_eq(zmq_msg_size(&part), strlen(text));
    cr_assert_eq(memcmp(zmq_msg_data(&part), text, strlen(text)), 0);
    zmq_msg_close(&part);
}

Test(frames, forward_rest_moves_the_remaining_parts_as_one_message)
{
    size_t size = 1024 * 1024;
    unsigned char *large = malloc(size);
    cr_assert_not_null(large);
    for (size_t i = 0; i < size; i++)
        large[i] = (unsigned char)(i ^ (i >> 11));
    shoal_frame_t sent[] = {
        s_text("head"), s_text("a"), {"", 0}, {large, size}, s_text("z")};
    cr_assert_eq(shoal_frames_send(s_in, sent, 5, 0), 0);
    s_send_text(s_in, "following");

    s_receive_head(s_out, "head");
    cr_assert_eq(shoal_message_forward_rest(s_out, s_relay_in), 0);

    shoal_message_t message;
    cr_assert_eq(shoal_message_receive(&message, s_relay_out, 0), 0);
    s_assert_message(&message, sent + 1, 4);
    shoal_message_close(&message);
    cr_assert_eq(shoal_message_receive(&message, s_relay_out, ZMQ_DONTWAIT), -1,
                 "the rest went as one message");

    /* The following message stays on the socket forwarded from. */
    cr_assert_eq(shoal_message_receive(&message, s_out, 0), 0);
    shoal_frame_t following = s_text("following");
    s_assert_message(&message, &following, 1);
    shoal_message_close(&message);
    free(large);
}

Test(frames, forward_rest_after_the_last_part_sends_nothing)
{
    s_send_text(s_in, "alone");
    s_send_text(s_in, "following");
    s_receive_head(s_out, "alone");
    cr_assert_eq(shoal_message_forward_rest(s_out, s_relay_in), 0);

    shoal_message_t message;
    cr_assert_eq(shoal_message_receive(&message, s_relay_out, ZMQ_DONTWAIT),
                 -1);
    cr_assert_eq(shoal_message_receive(&message, s_out, 0), 0);
    shoal_frame_t following = s_text("following");
    s_assert_message(&message, &following, 1);
    shoal_message_close(&message);
}

Test(frames, forward_rest_to_a_socket_that_refuses_drains_the_rest)
{
    /* A PAIR with no peer takes nothing without blocking. */
    void *nowhere = zmq_socket(s_context, ZMQ_PAIR);
    int linger = 0;
    zmq_setsockopt(nowhere, ZMQ_LINGER, &linger, sizeof linger);

    shoal_frame_t sent[] = {s_text("head"), s_text("a"), s_text("b")};
    cr_assert_eq(shoal_frames_send(s_in, sent, 3, 0), 0);
    s_send_text(s_in, "following");

    s_receive_head(s_out, "head");
    cr_assert_eq(shoal_message_forward_rest(s_out, nowhere), -1);

    shoal_message_t message;
    cr_assert_eq(shoal_message_receive(&message, s_out, 0), 0);
    shoal_frame_t following = s_text("following");
    s_assert_message(&message, &following, 1);
    shoal_message_close(&message);
    zmq_close(nowhere);
}
