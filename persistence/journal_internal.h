/*
 * persistence/journal_internal.h - what the sibling modules of the
 * persistence layer (reactions.c) need of a journal handle: its SQLite
 * connection, so that they prepare their statements on it and write in
 * the transactions the handle's owner opens, and its path, for errors.
 * Not for use above this layer.
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

#endif
