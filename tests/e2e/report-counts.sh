#!/bin/sh
# report-counts.sh - the last run's counts take each order once: two files of the same day that
# hold the same orders (a seller's corrected file dropped beside the first) count every order
# taken, held for its status or rejected once, while each file keeps its own counts.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

mkdir -p "$W/incoming/acme"
head='order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight,status'
# The first file: SO-0000001 and SO-0000002 declared, SO-0000003 waiting (not paid yet),
# SO-0000004 sells a SKU that is not in the catalogue.
cat >"$W/incoming/acme/orders.csv" <<EOF
$head
SO-0000001,USD,US,USNY,5.00,TS-001,Item 1,1,3.50,3120980105,SF Express,SF0000000000001,2.5,live
SO-0000002,USD,US,USNY,5.00,TS-001,Item 2,1,3.50,3120980105,SF Express,SF0000000000002,2.5,live
SO-0000003,USD,US,USNY,5.00,TS-001,Item 3,1,3.50,3120980105,SF Express,SF0000000000003,2.5,wait
SO-0000004,USD,US,USNY,5.00,NOPE-4,Item 4,1,3.50,3120980105,SF Express,SF0000000000004,2.5,live
EOF
# The corrected file, the same day: SO-0000001 and SO-0000002 again as they were, SO-0000003
# still waiting, SO-0000004 still with its unknown SKU, and SO-0000005 added. Whichever file the
# run takes first declares the orders, the other finds them unchanged.
{
    cat "$W/incoming/acme/orders.csv"
    echo 'SO-0000005,USD,US,USNY,5.00,TS-001,Item 5,1,3.50,3120980105,SF Express,SF0000000000005,2.5,live'
} >"$W/incoming/acme/orders-fix.csv"
expect_rc 1 "the run takes both files and rejects SO-0000004" cg run
check "both files done" test -f "$W/done/acme/orders.csv" -a -f "$W/done/acme/orders-fix.csv"

# Each file keeps its own counts: orders taken (new + modified + unchanged), rejected, waiting.
own() {
    cg status "acme/$1" >"$T/file" &&
        sed -n 's/^  orders: \([0-9]*\) new, \([0-9]*\) modified, \([0-9]*\) unchanged, \([0-9]*\) rejected, \([0-9]*\) waiting, .*/\1 \2 \3 \4 \5/p' "$T/file" |
        awk '{ print $1 + $2 + $3, $4, $5 }'
}
check "orders.csv: 2 taken, 1 rejected, 1 waiting" [ "$(own orders.csv)" = "2 1 1" ]
check "orders-fix.csv: 3 taken, 1 rejected, 1 waiting" [ "$(own orders-fix.csv)" = "3 1 1" ]

# The day's counts: SO-0000001, 2 and 5 taken (not 2 + 3), SO-0000003 held (not 1 + 1),
# SO-0000004 rejected (not 1 + 1).
expect_rc 0 "report --format json" cg report --format json
check "last run: 2 files, 3 orders taken, 1 rejected, 1 held" python3 -c "
import json, sys
r = json.load(open('$T/out'))['last_run']
got = [r[k] for k in ('files', 'failed_files', 'orders', 'rejected', 'held')]
sys.exit(0 if got == [2, 0, 3, 1, 1] else 1)"
expect_rc 0 "report --format table" cg report --format table
check "the table says so" grep -q ': 2 files (0 failed), 3 orders taken, 1 rejected, 1 held, ' "$T/out"
finish
