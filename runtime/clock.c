/*
 * runtime/clock.c - the node's clock (see clock.h).
 */
#include "runtime/clock.h"

#include <time.h>

void shoal_clock_init(shoal_clock_t *clock, int64_t start_ms)
{
    clock->manual = start_ms > 0;
    atomic_store(&clock->manual_ms, start_ms);
}

int64_t shoal_clock_now_ms(shoal_clock_t *clock)
{
    if (clock->manual)
        return atomic_load(&clock->manual_ms);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int shoal_clock_set_ms(shoal_clock_t *clock, int64_t ms)
{
    if (!clock->manual)
        return -1;
    int64_t now = atomic_load(&clock->manual_ms);
    while (ms >= now) {
        if (atomic_compare_exchange_weak(&clock->manual_ms, &now, ms))
            return 0;
    }
    return -1;
}
