/*
 * tests/integration/bad_plugins/stub_type.h - a do-nothing aggregate type
 * for the deliberately broken plugins of test_bad_plugin.c.
 *
 * Each bad plugin is a valid plugin but for one defect. The functions here
 * are never called: shoald must refuse the plugin while loading it.
 */
#ifndef SHOAL_TESTS_BAD_PLUGINS_STUB_TYPE_H
#define SHOAL_TESTS_BAD_PLUGINS_STUB_TYPE_H

#include "shoal/plugin.h"
#include <stdlib.h>
#include <string.h>

#define STUB_UNUSED __attribute__((unused))

static STUB_UNUSED void *stub_state_new(const char *entity_id)
{
    (void)entity_id;
    return calloc(1, 1);
}

static STUB_UNUSED void stub_state_free(void **state_p)
{
    if (state_p) {
        free(*state_p);
        *state_p = NULL;
    }
}

static STUB_UNUSED void stub_handle_command(shoal_ctx_t *ctx, const void *state,
                                            const shoal_command_t *command,
                                            shoal_effect_t *effect)
{
    (void)ctx;
    (void)state;
    (void)command;
    (void)effect;
}

static STUB_UNUSED void stub_apply_event(void *state, const void *event,
                                         size_t event_size)
{
    (void)state;
    (void)event;
    (void)event_size;
}

static STUB_UNUSED char *stub_query(const void *state, const char *entity_id)
{
    (void)state;
    (void)entity_id;
    return strdup("{}");
}

/* A complete type named `type_name`. */
#define STUB_TYPE(type_name)                                                   \
    {                                                                          \
        .name = (type_name), .state_new = stub_state_new,                      \
        .state_free = stub_state_free, .handle_command = stub_handle_command,  \
        .apply_event = stub_apply_event, .query = stub_query,                  \
    }

#endif
