/*
 * tests/integration/test_cluster_demo.c - `make demo`'s script,
 * examples/cluster/demo.sh, run as it is: it starts a three-node cluster,
 * tells the wish story through all three nodes, shows the members and
 * the shard table, and stops its nodes.
 */
#include "node_process.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Test(cluster_demo, the_demo_script_runs_a_three_node_cluster_and_stops_it)
{
    const char *root = getenv("SHOAL_SOURCE_ROOT");
    const char *build = getenv("SHOAL_BUILD_ROOT");
    cr_assert(root && build, "SHOAL_SOURCE_ROOT and SHOAL_BUILD_ROOT");
    char script[4096];
    snprintf(script, sizeof script, "%s/examples/cluster/demo.sh", root);
    const char *argv[] = {"/bin/sh", script, build, NULL};
    char *out = NULL, *err = NULL;
    int rc = test_run_program(argv, 100000, &out, &err);
    cr_assert_eq(rc, 0, "the demo failed (%d):\n%s\n%s", rc, out ? out : "",
                 err ? err : "");
    cr_assert(strstr(out, "The cluster story ran to the end."), "%s", out);
    cr_assert(strstr(out, "3 members (3 up), epoch "), "members: %s", out);
    cr_assert(strstr(out, "OWNER  SHARDS  RANGES"), "shards: %s", out);
    cr_assert(strstr(out, "rejected  seq 1  naughty wish"), "%s", out);
    /* Its three nodes are gone: their status sockets do not answer, or
     * (the port taken again since) not as one of them. */
    int nodes = 0;
    for (const char *at = strstr(out, "status="); at;
         at = strstr(at + 1, "status=")) {
        char endpoint[256], *answer = NULL;
        cr_assert_eq(sscanf(at, "status=%255s", endpoint), 1);
        if (shoal_status_request(endpoint, "status", 300, &answer) == 0) {
            json_t *status = json_loads(answer, 0, NULL);
            const char *node =
                json_string_value(json_object_get(status, "node"));
            bool ours = node && (strcmp(node, "node1") == 0 ||
                                 strcmp(node, "node2") == 0 ||
                                 strcmp(node, "node3") == 0);
            cr_assert(!ours, "%s (%s) still answers after the demo", endpoint,
                      node);
            json_decref(status);
        }
        free(answer);
        nodes++;
    }
    cr_assert_eq(nodes, 3, "three ready lines in:\n%s", out);
    free(out);
    free(err);
}
