/*
 * tests/integration/test_cli.c - the `shoal` command-line client against a
 * real node: its exit statuses (0 accepted, 1 rejected, 2 usage, 3
 * unreachable, 4 node error) and what it prints for send, get, status
 * --json and metrics; members and shards refused outside a cluster. The
 * commands for policies, topics and the clock are in
 * test_cli_reactions.c, members and shards in a cluster in
 * test_cli_cluster.c.
 */
#include "node_fixture.h"
#include "node_process.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CLI_TIMEOUT_MS 20000
#define ARGS_MAX 24

static node_fixture_t s_fixture;
static char *s_stdout;
static char *s_stderr;

static void s_setup(void)
{
    node_fixture_init(&s_fixture);
    s_fixture.node = node_process_start_examples(s_fixture.dir, "--node-name",
                                                 "clinode", NULL);
    cr_assert_not_null(s_fixture.node);
}

static void s_teardown(void)
{
    free(s_stdout);
    free(s_stderr);
    s_stdout = s_stderr = NULL;
    node_fixture_fini(&s_fixture);
}

TestSuite(cli, .init = s_setup, .fini = s_teardown);

/* Runs shoal -e endpoint -s status_endpoint -t timeout_ms followed by
 * args (NULL-terminated); keeps its output in s_stdout and s_stderr and
 * returns its exit code. */
static int s_run(const char *endpoint, const char *status_endpoint,
                 const char *timeout_ms, const char *const args[])
{
    const char *argv[ARGS_MAX];
    int count = 0;
    argv[count++] = test_binary("SHOAL_CLI");
    argv[count++] = "-e";
    argv[count++] = endpoint;
    argv[count++] = "-s";
    argv[count++] = status_endpoint;
    argv[count++] = "-t";
    argv[count++] = timeout_ms;
    for (int i = 0; args[i]; i++) {
        cr_assert_lt(count, ARGS_MAX - 1);
        argv[count++] = args[i];
    }
    argv[count] = NULL;
    free(s_stdout);
    free(s_stderr);
    s_stdout = s_stderr = NULL;
    int code = test_run_program(argv, CLI_TIMEOUT_MS, &s_stdout, &s_stderr);
    cr_assert_geq(code, 0, "shoal did not finish");
    return code;
}

/* Collects first and the NULL-terminated arguments after it into args. */
static void s_collect(const char *args[ARGS_MAX], const char *first,
                      va_list list)
{
    int count = 0;
    for (const char *arg = first; arg; arg = va_arg(list, const char *)) {
        cr_assert_lt(count, ARGS_MAX - 8);
        args[count++] = arg;
    }
    args[count] = NULL;
}

/* Runs `shoal COMMAND ARGS... NULL` against the test's node. */
static int s_cli(const char *command, ...) __attribute__((sentinel));
static int s_cli(const char *command, ...)
{
    const char *args[ARGS_MAX];
    va_list list;
    va_start(list, command);
    s_collect(args, command, list);
    va_end(list);
    return s_run(node_process_client_endpoint(s_fixture.node),
                 node_process_status_endpoint(s_fixture.node), "5000", args);
}

/* Runs `shoal -t 500 COMMAND ARGS... NULL` against the given endpoints. */
static int s_cli_at(const char *endpoint, const char *status_endpoint,
                    const char *command, ...) __attribute__((sentinel));
static int s_cli_at(const char *endpoint, const char *status_endpoint,
                    const char *command, ...)
{
    const char *args[ARGS_MAX];
    va_list list;
    va_start(list, command);
    s_collect(args, command, list);
    va_end(list);
    return s_run(endpoint, status_endpoint, "500", args);
}

/* Asserts the exit code, showing the output when it differs. */
#define ASSERT_EXIT(code, expected)                                            \
    cr_assert_eq((code), (expected),                                           \
                 "exit %d, expected %d\nstdout: %s\nstderr: %s", (code),       \
                 (expected), s_stdout, s_stderr)

/* Returns a TCP endpoint on 127.0.0.1 where nothing listens. */
static int s_reserved_fds[4];
static int s_reserved_count;

/* Writes a loopback endpoint nobody answers on: the port is bound by a
 * socket that never listens (connections are refused), and it stays bound
 * until the test process ends, so no node started meanwhile can take it. */
static void s_unused_endpoint(char *buffer, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)&address, sizeof address), 0);
    socklen_t length = sizeof address;
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&address, &length), 0);
    snprintf(buffer, size, "tcp://127.0.0.1:%d", ntohs(address.sin_port));
    cr_assert_lt(s_reserved_count, 4);
    s_reserved_fds[s_reserved_count++] = fd; /* closed at exit */
}

Test(cli, send_exits_0_when_accepted)
{
    ASSERT_EXIT(s_cli("send", "counter/c1", "Increment", "{\"by\":2}", NULL),
                0);
    cr_assert(strstr(s_stdout, "accepted"), "stdout: %s", s_stdout);
    ASSERT_EXIT(s_cli("send", "counter/c1", "Increment", NULL), 0);
    cr_assert_eq(node_process_get_int(s_fixture.node, "counter", "c1", "value"),
                 3);
}

Test(cli, send_json_prints_the_reply_as_json)
{
    ASSERT_EXIT(
        s_cli("send", "counter/j", "Increment", "{\"by\":4}", "--json", NULL),
        0);
    json_t *json = json_loads(s_stdout, 0, NULL);
    cr_assert(json_is_object(json), "not JSON: %s", s_stdout);
    cr_assert_str_eq(json_string_value(json_object_get(json, "status")),
                     "accepted");
    cr_assert_eq(json_integer_value(json_object_get(json, "first_seq")), 1);
    cr_assert_eq(json_integer_value(json_object_get(json, "event_count")), 1);
    json_decref(json);
}

Test(cli, send_with_id_is_applied_once)
{
    ASSERT_EXIT(s_cli("send", "counter/once", "Increment", "{\"by\":5}", "--id",
                      "cli-1", NULL),
                0);
    char *first = strdup(s_stdout);
    ASSERT_EXIT(s_cli("send", "counter/once", "Increment", "{\"by\":5}", "--id",
                      "cli-1", NULL),
                0);
    cr_assert_str_eq(s_stdout, first, "a duplicate printed another reply");
    free(first);
    cr_assert_eq(
        node_process_get_int(s_fixture.node, "counter", "once", "value"), 5);
}

Test(cli, send_owner_prints_the_node_that_handled_the_command)
{
    ASSERT_EXIT(s_cli("send", "counter/own", "Increment", "{\"by\":1}",
                      "--owner", NULL),
                0);
    char expected[512];
    snprintf(expected, sizeof expected, "owner clinode %s shard ",
             node_process_client_endpoint(s_fixture.node));
    cr_assert(strstr(s_stdout, "accepted"), "stdout: %s", s_stdout);
    cr_assert(strstr(s_stdout, expected) && strstr(s_stdout, " epoch 0\n"),
              "stdout: %s", s_stdout);

    ASSERT_EXIT(s_cli("send", "counter/own", "Increment", "{\"by\":1}",
                      "--owner", "--json", NULL),
                0);
    json_t *json = json_loads(s_stdout, 0, NULL);
    json_t *owner = json_object_get(json, "owner");
    cr_assert(json_is_object(owner), "no owner: %s", s_stdout);
    cr_assert_str_eq(json_string_value(json_object_get(owner, "member")),
                     "clinode");
    cr_assert_str_eq(json_string_value(json_object_get(owner, "endpoint")),
                     node_process_client_endpoint(s_fixture.node));
    cr_assert_eq(json_integer_value(json_object_get(owner, "epoch")), 0);
    json_decref(json);

    /* Without --owner, nothing about it. */
    ASSERT_EXIT(s_cli("send", "counter/own", "Increment", NULL), 0);
    cr_assert_null(strstr(s_stdout, "owner"), "stdout: %s", s_stdout);
    ASSERT_EXIT(s_cli("ping", "--owner", NULL), 2);
}

Test(cli, send_exits_1_when_rejected)
{
    ASSERT_EXIT(
        s_cli("send", "account/acc", "Open", "{\"owner\":\"gus\"}", NULL), 0);
    ASSERT_EXIT(
        s_cli("send", "account/acc", "Deposit", "{\"amount\":10}", NULL), 0);
    ASSERT_EXIT(
        s_cli("send", "account/acc", "Withdraw", "{\"amount\":11}", NULL), 1);
    cr_assert(strstr(s_stdout, "insufficient funds") ||
                  strstr(s_stderr, "insufficient funds"),
              "no reason printed\nstdout: %s\nstderr: %s", s_stdout, s_stderr);
    cr_assert_eq(
        node_process_get_int(s_fixture.node, "account", "acc", "balance"), 10);
}

Test(cli, usage_errors_exit_2)
{
    ASSERT_EXIT(s_cli("send", NULL), 2);
    ASSERT_EXIT(s_cli("send", "counter/c1", NULL), 2);
    ASSERT_EXIT(s_cli("send", "counter-without-id", "Increment", NULL), 2);
    ASSERT_EXIT(s_cli("no-such-command", NULL), 2);
    ASSERT_EXIT(s_cli("get", NULL), 2);
    ASSERT_EXIT(s_cli("status", "--no-such-option", NULL), 2);
    cr_assert_gt(strlen(s_stderr), 0, "no usage message on stderr");
    cr_assert_eq(node_process_status_int(s_fixture.node, "entities"), 0,
                 "a usage error reached the node");
}

Test(cli, unreachable_node_exits_3)
{
    char nowhere[64], nowhere_status[64];
    s_unused_endpoint(nowhere, sizeof nowhere);
    s_unused_endpoint(nowhere_status, sizeof nowhere_status);
    long long started = test_now_ms();
    ASSERT_EXIT(s_cli_at(nowhere, nowhere_status, "send", "counter/c1",
                         "Increment", NULL),
                3);
    ASSERT_EXIT(s_cli_at(nowhere, nowhere_status, "get", "counter/c1", NULL),
                3);
    ASSERT_EXIT(s_cli_at(nowhere, nowhere_status, "status", NULL), 3);
    ASSERT_EXIT(s_cli_at(nowhere, nowhere_status, "ping", NULL), 3);
    ASSERT_EXIT(s_cli_at(nowhere, nowhere_status, "events", "pokes", NULL), 3);
    ASSERT_EXIT(s_cli_at(nowhere, nowhere_status, "dead-letters", NULL), 3);
    ASSERT_EXIT(s_cli_at(nowhere, nowhere_status, "clock", NULL), 3);
    cr_assert_lt(test_now_ms() - started, 14000,
                 "-t 500 took far longer than 500 ms");
}

Test(cli, node_error_exits_4)
{
    ASSERT_EXIT(s_cli("send", "nosuchtype/x", "Do", NULL), 4);
    cr_assert(
        strstr(s_stdout, "unknown_type") || strstr(s_stderr, "unknown_type"),
        "no error code printed\nstdout: %s\nstderr: %s", s_stdout, s_stderr);
}

Test(cli, get_prints_the_state_as_json)
{
    ASSERT_EXIT(s_cli("send", "counter/g", "Increment", "{\"by\":7}", NULL), 0);
    ASSERT_EXIT(s_cli("get", "counter/g", NULL), 0);
    json_t *json = json_loads(s_stdout, 0, NULL);
    cr_assert(json_is_object(json), "not JSON: %s", s_stdout);
    cr_assert_eq(json_integer_value(json_object_get(json, "value")), 7);
    json_decref(json);

    ASSERT_EXIT(s_cli("get", "counter/g", "--json", NULL), 0);
    json = json_loads(s_stdout, 0, NULL);
    cr_assert(json_is_object(json), "not JSON: %s", s_stdout);
    cr_assert_str_eq(json_string_value(json_object_get(json, "id")), "g");
    cr_assert_eq(json_integer_value(json_object_get(json, "value")), 7);
    json_decref(json);

    ASSERT_EXIT(s_cli("get", "nosuchtype/g", NULL), 1);
}

static bool s_array_has(json_t *array, const char *text)
{
    size_t index;
    json_t *item;
    json_array_foreach(array, index, item)
    {
        if (json_is_string(item) && strcmp(json_string_value(item), text) == 0)
            return true;
    }
    return false;
}

Test(cli, status_json_has_the_documented_fields)
{
    ASSERT_EXIT(s_cli("send", "counter/s", "Increment", NULL), 0);
    ASSERT_EXIT(s_cli("status", "--json", NULL), 0);
    json_t *json = json_loads(s_stdout, 0, NULL);
    cr_assert(json_is_object(json), "not JSON: %s", s_stdout);
    cr_assert_str_eq(json_string_value(json_object_get(json, "node")),
                     "clinode");
    cr_assert(json_is_string(json_object_get(json, "version")), "%s", s_stdout);
    cr_assert(json_is_integer(json_object_get(json, "uptime_s")), "%s",
              s_stdout);
    json_t *types = json_object_get(json, "types");
    cr_assert(json_is_array(types), "%s", s_stdout);
    cr_assert(s_array_has(types, "counter") && s_array_has(types, "account"),
              "types: %s", s_stdout);
    cr_assert(json_integer_value(json_object_get(json, "entities")) >= 1, "%s",
              s_stdout);
    cr_assert(json_integer_value(json_object_get(json, "shards")) >= 1, "%s",
              s_stdout);
    json_t *journal = json_object_get(json, "journal");
    cr_assert(json_is_object(journal), "%s", s_stdout);
    cr_assert(json_integer_value(json_object_get(journal, "events")) >= 1, "%s",
              s_stdout);
    json_decref(json);

    ASSERT_EXIT(s_cli("status", NULL), 0);
    cr_assert(strstr(s_stdout, "clinode"), "status view: %s", s_stdout);
}

Test(cli, metrics_are_prometheus_text)
{
    ASSERT_EXIT(s_cli("send", "counter/m", "Increment", NULL), 0);
    ASSERT_EXIT(s_cli("metrics", NULL), 0);
    cr_assert(strncmp(s_stdout, "shoal_", 6) == 0 ||
                  strstr(s_stdout, "\nshoal_"),
              "no line starts with shoal_: %s", s_stdout);
}

Test(cli, ping_exits_0)
{
    ASSERT_EXIT(s_cli("ping", NULL), 0);
}

Test(cli, members_and_shards_exit_1_outside_a_cluster)
{
    const char *commands[] = {"members", "shards"};
    for (size_t i = 0; i < 2; i++) {
        ASSERT_EXIT(s_cli(commands[i], NULL), 1);
        cr_assert_str_eq(s_stdout, "");
        cr_assert(strstr(s_stderr, "not in a cluster") &&
                      strstr(s_stderr, "clinode"),
                  "%s: %s", commands[i], s_stderr);
        ASSERT_EXIT(s_cli(commands[i], "--json", NULL), 1);
        cr_assert_str_eq(s_stdout, "");
        cr_assert(strstr(s_stderr, "not in a cluster"), "%s", s_stderr);
    }
    ASSERT_EXIT(s_cli("members", "extra", NULL), 2);
    ASSERT_EXIT(s_cli("status", NULL), 0);
    cr_assert_null(strstr(s_stdout, "\ncluster"), "%s", s_stdout);
}
