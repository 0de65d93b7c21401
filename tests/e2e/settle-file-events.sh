#!/bin/sh
# settle-file-events.sh - the state events of a settlement file. Automatic matching applies all
# of a file's rows for an order before it records the order's state: a payment and its refund in
# the same file move the order once, AWAITING -> COLLECTED, not through OVER_COLLECTED on the
# way; and an order whose state the rows leave as it was gets no state event (its allocations
# are its record, listed by settle explain).
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no/' "$W/cebgate.conf"
{
    echo "order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight"
    echo "F1,USD,US,USNY,0.00,TS-001,T-shirt,1,100.00,3120980105,SF Express,SF000000000951,1"
    echo "F2,USD,US,USNY,0.00,TS-001,T-shirt,1,100.00,3120980105,SF Express,SF000000000952,1"
} >"$W/incoming/acme/orders.csv"
expect_rc 0 "orders declared" cg run
release 2025-07-01 F1 F2
expect_rc 0 "receipts release the inventories" cg run
# events ORDER: "FROM>TO" of its events, oldest first
events() {
    sql "SELECT group_concat(s, ' ') FROM (SELECT e.from_state || '>' || e.to_state AS s FROM fx_event e JOIN orders o ON o.id = e.order_id WHERE o.order_no = '$1' ORDER BY e.id)"
}
rid() { sql "SELECT id FROM fx_receipt WHERE entry_key LIKE '%$1'"; }

# F1 (100.00): 120.00 in and 20.00 back to the buyer in one file: 100.00 collected. F2: 30.00
# and 20.00 in one file: 50.00, PARTIAL.
C='receipt_id,date,currency,amount,fee,order_no,reference,direction'
printf '%s\n' "$C" "IN-1,2025-07-10,USD,120.00,0,F1,,in" "OUT-1,2025-07-10,USD,20.00,0,F1,,out" \
    "IN-2,2025-07-10,USD,30.00,0,F2,,in" "IN-3,2025-07-10,USD,20.00,0,F2,,in" >"$T/july.csv"
expect_rc 0 "the file imported" cg settle import --seller acme "$T/july.csv"
check "F1 COLLECTED after the file: one event AWAITING -> COLLECTED" [ "$(events F1)" = "AWAITING>COLLECTED" ]
check "  naming both rows" [ "$(sql "SELECT e.detail FROM fx_event e JOIN orders o ON o.id = e.order_id WHERE o.order_no = 'F1'")" = \
    "PRINCIPAL USD 120.00 from receipt $(rid IN-1); REFUND_OUT USD 20.00 from receipt $(rid OUT-1)" ]
check "F2 PARTIAL after the file: one event AWAITING -> PARTIAL" [ "$(events F2)" = "AWAITING>PARTIAL" ]
expect_rc 0 "settle explain F2" cg settle explain F2 --as-of 2025-07-10
check "  both allocations listed" [ "$(grep -c '^  receipt [0-9]* PRINCIPAL USD ' "$T/out")" -eq 2 ]

# F2: 10.00 more in another file, 60.00: still PARTIAL, no event
printf '%s\n' "$C" "IN-4,2025-07-11,USD,10.00,0,F2,,in" >"$T/july-11.csv"
expect_rc 0 "a file leaving F2 PARTIAL" cg settle import --seller acme "$T/july-11.csv"
check "F2: no event for a state kept the same" [ "$(events F2)" = "AWAITING>PARTIAL" ]
check "  the allocation is recorded" [ "$(sql "SELECT count(*) FROM fx_allocation a JOIN orders o ON o.id = a.order_id WHERE o.order_no = 'F2' AND a.removed_at IS NULL")" -eq 3 ]
# F2: 40.00 more, 100.00: COLLECTED
printf '%s\n' "$C" "IN-5,2025-07-12,USD,40.00,0,F2,,in" >"$T/july-12.csv"
expect_rc 0 "a file completing F2" cg settle import --seller acme "$T/july-12.csv"
check "F2: PARTIAL -> COLLECTED" [ "$(events F2)" = "AWAITING>PARTIAL PARTIAL>COLLECTED" ]
finish
