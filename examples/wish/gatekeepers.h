/*
 * examples/wish/gatekeepers.h - the gatekeepers of the wish plugin: the
 * MakeWish gatekeeper of `child`, which marks naughty wishes, and the
 * FulfillWish gatekeeper of `wish`, which finds the wish's child and
 * dispatches MarkWishFulfilled to it.
 */
#ifndef SHOAL_EXAMPLES_WISH_GATEKEEPERS_H
#define SHOAL_EXAMPLES_WISH_GATEKEEPERS_H

#include "shoal/plugin.h"

#include <stddef.h>

/* Loads the naughty keyword list (see naughty_words.h) from words_path for
 * the MakeWish gatekeeper. Returns 0, or -1 with a reason naming the path
 * in error (error_size bytes). Called from the plugin's open, before any
 * gatekeeper runs; an earlier list is replaced. */
int gatekeepers_open(const char *words_path, char *error, size_t error_size);

/* Frees the keyword list. Called from the plugin's close, once no
 * gatekeeper runs any more. */
void gatekeepers_close(void);

/* The MakeWish gatekeeper: forwards the payload with "naughty" set to
 * whether the wish holds a naughty keyword, whatever the client sent.
 * Rejects only a payload that is not a JSON object with a string "wish".
 * Needs gatekeepers_open to have succeeded. */
void gatekeeper_make_wish(shoal_gate_t *gate, const shoal_command_t *command);

/* The FulfillWish gatekeeper: asks the `wish` lookup for the wish's child
 * (round 0), then dispatches MarkWishFulfilled {"wish_id":id} to that
 * child (round 1). Rejects "wish not found" when the wish has no child or
 * is closed, and "wish lookup unavailable, try again" when the ask fails
 * or times out. The payload is empty, {} or {"wish_id":id} with the id of
 * the wish addressed. */
void gatekeeper_fulfill_wish(shoal_gate_t *gate,
                             const shoal_command_t *command);

#endif
