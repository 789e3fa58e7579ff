/*
 * runtime/reactor_internal.h - the reactor's state, shared by the files
 * that make up the reactor thread: reactor.c (the loop, its sockets, the
 * commands it sends), reactor_policies.c (policies in batches),
 * reactor_timers.c (durable timers) and reactor_reads.c (topic reads and
 * dead letters). Everything here is touched by the reactor thread only.
 */
#ifndef SHOAL_RUNTIME_REACTOR_INTERNAL_H
#define SHOAL_RUNTIME_REACTOR_INTERNAL_H

#include "actors/effect.h"
#include "actors/reaction.h"
#include "persistence/journal.h"
#include "persistence/reactions.h"
#include "runtime/reactor.h"

#include <stdbool.h>

/* Who sent a command, in the top byte of its request id (the tag). */
enum {
    S_OWNER_TIMER = 0xFF,
    S_OWNER_RETRY = 0xFE,
    /* 0 .. policy count - 1: that policy's batch */
};

/* Most policies a node runs (each owns a tag byte value). */
#define S_POLICIES_MAX 200

/* Most events in one batch (they must fit the tag). */
#define S_BATCH_ITEMS_MAX 4096

/* How the target answered a command. */
typedef enum {
    S_REPLY_ACCEPTED,
    S_REPLY_REJECTED,
    S_REPLY_ERROR,
} s_reply_t;

/* One event a batch handles, with the policy's reaction to it. */
typedef struct {
    int64_t pos;
    uint32_t index; /* of the event within its entry */
    char *key;      /* source "type/id", owned */
    uint32_t shard; /* the source entity's */
    uint64_t seq;
    shoal_reaction_t reaction;
    bool failed;
    char *error; /* owned, when failed */
    size_t sent; /* dispatch actions sent so far */
    unsigned pending;
} shoal_batch_item_t;

/* A run of events through one policy: the events after the policy's
 * offset, or one dead letter being retried. */
typedef struct {
    struct s_policy *policy;
    shoal_batch_item_t *items;
    size_t count;
    size_t next; /* first item not wholly sent */
    unsigned in_flight;
    bool stopped;                   /* an item failed: send nothing more */
    int64_t end_pos;                /* last journal entry the batch looked at */
    zhashx_t *targets;              /* key -> commands in flight to it */
    uint16_t generation;            /* in the tags of its commands */
    int64_t dead_letter;            /* a retry: the dead letter's id, else 0 */
    uint8_t route[SHOAL_ROUTE_MAX]; /* a retry: whom to answer */
    size_t route_size;
} shoal_batch_t;

typedef enum { S_IDLE, S_RUNNING, S_BACKOFF } s_phase_t;

typedef struct s_policy {
    const shoal_policy_t *policy;
    uint8_t owner;                        /* its index */
    char prefix[SHOAL_TYPE_NAME_MAX + 2]; /* "source_type/" */
    size_t prefix_size;
    int64_t pos;       /* durable progress: entry pos ... */
    uint32_t index;    /* ... and events of it handled (UINT32_MAX: all) */
    bool offset_dirty; /* moved over entries with nothing to handle */
    s_phase_t phase;
    int64_t retry_at; /* zclock_mono, in S_BACKOFF */
    int64_t head_pos; /* the event that keeps failing, and how often */
    uint32_t head_index;
    uint32_t attempts;
    shoal_batch_t *batch;
    uint16_t generation;
    uint64_t handled, retries, dead_letters, rejected;
    char *last_error;
} s_policy_t;

/* A timer being fired. */
typedef struct {
    char *id;
    uint64_t tag; /* of its command in flight */
    uint32_t attempts;
    int64_t retry_at; /* zclock_mono; 0 while its command is in flight */
    bool in_flight;
} s_firing_t;

typedef struct s_reactor {
    shoal_reactor_args_t *args;
    const shoal_config_t *config;
    shoal_journal_t *journal; /* writable */
    shoal_reactions_t *store;
    zsock_t *dealer;   /* to the node's internal port */
    zsock_t *requests; /* PULL, from the main thread */
    zsock_t *answers;  /* PUSH, to the main thread */
    s_policy_t *policies;
    size_t policy_count;
    zhashx_t *topic_heads;   /* "topic/shard" -> last seq (as a pointer) */
    shoal_batch_t **retries; /* dead letters being retried */
    size_t retry_count;
    zhashx_t *firing; /* timer id -> s_firing_t */
    uint64_t next_timer_tag;
    zlistx_t *delivered_timers; /* ids to delete */
    int64_t timers_refreshed_at;
    int64_t next_due; /* earliest timer, INT64_MAX for none */
    bool timers_dirty;
    int64_t last_pos;         /* the journal's, as last seen */
    int64_t offsets_saved_at; /* zclock_mono */
    uint16_t retry_generation;
    uint64_t timers_fired, timer_failures, timers_pending;
    uint64_t published;
    int64_t stats_at;
} s_reactor_t;

/* --- reactor.c --- */

/* Sends a command through the internal port; its reply comes back to
 * shoal__reactor_policies_reply or shoal__reactor_timers_reply by the
 * owner byte of tag. Returns 0, or -1 when it could not be queued. */
int shoal__reactor_send(s_reactor_t *self, uint8_t owner, uint64_t tag,
                        const char *type, const char *entity_id,
                        const char *command, const char *command_id,
                        const void *payload, size_t payload_size);

/* Answers route with an error, as the main thread would. */
void shoal__reactor_reply_error(s_reactor_t *self, const uint8_t *route,
                                size_t route_size, const char *code,
                                const char *message);

/* Answers route with body frames (after the envelope). */
void shoal__reactor_answer_frames(s_reactor_t *self, const uint8_t *route,
                                  size_t route_size, const shoal_frame_t *body,
                                  size_t count);

/* Answers a status-socket route with OK and text. */
void shoal__reactor_reply_text(s_reactor_t *self, const uint8_t *route,
                               size_t route_size, const char *text);

/* The wait before retry number attempts (1, 2, ...) of something that
 * failed: policy_backoff_ms, doubling, at most 100 times that. */
int64_t shoal__reactor_backoff_ms(s_reactor_t *self, uint32_t attempts);

/* The node's clock. */
int64_t shoal__reactor_now_ms(s_reactor_t *self);

/* Resolves a type name for reactions. */
const shoal_type_t *shoal__reactor_find_type(void *arg, const char *name);

/* --- reactor_policies.c --- */

/* Loads the policies' offsets and the topics' heads. Returns 0 or -1. */
int shoal__reactor_policies_open(s_reactor_t *self, char **error);

/* Frees the policies' batches. */
void shoal__reactor_policies_close(s_reactor_t *self);

/* Moves every policy on as far as it can without waiting. */
void shoal__reactor_policies_step(s_reactor_t *self);

/* Takes the reply to a command a batch sent (tag without the owner
 * byte); error_text says why for S_REPLY_ERROR. */
void shoal__reactor_policies_reply(s_reactor_t *self, uint8_t owner,
                                   uint64_t tag, s_reply_t reply,
                                   const char *error_text);

/* Reloads the topics' heads (after a shard was imported). */
void shoal__reactor_policies_reload_topics(s_reactor_t *self);

/* Starts the retry of a dead letter; the reply goes to request's route. */
void shoal__reactor_policies_retry(s_reactor_t *self,
                                   const shoal_reactor_request_t *request);

/* Renders the policies' and topics' figures into object (JSON) and
 * metrics (Prometheus lines appended). */
void shoal__reactor_policies_stats(s_reactor_t *self, void *json_object,
                                   char **metrics);

/* --- reactor_timers.c --- */

/* Loads the timers' state. Returns 0 or -1. */
int shoal__reactor_timers_open(s_reactor_t *self, char **error);

/* Frees the timers' state. */
void shoal__reactor_timers_close(s_reactor_t *self);

/* Fires the timers that are due. */
void shoal__reactor_timers_step(s_reactor_t *self);

/* Takes the reply to a timer's command (tag without the owner byte). */
void shoal__reactor_timers_reply(s_reactor_t *self, uint64_t tag,
                                 s_reply_t reply, const char *error_text);

/* --- reactor_reads.c --- */

/* Serves a topic read. */
void shoal__reactor_serve_events(s_reactor_t *self,
                                 const shoal_reactor_request_t *request);

/* Serves a dead-letter listing. */
void shoal__reactor_serve_dead_letters(s_reactor_t *self,
                                       const shoal_reactor_request_t *request);

#endif
