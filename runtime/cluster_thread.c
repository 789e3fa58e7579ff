/*
 * runtime/cluster_thread.c - the cluster thread (see cluster_thread.h).
 */
#include "runtime/cluster_internal.h"
#include "cluster/membership.h"
#include "runtime/cluster_view.h"
#include "runtime/log.h"
#include "runtime/pipes.h"
#include "runtime/security.h"

#include <pthread.h>

/* Connects the outbound ROUTER to endpoint, once, addressing it by the
 * endpoint itself. */
static void s_connect(s_cluster_t *self, const char *endpoint)
{
    if (!*endpoint || zhashx_lookup(self->connected, endpoint))
        return;
    zmq_setsockopt(zsock_resolve(self->out), ZMQ_CONNECT_ROUTING_ID, endpoint,
                   strlen(endpoint));
    if (zsock_connect(self->out, "%s", endpoint) == 0)
        zhashx_insert(self->connected, endpoint, (void *)1);
    else
        shoal_log(SHOAL_LOG_WARN, "cluster: cannot connect to %s: %s", endpoint,
                  zmq_strerror(zmq_errno()));
}

void shoal__cluster_send(s_cluster_t *self, const char *endpoint,
                         const char *kind, const char *text, const void *blob,
                         size_t blob_size)
{
    s_connect(self, endpoint);
    zmsg_t *message = zmsg_new();
    zmsg_addstr(message, endpoint);
    zmsg_addstr(message, SHOAL_PEER_VERSION);
    zmsg_addstr(message, kind);
    zmsg_addstr(message, text);
    if (blob)
        zmsg_addmem(message, blob, blob_size);
    if (zmsg_send(&message, self->out) < 0)
        zmsg_destroy(&message);
}

/* Sends [SHOAL-PEER/1][kind][text] to the peer at endpoint. Peers not
 * connected yet miss it; the next heartbeat sends again. */
static void s_send(s_cluster_t *self, const char *endpoint, const char *kind,
                   const char *text)
{
    shoal__cluster_send(self, endpoint, kind, text, NULL, 0);
}

/* Hands the main thread a view that says it must stop. */
static void s_publish_fatal(s_cluster_t *self, const char *reason)
{
    shoal_log(SHOAL_LOG_ERROR, "cluster: %s", reason);
    shoal_cluster_view_t *view = shoal_cluster_view_fatal(reason);
    if (view &&
        shoal_pipe_send(self->views, SHOAL_PIPE_CLUSTER_VIEW, view, 0) < 0)
        shoal_cluster_view_destroy(&view);
    self->fatal = true;
}

/* Logs the members whose state changed since the last call. */
static void s_log_changes(s_cluster_t *self)
{
    for (size_t i = 0; i < shoal_membership_member_count(self->membership);
         i++) {
        const shoal_member_t *member =
            shoal_membership_member(self->membership, i);
        uintptr_t known = (uintptr_t)zhashx_lookup(self->states, member->name);
        if (known == (uintptr_t)member->state + 1)
            continue;
        zhashx_update(self->states, member->name,
                      (void *)((uintptr_t)member->state + 1));
        shoal_log(SHOAL_LOG_INFO, "cluster: member %s (%s) is %s", member->name,
                  member->peer_endpoint,
                  shoal_member_state_name(member->state));
    }
}

/* Hands the main thread a new view when routing would change, or a
 * second has passed (for the status figures). */
static void s_publish(s_cluster_t *self, bool force)
{
    if (self->fatal)
        return;
    int64_t now = zclock_mono();
    shoal_cluster_view_t *view =
        shoal_cluster_view_build(self->membership, now);
    if (!view)
        return;
    static const char *const phases[] = {
        [S_OUT_IDLE] = "idle",           [S_OUT_FREEZING] = "freezing",
        [S_OUT_POLICIES] = "policies",   [S_OUT_STREAMING] = "streaming",
        [S_OUT_WAIT_DONE] = "importing", [S_OUT_WAIT_FLIP] = "publishing",
    };
    const s_out_t *out = &self->out_handoff;
    if (out->phase != S_OUT_IDLE) {
        view->handoff_shard = out->shard;
        snprintf(view->handoff_to, sizeof view->handoff_to, "%s", out->to);
        view->handoff_phase = phases[out->phase];
    }
    if (self->in_handoff.active)
        view->receiving_shard = self->in_handoff.shard;
    uint64_t fingerprint = shoal_cluster_view_fingerprint(view);
    if (!force && fingerprint == self->fingerprint &&
        now - self->published_at < 1000) {
        shoal_cluster_view_destroy(&view);
        return;
    }
    if (fingerprint != self->fingerprint) {
        size_t available = 0;
        for (size_t i = 0; i < view->member_count; i++)
            available += view->members[i].available;
        shoal_log(SHOAL_LOG_INFO,
                  "cluster: epoch %llu, %s, %zu of %zu members available",
                  (unsigned long long)view->epoch,
                  view->serving ? "serving" : view->why, available,
                  view->member_count);
    }
    self->fingerprint = fingerprint;
    self->published_at = now;
    if (shoal_pipe_send(self->views, SHOAL_PIPE_CLUSTER_VIEW, view, 0) < 0)
        shoal_cluster_view_destroy(&view);
}

/* Handles a join request from a peer: accepts it and answers with this
 * node's gossip, or refuses it with the reason. */
static void s_on_join(s_cluster_t *self, const char *text, size_t size)
{
    shoal_join_request_t request;
    char reason[512];
    if (shoal_join_request_decode(text, size, &request, reason, sizeof reason) <
        0) {
        shoal_log(SHOAL_LOG_WARN, "cluster: malformed join request: %s",
                  reason);
        return;
    }
    if (shoal_membership_accept_join(self->membership, &request, zclock_mono(),
                                     reason, sizeof reason) < 0) {
        shoal_log(SHOAL_LOG_WARN, "cluster: refused the join of %s (%s): %s",
                  request.member.name, request.member.peer_endpoint, reason);
        s_send(self, request.member.peer_endpoint, "REFUSE", reason);
    } else {
        char *gossip =
            shoal_membership_encode_gossip(self->membership, zclock_mono());
        if (gossip)
            s_send(self, request.member.peer_endpoint, "GOSSIP", gossip);
        free(gossip);
    }
    shoal_join_request_clear(&request);
}

/* Takes the messages the main thread passed on. */
static void s_take_inbox(s_cluster_t *self)
{
    for (int i = 0; i < 1000; i++) {
        zmsg_t *message = zmsg_recv_nowait(self->inbox);
        if (!message)
            return;
        char *kind = zmsg_popstr(message);
        zframe_t *body = zmsg_pop(message);
        zframe_t *blob = zmsg_pop(message);
        if (kind && body &&
            shoal__cluster_handoff_message(self, kind, body, blob)) {
            /* a handoff message: taken */
        } else if (kind && body) {
            const char *text = (const char *)zframe_data(body);
            size_t size = zframe_size(body);
            char error[512];
            if (streq(kind, "GOSSIP")) {
                if (shoal_membership_merge_gossip(self->membership, text, size,
                                                  zclock_mono(), error,
                                                  sizeof error) < 0)
                    shoal_log(SHOAL_LOG_WARN, "cluster: gossip refused: %s",
                              error);
            } else if (streq(kind, "JOIN")) {
                s_on_join(self, text, size);
            } else if (streq(kind, "REFUSE")) {
                char reason[600];
                snprintf(reason, sizeof reason,
                         "a seed refused this node's join: %.*s",
                         (int)(size > 500 ? 500 : size), text);
                s_publish_fatal(self, reason);
            }
        }
        zstr_free(&kind);
        zframe_destroy(&body);
        zframe_destroy(&blob);
        zmsg_destroy(&message);
    }
}

/* One heartbeat: join through the seeds while joining, tick, gossip. */
static void s_heartbeat(s_cluster_t *self)
{
    shoal_membership_t *m = self->membership;
    const shoal_member_t *local = shoal_membership_local(m);
    if (local->state == SHOAL_MEMBER_JOINING) {
        char *join = shoal_membership_encode_join(m);
        for (size_t i = 0; join && i < shoal_membership_seed_count(m); i++)
            s_send(self, shoal_membership_seed(m, i), "JOIN", join);
        free(join);
    }
    shoal_membership_tick(m, zclock_mono());
    shoal__cluster_handoff_tick(self);
    char *gossip = shoal_membership_encode_gossip(m, zclock_mono());
    /* Removed members too: one that has just left learns it from this
     * and stops. */
    for (size_t i = 1; gossip && i < shoal_membership_member_count(m); i++)
        s_send(self, shoal_membership_member(m, i)->peer_endpoint, "GOSSIP",
               gossip);
    free(gossip);
    if (shoal_membership_superseded(m)) {
        s_publish_fatal(self, "a newer incarnation of this node has joined "
                              "the cluster; this one stops");
    }
    s_log_changes(self);
}

/* Creates the membership and the sockets. */
static void s_setup(s_cluster_t *self)
{
    const shoal_config_t *config = self->args->config;
    shoal_membership_settings_t settings = {
        .cluster_name = config->cluster_name,
        .shards = (uint32_t)config->shards,
        .heartbeat_ms = (int64_t)config->heartbeat_ms,
        .suspect_after_ms = (int64_t)config->suspect_after_ms,
        .down_after_ms = (int64_t)config->down_after_ms,
        .max_moves = 0,
        .hold_owned = true, /* an owned shard moves only by a completed
                               handoff, with its journal */
        .min_members = (uint32_t)config->cluster_min_members,
        .protocol_version = "SHOAL/1",
        .plugin_types = self->args->types,
        .plugin_type_count = self->args->type_count,
        .seeds = (const char *const *)config->seeds,
        .seed_count = config->seed_count,
    };
    self->membership = shoal_membership_new(&self->args->local, &settings);
    assert(self->membership);
    char endpoint[128];
    shoal_pipe_endpoint(endpoint, sizeof endpoint, self->args->node, "cluster",
                        -1);
    self->inbox = zsock_new(ZMQ_PULL);
    zsock_set_rcvhwm(self->inbox, 10000);
    zsock_bind(self->inbox, "%s", endpoint);
    shoal_pipe_endpoint(endpoint, sizeof endpoint, self->args->node,
                        "cluster-views", -1);
    self->views = zsock_new(ZMQ_PUSH);
    zsock_set_sndhwm(self->views, 0);
    zsock_connect(self->views, "%s", endpoint);
    self->out = zsock_new(ZMQ_ROUTER);
    zsock_set_router_mandatory(self->out, 1);
    if (shoal_security_cluster_client(self->args->security, self->out) < 0)
        shoal_log(SHOAL_LOG_ERROR, "cluster: cannot use the cluster key: %s",
                  zmq_strerror(zmq_errno()));
    zsock_set_linger(self->out, 0);
    zsock_set_sndhwm(self->out, 1000);
    char identity[SHOAL_MEMBER_NAME_MAX + 8];
    snprintf(identity, sizeof identity, "%s#c", self->args->local.name);
    zmq_setsockopt(zsock_resolve(self->out), ZMQ_ROUTING_ID, identity,
                   strlen(identity));
    self->connected = zhashx_new();
    self->states = zhashx_new();
    assert(self->connected && self->states);
    self->in_handoff.done_shard = -1;
    char *error = NULL;
    self->journal = shoal_journal_open(self->args->journal_path,
                                       config->durability, false, &error);
    if (!self->journal) {
        shoal_log(SHOAL_LOG_ERROR,
                  "cluster: cannot open the journal for handoffs: %s",
                  error ? error : "out of memory");
        free(error);
    }
}

void shoal_cluster_actor(zsock_t *pipe, void *raw_args)
{
    s_cluster_t self = {.args = raw_args};
    pthread_setname_np(pthread_self(), "shoal-cluster");
    s_setup(&self);
    zsock_signal(pipe, 0);
    int64_t heartbeat = (int64_t)self.args->config->heartbeat_ms;
    int64_t next_beat = zclock_mono();
    zmq_pollitem_t items[] = {
        {zsock_resolve(pipe), 0, ZMQ_POLLIN, 0},
        {zsock_resolve(self.inbox), 0, ZMQ_POLLIN, 0},
    };
    while (true) {
        int64_t wait = next_beat - zclock_mono();
        if (zmq_poll(items, 2, wait < 0 ? 0 : wait) < 0 && errno != EINTR)
            break;
        if (items[0].revents & ZMQ_POLLIN) {
            char *command = zstr_recv(pipe);
            bool terminate = !command || streq(command, "$TERM");
            if (command && streq(command, "LEAVE"))
                shoal_membership_leave(self.membership);
            zstr_free(&command);
            if (terminate)
                break;
        }
        if (items[1].revents & ZMQ_POLLIN)
            s_take_inbox(&self);
        if (zclock_mono() >= next_beat) {
            s_heartbeat(&self);
            next_beat += heartbeat;
            if (next_beat < zclock_mono())
                next_beat = zclock_mono() + heartbeat;
        }
        s_publish(&self, false);
    }
    shoal__cluster_handoff_close(&self);
    shoal_journal_close(&self.journal);
    zhashx_destroy(&self.states);
    zhashx_destroy(&self.connected);
    zsock_destroy(&self.out);
    zsock_destroy(&self.views);
    zsock_destroy(&self.inbox);
    shoal_membership_destroy(&self.membership);
}
