/*
 * runtime/cli/cli_leave.c - `shoal leave`: asks a cluster member to leave
 * gracefully, as SIGTERM does: it hands its shards over to the other
 * members, is removed from the cluster, and stops.
 */
#include "runtime/cli/cli.h"

#include <stdlib.h>

/* `shoal leave`: prints that the node is leaving. Exits 1 with the node's
 * reason when it is not in a cluster. */
int cli_leave_run(const cli_command_t *command, const cli_options_t *options)
{
    char *answer = NULL;
    int status = cli_status_ask(command, options, "leave", &answer);
    if (status == CLI_EXIT_OK && options->json)
        cli_print_text(answer);
    else if (status == CLI_EXIT_OK)
        printf("leaving: the node hands its shards over to the other "
               "members, then stops (follow with `shoal members`)\n");
    free(answer);
    return status;
}
