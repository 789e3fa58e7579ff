/*
 * actors/reaction.c - a policy's reaction to one event (see reaction.h)
 * and the shoal_reaction_* functions plugins call.
 */
#include "actors/reaction.h"

#include <inttypes.h>
#include <stdio.h>
#include "actors/names.h"

#include <stdlib.h>
#include <string.h>

void shoal__reaction_init(shoal_reaction_t *reaction,
                          shoal_reaction_find_type_fn find_type, void *find_arg,
                          const char *policy, const char *source_key,
                          uint64_t sequence, int64_t now_ms)
{
    memset(reaction, 0, sizeof *reaction);
    reaction->find_type = find_type;
    reaction->find_arg = find_arg;
    reaction->policy = policy;
    reaction->source_key = source_key;
    const char *slash = strchr(source_key, '/');
    reaction->entity_id = slash ? slash + 1 : source_key;
    reaction->sequence = sequence;
    reaction->now_ms = now_ms;
}

void shoal__reaction_clear(shoal_reaction_t *reaction)
{
    for (size_t i = 0; i < reaction->action_count; i++) {
        shoal_action_t *action = &reaction->actions[i];
        free(action->entity_id);
        free(action->command);
        free(action->topic);
        free(action->payload);
    }
    free(reaction->actions);
    free(reaction->reason);
    memset(reaction, 0, sizeof *reaction);
}

/* FNV-1a over size bytes, continuing from hash. */
static uint64_t s_fnv(uint64_t hash, const void *data, size_t size)
{
    const uint8_t *bytes = data;
    for (size_t i = 0; i < size; i++) {
        hash ^= bytes[i];
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

void shoal__reaction_command_id(const char *policy, const char *source_key,
                                uint64_t sequence, size_t index,
                                char buffer[SHOAL_COMMAND_ID_MAX + 1])
{
    uint64_t numbers[2] = {sequence, (uint64_t)index};
    uint64_t halves[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
    for (int i = 0; i < 2; i++) {
        halves[i] = s_fnv(halves[i], policy, strlen(policy) + 1);
        halves[i] = s_fnv(halves[i], source_key, strlen(source_key) + 1);
        halves[i] = s_fnv(halves[i], numbers, sizeof numbers);
    }
    snprintf(buffer, SHOAL_COMMAND_ID_MAX + 1, "%s:%016" PRIx64 "%016" PRIx64,
             policy, halves[0], halves[1]);
}

/* Marks the reaction failed with reason (the first reason stays). Returns
 * -1, for the caller to return. */
static int s_fail(shoal_reaction_t *reaction, const char *reason)
{
    reaction->failed = true;
    if (!reaction->reason)
        reaction->reason = strdup(reason);
    return -1;
}

/* Appends an action with a copy of payload. Returns it, or NULL when out
 * of memory or past the limit (the reaction is then failed). */
static shoal_action_t *s_add(shoal_reaction_t *reaction,
                             shoal_action_kind_t kind, const void *payload,
                             size_t size)
{
    if (reaction->action_count >= SHOAL_REACTION_MAX_ACTIONS) {
        s_fail(reaction, "more than 1000 actions for one event");
        return NULL;
    }
    if (reaction->action_count == reaction->action_capacity) {
        size_t capacity =
            reaction->action_capacity ? reaction->action_capacity * 2 : 4;
        shoal_action_t *actions =
            realloc(reaction->actions, capacity * sizeof *actions);
        if (!actions) {
            s_fail(reaction, "out of memory");
            return NULL;
        }
        reaction->actions = actions;
        reaction->action_capacity = capacity;
    }
    void *copy = malloc(size ? size : 1);
    if (!copy) {
        s_fail(reaction, "out of memory");
        return NULL;
    }
    if (size)
        memcpy(copy, payload, size);
    shoal_action_t *action = &reaction->actions[reaction->action_count++];
    memset(action, 0, sizeof *action);
    action->kind = kind;
    action->payload = copy;
    action->payload_size = size;
    return action;
}

/* Fills the target of a dispatch or schedule. Returns 0 or -1. */
static int s_target(shoal_reaction_t *reaction, shoal_action_kind_t kind,
                    const char *type, const char *entity_id,
                    const char *command, const void *payload, size_t size)
{
    const shoal_type_t *found =
        type ? reaction->find_type(reaction->find_arg, type) : NULL;
    if (!found)
        return s_fail(reaction, "the policy sent a command to an unknown "
                                "type");
    if (!shoal_entity_id_is_valid(entity_id) ||
        !shoal_name_is_valid(command, command ? strlen(command) : 0,
                             SHOAL_COMMAND_NAME_MAX))
        return s_fail(reaction, "the policy sent a command with an invalid "
                                "entity id or command name");
    size_t index = reaction->action_count;
    shoal_action_t *action = s_add(reaction, kind, payload, size);
    if (!action)
        return -1;
    action->type = found;
    action->entity_id = strdup(entity_id);
    action->command = strdup(command);
    if (!action->entity_id || !action->command)
        return s_fail(reaction, "out of memory");
    shoal__reaction_command_id(reaction->policy, reaction->source_key,
                               reaction->sequence, index, action->command_id);
    return 0;
}

int64_t shoal_reaction_now_ms(const shoal_reaction_t *reaction)
{
    return reaction->now_ms;
}

const char *shoal_reaction_entity_id(const shoal_reaction_t *reaction)
{
    return reaction->entity_id;
}

uint64_t shoal_reaction_sequence(const shoal_reaction_t *reaction)
{
    return reaction->sequence;
}

int shoal_reaction_dispatch(shoal_reaction_t *reaction, const char *type,
                            const char *entity_id, const char *command,
                            const void *payload, size_t size)
{
    return s_target(reaction, SHOAL_ACTION_DISPATCH, type, entity_id, command,
                    payload, size);
}

int shoal_reaction_publish(shoal_reaction_t *reaction, const char *topic,
                           const void *payload, size_t size)
{
    if (!shoal_name_is_valid(topic, topic ? strlen(topic) : 0,
                             SHOAL_TOPIC_NAME_MAX))
        return s_fail(reaction, "the policy published to an invalid topic "
                                "name (want [A-Za-z0-9_-]{1,64})");
    shoal_action_t *action =
        s_add(reaction, SHOAL_ACTION_PUBLISH, payload, size);
    if (!action)
        return -1;
    action->topic = strdup(topic);
    return action->topic ? 0 : s_fail(reaction, "out of memory");
}

int shoal_reaction_schedule(shoal_reaction_t *reaction, int64_t due_ms,
                            const char *type, const char *entity_id,
                            const char *command, const void *payload,
                            size_t size)
{
    if (s_target(reaction, SHOAL_ACTION_SCHEDULE, type, entity_id, command,
                 payload, size) < 0)
        return -1;
    reaction->actions[reaction->action_count - 1].due_ms = due_ms;
    return 0;
}

void shoal_reaction_fail(shoal_reaction_t *reaction, const char *reason)
{
    s_fail(reaction, reason ? reason : "the policy failed");
}
