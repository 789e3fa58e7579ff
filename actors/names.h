/*
 * actors/names.h - the rules for the names that cross the plugin ABI and
 * the wire: type, command, policy and topic names, and entity ids.
 */
#ifndef SHOAL_ACTORS_NAMES_H
#define SHOAL_ACTORS_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* True when the size bytes at name are a valid type, command, policy or
 * topic name: [A-Za-z0-9_-]{1,max}. */
int shoal_name_is_valid(const char *name, size_t size, size_t max);

/* True when id (NUL-terminated, may be NULL) is a valid entity id: 1..256
 * bytes, no '/'. */
bool shoal_entity_id_is_valid(const char *id);

#endif
