/*
 * tests/integration/node_fixture.c - the single-node fixture of the
 * integration tests: a temporary directory, a node and a client, made and
 * given back in one place. See node_fixture.h.
 */
#include "node_fixture.h"

#include <assert.h>
#include <criterion/criterion.h>

void node_fixture_init(node_fixture_t *self)
{
    assert(self);
    assert(!self->dir && !self->node && !self->client);
    self->dir = test_temp_dir_new();
    cr_assert_not_null(self->dir);
}

void node_fixture_connect(node_fixture_t *self)
{
    assert(self);
    assert(!self->client);
    cr_assert_not_null(self->node, "shoald did not start");
    self->client = node_process_client(self->node);
    cr_assert_not_null(self->client);
}

void node_fixture_fini(node_fixture_t *self)
{
    assert(self);
    shoal_client_destroy(&self->client);
    node_process_kill(&self->node);
    node_process_kill_all();
    test_temp_dir_remove(&self->dir);
}
