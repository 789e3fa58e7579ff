/*
 * tests/unit/fake_node.c - the fake node of the client library's tests
 * (see fake_node.h): a zactor with a client port and a status socket that
 * answer per docs/PROTOCOL.md, each answer chosen by the request.
 */
#include "fake_node.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Replies the node must not accept, one per row; "@" stands for the
 * request id the client sent. The "garbage" command's payload picks the
 * row. */
#define GARBAGE_FRAMES_MAX 8
static const char *const garbage_replies[][GARBAGE_FRAMES_MAX] = {
    {"SHOAL/2", "@", "PONG"},                    /* wrong version */
    {"SHOAL/1", "@", "DONE"},                    /* unknown status */
    {"SHOAL/1", "@"},                            /* no status */
    {"SHOAL/1"},                                 /* no request id */
    {"SHOAL/1", "@", "ACCEPTED", "1", "1"},      /* no reply frame */
    {"SHOAL/1", "@", "ACCEPTED", "x", "1", ""},  /* not a number */
    {"SHOAL/1", "@", "ACCEPTED", "-1", "1", ""}, /* a sign */
    {"SHOAL/1", "@", "ACCEPTED", "01", "1", ""}, /* a leading zero */
    {"SHOAL/1", "@", "ACCEPTED", "", "0", ""},   /* an empty number */
    {"SHOAL/1", "@", "ACCEPTED", "0", "2", ""},  /* events, no seq */
    {"SHOAL/1", "@", "ACCEPTED", "4", "0", ""},  /* seq, no events */
    /* a sequence number past 64 bits, and a range that wraps */
    {"SHOAL/1", "@", "REJECTED", "18446744073709551616", "1", ""},
    {"SHOAL/1", "@", "REJECTED", "18446744073709551615", "2", ""},
    {"SHOAL/1", "@", "ACCEPTED", "1", "1", "", "extra"}, /* not an owner */
    {"SHOAL/1", "@", "ACCEPTED", "1", "1", "", "1 2 a tcp://h:1", ""},
    {"SHOAL/1", "@", "ACCEPTED", "1", "1", "", "1 2 a"},     /* no endpoint */
    {"SHOAL/1", "@", "ACCEPTED", "1", "1", "", "1 2 a "},    /* empty one */
    {"SHOAL/1", "@", "ACCEPTED", "1", "1", "", "1 2 a!b e"}, /* bad name */
    {"SHOAL/1", "@", "ACCEPTED", "1", "1", "", "4294967296 2 a e"},
    {"SHOAL/1", "@", "ACCEPTED", "1", "1", "", "1  a e"}, /* no epoch */
    {"SHOAL/1", "@", "ERROR", "busy", "m", "1 2"},        /* no member */
    {"SHOAL/1", "@", "ERROR", "", "no code"},             /* empty code */
    {"SHOAL/1", "@", "ERROR", "Busy!", "odd code"},       /* not a code */
    {"SHOAL/1", "@", "ERROR", "busy"},                    /* no message */
    {"SHOAL/1", "@", "PONG", ""},                         /* extra frame */
    {"", "SHOAL/1", "@", "PONG"},                         /* a delimiter */
    {"SHOAL/1",
     "0123456789012345678901234567890123456789012345678901234567890123X",
     "PONG"}, /* a request id past 64 bytes */
};
#define GARBAGE_REPLY_COUNT (sizeof garbage_replies / sizeof garbage_replies[0])

/* Answers to a topic read the client must not accept, one per row, read
 * with at most 1 event; the "garbage" topic's cursor picks the row. */
#define GARBAGE_EVENTS_FRAMES_MAX 14
static const char *const garbage_events[][GARBAGE_EVENTS_FRAMES_MAX] = {
    {"SHOAL/1", "@", "EVENTS", ""},                    /* no count */
    {"SHOAL/1", "@", "EVENTS", "", "1"},               /* a missing event */
    {"SHOAL/1", "@", "EVENTS", "", "0", "extra"},      /* extra frame */
    {"SHOAL/1", "@", "EVENTS", "", "x"},               /* not a number */
    {"SHOAL/1", "@", "EVENTS", "", "01"},              /* a leading zero */
    {"SHOAL/1", "@", "EVENTS", "", "1", "0:1", "p/a"}, /* half an event */
    {"SHOAL/1", "@", "EVENTS", "", "1", "01", "p/a", "5", "x"}, /* no ':' */
    {"SHOAL/1", "@", "EVENTS", "", "1", "0:", "p/a", "5", "x"}, /* no seq */
    {"SHOAL/1", "@", "EVENTS", "", "1", ":1", "p/a", "5", "x"}, /* no shard */
    {"SHOAL/1", "@", "EVENTS", "", "1", "0:1", "pa", "5", "x"}, /* no '/' */
    {"SHOAL/1", "@", "EVENTS", "", "1", "0:1", "p/a", "soon", "x"},
    {"SHOAL/1", "@", "EVENTS", "", "1", "0:1", "p/a", "-", "x"},
    {"SHOAL/1", "@", "EVENTS", "", "1", "0:1", "p/a", "9223372036854775808",
     "x"}, /* past 64 bits */
    /* more events than asked for */
    {"SHOAL/1", "@", "EVENTS", "0:2", "2", "0:1", "p/a", "5", "x", "0:2", "p/a",
     "6", "y"},
    {"SHOAL/1", "@", "ACCEPTED", "0", "0", ""}, /* not a read's status */
    {"SHOAL/1", "@", "PONG"},
    {"SHOAL/2", "@", "EVENTS", "", "0"},     /* wrong version */
    {"SHOAL/1", "@", "ERROR", "Busy!", "x"}, /* not a code */
    {"SHOAL/1", "@", "ERROR", "busy"},       /* no message */
};
#define GARBAGE_EVENTS_COUNT (sizeof garbage_events / sizeof garbage_events[0])

/* ---------------------------------------------------------------------
 * The fake node
 */

/* Appends a reply's frames to reply, after the peer's envelope. */
static void s_add_frames(zmsg_t *reply, const char *const *frames, size_t count,
                         const char *request_id)
{
    for (size_t index = 0; index < count && frames[index] != NULL; index++)
        zmsg_addstr(reply, strcmp(frames[index], "@") == 0 ? request_id
                                                           : frames[index]);
}

/* Answers one SEND per its command name (frames: type, entity id, command,
 * payload, optional command id). Returns false to stay silent. */
static bool s_answer_send(zmsg_t *request, zmsg_t *reply,
                          const char *request_id)
{
    char *type = zmsg_popstr(request);
    char *entity_id = zmsg_popstr(request);
    char *command = zmsg_popstr(request);
    zframe_t *payload = zmsg_pop(request);
    char *command_id = zmsg_popstr(request);
    char *options = zmsg_popstr(request);
    bool answer = true;
    char number[32];

    if (payload == NULL || zmsg_size(request) > 0) {
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "@", "ERROR", "malformed",
                                      "wrong frame count"},
                     5, request_id);
    } else if (streq(command, "echo")) {
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "@", "ACCEPTED", "3", "2"}, 5,
                     request_id);
        zmsg_addmem(reply, zframe_data(payload), zframe_size(payload));
    } else if (streq(command, "describe")) {
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "@", "ACCEPTED", "0", "0"}, 5,
                     request_id);
        zmsg_addstrf(reply, "%s|%s|%s|%zu|%s", type, entity_id, command,
                     zframe_size(payload),
                     command_id != NULL ? command_id : "<none>");
    } else if (streq(command, "reject")) {
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "@", "REJECTED", "7", "1",
                                      "insufficient funds"},
                     6, request_id);
    } else if (streq(command, "busy")) {
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "@", "ERROR", "busy",
                                      "worker inbox full"},
                     5, request_id);
    } else if (streq(command, "owner")) {
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "@", "ACCEPTED", "1", "1",
                                      options ? options : "<none>"},
                     6, request_id);
        if (options && streq(options, "owner"))
            zmsg_addstr(reply, "5 9 b tcp://127.0.0.1:7701");
    } else if (streq(command, "owner-unknown")) {
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "@", "ERROR", "unavailable",
                                      "owner down", ""},
                     6, request_id);
    } else if (streq(command, "pong")) {
        s_add_frames(reply, (const char *[]){"SHOAL/1", "@", "PONG"}, 3,
                     request_id);
    } else if (streq(command, "slow")) {
        zclock_sleep(300); /* the client under test times out meanwhile */
        s_add_frames(
            reply,
            (const char *[]){"SHOAL/1", "@", "ACCEPTED", "0", "0", "late"}, 6,
            request_id);
    } else if (streq(command, "garbage")) {
        snprintf(number, sizeof number, "%.*s", (int)zframe_size(payload),
                 (char *)zframe_data(payload));
        size_t row = (size_t)atoi(number);
        s_add_frames(reply, garbage_replies[row], GARBAGE_FRAMES_MAX,
                     request_id);
    } else
        answer = false; /* "silent" and anything else */

    zstr_free(&type);
    zstr_free(&entity_id);
    zstr_free(&command);
    zframe_destroy(&payload);
    zstr_free(&command_id);
    zstr_free(&options);
    return answer;
}

/* Answers one EVENTS per its topic (frames: topic, cursor, optional most
 * events). Returns false to stay silent. */
static bool s_answer_events(zmsg_t *request, zmsg_t *reply,
                            const char *request_id)
{
    char *topic = zmsg_popstr(request);
    char *cursor = zmsg_popstr(request);
    char *max = zmsg_popstr(request);
    bool answer = true;

    if (topic == NULL || cursor == NULL || zmsg_size(request) > 0) {
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "@", "ERROR", "malformed",
                                      "wrong frame count"},
                     5, request_id);
    } else if (streq(topic, "pokes") && streq(cursor, "")) {
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "@", "EVENTS", "0:1,3:1", "2",
                                      "0:1", "poke/a", "1800000000000", "one",
                                      "3:1", "poke/b", "-7", ""},
                     13, request_id);
    } else if (streq(topic, "pokes") || streq(topic, "slow")) {
        if (streq(topic, "slow"))
            zclock_sleep(300); /* the client under test gives up */
        s_add_frames(reply, (const char *[]){"SHOAL/1", "@", "EVENTS"}, 3,
                     request_id);
        zmsg_addstr(reply, cursor);
        zmsg_addstr(reply, "0");
    } else if (streq(topic, "describe")) {
        s_add_frames(reply, (const char *[]){"SHOAL/1", "@", "EVENTS"}, 3,
                     request_id);
        zmsg_addstrf(reply, "%s|%s|%s", topic, cursor,
                     max != NULL ? max : "<none>");
        zmsg_addstr(reply, "0");
    } else if (streq(topic, "binary")) {
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "@", "EVENTS", "5:9", "1",
                                      "5:9", "sink/x", "0"},
                     8, request_id);
        zmsg_addmem(reply, "a\0b", 3);
    } else if (streq(topic, "refused")) {
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "@", "ERROR", "malformed",
                                      "cursor: shard 9 is out of range"},
                     5, request_id);
    } else if (streq(topic, "garbage")) {
        s_add_frames(reply, garbage_events[atoi(cursor)],
                     GARBAGE_EVENTS_FRAMES_MAX, request_id);
    } else
        answer = false; /* "silent" and anything else */

    zstr_free(&topic);
    zstr_free(&cursor);
    zstr_free(&max);
    return answer;
}

/* Receives one client-port request and answers it, keeping the peer's
 * envelope (routing id, and the delimiter if there was one). */
static void s_serve_client_port(zsock_t *router)
{
    zmsg_t *request = zmsg_recv(router);
    if (request == NULL)
        return;
    zmsg_t *reply = zmsg_new();
    zmsg_append(reply, &(zframe_t *){zmsg_pop(request)});
    if (zframe_size(zmsg_first(request)) == 0)
        zmsg_append(reply, &(zframe_t *){zmsg_pop(request)});

    char *version = zmsg_popstr(request);
    char *request_id = zmsg_popstr(request);
    char *verb = zmsg_popstr(request);
    bool answer = true;
    if (verb != NULL && streq(verb, "PING") && zmsg_size(request) == 0)
        s_add_frames(reply, (const char *[]){"SHOAL/1", "@", "PONG"}, 3,
                     request_id);
    else if (verb != NULL && streq(verb, "SEND") && streq(version, "SHOAL/1"))
        answer = s_answer_send(request, reply, request_id);
    else if (verb != NULL && streq(verb, "EVENTS") && streq(version, "SHOAL/1"))
        answer = s_answer_events(request, reply, request_id);
    else
        s_add_frames(reply,
                     (const char *[]){"SHOAL/1", "", "ERROR", "malformed",
                                      "bad request"},
                     5, request_id != NULL ? request_id : "");
    if (answer)
        zmsg_send(&reply, router);
    zmsg_destroy(&reply);
    zstr_free(&version);
    zstr_free(&request_id);
    zstr_free(&verb);
    zmsg_destroy(&request);
}

/* Receives one status request and answers it. Only requests with a
 * delimiter and one text frame are answered OK. */
static void s_serve_status(zsock_t *router)
{
    zmsg_t *request = zmsg_recv(router);
    if (request == NULL)
        return;
    zmsg_t *reply = zmsg_new();
    zmsg_append(reply, &(zframe_t *){zmsg_pop(request)});
    zmsg_addmem(reply, NULL, 0);
    zframe_t *delimiter = zmsg_pop(request);
    char *text = zmsg_popstr(request);
    bool answer = true;

    if (zframe_size(delimiter) != 0 || text == NULL || zmsg_size(request))
        s_add_frames(reply, (const char *[]){"ERROR", "bad envelope"}, 2, "");
    else if (streq(text, "status"))
        s_add_frames(reply, (const char *[]){"OK", "{\"node\":\"fake\"}"}, 2,
                     "");
    else if (streq(text, "get counter c1"))
        s_add_frames(reply, (const char *[]){"OK", "{\"value\":1}"}, 2, "");
    else if (streq(text, "garbage"))
        s_add_frames(reply, (const char *[]){"MAYBE", "?"}, 2, "");
    else if (streq(text, "silent"))
        answer = false;
    else {
        zmsg_addstr(reply, "ERROR");
        zmsg_addstrf(reply, "unknown request '%s'", text);
    }
    if (answer)
        zmsg_send(&reply, router);
    zmsg_destroy(&reply);
    zframe_destroy(&delimiter);
    zstr_free(&text);
    zmsg_destroy(&request);
}

/* Binds a ROUTER with linger 0 on an ephemeral port; returns the port. */
static zsock_t *s_router_new(int *port)
{
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    cr_assert_not_null(router);
    zsock_set_linger(router, 0);
    *port = zsock_bind(router, "tcp://127.0.0.1:*");
    cr_assert_gt(*port, 0);
    return router;
}

/* The fake node's actor: signals, reports its two ports, serves until
 * $TERM. */
static void s_fake_node(zsock_t *pipe, void *args)
{
    (void)args;
    int client_port, status_port;
    zsock_t *client_router = s_router_new(&client_port);
    zsock_t *status_router = s_router_new(&status_port);
    zpoller_t *poller = zpoller_new(pipe, client_router, status_router, NULL);
    zsock_signal(pipe, 0);
    zsock_send(pipe, "ii", client_port, status_port);

    while (true) {
        void *which = zpoller_wait(poller, -1);
        if (which == client_router)
            s_serve_client_port(client_router);
        else if (which == status_router)
            s_serve_status(status_router);
        else {
            char *message = which == pipe ? zstr_recv(pipe) : NULL;
            bool terminate = message == NULL || streq(message, "$TERM");
            zstr_free(&message);
            if (terminate)
                break;
        }
    }
    zpoller_destroy(&poller);
    zsock_destroy(&client_router);
    zsock_destroy(&status_router);
}

/* Rows of the table of invalid replies to SEND. */
size_t fake_node_garbage_reply_count(void)
{
    return GARBAGE_REPLY_COUNT;
}

/* Rows of the table of invalid answers to EVENTS. */
size_t fake_node_garbage_events_count(void)
{
    return GARBAGE_EVENTS_COUNT;
}

/* Starts the fake node's actor and writes its endpoints. Returns the
 * actor (the caller's, zactor_destroy), or NULL. */
zactor_t *fake_node_start(char *client_endpoint, char *status_endpoint,
                          size_t size)
{
    int client_port, status_port;
    zactor_t *node = zactor_new(s_fake_node, NULL);
    if (node != NULL && zsock_recv(node, "ii", &client_port, &status_port) != 0)
        zactor_destroy(&node);
    if (node == NULL)
        return NULL;
    snprintf(client_endpoint, size, "tcp://127.0.0.1:%d", client_port);
    snprintf(status_endpoint, size, "tcp://127.0.0.1:%d", status_port);
    return node;
}
