#!/bin/sh
# settle-quiet.sh - what the settle and refund verbs print. Every verb that records something
# says in one line what it recorded: `settle rate` the rate, `settle deem`, `uncollectible`,
# `mark` and `filed` the order, its state now and the mark (docs/settlement.md, "What the
# operator's commands say"). Under -q every verb that records prints nothing but errors.
. "${CG_SRCDIR:-.}/tests/e2e/refund-lib.sh"
sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no/' "$W/cebgate.conf"

H=order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight
{
    echo "$H"
    echo "Q1,USD,US,USNY,0.00,TS-001,T-shirt,1,100.00,3120980105,SF Express,SF000000000801,1"
    echo "Q2,USD,US,USNY,0.00,TS-001,T-shirt,1,100.00,3120980105,SF Express,SF000000000802,1"
    echo "Q3,USD,US,USNY,0.00,TS-001,T-shirt,1,100.00,3120980105,SF Express,SF000000000803,1"
    echo "Q5,USD,US,USNY,0.00,TS-001,T-shirt,1,100.00,3120980105,SF Express,SF000000000805,1"
} >"$W/incoming/acme/orders.csv"
{
    echo "$H"
    echo "Q4,USD,US,USNY,0.00,TS-001,T-shirt,1,100.00,3120980105,SF Express,SF000000000804,1"
} >"$W/incoming/b2b/orders.csv"
expect_rc 0 "orders declared" cg run
release 2025-07-01 Q1 Q2 Q3 Q4 Q5
expect_rc 0 "receipts release the inventories" cg run
# quiet DESCRIPTION COMMAND...: exit 0 under -q, nothing printed
quiet() {
    d=$1; shift
    expect_rc 0 "-q $d" "$CEBGATE" -q -c "$W/cebgate.conf" "$@"
    check "  prints nothing" sh -c '[ ! -s "$1" ] && [ ! -s "$2" ]' - "$T/out" "$T/err"
}

# ---- one line saying what was recorded
expect_rc 0 "settle rate" cg settle rate USD 2025-07-10 7.1000 --source "bank buying rate"
said "  names the rate" "rate USD 2025-07-10: CNY 7.1000 for one USD (bank buying rate)"
expect_rc 0 "settle deem" cg settle deem Q1 --note "credit insurance payout" --as-of 2025-07-05
said "  names the order and its state" \
    "order acme/Q1: DEEMED_COLLECTED: deemed collected: credit insurance payout"
expect_rc 0 "settle uncollectible" cg settle uncollectible Q2 --note "buyer insolvent" --as-of 2025-07-05
said "  names the order and its state" \
    "order acme/Q2: UNCOLLECTIBLE: recorded as uncollectible: buyer insolvent"
# Q3 declared 100.00, 40.00 of it back: 60.00 expected; 62.00 received is over by 2.00, more
# than the tolerance of 1.00; 1.50 of it explained leaves 60.50 (within), 0.50 more 60.00.
expect_rc 0 "settle mark returned" cg settle mark Q3 returned 40.00 --note "RMA 7" --as-of 2025-07-05
said "  names what it now expects" \
    "order acme/Q3: AWAITING: goods returned USD 40.00, expected now USD 60.00: RMA 7"
printf 'receipt_id,date,currency,amount,order_no,remitter\nQ-1,2025-07-10,USD,62.00,Q3,BUYER\n' \
    >"$T/q3.csv"
quiet "settle import" settle import --seller acme "$T/q3.csv"
cg settle explain Q3 --as-of 2025-07-10 >"$T/explain"
check "  and imported it: Q3 over-collected" grep -qx 'order acme/Q3  OVER_COLLECTED' "$T/explain"
expect_rc 0 "settle mark fx-diff" cg settle mark Q3 fx-diff 1.50 --note "exchange gain" --as-of 2025-07-11
said "  names the amount and the state" \
    "order acme/Q3: COLLECTED: exchange difference USD 1.50 explained: exchange gain"
expect_rc 0 "settle mark freight" cg settle mark Q3 freight 0.50 --note "shipping" --as-of 2025-07-11
said "  names the amount and the state" \
    "order acme/Q3: COLLECTED: freight the buyer paid USD 0.50 explained: shipping"
expect_rc 0 "settle filed" cg settle filed b2b/Q4 --note "filed in digital SAFE" --as-of 2025-07-05
said "  names the order and its state" \
    "order b2b/Q4: AWAITING: deferred-receipt report filed: filed in digital SAFE"

# ---- -q: nothing but errors
quiet "settle rate" settle rate EUR 2025-07-10 7.8000 --source bank
check "  recorded" [ "$(sql "SELECT rate FROM fx_rate WHERE currency = 'EUR'")" = "7.8000" ]
quiet "settle deem" settle deem Q5 --note "letter of credit" --as-of 2025-07-05
quiet "settle mark" settle mark Q5 returned 1.00 --note "RMA 8" --as-of 2025-07-05
quiet "settle uncollectible" settle uncollectible Q5 --note "no" --as-of 2025-07-05
quiet "settle filed" settle filed b2b/Q4 --note "again" --as-of 2025-07-05
R=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE '%Q-1'")
quiet "settle unmatch" settle unmatch "$R" Q3 --note "wrong order"
quiet "settle match" settle match "$R" Q3 --note "right order"
cat >"$T/c.sta" <<'EOT'
:20:ST250731
:25:HSBCHKHH/400123456777
:28C:7/1
:60F:C250630USD0,00
:61:2507220722DD3,00NMSCNONREF//HK250722005
:86:WIRE TO SUPPLIER
:62F:D250731USD3,00
-
EOT
quiet "settle import (a debit)" settle import --seller acme "$T/c.sta"
quiet "settle charge" settle charge "$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE '%:HK250722005'")" --reason "account fee"
quiet "settle convert" settle convert USD 10.00 --rate 7.1 --date 2025-07-12 --ref S-1
quiet "settle tick" settle tick --as-of 2025-07-12
expect_rc 1 "-q still prints errors" "$CEBGATE" -q -c "$W/cebgate.conf" settle deem NOPE --note x
check "  on stderr" [ -s "$T/err" ]

printf '%s\n6912000000,2025-01-01,,9,13,\n' "$RATES_H" >"$T/rates.csv"
{ echo "$ENTRIES_H"
  echo "310120250000000901,1,9710,,2025-05-10,6912000000,Ware 1,,pcs,10,1000.00,,,,,"
  echo "310120250000000902,1,9710,,2025-05-10,6912000000,Ware 2,,pcs,10,2000.00,,,,2025-05-12,Y"
} >"$T/entries.csv"
{ echo "$INVOICES_H"
  echo "3100250901,00000001,1,2025-05-12,91310000MA1FL0XX1X,Ware 1,,pcs,10,1000.00,13,130.00,"
  echo "3100250901,00000002,1,2025-05-12,91310000MA1FL0XX1X,Ware 2,,pcs,10,2000.00,13,260.00,"
} >"$T/invoices.csv"
U1=310120250000000901/1
U2=310120250000000902/1
quiet "refund rates" refund rates "$T/rates.csv"
quiet "refund entries" refund entries "$T/entries.csv" --as-of 2025-05-12
quiet "refund cleared" refund cleared 310120250000000901 2025-05-12
quiet "refund collected" refund collected $U1 --note "bank slip"
quiet "refund invoices" refund invoices "$T/invoices.csv" --as-of 2025-05-12
quiet "refund match" refund match
quiet "refund sync" refund sync
quiet "refund prepare" refund prepare --period 202506 --as-of 2025-06-05
check "  made batch B1 of both units" [ "$(batch 1)" = "2 270.00" ]
quiet "refund mark-prechecked" refund mark-prechecked B1 --date 2025-06-08
quiet "refund mark-filed" refund mark-filed B1 --date 2025-06-10
quiet "refund archived" refund archived B1 --note "cabinet 3" --date 2025-06-12
quiet "refund mark-approved" refund mark-approved B1 --date 2025-07-01
quiet "refund mark-paid" refund mark-paid B1 --date 2025-07-20
quiet "refund return" refund return $U2 1 --date 2025-08-01
quiet "refund clawback" refund clawback $U2 --date 2025-08-05
printf '%s\n310120250000000901,1,bogus,,2025-07-21,\n' "$RESULTS_H" >"$T/results.csv"
expect_rc 1 "-q refund results refused" "$CEBGATE" -q -c "$W/cebgate.conf" refund results "$T/results.csv"
check "  prints only the errors" sh -c '[ ! -s "$1" ] && [ -s "$2" ]' - "$T/out" "$T/err"
quiet "refund tick" refund tick --as-of 2026-05-01
finish
