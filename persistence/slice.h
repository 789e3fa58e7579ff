/*
 * persistence/slice.h - the persistence half of a shard handoff: moving
 * one shard's slice of a journal to another node's journal, as a stream
 * of bounded chunks of bytes that a transport carries as they are.
 *
 * The old owner exports the shard (its journal entries, the snapshots of
 * its entities, its topic events, the timers aimed at its entities, and
 * its dead letters) from one read transaction; the new owner imports the
 * chunks in order, giving the entries positions of its own journal
 * (chains, snapshots and dead letters follow them) and marking them
 * imported, so that its policies skip them; once the new owner has
 * finished, the old one drops the shard. Policy offsets stay behind: they
 * are positions in the old journal, and the old owner finishes its
 * policies for the shard before exporting it.
 *
 * The chunk format is in slice_format.h: a versioned, checksummed header
 * and length-prefixed records, checked field by field on import.
 *
 * Each function works on a journal handle the caller owns and uses from
 * one thread; while an export or import is open, its handle is used by
 * it alone (a handle of its own, beside the writer's and the reactor's,
 * serves best: SQLite serializes the writers). Destroy the export or
 * import before closing the journal.
 */
#ifndef SHOAL_PERSISTENCE_SLICE_H
#define SHOAL_PERSISTENCE_SLICE_H

#include "persistence/journal.h"

#include <stddef.h>
#include <stdint.h>

/* The size an export aims its chunks at. A chunk is larger only when it
 * holds one record that is larger on its own (an entry's events are at
 * most 16 MiB; a snapshot is as large as the plugin's state). */
#define SHOAL_SLICE_CHUNK_BYTES (1024 * 1024)

typedef struct shoal_slice_export shoal_slice_export_t;
typedef struct shoal_slice_import shoal_slice_import_t;

/* --- Export (the old owner) ------------------------------------------- */

/* Starts exporting shard (< shards, the journal's number of shards) of
 * journal: opens the read transaction every chunk is read from, so that
 * the export is one consistent snapshot of the journal whatever is
 * written meanwhile. A read-only handle will do. Returns the export, or
 * NULL with *error set (malloc'd, the caller frees). */
shoal_slice_export_t *shoal_slice_export_begin(shoal_journal_t *journal,
                                               uint32_t shard, uint32_t shards,
                                               char **error);

/* Sets the size the export aims its chunks at (SHOAL_SLICE_CHUNK_BYTES
 * unless set; at least 1: then each chunk holds one record). */
void shoal_slice_export_set_chunk_bytes(shoal_slice_export_t *self,
                                        size_t bytes);

/* Makes the next chunk: in this order, the shard's journal entries in
 * ascending pos, the snapshots of its entities, its topic events (by
 * topic and seq), the timers aimed at its entities (by id), its dead
 * letters (by id), and last a record of how many of each were sent.
 * Returns 1 with *chunk (malloc'd, the caller frees) and *size set, 0
 * when every chunk was made (the read transaction is then over), or -1
 * with *error set (and again -1 after that). */
int shoal_slice_export_next(shoal_slice_export_t *self, void **chunk,
                            size_t *size, char **error);

/* Ends the export (and its read transaction) and sets *self_p to NULL.
 * NULL-safe. */
void shoal_slice_export_destroy(shoal_slice_export_t **self_p);

/* --- Import (the new owner) ------------------------------------------- */

/* Starts importing shard into journal (a writable handle).
 *
 * Crashes: every chunk is applied in a transaction of its own, and the
 * journal keeps a mark (meta "slice_import.SHARD") from here until
 * shoal_slice_import_finish commits. Begun again after a crash or an
 * abandoned import (the mark is there), this first deletes what that
 * import applied (its entries, the snapshots and heads of their
 * entities, the shard's topic events), so the import restarts from
 * scratch with nothing twice. The timers and dead letters of the stream
 * are only written by the finish, so an unfinished import leaves none.
 *
 * Refuses (NULL, *error set) a journal that already holds entries or
 * topic events of shard outside an unfinished import: that shard is this
 * node's own, or was imported before; shoal_slice_drop it first. */
shoal_slice_import_t *shoal_slice_import_begin(shoal_journal_t *journal,
                                               uint32_t shard, char **error);

/* Applies one chunk, in one transaction: all of it or, on error, none of
 * it. Chunks come in the order the export made them. A chunk applied
 * before (the same index and checksum: the transport delivered it twice)
 * changes nothing and returns 0. Returns 0, or -1 with *error set saying
 * what is wrong with the chunk (damaged, truncated, of another shard or
 * number of shards, out of order, a chain link or snapshot that points
 * at an entry not sent, counts that do not match) or with the journal.
 * After an error the import goes on from the same place: send the chunk
 * again, or give up (destroy, and begin again later). */
int shoal_slice_import_chunk(shoal_slice_import_t *self, const void *chunk,
                             size_t size, char **error);

/* Returns the index of the chunk the import expects next (the number of
 * chunks applied), for a transport's acknowledgements. */
uint32_t shoal_slice_import_next_index(const shoal_slice_import_t *self);

/* Completes the import once the chunk with the end record was applied:
 * in one transaction, writes the stream's timers (keeping their ids; a
 * timer whose id the journal holds is kept as it is) and dead letters
 * (new ids, their pos in this journal), and removes the import's mark.
 * Every imported entity then has its head in the heads table, so the
 * directory finds it after a restart (shoal_journal_load_heads) and
 * shoal_slice_heads lists it for a running node. Returns 0, or -1 with
 * *error set (the end was not received, or the journal failed; the
 * import may then finish again). */
int shoal_slice_import_finish(shoal_slice_import_t *self, char **error);

/* Frees the import and sets *self_p to NULL. Without a finish, what was
 * applied stays, marked, until the next begin (or a drop) of the shard
 * deletes it. NULL-safe. */
void shoal_slice_import_destroy(shoal_slice_import_t **self_p);

/* --- After a handoff -------------------------------------------------- */

/* Deletes, in one transaction, everything journal holds of shard (<
 * shards): its entries, the snapshots and heads of its entities, its
 * topic events, the timers aimed at its entities, its dead letters, and
 * the mark of an unfinished import. The old owner runs it once the new
 * owner has finished the import (and no longer serves the shard or
 * checkpoints its heads); a new owner runs it to discard an unfinished
 * import. When the journal's last entry is of the shard, an empty entry
 * (a hole) keeps its position, so that later appends come after it.
 * Returns 0, or -1 with *error set (nothing is deleted). */
int shoal_slice_drop(shoal_journal_t *journal, uint32_t shard, uint32_t shards,
                     char **error);

/* Sets *entries to the number of journal entries of shard and *bytes to
 * the size of their events and replies, for progress reports. Reads the
 * whole journal (there is no index on shard: see docs/ARCHITECTURE.md).
 * Returns 0, or -1 with *error set. */
int shoal_slice_stats(shoal_journal_t *journal, uint32_t shard,
                      uint64_t *entries, uint64_t *bytes, char **error);

/* Calls visit(entity, pos, arg) for the saved head of every entity of
 * shard (< shards), in entity order: after an import, the directory a
 * node that starts serving the shard loads into its workers. Returns 0,
 * or -1 with *error set. */
int shoal_slice_heads(shoal_journal_t *journal, uint32_t shard, uint32_t shards,
                      void (*visit)(const char *entity, int64_t pos, void *arg),
                      void *arg, char **error);

#endif
