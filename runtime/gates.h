/*
 * runtime/gates.h - the gatekeepers at the edge: the commands that wait on
 * the node's main thread while their gatekeeper asks other entities.
 *
 * A guarded command is held here, never on a worker: its gatekeeper runs
 * on the main thread, its asks go to the workers as queries whose answers
 * come back to the main thread (route kind SHOAL_ROUTE_GATE), and a round
 * ends when every ask is answered or the round's deadline passes. Then the
 * gatekeeper runs again, until it decides.
 */
#ifndef SHOAL_RUNTIME_GATES_H
#define SHOAL_RUNTIME_GATES_H

#include "actors/gate.h"
#include "runtime/protocol.h"

typedef struct shoal_gates shoal_gates_t;

/* What the gates need of the node, all called on the main thread. */
typedef struct {
    void *arg;
    /* Resolves a type name, or NULL. */
    const shoal_type_t *(*find_type)(void *arg, const char *name);
    /* The node's clock (handlers' now). */
    int64_t (*now_ms)(void *arg);
    /* Sends a command to its entity, answering route itself when it
     * cannot (busy, stopping). */
    void (*dispatch)(void *arg, const shoal_route_t *route,
                     const shoal_type_t *type, const char *entity_id,
                     const char *command, const char *command_id,
                     const void *payload, size_t payload_size);
    /* Sends a query to its entity; its answer comes back on route.
     * Returns 0, or -1 when it cannot be sent (nothing is answered). */
    int (*ask)(void *arg, const shoal_route_t *route, const shoal_type_t *type,
               const char *entity_id);
    /* Answers route from the main thread. */
    void (*reply)(void *arg, const shoal_route_t *route,
                  const shoal_answer_t *answer);
} shoal_gates_host_t;

/* Creates the table, which holds at most max_waiting commands: a command
 * whose gatekeeper asks when it is full is answered `busy`. host is
 * copied. Returns NULL when out of memory. */
shoal_gates_t *shoal_gates_new(const shoal_gates_host_t *host,
                               int64_t default_timeout_ms, size_t max_waiting);

/* Answers every command still waiting "unavailable", frees the table and
 * sets *self_p to NULL. NULL-safe. */
void shoal_gates_destroy(shoal_gates_t **self_p);

/* Runs gatekeeper on a command from route (a client request, borrowed)
 * and follows its decision, now or after its asks. */
void shoal_gates_start(shoal_gates_t *self, const shoal_route_t *route,
                       const shoal_gatekeeper_t *gatekeeper,
                       const shoal_type_t *type,
                       const shoal_client_request_t *request);

/* Takes the reply to an ask: the frames of a reply laid out for route kind
 * SHOAL_ROUTE_GATE (after the kind byte). Replies to commands that no
 * longer wait are dropped. */
void shoal_gates_answered(shoal_gates_t *self, const shoal_frame_t *frames,
                          size_t count);

/* Ends the rounds whose deadline has passed at now_mono (zclock_mono). */
void shoal_gates_expire(shoal_gates_t *self, int64_t now_mono);

/* Milliseconds until the nearest deadline (at most cap_ms), for the poll
 * timeout; cap_ms when nothing waits. */
int shoal_gates_wait_ms(const shoal_gates_t *self, int64_t now_mono,
                        int cap_ms);

/* Number of commands waiting on their gatekeepers. */
size_t shoal_gates_waiting(const shoal_gates_t *self);

/* Totals since start. */
typedef struct {
    uint64_t started, forwarded, rejected, dispatched, failed, asks,
        ask_timeouts, busy;
} shoal_gates_counters_t;
const shoal_gates_counters_t *shoal_gates_counters(const shoal_gates_t *self);

#endif
