/*
 * runtime/heads_checkpoint.c - sliced checkpoints of the entity directory
 * (see heads_checkpoint.h).
 *
 * Starting a checkpoint swaps the map of dirty heads for an empty one and
 * sorts its entries by key; the slices then save them in that order. In
 * key order each slice touches a few neighbouring pages of the heads
 * table's B-tree, and each page is written about once per checkpoint;
 * in hash order every slice would rewrite pages all over the table.
 */
#include "runtime/heads_checkpoint.h"
#include "actors/keymap.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *key;
    int64_t pos;
} s_head_t;

struct shoal_heads_checkpoint {
    shoal_keymap_t *dirty;   /* heads noted since the last start */
    bool dirty_lost;         /* a head could not be noted: out of memory */
    shoal_keymap_t *pending; /* the checkpoint in progress, or NULL */
    s_head_t *order;         /* its entries in key order (keys borrowed) */
    size_t count;
    size_t saved;   /* order[0..saved) are committed */
    size_t written; /* order[saved..written) are in the open transaction */
    int64_t pos;
    shoal_journal_totals_t totals;
};

shoal_heads_checkpoint_t *shoal_heads_checkpoint_new(void)
{
    shoal_heads_checkpoint_t *self = calloc(1, sizeof *self);
    if (!self || !(self->dirty = shoal_keymap_new(true))) {
        free(self);
        return NULL;
    }
    return self;
}

void shoal_heads_checkpoint_destroy(shoal_heads_checkpoint_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_heads_checkpoint_t *self = *self_p;
    shoal_keymap_destroy(&self->pending);
    shoal_keymap_destroy(&self->dirty);
    free(self->order);
    free(self);
    *self_p = NULL;
}

void shoal_heads_checkpoint_note(shoal_heads_checkpoint_t *self,
                                 const char *entity, int64_t pos)
{
    if (shoal_keymap_put(self->dirty, entity, (uint64_t)pos) < 0)
        self->dirty_lost = true;
}

/* Orders heads by key. */
static int s_compare(const void *a, const void *b)
{
    return strcmp(((const s_head_t *)a)->key, ((const s_head_t *)b)->key);
}

bool shoal_heads_checkpoint_start(shoal_heads_checkpoint_t *self,
                                  int64_t last_pos,
                                  const shoal_journal_totals_t *totals)
{
    size_t count = shoal_keymap_size(self->dirty);
    if (self->pending || count == 0)
        return false;
    shoal_keymap_t *fresh = shoal_keymap_new(true);
    s_head_t *order = malloc(count * sizeof *order);
    if (!fresh || !order) {
        shoal_keymap_destroy(&fresh);
        free(order);
        return false;
    }
    size_t cursor = 0, filled = 0;
    const char *key;
    uint64_t pos;
    while (shoal_keymap_next(self->dirty, &cursor, &key, &pos))
        order[filled++] = (s_head_t){key, (int64_t)pos};
    qsort(order, filled, sizeof *order, s_compare);
    self->pending = self->dirty;
    self->dirty = fresh;
    self->order = order;
    self->count = filled;
    self->saved = self->written = 0;
    self->pos = last_pos;
    self->totals = *totals;
    return true;
}

bool shoal_heads_checkpoint_busy(const shoal_heads_checkpoint_t *self)
{
    return self->pending != NULL;
}

int shoal_heads_checkpoint_write(shoal_heads_checkpoint_t *self,
                                 shoal_journal_t *journal, size_t max,
                                 char **error)
{
    if (!self->pending)
        return 0;
    size_t end =
        self->count - self->saved > max ? self->saved + max : self->count;
    for (size_t i = self->saved; i < end; i++)
        if (shoal_journal_save_head(journal, self->order[i].key,
                                    self->order[i].pos, error) < 0)
            return -1;
    self->written = end;
    /* The position moves only when no head was lost: otherwise the next
     * start scans the journal from the older checkpoint, and finds it. */
    if (end == self->count && !self->dirty_lost &&
        shoal_journal_save_checkpoint(journal, self->pos, &self->totals,
                                      error) < 0)
        return -1;
    return 0;
}

bool shoal_heads_checkpoint_committed(shoal_heads_checkpoint_t *self)
{
    if (!self->pending)
        return false;
    self->saved = self->written;
    if (self->saved < self->count)
        return false;
    free(self->order);
    self->order = NULL;
    shoal_keymap_destroy(&self->pending);
    return true;
}

void shoal_heads_checkpoint_rolled_back(shoal_heads_checkpoint_t *self)
{
    self->written = self->saved;
}
