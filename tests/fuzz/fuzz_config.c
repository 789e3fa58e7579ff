/*
 * tests/fuzz/fuzz_config.c - libFuzzer target: a node's config file, as
 * shoal_config_load_file reads it (runtime/config.h): ZPL parsed by CZMQ's
 * zconfig, then every key of the `shoald` section set by name.
 *
 * The input is the whole file. It is written to an in-memory file
 * (memfd) and loaded by its /proc/self/fd path, as the API takes a path.
 *
 * Properties checked: a refused file says why; an accepted one leaves
 * every setting within its limits; nothing leaks either way.
 */
#include "fuzz.h"
#include "runtime/config.h"

#include <czmq.h>
#include <sys/mman.h>
#include <unistd.h>

/* The in-memory file, made once, and its path. */
static int s_file = -1;
static char s_path[64];

/* Checks the settings of a config that loaded. */
static void s_check(const shoal_config_t *config)
{
    FUZZ_CHECK(config->node_name && config->endpoint &&
               config->status_endpoint && config->data_dir);
    FUZZ_CHECK(config->shards >= 1 && config->shards <= 65536);
    FUZZ_CHECK(config->workers >= 1 && config->workers <= 256);
    FUZZ_CHECK(config->readers >= 1 && config->readers <= 16);
    FUZZ_CHECK(config->max_resident >= 1);
    FUZZ_CHECK(config->checkpoint_ms >= 10);
    FUZZ_CHECK(config->log_level <= SHOAL_LOG_DEBUG);
    for (size_t i = 0; i < config->plugin_count; i++)
        FUZZ_CHECK(config->plugins[i] && *config->plugins[i]);
    FUZZ_CHECK(!config->plugins || !config->plugins[config->plugin_count]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (s_file < 0) {
        /* zconfig logs every syntax error on stdout: not ours to see. */
        FUZZ_CHECK(freopen("/dev/null", "w", stdout));
        s_file = memfd_create("shoald.cfg", 0);
        FUZZ_CHECK(s_file >= 0);
        snprintf(s_path, sizeof s_path, "/proc/self/fd/%d", s_file);
    }
    FUZZ_CHECK(ftruncate(s_file, 0) == 0);
    FUZZ_CHECK(pwrite(s_file, data, size, 0) == (ssize_t)size);

    shoal_config_t config;
    shoal_config_defaults(&config);
    char *error = NULL;
    if (shoal_config_load_file(&config, s_path, &error) == 0) {
        FUZZ_CHECK(!error);
        s_check(&config);
    } else
        FUZZ_CHECK(error && strstr(error, s_path));
    free(error);
    shoal_config_clear(&config);
    return 0;
}
