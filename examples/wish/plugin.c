/*
 * examples/wish/plugin.c - the wish plugin's descriptor: Santa's wish
 * management (see README.md beside it), with the types `child`
 * (child.h) and `wish` (wish_lookup.h), their gatekeepers
 * (gatekeepers.h), and the policies "wish-lookup" and "wish-publisher"
 * (policies.h).
 *
 * open loads the naughty keyword list from naughty_words.txt beside the
 * plugin's file, or from the file the environment variable
 * SHOAL_WISH_NAUGHTY_WORDS names; close frees it.
 */
#include "shoal/plugin.h"

#include "child.h"
#include "gatekeepers.h"
#include "policies.h"
#include "wish_lookup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORDS_FILE "naughty_words.txt"
#define WORDS_ENV "SHOAL_WISH_NAUGHTY_WORDS"

/* Finds the keyword list: $SHOAL_WISH_NAUGHTY_WORDS when set, else
 * naughty_words.txt in plugin_path's directory. Returns the path
 * (malloc'd, the caller frees it), or NULL when out of memory. */
static char *s_words_path(const char *plugin_path)
{
    const char *override = getenv(WORDS_ENV);
    if (override && *override)
        return strdup(override);
    const char *slash = strrchr(plugin_path, '/');
    int directory = slash ? (int)(slash - plugin_path + 1) : 0;
    char *path = NULL;
    if (asprintf(&path, "%.*s%s", directory, plugin_path, WORDS_FILE) < 0)
        return NULL;
    return path;
}

static int s_open(const char *plugin_path, char *error, size_t error_size)
{
    char *path = s_words_path(plugin_path);
    if (!path) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    int result = gatekeepers_open(path, error, error_size);
    free(path);
    return result;
}

static void s_close(void)
{
    gatekeepers_close();
}

static const shoal_gatekeeper_t s_child_gatekeepers[] = {
    {.command = "MakeWish", .run = gatekeeper_make_wish},
};

static const shoal_gatekeeper_t s_wish_gatekeepers[] = {
    {.command = "FulfillWish", .run = gatekeeper_fulfill_wish},
};

static const shoal_type_t s_types[] = {
    {
        .name = "child",
        .state_new = child_state_new,
        .state_free = child_state_free,
        .handle_command = child_handle_command,
        .apply_event = child_apply_event,
        .query = child_query,
        .snapshot_encode = child_snapshot_encode,
        .snapshot_decode = child_snapshot_decode,
        .gatekeeper_count = 1,
        .gatekeepers = s_child_gatekeepers,
    },
    {
        .name = "wish",
        .state_new = wish_lookup_state_new,
        .state_free = wish_lookup_state_free,
        .handle_command = wish_lookup_handle_command,
        .apply_event = wish_lookup_apply_event,
        .query = wish_lookup_query,
        .snapshot_encode = wish_lookup_snapshot_encode,
        .snapshot_decode = wish_lookup_snapshot_decode,
        .gatekeeper_count = 1,
        .gatekeepers = s_wish_gatekeepers,
    },
};

static const shoal_policy_t s_policies[] = {
    {.name = "wish-lookup",
     .source_type = "child",
     .handle = policy_wish_lookup},
    {.name = "wish-publisher",
     .source_type = "child",
     .handle = policy_wish_publisher},
};

/* The one symbol the plugin exports; the build hides every other. */
__attribute__((visibility("default"))) const shoal_plugin_t shoal_plugin = {
    .abi_version = SHOAL_PLUGIN_ABI_VERSION,
    .name = "wish",
    .type_count = sizeof s_types / sizeof s_types[0],
    .types = s_types,
    .policy_count = sizeof s_policies / sizeof s_policies[0],
    .policies = s_policies,
    .open = s_open,
    .close = s_close,
};
