/*
 * runtime/curve.h - CURVE keys and sockets: reads the certificate files
 * `shoal keygen` writes (CZMQ's zcert format: NAME.key holds the public
 * key, NAME.key_secret both keys) and makes a zsock a CURVE server or a
 * CURVE client with them.
 *
 * Nothing here is tied to one port: the node's client port, the client
 * library and the cluster link all secure their sockets through these
 * functions. Who may connect to a server is decided by the ZAP handler of
 * runtime/curve_auth.h. Nothing here logs: errors come back as text.
 */
#ifndef SHOAL_RUNTIME_CURVE_H
#define SHOAL_RUNTIME_CURVE_H

#include <czmq.h>
#include <stdbool.h>

/* Length of a key in Z85 text; buffers hold one more byte for the NUL. */
#define SHOAL_CURVE_KEY_TEXT 40

/* Loads the secret certificate file at path (NAME.key_secret) exactly as
 * named. Checks that it is readable, is a certificate, holds a public and
 * a secret key of 40 Z85 characters each, and that the public key is the
 * one the secret key gives. Returns the certificate (the caller's,
 * zcert_destroy), or NULL with *error set (malloc'd) to "PATH: reason". */
zcert_t *shoal_curve_load_secret(const char *path, char **error);

/* Reads the public key of the certificate file at path (NAME.key; a
 * NAME.key_secret holds it too) into public_key as Z85 text. Returns 0,
 * or -1 with *error set (malloc'd) to "PATH: reason". */
int shoal_curve_load_public(const char *path,
                            char public_key[SHOAL_CURVE_KEY_TEXT + 1],
                            char **error);

/* True when no one but the file's owner may read or write path: what a
 * secret key file should be. False too when path cannot be examined. */
bool shoal_curve_file_is_private(const char *path);

/* Makes socket a CURVE server with the keys of cert (borrowed), sending
 * its ZAP requests in domain, so that the ZAP handler knows which port a
 * peer is knocking at. Asks libzmq to refuse every peer when no ZAP
 * handler answers, where libzmq offers that. Call before binding. Returns
 * 0, or -1 (errno) when libzmq refuses an option. */
int shoal_curve_make_server(zsock_t *socket, zcert_t *cert, const char *domain);

/* Makes socket a CURVE client with the keys of cert (borrowed) that
 * trusts only the server whose public key is server_key (Z85). Call
 * before connecting. Returns 0, or -1 (errno) when libzmq refuses an
 * option. */
int shoal_curve_make_client(zsock_t *socket, zcert_t *cert,
                            const char *server_key);

#endif
