/*
 * tests/integration/cluster_helpers.h - three-node clusters on loopback
 * for the cluster tests: starting members (founder, then joiners through
 * it), sending through any member, reading a member's cluster status, and
 * a TCP proxy that can cut a member off (tests/integration/
 * blackhole_proxy.py).
 */
#ifndef SHOAL_TESTS_CLUSTER_HELPERS_H
#define SHOAL_TESTS_CLUSTER_HELPERS_H

#include "reaction_helpers.h"

#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The cluster name of this test's members: one per test process, so that
 * the clusters of test runs that overlap on one machine never take each
 * other's gossip, whatever ports they reuse. */
static inline const char *cluster_test_name(void)
{
    static char name[32];
    snprintf(name, sizeof name, "test-%d", (int)getpid());
    return name;
}

/* The settings every test member gets: its test's cluster name and a fast
 * failure detector. */
#define CLUSTER_FLAGS                                                          \
    "--cluster-name", cluster_test_name(), "--heartbeat-ms", "100",            \
        "--suspect-after-ms", "1000", "--down-after-ms", "2500", "--shards",   \
        "16"

/* Starts member name with its data under dir/name, joining through seed
 * (NULL: founding), advertising advertise (NULL: its bound port), the
 * first table waiting for min_members up members. */
static inline node_process_t *
cluster_start_min(const char *dir, const char *name, const char *seed,
                  const char *advertise, const char *min_members)
{
    char data[4096];
    snprintf(data, sizeof data, "%s/%s", dir, name);
    mkdir(data, 0755); /* may exist: a restart */
    const char *args[32];
    size_t count = 0;
    const char *fixed[] = {"--plugin",           test_example_plugin("counter"),
                           "--node-name",        name,
                           "--cluster-endpoint", "tcp://127.0.0.1:*",
                           CLUSTER_FLAGS};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        args[count++] = fixed[i];
    if (seed) {
        args[count++] = "--seed";
        args[count++] = seed;
    }
    if (advertise) {
        args[count++] = "--cluster-advertise";
        args[count++] = advertise;
    }
    args[count++] = "--cluster-min-members";
    args[count++] = min_members;
    args[count] = NULL;
    return node_process_startv(data, args);
}

/* As cluster_start_min, for a cluster of three. */
static inline node_process_t *cluster_start(const char *dir, const char *name,
                                            const char *seed,
                                            const char *advertise)
{
    return cluster_start_min(dir, name, seed, advertise, "3");
}

/* Returns the "cluster" object of a member's status (the caller's), or
 * NULL. */
static inline json_t *cluster_status(const node_process_t *node)
{
    json_t *status = node_process_status_json(node);
    json_t *cluster = status ? json_object_get(status, "cluster") : NULL;
    json_incref(cluster);
    json_decref(status);
    return cluster;
}

/* Number of shards member owns in node's view, or -1. */
static inline long long cluster_owned(const node_process_t *node,
                                      const char *member)
{
    json_t *cluster = cluster_status(node);
    long long owned = -1;
    size_t index;
    json_t *entry;
    json_array_foreach(cluster ? json_object_get(cluster, "members") : NULL,
                       index, entry)
    {
        const char *name = json_string_value(json_object_get(entry, "name"));
        if (name && strcmp(name, member) == 0)
            owned = json_integer_value(json_object_get(entry, "shards"));
    }
    json_decref(cluster);
    return owned;
}

/* The epoch in a member's view, or -1. */
static inline long long cluster_epoch(const node_process_t *node)
{
    json_t *cluster = cluster_status(node);
    long long epoch =
        cluster ? json_integer_value(json_object_get(cluster, "epoch")) : -1;
    json_decref(cluster);
    return epoch;
}

/* Waits until every node of nodes (count) shows the same epoch and it has
 * not changed for a second: the shards have settled. Returns whether it
 * happened in time. */
static inline bool cluster_wait_settled(node_process_t *const *nodes, int count,
                                        int timeout_ms)
{
    long long deadline = test_now_ms() + timeout_ms, since = 0, last = -1;
    while (test_now_ms() < deadline) {
        long long epoch = cluster_epoch(nodes[0]);
        bool same = epoch > 0;
        for (int i = 1; same && i < count; i++)
            same = cluster_epoch(nodes[i]) == epoch;
        if (!same || epoch != last) {
            last = same ? epoch : -1;
            since = test_now_ms();
        } else if (test_now_ms() - since >= 1000) {
            return true;
        }
        test_sleep_ms(50);
    }
    return false;
}

/* Polls a member's status until every name in want (NULL-ended) is "up"
 * in its view and it is serving. Returns whether it happened in time. */
static inline bool cluster_wait_up(const node_process_t *node,
                                   const char *const *want, int timeout_ms)
{
    long long deadline = test_now_ms() + timeout_ms;
    while (test_now_ms() < deadline) {
        json_t *cluster = cluster_status(node);
        bool ok = cluster && json_is_true(json_object_get(cluster, "serving"));
        for (size_t i = 0; ok && want[i]; i++) {
            bool found = false;
            size_t index;
            json_t *member;
            json_array_foreach(json_object_get(cluster, "members"), index,
                               member)
            {
                const char *name =
                    json_string_value(json_object_get(member, "name"));
                const char *state =
                    json_string_value(json_object_get(member, "state"));
                if (name && state && strcmp(name, want[i]) == 0 &&
                    strcmp(state, "up") == 0 &&
                    json_is_true(json_object_get(member, "reachable")))
                    found = true;
            }
            ok = found;
        }
        json_decref(cluster);
        if (ok)
            return true;
        test_sleep_ms(50);
    }
    return false;
}

/* The owner of entity counter/id's shard in a member's view (static
 * storage), or "" when unknown. */
static inline const char *cluster_owner_of(const node_process_t *node,
                                           const char *id)
{
    static char owner[80];
    owner[0] = '\0';
    json_t *cluster = cluster_status(node);
    json_t *shards = cluster ? json_object_get(cluster, "shards") : NULL;
    /* FNV-1a-64 of "counter/id" mod the shard count, as cluster/shard.c */
    char key[300];
    snprintf(key, sizeof key, "counter/%s", id);
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char *at = key; *at; at++) {
        hash ^= (uint8_t)*at;
        hash *= 0x100000001b3ULL;
    }
    size_t count = json_array_size(shards);
    if (count) {
        const char *name =
            json_string_value(json_array_get(shards, hash % count));
        snprintf(owner, sizeof owner, "%s", name ? name : "");
    }
    json_decref(cluster);
    return owner;
}

/* A running blackhole proxy. */
typedef struct {
    pid_t pid;
    int port;
} cluster_proxy_t;

/* Starts the proxy, relaying to the port written later in target_file. */
static inline cluster_proxy_t cluster_proxy_start(const char *target_file)
{
    const char *root = getenv("SHOAL_SOURCE_ROOT");
    cr_assert_not_null(root);
    char script[4096];
    snprintf(script, sizeof script, "%s/tests/integration/blackhole_proxy.py",
             root);
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    char *argv[] = {"/usr/bin/python3", script, (char *)target_file, NULL};
    cluster_proxy_t proxy = {0};
    cr_assert_eq(
        posix_spawn(&proxy.pid, argv[0], &actions, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    char line[64] = "";
    size_t used = 0;
    while (used < sizeof line - 1) {
        ssize_t got = read(fds[0], line + used, 1);
        if (got <= 0 || line[used] == '\n')
            break;
        used++;
    }
    line[used] = '\0';
    close(fds[0]);
    cr_assert_eq(sscanf(line, "proxy %d", &proxy.port), 1,
                 "the proxy did not start: '%s'", line);
    return proxy;
}

/* Stops the proxy. */
static inline void cluster_proxy_stop(cluster_proxy_t *proxy)
{
    if (proxy->pid > 0) {
        kill(proxy->pid, SIGTERM);
        waitpid(proxy->pid, NULL, 0);
        proxy->pid = 0;
    }
}

#endif
