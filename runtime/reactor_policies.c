/*
 * runtime/reactor_policies.c - running the policies over the journal.
 *
 * Each policy reads the entries after its offset in batches. For every
 * event of its source type it calls the policy's handler, which yields
 * actions; the batch then sends the dispatches, at most one in flight per
 * target entity (so that two commands to one entity keep their order)
 * and stops sending at the first event that fails. Once nothing is in
 * flight, one transaction commits the publications and timers of the
 * events that succeeded, in order, with the new offset. A failing event
 * is retried with backoff from that offset and, after
 * policy_max_attempts, parked as a dead letter in the same transaction
 * that moves the offset past it.
 */
#include "cluster/shard.h"
#include "runtime/log.h"
#include "runtime/reactor_internal.h"

#include <inttypes.h>
#include <jansson.h>

/* Most commands a batch has in flight at once. */
#define S_IN_FLIGHT_MAX 256

/* The tag of a batch's command: generation, item and action. */
static uint64_t s_tag(uint16_t generation, size_t item, size_t action)
{
    return ((uint64_t)generation << 40) | ((uint64_t)item << 16) |
           (uint64_t)action;
}

/* Frees a batch and its items. NULL-safe. */
static void s_batch_destroy(shoal_batch_t **batch_p)
{
    shoal_batch_t *batch = *batch_p;
    if (!batch)
        return;
    for (size_t i = 0; i < batch->count; i++) {
        shoal__reaction_clear(&batch->items[i].reaction);
        free(batch->items[i].key);
        free(batch->items[i].error);
    }
    free(batch->items);
    zhashx_destroy(&batch->targets);
    free(batch);
    *batch_p = NULL;
}

/* Creates an empty batch for policy. */
static shoal_batch_t *s_batch_new(s_policy_t *policy, uint16_t generation)
{
    shoal_batch_t *batch = calloc(1, sizeof *batch);
    assert(batch);
    batch->policy = policy;
    batch->generation = generation;
    batch->targets = zhashx_new();
    assert(batch->targets);
    return batch;
}

/* Marks an item failed with error (the first error stays). */
static void s_item_fail(shoal_batch_item_t *item, const char *error)
{
    item->failed = true;
    if (!item->error)
        item->error = strdup(error);
}

/* Adds the event at index of entry to batch and runs the policy on it. */
static void s_add_item(s_reactor_t *self, shoal_batch_t *batch,
                       const shoal_journal_entry_t *entry, uint32_t index,
                       const void *event, size_t event_size)
{
    if (batch->count % 64 == 0) {
        shoal_batch_item_t *items =
            realloc(batch->items, (batch->count + 64) * sizeof *items);
        assert(items);
        batch->items = items;
    }
    shoal_batch_item_t *item = &batch->items[batch->count++];
    memset(item, 0, sizeof *item);
    item->pos = entry->pos;
    item->index = index;
    item->key = strdup(entry->entity);
    assert(item->key);
    item->shard = entry->shard;
    item->seq = entry->first_seq + index;
    const shoal_policy_t *policy = batch->policy->policy;
    shoal__reaction_init(&item->reaction, shoal__reactor_find_type, self,
                         policy->name, item->key, item->seq,
                         shoal__reactor_now_ms(self));
    int rc = policy->handle(&item->reaction, event, event_size);
    if (rc < 0 || item->reaction.failed)
        s_item_fail(item, item->reaction.reason
                              ? item->reaction.reason
                              : "the policy's handler returned -1");
}

typedef struct {
    s_reactor_t *self;
    shoal_batch_t *batch;
    bool full;
} s_load_t;

/* Takes one journal entry into the batch being loaded. */
static int s_load_entry(const shoal_journal_entry_t *entry, void *arg)
{
    s_load_t *load = arg;
    shoal_batch_t *batch = load->batch;
    s_policy_t *policy = batch->policy;
    if (batch->count + entry->event_count > S_BATCH_ITEMS_MAX &&
        batch->count > 0) {
        load->full = true;
        return 1;
    }
    if (strncmp(entry->entity, policy->prefix, policy->prefix_size) == 0) {
        size_t offset = 0;
        const void *event;
        size_t event_size;
        uint32_t index = 0;
        while (shoal__events_next(entry->events, entry->events_size, &offset,
                                  &event, &event_size) == 1) {
            bool handled = entry->pos == policy->pos && index < policy->index;
            if (!handled)
                s_add_item(load->self, batch, entry, index, event, event_size);
            index++;
        }
    }
    batch->end_pos = entry->pos;
    return 0;
}

/* Reads the next batch of a policy. Returns it, or NULL when the journal
 * holds nothing new for it (its offset then moves over what it read). */
static shoal_batch_t *s_load(s_reactor_t *self, s_policy_t *policy)
{
    shoal_batch_t *batch = s_batch_new(policy, ++policy->generation);
    batch->end_pos = policy->pos;
    s_load_t load = {.self = self, .batch = batch};
    int64_t after = policy->index == UINT32_MAX ? policy->pos : policy->pos - 1;
    int64_t last = after;
    char *error = NULL;
    if (shoal_journal_scan(self->journal, after,
                           (size_t)self->config->policy_batch, s_load_entry,
                           &load, &last, &error) < 0) {
        shoal_log(SHOAL_LOG_ERROR, "policy %s: %s", policy->policy->name,
                  error);
        free(error);
        s_batch_destroy(&batch);
        return NULL;
    }
    if (!load.full && last > batch->end_pos)
        batch->end_pos = last; /* entries without events */
    if (batch->count == 0) {
        if (batch->end_pos > policy->pos ||
            (batch->end_pos == policy->pos && policy->index != UINT32_MAX)) {
            policy->pos = batch->end_pos;
            policy->index = UINT32_MAX;
            policy->offset_dirty = true;
        }
        s_batch_destroy(&batch);
    }
    return batch;
}

/* Sends what a batch may send now. */
static void s_pump(s_reactor_t *self, shoal_batch_t *batch, uint8_t owner)
{
    while (batch->next < batch->count && !batch->stopped) {
        shoal_batch_item_t *item = &batch->items[batch->next];
        if (item->failed) {
            batch->stopped = true;
            return;
        }
        while (item->sent < item->reaction.action_count) {
            shoal_action_t *action = &item->reaction.actions[item->sent];
            if (action->kind != SHOAL_ACTION_DISPATCH) {
                item->sent++;
                continue;
            }
            char key[SHOAL_TYPE_NAME_MAX + SHOAL_ENTITY_ID_MAX + 2];
            snprintf(key, sizeof key, "%s/%s", action->type->name,
                     action->entity_id);
            if (zhashx_lookup(batch->targets, key) ||
                batch->in_flight >= S_IN_FLIGHT_MAX)
                return; /* wait for a reply */
            if (shoal__reactor_send(
                    self, owner,
                    s_tag(batch->generation, batch->next, item->sent),
                    action->type->name, action->entity_id, action->command,
                    action->command_id, action->payload,
                    action->payload_size) < 0) {
                s_item_fail(item, "the node's internal port refused a "
                                  "command");
                batch->stopped = true;
                return;
            }
            zhashx_insert(batch->targets, key, (void *)1);
            item->pending++;
            batch->in_flight++;
            item->sent++;
        }
        batch->next++;
    }
}

/* Writes the publications and timers of item in the open transaction.
 * Returns 0 or -1 with *error set. */
static int s_commit_actions(s_reactor_t *self, const shoal_batch_item_t *item,
                            char **error)
{
    for (size_t i = 0; i < item->reaction.action_count; i++) {
        const shoal_action_t *action = &item->reaction.actions[i];
        if (action->kind == SHOAL_ACTION_PUBLISH) {
            char key[SHOAL_TOPIC_NAME_MAX + 16];
            snprintf(key, sizeof key, "%s/%u", action->topic, item->shard);
            uint64_t seq =
                (uint64_t)(uintptr_t)zhashx_lookup(self->topic_heads, key) + 1;
            shoal_topic_event_t event = {.topic = action->topic,
                                         .shard = item->shard,
                                         .seq = seq,
                                         .entity = item->key,
                                         .written_ms =
                                             shoal__reactor_now_ms(self),
                                         .payload = action->payload,
                                         .payload_size = action->payload_size};
            if (shoal_reactions_publish(self->store, &event, error) < 0)
                return -1;
            zhashx_update(self->topic_heads, key, (void *)(uintptr_t)seq);
            self->published++;
        } else if (action->kind == SHOAL_ACTION_SCHEDULE) {
            shoal_timer_row_t timer = {.id = action->command_id,
                                       .due_ms = action->due_ms,
                                       .type = action->type->name,
                                       .entity_id = action->entity_id,
                                       .command = action->command,
                                       .payload = action->payload,
                                       .payload_size = action->payload_size};
            if (shoal_reactions_add_timer(self->store, &timer, error) < 0)
                return -1;
            self->timers_dirty = true;
        }
    }
    return 0;
}

/* Records each topic's last seq per shard. */
static void s_note_topic_head(const char *topic, uint32_t shard, uint64_t seq,
                              void *arg)
{
    s_reactor_t *self = arg;
    char key[SHOAL_TOPIC_NAME_MAX + 16];
    snprintf(key, sizeof key, "%s/%u", topic, shard);
    zhashx_update(self->topic_heads, key, (void *)(uintptr_t)seq);
}

/* Reloads the topic heads from the journal (after a rollback). */
static int s_load_topic_heads(s_reactor_t *self, char **error)
{
    zhashx_purge(self->topic_heads);
    return shoal_reactions_topic_heads(self->store, s_note_topic_head, self,
                                       error);
}

/* The wait before retry number attempts (1, 2, ...) of a failing event. */
int64_t shoal__reactor_backoff_ms(s_reactor_t *self, uint32_t attempts)
{
    int64_t base = (int64_t)self->config->policy_backoff_ms;
    int64_t wait = base;
    for (uint32_t i = 1; i < attempts && wait < base * 100; i++)
        wait *= 2;
    return wait < base * 100 ? wait : base * 100;
}

/* Commits a policy's batch once nothing of it is in flight. */
static void s_complete(s_reactor_t *self, s_policy_t *policy)
{
    shoal_batch_t *batch = policy->batch;
    size_t done = 0;
    while (done < batch->next && !batch->items[done].failed)
        done++;
    shoal_batch_item_t *failed =
        done < batch->count && batch->items[done].failed ? &batch->items[done]
                                                         : NULL;
    bool park = false;
    uint32_t attempts = 1;
    if (failed) {
        if (policy->head_pos == failed->pos &&
            policy->head_index == failed->index)
            attempts = policy->attempts + 1;
        park = attempts >= self->config->policy_max_attempts;
    }
    char *error = NULL;
    int rc = shoal_journal_begin(self->journal, &error);
    for (size_t i = 0; rc == 0 && i < done; i++)
        rc = s_commit_actions(self, &batch->items[i], &error);
    if (rc == 0 && park) {
        shoal_dead_letter_t letter = {.policy = policy->policy->name,
                                      .pos = failed->pos,
                                      .event_index = failed->index,
                                      .entity = failed->key,
                                      .seq = failed->seq,
                                      .attempts = attempts,
                                      .error = failed->error,
                                      .parked_ms = shoal__reactor_now_ms(self)};
        int64_t id = 0;
        rc = shoal_reactions_park(self->store, &letter, &id, &error);
    }
    size_t moved = done + (park ? 1 : 0);
    int64_t pos = policy->pos;
    uint32_t index = policy->index;
    if (moved == batch->count) {
        pos = batch->end_pos;
        index = UINT32_MAX;
    } else if (moved > 0) {
        pos = batch->items[moved - 1].pos;
        index = batch->items[moved - 1].index + 1;
    }
    if (rc == 0 &&
        (pos != policy->pos || index != policy->index || policy->offset_dirty))
        rc = shoal_reactions_save_offset(self->store, policy->policy->name, pos,
                                         index, &error);
    if (rc == 0)
        rc = shoal_journal_commit(self->journal, &error);
    if (rc < 0) {
        shoal_journal_rollback(self->journal);
        shoal_log(SHOAL_LOG_ERROR, "policy %s: cannot commit its progress: %s",
                  policy->policy->name, error ? error : "out of memory");
        free(error);
        error = NULL;
        if (s_load_topic_heads(self, &error) < 0) {
            shoal_log(SHOAL_LOG_ERROR, "policy %s: %s", policy->policy->name,
                      error);
            free(error);
        }
        policy->phase = S_BACKOFF;
        policy->retry_at = zclock_mono() + shoal__reactor_backoff_ms(self, 1);
        s_batch_destroy(&policy->batch);
        return;
    }
    policy->pos = pos;
    policy->index = index;
    policy->offset_dirty = false;
    policy->handled += done;
    policy->phase = S_IDLE;
    if (failed) {
        free(policy->last_error);
        policy->last_error = strdup(failed->error);
        shoal_log(SHOAL_LOG_WARN,
                  "policy %s: event %" PRIu64 " of %s failed (attempt %u "
                  "of %llu): %s%s",
                  policy->policy->name, failed->seq, failed->key, attempts,
                  (unsigned long long)self->config->policy_max_attempts,
                  failed->error, park ? "; parked as a dead letter" : "");
        if (park) {
            policy->dead_letters++;
            policy->attempts = 0;
            policy->head_pos = 0;
        } else {
            policy->retries++;
            policy->attempts = attempts;
            policy->head_pos = failed->pos;
            policy->head_index = failed->index;
            policy->phase = S_BACKOFF;
            policy->retry_at =
                zclock_mono() + shoal__reactor_backoff_ms(self, attempts);
        }
    }
    s_batch_destroy(&policy->batch);
}

/* Saves offsets that moved over entries with nothing to handle, about
 * once a second. */
static void s_save_dirty_offsets(s_reactor_t *self)
{
    if (zclock_mono() - self->offsets_saved_at < 1000)
        return;
    self->offsets_saved_at = zclock_mono();
    bool any = false;
    for (size_t i = 0; i < self->policy_count; i++)
        any =
            any || (self->policies[i].offset_dirty && !self->policies[i].batch);
    if (!any)
        return;
    char *error = NULL;
    int rc = shoal_journal_begin(self->journal, &error);
    for (size_t i = 0; rc == 0 && i < self->policy_count; i++) {
        s_policy_t *policy = &self->policies[i];
        if (policy->offset_dirty && !policy->batch)
            rc =
                shoal_reactions_save_offset(self->store, policy->policy->name,
                                            policy->pos, policy->index, &error);
    }
    if (rc == 0)
        rc = shoal_journal_commit(self->journal, &error);
    if (rc < 0) {
        shoal_journal_rollback(self->journal);
        shoal_log(SHOAL_LOG_WARN, "policies: cannot save offsets: %s",
                  error ? error : "out of memory");
        free(error);
        return;
    }
    for (size_t i = 0; i < self->policy_count; i++)
        if (!self->policies[i].batch)
            self->policies[i].offset_dirty = false;
}

void shoal__reactor_policies_reload_topics(s_reactor_t *self)
{
    char *error = NULL;
    if (s_load_topic_heads(self, &error) < 0) {
        shoal_log(SHOAL_LOG_ERROR, "topics: cannot reload heads: %s",
                  error ? error : "out of memory");
        free(error);
    }
}

/* Publishes the journal position every policy has handled. */
static void s_publish_handled(s_reactor_t *self)
{
    int64_t handled = INT64_MAX;
    for (size_t i = 0; i < self->policy_count; i++) {
        const s_policy_t *policy = &self->policies[i];
        int64_t pos =
            policy->index == UINT32_MAX ? policy->pos : policy->pos - 1;
        if (pos < handled)
            handled = pos;
    }
    atomic_store(&self->args->stats->handled_pos, handled);
}

void shoal__reactor_policies_step(s_reactor_t *self)
{
    s_publish_handled(self);
    if (self->policy_count == 0)
        return;
    char *error = NULL;
    int64_t last = 0;
    if (shoal_journal_last_pos(self->journal, &last, &error) < 0) {
        shoal_log(SHOAL_LOG_ERROR, "policies: %s", error);
        free(error);
        return;
    }
    self->last_pos = last;
    for (size_t i = 0; i < self->policy_count; i++) {
        s_policy_t *policy = &self->policies[i];
        if (policy->phase == S_BACKOFF && zclock_mono() >= policy->retry_at)
            policy->phase = S_IDLE;
        if (policy->phase == S_IDLE &&
            (last > policy->pos ||
             (last == policy->pos && policy->index != UINT32_MAX))) {
            policy->batch = s_load(self, policy);
            if (policy->batch)
                policy->phase = S_RUNNING;
        }
        if (policy->phase == S_RUNNING) {
            s_pump(self, policy->batch, policy->owner);
            shoal_batch_t *batch = policy->batch;
            if (batch->in_flight == 0 &&
                (batch->next == batch->count || batch->stopped))
                s_complete(self, policy);
        }
    }
    s_save_dirty_offsets(self);
}

/* Finishes the retry of a dead letter once nothing of it is in flight. */
static void s_complete_retry(s_reactor_t *self, size_t slot)
{
    shoal_batch_t *batch = self->retries[slot];
    shoal_batch_item_t *item = &batch->items[0];
    char *error = NULL;
    int rc = -1;
    if (!item->failed) {
        rc = shoal_journal_begin(self->journal, &error);
        if (rc == 0)
            rc = s_commit_actions(self, item, &error);
        if (rc == 0)
            rc = shoal_reactions_unpark(self->store, batch->dead_letter,
                                        &error) < 0
                     ? -1
                     : 0;
        if (rc == 0)
            rc = shoal_journal_commit(self->journal, &error);
        if (rc < 0) {
            shoal_journal_rollback(self->journal);
            char *reload = NULL;
            if (s_load_topic_heads(self, &reload) < 0)
                free(reload);
        }
    }
    char text[768];
    if (rc == 0) {
        batch->policy->handled++;
        if (batch->policy->dead_letters)
            batch->policy->dead_letters--;
        snprintf(text, sizeof text,
                 "{\"dead_letter\": %" PRId64 ", \"outcome\": \"handled\"}",
                 batch->dead_letter);
        shoal__reactor_reply_text(self, batch->route, batch->route_size, text);
        shoal_log(SHOAL_LOG_INFO,
                  "policy %s: dead letter %" PRId64 " handled on retry",
                  batch->policy->policy->name, batch->dead_letter);
    } else {
        snprintf(text, sizeof text, "dead letter %" PRId64 " failed again: %s",
                 batch->dead_letter,
                 item->failed ? item->error
                 : error      ? error
                              : "out of memory");
        shoal__reactor_reply_error(self, batch->route, batch->route_size,
                                   "internal", text);
    }
    free(error);
    s_batch_destroy(&self->retries[slot]);
    self->retries[slot] = self->retries[--self->retry_count];
}

/* Pumps a retry batch and completes it when it is done. */
static void s_step_retry(s_reactor_t *self, size_t slot)
{
    shoal_batch_t *batch = self->retries[slot];
    s_pump(self, batch, S_OWNER_RETRY);
    if (batch->in_flight == 0 &&
        (batch->next == batch->count || batch->stopped))
        s_complete_retry(self, slot);
}

void shoal__reactor_policies_reply(s_reactor_t *self, uint8_t owner,
                                   uint64_t tag, s_reply_t reply,
                                   const char *error_text)
{
    uint16_t generation = (uint16_t)(tag >> 40);
    size_t item_index = (size_t)((tag >> 16) & 0xFFFFFF);
    size_t action_index = (size_t)(tag & 0xFFFF);
    shoal_batch_t *batch = NULL;
    size_t slot = 0;
    if (owner == S_OWNER_RETRY) {
        for (slot = 0; slot < self->retry_count; slot++)
            if (self->retries[slot]->generation == generation) {
                batch = self->retries[slot];
                break;
            }
    } else if (owner < self->policy_count) {
        batch = self->policies[owner].batch;
    }
    if (!batch || batch->generation != generation || item_index >= batch->count)
        return; /* defensive: a reply to no batch in flight */
    shoal_batch_item_t *item = &batch->items[item_index];
    if (action_index >= item->reaction.action_count || item->pending == 0)
        return;
    const shoal_action_t *action = &item->reaction.actions[action_index];
    char key[SHOAL_TYPE_NAME_MAX + SHOAL_ENTITY_ID_MAX + 2];
    snprintf(key, sizeof key, "%s/%s", action->type->name, action->entity_id);
    zhashx_delete(batch->targets, key);
    item->pending--;
    batch->in_flight--;
    if (reply == S_REPLY_ERROR) {
        char text[640];
        snprintf(text, sizeof text, "%s %s/%s: %s", action->command,
                 action->type->name, action->entity_id, error_text);
        s_item_fail(item, text);
        batch->stopped = true;
    } else if (reply == S_REPLY_REJECTED) {
        batch->policy->rejected++;
    }
    if (owner == S_OWNER_RETRY)
        s_step_retry(self, slot);
}

/* Finds a policy by name. */
static s_policy_t *s_find_policy(s_reactor_t *self, const char *name)
{
    for (size_t i = 0; i < self->policy_count; i++)
        if (streq(self->policies[i].policy->name, name))
            return &self->policies[i];
    return NULL;
}

typedef struct {
    shoal_dead_letter_t letter;
    char policy[SHOAL_POLICY_NAME_MAX + 1];
    char entity[SHOAL_TYPE_NAME_MAX + SHOAL_ENTITY_ID_MAX + 2];
} s_letter_copy_t;

/* Copies the dead letter visited. */
static int s_copy_letter(const shoal_dead_letter_t *letter, void *arg)
{
    s_letter_copy_t *copy = arg;
    copy->letter = *letter;
    snprintf(copy->policy, sizeof copy->policy, "%s", letter->policy);
    snprintf(copy->entity, sizeof copy->entity, "%s", letter->entity);
    copy->letter.policy = copy->policy;
    copy->letter.entity = copy->entity;
    copy->letter.error = NULL;
    return 0;
}

void shoal__reactor_policies_retry(s_reactor_t *self,
                                   const shoal_reactor_request_t *request)
{
    s_letter_copy_t copy;
    char *error = NULL;
    char text[512];
    int found = shoal_reactions_get_dead_letter(
        self->store, request->dead_letter, s_copy_letter, &copy, &error);
    s_policy_t *policy = found == 1 ? s_find_policy(self, copy.policy) : NULL;
    for (size_t i = 0; policy && i < self->retry_count; i++)
        if (self->retries[i]->dead_letter == request->dead_letter)
            policy = NULL, found = -2;
    if (found != 1 || !policy) {
        snprintf(text, sizeof text, "%s",
                 found < 0 && error ? error
                 : found == -2      ? "that dead letter is being retried"
                 : found == 0       ? "no such dead letter"
                                    : "its policy is not loaded");
        free(error);
        shoal__reactor_reply_error(self, request->route, request->route_size,
                                   "malformed", text);
        return;
    }
    shoal_journal_entry_t entry;
    int read = shoal_journal_read_entry(self->journal, copy.letter.pos, &entry,
                                        &error);
    const void *event = NULL;
    size_t event_size = 0, offset = 0;
    for (uint32_t i = 0; read == 1 && i <= copy.letter.event_index &&
                         shoal__events_next(entry.events, entry.events_size,
                                            &offset, &event, &event_size) == 1;
         i++)
        if (i < copy.letter.event_index)
            event = NULL;
    if (read != 1 || !event) {
        snprintf(text, sizeof text,
                 "dead letter %" PRId64 ": its event is not in the journal%s%s",
                 request->dead_letter, error ? ": " : "", error ? error : "");
        free(error);
        if (read == 1)
            shoal_journal_entry_clear(&entry);
        shoal__reactor_reply_error(self, request->route, request->route_size,
                                   "internal", text);
        return;
    }
    entry.pos = copy.letter.pos;
    shoal_batch_t *batch = s_batch_new(policy, ++self->retry_generation);
    batch->dead_letter = request->dead_letter;
    memcpy(batch->route, request->route, request->route_size);
    batch->route_size = request->route_size;
    s_add_item(self, batch, &entry, copy.letter.event_index, event, event_size);
    shoal_journal_entry_clear(&entry);
    shoal_batch_t **retries =
        realloc(self->retries, (self->retry_count + 1) * sizeof *retries);
    assert(retries);
    self->retries = retries;
    self->retries[self->retry_count++] = batch;
    s_step_retry(self, self->retry_count - 1);
}

/* Counts a policy's dead letters at start. */
static void s_note_dead_letters(const char *name, uint64_t count, void *arg)
{
    s_policy_t *policy = s_find_policy(arg, name);
    if (policy)
        policy->dead_letters = count;
}

int shoal__reactor_policies_open(s_reactor_t *self, char **error)
{
    const shoal_plugins_t *plugins = self->args->plugins;
    size_t count = shoal_plugins_policy_count(plugins);
    if (count > S_POLICIES_MAX) {
        *error = strdup("more than 200 policies are loaded");
        return -1;
    }
    self->policies = calloc(count ? count : 1, sizeof *self->policies);
    assert(self->policies);
    self->policy_count = count;
    self->topic_heads = zhashx_new();
    assert(self->topic_heads);
    for (size_t i = 0; i < count; i++) {
        s_policy_t *policy = &self->policies[i];
        policy->policy = shoal_plugins_policy_at(plugins, i);
        policy->owner = (uint8_t)i;
        policy->prefix_size =
            (size_t)snprintf(policy->prefix, sizeof policy->prefix, "%s/",
                             policy->policy->source_type);
        if (shoal_reactions_load_offset(self->store, policy->policy->name,
                                        &policy->pos, &policy->index,
                                        error) < 0)
            return -1;
        if (policy->pos == 0)
            policy->index = UINT32_MAX; /* nothing handled yet */
    }
    if (shoal_reactions_dead_letter_counts(self->store, s_note_dead_letters,
                                           self, error) < 0 ||
        shoal_journal_last_pos(self->journal, &self->last_pos, error) < 0)
        return -1;
    return s_load_topic_heads(self, error);
}

void shoal__reactor_policies_close(s_reactor_t *self)
{
    for (size_t i = 0; i < self->policy_count; i++) {
        s_batch_destroy(&self->policies[i].batch);
        free(self->policies[i].last_error);
    }
    free(self->policies);
    self->policies = NULL;
    for (size_t i = 0; i < self->retry_count; i++)
        s_batch_destroy(&self->retries[i]);
    free(self->retries);
    self->retries = NULL;
    zhashx_destroy(&self->topic_heads);
}

/* Sums a topic's heads over its shards. */
static void s_topics_json(s_reactor_t *self, json_t *object, char **metrics)
{
    json_t *topics = json_object();
    for (void *seq = zhashx_first(self->topic_heads); seq;
         seq = zhashx_next(self->topic_heads)) {
        const char *key = zhashx_cursor(self->topic_heads);
        const char *slash = strrchr(key, '/');
        char topic[SHOAL_TOPIC_NAME_MAX + 1];
        snprintf(topic, sizeof topic, "%.*s", (int)(slash - key), key);
        json_t *entry = json_object_get(topics, topic);
        if (!entry) {
            entry = json_pack("{s:I, s:{}}", "head", (json_int_t)0, "shards");
            json_object_set_new(topics, topic, entry);
        }
        json_int_t head = json_integer_value(json_object_get(entry, "head"));
        json_object_set_new(entry, "head",
                            json_integer(head + (json_int_t)(uintptr_t)seq));
        json_object_set_new(json_object_get(entry, "shards"), slash + 1,
                            json_integer((json_int_t)(uintptr_t)seq));
    }
    const char *topic;
    json_t *entry;
    json_object_foreach(topics, topic, entry)
    {
        char *more = NULL;
        if (asprintf(&more, "%sshoal_topic_head{topic=\"%s\"} %lld\n", *metrics,
                     topic,
                     (long long)json_integer_value(
                         json_object_get(entry, "head"))) >= 0) {
            free(*metrics);
            *metrics = more;
        }
    }
    json_object_set_new(object, "topics", topics);
}

void shoal__reactor_policies_stats(s_reactor_t *self, void *json_object_p,
                                   char **metrics)
{
    json_t *object = json_object_p;
    json_t *list = json_array();
    char *text = strdup("# TYPE shoal_policy_lag gauge\n"
                        "# TYPE shoal_policy_handled_total counter\n"
                        "# TYPE shoal_policy_retries_total counter\n"
                        "# TYPE shoal_policy_dead_letters gauge\n"
                        "# TYPE shoal_topic_head gauge\n");
    for (size_t i = 0; i < self->policy_count; i++) {
        s_policy_t *policy = &self->policies[i];
        int64_t lag =
            self->last_pos > policy->pos ? self->last_pos - policy->pos : 0;
        if (lag == 0 && policy->index != UINT32_MAX && policy->pos)
            lag = 1;
        const char *state = policy->phase == S_RUNNING   ? "running"
                            : policy->phase == S_BACKOFF ? "backoff"
                                                         : "idle";
        json_array_append_new(
            list,
            json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s?}",
                      "name", policy->policy->name, "source_type",
                      policy->policy->source_type, "state", state, "position",
                      (json_int_t)policy->pos, "lag", (json_int_t)lag,
                      "handled", (json_int_t)policy->handled, "retries",
                      (json_int_t)policy->retries, "dead_letters",
                      (json_int_t)policy->dead_letters, "rejected",
                      (json_int_t)policy->rejected, "last_error",
                      policy->last_error));
        char *more = NULL;
        const char *name = policy->policy->name;
        if (text && asprintf(&more,
                             "%sshoal_policy_lag{policy=\"%s\"} %lld\n"
                             "shoal_policy_handled_total{policy=\"%s\"} %llu\n"
                             "shoal_policy_retries_total{policy=\"%s\"} %llu\n"
                             "shoal_policy_dead_letters{policy=\"%s\"} %llu\n",
                             text, name, (long long)lag, name,
                             (unsigned long long)policy->handled, name,
                             (unsigned long long)policy->retries, name,
                             (unsigned long long)policy->dead_letters) >= 0) {
            free(text);
            text = more;
        }
    }
    json_object_set_new(object, "policies", list);
    if (text) {
        s_topics_json(self, object, &text);
        char *joined = NULL;
        if (asprintf(&joined, "%s%s", *metrics ? *metrics : "", text) >= 0) {
            free(*metrics);
            *metrics = joined;
        }
        free(text);
    }
}
