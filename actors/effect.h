/*
 * actors/effect.h - the handler context and the effect a command handler
 * fills: the runtime side of the shoal_ctx_* and shoal_effect_* functions
 * of include/shoal/plugin.h.
 *
 * Events are kept packed in one buffer, each as a 4-byte little-endian
 * length followed by its bytes: the same encoding the journal stores, so
 * an effect's events go to the journal without being copied again.
 */
#ifndef SHOAL_ACTORS_EFFECT_H
#define SHOAL_ACTORS_EFFECT_H

#include "shoal/plugin.h"
#include <stdbool.h>

/* The most events and bytes one command may produce. */
#define SHOAL_EFFECT_MAX_EVENTS 10000
#define SHOAL_EFFECT_MAX_BYTES (16u * 1024 * 1024)

struct shoal_ctx {
    int64_t now_ms;
    const char *entity_id;
    uint64_t sequence;
    uint64_t id_seed;
    uint32_t ids_drawn;
};

/* Prepares a context for one command. entity_id is borrowed and must
 * outlive the context. The id generator is seeded from command_id when it
 * is non-NULL and non-empty, else from entity_key and sequence. */
void shoal__ctx_init(shoal_ctx_t *ctx, int64_t now_ms, const char *entity_key,
                     const char *entity_id, uint64_t sequence,
                     const char *command_id);

/* Creates an empty effect. Aborts when out of memory. */
shoal_effect_t *shoal__effect_new(void);

/* Frees an effect and sets *self_p to NULL. NULL-safe. */
void shoal__effect_destroy(shoal_effect_t **self_p);

/* Empties an effect for reuse, keeping its buffers. */
void shoal__effect_reset(shoal_effect_t *self);

/* True when the handler called shoal_effect_reject. */
bool shoal__effect_rejected(const shoal_effect_t *self);

/* True when an effect call failed (out of memory or past the limits). */
bool shoal__effect_failed(const shoal_effect_t *self);

/* Number of events emitted. */
uint32_t shoal__effect_event_count(const shoal_effect_t *self);

/* The packed events (borrowed; valid until the next reset). */
const uint8_t *shoal__effect_events(const shoal_effect_t *self, size_t *size);

/* The reply bytes, or for a rejected effect the reason (borrowed). */
const void *shoal__effect_reply(const shoal_effect_t *self, size_t *size);

/* Walks a packed event buffer: sets *event and *event_size to the event
 * at *offset and advances *offset. Returns 1 when an event was read, 0 at
 * the end, -1 when the buffer is corrupt (a length past its end). */
int shoal__events_next(const uint8_t *buffer, size_t size, size_t *offset,
                       const void **event, size_t *event_size);

#endif
