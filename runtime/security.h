/*
 * runtime/security.h - the node's CURVE set-up at start: reads its key
 * and the folder of allowed clients from the settings, starts the ZAP
 * handler, and warns about a port left open to the network. The node
 * then makes its client port a CURVE server with the key (see
 * docs/SECURITY.md). The cluster port is meant to join it here.
 */
#ifndef SHOAL_RUNTIME_SECURITY_H
#define SHOAL_RUNTIME_SECURITY_H

#include "runtime/config.h"
#include "runtime/curve_auth.h"

#include <czmq.h>

/* The ZAP domain of the client port. */
#define SHOAL_SECURITY_CLIENT_DOMAIN "client"

/* The ZAP domain of the cluster's peer port. */
#define SHOAL_SECURITY_CLUSTER_DOMAIN "cluster"

/* What the node's sockets need to be secured; caller-allocated. */
typedef struct shoal_security {
    zcert_t *cert;            /* the node's keys; NULL: plaintext ports */
    zcert_t *cluster_cert;    /* the cluster's keys; NULL: plaintext link */
    shoal_curve_auth_t *auth; /* the ZAP handler; NULL without CURVE */
} shoal_security_t;

/* Fills *self from config (borrowed): with curve_secret_key set, loads
 * the key, starts the ZAP handler and allows the client certificates of
 * curve_clients in the client port's domain, logging how many there are;
 * without it, leaves *self empty and warns when the client port is open
 * to other machines. Call before binding any socket. Returns 0, or -1
 * with *error set (malloc'd) naming the setting, the file and the reason;
 * *self is then empty. Release with shoal_security_stop. */
int shoal_security_start(shoal_security_t *self, const shoal_config_t *config,
                         char **error);

/* Makes server (a socket not yet bound, borrowed) a CURVE server with the
 * node's key whose peers the ZAP handler admits from domain, and logs its
 * failed handshakes under what ("client port"). Does nothing when *self
 * is empty (CURVE off). Call from the thread that owns server. Returns 0,
 * or -1 with *error set (malloc'd) naming what and the reason. */
int shoal_security_secure(shoal_security_t *self, zsock_t *server,
                          const char *domain, const char *what, char **error);

/* Makes server (not yet bound) the cluster's CURVE server, admitting the
 * holders of the cluster key only. Does nothing without cluster_key.
 * Returns 0, or -1 with *error set (malloc'd). */
int shoal_security_secure_cluster(shoal_security_t *self, zsock_t *server,
                                  char **error);

/* Makes socket a CURVE client of the cluster's servers with the cluster
 * key, for the connections it makes from then on. Does nothing without
 * cluster_key. Call from the thread that owns socket. Returns 0 or -1. */
int shoal_security_cluster_client(const shoal_security_t *self,
                                  zsock_t *socket);

/* Stops the ZAP handler and frees the key; call after closing the
 * sockets secured with it. Leaves *self empty. Safe on an empty one. */
void shoal_security_stop(shoal_security_t *self);

#endif
