/*
 * tests/integration/test_cli_cluster.c - `shoal members`, `shoal shards`
 * and the cluster section of `shoal status` against a real three-node
 * cluster on loopback: what they print for people and as JSON, agreeing
 * with the node's status; a killed member shown down; a founder waiting
 * for its first shard table. (Outside a cluster: test_cli.c.)
 */
#include "cluster_helpers.h"

#include <stdarg.h>

#define MEMBERS 3
#define SHARDS 16 /* CLUSTER_FLAGS */
#define CLI_TIMEOUT_MS 20000
#define ARGS_MAX 16

static char *s_dir;
static node_process_t *s_nodes[MEMBERS];
static const char *s_all[] = {"a", "b", "c", NULL};
static char *s_stdout;
static char *s_stderr;

static void s_setup(void)
{
    s_dir = test_temp_dir_new();
    cr_assert_not_null(s_dir);
}

static void s_teardown(void)
{
    free(s_stdout);
    free(s_stderr);
    s_stdout = s_stderr = NULL;
    for (int i = 0; i < MEMBERS; i++)
        node_process_kill(&s_nodes[i]);
    node_process_kill_all();
    test_temp_dir_remove(&s_dir);
}

TestSuite(cli_cluster, .init = s_setup, .fini = s_teardown);

/* Starts a, then b and c joining through a, and waits until every member
 * sees the three up. */
static void s_form(void)
{
    s_nodes[0] = cluster_start(s_dir, "a", NULL, NULL);
    cr_assert_not_null(s_nodes[0]);
    const char *seed = node_process_cluster_endpoint(s_nodes[0]);
    s_nodes[1] = cluster_start(s_dir, "b", seed, NULL);
    s_nodes[2] = cluster_start(s_dir, "c", seed, NULL);
    cr_assert(s_nodes[1] && s_nodes[2]);
    for (int i = 0; i < MEMBERS; i++)
        cr_assert(cluster_wait_up(s_nodes[i], s_all, 20000),
                  "member %s never saw the three members up", s_all[i]);
}

/* Runs `shoal -e CLIENT -s STATUS COMMAND ARGS... NULL` against node;
 * keeps its output in s_stdout and s_stderr; returns its exit code. */
static int s_cli(const node_process_t *node, const char *command, ...)
    __attribute__((sentinel));
static int s_cli(const node_process_t *node, const char *command, ...)
{
    const char *argv[ARGS_MAX];
    int count = 0;
    argv[count++] = test_binary("SHOAL_CLI");
    argv[count++] = "-e";
    argv[count++] = node_process_client_endpoint(node);
    argv[count++] = "-s";
    argv[count++] = node_process_status_endpoint(node);
    va_list list;
    va_start(list, command);
    for (const char *arg = command; arg; arg = va_arg(list, const char *)) {
        cr_assert_lt(count, ARGS_MAX - 1);
        argv[count++] = arg;
    }
    va_end(list);
    argv[count] = NULL;
    free(s_stdout);
    free(s_stderr);
    s_stdout = s_stderr = NULL;
    int code = test_run_program(argv, CLI_TIMEOUT_MS, &s_stdout, &s_stderr);
    cr_assert_geq(code, 0, "shoal did not finish");
    return code;
}

/* Asserts the exit code, showing the output when it differs. */
#define ASSERT_EXIT(code, expected)                                            \
    cr_assert_eq((code), (expected),                                           \
                 "exit %d, expected %d\nstdout: %s\nstderr: %s", (code),       \
                 (expected), s_stdout, s_stderr)

/* Copies the line of text that starts with prefix (without its newline)
 * into line; fails the test when there is none. */
static void s_line(const char *text, const char *prefix, char *line,
                   size_t size)
{
    size_t prefix_size = strlen(prefix);
    for (const char *at = text; at && *at;) {
        const char *end = strchr(at, '\n');
        size_t length = end ? (size_t)(end - at) : strlen(at);
        if (length >= prefix_size && strncmp(at, prefix, prefix_size) == 0) {
            snprintf(line, size, "%.*s", (int)length, at);
            return;
        }
        at = end ? end + 1 : NULL;
    }
    cr_assert_fail("no line starts with '%s' in:\n%s", prefix, text);
}

/* The shards of table (an array of owner names) owned by owner, as the
 * CLI writes them: "0-2, 5". */
static void s_ranges(const json_t *table, const char *owner, char *text,
                     size_t size)
{
    size_t total = json_array_size(table), used = 0;
    text[0] = '\0';
    for (size_t shard = 0; shard < total; shard++) {
        const char *name = json_string_value(json_array_get(table, shard));
        if (!name || strcmp(name, owner) != 0)
            continue;
        size_t last = shard;
        while (last + 1 < total) {
            const char *next =
                json_string_value(json_array_get(table, last + 1));
            if (!next || strcmp(next, owner) != 0)
                break;
            last++;
        }
        used += (size_t)snprintf(text + used, size - used, "%s%zu",
                                 used ? ", " : "", shard);
        if (last > shard)
            used += (size_t)snprintf(text + used, size - used, "-%zu", last);
        shard = last;
    }
}

/* The member called name in a cluster object's members, or NULL. */
static json_t *s_member(json_t *cluster, const char *name)
{
    size_t index;
    json_t *member;
    json_array_foreach(json_object_get(cluster, "members"), index, member)
    {
        const char *member_name =
            json_string_value(json_object_get(member, "name"));
        if (member_name && strcmp(member_name, name) == 0)
            return member;
    }
    return NULL;
}

Test(cli_cluster,
     members_lists_every_member_and_marks_this_node_and_the_coordinator)
{
    s_form();
    ASSERT_EXIT(s_cli(s_nodes[1], "members", NULL), 0);
    char line[512];
    s_line(s_stdout, "3 members (3 up), epoch ", line, sizeof line);
    cr_assert(strstr(line, "coordinator a; b is serving"), "%s", line);
    s_line(s_stdout, "NAME ", line, sizeof line);
    cr_assert(strstr(line, "STATE") && strstr(line, "REACHABLE") &&
                  strstr(line, "LAST HEARD") && strstr(line, "SHARDS"),
              "%s", line);
    /* One row per member, in the order they were admitted. */
    const char *a = strstr(s_stdout, "\na "), *b = strstr(s_stdout, "\nb "),
               *c = strstr(s_stdout, "\nc ");
    cr_assert(a && b && c && a < b && b < c, "%s", s_stdout);
    json_t *cluster = cluster_status(s_nodes[1]);
    cr_assert_not_null(cluster);
    for (int i = 0; i < MEMBERS; i++) {
        char prefix[8];
        snprintf(prefix, sizeof prefix, "%s ", s_all[i]);
        s_line(s_stdout, prefix, line, sizeof line);
        cr_assert(strstr(line, " up ") && strstr(line, " yes "), "%s", line);
        json_t *member = s_member(cluster, s_all[i]);
        cr_assert(strstr(line, node_process_client_endpoint(s_nodes[i])),
                  "the client port in: %s", line);
        cr_assert(strstr(line, node_process_cluster_endpoint(s_nodes[i])),
                  "the peer port in: %s", line);
        char shards[32];
        snprintf(
            shards, sizeof shards, " %lld ",
            (long long)json_integer_value(json_object_get(member, "shards")));
        cr_assert(strstr(line, shards), "'%s' in: %s", shards, line);
    }
    json_decref(cluster);
    s_line(s_stdout, "a ", line, sizeof line);
    cr_assert(strstr(line, " ms ago") || strstr(line, " s ago"), "%s", line);
    cr_assert(strstr(line, "coordinator") && !strstr(line, "this node"), "%s",
              line);
    s_line(s_stdout, "b ", line, sizeof line);
    cr_assert(strstr(line, "this node") && !strstr(line, "coordinator"), "%s",
              line);
    s_line(s_stdout, "c ", line, sizeof line);
    cr_assert(!strstr(line, "this node") && !strstr(line, "coordinator"), "%s",
              line);
}

Test(cli_cluster, members_json_is_the_status_summary_and_members)
{
    s_form();
    ASSERT_EXIT(s_cli(s_nodes[2], "members", "--json", NULL), 0);
    cr_assert_eq(strchr(s_stdout, '\n'), s_stdout + strlen(s_stdout) - 1,
                 "one line: %s", s_stdout);
    json_t *members = json_loads(s_stdout, 0, NULL);
    cr_assert(json_is_object(members), "%s", s_stdout);
    cr_assert_str_eq(json_string_value(json_object_get(members, "local")), "c");
    cr_assert_str_eq(json_string_value(json_object_get(members, "coordinator")),
                     "a");
    cr_assert(json_is_true(json_object_get(members, "serving")), "%s",
              s_stdout);
    cr_assert(json_is_true(json_object_get(members, "quorum")), "%s", s_stdout);
    cr_assert(json_integer_value(json_object_get(members, "epoch")) >= 1);
    cr_assert_null(json_object_get(members, "shards"), "no table: %s",
                   s_stdout);
    cr_assert_eq(json_array_size(json_object_get(members, "members")), MEMBERS);
    for (int i = 0; i < MEMBERS; i++) {
        json_t *member = s_member(members, s_all[i]);
        cr_assert_not_null(member, "%s in %s", s_all[i], s_stdout);
        cr_assert_str_eq(json_string_value(json_object_get(member, "state")),
                         "up");
        cr_assert(json_is_true(json_object_get(member, "reachable")));
        cr_assert_str_eq(json_string_value(json_object_get(member, "client")),
                         node_process_client_endpoint(s_nodes[i]));
        cr_assert_str_eq(json_string_value(json_object_get(member, "status")),
                         node_process_status_endpoint(s_nodes[i]));
    }
    json_decref(members);
}

Test(cli_cluster, shards_groups_the_table_by_owner_with_ranges_and_counts)
{
    s_form();
    ASSERT_EXIT(s_cli(s_nodes[0], "shards", "--json", NULL), 0);
    json_t *table = json_loads(s_stdout, 0, NULL);
    cr_assert(json_is_object(table), "%s", s_stdout);
    json_t *owners = json_object_get(table, "shards");
    cr_assert_eq(json_array_size(owners), SHARDS, "%s", s_stdout);
    cr_assert_eq(json_integer_value(json_object_get(table, "unowned")), 0);
    /* The counts agree with the table and with the members' own. */
    json_t *cluster = cluster_status(s_nodes[0]);
    cr_assert_not_null(cluster);
    cr_assert(json_equal(owners, json_object_get(cluster, "shards")),
              "the table of the status");
    long long epoch = json_integer_value(json_object_get(table, "epoch"));
    cr_assert_eq(epoch, json_integer_value(json_object_get(cluster, "epoch")));
    long long total = 0;
    for (int i = 0; i < MEMBERS; i++) {
        long long owned = json_integer_value(
            json_object_get(json_object_get(table, "owned"), s_all[i]));
        cr_assert_gt(owned, 0, "%s owns no shard: %s", s_all[i], s_stdout);
        cr_assert_eq(owned, json_integer_value(json_object_get(
                                s_member(cluster, s_all[i]), "shards")));
        total += owned;
    }
    cr_assert_eq(total, SHARDS);
    json_decref(cluster);

    /* For people: the epoch and counts, then one row per owner. */
    ASSERT_EXIT(s_cli(s_nodes[0], "shards", NULL), 0);
    char want[256], line[512];
    json_t *owned = json_object_get(table, "owned");
    snprintf(want, sizeof want, "epoch %lld, %d shards: a %lld, b %lld, c %lld",
             epoch, SHARDS,
             (long long)json_integer_value(json_object_get(owned, "a")),
             (long long)json_integer_value(json_object_get(owned, "b")),
             (long long)json_integer_value(json_object_get(owned, "c")));
    s_line(s_stdout, "epoch ", line, sizeof line);
    cr_assert_str_eq(line, want);
    s_line(s_stdout, "OWNER ", line, sizeof line);
    cr_assert(strstr(line, "SHARDS") && strstr(line, "RANGES"), "%s", line);
    for (int i = 0; i < MEMBERS; i++) {
        char prefix[8], ranges[256];
        snprintf(prefix, sizeof prefix, "%s ", s_all[i]);
        s_line(s_stdout, prefix, line, sizeof line);
        s_ranges(owners, s_all[i], ranges, sizeof ranges);
        snprintf(
            want, sizeof want, "%-5s  %6lld  %s", s_all[i],
            (long long)json_integer_value(json_object_get(owned, s_all[i])),
            ranges);
        cr_assert_str_eq(line, want);
    }
    cr_assert_null(strstr(s_stdout, "(none)"), "%s", s_stdout);
    json_decref(table);
}

Test(cli_cluster, status_sums_up_the_cluster_on_a_few_lines)
{
    s_form();
    ASSERT_EXIT(s_cli(s_nodes[0], "shards", "--json", NULL), 0);
    json_t *table = json_loads(s_stdout, 0, NULL);
    cr_assert_not_null(table, "%s", s_stdout);
    json_t *owned = json_object_get(table, "owned");
    char want[256], line[512];
    snprintf(want, sizeof want,
             "  shards            %d: a %lld, b %lld, c %lld", SHARDS,
             (long long)json_integer_value(json_object_get(owned, "a")),
             (long long)json_integer_value(json_object_get(owned, "b")),
             (long long)json_integer_value(json_object_get(owned, "c")));
    json_decref(table);
    ASSERT_EXIT(s_cli(s_nodes[0], "status", NULL), 0);
    s_line(s_stdout, "cluster", line, sizeof line);
    cr_assert_str_eq(line, "cluster");
    s_line(s_stdout, "  local ", line, sizeof line);
    cr_assert(strstr(line, " a"), "%s", line);
    s_line(s_stdout, "  coordinator ", line, sizeof line);
    cr_assert(strstr(line, " a"), "%s", line);
    s_line(s_stdout, "  serving ", line, sizeof line);
    cr_assert(strstr(line, " yes"), "%s", line);
    s_line(s_stdout, "  members ", line, sizeof line);
    cr_assert(strstr(line, "  a up, b up, c up"), "%s", line);
    s_line(s_stdout, "  shards ", line, sizeof line);
    cr_assert_str_eq(line, want);
    s_line(s_stdout, "  forwarded ", line, sizeof line);
    /* Not the member records nor the owner of every shard. */
    cr_assert_null(strstr(s_stdout, "\"incarnation\""), "%s", s_stdout);
    cr_assert_null(strstr(s_stdout, "why_not_serving"), "%s", s_stdout);
}

Test(cli_cluster, a_killed_member_shows_down_and_keeps_its_shards)
{
    s_form();
    node_process_kill(&s_nodes[2]);
    long long deadline = test_now_ms() + 15000;
    bool down = false;
    while (!down && test_now_ms() < deadline) {
        ASSERT_EXIT(s_cli(s_nodes[0], "members", "--json", NULL), 0);
        json_t *members = json_loads(s_stdout, 0, NULL);
        const char *state =
            json_string_value(json_object_get(s_member(members, "c"), "state"));
        down = state && strcmp(state, "down") == 0;
        json_decref(members);
        if (!down)
            test_sleep_ms(100);
    }
    cr_assert(down, "c never shown down: %s", s_stdout);
    ASSERT_EXIT(s_cli(s_nodes[0], "members", NULL), 0);
    char line[512];
    s_line(s_stdout, "3 members (2 up)", line, sizeof line);
    s_line(s_stdout, "c ", line, sizeof line);
    cr_assert(strstr(line, " down ") && strstr(line, " no ") &&
                  strstr(line, " s ago"),
              "%s", line);
    /* Its shards wait for it: still c's in the table. */
    ASSERT_EXIT(s_cli(s_nodes[1], "shards", NULL), 0);
    s_line(s_stdout, "c ", line, sizeof line);
    cr_assert_neq(line[strlen(line) - 1], '-', "%s", line);
    ASSERT_EXIT(s_cli(s_nodes[1], "status", NULL), 0);
    s_line(s_stdout, "  members ", line, sizeof line);
    cr_assert(strstr(line, "c down (unreachable)"), "%s", line);
}

Test(cli_cluster, a_founder_waiting_for_members_has_no_table_yet)
{
    /* cluster_min_members is 3: alone, a publishes no table. */
    s_nodes[0] = cluster_start(s_dir, "a", NULL, NULL);
    cr_assert_not_null(s_nodes[0]);
    ASSERT_EXIT(s_cli(s_nodes[0], "shards", NULL), 0);
    char line[512];
    s_line(s_stdout, "epoch ", line, sizeof line);
    cr_assert_str_eq(line, "epoch 0, 16 shards: a 0, 16 without owner");
    s_line(s_stdout, "not serving: ", line, sizeof line);
    s_line(s_stdout, "(none) ", line, sizeof line);
    cr_assert(strstr(line, " 16  0-15"), "%s", line);
    s_line(s_stdout, "a ", line, sizeof line);
    cr_assert(strstr(line, " 0  -"), "%s", line);
    ASSERT_EXIT(s_cli(s_nodes[0], "members", NULL), 0);
    s_line(s_stdout,
           "1 member (1 up), epoch 0, coordinator a; a is not "
           "serving: ",
           line, sizeof line);
    ASSERT_EXIT(s_cli(s_nodes[0], "shards", "--json", NULL), 0);
    json_t *table = json_loads(s_stdout, 0, NULL);
    cr_assert_not_null(table, "%s", s_stdout);
    cr_assert_eq(json_integer_value(json_object_get(table, "unowned")), SHARDS);
    cr_assert(
        json_is_null(json_array_get(json_object_get(table, "shards"), 0)));
    json_decref(table);
}
