/*
 * runtime/client_internal.h - what the files of the client library share:
 * client.c (sockets, commands, replies, the status socket) and
 * client_events.c (topic reads). Not installed; the public side is
 * include/shoal/client.h.
 */
#ifndef SHOAL_RUNTIME_CLIENT_INTERNAL_H
#define SHOAL_RUNTIME_CLIENT_INTERNAL_H

#include "shoal/client.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

struct shoal_client {
    zsock_t *dealer;       /* connected to the node's client port */
    uint64_t next_call_id; /* numbers the request ids of calls and reads */
    bool ask_owner;        /* SENDs carry the owner option (frame 8) */
    zlist_t *held;         /* zmsg_t replies a read received for other
                              requests, oldest first, that
                              shoal_client_receive hands out before it
                              reads the socket */
};

/* The prefix of the request ids topic reads use ("events-N"). */
#define SHOAL__CLIENT_READ_PREFIX "events-"

/* True when frame holds exactly the bytes of text. */
bool shoal__client_frame_is(zframe_t *frame, const char *text);

/* Reads an unsigned decimal number ("0", "42"; no sign, no leading zero,
 * no overflow) from frame. Returns 0, or -1 when the frame is not one. */
int shoal__client_frame_to_uint64(zframe_t *frame, uint64_t *value);

/* Copies a frame into a new NUL-terminated string (the caller's, free())
 * and sets *size (when not NULL) to the frame's size. Returns NULL when
 * memory runs out. */
char *shoal__client_frame_to_string(zframe_t *frame, size_t *size);

/* True when frame is an error code: 1..64 bytes of [a-z_]. */
bool shoal__client_frame_is_error_code(zframe_t *frame);

/* True when name is 1..max_size bytes of [A-Za-z0-9_-]. */
bool shoal__client_is_token(const char *name, size_t max_size);

/* Starts a request message: version, request id (NULL: empty) and verb.
 * Returns NULL when memory runs out. */
zmsg_t *shoal__client_request_new(const char *request_id, const char *verb);

/* Sends *msg_p (NULL: fails with ENOMEM) on sock and takes ownership of
 * it. Returns 0, or -1 with ZeroMQ's errno (EAGAIN: the queue is full). */
int shoal__client_send_message(zsock_t *sock, zmsg_t **msg_p);

/* Receives one message within timeout_ms (negative: wait forever).
 * Returns NULL on timeout (errno EAGAIN) or interruption (EINTR). */
zmsg_t *shoal__client_receive_message(zsock_t *sock, int timeout_ms);

/* Milliseconds left until deadline (a zclock_mono time), never negative;
 * -1 (forever) when deadline is negative. */
int shoal__client_time_left(int64_t deadline);

/* True when msg answers a topic read: its request id frame is
 * SHOAL__CLIENT_READ_PREFIX followed by digits. */
bool shoal__client_answers_a_read(zmsg_t *msg);

#endif
