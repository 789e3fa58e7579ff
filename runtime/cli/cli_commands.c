/*
 * runtime/cli/cli_commands.c - the table of `shoal` commands and the help
 * and usage texts built from it.
 *
 * Adding a command means one row here and one file with its run function.
 */
#include "runtime/cli/cli.h"

#include <stdarg.h>
#include <string.h>

static const cli_command_t s_commands[] = {
    {.name = "send",
     .arguments = "TYPE/ID COMMAND [PAYLOAD] [--id CMDID] [--owner] [--json]",
     .summary = "send one command to an entity and print the reply",
     .description =
         "Sends COMMAND with PAYLOAD (default: empty) to the entity ID of\n"
         "aggregate type TYPE and prints the reply, for example:\n"
         "\n"
         "  accepted  seq 3..4  {\"balance\":10}\n"
         "  rejected  insufficient funds\n"
         "  error busy: worker inbox full\n"
         "\n"
         "  --id CMDID  a command id (up to 128 bytes): the node applies the\n"
         "              command at most once per id, so resending it after\n"
         "              a timeout is safe\n"
         "  --owner     also print which node handled the command (its\n"
         "              member name and client endpoint, the shard and the\n"
         "              epoch), where the entity's next commands may go\n"
         "              directly: \"owner b tcp://10.0.0.6:7700 shard 12\n"
         "              epoch 4\" on a line of its own, or \"owner\" in JSON\n"
         "  --json      print the reply as one JSON object:\n"
         "              {\"status\":\"accepted\",\"first_seq\":3,\n"
         "               \"event_count\":2,\"reply\":...}\n"
         "              {\"status\":\"rejected\",...,\"reason\":...}\n"
         "              {\"status\":\"error\",\"code\":...,"
         "\"message\":...}\n"
         "\n"
         "Put -- before a PAYLOAD that starts with '-'.\n",
     .min_args = 2,
     .max_args = 3,
     .takes_json = true,
     .takes_id = true,
     .takes_curve = true,
     .run = cli_send_run},
    {.name = "get",
     .arguments = "TYPE/ID [--json]",
     .summary = "print an entity's current state",
     .description =
         "Asks the status socket for the state of the entity ID of type\n"
         "TYPE. JSON states are printed indented; --json prints them on\n"
         "one line (other states as a JSON string).\n",
     .min_args = 1,
     .max_args = 1,
     .takes_json = true,
     .run = cli_get_run},
    {.name = "status",
     .arguments = "[--json]",
     .summary = "print the node's status",
     .description =
         "Asks the status socket for the node's status and prints it for\n"
         "reading; --json prints the node's JSON as it came.\n",
     .takes_json = true,
     .run = cli_status_run},
    {.name = "metrics",
     .arguments = "",
     .summary = "print the node's metrics (Prometheus text format)",
     .description =
         "Asks the status socket for the node's metrics and prints them in\n"
         "the Prometheus text format.\n",
     .run = cli_metrics_run},
    {.name = "events",
     .arguments = "TOPIC [--from CURSOR] [--follow] [--max N] [--json]",
     .summary = "print the events of a public topic, and where to resume",
     .description =
         "Prints the events policies published on TOPIC after CURSOR (by\n"
         "default from the start of the topic), one per line:\n"
         "\n"
         "  24:1  poke/a  hello\n"
         "\n"
         "(position, source entity, payload), then the cursor after them on\n"
         "stderr:\n"
         "\n"
         "  next cursor: 24:1\n"
         "\n"
         "Give that cursor to --from to read on from there, missing\n"
         "nothing. Events of one entity come in order.\n"
         "\n"
         "  --from CURSOR  start after CURSOR (SHARD:SEQ[,SHARD:SEQ...])\n"
         "  --follow       once caught up, ask again every 200 ms until\n"
         "                 interrupted (SIGINT or SIGTERM, exit status 0)\n"
         "  --max N        stop after N events\n"
         "  --json         print one JSON object per event:\n"
         "                 {\"position\":\"24:1\",\"entity\":\"poke/a\",\n"
         "                  \"written_ms\":...,\"payload\":\"hello\",\n"
         "                  \"cursor\":\"24:1\"}\n"
         "                 where cursor resumes right after that event and\n"
         "                 payload is the payload as a string (bytes that\n"
         "                 are not UTF-8 become U+FFFD); then a last line\n"
         "                 {\"cursor\":...} instead of the line on stderr\n",
     .min_args = 1,
     .max_args = 1,
     .takes_json = true,
     .takes_topic_options = true,
     .takes_curve = true,
     .run = cli_events_run},
    {.name = "dead-letters",
     .arguments = "[POLICY] [--json]",
     .summary = "list the events policies gave up on",
     .description =
         "Lists the dead letters of every policy, or of POLICY: the events\n"
         "a policy failed to handle policy_max_attempts times, with the\n"
         "last error. `shoal retry ID` handles one again. --json prints the\n"
         "node's JSON as it came: {\"dead_letters\":[{\"id\":...,\n"
         "\"policy\":...,\"entity\":...,\"seq\":...,\"attempts\":...,\n"
         "\"error\":...,\"parked_ms\":...},...]}.\n",
     .min_args = 0,
     .max_args = 1,
     .takes_json = true,
     .run = cli_dead_letters_run},
    {.name = "retry",
     .arguments = "ID [--json]",
     .summary = "have a policy handle a dead letter again",
     .description =
         "Has the policy of dead letter ID handle its event again and waits\n"
         "for the outcome. Exit status 0 when it was handled (the letter is\n"
         "gone); 1, with the reason, when it failed again (the letter\n"
         "stays), when there is no such letter, or it is being retried.\n",
     .min_args = 1,
     .max_args = 1,
     .takes_json = true,
     .run = cli_retry_run},
    {.name = "clock",
     .arguments = "[set MS] [--json]",
     .summary = "print the node's clock, or move a manual clock",
     .description =
         "Prints the node's clock, the time its handlers, policies and\n"
         "timers see:\n"
         "\n"
         "  2027-01-15T08:00:00.000Z  1800000000000 ms  manual\n"
         "\n"
         "`clock set MS` moves the clock of a node started with\n"
         "--manual-clock-ms to MS (ms since the Unix epoch); timers due by\n"
         "then fire. The node refuses to set a system clock or to move a\n"
         "clock backwards (exit status 1).\n",
     .min_args = 0,
     .max_args = 2,
     .takes_json = true,
     .run = cli_clock_run},
    {.name = "leave",
     .arguments = "[--json]",
     .summary = "have a cluster member leave gracefully",
     .description =
         "Asks the node (by its status socket) to leave its cluster as\n"
         "SIGTERM does: it becomes `leaving`, hands every shard it owns over\n"
         "to the other members one by one while serving the rest, and stops\n"
         "once the cluster has removed it (after two minutes at most).\n"
         "Exit status 1 when the node is not in a cluster.\n",
     .min_args = 0,
     .max_args = 0,
     .takes_json = true,
     .run = cli_leave_run},
    {.name = "members",
     .arguments = "[--json]",
     .summary = "list the members of the node's cluster",
     .description =
         "Prints the members of the cluster as the node sees them, in the\n"
         "order they were admitted: state (joining, up, leaving, down,\n"
         "removed), whether this node reaches them, when it last heard\n"
         "them, how many shards they own, their client and peer ports, and\n"
         "which is this node and which the coordinator:\n"
         "\n"
         "  3 members (3 up), epoch 1, coordinator n1; n2 is serving\n"
         "  NAME  STATE  REACHABLE  LAST HEARD  SHARDS  CLIENT ...  NOTE\n"
         "  n1    up     yes        80 ms ago   22      tcp://...  "
         "coordinator\n"
         "  n2    up     yes        -           21      tcp://...  "
         "this node\n"
         "\n"
         "--json prints {\"local\":...,\"epoch\":...,\"coordinator\":...,\n"
         "\"quorum\":...,\"serving\":...,\"why_not_serving\":...,\n"
         "\"members\":[...]} from the node's status (docs/PROTOCOL.md).\n"
         "Exit status 1 when the node is not in a cluster.\n",
     .takes_json = true,
     .run = cli_members_run},
    {.name = "shards",
     .arguments = "[--json]",
     .summary = "print the shard table of the node's cluster",
     .description =
         "Prints the shard table as the node sees it: its epoch, then each\n"
         "member with the number of shards it owns and their ranges:\n"
         "\n"
         "  epoch 1, 64 shards: n1 22, n2 21, n3 21\n"
         "  OWNER  SHARDS  RANGES\n"
         "  n1         22  0-2, 5, 8, 10, 20-22, ...\n"
         "\n"
         "Shards without an owner yet are listed as (none). --json prints\n"
         "{\"local\":...,\"epoch\":...,\"shards\":[owner or null, ...],\n"
         "\"owned\":{\"NAME\":N,...},\"unowned\":N}. Exit status 1 when\n"
         "the node is not in a cluster.\n",
     .takes_json = true,
     .run = cli_shards_run},
    {.name = "ping",
     .arguments = "",
     .summary = "check that the node answers on its client port",
     .description =
         "Sends PING to the client port and prints the round trip time.\n",
     .takes_curve = true,
     .run = cli_ping_run},
    {.name = "keygen",
     .arguments = "NAME [--dir DIR]",
     .summary = "write a new CURVE key pair for a node or a client",
     .description =
         "Writes a new CURVE key pair in DIR (default: the current folder):\n"
         "\n"
         "  NAME.key         the public certificate: give it to the other\n"
         "                   side (a client's goes into the node's\n"
         "                   curve_clients folder; a node's is its clients'\n"
         "                   --server-key)\n"
         "  NAME.key_secret  the secret certificate, mode 0600: keep it\n"
         "                   where it is used (the node's curve_secret_key,\n"
         "                   a client's --curve-key)\n"
         "\n"
         "NAME is 1 to 64 letters, digits, '.', '_' or '-', not starting\n"
         "with '.'. Existing files are never overwritten: keygen exits 1\n"
         "when either file exists or cannot be written. See\n"
         "docs/SECURITY.md.\n",
     .min_args = 1,
     .max_args = 1,
     .takes_dir = true,
     .run = cli_keygen_run},
};

#define S_COMMAND_COUNT (sizeof s_commands / sizeof s_commands[0])

static const char s_global_options[] =
    "options (anywhere on the command line):\n"
    "  -e, --endpoint EP  the node's client port\n"
    "                     (default " CLI_DEFAULT_ENDPOINT ")\n"
    "  -s, --status EP    the node's status socket\n"
    "                     (default " CLI_DEFAULT_STATUS_ENDPOINT ")\n"
    "  -t, --timeout MS   how long to wait for an answer, in milliseconds\n"
    "                     (default %d)\n"
    "  --curve-key FILE   talk CURVE on the client port (send, ping,\n"
    "                     events) with this client's secret certificate\n"
    "                     (NAME.key_secret from keygen; default\n"
    "                     $SHOAL_CURVE_KEY)\n"
    "  --server-key FILE  the node's public certificate (NODE.key), needed\n"
    "                     with --curve-key (default $SHOAL_SERVER_KEY)\n"
    "  -h, --help         print help; `shoal COMMAND --help` for one command\n";

static const char s_exit_statuses[] =
    "exit status:\n"
    "  0  the command was accepted, or the request succeeded\n"
    "  1  the command was rejected, or the status socket answered ERROR\n"
    "     (a retried dead letter failed again, a clock it will not set),\n"
    "     or the node is not in a cluster (members, shards)\n"
    "  2  usage error\n"
    "  3  the node is unreachable or did not answer in time\n"
    "  4  the node answered ERROR to a command or a topic read (busy,\n"
    "     malformed, ...), or sent something that is not a valid reply\n";

/* Returns the command called name, or NULL. */
const cli_command_t *cli_command_find(const char *name)
{
    for (size_t index = 0; index < S_COMMAND_COUNT; index++) {
        if (strcmp(s_commands[index].name, name) == 0)
            return &s_commands[index];
    }
    return NULL;
}

/* Prints the synopsis of one command, or of the program (command NULL). */
static void s_print_usage(const cli_command_t *command, FILE *out)
{
    if (command == NULL)
        fprintf(out, "usage: shoal [OPTIONS] COMMAND [ARGUMENTS]\n");
    else
        fprintf(out, "usage: shoal [OPTIONS] %s%s%s\n", command->name,
                *command->arguments ? " " : "", command->arguments);
}

/* Prints the program's help: commands, options and exit statuses. */
void cli_print_help(FILE *out)
{
    s_print_usage(NULL, out);
    fprintf(out, "\nTalks to a shoal node over its client port and status "
                 "socket.\n\ncommands:\n");
    for (size_t index = 0; index < S_COMMAND_COUNT; index++)
        fprintf(out, "  %-13s %s\n", s_commands[index].name,
                s_commands[index].summary);
    fprintf(out, "\n");
    fprintf(out, s_global_options, CLI_DEFAULT_TIMEOUT_MS);
    fprintf(out, "\n%s", s_exit_statuses);
}

/* Prints the help of one command, with the global options and exit
 * statuses since they apply to every command. */
void cli_print_command_help(const cli_command_t *command, FILE *out)
{
    s_print_usage(command, out);
    fprintf(out, "\n%s\n", command->description);
    fprintf(out, s_global_options, CLI_DEFAULT_TIMEOUT_MS);
    fprintf(out, "\n%s", s_exit_statuses);
}

/* Prints "shoal: MESSAGE", the synopsis of command (or of the program
 * when NULL) and where to find help, on stderr. Returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_command_t *command, const char *format, ...)
{
    va_list arguments;
    fprintf(stderr, "shoal: ");
    if (command != NULL)
        fprintf(stderr, "%s: ", command->name);
    va_start(arguments, format);
    vfprintf(stderr, format, arguments);
    va_end(arguments);
    fprintf(stderr, "\n");
    s_print_usage(command, stderr);
    fprintf(stderr, "Try 'shoal %s%s--help' for more.\n",
            command != NULL ? command->name : "", command != NULL ? " " : "");
    return CLI_EXIT_USAGE;
}
