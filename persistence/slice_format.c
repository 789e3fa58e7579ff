/*
 * persistence/slice_format.c - writing and checking the chunks of a shard
 * handoff (see slice_format.h).
 *
 * The reader never trusts a length: every field is checked against what
 * is left of its record, and every record against what is left of the
 * body, before a byte of it is looked at.
 */
#include "persistence/slice_format.h"
#include "cluster/shard.h"
#include "persistence/schema.h"

#include <stdlib.h>
#include <string.h>

#define S_NULL_TEXT UINT32_MAX
/* Longest type name the shard check splits off ("type/id"). */
#define S_TYPE_MAX 255

static const uint8_t s_magic[4] = {'S', 'H', 'S', 'L'};

static const char *const s_kind_names[] = {
    [SHOAL_SLICE_ENTRY] = "entry",
    [SHOAL_SLICE_SNAPSHOT] = "snapshot",
    [SHOAL_SLICE_TOPIC_EVENT] = "topic event",
    [SHOAL_SLICE_TIMER] = "timer",
    [SHOAL_SLICE_DEAD_LETTER] = "dead letter",
    [SHOAL_SLICE_END] = "end",
};

const char *shoal__slice_kind_name(shoal_slice_kind_t kind)
{
    if (kind < SHOAL_SLICE_ENTRY || kind > SHOAL_SLICE_END)
        return "unknown";
    return s_kind_names[kind];
}

/* Folds bytes into an FNV-1a-64 hash. */
static uint64_t s_fnv1a(uint64_t hash, const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        hash ^= data[i];
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

/* The checksum of a chunk: header bytes 0-23, then the body. */
static uint64_t s_checksum(const uint8_t *header, const uint8_t *body,
                           size_t body_size)
{
    uint64_t hash = s_fnv1a(0xcbf29ce484222325ULL, header, 24);
    return s_fnv1a(hash, body, body_size);
}

int64_t shoal__slice_shard_of_key(const char *key, uint32_t shards)
{
    const char *slash = strchr(key, '/');
    if (!slash || slash == key || slash[1] == '\0' || slash - key > S_TYPE_MAX)
        return -1;
    char type[S_TYPE_MAX + 1];
    memcpy(type, key, (size_t)(slash - key));
    type[slash - key] = '\0';
    return shoal_shard_of(type, slash + 1, shards);
}

/* ---------------------------------------------------------------------
 * Writing
 */

static void s_put_u32_at(uint8_t *at, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        at[i] = (uint8_t)(value >> (8 * i));
}

static void s_put_u64_at(uint8_t *at, uint64_t value)
{
    for (int i = 0; i < 8; i++)
        at[i] = (uint8_t)(value >> (8 * i));
}

/* Makes room for more bytes. Returns 0, or -1 when out of memory. */
static int s_reserve(shoal_slice_buffer_t *buffer, size_t more)
{
    if (more > SIZE_MAX / 2 - buffer->size)
        return -1;
    if (buffer->size + more <= buffer->capacity)
        return 0;
    size_t capacity = buffer->capacity ? buffer->capacity : 4096;
    while (capacity < buffer->size + more)
        capacity *= 2;
    uint8_t *data = realloc(buffer->data, capacity);
    if (!data)
        return -1;
    buffer->data = data;
    buffer->capacity = capacity;
    return 0;
}

/* A record being written: the buffer, where it started, and whether a
 * field did not fit (then the record is dropped). */
typedef struct {
    shoal_slice_buffer_t *buffer;
    bool failed;
} s_writer_t;

static void s_put(s_writer_t *w, const void *data, size_t size)
{
    if (w->failed || s_reserve(w->buffer, size) < 0) {
        w->failed = true;
        return;
    }
    if (size)
        memcpy(w->buffer->data + w->buffer->size, data, size);
    w->buffer->size += size;
}

static void s_put_u8(s_writer_t *w, uint8_t value)
{
    s_put(w, &value, 1);
}

static void s_put_u32(s_writer_t *w, uint32_t value)
{
    uint8_t bytes[4];
    s_put_u32_at(bytes, value);
    s_put(w, bytes, 4);
}

static void s_put_u64(s_writer_t *w, uint64_t value)
{
    uint8_t bytes[8];
    s_put_u64_at(bytes, value);
    s_put(w, bytes, 8);
}

static void s_put_i64(s_writer_t *w, int64_t value)
{
    s_put_u64(w, (uint64_t)value);
}

static void s_put_blob(s_writer_t *w, const void *data, size_t size)
{
    if (!data)
        size = 0;
    if (size >= S_NULL_TEXT) {
        w->failed = true;
        return;
    }
    s_put_u32(w, (uint32_t)size);
    s_put(w, data, size);
}

/* Text with its NUL; NULL only when nullable (else written empty, which
 * the reader refuses where text is required). */
static void s_put_text(s_writer_t *w, const char *text, bool nullable)
{
    if (!text && nullable) {
        s_put_u32(w, S_NULL_TEXT);
        return;
    }
    size_t length = text ? strlen(text) : 0;
    s_put_blob(w, text ? text : "", length);
    s_put_u8(w, 0);
}

static void s_put_fields(s_writer_t *w, const shoal_slice_record_t *record)
{
    switch (record->kind) {
    case SHOAL_SLICE_ENTRY: {
        const shoal_journal_entry_t *entry = &record->as.entry;
        s_put_i64(w, entry->pos);
        s_put_i64(w, entry->prev_pos);
        s_put_u64(w, entry->first_seq);
        s_put_u32(w, entry->event_count);
        s_put_u8(w, (uint8_t)entry->outcome);
        s_put_i64(w, entry->written_ms);
        s_put_text(w, entry->entity, false);
        s_put_text(w, entry->command_id, true);
        s_put_blob(w, entry->reply, entry->reply_size);
        s_put_blob(w, entry->events, entry->events_size);
        break;
    }
    case SHOAL_SLICE_SNAPSHOT: {
        const shoal_snapshot_t *snapshot = &record->as.snapshot.snapshot;
        s_put_text(w, record->as.snapshot.entity, false);
        s_put_u64(w, snapshot->seq);
        s_put_i64(w, snapshot->pos);
        s_put_blob(w, snapshot->state, snapshot->state_size);
        s_put_blob(w, snapshot->dedup, snapshot->dedup_size);
        break;
    }
    case SHOAL_SLICE_TOPIC_EVENT: {
        const shoal_topic_event_t *event = &record->as.topic_event;
        s_put_text(w, event->topic, false);
        s_put_u64(w, event->seq);
        s_put_text(w, event->entity, false);
        s_put_i64(w, event->written_ms);
        s_put_blob(w, event->payload, event->payload_size);
        break;
    }
    case SHOAL_SLICE_TIMER: {
        const shoal_timer_row_t *timer = &record->as.timer;
        s_put_text(w, timer->id, false);
        s_put_i64(w, timer->due_ms);
        s_put_text(w, timer->type, false);
        s_put_text(w, timer->entity_id, false);
        s_put_text(w, timer->command, false);
        s_put_blob(w, timer->payload, timer->payload_size);
        break;
    }
    case SHOAL_SLICE_DEAD_LETTER: {
        const shoal_dead_letter_t *letter = &record->as.dead_letter;
        s_put_i64(w, letter->id);
        s_put_text(w, letter->policy, false);
        s_put_i64(w, letter->pos);
        s_put_u32(w, letter->event_index);
        s_put_text(w, letter->entity, false);
        s_put_u64(w, letter->seq);
        s_put_u32(w, letter->attempts);
        s_put_text(w, letter->error, true);
        s_put_i64(w, letter->parked_ms);
        break;
    }
    case SHOAL_SLICE_END: {
        const shoal_slice_counts_t *counts = &record->as.end;
        s_put_u64(w, counts->entries);
        s_put_u64(w, counts->snapshots);
        s_put_u64(w, counts->topic_events);
        s_put_u64(w, counts->timers);
        s_put_u64(w, counts->dead_letters);
        break;
    }
    default: /* defensive: a kind this code does not write */
        w->failed = true;
    }
}

int shoal__slice_chunk_start(shoal_slice_buffer_t *buffer)
{
    buffer->size = 0;
    if (s_reserve(buffer, SHOAL_SLICE_HEADER_SIZE) < 0)
        return -1;
    memset(buffer->data, 0, SHOAL_SLICE_HEADER_SIZE);
    buffer->size = SHOAL_SLICE_HEADER_SIZE;
    return 0;
}

int shoal__slice_append_record(shoal_slice_buffer_t *buffer,
                               const shoal_slice_record_t *record)
{
    size_t start = buffer->size;
    s_writer_t w = {.buffer = buffer};
    s_put_u8(&w, (uint8_t)record->kind);
    s_put_u32(&w, 0); /* the size, once known */
    s_put_fields(&w, record);
    size_t size = buffer->size - start - 5;
    if (w.failed || size >= S_NULL_TEXT) {
        buffer->size = start;
        return -1;
    }
    s_put_u32_at(buffer->data + start + 1, (uint32_t)size);
    return 0;
}

int shoal__slice_append_bytes(shoal_slice_buffer_t *buffer,
                              const shoal_slice_buffer_t *from)
{
    if (s_reserve(buffer, from->size) < 0)
        return -1;
    if (from->size)
        memcpy(buffer->data + buffer->size, from->data, from->size);
    buffer->size += from->size;
    return 0;
}

void shoal__slice_chunk_seal(shoal_slice_buffer_t *buffer, uint32_t shard,
                             uint32_t shards, uint32_t index)
{
    uint8_t *header = buffer->data;
    size_t body_size = buffer->size - SHOAL_SLICE_HEADER_SIZE;
    memcpy(header, s_magic, 4);
    header[4] = SHOAL_SLICE_FORMAT_VERSION;
    header[5] = 0;
    header[6] = header[7] = 0;
    s_put_u32_at(header + 8, shard);
    s_put_u32_at(header + 12, shards);
    s_put_u32_at(header + 16, index);
    s_put_u32_at(header + 20, (uint32_t)body_size);
    s_put_u64_at(
        header + 24,
        s_checksum(header, header + SHOAL_SLICE_HEADER_SIZE, body_size));
}

/* ---------------------------------------------------------------------
 * Reading
 */

static uint32_t s_get_u32_at(const uint8_t *at)
{
    uint32_t value = 0;
    for (int i = 3; i >= 0; i--)
        value = (value << 8) | at[i];
    return value;
}

static uint64_t s_get_u64_at(const uint8_t *at)
{
    uint64_t value = 0;
    for (int i = 7; i >= 0; i--)
        value = (value << 8) | at[i];
    return value;
}

int shoal__slice_chunk_open(const void *data, size_t size,
                            shoal_slice_chunk_t *chunk, char **error)
{
    const uint8_t *bytes = data;
    memset(chunk, 0, sizeof *chunk);
    if (!data || size < SHOAL_SLICE_HEADER_SIZE) {
        shoal__error_set(error,
                         "slice chunk: %zu bytes, shorter than its "
                         "%d-byte header",
                         data ? size : 0, SHOAL_SLICE_HEADER_SIZE);
        return -1;
    }
    if (memcmp(bytes, s_magic, 4) != 0) {
        shoal__error_set(error, "slice chunk: not a shard slice (bad magic)");
        return -1;
    }
    if (bytes[4] != SHOAL_SLICE_FORMAT_VERSION) {
        shoal__error_set(error,
                         "slice chunk: format version %u, this shoal reads "
                         "version %d",
                         (unsigned)bytes[4], SHOAL_SLICE_FORMAT_VERSION);
        return -1;
    }
    if (bytes[5] != 0 || bytes[6] != 0 || bytes[7] != 0) {
        shoal__error_set(error, "slice chunk: unknown flags");
        return -1;
    }
    uint32_t shard = s_get_u32_at(bytes + 8);
    uint32_t shards = s_get_u32_at(bytes + 12);
    uint32_t index = s_get_u32_at(bytes + 16);
    uint32_t body_size = s_get_u32_at(bytes + 20);
    if (shards == 0 || shard >= shards) {
        shoal__error_set(error, "slice chunk %u: shard %u of %u shards",
                         (unsigned)index, (unsigned)shard, (unsigned)shards);
        return -1;
    }
    if (body_size != size - SHOAL_SLICE_HEADER_SIZE) {
        shoal__error_set(error,
                         "slice chunk %u of shard %u: the header says %u "
                         "bytes of records, the chunk has %zu",
                         (unsigned)index, (unsigned)shard, (unsigned)body_size,
                         size - SHOAL_SLICE_HEADER_SIZE);
        return -1;
    }
    const uint8_t *body = bytes + SHOAL_SLICE_HEADER_SIZE;
    uint64_t checksum = s_get_u64_at(bytes + 24);
    if (s_checksum(bytes, body, body_size) != checksum) {
        shoal__error_set(error,
                         "slice chunk %u of shard %u: checksum mismatch "
                         "(the chunk was damaged)",
                         (unsigned)index, (unsigned)shard);
        return -1;
    }
    *chunk = (shoal_slice_chunk_t){.shard = shard,
                                   .shards = shards,
                                   .index = index,
                                   .checksum = checksum,
                                   .body = body,
                                   .body_size = body_size};
    return 0;
}

/* A record being read: its bytes, the place in them, and the first field
 * that was wrong (a static name and reason). */
typedef struct {
    const uint8_t *data;
    size_t size;
    size_t at;
    const char *field;
    const char *reason;
} s_reader_t;

static bool s_fail(s_reader_t *r, const char *field, const char *reason)
{
    if (!r->reason) {
        r->field = field;
        r->reason = reason;
    }
    return false;
}

static const uint8_t *s_take(s_reader_t *r, size_t size, const char *field)
{
    if (r->reason)
        return NULL;
    if (size > r->size - r->at) {
        s_fail(r, field, "runs past the end of its record");
        return NULL;
    }
    const uint8_t *at = r->data + r->at;
    r->at += size;
    return at;
}

static uint8_t s_u8(s_reader_t *r, const char *field)
{
    const uint8_t *at = s_take(r, 1, field);
    return at ? *at : 0;
}

static uint32_t s_u32(s_reader_t *r, const char *field)
{
    const uint8_t *at = s_take(r, 4, field);
    return at ? s_get_u32_at(at) : 0;
}

/* A u64 that SQLite stores as a signed integer, so at most INT64_MAX. */
static uint64_t s_u64(s_reader_t *r, const char *field)
{
    const uint8_t *at = s_take(r, 8, field);
    uint64_t value = at ? s_get_u64_at(at) : 0;
    if (value > INT64_MAX)
        s_fail(r, field, "is larger than the journal can hold");
    return value;
}

static int64_t s_i64(s_reader_t *r, const char *field)
{
    const uint8_t *at = s_take(r, 8, field);
    return at ? (int64_t)s_get_u64_at(at) : 0;
}

/* A blob: NULL when empty. */
static const void *s_blob(s_reader_t *r, size_t *size, const char *field)
{
    uint32_t length = s_u32(r, field);
    const uint8_t *at = s_take(r, length, field);
    *size = at ? length : 0;
    return at && length ? at : NULL;
}

/* Text: NUL-terminated in place, no NUL inside; NULL for the null mark
 * when nullable; never empty unless may_be_empty. */
static const char *s_text(s_reader_t *r, const char *field, bool nullable,
                          bool may_be_empty)
{
    const uint8_t *at = s_take(r, 4, field);
    if (!at)
        return NULL;
    uint32_t length = s_get_u32_at(at);
    if (length == S_NULL_TEXT) {
        if (!nullable)
            s_fail(r, field, "is missing");
        return NULL;
    }
    const uint8_t *text = s_take(r, (size_t)length + 1, field);
    if (!text)
        return NULL;
    if (text[length] != '\0' || memchr(text, '\0', length))
        s_fail(r, field, "is not a text (a NUL inside, or none after it)");
    else if (length == 0 && !may_be_empty)
        s_fail(r, field, "is empty");
    return (const char *)text;
}

/* Checks that the entity key (or type and id, when id is not NULL) is in
 * the chunk's shard. */
static void s_check_shard(s_reader_t *r, const shoal_slice_chunk_t *chunk,
                          const char *key, const char *id, const char *field)
{
    if (r->reason)
        return;
    int64_t shard = -1;
    if (!id)
        shard = shoal__slice_shard_of_key(key, chunk->shards);
    else if (!strchr(key, '/'))
        shard = shoal_shard_of(key, id, chunk->shards);
    if (shard < 0)
        s_fail(r, field, "is not a \"type/id\" entity key");
    else if ((uint32_t)shard != chunk->shard)
        s_fail(r, field, "belongs to another shard");
}

static void s_read_entry(s_reader_t *r, const shoal_slice_chunk_t *chunk,
                         shoal_journal_entry_t *entry)
{
    entry->pos = s_i64(r, "pos");
    entry->prev_pos = s_i64(r, "prev_pos");
    entry->first_seq = s_u64(r, "first_seq");
    entry->event_count = s_u32(r, "event_count");
    uint8_t outcome = s_u8(r, "outcome");
    entry->outcome = (shoal_outcome_t)outcome;
    entry->written_ms = s_i64(r, "written_ms");
    entry->entity = s_text(r, "entity", false, false);
    entry->command_id = s_text(r, "command_id", true, false);
    entry->reply = s_blob(r, &entry->reply_size, "reply");
    entry->events = s_blob(r, &entry->events_size, "events");
    entry->shard = chunk->shard;
    if (entry->pos <= 0)
        s_fail(r, "pos", "is not a position");
    else if (entry->prev_pos < 0 || entry->prev_pos >= entry->pos)
        s_fail(r, "prev_pos", "does not point before the entry");
    else if (outcome != SHOAL_OUTCOME_ACCEPTED &&
             outcome != SHOAL_OUTCOME_REJECTED)
        s_fail(r, "outcome", "is neither accepted nor rejected");
    if (entry->entity)
        s_check_shard(r, chunk, entry->entity, NULL, "entity");
}

static void s_read_snapshot(s_reader_t *r, const shoal_slice_chunk_t *chunk,
                            shoal_slice_record_t *record)
{
    shoal_snapshot_t *snapshot = &record->as.snapshot.snapshot;
    record->as.snapshot.entity = s_text(r, "entity", false, false);
    snapshot->seq = s_u64(r, "seq");
    snapshot->pos = s_i64(r, "pos");
    /* The chunk is not written to: the snapshot is only saved from. */
    snapshot->state = (void *)s_blob(r, &snapshot->state_size, "state");
    snapshot->dedup = (void *)s_blob(r, &snapshot->dedup_size, "dedup");
    if (snapshot->pos <= 0)
        s_fail(r, "pos", "is not a position");
    if (record->as.snapshot.entity)
        s_check_shard(r, chunk, record->as.snapshot.entity, NULL, "entity");
}

static void s_read_topic_event(s_reader_t *r, const shoal_slice_chunk_t *chunk,
                               shoal_topic_event_t *event)
{
    event->topic = s_text(r, "topic", false, false);
    event->seq = s_u64(r, "seq");
    event->entity = s_text(r, "entity", false, false);
    event->written_ms = s_i64(r, "written_ms");
    event->payload = s_blob(r, &event->payload_size, "payload");
    event->shard = chunk->shard;
    if (event->seq == 0)
        s_fail(r, "seq", "is 0 (topics number their events from 1)");
    if (event->entity)
        s_check_shard(r, chunk, event->entity, NULL, "entity");
}

static void s_read_timer(s_reader_t *r, const shoal_slice_chunk_t *chunk,
                         shoal_timer_row_t *timer)
{
    timer->id = s_text(r, "id", false, false);
    timer->due_ms = s_i64(r, "due_ms");
    timer->type = s_text(r, "type", false, false);
    timer->entity_id = s_text(r, "entity_id", false, false);
    timer->command = s_text(r, "command", false, false);
    timer->payload = s_blob(r, &timer->payload_size, "payload");
    if (timer->type && timer->entity_id)
        s_check_shard(r, chunk, timer->type, timer->entity_id, "target");
}

static void s_read_dead_letter(s_reader_t *r, const shoal_slice_chunk_t *chunk,
                               shoal_dead_letter_t *letter)
{
    letter->id = s_i64(r, "id");
    letter->policy = s_text(r, "policy", false, false);
    letter->pos = s_i64(r, "pos");
    letter->event_index = s_u32(r, "event_index");
    letter->entity = s_text(r, "entity", false, false);
    letter->seq = s_u64(r, "seq");
    letter->attempts = s_u32(r, "attempts");
    letter->error = s_text(r, "error", true, true);
    letter->parked_ms = s_i64(r, "parked_ms");
    if (letter->pos <= 0)
        s_fail(r, "pos", "is not a position");
    if (letter->entity)
        s_check_shard(r, chunk, letter->entity, NULL, "entity");
}

static void s_read_end(s_reader_t *r, shoal_slice_counts_t *counts)
{
    counts->entries = s_u64(r, "entries");
    counts->snapshots = s_u64(r, "snapshots");
    counts->topic_events = s_u64(r, "topic events");
    counts->timers = s_u64(r, "timers");
    counts->dead_letters = s_u64(r, "dead letters");
}

int shoal__slice_chunk_next(const shoal_slice_chunk_t *chunk, size_t *offset,
                            shoal_slice_record_t *record, char **error)
{
    memset(record, 0, sizeof *record);
    size_t start = *offset;
    if (start >= chunk->body_size)
        return 0;
    s_reader_t r = {.data = chunk->body, .size = chunk->body_size, .at = start};
    uint8_t kind = s_u8(&r, "kind");
    uint32_t size = s_u32(&r, "size");
    if (!r.reason && size > r.size - r.at)
        s_fail(&r, "size", "runs past the end of the chunk");
    if (r.reason)
        goto out_bad;
    /* From here on, the record's own bytes only. */
    r.size = r.at + size;
    record->kind = (shoal_slice_kind_t)kind;
    switch (kind) {
    case SHOAL_SLICE_ENTRY:
        s_read_entry(&r, chunk, &record->as.entry);
        break;
    case SHOAL_SLICE_SNAPSHOT:
        s_read_snapshot(&r, chunk, record);
        break;
    case SHOAL_SLICE_TOPIC_EVENT:
        s_read_topic_event(&r, chunk, &record->as.topic_event);
        break;
    case SHOAL_SLICE_TIMER:
        s_read_timer(&r, chunk, &record->as.timer);
        break;
    case SHOAL_SLICE_DEAD_LETTER:
        s_read_dead_letter(&r, chunk, &record->as.dead_letter);
        break;
    case SHOAL_SLICE_END:
        s_read_end(&r, &record->as.end);
        break;
    default:
        s_fail(&r, "kind", "is not a record kind");
    }
    if (!r.reason && r.at != r.size)
        s_fail(&r, "size", "leaves bytes after the last field");
    if (r.reason)
        goto out_bad;
    *offset = r.at;
    return 1;

out_bad:
    shoal__error_set(error,
                     "slice chunk %u of shard %u: the %s record at byte %zu: "
                     "%s %s",
                     (unsigned)chunk->index, (unsigned)chunk->shard,
                     shoal__slice_kind_name((shoal_slice_kind_t)kind), start,
                     r.field, r.reason);
    memset(record, 0, sizeof *record);
    return -1;
}
