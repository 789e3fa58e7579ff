/*
 * tests/integration/node_fixture.h - the single-node fixture of the
 * integration tests: a temporary directory, the node started in it and a
 * client connected to that node, set up and torn down the same way by
 * every test file that drives one node.
 *
 * The fixture is caller-allocated (a static in the test file) and owns
 * the three things it holds. A test file makes the directory in its
 * suite's .init with node_fixture_init, starts its node with whatever
 * arguments it needs (node_process_start...) into the fixture's `node`,
 * connects with node_fixture_connect, and gives everything back in its
 * .fini with node_fixture_fini. A test may stop, kill and restart the node
 * itself in between, as long as it leaves the fields NULL or owned.
 */
#ifndef SHOAL_TESTS_NODE_FIXTURE_H
#define SHOAL_TESTS_NODE_FIXTURE_H

#include "node_process.h"

typedef struct {
    char *dir;              /* the test's temporary directory, owned */
    node_process_t *node;   /* the running node, owned, or NULL */
    shoal_client_t *client; /* a client connected to node, owned, or NULL */
} node_fixture_t;

/* Makes a fresh temporary directory (test_temp_dir_new) for the fixture,
 * whose node and client stay NULL. Fails the current test when the
 * directory cannot be made. The fixture must be empty (all NULL, as a
 * static is at the start of a test); anything else is a programming
 * error. */
void node_fixture_init(node_fixture_t *self);

/* Connects a new client to the node the test has just started into
 * self->node, and keeps it in self->client. Fails the current test when
 * self->node is NULL (the node did not start) or when the client cannot
 * be made. self->client must be NULL (destroy the previous one first). */
void node_fixture_connect(node_fixture_t *self);

/* Gives back everything the fixture holds: destroys the client, kills the
 * node, kills and reaps every other process the test started
 * (node_process_kill_all), and removes the directory. Leaves the fields
 * NULL. Safe on a fixture that was set up only partly, or not at all. */
void node_fixture_fini(node_fixture_t *self);

#endif
