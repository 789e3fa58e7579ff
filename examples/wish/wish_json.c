/*
 * examples/wish/wish_json.c - the JSON plumbing the wish plugin's files
 * share (contracts in wish_json.h).
 */
#include "wish_json.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The most events one command of this plugin emits: MarkNaughty's
 * BecameNaughty and one WishCancelled per active wish. */
#define WISH_DECIDE_MAX_EVENTS 16

void wish_reject(shoal_effect_t *effect, const char *format, ...)
{
    char reason[320];
    va_list args;
    va_start(args, format);
    vsnprintf(reason, sizeof reason, format, args);
    va_end(args);
    shoal_effect_reject(effect, reason);
}

char *wish_dump(json_t *json)
{
    if (!json)
        return NULL;
    char *text = json_dumps(json, JSON_COMPACT);
    json_decref(json);
    return text;
}

json_t *wish_parse(const void *bytes, size_t size, json_error_t *error)
{
    json_error_t ignored;
    if (size == 0) {
        /* jansson refuses an empty buffer too; say so plainly */
        if (error) {
            memset(error, 0, sizeof *error);
            snprintf(error->text, sizeof error->text, "empty");
        }
        return NULL;
    }
    return json_loadb(bytes, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                      error ? error : &ignored);
}

json_t *wish_read_payload(const shoal_command_t *command,
                          const char *const *fields, shoal_effect_t *effect)
{
    json_error_t error;
    json_t *payload;
    if (command->payload_size == 0)
        payload = json_object();
    else
        payload = wish_parse(command->payload, command->payload_size, &error);
    if (!payload) {
        if (command->payload_size == 0 ||
            json_error_code(&error) == json_error_out_of_memory)
            shoal_effect_reject(effect, "out of memory");
        else
            wish_reject(effect, "payload is not valid JSON: %s", error.text);
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
            wish_reject(effect, "unknown field \"%.64s\"", key);
            goto out_release_payload;
        }
    }
    return payload;

out_release_payload:
    json_decref(payload);
    return NULL;
}

void wish_decide(shoal_effect_t *effect, json_t **events, size_t count,
                 json_t *reply, const char *reason)
{
    assert(count <= WISH_DECIDE_MAX_EVENTS);
    char *texts[WISH_DECIDE_MAX_EVENTS] = {0};
    bool rendered = true;
    for (size_t i = 0; i < count; i++) {
        texts[i] = wish_dump(events[i]); /* releases events[i] */
        rendered = rendered && texts[i];
    }
    char *reply_text = NULL;
    if (reply) {
        reply_text = wish_dump(reply);
        rendered = rendered && reply_text;
    }

    if (!rendered) {
        shoal_effect_reject(effect, "out of memory");
    } else {
        /* On failure the effect marks itself failed: the runtime then
         * answers with an internal error, nothing to do here. */
        for (size_t i = 0; i < count; i++)
            shoal_effect_emit(effect, texts[i], strlen(texts[i]));
        if (reason)
            shoal_effect_reject(effect, reason);
        else if (reply_text)
            shoal_effect_reply(effect, reply_text, strlen(reply_text));
    }
    for (size_t i = 0; i < count; i++)
        free(texts[i]);
    free(reply_text);
}

json_t *wish_entity_id_json(const char *entity_id)
{
    json_t *id = json_string(entity_id);
    if (id)
        return id;
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
    return id;
}

bool wish_text_has_chars(const char *text, size_t max_chars)
{
    size_t chars = 0;
    for (const char *at = text; *at; at++)
        if (((unsigned char)*at & 0xc0) != 0x80) /* not a continuation */
            chars++;
    return chars >= 1 && chars <= max_chars;
}

bool wish_is_entity_id(const char *text)
{
    size_t length = strlen(text);
    return length >= 1 && length <= SHOAL_ENTITY_ID_MAX && !strchr(text, '/');
}

void wish_format_time(int64_t ms, char buffer[WISH_TIME_SIZE])
{
    /* floor division, so that times before 1970 render too */
    int64_t seconds = ms / 1000;
    int64_t millis = ms % 1000;
    if (millis < 0) {
        millis += 1000;
        seconds -= 1;
    }
    time_t since_epoch = (time_t)seconds;
    struct tm utc;
    if (!gmtime_r(&since_epoch, &utc)) {
        /* defensive: a year past what struct tm holds */
        snprintf(buffer, WISH_TIME_SIZE, "%lld ms after the Unix epoch",
                 (long long)ms);
        return;
    }
    char date[40];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
    if (millis)
        snprintf(buffer, WISH_TIME_SIZE, "%s.%03dZ", date, (int)millis);
    else
        snprintf(buffer, WISH_TIME_SIZE, "%sZ", date);
}
