/*
 * runtime/status_request.c - parsing the requests of the status socket
 * (see status_request.h). Nothing here asserts on input.
 */
#include "runtime/status_request.h"

#include <string.h>

void shoal_status_request_parse(const shoal_frame_t *frames, size_t count,
                                bool truncated, shoal_status_request_t *request)
{
    request->kind = SHOAL_STATUS_REQUEST_MALFORMED;
    request->error = NULL;
    request->arguments = NULL;
    request->text[0] = '\0';
    if (truncated || count != 1 || frames[0].size > SHOAL_STATUS_REQUEST_MAX ||
        (frames[0].size && memchr(frames[0].data, 0, frames[0].size))) {
        request->error = "a status request is one text frame: status, "
                         "metrics, get TYPE ID, clock, dead-letters, "
                         "retry ID or leave";
        return;
    }
    if (frames[0].size)
        memcpy(request->text, frames[0].data, frames[0].size);
    request->text[frames[0].size] = '\0';
    if (strcmp(request->text, "status") == 0)
        request->kind = SHOAL_STATUS_REQUEST_STATUS;
    else if (strcmp(request->text, "metrics") == 0)
        request->kind = SHOAL_STATUS_REQUEST_METRICS;
    else if (strncmp(request->text, "get ", 4) == 0) {
        request->kind = SHOAL_STATUS_REQUEST_GET;
        request->arguments = request->text + 4;
    } else if (strcmp(request->text, "clock") == 0 ||
               strncmp(request->text, "clock ", 6) == 0) {
        request->kind = SHOAL_STATUS_REQUEST_CLOCK;
        request->arguments = request->text + 5;
    } else if (strcmp(request->text, "dead-letters") == 0 ||
               strncmp(request->text, "dead-letters ", 13) == 0) {
        request->kind = SHOAL_STATUS_REQUEST_DEAD_LETTERS;
        request->arguments = request->text + 12;
    } else if (strcmp(request->text, "leave") == 0) {
        request->kind = SHOAL_STATUS_REQUEST_LEAVE;
    } else if (strncmp(request->text, "retry ", 6) == 0) {
        request->kind = SHOAL_STATUS_REQUEST_RETRY;
        request->arguments = request->text + 6;
    } else
        request->error = "unknown request: expected status, metrics, "
                         "get TYPE ID, clock, dead-letters, retry ID or "
                         "leave";
}
