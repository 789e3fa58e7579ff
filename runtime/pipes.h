/*
 * runtime/pipes.h - passing message pointers between the node's threads
 * over inproc ZeroMQ sockets, and the names of those sockets.
 *
 * A pointer travels as one frame of a tag byte and the pointer; the
 * receiver becomes its owner. Only threads of one process exchange them.
 */
#ifndef SHOAL_RUNTIME_PIPES_H
#define SHOAL_RUNTIME_PIPES_H

#include <czmq.h>
#include <stdint.h>

typedef enum {
    SHOAL_PIPE_REQUEST = 1,      /* shoal_request_t, main -> worker */
    SHOAL_PIPE_APPEND = 2,       /* shoal_append_t, worker <-> writer */
    SHOAL_PIPE_RECOVERY = 3,     /* shoal_recovery_t, worker <-> reader */
    SHOAL_PIPE_REACTOR = 4,      /* shoal_reactor_request_t, main -> reactor */
    SHOAL_PIPE_CLUSTER_VIEW = 5, /* shoal_cluster_view_t, cluster -> main */
    SHOAL_PIPE_HANDOFF = 6,      /* shoal_handoff_msg_t, between threads */
} shoal_pipe_tag_t;

/* Sends pointer with tag on socket. flags: 0 or ZMQ_DONTWAIT. Returns 0,
 * or -1 when the message could not be queued (ownership stays with the
 * caller). */
int shoal_pipe_send(zsock_t *socket, shoal_pipe_tag_t tag, void *pointer,
                    int flags);

/* Receives one pointer. flags: 0 or ZMQ_DONTWAIT. Returns the tag, or -1
 * when nothing was there (or the frame is not a pointer message). */
int shoal_pipe_receive(zsock_t *socket, void **pointer, int flags);

/* Writes the inproc endpoint name of a node's socket into buffer:
 * "inproc://shoal-<node>-<what>[-<index>]". */
void shoal_pipe_endpoint(char *buffer, size_t size, const void *node,
                         const char *what, int index);

#endif
