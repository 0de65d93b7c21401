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

# Orders held or rejected count once too. g: 401 and 403 waiting, 402 rejected (a line of
# quantity 0), 404 declared. h: 401 waiting again, 402 and 403 live and declared, 404 rejected.
# 401 is one waiting order; 402 and 403 have nothing left to fix (`status --rejected` no
# longer lists 402): accepted only; 404 counts as accepted by g, h's rejection of it as a copy.
$HELPER orders jsonl "$T/g0.jsonl" 4 401
sed -e '/SO-0000401\|SO-0000403/s/^{/{"status": "wait", /' \
    -e '/SO-0000402/s/"qty": "1"/"qty": "0"/' "$T/g0.jsonl" >"$W/incoming/jl/g.jsonl"
sed -e '/SO-0000401/s/^{/{"status": "wait", /' \
    -e '/SO-0000404/s/"qty": "1"/"qty": "0"/' "$T/g0.jsonl" >"$W/incoming/jl/h.jsonl"
expect_rc 1 "one run takes g and h, which hold, reject and declare the same orders" cg run
check "g's line counts its own orders" grep -q '^done jl/g.jsonl: 1 order taken, 1 rejected' "$T/out"
check "h's line counts its own orders" grep -q '^done jl/h.jsonl: 2 orders taken, 1 rejected' "$T/out"
check "each order counted once: 3 new, 1 waiting, none rejected" grep -Fxq \
    "  orders: 3 accepted (3 new, 0 modified), 0 unchanged, 0 rejected, 1 waiting, 0 skipped, 0 cancelled" \
    "$T/out"
check "h's rejection of 404, which g took, said apart as a copy" grep -Fxq \
    "  copies in later files: 1 order an earlier file of this run took (0 unchanged, 0 changed and declared again, 1 rejected)" \
    "$T/out"
check "402 and 403 declared" test "$(sql "SELECT count(*) FROM orders WHERE order_no IN ('SO-0000402', 'SO-0000403', 'SO-0000404')")" = 3
expect_rc 0 "status of h.jsonl" cg status jl/h.jsonl
check "h.jsonl's own counts keep what it did" grep -Fxq \
    "  orders: 2 new, 0 modified, 0 unchanged, 1 rejected, 1 waiting, 0 skipped, 0 cancelled" \
    "$T/out"

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

# Schema step 10: a database put back to version 9 (no indexes by order on file_orders and
# rejections, no held status; step 11's indexes gone too) gets them again on open, and a run
# counts held orders once.
sql "DROP TABLE seller_holds; DROP INDEX documents_303; DROP INDEX file_orders_held; DROP INDEX documents_waybill; ALTER TABLE documents DROP COLUMN carrier; ALTER TABLE documents DROP COLUMN route; DROP INDEX file_orders_order; DROP INDEX rejections_order; ALTER TABLE file_orders DROP COLUMN status; PRAGMA user_version = 9"
check "  put back to version 9" test "$(sql "PRAGMA user_version")|$(sql "SELECT count(*) FROM pragma_table_info('file_orders') WHERE name = 'status'")" = "9|0"
expect_rc 0 "status opens the database of version 9" cg status --pending
check "  migrated to version 12: both indexes and the held status" test "$(sql "PRAGMA user_version")|$(sql "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE name IN ('file_orders_order', 'rejections_order') ORDER BY name)")|$(sql "SELECT count(*) FROM pragma_table_info('file_orders') WHERE name = 'status'")" = "12|file_orders_order rejections_order|1"
Q="SELECT input_file, held, coalesce(status, 0) FROM file_orders WHERE seller = 'jl' AND order_no = 'SO-0000401' UNION ALL SELECT input_file, 2, 0 FROM rejections WHERE seller = 'jl' AND order_no = 'SO-0000401' AND input_file IS NOT NULL"
check "  the run's lookup of an order's files searches both indexes" test "$(sql "EXPLAIN QUERY PLAN $Q" | grep -Eo 'SEARCH [a-z_]+ USING (COVERING )?INDEX [a-z_]+' | sed 's/COVERING //' | sort | tr '\n' ' ')" = "SEARCH file_orders USING INDEX file_orders_order SEARCH rejections USING INDEX rejections_order "
$HELPER orders jsonl "$T/k0.jsonl" 1 501
sed '/SO-0000501/s/^{/{"status": "wait", /' "$T/k0.jsonl" >"$W/incoming/jl/k1.jsonl"
cp "$W/incoming/jl/k1.jsonl" "$T/k2.jsonl" && echo >>"$T/k2.jsonl" && mv "$T/k2.jsonl" "$W/incoming/jl/k2.jsonl"
expect_rc 0 "a run of two files holding order 501 waiting" cg run
check "  counts one waiting order" grep -Fxq \
    "  orders: 0 accepted (0 new, 0 modified), 0 unchanged, 0 rejected, 1 waiting, 0 skipped, 0 cancelled" \
    "$T/out"
check "  each file's row keeps the status it held it for (1: waiting)" test "$(sql "SELECT group_concat(status, ',') FROM file_orders WHERE order_no = 'SO-0000501'")" = "1,1"
finish
