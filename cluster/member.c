/*
 * cluster/member.c - member records: names, states and their order (see
 * member.h).
 */
#include "cluster/member.h"

#include <string.h>

static const char *const s_state_names[] = {
    [SHOAL_MEMBER_JOINING] = "joining", [SHOAL_MEMBER_UP] = "up",
    [SHOAL_MEMBER_LEAVING] = "leaving", [SHOAL_MEMBER_DOWN] = "down",
    [SHOAL_MEMBER_REMOVED] = "removed",
};

#define S_STATE_COUNT (sizeof s_state_names / sizeof s_state_names[0])

bool shoal_member_name_is_valid(const char *name)
{
    size_t length = 0;
    for (; name[length]; length++) {
        char c = name[length];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!ok || length >= SHOAL_MEMBER_NAME_MAX)
            return false;
    }
    return length >= 1;
}

const char *shoal_member_state_name(shoal_member_state_t state)
{
    if ((unsigned)state >= S_STATE_COUNT)
        return "?";
    return s_state_names[state];
}

int shoal_member_state_parse(const char *text, shoal_member_state_t *state)
{
    for (size_t i = 0; i < S_STATE_COUNT; i++)
        if (strcmp(text, s_state_names[i]) == 0) {
            *state = (shoal_member_state_t)i;
            return 0;
        }
    return -1;
}

/* Three-way comparison of two unsigned numbers. */
static int s_order(uint64_t a, uint64_t b)
{
    return (a > b) - (a < b);
}

int shoal_member_compare(const shoal_member_t *a, const shoal_member_t *b)
{
    int order = s_order(a->incarnation, b->incarnation);
    if (!order)
        order = s_order(a->version, b->version);
    if (!order)
        order = s_order(a->state, b->state);
    if (!order)
        order = s_order(a->up_since, b->up_since);
    if (!order)
        order = strcmp(a->peer_endpoint, b->peer_endpoint);
    if (!order)
        order = strcmp(a->client_endpoint, b->client_endpoint);
    if (!order)
        order = strcmp(a->status_endpoint, b->status_endpoint);
    return (order > 0) - (order < 0);
}

void shoal_member_copy_record(shoal_member_t *dst, const shoal_member_t *src)
{
    if (dst == src)
        return;
    memcpy(dst->name, src->name, sizeof dst->name);
    dst->incarnation = src->incarnation;
    memcpy(dst->peer_endpoint, src->peer_endpoint, sizeof dst->peer_endpoint);
    memcpy(dst->client_endpoint, src->client_endpoint,
           sizeof dst->client_endpoint);
    memcpy(dst->status_endpoint, src->status_endpoint,
           sizeof dst->status_endpoint);
    dst->state = src->state;
    dst->version = src->version;
    dst->up_since = src->up_since;
}
