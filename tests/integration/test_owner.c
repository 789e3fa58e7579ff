/*
 * tests/integration/test_owner.c - a command that asks for its owner
 * (SEND frame 8, `owner`) is answered with the node that handled it: on a
 * single node, the node itself at epoch 0, for outcomes and for errors of
 * its worker; nothing when the request is refused before it is routed.
 * The cluster's side (the owner named through a forward, and a client
 * routing straight to it) is in test_cluster.c.
 */
#include "node_fixture.h"
#include "node_process.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static node_fixture_t s_fixture;

static void s_setup(void)
{
    node_fixture_init(&s_fixture);
    s_fixture.node =
        node_process_start_examples(s_fixture.dir, "--node-name", "solo", NULL);
    node_fixture_connect(&s_fixture);
    shoal_client_ask_owner(s_fixture.client, true);
}

static void s_teardown(void)
{
    node_fixture_fini(&s_fixture);
}

TestSuite(owner, .init = s_setup, .fini = s_teardown);

/* Sends command to type/id with payload; fills *reply. */
static void s_call(const char *type, const char *id, const char *command,
                   const char *payload, shoal_reply_t *reply)
{
    cr_assert_eq(shoal_client_call(s_fixture.client, type, id, command, payload,
                                   strlen(payload), NULL, reply,
                                   TEST_REQUEST_TIMEOUT_MS),
                 0, "%s/%s %s: no reply", type, id, command);
}

/* Asserts the reply names this node, at epoch 0. */
static void s_assert_named_solo(const shoal_reply_t *reply)
{
    cr_assert(reply->owner.known, "the reply names its owner");
    cr_assert_str_eq(reply->owner.member, "solo");
    cr_assert_str_eq(reply->owner.endpoint,
                     node_process_client_endpoint(s_fixture.node));
    cr_assert_eq(reply->owner.epoch, 0, "a single node is at epoch 0");
    cr_assert_lt(reply->owner.shard, 64, "one of the default 64 shards");
}

Test(owner, a_single_node_names_itself_in_accepted_and_rejected_replies)
{
    shoal_reply_t reply = {0};
    s_call("account", "a1", "Open", "{\"owner\":\"x\"}", &reply);
    cr_assert_eq(reply.status, SHOAL_REPLY_ACCEPTED, "%s", reply.body);
    s_assert_named_solo(&reply);
    uint32_t shard = reply.owner.shard;
    shoal_reply_clear(&reply);

    s_call("account", "a1", "Withdraw", "{\"amount\":1000}", &reply);
    cr_assert_eq(reply.status, SHOAL_REPLY_REJECTED, "%s", reply.body);
    s_assert_named_solo(&reply);
    cr_assert_eq(reply.owner.shard, shard, "same entity, same shard");
    shoal_reply_clear(&reply);
}

Test(owner, a_request_refused_before_routing_names_no_owner)
{
    shoal_reply_t reply = {0};
    s_call("nosuchtype", "x", "Do", "", &reply);
    cr_assert_eq(reply.status, SHOAL_REPLY_ERROR);
    cr_assert_str_eq(reply.error_code, "unknown_type");
    cr_assert_not(reply.owner.known);
    shoal_reply_clear(&reply);
}

Test(owner, a_client_that_does_not_ask_gets_the_replies_it_always_got)
{
    shoal_client_ask_owner(s_fixture.client, false);
    shoal_reply_t reply = {0};
    s_call("counter", "c1", "Increment", "{\"by\":1}", &reply);
    cr_assert_eq(reply.status, SHOAL_REPLY_ACCEPTED, "%s", reply.body);
    cr_assert_not(reply.owner.known);
    shoal_reply_clear(&reply);
}
