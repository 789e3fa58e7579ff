/*
 * actors/reaction.h - the reaction of one policy to one durable event: the
 * runtime side of the shoal_reaction_* functions of include/shoal/plugin.h.
 *
 * A reaction collects what the policy wants done (commands to dispatch,
 * public events to publish, commands to schedule) as a list of actions;
 * the runtime carries them out afterwards. Every command an action sends
 * gets an id derived from the policy, the source entity, the event's
 * sequence and the action's index, so handling the same event again
 * yields the same ids, and the targets' deduplication applies each once.
 */
#ifndef SHOAL_ACTORS_REACTION_H
#define SHOAL_ACTORS_REACTION_H

#include "shoal/plugin.h"

#include <stdbool.h>

/* Most actions one event may produce. */
#define SHOAL_REACTION_MAX_ACTIONS 1000

typedef enum {
    SHOAL_ACTION_DISPATCH,
    SHOAL_ACTION_PUBLISH,
    SHOAL_ACTION_SCHEDULE,
} shoal_action_kind_t;

/* One action; every pointer owned by the reaction. */
typedef struct {
    shoal_action_kind_t kind;
    const shoal_type_t *type; /* DISPATCH, SCHEDULE */
    char *entity_id;          /* DISPATCH, SCHEDULE */
    char *command;            /* DISPATCH, SCHEDULE */
    char *topic;              /* PUBLISH */
    int64_t due_ms;           /* SCHEDULE */
    void *payload;
    size_t payload_size;
    char command_id[SHOAL_COMMAND_ID_MAX + 1]; /* DISPATCH, SCHEDULE */
} shoal_action_t;

/* Resolves a type name; NULL when no plugin declares it. */
typedef const shoal_type_t *(*shoal_reaction_find_type_fn)(void *arg,
                                                           const char *name);

struct shoal_reaction {
    shoal_reaction_find_type_fn find_type;
    void *find_arg;
    const char *policy;     /* borrowed */
    const char *source_key; /* "type/id", borrowed */
    const char *entity_id;  /* the id part of source_key */
    uint64_t sequence;
    int64_t now_ms;
    shoal_action_t *actions;
    size_t action_count, action_capacity;
    bool failed;  /* a call failed, or the policy called fail */
    char *reason; /* owned; why it failed */
};

/* Prepares a reaction of policy to the event of source_key (borrowed,
 * "type/id") numbered sequence. */
void shoal__reaction_init(shoal_reaction_t *reaction,
                          shoal_reaction_find_type_fn find_type, void *find_arg,
                          const char *policy, const char *source_key,
                          uint64_t sequence, int64_t now_ms);

/* Frees the actions and the reason and zeroes the reaction. */
void shoal__reaction_clear(shoal_reaction_t *reaction);

/* Writes the command id for action index of the event into buffer: the
 * policy's name, a colon and 32 hex digits of a hash of the policy, the
 * source key, the sequence and the index. */
void shoal__reaction_command_id(const char *policy, const char *source_key,
                                uint64_t sequence, size_t index,
                                char buffer[SHOAL_COMMAND_ID_MAX + 1]);

#endif
