/*
 * runtime/cli/cli_send.c - `shoal send TYPE/ID COMMAND [PAYLOAD]`: sends
 * one command to an entity on the node's client port and prints the
 * reply.
 */
#include "runtime/cli/cli.h"

#include <errno.h>
#include <string.h>

/* Says why no reply came, and what is known about the command then. */
static int s_report_no_reply(const cli_options_t *options)
{
    if (errno == EINTR)
        fprintf(stderr, "shoal: send: interrupted while waiting for %s",
                options->endpoint);
    else
        fprintf(stderr, "shoal: send: no reply from %s within %d ms",
                options->endpoint, options->timeout_ms);
    if (options->command_id != NULL && *options->command_id != '\0')
        fprintf(stderr, "; the command may have been applied: resending it "
                        "with the same --id is safe\n");
    else
        fprintf(stderr, "; the command may have been applied: give it an "
                        "--id to make resending safe\n");
    cli_print_curve_hint(options);
    return CLI_EXIT_UNREACHABLE;
}

/* Sends the command and prints its reply. Returns the exit status. */
int cli_send_run(const cli_command_t *command, const cli_options_t *options)
{
    cli_entity_t entity;
    const char *name = options->args[1];
    const char *payload = options->arg_count > 2 ? options->args[2] : "";
    int rc = cli_entity_parse(command, options->args[0], &entity);
    if (rc == 0)
        rc = cli_check_command_name(command, name);
    if (rc == 0)
        rc = cli_check_command_id(command, options->command_id);
    if (rc != 0)
        return rc;

    shoal_client_t *client = NULL;
    rc = cli_client_open(command, options, &client);
    if (rc != CLI_EXIT_OK)
        return rc;
    shoal_client_ask_owner(client, options->owner);
    shoal_reply_t reply;
    rc = shoal_client_call(client, entity.type, entity.id, name, payload,
                           strlen(payload), options->command_id, &reply,
                           options->timeout_ms);
    int status;
    if (rc == 0)
        status = cli_print_reply(&reply, options->json);
    else if (rc == -2) {
        fprintf(stderr, "shoal: send: %s sent an invalid reply\n",
                options->endpoint);
        status = CLI_EXIT_NODE_ERROR;
    } else
        status = s_report_no_reply(options);
    shoal_reply_clear(&reply);
    shoal_client_destroy(&client);
    return status;
}
