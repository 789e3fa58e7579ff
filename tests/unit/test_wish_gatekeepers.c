/*
 * tests/unit/test_wish_gatekeepers.c - the wish plugin's gatekeepers, run
 * on the fake gate: MakeWish's enrichment with the naughty keyword list
 * (loaded by the plugin's open), and FulfillWish's ask of the `wish`
 * lookup and dispatch to the child; and the plugin's open and close.
 */
#include "tests/unit/temp_dir.h"
#include "tests/unit/wish_test.h"

#include "examples/wish/naughty_words.h"

#include <sys/stat.h>

#define WISH_ID "0123456789abcdef0123456789abcdef"

static char *s_dir;

static void s_setup(void)
{
    s_dir = NULL;
    unsetenv("SHOAL_WISH_NAUGHTY_WORDS");
}

static void s_teardown(void)
{
    shoal_plugin.close();
    temp_dir_destroy(&s_dir);
}

TestSuite(wish_gatekeepers, .init = s_setup, .fini = s_teardown);

/* Writes text to a new file name in the test's directory. Returns its
 * path (malloc'd). */
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

/* Opens the plugin as if loaded from plugin_path; returns open's result
 * and its reason in error. */
static int s_open(const char *plugin_path, char *error, size_t error_size)
{
    error[0] = '\0';
    return shoal_plugin.open(plugin_path, error, error_size);
}

/* --- open and close ----------------------------------------------------- */

Test(wish_gatekeepers, open_loads_the_list_shipped_beside_the_plugin)
{
    wish_open_shipped();
    char path[4096];
    snprintf(path, sizeof path, "%s", getenv("WISH_PLUGIN_PATH"));
    strcpy(strrchr(path, '/') + 1, "naughty_words.txt");
    char error[512];
    naughty_words_t *words = naughty_words_load(path, error, sizeof error);
    cr_assert_not_null(words, "%s", error);
    cr_assert_geq(naughty_words_count(words), 5);
    const char *required[] = {"slingshot", "firecracker", "stink bomb",
                              "whoopee cushion", "itching powder"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        const char *found = naughty_words_find(words, required[i]);
        cr_assert(found && strcmp(found, required[i]) == 0,
                  "%s is not on the shipped list", required[i]);
    }
    naughty_words_destroy(&words);
    cr_assert_null(words);
    naughty_words_destroy(&words);
}

Test(wish_gatekeepers, open_fails_naming_a_missing_list)
{
    char error[512];
    cr_assert_eq(s_open("/no/such/dir/wish.so", error, sizeof error), -1);
    cr_assert(strstr(error, "/no/such/dir/naughty_words.txt"), "%s", error);
    cr_assert(strstr(error, "No such file"), "%s", error);
}

Test(wish_gatekeepers, open_fails_on_a_list_without_keywords)
{
    s_dir = temp_dir_new();
    char *plugin = temp_dir_file(s_dir, "wish.so");
    char error[512];
    const char *empty_lists[] = {"", "\n\n",
                                 "# only a comment\n   # another\n"};
    for (size_t i = 0; i < sizeof empty_lists / sizeof empty_lists[0]; i++) {
        char *list = s_write_file("naughty_words.txt", empty_lists[i]);
        cr_assert_eq(s_open(plugin, error, sizeof error), -1);
        cr_assert(strstr(error, list), "%s", error);
        cr_assert(strstr(error, "no naughty keyword"), "%s", error);
        free(list);
    }
    char *list = s_write_file("naughty_words.txt", "slingshot\n!!! # what?\n");
    cr_assert_eq(s_open(plugin, error, sizeof error), -1);
    char *where = wish_format("%s:2:", list);
    cr_assert(strstr(error, where), "%s", error);
    free(where);
    free(list);
    free(plugin);
}

Test(wish_gatekeepers, open_fails_on_a_directory)
{
    s_dir = temp_dir_new();
    char *list = temp_dir_file(s_dir, "naughty_words.txt");
    cr_assert_eq(mkdir(list, 0700), 0);
    char *plugin = temp_dir_file(s_dir, "wish.so");
    char error[512];
    cr_assert_eq(s_open(plugin, error, sizeof error), -1);
    cr_assert(strstr(error, list), "%s", error);
    free(plugin);
    free(list);
}

Test(wish_gatekeepers, the_environment_may_name_another_list)
{
    char *list = s_write_file("my_words.txt", "broccoli\n");
    setenv("SHOAL_WISH_NAUGHTY_WORDS", list, 1);
    char error[512];
    cr_assert_eq(s_open("/no/such/dir/wish.so", error, sizeof error), 0, "%s",
                 error);
    free(list);
}

Test(wish_gatekeepers, the_list_reads_comments_blanks_and_case)
{
    char *list = s_write_file("words.txt", "# naughty things\n"
                                           "\n"
                                           "  Stink   BOMB  # the classic\n"
                                           "\tkazoo\r\n"
                                           "x-ray glasses\n");
    char error[512];
    naughty_words_t *words = naughty_words_load(list, error, sizeof error);
    cr_assert_not_null(words, "%s", error);
    cr_assert_eq(naughty_words_count(words), 3);
    cr_assert_str_eq(naughty_words_find(words, "a stink bomb"), "stink bomb");
    cr_assert_str_eq(naughty_words_find(words, "a KAZOO"), "kazoo");
    cr_assert_str_eq(naughty_words_find(words, "x ray glasses"),
                     "x ray glasses");
    cr_assert_null(naughty_words_find(words, "naughty things"));
    cr_assert_null(naughty_words_find(words, "the classic"));
    naughty_words_destroy(&words);
    free(list);
}

/* --- The MakeWish gatekeeper -------------------------------------------- */

/* Runs the MakeWish gatekeeper on payload (NULL: empty) into gate, which
 * the caller finishes with fake_gate_fini, and asserts it decided once
 * without asking. */
static void s_run_make_wish(shoal_gate_t *gate, const char *payload)
{
    fake_gate_init(gate, WISH_NOW, "alice");
    shoal_command_t command = {"MakeWish", payload,
                               payload ? strlen(payload) : 0};
    wish_type("child")->gatekeepers[0].run(gate, &command);
    cr_assert_eq(gate->ask_count, 0);
    cr_assert_eq(gate->decision_count, 1);
}

/* Asserts the gatekeeper forwards wish with naughty set as expected,
 * whatever the client's own flag. */
static void s_assert_naughty(const char *wish, bool naughty)
{
    const char *flags[] = {"", ",\"naughty\":true", ",\"naughty\":false"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        char *payload = wish_format("{\"wish\":\"%s\"%s}", wish, flags[i]);
        shoal_gate_t gate;
        s_run_make_wish(&gate, payload);
        cr_assert_eq(gate.decision, FAKE_GATE_FORWARD, "%s: %s", payload,
                     gate.reason ? gate.reason : "");
        wish_assert_json(gate.payload, "{\"wish\":\"%s\",\"naughty\":%s}", wish,
                         naughty ? "true" : "false");
        fake_gate_fini(&gate);
        free(payload);
    }
}

Test(wish_gatekeepers, make_wish_marks_a_wish_with_a_keyword_naughty)
{
    wish_open_shipped();
    s_assert_naughty("a slingshot", true);
    s_assert_naughty("firecracker", true);
    s_assert_naughty("a box of firecrackers", true);
    s_assert_naughty("two slingshots and a kite", true);
    s_assert_naughty("itching powder for my sister", true);
}

Test(wish_gatekeepers, make_wish_marks_a_nice_wish_nice)
{
    wish_open_shipped();
    s_assert_naughty("a red bicycle", false);
    s_assert_naughty("a sling and a shot of cocoa", false);
    s_assert_naughty("a stink and a bomb", false); /* not one phrase */
    s_assert_naughty("stinks bomb", false);        /* a plural ends it */
    s_assert_naughty("a bangle", false);           /* not "banger" */
    s_assert_naughty("slingshotting lessons", false);
    s_assert_naughty("a catapultic adventure book", false);
    s_assert_naughty("\xc3\xa9slingshot", false); /* one word: not ASCII */
}

Test(wish_gatekeepers, make_wish_matches_phrases_across_case_and_punctuation)
{
    wish_open_shipped();
    s_assert_naughty("STINK BOMB", true);
    s_assert_naughty("two Stink-Bombs, please!", true);
    s_assert_naughty("a whoopee   cushion", true);
    s_assert_naughty("Whoopee\\nCushion", true); /* a JSON-escaped newline */
    s_assert_naughty("my very own WHOOPEE-CUSHIONS", true);
    s_assert_naughty("(slingshot)", true);
}

Test(wish_gatekeepers, make_wish_keeps_the_other_fields_for_the_child)
{
    wish_open_shipped();
    shoal_gate_t gate;
    s_run_make_wish(&gate, "{\"size\":3,\"wish\":\"a kite\",\"naughty\":true}");
    cr_assert_eq(gate.decision, FAKE_GATE_FORWARD);
    harness_assert_json(gate.payload,
                        "{\"size\":3,\"wish\":\"a kite\",\"naughty\":false}");
    fake_gate_fini(&gate);
}

Test(wish_gatekeepers, make_wish_rejects_a_payload_without_a_string_wish)
{
    wish_open_shipped();
    const char *cases[][2] = {
        {"{\"naughty\":false}", "wish must be a string"},
        {"{\"wish\":5}", "wish must be a string"},
        {"[\"a kite\"]", "wish must be a string"},
        {"\"a kite\"", "wish must be a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        shoal_gate_t gate;
        s_run_make_wish(&gate, cases[i][0]);
        cr_assert_eq(gate.decision, FAKE_GATE_REJECT);
        cr_assert_str_eq(gate.reason, cases[i][1]);
        fake_gate_fini(&gate);
    }
    const char *not_json[] = {"{\"wish\":", "", NULL};
    for (size_t i = 0; i < sizeof not_json / sizeof not_json[0]; i++) {
        shoal_gate_t gate;
        s_run_make_wish(&gate, not_json[i]);
        cr_assert_eq(gate.decision, FAKE_GATE_REJECT);
        cr_assert(strstr(gate.reason, "\"wish\"") &&
                      strstr(gate.reason, "not valid JSON"),
                  "%s", gate.reason);
        fake_gate_fini(&gate);
    }
}

Test(wish_gatekeepers, an_enriched_naughty_wish_is_refused_by_the_child)
{
    wish_open_shipped();
    shoal_gate_t gate;
    s_run_make_wish(&gate, "{\"wish\":\"a stink bomb\",\"naughty\":false}");
    wish_driver_t child;
    wish_driver_init(&child, "child", "alice");
    harness_outcome_t outcome =
        wish_reject(&child, "MakeWish", gate.payload, "naughty wish", 1);
    cr_assert(strstr(outcome.events[0], "\"NaughtyWish\""));
    harness_outcome_free(&outcome);
    wish_driver_fini(&child);
    fake_gate_fini(&gate);
}

/* --- The FulfillWish gatekeeper ----------------------------------------- */

/* Runs round 0 of the FulfillWish gatekeeper on payload into gate (the
 * caller finishes it). */
static void s_run_fulfill_wish(shoal_gate_t *gate, const char *payload)
{
    fake_gate_init(gate, WISH_NOW, WISH_ID);
    shoal_command_t command = {"FulfillWish", payload,
                               payload ? strlen(payload) : 0};
    wish_type("wish")->gatekeepers[0].run(gate, &command);
}

/* Ends round 0, which must have asked the lookup, with answer (NULL: the
 * ask timed out), and runs round 1. */
static void s_answer_fulfill_wish(shoal_gate_t *gate, const char *answer)
{
    cr_assert_eq(gate->decision_count, 0);
    cr_assert_eq(gate->ask_count, 1);
    cr_assert_str_eq(gate->asks[0].type, "wish");
    cr_assert_str_eq(gate->asks[0].entity_id, WISH_ID);
    cr_assert_eq(gate->asks[0].timeout_ms, 0);
    fake_gate_set_answer(gate, 0, answer, answer ? 3 : 0);
    fake_gate_next_round(gate);
    shoal_command_t command = {"FulfillWish", "{}", 2};
    wish_type("wish")->gatekeepers[0].run(gate, &command);
    cr_assert_eq(gate->ask_count, 0);
    cr_assert_eq(gate->decision_count, 1);
}

Test(wish_gatekeepers,
     fulfill_wish_asks_the_lookup_then_dispatches_to_the_child)
{
    const char *payloads[] = {NULL, "{}", "{\"wish_id\":\"" WISH_ID "\"}"};
    for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
        shoal_gate_t gate;
        s_run_fulfill_wish(&gate, payloads[i]);
        s_answer_fulfill_wish(&gate, "{\"wish_id\":\"" WISH_ID "\","
                                     "\"child_id\":\"alice\",\"open\":true}");
        cr_assert_eq(gate.decision, FAKE_GATE_DISPATCH);
        cr_assert_str_eq(gate.dispatch_type, "child");
        cr_assert_str_eq(gate.dispatch_entity_id, "alice");
        cr_assert_str_eq(gate.dispatch_command, "MarkWishFulfilled");
        harness_assert_json(gate.payload, "{\"wish_id\":\"" WISH_ID "\"}");
        fake_gate_fini(&gate);
    }
}

Test(wish_gatekeepers, fulfill_wish_of_an_unknown_or_closed_wish_is_not_found)
{
    const char *answers[] = {
        "{\"wish_id\":\"" WISH_ID "\",\"child_id\":null,\"open\":false}",
        "{\"wish_id\":\"" WISH_ID "\",\"child_id\":\"alice\",\"open\":false}",
    };
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
        shoal_gate_t gate;
        s_run_fulfill_wish(&gate, "{}");
        s_answer_fulfill_wish(&gate, answers[i]);
        cr_assert_eq(gate.decision, FAKE_GATE_REJECT);
        cr_assert_str_eq(gate.reason, "wish not found");
        fake_gate_fini(&gate);
    }
}

Test(wish_gatekeepers, fulfill_wish_without_an_answer_is_unavailable)
{
    const char *answers[] = {NULL, "garbage"};
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
        shoal_gate_t gate;
        s_run_fulfill_wish(&gate, "{}");
        s_answer_fulfill_wish(&gate, answers[i]);
        cr_assert_eq(gate.decision, FAKE_GATE_REJECT);
        cr_assert_str_eq(gate.reason, "wish lookup unavailable, try again");
        fake_gate_fini(&gate);
    }

    /* an ask the runtime refuses */
    shoal_gate_t gate;
    fake_gate_init(&gate, WISH_NOW, WISH_ID);
    gate.fail_asks = true;
    shoal_command_t command = {"FulfillWish", "{}", 2};
    wish_type("wish")->gatekeepers[0].run(&gate, &command);
    cr_assert_eq(gate.decision, FAKE_GATE_REJECT);
    cr_assert_str_eq(gate.reason, "wish lookup unavailable, try again");
    fake_gate_fini(&gate);
}

Test(wish_gatekeepers, fulfill_wish_rejects_a_bad_payload_without_asking)
{
    const char *cases[][2] = {
        {"{\"wish_id\":\"another\"}",
         "wish_id must be the id of the wish addressed"},
        {"{\"wish_id\":5}", "wish_id must be the id of the wish addressed"},
        {"{\"child_id\":\"alice\"}", "FulfillWish takes no field but wish_id"},
        {"[]", "payload must be a JSON object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        shoal_gate_t gate;
        s_run_fulfill_wish(&gate, cases[i][0]);
        cr_assert_eq(gate.ask_count, 0);
        cr_assert_eq(gate.decision, FAKE_GATE_REJECT);
        cr_assert_str_eq(gate.reason, cases[i][1]);
        fake_gate_fini(&gate);
    }
    shoal_gate_t gate;
    s_run_fulfill_wish(&gate, "{");
    cr_assert_eq(gate.ask_count, 0);
    cr_assert_eq(gate.decision, FAKE_GATE_REJECT);
    cr_assert(strstr(gate.reason, "not valid JSON"), "%s", gate.reason);
    fake_gate_fini(&gate);
}
