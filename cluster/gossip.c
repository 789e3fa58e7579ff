/*
 * cluster/gossip.c - the JSON codec of the membership messages (see
 * gossip.h).
 *
 * Decoding reads into a fresh structure and hands it over only when every
 * field has passed, so a caller never sees half a message. Each reason
 * names the message, the place in it and what was wrong.
 */
#include "cluster/gossip.h"

#include <assert.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The format numbers this codec writes and reads. */
#define S_GOSSIP_FORMAT 1
#define S_JOIN_FORMAT 1

/* Writes a reason into error (when there is room) and returns -1. */
static int s_fail(char *error, size_t error_size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static int s_fail(char *error, size_t error_size, const char *format, ...)
{
    if (error && error_size) {
        va_list args;
        va_start(args, format);
        vsnprintf(error, error_size, format, args);
        va_end(args);
    }
    return -1;
}

/* A member name with its NUL. */
typedef char s_name_t[SHOAL_MEMBER_NAME_MAX + 1];

/* Where a field is, for reasons: "gossip", "gossip members[3]", ... */
typedef struct {
    const char *where;
    char *error;
    size_t error_size;
} s_context_t;

/* Reads key of object as an integer in 0..max into *value. */
static int s_number(const s_context_t *context, json_t *object, const char *key,
                    uint64_t max, uint64_t *value)
{
    json_t *field = json_object_get(object, key);
    if (!field)
        return s_fail(context->error, context->error_size,
                      "%s: '%s' is missing", context->where, key);
    if (!json_is_integer(field))
        return s_fail(context->error, context->error_size,
                      "%s: '%s' is not an integer", context->where, key);
    json_int_t number = json_integer_value(field);
    if (number < 0 || (uint64_t)number > max)
        return s_fail(context->error, context->error_size,
                      "%s: '%s' is %lld, out of 0..%llu", context->where, key,
                      (long long)number, (unsigned long long)max);
    *value = (uint64_t)number;
    return 0;
}

/* Returns whether text is printable ASCII (space to tilde). */
static bool s_printable(const char *text)
{
    for (; *text; text++)
        if (*text < 0x20 || *text > 0x7e)
            return false;
    return true;
}

/* Reads key of object as a string of printable ASCII of at most max bytes
 * into out (max + 1 bytes). */
static int s_text(const s_context_t *context, json_t *object, const char *key,
                  size_t max, char *out)
{
    json_t *field = json_object_get(object, key);
    if (!field)
        return s_fail(context->error, context->error_size,
                      "%s: '%s' is missing", context->where, key);
    if (!json_is_string(field))
        return s_fail(context->error, context->error_size,
                      "%s: '%s' is not a string", context->where, key);
    size_t length = json_string_length(field);
    if (length > max)
        return s_fail(context->error, context->error_size,
                      "%s: '%s' is %zu bytes, over %zu", context->where, key,
                      length, max);
    const char *text = json_string_value(field);
    if (!s_printable(text))
        return s_fail(context->error, context->error_size,
                      "%s: '%s' is not printable ASCII", context->where, key);
    memcpy(out, text, length + 1);
    return 0;
}

/* Reads key of object as a member name into out. */
static int s_name(const s_context_t *context, json_t *object, const char *key,
                  char *out)
{
    if (s_text(context, object, key, SHOAL_MEMBER_NAME_MAX, out))
        return -1;
    if (!shoal_member_name_is_valid(out))
        return s_fail(context->error, context->error_size,
                      "%s: '%s' is not a member name ([A-Za-z0-9_.-]{1,64})",
                      context->where, key);
    return 0;
}

/* Reads the endpoints of a member record or join request. */
static int s_endpoints(const s_context_t *context, json_t *object,
                       shoal_member_t *member)
{
    if (s_text(context, object, "peer", SHOAL_MEMBER_ENDPOINT_MAX,
               member->peer_endpoint) ||
        s_text(context, object, "client", SHOAL_MEMBER_ENDPOINT_MAX,
               member->client_endpoint) ||
        s_text(context, object, "status", SHOAL_MEMBER_ENDPOINT_MAX,
               member->status_endpoint))
        return -1;
    return 0;
}

/* Parses size bytes of JSON text into an object. what names the message
 * for reasons. Returns the object (the caller's) or NULL with a reason. */
static json_t *s_parse(const char *what, const char *text, size_t size,
                       char *error, size_t error_size)
{
    if (size > SHOAL_GOSSIP_MAX_BYTES) {
        s_fail(error, error_size, "%s of %zu bytes is over the limit of %u",
               what, size, SHOAL_GOSSIP_MAX_BYTES);
        return NULL;
    }
    json_error_t json_error;
    json_t *root = json_loadb(text, size, JSON_REJECT_DUPLICATES, &json_error);
    if (!root) {
        s_fail(error, error_size, "%s: not JSON: %s (at byte %d)", what,
               json_error.text, json_error.position);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        s_fail(error, error_size, "%s: not a JSON object", what);
        return NULL;
    }
    return root;
}

/* Decodes one member record of a gossip. */
static int s_decode_member(json_t *item, size_t index, shoal_member_t *member,
                           char *error, size_t error_size)
{
    char where[48];
    snprintf(where, sizeof where, "gossip members[%zu]", index);
    s_context_t context = {where, error, error_size};
    if (!json_is_object(item))
        return s_fail(error, error_size, "%s: not an object", where);
    char state[16];
    if (s_name(&context, item, "name", member->name) ||
        s_number(&context, item, "incarnation", SHOAL_MEMBER_NUMBER_MAX,
                 &member->incarnation) ||
        s_number(&context, item, "version", SHOAL_MEMBER_NUMBER_MAX,
                 &member->version) ||
        s_text(&context, item, "state", sizeof state - 1, state) ||
        s_number(&context, item, "up_since", SHOAL_MEMBER_NUMBER_MAX,
                 &member->up_since) ||
        s_endpoints(&context, item, member))
        return -1;
    if (shoal_member_state_parse(state, &member->state))
        return s_fail(error, error_size, "%s: unknown state '%s'", where,
                      state);
    return 0;
}

/* Decodes the members array of a gossip into a malloc'd array. */
static int s_decode_members(json_t *array, shoal_member_t **members,
                            size_t *count, char *error, size_t error_size)
{
    if (!json_is_array(array))
        return s_fail(error, error_size,
                      "gossip: 'members' is missing or not an array");
    size_t size = json_array_size(array);
    if (size < 1 || size > SHOAL_GOSSIP_MAX_MEMBERS)
        return s_fail(error, error_size, "gossip: %zu members, out of 1..%d",
                      size, SHOAL_GOSSIP_MAX_MEMBERS);
    shoal_member_t *decoded = calloc(size, sizeof *decoded);
    if (!decoded)
        return s_fail(error, error_size, "gossip: out of memory");
    for (size_t i = 0; i < size; i++) {
        if (s_decode_member(json_array_get(array, i), i, &decoded[i], error,
                            error_size))
            goto out_free;
        for (size_t j = 0; j < i; j++)
            if (strcmp(decoded[j].name, decoded[i].name) == 0) {
                s_fail(error, error_size,
                       "gossip: members[%zu] and members[%zu] are both '%s'", j,
                       i, decoded[i].name);
                goto out_free;
            }
    }
    *members = decoded;
    *count = size;
    return 0;
out_free:
    free(decoded);
    return -1;
}

/* Decodes the names of a table into names[0..*count), all distinct. */
static int s_decode_table_names(json_t *array, s_name_t *names, size_t *count,
                                char *error, size_t error_size)
{
    if (!json_is_array(array))
        return s_fail(error, error_size,
                      "gossip table: 'names' is missing or not an array");
    size_t size = json_array_size(array);
    if (size > SHOAL_GOSSIP_MAX_MEMBERS)
        return s_fail(error, error_size, "gossip table: %zu names, over %d",
                      size, SHOAL_GOSSIP_MAX_MEMBERS);
    for (size_t i = 0; i < size; i++) {
        json_t *name = json_array_get(array, i);
        if (!json_is_string(name) ||
            json_string_length(name) > SHOAL_MEMBER_NAME_MAX ||
            !shoal_member_name_is_valid(json_string_value(name)))
            return s_fail(error, error_size,
                          "gossip table: names[%zu] is not a member name", i);
        strcpy(names[i], json_string_value(name));
        for (size_t j = 0; j < i; j++)
            if (strcmp(names[j], names[i]) == 0)
                return s_fail(error, error_size,
                              "gossip table: names[%zu] and names[%zu] are "
                              "both '%s'",
                              j, i, names[i]);
    }
    *count = size;
    return 0;
}

/* Fills table's owners from the owners array (indexes into names). */
static int s_decode_owners(json_t *array, s_name_t *names, size_t name_count,
                           shoal_shard_table_t *table, char *error,
                           size_t error_size)
{
    uint32_t shards = shoal_shard_table_shards(table);
    if (!json_is_array(array))
        return s_fail(error, error_size,
                      "gossip table: 'owners' is missing or not an array");
    if (json_array_size(array) != shards)
        return s_fail(error, error_size,
                      "gossip table: %zu shards, but this cluster has %u",
                      json_array_size(array), shards);
    for (uint32_t shard = 0; shard < shards; shard++) {
        json_t *owner = json_array_get(array, shard);
        if (!json_is_integer(owner))
            return s_fail(error, error_size,
                          "gossip table: owners[%u] is not an integer", shard);
        json_int_t index = json_integer_value(owner);
        if (index < -1 || index >= (json_int_t)name_count)
            return s_fail(error, error_size,
                          "gossip table: owners[%u] is %lld, out of -1..%zu",
                          shard, (long long)index, name_count - 1);
        if (shoal_shard_table_set_owner(table, shard,
                                        index < 0 ? NULL : names[index]))
            return s_fail(error, error_size, "gossip table: out of memory");
    }
    return 0;
}

/* Decodes the table of a gossip. */
static int s_decode_table(json_t *object, uint32_t shards,
                          shoal_shard_table_t **out, char *error,
                          size_t error_size)
{
    s_context_t context = {"gossip table", error, error_size};
    if (!json_is_object(object))
        return s_fail(error, error_size,
                      "gossip: 'table' is missing or not an object");
    uint64_t epoch;
    char author[SHOAL_MEMBER_NAME_MAX + 1];
    if (s_number(&context, object, "epoch", SHOAL_MEMBER_NUMBER_MAX, &epoch) ||
        s_text(&context, object, "author", SHOAL_MEMBER_NAME_MAX, author))
        return -1;
    if (epoch > 0 && !shoal_member_name_is_valid(author))
        return s_fail(error, error_size,
                      "gossip table: 'author' is not a member name");
    if (epoch == 0 && author[0])
        return s_fail(error, error_size,
                      "gossip table: epoch 0 has an author ('%s')", author);
    s_name_t *names = malloc(SHOAL_GOSSIP_MAX_MEMBERS * sizeof *names);
    shoal_shard_table_t *table = shoal_shard_table_new(shards);
    if (!names || !table) {
        s_fail(error, error_size, "gossip table: out of memory");
        goto out_free;
    }
    size_t name_count = 0;
    if (s_decode_table_names(json_object_get(object, "names"), names,
                             &name_count, error, error_size) ||
        s_decode_owners(json_object_get(object, "owners"), names, name_count,
                        table, error, error_size))
        goto out_free;
    shoal_shard_table_set_epoch(table, epoch, author);
    free(names);
    *out = table;
    return 0;
out_free:
    shoal_shard_table_destroy(&table);
    free(names);
    return -1;
}

int shoal_gossip_decode(const char *text, size_t size, uint32_t shards,
                        shoal_gossip_t *gossip, char *error, size_t error_size)
{
    memset(gossip, 0, sizeof *gossip);
    json_t *root = s_parse("gossip", text, size, error, error_size);
    if (!root)
        return -1;
    s_context_t context = {"gossip", error, error_size};
    shoal_gossip_t decoded = {0};
    uint64_t format;
    if (s_number(&context, root, "gossip", UINT32_MAX, &format))
        goto out_root;
    if (format != S_GOSSIP_FORMAT) {
        s_fail(error, error_size, "gossip: unknown format %llu",
               (unsigned long long)format);
        goto out_root;
    }
    if (s_name(&context, root, "cluster", decoded.cluster) ||
        s_name(&context, root, "from", decoded.from) ||
        s_number(&context, root, "incarnation", SHOAL_MEMBER_NUMBER_MAX,
                 &decoded.incarnation) ||
        s_number(&context, root, "heartbeat", SHOAL_MEMBER_NUMBER_MAX,
                 &decoded.heartbeat) ||
        s_decode_members(json_object_get(root, "members"), &decoded.members,
                         &decoded.member_count, error, error_size))
        goto out_root;
    const shoal_member_t *sender = NULL;
    for (size_t i = 0; i < decoded.member_count; i++)
        if (strcmp(decoded.members[i].name, decoded.from) == 0)
            sender = &decoded.members[i];
    if (!sender || sender->incarnation != decoded.incarnation) {
        s_fail(error, error_size,
               "gossip: the sender '%s' (incarnation %llu) is not among its "
               "members",
               decoded.from, (unsigned long long)decoded.incarnation);
        goto out_decoded;
    }
    if (s_decode_table(json_object_get(root, "table"), shards, &decoded.table,
                       error, error_size))
        goto out_decoded;
    json_decref(root);
    *gossip = decoded;
    return 0;
out_decoded:
    shoal_gossip_clear(&decoded);
out_root:
    json_decref(root);
    return -1;
}

void shoal_gossip_clear(shoal_gossip_t *gossip)
{
    if (!gossip)
        return;
    free(gossip->members);
    shoal_shard_table_destroy(&gossip->table);
    memset(gossip, 0, sizeof *gossip);
}

/* Sets key of object to value, a new reference that the object takes
 * (NULL when its constructor ran out of memory). Returns 0, or -1 when
 * either ran out of memory; encoders or these together. */
static int s_set(json_t *object, const char *key, json_t *value)
{
    return json_object_set_new(object, key, value);
}

/* Appends value (a new reference, may be NULL) to array; 0 or -1. */
static int s_append(json_t *array, json_t *value)
{
    return json_array_append_new(array, value);
}

/* A JSON integer of an unsigned number (at most SHOAL_MEMBER_NUMBER_MAX
 * for the numbers of records). */
static json_t *s_integer(uint64_t number)
{
    return json_integer((json_int_t)number);
}

/* Sets the endpoints of a member into object. */
static int s_set_endpoints(json_t *object, const shoal_member_t *member)
{
    return s_set(object, "peer", json_string(member->peer_endpoint)) |
           s_set(object, "client", json_string(member->client_endpoint)) |
           s_set(object, "status", json_string(member->status_endpoint));
}

/* Encodes one member record, or NULL when out of memory. */
static json_t *s_encode_member(const shoal_member_t *member)
{
    json_t *object = json_object();
    if (!object)
        return NULL;
    int failed = 0;
    failed |= s_set(object, "name", json_string(member->name));
    failed |= s_set(object, "incarnation", s_integer(member->incarnation));
    failed |= s_set(object, "version", s_integer(member->version));
    failed |= s_set(object, "state",
                    json_string(shoal_member_state_name(member->state)));
    failed |= s_set(object, "up_since", s_integer(member->up_since));
    failed |= s_set_endpoints(object, member);
    if (failed)
        json_decref(object);
    return failed ? NULL : object;
}

/* Fills names and owners with a table's owners: each name once, in order
 * of first use, and per shard its index or -1. Returns 0 or -1. */
static int s_encode_owners(const shoal_shard_table_t *table, json_t *names,
                           json_t *owners)
{
    /* The table hands out one pointer per distinct name, so pointers
     * identify names without comparing strings. */
    const char *seen[SHOAL_GOSSIP_MAX_MEMBERS];
    size_t seen_count = 0;
    uint32_t shards = shoal_shard_table_shards(table);
    for (uint32_t shard = 0; shard < shards; shard++) {
        const char *owner = shoal_shard_table_owner(table, shard);
        long index = -1;
        for (size_t i = 0; owner && i < seen_count && index < 0; i++)
            if (seen[i] == owner)
                index = (long)i;
        if (owner && index < 0) {
            /* Owners are members, and a view holds at most that many. */
            assert(seen_count < SHOAL_GOSSIP_MAX_MEMBERS);
            if (s_append(names, json_string(owner)))
                return -1;
            seen[seen_count] = owner;
            index = (long)seen_count++;
        }
        if (s_append(owners, json_integer(index)))
            return -1;
    }
    return 0;
}

/* Encodes a table, or NULL when out of memory. */
static json_t *s_encode_table(const shoal_shard_table_t *table)
{
    json_t *object = json_object();
    json_t *names = json_array();
    json_t *owners = json_array();
    if (!object || !names || !owners || s_encode_owners(table, names, owners))
        goto out_free;
    int failed = 0;
    failed |= s_set(object, "epoch", s_integer(shoal_shard_table_epoch(table)));
    failed |=
        s_set(object, "author", json_string(shoal_shard_table_author(table)));
    failed |= s_set(object, "names", names);
    failed |= s_set(object, "owners", owners);
    if (failed)
        json_decref(object);
    return failed ? NULL : object;
out_free:
    json_decref(object);
    json_decref(names);
    json_decref(owners);
    return NULL;
}

/* Dumps object compactly unless failed, and releases it. Returns the text
 * (malloc'd) or NULL. */
static char *s_dump(json_t *object, int failed)
{
    char *text = failed ? NULL : json_dumps(object, JSON_COMPACT);
    json_decref(object);
    return text;
}

char *shoal_gossip_encode(const char *cluster, const char *from,
                          uint64_t incarnation, uint64_t heartbeat,
                          const shoal_member_t *members, size_t count,
                          const shoal_shard_table_t *table)
{
    json_t *root = json_object();
    json_t *array = json_array();
    if (!root || !array) {
        json_decref(root);
        json_decref(array);
        return NULL;
    }
    int failed = 0;
    for (size_t i = 0; !failed && i < count; i++)
        failed |= s_append(array, s_encode_member(&members[i]));
    failed |= s_set(root, "gossip", json_integer(S_GOSSIP_FORMAT));
    failed |= s_set(root, "cluster", json_string(cluster));
    failed |= s_set(root, "from", json_string(from));
    failed |= s_set(root, "incarnation", s_integer(incarnation));
    failed |= s_set(root, "heartbeat", s_integer(heartbeat));
    failed |= s_set(root, "members", array);
    failed |= s_set(root, "table", s_encode_table(table));
    return s_dump(root, failed);
}

char *shoal_join_request_encode(const shoal_join_request_t *request)
{
    const shoal_member_t *member = &request->member;
    json_t *root = json_object();
    json_t *types = json_array();
    if (!root || !types) {
        json_decref(root);
        json_decref(types);
        return NULL;
    }
    int failed = 0;
    const char *type = request->plugin_types;
    while (!failed && *type) {
        size_t length = strcspn(type, ",");
        failed |= s_append(types, json_stringn(type, length));
        type += length + (type[length] == ',');
    }
    failed |= s_set(root, "join", json_integer(S_JOIN_FORMAT));
    failed |= s_set(root, "cluster", json_string(request->cluster));
    failed |= s_set(root, "name", json_string(member->name));
    failed |= s_set(root, "incarnation", s_integer(member->incarnation));
    failed |= s_set_endpoints(root, member);
    failed |= s_set(root, "shards", s_integer(request->shards));
    failed |= s_set(root, "protocol", json_string(request->protocol_version));
    failed |= s_set(root, "plugin_types", types);
    return s_dump(root, failed);
}

bool shoal_gossip_type_is_valid(const char *name)
{
    size_t length = 0;
    for (; name[length]; length++) {
        char c = name[length];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok || length >= SHOAL_MEMBER_NAME_MAX)
            return false;
    }
    return length >= 1;
}

/* Orders type names for qsort. */
static int s_compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *shoal_gossip_types_canonical(const char *const *types, size_t count)
{
    const char **sorted = malloc((count ? count : 1) * sizeof *sorted);
    if (!sorted)
        return NULL;
    size_t bytes = 1;
    for (size_t i = 0; i < count; i++) {
        sorted[i] = types[i];
        bytes += strlen(types[i]) + 1;
    }
    qsort(sorted, count, sizeof *sorted, s_compare_names);
    char *text = malloc(bytes);
    if (text) {
        char *end = text;
        for (size_t i = 0; i < count; i++) {
            if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0)
                continue;
            if (end > text)
                *end++ = ',';
            size_t length = strlen(sorted[i]);
            memcpy(end, sorted[i], length);
            end += length;
        }
        *end = '\0';
    }
    free(sorted);
    return text;
}

/* Decodes the plugin types of a join request into their canonical text. */
static int s_decode_types(json_t *array, char **canonical, char *error,
                          size_t error_size)
{
    if (!json_is_array(array))
        return s_fail(error, error_size,
                      "join request: 'plugin_types' is missing or not an "
                      "array");
    size_t count = json_array_size(array);
    if (count > SHOAL_GOSSIP_MAX_TYPES)
        return s_fail(error, error_size,
                      "join request: %zu plugin types, over %d", count,
                      SHOAL_GOSSIP_MAX_TYPES);
    const char **types = malloc((count ? count : 1) * sizeof *types);
    if (!types)
        return s_fail(error, error_size, "join request: out of memory");
    for (size_t i = 0; i < count; i++) {
        json_t *type = json_array_get(array, i);
        if (!json_is_string(type) ||
            json_string_length(type) > SHOAL_MEMBER_NAME_MAX ||
            !shoal_gossip_type_is_valid(json_string_value(type))) {
            free(types);
            return s_fail(error, error_size,
                          "join request: plugin_types[%zu] is not a type name "
                          "([A-Za-z0-9_-]{1,64})",
                          i);
        }
        types[i] = json_string_value(type);
    }
    *canonical = shoal_gossip_types_canonical(types, count);
    free(types);
    if (!*canonical)
        return s_fail(error, error_size, "join request: out of memory");
    return 0;
}

int shoal_join_request_decode(const char *text, size_t size,
                              shoal_join_request_t *request, char *error,
                              size_t error_size)
{
    memset(request, 0, sizeof *request);
    json_t *root = s_parse("join request", text, size, error, error_size);
    if (!root)
        return -1;
    s_context_t context = {"join request", error, error_size};
    shoal_join_request_t decoded = {0};
    uint64_t format, shards;
    if (s_number(&context, root, "join", UINT32_MAX, &format))
        goto out_root;
    if (format != S_JOIN_FORMAT) {
        s_fail(error, error_size, "join request: unknown format %llu",
               (unsigned long long)format);
        goto out_root;
    }
    if (s_name(&context, root, "cluster", decoded.cluster) ||
        s_name(&context, root, "name", decoded.member.name) ||
        s_number(&context, root, "incarnation", SHOAL_MEMBER_NUMBER_MAX,
                 &decoded.member.incarnation) ||
        s_endpoints(&context, root, &decoded.member) ||
        s_number(&context, root, "shards", SHOAL_SHARD_TABLE_MAX_SHARDS,
                 &shards) ||
        s_text(&context, root, "protocol", SHOAL_GOSSIP_PROTOCOL_MAX,
               decoded.protocol_version))
        goto out_root;
    if (shards < 1 || !decoded.protocol_version[0]) {
        s_fail(error, error_size, "join request: %s",
               shards < 1 ? "'shards' is 0" : "'protocol' is empty");
        goto out_root;
    }
    if (s_decode_types(json_object_get(root, "plugin_types"),
                       &decoded.plugin_types, error, error_size))
        goto out_root;
    decoded.shards = (uint32_t)shards;
    decoded.member.state = SHOAL_MEMBER_JOINING;
    json_decref(root);
    *request = decoded;
    return 0;
out_root:
    json_decref(root);
    return -1;
}

void shoal_join_request_clear(shoal_join_request_t *request)
{
    if (!request)
        return;
    free(request->plugin_types);
    memset(request, 0, sizeof *request);
}
