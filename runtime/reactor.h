/*
 * runtime/reactor.h - the reactor thread: the asynchronous half of a
 * Scalable Modeling system. It runs the policies (event handlers) over the
 * durable journal, fires durable timers, and serves the reads of public
 * event topics and of dead letters.
 *
 * It is a client of its own node: the commands policies and timers send go
 * through the node's internal port (inproc), and so are routed like any
 * client's (minus gatekeepers). It owns a writable connection to the
 * journal for its progress, topics, timers and dead letters, committed in
 * transactions of its own (see docs/ARCHITECTURE.md).
 */
#ifndef SHOAL_RUNTIME_REACTOR_H
#define SHOAL_RUNTIME_REACTOR_H

#include "runtime/clock.h"
#include "runtime/config.h"
#include "runtime/plugins.h"
#include "runtime/protocol.h"

#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>

/* What the reactor reports for the status socket: JSON and Prometheus
 * renderings it refreshes a few times a second, under lock. */
typedef struct {
    pthread_mutex_t lock;
    char *json;    /* {"policies": [...], "topics": [...], "timers": {...}} */
    char *metrics; /* Prometheus lines */
    /* The journal position every policy has handled (INT64_MAX without
     * policies), for a shard handoff to wait on; no lock needed. */
    _Atomic int64_t handled_pos;
} shoal_reactor_stats_t;

typedef struct {
    const void *node; /* names the inproc endpoints */
    const shoal_config_t *config;
    shoal_clock_t *clock;
    const shoal_plugins_t *plugins;
    const char *journal_path;
    shoal_reactor_stats_t *stats;
    char *error; /* set (malloc'd) when the reactor could not start */
} shoal_reactor_args_t;

/* The reactor actor. It signals once its journal connection is open and
 * its state loaded; when it could not start, it sets args->error first and
 * ends (the node then refuses to start). Stops on $TERM. args is
 * borrowed. */
void shoal_reactor_actor(zsock_t *pipe, void *args);

typedef enum {
    SHOAL_REACTOR_EVENTS,        /* read a topic from a cursor */
    SHOAL_REACTOR_DEAD_LETTERS,  /* list dead letters as JSON */
    SHOAL_REACTOR_RETRY,         /* handle a dead letter again */
    SHOAL_REACTOR_RELOAD_TOPICS, /* a shard was imported: reload the
                                    topics' heads (no answer) */
} shoal_reactor_request_kind_t;

/* A request from the main thread, answered by the reactor on route. */
typedef struct {
    shoal_reactor_request_kind_t kind;
    uint8_t route[SHOAL_ROUTE_MAX];
    size_t route_size;
    char topic[SHOAL_TOPIC_NAME_MAX + 1];   /* EVENTS */
    char *cursor;                           /* EVENTS; owned, NUL-terminated */
    uint32_t max_events;                    /* EVENTS */
    char policy[SHOAL_POLICY_NAME_MAX + 1]; /* DEAD_LETTERS filter, or "" */
    int64_t dead_letter;                    /* RETRY */
} shoal_reactor_request_t;

/* Frees a request and sets *self_p to NULL. NULL-safe. */
void shoal_reactor_request_destroy(shoal_reactor_request_t **self_p);

#endif
