/*
 * tests/unit/fake_node.h - a fake shoal node for the client library's
 * tests (tests/unit/test_client.c).
 *
 * The fake node is a zactor holding two ROUTER sockets on ephemeral ports,
 * a client port and a status socket, that answer per docs/PROTOCOL.md.
 * What it answers is chosen by the request, so each test can provoke the
 * reply it needs:
 *
 *   SEND, by command name: "echo" (ACCEPTED 3 2, the payload back),
 *     "describe" (ACCEPTED 0 0, "type|id|command|payload size|command
 *     id"), "reject", "busy", "pong", "slow" (answers after 300 ms),
 *     "garbage" (row PAYLOAD of a table of invalid replies); anything else
 *     is not answered.
 *   EVENTS, by topic: "pokes" (two events from the start, none after),
 *     "describe" (no events, cursor "topic|cursor|max"), "binary" (one
 *     event whose payload holds a NUL), "refused" (ERROR malformed),
 *     "slow" (no events after 300 ms), "garbage" (row CURSOR of a table of
 *     invalid answers to a read of 1 event); anything else is silent.
 *   Status: "status", "get counter c1", "garbage", "silent"; anything else
 *     is answered ERROR.
 */
#ifndef SHOAL_TESTS_FAKE_NODE_H
#define SHOAL_TESTS_FAKE_NODE_H

#include <czmq.h>
#include <stddef.h>

/* Starts a fake node and writes its client port and status socket
 * endpoints (size bytes each). Returns the actor (zactor_destroy stops
 * it), or NULL when it cannot start. */
zactor_t *fake_node_start(char *client_endpoint, char *status_endpoint,
                          size_t size);

/* Rows of the table of invalid replies to SEND ("garbage" command). */
size_t fake_node_garbage_reply_count(void);

/* Rows of the table of invalid answers to EVENTS ("garbage" topic). */
size_t fake_node_garbage_events_count(void);

#endif
