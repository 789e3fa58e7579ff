/*
 * tests/integration/test_curve.c - CURVE on the client port of a real
 * node: with curve_secret_key and curve_clients it answers the clients
 * whose public certificate is in the folder and nobody else. An unknown
 * key gets no answer and the node logs it with the peer's address; a
 * plaintext client gets nothing, and so does a client that trusts
 * another server key, which the node logs too. The folder is read again when it
 * changes. `shoal keygen` writes the files both sides use, the secret one with
 * mode 0600; bad key files stop the node at startup with exit 1 and one line
 * naming the file. The status socket refuses a public address unless allowed.
 */
#include "node_fixture.h"
#include "node_process.h"
#include "runtime/curve.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long a refused client waits before the test calls it unanswered. */
#define REFUSED_WAIT_MS 1500

static node_fixture_t s_fixture;
static char s_keys[1024];    /* where keygen writes */
static char s_clients[1024]; /* the node's curve_clients */
static char *s_stdout;
static char *s_stderr;

static void s_setup(void)
{
    node_fixture_init(&s_fixture);
    snprintf(s_keys, sizeof s_keys, "%s/keys", s_fixture.dir);
    snprintf(s_clients, sizeof s_clients, "%s/clients", s_fixture.dir);
    cr_assert_eq(mkdir(s_keys, 0700), 0);
    cr_assert_eq(mkdir(s_clients, 0755), 0);
}

static void s_teardown(void)
{
    free(s_stdout);
    free(s_stderr);
    s_stdout = s_stderr = NULL;
    node_fixture_fini(&s_fixture);
}

TestSuite(curve, .init = s_setup, .fini = s_teardown);

/* The path of a key file: s_keys/NAME.key or, when secret,
 * s_keys/NAME.key_secret. Returns a static buffer (one of four, used in
 * turn). */
static const char *s_key_path(const char *name, bool secret)
{
    static char paths[4][PATH_MAX];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, PATH_MAX, "%s/%s.key%s", s_keys, name,
             secret ? "_secret" : "");
    return path;
}

/* Runs `shoal keygen NAME --dir s_keys`; keeps its output in s_stdout and
 * s_stderr and returns its exit code. */
static int s_run_keygen(const char *name)
{
    free(s_stdout);
    free(s_stderr);
    s_stdout = s_stderr = NULL;
    const char *argv[] = {
        test_binary("SHOAL_CLI"), "keygen", name, "--dir", s_keys, NULL};
    return test_run_program(argv, TEST_REQUEST_TIMEOUT_MS, &s_stdout,
                            &s_stderr);
}

/* Writes a key pair for each NULL-terminated name. */
static void s_keygen(const char *first, ...)
{
    va_list names;
    va_start(names, first);
    for (const char *name = first; name; name = va_arg(names, const char *))
        cr_assert_eq(s_run_keygen(name), 0, "keygen %s: %s", name, s_stderr);
    va_end(names);
}

/* Copies NAME's public certificate into the node's client folder. */
static void s_allow(const char *name)
{
    char *text = test_read_file(s_key_path(name, false));
    cr_assert_not_null(text);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.key", s_clients, name);
    FILE *file = fopen(path, "w");
    cr_assert_not_null(file, "%s", path);
    fputs(text, file);
    cr_assert_eq(fclose(file), 0);
    free(text);
}

/* Removes NAME's public certificate from the node's client folder. */
static void s_revoke(const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.key", s_clients, name);
    cr_assert_eq(unlink(path), 0, "%s", path);
}

/* Starts a node with the key "node" and the client folder. */
static void s_start_secured(void)
{
    s_fixture.node = node_process_start_examples(
        s_fixture.dir, "--curve-secret-key", s_key_path("node", true),
        "--curve-clients", s_clients, NULL);
    cr_assert_not_null(s_fixture.node);
}

/* A CURVE client with NAME's key that trusts the server key of server. */
static shoal_client_t *s_client(const char *name, const char *server)
{
    char *error = NULL;
    shoal_client_t *client = shoal_client_new_curve(
        node_process_client_endpoint(s_fixture.node), s_key_path(name, true),
        s_key_path(server, false), &error);
    cr_assert_not_null(client, "%s", error ? error : "?");
    return client;
}

/* True when client gets a PONG to a PING within timeout_ms. */
static bool s_pongs(shoal_client_t *client, int timeout_ms)
{
    shoal_reply_t reply;
    cr_assert_eq(shoal_client_ping(client, "ping"), 0);
    if (shoal_client_receive(client, &reply, timeout_ms) != 0)
        return false;
    bool pong = reply.status == SHOAL_REPLY_PONG;
    shoal_reply_clear(&reply);
    return pong;
}

/* Waits up to 5 s for the node's log to hold a line with every one of the
 * NULL-terminated texts. Returns that line (the caller's) or NULL. */
static char *s_log_line(const char *first, ...)
{
    long long deadline = test_now_ms() + 5000;
    do {
        char *log = test_read_file(node_process_stderr_path(s_fixture.node));
        for (char *line = log ? strtok(log, "\n") : NULL; line;
             line = strtok(NULL, "\n")) {
            va_list texts;
            va_start(texts, first);
            bool all = true;
            for (const char *text = first; text && all;
                 text = va_arg(texts, const char *))
                all = strstr(line, text) != NULL;
            va_end(texts);
            if (all) {
                char *found = strdup(line);
                free(log);
                return found;
            }
        }
        free(log);
        test_sleep_ms(50); /* the log has no readiness signal */
    } while (test_now_ms() < deadline);
    return NULL;
}

/* The public key of NAME, in Z85. */
static void s_public_key(const char *name, char key[SHOAL_CURVE_KEY_TEXT + 1])
{
    char *error = NULL;
    cr_assert_eq(shoal_curve_load_public(s_key_path(name, false), key, &error),
                 0, "%s", error ? error : "?");
}

/* ---------------------------------------------------------------------
 * Who gets in
 */

Test(curve, an_authorized_client_is_answered)
{
    s_keygen("node", "alice", NULL);
    s_allow("alice");
    s_start_secured();
    shoal_client_t *client = s_client("alice", "node");
    cr_assert(s_pongs(client, TEST_REQUEST_TIMEOUT_MS));
    shoal_reply_t reply;
    cr_assert_eq(shoal_client_call(client, "counter", "c1", "Increment",
                                   "{\"by\":2}", 8, NULL, &reply,
                                   TEST_REQUEST_TIMEOUT_MS),
                 0);
    cr_assert_eq(reply.status, SHOAL_REPLY_ACCEPTED, "%s", reply.body);
    shoal_reply_clear(&reply);
    shoal_client_destroy(&client);
    cr_assert_eq(node_process_stop(&s_fixture.node), 0);
}

Test(curve, an_unknown_key_gets_no_answer_and_is_logged)
{
    s_keygen("node", "alice", "mallory", NULL);
    s_allow("alice");
    s_start_secured();
    shoal_client_t *client = s_client("mallory", "node");
    cr_assert_not(s_pongs(client, REFUSED_WAIT_MS));
    shoal_client_destroy(&client);

    char key[SHOAL_CURVE_KEY_TEXT + 1];
    s_public_key("mallory", key);
    char *line = s_log_line("WARN", "client port: refused CURVE key", key,
                            "from 127.0.0.1", s_clients, NULL);
    cr_assert_not_null(line, "no refusal of %s in the log", key);
    free(line);
}

Test(curve, a_plaintext_client_gets_nothing)
{
    s_keygen("node", "alice", NULL);
    s_allow("alice");
    s_start_secured();
    shoal_client_t *client = node_process_client(s_fixture.node);
    cr_assert_not_null(client);
    cr_assert_not(s_pongs(client, REFUSED_WAIT_MS));
    shoal_client_destroy(&client);
}

Test(curve, a_client_trusting_another_server_key_gets_nothing)
{
    s_keygen("node", "alice", "impostor", NULL);
    s_allow("alice");
    s_start_secured();
    shoal_client_t *client = s_client("alice", "impostor");
    cr_assert_not(s_pongs(client, REFUSED_WAIT_MS));
    shoal_client_destroy(&client);
    char *line = s_log_line("WARN", "client port: refused a CURVE connection",
                            "another server key", NULL);
    cr_assert_not_null(line, "no refusal in the log");
    free(line);
}

Test(curve, the_folder_applies_to_each_new_connection)
{
    s_keygen("node", "alice", "bob", NULL);
    s_allow("alice");
    s_start_secured();
    shoal_client_t *alice = s_client("alice", "node");
    cr_assert(s_pongs(alice, TEST_REQUEST_TIMEOUT_MS));
    shoal_client_t *bob = s_client("bob", "node");
    cr_assert_not(s_pongs(bob, REFUSED_WAIT_MS));
    shoal_client_destroy(&bob);

    /* Added: bob's next connection gets in. */
    s_allow("bob");
    bob = s_client("bob", "node");
    cr_assert(s_pongs(bob, TEST_REQUEST_TIMEOUT_MS));
    shoal_client_destroy(&bob);

    /* Removed: alice's next connection is refused; the connection she
     * made before stays until it closes. */
    s_revoke("alice");
    shoal_client_t *alice_again = s_client("alice", "node");
    cr_assert_not(s_pongs(alice_again, REFUSED_WAIT_MS));
    shoal_client_destroy(&alice_again);
    cr_assert(s_pongs(alice, TEST_REQUEST_TIMEOUT_MS));
    shoal_client_destroy(&alice);
}

/* ---------------------------------------------------------------------
 * The CLI
 */

Test(curve, keygen_writes_a_pair_whose_secret_only_its_owner_reads)
{
    cr_assert_eq(s_run_keygen("alice"), 0, "%s", s_stderr);
    const char *public_path = s_key_path("alice", false);
    const char *secret_path = s_key_path("alice", true);
    cr_assert(strstr(s_stdout, public_path), "%s", s_stdout);
    cr_assert(strstr(s_stdout, secret_path), "%s", s_stdout);

    struct stat status;
    cr_assert_eq(stat(secret_path, &status), 0);
    cr_assert_eq(status.st_mode & 0777, 0600, "secret mode %o",
                 status.st_mode & 0777);
    cr_assert_eq(stat(public_path, &status), 0);
    cr_assert_eq(status.st_mode & 0777, 0644, "public mode %o",
                 status.st_mode & 0777);

    /* Usable: the secret file holds the key pair the public one names. */
    char key[SHOAL_CURVE_KEY_TEXT + 1];
    s_public_key("alice", key);
    cr_assert(strstr(s_stdout, key), "%s", s_stdout);
    char *error = NULL;
    zcert_t *cert = shoal_curve_load_secret(secret_path, &error);
    cr_assert_not_null(cert, "%s", error ? error : "?");
    cr_assert_str_eq(zcert_public_txt(cert), key);
    zcert_destroy(&cert);

    /* Never overwritten. */
    char *before = test_read_file(secret_path);
    cr_assert_eq(s_run_keygen("alice"), 1);
    cr_assert(strstr(s_stderr, "exists"), "%s", s_stderr);
    char *after = test_read_file(secret_path);
    cr_assert_str_eq(before, after);
    free(before);
    free(after);
}

Test(curve, keygen_refuses_a_name_that_is_a_path)
{
    cr_assert_eq(s_run_keygen("../alice"), 2);
    cr_assert(strstr(s_stderr, "invalid NAME"), "%s", s_stderr);
    cr_assert_eq(s_run_keygen(".hidden"), 2);
}

/* Runs `shoal -e EP -t 1500 ping` with the extra arguments (at most 4);
 * returns the exit code. */
static int s_cli_ping(const char *const extra[])
{
    const char *argv[12] = {test_binary("SHOAL_CLI"),
                            "-e",
                            node_process_client_endpoint(s_fixture.node),
                            "-t",
                            "1500",
                            "ping"};
    size_t count = 6;
    for (size_t i = 0; extra[i]; i++)
        argv[count++] = extra[i];
    argv[count] = NULL;
    free(s_stdout);
    free(s_stderr);
    s_stdout = s_stderr = NULL;
    return test_run_program(argv, TEST_REQUEST_TIMEOUT_MS, &s_stdout,
                            &s_stderr);
}

Test(curve, the_cli_talks_curve_with_flags_or_the_environment)
{
    s_keygen("node", "alice", NULL);
    s_allow("alice");
    s_start_secured();

    const char *flags[] = {"--curve-key", s_key_path("alice", true),
                           "--server-key", s_key_path("node", false), NULL};
    cr_assert_eq(s_cli_ping(flags), 0, "%s", s_stderr);
    cr_assert(strstr(s_stdout, "pong"), "%s", s_stdout);

    const char *none[] = {NULL};
    cr_assert_eq(s_cli_ping(none), 3, "%s", s_stderr);

    cr_assert_eq(setenv("SHOAL_CURVE_KEY", s_key_path("alice", true), 1), 0);
    cr_assert_eq(setenv("SHOAL_SERVER_KEY", s_key_path("node", false), 1), 0);
    cr_assert_eq(s_cli_ping(none), 0, "%s", s_stderr);
    unsetenv("SHOAL_CURVE_KEY");
    unsetenv("SHOAL_SERVER_KEY");

    const char *half[] = {"--curve-key", s_key_path("alice", true), NULL};
    cr_assert_eq(s_cli_ping(half), 2);
    cr_assert(strstr(s_stderr, "--server-key"), "%s", s_stderr);

    const char *missing[] = {"--curve-key", s_key_path("nobody", true),
                             "--server-key", s_key_path("node", false), NULL};
    cr_assert_eq(s_cli_ping(missing), 2);
    cr_assert(strstr(s_stderr, s_key_path("nobody", true)), "%s", s_stderr);
}

/* ---------------------------------------------------------------------
 * Startup
 */

/* Runs shoald with the counter plugin and extra (at most 6 arguments),
 * expecting exit code expected before it binds; returns its stderr (the
 * caller's), checked to be one line starting "shoald: " and naming
 * every NULL-terminated text. */
static char *s_expect_refusal(const char *const extra[], int expected,
                              const char *first, ...)
{
    const char *args[12] = {"--plugin", test_example_plugin("counter")};
    size_t count = 2;
    for (size_t i = 0; extra[i]; i++)
        args[count++] = extra[i];
    args[count] = NULL;
    char data_dir[PATH_MAX];
    snprintf(data_dir, sizeof data_dir, "%s/data", s_fixture.dir);
    char *text = NULL;
    bool printed_ready = false;
    int code = node_process_run_failing(data_dir, args, &text, &printed_ready);
    cr_assert_not(printed_ready, "shoald started; stderr: %s", text);
    cr_assert_eq(code, expected, "exit %d; stderr: %s", code, text);
    cr_assert(strncmp(text, "shoald: ", 8) == 0, "%s", text);
    char *newline = strchr(text, '\n');
    cr_assert(newline && !newline[1], "not one line: %s", text);
    va_list texts;
    va_start(texts, first);
    for (const char *word = first; word; word = va_arg(texts, const char *))
        cr_assert(strstr(text, word), "'%s' not in: %s", word, text);
    va_end(texts);
    return text;
}

Test(curve, a_missing_secret_key_stops_the_node_with_exit_1)
{
    const char *path = s_key_path("absent", true);
    const char *extra[] = {"--curve-secret-key", path, "--curve-clients",
                           s_clients, NULL};
    free(s_expect_refusal(extra, 1, "curve_secret_key", path,
                          "No such file or directory", NULL));
}

Test(curve, a_public_certificate_given_as_the_secret_key_stops_the_node)
{
    s_keygen("node", NULL);
    const char *path = s_key_path("node", false);
    const char *extra[] = {"--curve-secret-key", path, "--curve-clients",
                           s_clients, NULL};
    free(s_expect_refusal(extra, 1, path, "no secret key", NULL));
}

Test(curve, a_file_that_is_no_certificate_stops_the_node)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/garbage.key_secret", s_keys);
    FILE *file = fopen(path, "w");
    cr_assert_not_null(file);
    fputs("curve\n    public-key = \"short\"\n    secret-key = \"x\"\n", file);
    cr_assert_eq(fclose(file), 0);
    const char *extra[] = {"--curve-secret-key", path, "--curve-clients",
                           s_clients, NULL};
    free(s_expect_refusal(extra, 1, path, "public-key", "Z85", NULL));
}

Test(curve, a_missing_client_folder_stops_the_node)
{
    s_keygen("node", NULL);
    char folder[PATH_MAX];
    snprintf(folder, sizeof folder, "%s/absent", s_fixture.dir);
    const char *extra[] = {"--curve-secret-key", s_key_path("node", true),
                           "--curve-clients", folder, NULL};
    free(s_expect_refusal(extra, 1, "curve_clients", folder,
                          "No such file or directory", NULL));
}

Test(curve, curve_without_a_client_folder_is_a_bad_setting)
{
    s_keygen("node", NULL);
    const char *extra[] = {"--curve-secret-key", s_key_path("node", true),
                           NULL};
    free(s_expect_refusal(extra, 2, "curve_clients", NULL));
}

Test(curve, the_status_socket_refuses_a_public_address_unless_allowed)
{
    char data_dir[PATH_MAX];
    snprintf(data_dir, sizeof data_dir, "%s/data", s_fixture.dir);
    const char *argv[] = {test_binary("SHOALD"),
                          "--plugin",
                          test_example_plugin("counter"),
                          "--data-dir",
                          data_dir,
                          "--endpoint",
                          "tcp://127.0.0.1:*",
                          "--status-endpoint",
                          "tcp://0.0.0.0:*",
                          NULL};
    int code =
        test_run_program(argv, TEST_REQUEST_TIMEOUT_MS, &s_stdout, &s_stderr);
    cr_assert_eq(code, 2, "exit %d; stderr: %s", code, s_stderr);
    cr_assert(strstr(s_stderr, "tcp://0.0.0.0:*"), "%s", s_stderr);
    cr_assert(strstr(s_stderr, "status_allow_remote"), "%s", s_stderr);
    cr_assert_null(strstr(s_stdout, "ready"), "%s", s_stdout);
}
