/*
 * runtime/node_internal.h - the node's main-thread state, shared by the
 * files that make up the main thread: node.c (start-up, the loop,
 * shutdown), node_requests.c (the client and internal ports: routing
 * requests to workers, gatekeepers and the reactor, answering) and
 * node_status.c (the status socket). Touched by the main thread only,
 * except the figures named in runtime/stats.h.
 */
#ifndef SHOAL_RUNTIME_NODE_INTERNAL_H
#define SHOAL_RUNTIME_NODE_INTERNAL_H

#include "persistence/journal.h"
#include "runtime/cluster_thread.h"
#include "runtime/cluster_view.h"
#include "runtime/frames.h"
#include "runtime/gates.h"
#include "runtime/handoff.h"
#include "runtime/journal_threads.h"
#include "runtime/node.h"
#include "runtime/plugins.h"
#include "runtime/protocol.h"
#include "runtime/reactor.h"
#include "runtime/security.h"
#include "runtime/stats.h"
#include "runtime/worker.h"

#include <czmq.h>

struct shoal_node {
    const shoal_config_t *config;
    shoal_security_t security; /* CURVE on the client port, when set */
    shoal_clock_t clock;
    shoal_plugins_t *plugins;
    const char **type_names;
    char *journal_path;
    shoal_journal_t *journal;          /* the writer's */
    shoal_journal_t **reader_journals; /* one per reader */
    shoal_journal_stats_t journal_stats;
    shoal_shard_fence_t *fence; /* the shards this node may write */
    shoal_worker_stats_t *worker_stats;
    shoal_writer_args_t writer_args;
    shoal_reader_args_t *reader_args;
    shoal_worker_args_t *worker_args;
    zactor_t *writer;
    zactor_t **readers;
    zactor_t **workers;
    zsock_t **worker_inboxes; /* PUSH, main -> worker */
    zsock_t *answers;         /* PULL, workers -> main */
    zsock_t *client;          /* ROUTER */
    zsock_t *status;          /* ROUTER */
    zsock_t *internal;        /* ROUTER, inproc: policies and timers */
    shoal_gates_t *gates;
    shoal_reactor_args_t reactor_args;
    shoal_reactor_stats_t reactor_stats;
    zactor_t *reactor;
    zsock_t *reactor_requests; /* PUSH, main -> reactor */
    /* The cluster (node_cluster.c); all NULL for a single node. */
    zsock_t *peer;       /* ROUTER, the peer port */
    char *peer_endpoint; /* as bound */
    zsock_t *forward;    /* ROUTER, connected to every member */
    zhashx_t *forward_connected;
    struct shoal_forward_slot *forwards; /* the ring of waiting forwards */
    uint64_t forward_head, forward_next;
    uint64_t forwarded, forwards_expired, forwards_refused;
    zsock_t *cluster_views; /* PULL, cluster thread -> main */
    zsock_t *cluster_inbox; /* PUSH, main -> cluster thread */
    zactor_t *cluster;
    shoal_cluster_args_t cluster_args;
    shoal_cluster_view_t *view; /* the latest; NULL until the first */
    char *fatal;                /* set when the cluster says stop */
    /* Shards being handed over (node_handoff.c): 0 served, 1 releasing,
     * 2 released; their requests wait, in order, per shard. */
    uint8_t *frozen;
    shoal_request_t **parked_head, **parked_tail;
    size_t parked;
    bool leaving;           /* a graceful leave is under way */
    bool leave_asked;       /* `leave` on the status socket */
    int64_t leave_deadline; /* zclock_mono */
    char route_message[256];
    char *client_endpoint;
    char *status_endpoint;
    /* "MEMBER CLIENT_ENDPOINT", how the owner frame names this node */
    char owner_label[SHOAL_MEMBER_NAME_MAX + SHOAL_MEMBER_ENDPOINT_MAX + 2];
    int64_t started_ms;
    uint64_t rate_count; /* commands answered at rate_at_ms */
    int64_t rate_at_ms;
    double rate;
    uint64_t busy_at_dispatch; /* busy answers given by the main thread */
    uint64_t replies_dropped;  /* peer gone, or its queue full */
    bool stopping;
};

/* --- node_requests.c --------------------------------------------------- */

/* The ROUTER a route kind answers on. */
void *shoal__node_socket_of(shoal_node_t *self, shoal_route_kind_t kind);

/* Sends an answer to route from the main thread (a gate route goes to
 * the gates). */
void shoal__node_reply(shoal_node_t *self, const shoal_route_t *route,
                       const shoal_answer_t *answer);

/* Answers route with an error code and message. */
void shoal__node_reply_error(shoal_node_t *self, const shoal_route_t *route,
                             const char *code, const char *message);

/* Hands a request to the worker of its shard. Returns 0, or -1 with *code
 * and *message saying why not (nothing is answered then). */
int shoal__node_enqueue(shoal_node_t *self, const shoal_route_t *route,
                        shoal_request_kind_t kind, const shoal_type_t *type,
                        const char *entity_id, const char *command,
                        const char *command_id, const void *payload,
                        size_t payload_size, const char **code,
                        const char **message);

/* As shoal__node_enqueue, but always to this node's own worker, whoever
 * owns the shard (the caller has checked). */
int shoal__node_enqueue_local(shoal_node_t *self, const shoal_route_t *route,
                              shoal_request_kind_t kind,
                              const shoal_type_t *type, const char *entity_id,
                              const char *command, const char *command_id,
                              const void *payload, size_t payload_size,
                              const char **code, const char **message);

/* As shoal__node_enqueue, answering route itself when it cannot. */
void shoal__node_dispatch(shoal_node_t *self, const shoal_route_t *route,
                          shoal_request_kind_t kind, const shoal_type_t *type,
                          const char *entity_id, const char *command,
                          const char *command_id, const void *payload,
                          size_t payload_size);

/* Hands a request to the reactor (taking it), or answers why not. */
void shoal__node_to_reactor(shoal_node_t *self, const shoal_route_t *route,
                            shoal_reactor_request_t *request);

/* Creates the gates and binds the internal port. Returns 0 or -1. */
int shoal__node_start_edge(shoal_node_t *self, char **error);

/* Handles one message of the client port, or of the internal port. */
void shoal__node_handle_client(shoal_node_t *self, shoal_message_t *message);
void shoal__node_handle_internal(shoal_node_t *self, shoal_message_t *message);

/* --- node_cluster.c ---------------------------------------------------- */

/* Binds the peer port and starts the cluster thread, when the node is
 * configured for a cluster (cluster_endpoint). Returns 0 or -1 with
 * *error set. */
int shoal__node_start_cluster(shoal_node_t *self, char **error);

/* Stops the cluster thread and closes the peer sockets. NULL-safe parts. */
void shoal__node_stop_cluster(shoal_node_t *self);

/* Takes the views the cluster thread handed over. */
void shoal__node_take_views(shoal_node_t *self);

/* Routes a request by the cluster view: returns 1 when this node owns its
 * shard (the caller enqueues it locally), 0 when it was forwarded to the
 * owner, -1 with *code and *message when it cannot be served now. */
int shoal__node_route(shoal_node_t *self, const shoal_route_t *route,
                      shoal_request_kind_t kind, const shoal_type_t *type,
                      const char *entity_id, const char *command,
                      const char *command_id, const void *payload,
                      size_t payload_size, const char **code,
                      const char **message);

/* Takes the owners' replies to forwarded requests and answers them. */
void shoal__node_take_forward_replies(shoal_node_t *self);

/* Answers unavailable the forwards that waited past their time. */
void shoal__node_expire_forwards(shoal_node_t *self, int64_t now);

/* Handles one message of the peer port: membership messages go to the
 * cluster thread, forwarded requests are served here. */
void shoal__node_handle_peer(shoal_node_t *self, shoal_message_t *message);

/* --- node_handoff.c ---------------------------------------------------- */

/* Prepares the handoff state for a cluster node. Returns 0 or -1. */
int shoal__node_start_handoffs(shoal_node_t *self);

/* Answers the requests still waiting and frees the handoff state. */
void shoal__node_stop_handoffs(shoal_node_t *self);

/* Keeps a request for a shard being handed over (taking it). Returns 0,
 * or -1 when too many wait (the caller keeps the request). */
int shoal__node_park(shoal_node_t *self, uint32_t shard,
                     shoal_request_t *request);

/* Takes a handoff message from the cluster thread or a worker (taking
 * it). */
void shoal__node_on_handoff(shoal_node_t *self, shoal_handoff_msg_t *message);

/* After a new view: requests parked for shards that moved away go to
 * their new owner. */
void shoal__node_settle_handoffs(shoal_node_t *self);

/* After a new view: opens the fence of each shard the view newly gives
 * this node (at the view's epoch), unless it is released for a handoff,
 * and closes the fence of each shard the view gives another member. */
void shoal__node_fence_view(shoal_node_t *self);

/* --- node_status.c ----------------------------------------------------- */

/* Handles one message of the status socket. */
void shoal__node_handle_status(shoal_node_t *self, shoal_message_t *message);

#endif
