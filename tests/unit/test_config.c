/*
 * tests/unit/test_config.c - the settings of a node (runtime/config.c):
 * defaults, setting by name, the errors that name the setting, the
 * command line, and the ZPL config file with the flags over it.
 *
 * Config files are written into a temporary directory per test.
 */
#include "runtime/config.h"
#include "tests/unit/temp_dir.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static shoal_config_t s_config;
static char *s_error;
static char *s_dir;

static void s_setup(void)
{
    shoal_config_defaults(&s_config);
}

static void s_teardown(void)
{
    shoal_config_clear(&s_config);
    free(s_error);
    s_error = NULL;
    temp_dir_destroy(&s_dir);
}

TestSuite(config, .init = s_setup, .fini = s_teardown);

/* Sets name to value and asserts it worked. */
static void s_set(const char *name, const char *value)
{
    cr_assert_eq(shoal_config_set(&s_config, name, value, &s_error), 0,
                 "%s = %s: %s", name, value, s_error ? s_error : "?");
}

/* Sets name to value, asserts it failed with an error mentioning each of
 * the NULL-terminated words. */
static void s_set_fails(const char *name, const char *value,
                        const char *const *words)
{
    free(s_error);
    s_error = NULL;
    cr_assert_eq(shoal_config_set(&s_config, name, value, &s_error), -1,
                 "%s = '%s' accepted", name, value);
    cr_assert_not_null(s_error);
    for (; *words; words++)
        cr_assert(strstr(s_error, *words), "'%s' does not mention '%s'",
                  s_error, *words);
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Writes text to a file in the test's directory; returns its path
 * (malloc'd). */
static char *s_write_file(const char *name, const char *text)
{
    if (!s_dir)
        s_dir = temp_dir_new();
    char *path = temp_dir_file(s_dir, name);
    FILE *file = fopen(path, "w");
    cr_assert_not_null(file);
    fputs(text, file);
    fclose(file);
    return path;
}

/* Runs shoal_config_parse on a NULL-terminated argument list (argv[0]
 * "shoald" added), help going to *help (malloc'd, may be NULL). */
static shoal_config_result_t s_parse(char **help, const char *first, ...)
{
    char *argv[32] = {"shoald"};
    int argc = 1;
    va_list args;
    va_start(args, first);
    for (const char *arg = first; arg; arg = va_arg(args, const char *)) {
        cr_assert_lt(argc, 31);
        argv[argc++] = (char *)arg;
    }
    va_end(args);
    argv[argc] = NULL;

    char *help_text = NULL;
    size_t help_size = 0;
    FILE *help_out = open_memstream(&help_text, &help_size);
    cr_assert_not_null(help_out);
    shoal_config_clear(&s_config);
    free(s_error);
    s_error = NULL;
    shoal_config_result_t result =
        shoal_config_parse(&s_config, argc, argv, help_out, &s_error);
    fclose(help_out);
    if (help)
        *help = help_text;
    else
        free(help_text);
    return result;
}

/* ---------------------------------------------------------------------
 * Defaults and single settings
 */

Test(config, defaults_are_the_documented_ones)
{
    cr_assert_str_eq(s_config.endpoint, "tcp://127.0.0.1:7700");
    cr_assert_str_eq(s_config.status_endpoint, "tcp://127.0.0.1:7701");
    cr_assert_str_eq(s_config.data_dir, "./var");
    cr_assert_eq(s_config.plugin_count, 0);
    cr_assert_eq(s_config.shards, 64);
    cr_assert_eq(s_config.durability, SHOAL_DURABILITY_FULL);
    cr_assert_eq(s_config.snapshot_every, 100);
    cr_assert_eq(s_config.passivate_idle_ms, 120000);
    cr_assert_eq(s_config.max_resident, 100000);
    cr_assert_eq(s_config.inbox_capacity, 10000);
    cr_assert_eq(s_config.stash_capacity, 1000);
    cr_assert_eq(s_config.max_stashed, 50000);
    cr_assert_eq(s_config.journal_queue, 10000);
    cr_assert_eq(s_config.max_gate_waiting, 10000);
    cr_assert_eq(s_config.max_batch, 1000);
    cr_assert_eq(s_config.dedup_window, 128);
    cr_assert_eq(s_config.max_payload, 1048576);
    cr_assert_eq(s_config.checkpoint_ms, 10000);
    cr_assert_eq(s_config.readers, 2);
    cr_assert_eq(s_config.log_level, SHOAL_LOG_INFO);
    cr_assert_not(s_config.status_allow_remote);
    cr_assert_null(s_config.curve_secret_key);
    cr_assert_null(s_config.curve_clients);
    /* Computed: the host name and the number of cores. */
    cr_assert_not_null(s_config.node_name);
    cr_assert_gt(strlen(s_config.node_name), 0);
    cr_assert_geq(s_config.workers, 1);
    cr_assert_leq(s_config.workers, 256);
}

Test(config, clear_frees_and_zeroes)
{
    s_set("plugin", "a.so");
    shoal_config_clear(&s_config);
    cr_assert_null(s_config.endpoint);
    cr_assert_null(s_config.plugins);
    cr_assert_eq(s_config.plugin_count, 0);
    shoal_config_clear(&s_config); /* twice is harmless */
}

Test(config, sets_by_underscore_or_dash_name)
{
    s_set("max_resident", "10");
    cr_assert_eq(s_config.max_resident, 10);
    s_set("max-resident", "20");
    cr_assert_eq(s_config.max_resident, 20);
    s_set("status-endpoint", "tcp://127.0.0.1:*");
    cr_assert_str_eq(s_config.status_endpoint, "tcp://127.0.0.1:*");
    s_set("node_name", "alpha");
    cr_assert_str_eq(s_config.node_name, "alpha");
    s_set("data-dir", "/srv/shoal");
    cr_assert_str_eq(s_config.data_dir, "/srv/shoal");
}

Test(config, refuses_an_unknown_setting)
{
    s_set_fails("max_residents", "10",
                WORDS("unknown setting", "max_residents"));
    s_set_fails("", "10", WORDS("unknown setting"));
    s_set_fails("max__resident", "10", WORDS("unknown setting"));
    /* Dashes are the flag form of underscores, not the other way. */
    s_set_fails("max_res-ident", "10", WORDS("unknown setting"));
}

Test(config, numbers_must_be_whole_and_in_range)
{
    s_set("shards", "1");
    cr_assert_eq(s_config.shards, 1);
    s_set("shards", "65536");
    cr_assert_eq(s_config.shards, 65536);
    s_set("dedup_window", "0");
    cr_assert_eq(s_config.dedup_window, 0);

    const char *bad[] = {"0",   "65537", "-1",
                         "+5",  "",      "12x",
                         "1.5", " 3",    "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        s_set_fails("shards", bad[i], WORDS("shards", "1", "65536"));
    cr_assert_eq(s_config.shards, 65536, "a refused value changed it");

    s_set_fails("max-batch", "0", WORDS("max_batch"));
    s_set_fails("workers", "257", WORDS("workers", "256"));
    s_set_fails("checkpoint_ms", "9", WORDS("checkpoint_ms", "10"));
}

Test(config, text_settings_must_not_be_empty)
{
    s_set_fails("endpoint", "", WORDS("endpoint", "empty"));
    s_set_fails("plugin", "", WORDS("plugin", "empty"));
    cr_assert_str_eq(s_config.endpoint, "tcp://127.0.0.1:7700");
}

Test(config, durability_is_full_or_fast)
{
    s_set("durability", "fast");
    cr_assert_eq(s_config.durability, SHOAL_DURABILITY_FAST);
    s_set("durability", "full");
    cr_assert_eq(s_config.durability, SHOAL_DURABILITY_FULL);
    s_set_fails("durability", "FAST", WORDS("durability", "FAST"));
    s_set_fails("durability", "none", WORDS("durability"));
    cr_assert_eq(s_config.durability, SHOAL_DURABILITY_FULL);
}

Test(config, log_level_is_one_of_four)
{
    const char *names[] = {"error", "warn", "info", "debug"};
    const shoal_log_level_t levels[] = {SHOAL_LOG_ERROR, SHOAL_LOG_WARN,
                                        SHOAL_LOG_INFO, SHOAL_LOG_DEBUG};
    for (int i = 0; i < 4; i++) {
        s_set("log-level", names[i]);
        cr_assert_eq(s_config.log_level, levels[i]);
    }
    s_set_fails("log_level", "trace", WORDS("log_level", "trace"));
    cr_assert_eq(s_config.log_level, SHOAL_LOG_DEBUG);
}

Test(config, plugins_accumulate_in_order)
{
    s_set("plugin", "a.so");
    s_set("plugin", "b.so");
    s_set("plugin", "a.so");
    cr_assert_eq(s_config.plugin_count, 3);
    cr_assert_str_eq(s_config.plugins[0], "a.so");
    cr_assert_str_eq(s_config.plugins[1], "b.so");
    cr_assert_str_eq(s_config.plugins[2], "a.so");
    cr_assert_null(s_config.plugins[3], "the list is NULL-terminated");
}

/* ---------------------------------------------------------------------
 * The command line
 */

Test(config, parse_without_arguments_gives_the_defaults)
{
    cr_assert_eq(s_parse(NULL, NULL), SHOAL_CONFIG_RUN);
    cr_assert_str_eq(s_config.endpoint, "tcp://127.0.0.1:7700");
    cr_assert_eq(s_config.max_resident, 100000);
}

Test(config, parse_applies_flags_in_both_forms)
{
    cr_assert_eq(s_parse(NULL, "--max-resident", "10", "--durability=fast",
                         "--plugin", "a.so", "--plugin=b.so", "--node_name",
                         "beta", NULL),
                 SHOAL_CONFIG_RUN, "%s", s_error);
    cr_assert_eq(s_config.max_resident, 10);
    cr_assert_eq(s_config.durability, SHOAL_DURABILITY_FAST);
    cr_assert_eq(s_config.plugin_count, 2);
    cr_assert_str_eq(s_config.plugins[1], "b.so");
    cr_assert_str_eq(s_config.node_name, "beta");
}

Test(config, a_later_flag_wins)
{
    cr_assert_eq(s_parse(NULL, "--shards", "8", "--shards=16", NULL),
                 SHOAL_CONFIG_RUN);
    cr_assert_eq(s_config.shards, 16);
}

Test(config, parse_help_prints_every_setting)
{
    char *help = NULL;
    cr_assert_eq(s_parse(&help, "--max-resident", "10", "--help", NULL),
                 SHOAL_CONFIG_HELP);
    cr_assert_not_null(help);
    cr_assert(strstr(help, "usage: shoald"), "%s", help);
    const char *flags[] = {
        "--node-name",         "--endpoint",     "--status-endpoint",
        "--data-dir",          "--plugin",       "--shards",
        "--workers",           "--durability",   "--snapshot-every",
        "--passivate-idle-ms", "--max-resident", "--inbox-capacity",
        "--stash-capacity",    "--max-stashed",  "--journal-queue",
        "--max-batch",         "--dedup-window", "--max-payload",
        "--checkpoint-ms",     "--log-level",    "--config"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        cr_assert(strstr(help, flags[i]), "help lacks %s", flags[i]);
    cr_assert(strstr(help, "[100000]"), "help lacks the defaults");
    free(help);

    cr_assert_eq(s_parse(NULL, "-h", NULL), SHOAL_CONFIG_HELP);
    /* Help wins even over a bad flag. */
    cr_assert_eq(s_parse(NULL, "--bogus", "1", "--help", NULL),
                 SHOAL_CONFIG_HELP);
}

Test(config, parse_refuses_a_flag_without_value)
{
    cr_assert_eq(s_parse(NULL, "--max-resident", NULL), SHOAL_CONFIG_ERROR);
    cr_assert_not_null(s_error);
    cr_assert(strstr(s_error, "--max-resident"), "%s", s_error);
    cr_assert(strstr(s_error, "needs a value"), "%s", s_error);

    cr_assert_eq(s_parse(NULL, "--config", NULL), SHOAL_CONFIG_ERROR);
    cr_assert(strstr(s_error, "--config"), "%s", s_error);
}

Test(config, parse_refuses_a_bad_value_naming_the_flag)
{
    cr_assert_eq(s_parse(NULL, "--max-resident", "0", NULL),
                 SHOAL_CONFIG_ERROR);
    cr_assert(strstr(s_error, "--max-resident"), "%s", s_error);
    cr_assert(strstr(s_error, "max_resident"), "%s", s_error);

    cr_assert_eq(s_parse(NULL, "--bogus=1", NULL), SHOAL_CONFIG_ERROR);
    cr_assert(strstr(s_error, "bogus"), "%s", s_error);
    cr_assert(strstr(s_error, "unknown setting"), "%s", s_error);
}

Test(config, parse_refuses_a_bare_argument)
{
    cr_assert_eq(s_parse(NULL, "journal.db", NULL), SHOAL_CONFIG_ERROR);
    cr_assert(strstr(s_error, "journal.db"), "%s", s_error);
    cr_assert_eq(s_parse(NULL, "-x", NULL), SHOAL_CONFIG_ERROR);
}

/* ---------------------------------------------------------------------
 * The config file
 */

static const char *const s_file_text = "#   shoal node settings\n"
                                       "shoald\n"
                                       "    node_name = \"gamma\"\n"
                                       "    max_resident = 500\n"
                                       "    durability = fast\n"
                                       "    plugin = \"from-file.so\"\n"
                                       "    shards = 32\n";

Test(config, load_file_applies_the_shoald_section)
{
    char *path = s_write_file("node.cfg", s_file_text);
    cr_assert_eq(shoal_config_load_file(&s_config, path, &s_error), 0, "%s",
                 s_error);
    cr_assert_str_eq(s_config.node_name, "gamma");
    cr_assert_eq(s_config.max_resident, 500);
    cr_assert_eq(s_config.durability, SHOAL_DURABILITY_FAST);
    cr_assert_eq(s_config.plugin_count, 1);
    cr_assert_str_eq(s_config.plugins[0], "from-file.so");
    cr_assert_eq(s_config.shards, 32);
    /* Untouched settings keep their defaults. */
    cr_assert_eq(s_config.stash_capacity, 1000);
    free(path);
}

Test(config, flags_override_the_file)
{
    char *path = s_write_file("node.cfg", s_file_text);
    /* The flags come before --config on the line and still win. */
    cr_assert_eq(s_parse(NULL, "--max-resident", "7", "--plugin", "flag.so",
                         "--config", path, "--shards=4", NULL),
                 SHOAL_CONFIG_RUN, "%s", s_error);
    cr_assert_eq(s_config.max_resident, 7);
    cr_assert_eq(s_config.shards, 4);
    cr_assert_str_eq(s_config.node_name, "gamma");
    cr_assert_eq(s_config.durability, SHOAL_DURABILITY_FAST);
    /* Plugins accumulate: the file's first, then the flags'. */
    cr_assert_eq(s_config.plugin_count, 2);
    cr_assert_str_eq(s_config.plugins[0], "from-file.so");
    cr_assert_str_eq(s_config.plugins[1], "flag.so");

    char *option = NULL;
    cr_assert_geq(asprintf(&option, "--config=%s", path), 0);
    cr_assert_eq(s_parse(NULL, option, NULL), SHOAL_CONFIG_RUN, "%s", s_error);
    cr_assert_eq(s_config.max_resident, 500);
    free(option);
    free(path);
}

Test(config, file_without_the_shoald_section_is_an_error_naming_it)
{
    char *path = s_write_file("other.cfg", "server\n    max_resident = 5\n");
    cr_assert_eq(shoal_config_load_file(&s_config, path, &s_error), -1);
    cr_assert(strstr(s_error, path), "%s", s_error);
    cr_assert(strstr(s_error, "shoald"), "%s", s_error);
    cr_assert_eq(s_config.max_resident, 100000);

    cr_assert_eq(s_parse(NULL, "--config", path, NULL), SHOAL_CONFIG_ERROR);
    cr_assert(strstr(s_error, path), "%s", s_error);
    free(path);
}

Test(config, bad_setting_in_the_file_names_the_file_and_the_setting)
{
    char *path = s_write_file("bad.cfg", "shoald\n    max_resident = 0\n");
    cr_assert_eq(shoal_config_load_file(&s_config, path, &s_error), -1);
    cr_assert(strstr(s_error, path), "%s", s_error);
    cr_assert(strstr(s_error, "max_resident"), "%s", s_error);
    free(path);

    path = s_write_file("unknown.cfg", "shoald\n    colour = blue\n");
    cr_assert_eq(shoal_config_load_file(&s_config, path, &s_error), -1);
    cr_assert(strstr(s_error, path), "%s", s_error);
    cr_assert(strstr(s_error, "colour"), "%s", s_error);
    free(path);
}

/* Found by fuzzing: CZMQ's zconfig_load leaked its file handle on text
 * that is not ZPL (seen under ASan or valgrind). */
Test(config, text_that_is_not_zpl_is_an_error_naming_the_file)
{
    const char *texts[] = {"shoald\n   max_resident = 5\n", "shoald\n    = 5\n",
                           "shoald\n    node_name = \"unterminated\n"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char *path = s_write_file("broken.cfg", texts[i]);
        cr_assert_eq(shoal_config_load_file(&s_config, path, &s_error), -1);
        cr_assert(strstr(s_error, path), "%s", s_error);
        cr_assert(strstr(s_error, "not valid ZPL"), "%s", s_error);
        cr_assert_eq(s_config.max_resident, 100000);
        free(path);
    }
}

Test(config, unreadable_file_is_an_error_naming_it)
{
    s_dir = temp_dir_new();
    char *path = temp_dir_file(s_dir, "missing.cfg");
    cr_assert_eq(shoal_config_load_file(&s_config, path, &s_error), -1);
    cr_assert(strstr(s_error, path), "%s", s_error);

    cr_assert_eq(s_parse(NULL, "--config", path, NULL), SHOAL_CONFIG_ERROR);
    cr_assert(strstr(s_error, path), "%s", s_error);
    free(path);

    /* A directory is not a config file either. */
    cr_assert_eq(shoal_config_load_file(&s_config, s_dir, &s_error), -1);
    cr_assert(strstr(s_error, s_dir), "%s", s_error);
}

/* ---------------------------------------------------------------------
 * Settings that depend on one another
 */

Test(config, a_bool_is_true_or_false)
{
    s_set("status_allow_remote", "true");
    cr_assert(s_config.status_allow_remote);
    s_set("status-allow-remote", "false");
    cr_assert_not(s_config.status_allow_remote);
    s_set_fails("status_allow_remote", "yes",
                WORDS("status_allow_remote", "yes", "true or false"));
}

Test(config, curve_needs_both_the_key_and_the_client_folder)
{
    cr_assert_eq(s_parse(NULL, "--curve-secret-key", "node.key_secret", NULL),
                 SHOAL_CONFIG_ERROR);
    cr_assert(strstr(s_error, "curve_clients"), "%s", s_error);

    cr_assert_eq(s_parse(NULL, "--curve-clients", "clients", NULL),
                 SHOAL_CONFIG_ERROR);
    cr_assert(strstr(s_error, "curve_secret_key"), "%s", s_error);

    cr_assert_eq(s_parse(NULL, "--curve-secret-key", "node.key_secret",
                         "--curve-clients", "clients", NULL),
                 SHOAL_CONFIG_RUN, "%s", s_error);
    cr_assert_str_eq(s_config.curve_secret_key, "node.key_secret");
    cr_assert_str_eq(s_config.curve_clients, "clients");
}

Test(config, the_status_socket_stays_on_loopback_unless_allowed)
{
    cr_assert_eq(s_parse(NULL, "--status-endpoint", "tcp://0.0.0.0:7701", NULL),
                 SHOAL_CONFIG_ERROR);
    cr_assert(strstr(s_error, "tcp://0.0.0.0:7701"), "%s", s_error);
    cr_assert(strstr(s_error, "status_allow_remote"), "%s", s_error);

    cr_assert_eq(s_parse(NULL, "--status-endpoint", "tcp://*:7701",
                         "--status-allow-remote", "true", NULL),
                 SHOAL_CONFIG_RUN, "%s", s_error);
    cr_assert(s_config.status_allow_remote);

    cr_assert_eq(s_parse(NULL, "--status-endpoint", "ipc:///tmp/status", NULL),
                 SHOAL_CONFIG_RUN, "%s", s_error);
}

Test(config, the_cluster_name_is_shoal_unless_set_and_must_be_a_name)
{
    cr_assert_eq(s_parse(NULL, NULL), SHOAL_CONFIG_RUN, "%s", s_error);
    cr_assert_str_eq(s_config.cluster_name, "shoal");
    cr_assert_eq(s_parse(NULL, "--cluster-name", "north-1.eu", NULL),
                 SHOAL_CONFIG_RUN, "%s", s_error);
    cr_assert_str_eq(s_config.cluster_name, "north-1.eu");
    cr_assert_eq(s_parse(NULL, "--cluster-name", "north pole", NULL),
                 SHOAL_CONFIG_ERROR);
    cr_assert(strstr(s_error, "cluster_name") && strstr(s_error, "north pole"),
              "%s", s_error);
}
