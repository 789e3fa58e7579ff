/*
 * tests/integration/bad_plugins/missing_function.c - a plugin whose type
 * lacks a required function (apply_event is NULL). shoald must refuse it
 * with "missing required function".
 */
#include "stub_type.h"

static const shoal_type_t s_types[] = {{
    .name = "nofold",
    .state_new = stub_state_new,
    .state_free = stub_state_free,
    .handle_command = stub_handle_command,
    .apply_event = NULL,
    .query = stub_query,
}};

const shoal_plugin_t shoal_plugin = {
    .abi_version = SHOAL_PLUGIN_ABI_VERSION,
    .name = "missing_function",
    .type_count = 1,
    .types = s_types,
};
