#!/bin/sh
# report-dismiss.sh - `cebgate dismiss` takes a file refused whole off the morning report: an
# order file and a bank statement refused whole are listed (json, table and HTML) and counted in
# "Needs you today" and per seller; once each is dismissed with a reason neither is listed nor
# counted, the other refused file still is, both stay in failed/, and `cebgate status` shows who
# dismissed each, when and why. A name listed for two sellers, a name not listed, a refusal
# dismissed already and a missing reason are refused with their messages and exit codes. A new
# refusal of a dismissed name is listed again. A file refused for its orders' rejections, once
# dismissed, no longer has them counted or listed. A database put back to schema 7 (without
# refusal_dismissals) keeps its refusals listed and gets the table when opened.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
. "${CG_SRCDIR:-.}/tests/e2e/refused-lib.sh"
ACCT=CN1200000000000000000009
ME=$(id -un)
head='order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight'

# acme/stmt.xml: a camt.053 whose second entry has 3 decimals in USD; acme/orders.csv and
# b2b/orders.csv: order files with no orders. Each taken by a run of its own, so that the list
# (newest first) is stmt.xml, acme's orders.csv, b2b's orders.csv from the bottom up.
$SHELPER camt053 "$T/stmt-bad.xml" $ACCT S-BAD <<'EOT'
B-1;CRDT;USD;100.00;2025-07-01;2025-07-01;;INV 1;PAYER ONE
B-2;CRDT;USD;12.345;2025-07-01;2025-07-01;;INV 2;PAYER TWO
EOT
AMT=$(grep -n '<Amt Ccy' "$T/stmt-bad.xml" | sed -n 3p | cut -d: -f1)
cp "$T/stmt-bad.xml" "$W/incoming/acme/stmt.xml"
expect_rc 1 "run refuses acme/stmt.xml" cg run
echo "$head" >"$W/incoming/acme/orders.csv"
expect_rc 1 "run refuses acme/orders.csv" cg run
echo "$head" >"$W/incoming/b2b/orders.csv"
expect_rc 1 "run refuses b2b/orders.csv" cg run
check "  all three in failed/" [ -f "$W/failed/acme/stmt.xml" ] && [ -f "$W/failed/acme/orders.csv" ] &&
    [ -f "$W/failed/b2b/orders.csv" ]
WHY_STMT="acme/stmt.xml:$AMT: entry B-2: field Amt: '12.345' has more than 2 decimals for USD
acme/stmt.xml: 1 bad entry; nothing imported"

# The database put back in the form of schema 7: opening it adds refusal_dismissals, and the
# refusals it holds are listed as before.
check "the database is at schema 12" [ "$(sql 'PRAGMA user_version')" -eq 12 ]
sql "DROP TABLE seller_holds; DROP INDEX documents_303; DROP INDEX file_orders_held; DROP INDEX documents_waybill; ALTER TABLE documents DROP COLUMN carrier; ALTER TABLE documents DROP COLUMN route; DROP INDEX file_orders_order; DROP INDEX rejections_order; ALTER TABLE file_orders DROP COLUMN status; DROP TABLE resend_marks; DROP TABLE refusal_dismissals; PRAGMA user_version = 7"
check "put back in the form of schema 7" [ "$(sql "SELECT count(*) FROM sqlite_master WHERE name = 'refusal_dismissals'") $(sql 'PRAGMA user_version')" = "0 7" ]

NEED="input files refused whole: correct and drop them again, or dismiss them"
# the label for one file
NEED1="input file refused whole: correct and drop it again, or dismiss it"

check "report --format json" report json
check "  it migrated to schema 12, with refusal_dismissals" [ "$(sql "SELECT count(*) FROM sqlite_master WHERE name = 'refusal_dismissals'") $(sql 'PRAGMA user_version')" = "1 12" ]
cat >"$T/want" <<EOW
b2b|orders.csv|order file|b2b/orders.csv: no orders in the file
acme|orders.csv|order file|acme/orders.csv: no orders in the file
acme|stmt.xml|bank statement (camt.053)|$WHY_STMT
total 3
needs 3 cebgate status SELLER/FILE
seller acme 2
seller b2b 1
EOW
refused >"$T/got"
check "  the three listed, newest first, and counted" cmp -s "$T/want" "$T/got"
check "report (table)" report table
check "  the needs item counts three" \
    grep -Fxq "  3  $NEED: cebgate status SELLER/FILE" "$T/report.table"
check "  the section counts three" grep -Fxq "Input files refused whole, with the reason (3)" "$T/report.table"
check "  acme's order file" row_is acme 'orders\.csv' 'order file' 'acme/orders.csv: no orders in the file'
check "  b2b's order file" row_is b2b 'orders\.csv' 'order file' 'b2b/orders.csv: no orders in the file'
check "  the statement" row_is acme 'stmt\.xml' 'bank statement (camt\.053)' \
    "acme/stmt.xml:$AMT: entry B-2: field Amt: '12.345' has more than 2 decimals for USD; acme/stmt.xml: 1 bad entry; nothing imported"
check "report --html" report html
cat >"$T/want" <<EOW
b2b|orders.csv|order file|b2b/orders.csv: no orders in the file
acme|orders.csv|order file|acme/orders.csv: no orders in the file
acme|stmt.xml|bank statement (camt.053)|$WHY_STMT
needs 3 $NEED: cebgate status SELLER/FILE
EOW
refused_html >"$T/got"
check "  the page lists the three and counts them" cmp -s "$T/want" "$T/got"

# What cannot be dismissed: nothing is recorded.
expect_rc 2 "dismiss orders.csv, refused for two sellers" cg dismiss orders.csv --reason x
check "  says so, naming both" grep -Fxq "cebgate: orders.csv: refused whole for more than one seller (acme/orders.csv, b2b/orders.csv): name one as SELLER/FILE (/FILE for a file dropped into incoming/ itself)" "$T/err"
expect_rc 1 "dismiss acme/orders-fixed.csv, never refused" cg dismiss acme/orders-fixed.csv --reason x
check "  not listed as refused" grep -Fxq "cebgate: acme/orders-fixed.csv: not listed as refused whole (the report's input files refused whole, as SELLER/FILE: cebgate report)" "$T/err"
expect_rc 1 "dismiss b2b/stmt.xml, a name refused for acme only" cg dismiss b2b/stmt.xml --reason x
check "  not listed as refused" grep -Fxq "cebgate: b2b/stmt.xml: not listed as refused whole (the report's input files refused whole, as SELLER/FILE: cebgate report)" "$T/err"
expect_rc 2 "dismiss without a reason" cg dismiss acme/orders.csv
check "  the reason is required" grep -Fxq "cebgate: --reason TEXT is required: why the file is not to be taken again under its name" "$T/err"
check "  nothing recorded" [ "$(sql 'SELECT count(*) FROM refusal_dismissals')" -eq 0 ]

# Dismissed: the order file as SELLER/FILE, the statement by its name alone (acme's only).
R1=$(sql "SELECT taken_at FROM input_files WHERE seller = 'acme' AND name = 'orders.csv'")
expect_rc 0 "dismiss acme/orders.csv" cg dismiss acme/orders.csv --reason "corrected copy dropped as orders-fixed.csv"
check "  says what was dismissed" grep -Fxq "dismissed acme/orders.csv  order file  refused $R1: no longer listed; the file stays in failed/acme/" "$T/out"
R2=$(sql "SELECT at FROM intake_files WHERE seller = 'acme' AND name = 'stmt.xml'")
expect_rc 0 "dismiss stmt.xml" cg dismiss stmt.xml --reason "<b>not ours</b>: the bank sent it to us by mistake"
check "  says what was dismissed" grep -Fxq "dismissed acme/stmt.xml  bank statement (camt.053)  refused $R2: no longer listed; the file stays in failed/acme/" "$T/out"
check "  both stay in failed/ with their reasons" [ -f "$W/failed/acme/stmt.xml" ] &&
    [ -f "$W/failed/acme/stmt.xml.reason" ] && [ -f "$W/failed/acme/orders.csv" ] &&
    [ -f "$W/failed/acme/orders.csv.reason" ]

check "report --format json" report json
printf '%s\n' "b2b|orders.csv|order file|b2b/orders.csv: no orders in the file" "total 1" \
    "needs 1 cebgate status SELLER/FILE" "seller b2b 1" >"$T/want"
refused >"$T/got"
check "  only b2b's file is listed and counted" cmp -s "$T/want" "$T/got"
check "report (table)" report table
check "  the needs item counts one" grep -Fxq "  1  $NEED1: cebgate status SELLER/FILE" "$T/report.table"
check "  the section counts one" grep -Fxq "Input files refused whole, with the reason (1)" "$T/report.table"
check "  neither dismissed file in the table" sh -c "! grep -q '^ *acme  ' '$T/report.table'"
check "report --html" report html
printf '%s\n' "b2b|orders.csv|order file|b2b/orders.csv: no orders in the file" \
    "needs 1 $NEED1: cebgate status SELLER/FILE" >"$T/want"
refused_html >"$T/got"
check "  the page lists only b2b's file" cmp -s "$T/want" "$T/got"
check "  the page holds no dismissal's reason" sh -c "! grep -q 'not ours' '$T/report.html'"

D1=$(sql "SELECT dismissed_at FROM refusal_dismissals WHERE seller = 'acme' AND name = 'orders.csv'")
D2=$(sql "SELECT dismissed_at FROM refusal_dismissals WHERE seller = 'acme' AND name = 'stmt.xml'")
check "  recorded when dismissed" sh -c "[ -n '$D1' ] && [ -n '$D2' ]"
expect_rc 0 "status acme/orders.csv" cg status acme/orders.csv
check "  the dismissal under the refusal: when, by whom, why" \
    sh -c "sed -n 2p '$T/out' | grep -Fxq '  dismissed $D1 by $ME: corrected copy dropped as orders-fixed.csv'"
expect_rc 0 "status acme/stmt.xml" cg status acme/stmt.xml
{
    echo "file acme/stmt.xml  bank statement (camt.053)  refused whole  $R2"
    echo "  dismissed $D2 by $ME: <b>not ours</b>: the bank sent it to us by mistake"
    echo "$WHY_STMT" | sed 's/^/  reason: /'
    echo "  see failed/acme/ (with NAME.reason); put the fixed file back in incoming/acme/ under the same name"
} >"$T/want"
check "  what it is, its dismissal and its reason" cmp -s "$T/want" "$T/out"
expect_rc 1 "dismiss acme/orders.csv again" cg dismiss acme/orders.csv --reason again
check "  dismissed already" grep -Fxq "cebgate: acme/orders.csv: its refusal was dismissed already, at $D1 by $ME; the report does not list it" "$T/err"

# Refused again under the same names: listed again, the dismissals cover the refusals they were
# made for only.
echo "$head" >"$W/incoming/acme/orders.csv"
cp "$T/stmt-bad.xml" "$W/incoming/acme/stmt.xml"
expect_rc 1 "run refuses both names again" cg run
check "report --format json" report json
cat >"$T/want" <<EOW
acme|orders.csv|order file|acme/orders.csv: no orders in the file
acme|stmt.xml|bank statement (camt.053)|$WHY_STMT
b2b|orders.csv|order file|b2b/orders.csv: no orders in the file
total 3
needs 3 cebgate status SELLER/FILE
seller acme 2
seller b2b 1
EOW
refused >"$T/got"
check "  the new refusals are listed and counted" cmp -s "$T/want" "$T/got"
check "report (table)" report table
check "  the needs item counts three" grep -Fxq "  3  $NEED: cebgate status SELLER/FILE" "$T/report.table"
expect_rc 0 "status acme/stmt.xml" cg status acme/stmt.xml
check "  the new refusal, not dismissed" sh -c "! grep -q dismissed '$T/out'"
expect_rc 0 "status acme/orders.csv" cg status acme/orders.csv
check "  two refusals, the first dismissed" [ "$(grep -c '^file acme/orders.csv  failed  ' "$T/out") $(grep -c '^  dismissed ' "$T/out")" = "2 1" ]
expect_rc 0 "dismiss the new refusal of acme/orders.csv" cg dismiss acme/orders.csv --reason "fixed again"
check "  two dismissals of acme/orders.csv recorded" [ "$(sql "SELECT count(*) FROM refusal_dismissals WHERE seller = 'acme' AND name = 'orders.csv'")" -eq 2 ]

# A file whose every order is rejected is refused whole; dismissing it closes its orders'
# rejections too: they are not to be declared, so nothing asks for them to be corrected.
REJ="rejected documents and orders: correct and drop the file again, or once the customs refusal is fixed cebgate resend: cebgate status --rejected"
printf '%s\n' "$head" \
    "D-1,USD,US,USNY,5.00,NO-SUCH-SKU,Item,1,3.50,3120980105,SF Express,SF0000000000901,2.5" \
    "D-2,USD,US,USNY,5.00,NO-SUCH-SKU,Item,1,3.50,3120980105,SF Express,SF0000000000902,2.5" \
    >"$W/incoming/acme/bad.csv"
expect_rc 1 "run refuses acme/bad.csv, both its orders rejected" cg run
check "report (table)" report table
check "  the needs item counts its two orders" grep -Fxq "  2  $REJ" "$T/report.table"
expect_rc 0 "status --rejected lists them" cg status --rejected
check "  both" [ "$(grep -c '  order acme/D-[12]  ' "$T/out")" -eq 2 ]
expect_rc 0 "dismiss acme/bad.csv" cg dismiss acme/bad.csv --reason "not to be declared"
check "report (table)" report table
check "  its orders are no longer asked for" sh -c "! grep -Fq '$REJ' '$T/report.table'"
expect_rc 0 "status --rejected" cg status --rejected
check "  lists neither" sh -c "! grep -q '  order acme/D-[12]  ' '$T/out'"
finish
