#!/bin/sh
# settle-cross-refund.sh - a refund to the buyer in another currency than its order, as a bank
# statement books it (an outgoing USD entry naming a EUR order). A refund never takes an order's
# collected amount below zero (docs/settlement.md, "Collection state"): while the order has
# collected nothing, the refund stays on its receipt (report fx unmatched) instead of waiting for
# a `settle confirm` that could only be refused. Once the order has collected, the next match
# gives it the refund for review, and the operator's rates convert it.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no/' "$W/cebgate.conf"

{
    echo "order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight"
    echo "E1,EUR,DE,FRA,0.00,TS-001,T-shirt,1,50.00,3120980105,SF Express,SF000000000401,1"
} >"$W/incoming/acme/orders.csv"
expect_rc 0 "order E1 (EUR 50.00) declared" cg run
release 2025-07-01 E1
expect_rc 0 "its inventory released" cg run

C='receipt_id,date,currency,amount,fee,order_no,reference,direction'
printf '%s\nOUT-1,2025-07-10,USD,35.00,0,,REFUND E1,out\n' "$C" >"$T/refund.csv"
expect_rc 0 "a USD refund naming E1 is imported" cg settle import --seller acme "$T/refund.csv"
allocs() {
    sql "SELECT count(*) FROM fx_allocation a JOIN fx_receipt r ON r.id = a.receipt_id WHERE r.entry_key LIKE '%OUT-1' AND a.removed_at IS NULL"
}
check "E1 collected nothing: the refund is allocated to nothing" [ "$(allocs)" -eq 0 ]
check "and the import counts no allocation" grep -q '1 receipt recorded, 0 known from another file, 0 allocations made' "$T/out"
OUT1=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE '%OUT-1'")
expect_rc 1 "settle match of the USD refund to EUR order E1 without rates: refused" \
    cg settle match "$OUT1" E1
check "  naming both rates it needs at once" grep -qxF \
    'cebgate: no USD and EUR rates for 2025-07-10: record them with `cebgate settle rate USD 2025-07-10 RATE` and `cebgate settle rate EUR 2025-07-10 RATE`' "$T/err"
cg report fx unmatched --format csv >"$T/unmatched.csv"
check "report fx unmatched lists the refund with 35.00 left" \
    grep -q '"out","USD","35.00","0.00","35.00","35.00"' "$T/unmatched.csv"
cg report --format csv --as-of 2025-07-10 >"$T/report.csv"
check "the morning report asks for no rates for it" \
    sh -c "! grep -q 'receipts in another currency' '$T/report.csv'"

printf '%s\nIN-1,2025-07-08,EUR,50.00,0,E1,,in\n' "$C" >"$T/pay.csv"
expect_rc 0 "the buyer's EUR 50.00 for E1 is imported" cg settle import --seller acme "$T/pay.csv"
check "E1 has collected: the refund now goes to it, waiting for review" \
    [ "$(sql "SELECT a.kind || ' ' || a.cross_ccy || ' ' || (a.amount_order IS NULL) || ' ' || a.amount_rcpt FROM fx_allocation a JOIN fx_receipt r ON r.id = a.receipt_id WHERE r.entry_key LIKE '%OUT-1' AND a.removed_at IS NULL")" = "REFUND_OUT 1 1 3500" ]
expect_rc 0 "bank rate USD" cg settle rate USD 2025-07-10 7.1000 --source bank
expect_rc 0 "bank rate EUR" cg settle rate EUR 2025-07-10 7.8000 --source bank
expect_rc 0 "settle confirm converts it" cg settle confirm "$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE '%OUT-1'")"
# USD 35.00 x 7.1000 / 7.8000 = EUR 31.858..., rounded half-up to 31.86; 50.00 - 31.86 = 18.14
cg report fx orders --as-of 2025-07-10 --format csv >"$T/orders.csv"
check "E1 collected 50.00 - 31.86 = 18.14" [ "$(csv_cell "$T/orders.csv" acme/E1 collected)" = "18.14" ]
finish
