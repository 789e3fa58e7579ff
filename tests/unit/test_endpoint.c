/*
 * tests/unit/test_endpoint.c - which endpoints only this machine can
 * reach (runtime/endpoint.c): loopback addresses, ipc and inproc are
 * local; wildcards, other addresses, names and transports are not.
 */
#include "runtime/endpoint.h"

#include <criterion/criterion.h>

Test(endpoint, loopback_tcp_addresses_are_local)
{
    cr_assert(shoal_endpoint_is_local("tcp://127.0.0.1:7701"));
    cr_assert(shoal_endpoint_is_local("tcp://127.0.0.1:*"));
    cr_assert(shoal_endpoint_is_local("tcp://127.8.9.10:7701"));
    cr_assert(shoal_endpoint_is_local("tcp://localhost:7701"));
    cr_assert(shoal_endpoint_is_local("tcp://[::1]:7701"));
    cr_assert(shoal_endpoint_is_local("tcp://::1:7701"));
}

Test(endpoint, ipc_and_inproc_are_local)
{
    cr_assert(shoal_endpoint_is_local("ipc:///run/shoal/status"));
    cr_assert(shoal_endpoint_is_local("inproc://status"));
}

Test(endpoint, wildcards_and_other_addresses_are_not)
{
    cr_assert_not(shoal_endpoint_is_local("tcp://*:7701"));
    cr_assert_not(shoal_endpoint_is_local("tcp://0.0.0.0:7701"));
    cr_assert_not(shoal_endpoint_is_local("tcp://[::]:7701"));
    cr_assert_not(shoal_endpoint_is_local("tcp://10.0.0.5:7701"));
    cr_assert_not(shoal_endpoint_is_local("tcp://[2001:db8::1]:7701"));
    cr_assert_not(shoal_endpoint_is_local("tcp://128.0.0.1:7701"));
}

Test(endpoint, names_are_not_trusted)
{
    cr_assert_not(shoal_endpoint_is_local("tcp://lo:7701"));
    cr_assert_not(shoal_endpoint_is_local("tcp://eth0:7701"));
    cr_assert_not(shoal_endpoint_is_local("tcp://127.example.com:7701"));
    cr_assert_not(shoal_endpoint_is_local("tcp://localhost.evil:7701"));
}

Test(endpoint, other_transports_and_malformed_text_are_not)
{
    cr_assert_not(shoal_endpoint_is_local("ws://127.0.0.1:7701"));
    cr_assert_not(shoal_endpoint_is_local("pgm://127.0.0.1;239.1.1.1:7701"));
    cr_assert_not(shoal_endpoint_is_local("tcp://127.0.0.1"));
    cr_assert_not(shoal_endpoint_is_local("tcp://:7701"));
    cr_assert_not(shoal_endpoint_is_local("tcp://[::1]7701"));
    cr_assert_not(shoal_endpoint_is_local("tcp://127.0.0.1;10.0.0.1:7701"));
    cr_assert_not(shoal_endpoint_is_local("127.0.0.1:7701"));
    cr_assert_not(shoal_endpoint_is_local(""));
    cr_assert_not(shoal_endpoint_is_local(NULL));
}
