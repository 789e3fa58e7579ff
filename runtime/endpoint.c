/*
 * runtime/endpoint.c - tells an endpoint only this machine can reach from
 * one the network can. Only literal loopback addresses count: a host or
 * interface name could resolve to anything, so it is not trusted.
 */
#include "runtime/endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* Longest host part looked at; longer ones are not loopback. */
#define S_HOST_MAX 64

/* True when host (no port, no brackets) is a loopback address. */
static bool s_host_is_loopback(const char *host)
{
    if (strcmp(host, "localhost") == 0)
        return true;
    struct in_addr ipv4;
    if (inet_pton(AF_INET, host, &ipv4) == 1)
        return (ntohl(ipv4.s_addr) >> 24) == 127;
    struct in6_addr ipv6;
    if (inet_pton(AF_INET6, host, &ipv6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&ipv6);
    return false;
}

/* Copies the host of a tcp address ("HOST:PORT" or "[HOST]:PORT") into
 * host. Returns 0, or -1 when the address has no such form. */
static int s_tcp_host(const char *address, char host[S_HOST_MAX + 1])
{
    const char *end;
    const char *start = address;
    if (*address == '[') {
        start = address + 1;
        end = strchr(start, ']');
        if (!end || end[1] != ':')
            return -1;
    } else {
        end = strrchr(address, ':');
        if (!end)
            return -1;
    }
    size_t size = (size_t)(end - start);
    if (size == 0 || size > S_HOST_MAX)
        return -1;
    memcpy(host, start, size);
    host[size] = '\0';
    return 0;
}

bool shoal_endpoint_is_local(const char *endpoint)
{
    if (!endpoint)
        return false;
    if (strncmp(endpoint, "ipc://", 6) == 0 ||
        strncmp(endpoint, "inproc://", 9) == 0)
        return true;
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return false;
    const char *address = endpoint + 6;
    if (strchr(address, ';'))
        return false; /* a source address: not a bind endpoint */
    char host[S_HOST_MAX + 1];
    return s_tcp_host(address, host) == 0 && s_host_is_loopback(host);
}
