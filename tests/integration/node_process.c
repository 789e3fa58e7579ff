/*
 * tests/integration/node_process.c - run real shoald processes from
 * Criterion integration tests: spawn, readiness, stop, kill, temporary
 * directories, and small helpers to read a node's status socket.
 *
 * Children are recorded in a process-wide registry, so that whatever ends
 * a test (a failed assertion, a crash, an exit) also ends the nodes it
 * started; and each child asks the kernel to kill it when the test
 * process dies, so that even a SIGKILL of the test (a runner's timeout)
 * leaves no node behind. See node_process.h.
 */
#include "node_process.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define ENDPOINT_MAX 256
#define ARGS_MAX 64
#define REGISTRY_SIZE 64
#define READY_PREFIX "shoald ready "

struct node_process {
    pid_t pid;
    int stdout_fd; /* read end of the node's stdout, kept open until stop */
    char client_endpoint[ENDPOINT_MAX];
    char status_endpoint[ENDPOINT_MAX];
    char cluster_endpoint[ENDPOINT_MAX]; /* "" outside a cluster */
    char stderr_path[PATH_MAX];
};

/* --- The registry of started processes ------------------------------- */

/* Pids of children not yet reaped; 0 marks a free slot. Read by the fatal
 * signal handler, hence volatile sig_atomic_t-sized plain ints. */
static volatile pid_t s_children[REGISTRY_SIZE];
static bool s_hooks_installed;
static const int s_fatal_signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
#define FATAL_SIGNAL_COUNT (sizeof s_fatal_signals / sizeof s_fatal_signals[0])
static struct sigaction s_previous_actions[FATAL_SIGNAL_COUNT];

static void s_registry_add(pid_t pid)
{
    for (size_t i = 0; i < REGISTRY_SIZE; i++) {
        if (s_children[i] == 0) {
            s_children[i] = pid;
            return;
        }
    }
    /* Defensive: more live children than any test needs. */
    fprintf(stderr, "node_process: registry full; pid %d untracked\n",
            (int)pid);
}

static void s_registry_remove(pid_t pid)
{
    for (size_t i = 0; i < REGISTRY_SIZE; i++) {
        if (s_children[i] == pid)
            s_children[i] = 0;
    }
}

/* Async-signal-safe: kill() only. */
static void s_kill_registered(void)
{
    for (size_t i = 0; i < REGISTRY_SIZE; i++) {
        if (s_children[i] > 0)
            kill(s_children[i], SIGKILL);
    }
}

static void s_on_fatal_signal(int signal_number)
{
    s_kill_registered();
    for (size_t i = 0; i < FATAL_SIGNAL_COUNT; i++) {
        if (s_fatal_signals[i] == signal_number)
            sigaction(signal_number, &s_previous_actions[i], NULL);
    }
    /* The signal is blocked while we run: it is delivered again, to the
     * previous handler, when this one returns. */
    raise(signal_number);
}

static void s_on_exit(void)
{
    node_process_kill_all();
}

static void s_install_hooks(void)
{
    if (s_hooks_installed)
        return;
    s_hooks_installed = true;
    atexit(s_on_exit);
    for (size_t i = 0; i < FATAL_SIGNAL_COUNT; i++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = s_on_fatal_signal;
        sigemptyset(&action.sa_mask);
        sigaction(s_fatal_signals[i], &action, &s_previous_actions[i]);
    }
}

void node_process_kill_all(void)
{
    for (size_t i = 0; i < REGISTRY_SIZE; i++) {
        pid_t pid = s_children[i];
        if (pid > 0) {
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
            s_children[i] = 0;
        }
    }
}

/* --- Small conveniences ------------------------------------------------ */

long long test_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void test_sleep_ms(int ms)
{
    struct timespec duration = {ms / 1000, (long)(ms % 1000) * 1000000};
    while (nanosleep(&duration, &duration) < 0 && errno == EINTR)
        ;
}

char *test_read_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    size_t capacity = 4096, size = 0;
    char *text = malloc(capacity);
    while (text) {
        size_t got = fread(text + size, 1, capacity - size - 1, file);
        size += got;
        if (got == 0)
            break;
        if (size + 1 == capacity) {
            char *bigger = realloc(text, capacity * 2);
            if (!bigger) {
                free(text);
                text = NULL;
                break;
            }
            text = bigger;
            capacity *= 2;
        }
    }
    fclose(file);
    if (text)
        text[size] = '\0';
    return text;
}

long long test_json_int(const char *text, const char *field)
{
    if (!text)
        return INT64_MIN;
    json_t *json = json_loads(text, JSON_DECODE_ANY, NULL);
    long long value = INT64_MIN;
    json_t *member = json_object_get(json, field);
    if (json_is_integer(member))
        value = json_integer_value(member);
    json_decref(json);
    return value;
}

/* --- Temporary directories and paths ------------------------------------ */

char *test_temp_dir_new(void)
{
    char *path = strdup("/tmp/shoal-test-XXXXXX");
    if (path && !mkdtemp(path)) {
        fprintf(stderr, "node_process: mkdtemp: %s\n", strerror(errno));
        free(path);
        path = NULL;
    }
    return path;
}

static int s_remove_entry(const char *path, const struct stat *info, int flag,
                          struct FTW *ftw)
{
    (void)info;
    (void)flag;
    (void)ftw;
    if (remove(path) < 0)
        fprintf(stderr, "node_process: remove %s: %s\n", path, strerror(errno));
    return 0;
}

void test_temp_dir_remove(char **path_p)
{
    if (!path_p || !*path_p)
        return;
    if (getenv("SHOAL_TEST_KEEP"))
        fprintf(stderr, "node_process: kept %s\n", *path_p);
    else
        nftw(*path_p, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(*path_p);
    *path_p = NULL;
}

/* Interned path strings: they live until the process exits. */
typedef struct path_entry {
    struct path_entry *next;
    char *key;
    char *path;
} path_entry_t;

static path_entry_t *s_paths;

static const char *s_intern_path(const char *env_name, const char *suffix)
{
    const char *base = getenv(env_name);
    cr_assert_not_null(base, "%s is not set: run the tests with meson test",
                       env_name);
    char key[PATH_MAX];
    snprintf(key, sizeof key, "%s|%s", env_name, suffix ? suffix : "");
    for (path_entry_t *entry = s_paths; entry; entry = entry->next) {
        if (strcmp(entry->key, key) == 0)
            return entry->path;
    }
    path_entry_t *entry = calloc(1, sizeof *entry);
    cr_assert_not_null(entry);
    entry->key = strdup(key);
    if (suffix) {
        size_t size = strlen(base) + strlen(suffix) + 2;
        entry->path = malloc(size);
        cr_assert_not_null(entry->path);
        snprintf(entry->path, size, "%s/%s", base, suffix);
    } else {
        entry->path = strdup(base);
    }
    entry->next = s_paths;
    s_paths = entry;
    return entry->path;
}

const char *test_example_plugin(const char *name)
{
    char suffix[PATH_MAX];
    snprintf(suffix, sizeof suffix, "%s/%s.so", name, name);
    return s_intern_path("SHOAL_PLUGIN_DIR", suffix);
}

const char *test_bad_plugin(const char *name)
{
    char suffix[PATH_MAX];
    snprintf(suffix, sizeof suffix, "%s.so", name);
    return s_intern_path("SHOAL_BAD_PLUGIN_DIR", suffix);
}

const char *test_fixture_plugin(const char *name)
{
    return test_bad_plugin(name); /* built beside the bad plugins */
}

const char *test_binary(const char *env_name)
{
    return s_intern_path(env_name, NULL);
}

/* --- Spawning --------------------------------------------------------- */

pid_t test_spawn(const char *const argv[], int stdout_fd, int stderr_fd)
{
    s_install_hooks();
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "node_process: cannot start %s: %s\n", argv[0],
                strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* The child of a threaded process: async-signal-safe calls only. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
            _exit(127); /* the test is already gone */
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
            dup2(stdout_fd, STDOUT_FILENO) < 0 ||
            dup2(stderr_fd, STDERR_FILENO) < 0)
            _exit(127);
        execve(argv[0], (char *const *)argv, environ);
        _exit(127);
    }
    s_registry_add(pid);
    return pid;
}

void test_forget(pid_t pid)
{
    s_registry_remove(pid);
}

/* Turns a wait status into the exit code convention of node_process.h. */
static int s_exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

/* Waits up to timeout_ms for pid to exit; kills it after that. Returns
 * as s_exit_code, or -1 on the timeout. Unregisters the pid. */
static int s_wait_exit(pid_t pid, int timeout_ms)
{
    long long deadline = test_now_ms() + timeout_ms;
    int status = 0;
    for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            break;
        if (done < 0 && errno != EINTR) {
            s_registry_remove(pid);
            return -1;
        }
        if (test_now_ms() >= deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
            s_registry_remove(pid);
            return -1;
        }
        test_sleep_ms(5);
    }
    s_registry_remove(pid);
    return s_exit_code(status);
}

/* Appends what is readable on fd to *buffer. Returns the bytes read, 0 on
 * end of file, -1 on error. */
static ssize_t s_read_into(int fd, char **buffer, size_t *size,
                           size_t *capacity)
{
    if (*capacity - *size < 4096) {
        size_t bigger = *capacity ? *capacity * 2 : 8192;
        char *grown = realloc(*buffer, bigger);
        if (!grown)
            return -1;
        *buffer = grown;
        *capacity = bigger;
        (*buffer)[*size] = '\0'; /* text even when nothing is read */
    }
    ssize_t got;
    do
        got = read(fd, *buffer + *size, *capacity - *size - 1);
    while (got < 0 && errno == EINTR);
    if (got > 0) {
        *size += got;
        (*buffer)[*size] = '\0';
    }
    return got;
}

/* Runs argv, collecting stdout and stderr, up to timeout_ms. When
 * stop_on_stdout is found in its stdout the program is killed and
 * *stopped set. */
static int s_run(const char *const argv[], int timeout_ms, char **stdout_text,
                 char **stderr_text, const char *stop_on_stdout, bool *stopped)
{
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) < 0)
        return -1;
    if (pipe2(err_pipe, O_CLOEXEC) < 0) {
        close(out_pipe[0]);
        close(out_pipe[1]);
        return -1;
    }
    pid_t pid = test_spawn(argv, out_pipe[1], err_pipe[1]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (pid < 0) {
        close(out_pipe[0]);
        close(err_pipe[0]);
        return -1;
    }
    char *texts[2] = {NULL, NULL};
    size_t sizes[2] = {0, 0}, capacities[2] = {0, 0};
    struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    long long deadline = test_now_ms() + timeout_ms;
    bool timed_out = false;
    if (stopped)
        *stopped = false;
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        long long remaining = deadline - test_now_ms();
        if (remaining <= 0) {
            timed_out = true;
            break;
        }
        int ready = poll(fds, 2, (int)remaining);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0)
            break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !fds[i].revents)
                continue;
            if (s_read_into(fds[i].fd, &texts[i], &sizes[i], &capacities[i]) <=
                0) {
                close(fds[i].fd);
                fds[i].fd = -1;
            }
        }
        if (stop_on_stdout && texts[0] && strstr(texts[0], stop_on_stdout)) {
            if (stopped)
                *stopped = true;
            kill(pid, SIGKILL);
            break;
        }
    }
    for (int i = 0; i < 2; i++) {
        if (fds[i].fd >= 0)
            close(fds[i].fd);
    }
    if (timed_out)
        kill(pid, SIGKILL);
    long long remaining = deadline - test_now_ms();
    int code = s_wait_exit(pid, remaining > 0 ? (int)remaining : 1000);
    if (timed_out) {
        fprintf(stderr, "node_process: %s did not exit in %d ms\n", argv[0],
                timeout_ms);
        code = -1;
    }
    char **outputs[2] = {stdout_text, stderr_text};
    for (int i = 0; i < 2; i++) {
        if (!texts[i])
            texts[i] = strdup("");
        if (outputs[i])
            *outputs[i] = texts[i];
        else
            free(texts[i]);
    }
    return code;
}

int test_run_program(const char *const argv[], int timeout_ms,
                     char **stdout_text, char **stderr_text)
{
    return s_run(argv, timeout_ms, stdout_text, stderr_text, NULL, NULL);
}

/* Builds shoald's argv: the binary, args, then the fixed endpoints and
 * the data directory. Returns the count, or -1 when there are too many. */
static int s_build_argv(const char *argv[ARGS_MAX], const char *data_dir,
                        const char *const args[])
{
    int count = 0;
    argv[count++] = test_binary("SHOALD");
    for (size_t i = 0; args && args[i]; i++) {
        if (count >= ARGS_MAX - 8)
            return -1;
        argv[count++] = args[i];
    }
    argv[count++] = "--endpoint";
    argv[count++] = "tcp://127.0.0.1:*";
    argv[count++] = "--status-endpoint";
    argv[count++] = "tcp://127.0.0.1:*";
    argv[count++] = "--data-dir";
    argv[count++] = data_dir;
    argv[count] = NULL;
    return count;
}

int node_process_run_failing(const char *data_dir, const char *const args[],
                             char **stderr_text, bool *printed_ready)
{
    const char *argv[ARGS_MAX];
    cr_assert_geq(s_build_argv(argv, data_dir, args), 0, "too many args");
    return s_run(argv, NODE_PROCESS_READY_TIMEOUT_MS, NULL, stderr_text,
                 READY_PREFIX, printed_ready);
}

/* --- Nodes ------------------------------------------------------------- */

/* Prints the node's stderr file, for a test's diagnostics. */
static void s_print_stderr(const node_process_t *self, const char *why)
{
    char *text = test_read_file(self->stderr_path);
    fprintf(stderr, "--- shoald pid %d %s; its stderr (%s):\n%s---\n",
            (int)self->pid, why, self->stderr_path, text ? text : "");
    free(text);
}

/* Parses the readiness line. Returns 0, or -1 when line is not one. */
static int s_parse_ready(node_process_t *self, const char *line)
{
    if (strncmp(line, READY_PREFIX, strlen(READY_PREFIX)) != 0)
        return -1;
    char client[ENDPOINT_MAX], status[ENDPOINT_MAX], cluster[ENDPOINT_MAX] = "";
    int fields = sscanf(line,
                        READY_PREFIX "client=%255s status=%255s "
                                     "cluster=%255s",
                        client, status, cluster);
    if (fields < 2)
        return -1;
    if (strchr(client, '*') || strchr(status, '*') || strchr(cluster, '*'))
        return -1;
    snprintf(self->client_endpoint, sizeof self->client_endpoint, "%s", client);
    snprintf(self->status_endpoint, sizeof self->status_endpoint, "%s", status);
    snprintf(self->cluster_endpoint, sizeof self->cluster_endpoint, "%s",
             cluster);
    return 0;
}

/* Reads the node's stdout until its readiness line. Returns 0, or -1 on
 * timeout or end of file (the node died). */
static int s_wait_ready(node_process_t *self, int timeout_ms)
{
    char line[2048];
    size_t used = 0;
    long long deadline = test_now_ms() + timeout_ms;
    for (;;) {
        long long remaining = deadline - test_now_ms();
        if (remaining <= 0)
            return -1;
        struct pollfd pfd = {self->stdout_fd, POLLIN, 0};
        int ready = poll(&pfd, 1, (int)remaining);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            return -1;
        ssize_t got =
            read(self->stdout_fd, line + used, sizeof line - 1 - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        used += got;
        line[used] = '\0';
        char *newline;
        while ((newline = strchr(line, '\n'))) {
            *newline = '\0';
            if (s_parse_ready(self, line) == 0)
                return 0;
            size_t rest = used - (size_t)(newline + 1 - line);
            memmove(line, newline + 1, rest + 1);
            used = rest;
        }
        if (used == sizeof line - 1)
            used = 0; /* Defensive: a line longer than any we expect. */
    }
}

node_process_t *node_process_startv(const char *dir, const char *const args[])
{
    static unsigned started;
    node_process_t *self = calloc(1, sizeof *self);
    cr_assert_not_null(self);
    self->pid = -1;
    self->stdout_fd = -1;

    char data_dir[PATH_MAX];
    snprintf(data_dir, sizeof data_dir, "%s/data", dir);
    if (mkdir(data_dir, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "node_process: mkdir %s: %s\n", data_dir,
                strerror(errno));
        free(self);
        return NULL;
    }
    snprintf(self->stderr_path, sizeof self->stderr_path, "%s/shoald-%u.stderr",
             dir, started++);
    int stderr_fd = open(self->stderr_path,
                         O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int out_pipe[2];
    if (stderr_fd < 0 || pipe2(out_pipe, O_CLOEXEC) < 0) {
        fprintf(stderr, "node_process: %s: %s\n", self->stderr_path,
                strerror(errno));
        if (stderr_fd >= 0)
            close(stderr_fd);
        free(self);
        return NULL;
    }
    const char *argv[ARGS_MAX];
    cr_assert_geq(s_build_argv(argv, data_dir, args), 0, "too many args");
    self->pid = test_spawn(argv, out_pipe[1], stderr_fd);
    close(out_pipe[1]);
    close(stderr_fd);
    self->stdout_fd = out_pipe[0];
    if (self->pid < 0) {
        close(self->stdout_fd);
        free(self);
        return NULL;
    }
    if (s_wait_ready(self, NODE_PROCESS_READY_TIMEOUT_MS) < 0) {
        kill(self->pid, SIGKILL);
        int code = s_wait_exit(self->pid, 5000);
        char why[64];
        snprintf(why, sizeof why, "never became ready (exit %d)", code);
        s_print_stderr(self, why);
        close(self->stdout_fd);
        free(self);
        return NULL;
    }
    return self;
}

/* Starts a node with prefix (NULL-terminated, may be NULL) followed by
 * the NULL-terminated variadic arguments in list. */
static node_process_t *s_start_va(const char *dir, const char *const prefix[],
                                  va_list list)
{
    const char *args[ARGS_MAX];
    size_t count = 0;
    for (size_t i = 0; prefix && prefix[i]; i++)
        args[count++] = prefix[i];
    const char *arg;
    while ((arg = va_arg(list, const char *))) {
        cr_assert_lt(count, ARGS_MAX - 1, "too many args");
        args[count++] = arg;
    }
    args[count] = NULL;
    return node_process_startv(dir, args);
}

node_process_t *node_process_start(const char *dir, ...)
{
    va_list list;
    va_start(list, dir);
    node_process_t *self = s_start_va(dir, NULL, list);
    va_end(list);
    return self;
}

node_process_t *node_process_start_examples(const char *dir, ...)
{
    const char *prefix[] = {"--plugin", test_example_plugin("counter"),
                            "--plugin", test_example_plugin("account"), NULL};
    va_list list;
    va_start(list, dir);
    node_process_t *self = s_start_va(dir, prefix, list);
    va_end(list);
    return self;
}

static void s_destroy(node_process_t **self_p)
{
    if ((*self_p)->stdout_fd >= 0)
        close((*self_p)->stdout_fd);
    free(*self_p);
    *self_p = NULL;
}

int node_process_stop(node_process_t **self_p)
{
    if (!self_p || !*self_p)
        return -1;
    node_process_t *self = *self_p;
    kill(self->pid, SIGTERM);
    int code = s_wait_exit(self->pid, NODE_PROCESS_STOP_TIMEOUT_MS);
    if (code != 0) {
        char why[64];
        snprintf(why, sizeof why, "stopped with exit %d", code);
        s_print_stderr(self, why);
    }
    s_destroy(self_p);
    return code;
}

int node_process_wait_exit(node_process_t **self_p, int timeout_ms)
{
    if (!self_p || !*self_p)
        return -1;
    int code = s_wait_exit((*self_p)->pid, timeout_ms);
    s_destroy(self_p);
    return code;
}

void node_process_kill(node_process_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    node_process_t *self = *self_p;
    kill(self->pid, SIGKILL);
    s_wait_exit(self->pid, NODE_PROCESS_STOP_TIMEOUT_MS);
    s_destroy(self_p);
}

bool node_process_alive(node_process_t *self)
{
    int status;
    pid_t done = waitpid(self->pid, &status, WNOHANG);
    if (done == self->pid) {
        s_registry_remove(self->pid);
        char why[64];
        snprintf(why, sizeof why, "exited unexpectedly (exit %d)",
                 s_exit_code(status));
        s_print_stderr(self, why);
        return false;
    }
    return done == 0;
}

const char *node_process_client_endpoint(const node_process_t *self)
{
    return self->client_endpoint;
}

const char *node_process_cluster_endpoint(const node_process_t *self)
{
    return self->cluster_endpoint;
}

const char *node_process_status_endpoint(const node_process_t *self)
{
    return self->status_endpoint;
}

pid_t node_process_pid(const node_process_t *self)
{
    return self->pid;
}

const char *node_process_stderr_path(const node_process_t *self)
{
    return self->stderr_path;
}

shoal_client_t *node_process_client(const node_process_t *self)
{
    return shoal_client_new(self->client_endpoint);
}

/* Asks the status socket one request and parses the answer as JSON. */
static json_t *s_status_json(const node_process_t *self, const char *request)
{
    char *answer = NULL;
    int rc = shoal_status_request(self->status_endpoint, request,
                                  TEST_REQUEST_TIMEOUT_MS, &answer);
    if (rc != 0) {
        fprintf(stderr, "node_process: '%s' -> %s: %s\n", request,
                rc > 0     ? "ERROR"
                : rc == -2 ? "not a valid status reply"
                           : "timeout",
                answer ? answer : "");
        free(answer);
        return NULL;
    }
    json_error_t error;
    json_t *json = json_loads(answer, JSON_DECODE_ANY, &error);
    if (!json)
        fprintf(stderr, "node_process: '%s' -> not JSON (%s): %s\n", request,
                error.text, answer);
    free(answer);
    return json;
}

json_t *node_process_get_json(const node_process_t *self, const char *type,
                              const char *id)
{
    char request[512];
    snprintf(request, sizeof request, "get %s %s", type, id);
    return s_status_json(self, request);
}

json_t *node_process_status_json(const node_process_t *self)
{
    return s_status_json(self, "status");
}

static long long s_json_member_int(json_t *json, const char *field)
{
    long long value = INT64_MIN;
    json_t *member = json_object_get(json, field);
    if (json_is_integer(member))
        value = json_integer_value(member);
    json_decref(json);
    return value;
}

long long node_process_get_int(const node_process_t *self, const char *type,
                               const char *id, const char *field)
{
    return s_json_member_int(node_process_get_json(self, type, id), field);
}

long long node_process_status_int(const node_process_t *self, const char *field)
{
    return s_json_member_int(node_process_status_json(self), field);
}
