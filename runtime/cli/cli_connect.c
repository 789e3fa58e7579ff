/*
 * runtime/cli/cli_connect.c - the client of the commands that use the
 * node's client port: plaintext, or CURVE when the client has a key
 * (--curve-key, or $SHOAL_CURVE_KEY) and knows the node's
 * (--server-key, or $SHOAL_SERVER_KEY).
 */
#include "runtime/cli/cli.h"

#include <stdlib.h>

/* Opens the client for command. Returns 0 with *client set, or
 * CLI_EXIT_USAGE after saying what is wrong. */
int cli_client_open(const cli_command_t *command, const cli_options_t *options,
                    shoal_client_t **client)
{
    *client = NULL;
    if (options->curve_key && !options->server_key)
        return cli_usage_error(command,
                               "--curve-key (or $SHOAL_CURVE_KEY) needs "
                               "--server-key (or $SHOAL_SERVER_KEY), the "
                               "node's public certificate");
    if (options->server_key && !options->curve_key)
        return cli_usage_error(command,
                               "--server-key (or $SHOAL_SERVER_KEY) needs "
                               "--curve-key (or $SHOAL_CURVE_KEY), this "
                               "client's secret certificate");
    if (!options->curve_key) {
        *client = shoal_client_new(options->endpoint);
        if (*client == NULL)
            return cli_usage_error(command, "invalid endpoint '%s'",
                                   options->endpoint);
        return CLI_EXIT_OK;
    }
    char *error = NULL;
    *client = shoal_client_new_curve(options->endpoint, options->curve_key,
                                     options->server_key, &error);
    if (*client != NULL)
        return CLI_EXIT_OK;
    int status =
        cli_usage_error(command, "%s", error ? error : "out of memory");
    free(error);
    return status;
}

/* After a timeout over CURVE: says that a refusal looks the same. */
void cli_print_curve_hint(const cli_options_t *options)
{
    if (options->curve_key != NULL)
        fprintf(stderr,
                "shoal: over CURVE no answer may also mean the node refused "
                "this client's key (%s) or is not the node of --server-key "
                "(a node logs every key it refuses)\n",
                options->curve_key);
}
