/*
 * examples/wish/child.h - the `child` aggregate (entity id: the child's
 * id): its state, its command handler (child_commands.c) and its fold,
 * query and snapshots (child_state.c).
 *
 * The state is one fixed block: at most CHILD_MAX_WISHES active wishes of
 * at most CHILD_WISH_MAX_CHARS characters each. So applying an event never
 * allocates and never fails, and the test harness's read-only copy of the
 * state guards all of it.
 *
 * Times are milliseconds since the Unix epoch, UTC. CHILD_DISTANT_PAST (0,
 * the epoch itself) stands for "never": a new child's naughty_until and
 * banned_until, rendered as 0 by the query.
 */
#ifndef SHOAL_EXAMPLES_WISH_CHILD_H
#define SHOAL_EXAMPLES_WISH_CHILD_H

#include "shoal/plugin.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHILD_MAX_WISHES 10
#define CHILD_WISH_MAX_CHARS 200
/* A UTF-8 character takes at most 4 bytes. */
#define CHILD_WISH_MAX_BYTES (4 * CHILD_WISH_MAX_CHARS)
/* How long a naughty wish bans its child from wishing. */
#define CHILD_BAN_MS 60000
#define CHILD_DISTANT_PAST 0
/* The latest time MarkNaughty takes: 9999-12-31T23:59:59.999Z. */
#define CHILD_LATEST_TIME 253402300799999LL

/* One active wish. id is a wish id (from shoal_ctx_new_id). */
typedef struct {
    char id[SHOAL_ID_SIZE];
    char text[CHILD_WISH_MAX_BYTES + 1];
} child_wish_t;

typedef struct {
    size_t wish_count;
    child_wish_t wishes[CHILD_MAX_WISHES]; /* active, in approval order */
    int64_t naughty_until;
    int64_t banned_until;
} child_state_t;

/* The type's functions; contracts in shoal/plugin.h. */
void *child_state_new(const char *entity_id);
void child_state_free(void **state_p);
void child_handle_command(shoal_ctx_t *ctx, const void *state,
                          const shoal_command_t *command,
                          shoal_effect_t *effect);
void child_apply_event(void *state, const void *event, size_t event_size);
char *child_query(const void *state, const char *entity_id);
int child_snapshot_encode(const void *state, void **data, size_t *size);
void *child_snapshot_decode(const char *entity_id, const void *data,
                            size_t size);

/* Returns the active wish with id wish_id (borrowed from state), or NULL
 * when there is none. */
const child_wish_t *child_find_wish(const child_state_t *state,
                                    const char *wish_id);

/* True when text can be a wish: 1..CHILD_WISH_MAX_CHARS characters. */
bool child_wish_text_is_valid(const char *text);

/* True when text can be a wish id: 1..SHOAL_ID_SIZE - 1 bytes. */
bool child_wish_id_is_valid(const char *text);

#endif
