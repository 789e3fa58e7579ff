/*
 * actors/dedup.c - the window of recent command ids (see dedup.h).
 *
 * A ring of records; lookup is a linear scan from the newest, which for
 * the window sizes in use (about a hundred) costs less than hashing.
 *
 * Encoding, all integers little-endian: per record u16 id length, id bytes,
 * u8 outcome, u64 first_seq, u32 event_count, u32 reply length, reply.
 */
#include "actors/dedup.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *command_id; /* NULL for an empty slot */
    size_t id_size;
    shoal_outcome_t outcome;
    uint64_t first_seq;
    uint32_t event_count;
    void *reply;
    size_t reply_size;
} s_slot_t;

struct shoal_dedup {
    s_slot_t *slots;
    size_t capacity;
    size_t count;
    size_t next; /* where the next record goes */
};

shoal_dedup_t *shoal_dedup_new(size_t capacity)
{
    assert(capacity >= 1);
    shoal_dedup_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->slots = calloc(capacity, sizeof *self->slots);
    if (!self->slots) {
        free(self);
        return NULL;
    }
    self->capacity = capacity;
    return self;
}

/* Frees the contents of one slot. */
static void s_slot_clear(s_slot_t *slot)
{
    free(slot->command_id);
    free(slot->reply);
    memset(slot, 0, sizeof *slot);
}

void shoal_dedup_destroy(shoal_dedup_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_dedup_t *self = *self_p;
    for (size_t i = 0; i < self->capacity; i++)
        s_slot_clear(&self->slots[i]);
    free(self->slots);
    free(self);
    *self_p = NULL;
}

/* Remembers a record from an id of known length. */
static int s_remember(shoal_dedup_t *self, const char *command_id,
                      size_t id_size, const shoal_dedup_record_t *record)
{
    char *id = malloc(id_size + 1);
    void *reply = record->reply_size ? malloc(record->reply_size) : NULL;
    if (!id || (record->reply_size && !reply)) {
        free(id);
        free(reply);
        return -1;
    }
    memcpy(id, command_id, id_size);
    id[id_size] = '\0';
    if (reply)
        memcpy(reply, record->reply, record->reply_size);
    s_slot_t *slot = &self->slots[self->next];
    s_slot_clear(slot);
    *slot = (s_slot_t){.command_id = id,
                       .id_size = id_size,
                       .outcome = record->outcome,
                       .first_seq = record->first_seq,
                       .event_count = record->event_count,
                       .reply = reply,
                       .reply_size = record->reply_size};
    self->next = (self->next + 1) % self->capacity;
    if (self->count < self->capacity)
        self->count++;
    return 0;
}

int shoal_dedup_remember(shoal_dedup_t *self, const char *command_id,
                         const shoal_dedup_record_t *record)
{
    return s_remember(self, command_id, strlen(command_id), record);
}

bool shoal_dedup_lookup(const shoal_dedup_t *self, const char *command_id,
                        shoal_dedup_record_t *record)
{
    size_t id_size = strlen(command_id);
    for (size_t i = 1; i <= self->count; i++) {
        const s_slot_t *slot =
            &self->slots[(self->next + self->capacity - i) % self->capacity];
        if (slot->id_size == id_size &&
            memcmp(slot->command_id, command_id, id_size) == 0) {
            *record = (shoal_dedup_record_t){
                .outcome = slot->outcome,
                .first_seq = slot->first_seq,
                .event_count = slot->event_count,
                .reply = slot->reply,
                .reply_size = slot->reply_size,
            };
            return true;
        }
    }
    return false;
}

size_t shoal_dedup_size(const shoal_dedup_t *self)
{
    return self->count;
}

/* Writes an unsigned integer of width bytes, little-endian. */
static uint8_t *s_put_uint(uint8_t *at, uint64_t value, int width)
{
    for (int i = 0; i < width; i++)
        at[i] = (uint8_t)(value >> (8 * i));
    return at + width;
}

/* Reads an unsigned integer of width bytes, little-endian. */
static uint64_t s_get_uint(const uint8_t *at, int width)
{
    uint64_t value = 0;
    for (int i = 0; i < width; i++)
        value |= (uint64_t)at[i] << (8 * i);
    return value;
}

int shoal_dedup_encode(const shoal_dedup_t *self, void **data, size_t *size)
{
    size_t total = 0;
    size_t oldest =
        (self->next + self->capacity - self->count) % self->capacity;
    for (size_t i = 0; i < self->count; i++) {
        const s_slot_t *slot = &self->slots[(oldest + i) % self->capacity];
        total += 2 + slot->id_size + 1 + 8 + 4 + 4 + slot->reply_size;
    }
    uint8_t *buffer = malloc(total ? total : 1);
    if (!buffer)
        return -1;
    uint8_t *at = buffer;
    for (size_t i = 0; i < self->count; i++) {
        const s_slot_t *slot = &self->slots[(oldest + i) % self->capacity];
        at = s_put_uint(at, slot->id_size, 2);
        memcpy(at, slot->command_id, slot->id_size);
        at += slot->id_size;
        at = s_put_uint(at, (uint64_t)slot->outcome, 1);
        at = s_put_uint(at, slot->first_seq, 8);
        at = s_put_uint(at, slot->event_count, 4);
        at = s_put_uint(at, slot->reply_size, 4);
        if (slot->reply_size)
            memcpy(at, slot->reply, slot->reply_size);
        at += slot->reply_size;
    }
    *data = buffer;
    *size = total;
    return 0;
}

int shoal_dedup_decode(shoal_dedup_t *self, const void *data, size_t size)
{
    const uint8_t *at = data, *end = at + size;
    while (at < end) {
        if (end - at < 2)
            return -1;
        size_t id_size = (size_t)s_get_uint(at, 2);
        if ((size_t)(end - at) < 2 + id_size + 1 + 8 + 4 + 4 || id_size == 0)
            return -1;
        const char *id = (const char *)at + 2;
        at += 2 + id_size;
        shoal_dedup_record_t record = {
            .outcome = (shoal_outcome_t)s_get_uint(at, 1),
            .first_seq = s_get_uint(at + 1, 8),
            .event_count = (uint32_t)s_get_uint(at + 9, 4),
            .reply_size = (size_t)s_get_uint(at + 13, 4),
        };
        at += 17;
        if (record.outcome > SHOAL_OUTCOME_REJECTED ||
            record.reply_size > (size_t)(end - at))
            return -1;
        record.reply = at;
        at += record.reply_size;
        if (s_remember(self, id, id_size, &record) < 0)
            return -1;
    }
    return 0;
}
