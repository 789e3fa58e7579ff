/*
 * shoal/plugin.h - the handler plugin ABI.
 *
 * A plugin is a shared object that exports one symbol, `shoal_plugin`, a
 * shoal_plugin_t describing one or more aggregate types. For each type the
 * plugin gives the functions the runtime calls on the entity's own worker
 * thread; a type's functions are never called concurrently for the same
 * entity, but may be for different entities, so they must not share
 * mutable globals.
 *
 * The path of one command through these functions:
 *
 *   handle_command(ctx, state, command, effect)   -- decide, never mutate
 *   ... the runtime journals the effect's events durably ...
 *   apply_event(state, event) for each event      -- the fold
 *   ... the runtime replies with the effect's reply or rejection ...
 *
 * Payloads (commands, events, replies, snapshots) are opaque bytes to the
 * runtime. The examples use JSON; any encoding works.
 *
 * Ownership: every pointer the runtime hands to a plugin function is
 * borrowed for the duration of the call. Data a plugin hands to the effect
 * functions is copied. Memory a plugin returns (query, snapshot_encode) is
 * allocated with malloc() and freed by the runtime with free().
 */
#ifndef SHOAL_PLUGIN_H
#define SHOAL_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on every incompatible change to this header. A plugin built
 * against another version is refused at load time. */
#define SHOAL_PLUGIN_ABI_VERSION 1

/* The symbol every plugin exports. */
#define SHOAL_PLUGIN_SYMBOL "shoal_plugin"

/* Limits on names, enforced by the runtime on every inbound command. */
#define SHOAL_TYPE_NAME_MAX 64
#define SHOAL_ENTITY_ID_MAX 256
#define SHOAL_COMMAND_NAME_MAX 64
#define SHOAL_COMMAND_ID_MAX 128

/* Size of the buffer shoal_ctx_new_id fills, terminator included. */
#define SHOAL_ID_SIZE 33

typedef struct shoal_ctx shoal_ctx_t;
typedef struct shoal_effect shoal_effect_t;

/* One inbound command, borrowed for the duration of handle_command. */
typedef struct {
    const char *name;    /* e.g. "Deposit"; 1..SHOAL_COMMAND_NAME_MAX */
    const void *payload; /* opaque; may be NULL when payload_size is 0 */
    size_t payload_size;
} shoal_command_t;

/* The functions of one aggregate type. Required: name, state_new,
 * state_free, handle_command, apply_event, query. Optional (both or
 * neither): snapshot_encode, snapshot_decode. */
typedef struct {
    /* Type name, unique within the node: [A-Za-z0-9_-]{1,64}. */
    const char *name;

    /* Returns the empty state of a new entity (before its first event), or
     * NULL when out of memory. entity_id is borrowed. */
    void *(*state_new)(const char *entity_id);

    /* Frees a state from state_new or snapshot_decode and sets *state_p to
     * NULL. NULL-safe. */
    void (*state_free)(void **state_p);

    /* Decides the outcome of a command against the current state, which it
     * must not modify. It fills the effect through shoal_effect_emit,
     * shoal_effect_reply and shoal_effect_reject. An effect with no calls
     * is an accepted command with no events and an empty reply. */
    void (*handle_command)(shoal_ctx_t *ctx, const void *state,
                           const shoal_command_t *command,
                           shoal_effect_t *effect);

    /* Folds one durable event into the state. It must be deterministic and
     * depend on nothing but state and event: it runs again at every
     * recovery. Any time it needs must be carried in the event. */
    void (*apply_event)(void *state, const void *event, size_t event_size);

    /* Renders the current state for the status socket's `get`, as a
     * NUL-terminated string (JSON in the examples) allocated with malloc,
     * or NULL when out of memory. The caller frees it. */
    char *(*query)(const void *state, const char *entity_id);

    /* Optional. Encodes the state into *data (malloc'd, the caller frees)
     * and *size. Returns 0, or -1 on failure (the snapshot is skipped). */
    int (*snapshot_encode)(const void *state, void **data, size_t *size);

    /* Optional. Decodes a snapshot into a new state, or returns NULL when
     * the bytes are not a valid snapshot (the runtime then recovers from
     * the full journal). */
    void *(*snapshot_decode)(const char *entity_id, const void *data,
                             size_t size);
} shoal_type_t;

/* What a plugin exports under SHOAL_PLUGIN_SYMBOL. */
typedef struct {
    uint32_t abi_version; /* SHOAL_PLUGIN_ABI_VERSION */
    const char *name;     /* plugin name, for logs */
    size_t type_count;
    const shoal_type_t *types;
} shoal_plugin_t;

/* --- The handler context: what handle_command may ask the runtime ----- */

/* Returns the runtime's clock, in milliseconds since the Unix epoch (UTC),
 * fixed for the duration of one command. */
int64_t shoal_ctx_now_ms(const shoal_ctx_t *ctx);

/* Returns the id of the entity the command is addressed to (borrowed). */
const char *shoal_ctx_entity_id(const shoal_ctx_t *ctx);

/* Returns the sequence number of the entity's last durable event, 0 when
 * it has none. */
uint64_t shoal_ctx_sequence(const shoal_ctx_t *ctx);

/* Writes the next deterministic id into buffer (SHOAL_ID_SIZE bytes: 32
 * lower-case hex digits and a NUL). The ids are derived from the command id
 * when the client gave one, else from the entity and its sequence, and from
 * how many ids this command has drawn before: a retried command draws the
 * same ids. */
void shoal_ctx_new_id(shoal_ctx_t *ctx, char buffer[SHOAL_ID_SIZE]);

/* --- The effect: what the command handler decided ------------------------ */

/* Appends one event (copied). Returns 0, or -1 when out of memory or past
 * the runtime's limits; the command then fails with an internal error. */
int shoal_effect_emit(shoal_effect_t *effect, const void *event, size_t size);

/* Sets the reply sent to the client when the command is accepted (copied;
 * replaces any earlier reply). Returns 0 or -1 as above. */
int shoal_effect_reply(shoal_effect_t *effect, const void *reply, size_t size);

/* Marks the command rejected with a human-readable reason (copied). Events
 * emitted before or after are still journaled and applied: a rejection may
 * itself be recorded as events. Returns 0 or -1 as above. */
int shoal_effect_reject(shoal_effect_t *effect, const char *reason);

#ifdef __cplusplus
}
#endif

#endif
