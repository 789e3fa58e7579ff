/*
 * shoal/client.h - a client of the shoal wire protocol (docs/PROTOCOL.md).
 *
 * Used by the `shoal` CLI, the tests and the benchmark harness. One client
 * holds one DEALER socket connected to a node's client port; it pipelines:
 * shoal_client_send queues a request and returns, shoal_client_receive
 * returns the next reply. A client is not thread-safe: use one per thread;
 * clients may be created from several threads at once.
 *
 * A client also reads public event topics (shoal_client_read_events): it
 * waits for the answer to its own read and keeps the replies to pipelined
 * requests that arrive meanwhile for shoal_client_receive, in order.
 */
#ifndef SHOAL_CLIENT_H
#define SHOAL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SHOAL_PROTOCOL_VERSION "SHOAL/1"
#define SHOAL_REQUEST_ID_MAX 64

/* Most events one topic read returns. */
#define SHOAL_EVENTS_READ_MAX 1000

/* Longest position of a topic event, "SHARD:SEQ" (without terminator). */
#define SHOAL_EVENT_POSITION_MAX 31

typedef struct shoal_client shoal_client_t;

typedef enum {
    SHOAL_REPLY_ACCEPTED = 0,
    SHOAL_REPLY_REJECTED = 1,
    SHOAL_REPLY_ERROR = 2,
    SHOAL_REPLY_PONG = 3,
} shoal_reply_status_t;

/* Longest member name and endpoint in an owner frame. */
#define SHOAL_OWNER_MEMBER_MAX 64
#define SHOAL_OWNER_ENDPOINT_MAX 255

/* Which node handled a command, when the client asked
 * (shoal_client_ask_owner): the entity's shard, the shard table's epoch
 * the node handled it under, the node's member name ("-" for a node
 * whose name is not a member name) and its client endpoint. A client may
 * send that entity's next commands straight to that endpoint. */
typedef struct {
    bool known; /* false: not asked, or the reply did not come from the
                   entity's owner (refused before routing, owner down) */
    uint32_t shard;
    uint64_t epoch;
    char member[SHOAL_OWNER_MEMBER_MAX + 1];
    char endpoint[SHOAL_OWNER_ENDPOINT_MAX + 1];
} shoal_owner_t;

/* One reply. Strings are NUL-terminated and owned by the reply; release
 * them with shoal_reply_clear. */
typedef struct {
    shoal_reply_status_t status;
    char request_id[SHOAL_REQUEST_ID_MAX + 1];
    uint64_t first_seq;   /* ACCEPTED, REJECTED */
    uint64_t event_count; /* ACCEPTED, REJECTED */
    char *error_code;     /* ERROR: "busy", "malformed", ...; else NULL */
    char *body;           /* reply payload, rejection reason or error
                             message; always NUL-terminated */
    size_t body_size;     /* without the terminator */
    shoal_owner_t owner;  /* ACCEPTED, REJECTED, ERROR: see shoal_owner_t */
} shoal_reply_t;

/* One event of a public topic. Strings are NUL-terminated and owned by
 * the shoal_events_t that holds the record. */
typedef struct {
    char position[SHOAL_EVENT_POSITION_MAX + 1]; /* "SHARD:SEQ" */
    char *entity;        /* "type/id" of the entity whose event caused it */
    int64_t written_ms;  /* when it was published, on the node's clock */
    char *payload;       /* opaque bytes, NUL-terminated */
    size_t payload_size; /* without the terminator */
} shoal_event_record_t;

/* The answer to one topic read: events and the cursor after them, or the
 * node's error. Release it with shoal_events_clear. */
typedef struct {
    char *cursor; /* events: the cursor that resumes after these events
                     ("" is the start of the topic); ERROR: NULL */
    size_t count; /* events read, 0 when there was nothing new */
    shoal_event_record_t *events; /* count records, in cursor order */
    char *error_code; /* ERROR: "malformed", "busy", ...; else NULL */
    char *error;      /* ERROR: the node's message; else NULL */
} shoal_events_t;

/* Connects a new client to endpoint (e.g. "tcp://127.0.0.1:7700").
 * Returns NULL when the endpoint is malformed. ZeroMQ connects lazily, so
 * an unreachable node shows as a receive timeout. */
shoal_client_t *shoal_client_new(const char *endpoint);

/* Connects a new client to endpoint over CURVE (see docs/SECURITY.md):
 * encrypted, and admitted only by a node that knows the client's public
 * key. client_key is the client's secret certificate file
 * (NAME.key_secret, from `shoal keygen`); server_key the node's public
 * certificate file (NODE.key), so that the client talks only to that
 * node. Returns NULL when the endpoint is malformed (errno EINVAL) or a
 * key file is unusable (errno EINVAL); then, when error is not NULL,
 * *error is set to a message naming the file and the reason (the
 * caller's, free()). A node that refuses the key shows, as an unreachable
 * one does, as a receive timeout. */
shoal_client_t *shoal_client_new_curve(const char *endpoint,
                                       const char *client_key,
                                       const char *server_key, char **error);

/* Closes the client and sets *self_p to NULL. NULL-safe. */
void shoal_client_destroy(shoal_client_t **self_p);

/* Queues one SEND request; does not wait for the reply. request_id (may be
 * NULL or "") is echoed in the reply; command_id (may be NULL) makes the
 * command effectively-once. Returns 0, or -1 when an argument is past the
 * protocol's limits or the socket refuses the message. */
int shoal_client_send(shoal_client_t *self, const char *request_id,
                      const char *type, const char *entity_id,
                      const char *command, const void *payload,
                      size_t payload_size, const char *command_id);

/* From now on, when ask is true, every SEND of this client asks the node
 * to name the entity's owner in the reply (reply->owner); when false, it
 * stops asking. Off by default: the owner frame costs a few bytes per
 * reply. */
void shoal_client_ask_owner(shoal_client_t *self, bool ask);

/* Queues one PING request. Returns 0 or -1. */
int shoal_client_ping(shoal_client_t *self, const char *request_id);

/* Waits up to timeout_ms for the next reply and fills *reply (which the
 * caller later clears). Replies a topic read kept aside come first, in the
 * order they arrived; late answers to reads that gave up are skipped.
 * Returns 0, -1 on timeout or interruption, or -2 when the node sent
 * something that is not a valid reply. */
int shoal_client_receive(shoal_client_t *self, shoal_reply_t *reply,
                         int timeout_ms);

/* Sends one command and waits for its reply: send + receive. Returns as
 * shoal_client_receive. */
int shoal_client_call(shoal_client_t *self, const char *type,
                      const char *entity_id, const char *command,
                      const void *payload, size_t payload_size,
                      const char *command_id, shoal_reply_t *reply,
                      int timeout_ms);

/* Frees the strings of a reply and zeroes it. NULL-safe. */
void shoal_reply_clear(shoal_reply_t *reply);

/* Reads up to max_events (1..SHOAL_EVENTS_READ_MAX; 0: the node's
 * default, 100) events of topic after cursor (NULL or "": from the start)
 * and waits up to timeout_ms for the answer. Returns 0 with the events
 * and the next cursor in *events; 1 when the node answered ERROR (code and
 * message in *events); -1 when an argument is invalid (errno EINVAL), the
 * socket refuses the request, or on timeout or interruption; -2 when the
 * node sent something that is not a valid answer. The caller clears
 * *events in every case. Replies to other requests that arrive meanwhile
 * are kept for shoal_client_receive. Reads use request ids "events-N":
 * give pipelined requests other ids. */
int shoal_client_read_events(shoal_client_t *self, const char *topic,
                             const char *cursor, unsigned max_events,
                             shoal_events_t *events, int timeout_ms);

/* Frees what a topic read holds and zeroes it. NULL-safe. */
void shoal_events_clear(shoal_events_t *events);

/* Returns the cursor that resumes right after the event at position
 * ("SHARD:SEQ", as in a record) for a consumer whose cursor was cursor
 * (NULL or "": the start of the topic): cursor with position's shard at
 * position's sequence. A consumer that handles a read's events one at a
 * time saves this after each; after the last event of a read it equals
 * the read's cursor. position NULL returns cursor as it is, once checked.
 * Returns a new string (the caller's, free()), or NULL with errno EINVAL
 * when cursor or position is malformed, ENOMEM when memory runs out. */
char *shoal_cursor_after(const char *cursor, const char *position);

/* Asks a node's status socket one request ("status", "get TYPE ID",
 * "metrics", "clock", "dead-letters", "retry ID", ...) on a fresh connection.
 * On an OK answer returns 0 and sets *answer; on an ERROR answer returns 1 and
 * sets *answer to the message; returns -1 on timeout or a bad argument (errno
 * EAGAIN or EINVAL), -2 when the answer is not a valid status reply; nothing is
 * set then. *answer is the caller's (free()). */
int shoal_status_request(const char *status_endpoint, const char *request,
                         int timeout_ms, char **answer);

#ifdef __cplusplus
}
#endif

#endif
