/*
 * persistence/positions.h - shoal_positions, a table-valued function over
 * a C array of journal positions, so that one statement reads the rows at
 * many positions: `SELECT ... FROM shoal_positions(?1, ?2) AS p CROSS JOIN
 * journal AS j ON j.pos = p.value`, with ?1 bound by
 * shoal__positions_bind. Stepping it seeks each row in turn without the
 * reset a one-row statement costs per row. Internal to the persistence
 * layer.
 */
#ifndef SHOAL_PERSISTENCE_POSITIONS_H
#define SHOAL_PERSISTENCE_POSITIONS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* Registers shoal_positions on the connection. Returns SQLITE_OK or an
 * SQLite error code. */
int shoal__positions_register(sqlite3 *db);

/* Binds count positions (borrowed: they must stay valid and unchanged
 * until the statement is reset) to parameters index (the array) and
 * index + 1 (the count) of a statement that calls shoal_positions. The
 * rows come in the array's order. Returns SQLITE_OK or an error code. */
int shoal__positions_bind(sqlite3_stmt *stmt, int index,
                          const int64_t *positions, size_t count);

#endif
