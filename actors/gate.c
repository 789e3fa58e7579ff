/*
 * actors/gate.c - the gate of a gatekeeper (see gate.h) and the
 * shoal_gate_* functions plugins call.
 */
#include "actors/gate.h"

#include <assert.h>
#include "actors/names.h"

#include <stdlib.h>
#include <string.h>

void shoal__gate_init(shoal_gate_t *gate, shoal_gate_find_type_fn find_type,
                      void *find_arg, const char *entity_id,
                      int64_t default_timeout_ms)
{
    memset(gate, 0, sizeof *gate);
    gate->find_type = find_type;
    gate->find_arg = find_arg;
    gate->entity_id = entity_id;
    gate->default_timeout_ms = default_timeout_ms;
}

void shoal__gate_next_round(shoal_gate_t *gate)
{
    for (unsigned i = 0; i < gate->answer_count; i++)
        free(gate->answers[i].text);
    memset(gate->answers, 0, sizeof gate->answers);
    gate->answer_count = gate->ask_count;
    gate->ask_count = 0;
    gate->round++;
}

int shoal__gate_set_answer(shoal_gate_t *gate, unsigned index, const void *text,
                           size_t text_size, uint64_t sequence)
{
    assert(index < gate->answer_count);
    shoal_gate_answer_t *answer = &gate->answers[index];
    free(answer->text);
    answer->text = NULL;
    answer->sequence = sequence;
    if (!text)
        return 0;
    answer->text = malloc(text_size + 1);
    if (!answer->text)
        return -1;
    memcpy(answer->text, text, text_size);
    answer->text[text_size] = '\0';
    return 0;
}

void shoal__gate_clear(shoal_gate_t *gate)
{
    for (unsigned i = 0; i < gate->answer_count; i++)
        free(gate->answers[i].text);
    free(gate->payload);
    free(gate->reason);
    memset(gate, 0, sizeof *gate);
}

/* Records a failed decision call, unless a decision was already made. */
static int s_fail(shoal_gate_t *gate, const char *reason)
{
    if (gate->decision == SHOAL_GATE_UNDECIDED) {
        gate->decision = SHOAL_GATE_FAILED;
        free(gate->reason);
        gate->reason = strdup(reason);
    }
    return -1;
}

/* Takes a copy of payload as the decision's. Returns 0 or -1. */
static int s_take_payload(shoal_gate_t *gate, const void *payload, size_t size)
{
    void *copy = malloc(size ? size : 1);
    if (!copy)
        return -1;
    if (size)
        memcpy(copy, payload, size);
    free(gate->payload);
    gate->payload = copy;
    gate->payload_size = size;
    return 0;
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
    if (gate->ask_count >= SHOAL_GATE_MAX_ASKS || !type ||
        !shoal_entity_id_is_valid(entity_id))
        return -1;
    const shoal_type_t *found = gate->find_type(gate->find_arg, type);
    if (!found)
        return -1;
    shoal_gate_ask_t *ask = &gate->asks[gate->ask_count];
    ask->type = found;
    strcpy(ask->entity_id, entity_id); /* length checked above */
    ask->timeout_ms = timeout_ms > 0 ? timeout_ms : gate->default_timeout_ms;
    return (int)gate->ask_count++;
}

const char *shoal_gate_answer(const shoal_gate_t *gate, unsigned index,
                              uint64_t *sequence)
{
    if (index >= gate->answer_count)
        return NULL;
    if (sequence)
        *sequence = gate->answers[index].sequence;
    return gate->answers[index].text;
}

int shoal_gate_forward(shoal_gate_t *gate, const void *payload, size_t size)
{
    if (gate->decision != SHOAL_GATE_UNDECIDED)
        return s_fail(gate, "the gatekeeper decided twice");
    if (s_take_payload(gate, payload, size) < 0)
        return s_fail(gate, "out of memory");
    gate->decision = SHOAL_GATE_FORWARD;
    return 0;
}

int shoal_gate_reject(shoal_gate_t *gate, const char *reason)
{
    if (gate->decision != SHOAL_GATE_UNDECIDED)
        return s_fail(gate, "the gatekeeper decided twice");
    gate->reason = strdup(reason ? reason : "");
    if (!gate->reason)
        return s_fail(gate, "out of memory");
    gate->decision = SHOAL_GATE_REJECT;
    return 0;
}

int shoal_gate_dispatch(shoal_gate_t *gate, const char *type,
                        const char *entity_id, const char *command,
                        const void *payload, size_t size)
{
    if (gate->decision != SHOAL_GATE_UNDECIDED)
        return s_fail(gate, "the gatekeeper decided twice");
    const shoal_type_t *found =
        type ? gate->find_type(gate->find_arg, type) : NULL;
    if (!found)
        return s_fail(gate, "the gatekeeper dispatched to an unknown type");
    if (!shoal_entity_id_is_valid(entity_id) ||
        !shoal_name_is_valid(command, command ? strlen(command) : 0,
                             SHOAL_COMMAND_NAME_MAX))
        return s_fail(gate, "the gatekeeper dispatched with an invalid "
                            "entity id or command name");
    if (s_take_payload(gate, payload, size) < 0)
        return s_fail(gate, "out of memory");
    gate->target_type = found;
    strcpy(gate->target_id, entity_id);
    strcpy(gate->target_command, command);
    gate->decision = SHOAL_GATE_DISPATCH;
    return 0;
}
