#!/bin/sh
# spool-crash.sh - acceptance 2 of the spool: `cebgate run` over 2,000 orders is killed with
# SIGKILL at random moments (at least 50 times) and restarted each time; then it runs to the end
# and every order must be declared exactly once: every recorded message in outbox/ exactly
# once, no guid twice, no document version with two messages, all three documents of every
# order, PRAGMA integrity_check ok, and every input file in done/.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

mkdir -p "$W/incoming/acme" "$W/incoming/jl"
$HELPER orders own "$W/incoming/acme/a1.csv" 500 1
$HELPER orders own "$W/incoming/acme/a2.csv" 500 501
$HELPER orders jsonl "$W/incoming/jl/j1.jsonl" 500 1001
$HELPER orders jsonl "$W/incoming/jl/j2.jsonl" 500 1501
rnd() { od -An -N2 -tu2 /dev/urandom | tr -d ' '; }
total=2000
pending() { [ "$(find "$W/incoming" "$W/active" -type f | wc -l)" -gt 0 ]; }
kills=0
finished=0
i=0
while [ $kills -lt 55 ] && [ $i -lt 300 ]; do
    i=$((i + 1))
    # A fast machine may finish before 55 kills: keep work in the spool so every kill counts.
    if ! pending; then
        $HELPER orders jsonl "$W/incoming/jl/more$i.jsonl" 200 $((total + 1))
        total=$((total + 200))
    fi
    "$CEBGATE" -q -c "$W/cebgate.conf" run --batch 40 --workers 1 --no-progress >/dev/null 2>"$T/run.err" &
    pid=$!
    # 10 to 250 ms: kills land in start-up and recovery, signing, commits and moves.
    ms=$(( $(rnd) % 240 + 10 ))
    sleep "$(printf '0.%03d' "$ms")"
    if kill -KILL $pid 2>/dev/null; then kills=$((kills + 1)); fi
    wait $pid 2>/dev/null
done
echo "# $kills runs killed, $total orders"
check "at least 50 runs were killed" [ "$kills" -ge 50 ]
expect_rc 0 "a final run finishes the batch" "$CEBGATE" -c "$W/cebgate.conf" run --no-progress
cat "$T/out"
check "every input file in done/" [ "$(find "$W/done" -type f | wc -l)" -eq $((4 + (total - 2000) / 200)) ]
check "nothing left in active/" [ "$(find "$W/active" -type f | wc -l)" -eq 0 ]
check "nothing left in tmp/" [ "$(find "$W/tmp" -type f | wc -l)" -eq 0 ]
check "no input file lost" [ "$(find "$W/incoming" "$W/failed" -type f | wc -l)" -eq 0 ]
check "PRAGMA integrity_check" [ "$(sql 'PRAGMA integrity_check')" = ok ]
check "$total orders" [ "$(sql 'SELECT count(*) FROM orders')" -eq $total ]
check "3 documents per order, each at version 1" \
    [ "$(sql 'SELECT count(*) FROM documents WHERE version = 1')" -eq $((3 * total)) ]
check "3 messages per order in outbox/" [ "$(count "$W/outbox" '*.xml')" -eq $((3 * total)) ]
expect_rc 0 "outbox and database agree: each document version declared once" \
    $HELPER check-outbox "$W/outbox" "$W/cebgate.db"
cat "$T/out"
check "every order has its three documents" \
    [ "$(sql 'SELECT count(*) FROM (SELECT order_id FROM documents GROUP BY order_id HAVING count(*) = 3)')" -eq $total ]
check "all sent" [ "$(sql "SELECT count(*) FROM messages WHERE state <> 'sent' OR staged <> 0")" -eq 0 ]
finish
