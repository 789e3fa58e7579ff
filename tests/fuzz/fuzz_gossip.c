/*
 * tests/fuzz/fuzz_gossip.c - libFuzzer target: the cluster's membership
 * messages as they arrive from the network (cluster/gossip.h): gossip
 * (views and shard tables) and join requests.
 *
 * The input's first byte picks the decoder (even: gossip, for a cluster
 * of 16 shards; odd: join request); the rest is the message text.
 *
 * Properties checked: decoding never reads outside the text; a refused
 * message says why; an accepted one encodes back to a text that decodes
 * to the same message.
 */
#include "fuzz.h"
#include "cluster/gossip.h"

#include <stdlib.h>

/* Checks that a decoded gossip encodes and decodes to itself. */
static void s_gossip_round_trip(const shoal_gossip_t *gossip)
{
    char *text = shoal_gossip_encode(
        gossip->cluster, gossip->from, gossip->incarnation, gossip->heartbeat,
        gossip->members, gossip->member_count, gossip->table);
    FUZZ_CHECK(text);
    shoal_gossip_t again;
    char error[256];
    FUZZ_CHECK(shoal_gossip_decode(text, strlen(text), 16, &again, error,
                                   sizeof error) == 0);
    FUZZ_CHECK(strcmp(again.from, gossip->from) == 0);
    FUZZ_CHECK(strcmp(again.cluster, gossip->cluster) == 0);
    FUZZ_CHECK(again.incarnation == gossip->incarnation);
    FUZZ_CHECK(again.heartbeat == gossip->heartbeat);
    FUZZ_CHECK(again.member_count == gossip->member_count);
    for (size_t i = 0; i < again.member_count; i++)
        FUZZ_CHECK(
            shoal_member_compare(&again.members[i], &gossip->members[i]) == 0);
    FUZZ_CHECK(shoal_shard_table_compare(again.table, gossip->table) == 0);
    shoal_gossip_clear(&again);
    free(text);
}

/* Checks that a decoded join request encodes and decodes to itself. */
static void s_join_round_trip(const shoal_join_request_t *request)
{
    char *text = shoal_join_request_encode(request);
    FUZZ_CHECK(text);
    shoal_join_request_t again;
    char error[256];
    FUZZ_CHECK(shoal_join_request_decode(text, strlen(text), &again, error,
                                         sizeof error) == 0);
    FUZZ_CHECK(shoal_member_compare(&again.member, &request->member) == 0);
    FUZZ_CHECK(again.shards == request->shards);
    FUZZ_CHECK(strcmp(again.cluster, request->cluster) == 0);
    FUZZ_CHECK(strcmp(again.protocol_version, request->protocol_version) == 0);
    FUZZ_CHECK(strcmp(again.plugin_types, request->plugin_types) == 0);
    shoal_join_request_clear(&again);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    bool join = data[0] & 1;
    size_t text_size = size - 1;
    char *text = malloc(text_size ? text_size : 1);
    FUZZ_CHECK(text);
    if (text_size)
        memcpy(text, data + 1, text_size);
    char error[256] = "";
    if (join) {
        shoal_join_request_t request;
        if (shoal_join_request_decode(text, text_size, &request, error,
                                      sizeof error) == 0) {
            s_join_round_trip(&request);
            shoal_join_request_clear(&request);
        } else {
            FUZZ_CHECK(*error);
        }
    } else {
        shoal_gossip_t gossip;
        if (shoal_gossip_decode(text, text_size, 16, &gossip, error,
                                sizeof error) == 0) {
            s_gossip_round_trip(&gossip);
            shoal_gossip_clear(&gossip);
        } else {
            FUZZ_CHECK(*error);
        }
    }
    free(text);
    return 0;
}
