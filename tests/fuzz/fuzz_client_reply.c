/*
 * tests/fuzz/fuzz_client_reply.c - libFuzzer target: the replies a client
 * reads from a node (runtime/client.c): a reply on the client port, and an
 * answer on the status socket.
 *
 * The parsers are static functions of runtime/client.c, which this file
 * includes to reach them without a socket. The input is the frames of one
 * message, split as tests/fuzz/fuzz.h describes, handed to both parsers
 * as a CZMQ message.
 *
 * Properties checked: nothing reads outside a frame; an accepted reply has
 * a known status, a NUL-terminated request id and body of the frames'
 * sizes, sequence numbers that do not wrap, and an error code exactly for
 * ERROR; nothing leaks, accepted or not.
 */
#include "../../runtime/client.c"

#include "fuzz.h"

/* Checks the owner of a reply of size frames whose owner frame, if
 * any, is the frame past plain (its frame count without one). */
static void s_check_owner(const shoal_owner_t *owner, size_t size, size_t plain)
{
    FUZZ_CHECK(size == plain || size == plain + 1);
    if (!owner->known) {
        FUZZ_CHECK(owner->member[0] == '\0' && owner->endpoint[0] == '\0');
        return;
    }
    FUZZ_CHECK(size == plain + 1);
    size_t member = strlen(owner->member);
    FUZZ_CHECK(member >= 1 && member <= SHOAL_OWNER_MEMBER_MAX);
    FUZZ_CHECK(!strchr(owner->member, ' '));
    size_t endpoint = strlen(owner->endpoint);
    FUZZ_CHECK(endpoint >= 1 && endpoint <= SHOAL_OWNER_ENDPOINT_MAX);
}

/* Checks a reply s_parse_reply accepted. */
static void s_check_reply(const shoal_reply_t *reply, zmsg_t *msg)
{
    zframe_t *request_id = zmsg_first(msg);
    request_id = zmsg_next(msg);
    FUZZ_CHECK(strlen(reply->request_id) == zframe_size(request_id));
    FUZZ_CHECK(reply->body && reply->body[reply->body_size] == '\0');
    switch (reply->status) {
    case SHOAL_REPLY_ACCEPTED:
    case SHOAL_REPLY_REJECTED:
        FUZZ_CHECK(!reply->error_code);
        s_check_owner(&reply->owner, zmsg_size(msg), 6);
        FUZZ_CHECK((reply->first_seq == 0) == (reply->event_count == 0));
        FUZZ_CHECK(reply->event_count == 0 ||
                   reply->first_seq - 1 + reply->event_count >=
                       reply->first_seq - 1);
        break;
    case SHOAL_REPLY_ERROR:
        FUZZ_CHECK(reply->error_code);
        s_check_owner(&reply->owner, zmsg_size(msg), 5);
        FUZZ_CHECK(strlen(reply->error_code) >= 1);
        break;
    case SHOAL_REPLY_PONG:
        FUZZ_CHECK(zmsg_size(msg) == 3 && !reply->error_code);
        FUZZ_CHECK(!reply->owner.known);
        FUZZ_CHECK(reply->body_size == 0);
        break;
    default:
        FUZZ_CHECK(!"a reply status the protocol does not have");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_message_t message;
    fuzz_message_split(data, size, &message);
    zmsg_t *msg = zmsg_new();
    FUZZ_CHECK(msg);
    for (size_t i = 0; i < message.count; i++)
        FUZZ_CHECK(zmsg_addmem(msg, message.frames[i].data,
                               message.frames[i].size) == 0);
    fuzz_message_free(&message);

    shoal_reply_t reply;
    memset(&reply, 0, sizeof reply);
    if (s_parse_reply(msg, &reply) == 0)
        s_check_reply(&reply, msg);
    shoal_reply_clear(&reply);

    char *answer = NULL;
    int rc = s_parse_status_answer(msg, &answer);
    FUZZ_CHECK(rc >= -1 && rc <= 1);
    FUZZ_CHECK((rc >= 0) == (answer != NULL));
    free(answer);
    zmsg_destroy(&msg);
    return 0;
}
