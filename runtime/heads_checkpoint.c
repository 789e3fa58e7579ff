/*
 * runtime/heads_checkpoint.c - sliced checkpoints of the entity directory
 * (see heads_checkpoint.h).
 *
 * Starting a checkpoint swaps the map of dirty heads for an empty one, so
 * it costs nothing however many heads changed; the slices then walk the
 * swapped map with a cursor.
 */
#include "runtime/heads_checkpoint.h"
#include "actors/keymap.h"

#include <stdlib.h>

struct shoal_heads_checkpoint {
    shoal_keymap_t *dirty;   /* heads noted since the last start */
    bool dirty_lost;         /* a head could not be noted: out of memory */
    shoal_keymap_t *pending; /* the checkpoint in progress, or NULL */
    size_t saved;            /* cursor: slots before it are committed */
    size_t written;          /* cursor after the open transaction's heads */
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
    free(self);
    *self_p = NULL;
}

void shoal_heads_checkpoint_note(shoal_heads_checkpoint_t *self,
                                 const char *entity, int64_t pos)
{
    if (shoal_keymap_put(self->dirty, entity, (uint64_t)pos) < 0)
        self->dirty_lost = true;
}

bool shoal_heads_checkpoint_start(shoal_heads_checkpoint_t *self,
                                  int64_t last_pos,
                                  const shoal_journal_totals_t *totals)
{
    if (self->pending || shoal_keymap_size(self->dirty) == 0)
        return false;
    shoal_keymap_t *fresh = shoal_keymap_new(true);
    if (!fresh)
        return false;
    self->pending = self->dirty;
    self->dirty = fresh;
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
    size_t cursor = self->saved;
    const char *key;
    uint64_t pos;
    for (size_t count = 0; count < max; count++) {
        if (!shoal_keymap_next(self->pending, &cursor, &key, &pos))
            break;
        if (shoal_journal_save_head(journal, key, (int64_t)pos, error) < 0)
            return -1;
    }
    self->written = cursor;
    size_t probe = cursor;
    bool done = !shoal_keymap_next(self->pending, &probe, &key, &pos);
    /* The position moves only when no head was lost: otherwise the next
     * start scans the journal from the older checkpoint, and finds it. */
    if (done && !self->dirty_lost &&
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
    size_t probe = self->saved;
    const char *key;
    uint64_t pos;
    if (shoal_keymap_next(self->pending, &probe, &key, &pos))
        return false;
    shoal_keymap_destroy(&self->pending);
    return true;
}

void shoal_heads_checkpoint_rolled_back(shoal_heads_checkpoint_t *self)
{
    self->written = self->saved;
}
