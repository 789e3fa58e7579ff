/*
 * tests/integration/test_startup.c - shoald refuses bad flags with exit
 * code 2 and an unusable journal with exit code 1 and one stderr line,
 * in both cases without binding its sockets (no readiness line).
 */
#include "node_fixture.h"
#include "node_process.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static node_fixture_t s_fixture;
static char s_data_dir[PATH_MAX];

static void s_setup(void)
{
    node_fixture_init(&s_fixture);
    snprintf(s_data_dir, sizeof s_data_dir, "%s/data", s_fixture.dir);
    cr_assert_eq(mkdir(s_data_dir, 0755), 0);
}

static void s_teardown(void)
{
    node_fixture_fini(&s_fixture);
}

TestSuite(startup, .init = s_setup, .fini = s_teardown);

/* Runs shoald with the example plugins and the given extra arguments (at
 * most 4) and checks it exits with expected_code without becoming ready.
 * Returns its stderr (the caller's). */
static char *s_expect_exit(const char *data_dir, const char *const extra[],
                           int expected_code)
{
    const char *args[12] = {"--plugin", test_example_plugin("counter"),
                            "--plugin", test_example_plugin("account")};
    size_t count = 4;
    for (size_t i = 0; extra[i]; i++) {
        cr_assert_lt(count, 11);
        args[count++] = extra[i];
    }
    args[count] = NULL;
    char *stderr_text = NULL;
    bool printed_ready = false;
    int code =
        node_process_run_failing(data_dir, args, &stderr_text, &printed_ready);
    cr_assert_not(printed_ready, "shoald started; stderr: %s", stderr_text);
    cr_assert_eq(code, expected_code, "exit %d, expected %d; stderr: %s", code,
                 expected_code, stderr_text);
    cr_assert_gt(strlen(stderr_text), 0, "nothing on stderr");
    return stderr_text;
}

/* Checks stderr is the one line `shoald: ...` naming path. */
static void s_expect_one_line(char *stderr_text, const char *path)
{
    size_t length = strlen(stderr_text);
    if (length > 0 && stderr_text[length - 1] == '\n')
        stderr_text[--length] = '\0';
    cr_assert_null(strchr(stderr_text, '\n'), "more than one stderr line:\n%s",
                   stderr_text);
    cr_assert(strncmp(stderr_text, "shoald: ", 8) == 0,
              "stderr does not start with 'shoald: ': %s", stderr_text);
    cr_assert(strstr(stderr_text, path), "stderr does not name %s: %s", path,
              stderr_text);
}

Test(startup, unknown_flag_exits_2)
{
    const char *extra[] = {"--no-such-flag", NULL};
    free(s_expect_exit(s_data_dir, extra, 2));
}

Test(startup, bad_number_exits_2)
{
    const char *extra[] = {"--shards", "many", NULL};
    free(s_expect_exit(s_data_dir, extra, 2));
}

Test(startup, bad_durability_exits_2)
{
    const char *extra[] = {"--durability", "sometimes", NULL};
    free(s_expect_exit(s_data_dir, extra, 2));
}

Test(startup, missing_config_file_exits_2)
{
    const char *extra[] = {"--config", "/nonexistent/shoal.cfg", NULL};
    free(s_expect_exit(s_data_dir, extra, 2));
}

Test(startup, data_dir_that_is_a_file_exits_1)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/a_file", s_fixture.dir);
    FILE *file = fopen(path, "w");
    cr_assert_not_null(file);
    fputs("not a directory\n", file);
    fclose(file);
    const char *extra[] = {NULL};
    char *stderr_text = s_expect_exit(path, extra, 1);
    s_expect_one_line(stderr_text, path);
    free(stderr_text);
}

/* nftw callback: overwrites every regular file with garbage. */
static int s_corrupt(const char *path, const struct stat *info, int flag,
                     struct FTW *ftw)
{
    (void)info;
    (void)ftw;
    if (flag != FTW_F)
        return 0;
    FILE *file = fopen(path, "wb");
    cr_assert_not_null(file, "cannot open %s", path);
    for (int i = 0; i < 512; i++)
        fputs("garbage!", file);
    fclose(file);
    return 0;
}

Test(startup, corrupt_journal_exits_1)
{
    s_fixture.node = node_process_start_examples(s_fixture.dir, NULL);
    cr_assert_not_null(s_fixture.node);
    shoal_client_t *client = node_process_client(s_fixture.node);
    shoal_reply_t reply = {0};
    cr_assert_eq(shoal_client_call(client, "counter", "c", "Increment", NULL, 0,
                                   NULL, &reply, TEST_REQUEST_TIMEOUT_MS),
                 0);
    cr_assert_eq(reply.status, SHOAL_REPLY_ACCEPTED);
    shoal_reply_clear(&reply);
    shoal_client_destroy(&client);
    cr_assert_eq(node_process_stop(&s_fixture.node), 0);

    nftw(s_data_dir, s_corrupt, 16, FTW_PHYS);
    const char *extra[] = {NULL};
    char *stderr_text = s_expect_exit(s_data_dir, extra, 1);
    s_expect_one_line(stderr_text, s_data_dir);
    free(stderr_text);
}

Test(startup, another_number_of_shards_than_the_journal_has_exits_1)
{
    s_fixture.node =
        node_process_start_examples(s_fixture.dir, "--shards", "16", NULL);
    cr_assert_not_null(s_fixture.node);
    cr_assert_eq(node_process_stop(&s_fixture.node), 0);

    const char *extra[] = {"--shards", "32", NULL};
    char *stderr_text = s_expect_exit(s_data_dir, extra, 1);
    s_expect_one_line(stderr_text, s_data_dir);
    cr_assert(strstr(stderr_text, "shards = 16") &&
                  strstr(stderr_text, "shards = 32"),
              "stderr does not name both shard counts: %s", stderr_text);
    free(stderr_text);

    /* The same number still opens it. */
    s_fixture.node =
        node_process_start_examples(s_fixture.dir, "--shards", "16", NULL);
    cr_assert_not_null(s_fixture.node);
}
