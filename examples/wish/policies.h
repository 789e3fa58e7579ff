/*
 * examples/wish/policies.h - the wish plugin's policies, both on the
 * events of `child`: "wish-lookup" keeps the `wish` lookup aggregate, and
 * "wish-publisher" publishes the public events of wish_updates and
 * naughtiness.
 */
#ifndef SHOAL_EXAMPLES_WISH_POLICIES_H
#define SHOAL_EXAMPLES_WISH_POLICIES_H

#include "shoal/plugin.h"

#include <stddef.h>

/* "wish-lookup": on WishApproved dispatches RegisterWish
 * {"child_id":child} to wish/<wish_id>; on WishCancelled and
 * WishFulfilled dispatches CloseWish {} to wish/<wish_id>; ignores the
 * other events. Returns 0, or -1 after shoal_reaction_fail when the event
 * is malformed or a dispatch fails. */
int policy_wish_lookup(shoal_reaction_t *reaction, const void *event,
                       size_t event_size);

/* "wish-publisher": on WishApproved, WishCancelled and WishFulfilled
 * publishes {"type":t,"child_id":c,"wish_id":w,"wish":text} to the topic
 * wish_updates, t being the event's type; on WishRejected with reason
 * NaughtyWish publishes {"type":"NaughtinessDetected","child_id":c,
 * "wish":text,"at":ms} to naughtiness; ignores the other events. Returns
 * 0, or -1 after shoal_reaction_fail when the event is malformed or a
 * publication fails. */
int policy_wish_publisher(shoal_reaction_t *reaction, const void *event,
                          size_t event_size);

#endif
