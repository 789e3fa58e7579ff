/*
 * runtime/shoald.c - the node program: settings, signals, the node's life.
 */
#include "runtime/config.h"
#include "runtime/log.h"
#include "runtime/node.h"

#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static volatile sig_atomic_t s_stop = 0;

/* SIGTERM and SIGINT ask for a clean stop. */
static void s_on_signal(int signal_number)
{
    (void)signal_number;
    s_stop = 1;
}

/* Installs the stop handlers in place of CZMQ's own. */
static void s_install_signals(void)
{
    zsys_handler_set(NULL);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = s_on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
    shoal_config_t config;
    char *error = NULL;
    switch (shoal_config_parse(&config, argc, argv, stdout, &error)) {
    case SHOAL_CONFIG_HELP:
        shoal_config_clear(&config);
        return 0;
    case SHOAL_CONFIG_ERROR:
        fprintf(stderr, "shoald: %s (see shoald --help)\n",
                error ? error : "bad settings");
        free(error);
        shoal_config_clear(&config);
        return 2;
    case SHOAL_CONFIG_RUN:
        break;
    }
    if (config.plugin_count == 0) {
        fprintf(stderr, "shoald: no plugin given: name at least one with "
                        "--plugin FILE.so (see shoald --help)\n");
        shoal_config_clear(&config);
        return 2;
    }
    s_install_signals();
    shoal_log_init(config.log_level, config.node_name);
    shoal_node_t *node = shoal_node_new(&config, &error);
    if (!node) {
        fprintf(stderr, "shoald: %s\n", error ? error : "cannot start");
        free(error);
        shoal_config_clear(&config);
        return 1;
    }
    if (shoal_node_cluster_endpoint(node))
        printf("shoald ready client=%s status=%s cluster=%s\n",
               shoal_node_client_endpoint(node),
               shoal_node_status_endpoint(node),
               shoal_node_cluster_endpoint(node));
    else
        printf("shoald ready client=%s status=%s\n",
               shoal_node_client_endpoint(node),
               shoal_node_status_endpoint(node));
    fflush(stdout);
    shoal_node_run(node, &s_stop);
    int status = 0;
    if (shoal_node_fatal(node)) {
        fprintf(stderr, "shoald: %s\n", shoal_node_fatal(node));
        status = 1;
    }
    shoal_log(SHOAL_LOG_INFO, "stopping: finishing commands in flight");
    shoal_node_destroy(&node);
    shoal_log(SHOAL_LOG_INFO, "stopped");
    shoal_config_clear(&config);
    return status;
}
