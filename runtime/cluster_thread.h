/*
 * runtime/cluster_thread.h - the cluster thread: it runs this node's
 * membership (cluster/membership.h) over ZeroMQ. It gossips with every
 * other member each heartbeat, joins through the seeds, answers join
 * requests, ticks the failure detector and the coordinator, and hands the
 * main thread a new routing view (runtime/cluster_view.h) whenever what
 * routing depends on has changed.
 *
 * Inbound peer messages arrive on the node's peer port, which the main
 * thread owns; it passes the membership ones (GOSSIP, JOIN, REFUSE) to
 * this thread. Outbound, this thread has its own ROUTER connected to each
 * peer's port. See docs/ARCHITECTURE.md, "Cluster".
 */
#ifndef SHOAL_RUNTIME_CLUSTER_THREAD_H
#define SHOAL_RUNTIME_CLUSTER_THREAD_H

#include "cluster/member.h"
#include "runtime/config.h"

#include <czmq.h>
#include <stdatomic.h>

/* The peer protocol's version frame. */
#define SHOAL_PEER_VERSION "SHOAL-PEER/1"

typedef struct {
    const void *node; /* names the inproc endpoints */
    const shoal_config_t *config;
    const char *const *types; /* the node's plugin type names */
    size_t type_count;
    shoal_member_t local;         /* name, incarnation and endpoints */
    const char *journal_path;     /* for handoffs, on a connection of its own */
    _Atomic int64_t *handled_pos; /* the reactor's: every policy is past */
    const struct shoal_security *security; /* the cluster key, if any */
} shoal_cluster_args_t;

/* The cluster actor. Commands on its pipe: "LEAVE" starts a graceful
 * leave; "$TERM" ends it. It signals once its sockets are ready. args is
 * borrowed. */
void shoal_cluster_actor(zsock_t *pipe, void *args);

#endif
