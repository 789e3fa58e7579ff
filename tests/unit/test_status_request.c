/*
 * tests/unit/test_status_request.c - parsing the status socket's requests
 * (runtime/status_request.c): the three requests, and every way a request
 * is malformed, each with the message the node answers.
 *
 * Each frame is a heap copy of exactly its size, with no NUL after it, so
 * that a parser treating a frame as a C string is caught by valgrind or
 * ASan.
 */
#include "runtime/status_request.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#define MESSAGE_MAX 4

static shoal_frame_t s_frames[MESSAGE_MAX];
static size_t s_count;

/* Appends a heap copy of size bytes of data as a frame. */
static void s_add(const void *data, size_t size)
{
    cr_assert_lt(s_count, MESSAGE_MAX);
    void *copy = malloc(size ? size : 1);
    cr_assert_not_null(copy);
    if (size)
        memcpy(copy, data, size);
    s_frames[s_count++] = (shoal_frame_t){copy, size};
}

/* Appends a text frame, without its NUL. */
static void s_addstr(const char *text)
{
    s_add(text, strlen(text));
}

static void s_teardown(void)
{
    for (size_t i = 0; i < s_count; i++)
        free((void *)s_frames[i].data);
    s_count = 0;
}

TestSuite(status_request, .fini = s_teardown);

/* Parses the frames added so far; the request lives until the next parse
 * (its arguments point into it). */
static const shoal_status_request_t *s_parse(bool truncated)
{
    static shoal_status_request_t request;
    memset(&request, 0x55, sizeof request);
    shoal_status_request_parse(s_frames, s_count, truncated, &request);
    if (request.kind == SHOAL_STATUS_REQUEST_MALFORMED)
        cr_assert_not_null(request.error);
    else
        cr_assert_null(request.error);
    return &request;
}

/* Expects the frames added so far to be malformed with a message that
 * holds fragment. */
static void s_expect_malformed(bool truncated, const char *fragment)
{
    const shoal_status_request_t *request = s_parse(truncated);
    cr_assert_eq(request->kind, SHOAL_STATUS_REQUEST_MALFORMED);
    cr_assert_null(request->arguments);
    cr_assert(strstr(request->error, fragment), "error: %s", request->error);
}

Test(status_request, status_and_metrics_are_recognized)
{
    s_addstr("status");
    cr_assert_eq(s_parse(false)->kind, SHOAL_STATUS_REQUEST_STATUS);
    s_teardown();
    s_addstr("metrics");
    cr_assert_eq(s_parse(false)->kind, SHOAL_STATUS_REQUEST_METRICS);
}

Test(status_request, get_hands_over_the_text_after_the_verb)
{
    s_addstr("get account 42");
    const shoal_status_request_t *request = s_parse(false);
    cr_assert_eq(request->kind, SHOAL_STATUS_REQUEST_GET);
    cr_assert_str_eq(request->arguments, "account 42");
    cr_assert_eq(request->arguments, request->text + 4);
}

Test(status_request, get_with_nothing_after_it_is_still_a_get)
{
    /* The node answers its usage; the split is the node's. */
    s_addstr("get ");
    const shoal_status_request_t *request = s_parse(false);
    cr_assert_eq(request->kind, SHOAL_STATUS_REQUEST_GET);
    cr_assert_str_eq(request->arguments, "");
}

Test(status_request, clock_dead_letters_and_retry_hand_over_their_arguments)
{
    struct {
        const char *text;
        shoal_status_request_kind_t kind;
        const char *arguments;
    } cases[] = {
        {"clock", SHOAL_STATUS_REQUEST_CLOCK, ""},
        {"clock set 1800000000000", SHOAL_STATUS_REQUEST_CLOCK,
         " set 1800000000000"},
        {"dead-letters", SHOAL_STATUS_REQUEST_DEAD_LETTERS, ""},
        {"dead-letters wish-lookup", SHOAL_STATUS_REQUEST_DEAD_LETTERS,
         " wish-lookup"},
        {"retry 7", SHOAL_STATUS_REQUEST_RETRY, "7"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_addstr(cases[i].text);
        const shoal_status_request_t *request = s_parse(false);
        cr_assert_eq(request->kind, cases[i].kind, "%s", cases[i].text);
        cr_assert_str_eq(request->arguments, cases[i].arguments);
        s_teardown();
    }
}

Test(status_request, leave_takes_no_arguments)
{
    s_addstr("leave");
    const shoal_status_request_t *request = s_parse(false);
    cr_assert_eq(request->kind, SHOAL_STATUS_REQUEST_LEAVE);
    cr_assert_null(request->arguments);
    s_teardown();
    s_addstr("leave now");
    s_expect_malformed(false, "unknown request");
}

Test(status_request, unknown_verbs_are_malformed)
{
    const char *texts[] = {"",        "get",      "Status",
                           "status ", "metricsx", "GET a b",
                           "clocks",  "retry",    "dead-lettersx"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        s_addstr(texts[i]);
        s_expect_malformed(false, "unknown request");
        s_teardown();
    }
}

Test(status_request, a_request_is_exactly_one_frame)
{
    s_expect_malformed(false, "one text frame");
    s_addstr("status");
    s_addstr("status");
    s_expect_malformed(false, "one text frame");
}

Test(status_request, a_truncated_message_is_malformed)
{
    s_addstr("status");
    s_expect_malformed(true, "one text frame");
}

Test(status_request, a_frame_with_a_nul_is_malformed)
{
    s_add("status\0x", 8);
    s_expect_malformed(false, "one text frame");
}

Test(status_request, the_longest_request_fits_and_one_more_byte_does_not)
{
    char text[SHOAL_STATUS_REQUEST_MAX + 2];
    memset(text, 'x', sizeof text);
    memcpy(text, "get ", 4);
    s_add(text, SHOAL_STATUS_REQUEST_MAX);
    const shoal_status_request_t *request = s_parse(false);
    cr_assert_eq(request->kind, SHOAL_STATUS_REQUEST_GET);
    cr_assert_eq(strlen(request->arguments), SHOAL_STATUS_REQUEST_MAX - 4);
    s_teardown();
    s_add(text, SHOAL_STATUS_REQUEST_MAX + 1);
    s_expect_malformed(false, "one text frame");
}
