/*
 * runtime/cluster_view.c - building the main thread's cluster view (see
 * cluster_view.h).
 */
#include "runtime/cluster_view.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Renders the "cluster" object of the status document. */
static char *s_status_json(const shoal_membership_t *m,
                           const shoal_cluster_view_t *view, int64_t now_ms)
{
    const shoal_member_t *coordinator = shoal_membership_coordinator(m, now_ms);
    json_t *members = json_array();
    for (size_t i = 0; i < shoal_membership_member_count(m); i++) {
        const shoal_member_t *member = shoal_membership_member(m, i);
        json_t *entry = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:I}", "name",
            member->name, "state", shoal_member_state_name(member->state),
            "peer", member->peer_endpoint, "client", member->client_endpoint,
            "status", member->status_endpoint, "reachable",
            shoal_membership_is_reachable(m, member, now_ms), "incarnation",
            (json_int_t)member->incarnation, "shards",
            (json_int_t)shoal_shard_table_owned_by(shoal_membership_table(m),
                                                   member->name),
            "up_since", (json_int_t)member->up_since);
        if (i > 0 && member->heard)
            json_object_set_new(
                entry, "last_heard_ms_ago",
                json_integer((json_int_t)(now_ms - member->last_heard_ms)));
        json_array_append_new(members, entry);
    }
    json_t *owners = json_array();
    const shoal_shard_table_t *table = shoal_membership_table(m);
    for (uint32_t shard = 0; shard < view->shards; shard++) {
        const char *owner = shoal_shard_table_owner(table, shard);
        json_array_append_new(owners, owner ? json_string(owner) : json_null());
    }
    json_t *object = json_pack(
        "{s:s, s:I, s:s?, s:b, s:b, s:s?, s:o, s:o}", "local",
        shoal_membership_local(m)->name, "epoch", (json_int_t)view->epoch,
        "coordinator", coordinator ? coordinator->name : NULL, "quorum",
        shoal_membership_has_quorum(m, now_ms), "serving", view->serving,
        "why_not_serving", view->serving ? NULL : view->why, "members", members,
        "shards", owners);
    char *text = json_dumps(object, JSON_COMPACT);
    json_decref(object);
    return text;
}

shoal_cluster_view_t *shoal_cluster_view_build(const shoal_membership_t *m,
                                               int64_t now_ms)
{
    shoal_cluster_view_t *view = calloc(1, sizeof *view);
    if (!view)
        return NULL;
    view->epoch = shoal_membership_epoch(m);
    view->handoff_shard = -1;
    view->receiving_shard = -1;
    view->shards = shoal_membership_shards(m);
    view->member_count = shoal_membership_member_count(m);
    view->members = calloc(view->member_count, sizeof *view->members);
    view->owners = calloc(view->shards, sizeof *view->owners);
    if (!view->members || !view->owners) {
        shoal_cluster_view_destroy(&view);
        return NULL;
    }
    for (size_t i = 0; i < view->member_count; i++) {
        const shoal_member_t *member = shoal_membership_member(m, i);
        shoal_cluster_member_view_t *out = &view->members[i];
        snprintf(out->name, sizeof out->name, "%s", member->name);
        snprintf(out->peer_endpoint, sizeof out->peer_endpoint, "%s",
                 member->peer_endpoint);
        snprintf(out->client_endpoint, sizeof out->client_endpoint, "%s",
                 member->client_endpoint);
        out->is_local = i == 0;
        out->state = member->state;
        out->available = (member->state == SHOAL_MEMBER_UP ||
                          member->state == SHOAL_MEMBER_LEAVING) &&
                         shoal_membership_is_reachable(m, member, now_ms);
    }
    const shoal_shard_table_t *table = shoal_membership_table(m);
    for (uint32_t shard = 0; shard < view->shards; shard++) {
        const char *owner = shoal_shard_table_owner(table, shard);
        view->owners[shard] = SHOAL_CLUSTER_NO_OWNER;
        for (size_t i = 0; owner && i < view->member_count; i++)
            if (strcmp(view->members[i].name, owner) == 0)
                view->owners[shard] = (uint16_t)i;
    }
    const shoal_member_t *local = shoal_membership_local(m);
    view->removed = local->state == SHOAL_MEMBER_REMOVED;
    /* Up and heard from: a member stopped together with this one, whom no
     * coordinator is left to mark down, is no one to hand shards to. */
    for (size_t i = 1; i < shoal_membership_member_count(m); i++) {
        const shoal_member_t *other = shoal_membership_member(m, i);
        view->others_up += other->state == SHOAL_MEMBER_UP &&
                           shoal_membership_is_reachable(m, other, now_ms);
    }
    bool member =
        local->state == SHOAL_MEMBER_UP || local->state == SHOAL_MEMBER_LEAVING;
    bool quorum = shoal_membership_has_quorum(m, now_ms);
    view->serving = member && quorum && view->epoch > 0;
    snprintf(view->why, sizeof view->why, "%s",
             !member   ? "this node is not (yet) an up member of its cluster"
             : !quorum ? "this node cannot reach a majority of its cluster"
                       : "the cluster has no shard table yet");
    view->status_json = s_status_json(m, view, now_ms);
    return view;
}

shoal_cluster_view_t *shoal_cluster_view_fatal(const char *reason)
{
    shoal_cluster_view_t *view = calloc(1, sizeof *view);
    if (view)
        view->fatal = strdup(reason);
    return view;
}

void shoal_cluster_view_destroy(shoal_cluster_view_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_cluster_view_t *self = *self_p;
    free(self->members);
    free(self->owners);
    free(self->status_json);
    free(self->fatal);
    free(self);
    *self_p = NULL;
}

uint64_t shoal_cluster_view_fingerprint(const shoal_cluster_view_t *self)
{
    uint64_t hash = 0xcbf29ce484222325ULL;
#define S_MIX(value)                                                           \
    do {                                                                       \
        hash ^= (uint64_t)(value);                                             \
        hash *= 0x100000001b3ULL;                                              \
    } while (0)
    S_MIX(self->epoch);
    S_MIX(self->serving);
    S_MIX(self->member_count);
    for (size_t i = 0; i < self->member_count; i++) {
        S_MIX(self->members[i].available);
        S_MIX(self->members[i].state);
        for (const char *at = self->members[i].name; *at; at++)
            S_MIX(*at);
    }
#undef S_MIX
    return hash;
}
