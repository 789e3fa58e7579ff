/*
 * tests/fuzz/fuzz_events.c - libFuzzer target: the packed events of a
 * journal entry as read back, walked with shoal__events_next
 * (actors/effect.h): each event a 4-byte little-endian length and its
 * bytes.
 *
 * The input is the packed buffer (a heap copy of exactly its size).
 *
 * Properties checked: the walk never reads outside the buffer, always
 * moves forward and ends; a buffer walked to its end without corruption
 * is exactly what emitting its events into an effect packs.
 */
#include "fuzz.h"
#include "actors/effect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    shoal_effect_t *effect = shoal__effect_new();
    size_t offset = 0;
    int rc;
    const void *event;
    size_t event_size;
    while ((rc = shoal__events_next(data, size, &offset, &event,
                                    &event_size)) == 1) {
        FUZZ_CHECK(offset <= size);
        FUZZ_CHECK((const uint8_t *)event >= data + 4);
        FUZZ_CHECK((const uint8_t *)event + event_size == data + offset);
        shoal_frame_t frame = {event, event_size};
        fuzz_touch(&frame, 1);
        FUZZ_CHECK(shoal_effect_emit(effect, event, event_size) == 0);
    }
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc == 0) {
        FUZZ_CHECK(offset == size);
        size_t packed_size;
        const uint8_t *packed = shoal__effect_events(effect, &packed_size);
        FUZZ_CHECK(packed_size == size);
        FUZZ_CHECK(size == 0 || memcmp(packed, data, size) == 0);
    }
    shoal__effect_destroy(&effect);
    return 0;
}
