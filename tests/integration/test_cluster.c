/*
 * tests/integration/test_cluster.c - three shoald processes on loopback as
 * one cluster: any member accepts any command and routes it to the owner
 * of its shard; a member killed with kill -9 makes its shards answer
 * unavailable while the others keep serving, and is whole again after a
 * restart; a member cut off from the others stops serving; a node whose
 * settings differ is refused; a forward to a member that does not own the
 * shard is refused.
 */
#include "cluster_helpers.h"

#include <fcntl.h>
#include <sys/stat.h>

#define MEMBERS 3

static char *s_dir;
static node_process_t *s_nodes[MEMBERS];
static const char *s_names[MEMBERS] = {"a", "b", "c"};
static const char *s_all[] = {"a", "b", "c", NULL};
static cluster_proxy_t s_proxy;

static void s_setup(void)
{
    s_dir = test_temp_dir_new();
    cr_assert_not_null(s_dir);
}

static void s_teardown(void)
{
    for (int i = 0; i < MEMBERS; i++)
        node_process_kill(&s_nodes[i]);
    node_process_kill_all();
    cluster_proxy_stop(&s_proxy);
    test_temp_dir_remove(&s_dir);
}

TestSuite(cluster, .init = s_setup, .fini = s_teardown);

/* Starts a founder and two joiners; c advertises advertise (or NULL). */
static void s_form(const char *advertise_c)
{
    s_nodes[0] = cluster_start(s_dir, "a", NULL, NULL);
    cr_assert_not_null(s_nodes[0]);
    const char *seed = node_process_cluster_endpoint(s_nodes[0]);
    s_nodes[1] = cluster_start(s_dir, "b", seed, NULL);
    s_nodes[2] = cluster_start(s_dir, "c", seed, advertise_c);
    cr_assert(s_nodes[1] && s_nodes[2]);
    for (int i = 0; i < MEMBERS; i++)
        cr_assert(cluster_wait_up(s_nodes[i], s_all, 20000),
                  "member %s never saw the three members up", s_names[i]);
}

/* Sends Increment to counter/id through node; returns the reply status
 * and copies the error code (or "") into code. */
static shoal_reply_status_t s_increment(node_process_t *node, const char *id,
                                        char *code, size_t code_size)
{
    shoal_client_t *client = node_process_client(node);
    cr_assert_not_null(client);
    shoal_reply_t reply = {0};
    int rc = shoal_client_call(client, "counter", id, "Increment", "{\"by\":1}",
                               8, NULL, &reply, TEST_REQUEST_TIMEOUT_MS);
    cr_assert_eq(rc, 0, "counter/%s: no reply", id);
    shoal_reply_status_t status = reply.status;
    if (code)
        snprintf(code, code_size, "%s",
                 reply.error_code ? reply.error_code : "");
    shoal_reply_clear(&reply);
    shoal_client_destroy(&client);
    return status;
}

Test(cluster, every_member_routes_every_command_to_its_owner)
{
    s_form(NULL);
    /* Each member owns part of the shards. */
    json_t *cluster = cluster_status(s_nodes[0]);
    size_t index;
    json_t *member;
    json_array_foreach(json_object_get(cluster, "members"), index, member)
        cr_assert_gt(json_integer_value(json_object_get(member, "shards")), 0,
                     "member %s owns no shard",
                     json_string_value(json_object_get(member, "name")));
    json_decref(cluster);
    const int entities = 30;
    for (int round = 0; round < MEMBERS; round++)
        for (int e = 0; e < entities; e++) {
            char id[16];
            snprintf(id, sizeof id, "k%d", e);
            cr_assert_eq(
                s_increment(s_nodes[(e + round) % MEMBERS], id, NULL, 0),
                SHOAL_REPLY_ACCEPTED);
        }
    /* Read through every member: each sees the owner's state. */
    for (int e = 0; e < entities; e++) {
        char id[16];
        snprintf(id, sizeof id, "k%d", e);
        for (int i = 0; i < MEMBERS; i++)
            cr_assert_eq(
                node_process_get_int(s_nodes[i], "counter", id, "value"),
                MEMBERS, "counter/%s read through %s", id, s_names[i]);
    }
    cluster = cluster_status(s_nodes[1]);
    cr_assert_gt(json_integer_value(json_object_get(cluster, "forwarded")), 0);
    json_decref(cluster);
}

/* The "forwarded" count of a member's status. */
static long long s_forwarded(const node_process_t *node)
{
    json_t *cluster = cluster_status(node);
    cr_assert_not_null(cluster);
    long long forwarded =
        json_integer_value(json_object_get(cluster, "forwarded"));
    json_decref(cluster);
    return forwarded;
}

/* Sends Increment to counter/id through client, asking for the owner;
 * asserts it is accepted and named owner, and returns the reply's owner. */
static shoal_owner_t s_increment_naming(shoal_client_t *client, const char *id,
                                        const char *owner)
{
    shoal_client_ask_owner(client, true);
    shoal_reply_t reply = {0};
    cr_assert_eq(shoal_client_call(client, "counter", id, "Increment",
                                   "{\"by\":1}", 8, NULL, &reply,
                                   TEST_REQUEST_TIMEOUT_MS),
                 0, "counter/%s: no reply", id);
    cr_assert_eq(reply.status, SHOAL_REPLY_ACCEPTED, "counter/%s: %s", id,
                 reply.body);
    cr_assert(reply.owner.known, "the reply names the owner");
    cr_assert_str_eq(reply.owner.member, owner);
    shoal_owner_t named = reply.owner;
    shoal_reply_clear(&reply);
    return named;
}

Test(cluster, a_reply_names_the_owner_so_a_client_can_route_directly)
{
    s_form(NULL);
    /* An entity b owns, sent to a: forwarded, and the reply names b. */
    char id[16] = "";
    for (int e = 0; e < 1000 && !*id; e++) {
        snprintf(id, sizeof id, "o%d", e);
        if (strcmp(cluster_owner_of(s_nodes[0], id), "b") != 0)
            *id = '\0';
    }
    cr_assert(*id, "b owns some entity");
    long long a_forwarded = s_forwarded(s_nodes[0]);
    shoal_client_t *via_a = node_process_client(s_nodes[0]);
    cr_assert_not_null(via_a);
    shoal_owner_t owner = s_increment_naming(via_a, id, "b");
    cr_assert_str_eq(owner.endpoint, node_process_client_endpoint(s_nodes[1]));
    cr_assert_eq(owner.epoch, (uint64_t)cluster_epoch(s_nodes[1]));
    cr_assert_eq(s_forwarded(s_nodes[0]), a_forwarded + 1, "a forwarded it");

    /* Straight to the endpoint the reply named: served there, by b, with
     * no forward on either side. */
    a_forwarded = s_forwarded(s_nodes[0]);
    long long b_forwarded = s_forwarded(s_nodes[1]);
    shoal_client_t *direct = shoal_client_new(owner.endpoint);
    cr_assert_not_null(direct);
    shoal_owner_t again = s_increment_naming(direct, id, "b");
    cr_assert_eq(again.shard, owner.shard);
    cr_assert_eq(s_forwarded(s_nodes[0]), a_forwarded);
    cr_assert_eq(s_forwarded(s_nodes[1]), b_forwarded);
    cr_assert_eq(node_process_get_int(s_nodes[1], "counter", id, "value"), 2);

    /* A command refused before routing names no owner. */
    shoal_reply_t reply = {0};
    cr_assert_eq(shoal_client_call(direct, "nosuchtype", id, "Increment", "", 0,
                                   NULL, &reply, TEST_REQUEST_TIMEOUT_MS),
                 0);
    cr_assert_str_eq(reply.error_code, "unknown_type");
    cr_assert_not(reply.owner.known);
    shoal_reply_clear(&reply);
    shoal_client_destroy(&direct);
    shoal_client_destroy(&via_a);
}

Test(cluster, a_killed_member_s_shards_are_unavailable_until_it_returns)
{
    s_form(NULL);
    const int entities = 30;
    for (int e = 0; e < entities; e++) {
        char id[16];
        snprintf(id, sizeof id, "k%d", e);
        cr_assert_eq(s_increment(s_nodes[0], id, NULL, 0),
                     SHOAL_REPLY_ACCEPTED);
    }
    char owners[30][80];
    for (int e = 0; e < entities; e++) {
        char id[16];
        snprintf(id, sizeof id, "k%d", e);
        snprintf(owners[e], sizeof owners[e], "%s",
                 cluster_owner_of(s_nodes[0], id));
    }
    node_process_kill(&s_nodes[2]);
    /* c's shards answer unavailable (fast: refused while its peers still
     * try, or at once once it is down); the others keep serving. */
    int unavailable = 0, served = 0;
    for (int e = 0; e < entities; e++) {
        char id[16], code[32];
        snprintf(id, sizeof id, "k%d", e);
        shoal_reply_status_t status =
            s_increment(s_nodes[e % 2], id, code, sizeof code);
        if (strcmp(owners[e], "c") == 0) {
            cr_assert_eq(status, SHOAL_REPLY_ERROR, "counter/%s", id);
            cr_assert_str_eq(code, "unavailable");
            unavailable++;
        } else {
            cr_assert_eq(status, SHOAL_REPLY_ACCEPTED, "counter/%s: %s", id,
                         code);
            served++;
        }
    }
    cr_assert_gt(unavailable, 0);
    cr_assert_gt(served, 0);
    /* c comes back with its journal: everything is there. */
    s_nodes[2] = cluster_start(s_dir, "c",
                               node_process_cluster_endpoint(s_nodes[0]), NULL);
    cr_assert_not_null(s_nodes[2]);
    for (int i = 0; i < MEMBERS; i++)
        cr_assert(cluster_wait_up(s_nodes[i], s_all, 20000));
    for (int e = 0; e < entities; e++) {
        char id[16];
        snprintf(id, sizeof id, "k%d", e);
        long long want = strcmp(owners[e], "c") == 0 ? 1 : 2;
        long long got =
            node_process_get_int(s_nodes[1], "counter", id, "value");
        cr_assert_eq(got, want,
                     "counter/%s (owner %s, now %s) after c's "
                     "return: %lld",
                     id, owners[e], cluster_owner_of(s_nodes[1], id), got);
        cr_assert_eq(s_increment(s_nodes[1], id, NULL, 0),
                     SHOAL_REPLY_ACCEPTED);
    }
}

Test(cluster, a_member_cut_off_from_the_majority_stops_serving)
{
    char target[4096];
    snprintf(target, sizeof target, "%s/c-port", s_dir);
    s_proxy = cluster_proxy_start(target);
    char advertise[64];
    snprintf(advertise, sizeof advertise, "tcp://127.0.0.1:%d", s_proxy.port);
    /* c binds its own port; the others reach it through the proxy. */
    s_nodes[0] = cluster_start(s_dir, "a", NULL, NULL);
    cr_assert_not_null(s_nodes[0]);
    const char *seed = node_process_cluster_endpoint(s_nodes[0]);
    s_nodes[1] = cluster_start(s_dir, "b", seed, NULL);
    s_nodes[2] = cluster_start(s_dir, "c", seed, advertise);
    cr_assert(s_nodes[1] && s_nodes[2]);
    const char *bound = strrchr(node_process_cluster_endpoint(s_nodes[2]), ':');
    FILE *file = fopen(target, "w");
    cr_assert_not_null(file);
    fprintf(file, "%s\n", bound + 1);
    fclose(file);
    for (int i = 0; i < MEMBERS; i++)
        cr_assert(cluster_wait_up(s_nodes[i], s_all, 20000));
    cr_assert_eq(s_increment(s_nodes[2], "before", NULL, 0),
                 SHOAL_REPLY_ACCEPTED);
    /* Cut c off: nothing reaches it any more. */
    kill(s_proxy.pid, SIGUSR1);
    long long deadline = test_now_ms() + 10000;
    bool stopped = false;
    while (!stopped && test_now_ms() < deadline) {
        json_t *cluster = cluster_status(s_nodes[2]);
        stopped = cluster && json_is_false(json_object_get(cluster, "serving"));
        json_decref(cluster);
        if (!stopped)
            test_sleep_ms(50);
    }
    cr_assert(stopped, "the cut-off member kept serving");
    char code[32];
    cr_assert_eq(s_increment(s_nodes[2], "k1", code, sizeof code),
                 SHOAL_REPLY_ERROR);
    cr_assert_str_eq(code, "unavailable");
    /* The majority keeps serving its own shards. */
    const char *majority[] = {"a", "b", NULL};
    cr_assert(cluster_wait_up(s_nodes[0], majority, 10000));
    int served = 0;
    for (int e = 0; e < 30; e++) {
        char id[16];
        snprintf(id, sizeof id, "m%d", e);
        if (strcmp(cluster_owner_of(s_nodes[0], id), "c") == 0)
            continue;
        cr_assert_eq(s_increment(s_nodes[e % 2], id, NULL, 0),
                     SHOAL_REPLY_ACCEPTED, "counter/%s", id);
        served++;
    }
    cr_assert_gt(served, 0);
    /* Healed: c serves again. */
    kill(s_proxy.pid, SIGUSR2);
    cr_assert(cluster_wait_up(s_nodes[2], s_all, 20000));
    cr_assert_eq(s_increment(s_nodes[2], "after", NULL, 0),
                 SHOAL_REPLY_ACCEPTED);
}

Test(cluster, a_node_with_other_settings_is_refused_with_the_reason)
{
    s_nodes[0] = cluster_start(s_dir, "a", NULL, NULL);
    cr_assert_not_null(s_nodes[0]);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/x", s_dir);
    mkdir(dir, 0755);
    node_process_t *x = node_process_start(
        dir, "--plugin", test_example_plugin("counter"), "--node-name", "x",
        "--cluster-endpoint", "tcp://127.0.0.1:*", "--seed",
        node_process_cluster_endpoint(s_nodes[0]), "--cluster-name",
        cluster_test_name(), "--heartbeat-ms", "100", "--shards", "32", NULL);
    cr_assert_not_null(x);
    char path[4200];
    snprintf(path, sizeof path, "%s", node_process_stderr_path(x));
    int rc = node_process_wait_exit(&x, 20000);
    char *err = test_read_file(path);
    cr_assert_not_null(err, "no stderr at %s", path);
    cr_assert_eq(rc, 1, "the refused node exits 1 (%d): %s", rc, err);
    cr_assert(strstr(err, "refused") && strstr(err, "32") && strstr(err, "16"),
              "the reason names both shard counts: %s", err);
    free(err);
    char *log = test_read_file(node_process_stderr_path(s_nodes[0]));
    cr_assert(log && strstr(log, "refused the join of x"), "%s", log);
    free(log);

    /* A node of another cluster, settings otherwise alike. */
    snprintf(dir, sizeof dir, "%s/y", s_dir);
    mkdir(dir, 0755);
    node_process_t *y = node_process_start(
        dir, "--plugin", test_example_plugin("counter"), "--node-name", "y",
        "--cluster-endpoint", "tcp://127.0.0.1:*", "--seed",
        node_process_cluster_endpoint(s_nodes[0]), CLUSTER_FLAGS,
        "--cluster-name", "elsewhere", NULL);
    cr_assert_not_null(y);
    snprintf(path, sizeof path, "%s", node_process_stderr_path(y));
    rc = node_process_wait_exit(&y, 20000);
    err = test_read_file(path);
    cr_assert_not_null(err, "no stderr at %s", path);
    cr_assert_eq(rc, 1, "the refused node exits 1 (%d): %s", rc, err);
    cr_assert(strstr(err, "cluster name differs") && strstr(err, "elsewhere") &&
                  strstr(err, cluster_test_name()),
              "the reason names both cluster names: %s", err);
    free(err);
}

Test(cluster, a_forward_for_a_shard_the_member_does_not_own_is_refused)
{
    s_form(NULL);
    /* Find an entity b does not own, and forward it to b by hand. */
    char id[16] = "";
    for (int e = 0; e < 100 && !*id; e++) {
        snprintf(id, sizeof id, "s%d", e);
        if (strcmp(cluster_owner_of(s_nodes[1], id), "b") == 0)
            *id = '\0';
    }
    cr_assert(*id);
    json_t *cluster = cluster_status(s_nodes[1]);
    char epoch[24];
    snprintf(epoch, sizeof epoch, "%lld",
             (long long)json_integer_value(json_object_get(cluster, "epoch")));
    json_decref(cluster);
    zsock_t *dealer =
        zsock_new_dealer(node_process_cluster_endpoint(s_nodes[1]));
    zsock_set_rcvtimeo(dealer, TEST_REQUEST_TIMEOUT_MS);
    zstr_sendx(dealer, "SHOAL-FWD/1", epoch, "SHOAL/1", "fwd-1", "SEND",
               "counter", id, "Increment", "{\"by\":1}", "", NULL);
    zmsg_t *reply = zmsg_recv(dealer);
    cr_assert_not_null(reply);
    char *version = zmsg_popstr(reply), *request = zmsg_popstr(reply),
         *status = zmsg_popstr(reply), *code = zmsg_popstr(reply),
         *text = zmsg_popstr(reply);
    cr_assert_str_eq(request, "fwd-1");
    cr_assert_str_eq(status, "ERROR");
    cr_assert_str_eq(code, "unavailable");
    cr_assert(strstr(text, "does not own"), "%s", text);
    free(version);
    free(request);
    free(status);
    free(code);
    free(text);
    zmsg_destroy(&reply);
    zsock_destroy(&dealer);
    /* Nothing was applied anywhere. */
    long long value = node_process_get_int(s_nodes[0], "counter", id, "value");
    cr_assert_eq(value, 0, "counter/%s: %lld", id, value);
}

/* Sends Increment with command id to counter/id through node until it is
 * accepted (a busy or unavailable answer is retried with the same id, so
 * it applies once). */
static void s_increment_once(node_process_t *node, const char *id,
                             const char *command_id)
{
    shoal_client_t *client = node_process_client(node);
    cr_assert_not_null(client);
    long long deadline = test_now_ms() + 60000;
    while (true) {
        shoal_reply_t reply = {0};
        int rc =
            shoal_client_call(client, "counter", id, "Increment", "{\"by\":1}",
                              8, command_id, &reply, TEST_REQUEST_TIMEOUT_MS);
        bool accepted = rc == 0 && reply.status == SHOAL_REPLY_ACCEPTED;
        if (rc == 0 && reply.status == SHOAL_REPLY_ERROR)
            cr_assert(strcmp(reply.error_code, "unavailable") == 0 ||
                          strcmp(reply.error_code, "busy") == 0,
                      "%s: %s: %s", command_id, reply.error_code, reply.body);
        shoal_reply_clear(&reply);
        if (accepted)
            break;
        cr_assert_lt(test_now_ms(), deadline, "%s never accepted", command_id);
        test_sleep_ms(50);
        shoal_client_destroy(&client);
        client = node_process_client(node);
    }
    shoal_client_destroy(&client);
}

/* Asserts that node's journal writer refused no write: handoffs never
 * leave a write of a shard behind (runtime/shard_fence.h). */
static void s_assert_nothing_fenced(const node_process_t *node)
{
    json_t *status = node_process_status_json(node);
    cr_assert_not_null(status);
    json_t *fenced =
        json_object_get(json_object_get(status, "journal"), "fenced");
    cr_assert(json_is_integer(fenced), "status journal.fenced");
    cr_assert_eq(json_integer_value(fenced), 0, "writes fenced");
    json_decref(status);
}

Test(cluster, a_join_moves_shards_and_the_moved_entities_keep_their_state)
{
    s_nodes[0] = cluster_start_min(s_dir, "a", NULL, NULL, "2");
    cr_assert_not_null(s_nodes[0]);
    const char *seed = node_process_cluster_endpoint(s_nodes[0]);
    s_nodes[1] = cluster_start_min(s_dir, "b", seed, NULL, "2");
    cr_assert_not_null(s_nodes[1]);
    const char *two[] = {"a", "b", NULL};
    cr_assert(cluster_wait_up(s_nodes[0], two, 20000));
    cr_assert(cluster_wait_up(s_nodes[1], two, 20000));
    const int entities = 40;
    for (int e = 0; e < entities; e++) {
        char id[16];
        snprintf(id, sizeof id, "j%d", e);
        cr_assert_eq(s_increment(s_nodes[e % 2], id, NULL, 0),
                     SHOAL_REPLY_ACCEPTED);
    }
    s_nodes[2] = cluster_start_min(s_dir, "c", seed, NULL, "2");
    cr_assert_not_null(s_nodes[2]);
    /* c is handed its share of the shards, one at a time. */
    long long deadline = test_now_ms() + 60000, owned = 0;
    while ((owned = cluster_owned(s_nodes[0], "c")) < 3 &&
           test_now_ms() < deadline)
        test_sleep_ms(100);
    cr_assert_geq(owned, 3, "c owns %lld shards", owned);
    for (int i = 0; i < MEMBERS; i++)
        cr_assert(cluster_wait_up(s_nodes[i], s_all, 20000));
    cr_assert(cluster_wait_settled(s_nodes, MEMBERS, 60000),
              "the shards never settled");
    /* Every entity kept its state, wherever it lives now, and takes
     * commands there. */
    int moved = 0;
    for (int e = 0; e < entities; e++) {
        char id[16], command[32];
        snprintf(id, sizeof id, "j%d", e);
        moved += strcmp(cluster_owner_of(s_nodes[2], id), "c") == 0;
        snprintf(command, sizeof command, "after-%d", e);
        s_increment_once(s_nodes[2], id, command);
        cr_assert_eq(
            node_process_get_int(s_nodes[e % 3], "counter", id, "value"), 2,
            "counter/%s", id);
    }
    cr_assert_gt(moved, 0, "some of the entities moved to c");
    for (int i = 0; i < MEMBERS; i++)
        s_assert_nothing_fenced(s_nodes[i]);
    /* `shoal leave` hands them back: c stops and nothing is lost. */
    const char *leave[] = {test_binary("SHOAL_CLI"), "-s",
                           node_process_status_endpoint(s_nodes[2]), "leave",
                           NULL};
    cr_assert_eq(test_run_program(leave, 10000, NULL, NULL), 0);
    cr_assert_eq(node_process_wait_exit(&s_nodes[2], 60000), 0,
                 "c leaves and exits 0");
    for (int e = 0; e < entities; e++) {
        char id[16];
        snprintf(id, sizeof id, "j%d", e);
        cr_assert_eq(
            node_process_get_int(s_nodes[e % 2], "counter", id, "value"), 2,
            "counter/%s after c left", id);
    }
    s_assert_nothing_fenced(s_nodes[0]);
    s_assert_nothing_fenced(s_nodes[1]);
}

Test(cluster, a_graceful_leave_under_load_loses_nothing)
{
    s_form(NULL);
    const int entities = 20, rounds = 15;
    int sent[20] = {0};
    for (int round = 0; round < rounds; round++) {
        if (round == 3)
            kill(node_process_pid(s_nodes[2]), SIGTERM); /* c leaves */
        for (int e = 0; e < entities; e++) {
            char id[16], command[32];
            snprintf(id, sizeof id, "l%d", e);
            snprintf(command, sizeof command, "r%d-%d", round, e);
            s_increment_once(s_nodes[round % 2], id, command);
            sent[e]++;
        }
    }
    /* c handed everything over and left on its own. */
    cr_assert_eq(node_process_wait_exit(&s_nodes[2], 60000), 0,
                 "the leaving member exits 0");
    cr_assert_eq(cluster_owned(s_nodes[0], "c"), 0);
    for (int e = 0; e < entities; e++) {
        char id[16];
        snprintf(id, sizeof id, "l%d", e);
        cr_assert_eq(node_process_get_int(s_nodes[1], "counter", id, "value"),
                     sent[e], "counter/%s", id);
    }
    s_assert_nothing_fenced(s_nodes[0]);
    s_assert_nothing_fenced(s_nodes[1]);
}

Test(cluster, members_stopped_together_all_exit_without_waiting_for_each_other)
{
    s_form(NULL);
    for (int e = 0; e < 20; e++) {
        char id[16];
        snprintf(id, sizeof id, "t%d", e);
        cr_assert_eq(s_increment(s_nodes[e % MEMBERS], id, NULL, 0),
                     SHOAL_REPLY_ACCEPTED);
    }
    /* Each starts to leave while the others still look up, then sees them
     * leave or stop: nobody is left to take shards, so none waits for the
     * two minutes a leave may take. */
    for (int i = 0; i < MEMBERS; i++)
        kill(node_process_pid(s_nodes[i]), SIGTERM);
    for (int i = 0; i < MEMBERS; i++)
        cr_assert_eq(node_process_wait_exit(&s_nodes[i], 30000), 0,
                     "member %s exits 0, well before the leave's cap",
                     s_names[i]);
}

Test(cluster, a_peer_without_the_cluster_key_is_refused)
{
    char keys[4096], secret[4200];
    snprintf(keys, sizeof keys, "%s/keys", s_dir);
    mkdir(keys, 0700);
    const char *keygen[] = {
        test_binary("SHOAL_CLI"), "keygen", "cluster", "--dir", keys, NULL};
    cr_assert_eq(test_run_program(keygen, 10000, NULL, NULL), 0);
    snprintf(secret, sizeof secret, "%s/cluster.key_secret", keys);
    char dir[4096];
    const char *names[] = {"a", "b", "x"};
    for (int i = 0; i < 3; i++) {
        snprintf(dir, sizeof dir, "%s/%s", s_dir, names[i]);
        mkdir(dir, 0755);
    }
    snprintf(dir, sizeof dir, "%s/a", s_dir);
    s_nodes[0] = node_process_start(
        dir, "--plugin", test_example_plugin("counter"), "--node-name", "a",
        "--cluster-endpoint", "tcp://127.0.0.1:*", "--cluster-key", secret,
        CLUSTER_FLAGS, NULL);
    cr_assert_not_null(s_nodes[0]);
    const char *seed = node_process_cluster_endpoint(s_nodes[0]);
    snprintf(dir, sizeof dir, "%s/b", s_dir);
    s_nodes[1] = node_process_start(
        dir, "--plugin", test_example_plugin("counter"), "--node-name", "b",
        "--cluster-endpoint", "tcp://127.0.0.1:*", "--cluster-key", secret,
        "--seed", seed, CLUSTER_FLAGS, NULL);
    snprintf(dir, sizeof dir, "%s/x", s_dir);
    s_nodes[2] = node_process_start(
        dir, "--plugin", test_example_plugin("counter"), "--node-name", "x",
        "--cluster-endpoint", "tcp://127.0.0.1:*", "--seed", seed,
        CLUSTER_FLAGS, NULL);
    cr_assert(s_nodes[1] && s_nodes[2]);
    const char *two[] = {"a", "b", NULL};
    cr_assert(cluster_wait_up(s_nodes[0], two, 20000),
              "the holders of the key form a cluster");
    test_sleep_ms(1000);
    json_t *cluster = cluster_status(s_nodes[0]);
    size_t index;
    json_t *member;
    json_array_foreach(json_object_get(cluster, "members"), index, member)
        cr_assert_str_neq(json_string_value(json_object_get(member, "name")),
                          "x", "x joined without the key");
    json_decref(cluster);
    cluster = cluster_status(s_nodes[2]);
    cr_assert(json_is_false(json_object_get(cluster, "serving")));
    json_decref(cluster);
    /* (The refusal of a peer without CURVE is logged when libzmq reports
     * it, which it does not always: see docs/SECURITY.md.) */
}
