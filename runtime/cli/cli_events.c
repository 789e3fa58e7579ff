/*
 * runtime/cli/cli_events.c - `shoal events TOPIC`: prints the events of a
 * public topic after a cursor, then the cursor to resume from:
 *
 *   24:1  poke/a  hello           (stdout: position, entity, payload)
 *   next cursor: 24:1             (stderr)
 *
 * It reads until it has caught up (or printed --max events). With
 * --follow it then keeps asking every 200 ms until SIGINT or SIGTERM,
 * which end it with status 0 and the cursor. --json prints one object per
 * event, with the cursor that resumes right after that event, and a last
 * line {"cursor": ...}: a consumer that saves the cursor of each line it
 * has handled never misses an event (it may see one again after a crash).
 */
#include "runtime/cli/cli.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long --follow waits before asking again once it has caught up. */
#define S_FOLLOW_INTERVAL_MS 200

/* Set by SIGINT and SIGTERM while following. */
static volatile sig_atomic_t s_stop;

typedef struct {
    const cli_command_t *command;
    const cli_options_t *options;
    shoal_client_t *client;
    const char *topic;
    char *cursor; /* where the next read starts (owned) */
    unsigned long printed;
} s_reader_t;

/* ---------------------------------------------------------------------
 * Stopping a follower
 */

static void s_on_stop_signal(int signal_number)
{
    (void)signal_number;
    s_stop = 1;
}

/* Has SIGINT and SIGTERM end the command cleanly: they set s_stop and
 * interrupt the wait in progress (no SA_RESTART). */
static void s_catch_stop_signals(void)
{
    struct sigaction action = {.sa_handler = s_on_stop_signal};
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
}

/* Sleeps ms milliseconds, less when a stop signal comes. */
static void s_pause(int ms)
{
    struct timespec interval = {ms / 1000, (long)(ms % 1000) * 1000000L};
    if (!s_stop)
        nanosleep(&interval, NULL);
}

/* ---------------------------------------------------------------------
 * Printing
 */

/* Prints one event for people: position, entity and payload as is. */
static void s_print_event_line(const shoal_event_record_t *event)
{
    printf("%s  %s  ", event->position, event->entity);
    fwrite(event->payload, 1, event->payload_size, stdout);
    putchar('\n');
}

/* Prints one event as a JSON object with the cursor after it, moving
 * *cursor there. Returns 0, or -1 when the event's position is not one
 * (the node's answer is then not valid). */
static int s_print_event_json(const shoal_event_record_t *event, char **cursor)
{
    char *after = shoal_cursor_after(*cursor, event->position);
    if (after == NULL)
        return -1;
    free(*cursor);
    *cursor = after;
    cli_print_json_line(json_pack(
        "{s:s, s:o, s:I, s:o, s:s}", "position", event->position, "entity",
        cli_json_string_of_bytes(event->entity, strlen(event->entity)),
        "written_ms", (json_int_t)event->written_ms, "payload",
        cli_json_string_of_bytes(event->payload, event->payload_size), "cursor",
        after));
    return 0;
}

/* Prints the events of one read. Returns 0, or -1 when a position is not
 * one. */
static int s_print_events(const s_reader_t *reader,
                          const shoal_events_t *events)
{
    char *cursor = strdup(reader->cursor);
    int rc = cursor != NULL ? 0 : -1;
    for (size_t index = 0; rc == 0 && index < events->count; index++) {
        if (reader->options->json)
            rc = s_print_event_json(&events->events[index], &cursor);
        else
            s_print_event_line(&events->events[index]);
    }
    free(cursor);
    fflush(stdout);
    return rc;
}

/* Prints where to resume: a last JSON line, or a line on stderr. */
static void s_print_cursor(const s_reader_t *reader)
{
    if (reader->options->json)
        cli_print_json_line(json_pack("{s:s}", "cursor", reader->cursor));
    else if (*reader->cursor != '\0')
        fprintf(stderr, "next cursor: %s\n", reader->cursor);
    else
        fprintf(stderr, "next cursor: (the start of the topic: nothing "
                        "read)\n");
    fflush(stdout);
}

/* ---------------------------------------------------------------------
 * Reading
 */

/* Says why a read failed. Returns the exit status it stands for. */
static int s_report_failure(const s_reader_t *reader, int rc,
                            const shoal_events_t *events)
{
    const char *name = reader->command->name;
    const cli_options_t *options = reader->options;
    if (rc == 1) {
        fprintf(stderr, "shoal: %s: error %s: %s\n", name, events->error_code,
                events->error);
        return CLI_EXIT_NODE_ERROR;
    }
    if (rc == -2) {
        fprintf(stderr, "shoal: %s: %s sent an invalid answer\n", name,
                options->endpoint);
        return CLI_EXIT_NODE_ERROR;
    }
    fprintf(stderr, "shoal: %s: %s from %s within %d ms\n", name,
            errno == EINTR ? "interrupted, no answer" : "no answer",
            options->endpoint, options->timeout_ms);
    cli_print_curve_hint(options);
    return CLI_EXIT_UNREACHABLE;
}

/* Reads up to ask events after the reader's cursor, prints them and moves
 * the cursor past them; *count is how many there were. A stop signal
 * during the wait reads nothing. Returns CLI_EXIT_OK, or the exit status
 * after saying what went wrong. */
static int s_read_batch(s_reader_t *reader, unsigned ask, size_t *count)
{
    shoal_events_t events;
    *count = 0;
    int rc =
        shoal_client_read_events(reader->client, reader->topic, reader->cursor,
                                 ask, &events, reader->options->timeout_ms);
    int status = CLI_EXIT_OK;
    if (rc == -1 && errno == EINTR && s_stop)
        status = CLI_EXIT_OK;
    else if (rc != 0)
        status = s_report_failure(reader, rc, &events);
    else if (s_print_events(reader, &events) != 0)
        status = s_report_failure(reader, -2, &events);
    else {
        free(reader->cursor);
        reader->cursor = events.cursor;
        events.cursor = NULL;
        *count = events.count;
        reader->printed += events.count;
    }
    shoal_events_clear(&events);
    return status;
}

/* Reads until caught up, --max, or (following) a stop signal. Returns the
 * exit status. */
static int s_read_all(s_reader_t *reader)
{
    const cli_options_t *options = reader->options;
    while (!s_stop) {
        unsigned ask = SHOAL_EVENTS_READ_MAX;
        if (options->max_events > 0 &&
            options->max_events - reader->printed < ask)
            ask = (unsigned)(options->max_events - reader->printed);
        size_t count;
        int status = s_read_batch(reader, ask, &count);
        if (status != CLI_EXIT_OK)
            return status;
        if (options->max_events > 0 && reader->printed >= options->max_events)
            break;
        if (count < ask) { /* caught up */
            if (!options->follow)
                break;
            s_pause(S_FOLLOW_INTERVAL_MS);
        }
    }
    return CLI_EXIT_OK;
}

/* `shoal events TOPIC`: prints the topic's events after --from (default:
 * its start) and the cursor after them. Returns the exit status. */
int cli_events_run(const cli_command_t *command, const cli_options_t *options)
{
    s_reader_t reader = {
        .command = command, .options = options, .topic = options->args[0]};
    int status = cli_check_topic_name(command, reader.topic);
    if (status != CLI_EXIT_OK)
        return status;
    reader.cursor = shoal_cursor_after(options->from, NULL);
    if (reader.cursor == NULL)
        return cli_usage_error(command,
                               "invalid cursor '%s' (expected "
                               "SHARD:SEQ[,SHARD:SEQ...], shards ascending)",
                               options->from);
    status = cli_client_open(command, options, &reader.client);
    if (status != CLI_EXIT_OK) {
        free(reader.cursor);
        return status;
    }
    if (options->follow)
        s_catch_stop_signals(); /* after the client: CZMQ installs its own */
    status = s_read_all(&reader);
    if (status == CLI_EXIT_OK)
        s_print_cursor(&reader);
    else if (reader.printed > 0)
        fprintf(stderr, "shoal: %s: resume with --from '%s'\n", command->name,
                reader.cursor);
    free(reader.cursor);
    shoal_client_destroy(&reader.client);
    return status;
}
