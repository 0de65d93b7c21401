#!/bin/sh
# settle-statements.sh - statements as banks deliver them, downloaded again with overlapping
# days. A bank entry is identified by its account and the bank's reference
# (docs/collections-format.md): an entry seen again is known, whichever way the statement came
# in (`settle import` without a seller, or a seller's incoming/ folder), so its money counts
# once: in the order's collected amount and in what is held. An entry seen again with other
# figures (a payout downloaded again with a line more, a bank's corrected amount) is not the
# entry recorded: the file is refused, naming the entry, what was recorded and what the file
# says, and nothing of it is recorded, rather than the difference being dropped unseen.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no/' "$W/cebgate.conf"

H=order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight
{
    echo "$H"
    echo "S1,USD,US,USNY,0.00,TS-001,T-shirt,1,120.00,3120980105,SF Express,SF000000000201,1"
    echo "Q1,USD,US,USNY,0.00,TS-001,T-shirt,1,30.00,3120980105,SF Express,SF000000000202,1"
    echo "Q2,USD,US,USNY,0.00,TS-001,T-shirt,1,45.50,3120980105,SF Express,SF000000000203,1"
    echo "Q3,USD,US,USNY,0.00,TS-001,T-shirt,1,20.00,3120980105,SF Express,SF000000000204,1"
    echo "Q4,USD,US,USNY,0.00,TS-001,T-shirt,1,20.00,3120980105,SF Express,SF000000000205,1"
} >"$W/incoming/acme/orders.csv"
expect_rc 0 "order declared" cg run
release 2025-07-01 S1 Q1 Q2 Q3 Q4
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
check "BK-1 recorded" grep -q '1 receipt recorded, 0 known from another file' "$T/out"
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
    grep -q '1 receipt recorded, 2 known from another file' "$T/out"
cg report fx settlement --format csv >"$T/held.csv"
check "USD 120.00 received, 5.00 paid out, 115.00 held" \
    [ "$(csv_cell "$T/held.csv" USD received) $(csv_cell "$T/held.csv" USD paid_out) $(csv_cell "$T/held.csv" USD held)" = "120.00 5.00 115.00" ]
# ---- a payout downloaded again with a line more: refused, the line is not dropped unseen
P='Payout ID,Payout Date,Currency,Order ID,Transaction ID,Gross Amount,Fee,Net Amount'
{
    echo "$P"
    echo "PO-7,2025-07-14,USD,Q1,TX-71,30.00,-0.90,29.10"
    echo "PO-7,2025-07-14,USD,Q2,TX-72,45.50,-1.37,44.13"
} >"$T/po-early.csv"
{
    echo "$P"
    echo "PO-6,2025-07-13,USD,S1,TX-61,1.00,0.00,1.00"
    echo "PO-7,2025-07-14,USD,Q1,TX-71,30.00,-0.90,29.10"
    echo "PO-7,2025-07-14,USD,Q2,TX-72,45.50,-1.37,44.13"
    echo "PO-7,2025-07-14,USD,Q3,TX-73,20.00,-0.60,19.40"
} >"$T/po-late.csv"
expect_rc 0 "payout PO-7 with two lines" cg settle import "$T/po-early.csv"
expect_rc 1 "PO-7 again with a third line: refused" cg settle import "$T/po-late.csv"
check "the entry, its line and both figures are named" grep -q \
    "po-late.csv:3: entry PO-7: field Gross Amount: recorded before as receipt [0-9]*: in USD, gross 75.50, fee 2.27; this file says in USD, gross 95.50, fee 2.87" "$T/err"
check "nothing of the file recorded: not PO-6 either" \
    [ "$(sql "SELECT count(*) FROM fx_receipt WHERE entry_key LIKE 'payout:%'")" -eq 1 ]
check "Q3 still AWAITING, Q1 and Q2 COLLECTED" \
    [ "$(state Q1) $(state Q2) $(state Q3)" = "COLLECTED COLLECTED AWAITING" ]

# ---- a collections CSV downloaded again with an amount corrected: refused the same way
printf '%s\n' "receipt_id,date,currency,amount,fee,order_no,reference,remitter" \
    "C-1,2025-07-15,USD,10.00,,S1,,BUYER ONE" >"$T/c1.csv"
printf '%s\n' "receipt_id,date,currency,amount,fee,order_no,reference,remitter" \
    "C-1,2025-07-15,USD,100.00,,S1,,BUYER ONE" >"$T/c2.csv"
expect_rc 0 "C-1 of USD 10.00" cg settle import --seller acme "$T/c1.csv"
expect_rc 1 "C-1 again as USD 100.00: refused" cg settle import --seller acme "$T/c2.csv"
check "the amounts are named" grep -q \
    "c2.csv:2: entry C-1: field amount: recorded before as receipt [0-9]*: in USD, gross 10.00, fee 0.00; this file says in USD, gross 100.00, fee 0.00" "$T/err"
expect_rc 0 "the same file again: known, nothing recorded" cg settle import --seller acme "$T/c1.csv"

# ---- a payout report dropped into a seller's incoming/ is a statement, read with the payout
# profile, not an order file for the spool
{
    echo "$P"
    echo "PO-5,2025-07-16,USD,Q3,TX-53,20.00,-0.60,19.40"
} >"$W/incoming/acme/payout-05.csv"
expect_rc 0 "run takes the payout report in incoming/acme/" cg run
check "PO-5 recorded for acme" \
    [ "$(sql "SELECT seller FROM fx_receipt WHERE entry_key LIKE 'payout:%:PO-5'")" = "acme" ]
check "the report is in done/acme/, not failed/" [ -f "$W/done/acme/payout-05.csv" ]
check "Q3 COLLECTED" [ "$(state Q3)" = "COLLECTED" ]

# ---- a payout and a collections CSV imported by hand without a seller, then again (overlapping)
# for the seller, and the other way round: the entry is the same, its money counts once
{
    echo "$P"
    echo "PO-8,2025-07-16,USD,Q4,TX-83,20.00,-0.60,19.40"
} >"$T/po-8.csv"
{
    echo "$P"
    echo "PO-8,2025-07-16,USD,Q4,TX-83,20.00,-0.60,19.40"
    echo "PO-9,2025-07-17,USD,S1,TX-91,2.00,0.00,2.00"
} >"$W/incoming/acme/po-8-9.csv"
expect_rc 0 "payout PO-8 imported without a seller" cg settle import "$T/po-8.csv"
expect_rc 0 "PO-8 and PO-9 through acme's incoming/" cg run
check "PO-8 recorded once" [ "$(sql "SELECT count(*) FROM fx_receipt WHERE entry_key LIKE 'payout:%:PO-8'")" -eq 1 ]
check "Q4 COLLECTED, not over-collected" [ "$(state Q4)" = "COLLECTED" ]
printf '%s\n' "receipt_id,date,currency,amount,fee,order_no,reference,remitter" \
    "C-2,2025-07-18,USD,3.00,,S1,,BUYER ONE" >"$T/c3.csv"
printf '%s\n' "receipt_id,date,currency,amount,fee,order_no,reference,remitter" \
    "C-2,2025-07-18,USD,3.00,,S1,,BUYER ONE" "C-3,2025-07-19,USD,4.00,,S1,,BUYER ONE" >"$T/c4.csv"
expect_rc 0 "C-2 for acme" cg settle import --seller acme "$T/c3.csv"
expect_rc 0 "C-2 and C-3 again without a seller" cg settle import "$T/c4.csv"
check "C-2 known, C-3 recorded" grep -q '1 receipt recorded, 1 known from another file' "$T/out"
cg report fx settlement --format csv >"$T/held.csv"
check "USD held: 120.00 - 5.00 + 29.10 + 44.13 + 10.00 + 19.40 + 19.40 + 2.00 + 3.00 + 4.00 = 246.03" \
    [ "$(csv_cell "$T/held.csv" USD held)" = "246.03" ]

# ---- a bank entry seen again with another amount booked: refused; without the charges a
# statement gives, the same amount booked is the same entry
echo "BK-1;CRDT;USD;65.00;2025-07-10;2025-07-10;S1;ORDER S1;BUYER ONE" |
    $SHELPER camt053 "$T/fixed.xml" "$ACCT" STMT-FIXED
expect_rc 1 "BK-1 again as USD 65.00: refused" cg settle import --seller acme "$T/fixed.xml"
check "the amounts are named" grep -q \
    "fixed.xml:[0-9]*: entry BK-1: field Amt: recorded before as receipt [0-9]*: in USD, gross 60.00, fee 0.00; this file says in USD, gross 65.00, fee 0.00" "$T/err"

# ---- a seller whose name holds the colon the entry's identity is built with: its entries are
# still known whoever imports them again, and told apart from another seller's
ACCT2=CN1200000000000000000099
echo "BK-9;CRDT;USD;1.00;2025-07-20;2025-07-20;S1;ORDER S1;BUYER ONE" |
    $SHELPER camt053 "$T/colon.xml" "$ACCT2" STMT-COLON
echo "BK-9;CRDT;USD;1.00;2025-07-20;2025-07-20;S1;ORDER S1;BUYER ONE" |
    $SHELPER camt053 "$T/colon-2.xml" "$ACCT2" STMT-COLON-2
expect_rc 0 "a statement imported for seller shop:eu" cg settle import --seller shop:eu "$T/colon.xml"
expect_rc 0 "the same entry without a seller" cg settle import "$T/colon-2.xml"
check "BK-9 known, not recorded again" grep -q ' 0 receipts recorded, 1 known from another file' "$T/out"
{
    echo "$P"
    echo "PO-C,2025-07-20,USD,S1,TX-C1,1.00,0.00,1.00"
} >"$T/po-c.csv"
{
    echo "$P"
    echo "PO-C,2025-07-20,USD,S1,TX-C1,1.00,0.00,1.00"
    echo "PO-D,2025-07-21,USD,S1,TX-D1,1.00,0.00,1.00"
} >"$T/po-cd.csv"
expect_rc 0 "payout PO-C for seller shop:eu" cg settle import --seller shop:eu "$T/po-c.csv"
expect_rc 0 "PO-C and PO-D without a seller" cg settle import "$T/po-cd.csv"
check "PO-C known, PO-D recorded" grep -q ' 1 receipt recorded, 1 known from another file' "$T/out"
{
    echo "$P"
    echo "::PO-E,2025-07-22,USD,S1,TX-E1,1.00,0.00,1.00"
} >"$T/po-e.csv"
{
    echo "$P"
    echo "PO-E,2025-07-22,USD,S1,TX-E1,1.00,0.00,1.00"
} >"$T/po-e2.csv"
expect_rc 0 "payout ::PO-E for seller x" cg settle import --seller x "$T/po-e.csv"
expect_rc 0 "payout PO-E of seller x:: is another entry" cg settle import --seller x:: "$T/po-e2.csv"
check "PO-E recorded" grep -q ' 1 receipt recorded, 0 known from another file' "$T/out"

# ---- a reference holding colons is the payment number of the order's payment record (the
# CEB403 payNo), whole
printf '%s\n' "receipt_id,date,currency,amount,fee,order_no,reference,remitter" \
    "C:2025:08,2025-08-01,USD,1.00,,S1,,BUYER ONE" >"$T/c-colon.csv"
expect_rc 0 "C:2025:08 for acme" cg settle import --seller acme "$T/c-colon.csv"
check "S1's payment record names C:2025:08" \
    [ "$(sql "SELECT p.pay_no FROM fx_payment p JOIN orders o ON o.id = p.order_id WHERE o.order_no = 'S1'")" = "C:2025:08" ]
# ---- a database from before the keys held a seller's ':' and '%' as %3A and %25: the entries
# of sellers old:shop and 50%off are recorded, their keys put back in the old form and the
# settle schema back at version 5. Opened again, the database is migrated and each entry is
# known when imported again, so its money counts once.
echo "BK-K;CRDT;USD;1.00;2025-07-23;2025-07-23;S1;ORDER S1;BUYER ONE" |
    $SHELPER camt053 "$T/k.xml" "$ACCT2" STMT-K
echo "BK-K;CRDT;USD;1.00;2025-07-23;2025-07-23;S1;ORDER S1;BUYER ONE" |
    $SHELPER camt053 "$T/k-2.xml" "$ACCT2" STMT-K-2
printf '%s\n' "$P" "PO-K,2025-07-23,USD,S1,TX-K1,1.00,0.00,1.00" >"$T/po-k.csv"
printf '%s\n' "$P,Status" "PO-K,2025-07-23,USD,S1,TX-K1,1.00,0.00,1.00,PAID" >"$T/po-k2.csv"
printf '%s\n' "$P" "PO-L,2025-07-23,USD,S1,TX-L1,1.00,0.00,1.00" >"$T/po-l.csv"
printf '%s\n' "$P,Status" "PO-L,2025-07-23,USD,S1,TX-L1,1.00,0.00,1.00,PAID" >"$T/po-l2.csv"
printf '%s\n' "$P" "PO-M,2025-07-23,USD,S1,TX-M1,1.00,0.00,1.00" >"$T/po-m.csv"
printf '%s\n' "$P,Status" "PO-M,2025-07-23,USD,S1,TX-M1,1.00,0.00,1.00,PAID" >"$T/po-m2.csv"
expect_rc 0 "BK-K for seller old:shop" cg settle import --seller old:shop "$T/k.xml"
expect_rc 0 "PO-K for seller old:shop" cg settle import --seller old:shop "$T/po-k.csv"
expect_rc 0 "PO-L for seller 50%off" cg settle import --seller 50%off "$T/po-l.csv"
expect_rc 0 "PO-M for seller dup:shop" cg settle import --seller dup:shop "$T/po-m.csv"
KEYS="SELECT group_concat(entry_key, ' ') FROM (SELECT entry_key FROM fx_receipt WHERE seller IN ('old:shop', '50%off', 'dup:shop') ORDER BY id)"
check "the keys as written now" [ "$(sql "$KEYS")" = \
    "camt:old%3Ashop:$ACCT2:BK-K payout:old%3Ashop::PO-K payout:50%25off::PO-L payout:dup%3Ashop::PO-M" ]
sql "DROP TRIGGER fx_receipt_append_only_u;
UPDATE fx_receipt SET entry_key = replace(replace(replace(entry_key, ':old%3Ashop:', ':old:shop:'),
    ':50%25off:', ':50%off:'), ':dup%3Ashop:', ':dup:shop:');
CREATE TRIGGER fx_receipt_append_only_u BEFORE UPDATE ON fx_receipt
  BEGIN SELECT RAISE(ABORT, 'receipts are immutable'); END;" || fail "make the keys old"
# PO-M recorded again in the form of today while the database held it in the old form
expect_rc 0 "PO-M again for seller dup:shop, before the upgrade" \
    cg settle import --seller dup:shop "$T/po-m2.csv"
# a database of version 5 has no charge column yet (step 10 adds it), nor the operator's
# charge records (step 11), nor the buyer's charge of an order (step 12) and what the shop
# refunded of it (step 13), nor the balance of each currency (step 14)
sql "$SETTLE_BEFORE_14
DROP TABLE fx_receipt_charge;
ALTER TABLE fx_declared DROP COLUMN pay_refunded;
ALTER TABLE fx_declared DROP COLUMN pay_charge;
ALTER TABLE fx_receipt DROP COLUMN charge;
UPDATE store_modules SET version = 5 WHERE module = 'settle'" || fail "settle schema at 5"
check "the keys as written before" [ "$(sql "$KEYS")" = \
    "camt:old:shop:$ACCT2:BK-K payout:old:shop::PO-K payout:50%off::PO-L payout:dup:shop::PO-M payout:dup%3Ashop::PO-M" ]
N=$(sql "SELECT count(*) FROM fx_receipt")
expect_rc 0 "BK-K again without a seller, after the upgrade" cg settle import "$T/k-2.xml"
check "BK-K known" grep -q ' 0 receipts recorded, 1 known from another file' "$T/out"
check "the keys rewritten to the form of today; PO-M, recorded twice, keeps both receipts" [ "$(sql "$KEYS")" = \
    "camt:old%3Ashop:$ACCT2:BK-K payout:old%3Ashop::PO-K payout:50%25off::PO-L payout:dup:shop::PO-M payout:dup%3Ashop::PO-M" ]
expect_rc 0 "PO-K again for seller old:shop" cg settle import --seller old:shop "$T/po-k2.csv"
check "PO-K known" grep -q ' 0 receipts recorded, 1 known from another file' "$T/out"
expect_rc 0 "PO-L again for seller 50%off" cg settle import --seller 50%off "$T/po-l2.csv"
check "PO-L known" grep -q ' 0 receipts recorded, 1 known from another file' "$T/out"
check "no receipt recorded twice" [ "$(sql "SELECT count(*) FROM fx_receipt")" -eq "$N" ]
finish
