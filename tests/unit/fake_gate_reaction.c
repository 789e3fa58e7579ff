/*
 * tests/unit/fake_gate_reaction.c - the test double of the runtime's gate
 * and reaction (see fake_gate_reaction.h): it records, it decides nothing.
 * Like the runtime, it copies every string and payload handed to it.
 */
#include "tests/unit/fake_gate_reaction.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Returns a NUL-terminated copy of size bytes at data (NULL: empty). */
static char *s_copy(const void *data, size_t size)
{
    char *copy = malloc(size + 1);
    assert(copy);
    if (size)
        memcpy(copy, data, size);
    copy[size] = '\0';
    return copy;
}

static char *s_copy_string(const char *text)
{
    return text ? s_copy(text, strlen(text)) : NULL;
}

/* --- The gate ----------------------------------------------------------- */

void fake_gate_init(shoal_gate_t *gate, int64_t now_ms, const char *entity_id)
{
    memset(gate, 0, sizeof *gate);
    gate->now_ms = now_ms;
    gate->entity_id = s_copy_string(entity_id);
}

/* Frees the decision recorded. */
static void s_clear_decision(shoal_gate_t *gate)
{
    free(gate->reason);
    free(gate->payload);
    free(gate->dispatch_type);
    free(gate->dispatch_entity_id);
    free(gate->dispatch_command);
    gate->reason = gate->payload = NULL;
    gate->dispatch_type = gate->dispatch_entity_id = NULL;
    gate->dispatch_command = NULL;
    gate->decision = FAKE_GATE_UNDECIDED;
}

/* Frees what the gate recorded in this round. */
static void s_clear_round(shoal_gate_t *gate)
{
    for (size_t i = 0; i < gate->ask_count; i++) {
        free(gate->asks[i].type);
        free(gate->asks[i].entity_id);
    }
    gate->ask_count = 0;
    memset(gate->asks, 0, sizeof gate->asks);
    s_clear_decision(gate);
    gate->decision_count = 0;
}

void fake_gate_fini(shoal_gate_t *gate)
{
    s_clear_round(gate);
    for (size_t i = 0; i < FAKE_GATE_MAX_ASKS; i++)
        free(gate->answers[i].text);
    free(gate->entity_id);
    memset(gate, 0, sizeof *gate);
}

void fake_gate_set_answer(shoal_gate_t *gate, unsigned index, const char *text,
                          uint64_t sequence)
{
    assert(index < FAKE_GATE_MAX_ASKS);
    free(gate->answers[index].text);
    gate->answers[index].text = s_copy_string(text);
    gate->answers[index].sequence = sequence;
}

void fake_gate_next_round(shoal_gate_t *gate)
{
    s_clear_round(gate);
    gate->round++;
}

int64_t shoal_gate_now_ms(const shoal_gate_t *gate)
{
    return gate->now_ms;
}

const char *shoal_gate_entity_id(const shoal_gate_t *gate)
{
    return gate->entity_id;
}

unsigned shoal_gate_round(const shoal_gate_t *gate)
{
    return gate->round;
}

int shoal_gate_ask(shoal_gate_t *gate, const char *type, const char *entity_id,
                   int64_t timeout_ms)
{
    if (gate->fail_asks || gate->ask_count == FAKE_GATE_MAX_ASKS)
        return -1;
    fake_gate_ask_t *ask = &gate->asks[gate->ask_count];
    ask->type = s_copy_string(type);
    ask->entity_id = s_copy_string(entity_id);
    ask->timeout_ms = timeout_ms;
    return (int)gate->ask_count++;
}

const char *shoal_gate_answer(const shoal_gate_t *gate, unsigned index,
                              uint64_t *sequence)
{
    if (index >= FAKE_GATE_MAX_ASKS || !gate->answers[index].text) {
        *sequence = 0;
        return NULL;
    }
    *sequence = gate->answers[index].sequence;
    return gate->answers[index].text;
}

/* Records a decision, the last one winning; the test checks there was
 * only one through decision_count. */
static int s_decide(shoal_gate_t *gate, fake_gate_decision_t decision)
{
    if (gate->fail_decisions)
        return -1;
    s_clear_decision(gate);
    gate->decision = decision;
    gate->decision_count++;
    return 0;
}

int shoal_gate_forward(shoal_gate_t *gate, const void *payload, size_t size)
{
    if (s_decide(gate, FAKE_GATE_FORWARD) < 0)
        return -1;
    gate->payload = s_copy(payload, size);
    return 0;
}

int shoal_gate_reject(shoal_gate_t *gate, const char *reason)
{
    if (s_decide(gate, FAKE_GATE_REJECT) < 0)
        return -1;
    gate->reason = s_copy_string(reason);
    return 0;
}

int shoal_gate_dispatch(shoal_gate_t *gate, const char *type,
                        const char *entity_id, const char *command,
                        const void *payload, size_t size)
{
    if (s_decide(gate, FAKE_GATE_DISPATCH) < 0)
        return -1;
    gate->dispatch_type = s_copy_string(type);
    gate->dispatch_entity_id = s_copy_string(entity_id);
    gate->dispatch_command = s_copy_string(command);
    gate->payload = s_copy(payload, size);
    return 0;
}

/* --- The reaction ------------------------------------------------------- */

void fake_reaction_init(shoal_reaction_t *reaction, int64_t now_ms,
                        const char *entity_id, uint64_t sequence)
{
    memset(reaction, 0, sizeof *reaction);
    reaction->now_ms = now_ms;
    reaction->entity_id = s_copy_string(entity_id);
    reaction->sequence = sequence;
}

void fake_reaction_fini(shoal_reaction_t *reaction)
{
    for (size_t i = 0; i < reaction->action_count; i++) {
        fake_reaction_action_t *action = &reaction->actions[i];
        free(action->type);
        free(action->entity_id);
        free(action->command);
        free(action->topic);
        free(action->payload);
    }
    free(reaction->failure);
    free(reaction->entity_id);
    memset(reaction, 0, sizeof *reaction);
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

/* Returns the next action slot, or NULL when the calls fail or the
 * record is full. */
static fake_reaction_action_t *s_record(shoal_reaction_t *reaction,
                                        fake_reaction_kind_t kind)
{
    if (reaction->fail_calls ||
        reaction->action_count == FAKE_REACTION_MAX_ACTIONS)
        return NULL;
    fake_reaction_action_t *action =
        &reaction->actions[reaction->action_count++];
    memset(action, 0, sizeof *action);
    action->kind = kind;
    return action;
}

int shoal_reaction_dispatch(shoal_reaction_t *reaction, const char *type,
                            const char *entity_id, const char *command,
                            const void *payload, size_t size)
{
    fake_reaction_action_t *action = s_record(reaction, FAKE_REACTION_DISPATCH);
    if (!action)
        return -1;
    action->type = s_copy_string(type);
    action->entity_id = s_copy_string(entity_id);
    action->command = s_copy_string(command);
    action->payload = s_copy(payload, size);
    return 0;
}

int shoal_reaction_publish(shoal_reaction_t *reaction, const char *topic,
                           const void *payload, size_t size)
{
    fake_reaction_action_t *action = s_record(reaction, FAKE_REACTION_PUBLISH);
    if (!action)
        return -1;
    action->topic = s_copy_string(topic);
    action->payload = s_copy(payload, size);
    return 0;
}

int shoal_reaction_schedule(shoal_reaction_t *reaction, int64_t due_ms,
                            const char *type, const char *entity_id,
                            const char *command, const void *payload,
                            size_t size)
{
    fake_reaction_action_t *action = s_record(reaction, FAKE_REACTION_SCHEDULE);
    if (!action)
        return -1;
    action->due_ms = due_ms;
    action->type = s_copy_string(type);
    action->entity_id = s_copy_string(entity_id);
    action->command = s_copy_string(command);
    action->payload = s_copy(payload, size);
    return 0;
}

void shoal_reaction_fail(shoal_reaction_t *reaction, const char *reason)
{
    free(reaction->failure);
    reaction->failure = s_copy_string(reason ? reason : "");
    reaction->failure_count++;
}
