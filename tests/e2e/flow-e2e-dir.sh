#!/bin/sh
# flow-e2e-dir.sh - the whole export flow of two sellers through the folder transport: messages
# in outbox/, receipts in the official format written into inbox/ by flow-helper.py, as an
# exchange client would. Seller a on route A and seller b on route B, 20 paid orders each
# (payments from the shop) -> CEB303, 403, 505, 603 -> CEB404 and the others -> released -> a manifest per seller -> CEB607 -> CEB509 -> 899 ->
# `cebgate summary` -> CEB701 -> CEB702 -> CEB792 -> every route-B order's status shows its
# entryId, no route-A inventory is summarised, and every receipt was matched to its message.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"
FLOW="python3 $CG_SRCDIR/tests/e2e/flow-helper.py"
cleanup_hooks=""
N=20
cat >>"$W/cebgate.conf" <<EOC
[seller.a]
profile = own
payments = shop
[seller.b]
profile = own
payments = shop
statistics_flag = B
[spool]
summary_day = 0
EOC
mkdir -p "$W/incoming/a" "$W/incoming/b"
$HELPER orders own-paid "$W/incoming/a/orders.csv" $N 201 || fail "make orders"
$HELPER orders own-paid "$W/incoming/b/orders.csv" $N 601 || fail "make orders"
expect_rc 0 "run declares $((2 * N)) orders into outbox/" cg run --no-progress
answer() { # TYPE STATUS...: a receipt for every CEB<TYPE> message in outbox/
    t=$1
    shift
    for f in "$W"/outbox/CEB${t}Message_*.xml; do $FLOW receipt "$W/inbox" "$f" "$@"; done
}
check "one CEB403 per order in outbox/" test "$(ls "$W/outbox" | grep -c '^CEB403')" = $((2 * N))
check "each 403 agrees with its 303 (orderNo, ebcCode, currency) and carries the order's payment" \
    $FLOW pay-agree "$W/outbox" $((2 * N)) 34 PAY-
answer 303 2 120
answer 403 2 120
answer 505 2 120
answer 603 2 120 800
expect_rc 0 "customs' receipts are applied" cg run --no-progress
count() { sql "SELECT count(*) FROM documents WHERE $1"; }
check "all inventories released" test "$(count "msg_type = 603 AND state = 'released'")" = $((2 * N))
check "every CEB403 accepted by its CEB404" test "$(count "msg_type = 403 AND state = 'accepted' AND status = '120'")" = $((2 * N))
H=bill_no,traf_mode,traf_name,voyage_no,leave_time,logistics_code,logistics_name,logistics_no,gross_weight
for s in a b; do
    first=$([ $s = a ] && echo 201 || echo 601)
    { echo "$H"
      for i in $(seq $first $((first + N - 1))); do
          printf 'MB-%s,5,CA1234,CA1234,2026-11-10 08:30,3120980105,SF Express,SF%013d,2.5\n' "$s" "$i"
      done; } >"$W/incoming/$s/manifest.csv"
done
expect_rc 0 "the manifests are taken, the CEB607 written" cg run --no-progress
check "two CEB607" test "$(ls "$W/outbox" | grep -c '^CEB607')" = 2
answer 607 2 120
expect_rc 0 "CEB608 applied, the CEB509 written" cg run --no-progress
check "two CEB509" test "$(ls "$W/outbox" | grep -c '^CEB509')" = 2
answer 509 2 120
answer 603 899
expect_rc 0 "CEB510 and 899 applied" cg run --no-progress
check "all inventories closed" test "$(count "msg_type = 603 AND state = 'closed'")" = $((2 * N))
expect_rc 0 "cebgate summary --month 202611" cg summary --month 202611
check "one summary" grep -Fxq "202611: 1 summary declared" "$T/out"
answer 701 2 120
for f in "$W"/outbox/CEB701Message_*.xml; do $FLOW summary-result "$W/inbox" "$f" 224420260000000077 3; done
expect_rc 0 "CEB702 and CEB792 applied" cg run --no-progress
bad=0
for i in $(seq 601 $((600 + N))); do
    cg status "$(printf 'SO-%07d' "$i")" >"$T/st" 2>&1
    [ "$(grep -c 'customs declaration (entryId) 224420260000000077' "$T/st")" = 3 ] || bad=$((bad + 1))
done
check "every route-B order's status shows its entryId ($bad without)" test "$bad" = 0
check "no route-A inventory summarised" test "$(sql "SELECT count(*) FROM flow_summary_invts si JOIN orders o ON o.id = si.order_id WHERE o.seller <> 'b'")" = 0
check "every receipt matched its message" test "$(sql "SELECT count(*) FROM receipts WHERE outcome IN ('unknown', 'mismatch')")" = 0
check "every document at its last status" test "$(sql "SELECT group_concat(msg_type || ':' || state || ':' || n, ' ') FROM (SELECT msg_type, state, count(*) AS n FROM documents GROUP BY 1, 2 ORDER BY 1, 2)")" = "303:accepted:$((2 * N)) 403:accepted:$((2 * N)) 505:accepted:$((2 * N)) 509:accepted:2 603:closed:$((2 * N)) 607:accepted:2 701:accepted:1"
finish
