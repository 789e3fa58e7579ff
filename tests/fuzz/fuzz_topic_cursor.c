/*
 * tests/fuzz/fuzz_topic_cursor.c - libFuzzer target: a topic cursor as a
 * consumer sends it in an EVENTS request (runtime/topic_cursor.h).
 *
 * The input's first byte picks the shard count (1..256); the rest is the
 * cursor text.
 *
 * Properties checked: parsing never reads past the text; a refused cursor
 * says why; an accepted one formats back to a cursor that parses to the
 * same positions, and formatting is canonical (formatting that again gives
 * the same text).
 */
#include "fuzz.h"
#include "runtime/topic_cursor.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint32_t shards = (uint32_t)data[0] + 1;
    size_t text_size = size - 1;
    char *text = malloc(text_size ? text_size : 1);
    FUZZ_CHECK(text);
    if (text_size)
        memcpy(text, data + 1, text_size);
    uint64_t *seqs = calloc(shards, sizeof *seqs);
    uint64_t *again = calloc(shards, sizeof *again);
    FUZZ_CHECK(seqs && again);
    char error[256] = "";
    if (shoal_topic_cursor_parse(text, text_size, shards, seqs, error,
                                 sizeof error) < 0) {
        FUZZ_CHECK(*error);
    } else {
        char *formatted = shoal_topic_cursor_format(seqs, shards);
        FUZZ_CHECK(formatted);
        FUZZ_CHECK(shoal_topic_cursor_parse(formatted, strlen(formatted),
                                            shards, again, error,
                                            sizeof error) == 0);
        FUZZ_CHECK(memcmp(seqs, again, shards * sizeof *seqs) == 0);
        char *twice = shoal_topic_cursor_format(again, shards);
        FUZZ_CHECK(twice && strcmp(formatted, twice) == 0);
        free(twice);
        free(formatted);
    }
    free(again);
    free(seqs);
    free(text);
    return 0;
}
