/*
 * bench/null_plugin.c - the `probe` aggregate: a plugin that does as
 * little as a plugin can, so that benchmarks see the runtime alone.
 *
 * Commands (payloads ignored):
 *
 *   Ask    -> the reply "ok" and no event: the node answers it from memory
 *             without touching the journal (workload W3)
 *   Touch  -> one tiny event ("t") and the reply "ok"
 *
 * Every entity shares one static state, so state_new allocates nothing:
 * the resident memory an entity costs (workload W5) is then the runtime's
 * own, with no plugin state in it. The fold has nothing to fold.
 */
#include "shoal/plugin.h"

#include <stdlib.h>
#include <string.h>

/* The state of every probe entity; never written. */
static const char s_shared_state = 0;

static void *s_state_new(const char *entity_id)
{
    (void)entity_id;
    return (void *)&s_shared_state;
}

/* The state is static: there is nothing to free. */
static void s_state_free(void **state_p)
{
    if (state_p)
        *state_p = NULL;
}

static void s_handle_command(shoal_ctx_t *ctx, const void *state,
                             const shoal_command_t *command,
                             shoal_effect_t *effect)
{
    (void)ctx;
    (void)state;
    if (strcmp(command->name, "Ask") == 0) {
        shoal_effect_reply(effect, "ok", 2);
    } else if (strcmp(command->name, "Touch") == 0) {
        shoal_effect_emit(effect, "t", 1);
        shoal_effect_reply(effect, "ok", 2);
    } else {
        shoal_effect_reject(effect, "unknown command");
    }
}

static void s_apply_event(void *state, const void *event, size_t event_size)
{
    (void)state;
    (void)event;
    (void)event_size;
}

/* Renders {} (the probe has nothing to show). */
static char *s_query(const void *state, const char *entity_id)
{
    (void)state;
    (void)entity_id;
    char *text = malloc(3);
    if (text)
        memcpy(text, "{}", 3);
    return text;
}

static const shoal_type_t s_types[] = {{
    .name = "probe",
    .state_new = s_state_new,
    .state_free = s_state_free,
    .handle_command = s_handle_command,
    .apply_event = s_apply_event,
    .query = s_query,
}};

const shoal_plugin_t shoal_plugin = {.abi_version = SHOAL_PLUGIN_ABI_VERSION,
                                     .name = "probe",
                                     .type_count = 1,
                                     .types = s_types};
