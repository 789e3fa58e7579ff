/*
 * runtime/reactor_reads.c - reads the reactor serves: a topic's events
 * from a cursor (the client port's EVENTS) and the dead letters (the
 * status socket's dead-letters).
 */
#include "runtime/reactor_internal.h"
#include "runtime/topic_cursor.h"

#include <inttypes.h>
#include <jansson.h>

/* One event read, with the frames that carry it. */
typedef struct {
    char position[32];
    char written[24];
    char *entity;
    void *payload;
    size_t payload_size;
} s_read_event_t;

typedef struct {
    s_read_event_t *events;
    size_t count;
    uint64_t *seqs;
} s_read_t;

/* Copies one event of a topic read. */
static int s_take_event(const shoal_topic_event_t *event, void *arg)
{
    s_read_t *read = arg;
    s_read_event_t *copy = &read->events[read->count++];
    snprintf(copy->position, sizeof copy->position, "%u:%" PRIu64, event->shard,
             event->seq);
    snprintf(copy->written, sizeof copy->written, "%" PRId64,
             event->written_ms);
    copy->entity = strdup(event->entity);
    copy->payload = malloc(event->payload_size ? event->payload_size : 1);
    assert(copy->entity && copy->payload);
    if (event->payload_size)
        memcpy(copy->payload, event->payload, event->payload_size);
    copy->payload_size = event->payload_size;
    read->seqs[event->shard] = event->seq;
    return 0;
}

void shoal__reactor_serve_events(s_reactor_t *self,
                                 const shoal_reactor_request_t *request)
{
    uint32_t shards = (uint32_t)self->config->shards;
    s_read_t read = {.seqs = calloc(shards, sizeof(uint64_t)),
                     .events =
                         calloc(request->max_events, sizeof(s_read_event_t))};
    assert(read.seqs && read.events);
    char error_text[256];
    char *error = NULL;
    int rc = shoal_topic_cursor_parse(request->cursor, strlen(request->cursor),
                                      shards, read.seqs, error_text,
                                      sizeof error_text);
    if (rc < 0) {
        shoal__reactor_reply_error(self, request->route, request->route_size,
                                   "malformed", error_text);
        goto out_free;
    }
    for (uint32_t shard = 0; shard < shards && read.count < request->max_events;
         shard++) {
        if (shoal_reactions_read_topic(self->store, request->topic, shard,
                                       read.seqs[shard],
                                       request->max_events - read.count,
                                       s_take_event, &read, &error) < 0) {
            snprintf(error_text, sizeof error_text, "topic %s: %s",
                     request->topic, error ? error : "read failed");
            free(error);
            shoal__reactor_reply_error(self, request->route,
                                       request->route_size, "internal",
                                       error_text);
            goto out_free;
        }
    }
    char *cursor = shoal_topic_cursor_format(read.seqs, shards);
    shoal_route_t route;
    if (!cursor ||
        shoal_route_decode(request->route, request->route_size, &route) < 0) {
        free(cursor);
        goto out_free;
    }
    char count[24];
    snprintf(count, sizeof count, "%zu", read.count);
    size_t frame_count = 5 + 4 * read.count;
    shoal_frame_t *frames = malloc(frame_count * sizeof *frames);
    assert(frames);
    frames[0] = (shoal_frame_t){"SHOAL/1", 7};
    frames[1] = (shoal_frame_t){route.request_id, route.request_id_size};
    frames[2] = (shoal_frame_t){"EVENTS", 6};
    frames[3] = (shoal_frame_t){cursor, strlen(cursor)};
    frames[4] = (shoal_frame_t){count, strlen(count)};
    for (size_t i = 0; i < read.count; i++) {
        s_read_event_t *event = &read.events[i];
        shoal_frame_t *at = &frames[5 + 4 * i];
        at[0] = (shoal_frame_t){event->position, strlen(event->position)};
        at[1] = (shoal_frame_t){event->entity, strlen(event->entity)};
        at[2] = (shoal_frame_t){event->written, strlen(event->written)};
        at[3] = (shoal_frame_t){event->payload, event->payload_size};
    }
    shoal__reactor_answer_frames(self, request->route, request->route_size,
                                 frames, frame_count);
    free(frames);
    free(cursor);
out_free:
    for (size_t i = 0; i < read.count; i++) {
        free(read.events[i].entity);
        free(read.events[i].payload);
    }
    free(read.events);
    free(read.seqs);
}

/* Adds one dead letter to a JSON array. */
static int s_list_letter(const shoal_dead_letter_t *letter, void *arg)
{
    json_array_append_new(
        arg,
        json_pack("{s:I, s:s, s:I, s:I, s:s, s:I, s:I, s:s?, s:I}", "id",
                  (json_int_t)letter->id, "policy", letter->policy, "pos",
                  (json_int_t)letter->pos, "event_index",
                  (json_int_t)letter->event_index, "entity", letter->entity,
                  "seq", (json_int_t)letter->seq, "attempts",
                  (json_int_t)letter->attempts, "error", letter->error,
                  "parked_ms", (json_int_t)letter->parked_ms));
    return 0;
}

void shoal__reactor_serve_dead_letters(s_reactor_t *self,
                                       const shoal_reactor_request_t *request)
{
    json_t *list = json_array();
    char *error = NULL;
    if (shoal_reactions_dead_letters(
            self->store, *request->policy ? request->policy : NULL, 0, 1000,
            s_list_letter, list, &error) < 0) {
        shoal__reactor_reply_error(self, request->route, request->route_size,
                                   "internal", error ? error : "read failed");
        free(error);
        json_decref(list);
        return;
    }
    json_t *object = json_pack("{s:o}", "dead_letters", list);
    char *text = json_dumps(object, JSON_COMPACT);
    json_decref(object);
    if (text)
        shoal__reactor_reply_text(self, request->route, request->route_size,
                                  text);
    else
        shoal__reactor_reply_error(self, request->route, request->route_size,
                                   "internal", "out of memory");
    free(text);
}
