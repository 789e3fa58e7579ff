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
#define SHOAL_PLUGIN_ABI_VERSION 2

/* The symbol every plugin exports. */
#define SHOAL_PLUGIN_SYMBOL "shoal_plugin"

/* Limits on names, enforced by the runtime on every inbound command. */
#define SHOAL_TYPE_NAME_MAX 64
#define SHOAL_ENTITY_ID_MAX 256
#define SHOAL_COMMAND_NAME_MAX 64
#define SHOAL_COMMAND_ID_MAX 128

/* Size of the buffer shoal_ctx_new_id fills, terminator included. */
#define SHOAL_ID_SIZE 33

/* Most bytes of a topic name and of a policy name. */
#define SHOAL_TOPIC_NAME_MAX 64
#define SHOAL_POLICY_NAME_MAX 64

typedef struct shoal_ctx shoal_ctx_t;
typedef struct shoal_effect shoal_effect_t;
typedef struct shoal_gate shoal_gate_t;
typedef struct shoal_reaction shoal_reaction_t;

/* One inbound command, borrowed for the duration of handle_command. */
typedef struct {
    const char *name;    /* e.g. "Deposit"; 1..SHOAL_COMMAND_NAME_MAX */
    const void *payload; /* opaque; may be NULL when payload_size is 0 */
    size_t payload_size;
} shoal_command_t;

/* A gatekeeper guards one command name of one type at the edge: it runs
 * on the node that receives the command from a client, before the command
 * is routed, and may forward it (possibly enriched), reject it, or
 * dispatch another command elsewhere instead (see the shoal_gate_*
 * functions). It runs on the node's I/O thread: it must be cheap, must not
 * block, and must have no side effects. To consult other entities it asks
 * for their query output (shoal_gate_ask) and returns; it is then called
 * again with the answers. Its view may be stale: it prevents, it does not
 * enforce. Commands dispatched by policies and timers skip gatekeepers. */
typedef struct {
    const char *command; /* the command name it guards */
    void (*run)(shoal_gate_t *gate, const shoal_command_t *command);
} shoal_gatekeeper_t;

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

    /* Optional: the gatekeepers of this type's commands, at most one per
     * command name. */
    size_t gatekeeper_count;
    const shoal_gatekeeper_t *gatekeepers;
} shoal_type_t;

/* An event handler (a policy): it reacts to the durable events of one
 * aggregate type, asynchronously, after they are journaled. It may
 * dispatch commands, publish public events to topics and schedule timed
 * commands (the shoal_reaction_* functions); what it does is committed
 * only once it returns 0 and every command it dispatched has an outcome.
 *
 * Delivery is at least once: after a crash an event may be handled again.
 * Every dispatched command carries an id derived from the event (policy,
 * source entity, sequence, index), so the target's deduplication applies
 * it effectively once, and publications and timers are committed together
 * with the policy's progress, so they happen once. A command the target
 * rejects counts as handled. A handler that returns -1, or a command that
 * fails (busy, unavailable, internal), is retried with backoff; after
 * policy_max_attempts the event is parked as a dead letter and the policy
 * moves on.
 *
 * handle is called on the node's policy thread, one event at a time, in
 * journal order (so in sequence order for each source entity). It must be
 * deterministic given the event: a redelivery must take the same actions. */
typedef struct {
    /* Unique within the node: [A-Za-z0-9_-]{1,64}. Names its progress. */
    const char *name;
    /* The aggregate type whose events it handles. */
    const char *source_type;
    /* Handles one event (borrowed). Returns 0, or -1 to have the event
     * retried (give the reason with shoal_reaction_fail). */
    int (*handle)(shoal_reaction_t *reaction, const void *event,
                  size_t event_size);
} shoal_policy_t;

/* What a plugin exports under SHOAL_PLUGIN_SYMBOL. */
typedef struct {
    uint32_t abi_version; /* SHOAL_PLUGIN_ABI_VERSION */
    const char *name;     /* plugin name, for logs */
    size_t type_count;
    const shoal_type_t *types;
    /* Optional: the event handlers. */
    size_t policy_count;
    const shoal_policy_t *policies;
    /* Optional: called once after loading, with the path the plugin was
     * loaded from (to find data shipped beside it). Returns 0, or -1 with
     * a reason in error (error_size bytes, NUL-terminated); the node then
     * refuses to start. */
    int (*open)(const char *plugin_path, char *error, size_t error_size);
    /* Optional: called once before unloading. */
    void (*close)(void);
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

/* --- The gate: what a gatekeeper may ask and decide ---------------------- */

/* The runtime's clock, as shoal_ctx_now_ms. */
int64_t shoal_gate_now_ms(const shoal_gate_t *gate);

/* The id of the entity the command is addressed to (borrowed). */
const char *shoal_gate_entity_id(const shoal_gate_t *gate);

/* How many times the gatekeeper has been called for this command before:
 * 0 on the first call, n after n rounds of asks. */
unsigned shoal_gate_round(const shoal_gate_t *gate);

/* Asks for the query output of entity type/entity_id (its command model,
 * as the status socket's `get` renders it). The gatekeeper then returns
 * without a decision and is called again once every ask of this round has
 * an answer or has timed out (after timeout_ms; 0 means the node's
 * gate_timeout_ms). Returns the ask's index for shoal_gate_answer, or -1
 * when the type is unknown, the id invalid, or past 8 asks per round. */
int shoal_gate_ask(shoal_gate_t *gate, const char *type,
                   const char *entity_id, int64_t timeout_ms);

/* The answer to ask index of the previous round: the query output
 * (borrowed, NUL-terminated) with the entity's sequence in *sequence (0:
 * it has no events), or NULL when the ask failed or timed out. */
const char *shoal_gate_answer(const shoal_gate_t *gate, unsigned index,
                              uint64_t *sequence);

/* Decides: send the command on to its entity with payload (copied) in
 * place of the client's. Returns 0, or -1 when out of memory. */
int shoal_gate_forward(shoal_gate_t *gate, const void *payload, size_t size);

/* Decides: reject the command with reason (copied); the client gets
 * REJECTED and nothing is journaled. Returns 0 or -1. */
int shoal_gate_reject(shoal_gate_t *gate, const char *reason);

/* Decides: send command (with payload, copied) to type/entity_id instead;
 * the client gets that command's reply, and the client's command id goes
 * with it. Returns 0, or -1 when the type is unknown or a name invalid. */
int shoal_gate_dispatch(shoal_gate_t *gate, const char *type,
                        const char *entity_id, const char *command,
                        const void *payload, size_t size);

/* A gatekeeper that returns without a decision and without asks forwards
 * the command unchanged. One that neither decides nor asks after 8 rounds,
 * or whose decision call fails, has its command answered ERROR internal. */

/* --- The reaction: what a policy may learn and do ------------------------ */

/* The runtime's clock, as shoal_ctx_now_ms. */
int64_t shoal_reaction_now_ms(const shoal_reaction_t *reaction);

/* The id of the entity whose event this is (borrowed). */
const char *shoal_reaction_entity_id(const shoal_reaction_t *reaction);

/* The event's sequence number within its entity. */
uint64_t shoal_reaction_sequence(const shoal_reaction_t *reaction);

/* Dispatches command (with payload, copied) to type/entity_id. Its command
 * id is derived from the policy, the event and how many commands this
 * event has dispatched before. Returns 0, or -1 when the type is unknown,
 * a name invalid, or out of memory (the event then fails). */
int shoal_reaction_dispatch(shoal_reaction_t *reaction, const char *type,
                            const char *entity_id, const char *command,
                            const void *payload, size_t size);

/* Publishes a public event (copied) on topic: durable, ordered per source
 * entity, read by consumers with a cursor. Returns 0 or -1 as above. */
int shoal_reaction_publish(shoal_reaction_t *reaction, const char *topic,
                           const void *payload, size_t size);

/* Schedules command (with payload, copied) for type/entity_id at due_ms
 * (the runtime's clock). The timer is durable: one that falls due while
 * the node is down fires once it is up again. Its command id is derived
 * like a dispatch's. Returns 0 or -1 as above. */
int shoal_reaction_schedule(shoal_reaction_t *reaction, int64_t due_ms,
                            const char *type, const char *entity_id,
                            const char *command, const void *payload,
                            size_t size);

/* Gives the reason of a failure before handle returns -1 (copied; for the
 * log, the retries and the dead letter). */
void shoal_reaction_fail(shoal_reaction_t *reaction, const char *reason);

#ifdef __cplusplus
}
#endif

#endif
