/*
 * actors/messages.c - construction and destruction of the messages that
 * cross threads (see messages.h). The recovery load is recovery_load.c.
 */
#include "actors/messages.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies size bytes to *cursor, NUL-terminates, advances the cursor, and
 * returns where the copy starts. */
static char *s_put(char **cursor, const void *data, size_t size)
{
    char *start = *cursor;
    if (size)
        memcpy(start, data, size);
    start[size] = '\0';
    *cursor += size + 1;
    return start;
}

shoal_request_t *shoal_request_new(shoal_request_kind_t kind,
                                   const shoal_type_t *type, uint32_t shard,
                                   const char *entity_id,
                                   const char *command_name,
                                   const char *command_id, const void *payload,
                                   size_t payload_size, const void *route,
                                   size_t route_size)
{
    assert(type && entity_id);
    if (!command_name)
        command_name = "";
    bool has_id = command_id && *command_id;
    size_t type_size = strlen(type->name), id_size = strlen(entity_id);
    size_t name_size = strlen(command_name);
    size_t command_id_size = has_id ? strlen(command_id) : 0;
    size_t total = sizeof(shoal_request_t) + type_size + 1 + id_size + 1 +
                   name_size + 1 + command_id_size + 1 + payload_size + 1 +
                   route_size + 1;
    shoal_request_t *self = malloc(total);
    if (!self)
        return NULL;
    self->next = NULL;
    self->kind = kind;
    self->type = type;
    self->shard = shard;
    self->epoch = 0;
    char *cursor = self->data;
    char *key = cursor;
    memcpy(cursor, type->name, type_size);
    cursor[type_size] = '/';
    cursor += type_size + 1;
    self->entity_id = s_put(&cursor, entity_id, id_size);
    self->key = key;
    self->command_name = s_put(&cursor, command_name, name_size);
    self->command_id =
        has_id ? s_put(&cursor, command_id, command_id_size) : NULL;
    self->payload = s_put(&cursor, payload, payload_size);
    self->payload_size = payload_size;
    self->route = s_put(&cursor, route, route_size);
    self->route_size = route_size;
    return self;
}

void shoal_request_destroy(shoal_request_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

shoal_append_t *shoal_append_new_entry(uint32_t worker, void *entity,
                                       const shoal_journal_entry_t *entry)
{
    size_t key_size = strlen(entry->entity);
    size_t id_size = entry->command_id ? strlen(entry->command_id) : 0;
    size_t total = sizeof(shoal_append_t) + key_size + 1 + id_size + 1 +
                   entry->reply_size + 1 + entry->events_size + 1;
    shoal_append_t *self = calloc(1, total);
    if (!self)
        return NULL;
    self->worker = worker;
    self->entity = entity;
    self->shard = entry->shard;
    self->entry = *entry;
    char *cursor = self->data;
    self->entity_key = s_put(&cursor, entry->entity, key_size);
    self->entry.entity = self->entity_key;
    self->entry.command_id =
        entry->command_id ? s_put(&cursor, entry->command_id, id_size) : NULL;
    self->entry.reply = s_put(&cursor, entry->reply, entry->reply_size);
    self->entry.events = s_put(&cursor, entry->events, entry->events_size);
    return self;
}

shoal_append_t *shoal_append_new_snapshot(uint32_t worker,
                                          const char *entity_key,
                                          shoal_snapshot_t *snapshot)
{
    size_t key_size = strlen(entity_key);
    shoal_append_t *self = calloc(1, sizeof(shoal_append_t) + key_size + 1);
    if (!self) {
        shoal_snapshot_clear(snapshot);
        return NULL;
    }
    self->is_snapshot = true;
    self->worker = worker;
    char *cursor = self->data;
    self->entity_key = s_put(&cursor, entity_key, key_size);
    self->snapshot = *snapshot;
    memset(snapshot, 0, sizeof *snapshot);
    return self;
}

void shoal_append_destroy(shoal_append_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_append_t *self = *self_p;
    if (self->is_snapshot)
        shoal_snapshot_clear(&self->snapshot);
    free(self->error);
    free(self);
    *self_p = NULL;
}

shoal_recovery_t *shoal_recovery_new(uint32_t worker, void *entity,
                                     const char *key, int64_t head_pos)
{
    shoal_recovery_t *self = calloc(1, sizeof *self);
    if (!self || !(self->key = strdup(key))) {
        free(self);
        return NULL;
    }
    self->worker = worker;
    self->entity = entity;
    self->head_pos = head_pos;
    shoal_arena_init(&self->entry_bytes);
    return self;
}

void shoal_recovery_clear_results(shoal_recovery_t *self)
{
    free(self->entries);
    self->entries = NULL;
    self->entry_count = 0;
    self->entry_capacity = 0;
    shoal_arena_release(&self->entry_bytes);
    shoal_snapshot_clear(&self->snapshot);
    self->has_snapshot = false;
    free(self->error);
    self->error = NULL;
}

void shoal_recovery_destroy(shoal_recovery_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_recovery_t *self = *self_p;
    shoal_recovery_clear_results(self);
    free(self->key);
    free(self);
    *self_p = NULL;
}

/* Copies size bytes and a NUL to *cursor, advancing it; returns the copy,
 * or NULL when data is NULL. */
static const void *s_put_optional(char **cursor, const void *data, size_t size)
{
    return data ? s_put(cursor, data, size) : NULL;
}

int shoal_recovery_push_entry(shoal_recovery_t *self,
                              const shoal_journal_entry_t *entry)
{
    if (self->entry_count == self->entry_capacity) {
        size_t grown = self->entry_capacity ? self->entry_capacity * 2 : 16;
        shoal_journal_entry_t *bigger =
            realloc(self->entries, grown * sizeof *bigger);
        if (!bigger)
            return -1;
        self->entries = bigger;
        self->entry_capacity = grown;
    }
    size_t entity_size = entry->entity ? strlen(entry->entity) : 0;
    size_t id_size = entry->command_id ? strlen(entry->command_id) : 0;
    char *cursor = shoal_arena_alloc(
        &self->entry_bytes, entity_size + 1 + id_size + 1 + entry->reply_size +
                                1 + entry->events_size + 1);
    if (!cursor)
        return -1;
    shoal_journal_entry_t *copy = &self->entries[self->entry_count++];
    *copy = *entry;
    copy->entity = s_put_optional(&cursor, entry->entity, entity_size);
    copy->command_id = s_put_optional(&cursor, entry->command_id, id_size);
    copy->reply = s_put_optional(&cursor, entry->reply, entry->reply_size);
    copy->events = s_put_optional(&cursor, entry->events, entry->events_size);
    return 0;
}
