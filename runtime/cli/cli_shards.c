/*
 * runtime/cli/cli_shards.c - `shoal shards`: the shard table of the
 * node's cluster, from its status: the epoch, then each owner with the
 * shards it owns as ranges (wrapped to the terminal's usual 80 columns):
 *
 *   epoch 4, 64 shards: n1 22, n2 21, n3 21
 *   OWNER  SHARDS  RANGES
 *   n1         22  0-2, 5, 8, 10, 20-22, 24, 26, 28-29, 32, 39-41, 43,
 *                  47, 49-50
 *   n2         21  3-4, 6-7, ...
 *
 * Shards without an owner (before the first table) are listed as
 * "(none)". --json prints the table and the counts as one JSON object.
 */
#include "runtime/cli/cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Where the ranges are wrapped. */
#define S_LINE_WIDTH 80

/* What the owner column says of the shards without owner. */
#define S_NO_OWNER "(none)"

/* Prints ranges ("0-2, 5, ...") from column indent on, wrapping after a
 * comma before S_LINE_WIDTH; continuation lines start at indent too. */
static void s_print_wrapped(const char *ranges, int indent)
{
    int column = indent;
    const char *at = ranges;
    bool first = true;
    while (*at != '\0') {
        size_t length = strcspn(at, ",");
        int width = (int)length + (at[length] == ',' ? 1 : 0);
        if (!first && column + 1 + width > S_LINE_WIDTH) {
            printf("\n%*s", indent, "");
            column = indent;
        } else if (!first) {
            putchar(' ');
            column++;
        }
        printf("%.*s", width, at);
        column += width;
        at += width;
        while (*at == ' ')
            at++;
        first = false;
    }
    putchar('\n');
}

/* Prints one row: owner, count, then the ranges from column indent. */
static int s_print_row(const json_t *shards, const char *owner, size_t count,
                       int owner_width, int count_width)
{
    char *ranges = cli_cluster_ranges(shards, owner);
    if (ranges == NULL)
        return -1;
    printf("%-*s  %*zu  ", owner_width, owner != NULL ? owner : S_NO_OWNER,
           count_width, count);
    s_print_wrapped(ranges, owner_width + 2 + count_width + 2);
    free(ranges);
    return 0;
}

/* Prints the table for people. Returns 0, or -1 when the cluster object
 * has no table or memory runs out. */
static int s_print_table(const json_t *cluster)
{
    const json_t *shards = json_object_get(cluster, "shards");
    if (!json_is_array(shards))
        return -1;
    size_t count, unowned;
    cli_owner_t *owners = cli_cluster_owners(cluster, &count, &unowned);
    if (owners == NULL)
        return -1;
    printf("epoch %" JSON_INTEGER_FORMAT ", %zu shards:",
           json_integer_value(json_object_get(cluster, "epoch")),
           json_array_size(shards));
    int owner_width = (int)strlen("OWNER");
    for (size_t index = 0; index < count; index++) {
        printf("%s %s %zu", index > 0 ? "," : "", owners[index].name,
               owners[index].shards);
        if ((int)strlen(owners[index].name) > owner_width)
            owner_width = (int)strlen(owners[index].name);
    }
    if (unowned > 0) {
        printf("%s %zu without owner", count > 0 ? "," : "", unowned);
        if ((int)strlen(S_NO_OWNER) > owner_width)
            owner_width = (int)strlen(S_NO_OWNER);
    }
    printf("\n");
    const char *why =
        json_string_value(json_object_get(cluster, "why_not_serving"));
    if (!json_is_true(json_object_get(cluster, "serving")) && why != NULL)
        printf("not serving: %s\n", why);
    int count_width = (int)strlen("SHARDS");
    printf("%-*s  %s  RANGES\n", owner_width, "OWNER", "SHARDS");
    int rc = 0;
    for (size_t index = 0; rc == 0 && index < count; index++)
        rc = s_print_row(shards, owners[index].name, owners[index].shards,
                         owner_width, count_width);
    if (rc == 0 && unowned > 0)
        rc = s_print_row(shards, NULL, unowned, owner_width, count_width);
    free(owners);
    return rc;
}

/* Prints {"local":..., "epoch":N, "shards":[owner or null, ...],
 * "owned":{"NAME":N, ...}, "unowned":N} on one line. Returns 0, or -1
 * when the cluster object has no table or memory runs out. */
static int s_print_json(const json_t *cluster)
{
    const json_t *shards = json_object_get(cluster, "shards");
    if (!json_is_array(shards))
        return -1;
    size_t count, unowned;
    cli_owner_t *owners = cli_cluster_owners(cluster, &count, &unowned);
    if (owners == NULL)
        return -1;
    json_t *owned = json_object();
    for (size_t index = 0; index < count; index++)
        json_object_set_new(owned, owners[index].name,
                            json_integer((json_int_t)owners[index].shards));
    free(owners);
    json_t *object =
        json_pack("{s:O?, s:O?, s:O, s:o, s:I}", "local",
                  json_object_get(cluster, "local"), "epoch",
                  json_object_get(cluster, "epoch"), "shards", shards, "owned",
                  owned, "unowned", (json_int_t)unowned);
    if (object == NULL)
        return -1;
    cli_print_json_line(object);
    return 0;
}

/* `shoal shards [--json]`: the shard table of the node's cluster. Exits 1
 * when the node is not in a cluster. */
int cli_shards_run(const cli_command_t *command, const cli_options_t *options)
{
    json_t *status = NULL;
    const json_t *cluster = NULL;
    int rc = cli_cluster_ask(command, options, &status, &cluster);
    if (rc != CLI_EXIT_OK)
        return rc;
    if ((options->json ? s_print_json(cluster) : s_print_table(cluster)) != 0) {
        fprintf(stderr,
                "shoal: %s: %s answered a cluster without a shard "
                "table\n",
                command->name, options->status_endpoint);
        rc = CLI_EXIT_NODE_ERROR;
    }
    json_decref(status);
    return rc;
}
