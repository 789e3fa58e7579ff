/*
 * actors/effect.c - the handler context and the effect of one command.
 */
#include "actors/effect.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct shoal_effect {
    uint8_t *events;
    size_t events_size;
    size_t events_capacity;
    uint32_t event_count;
    uint8_t *reply;
    size_t reply_size;
    size_t reply_capacity;
    bool rejected;
    bool failed;
};

/* FNV-1a over a string, folded into a running hash. */
static uint64_t s_fnv1a(uint64_t hash, const char *text)
{
    for (; *text; text++) {
        hash ^= (uint8_t)*text;
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

/* SplitMix64: a well-mixed 64-bit output for each input. */
static uint64_t s_splitmix64(uint64_t value)
{
    value += 0x9e3779b97f4a7c15ULL;
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
    return value ^ (value >> 31);
}

void shoal__ctx_init(shoal_ctx_t *ctx, int64_t now_ms, const char *entity_key,
                     const char *entity_id, uint64_t sequence,
                     const char *command_id)
{
    assert(ctx && entity_key && entity_id);
    ctx->now_ms = now_ms;
    ctx->entity_id = entity_id;
    ctx->sequence = sequence;
    ctx->ids_drawn = 0;
    uint64_t seed = s_fnv1a(0xcbf29ce484222325ULL, entity_key);
    if (command_id && *command_id)
        seed = s_fnv1a(seed ^ 0x636d64ULL, command_id);
    else
        seed = s_splitmix64(seed ^ sequence);
    ctx->id_seed = seed;
}

int64_t shoal_ctx_now_ms(const shoal_ctx_t *ctx)
{
    return ctx->now_ms;
}

const char *shoal_ctx_entity_id(const shoal_ctx_t *ctx)
{
    return ctx->entity_id;
}

uint64_t shoal_ctx_sequence(const shoal_ctx_t *ctx)
{
    return ctx->sequence;
}

void shoal_ctx_new_id(shoal_ctx_t *ctx, char buffer[SHOAL_ID_SIZE])
{
    uint64_t draw = ctx->ids_drawn++;
    uint64_t high = s_splitmix64(ctx->id_seed ^ (draw * 2 + 1));
    uint64_t low = s_splitmix64(high ^ ctx->id_seed ^ (draw * 2 + 2));
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        buffer[i] = hex[(high >> (60 - 4 * i)) & 0xf];
        buffer[16 + i] = hex[(low >> (60 - 4 * i)) & 0xf];
    }
    buffer[32] = '\0';
}

shoal_effect_t *shoal__effect_new(void)
{
    shoal_effect_t *self = calloc(1, sizeof *self);
    assert(self);
    return self;
}

void shoal__effect_destroy(shoal_effect_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->events);
    free((*self_p)->reply);
    free(*self_p);
    *self_p = NULL;
}

void shoal__effect_reset(shoal_effect_t *self)
{
    self->events_size = 0;
    self->event_count = 0;
    self->reply_size = 0;
    self->rejected = false;
    self->failed = false;
}

/* Grows *buffer to hold at least needed bytes. Returns 0 or -1. */
static int s_reserve(uint8_t **buffer, size_t *capacity, size_t needed)
{
    if (needed <= *capacity)
        return 0;
    size_t grown = *capacity ? *capacity * 2 : 256;
    while (grown < needed)
        grown *= 2;
    uint8_t *bigger = realloc(*buffer, grown);
    if (!bigger)
        return -1;
    *buffer = bigger;
    *capacity = grown;
    return 0;
}

int shoal_effect_emit(shoal_effect_t *self, const void *event, size_t size)
{
    size_t needed = self->events_size + 4 + size;
    if (self->event_count >= SHOAL_EFFECT_MAX_EVENTS ||
        needed > SHOAL_EFFECT_MAX_BYTES ||
        s_reserve(&self->events, &self->events_capacity, needed) < 0) {
        self->failed = true;
        return -1;
    }
    uint8_t *at = self->events + self->events_size;
    at[0] = (uint8_t)size;
    at[1] = (uint8_t)(size >> 8);
    at[2] = (uint8_t)(size >> 16);
    at[3] = (uint8_t)(size >> 24);
    if (size)
        memcpy(at + 4, event, size);
    self->events_size = needed;
    self->event_count++;
    return 0;
}

/* Replaces the reply buffer's content. */
static int s_set_reply(shoal_effect_t *self, const void *data, size_t size)
{
    if (size > SHOAL_EFFECT_MAX_BYTES ||
        s_reserve(&self->reply, &self->reply_capacity, size) < 0) {
        self->failed = true;
        return -1;
    }
    if (size)
        memcpy(self->reply, data, size);
    self->reply_size = size;
    return 0;
}

int shoal_effect_reply(shoal_effect_t *self, const void *reply, size_t size)
{
    if (self->rejected)
        return 0; /* the rejection reason wins */
    return s_set_reply(self, reply, size);
}

int shoal_effect_reject(shoal_effect_t *self, const char *reason)
{
    self->rejected = true;
    return s_set_reply(self, reason ? reason : "", reason ? strlen(reason) : 0);
}

bool shoal__effect_rejected(const shoal_effect_t *self)
{
    return self->rejected;
}

bool shoal__effect_failed(const shoal_effect_t *self)
{
    return self->failed;
}

uint32_t shoal__effect_event_count(const shoal_effect_t *self)
{
    return self->event_count;
}

const uint8_t *shoal__effect_events(const shoal_effect_t *self, size_t *size)
{
    *size = self->events_size;
    return self->events;
}

const void *shoal__effect_reply(const shoal_effect_t *self, size_t *size)
{
    *size = self->reply_size;
    return self->reply;
}

int shoal__events_next(const uint8_t *buffer, size_t size, size_t *offset,
                       const void **event, size_t *event_size)
{
    if (*offset == size)
        return 0;
    if (size - *offset < 4)
        return -1;
    const uint8_t *at = buffer + *offset;
    size_t length = (size_t)at[0] | (size_t)at[1] << 8 | (size_t)at[2] << 16 |
                    (size_t)at[3] << 24;
    if (length > size - *offset - 4)
        return -1;
    *event = at + 4;
    *event_size = length;
    *offset += 4 + length;
    return 1;
}
