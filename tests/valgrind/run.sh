#!/bin/sh
# tests/valgrind/run.sh - runs one test program under valgrind's memcheck,
# as the exe_wrapper of `meson test --setup=valgrind` (tests/meson.build).
#
# Criterion runs each test in a child process of its own and ignores how
# that child exits once the test has reported, so valgrind's exit code only
# speaks for the parent. Every process is therefore traced into a log file
# of its own, and the run fails when any log reports an error or a leak.
# Suppressions (third-party noise only) are in shoal.supp beside this file.
set -u
here=$(cd "$(dirname "$0")" && pwd)
logs=$(mktemp -d "${TMPDIR:-/tmp}/shoal-valgrind-XXXXXX") || exit 1
valgrind --error-exitcode=1 --leak-check=full \
    --trace-children=yes --child-silent-after-fork=yes \
    --suppressions="$here/shoal.supp" \
    --log-file="$logs/%p.log" "$@"
status=$?
for log in "$logs"/*.log; do
    [ -e "$log" ] || continue
    if ! grep -q "ERROR SUMMARY: 0 errors" "$log"; then
        cat "$log" >&2
        status=1
    fi
done
rm -rf "$logs"
exit $status
