/*
 * examples/wish/policies.c - the wish plugin's policies (contracts in
 * policies.h). They run on the node's policy thread, one `child` event at
 * a time; the child is the event's entity. Each is deterministic given the
 * event, so a redelivered event takes the same actions, which the runtime
 * then deduplicates.
 *
 * The "wish" of WishCancelled and WishFulfilled on wish_updates comes from
 * the event itself: the child puts the wish's text in those events for
 * this policy, so that present logistics learn which present to cancel or
 * deliver. An older event without it is published without "wish".
 */
#include "policies.h"

#include "wish_json.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Gives a printf-style reason with shoal_reaction_fail; returns -1. */
static int s_fail(shoal_reaction_t *reaction, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static int s_fail(shoal_reaction_t *reaction, const char *format, ...)
{
    char reason[320];
    va_list args;
    va_start(args, format);
    vsnprintf(reason, sizeof reason, format, args);
    va_end(args);
    shoal_reaction_fail(reaction, reason);
    return -1;
}

/* Parses event as a JSON object with a string "type" into *json (the
 * caller releases it) and *type (borrowed from *json). Returns 0, or -1
 * after failing the reaction. */
static int s_read_event(shoal_reaction_t *reaction, const void *event,
                        size_t event_size, json_t **json, const char **type)
{
    json_error_t error;
    *json = wish_parse(event, event_size, &error);
    if (!*json)
        return s_fail(reaction, "event is not valid JSON: %s", error.text);
    *type = json_string_value(json_object_get(*json, "type"));
    if (!*type) {
        json_decref(*json);
        *json = NULL;
        return s_fail(reaction, "event has no string \"type\"");
    }
    return 0;
}

/* Returns event's string field name (borrowed), or NULL after failing the
 * reaction. */
static const char *s_string_field(shoal_reaction_t *reaction, json_t *event,
                                  const char *type, const char *name)
{
    const char *value = json_string_value(json_object_get(event, name));
    if (!value)
        s_fail(reaction, "%s event has no string \"%s\"", type, name);
    return value;
}

/* --- wish-lookup -------------------------------------------------------- */

/* Dispatches command with payload (taken over) to wish/<wish_id>.
 * Returns 0 or -1 after failing the reaction. */
static int s_dispatch_to_wish(shoal_reaction_t *reaction, const char *wish_id,
                              const char *command, json_t *payload)
{
    char *text = wish_dump(payload);
    if (!text)
        return s_fail(reaction, "out of memory");
    int result = shoal_reaction_dispatch(reaction, "wish", wish_id, command,
                                         text, strlen(text));
    free(text);
    if (result < 0)
        return s_fail(reaction, "dispatch of %s to wish/%.64s failed", command,
                      wish_id);
    return 0;
}

int policy_wish_lookup(shoal_reaction_t *reaction, const void *event,
                       size_t event_size)
{
    json_t *json;
    const char *type;
    if (s_read_event(reaction, event, event_size, &json, &type) < 0)
        return -1;
    int result = 0;
    bool registers = strcmp(type, "WishApproved") == 0;
    bool closes = strcmp(type, "WishCancelled") == 0 ||
                  strcmp(type, "WishFulfilled") == 0;
    if (registers || closes) {
        const char *wish_id = s_string_field(reaction, json, type, "wish_id");
        json_t *child_id =
            wish_entity_id_json(shoal_reaction_entity_id(reaction));
        if (!wish_id)
            result = -1;
        else if (registers)
            result = s_dispatch_to_wish(
                reaction, wish_id, "RegisterWish",
                child_id ? json_pack("{s:O}", "child_id", child_id) : NULL);
        else
            result = s_dispatch_to_wish(reaction, wish_id, "CloseWish",
                                        json_object());
        json_decref(child_id);
    }
    json_decref(json);
    return result;
}

/* --- wish-publisher ----------------------------------------------------- */

/* Publishes message (taken over) on topic. Returns 0 or -1 after failing
 * the reaction. */
static int s_publish(shoal_reaction_t *reaction, const char *topic,
                     json_t *message)
{
    char *text = wish_dump(message);
    if (!text)
        return s_fail(reaction, "out of memory");
    int result = shoal_reaction_publish(reaction, topic, text, strlen(text));
    free(text);
    if (result < 0)
        return s_fail(reaction, "publication on %s failed", topic);
    return 0;
}

/* Builds the wish_updates message of event (type t). NULL after failing
 * the reaction. */
static json_t *s_wish_update(shoal_reaction_t *reaction, json_t *event,
                             const char *type, json_t *child_id)
{
    const char *wish_id = s_string_field(reaction, event, type, "wish_id");
    if (!wish_id)
        return NULL;
    json_t *message = json_pack("{s:s, s:O, s:s}", "type", type, "child_id",
                                child_id, "wish_id", wish_id);
    const char *wish = json_string_value(json_object_get(event, "wish"));
    if (message && wish &&
        json_object_set_new(message, "wish", json_string(wish)) < 0) {
        json_decref(message);
        message = NULL;
    }
    if (!message)
        s_fail(reaction, "out of memory");
    return message;
}

/* Builds the NaughtinessDetected message of a WishRejected event. NULL
 * after failing the reaction. */
static json_t *s_naughtiness(shoal_reaction_t *reaction, json_t *event,
                             json_t *child_id)
{
    const char *wish = s_string_field(reaction, event, "WishRejected", "wish");
    json_t *at = json_object_get(event, "at");
    if (!wish)
        return NULL;
    if (!json_is_integer(at)) {
        s_fail(reaction, "WishRejected event has no integer \"at\"");
        return NULL;
    }
    json_t *message =
        json_pack("{s:s, s:O, s:s, s:O}", "type", "NaughtinessDetected",
                  "child_id", child_id, "wish", wish, "at", at);
    if (!message)
        s_fail(reaction, "out of memory");
    return message;
}

int policy_wish_publisher(shoal_reaction_t *reaction, const void *event,
                          size_t event_size)
{
    json_t *json;
    const char *type;
    if (s_read_event(reaction, event, event_size, &json, &type) < 0)
        return -1;
    json_t *child_id = wish_entity_id_json(shoal_reaction_entity_id(reaction));
    const char *reason = json_string_value(json_object_get(json, "reason"));
    int result = 0;
    if (!child_id) {
        result = s_fail(reaction, "out of memory");
    } else if (strcmp(type, "WishApproved") == 0 ||
               strcmp(type, "WishCancelled") == 0 ||
               strcmp(type, "WishFulfilled") == 0) {
        json_t *message = s_wish_update(reaction, json, type, child_id);
        result = message ? s_publish(reaction, "wish_updates", message) : -1;
    } else if (strcmp(type, "WishRejected") == 0 && reason &&
               strcmp(reason, "NaughtyWish") == 0) {
        json_t *message = s_naughtiness(reaction, json, child_id);
        result = message ? s_publish(reaction, "naughtiness", message) : -1;
    }
    json_decref(child_id);
    json_decref(json);
    return result;
}
