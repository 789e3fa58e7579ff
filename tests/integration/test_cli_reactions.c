/*
 * tests/integration/test_cli_reactions.c - the `shoal` commands for the
 * asynchronous side of a node, against a real node running the
 * reaction_probe plugin on a manual clock: `events` reads a topic from
 * its start or from a cursor, missing nothing, prints JSON lines that
 * parse, and with --follow prints what is published after it started
 * until SIGTERM ends it with status 0; `dead-letters` lists a parked
 * event and `retry` handles it; `clock set` moves the clock (a timer
 * fires); `status` shows the policies and topics.
 */
#include "node_fixture.h"
#include "reaction_helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#define T0 1800000000000LL /* 2027-01-15T08:00:00Z */
#define CLI_TIMEOUT_MS 20000
#define ARGS_MAX 24

static node_fixture_t s_fixture;
static char s_fail_file[4096];
static char *s_stdout;
static char *s_stderr;

static void s_setup(void)
{
    node_fixture_init(&s_fixture);
    snprintf(s_fail_file, sizeof s_fail_file, "%s/fail", s_fixture.dir);
    setenv("SHOAL_TEST_FAIL_FILE", s_fail_file, 1);
    s_fixture.node = node_process_start(
        s_fixture.dir, "--plugin", test_fixture_plugin("reaction_probe"),
        "--policy-max-attempts", "3", "--policy-backoff-ms", "20",
        "--manual-clock-ms", "1800000000000", NULL);
    node_fixture_connect(&s_fixture);
}

/* A `shoal events --follow` running in the background. */
static struct {
    pid_t pid; /* 0 when none runs */
    int stdout_fd;
    char *output; /* what it printed on stdout so far */
    size_t size, capacity;
} s_follower;

static void s_teardown(void)
{
    if (s_follower.pid > 0) {
        test_forget(s_follower.pid);
        kill(s_follower.pid, SIGKILL);
        waitpid(s_follower.pid, NULL, 0);
        close(s_follower.stdout_fd);
    }
    free(s_follower.output);
    memset(&s_follower, 0, sizeof s_follower);
    free(s_stdout);
    free(s_stderr);
    s_stdout = s_stderr = NULL;
    node_fixture_fini(&s_fixture);
}

TestSuite(cli_reactions, .init = s_setup, .fini = s_teardown);

/* ---------------------------------------------------------------------
 * Running the CLI
 */

/* Fills argv with shoal, the node's endpoints and the arguments from
 * first to the NULL that ends list. Returns the count. */
static int s_argv(const char *argv[ARGS_MAX], const char *first, va_list list)
{
    int count = 0;
    argv[count++] = test_binary("SHOAL_CLI");
    argv[count++] = "-e";
    argv[count++] = node_process_client_endpoint(s_fixture.node);
    argv[count++] = "-s";
    argv[count++] = node_process_status_endpoint(s_fixture.node);
    argv[count++] = "-t";
    argv[count++] = "10000";
    for (const char *arg = first; arg; arg = va_arg(list, const char *)) {
        cr_assert_lt(count, ARGS_MAX - 1);
        argv[count++] = arg;
    }
    argv[count] = NULL;
    return count;
}

/* Runs `shoal ARGS... NULL` against the node, keeps its output in
 * s_stdout and s_stderr, and returns its exit code. */
static int s_cli(const char *first, ...) __attribute__((sentinel));
static int s_cli(const char *first, ...)
{
    const char *argv[ARGS_MAX];
    va_list list;
    va_start(list, first);
    s_argv(argv, first, list);
    va_end(list);
    free(s_stdout);
    free(s_stderr);
    s_stdout = s_stderr = NULL;
    int code = test_run_program(argv, CLI_TIMEOUT_MS, &s_stdout, &s_stderr);
    cr_assert_geq(code, 0, "shoal did not finish");
    return code;
}

#define ASSERT_EXIT(code, expected)                                            \
    cr_assert_eq((code), (expected),                                           \
                 "exit %d, expected %d\nstdout: %s\nstderr: %s", (code),       \
                 (expected), s_stdout, s_stderr)

/* Starts `shoal ARGS... NULL` in the background, stdout to a pipe the
 * test reads, stderr to <dir>/follower.stderr. */
static void s_follower_start(const char *first, ...) __attribute__((sentinel));
static void s_follower_start(const char *first, ...)
{
    const char *argv[ARGS_MAX];
    va_list list;
    va_start(list, first);
    s_argv(argv, first, list);
    va_end(list);
    int out[2];
    cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
    char stderr_path[4200];
    snprintf(stderr_path, sizeof stderr_path, "%s/follower.stderr",
             s_fixture.dir);
    int stderr_fd =
        open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    cr_assert_geq(stderr_fd, 0, "%s", stderr_path);
    s_follower.pid = test_spawn(argv, out[1], stderr_fd);
    close(out[1]);
    close(stderr_fd);
    cr_assert_gt(s_follower.pid, 0, "cannot start %s", argv[0]);
    s_follower.stdout_fd = out[0];
}

/* Reads what the follower printed, up to timeout_ms, until its output
 * holds text. Returns true when it does. */
static bool s_follower_wait_for(const char *text, int timeout_ms)
{
    long long deadline = test_now_ms() + timeout_ms;
    while (!s_follower.output || !strstr(s_follower.output, text)) {
        long long left = deadline - test_now_ms();
        struct pollfd poll_fd = {s_follower.stdout_fd, POLLIN, 0};
        if (left <= 0 || poll(&poll_fd, 1, (int)left) <= 0)
            return false;
        if (s_follower.capacity - s_follower.size < 4096) {
            s_follower.capacity = s_follower.capacity * 2 + 8192;
            s_follower.output = realloc(s_follower.output, s_follower.capacity);
            cr_assert_not_null(s_follower.output);
        }
        ssize_t got =
            read(s_follower.stdout_fd, s_follower.output + s_follower.size,
                 s_follower.capacity - s_follower.size - 1);
        if (got <= 0)
            return false; /* it ended */
        s_follower.size += (size_t)got;
        s_follower.output[s_follower.size] = '\0';
    }
    return true;
}

/* Sends the follower signal_number, reads the rest of its output and
 * returns its exit code (128 + signal when a signal ended it), or -1 when
 * it does not end within timeout_ms. */
static int s_follower_stop(int signal_number, int timeout_ms)
{
    cr_assert_eq(kill(s_follower.pid, signal_number), 0);
    s_follower_wait_for("\n\n\n(never printed)", timeout_ms); /* to EOF */
    long long deadline = test_now_ms() + timeout_ms;
    int status;
    pid_t done;
    while ((done = waitpid(s_follower.pid, &status, WNOHANG)) == 0 &&
           test_now_ms() < deadline)
        test_sleep_ms(10);
    if (done != s_follower.pid)
        return -1;
    test_forget(s_follower.pid);
    s_follower.pid = 0;
    close(s_follower.stdout_fd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---------------------------------------------------------------------
 * The node's side
 */

/* Pokes poke/id with text, so that the poke-forwarder publishes text on
 * the topic "pokes" (and counts it at sink/id). */
static void s_poke(const char *id, const char *text)
{
    cr_assert_eq(test_call(s_fixture.client, "poke", id, "Poke", text, NULL, 0),
                 SHOAL_REPLY_ACCEPTED);
}

/* The head of topic "pokes" in `status`: events published on it. */
static long long s_pokes_head(void)
{
    json_t *status = node_process_status_json(s_fixture.node);
    json_t *head = json_object_get(
        json_object_get(json_object_get(status, "topics"), "pokes"), "head");
    long long value = json_is_integer(head) ? json_integer_value(head) : 0;
    json_decref(status);
    return value;
}

/* Waits until count events are published on "pokes". */
static void s_wait_published(long long count)
{
    long long deadline = test_now_ms() + 10000;
    while (s_pokes_head() < count && test_now_ms() < deadline)
        test_sleep_ms(20);
    cr_assert_eq(s_pokes_head(), count);
}

/* Pokes entities e0..e(entities-1), rounds times each ("1", "2", ...),
 * and waits until all are published. */
static void s_poke_rounds(int entities, int rounds)
{
    for (int round = 1; round <= rounds; round++)
        for (int e = 0; e < entities; e++) {
            char id[16], text[16];
            snprintf(id, sizeof id, "e%d", e);
            snprintf(text, sizeof text, "%d", round);
            s_poke(id, text);
        }
    s_wait_published((long long)entities * rounds);
}

/* ---------------------------------------------------------------------
 * JSON lines
 */

/* Parses each line of text as a JSON object into lines (at most max).
 * Returns the count; fails the test on a line that is not an object. */
static int s_json_lines(const char *text, json_t **lines, int max)
{
    int count = 0;
    const char *at = text;
    while (*at) {
        const char *end = strchr(at, '\n');
        cr_assert_not_null(end, "an unterminated line: %s", at);
        cr_assert_lt(count, max);
        json_error_t error;
        lines[count] = json_loadb(at, (size_t)(end - at), 0, &error);
        cr_assert(json_is_object(lines[count]), "not a JSON object: %.*s",
                  (int)(end - at), at);
        count++;
        at = end + 1;
    }
    return count;
}

static void s_free_lines(json_t **lines, int count)
{
    for (int i = 0; i < count; i++)
        json_decref(lines[i]);
}

static const char *s_text(json_t *line, const char *key)
{
    const char *text = json_string_value(json_object_get(line, key));
    cr_assert_not_null(text, "no string %s", key);
    return text;
}

/* Checks the event lines (all but the last, the cursor line) of a read:
 * each entity's pokes follow each other from after[e] + 1, updating
 * after. Returns the number of events. */
static int s_check_event_lines(json_t **lines, int count, int *after)
{
    for (int i = 0; i < count - 1; i++) {
        const char *entity = s_text(lines[i], "entity");
        cr_assert(strncmp(entity, "poke/e", 6) == 0, "%s", entity);
        int e = atoi(entity + 6);
        int n = atoi(s_text(lines[i], "payload"));
        cr_assert_eq(n, after[e] + 1, "%s: %d after %d", entity, n, after[e]);
        after[e] = n;
    }
    cr_assert_eq(json_object_size(lines[count - 1]), 1, "no cursor line");
    return count - 1;
}

/* ---------------------------------------------------------------------
 * events
 */

Test(cli_reactions, events_prints_the_topic_from_its_start_and_the_cursor)
{
    s_poke("a", "alpha");
    s_poke("b", "beta");
    s_poke("a", "gamma");
    s_wait_published(3);
    ASSERT_EXIT(s_cli("events", "pokes", NULL), 0);
    cr_assert(strstr(s_stdout, "poke/a  alpha\n"), "%s", s_stdout);
    cr_assert(strstr(s_stdout, "poke/b  beta\n"), "%s", s_stdout);
    cr_assert(strstr(s_stdout, "poke/a  gamma\n"), "%s", s_stdout);
    cr_assert_lt(strstr(s_stdout, "alpha") - s_stdout,
                 strstr(s_stdout, "gamma") - s_stdout,
                 "one entity's events out of order: %s", s_stdout);
    /* The cursor on stderr is the node's, after all three. */
    char cursor[4096] = "";
    test_event_t events[4];
    cr_assert_eq(test_read_events(s_fixture.node, "pokes", cursor,
                                  sizeof cursor, 4, events),
                 3);
    char expected[4200];
    snprintf(expected, sizeof expected, "next cursor: %s\n", cursor);
    cr_assert(strstr(s_stderr, expected), "stderr: %s, expected %s", s_stderr,
              expected);

    /* From that cursor there is nothing new. */
    ASSERT_EXIT(s_cli("events", "pokes", "--from", cursor, NULL), 0);
    cr_assert_str_eq(s_stdout, "");
    cr_assert(strstr(s_stderr, expected), "stderr: %s", s_stderr);
}

Test(cli_reactions, events_json_lines_parse_with_every_field)
{
    s_poke("j", "{\"n\":1}");
    s_poke("j", "plain text");
    s_wait_published(2);
    ASSERT_EXIT(s_cli("events", "pokes", "--json", NULL), 0);
    json_t *lines[4];
    int count = s_json_lines(s_stdout, lines, 4);
    cr_assert_eq(count, 3, "two events and the cursor: %s", s_stdout);
    const char *payloads[] = {"{\"n\":1}", "plain text"};
    for (int i = 0; i < 2; i++) {
        cr_assert(strchr(s_text(lines[i], "position"), ':'));
        cr_assert_str_eq(s_text(lines[i], "entity"), "poke/j");
        cr_assert_str_eq(s_text(lines[i], "payload"), payloads[i]);
        json_t *written = json_object_get(lines[i], "written_ms");
        cr_assert(json_is_integer(written));
        cr_assert_eq(json_integer_value(written), T0, "the node's clock");
        cr_assert_str_eq(s_text(lines[i], "cursor"),
                         s_text(lines[i], "position"),
                         "from the start, one shard: the cursor after an "
                         "event is its position");
    }
    cr_assert_str_eq(s_text(lines[2], "cursor"), s_text(lines[1], "cursor"));
    cr_assert_str_eq(s_stderr, "", "nothing on stderr with --json");
    s_free_lines(lines, count);
}

Test(cli_reactions, events_from_a_cursor_resume_missing_nothing)
{
    const int entities = 6, rounds = 3, total = entities * rounds;
    s_poke_rounds(entities, rounds);
    int after[6] = {0};
    json_t *lines[32];

    /* The first 5, then the rest from the cursor they end at. */
    ASSERT_EXIT(s_cli("events", "pokes", "--max", "5", "--json", NULL), 0);
    int count = s_json_lines(s_stdout, lines, 32);
    int read = s_check_event_lines(lines, count, after);
    cr_assert_eq(read, 5);
    char *cursor = strdup(s_text(lines[count - 1], "cursor"));
    /* A cursor from the middle of a read resumes right after its event. */
    char *middle = strdup(s_text(lines[1], "cursor"));
    s_free_lines(lines, count);

    ASSERT_EXIT(s_cli("events", "pokes", "--from", cursor, "--json", NULL), 0);
    count = s_json_lines(s_stdout, lines, 32);
    read += s_check_event_lines(lines, count, after);
    cr_assert_eq(read, total, "events were missed or repeated");
    for (int e = 0; e < entities; e++)
        cr_assert_eq(after[e], rounds);
    char *end = strdup(s_text(lines[count - 1], "cursor"));
    s_free_lines(lines, count);

    ASSERT_EXIT(s_cli("events", "pokes", "--from", middle, "--json", NULL), 0);
    count = s_json_lines(s_stdout, lines, 32);
    cr_assert_eq(count - 1, total - 2, "from after the second event");
    cr_assert_str_eq(s_text(lines[count - 1], "cursor"), end);
    s_free_lines(lines, count);
    free(cursor);
    free(middle);
    free(end);
}

Test(cli_reactions, events_follow_prints_what_comes_later_until_sigterm)
{
    s_poke("f", "before");
    s_wait_published(1);
    s_follower_start("events", "pokes", "--follow", "--json", NULL);
    cr_assert(s_follower_wait_for("\"before\"", 10000), "printed: %s",
              s_follower.output ? s_follower.output : "");
    s_poke("f", "after");
    cr_assert(s_follower_wait_for("\"after\"", 10000), "printed: %s",
              s_follower.output);
    cr_assert_eq(s_follower_stop(SIGTERM, 10000), 0,
                 "a follower ends with status 0 on SIGTERM");
    json_t *lines[4];
    int count = s_json_lines(s_follower.output, lines, 4);
    cr_assert_eq(count, 3, "two events and the cursor: %s", s_follower.output);
    cr_assert_str_eq(s_text(lines[0], "payload"), "before");
    cr_assert_str_eq(s_text(lines[1], "payload"), "after");
    cr_assert_str_eq(s_text(lines[2], "cursor"), s_text(lines[1], "cursor"));
    s_free_lines(lines, count);
}

Test(cli_reactions, events_refuses_bad_arguments)
{
    ASSERT_EXIT(s_cli("events", NULL), 2);
    ASSERT_EXIT(s_cli("events", "no topic", NULL), 2);
    ASSERT_EXIT(s_cli("events", "pokes", "--from", "3:1,2:1", NULL), 2);
    ASSERT_EXIT(s_cli("events", "pokes", "--from", "x", NULL), 2);
    ASSERT_EXIT(s_cli("events", "pokes", "--max", "0", NULL), 2);
    ASSERT_EXIT(s_cli("status", "--follow", NULL), 2);
    ASSERT_EXIT(s_cli("send", "poke/a", "Poke", "--from", "1:1", NULL), 2);
    /* Well formed, but this node has no shard 99999: the node says so. */
    ASSERT_EXIT(s_cli("events", "pokes", "--from", "99999:1", NULL), 4);
    cr_assert(strstr(s_stderr, "out of range"), "stderr: %s", s_stderr);
}

/* ---------------------------------------------------------------------
 * dead-letters and retry
 */

Test(cli_reactions, dead_letters_lists_a_parked_event_and_retry_handles_it)
{
    ASSERT_EXIT(s_cli("dead-letters", NULL), 0);
    cr_assert_str_eq(s_stdout, "no dead letters\n");
    FILE *file = fopen(s_fail_file, "w");
    cr_assert_not_null(file);
    fclose(file);
    s_poke("f", "fail-1");
    cr_assert_eq(test_wait_policy_int(s_fixture.node, "poke-forwarder",
                                      "dead_letters", 1, 10000),
                 1);

    ASSERT_EXIT(s_cli("dead-letters", NULL), 0);
    cr_assert(strstr(s_stdout, "ID"), "no table: %s", s_stdout);
    cr_assert(strstr(s_stdout, "poke-forwarder"), "%s", s_stdout);
    cr_assert(strstr(s_stdout, "poke/f"), "%s", s_stdout);
    cr_assert(strstr(s_stdout, "asked to fail"), "%s", s_stdout);
    cr_assert(strstr(s_stdout, "2027-01-15T08:00:00.000Z"), "%s", s_stdout);

    ASSERT_EXIT(s_cli("dead-letters", "poke-forwarder", "--json", NULL), 0);
    json_t *root = json_loads(s_stdout, 0, NULL);
    json_t *letter = json_array_get(json_object_get(root, "dead_letters"), 0);
    cr_assert(json_is_object(letter), "%s", s_stdout);
    char id[32];
    snprintf(id, sizeof id, "%lld",
             (long long)json_integer_value(json_object_get(letter, "id")));
    json_decref(root);
    ASSERT_EXIT(s_cli("dead-letters", "alarm-scheduler", NULL), 0);
    cr_assert_str_eq(s_stdout, "no dead letters\n");

    /* Still failing: non-zero, with the reason; the letter stays. */
    ASSERT_EXIT(s_cli("retry", id, NULL), 1);
    cr_assert(strstr(s_stderr, "asked to fail"), "stderr: %s", s_stderr);
    ASSERT_EXIT(s_cli("dead-letters", NULL), 0);
    cr_assert(strstr(s_stdout, "poke/f"), "%s", s_stdout);

    unlink(s_fail_file);
    ASSERT_EXIT(s_cli("retry", id, NULL), 0);
    cr_assert(strstr(s_stdout, "handled"), "%s", s_stdout);
    cr_assert_eq(node_process_get_int(s_fixture.node, "sink", "f", "count"), 1);
    ASSERT_EXIT(s_cli("dead-letters", NULL), 0);
    cr_assert_str_eq(s_stdout, "no dead letters\n");
    ASSERT_EXIT(s_cli("retry", id, NULL), 1);
    cr_assert(strstr(s_stderr, "no such dead letter"), "%s", s_stderr);
    ASSERT_EXIT(s_cli("retry", "x", NULL), 2);
    ASSERT_EXIT(s_cli("dead-letters", "bad policy", NULL), 2);
}

/* ---------------------------------------------------------------------
 * clock and status
 */

Test(cli_reactions, clock_set_moves_the_manual_clock_and_timers_fire)
{
    ASSERT_EXIT(s_cli("clock", NULL), 0);
    cr_assert_str_eq(s_stdout,
                     "2027-01-15T08:00:00.000Z  1800000000000 ms  manual\n");
    /* An alarm a minute later rings once the clock gets there. */
    cr_assert_eq(test_call(s_fixture.client, "alarm", "a", "Set",
                           "1800000060000", NULL, 0),
                 SHOAL_REPLY_ACCEPTED);
    cr_assert_eq(test_wait_policy_int(s_fixture.node, "alarm-scheduler",
                                      "handled", 1, 10000),
                 1);
    ASSERT_EXIT(s_cli("clock", "set", "1800000060000", NULL), 0);
    cr_assert_str_eq(s_stdout,
                     "2027-01-15T08:01:00.000Z  1800000060000 ms  manual\n");
    cr_assert_eq(
        test_wait_get_int(s_fixture.node, "alarm", "a", "rings", 1, 10000), 1);
    ASSERT_EXIT(s_cli("clock", "--json", NULL), 0);
    cr_assert_eq(test_json_int(s_stdout, "now_ms"), T0 + 60000);

    /* Backwards is refused, with the reason. */
    ASSERT_EXIT(s_cli("clock", "set", "1800000000000", NULL), 1);
    cr_assert(strstr(s_stderr, "backwards"), "stderr: %s", s_stderr);
    ASSERT_EXIT(s_cli("clock", "set", "soon", NULL), 2);
    ASSERT_EXIT(s_cli("clock", "set", NULL), 2);
    ASSERT_EXIT(s_cli("clock", "reset", "1", NULL), 2);
}

Test(cli_reactions, status_shows_policies_and_topics)
{
    s_poke("s", "one");
    s_wait_published(1);
    ASSERT_EXIT(s_cli("status", NULL), 0);
    cr_assert(strstr(s_stdout, "\nclock ") &&
                  strstr(s_stdout, " 2027-01-15T08:00:00.000Z  (manual)\n"),
              "%s", s_stdout);
    cr_assert(strstr(s_stdout, "policies\n  NAME "), "%s", s_stdout);
    cr_assert(strstr(s_stdout, "DEAD LETTERS\n"), "%s", s_stdout);
    cr_assert(strstr(s_stdout, "\n  poke-forwarder "), "%s", s_stdout);
    cr_assert(strstr(s_stdout, "\n  alarm-scheduler "), "%s", s_stdout);
    cr_assert(
        strstr(s_stdout, "topics\n  NAME   HEAD  SHARDS\n  pokes  1     1\n"),
        "%s", s_stdout);
    cr_assert(strstr(s_stdout, "timers\n  pending "), "%s", s_stdout);
    cr_assert(strstr(s_stdout, "gates\n  waiting "), "%s", s_stdout);
}
