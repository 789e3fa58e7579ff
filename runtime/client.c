/*
 * runtime/client.c - a client of the shoal wire protocol (docs/PROTOCOL.md).
 *
 * Implements include/shoal/client.h with CZMQ. A client owns one DEALER
 * socket connected to a node's client port. Requests go out without an
 * envelope delimiter, so replies come back starting with the protocol
 * version frame. Every reply is parsed strictly: a frame count, number or
 * status that the protocol does not allow makes the whole reply invalid.
 *
 * Status requests use a fresh DEALER per call with an empty delimiter
 * frame, so they work against any ROUTER that follows the REQ envelope.
 *
 * A CURVE client (shoal_client_new_curve) sets its keys and the node's
 * public key on the DEALER before it connects (runtime/curve.c).
 *
 * Every socket has linger 0: destroying a client never waits for unsent
 * requests to a node that is gone.
 *
 * Topic reads (client_events.c) share the DEALER: a reply a read receives
 * for another request is held, and shoal_client_receive hands the held
 * replies out first, so the caller sees every reply once and in order.
 *
 * Errors: argument checks set errno to EINVAL; a full send queue leaves
 * ZeroMQ's EAGAIN; a receive timeout sets EAGAIN and an interruption EINTR.
 */
#include "runtime/client_internal.h"
#include "runtime/curve.h"
#include "shoal/plugin.h"

#include <czmq.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Longest decimal rendering of a uint64_t ("18446744073709551615"). */
#define S_UINT64_DIGITS_MAX 20

/* ---------------------------------------------------------------------
 * Argument checks
 */

/* True when name is 1..max_size bytes of [A-Za-z0-9_-] (types, commands). */
bool shoal__client_is_token(const char *name, size_t max_size)
{
    if (name == NULL)
        return false;
    size_t size = strlen(name);
    if (size == 0 || size > max_size)
        return false;
    for (size_t index = 0; index < size; index++) {
        char c = name[index];
        bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                       (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!allowed)
            return false;
    }
    return true;
}

/* True when entity_id is 1..SHOAL_ENTITY_ID_MAX bytes without '/'. */
static bool s_is_entity_id(const char *entity_id)
{
    if (entity_id == NULL)
        return false;
    size_t size = strlen(entity_id);
    return size > 0 && size <= SHOAL_ENTITY_ID_MAX &&
           strchr(entity_id, '/') == NULL;
}

/* True when text is NULL or at most max_size bytes. */
static bool s_is_optional_text(const char *text, size_t max_size)
{
    return text == NULL || strlen(text) <= max_size;
}

/* ---------------------------------------------------------------------
 * Reply parsing
 */

/* True when frame holds exactly the bytes of text. */
bool shoal__client_frame_is(zframe_t *frame, const char *text)
{
    size_t size = strlen(text);
    return zframe_size(frame) == size &&
           memcmp(zframe_data(frame), text, size) == 0;
}

/* Reads an unsigned decimal number ("0", "42"; no sign, no leading zero,
 * no overflow) from frame. Returns 0, or -1 when the frame is not one. */
int shoal__client_frame_to_uint64(zframe_t *frame, uint64_t *value)
{
    const char *digits = (const char *)zframe_data(frame);
    size_t size = zframe_size(frame);
    if (size == 0 || size > S_UINT64_DIGITS_MAX)
        return -1;
    if (size > 1 && digits[0] == '0')
        return -1;
    uint64_t result = 0;
    for (size_t index = 0; index < size; index++) {
        if (digits[index] < '0' || digits[index] > '9')
            return -1;
        uint64_t digit = (uint64_t)(digits[index] - '0');
        if (result > (UINT64_MAX - digit) / 10)
            return -1;
        result = result * 10 + digit;
    }
    *value = result;
    return 0;
}

/* Copies a frame into a new NUL-terminated string (the caller's, free()).
 * Returns NULL when memory runs out. */
char *shoal__client_frame_to_string(zframe_t *frame, size_t *size)
{
    size_t frame_size = zframe_size(frame);
    char *text = malloc(frame_size + 1);
    if (text == NULL)
        return NULL;
    if (frame_size > 0)
        memcpy(text, zframe_data(frame), frame_size);
    text[frame_size] = '\0';
    if (size != NULL)
        *size = frame_size;
    return text;
}

/* True when an error code is a lowercase word such as "busy" or
 * "unknown_type". Codes the client does not know yet are accepted, so a
 * newer node's code still reaches the caller. */
bool shoal__client_frame_is_error_code(zframe_t *frame)
{
    const char *code = (const char *)zframe_data(frame);
    size_t size = zframe_size(frame);
    if (size == 0 || size > SHOAL_COMMAND_NAME_MAX)
        return false;
    for (size_t index = 0; index < size; index++) {
        if ((code[index] < 'a' || code[index] > 'z') && code[index] != '_')
            return false;
    }
    return true;
}

/* Reads the sequence frames of ACCEPTED and REJECTED: first_seq is 0
 * exactly when there are no events, and the range must not wrap. */
static int s_parse_sequence(zframe_t *first_frame, zframe_t *count_frame,
                            shoal_reply_t *reply)
{
    uint64_t first_seq, event_count;
    if (shoal__client_frame_to_uint64(first_frame, &first_seq) != 0 ||
        shoal__client_frame_to_uint64(count_frame, &event_count) != 0)
        return -1;
    if ((first_seq == 0) != (event_count == 0))
        return -1;
    if (event_count > 0 && first_seq - 1 > UINT64_MAX - event_count)
        return -1;
    reply->first_seq = first_seq;
    reply->event_count = event_count;
    return 0;
}

/* Fills reply from the frames of one reply message. Returns 0, or -1 when
 * the message is not a valid reply (or memory runs out copying it). On
 * failure the reply may hold allocations; the caller clears it. */
/* Reads decimal digits at *at up to a space into *value (at most max);
 * advances *at past the space. Returns 0, or -1. */
static int s_owner_number(const char **at, uint64_t max, uint64_t *value)
{
    const char *p = *at;
    *value = 0;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (*value > (max - (uint64_t)(*p - '0')) / 10)
            return -1;
        *value = *value * 10 + (uint64_t)(*p - '0');
    }
    if (*p != ' ')
        return -1;
    *at = p + 1;
    return 0;
}

/* Parses an owner frame, "SHARD EPOCH MEMBER ENDPOINT", or an empty one
 * (owner not known). Returns 0, or -1 when it is neither. */
static int s_parse_owner(zframe_t *frame, shoal_owner_t *owner)
{
    memset(owner, 0, sizeof *owner);
    size_t size = zframe_size(frame);
    if (size == 0)
        return 0;
    char text[SHOAL_OWNER_MEMBER_MAX + SHOAL_OWNER_ENDPOINT_MAX + 64];
    if (size >= sizeof text || memchr(zframe_data(frame), '\0', size))
        return -1;
    memcpy(text, zframe_data(frame), size);
    text[size] = '\0';
    const char *at = text;
    uint64_t shard, epoch;
    if (s_owner_number(&at, UINT32_MAX, &shard) < 0 ||
        s_owner_number(&at, UINT64_MAX, &epoch) < 0)
        return -1;
    const char *space = strchr(at, ' ');
    size_t member = space ? (size_t)(space - at) : 0;
    if (member == 0 || member > SHOAL_OWNER_MEMBER_MAX)
        return -1;
    for (size_t i = 0; i < member; i++)
        if (!isalnum((unsigned char)at[i]) && !strchr("_.-", at[i]))
            return -1;
    const char *endpoint = space + 1;
    if (*endpoint == '\0' || strlen(endpoint) > SHOAL_OWNER_ENDPOINT_MAX)
        return -1;
    owner->known = true;
    owner->shard = (uint32_t)shard;
    owner->epoch = epoch;
    memcpy(owner->member, at, member);
    strcpy(owner->endpoint, endpoint);
    return 0;
}

static int s_parse_reply(zmsg_t *msg, shoal_reply_t *reply)
{
    size_t frame_count = zmsg_size(msg);
    if (frame_count < 3)
        return -1;
    zframe_t *version = zmsg_first(msg);
    zframe_t *request_id = zmsg_next(msg);
    zframe_t *status = zmsg_next(msg);
    zframe_t *frame3 = zmsg_next(msg);
    zframe_t *frame4 = zmsg_next(msg);
    zframe_t *frame5 = zmsg_next(msg);
    zframe_t *frame6 = zmsg_next(msg);

    if (!shoal__client_frame_is(version, SHOAL_PROTOCOL_VERSION))
        return -1;
    /* Our request ids are C strings: an echo with a NUL is not ours. */
    size_t id_size = zframe_size(request_id);
    if (id_size > SHOAL_REQUEST_ID_MAX ||
        memchr(zframe_data(request_id), '\0', id_size) != NULL)
        return -1;
    memcpy(reply->request_id, zframe_data(request_id), id_size);
    reply->request_id[id_size] = '\0';

    zframe_t *body = NULL;
    if (shoal__client_frame_is(status, "ACCEPTED") ||
        shoal__client_frame_is(status, "REJECTED")) {
        if ((frame_count != 6 && frame_count != 7) ||
            s_parse_sequence(frame3, frame4, reply) != 0 ||
            (frame_count == 7 && s_parse_owner(frame6, &reply->owner) != 0))
            return -1;
        reply->status = shoal__client_frame_is(status, "ACCEPTED")
                            ? SHOAL_REPLY_ACCEPTED
                            : SHOAL_REPLY_REJECTED;
        body = frame5;
    } else if (shoal__client_frame_is(status, "ERROR")) {
        if ((frame_count != 5 && frame_count != 6) ||
            !shoal__client_frame_is_error_code(frame3) ||
            (frame_count == 6 && s_parse_owner(frame5, &reply->owner) != 0))
            return -1;
        reply->status = SHOAL_REPLY_ERROR;
        reply->error_code = shoal__client_frame_to_string(frame3, NULL);
        if (reply->error_code == NULL)
            return -1;
        body = frame4;
    } else if (shoal__client_frame_is(status, "PONG")) {
        if (frame_count != 3)
            return -1;
        reply->status = SHOAL_REPLY_PONG;
    } else
        return -1;

    if (body != NULL)
        reply->body = shoal__client_frame_to_string(body, &reply->body_size);
    else
        reply->body = calloc(1, 1);
    return reply->body != NULL ? 0 : -1;
}

/* ---------------------------------------------------------------------
 * Sockets
 */

/* Initializes CZMQ once per process. zsys_init is not safe to run from
 * two threads at once, and clients may be created from several. */
static void s_czmq_init(void)
{
    zsys_init();
}

/* Creates a DEALER with linger 0 and no send blocking, a CURVE client
 * with the keys of curve trusting server_key unless curve is NULL,
 * connected to endpoint. Returns NULL (errno EINVAL) when the endpoint or
 * server_key is malformed. */
static zsock_t *s_dealer_new(const char *endpoint, zcert_t *curve,
                             const char *server_key)
{
    if (endpoint == NULL || *endpoint == '\0') {
        errno = EINVAL;
        return NULL;
    }
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, s_czmq_init);
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    if (dealer == NULL)
        return NULL;
    zsock_set_linger(dealer, 0);
    zsock_set_sndtimeo(dealer, 0);
    if ((curve && shoal_curve_make_client(dealer, curve, server_key) != 0) ||
        zsock_connect(dealer, "%s", endpoint) != 0) {
        zsock_destroy(&dealer);
        errno = EINVAL;
        return NULL;
    }
    return dealer;
}

/* Sends msg on sock and takes ownership of it. Returns 0 or -1 (errno as
 * ZeroMQ left it, EAGAIN when the queue is full). ZeroMQ checks the
 * queue's limit on the first frame only, so a message goes out whole or
 * not at all. */
int shoal__client_send_message(zsock_t *sock, zmsg_t **msg_p)
{
    if (*msg_p == NULL) {
        errno = ENOMEM;
        return -1;
    }
    if (zmsg_send(msg_p, sock) == 0)
        return 0;
    int saved_errno = errno;
    zmsg_destroy(msg_p);
    errno = saved_errno;
    return -1;
}

/* Receives one message within timeout_ms (negative: wait forever).
 * Returns NULL on timeout (errno EAGAIN) or interruption (EINTR). */
zmsg_t *shoal__client_receive_message(zsock_t *sock, int timeout_ms)
{
    zsock_set_rcvtimeo(sock, timeout_ms < 0 ? -1 : timeout_ms);
    return zmsg_recv(sock);
}

/* Starts a request message: version, request id and verb. */
zmsg_t *shoal__client_request_new(const char *request_id, const char *verb)
{
    zmsg_t *msg = zmsg_new();
    if (msg == NULL)
        return NULL;
    if (zmsg_addstr(msg, SHOAL_PROTOCOL_VERSION) != 0 ||
        zmsg_addstr(msg, request_id != NULL ? request_id : "") != 0 ||
        zmsg_addstr(msg, verb) != 0)
        zmsg_destroy(&msg);
    return msg;
}

/* ---------------------------------------------------------------------
 * Public API
 */

/* Makes a client whose DEALER connects to endpoint, as a CURVE client
 * with the keys of curve trusting server_key unless curve is NULL.
 * Returns NULL with errno as s_dealer_new leaves it, or ENOMEM. */
static shoal_client_t *s_client_new(const char *endpoint, zcert_t *curve,
                                    const char *server_key)
{
    shoal_client_t *self = calloc(1, sizeof *self);
    if (self == NULL)
        return NULL;
    self->dealer = s_dealer_new(endpoint, curve, server_key);
    self->held = self->dealer != NULL ? zlist_new() : NULL;
    if (self->held == NULL) {
        int saved_errno = self->dealer != NULL ? ENOMEM : errno;
        zsock_destroy(&self->dealer);
        free(self);
        errno = saved_errno;
        return NULL;
    }
    return self;
}

/* Connects a new client to endpoint. Returns NULL (errno EINVAL) when the
 * endpoint is NULL or malformed, or NULL when ZeroMQ cannot make a socket.
 * The caller owns the client (shoal_client_destroy). */
shoal_client_t *shoal_client_new(const char *endpoint)
{
    return s_client_new(endpoint, NULL, NULL);
}

/* Connects a new CURVE client to endpoint with the secret certificate in
 * the file client_key, trusting the node whose public certificate is in
 * the file server_key. Returns NULL with errno EINVAL when the endpoint
 * is malformed or a key file unusable, and then, when error is not NULL,
 * *error (the caller's, free()) says which and why; NULL when ZeroMQ
 * cannot make a socket. The caller owns the client. */
shoal_client_t *shoal_client_new_curve(const char *endpoint,
                                       const char *client_key,
                                       const char *server_key, char **error)
{
    assert(client_key && server_key);
    char *reason = NULL;
    char server_public[SHOAL_CURVE_KEY_TEXT + 1];
    zcert_t *cert = NULL;
    if (shoal_curve_load_public(server_key, server_public, &reason) == 0)
        cert = shoal_curve_load_secret(client_key, &reason);
    shoal_client_t *self =
        cert ? s_client_new(endpoint, cert, server_public) : NULL;
    if (cert && !self && errno == EINVAL &&
        asprintf(&reason, "invalid endpoint '%s'",
                 endpoint ? endpoint : "(null)") < 0)
        reason = NULL;
    zcert_destroy(&cert);
    if (!self && reason)
        errno = EINVAL;
    if (error)
        *error = self ? NULL : reason;
    else
        free(reason);
    return self;
}

/* Closes the client's socket without waiting for unsent requests, frees
 * it with the replies it held and sets *self_p to NULL. NULL-safe. */
void shoal_client_destroy(shoal_client_t **self_p)
{
    assert(self_p);
    shoal_client_t *self = *self_p;
    if (self == NULL)
        return;
    zsock_destroy(&self->dealer);
    zmsg_t *held;
    while ((held = zlist_pop(self->held)) != NULL)
        zmsg_destroy(&held);
    zlist_destroy(&self->held);
    free(self);
    *self_p = NULL;
}

/* Queues one SEND request. request_id may be NULL or "" (sent empty);
 * command_id NULL or "" sends no command id frame; payload may be NULL
 * when payload_size is 0. Returns 0; -1 with errno EINVAL when an argument
 * is past the protocol's limits (the payload's limit is the node's
 * max_payload, which only the node checks); -1 with ZeroMQ's errno when
 * the socket refuses the message (EAGAIN: the send queue is full, receive
 * some replies first). All arguments are borrowed. */
int shoal_client_send(shoal_client_t *self, const char *request_id,
                      const char *type, const char *entity_id,
                      const char *command, const void *payload,
                      size_t payload_size, const char *command_id)
{
    assert(self);
    if (!s_is_optional_text(request_id, SHOAL_REQUEST_ID_MAX) ||
        !shoal__client_is_token(type, SHOAL_TYPE_NAME_MAX) ||
        !s_is_entity_id(entity_id) ||
        !shoal__client_is_token(command, SHOAL_COMMAND_NAME_MAX) ||
        (payload == NULL && payload_size > 0) ||
        !s_is_optional_text(command_id, SHOAL_COMMAND_ID_MAX)) {
        errno = EINVAL;
        return -1;
    }
    zmsg_t *msg = shoal__client_request_new(request_id, "SEND");
    if (msg == NULL || zmsg_addstr(msg, type) != 0 ||
        zmsg_addstr(msg, entity_id) != 0 || zmsg_addstr(msg, command) != 0 ||
        zmsg_addmem(msg, payload, payload_size) != 0 ||
        ((self->ask_owner || (command_id != NULL && *command_id != '\0')) &&
         zmsg_addstr(msg, command_id ? command_id : "") != 0) ||
        (self->ask_owner && zmsg_addstr(msg, "owner") != 0))
        zmsg_destroy(&msg);
    return shoal__client_send_message(self->dealer, &msg);
}

void shoal_client_ask_owner(shoal_client_t *self, bool ask)
{
    assert(self);
    self->ask_owner = ask;
}

/* Queues one PING request, answered PONG. request_id may be NULL or "".
 * Returns 0, or -1 as shoal_client_send. */
int shoal_client_ping(shoal_client_t *self, const char *request_id)
{
    assert(self);
    if (!s_is_optional_text(request_id, SHOAL_REQUEST_ID_MAX)) {
        errno = EINVAL;
        return -1;
    }
    zmsg_t *msg = shoal__client_request_new(request_id, "PING");
    return shoal__client_send_message(self->dealer, &msg);
}

/* True when msg answers a topic read: its request id frame is
 * SHOAL__CLIENT_READ_PREFIX followed by digits. */
bool shoal__client_answers_a_read(zmsg_t *msg)
{
    zframe_t *version = zmsg_first(msg);
    zframe_t *request_id = zmsg_next(msg);
    if (version == NULL || request_id == NULL ||
        !shoal__client_frame_is(version, SHOAL_PROTOCOL_VERSION))
        return false;
    const char *id = (const char *)zframe_data(request_id);
    size_t size = zframe_size(request_id);
    size_t prefix = strlen(SHOAL__CLIENT_READ_PREFIX);
    if (size <= prefix || memcmp(id, SHOAL__CLIENT_READ_PREFIX, prefix) != 0)
        return false;
    for (size_t index = prefix; index < size; index++) {
        if (id[index] < '0' || id[index] > '9')
            return false;
    }
    return true;
}

/* Returns the next reply for shoal_client_receive: a held one, else one
 * from the socket within timeout_ms; late answers to topic reads (which
 * gave up on them) are dropped. Returns NULL as
 * shoal__client_receive_message. */
static zmsg_t *s_next_reply_message(shoal_client_t *self, int timeout_ms)
{
    zmsg_t *msg = zlist_pop(self->held);
    if (msg != NULL)
        return msg;
    int64_t deadline = timeout_ms < 0 ? -1 : zclock_mono() + timeout_ms;
    while (true) {
        msg = shoal__client_receive_message(self->dealer,
                                            shoal__client_time_left(deadline));
        if (msg == NULL || !shoal__client_answers_a_read(msg))
            return msg;
        zmsg_destroy(&msg);
    }
}

/* Waits up to timeout_ms (negative: forever) for the next reply, whatever
 * request it answers, and fills *reply. Replies a topic read held come
 * first. *reply is overwritten, not cleared: clear a previous reply first.
 * Returns 0 (the caller clears the reply later); -1 on timeout (errno
 * EAGAIN) or interruption (EINTR); -2 when the node sent something that
 * is not a valid reply (the message is consumed). On -1 and -2 *reply is
 * zeroed and holds nothing to free. */
int shoal_client_receive(shoal_client_t *self, shoal_reply_t *reply,
                         int timeout_ms)
{
    assert(self);
    assert(reply);
    memset(reply, 0, sizeof *reply);
    zmsg_t *msg = s_next_reply_message(self, timeout_ms);
    if (msg == NULL)
        return -1;
    int rc = s_parse_reply(msg, reply);
    zmsg_destroy(&msg);
    if (rc != 0) {
        shoal_reply_clear(reply);
        return -2;
    }
    return 0;
}

/* Milliseconds left until deadline (a zclock_mono time), never negative;
 * -1 (forever) when there is no deadline. */
int shoal__client_time_left(int64_t deadline)
{
    if (deadline < 0)
        return -1;
    int64_t left = deadline - zclock_mono();
    return left > 0 ? (int)left : 0;
}

/* Sends one command under a request id of its own and waits up to
 * timeout_ms (negative: forever) for the reply to it. Replies to other
 * requests that arrive meanwhile (late answers to earlier calls that timed
 * out, or to requests the caller pipelined) are discarded. Returns 0 and
 * fills *reply; -1 when an argument is invalid or the socket refuses the
 * request (as shoal_client_send), on timeout or interruption; -2 when
 * the node sent an invalid reply, or answered the command PONG. On -1 and
 * -2 *reply is zeroed. */
int shoal_client_call(shoal_client_t *self, const char *type,
                      const char *entity_id, const char *command,
                      const void *payload, size_t payload_size,
                      const char *command_id, shoal_reply_t *reply,
                      int timeout_ms)
{
    assert(self);
    assert(reply);
    memset(reply, 0, sizeof *reply);
    char request_id[SHOAL_REQUEST_ID_MAX + 1];
    snprintf(request_id, sizeof request_id, "call-%" PRIu64,
             ++self->next_call_id);
    if (shoal_client_send(self, request_id, type, entity_id, command, payload,
                          payload_size, command_id) != 0)
        return -1;

    int64_t deadline = timeout_ms < 0 ? -1 : zclock_mono() + timeout_ms;
    while (true) {
        int rc = shoal_client_receive(self, reply,
                                      shoal__client_time_left(deadline));
        if (rc == -1)
            return -1;
        if (rc == 0 && strcmp(reply->request_id, request_id) != 0) {
            shoal_reply_clear(reply);
            continue; /* an answer to some other request */
        }
        if (rc == 0 && reply->status == SHOAL_REPLY_PONG) {
            shoal_reply_clear(reply);
            return -2;
        }
        return rc;
    }
}

/* Frees the strings of a reply and zeroes it. NULL-safe. */
void shoal_reply_clear(shoal_reply_t *reply)
{
    if (reply == NULL)
        return;
    free(reply->error_code);
    free(reply->body);
    memset(reply, 0, sizeof *reply);
}

/* Parses a status answer [empty][OK|ERROR][answer]. Returns 0 (OK) or 1
 * (ERROR) and sets *answer, or -1 when the message is not a valid answer
 * (or memory runs out copying it). */
static int s_parse_status_answer(zmsg_t *msg, char **answer)
{
    if (zmsg_size(msg) != 3)
        return -1;
    zframe_t *delimiter = zmsg_first(msg);
    zframe_t *status = zmsg_next(msg);
    zframe_t *text = zmsg_next(msg);
    if (zframe_size(delimiter) != 0)
        return -1;
    int result;
    if (shoal__client_frame_is(status, "OK"))
        result = 0;
    else if (shoal__client_frame_is(status, "ERROR"))
        result = 1;
    else
        return -1;
    *answer = shoal__client_frame_to_string(text, NULL);
    return *answer != NULL ? result : -1;
}

/* Sends request with an empty delimiter on dealer and waits for the
 * answer. Returns as shoal_status_request. */
static int s_status_exchange(zsock_t *dealer, const char *request,
                             int timeout_ms, char **answer)
{
    zmsg_t *msg = zmsg_new();
    if (msg != NULL &&
        (zmsg_addmem(msg, NULL, 0) != 0 || zmsg_addstr(msg, request) != 0))
        zmsg_destroy(&msg);
    if (shoal__client_send_message(dealer, &msg) != 0)
        return -1;
    msg = shoal__client_receive_message(dealer, timeout_ms);
    if (msg == NULL)
        return -1;
    int rc = s_parse_status_answer(msg, answer);
    zmsg_destroy(&msg);
    return rc < 0 ? -2 : rc;
}

/* Asks a status socket one request on a fresh connection and waits up to
 * timeout_ms (negative: forever). Returns 0 on an OK answer and 1 on an
 * ERROR answer, with *answer set (the caller's, free()); -1 when an
 * argument is invalid or the endpoint malformed (errno EINVAL), or on
 * timeout or interruption (errno EAGAIN, EINTR); -2 when the node sent
 * something that is not a valid answer. On -1 and -2 *answer is not set. */
int shoal_status_request(const char *status_endpoint, const char *request,
                         int timeout_ms, char **answer)
{
    assert(answer);
    if (request == NULL || *request == '\0') {
        errno = EINVAL;
        return -1;
    }
    zsock_t *dealer = s_dealer_new(status_endpoint, NULL, NULL);
    if (dealer == NULL)
        return -1;
    int rc = s_status_exchange(dealer, request, timeout_ms, answer);
    int saved_errno = errno;
    zsock_destroy(&dealer);
    errno = saved_errno;
    return rc;
}
