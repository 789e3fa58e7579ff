/*
 * runtime/cli/cli_output.c - how `shoal` prints replies and answers on
 * stdout: one line for people, or one JSON object per reply (--json).
 *
 * Payloads are opaque bytes. In JSON output a payload that parses as JSON
 * is embedded as such; any other payload becomes a JSON string, with
 * bytes that are not UTF-8 replaced by U+FFFD.
 *
 * Also the small renderings the commands share: times and tables.
 */
#include "runtime/cli/cli.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------------
 * JSON values
 */

/* Length of the valid UTF-8 sequence at text (at most size bytes), or 0
 * when it is not one. */
static size_t s_utf8_sequence_size(const unsigned char *text, size_t size)
{
    unsigned char lead = text[0];
    size_t length;
    unsigned char low = 0x80, high = 0xBF; /* range of the second byte */
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF)
        length = 2;
    else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        low = lead == 0xE0 ? 0xA0 : 0x80;  /* no overlong form */
        high = lead == 0xED ? 0x9F : 0xBF; /* no surrogate */
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        low = lead == 0xF0 ? 0x90 : 0x80;  /* no overlong form */
        high = lead == 0xF4 ? 0x8F : 0xBF; /* nothing past U+10FFFF */
    } else
        return 0;
    if (size < length || text[1] < low || text[1] > high)
        return 0;
    for (size_t index = 2; index < length; index++) {
        if (text[index] < 0x80 || text[index] > 0xBF)
            return 0;
    }
    return length;
}

/* Returns a JSON string of bytes that may not be UTF-8: each byte that
 * does not start a valid sequence becomes U+FFFD. The value is the
 * caller's (json_decref), or NULL when memory runs out. */
json_t *cli_json_string_of_bytes(const char *data, size_t size)
{
    json_t *string = json_stringn(data, size);
    if (string != NULL)
        return string;
    char *clean = malloc(size * 3 + 1); /* U+FFFD is 3 bytes */
    if (clean == NULL)
        return NULL;
    size_t clean_size = 0;
    for (size_t index = 0; index < size;) {
        size_t length = s_utf8_sequence_size(
            (const unsigned char *)data + index, size - index);
        if (length == 0) {
            memcpy(clean + clean_size, "\xEF\xBF\xBD", 3);
            clean_size += 3;
            index++;
        } else {
            memcpy(clean + clean_size, data + index, length);
            clean_size += length;
            index += length;
        }
    }
    string = json_stringn(clean, clean_size);
    free(clean);
    return string;
}

/* The payload as JSON: parsed when it is JSON, else a string. */
static json_t *s_json_of_payload(const char *data, size_t size)
{
    json_t *value = json_loadb(data, size, JSON_DECODE_ANY, NULL);
    return value != NULL ? value : cli_json_string_of_bytes(data, size);
}

/* A sequence number as JSON: an integer, or a string past JSON's range. */
static json_t *s_json_of_uint64(uint64_t value)
{
    if (value <= (uint64_t)INT64_MAX)
        return json_integer((json_int_t)value);
    char text[24];
    snprintf(text, sizeof text, "%" PRIu64, value);
    return json_string(text);
}

/* Prints value on one line of stdout and releases it. */
static void s_print_json(json_t *value, size_t flags)
{
    char *text =
        value != NULL ? json_dumps(value, flags | JSON_ENCODE_ANY) : NULL;
    if (text != NULL)
        printf("%s\n", text);
    else
        fprintf(stderr, "shoal: cannot render the reply as JSON\n");
    free(text);
    json_decref(value);
}

/* Prints value as compact JSON on one line of stdout and releases it. A
 * NULL value (out of memory) is reported on stderr. */
void cli_print_json_line(json_t *value)
{
    s_print_json(value, JSON_COMPACT);
}

/* Writes ms (since the Unix epoch) as ISO 8601 UTC with milliseconds, or
 * as the bare number when the system cannot render it. */
void cli_format_time(int64_t ms, char text[CLI_TIME_TEXT_SIZE])
{
    time_t seconds = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int millis = (int)(ms - (int64_t)seconds * 1000);
    struct tm utc;
    char date[24];
    if (gmtime_r(&seconds, &utc) == NULL ||
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc) == 0)
        snprintf(text, CLI_TIME_TEXT_SIZE, "%" PRId64 " ms", ms);
    else
        snprintf(text, CLI_TIME_TEXT_SIZE, "%s.%03dZ", date, millis);
}

/* ---------------------------------------------------------------------
 * Replies
 */

/* The reply as one JSON object: {"status":..., ...}. */
static json_t *s_json_of_reply(const shoal_reply_t *reply)
{
    json_t *object = json_object();
    switch (reply->status) {
    case SHOAL_REPLY_ACCEPTED:
    case SHOAL_REPLY_REJECTED: {
        bool accepted = reply->status == SHOAL_REPLY_ACCEPTED;
        json_object_set_new(object, "status",
                            json_string(accepted ? "accepted" : "rejected"));
        json_object_set_new(object, "first_seq",
                            s_json_of_uint64(reply->first_seq));
        json_object_set_new(object, "event_count",
                            s_json_of_uint64(reply->event_count));
        json_object_set_new(
            object, accepted ? "reply" : "reason",
            accepted ? s_json_of_payload(reply->body, reply->body_size)
                     : cli_json_string_of_bytes(reply->body, reply->body_size));
        break;
    }
    case SHOAL_REPLY_ERROR:
        json_object_set_new(object, "status", json_string("error"));
        json_object_set_new(object, "code", json_string(reply->error_code));
        json_object_set_new(
            object, "message",
            cli_json_string_of_bytes(reply->body, reply->body_size));
        break;
    case SHOAL_REPLY_PONG:
        json_object_set_new(object, "status", json_string("pong"));
        break;
    }
    const shoal_owner_t *owner = &reply->owner;
    if (owner->known)
        json_object_set_new(object, "owner",
                            json_pack("{s:s, s:s, s:I, s:o}", "member",
                                      owner->member, "endpoint",
                                      owner->endpoint, "shard",
                                      (json_int_t)owner->shard, "epoch",
                                      s_json_of_uint64(owner->epoch)));
    return object;
}

/* Prints "seq 3..4", "seq 3" or "no events". */
static void s_print_sequence(const shoal_reply_t *reply)
{
    if (reply->event_count == 0)
        printf("no events");
    else if (reply->event_count == 1)
        printf("seq %" PRIu64, reply->first_seq);
    else
        printf("seq %" PRIu64 "..%" PRIu64, reply->first_seq,
               reply->first_seq + reply->event_count - 1);
}

/* What the protocol advises for an error code, or "". */
static const char *s_error_advice(const char *code)
{
    if (strcmp(code, "busy") == 0)
        return " (retry after a pause)";
    if (strcmp(code, "internal") == 0)
        return " (retry with the same --id)";
    return "";
}

/* Prints the reply as one line for people. */
static void s_print_reply_line(const shoal_reply_t *reply)
{
    switch (reply->status) {
    case SHOAL_REPLY_ACCEPTED:
        printf("accepted  ");
        s_print_sequence(reply);
        if (reply->body_size > 0)
            printf("  ");
        break;
    case SHOAL_REPLY_REJECTED:
        printf("rejected  ");
        if (reply->event_count > 0) {
            s_print_sequence(reply);
            printf("  ");
        }
        break;
    case SHOAL_REPLY_ERROR:
        printf("error %s: ", reply->error_code);
        break;
    case SHOAL_REPLY_PONG:
        printf("pong");
        break;
    }
    fwrite(reply->body, 1, reply->body_size, stdout);
    if (reply->status == SHOAL_REPLY_ERROR)
        printf("%s", s_error_advice(reply->error_code));
    printf("\n");
    const shoal_owner_t *owner = &reply->owner;
    if (owner->known)
        printf("owner %s %s shard %u epoch %llu\n", owner->member,
               owner->endpoint, (unsigned)owner->shard,
               (unsigned long long)owner->epoch);
}

/* Prints a reply, as one line for people or as one JSON object. Returns
 * the exit status it stands for: CLI_EXIT_OK (accepted, pong),
 * CLI_EXIT_REJECTED or CLI_EXIT_NODE_ERROR. */
int cli_print_reply(const shoal_reply_t *reply, bool json)
{
    if (json)
        s_print_json(s_json_of_reply(reply), JSON_COMPACT);
    else
        s_print_reply_line(reply);
    switch (reply->status) {
    case SHOAL_REPLY_REJECTED:
        return CLI_EXIT_REJECTED;
    case SHOAL_REPLY_ERROR:
        return CLI_EXIT_NODE_ERROR;
    default:
        return CLI_EXIT_OK;
    }
}

/* ---------------------------------------------------------------------
 * Status socket answers
 */

/* Prints an answer such as an entity's state. For people, JSON objects
 * and arrays are indented and anything else is printed as is; with json,
 * JSON is printed on one line and anything else as a JSON string. */
void cli_print_answer(const char *answer, bool json)
{
    size_t size = strlen(answer);
    json_t *value = json_loadb(answer, size, JSON_DECODE_ANY, NULL);
    if (json)
        s_print_json(value != NULL ? value
                                   : cli_json_string_of_bytes(answer, size),
                     JSON_COMPACT);
    else if (json_is_object(value) || json_is_array(value))
        s_print_json(value, JSON_INDENT(2));
    else {
        json_decref(value);
        cli_print_text(answer);
    }
}

/* Prints text as is, ending it with a newline if it has none. */
void cli_print_text(const char *text)
{
    size_t size = strlen(text);
    fputs(text, stdout);
    if (size == 0 || text[size - 1] != '\n')
        putchar('\n');
}

/* ---------------------------------------------------------------------
 * Tables
 */

/* Prints one line of a table: the cells padded to their column's width,
 * the last one unpadded, and no padding after the last cell with text. */
static void s_print_table_line(int indent, size_t column_count,
                               const char *const *cells, const int *widths)
{
    size_t used = column_count;
    while (used > 1 && cells[used - 1][0] == '\0')
        used--;
    printf("%*s", indent, "");
    for (size_t column = 0; column + 1 < used; column++)
        printf("%-*s  ", widths[column], cells[column]);
    printf("%s\n", cells[used - 1]);
}

/* Prints headings and rows with the columns aligned (see cli.h). */
void cli_print_table(int indent, size_t column_count,
                     const char *const *headings, const char *const *cells,
                     size_t row_count)
{
    int *widths = calloc(column_count, sizeof *widths);
    if (widths == NULL)
        return;
    for (size_t column = 0; column < column_count; column++)
        widths[column] = (int)strlen(headings[column]);
    for (size_t row = 0; row < row_count; row++) {
        for (size_t column = 0; column < column_count; column++) {
            int width = (int)strlen(cells[row * column_count + column]);
            if (width > widths[column])
                widths[column] = width;
        }
    }
    s_print_table_line(indent, column_count, headings, widths);
    for (size_t row = 0; row < row_count; row++)
        s_print_table_line(indent, column_count, cells + row * column_count,
                           widths);
    free(widths);
}
