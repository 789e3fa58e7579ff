/*
 * runtime/topic_cursor.h - the cursor a consumer of a public event topic
 * keeps: for each shard, the sequence number of the last event it has
 * read. A topic's events are numbered per shard (an entity's events all
 * land in its shard, in order), so a cursor stays valid wherever the
 * shards live: a consumer may ask any node, and a shard that moves keeps
 * its numbers.
 *
 * The text form lists the shards with a position, ascending:
 * "SHARD:SEQ,SHARD:SEQ,..."; the empty text is the start of the topic.
 */
#ifndef SHOAL_RUNTIME_TOPIC_CURSOR_H
#define SHOAL_RUNTIME_TOPIC_CURSOR_H

#include <stddef.h>
#include <stdint.h>

/* Parses size bytes of text into seqs (shards entries, all set: absent
 * shards are 0). Returns 0, or -1 with a reason in error (error_size
 * bytes) when the text is malformed, names a shard >= shards, names one
 * twice, or is not ascending. */
int shoal_topic_cursor_parse(const char *text, size_t size, uint32_t shards,
                             uint64_t *seqs, char *error, size_t error_size);

/* Formats seqs (shards entries) as a cursor. Returns a malloc'd string
 * (the caller frees), or NULL when out of memory. */
char *shoal_topic_cursor_format(const uint64_t *seqs, uint32_t shards);

#endif
