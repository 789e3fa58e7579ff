/*
 * tests/fuzz/fuzz.h - what the libFuzzer targets of tests/fuzz share: a
 * check that aborts whatever the build, and the splitting of a fuzz input
 * into the frames of one message.
 *
 * A message's input is its frames one after the other, each a length and
 * then that many bytes. The length is one byte, 0..254; the byte 255 means
 * the length follows as two bytes, little-endian. A length past the end of
 * the input takes what is left. At most FUZZ_FRAMES_MAX frames are read;
 * bytes after them are ignored. Each frame is a heap copy of exactly its
 * size, so that ASan catches a read past a frame.
 */
#ifndef SHOAL_TESTS_FUZZ_H
#define SHOAL_TESTS_FUZZ_H

#include "runtime/protocol.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Aborts, naming the broken property, when cond is false. */
#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* Most frames a fuzzed message has: more than any request may have. */
#define FUZZ_FRAMES_MAX (SHOAL_FRAMES_MAX + 4)

typedef struct {
    shoal_frame_t frames[FUZZ_FRAMES_MAX];
    size_t count;
} fuzz_message_t;

/* Splits data into message's frames (heap copies; fuzz_message_free). */
static inline void fuzz_message_split(const uint8_t *data, size_t size,
                                      fuzz_message_t *message)
{
    size_t at = 0;
    message->count = 0;
    while (at < size && message->count < FUZZ_FRAMES_MAX) {
        size_t length = data[at++];
        if (length == 255) {
            length = at < size ? data[at++] : 0;
            length |= at < size ? (size_t)data[at++] << 8 : 0;
        }
        if (length > size - at)
            length = size - at;
        void *copy = malloc(length ? length : 1);
        FUZZ_CHECK(copy);
        if (length)
            memcpy(copy, data + at, length);
        message->frames[message->count++] = (shoal_frame_t){copy, length};
        at += length;
    }
}

/* Frees the frames of a split message. */
static inline void fuzz_message_free(fuzz_message_t *message)
{
    for (size_t i = 0; i < message->count; i++)
        free((void *)message->frames[i].data);
    message->count = 0;
}

/* Where fuzz_touch leaves its sum, so that its reads are not optimized
 * away. */
static volatile unsigned fuzz_sink;

/* Reads every byte of frames, so that ASan checks they are all readable. */
static inline void fuzz_touch(const shoal_frame_t *frames, size_t count)
{
    unsigned sum = 0;
    for (size_t i = 0; i < count; i++)
        for (size_t j = 0; j < frames[i].size; j++)
            sum += ((const uint8_t *)frames[i].data)[j];
    fuzz_sink += sum;
}

#endif
