/*
 * runtime/security.c - turns the CURVE settings into a loaded key and a
 * running ZAP handler, with one log line per thing an operator should
 * know: CURVE on and how many clients may connect, a secret key others
 * can read, a client port open to the network without CURVE.
 */
#include "runtime/security.h"
#include "runtime/curve.h"
#include "runtime/endpoint.h"
#include "runtime/log.h"

#include <stdlib.h>

/* Sets *error to "SETTING: reason", malloc'd; takes reason. */
static void s_error(char **error, const char *setting, char *reason)
{
    free(*error);
    if (asprintf(error, "%s %s", setting, reason ? reason : "?") < 0)
        *error = NULL;
    free(reason);
}

static int s_start_client(shoal_security_t *self, const shoal_config_t *config,
                          char **error);

/* Loads the cluster key and admits its holders to the peer port. */
static int s_start_cluster(shoal_security_t *self, const shoal_config_t *config,
                           char **error)
{
    if (!config->cluster_key)
        return 0;
    char *reason = NULL;
    self->cluster_cert = shoal_curve_load_secret(config->cluster_key, &reason);
    if (!self->cluster_cert) {
        s_error(error, "cluster_key", reason);
        return -1;
    }
    if (!shoal_curve_file_is_private(config->cluster_key))
        shoal_log(SHOAL_LOG_WARN,
                  "cluster_key %s can be read by other users: chmod 600 it",
                  config->cluster_key);
    if (!self->auth && !(self->auth = shoal_curve_auth_new(error)))
        return -1;
    if (shoal_curve_auth_allow_key(
            self->auth, SHOAL_SECURITY_CLUSTER_DOMAIN, "cluster port",
            zcert_public_txt(self->cluster_cert), error) < 0)
        return -1;
    shoal_log(SHOAL_LOG_INFO, "cluster port: CURVE on with the cluster key %s",
              zcert_public_txt(self->cluster_cert));
    return 0;
}

int shoal_security_start(shoal_security_t *self, const shoal_config_t *config,
                         char **error)
{
    int rc = s_start_client(self, config, error);
    if (rc == 0 && s_start_cluster(self, config, error) < 0) {
        shoal_security_stop(self);
        return -1;
    }
    return rc;
}

int shoal_security_secure_cluster(shoal_security_t *self, zsock_t *server,
                                  char **error)
{
    if (!self->cluster_cert)
        return 0;
    if (shoal_curve_make_server(server, self->cluster_cert,
                                SHOAL_SECURITY_CLUSTER_DOMAIN) < 0) {
        free(*error);
        if (asprintf(error, "cluster port: cannot use CURVE: %s",
                     zmq_strerror(zmq_errno())) < 0)
            *error = NULL;
        return -1;
    }
    return shoal_curve_auth_watch(self->auth, server, "cluster port", error);
}

int shoal_security_cluster_client(const shoal_security_t *self, zsock_t *socket)
{
    if (!self->cluster_cert)
        return 0;
    return shoal_curve_make_client(socket, self->cluster_cert,
                                   zcert_public_txt(self->cluster_cert));
}

/* The client port's part of shoal_security_start. */
static int s_start_client(shoal_security_t *self, const shoal_config_t *config,
                          char **error)
{
    *self = (shoal_security_t){0};
    if (!config->curve_secret_key) {
        if (!shoal_endpoint_is_local(config->endpoint))
            shoal_log(SHOAL_LOG_WARN,
                      "client port %s is open to other machines without "
                      "CURVE: anyone who reaches it can send commands (set "
                      "curve_secret_key; see docs/SECURITY.md)",
                      config->endpoint);
        return 0;
    }
    char *reason = NULL;
    self->cert = shoal_curve_load_secret(config->curve_secret_key, &reason);
    if (!self->cert) {
        s_error(error, "curve_secret_key", reason);
        return -1;
    }
    if (!shoal_curve_file_is_private(config->curve_secret_key))
        shoal_log(SHOAL_LOG_WARN,
                  "curve_secret_key %s can be read by other users: "
                  "chmod 600 it",
                  config->curve_secret_key);
    self->auth = shoal_curve_auth_new(error);
    int count = self->auth ? shoal_curve_auth_allow(
                                 self->auth, SHOAL_SECURITY_CLIENT_DOMAIN,
                                 "client port", config->curve_clients, &reason)
                           : -1;
    if (count < 0) {
        if (self->auth)
            s_error(error, "curve_clients", reason);
        shoal_security_stop(self);
        return -1;
    }
    shoal_log(count ? SHOAL_LOG_INFO : SHOAL_LOG_WARN,
              "client port: CURVE on with key %s; %d client certificate%s in "
              "%s%s",
              zcert_public_txt(self->cert), count, count == 1 ? "" : "s",
              config->curve_clients,
              count ? "" : ": no client can connect until one is added");
    return 0;
}

int shoal_security_secure(shoal_security_t *self, zsock_t *server,
                          const char *domain, const char *what, char **error)
{
    if (!self->cert)
        return 0;
    if (shoal_curve_make_server(server, self->cert, domain) < 0) {
        free(*error);
        if (asprintf(error, "%s: cannot use CURVE: %s", what,
                     zmq_strerror(zmq_errno())) < 0)
            *error = NULL;
        return -1;
    }
    return shoal_curve_auth_watch(self->auth, server, what, error);
}

void shoal_security_stop(shoal_security_t *self)
{
    shoal_curve_auth_destroy(&self->auth);
    zcert_destroy(&self->cert);
    zcert_destroy(&self->cluster_cert);
}
