/*
 * examples/account/account_forms.c - the account's fixed forms, matched
 * byte for byte.
 */
#include "account_forms.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define S_DEPOSITED "{\"event\":\"Deposited\",\"amount\":"
#define S_WITHDRAWN "{\"event\":\"Withdrawn\",\"amount\":"
#define S_PAYLOAD "{\"amount\":"

/* Reads text (size bytes) as prefix, a decimal N and "}". Returns 0 and
 * sets *amount, or -1. */
static int s_read_amount(const char *text, size_t size, const char *prefix,
                         int64_t *amount)
{
    size_t prefix_size = strlen(prefix);
    if (size < prefix_size + 2 || memcmp(text, prefix, prefix_size) != 0 ||
        text[size - 1] != '}')
        return -1;
    const char *digits = text + prefix_size;
    size_t count = size - prefix_size - 1;
    if (count > 19 || (count > 1 && digits[0] == '0'))
        return -1;
    uint64_t value = 0;
    for (size_t i = 0; i < count; i++) {
        if (digits[i] < '0' || digits[i] > '9')
            return -1;
        value = value * 10 + (uint64_t)(digits[i] - '0');
    }
    if (value > (uint64_t)INT64_MAX) /* 19 digits fit in a uint64_t */
        return -1;
    *amount = (int64_t)value;
    return 0;
}

account_form_t account_form_read_event(const void *event, size_t size,
                                       int64_t *amount)
{
    if (s_read_amount(event, size, S_DEPOSITED, amount) == 0)
        return ACCOUNT_FORM_DEPOSITED;
    if (s_read_amount(event, size, S_WITHDRAWN, amount) == 0)
        return ACCOUNT_FORM_WITHDRAWN;
    return ACCOUNT_FORM_OTHER;
}

int account_form_read_payload(const void *payload, size_t size, int64_t *amount)
{
    return s_read_amount(payload, size, S_PAYLOAD, amount);
}

size_t account_form_write_event(char buffer[ACCOUNT_AMOUNT_EVENT_MAX],
                                account_form_t kind, int64_t amount)
{
    assert(kind == ACCOUNT_FORM_DEPOSITED || kind == ACCOUNT_FORM_WITHDRAWN);
    int size =
        snprintf(buffer, ACCOUNT_AMOUNT_EVENT_MAX, "%s%lld}",
                 kind == ACCOUNT_FORM_DEPOSITED ? S_DEPOSITED : S_WITHDRAWN,
                 (long long)amount);
    assert(size > 0 && size < ACCOUNT_AMOUNT_EVENT_MAX);
    return (size_t)size;
}
