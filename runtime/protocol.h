/*
 * runtime/protocol.h - the wire protocol of docs/PROTOCOL.md: parsing the
 * client port's requests, the reply address (route) a request carries
 * through the node, and encoding answers as reply messages.
 *
 * Everything here is a pure function of its inputs, so that it can be
 * tested and fuzzed without a node. Messages are seen as arrays of frame
 * views (pointer and size), so the node parses and answers without
 * copying or allocating per frame (see runtime/frames.h).
 */
#ifndef SHOAL_RUNTIME_PROTOCOL_H
#define SHOAL_RUNTIME_PROTOCOL_H

#include "actors/messages.h"
#include "shoal/client.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    SHOAL_ROUTE_CLIENT = 1,   /* reply on the client port */
    SHOAL_ROUTE_STATUS = 2,   /* reply on the status socket */
    SHOAL_ROUTE_INTERNAL = 3, /* reply on the internal port (policies,
                                 timers), laid out as on the client port */
    SHOAL_ROUTE_GATE = 4,     /* an ask of a gatekeeper: the main thread
                                 takes the reply itself */
    SHOAL_ROUTE_PEER = 5,     /* reply on the peer port to the member that
                                 forwarded the request */
    SHOAL_ROUTE_CONTROL = 6,  /* not a reply: a worker's pointer message to
                                 the main thread follows (never encoded in
                                 a route) */
} shoal_route_kind_t;

/* Most bytes a route takes: kind, delimiter flag, identity, request id. */
#define SHOAL_ROUTE_MAX (4 + 255 + SHOAL_REQUEST_ID_MAX)

/* Most frames a request may have, envelope included; a message with more
 * is malformed. */
#define SHOAL_FRAMES_MAX 12

/* Most events one EVENTS reply carries, and how many it carries when the
 * request does not say. */
#define SHOAL_EVENTS_MAX SHOAL_EVENTS_READ_MAX
#define SHOAL_EVENTS_DEFAULT 100

/* Most frames a reply has, envelope included (EVENTS replies excepted). */
#define SHOAL_REPLY_FRAMES_MAX 9

/* The reply option of a SEND's frame 8 that asks for the owner frame. */
#define SHOAL_OPTION_OWNER "owner"

/* Longest owner frame: "SHARD EPOCH MEMBER ENDPOINT" (10 + 20 + 64 + 255
 * bytes and the spaces). */
#define SHOAL_OWNER_TEXT_MAX 352

/* Scratch bytes a reply needs for its decimal numbers. */
#define SHOAL_REPLY_SCRATCH 48

/* A view of one frame: borrowed bytes. */
typedef struct {
    const void *data;
    size_t size;
} shoal_frame_t;

/* Where a reply goes. Its pointers are borrowed. */
typedef struct {
    shoal_route_kind_t kind;
    const void *identity; /* the ROUTER's routing id of the peer */
    size_t identity_size;
    bool delimiter; /* the request had an empty delimiter frame */
    bool owner;     /* the request asked for the owner frame (SEND frame 8);
                       set by the caller from the parsed request */
    const void *request_id;
    size_t request_id_size;
} shoal_route_t;

/* True when a frame holds exactly text. */
bool shoal_frame_is(const shoal_frame_t *frame, const char *text);

/* Parses a frame of 1..19 decimal digits into *value. Returns 0, or -1
 * when the frame is anything else. */
int shoal_frame_decimal(const shoal_frame_t *frame, uint64_t *value);

/* A parsed client request; strings are copied, payload points into the
 * frames. */
typedef struct {
    bool is_ping;
    bool is_events; /* EVENTS: topic, cursor, max_events */
    char topic[SHOAL_TOPIC_NAME_MAX + 1];
    const char *cursor; /* points into the frames; not NUL-terminated */
    size_t cursor_size;
    uint32_t max_events;
    char type[SHOAL_TYPE_NAME_MAX + 1];
    char entity_id[SHOAL_ENTITY_ID_MAX + 1];
    char command[SHOAL_COMMAND_NAME_MAX + 1];
    char command_id[SHOAL_COMMAND_ID_MAX + 1]; /* "" when none */
    const void *payload;
    size_t payload_size;
    bool want_owner; /* SEND frame 8 is "owner" */
} shoal_client_request_t;

/* Takes the envelope off the frames of a message received on a ROUTER:
 * the routing id goes to route->identity, an empty delimiter frame (when
 * the first frame after it is empty) sets route->delimiter. Sets *body to
 * the index of the first frame after the envelope. Returns 0, or -1 when
 * nothing is left to answer (the message should be dropped). */
int shoal_protocol_open_envelope(const shoal_frame_t *frames, size_t count,
                                 shoal_route_t *route, size_t *body);

/* Parses the frames of a client request (after the envelope). Sets the
 * request id in *route as soon as it is readable, even when the rest is
 * not. Returns 0, or -1 with *code ("malformed", "unsupported_version")
 * and text (NUL-terminated, at most text_size bytes) saying which frame
 * is wrong and why. */
int shoal_protocol_parse_client(const shoal_frame_t *frames, size_t count,
                                size_t max_payload,
                                shoal_client_request_t *request,
                                shoal_route_t *route, const char **code,
                                char *text, size_t text_size);

/* Encodes a route into buffer (SHOAL_ROUTE_MAX bytes). Returns its size. */
size_t shoal_route_encode(const shoal_route_t *route, uint8_t *buffer);

/* Decodes a route encoded by shoal_route_encode; its pointers point into
 * data. Returns 0, or -1 when data is not a valid route: one that
 * shoal_route_encode would not give back byte for byte. */
int shoal_route_decode(const void *data, size_t size, shoal_route_t *route);

/* Lays out the reply to an answer, ready for the ROUTER named by
 * route->kind: [identity] [empty, when delimiter] [reply frames]. A query
 * answer on a route other than the status socket's is laid out as a
 * client reply with status QUERY, the entity's sequence and the text. An
 * ACCEPTED, REJECTED or ERROR reply to a route that asked for the owner
 * ends with the owner frame: answer->owner, or empty when NULL. The
 * frames point into route, answer and scratch, which must outlive them.
 * Returns the number of frames (at most SHOAL_REPLY_FRAMES_MAX). */
size_t shoal_protocol_reply(const shoal_route_t *route,
                            const shoal_answer_t *answer,
                            shoal_frame_t frames[SHOAL_REPLY_FRAMES_MAX],
                            char scratch[SHOAL_REPLY_SCRATCH]);

/* Lays out a PONG reply to route, as shoal_protocol_reply. */
size_t shoal_protocol_pong(const shoal_route_t *route,
                           shoal_frame_t frames[SHOAL_REPLY_FRAMES_MAX]);

#endif
