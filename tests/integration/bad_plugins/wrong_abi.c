/*
 * tests/integration/bad_plugins/wrong_abi.c - a plugin built for an ABI
 * version the runtime does not know. shoald must refuse it with a reason
 * naming the "ABI version".
 */
#include "stub_type.h"

static const shoal_type_t s_types[] = {STUB_TYPE("wrongabi")};

const shoal_plugin_t shoal_plugin = {
    .abi_version = SHOAL_PLUGIN_ABI_VERSION + 1,
    .name = "wrong_abi",
    .type_count = 1,
    .types = s_types,
};
