#!/bin/sh
# settle-statements.sh - statements as banks deliver them, downloaded again with overlapping
# days. A bank entry is identified by its account and the bank's reference
# (docs/collections-format.md): an entry seen again is known, whichever way the statement came
# in (`settle import` without a seller, or a seller's incoming/ folder), so its money counts
# once: in the order's collected amount and in what is held.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no/' "$W/cebgate.conf"

H=order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight
{
    echo "$H"
    echo "S1,USD,US,USNY,0.00,TS-001,T-shirt,1,120.00,3120980105,SF Express,SF000000000201,1"
} >"$W/incoming/acme/orders.csv"
expect_rc 0 "order declared" cg run
release 2025-07-01 S1
expect_rc 0 "receipt releases the inventory" cg run
state() { "$CEBGATE" -c "$W/cebgate.conf" settle explain "$1" --as-of 2025-07-20 | sed -n 's/^order acme\/[^ ]*  //p'; }
ACCT=CN1200000000000000000088

# ---- the day's statement imported by hand, then the month's (overlapping) through incoming/
echo "BK-1;CRDT;USD;60.00;2025-07-10;2025-07-10;S1;ORDER S1;BUYER ONE" |
    $SHELPER camt053 "$T/day.xml" "$ACCT" STMT-DAY
printf '%s\n' "BK-1;CRDT;USD;60.00;2025-07-10;2025-07-10;S1;ORDER S1;BUYER ONE" \
    "BK-2;CRDT;USD;60.00;2025-07-11;2025-07-11;S1;ORDER S1;BUYER ONE" |
    $SHELPER camt053 "$W/incoming/acme/month.xml" "$ACCT" STMT-MONTH
expect_rc 0 "the day's statement imported without a seller" cg settle import "$T/day.xml"
check "BK-1 recorded" grep -q '1 receipts recorded, 0 known from another file' "$T/out"
expect_rc 0 "the month's statement, overlapping, through acme's incoming/" cg run
check "one receipt of the account recorded per bank reference" \
    [ "$(sql "SELECT count(*) FROM fx_receipt")" -eq 2 ]
check "S1 collected its USD 120.00 once: COLLECTED, not over-collected" [ "$(state S1)" = "COLLECTED" ]
cg report fx settlement --format csv >"$T/held.csv"
check "USD 120.00 received and held, not 180.00" \
    [ "$(csv_cell "$T/held.csv" USD received) $(csv_cell "$T/held.csv" USD held)" = "120.00 120.00" ]

# ---- the same statement dropped for another seller sharing the account: known, not recorded
printf '%s\n' "BK-1;CRDT;USD;60.00;2025-07-10;2025-07-10;S1;ORDER S1;BUYER ONE" \
    "BK-2;CRDT;USD;60.00;2025-07-11;2025-07-11;S1;ORDER S1;BUYER ONE" \
    "BK-3;DBIT;USD;5.00;2025-07-12;2025-07-12;S1;REFUND S1;BUYER ONE" |
    $SHELPER camt053 "$T/again.xml" "$ACCT" STMT-AGAIN
expect_rc 0 "the statement again, for seller b2b" cg settle import --seller b2b "$T/again.xml"
check "BK-1 and BK-2 known, only BK-3 recorded" \
    grep -q '1 receipts recorded, 2 known from another file' "$T/out"
cg report fx settlement --format csv >"$T/held.csv"
check "USD 120.00 received, 5.00 paid out, 115.00 held" \
    [ "$(csv_cell "$T/held.csv" USD received) $(csv_cell "$T/held.csv" USD paid_out) $(csv_cell "$T/held.csv" USD held)" = "120.00 5.00 115.00" ]
finish
