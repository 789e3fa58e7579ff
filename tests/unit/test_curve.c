/*
 * tests/unit/test_curve.c - CURVE key files and sockets
 * (runtime/curve.c) and the ZAP handler (runtime/curve_auth.c), in one
 * process: which files load and the reasons given for those that do not,
 * and a CURVE server that admits the keys of its domain's folder only.
 */
#include "runtime/curve.h"
#include "runtime/curve_auth.h"
#include "tests/unit/temp_dir.h"

#include <criterion/criterion.h>
#include <czmq.h>
#include <string.h>
#include <sys/stat.h>

static char *s_dir;
static char *s_error;

static void s_setup(void)
{
    s_dir = temp_dir_new();
}

static void s_teardown(void)
{
    free(s_error);
    s_error = NULL;
    temp_dir_destroy(&s_dir);
}

TestSuite(curve, .init = s_setup, .fini = s_teardown);

/* Saves a new key pair as s_dir/NAME.key and NAME.key_secret; returns
 * the certificate (the caller's). */
static zcert_t *s_save_pair(const char *name)
{
    zcert_t *cert = zcert_new();
    cr_assert_not_null(cert);
    char *path = temp_dir_file(s_dir, name);
    char *file = NULL;
    cr_assert_geq(asprintf(&file, "%s.key", path), 0);
    cr_assert_eq(zcert_save(cert, file), 0);
    free(file);
    free(path);
    return cert;
}

/* The path s_dir/name (malloc'd). */
static char *s_path(const char *name)
{
    return temp_dir_file(s_dir, name);
}

/* Writes text to s_dir/name; returns its path (malloc'd). */
static char *s_write(const char *name, const char *text)
{
    char *path = s_path(name);
    FILE *file = fopen(path, "w");
    cr_assert_not_null(file);
    fputs(text, file);
    cr_assert_eq(fclose(file), 0);
    return path;
}

/* Asserts the last error names path and mentions reason. */
static void s_assert_error(const char *path, const char *reason)
{
    cr_assert_not_null(s_error);
    cr_assert(strncmp(s_error, path, strlen(path)) == 0, "%s", s_error);
    cr_assert(strstr(s_error, reason), "'%s' not in: %s", reason, s_error);
}

/* ---------------------------------------------------------------------
 * Key files
 */

Test(curve, a_secret_certificate_loads_with_both_keys)
{
    zcert_t *saved = s_save_pair("node");
    char *path = s_path("node.key_secret");
    zcert_t *loaded = shoal_curve_load_secret(path, &s_error);
    cr_assert_not_null(loaded, "%s", s_error);
    cr_assert_str_eq(zcert_public_txt(loaded), zcert_public_txt(saved));
    cr_assert_str_eq(zcert_secret_txt(loaded), zcert_secret_txt(saved));
    zcert_destroy(&loaded);
    zcert_destroy(&saved);
    free(path);
}

Test(curve, a_missing_file_is_named_with_the_reason)
{
    char *path = s_path("absent.key_secret");
    cr_assert_null(shoal_curve_load_secret(path, &s_error));
    s_assert_error(path, "No such file or directory");
    free(path);
}

Test(curve, a_folder_is_not_a_certificate)
{
    cr_assert_null(shoal_curve_load_secret(s_dir, &s_error));
    s_assert_error(s_dir, "not a file");
}

Test(curve, the_public_half_is_not_a_secret_key)
{
    /* Even with the secret file beside it, the file named is the one
     * read. */
    zcert_t *saved = s_save_pair("node");
    char *path = s_path("node.key");
    cr_assert_null(shoal_curve_load_secret(path, &s_error));
    s_assert_error(path, "no secret key");
    zcert_destroy(&saved);
    free(path);
}

Test(curve, a_file_without_a_curve_section_is_not_a_certificate)
{
    char *path = s_write("other.key_secret", "metadata\n    name = \"x\"\n");
    cr_assert_null(shoal_curve_load_secret(path, &s_error));
    s_assert_error(path, "no curve public-key");
    free(path);
}

Test(curve, text_that_is_not_zpl_is_not_a_certificate)
{
    char *path = s_write("binary.key_secret", "\x7f"
                                              "ELF = = =\n\tfoo\n");
    cr_assert_null(shoal_curve_load_secret(path, &s_error));
    s_assert_error(path, "not valid ZPL");
    free(path);
}

Test(curve, keys_must_be_40_z85_characters)
{
    char *path = s_write("short.key_secret", "curve\n    public-key = \"abc\"\n"
                                             "    secret-key = \"abc\"\n");
    cr_assert_null(shoal_curve_load_secret(path, &s_error));
    s_assert_error(path, "public-key is not 40 Z85 characters");
    free(path);

    /* '"' and ' ' are not Z85: 40 characters, but not a key. */
    path = s_write("bad.key", "curve\n    public-key = "
                              "\"                                        \"\n");
    char key[SHOAL_CURVE_KEY_TEXT + 1];
    cr_assert_eq(shoal_curve_load_public(path, key, &s_error), -1);
    s_assert_error(path, "not 40 Z85 characters");
    free(path);
}

Test(curve, a_secret_key_must_match_its_public_key)
{
    zcert_t *one = zcert_new();
    zcert_t *other = zcert_new();
    char text[256];
    snprintf(text, sizeof text,
             "curve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n",
             zcert_public_txt(one), zcert_secret_txt(other));
    char *path = s_write("mixed.key_secret", text);
    cr_assert_null(shoal_curve_load_secret(path, &s_error));
    s_assert_error(path, "does not match");
    zcert_destroy(&one);
    zcert_destroy(&other);
    free(path);
}

Test(curve, the_public_key_reads_from_either_file)
{
    zcert_t *saved = s_save_pair("alice");
    char key[SHOAL_CURVE_KEY_TEXT + 1];
    char *path = s_path("alice.key");
    cr_assert_eq(shoal_curve_load_public(path, key, &s_error), 0, "%s",
                 s_error);
    cr_assert_str_eq(key, zcert_public_txt(saved));
    free(path);
    path = s_path("alice.key_secret");
    cr_assert_eq(shoal_curve_load_public(path, key, &s_error), 0, "%s",
                 s_error);
    cr_assert_str_eq(key, zcert_public_txt(saved));
    free(path);
    zcert_destroy(&saved);
}

Test(curve, a_private_file_is_one_only_its_owner_can_open)
{
    char *path = s_write("file", "x");
    cr_assert_eq(chmod(path, 0600), 0);
    cr_assert(shoal_curve_file_is_private(path));
    cr_assert_eq(chmod(path, 0640), 0);
    cr_assert_not(shoal_curve_file_is_private(path));
    cr_assert_eq(chmod(path, 0604), 0);
    cr_assert_not(shoal_curve_file_is_private(path));
    free(path);
    path = s_path("absent");
    cr_assert_not(shoal_curve_file_is_private(path));
    free(path);
}

/* ---------------------------------------------------------------------
 * A CURVE server behind the ZAP handler, in process
 */

/* A ROUTER made a CURVE server with cert in domain, bound on an
 * ephemeral port; its endpoint in *endpoint (the caller's). */
static zsock_t *s_server(zcert_t *cert, const char *domain, char **endpoint)
{
    zsock_t *server = zsock_new(ZMQ_ROUTER);
    cr_assert_not_null(server);
    zsock_set_linger(server, 0);
    cr_assert_eq(shoal_curve_make_server(server, cert, domain), 0);
    cr_assert_geq(zsock_bind(server, "tcp://127.0.0.1:*"), 0);
    *endpoint = zsock_last_endpoint(server);
    return server;
}

/* True when a DEALER with the keys of client (NULL: plaintext), trusting
 * server_key, gets its message "hi" through to server within 1 s. */
static bool s_gets_in(zsock_t *server, const char *endpoint, zcert_t *client,
                      const char *server_key)
{
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    cr_assert_not_null(dealer);
    zsock_set_linger(dealer, 0);
    if (client)
        cr_assert_eq(shoal_curve_make_client(dealer, client, server_key), 0);
    cr_assert_eq(zsock_connect(dealer, "%s", endpoint), 0);
    cr_assert_eq(zstr_send(dealer, "hi"), 0);
    zsock_set_rcvtimeo(server, 1000);
    zmsg_t *message = zmsg_recv(server);
    bool arrived = message != NULL;
    zmsg_destroy(&message);
    zsock_destroy(&dealer);
    return arrived;
}

Test(curve, the_zap_handler_admits_the_keys_of_the_folder_only)
{
    zcert_t *node = zcert_new();
    zcert_t *alice = s_save_pair("alice"); /* in s_dir: allowed */
    zcert_t *mallory = zcert_new();        /* saved nowhere */
    shoal_curve_auth_t *auth = shoal_curve_auth_new(&s_error);
    cr_assert_not_null(auth, "%s", s_error);
    cr_assert_eq(
        shoal_curve_auth_allow(auth, "client", "client port", s_dir, &s_error),
        1, "%s", s_error ? s_error : "count");

    char *endpoint = NULL;
    zsock_t *server = s_server(node, "client", &endpoint);
    const char *node_key = zcert_public_txt(node);
    cr_assert(s_gets_in(server, endpoint, alice, node_key));
    cr_assert_not(s_gets_in(server, endpoint, mallory, node_key));
    cr_assert_not(s_gets_in(server, endpoint, NULL, NULL));
    cr_assert_not(s_gets_in(server, endpoint, alice, zcert_public_txt(alice)));

    zsock_destroy(&server);
    zstr_free(&endpoint);
    shoal_curve_auth_destroy(&auth);
    cr_assert_null(auth);
    zcert_destroy(&node);
    zcert_destroy(&alice);
    zcert_destroy(&mallory);
}

Test(curve, a_domain_nobody_allowed_admits_no_one)
{
    zcert_t *node = zcert_new();
    zcert_t *alice = s_save_pair("alice");
    shoal_curve_auth_t *auth = shoal_curve_auth_new(&s_error);
    cr_assert_not_null(auth, "%s", s_error);
    cr_assert_eq(
        shoal_curve_auth_allow(auth, "client", "client port", s_dir, &s_error),
        1);
    char *endpoint = NULL;
    zsock_t *server = s_server(node, "cluster", &endpoint);
    cr_assert_not(s_gets_in(server, endpoint, alice, zcert_public_txt(node)));
    zsock_destroy(&server);
    zstr_free(&endpoint);
    shoal_curve_auth_destroy(&auth);
    zcert_destroy(&node);
    zcert_destroy(&alice);
}

Test(curve, allow_names_a_folder_it_cannot_read)
{
    shoal_curve_auth_t *auth = shoal_curve_auth_new(&s_error);
    cr_assert_not_null(auth, "%s", s_error);
    char *path = s_path("absent");
    cr_assert_eq(
        shoal_curve_auth_allow(auth, "client", "client port", path, &s_error),
        -1);
    s_assert_error(path, "No such file or directory");
    free(path);

    path = s_write("file", "x");
    cr_assert_eq(
        shoal_curve_auth_allow(auth, "client", "client port", path, &s_error),
        -1);
    s_assert_error(path, "not a folder");
    free(path);
    shoal_curve_auth_destroy(&auth);
}

Test(curve, only_one_zap_handler_per_process)
{
    shoal_curve_auth_t *first = shoal_curve_auth_new(&s_error);
    cr_assert_not_null(first, "%s", s_error);
    shoal_curve_auth_t *second = shoal_curve_auth_new(&s_error);
    cr_assert_null(second);
    cr_assert(strstr(s_error, "zeromq.zap.01"), "%s", s_error);
    shoal_curve_auth_destroy(&first);
    shoal_curve_auth_destroy(&first); /* NULL-safe */
}
