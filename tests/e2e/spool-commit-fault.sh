#!/bin/sh
# spool-commit-fault.sh - a batch whose commit fails is not counted. 30 orders in batches of 10;
# the commit of the second batch fails (SQLite's fdatasync of the WAL answers EIO, injected
# with strace): the run says nothing of that batch was recorded, exits 75 and its summary counts
# the first batch only (10 orders, 30 messages signed, not the 60 the two batches signed) and the
# file as left in active/ for the next run; the
# next run declares the 20 others, each once. The failing sync is found by a run under strace
# on a copy of the working directory: the first fdatasync after the second batch's syncfs of
# tmp/ (the batch's messages flushed just before its commit). Needs strace (skipped without it).
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"
if ! command -v strace >/dev/null 2>&1; then
    echo "SKIP - strace is not installed"
    exit 77
fi
# strace and LeakSanitizer both trace the process: no leak check under strace
STRACE_ENV="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
summary() {
    printf '%s\n' "summary: 1 file taken ($1 done, 0 failed, 0 duplicate${5-})" \
        "  orders: $2 accepted ($2 new, 0 modified), $3 unchanged, 0 rejected, 0 waiting, 0 skipped, 0 cancelled" \
        "  messages: $4 signed, $4 queued, $4 sent, 0 waiting to be sent, 0 refused" \
        "  receipts: 0 files, 0 applied, 0 duplicate, 0 late, 0 unknown guid, 0 mismatched, 0 unreadable files"
}

mkdir -p "$W/incoming/jl"
expect_rc 0 "a first run makes the database" cg run --no-progress
$HELPER orders jsonl "$W/incoming/jl/thirty.jsonl" 30 1

# The same run on a copy, traced: which fdatasync is the second batch's commit.
cp -a "$W" "$T/probe"
expect_rc 0 "the probe run on a copy declares the 30 orders" env "$STRACE_ENV" strace -f \
    -o "$T/probe.trace" -e trace=fdatasync,syncfs "$CEBGATE" -c "$T/probe/cebgate.conf" run \
    --no-progress --batch 10
n=$(awk '/ syncfs\(/ { s++ } / fdatasync\(/ { f++; if (s == 2 && n == 0) n = f }
    END { print n + 0 }' "$T/probe.trace")
check "the probe found the second batch's commit (fdatasync $n)" [ "$n" -gt 0 ]

expect_rc 75 "the second batch's commit fails: the run exits 75" env "$STRACE_ENV" strace -f \
    -o "$T/trace" -e trace=fdatasync -e inject=fdatasync:error=EIO:when="$n" "$CEBGATE" \
    -c "$W/cebgate.conf" run --no-progress --batch 10
check "the injected failure was hit" grep -q 'fdatasync(.*INJECTED' "$T/trace"
check "it says the commit failed and nothing of the batch was recorded" grep -Fxq \
    "cebgate: $W/./cebgate.db: commit: disk I/O error (nothing of this batch was recorded)" \
    "$T/err"
summary 0 10 0 30 ", 1 left in active/ for the next run" >"$T/want"
check "the summary counts the first batch only: 10 orders, 30 messages signed" \
    sh -c "grep -v '^  duration: ' '$T/out' | cmp -s - '$T/want'"
check "10 orders recorded" [ "$(sql 'SELECT count(*) FROM orders')" -eq 10 ]
check "  SO-0000001 to SO-0000010" [ "$(sql "SELECT min(order_no) || ' ' || max(order_no)
    FROM orders")" = "SO-0000001 SO-0000010" ]
check "30 messages recorded" [ "$(sql 'SELECT count(*) FROM messages')" -eq 30 ]
check "30 in outbox/" [ "$(count "$W/outbox" '*.xml')" -eq 30 ]
check "nothing left in tmp/" [ "$(count "$W/tmp")" -eq 0 ]
check "the file stays in active/" test -f "$W/active/jl/thirty.jsonl"
check "nothing rejected" [ "$(sql 'SELECT count(*) FROM rejections')" -eq 0 ]

expect_rc 0 "the next run" cg run --no-progress --batch 10
summary 1 20 10 60 >"$T/want"
check "the file's line counts its 30 orders" \
    grep -q '^done jl/thirty.jsonl: 30 orders taken, 0 rejected, [0-9.]*s$' "$T/out"
check "the summary: the 20 others declared, the first 10 unchanged" \
    sh -c "grep -v '^done \|^  duration: ' '$T/out' | cmp -s - '$T/want'"
check "30 orders" [ "$(sql 'SELECT count(*) FROM orders')" -eq 30 ]
check "one version of each of their 90 documents" \
    [ "$(sql 'SELECT count(*) FROM messages')" -eq 90 ]
check "no document declared twice" [ "$(sql 'SELECT max(version) FROM documents')" -eq 1 ]
check "outbox/ matches the records" $HELPER check-outbox "$W/outbox" "$W/cebgate.db"
check "the file is done" test -f "$W/done/jl/thirty.jsonl"
finish
