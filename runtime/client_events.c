/*
 * runtime/client_events.c - topic reads of the client library: the EVENTS
 * request of docs/PROTOCOL.md, the strict parsing of its answer, and the
 * search for that answer among the replies to requests the caller
 * pipelined, which are held for shoal_client_receive.
 *
 * A read has a request id of its own, "events-N". A read that gives up
 * (timeout, interruption) leaves its answer on the way; whoever receives
 * it later recognises the prefix and drops it.
 *
 * Also here: the cursor arithmetic a consumer needs to resume after any
 * one event of a read (shoal_cursor_after).
 */
#include "runtime/client_internal.h"
#include "shoal/plugin.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Longest cursor a request may carry (the node refuses longer ones). */
#define S_CURSOR_MAX 65536

/* Frames before the events of an EVENTS answer, and per event. */
#define S_HEAD_FRAMES 5
#define S_EVENT_FRAMES 4

/* ---------------------------------------------------------------------
 * Frames of an answer
 */

/* True when size bytes at text are a non-empty run of decimal digits. */
static bool s_is_digits(const char *text, size_t size)
{
    if (size == 0)
        return false;
    for (size_t index = 0; index < size; index++) {
        if (text[index] < '0' || text[index] > '9')
            return false;
    }
    return true;
}

/* Copies a position frame, "SHARD:SEQ", into position. Returns 0, or -1
 * when the frame is not one. */
static int s_copy_position(zframe_t *frame,
                           char position[SHOAL_EVENT_POSITION_MAX + 1])
{
    const char *text = (const char *)zframe_data(frame);
    size_t size = zframe_size(frame);
    const char *colon = size > 0 ? memchr(text, ':', size) : NULL;
    if (size > SHOAL_EVENT_POSITION_MAX || colon == NULL ||
        !s_is_digits(text, (size_t)(colon - text)) ||
        !s_is_digits(colon + 1, size - (size_t)(colon - text) - 1))
        return -1;
    memcpy(position, text, size);
    position[size] = '\0';
    return 0;
}

/* Copies an entity frame, "type/id" without NUL, into a new string.
 * Returns NULL when the frame is not one or memory runs out. */
static char *s_copy_entity(zframe_t *frame)
{
    const char *text = (const char *)zframe_data(frame);
    size_t size = zframe_size(frame);
    if (size < 3 || size > SHOAL_TYPE_NAME_MAX + 1 + SHOAL_ENTITY_ID_MAX ||
        memchr(text, '/', size) == NULL || memchr(text, '\0', size) != NULL)
        return NULL;
    return shoal__client_frame_to_string(frame, NULL);
}

/* Reads a signed decimal number of milliseconds ("-5", "1800000000000")
 * from frame. Returns 0, or -1 when the frame is not one. */
static int s_frame_to_int64(zframe_t *frame, int64_t *value)
{
    const char *text = (const char *)zframe_data(frame);
    size_t size = zframe_size(frame);
    bool negative = size > 0 && text[0] == '-';
    uint64_t magnitude = 0;
    for (size_t index = negative ? 1 : 0; index < size; index++) {
        if (text[index] < '0' || text[index] > '9')
            return -1;
        uint64_t digit = (uint64_t)(text[index] - '0');
        if (magnitude > ((uint64_t)INT64_MAX - digit) / 10)
            return -1;
        magnitude = magnitude * 10 + digit;
    }
    if (size == (negative ? 1u : 0u))
        return -1;
    *value = negative ? -(int64_t)magnitude : (int64_t)magnitude;
    return 0;
}

/* Fills record from the four frames of one event, starting at frame.
 * Returns 0, or -1 when one of them is not of its form (the record may
 * then hold allocations, which shoal_events_clear releases). */
static int s_parse_event(zmsg_t *msg, zframe_t *frame,
                         shoal_event_record_t *record)
{
    zframe_t *entity = zmsg_next(msg);
    zframe_t *written = zmsg_next(msg);
    zframe_t *payload = zmsg_next(msg);
    if (s_copy_position(frame, record->position) != 0 ||
        s_frame_to_int64(written, &record->written_ms) != 0)
        return -1;
    record->entity = s_copy_entity(entity);
    record->payload =
        shoal__client_frame_to_string(payload, &record->payload_size);
    return record->entity != NULL && record->payload != NULL ? 0 : -1;
}

/* Fills events from an EVENTS answer, frames 3.. (cursor, count, then
 * the events) of a message of frame_count frames, at most max events.
 * Returns 0, or -1 when the answer is not valid. */
static int s_parse_events(zmsg_t *msg, size_t frame_count, unsigned max,
                          shoal_events_t *events)
{
    zframe_t *cursor = zmsg_next(msg);
    zframe_t *count = zmsg_next(msg);
    uint64_t event_count;
    if (cursor == NULL || count == NULL || zframe_size(cursor) > S_CURSOR_MAX ||
        (zframe_size(cursor) > 0 &&
         memchr(zframe_data(cursor), '\0', zframe_size(cursor)) != NULL) ||
        shoal__client_frame_to_uint64(count, &event_count) != 0 ||
        event_count > max ||
        frame_count != S_HEAD_FRAMES + S_EVENT_FRAMES * event_count)
        return -1;
    events->cursor = shoal__client_frame_to_string(cursor, NULL);
    if (events->cursor == NULL)
        return -1;
    if (event_count == 0)
        return 0;
    events->events = calloc(event_count, sizeof *events->events);
    if (events->events == NULL)
        return -1;
    for (size_t index = 0; index < event_count; index++) {
        events->count++;
        if (s_parse_event(msg, zmsg_next(msg), &events->events[index]) != 0)
            return -1;
    }
    return 0;
}

/* Fills events from the answer to a read of at most max events. Returns
 * 0 (EVENTS), 1 (ERROR), or -1 when msg is not a valid answer; on -1
 * events may hold allocations for the caller to clear. */
static int s_parse_answer(zmsg_t *msg, unsigned max, shoal_events_t *events)
{
    size_t frame_count = zmsg_size(msg);
    zframe_t *version = zmsg_first(msg);
    zmsg_next(msg); /* the request id, already matched */
    zframe_t *status = zmsg_next(msg);
    if (status == NULL ||
        !shoal__client_frame_is(version, SHOAL_PROTOCOL_VERSION))
        return -1;
    if (shoal__client_frame_is(status, "EVENTS"))
        return s_parse_events(msg, frame_count, max, events);
    if (!shoal__client_frame_is(status, "ERROR") || frame_count != 5)
        return -1;
    zframe_t *code = zmsg_next(msg);
    zframe_t *message = zmsg_next(msg);
    if (!shoal__client_frame_is_error_code(code))
        return -1;
    events->error_code = shoal__client_frame_to_string(code, NULL);
    events->error = shoal__client_frame_to_string(message, NULL);
    return events->error_code != NULL && events->error != NULL ? 1 : -1;
}

/* True when msg carries request_id in its request id frame. */
static bool s_has_request_id(zmsg_t *msg, const char *request_id)
{
    zmsg_first(msg);
    zframe_t *frame = zmsg_next(msg);
    return frame != NULL && shoal__client_frame_is(frame, request_id);
}

/* ---------------------------------------------------------------------
 * Public API
 */

/* Queues an EVENTS request under request_id. Returns 0 or -1 (errno as
 * shoal__client_send_message). */
static int s_send_read(shoal_client_t *self, const char *request_id,
                       const char *topic, const char *cursor,
                       unsigned max_events)
{
    zmsg_t *msg = shoal__client_request_new(request_id, "EVENTS");
    if (msg != NULL &&
        (zmsg_addstr(msg, topic) != 0 ||
         zmsg_addstr(msg, cursor != NULL ? cursor : "") != 0 ||
         (max_events > 0 && zmsg_addstrf(msg, "%u", max_events) != 0)))
        zmsg_destroy(&msg);
    return shoal__client_send_message(self->dealer, &msg);
}

/* Reads up to max_events events of topic after cursor (see client.h).
 * topic must be 1..SHOAL_TOPIC_NAME_MAX bytes of [A-Za-z0-9_-], cursor
 * (NULL: "") at most 65536 bytes and max_events at most
 * SHOAL_EVENTS_READ_MAX, else -1 with errno EINVAL. Waits up to
 * timeout_ms (negative: forever) for the answer with this read's request
 * id; other replies that arrive meanwhile are held, in order, for
 * shoal_client_receive, and late answers to earlier reads are dropped.
 * Returns 0 (events), 1 (ERROR), -1 (argument, socket, timeout with errno
 * EAGAIN, interruption with EINTR) or -2 (an answer that is not valid; it
 * is consumed). *events is zeroed first and, on -1 and -2, holds nothing;
 * the caller clears it with shoal_events_clear. All arguments are
 * borrowed. */
int shoal_client_read_events(shoal_client_t *self, const char *topic,
                             const char *cursor, unsigned max_events,
                             shoal_events_t *events, int timeout_ms)
{
    assert(self);
    assert(events);
    memset(events, 0, sizeof *events);
    if (!shoal__client_is_token(topic, SHOAL_TOPIC_NAME_MAX) ||
        (cursor != NULL && strlen(cursor) > S_CURSOR_MAX) ||
        max_events > SHOAL_EVENTS_READ_MAX) {
        errno = EINVAL;
        return -1;
    }
    char request_id[SHOAL_REQUEST_ID_MAX + 1];
    snprintf(request_id, sizeof request_id,
             SHOAL__CLIENT_READ_PREFIX "%" PRIu64, ++self->next_call_id);
    if (s_send_read(self, request_id, topic, cursor, max_events) != 0)
        return -1;

    int64_t deadline = timeout_ms < 0 ? -1 : zclock_mono() + timeout_ms;
    while (true) {
        zmsg_t *msg = shoal__client_receive_message(
            self->dealer, shoal__client_time_left(deadline));
        if (msg == NULL)
            return -1;
        if (s_has_request_id(msg, request_id)) {
            int rc = s_parse_answer(
                msg, max_events > 0 ? max_events : SHOAL_EVENTS_READ_MAX,
                events);
            zmsg_destroy(&msg);
            if (rc < 0)
                shoal_events_clear(events);
            return rc < 0 ? -2 : rc;
        }
        if (shoal__client_answers_a_read(msg))
            zmsg_destroy(&msg); /* a late answer to an earlier read */
        else if (zlist_append(self->held, msg) != 0)
            zmsg_destroy(&msg); /* defensive: out of memory */
    }
}

/* Frees the records, the cursor and the error of a read, and zeroes it.
 * NULL-safe. */
void shoal_events_clear(shoal_events_t *events)
{
    if (events == NULL)
        return;
    for (size_t index = 0; index < events->count; index++) {
        free(events->events[index].entity);
        free(events->events[index].payload);
    }
    free(events->events);
    free(events->cursor);
    free(events->error_code);
    free(events->error);
    memset(events, 0, sizeof *events);
}

/* ---------------------------------------------------------------------
 * Cursors
 */

/* One shard of a cursor: the sequence of the last event read there. */
typedef struct {
    uint64_t shard;
    uint64_t seq;
} s_mark_t;

/* Reads a decimal number of at most max at *at, and moves *at past it.
 * Returns 0, or -1 when there is none or it is past max. */
static int s_read_number(const char **at, uint64_t max, uint64_t *value)
{
    const char *start = *at;
    uint64_t number = 0;
    for (; **at >= '0' && **at <= '9'; (*at)++) {
        uint64_t digit = (uint64_t)(**at - '0');
        if (number > (max - digit) / 10)
            return -1;
        number = number * 10 + digit;
    }
    if (*at == start)
        return -1;
    *value = number;
    return 0;
}

/* Reads "SHARD:SEQ" at *at into mark and moves *at past it. Returns 0 or
 * -1. */
static int s_read_mark(const char **at, s_mark_t *mark)
{
    if (s_read_number(at, UINT32_MAX, &mark->shard) != 0 || **at != ':')
        return -1;
    (*at)++;
    return s_read_number(at, INT64_MAX, &mark->seq);
}

/* Parses cursor text ("SHARD:SEQ,...", shards ascending) into marks
 * (room for one more than it holds). Returns the count, or -1. */
static long s_parse_cursor(const char *text, s_mark_t *marks)
{
    long count = 0;
    const char *at = text;
    while (*at != '\0') {
        if (count > 0 && *at++ != ',')
            return -1;
        if (s_read_mark(&at, &marks[count]) != 0 ||
            (count > 0 && marks[count].shard <= marks[count - 1].shard))
            return -1;
        count++;
    }
    return count;
}

/* Sets the mark of position's shard among count marks (ascending), adding
 * it in its place when the shard has none. Returns the new count. */
static long s_set_mark(s_mark_t *marks, long count, s_mark_t position)
{
    long index = 0;
    while (index < count && marks[index].shard < position.shard)
        index++;
    if (index == count || marks[index].shard != position.shard) {
        memmove(&marks[index + 1], &marks[index],
                (size_t)(count - index) * sizeof *marks);
        count++;
    }
    marks[index] = position;
    return count;
}

/* Returns cursor (NULL: "") with the shard of position set to its
 * sequence, in the node's form: shards ascending, none at sequence 0.
 * position NULL only checks and copies cursor. Returns a new string (the
 * caller's), or NULL with errno EINVAL (a malformed cursor or position)
 * or ENOMEM. Both arguments are borrowed. */
char *shoal_cursor_after(const char *cursor, const char *position)
{
    if (cursor == NULL)
        cursor = "";
    size_t size = strlen(cursor);
    /* Each mark takes at least 4 bytes ("0:1,"), so this is room enough
     * for the cursor's marks and one more. */
    s_mark_t *marks = calloc(size / 4 + 2, sizeof *marks);
    char *text = malloc(size + SHOAL_EVENT_POSITION_MAX + 2);
    if (marks == NULL || text == NULL) {
        free(marks);
        free(text);
        errno = ENOMEM;
        return NULL;
    }
    long count = s_parse_cursor(cursor, marks);
    s_mark_t mark;
    const char *at = position;
    if (count >= 0 && position != NULL) {
        if (s_read_mark(&at, &mark) == 0 && *at == '\0')
            count = s_set_mark(marks, count, mark);
        else
            count = -1;
    }
    if (count < 0) {
        free(marks);
        free(text);
        errno = EINVAL;
        return NULL;
    }
    size_t used = 0;
    text[0] = '\0';
    for (long index = 0; index < count; index++) {
        if (marks[index].seq == 0)
            continue; /* the node writes no mark for an unread shard */
        used += (size_t)sprintf(text + used, "%s%" PRIu64 ":%" PRIu64,
                                used > 0 ? "," : "", marks[index].shard,
                                marks[index].seq);
    }
    free(marks);
    return text;
}
