/*
 * examples/wish/wish_lookup.h - the `wish` lookup aggregate (entity id:
 * the wish id): which child a wish belongs to and whether it is still
 * active. A policy keeps it (policies.c); the FulfillWish gatekeeper reads
 * it (gatekeepers.c).
 */
#ifndef SHOAL_EXAMPLES_WISH_LOOKUP_H
#define SHOAL_EXAMPLES_WISH_LOOKUP_H

#include "shoal/plugin.h"

#include <stddef.h>

/* The type's functions; contracts in shoal/plugin.h. */
void *wish_lookup_state_new(const char *entity_id);
void wish_lookup_state_free(void **state_p);
void wish_lookup_handle_command(shoal_ctx_t *ctx, const void *state,
                                const shoal_command_t *command,
                                shoal_effect_t *effect);
void wish_lookup_apply_event(void *state, const void *event, size_t event_size);
char *wish_lookup_query(const void *state, const char *entity_id);
int wish_lookup_snapshot_encode(const void *state, void **data, size_t *size);
void *wish_lookup_snapshot_decode(const char *entity_id, const void *data,
                                  size_t size);

#endif
