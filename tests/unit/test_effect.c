/*
 * tests/unit/test_effect.c - the handler context and the effect of one
 * command (actors/effect.c): emitting, replying and rejecting, the packed
 * event buffer and its walk, the limits, and the deterministic ids a
 * handler draws.
 */
#include "actors/effect.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static shoal_effect_t *s_effect;

static void s_setup(void)
{
    s_effect = shoal__effect_new();
    cr_assert_not_null(s_effect);
}

static void s_teardown(void)
{
    shoal__effect_destroy(&s_effect);
}

TestSuite(effect, .init = s_setup, .fini = s_teardown);

/* Asserts the effect's reply is exactly text. */
static void s_assert_reply(const char *text)
{
    size_t size = 99;
    const void *reply = shoal__effect_reply(s_effect, &size);
    cr_assert_eq(size, strlen(text), "reply size %zu, expected %zu", size,
                 strlen(text));
    if (size)
        cr_assert_eq(memcmp(reply, text, size), 0);
}

/* Draws one id from a context made with the given seed inputs. */
static void s_draw(const char *key, uint64_t sequence, const char *command_id,
                   int draws, char id[SHOAL_ID_SIZE])
{
    shoal_ctx_t ctx;
    shoal__ctx_init(&ctx, 0, key, "e1", sequence, command_id);
    for (int i = 0; i < draws; i++)
        shoal_ctx_new_id(&ctx, id);
}

/* ---------------------------------------------------------------------
 * The effect
 */

Test(effect, a_new_effect_is_an_accepted_command_with_nothing)
{
    cr_assert_not(shoal__effect_rejected(s_effect));
    cr_assert_not(shoal__effect_failed(s_effect));
    cr_assert_eq(shoal__effect_event_count(s_effect), 0);
    size_t size = 99;
    shoal__effect_events(s_effect, &size);
    cr_assert_eq(size, 0);
    s_assert_reply("");
}

Test(effect, emit_packs_each_event_with_its_length)
{
    cr_assert_eq(shoal_effect_emit(s_effect, "abc", 3), 0);
    cr_assert_eq(shoal_effect_emit(s_effect, NULL, 0), 0);
    static const unsigned char binary[] = {0, 0xff, 0};
    cr_assert_eq(shoal_effect_emit(s_effect, binary, sizeof binary), 0);
    cr_assert_eq(shoal__effect_event_count(s_effect), 3);

    size_t size;
    const uint8_t *events = shoal__effect_events(s_effect, &size);
    static const uint8_t expected[] = {3, 0, 0, 0, 'a', 'b', 'c', 0,    0,
                                       0, 0, 3, 0, 0,   0,   0,   0xff, 0};
    cr_assert_eq(size, sizeof expected);
    cr_assert_eq(memcmp(events, expected, size), 0);
}

Test(effect, emit_copies_the_event)
{
    char event[] = "first";
    shoal_effect_emit(s_effect, event, 5);
    memcpy(event, "XXXXX", 5);
    size_t size;
    const uint8_t *events = shoal__effect_events(s_effect, &size);
    cr_assert_eq(memcmp(events + 4, "first", 5), 0);
}

Test(effect, large_events_keep_their_length_and_bytes)
{
    size_t big = 70000; /* more than 16 bits of length */
    char *event = malloc(big);
    for (size_t i = 0; i < big; i++)
        event[i] = (char)(i * 7);
    for (int i = 0; i < 3; i++) /* grows the buffer more than once */
        cr_assert_eq(shoal_effect_emit(s_effect, event, big), 0);

    size_t size, offset = 0, event_size;
    const uint8_t *events = shoal__effect_events(s_effect, &size);
    const void *read;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(
            shoal__events_next(events, size, &offset, &read, &event_size), 1);
        cr_assert_eq(event_size, big);
        cr_assert_eq(memcmp(read, event, big), 0);
    }
    cr_assert_eq(shoal__events_next(events, size, &offset, &read, &event_size),
                 0);
    free(event);
}

Test(effect, reply_is_copied_and_the_last_one_wins)
{
    char reply[] = "one";
    cr_assert_eq(shoal_effect_reply(s_effect, reply, 3), 0);
    reply[0] = 'X';
    s_assert_reply("one");
    cr_assert_eq(shoal_effect_reply(s_effect, "second", 6), 0);
    s_assert_reply("second");
    cr_assert_eq(shoal_effect_reply(s_effect, NULL, 0), 0);
    s_assert_reply("");
    cr_assert_not(shoal__effect_rejected(s_effect));
}

Test(effect, reject_sets_the_reason)
{
    cr_assert_eq(shoal_effect_reject(s_effect, "insufficient funds"), 0);
    cr_assert(shoal__effect_rejected(s_effect));
    s_assert_reply("insufficient funds");
}

Test(effect, reject_replaces_an_earlier_reply)
{
    shoal_effect_reply(s_effect, "{\"ok\":true}", 11);
    shoal_effect_reject(s_effect, "no");
    cr_assert(shoal__effect_rejected(s_effect));
    s_assert_reply("no");
}

Test(effect, reply_after_reject_keeps_the_reason)
{
    shoal_effect_reject(s_effect, "too late");
    cr_assert_eq(shoal_effect_reply(s_effect, "{\"ok\":true}", 11), 0);
    cr_assert(shoal__effect_rejected(s_effect));
    s_assert_reply("too late");
    cr_assert_not(shoal__effect_failed(s_effect));
}

Test(effect, reject_without_reason_has_an_empty_one)
{
    shoal_effect_reply(s_effect, "x", 1);
    shoal_effect_reject(s_effect, NULL);
    cr_assert(shoal__effect_rejected(s_effect));
    s_assert_reply("");
}

Test(effect, a_rejection_keeps_its_events)
{
    shoal_effect_emit(s_effect, "before", 6);
    shoal_effect_reject(s_effect, "no");
    shoal_effect_emit(s_effect, "after", 5);
    cr_assert(shoal__effect_rejected(s_effect));
    cr_assert_eq(shoal__effect_event_count(s_effect), 2);
}

Test(effect, reset_empties_the_effect)
{
    shoal_effect_emit(s_effect, "e", 1);
    shoal_effect_reject(s_effect, "no");
    shoal_effect_emit(s_effect, NULL, SHOAL_EFFECT_MAX_BYTES + 1);
    cr_assert(shoal__effect_failed(s_effect));
    shoal__effect_reset(s_effect);
    cr_assert_not(shoal__effect_rejected(s_effect));
    cr_assert_not(shoal__effect_failed(s_effect));
    cr_assert_eq(shoal__effect_event_count(s_effect), 0);
    size_t size;
    shoal__effect_events(s_effect, &size);
    cr_assert_eq(size, 0);
    s_assert_reply("");
    /* And it works again. */
    shoal_effect_emit(s_effect, "f", 1);
    cr_assert_eq(shoal__effect_event_count(s_effect), 1);
}

Test(effect, emit_past_the_byte_limit_fails_the_effect)
{
    /* The size is checked before the bytes are read. */
    static const char small[1];
    cr_assert_eq(shoal_effect_emit(s_effect, small, SHOAL_EFFECT_MAX_BYTES),
                 -1);
    cr_assert(shoal__effect_failed(s_effect));
    cr_assert_eq(shoal__effect_event_count(s_effect), 0);
}

Test(effect, emit_past_the_event_limit_fails_the_effect)
{
    for (int i = 0; i < SHOAL_EFFECT_MAX_EVENTS; i++)
        cr_assert_eq(shoal_effect_emit(s_effect, NULL, 0), 0);
    cr_assert_not(shoal__effect_failed(s_effect));
    cr_assert_eq(shoal_effect_emit(s_effect, NULL, 0), -1);
    cr_assert(shoal__effect_failed(s_effect));
    cr_assert_eq(shoal__effect_event_count(s_effect), SHOAL_EFFECT_MAX_EVENTS);
}

Test(effect, reply_past_the_byte_limit_fails_the_effect)
{
    static const char small[1];
    cr_assert_eq(
        shoal_effect_reply(s_effect, small, SHOAL_EFFECT_MAX_BYTES + 1), -1);
    cr_assert(shoal__effect_failed(s_effect));
}

Test(effect, destroy_is_null_safe)
{
    shoal__effect_destroy(&s_effect);
    cr_assert_null(s_effect);
    shoal__effect_destroy(&s_effect);
    shoal__effect_destroy(NULL);
}

/* ---------------------------------------------------------------------
 * Walking packed events
 */

Test(effect, events_next_walks_every_event_then_stops)
{
    static const uint8_t buffer[] = {2, 0, 0, 0, 'h', 'i', 0,  0,
                                     0, 0, 1, 0, 0,   0,   '!'};
    size_t offset = 0, size;
    const void *event;
    cr_assert_eq(
        shoal__events_next(buffer, sizeof buffer, &offset, &event, &size), 1);
    cr_assert_eq(size, 2);
    cr_assert_eq(memcmp(event, "hi", 2), 0);
    cr_assert_eq(
        shoal__events_next(buffer, sizeof buffer, &offset, &event, &size), 1);
    cr_assert_eq(size, 0);
    cr_assert_eq(
        shoal__events_next(buffer, sizeof buffer, &offset, &event, &size), 1);
    cr_assert_eq(size, 1);
    cr_assert_eq(*(const char *)event, '!');
    cr_assert_eq(offset, sizeof buffer);
    cr_assert_eq(
        shoal__events_next(buffer, sizeof buffer, &offset, &event, &size), 0);
    cr_assert_eq(
        shoal__events_next(buffer, sizeof buffer, &offset, &event, &size), 0);
}

Test(effect, events_next_on_an_empty_buffer_is_the_end)
{
    size_t offset = 0, size;
    const void *event;
    cr_assert_eq(shoal__events_next(NULL, 0, &offset, &event, &size), 0);
}

Test(effect, events_next_detects_a_length_past_the_end)
{
    static const uint8_t buffer[] = {5, 0, 0, 0, 'a', 'b'};
    size_t offset = 0, size;
    const void *event;
    cr_assert_eq(
        shoal__events_next(buffer, sizeof buffer, &offset, &event, &size), -1);
    cr_assert_eq(offset, 0, "a corrupt event must not advance the offset");

    /* A huge length must not wrap around the bounds check. */
    static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 'a'};
    cr_assert_eq(shoal__events_next(huge, sizeof huge, &offset, &event, &size),
                 -1);
}

Test(effect, events_next_detects_a_truncated_length)
{
    static const uint8_t buffer[] = {1, 0, 0, 0, 'a', 1, 0};
    size_t offset = 0, size;
    const void *event;
    cr_assert_eq(
        shoal__events_next(buffer, sizeof buffer, &offset, &event, &size), 1);
    cr_assert_eq(
        shoal__events_next(buffer, sizeof buffer, &offset, &event, &size), -1);
}

Test(effect, events_next_detects_every_truncation_of_a_real_buffer)
{
    shoal_effect_emit(s_effect, "alpha", 5);
    shoal_effect_emit(s_effect, "be", 2);
    size_t total;
    const uint8_t *events = shoal__effect_events(s_effect, &total);
    for (size_t cut = 0; cut < total; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, events, cut);
        size_t offset = 0, size;
        const void *event;
        int rc, count = 0;
        while ((rc = shoal__events_next(copy, cut, &offset, &event, &size)) ==
               1)
            count++;
        bool boundary = cut == 0 || cut == 4 + 5;
        cr_assert_eq(rc, boundary ? 0 : -1, "cut at %zu", cut);
        free(copy);
    }
}

/* ---------------------------------------------------------------------
 * The context and its ids
 */

Test(effect, ctx_reports_its_clock_entity_and_sequence)
{
    shoal_ctx_t ctx;
    shoal__ctx_init(&ctx, 1700000000123, "counter/e9", "e9", 41, NULL);
    cr_assert_eq(shoal_ctx_now_ms(&ctx), 1700000000123);
    cr_assert_str_eq(shoal_ctx_entity_id(&ctx), "e9");
    cr_assert_eq(shoal_ctx_sequence(&ctx), 41);
}

Test(effect, ids_are_32_lower_case_hex_digits)
{
    shoal_ctx_t ctx;
    shoal__ctx_init(&ctx, 0, "counter/e1", "e1", 0, "c1");
    for (int draw = 0; draw < 50; draw++) {
        char id[SHOAL_ID_SIZE];
        memset(id, 'Z', sizeof id);
        shoal_ctx_new_id(&ctx, id);
        cr_assert_eq(id[32], '\0');
        cr_assert_eq(strlen(id), 32);
        cr_assert_eq(strspn(id, "0123456789abcdef"), 32, "id %s", id);
    }
}

Test(effect, the_same_command_id_draws_the_same_ids)
{
    char first[SHOAL_ID_SIZE], again[SHOAL_ID_SIZE];
    for (int draws = 1; draws <= 3; draws++) {
        s_draw("counter/e1", 5, "cmd-1", draws, first);
        s_draw("counter/e1", 5, "cmd-1", draws, again);
        cr_assert_str_eq(first, again, "draw %d", draws);
    }
    /* A retry sees a later sequence; its ids must not change. */
    s_draw("counter/e1", 6, "cmd-1", 1, again);
    s_draw("counter/e1", 5, "cmd-1", 1, first);
    cr_assert_str_eq(first, again, "the command id alone seeds the ids");
}

Test(effect, different_command_ids_and_draws_give_different_ids)
{
    char ids[6][SHOAL_ID_SIZE];
    s_draw("counter/e1", 0, "cmd-1", 1, ids[0]);
    s_draw("counter/e1", 0, "cmd-1", 2, ids[1]); /* the second draw */
    s_draw("counter/e1", 0, "cmd-2", 1, ids[2]);
    s_draw("counter/e2", 0, "cmd-1", 1, ids[3]); /* another entity */
    s_draw("counter/e1", 0, NULL, 1, ids[4]);    /* no command id */
    s_draw("counter/e1", 1, NULL, 1, ids[5]);    /* ... later sequence */
    for (int i = 0; i < 6; i++)
        for (int j = i + 1; j < 6; j++)
            cr_assert_str_neq(ids[i], ids[j], "ids %d and %d are both %s", i, j,
                              ids[i]);
}

Test(effect, without_command_id_ids_follow_entity_and_sequence)
{
    char first[SHOAL_ID_SIZE], again[SHOAL_ID_SIZE];
    s_draw("counter/e1", 7, NULL, 2, first);
    s_draw("counter/e1", 7, NULL, 2, again);
    cr_assert_str_eq(first, again);
    /* An empty command id is no command id. */
    s_draw("counter/e1", 7, "", 2, again);
    cr_assert_str_eq(first, again);
}
