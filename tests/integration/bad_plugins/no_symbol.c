/*
 * tests/integration/bad_plugins/no_symbol.c - a shared object that exports
 * its plugin under the wrong name, so it has no `shoal_plugin` symbol.
 * shoald must refuse it with "no symbol shoal_plugin".
 */
#include "stub_type.h"

static const shoal_type_t s_types[] = {STUB_TYPE("nosymbol")};

const shoal_plugin_t shoal_plugin_misnamed = {
    .abi_version = SHOAL_PLUGIN_ABI_VERSION,
    .name = "no_symbol",
    .type_count = 1,
    .types = s_types,
};
