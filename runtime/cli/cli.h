/*
 * runtime/cli/cli.h - internal declarations shared by the files of the
 * `shoal` command-line client.
 *
 * cli_main.c parses the command line into a cli_options_t and dispatches
 * to one command (cli_commands.c holds the table); each command lives in
 * its own file and returns the process's exit status.
 */
#ifndef SHOAL_CLI_H
#define SHOAL_CLI_H

#include "shoal/client.h"
#include "shoal/plugin.h"

#include <stdbool.h>
#include <stdio.h>

/* Defaults of the global options, shown in --help. */
#define CLI_DEFAULT_ENDPOINT "tcp://127.0.0.1:7700"
#define CLI_DEFAULT_STATUS_ENDPOINT "tcp://127.0.0.1:7701"
#define CLI_DEFAULT_TIMEOUT_MS 5000

/* Exit statuses, documented in --help (cli_commands.c). */
typedef enum {
    CLI_EXIT_OK = 0,          /* accepted, or the request succeeded */
    CLI_EXIT_REJECTED = 1,    /* rejected, or the status socket said ERROR */
    CLI_EXIT_USAGE = 2,       /* the command line is wrong */
    CLI_EXIT_UNREACHABLE = 3, /* no answer within the timeout */
    CLI_EXIT_NODE_ERROR = 4,  /* ERROR reply to a command, or invalid reply */
} cli_exit_t;

/* The parsed command line. Strings are borrowed from argv. */
typedef struct {
    const char *endpoint;        /* -e: the node's client port */
    const char *status_endpoint; /* -s: the node's status socket */
    int timeout_ms;              /* -t */
    bool json;                   /* --json */
    const char *command_id;      /* --id, or NULL */
    bool owner;                  /* --owner: ask which node handled it */
    const char *from;            /* --from CURSOR, or NULL */
    bool follow;                 /* --follow */
    unsigned max_events;         /* --max N; 0: no limit */
    const char *curve_key;       /* --curve-key or $SHOAL_CURVE_KEY, or NULL */
    const char *server_key; /* --server-key or $SHOAL_SERVER_KEY, or NULL */
    const char *dir;        /* --dir (keygen), or NULL */
    char **args;            /* arguments after the command name */
    int arg_count;
} cli_options_t;

/* One command of the table in cli_commands.c. */
typedef struct cli_command cli_command_t;
struct cli_command {
    const char *name;
    const char *arguments;   /* synopsis after the name */
    const char *summary;     /* one line for the command list */
    const char *description; /* the body of `shoal NAME --help` */
    int min_args, max_args;
    bool takes_json, takes_id; /* takes_id: --id and --owner (send) */
    bool takes_topic_options;  /* --from, --follow, --max */
    bool takes_curve; /* talks to the client port: --curve-key applies */
    bool takes_dir;   /* writes files: --dir applies */
    /* Runs the command; returns the exit status. */
    int (*run)(const cli_command_t *command, const cli_options_t *options);
};

/* cli_commands.c: the command table and help texts. */
const cli_command_t *cli_command_find(const char *name);
void cli_print_help(FILE *out);
void cli_print_command_help(const cli_command_t *command, FILE *out);
int cli_usage_error(const cli_command_t *command, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* cli_entity.c: the TYPE/ID argument and the names the protocol limits.
 * Each returns 0, or CLI_EXIT_USAGE after saying what is wrong. */
typedef struct {
    char type[SHOAL_TYPE_NAME_MAX + 1];
    const char *id; /* borrowed from the argument */
} cli_entity_t;

int cli_entity_parse(const cli_command_t *command, const char *argument,
                     cli_entity_t *entity);
int cli_check_command_name(const cli_command_t *command, const char *name);
int cli_check_command_id(const cli_command_t *command, const char *command_id);
int cli_check_topic_name(const cli_command_t *command, const char *name);
int cli_check_policy_name(const cli_command_t *command, const char *name);

/* cli_connect.c: the client of the commands that use the client port,
 * plaintext or CURVE. cli_client_open returns 0 with *client set (the
 * caller's), or CLI_EXIT_USAGE after saying what is wrong;
 * cli_print_curve_hint adds, after a timeout over CURVE, what a refused
 * key looks like. */
int cli_client_open(const cli_command_t *command, const cli_options_t *options,
                    shoal_client_t **client);
void cli_print_curve_hint(const cli_options_t *options);

/* cli_output.c: rendering of replies and answers on stdout. JSON values
 * are jansson's json_t. */
struct json_t;
int cli_print_reply(const shoal_reply_t *reply, bool json);
void cli_print_answer(const char *answer, bool json);
void cli_print_text(const char *text);
struct json_t *cli_json_string_of_bytes(const char *data, size_t size);
void cli_print_json_line(struct json_t *value);

/* cli_output.c: prints a table for people: a line of headings, then
 * row_count rows of column_count cells (cells[row * column_count +
 * column]), each line indented by indent, the columns aligned. */
void cli_print_table(int indent, size_t column_count,
                     const char *const *headings, const char *const *cells,
                     size_t row_count);

/* cli_output.c: a time in ms since the Unix epoch as ISO 8601 UTC with
 * milliseconds ("2027-01-15T08:00:00.000Z"), written into text. */
#define CLI_TIME_TEXT_SIZE 32
void cli_format_time(int64_t ms, char text[CLI_TIME_TEXT_SIZE]);

/* cli_status_view.c: the human rendering of the status JSON. */
int cli_print_status_view(const char *status_json);

/* cli_status.c: asks the status socket one request. Returns CLI_EXIT_OK
 * with *answer set (the caller's, free()), or the exit status after
 * saying what went wrong on stderr (*answer NULL). */
int cli_status_ask(const cli_command_t *command, const cli_options_t *options,
                   const char *request, char **answer);

/* cli_cluster.c: the "cluster" object of the node's status, shared by
 * members, shards and the status view. */
typedef struct {
    const char *name; /* borrowed from the status JSON */
    size_t shards;    /* how many shards of the table it owns */
} cli_owner_t;

/* Asks for the status and finds its cluster object. Returns CLI_EXIT_OK
 * with *status (the caller's, json_decref) and *cluster (borrowed from
 * it), or the exit status after saying what went wrong on stderr:
 * CLI_EXIT_REJECTED when the node is not in a cluster. */
int cli_cluster_ask(const cli_command_t *command, const cli_options_t *options,
                    struct json_t **status, const struct json_t **cluster);
/* Counts the shards each member (and any other owner in the table) owns,
 * sorted by name; *unowned gets the shards without owner. Returns a new
 * array of *count entries (the caller's, free()), or NULL when out of
 * memory. */
cli_owner_t *cli_cluster_owners(const struct json_t *cluster, size_t *count,
                                size_t *unowned);
/* Writes the shards of the table owned by owner (NULL: by none) as
 * ranges, "0-2, 5", or "-". Returns the text (the caller's, free()), or
 * NULL when out of memory. */
char *cli_cluster_ranges(const struct json_t *shards, const char *owner);

/* The commands, one file each (cli_send.c, cli_ping.c, cli_status.c,
 * cli_events.c, cli_dead_letters.c, cli_clock.c, cli_keygen.c,
 * cli_members.c, cli_shards.c). */
int cli_send_run(const cli_command_t *command, const cli_options_t *options);
int cli_ping_run(const cli_command_t *command, const cli_options_t *options);
int cli_get_run(const cli_command_t *command, const cli_options_t *options);
int cli_status_run(const cli_command_t *command, const cli_options_t *options);
int cli_metrics_run(const cli_command_t *command, const cli_options_t *options);
int cli_events_run(const cli_command_t *command, const cli_options_t *options);
int cli_dead_letters_run(const cli_command_t *command,
                         const cli_options_t *options);
int cli_retry_run(const cli_command_t *command, const cli_options_t *options);
int cli_clock_run(const cli_command_t *command, const cli_options_t *options);
int cli_leave_run(const cli_command_t *command, const cli_options_t *options);
int cli_keygen_run(const cli_command_t *command, const cli_options_t *options);
int cli_members_run(const cli_command_t *command, const cli_options_t *options);
int cli_shards_run(const cli_command_t *command, const cli_options_t *options);

#endif
