/*
 * runtime/endpoint.h - what a ZeroMQ endpoint to bind says about who can
 * reach it: the node refuses to put its unauthenticated status socket
 * anywhere but on the machine itself, and warns when the client port is
 * open to the network without CURVE.
 */
#ifndef SHOAL_RUNTIME_ENDPOINT_H
#define SHOAL_RUNTIME_ENDPOINT_H

#include <stdbool.h>

/* True when only processes on this machine can reach a socket bound to
 * endpoint: tcp:// on a loopback address (127.0.0.0/8, ::1 written
 * [::1], or localhost), ipc:// (a file, guarded by its permissions) or
 * inproc://. False for every other address, interface name, wildcard (*)
 * or transport, and for text that is not an endpoint. endpoint is
 * borrowed. */
bool shoal_endpoint_is_local(const char *endpoint);

#endif
