/*
 * runtime/cli/cli_dead_letters.c - the dead letters of the node's
 * policies, on its status socket: `shoal dead-letters [POLICY]` lists
 * them as a table, `shoal retry ID` has a policy handle one again.
 *
 *   ID  POLICY          ENTITY  SEQ  ATTEMPTS  PARKED                    ERROR
 *   1   poke-forwarder  poke/f  1    3         2027-01-15T08:00:00.000Z  ...
 */
#include "runtime/cli/cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The columns of the table, in order. */
enum { S_ID, S_POLICY, S_ENTITY, S_SEQ, S_ATTEMPTS, S_PARKED, S_ERROR, S_COLS };

static const char *const s_headings[S_COLS] = {
    "ID", "POLICY", "ENTITY", "SEQ", "ATTEMPTS", "PARKED", "ERROR"};

/* One row of the table, as text. */
typedef struct {
    char cells[S_COLS][320];
} s_row_t;

/* Renders a member of letter into cell: an integer, a string, or "-". */
static void s_cell(const json_t *letter, const char *key, char *cell,
                   size_t size)
{
    const json_t *value = json_object_get(letter, key);
    if (json_is_integer(value))
        snprintf(cell, size, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(value));
    else if (json_is_string(value))
        snprintf(cell, size, "%s", json_string_value(value));
    else
        snprintf(cell, size, "-");
}

/* Fills row from one dead letter of the node's list. */
static void s_fill_row(const json_t *letter, s_row_t *row)
{
    const char *keys[S_COLS] = {"id",       "policy", "entity", "seq",
                                "attempts", NULL,     "error"};
    for (int column = 0; column < S_COLS; column++) {
        if (keys[column] != NULL)
            s_cell(letter, keys[column], row->cells[column],
                   sizeof row->cells[column]);
    }
    const json_t *parked = json_object_get(letter, "parked_ms");
    if (json_is_integer(parked))
        cli_format_time(json_integer_value(parked), row->cells[S_PARKED]);
    else
        snprintf(row->cells[S_PARKED], sizeof row->cells[S_PARKED], "-");
}

/* Prints the list of dead letters for people. Returns 0, or -1 when the
 * answer is not the node's list. */
static int s_print_table(const char *answer)
{
    json_t *root = json_loads(answer, 0, NULL);
    json_t *list = json_object_get(root, "dead_letters");
    size_t count = json_array_size(list);
    s_row_t *rows = calloc(count > 0 ? count : 1, sizeof *rows);
    const char **cells = calloc(count * S_COLS + 1, sizeof *cells);
    int rc = json_is_array(list) && rows != NULL && cells != NULL ? 0 : -1;
    for (size_t index = 0; rc == 0 && index < count; index++) {
        s_fill_row(json_array_get(list, index), &rows[index]);
        for (int column = 0; column < S_COLS; column++)
            cells[index * S_COLS + column] = rows[index].cells[column];
    }
    if (rc == 0 && count == 0)
        printf("no dead letters\n");
    else if (rc == 0)
        cli_print_table(0, S_COLS, s_headings, cells, count);
    free(cells);
    free(rows);
    json_decref(root);
    return rc;
}

/* `shoal dead-letters [POLICY]`: lists the dead letters (of one policy),
 * as a table or as the node's JSON. Returns the exit status. */
int cli_dead_letters_run(const cli_command_t *command,
                         const cli_options_t *options)
{
    char request[sizeof "dead-letters " + SHOAL_POLICY_NAME_MAX];
    snprintf(request, sizeof request, "dead-letters");
    if (options->arg_count > 0) {
        const char *policy = options->args[0];
        int rc = cli_check_policy_name(command, policy);
        if (rc != 0)
            return rc;
        snprintf(request, sizeof request, "dead-letters %s", policy);
    }
    char *answer = NULL;
    int status = cli_status_ask(command, options, request, &answer);
    if (status == CLI_EXIT_OK && options->json)
        cli_print_text(answer);
    else if (status == CLI_EXIT_OK && s_print_table(answer) != 0) {
        fprintf(stderr,
                "shoal: %s: %s answered something that is not a "
                "list of dead letters\n",
                command->name, options->status_endpoint);
        status = CLI_EXIT_NODE_ERROR;
    }
    free(answer);
    return status;
}

/* `shoal retry ID`: has the dead letter's policy handle its event again
 * and waits for the outcome. Exits 0 when it was handled; 1 with the
 * reason when it failed again or there is no such letter. */
int cli_retry_run(const cli_command_t *command, const cli_options_t *options)
{
    const char *id = options->args[0];
    char *end = NULL;
    errno = 0;
    long long number = strtoll(id, &end, 10);
    if (errno != 0 || end == id || *end != '\0' || number <= 0)
        return cli_usage_error(command,
                               "invalid dead letter id '%s' (a number from "
                               "`shoal dead-letters`)",
                               id);
    char request[48];
    snprintf(request, sizeof request, "retry %lld", number);
    char *answer = NULL;
    int status = cli_status_ask(command, options, request, &answer);
    if (status == CLI_EXIT_OK && options->json)
        cli_print_text(answer);
    else if (status == CLI_EXIT_OK)
        printf("dead letter %lld handled\n", number);
    free(answer);
    return status;
}
