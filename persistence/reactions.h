/*
 * persistence/reactions.h - the durable state of a node's asynchronous
 * parts: how far each policy (event handler) has read the journal, the
 * public events policies publish on topics, durable timers, and the
 * events policies gave up on (dead letters). The tables are in the
 * journal's file (schema version 2, see schema.c).
 *
 * A reactions handle is a set of statements prepared on the connection of
 * a writable journal handle, used by the one thread that owns that handle.
 * Its writes go into the transaction that thread opened with
 * shoal_journal_begin, so that a policy's progress and what it published
 * and scheduled commit together or not at all; writing outside one is a
 * programming error. Its reads work in or out of a transaction (inside
 * one, they see its uncommitted writes).
 *
 * Every visit callback gets pointers borrowed for the call only. A visit
 * that returns int stops the walk by returning non-zero; that row then
 * does not count as visited. A visit may call the handle's other
 * functions (to write what it handled), not the one walking.
 */
#ifndef SHOAL_PERSISTENCE_REACTIONS_H
#define SHOAL_PERSISTENCE_REACTIONS_H

#include "persistence/journal.h"

#include <stddef.h>
#include <stdint.h>

typedef struct shoal_reactions shoal_reactions_t;

/* A public event: the seq-th event of topic on shard, from 1. */
typedef struct {
    const char *topic;
    uint32_t shard;
    uint64_t seq;
    const char *entity; /* "type/id" of the entity whose event caused it */
    int64_t written_ms;
    const void *payload; /* NULL when empty */
    size_t payload_size;
} shoal_topic_event_t;

/* A durable timer: at due_ms, command (with payload) goes to
 * type/entity_id. The id names the timer; it is unique. */
typedef struct {
    const char *id;
    int64_t due_ms;
    const char *type;
    const char *entity_id;
    const char *command;
    const void *payload; /* NULL when empty */
    size_t payload_size;
} shoal_timer_row_t;

/* An event a policy gave up on: the index-th event of the journal entry
 * at pos, event seq of entity, after attempts tries; error is the last
 * failure's reason (NULL when none was given). */
typedef struct {
    int64_t id; /* from 1, never reused */
    const char *policy;
    int64_t pos;
    uint32_t event_index;
    const char *entity;
    uint64_t seq;
    uint32_t attempts;
    const char *error;
    int64_t parked_ms;
} shoal_dead_letter_t;

/* Prepares the statements on journal's connection (journal is borrowed and
 * must outlive the handle). Returns the handle, or NULL with *error set
 * (malloc'd, the caller frees) when a statement cannot be prepared (a
 * journal of an older schema cannot be opened writable without being
 * migrated, so this means out of memory or a damaged file). */
shoal_reactions_t *shoal_reactions_open(shoal_journal_t *journal, char **error);

/* Finalizes the statements and sets *self_p to NULL; call it before the
 * journal is closed. NULL-safe. */
void shoal_reactions_close(shoal_reactions_t **self_p);

/* --- Policy offsets ---------------------------------------------------- */

/* Sets *pos and *event_index to the last event policy handled: the entry
 * at *pos, the *event_index-th of its events (from 0). Both 0 when the
 * policy has no offset yet. Returns 0, or -1 with *error set. */
int shoal_reactions_load_offset(shoal_reactions_t *self, const char *policy,
                                int64_t *pos, uint32_t *event_index,
                                char **error);

/* Records in the open transaction that policy handled up to the
 * event_index-th event of the entry at pos, replacing its offset. Returns
 * 0, or -1 with *error set. */
int shoal_reactions_save_offset(shoal_reactions_t *self, const char *policy,
                                int64_t pos, uint32_t event_index,
                                char **error);

/* --- Topics ------------------------------------------------------------ */

/* Appends a public event in the open transaction. The caller numbers the
 * events of each (topic, shard) from 1 (see shoal_reactions_topic_heads);
 * one whose (topic, shard, seq) is taken is refused. Returns 0, or -1
 * with *error set. */
int shoal_reactions_publish(shoal_reactions_t *self,
                            const shoal_topic_event_t *event, char **error);

/* Calls visit(topic, shard, seq, arg) once for every (topic, shard) that
 * has events, with its highest seq, in no promised order. Costs one
 * primary-key seek per (topic, shard), whatever the number of events.
 * Returns 0, or -1 with *error set (after some visits, maybe). */
int shoal_reactions_topic_heads(shoal_reactions_t *self,
                                void (*visit)(const char *topic, uint32_t shard,
                                              uint64_t seq, void *arg),
                                void *arg, char **error);

/* Visits, in ascending seq, up to limit events of topic on shard with a
 * seq above after_seq. Returns the number visited (capped at INT_MAX), or
 * -1 with *error set. */
int shoal_reactions_read_topic(shoal_reactions_t *self, const char *topic,
                               uint32_t shard, uint64_t after_seq, size_t limit,
                               int (*visit)(const shoal_topic_event_t *event,
                                            void *arg),
                               void *arg, char **error);

/* --- Timers ------------------------------------------------------------ */

/* Adds timer in the open transaction, unless a timer with its id exists:
 * then nothing changes (a redelivered event does not set its timer
 * twice). Returns 0, or -1 with *error set. */
int shoal_reactions_add_timer(shoal_reactions_t *self,
                              const shoal_timer_row_t *timer, char **error);

/* Deletes the timer id in the open transaction. Returns 1 when it was
 * deleted, 0 when there was none, -1 with *error set. */
int shoal_reactions_delete_timer(shoal_reactions_t *self, const char *id,
                                 char **error);

/* Visits up to limit timers due at or before until_ms, by due time, then
 * id. Returns the number visited (capped at INT_MAX), or -1 with *error
 * set. Visiting does not delete them. */
int shoal_reactions_due_timers(shoal_reactions_t *self, int64_t until_ms,
                               size_t limit,
                               int (*visit)(const shoal_timer_row_t *timer,
                                            void *arg),
                               void *arg, char **error);

/* Sets *due_ms to the earliest due time of all timers. Returns 1, or 0
 * when there are no timers (*due_ms untouched), or -1 with *error set. */
int shoal_reactions_next_due(shoal_reactions_t *self, int64_t *due_ms,
                             char **error);

/* Sets *count to the number of timers (this counts the rows). Returns 0,
 * or -1 with *error set. */
int shoal_reactions_timer_count(shoal_reactions_t *self, uint64_t *count,
                                char **error);

/* --- Dead letters ------------------------------------------------------ */

/* Parks letter in the open transaction, under a new id (letter->id is
 * ignored), and sets *id to it (id may be NULL). Returns 0, or -1 with
 * *error set. */
int shoal_reactions_park(shoal_reactions_t *self,
                         const shoal_dead_letter_t *letter, int64_t *id,
                         char **error);

/* Visits, in ascending id, up to limit dead letters with an id above
 * after_id (0 for the first page), of policy only unless policy is NULL.
 * Returns the number visited (capped at INT_MAX), or -1 with *error set. */
int shoal_reactions_dead_letters(shoal_reactions_t *self, const char *policy,
                                 int64_t after_id, size_t limit,
                                 int (*visit)(const shoal_dead_letter_t *letter,
                                              void *arg),
                                 void *arg, char **error);

/* Calls visit(letter, arg) for the dead letter id, if there is one (what
 * visit returns is ignored). Returns 1 when found, 0 when not, -1 with
 * *error set. */
int shoal_reactions_get_dead_letter(
    shoal_reactions_t *self, int64_t id,
    int (*visit)(const shoal_dead_letter_t *letter, void *arg), void *arg,
    char **error);

/* Deletes the dead letter id in the open transaction (to retry it, or to
 * drop it). Returns 1 when it was deleted, 0 when there was none, -1 with
 * *error set. */
int shoal_reactions_unpark(shoal_reactions_t *self, int64_t id, char **error);

/* Calls visit(policy, count, arg) for every policy with dead letters, in
 * policy order. Returns 0, or -1 with *error set. */
int shoal_reactions_dead_letter_counts(shoal_reactions_t *self,
                                       void (*visit)(const char *policy,
                                                     uint64_t count, void *arg),
                                       void *arg, char **error);

#endif
