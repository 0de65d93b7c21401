#!/bin/sh
# settle-several.sh - one receipt naming several orders, some in another currency than the
# receipt. The orders in the receipt's currency take what they still expect first, in the order
# named; what is left goes to an order in another currency only as a CROSS_CCY allocation waiting
# for the operator, never converted; a receipt the orders in its currency use up leaves nothing
# for it. An order that expects nothing more is passed over, except as the last order named in
# the receipt's currency, which takes the rest and shows as OVER_COLLECTED; an order the
# operator closed (deemed collected, uncollectible) takes nothing, and what would have gone to it
# stays on the receipt for the operator (named beside open orders, all the open orders leave),
# as does a payout line for it or a refund to its buyer
# (one naming it first, in a receipt's references or a batch of refunds). A receipt names any
# number of orders: a remittance naming 20 orders, or the payment number of 20 orders, pays all
# 20. The allocations of each receipt add up exactly to what it brought. A refund to the buyer
# goes to the order named in its currency. Expected amounts follow docs/settlement.md
# ("Matching", "Orders the operator closed") and SETTLE-REFUND.md 2.a (allocation is
# currency-explicit, OVER_COLLECTED, DEEMED_COLLECTED and UNCOLLECTIBLE) and T5.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no/' "$W/cebgate.conf"

H=order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight
line() { echo "$1,$2,US,USNY,0.00,TS-001,T-shirt,1,$3,3120980105,SF Express,SF00000000009$4,1"; }
{
    echo "$H"
    line A1 USD 100.00 01
    line B1 EUR 150.00 02
    line A2 USD 100.00 03
    line B2 EUR 150.00 04
    line C3 EUR 150.00 05
    line A3 USD 100.00 06
    line G4 EUR 60.00 07
    line H4 USD 50.00 08
    line I4 EUR 40.00 09
    line M5 USD 100.00 10
    line N5 USD 50.00 11
    line P6 USD 100.00 12
    line Q6 USD 50.00 13
    line X6 EUR 80.00 14
    line K8 EUR 60.00 15
    line D8 EUR 40.00 16
    line U9 EUR 70.00 17
    line L10 EUR 25.00 18
    line K11 EUR 60.00 19
    line L11 EUR 25.00 20
    line Y11 USD 30.00 21
    line Z12 EUR 30.00 22
    # V01 to V20 (USD 10.00 each): one remittance names them all by order number
    for i in $(seq -w 1 20); do
        echo "V$i,USD,US,USNY,0.00,TS-001,T-shirt,1,10.00,3120980105,SF Express,SF00000000010$i,1"
    done
} >"$W/incoming/acme/orders.csv"
# W01 to W20 (USD 10.00 each): one payment number for all of them, a basket
{
    echo "$H,pay_name,pay_time,pay_no"
    for i in $(seq -w 1 20); do
        echo "W$i,USD,US,USNY,0.00,TS-001,T-shirt,1,10.00,3120980105,SF Express,SF00000000011$i,1,Example Pay,2025-06-20 10:00:00,PAY-BULK"
    done
} >"$W/incoming/acme/basket.csv"
VS=$(seq -w 1 20 | sed 's/^/V/' | tr '\n' ' ')
WS=$(seq -w 1 20 | sed 's/^/W/' | tr '\n' ' ')
expect_rc 0 "orders declared" cg run
# shellcheck disable=SC2086
release 2025-07-01 A1 B1 A2 B2 C3 A3 G4 H4 I4 M5 N5 P6 Q6 X6 K8 D8 U9 L10 K11 L11 Y11 $VS $WS
expect_rc 0 "receipts release the inventories" cg run

state() { "$CEBGATE" -c "$W/cebgate.conf" settle explain "$1" --as-of 2025-07-20 | sed -n 's/^order acme\/[^ ]*  //p'; }
# allocs ENTRY: the live allocations of the receipt ENTRY as ORDER:KIND:AMOUNT[:CROSS_CCY]
allocs() {
    sql "SELECT group_concat(o.order_no || ':' || a.kind || ':' || a.amount_rcpt || CASE WHEN a.cross_ccy THEN ':CROSS_CCY' ELSE '' END, ' ') FROM (SELECT * FROM fx_allocation ORDER BY id) a JOIN orders o ON o.id = a.order_id JOIN fx_receipt r ON r.id = a.receipt_id WHERE r.entry_key LIKE '%:$1' AND a.removed_at IS NULL"
}
# used ENTRY: what the receipt brought (net + fee) and what its allocations add up to
used() {
    sql "SELECT (r.net + r.fee) || ' ' || coalesce((SELECT sum(amount_rcpt) FROM fx_allocation WHERE receipt_id = r.id AND removed_at IS NULL), 0) FROM fx_receipt r WHERE r.entry_key LIKE '%:$1'"
}

# ---- the first order named is in another currency, the receipt pays the second exactly
echo "BK-1;CRDT;EUR;150.00;2025-07-10;2025-07-10;;ORDERS A1 B1;EURO BUYER GMBH" |
    $SHELPER camt053 "$T/bk1.xml" CN1200000000000000000077 STMT-SEV-1
expect_rc 0 "EUR 150.00 naming A1 (USD 100.00) then B1 (EUR 150.00)" cg settle import "$T/bk1.xml"
check "all of it to B1, in its own currency; nothing to A1" [ "$(allocs BK-1)" = "B1:PRINCIPAL:15000" ]
check "B1 COLLECTED, A1 still AWAITING" [ "$(state B1) $(state A1)" = "COLLECTED AWAITING" ]
check "the receipt is used exactly" [ "$(used BK-1)" = "15000 15000" ]
check "nothing waits for review on A1" \
    sh -c "! '$CEBGATE' -c '$W/cebgate.conf' settle explain A1 | grep -q 'another currency'"

# ---- more than the order in the receipt's currency expects: the rest waits on the other
cat >"$T/several.csv" <<'EOC'
receipt_id,date,currency,amount,fee,order_no,reference,remitter
R-2,2025-07-10,EUR,200.00,3.00,A2 B2,,EURO BUYER GMBH
R-3,2025-07-10,EUR,200.00,,C3 A3,,EURO BUYER GMBH
R-4,2025-07-10,EUR,100.00,,G4 H4 I4,,EURO BUYER GMBH
EOC
expect_rc 0 "EUR receipts naming orders in EUR and in USD" cg settle import "$T/several.csv"
check "R-2: B2 takes its 150.00 with the fee netted, A2 the EUR 50.00 left, flagged" \
    [ "$(allocs R-2)" = "B2:PRINCIPAL:14700 B2:FEE_NETTED:300 A2:PRINCIPAL:5000:CROSS_CCY" ]
check "R-2: the cross-currency allocation has no USD amount until confirmed" \
    [ "$(sql "SELECT count(*) FROM fx_allocation a JOIN orders o ON o.id = a.order_id WHERE o.order_no = 'A2' AND a.cross_ccy = 1 AND a.amount_order IS NULL")" -eq 1 ]
check "R-2: B2 COLLECTED, A2 AWAITING (a receipt waiting for review counts as nothing)" \
    [ "$(state B2) $(state A2)" = "COLLECTED AWAITING" ]
check "R-2: A2 says a receipt in another currency waits for review" \
    sh -c "'$CEBGATE' -c '$W/cebgate.conf' settle explain A2 | grep -qx '1 receipt in another currency waits for review: settle rate, then settle confirm'"
check "R-2: gross 200.00 allocated exactly" [ "$(used R-2)" = "20000 20000" ]
check "R-3 (the other currency last): C3 150.00, A3 the 50.00 left, flagged" \
    [ "$(allocs R-3)" = "C3:PRINCIPAL:15000 A3:PRINCIPAL:5000:CROSS_CCY" ]
check "R-3: allocated exactly" [ "$(used R-3)" = "20000 20000" ]
check "R-4 (the other currency between): G4 60.00 and I4 40.00, nothing to H4" \
    [ "$(allocs R-4)" = "G4:PRINCIPAL:6000 I4:PRINCIPAL:4000" ]
check "R-4: G4 and I4 COLLECTED, H4 AWAITING" \
    [ "$(state G4) $(state I4) $(state H4)" = "COLLECTED COLLECTED AWAITING" ]
check "R-4: allocated exactly" [ "$(used R-4)" = "10000 10000" ]
cg report fx unmatched --format csv >"$T/un.csv"
check "no receipt left with money unallocated" [ "$(grep -c '' "$T/un.csv")" -le 1 ]

# ---- an order already paid, named last: it takes the rest and shows the over-collection
cat >"$T/paid.csv" <<'EOC'
receipt_id,date,currency,amount,fee,order_no,reference,remitter
R-5A,2025-07-05,USD,50.00,,N5,,BUYER FIVE
R-6A,2025-07-05,USD,50.00,,Q6,,BUYER SIX
EOC
expect_rc 0 "N5 and Q6 paid" cg settle import "$T/paid.csv"
check "N5 and Q6 COLLECTED" [ "$(state N5) $(state Q6)" = "COLLECTED COLLECTED" ]
cat >"$T/again.csv" <<'EOC'
receipt_id,date,currency,amount,fee,order_no,reference,remitter
R-5B,2025-07-12,USD,150.00,,M5 N5,,BUYER FIVE
R-6B,2025-07-12,USD,130.00,,P6 Q6 X6,,BUYER SIX
EOC
expect_rc 0 "receipts naming a paid order" cg settle import "$T/again.csv"
check "R-5B: M5 its 100.00, the 50.00 left to N5, named last" \
    [ "$(allocs R-5B)" = "M5:PRINCIPAL:10000 N5:PRINCIPAL:5000" ]
check "R-5B: N5 OVER_COLLECTED, M5 COLLECTED" [ "$(state N5) $(state M5)" = "OVER_COLLECTED COLLECTED" ]
check "R-5B: explain names the excess and what to do" \
    sh -c "'$CEBGATE' -c '$W/cebgate.conf' settle explain N5 | grep -q 'over-collected by USD 50.00: explain it'"
check "R-5B: the event says COLLECTED -> OVER_COLLECTED by the bank file" \
    [ "$(sql "SELECT e.from_state || '>' || e.to_state || ' ' || e.cause_kind FROM fx_event e JOIN orders o ON o.id = e.order_id WHERE o.order_no = 'N5' ORDER BY e.id DESC LIMIT 1")" = "COLLECTED>OVER_COLLECTED BANKFILE" ]
cg report fx reconcile --format csv >"$T/rec.csv"
check "R-5B: reconcile counts an over-collected USD order" \
    python3 -c 'import csv,sys
rows=[r for r in csv.DictReader(open(sys.argv[1])) if r["currency"]=="USD" and r["month"]=="2025-07"]
sys.exit(0 if len(rows)==1 and rows[0]["over_collected"]=="1" else 1)' "$T/rec.csv"
check "R-6B: P6 its 100.00, Q6 (paid) passed over, the 30.00 left waits on X6 (EUR)" \
    [ "$(allocs R-6B)" = "P6:PRINCIPAL:10000 X6:PRINCIPAL:3000:CROSS_CCY" ]
check "R-6B: Q6 still COLLECTED" [ "$(state Q6)" = "COLLECTED" ]
check "R-5B and R-6B allocated exactly" [ "$(used R-5B) $(used R-6B)" = "15000 15000 13000 13000" ]

# ---- orders the operator closed take nothing: their state would not show the money
expect_rc 0 "D8 deemed collected" cg settle deem D8 --note "credit insurance payout" --as-of 2025-07-05
expect_rc 0 "U9 uncollectible" cg settle uncollectible U9 --note "buyer insolvent" --as-of 2025-07-05
cat >"$T/closed.csv" <<'EOC'
receipt_id,date,currency,amount,fee,order_no,reference,remitter
R-8,2025-07-12,EUR,100.00,,K8 D8,,BUYER EIGHT
R-9,2025-07-12,EUR,70.00,,U9,,BUYER NINE
EOC
expect_rc 0 "receipts naming a deemed and an uncollectible order" cg settle import "$T/closed.csv"
check "R-8: K8 its 60.00, nothing to D8 (deemed collected)" [ "$(allocs R-8)" = "K8:PRINCIPAL:6000" ]
check "R-9: nothing to U9 (uncollectible)" [ "$(allocs R-9)" = "" ]
check "D8 and U9 keep their states with nothing collected" \
    [ "$(state D8) $(state U9) $(sql "SELECT count(*) FROM fx_allocation a JOIN orders o ON o.id = a.order_id WHERE o.order_no IN ('D8', 'U9')")" = "DEEMED_COLLECTED UNCOLLECTIBLE 0" ]
cg report fx unmatched --format csv >"$T/un.csv"
R8=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE '%:R-8'")
R9=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE '%:R-9'")
check "the money stays on the receipts, for the operator: 40.00 of R-8, 70.00 of R-9" \
    [ "$(csv_cell "$T/un.csv" "$R8" unallocated) $(csv_cell "$T/un.csv" "$R9" unallocated)" = "40.00 70.00" ]

# ---- a closed order named between open ones: the open orders take what they expect, and what is
# left stays on the receipt (it may be the closed order's), neither pushed onto the last order
# named nor onto an order in another currency
cat >"$T/between.csv" <<'EOC'
receipt_id,date,currency,amount,fee,order_no,reference,remitter
R-12,2025-07-12,EUR,125.00,,K11 D8 L11,,BUYER ELEVEN
R-13,2025-07-12,EUR,50.00,,D8 Y11,,BUYER ELEVEN
EOC
expect_rc 0 "EUR 125.00 naming K11, D8 (deemed), L11; EUR 50.00 naming D8, Y11 (USD)" \
    cg settle import "$T/between.csv"
check "R-12: K11 its 60.00, L11 its 25.00, nothing more; both COLLECTED, none over-collected" \
    [ "$(allocs R-12) $(state K11) $(state L11)" = "K11:PRINCIPAL:6000 L11:PRINCIPAL:2500 COLLECTED COLLECTED" ]
check "R-13: nothing to Y11 in another currency" [ "$(allocs R-13)" = "" ]
check "R-13: Y11 has nothing waiting for review" \
    sh -c "! '$CEBGATE' -c '$W/cebgate.conf' settle explain Y11 | grep -q 'another currency'"
cg report fx unmatched --format csv >"$T/un.csv"
R12=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE '%:R-12'")
R13=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE '%:R-13'")
check "left on the receipts for the operator: 40.00 of R-12, 50.00 of R-13" \
    [ "$(csv_cell "$T/un.csv" "$R12" unallocated) $(csv_cell "$T/un.csv" "$R13" unallocated)" = "40.00 50.00" ]

# ---- payout lines and refunds to the buyer for an order the operator closed: the money stays
# on the receipt for the operator, as for a reference naming it; the other lines are paid
P='Payout ID,Payout Date,Currency,Order ID,Transaction ID,Gross Amount,Fee,Net Amount'
{
    echo "$P"
    echo "PO-10,2025-07-14,EUR,L10,TX-101,25.00,-1.00,24.00"
    echo "PO-10,2025-07-14,EUR,D8,TX-102,40.00,-1.20,38.80"
    echo "PO-10,2025-07-14,EUR,U9,TX-103,70.00,-2.10,67.90"
} >"$T/payout-10.csv"
expect_rc 0 "payout with lines for L10, D8 (deemed) and U9 (uncollectible)" \
    cg settle import "$T/payout-10.csv"
check "PO-10: L10 its line, fee netted; nothing to D8 or U9" \
    [ "$(allocs PO-10)" = "L10:PRINCIPAL:2400 L10:FEE_NETTED:100" ]
cat >"$T/closed-out.csv" <<'EOC'
receipt_id,date,currency,amount,fee,order_no,reference,remitter,direction
R-10,2025-07-16,EUR,10.00,,D8,,BUYER EIGHT,out
R-11,2025-07-16,EUR,15.00,,U9 K8,,BUYER NINE,out
EOC
expect_rc 0 "refunds naming D8, and U9 then K8" cg settle import "$T/closed-out.csv"
check "R-10: no refund to D8 (deemed collected)" [ "$(allocs R-10)" = "" ]
check "R-11: the refund names U9 (uncollectible) first: nothing to U9, nor to K8" \
    [ "$(allocs R-11)" = "" ]
echo "BK-12;DBIT;EUR;11.00;2025-07-17;2025-07-17;;;;D8=5.00,K8=6.00" |
    $SHELPER camt053 "$T/bk12.xml" CN1200000000000000000077 STMT-SEV-12
expect_rc 0 "a batch of refunds, D8 5.00 and K8 6.00" cg settle import "$T/bk12.xml"
check "BK-12: K8 its refund line, nothing to D8" [ "$(allocs BK-12)" = "K8:REFUND_OUT:600" ]
check "D8 and U9 still have nothing allocated, in or out" \
    [ "$(state D8) $(state U9) $(sql "SELECT count(*) FROM fx_allocation a JOIN orders o ON o.id = a.order_id WHERE o.order_no IN ('D8', 'U9')")" = "DEEMED_COLLECTED UNCOLLECTIBLE 0" ]
cg report fx unmatched --format csv >"$T/un.csv"
unalloc() { csv_cell "$T/un.csv" "$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE '%:$1'")" unallocated; }
check "listed for the operator: 106.70 of PO-10, 10.00 of R-10, 15.00 of R-11, 5.00 of BK-12" \
    [ "$(unalloc PO-10) $(unalloc R-10) $(unalloc R-11) $(unalloc BK-12)" = "106.70 10.00 15.00 5.00" ]
check "L10 COLLECTED, K8 PARTIAL after its refund" [ "$(state L10) $(state K8)" = "COLLECTED PARTIAL" ]
R10=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE '%:R-10'")
# D8 collected nothing: a refund would take its collected amount below zero (docs/settlement.md)
expect_rc 1 "the operator matches R-10 to D8 by hand: refused" cg settle match "$R10" D8 --note "refund of D8"
check "why is said" grep -q "order acme/D8 has collected EUR 0.00: a refund of EUR 10.00 would take it below zero" "$T/err"
check "R-10 stays on its receipt, D8 still DEEMED_COLLECTED" \
    [ "$(allocs R-10)|$(unalloc R-10) $(state D8)" = "|10.00 DEEMED_COLLECTED" ]

# ---- an order the operator closed before its release (Z12 is not released: NOT_EXPORTED) is
# closed all the same: a receipt naming it stays on the receipt for the operator
expect_rc 0 "Z12 deemed collected before its release" cg settle deem Z12 --note "letter of credit"
printf '%s\n' "receipt_id,date,currency,amount,fee,order_no,reference,remitter" \
    "Z-12,2025-07-16,EUR,30.00,,Z12,,BUYER TWELVE" >"$T/z12.csv"
expect_rc 0 "EUR 30.00 naming Z12" cg settle import "$T/z12.csv"
cg report fx unmatched --format csv >"$T/un.csv"
check "Z-12: nothing to Z12, EUR 30.00 left on the receipt" \
    [ "$(allocs Z-12)|$(unalloc Z-12)" = "|30.00" ]

# ---- a bulk remittance naming 20 orders, and one payment number of 20 orders: all 20 are
# named, each takes what it expects, none is left AWAITING and none takes the others' money
cat >"$T/bulk.csv" <<EOC
receipt_id,date,currency,amount,fee,order_no,reference,remitter
R-20,2025-07-10,USD,200.00,,$VS,,BULK BUYER
R-21,2025-07-10,USD,200.00,,,PAY-BULK,BULK BUYER
EOC
expect_rc 0 "USD 200.00 naming V01 to V20; USD 200.00 naming the payment of W01 to W20" \
    cg settle import "$T/bulk.csv"
ten() { for o in "$@"; do printf '%s:PRINCIPAL:1000 ' "$o"; done | sed 's/ $//'; }
# shellcheck disable=SC2086
check "R-20: 10.00 to each of the 20 orders, in the order named" [ "$(allocs R-20)" = "$(ten $VS)" ]
# shellcheck disable=SC2086
check "R-21: 10.00 to each of the 20 orders of the payment" [ "$(allocs R-21)" = "$(ten $WS)" ]
# shellcheck disable=SC2086
check "V01 to V20 and W01 to W20 COLLECTED, none over-collected" \
    [ "$(for o in $VS $WS; do state "$o"; done | sort | uniq -c | sed 's/^ *//')" = "40 COLLECTED" ]
check "R-20 and R-21 allocated exactly" [ "$(used R-20) $(used R-21)" = "20000 20000 20000 20000" ]

# ---- a refund to the buyer naming orders in two currencies goes to the one in its currency
cat >"$T/refund.csv" <<'EOC'
receipt_id,date,currency,amount,fee,order_no,reference,remitter,direction
R-7,2025-07-15,EUR,20.00,,A1 B1,,EURO BUYER GMBH,out
EOC
expect_rc 0 "EUR refund naming A1 (USD) then B1 (EUR)" cg settle import "$T/refund.csv"
check "refund to B1 in EUR, nothing to A1" [ "$(allocs R-7)" = "B1:REFUND_OUT:2000" ]
check "B1 PARTIAL after the refund, A1 AWAITING" [ "$(state B1) $(state A1)" = "PARTIAL AWAITING" ]
finish
