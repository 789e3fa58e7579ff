/*
 * runtime/status_request.h - parsing the requests of the status socket
 * (docs/PROTOCOL.md): one text frame, `status`, `metrics`, `get TYPE ID`,
 * `clock [set MS]`, `dead-letters [POLICY]`, `retry ID` or `leave`.
 *
 * A pure function of the frames, so that it can be tested and fuzzed
 * without a node; runtime/node.c answers what it decides.
 */
#ifndef SHOAL_RUNTIME_STATUS_REQUEST_H
#define SHOAL_RUNTIME_STATUS_REQUEST_H

#include "runtime/protocol.h"

#include <stdbool.h>
#include <stddef.h>

/* Longest status request, in bytes. */
#define SHOAL_STATUS_REQUEST_MAX 511

typedef enum {
    SHOAL_STATUS_REQUEST_MALFORMED,
    SHOAL_STATUS_REQUEST_STATUS,
    SHOAL_STATUS_REQUEST_METRICS,
    SHOAL_STATUS_REQUEST_GET,
    SHOAL_STATUS_REQUEST_CLOCK,        /* arguments: "" or " set MS" */
    SHOAL_STATUS_REQUEST_DEAD_LETTERS, /* arguments: "" or " POLICY" */
    SHOAL_STATUS_REQUEST_RETRY,        /* arguments: "ID" */
    SHOAL_STATUS_REQUEST_LEAVE,        /* leave the cluster gracefully */
} shoal_status_request_kind_t;

/* A parsed status request. */
typedef struct {
    shoal_status_request_kind_t kind;
    const char *error; /* MALFORMED: why, a static string; else NULL */
    char *arguments;   /* the text after the verb, in text; else NULL */
    char text[SHOAL_STATUS_REQUEST_MAX + 1]; /* the request, NUL-terminated */
} shoal_status_request_t;

/* Parses the frames of a status request (after the envelope; truncated:
 * the message had more frames than were received) into *request. Never
 * fails: bad input gives kind MALFORMED with the message to answer in
 * request->error. */
void shoal_status_request_parse(const shoal_frame_t *frames, size_t count,
                                bool truncated,
                                shoal_status_request_t *request);

#endif
