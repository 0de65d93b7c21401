#!/bin/sh
# report-refused-intake.sh - a bank statement and a refund results file that `cebgate run` refuses
# whole from incoming/ (to failed/ with NAME.reason) are in the morning report as a refused order
# file is: in the list of input files refused whole, with what they are and their reason, and
# counted in its "Needs you today" item and per seller; `cebgate status NAME` shows each with its
# reason. A database held by another writer is a temporary failure and records nothing. Once a
# fixed file is put back under the same name and imported (or imported under that name from the
# command line), neither is listed any more. A
# database of schema 6 (without intake_files) gets the table when opened.
. "${CG_SRCDIR:-.}/tests/e2e/refund-lib.sh"
. "${CG_SRCDIR:-.}/tests/e2e/refused-lib.sh"
ACCT=CN1200000000000000000009
recorded() { sql "SELECT count(*) FROM intake_files"; }

expect_rc 0 "an empty working directory" cg run
check "the database is at schema 12" [ "$(sql 'PRAGMA user_version')" -eq 12 ]
sql "DROP TABLE seller_holds; DROP INDEX documents_303; DROP INDEX file_orders_held; DROP INDEX documents_waybill; ALTER TABLE documents DROP COLUMN carrier; ALTER TABLE documents DROP COLUMN route; DROP INDEX file_orders_order; DROP INDEX rejections_order; ALTER TABLE file_orders DROP COLUMN status; DROP TABLE resend_marks; DROP TABLE refusal_dismissals; DROP TABLE intake_files; PRAGMA user_version = 6"
check "put back in the form of schema 6" [ "$(sql "SELECT count(*) FROM sqlite_master WHERE name = 'intake_files'") $(sql 'PRAGMA user_version')" = "0 6" ]
expect_rc 0 "status of a file on the older database" cg status --pending
check "  it migrated to schema 12, with intake_files" [ "$(sql "SELECT count(*) FROM sqlite_master WHERE name = 'intake_files'") $(sql 'PRAGMA user_version')" = "1 12" ]

# A unit pre-checked in B1, so that the tax office's result for it can be recorded.
wares 1 1 2025-05-10 2025-05-12
expect_rc 0 "batch B1" cg refund prepare --period 202506 --as-of 2025-06-05
expect_rc 0 "B1 pre-checked" cg refund mark-prechecked B1 --date 2025-06-08

# acme/stmt.xml: a camt.053 whose second entry has 3 decimals in USD; res.csv: a rejection
# without the tax office's reason.
$SHELPER camt053 "$T/stmt-bad.xml" $ACCT S-BAD <<'EOT'
B-1;CRDT;USD;100.00;2025-07-01;2025-07-01;;INV 1;PAYER ONE
B-2;CRDT;USD;12.345;2025-07-01;2025-07-01;;INV 2;PAYER TWO
EOT
AMT=$(grep -n '<Amt Ccy' "$T/stmt-bad.xml" | sed -n 3p | cut -d: -f1)
printf '%s\n310120250000000901,1,rejected,,2025-07-01,\n' "$RESULTS_H" >"$T/res-bad.csv"
cp "$T/stmt-bad.xml" "$W/incoming/acme/stmt.xml"
cp "$T/res-bad.csv" "$W/incoming/res.csv"
expect_rc 1 "run refuses both" cg run
check "  the statement in failed/acme/, the results file in failed/" \
    [ -f "$W/failed/acme/stmt.xml" ] && [ -f "$W/failed/res.csv" ]
printf '%s\n%s\n' \
    "acme/stmt.xml:$AMT: entry B-2: field Amt: '12.345' has more than 2 decimals for USD" \
    "acme/stmt.xml: 1 bad entry; nothing imported" >"$T/why-stmt"
printf '%s\n%s\n' \
    "res.csv:2: field reason: empty: a rejected row needs the tax office's reason" \
    "res.csv: 1 bad row: nothing imported" >"$T/why-res"
check "  failed/acme/stmt.xml.reason" cmp -s "$T/why-stmt" "$W/failed/acme/stmt.xml.reason"
check "  failed/res.csv.reason" cmp -s "$T/why-res" "$W/failed/res.csv.reason"
check "  neither is an order file" [ "$(sql 'SELECT count(*) FROM input_files')" -eq 0 ]

check "report --format json" report json
cat >"$T/want" <<EOW
(default)|res.csv|refund results file|$(cat "$T/why-res")
acme|stmt.xml|bank statement (camt.053)|$(cat "$T/why-stmt")
total 2
needs 2 cebgate status SELLER/FILE
seller (default) 1
seller acme 1
EOW
refused >"$T/got"
check "  both listed, newest first, with what they are and their reason, and counted" \
    cmp -s "$T/want" "$T/got"
check "report (table)" report table
check "  the needs item counts both" \
    grep -Fxq "  2  input files refused whole: correct and drop them again, or dismiss them: cebgate status SELLER/FILE" "$T/report.table"
check "  the statement's row: what it is and its reason on one line" \
    row_is acme 'stmt\.xml' 'bank statement (camt\.053)' \
    "acme/stmt.xml:$AMT: entry B-2: field Amt: '12.345' has more than 2 decimals for USD; acme/stmt.xml: 1 bad entry; nothing imported"
check "  the results file's row" \
    row_is '(default)' 'res\.csv' 'refund results file' \
    "res.csv:2: field reason: empty: a rejected row needs the tax office's reason; res.csv: 1 bad row: nothing imported"

expect_rc 0 "status acme/stmt.xml" cg status acme/stmt.xml
{
    echo "file acme/stmt.xml  bank statement (camt.053)  refused whole  $(sql "SELECT at FROM intake_files WHERE name = 'stmt.xml'")"
    sed 's/^/  reason: /' "$T/why-stmt"
    echo "  see failed/acme/ (with NAME.reason); put the fixed file back in incoming/acme/ under the same name"
} >"$T/want"
check "  what it is, refused, and each line of its reason" cmp -s "$T/want" "$T/out"
expect_rc 0 "status res.csv" cg status res.csv
check "  what it is and its reason" grep -Fxq "  reason: res.csv:2: field reason: empty: a rejected row needs the tax office's reason" "$T/out"
check "  refused whole" grep -q "^file res.csv  refund results file  refused whole  " "$T/out"

# A database held by another writer: exit 75, the files wait in incoming/, nothing recorded.
cp "$T/stmt-bad.xml" "$W/incoming/acme/other.xml"
db_lock
expect_rc 75 "run while the database is locked" cg run
db_unlock
check "  the statement waits in incoming/" test -f "$W/incoming/acme/other.xml"
check "  nothing recorded of it" [ "$(sql "SELECT count(*) FROM intake_files WHERE name = 'other.xml'")" -eq 0 ]
rm -f "$W/incoming/acme/other.xml"

# Fixed and put back under the same names: imported, and listed no more.
$SHELPER camt053 "$T/stmt-good.xml" $ACCT S-GOOD <<'EOT'
B-1;CRDT;USD;100.00;2025-07-01;2025-07-01;;INV 1;PAYER ONE
B-2;CRDT;USD;12.34;2025-07-01;2025-07-01;;INV 2;PAYER TWO
EOT
rm -f "$W/failed/acme/stmt.xml" "$W/failed/acme/stmt.xml.reason" "$W/failed/res.csv" "$W/failed/res.csv.reason"
cp "$T/stmt-good.xml" "$W/incoming/acme/stmt.xml"
expect_rc 0 "run imports the fixed statement" cg run
check "  in done/acme/" test -f "$W/done/acme/stmt.xml"
check "report --format json" report json
refused >"$T/got"
printf '%s\n' "(default)|res.csv|refund results file|$(cat "$T/why-res")" "total 1" \
    "needs 1 cebgate status SELLER/FILE" "seller (default) 1" >"$T/want"
check "  the statement is no longer listed; the results file still is" cmp -s "$T/want" "$T/got"
# The results file fixed and imported from the command line, under the same name: listed no
# more either.
mkdir -p "$T/fix"
printf '%s\n310120250000000901,1,rejected,,2025-07-01,no customs record\n' "$RESULTS_H" \
    >"$T/fix/res.csv"
expect_rc 0 "refund results imports the fixed results file" cg refund results "$T/fix/res.csv"
check "report --format json" report json
refused >"$T/got"
printf '%s\n' "total 0" >"$T/want"
check "  nothing listed, no needs item, no failed file per seller" cmp -s "$T/want" "$T/got"
check "report (table)" report table
check "  no refused file in the table" sh -c "! grep -q 'refused whole: correct' '$T/report.table'"
# A statement refused from incoming/acme/ and imported fixed with settle import --seller acme
# under the same name: listed no more.
$SHELPER camt053 "$T/late-bad.xml" $ACCT S-LATE <<'EOT'
B-3;CRDT;USD;7.001;2025-07-02;2025-07-02;;INV 3;PAYER THREE
EOT
cp "$T/late-bad.xml" "$W/incoming/acme/late.xml"
expect_rc 1 "run refuses acme/late.xml" cg run
check "report --format json" report json
refused >"$T/got"
check "  it is listed" grep -q '^acme|late.xml|bank statement (camt.053)|' "$T/got"
$SHELPER camt053 "$T/fix/late.xml" $ACCT S-LATE2 <<'EOT'
B-3;CRDT;USD;7.00;2025-07-02;2025-07-02;;INV 3;PAYER THREE
EOT
expect_rc 0 "settle import --seller acme of the fixed late.xml" cg settle import --seller acme "$T/fix/late.xml"
check "report --format json" report json
refused >"$T/got"
printf '%s\n' "total 0" >"$T/want"
check "  listed no more" cmp -s "$T/want" "$T/got"
expect_rc 0 "status acme/stmt.xml" cg status acme/stmt.xml
check "  imported" grep -q "^file acme/stmt.xml  bank statement (camt.053)  imported  " "$T/out"
check "  no reason" sh -c "! grep -q reason '$T/out'"
finish
