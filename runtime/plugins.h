/*
 * runtime/plugins.h - loading handler plugins and the registry of the
 * aggregate types they declare.
 *
 * A plugin is checked whole before any of its types is registered: a bad
 * plugin changes nothing.
 */
#ifndef SHOAL_RUNTIME_PLUGINS_H
#define SHOAL_RUNTIME_PLUGINS_H

#include "actors/names.h"
#include "shoal/plugin.h"

#include <stddef.h>

typedef struct shoal_plugins shoal_plugins_t;

/* Creates an empty registry. Returns NULL when out of memory. */
shoal_plugins_t *shoal_plugins_new(void);

/* Unloads every plugin and sets *self_p to NULL. NULL-safe. */
void shoal_plugins_destroy(shoal_plugins_t **self_p);

/* Loads the plugin at path and registers its types. Returns 0, or -1 with
 * *error set (malloc'd) to "PATH: reason" when the file cannot be loaded,
 * has no shoal_plugin symbol, was built for another ABI version, declares
 * no type, a malformed or duplicate type, gatekeeper or policy, a type
 * missing a required function, or when its open function fails. */
int shoal_plugins_load(shoal_plugins_t *self, const char *path, char **error);

/* Returns the type named name, or NULL. The type lives as long as the
 * registry. */
const shoal_type_t *shoal_plugins_find(const shoal_plugins_t *self,
                                       const char *name);

/* Number of registered types. */
size_t shoal_plugins_type_count(const shoal_plugins_t *self);

/* The index-th type, in load order. */
const shoal_type_t *shoal_plugins_type_at(const shoal_plugins_t *self,
                                          size_t index);

/* Checks, once every plugin is loaded, that each policy's source type is
 * declared. Returns 0, or -1 with *error set naming the plugin and the
 * policy. */
int shoal_plugins_check_policies(const shoal_plugins_t *self, char **error);

/* Number of registered policies (event handlers). */
size_t shoal_plugins_policy_count(const shoal_plugins_t *self);

/* The index-th policy, in load order; lives as long as the registry. */
const shoal_policy_t *shoal_plugins_policy_at(const shoal_plugins_t *self,
                                              size_t index);

/* The gatekeeper type declares for command, or NULL. */
const shoal_gatekeeper_t *shoal_plugins_gatekeeper(const shoal_type_t *type,
                                                   const char *command);

#endif
