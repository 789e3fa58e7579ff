/*
 * persistence/slice_format.h - the bytes of the chunks a shard handoff
 * moves (persistence/slice.h): writing them, and reading them back with
 * every field checked, since they come from the network. Pure: no SQLite
 * and no allocation on the way in, so that it is fuzzed on its own.
 * Internal to the persistence layer.
 *
 * A chunk, every integer little-endian:
 *
 *   header, 32 bytes:
 *     "SHSL"  version u8 (1)  flags u8 (0)  reserved u16 (0)
 *     shard u32  shards u32  index u32 (the chunk's number, from 0)
 *     body size u32  checksum u64 (FNV-1a-64 of header bytes 0-23, then
 *                                  of the body)
 *   body: records, each  kind u8  size u32  then size bytes of fields.
 *
 * Fields: u8/u32/u64/i64 fixed width; text = u32 length, the bytes, a
 * NUL (no NUL inside); nullable text = text, or u32 0xFFFFFFFF for NULL;
 * blob = u32 length, the bytes. The records, in the order a stream gives
 * them (kinds never go back):
 *
 *   1 entry        pos i64, prev_pos i64, first_seq u64, event_count u32,
 *                  outcome u8, written_ms i64, entity text, command_id
 *                  nullable text, reply blob, events blob
 *   2 snapshot     entity text, seq u64, pos i64, state blob, dedup blob
 *   3 topic event  topic text, seq u64, entity text, written_ms i64,
 *                  payload blob
 *   4 timer        id text, due_ms i64, type text, entity_id text,
 *                  command text, payload blob
 *   5 dead letter  id i64, policy text, pos i64, event_index u32,
 *                  entity text, seq u64, attempts u32, error nullable
 *                  text, parked_ms i64
 *   6 end          entries, snapshots, topic events, timers, dead
 *                  letters: u64 each, the counts of the whole stream
 *
 * Positions are the exporting journal's. Every record must belong to the
 * chunk's shard: its entity "type/id" (a timer's type and entity_id, its
 * target) must be in shard among shards (cluster/shard.h).
 */
#ifndef SHOAL_PERSISTENCE_SLICE_FORMAT_H
#define SHOAL_PERSISTENCE_SLICE_FORMAT_H

#include "persistence/journal.h"
#include "persistence/reactions.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHOAL_SLICE_FORMAT_VERSION 1
#define SHOAL_SLICE_HEADER_SIZE 32

typedef enum {
    SHOAL_SLICE_ENTRY = 1,
    SHOAL_SLICE_SNAPSHOT = 2,
    SHOAL_SLICE_TOPIC_EVENT = 3,
    SHOAL_SLICE_TIMER = 4,
    SHOAL_SLICE_DEAD_LETTER = 5,
    SHOAL_SLICE_END = 6,
} shoal_slice_kind_t;

/* How many records of each kind a stream holds. */
typedef struct {
    uint64_t entries;
    uint64_t snapshots;
    uint64_t topic_events;
    uint64_t timers;
    uint64_t dead_letters;
} shoal_slice_counts_t;

/* One record. Its pointers are borrowed: from the rows it was made of
 * when writing, from the chunk when read. entry.shard, entry.imported and
 * topic_event.shard are not carried (the chunk's shard is theirs). */
typedef struct {
    shoal_slice_kind_t kind;
    union {
        shoal_journal_entry_t entry;
        struct {
            const char *entity;
            shoal_snapshot_t snapshot; /* read: points into the chunk */
        } snapshot;
        shoal_topic_event_t topic_event;
        shoal_timer_row_t timer;
        shoal_dead_letter_t dead_letter;
        shoal_slice_counts_t end;
    } as;
} shoal_slice_record_t;

/* A chunk whose header was checked, and its body (borrowed). */
typedef struct {
    uint32_t shard;
    uint32_t shards;
    uint32_t index;
    uint64_t checksum; /* the header's, which the chunk matched */
    const uint8_t *body;
    size_t body_size;
} shoal_slice_chunk_t;

/* A growing chunk being written. Zero it to start; free data when done
 * (or hand it over). */
typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
} shoal_slice_buffer_t;

/* Empties buffer (keeping its memory) and reserves room for the header.
 * Returns 0, or -1 when out of memory. */
int shoal__slice_chunk_start(shoal_slice_buffer_t *buffer);

/* Appends record to buffer (after shoal__slice_chunk_start, or to an
 * empty buffer to measure it on its own). Returns 0, or -1 when out of
 * memory or when a field or the record is longer than 4 GiB - 2 (buffer
 * is then as it was). */
int shoal__slice_append_record(shoal_slice_buffer_t *buffer,
                               const shoal_slice_record_t *record);

/* Appends the bytes of from (records written by
 * shoal__slice_append_record) to buffer. Returns 0, or -1 when out of
 * memory. */
int shoal__slice_append_bytes(shoal_slice_buffer_t *buffer,
                              const shoal_slice_buffer_t *from);

/* Writes the header of the chunk in buffer: its shard among shards, its
 * index, its body size and checksum. */
void shoal__slice_chunk_seal(shoal_slice_buffer_t *buffer, uint32_t shard,
                             uint32_t shards, uint32_t index);

/* Checks the header of the size bytes at data (magic, version, flags,
 * shard < shards, the body size, the checksum) and fills *chunk. Returns
 * 0, or -1 with *error set (malloc'd) saying what is wrong. */
int shoal__slice_chunk_open(const void *data, size_t size,
                            shoal_slice_chunk_t *chunk, char **error);

/* Reads the record at *offset (0 for the first) of an opened chunk into
 * *record, checking every field and that it belongs to the chunk's shard,
 * and moves *offset past it. Returns 1, 0 at the end of the body, or -1
 * with *error set naming the chunk, the record's place and the reason. */
int shoal__slice_chunk_next(const shoal_slice_chunk_t *chunk, size_t *offset,
                            shoal_slice_record_t *record, char **error);

/* Returns the shard of the entity key "type/id" among shards, or -1 when
 * key is not of that form. */
int64_t shoal__slice_shard_of_key(const char *key, uint32_t shards);

/* Returns the name of a record kind, for messages ("entry", ...). */
const char *shoal__slice_kind_name(shoal_slice_kind_t kind);

#endif
