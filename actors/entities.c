/*
 * actors/entities.c - the entities of one worker (see entities.h).
 *
 * The path of one command, all on the worker's thread:
 *   handle: find or create the entity; if it is recovering or has an
 *           entry in flight, stash the request (bounded) and return;
 *   run:    dedup check, then handle_command into the effect; an effect
 *           with no events and no command id is answered at once, any
 *           other becomes one journal entry submitted to the writer;
 *   appended: fold the durable entry, answer, maybe snapshot, then run
 *           the stash until the entity waits again.
 */
#include "actors/entities.h"
#include "actors/effect.h"
#include "actors/entity.h"
#include "actors/keymap.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct shoal_entities {
    shoal_entities_host_t host;
    shoal_entities_config_t config;
    /* key -> shoal_entity_t*, keys borrowed from the entities, which the
     * least-recently-used list owns. */
    shoal_keymap_t *resident;
    /* key -> journal pos of the last entry, for the entities of this
     * worker's shards that have a journal and are not in memory (or are
     * still recovering). A resident entity keeps its head itself. */
    shoal_keymap_t *heads;
    size_t recovering; /* resident, waiting for their recovery */
    size_t fresh;      /* resident, with no journal yet */
    shoal_entity_t *oldest, *newest;
    size_t stashed;
    size_t pending;
    bool stopping;
    shoal_effect_t *effect;
    shoal_entities_counters_t counters;
};

shoal_entities_t *shoal_entities_new(const shoal_entities_host_t *host,
                                     const shoal_entities_config_t *config,
                                     shoal_keymap_t **heads_p)
{
    assert(host && config && heads_p && *heads_p);
    assert(config->stash_capacity >= 1 && config->max_stashed >= 1 &&
           config->max_resident >= 1);
    shoal_entities_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->host = *host;
    self->config = *config;
    self->resident = shoal_keymap_new(false);
    if (!self->resident) {
        free(self);
        return NULL;
    }
    self->effect = shoal__effect_new();
    self->heads = *heads_p;
    *heads_p = NULL;
    return self;
}

/* Answers a request with an error and frees it. */
static void s_answer_error(shoal_entities_t *self, shoal_request_t *request,
                           const char *code, const char *message)
{
    shoal_answer_t answer = {.kind = SHOAL_ANSWER_ERROR,
                             .error_code = code,
                             .body = message,
                             .body_size = strlen(message)};
    if (strcmp(code, "busy") == 0)
        self->counters.busy++;
    else
        self->counters.errors++;
    self->host.answer(self->host.arg, request, &answer);
}

/* Answers every stashed request of an entity with an error. */
static void s_fail_stash(shoal_entities_t *self, shoal_entity_t *entity,
                         const char *code, const char *message)
{
    while (entity->stash_head) {
        shoal_request_t *request = entity->stash_head;
        entity->stash_head = request->next;
        request->next = NULL;
        entity->stash_count--;
        self->stashed--;
        s_answer_error(self, request, code, message);
    }
    entity->stash_tail = NULL;
}

/* Takes an entity out of the least-recently-used list. */
static void s_lru_unlink(shoal_entities_t *self, shoal_entity_t *entity)
{
    if (entity->older)
        entity->older->newer = entity->newer;
    else if (self->oldest == entity)
        self->oldest = entity->newer;
    if (entity->newer)
        entity->newer->older = entity->older;
    else if (self->newest == entity)
        self->newest = entity->older;
    entity->older = entity->newer = NULL;
}

/* Marks an entity as used now: it becomes the newest. */
static void s_touch(shoal_entities_t *self, shoal_entity_t *entity)
{
    s_lru_unlink(self, entity);
    entity->older = self->newest;
    if (self->newest)
        self->newest->newer = entity;
    self->newest = entity;
    if (!self->oldest)
        self->oldest = entity;
    entity->last_used_ms = (uint32_t)self->host.now_ms(self->host.arg);
}

/* Frees an entity and forgets it is resident. */
static void s_drop(shoal_entities_t *self, shoal_entity_t *entity)
{
    assert(entity->phase != SHOAL_ENTITY_PERSISTING && !entity->stash_head);
    if (entity->head_pos == 0 && entity->phase != SHOAL_ENTITY_RECOVERING)
        self->fresh--;
    s_lru_unlink(self, entity);
    shoal_keymap_remove(self->resident, entity->key, NULL);
    shoal_entity_destroy(&entity);
}

/* Passivates an entity: its journal head goes back to the directory, so
 * a later request recovers it. Returns false when the directory cannot
 * take the head (out of memory): the entity then stays. */
static bool s_passivate(shoal_entities_t *self, shoal_entity_t *entity)
{
    if (entity->head_pos && shoal_keymap_put(self->heads, entity->key,
                                             (uint64_t)entity->head_pos) < 0)
        return false;
    s_drop(self, entity);
    self->counters.passivations++;
    return true;
}

/* True when an entity can leave memory now. */
static bool s_can_passivate(const shoal_entity_t *entity)
{
    return entity->phase == SHOAL_ENTITY_READY && !entity->stash_head;
}

/* Passivates the least recently used entity that can go. Returns false
 * when none can. */
static bool s_evict_one(shoal_entities_t *self)
{
    for (shoal_entity_t *entity = self->oldest; entity;
         entity = entity->newer) {
        if (s_can_passivate(entity) && s_passivate(self, entity))
            return true;
    }
    return false;
}

size_t shoal_entities_release_shard(shoal_entities_t *self, uint32_t shard,
                                    uint32_t (*shard_of)(const char *key,
                                                         void *arg),
                                    void *arg)
{
    size_t busy = 0;
    shoal_entity_t *entity = self->oldest;
    while (entity) {
        shoal_entity_t *newer = entity->newer;
        if (entity->shard == shard) {
            if (s_can_passivate(entity))
                s_drop(self, entity);
            else
                busy++;
        }
        entity = newer;
    }
    /* Collected first: removing while walking would move the slots. */
    size_t count = 0, capacity = 0, cursor = 0;
    char **keys = NULL;
    const char *key;
    uint64_t value;
    while (shoal_keymap_next(self->heads, &cursor, &key, &value)) {
        if (shard_of(key, arg) != shard)
            continue;
        if (count == capacity) {
            capacity = capacity ? capacity * 2 : 64;
            char **grown = realloc(keys, capacity * sizeof *keys);
            if (!grown)
                break; /* the rest stays known: harmless, retried later */
            keys = grown;
        }
        keys[count] = strdup(key);
        if (keys[count])
            count++;
    }
    for (size_t i = 0; i < count; i++) {
        shoal_keymap_remove(self->heads, keys[i], NULL);
        free(keys[i]);
    }
    free(keys);
    return busy;
}

int shoal_entities_adopt_head(shoal_entities_t *self, const char *key,
                              int64_t pos)
{
    uint64_t value;
    if (shoal_keymap_get(self->resident, key, &value)) {
        shoal_entity_t *entity = (shoal_entity_t *)(uintptr_t)value;
        if (!s_can_passivate(entity))
            return -1;
        s_drop(self, entity);
    }
    return shoal_keymap_put(self->heads, key, (uint64_t)pos);
}

void shoal_entities_sweep(shoal_entities_t *self)
{
    if (self->config.passivate_idle_ms <= 0)
        return;
    int64_t now = self->host.now_ms(self->host.arg);
    shoal_entity_t *entity = self->oldest;
    while (entity && (uint32_t)((uint32_t)now - entity->last_used_ms) >=
                         (uint64_t)self->config.passivate_idle_ms) {
        shoal_entity_t *newer = entity->newer;
        if (s_can_passivate(entity))
            s_passivate(self, entity);
        entity = newer;
    }
}

/* Answers a query from the entity's current, durable state, whose last
 * event is sequence (0: none). */
static void s_run_query(shoal_entities_t *self, const shoal_type_t *type,
                        const void *state, uint64_t sequence,
                        shoal_request_t *request)
{
    char *text = type->query(state, request->entity_id);
    if (!text) {
        s_answer_error(self, request, "internal",
                       "query handler returned nothing");
        return;
    }
    shoal_answer_t answer = {.kind = SHOAL_ANSWER_QUERY,
                             .first_seq = sequence,
                             .body = text,
                             .body_size = strlen(text)};
    self->host.answer(self->host.arg, request, &answer);
    free(text);
}

/* Answers a command from a remembered outcome. */
static void s_answer_duplicate(shoal_entities_t *self, shoal_request_t *request,
                               const shoal_dedup_record_t *record)
{
    shoal_answer_t answer = {
        .kind = record->outcome == SHOAL_OUTCOME_REJECTED
                    ? SHOAL_ANSWER_REJECTED
                    : SHOAL_ANSWER_ACCEPTED,
        .first_seq = record->first_seq,
        .event_count = record->event_count,
        .body = record->reply,
        .body_size = record->reply_size,
    };
    self->counters.duplicates++;
    self->host.answer(self->host.arg, request, &answer);
}

/* Answers a command with the outcome in the effect (no events). */
static void s_answer_effect(shoal_entities_t *self, shoal_request_t *request,
                            uint64_t first_seq, uint64_t event_count)
{
    size_t size;
    const void *body = shoal__effect_reply(self->effect, &size);
    bool rejected = shoal__effect_rejected(self->effect);
    shoal_answer_t answer = {
        .kind = rejected ? SHOAL_ANSWER_REJECTED : SHOAL_ANSWER_ACCEPTED,
        .first_seq = first_seq,
        .event_count = event_count,
        .body = body,
        .body_size = size,
    };
    if (rejected)
        self->counters.rejected++;
    else
        self->counters.accepted++;
    self->host.answer(self->host.arg, request, &answer);
}

/* Submits the effect of a command as one journal entry. Returns 0 when
 * the entity now waits for it, -1 when the request was answered. */
static int s_submit_entry(shoal_entities_t *self, shoal_entity_t *entity,
                          shoal_request_t *request)
{
    size_t events_size, reply_size;
    const uint8_t *events = shoal__effect_events(self->effect, &events_size);
    const void *reply = shoal__effect_reply(self->effect, &reply_size);
    shoal_journal_entry_t entry = {
        .shard = entity->shard,
        .entity = entity->key,
        .prev_pos = entity->head_pos,
        .first_seq = entity->seq + 1,
        .event_count = shoal__effect_event_count(self->effect),
        .outcome = shoal__effect_rejected(self->effect)
                       ? SHOAL_OUTCOME_REJECTED
                       : SHOAL_OUTCOME_ACCEPTED,
        .written_ms = self->host.now_ms(self->host.arg),
        .command_id = request->command_id,
        .reply = reply,
        .reply_size = reply_size,
        .events = events,
        .events_size = events_size,
    };
    shoal_append_t *append =
        shoal_append_new_entry(self->config.worker, entity, &entry);
    if (append) {
        append->request = request; /* answered when the entry is durable */
        append->epoch = request->epoch;
    }
    if (!append) {
        s_answer_error(self, request, "internal", "out of memory");
        return -1;
    }
    if (self->host.submit_append(self->host.arg, append) < 0) {
        shoal_append_destroy(&append);
        s_answer_error(self, request, "busy", "journal queue is full");
        return -1;
    }
    self->pending++;
    entity->phase = SHOAL_ENTITY_PERSISTING;
    return 0;
}

/* Runs one command against a ready entity. */
static void s_run_command(shoal_entities_t *self, shoal_entity_t *entity,
                          shoal_request_t *request)
{
    shoal_dedup_record_t record;
    if (request->command_id && entity->dedup &&
        shoal_dedup_lookup(entity->dedup, request->command_id, &record)) {
        s_answer_duplicate(self, request, &record);
        return;
    }
    shoal_ctx_t ctx;
    shoal__ctx_init(&ctx, self->host.now_ms(self->host.arg), entity->key,
                    shoal_entity_id(entity), entity->seq, request->command_id);
    shoal_command_t command = {.name = request->command_name,
                               .payload = request->payload,
                               .payload_size = request->payload_size};
    shoal__effect_reset(self->effect);
    entity->type->handle_command(&ctx, entity->state, &command, self->effect);
    if (shoal__effect_failed(self->effect)) {
        s_answer_error(self, request, "internal",
                       "command handler failed: out of memory or an effect "
                       "past the limits");
        return;
    }
    bool has_events = shoal__effect_event_count(self->effect) > 0;
    bool remembered = request->command_id && self->config.dedup_window > 0;
    if (!has_events && !remembered) {
        s_answer_effect(self, request, 0, 0);
        return;
    }
    s_submit_entry(self, entity, request);
}

/* Runs one request against a ready entity. */
static void s_run(shoal_entities_t *self, shoal_entity_t *entity,
                  shoal_request_t *request)
{
    if (request->kind == SHOAL_REQUEST_QUERY)
        s_run_query(self, entity->type, entity->state, entity->seq, request);
    else
        s_run_command(self, entity, request);
}

/* Runs stashed requests until the entity waits again or the stash is
 * empty. */
static void s_drain(shoal_entities_t *self, shoal_entity_t *entity)
{
    while (entity->phase == SHOAL_ENTITY_READY && entity->stash_head) {
        shoal_request_t *request = entity->stash_head;
        entity->stash_head = request->next;
        if (!entity->stash_head)
            entity->stash_tail = NULL;
        request->next = NULL;
        entity->stash_count--;
        self->stashed--;
        s_run(self, entity, request);
    }
}

/* Queues a request behind the entity's pending work, or answers busy
 * when the entity's stash, or all the stashes together, are full. */
static void s_stash(shoal_entities_t *self, shoal_entity_t *entity,
                    shoal_request_t *request)
{
    if (entity->stash_count >= self->config.stash_capacity) {
        char message[96];
        snprintf(message, sizeof message,
                 "stash of %.40s is full (%u requests waiting)", entity->key,
                 entity->stash_count);
        s_answer_error(self, request, "busy", message);
        return;
    }
    if (self->stashed >= self->config.max_stashed) {
        char message[96];
        snprintf(message, sizeof message,
                 "stashes of worker %u are full (%zu requests waiting)",
                 self->config.worker, self->stashed);
        s_answer_error(self, request, "busy", message);
        return;
    }
    if (entity->stash_tail)
        entity->stash_tail->next = request;
    else
        entity->stash_head = request;
    entity->stash_tail = request;
    entity->stash_count++;
    self->stashed++;
}

/* Answers a query for an entity with no journal without making it
 * resident: its state is the empty one. */
static void s_query_unknown(shoal_entities_t *self, shoal_request_t *request)
{
    const shoal_type_t *type = request->type; /* the answer frees request */
    void *state = type->state_new(request->entity_id);
    if (!state) {
        s_answer_error(self, request, "internal", "state_new failed");
        return;
    }
    s_run_query(self, type, state, 0, request);
    type->state_free(&state);
}

/* Brings an entity into memory: empty when it has no journal, else
 * recovering. Returns NULL when the request was answered instead. */
static shoal_entity_t *s_activate(shoal_entities_t *self,
                                  shoal_request_t *request, int64_t head)
{
    if (shoal_keymap_size(self->resident) >= self->config.max_resident &&
        !s_evict_one(self)) {
        s_answer_error(self, request, "busy",
                       "resident entity cap reached and every entity is busy");
        return NULL;
    }
    shoal_entity_t *entity =
        shoal_entity_new(request->type, request->shard, request->key);
    if (!entity || shoal_keymap_put(self->resident, entity->key,
                                    (uint64_t)(uintptr_t)entity) < 0) {
        shoal_entity_destroy(&entity);
        s_answer_error(self, request, "internal", "out of memory");
        return NULL;
    }
    if (head == 0) {
        if (shoal_entity_start_empty(entity) < 0) {
            shoal_keymap_remove(self->resident, entity->key, NULL);
            shoal_entity_destroy(&entity);
            s_answer_error(self, request, "internal", "state_new failed");
            return NULL;
        }
        entity->phase = SHOAL_ENTITY_READY;
        self->fresh++;
        return entity;
    }
    shoal_recovery_t *recovery =
        shoal_recovery_new(self->config.worker, entity, entity->key, head);
    if (!recovery || self->host.submit_recovery(self->host.arg, recovery) < 0) {
        shoal_recovery_destroy(&recovery);
        shoal_keymap_remove(self->resident, entity->key, NULL);
        shoal_entity_destroy(&entity);
        s_answer_error(self, request, "busy", "recovery queue is full");
        return NULL;
    }
    self->pending++;
    self->recovering++;
    self->counters.recoveries++;
    return entity;
}

void shoal_entities_handle(shoal_entities_t *self, shoal_request_t **request_p)
{
    shoal_request_t *request = *request_p;
    *request_p = NULL;
    if (self->stopping) {
        s_answer_error(self, request, "unavailable", "node is shutting down");
        return;
    }
    uint64_t found = 0;
    shoal_keymap_get(self->resident, request->key, &found);
    shoal_entity_t *entity = (shoal_entity_t *)(uintptr_t)found;
    if (!entity) {
        uint64_t stored = 0;
        shoal_keymap_get(self->heads, request->key, &stored);
        int64_t head = (int64_t)stored;
        if (head == 0 && request->kind == SHOAL_REQUEST_QUERY) {
            s_query_unknown(self, request);
            return;
        }
        entity = s_activate(self, request, head);
        if (!entity)
            return;
    }
    s_touch(self, entity);
    if (entity->phase != SHOAL_ENTITY_READY || entity->stash_head)
        s_stash(self, entity, request);
    else
        s_run(self, entity, request);
}

/* Writes a snapshot when enough has changed since the last one; the write
 * carries epoch, that of the command whose entry made it due. */
static void s_maybe_snapshot(shoal_entities_t *self, shoal_entity_t *entity,
                             uint64_t epoch)
{
    if (!self->config.snapshot_every ||
        entity->changes_since_snapshot < self->config.snapshot_every ||
        !entity->type->snapshot_encode)
        return;
    shoal_snapshot_t snapshot;
    if (shoal_entity_snapshot(entity, &snapshot) < 0)
        return;
    shoal_append_t *append =
        shoal_append_new_snapshot(self->config.worker, entity->key, &snapshot);
    if (!append)
        return;
    append->shard = entity->shard;
    append->epoch = epoch;
    if (self->host.submit_append(self->host.arg, append) < 0) {
        shoal_append_destroy(&append); /* retried after the next change */
        return;
    }
    self->pending++;
    entity->changes_since_snapshot = 0;
}

/* Folds a durable entry and answers its command. */
static void s_complete(shoal_entities_t *self, shoal_entity_t *entity,
                       shoal_request_t *request, shoal_append_t *append)
{
    shoal_journal_entry_t *entry = &append->entry;
    if (entity->head_pos == 0)
        self->fresh--; /* it has a journal from now on */
    if (shoal_entity_fold(entity, entry, self->config.dedup_window) < 0) {
        /* Defensive: the entry was encoded by this process. */
        s_answer_error(self, request, "internal", "event fold failed");
        return;
    }
    shoal_answer_t answer = {
        .kind = entry->outcome == SHOAL_OUTCOME_REJECTED
                    ? SHOAL_ANSWER_REJECTED
                    : SHOAL_ANSWER_ACCEPTED,
        .first_seq = entry->event_count ? entry->first_seq : 0,
        .event_count = entry->event_count,
        .body = entry->reply,
        .body_size = entry->reply_size,
    };
    if (answer.kind == SHOAL_ANSWER_REJECTED)
        self->counters.rejected++;
    else
        self->counters.accepted++;
    uint64_t epoch = request->epoch;
    self->host.answer(self->host.arg, request, &answer);
    s_maybe_snapshot(self, entity, epoch);
}

void shoal_entities_appended(shoal_entities_t *self, shoal_append_t **append_p)
{
    shoal_append_t *append = *append_p;
    *append_p = NULL;
    assert(self->pending > 0);
    self->pending--;
    if (append->is_snapshot) {
        if (!append->error)
            self->counters.snapshots++;
        shoal_append_destroy(&append);
        return;
    }
    shoal_entity_t *entity = append->entity;
    shoal_request_t *request = append->request;
    assert(request && entity->phase == SHOAL_ENTITY_PERSISTING);
    entity->phase = SHOAL_ENTITY_READY;
    if (append->fenced) {
        /* Nothing was written: another member owns the shard now. */
        s_answer_error(self, request, "unavailable", append->error);
    } else if (append->error) {
        char message[512];
        snprintf(message, sizeof message, "journal write failed: %s",
                 append->error);
        s_answer_error(self, request, "internal", message);
    } else {
        s_complete(self, entity, request, append);
    }
    shoal_append_destroy(&append);
    if (self->stopping)
        s_fail_stash(self, entity, "unavailable", "node is shutting down");
    s_drain(self, entity);
}

/* Drops an entity whose recovery failed, failing its waiting requests. */
static void s_recovery_failed(shoal_entities_t *self, shoal_entity_t *entity,
                              const char *reason)
{
    char message[512];
    snprintf(message, sizeof message, "recovery of %.200s failed: %.250s",
             entity->key, reason ? reason : "unknown error");
    s_fail_stash(self, entity, "internal", message);
    s_drop(self, entity); /* its head stays in the directory */
}

void shoal_entities_recovered(shoal_entities_t *self,
                              shoal_recovery_t **recovery_p)
{
    shoal_recovery_t *recovery = *recovery_p;
    *recovery_p = NULL;
    assert(self->pending > 0);
    self->pending--;
    shoal_entity_t *entity = recovery->entity;
    self->recovering--;
    if (self->stopping) {
        s_fail_stash(self, entity, "unavailable", "node is shutting down");
        s_drop(self, entity);
    } else if (recovery->error) {
        s_recovery_failed(self, entity, recovery->error);
    } else {
        char *error = NULL;
        int rc = shoal_entity_restore(entity, recovery,
                                      self->config.dedup_window, &error);
        if (rc == -2 && !recovery->ignore_snapshot) {
            recovery->ignore_snapshot = true;
            if (self->host.submit_recovery(self->host.arg, recovery) == 0) {
                self->pending++;
                self->recovering++;
                return; /* the recovery is the reader's again */
            }
            rc = -1;
        }
        if (rc < 0) {
            s_recovery_failed(self, entity, error ? error : "no state");
            free(error);
        } else {
            /* The entity keeps its head itself while resident. */
            shoal_keymap_remove(self->heads, entity->key, NULL);
            entity->phase = SHOAL_ENTITY_READY;
            s_drain(self, entity);
        }
    }
    shoal_recovery_destroy(&recovery);
}

void shoal_entities_stop(shoal_entities_t *self)
{
    self->stopping = true;
    for (shoal_entity_t *entity = self->oldest; entity; entity = entity->newer)
        s_fail_stash(self, entity, "unavailable", "node is shutting down");
}

size_t shoal_entities_pending(const shoal_entities_t *self)
{
    return self->pending;
}

size_t shoal_entities_resident(const shoal_entities_t *self)
{
    return shoal_keymap_size(self->resident);
}

size_t shoal_entities_stashed(const shoal_entities_t *self)
{
    return self->stashed;
}

size_t shoal_entities_known(const shoal_entities_t *self)
{
    return shoal_keymap_size(self->heads) + shoal_keymap_size(self->resident) -
           self->recovering - self->fresh;
}

const shoal_entities_counters_t *
shoal_entities_counters(const shoal_entities_t *self)
{
    return &self->counters;
}

void shoal_entities_destroy(shoal_entities_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_entities_t *self = *self_p;
    while (self->oldest) {
        shoal_entity_t *entity = self->oldest;
        s_fail_stash(self, entity, "unavailable", "node is shutting down");
        s_lru_unlink(self, entity);
        shoal_entity_destroy(&entity);
    }
    shoal_keymap_destroy(&self->resident);
    shoal_keymap_destroy(&self->heads);
    shoal__effect_destroy(&self->effect);
    free(self);
    *self_p = NULL;
}
