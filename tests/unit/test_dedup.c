/*
 * tests/unit/test_dedup.c - the window of recent command ids
 * (actors/dedup.c): remembering and looking up outcomes, forgetting the
 * oldest past the capacity, and the encoding that carries the window
 * through snapshots, including bytes that are not a valid encoding.
 */
#include "actors/dedup.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static shoal_dedup_t *s_window;

static void s_teardown(void)
{
    shoal_dedup_destroy(&s_window);
}

TestSuite(dedup, .fini = s_teardown);

/* Remembers id with an outcome derived from n: odd n rejected, reply
 * "reply-n", first_seq 10 * n, event_count n. */
static void s_remember(shoal_dedup_t *window, const char *id, int n)
{
    char reply[32];
    snprintf(reply, sizeof reply, "reply-%d", n);
    shoal_dedup_record_t record = {
        .outcome = n % 2 ? SHOAL_OUTCOME_REJECTED : SHOAL_OUTCOME_ACCEPTED,
        .first_seq = 10 * (uint64_t)n,
        .event_count = (uint32_t)n,
        .reply = reply,
        .reply_size = strlen(reply),
    };
    cr_assert_eq(shoal_dedup_remember(window, id, &record), 0);
}

/* Asserts id is remembered with the outcome s_remember gave for n. */
static void s_assert_remembered(const shoal_dedup_t *window, const char *id,
                                int n)
{
    shoal_dedup_record_t record;
    memset(&record, 0xab, sizeof record);
    cr_assert(shoal_dedup_lookup(window, id, &record), "%s forgotten", id);
    char reply[32];
    snprintf(reply, sizeof reply, "reply-%d", n);
    cr_assert_eq(record.outcome,
                 n % 2 ? SHOAL_OUTCOME_REJECTED : SHOAL_OUTCOME_ACCEPTED,
                 "%s: outcome", id);
    cr_assert_eq(record.first_seq, 10 * (uint64_t)n, "%s: first_seq", id);
    cr_assert_eq(record.event_count, (uint32_t)n, "%s: event_count", id);
    cr_assert_eq(record.reply_size, strlen(reply), "%s: reply size", id);
    cr_assert_eq(memcmp(record.reply, reply, record.reply_size), 0, "%s: reply",
                 id);
}

static void s_assert_forgotten(const shoal_dedup_t *window, const char *id)
{
    shoal_dedup_record_t record;
    cr_assert_not(shoal_dedup_lookup(window, id, &record), "%s remembered", id);
}

/* Returns the encoding of window (malloc'd). */
static void *s_encode(const shoal_dedup_t *window, size_t *size)
{
    void *data = NULL;
    cr_assert_eq(shoal_dedup_encode(window, &data, size), 0);
    cr_assert_not_null(data);
    return data;
}

/* ---------------------------------------------------------------------
 * Remember and look up
 */

Test(dedup, a_new_window_remembers_nothing)
{
    s_window = shoal_dedup_new(4);
    cr_assert_not_null(s_window);
    cr_assert_eq(shoal_dedup_size(s_window), 0);
    s_assert_forgotten(s_window, "c1");
    s_assert_forgotten(s_window, "");
}

Test(dedup, remembers_the_outcome_of_each_id)
{
    s_window = shoal_dedup_new(4);
    s_remember(s_window, "c1", 1);
    s_remember(s_window, "c2", 2);
    cr_assert_eq(shoal_dedup_size(s_window), 2);
    s_assert_remembered(s_window, "c1", 1);
    s_assert_remembered(s_window, "c2", 2);
    s_assert_forgotten(s_window, "c3");
    s_assert_forgotten(s_window, "c");   /* a prefix of an id */
    s_assert_forgotten(s_window, "c12"); /* an id extended */
}

Test(dedup, copies_the_id_and_the_reply)
{
    s_window = shoal_dedup_new(2);
    char id[] = "c1";
    char reply[] = "abc";
    shoal_dedup_record_t record = {
        .outcome = SHOAL_OUTCOME_ACCEPTED, .reply = reply, .reply_size = 3};
    cr_assert_eq(shoal_dedup_remember(s_window, id, &record), 0);
    id[1] = '9';
    reply[0] = 'X';
    shoal_dedup_record_t found;
    cr_assert(shoal_dedup_lookup(s_window, "c1", &found));
    cr_assert_eq(memcmp(found.reply, "abc", 3), 0);
    s_assert_forgotten(s_window, "c9");
}

Test(dedup, remembers_an_empty_reply)
{
    s_window = shoal_dedup_new(2);
    shoal_dedup_record_t record = {
        .outcome = SHOAL_OUTCOME_ACCEPTED, .first_seq = 0, .event_count = 0};
    cr_assert_eq(shoal_dedup_remember(s_window, "noop", &record), 0);
    shoal_dedup_record_t found;
    cr_assert(shoal_dedup_lookup(s_window, "noop", &found));
    cr_assert_eq(found.reply_size, 0);
    cr_assert_eq(found.event_count, 0);
}

Test(dedup, forgets_the_oldest_id_past_the_capacity)
{
    s_window = shoal_dedup_new(3);
    s_remember(s_window, "c1", 1);
    s_remember(s_window, "c2", 2);
    s_remember(s_window, "c3", 3);
    s_remember(s_window, "c4", 4);
    cr_assert_eq(shoal_dedup_size(s_window), 3);
    s_assert_forgotten(s_window, "c1");
    s_assert_remembered(s_window, "c2", 2);
    s_assert_remembered(s_window, "c3", 3);
    s_assert_remembered(s_window, "c4", 4);

    /* Around the ring more than once. */
    char id[16];
    for (int n = 5; n <= 11; n++) {
        snprintf(id, sizeof id, "c%d", n);
        s_remember(s_window, id, n);
    }
    cr_assert_eq(shoal_dedup_size(s_window), 3);
    for (int n = 1; n <= 8; n++) {
        snprintf(id, sizeof id, "c%d", n);
        s_assert_forgotten(s_window, id);
    }
    s_assert_remembered(s_window, "c9", 9);
    s_assert_remembered(s_window, "c10", 10);
    s_assert_remembered(s_window, "c11", 11);
}

Test(dedup, a_window_of_one_keeps_the_latest)
{
    s_window = shoal_dedup_new(1);
    s_remember(s_window, "c1", 1);
    s_remember(s_window, "c2", 2);
    cr_assert_eq(shoal_dedup_size(s_window), 1);
    s_assert_forgotten(s_window, "c1");
    s_assert_remembered(s_window, "c2", 2);
}

Test(dedup, destroy_is_null_safe)
{
    shoal_dedup_t *window = shoal_dedup_new(2);
    s_remember(window, "c1", 1);
    shoal_dedup_destroy(&window);
    cr_assert_null(window);
    shoal_dedup_destroy(&window);
    shoal_dedup_destroy(NULL);
}

/* ---------------------------------------------------------------------
 * Encoding
 */

Test(dedup, encode_then_decode_gives_the_same_window)
{
    s_window = shoal_dedup_new(4);
    /* Wrapped: c3..c6 remain, the ring's start is mid-array. */
    char id[16];
    for (int n = 1; n <= 6; n++) {
        snprintf(id, sizeof id, "c%d", n);
        s_remember(s_window, id, n);
    }
    size_t size;
    void *data = s_encode(s_window, &size);

    shoal_dedup_t *copy = shoal_dedup_new(4);
    cr_assert_eq(shoal_dedup_decode(copy, data, size), 0);
    cr_assert_eq(shoal_dedup_size(copy), 4);
    for (int n = 3; n <= 6; n++) {
        snprintf(id, sizeof id, "c%d", n);
        s_assert_remembered(copy, id, n); /* odd n: rejected outcomes */
    }
    s_assert_forgotten(copy, "c2");

    /* The copy encodes to the same bytes. */
    size_t copy_size;
    void *copy_data = s_encode(copy, &copy_size);
    cr_assert_eq(copy_size, size);
    cr_assert_eq(memcmp(copy_data, data, size), 0);
    free(copy_data);
    free(data);
    shoal_dedup_destroy(&copy);
}

Test(dedup, decode_keeps_the_order_oldest_first)
{
    s_window = shoal_dedup_new(4);
    s_remember(s_window, "c1", 1);
    s_remember(s_window, "c2", 2);
    s_remember(s_window, "c3", 3);
    size_t size;
    void *data = s_encode(s_window, &size);

    /* Into a smaller window: the newest survive. */
    shoal_dedup_t *small = shoal_dedup_new(2);
    cr_assert_eq(shoal_dedup_decode(small, data, size), 0);
    s_assert_forgotten(small, "c1");
    s_assert_remembered(small, "c2", 2);
    s_assert_remembered(small, "c3", 3);
    shoal_dedup_destroy(&small);

    /* Into a full-size window, then one more: the oldest goes first. */
    shoal_dedup_t *same = shoal_dedup_new(3);
    cr_assert_eq(shoal_dedup_decode(same, data, size), 0);
    s_remember(same, "c4", 4);
    s_assert_forgotten(same, "c1");
    s_assert_remembered(same, "c2", 2);
    s_assert_remembered(same, "c4", 4);
    shoal_dedup_destroy(&same);
    free(data);
}

Test(dedup, an_empty_window_encodes_to_nothing)
{
    s_window = shoal_dedup_new(3);
    size_t size = 99;
    void *data = s_encode(s_window, &size);
    cr_assert_eq(size, 0);
    cr_assert_eq(shoal_dedup_decode(s_window, data, 0), 0);
    cr_assert_eq(shoal_dedup_size(s_window), 0);
    free(data);
}

Test(dedup, decode_of_every_truncation_fails_or_stops_at_a_record)
{
    shoal_dedup_t *source = shoal_dedup_new(4);
    s_remember(source, "first", 1);
    s_remember(source, "second-id", 22);
    size_t size;
    void *data = s_encode(source, &size);
    shoal_dedup_destroy(&source);
    /* Record one: u16 + id + u8 + u64 + u32 + u32 + reply. */
    size_t first_size = 2 + 5 + 1 + 8 + 4 + 4 + strlen("reply-1");

    for (size_t cut = 1; cut < size; cut++) {
        /* An exact copy, so that a read past it is caught by the memory
         * checkers. */
        void *prefix = malloc(cut);
        memcpy(prefix, data, cut);
        shoal_dedup_t *window = shoal_dedup_new(4);
        int rc = shoal_dedup_decode(window, prefix, cut);
        if (cut == first_size) {
            cr_assert_eq(rc, 0, "cut at the record boundary");
            cr_assert_eq(shoal_dedup_size(window), 1);
        } else {
            cr_assert_eq(rc, -1, "a truncation at %zu of %zu decoded", cut,
                         size);
        }
        /* Nothing past the last valid record is kept. */
        cr_assert_leq(shoal_dedup_size(window), 1);
        if (shoal_dedup_size(window) == 1)
            s_assert_remembered(window, "first", 1);
        shoal_dedup_destroy(&window);
        free(prefix);
    }
    free(data);
}

Test(dedup, decode_refuses_garbage_without_crashing)
{
    s_window = shoal_dedup_new(4);
    /* An empty id. */
    static const unsigned char empty_id[19] = {0};
    cr_assert_eq(shoal_dedup_decode(s_window, empty_id, sizeof empty_id), -1);
    /* An outcome that does not exist. */
    static const unsigned char bad_outcome[] = {1, 0, 'x', 7, 0, 0, 0, 0, 0, 0,
                                                0, 0, 0,   0, 0, 0, 0, 0, 0, 0};
    cr_assert_eq(shoal_dedup_decode(s_window, bad_outcome, sizeof bad_outcome),
                 -1);
    /* A reply length past the end. */
    static const unsigned char long_reply[] = {
        1, 0, 'x', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
    cr_assert_eq(shoal_dedup_decode(s_window, long_reply, sizeof long_reply),
                 -1);
    /* An id length past the end. */
    static const unsigned char long_id[] = {0xff, 0xff, 'x', 'y'};
    cr_assert_eq(shoal_dedup_decode(s_window, long_id, sizeof long_id), -1);
    /* One byte. */
    cr_assert_eq(shoal_dedup_decode(s_window, "\x01", 1), -1);
    cr_assert_eq(shoal_dedup_size(s_window), 0);

    /* Pseudo-random bytes of many lengths: any result, no crash. */
    uint32_t x = 88172645u;
    for (size_t size = 1; size < 300; size++) {
        unsigned char *bytes = malloc(size);
        for (size_t i = 0; i < size; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            bytes[i] = (unsigned char)x;
        }
        if (size > 2) /* short ids, so that some records parse */
            bytes[1] = 0;
        int rc = shoal_dedup_decode(s_window, bytes, size);
        cr_assert(rc == 0 || rc == -1);
        cr_assert_leq(shoal_dedup_size(s_window), 4);
        free(bytes);
    }
}
