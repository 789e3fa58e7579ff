/*
 * actors/names.c - name rules (see names.h).
 */
#include "actors/names.h"
#include "shoal/plugin.h"

#include <string.h>

int shoal_name_is_valid(const char *name, size_t size, size_t max)
{
    if (!name || size == 0 || size > max)
        return 0;
    for (size_t i = 0; i < size; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

bool shoal_entity_id_is_valid(const char *id)
{
    size_t size = id ? strlen(id) : 0;
    return size > 0 && size <= SHOAL_ENTITY_ID_MAX && !strchr(id, '/');
}
