/*
 * runtime/cli/cli_ping.c - `shoal ping`: checks that a node answers on its
 * client port and prints the round trip time.
 */
#include "runtime/cli/cli.h"

#include <errno.h>
#include <time.h>

/* The monotonic clock, in milliseconds. */
static double s_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

/* Sends PING and waits for the PONG. Returns the exit status. */
int cli_ping_run(const cli_command_t *command, const cli_options_t *options)
{
    shoal_client_t *client = NULL;
    int open_status = cli_client_open(command, options, &client);
    if (open_status != CLI_EXIT_OK)
        return open_status;
    shoal_reply_t reply = {0};
    double start = s_now_ms();
    int rc = shoal_client_ping(client, "ping");
    if (rc == 0)
        rc = shoal_client_receive(client, &reply, options->timeout_ms);
    double elapsed = s_now_ms() - start;

    int status;
    if (rc == 0 && reply.status == SHOAL_REPLY_PONG) {
        printf("pong from %s in %.1f ms\n", options->endpoint, elapsed);
        status = CLI_EXIT_OK;
    } else if (rc == 0 && reply.status == SHOAL_REPLY_ERROR)
        status = cli_print_reply(&reply, false);
    else if (rc == -1) {
        fprintf(stderr, "shoal: ping: %s from %s within %d ms\n",
                errno == EINTR ? "interrupted, no pong" : "no pong",
                options->endpoint, options->timeout_ms);
        cli_print_curve_hint(options);
        status = CLI_EXIT_UNREACHABLE;
    } else {
        fprintf(stderr, "shoal: ping: %s sent an invalid reply\n",
                options->endpoint);
        status = CLI_EXIT_NODE_ERROR;
    }
    shoal_reply_clear(&reply);
    shoal_client_destroy(&client);
    return status;
}
