/*
 * bench/bench_raw.c - raw SQLite and ZeroMQ limits (see bench_raw.h).
 *
 * The harness sits outside the layers: it talks to SQLite and libzmq
 * directly here, with no shoal code in between, so these figures are
 * what the machine gives to anyone, and the node's figures are read as a
 * fraction of them.
 */
#include "bench_raw.h"
#include "bench.h"

#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

/* ---------------------------------------------------------------------
 * SQLite
 */

/* The node's journal table (persistence/schema.c, version 1). */
static const char s_journal_table[] = "CREATE TABLE journal ("
                                      "  pos INTEGER PRIMARY KEY,"
                                      "  entity TEXT NOT NULL,"
                                      "  shard INTEGER NOT NULL,"
                                      "  prev_pos INTEGER NOT NULL,"
                                      "  first_seq INTEGER NOT NULL,"
                                      "  event_count INTEGER NOT NULL,"
                                      "  outcome INTEGER NOT NULL,"
                                      "  written_ms INTEGER NOT NULL,"
                                      "  command_id TEXT,"
                                      "  reply BLOB,"
                                      "  events BLOB);";

static int s_exec(sqlite3 *db, const char *sql)
{
    char *message = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK) {
        fprintf(stderr, "shoal-bench: sqlite: %s: %s\n", sql,
                message ? message : sqlite3_errmsg(db));
        sqlite3_free(message);
        return -1;
    }
    return 0;
}

/* Binds one row shaped like a Deposit's journal entry: an entity key, a
 * reply {"balance":n} and one event packed as u32 length + bytes. */
static void s_bind_row(sqlite3_stmt *stmt, bench_random_t *random, uint64_t row)
{
    static const char event[] = "{\"event\":\"Deposited\",\"amount\":1}";
    uint8_t events[4 + sizeof event];
    uint32_t size = (uint32_t)(sizeof event - 1);
    memcpy(events, &size, 4);
    memcpy(events + 4, event, size);
    char entity[48], reply[48];
    uint64_t id = bench_random_below(random, 100000);
    snprintf(entity, sizeof entity, "account/%" PRIu64, id);
    snprintf(reply, sizeof reply, "{\"balance\":%" PRIu64 "}", row);
    sqlite3_bind_text(stmt, 1, entity, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)(id % 64));
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64)(row > 100 ? row - 100 : 0));
    sqlite3_bind_int64(stmt, 4, (sqlite3_int64)(row / 1000 + 1));
    sqlite3_bind_int64(stmt, 5, 1);
    sqlite3_bind_int(stmt, 6, 0);
    sqlite3_bind_int64(stmt, 7, 1700000000000LL + (sqlite3_int64)row);
    sqlite3_bind_null(stmt, 8);
    sqlite3_bind_blob(stmt, 9, reply, (int)strlen(reply), SQLITE_TRANSIENT);
    sqlite3_bind_blob(stmt, 10, events, (int)(4 + size), SQLITE_TRANSIENT);
}

/* Opens a fresh journal-shaped database in dir with the node's pragmas
 * and prepares the insert. Returns 0 or -1 (then *db may need closing). */
static int s_append_open(const char *dir, const char *name, bool full_sync,
                         sqlite3 **db, sqlite3_stmt **insert, char *path,
                         size_t size)
{
    snprintf(path, size, "%s/%s", dir, name);
    if (sqlite3_open(path, db) != SQLITE_OK)
        return -1;
    if (s_exec(*db, "PRAGMA journal_mode = WAL") < 0 ||
        s_exec(*db, full_sync ? "PRAGMA synchronous = FULL"
                              : "PRAGMA synchronous = NORMAL") < 0 ||
        s_exec(*db, s_journal_table) < 0)
        return -1;
    return sqlite3_prepare_v2(*db,
                              "INSERT INTO journal (entity, shard, prev_pos,"
                              " first_seq, event_count, outcome, written_ms,"
                              " command_id, reply, events) VALUES"
                              " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                              -1, insert, NULL) == SQLITE_OK
               ? 0
               : -1;
}

/* Appends count rows in one transaction, numbering them from *rows.
 * Returns 0 or -1. */
static int s_append_commit(sqlite3 *db, sqlite3_stmt *insert,
                           bench_random_t *random, uint64_t *rows, int count)
{
    if (s_exec(db, "BEGIN IMMEDIATE") < 0)
        return -1;
    for (int i = 0; i < count; i++) {
        s_bind_row(insert, random, *rows);
        if (sqlite3_step(insert) != SQLITE_DONE) {
            fprintf(stderr, "shoal-bench: sqlite insert: %s\n",
                    sqlite3_errmsg(db));
            sqlite3_reset(insert);
            return -1;
        }
        sqlite3_reset(insert);
        (*rows)++;
    }
    return s_exec(db, "COMMIT");
}

int bench_raw_sqlite_append(const char *dir, int batch, double seconds,
                            bool full_sync, bench_raw_append_t *result)
{
    memset(result, 0, sizeof *result);
    char path[4096];
    sqlite3 *db = NULL;
    sqlite3_stmt *insert = NULL;
    int rc = -1;
    if (s_append_open(dir, "raw-append.db", full_sync, &db, &insert, path,
                      sizeof path) < 0)
        goto out_close;
    bench_random_t random;
    bench_random_seed(&random, 1);
    int64_t start = bench_now_ns();
    int64_t end = start + (int64_t)(seconds * 1e9);
    while (bench_now_ns() < end && !bench_interrupted())
        if (s_append_commit(db, insert, &random, &result->rows, batch) < 0)
            goto out_close;
    result->seconds = bench_seconds_since(start);
    result->rows_per_second = (double)result->rows / result->seconds;
    rc = 0;
out_close:
    if (rc != 0 && db)
        fprintf(stderr, "shoal-bench: raw append on %s failed: %s\n", path,
                sqlite3_errmsg(db));
    sqlite3_finalize(insert);
    sqlite3_close(db);
    return rc;
}

int bench_raw_sqlite_commit_latency(const char *dir, double rate,
                                    double seconds, bench_raw_commits_t *result)
{
    memset(result, 0, sizeof *result);
    char path[4096];
    sqlite3 *db = NULL;
    sqlite3_stmt *insert = NULL;
    size_t capacity = (size_t)(seconds * 20000) + 16;
    int64_t *samples = calloc(capacity, sizeof *samples);
    int rc = -1;
    if (!samples || s_append_open(dir, "raw-commits.db", true, &db, &insert,
                                  path, sizeof path) < 0)
        goto out_close;
    bench_random_t random;
    bench_random_seed(&random, 2);
    uint64_t rows = 0;
    int64_t start = bench_now_ns();
    int64_t end = start + (int64_t)(seconds * 1e9);
    for (int64_t now = start; now < end && !bench_interrupted();
         now = bench_now_ns()) {
        /* Rows arrive at `rate`; each commit takes all that are due, as
         * the node's writer takes all the appends that are queued. */
        double due = rate * (double)(now - start) / 1e9 - (double)rows;
        if (due < 1) {
            struct timespec pause = {0, (long)(1e9 * (1 - due) / rate)};
            nanosleep(&pause, NULL);
            continue;
        }
        int batch = due > 1000 ? 1000 : (int)due;
        int64_t began = bench_now_ns();
        if (s_append_commit(db, insert, &random, &rows, batch) < 0)
            goto out_close;
        if (result->commits < capacity)
            samples[result->commits] = bench_now_ns() - began;
        result->commits++;
    }
    result->rows = rows;
    result->seconds = bench_seconds_since(start);
    result->mean_batch =
        result->commits ? (double)rows / (double)result->commits : 0;
    bench_latency_compute(
        samples, result->commits < capacity ? result->commits : capacity,
        &result->latency);
    rc = 0;
out_close:
    if (rc != 0 && db)
        fprintf(stderr, "shoal-bench: raw commits on %s failed: %s\n", path,
                sqlite3_errmsg(db));
    free(samples);
    sqlite3_finalize(insert);
    sqlite3_close(db);
    return rc;
}

int bench_raw_sqlite_read(const char *path, bench_raw_read_t *result)
{
    memset(result, 0, sizeof *result);
    sqlite3 *db = NULL;
    sqlite3_stmt *select = NULL;
    int rc = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto out_close;
    if (sqlite3_prepare_v2(db,
                           "SELECT pos, entity, shard, prev_pos, first_seq,"
                           " event_count, outcome, written_ms, command_id,"
                           " reply, events FROM journal ORDER BY pos",
                           -1, &select, NULL) != SQLITE_OK)
        goto out_close;
    int64_t start = bench_now_ns();
    uint64_t checksum = 0;
    int step;
    while ((step = sqlite3_step(select)) == SQLITE_ROW) {
        checksum += (uint64_t)sqlite3_column_int64(select, 0);
        const unsigned char *entity = sqlite3_column_text(select, 1);
        checksum += entity ? entity[0] : 0;
        for (int column = 2; column <= 7; column++)
            checksum += (uint64_t)sqlite3_column_int64(select, column);
        result->events += (uint64_t)sqlite3_column_int64(select, 5);
        sqlite3_column_text(select, 8);
        for (int column = 9; column <= 10; column++) {
            const void *blob = sqlite3_column_blob(select, column);
            int size = sqlite3_column_bytes(select, column);
            if (blob && size > 0)
                checksum += ((const uint8_t *)blob)[size - 1];
            result->bytes += (uint64_t)size;
        }
        result->rows++;
    }
    result->seconds = bench_seconds_since(start);
    if (step != SQLITE_DONE)
        goto out_close;
    if (checksum == 42)
        fprintf(stderr, "shoal-bench: (checksum)\n"); /* keeps the reads */
    result->rows_per_second = (double)result->rows / result->seconds;
    result->events_per_second = (double)result->events / result->seconds;
    rc = 0;
out_close:
    if (rc != 0)
        fprintf(stderr, "shoal-bench: raw read of %s failed: %s\n", path,
                db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_finalize(select);
    sqlite3_close(db);
    return rc;
}

/* ---------------------------------------------------------------------
 * ZeroMQ
 */

/* The frames of a request and of its reply, shaped like the protocol's
 * SEND and ACCEPTED (docs/PROTOCOL.md). */
static const char *const s_request_frames[] = {
    "SHOAL/1", "12345",   "SEND",          "account",
    "54321",   "Deposit", "{\"amount\":1}"};
static const char *const s_reply_frames[] = {
    "SHOAL/1", "12345", "ACCEPTED", "7", "1", "{\"balance\":7}"};
#define S_REQUEST_FRAMES (sizeof s_request_frames / sizeof *s_request_frames)
#define S_REPLY_FRAMES (sizeof s_reply_frames / sizeof *s_reply_frames)

/* The echo server: one ROUTER thread answering every request. */
typedef struct {
    void *context;
    char endpoint[256];
    atomic_bool stop;
    pthread_t thread;
    void *router;
} s_echo_t;

/* Sends frames as one multipart message. Returns 0 or -1. */
static int s_send_frames(void *socket, const char *const *frames, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (zmq_send(socket, frames[i], strlen(frames[i]),
                     i + 1 < count ? ZMQ_SNDMORE : 0) < 0)
            return -1;
    }
    return 0;
}

/* Receives one multipart message, dropping its frames. Returns the frame
 * count, or -1 on timeout. When identity is not NULL, the first frame is
 * copied there (up to 255 bytes) and its size stored in *identity_size. */
static int s_receive_frames(void *socket, uint8_t *identity,
                            size_t *identity_size)
{
    int count = 0;
    int more = 1;
    while (more) {
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, socket, 0) < 0) {
            zmq_msg_close(&frame);
            return -1;
        }
        if (count == 0 && identity) {
            size_t size = zmq_msg_size(&frame);
            *identity_size = size < 255 ? size : 255;
            memcpy(identity, zmq_msg_data(&frame), *identity_size);
        }
        more = zmq_msg_more(&frame);
        zmq_msg_close(&frame);
        count++;
    }
    return count;
}

static void *s_echo_thread(void *arg)
{
    s_echo_t *self = arg;
    uint8_t identity[256];
    size_t identity_size = 0;
    while (!atomic_load(&self->stop)) {
        if (s_receive_frames(self->router, identity, &identity_size) < 0)
            continue; /* the receive timeout: look at the stop flag */
        if (zmq_send(self->router, identity, identity_size, ZMQ_SNDMORE) < 0 ||
            s_send_frames(self->router, s_reply_frames, S_REPLY_FRAMES) < 0)
            break;
    }
    return NULL;
}

/* Starts the echo server on an ephemeral tcp loopback port. */
static int s_echo_start(s_echo_t *self)
{
    memset(self, 0, sizeof *self);
    self->context = zmq_ctx_new();
    self->router = zmq_socket(self->context, ZMQ_ROUTER);
    int timeout = 100, linger = 0, hwm = 0;
    zmq_setsockopt(self->router, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(self->router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(self->router, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(self->router, ZMQ_RCVHWM, &hwm, sizeof hwm);
    size_t size = sizeof self->endpoint;
    if (zmq_bind(self->router, "tcp://127.0.0.1:*") != 0 ||
        zmq_getsockopt(self->router, ZMQ_LAST_ENDPOINT, self->endpoint,
                       &size) != 0) {
        zmq_close(self->router);
        zmq_ctx_term(self->context);
        return -1;
    }
    if (pthread_create(&self->thread, NULL, s_echo_thread, self) != 0)
        abort(); /* Defensive: one thread always starts. */
    return 0;
}

static void s_echo_stop(s_echo_t *self)
{
    atomic_store(&self->stop, true);
    pthread_join(self->thread, NULL);
    zmq_close(self->router);
    zmq_ctx_term(self->context);
}

/* A DEALER connected to the echo server. */
static void *s_dealer_new(s_echo_t *echo, int timeout_ms)
{
    void *dealer = zmq_socket(echo->context, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(dealer, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    if (zmq_connect(dealer, echo->endpoint) != 0) {
        zmq_close(dealer);
        return NULL;
    }
    return dealer;
}

int bench_raw_zmq_round_trip(uint64_t samples, bench_latency_t *latency)
{
    memset(latency, 0, sizeof *latency);
    s_echo_t echo;
    if (s_echo_start(&echo) < 0)
        return -1;
    void *dealer = s_dealer_new(&echo, 5000);
    int64_t *times = calloc(samples + 1, sizeof *times);
    int rc = dealer && times ? 0 : -1;
    uint64_t warmup = samples / 20 + 10;
    for (uint64_t i = 0; rc == 0 && i < samples + warmup; i++) {
        int64_t sent = bench_now_ns();
        if (s_send_frames(dealer, s_request_frames, S_REQUEST_FRAMES) < 0 ||
            s_receive_frames(dealer, NULL, NULL) < 0 || bench_interrupted()) {
            rc = -1;
            break;
        }
        if (i >= warmup)
            times[i - warmup] = bench_now_ns() - sent;
    }
    if (rc == 0)
        bench_latency_compute(times, samples, latency);
    free(times);
    if (dealer)
        zmq_close(dealer);
    s_echo_stop(&echo);
    return rc;
}

typedef struct {
    s_echo_t *echo;
    int window;
    int64_t end_ns;
    uint64_t round_trips;
    bool failed;
} s_rate_client_t;

static void *s_rate_client(void *arg)
{
    s_rate_client_t *self = arg;
    void *dealer = s_dealer_new(self->echo, 5000);
    if (!dealer) {
        self->failed = true;
        return NULL;
    }
    int in_flight = 0;
    bool sending = true;
    while (sending || in_flight > 0) {
        while (sending && in_flight < self->window) {
            if (s_send_frames(dealer, s_request_frames, S_REQUEST_FRAMES) < 0) {
                self->failed = true;
                sending = false;
                break;
            }
            in_flight++;
        }
        if (s_receive_frames(dealer, NULL, NULL) < 0) {
            self->failed = true;
            break;
        }
        in_flight--;
        if (bench_now_ns() < self->end_ns)
            self->round_trips++;
        else
            sending = false;
    }
    zmq_close(dealer);
    return NULL;
}

int bench_raw_zmq_rate(int clients, int window, double seconds,
                       bench_raw_rate_t *result)
{
    memset(result, 0, sizeof *result);
    s_echo_t echo;
    if (s_echo_start(&echo) < 0)
        return -1;
    s_rate_client_t *states = calloc((size_t)clients, sizeof *states);
    pthread_t *ids = calloc((size_t)clients, sizeof *ids);
    if (!states || !ids)
        abort(); /* Defensive: a few bytes. */
    int64_t start = bench_now_ns();
    for (int i = 0; i < clients; i++) {
        states[i] =
            (s_rate_client_t){.echo = &echo,
                              .window = window,
                              .end_ns = start + (int64_t)(seconds * 1e9)};
        if (pthread_create(&ids[i], NULL, s_rate_client, &states[i]) != 0)
            abort();
    }
    int rc = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join(ids[i], NULL);
        result->round_trips += states[i].round_trips;
        if (states[i].failed)
            rc = -1;
    }
    result->seconds = seconds;
    result->per_second = (double)result->round_trips / seconds;
    free(states);
    free(ids);
    s_echo_stop(&echo);
    return rc;
}
