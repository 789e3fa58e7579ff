/*
 * examples/wish/gatekeepers.c - the gatekeepers of the wish plugin
 * (contracts in gatekeepers.h). They run on the node's I/O thread before
 * a client's command is routed: cheap, non-blocking, without side effects.
 *
 * The naughty keyword list is the plugin's one global: written by
 * gatekeepers_open and gatekeepers_close only (the plugin's open and
 * close, when no gatekeeper runs), read-only in between.
 */
#include "gatekeepers.h"

#include "naughty_words.h"
#include "wish_json.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNAVAILABLE "wish lookup unavailable, try again"

static naughty_words_t *s_naughty_words;

int gatekeepers_open(const char *words_path, char *error, size_t error_size)
{
    naughty_words_t *words = naughty_words_load(words_path, error, error_size);
    if (!words)
        return -1;
    naughty_words_destroy(&s_naughty_words);
    s_naughty_words = words;
    return 0;
}

void gatekeepers_close(void)
{
    naughty_words_destroy(&s_naughty_words);
}

/* Rejects the command with a printf-style reason. */
static void s_reject(shoal_gate_t *gate, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void s_reject(shoal_gate_t *gate, const char *format, ...)
{
    char reason[320];
    va_list args;
    va_start(args, format);
    vsnprintf(reason, sizeof reason, format, args);
    va_end(args);
    shoal_gate_reject(gate, reason);
}

/* --- MakeWish ----------------------------------------------------------- */

void gatekeeper_make_wish(shoal_gate_t *gate, const shoal_command_t *command)
{
    assert(s_naughty_words); /* the plugin is open */
    json_error_t error;
    json_t *payload =
        wish_parse(command->payload, command->payload_size, &error);
    if (!payload) {
        if (json_error_code(&error) == json_error_out_of_memory)
            shoal_gate_reject(gate, "out of memory");
        else
            s_reject(gate,
                     "MakeWish needs a JSON object with a string \"wish\" "
                     "(payload is not valid JSON: %s)",
                     error.text);
        return;
    }
    /* json_object_get is NULL on a value that is not an object */
    const char *wish = json_string_value(json_object_get(payload, "wish"));
    if (!wish) {
        shoal_gate_reject(gate, "wish must be a string");
        goto out_release_payload;
    }
    bool naughty = naughty_words_find(s_naughty_words, wish) != NULL;
    char *text = NULL;
    if (json_object_set_new(payload, "naughty", json_boolean(naughty)) == 0)
        text = json_dumps(payload, JSON_COMPACT);
    if (text)
        shoal_gate_forward(gate, text, strlen(text));
    else
        shoal_gate_reject(gate, "out of memory"); /* never the client's flag */
    free(text);

out_release_payload:
    json_decref(payload);
}

/* --- FulfillWish -------------------------------------------------------- */

/* Checks FulfillWish's payload: empty, {} or {"wish_id":id} with the id
 * the command is addressed to. Returns 0, or -1 after rejecting. */
static int s_check_fulfill_payload(shoal_gate_t *gate,
                                   const shoal_command_t *command)
{
    if (command->payload_size == 0)
        return 0;
    json_error_t error;
    json_t *payload =
        wish_parse(command->payload, command->payload_size, &error);
    if (!payload) {
        s_reject(gate, "payload is not valid JSON: %s", error.text);
        return -1;
    }
    int result = -1;
    json_t *wish_id = json_object_get(payload, "wish_id");
    if (!json_is_object(payload))
        shoal_gate_reject(gate, "payload must be a JSON object");
    else if (json_object_size(payload) > (wish_id ? 1u : 0u))
        shoal_gate_reject(gate, "FulfillWish takes no field but wish_id");
    else if (wish_id && (!json_is_string(wish_id) ||
                         strcmp(json_string_value(wish_id),
                                shoal_gate_entity_id(gate)) != 0))
        shoal_gate_reject(gate, "wish_id must be the id of the wish addressed");
    else
        result = 0;
    json_decref(payload);
    return result;
}

/* Round 1: decides from the lookup's answer. */
static void s_fulfill_from_answer(shoal_gate_t *gate)
{
    uint64_t sequence;
    const char *answer = shoal_gate_answer(gate, 0, &sequence);
    if (!answer) {
        shoal_gate_reject(gate, UNAVAILABLE);
        return;
    }
    json_t *lookup = wish_parse(answer, strlen(answer), NULL);
    const char *child_id =
        json_string_value(json_object_get(lookup, "child_id"));
    if (!lookup) {
        shoal_gate_reject(gate, UNAVAILABLE); /* defensive: our own query */
    } else if (!child_id || !json_is_true(json_object_get(lookup, "open"))) {
        shoal_gate_reject(gate, "wish not found");
    } else {
        json_t *wish_id = wish_entity_id_json(shoal_gate_entity_id(gate));
        char *payload =
            wish_dump(wish_id ? json_pack("{s:o}", "wish_id", wish_id) : NULL);
        if (!payload)
            shoal_gate_reject(gate, "out of memory");
        else
            /* a failure here has the runtime answer ERROR internal */
            shoal_gate_dispatch(gate, "child", child_id, "MarkWishFulfilled",
                                payload, strlen(payload));
        free(payload);
    }
    json_decref(lookup);
}

void gatekeeper_fulfill_wish(shoal_gate_t *gate, const shoal_command_t *command)
{
    if (shoal_gate_round(gate) > 0) {
        s_fulfill_from_answer(gate);
        return;
    }
    if (s_check_fulfill_payload(gate, command) < 0)
        return;
    if (shoal_gate_ask(gate, "wish", shoal_gate_entity_id(gate), 0) < 0)
        shoal_gate_reject(gate, UNAVAILABLE);
}
