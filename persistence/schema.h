/*
 * persistence/schema.h - the journal's schema, its version, and the
 * forward migrations between versions.
 */
#ifndef SHOAL_PERSISTENCE_SCHEMA_H
#define SHOAL_PERSISTENCE_SCHEMA_H

#include <sqlite3.h>
#include <stdbool.h>

/* Brings the database at db (opened from path, named in errors) to the
 * current schema version, creating it when empty. A read-only caller only
 * checks that the version is the current one. Returns 0, or -1 with *error
 * set (malloc'd) when the file is not a shoal journal, was written by a
 * newer version, or a migration failed (it is then rolled back). */
int shoal__schema_prepare(sqlite3 *db, const char *path, bool read_only,
                          char **error);

/* Sets *error to a malloc'd message from a printf format. */
void shoal__error_set(char **error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#endif
