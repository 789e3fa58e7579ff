/*
 * runtime/cli/cli_main.c - the entry point of `shoal`, the command-line
 * client: reads the command line and runs one command.
 *
 *   shoal [OPTIONS] COMMAND [ARGUMENTS]
 *
 * Options may come anywhere on the line, before or after the command and
 * its arguments; `--` ends them (for a payload that starts with '-'). The
 * command table and the help texts are in cli_commands.c.
 */
#include "runtime/cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Values getopt_long returns for the options without a short form. */
enum {
    S_OPTION_JSON = 256,
    S_OPTION_ID,
    S_OPTION_FROM,
    S_OPTION_FOLLOW,
    S_OPTION_MAX,
    S_OPTION_CURVE_KEY,
    S_OPTION_SERVER_KEY,
    S_OPTION_DIR,
    S_OPTION_OWNER,
};

/* Most events --max may ask for. */
#define S_MAX_EVENTS_LIMIT 1000000000L

static const struct option s_long_options[] = {
    {"endpoint", required_argument, NULL, 'e'},
    {"status", required_argument, NULL, 's'},
    {"timeout", required_argument, NULL, 't'},
    {"help", no_argument, NULL, 'h'},
    {"json", no_argument, NULL, S_OPTION_JSON},
    {"id", required_argument, NULL, S_OPTION_ID},
    {"from", required_argument, NULL, S_OPTION_FROM},
    {"follow", no_argument, NULL, S_OPTION_FOLLOW},
    {"max", required_argument, NULL, S_OPTION_MAX},
    {"curve-key", required_argument, NULL, S_OPTION_CURVE_KEY},
    {"server-key", required_argument, NULL, S_OPTION_SERVER_KEY},
    {"dir", required_argument, NULL, S_OPTION_DIR},
    {"owner", no_argument, NULL, S_OPTION_OWNER},
    {NULL, 0, NULL, 0},
};

/* "-" returns arguments in order (as option 1), whatever POSIXLY_CORRECT
 * says; ":" reports a missing option argument as ':'. */
static const char s_short_options[] = "-:e:s:t:h";

/* The command line as read, before the command is known to accept it. */
typedef struct {
    cli_options_t options;
    char **words; /* the command name and its arguments, in order */
    int word_count;
    bool help;
    char error[160]; /* the first problem found, or "" */
} s_command_line_t;

/* Reads a number from 1 to limit. */
static int s_parse_positive(const char *text, long limit, long *number)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value <= 0 ||
        value > limit)
        return -1;
    *number = value;
    return 0;
}

/* Records the first problem with the command line. */
__attribute__((format(printf, 2, 3))) static void
s_set_error(s_command_line_t *line, const char *format, ...)
{
    if (line->error[0] != '\0')
        return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(line->error, sizeof line->error, format, arguments);
    va_end(arguments);
}

/* Handles one option getopt_long returned. */
static void s_take_option(s_command_line_t *line, int option, char **argv)
{
    long number;
    switch (option) {
    case 1:
        line->words[line->word_count++] = optarg;
        break;
    case 'e':
        line->options.endpoint = optarg;
        break;
    case 's':
        line->options.status_endpoint = optarg;
        break;
    case 't':
        if (s_parse_positive(optarg, INT_MAX, &number) != 0)
            s_set_error(line,
                        "invalid timeout '%s' (milliseconds, more than 0)",
                        optarg);
        else
            line->options.timeout_ms = (int)number;
        break;
    case 'h':
        line->help = true;
        break;
    case S_OPTION_JSON:
        line->options.json = true;
        break;
    case S_OPTION_ID:
        line->options.command_id = optarg;
        break;
    case S_OPTION_OWNER:
        line->options.owner = true;
        break;
    case S_OPTION_FROM:
        line->options.from = optarg;
        break;
    case S_OPTION_FOLLOW:
        line->options.follow = true;
        break;
    case S_OPTION_MAX:
        if (s_parse_positive(optarg, S_MAX_EVENTS_LIMIT, &number) != 0)
            s_set_error(line, "invalid --max '%s' (1 to %ld events)", optarg,
                        S_MAX_EVENTS_LIMIT);
        else
            line->options.max_events = (unsigned)number;
        break;
    case S_OPTION_CURVE_KEY:
        line->options.curve_key = optarg;
        break;
    case S_OPTION_SERVER_KEY:
        line->options.server_key = optarg;
        break;
    case S_OPTION_DIR:
        line->options.dir = optarg;
        break;
    case ':':
        s_set_error(line, "option '%s' needs an argument", argv[optind - 1]);
        break;
    default:
        if (optopt != 0)
            s_set_error(line, "unknown option '-%c'", optopt);
        else
            s_set_error(line, "unknown option '%s'", argv[optind - 1]);
        break;
    }
}

/* Reads argv into line. Problems are recorded, not reported, so that
 * --help still works on a line with a mistake. */
static void s_read_command_line(s_command_line_t *line, int argc, char **argv)
{
    line->options.endpoint = CLI_DEFAULT_ENDPOINT;
    line->options.status_endpoint = CLI_DEFAULT_STATUS_ENDPOINT;
    line->options.timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
    opterr = 0;
    int option;
    while ((option = getopt_long(argc, argv, s_short_options, s_long_options,
                                 NULL)) != -1) {
        s_take_option(line, option, argv);
    }
    while (optind < argc) /* the words after "--" */
        line->words[line->word_count++] = argv[optind++];
}

/* Copies the name of argument number index (from 0) in the synopsis of
 * command, e.g. "COMMAND" for send's second argument, into name. */
static void s_argument_name(const cli_command_t *command, int index, char *name,
                            size_t size)
{
    const char *word = command->arguments;
    for (int skipped = 0; skipped < index && strchr(word, ' ') != NULL;
         skipped++)
        word = strchr(word, ' ') + 1;
    snprintf(name, size, "%.*s", (int)strcspn(word, " "), word);
}

/* Checks that command accepts the options and the number of arguments
 * given. Returns 0 or CLI_EXIT_USAGE after saying what is wrong. */
static int s_check_command_line(const cli_command_t *command,
                                const s_command_line_t *line)
{
    const cli_options_t *options = &line->options;
    if (line->error[0] != '\0')
        return cli_usage_error(command, "%s", line->error);
    if (options->json && !command->takes_json)
        return cli_usage_error(command, "--json does not apply to %s",
                               command->name);
    if (options->command_id != NULL && !command->takes_id)
        return cli_usage_error(command, "--id does not apply to %s",
                               command->name);
    if (options->owner && !command->takes_id)
        return cli_usage_error(command, "--owner does not apply to %s",
                               command->name);
    const char *topic_option = options->from != NULL ? "--from"
                               : options->follow     ? "--follow"
                               : options->max_events ? "--max"
                                                     : NULL;
    if (topic_option != NULL && !command->takes_topic_options)
        return cli_usage_error(command, "%s does not apply to %s", topic_option,
                               command->name);
    if ((options->curve_key != NULL || options->server_key != NULL) &&
        !command->takes_curve)
        return cli_usage_error(command,
                               "--curve-key and --server-key do not apply to "
                               "%s",
                               command->name);
    if (options->dir != NULL && !command->takes_dir)
        return cli_usage_error(command, "--dir does not apply to %s",
                               command->name);
    if (options->arg_count < command->min_args) {
        char name[32];
        s_argument_name(command, options->arg_count, name, sizeof name);
        return cli_usage_error(command, "missing %s", name);
    }
    if (options->arg_count > command->max_args)
        return cli_usage_error(command, "unexpected argument '%s'",
                               options->args[command->max_args]);
    return 0;
}

/* The value of the environment variable name, or NULL when it is unset
 * or empty. */
static const char *s_environment(const char *name)
{
    const char *value = getenv(name);
    return value != NULL && *value != '\0' ? value : NULL;
}

/* Fills the CURVE keys the command line left out from the environment,
 * for the commands that use them. */
static void s_keys_from_environment(const cli_command_t *command,
                                    cli_options_t *options)
{
    if (!command->takes_curve)
        return;
    if (options->curve_key == NULL)
        options->curve_key = s_environment("SHOAL_CURVE_KEY");
    if (options->server_key == NULL)
        options->server_key = s_environment("SHOAL_SERVER_KEY");
}

/* Reads the command line, then prints help or runs the command. */
static int s_run(s_command_line_t *line, int argc, char **argv)
{
    s_read_command_line(line, argc, argv);
    if (line->word_count == 0) {
        if (line->help) {
            cli_print_help(stdout);
            return CLI_EXIT_OK;
        }
        if (line->error[0] != '\0')
            return cli_usage_error(NULL, "%s", line->error);
        return cli_usage_error(NULL, "missing command");
    }
    const cli_command_t *command = cli_command_find(line->words[0]);
    if (command == NULL)
        return cli_usage_error(NULL, "unknown command '%s'", line->words[0]);
    if (line->help) {
        cli_print_command_help(command, stdout);
        return CLI_EXIT_OK;
    }
    line->options.args = line->words + 1;
    line->options.arg_count = line->word_count - 1;
    int rc = s_check_command_line(command, line);
    if (rc != 0)
        return rc;
    s_keys_from_environment(command, &line->options);
    return command->run(command, &line->options);
}

int main(int argc, char **argv)
{
    s_command_line_t line = {0};
    line.words = calloc((size_t)argc + 1, sizeof *line.words);
    if (line.words == NULL) {
        fprintf(stderr, "shoal: out of memory\n");
        return CLI_EXIT_USAGE;
    }
    int rc = s_run(&line, argc, argv);
    free(line.words);
    return rc;
}
