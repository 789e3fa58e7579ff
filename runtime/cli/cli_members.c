/*
 * runtime/cli/cli_members.c - `shoal members`: the members of the node's
 * cluster as the node sees them, from its status, in the order they were
 * admitted:
 *
 *   3 members (3 up), epoch 4, coordinator n1; n2 is serving
 *   NAME  STATE  REACHABLE  LAST HEARD  SHARDS  CLIENT  PEER    NOTE
 *   n1    up     yes        80 ms ago   22      tcp://  tcp://  coordinator
 *   n2    up     yes        -           21      tcp://  tcp://  this node
 *
 * (CLIENT and PEER are the members' client and peer ports, in full.)
 *
 * --json prints the cluster object's summary fields and members as one
 * JSON object (see the command's help).
 */
#include "runtime/cli/cli.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The columns of the table, in order. */
enum {
    S_NAME,
    S_STATE,
    S_REACHABLE,
    S_HEARD,
    S_SHARDS,
    S_CLIENT,
    S_PEER,
    S_NOTE,
    S_COLUMNS
};

static const char *const s_headings[S_COLUMNS] = {
    "NAME",   "STATE",  "REACHABLE", "LAST HEARD",
    "SHARDS", "CLIENT", "PEER",      "NOTE"};

/* The fields of the cluster object --json keeps. */
static const char *const s_json_keys[] = {
    "local",   "epoch",           "coordinator", "quorum",
    "serving", "why_not_serving", "members"};

/* One row of the table, as text. */
typedef struct {
    char cells[S_COLUMNS][160];
} s_row_t;

/* The order of admission of a member: its up_since, with those never
 * admitted (0 or missing) last. */
static json_int_t s_order(const json_t *member)
{
    json_int_t order = json_integer_value(json_object_get(member, "up_since"));
    return order > 0 ? order : INT64_MAX;
}

/* Orders members by admission, then by name. */
static int s_compare_members(const void *left, const void *right)
{
    const json_t *a = *(const json_t *const *)left;
    const json_t *b = *(const json_t *const *)right;
    json_int_t order_a = s_order(a), order_b = s_order(b);
    if (order_a != order_b)
        return order_a < order_b ? -1 : 1;
    const char *name_a = json_string_value(json_object_get(a, "name"));
    const char *name_b = json_string_value(json_object_get(b, "name"));
    return strcmp(name_a != NULL ? name_a : "", name_b != NULL ? name_b : "");
}

/* Copies member key of object into cell: a string, or "-". */
static void s_text(const json_t *object, const char *key, char *cell,
                   size_t size)
{
    const char *text = json_string_value(json_object_get(object, key));
    snprintf(cell, size, "%s", text != NULL ? text : "-");
}

/* Writes how long ago a member was last heard: "250 ms ago", "3.5 s ago";
 * "-" for this node, "never" when the node has not heard it. */
static void s_last_heard(const json_t *member, bool is_local, char *cell,
                         size_t size)
{
    const json_t *ago = json_object_get(member, "last_heard_ms_ago");
    json_int_t ms = json_integer_value(ago);
    if (is_local)
        snprintf(cell, size, "-");
    else if (!json_is_integer(ago))
        snprintf(cell, size, "never");
    else if (ms < 1000)
        snprintf(cell, size, "%" JSON_INTEGER_FORMAT " ms ago", ms);
    else if (ms < 60000)
        snprintf(cell, size, "%.1f s ago", (double)ms / 1000.0);
    else
        snprintf(cell, size, "%" JSON_INTEGER_FORMAT " s ago", ms / 1000);
}

/* Fills row from one member of the cluster object. */
static void s_fill_row(const json_t *cluster, const json_t *member,
                       s_row_t *row)
{
    const char *name = json_string_value(json_object_get(member, "name"));
    const char *local = json_string_value(json_object_get(cluster, "local"));
    const char *coordinator =
        json_string_value(json_object_get(cluster, "coordinator"));
    bool is_local = name != NULL && local != NULL && strcmp(name, local) == 0;
    bool leads =
        name != NULL && coordinator != NULL && strcmp(name, coordinator) == 0;
    s_text(member, "name", row->cells[S_NAME], sizeof row->cells[S_NAME]);
    s_text(member, "state", row->cells[S_STATE], sizeof row->cells[S_STATE]);
    const json_t *reachable = json_object_get(member, "reachable");
    snprintf(row->cells[S_REACHABLE], sizeof row->cells[S_REACHABLE], "%s",
             json_is_boolean(reachable)
                 ? (json_is_true(reachable) ? "yes" : "no")
                 : "-");
    s_last_heard(member, is_local, row->cells[S_HEARD],
                 sizeof row->cells[S_HEARD]);
    const json_t *shards = json_object_get(member, "shards");
    if (json_is_integer(shards))
        snprintf(row->cells[S_SHARDS], sizeof row->cells[S_SHARDS],
                 "%" JSON_INTEGER_FORMAT, json_integer_value(shards));
    else
        snprintf(row->cells[S_SHARDS], sizeof row->cells[S_SHARDS], "-");
    s_text(member, "client", row->cells[S_CLIENT], sizeof row->cells[S_CLIENT]);
    s_text(member, "peer", row->cells[S_PEER], sizeof row->cells[S_PEER]);
    snprintf(row->cells[S_NOTE], sizeof row->cells[S_NOTE], "%s%s%s",
             is_local ? "this node" : "", is_local && leads ? ", " : "",
             leads ? "coordinator" : "");
}

/* Prints the line above the table: how many members, the epoch, the
 * coordinator, and whether this node serves. */
static void s_print_summary(const json_t *cluster, size_t count, size_t up)
{
    const char *local = json_string_value(json_object_get(cluster, "local"));
    const char *coordinator =
        json_string_value(json_object_get(cluster, "coordinator"));
    const char *why =
        json_string_value(json_object_get(cluster, "why_not_serving"));
    printf("%zu member%s (%zu up), epoch %" JSON_INTEGER_FORMAT ", ", count,
           count == 1 ? "" : "s", up,
           json_integer_value(json_object_get(cluster, "epoch")));
    if (coordinator != NULL)
        printf("coordinator %s; ", coordinator);
    else
        printf("no coordinator; ");
    printf("%s ", local != NULL ? local : "this node");
    if (json_is_true(json_object_get(cluster, "serving")))
        printf("is serving\n");
    else
        printf("is not serving: %s\n", why != NULL ? why : "?");
}

/* Prints the members for people. Returns 0, or -1 when the cluster object
 * has no list of members or memory runs out. */
static int s_print_table(const json_t *cluster)
{
    const json_t *members = json_object_get(cluster, "members");
    size_t count = json_array_size(members);
    if (!json_is_array(members))
        return -1;
    const json_t **sorted = calloc(count + 1, sizeof *sorted);
    s_row_t *rows = calloc(count + 1, sizeof *rows);
    const char **cells = calloc((count + 1) * S_COLUMNS, sizeof *cells);
    int rc = sorted != NULL && rows != NULL && cells != NULL ? 0 : -1;
    size_t up = 0;
    for (size_t index = 0; rc == 0 && index < count; index++) {
        sorted[index] = json_array_get(members, index);
        const char *state =
            json_string_value(json_object_get(sorted[index], "state"));
        up += state != NULL && strcmp(state, "up") == 0;
    }
    if (rc == 0) {
        qsort(sorted, count, sizeof *sorted, s_compare_members);
        for (size_t index = 0; index < count; index++) {
            s_fill_row(cluster, sorted[index], &rows[index]);
            for (int column = 0; column < S_COLUMNS; column++)
                cells[index * S_COLUMNS + column] = rows[index].cells[column];
        }
        s_print_summary(cluster, count, up);
        cli_print_table(0, S_COLUMNS, s_headings, cells, count);
    }
    free(cells);
    free(rows);
    free(sorted);
    return rc;
}

/* Prints the cluster object's summary fields and members as one line of
 * JSON. */
static void s_print_json(const json_t *cluster)
{
    json_t *object = json_object();
    for (size_t index = 0; index < sizeof s_json_keys / sizeof s_json_keys[0];
         index++) {
        json_t *value = json_object_get(cluster, s_json_keys[index]);
        if (value != NULL)
            json_object_set(object, s_json_keys[index], value);
    }
    cli_print_json_line(object);
}

/* `shoal members [--json]`: the members of the node's cluster. Exits 1
 * when the node is not in a cluster. */
int cli_members_run(const cli_command_t *command, const cli_options_t *options)
{
    json_t *status = NULL;
    const json_t *cluster = NULL;
    int rc = cli_cluster_ask(command, options, &status, &cluster);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (options->json)
        s_print_json(cluster);
    else if (s_print_table(cluster) != 0) {
        fprintf(stderr,
                "shoal: %s: %s answered a cluster without a list of "
                "members\n",
                command->name, options->status_endpoint);
        rc = CLI_EXIT_NODE_ERROR;
    }
    json_decref(status);
    return rc;
}
