/*
 * runtime/frames.c - raw multipart receive and send (see frames.h).
 */
#include "runtime/frames.h"

#include <string.h>

/* True when the last part received on socket has more after it. */
static bool s_more(void *socket)
{
    int more = 0;
    size_t size = sizeof more;
    return zmq_getsockopt(socket, ZMQ_RCVMORE, &more, &size) == 0 && more;
}

int shoal_message_receive(shoal_message_t *message, void *socket, int flags)
{
    message->count = 0;
    message->truncated = false;
    do {
        if (message->count == SHOAL_FRAMES_MAX) {
            zmq_msg_t extra;
            zmq_msg_init(&extra);
            zmq_msg_recv(&extra, socket, 0);
            zmq_msg_close(&extra);
            message->truncated = true;
            continue;
        }
        zmq_msg_t *part = &message->parts[message->count];
        zmq_msg_init(part);
        if (zmq_msg_recv(part, socket, message->count ? 0 : flags) < 0) {
            zmq_msg_close(part);
            if (message->count == 0)
                return -1;
            break; /* defensive: parts of one message arrive together */
        }
        message->frames[message->count].data = zmq_msg_data(part);
        message->frames[message->count].size = zmq_msg_size(part);
        message->count++;
    } while (s_more(socket));
    return 0;
}

void shoal_message_close(shoal_message_t *message)
{
    for (size_t i = 0; i < message->count; i++)
        zmq_msg_close(&message->parts[i]);
    message->count = 0;
}

int shoal_frames_send(void *socket, const shoal_frame_t *frames, size_t count,
                      int flags)
{
    for (size_t i = 0; i < count; i++) {
        int more = i + 1 < count ? ZMQ_SNDMORE : 0;
        if (zmq_send(socket, frames[i].data, frames[i].size, flags | more) < 0)
            return -1;
    }
    return 0;
}

int shoal_message_forward_rest(void *from, void *to)
{
    int rc = 0;
    while (s_more(from)) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, from, 0) < 0) {
            zmq_msg_close(&part);
            return -1;
        }
        bool more = s_more(from);
        if (rc == 0 &&
            zmq_msg_send(&part, to, (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) <
                0)
            rc = -1; /* keep draining the rest */
        zmq_msg_close(&part);
    }
    return rc;
}
