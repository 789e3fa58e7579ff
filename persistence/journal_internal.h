/*
 * persistence/journal_internal.h - what the sibling modules of the
 * persistence layer (reactions.c, slice.c) need of a journal handle: its
 * SQLite connection, so that they prepare their statements on it and
 * write in the transactions the handle's owner opens, its path, for
 * errors, and the deletion of a shard's entries. Not for use above this
 * layer.
 */
#ifndef SHOAL_PERSISTENCE_JOURNAL_INTERNAL_H
#define SHOAL_PERSISTENCE_JOURNAL_INTERNAL_H

#include "persistence/journal.h"

#include <sqlite3.h>

/* Returns the handle's connection (borrowed: it lives as long as the
 * handle, and statements prepared on it must be finalized before the
 * handle is closed). */
sqlite3 *shoal__journal_db(shoal_journal_t *self);

/* Returns the path the handle was opened with (borrowed). */
const char *shoal__journal_path(const shoal_journal_t *self);

/* Deletes, in the open transaction, the entries of shard (only those
 * imported when imported_only). Positions never go back: SQLite gives a
 * new row the largest pos + 1, and policy offsets and the directory's
 * checkpoint are positions, so when the last entry of the journal is
 * among those deleted, a hole takes its place (entity "", shard -1, no
 * events: the scan and the directory pass over it). Returns the number
 * of entries deleted, or -1 with *error set. */
int64_t shoal__journal_delete_shard(shoal_journal_t *self, uint32_t shard,
                                    bool imported_only, char **error);

#endif
