/*
 * bench/bench_load.c - closed-loop and open-loop load over the client
 * protocol, one-in-flight latency, and reading every entity once through
 * the status socket (see bench_load.h).
 *
 * Each thread owns its client (a client is not thread-safe). Threads meet
 * at a barrier once connected, so that the measured interval starts when
 * every one of them is ready to send.
 */
#include "bench_load.h"
#include "bench.h"
#include "shoal/client.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#define S_ID_MAX 300 /* an entity id: prefix + digits */
#define S_CONNECT_TIMEOUT_MS 10000
#define S_SLICE_MS 250 /* longest wait before looking at the interruption */

/* ---------------------------------------------------------------------
 * Shared helpers
 */

/* Counts one reply into outcomes. */
static void s_count(bench_outcomes_t *outcomes, const shoal_reply_t *reply,
                    int rc)
{
    if (rc != 0)
        outcomes->invalid++;
    else if (reply->status == SHOAL_REPLY_ACCEPTED)
        outcomes->accepted++;
    else if (reply->status == SHOAL_REPLY_REJECTED)
        outcomes->rejected++;
    else if (reply->status == SHOAL_REPLY_ERROR) {
        outcomes->errors++;
        if (reply->error_code && strcmp(reply->error_code, "busy") == 0)
            outcomes->busy++;
    } else
        outcomes->invalid++;
}

static void s_add(bench_outcomes_t *sum, const bench_outcomes_t *part)
{
    sum->accepted += part->accepted;
    sum->rejected += part->rejected;
    sum->errors += part->errors;
    sum->busy += part->busy;
    sum->invalid += part->invalid;
}

/* Waits up to timeout_ms for the next reply in short slices, so that an
 * interruption (Ctrl-C) ends the wait within a slice. Returns as
 * shoal_client_receive. */
static int s_receive_patiently(shoal_client_t *client, shoal_reply_t *reply,
                               int timeout_ms)
{
    int64_t deadline = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    while (true) {
        int64_t left_ms = (deadline - bench_now_ns()) / 1000000;
        int slice = left_ms < S_SLICE_MS ? (int)(left_ms > 0 ? left_ms : 0)
                                         : S_SLICE_MS;
        int rc = shoal_client_receive(client, reply, slice);
        if (rc != -1 || bench_interrupted() || bench_now_ns() >= deadline)
            return rc;
    }
}

/* Makes a client and checks with a PING that the node answers. Returns
 * the client, or NULL (the reason printed). */
static shoal_client_t *s_connect(const char *endpoint)
{
    shoal_client_t *client = shoal_client_new(endpoint);
    if (!client) {
        fprintf(stderr, "shoal-bench: cannot make a client for %s\n", endpoint);
        return NULL;
    }
    shoal_reply_t reply;
    if (shoal_client_ping(client, "ping") != 0 ||
        s_receive_patiently(client, &reply, S_CONNECT_TIMEOUT_MS) != 0 ||
        reply.status != SHOAL_REPLY_PONG) {
        fprintf(stderr, "shoal-bench: %s does not answer PING\n", endpoint);
        shoal_reply_clear(&reply);
        shoal_client_destroy(&client);
        return NULL;
    }
    shoal_reply_clear(&reply);
    return client;
}

/* Queues one command for entity index on client, under request id
 * request_index. Returns as shoal_client_send. */
static int s_send(shoal_client_t *client, const bench_target_t *target,
                  uint64_t entity_index, uint64_t request_index)
{
    char entity_id[S_ID_MAX];
    char request_id[24];
    bench_entity_id(entity_id, sizeof entity_id, target->id_prefix,
                    entity_index);
    snprintf(request_id, sizeof request_id, "%" PRIu64, request_index);
    const char *payload = target->payload ? target->payload : "";
    return shoal_client_send(client, request_id, target->type, entity_id,
                             target->command, payload, strlen(payload), NULL);
}

/* Two barriers around the start time: every thread is connected before
 * main reads the clock, and reads it only after main set it. */
typedef struct {
    pthread_barrier_t barrier;
    int64_t start_ns;
} s_start_t;

static int64_t s_await_start(s_start_t *start)
{
    pthread_barrier_wait(&start->barrier);
    pthread_barrier_wait(&start->barrier);
    return start->start_ns;
}

static void s_give_start(s_start_t *start)
{
    pthread_barrier_wait(&start->barrier);
    start->start_ns = bench_now_ns();
    pthread_barrier_wait(&start->barrier);
}

/* ---------------------------------------------------------------------
 * Closed loop
 */

typedef struct {
    const bench_closed_spec_t *spec;
    int index;
    s_start_t *start;
    bench_closed_result_t result;
    int64_t last_reply_ns;
    bool failed;
} s_closed_thread_t;

/* The quota of commands of thread index among count threads: total split
 * as evenly as possible. */
static uint64_t s_share(uint64_t total, int index, int count)
{
    return total / (uint64_t)count +
           ((uint64_t)index < total % (uint64_t)count ? 1 : 0);
}

static void *s_closed_thread(void *arg)
{
    s_closed_thread_t *self = arg;
    const bench_closed_spec_t *spec = self->spec;
    const char *endpoint =
        spec->endpoint_count > 0
            ? spec->endpoints[self->index % spec->endpoint_count]
            : spec->target.endpoint;
    shoal_client_t *client = s_connect(endpoint);
    int64_t start = s_await_start(self->start);
    if (!client) {
        self->failed = true;
        return NULL;
    }
    bench_random_t random;
    bench_random_seed(&random, (uint64_t)self->index * 7919 + 17);

    bool timed = !spec->each_entity_once && spec->total == 0;
    uint64_t quota = UINT64_MAX;
    if (spec->each_entity_once)
        quota = s_share(spec->target.entity_count, self->index, spec->clients);
    else if (spec->total > 0)
        quota = s_share(spec->total, self->index, spec->clients);
    int64_t count_from = start + (int64_t)(spec->warmup_seconds * 1e9);
    int64_t count_until =
        timed ? count_from + (int64_t)(spec->seconds * 1e9) : INT64_MAX;

    bench_closed_result_t *result = &self->result;
    uint64_t in_flight = 0;
    bool sending = true;
    while (!bench_interrupted()) {
        while (sending && in_flight < (uint64_t)spec->window) {
            if (result->sent >= quota ||
                (timed && bench_now_ns() >= count_until)) {
                sending = false;
                break;
            }
            uint64_t entity =
                spec->each_entity_once
                    ? (uint64_t)self->index + result->sent * spec->clients
                    : bench_random_below(&random, spec->target.entity_count);
            if (s_send(client, &spec->target, entity, result->sent) != 0) {
                if (errno == EAGAIN)
                    break; /* the socket's queue is full: receive first */
                fprintf(stderr, "shoal-bench: send failed: %s\n",
                        strerror(errno));
                self->failed = true;
                sending = false;
                break;
            }
            result->sent++;
            in_flight++;
        }
        if (in_flight == 0 && !sending)
            break;
        shoal_reply_t reply;
        int rc = s_receive_patiently(client, &reply, spec->timeout_ms);
        if (rc == -1) {
            if (!bench_interrupted())
                fprintf(stderr,
                        "shoal-bench: client %d: no reply within %d ms; sent "
                        "%" PRIu64 ", answered %" PRIu64 ", %" PRIu64
                        " unanswered\n",
                        self->index, spec->timeout_ms, result->sent,
                        result->sent - in_flight, in_flight);
            result->lost = in_flight;
            self->failed = true;
            break;
        }
        int64_t now = bench_now_ns();
        in_flight--;
        if (rc == 0 && reply.status == SHOAL_REPLY_ERROR &&
            result->all.errors == 0)
            snprintf(result->first_error, sizeof result->first_error, "%s: %s",
                     reply.error_code, reply.body);
        s_count(&result->all, &reply, rc);
        if (now >= count_from && now <= count_until)
            s_count(&result->counted, &reply, rc);
        self->last_reply_ns = now;
        shoal_reply_clear(&reply);
    }
    if (bench_interrupted())
        self->failed = true;
    shoal_client_destroy(&client);
    return NULL;
}

int bench_closed_loop(const bench_closed_spec_t *spec,
                      bench_closed_result_t *result)
{
    memset(result, 0, sizeof *result);
    int count = spec->clients;
    s_closed_thread_t *threads = calloc((size_t)count, sizeof *threads);
    pthread_t *ids = calloc((size_t)count, sizeof *ids);
    s_start_t start;
    if (!threads || !ids ||
        pthread_barrier_init(&start.barrier, NULL, (unsigned)count + 1) != 0) {
        free(threads);
        free(ids);
        return -1;
    }
    for (int i = 0; i < count; i++) {
        threads[i] =
            (s_closed_thread_t){.spec = spec, .index = i, .start = &start};
        if (pthread_create(&ids[i], NULL, s_closed_thread, &threads[i]) != 0)
            abort(); /* Defensive: a handful of threads always start. */
    }
    s_give_start(&start);
    int rc = 0;
    int64_t last_reply = start.start_ns;
    for (int i = 0; i < count; i++) {
        pthread_join(ids[i], NULL);
        s_add(&result->counted, &threads[i].result.counted);
        s_add(&result->all, &threads[i].result.all);
        result->sent += threads[i].result.sent;
        if (!*result->first_error)
            memcpy(result->first_error, threads[i].result.first_error,
                   sizeof result->first_error);
        result->lost += threads[i].result.lost;
        if (threads[i].last_reply_ns > last_reply)
            last_reply = threads[i].last_reply_ns;
        if (threads[i].failed)
            rc = -1;
    }
    bool timed = !spec->each_entity_once && spec->total == 0;
    result->seconds = timed ? spec->seconds
                            : (double)(last_reply - start.start_ns) / 1e9 -
                                  spec->warmup_seconds;
    if (result->seconds > 0)
        result->rate =
            (double)(result->counted.accepted + result->counted.rejected) /
            result->seconds;
    pthread_barrier_destroy(&start.barrier);
    free(threads);
    free(ids);
    return rc;
}

/* ---------------------------------------------------------------------
 * Latency
 */

static int s_compare_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The nearest-rank percentile of sorted samples, in microseconds. */
static double s_percentile(const int64_t *sorted, size_t count, double p)
{
    size_t rank = (size_t)(p * (double)count + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > count)
        rank = count;
    return (double)sorted[rank - 1] / 1e3;
}

void bench_latency_compute(int64_t *samples, size_t count,
                           bench_latency_t *latency)
{
    memset(latency, 0, sizeof *latency);
    if (count == 0)
        return;
    qsort(samples, count, sizeof *samples, s_compare_int64);
    double sum = 0;
    for (size_t i = 0; i < count; i++)
        sum += (double)samples[i];
    latency->count = count;
    latency->mean = sum / (double)count / 1e3;
    latency->p50 = s_percentile(samples, count, 0.50);
    latency->p99 = s_percentile(samples, count, 0.99);
    latency->p999 = s_percentile(samples, count, 0.999);
    latency->max = (double)samples[count - 1] / 1e3;
}

/* ---------------------------------------------------------------------
 * Open loop
 */

typedef struct {
    const bench_open_spec_t *spec;
    int index;
    s_start_t *start;
    uint64_t planned;   /* requests this thread sends */
    int64_t *latencies; /* per request, from its due time; -1 until answered */
    int64_t *lags;      /* per request: actual send - due time */
    bench_outcomes_t all;
    uint64_t sent, lost, answered_in_time;
    char first_error[192];
    bool failed;
} s_open_thread_t;

/* Waits for the next reply up to wait_ns. A ZeroMQ timeout counts in
 * milliseconds, so a shorter wait polls and then sleeps the rest (with
 * a tight timer slack) instead of spinning. Returns as
 * shoal_client_receive. */
static int s_receive_within(shoal_client_t *client, shoal_reply_t *reply,
                            int64_t wait_ns)
{
    if (wait_ns >= 1000000)
        return s_receive_patiently(client, reply, (int)(wait_ns / 1000000));
    int rc = shoal_client_receive(client, reply, 0);
    if (rc == -1 && wait_ns > 0) {
        struct timespec pause = {0,
                                 (long)(wait_ns < 100000 ? wait_ns : 100000)};
        nanosleep(&pause, NULL);
    }
    return rc;
}

static void *s_open_thread(void *arg)
{
    s_open_thread_t *self = arg;
    const bench_open_spec_t *spec = self->spec;
    prctl(PR_SET_TIMERSLACK, 1000UL); /* 1 us: sleeps end on time */
    shoal_client_t *client = s_connect(spec->target.endpoint);
    int64_t start = s_await_start(self->start);
    if (!client) {
        self->failed = true;
        return NULL;
    }
    bench_random_t random;
    bench_random_seed(&random, (uint64_t)self->index * 104729 + 3);
    double interval_ns = 1e9 * spec->threads / spec->rate;
    /* Threads interleave: thread i sends at offsets i / threads. */
    double phase_ns = interval_ns * self->index / spec->threads;
    int64_t send_end = start + (int64_t)(spec->seconds * 1e9);
    uint64_t in_flight = 0;

    while (!bench_interrupted()) {
        int64_t now = bench_now_ns();
        bool refused = false;
        while (self->sent < self->planned) {
            int64_t due =
                start + (int64_t)(phase_ns + interval_ns * (double)self->sent);
            if (due > now)
                break;
            uint64_t entity =
                bench_random_below(&random, spec->target.entity_count);
            if (s_send(client, &spec->target, entity, self->sent) != 0) {
                if (errno == EAGAIN) {
                    refused = true; /* queued: its latency keeps growing */
                    break;
                }
                fprintf(stderr, "shoal-bench: send failed: %s\n",
                        strerror(errno));
                self->failed = true;
                goto out_destroy;
            }
            self->lags[self->sent] = now - due;
            self->sent++;
            in_flight++;
        }
        if (self->sent == self->planned && in_flight == 0)
            break;
        int64_t wait_ns;
        if (self->sent == self->planned)
            wait_ns = (int64_t)spec->timeout_ms * 1000000;
        else if (refused)
            wait_ns = 1000000;
        else
            wait_ns = start +
                      (int64_t)(phase_ns + interval_ns * (double)self->sent) -
                      now;
        shoal_reply_t reply;
        int rc = s_receive_within(client, &reply, wait_ns);
        if (rc == -1) {
            if (self->sent == self->planned) {
                fprintf(stderr,
                        "shoal-bench: open loop: no reply within %d ms, "
                        "%" PRIu64 " requests unanswered\n",
                        spec->timeout_ms, in_flight);
                self->lost = in_flight;
                self->failed = true;
                break;
            }
            continue;
        }
        int64_t received = bench_now_ns();
        in_flight--;
        if (rc == 0 && reply.status == SHOAL_REPLY_ERROR &&
            self->all.errors == 0)
            snprintf(self->first_error, sizeof self->first_error, "%s: %s",
                     reply.error_code, reply.body);
        s_count(&self->all, &reply, rc);
        if (received <= send_end)
            self->answered_in_time++;
        char *end = NULL;
        uint64_t index = strtoull(reply.request_id, &end, 10);
        if (rc == 0 && end && *end == '\0' && index < self->sent &&
            (reply.status == SHOAL_REPLY_ACCEPTED ||
             reply.status == SHOAL_REPLY_REJECTED)) {
            int64_t due =
                start + (int64_t)(phase_ns + interval_ns * (double)index);
            self->latencies[index] = received - due;
        }
        shoal_reply_clear(&reply);
    }
    if (bench_interrupted())
        self->failed = true;
out_destroy:
    shoal_client_destroy(&client);
    return NULL;
}

int bench_open_loop(const bench_open_spec_t *spec, bench_open_result_t *result)
{
    memset(result, 0, sizeof *result);
    int count = spec->threads;
    uint64_t planned_total = (uint64_t)(spec->rate * spec->seconds);
    s_open_thread_t *threads = calloc((size_t)count, sizeof *threads);
    pthread_t *ids = calloc((size_t)count, sizeof *ids);
    int64_t *samples = calloc(planned_total + 1, sizeof *samples);
    int64_t *from_send = calloc(planned_total + 1, sizeof *from_send);
    int64_t *lags = calloc(planned_total + 1, sizeof *lags);
    s_start_t start;
    int rc = -1;
    if (!threads || !ids || !samples || !from_send || !lags ||
        pthread_barrier_init(&start.barrier, NULL, (unsigned)count + 1) != 0)
        goto out_free;
    for (int i = 0; i < count; i++) {
        uint64_t planned = s_share(planned_total, i, count);
        threads[i] =
            (s_open_thread_t){.spec = spec,
                              .index = i,
                              .start = &start,
                              .planned = planned,
                              .latencies = calloc(planned + 1, sizeof(int64_t)),
                              .lags = calloc(planned + 1, sizeof(int64_t))};
        if (!threads[i].latencies || !threads[i].lags)
            abort(); /* Defensive: a few MB. */
        for (uint64_t j = 0; j < planned; j++)
            threads[i].latencies[j] = -1;
        if (pthread_create(&ids[i], NULL, s_open_thread, &threads[i]) != 0)
            abort();
    }
    s_give_start(&start);
    rc = 0;
    size_t sample_count = 0, lag_count = 0;
    uint64_t in_time = 0;
    result->tick_count =
        (size_t)(spec->seconds * 1000 / BENCH_OPEN_TICK_MS) + 1;
    result->worst_per_tick_us =
        calloc(result->tick_count, sizeof *result->worst_per_tick_us);
    if (!result->worst_per_tick_us)
        result->tick_count = 0;
    double interval_ns = 1e9 * count / spec->rate;
    for (int i = 0; i < count; i++) {
        s_open_thread_t *thread = &threads[i];
        pthread_join(ids[i], NULL);
        double phase_ns = interval_ns * i / count;
        for (uint64_t j = 0; j < thread->planned; j++) {
            size_t tick = (size_t)((phase_ns + interval_ns * (double)j) /
                                   (BENCH_OPEN_TICK_MS * 1e6));
            double latency_us = (double)thread->latencies[j] / 1e3;
            if (tick < result->tick_count &&
                latency_us > result->worst_per_tick_us[tick])
                result->worst_per_tick_us[tick] = latency_us;
            if (thread->latencies[j] >= 0) {
                from_send[sample_count] =
                    thread->latencies[j] - thread->lags[j];
                samples[sample_count++] = thread->latencies[j];
            }
        }
        for (uint64_t j = 0; j < thread->sent; j++)
            lags[lag_count++] = thread->lags[j];
        free(thread->latencies);
        free(thread->lags);
        s_add(&result->all, &thread->all);
        result->sent += thread->sent;
        if (!*result->first_error)
            memcpy(result->first_error, thread->first_error,
                   sizeof result->first_error);
        result->lost += thread->lost;
        in_time += thread->answered_in_time;
        if (thread->failed)
            rc = -1;
    }
    bench_latency_compute(samples, sample_count, &result->latency);
    bench_latency_compute(from_send, sample_count, &result->from_send);
    bench_latency_compute(lags, lag_count, &result->send_lag);
    result->achieved_rate = (double)in_time / spec->seconds;
    pthread_barrier_destroy(&start.barrier);
out_free:
    free(samples);
    free(from_send);
    free(lags);
    free(threads);
    free(ids);
    return rc;
}

void bench_open_result_clear(bench_open_result_t *result)
{
    if (!result)
        return;
    free(result->worst_per_tick_us);
    result->worst_per_tick_us = NULL;
    result->tick_count = 0;
}

/* ---------------------------------------------------------------------
 * One in flight
 */

int bench_single_in_flight(const bench_target_t *target, uint64_t samples,
                           int timeout_ms, bench_latency_t *latency)
{
    memset(latency, 0, sizeof *latency);
    shoal_client_t *client = s_connect(target->endpoint);
    int64_t *times = calloc(samples + 1, sizeof *times);
    bench_random_t random;
    bench_random_seed(&random, 4242);
    int rc = (client && times) ? 0 : -1;
    /* A few calls first, not counted: connections and caches warm up. */
    uint64_t warmup = samples / 20 + 10;
    for (uint64_t i = 0; rc == 0 && i < samples + warmup; i++) {
        if (bench_interrupted()) {
            rc = -1;
            break;
        }
        shoal_reply_t reply = {0};
        int64_t sent = bench_now_ns();
        int call = s_send(client, target,
                          bench_random_below(&random, target->entity_count), i);
        if (call == 0)
            call = s_receive_patiently(client, &reply, timeout_ms);
        int64_t received = bench_now_ns();
        if (call != 0 || (reply.status != SHOAL_REPLY_ACCEPTED &&
                          reply.status != SHOAL_REPLY_REJECTED)) {
            fprintf(stderr,
                    "shoal-bench: one in flight: call %d failed (%s %s)\n",
                    call, reply.error_code ? reply.error_code : "",
                    reply.body ? reply.body : "no reply");
            rc = -1;
        } else if (i >= warmup)
            times[i - warmup] = received - sent;
        shoal_reply_clear(&reply);
    }
    if (rc == 0)
        bench_latency_compute(times, samples, latency);
    free(times);
    shoal_client_destroy(&client);
    return rc;
}

/* ---------------------------------------------------------------------
 * Reading every entity through the status socket
 */

typedef struct {
    const char *endpoint;
    const char *type;
    const char *id_prefix;
    uint64_t entity_count;
    int index, threads, window, timeout_ms;
    uint8_t *answered; /* per entity; this thread writes its own indices */
    uint64_t answered_count, errors;
    bool failed;
} s_read_thread_t;

/* Finds "id":"<prefix><digits>" in a query answer. Returns the entity
 * index, or UINT64_MAX. */
static uint64_t s_answer_index(const char *answer, const char *prefix)
{
    const char *at = strstr(answer, "\"id\":\"");
    if (!at)
        return UINT64_MAX;
    at += strlen("\"id\":\"");
    size_t prefix_size = prefix ? strlen(prefix) : 0;
    if (prefix_size && strncmp(at, prefix, prefix_size) != 0)
        return UINT64_MAX;
    char *end = NULL;
    uint64_t index = strtoull(at + prefix_size, &end, 10);
    return end && *end == '"' ? index : UINT64_MAX;
}

/* Sends `get TYPE ID` with an empty delimiter. Returns 0 or -1. */
static int s_send_get(zsock_t *dealer, const s_read_thread_t *self,
                      uint64_t index)
{
    char entity_id[S_ID_MAX];
    bench_entity_id(entity_id, sizeof entity_id, self->id_prefix, index);
    char request[S_ID_MAX + 80];
    snprintf(request, sizeof request, "get %s %s", self->type, entity_id);
    zmsg_t *msg = zmsg_new();
    zmsg_addmem(msg, NULL, 0);
    zmsg_addstr(msg, request);
    return zmsg_send(&msg, dealer);
}

/* Receives one answer and records it. Returns 0, or -1 on timeout. */
static int s_receive_answer(zsock_t *dealer, s_read_thread_t *self)
{
    /* The socket's timeout is one slice: look at the interruption. */
    int64_t deadline = bench_now_ns() + (int64_t)self->timeout_ms * 1000000;
    zmsg_t *msg = NULL;
    while (!msg && !bench_interrupted() && bench_now_ns() < deadline)
        msg = zmsg_recv(dealer);
    if (!msg)
        return -1;
    zframe_t *delimiter = zmsg_first(msg);
    zframe_t *status = zmsg_next(msg);
    zframe_t *text = zmsg_next(msg);
    if (delimiter && status && text && zframe_streq(status, "OK")) {
        char *answer = zframe_strdup(text);
        uint64_t index = s_answer_index(answer, self->id_prefix);
        if (index < self->entity_count && !self->answered[index]) {
            self->answered[index] = 1;
            self->answered_count++;
        }
        free(answer);
    } else
        self->errors++;
    zmsg_destroy(&msg);
    return 0;
}

static void *s_read_thread(void *arg)
{
    s_read_thread_t *self = arg;
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    zsock_set_linger(dealer, 0);
    zsock_set_rcvtimeo(dealer, S_SLICE_MS);
    if (zsock_connect(dealer, "%s", self->endpoint) != 0) {
        self->failed = true;
        zsock_destroy(&dealer);
        return NULL;
    }
    /* Rounds: ask every entity of this thread not answered yet. */
    for (int round = 0; round < 10 && !bench_interrupted(); round++) {
        uint64_t in_flight = 0, missing = 0;
        for (uint64_t index = (uint64_t)self->index;
             index < self->entity_count && !self->failed;
             index += (uint64_t)self->threads) {
            if (self->answered[index])
                continue;
            missing++;
            while (in_flight >= (uint64_t)self->window && !self->failed) {
                if (s_receive_answer(dealer, self) < 0)
                    self->failed = true;
                else
                    in_flight--;
            }
            if (s_send_get(dealer, self, index) != 0)
                self->failed = true;
            else
                in_flight++;
        }
        while (in_flight > 0 && !self->failed) {
            if (s_receive_answer(dealer, self) < 0)
                self->failed = true;
            else
                in_flight--;
        }
        if (self->failed) {
            fprintf(stderr,
                    "shoal-bench: status socket: no answer within %d ms\n",
                    self->timeout_ms);
            break;
        }
        if (missing == 0)
            break;
        if (round > 0)
            bench_sleep_ms(50); /* busy answers: give the node a moment */
    }
    zsock_destroy(&dealer);
    return NULL;
}

int bench_read_all(const char *status_endpoint, const char *type,
                   const char *id_prefix, uint64_t entity_count, int threads,
                   int window, int timeout_ms, bench_read_result_t *result)
{
    memset(result, 0, sizeof *result);
    uint8_t *answered = calloc(entity_count + 1, 1);
    s_read_thread_t *states = calloc((size_t)threads, sizeof *states);
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    if (!answered || !states || !ids) {
        free(answered);
        free(states);
        free(ids);
        return -1;
    }
    int64_t start = bench_now_ns();
    for (int i = 0; i < threads; i++) {
        states[i] = (s_read_thread_t){.endpoint = status_endpoint,
                                      .type = type,
                                      .id_prefix = id_prefix,
                                      .entity_count = entity_count,
                                      .index = i,
                                      .threads = threads,
                                      .window = window,
                                      .timeout_ms = timeout_ms,
                                      .answered = answered};
        if (pthread_create(&ids[i], NULL, s_read_thread, &states[i]) != 0)
            abort();
    }
    bool failed = false;
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        result->answered += states[i].answered_count;
        result->errors += states[i].errors;
        failed = failed || states[i].failed;
    }
    result->seconds = bench_seconds_since(start);
    free(answered);
    free(states);
    free(ids);
    return !failed && result->answered == entity_count ? 0 : -1;
}
