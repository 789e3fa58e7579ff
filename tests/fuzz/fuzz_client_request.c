/*
 * tests/fuzz/fuzz_client_request.c - libFuzzer target: a message on the
 * client port, as the node takes it apart (runtime/protocol.h): envelope,
 * request, the route the request travels with, and the reply laid out for
 * it.
 *
 * The input is the frames of one message from a ROUTER, envelope first,
 * split as tests/fuzz/fuzz.h describes. The same input is also decoded as
 * an encoded route on its own.
 *
 * Properties checked: nothing reads outside a frame; a parsed request
 * respects every limit of docs/PROTOCOL.md; a refused one says why; a
 * route survives encoding and decoding; a decoded route encodes back to
 * the same bytes; replies stay within SHOAL_REPLY_FRAMES_MAX frames.
 */
#include "fuzz.h"
#include "runtime/plugins.h"

/* The node's max_payload, small so that the limit is reached. */
#define FUZZ_MAX_PAYLOAD 64

/* Checks the fields of a request the parser accepted. */
static void s_check_request(const shoal_client_request_t *request,
                            const shoal_frame_t *body, size_t count)
{
    if (request->is_ping) {
        FUZZ_CHECK(count == 3);
        return;
    }
    if (request->is_events) {
        FUZZ_CHECK(count == 5 || count == 6);
        size_t topic_size = strlen(request->topic);
        FUZZ_CHECK(topic_size == body[3].size);
        FUZZ_CHECK(shoal_name_is_valid(request->topic, topic_size,
                                       SHOAL_TOPIC_NAME_MAX));
        FUZZ_CHECK(request->cursor == body[4].data &&
                   request->cursor_size == body[4].size);
        FUZZ_CHECK(request->max_events >= 1 &&
                   request->max_events <= SHOAL_EVENTS_MAX);
        return;
    }
    FUZZ_CHECK(count >= 7 && count <= 9);
    /* Frame 8, the reply options: empty, or "owner", which asks. */
    FUZZ_CHECK(request->want_owner ==
               (count == 9 && body[8].size == strlen(SHOAL_OPTION_OWNER) &&
                memcmp(body[8].data, SHOAL_OPTION_OWNER, body[8].size) == 0));
    FUZZ_CHECK(count < 9 || body[8].size == 0 || request->want_owner);
    size_t type_size = strlen(request->type);
    FUZZ_CHECK(type_size == body[3].size);
    FUZZ_CHECK(
        shoal_name_is_valid(request->type, type_size, SHOAL_TYPE_NAME_MAX));
    size_t id_size = strlen(request->entity_id);
    FUZZ_CHECK(id_size >= 1 && id_size <= SHOAL_ENTITY_ID_MAX);
    FUZZ_CHECK(id_size == body[4].size && !strchr(request->entity_id, '/'));
    FUZZ_CHECK(shoal_name_is_valid(request->command, strlen(request->command),
                                   SHOAL_COMMAND_NAME_MAX));
    FUZZ_CHECK(strlen(request->command_id) <= SHOAL_COMMAND_ID_MAX);
    FUZZ_CHECK(request->payload == body[6].data &&
               request->payload_size == body[6].size &&
               request->payload_size <= FUZZ_MAX_PAYLOAD);
}

/* Encodes a route and decodes it back: the same route, up to the limits
 * encoding applies. */
static void s_check_route_round_trip(const shoal_route_t *route)
{
    uint8_t bytes[SHOAL_ROUTE_MAX];
    size_t size = shoal_route_encode(route, bytes);
    FUZZ_CHECK(size <= SHOAL_ROUTE_MAX);
    shoal_route_t decoded;
    FUZZ_CHECK(shoal_route_decode(bytes, size, &decoded) == 0);
    size_t identity_size =
        route->identity_size > 255 ? 255 : route->identity_size;
    FUZZ_CHECK(decoded.kind == route->kind);
    FUZZ_CHECK(decoded.delimiter == route->delimiter);
    FUZZ_CHECK(decoded.owner == route->owner);
    FUZZ_CHECK(decoded.identity_size == identity_size);
    FUZZ_CHECK(identity_size == 0 ||
               memcmp(decoded.identity, route->identity, identity_size) == 0);
    FUZZ_CHECK(decoded.request_id_size == route->request_id_size);
    FUZZ_CHECK(route->request_id_size == 0 ||
               memcmp(decoded.request_id, route->request_id,
                      route->request_id_size) == 0);
}

/* Lays out the replies a route may get and reads every byte of them. */
static void s_check_replies(const shoal_route_t *route, const char *code,
                            const char *text)
{
    shoal_frame_t frames[SHOAL_REPLY_FRAMES_MAX];
    char scratch[SHOAL_REPLY_SCRATCH];
    shoal_answer_t answers[] = {
        {.kind = SHOAL_ANSWER_ERROR,
         .error_code = code,
         .body = text,
         .body_size = strlen(text)},
        {.kind = SHOAL_ANSWER_ACCEPTED,
         .first_seq = UINT64_MAX,
         .event_count = 1,
         .body = text,
         .body_size = strlen(text)},
    };
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
        size_t count =
            shoal_protocol_reply(route, &answers[i], frames, scratch);
        FUZZ_CHECK(count <= SHOAL_REPLY_FRAMES_MAX);
        fuzz_touch(frames, count);
    }
    size_t count = shoal_protocol_pong(route, frames);
    FUZZ_CHECK(count <= SHOAL_REPLY_FRAMES_MAX);
    fuzz_touch(frames, count);
}

/* Takes a message apart as the node's client port does. */
static void s_client_message(const fuzz_message_t *message)
{
    shoal_route_t route = {.kind = SHOAL_ROUTE_CLIENT};
    size_t body;
    if (shoal_protocol_open_envelope(message->frames, message->count, &route,
                                     &body) < 0)
        return;
    FUZZ_CHECK(body >= 1 && body < message->count);
    shoal_client_request_t request;
    const char *code = NULL;
    char text[256];
    memset(text, 'x', sizeof text);
    int rc = shoal_protocol_parse_client(
        message->frames + body, message->count - body, FUZZ_MAX_PAYLOAD,
        &request, &route, &code, text, sizeof text);
    FUZZ_CHECK(route.request_id_size <= SHOAL_REQUEST_ID_MAX);
    if (rc == 0) {
        s_check_request(&request, message->frames + body,
                        message->count - body);
        code = "none";
        strcpy(text, "accepted");
    } else {
        FUZZ_CHECK(rc == -1);
        FUZZ_CHECK(code && (strcmp(code, "malformed") == 0 ||
                            strcmp(code, "unsupported_version") == 0));
        FUZZ_CHECK(memchr(text, '\0', sizeof text) != NULL);
    }
    route.owner = rc == 0 && request.want_owner; /* as the node sets it */
    s_check_route_round_trip(&route);
    s_check_replies(&route, code, text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_message_t message;
    fuzz_message_split(data, size, &message);
    s_client_message(&message);
    fuzz_message_free(&message);

    /* The input as an encoded route: valid only when it encodes back. */
    shoal_route_t route;
    if (shoal_route_decode(data, size, &route) == 0) {
        uint8_t again[SHOAL_ROUTE_MAX];
        FUZZ_CHECK(shoal_route_encode(&route, again) == size);
        FUZZ_CHECK(memcmp(again, data, size) == 0);
    }
    return 0;
}
