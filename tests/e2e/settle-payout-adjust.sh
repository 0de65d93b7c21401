#!/bin/sh
# settle-payout-adjust.sh - a payout report's rows that name no order (Shopify's adjustment,
# reserve, chargeback fee, payout_failure rows) are adjustments of the payout: each is recorded
# at its net as a receipt of its own that belongs to no order. A negative one is money the
# platform kept, counted with the charges (never matched, with the fees in reconcile, listed by
# report fx charges); a positive one is money in that automatic matching never gives to an
# order, left for the operator in report fx unmatched. What is held grows by what the payout
# transferred; no order's collection changes (docs/collections-format.md, "Payout reports").
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no/' "$W/cebgate.conf"

H=order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight
{
    echo "$H"
    echo "J1,USD,US,USNY,0.00,TS-001,T-shirt,1,63.00,3120980105,SF Express,SF000000000701,1"
    echo "J2,USD,US,USNY,0.00,TS-001,T-shirt,1,5.00,3120980105,SF Express,SF000000000702,1"
} >"$W/incoming/acme/orders.csv"
expect_rc 0 "orders declared" cg run
release 2026-11-30 J1 J2
expect_rc 0 "receipts release the inventories" cg run

# A Shopify payout: a sale of J1, a chargeback fee of 15.00 and a reserve of 5.00 released. The
# bank receives 60.87 - 15.00 + 5.00 = 50.87.
P='Payout ID,Payout Date,Currency,Order ID,Transaction ID,Gross Amount,Fee,Net Amount,Type'
{
    echo "$P"
    echo "88003,2026-12-04,USD,J1,TX-1,63.00,2.13,60.87,charge"
    echo "88003,2026-12-04,USD,,,-15.00,0.00,-15.00,adjustment"
    echo "88003,2026-12-04,USD,,,5.00,0.00,5.00,reserve"
} >"$T/po.csv"
expect_rc 0 "a payout with rows naming no order is imported" cg settle import --seller acme "$T/po.csv"
check "the sale and the two adjustments recorded, J1's sale matched" grep -qx \
    "$T/po.csv: payout report, 3 entries: 3 receipts recorded, 0 known from another file, 1 allocation made (and 1 fee netted)" \
    "$T/out"

cg report fx orders --as-of 2026-12-10 --format csv >"$T/orders.csv"
check "J1 collected its 63.00, no adjustment taken off it" \
    [ "$(csv_cell "$T/orders.csv" acme/J1 collected) $(csv_cell "$T/orders.csv" acme/J1 state)" = "63.00 COLLECTED" ]
check "J2 (expecting 5.00, like the reserve released) is given nothing" \
    [ "$(csv_cell "$T/orders.csv" acme/J2 collected) $(csv_cell "$T/orders.csv" acme/J2 state)" = "0.00 AWAITING" ]

cg report fx settlement --format csv >"$T/set.csv"
check "held: what the payout transferred, 50.87" [ "$(csv_cell "$T/set.csv" USD held)" = "50.87" ]
check "received 60.87 + 5.00, paid out 15.00" \
    [ "$(csv_cell "$T/set.csv" USD received) $(csv_cell "$T/set.csv" USD paid_out)" = "65.87 15.00" ]

cg report fx charges --format csv >"$T/ch.csv"
check "the 15.00 the platform kept is listed with the charges" grep -q \
    '^"[0-9]*","acme","2026-12-04","USD","15.00","at import","payout 88003 adjustment",""$' "$T/ch.csv"
cg report fx unmatched --format csv >"$T/un.csv"
check "the 5.00 released is money in left for the operator" grep -q \
    '^"[0-9]*","acme","2026-12-04","in","USD","5.00","0.00","5.00","5.00","payout 88003 adjustment #2",""$' "$T/un.csv"
charges_part_is "and the kept 15.00 counted apart with the charges" 1 15.00

cg report fx reconcile --format csv >"$T/rec.csv"
check "reconcile: received 63.00 + 5.00, fees 2.13 + 15.00, nothing refunded" \
    [ "$(rec 2026-12 received fees refunds net)" = "68.00 17.13 0.00 50.87" ]

expect_rc 0 "the same payout again" cg settle import --seller acme "$T/po.csv"
check "changes nothing" [ "$(sql "SELECT count(*) FROM fx_receipt")" -eq 3 ]

# An adjustment whose net is not its gross less its fee is a bad row, with its line.
{
    echo "$P"
    echo "88004,2026-12-05,USD,,,-15.00,0.00,-14.00,adjustment"
} >"$T/bad.csv"
expect_rc 1 "a bad adjustment refuses the file" cg settle import --seller acme "$T/bad.csv"
check "file, line, payout, field and why" grep -qx \
    "$T/bad.csv:2: entry 88004: field Net Amount: -14.00 is not gross -15.00 minus fee 0.00 (a row naming no order is an adjustment of the payout)" \
    "$T/err"
# A chargeback of J1: the 63.00 goes back to the buyer and the platform charges 15.00 on top, so
# 78.00 goes out (Shopify's row: -63.00, fee 15.00, net -78.00). The 63.00 is J1's refund, the
# 15.00 money the platform kept, with the charges.
{
    echo "$P"
    echo "88005,2026-12-06,USD,J1,TX-2,-63.00,15.00,-78.00,chargeback"
} >"$T/cb.csv"
expect_rc 0 "a chargeback row is imported" cg settle import --seller acme "$T/cb.csv"
cg report fx orders --as-of 2026-12-10 --format csv >"$T/orders.csv"
check "J1: 63.00 refunded to the buyer, nothing collected now" \
    [ "$(csv_cell "$T/orders.csv" acme/J1 collected)" = "0.00" ]
cg report fx charges --format csv >"$T/ch.csv"
check "the chargeback fee is listed with the charges" grep -q \
    '^"[0-9]*","acme","2026-12-06","USD","15.00","at import","payout 88005 adjustment",""$' "$T/ch.csv"
cg report fx settlement --format csv >"$T/set.csv"
check "held: 50.87 less the 78.00 that went out" [ "$(csv_cell "$T/set.csv" USD held)" = "-27.13" ]
finish
