/*
 * tests/fuzz/fuzz_dedup.c - libFuzzer target: an entity's dedup window as
 * read back from a snapshot, decoded with shoal_dedup_decode
 * (actors/dedup.h).
 *
 * The input's first byte sets the window's capacity (1 to 16 ids); the
 * rest is the encoded window (a heap copy of exactly its size).
 *
 * Properties checked: decoding never reads outside the bytes; the window
 * never holds more than its capacity; what was decoded, encoded and
 * decoded again encodes to the same bytes; every id it remembers is found
 * by lookup with its outcome; nothing leaks.
 */
#include "fuzz.h"
#include "actors/dedup.h"

/* Encodes a window; the bytes are the caller's. */
static uint8_t *s_encode(const shoal_dedup_t *window, size_t *size)
{
    void *data = NULL;
    FUZZ_CHECK(shoal_dedup_encode(window, &data, size) == 0);
    return data;
}

/* Looks up every id of an encoding made by shoal_dedup_encode in window
 * (ids with a NUL in them cannot be asked for, and are skipped). */
static void s_check_lookups(const shoal_dedup_t *window, const uint8_t *data,
                            size_t size)
{
    const uint8_t *at = data, *end = data + size;
    while (at < end) {
        size_t id_size = (size_t)at[0] | (size_t)at[1] << 8;
        char *id = malloc(id_size + 1);
        FUZZ_CHECK(id);
        memcpy(id, at + 2, id_size);
        id[id_size] = '\0';
        at += 2 + id_size;
        size_t reply_size = (size_t)at[13] | (size_t)at[14] << 8 |
                            (size_t)at[15] << 16 | (size_t)at[16] << 24;
        at += 17 + reply_size;
        FUZZ_CHECK(at <= end);
        shoal_dedup_record_t record;
        if (strlen(id) == id_size) {
            FUZZ_CHECK(shoal_dedup_lookup(window, id, &record));
            FUZZ_CHECK(record.outcome == SHOAL_OUTCOME_ACCEPTED ||
                       record.outcome == SHOAL_OUTCOME_REJECTED);
        }
        free(id);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t capacity = 1 + data[0] % 16;
    shoal_dedup_t *window = shoal_dedup_new(capacity);
    FUZZ_CHECK(window);
    shoal_dedup_decode(window, data + 1, size - 1);
    FUZZ_CHECK(shoal_dedup_size(window) <= capacity);

    size_t first_size;
    uint8_t *first = s_encode(window, &first_size);
    s_check_lookups(window, first, first_size);
    shoal_dedup_t *again = shoal_dedup_new(capacity);
    FUZZ_CHECK(again);
    FUZZ_CHECK(shoal_dedup_decode(again, first, first_size) == 0);
    FUZZ_CHECK(shoal_dedup_size(again) == shoal_dedup_size(window));
    size_t second_size;
    uint8_t *second = s_encode(again, &second_size);
    FUZZ_CHECK(second_size == first_size);
    FUZZ_CHECK(first_size == 0 || memcmp(first, second, first_size) == 0);

    free(first);
    free(second);
    shoal_dedup_destroy(&again);
    shoal_dedup_destroy(&window);
    return 0;
}
