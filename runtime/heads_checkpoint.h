/*
 * runtime/heads_checkpoint.h - the journal writer's checkpoints of the
 * entity directory: which entity heads changed since the last one, and
 * saving them a slice at a time inside the writer's group commits, so that
 * a checkpoint of many heads never stalls the commands waiting behind it.
 *
 * A checkpoint covers every head up to the journal position at which it
 * started; its position and totals are saved with its last slice, so that
 * the next start scans only the entries after it.
 */
#ifndef SHOAL_RUNTIME_HEADS_CHECKPOINT_H
#define SHOAL_RUNTIME_HEADS_CHECKPOINT_H

#include "persistence/journal.h"

#include <stdbool.h>

typedef struct shoal_heads_checkpoint shoal_heads_checkpoint_t;

/* Creates the tracker. Returns NULL when out of memory. */
shoal_heads_checkpoint_t *shoal_heads_checkpoint_new(void);

/* Frees the tracker and sets *self_p to NULL. NULL-safe. */
void shoal_heads_checkpoint_destroy(shoal_heads_checkpoint_t **self_p);

/* Notes that entity's head moved to pos (a committed entry). */
void shoal_heads_checkpoint_note(shoal_heads_checkpoint_t *self,
                                 const char *entity, int64_t pos);

/* Starts a checkpoint of every head noted so far, as of last_pos and
 * totals, unless one is still being saved or nothing changed. Returns
 * true when one started. */
bool shoal_heads_checkpoint_start(shoal_heads_checkpoint_t *self,
                                  int64_t last_pos,
                                  const shoal_journal_totals_t *totals);

/* True while a started checkpoint has heads left to save. */
bool shoal_heads_checkpoint_busy(const shoal_heads_checkpoint_t *self);

/* Saves up to max heads of the checkpoint in progress in the journal's
 * open transaction, and its position and totals with the
 * last of them. Returns 0, or -1 with *error set (the caller rolls back
 * and calls shoal_heads_checkpoint_rolled_back). */
int shoal_heads_checkpoint_write(shoal_heads_checkpoint_t *self,
                                 shoal_journal_t *journal, size_t max,
                                 char **error);

/* The transaction of the last write committed: its heads are saved.
 * Returns true when that completed the checkpoint. */
bool shoal_heads_checkpoint_committed(shoal_heads_checkpoint_t *self);

/* The transaction of the last write rolled back: the same heads are
 * written again next time. */
void shoal_heads_checkpoint_rolled_back(shoal_heads_checkpoint_t *self);

#endif
