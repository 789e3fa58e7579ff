/*
 * runtime/gates.c - commands waiting on their gatekeepers (see gates.h).
 *
 * An ask's route carries the waiting command's id, the round and the ask's
 * index as its request id, so a late answer (after its round timed out) is
 * recognised and dropped.
 */
#include "runtime/gates.h"

#include <assert.h>
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A request id of an ask: waiting id (8 bytes), round, ask index. */
#define S_ASK_ID_SIZE 10

typedef struct s_waiting {
    struct s_waiting *next;
    uint64_t id;
    bool linked;
    const shoal_gatekeeper_t *gatekeeper;
    const shoal_type_t *type;
    char entity_id[SHOAL_ENTITY_ID_MAX + 1];
    char command[SHOAL_COMMAND_NAME_MAX + 1];
    char command_id[SHOAL_COMMAND_ID_MAX + 1];
    void *payload;
    size_t payload_size;
    uint8_t route[SHOAL_ROUTE_MAX];
    size_t route_size;
    shoal_gate_t gate;
    unsigned outstanding;
    bool answered[SHOAL_GATE_MAX_ASKS];
    int64_t deadline;
} s_waiting_t;

struct shoal_gates {
    shoal_gates_host_t host;
    int64_t default_timeout_ms;
    size_t max_waiting;
    s_waiting_t *waiting;
    size_t waiting_count;
    uint64_t next_id;
    shoal_gates_counters_t counters;
};

shoal_gates_t *shoal_gates_new(const shoal_gates_host_t *host,
                               int64_t default_timeout_ms, size_t max_waiting)
{
    assert(max_waiting >= 1);
    shoal_gates_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->host = *host;
    self->default_timeout_ms = default_timeout_ms;
    self->max_waiting = max_waiting;
    self->next_id = 1;
    return self;
}

/* Frees a waiting command, unlinking it when linked. */
static void s_release(shoal_gates_t *self, s_waiting_t *waiting)
{
    if (waiting->linked) {
        s_waiting_t **at = &self->waiting;
        while (*at != waiting)
            at = &(*at)->next;
        *at = waiting->next;
        self->waiting_count--;
    }
    shoal__gate_clear(&waiting->gate);
    free(waiting->payload);
    free(waiting);
}

/* Answers the client of a waiting command. */
static void s_reply(shoal_gates_t *self, s_waiting_t *waiting,
                    shoal_answer_kind_t kind, const char *code,
                    const char *text)
{
    shoal_route_t route;
    if (shoal_route_decode(waiting->route, waiting->route_size, &route) < 0)
        return; /* defensive: the route was encoded by this node */
    shoal_answer_t answer = {.kind = kind,
                             .error_code = code,
                             .body = text,
                             .body_size = strlen(text)};
    self->host.reply(self->host.arg, &route, &answer);
}

void shoal_gates_destroy(shoal_gates_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_gates_t *self = *self_p;
    while (self->waiting) {
        s_reply(self, self->waiting, SHOAL_ANSWER_ERROR, "unavailable",
                "node is shutting down");
        s_release(self, self->waiting);
    }
    free(self);
    *self_p = NULL;
}

/* Follows a decision (or the lack of one, which forwards unchanged). */
static void s_follow(shoal_gates_t *self, s_waiting_t *waiting)
{
    shoal_gate_t *gate = &waiting->gate;
    shoal_route_t route;
    if (shoal_route_decode(waiting->route, waiting->route_size, &route) < 0)
        return;
    const char *command_id = waiting->command_id;
    char text[512];
    switch (gate->decision) {
    case SHOAL_GATE_UNDECIDED:
        self->counters.forwarded++;
        self->host.dispatch(self->host.arg, &route, waiting->type,
                            waiting->entity_id, waiting->command, command_id,
                            waiting->payload, waiting->payload_size);
        return;
    case SHOAL_GATE_FORWARD:
        self->counters.forwarded++;
        self->host.dispatch(self->host.arg, &route, waiting->type,
                            waiting->entity_id, waiting->command, command_id,
                            gate->payload, gate->payload_size);
        return;
    case SHOAL_GATE_DISPATCH:
        self->counters.dispatched++;
        self->host.dispatch(self->host.arg, &route, gate->target_type,
                            gate->target_id, gate->target_command, command_id,
                            gate->payload, gate->payload_size);
        return;
    case SHOAL_GATE_REJECT:
        self->counters.rejected++;
        s_reply(self, waiting, SHOAL_ANSWER_REJECTED, NULL,
                gate->reason ? gate->reason : "");
        return;
    case SHOAL_GATE_FAILED:
        break;
    }
    self->counters.failed++;
    snprintf(text, sizeof text, "gatekeeper of %s/%s: %s", waiting->type->name,
             waiting->command, gate->reason ? gate->reason : "failed");
    s_reply(self, waiting, SHOAL_ANSWER_ERROR, "internal", text);
}

/* Sends the asks of the round that just ran. Returns how many are out. */
static unsigned s_send_asks(shoal_gates_t *self, s_waiting_t *waiting)
{
    shoal_gate_t *gate = &waiting->gate;
    unsigned count = gate->ask_count;
    shoal_gate_ask_t asks[SHOAL_GATE_MAX_ASKS];
    memcpy(asks, gate->asks, count * sizeof asks[0]);
    uint8_t round = (uint8_t)gate->round;
    int64_t timeout = 0;
    for (unsigned i = 0; i < count; i++)
        if (asks[i].timeout_ms > timeout)
            timeout = asks[i].timeout_ms;
    shoal__gate_next_round(gate);
    waiting->deadline = zclock_mono() + timeout;
    memset(waiting->answered, 0, sizeof waiting->answered);
    waiting->outstanding = 0;
    for (unsigned i = 0; i < count; i++) {
        uint8_t ask_id[S_ASK_ID_SIZE];
        memcpy(ask_id, &waiting->id, 8);
        ask_id[8] = round;
        ask_id[9] = (uint8_t)i;
        shoal_route_t route = {.kind = SHOAL_ROUTE_GATE,
                               .identity = "",
                               .identity_size = 0,
                               .request_id = ask_id,
                               .request_id_size = sizeof ask_id};
        self->counters.asks++;
        if (self->host.ask(self->host.arg, &route, asks[i].type,
                           asks[i].entity_id) < 0)
            waiting->answered[i] = true; /* failed: its answer stays NULL */
        else
            waiting->outstanding++;
    }
    return waiting->outstanding;
}

/* Runs the gatekeeper until it decides or waits for answers; releases the
 * waiting command once it has decided. */
static void s_run(shoal_gates_t *self, s_waiting_t *waiting)
{
    shoal_command_t command = {.name = waiting->command,
                               .payload = waiting->payload,
                               .payload_size = waiting->payload_size};
    while (true) {
        shoal_gate_t *gate = &waiting->gate;
        gate->now_ms = self->host.now_ms(self->host.arg);
        waiting->gatekeeper->run(gate, &command);
        if (gate->decision != SHOAL_GATE_UNDECIDED || gate->ask_count == 0)
            break;
        if (gate->round + 1 >= SHOAL_GATE_MAX_ROUNDS) {
            gate->decision = SHOAL_GATE_FAILED;
            gate->reason = strdup("still asking after 8 rounds");
            break;
        }
        if (!waiting->linked && self->waiting_count >= self->max_waiting) {
            self->counters.busy++;
            char text[96];
            snprintf(text, sizeof text,
                     "%zu commands wait on their gatekeepers already",
                     self->waiting_count);
            s_reply(self, waiting, SHOAL_ANSWER_ERROR, "busy", text);
            s_release(self, waiting);
            return;
        }
        if (s_send_asks(self, waiting) > 0) {
            if (!waiting->linked) {
                waiting->next = self->waiting;
                self->waiting = waiting;
                waiting->linked = true;
                self->waiting_count++;
            }
            return;
        }
    }
    s_follow(self, waiting);
    s_release(self, waiting);
}

void shoal_gates_start(shoal_gates_t *self, const shoal_route_t *route,
                       const shoal_gatekeeper_t *gatekeeper,
                       const shoal_type_t *type,
                       const shoal_client_request_t *request)
{
    s_waiting_t *waiting = calloc(1, sizeof *waiting);
    if (waiting && request->payload_size) {
        waiting->payload = malloc(request->payload_size);
        if (!waiting->payload) {
            free(waiting);
            waiting = NULL;
        }
    }
    if (!waiting) {
        shoal_answer_t answer = {.kind = SHOAL_ANSWER_ERROR,
                                 .error_code = "internal",
                                 .body = "out of memory",
                                 .body_size = 13};
        self->host.reply(self->host.arg, route, &answer);
        return;
    }
    self->counters.started++;
    waiting->id = self->next_id++;
    waiting->gatekeeper = gatekeeper;
    waiting->type = type;
    strcpy(waiting->entity_id, request->entity_id);
    strcpy(waiting->command, request->command);
    strcpy(waiting->command_id, request->command_id);
    if (request->payload_size)
        memcpy(waiting->payload, request->payload, request->payload_size);
    waiting->payload_size = request->payload_size;
    waiting->route_size = shoal_route_encode(route, waiting->route);
    shoal__gate_init(&waiting->gate, self->host.find_type, self->host.arg,
                     waiting->entity_id, self->default_timeout_ms);
    s_run(self, waiting);
}

void shoal_gates_answered(shoal_gates_t *self, const shoal_frame_t *frames,
                          size_t count)
{
    /* [SHOAL/1] [ask id] [QUERY] [sequence] [text], or [ERROR] [code]
     * [message]: anything else is dropped (defensive: the workers lay it
     * out). */
    if (count < 3 || frames[1].size != S_ASK_ID_SIZE)
        return;
    const uint8_t *ask_id = frames[1].data;
    uint64_t id;
    memcpy(&id, ask_id, 8);
    s_waiting_t *waiting = self->waiting;
    while (waiting && waiting->id != id)
        waiting = waiting->next;
    unsigned index = ask_id[9];
    if (!waiting || ask_id[8] + 1u != waiting->gate.round ||
        index >= waiting->gate.answer_count || waiting->answered[index])
        return; /* late: its round is over */
    uint64_t sequence = 0;
    if (count == 5 && shoal_frame_is(&frames[2], "QUERY") &&
        shoal_frame_decimal(&frames[3], &sequence) == 0)
        shoal__gate_set_answer(&waiting->gate, index, frames[4].data,
                               frames[4].size, sequence);
    waiting->answered[index] = true;
    if (--waiting->outstanding == 0)
        s_run(self, waiting);
}

void shoal_gates_expire(shoal_gates_t *self, int64_t now_mono)
{
    s_waiting_t *waiting = self->waiting;
    while (waiting) {
        s_waiting_t *next = waiting->next;
        if (waiting->deadline <= now_mono) {
            self->counters.ask_timeouts += waiting->outstanding;
            waiting->outstanding = 0;
            for (unsigned i = 0; i < SHOAL_GATE_MAX_ASKS; i++)
                waiting->answered[i] = true;
            s_run(self, waiting); /* may release it, or link it anew */
        }
        waiting = next;
    }
}

int shoal_gates_wait_ms(const shoal_gates_t *self, int64_t now_mono, int cap_ms)
{
    int64_t wait = cap_ms;
    for (const s_waiting_t *waiting = self->waiting; waiting;
         waiting = waiting->next) {
        int64_t left = waiting->deadline - now_mono;
        if (left < wait)
            wait = left < 0 ? 0 : left;
    }
    return (int)wait;
}

size_t shoal_gates_waiting(const shoal_gates_t *self)
{
    return self->waiting_count;
}

const shoal_gates_counters_t *shoal_gates_counters(const shoal_gates_t *self)
{
    return &self->counters;
}
