/*
 * runtime/reader.c - the journal reader thread: loads the snapshot and
 * entries of recovering entities on its own read-only connection, so that
 * recoveries neither wait for nor delay the writer (WAL lets them run
 * side by side) and workers keep serving other entities meanwhile.
 */
#include "runtime/journal_threads.h"
#include "actors/messages.h"
#include "runtime/log.h"
#include "runtime/pipes.h"

#include <pthread.h>

#define S_BATCH_MAX 256

/* Loads the recoveries waiting, up to a batch, in one read transaction,
 * and hands each back to its worker. The batch is taken whole before the
 * transaction starts: every head it asks for was committed before the
 * request was sent, so the transaction's snapshot holds it. */
static void s_load_batch(shoal_journal_t *journal, zsock_t *input,
                         zsock_t **workers)
{
    shoal_recovery_t *batch[S_BATCH_MAX];
    size_t count = 0;
    void *pointer;
    while (count < S_BATCH_MAX &&
           shoal_pipe_receive(input, &pointer, ZMQ_DONTWAIT) ==
               SHOAL_PIPE_RECOVERY)
        batch[count++] = pointer;
    if (count == 0)
        return;
    char *error = NULL;
    bool in_transaction = shoal_journal_begin_read(journal, &error) == 0;
    if (!in_transaction) {
        shoal_log(SHOAL_LOG_WARN, "journal reader: %s", error);
        free(error); /* each read then runs on its own */
    }
    shoal_recovery_load_batch(batch, count, journal);
    if (in_transaction)
        shoal_journal_end_read(journal);
    for (size_t i = 0; i < count; i++) {
        if (batch[i]->error)
            shoal_log(SHOAL_LOG_ERROR, "recovery of %s: %s", batch[i]->key,
                      batch[i]->error);
        shoal_pipe_send(workers[batch[i]->worker], SHOAL_PIPE_RECOVERY,
                        batch[i], 0);
    }
}

void shoal_reader_actor(zsock_t *pipe, void *raw_args)
{
    shoal_reader_args_t *args = raw_args;
    char name[16];
    snprintf(name, sizeof name, "shoal-reader%u", args->index);
    pthread_setname_np(pthread_self(), name);
    shoal_journal_t *journal = args->journal;
    char endpoint[128];
    shoal_pipe_endpoint(endpoint, sizeof endpoint, args->node, "reader",
                        (int)args->index);
    zsock_t *input = zsock_new(ZMQ_PULL);
    zsock_set_rcvhwm(input, 0);
    int bound = zsock_bind(input, "%s", endpoint);
    assert(bound == 0);
    (void)bound;
    zsock_t **workers = calloc(args->workers, sizeof *workers);
    for (uint32_t i = 0; i < args->workers; i++) {
        shoal_pipe_endpoint(endpoint, sizeof endpoint, args->node, "worker",
                            (int)i);
        workers[i] = zsock_new(ZMQ_PUSH);
        zsock_set_sndhwm(workers[i], 0);
        zsock_connect(workers[i], "%s", endpoint);
    }
    zsock_signal(pipe, 0);

    zpoller_t *poller = zpoller_new(pipe, input, NULL);
    while (true) {
        zsock_t *which = zpoller_wait(poller, -1);
        if (which == pipe || !which) {
            char *command = which ? zstr_recv(pipe) : NULL;
            bool stop = !command || streq(command, "$TERM");
            zstr_free(&command);
            if (stop || zpoller_terminated(poller))
                break;
            continue;
        }
        s_load_batch(journal, input, workers);
    }
    zpoller_destroy(&poller);
    for (uint32_t i = 0; i < args->workers; i++)
        zsock_destroy(&workers[i]);
    free(workers);
    zsock_destroy(&input);
}
