/*
 * examples/wish/child_state.c - the `child` aggregate's state: the fold,
 * the query and the snapshots.
 *
 * Events (JSON objects with a "type"; emitted by child_commands.c):
 *
 *   {"type":"WishApproved","wish_id":id,"wish":text}      add the wish
 *   {"type":"WishCancelled","wish_id":id,"wish":text}     remove it
 *   {"type":"WishFulfilled","wish_id":id,"wish":text}     remove it
 *   {"type":"WishRejected","wish":text,"reason":r,"at":ms}
 *       r is "TooManyWishes", "ChildOnNaughtyList" or "NaughtyWish"; with
 *       NaughtyWish, banned_until = at + CHILD_BAN_MS; else no change
 *   {"type":"BecameNaughty","until":ms}                   naughty_until = ms
 *
 * WishCancelled and WishFulfilled carry the wish's text for the policies
 * that publish them; the fold needs only the id.
 *
 * The query renders {"child_id":id,"wishes":[{"wish_id":id,"wish":text},
 * ...],"naughty_until":ms,"banned_until":ms}, the wishes in approval
 * order; a snapshot is the same object without "child_id".
 */
#include "child.h"

#include "wish_json.h"

#include <stdlib.h>
#include <string.h>

/* --- State ------------------------------------------------------------- */

void *child_state_new(const char *entity_id)
{
    (void)entity_id; /* the query gets the id; the state need not keep it */
    child_state_t *state = calloc(1, sizeof *state);
    if (!state)
        return NULL;
    state->naughty_until = CHILD_DISTANT_PAST;
    state->banned_until = CHILD_DISTANT_PAST;
    return state;
}

void child_state_free(void **state_p)
{
    if (!state_p || !*state_p)
        return;
    free(*state_p);
    *state_p = NULL;
}

const child_wish_t *child_find_wish(const child_state_t *state,
                                    const char *wish_id)
{
    for (size_t i = 0; i < state->wish_count; i++)
        if (strcmp(state->wishes[i].id, wish_id) == 0)
            return &state->wishes[i];
    return NULL;
}

bool child_wish_text_is_valid(const char *text)
{
    return wish_text_has_chars(text, CHILD_WISH_MAX_CHARS) &&
           strlen(text) <= CHILD_WISH_MAX_BYTES;
}

bool child_wish_id_is_valid(const char *text)
{
    size_t length = strlen(text);
    return length >= 1 && length < SHOAL_ID_SIZE;
}

/* Adds a wish at the end. Returns 0, or -1 when the state cannot hold it:
 * full, a bad id or text, or an id already active. */
static int s_add_wish(child_state_t *state, const char *wish_id,
                      const char *text)
{
    if (state->wish_count >= CHILD_MAX_WISHES ||
        !child_wish_id_is_valid(wish_id) || !child_wish_text_is_valid(text) ||
        child_find_wish(state, wish_id))
        return -1;
    child_wish_t *wish = &state->wishes[state->wish_count++];
    strcpy(wish->id, wish_id);
    strcpy(wish->text, text);
    return 0;
}

/* Removes the active wish wish_id, keeping the others in order. */
static void s_remove_wish(child_state_t *state, const char *wish_id)
{
    const child_wish_t *wish = child_find_wish(state, wish_id);
    if (!wish)
        return;
    size_t index = (size_t)(wish - state->wishes);
    memmove(&state->wishes[index], &state->wishes[index + 1],
            (state->wish_count - index - 1) * sizeof state->wishes[0]);
    state->wish_count--;
    memset(&state->wishes[state->wish_count], 0, sizeof state->wishes[0]);
}

/* --- The fold ----------------------------------------------------------- */

/* The fold. An event this plugin could not have emitted (malformed, an
 * eleventh wish, a duplicate id, an unknown type) is skipped, so the fold
 * stays total and deterministic and the state's invariants hold whatever
 * the journal holds. Removing a wish that is not active is no change. */
void child_apply_event(void *state_p, const void *event, size_t event_size)
{
    child_state_t *state = state_p;
    json_error_t error;
    json_t *json = json_loadb(event, event_size, 0, &error);
    if (!json) {
        /* Skipping a good event would silently fork this state from its
         * journal, and the ABI gives the fold no way to fail: stop. */
        if (json_error_code(&error) == json_error_out_of_memory)
            abort();
        return;
    }
    const char *type = "", *wish_id = NULL, *wish = NULL, *reason = NULL;
    json_t *at = NULL, *until = NULL;
    if (json_unpack(json, "{s:s, s?s, s?s, s?s, s?o, s?o}", "type", &type,
                    "wish_id", &wish_id, "wish", &wish, "reason", &reason, "at",
                    &at, "until", &until) < 0)
        type = "";

    if (strcmp(type, "WishApproved") == 0 && wish_id && wish) {
        s_add_wish(state, wish_id, wish);
    } else if ((strcmp(type, "WishCancelled") == 0 ||
                strcmp(type, "WishFulfilled") == 0) &&
               wish_id) {
        s_remove_wish(state, wish_id);
    } else if (strcmp(type, "WishRejected") == 0 && reason &&
               strcmp(reason, "NaughtyWish") == 0 && json_is_integer(at)) {
        json_int_t time = json_integer_value(at);
        state->banned_until =
            time > INT64_MAX - CHILD_BAN_MS ? INT64_MAX : time + CHILD_BAN_MS;
    } else if (strcmp(type, "BecameNaughty") == 0 && json_is_integer(until)) {
        state->naughty_until = json_integer_value(until);
    }
    json_decref(json);
}

/* --- Query and snapshots ------------------------------------------------ */

/* Builds the JSON object of the state: the query without "child_id", and
 * the snapshot. NULL when out of memory. */
static json_t *s_state_json(const child_state_t *state)
{
    json_t *wishes = json_array();
    for (size_t i = 0; wishes && i < state->wish_count; i++) {
        /* json_array_append_new releases the item even when it fails */
        if (json_array_append_new(
                wishes, json_pack("{s:s, s:s}", "wish_id", state->wishes[i].id,
                                  "wish", state->wishes[i].text)) < 0) {
            json_decref(wishes);
            wishes = NULL;
        }
    }
    /* "o" hands wishes over to the new object, even when json_pack fails */
    return wishes ? json_pack("{s:o, s:I, s:I}", "wishes", wishes,
                              "naughty_until", (json_int_t)state->naughty_until,
                              "banned_until", (json_int_t)state->banned_until)
                  : NULL;
}

/* Renders the state with "child_id" first. */
char *child_query(const void *state_p, const char *entity_id)
{
    json_t *id = wish_entity_id_json(entity_id);
    json_t *query = id ? json_pack("{s:o}", "child_id", id) : NULL;
    json_t *state = s_state_json(state_p);
    char *text = NULL;
    if (query && state && json_object_update(query, state) == 0)
        text = json_dumps(query, JSON_COMPACT);
    json_decref(query);
    json_decref(state);
    return text;
}

int child_snapshot_encode(const void *state_p, void **data, size_t *size)
{
    char *text = wish_dump(s_state_json(state_p));
    if (!text)
        return -1;
    *data = text;
    *size = strlen(text);
    return 0;
}

/* Reads the snapshot's wishes into state. Returns 0, or -1 when wishes is
 * not an array of at most CHILD_MAX_WISHES distinct, valid wishes. */
static int s_wishes_from_json(child_state_t *state, json_t *wishes)
{
    if (!json_is_array(wishes) || json_array_size(wishes) > CHILD_MAX_WISHES)
        return -1;
    size_t index;
    json_t *item;
    json_array_foreach(wishes, index, item)
    {
        const char *wish_id, *text;
        if (json_unpack_ex(item, NULL, JSON_STRICT, "{s:s, s:s}", "wish_id",
                           &wish_id, "wish", &text) < 0 ||
            s_add_wish(state, wish_id, text) < 0)
            return -1;
    }
    return 0;
}

/* Returns a new state from the bytes child_snapshot_encode writes, or NULL
 * when they are not exactly such a snapshot. */
void *child_snapshot_decode(const char *entity_id, const void *data,
                            size_t size)
{
    json_t *json = wish_parse(data, size, NULL);
    json_t *wishes;
    json_int_t naughty_until, banned_until;
    child_state_t *state = NULL;
    if (!json ||
        json_unpack_ex(json, NULL, JSON_STRICT, "{s:o, s:I, s:I}", "wishes",
                       &wishes, "naughty_until", &naughty_until, "banned_until",
                       &banned_until) < 0)
        goto out_release_json;
    state = child_state_new(entity_id);
    if (!state)
        goto out_release_json;
    state->naughty_until = naughty_until;
    state->banned_until = banned_until;
    if (s_wishes_from_json(state, wishes) < 0)
        child_state_free((void **)&state);

out_release_json:
    json_decref(json);
    return state;
}
