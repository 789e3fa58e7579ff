/*
 * tests/unit/test_plugins.c - the plugin loader and type registry
 * (runtime/plugins.c): loading the counter example, finding its type,
 * and refusing each deliberately broken plugin with a reason while
 * registering nothing from it.
 *
 * Needs two environment variables, set by the meson registration:
 * SHOAL_PLUGIN_DIR (build/examples) and SHOAL_BAD_PLUGIN_DIR (the build
 * directory of tests/integration, where the broken plugins are).
 */
#include "runtime/plugins.h"
#include "tests/unit/temp_dir.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static shoal_plugins_t *s_plugins;
static char *s_error;

static void s_setup(void)
{
    s_plugins = shoal_plugins_new();
    cr_assert_not_null(s_plugins);
}

static void s_teardown(void)
{
    shoal_plugins_destroy(&s_plugins);
    free(s_error);
    s_error = NULL;
}

TestSuite(plugins, .init = s_setup, .fini = s_teardown);

/* Returns the path of name under the directory named by variable
 * (malloc'd). */
static char *s_path(const char *variable, const char *name)
{
    const char *dir = getenv(variable);
    cr_assert(dir && *dir, "%s is not set (run the test with meson test)",
              variable);
    char *path = NULL;
    cr_assert_geq(asprintf(&path, "%s/%s", dir, name), 0);
    return path;
}

static char *s_counter_path(void)
{
    return s_path("SHOAL_PLUGIN_DIR", "counter/counter.so");
}

static void s_load_counter(void)
{
    char *path = s_counter_path();
    cr_assert_eq(shoal_plugins_load(s_plugins, path, &s_error), 0,
                 "load %s: %s", path, s_error ? s_error : "?");
    cr_assert_null(s_error);
    free(path);
}

/* Loads the bad plugin name, asserts it is refused with an error that
 * names its path and mentions reason, and that nothing was registered. */
static void s_assert_refused(const char *name, const char *reason)
{
    char *path = s_path("SHOAL_BAD_PLUGIN_DIR", name);
    size_t before = shoal_plugins_type_count(s_plugins);
    free(s_error);
    s_error = NULL;
    cr_assert_eq(shoal_plugins_load(s_plugins, path, &s_error), -1,
                 "%s was loaded", path);
    cr_assert_not_null(s_error);
    cr_assert(strncmp(s_error, path, strlen(path)) == 0,
              "error does not start with the path: %s", s_error);
    cr_assert(strstr(s_error, reason), "error does not mention '%s': %s",
              reason, s_error);
    cr_assert_eq(shoal_plugins_type_count(s_plugins), before,
                 "a refused plugin registered types");
    free(path);
}

/* ---------------------------------------------------------------------
 * Loading
 */

Test(plugins, a_new_registry_is_empty)
{
    cr_assert_eq(shoal_plugins_type_count(s_plugins), 0);
    cr_assert_null(shoal_plugins_find(s_plugins, "counter"));
}

Test(plugins, loads_the_counter_example_and_finds_its_type)
{
    s_load_counter();
    cr_assert_eq(shoal_plugins_type_count(s_plugins), 1);
    const shoal_type_t *type = shoal_plugins_find(s_plugins, "counter");
    cr_assert_not_null(type);
    cr_assert_str_eq(type->name, "counter");
    cr_assert_eq(shoal_plugins_type_at(s_plugins, 0), type);
    cr_assert_null(shoal_plugins_find(s_plugins, "account"));
    cr_assert_null(shoal_plugins_find(s_plugins, "Counter"));
    cr_assert_null(shoal_plugins_find(s_plugins, "count"));

    /* The type's functions are callable: the plugin stays loaded. */
    void *state = type->state_new("e1");
    cr_assert_not_null(state);
    char *text = type->query(state, "e1");
    cr_assert_not_null(text);
    cr_assert(strstr(text, "\"value\""), "%s", text);
    free(text);
    type->state_free(&state);
}

Test(plugins, loads_several_plugins_in_order)
{
    s_load_counter();
    char *path = s_path("SHOAL_PLUGIN_DIR", "account/account.so");
    cr_assert_eq(shoal_plugins_load(s_plugins, path, &s_error), 0, "%s",
                 s_error);
    free(path);
    cr_assert_eq(shoal_plugins_type_count(s_plugins), 2);
    cr_assert_str_eq(shoal_plugins_type_at(s_plugins, 0)->name, "counter");
    cr_assert_str_eq(shoal_plugins_type_at(s_plugins, 1)->name, "account");
    cr_assert_not_null(shoal_plugins_find(s_plugins, "account"));
}

Test(plugins, destroy_is_null_safe)
{
    s_load_counter();
    shoal_plugins_destroy(&s_plugins);
    cr_assert_null(s_plugins);
    shoal_plugins_destroy(&s_plugins);
    shoal_plugins_destroy(NULL);
}

/* ---------------------------------------------------------------------
 * Refusals
 */

Test(plugins, refuses_a_missing_file)
{
    char *path = s_path("SHOAL_PLUGIN_DIR", "no/such/plugin.so");
    cr_assert_eq(shoal_plugins_load(s_plugins, path, &s_error), -1);
    cr_assert_not_null(s_error);
    cr_assert(strstr(s_error, path), "%s", s_error);
    cr_assert(strstr(s_error, "cannot load"), "%s", s_error);
    cr_assert_eq(shoal_plugins_type_count(s_plugins), 0);
    free(path);
}

Test(plugins, refuses_a_file_that_is_not_a_shared_object)
{
    char *dir = temp_dir_new();
    char *path = temp_dir_file(dir, "text.so");
    FILE *file = fopen(path, "w");
    cr_assert_not_null(file);
    fputs("not a plugin\n", file);
    fclose(file);
    cr_assert_eq(shoal_plugins_load(s_plugins, path, &s_error), -1);
    cr_assert(strstr(s_error, path), "%s", s_error);
    cr_assert(strstr(s_error, "cannot load"), "%s", s_error);
    cr_assert_eq(shoal_plugins_type_count(s_plugins), 0);
    free(path);
    temp_dir_destroy(&dir);
}

Test(plugins, refuses_a_second_load_of_a_type_name)
{
    s_load_counter();
    char *path = s_counter_path();
    cr_assert_eq(shoal_plugins_load(s_plugins, path, &s_error), -1);
    cr_assert(strstr(s_error, "duplicate type"), "%s", s_error);
    cr_assert(strstr(s_error, "counter"), "%s", s_error);
    cr_assert_eq(shoal_plugins_type_count(s_plugins), 1);
    /* The first load is still there and usable. */
    const shoal_type_t *type = shoal_plugins_find(s_plugins, "counter");
    cr_assert_not_null(type);
    void *state = type->state_new("e1");
    type->state_free(&state);
    free(path);
}

Test(plugins, refuses_a_shared_object_without_the_symbol)
{
    s_assert_refused("no_symbol.so", "no symbol shoal_plugin");
    cr_assert_null(shoal_plugins_find(s_plugins, "nosymbol"));
}

Test(plugins, refuses_a_plugin_of_another_abi_version)
{
    s_assert_refused("wrong_abi.so", "ABI version");
    cr_assert_null(shoal_plugins_find(s_plugins, "wrongabi"));
}

Test(plugins, refuses_a_type_missing_a_required_function)
{
    s_assert_refused("missing_function.so", "missing required function");
    cr_assert(strstr(s_error, "apply_event"), "%s", s_error);
    cr_assert_null(shoal_plugins_find(s_plugins, "nofold"));
}

Test(plugins, refuses_a_plugin_declaring_a_type_twice)
{
    s_assert_refused("duplicate_type.so", "duplicate type");
    cr_assert(strstr(s_error, "twin"), "%s", s_error);
    cr_assert_null(shoal_plugins_find(s_plugins, "twin"));
}

Test(plugins, a_refused_plugin_leaves_the_registry_as_it_was)
{
    s_load_counter();
    s_assert_refused("duplicate_type.so", "duplicate type");
    s_assert_refused("missing_function.so", "missing required function");
    cr_assert_eq(shoal_plugins_type_count(s_plugins), 1);
    cr_assert_str_eq(shoal_plugins_type_at(s_plugins, 0)->name, "counter");
    /* And a good plugin still loads afterwards. */
    char *path = s_path("SHOAL_PLUGIN_DIR", "account/account.so");
    cr_assert_eq(shoal_plugins_load(s_plugins, path, &s_error), 0, "%s",
                 s_error);
    free(path);
    cr_assert_eq(shoal_plugins_type_count(s_plugins), 2);
}

/* ---------------------------------------------------------------------
 * Names
 */

Test(plugins, name_is_valid_only_for_1_to_max_of_the_allowed_characters)
{
    cr_assert(shoal_name_is_valid("counter", 7, 64));
    cr_assert(shoal_name_is_valid("A-z_09", 6, 64));
    cr_assert(shoal_name_is_valid("x", 1, 1));
    /* The size given counts, not the NUL. */
    cr_assert(shoal_name_is_valid("ab cd", 2, 64));
    cr_assert_not(shoal_name_is_valid("ab cd", 5, 64));

    cr_assert_not(shoal_name_is_valid("", 0, 64));
    cr_assert_not(shoal_name_is_valid(NULL, 3, 64));
    cr_assert_not(shoal_name_is_valid("ab", 2, 1), "longer than max");
    const char *bad[] = {"a/b",  "a.b", "a b", "caf\xc3\xa9",
                         "a\tb", "a:b", "a@b", "\x7f"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_not(shoal_name_is_valid(bad[i], strlen(bad[i]), 64),
                      "'%s' accepted", bad[i]);
    cr_assert_not(shoal_name_is_valid("a\0b", 3, 64), "a NUL inside");

    char name[66];
    memset(name, 'n', sizeof name);
    cr_assert(shoal_name_is_valid(name, 64, 64));
    cr_assert_not(shoal_name_is_valid(name, 65, 64));
}
