/*
 * runtime/protocol.c - parsing and encoding of the wire protocol (see
 * protocol.h and docs/PROTOCOL.md). Every field is checked; nothing here
 * asserts on input.
 */
#include "runtime/protocol.h"
#include "runtime/plugins.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int shoal_protocol_open_envelope(const shoal_frame_t *frames, size_t count,
                                 shoal_route_t *route, size_t *body)
{
    route->delimiter = false;
    if (count == 0)
        return -1;
    route->identity = frames[0].data;
    route->identity_size = frames[0].size;
    size_t first = 1;
    if (count > 1 && frames[1].size == 0) {
        route->delimiter = true;
        first = 2;
    }
    *body = first;
    return count > first ? 0 : -1;
}

bool shoal_frame_is(const shoal_frame_t *frame, const char *text)
{
    size_t size = strlen(text);
    return frame->size == size && memcmp(frame->data, text, size) == 0;
}

int shoal_frame_decimal(const shoal_frame_t *frame, uint64_t *value)
{
    if (frame->size == 0 || frame->size > 19)
        return -1;
    uint64_t number = 0;
    for (size_t i = 0; i < frame->size; i++) {
        char c = ((const char *)frame->data)[i];
        if (c < '0' || c > '9')
            return -1;
        number = number * 10 + (uint64_t)(c - '0');
    }
    *value = number;
    return 0;
}

/* Copies a frame into a NUL-terminated buffer when its size is within
 * [min, max] and it holds no NUL. Returns 0 or -1. */
static int s_copy_text(const shoal_frame_t *frame, size_t min, size_t max,
                       char *buffer)
{
    if (frame->size < min || frame->size > max ||
        (frame->size && memchr(frame->data, 0, frame->size)))
        return -1;
    if (frame->size)
        memcpy(buffer, frame->data, frame->size);
    buffer[frame->size] = '\0';
    return 0;
}

/* Fails a parse with code and a formatted message. */
static int s_reject(const char **code, const char *what, char *text,
                    size_t size, const char *format, ...)
    __attribute__((format(printf, 5, 6)));
static int s_reject(const char **code, const char *what, char *text,
                    size_t size, const char *format, ...)
{
    *code = what;
    va_list args;
    va_start(args, format);
    vsnprintf(text, size, format, args);
    va_end(args);
    return -1;
}

/* Parses the SEND frames 3.. of a client request. */
static int s_parse_send(const shoal_frame_t *frames, size_t count,
                        size_t max_payload, shoal_client_request_t *request,
                        const char **code, char *text, size_t size)
{
    if (count < 7 || count > 9)
        return s_reject(code, "malformed", text, size,
                        "SEND has %zu frames, expected 7, 8 or 9", count);
    if (s_copy_text(&frames[3], 1, SHOAL_TYPE_NAME_MAX, request->type) < 0 ||
        !shoal_name_is_valid(request->type, strlen(request->type),
                             SHOAL_TYPE_NAME_MAX))
        return s_reject(code, "malformed", text, size,
                        "frame 3 (type) must be 1..%d of [A-Za-z0-9_-]",
                        SHOAL_TYPE_NAME_MAX);
    if (s_copy_text(&frames[4], 1, SHOAL_ENTITY_ID_MAX, request->entity_id) <
            0 ||
        strchr(request->entity_id, '/'))
        return s_reject(code, "malformed", text, size,
                        "frame 4 (entity id) must be 1..%d bytes, no NUL "
                        "and no '/'",
                        SHOAL_ENTITY_ID_MAX);
    if (s_copy_text(&frames[5], 1, SHOAL_COMMAND_NAME_MAX, request->command) <
            0 ||
        !shoal_name_is_valid(request->command, strlen(request->command),
                             SHOAL_COMMAND_NAME_MAX))
        return s_reject(code, "malformed", text, size,
                        "frame 5 (command) must be 1..%d of [A-Za-z0-9_-]",
                        SHOAL_COMMAND_NAME_MAX);
    if (frames[6].size > max_payload)
        return s_reject(code, "malformed", text, size,
                        "frame 6 (payload) has %zu bytes, the limit is %zu",
                        frames[6].size, max_payload);
    request->payload = frames[6].data;
    request->payload_size = frames[6].size;
    request->command_id[0] = '\0';
    if (count >= 8 && s_copy_text(&frames[7], 0, SHOAL_COMMAND_ID_MAX,
                                  request->command_id) < 0)
        return s_reject(code, "malformed", text, size,
                        "frame 7 (command id) must be 0..%d bytes, no NUL",
                        SHOAL_COMMAND_ID_MAX);
    if (count == 9 && frames[8].size > 0 &&
        !shoal_frame_is(&frames[8], SHOAL_OPTION_OWNER))
        return s_reject(code, "malformed", text, size,
                        "frame 8 (reply options) must be empty or '%s'",
                        SHOAL_OPTION_OWNER);
    request->want_owner = count == 9 && frames[8].size > 0;
    return 0;
}

/* Parses the EVENTS frames 3.. of a client request: topic, cursor and an
 * optional most events to return. */
static int s_parse_events(const shoal_frame_t *frames, size_t count,
                          shoal_client_request_t *request, const char **code,
                          char *text, size_t size)
{
    if (count < 5 || count > 6)
        return s_reject(code, "malformed", text, size,
                        "EVENTS has %zu frames, expected 5 or 6", count);
    if (s_copy_text(&frames[3], 1, SHOAL_TOPIC_NAME_MAX, request->topic) < 0 ||
        !shoal_name_is_valid(request->topic, strlen(request->topic),
                             SHOAL_TOPIC_NAME_MAX))
        return s_reject(code, "malformed", text, size,
                        "frame 3 (topic) must be 1..%d of [A-Za-z0-9_-]",
                        SHOAL_TOPIC_NAME_MAX);
    if (frames[4].size > 65536)
        return s_reject(code, "malformed", text, size,
                        "frame 4 (cursor) is longer than 65536 bytes");
    request->cursor = frames[4].data;
    request->cursor_size = frames[4].size;
    request->max_events = SHOAL_EVENTS_DEFAULT;
    if (count == 6) {
        uint64_t max = 0;
        const char *digits = frames[5].data;
        bool valid = frames[5].size > 0 && frames[5].size <= 4;
        for (size_t i = 0; valid && i < frames[5].size; i++) {
            valid = digits[i] >= '0' && digits[i] <= '9';
            max = max * 10 + (uint64_t)(digits[i] - '0');
        }
        if (!valid || max < 1 || max > SHOAL_EVENTS_MAX)
            return s_reject(code, "malformed", text, size,
                            "frame 5 (max events) must be 1..%d in decimal",
                            SHOAL_EVENTS_MAX);
        request->max_events = (uint32_t)max;
    }
    request->is_events = true;
    return 0;
}

int shoal_protocol_parse_client(const shoal_frame_t *frames, size_t count,
                                size_t max_payload,
                                shoal_client_request_t *request,
                                shoal_route_t *route, const char **code,
                                char *text, size_t size)
{
    memset(request, 0, sizeof *request);
    route->request_id = NULL;
    route->request_id_size = 0;
    if (count >= 2 && frames[1].size <= SHOAL_REQUEST_ID_MAX) {
        route->request_id = frames[1].data;
        route->request_id_size = frames[1].size;
    }
    if (count == 0 || !shoal_frame_is(&frames[0], SHOAL_PROTOCOL_VERSION))
        return s_reject(code, "unsupported_version", text, size,
                        "frame 0 must be %s", SHOAL_PROTOCOL_VERSION);
    if (count < 2)
        return s_reject(code, "malformed", text, size,
                        "frame 1 (request id) is missing");
    if (frames[1].size > SHOAL_REQUEST_ID_MAX)
        return s_reject(code, "malformed", text, size,
                        "frame 1 (request id) is longer than %d bytes",
                        SHOAL_REQUEST_ID_MAX);
    if (count >= 3 && shoal_frame_is(&frames[2], "PING")) {
        if (count != 3)
            return s_reject(code, "malformed", text, size,
                            "PING takes no frames after the verb");
        request->is_ping = true;
        return 0;
    }
    if (count >= 3 && shoal_frame_is(&frames[2], "EVENTS"))
        return s_parse_events(frames, count, request, code, text, size);
    if (count < 3 || !shoal_frame_is(&frames[2], "SEND"))
        return s_reject(code, "malformed", text, size,
                        "frame 2 (verb) must be SEND, EVENTS or PING");
    return s_parse_send(frames, count, max_payload, request, code, text, size);
}

size_t shoal_route_encode(const shoal_route_t *route, uint8_t *buffer)
{
    size_t identity_size =
        route->identity_size > 255 ? 255 : route->identity_size;
    size_t request_id_size = route->request_id_size > SHOAL_REQUEST_ID_MAX
                                 ? SHOAL_REQUEST_ID_MAX
                                 : route->request_id_size;
    uint8_t *at = buffer;
    *at++ = (uint8_t)route->kind;
    *at++ = (uint8_t)((route->delimiter ? 1 : 0) | (route->owner ? 2 : 0));
    *at++ = (uint8_t)identity_size;
    if (identity_size)
        memcpy(at, route->identity, identity_size);
    at += identity_size;
    *at++ = (uint8_t)request_id_size;
    if (request_id_size)
        memcpy(at, route->request_id, request_id_size);
    at += request_id_size;
    return (size_t)(at - buffer);
}

int shoal_route_decode(const void *data, size_t size, shoal_route_t *route)
{
    const uint8_t *at = data, *end = at + size;
    if (size < 4)
        return -1;
    if (at[1] > 3)
        return -1; /* flags: delimiter 1, owner 2 */
    route->kind = (shoal_route_kind_t)at[0];
    route->delimiter = (at[1] & 1) != 0;
    route->owner = (at[1] & 2) != 0;
    route->identity_size = at[2];
    at += 3;
    if ((size_t)(end - at) < route->identity_size + 1)
        return -1;
    route->identity = at;
    at += route->identity_size;
    route->request_id_size = *at++;
    if ((size_t)(end - at) != route->request_id_size ||
        route->request_id_size > SHOAL_REQUEST_ID_MAX)
        return -1;
    route->request_id = at;
    if (route->kind < SHOAL_ROUTE_CLIENT || route->kind > SHOAL_ROUTE_PEER)
        return -1;
    return 0;
}

/* Starts a reply: identity and, when the request had one, a delimiter.
 * Returns the number of frames laid out. */
static size_t s_envelope(const shoal_route_t *route, shoal_frame_t *frames)
{
    size_t count = 0;
    frames[count++] = (shoal_frame_t){route->identity, route->identity_size};
    if (route->delimiter)
        frames[count++] = (shoal_frame_t){"", 0};
    return count;
}

/* Lays out the client reply header: version, request id, status. */
static size_t s_client_header(const shoal_route_t *route, shoal_frame_t *frames,
                              const char *status)
{
    size_t count = s_envelope(route, frames);
    frames[count++] =
        (shoal_frame_t){SHOAL_PROTOCOL_VERSION, strlen(SHOAL_PROTOCOL_VERSION)};
    frames[count++] =
        (shoal_frame_t){route->request_id, route->request_id_size};
    frames[count++] = (shoal_frame_t){status, strlen(status)};
    return count;
}

/* Writes value in decimal into buffer (at least 21 bytes) and returns
 * the frame of its digits: the reply's numbers, without printf. */
static shoal_frame_t s_decimal(uint64_t value, char *buffer)
{
    char digits[20];
    size_t count = 0;
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    for (size_t i = 0; i < count; i++)
        buffer[i] = digits[count - 1 - i];
    return (shoal_frame_t){buffer, count};
}

/* Lays out a text frame. */
static shoal_frame_t s_text(const char *text)
{
    return (shoal_frame_t){text, strlen(text)};
}

/* Adds the owner frame to an outcome or error reply whose request asked
 * for it: the answer's owner text, or empty when the answer has none.
 * Returns the new number of frames. */
static size_t s_owner(const shoal_route_t *route, const shoal_answer_t *answer,
                      shoal_frame_t *frames, size_t count)
{
    if (route->owner)
        frames[count++] = s_text(answer->owner ? answer->owner : "");
    return count;
}

size_t shoal_protocol_reply(const shoal_route_t *route,
                            const shoal_answer_t *answer,
                            shoal_frame_t frames[SHOAL_REPLY_FRAMES_MAX],
                            char scratch[SHOAL_REPLY_SCRATCH])
{
    size_t count;
    shoal_frame_t body = {answer->body, answer->body_size};
    if (route->kind == SHOAL_ROUTE_STATUS) {
        count = s_envelope(route, frames);
        frames[count++] =
            s_text(answer->kind == SHOAL_ANSWER_ERROR ? "ERROR" : "OK");
        frames[count++] = body;
        return count;
    }
    switch (answer->kind) {
    case SHOAL_ANSWER_ACCEPTED:
    case SHOAL_ANSWER_REJECTED: {
        count = s_client_header(
            route, frames,
            answer->kind == SHOAL_ANSWER_ACCEPTED ? "ACCEPTED" : "REJECTED");
        char *second = scratch + SHOAL_REPLY_SCRATCH / 2;
        frames[count++] = s_decimal(answer->first_seq, scratch);
        frames[count++] = s_decimal(answer->event_count, second);
        frames[count++] = body;
        return s_owner(route, answer, frames, count);
    }
    case SHOAL_ANSWER_ERROR:
        count = s_client_header(route, frames, "ERROR");
        frames[count++] =
            s_text(answer->error_code ? answer->error_code : "internal");
        frames[count++] = body;
        return s_owner(route, answer, frames, count);
    case SHOAL_ANSWER_QUERY:
        count = s_client_header(route, frames, "QUERY");
        frames[count++] = s_decimal(answer->first_seq, scratch);
        frames[count++] = body;
        return count;
    }
    /* Defensive: an answer kind outside the enum. */
    count = s_client_header(route, frames, "ERROR");
    frames[count++] = s_text("internal");
    frames[count++] = s_text("an answer of unknown kind");
    return s_owner(route, &(shoal_answer_t){.owner = NULL}, frames, count);
}

size_t shoal_protocol_pong(const shoal_route_t *route,
                           shoal_frame_t frames[SHOAL_REPLY_FRAMES_MAX])
{
    return s_client_header(route, frames, "PONG");
}
