/*
 * bench/bench_node.c - start, watch and stop shoald processes for the
 * benchmarks (see bench_node.h).
 *
 * Children are started with posix_spawn and recorded in a registry of
 * pids, so that whatever ends the harness (an error, an exit, Ctrl-C, a
 * crash) also ends the nodes it started.
 */
#include "bench_node.h"
#include "bench.h"
#include "shoal/client.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define S_ENDPOINT_MAX 256
#define S_ARGS_MAX 64
#define S_REGISTRY_SIZE 16
#define S_READY_PREFIX "shoald ready "
#define S_STATUS_TIMEOUT_MS 10000

struct bench_node {
    pid_t pid;
    bool exited;   /* reaped already (it died on its own, or was killed) */
    int exit_code; /* as s_exit_code, once exited */
    int stdout_fd; /* read end of the node's stdout, open until the end */
    int64_t spawned_ns;
    double ready_seconds;
    char client_endpoint[S_ENDPOINT_MAX];
    char status_endpoint[S_ENDPOINT_MAX];
    char cluster_endpoint[S_ENDPOINT_MAX]; /* "" outside a cluster */
    char stderr_path[PATH_MAX];
};

/* ---------------------------------------------------------------------
 * The registry of started nodes
 */

/* Pids not yet reaped; 0 marks a free slot. Read by signal handlers. */
static volatile pid_t s_children[S_REGISTRY_SIZE];
static const int s_fatal_signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
#define S_FATAL_SIGNAL_COUNT                                                   \
    (sizeof s_fatal_signals / sizeof s_fatal_signals[0])
static struct sigaction s_previous_actions[S_FATAL_SIGNAL_COUNT];

static void s_registry_add(pid_t pid)
{
    for (size_t i = 0; i < S_REGISTRY_SIZE; i++) {
        if (s_children[i] == 0) {
            s_children[i] = pid;
            return;
        }
    }
    /* Defensive: the harness never runs this many nodes at once. */
    fprintf(stderr, "shoal-bench: node registry full; pid %d untracked\n",
            (int)pid);
}

static void s_registry_remove(pid_t pid)
{
    for (size_t i = 0; i < S_REGISTRY_SIZE; i++) {
        if (s_children[i] == pid)
            s_children[i] = 0;
    }
}

/* Async-signal-safe: kill() only. */
static void s_kill_registered(void)
{
    for (size_t i = 0; i < S_REGISTRY_SIZE; i++) {
        if (s_children[i] > 0)
            kill(s_children[i], SIGKILL);
    }
}

void bench_node_kill_all(void)
{
    for (size_t i = 0; i < S_REGISTRY_SIZE; i++) {
        pid_t pid = s_children[i];
        if (pid > 0) {
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
            s_children[i] = 0;
        }
    }
}

static void s_on_fatal_signal(int signal_number)
{
    s_kill_registered();
    for (size_t i = 0; i < S_FATAL_SIGNAL_COUNT; i++) {
        if (s_fatal_signals[i] == signal_number)
            sigaction(signal_number, &s_previous_actions[i], NULL);
    }
    raise(signal_number); /* delivered to the previous handler on return */
}

void bench_node_install_hooks(void)
{
    atexit(bench_node_kill_all);
    bench_set_interrupt_hook(s_kill_registered);
    for (size_t i = 0; i < S_FATAL_SIGNAL_COUNT; i++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = s_on_fatal_signal;
        sigemptyset(&action.sa_mask);
        sigaction(s_fatal_signals[i], &action, &s_previous_actions[i]);
    }
}

/* ---------------------------------------------------------------------
 * Starting
 */

/* Spawns argv with stdin from /dev/null, stdout on stdout_fd and stderr
 * appended to stderr_path. Returns the pid, or -1. */
static pid_t s_spawn(const char *const argv[], int stdout_fd,
                     const char *stderr_path)
{
    posix_spawn_file_actions_t actions;
    if (posix_spawn_file_actions_init(&actions) != 0)
        return -1;
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                     O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path,
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &actions, NULL, (char *const *)argv,
                         environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        fprintf(stderr, "shoal-bench: cannot start %s: %s\n", argv[0],
                strerror(rc));
        return -1;
    }
    s_registry_add(pid);
    return pid;
}

/* Copies the value of `key` (" status=") in line, up to the next blank,
 * into buffer. Returns 0, or -1 when the key is missing, the value empty
 * or too long. */
static int s_ready_field(const char *line, const char *key, char *buffer)
{
    const char *value = strstr(line, key);
    if (!value)
        return -1;
    value += strlen(key);
    size_t size = strcspn(value, " \r\n");
    if (size == 0 || size >= S_ENDPOINT_MAX)
        return -1;
    memcpy(buffer, value, size);
    buffer[size] = '\0';
    return 0;
}

/* Parses "shoald ready client=EP status=EP [cluster=EP]" into the node. */
static int s_parse_ready_line(bench_node_t *self, const char *line)
{
    if (s_ready_field(line, " client=", self->client_endpoint) != 0 ||
        s_ready_field(line, " status=", self->status_endpoint) != 0)
        return -1;
    if (s_ready_field(line, " cluster=", self->cluster_endpoint) != 0)
        self->cluster_endpoint[0] = '\0'; /* a single node */
    return 0;
}

/* Reads the node's stdout until the readiness line, the end of the
 * stream or the deadline. Returns 0 when the line was read and parsed. */
static int s_await_ready(bench_node_t *self, int timeout_ms)
{
    char buffer[1024];
    size_t size = 0;
    int64_t deadline = self->spawned_ns + (int64_t)timeout_ms * 1000000;
    while (!bench_interrupted()) {
        int64_t left_ms = (deadline - bench_now_ns()) / 1000000;
        if (left_ms <= 0)
            return -1;
        struct pollfd fd = {self->stdout_fd, POLLIN, 0};
        int ready = poll(&fd, 1, (int)left_ms);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            return -1;
        ssize_t got =
            read(self->stdout_fd, buffer + size, sizeof buffer - 1 - size);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1; /* the node exited before it was ready */
        size += (size_t)got;
        buffer[size] = '\0';
        char *line = strstr(buffer, S_READY_PREFIX);
        if (line && strchr(line, '\n')) {
            self->ready_seconds = bench_seconds_since(self->spawned_ns);
            return s_parse_ready_line(self, line);
        }
        if (size == sizeof buffer - 1)
            return -1; /* Defensive: a page of output and no ready line. */
    }
    return -1;
}

bench_node_t *bench_node_start(const char *shoald, const char *dir,
                               const char *const args[], int timeout_ms)
{
    bench_node_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->stdout_fd = -1;
    snprintf(self->stderr_path, sizeof self->stderr_path, "%s/shoald.stderr",
             dir);
    char data_dir[PATH_MAX];
    snprintf(data_dir, sizeof data_dir, "%s/data", dir);

    const char *argv[S_ARGS_MAX];
    size_t argc = 0;
    argv[argc++] = shoald;
    argv[argc++] = "--endpoint";
    argv[argc++] = "tcp://127.0.0.1:*";
    argv[argc++] = "--status-endpoint";
    argv[argc++] = "tcp://127.0.0.1:*";
    argv[argc++] = "--data-dir";
    argv[argc++] = data_dir;
    for (size_t i = 0; args[i]; i++) {
        if (argc + 1 >= S_ARGS_MAX) {
            fprintf(stderr, "shoal-bench: too many node arguments\n");
            free(self);
            return NULL;
        }
        argv[argc++] = args[i];
    }
    argv[argc] = NULL;

    int out_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) < 0) {
        free(self);
        return NULL;
    }
    self->spawned_ns = bench_now_ns();
    self->pid = s_spawn(argv, out_pipe[1], self->stderr_path);
    close(out_pipe[1]);
    self->stdout_fd = out_pipe[0];
    if (self->pid < 0) {
        close(self->stdout_fd);
        free(self);
        return NULL;
    }
    if (s_await_ready(self, timeout_ms) < 0) {
        fprintf(stderr,
                "shoal-bench: shoald (pid %d) did not become ready "
                "within %d ms\n",
                (int)self->pid, timeout_ms);
        bench_node_print_stderr(self);
        bench_node_kill(&self);
        return NULL;
    }
    return self;
}

/* ---------------------------------------------------------------------
 * Stopping
 */

/* Turns a wait status into an exit code: the code, or 128 + signal. */
static int s_exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

/* Waits up to timeout_ms for the node to exit, then kills it. Returns as
 * s_exit_code, or -1 on the timeout. */
static int s_wait_exit(bench_node_t *self, int timeout_ms)
{
    if (self->exited)
        return self->exit_code;
    int64_t deadline = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    int status = 0;
    int result = -1;
    for (;;) {
        pid_t done = waitpid(self->pid, &status, WNOHANG);
        if (done == self->pid) {
            result = s_exit_code(status);
            break;
        }
        if (done < 0 && errno != EINTR)
            break;
        if (bench_now_ns() >= deadline) {
            fprintf(stderr,
                    "shoal-bench: shoald (pid %d) did not exit within %d ms; "
                    "killing it\n",
                    (int)self->pid, timeout_ms);
            kill(self->pid, SIGKILL);
            while (waitpid(self->pid, NULL, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        bench_sleep_ms(5);
    }
    s_registry_remove(self->pid);
    return result;
}

static void s_free(bench_node_t *self)
{
    if (self->stdout_fd >= 0)
        close(self->stdout_fd);
    free(self);
}

int bench_node_stop(bench_node_t **self_p, int timeout_ms)
{
    if (!self_p || !*self_p)
        return -1;
    bench_node_t *self = *self_p;
    bool known_dead = self->exited; /* bench_node_alive said so already */
    if (!known_dead)
        kill(self->pid, SIGTERM);
    int code = s_wait_exit(self, timeout_ms);
    if (code != 0 && !known_dead) {
        fprintf(stderr, "shoal-bench: shoald (pid %d) exited with %d\n",
                (int)self->pid, code);
        bench_node_print_stderr(self);
    }
    s_free(self);
    *self_p = NULL;
    return code;
}

void bench_node_signal_stop(bench_node_t *self)
{
    if (self && !self->exited)
        kill(self->pid, SIGTERM);
}

void bench_node_kill(bench_node_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bench_node_t *self = *self_p;
    if (!self->exited) {
        kill(self->pid, SIGKILL);
        while (waitpid(self->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        s_registry_remove(self->pid);
    }
    s_free(self);
    *self_p = NULL;
}

/* ---------------------------------------------------------------------
 * Watching
 */

bool bench_node_alive(bench_node_t *self)
{
    if (self->exited)
        return false;
    int status = 0;
    if (waitpid(self->pid, &status, WNOHANG) != self->pid)
        return true;
    self->exited = true;
    self->exit_code = s_exit_code(status);
    s_registry_remove(self->pid);
    fprintf(stderr, "shoal-bench: shoald (pid %d) exited on its own with %d\n",
            (int)self->pid, self->exit_code);
    return false;
}

const char *bench_node_client_endpoint(const bench_node_t *self)
{
    return self->client_endpoint;
}

const char *bench_node_status_endpoint(const bench_node_t *self)
{
    return self->status_endpoint;
}

const char *bench_node_cluster_endpoint(const bench_node_t *self)
{
    return self->cluster_endpoint;
}

double bench_node_ready_seconds(const bench_node_t *self)
{
    return self->ready_seconds;
}

int64_t bench_node_spawned_ns(const bench_node_t *self)
{
    return self->spawned_ns;
}

int bench_node_memory(const bench_node_t *self, bench_node_memory_t *memory)
{
    memset(memory, 0, sizeof *memory);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)self->pid);
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    char line[256];
    int found = 0;
    while (fgets(line, sizeof line, file)) {
        long long kilobytes;
        if (sscanf(line, "VmRSS: %lld kB", &kilobytes) == 1) {
            memory->rss = (int64_t)kilobytes * 1024;
            found++;
        } else if (sscanf(line, "RssAnon: %lld kB", &kilobytes) == 1)
            memory->anonymous = (int64_t)kilobytes * 1024;
        else if (sscanf(line, "RssFile: %lld kB", &kilobytes) == 1)
            memory->file = (int64_t)kilobytes * 1024;
        else if (sscanf(line, "RssShmem: %lld kB", &kilobytes) == 1)
            memory->shared = (int64_t)kilobytes * 1024;
    }
    fclose(file);
    return found ? 0 : -1;
}

/* Reads comm and utime + stime (seconds) from a /proc stat file. */
static int s_read_stat(const char *path, char *name, size_t name_size,
                       double *cpu_seconds)
{
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    char line[1024];
    char *read = fgets(line, sizeof line, file);
    fclose(file);
    /* "pid (comm) state ...": comm may hold spaces and parentheses, so it
     * ends at the last ')'. utime and stime are fields 14 and 15. */
    char *open = read ? strchr(line, '(') : NULL;
    char *close = read ? strrchr(line, ')') : NULL;
    unsigned long long utime, stime;
    if (!open || !close || close < open ||
        sscanf(close + 2,
               "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
               &stime) != 2)
        return -1;
    if (name) {
        size_t size = (size_t)(close - open - 1);
        if (size >= name_size)
            size = name_size - 1;
        memcpy(name, open + 1, size);
        name[size] = '\0';
    }
    *cpu_seconds = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
    return 0;
}

double bench_node_cpu_seconds(const bench_node_t *self)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)self->pid);
    double cpu;
    return s_read_stat(path, NULL, 0, &cpu) == 0 ? cpu : -1;
}

typedef struct {
    long tid;
    char name[64];
    double cpu;
} s_thread_t;

static int s_compare_tid(const void *a, const void *b)
{
    long x = ((const s_thread_t *)a)->tid, y = ((const s_thread_t *)b)->tid;
    return (x > y) - (x < y);
}

json_t *bench_node_thread_cpu(const bench_node_t *self)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task", (int)self->pid);
    DIR *tasks = opendir(path);
    if (!tasks)
        return NULL;
    size_t count = 0, capacity = 64;
    s_thread_t *threads = calloc(capacity, sizeof *threads);
    struct dirent *entry;
    while (threads && (entry = readdir(tasks)) != NULL && count < capacity) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
            continue;
        char stat_path[512];
        snprintf(stat_path, sizeof stat_path, "%s/%s/stat", path,
                 entry->d_name);
        s_thread_t *thread = &threads[count];
        thread->tid = atol(entry->d_name);
        if (s_read_stat(stat_path, thread->name, sizeof thread->name,
                        &thread->cpu) == 0)
            count++;
    }
    closedir(tasks);
    if (!threads)
        return NULL;
    /* Labels: "main" for the main thread; threads the node did not name
     * get "shoald#k", k their rank in creation (thread id) order. */
    qsort(threads, count, sizeof *threads, s_compare_tid);
    json_t *result = json_object();
    int unnamed = 0;
    for (size_t i = 0; i < count; i++) {
        char label[96];
        if (threads[i].tid == (long)self->pid)
            snprintf(label, sizeof label, "main");
        else if (strcmp(threads[i].name, "shoald") == 0)
            snprintf(label, sizeof label, "shoald#%d", unnamed++);
        else
            snprintf(label, sizeof label, "%s", threads[i].name);
        json_object_set_new(result, label,
                            json_pack("{s:I, s:f}", "tid",
                                      (json_int_t)threads[i].tid, "cpu_s",
                                      threads[i].cpu));
    }
    free(threads);
    return result;
}

typedef struct {
    char label[96];
    double cores;
} s_thread_cores_t;

static int s_compare_cores(const void *a, const void *b)
{
    double x = ((const s_thread_cores_t *)a)->cores;
    double y = ((const s_thread_cores_t *)b)->cores;
    return (x < y) - (x > y);
}

json_t *bench_thread_cores(json_t *before, json_t *after, double seconds)
{
    json_t *result = json_object();
    size_t count = json_object_size(after);
    s_thread_cores_t *rows = calloc(count + 1, sizeof *rows);
    if (!rows || seconds <= 0)
        goto out_free;
    size_t used = 0;
    const char *tid; /* the label */
    json_t *thread;
    json_object_foreach(after, tid, thread)
    {
        json_t *earlier = json_object_get(before, tid);
        double cpu = json_real_value(json_object_get(thread, "cpu_s"));
        double cpu_before =
            earlier ? json_real_value(json_object_get(earlier, "cpu_s")) : 0;
        double cores = (cpu - cpu_before) / seconds;
        if (cores < 0.01)
            continue;
        snprintf(rows[used].label, sizeof rows[used].label, "%s", tid);
        rows[used++].cores = cores;
    }
    qsort(rows, used, sizeof *rows, s_compare_cores);
    for (size_t i = 0; i < used; i++)
        json_object_set_new(result, rows[i].label,
                            json_real(round(rows[i].cores * 100) / 100));
out_free:
    free(rows);
    return result;
}

json_t *bench_node_status(bench_node_t *self)
{
    if (bench_interrupted() || !bench_node_alive(self))
        return NULL;
    char *answer = NULL;
    int rc = shoal_status_request(self->status_endpoint, "status",
                                  S_STATUS_TIMEOUT_MS, &answer);
    if (rc != 0) {
        fprintf(stderr, "shoal-bench: status request to %s failed (%d): %s\n",
                self->status_endpoint, rc, answer ? answer : "no answer");
        free(answer);
        return NULL;
    }
    json_error_t error;
    json_t *status = json_loads(answer, 0, &error);
    if (!status)
        fprintf(stderr, "shoal-bench: status is not JSON: %s\n", error.text);
    free(answer);
    return status;
}

/* Follows a dotted path ("journal.events") into json. */
static json_t *s_json_path(json_t *json, const char *path)
{
    char key[64];
    while (json && *path) {
        size_t size = strcspn(path, ".");
        if (size >= sizeof key)
            return NULL;
        memcpy(key, path, size);
        key[size] = '\0';
        json = json_object_get(json, key);
        path += size + (path[size] == '.');
    }
    return json;
}

int64_t bench_node_status_int(bench_node_t *self, const char *path)
{
    json_t *status = bench_node_status(self);
    json_t *field = s_json_path(status, path);
    int64_t value = json_is_integer(field) ? json_integer_value(field) : -1;
    json_decref(status);
    return value;
}

/* Polls the status field until it is >= value (at_least) or <= value. */
static int s_wait_status(bench_node_t *self, const char *path, int64_t value,
                         bool at_least, int timeout_ms)
{
    int64_t deadline = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    int64_t last = -1;
    while (!bench_interrupted()) {
        last = bench_node_status_int(self, path);
        if (last >= 0 && (at_least ? last >= value : last <= value))
            return 0;
        if (bench_now_ns() >= deadline)
            break;
        bench_sleep_ms(20);
    }
    fprintf(stderr,
            "shoal-bench: status %s is %" PRId64 ", expected %s %" PRId64
            " within %d ms\n",
            path, last, at_least ? ">=" : "<=", value, timeout_ms);
    return -1;
}

int bench_node_wait_status_at_least(bench_node_t *self, const char *path,
                                    int64_t value, int timeout_ms)
{
    return s_wait_status(self, path, value, true, timeout_ms);
}

int bench_node_wait_status_at_most(bench_node_t *self, const char *path,
                                   int64_t value, int timeout_ms)
{
    return s_wait_status(self, path, value, false, timeout_ms);
}

void bench_node_print_stderr(const bench_node_t *self)
{
    FILE *file = fopen(self->stderr_path, "r");
    if (!file)
        return;
    /* The last 4 KiB are enough to show why a node failed. */
    if (fseek(file, 0, SEEK_END) == 0) {
        long size = ftell(file);
        fseek(file, size > 4096 ? size - 4096 : 0, SEEK_SET);
    }
    fprintf(stderr, "--- %s (tail) ---\n", self->stderr_path);
    char line[512];
    while (fgets(line, sizeof line, file))
        fputs(line, stderr);
    fprintf(stderr, "---\n");
    fclose(file);
}

void bench_node_print_diagnostics(bench_node_t *self)
{
    char *answer = NULL;
    int rc = -1;
    if (!bench_interrupted() && bench_node_alive(self))
        rc = shoal_status_request(self->status_endpoint, "status",
                                  S_STATUS_TIMEOUT_MS, &answer);
    fprintf(stderr, "shoal-bench: status of shoald (pid %d): %s\n",
            (int)self->pid,
            rc == 0 ? answer : "no answer (not running or not answering)");
    free(answer);
    bench_node_print_stderr(self);
}
