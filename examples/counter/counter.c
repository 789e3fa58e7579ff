/*
 * examples/counter/counter.c - the `counter` aggregate: a signed 64-bit
 * value moved by Increment and Decrement and cleared by Reset.
 *
 * The smallest complete shoal plugin, written to be read. It shows the
 * split every plugin makes: handle_command only decides (it reads the state
 * and emits events), apply_event is the only code that changes the state,
 * and both depend on nothing but their arguments.
 *
 * Commands; payloads are JSON objects, an empty payload reads as {}, and
 * a field a command does not know is rejected:
 *
 *   Increment {"by":n}  -> {"event":"Incremented","by":n}
 *   Decrement {"by":n}  -> {"event":"Decremented","by":n}
 *   Reset               -> {"event":"Reset"}, or no event when already 0
 *
 * n is an integer in 1..10^12, 1 when absent. An accepted command replies
 * {"value":n} with the value after its events. The query renders
 * {"id":"<entity id>","value":n}; a snapshot is {"value":n}.
 */
#include "shoal/plugin.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest step of one command: far past any real use, and small
 * enough that a step is never mistaken for a wrapped-around value. */
#define COUNTER_MAX_STEP 1000000000000LL

typedef struct {
    int64_t value;
} counter_state_t;

/* --- Helpers ------------------------------------------------------------ */

/* Rejects the command with a printf-style reason. */
static void s_reject(shoal_effect_t *effect, const char *format, ...)
{
    char reason[320];
    va_list args;
    va_start(args, format);
    vsnprintf(reason, sizeof reason, format, args);
    va_end(args);
    shoal_effect_reject(effect, reason);
}

/* Renders json compactly and releases it. Returns the text (malloc'd, the
 * caller frees it), or NULL when json is NULL or out of memory. */
static char *s_dump(json_t *json)
{
    if (!json)
        return NULL;
    char *text = json_dumps(json, JSON_COMPACT);
    json_decref(json);
    return text;
}

/* Reads the command's payload as a JSON object whose fields are all in
 * the NULL-terminated list fields. An empty payload reads as {}. Returns
 * the object (the caller releases it), or NULL after rejecting the command
 * with the reason. */
static json_t *s_read_payload(const shoal_command_t *command,
                              const char *const *fields, shoal_effect_t *effect)
{
    json_error_t error;
    json_t *payload;
    if (command->payload_size == 0)
        payload = json_object();
    else
        payload = json_loadb(command->payload, command->payload_size,
                             JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &error);
    if (!payload) {
        if (command->payload_size == 0 ||
            json_error_code(&error) == json_error_out_of_memory)
            shoal_effect_reject(effect, "out of memory");
        else
            s_reject(effect, "payload is not valid JSON: %s", error.text);
        return NULL;
    }
    if (!json_is_object(payload)) {
        shoal_effect_reject(effect, "payload must be a JSON object");
        goto out_release_payload;
    }
    for (void *at = json_object_iter(payload); at;
         at = json_object_iter_next(payload, at)) {
        const char *key = json_object_iter_key(at);
        const char *const *field = fields;
        while (*field && strcmp(*field, key) != 0)
            field++;
        if (!*field) {
            s_reject(effect, "unknown field \"%.64s\"", key);
            goto out_release_payload;
        }
    }
    return payload;

out_release_payload:
    json_decref(payload);
    return NULL;
}

/* Accepts the command: emits the event named event_name, with "by" when
 * by is not 0 (no event when event_name is NULL), and replies
 * {"value":value_after}. Both are rendered before either is handed to the
 * effect, so running out of memory rejects the command cleanly instead of
 * journaling an event for a command that then fails. */
static void s_accept(shoal_effect_t *effect, const char *event_name, int64_t by,
                     int64_t value_after)
{
    char *event = NULL;
    if (event_name && by)
        event = s_dump(
            json_pack("{s:s, s:I}", "event", event_name, "by", (json_int_t)by));
    else if (event_name)
        event = s_dump(json_pack("{s:s}", "event", event_name));
    char *reply = s_dump(json_pack("{s:I}", "value", (json_int_t)value_after));

    if ((event_name && !event) || !reply) {
        shoal_effect_reject(effect, "out of memory");
    } else {
        /* On failure the effect marks itself failed: the runtime then
         * answers with an internal error, nothing to do here. */
        if (event)
            shoal_effect_emit(effect, event, strlen(event));
        shoal_effect_reply(effect, reply, strlen(reply));
    }
    free(event);
    free(reply);
}

/* --- Commands ----------------------------------------------------------- */

/* Increment and Decrement: moves the value by payload's "by" (default 1)
 * in direction +1 or -1. Rejects a bad step and a value that would leave
 * the int64 range. */
static void s_step(const counter_state_t *state, json_t *payload, int direction,
                   shoal_effect_t *effect)
{
    int64_t by = 1;
    json_t *by_json = json_object_get(payload, "by");
    if (by_json) {
        by = json_is_integer(by_json) ? json_integer_value(by_json) : 0;
        if (by < 1 || by > COUNTER_MAX_STEP) {
            shoal_effect_reject(effect, "by must be a positive integer");
            return;
        }
    }
    if (direction > 0 ? state->value > INT64_MAX - by
                      : state->value < INT64_MIN + by) {
        shoal_effect_reject(effect, "value would overflow");
        return;
    }
    s_accept(effect, direction > 0 ? "Incremented" : "Decremented", by,
             state->value + direction * by);
}

static void s_increment(const counter_state_t *state, json_t *payload,
                        shoal_effect_t *effect)
{
    s_step(state, payload, +1, effect);
}

static void s_decrement(const counter_state_t *state, json_t *payload,
                        shoal_effect_t *effect)
{
    s_step(state, payload, -1, effect);
}

/* Reset: back to 0. A counter already at 0 is accepted with no event. */
static void s_reset(const counter_state_t *state, json_t *payload,
                    shoal_effect_t *effect)
{
    (void)payload; /* Reset has no fields */
    s_accept(effect, state->value ? "Reset" : NULL, 0, 0);
}

static const char *const s_step_fields[] = {"by", NULL};
static const char *const s_no_fields[] = {NULL};

/* The commands, with the payload fields each accepts. */
static const struct {
    const char *name;
    const char *const *fields;
    void (*handle)(const counter_state_t *state, json_t *payload,
                   shoal_effect_t *effect);
} s_commands[] = {
    {"Increment", s_step_fields, s_increment},
    {"Decrement", s_step_fields, s_decrement},
    {"Reset", s_no_fields, s_reset},
};

/* --- The type's functions (contracts in shoal/plugin.h) ----------------- */

static void *s_state_new(const char *entity_id)
{
    (void)entity_id; /* the query gets the id; the state need not keep it */
    return calloc(1, sizeof(counter_state_t));
}

static void s_state_free(void **state_p)
{
    if (!state_p || !*state_p)
        return;
    free(*state_p);
    *state_p = NULL;
}

/* Finds the command by name, reads its payload, and lets it decide. Never
 * writes to state. */
static void s_handle_command(shoal_ctx_t *ctx, const void *state,
                             const shoal_command_t *command,
                             shoal_effect_t *effect)
{
    (void)ctx; /* the counter needs no clock and no ids */
    size_t count = sizeof s_commands / sizeof s_commands[0];
    for (size_t i = 0; i < count; i++) {
        if (strcmp(command->name, s_commands[i].name) != 0)
            continue;
        json_t *payload = s_read_payload(command, s_commands[i].fields, effect);
        if (payload)
            s_commands[i].handle(state, payload, effect);
        json_decref(payload);
        return;
    }
    s_reject(effect, "unknown command %s", command->name);
}

/* The fold. Every event this plugin emits is applied; an event it could
 * not have emitted (malformed, or one that would overflow) is skipped, so
 * the fold stays total and deterministic whatever the journal holds. */
static void s_apply_event(void *state_p, const void *event, size_t event_size)
{
    counter_state_t *state = state_p;
    json_error_t error;
    json_t *json = json_loadb(event, event_size, 0, &error);
    if (!json) {
        /* Skipping a good event would silently fork this state from its
         * journal, and the ABI gives the fold no way to fail: stop. */
        if (json_error_code(&error) == json_error_out_of_memory)
            abort();
        return;
    }
    const char *name = "";
    json_int_t by = 0;
    if (json_unpack(json, "{s:s, s?I}", "event", &name, "by", &by) < 0)
        name = "";
    if (strcmp(name, "Incremented") == 0 && by > 0 &&
        state->value <= INT64_MAX - by)
        state->value += by;
    else if (strcmp(name, "Decremented") == 0 && by > 0 &&
             state->value >= INT64_MIN + by)
        state->value -= by;
    else if (strcmp(name, "Reset") == 0)
        state->value = 0;
    json_decref(json);
}

/* Renders {"id":"<entity id>","value":n}. JSON strings are UTF-8 and an
 * entity id may be any bytes but NUL and '/': in an id that is not valid
 * UTF-8, the bytes past ASCII show as '?'. */
static char *s_query(const void *state_p, const char *entity_id)
{
    const counter_state_t *state = state_p;
    json_t *id = json_string(entity_id);
    if (!id) {
        size_t size = strlen(entity_id) + 1;
        char *ascii = malloc(size);
        if (!ascii)
            return NULL;
        memcpy(ascii, entity_id, size);
        for (char *at = ascii; *at; at++)
            if ((unsigned char)*at >= 0x80)
                *at = '?';
        id = json_string(ascii);
        free(ascii);
        if (!id)
            return NULL;
    }
    /* "o" hands id over to the new object, even when json_pack fails. */
    return s_dump(
        json_pack("{s:o, s:I}", "id", id, "value", (json_int_t)state->value));
}

/* The snapshot is {"value":n}. */
static int s_snapshot_encode(const void *state_p, void **data, size_t *size)
{
    const counter_state_t *state = state_p;
    char *text = s_dump(json_pack("{s:I}", "value", (json_int_t)state->value));
    if (!text)
        return -1;
    *data = text;
    *size = strlen(text);
    return 0;
}

/* Accepts exactly {"value":n}, n an integer; anything else returns NULL. */
static void *s_snapshot_decode(const char *entity_id, const void *data,
                               size_t size)
{
    json_t *json = json_loadb(data, size, 0, NULL);
    json_int_t value;
    counter_state_t *state = NULL;
    if (json && json_unpack_ex(json, NULL, JSON_STRICT, "{s:I}", "value",
                               &value) == 0) {
        state = s_state_new(entity_id);
        if (state)
            state->value = value;
    }
    json_decref(json);
    return state;
}

static const shoal_type_t s_types[] = {{
    .name = "counter",
    .state_new = s_state_new,
    .state_free = s_state_free,
    .handle_command = s_handle_command,
    .apply_event = s_apply_event,
    .query = s_query,
    .snapshot_encode = s_snapshot_encode,
    .snapshot_decode = s_snapshot_decode,
}};

const shoal_plugin_t shoal_plugin = {.abi_version = SHOAL_PLUGIN_ABI_VERSION,
                                     .name = "counter",
                                     .type_count = 1,
                                     .types = s_types};
