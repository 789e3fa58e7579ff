/*
 * runtime/curve_auth.h - the node's ZAP handler: decides which CURVE
 * peers may connect to its servers, by public key, and logs every
 * refusal with the peer's address and key.
 *
 * ZeroMQ asks the ZAP handler of the process (RFC 27, bound at
 * inproc://zeromq.zap.01) about every peer completing a CURVE handshake
 * with a server socket; the server socket names its port in a ZAP domain
 * (shoal_curve_make_server). Each domain is allowed a folder of public
 * certificates; a peer whose key is not in the folder of its domain, or
 * that knocks in a domain nobody allowed, is refused. A folder is read
 * again when its files change, so adding or removing a certificate
 * applies to the next connection; connections already made stay. At
 * most 20 refusals a minute are logged, then a count of the others.
 *
 * One handler per process: start it before binding any CURVE server and
 * destroy it after closing them.
 */
#ifndef SHOAL_RUNTIME_CURVE_AUTH_H
#define SHOAL_RUNTIME_CURVE_AUTH_H

#include <czmq.h>
#include <stddef.h>

typedef struct shoal_curve_auth shoal_curve_auth_t;

/* Starts the handler, which refuses every peer until a domain is allowed.
 * Returns it (the caller's, shoal_curve_auth_destroy), or NULL with
 * *error set (malloc'd) when another handler holds the ZAP endpoint. */
shoal_curve_auth_t *shoal_curve_auth_new(char **error);

/* Lets the peers whose public certificate is in directory into the
 * servers of domain ("client"); what names the port in the log lines
 * ("client port"). Certificates are the NAME.key files of `shoal keygen`;
 * files ending in _secret are skipped. Returns the number of certificates
 * in the folder now, or -1 with *error set (malloc'd) naming the folder
 * and the reason when it cannot be read. Strings are copied. */
int shoal_curve_auth_allow(shoal_curve_auth_t *self, const char *domain,
                           const char *what, const char *directory,
                           char **error);

/* Lets the peers with exactly the public key public_txt (Z85) into the
 * servers of domain; what names the port in the log lines. Returns 0, or
 * -1 with *error set (malloc'd). */
int shoal_curve_auth_allow_key(shoal_curve_auth_t *self, const char *domain,
                               const char *what, const char *public_txt,
                               char **error);

/* Logs, as refusals, the handshakes that fail on server (a CURVE server,
 * borrowed) before the handler is asked: peers that do not use CURVE
 * (when the node notices before the peer hangs up), and peers that
 * encrypted to another server key. libzmq does not give their address. what
 * names the port in the log lines. Call from the thread that owns server,
 * before closing it; at most 8 servers. Returns 0, or -1 with *error set
 * (malloc'd). */
int shoal_curve_auth_watch(shoal_curve_auth_t *self, zsock_t *server,
                           const char *what, char **error);

/* Stops the handler and sets *self_p to NULL. NULL-safe. */
void shoal_curve_auth_destroy(shoal_curve_auth_t **self_p);

#endif
