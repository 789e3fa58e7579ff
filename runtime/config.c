/*
 * runtime/config.c - the settings table and its two front ends: flags and
 * the ZPL config file (read with CZMQ's zconfig).
 */
#include "cluster/member.h"
#include "runtime/config.h"
#include "runtime/endpoint.h"

#include <czmq.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum {
    S_TEXT,   /* char * */
    S_NUMBER, /* uint64_t, within [min, max] */
    S_LIST,   /* char ** (NULL-terminated) at offset, its size_t count
                 right after: each use appends */
    S_BOOL,   /* bool: true or false */
    S_DURABILITY,
    S_LOG_LEVEL,
} s_kind_t;

typedef struct {
    const char *name; /* underscore form; flags use dashes */
    s_kind_t kind;
    size_t offset;
    const char *fallback; /* default, as text; NULL = computed */
    uint64_t min, max;
    const char *doc;
} s_setting_t;

#define S_AT(field) offsetof(shoal_config_t, field)

static const s_setting_t s_settings[] = {
    {"node_name", S_TEXT, S_AT(node_name), NULL, 0, 0,
     "name of this node in logs and status (default: the host name)"},
    {"endpoint", S_TEXT, S_AT(endpoint), "tcp://127.0.0.1:7700", 0, 0,
     "client port, a ZeroMQ endpoint to bind (port * = ephemeral)"},
    {"status_endpoint", S_TEXT, S_AT(status_endpoint), "tcp://127.0.0.1:7701",
     0, 0,
     "status socket endpoint to bind; it has no authentication, so it must "
     "be on a loopback address (or ipc://) unless status_allow_remote is "
     "true"},
    {"status_allow_remote", S_BOOL, S_AT(status_allow_remote), "false", 0, 0,
     "let the status socket bind where other machines can reach it; anyone "
     "who reaches it can read every entity's state and retry dead letters "
     "(see docs/SECURITY.md)"},
    {"curve_secret_key", S_TEXT, S_AT(curve_secret_key), NULL, 0, 0,
     "the node's CURVE secret certificate (NAME.key_secret, from `shoal "
     "keygen`); when set, the client port encrypts and accepts only the "
     "clients whose public certificate is in curve_clients"},
    {"curve_clients", S_TEXT, S_AT(curve_clients), NULL, 0, 0,
     "folder of the public certificates (NAME.key) of the clients allowed "
     "on the client port; files added or removed there apply to the next "
     "connection; needs curve_secret_key"},
    {"data_dir", S_TEXT, S_AT(data_dir), "./var", 0, 0,
     "folder of the journal (journal.db), created when missing"},
    {"plugin", S_LIST, S_AT(plugins), NULL, 0, 0,
     "handler plugin (.so) to load; repeat for several"},
    {"shards", S_NUMBER, S_AT(shards), "64", 1, 65536,
     "number of shards; fixed for the life of the journal"},
    {"workers", S_NUMBER, S_AT(workers), NULL, 1, 256,
     "worker threads (default: the number of cores)"},
    {"readers", S_NUMBER, S_AT(readers), "2", 1, 16,
     "journal reader threads loading recovering entities"},
    {"durability", S_DURABILITY, S_AT(durability), "full", 0, 0,
     "full: fsync at each group commit; fast: no fsync (survives a "
     "process crash, not a power loss)"},
    {"snapshot_every", S_NUMBER, S_AT(snapshot_every), "100", 0, UINT32_MAX,
     "snapshot an entity every this many events; 0 = never"},
    {"passivate_idle_ms", S_NUMBER, S_AT(passivate_idle_ms), "120000", 0,
     INT32_MAX, "idle time before an entity leaves memory; 0 = never"},
    {"max_resident", S_NUMBER, S_AT(max_resident), "100000", 1, UINT32_MAX,
     "entities in memory per node; the least recently used leave first"},
    {"inbox_capacity", S_NUMBER, S_AT(inbox_capacity), "10000", 1, INT32_MAX,
     "requests queued per worker before `busy`"},
    {"stash_capacity", S_NUMBER, S_AT(stash_capacity), "1000", 1, 65535,
     "requests waiting per entity before `busy`"},
    {"max_stashed", S_NUMBER, S_AT(max_stashed), "50000", 1, INT32_MAX,
     "requests waiting behind their entities, per node (split over the "
     "workers), before `busy`"},
    {"journal_queue", S_NUMBER, S_AT(journal_queue), "10000", 1, INT32_MAX,
     "appends queued for the journal writer before `busy`"},
    {"max_batch", S_NUMBER, S_AT(max_batch), "1000", 1, 1000000,
     "most entries in one group commit"},
    {"dedup_window", S_NUMBER, S_AT(dedup_window), "128", 0, 100000,
     "command ids remembered per entity; 0 = no deduplication"},
    {"max_payload", S_NUMBER, S_AT(max_payload), "1048576", 0, 16 * 1024 * 1024,
     "largest command payload accepted, in bytes"},
    {"checkpoint_ms", S_NUMBER, S_AT(checkpoint_ms), "10000", 10, INT32_MAX,
     "how often the entity directory is checkpointed to the journal; a "
     "restart after a crash scans the entries since the last one"},
    {"cluster_endpoint", S_TEXT, S_AT(cluster_endpoint), NULL, 0, 0,
     "peer port for the other nodes of a cluster, a ZeroMQ endpoint to "
     "bind (e.g. tcp://10.0.0.5:7702); empty = a single node, no cluster"},
    {"cluster_advertise", S_TEXT, S_AT(cluster_advertise), NULL, 0, 0,
     "the peer endpoint the other nodes connect to (default: the bound "
     "cluster_endpoint)"},
    {"cluster_name", S_TEXT, S_AT(cluster_name), NULL, 0, 0,
     "the cluster's name, the same on every member, [A-Za-z0-9_.-]{1,64}: "
     "a node joins, and takes gossip from, members of its own cluster "
     "only, so that two clusters never mix (default: shoal)"},
    {"cluster_key", S_TEXT, S_AT(cluster_key), NULL, 0, 0,
     "the cluster's secret certificate (from `shoal keygen`), the same "
     "file on every member: the peer port then speaks CURVE and admits "
     "only the holders of this key"},
    {"seed", S_LIST, S_AT(seeds), NULL, 0, 0,
     "peer endpoint of a node of the cluster to join; repeat for several; "
     "none = found a new cluster"},
    {"cluster_min_members", S_NUMBER, S_AT(cluster_min_members), "1", 1, 1000,
     "members that must be up before the first shard table is made"},
    {"heartbeat_ms", S_NUMBER, S_AT(heartbeat_ms), "250", 10, 60000,
     "how often a node gossips with the others"},
    {"suspect_after_ms", S_NUMBER, S_AT(suspect_after_ms), "1500", 20, 3600000,
     "silence after which a peer is unreachable from this node"},
    {"down_after_ms", S_NUMBER, S_AT(down_after_ms), "4000", 20, 3600000,
     "silence after which the coordinator marks a peer down"},
    {"forward_timeout_ms", S_NUMBER, S_AT(forward_timeout_ms), "5000", 10,
     600000,
     "how long a forwarded command waits for its owner's reply "
     "before the client is answered unavailable"},
    {"manual_clock_ms", S_NUMBER, S_AT(manual_clock_ms), "0", 0, INT64_MAX,
     "for tests: start the node's clock at this time (ms since the Unix "
     "epoch) and move it only by the status socket's `clock set`; 0 = the "
     "system clock"},
    {"gate_timeout_ms", S_NUMBER, S_AT(gate_timeout_ms), "1000", 1, 600000,
     "how long a gatekeeper's ask waits for an answer by default"},
    {"max_gate_waiting", S_NUMBER, S_AT(max_gate_waiting), "10000", 1,
     INT32_MAX, "commands waiting on their gatekeepers' asks before `busy`"},
    {"policy_max_attempts", S_NUMBER, S_AT(policy_max_attempts), "5", 1, 1000,
     "attempts at handling an event before it is parked as a dead "
     "letter"},
    {"policy_backoff_ms", S_NUMBER, S_AT(policy_backoff_ms), "200", 1, 3600000,
     "wait before a policy's first retry; doubles at each retry, "
     "up to 100 times this"},
    {"policy_batch", S_NUMBER, S_AT(policy_batch), "64", 1, 100000,
     "most journal entries a policy handles per transaction; keep it below "
     "dedup_window, since a crash redelivers at most one batch"},
    {"log_level", S_LOG_LEVEL, S_AT(log_level), "info", 0, 0,
     "error, warn, info or debug"},
};

#define S_SETTING_COUNT (sizeof s_settings / sizeof s_settings[0])

/* Sets *error to a malloc'd message. */
static void s_error(char **error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void s_error(char **error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    free(*error);
    if (vasprintf(error, format, args) < 0)
        *error = NULL;
    va_end(args);
}

/* Finds a setting by name, dashes and underscores alike. */
static const s_setting_t *s_find(const char *name)
{
    for (size_t i = 0; i < S_SETTING_COUNT; i++) {
        const char *a = s_settings[i].name, *b = name;
        while (*a && (*a == *b || (*a == '_' && *b == '-'))) {
            a++;
            b++;
        }
        if (!*a && !*b)
            return &s_settings[i];
    }
    return NULL;
}

/* Parses a whole decimal number within [min, max]. */
static int s_parse_number(const char *text, uint64_t min, uint64_t max,
                          uint64_t *value)
{
    /* Digits only: strtoull alone would take a sign or leading spaces. */
    if (*text < '0' || *text > '9')
        return -1;
    char *end = NULL;
    errno = 0;
    unsigned long long parsed = strtoull(text, &end, 10);
    if (errno || *end || parsed < min || parsed > max)
        return -1;
    *value = parsed;
    return 0;
}

/* Appends one plugin path to the list. */
/* Appends a copy of value to the list at field (a char ** followed by
 * its size_t count). Returns 0 or -1 when out of memory. */
static int s_append(char *field, const char *value)
{
    char ***items = (char ***)field;
    size_t *count = (size_t *)(field + sizeof(char **));
    char **grown = realloc(*items, (*count + 2) * sizeof *grown);
    if (!grown)
        return -1;
    *items = grown;
    if (!(grown[*count] = strdup(value)))
        return -1;
    grown[++*count] = NULL;
    return 0;
}

int shoal_config_set(shoal_config_t *config, const char *name,
                     const char *value, char **error)
{
    const s_setting_t *setting = s_find(name);
    if (!setting) {
        s_error(error, "unknown setting '%s'", name);
        return -1;
    }
    char *field = (char *)config + setting->offset;
    switch (setting->kind) {
    case S_TEXT:
        if (!*value) {
            s_error(error, "setting %s: must not be empty", setting->name);
            return -1;
        }
        free(*(char **)field);
        *(char **)field = strdup(value);
        return 0;
    case S_NUMBER:
        if (s_parse_number(value, setting->min, setting->max,
                           (uint64_t *)field) < 0) {
            s_error(error,
                    "setting %s: '%s' is not a whole number from %llu "
                    "to %llu",
                    setting->name, value, (unsigned long long)setting->min,
                    (unsigned long long)setting->max);
            return -1;
        }
        return 0;
    case S_LIST:
        if (!*value) {
            s_error(error, "setting %s: must not be empty", setting->name);
            return -1;
        }
        return s_append(field, value);
    case S_BOOL:
        if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
            *(bool *)field = value[0] == 't';
            return 0;
        }
        s_error(error, "setting %s: '%s' is not true or false", setting->name,
                value);
        return -1;
    case S_DURABILITY:
        if (strcmp(value, "full") == 0)
            config->durability = SHOAL_DURABILITY_FULL;
        else if (strcmp(value, "fast") == 0)
            config->durability = SHOAL_DURABILITY_FAST;
        else {
            s_error(error, "setting durability: '%s' is not full or fast",
                    value);
            return -1;
        }
        return 0;
    case S_LOG_LEVEL: {
        static const char *const levels[] = {"error", "warn", "info", "debug"};
        for (int i = 0; i < 4; i++)
            if (strcmp(value, levels[i]) == 0) {
                config->log_level = (shoal_log_level_t)i;
                return 0;
            }
        s_error(error,
                "setting log_level: '%s' is not error, warn, info or debug",
                value);
        return -1;
    }
    }
    return -1;
}

void shoal_config_defaults(shoal_config_t *config)
{
    memset(config, 0, sizeof *config);
    for (size_t i = 0; i < S_SETTING_COUNT; i++) {
        if (s_settings[i].fallback) {
            char *error = NULL;
            int rc = shoal_config_set(config, s_settings[i].name,
                                      s_settings[i].fallback, &error);
            assert(rc == 0);
            (void)rc;
        }
    }
    char host[256] = "shoald";
    if (gethostname(host, sizeof host - 1) < 0 || !*host)
        strcpy(host, "shoald");
    host[sizeof host - 1] = '\0';
    config->node_name = strdup(host);
    config->cluster_endpoint = strdup("");
    config->cluster_advertise = strdup("");
    config->cluster_name = strdup("shoal");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    config->workers = cores > 0 ? (uint64_t)cores : 1;
    if (config->workers > 256)
        config->workers = 256;
}

void shoal_config_clear(shoal_config_t *config)
{
    for (size_t i = 0; i < S_SETTING_COUNT; i++)
        if (s_settings[i].kind == S_TEXT)
            free(*(char **)((char *)config + s_settings[i].offset));
    for (size_t i = 0; i < config->plugin_count; i++)
        free(config->plugins[i]);
    free(config->plugins);
    for (size_t i = 0; i < config->seed_count; i++)
        free(config->seeds[i]);
    free(config->seeds);
    memset(config, 0, sizeof *config);
}

/* Parses the ZPL file at path. Returns its root, or NULL when the file
 * cannot be read or is not valid ZPL. Not zconfig_load: that one leaks the
 * file's handle when the text is not valid ZPL (CZMQ 4.2.1). */
static zconfig_t *s_load_zpl(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    zchunk_t *chunk = zchunk_new(NULL, 0);
    char buffer[4096];
    size_t size;
    while (chunk && (size = fread(buffer, 1, sizeof buffer, file)) > 0)
        zchunk_extend(chunk, buffer, size);
    bool failed = !chunk || ferror(file);
    fclose(file);
    zconfig_t *root = failed ? NULL : zconfig_chunk_load(chunk);
    zchunk_destroy(&chunk);
    return root;
}

int shoal_config_load_file(shoal_config_t *config, const char *path,
                           char **error)
{
    if (access(path, R_OK) < 0) {
        s_error(error, "config %s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    zconfig_t *root = s_load_zpl(path);
    if (!root) {
        s_error(error, "config %s: not valid ZPL", path);
        return -1;
    }
    int rc = 0;
    zconfig_t *section = zconfig_locate(root, "shoald");
    if (!section) {
        s_error(error, "config %s: no 'shoald' section", path);
        rc = -1;
    }
    for (zconfig_t *item = section ? zconfig_child(section) : NULL;
         item && rc == 0; item = zconfig_next(item)) {
        const char *value = zconfig_value(item);
        char *reason = NULL;
        if (shoal_config_set(config, zconfig_name(item), value ? value : "",
                             &reason) < 0) {
            s_error(error, "config %s: %s", path, reason ? reason : "?");
            rc = -1;
        }
        free(reason);
    }
    zconfig_destroy(&root);
    return rc;
}

int shoal_config_check(const shoal_config_t *config, char **error)
{
    if (!shoal_member_name_is_valid(config->cluster_name)) {
        s_error(error,
                "setting cluster_name: '%s' is not a cluster name, which is "
                "1 to 64 of [A-Za-z0-9_.-]",
                config->cluster_name);
        return -1;
    }
    if (config->cluster_key && !*config->cluster_endpoint) {
        s_error(error, "setting cluster_key: needs cluster_endpoint (the "
                       "key secures the peer port of a cluster member)");
        return -1;
    }
    if (config->curve_clients && !config->curve_secret_key) {
        s_error(error, "setting curve_clients: needs curve_secret_key, the "
                       "node's own CURVE certificate");
        return -1;
    }
    if (config->curve_secret_key && !config->curve_clients) {
        s_error(error, "setting curve_secret_key: needs curve_clients, the "
                       "folder of the certificates of the clients allowed in");
        return -1;
    }
    if (!config->status_allow_remote &&
        !shoal_endpoint_is_local(config->status_endpoint)) {
        s_error(error,
                "setting status_endpoint: '%s' is not a loopback address; "
                "the status socket has no authentication: set "
                "status_allow_remote to true to bind it there anyway",
                config->status_endpoint);
        return -1;
    }
    return 0;
}

void shoal_config_print_help(FILE *out)
{
    fprintf(out,
            "usage: shoald [--config FILE] [--SETTING VALUE]...\n"
            "\n"
            "Runs one shoal node: loads the handler plugins, recovers the "
            "journal,\nserves the client port and the status socket. Prints "
            "'shoald ready\nclient=EP status=EP' on stdout once both are "
            "bound.\n"
            "\n"
            "Every setting is a flag (--max-resident 10) and a key of the "
            "config\nfile's 'shoald' section (ZPL: max_resident = 10). "
            "Flags win.\n\n"
            "  --config FILE\n      ZPL file of settings\n"
            "  --help\n      this text\n");
    for (size_t i = 0; i < S_SETTING_COUNT; i++) {
        char flag[64];
        snprintf(flag, sizeof flag, "%s", s_settings[i].name);
        for (char *c = flag; *c; c++)
            if (*c == '_')
                *c = '-';
        fprintf(out, "  --%s VALUE\n      %s", flag, s_settings[i].doc);
        if (s_settings[i].fallback)
            fprintf(out, " [%s]", s_settings[i].fallback);
        fprintf(out, "\n");
    }
    fprintf(out, "\nExit: 0 after a clean stop (SIGTERM, SIGINT), 1 when "
                 "the node cannot start\n(plugin, journal, CURVE key file, "
                 "endpoint), 2 on a bad setting.\n");
}

/* Returns the value of flag argv[*i] ("--name value" or "--name=value"),
 * advancing *i, or NULL when it has none. */
static const char *s_flag_value(int argc, char **argv, int *i,
                                const char **name, char *buffer, size_t size)
{
    const char *arg = argv[*i] + 2;
    const char *equals = strchr(arg, '=');
    if (equals) {
        snprintf(buffer, size, "%.*s", (int)(equals - arg), arg);
        *name = buffer;
        return equals + 1;
    }
    *name = arg;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

shoal_config_result_t shoal_config_parse(shoal_config_t *config, int argc,
                                         char **argv, FILE *help_out,
                                         char **error)
{
    shoal_config_defaults(config);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            shoal_config_print_help(help_out);
            return SHOAL_CONFIG_HELP;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--config", 8) == 0 &&
            (argv[i][8] == '\0' || argv[i][8] == '=')) {
            const char *name;
            char buffer[64];
            const char *path =
                s_flag_value(argc, argv, &i, &name, buffer, sizeof buffer);
            if (!path) {
                s_error(error, "--config needs a file");
                return SHOAL_CONFIG_ERROR;
            }
            if (shoal_config_load_file(config, path, error) < 0)
                return SHOAL_CONFIG_ERROR;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0) {
            s_error(error, "unexpected argument '%s'", argv[i]);
            return SHOAL_CONFIG_ERROR;
        }
        const char *name;
        char buffer[64];
        const char *value =
            s_flag_value(argc, argv, &i, &name, buffer, sizeof buffer);
        if (strcmp(name, "config") == 0)
            continue;
        if (!value) {
            s_error(error, "--%s needs a value", name);
            return SHOAL_CONFIG_ERROR;
        }
        char *reason = NULL;
        if (shoal_config_set(config, name, value, &reason) < 0) {
            s_error(error, "--%s: %s", name, reason ? reason : "?");
            free(reason);
            return SHOAL_CONFIG_ERROR;
        }
    }
    if (shoal_config_check(config, error) < 0)
        return SHOAL_CONFIG_ERROR;
    return SHOAL_CONFIG_RUN;
}
