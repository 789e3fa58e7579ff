/*
 * runtime/topic_cursor.c - topic cursors (see topic_cursor.h).
 */
#include "runtime/topic_cursor.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a decimal number at *at (before end), at most max. Returns 0 and
 * advances *at, or -1. */
static int s_number(const char **at, const char *end, uint64_t max,
                    uint64_t *value)
{
    const char *start = *at;
    uint64_t number = 0;
    while (*at < end && **at >= '0' && **at <= '9') {
        uint64_t digit = (uint64_t)(**at - '0');
        if (number > (max - digit) / 10)
            return -1;
        number = number * 10 + digit;
        (*at)++;
    }
    if (*at == start)
        return -1;
    *value = number;
    return 0;
}

int shoal_topic_cursor_parse(const char *text, size_t size, uint32_t shards,
                             uint64_t *seqs, char *error, size_t error_size)
{
    memset(seqs, 0, shards * sizeof *seqs);
    const char *at = text, *end = text + size;
    int64_t previous = -1;
    while (at < end) {
        uint64_t shard, seq;
        if (s_number(&at, end, UINT32_MAX, &shard) < 0 || at == end ||
            *at++ != ':' || s_number(&at, end, INT64_MAX, &seq) < 0 ||
            (at < end && *at != ',') || (at < end && at + 1 == end)) {
            snprintf(error, error_size,
                     "cursor: expected SHARD:SEQ[,SHARD:SEQ...] at byte %zu",
                     (size_t)(at - text));
            return -1;
        }
        if (at < end)
            at++; /* the comma */
        if (shard >= shards) {
            snprintf(error, error_size,
                     "cursor: shard %" PRIu64 " is out of range (this "
                     "cluster has %u shards)",
                     shard, shards);
            return -1;
        }
        if ((int64_t)shard <= previous) {
            snprintf(error, error_size,
                     "cursor: shards must be ascending and distinct (shard "
                     "%" PRIu64 ")",
                     shard);
            return -1;
        }
        previous = (int64_t)shard;
        seqs[shard] = seq;
    }
    return 0;
}

char *shoal_topic_cursor_format(const uint64_t *seqs, uint32_t shards)
{
    size_t capacity = 1, used = 0;
    for (uint32_t i = 0; i < shards; i++)
        if (seqs[i])
            capacity += 32;
    char *text = malloc(capacity);
    if (!text)
        return NULL;
    text[0] = '\0';
    for (uint32_t i = 0; i < shards; i++) {
        if (!seqs[i])
            continue;
        used += (size_t)snprintf(text + used, capacity - used, "%s%u:%" PRIu64,
                                 used ? "," : "", i, seqs[i]);
    }
    return text;
}
