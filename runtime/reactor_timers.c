/*
 * runtime/reactor_timers.c - durable timers: the commands policies
 * schedule, fired once the node's clock reaches their time.
 *
 * A timer stays in the journal until its command has an outcome (accepted
 * or rejected); then it is deleted. Its command id is the timer's id, so
 * firing it again after a crash is deduplicated by the target. A timer
 * that falls due while the node is down fires as soon as it is up. A
 * command that fails (busy, unavailable, internal) is fired again with
 * backoff.
 */
#include "runtime/log.h"
#include "runtime/reactor_internal.h"

#include <inttypes.h>

/* Most timers fired in one step. */
#define S_FIRE_MAX 256

/* Frees a firing entry (zhashx destructor). */
static void s_firing_destroy(void **item_p)
{
    s_firing_t *firing = *item_p;
    if (firing) {
        free(firing->id);
        free(firing);
        *item_p = NULL;
    }
}

/* Looks up the earliest due time and the number of timers. */
static void s_refresh(s_reactor_t *self)
{
    char *error = NULL;
    int64_t due = INT64_MAX;
    int found = shoal_reactions_next_due(self->store, &due, &error);
    uint64_t count = 0;
    if (found < 0 ||
        shoal_reactions_timer_count(self->store, &count, &error) < 0) {
        shoal_log(SHOAL_LOG_ERROR, "timers: %s", error);
        free(error);
        return;
    }
    self->next_due = found == 1 ? due : INT64_MAX;
    self->timers_pending = count;
    self->timers_dirty = false;
}

int shoal__reactor_timers_open(s_reactor_t *self, char **error)
{
    (void)error;
    self->firing = zhashx_new();
    assert(self->firing);
    zhashx_set_destructor(self->firing, s_firing_destroy);
    self->delivered_timers = zlistx_new();
    assert(self->delivered_timers);
    zlistx_set_destructor(self->delivered_timers,
                          (zlistx_destructor_fn *)zstr_free);
    s_refresh(self);
    return 0;
}

void shoal__reactor_timers_close(s_reactor_t *self)
{
    zhashx_destroy(&self->firing);
    zlistx_destroy(&self->delivered_timers);
}

/* Fires one due timer unless it is in flight or waiting to retry. */
static int s_fire(const shoal_timer_row_t *timer, void *arg)
{
    s_reactor_t *self = arg;
    s_firing_t *firing = zhashx_lookup(self->firing, timer->id);
    if (firing && (firing->in_flight || zclock_mono() < firing->retry_at))
        return 0;
    if (!firing) {
        firing = calloc(1, sizeof *firing);
        assert(firing);
        firing->id = strdup(timer->id);
        assert(firing->id);
        zhashx_insert(self->firing, timer->id, firing);
    }
    firing->tag = ++self->next_timer_tag;
    if (shoal__reactor_send(self, S_OWNER_TIMER, firing->tag, timer->type,
                            timer->entity_id, timer->command, timer->id,
                            timer->payload, timer->payload_size) < 0) {
        firing->retry_at = zclock_mono() + 1000;
        return 0;
    }
    firing->in_flight = true;
    return 0;
}

/* Deletes the timers whose commands were delivered, in one transaction. */
static void s_delete_delivered(s_reactor_t *self)
{
    if (zlistx_size(self->delivered_timers) == 0)
        return;
    char *error = NULL;
    int rc = shoal_journal_begin(self->journal, &error);
    for (char *id = zlistx_first(self->delivered_timers); rc == 0 && id;
         id = zlistx_next(self->delivered_timers))
        rc = shoal_reactions_delete_timer(self->store, id, &error) < 0 ? -1 : 0;
    if (rc == 0)
        rc = shoal_journal_commit(self->journal, &error);
    if (rc < 0) {
        shoal_journal_rollback(self->journal);
        shoal_log(SHOAL_LOG_WARN,
                  "timers: cannot delete fired timers (they will fire "
                  "again, deduplicated): %s",
                  error ? error : "out of memory");
        free(error);
        return;
    }
    for (char *id = zlistx_first(self->delivered_timers); id;
         id = zlistx_next(self->delivered_timers))
        zhashx_delete(self->firing, id);
    zlistx_purge(self->delivered_timers);
    self->timers_dirty = true;
}

void shoal__reactor_timers_step(s_reactor_t *self)
{
    s_delete_delivered(self);
    int64_t mono = zclock_mono();
    if (self->timers_dirty || mono - self->timers_refreshed_at >= 1000) {
        self->timers_refreshed_at = mono;
        s_refresh(self);
    }
    int64_t now = shoal__reactor_now_ms(self);
    if (self->next_due > now)
        return;
    char *error = NULL;
    if (shoal_reactions_due_timers(self->store, now, S_FIRE_MAX, s_fire, self,
                                   &error) < 0) {
        shoal_log(SHOAL_LOG_ERROR, "timers: %s", error);
        free(error);
    }
}

void shoal__reactor_timers_reply(s_reactor_t *self, uint64_t tag,
                                 s_reply_t reply, const char *error_text)
{
    s_firing_t *firing = zhashx_first(self->firing);
    while (firing && !(firing->in_flight && firing->tag == tag))
        firing = zhashx_next(self->firing);
    if (!firing)
        return; /* defensive: no such timer in flight */
    firing->in_flight = false;
    if (reply != S_REPLY_ERROR) {
        self->timers_fired++;
        char *id = strdup(firing->id);
        assert(id);
        zlistx_add_end(self->delivered_timers, id);
        firing->retry_at = INT64_MAX; /* until it is deleted */
        return;
    }
    self->timer_failures++;
    firing->attempts++;
    firing->retry_at =
        zclock_mono() + shoal__reactor_backoff_ms(self, firing->attempts);
    shoal_log(SHOAL_LOG_WARN, "timer %s: its command failed (attempt %u): %s",
              firing->id, firing->attempts, error_text);
}
