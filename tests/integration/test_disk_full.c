/*
 * tests/integration/test_disk_full.c - a full disk: commands whose journal
 * write fails are answered `internal`, nothing unacknowledged is applied,
 * nothing acknowledged is lost, the node keeps serving, and once space is
 * freed commands succeed again.
 *
 * The data folder is a small tmpfs, so the test needs root (CI runs as
 * root); elsewhere it is skipped.
 */
#include "node_process.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define COUNTERS 16

static char *s_dir;
static char s_data[512];
static bool s_mounted;

static void s_setup(void)
{
    s_dir = test_temp_dir_new();
    cr_assert(s_dir);
    snprintf(s_data, sizeof s_data, "%s/data", s_dir);
    cr_assert(mkdir(s_data, 0755) == 0);
}

static void s_teardown(void)
{
    node_process_kill_all();
    if (s_mounted)
        umount2(s_data, MNT_DETACH);
    s_mounted = false;
    test_temp_dir_remove(&s_dir);
}

/* Fills the file system of path with a file until it is full. */
static void s_fill(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(fd >= 0);
    static char block[4096];
    memset(block, 'x', sizeof block);
    while (write(fd, block, sizeof block) > 0)
        ;
    cr_assert(errno == ENOSPC, "filling stopped on %s", strerror(errno));
    close(fd);
}

/* Sends one Increment to counter/d<index> and returns the reply status. */
static shoal_reply_status_t s_increment(shoal_client_t *client, int index,
                                        int serial, char *error_code,
                                        size_t size)
{
    char id[32], command_id[32];
    snprintf(id, sizeof id, "d%d", index);
    snprintf(command_id, sizeof command_id, "cmd-%d", serial);
    shoal_reply_t reply = {0};
    int rc = shoal_client_call(client, "counter", id, "Increment", NULL, 0,
                               command_id, &reply, TEST_REQUEST_TIMEOUT_MS);
    cr_assert(rc == 0, "no reply to command %d", serial);
    shoal_reply_status_t status = reply.status;
    snprintf(error_code, size, "%s", reply.error_code ? reply.error_code : "");
    shoal_reply_clear(&reply);
    return status;
}

/* Every counter shows exactly its acknowledged increments. */
static void s_assert_counts(node_process_t *node, const long long *accepted)
{
    for (int i = 0; i < COUNTERS; i++) {
        char id[32];
        snprintf(id, sizeof id, "d%d", i);
        long long value = node_process_get_int(node, "counter", id, "value");
        cr_assert_eq(value, accepted[i], "counter %s is %lld, acked %lld", id,
                     value, accepted[i]);
    }
}

Test(disk_full, failed_writes_are_answered_and_lose_nothing, .init = s_setup,
     .fini = s_teardown, .timeout = 120)
{
    if (geteuid() != 0)
        cr_skip_test("needs root to mount a small tmpfs");
    if (mount("tmpfs", s_data, "tmpfs", 0, "size=1536k") < 0)
        cr_skip_test("cannot mount a tmpfs: %s", strerror(errno));
    s_mounted = true;

    node_process_t *node = node_process_start(
        s_dir, "--plugin", test_example_plugin("counter"), "--snapshot-every",
        "0", "--checkpoint-ms", "100000", NULL);
    cr_assert(node);
    shoal_client_t *client = node_process_client(node);
    long long accepted[COUNTERS] = {0};
    int serial = 0, failures = 0;
    char code[64];
    for (; serial < 50; serial++) {
        cr_assert(s_increment(client, serial % COUNTERS, serial, code,
                              sizeof code) == SHOAL_REPLY_ACCEPTED);
        accepted[serial % COUNTERS]++;
    }
    char filler[600];
    snprintf(filler, sizeof filler, "%s/filler", s_data);
    s_fill(filler);

    /* With the disk full, commands fail one after the other. */
    for (; failures < 20 && serial < 20000; serial++) {
        shoal_reply_status_t status =
            s_increment(client, serial % COUNTERS, serial, code, sizeof code);
        if (status == SHOAL_REPLY_ACCEPTED) {
            accepted[serial % COUNTERS]++;
        } else {
            cr_assert_eq(status, SHOAL_REPLY_ERROR);
            cr_assert_str_eq(code, "internal");
            failures++;
        }
    }
    cr_assert_eq(failures, 20, "the disk never filled up");
    cr_assert(node_process_alive(node));
    cr_assert(shoal_client_ping(client, "p") == 0);
    shoal_reply_t pong = {0};
    cr_assert(shoal_client_receive(client, &pong, TEST_REQUEST_TIMEOUT_MS) ==
              0);
    cr_assert_eq(pong.status, SHOAL_REPLY_PONG);
    shoal_reply_clear(&pong);
    s_assert_counts(node, accepted);
    json_t *status = node_process_status_json(node);
    cr_assert(status);
    json_int_t commit_failures = json_integer_value(
        json_object_get(json_object_get(status, "journal"), "failures"));
    cr_assert(commit_failures >= 1);
    /* The commits that did succeed show in the latency figures. */
    json_t *journal = json_object_get(status, "journal");
    json_int_t slowest =
        json_integer_value(json_object_get(journal, "max_commit_latency_us"));
    cr_assert_gt(slowest, 0);
    cr_assert_geq(slowest, json_integer_value(json_object_get(
                               journal, "last_commit_latency_us")));
    cr_assert(json_is_integer(json_object_get(journal, "slow_commits")));
    json_decref(status);

    /* Space again: commands succeed, and everything survives a restart. */
    cr_assert(unlink(filler) == 0);
    for (int i = 0; i < 2 * COUNTERS; i++, serial++) {
        cr_assert(s_increment(client, serial % COUNTERS, serial, code,
                              sizeof code) == SHOAL_REPLY_ACCEPTED,
                  "command %d after freeing space: %s", serial, code);
        accepted[serial % COUNTERS]++;
    }
    s_assert_counts(node, accepted);
    shoal_client_destroy(&client);
    cr_assert_eq(node_process_stop(&node), 0);

    node = node_process_start(s_dir, "--plugin", test_example_plugin("counter"),
                              NULL);
    cr_assert(node);
    s_assert_counts(node, accepted);
    cr_assert_eq(node_process_stop(&node), 0);
}
