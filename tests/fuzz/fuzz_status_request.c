/*
 * tests/fuzz/fuzz_status_request.c - libFuzzer target: a message on the
 * status socket, as the node takes it apart: envelope
 * (runtime/protocol.h), then the request (runtime/status_request.h).
 *
 * The input is the frames of one message from a ROUTER, envelope first,
 * split as tests/fuzz/fuzz.h describes; its first byte, when odd, marks
 * the message truncated (more frames than were received).
 *
 * Properties checked: nothing reads outside a frame; a request is
 * recognized only when it is one frame of text that names it, and then
 * its text is that frame; a refused one says why.
 */
#include "fuzz.h"
#include "runtime/status_request.h"

/* Checks what the parser made of body, count frames. */
static void s_check(const shoal_status_request_t *request,
                    const shoal_frame_t *body, size_t count, bool truncated)
{
    if (request->kind == SHOAL_STATUS_REQUEST_MALFORMED) {
        FUZZ_CHECK(request->error && *request->error);
        FUZZ_CHECK(!request->arguments);
        return;
    }
    FUZZ_CHECK(!request->error && !truncated && count == 1);
    size_t size = strlen(request->text);
    FUZZ_CHECK(size == body[0].size && size <= SHOAL_STATUS_REQUEST_MAX);
    FUZZ_CHECK(memcmp(request->text, body[0].data, size) == 0);
    switch (request->kind) {
    case SHOAL_STATUS_REQUEST_STATUS:
        FUZZ_CHECK(strcmp(request->text, "status") == 0);
        FUZZ_CHECK(!request->arguments);
        break;
    case SHOAL_STATUS_REQUEST_METRICS:
        FUZZ_CHECK(strcmp(request->text, "metrics") == 0);
        FUZZ_CHECK(!request->arguments);
        break;
    case SHOAL_STATUS_REQUEST_GET:
        FUZZ_CHECK(strncmp(request->text, "get ", 4) == 0);
        FUZZ_CHECK(request->arguments == request->text + 4);
        break;
    case SHOAL_STATUS_REQUEST_CLOCK:
        FUZZ_CHECK(strncmp(request->text, "clock", 5) == 0);
        FUZZ_CHECK(request->arguments == request->text + 5);
        FUZZ_CHECK(!*request->arguments || *request->arguments == ' ');
        break;
    case SHOAL_STATUS_REQUEST_DEAD_LETTERS:
        FUZZ_CHECK(strncmp(request->text, "dead-letters", 12) == 0);
        FUZZ_CHECK(request->arguments == request->text + 12);
        FUZZ_CHECK(!*request->arguments || *request->arguments == ' ');
        break;
    case SHOAL_STATUS_REQUEST_LEAVE:
        FUZZ_CHECK(strcmp(request->text, "leave") == 0);
        FUZZ_CHECK(!request->arguments);
        break;
    case SHOAL_STATUS_REQUEST_RETRY:
        FUZZ_CHECK(strncmp(request->text, "retry ", 6) == 0);
        FUZZ_CHECK(request->arguments == request->text + 6);
        break;
    case SHOAL_STATUS_REQUEST_MALFORMED:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    bool truncated = data[0] & 1;
    fuzz_message_t message;
    fuzz_message_split(data + 1, size - 1, &message);
    shoal_route_t route = {.kind = SHOAL_ROUTE_STATUS};
    size_t body;
    if (shoal_protocol_open_envelope(message.frames, message.count, &route,
                                     &body) == 0) {
        shoal_status_request_t request;
        memset(&request, 0x55, sizeof request);
        shoal_status_request_parse(message.frames + body, message.count - body,
                                   truncated, &request);
        s_check(&request, message.frames + body, message.count - body,
                truncated);
    }
    fuzz_message_free(&message);
    return 0;
}
