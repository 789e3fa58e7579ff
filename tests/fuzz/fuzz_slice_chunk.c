/*
 * tests/fuzz/fuzz_slice_chunk.c - libFuzzer target: a chunk of a shard
 * handoff as it comes from another node, read with
 * shoal__slice_chunk_open and shoal__slice_chunk_next
 * (persistence/slice_format.h).
 *
 * The first input byte picks the mode. Bit 0 clear: the rest is a whole
 * chunk, header included (most are refused by the header checks or the
 * checksum). Bit 0 set: the rest is a chunk's body, which the target
 * seals with a right header and checksum so that the records are read;
 * bit 1 set makes it a chunk of 1 shard (every "type/id" belongs to it),
 * else shard (byte >> 2) % 8 of 8.
 *
 * Properties checked: the reader never reads outside the input (a heap
 * copy of exactly its size), always moves forward and ends; a refusal
 * says why; every record read writes back (shoal__slice_append_record)
 * to exactly the bytes it was read from.
 */
#include "fuzz.h"
#include "persistence/slice_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads every record of an opened chunk and checks the properties. */
static void s_walk(const shoal_slice_chunk_t *chunk)
{
    shoal_slice_buffer_t again = {0};
    shoal_slice_record_t record;
    size_t offset = 0;
    char *error = NULL;
    int rc;
    for (;;) {
        size_t start = offset;
        rc = shoal__slice_chunk_next(chunk, &offset, &record, &error);
        if (rc != 1)
            break;
        FUZZ_CHECK(offset > start && offset <= chunk->body_size);
        again.size = 0;
        FUZZ_CHECK(shoal__slice_append_record(&again, &record) == 0);
        FUZZ_CHECK(again.size == offset - start);
        FUZZ_CHECK(memcmp(again.data, chunk->body + start, again.size) == 0);
    }
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(rc == 0 ? offset == chunk->body_size && !error
                       : error && strstr(error, "slice chunk"));
    free(error);
    free(again.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t mode = data[0];
    size--;
    uint8_t *copy = malloc(size ? size : 1);
    FUZZ_CHECK(copy);
    if (size)
        memcpy(copy, data + 1, size);
    shoal_slice_chunk_t chunk;
    char *error = NULL;
    if (!(mode & 1)) {
        if (shoal__slice_chunk_open(copy, size, &chunk, &error) == 0) {
            FUZZ_CHECK(!error && chunk.body_size == size - 32);
            s_walk(&chunk);
        } else {
            FUZZ_CHECK(error && strstr(error, "slice chunk"));
        }
        free(error);
        free(copy);
        return 0;
    }
    /* The body, sealed into a chunk of exactly its size. */
    shoal_slice_buffer_t buffer = {0};
    FUZZ_CHECK(shoal__slice_chunk_start(&buffer) == 0);
    shoal_slice_buffer_t body = {.data = copy, .size = size};
    FUZZ_CHECK(shoal__slice_append_bytes(&buffer, &body) == 0);
    uint32_t shards = mode & 2 ? 1 : 8;
    shoal__slice_chunk_seal(&buffer, (uint32_t)(mode >> 2) % shards, shards, 7);
    uint8_t *sealed = malloc(buffer.size);
    FUZZ_CHECK(sealed);
    memcpy(sealed, buffer.data, buffer.size);
    FUZZ_CHECK(shoal__slice_chunk_open(sealed, buffer.size, &chunk, &error) ==
               0);
    FUZZ_CHECK(chunk.index == 7 && chunk.shards == shards);
    s_walk(&chunk);
    free(sealed);
    free(buffer.data);
    free(copy);
    return 0;
}
