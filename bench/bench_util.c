/*
 * bench/bench_util.c - the small things every part of the harness uses:
 * the clock, progress lines, temporary folders, the interruption flag,
 * entity ids and a per-thread random generator (see bench.h).
 */
#include "bench.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

static volatile sig_atomic_t s_interrupted = 0;
static int64_t s_started_ns = 0;

int64_t bench_now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

double bench_seconds_since(int64_t start_ns)
{
    return (double)(bench_now_ns() - start_ns) / 1e9;
}

double bench_process_cpu_seconds(void)
{
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0)
        return 0;
    return (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void bench_sleep_ms(int ms)
{
    struct timespec duration = {ms / 1000, (long)(ms % 1000) * 1000000};
    while (nanosleep(&duration, &duration) < 0 && errno == EINTR)
        ;
}

void bench_say(const char *format, ...)
{
    if (s_started_ns == 0)
        s_started_ns = bench_now_ns();
    char line[512];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    fprintf(stderr, "[%7.1fs] %s\n", bench_seconds_since(s_started_ns), line);
}

void bench_say_json(const char *label, json_t *json)
{
    char *text =
        json ? json_dumps(json, JSON_COMPACT | JSON_REAL_PRECISION(3)) : NULL;
    bench_say("%s: %s", label, text ? text : "-");
    free(text);
}

char *bench_temp_dir_new(void)
{
    char *path = strdup("/tmp/shoal-bench-XXXXXX");
    if (path && !mkdtemp(path)) {
        fprintf(stderr, "shoal-bench: mkdtemp: %s\n", strerror(errno));
        free(path);
        path = NULL;
    }
    return path;
}

char *bench_subdir_new(const char *parent, const char *name)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s", parent, name) < 0)
        return NULL;
    if (mkdir(path, 0700) < 0 && errno != EEXIST) {
        fprintf(stderr, "shoal-bench: mkdir %s: %s\n", path, strerror(errno));
        free(path);
        return NULL;
    }
    return path;
}

static int s_remove_entry(const char *path, const struct stat *info, int flag,
                          struct FTW *ftw)
{
    (void)info;
    (void)flag;
    (void)ftw;
    if (remove(path) < 0) {
        fprintf(stderr, "shoal-bench: remove %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int bench_remove_tree(const char *path)
{
    return nftw(path, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

static void (*s_on_interrupt)(void);

/* Async-signal-safe: sets the flag and runs the hook (which only kills). */
static void s_handle_interrupt(int signal_number)
{
    (void)signal_number;
    s_interrupted = 1;
    if (s_on_interrupt)
        s_on_interrupt();
}

bool bench_interrupted(void)
{
    return s_interrupted != 0;
}

void bench_install_interrupt_handler(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = s_handle_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void bench_set_interrupt_hook(void (*hook)(void))
{
    s_on_interrupt = hook;
}

void bench_entity_id(char *buffer, size_t size, const char *prefix,
                     uint64_t index)
{
    snprintf(buffer, size, "%s%" PRIu64, prefix ? prefix : "", index);
}

void bench_random_seed(bench_random_t *random, uint64_t seed)
{
    /* splitmix64 of the seed: never zero, well spread. */
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    random->state = z ? z : 1;
}

uint64_t bench_random_below(bench_random_t *random, uint64_t bound)
{
    uint64_t x = random->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    random->state = x;
    return (x * 0x2545f4914f6cdd1dULL) % bound;
}
