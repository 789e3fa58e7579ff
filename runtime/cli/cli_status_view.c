/*
 * runtime/cli/cli_status_view.c - renders the node's status JSON (see
 * docs/PROTOCOL.md, "status JSON") for people:
 *
 *   node      alpha
 *   types     account, counter
 *   queues
 *     worker_inbox  0, 0
 *     journal       0
 *
 * The rendering follows the JSON rather than a fixed list of fields, in the
 * node's order, so fields a newer node adds show up too. A few sections
 * have a form of their own, when they have the shape this version knows:
 *
 *   clock     2027-01-15T08:00:00.000Z  (manual)
 *   policies
 *     NAME            SOURCE  STATE    LAG  HANDLED  RETRIES  DEAD LETTERS
 *     poke-forwarder  poke    backoff  2    10       4        1
 *       last error: asked to fail
 *   topics
 *     NAME   HEAD  SHARDS
 *     pokes  10    7
 *   cluster
 *     local        n2
 *     epoch        4
 *     ...
 *     members      n1 up, n2 up, n3 down (unreachable)
 *     shards       64: n1 22, n2 21, n3 21
 *
 * (`shoal members` and `shoal shards` show the members and the shard
 * table whole.)
 */
#include "runtime/cli/cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Keys wider than this do not widen their column. */
#define S_KEY_COLUMN_MAX 24

/* A top-level section with a rendering of its own. */
typedef struct {
    const char *key;
    bool is_inline; /* printed on its key's line */
    /* Prints the value after its key; returns false, having printed
     * nothing, when the value does not have the shape it knows. */
    bool (*print)(const char *key, const json_t *value, int width);
} s_section_t;

/* The section called key at the top level, or NULL. */
static const s_section_t *s_section(const char *key, int indent);

/* True for values printed on their key's line: anything but a non-empty
 * object, unless a section of its own says otherwise. */
static bool s_is_inline(const char *key, const json_t *value, int indent)
{
    const s_section_t *section = s_section(key, indent);
    if (section != NULL)
        return section->is_inline;
    return !json_is_object(value) || json_object_size(value) == 0;
}

/* Prints a scalar without quotes; arrays and objects as compact JSON. */
static void s_print_scalar(const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_STRING:
        fwrite(json_string_value(value), 1, json_string_length(value), stdout);
        break;
    case JSON_INTEGER:
        printf("%" JSON_INTEGER_FORMAT, json_integer_value(value));
        break;
    case JSON_REAL:
        printf("%g", json_real_value(value));
        break;
    case JSON_TRUE:
        printf("yes");
        break;
    case JSON_FALSE:
        printf("no");
        break;
    case JSON_NULL:
        printf("-");
        break;
    default: {
        char *text = json_dumps(value, JSON_COMPACT);
        printf("%s", text != NULL ? text : "?");
        free(text);
    }
    }
}

/* Prints a value that fits on one line: an array as a comma-separated
 * list ("-" when empty), anything else as a scalar. */
static void s_print_inline(const json_t *value)
{
    if (!json_is_array(value)) {
        s_print_scalar(value);
        return;
    }
    if (json_array_size(value) == 0)
        printf("-");
    size_t index;
    const json_t *element;
    json_array_foreach(value, index, element)
    {
        if (index > 0)
            printf(", ");
        s_print_scalar(element);
    }
}

/* ---------------------------------------------------------------------
 * Sections of their own
 */

/* Copies member key of object into cell: an integer, a string, or "-". */
static void s_cell(const json_t *object, const char *key, char *cell,
                   size_t size)
{
    const json_t *value = json_object_get(object, key);
    if (json_is_integer(value))
        snprintf(cell, size, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(value));
    else if (json_is_string(value))
        snprintf(cell, size, "%s", json_string_value(value));
    else
        snprintf(cell, size, "-");
}

/* clock: {"now_ms": N, "manual": B} as a time and the kind of clock. */
static bool s_print_clock(const char *key, const json_t *value, int width)
{
    const json_t *now = json_object_get(value, "now_ms");
    const json_t *manual = json_object_get(value, "manual");
    if (!json_is_integer(now) || !json_is_boolean(manual))
        return false;
    char text[CLI_TIME_TEXT_SIZE];
    cli_format_time(json_integer_value(now), text);
    printf("%-*s  %s  (%s)\n", width, key, text,
           json_is_true(manual) ? "manual" : "system");
    return true;
}

/* The columns of the policies' table, and the members they show. */
#define S_POLICY_COLUMNS 7
static const char *const s_policy_headings[S_POLICY_COLUMNS] = {
    "NAME", "SOURCE", "STATE", "LAG", "HANDLED", "RETRIES", "DEAD LETTERS"};
static const char *const s_policy_keys[S_POLICY_COLUMNS] = {
    "name",    "source_type", "state",       "lag",
    "handled", "retries",     "dead_letters"};

/* policies: an array of objects, as a table with one row per policy, and
 * each policy's last error, when it has one, under the table. */
static bool s_print_policies(const char *key, const json_t *value, int width)
{
    size_t count = json_array_size(value);
    if (!json_is_array(value))
        return false;
    if (count == 0) {
        printf("%-*s  -\n", width, key);
        return true;
    }
    char(*texts)[S_POLICY_COLUMNS][80] = calloc(count, sizeof *texts);
    const char **cells = calloc(count * S_POLICY_COLUMNS, sizeof *cells);
    if (texts == NULL || cells == NULL) {
        free(texts);
        free(cells);
        return false;
    }
    for (size_t row = 0; row < count; row++) {
        for (size_t column = 0; column < S_POLICY_COLUMNS; column++) {
            s_cell(json_array_get(value, row), s_policy_keys[column],
                   texts[row][column], sizeof texts[row][column]);
            cells[row * S_POLICY_COLUMNS + column] = texts[row][column];
        }
    }
    printf("%s\n", key);
    cli_print_table(2, S_POLICY_COLUMNS, s_policy_headings, cells, count);
    for (size_t row = 0; row < count; row++) {
        const json_t *error =
            json_object_get(json_array_get(value, row), "last_error");
        if (json_is_string(error))
            printf("  %s: last error: %s\n", texts[row][0],
                   json_string_value(error));
    }
    free(cells);
    free(texts);
    return true;
}

/* topics: {"NAME": {"head": N, "shards": {...}}, ...} as a table of the
 * topics with their head (events published) and the shards holding
 * them. */
static bool s_print_topics(const char *key, const json_t *value, int width)
{
    size_t count = json_object_size(value);
    if (!json_is_object(value))
        return false;
    if (count == 0) {
        printf("%-*s  -\n", width, key);
        return true;
    }
    char(*texts)[2][24] = calloc(count, sizeof *texts);
    const char **cells = calloc(count * 3, sizeof *cells);
    if (texts == NULL || cells == NULL) {
        free(texts);
        free(cells);
        return false;
    }
    size_t row = 0;
    const char *name;
    const json_t *topic;
    json_object_foreach((json_t *)value, name, topic)
    {
        s_cell(topic, "head", texts[row][0], sizeof texts[row][0]);
        snprintf(texts[row][1], sizeof texts[row][1], "%zu",
                 json_object_size(json_object_get(topic, "shards")));
        cells[row * 3] = name;
        cells[row * 3 + 1] = texts[row][0];
        cells[row * 3 + 2] = texts[row][1];
        row++;
    }
    printf("%s\n", key);
    cli_print_table(2, 3, (const char *const[]){"NAME", "HEAD", "SHARDS"},
                    cells, count);
    free(cells);
    free(texts);
    return true;
}

static void s_print_members(const json_t *object, int indent);

/* Writes the members of a cluster object, by name, as "n1 up, n2 down
 * (unreachable)". Returns the text (the caller's), or NULL. */
static char *s_cluster_members_text(const json_t *members,
                                    const cli_owner_t *owners, size_t count)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (out == NULL)
        return NULL;
    bool first = true;
    for (size_t index = 0; index < count; index++) {
        size_t at;
        const json_t *member;
        json_array_foreach(members, at, member)
        {
            const char *name =
                json_string_value(json_object_get(member, "name"));
            const char *state =
                json_string_value(json_object_get(member, "state"));
            if (name == NULL || strcmp(name, owners[index].name) != 0)
                continue;
            fprintf(out, "%s%s %s%s", first ? "" : ", ", name,
                    state != NULL ? state : "?",
                    json_is_false(json_object_get(member, "reachable"))
                        ? " (unreachable)"
                        : "");
            first = false;
            break;
        }
    }
    if (first)
        fputs("-", out);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Writes the shard table of a cluster object as counts per owner, "64:
 * n1 22, n2 21, n3 21, 0 without owner". Returns the text (the
 * caller's), or NULL. */
static char *s_cluster_shards_text(size_t total, const cli_owner_t *owners,
                                   size_t count, size_t unowned)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (out == NULL)
        return NULL;
    fprintf(out, "%zu:", total);
    for (size_t index = 0; index < count; index++)
        fprintf(out, "%s %s %zu", index > 0 ? "," : "", owners[index].name,
                owners[index].shards);
    if (unowned > 0)
        fprintf(out, "%s %zu without owner", count > 0 ? "," : "", unowned);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* cluster: its fields as they come, but the members and the shard table
 * summed up on one line each, and why_not_serving only when it says
 * something. */
static bool s_print_cluster(const char *key, const json_t *value, int width)
{
    const json_t *members = json_object_get(value, "members");
    const json_t *shards = json_object_get(value, "shards");
    if (!json_is_array(members) || !json_is_array(shards))
        return false;
    size_t count, unowned;
    cli_owner_t *owners = cli_cluster_owners(value, &count, &unowned);
    char *members_text =
        owners != NULL ? s_cluster_members_text(members, owners, count) : NULL;
    char *shards_text = owners != NULL
                            ? s_cluster_shards_text(json_array_size(shards),
                                                    owners, count, unowned)
                            : NULL;
    json_t *copy = json_copy((json_t *)value);
    bool printed = members_text != NULL && shards_text != NULL && copy != NULL;
    if (printed) {
        json_object_set_new(copy, "members", json_string(members_text));
        json_object_set_new(copy, "shards", json_string(shards_text));
        if (json_is_null(json_object_get(copy, "why_not_serving")))
            json_object_del(copy, "why_not_serving");
        printf("%s\n", key);
        s_print_members(copy, 2);
    }
    json_decref(copy);
    free(shards_text);
    free(members_text);
    free(owners);
    return printed;
}

static const s_section_t s_sections[] = {
    {"clock", true, s_print_clock},
    {"policies", false, s_print_policies},
    {"topics", false, s_print_topics},
    {"cluster", false, s_print_cluster},
};

static const s_section_t *s_section(const char *key, int indent)
{
    if (indent != 0)
        return NULL;
    for (size_t index = 0; index < sizeof s_sections / sizeof s_sections[0];
         index++) {
        if (strcmp(s_sections[index].key, key) == 0)
            return &s_sections[index];
    }
    return NULL;
}

/* ---------------------------------------------------------------------
 * The whole status
 */

/* Prints each member of object on its own line, indented by indent, with
 * the values of the inline members in one column. */
static void s_print_members(const json_t *object, int indent)
{
    const char *key;
    const json_t *value;
    int width = 0;
    json_object_foreach((json_t *)object, key, value)
    {
        int key_width = (int)strlen(key);
        if (s_is_inline(key, value, indent) && key_width > width)
            width = key_width < S_KEY_COLUMN_MAX ? key_width : S_KEY_COLUMN_MAX;
    }
    json_object_foreach((json_t *)object, key, value)
    {
        const s_section_t *section = s_section(key, indent);
        if (section != NULL && section->print(key, value, width))
            continue;
        if (!json_is_object(value) || json_object_size(value) == 0) {
            printf("%*s%-*s  ", indent, "", width, key);
            s_print_inline(value);
            printf("\n");
        } else {
            printf("%*s%s\n", indent, "", key);
            s_print_members(value, indent + 2);
        }
    }
}

/* Prints the status JSON for people. Returns 0, or -1 (nothing printed)
 * when status_json is not a JSON object. */
int cli_print_status_view(const char *status_json)
{
    json_t *status = json_loads(status_json, 0, NULL);
    if (!json_is_object(status)) {
        json_decref(status);
        return -1;
    }
    s_print_members(status, 0);
    json_decref(status);
    return 0;
}
