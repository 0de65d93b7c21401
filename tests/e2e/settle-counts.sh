#!/bin/sh
# settle-counts.sh - counts in the texts of settle and its events read as English: one day, one
# receipt, two days, two receipts. The timer events `settle tick` records (deferred-receipt
# report due, past the internal overdue threshold) name the days of the seller's terms_days and
# overdue_days; `settle explain` says how many receipts in another currency wait for review.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
# acme: terms of 1 day, overdue after 1 day; b2b: 2 and 2. credit_days 0, so both need the
# deferred-receipt report (due credit_report_days, 30, after export).
sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no\ncredit_days = 0/' "$W/cebgate.conf"
sed -i 's/^terms_days = 120$/terms_days = 2\noverdue_days = 2/' "$W/cebgate.conf"
printf '[settle.acme]\nterms_days = 1\noverdue_days = 1\n' >>"$W/cebgate.conf"

H=order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight
{
    echo "$H"
    echo "D1,USD,US,USNY,0.00,TS-001,T-shirt,1,100.00,3120980105,SF Express,SF000000000701,1"
    echo "X1,USD,US,USNY,0.00,TS-001,T-shirt,1,100.00,3120980105,SF Express,SF000000000702,1"
    echo "X2,USD,US,USNY,0.00,TS-001,T-shirt,1,100.00,3120980105,SF Express,SF000000000703,1"
} >"$W/incoming/acme/orders.csv"
{
    echo "$H"
    echo "D2,USD,US,USNY,0.00,TS-001,T-shirt,1,100.00,3120980105,SF Express,SF000000000704,1"
} >"$W/incoming/b2b/orders.csv"
expect_rc 0 "orders declared" cg run
release 2025-07-01 D1 X1 X2 D2
expect_rc 0 "receipts release the inventories" cg run

# ---- the timers: exported 2025-07-01, as of 2025-07-05 both are past 1 and 2 days
expect_rc 0 "tick as of 2025-07-05" cg settle tick --as-of 2025-07-05
# events ORDER: the TIMER events of ORDER as settle explain lists them
events() { cg settle explain "$1" --as-of 2025-07-05 | grep ' TIMER '; }
# want DAYS: those events for terms_days and overdue_days of DAYS ("1 day"), released 2025-07-01
want() {
    printf '  2025-07-05 AWAITING -> AWAITING  TIMER %s\n' \
        "credit-report-due: payment expected $1 after export: deferred-receipt report due 2025-07-31" \
        "internal-overdue: not collected $1 after export"
}
check "D1 (1 day): 'payment expected 1 day', 'not collected 1 day'" \
    sh -c '[ "$1" = "$2" ]' - "$(events D1)" "$(want '1 day')"
check "D2 (2 days): 'payment expected 2 days', 'not collected 2 days'" \
    sh -c '[ "$1" = "$2" ]' - "$(events D2)" "$(want '2 days')"

# ---- receipts in EUR naming only orders in USD: one waits on X1, two on X2
cat >"$T/eur.csv" <<'EOC'
receipt_id,date,currency,amount,order_no,remitter
E-1,2025-07-10,EUR,50.00,X1,EURO BUYER GMBH
E-2,2025-07-10,EUR,30.00,X2,EURO BUYER GMBH
E-3,2025-07-11,EUR,40.00,X2,EURO BUYER GMBH
EOC
expect_rc 0 "EUR receipts for USD orders" cg settle import --seller acme "$T/eur.csv"
expect_rc 0 "explain X1" cg settle explain X1 --as-of 2025-07-20
check "X1: 1 receipt waits" grep -qxF \
    "1 receipt in another currency waits for review: settle rate, then settle confirm" "$T/out"
expect_rc 0 "explain X2" cg settle explain X2 --as-of 2025-07-20
check "X2: 2 receipts wait" grep -qxF \
    "2 receipts in another currency wait for review: settle rate, then settle confirm" "$T/out"
finish
