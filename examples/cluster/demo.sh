#!/bin/sh
# A local three-node cluster and the wish story told through all three.
#
# Starts three nodes with the wish and counter plugins, each in a
# temporary folder and on ephemeral ports: node1 founds the cluster, node2
# and node3 join it through node1's peer port, and the first shard table
# waits for all three. Then it sends commands to different nodes (each
# forwards to the owner of the entity's shard), reads state through
# another node, shows `shoal members` and `shoal shards`, and stops the
# nodes. The nodes are stopped on any exit, error or interrupt.
#
#   examples/cluster/demo.sh [BUILD_DIR]     (default: build)
#
# Exit status 0 when every step answered as expected.
set -eu

build=${1:-build}
shoald=$build/shoald
shoal=$build/shoal
wish=$build/examples/wish/wish.so
counter=$build/examples/counter/counter.so
for file in "$shoald" "$shoal" "$wish" "$counter"; do
    [ -e "$file" ] || { echo "demo: $file is missing (run make build)" >&2; exit 2; }
done

dir=$(mktemp -d /tmp/shoal-cluster-demo-XXXXXX)
pids=
# Stops the nodes started so far: SIGTERM (a node leaves its cluster),
# then SIGKILL for any that lingers past 10 s.
stop_nodes() {
    for pid in $pids; do kill "$pid" 2>/dev/null || true; done
    for _ in $(seq 100); do
        alive=
        for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=yes; done
        [ -z "$alive" ] && break
        sleep 0.1
    done
    for pid in $pids; do
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    pids=
}
cleanup() {
    status=$?
    trap - EXIT INT TERM
    stop_nodes
    if [ "$status" -ne 0 ]; then
        for log in "$dir"/*.log; do
            [ -e "$log" ] || continue
            echo "--- $(basename "$log" .log)'s log" >&2
            tail -n 20 "$log" >&2
        done
    fi
    rm -rf "$dir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { echo "demo: $*" >&2; exit 1; }

# start NAME [FLAGS...]: starts a node and waits for its ready line,
# "shoald ready client=EP status=EP cluster=EP".
start() {
    name=$1; shift
    mkdir -p "$dir/$name"
    "$shoald" --node-name "$name" --data-dir "$dir/$name" \
        --plugin "$wish" --plugin "$counter" \
        --endpoint 'tcp://127.0.0.1:*' --status-endpoint 'tcp://127.0.0.1:*' \
        --cluster-endpoint 'tcp://127.0.0.1:*' --cluster-min-members 3 \
        --heartbeat-ms 100 --suspect-after-ms 1000 --down-after-ms 3000 \
        "$@" >"$dir/$name.out" 2>"$dir/$name.log" &
    pids="$pids $!"
    for _ in $(seq 200); do
        grep -q '^shoald ready' "$dir/$name.out" 2>/dev/null && break
        sleep 0.05
    done
    grep -q '^shoald ready' "$dir/$name.out" || fail "$name did not start"
    sed -n 's/^shoald ready //p' "$dir/$name.out"
}
# endpoint NAME KIND: the endpoint of kind client, status or cluster.
endpoint() {
    sed -n "s/^shoald ready.* $2=\([^ ]*\).*/\1/p" "$dir/$1.out"
}
# at NAME ARGS...: runs shoal against node NAME.
at() {
    node=$1; shift
    "$shoal" -e "$(endpoint "$node" client)" -s "$(endpoint "$node" status)" "$@"
}

step() { printf '\n== %s\n' "$*"; }
# quote ARGS...: the arguments as a shell would need them typed.
quote() {
    for arg in "$@"; do
        case "$arg" in
            *[!A-Za-z0-9/_.:=-]*) printf " '%s'" "$arg" ;;
            *) printf ' %s' "$arg" ;;
        esac
    done
}
# show NAME ARGS...: prints and runs shoal against node NAME.
show() {
    node=$1; shift
    printf '%s$ shoal%s\n' "$node" "$(quote "$@")"
    at "$node" "$@"
}
# expect WORD NAME ARGS...: as show, and checks that the output starts
# with WORD; keeps the output in $out.
expect() {
    want=$1; node=$2; shift 2
    printf '%s$ shoal%s\n' "$node" "$(quote "$@")"
    out=$(at "$node" "$@" 2>&1) || true
    echo "$out"
    case "$out" in
        "$want"*) ;;
        *) fail "expected '$want'" ;;
    esac
}
wish_id() { echo "$1" | sed -n 's/.*"wish_id": *"\([0-9a-f]*\)".*/\1/p'; }
# count TEXT PATTERN: how many times the fixed PATTERN occurs in TEXT.
count() { printf '%s\n' "$1" | grep -o -F "$2" | wc -l | tr -d ' '; }

step "Three nodes: node1 founds the cluster, node2 and node3 join through it"
start node1
seed=$(endpoint node1 cluster)
start node2 --seed "$seed"
start node3 --seed "$seed"

step "Waiting until every node sees the three members up and serves"
for node in node1 node2 node3; do
    ok=
    for _ in $(seq 300); do
        members=$(at "$node" members --json 2>/dev/null) || members=
        if [ "$(count "$members" '"state":"up"')" = 3 ] &&
            [ "$(count "$members" '"reachable":true')" = 3 ] &&
            [ "$(count "$members" '"serving":true')" = 1 ]; then
            ok=yes
            break
        fi
        sleep 0.1
    done
    [ -n "$ok" ] || fail "$node does not see three members up: $members"
    echo "$node: three members up, serving"
done

step "Children make wishes, each through another node"
expect accepted node1 send child/alice MakeWish '{"wish":"a red bicycle"}'
bicycle=$(wish_id "$out")
[ -n "$bicycle" ] || fail "no wish id"
expect accepted node2 send child/bob MakeWish '{"wish":"a kite"}'
expect accepted node3 send child/carol MakeWish '{"wish":"a book of maps"}'
expect accepted node3 send child/alice MakeWish '{"wish":"a puzzle"}'
expect rejected node2 send child/dave MakeWish '{"wish":"two stink bombs"}'

step "Fulfil Alice's bicycle by its wish id alone, through node2"
for _ in $(seq 100); do
    at node3 get "wish/$bicycle" 2>/dev/null | grep -q '"open": *true' && break
    sleep 0.05
done
show node3 get "wish/$bicycle"
expect accepted node2 send "wish/$bicycle" FulfillWish '{}'

step "Read the children through node3"
show node3 get child/alice
alice=$(at node3 get child/alice)
case "$alice" in *"$bicycle"*) fail "the bicycle is still listed" ;; esac
case "$alice" in *'a puzzle'*) ;; *) fail "the puzzle is not listed" ;; esac
bob=$(at node3 get child/bob)
case "$bob" in *'a kite'*) ;; *) fail "bob's kite is not listed" ;; esac
echo "bob: $bob" | tr -s ' \n' ' '
echo

step "Counters: one entity, incremented through every node"
expect accepted node1 send counter/visits Increment
expect accepted node2 send counter/visits Increment
expect accepted node3 send counter/visits Increment
show node1 get counter/visits
case "$(at node1 get counter/visits)" in
    *'"value": 3'*) ;;
    *) fail "counter/visits is not 3" ;;
esac

step "The reply can name the entity's owner, for a client to go there directly"
expect accepted node1 send counter/visits Increment --owner
owner=$(printf '%s\n' "$out" | sed -n 's/^owner \([^ ]*\) .*/\1/p')
[ -n "$owner" ] || fail "the reply names no owner"
expect accepted "$owner" send counter/visits Increment --owner
case "$out" in
    *"owner $owner "*) ;;
    *) fail "sent straight to $owner, but another node handled it" ;;
esac

step "The members and the shard table, as node2 sees them"
show node2 members
show node2 shards

step "Requests each node forwarded to the owner of their shard"
total=0
for node in node1 node2 node3; do
    forwarded=$(at "$node" status --json |
        sed -n 's/.*"forwarded":\([0-9]*\),"forwards_expired".*/\1/p')
    echo "$node: ${forwarded:-?} forwarded"
    total=$((total + ${forwarded:-0}))
done
[ "$total" -gt 0 ] || fail "no node forwarded anything"

step "Stopping the three nodes"
stop_nodes
echo "stopped"

printf '\nThe cluster story ran to the end.\n'
