/*
 * examples/wish/child_commands.c - the `child` aggregate's commands: the
 * rules of wish.md, deciding events and replies against a state they
 * never modify.
 *
 * Commands; payloads are JSON objects, an empty payload reads as {}, a
 * field a command does not know is rejected, and a malformed payload is
 * rejected with a reason naming the field, with no event:
 *
 *   MakeWish {"wish":text,"naughty":b}   text: 1..200 characters;
 *       naughty is set by the MakeWish gatekeeper. Checked in this order:
 *       1. banned_until > now  -> rejected "banned until T", no event
 *       2. 10 active wishes    -> WishRejected{TooManyWishes}, rejected
 *                                 "can't have more than ten wishes"
 *       3. naughty_until > now -> WishRejected{ChildOnNaughtyList},
 *                                 rejected "on the naughty list until T"
 *       4. naughty             -> WishRejected{NaughtyWish}, rejected
 *                                 "naughty wish"
 *       5. otherwise           -> WishApproved{wish_id, wish}, reply
 *                                 {"wish_id":id}
 *   CancelWish {"wish_id":id}   an active wish -> WishCancelled, reply
 *       {"wish_id":id}; otherwise rejected "wish not found"
 *   MarkWishFulfilled {"wish_id":id}   an active wish -> WishFulfilled,
 *       reply {"wish_id":id}; otherwise rejected "wish not found"
 *   MarkNaughty {"until":ms}   until <= now -> rejected "already expired";
 *       until <= naughty_until -> rejected "already on the naughty list";
 *       otherwise BecameNaughty{until} then one WishCancelled per active
 *       wish, in approval order, and reply {"naughty_until":ms}
 *
 * T is a time rendered as ISO-8601 UTC ("2026-11-26T10:01:00Z"); every
 * time in a payload or an event is an integer of milliseconds since the
 * Unix epoch, UTC. The event shapes are listed in child_state.c. Wish ids
 * come from the runtime's deterministic generator, so a retried MakeWish
 * approves the same id.
 */
#include "child.h"

#include "wish_json.h"

#include <stdio.h>
#include <string.h>

/* Emits WishRejected{wish, reason, at: now} and rejects with message. */
static void s_reject_recorded(shoal_ctx_t *ctx, const char *wish,
                              const char *reason, const char *message,
                              shoal_effect_t *effect)
{
    json_t *event =
        json_pack("{s:s, s:s, s:s, s:I}", "type", "WishRejected", "wish", wish,
                  "reason", reason, "at", (json_int_t)shoal_ctx_now_ms(ctx));
    wish_decide(effect, &event, 1, NULL, message);
}

/* Reads payload's "wish_id" (a string). Returns it (borrowed from
 * payload), or NULL after rejecting the command. */
static const char *s_read_wish_id(json_t *payload, shoal_effect_t *effect)
{
    const char *wish_id =
        json_string_value(json_object_get(payload, "wish_id"));
    if (!wish_id)
        shoal_effect_reject(effect, "wish_id must be a string");
    return wish_id;
}

/* MakeWish: the payload, then the rules in the order listed above. */
static void s_make_wish(shoal_ctx_t *ctx, const child_state_t *state,
                        json_t *payload, shoal_effect_t *effect)
{
    const char *wish = json_string_value(json_object_get(payload, "wish"));
    if (!wish || !child_wish_text_is_valid(wish)) {
        shoal_effect_reject(effect,
                            "wish must be a string of 1 to 200 characters");
        return;
    }
    json_t *naughty = json_object_get(payload, "naughty");
    if (!json_is_boolean(naughty)) {
        shoal_effect_reject(effect, "naughty must be a boolean");
        return;
    }

    int64_t now = shoal_ctx_now_ms(ctx);
    char until[WISH_TIME_SIZE];
    if (state->banned_until > now) {
        wish_format_time(state->banned_until, until);
        wish_reject(effect, "banned until %s", until);
    } else if (state->wish_count >= CHILD_MAX_WISHES) {
        s_reject_recorded(ctx, wish, "TooManyWishes",
                          "can't have more than ten wishes", effect);
    } else if (state->naughty_until > now) {
        char message[64 + WISH_TIME_SIZE];
        wish_format_time(state->naughty_until, until);
        snprintf(message, sizeof message, "on the naughty list until %s",
                 until);
        s_reject_recorded(ctx, wish, "ChildOnNaughtyList", message, effect);
    } else if (json_is_true(naughty)) {
        s_reject_recorded(ctx, wish, "NaughtyWish", "naughty wish", effect);
    } else {
        char wish_id[SHOAL_ID_SIZE];
        shoal_ctx_new_id(ctx, wish_id);
        json_t *event = json_pack("{s:s, s:s, s:s}", "type", "WishApproved",
                                  "wish_id", wish_id, "wish", wish);
        wish_decide(effect, &event, 1, json_pack("{s:s}", "wish_id", wish_id),
                    NULL);
    }
}

/* Returns the event that removes wish with type (WishCancelled or
 * WishFulfilled), or NULL when out of memory. */
static json_t *s_removal_event(const char *type, const child_wish_t *wish)
{
    return json_pack("{s:s, s:s, s:s}", "type", type, "wish_id", wish->id,
                     "wish", wish->text);
}

/* CancelWish and MarkWishFulfilled: remove an active wish with the event
 * of type. */
static void s_remove_wish(const child_state_t *state, json_t *payload,
                          const char *type, shoal_effect_t *effect)
{
    const char *wish_id = s_read_wish_id(payload, effect);
    if (!wish_id)
        return;
    const child_wish_t *wish = child_find_wish(state, wish_id);
    if (!wish) {
        shoal_effect_reject(effect, "wish not found");
        return;
    }
    json_t *event = s_removal_event(type, wish);
    wish_decide(effect, &event, 1, json_pack("{s:s}", "wish_id", wish->id),
                NULL);
}

static void s_cancel_wish(shoal_ctx_t *ctx, const child_state_t *state,
                          json_t *payload, shoal_effect_t *effect)
{
    (void)ctx;
    s_remove_wish(state, payload, "WishCancelled", effect);
}

static void s_mark_wish_fulfilled(shoal_ctx_t *ctx, const child_state_t *state,
                                  json_t *payload, shoal_effect_t *effect)
{
    (void)ctx;
    s_remove_wish(state, payload, "WishFulfilled", effect);
}

/* MarkNaughty: BecameNaughty and the cancellation of every active wish,
 * in one effect, so they are appended atomically. */
static void s_mark_naughty(shoal_ctx_t *ctx, const child_state_t *state,
                           json_t *payload, shoal_effect_t *effect)
{
    json_t *until_json = json_object_get(payload, "until");
    if (!json_is_integer(until_json) ||
        json_integer_value(until_json) > CHILD_LATEST_TIME) {
        shoal_effect_reject(effect, "until must be an integer of ms since the "
                                    "Unix epoch, before the year 10000");
        return;
    }
    int64_t until = json_integer_value(until_json);
    if (until <= shoal_ctx_now_ms(ctx)) {
        shoal_effect_reject(effect, "already expired");
        return;
    }
    if (until <= state->naughty_until) {
        shoal_effect_reject(effect, "already on the naughty list");
        return;
    }
    json_t *events[1 + CHILD_MAX_WISHES];
    size_t count = 0;
    events[count++] = json_pack("{s:s, s:I}", "type", "BecameNaughty", "until",
                                (json_int_t)until);
    for (size_t i = 0; i < state->wish_count; i++)
        events[count++] = s_removal_event("WishCancelled", &state->wishes[i]);
    wish_decide(effect, events, count,
                json_pack("{s:I}", "naughty_until", (json_int_t)until), NULL);
}

static const char *const s_make_wish_fields[] = {"wish", "naughty", NULL};
static const char *const s_wish_id_fields[] = {"wish_id", NULL};
static const char *const s_until_fields[] = {"until", NULL};

/* The commands and the payload fields each accepts. */
static const struct {
    const char *name;
    const char *const *fields;
    void (*handle)(shoal_ctx_t *ctx, const child_state_t *state,
                   json_t *payload, shoal_effect_t *effect);
} s_commands[] = {
    {"MakeWish", s_make_wish_fields, s_make_wish},
    {"CancelWish", s_wish_id_fields, s_cancel_wish},
    {"MarkWishFulfilled", s_wish_id_fields, s_mark_wish_fulfilled},
    {"MarkNaughty", s_until_fields, s_mark_naughty},
};

/* Finds the command by name, reads its payload and lets it decide. Never
 * writes to state. */
void child_handle_command(shoal_ctx_t *ctx, const void *state,
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
