/*
 * examples/wish/wish_lookup.c - the `wish` lookup aggregate (entity id:
 * the wish id): it remembers the child a wish belongs to and whether the
 * wish is still active, so that a caller who knows only a wish id can find
 * its child.
 *
 * Commands; payloads are JSON objects, an empty payload reads as {}, and
 * a field a command does not know is rejected:
 *
 *   RegisterWish {"child_id":id}   a new wish -> WishRegistered, empty
 *       reply; the same child again -> accepted, no event (a redelivered
 *       registration); another child -> rejected "wish already registered
 *       to another child"
 *   CloseWish {}   an open wish -> WishClosed, empty reply; otherwise
 *       rejected "wish not found"
 *   FulfillWish {} or {"wish_id":id}   the FulfillWish gatekeeper turns it
 *       into MarkWishFulfilled for the child, so it reaches the wish only
 *       when dispatched around the gatekeeper: rejected "wish not found"
 *       when the wish is not open, else "FulfillWish is handled by the
 *       gatekeeper"; a wish_id other than the entity's is rejected
 *
 * Events: {"type":"WishRegistered","child_id":id} (the wish is open) and
 * {"type":"WishClosed"} (it no longer is). A wish, once registered, keeps
 * its child: a registration after the wish closed changes nothing.
 *
 * The query renders {"wish_id":id,"child_id":id|null,"open":b}; a snapshot
 * is the same object without "wish_id".
 */
#include "wish_lookup.h"

#include "wish_json.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    bool registered;
    bool open;                              /* only once registered */
    char child_id[SHOAL_ENTITY_ID_MAX + 1]; /* "" until registered */
} wish_lookup_state_t;

/* --- Commands ----------------------------------------------------------- */

static void s_register_wish(shoal_ctx_t *ctx, const wish_lookup_state_t *state,
                            json_t *payload, shoal_effect_t *effect)
{
    (void)ctx;
    const char *child_id =
        json_string_value(json_object_get(payload, "child_id"));
    if (!child_id || !wish_is_entity_id(child_id)) {
        shoal_effect_reject(effect, "child_id must be a child's id: 1 to 256 "
                                    "bytes, no '/'");
        return;
    }
    if (state->registered) {
        if (strcmp(state->child_id, child_id) != 0)
            shoal_effect_reject(effect,
                                "wish already registered to another child");
        return; /* the same child: already done */
    }
    json_t *event =
        json_pack("{s:s, s:s}", "type", "WishRegistered", "child_id", child_id);
    wish_decide(effect, &event, 1, NULL, NULL);
}

static void s_close_wish(shoal_ctx_t *ctx, const wish_lookup_state_t *state,
                         json_t *payload, shoal_effect_t *effect)
{
    (void)ctx;
    (void)payload; /* CloseWish has no fields */
    if (!state->open) {
        shoal_effect_reject(effect, "wish not found");
        return;
    }
    json_t *event = json_pack("{s:s}", "type", "WishClosed");
    wish_decide(effect, &event, 1, NULL, NULL);
}

static void s_fulfill_wish(shoal_ctx_t *ctx, const wish_lookup_state_t *state,
                           json_t *payload, shoal_effect_t *effect)
{
    json_t *wish_id = json_object_get(payload, "wish_id");
    if (wish_id &&
        (!json_is_string(wish_id) ||
         strcmp(json_string_value(wish_id), shoal_ctx_entity_id(ctx)) != 0)) {
        shoal_effect_reject(effect,
                            "wish_id must be the id of the wish addressed");
        return;
    }
    shoal_effect_reject(effect, state->open
                                    ? "FulfillWish is handled by the gatekeeper"
                                    : "wish not found");
}

static const char *const s_register_fields[] = {"child_id", NULL};
static const char *const s_no_fields[] = {NULL};
static const char *const s_fulfill_fields[] = {"wish_id", NULL};

static const struct {
    const char *name;
    const char *const *fields;
    void (*handle)(shoal_ctx_t *ctx, const wish_lookup_state_t *state,
                   json_t *payload, shoal_effect_t *effect);
} s_commands[] = {
    {"RegisterWish", s_register_fields, s_register_wish},
    {"CloseWish", s_no_fields, s_close_wish},
    {"FulfillWish", s_fulfill_fields, s_fulfill_wish},
};

/* --- The type's functions (contracts in shoal/plugin.h) ----------------- */

void *wish_lookup_state_new(const char *entity_id)
{
    (void)entity_id; /* the query gets the id; the state need not keep it */
    return calloc(1, sizeof(wish_lookup_state_t));
}

void wish_lookup_state_free(void **state_p)
{
    if (!state_p || !*state_p)
        return;
    free(*state_p);
    *state_p = NULL;
}

/* Finds the command by name, reads its payload and lets it decide. Never
 * writes to state. */
void wish_lookup_handle_command(shoal_ctx_t *ctx, const void *state,
                                const shoal_command_t *command,
                                shoal_effect_t *effect)
{
    size_t count = sizeof s_commands / sizeof s_commands[0];
    for (size_t i = 0; i < count; i++) {
        if (strcmp(command->name, s_commands[i].name) != 0)
            continue;
        json_t *payload =
            wish_read_payload(command, s_commands[i].fields, effect);
        if (payload)
            s_commands[i].handle(ctx, state, payload, effect);
        json_decref(payload);
        return;
    }
    wish_reject(effect, "unknown command %.64s", command->name);
}

/* The fold. An event this plugin could not have emitted (malformed, a
 * second registration, an unknown type) is skipped. */
void wish_lookup_apply_event(void *state_p, const void *event,
                             size_t event_size)
{
    wish_lookup_state_t *state = state_p;
    json_error_t error;
    json_t *json = json_loadb(event, event_size, 0, &error);
    if (!json) {
        /* as the child's fold: a good event must not be skipped */
        if (json_error_code(&error) == json_error_out_of_memory)
            abort();
        return;
    }
    const char *type = "", *child_id = NULL;
    if (json_unpack(json, "{s:s, s?s}", "type", &type, "child_id", &child_id) <
        0)
        type = "";
    if (strcmp(type, "WishRegistered") == 0 && !state->registered && child_id &&
        wish_is_entity_id(child_id)) {
        state->registered = true;
        state->open = true;
        strcpy(state->child_id, child_id);
    } else if (strcmp(type, "WishClosed") == 0) {
        state->open = false;
    }
    json_decref(json);
}

/* Builds the JSON object of the state: the query without "wish_id", and
 * the snapshot. NULL when out of memory. */
static json_t *s_state_json(const wish_lookup_state_t *state)
{
    json_t *child_id =
        state->registered ? wish_entity_id_json(state->child_id) : json_null();
    /* "o" hands child_id over to the new object, even when json_pack
     * fails */
    return child_id ? json_pack("{s:o, s:b}", "child_id", child_id, "open",
                                state->open)
                    : NULL;
}

/* Renders the state with "wish_id" first. */
char *wish_lookup_query(const void *state_p, const char *entity_id)
{
    json_t *id = wish_entity_id_json(entity_id);
    json_t *query = id ? json_pack("{s:o}", "wish_id", id) : NULL;
    json_t *state = s_state_json(state_p);
    char *text = NULL;
    if (query && state && json_object_update(query, state) == 0)
        text = json_dumps(query, JSON_COMPACT);
    json_decref(query);
    json_decref(state);
    return text;
}

int wish_lookup_snapshot_encode(const void *state_p, void **data, size_t *size)
{
    char *text = wish_dump(s_state_json(state_p));
    if (!text)
        return -1;
    *data = text;
    *size = strlen(text);
    return 0;
}

/* Returns a new state from the bytes wish_lookup_snapshot_encode writes,
 * or NULL when they are not exactly such a snapshot or describe a state
 * the fold could not reach (open with no child). */
void *wish_lookup_snapshot_decode(const char *entity_id, const void *data,
                                  size_t size)
{
    json_t *json = wish_parse(data, size, NULL);
    json_t *child_id;
    int open;
    wish_lookup_state_t *state = NULL;
    if (!json || json_unpack_ex(json, NULL, JSON_STRICT, "{s:o, s:b}",
                                "child_id", &child_id, "open", &open) < 0)
        goto out_release_json;
    const char *child_text = json_string_value(child_id);
    if (child_text ? !wish_is_entity_id(child_text)
                   : !json_is_null(child_id) || open)
        goto out_release_json;
    state = wish_lookup_state_new(entity_id);
    if (!state)
        goto out_release_json;
    if (child_text) {
        state->registered = true;
        state->open = open;
        strcpy(state->child_id, child_text);
    }

out_release_json:
    json_decref(json);
    return state;
}
