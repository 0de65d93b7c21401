#!/bin/sh
# spool-copies.sh - an order two files of one run hold is one order in the run's summary: the
# first file of the run that takes it counts it (new, modified or unchanged), a later file's
# copy is counted apart as a copy, unchanged or changed and declared again. Each file's own
# counts (its line, `cebgate status FILE`) still hold its copies. Checked for `run` and for the
# summary `watch` prints when it stops.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"
. "$CG_SRCDIR/tests/e2e/watch-lib.sh"

mkdir -p "$W/incoming/jl" "$W/incoming/acme"
# a: orders 201, 202, 203. b: 202 and 203 as in a. c: 203 with one line's name changed and no
# shipment data (a CEB603 modify would wait for the preNo of a receipt).
$HELPER orders jsonl "$T/a.jsonl" 3 201
$HELPER orders jsonl "$T/b.jsonl" 2 202
$HELPER orders jsonl "$T/c0.jsonl" 1 203
sed 's/"Item 0"/"Item zero"/; s/"shipment": {[^}]*}, //' "$T/c0.jsonl" >"$T/c.jsonl"
cp "$T/a.jsonl" "$T/b.jsonl" "$T/c.jsonl" "$W/incoming/jl/"

expect_rc 0 "one run takes three files holding orders 201-203" cg run
check "each file's line counts its own orders" sh -c \
    "grep -q '^done jl/a.jsonl: 3 orders taken' '$T/out' && grep -q '^done jl/b.jsonl: 2 orders taken' '$T/out' && grep -q '^done jl/c.jsonl: 1 order taken' '$T/out'"
# Three orders, each new once; b's two and c's one are copies: two unchanged, one changed (its
# CEB303 declared again: 9 + 1 messages).
check "three orders, each counted once" grep -Fxq \
    "  orders: 3 accepted (3 new, 0 modified), 0 unchanged, 0 rejected, 0 waiting, 0 skipped, 0 cancelled" \
    "$T/out"
check "the later files' copies said apart" grep -Fxq \
    "  copies in later files: 3 orders an earlier file of this run took (2 unchanged, 1 changed and declared again)" \
    "$T/out"
check "10 messages signed" grep -Fxq \
    "  messages: 10 signed, 10 queued, 10 sent, 0 waiting to be sent, 0 refused" "$T/out"
check "order 203: version 2 of its CEB303 from c.jsonl" test "$(sql "SELECT d.version FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000203' AND d.msg_type = 303")" = 2
expect_rc 0 "status of b.jsonl" cg status jl/b.jsonl
check "b.jsonl's own counts keep its copies" grep -Fxq \
    "  orders: 0 new, 0 modified, 2 unchanged, 0 rejected, 0 waiting, 0 skipped, 0 cancelled" \
    "$T/out"
expect_rc 0 "status of c.jsonl" cg status jl/c.jsonl
check "c.jsonl's own counts keep its copy" grep -Fxq \
    "  orders: 0 new, 1 modified, 0 unchanged, 0 rejected, 0 waiting, 0 skipped, 0 cancelled" \
    "$T/out"

# The next run: an order a file of an earlier run took is unchanged, no copy.
$HELPER orders jsonl "$W/incoming/jl/d.jsonl" 2 201
expect_rc 0 "the next run holds 201 and 202 again" cg run
check "unchanged since the earlier run" grep -Fxq \
    "  orders: 0 accepted (0 new, 0 modified), 2 unchanged, 0 rejected, 0 waiting, 0 skipped, 0 cancelled" \
    "$T/out"
check "no copies line" sh -c "! grep -q 'copies in later files' '$T/out'"

# watch: two files dropped a pass apart (301-302, then 301-303) are one run; its summary at the
# stop counts each order once.
"$CEBGATE" -c "$W/cebgate.conf" watch --retry 3600 >"$T/watch.out" 2>"$T/watch.err" &
WPID=$!
$HELPER orders jsonl "$W/incoming/jl/e.jsonl" 2 301
within 300 "test -f '$W/done/jl/e.jsonl'" || fail "watch took e.jsonl"
$HELPER orders jsonl "$W/incoming/jl/f.jsonl" 3 301
within 300 "test -f '$W/done/jl/f.jsonl'" || fail "watch took f.jsonl"
watch_stop
check "watch: three orders, each counted once" grep -Fxq \
    "  orders: 3 accepted (3 new, 0 modified), 0 unchanged, 0 rejected, 0 waiting, 0 skipped, 0 cancelled" \
    "$T/watch.out"
check "watch: the copies said apart" grep -Fxq \
    "  copies in later files: 2 orders an earlier file of this run took (2 unchanged, 0 changed and declared again)" \
    "$T/watch.out"
finish
