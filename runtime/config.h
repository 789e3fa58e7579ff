/*
 * runtime/config.h - every setting of a node, in one place: its name, its
 * default, its documentation. Flags (--name value) and the config file
 * (ZPL, under a `shoald` section) both map onto the same table.
 */
#ifndef SHOAL_RUNTIME_CONFIG_H
#define SHOAL_RUNTIME_CONFIG_H

#include "persistence/journal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    SHOAL_LOG_ERROR = 0,
    SHOAL_LOG_WARN = 1,
    SHOAL_LOG_INFO = 2,
    SHOAL_LOG_DEBUG = 3,
} shoal_log_level_t;

typedef struct {
    char *node_name;
    char *endpoint;
    char *status_endpoint;
    bool status_allow_remote;
    char *curve_secret_key; /* NULL: the client port is plaintext */
    char *curve_clients;    /* folder of the clients' public certificates */
    char *data_dir;
    char **plugins; /* NULL-terminated; the count must follow */
    size_t plugin_count;
    char **seeds; /* NULL-terminated; the count must follow */
    size_t seed_count;
    char *cluster_endpoint; /* "" = no cluster */
    char *cluster_advertise;
    char *cluster_name; /* every member's; a member name */
    char *cluster_key; /* the cluster's shared secret certificate */
    uint64_t cluster_min_members;
    uint64_t heartbeat_ms;
    uint64_t suspect_after_ms;
    uint64_t down_after_ms;
    uint64_t forward_timeout_ms;
    uint64_t shards;
    uint64_t workers;
    uint64_t readers;
    shoal_durability_t durability;
    uint64_t snapshot_every;
    uint64_t passivate_idle_ms;
    uint64_t max_resident;
    uint64_t inbox_capacity;
    uint64_t stash_capacity;
    uint64_t max_stashed;
    uint64_t journal_queue;
    uint64_t max_batch;
    uint64_t dedup_window;
    uint64_t max_payload;
    uint64_t checkpoint_ms;
    uint64_t manual_clock_ms;
    uint64_t gate_timeout_ms;
    uint64_t max_gate_waiting;
    uint64_t policy_max_attempts;
    uint64_t policy_backoff_ms;
    uint64_t policy_batch;
    shoal_log_level_t log_level;
} shoal_config_t;

/* What shoal_config_parse decided. */
typedef enum {
    SHOAL_CONFIG_RUN,   /* the config is complete: run the node */
    SHOAL_CONFIG_HELP,  /* --help was asked: help printed, exit 0 */
    SHOAL_CONFIG_ERROR, /* bad flag, value or file: *error says which */
} shoal_config_result_t;

/* Fills *config with the defaults. Free it with shoal_config_clear. */
void shoal_config_defaults(shoal_config_t *config);

/* Frees the strings of a config and zeroes it. */
void shoal_config_clear(shoal_config_t *config);

/* Sets one setting by name ("max_resident" or "max-resident") from its
 * text. Returns 0, or -1 with *error set (malloc'd) naming the setting and
 * the reason. */
int shoal_config_set(shoal_config_t *config, const char *name,
                     const char *value, char **error);

/* Loads the settings of a ZPL file: every child of its `shoald` section.
 * Returns 0, or -1 with *error set naming the file, the key and the
 * reason. */
int shoal_config_load_file(shoal_config_t *config, const char *path,
                           char **error);

/* Applies defaults, then the file named by --config, then the flags of
 * argv, then shoal_config_check. Prints the help to help_out on --help. On
 * SHOAL_CONFIG_ERROR, *error (malloc'd) says what was wrong. */
shoal_config_result_t shoal_config_parse(shoal_config_t *config, int argc,
                                         char **argv, FILE *help_out,
                                         char **error);

/* Checks the settings that depend on one another: CURVE needs both its
 * key and its client folder, and the status socket stays on a loopback
 * address unless status_allow_remote says otherwise. The key files
 * themselves are read when the node starts. Returns 0, or -1 with *error
 * set (malloc'd) naming the setting and the reason. */
int shoal_config_check(const shoal_config_t *config, char **error);

/* Prints every setting with its default and documentation. */
void shoal_config_print_help(FILE *out);

#endif
