/*
 * examples/account/account_forms.h - the fixed forms of the account's
 * amount events and payloads, read and written without a JSON parser.
 *
 * The account writes its Deposited and Withdrawn events in one form, and
 * most clients send {"amount":n}: reading those with a JSON parser costs
 * more than everything else the account does with a command or an event
 * (the benchmark shows it). These functions read exactly those forms and
 * say so; the account hands anything else to jansson as before, so what
 * it accepts, rejects and folds is unchanged.
 */
#ifndef SHOAL_EXAMPLES_ACCOUNT_FORMS_H
#define SHOAL_EXAMPLES_ACCOUNT_FORMS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    ACCOUNT_FORM_OTHER = 0, /* not the fixed form: read it as JSON */
    ACCOUNT_FORM_DEPOSITED,
    ACCOUNT_FORM_WITHDRAWN,
} account_form_t;

/* Longest amount event: {"event":"Withdrawn","amount":N}, N of 19
 * digits, and a terminator. */
#define ACCOUNT_AMOUNT_EVENT_MAX 64

/* Reads an event of exactly the form {"event":"Deposited","amount":N}
 * or {"event":"Withdrawn","amount":N}, no space anywhere, N a decimal
 * without sign or leading zero that fits in an int64_t (0 included).
 * Returns its kind and sets *amount, or ACCOUNT_FORM_OTHER when event is
 * anything else (*amount is then unspecified). */
account_form_t account_form_read_event(const void *event, size_t size,
                                       int64_t *amount);

/* Reads a payload of exactly the form {"amount":N}, N as above. Returns
 * 0 and sets *amount, or -1 when payload is anything else. */
int account_form_read_payload(const void *payload, size_t size,
                              int64_t *amount);

/* Writes the amount event of kind (DEPOSITED or WITHDRAWN) into buffer
 * (ACCOUNT_AMOUNT_EVENT_MAX bytes), in the form read above, which is
 * also what jansson renders compactly. Returns its length. */
size_t account_form_write_event(char buffer[ACCOUNT_AMOUNT_EVENT_MAX],
                                account_form_t kind, int64_t amount);

#endif
