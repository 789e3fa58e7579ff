/*
 * runtime/cluster_handoff.c - moving shards to their new owners, one at a
 * time per node, without losing or doubling anything.
 *
 * The old owner drives it. Each heartbeat, when it hands nothing over, it
 * compares the table with the one the coordinator heads for (rendezvous
 * over the up members, leaving ones excluded) and picks a shard it owns
 * whose target is another available member. Then:
 *
 *   1. FREEZE: the main thread stops serving the shard (its requests wait)
 *      and its worker lets it go once nothing of it is in flight; the
 *      main thread answers FROZEN with the journal's last position.
 *   2. The policies pass that position, so that every event of the shard
 *      was handled here (the new owner's policies skip imported entries).
 *   3. The slice goes over in chunks (persistence/slice.h), each sent
 *      after the previous one is acknowledged:
 *        SHOAL-PEER/1 SLICE "SHARD INDEX FROM STREAM" CHUNK
 *        SHOAL-PEER/1 SLICE-ACK "SHARD INDEX STREAM ok|fail REASON"
 *        SHOAL-PEER/1 SLICE-END "SHARD FROM STREAM"
 *        SHOAL-PEER/1 SLICE-DONE "SHARD NAME STREAM" (the new owner, once its
 *                                                workers have the heads)
 *   4. HANDOFF-DONE "SHARD FROM TO" to the coordinator, which publishes the
 *      new owner at the next epoch; the old owner resends it each
 *      heartbeat until its view shows the new owner.
 *   5. The old owner's main thread sends what waited to the new owner, and
 *      this thread drops the slice from the old journal.
 *
 * Until step 4 the shard stays the old owner's: if the new owner goes
 * away, or a step takes longer than a minute, the handoff is abandoned
 * (THAW: the old owner serves the shard again) and tried later; the new
 * owner discards a partial import when the next one begins.
 */
#include "runtime/cluster_internal.h"
#include "runtime/handoff.h"
#include "runtime/log.h"
#include "runtime/pipes.h"

#include <inttypes.h>

/* How long a step of a handoff may take before it is abandoned. */
#define S_STEP_MS 60000

/* How long to wait after an abandoned handoff before the next. */
#define S_QUIET_MS 5000

/* How long before an unacknowledged message is sent again. */
#define S_RESEND_MS 2000

/* Hands a handoff message to the main thread. */
static void s_to_main(s_cluster_t *self, shoal_handoff_kind_t kind,
                      uint32_t shard)
{
    shoal_handoff_msg_t *message = shoal_handoff_msg_new(kind, shard);
    if (message &&
        shoal_pipe_send(self->views, SHOAL_PIPE_HANDOFF, message, 0) < 0)
        shoal_handoff_msg_destroy(&message);
}

/* The peer endpoint of member name, or NULL. */
static const char *s_endpoint_of(s_cluster_t *self, const char *name)
{
    const shoal_member_t *member =
        shoal_membership_find(self->membership, name);
    return member ? member->peer_endpoint : NULL;
}

/* True when member name is up or leaving and reachable from here. */
static bool s_available(s_cluster_t *self, const char *name)
{
    const shoal_member_t *member =
        shoal_membership_find(self->membership, name);
    return member &&
           (member->state == SHOAL_MEMBER_UP ||
            member->state == SHOAL_MEMBER_LEAVING) &&
           shoal_membership_is_reachable(self->membership, member,
                                         zclock_mono());
}

/* Gives up the handoff under way: the shard is served here again. */
static void s_abandon(s_cluster_t *self, const char *why)
{
    s_out_t *out = &self->out_handoff;
    shoal_log(SHOAL_LOG_WARN,
              "handoff: shard %u to %s abandoned (%s); it stays here",
              out->shard, out->to, why);
    s_to_main(self, SHOAL_HANDOFF_THAW, out->shard);
    shoal_slice_export_destroy(&out->export);
    free(out->chunk);
    out->chunk = NULL;
    out->phase = S_OUT_IDLE;
    out->quiet_until = zclock_mono() + S_QUIET_MS;
}

/* Sends the chunk waiting for its acknowledgement. */
static void s_send_chunk(s_cluster_t *self)
{
    s_out_t *out = &self->out_handoff;
    const char *endpoint = s_endpoint_of(self, out->to);
    if (!endpoint)
        return;
    char header[128];
    snprintf(header, sizeof header, "%u %u %s %" PRIu64, out->shard, out->index,
             shoal_membership_local(self->membership)->name, out->stream);
    shoal__cluster_send(self, endpoint, "SLICE", header, out->chunk,
                        out->chunk_size);
    out->sent_at = zclock_mono();
}

/* Sends the end of the stream. */
static void s_send_end(s_cluster_t *self)
{
    s_out_t *out = &self->out_handoff;
    const char *endpoint = s_endpoint_of(self, out->to);
    char text[128];
    snprintf(text, sizeof text, "%u %s %" PRIu64, out->shard,
             shoal_membership_local(self->membership)->name, out->stream);
    if (endpoint)
        shoal__cluster_send(self, endpoint, "SLICE-END", text, NULL, 0);
    out->sent_at = zclock_mono();
}

/* Makes the next chunk and sends it, or the end of the stream. */
static void s_next_chunk(s_cluster_t *self)
{
    s_out_t *out = &self->out_handoff;
    free(out->chunk);
    out->chunk = NULL;
    char *error = NULL;
    int rc = shoal_slice_export_next(out->export, &out->chunk, &out->chunk_size,
                                     &error);
    if (rc < 0) {
        char why[512];
        snprintf(why, sizeof why, "export: %s", error ? error : "failed");
        free(error);
        s_abandon(self, why);
        return;
    }
    if (rc == 0) {
        shoal_slice_export_destroy(&out->export);
        out->phase = S_OUT_WAIT_DONE;
        out->deadline = zclock_mono() + S_STEP_MS;
        s_send_end(self);
        return;
    }
    s_send_chunk(self);
}

/* Picks a shard to hand over, when one should move. */
static void s_pick(s_cluster_t *self)
{
    s_out_t *out = &self->out_handoff;
    shoal_membership_t *m = self->membership;
    int64_t now = zclock_mono();
    const shoal_member_t *local = shoal_membership_local(m);
    if (!self->journal || now < out->quiet_until ||
        shoal_membership_epoch(m) == 0 ||
        (local->state != SHOAL_MEMBER_UP &&
         local->state != SHOAL_MEMBER_LEAVING) ||
        !shoal_membership_has_quorum(m, now))
        return;
    shoal_shard_table_t *target = shoal_membership_target_table(m);
    const shoal_shard_table_t *table = shoal_membership_table(m);
    for (uint32_t shard = 0; target && shard < shoal_membership_shards(m);
         shard++) {
        const char *owner = shoal_shard_table_owner(table, shard);
        const char *to = shoal_shard_table_owner(target, shard);
        if (!owner || !to || strcmp(owner, local->name) != 0 ||
            strcmp(to, local->name) == 0 || !s_available(self, to))
            continue;
        out->phase = S_OUT_FREEZING;
        out->shard = shard;
        out->stream = (uint64_t)zclock_time() * 1000 + (uint64_t)(now % 1000);
        snprintf(out->to, sizeof out->to, "%s", to);
        out->index = 0;
        out->deadline = now + S_STEP_MS;
        shoal_log(SHOAL_LOG_INFO, "handoff: shard %u to %s: freezing", shard,
                  to);
        s_to_main(self, SHOAL_HANDOFF_FREEZE, shard);
        break;
    }
    shoal_shard_table_destroy(&target);
}

/* Asks the coordinator to publish the new owner. */
static void s_claim(s_cluster_t *self)
{
    s_out_t *out = &self->out_handoff;
    shoal_membership_t *m = self->membership;
    const char *local = shoal_membership_local(m)->name;
    if (shoal_membership_is_coordinator(m, zclock_mono())) {
        if (shoal_membership_handoff_done(m, out->shard, local, out->to,
                                          zclock_mono()) == 1)
            shoal_log(SHOAL_LOG_INFO,
                      "handoff: shard %u now belongs to %s (epoch %" PRIu64 ")",
                      out->shard, out->to, shoal_membership_epoch(m));
        return;
    }
    const shoal_member_t *coordinator =
        shoal_membership_coordinator(m, zclock_mono());
    char text[160];
    snprintf(text, sizeof text, "%u %s %s", out->shard, local, out->to);
    if (coordinator)
        shoal__cluster_send(self, coordinator->peer_endpoint, "HANDOFF-DONE",
                            text, NULL, 0);
}

void shoal__cluster_handoff_tick(s_cluster_t *self)
{
    s_out_t *out = &self->out_handoff;
    int64_t now = zclock_mono();
    switch (out->phase) {
    case S_OUT_IDLE:
        s_pick(self);
        return;
    case S_OUT_WAIT_FLIP: {
        const char *owner = shoal_shard_table_owner(
            shoal_membership_table(self->membership), out->shard);
        if (owner && strcmp(owner, out->to) == 0) {
            char *error = NULL;
            if (shoal_slice_drop(self->journal, out->shard,
                                 shoal_membership_shards(self->membership),
                                 &error) < 0) {
                shoal_log(SHOAL_LOG_WARN,
                          "handoff: shard %u: cannot drop the old copy: %s",
                          out->shard, error ? error : "failed");
                free(error);
            }
            shoal_log(SHOAL_LOG_INFO, "handoff: shard %u handed to %s",
                      out->shard, out->to);
            out->phase = S_OUT_IDLE;
            return;
        }
        s_claim(self);
        return;
    }
    default:
        break;
    }
    if (now > out->deadline) {
        s_abandon(self, "a step took too long");
        return;
    }
    if (!s_available(self, out->to)) {
        s_abandon(self, "the new owner is not available");
        return;
    }
    if (out->phase == S_OUT_POLICIES &&
        atomic_load(self->args->handled_pos) >= out->freeze_pos) {
        char *error = NULL;
        out->export = shoal_slice_export_begin(
            self->journal, out->shard,
            shoal_membership_shards(self->membership), &error);
        if (!out->export) {
            char why[512];
            snprintf(why, sizeof why, "export: %s", error ? error : "failed");
            free(error);
            s_abandon(self, why);
            return;
        }
        out->phase = S_OUT_STREAMING;
        out->index = 0;
        out->deadline = now + S_STEP_MS;
        shoal_log(SHOAL_LOG_INFO, "handoff: shard %u to %s: sending",
                  out->shard, out->to);
        s_next_chunk(self);
    } else if (out->phase == S_OUT_STREAMING &&
               now - out->sent_at > S_RESEND_MS) {
        s_send_chunk(self);
    } else if (out->phase == S_OUT_WAIT_DONE &&
               now - out->sent_at > S_RESEND_MS) {
        s_send_end(self);
    }
}

/* The new owner: takes one chunk of a slice and acknowledges it. */
static void s_on_slice(s_cluster_t *self, const char *text, zframe_t *blob)
{
    s_in_t *in = &self->in_handoff;
    unsigned shard, index;
    uint64_t stream;
    char from[SHOAL_MEMBER_NAME_MAX + 1];
    if (!blob ||
        sscanf(text, "%u %u %64s %" SCNu64, &shard, &index, from, &stream) !=
            4 ||
        shard >= shoal_membership_shards(self->membership))
        return;
    const char *endpoint = s_endpoint_of(self, from);
    if (!endpoint || !self->journal)
        return;
    char ack[640];
    char *error = NULL;
    int rc = 0;
    bool same_stream = in->active && in->shard == shard &&
                       in->stream == stream && strcmp(in->from, from) == 0;
    if (index == 0 && !same_stream) {
        /* A new attempt: discard any earlier copy of the shard first. */
        shoal_slice_import_destroy(&in->import);
        in->active = false;
        rc =
            shoal_slice_drop(self->journal, shard,
                             shoal_membership_shards(self->membership), &error);
        if (rc == 0) {
            in->import = shoal_slice_import_begin(self->journal, shard, &error);
            rc = in->import ? 0 : -1;
        }
        if (rc == 0) {
            in->active = true;
            in->adopting = false;
            in->shard = shard;
            in->stream = stream;
            snprintf(in->from, sizeof in->from, "%s", from);
            shoal_log(SHOAL_LOG_INFO, "handoff: receiving shard %u from %s",
                      shard, from);
        }
    } else if (!same_stream) {
        rc = -1;
        error = strdup("no import of that shard from that node is open");
    }
    if (rc == 0)
        rc = shoal_slice_import_chunk(in->import, zframe_data(blob),
                                      zframe_size(blob), &error);
    if (rc == 0)
        snprintf(ack, sizeof ack, "%u %u %" PRIu64 " ok", shard, index, stream);
    else
        snprintf(ack, sizeof ack, "%u %u %" PRIu64 " fail %.500s", shard, index,
                 stream, error ? error : "failed");
    free(error);
    shoal__cluster_send(self, endpoint, "SLICE-ACK", ack, NULL, 0);
}

/* An ADOPT message being filled. */
typedef struct {
    shoal_handoff_msg_t *adopt;
    bool failed;
} s_heads_t;

/* Adds one imported head to an ADOPT message. */
static void s_add_head(const char *entity, int64_t pos, void *arg)
{
    s_heads_t *heads = arg;
    if (!heads->failed &&
        shoal_handoff_msg_add_head(heads->adopt, entity, pos) < 0)
        heads->failed = true;
}

/* The new owner: the stream ended; finish, then hand the heads over. */
static void s_on_end(s_cluster_t *self, const char *text)
{
    s_in_t *in = &self->in_handoff;
    unsigned shard;
    uint64_t stream;
    char from[SHOAL_MEMBER_NAME_MAX + 1];
    if (sscanf(text, "%u %64s %" SCNu64, &shard, from, &stream) != 3)
        return;
    const char *endpoint = s_endpoint_of(self, from);
    char done[128];
    snprintf(done, sizeof done, "%u %s %" PRIu64, shard,
             shoal_membership_local(self->membership)->name, stream);
    if (in->done_shard == (int64_t)shard && in->done_stream == stream &&
        strcmp(in->done_from, from) == 0) {
        if (endpoint) /* the old owner missed the answer */
            shoal__cluster_send(self, endpoint, "SLICE-DONE", done, NULL, 0);
        return;
    }
    if (!in->active || in->shard != shard || in->stream != stream ||
        strcmp(in->from, from) != 0 || in->adopting)
        return;
    char *error = NULL;
    if (shoal_slice_import_finish(in->import, &error) < 0) {
        shoal_log(SHOAL_LOG_WARN, "handoff: shard %u: cannot finish: %s", shard,
                  error ? error : "failed");
        free(error);
        return;
    }
    s_heads_t heads = {.adopt =
                           shoal_handoff_msg_new(SHOAL_HANDOFF_ADOPT, shard)};
    shoal_handoff_msg_t *adopt = heads.adopt;
    bool out_of_memory = !adopt;
    if (adopt && shoal_slice_heads(self->journal, shard,
                                   shoal_membership_shards(self->membership),
                                   s_add_head, &heads, &error) < 0) {
        shoal_log(SHOAL_LOG_WARN, "handoff: shard %u: cannot read heads: %s",
                  shard, error ? error : "failed");
        free(error);
        shoal_handoff_msg_destroy(&adopt);
        return;
    }
    if (out_of_memory || heads.failed) {
        shoal_handoff_msg_destroy(&adopt);
        return;
    }
    in->adopting = true;
    shoal_log(SHOAL_LOG_INFO,
              "handoff: shard %u from %s imported (%zu entities)", shard, from,
              adopt->head_count);
    if (shoal_pipe_send(self->views, SHOAL_PIPE_HANDOFF, adopt, 0) < 0)
        shoal_handoff_msg_destroy(&adopt);
}

/* The new owner: the workers have the heads; tell the old owner. */
static void s_on_adopted(s_cluster_t *self, const char *text)
{
    s_in_t *in = &self->in_handoff;
    unsigned shard;
    if (sscanf(text, "%u", &shard) != 1 || !in->active || in->shard != shard)
        return;
    shoal_slice_import_destroy(&in->import);
    in->active = false;
    in->adopting = false;
    in->done_shard = shard;
    in->done_stream = in->stream;
    snprintf(in->done_from, sizeof in->done_from, "%s", in->from);
    const char *endpoint = s_endpoint_of(self, in->from);
    char done[128];
    snprintf(done, sizeof done, "%u %s %" PRIu64, shard,
             shoal_membership_local(self->membership)->name, in->stream);
    if (endpoint)
        shoal__cluster_send(self, endpoint, "SLICE-DONE", done, NULL, 0);
}

/* The old owner: a chunk was acknowledged (or refused). */
static void s_on_ack(s_cluster_t *self, const char *text)
{
    s_out_t *out = &self->out_handoff;
    unsigned shard, index;
    uint64_t stream;
    char verdict[8] = "";
    int used = 0;
    if (sscanf(text, "%u %u %" SCNu64 " %7s %n", &shard, &index, &stream,
               verdict, &used) < 4 ||
        out->phase != S_OUT_STREAMING || shard != out->shard ||
        index != out->index || stream != out->stream)
        return;
    if (strcmp(verdict, "ok") != 0) {
        char why[600];
        snprintf(why, sizeof why, "the new owner refused chunk %u: %s", index,
                 used ? text + used : "");
        s_abandon(self, why);
        return;
    }
    out->index++;
    out->deadline = zclock_mono() + S_STEP_MS;
    s_next_chunk(self);
}

/* The old owner: the new owner has the shard. */
static void s_on_done(s_cluster_t *self, const char *text)
{
    s_out_t *out = &self->out_handoff;
    unsigned shard;
    uint64_t stream;
    char from[SHOAL_MEMBER_NAME_MAX + 1];
    if (sscanf(text, "%u %64s %" SCNu64, &shard, from, &stream) != 3 ||
        out->phase != S_OUT_WAIT_DONE || shard != out->shard ||
        stream != out->stream || strcmp(from, out->to) != 0)
        return;
    out->phase = S_OUT_WAIT_FLIP;
    shoal_log(SHOAL_LOG_INFO,
              "handoff: shard %u: %s has it; asking the coordinator", shard,
              out->to);
    s_claim(self);
}

/* The coordinator: a handoff finished; publish the new owner. */
static void s_on_handoff_done(s_cluster_t *self, const char *text)
{
    unsigned shard;
    char from[SHOAL_MEMBER_NAME_MAX + 1], to[SHOAL_MEMBER_NAME_MAX + 1];
    if (sscanf(text, "%u %64s %64s", &shard, from, to) != 3)
        return;
    if (shoal_membership_handoff_done(self->membership, shard, from, to,
                                      zclock_mono()) == 1)
        shoal_log(SHOAL_LOG_INFO,
                  "handoff: shard %u now belongs to %s (epoch %" PRIu64 ")",
                  shard, to, shoal_membership_epoch(self->membership));
}

/* The main thread: the shard is released; wait for the policies. */
static void s_on_frozen(s_cluster_t *self, const char *text)
{
    s_out_t *out = &self->out_handoff;
    unsigned shard;
    long long pos;
    if (sscanf(text, "%u %lld", &shard, &pos) != 2 ||
        out->phase != S_OUT_FREEZING || shard != out->shard)
        return;
    out->freeze_pos = pos;
    out->phase = S_OUT_POLICIES;
    out->deadline = zclock_mono() + S_STEP_MS;
}

bool shoal__cluster_handoff_message(s_cluster_t *self, const char *kind,
                                    zframe_t *body, zframe_t *blob)
{
    char text[1024];
    size_t size = zframe_size(body);
    if (size >= sizeof text)
        size = sizeof text - 1;
    memcpy(text, zframe_data(body), size);
    text[size] = '\0';
    if (streq(kind, "SLICE"))
        s_on_slice(self, text, blob);
    else if (streq(kind, "SLICE-ACK"))
        s_on_ack(self, text);
    else if (streq(kind, "SLICE-END"))
        s_on_end(self, text);
    else if (streq(kind, "SLICE-DONE"))
        s_on_done(self, text);
    else if (streq(kind, "HANDOFF-DONE"))
        s_on_handoff_done(self, text);
    else if (streq(kind, "FROZEN"))
        s_on_frozen(self, text);
    else if (streq(kind, "ADOPTED"))
        s_on_adopted(self, text);
    else
        return false;
    return true;
}

void shoal__cluster_handoff_close(s_cluster_t *self)
{
    shoal_slice_export_destroy(&self->out_handoff.export);
    free(self->out_handoff.chunk);
    self->out_handoff.chunk = NULL;
    shoal_slice_import_destroy(&self->in_handoff.import);
}
