/*
 * runtime/clock.h - the node's clock, which handlers see as `now`: the
 * system's wall clock, or a manual clock that only moves when told to, so
 * that tests can walk a scenario through time (a ban that lapses after a
 * minute, a timer that falls due while the node is down).
 *
 * One clock per node, read by every thread; the manual time is an atomic.
 */
#ifndef SHOAL_RUNTIME_CLOCK_H
#define SHOAL_RUNTIME_CLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    bool manual;
    _Atomic int64_t manual_ms;
} shoal_clock_t;

/* Sets up clock: manual from start_ms when start_ms > 0, else the wall
 * clock. */
void shoal_clock_init(shoal_clock_t *clock, int64_t start_ms);

/* The clock's time in ms since the Unix epoch (UTC). Thread-safe. */
int64_t shoal_clock_now_ms(shoal_clock_t *clock);

/* Sets a manual clock to ms; it never moves backwards. Returns 0, or -1
 * when the clock is not manual or ms is before its time. */
int shoal_clock_set_ms(shoal_clock_t *clock, int64_t ms);

#endif
