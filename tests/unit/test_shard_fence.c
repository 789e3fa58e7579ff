/*
 * tests/unit/test_shard_fence.c - the shard fence, and the journal writer
 * that checks it: a write of a shard this node does not own at the
 * write's epoch is handed back unwritten and fenced, while the other
 * writes of the same group commit are journaled.
 */
#include "actors/messages.h"
#include "runtime/journal_threads.h"
#include "runtime/pipes.h"
#include "runtime/shard_fence.h"
#include "temp_dir.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

Test(shard_fence, a_single_node_owns_every_shard_from_epoch_zero)
{
    shoal_shard_fence_t *fence = shoal_shard_fence_new(8, true);
    cr_assert_not_null(fence);
    cr_assert_eq(shoal_shard_fence_shards(fence), 8);
    for (uint32_t shard = 0; shard < 8; shard++) {
        cr_assert_eq(shoal_shard_fence_since(fence, shard), 0);
        cr_assert(shoal_shard_fence_admits(fence, shard, 0));
    }
    cr_assert_not(shoal_shard_fence_admits(fence, 8, 0), "out of range");
    shoal_shard_fence_destroy(&fence);
    cr_assert_null(fence);
}

Test(shard_fence, a_member_writes_a_shard_only_from_the_epoch_it_got_it)
{
    shoal_shard_fence_t *fence = shoal_shard_fence_new(4, false);
    cr_assert_not_null(fence);
    cr_assert_not(shoal_shard_fence_admits(fence, 2, 0), "no table yet");
    cr_assert_eq(shoal_shard_fence_since(fence, 2), SHOAL_SHARD_FENCE_CLOSED);
    shoal_shard_fence_open(fence, 2, 7);
    cr_assert_not(shoal_shard_fence_admits(fence, 2, 6), "earlier period");
    cr_assert(shoal_shard_fence_admits(fence, 2, 7));
    cr_assert(shoal_shard_fence_admits(fence, 2, 9));
    cr_assert_not(shoal_shard_fence_admits(fence, 1, 9), "other shard");
    shoal_shard_fence_close(fence, 2);
    cr_assert_not(shoal_shard_fence_admits(fence, 2, 9), "released");
    shoal_shard_fence_open(fence, 2, 12);
    cr_assert_not(shoal_shard_fence_admits(fence, 2, 9),
                  "a write of the earlier period stays refused");
    cr_assert(shoal_shard_fence_admits(fence, 2, 12));
    shoal_shard_fence_destroy(&fence);
}

/* A writer thread on a journal in a temporary folder, with one worker
 * endpoint the test reads the appends back from. */
static char *s_dir;
static shoal_journal_t *s_journal;
static shoal_shard_fence_t *s_fence;
static shoal_journal_stats_t s_stats;
static shoal_writer_args_t s_args;
static zsock_t *s_worker;  /* PULL: appends handed back */
static zsock_t *s_appends; /* PUSH: to the writer */
static zactor_t *s_writer;
static int s_node; /* its address names the inproc endpoints */

static void s_start_writer(void)
{
    s_dir = temp_dir_new();
    char path[512], *error = NULL;
    snprintf(path, sizeof path, "%s/journal.db", s_dir);
    s_journal = shoal_journal_open(path, SHOAL_DURABILITY_FAST, false, &error);
    cr_assert_not_null(s_journal, "%s", error);
    s_fence = shoal_shard_fence_new(4, false);
    cr_assert_not_null(s_fence);
    char endpoint[128];
    shoal_pipe_endpoint(endpoint, sizeof endpoint, &s_node, "worker", 0);
    s_worker = zsock_new_pull(endpoint); /* bind */
    cr_assert_not_null(s_worker);
    memset(&s_stats, 0, sizeof s_stats);
    s_args = (shoal_writer_args_t){.node = &s_node,
                                   .journal = s_journal,
                                   .workers = 1,
                                   .max_batch = 100,
                                   .checkpoint_ms = 60000,
                                   .stats = &s_stats,
                                   .fence = s_fence};
    s_writer = zactor_new(shoal_writer_actor, &s_args);
    cr_assert_not_null(s_writer);
    shoal_pipe_endpoint(endpoint, sizeof endpoint, &s_node, "journal", -1);
    s_appends = zsock_new(ZMQ_PUSH);
    cr_assert_eq(zsock_connect(s_appends, "%s", endpoint), 0);
}

static void s_stop_writer(void)
{
    zactor_destroy(&s_writer);
    zsock_destroy(&s_appends);
    zsock_destroy(&s_worker);
    shoal_shard_fence_destroy(&s_fence);
    shoal_journal_close(&s_journal);
    temp_dir_destroy(&s_dir);
}

/* Queues the append of one entry of entity (in shard) at epoch. */
static void s_submit(const char *entity, uint32_t shard, uint64_t epoch)
{
    shoal_journal_entry_t entry = {.shard = shard,
                                   .entity = entity,
                                   .first_seq = 1,
                                   .event_count = 1,
                                   .outcome = SHOAL_OUTCOME_ACCEPTED,
                                   .written_ms = 1,
                                   .reply = "",
                                   .events = (const uint8_t *)"e",
                                   .events_size = 1};
    shoal_append_t *append = shoal_append_new_entry(0, NULL, &entry);
    cr_assert_not_null(append);
    append->epoch = epoch;
    cr_assert_eq(shoal_pipe_send(s_appends, SHOAL_PIPE_APPEND, append, 0), 0);
}

/* Takes the next append the writer hands back. */
static shoal_append_t *s_handed_back(void)
{
    zsock_set_rcvtimeo(s_worker, 5000);
    void *pointer = NULL;
    cr_assert_eq(shoal_pipe_receive(s_worker, &pointer, 0), SHOAL_PIPE_APPEND,
                 "the writer hands every append back");
    return pointer;
}

Test(shard_fence, the_writer_refuses_a_stale_owners_writes_and_keeps_the_others,
     .init = s_start_writer, .fini = s_stop_writer)
{
    shoal_shard_fence_open(s_fence, 1, 5);
    /* Queued before the writer looks, so they may share a group commit. */
    s_submit("t/owned", 1, 5);
    s_submit("t/stale-epoch", 1, 4);
    s_submit("t/not-owned", 2, 9);
    s_submit("t/later-epoch", 1, 6);
    int written = 0, fenced = 0;
    for (int i = 0; i < 4; i++) {
        shoal_append_t *append = s_handed_back();
        bool refused = strcmp(append->entity_key, "t/stale-epoch") == 0 ||
                       strcmp(append->entity_key, "t/not-owned") == 0;
        cr_assert_eq(append->fenced, refused, "%s", append->entity_key);
        if (refused) {
            cr_assert_not_null(append->error);
            cr_assert_not_null(strstr(append->error, append->entity_key), "%s",
                               append->error);
            cr_assert_not_null(strstr(append->error, "shard"), "%s",
                               append->error);
            cr_assert_eq(append->entry.pos, 0, "never written");
            fenced++;
        } else {
            cr_assert_null(append->error, "%s", append->error);
            cr_assert_gt(append->entry.pos, 0);
            written++;
        }
        shoal_append_destroy(&append);
    }
    cr_assert_eq(written, 2);
    cr_assert_eq(fenced, 2);
    cr_assert_eq(atomic_load(&s_stats.fenced), 2);
    cr_assert_eq(atomic_load(&s_stats.entries), 2);
    /* The journal holds exactly the two admitted writes. */
    char *error = NULL;
    int64_t last = 0;
    cr_assert_eq(shoal_journal_last_pos(s_journal, &last, &error), 0, "%s",
                 error);
    cr_assert_eq(last, 2);
    for (int64_t pos = 1; pos <= 2; pos++) {
        shoal_journal_entry_t entry;
        cr_assert_eq(shoal_journal_read_entry(s_journal, pos, &entry, &error),
                     1, "%s", error);
        cr_assert(strcmp(entry.entity, "t/owned") == 0 ||
                      strcmp(entry.entity, "t/later-epoch") == 0,
                  "%s", entry.entity);
        shoal_journal_entry_clear(&entry);
    }
}

Test(shard_fence, a_released_shard_is_refused_until_opened_again,
     .init = s_start_writer, .fini = s_stop_writer)
{
    shoal_shard_fence_open(s_fence, 3, 2);
    s_submit("t/a", 3, 2);
    shoal_append_t *append = s_handed_back();
    cr_assert_not(append->fenced);
    shoal_append_destroy(&append);
    shoal_shard_fence_close(s_fence, 3); /* released for a handoff */
    s_submit("t/a", 3, 2);
    append = s_handed_back();
    cr_assert(append->fenced);
    cr_assert_not_null(strstr(append->error, "does not own shard 3"), "%s",
                       append->error);
    shoal_append_destroy(&append);
    shoal_shard_fence_open(s_fence, 3, 8); /* it came back later */
    s_submit("t/a", 3, 8);
    append = s_handed_back();
    cr_assert_not(append->fenced);
    cr_assert_null(append->error);
    shoal_append_destroy(&append);
}
