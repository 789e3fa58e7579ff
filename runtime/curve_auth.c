/*
 * runtime/curve_auth.c - the ZAP handler actor (RFC 27) that admits CURVE
 * peers by public key, one folder of certificates per ZAP domain.
 *
 * CZMQ's zauth does the same with one folder for every domain, and
 * reports a refusal only in its verbose mode, on stdout, over several
 * lines without the port; this handler keeps zcertstore (which reads a
 * folder again when it changes) and logs each refusal as one line with
 * the port, the peer's address and its key.
 *
 * Peers that fail the handshake before ZAP is asked (no CURVE at all, or
 * a hello encrypted to another server key) are seen through a socket
 * monitor of each watched server. Anyone can provoke a refusal, so at
 * most S_REFUSALS_LOGGED lines a minute are written, and then one that
 * counts those left out.
 *
 * The folders' zcertstores belong to the actor's thread: the caller
 * builds one and hands it over with the ALLOW command.
 */
#include "runtime/curve_auth.h"
#include "runtime/curve.h"
#include "runtime/log.h"
#include "runtime/rate_limit.h"

#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <stdarg.h>
#include <sys/stat.h>

#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define S_DOMAINS_MAX 8
#define S_WATCHES_MAX 8
#define S_REFUSALS_LOGGED 20
#define S_REFUSAL_WINDOW_MS 60000

struct shoal_curve_auth {
    zactor_t *actor;
    char *error; /* set by the actor when it cannot start */
};

/* The peers one ZAP domain admits. */
typedef struct {
    char *domain;
    char *what;      /* the port, for the log: "client port" */
    char *directory; /* the folder of public certificates */
    zcertstore_t *store;
} s_domain_t;

/* A server whose failed handshakes are logged. */
typedef struct {
    zsock_t *monitor; /* PAIR, connected to the server's monitor */
    char *what;
} s_watch_t;

/* The actor's state. */
typedef struct {
    zsock_t *pipe;
    zsock_t *handler; /* REP, bound at the ZAP endpoint */
    zpoller_t *poller;
    s_domain_t domains[S_DOMAINS_MAX];
    size_t domain_count;
    s_watch_t watches[S_WATCHES_MAX];
    size_t watch_count;
    shoal_rate_limit_t refusals; /* log lines about refused peers */
} s_self_t;

/* Sets *error to a formatted, malloc'd message. */
static void s_error(char **error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void s_error(char **error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    free(*error);
    if (vasprintf(error, format, args) < 0)
        *error = NULL;
    va_end(args);
}

/* ---------------------------------------------------------------------
 * The actor
 */

/* Answers one ZAP request; takes request_id. */
static void s_answer(s_self_t *self, zframe_t **request_id, const char *code,
                     const char *text, const char *user_id)
{
    zmsg_t *reply = zmsg_new();
    zmsg_addstr(reply, "1.0");
    if (*request_id)
        zmsg_append(reply, request_id);
    else
        zmsg_addmem(reply, NULL, 0); /* defensive: a request without one */
    zmsg_addstr(reply, code);
    zmsg_addstr(reply, text);
    zmsg_addstr(reply, user_id);
    zmsg_addmem(reply, NULL, 0); /* no metadata */
    zmsg_send(&reply, self->handler);
}

/* The domain called name, or NULL. */
static s_domain_t *s_find_domain(s_self_t *self, const char *name)
{
    for (size_t i = 0; i < self->domain_count; i++)
        if (streq(self->domains[i].domain, name))
            return &self->domains[i];
    return NULL;
}

/* Logs the count of refusals left out of the log once their minute has
 * passed or, when the handler stops, at once. */
static void s_log_dropped(s_self_t *self, bool stopping)
{
    uint64_t dropped =
        stopping ? self->refusals.dropped
                 : shoal_rate_limit_flush(&self->refusals, zclock_mono());
    if (dropped)
        shoal_log(SHOAL_LOG_WARN,
                  "%llu more refused connections were not logged (at most "
                  "%d a minute are)",
                  (unsigned long long)dropped, S_REFUSALS_LOGGED);
}

/* Logs one refused peer at WARN, within the limit of lines a minute. */
static void s_log_refusal(s_self_t *self, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void s_log_refusal(s_self_t *self, const char *format, ...)
{
    s_log_dropped(self, false);
    if (!shoal_rate_limit_take(&self->refusals, zclock_mono()))
        return;
    char line[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    shoal_log(SHOAL_LOG_WARN, "%s", line);
}

/* Decides on one peer: returns true to admit it, or false after logging
 * why it was refused. key is its public key in Z85, or "" when it did not
 * use CURVE. */
static bool s_decide(s_self_t *self, const char *domain_name,
                     const char *address, const char *mechanism,
                     const char *key)
{
    s_domain_t *domain = s_find_domain(self, domain_name);
    if (!domain) {
        s_log_refusal(self,
                      "ZAP domain '%s': refused %s key %s from %s: no "
                      "certificates are allowed in this domain",
                      domain_name, mechanism, *key ? key : "(none)", address);
        return false;
    }
    if (!streq(mechanism, "CURVE") || !*key) {
        s_log_refusal(self,
                      "%s: refused a %s connection from %s: only CURVE "
                      "is allowed",
                      domain->what, mechanism, address);
        return false;
    }
    zcert_t *cert = zcertstore_lookup(domain->store, key);
    if (!cert) {
        s_log_refusal(self, "%s: refused CURVE key %s from %s: not in %s",
                      domain->what, key, address, domain->directory);
        return false;
    }
    const char *name = zcert_meta(cert, "name");
    shoal_log(SHOAL_LOG_DEBUG, "%s: admitted CURVE key %s (%s) from %s",
              domain->what, key, name ? name : "no name", address);
    return true;
}

/* Reads one ZAP request and answers it: 200 to admit the peer, 400 to
 * refuse it. */
static void s_handle_request(s_self_t *self)
{
    zmsg_t *request = zmsg_recv(self->handler);
    if (!request)
        return; /* interrupted */
    bool complete = zmsg_size(request) >= 6;
    char *version = zmsg_popstr(request);
    zframe_t *request_id = zmsg_pop(request);
    char *domain = zmsg_popstr(request);
    char *address = zmsg_popstr(request);
    zframe_t *routing_id = zmsg_pop(request);
    char *mechanism = zmsg_popstr(request);
    zframe_t *credentials = zmsg_pop(request);
    char key[SHOAL_CURVE_KEY_TEXT + 1] = "";
    if (credentials && zframe_size(credentials) == 32)
        zmq_z85_encode(key, zframe_data(credentials), 32);
    if (!complete || !streq(version, "1.0")) {
        /* defensive: libzmq sends only well-formed requests */
        s_answer(self, &request_id, "500", "malformed ZAP request", "");
    } else if (s_decide(self, domain, address, mechanism, key))
        s_answer(self, &request_id, "200", "OK", key);
    else
        s_answer(self, &request_id, "400", "No access", "");
    zframe_destroy(&request_id);
    zframe_destroy(&routing_id);
    zframe_destroy(&credentials);
    zstr_free(&version);
    zstr_free(&domain);
    zstr_free(&address);
    zstr_free(&mechanism);
    zmsg_destroy(&request);
}

/* Handles ALLOW domain what directory store: files the store (taken) under
 * its domain, replacing an earlier one. Signals 0, or 1 when the table of
 * domains is full. */
static void s_handle_allow(s_self_t *self, zmsg_t *command)
{
    char *domain = zmsg_popstr(command);
    char *what = zmsg_popstr(command);
    char *directory = zmsg_popstr(command);
    zcertstore_t *store = NULL;
    zframe_t *pointer = zmsg_pop(command);
    if (pointer && zframe_size(pointer) == sizeof store)
        memcpy(&store, zframe_data(pointer), sizeof store);
    zframe_destroy(&pointer);
    assert(domain && what && directory && store);
    s_domain_t *entry = s_find_domain(self, domain);
    if (!entry && self->domain_count < S_DOMAINS_MAX)
        entry = &self->domains[self->domain_count++];
    if (!entry) {
        zcertstore_destroy(&store);
        zstr_free(&domain);
        zstr_free(&what);
        zstr_free(&directory);
        zsock_signal(self->pipe, 1);
        return;
    }
    zstr_free(&entry->domain);
    zstr_free(&entry->what);
    zstr_free(&entry->directory);
    zcertstore_destroy(&entry->store);
    *entry = (s_domain_t){domain, what, directory, store};
    zsock_signal(self->pipe, 0);
}

/* Handles WATCH endpoint what: connects to a server's monitor. Signals
 * 0, or 1 when it cannot. */
static void s_handle_watch(s_self_t *self, zmsg_t *command)
{
    char *endpoint = zmsg_popstr(command);
    char *what = zmsg_popstr(command);
    assert(endpoint && what);
    zsock_t *monitor = NULL;
    if (self->watch_count < S_WATCHES_MAX) {
        monitor = zsock_new(ZMQ_PAIR);
        if (monitor && zsock_connect(monitor, "%s", endpoint) < 0)
            zsock_destroy(&monitor);
    }
    zstr_free(&endpoint);
    if (!monitor) {
        zstr_free(&what);
        zsock_signal(self->pipe, 1);
        return;
    }
    self->watches[self->watch_count++] = (s_watch_t){monitor, what};
    zpoller_add(self->poller, monitor);
    zsock_signal(self->pipe, 0);
}

/* Logs one event of a watched server: a handshake that failed before ZAP
 * was asked. libzmq names the server's endpoint there, not the peer's.
 * A plaintext client is seen as one only when the node reads its
 * greeting before the client, having read the node's, hangs up. */
static void s_handle_event(s_self_t *self, s_watch_t *watch)
{
    zmsg_t *event = zmsg_recv(watch->monitor);
    zframe_t *head = event ? zmsg_first(event) : NULL;
    if (!head || zframe_size(head) != 6) {
        zmsg_destroy(&event);
        return; /* defensive: not a monitor event */
    }
    uint16_t kind;
    uint32_t value;
    memcpy(&kind, zframe_data(head), 2);
    memcpy(&value, zframe_data(head) + 2, 4);
    zmsg_destroy(&event);
    if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
        /* the peer hung up first: a plaintext client sometimes does */
        shoal_log(SHOAL_LOG_DEBUG,
                  "%s: a connection ended during the "
                  "handshake: %s",
                  watch->what, strerror((int)value));
        return;
    }
    if (kind != ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        return;
    if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        s_log_refusal(self,
                      "%s: refused a connection that does not use CURVE "
                      "(a client without --curve-key?)",
                      watch->what);
    else if (value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
        s_log_refusal(self,
                      "%s: refused a CURVE connection encrypted to another "
                      "server key (a client whose --server-key is not this "
                      "node's?)",
                      watch->what);
    else
        s_log_refusal(self,
                      "%s: refused a connection that broke the ZeroMQ "
                      "handshake (protocol error 0x%x)",
                      watch->what, (unsigned)value);
}

/* Handles one command from the pipe. Returns -1 on $TERM. */
static int s_handle_command(s_self_t *self)
{
    zmsg_t *command = zmsg_recv(self->pipe);
    if (!command)
        return -1;
    char *name = zmsg_popstr(command);
    int rc = 0;
    if (!name || streq(name, "$TERM"))
        rc = -1;
    else if (streq(name, "ALLOW"))
        s_handle_allow(self, command);
    else if (streq(name, "WATCH"))
        s_handle_watch(self, command);
    zstr_free(&name);
    zmsg_destroy(&command);
    return rc;
}

/* Frees the actor's state. */
static void s_self_clear(s_self_t *self)
{
    for (size_t i = 0; i < self->domain_count; i++) {
        zstr_free(&self->domains[i].domain);
        zstr_free(&self->domains[i].what);
        zstr_free(&self->domains[i].directory);
        zcertstore_destroy(&self->domains[i].store);
    }
    for (size_t i = 0; i < self->watch_count; i++) {
        zsock_destroy(&self->watches[i].monitor);
        zstr_free(&self->watches[i].what);
    }
    zpoller_destroy(&self->poller);
    zsock_destroy(&self->handler);
}

/* The actor: binds the ZAP endpoint, then answers requests and commands
 * until $TERM. */
static void s_actor(zsock_t *pipe, void *args)
{
    shoal_curve_auth_t *owner = args;
    s_self_t self = {.pipe = pipe};
    shoal_rate_limit_init(&self.refusals, S_REFUSALS_LOGGED,
                          S_REFUSAL_WINDOW_MS);
    self.handler = zsock_new(ZMQ_REP);
    if (!self.handler || zsock_bind(self.handler, S_ZAP_ENDPOINT) < 0) {
        s_error(&owner->error, "ZAP handler %s: cannot bind: %s",
                S_ZAP_ENDPOINT, zmq_strerror(zmq_errno()));
        s_self_clear(&self);
        zsock_signal(pipe, 1);
        /* zactor waits for $TERM before it lets the thread end */
        char *command = zstr_recv(pipe);
        zstr_free(&command);
        return;
    }
    zsock_signal(pipe, 0);
    self.poller = zpoller_new(pipe, self.handler, NULL);
    while (true) {
        int64_t wait = shoal_rate_limit_wait_ms(&self.refusals, zclock_mono());
        void *ready = zpoller_wait(self.poller, wait < 0 ? -1 : (int)wait);
        if (ready == self.handler)
            s_handle_request(&self);
        else if (ready == pipe) {
            if (s_handle_command(&self) < 0)
                break;
        } else if (zpoller_terminated(self.poller))
            break;
        for (size_t i = 0; i < self.watch_count; i++)
            if (ready == self.watches[i].monitor)
                s_handle_event(&self, &self.watches[i]);
        s_log_dropped(&self, false);
    }
    s_log_dropped(&self, true);
    s_self_clear(&self);
}

/* ---------------------------------------------------------------------
 * The caller's side
 */

shoal_curve_auth_t *shoal_curve_auth_new(char **error)
{
    shoal_curve_auth_t *self = calloc(1, sizeof *self);
    assert(self);
    self->actor = zactor_new(s_actor, self);
    if (!self->actor || self->error) {
        s_error(error, "%s",
                self->error ? self->error : "ZAP handler: cannot start");
        shoal_curve_auth_destroy(&self);
    }
    return self;
}

/* True when name ends with "_secret", as zcertstore's rule. */
static bool s_is_secret_name(const char *name)
{
    size_t size = strlen(name);
    return size >= 7 && streq(name + size - 7, "_secret");
}

/* Counts the certificates zcertstore would load from directory, warning
 * about secret key files there. Returns the count. */
static int s_count_certificates(const char *directory)
{
    zdir_t *dir = zdir_new(directory, NULL);
    if (!dir)
        return 0;
    zfile_t **files = zdir_flatten(dir);
    int count = 0;
    for (size_t i = 0; files && files[i]; i++) {
        const char *path = zfile_filename(files[i], NULL);
        if (!zfile_is_regular(files[i]))
            continue;
        if (s_is_secret_name(path)) {
            shoal_log(SHOAL_LOG_WARN,
                      "%s holds a secret key: only public certificates "
                      "belong in a folder of allowed peers; move it out",
                      path);
            continue;
        }
        char key[SHOAL_CURVE_KEY_TEXT + 1];
        char *reason = NULL;
        if (shoal_curve_load_public(path, key, &reason) == 0)
            count++;
        else
            shoal_log(SHOAL_LOG_WARN, "%s: skipped", reason ? reason : path);
        free(reason);
    }
    zdir_flatten_free(&files);
    zdir_destroy(&dir);
    return count;
}

int shoal_curve_auth_allow(shoal_curve_auth_t *self, const char *domain,
                           const char *what, const char *directory,
                           char **error)
{
    assert(self && domain && what && directory);
    struct stat status;
    DIR *listing = NULL;
    const char *reason = NULL;
    if (stat(directory, &status) < 0)
        reason = strerror(errno);
    else if (!S_ISDIR(status.st_mode))
        reason = "not a folder";
    else if (!(listing = opendir(directory)))
        reason = strerror(errno);
    if (reason) {
        s_error(error, "%s: cannot read the folder: %s", directory, reason);
        return -1;
    }
    closedir(listing);
    int count = s_count_certificates(directory);
    zcertstore_t *store = zcertstore_new(directory);
    if (!store) {
        s_error(error, "%s: out of memory", directory);
        return -1;
    }
    zmsg_t *command = zmsg_new();
    zmsg_addstr(command, "ALLOW");
    zmsg_addstr(command, domain);
    zmsg_addstr(command, what);
    zmsg_addstr(command, directory);
    zmsg_addmem(command, &store, sizeof store);
    zmsg_send(&command, self->actor);
    if (zsock_wait(self->actor) != 0) {
        s_error(error, "%s: too many ZAP domains", directory);
        return -1;
    }
    return count;
}

int shoal_curve_auth_allow_key(shoal_curve_auth_t *self, const char *domain,
                               const char *what, const char *public_txt,
                               char **error)
{
    assert(self && domain && what && public_txt);
    uint8_t public_key[32], secret_key[32] = {0};
    if (strlen(public_txt) != 40 || !zmq_z85_decode(public_key, public_txt)) {
        s_error(error, "%s: not a CURVE public key", what);
        return -1;
    }
    zcert_t *cert = zcert_new_from(public_key, secret_key);
    zcertstore_t *store = zcertstore_new(NULL);
    if (!cert || !store) {
        zcert_destroy(&cert);
        zcertstore_destroy(&store);
        s_error(error, "%s: out of memory", what);
        return -1;
    }
    zcertstore_insert(store, &cert);
    zmsg_t *command = zmsg_new();
    zmsg_addstr(command, "ALLOW");
    zmsg_addstr(command, domain);
    zmsg_addstr(command, what);
    zmsg_addstr(command, "(the cluster key)");
    zmsg_addmem(command, &store, sizeof store);
    zmsg_send(&command, self->actor);
    if (zsock_wait(self->actor) != 0) {
        s_error(error, "%s: too many ZAP domains", what);
        return -1;
    }
    return 0;
}

int shoal_curve_auth_watch(shoal_curve_auth_t *self, zsock_t *server,
                           const char *what, char **error)
{
    assert(self && server && what);
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "inproc://shoal-curve-watch-%p",
             (void *)server);
    if (zmq_socket_monitor(zsock_resolve(server), endpoint,
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) < 0) {
        s_error(error, "%s: cannot watch its handshakes: %s", what,
                zmq_strerror(zmq_errno()));
        return -1;
    }
    zstr_sendx(self->actor, "WATCH", endpoint, what, NULL);
    if (zsock_wait(self->actor) != 0) {
        zmq_socket_monitor(zsock_resolve(server), NULL, 0);
        s_error(error, "%s: cannot watch its handshakes", what);
        return -1;
    }
    return 0;
}

void shoal_curve_auth_destroy(shoal_curve_auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    shoal_curve_auth_t *self = *self_p;
    zactor_destroy(&self->actor);
    free(self->error);
    free(self);
    *self_p = NULL;
}
