/*
 * tests/integration/test_plugin_build.c - a plugin built outside the tree:
 * install shoal into a staging folder, compile a plugin against it with
 * nothing but `pkg-config --cflags --libs shoal`, and run it in a node.
 */
#include "node_process.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_plugin_source[] =
    "#include <shoal/plugin.h>\n"
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "static void *s_new(const char *id) { (void)id;\n"
    "    return calloc(1, sizeof(long)); }\n"
    "static void s_free(void **state) { free(*state); *state = NULL; }\n"
    "static void s_handle(shoal_ctx_t *ctx, const void *state,\n"
    "                     const shoal_command_t *command,\n"
    "                     shoal_effect_t *effect) {\n"
    "    (void)ctx; (void)state;\n"
    "    if (strcmp(command->name, \"Add\") != 0) {\n"
    "        shoal_effect_reject(effect, \"unknown command\"); return; }\n"
    "    shoal_effect_emit(effect, \"+\", 1);\n"
    "    shoal_effect_reply(effect, \"added\", 5); }\n"
    "static void s_apply(void *state, const void *event, size_t size) {\n"
    "    (void)event; (void)size; ++*(long *)state; }\n"
    "static char *s_query(const void *state, const char *id) {\n"
    "    char *text = NULL;\n"
    "    if (asprintf(&text, \"{\\\"id\\\":\\\"%s\\\",\\\"tally\\\":%ld}\",\n"
    "                 id, *(const long *)state) < 0) return NULL;\n"
    "    return text; }\n"
    "static const shoal_type_t s_types[] = {{\n"
    "    .name = \"tally\", .state_new = s_new, .state_free = s_free,\n"
    "    .handle_command = s_handle, .apply_event = s_apply,\n"
    "    .query = s_query}};\n"
    "const shoal_plugin_t shoal_plugin = {\n"
    "    .abi_version = SHOAL_PLUGIN_ABI_VERSION, .name = \"tally\",\n"
    "    .type_count = 1, .types = s_types};\n";

static char *s_dir;

static void s_setup(void)
{
    s_dir = test_temp_dir_new();
    cr_assert(s_dir);
}

static void s_teardown(void)
{
    node_process_kill_all();
    test_temp_dir_remove(&s_dir);
}

/* Runs a shell command line; fails the test with its output on error. */
static void s_shell(const char *command)
{
    const char *argv[] = {"/bin/sh", "-c", command, NULL};
    char *out = NULL, *err = NULL;
    int rc = test_run_program(argv, 120000, &out, &err);
    cr_assert_eq(rc, 0, "`%s` failed (%d):\n%s\n%s", command, rc,
                 out ? out : "", err ? err : "");
    free(out);
    free(err);
}

Test(plugin_build, plugin_built_with_pkg_config_runs_in_a_node, .init = s_setup,
     .fini = s_teardown, .timeout = 180)
{
    const char *build_root = getenv("SHOAL_BUILD_ROOT");
    cr_assert(build_root, "SHOAL_BUILD_ROOT is not set");
    char path[1024], command[8192];
    snprintf(path, sizeof path, "%s/tally.c", s_dir);
    FILE *file = fopen(path, "w");
    cr_assert(file);
    fputs(s_plugin_source, file);
    fclose(file);

    /* Stage an install, then let pkg-config find it there. */
    snprintf(command, sizeof command,
             "meson install --no-rebuild --quiet -C '%s' --destdir '%s/stage'"
             " >/dev/null && "
             "pc=$(dirname $(find '%s/stage' -name shoal.pc)) && "
             "export PKG_CONFIG_PATH=\"$pc\" PKG_CONFIG_SYSROOT_DIR='%s/stage'"
             " && cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -shared "
             "-fPIC -o '%s/tally.so' '%s/tally.c' "
             "$(pkg-config --cflags --libs shoal)",
             build_root, s_dir, s_dir, s_dir, s_dir, s_dir);
    s_shell(command);

    snprintf(path, sizeof path, "%s/tally.so", s_dir);
    node_process_t *node = node_process_start(s_dir, "--plugin", path, NULL);
    cr_assert(node);
    shoal_client_t *client = node_process_client(node);
    for (int i = 0; i < 3; i++) {
        shoal_reply_t reply = {0};
        cr_assert(shoal_client_call(client, "tally", "t1", "Add", NULL, 0, NULL,
                                    &reply, TEST_REQUEST_TIMEOUT_MS) == 0);
        cr_assert_eq(reply.status, SHOAL_REPLY_ACCEPTED);
        cr_assert_str_eq(reply.body, "added");
        cr_assert_eq(reply.first_seq, (uint64_t)i + 1);
        shoal_reply_clear(&reply);
    }
    cr_assert_eq(node_process_get_int(node, "tally", "t1", "tally"), 3);
    shoal_client_destroy(&client);
    cr_assert_eq(node_process_stop(&node), 0);
}
