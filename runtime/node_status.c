/*
 * runtime/node_status.c - the main thread's status socket: status and
 * metrics, `get TYPE ID` through the entity's worker, the clock, and the
 * dead letters through the reactor.
 */
#include "runtime/log.h"
#include "runtime/node_internal.h"
#include "runtime/status.h"
#include "runtime/status_request.h"
#include "shoal/shoal.h"

#include <errno.h>

/* Fills the input of the status renderings. */
static void s_status_input(shoal_node_t *self, shoal_status_input_t *input)
{
    *input = (shoal_status_input_t){
        .node_name = self->config->node_name,
        .version = SHOAL_VERSION,
        .uptime_s = (zclock_time() - self->started_ms) / 1000,
        .types = self->type_names,
        .type_count = shoal_plugins_type_count(self->plugins),
        .shards = (uint32_t)self->config->shards,
        .workers = (uint32_t)self->config->workers,
        .worker_stats = self->worker_stats,
        .journal_stats = &self->journal_stats,
        .durability =
            self->config->durability == SHOAL_DURABILITY_FULL ? "full" : "fast",
        .commands_per_second = self->rate,
        .busy_at_dispatch = self->busy_at_dispatch,
        .replies_dropped = self->replies_dropped,
        .gates = shoal_gates_counters(self->gates),
        .gates_waiting = shoal_gates_waiting(self->gates),
        .clock_ms = shoal_clock_now_ms(&self->clock),
        .manual_clock = self->clock.manual,
        .cluster_json = self->view ? self->view->status_json : NULL,
        .forwarded = self->forwarded,
        .forwards_expired = self->forwards_expired,
        .forwards_refused = self->forwards_refused,
        .parked = self->parked,
        .handoff_shard = self->view ? self->view->handoff_shard : -1,
        .handoff_to = self->view ? self->view->handoff_to : NULL,
        .handoff_phase = self->view ? self->view->handoff_phase : NULL,
        .receiving_shard = self->view ? self->view->receiving_shard : -1,
    };
}

/* Answers a status or metrics request from the main thread; takes text. */
void shoal__node_reply_text(shoal_node_t *self, const shoal_route_t *route,
                            char *text)
{
    if (!text) {
        shoal__node_reply_error(self, route, "internal", "out of memory");
        return;
    }
    shoal_answer_t answer = {
        .kind = SHOAL_ANSWER_QUERY, .body = text, .body_size = strlen(text)};
    shoal__node_reply(self, route, &answer);
    free(text);
}

/* Handles `get TYPE ID`. */
static void s_handle_get(shoal_node_t *self, const shoal_route_t *route,
                         char *arguments)
{
    char *type_name = arguments;
    char *entity_id = type_name ? strchr(type_name, ' ') : NULL;
    if (!entity_id || !*(entity_id + 1)) {
        shoal__node_reply_error(self, route, "malformed", "usage: get TYPE ID");
        return;
    }
    *entity_id++ = '\0';
    const shoal_type_t *type = shoal_plugins_find(self->plugins, type_name);
    if (!type) {
        char text[128];
        snprintf(text, sizeof text, "no loaded plugin declares type '%.64s'",
                 type_name);
        shoal__node_reply_error(self, route, "unknown_type", text);
        return;
    }
    if (strlen(entity_id) > SHOAL_ENTITY_ID_MAX || strchr(entity_id, '/')) {
        shoal__node_reply_error(self, route, "malformed",
                                "entity id must be 1..256 bytes with no '/'");
        return;
    }
    shoal__node_dispatch(self, route, SHOAL_REQUEST_QUERY, type, entity_id,
                         NULL, NULL, NULL, 0);
}

/* Handles `clock` (show the node's clock) and `clock set MS` (move a
 * manual clock forward). */
static void s_handle_clock(shoal_node_t *self, const shoal_route_t *route,
                           const char *arguments)
{
    if (*arguments) {
        char *end = NULL;
        errno = 0;
        long long ms = strncmp(arguments, " set ", 5) == 0
                           ? strtoll(arguments + 5, &end, 10)
                           : -1;
        if (ms <= 0 || errno || !end || *end) {
            shoal__node_reply_error(
                self, route, "malformed",
                "usage: clock, or clock set MS (ms since the "
                "Unix epoch)");
            return;
        }
        if (!self->clock.manual) {
            shoal__node_reply_error(
                self, route, "malformed",
                "the clock is the system's: start the node with "
                "--manual-clock-ms to set it");
            return;
        }
        if (shoal_clock_set_ms(&self->clock, ms) < 0) {
            shoal__node_reply_error(self, route, "malformed",
                                    "the clock never moves backwards");
            return;
        }
        shoal_log(SHOAL_LOG_INFO, "manual clock set to %lld", ms);
    }
    char *text = NULL;
    if (asprintf(&text, "{\"now_ms\": %lld, \"manual\": %s}",
                 (long long)shoal_clock_now_ms(&self->clock),
                 self->clock.manual ? "true" : "false") < 0)
        text = NULL;
    shoal__node_reply_text(self, route, text);
}

/* Handles `dead-letters [POLICY]`: the reactor lists them. */
static void s_handle_dead_letters(shoal_node_t *self,
                                  const shoal_route_t *route,
                                  const char *arguments)
{
    const char *policy = *arguments ? arguments + 1 : "";
    if (*arguments &&
        !shoal_name_is_valid(policy, strlen(policy), SHOAL_POLICY_NAME_MAX)) {
        shoal__node_reply_error(self, route, "malformed",
                                "usage: dead-letters [POLICY]");
        return;
    }
    shoal_reactor_request_t *request = calloc(1, sizeof *request);
    if (!request) {
        shoal__node_reply_error(self, route, "internal", "out of memory");
        return;
    }
    request->kind = SHOAL_REACTOR_DEAD_LETTERS;
    snprintf(request->policy, sizeof request->policy, "%s", policy);
    shoal__node_to_reactor(self, route, request);
}

/* Handles `retry ID`: the reactor handles a dead letter again. */
static void s_handle_retry(shoal_node_t *self, const shoal_route_t *route,
                           const char *arguments)
{
    char *end = NULL;
    errno = 0;
    long long id = strtoll(arguments, &end, 10);
    if (id <= 0 || errno || !end || *end || end == arguments) {
        shoal__node_reply_error(self, route, "malformed",
                                "usage: retry ID (a dead letter's id)");
        return;
    }
    shoal_reactor_request_t *request = calloc(1, sizeof *request);
    if (!request) {
        shoal__node_reply_error(self, route, "internal", "out of memory");
        return;
    }
    request->kind = SHOAL_REACTOR_RETRY;
    request->dead_letter = id;
    shoal__node_to_reactor(self, route, request);
}

/* Handles one message on the status socket. */
void shoal__node_handle_status(shoal_node_t *self, shoal_message_t *message)
{
    shoal_route_t route = {.kind = SHOAL_ROUTE_STATUS};
    size_t body;
    if (shoal_protocol_open_envelope(message->frames, message->count, &route,
                                     &body) < 0)
        return;
    shoal_status_request_t request;
    shoal_status_request_parse(message->frames + body, message->count - body,
                               message->truncated, &request);
    if (request.kind == SHOAL_STATUS_REQUEST_MALFORMED) {
        shoal__node_reply_error(self, &route, "malformed", request.error);
        return;
    }
    shoal_status_input_t input;
    s_status_input(self, &input);
    switch (request.kind) {
    case SHOAL_STATUS_REQUEST_STATUS:
    case SHOAL_STATUS_REQUEST_METRICS: {
        pthread_mutex_lock(&self->reactor_stats.lock);
        char *reactor_json =
            self->reactor_stats.json ? strdup(self->reactor_stats.json) : NULL;
        char *reactor_metrics = self->reactor_stats.metrics
                                    ? strdup(self->reactor_stats.metrics)
                                    : NULL;
        pthread_mutex_unlock(&self->reactor_stats.lock);
        input.reactor_json = reactor_json;
        input.reactor_metrics = reactor_metrics;
        shoal__node_reply_text(self, &route,
                               request.kind == SHOAL_STATUS_REQUEST_STATUS
                                   ? shoal_status_json(&input)
                                   : shoal_status_metrics(&input));
        free(reactor_json);
        free(reactor_metrics);
        break;
    }
    case SHOAL_STATUS_REQUEST_GET:
        s_handle_get(self, &route, request.arguments);
        break;
    case SHOAL_STATUS_REQUEST_CLOCK:
        s_handle_clock(self, &route, request.arguments);
        break;
    case SHOAL_STATUS_REQUEST_DEAD_LETTERS:
        s_handle_dead_letters(self, &route, request.arguments);
        break;
    case SHOAL_STATUS_REQUEST_LEAVE:
        if (!self->cluster) {
            shoal__node_reply_error(self, &route, "malformed",
                                    "this node is not in a cluster");
        } else {
            self->leave_asked = true;
            shoal__node_reply_text(
                self, &route,
                strdup("{\"leaving\": true, \"detail\": \"the "
                       "node hands its shards over, then "
                       "stops\"}"));
        }
        break;
    case SHOAL_STATUS_REQUEST_RETRY:
        s_handle_retry(self, &route, request.arguments);
        break;
    case SHOAL_STATUS_REQUEST_MALFORMED:
        break; /* answered above */
    }
}
