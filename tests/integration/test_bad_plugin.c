/*
 * tests/integration/test_bad_plugin.c - a plugin shoald cannot use stops
 * it at startup, before it binds its sockets: exit code 1, no readiness
 * line, and exactly one stderr line `shoald: <file>: <reason>` naming the
 * file and the reason.
 *
 * The broken plugins are built from tests/integration/bad_plugins/ into
 * $SHOAL_BAD_PLUGIN_DIR.
 */
#include "node_process.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *s_dir;
static char s_data_dir[PATH_MAX];

static void s_setup(void)
{
    s_dir = test_temp_dir_new();
    cr_assert_not_null(s_dir);
    snprintf(s_data_dir, sizeof s_data_dir, "%s/data", s_dir);
    cr_assert_eq(mkdir(s_data_dir, 0755), 0);
}

static void s_teardown(void)
{
    node_process_kill_all();
    test_temp_dir_remove(&s_dir);
}

TestSuite(bad_plugin, .init = s_setup, .fini = s_teardown);

/* Runs shoald with args and checks it refuses to start with one stderr
 * line naming path and containing reason. */
static void s_expect_refused(const char *const args[], const char *path,
                             const char *reason)
{
    char *stderr_text = NULL;
    bool printed_ready = false;
    int code = node_process_run_failing(s_data_dir, args, &stderr_text,
                                        &printed_ready);
    cr_assert_not(printed_ready, "shoald started despite %s", path);
    cr_assert_eq(code, 1, "exit %d, expected 1; stderr: %s", code, stderr_text);

    size_t length = strlen(stderr_text);
    if (length > 0 && stderr_text[length - 1] == '\n')
        stderr_text[--length] = '\0';
    cr_assert_gt(length, 0, "nothing on stderr");
    cr_assert_null(strchr(stderr_text, '\n'), "more than one stderr line:\n%s",
                   stderr_text);
    cr_assert(strncmp(stderr_text, "shoald: ", 8) == 0,
              "stderr does not start with 'shoald: ': %s", stderr_text);
    cr_assert(strstr(stderr_text, path), "stderr does not name %s: %s", path,
              stderr_text);
    cr_assert(strstr(stderr_text, reason), "stderr does not say '%s': %s",
              reason, stderr_text);
    free(stderr_text);
}

Test(bad_plugin, missing_file_is_refused)
{
    const char *path = "/nonexistent/shoal-missing-plugin.so";
    const char *args[] = {"--plugin", path, NULL};
    s_expect_refused(args, path, "cannot load");
}

Test(bad_plugin, file_that_is_not_a_shared_object_is_refused)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/not_a_plugin.so", s_dir);
    FILE *file = fopen(path, "w");
    cr_assert_not_null(file);
    fputs("this is not an ELF shared object\n", file);
    fclose(file);
    const char *args[] = {"--plugin", path, NULL};
    s_expect_refused(args, path, "cannot load");
}

Test(bad_plugin, shared_object_without_the_symbol_is_refused)
{
    const char *path = test_bad_plugin("no_symbol");
    const char *args[] = {"--plugin", path, NULL};
    s_expect_refused(args, path, "no symbol shoal_plugin");
}

Test(bad_plugin, wrong_abi_version_is_refused)
{
    const char *path = test_bad_plugin("wrong_abi");
    const char *args[] = {"--plugin", path, NULL};
    s_expect_refused(args, path, "ABI version");
}

Test(bad_plugin, type_missing_a_required_function_is_refused)
{
    const char *path = test_bad_plugin("missing_function");
    const char *args[] = {"--plugin", path, NULL};
    s_expect_refused(args, path, "missing required function");
}

Test(bad_plugin, same_plugin_loaded_twice_is_refused)
{
    const char *path = test_example_plugin("counter");
    const char *args[] = {"--plugin", path, "--plugin", path, NULL};
    s_expect_refused(args, path, "duplicate type");
}

Test(bad_plugin, type_declared_by_two_files_is_refused)
{
    /* A copy of counter.so is another file declaring the same type: the
     * second file loaded is the one refused. */
    const char *original = test_example_plugin("counter");
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s/counter_copy.so", s_dir);
    FILE *in = fopen(original, "rb");
    cr_assert_not_null(in, "cannot open %s", original);
    FILE *out = fopen(copy, "wb");
    cr_assert_not_null(out);
    char buffer[65536];
    size_t got;
    while ((got = fread(buffer, 1, sizeof buffer, in)) > 0)
        cr_assert_eq(fwrite(buffer, 1, got, out), got);
    fclose(in);
    fclose(out);

    const char *args[] = {"--plugin", original, "--plugin", copy, NULL};
    s_expect_refused(args, copy, "duplicate type");
}

Test(bad_plugin, type_declared_twice_in_one_plugin_is_refused)
{
    const char *path = test_bad_plugin("duplicate_type");
    const char *args[] = {"--plugin", path, NULL};
    s_expect_refused(args, path, "duplicate type");
}

Test(bad_plugin, bad_plugin_after_a_good_one_is_refused)
{
    const char *path = test_bad_plugin("wrong_abi");
    const char *args[] = {"--plugin", test_example_plugin("counter"),
                          "--plugin", path, NULL};
    s_expect_refused(args, path, "ABI version");
}
