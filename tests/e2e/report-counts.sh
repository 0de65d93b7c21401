#!/bin/sh
# report-counts.sh - the last run's counts take each order once: two files of the same day that
# hold the same orders (a seller's corrected file dropped beside the first) count every order
# taken, held for its status or rejected once, while each file keeps its own counts. An order
# counts in one of the three only: rejected when no later file of the day took it since its
# latest rejection (as status --rejected), else taken, else held.
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
# last_run_is FILES TAKEN REJECTED HELD WAITING SKIPPED CANCELLED: the last run shows these
# counts (no file failed; the held by the status they were held for) in JSON, the table, CSV and
# the page, and its reasons count the rejected orders, each once.
last_run_is() {
    expect_rc 0 "report --format json" cg report --format json
    check "last run: $1 files, $2 orders taken, $3 rejected, $4 held ($5 waiting, $6 skipped, $7 cancelled)" python3 -c "
import json, sys
d = json.load(open('$T/out'))
r = d['last_run']
got = [r[k] for k in ('files', 'failed_files', 'orders', 'rejected', 'held', 'held_waiting',
                      'held_skipped', 'held_cancelled')]
s = [s for s in d['sections'] if s['id'] == 'run_reasons'][0]
n = sum(int(row[1]) for row in s['rows'])
sys.exit(0 if got == [$1, 0, $2, $3, $4, $5, $6, $7] and n == $3 else 1)"
    expect_rc 0 "report --format table" cg report --format table
    check "the table says so" \
        grep -q "^  $1 files (0 failed), $2 orders taken, $3 rejected, $4 held for their shop status ($5 waiting, $6 skipped, $7 cancelled), " "$T/out"
    expect_rc 0 "report --format csv" cg report --format csv
    check "the CSV says so" python3 -c "
import csv, sys
rows = [r for r in csv.reader(open('$T/out')) if r[:1] == ['last_run']]
sys.exit(0 if len(rows) == 1 and rows[0][2:7] == ['$1', '0', '$2', '$3', '$4'] else 1)"
    expect_rc 0 "report --html" cg report --html "$T/page.html"
    check "the page says so" python3 -c "
import re, sys
t = open('$T/page.html').read()
got = [re.findall('<th>' + k + '</th><td[^>]*>([0-9]+)</td>', t)
       for k in ('orders taken', 'orders rejected', 'orders held for their status')]
sys.exit(0 if got == [['$2'], ['$3'], ['$4']] else 1)"
}

check "orders.csv: 2 taken, 1 rejected, 1 waiting" [ "$(own orders.csv)" = "2 1 1" ]
check "orders-fix.csv: 3 taken, 1 rejected, 1 waiting" [ "$(own orders-fix.csv)" = "3 1 1" ]

# The day's counts: SO-0000001, 2 and 5 taken (not 2 + 3), SO-0000003 held (not 1 + 1),
# SO-0000004 rejected (not 1 + 1).
last_run_is 2 3 1 1 1 0 0

# A day whose files disagree, in a working directory of its own. The run takes 1-orders.csv,
# then 2-orders.csv (by name).
W=$T/w2
mkdir -p "$W/incoming/acme"
cp "$T/w/cebgate.conf" "$T/w/catalog.csv" "$W/"
line() { # order number, SKU, status
    echo "$1,USD,US,USNY,5.00,$2,Item,1,3.50,3120980105,SF Express,SF$1,2.5,$3"
}
# SO-0000011, 13 and 14 sell a SKU not in the catalogue, SO-0000012 waits, SO-0000015 and 17
# are declared.
{
    echo "$head"
    line SO-0000011 NOPE-11 live
    line SO-0000012 TS-001 wait
    line SO-0000013 NOPE-13 live
    line SO-0000014 NOPE-14 live
    line SO-0000015 TS-001 live
    line SO-0000017 TS-001 live
} >"$W/incoming/acme/1-orders.csv"
# SO-0000011 corrected and declared, SO-0000012 paid and declared, SO-0000013 waits (an order
# that waits is not checked), SO-0000014 still unknown, SO-0000016 waits, SO-0000017 changed
# to an unknown SKU.
{
    echo "$head"
    line SO-0000011 TS-001 live
    line SO-0000012 TS-001 live
    line SO-0000013 NOPE-13 wait
    line SO-0000014 NOPE-14 live
    line SO-0000016 TS-001 wait
    line SO-0000017 NOPE-17 live
} >"$W/incoming/acme/2-orders.csv"
expect_rc 1 "the run takes both files and rejects orders of each" cg run
check "1-orders.csv: 2 taken, 3 rejected, 1 waiting" [ "$(own 1-orders.csv)" = "2 3 1" ]
check "2-orders.csv: 2 taken, 2 rejected, 2 waiting" [ "$(own 2-orders.csv)" = "2 2 2" ]

# Taken: SO-0000011 and 12 (from the second file) and 15. Rejected: SO-0000013 (rejected, then
# waiting unchecked), SO-0000014 (rejected twice, once) and SO-0000017 (declared from the first
# file, but the second file's change to it was rejected and is still to fix), as status
# --rejected lists them. Held: SO-0000016 only (SO-0000012 was declared since). The reasons count
# the three rejected orders, each once.
last_run_is 2 3 3 1 1 0 0

# status --rejected lists the orders not declared since their latest rejection: SO-0000013, 14
# and 17, not SO-0000011.
expect_rc 0 "status --rejected" cg status --rejected
listed=$(grep -o 'SO-00000[0-9]*' "$T/out" | sort -u | tr '\n' ' ')
check "status --rejected: SO-0000013, 14 and 17" [ "$listed" = "SO-0000013 SO-0000014 SO-0000017 " ]

# Orders held for each shop status, in a working directory of its own: held counts them all,
# by the status of the latest file that held each; the list of orders held back (the waiting
# ones, which a later file declares) has the waiting ones.
W=$T/w3
mkdir -p "$W/incoming/acme"
cp "$T/w/cebgate.conf" "$T/w/catalog.csv" "$W/"
# 3-a.csv: SO-0000021 declared, SO-0000022 and 23 waiting, SO-0000024 skipped
# held FILE NUMBER:STATUS...: an order file of TS-001 orders with those statuses
held() {
    f=$1
    shift
    echo "$head" >"$f"
    for o in "$@"; do line "SO-00000${o%%:*}" TS-001 "${o#*:}" >>"$f"; done
}
held "$W/incoming/acme/3-a.csv" 21:live 22:wait 23:wait 24:skip
# 3-b.csv: SO-0000025 declared, SO-0000023 now skipped, SO-0000026 cancelled, SO-0000027 waiting
held "$W/incoming/acme/3-b.csv" 25:live 23:skip 26:cancelled 27:wait
expect_rc 0 "the run takes both files" cg run
# Taken: SO-0000021 and 25. Held: 5, SO-0000022 and 27 waiting, SO-0000023 (skipped in the
# later file) and 24 skipped, SO-0000026 cancelled.
last_run_is 2 2 0 5 2 2 1
expect_rc 0 "report --format table" cg report --format table
check "the list of orders held back as waiting has the 2 waiting" \
    grep -Fxq "Orders held back as waiting for their shop status (2)" "$T/out"
finish
