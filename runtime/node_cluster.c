/*
 * runtime/node_cluster.c - the main thread's side of the cluster: the
 * peer port, routing by the cluster view, and forwarding.
 *
 * A request for a shard owned by another member is forwarded to that
 * member's peer port on the forward ROUTER (one socket, connected to every
 * member, addressed by member name):
 *
 *   [name] SHOAL-FWD/1 EPOCH SHOAL/1 FWDID SEND TYPE ID COMMAND PAYLOAD CMDID
 *   [name] SHOAL-FWD/1 EPOCH SHOAL/1 FWDID QUERY TYPE ID
 *
 * The owner checks that its own view is at least that epoch and that it
 * owns the shard (fencing: a node never serves a shard its view gives to
 * another), runs the request like one of its own, and answers with the
 * client protocol's reply under FWDID. The forwarding node turns that
 * reply back into an answer for the original route, whichever kind it is
 * (client, status `get`, policy, gatekeeper ask). A forward waits at most
 * forward_timeout_ms; then its client is answered unavailable.
 *
 * Forwards are kept in a ring indexed by FWDID: they expire in the order
 * they were sent, so the oldest is always at the head.
 */
#include "cluster/shard.h"
#include "runtime/log.h"
#include "runtime/node_internal.h"
#include "runtime/pipes.h"

#include <inttypes.h>

/* Forwards that may wait at once; past this, `busy`. */
#define S_FORWARDS_MAX 65536

/* The forwarded-request version frame. */
#define S_FORWARD_VERSION "SHOAL-FWD/1"

typedef struct shoal_forward_slot {
    bool live;
    int64_t deadline; /* zclock_mono */
    uint16_t member;  /* index in the view that sent it, for messages */
    size_t route_size;
    uint8_t route[SHOAL_ROUTE_MAX];
} s_slot_t;

/* Sets *error to a formatted, malloc'd message. */
static void s_error(char **error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void s_error(char **error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    free(*error);
    if (vasprintf(error, format, args) < 0)
        *error = NULL;
    va_end(args);
}

int shoal__node_start_cluster(shoal_node_t *self, char **error)
{
    const shoal_config_t *config = self->config;
    if (!*config->cluster_endpoint)
        return 0;
    self->peer = zsock_new(ZMQ_ROUTER);
    zsock_set_linger(self->peer, 0);
    zsock_set_sndhwm(self->peer, 100000);
    zsock_set_rcvhwm(self->peer, 100000);
    if (shoal_security_secure_cluster(&self->security, self->peer, error) < 0) {
        zsock_destroy(&self->peer);
        return -1;
    }
    if (zsock_bind(self->peer, "%s", config->cluster_endpoint) < 0) {
        s_error(error, "cluster port %s: cannot bind: %s",
                config->cluster_endpoint, zmq_strerror(zmq_errno()));
        zsock_destroy(&self->peer);
        return -1;
    }
    self->peer_endpoint = zsock_last_endpoint(self->peer);
    const char *advertise = *config->cluster_advertise
                                ? config->cluster_advertise
                                : self->peer_endpoint;
    char endpoint[128];
    shoal_pipe_endpoint(endpoint, sizeof endpoint, self, "cluster-views", -1);
    self->cluster_views = zsock_new(ZMQ_PULL);
    zsock_set_rcvhwm(self->cluster_views, 0);
    zsock_bind(self->cluster_views, "%s", endpoint);
    self->forward = zsock_new(ZMQ_ROUTER);
    zsock_set_router_mandatory(self->forward, 1);
    if (shoal_security_cluster_client(&self->security, self->forward) < 0) {
        s_error(error, "cluster: cannot use the cluster key: %s",
                zmq_strerror(zmq_errno()));
        return -1;
    }
    zsock_set_linger(self->forward, 0);
    zsock_set_sndhwm(self->forward, 100000);
    char identity[SHOAL_MEMBER_NAME_MAX + 8];
    snprintf(identity, sizeof identity, "%s#f", config->node_name);
    zmq_setsockopt(zsock_resolve(self->forward), ZMQ_ROUTING_ID, identity,
                   strlen(identity));
    self->forward_connected = zhashx_new();
    self->forwards = calloc(S_FORWARDS_MAX, sizeof *self->forwards);
    if (!self->forwards || !self->forward_connected ||
        shoal__node_start_handoffs(self) < 0) {
        s_error(error, "cluster: out of memory");
        return -1;
    }
    self->cluster_args = (shoal_cluster_args_t){
        .node = self,
        .config = config,
        .types = self->type_names,
        .type_count = shoal_plugins_type_count(self->plugins),
        .journal_path = self->journal_path,
        .security = &self->security,
        .handled_pos = &self->reactor_stats.handled_pos,
    };
    shoal_member_t *local = &self->cluster_args.local;
    if (!shoal_member_name_is_valid(config->node_name)) {
        s_error(error,
                "node name '%s': a cluster member's name must be "
                "[A-Za-z0-9_.-]{1,64} (set --node-name)",
                config->node_name);
        return -1;
    }
    snprintf(local->name, sizeof local->name, "%s", config->node_name);
    local->incarnation = (uint64_t)zclock_time();
    snprintf(local->peer_endpoint, sizeof local->peer_endpoint, "%s",
             advertise);
    snprintf(local->client_endpoint, sizeof local->client_endpoint, "%s",
             self->client_endpoint);
    snprintf(local->status_endpoint, sizeof local->status_endpoint, "%s",
             self->status_endpoint);
    shoal_pipe_endpoint(endpoint, sizeof endpoint, self, "cluster", -1);
    self->cluster_inbox = zsock_new(ZMQ_PUSH);
    zsock_set_sndhwm(self->cluster_inbox, 10000);
    zsock_connect(self->cluster_inbox, "%s", endpoint);
    self->cluster = zactor_new(shoal_cluster_actor, &self->cluster_args);
    shoal_log(SHOAL_LOG_INFO, "cluster: peer port %s (advertised %s), %s",
              self->peer_endpoint, advertise,
              config->seed_count ? "joining through the seeds"
                                 : "founding a new cluster");
    return 0;
}

void shoal__node_stop_cluster(shoal_node_t *self)
{
    shoal__node_stop_handoffs(self);
    zactor_destroy(&self->cluster);
    zsock_destroy(&self->cluster_inbox);
    zsock_destroy(&self->cluster_views);
    zsock_destroy(&self->forward);
    zsock_destroy(&self->peer);
    zhashx_destroy(&self->forward_connected);
    free(self->forwards);
    self->forwards = NULL;
    free(self->peer_endpoint);
    self->peer_endpoint = NULL;
    shoal_cluster_view_destroy(&self->view);
}

static void s_connect_member(shoal_node_t *self,
                             const shoal_cluster_member_view_t *member);
static void s_disconnect_member(shoal_node_t *self,
                                const shoal_cluster_member_view_t *member);

void shoal__node_take_views(shoal_node_t *self)
{
    void *pointer;
    int tag;
    while ((tag = shoal_pipe_receive(self->cluster_views, &pointer,
                                     ZMQ_DONTWAIT)) >= 0) {
        if (tag == SHOAL_PIPE_HANDOFF) {
            shoal__node_on_handoff(self, pointer);
            continue;
        }
        shoal_cluster_view_t *view = pointer;
        if (view->fatal && !self->fatal) {
            self->fatal = strdup(view->fatal);
            shoal_cluster_view_destroy(&view);
            continue;
        }
        shoal_cluster_view_destroy(&self->view);
        self->view = view;
        /* Connected to every available member ahead of the first forward,
         * and disconnected from the others: that drops what was queued
         * for a member that died, so that a forward already answered
         * unavailable is never delivered when it comes back. */
        for (size_t i = 0; i < view->member_count; i++) {
            if (view->members[i].is_local)
                continue;
            if (view->members[i].available)
                s_connect_member(self, &view->members[i]);
            else
                s_disconnect_member(self, &view->members[i]);
        }
        shoal__node_fence_view(self);
        shoal__node_settle_handoffs(self);
    }
}

/* Connects the forward ROUTER to a member, once per name and endpoint. */
static void s_connect_member(shoal_node_t *self,
                             const shoal_cluster_member_view_t *member)
{
    char key[SHOAL_MEMBER_NAME_MAX + SHOAL_MEMBER_ENDPOINT_MAX + 2];
    snprintf(key, sizeof key, "%s %s", member->name, member->peer_endpoint);
    if (zhashx_lookup(self->forward_connected, key))
        return;
    zmq_setsockopt(zsock_resolve(self->forward), ZMQ_CONNECT_ROUTING_ID,
                   member->name, strlen(member->name));
    if (zsock_connect(self->forward, "%s", member->peer_endpoint) == 0)
        zhashx_insert(self->forward_connected, key, (void *)1);
}

/* Disconnects the forward ROUTER from a member, when connected. */
static void s_disconnect_member(shoal_node_t *self,
                                const shoal_cluster_member_view_t *member)
{
    char key[SHOAL_MEMBER_NAME_MAX + SHOAL_MEMBER_ENDPOINT_MAX + 2];
    snprintf(key, sizeof key, "%s %s", member->name, member->peer_endpoint);
    if (!zhashx_lookup(self->forward_connected, key))
        return;
    zsock_disconnect(self->forward, "%s", member->peer_endpoint);
    zhashx_delete(self->forward_connected, key);
}

/* Answers the oldest forwards whose time is up, unavailable. */
void shoal__node_expire_forwards(shoal_node_t *self, int64_t now)
{
    while (self->forward_head < self->forward_next) {
        s_slot_t *slot = &self->forwards[self->forward_head % S_FORWARDS_MAX];
        if (slot->live && slot->deadline > now)
            return;
        if (slot->live) {
            shoal_route_t route;
            if (shoal_route_decode(slot->route, slot->route_size, &route) == 0)
                shoal__node_reply_error(
                    self, &route, "unavailable",
                    "the shard's owner did not answer in time; the command "
                    "may have been applied: resend it with the same command "
                    "id");
            slot->live = false;
            self->forwards_expired++;
        }
        self->forward_head++;
    }
}

/* Forwards a request to the member at index of the view. Returns 0, or -1
 * with *code and *message set. */
static int s_forward(shoal_node_t *self, const shoal_route_t *route,
                     shoal_request_kind_t kind, const shoal_type_t *type,
                     const char *entity_id, const char *command,
                     const char *command_id, const void *payload,
                     size_t payload_size, uint16_t member, const char **code,
                     const char **message)
{
    if (self->forward_next - self->forward_head >= S_FORWARDS_MAX) {
        *code = "busy";
        *message = "too many forwarded requests waiting";
        return -1;
    }
    const shoal_cluster_member_view_t *owner = &self->view->members[member];
    s_connect_member(self, owner);
    uint64_t id = self->forward_next;
    char epoch[24];
    snprintf(epoch, sizeof epoch, "%" PRIu64, self->view->epoch);
    shoal_frame_t frames[12];
    size_t count = 0;
    frames[count++] = (shoal_frame_t){owner->name, strlen(owner->name)};
    frames[count++] = (shoal_frame_t){S_FORWARD_VERSION, 11};
    frames[count++] = (shoal_frame_t){epoch, strlen(epoch)};
    frames[count++] = (shoal_frame_t){"SHOAL/1", 7};
    frames[count++] = (shoal_frame_t){&id, sizeof id};
    if (kind == SHOAL_REQUEST_QUERY) {
        frames[count++] = (shoal_frame_t){"QUERY", 5};
        frames[count++] = (shoal_frame_t){type->name, strlen(type->name)};
        frames[count++] = (shoal_frame_t){entity_id, strlen(entity_id)};
    } else {
        frames[count++] = (shoal_frame_t){"SEND", 4};
        frames[count++] = (shoal_frame_t){type->name, strlen(type->name)};
        frames[count++] = (shoal_frame_t){entity_id, strlen(entity_id)};
        frames[count++] = (shoal_frame_t){command, strlen(command)};
        frames[count++] = (shoal_frame_t){payload, payload_size};
        frames[count++] = (shoal_frame_t){command_id ? command_id : "",
                                          command_id ? strlen(command_id) : 0};
        if (route->owner) /* the owner names itself in its reply */
            frames[count++] =
                (shoal_frame_t){SHOAL_OPTION_OWNER, strlen(SHOAL_OPTION_OWNER)};
    }
    if (shoal_frames_send(zsock_resolve(self->forward), frames, count,
                          ZMQ_DONTWAIT) < 0) {
        shoal_log(SHOAL_LOG_DEBUG, "forward to %s (%s): %s", owner->name,
                  owner->peer_endpoint, zmq_strerror(zmq_errno()));
        *code = "unavailable";
        *message = "the shard's owner cannot be reached";
        return -1;
    }
    s_slot_t *slot = &self->forwards[id % S_FORWARDS_MAX];
    slot->live = true;
    slot->deadline = zclock_mono() + (int64_t)self->config->forward_timeout_ms;
    slot->member = member;
    slot->route_size = shoal_route_encode(route, slot->route);
    self->forward_next++;
    self->forwarded++;
    return 0;
}

int shoal__node_route(shoal_node_t *self, const shoal_route_t *route,
                      shoal_request_kind_t kind, const shoal_type_t *type,
                      const char *entity_id, const char *command,
                      const char *command_id, const void *payload,
                      size_t payload_size, const char **code,
                      const char **message)
{
    shoal_cluster_view_t *view = self->view;
    *code = "unavailable";
    if (!view) {
        *message = "this node has not joined its cluster yet";
        return -1;
    }
    if (!view->serving) {
        *message = view->why;
        return -1;
    }
    uint32_t shard = shoal_shard_of(type->name, entity_id, view->shards);
    uint16_t owner = view->owners[shard];
    if (owner == SHOAL_CLUSTER_NO_OWNER) {
        *message = "the entity's shard has no owner yet";
        return -1;
    }
    if (view->members[owner].is_local)
        return 1;
    if (!view->members[owner].available) {
        snprintf(self->route_message, sizeof self->route_message,
                 "shard %u is on node %s, which is down or unreachable", shard,
                 view->members[owner].name);
        *message = self->route_message;
        return -1;
    }
    return s_forward(self, route, kind, type, entity_id, command, command_id,
                     payload, payload_size, owner, code, message);
}

/* The owner frame of a relayed reply, NUL-terminated into buffer, when
 * the reply has one more frame than expected; else NULL. */
static const char *s_owner_frame(const shoal_frame_t *frames, size_t count,
                                 size_t expected, char *buffer, size_t size)
{
    if (count != expected + 1 || frames[expected].size >= size)
        return NULL;
    memcpy(buffer, frames[expected].data, frames[expected].size);
    buffer[frames[expected].size] = '\0';
    return buffer;
}

/* Turns an owner's reply to a forward (frames from SHOAL/1 on) back into
 * the answer for the original route. code and owner are buffers the
 * answer may point into. */
static shoal_answer_t s_relayed_answer(const shoal_frame_t *frames,
                                       size_t count, char code[32], char *owner,
                                       size_t owner_size)
{
    shoal_answer_t answer = {.kind = SHOAL_ANSWER_ERROR,
                             .error_code = "internal",
                             .body = "malformed forward reply",
                             .body_size = 23};
    uint64_t first = 0, number = 0;
    bool outcome = shoal_frame_is(&frames[2], "ACCEPTED") ||
                   shoal_frame_is(&frames[2], "REJECTED");
    if (outcome && (count == 6 || count == 7) &&
        shoal_frame_decimal(&frames[3], &first) == 0 &&
        shoal_frame_decimal(&frames[4], &number) == 0)
        return (shoal_answer_t){
            .kind = shoal_frame_is(&frames[2], "ACCEPTED")
                        ? SHOAL_ANSWER_ACCEPTED
                        : SHOAL_ANSWER_REJECTED,
            .first_seq = first,
            .event_count = number,
            .body = frames[5].data,
            .body_size = frames[5].size,
            .owner = s_owner_frame(frames, count, 6, owner, owner_size)};
    if (shoal_frame_is(&frames[2], "QUERY") && count == 5 &&
        shoal_frame_decimal(&frames[3], &first) == 0)
        return (shoal_answer_t){.kind = SHOAL_ANSWER_QUERY,
                                .first_seq = first,
                                .body = frames[4].data,
                                .body_size = frames[4].size};
    if (shoal_frame_is(&frames[2], "ERROR") && (count == 5 || count == 6) &&
        frames[3].size < 32) {
        memcpy(code, frames[3].data, frames[3].size);
        code[frames[3].size] = '\0';
        return (shoal_answer_t){
            .kind = SHOAL_ANSWER_ERROR,
            .error_code = code,
            .body = frames[4].data,
            .body_size = frames[4].size,
            .owner = s_owner_frame(frames, count, 5, owner, owner_size)};
    }
    return answer;
}

/* Takes the replies of owners to forwarded requests. */
void shoal__node_take_forward_replies(shoal_node_t *self)
{
    shoal_message_t message;
    for (int i = 0; i < 10000; i++) {
        if (shoal_message_receive(&message, zsock_resolve(self->forward),
                                  ZMQ_DONTWAIT) < 0)
            return;
        /* [name] SHOAL/1 FWDID STATUS ... */
        const shoal_frame_t *frames = message.frames + 1;
        size_t count = message.count - 1;
        uint64_t id;
        if (message.count >= 4 && frames[1].size == sizeof id) {
            memcpy(&id, frames[1].data, sizeof id);
            s_slot_t *slot = &self->forwards[id % S_FORWARDS_MAX];
            shoal_route_t route;
            if (id >= self->forward_head && id < self->forward_next &&
                slot->live &&
                shoal_route_decode(slot->route, slot->route_size, &route) ==
                    0) {
                char code[32];
                char owner[SHOAL_OWNER_TEXT_MAX + 1];
                shoal_answer_t answer =
                    s_relayed_answer(frames, count, code, owner, sizeof owner);
                shoal__node_reply(self, &route, &answer);
                slot->live = false;
            }
        }
        shoal_message_close(&message);
    }
}

/* Serves a request another member forwarded: checks the epoch and the
 * ownership, then runs it here, answering on the peer port. */
static void s_serve_forward(shoal_node_t *self, const shoal_frame_t *frames,
                            size_t count, shoal_route_t *route)
{
    /* frames: EPOCH SHOAL/1 FWDID (SEND ...|QUERY TYPE ID) */
    uint64_t epoch = 0;
    if (count < 4 || shoal_frame_decimal(&frames[0], &epoch) < 0)
        return; /* cannot be answered: no request id */
    route->request_id = frames[2].data;
    route->request_id_size = frames[2].size > SHOAL_REQUEST_ID_MAX
                                 ? SHOAL_REQUEST_ID_MAX
                                 : frames[2].size;
    shoal_client_request_t request;
    const char *code = "malformed";
    char text[256] = "a forwarded request needs SEND or QUERY";
    bool query = count == 6 && shoal_frame_is(&frames[3], "QUERY");
    if (query) {
        memset(&request, 0, sizeof request);
        if (frames[4].size == 0 || frames[4].size > SHOAL_TYPE_NAME_MAX ||
            frames[5].size == 0 || frames[5].size > SHOAL_ENTITY_ID_MAX) {
            shoal__node_reply_error(self, route, code, text);
            return;
        }
        memcpy(request.type, frames[4].data, frames[4].size);
        memcpy(request.entity_id, frames[5].data, frames[5].size);
        if (!shoal_entity_id_is_valid(request.entity_id)) {
            shoal__node_reply_error(self, route, code, "bad entity id");
            return;
        }
    } else if (shoal_protocol_parse_client(
                   frames + 1, count - 1, self->config->max_payload, &request,
                   route, &code, text, sizeof text) < 0 ||
               request.is_events || request.is_ping) {
        shoal__node_reply_error(self, route, code, text);
        return;
    }
    route->owner = request.want_owner;
    const shoal_type_t *type = shoal_plugins_find(self->plugins, request.type);
    shoal_cluster_view_t *view = self->view;
    uint32_t shard =
        view ? shoal_shard_of(request.type, request.entity_id, view->shards)
             : 0;
    if (!type) {
        shoal__node_reply_error(self, route, "unknown_type",
                                "no loaded plugin declares that type");
    } else if (!view || !view->serving || epoch > view->epoch) {
        shoal__node_reply_error(self, route, "unavailable",
                                "the owner's view is behind; retry");
    } else if (view->owners[shard] == SHOAL_CLUSTER_NO_OWNER ||
               !view->members[view->owners[shard]].is_local) {
        self->forwards_refused++;
        snprintf(text, sizeof text,
                 "node %s does not own shard %u at epoch %" PRIu64,
                 self->config->node_name, shard, view->epoch);
        shoal__node_reply_error(self, route, "unavailable", text);
    } else {
        const char *error_code, *message;
        if (shoal__node_enqueue_local(
                self, route,
                query ? SHOAL_REQUEST_QUERY : SHOAL_REQUEST_COMMAND, type,
                request.entity_id, query ? NULL : request.command,
                query ? NULL : request.command_id, request.payload,
                request.payload_size, &error_code, &message) < 0)
            shoal__node_reply_error(self, route, error_code, message);
    }
}

void shoal__node_handle_peer(shoal_node_t *self, shoal_message_t *message)
{
    shoal_route_t route = {.kind = SHOAL_ROUTE_PEER};
    size_t body;
    if (message->truncated ||
        shoal_protocol_open_envelope(message->frames, message->count, &route,
                                     &body) < 0)
        return;
    const shoal_frame_t *frames = message->frames + body;
    size_t count = message->count - body;
    if (count >= 1 && shoal_frame_is(&frames[0], S_FORWARD_VERSION)) {
        s_serve_forward(self, frames + 1, count - 1, &route);
        return;
    }
    static const char *const kinds[] = {
        "GOSSIP",    "JOIN",      "REFUSE",     "SLICE",
        "SLICE-ACK", "SLICE-END", "SLICE-DONE", "HANDOFF-DONE",
    };
    bool known = false;
    for (size_t i = 0; count >= 3 && i < sizeof kinds / sizeof kinds[0]; i++)
        known = known || shoal_frame_is(&frames[1], kinds[i]);
    if ((count == 3 || count == 4) &&
        shoal_frame_is(&frames[0], SHOAL_PEER_VERSION) && known) {
        /* Blocking: a slice's chunk must not be dropped on a full queue. */
        shoal_frames_send(zsock_resolve(self->cluster_inbox), frames + 1,
                          count - 1, 0);
        return;
    }
    shoal_log(SHOAL_LOG_DEBUG,
              "peer port: dropped a message of %zu frames "
              "that is neither peer nor forward protocol",
              count);
}
