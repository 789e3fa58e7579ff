/*
 * tests/integration/reaction_plugin/reaction_probe.c - a plugin that
 * exercises the asynchronous parts of the runtime for the integration
 * tests: a policy that dispatches and publishes, one that schedules
 * timers, one that fails on demand, and a gatekeeper that asks.
 *
 * Types (payloads are plain text):
 *   poke/ID   Poke TEXT   -> event "TEXT"; query {"pokes": n}
 *   sink/ID   Count TEXT  -> event "TEXT"; query {"count": n, "last": s}
 *   alarm/ID  Set MS      -> event "MS";   Ring -> event "ring";
 *                            query {"set": n, "rings": n}
 * Policies:
 *   poke-forwarder (poke): dispatches Count to sink/ID and publishes the
 *     event on topic "pokes". It fails an event whose text starts with
 *     "fail" while the file named by $SHOAL_TEST_FAIL_FILE exists.
 *   alarm-scheduler (alarm): on a Set event, schedules Ring for alarm/ID
 *     at the time the event carries.
 * Gatekeeper on sink/Count: a text "ask:ID" asks poke/ID and forwards
 * "pokes=N" with its count (or rejects "poke unavailable" when the ask
 * failed); a text "deny" is rejected "denied at the gate"; a text
 * "redirect:ID" dispatches Count "redirected" to sink/ID instead.
 */
#include "shoal/plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    long count;
    long other; /* sink: unused; alarm: rings */
    char last[64];
} s_state_t;

static void *s_new(const char *id)
{
    (void)id;
    return calloc(1, sizeof(s_state_t));
}

static void s_free(void **state)
{
    free(*state);
    *state = NULL;
}

/* Poke and Count and Set: the payload is the event. */
static void s_handle(shoal_ctx_t *ctx, const void *state,
                     const shoal_command_t *command, shoal_effect_t *effect)
{
    (void)ctx;
    (void)state;
    if (strcmp(command->name, "Ring") == 0) {
        shoal_effect_emit(effect, "ring", 4);
        return;
    }
    if (strcmp(command->name, "Poke") != 0 &&
        strcmp(command->name, "Count") != 0 &&
        strcmp(command->name, "Set") != 0) {
        shoal_effect_reject(effect, "unknown command");
        return;
    }
    shoal_effect_emit(effect, command->payload, command->payload_size);
}

static void s_apply(void *state, const void *event, size_t size)
{
    s_state_t *self = state;
    if (size == 4 && memcmp(event, "ring", 4) == 0) {
        self->other++;
        return;
    }
    self->count++;
    snprintf(self->last, sizeof self->last, "%.*s",
             (int)(size < 63 ? size : 63), (const char *)event);
}

static char *s_query_poke(const void *state, const char *id)
{
    (void)id;
    char *text = NULL;
    if (asprintf(&text, "{\"pokes\": %ld}", ((const s_state_t *)state)->count) <
        0)
        return NULL;
    return text;
}

static char *s_query_sink(const void *state, const char *id)
{
    (void)id;
    const s_state_t *self = state;
    char *text = NULL;
    if (asprintf(&text, "{\"count\": %ld, \"last\": \"%s\"}", self->count,
                 self->last) < 0)
        return NULL;
    return text;
}

static char *s_query_alarm(const void *state, const char *id)
{
    (void)id;
    const s_state_t *self = state;
    char *text = NULL;
    if (asprintf(&text, "{\"set\": %ld, \"rings\": %ld}", self->count,
                 self->other) < 0)
        return NULL;
    return text;
}

/* poke-forwarder */
static int s_forward(shoal_reaction_t *reaction, const void *event, size_t size)
{
    const char *fail_file = getenv("SHOAL_TEST_FAIL_FILE");
    if (size >= 4 && memcmp(event, "fail", 4) == 0 && fail_file &&
        access(fail_file, F_OK) == 0) {
        shoal_reaction_fail(reaction, "asked to fail");
        return -1;
    }
    const char *id = shoal_reaction_entity_id(reaction);
    if (shoal_reaction_dispatch(reaction, "sink", id, "Count", event, size) < 0)
        return -1;
    return shoal_reaction_publish(reaction, "pokes", event, size);
}

/* alarm-scheduler */
static int s_schedule(shoal_reaction_t *reaction, const void *event,
                      size_t size)
{
    if (size == 4 && memcmp(event, "ring", 4) == 0)
        return 0;
    char text[32];
    snprintf(text, sizeof text, "%.*s", (int)(size < 31 ? size : 31),
             (const char *)event);
    long long due = atoll(text);
    return shoal_reaction_schedule(reaction, due, "alarm",
                                   shoal_reaction_entity_id(reaction), "Ring",
                                   NULL, 0);
}

/* The gatekeeper of sink/Count. */
static void s_gate_count(shoal_gate_t *gate, const shoal_command_t *command)
{
    char text[300];
    snprintf(text, sizeof text, "%.*s",
             (int)(command->payload_size < 299 ? command->payload_size : 299),
             (const char *)command->payload);
    if (strcmp(text, "deny") == 0) {
        shoal_gate_reject(gate, "denied at the gate");
        return;
    }
    if (strncmp(text, "redirect:", 9) == 0) {
        shoal_gate_dispatch(gate, "sink", text + 9, "Count", "redirected", 10);
        return;
    }
    if (strncmp(text, "ask:", 4) != 0)
        return; /* forward unchanged */
    if (shoal_gate_round(gate) == 0) {
        shoal_gate_ask(gate, "poke", text + 4, 0);
        return;
    }
    const char *answer = shoal_gate_answer(gate, 0, NULL);
    const char *count = answer ? strstr(answer, "\"pokes\": ") : NULL;
    if (!count) {
        shoal_gate_reject(gate, "poke unavailable");
        return;
    }
    char enriched[64];
    int size =
        snprintf(enriched, sizeof enriched, "pokes=%ld", atol(count + 9));
    shoal_gate_forward(gate, enriched, (size_t)size);
}

static const shoal_gatekeeper_t s_sink_gates[] = {
    {.command = "Count", .run = s_gate_count},
};

static const shoal_type_t s_types[] = {
    {.name = "poke",
     .state_new = s_new,
     .state_free = s_free,
     .handle_command = s_handle,
     .apply_event = s_apply,
     .query = s_query_poke},
    {.name = "sink",
     .state_new = s_new,
     .state_free = s_free,
     .handle_command = s_handle,
     .apply_event = s_apply,
     .query = s_query_sink,
     .gatekeeper_count = 1,
     .gatekeepers = s_sink_gates},
    {.name = "alarm",
     .state_new = s_new,
     .state_free = s_free,
     .handle_command = s_handle,
     .apply_event = s_apply,
     .query = s_query_alarm},
};

static const shoal_policy_t s_policies[] = {
    {.name = "poke-forwarder", .source_type = "poke", .handle = s_forward},
    {.name = "alarm-scheduler", .source_type = "alarm", .handle = s_schedule},
};

const shoal_plugin_t shoal_plugin = {
    .abi_version = SHOAL_PLUGIN_ABI_VERSION,
    .name = "reaction_probe",
    .type_count = 3,
    .types = s_types,
    .policy_count = 2,
    .policies = s_policies,
};
