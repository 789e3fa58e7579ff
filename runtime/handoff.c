/*
 * runtime/handoff.c - handoff messages between a node's threads (see
 * handoff.h).
 */
#include "runtime/handoff.h"

#include <stdlib.h>
#include <string.h>

shoal_handoff_msg_t *shoal_handoff_msg_new(shoal_handoff_kind_t kind,
                                           uint32_t shard)
{
    shoal_handoff_msg_t *self = calloc(1, sizeof *self);
    if (self) {
        self->kind = kind;
        self->shard = shard;
    }
    return self;
}

int shoal_handoff_msg_add_head(shoal_handoff_msg_t *self, const char *key,
                               int64_t pos)
{
    if (self->head_count % 256 == 0) {
        size_t capacity = self->head_count + 256;
        char **keys = realloc(self->keys, capacity * sizeof *keys);
        if (keys)
            self->keys = keys;
        int64_t *positions =
            realloc(self->positions, capacity * sizeof *positions);
        if (positions)
            self->positions = positions;
        if (!keys || !positions)
            return -1;
    }
    char *copy = strdup(key);
    if (!copy)
        return -1;
    self->keys[self->head_count] = copy;
    self->positions[self->head_count++] = pos;
    return 0;
}

void shoal_handoff_msg_destroy(shoal_handoff_msg_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_handoff_msg_t *self = *self_p;
    for (size_t i = 0; i < self->head_count; i++)
        free(self->keys[i]);
    free(self->keys);
    free(self->positions);
    free(self);
    *self_p = NULL;
}
