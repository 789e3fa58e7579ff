#!/bin/sh
# The wish story with the shoal command-line client.
#
# Starts a node with the wish plugin in a temporary folder, on ephemeral
# ports and a manual clock (so that a minute passes at once), walks through
# the story of examples/wish/README.md with `shoal`, and stops the node.
#
#   examples/wish/demo.sh [BUILD_DIR]     (default: build)
#
# Exit status 0 when every step answered as the domain says.
set -eu

build=${1:-build}
shoald=$build/shoald
shoal=$build/shoal
plugin=$build/examples/wish/wish.so
for file in "$shoald" "$shoal" "$plugin"; do
    [ -e "$file" ] || { echo "demo: $file is missing (run make build)" >&2; exit 2; }
done

dir=$(mktemp -d /tmp/shoal-wish-demo-XXXXXX)
node=
cleanup() {
    [ -n "$node" ] && kill "$node" 2>/dev/null && wait "$node" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

now=$(($(date +%s) * 1000))
"$shoald" --data-dir "$dir/data" --plugin "$plugin" \
    --endpoint 'tcp://127.0.0.1:*' --status-endpoint 'tcp://127.0.0.1:*' \
    --manual-clock-ms "$now" >"$dir/out" 2>"$dir/log" &
node=$!
for _ in $(seq 100); do
    grep -q '^shoald ready' "$dir/out" 2>/dev/null && break
    sleep 0.1
done
ready=$(grep '^shoald ready' "$dir/out") || { cat "$dir/log" >&2; exit 1; }
client=$(echo "$ready" | sed 's/.*client=\([^ ]*\).*/\1/')
status=$(echo "$ready" | sed 's/.*status=\([^ ]*\).*/\1/')

step() { printf '\n== %s\n' "$*"; }
run() { printf '$ shoal %s\n' "$*"; "$shoal" -e "$client" -s "$status" "$@"; }
# expect STATUS ARGS...: runs shoal and checks its first word
expect() {
    want=$1; shift
    printf '$ shoal %s\n' "$*"
    out=$("$shoal" -e "$client" -s "$status" "$@" 2>&1) || true
    echo "$out"
    case "$out" in
        "$want"*) ;;
        *) echo "demo: expected '$want'" >&2; exit 1 ;;
    esac
}
wish_id() { echo "$1" | sed -n 's/.*"wish_id": *"\([0-9a-f]*\)".*/\1/p'; }

step "Alice makes a wish; the command model shows it at once"
out=$("$shoal" -e "$client" -s "$status" send child/alice MakeWish '{"wish":"a red bicycle"}')
echo "$ shoal send child/alice MakeWish '{\"wish\":\"a red bicycle\"}'"; echo "$out"
bicycle=$(wish_id "$out")
[ -n "$bicycle" ] || { echo "demo: no wish id" >&2; exit 1; }
run get child/alice

step "A naughty wish: the gatekeeper flags it, the child is banned a minute"
expect rejected send child/alice MakeWish '{"wish":"two stink bombs"}'
expect rejected send child/alice MakeWish '{"wish":"a kite"}'
step "A minute later the ban has lapsed"
run clock set $((now + 60000))
expect accepted send child/alice MakeWish '{"wish":"a kite"}'

step "Cancel or fulfil a wish that does not exist"
expect rejected send child/alice CancelWish '{"wish_id":"nope"}'
expect rejected send wish/nope FulfillWish '{}'

step "Fulfil the bicycle by its wish id alone: the lookup finds Alice"
for _ in $(seq 100); do
    "$shoal" -e "$client" -s "$status" get "wish/$bicycle" | grep -q '"open": *true' && break
    sleep 0.05
done
run get "wish/$bicycle"
expect accepted send "wish/$bicycle" FulfillWish '{}'
run get child/alice

step "Bob makes ten wishes; the eleventh is one too many"
for n in 1 2 3 4 5 6 7 8 9 10; do
    "$shoal" -e "$client" -s "$status" send child/bob MakeWish "{\"wish\":\"toy $n\"}" >/dev/null
done
expect rejected send child/bob MakeWish '{"wish":"toy 11"}'

step "The naughty-children team marks Bob naughty until tomorrow"
expect accepted send child/bob MarkNaughty "{\"until\":$((now + 86400000))}"
run get child/bob
expect rejected send child/bob MakeWish '{"wish":"a train"}'
expect rejected send child/bob MarkNaughty "{\"until\":$((now + 3600000))}"

step "Public events: present logistics and the naughtiness team read their topics"
sleep 0.5
run events wish_updates
run events naughtiness

step "The node's view: policies, topics, timers"
run status
printf '\nThe wish story ran to the end.\n'
