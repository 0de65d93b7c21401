#!/bin/sh
# settle-wrong-seller.sh - a statement dropped into the wrong seller's folder and recorded for
# that seller: dropped again into the right folder (or imported with --seller), it is a duplicate
# that says which seller it was recorded for, under what name and when, and what to do, since no
# command moves a statement: its receipts are given to the right seller's orders by hand with
# settle match, which takes a receipt recorded for another seller. A duplicate for the same
# seller says what it always said.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
ACCT=CN1200000000000000000041
H=order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight
{
    echo "$H"
    echo "W1,USD,US,USNY,0.00,TS-001,T-shirt,1,40.00,3120980105,SF Express,SF000000000801,1"
} >"$W/incoming/acme/orders.csv"
expect_rc 0 "acme's order declared" cg run
release 2025-07-01 W1
expect_rc 0 "receipts release it" cg run

# acme's bank statement, paying W1, dropped into b2b's folder by mistake
$SHELPER camt053 "$T/acme-stmt.xml" $ACCT S-ACME <<'EOT'
WS-1;CRDT;USD;40.00;2025-07-05;2025-07-05;;PAYMENT ORDER W1;BUYER ONE
EOT
cp "$T/acme-stmt.xml" "$W/incoming/b2b/acme-stmt.xml"
expect_rc 0 "recorded for b2b" cg run
DAY=$(date -u +%F)
check "for b2b" [ "$(sql "SELECT seller FROM fx_receipt")" = "b2b" ]
RID=$(sql "SELECT id FROM fx_receipt")

TODO="a statement is recorded once and no command moves it to another seller: give its receipts to acme's orders by hand with \`cebgate settle match RECEIPT acme/ORDER\` (\`cebgate report fx unmatched\` lists the receipts with money left; \`cebgate settle unmatch RECEIPT ORDER\` first for one matched to an order by mistake)"
cp "$T/acme-stmt.xml" "$W/incoming/acme/acme-stmt.xml"
expect_rc 0 "dropped again into acme's folder" cg run
check "the duplicate names the seller, the name and the day, and what to do" grep -qxF \
    "duplicate statement acme/acme-stmt.xml: imported before, for seller b2b (as b2b/acme-stmt.xml on $DAY): $TODO" \
    "$T/out"
check "nothing recorded again" [ "$(sql "SELECT count(*) FROM fx_receipt")" -eq 1 ]
expect_rc 0 "settle import --seller acme says the same" cg settle import --seller acme "$T/acme-stmt.xml"
check "with the file's name" grep -qxF \
    "$T/acme-stmt.xml: imported before, for seller b2b (as b2b/acme-stmt.xml on $DAY), nothing to do: $TODO" \
    "$T/out"
expect_rc 0 "without a seller" cg settle import "$T/acme-stmt.xml"
check "the same file without a seller is the same statement, as before" grep -qxF \
    "$T/acme-stmt.xml: imported before, nothing to do" "$T/out"

cp "$T/acme-stmt.xml" "$W/incoming/b2b/acme-stmt.xml"
expect_rc 0 "dropped again into b2b's folder" cg run
check "the same seller's duplicate as before" grep -qxF \
    "duplicate statement b2b/acme-stmt.xml: imported before" "$T/out"

# What the message says to do works: the receipt recorded for b2b goes to acme's order.
cg report fx orders --as-of 2025-07-10 --format csv >"$T/orders.csv"
check "W1 is not paid by b2b's receipt" [ "$(csv_cell "$T/orders.csv" acme/W1 state)" = "AWAITING" ]
expect_rc 0 "settle match RECEIPT acme/W1" cg settle match "$RID" acme/W1 --as-of 2025-07-10
cg report fx orders --as-of 2025-07-10 --format csv >"$T/orders.csv"
check "W1 collected" [ "$(csv_cell "$T/orders.csv" acme/W1 collected) $(csv_cell "$T/orders.csv" acme/W1 state)" = "40.00 COLLECTED" ]
finish
