/*
 * tests/unit/test_keymap.c - the compact string-keyed hash map.
 */
#include "actors/keymap.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Test(keymap, put_get_replace_and_remove)
{
    shoal_keymap_t *map = shoal_keymap_new(true);
    uint64_t value = 0;
    cr_assert_not(shoal_keymap_get(map, "a/1", &value));
    cr_assert_eq(shoal_keymap_put(map, "a/1", 7), 0);
    cr_assert(shoal_keymap_get(map, "a/1", &value));
    cr_assert_eq(value, 7);
    cr_assert_eq(shoal_keymap_put(map, "a/1", 9), 0);
    cr_assert_eq(shoal_keymap_size(map), 1);
    cr_assert(shoal_keymap_get(map, "a/1", &value));
    cr_assert_eq(value, 9);
    cr_assert(shoal_keymap_remove(map, "a/1", &value));
    cr_assert_eq(value, 9);
    cr_assert_not(shoal_keymap_remove(map, "a/1", NULL));
    cr_assert_eq(shoal_keymap_size(map), 0);
    shoal_keymap_destroy(&map);
    cr_assert_null(map);
}

Test(keymap, owned_keys_are_copies)
{
    shoal_keymap_t *map = shoal_keymap_new(true);
    char key[16] = "t/x";
    shoal_keymap_put(map, key, 1);
    strcpy(key, "t/y");
    cr_assert(shoal_keymap_get(map, "t/x", NULL));
    cr_assert_not(shoal_keymap_get(map, "t/y", NULL));
    cr_assert_geq(shoal_keymap_bytes(map), 4);
    shoal_keymap_destroy(&map);
}

Test(keymap, borrowed_keys_are_not_copied_nor_freed)
{
    shoal_keymap_t *map = shoal_keymap_new(false);
    static const char key[] = "t/borrowed";
    shoal_keymap_put(map, key, 5);
    size_t slots_only = shoal_keymap_bytes(map);
    shoal_keymap_put(map, "t/other", 6);
    cr_assert_eq(shoal_keymap_bytes(map), slots_only);
    shoal_keymap_destroy(&map);
}

/* A long random mix of puts and removes, checked against a plain array:
 * growth and backward-shift deletion keep every entry findable. */
Test(keymap, random_operations_match_a_reference)
{
    enum { KEYS = 5000, STEPS = 200000 };
    static bool present[KEYS];
    static uint64_t values[KEYS];
    shoal_keymap_t *map = shoal_keymap_new(true);
    srand(42);
    size_t size = 0;
    for (int step = 0; step < STEPS; step++) {
        int index = rand() % KEYS;
        char key[32];
        snprintf(key, sizeof key, "type/%d", index);
        if (rand() % 3) {
            uint64_t value = (uint64_t)rand();
            cr_assert_eq(shoal_keymap_put(map, key, value), 0);
            size += !present[index];
            present[index] = true;
            values[index] = value;
        } else {
            uint64_t value = 0;
            bool removed = shoal_keymap_remove(map, key, &value);
            cr_assert_eq(removed, present[index], "step %d key %s", step, key);
            if (removed)
                cr_assert_eq(value, values[index]);
            size -= present[index];
            present[index] = false;
        }
        if (step % 1000 == 0) {
            for (int i = 0; i < KEYS; i++) {
                snprintf(key, sizeof key, "type/%d", i);
                uint64_t value = 0;
                cr_assert_eq(shoal_keymap_get(map, key, &value), present[i],
                             "step %d key %s", step, key);
                if (present[i])
                    cr_assert_eq(value, values[i]);
            }
        }
    }
    cr_assert_eq(shoal_keymap_size(map), size);
    uint64_t sum = 0, expected = 0, value = 0;
    size_t cursor = 0, walked = 0;
    const char *key;
    while (shoal_keymap_next(map, &cursor, &key, &value)) {
        sum += value;
        walked++;
    }
    cr_assert_eq(walked, size);
    for (int i = 0; i < KEYS; i++)
        if (present[i])
            expected += values[i];
    cr_assert_eq(sum, expected);
    shoal_keymap_destroy(&map);
}

Test(keymap, values_up_to_48_bits_round_trip)
{
    shoal_keymap_t *map = shoal_keymap_new(true);
    uint64_t largest = (UINT64_C(1) << 48) - 1, value = 0;
    cr_assert_eq(shoal_keymap_put(map, "big", largest), 0);
    cr_assert_eq(shoal_keymap_put(map, "zero", 0), 0);
    cr_assert(shoal_keymap_get(map, "big", &value));
    cr_assert_eq(value, largest);
    cr_assert(shoal_keymap_get(map, "zero", &value));
    cr_assert_eq(value, 0);
    shoal_keymap_destroy(&map);
}
