/*
 * runtime/curve.c - CURVE certificate files and the socket options that
 * make a ZeroMQ socket a CURVE server or client.
 *
 * The files are parsed with zconfig rather than loaded with zcert_load:
 * zcert_load falls back from one file to its _secret companion and says
 * nothing about what is wrong, and an operator who named the wrong file
 * needs to be told which and why.
 */
#include "runtime/curve.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93 /* a draft option of libzmq 4.3 */
#endif

/* Sets *error to "path: reason", malloc'd. */
static void s_error(char **error, const char *path, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static void s_error(char **error, const char *path, const char *format, ...)
{
    char reason[256];
    va_list args;
    va_start(args, format);
    vsnprintf(reason, sizeof reason, format, args);
    va_end(args);
    free(*error);
    if (asprintf(error, "%s: %s", path, reason) < 0)
        *error = NULL;
}

/* A certificate is a few hundred bytes: a bigger file is not one. */
#define S_FILE_MAX 16384

/* Loads the certificate file at path as ZPL. Returns it (the caller's,
 * zconfig_destroy), or NULL with *error set. Reads the text first and
 * parses it with zconfig_chunk_load: zconfig_load leaks the file's handle
 * when the text is not valid ZPL (CZMQ 4.2.1). */
static zconfig_t *s_load_file(const char *path, char **error)
{
    struct stat status;
    if (stat(path, &status) < 0) {
        s_error(error, path, "cannot read: %s", strerror(errno));
        return NULL;
    }
    if (!S_ISREG(status.st_mode)) {
        s_error(error, path, "not a file");
        return NULL;
    }
    if (status.st_size > S_FILE_MAX) {
        s_error(error, path, "not a certificate: larger than %d bytes",
                S_FILE_MAX);
        return NULL;
    }
    FILE *file = fopen(path, "rb");
    if (!file) {
        s_error(error, path, "cannot read: %s", strerror(errno));
        return NULL;
    }
    char text[S_FILE_MAX];
    size_t size = fread(text, 1, sizeof text, file);
    bool failed = ferror(file);
    fclose(file);
    if (failed) {
        s_error(error, path, "cannot read: %s", strerror(EIO));
        return NULL;
    }
    zchunk_t *chunk = zchunk_new(text, size);
    zconfig_t *root = chunk ? zconfig_chunk_load(chunk) : NULL;
    zchunk_destroy(&chunk);
    memset(text, 0, size); /* it may hold a secret key */
    if (!root)
        s_error(error, path, "not a certificate: not valid ZPL");
    return root;
}

/* Reads the key called name ("public-key", "secret-key") of the curve
 * section into text and binary. Returns 0; -1 when it is missing (with
 * *error untouched) or -2 when it is not 40 Z85 characters (*error set). */
static int s_read_key(zconfig_t *root, const char *path, const char *name,
                      char text[SHOAL_CURVE_KEY_TEXT + 1], uint8_t binary[32],
                      char **error)
{
    char locator[32];
    snprintf(locator, sizeof locator, "curve/%s", name);
    const char *value = zconfig_get(root, locator, NULL);
    if (!value || !*value)
        return -1;
    if (strlen(value) != SHOAL_CURVE_KEY_TEXT ||
        !zmq_z85_decode(binary, value)) {
        s_error(error, path, "its %s is not 40 Z85 characters", name);
        return -2;
    }
    memcpy(text, value, SHOAL_CURVE_KEY_TEXT + 1);
    return 0;
}

/* True when the secret key is all zeros: zcert writes that in public
 * certificates. */
static bool s_is_zero(const uint8_t key[32])
{
    for (int i = 0; i < 32; i++)
        if (key[i])
            return false;
    return true;
}

zcert_t *shoal_curve_load_secret(const char *path, char **error)
{
    zconfig_t *root = s_load_file(path, error);
    if (!root)
        return NULL;
    char public_text[SHOAL_CURVE_KEY_TEXT + 1];
    char secret_text[SHOAL_CURVE_KEY_TEXT + 1];
    char derived[SHOAL_CURVE_KEY_TEXT + 1];
    uint8_t public_key[32], secret_key[32];
    zcert_t *cert = NULL;
    int rc =
        s_read_key(root, path, "public-key", public_text, public_key, error);
    if (rc == -1)
        s_error(error, path, "not a certificate: it has no curve public-key");
    if (rc < 0)
        goto out_free_root;
    rc = s_read_key(root, path, "secret-key", secret_text, secret_key, error);
    if (rc == -1 || (rc == 0 && s_is_zero(secret_key)))
        s_error(error, path,
                "holds no secret key: give the NAME.key_secret file, "
                "not the public NAME.key");
    if (rc < 0 || s_is_zero(secret_key))
        goto out_free_root;
    if (zmq_curve_public(derived, secret_text) < 0) {
        s_error(error, path, "cannot use CURVE: %s", zmq_strerror(errno));
        goto out_free_root;
    }
    if (strcmp(derived, public_text) != 0) {
        s_error(error, path, "its secret key does not match its public key");
        goto out_free_root;
    }
    cert = zcert_new_from(public_key, secret_key);
    if (!cert)
        s_error(error, path, "out of memory");
out_free_root:
    memset(secret_key, 0, sizeof secret_key);
    memset(secret_text, 0, sizeof secret_text);
    zconfig_destroy(&root);
    return cert;
}

int shoal_curve_load_public(const char *path,
                            char public_key[SHOAL_CURVE_KEY_TEXT + 1],
                            char **error)
{
    zconfig_t *root = s_load_file(path, error);
    if (!root)
        return -1;
    uint8_t binary[32];
    int rc = s_read_key(root, path, "public-key", public_key, binary, error);
    if (rc == -1)
        s_error(error, path, "not a certificate: it has no curve public-key");
    zconfig_destroy(&root);
    return rc < 0 ? -1 : 0;
}

bool shoal_curve_file_is_private(const char *path)
{
    struct stat status;
    return stat(path, &status) == 0 && (status.st_mode & 077) == 0;
}

/* Sets a socket option; returns 0 or -1 (errno). */
static int s_set(zsock_t *socket, int option, const void *value, size_t size)
{
    return zmq_setsockopt(zsock_resolve(socket), option, value, size);
}

int shoal_curve_make_server(zsock_t *socket, zcert_t *cert, const char *domain)
{
    int on = 1;
    if (s_set(socket, ZMQ_CURVE_SERVER, &on, sizeof on) < 0 ||
        s_set(socket, ZMQ_CURVE_SECRETKEY, zcert_secret_key(cert), 32) < 0 ||
        s_set(socket, ZMQ_CURVE_PUBLICKEY, zcert_public_key(cert), 32) < 0 ||
        s_set(socket, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) < 0)
        return -1;
    /* Defensive: without it libzmq lets every CURVE peer in when no ZAP
     * handler is bound. The node binds its handler first and keeps it
     * until the socket is closed, so an older libzmq is safe too. */
    (void)s_set(socket, ZMQ_ZAP_ENFORCE_DOMAIN, &on, sizeof on);
    return 0;
}

int shoal_curve_make_client(zsock_t *socket, zcert_t *cert,
                            const char *server_key)
{
    uint8_t server_binary[32];
    if (strlen(server_key) != SHOAL_CURVE_KEY_TEXT ||
        !zmq_z85_decode(server_binary, server_key)) {
        errno = EINVAL;
        return -1;
    }
    if (s_set(socket, ZMQ_CURVE_SERVERKEY, server_binary, 32) < 0 ||
        s_set(socket, ZMQ_CURVE_SECRETKEY, zcert_secret_key(cert), 32) < 0 ||
        s_set(socket, ZMQ_CURVE_PUBLICKEY, zcert_public_key(cert), 32) < 0)
        return -1;
    return 0;
}
