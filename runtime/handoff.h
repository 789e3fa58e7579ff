/*
 * runtime/handoff.h - the messages the threads of a node exchange to hand
 * a shard over to another member (docs/ARCHITECTURE.md, "Handoff"):
 *
 *   cluster thread -> main:   FREEZE (stop serving the shard, let its
 *                             worker release it), THAW (serve it again:
 *                             the handoff was abandoned), ADOPT (give
 *                             these imported heads to the shard's worker)
 *   main -> worker:           RELEASE, ADOPT
 *   worker -> main:           RELEASED, ADOPTED (the same message back)
 *   main -> cluster thread:   FROZEN (with the journal position then),
 *                             ADOPTED
 *
 * One message is one allocation passed as a pointer (runtime/pipes.h).
 */
#ifndef SHOAL_RUNTIME_HANDOFF_H
#define SHOAL_RUNTIME_HANDOFF_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    SHOAL_HANDOFF_FREEZE,
    SHOAL_HANDOFF_THAW,
    SHOAL_HANDOFF_ADOPT,
    SHOAL_HANDOFF_RELEASE,
    SHOAL_HANDOFF_RELEASED,
    SHOAL_HANDOFF_ADOPTED,
} shoal_handoff_kind_t;

typedef struct {
    shoal_handoff_kind_t kind;
    uint32_t shard;
    size_t head_count; /* ADOPT: the imported entities' heads */
    char **keys;       /* owned */
    int64_t *positions;
} shoal_handoff_msg_t;

/* Creates a message without heads. Returns NULL when out of memory. */
shoal_handoff_msg_t *shoal_handoff_msg_new(shoal_handoff_kind_t kind,
                                           uint32_t shard);

/* Adds a head (key copied) to an ADOPT message. Returns 0 or -1. */
int shoal_handoff_msg_add_head(shoal_handoff_msg_t *self, const char *key,
                               int64_t pos);

/* Frees a message and sets *self_p to NULL. NULL-safe. */
void shoal_handoff_msg_destroy(shoal_handoff_msg_t **self_p);

#endif
