/*
 * runtime/frames.h - multipart ZeroMQ messages as arrays of frame views,
 * received and sent with libzmq's zmq_msg_t directly: no allocation per
 * frame on the node's hot path (small frames live inside the zmq_msg_t).
 */
#ifndef SHOAL_RUNTIME_FRAMES_H
#define SHOAL_RUNTIME_FRAMES_H

#include "runtime/protocol.h"

#include <stdbool.h>
#include <zmq.h>

/* A received message. frames[i] views parts[i] until the message is
 * closed. Never copy one by assignment: small frames live inside their
 * zmq_msg_t, so a copy's views would point into the original. */
typedef struct {
    zmq_msg_t parts[SHOAL_FRAMES_MAX];
    shoal_frame_t frames[SHOAL_FRAMES_MAX];
    size_t count;
    bool truncated; /* it had more than SHOAL_FRAMES_MAX frames */
} shoal_message_t;

/* Receives every part of the next message on socket (flags: 0 or
 * ZMQ_DONTWAIT). Parts past SHOAL_FRAMES_MAX are read and dropped, and
 * truncated is set. Returns 0, or -1 when nothing was received (then
 * nothing needs closing). */
int shoal_message_receive(shoal_message_t *message, void *socket, int flags);

/* Releases the parts of a received message. */
void shoal_message_close(shoal_message_t *message);

/* Sends frames as one multipart message (copying them). flags: 0 or
 * ZMQ_DONTWAIT. Returns 0, or -1 when the socket refused a part (for a
 * ROUTER: the peer is gone, or its queue is full). */
int shoal_frames_send(void *socket, const shoal_frame_t *frames, size_t count,
                      int flags);

/* Moves the rest of the message being received on from (after the parts
 * already read) to to, part by part, without copying. Returns 0 or -1
 * (the rest is then drained and dropped). */
int shoal_message_forward_rest(void *from, void *to);

#endif
