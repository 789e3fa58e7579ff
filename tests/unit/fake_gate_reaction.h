/*
 * tests/unit/fake_gate_reaction.h - a test double of the runtime's gate
 * and reaction: every shoal_gate_* and shoal_reaction_* function of
 * shoal/plugin.h, over plain structs that a test fills (the clock, the
 * entity, the round, the answers to asks) and that record what the
 * gatekeeper or policy did (its decision, asks, dispatches, publications,
 * schedules, failure), so that plugins' gatekeepers and policies can be
 * unit tested without a node.
 *
 * The structs are complete here: tests read and set their fields. Every
 * string in them is a malloc'd, NUL-terminated copy owned by the struct
 * and freed by its fini function.
 */
#ifndef SHOAL_TESTS_FAKE_GATE_REACTION_H
#define SHOAL_TESTS_FAKE_GATE_REACTION_H

#include "shoal/plugin.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* As the runtime: at most 8 asks per round. */
#define FAKE_GATE_MAX_ASKS 8
/* The most actions one fake reaction records. */
#define FAKE_REACTION_MAX_ACTIONS 32

typedef enum {
    FAKE_GATE_UNDECIDED,
    FAKE_GATE_FORWARD,
    FAKE_GATE_REJECT,
    FAKE_GATE_DISPATCH,
} fake_gate_decision_t;

typedef struct {
    char *type;
    char *entity_id;
    int64_t timeout_ms;
} fake_gate_ask_t;

typedef struct {
    char *text; /* NULL: the ask failed or timed out */
    uint64_t sequence;
} fake_gate_answer_t;

struct shoal_gate {
    /* Set by the test (fake_gate_init, fake_gate_set_answer,
     * fake_gate_next_round). */
    int64_t now_ms;
    char *entity_id;
    unsigned round;
    fake_gate_answer_t answers[FAKE_GATE_MAX_ASKS]; /* of the last round */
    bool fail_asks;                                 /* every ask returns -1 */
    bool fail_decisions; /* every forward, reject and dispatch returns -1 */

    /* Recorded, for the current round. */
    size_t ask_count;
    fake_gate_ask_t asks[FAKE_GATE_MAX_ASKS];
    size_t decision_count; /* a gatekeeper decides at most once */
    fake_gate_decision_t decision;
    char *reason;  /* of a rejection */
    char *payload; /* of a forward or a dispatch */
    char *dispatch_type;
    char *dispatch_entity_id;
    char *dispatch_command;
};

/* Prepares gate for round 0 of a command to entity_id (copied) at
 * now_ms. */
void fake_gate_init(shoal_gate_t *gate, int64_t now_ms, const char *entity_id);

/* Frees everything the gate holds and zeroes it. */
void fake_gate_fini(shoal_gate_t *gate);

/* Sets the answer to ask index of the round that ends: text (copied; NULL
 * for a failed or timed-out ask) and the entity's sequence. */
void fake_gate_set_answer(shoal_gate_t *gate, unsigned index, const char *text,
                          uint64_t sequence);

/* Ends the round: clears the asks and the decision and counts a round. The
 * answers stay for the next call of the gatekeeper. */
void fake_gate_next_round(shoal_gate_t *gate);

typedef enum {
    FAKE_REACTION_DISPATCH,
    FAKE_REACTION_PUBLISH,
    FAKE_REACTION_SCHEDULE,
} fake_reaction_kind_t;

typedef struct {
    fake_reaction_kind_t kind;
    char *type;      /* dispatch, schedule */
    char *entity_id; /* dispatch, schedule */
    char *command;   /* dispatch, schedule */
    char *topic;     /* publish */
    char *payload;
    int64_t due_ms; /* schedule */
} fake_reaction_action_t;

struct shoal_reaction {
    /* Set by the test (fake_reaction_init). */
    int64_t now_ms;
    char *entity_id;
    uint64_t sequence;
    bool fail_calls; /* every dispatch, publish and schedule returns -1 */

    /* Recorded. */
    size_t action_count;
    fake_reaction_action_t actions[FAKE_REACTION_MAX_ACTIONS];
    size_t failure_count;
    char *failure; /* the last reason given to shoal_reaction_fail */
};

/* Prepares reaction for an event of entity_id (copied) with sequence, at
 * now_ms. */
void fake_reaction_init(shoal_reaction_t *reaction, int64_t now_ms,
                        const char *entity_id, uint64_t sequence);

/* Frees everything the reaction holds and zeroes it. */
void fake_reaction_fini(shoal_reaction_t *reaction);

#endif
