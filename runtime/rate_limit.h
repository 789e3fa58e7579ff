/*
 * runtime/rate_limit.h - at most so many of something per window of time,
 * counting the rest: keeps a log line that anyone on the network can
 * provoke (a refused connection) from flooding the log, while saying how
 * many were left out.
 */
#ifndef SHOAL_RUNTIME_RATE_LIMIT_H
#define SHOAL_RUNTIME_RATE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

/* Caller-allocated; fill with shoal_rate_limit_init. */
typedef struct {
    uint32_t limit;          /* allowed per window */
    int64_t window_ms;       /* the window's length */
    int64_t window_start_ms; /* when the current window began */
    uint32_t taken;          /* allowed in the current window */
    uint64_t dropped;        /* refused since the last flush */
} shoal_rate_limit_t;

/* Allows limit (at least 1) per window_ms (at least 1) from now on. */
void shoal_rate_limit_init(shoal_rate_limit_t *self, uint32_t limit,
                           int64_t window_ms);

/* Asks for one more at now_ms (a monotonic clock). Returns true when it
 * is within the window's limit; false when the limit is spent, counting
 * it as dropped. A new window begins when the current one has passed. */
bool shoal_rate_limit_take(shoal_rate_limit_t *self, int64_t now_ms);

/* Once the window in which some were dropped has passed, returns how many
 * and starts counting anew; before that, or with none dropped, returns
 * 0. */
uint64_t shoal_rate_limit_flush(shoal_rate_limit_t *self, int64_t now_ms);

/* Milliseconds from now_ms until shoal_rate_limit_flush would return
 * something (0: already), or -1 when nothing was dropped. For a poll
 * timeout. */
int64_t shoal_rate_limit_wait_ms(const shoal_rate_limit_t *self,
                                 int64_t now_ms);

#endif
