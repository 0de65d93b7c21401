#!/bin/sh
# spool-disk-full.sh - a run cut short by a full disk accounts for the file it took. 3 orders in
# one batch; writing the third CEB505 to tmp/ fails with ENOSPC (injected with strace, on the
# write the worker makes for it, found by a traced run on a copy): the run says nothing of the
# batch was recorded and that a batch is written to tmp/ whole before its commit (free space or
# a smaller --batch), exits 75, and its summary counts the file as left in active/ for the next
# run (taken 1 = 0 done + 0 failed + 0 duplicate + 1 left). The next run declares the 3 orders,
# and its summary has no file left. Needs strace (skipped without it).
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"
if ! command -v strace >/dev/null 2>&1; then
    echo "SKIP - strace is not installed"
    exit 77
fi
# strace and LeakSanitizer both trace the process: no leak check under strace
STRACE_ENV="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

mkdir -p "$W/incoming/jl"
expect_rc 0 "a first run makes the database" cg run --no-progress
$HELPER orders jsonl "$W/incoming/jl/three.jsonl" 3 1

# The same run on a copy, traced: the worker's write of the last CEB505 (order 3) is its
# how-manieth write. strace counts per thread: the main thread writes less than that (the
# worker's name, the error, the summary), so only the worker's write fails.
cp -a "$W" "$T/probe"
expect_rc 0 "the probe run on a copy declares the 3 orders" env "$STRACE_ENV" strace -f -y \
    -o "$T/probe.trace" -e trace=write "$CEBGATE" -c "$T/probe/cebgate.conf" run \
    --no-progress --workers 1
n=$(awk '/ write\(/ { c[$1]++ } / write\([0-9]+<[^>]*\/probe\/tmp\/CEB505Message_/ { n = c[$1] } END { print n + 0 }' "$T/probe.trace")
check "the probe found the last CEB505's write (write $n of its thread)" [ "$n" -gt 0 ]

expect_rc 75 "writing the last CEB505 fails with ENOSPC: the run exits 75" env "$STRACE_ENV" \
    strace -f -o "$T/trace" -e trace=write -e inject=write:error=ENOSPC:when="$n" "$CEBGATE" \
    -c "$W/cebgate.conf" run --no-progress --workers 1
check "the injected failure was hit" grep -q 'write(.*ENOSPC.*INJECTED' "$T/trace"
sed 's/CEB505Message_[0-9A-F-]*\.xml/CEB505Message_GUID.xml/' "$T/err" >"$T/err.masked"
check "it says nothing of the batch was recorded, and what would let it through" grep -Fxq \
    "cebgate: SO-0000003: CEB505 writing: tmp/CEB505Message_GUID.xml: write failed: No space left on device (nothing of this batch was recorded; all of a batch's messages are written to tmp/ before its commit: free space there or run with a smaller --batch)" \
    "$T/err.masked"
printf '%s\n' \
    "summary: 1 file taken (0 done, 0 failed, 0 duplicate, 1 left in active/ for the next run)" \
    "  orders: 0 accepted (0 new, 0 modified), 0 unchanged, 0 rejected, 0 waiting, 0 skipped, 0 cancelled" \
    "  messages: 0 signed, 0 queued, 0 sent, 0 waiting to be sent, 0 refused" \
    "  receipts: 0 files, 0 applied, 0 duplicate, 0 late, 0 unknown guid, 0 mismatched, 0 unreadable files" \
    >"$T/want"
check "the summary counts the file as left in active/ for the next run" \
    sh -c "grep -v '^  duration: ' '$T/out' | cmp -s - '$T/want'"
check "the file stays in active/" test -f "$W/active/jl/three.jsonl"
check "nothing left in tmp/" [ "$(count "$W/tmp")" -eq 0 ]
check "no order recorded" [ "$(sql 'SELECT count(*) FROM orders')" -eq 0 ]
check "no message recorded" [ "$(sql 'SELECT count(*) FROM messages')" -eq 0 ]

expect_rc 0 "the next run" cg run --no-progress
printf '%s\n' "summary: 1 file taken (1 done, 0 failed, 0 duplicate)" \
    "  orders: 3 accepted (3 new, 0 modified), 0 unchanged, 0 rejected, 0 waiting, 0 skipped, 0 cancelled" \
    "  messages: 9 signed, 9 queued, 9 sent, 0 waiting to be sent, 0 refused" \
    "  receipts: 0 files, 0 applied, 0 duplicate, 0 late, 0 unknown guid, 0 mismatched, 0 unreadable files" \
    >"$T/want"
check "its summary: the 3 orders declared, no file left" \
    sh -c "grep -v '^done \|^  duration: ' '$T/out' | cmp -s - '$T/want'"
check "the file is done" test -f "$W/done/jl/three.jsonl"
check "9 messages recorded" [ "$(sql 'SELECT count(*) FROM messages')" -eq 9 ]
check "outbox/ matches the records" $HELPER check-outbox "$W/outbox" "$W/cebgate.db"
finish
