#!/bin/sh
# report-broker.sh - what the morning report tells a broker to do, line by line, after a night of
# three sellers: the section of the day's runs is named for the day it covers; an order cancelled
# by its shop after its goods left the country needs a return, not a cancellation, and the run,
# `status --cancel` and the report say which; `cebgate cancel` prints no line per receipt file
# below -v. An order declared without shipment data (CEB303 only) and one held as waiting for
# its shop status are listed by `status --incomplete` and `--held`, counted by `--pending` and
# in "Needs you today", until a file with the shipment data or the live status declares them.
# A seller's report gives its commands with --seller, and `status --seller` lists that seller's
# items only; receipts for unknown guids, which belong to no seller, are not in it. A file refused
# whole and dismissed leaves the open lists; the day's runs still count its rejected orders, and
# say how many of them were dismissed, so that their reasons add up to the runs' count. An order
# changed after customs closed it is counted once in "Needs you today", as such a change (a
# cancellation or a return, not a correction), and its file refused whole with it is not counted
# again. `--seller ''` is the default seller's, refused while the database has nothing of it.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"
FLOW="python3 $CG_SRCDIR/tests/e2e/flow-helper.py"

mkdir -p "$W/incoming/acme"
head='order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight'
# acme: BR-1 and BR-3 declared (CEB303, CEB505, CEB603 each); BR-2 sells a SKU the catalogue
# does not have
cat >"$W/incoming/acme/orders.csv" <<EOC
$head
BR-1,USD,US,USNY,5.00,TS-001,Item 0,1,3.50,3120980105,SF Express,SF0000000000101,2.5
BR-2,USD,US,USNY,5.00,NOPE-2,Item 1,1,3.50,3120980105,SF Express,SF0000000000102,2.5
BR-3,USD,US,USNY,5.00,TS-001,Item 0,1,3.50,3120980105,SF Express,SF0000000000103,2.5
EOC
expect_rc 1 "the first run rejects BR-2" cg run
DAY=$(sql "SELECT substr(taken_at, 1, 10) FROM input_files WHERE name = 'orders.csv'")

# The day's runs: named for their day, in text and HTML.
expect_rc 0 "report" cg report
cp "$T/out" "$T/report.txt"
check "the runs are headed by their day" \
    grep -Fxq "Runs of $DAY (UTC: the input files taken that day)" "$T/report.txt"
check "  1 file, 2 orders taken, 1 rejected, 6 messages" \
    grep -Fxq "  1 file (0 failed), 2 orders taken, 1 rejected, 0 held for their shop status, 6 messages" "$T/report.txt"
check "  no heading says last run" sh -c "! grep -qi 'last run' '$T/report.txt'"
check "the reasons of that day's rejections" \
    grep -Fxq "Reasons orders were rejected in the runs of $DAY (1)" "$T/report.txt"
expect_rc 0 "report --html" cg report --html "$T/page.html"
check "the page heads the runs by their day" grep -Fq "<h2>Runs of $DAY</h2>" "$T/page.html"

# Customs closes BR-1's inventory (899: the goods have left) and releases BR-3's (800); then the
# shop shows both cancelled. BR-1 needs a return, BR-3 a cancellation.
inv() { grep -l "<ceb:orderNo>$1</ceb:orderNo>" "$W"/outbox/CEB603Message_*.xml | head -1; }
$FLOW receipt "$W/inbox" "$(inv BR-1)" 120 800 899
$FLOW receipt "$W/inbox" "$(inv BR-3)" 120 800
{
    echo "$head,status"
    grep -E '^BR-[13],' "$W/done/acme/orders.csv" | sed 's/$/,cancelled/'
} >"$W/incoming/acme/cancelled.csv"
expect_rc 0 "the shop's file shows BR-1 and BR-3 cancelled" cg run --no-progress
check "the run: BR-1 needs a return" grep -Fxq "acme/cancelled.csv:2: order BR-1: cancelled (status 'cancelled') after its goods left the country: it needs a return (cebgate return acme/BR-1)" "$T/out"
check "the run: BR-3 needs a cancellation" grep -Fxq "acme/cancelled.csv:3: order BR-3: cancelled (status 'cancelled') after its documents were sent: it needs a cancellation (cebgate status --cancel)" "$T/out"
check "the summary: 1 cancellation" grep -Fxq "  needing a cancellation: 1 order cancelled or skipped after its documents were sent (cebgate status --cancel)" "$T/out"
check "the summary: 1 return" grep -Fxq "  needing a return: 1 order cancelled or skipped after its goods left the country (cebgate status --cancel)" "$T/out"
expect_rc 0 "status --cancel" cg status --cancel
check "  BR-1 needs a return" grep -Eq "  acme/BR-1  cancelled \(.*\) in cancelled.csv:2 after its documents were sent; the goods have left the country: a return is needed \(cebgate return acme/BR-1\)\$" "$T/out"
check "  BR-3 a cancellation" grep -Eq "  acme/BR-3  cancelled \(.*\) in cancelled.csv:3 after its documents were sent\$" "$T/out"
check "  the counts" test "$(tail -2 "$T/out")" = "1 order needs a cancellation (CEB605)
1 order needs a return, the goods having left the country (CEB213)"
expect_rc 0 "status --pending" cg status --pending
check "  counts each" test "$(tail -2 "$T/out")" = "1 order needs a cancellation (cebgate status --cancel)
1 order needs a return, the goods having left the country (cebgate status --cancel)"
expect_rc 0 "report" cg report
cp "$T/out" "$T/report.txt"
check "needs: 1 cancellation" grep -Fxq "  1  order cancelled after declaration: a cancellation (CEB605) is needed: cebgate status --cancel" "$T/report.txt"
check "needs: 1 return" grep -Fxq "  1  order cancelled after its goods left the country: a return (CEB213) is needed, cebgate return SELLER/ORDER-NO: cebgate status --cancel" "$T/report.txt"
expect_rc 0 "report --format json" cg report --format json
check "  the list says what each needs" python3 -c "
import json, sys
s = [x for x in json.load(open('$T/out'))['sections'] if x['id'] == 'cancel'][0]
got = sorted((r[1], r[6]) for r in s['rows'])
sys.exit(got != [('BR-1', 'return (CEB213)'), ('BR-3', 'cancellation (CEB605)')] or s['columns'][-1] != 'needs')"

# cebgate cancel applies the waiting receipts first; their lines are for -v only.
$FLOW receipt "$W/inbox" "$(inv BR-1)" 899
expect_rc 1 "cancel BR-1 is refused: the goods have left" cg cancel acme/BR-1 --reason "buyer withdrew"
check "  no receipts line on stdout" test ! -s "$T/out"
check "  it says to declare a return" grep -Fq "declare a return (cebgate return) instead" "$T/err"
$FLOW receipt "$W/inbox" "$(inv BR-1)" 899
expect_rc 0 "cancel BR-3" cg cancel acme/BR-3 --reason "buyer withdrew"
check "  only the declaration on stdout" test "$(cat "$T/out")" = "order BR-3: cancellation (CEB605) declared: sent"

# BR-4 without shipment data (CEB303 only: it can never be released), BR-5 pending at the shop.
{
    echo "$head,status"
    echo "BR-4,USD,US,USNY,5.00,TS-001,Item 0,1,3.50,,,,,"
    echo "BR-5,USD,US,USNY,5.00,TS-001,Item 0,1,3.50,3120980105,SF Express,SF0000000000105,2.5,pending"
} >"$W/incoming/acme/night2.csv"
expect_rc 0 "BR-4 declared without shipment data, BR-5 held" cg run --no-progress
check "  BR-4: CEB303 only" test "$(sql "SELECT group_concat(d.msg_type) FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'BR-4'")" = 303
expect_rc 0 "status --incomplete" cg status --incomplete
check "  lists BR-4" grep -Eq "^[0-9T:.Z-]+  acme/BR-4  CEB303 v1 sent, no waybill \(CEB505\) or inventory \(CEB603\): no shipment data in night2.csv\$" "$T/out"
check "  counts it, with what to do" test "$(wc -l <"$T/out") $(tail -1 "$T/out")" = "2 1 order declared without shipment data: add its shipment data (shipments file or order file) and drop a file with it again"
expect_rc 0 "status --held" cg status --held
check "  lists BR-5" grep -Eq "^[0-9T:.Z-]+  acme/BR-5  held back as waiting by acme/night2.csv, not declared since\$" "$T/out"
check "  counts it" test "$(wc -l <"$T/out") $(tail -1 "$T/out")" = "2 1 order held back as waiting for its shop status"
expect_rc 0 "status --pending" cg status --pending
check "  names both lists" test "$(tail -2 "$T/out")" = "1 order declared without shipment data, no waybill or inventory (cebgate status --incomplete)
1 order held back as waiting for its shop status (cebgate status --held)"
expect_rc 0 "report" cg report
cp "$T/out" "$T/report.txt"
check "needs: BR-4's shipment data" grep -Fxq "  1  order declared without shipment data, no waybill or inventory (never released): add its shipment data (shipments file or order file) and drop a file with it again: cebgate status --incomplete" "$T/report.txt"
check "needs: BR-5 held" grep -Fxq "  1  order held back as waiting for its shop status, not declared: a later file that shows it live declares it: cebgate status --held" "$T/report.txt"
check "the list of incomplete declarations" grep -Fxq "Orders declared without shipment data: CEB303 only, no waybill or inventory (1)" "$T/report.txt"
check "the list of held orders" grep -Fxq "Orders held back as waiting for their shop status (1)" "$T/report.txt"
expect_rc 0 "report --format json" cg report --format json
check "  both listed" python3 -c "
import json, sys
s = dict((x['id'], x) for x in json.load(open('$T/out'))['sections'])
i, h = s['incomplete']['rows'], s['held']['rows']
sys.exit(not (len(i) == 1 and i[0][:3] == ['acme', 'BR-4', 'sent'] and i[0][4] == 'night2.csv'
              and len(h) == 1 and h[0][:2] == ['acme', 'BR-5'] and h[0][3] == 'night2.csv'))"

# The broker adds BR-4's shipment data; the shop shows BR-5 paid: both declared, nothing listed.
{
    echo "$head,status"
    echo "BR-4,USD,US,USNY,5.00,TS-001,Item 0,1,3.50,3120980105,SF Express,SF0000000000104,2.5,"
    echo "BR-5,USD,US,USNY,5.00,TS-001,Item 0,1,3.50,3120980105,SF Express,SF0000000000105,2.5,"
} >"$W/incoming/acme/night2-fixed.csv"
expect_rc 0 "the corrected file" cg run --no-progress
check "  BR-4 has its waybill and inventory" test "$(sql "SELECT group_concat(d.msg_type) FROM (SELECT d.msg_type FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'BR-4' ORDER BY 1) d")" = "303,505,603"
expect_rc 0 "status --incomplete" cg status --incomplete
check "  none" test "$(cat "$T/out")" = "0 orders declared without shipment data: add their shipment data (shipments file or order file) and drop a file with them again"
expect_rc 0 "status --held" cg status --held
check "  none" test "$(cat "$T/out")" = "0 orders held back as waiting for their shop status"
expect_rc 0 "report" cg report
check "  neither in Needs you today" sh -c "! grep -Eq '^  [0-9]+  orders (declared without|held back)' '$T/out'"

# jl: an order rejected for a SKU the catalogue does not have; a receipt for a guid never sent.
mkdir -p "$W/incoming/jl"
printf '%s\n' '{"order_no": "JL-1", "currency": "USD", "country": "US", "pod": "USNY", "freight": "4.00", "shipment": {"logistics_code": "3120980105", "logistics_name": "SF", "logistics_no": "JL0000000000001", "gross_weight": "2.5"}, "lines": [{"sku": "JL-NOPE", "item_name": "Item 0", "qty": "1", "price": "1.75"}]}' \
    >"$W/incoming/jl/orders.jsonl"
M=$(inv BR-3)
sed "s/$(basename "$M" .xml | sed 's/^CEB603Message_//')/FFFFFFFF-0000-4000-8000-000000000001/g" "$M" >"$T/never-sent.xml"
$FLOW receipt "$W/inbox" "$T/never-sent.xml" 120
expect_rc 1 "jl's order is rejected" cg run --no-progress
expect_rc 0 "report" cg report
check "every seller: 2 rejected, status --rejected" grep -Fxq "  2  rejected documents and orders: correct and drop the file again, or once the customs refusal is fixed cebgate resend: cebgate status --rejected" "$T/out"
check "every seller: the unknown receipt" grep -Fxq "  1  receipt for an unknown or mismatched message: cebgate status --unknown" "$T/out"
expect_rc 0 "report --seller acme" cg report --seller acme
cp "$T/out" "$T/acme.txt"
check "  acme's rejected, with --seller acme" grep -Fxq "  1  rejected document or order: correct and drop the file again, or once the customs refusal is fixed cebgate resend: cebgate status --rejected --seller acme" "$T/acme.txt"
check "  acme's return, with --seller acme" grep -Fxq "  1  order cancelled after its goods left the country: a return (CEB213) is needed, cebgate return SELLER/ORDER-NO: cebgate status --cancel --seller acme" "$T/acme.txt"
check "  no command without its --seller" sh -c "! grep -E '^  [0-9]+  .*: cebgate status --[a-z]+\$' '$T/acme.txt'"
check "  not the receipt of no seller" sh -c "! grep -q 'receipts for unknown or mismatched messages:' '$T/acme.txt'"
check "  its section says why it is empty" test "$(grep -A1 '^Receipts for unknown or mismatched messages (0)$' "$T/acme.txt" | tail -1)" = "  receipts for unknown guids belong to no seller: see the report of every seller"
expect_rc 0 "status --rejected --seller acme" cg status --rejected --seller acme
check "  acme's BR-2 only" test "$(sed 's/^[^ ]*  //' "$T/out" | cut -c1-17)" = "order acme/BR-2  
1 rejection"
expect_rc 0 "status --seller jl --rejected" cg status --seller jl --rejected
check "  jl's JL-1 only" test "$(sed 's/^[^ ]*  //' "$T/out" | cut -c1-15)" = "order jl/JL-1  
1 rejection"
expect_rc 0 "status --cancel --seller jl" cg status --cancel --seller jl
check "  none of acme's" test "$(cat "$T/out")" = "0 orders need a cancellation (CEB605)"
expect_rc 2 "--seller with an order number" cg status BR-2 --seller acme
# A seller name neither the configuration nor the database knows (a typo) would list nothing:
# a usage error, as for report --seller. One the configuration knows with nothing of it listed
# is not, nor one with orders in the database whose section was removed.
expect_rc 2 "status --seller nosuch --rejected" cg status --seller nosuch --rejected
check "  names the seller, as report does" test "$(head -n 1 "$T/err")" = \
    "cebgate: --seller nosuch: no section [seller.nosuch] in the configuration and no order of it in the database"
check "  with the usage" test "$(sed -n 2p "$T/err" | cut -c1-22)" = "usage: cebgate status "
check "  and lists nothing" [ ! -s "$T/out" ]
expect_rc 2 "status --held --seller nosuch" cg status --held --seller nosuch
expect_rc 0 "status --rejected --seller shop (configured, nothing rejected)" \
    cg status --rejected --seller shop
check "  0 rejections" test "$(cat "$T/out")" = "0 rejections"
sed '/^\[seller.jl\]$/,/^profile = jsonl$/d' "$W/cebgate.conf" >"$W/nojl.conf"
check "  (a configuration without [seller.jl])" sh -c "! grep -q '^\[seller.jl\]' '$W/nojl.conf'"
expect_rc 0 "status --rejected --seller jl, its section removed" \
    "$CEBGATE" -c "$W/nojl.conf" status --rejected --seller jl
check "  jl's JL-1 still" test "$(sed 's/^[^ ]*  //' "$T/out" | cut -c1-15)" = "order jl/JL-1  
1 rejection"

# acme/bad.csv: both orders sell SKUs the catalogue does not have: refused whole, then dismissed.
cat >"$W/incoming/acme/bad.csv" <<EOC
$head
BD-1,USD,US,USNY,5.00,NOPE-1,Item 0,1,3.50,3120980105,SF Express,SF0000000000201,2.5
BD-2,USD,US,USNY,5.00,NOPE-2,Item 0,1,3.50,3120980105,SF Express,SF0000000000202,2.5
EOC
expect_rc 1 "bad.csv is refused whole" cg run --no-progress
expect_rc 0 "it is dismissed" cg dismiss acme/bad.csv --reason "sent again as orders-fixed.csv"
expect_rc 0 "report" cg report
cp "$T/out" "$T/report.txt"
# The day: orders.csv (BR-1, BR-3 taken, BR-2 rejected; 6 messages), cancelled.csv (nothing
# new), night2.csv (BR-4's CEB303; BR-5 held), night2-fixed.csv (BR-4's CEB505 and CEB603, BR-5's
# three), jl/orders.jsonl (JL-1 rejected: failed), bad.csv (BD-1, BD-2 rejected: failed).
check "the runs: 4 rejected, 2 of them dismissed" grep -Fxq "  6 files (2 failed), 4 orders taken, 4 rejected (2 of them dismissed since), 0 held for their shop status, 12 messages" "$T/report.txt"
check "needs: the 2 not dismissed" grep -Fxq "  2  rejected documents and orders: correct and drop the file again, or once the customs refusal is fixed cebgate resend: cebgate status --rejected" "$T/report.txt"
check "their list: 2" grep -Fxq "Rejected documents and orders, with the reason (2)" "$T/report.txt"
expect_rc 0 "report --format json" cg report --format json
check "  the reasons add up to the runs' 4, the dismissed count is 2" python3 -c "
import json, sys
d = json.load(open('$T/out'))
s = [x for x in d['sections'] if x['id'] == 'run_reasons'][0]
sys.exit(not (sum(int(r[1]) for r in s['rows']) == 4 and d['last_run']['rejected'] == 4
              and d['last_run']['rejected_dismissed'] == 2))"

# acme/reprice.csv: BR-1, whose inventory customs closed, at 2.90 instead of 3.50: rejected, and
# the file (its only order) refused whole.
{
    echo "$head"
    grep '^BR-1,' "$W/done/acme/orders.csv" | sed 's/,3\.50,/,2.90,/'
} >"$W/incoming/acme/reprice.csv"
expect_rc 1 "BR-1 changed after its inventory was closed" cg run --no-progress
check "  rejected as such" grep -Fq "acme/reprice.csv:2: order BR-1: CEB603: changed after customs reached state 'closed'; the declaration can no longer change: if goods came back, declare their return (cebgate return); if only an amount changed (a price adjustment, a partial refund), nothing is declared and the collection is reckoned on the amounts declared (cebgate settle explain)" "$T/out"
check "  the file refused whole" test -f "$W/failed/acme/reprice.csv"
expect_rc 0 "report" cg report
cp "$T/out" "$T/report.txt"
# rejected and open: BR-2, JL-1 (both correctable) and BR-1 (a concluded change); refused whole:
# jl/orders.jsonl and acme/reprice.csv, both for their orders' rejections.
check "needs: 2 to correct" grep -Fxq "  2  rejected documents and orders: correct and drop the file again, or once the customs refusal is fixed cebgate resend: cebgate status --rejected" "$T/report.txt"
check "needs: 1 change after customs concluded it" grep -Fxq "  1  order changed after customs concluded it (no corrected file can declare it): a cancellation of the declared order (cebgate cancel), or a return once its goods left (cebgate return), or dismiss the file: cebgate status --rejected" "$T/report.txt"
check "needs: the files refused for their orders are not counted again" sh -c "! grep -q '  input files refused whole' '$T/report.txt'"
check "the lists still show them: 3 rejected" grep -Fxq "Rejected documents and orders, with the reason (3)" "$T/report.txt"
check "  and 2 files refused whole" grep -Fxq "Input files refused whole, with the reason (2)" "$T/report.txt"

# A seller with cancel = auto: an order its shop cancels after its goods left is not tried as an
# automatic cancellation, which customs would refuse (each run said "cancellation not declared"
# for it before), but said to need a return.
printf '[seller.auto]\nprofile = own\ncancel = auto\n' >>"$W/cebgate.conf"
mkdir -p "$W/incoming/auto"
cat >"$W/incoming/auto/orders.csv" <<EOC
$head
AU-1,USD,US,USNY,5.00,TS-001,Item 0,1,3.50,3120980105,SF Express,SF0000000000201,2.5
EOC
expect_rc 0 "auto: AU-1 declared" cg run --no-progress
$FLOW receipt "$W/inbox" "$(inv AU-1)" 120 800 899
{
    echo "$head,status"
    grep '^AU-1,' "$W/done/auto/orders.csv" | sed 's/$/,cancelled/'
} >"$W/incoming/auto/cancelled.csv"
expect_rc 0 "auto: the shop shows AU-1 cancelled after its goods left" cg run --no-progress
check "  it needs a return" grep -Fxq "auto/cancelled.csv:2: order AU-1: cancelled (status 'cancelled') after its goods left the country: it needs a return (cebgate return auto/AU-1)" "$T/out"
check "  no automatic cancellation is tried" sh -c "! grep -q 'cancellation not declared' '$T/out'"
expect_rc 0 "auto: the next run" cg run --no-progress
check "  tries none either" sh -c "! grep -q 'cancellation not declared' '$T/out'"
check "  and declares no CEB605" test "$(sql "SELECT count(*) FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'AU-1' AND d.msg_type = 605")" = 0

# --seller '' names the default seller, of the files dropped into incoming/ itself. Its section
# [seller] is every seller's shared one: while the database has nothing of it, an empty name is
# refused as an unknown one is. Receipts for unknown guids (one kept above) are no seller's,
# never the default seller's.
for list in --unknown --rejected; do
    expect_rc 2 "status $list --seller '' with no default seller's file" \
        cg status $list --seller ''
    check "  says why" test "$(head -n 1 "$T/err")" = \
        "cebgate: --seller '': an empty name is the default seller (files dropped into incoming/ itself), and the database has no order, rejection or refused file of it"
    check "  and lists nothing" [ ! -s "$T/out" ]
done
expect_rc 2 "report --seller '' with no default seller's file" cg report --seller ''
cat >"$W/incoming/default.csv" <<EOC
$head
DF-1,USD,US,USNY,5.00,TS-001,Item 0,1,3.50,3120980105,SF Express,SF0000000000301,2.5
EOC
expect_rc 0 "the default seller's order DF-1 declared" cg run --no-progress
expect_rc 0 "status --unknown --seller '' once the default seller has an order" \
    cg status --unknown --seller ''
check "  lists no receipt of no seller" test "$(cat "$T/out")" = \
    "0 receipts for unknown guids or mismatched"
expect_rc 0 "status --unknown without --seller" cg status --unknown
check "  lists the one kept" test "$(tail -n 1 "$T/out")" = \
    "1 receipt for an unknown guid or mismatched"
expect_rc 0 "status --pending --seller ''" cg status --pending --seller ''
check "  DF-1's three documents" test "$(tail -n 1 "$T/out")" = "3 documents pending"
finish
