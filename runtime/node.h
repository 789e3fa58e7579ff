/*
 * runtime/node.h - one shoal node: its plugins, journal, threads and the
 * two sockets it serves (client port, status socket).
 */
#ifndef SHOAL_RUNTIME_NODE_H
#define SHOAL_RUNTIME_NODE_H

#include "runtime/config.h"

#include <signal.h>

typedef struct shoal_node shoal_node_t;

/* Starts a node: reads its CURVE key and client certificates when set,
 * loads every plugin (before anything else, so a bad key file or plugin
 * stops the node before any socket is bound), opens and recovers the
 * journal directory, starts the threads and binds both sockets. config is
 * borrowed and must outlive the node. Returns NULL with *error set
 * (malloc'd) naming the setting, plugin, file or endpoint and the
 * reason. */
shoal_node_t *shoal_node_new(const shoal_config_t *config, char **error);

/* The resolved endpoints (ephemeral ports filled in); borrowed. */
const char *shoal_node_client_endpoint(const shoal_node_t *self);
const char *shoal_node_status_endpoint(const shoal_node_t *self);

/* The resolved peer port, or NULL for a node outside any cluster. */
const char *shoal_node_cluster_endpoint(const shoal_node_t *self);

/* Why the node stopped itself (its cluster refused it, or a newer copy of
 * it joined), or NULL while it has not. */
const char *shoal_node_fatal(const shoal_node_t *self);

/* Serves requests until *stop becomes non-zero (set it from a signal
 * handler). */
void shoal_node_run(shoal_node_t *self, volatile sig_atomic_t *stop);

/* Stops the node cleanly: stops taking commands, lets every command in
 * flight finish and be answered, checkpoints the journal, stops the
 * threads and frees everything. Sets *self_p to NULL. NULL-safe. */
void shoal_node_destroy(shoal_node_t **self_p);

#endif
