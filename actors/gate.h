/*
 * actors/gate.h - the gate a gatekeeper works through: the runtime side of
 * the shoal_gate_* functions of include/shoal/plugin.h.
 *
 * A gate lives as long as one guarded command waits at the edge. Each call
 * of the gatekeeper is a round: the gatekeeper either decides (forward,
 * reject, dispatch elsewhere) or asks for other entities' query output and
 * returns; the runtime then gathers the answers (or times them out) and
 * calls it again with them. The gate knows nothing of sockets: whoever
 * runs the gatekeeper reads the asks and the decision from it.
 */
#ifndef SHOAL_ACTORS_GATE_H
#define SHOAL_ACTORS_GATE_H

#include "shoal/plugin.h"

#include <stdbool.h>

/* Most asks in one round, and most rounds for one command. */
#define SHOAL_GATE_MAX_ASKS 8
#define SHOAL_GATE_MAX_ROUNDS 8

typedef enum {
    SHOAL_GATE_UNDECIDED = 0,
    SHOAL_GATE_FORWARD,  /* to the command's own entity, payload replaced */
    SHOAL_GATE_REJECT,   /* reason */
    SHOAL_GATE_DISPATCH, /* target_type/target_id/target_command, payload */
    SHOAL_GATE_FAILED,   /* a decision call failed: reason */
} shoal_gate_decision_t;

/* Resolves a type name for the gate; NULL when no plugin declares it. */
typedef const shoal_type_t *(*shoal_gate_find_type_fn)(void *arg,
                                                       const char *name);

typedef struct {
    const shoal_type_t *type;
    char entity_id[SHOAL_ENTITY_ID_MAX + 1];
    int64_t timeout_ms;
} shoal_gate_ask_t;

typedef struct {
    char *text; /* owned; NULL when the ask failed or timed out */
    uint64_t sequence;
} shoal_gate_answer_t;

struct shoal_gate {
    shoal_gate_find_type_fn find_type;
    void *find_arg;
    int64_t now_ms;
    const char *entity_id; /* borrowed: the guarded command's entity */
    int64_t default_timeout_ms;
    unsigned round;
    unsigned answer_count; /* answers to the previous round's asks */
    shoal_gate_answer_t answers[SHOAL_GATE_MAX_ASKS];
    unsigned ask_count; /* asks of this round */
    shoal_gate_ask_t asks[SHOAL_GATE_MAX_ASKS];
    shoal_gate_decision_t decision;
    void *payload; /* owned; FORWARD and DISPATCH */
    size_t payload_size;
    char *reason; /* owned; REJECT and FAILED */
    const shoal_type_t *target_type;
    char target_id[SHOAL_ENTITY_ID_MAX + 1];
    char target_command[SHOAL_COMMAND_NAME_MAX + 1];
};

/* Prepares a gate for one command addressed to entity_id (borrowed; must
 * outlive the gate). Asks without a timeout wait default_timeout_ms. */
void shoal__gate_init(shoal_gate_t *gate, shoal_gate_find_type_fn find_type,
                      void *find_arg, const char *entity_id,
                      int64_t default_timeout_ms);

/* Starts the next round after the asks of this one: the answers of the
 * previous round are dropped, room is made for one answer per ask (each
 * failed until shoal__gate_set_answer), and the asks are cleared. */
void shoal__gate_next_round(shoal_gate_t *gate);

/* Records the answer to ask index of the round just ended: text (copied;
 * NULL for a failure) and the entity's sequence. Returns 0, or -1 when out
 * of memory (the answer then stays failed). */
int shoal__gate_set_answer(shoal_gate_t *gate, unsigned index, const void *text,
                           size_t text_size, uint64_t sequence);

/* Frees what the gate owns and zeroes it. */
void shoal__gate_clear(shoal_gate_t *gate);

#endif
