#!/bin/sh
# settle-403.sh - the payment receipt (CEB403) of a seller whose payments come from its
# collections ([seller] payments = collections), over loopback TLS against `cebgate port`:
# five orders of USD 34.00 are declared and released; a collections CSV dropped into the
# seller's folder pays USD 20.00 of each; the run imports and matches it and sends exactly one
# CEB403 per order with charge 20.00 (an add), answered by CEB404; a second, partial collection
# for one order is a modify with the new total 30.00; re-running and re-importing change
# nothing; an operator unmatch takes an order to zero (a modify with charge 0) and a manual
# match brings it back (a modify with 20.00); a seller without the setting gets no CEB403;
# both databases agree document by document.
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
FLOW="python3 $CG_SRCDIR/tests/e2e/flow-helper.py"
port_conf "$T/port.conf" "$T/port.db"
port_start -d "$T" -r "$T/port.conf"
sender_conf
collections_conf
cat >>"$W/cebgate.conf" <<EOC
[seller.plain]
profile = own
EOC
mkdir -p "$W/incoming/acme" "$W/incoming/plain"
$HELPER orders own "$W/incoming/acme/orders.csv" 5 301 || fail "make orders"
$HELPER orders own "$W/incoming/plain/orders.csv" 1 401 || fail "make orders"
expect_rc 0 "six orders declared over HTTPS" cg run --no-progress
run_until "documents WHERE msg_type = 603 AND state IN ('released', 'closed')" 6
check "all six inventories released" \
    test "$(count "documents WHERE msg_type = 603 AND state IN ('released', 'closed')")" = 6
check "no CEB403 before any collection" test "$(count "documents WHERE msg_type = 403")" = 0
check "declared USD 34.00 each (29.00 goods + 5.00 freight)" \
    test "$(sql "SELECT group_concat(DISTINCT currency || ' ' || amount) FROM fx_declared")" = "USD 3400"

DAY=$(date -u +%Y-%m-%d)
{
    echo receipt_id,date,value_date,currency,amount,order_no
    for i in 301 302 303 304 305; do echo "BANK-$i,$DAY,$DAY,USD,20.00,SO-0000$i"; done
} >"$T/col-1.csv"
cp "$T/col-1.csv" "$W/incoming/acme/collections-1.csv"
{ echo receipt_id,date,currency,amount,order_no; echo "BANK-401,$DAY,USD,20.00,SO-0000401"; } \
    >"$W/incoming/plain/collections-1.csv"
expect_rc 0 "the collection is imported and matched, the receipts declared" cg run --no-progress
check "six allocations" test "$(count "fx_allocation WHERE removed_at IS NULL")" = 6
run_until "documents WHERE msg_type = 403 AND state = 'accepted'" 5
kinds() { # ORDER: version:appType of each CEB403 message of the order
    sql "SELECT group_concat(m.version || ':' || m.app_type, ' ') FROM messages m
         JOIN documents d ON d.id = m.document_id JOIN orders o ON o.id = d.order_id
         WHERE o.order_no = '$1' AND m.msg_type = 403 ORDER BY m.version"
}
bad=0
for i in 301 302 303 304 305; do [ "$(kinds SO-0000$i)" = "1:1" ] || bad=$((bad + 1)); done
check "exactly one CEB403 per order of acme, an add ($bad otherwise)" test "$bad" = 0
check "none for the seller without payments = collections" test "$(kinds SO-0000401)" = ""
check "every CEB403 accepted by its CEB404 (120)" \
    test "$(count "documents WHERE msg_type = 403 AND state = 'accepted' AND status = '120'")" = 5
check "the CEB404 receipts were applied" \
    test "$(count "receipts WHERE msg_type = 404 AND outcome = 'applied'")" -ge 5
"$CEBGATE" -c "$T/port.conf" port --documents >"$T/port-docs.tsv" 2>"$T/err" || fail "port --documents"
check "the port holds five CEB403, one per order" \
    test "$(awk -F'\t' '$1 == "CEB403" { print $3 }' "$T/port-docs.tsv" | sort -u | wc -l) $(awk -F'\t' '$1 == "CEB403"' "$T/port-docs.tsv" | wc -l)" = "5 5"
D=$(echo "$DAY" | tr -d -)
$FLOW payments "$W/archive" >"$T/pay"
check "each carries the matched amount, the order's currency (502), the receipt and its day" \
    test "$(cat "$T/pay")" = "$(for i in 301 302 303 304 305; do echo "SO-0000$i 1 20 502 BANK-$i ${D}000000"; done)"
f403=$(grep -l '<ceb:orderNo>SO-0000301</ceb:orderNo>' $(find "$W/archive" -name 'CEB403Message_*.xml') | head -1)
f303=$(grep -l '<ceb:orderNo>SO-0000301</ceb:orderNo>' $(find "$W/archive" -name 'CEB303Message_*.xml') | head -1)
val() { sed -n "s:.*<ceb\:$2>\([^<]*\)</ceb\:$2>.*:\1:p" "$1" | head -1; }
for e in orderNo ebcCode currency; do
    check "303 and 403 agree on $e ($(val "$f303" $e))" test "$(val "$f403" $e)" = "$(val "$f303" $e)"
done
check "payName and payCode are the seller's" \
    test "$(val "$f403" payName) $(val "$f403" payCode)" = "Bank of Test 3301960PAY"

# A second, partial collection for one order: a modify with the new total.
{ echo receipt_id,date,currency,amount,order_no; echo "BANK-301B,$DAY,USD,10.00,SO-0000301"; } \
    >"$W/incoming/acme/collections-2.csv"
expect_rc 0 "the second collection is imported and matched" cg run --no-progress
check "order 301: version 2, a modify" test "$(kinds SO-0000301)" = "1:1 2:2"
bad=0
for i in 302 303 304 305; do [ "$(kinds SO-0000$i)" = "1:1" ] || bad=$((bad + 1)); done
check "the other orders unchanged ($bad changed)" test "$bad" = 0
$FLOW payments "$W/archive" | grep '^SO-0000301 2 ' >"$T/pay2"
check "the modify carries the new total 30.00 and the latest receipt" \
    test "$(cat "$T/pay2")" = "SO-0000301 2 30 502 BANK-301B ${D}000000"

# Re-running and re-importing change nothing.
n=$(count messages)
expect_rc 0 "run again" cg run --no-progress
expect_rc 0 "the first collection imported again" cg settle import "$T/col-1.csv"
check "recognised as imported before" grep -qi 'imported before' "$T/out"
expect_rc 0 "run again" cg run --no-progress
check "no new message ($n before, $(count messages) now)" test "$(count messages)" = "$n"

# The operator takes order 302's money away, then gives it back.
R=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE '%BANK-302%'")
expect_rc 0 "unmatch receipt $R from SO-0000302" cg settle unmatch "$R" acme/SO-0000302
# The allocation taken away keeps when: a UTC time, not a number (the receipt's id once took
# the time's place in the statement).
rm_at=$(sql "SELECT removed_at FROM fx_allocation WHERE receipt_id = $R AND removed_at IS NOT NULL")
check "removed_at is a time ($rm_at)" test -n "$(printf '%s\n' "$rm_at" |
    grep -E '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]')"
expect_rc 0 "run" cg run --no-progress
check "order 302: a modify to zero" test "$(kinds SO-0000302)" = "1:1 2:2"
check "charge 0" test "$($FLOW payments "$W/archive" | awk '$1 == "SO-0000302" && $2 == 2 { print $3 }')" = 0
expect_rc 0 "match it again by hand" cg settle match "$R" acme/SO-0000302
expect_rc 0 "run" cg run --no-progress
check "order 302: a modify back to 20.00" test "$(kinds SO-0000302)" = "1:1 2:2 3:2"
check "charge 20" test "$($FLOW payments "$W/archive" | awk '$1 == "SO-0000302" && $2 == 2' | grep -c ' 20 502 BANK-302 ')" = 1

run_until_done 30 || fail "documents still wait after $RUNS runs"
compare_sides
for k in missing-at-port type-differs status-differs; do
    check "both databases agree on the current documents: $k 0" test "$(cmp_val $k)" = 0
done
awk -F'\t' '{ print $2 }' "$T/port-docs.tsv" | sort >"$T/port-guids"
sql "SELECT guid FROM messages" | sort >"$T/our-guids"
check "and message by message, every version ($(wc -l <"$T/our-guids") sent)" cmp -s "$T/port-guids" "$T/our-guids"
check "the port has every CEB403 version (8)" \
    test "$(awk -F'\t' '$1 == "CEB403"' "$T/port-docs.tsv" | wc -l)" = 8
finish
