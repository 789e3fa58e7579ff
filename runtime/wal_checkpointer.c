/*
 * runtime/wal_checkpointer.c - the WAL checkpointer thread.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that crosses the
 * threshold: the writer would copy pages and fsync the database file
 * while every command of the next group waits. Here the writer's handle
 * has automatic checkpoints off and this thread runs passive checkpoints
 * on a handle of its own, beside the writer (WAL allows it).
 */
#include "runtime/journal_threads.h"
#include "runtime/log.h"

void shoal_wal_checkpointer_actor(zsock_t *pipe, void *raw_args)
{
    shoal_wal_checkpointer_args_t *args = raw_args;
    zsock_signal(pipe, 0);
    zpoller_t *poller = zpoller_new(pipe, NULL);
    bool warned = false;
    while (true) {
        zsock_t *which = zpoller_wait(poller, args->interval_ms);
        if (which == pipe) {
            char *command = zstr_recv(pipe);
            bool stop = !command || streq(command, "$TERM");
            zstr_free(&command);
            if (stop)
                break;
            continue;
        }
        if (zpoller_terminated(poller))
            break;
        int wal_pages = 0;
        char *error = NULL;
        if (shoal_journal_checkpoint_wal(args->journal, false, &wal_pages, NULL,
                                         &error) < 0) {
            if (!warned)
                shoal_log(SHOAL_LOG_WARN, "journal: %s", error);
            warned = true;
            free(error);
            continue;
        }
        warned = false;
        atomic_store(&args->stats->wal_pages, (uint64_t)wal_pages);
        atomic_fetch_add(&args->stats->wal_checkpoints, 1);
    }
    zpoller_destroy(&poller);
    char *error = NULL;
    if (shoal_journal_checkpoint_wal(args->journal, true, NULL, NULL, &error) <
        0) {
        shoal_log(SHOAL_LOG_WARN, "journal: final %s", error);
        free(error);
    }
}
