/*
 * tests/unit/test_rate_limit.c - so many per window and a count of the
 * rest (runtime/rate_limit.c), on a clock the tests move by hand.
 */
#include "runtime/rate_limit.h"

#include <criterion/criterion.h>

Test(rate_limit, allows_the_limit_per_window_then_counts_the_rest)
{
    shoal_rate_limit_t limit;
    shoal_rate_limit_init(&limit, 3, 1000);
    for (int i = 0; i < 3; i++)
        cr_assert(shoal_rate_limit_take(&limit, 5000 + i));
    cr_assert_not(shoal_rate_limit_take(&limit, 5100));
    cr_assert_not(shoal_rate_limit_take(&limit, 5999));
    cr_assert_eq(limit.dropped, 2);
}

Test(rate_limit, a_new_window_allows_again)
{
    shoal_rate_limit_t limit;
    shoal_rate_limit_init(&limit, 1, 1000);
    cr_assert(shoal_rate_limit_take(&limit, 0));
    cr_assert_not(shoal_rate_limit_take(&limit, 999));
    cr_assert(shoal_rate_limit_take(&limit, 1000));
    cr_assert_not(shoal_rate_limit_take(&limit, 1500));
}

Test(rate_limit, flush_reports_the_dropped_once_their_window_passed)
{
    shoal_rate_limit_t limit;
    shoal_rate_limit_init(&limit, 1, 1000);
    cr_assert_eq(shoal_rate_limit_flush(&limit, 0), 0);
    cr_assert_eq(shoal_rate_limit_wait_ms(&limit, 0), -1);
    shoal_rate_limit_take(&limit, 100);
    shoal_rate_limit_take(&limit, 200);
    shoal_rate_limit_take(&limit, 300);
    cr_assert_eq(shoal_rate_limit_wait_ms(&limit, 400), 700);
    cr_assert_eq(shoal_rate_limit_flush(&limit, 400), 0, "window not over");
    cr_assert_eq(shoal_rate_limit_wait_ms(&limit, 1100), 0);
    cr_assert_eq(shoal_rate_limit_flush(&limit, 1100), 2);
    cr_assert_eq(shoal_rate_limit_flush(&limit, 1200), 0, "counted anew");
    cr_assert_eq(shoal_rate_limit_wait_ms(&limit, 1200), -1);
}

Test(rate_limit, the_first_take_starts_a_window_at_any_clock)
{
    shoal_rate_limit_t limit;
    shoal_rate_limit_init(&limit, 2, 60000);
    cr_assert(shoal_rate_limit_take(&limit, -5));
    cr_assert(shoal_rate_limit_take(&limit, 0));
    cr_assert_not(shoal_rate_limit_take(&limit, 10));
}
