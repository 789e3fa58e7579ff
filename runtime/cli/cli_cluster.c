/*
 * runtime/cli/cli_cluster.c - what `shoal members`, `shoal shards` and the
 * status view share about the "cluster" object of the node's status (see
 * docs/PROTOCOL.md, "status JSON"): asking for it, counting the shards
 * each member owns, and writing a member's shards as ranges ("0-2, 5").
 */
#include "runtime/cli/cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Asks the status socket for the node's status and finds its "cluster"
 * object. Returns CLI_EXIT_OK with *status set (the caller's,
 * json_decref) and *cluster borrowed from it; else the exit status after
 * saying what went wrong on stderr (*status and *cluster NULL): those of
 * cli_status_ask, CLI_EXIT_NODE_ERROR for an answer that is not a JSON
 * object, and CLI_EXIT_REJECTED for a node that is not in a cluster. */
int cli_cluster_ask(const cli_command_t *command, const cli_options_t *options,
                    json_t **status, const json_t **cluster)
{
    *status = NULL;
    *cluster = NULL;
    char *answer = NULL;
    int rc = cli_status_ask(command, options, "status", &answer);
    if (rc != CLI_EXIT_OK)
        return rc;
    json_t *root = json_loads(answer, 0, NULL);
    free(answer);
    if (!json_is_object(root)) {
        fprintf(stderr,
                "shoal: %s: %s answered something that is not a JSON "
                "object\n",
                command->name, options->status_endpoint);
        json_decref(root);
        return CLI_EXIT_NODE_ERROR;
    }
    const json_t *object = json_object_get(root, "cluster");
    if (!json_is_object(object)) {
        const char *node = json_string_value(json_object_get(root, "node"));
        fprintf(stderr,
                "shoal: %s: node %s (%s) is not in a cluster: it runs alone, "
                "started without --cluster-endpoint\n",
                command->name, node != NULL ? node : "?",
                options->status_endpoint);
        json_decref(root);
        return CLI_EXIT_REJECTED;
    }
    *status = root;
    *cluster = object;
    return CLI_EXIT_OK;
}

/* Orders owners by name. */
static int s_compare_owners(const void *left, const void *right)
{
    return strcmp(((const cli_owner_t *)left)->name,
                  ((const cli_owner_t *)right)->name);
}

/* Returns the entry of owners[0..count) called name, or NULL. */
static cli_owner_t *s_find_owner(cli_owner_t *owners, size_t count,
                                 const char *name)
{
    for (size_t index = 0; index < count; index++) {
        if (strcmp(owners[index].name, name) == 0)
            return &owners[index];
    }
    return NULL;
}

/* Counts the shards of the cluster's table per owner: every member, and
 * any other name the table holds, sorted by name. Returns the array (the
 * caller's, free(); names borrowed from cluster) with *count entries and
 * the shards without owner in *unowned, or NULL when memory runs out. */
cli_owner_t *cli_cluster_owners(const json_t *cluster, size_t *count,
                                size_t *unowned)
{
    const json_t *members = json_object_get(cluster, "members");
    const json_t *shards = json_object_get(cluster, "shards");
    size_t limit = json_array_size(members) + json_array_size(shards);
    cli_owner_t *owners = calloc(limit > 0 ? limit : 1, sizeof *owners);
    *count = 0;
    *unowned = 0;
    if (owners == NULL)
        return NULL;
    size_t index;
    const json_t *value;
    json_array_foreach(members, index, value)
    {
        const char *name = json_string_value(json_object_get(value, "name"));
        if (name != NULL && s_find_owner(owners, *count, name) == NULL)
            owners[(*count)++] = (cli_owner_t){.name = name};
    }
    json_array_foreach(shards, index, value)
    {
        const char *name = json_string_value(value);
        if (name == NULL) {
            (*unowned)++;
            continue;
        }
        cli_owner_t *owner = s_find_owner(owners, *count, name);
        if (owner == NULL) {
            owner = &owners[(*count)++];
            *owner = (cli_owner_t){.name = name};
        }
        owner->shards++;
    }
    qsort(owners, *count, sizeof *owners, s_compare_owners);
    return owners;
}

/* True when shard index of the table belongs to owner (NULL: to none). */
static bool s_owned_by(const json_t *shards, size_t index, const char *owner)
{
    const char *name = json_string_value(json_array_get(shards, index));
    if (owner == NULL)
        return name == NULL;
    return name != NULL && strcmp(name, owner) == 0;
}

/* Writes the shards of the table (an array of owner names or nulls) that
 * belong to owner (NULL: those without owner) as ascending ranges,
 * "0-2, 5, 8-9", or "-" when there are none. Returns the text (the
 * caller's, free()), or NULL when memory runs out. */
char *cli_cluster_ranges(const json_t *shards, const char *owner)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (out == NULL)
        return NULL;
    size_t total = json_array_size(shards);
    bool first = true;
    for (size_t start = 0; start < total; start++) {
        if (!s_owned_by(shards, start, owner))
            continue;
        size_t end = start;
        while (end + 1 < total && s_owned_by(shards, end + 1, owner))
            end++;
        fprintf(out, "%s%zu", first ? "" : ", ", start);
        if (end > start)
            fprintf(out, "-%zu", end);
        first = false;
        start = end;
    }
    if (first)
        fputs("-", out);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
