/*
 * tests/integration/node_process.h - run real shoald processes from
 * Criterion integration tests.
 *
 * A node_process is one shoald started (test_spawn) on ephemeral ports
 * (tcp://127.0.0.1:*) and a data directory of the test's choosing. Starting
 * waits for the readiness line on the node's stdout and parses the resolved
 * endpoints from it; the node's stderr goes to a file in the test's
 * temporary directory and is printed when the node fails.
 *
 * Every process started here is recorded in a registry. The registry is
 * emptied (SIGKILL + waitpid) by node_process_kill_all, which tests call in
 * their fixture's .fini, and again at exit and on a fatal signal, so that
 * a failed assertion or a crash in a test never leaves a node behind.
 *
 * Paths come from the environment the meson test registration sets:
 * SHOALD, SHOAL_CLI, SHOAL_PLUGIN_DIR and SHOAL_BAD_PLUGIN_DIR.
 */
#ifndef SHOAL_TESTS_NODE_PROCESS_H
#define SHOAL_TESTS_NODE_PROCESS_H

#include "shoal/client.h"
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

/* How long starting a node may take before the test gives up. */
#define NODE_PROCESS_READY_TIMEOUT_MS 20000

/* How long a node may take to exit after SIGTERM before it is killed. */
#define NODE_PROCESS_STOP_TIMEOUT_MS 20000

/* Default timeout for one request in the tests. */
#define TEST_REQUEST_TIMEOUT_MS 10000

typedef struct node_process node_process_t;

/* --- Temporary directories and paths ------------------------------------ */

/* Creates a fresh directory /tmp/shoal-test-XXXXXX. Returns its path
 * (the caller's, release with test_temp_dir_remove), or NULL on failure. */
char *test_temp_dir_new(void);

/* Removes the directory and everything in it, frees the path and sets
 * *path_p to NULL. NULL-safe. When SHOAL_TEST_KEEP is set in the
 * environment the directory is kept (and its path printed). */
void test_temp_dir_remove(char **path_p);

/* Returns the path of an example plugin, e.g. test_example_plugin("counter")
 * gives $SHOAL_PLUGIN_DIR/counter/counter.so. Fails the current test when
 * SHOAL_PLUGIN_DIR is not set. The string lives until the process exits. */
const char *test_example_plugin(const char *name);

/* Returns $SHOAL_BAD_PLUGIN_DIR/<name>.so, as test_example_plugin. */
const char *test_bad_plugin(const char *name);

/* Returns the path of a plugin built for the tests (e.g.
 * "reaction_probe"), as test_example_plugin. */
const char *test_fixture_plugin(const char *name);

/* Returns the value of an environment variable naming a binary (SHOALD,
 * SHOAL_CLI). Fails the current test when it is not set. */
const char *test_binary(const char *env_name);

/* --- Nodes ------------------------------------------------------------- */

/* Starts shoald with the given arguments (a NULL-terminated array) plus
 * `--endpoint tcp://127.0.0.1:* --status-endpoint tcp://127.0.0.1:*
 * --data-dir <dir>/data`, and waits until it prints its readiness line.
 * <dir>/data is created when missing; the node's stderr is appended to
 * <dir>/shoald.stderr. Returns the running node (the caller's, release with
 * node_process_stop or node_process_kill), or NULL when the node could not
 * start in NODE_PROCESS_READY_TIMEOUT_MS (its stderr is then printed). */
node_process_t *node_process_startv(const char *dir, const char *const args[]);

/* As node_process_startv, with the arguments given inline, ending in NULL. */
node_process_t *node_process_start(const char *dir, ...)
    __attribute__((sentinel));

/* As node_process_start, loading the counter and account example plugins
 * before the other arguments. */
node_process_t *node_process_start_examples(const char *dir, ...)
    __attribute__((sentinel));

/* Sends SIGTERM and waits for the node to exit. Returns its exit code,
 * 128 + signal when a signal ended it, or -1 when it did not exit within
 * NODE_PROCESS_STOP_TIMEOUT_MS (it is then killed). Prints the node's
 * stderr when the result is not 0. Frees the node and sets *self_p to
 * NULL. NULL-safe (returns -1). */
int node_process_stop(node_process_t **self_p);

/* Waits up to timeout_ms for the node to exit on its own (it is killed
 * after that). Returns its exit code as node_process_stop, or -1. Frees
 * the node and sets *self_p to NULL. */
int node_process_wait_exit(node_process_t **self_p, int timeout_ms);

/* Kills the node with SIGKILL, reaps it, frees it and sets *self_p to
 * NULL. NULL-safe. */
void node_process_kill(node_process_t **self_p);

/* Kills and reaps every process this helper started and has not reaped
 * yet. Nodes already handed out stay allocated but dead; call this in a
 * fixture's .fini after destroying the nodes one knows of. */
void node_process_kill_all(void);

/* True while the node's process has not exited. */
bool node_process_alive(node_process_t *self);

/* The node's resolved client port and status socket endpoints, borrowed. */
const char *node_process_client_endpoint(const node_process_t *self);
const char *node_process_status_endpoint(const node_process_t *self);

/* The node's resolved peer port ("" for a node outside a cluster). */
const char *node_process_cluster_endpoint(const node_process_t *self);

/* The node's process id. */
pid_t node_process_pid(const node_process_t *self);

/* The file the node's stderr (its log) goes to, borrowed. */
const char *node_process_stderr_path(const node_process_t *self);

/* Returns a new client connected to the node's client port (the caller's,
 * shoal_client_destroy), or NULL. */
shoal_client_t *node_process_client(const node_process_t *self);

/* Asks the status socket `get TYPE ID` and parses the answer as JSON.
 * Returns the JSON (the caller's, json_decref) or NULL on timeout, ERROR
 * answer or bad JSON (the reason is printed). */
json_t *node_process_get_json(const node_process_t *self, const char *type,
                              const char *id);

/* Asks the status socket `status` and parses the answer as JSON, as
 * node_process_get_json. */
json_t *node_process_status_json(const node_process_t *self);

/* Returns the integer field `field` of `get TYPE ID`, or INT64_MIN when
 * the answer is missing, not JSON, or has no such integer field. */
long long node_process_get_int(const node_process_t *self, const char *type,
                               const char *id, const char *field);

/* Returns the integer field `field` of the `status` JSON, as above. */
long long node_process_status_int(const node_process_t *self,
                                  const char *field);

/* --- Other programs ---------------------------------------------------- */

/* Runs argv[0] with arguments argv (NULL-terminated), stdin from
 * /dev/null, and waits up to timeout_ms for it to exit. Fills *stdout_text
 * and *stderr_text (each may be NULL when not wanted; the caller frees)
 * with what it printed. Returns its exit code, 128 + signal when a signal
 * ended it, or -1 when it could not be started or did not exit in time
 * (it is then killed). */
int test_run_program(const char *const argv[], int timeout_ms,
                     char **stdout_text, char **stderr_text);

/* Starts argv (argv[0] a path; NULL-terminated) with stdin from
 * /dev/null and stdout and stderr on the given descriptors. The child is
 * killed when the test's thread dies (even by SIGKILL), and by
 * node_process_kill_all: a caller that reaps it itself calls test_forget
 * first. Returns its pid, or -1 when it cannot be started. */
pid_t test_spawn(const char *const argv[], int stdout_fd, int stderr_fd);

/* Drops pid, a child of test_spawn the caller has reaped or is about to,
 * from the children node_process_kill_all ends. */
void test_forget(pid_t pid);

/* Runs shoald with args (NULL-terminated) plus the ephemeral endpoints and
 * `--data-dir data_dir`, expecting it to fail at startup. Waits up to
 * NODE_PROCESS_READY_TIMEOUT_MS; if it prints its readiness line instead,
 * it is killed and *printed_ready is set. Fills *stderr_text (the
 * caller's). Returns as test_run_program. */
int node_process_run_failing(const char *data_dir, const char *const args[],
                             char **stderr_text, bool *printed_ready);

/* --- Small conveniences ------------------------------------------------ */

/* Milliseconds on a monotonic clock. */
long long test_now_ms(void);

/* Sleeps for ms milliseconds. For polling where no signal exists. */
void test_sleep_ms(int ms);

/* Reads a whole file into a NUL-terminated string (the caller's), or
 * returns NULL. */
char *test_read_file(const char *path);

/* Parses a reply body as JSON and returns its integer field `field`, or
 * INT64_MIN. */
long long test_json_int(const char *text, const char *field);

#endif
