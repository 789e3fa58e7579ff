#!/usr/bin/python3
"""The wish story through the wire protocol alone.

A client written from docs/PROTOCOL.md and nothing else: it speaks ZeroMQ
frames to a shoal node running the wish plugin, walks through the story of
examples/wish/README.md, checks every answer, and consumes the
wish_updates topic by cursor. Exit status 0 when every step went as the
domain says, 1 (with the step that failed) otherwise.

usage: protocol_client.py CLIENT_ENDPOINT STATUS_ENDPOINT [CHILD]
"""
import json
import sys
import time
import uuid

import zmq

TIMEOUT_MS = 10000


class Node:
    """A DEALER on the client port and a REQ per status request."""

    def __init__(self, context, client_endpoint, status_endpoint):
        self.context = context
        self.status_endpoint = status_endpoint
        self.dealer = context.socket(zmq.DEALER)
        self.dealer.setsockopt(zmq.LINGER, 0)
        self.dealer.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
        self.dealer.connect(client_endpoint)

    def request(self, *frames):
        """Sends SHOAL/1, a fresh request id and frames; returns the reply
        frames after the request id (status first)."""
        request_id = uuid.uuid4().hex.encode()
        self.dealer.send_multipart([b"SHOAL/1", request_id] + list(frames))
        while True:
            reply = self.dealer.recv_multipart()
            if reply[0] != b"SHOAL/1":
                raise RuntimeError("not a SHOAL/1 reply: %r" % reply[:3])
            if reply[1] == request_id:  # replies may come out of order
                return reply[2:]

    def send(self, type_, entity_id, command, payload, command_id=None):
        frames = [b"SEND", type_.encode(), entity_id.encode(), command.encode(),
                  json.dumps(payload).encode()]
        if command_id:
            frames.append(command_id.encode())
        reply = self.request(*frames)
        status = reply[0].decode()
        if status in ("ACCEPTED", "REJECTED"):
            return status, int(reply[2]), reply[3].decode()
        return status, 0, "%s: %s" % (reply[1].decode(), reply[2].decode())

    def events(self, topic, cursor, most=100):
        reply = self.request(b"EVENTS", topic.encode(), cursor.encode(),
                             str(most).encode())
        if reply[0] != b"EVENTS":
            raise RuntimeError("EVENTS: %s %s" % (reply[1], reply[2]))
        next_cursor, count = reply[1].decode(), int(reply[2])
        events = []
        for i in range(count):
            position, entity, written_ms, payload = reply[3 + 4 * i:7 + 4 * i]
            events.append((position.decode(), entity.decode(),
                           int(written_ms), json.loads(payload)))
        return next_cursor, events

    def status(self, text):
        req = self.context.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
        req.connect(self.status_endpoint)
        req.send_string(text)
        verdict, body = req.recv_multipart()
        req.close()
        if verdict != b"OK":
            raise RuntimeError("status %r: %s" % (text, body.decode()))
        return body.decode()

    def get(self, type_, entity_id):
        return json.loads(self.status("get %s %s" % (type_, entity_id)))


def expect(step, condition, detail=""):
    if not condition:
        print("FAILED: %s %s" % (step, detail), file=sys.stderr)
        sys.exit(1)
    print("ok   %s" % step)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    child = sys.argv[3] if len(sys.argv) > 3 else "alice"
    node = Node(zmq.Context(), sys.argv[1], sys.argv[2])

    status, events, reply = node.send("child", child, "MakeWish",
                                      {"wish": "a red bicycle"})
    expect("a first wish is approved", status == "ACCEPTED", reply)
    bicycle = json.loads(reply)["wish_id"]
    state = node.get("child", child)
    expect("the query lists it at once",
           [w["wish_id"] for w in state["wishes"]] == [bicycle], state)

    status, events, reply = node.send("child", child, "MakeWish",
                                      {"wish": "a stink bomb", "naughty": False})
    expect("the gatekeeper catches a naughty wish",
           status == "REJECTED" and reply == "naughty wish" and events == 1,
           (status, reply))
    status, events, reply = node.send("child", child, "MakeWish",
                                      {"wish": "a kite"})
    expect("within the minute the child is banned, with no event",
           status == "REJECTED" and reply.startswith("banned until")
           and events == 0, (status, reply))

    status, _, reply = node.send("child", child, "CancelWish",
                                 {"wish_id": "no-such-wish"})
    expect("an unknown wish cannot be cancelled",
           status == "REJECTED" and reply == "wish not found", reply)

    deadline = time.time() + 10
    while time.time() < deadline and not node.get("wish", bicycle)["open"]:
        time.sleep(0.02)
    expect("the lookup policy registered the wish", node.get(
        "wish", bicycle)["open"])
    status, _, reply = node.send("wish", bicycle, "FulfillWish", {},
                                 command_id="fulfil-" + bicycle)
    expect("FulfillWish by wish id alone reaches the child",
           status == "ACCEPTED", reply)
    expect("the child's wish is gone",
           node.get("child", child)["wishes"] == [])

    cursor, seen = "", []
    deadline = time.time() + 10
    while time.time() < deadline and len(seen) < 2:
        cursor, events = node.events("wish_updates", cursor, 1)
        seen += [(e[1], e[3]["type"]) for e in events
                 if e[1] == "child/" + child]
        if not events:
            time.sleep(0.02)
    expect("wish_updates carries the approval then the fulfilment, once",
           seen == [("child/" + child, "WishApproved"),
                    ("child/" + child, "WishFulfilled")], seen)
    cursor, events = node.events("wish_updates", cursor, 100)
    expect("nothing more after the cursor",
           [e for e in events if e[1] == "child/" + child] == [], events)
    print("the wish story holds (cursor %s)" % cursor)
    return 0


if __name__ == "__main__":
    sys.exit(main())
