#!/bin/sh
# settle-bad.sh - acceptance 4 of settle/: bad statements are reported entry by entry, with file,
# line, entry reference, field and reason, and nothing of them is imported: a wrong namespace,
# truncated XML, an amount with 3 decimals in a 2-decimal currency, an unknown currency,
# duplicate entry references, a DOCTYPE with an entity, bad rows of the collections CSV and of a
# payout report; through `settle import` and through `cebgate run` (failed/ with NAME.reason).
# A locked database is a temporary failure: exit 75, the file stays in incoming/. `cebgate
# watch` imports a statement dropped while it runs.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
ACCT=CN1200000000000000000009
receipts() { sql "SELECT count(*) FROM fx_receipt"; }
expect_rc 0 "an empty working directory" cg run

# A good statement to cut and bend.
cat >"$T/good.txt" <<'EOT'
G-1;CRDT;USD;100.00;2025-07-01;2025-07-01;;INV 1;PAYER ONE
G-2;CRDT;EUR;200.00;2025-07-01;2025-07-02;;INV 2;PAYER TWO
G-3;DBIT;USD;5.00;2025-07-03;2025-07-03;;CHARGEBACK;
EOT
$SHELPER camt053 "$T/good.xml" $ACCT S-GOOD <"$T/good.txt"

$SHELPER camt053 "$T/camt052.xml" $ACCT S-052 urn:iso:std:iso:20022:tech:xsd:camt.052.001.02 \
    <"$T/good.txt"
expect_rc 1 "camt.052 (another namespace) is refused" cg settle import "$T/camt052.xml"
check "the reason names the namespace" \
    grep -q "camt052.xml:2: root Document in namespace 'urn:iso:std:iso:20022:tech:xsd:camt.052.001.02' is not an ISO 20022 camt.053 or camt.054 Document" "$T/err"
check "nothing imported" [ "$(receipts)" -eq 0 ]

head -c "$(($(wc -c <"$T/good.xml") * 2 / 3))" "$T/good.xml" >"$T/cut.xml"
expect_rc 1 "truncated XML is refused" cg settle import "$T/cut.xml"
check "the reason says where" grep -q "^$T/cut.xml:[0-9]*: not well-formed XML" "$T/err"
check "nothing imported" [ "$(receipts)" -eq 0 ]

cat >"$T/bad.txt" <<'EOT'
B-1;CRDT;USD;100.00;2025-07-01;2025-07-01;;INV 1;PAYER ONE
B-2;CRDT;USD;12.345;2025-07-01;2025-07-01;;INV 2;PAYER TWO
B-3;CRDT;XYZ;50.00;2025-07-01;2025-07-01;;INV 3;PAYER THREE
B-1;CRDT;USD;70.00;2025-07-02;2025-07-02;;INV 4;PAYER FOUR
B-5;CRDT;JPY;1000.5;2025-07-02;2025-07-02;;INV 5;PAYER FIVE
EOT
$SHELPER camt053 "$T/bad.xml" $ACCT S-BAD <"$T/bad.txt"
# Lines of the Ntry elements and of their Amt, found independently of cebgate.
ntry() { grep -n '<Ntry>' "$T/bad.xml" | sed -n "${1}p" | cut -d: -f1; }
amt() { grep -n '<Amt Ccy' "$T/bad.xml" | sed -n "$((2 * $1 - 1))p" | cut -d: -f1; }
expect_rc 1 "a statement with four bad entries is refused" cg settle import "$T/bad.xml"
check "3 decimals in USD: file, line, entry, field, reason" \
    grep -qx "$T/bad.xml:$(amt 2): entry B-2: field Amt: '12.345' has more than 2 decimals for USD" "$T/err"
check "unknown currency" grep -qx "$T/bad.xml:$(amt 3): entry B-3: field Amt: unknown currency 'XYZ'" "$T/err"
check "duplicate entry reference, naming the first" \
    grep -qx "$T/bad.xml:$(ntry 4): entry B-1: field AcctSvcrRef: the same entry reference appears again (line $(ntry 1))" "$T/err"
check "decimals in a 0-decimal currency" \
    grep -qx "$T/bad.xml:$(amt 5): entry B-5: field Amt: '1000.5' has more than 0 decimals for JPY" "$T/err"
check "the summary says nothing was imported" grep -q 'bad.xml: 4 bad entries; nothing imported' "$T/err"
check "not even the good entry" [ "$(receipts)" -eq 0 ]

# A day that is no day is shown as written (30 February, month 13); the line is the element's.
$SHELPER camt053 "$T/days.xml" $ACCT S-DAYS <<'EOT'
D-1;CRDT;USD;10.00;2025-07-01;2025-07-01;;INV 1;PAYER ONE
D-2;CRDT;USD;20.00;2025-07-01;2025-02-30;;INV 2;PAYER TWO
D-3;CRDT;USD;30.00;2025-13-01;2025-07-01;;INV 3;PAYER THREE
EOT
el() { grep -n "<$1>" "$T/days.xml" | sed -n "${2}p" | cut -d: -f1; }
expect_rc 1 "a statement with bad days is refused" cg settle import "$T/days.xml"
check "value day 30 February: shown as written" \
    grep -qx "$T/days.xml:$(el ValDt 2): entry D-2: field ValDt: '2025-02-30' is not a day (YYYY-MM-DD)" "$T/err"
check "booking day in month 13: shown as written" \
    grep -qx "$T/days.xml:$(el BookgDt 3): entry D-3: field BookgDt: '2025-13-01' is not a day (YYYY-MM-DD)" "$T/err"
check "nothing imported" [ "$(receipts)" -eq 0 ]

cat >"$T/xxe.xml" <<EOT
<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>
<Id>X</Id><Ntry><AcctSvcrRef>&x;</AcctSvcrRef><Amt Ccy="USD">1.00</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2025-07-01</Dt></BookgDt></Ntry>
</Stmt></BkToCstmrStmt></Document>
EOT
expect_rc 1 "a DOCTYPE (external entity) is refused" cg settle import "$T/xxe.xml"
check "said so" grep -q 'a DOCTYPE declaration is not allowed' "$T/err"
check "no entity text anywhere" sh -c "! grep -q 'root:' '$T/err' '$T/out'"
check "nothing imported" [ "$(receipts)" -eq 0 ]

cat >"$T/own.csv" <<'EOT'
receipt_id,date,currency,amount,fee,order_no
C-1,2025-07-01,USD,10.00,,SO-1
C-2,2025-07-01,USD,10.001,,SO-2
C-3,2025-07-01,ABC,10.00,,SO-3
C-1,2025-07-02,USD,11.00,,SO-4
C-5,2025/07/02,USD,11.00,12.00,SO-5
EOT
expect_rc 1 "collections CSV with bad rows is refused" cg settle import "$T/own.csv"
check "row 3: 3 decimals" grep -qx "$T/own.csv:3: entry C-2: field amount: '10.001' has more than 2 decimals for USD" "$T/err"
check "row 4: unknown currency" grep -qx "$T/own.csv:4: entry C-3: field currency: unknown currency 'ABC'" "$T/err"
check "row 5: duplicate id" grep -qx "$T/own.csv:5: entry C-1: field receipt_id: the same receipt id appears again (line 2)" "$T/err"
check "row 6: bad date" grep -qx "$T/own.csv:6: entry C-5: field date: '2025/07/02' is not YYYY-MM-DD" "$T/err"
check "row 6: fee above the amount" grep -qx "$T/own.csv:6: entry C-5: field amount: must be positive and at least the fee" "$T/err"
check "nothing imported" [ "$(receipts)" -eq 0 ]

cat >"$T/payout.csv" <<'EOT'
Payout ID,Payout Date,Currency,Order ID,Transaction ID,Gross Amount,Fee,Net Amount
PO-1,2025-07-15,USD,SO-1,TX1,30.00,-0.90,29.10
PO-1,2025-07-15,USD,SO-2,TX2,45.50,-1.37,44.00
PO-1,2025-07-15,USD,SO-1,TX3,10.00,0.00,10.00
PO-1,2025-07-16,USD,SO-3,TX4,10.00,0.00,10.00
EOT
expect_rc 1 "payout report with bad rows is refused" cg settle import "$T/payout.csv"
check "net is not gross minus fee" grep -qx "$T/payout.csv:3: entry PO-1: field Net Amount: 44.00 is not gross 45.50 minus fee -1.37" "$T/err"
check "an order twice in one payout" grep -qx "$T/payout.csv:4: entry PO-1: field Order ID: order SO-1 appears twice in payout PO-1" "$T/err"
check "another day in the same payout" grep -qx "$T/payout.csv:5: entry PO-1: field Currency: payout PO-1 has another currency or date on line 2" "$T/err"
check "nothing imported" [ "$(receipts)" -eq 0 ]

# Through the spool: the bad one to failed/ with every reason, the good one imported.
cp "$T/bad.xml" "$W/incoming/acme/bad.xml"
cp "$T/good.xml" "$W/incoming/acme/good.xml"
expect_rc 1 "run with a bad and a good statement" cg run
check "bad statement in failed/acme/" test -f "$W/failed/acme/bad.xml"
check "its reason lists each entry" \
    [ "$(grep -c '^acme/bad.xml:[0-9]*: entry B-' "$W/failed/acme/bad.xml.reason")" -eq 4 ]
check "the good one imported and in done/acme/" test -f "$W/done/acme/good.xml"
check "three receipts from the good one" [ "$(receipts)" -eq 3 ]
check "neither taken as an order file" [ "$(sql 'SELECT count(*) FROM input_files')" -eq 0 ]
check "the summary counts both files taken" \
    grep -Fxq "summary: 2 files taken (1 done, 1 failed, 0 duplicate)" "$T/out"
expect_rc 0 "status of the refused statement" cg status acme/bad.xml
check "status says what it is and that it was refused" \
    grep -q "^file acme/bad.xml  bank statement (camt.053)  refused whole  " "$T/out"
sed -n 's/^  reason: //p' "$T/out" >"$T/reasons"
check "with each line of its reason" cmp -s "$T/reasons" "$W/failed/acme/bad.xml.reason"

# A database held by another writer: temporary, exit 75, the file waits in incoming/.
$SHELPER camt053 "$T/later.xml" $ACCT S-LATER <<'EOT'
L-1;CRDT;USD;9.00;2025-07-05;2025-07-05;;INV 9;PAYER NINE
EOT
db_lock
expect_rc 75 "import while the database is locked" cg settle import "$T/later.xml"
cp "$T/later.xml" "$W/incoming/acme/later.xml"
expect_rc 75 "run while the database is locked" cg run
check "the statement stays in incoming/" test -f "$W/incoming/acme/later.xml"
db_unlock
expect_rc 0 "run once the database is free" cg run
check "then imported" [ "$(receipts)" -eq 4 ]
check "and moved to done/" test -f "$W/done/acme/later.xml"

# cebgate watch imports a statement dropped while it runs (it is not read as orders).
"$CEBGATE" -c "$W/cebgate.conf" watch >"$T/watch.out" 2>"$T/watch.err" &
wp=$!
within() { n=$1; shift; k=0; while [ $k -lt "$n" ]; do if eval "$@"; then return 0; fi; sleep 0.1; k=$((k + 1)); done; return 1; }
$SHELPER camt053 "$T/w.xml" $ACCT S-WATCH <<'EOT'
W-1;CRDT;USD;3.00;2025-07-06;2025-07-06;;INV W;PAYER W
EOT
mv "$T/w.xml" "$W/incoming/acme/w.xml"
check "watch imports a dropped statement" within 100 "test -f '$W/done/acme/w.xml'"
kill -TERM $wp
wait $wp
check "watch exits 0 on SIGTERM" [ $? -eq 0 ]
check "its receipt recorded" [ "$(receipts)" -eq 5 ]
check "not taken as an order file" [ "$(sql 'SELECT count(*) FROM input_files')" -eq 0 ]
finish
