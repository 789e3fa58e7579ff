/*
 * tests/unit/test_gossip.c - the JSON codec of the membership messages:
 * gossip and join requests survive a round trip; malformed join requests
 * are refused with a reason; and thousands of mutations of valid messages
 * never crash the decoders (a deterministic, in-suite cousin of a fuzz
 * target: run it under ASan).
 */
#include "cluster/gossip.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SHARDS 16

/* A view of three members in various states. */
static void s_members(shoal_member_t members[3])
{
    memset(members, 0, 3 * sizeof *members);
    const char *names[] = {"alpha", "beta.2", "gamma_3-x"};
    const shoal_member_state_t states[] = {SHOAL_MEMBER_UP, SHOAL_MEMBER_DOWN,
                                           SHOAL_MEMBER_JOINING};
    for (int i = 0; i < 3; i++) {
        strcpy(members[i].name, names[i]);
        members[i].incarnation = 1700000000000ULL + (uint64_t)i;
        members[i].version = 7 + (uint64_t)i;
        members[i].state = states[i];
        members[i].up_since = i == 2 ? 0 : (uint64_t)i + 1;
        snprintf(members[i].peer_endpoint, sizeof members[i].peer_endpoint,
                 "tcp://10.0.0.%d:7000", i + 1);
        snprintf(members[i].client_endpoint, sizeof members[i].client_endpoint,
                 "tcp://10.0.0.%d:7001", i + 1);
    }
}

/* A table with owners alpha and beta.2 and two unowned shards. */
static shoal_shard_table_t *s_table(void)
{
    shoal_shard_table_t *table = shoal_shard_table_new(S_SHARDS);
    for (uint32_t shard = 2; shard < S_SHARDS; shard++)
        shoal_shard_table_set_owner(table, shard,
                                    shard % 3 ? "alpha" : "beta.2");
    shoal_shard_table_set_epoch(table, 42, "alpha");
    return table;
}

static char *s_valid_gossip(void)
{
    shoal_member_t members[3];
    s_members(members);
    shoal_shard_table_t *table = s_table();
    char *text = shoal_gossip_encode("north", "beta.2", members[1].incarnation,
                                     99, members, 3, table);
    shoal_shard_table_destroy(&table);
    cr_assert_not_null(text);
    return text;
}

Test(gossip, survives_a_round_trip)
{
    shoal_member_t members[3];
    s_members(members);
    char *text = s_valid_gossip();
    shoal_gossip_t gossip;
    char error[256] = "";
    cr_assert_eq(shoal_gossip_decode(text, strlen(text), S_SHARDS, &gossip,
                                     error, sizeof error),
                 0, "%s", error);
    cr_assert_str_eq(gossip.from, "beta.2");
    cr_assert_str_eq(gossip.cluster, "north");
    cr_assert_eq(gossip.incarnation, members[1].incarnation);
    cr_assert_eq(gossip.heartbeat, 99);
    cr_assert_eq(gossip.member_count, 3);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(shoal_member_compare(&gossip.members[i], &members[i]), 0);
        cr_assert_not(gossip.members[i].heard, "local fields are not sent");
    }
    shoal_shard_table_t *table = s_table();
    cr_assert(shoal_shard_table_same_owners(gossip.table, table));
    cr_assert_eq(shoal_shard_table_compare(gossip.table, table), 0);
    cr_assert_null(shoal_shard_table_owner(gossip.table, 0));
    shoal_shard_table_destroy(&table);
    shoal_gossip_clear(&gossip);
    shoal_gossip_clear(&gossip);
    free(text);
}

Test(gossip, the_table_travels_as_owner_indexes)
{
    char *text = s_valid_gossip();
    cr_assert(strstr(text, "\"names\":[\"alpha\",\"beta.2\"]"), "%s", text);
    cr_assert(strstr(text, "\"owners\":[-1,-1,0,1,0,0,1,0,0,1"), "%s", text);
    free(text);
}

static shoal_join_request_t s_request(void)
{
    shoal_join_request_t request = {0};
    strcpy(request.cluster, "north");
    strcpy(request.member.name, "n4");
    request.member.incarnation = 123456;
    strcpy(request.member.peer_endpoint, "tcp://127.0.0.1:7401");
    request.shards = 64;
    strcpy(request.protocol_version, "SHOAL/1");
    const char *types[] = {"wish_child", "counter", "account", "counter"};
    request.plugin_types = shoal_gossip_types_canonical(types, 4);
    return request;
}

Test(gossip, a_join_request_survives_a_round_trip)
{
    shoal_join_request_t request = s_request();
    cr_assert_str_eq(request.plugin_types, "account,counter,wish_child");
    char *text = shoal_join_request_encode(&request);
    shoal_join_request_t decoded;
    char error[256] = "";
    cr_assert_eq(shoal_join_request_decode(text, strlen(text), &decoded, error,
                                           sizeof error),
                 0, "%s", error);
    cr_assert_str_eq(decoded.cluster, "north");
    cr_assert_str_eq(decoded.member.name, "n4");
    cr_assert_eq(decoded.member.incarnation, 123456);
    cr_assert_str_eq(decoded.member.peer_endpoint, "tcp://127.0.0.1:7401");
    cr_assert_str_eq(decoded.member.client_endpoint, "");
    cr_assert_eq(decoded.member.state, SHOAL_MEMBER_JOINING);
    cr_assert_eq(decoded.shards, 64);
    cr_assert_str_eq(decoded.protocol_version, "SHOAL/1");
    cr_assert_str_eq(decoded.plugin_types, "account,counter,wish_child");
    shoal_join_request_clear(&decoded);
    shoal_join_request_clear(&request);
    free(text);
}

Test(gossip, no_plugin_types_is_an_empty_set)
{
    char *none = shoal_gossip_types_canonical(NULL, 0);
    cr_assert_str_eq(none, "");
    shoal_join_request_t request = s_request();
    free(request.plugin_types);
    request.plugin_types = none;
    char *text = shoal_join_request_encode(&request);
    cr_assert(strstr(text, "\"plugin_types\":[]"), "%s", text);
    shoal_join_request_t decoded;
    char error[256];
    cr_assert_eq(shoal_join_request_decode(text, strlen(text), &decoded, error,
                                           sizeof error),
                 0, "%s", error);
    cr_assert_str_eq(decoded.plugin_types, "");
    shoal_join_request_clear(&decoded);
    shoal_join_request_clear(&request);
    free(text);
}

/* Join requests, each wrong in one way, and the reason each must get. */
static const struct {
    const char *text;
    const char *reason;
} s_bad_joins[] = {
    {"{\"join\":1}", "'cluster' is missing"},
    {"{\"join\":1,\"cluster\":\"a b\",\"name\":\"n4\"}",
     "'cluster' is not a member name"},
    {"{\"join\":2}", "unknown format 2"},
    {"[]", "not a JSON object"},
    {"{\"join\":1,\"cluster\":\"c\",\"name\":\"n4\"", "not JSON"},
    {"{\"join\":1,\"cluster\":\"c\",\"name\":\"n/"
     "4\",\"incarnation\":1,\"peer\":\"\","
     "\"client\":\"\",\"status\":\"\",\"shards\":64,\"protocol\":\"P\","
     "\"plugin_types\":[]}",
     "not a member name"},
    {"{\"join\":1,\"cluster\":\"c\",\"name\":\"n4\",\"incarnation\":1,\"peer\":"
     "\"\","
     "\"client\":\"\",\"status\":\"\",\"shards\":0,\"protocol\":\"P\","
     "\"plugin_types\":[]}",
     "'shards' is 0"},
    {"{\"join\":1,\"cluster\":\"c\",\"name\":\"n4\",\"incarnation\":1,\"peer\":"
     "\"\","
     "\"client\":\"\",\"status\":\"\",\"shards\":65537,\"protocol\":\"P\","
     "\"plugin_types\":[]}",
     "'shards' is 65537, out of 0..65536"},
    {"{\"join\":1,\"cluster\":\"c\",\"name\":\"n4\",\"incarnation\":1,\"peer\":"
     "\"\","
     "\"client\":\"\",\"status\":\"\",\"shards\":64,\"protocol\":\"\","
     "\"plugin_types\":[]}",
     "'protocol' is empty"},
    {"{\"join\":1,\"cluster\":\"c\",\"name\":\"n4\",\"incarnation\":1,\"peer\":"
     "\"\","
     "\"client\":\"\",\"status\":\"\",\"shards\":64,\"protocol\":"
     "\"0123456789012345678901234567890123\",\"plugin_types\":[]}",
     "'protocol' is 34 bytes, over 32"},
    {"{\"join\":1,\"cluster\":\"c\",\"name\":\"n4\",\"incarnation\":1,\"peer\":"
     "\"\","
     "\"client\":\"\",\"status\":\"\",\"shards\":64,\"protocol\":\"P\","
     "\"plugin_types\":[\"a,b\"]}",
     "plugin_types[0] is not a type name"},
    {"{\"join\":1,\"cluster\":\"c\",\"name\":\"n4\",\"incarnation\":1,\"peer\":"
     "\"\","
     "\"client\":\"\",\"status\":\"\",\"shards\":64,\"protocol\":\"P\","
     "\"plugin_types\":{}}",
     "'plugin_types' is missing or not an array"},
    {"{\"join\":1,\"cluster\":\"c\",\"name\":\"n4\",\"incarnation\":-1,"
     "\"peer\":\"\","
     "\"client\":\"\",\"status\":\"\",\"shards\":64,\"protocol\":\"P\","
     "\"plugin_types\":[]}",
     "'incarnation' is -1"},
    {"{\"join\":1,\"cluster\":\"c\",\"name\":\"n4\",\"incarnation\":1,\"peer\":"
     "\"\","
     "\"client\":\"\",\"shards\":64,\"protocol\":\"P\",\"plugin_types\":[]}",
     "'status' is missing"},
};

Test(gossip, malformed_join_requests_are_refused_with_a_reason)
{
    for (size_t i = 0; i < sizeof s_bad_joins / sizeof s_bad_joins[0]; i++) {
        shoal_join_request_t request;
        char error[256] = "";
        cr_assert_eq(shoal_join_request_decode(s_bad_joins[i].text,
                                               strlen(s_bad_joins[i].text),
                                               &request, error, sizeof error),
                     -1, "accepted: %s", s_bad_joins[i].text);
        cr_assert(strstr(error, s_bad_joins[i].reason),
                  "'%s' lacks '%s' for %s", error, s_bad_joins[i].reason,
                  s_bad_joins[i].text);
        cr_assert_null(request.plugin_types);
    }
}

Test(gossip, too_many_plugin_types_are_refused)
{
    size_t size = 32 + 6 * (SHOAL_GOSSIP_MAX_TYPES + 1) + 200;
    char *text = malloc(size);
    int length = snprintf(
        text, size,
        "{\"join\":1,\"cluster\":\"c\",\"name\":\"n4\",\"incarnation\":1,"
        "\"peer\":\"\",\"client\":\"\",\"status\":\"\","
        "\"shards\":64,\"protocol\":\"P\","
        "\"plugin_types\":[");
    for (int i = 0; i <= SHOAL_GOSSIP_MAX_TYPES; i++)
        length += snprintf(text + length, size - (size_t)length, "%s\"t\"",
                           i ? "," : "");
    snprintf(text + length, size - (size_t)length, "]}");
    shoal_join_request_t request;
    char error[256] = "";
    cr_assert_eq(shoal_join_request_decode(text, strlen(text), &request, error,
                                           sizeof error),
                 -1);
    cr_assert(strstr(error, "1025 plugin types, over 1024"), "%s", error);
    free(text);
}

/* A small deterministic generator (xorshift64*). */
static uint64_t s_random(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545f4914f6cdd1dULL;
}

/* Mutates a copy of text: overwrites, deletes, duplicates or truncates a
 * few bytes. Returns the copy (malloc'd) and its size. */
static char *s_mutate(const char *text, uint64_t *state, size_t *size)
{
    size_t length = strlen(text);
    char *copy = malloc(2 * length + 1);
    memcpy(copy, text, length);
    static const char alphabet[] = "{}[]\",:-019e.\\ nulltrue\x01\xff";
    int edits = 1 + (int)(s_random(state) % 4);
    for (int e = 0; e < edits && length > 0; e++) {
        size_t at = (size_t)(s_random(state) % length);
        switch (s_random(state) % 4) {
        case 0:
            copy[at] = alphabet[s_random(state) % (sizeof alphabet - 1)];
            break;
        case 1:
            memmove(copy + at, copy + at + 1, length - at - 1);
            length--;
            break;
        case 2: {
            size_t span = 1 + (size_t)(s_random(state) % 16);
            if (span > length - at)
                span = length - at;
            memmove(copy + at + span, copy + at, length - at);
            length += span;
            break;
        }
        default:
            length = at;
            break;
        }
    }
    *size = length;
    return copy;
}

Test(gossip, mutated_messages_never_crash_the_decoders)
{
    char *gossip_text = s_valid_gossip();
    shoal_join_request_t request = s_request();
    char *join_text = shoal_join_request_encode(&request);
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    int accepted = 0;
    for (int i = 0; i < 4000; i++) {
        size_t size;
        char error[256];
        char *text = s_mutate(gossip_text, &state, &size);
        shoal_gossip_t gossip;
        error[0] = '\0';
        if (shoal_gossip_decode(text, size, S_SHARDS, &gossip, error,
                                sizeof error) == 0) {
            accepted++;
            cr_assert_geq(gossip.member_count, 1);
            shoal_gossip_clear(&gossip);
        } else {
            cr_assert_neq(error[0], '\0', "a rejection has a reason");
            cr_assert_null(gossip.members);
            cr_assert_null(gossip.table);
        }
        free(text);
        text = s_mutate(join_text, &state, &size);
        shoal_join_request_t decoded;
        error[0] = '\0';
        if (shoal_join_request_decode(text, size, &decoded, error,
                                      sizeof error) == 0)
            shoal_join_request_clear(&decoded);
        else
            cr_assert_neq(error[0], '\0');
        free(text);
    }
    cr_log_info("%d of 4000 mutated gossips still decoded", accepted);
    shoal_join_request_clear(&request);
    free(join_text);
    free(gossip_text);
}
