/*
 * runtime/cli/cli_clock.c - `shoal clock [set MS]`: shows the node's
 * clock, the time its handlers, policies and timers see, or moves a
 * manual clock (a node started with --manual-clock-ms) forward to MS:
 *
 *   2027-01-15T08:00:00.000Z  1800000000000 ms  manual
 */
#include "runtime/cli/cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Prints the node's clock answer ({"now_ms": N, "manual": B}) for people.
 * Returns 0, or -1 when the answer is not one. */
static int s_print_clock(const char *answer)
{
    json_t *root = json_loads(answer, 0, NULL);
    json_t *now = json_object_get(root, "now_ms");
    json_t *manual = json_object_get(root, "manual");
    int rc = -1;
    if (json_is_integer(now) && json_is_boolean(manual)) {
        char time_text[CLI_TIME_TEXT_SIZE];
        cli_format_time(json_integer_value(now), time_text);
        printf("%s  %" JSON_INTEGER_FORMAT " ms  %s\n", time_text,
               json_integer_value(now),
               json_is_true(manual) ? "manual" : "system");
        rc = 0;
    }
    json_decref(root);
    return rc;
}

/* Builds the request: "clock", or "clock set MS" after checking MS.
 * Returns 0, or CLI_EXIT_USAGE after saying what is wrong. */
static int s_build_request(const cli_command_t *command,
                           const cli_options_t *options, char *request,
                           size_t size)
{
    if (options->arg_count == 0) {
        snprintf(request, size, "clock");
        return 0;
    }
    if (strcmp(options->args[0], "set") != 0)
        return cli_usage_error(command, "expected 'set MS', got '%s'",
                               options->args[0]);
    if (options->arg_count < 2)
        return cli_usage_error(command, "missing MS");
    const char *text = options->args[1];
    char *end = NULL;
    errno = 0;
    long long ms = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || ms <= 0)
        return cli_usage_error(command,
                               "invalid time '%s' (milliseconds since the "
                               "Unix epoch, more than 0)",
                               text);
    snprintf(request, size, "clock set %lld", ms);
    return 0;
}

/* `shoal clock [set MS]`: prints the clock, after moving it when asked.
 * Exits 1 with the node's reason when it refuses (a system clock, or a
 * time before the clock's). */
int cli_clock_run(const cli_command_t *command, const cli_options_t *options)
{
    char request[48];
    int status = s_build_request(command, options, request, sizeof request);
    if (status != 0)
        return status;
    char *answer = NULL;
    status = cli_status_ask(command, options, request, &answer);
    if (status == CLI_EXIT_OK && options->json)
        cli_print_text(answer);
    else if (status == CLI_EXIT_OK && s_print_clock(answer) != 0) {
        fprintf(stderr,
                "shoal: %s: %s answered something that is not a clock\n",
                command->name, options->status_endpoint);
        status = CLI_EXIT_NODE_ERROR;
    }
    free(answer);
    return status;
}
