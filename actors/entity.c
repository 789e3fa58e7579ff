/*
 * actors/entity.c - one entity's state, fold, snapshots and recovery.
 */
#include "actors/entity.h"
#include "actors/effect.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

shoal_entity_t *shoal_entity_new(const shoal_type_t *type, uint32_t shard,
                                 const char *key)
{
    size_t key_size = strlen(key) + 1;
    /* The key starts at its member's offset, inside the struct's tail
     * padding: allocate from there, not from sizeof. */
    size_t size = offsetof(shoal_entity_t, key) + key_size;
    shoal_entity_t *self = calloc(1, size < sizeof *self ? sizeof *self : size);
    if (!self)
        return NULL;
    memcpy(self->key, key, key_size);
    const char *slash = strchr(self->key, '/');
    self->id_offset = slash ? (uint8_t)(slash + 1 - self->key) : 0;
    self->type = type;
    assert(shard <= UINT16_MAX);
    self->shard = (uint16_t)shard;
    self->phase = SHOAL_ENTITY_RECOVERING;
    return self;
}

void shoal_entity_destroy(shoal_entity_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_entity_t *self = *self_p;
    if (self->state)
        self->type->state_free(&self->state);
    shoal_dedup_destroy(&self->dedup);
    free(self);
    *self_p = NULL;
}

int shoal_entity_start_empty(shoal_entity_t *self)
{
    self->state = self->type->state_new(shoal_entity_id(self));
    return self->state ? 0 : -1;
}

/* Remembers the outcome of an entry's command id. */
static int s_remember(shoal_entity_t *self, const shoal_journal_entry_t *entry,
                      size_t dedup_window)
{
    if (!self->dedup && !(self->dedup = shoal_dedup_new(dedup_window)))
        return -1;
    shoal_dedup_record_t record = {
        .outcome = entry->outcome,
        .first_seq = entry->event_count ? entry->first_seq : 0,
        .event_count = entry->event_count,
        .reply = entry->reply,
        .reply_size = entry->reply_size,
    };
    return shoal_dedup_remember(self->dedup, entry->command_id, &record);
}

int shoal_entity_fold(shoal_entity_t *self, const shoal_journal_entry_t *entry,
                      size_t dedup_window)
{
    size_t offset = 0;
    const void *event;
    size_t event_size;
    uint32_t applied = 0;
    int read;
    while ((read = shoal__events_next(entry->events, entry->events_size,
                                      &offset, &event, &event_size)) == 1) {
        self->type->apply_event(self->state, event, event_size);
        applied++;
    }
    if (applied)
        self->seq = entry->first_seq + applied - 1;
    self->head_pos = entry->pos;
    /* An entry without events (a remembered command id) counts as one,
     * so that chains of them are bounded by snapshots too. */
    self->changes_since_snapshot += applied ? applied : 1;
    if (read < 0 || applied != entry->event_count)
        return -1;
    if (entry->command_id && dedup_window &&
        s_remember(self, entry, dedup_window) < 0)
        return -1;
    return 0;
}

/* Starts from the recovery's snapshot; falls back to the empty state and
 * the whole chain when it does not decode. Returns true when the snapshot
 * was used. */
static bool s_restore_snapshot(shoal_entity_t *self, shoal_recovery_t *recovery,
                               size_t dedup_window)
{
    if (!recovery->has_snapshot || !self->type->snapshot_decode)
        return false;
    self->state = self->type->snapshot_decode(shoal_entity_id(self),
                                              recovery->snapshot.state,
                                              recovery->snapshot.state_size);
    if (!self->state)
        return false;
    self->seq = recovery->snapshot.seq;
    self->head_pos = recovery->snapshot.pos;
    if (recovery->snapshot.dedup_size && dedup_window) {
        self->dedup = shoal_dedup_new(dedup_window);
        if (self->dedup)
            shoal_dedup_decode(self->dedup, recovery->snapshot.dedup,
                               recovery->snapshot.dedup_size);
    }
    return true;
}

int shoal_entity_restore(shoal_entity_t *self, shoal_recovery_t *recovery,
                         size_t dedup_window, char **error)
{
    if (!s_restore_snapshot(self, recovery, dedup_window)) {
        if (recovery->has_snapshot)
            return -2; /* unusable: the entries it covers are needed too */
        if (shoal_entity_start_empty(self) < 0) {
            if (asprintf(error, "state_new failed for %s", self->key) < 0)
                *error = NULL;
            return -1;
        }
    }
    for (size_t i = 0; i < recovery->entry_count; i++) {
        if (shoal_entity_fold(self, &recovery->entries[i], dedup_window) < 0) {
            if (asprintf(error, "entry %lld of %s is corrupt",
                         (long long)recovery->entries[i].pos, self->key) < 0)
                *error = NULL;
            return -1;
        }
    }
    return 0;
}

int shoal_entity_snapshot(const shoal_entity_t *self,
                          shoal_snapshot_t *snapshot)
{
    memset(snapshot, 0, sizeof *snapshot);
    if (!self->type->snapshot_encode || !self->head_pos)
        return -1;
    if (self->type->snapshot_encode(self->state, &snapshot->state,
                                    &snapshot->state_size) < 0)
        return -1;
    if (self->dedup && shoal_dedup_encode(self->dedup, &snapshot->dedup,
                                          &snapshot->dedup_size) < 0) {
        shoal_snapshot_clear(snapshot);
        return -1;
    }
    snapshot->seq = self->seq;
    snapshot->pos = self->head_pos;
    return 0;
}
