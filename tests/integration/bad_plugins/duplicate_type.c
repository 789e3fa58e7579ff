/*
 * tests/integration/bad_plugins/duplicate_type.c - a plugin that declares
 * the same type name twice. shoald must refuse it with "duplicate type".
 */
#include "stub_type.h"

static const shoal_type_t s_types[] = {STUB_TYPE("twin"), STUB_TYPE("twin")};

const shoal_plugin_t shoal_plugin = {
    .abi_version = SHOAL_PLUGIN_ABI_VERSION,
    .name = "duplicate_type",
    .type_count = 2,
    .types = s_types,
};
