#!/bin/sh
# spool-watch.sh - acceptance 4 of the spool: `cebgate watch` takes a file dropped (renamed)
# into incoming/<seller>/ while it runs within a second, applies a receipt dropped into inbox/
# within a second, reacts to a new seller folder, and exits 0 on SIGTERM with nothing
# half-done (no file in active/ or tmp/, no message row waiting for its file).
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

mkdir -p "$W/incoming/acme"
$HELPER orders own "$W/incoming/acme/first.csv" 2 1
"$CEBGATE" -c "$W/cebgate.conf" watch >"$T/watch.out" 2>"$T/watch.err" &
wp=$!
# within: wait up to N tenths of a second for a shell condition
within() { n=$1; shift; k=0; while [ $k -lt "$n" ]; do if eval "$@"; then return 0; fi; sleep 0.1; k=$((k + 1)); done; return 1; }
check "the first pass takes what was there" within 100 "test -f '$W/done/acme/first.csv'"
$HELPER orders own "$T/second.csv" 1 10
mv "$T/second.csv" "$W/incoming/acme/second.csv"
check "a dropped file is taken within a second" within 10 "! test -f '$W/incoming/acme/second.csv'"
check "and declared" within 50 "test -f '$W/done/acme/second.csv'"
g=$(sql "SELECT d.guid FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000010' AND d.msg_type = 303")
mkdir "$T/ob" && cp "$W/outbox/CEB303Message_$g.xml" "$T/ob/"
$HELPER receipts "$T/ob" "$T" 2 120 >/dev/null
mv "$T"/CEB304Message_*.xml "$W/inbox/"
check "a receipt is applied within a second" \
    within 10 "[ \"\$(sqlite3 '$W/cebgate.db' \"SELECT state FROM documents WHERE guid = '$g'\")\" = accepted ]"
check "and archived" within 10 "[ \"\$(find '$W/inbox' -type f | wc -l)\" -eq 0 ]"
mkdir "$W/incoming/jl"
$HELPER orders jsonl "$T/j.jsonl" 1 300
mv "$T/j.jsonl" "$W/incoming/jl/j.jsonl"
check "a new seller folder is watched too" within 30 "test -f '$W/done/jl/j.jsonl'"
$HELPER orders own "$T/big.csv" 300 1000
mv "$T/big.csv" "$W/incoming/acme/big.csv"
# SIGTERM once watch has taken the big file (it left incoming/), while it works on it.
check "the big file is taken" within 50 "! test -f '$W/incoming/acme/big.csv'"
kill -TERM $wp
wait $wp
rc=$?
check "SIGTERM exits 0" [ "$rc" -eq 0 ]
check "nothing in tmp/" [ "$(find "$W/tmp" -type f | wc -l)" -eq 0 ]
check "no message waiting for its file" [ "$(sql 'SELECT count(*) FROM messages WHERE staged = 1')" -eq 0 ]
check "every recorded message is in outbox/" $HELPER check-outbox "$W/outbox" "$W/cebgate.db"
check "watch printed its summary" grep -q '^summary:' "$T/watch.out"
expect_rc 0 "a run afterwards finishes what was stopped" "$CEBGATE" -c "$W/cebgate.conf" run
check "the big file is done" test -f "$W/done/acme/big.csv"
check "each document declared once" [ "$(sql 'SELECT count(*) FROM messages')" -eq "$(sql 'SELECT count(*) FROM documents')" ]
finish
