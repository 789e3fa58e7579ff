/*
 * examples/account/account.c - the `account` aggregate: a bank account that
 * is opened once, takes deposits and withdrawals, and is closed once empty.
 *
 * It shows a plugin whose commands depend on the state's lifecycle: each
 * command first checks the state it may run in, then reads its payload,
 * then decides. handle_command never writes to the state; apply_event is
 * the only code that does, and the balance never goes below zero.
 *
 * Commands; payloads are JSON objects, an empty payload reads as {}, and
 * a field a command does not know is rejected:
 *
 *   Open     {"owner":"name"} -> {"event":"Opened","owner":"name"}
 *   Deposit  {"amount":n}     -> {"event":"Deposited","amount":n}
 *   Withdraw {"amount":n}     -> {"event":"Withdrawn","amount":n}
 *   Close                     -> {"event":"Closed"}
 *
 * owner is a string of 1..100 characters (UTF-8 code points); n is a
 * positive integer. An accepted command replies {"balance":n} with the
 * balance after its events. The query renders
 * {"id":..,"open":b,"closed":b,"owner":"name"|null,"balance":n}; a
 * snapshot is the same object without "id".
 */
#include "account_forms.h"
#include "shoal/plugin.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACCOUNT_OWNER_MAX_CHARS 100
/* A UTF-8 character takes at most 4 bytes. */
#define ACCOUNT_OWNER_MAX_BYTES (4 * ACCOUNT_OWNER_MAX_CHARS)

/* Lifecycle: new (neither flag) -> open -> closed. The owner lives in the
 * state itself: a state is one block, and applying Opened cannot fail. */
typedef struct {
    bool open;
    bool closed;
    int64_t balance;                         /* 0 unless open */
    char owner[ACCOUNT_OWNER_MAX_BYTES + 1]; /* "" until opened */
} account_state_t;

/* --- Helpers ------------------------------------------------------------ */

/* Rejects the command with a printf-style reason. */
static void s_reject(shoal_effect_t *effect, const char *format, ...)
{
    char reason[320];
    va_list args;
    va_start(args, format);
    vsnprintf(reason, sizeof reason, format, args);
    va_end(args);
    shoal_effect_reject(effect, reason);
}

/* Renders json compactly and releases it. Returns the text (malloc'd, the
 * caller frees it), or NULL when json is NULL or out of memory. */
static char *s_dump(json_t *json)
{
    if (!json)
        return NULL;
    char *text = json_dumps(json, JSON_COMPACT);
    json_decref(json);
    return text;
}

/* True when owner (valid UTF-8, as every jansson string is) has 1 to
 * ACCOUNT_OWNER_MAX_CHARS characters. */
static bool s_owner_is_valid(const char *owner)
{
    size_t chars = 0;
    for (const char *at = owner; *at; at++)
        if (((unsigned char)*at & 0xc0) != 0x80) /* not a continuation */
            chars++;
    return chars >= 1 && chars <= ACCOUNT_OWNER_MAX_CHARS;
}

/* Reads the command's payload as a JSON object whose fields are all in
 * the NULL-terminated list fields. An empty payload reads as {}. Returns
 * the object (the caller releases it), or NULL after rejecting the command
 * with the reason. */
static json_t *s_read_payload(const shoal_command_t *command,
                              const char *const *fields, shoal_effect_t *effect)
{
    json_error_t error;
    json_t *payload;
    if (command->payload_size == 0)
        payload = json_object();
    else
        payload = json_loadb(command->payload, command->payload_size,
                             JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &error);
    if (!payload) {
        if (command->payload_size == 0 ||
            json_error_code(&error) == json_error_out_of_memory)
            shoal_effect_reject(effect, "out of memory");
        else
            s_reject(effect, "payload is not valid JSON: %s", error.text);
        return NULL;
    }
    if (!json_is_object(payload)) {
        shoal_effect_reject(effect, "payload must be a JSON object");
        goto out_release_payload;
    }
    for (void *at = json_object_iter(payload); at;
         at = json_object_iter_next(payload, at)) {
        const char *key = json_object_iter_key(at);
        const char *const *field = fields;
        while (*field && strcmp(*field, key) != 0)
            field++;
        if (!*field) {
            s_reject(effect, "unknown field \"%.64s\"", key);
            goto out_release_payload;
        }
    }
    return payload;

out_release_payload:
    json_decref(payload);
    return NULL;
}

/* Reads payload's "amount": the integer, or 0 when it is absent or not an
 * integer (which the command then rejects as not positive). */
static int64_t s_json_amount(json_t *payload)
{
    json_t *amount = json_object_get(payload, "amount");
    return json_is_integer(amount) ? json_integer_value(amount) : 0;
}

/* Accepts the command: emits the event (event_size bytes) and replies
 * {"balance":balance_after}. */
static void s_accept_text(shoal_effect_t *effect, const char *event,
                          size_t event_size, int64_t balance_after)
{
    char reply[40];
    int reply_size = snprintf(reply, sizeof reply, "{\"balance\":%lld}",
                              (long long)balance_after);
    /* On failure the effect marks itself failed: the runtime then answers
     * with an internal error, nothing to do here. */
    shoal_effect_emit(effect, event, event_size);
    shoal_effect_reply(effect, reply, (size_t)reply_size);
}

/* Accepts the command with event (taking it over; NULL when building it
 * ran out of memory), rendered before anything is handed to the effect,
 * so running out of memory rejects the command cleanly instead of
 * journaling an event for a command that then fails. */
static void s_accept(shoal_effect_t *effect, json_t *event,
                     int64_t balance_after)
{
    char *text = s_dump(event);
    if (!text) {
        shoal_effect_reject(effect, "out of memory");
        return;
    }
    s_accept_text(effect, text, strlen(text), balance_after);
    free(text);
}

/* Accepts the command with an amount event of kind. */
static void s_accept_amount(shoal_effect_t *effect, account_form_t kind,
                            int64_t amount, int64_t balance_after)
{
    char event[ACCOUNT_AMOUNT_EVENT_MAX];
    size_t size = account_form_write_event(event, kind, amount);
    s_accept_text(effect, event, size, balance_after);
}

/* --- Commands: each runs once its payload is read ----------------------- */

/* Open: a new account only; owner is 1..100 characters. */
static void s_open(const account_state_t *state, json_t *payload,
                   shoal_effect_t *effect)
{
    (void)state; /* the dispatcher checked the account is new */
    const char *owner = json_string_value(json_object_get(payload, "owner"));
    if (!owner || !s_owner_is_valid(owner)) {
        shoal_effect_reject(effect,
                            "owner must be a string of 1 to 100 characters");
        return;
    }
    s_accept(effect, json_pack("{s:s, s:s}", "event", "Opened", "owner", owner),
             0);
}

/* Deposit: a positive amount the balance can hold. */
static void s_deposit(const account_state_t *state, int64_t amount,
                      shoal_effect_t *effect)
{
    if (amount < 1) {
        shoal_effect_reject(effect, "amount must be a positive integer");
        return;
    }
    if (state->balance > INT64_MAX - amount) {
        shoal_effect_reject(effect, "balance would overflow");
        return;
    }
    s_accept_amount(effect, ACCOUNT_FORM_DEPOSITED, amount,
                    state->balance + amount);
}

/* Withdraw: a positive amount no larger than the balance. */
static void s_withdraw(const account_state_t *state, int64_t amount,
                       shoal_effect_t *effect)
{
    if (amount < 1) {
        shoal_effect_reject(effect, "amount must be a positive integer");
        return;
    }
    if (amount > state->balance) {
        s_reject(effect, "insufficient funds: balance %lld, requested %lld",
                 (long long)state->balance, (long long)amount);
        return;
    }
    s_accept_amount(effect, ACCOUNT_FORM_WITHDRAWN, amount,
                    state->balance - amount);
}

/* Close: only an empty account. */
static void s_close(const account_state_t *state, json_t *payload,
                    shoal_effect_t *effect)
{
    (void)payload; /* Close has no fields */
    if (state->balance != 0) {
        shoal_effect_reject(effect, "balance is not zero");
        return;
    }
    s_accept(effect, json_pack("{s:s}", "event", "Closed"), 0);
}

static const char *const s_owner_fields[] = {"owner", NULL};
static const char *const s_amount_fields[] = {"amount", NULL};
static const char *const s_no_fields[] = {NULL};

/* The commands: the payload fields each accepts, whether it runs on a
 * new account (Open) or an open one (the others), and its handler: of the
 * payload, or of the amount for those whose only field is "amount". */
static const struct {
    const char *name;
    const char *const *fields;
    bool needs_open;
    void (*handle)(const account_state_t *state, json_t *payload,
                   shoal_effect_t *effect);
    void (*handle_amount)(const account_state_t *state, int64_t amount,
                          shoal_effect_t *effect);
} s_commands[] = {
    {"Open", s_owner_fields, false, s_open, NULL},
    {"Deposit", s_amount_fields, true, NULL, s_deposit},
    {"Withdraw", s_amount_fields, true, NULL, s_withdraw},
    {"Close", s_no_fields, true, s_close, NULL},
};

/* --- The type's functions (contracts in shoal/plugin.h) ----------------- */

static void *s_state_new(const char *entity_id)
{
    (void)entity_id; /* the query gets the id; the state need not keep it */
    return calloc(1, sizeof(account_state_t));
}

static void s_state_free(void **state_p)
{
    if (!state_p || !*state_p)
        return;
    free(*state_p);
    *state_p = NULL;
}

/* Finds the command by name, checks the lifecycle (before the payload: a
 * closed account says so whatever it was sent), reads the payload, and
 * lets the command decide. Never writes to state. */
static void s_handle_command(shoal_ctx_t *ctx, const void *state_p,
                             const shoal_command_t *command,
                             shoal_effect_t *effect)
{
    (void)ctx; /* the account needs no clock and no ids */
    const account_state_t *state = state_p;
    size_t count = sizeof s_commands / sizeof s_commands[0];
    for (size_t i = 0; i < count; i++) {
        if (strcmp(command->name, s_commands[i].name) != 0)
            continue;
        if (!s_commands[i].needs_open && (state->open || state->closed)) {
            shoal_effect_reject(effect, "account already open");
            return;
        }
        if (s_commands[i].needs_open && !state->open) {
            shoal_effect_reject(effect, "account not open");
            return;
        }
        int64_t amount;
        if (s_commands[i].handle_amount &&
            account_form_read_payload(command->payload, command->payload_size,
                                      &amount) == 0) {
            s_commands[i].handle_amount(state, amount, effect);
            return;
        }
        json_t *payload = s_read_payload(command, s_commands[i].fields, effect);
        if (payload && s_commands[i].handle_amount)
            s_commands[i].handle_amount(state, s_json_amount(payload), effect);
        else if (payload)
            s_commands[i].handle(state, payload, effect);
        json_decref(payload);
        return;
    }
    s_reject(effect, "unknown command %s", command->name);
}

/* The fold. Each event is applied under the rule its command checked; an
 * event that breaks it (malformed, out of order, a withdrawal past the
 * balance) is one this plugin could not have emitted and is skipped, so
 * the fold stays total and deterministic and the state's invariants hold
 * whatever the journal holds. */
static void s_apply_event(void *state_p, const void *event, size_t event_size)
{
    account_state_t *state = state_p;
    int64_t amount_form;
    switch (account_form_read_event(event, event_size, &amount_form)) {
    case ACCOUNT_FORM_DEPOSITED:
        if (state->open && amount_form > 0 &&
            state->balance <= INT64_MAX - amount_form)
            state->balance += amount_form;
        return;
    case ACCOUNT_FORM_WITHDRAWN:
        if (state->open && amount_form > 0 && amount_form <= state->balance)
            state->balance -= amount_form;
        return;
    case ACCOUNT_FORM_OTHER:
        break; /* read it as JSON */
    }
    json_error_t error;
    json_t *json = json_loadb(event, event_size, 0, &error);
    if (!json) {
        /* Skipping a good event would silently fork this state from its
         * journal, and the ABI gives the fold no way to fail: stop. */
        if (json_error_code(&error) == json_error_out_of_memory)
            abort();
        return;
    }
    const char *name = "", *owner = NULL;
    json_int_t amount = 0;
    if (json_unpack(json, "{s:s, s?s, s?I}", "event", &name, "owner", &owner,
                    "amount", &amount) < 0)
        name = "";

    if (strcmp(name, "Opened") == 0 && !state->open && !state->closed &&
        owner && s_owner_is_valid(owner) &&
        strlen(owner) <= ACCOUNT_OWNER_MAX_BYTES) {
        state->open = true;
        strcpy(state->owner, owner);
    } else if (strcmp(name, "Deposited") == 0 && state->open && amount > 0 &&
               state->balance <= INT64_MAX - amount) {
        state->balance += amount;
    } else if (strcmp(name, "Withdrawn") == 0 && state->open && amount > 0 &&
               amount <= state->balance) {
        state->balance -= amount;
    } else if (strcmp(name, "Closed") == 0 && state->open &&
               state->balance == 0) {
        state->open = false;
        state->closed = true;
    }
    json_decref(json);
}

/* Builds the JSON object of the state: the query and the snapshot. */
static json_t *s_state_json(const account_state_t *state)
{
    json_t *owner =
        state->open || state->closed ? json_string(state->owner) : json_null();
    /* "o" hands owner over to the new object, even when json_pack fails. */
    return owner ? json_pack("{s:b, s:b, s:o, s:I}", "open", state->open,
                             "closed", state->closed, "owner", owner, "balance",
                             (json_int_t)state->balance)
                 : NULL;
}

/* Renders the state with "id" first. JSON strings are UTF-8 and an entity
 * id may be any bytes but NUL and '/': in an id that is not valid UTF-8,
 * the bytes past ASCII show as '?'. */
static char *s_query(const void *state_p, const char *entity_id)
{
    json_t *id = json_string(entity_id);
    if (!id) {
        size_t size = strlen(entity_id) + 1;
        char *ascii = malloc(size);
        if (!ascii)
            return NULL;
        memcpy(ascii, entity_id, size);
        for (char *at = ascii; *at; at++)
            if ((unsigned char)*at >= 0x80)
                *at = '?';
        id = json_string(ascii);
        free(ascii);
    }
    json_t *query = json_pack("{s:o}", "id", id);
    json_t *state = s_state_json(state_p);
    char *text = NULL;
    if (query && state && json_object_update(query, state) == 0)
        text = json_dumps(query, JSON_COMPACT);
    json_decref(query);
    json_decref(state);
    return text;
}

/* The snapshot is the state as JSON, the query without "id". */
static int s_snapshot_encode(const void *state_p, void **data, size_t *size)
{
    char *text = s_dump(s_state_json(state_p));
    if (!text)
        return -1;
    *data = text;
    *size = strlen(text);
    return 0;
}

/* Returns a new state from json, the object s_snapshot_encode writes, or
 * NULL when json is not exactly that or describes a state the fold could
 * not reach. */
static account_state_t *s_state_from_json(json_t *json, const char *entity_id)
{
    int open, closed;
    json_t *owner;
    json_int_t balance;
    if (json_unpack_ex(json, NULL, JSON_STRICT, "{s:b, s:b, s:o, s:I}", "open",
                       &open, "closed", &closed, "owner", &owner, "balance",
                       &balance) < 0)
        return NULL;
    if ((open && closed) || balance < 0 || (!open && balance != 0))
        return NULL;
    const char *owner_text = json_string_value(owner);
    if (open || closed) {
        if (!owner_text || !s_owner_is_valid(owner_text) ||
            strlen(owner_text) > ACCOUNT_OWNER_MAX_BYTES)
            return NULL;
    } else if (!json_is_null(owner)) {
        return NULL;
    }

    account_state_t *state = s_state_new(entity_id);
    if (!state)
        return NULL;
    state->open = open;
    state->closed = closed;
    state->balance = balance;
    if (owner_text)
        strcpy(state->owner, owner_text);
    return state;
}

static void *s_snapshot_decode(const char *entity_id, const void *data,
                               size_t size)
{
    json_t *json = json_loadb(data, size, 0, NULL);
    account_state_t *state = json ? s_state_from_json(json, entity_id) : NULL;
    json_decref(json);
    return state;
}

static const shoal_type_t s_types[] = {{
    .name = "account",
    .state_new = s_state_new,
    .state_free = s_state_free,
    .handle_command = s_handle_command,
    .apply_event = s_apply_event,
    .query = s_query,
    .snapshot_encode = s_snapshot_encode,
    .snapshot_decode = s_snapshot_decode,
}};

const shoal_plugin_t shoal_plugin = {.abi_version = SHOAL_PLUGIN_ABI_VERSION,
                                     .name = "account",
                                     .type_count = 1,
                                     .types = s_types};
