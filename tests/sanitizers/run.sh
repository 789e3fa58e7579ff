#!/bin/sh
# tests/sanitizers/run.sh - runs one test program of a sanitized build
# (-Dsanitize=true), as the exe_wrapper of its default test setup
# (tests/meson.build).
#
# Criterion runs each test in a child process of its own and ignores how
# that child exits once the test has reported, so a leak found at a child's
# exit would pass unseen. Every process of the test (children, and the
# nodes and CLIs the integration tests start, which inherit the options)
# therefore writes its ASan, LSan and UBSan reports to a log folder, and
# the run fails when any report was written.
set -u
logs=$(mktemp -d "${TMPDIR:-/tmp}/shoal-sanitizers-XXXXXX") || exit 1
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$logs/asan"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$logs/ubsan"
export ASAN_OPTIONS UBSAN_OPTIONS
"$@"
status=$?
for report in "$logs"/*; do
    [ -e "$report" ] || continue
    echo "--- $report" >&2
    cat "$report" >&2
    status=1
done
rm -rf "$logs"
exit $status
