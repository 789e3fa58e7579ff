/*
 * tests/integration/test_overload.c - a node under more load than it can
 * take stays bounded and keeps its word (docs/ARCHITECTURE.md, "Overload").
 *
 * A pipelined client floods 1,000 accounts with a million deposits, far
 * more than every queue of the node holds: part of them are answered
 * `busy`, every command gets exactly one reply, and each balance ends at
 * its accepted deposits. A peer that sends as much and never reads a
 * reply, on the client port or on the status socket, has its replies
 * dropped (and counted) once its queue is full, while the node keeps
 * serving the others. Once a flood stops, a fresh client is served again.
 *
 * Meanwhile a thread samples the node's resident memory (VmRSS in
 * /proc/PID/status) every few milliseconds, and its peak must stay within
 * a stated bound above the RSS before the flood; the bounds and the
 * numbers behind them are in docs/ARCHITECTURE.md. Under AddressSanitizer
 * (whose quarantine keeps freed memory) the RSS is printed, not checked.
 *
 * No test here asserts on speed: the machine may be loaded, so every wait
 * is a generous deadline for liveness.
 */
#include "node_fixture.h"
#include "node_process.h"

#include <criterion/criterion.h>
#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACCOUNTS 1000
#define FLOOD 1000000      /* deposits of the pipelined flood */
#define DEAF_FLOOD 600000  /* deposits of the peer that never reads */
#define STATUS_FLOOD 50000 /* `metrics` requests never read */
/* Status replies the flood may leave undropped: the socket's queue of
 * 1,000 and what the kernel's socket buffers hold. */
#define STATUS_HELD_MAX 5000

/* How far the node's RSS may rise above its RSS before a flood: its own
 * bounded queues (measured: 23 to 30 MiB for the flood), with margin. */
#define RSS_BOUND_KB (64 * 1024)

/* What the client port may hold for a peer that never reads: 100,000
 * replies (its send high-water mark) of about 450 bytes in ZeroMQ's
 * queue, counted at 512. */
#define DEAF_PEER_KB (100000 * 512 / 1024)

/* The most a flood may take before the test gives up on the node. */
#define FLOOD_DEADLINE_MS 60000

#if defined(__SANITIZE_ADDRESS__)
#define RSS_CHECKED false
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_CHECKED false
#endif
#endif
#ifndef RSS_CHECKED
#define RSS_CHECKED true
#endif

static node_fixture_t s_fixture;
static long s_fresh_calls; /* commands s_deposit_until_accepted sent */

static void s_setup(void)
{
    node_fixture_init(&s_fixture);
}

static void s_teardown(void)
{
    node_fixture_fini(&s_fixture);
}

TestSuite(overload, .init = s_setup, .fini = s_teardown);

/* --- Resident memory ---------------------------------------------------- */

/* Returns the VmRSS of pid in KiB, or -1 when it cannot be read. */
static long long s_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    long long kb = -1;
    while (fgets(line, sizeof line, file))
        if (sscanf(line, "VmRSS: %lld kB", &kb) == 1)
            break;
    fclose(file);
    return kb;
}

/* Samples a process's RSS every few milliseconds on a thread of its own
 * and keeps the peak. */
typedef struct {
    pid_t pid;
    long long before_kb;
    atomic_bool stop;
    atomic_llong peak_kb;
    atomic_llong samples;
    pthread_t thread;
} rss_sampler_t;

static void *s_sampler_run(void *arg)
{
    rss_sampler_t *self = arg;
    while (!atomic_load(&self->stop)) {
        long long kb = s_rss_kb(self->pid);
        if (kb > atomic_load(&self->peak_kb))
            atomic_store(&self->peak_kb, kb);
        atomic_fetch_add(&self->samples, 1);
        test_sleep_ms(5);
    }
    return NULL;
}

/* Reads the RSS before the flood and starts sampling. */
static void s_sampler_start(rss_sampler_t *self, pid_t pid)
{
    *self = (rss_sampler_t){.pid = pid, .before_kb = s_rss_kb(pid)};
    cr_assert_gt(self->before_kb, 0, "no VmRSS for pid %d", (int)pid);
    atomic_store(&self->peak_kb, self->before_kb);
    cr_assert_eq(pthread_create(&self->thread, NULL, s_sampler_run, self), 0);
}

/* Stops sampling, prints before, peak and now, and checks that the peak
 * rose at most bound_kb above before. */
static void s_sampler_check(rss_sampler_t *self, const char *what,
                            long long bound_kb)
{
    atomic_store(&self->stop, true);
    pthread_join(self->thread, NULL);
    long long peak_kb = atomic_load(&self->peak_kb);
    long long rise_kb = peak_kb - self->before_kb;
    cr_log_info("%s: RSS before %lld KiB, peak %lld KiB (+%lld KiB, bound "
                "+%lld KiB), now %lld KiB; %lld samples",
                what, self->before_kb, peak_kb, rise_kb, bound_kb,
                s_rss_kb(self->pid), (long long)atomic_load(&self->samples));
    if (RSS_CHECKED)
        cr_assert_leq(rise_kb, bound_kb,
                      "%s: the node's RSS rose by %lld KiB, past the bound "
                      "of %lld KiB",
                      what, rise_kb, bound_kb);
}

/* --- The node's figures ------------------------------------------------- */

/* Returns the integer at key (or at key/subkey) of the status JSON. */
static long long s_status_field(const char *key, const char *subkey)
{
    json_t *status = node_process_status_json(s_fixture.node);
    cr_assert_not_null(status, "no status");
    json_t *value = json_object_get(status, key);
    if (subkey)
        value = json_object_get(value, subkey);
    cr_assert(json_is_integer(value), "status has no %s%s%s", key,
              subkey ? "." : "", subkey ? subkey : "");
    long long result = json_integer_value(value);
    json_decref(status);
    return result;
}

/* Commands the node has answered so far, whatever their outcome. A
 * worker publishes its figures just after it answers, so they may lag a
 * reply by a moment. */
static long long s_commands_answered(void)
{
    return s_status_field("commands", "accepted") +
           s_status_field("commands", "rejected") +
           s_status_field("commands", "errors") +
           s_status_field("commands", "busy");
}

/* Waits up to TEST_REQUEST_TIMEOUT_MS for the status field to reach
 * expected (the figures may lag the replies), then checks it. */
static void s_expect_status_field(const char *key, const char *subkey,
                                  long long expected)
{
    long long deadline = test_now_ms() + TEST_REQUEST_TIMEOUT_MS, value;
    while ((value = s_status_field(key, subkey)) != expected &&
           test_now_ms() < deadline)
        test_sleep_ms(50);
    cr_assert_eq(value, expected, "status %s%s%s is %lld, not %lld", key,
                 subkey ? "." : "", subkey ? subkey : "", value, expected);
}

/* --- Accounts ----------------------------------------------------------- */

static void s_account_id(char *id, size_t size, long index)
{
    snprintf(id, size, "a%ld", index % ACCOUNTS);
}

/* Opens the ACCOUNTS accounts, pipelined, and waits for every reply. */
static void s_open_accounts(shoal_client_t *client)
{
    for (long i = 0; i < ACCOUNTS; i++) {
        char id[24];
        s_account_id(id, sizeof id, i);
        cr_assert_eq(shoal_client_send(client, id, "account", id, "Open",
                                       "{\"owner\":\"o\"}", 13, NULL),
                     0);
    }
    for (long i = 0; i < ACCOUNTS; i++) {
        shoal_reply_t reply = {0};
        cr_assert_eq(
            shoal_client_receive(client, &reply, TEST_REQUEST_TIMEOUT_MS), 0,
            "only %ld of %d accounts opened", i, ACCOUNTS);
        cr_assert_eq(reply.status, SHOAL_REPLY_ACCEPTED, "Open %s: %s",
                     reply.request_id, reply.body);
        shoal_reply_clear(&reply);
    }
}

/* Starts a node with the example plugins and a setting (NULL: none),
 * and opens the accounts, and one more for the bystanders of a flood. */
static void s_start_node(const char *setting, const char *value)
{
    s_fixture.node =
        node_process_start_examples(s_fixture.dir, setting, value, NULL);
    node_fixture_connect(&s_fixture);
    s_open_accounts(s_fixture.client);
    shoal_reply_t reply = {0};
    cr_assert_eq(shoal_client_call(s_fixture.client, "account", "bystander",
                                   "Open", "{\"owner\":\"o\"}", 13, NULL,
                                   &reply, TEST_REQUEST_TIMEOUT_MS),
                 0);
    cr_assert_eq(reply.status, SHOAL_REPLY_ACCEPTED, "%s", reply.body);
    shoal_reply_clear(&reply);
}

/* Deposits 1 into account id with a fresh client until it is accepted,
 * each attempt answered within TEST_REQUEST_TIMEOUT_MS; `busy` answers
 * are retried for up to FLOOD_DEADLINE_MS. Returns the balance. */
static long long s_deposit_until_accepted(const char *id)
{
    shoal_client_t *client = node_process_client(s_fixture.node);
    cr_assert_not_null(client);
    long long deadline = test_now_ms() + FLOOD_DEADLINE_MS;
    long long balance = -1;
    while (balance < 0) {
        shoal_reply_t reply = {0};
        s_fresh_calls++;
        cr_assert_eq(shoal_client_call(client, "account", id, "Deposit",
                                       "{\"amount\":1}", 12, NULL, &reply,
                                       TEST_REQUEST_TIMEOUT_MS),
                     0, "a fresh client's deposit to %s went unanswered", id);
        if (reply.status == SHOAL_REPLY_ACCEPTED)
            balance = test_json_int(reply.body, "balance");
        else
            cr_assert(reply.status == SHOAL_REPLY_ERROR &&
                          strcmp(reply.error_code, "busy") == 0,
                      "deposit to %s: %s", id, reply.body);
        shoal_reply_clear(&reply);
        cr_assert_lt(test_now_ms(), deadline, "still busy after the flood");
        if (balance < 0)
            test_sleep_ms(100);
    }
    shoal_client_destroy(&client);
    return balance;
}

/* --- Raw DEALERs -------------------------------------------------------- */

/* Returns a DEALER connected to endpoint with linger 0 and the given
 * high-water marks (0: no limit). */
static zsock_t *s_dealer(const char *endpoint, int sndhwm, int rcvhwm)
{
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    cr_assert_not_null(dealer);
    zsock_set_linger(dealer, 0);
    zsock_set_sndhwm(dealer, sndhwm);
    zsock_set_rcvhwm(dealer, rcvhwm);
    cr_assert_eq(zsock_connect(dealer, "%s", endpoint), 0);
    return dealer;
}

/* Sends the frames of one message on socket with flags (0 or
 * ZMQ_DONTWAIT). Returns 0, or -1 when the queue is full (ZeroMQ checks
 * its limit on the first frame only, so nothing was sent then). */
static int s_send_frames(void *socket, const char *const frames[], size_t count,
                         int flags)
{
    for (size_t i = 0; i < count; i++) {
        int more = i + 1 < count ? ZMQ_SNDMORE : 0;
        if (zmq_send(socket, frames[i], strlen(frames[i]), flags | more) < 0) {
            cr_assert(i == 0 && zmq_errno() == EAGAIN, "send: %s",
                      zmq_strerror(zmq_errno()));
            return -1;
        }
    }
    return 0;
}

/* Sends deposit number index of a flood on socket, as send_frames. */
static int s_send_deposit(void *socket, long index, int flags)
{
    char request_id[24], id[24];
    snprintf(request_id, sizeof request_id, "%ld", index);
    s_account_id(id, sizeof id, index);
    const char *frames[] = {"SHOAL/1", request_id, "SEND",          "account",
                            id,        "Deposit",  "{\"amount\":1}"};
    return s_send_frames(socket, frames, sizeof frames / sizeof frames[0],
                         flags);
}

/* --- The flood ---------------------------------------------------------- */

typedef struct {
    long sent, received;
    long accepted, busy;
    long accepted_of[ACCOUNTS];
    uint8_t answered[FLOOD];
} flood_t;

/* Receives and counts one reply of the flood if one is waiting (the
 * DEALER's receive timeout is 0). Fails
 * the test on a reply that is not to a request of the flood, on a second
 * reply to one, and on an outcome other than ACCEPTED or busy. Returns 0,
 * or -1 when none was waiting. */
static int s_receive_reply(zsock_t *dealer, flood_t *flood)
{
    zmsg_t *message = zmsg_recv(dealer);
    if (!message)
        return -1;
    char *version = zmsg_popstr(message);
    char *request_id = zmsg_popstr(message);
    char *status = zmsg_popstr(message);
    char *code = zmsg_popstr(message);
    char *body = zmsg_popstr(message);
    cr_assert(version && streq(version, "SHOAL/1") && request_id && status &&
                  code && body,
              "a reply of the wrong form");
    char *end;
    long request = strtol(request_id, &end, 10);
    cr_assert(*end == '\0' && request >= 0 && request < flood->sent,
              "reply for unknown request id '%s'", request_id);
    cr_assert_not(flood->answered[request], "request %ld answered twice",
                  request);
    flood->answered[request] = 1;
    flood->received++;
    if (streq(status, "ACCEPTED")) {
        flood->accepted++;
        flood->accepted_of[request % ACCOUNTS]++;
    } else {
        cr_assert(streq(status, "ERROR") && streq(code, "busy"),
                  "request %ld: %s %s %s", request, status, code, body);
        flood->busy++;
    }
    free(version);
    free(request_id);
    free(status);
    free(code);
    free(body);
    zmsg_destroy(&message);
    return 0;
}

/* Sends FLOOD deposits round the accounts as fast as the node takes
 * them and reads every reply as it comes, until each request has one.
 * Fails when no reply comes for TEST_REQUEST_TIMEOUT_MS while some are
 * due. The DEALER keeps at most 10,000 requests unsent and reads replies
 * without limit, so the node never waits on this peer. */
static void s_flood(const char *endpoint, flood_t *flood)
{
    zsock_t *dealer = s_dealer(endpoint, 10000, 0);
    zsock_set_rcvtimeo(dealer, 0);
    void *socket = zsock_resolve(dealer);
    long long last_reply_ms = test_now_ms();
    while (flood->received < FLOOD) {
        zmq_pollitem_t item = {
            socket, 0, ZMQ_POLLIN | (flood->sent < FLOOD ? ZMQ_POLLOUT : 0), 0};
        cr_assert_geq(zmq_poll(&item, 1, 100), 0);
        for (int i = 0; i < 1000 && flood->sent < FLOOD; i++) {
            if (s_send_deposit(socket, flood->sent, ZMQ_DONTWAIT) < 0)
                break;
            flood->sent++;
        }
        for (int i = 0; i < 10000; i++) {
            if (s_receive_reply(dealer, flood) < 0)
                break;
            last_reply_ms = test_now_ms();
        }
        cr_assert_lt(test_now_ms() - last_reply_ms, TEST_REQUEST_TIMEOUT_MS,
                     "no reply for %d ms: %ld of %ld requests sent, %ld "
                     "unanswered",
                     TEST_REQUEST_TIMEOUT_MS, flood->sent, (long)FLOOD,
                     flood->sent - flood->received);
    }
    zsock_destroy(&dealer);
}

Test(overload, flood_is_answered_busy_in_part_and_every_command_once)
{
    /* One entry per group commit, an fsync each: the journal is slower
     * than any flood on any machine, so the flood always outruns it and
     * fills the bounded queues, however fast the rest of the node is. */
    s_start_node("--max-batch", "1");
    static flood_t flood;
    long long started = test_now_ms();
    rss_sampler_t sampler;
    s_sampler_start(&sampler, node_process_pid(s_fixture.node));
    s_flood(node_process_client_endpoint(s_fixture.node), &flood);
    s_sampler_check(&sampler, "flood", RSS_BOUND_KB);
    cr_log_info("flood: %ld deposits in %lld ms, %ld accepted, %ld busy",
                (long)FLOOD, test_now_ms() - started, flood.accepted,
                flood.busy);

    cr_assert_eq(flood.accepted + flood.busy, FLOOD);
    cr_assert_geq(flood.busy, 1, "no busy reply to a flood");
    cr_assert_geq(flood.accepted, 1);
    s_expect_status_field("commands", "busy", flood.busy);
    cr_assert_eq(s_status_field("replies_dropped", NULL), 0,
                 "the node dropped replies to a peer that reads them");
    for (long i = 0; i < ACCOUNTS; i++) {
        char id[24];
        s_account_id(id, sizeof id, i);
        cr_assert_eq(
            node_process_get_int(s_fixture.node, "account", id, "balance"),
            flood.accepted_of[i],
            "account %s: the balance is not its accepted deposits", id);
    }

    /* The flood is over: a fresh client is served. */
    cr_assert_eq(s_deposit_until_accepted("a0"), flood.accepted_of[0] + 1);
    cr_assert_eq(node_process_stop(&s_fixture.node), 0);
}

Test(overload, peer_that_never_reads_costs_a_bounded_queue)
{
    s_start_node(NULL, NULL);
    long long answered_before = ACCOUNTS + 1; /* the Open commands */
    rss_sampler_t sampler;
    s_sampler_start(&sampler, node_process_pid(s_fixture.node));
    /* It reads one reply at most, and keeps 10,000 requests unsent. */
    zsock_t *deaf =
        s_dealer(node_process_client_endpoint(s_fixture.node), 10000, 1);
    long bystander = 0;
    for (long i = 0; i < DEAF_FLOOD; i++) {
        cr_assert_eq(s_send_deposit(zsock_resolve(deaf), i, 0), 0);
        if (i % 50000 == 0) /* another client is served meanwhile */
            bystander = s_deposit_until_accepted("bystander");
    }
    long long deadline = test_now_ms() + FLOOD_DEADLINE_MS, answered;
    while ((answered = s_commands_answered() - answered_before -
                       s_fresh_calls) < DEAF_FLOOD &&
           test_now_ms() < deadline)
        test_sleep_ms(100);
    s_sampler_check(&sampler, "a peer that never reads",
                    RSS_BOUND_KB + DEAF_PEER_KB);
    cr_assert_eq(answered, DEAF_FLOOD, "%lld of %d commands answered in time",
                 answered, DEAF_FLOOD);
    long long dropped = s_status_field("replies_dropped", NULL);
    cr_log_info("%lld of %d replies to the peer dropped", dropped, DEAF_FLOOD);
    cr_assert_geq(dropped, DEAF_FLOOD / 2, "only %lld replies dropped",
                  dropped);
    cr_assert_leq(dropped, DEAF_FLOOD);

    /* It goes away; the node serves a fresh client. */
    zsock_destroy(&deaf);
    cr_assert_eq(s_deposit_until_accepted("bystander"), bystander + 1);
    cr_assert_eq(node_process_stop(&s_fixture.node), 0);
}

Test(overload, status_peer_that_never_reads_costs_a_bounded_queue)
{
    s_fixture.node = node_process_start_examples(s_fixture.dir, NULL);
    cr_assert_not_null(s_fixture.node);
    rss_sampler_t sampler;
    s_sampler_start(&sampler, node_process_pid(s_fixture.node));
    zsock_t *deaf =
        s_dealer(node_process_status_endpoint(s_fixture.node), 10000, 1);
    const char *frames[] = {"", "metrics"};
    for (long i = 0; i < STATUS_FLOOD; i++) {
        cr_assert_eq(s_send_frames(zsock_resolve(deaf), frames, 2, 0), 0);
        if (i % 10000 == 0) { /* others are answered meanwhile */
            json_t *status = node_process_status_json(s_fixture.node);
            cr_assert_not_null(status, "no status during the flood");
            json_decref(status);
        }
    }
    /* Wait until the node has been through the requests: all but the
     * queue's 1,000 and what the kernel's socket buffers hold are
     * dropped, and the count has stopped moving. */
    long long deadline = test_now_ms() + FLOOD_DEADLINE_MS;
    long long dropped = 0, last = -1;
    while ((dropped < STATUS_FLOOD - STATUS_HELD_MAX || dropped != last) &&
           test_now_ms() < deadline) {
        last = dropped;
        test_sleep_ms(200);
        dropped = s_status_field("replies_dropped", NULL);
    }
    s_sampler_check(&sampler, "a status peer that never reads", RSS_BOUND_KB);
    cr_assert_geq(dropped, STATUS_FLOOD - STATUS_HELD_MAX,
                  "only %lld of %d status replies dropped", dropped,
                  STATUS_FLOOD);
    cr_log_info("%lld of %d status replies dropped", dropped, STATUS_FLOOD);
    zsock_destroy(&deaf);
    cr_assert_eq(node_process_stop(&s_fixture.node), 0);
}
