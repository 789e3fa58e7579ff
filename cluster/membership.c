/*
 * cluster/membership.c - one node's view of its cluster: creation, the
 * join handshake, gossip, and the queries (see membership.h). The
 * coordinator's work (tick, target table) is in coordinator.c.
 *
 * The view is an array of member records, this node's first. It is small
 * (at most SHOAL_GOSSIP_MAX_MEMBERS), so lookups by name are linear.
 */
#include "cluster/membership_internal.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes a reason into reason (when there is room) and returns -1. */
static int s_refuse(char *reason, size_t reason_size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static int s_refuse(char *reason, size_t reason_size, const char *format, ...)
{
    if (reason && reason_size) {
        va_list args;
        va_start(args, format);
        vsnprintf(reason, reason_size, format, args);
        va_end(args);
    }
    return -1;
}

/* Returns whether text is 1..max bytes of printable ASCII. */
static bool s_printable(const char *text, size_t max)
{
    size_t length = strlen(text);
    if (length < 1 || length > max)
        return false;
    for (; *text; text++)
        if (*text < 0x20 || *text > 0x7e)
            return false;
    return true;
}

/* Asserts what shoal_membership_new requires of its arguments. */
static void s_assert_valid(const shoal_member_t *local,
                           const shoal_membership_settings_t *settings)
{
    assert(shoal_member_name_is_valid(local->name));
    assert(local->incarnation <= SHOAL_MEMBER_NUMBER_MAX);
    assert(settings->shards >= 1 &&
           settings->shards <= SHOAL_SHARD_TABLE_MAX_SHARDS);
    assert(settings->heartbeat_ms > 0);
    assert(settings->suspect_after_ms > settings->heartbeat_ms);
    assert(settings->down_after_ms >= settings->suspect_after_ms);
    assert(settings->cluster_name &&
           shoal_member_name_is_valid(settings->cluster_name));
    assert(settings->protocol_version &&
           s_printable(settings->protocol_version, SHOAL_GOSSIP_PROTOCOL_MAX));
    for (size_t i = 0; i < settings->plugin_type_count; i++)
        assert(shoal_gossip_type_is_valid(settings->plugin_types[i]));
    for (size_t i = 0; i < settings->seed_count; i++)
        assert(strlen(settings->seeds[i]) <= SHOAL_MEMBER_ENDPOINT_MAX);
    (void)local;
    (void)settings;
}

/* Copies the seeds of settings into self. Returns 0 or -1 (out of
 * memory). */
static int s_copy_seeds(shoal_membership_t *self,
                        const shoal_membership_settings_t *settings)
{
    if (!settings->seed_count)
        return 0;
    self->seeds = calloc(settings->seed_count, sizeof *self->seeds);
    if (!self->seeds)
        return -1;
    self->seed_count = settings->seed_count;
    for (size_t i = 0; i < settings->seed_count; i++)
        if (!(self->seeds[i] = strdup(settings->seeds[i])))
            return -1;
    return 0;
}

shoal_membership_t *
shoal_membership_new(const shoal_member_t *local,
                     const shoal_membership_settings_t *settings)
{
    s_assert_valid(local, settings);
    shoal_membership_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->shards = settings->shards;
    self->heartbeat_ms = settings->heartbeat_ms;
    self->suspect_after_ms = settings->suspect_after_ms;
    self->down_after_ms = settings->down_after_ms;
    self->max_moves = settings->max_moves;
    self->hold_owned = settings->hold_owned;
    self->min_members = settings->min_members;
    strcpy(self->protocol_version, settings->protocol_version);
    strcpy(self->cluster_name, settings->cluster_name);
    self->plugin_types = shoal_gossip_types_canonical(
        settings->plugin_types, settings->plugin_type_count);
    self->members = calloc(1, sizeof *self->members);
    self->member_capacity = 1;
    self->table = shoal_shard_table_new(settings->shards);
    if (!self->plugin_types || !self->members || !self->table ||
        s_copy_seeds(self, settings)) {
        shoal_membership_destroy(&self);
        return NULL;
    }
    shoal_member_t *record = &self->members[0];
    shoal_member_copy_record(record, local);
    bool founder = settings->seed_count == 0;
    record->state = founder ? SHOAL_MEMBER_UP : SHOAL_MEMBER_JOINING;
    record->up_since = founder ? 1 : 0;
    record->version = 1;
    record->heard = true;
    self->member_count = 1;
    return self;
}

void shoal_membership_destroy(shoal_membership_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_membership_t *self = *self_p;
    for (size_t i = 0; i < self->seed_count; i++)
        free(self->seeds[i]);
    free(self->seeds);
    free(self->plugin_types);
    free(self->members);
    shoal_shard_table_destroy(&self->table);
    free(self);
    *self_p = NULL;
}

shoal_member_t *shoal__membership_find(const shoal_membership_t *self,
                                       const char *name)
{
    for (size_t i = 0; i < self->member_count; i++)
        if (strcmp(self->members[i].name, name) == 0)
            return &self->members[i];
    return NULL;
}

/* Makes room for extra more records. Returns 0, or -1 when out of memory
 * (the view is unchanged). */
static int s_reserve(shoal_membership_t *self, size_t extra)
{
    size_t needed = self->member_count + extra;
    if (needed <= self->member_capacity)
        return 0;
    size_t capacity = 2 * self->member_capacity;
    if (capacity < needed)
        capacity = needed;
    shoal_member_t *members =
        realloc(self->members, capacity * sizeof *members);
    if (!members)
        return -1;
    self->members = members;
    self->member_capacity = capacity;
    return 0;
}

/* Appends a record learned at now_ms, not heard yet (room reserved). */
static shoal_member_t *s_append(shoal_membership_t *self,
                                const shoal_member_t *record, int64_t now_ms)
{
    assert(self->member_count < self->member_capacity);
    shoal_member_t *member = &self->members[self->member_count++];
    memset(member, 0, sizeof *member);
    shoal_member_copy_record(member, record);
    member->learned_ms = now_ms;
    return member;
}

char *shoal_membership_encode_join(const shoal_membership_t *self)
{
    shoal_join_request_t request = {0};
    request.member = self->members[0];
    strcpy(request.cluster, self->cluster_name);
    request.shards = self->shards;
    strcpy(request.protocol_version, self->protocol_version);
    request.plugin_types = self->plugin_types;
    return shoal_join_request_encode(&request);
}

/* Refuses a request whose name collides with an existing record. */
static int s_check_name(const shoal_membership_t *self,
                        const shoal_join_request_t *request, char *reason,
                        size_t reason_size)
{
    const shoal_member_t *joiner = &request->member;
    const shoal_member_t *local = &self->members[0];
    if (strcmp(joiner->name, local->name) == 0)
        return s_refuse(reason, reason_size,
                        "name taken: '%s' is the name of the node asked "
                        "(incarnation %llu at %s); the joiner has "
                        "incarnation %llu at %s",
                        local->name, (unsigned long long)local->incarnation,
                        local->peer_endpoint,
                        (unsigned long long)joiner->incarnation,
                        joiner->peer_endpoint);
    const shoal_member_t *known = shoal__membership_find(self, joiner->name);
    if (!known || joiner->incarnation > known->incarnation)
        return 0;
    if (joiner->incarnation < known->incarnation)
        return s_refuse(reason, reason_size,
                        "stale incarnation: the cluster knows '%s' with "
                        "incarnation %llu, the joiner has %llu",
                        joiner->name, (unsigned long long)known->incarnation,
                        (unsigned long long)joiner->incarnation);
    if (known->state == SHOAL_MEMBER_REMOVED)
        return s_refuse(reason, reason_size,
                        "'%s' with incarnation %llu left the cluster; a "
                        "restarted node (a higher incarnation) may rejoin",
                        joiner->name, (unsigned long long)joiner->incarnation);
    if (strcmp(known->peer_endpoint, joiner->peer_endpoint) ||
        strcmp(known->client_endpoint, joiner->client_endpoint) ||
        strcmp(known->status_endpoint, joiner->status_endpoint))
        return s_refuse(reason, reason_size,
                        "name taken: a %s member '%s' with incarnation %llu "
                        "is in the cluster at %s; the joiner has the same "
                        "incarnation at %s",
                        shoal_member_state_name(known->state), known->name,
                        (unsigned long long)known->incarnation,
                        known->peer_endpoint, joiner->peer_endpoint);
    return 0;
}

int shoal_membership_check_join(const shoal_membership_t *self,
                                const shoal_join_request_t *request,
                                char *reason, size_t reason_size)
{
    const shoal_member_t *local = &self->members[0];
    const char *joiner = request->member.name;
    if (local->state != SHOAL_MEMBER_UP)
        return s_refuse(reason, reason_size,
                        "node '%s' is %s, not up: it cannot admit '%s'; try "
                        "another seed",
                        local->name, shoal_member_state_name(local->state),
                        joiner);
    if (strcmp(request->cluster, self->cluster_name))
        return s_refuse(reason, reason_size,
                        "cluster name differs: this is cluster '%s', node "
                        "'%s' asks to join cluster '%s'",
                        self->cluster_name, joiner, request->cluster);
    if (request->shards != self->shards)
        return s_refuse(reason, reason_size,
                        "shard count differs: the cluster has %u shards, "
                        "node '%s' has %u",
                        self->shards, joiner, request->shards);
    if (strcmp(request->protocol_version, self->protocol_version))
        return s_refuse(reason, reason_size,
                        "protocol version differs: the cluster speaks '%s', "
                        "node '%s' speaks '%s'",
                        self->protocol_version, joiner,
                        request->protocol_version);
    if (strcmp(request->plugin_types, self->plugin_types))
        return s_refuse(reason, reason_size,
                        "plugin types differ: the cluster has [%s], node "
                        "'%s' has [%s]",
                        self->plugin_types, joiner, request->plugin_types);
    if (s_check_name(self, request, reason, reason_size))
        return -1;
    if (!shoal__membership_find(self, joiner) &&
        self->member_count >= SHOAL_GOSSIP_MAX_MEMBERS)
        return s_refuse(reason, reason_size,
                        "the cluster is full: %d members at most, removed "
                        "ones included; '%s' cannot join",
                        SHOAL_GOSSIP_MAX_MEMBERS, joiner);
    return 0;
}

int shoal_membership_accept_join(shoal_membership_t *self,
                                 const shoal_join_request_t *request,
                                 int64_t now_ms, char *reason,
                                 size_t reason_size)
{
    if (shoal_membership_check_join(self, request, reason, reason_size))
        return -1;
    if (s_reserve(self, 1))
        return s_refuse(reason, reason_size,
                        "node '%s' is out of memory; '%s' cannot join",
                        self->members[0].name, request->member.name);
    shoal_member_t *member = shoal__membership_find(self, request->member.name);
    if (!member || request->member.incarnation > member->incarnation) {
        shoal_member_t record = {0};
        shoal_member_copy_record(&record, &request->member);
        record.state = SHOAL_MEMBER_JOINING;
        record.version = 1;
        record.up_since = 0;
        if (member) {
            memset(member, 0, sizeof *member);
            shoal_member_copy_record(member, &record);
            member->learned_ms = now_ms;
        } else {
            member = s_append(self, &record, now_ms);
        }
    }
    member->heard = true;
    member->last_heard_ms = now_ms;
    return 0;
}

char *shoal_membership_encode_gossip(shoal_membership_t *self, int64_t now_ms)
{
    (void)now_ms;
    self->heartbeat++;
    const shoal_member_t *local = &self->members[0];
    return shoal_gossip_encode(self->cluster_name, local->name,
                               local->incarnation, self->heartbeat,
                               self->members, self->member_count, self->table);
}

/* Returns whether this node takes, from another, a newer record of itself
 * in state incoming while it is in state current: others may admit it
 * (joining -> up) and complete its leave (leaving -> removed), nothing
 * else. */
static bool s_self_accepts(shoal_member_state_t current,
                           shoal_member_state_t incoming)
{
    return incoming == current ||
           (current == SHOAL_MEMBER_JOINING && incoming == SHOAL_MEMBER_UP) ||
           (current == SHOAL_MEMBER_LEAVING &&
            incoming == SHOAL_MEMBER_REMOVED);
}

/* Merges a record of this node itself. */
static void s_merge_self(shoal_membership_t *self, const shoal_member_t *record)
{
    shoal_member_t *local = &self->members[0];
    if (local->state == SHOAL_MEMBER_REMOVED)
        return;
    if (record->incarnation > local->incarnation) {
        self->superseded = true;
        return;
    }
    if (record->incarnation < local->incarnation ||
        shoal_member_compare(record, local) <= 0)
        return;
    if (s_self_accepts(local->state, record->state)) {
        local->state = record->state;
        local->version = record->version;
        local->up_since = record->up_since;
    } else {
        /* Refute: this node is alive and chooses its own state. */
        local->version = record->version + 1;
    }
}

/* Merges a record of another member (room reserved for a new one). */
static void s_merge_other(shoal_membership_t *self,
                          const shoal_member_t *record, int64_t now_ms)
{
    shoal_member_t *member = shoal__membership_find(self, record->name);
    if (!member) {
        s_append(self, record, now_ms);
        return;
    }
    if (shoal_member_compare(record, member) <= 0)
        return;
    if (record->incarnation > member->incarnation) {
        /* A new process: nothing heard from the old one applies. */
        member->heard = false;
        member->heartbeat_seen = 0;
        member->learned_ms = now_ms;
    }
    shoal_member_copy_record(member, record);
}

/* Counts the members of gossip this view does not hold yet. */
static size_t s_count_new(const shoal_membership_t *self,
                          const shoal_gossip_t *gossip)
{
    size_t count = 0;
    for (size_t i = 0; i < gossip->member_count; i++)
        if (!shoal__membership_find(self, gossip->members[i].name))
            count++;
    return count;
}

/* Records that the sender of gossip was heard at now_ms, when its
 * heartbeat count is new for its incarnation. */
static void s_hear(shoal_membership_t *self, const shoal_gossip_t *gossip,
                   int64_t now_ms)
{
    shoal_member_t *sender = shoal__membership_find(self, gossip->from);
    if (!sender || sender->incarnation != gossip->incarnation)
        return;
    if (sender->heard && gossip->heartbeat <= sender->heartbeat_seen)
        return;
    sender->heard = true;
    sender->last_heard_ms = now_ms;
    sender->heartbeat_seen = gossip->heartbeat;
}

int shoal_membership_merge_gossip(shoal_membership_t *self, const char *text,
                                  size_t size, int64_t now_ms, char *error,
                                  size_t error_size)
{
    shoal_gossip_t gossip;
    if (shoal_gossip_decode(text, size, self->shards, &gossip, error,
                            error_size))
        return -1;
    int rc = -1;
    size_t extra = s_count_new(self, &gossip);
    if (strcmp(gossip.cluster, self->cluster_name))
        s_refuse(error, error_size,
                 "gossip from '%s' of cluster '%s', not of this cluster "
                 "'%s': ignored",
                 gossip.from, gossip.cluster, self->cluster_name);
    else if (strcmp(gossip.from, self->members[0].name) == 0)
        s_refuse(error, error_size,
                 "gossip from a node named like this one ('%s')", gossip.from);
    else if (self->member_count + extra > SHOAL_GOSSIP_MAX_MEMBERS)
        s_refuse(error, error_size,
                 "gossip from '%s' would make the view %zu members, over %d",
                 gossip.from, self->member_count + extra,
                 SHOAL_GOSSIP_MAX_MEMBERS);
    else if (s_reserve(self, extra))
        s_refuse(error, error_size, "gossip from '%s': out of memory",
                 gossip.from);
    else
        rc = 0;
    if (rc == 0) {
        for (size_t i = 0; i < gossip.member_count; i++) {
            const shoal_member_t *record = &gossip.members[i];
            if (strcmp(record->name, self->members[0].name) == 0)
                s_merge_self(self, record);
            else
                s_merge_other(self, record, now_ms);
        }
        if (shoal_shard_table_compare(gossip.table, self->table) > 0) {
            shoal_shard_table_t *older = self->table;
            self->table = gossip.table;
            gossip.table = older;
        }
        s_hear(self, &gossip, now_ms);
    }
    shoal_gossip_clear(&gossip);
    return rc;
}

void shoal_membership_leave(shoal_membership_t *self)
{
    shoal_member_t *local = &self->members[0];
    if (local->state == SHOAL_MEMBER_UP)
        local->state = SHOAL_MEMBER_LEAVING;
    else if (local->state == SHOAL_MEMBER_JOINING)
        local->state = SHOAL_MEMBER_REMOVED;
    else
        return;
    local->version++;
}

const shoal_member_t *shoal_membership_local(const shoal_membership_t *self)
{
    return &self->members[0];
}

bool shoal_membership_superseded(const shoal_membership_t *self)
{
    return self->superseded;
}

uint32_t shoal_membership_shards(const shoal_membership_t *self)
{
    return self->shards;
}

size_t shoal_membership_seed_count(const shoal_membership_t *self)
{
    return self->seed_count;
}

const char *shoal_membership_seed(const shoal_membership_t *self, size_t index)
{
    assert(index < self->seed_count);
    return self->seeds[index];
}

size_t shoal_membership_member_count(const shoal_membership_t *self)
{
    return self->member_count;
}

const shoal_member_t *shoal_membership_member(const shoal_membership_t *self,
                                              size_t index)
{
    assert(index < self->member_count);
    return &self->members[index];
}

const shoal_member_t *shoal_membership_find(const shoal_membership_t *self,
                                            const char *name)
{
    return shoal__membership_find(self, name);
}

bool shoal_membership_is_reachable(const shoal_membership_t *self,
                                   const shoal_member_t *member, int64_t now_ms)
{
    if (member == &self->members[0])
        return true;
    return member->heard &&
           now_ms - member->last_heard_ms < self->suspect_after_ms;
}

const shoal_member_t *
shoal_membership_coordinator(const shoal_membership_t *self, int64_t now_ms)
{
    const shoal_member_t *best = NULL;
    for (size_t i = 0; i < self->member_count; i++) {
        const shoal_member_t *member = &self->members[i];
        if (member->state != SHOAL_MEMBER_UP ||
            !shoal_membership_is_reachable(self, member, now_ms))
            continue;
        if (!best || member->up_since < best->up_since ||
            (member->up_since == best->up_since &&
             strcmp(member->name, best->name) < 0))
            best = member;
    }
    return best;
}

bool shoal_membership_is_coordinator(const shoal_membership_t *self,
                                     int64_t now_ms)
{
    return shoal_membership_coordinator(self, now_ms) == &self->members[0];
}

/* Returns whether a member in state votes for quorum. */
static bool s_votes(shoal_member_state_t state)
{
    return state == SHOAL_MEMBER_UP || state == SHOAL_MEMBER_LEAVING ||
           state == SHOAL_MEMBER_DOWN;
}

bool shoal_membership_has_quorum(const shoal_membership_t *self, int64_t now_ms)
{
    size_t voters = 0, reached = 0;
    for (size_t i = 0; i < self->member_count; i++) {
        const shoal_member_t *member = &self->members[i];
        if (!s_votes(member->state))
            continue;
        voters++;
        if (shoal_membership_is_reachable(self, member, now_ms))
            reached++;
    }
    return voters > 0 && 2 * reached > voters;
}

const shoal_shard_table_t *
shoal_membership_table(const shoal_membership_t *self)
{
    return self->table;
}

uint64_t shoal_membership_epoch(const shoal_membership_t *self)
{
    return shoal_shard_table_epoch(self->table);
}

int shoal_membership_shard_owner(const shoal_membership_t *self, uint32_t shard,
                                 int64_t now_ms, shoal_shard_owner_t *owner)
{
    memset(owner, 0, sizeof *owner);
    owner->name = shoal_shard_table_owner(self->table, shard);
    if (!owner->name)
        return -1;
    const shoal_member_t *member = shoal__membership_find(self, owner->name);
    owner->member = member;
    owner->is_local = member == &self->members[0];
    owner->available = member &&
                       (member->state == SHOAL_MEMBER_UP ||
                        member->state == SHOAL_MEMBER_LEAVING) &&
                       shoal_membership_is_reachable(self, member, now_ms);
    return 0;
}
