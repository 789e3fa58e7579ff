/*
 * runtime/cli/cli_keygen.c - `shoal keygen NAME [--dir DIR]`: writes a new
 * CURVE key pair as CZMQ certificates, NAME.key (public) and
 * NAME.key_secret (secret, mode 0600).
 *
 * Both files are created empty first with O_EXCL, the secret one with
 * mode 0600, so that an existing key is never overwritten and the secret
 * key is never readable by others, whatever the umask; zcert then writes
 * into them.
 */
#include "runtime/cli/cli.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#define S_NAME_MAX 64

/* True when name is 1..S_NAME_MAX of [A-Za-z0-9._-], not starting with
 * '.': a file name in DIR, never a path. */
static bool s_is_key_name(const char *name)
{
    size_t size = strlen(name);
    if (size == 0 || size > S_NAME_MAX || name[0] == '.')
        return false;
    return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789._-") == size;
}

/* Creates path empty with mode, failing when it exists. Returns 0, or -1
 * after saying why. */
static int s_create_empty(const char *path, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        fprintf(stderr, "shoal: keygen: %s: %s%s\n", path, strerror(errno),
                errno == EEXIST ? ": remove it or choose another NAME" : "");
        return -1;
    }
    /* the umask may have taken bits off the public file's mode */
    if (fchmod(fd, mode) < 0 || close(fd) < 0) {
        fprintf(stderr, "shoal: keygen: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Writes a new key pair into the two files. Returns 0 with the public key
 * in public_key, or -1 after saying why. */
static int s_write_pair(const char *name, const char *public_path,
                        const char *secret_path, char *public_key)
{
    zcert_t *cert = zcert_new();
    if (cert == NULL) {
        fprintf(stderr, "shoal: keygen: cannot make a key: %s\n",
                strerror(errno));
        return -1;
    }
    zcert_set_meta(cert, "name", "%s", name);
    int rc = 0;
    if (zcert_save_public(cert, public_path) != 0) {
        fprintf(stderr, "shoal: keygen: %s: cannot write\n", public_path);
        rc = -1;
    } else if (zcert_save_secret(cert, secret_path) != 0) {
        fprintf(stderr, "shoal: keygen: %s: cannot write\n", secret_path);
        rc = -1;
    }
    strcpy(public_key, zcert_public_txt(cert));
    zcert_destroy(&cert);
    return rc;
}

/* Writes DIR/NAME.key and DIR/NAME.key_secret. Returns the exit status. */
int cli_keygen_run(const cli_command_t *command, const cli_options_t *options)
{
    const char *name = options->args[0];
    const char *dir = options->dir != NULL ? options->dir : ".";
    if (!s_is_key_name(name))
        return cli_usage_error(command,
                               "invalid NAME '%s' (1 to %d letters, digits, "
                               "'.', '_' or '-', not starting with '.')",
                               name, S_NAME_MAX);
    char public_path[PATH_MAX], secret_path[PATH_MAX];
    if (snprintf(secret_path, sizeof secret_path, "%s/%s.key_secret", dir,
                 name) >= (int)sizeof secret_path)
        return cli_usage_error(command, "--dir '%s' is too long", dir);
    snprintf(public_path, sizeof public_path, "%s/%s.key", dir, name);

    if (s_create_empty(public_path, 0644) != 0)
        return CLI_EXIT_REJECTED;
    if (s_create_empty(secret_path, 0600) != 0) {
        unlink(public_path);
        return CLI_EXIT_REJECTED;
    }
    char public_key[41];
    if (s_write_pair(name, public_path, secret_path, public_key) != 0) {
        unlink(public_path);
        unlink(secret_path);
        return CLI_EXIT_REJECTED;
    }
    printf("wrote %s: the public certificate of %s (key %s); give it to "
           "the other side\n",
           public_path, name, public_key);
    printf("wrote %s: the secret certificate, mode 0600; keep it private\n",
           secret_path);
    return CLI_EXIT_OK;
}
