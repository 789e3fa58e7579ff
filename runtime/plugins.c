/*
 * runtime/plugins.c - the plugin loader and type registry (see plugins.h).
 */
#include "runtime/plugins.h"

#include <assert.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const shoal_type_t *type;
    const char *path; /* of the plugin that declared it */
} s_entry_t;

typedef struct {
    const shoal_policy_t *policy;
    const char *path;
} s_policy_entry_t;

struct shoal_plugins {
    void **handles;
    char **paths;
    const shoal_plugin_t **plugins; /* to call close */
    size_t plugin_count;
    s_entry_t *types;
    size_t type_count;
    s_policy_entry_t *policies;
    size_t policy_count;
};

shoal_plugins_t *shoal_plugins_new(void)
{
    return calloc(1, sizeof(shoal_plugins_t));
}

void shoal_plugins_destroy(shoal_plugins_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_plugins_t *self = *self_p;
    for (size_t i = self->plugin_count; i-- > 0;) {
        if (self->plugins[i]->close)
            self->plugins[i]->close();
        dlclose(self->handles[i]);
        free(self->paths[i]);
    }
    free(self->handles);
    free(self->paths);
    free(self->plugins);
    free(self->types);
    free(self->policies);
    free(self);
    *self_p = NULL;
}

/* Sets *error to "path: message". */
static void s_fail(char **error, const char *path, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static void s_fail(char **error, const char *path, const char *format, ...)
{
    char reason[512];
    va_list args;
    va_start(args, format);
    vsnprintf(reason, sizeof reason, format, args);
    va_end(args);
    free(*error);
    if (asprintf(error, "%s: %s", path, reason) < 0)
        *error = NULL;
}

const shoal_type_t *shoal_plugins_find(const shoal_plugins_t *self,
                                       const char *name)
{
    for (size_t i = 0; i < self->type_count; i++)
        if (strcmp(self->types[i].type->name, name) == 0)
            return self->types[i].type;
    return NULL;
}

/* Checks the gatekeepers of a type: valid, distinct command names and a
 * run function each. Returns 0 or -1 with *error set. */
static int s_check_gatekeepers(const char *path, const shoal_type_t *type,
                               char **error)
{
    if (type->gatekeeper_count && !type->gatekeepers) {
        s_fail(error, path, "type '%s': gatekeeper_count without gatekeepers",
               type->name);
        return -1;
    }
    for (size_t i = 0; i < type->gatekeeper_count; i++) {
        const shoal_gatekeeper_t *gatekeeper = &type->gatekeepers[i];
        if (!gatekeeper->command ||
            !shoal_name_is_valid(gatekeeper->command,
                                 strlen(gatekeeper->command),
                                 SHOAL_COMMAND_NAME_MAX) ||
            !gatekeeper->run) {
            s_fail(error, path,
                   "type '%s': gatekeeper %zu needs a command name "
                   "([A-Za-z0-9_-]{1,64}) and a run function",
                   type->name, i);
            return -1;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(type->gatekeepers[j].command, gatekeeper->command) ==
                0) {
                s_fail(error, path, "type '%s': two gatekeepers for %s",
                       type->name, gatekeeper->command);
                return -1;
            }
        }
    }
    return 0;
}

/* Checks one declared type. Returns 0 or -1 with *error set. */
static int s_check_type(const shoal_plugins_t *self, const char *path,
                        const shoal_type_t *type, const shoal_plugin_t *plugin,
                        size_t index, char **error)
{
    if (!type->name || !shoal_name_is_valid(type->name, strlen(type->name),
                                            SHOAL_TYPE_NAME_MAX)) {
        s_fail(error, path,
               "type %zu has a missing or malformed name "
               "(want [A-Za-z0-9_-]{1,64})",
               index);
        return -1;
    }
    const char *missing = !type->state_new        ? "state_new"
                          : !type->state_free     ? "state_free"
                          : !type->handle_command ? "handle_command"
                          : !type->apply_event    ? "apply_event"
                          : !type->query          ? "query"
                                                  : NULL;
    if (missing) {
        s_fail(error, path, "type '%s': missing required function %s",
               type->name, missing);
        return -1;
    }
    if (!type->snapshot_encode != !type->snapshot_decode) {
        s_fail(error, path,
               "type '%s': snapshot_encode and snapshot_decode must be "
               "given together",
               type->name);
        return -1;
    }
    if (s_check_gatekeepers(path, type, error) < 0)
        return -1;
    for (size_t i = 0; i < self->type_count; i++) {
        if (strcmp(self->types[i].type->name, type->name) == 0) {
            s_fail(error, path, "duplicate type '%s' (already declared by %s)",
                   type->name, self->types[i].path);
            return -1;
        }
    }
    for (size_t i = 0; i < index; i++) {
        if (strcmp(plugin->types[i].name, type->name) == 0) {
            s_fail(error, path, "duplicate type '%s' within the plugin",
                   type->name);
            return -1;
        }
    }
    return 0;
}

/* Checks one policy: a valid name unique in the node, a source type name
 * and a handle function. That the source type exists is checked once
 * every plugin is loaded (shoal_plugins_check_policies). */
static int s_check_policy(const shoal_plugins_t *self, const char *path,
                          const shoal_plugin_t *plugin, size_t index,
                          char **error)
{
    const shoal_policy_t *policy = &plugin->policies[index];
    if (!policy->name ||
        !shoal_name_is_valid(policy->name, strlen(policy->name),
                             SHOAL_POLICY_NAME_MAX) ||
        !policy->source_type || !policy->handle) {
        s_fail(error, path,
               "policy %zu needs a name ([A-Za-z0-9_-]{1,64}), a source "
               "type and a handle function",
               index);
        return -1;
    }
    for (size_t i = 0; i < self->policy_count; i++) {
        if (strcmp(self->policies[i].policy->name, policy->name) == 0) {
            s_fail(error, path,
                   "duplicate policy '%s' (already declared by %s)",
                   policy->name, self->policies[i].path);
            return -1;
        }
    }
    for (size_t i = 0; i < index; i++) {
        if (strcmp(plugin->policies[i].name, policy->name) == 0) {
            s_fail(error, path, "duplicate policy '%s' within the plugin",
                   policy->name);
            return -1;
        }
    }
    return 0;
}

/* Checks the exported descriptor. Returns 0 or -1 with *error set. */
static int s_check_plugin(const shoal_plugins_t *self, const char *path,
                          const shoal_plugin_t *plugin, char **error)
{
    if (plugin->abi_version != SHOAL_PLUGIN_ABI_VERSION) {
        s_fail(error, path,
               "plugin ABI version %u, this shoald needs ABI version %d "
               "(rebuild the plugin against this shoal)",
               plugin->abi_version, SHOAL_PLUGIN_ABI_VERSION);
        return -1;
    }
    if (plugin->type_count == 0 || !plugin->types) {
        s_fail(error, path, "plugin declares no types");
        return -1;
    }
    for (size_t i = 0; i < plugin->type_count; i++)
        if (s_check_type(self, path, &plugin->types[i], plugin, i, error) < 0)
            return -1;
    if (plugin->policy_count && !plugin->policies) {
        s_fail(error, path, "policy_count without policies");
        return -1;
    }
    for (size_t i = 0; i < plugin->policy_count; i++)
        if (s_check_policy(self, path, plugin, i, error) < 0)
            return -1;
    return 0;
}

/* Registers a checked plugin. Returns 0 or -1 when out of memory. */
static int s_register(shoal_plugins_t *self, void *handle, const char *path,
                      const shoal_plugin_t *plugin)
{
    size_t count = self->plugin_count + 1;
    void **handles = realloc(self->handles, count * sizeof *handles);
    if (handles)
        self->handles = handles;
    char **paths = realloc(self->paths, count * sizeof *paths);
    if (paths)
        self->paths = paths;
    const shoal_plugin_t **plugins =
        realloc(self->plugins, count * sizeof *plugins);
    if (plugins)
        self->plugins = plugins;
    s_entry_t *types = realloc(
        self->types, (self->type_count + plugin->type_count) * sizeof *types);
    if (types)
        self->types = types;
    /* at least one byte: realloc(p, 0) may return NULL */
    size_t policy_bytes =
        (self->policy_count + plugin->policy_count) * sizeof(s_policy_entry_t);
    s_policy_entry_t *policies =
        realloc(self->policies, policy_bytes ? policy_bytes : 1);
    if (policies)
        self->policies = policies;
    char *copy = strdup(path);
    if (!handles || !paths || !plugins || !types || !policies || !copy) {
        free(copy);
        return -1;
    }
    self->handles[self->plugin_count] = handle;
    self->paths[self->plugin_count] = copy;
    self->plugins[self->plugin_count] = plugin;
    self->plugin_count = count;
    for (size_t i = 0; i < plugin->type_count; i++)
        self->types[self->type_count++] =
            (s_entry_t){.type = &plugin->types[i], .path = copy};
    for (size_t i = 0; i < plugin->policy_count; i++)
        self->policies[self->policy_count++] =
            (s_policy_entry_t){.policy = &plugin->policies[i], .path = copy};
    return 0;
}

int shoal_plugins_load(shoal_plugins_t *self, const char *path, char **error)
{
    assert(self && path);
    if (access(path, R_OK) < 0) {
        s_fail(error, path, "cannot load plugin: %s", strerror(errno));
        return -1;
    }
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *reason = dlerror();
        s_fail(error, path, "cannot load plugin: %s",
               reason ? reason : "unknown error");
        return -1;
    }
    dlerror();
    const shoal_plugin_t *plugin = dlsym(handle, SHOAL_PLUGIN_SYMBOL);
    if (!plugin) {
        s_fail(error, path, "no symbol %s: not a shoal plugin",
               SHOAL_PLUGIN_SYMBOL);
        goto out_close;
    }
    if (s_check_plugin(self, path, plugin, error) < 0)
        goto out_close;
    if (plugin->open) {
        char reason[512] = "";
        if (plugin->open(path, reason, sizeof reason) < 0) {
            reason[sizeof reason - 1] = '\0';
            s_fail(error, path, "plugin failed to open: %s",
                   *reason ? reason : "no reason given");
            goto out_close;
        }
    }
    if (s_register(self, handle, path, plugin) < 0) {
        if (plugin->close)
            plugin->close();
        s_fail(error, path, "out of memory");
        goto out_close;
    }
    return 0;

out_close:
    dlclose(handle);
    return -1;
}

size_t shoal_plugins_type_count(const shoal_plugins_t *self)
{
    return self->type_count;
}

const shoal_type_t *shoal_plugins_type_at(const shoal_plugins_t *self,
                                          size_t index)
{
    assert(index < self->type_count);
    return self->types[index].type;
}

int shoal_plugins_check_policies(const shoal_plugins_t *self, char **error)
{
    for (size_t i = 0; i < self->policy_count; i++) {
        const shoal_policy_t *policy = self->policies[i].policy;
        if (!shoal_plugins_find(self, policy->source_type)) {
            s_fail(error, self->policies[i].path,
                   "policy '%s' handles events of type '%s', which no "
                   "loaded plugin declares",
                   policy->name, policy->source_type);
            return -1;
        }
    }
    return 0;
}

size_t shoal_plugins_policy_count(const shoal_plugins_t *self)
{
    return self->policy_count;
}

const shoal_policy_t *shoal_plugins_policy_at(const shoal_plugins_t *self,
                                              size_t index)
{
    assert(index < self->policy_count);
    return self->policies[index].policy;
}

const shoal_gatekeeper_t *shoal_plugins_gatekeeper(const shoal_type_t *type,
                                                   const char *command)
{
    for (size_t i = 0; i < type->gatekeeper_count; i++)
        if (strcmp(type->gatekeepers[i].command, command) == 0)
            return &type->gatekeepers[i];
    return NULL;
}
