/*
 * tests/unit/test_gates.c - the table of commands waiting on their
 * gatekeepers (runtime/gates.c), driven through a fake node: its asks are
 * recorded and answered by the test, its replies and dispatches recorded.
 */
#include "runtime/gates.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define RECORDS_MAX 16

/* What the fake node saw. */
typedef struct {
    char request_id[16]; /* the command's, as the route carried it */
    shoal_answer_kind_t kind;
    char code[32];
    char body[128];
} s_reply_t;

static struct {
    s_reply_t replies[RECORDS_MAX];
    size_t reply_count;
    size_t dispatch_count;
    uint8_t ask_ids[RECORDS_MAX][16]; /* the route's request id of each ask */
    size_t ask_id_sizes[RECORDS_MAX];
    size_t ask_count;
} s_node;

static shoal_gates_t *s_gates;

static void s_teardown(void)
{
    shoal_gates_destroy(&s_gates);
    memset(&s_node, 0, sizeof s_node);
}

TestSuite(gates, .fini = s_teardown);

static const shoal_type_t s_type = {.name = "t"};

static const shoal_type_t *s_find_type(void *arg, const char *name)
{
    (void)arg;
    return strcmp(name, s_type.name) == 0 ? &s_type : NULL;
}

static int64_t s_now_ms(void *arg)
{
    (void)arg;
    return 0;
}

static void s_dispatch(void *arg, const shoal_route_t *route,
                       const shoal_type_t *type, const char *entity_id,
                       const char *command, const char *command_id,
                       const void *payload, size_t payload_size)
{
    (void)arg, (void)route, (void)type, (void)entity_id, (void)command;
    (void)command_id, (void)payload, (void)payload_size;
    s_node.dispatch_count++;
}

static int s_ask(void *arg, const shoal_route_t *route,
                 const shoal_type_t *type, const char *entity_id)
{
    (void)arg, (void)type, (void)entity_id;
    cr_assert_lt(s_node.ask_count, RECORDS_MAX);
    cr_assert_leq(route->request_id_size, sizeof s_node.ask_ids[0]);
    memcpy(s_node.ask_ids[s_node.ask_count], route->request_id,
           route->request_id_size);
    s_node.ask_id_sizes[s_node.ask_count++] = route->request_id_size;
    return 0; /* queued; the test answers it, or not */
}

static void s_reply(void *arg, const shoal_route_t *route,
                    const shoal_answer_t *answer)
{
    (void)arg;
    cr_assert_lt(s_node.reply_count, RECORDS_MAX);
    s_reply_t *reply = &s_node.replies[s_node.reply_count++];
    snprintf(reply->request_id, sizeof reply->request_id, "%.*s",
             (int)route->request_id_size, (const char *)route->request_id);
    reply->kind = answer->kind;
    snprintf(reply->code, sizeof reply->code, "%s",
             answer->error_code ? answer->error_code : "");
    snprintf(reply->body, sizeof reply->body, "%.*s", (int)answer->body_size,
             (const char *)answer->body);
}

/* Asks entity t/other in the first round, forwards in the next. */
static void s_run_gatekeeper(shoal_gate_t *gate, const shoal_command_t *command)
{
    (void)command;
    if (shoal_gate_round(gate) == 0)
        shoal_gate_ask(gate, "t", "other", 60000);
    else
        shoal_gate_forward(gate, NULL, 0);
}

static const shoal_gatekeeper_t s_gatekeeper = {.command = "Guarded",
                                                .run = s_run_gatekeeper};

static void s_start(size_t max_waiting)
{
    shoal_gates_host_t host = {.find_type = s_find_type,
                               .now_ms = s_now_ms,
                               .dispatch = s_dispatch,
                               .ask = s_ask,
                               .reply = s_reply};
    s_gates = shoal_gates_new(&host, 1000, max_waiting);
    cr_assert_not_null(s_gates);
}

/* A client sends command Guarded to t/e with request id request_id. */
static void s_command(const char *request_id)
{
    shoal_route_t route = {.kind = SHOAL_ROUTE_CLIENT,
                           .identity = "peer",
                           .identity_size = 4,
                           .request_id = request_id,
                           .request_id_size = strlen(request_id)};
    shoal_client_request_t request = {
        .type = "t", .entity_id = "e", .command = "Guarded"};
    shoal_gates_start(s_gates, &route, &s_gatekeeper, &s_type, &request);
}

/* Answers ask number index as the worker would: [SHOAL/1] [ask id]
 * [QUERY] [sequence] [text]. */
static void s_answer_ask(size_t index)
{
    cr_assert_lt(index, s_node.ask_count);
    shoal_frame_t frames[] = {
        {"SHOAL/1", 7}, {s_node.ask_ids[index], s_node.ask_id_sizes[index]},
        {"QUERY", 5},   {"1", 1},
        {"{}", 2},
    };
    shoal_gates_answered(s_gates, frames, 5);
}

Test(gates, full_table_answers_busy_and_frees_room_as_commands_decide)
{
    s_start(2);
    s_command("r1");
    s_command("r2");
    cr_assert_eq(shoal_gates_waiting(s_gates), 2);
    cr_assert_eq(s_node.reply_count, 0);

    s_command("r3"); /* its gatekeeper asks: no room to wait */
    cr_assert_eq(shoal_gates_waiting(s_gates), 2);
    cr_assert_eq(s_node.ask_count, 2, "the refused command asked anyway");
    cr_assert_eq(s_node.reply_count, 1);
    cr_assert_str_eq(s_node.replies[0].request_id, "r3");
    cr_assert_eq(s_node.replies[0].kind, SHOAL_ANSWER_ERROR);
    cr_assert_str_eq(s_node.replies[0].code, "busy");
    cr_assert(strstr(s_node.replies[0].body, "2 commands wait"), "%s",
              s_node.replies[0].body);
    cr_assert_eq(shoal_gates_counters(s_gates)->busy, 1);
    cr_assert_eq(shoal_gates_counters(s_gates)->started, 3);

    s_answer_ask(0); /* r1 is forwarded: room for one more */
    cr_assert_eq(s_node.dispatch_count, 1);
    cr_assert_eq(shoal_gates_waiting(s_gates), 1);
    s_command("r4");
    cr_assert_eq(shoal_gates_waiting(s_gates), 2);
    cr_assert_eq(s_node.reply_count, 1, "r4 was refused");
    s_answer_ask(1);
    s_answer_ask(2);
    cr_assert_eq(s_node.dispatch_count, 3);
    cr_assert_eq(shoal_gates_waiting(s_gates), 0);
}

/* A gatekeeper that decides without asking never needs a place in the
 * table, so a full table does not refuse it. */
static void s_forward_at_once(shoal_gate_t *gate, const shoal_command_t *c)
{
    (void)c;
    shoal_gate_forward(gate, NULL, 0);
}

Test(gates, full_table_still_runs_gatekeepers_that_do_not_ask)
{
    s_start(1);
    s_command("r1");
    cr_assert_eq(shoal_gates_waiting(s_gates), 1);
    const shoal_gatekeeper_t at_once = {.command = "Guarded",
                                        .run = s_forward_at_once};
    shoal_route_t route = {.kind = SHOAL_ROUTE_CLIENT,
                           .identity = "peer",
                           .identity_size = 4,
                           .request_id = "r2",
                           .request_id_size = 2};
    shoal_client_request_t request = {
        .type = "t", .entity_id = "e", .command = "Guarded"};
    shoal_gates_start(s_gates, &route, &at_once, &s_type, &request);
    cr_assert_eq(s_node.dispatch_count, 1);
    cr_assert_eq(s_node.reply_count, 0);
    cr_assert_eq(shoal_gates_counters(s_gates)->busy, 0);
}
