/*
 * runtime/cli/cli_status.c - the commands that ask the node's status
 * socket one request: `shoal get TYPE/ID`, `shoal status` and
 * `shoal metrics`.
 */
#include "runtime/cli/cli.h"

#include <errno.h>
#include <stdlib.h>

/* Asks the status socket request. Returns CLI_EXIT_OK with *answer set
 * (the caller's, free()), or the exit status after saying what went
 * wrong: CLI_EXIT_REJECTED when the node answered ERROR (the reason is
 * printed), CLI_EXIT_NODE_ERROR for an invalid answer, CLI_EXIT_USAGE for
 * a malformed endpoint, CLI_EXIT_UNREACHABLE for no answer in time. */
int cli_status_ask(const cli_command_t *command, const cli_options_t *options,
                   const char *request, char **answer)
{
    *answer = NULL;
    int rc = shoal_status_request(options->status_endpoint, request,
                                  options->timeout_ms, answer);
    if (rc == 0)
        return CLI_EXIT_OK;
    if (rc == 1) {
        fprintf(stderr, "shoal: %s: the node answered ERROR: %s\n",
                command->name, *answer);
        free(*answer);
        *answer = NULL;
        return CLI_EXIT_REJECTED;
    }
    if (rc == -2) {
        fprintf(stderr, "shoal: %s: %s sent an invalid answer\n", command->name,
                options->status_endpoint);
        return CLI_EXIT_NODE_ERROR;
    }
    if (errno == EINVAL)
        return cli_usage_error(command, "invalid status endpoint '%s'",
                               options->status_endpoint);
    fprintf(stderr, "shoal: %s: %s from %s within %d ms\n", command->name,
            errno == EINTR ? "interrupted, no answer" : "no answer",
            options->status_endpoint, options->timeout_ms);
    return CLI_EXIT_UNREACHABLE;
}

/* `shoal get TYPE/ID`: prints the entity's state. */
int cli_get_run(const cli_command_t *command, const cli_options_t *options)
{
    cli_entity_t entity;
    int rc = cli_entity_parse(command, options->args[0], &entity);
    if (rc != 0)
        return rc;
    char request[sizeof "get " + SHOAL_TYPE_NAME_MAX + 1 + SHOAL_ENTITY_ID_MAX];
    snprintf(request, sizeof request, "get %s %s", entity.type, entity.id);
    char *answer = NULL;
    rc = cli_status_ask(command, options, request, &answer);
    if (rc == CLI_EXIT_OK)
        cli_print_answer(answer, options->json);
    free(answer);
    return rc;
}

/* `shoal status`: prints the node's status, for reading or as JSON. */
int cli_status_run(const cli_command_t *command, const cli_options_t *options)
{
    char *answer = NULL;
    int rc = cli_status_ask(command, options, "status", &answer);
    if (rc == CLI_EXIT_OK && options->json)
        cli_print_text(answer);
    else if (rc == CLI_EXIT_OK && cli_print_status_view(answer) != 0) {
        fprintf(stderr,
                "shoal: status: %s answered something that is not "
                "a JSON object\n",
                options->status_endpoint);
        rc = CLI_EXIT_NODE_ERROR;
    }
    free(answer);
    return rc;
}

/* `shoal metrics`: prints the node's metrics as the node renders them. */
int cli_metrics_run(const cli_command_t *command, const cli_options_t *options)
{
    char *answer = NULL;
    int rc = cli_status_ask(command, options, "metrics", &answer);
    if (rc == CLI_EXIT_OK)
        cli_print_text(answer);
    free(answer);
    return rc;
}
