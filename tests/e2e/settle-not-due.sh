#!/bin/sh
# settle-not-due.sh - an order whose inventory customs refused (receipt 100) is not exported
# (NOT_EXPORTED: the FX collection has not started, SETTLE-REFUND.md 2.a): nothing is to be
# collected for it, so `settle explain` and `report fx orders` show nothing open and say it is
# not due, while an order released the same day shows what it expects as open.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no/' "$W/cebgate.conf"
{
    echo "order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight"
    echo "N1,USD,US,USNY,0.00,TS-001,T-shirt,1,100.00,3120980105,SF Express,SF000000000901,1"
    echo "N2,USD,US,USNY,0.00,TS-001,T-shirt,1,80.00,3120980105,SF Express,SF000000000902,1"
} >"$W/incoming/acme/orders.csv"
expect_rc 0 "orders declared" cg run
# N1's inventory refused by customs (100), N2's released (120, 800) on 2025-07-01
rm -rf "$T/rel" && mkdir "$T/rel"
grep -l "<ceb:orderNo>N1</ceb:orderNo>" "$W"/outbox/CEB603Message_*.xml | xargs -I{} cp {} "$T/rel/"
CG_RETURN_DAY=20250701 $HELPER receipts "$T/rel" "$W/inbox" 100 >/dev/null
release 2025-07-01 N2
expect_rc 0 "the receipts are taken" cg run

expect_rc 0 "settle explain N1" cg settle explain N1 --as-of 2025-07-05
check "  NOT_EXPORTED" grep -qx 'order acme/N1  NOT_EXPORTED' "$T/out"
check "  nothing open: not due, and why" grep -qxF \
    "open USD 0.00: not due: not exported (customs has not released its inventory: refused, or not yet), so nothing is to be collected; the expected USD 100.00 falls due only once it is released" "$T/out"
check "  no open amount of 100.00" sh -c '! grep -q "^open USD 100.00" "$1"' - "$T/out"
expect_rc 0 "settle explain N2" cg settle explain N2 --as-of 2025-07-05
check "  N2 released: 80.00 open" grep -qx 'open USD 80.00 (tolerance 1.00)' "$T/out"
cg report fx orders --as-of 2025-07-05 --format csv >"$T/orders.csv"
check "report fx orders: N1 NOT_EXPORTED, expected 100.00, open 0.00, not due" \
    [ "$(csv_cell "$T/orders.csv" acme/N1 state) $(csv_cell "$T/orders.csv" acme/N1 expected) $(csv_cell "$T/orders.csv" acme/N1 open) $(csv_cell "$T/orders.csv" acme/N1 flags)" = "NOT_EXPORTED 100.00 0.00 not due: not exported" ]
check "report fx orders: N2 AWAITING, open 80.00, no flag" \
    [ "$(csv_cell "$T/orders.csv" acme/N2 state) $(csv_cell "$T/orders.csv" acme/N2 open)|$(csv_cell "$T/orders.csv" acme/N2 flags)" = "AWAITING 80.00|" ]
finish
