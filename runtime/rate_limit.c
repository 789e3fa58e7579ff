/*
 * runtime/rate_limit.c - a fixed-window limit with a count of what it
 * refused. Fixed windows are coarse (twice the limit can pass across a
 * window's edge) and that is enough for log lines.
 */
#include "runtime/rate_limit.h"

#include <assert.h>

void shoal_rate_limit_init(shoal_rate_limit_t *self, uint32_t limit,
                           int64_t window_ms)
{
    assert(limit >= 1 && window_ms >= 1);
    *self = (shoal_rate_limit_t){.limit = limit, .window_ms = window_ms};
    self->window_start_ms = INT64_MIN / 2; /* the first take starts one */
}

/* True when the window that began at window_start_ms has passed. */
static bool s_window_passed(const shoal_rate_limit_t *self, int64_t now_ms)
{
    return now_ms - self->window_start_ms >= self->window_ms;
}

bool shoal_rate_limit_take(shoal_rate_limit_t *self, int64_t now_ms)
{
    if (s_window_passed(self, now_ms)) {
        self->window_start_ms = now_ms;
        self->taken = 0;
    }
    if (self->taken < self->limit) {
        self->taken++;
        return true;
    }
    self->dropped++;
    return false;
}

uint64_t shoal_rate_limit_flush(shoal_rate_limit_t *self, int64_t now_ms)
{
    if (!self->dropped || !s_window_passed(self, now_ms))
        return 0;
    uint64_t dropped = self->dropped;
    self->dropped = 0;
    return dropped;
}

int64_t shoal_rate_limit_wait_ms(const shoal_rate_limit_t *self, int64_t now_ms)
{
    if (!self->dropped)
        return -1;
    int64_t left = self->window_start_ms + self->window_ms - now_ms;
    return left > 0 ? left : 0;
}
