/*
 * persistence/journal.h - the SQLite event journal: append-only entries,
 * snapshots, and the entity directory (heads) that lets recovery find an
 * entity's entries without a per-event index.
 *
 * One journal entry is the durable outcome of one command: its events
 * (packed, see actors/effect.h), its reply or rejection reason, and its
 * command id. Entries are appended to a rowid table in global order (pos);
 * each entry links to the previous entry of its entity (prev_pos), so the
 * entries of one entity form a chain walked backwards from its head. See
 * docs/ARCHITECTURE.md for why.
 *
 * A journal handle is one SQLite connection and is used by one thread. The
 * node opens a writer handle for the journal writer thread, another for
 * the thread that runs policies and timers (persistence/reactions.h works
 * on it and in its transactions; SQLite serializes the two writers), and
 * read-only handles for recovery. This is the only layer that includes
 * sqlite3.h.
 */
#ifndef SHOAL_PERSISTENCE_JOURNAL_H
#define SHOAL_PERSISTENCE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The schema version this code writes; older journals migrate forward. */
#define SHOAL_JOURNAL_SCHEMA_VERSION 3

typedef struct shoal_journal shoal_journal_t;

typedef enum {
    SHOAL_DURABILITY_FULL = 0, /* fsync at every commit (group commit) */
    SHOAL_DURABILITY_FAST = 1, /* no fsync: survives a process crash only */
} shoal_durability_t;

typedef enum {
    SHOAL_OUTCOME_ACCEPTED = 0,
    SHOAL_OUTCOME_REJECTED = 1,
} shoal_outcome_t;

/* One entry. To append, the caller fills every field but pos and
 * imported, with borrowed pointers; shoal_journal_append sets pos. Read
 * back with shoal_journal_read_entry, the pointers are owned by the entry
 * and freed by shoal_journal_entry_clear. */
typedef struct {
    int64_t pos;        /* global append order, from 1 */
    uint32_t shard;     /* the entity's shard */
    const char *entity; /* "type/id" */
    int64_t prev_pos;   /* the entity's previous entry, 0 for its first */
    uint64_t first_seq; /* sequence number of the first event */
    uint32_t event_count;
    shoal_outcome_t outcome;
    int64_t written_ms;
    const char *command_id; /* NULL when the command had none */
    const void *reply;      /* reply, or rejection reason */
    size_t reply_size;
    const void *events; /* packed events */
    size_t events_size;
    /* True for an entry that arrived by a shard handoff
     * (persistence/slice.h): history whose policies ran on the node that
     * wrote it. Set by shoal_journal_read_entry; shoal_journal_append
     * ignores it (what a node appends is its own). */
    bool imported;
} shoal_journal_entry_t;

/* The latest snapshot of one entity. */
typedef struct {
    uint64_t seq; /* sequence number of the last event folded in */
    int64_t pos;  /* pos of the last entry folded in */
    void *state;  /* the plugin's encoding */
    size_t state_size;
    void *dedup; /* the runtime's encoding of its dedup window */
    size_t dedup_size;
} shoal_snapshot_t;

/* Totals of the journal, kept up to date by the writer handle. */
typedef struct {
    uint64_t entries;
    uint64_t events;
    uint64_t bytes;
} shoal_journal_totals_t;

/* Opens (creating when writable and absent) the journal at path and
 * migrates its schema forward. A read-only handle never creates nor
 * migrates. Returns NULL and sets *error (malloc'd, the caller frees) when
 * the file cannot be opened, is not a shoal journal, or was written by a
 * newer schema version. */
shoal_journal_t *shoal_journal_open(const char *path,
                                    shoal_durability_t durability,
                                    bool read_only, char **error);

/* Closes the handle, rolling back an open transaction, and sets *self_p to
 * NULL. NULL-safe. */
void shoal_journal_close(shoal_journal_t **self_p);

/* Starts a read transaction: the reads until shoal_journal_end_read see
 * one snapshot of the journal and share one lock acquisition (recovery
 * reads in batches). Returns 0, or -1 with *error set. */
int shoal_journal_begin_read(shoal_journal_t *self, char **error);

/* Ends the read transaction, if any. */
void shoal_journal_end_read(shoal_journal_t *self);

/* Starts a write transaction. Returns 0, or -1 with *error set. */
int shoal_journal_begin(shoal_journal_t *self, char **error);

/* Appends one entry in the open transaction and sets entry->pos. Returns 0,
 * or -1 with *error set (the transaction must then be rolled back). */
int shoal_journal_append(shoal_journal_t *self, shoal_journal_entry_t *entry,
                         char **error);

/* Replaces the snapshot of entity in the open transaction. Returns 0 or -1
 * with *error set. */
int shoal_journal_save_snapshot(shoal_journal_t *self, const char *entity,
                                const shoal_snapshot_t *snapshot, char **error);

/* Records in the open transaction that the head of entity is pos. */
int shoal_journal_save_head(shoal_journal_t *self, const char *entity,
                            int64_t pos, char **error);

/* Records in the open transaction that every head up to pos is saved, with
 * the totals at that point, so that shoal_journal_load_heads scans only
 * what comes after. */
int shoal_journal_save_checkpoint(shoal_journal_t *self, int64_t pos,
                                  const shoal_journal_totals_t *totals,
                                  char **error);

/* Ties the journal to a setting that must never change for it (the
 * number of shards): records value under name the first time, and later
 * checks it. Runs its own transaction (none may be open). Returns 0, or
 * -1 with *error set naming the journal, the setting and both values when
 * they differ (or when the journal cannot be read or written). */
int shoal_journal_bind_setting(shoal_journal_t *self, const char *name,
                               int64_t value, char **error);

/* Commits the open transaction; with SHOAL_DURABILITY_FULL the commit is
 * on disk when this returns 0. Returns -1 with *error set on failure (the
 * transaction is then rolled back). */
int shoal_journal_commit(shoal_journal_t *self, char **error);

/* Rolls back the open transaction, if any. */
void shoal_journal_rollback(shoal_journal_t *self);

/* Calls visit(entity, pos, arg) for the head of every entity: first from
 * the saved heads, then from the entries appended after the last
 * checkpoint (a later call for the same entity supersedes an earlier;
 * the holes a shard's deletion may leave, with no entity, are passed).
 * Fills *totals and *last_pos (0 for an empty journal). Returns 0, or -1
 * with *error set. */
int shoal_journal_load_heads(shoal_journal_t *self,
                             void (*visit)(const char *entity, int64_t pos,
                                           void *arg),
                             void *arg, shoal_journal_totals_t *totals,
                             int64_t *last_pos, char **error);

/* Reads the entry at pos into *entry (owned copies). Returns 1 when found,
 * 0 when there is no entry at pos, -1 with *error set on failure. */
int shoal_journal_read_entry(shoal_journal_t *self, int64_t pos,
                             shoal_journal_entry_t *entry, char **error);

/* Reads the entries at count positions (borrowed; read in the order
 * given, so that a caller that sorts them has SQLite walk the table's
 * pages in order) with one statement, which seeks each row in turn
 * without a reset per row. visit(entry, arg) gets each entry found, its fields
 * borrowed for the call only (shoal_journal_entry_copy keeps them); a
 * position with no entry (or, defensively, an entry with no entity) is
 * not visited. Run it in a read transaction (shoal_journal_begin_read)
 * for one snapshot of the journal. Returns the number of entries
 * visited, or -1 with *error set (entries may have been visited before
 * the failure). */
int shoal_journal_read_entries(shoal_journal_t *self, const int64_t *positions,
                               size_t count,
                               void (*visit)(const shoal_journal_entry_t *entry,
                                             void *arg),
                               void *arg, char **error);

/* Visits, in ascending pos, up to limit entries with pos > after_pos that
 * have events (event_count > 0) and were written by this node (not
 * imported), for the policies that handle events. visit(entry, arg) gets
 * the entry's fields borrowed for the call only (shoal_journal_entry_copy
 * keeps them); returning non-zero stops the scan before that entry, which
 * then counts as not looked at. The entries are read by one statement, so
 * from one snapshot of the journal.
 *
 * Sets *last_pos to the pos of the last entry looked at, the entries
 * without events and the imported ones included, so that the caller
 * resumes the next scan after it; after_pos when none was. Returns the
 * number of entries whose visit returned 0 (at most limit, capped at
 * INT_MAX), or -1 with *error set. */
int shoal_journal_scan(shoal_journal_t *self, int64_t after_pos, size_t limit,
                       int (*visit)(const shoal_journal_entry_t *entry,
                                    void *arg),
                       void *arg, int64_t *last_pos, char **error);

/* Sets *pos to the pos of the last entry appended, 0 when the journal is
 * empty. Returns 0, or -1 with *error set. */
int shoal_journal_last_pos(shoal_journal_t *self, int64_t *pos, char **error);

/* Copies *from into *to with owned buffers, as shoal_journal_read_entry
 * fills it: the entity, command id, reply and events in one allocation
 * (NULL pointers stay NULL). Returns 0, or -1 when out of memory (*to is
 * then zeroed). */
int shoal_journal_entry_copy(shoal_journal_entry_t *to,
                             const shoal_journal_entry_t *from);

/* Frees what shoal_journal_read_entry or shoal_journal_entry_copy put in
 * *entry and zeroes it. */
void shoal_journal_entry_clear(shoal_journal_entry_t *entry);

/* Reads the snapshot of entity into *snapshot (owned buffers). Returns 1
 * when there is one, 0 when not, -1 with *error set on failure. */
int shoal_journal_read_snapshot(shoal_journal_t *self, const char *entity,
                                shoal_snapshot_t *snapshot, char **error);

/* Frees the buffers of a snapshot and zeroes it. */
void shoal_snapshot_clear(shoal_snapshot_t *snapshot);

#endif
