/*
 * runtime/protocol.c - parsing and encoding of the wire protocol (see
 * protocol.h and docs/PROTOCOL.md). Every field is checked; nothing here
 * asserts on input.
 */
#include "runtime/protocol.h"
#include "runtime/plugins.h"

#include <stdio.h>
#include <string.h>

int shoal_protocol_open_envelope(zmsg_t *message, zframe_t **identity,
                                 bool *delimiter)
{
    *identity = zmsg_pop(message);
    *delimiter = false;
    if (!*identity)
        return -1;
    zframe_t *first = zmsg_first(message);
    if (first && zframe_size(first) == 0) {
        zframe_t *empty = zmsg_pop(message);
        zframe_destroy(&empty);
        *delimiter = true;
    }
    return zmsg_size(message) > 0 ? 0 : -1;
}

/* Copies a frame into a NUL-terminated buffer when its size is within
 * [min, max] and it holds no NUL. Returns 0 or -1. */
static int s_copy_text(zframe_t *frame, size_t min, size_t max, char *buffer)
{
    size_t size = zframe_size(frame);
    if (size < min || size > max || memchr(zframe_data(frame), 0, size))
        return -1;
    memcpy(buffer, zframe_data(frame), size);
    buffer[size] = '\0';
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
static int s_parse_send(zmsg_t *message, size_t max_payload,
                        shoal_client_request_t *request, const char **code,
                        char *text, size_t size)
{
    size_t frames = zmsg_size(message);
    if (frames < 7 || frames > 8)
        return s_reject(code, "malformed", text, size,
                        "SEND has %zu frames, expected 7 or 8", frames);
    zframe_t *frame = zmsg_next(message);
    if (s_copy_text(frame, 1, SHOAL_TYPE_NAME_MAX, request->type) < 0 ||
        !shoal_name_is_valid(request->type, strlen(request->type),
                             SHOAL_TYPE_NAME_MAX))
        return s_reject(code, "malformed", text, size,
                        "frame 3 (type) must be 1..%d of [A-Za-z0-9_-]",
                        SHOAL_TYPE_NAME_MAX);
    frame = zmsg_next(message);
    if (s_copy_text(frame, 1, SHOAL_ENTITY_ID_MAX, request->entity_id) < 0 ||
        strchr(request->entity_id, '/'))
        return s_reject(code, "malformed", text, size,
                        "frame 4 (entity id) must be 1..%d bytes, no NUL "
                        "and no '/'",
                        SHOAL_ENTITY_ID_MAX);
    frame = zmsg_next(message);
    if (s_copy_text(frame, 1, SHOAL_COMMAND_NAME_MAX, request->command) < 0 ||
        !shoal_name_is_valid(request->command, strlen(request->command),
                             SHOAL_COMMAND_NAME_MAX))
        return s_reject(code, "malformed", text, size,
                        "frame 5 (command) must be 1..%d of [A-Za-z0-9_-]",
                        SHOAL_COMMAND_NAME_MAX);
    frame = zmsg_next(message);
    if (zframe_size(frame) > max_payload)
        return s_reject(code, "malformed", text, size,
                        "frame 6 (payload) has %zu bytes, the limit is %zu",
                        zframe_size(frame), max_payload);
    request->payload = zframe_data(frame);
    request->payload_size = zframe_size(frame);
    request->command_id[0] = '\0';
    frame = zmsg_next(message);
    if (frame &&
        s_copy_text(frame, 0, SHOAL_COMMAND_ID_MAX, request->command_id) < 0)
        return s_reject(code, "malformed", text, size,
                        "frame 7 (command id) must be 0..%d bytes, no NUL",
                        SHOAL_COMMAND_ID_MAX);
    return 0;
}

int shoal_protocol_parse_client(zmsg_t *message, size_t max_payload,
                                shoal_client_request_t *request,
                                shoal_route_t *route, const char **code,
                                char *text, size_t size)
{
    memset(request, 0, sizeof *request);
    route->request_id = NULL;
    route->request_id_size = 0;
    zframe_t *version = zmsg_first(message);
    zframe_t *request_id = zmsg_next(message);
    if (request_id && zframe_size(request_id) <= SHOAL_REQUEST_ID_MAX) {
        route->request_id = zframe_data(request_id);
        route->request_id_size = zframe_size(request_id);
    }
    if (!version || !zframe_streq(version, SHOAL_PROTOCOL_VERSION))
        return s_reject(code, "unsupported_version", text, size,
                        "frame 0 must be %s", SHOAL_PROTOCOL_VERSION);
    if (!request_id)
        return s_reject(code, "malformed", text, size,
                        "frame 1 (request id) is missing");
    if (!route->request_id)
        return s_reject(code, "malformed", text, size,
                        "frame 1 (request id) is longer than %d bytes",
                        SHOAL_REQUEST_ID_MAX);
    zframe_t *verb = zmsg_next(message);
    if (verb && zframe_streq(verb, "PING")) {
        if (zmsg_size(message) != 3)
            return s_reject(code, "malformed", text, size,
                            "PING takes no frames after the verb");
        request->is_ping = true;
        return 0;
    }
    if (!verb || !zframe_streq(verb, "SEND"))
        return s_reject(code, "malformed", text, size,
                        "frame 2 (verb) must be SEND or PING");
    return s_parse_send(message, max_payload, request, code, text, size);
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
    *at++ = route->delimiter ? 1 : 0;
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
    route->kind = (shoal_route_kind_t)at[0];
    route->delimiter = at[1] != 0;
    route->identity_size = at[2];
    at += 3;
    if ((size_t)(end - at) < route->identity_size + 1)
        return -1;
    route->identity = at;
    at += route->identity_size;
    route->request_id_size = *at++;
    if ((size_t)(end - at) != route->request_id_size)
        return -1;
    route->request_id = at;
    if (route->kind != SHOAL_ROUTE_CLIENT && route->kind != SHOAL_ROUTE_STATUS)
        return -1;
    return 0;
}

/* Starts a reply: identity and, when the request had one, a delimiter. */
static zmsg_t *s_envelope(const shoal_route_t *route)
{
    zmsg_t *message = zmsg_new();
    zmsg_addmem(message, route->identity, route->identity_size);
    if (route->delimiter)
        zmsg_addmem(message, NULL, 0);
    return message;
}

/* Adds the client reply header: version, request id, status. */
static void s_client_header(zmsg_t *message, const shoal_route_t *route,
                            const char *status)
{
    zmsg_addstr(message, SHOAL_PROTOCOL_VERSION);
    zmsg_addmem(message, route->request_id, route->request_id_size);
    zmsg_addstr(message, status);
}

zmsg_t *shoal_protocol_reply(const shoal_route_t *route,
                             const shoal_answer_t *answer)
{
    zmsg_t *message = s_envelope(route);
    if (route->kind == SHOAL_ROUTE_STATUS) {
        zmsg_addstr(message,
                    answer->kind == SHOAL_ANSWER_ERROR ? "ERROR" : "OK");
        zmsg_addmem(message, answer->body, answer->body_size);
        return message;
    }
    switch (answer->kind) {
    case SHOAL_ANSWER_ACCEPTED:
    case SHOAL_ANSWER_REJECTED:
        s_client_header(message, route,
                        answer->kind == SHOAL_ANSWER_ACCEPTED ? "ACCEPTED"
                                                              : "REJECTED");
        zmsg_addstrf(message, "%llu", (unsigned long long)answer->first_seq);
        zmsg_addstrf(message, "%llu", (unsigned long long)answer->event_count);
        zmsg_addmem(message, answer->body, answer->body_size);
        break;
    case SHOAL_ANSWER_ERROR:
        s_client_header(message, route, "ERROR");
        zmsg_addstr(message,
                    answer->error_code ? answer->error_code : "internal");
        zmsg_addmem(message, answer->body, answer->body_size);
        break;
    case SHOAL_ANSWER_QUERY:
        s_client_header(message, route, "ERROR");
        zmsg_addstr(message, "internal");
        zmsg_addstr(message, "a query answer on the client port");
        break;
    }
    return message;
}

zmsg_t *shoal_protocol_pong(const shoal_route_t *route)
{
    zmsg_t *message = s_envelope(route);
    s_client_header(message, route, "PONG");
    return message;
}
