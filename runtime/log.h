/*
 * runtime/log.h - one line per event that matters to an operator, on
 * stderr, with a level, a UTC timestamp and the node's name.
 */
#ifndef SHOAL_RUNTIME_LOG_H
#define SHOAL_RUNTIME_LOG_H

#include "runtime/config.h"

/* Sets the level below which lines are dropped, and the node name every
 * line carries (copied; at most 63 bytes kept). Call once before threads
 * start. */
void shoal_log_init(shoal_log_level_t level, const char *node_name);

/* Writes one line at level, when the level is enabled. Thread-safe: each
 * line is written with a single write. */
void shoal_log(shoal_log_level_t level, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#endif
