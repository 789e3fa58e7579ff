/*
 * cluster/shard_table.c - the versioned shard table (see shard_table.h).
 *
 * The owner names live in a small array; each shard holds an index into
 * it, S_NONE for no owner. Names no shard points to any more stay until
 * the table is copied (copies keep only the names in use).
 */
#include "cluster/shard_table.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define S_NONE UINT32_MAX

typedef char s_name_t[SHOAL_MEMBER_NAME_MAX + 1];

struct shoal_shard_table {
    uint32_t shards;
    uint64_t epoch;
    s_name_t author;
    uint32_t *owners; /* [shards]: index into names, or S_NONE */
    s_name_t *names;
    uint32_t name_count;
    uint32_t name_capacity;
};

shoal_shard_table_t *shoal_shard_table_new(uint32_t shards)
{
    assert(shards >= 1 && shards <= SHOAL_SHARD_TABLE_MAX_SHARDS);
    shoal_shard_table_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->owners = malloc(shards * sizeof *self->owners);
    if (!self->owners) {
        free(self);
        return NULL;
    }
    for (uint32_t shard = 0; shard < shards; shard++)
        self->owners[shard] = S_NONE;
    self->shards = shards;
    return self;
}

void shoal_shard_table_destroy(shoal_shard_table_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_shard_table_t *self = *self_p;
    free(self->owners);
    free(self->names);
    free(self);
    *self_p = NULL;
}

shoal_shard_table_t *shoal_shard_table_dup(const shoal_shard_table_t *self)
{
    shoal_shard_table_t *copy = shoal_shard_table_new(self->shards);
    if (!copy)
        return NULL;
    shoal_shard_table_set_epoch(copy, self->epoch, self->author);
    for (uint32_t shard = 0; shard < self->shards; shard++)
        if (shoal_shard_table_set_owner(copy, shard,
                                        shoal_shard_table_owner(self, shard))) {
            shoal_shard_table_destroy(&copy);
            return NULL;
        }
    return copy;
}

uint32_t shoal_shard_table_shards(const shoal_shard_table_t *self)
{
    return self->shards;
}

uint64_t shoal_shard_table_epoch(const shoal_shard_table_t *self)
{
    return self->epoch;
}

const char *shoal_shard_table_author(const shoal_shard_table_t *self)
{
    return self->author;
}

void shoal_shard_table_set_epoch(shoal_shard_table_t *self, uint64_t epoch,
                                 const char *author)
{
    assert(strlen(author) <= SHOAL_MEMBER_NAME_MAX);
    self->epoch = epoch;
    strcpy(self->author, author);
}

const char *shoal_shard_table_owner(const shoal_shard_table_t *self,
                                    uint32_t shard)
{
    assert(shard < self->shards);
    uint32_t index = self->owners[shard];
    return index == S_NONE ? NULL : self->names[index];
}

/* Finds name among the owner names, adding it when absent. Returns its
 * index, or S_NONE when out of memory. */
static uint32_t s_name_index(shoal_shard_table_t *self, const char *name)
{
    for (uint32_t i = 0; i < self->name_count; i++)
        if (strcmp(self->names[i], name) == 0)
            return i;
    if (self->name_count == self->name_capacity) {
        uint32_t capacity = self->name_capacity ? 2 * self->name_capacity : 8;
        s_name_t *names = realloc(self->names, capacity * sizeof *names);
        if (!names)
            return S_NONE;
        self->names = names;
        self->name_capacity = capacity;
    }
    strcpy(self->names[self->name_count], name);
    return self->name_count++;
}

int shoal_shard_table_set_owner(shoal_shard_table_t *self, uint32_t shard,
                                const char *name)
{
    assert(shard < self->shards);
    if (!name) {
        self->owners[shard] = S_NONE;
        return 0;
    }
    assert(shoal_member_name_is_valid(name));
    uint32_t index = s_name_index(self, name);
    if (index == S_NONE)
        return -1;
    self->owners[shard] = index;
    return 0;
}

uint32_t shoal_shard_table_owned_by(const shoal_shard_table_t *self,
                                    const char *name)
{
    uint32_t count = 0;
    for (uint32_t shard = 0; shard < self->shards; shard++) {
        const char *owner = shoal_shard_table_owner(self, shard);
        if (owner && strcmp(owner, name) == 0)
            count++;
    }
    return count;
}

/* Returns whether two owners (NULL: none) are the same. */
static bool s_same_owner(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

uint32_t shoal_shard_table_moves(const shoal_shard_table_t *from,
                                 const shoal_shard_table_t *to)
{
    assert(from->shards == to->shards);
    uint32_t moves = 0;
    for (uint32_t shard = 0; shard < from->shards; shard++) {
        const char *old_owner = shoal_shard_table_owner(from, shard);
        if (old_owner &&
            !s_same_owner(old_owner, shoal_shard_table_owner(to, shard)))
            moves++;
    }
    return moves;
}

bool shoal_shard_table_same_owners(const shoal_shard_table_t *a,
                                   const shoal_shard_table_t *b)
{
    if (a->shards != b->shards)
        return false;
    for (uint32_t shard = 0; shard < a->shards; shard++)
        if (!s_same_owner(shoal_shard_table_owner(a, shard),
                          shoal_shard_table_owner(b, shard)))
            return false;
    return true;
}

int shoal_shard_table_compare(const shoal_shard_table_t *a,
                              const shoal_shard_table_t *b)
{
    if (a->epoch != b->epoch)
        return a->epoch > b->epoch ? 1 : -1;
    int order = strcmp(a->author, b->author);
    return (order < 0) - (order > 0);
}
