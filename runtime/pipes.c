/*
 * runtime/pipes.c - pointer passing between threads (see pipes.h).
 */
#include "runtime/pipes.h"

#include <string.h>

typedef struct {
    uint8_t tag;
    void *pointer;
} s_frame_t;

int shoal_pipe_send(zsock_t *socket, shoal_pipe_tag_t tag, void *pointer,
                    int flags)
{
    s_frame_t frame;
    memset(&frame, 0, sizeof frame);
    frame.tag = (uint8_t)tag;
    frame.pointer = pointer;
    return zmq_send(zsock_resolve(socket), &frame, sizeof frame, flags) ==
                   (int)sizeof frame
               ? 0
               : -1;
}

int shoal_pipe_receive(zsock_t *socket, void **pointer, int flags)
{
    s_frame_t frame;
    int size = zmq_recv(zsock_resolve(socket), &frame, sizeof frame, flags);
    if (size != (int)sizeof frame)
        return -1;
    *pointer = frame.pointer;
    return frame.tag;
}

void shoal_pipe_endpoint(char *buffer, size_t size, const void *node,
                         const char *what, int index)
{
    if (index >= 0)
        snprintf(buffer, size, "inproc://shoal-%p-%s-%d", node, what, index);
    else
        snprintf(buffer, size, "inproc://shoal-%p-%s", node, what);
}
