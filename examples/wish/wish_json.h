/*
 * examples/wish/wish_json.h - the JSON plumbing the wish plugin's files
 * share: reading a command's payload, deciding an effect from JSON events
 * and replies, rendering entity ids and times, and checking wish texts.
 *
 * Every function that takes a json_t * argument documented as "taken over"
 * releases it, on success and on failure alike, so callers can pass the
 * result of json_pack directly (NULL when it ran out of memory).
 */
#ifndef SHOAL_EXAMPLES_WISH_JSON_H
#define SHOAL_EXAMPLES_WISH_JSON_H

#include "shoal/plugin.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The size of the buffer wish_format_time fills: room for any year a
 * struct tm holds. */
#define WISH_TIME_SIZE 48

/* Rejects the command with a printf-style reason (at most 320 bytes). */
void wish_reject(shoal_effect_t *effect, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Renders json (taken over) compactly. Returns the text (malloc'd, the
 * caller frees it), or NULL when json is NULL or out of memory. */
char *wish_dump(json_t *json);

/* Parses bytes as JSON (any value). Returns the value (the caller releases
 * it) or NULL when the bytes are not valid JSON; the parser's message then
 * goes into error, when not NULL. Duplicate object keys are refused. */
json_t *wish_parse(const void *bytes, size_t size, json_error_t *error);

/* Reads the command's payload as a JSON object whose fields are all in
 * the NULL-terminated list fields; an empty payload reads as {}. Returns
 * the object (the caller releases it), or NULL after rejecting the command
 * with a reason that names the problem. */
json_t *wish_read_payload(const shoal_command_t *command,
                          const char *const *fields, shoal_effect_t *effect);

/* Decides the command's effect from JSON: emits the count events (each
 * taken over) in order, then replies with reply (taken over; NULL for an
 * empty reply) or, when reason is not NULL, rejects with reason. Every
 * event and the reply are rendered before anything reaches the effect, so
 * running out of memory rejects the command with no event instead of
 * journaling part of its events. */
void wish_decide(shoal_effect_t *effect, json_t **events, size_t count,
                 json_t *reply, const char *reason);

/* Returns entity_id as a new JSON string. JSON strings are UTF-8 while an
 * entity id may be any bytes but NUL and '/': in an id that is not valid
 * UTF-8, the bytes past ASCII show as '?'. NULL when out of memory. */
json_t *wish_entity_id_json(const char *entity_id);

/* True when text (valid UTF-8, as every jansson string is) has 1 to
 * max_chars characters (code points). */
bool wish_text_has_chars(const char *text, size_t max_chars);

/* True when text can be an entity id: 1..SHOAL_ENTITY_ID_MAX bytes, no
 * '/'. */
bool wish_is_entity_id(const char *text);

/* Writes ms (milliseconds since the Unix epoch, UTC) into buffer as
 * ISO-8601 UTC: "2026-11-26T10:01:00Z", with ".mmm" before the Z when the
 * milliseconds are not zero. */
void wish_format_time(int64_t ms, char buffer[WISH_TIME_SIZE]);

#endif
