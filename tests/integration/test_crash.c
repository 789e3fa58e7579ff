/*
 * tests/integration/test_crash.c - effectively-once across a crash.
 *
 * One DEALER client pipelines COMMAND_COUNT Increment commands over
 * COUNTER_COUNT counters, each with its own command id, and counts the
 * ACCEPTED replies per counter. Part way through the node is killed with
 * SIGKILL. After the restart:
 *
 *   - no acknowledged command is lost: value >= acknowledged for each
 *     counter, and nothing was invented: value <= sent;
 *   - resending every command with its same id applies each exactly once:
 *     every counter ends at the number of distinct commands addressed to
 *     it, each command owns exactly one event sequence number, and a
 *     command acknowledged before the crash gets its first outcome back.
 */
#include "node_fixture.h"
#include "node_process.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNTER_COUNT 20
#define COMMAND_COUNT 2000
#define PER_COUNTER (COMMAND_COUNT / COUNTER_COUNT)
#define KILL_AFTER_ACKS 500
#define WINDOW 200 /* most requests in flight at once */
#define PHASE_TIMEOUT_MS 60000

typedef struct {
    bool sent;  /* sent before the crash */
    bool acked; /* ACCEPTED before the crash */
    bool done;  /* ACCEPTED after the restart */
    uint64_t first_seq;
    char body[64];
} outcome_t;

static node_fixture_t s_fixture;
static outcome_t s_outcomes[COMMAND_COUNT];

static void s_setup(void)
{
    node_fixture_init(&s_fixture);
}

static void s_teardown(void)
{
    node_fixture_fini(&s_fixture);
}

TestSuite(crash, .init = s_setup, .fini = s_teardown);

static void s_counter_id(int command, char *buffer, size_t size)
{
    snprintf(buffer, size, "c%02d", command % COUNTER_COUNT);
}

static void s_send(int command)
{
    char request_id[16], counter[16], command_id[32];
    snprintf(request_id, sizeof request_id, "%d", command);
    snprintf(command_id, sizeof command_id, "crash-cmd-%d", command);
    s_counter_id(command, counter, sizeof counter);
    int rc = shoal_client_send(s_fixture.client, request_id, "counter", counter,
                               "Increment", "{\"by\":1}", 8, command_id);
    cr_assert_eq(rc, 0, "send %d failed", command);
}

/* Receives one reply and returns the index of its command. */
static int s_receive(shoal_reply_t *reply)
{
    int rc =
        shoal_client_receive(s_fixture.client, reply, TEST_REQUEST_TIMEOUT_MS);
    cr_assert_eq(rc, 0, "no reply within %d ms (%d)", TEST_REQUEST_TIMEOUT_MS,
                 rc);
    char *end;
    long command = strtol(reply->request_id, &end, 10);
    cr_assert(*end == '\0' && command >= 0 && command < COMMAND_COUNT,
              "reply for unknown request id '%s'", reply->request_id);
    return (int)command;
}

static bool s_is_busy(const shoal_reply_t *reply)
{
    return reply->status == SHOAL_REPLY_ERROR && reply->error_code &&
           strcmp(reply->error_code, "busy") == 0;
}

/* Pipelines commands until KILL_AFTER_ACKS are acknowledged, then kills
 * the node at once, with up to WINDOW commands still in flight. */
static void s_load_then_crash(void)
{
    int next = 0, in_flight = 0, acks = 0;
    long long deadline = test_now_ms() + PHASE_TIMEOUT_MS;
    while (acks < KILL_AFTER_ACKS) {
        cr_assert_lt(test_now_ms(), deadline, "load phase took too long");
        while (in_flight < WINDOW && next < COMMAND_COUNT) {
            s_send(next);
            s_outcomes[next++].sent = true;
            in_flight++;
        }
        cr_assert_gt(in_flight, 0, "all sent, only %d acks", acks);
        shoal_reply_t reply = {0};
        int command = s_receive(&reply);
        in_flight--;
        if (reply.status == SHOAL_REPLY_ACCEPTED) {
            outcome_t *outcome = &s_outcomes[command];
            cr_assert_not(outcome->acked, "two replies for command %d",
                          command);
            outcome->acked = true;
            outcome->first_seq = reply.first_seq;
            snprintf(outcome->body, sizeof outcome->body, "%s", reply.body);
            acks++;
        } else {
            /* busy: not applied, nothing journaled; it is resent below. */
            cr_assert(s_is_busy(&reply), "command %d: status %d %s: %s",
                      command, reply.status,
                      reply.error_code ? reply.error_code : "", reply.body);
        }
        shoal_reply_clear(&reply);
    }
    node_process_kill(&s_fixture.node);
    shoal_client_destroy(&s_fixture.client);
    cr_log_info("killed the node after %d acks, %d sent, %d in flight", acks,
                next, in_flight);
}

/* After the restart: acknowledged <= value <= sent for every counter. */
static void s_check_nothing_lost(void)
{
    long long applied = 0, acked_total = 0;
    for (int counter = 0; counter < COUNTER_COUNT; counter++) {
        long long acked = 0, sent = 0;
        for (int command = counter; command < COMMAND_COUNT;
             command += COUNTER_COUNT) {
            acked += s_outcomes[command].acked;
            sent += s_outcomes[command].sent;
        }
        char id[16];
        s_counter_id(counter, id, sizeof id);
        long long value =
            node_process_get_int(s_fixture.node, "counter", id, "value");
        cr_assert_geq(value, acked,
                      "%s: value %lld < %lld acknowledged: an acknowledged "
                      "command was lost",
                      id, value, acked);
        cr_assert_leq(value, sent, "%s: value %lld > %lld sent", id, value,
                      sent);
        applied += value;
        acked_total += acked;
    }
    cr_log_info("after the restart: %lld applied, %lld of them acknowledged",
                applied, acked_total);
}

/* Checks one reply to a resent command. */
static void s_check_resent(int command, const shoal_reply_t *reply)
{
    outcome_t *outcome = &s_outcomes[command];
    cr_assert_eq(reply->status, SHOAL_REPLY_ACCEPTED,
                 "resent command %d: status %d %s: %s", command, reply->status,
                 reply->error_code ? reply->error_code : "", reply->body);
    cr_assert_not(outcome->done, "two replies for resent command %d", command);
    cr_assert_eq(reply->event_count, 1, "command %d: %llu events", command,
                 (unsigned long long)reply->event_count);
    cr_assert(reply->first_seq >= 1 && reply->first_seq <= PER_COUNTER,
              "command %d: event %llu", command,
              (unsigned long long)reply->first_seq);
    /* Every command is an Increment by 1 of a counter that starts at 0. */
    cr_assert_eq(test_json_int(reply->body, "value"),
                 (long long)reply->first_seq,
                 "command %d: reply %s, event %llu", command, reply->body,
                 (unsigned long long)reply->first_seq);
    if (outcome->acked) {
        cr_assert_eq(reply->first_seq, outcome->first_seq,
                     "command %d: first outcome had event %llu, now %llu",
                     command, (unsigned long long)outcome->first_seq,
                     (unsigned long long)reply->first_seq);
        cr_assert_str_eq(reply->body, outcome->body,
                         "command %d: first reply %s, now %s", command,
                         outcome->body, reply->body);
    }
    outcome->done = true;
    outcome->first_seq = reply->first_seq;
}

/* Resends every command with its id, retrying those answered busy. */
static void s_resend_all(void)
{
    int queue[COMMAND_COUNT];
    int head = 0, tail = 0, pending = 0, in_flight = 0, done = 0;
    for (int command = 0; command < COMMAND_COUNT; command++)
        queue[tail++ % COMMAND_COUNT] = command;
    pending = COMMAND_COUNT;
    long long deadline = test_now_ms() + PHASE_TIMEOUT_MS;
    while (done < COMMAND_COUNT) {
        cr_assert_lt(test_now_ms(), deadline, "resend phase took too long");
        while (in_flight < WINDOW && pending > 0) {
            s_send(queue[head++ % COMMAND_COUNT]);
            pending--;
            in_flight++;
        }
        shoal_reply_t reply = {0};
        int command = s_receive(&reply);
        in_flight--;
        if (s_is_busy(&reply)) {
            queue[tail++ % COMMAND_COUNT] = command;
            pending++;
            if (in_flight == 0)
                test_sleep_ms(10); /* busy asks for a pause */
        } else {
            s_check_resent(command, &reply);
            done++;
        }
        shoal_reply_clear(&reply);
    }
}

/* Each counter's commands own its event numbers 1..PER_COUNTER, one each,
 * and its value is PER_COUNTER. */
static void s_check_exactly_once(void)
{
    for (int counter = 0; counter < COUNTER_COUNT; counter++) {
        bool seen[PER_COUNTER + 1] = {false};
        for (int command = counter; command < COMMAND_COUNT;
             command += COUNTER_COUNT) {
            uint64_t seq = s_outcomes[command].first_seq;
            cr_assert_not(seen[seq], "two commands own event %llu",
                          (unsigned long long)seq);
            seen[seq] = true;
        }
        char id[16];
        s_counter_id(counter, id, sizeof id);
        cr_assert_eq(
            node_process_get_int(s_fixture.node, "counter", id, "value"),
            PER_COUNTER, "%s: a command was lost or applied twice", id);
    }
}

Test(crash, acknowledged_commands_survive_kill_9_and_resends_apply_once)
{
    /* Checkpoints of the entity directory every 20 ms: the crash lands
     * while one is being saved, and the restart must still find every
     * entity's latest entry. */
    s_fixture.node = node_process_start_examples(s_fixture.dir,
                                                 "--checkpoint-ms", "20", NULL);
    node_fixture_connect(&s_fixture);

    s_load_then_crash();

    s_fixture.node = node_process_start_examples(s_fixture.dir, NULL);
    cr_assert_not_null(s_fixture.node, "shoald did not restart after kill -9");
    s_check_nothing_lost();

    s_fixture.client = node_process_client(s_fixture.node);
    cr_assert_not_null(s_fixture.client);
    s_resend_all();
    s_check_exactly_once();

    shoal_client_destroy(&s_fixture.client);
    cr_assert_eq(node_process_stop(&s_fixture.node), 0);
}
