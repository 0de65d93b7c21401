#!/bin/sh
# flow-e2e.sh - the whole export flow of two sellers over loopback TLS against `cebgate port`:
# seller a on route A and seller b on route B, 100 paid orders each (payments from the shop)
# -> CEB303, 403, 505, 603 -> released
# -> one manifest per seller -> CEB607 -> CEB509 -> 899 after the departure -> `cebgate
# summary` for that month -> CEB701 -> CEB702 -> CEB792 -> every route-B order's status shows
# its entryId, no route-A inventory is ever summarised, and the port's database and the
# sender's agree document by document (guid and last status), the CEB403 included.
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
N=${FLOW_E2E_ORDERS:-100}
CLOSE_MS=0 port_conf "$T/port.conf" "$T/port.db" "close_after_departure = yes"
port_start -d "$T" -r "$T/port.conf"
sender_conf
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
# seller a: SO-0000201..; seller b: SO-0000501.. (clear of the port's reject rules)
$HELPER orders own-paid "$W/incoming/a/orders.csv" "$N" 201 || fail "make orders"
$HELPER orders own-paid "$W/incoming/b/orders.csv" "$N" 601 || fail "make orders"
expect_rc 0 "run declares $((2 * N)) orders over HTTPS" cg run --no-progress
run_until "documents WHERE msg_type = 603 AND state = 'released'" $((2 * N))
check "all $((2 * N)) inventories released, none closed before departure" \
    test "$(count "documents WHERE msg_type = 603 AND state = 'released'")" = $((2 * N))
check "303, 403, 505, 603 for every order" test "$(sql "SELECT group_concat(msg_type || ':' || n, ' ') FROM (SELECT msg_type, count(DISTINCT order_id) AS n FROM documents WHERE order_id IN (SELECT id FROM orders WHERE order_no LIKE 'SO-%') GROUP BY msg_type ORDER BY msg_type)")" = "303:$((2 * N)) 403:$((2 * N)) 505:$((2 * N)) 603:$((2 * N))"
run_until "documents WHERE msg_type = 403 AND state = 'accepted'" $((2 * N))
check "every CEB403 accepted by its CEB404 (120)" test "$(count "documents WHERE msg_type = 403 AND state = 'accepted' AND status = '120'")" = $((2 * N))
check "each 403 agrees with its 303 (orderNo, ebcCode, currency) and carries the order's payment" \
    python3 "$CG_SRCDIR/tests/e2e/flow-helper.py" pay-agree "$W/archive" $((2 * N)) 34 PAY-
H=bill_no,traf_mode,traf_name,voyage_no,leave_time,logistics_code,logistics_name,logistics_no,gross_weight
manifest() { # SELLER BILL FIRST
    { echo "$H"
      i=0
      while [ $i -lt "$N" ]; do
          printf '%s,5,CA1234,CA1234,2026-11-10 08:30,3120980105,SF Express,SF%013d,2.5\n' "$2" $(($3 + i))
          i=$((i + 1))
      done; } >"$W/incoming/$1/manifest.csv"
}
manifest a MB-A 201
manifest b MB-B 601
expect_rc 0 "the manifests are taken" cg run --no-progress
run_until "documents WHERE msg_type = 603 AND state = 'closed'" $((2 * N))
check "two CEB607 and two CEB509 accepted" test "$(count "documents WHERE msg_type IN (607, 509) AND state = 'accepted'")" = 4
check "all inventories closed after their departure" test "$(count "documents WHERE msg_type = 603 AND state = 'closed'")" = $((2 * N))
check "no 899 before the departures were sent" test "$(sql "SELECT count(*) FROM receipts WHERE status = '899' AND received_at < (SELECT min(sent_at) FROM messages WHERE msg_type = 509)")" = 0
M=$(sql "SELECT substr(min(return_time), 1, 6) FROM receipts WHERE status = '899'")
expect_rc 0 "cebgate summary --month $M" cg summary --month "$M"
check "one summary (seller b, one country)" grep -Fxq "$M: 1 summary declared" "$T/out"
run_until "customs_entry_invt" $((3 * N))
check "the CEB792 gave each route-B inventory line its declaration" test "$(count "customs_entry_invt")" = $((3 * N))
check "the CEB701 accepted (CEB702 120)" test "$(sql "SELECT state FROM documents WHERE msg_type = 701")" = accepted
check "no route-A inventory summarised" test "$(sql "SELECT count(*) FROM flow_summary_invts si JOIN orders o ON o.id = si.order_id WHERE o.seller <> 'b'")" = 0
E=$(sql "SELECT DISTINCT entry_id FROM customs_entry_invt")
bad=0
for i in $(seq 601 $((600 + N))); do
    cg status "$(printf 'SO-%07d' "$i")" >"$T/st" 2>&1
    [ "$(grep -c "customs declaration (entryId) $E" "$T/st")" = 3 ] || bad=$((bad + 1))
done
check "every route-B order's status shows its entryId ($bad without)" test "$bad" = 0
cg status SO-0000201 >"$T/st" 2>&1
check "a route-A order's status shows none" sh -c "! grep -q entryId '$T/st'"
"$CEBGATE" -c "$T/port.conf" port --documents | awk -F'\t' '{ print $2, $6 }' | sort >"$T/port-docs"
sql "SELECT guid, status FROM documents" | tr '|' ' ' | sort >"$T/our-docs"
check "both databases agree document by document ($(wc -l <"$T/our-docs") documents)" cmp -s "$T/port-docs" "$T/our-docs"
check "the port holds every CEB403" test "$("$CEBGATE" -c "$T/port.conf" port --documents | awk -F'\t' '$1 == "CEB403"' | wc -l)" = $((2 * N))
finish
