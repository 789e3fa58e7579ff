/*
 * runtime/node_handoff.c - the main thread's part in a shard handoff.
 *
 * The old owner's cluster thread asks to FREEZE a shard: from then on the
 * shard's requests wait here, in order (also those other members forward),
 * and the shard's worker is asked to RELEASE it (its entities leave memory
 * once nothing of theirs is in flight). When the worker has, the cluster
 * thread learns it (FROZEN, with the journal position then) and ships the
 * shard. When the new table gives the shard to the new owner, what waited
 * here goes to it; when the handoff is abandoned (THAW), to the worker.
 *
 * On the new owner, the cluster thread asks to ADOPT the imported heads:
 * they go to the shard's worker, and the reactor reloads its topics'
 * heads, before the new owner serves the shard.
 */
#include "runtime/log.h"
#include "runtime/node_internal.h"
#include "runtime/pipes.h"

/* Most requests that may wait for shards being handed over. */
#define S_PARKED_MAX 100000

int shoal__node_start_handoffs(shoal_node_t *self)
{
    size_t shards = self->config->shards;
    self->frozen = calloc(shards, 1);
    self->parked_head = calloc(shards, sizeof *self->parked_head);
    self->parked_tail = calloc(shards, sizeof *self->parked_tail);
    return self->frozen && self->parked_head && self->parked_tail ? 0 : -1;
}

/* Answers a parked request with an error and frees it. */
static void s_fail(shoal_node_t *self, shoal_request_t *request,
                   const char *code, const char *message)
{
    shoal_route_t route;
    if (shoal_route_decode(request->route, request->route_size, &route) == 0)
        shoal__node_reply_error(self, &route, code, message);
    shoal_request_destroy(&request);
}

void shoal__node_stop_handoffs(shoal_node_t *self)
{
    for (size_t shard = 0; self->parked_head && shard < self->config->shards;
         shard++) {
        while (self->parked_head[shard]) {
            shoal_request_t *request = self->parked_head[shard];
            self->parked_head[shard] = request->next;
            s_fail(self, request, "unavailable", "node is shutting down");
        }
    }
    free(self->frozen);
    free(self->parked_head);
    free(self->parked_tail);
    self->frozen = NULL;
    self->parked_head = self->parked_tail = NULL;
    self->parked = 0;
}

int shoal__node_park(shoal_node_t *self, uint32_t shard,
                     shoal_request_t *request)
{
    if (self->parked >= S_PARKED_MAX)
        return -1;
    request->next = NULL;
    if (self->parked_tail[shard])
        self->parked_tail[shard]->next = request;
    else
        self->parked_head[shard] = request;
    self->parked_tail[shard] = request;
    self->parked++;
    return 0;
}

/* Takes the parked requests of shard off its list, in order. */
static shoal_request_t *s_unpark(shoal_node_t *self, uint32_t shard)
{
    shoal_request_t *first = self->parked_head[shard];
    for (shoal_request_t *at = first; at; at = at->next)
        self->parked--;
    self->parked_head[shard] = self->parked_tail[shard] = NULL;
    return first;
}

/* Routes each parked request of shard anew: to its worker when the shard
 * stays here, to the new owner when it moved. */
static void s_release_parked(shoal_node_t *self, uint32_t shard)
{
    shoal_request_t *request = s_unpark(self, shard);
    while (request) {
        shoal_request_t *next = request->next;
        request->next = NULL;
        shoal_route_t route;
        const char *code, *message;
        if (shoal_route_decode(request->route, request->route_size, &route) <
            0) {
            shoal_request_destroy(&request);
        } else if (shoal__node_enqueue(self, &route, request->kind,
                                       request->type, request->entity_id,
                                       request->kind == SHOAL_REQUEST_QUERY
                                           ? NULL
                                           : request->command_name,
                                       request->command_id, request->payload,
                                       request->payload_size, &code,
                                       &message) < 0) {
            shoal__node_reply_error(self, &route, code, message);
            shoal_request_destroy(&request);
        } else {
            shoal_request_destroy(&request);
        }
        request = next;
    }
}

/* Sends a handoff message to the worker of its shard (taking it). */
static void s_to_worker(shoal_node_t *self, shoal_handoff_msg_t *message)
{
    uint32_t worker = message->shard % (uint32_t)self->config->workers;
    if (shoal_pipe_send(self->worker_inboxes[worker], SHOAL_PIPE_HANDOFF,
                        message, 0) < 0)
        shoal_handoff_msg_destroy(&message);
}

/* Tells the cluster thread something: [kind][text]. */
static void s_to_cluster(shoal_node_t *self, const char *kind, const char *text)
{
    shoal_frame_t frames[] = {{kind, strlen(kind)}, {text, strlen(text)}};
    shoal_frames_send(zsock_resolve(self->cluster_inbox), frames, 2, 0);
}

void shoal__node_on_handoff(shoal_node_t *self, shoal_handoff_msg_t *message)
{
    uint32_t shard = message->shard;
    char text[64];
    if (!self->frozen || shard >= self->config->shards) {
        shoal_handoff_msg_destroy(&message);
        return;
    }
    switch (message->kind) {
    case SHOAL_HANDOFF_FREEZE:
        self->frozen[shard] = 1;
        message->kind = SHOAL_HANDOFF_RELEASE;
        s_to_worker(self, message);
        return;
    case SHOAL_HANDOFF_RELEASED:
        if (self->frozen[shard] == 1) {
            self->frozen[shard] = 2;
            /* Nothing of it is in flight: from now on no write of it. */
            shoal_shard_fence_close(self->fence, shard);
            snprintf(text, sizeof text, "%u %lld", shard,
                     (long long)atomic_load(&self->journal_stats.last_pos));
            s_to_cluster(self, "FROZEN", text);
        }
        break;
    case SHOAL_HANDOFF_THAW:
        if (self->frozen[shard]) {
            self->frozen[shard] = 0;
            shoal__node_fence_view(self); /* it stays: open it again */
            s_release_parked(self, shard);
        }
        break;
    case SHOAL_HANDOFF_ADOPT:
        s_to_worker(self, message);
        return;
    case SHOAL_HANDOFF_ADOPTED: {
        shoal_reactor_request_t *reload = calloc(1, sizeof *reload);
        if (reload) {
            reload->kind = SHOAL_REACTOR_RELOAD_TOPICS;
            if (shoal_pipe_send(self->reactor_requests, SHOAL_PIPE_REACTOR,
                                reload, 0) < 0)
                shoal_reactor_request_destroy(&reload);
        }
        snprintf(text, sizeof text, "%u", shard);
        s_to_cluster(self, "ADOPTED", text);
        break;
    }
    case SHOAL_HANDOFF_RELEASE:
        break; /* defensive: never sent to the main thread */
    }
    shoal_handoff_msg_destroy(&message);
}

void shoal__node_settle_handoffs(shoal_node_t *self)
{
    shoal_cluster_view_t *view = self->view;
    if (!self->frozen || !view)
        return;
    for (uint32_t shard = 0; shard < self->config->shards; shard++) {
        if (!self->frozen[shard])
            continue;
        uint16_t owner = view->owners[shard];
        if (owner == SHOAL_CLUSTER_NO_OWNER || view->members[owner].is_local)
            continue;
        /* It moved: what waited goes to the new owner. */
        self->frozen[shard] = 0;
        s_release_parked(self, shard);
    }
}

void shoal__node_fence_view(shoal_node_t *self)
{
    shoal_cluster_view_t *view = self->view;
    if (!view || !self->frozen)
        return;
    uint32_t shards = shoal_shard_fence_shards(self->fence);
    for (uint32_t shard = 0; shard < shards && shard < view->shards; shard++) {
        uint16_t owner = view->owners[shard];
        bool local =
            owner != SHOAL_CLUSTER_NO_OWNER && view->members[owner].is_local;
        bool open = shoal_shard_fence_since(self->fence, shard) !=
                    SHOAL_SHARD_FENCE_CLOSED;
        if (local && !open && self->frozen[shard] != 2)
            shoal_shard_fence_open(self->fence, shard, view->epoch);
        else if (!local && open)
            shoal_shard_fence_close(self->fence, shard);
    }
}
