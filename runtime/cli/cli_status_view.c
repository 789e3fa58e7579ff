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
 * node's order, so fields a newer node adds show up too.
 */
#include "runtime/cli/cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Keys wider than this do not widen their column. */
#define S_KEY_COLUMN_MAX 24

/* True for values printed on their key's line: anything but a non-empty
 * object. */
static bool s_is_inline(const json_t *value)
{
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
        if (s_is_inline(value) && key_width > width)
            width = key_width < S_KEY_COLUMN_MAX ? key_width : S_KEY_COLUMN_MAX;
    }
    json_object_foreach((json_t *)object, key, value)
    {
        if (s_is_inline(value)) {
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
