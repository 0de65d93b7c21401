#!/bin/sh
# refund-customs.sh - what customs says drives the refund units, through `cebgate run`: a CEB792
# whose decState is one of [refund] cleared_dec_states clears its declaration's units (another
# decState does not, nor any while the list is empty); an export return (CEB213) accepted by a
# CEB214 brings the returned lines back through the rule of `refund return`: CNY 585.00 clawed
# back on a unit refunded CNY 5,850.00 (100 of 1,000 pcs), and a unit not yet filed files 900
# pcs, CNY 58,500.00 excl. VAT, refund 5,265.00 (both detail files), once however often the
# receipts are read. Also: a return after filing and before payment, a whole return before
# filing, the supporting documents due 15 days after filing and kept 10 years,
# [refund] run_tick, and proceeds settle/ had collected taken back there: the refunded unit owes
# its CNY 5,850.00 back, the unit not filed waits for the proceeds again.
. "${CG_SRCDIR:-.}/tests/e2e/refund-lib.sh"
FLOW="python3 $CG_SRCDIR/tests/e2e/flow-helper.py"

{
    echo "$RATES_H"
    echo "6109100021,2019-04-01,,9,13,"
} >"$T/rates.csv"
expect_rc 0 "refund rates loaded" cg refund rates "$T/rates.csv"

# three orders of 1,000 mugs, declared and released on 2025-03-20
{
    echo "order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight"
    echo "R1,USD,US,USNY,0.00,MUG-1,Mug,1000,10.00,3120980105,SF Express,SF0000000000011,400"
    echo "R2,USD,US,USNY,0.00,MUG-1,Mug,1000,10.00,3120980105,SF Express,SF0000000000012,400"
    echo "R3,USD,US,USNY,0.00,MUG-1,Mug,1000,10.00,3120980105,SF Express,SF0000000000013,400"
    echo "R4,USD,US,USNY,0.00,MUG-1,Mug,1000,10.00,3120980105,SF Express,SF0000000000014,400"
    echo "R5,USD,US,USNY,0.00,MUG-1,Mug,1000,10.00,3120980105,SF Express,SF0000000000015,400"
    echo "R6,USD,US,USNY,0.00,MUG-1,Mug,1000,10.00,3120980105,SF Express,SF0000000000016,400"
} >"$W/incoming/acme/orders.csv"
expect_rc 0 "orders declared" cg run
release 2025-03-20 R1 R2 R3 R4 R5 R6
expect_rc 0 "inventories released" cg run
invt() { sql "SELECT d.invt_no FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = '$1' AND d.msg_type = 603"; }
I1=$(invt R1)
I2=$(invt R2)
I3=$(invt R3)
check "three inventory numbers" [ -n "$I1" ] && [ -n "$I2" ] && [ -n "$I3" ]

# ---- clearance from the CEB792 decState
DEC_STATE=10 summary_result "$W/inbox/ceb792-a.xml" 224420250000000101 "$I1" "$I2"
DEC_STATE=2 summary_result "$W/inbox/ceb792-b.xml" 224420250000000102 "$I3"
expect_rc 0 "the summary results are read" cg run
{
    echo "$ENTRIES_H"
    echo ",1,9610,B,2025-03-20,6109100021,Mug,,pcs,1000,71000.00,,$I1,R1,,Y"
    echo ",2,9610,B,2025-03-20,6109100021,Mug,,pcs,1000,71000.00,,$I2,R2,,Y"
    echo ",1,9610,B,2025-03-20,6109100021,Cup,,pcs,1000,71000.00,,$I3,R3,,Y"
} >"$T/entries.csv"
expect_rc 0 "units of both declarations" cg refund entries "$T/entries.csv" --as-of 2025-04-16
U1=224420250000000101/1
U2=224420250000000101/2
U3=224420250000000102/1
check "the seller of each unit's order is taken from its inventory in the spool" \
    [ "$(unit $U1 order) $(unit $U2 order) $(unit $U3 order)" = "acme/R1 acme/R2 acme/R3" ]
expect_rc 0 "sync with no decState configured" cg refund sync
check "clears nothing: decState is not interpreted unless configured" \
    [ "$(unit $U1 state) $(unit $U3 state)" = "WAIT_CLEARANCE WAIT_CLEARANCE" ]
check "  and says so" grep -q "; 0 units cleared by customs;" "$T/out"
printf 'cleared_dec_states = 10, P\n' >>"$W/cebgate.conf"
expect_rc 0 "cebgate run with cleared_dec_states = 10" cg run
check "decState 10 clears both units on the result's opDate (2025-04-16)" \
    [ "$(unit $U1 state) $(unit $U1 cleared_on) $(unit $U2 state) $(unit $U2 cleared_on)" = "WAIT_DOCS 2025-04-16 WAIT_DOCS 2025-04-16" ]
check "  the run says so" grep -q "2 units cleared by customs" "$T/out"
check "decState 2 does not" [ "$(unit $U3 state) $(unit $U3 cleared_on)" = "WAIT_CLEARANCE " ]
cg refund explain $U1 >"$T/explain.txt"
check "the event names the receipt" \
    grep -q "WAIT_CLEARANCE -> WAIT_DOCS  RECEIPT CEB792: declaration cleared" "$T/explain.txt"

# ---- unit 1 filed and refunded 5,850.00; the supporting documents
{
    echo "$INVOICES_H"
    echo "3100250401,00000001,1,2025-04-01,91310000MA1FL0XX1X,Mug,,pcs,1000,65000.00,13,8450.00,"
} >"$T/inv1.csv"
expect_rc 0 "invoice for unit 1" cg refund invoices "$T/inv1.csv" --as-of 2025-04-20
check "unit 1 ready: 65,000.00 x 9 % = 5,850.00" [ "$(unit $U1 state) $(unit $U1 refund)" = "READY 5850.00" ]
expect_rc 0 "batch B1" cg refund prepare --period 202505 --as-of 2025-05-05
expect_rc 0 "B1 pre-checked" cg refund mark-prechecked B1 --date 2025-05-08
expect_rc 1 "documents cannot be archived before filing" cg refund archived B1 --note "binder 1"
check "  the reason names the unit and the rule" grep -q "unit $U1 is PRECHECKED: supporting documents are archived after filing" "$T/err"
expect_rc 0 "B1 filed on 2025-05-10" cg refund mark-filed B1 --date 2025-05-10
cg report refund archive --as-of 2025-05-20 --format csv >"$T/arch.csv"
check "documents due 15 days after filing, kept 10 years" \
    [ "$(csv_cell "$T/arch.csv" $U1 archive_due) $(csv_cell "$T/arch.csv" $U1 keep_until) $(csv_cell "$T/arch.csv" $U1 status)" = "2025-05-25 2035-05-10 due" ]
expect_rc 0 "tick on the due day" cg refund tick --as-of 2025-05-25
check "  nothing late yet" grep -q "; 0 with supporting documents late" "$T/out"
expect_rc 0 "tick the day after" cg refund tick --as-of 2025-05-26
check "  one unit with its documents late" grep -q "; 1 with supporting documents late" "$T/out"
expect_rc 0 "tick again" cg refund tick --as-of 2025-05-27
check "  reported once" grep -q "; 0 with supporting documents late" "$T/out"
cg report refund archive --as-of 2025-05-27 --format csv >"$T/arch.csv"
check "  overdue in the report" [ "$(csv_cell "$T/arch.csv" $U1 status)" = overdue ]
expect_rc 2 "archived needs where they are" cg refund archived B1
expect_rc 0 "documents archived" cg refund archived B1 --note "binder 2025-05" --date 2025-05-28
check "  recorded" [ "$(sed -n 1p "$T/out")" = "1 unit: supporting documents archived" ]
cg report refund archive --as-of 2025-05-28 --format csv >"$T/arch.csv"
check "  archived in the report" \
    [ "$(csv_cell "$T/arch.csv" $U1 archived_on) $(csv_cell "$T/arch.csv" $U1 status)" = "2025-05-28 archived" ]
expect_rc 0 "B1 approved" cg refund mark-approved B1 --date 2025-06-10
expect_rc 0 "B1 paid" cg refund mark-paid B1 --date 2025-06-20
check "unit 1 refunded 5,850.00" [ "$(unit $U1 state) $(unit $U1 refunded)" = "REFUNDED 5850.00" ]

# ---- unit 2 ready, in no batch
{
    echo "$INVOICES_H"
    echo "3100250402,00000002,1,2025-04-02,91310000MA1FL0XX1X,Mug,,pcs,1000,65000.00,13,8450.00,"
} >"$T/inv2.csv"
expect_rc 0 "invoice for unit 2" cg refund invoices "$T/inv2.csv" --as-of 2025-06-21
check "unit 2 ready, 5,850.00" [ "$(unit $U2 state) $(unit $U2 refund)" = "READY 5850.00" ]

# ---- 100 mugs of R1 and of R2 come back (CEB213), customs answers (CEB214)
B="--reason unsold --traf-name CA1234 --voyage CA1234"
expect_rc 0 "return of 100 of R1" cg return R1 --lines 1:100 $B
expect_rc 0 "return of 100 of R2" cg return R2 --lines 1:100 $B
ret() { echo "$W/outbox/CEB213Message_$(sql "SELECT d.guid FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = '$1' AND d.msg_type = 213").xml"; }
check "both returns are in outbox/" [ -f "$(ret R1)" ] && [ -f "$(ret R2)" ]
$FLOW receipt "$W/inbox" "$(ret R1)" 2
$FLOW receipt "$W/inbox" "$(ret R2)" 2
expect_rc 0 "CEB214 2 (declaring) read" cg run
check "a return not yet accepted changes nothing" \
    [ "$(unit $U1 state) $(unit $U1 returned) $(unit $U2 returned)" = "REFUNDED 0 0" ]
$FLOW receipt "$W/inbox" "$(ret R1)" 120 800
$FLOW receipt "$W/inbox" "$(ret R2)" 120 800
expect_rc 0 "CEB214 120 and 800 read" cg run
check "  the run applies two returned lines" grep -q "2 returned lines applied, 0 waiting for their unit, 0 refused" "$T/out"
cg report refund clawbacks --format csv >"$T/claw.csv"
check "refunded unit: clawback 585.00 (5,850.00 x 100 / 1,000) due" \
    [ "$(unit $U1 state) $(csv_cell "$T/claw.csv" $U1 returned) $(csv_cell "$T/claw.csv" $U1 clawback) $(csv_cell "$T/claw.csv" $U1 due)" = "CLAWBACK_DUE 100 585.00 585.00" ]
check "unit not yet filed: 900 left, 65,000.00 x 900 / 1,000 = 58,500.00 filed, refund 5,265.00" \
    [ "$(unit $U2 state) $(unit $U2 returned) $(unit $U2 filed_amount) $(unit $U2 refund) $(unit $U2 clawback)" = "READY 100 58500.00 5265.00 0.00" ]
cg refund explain $U1 >"$T/explain.txt"
check "the event names the receipt, the order and the line" \
    grep -q "REFUNDED -> CLAWBACK_DUE  RECEIPT CEB214 120: returned 100 on .*; clawback CNY 585.00: order R1, inventory $I1 line 1" "$T/explain.txt"
$FLOW receipt "$W/inbox" "$(ret R1)" 800
expect_rc 0 "the receipts again" cg run
expect_rc 0 "and a sync" cg refund sync
check "  apply nothing twice" grep -q "0 returned lines applied" "$T/out"
check "  amounts unchanged" \
    [ "$(unit $U1 clawback) $(unit $U1 returned) $(unit $U2 returned) $(unit $U2 refund)" = "585.00 100 100 5265.00" ]
check "  each line recorded once" [ "$(sql "SELECT count(*) FROM rf_return")" = 2 ]

# ---- the same rule by hand: a 9710 item, 100 of 1,000 back before filing
{
    echo "$ENTRIES_H"
    echo "310120250000000201,1,9710,,2025-03-20,6109100021,Mug,,pcs,1000,71000.00,,,,2025-03-22,Y"
    echo "310120250000000202,1,9710,,2025-03-20,6109100021,Mug,,pcs,10,710.00,,,,2025-03-22,Y"
} >"$T/direct.csv"
{
    echo "$INVOICES_H"
    echo "3100250403,00000003,1,2025-04-03,91310000MA1FL0XX1X,Mug,,pcs,1010,65650.00,13,8534.50,"
} >"$T/inv3.csv"
expect_rc 0 "9710 items" cg refund entries "$T/direct.csv" --as-of 2025-06-21
expect_rc 0 "their invoice" cg refund invoices "$T/inv3.csv" --as-of 2025-06-21
D1=310120250000000201/1
D2=310120250000000202/1
expect_rc 0 "refund return by hand" cg refund return $D1 100 --date 2025-06-22
check "gives what the CEB214 gave: 58,500.00 filed, refund 5,265.00" \
    [ "$(unit $D1 state) $(unit $D1 filed_amount) $(unit $D1 refund)" = "READY 58500.00 5265.00" ]
expect_rc 0 "the whole of the second item back before filing" cg refund return $D2 10 --date 2025-06-22
check "  RETURNED: nothing to file" [ "$(unit $D2 state) $(unit $D2 refund)" = "RETURNED 0.00" ]

# ---- batch B2: the returned goods are not filed
expect_rc 0 "batch B2" cg refund prepare --period 202507 --as-of 2025-07-02
check "two units in it" grep -q "^batch B2: 2 units, invoices CNY 117000.00, refund CNY 10530.00" "$T/out"
EXP=$(sed -n 2p "$T/out")
PUR=$(sed -n 3p "$T/out")
check "export detail: 900 pcs, 58,500.00, refund 5,265.00, non-refundable 2,340.00 (4 %)" \
    [ "$(csv_cell "$EXP" 1 quantity) $(csv_cell "$EXP" 1 amount_ex_vat) $(csv_cell "$EXP" 1 refund_amount) $(csv_cell "$EXP" 1 non_refundable)" = "900 58500.00 5265.00 2340.00" ]
check "purchase detail: 900 pcs, 58,500.00, VAT 7,605.00 (8,450.00 x 900 / 1,000)" \
    [ "$(csv_cell "$PUR" 1 quantity) $(csv_cell "$PUR" 1 amount_ex_vat) $(csv_cell "$PUR" 1 vat_amount)" = "900 58500.00 7605.00" ]
check "the 9710 item's purchase row: 900 of its 1,000 pcs of the 1,010-pcs line" \
    [ "$(csv_cell "$PUR" 2 quantity) $(csv_cell "$PUR" 2 amount_ex_vat)" = "900 58500.00" ]
check "the batch totals equal the unit amounts" \
    [ "$(python3 -c 'import csv,sys
r = list(csv.DictReader(open(sys.argv[1]))); p = list(csv.DictReader(open(sys.argv[2])))
print(sum(int(x["refund_amount"].replace(".", "")) for x in r), sum(int(x["amount_ex_vat"].replace(".", "")) for x in r), sum(int(x["amount_ex_vat"].replace(".", "")) for x in p))' "$EXP" "$PUR")" = "1053000 11700000 11700000" ]

# ---- a return after filing, before the refund is paid: the clawback falls due at payment
expect_rc 0 "B2 pre-checked" cg refund mark-prechecked B2 --date 2025-07-05
expect_rc 0 "B2 filed" cg refund mark-filed B2 --date 2025-07-10
expect_rc 0 "B2 approved" cg refund mark-approved B2 --date 2025-08-01
expect_rc 0 "90 of the 900 filed come back" cg refund return $D1 90 --date 2025-08-05
check "  nothing to claw back before the money came" \
    [ "$(unit $D1 state) $(unit $D1 returned) $(unit $D1 clawback)" = "APPROVED 190 0.00" ]
expect_rc 0 "B2 paid" cg refund mark-paid B2 --date 2025-08-20
check "  at payment: clawback 5,265.00 x 90 / 900 = 526.50" \
    [ "$(unit $D1 state) $(unit $D1 refunded) $(unit $D1 clawback)" = "CLAWBACK_DUE 5265.00 526.50" ]
check "the other unit of the batch is refunded in full" \
    [ "$(unit $U2 state) $(unit $U2 refunded) $(unit $U2 clawback)" = "REFUNDED 5265.00 0.00" ]

# ---- cebgate run ends with refund tick when run_tick says so (today is after 2026-04-30)
check "with run_tick = no the uncleared unit is left alone" [ "$(unit $U3 state)" = WAIT_CLEARANCE ]
sed -i 's/^run_tick = no$/run_tick = yes/' "$W/cebgate.conf"
expect_rc 0 "cebgate run with run_tick = yes" cg run
check "  the soft deadline 2026-04-30 has passed for the unit never filed" \
    [ "$(unit $U3 state) $(unit $U2 state) $(unit $D2 state)" = "LAPSED_SOFT REFUNDED RETURNED" ]
check "  the run says so, with the VAT at risk (71,000.00 / 1.13 x 0.13 = 8,168.14)" \
    grep -q "^refund: 1 past the soft deadline, 0 past the hard deadline; refund at risk CNY 0.00, VAT if sold at home CNY 8168.14" "$T/out"

# ---- proceeds counted from settle/ and taken back there
{
    echo "$ENTRIES_H"
    echo "310120250000000301,1,9710,,2025-03-20,6109100021,Bowl,,pcs,1000,71000.00,,,R4,2025-03-22,"
    echo "310120250000000302,1,9710,,2025-03-20,6109100021,Plate,,pcs,1000,71000.00,,,R5,2025-03-22,"
    echo "310120250000000303,1,9710,,2025-03-20,6109100021,Jug,,pcs,1000,71000.00,,,R6,2025-03-22,"
} >"$T/fx-entries.csv"
{
    echo "$INVOICES_H"
    echo "3100250404,00000004,1,2025-04-04,91310000MA1FL0XX1X,Bowl,,pcs,1000,65000.00,13,8450.00,"
    echo "3100250404,00000004,2,2025-04-04,91310000MA1FL0XX1X,Plate,,pcs,1000,65000.00,13,8450.00,"
    echo "3100250404,00000004,3,2025-04-04,91310000MA1FL0XX1X,Jug,,pcs,1000,65000.00,13,8450.00,"
} >"$T/fx-invoices.csv"
F4=310120250000000301/1
F5=310120250000000302/1
F6=310120250000000303/1
expect_rc 0 "items of orders R4, R5 and R6" cg refund entries "$T/fx-entries.csv" --as-of 2025-06-22
expect_rc 0 "their invoices" cg refund invoices "$T/fx-invoices.csv" --as-of 2025-06-22
check "both wait for the proceeds" \
    [ "$(unit $F4 state) $(unit $F4 missing) $(unit $F5 state) $(unit $F5 missing)" = "WAIT_DOCS collection WAIT_DOCS collection" ]
{
    echo "R4-IN-1;CRDT;USD;10000.00;2025-06-25;2025-06-25;R4;R4 GOODS;GLOBAL BUYER INC"
    echo "R6-IN-1;CRDT;USD;10000.00;2025-06-25;2025-06-25;R6;R6 GOODS;GLOBAL BUYER INC"
} | $SHELPER camt053 "$T/r4-in.xml" CN1200000000000000000001 STMT-2025-06-25
expect_rc 0 "USD 10,000.00 each for R4 and R6" cg settle import "$T/r4-in.xml" --seller acme
expect_rc 0 "refund sync" cg refund sync --as-of 2025-06-26
check "  R4 and R6 collected according to settle" grep -q "^2 units collected according to settle, 0 reversed" "$T/out"
expect_rc 0 "R4 and R6 batch" cg refund prepare --period 202507 --as-of 2025-07-01
check "  B3 holds R4 and R6" grep -q "^batch B3: 2 units, invoices CNY 130000.00, refund CNY 11700.00" "$T/out"
expect_rc 0 "B3 pre-checked" cg refund mark-prechecked B3 --date 2025-07-05
expect_rc 0 "B3 filed" cg refund mark-filed B3 --date 2025-07-10
expect_rc 0 "B3 approved" cg refund mark-approved B3 --date 2025-08-01
R6IN=$(sql "SELECT receipt_id FROM fx_allocation a JOIN orders o ON o.id = a.order_id WHERE o.order_no = 'R6' LIMIT 1")
expect_rc 0 "R6's receipt taken back before the refund is paid" cg settle unmatch "$R6IN" R6 --note "recalled by the bank"
expect_rc 0 "refund sync" cg refund sync --as-of 2025-08-02
check "  one reversal" grep -q "^0 units collected according to settle, 1 reversed" "$T/out"
check "  R6 stays approved, nothing due yet" [ "$(unit $F6 state) $(unit $F6 clawback)" = "APPROVED 0.00" ]
expect_rc 0 "B3 paid" cg refund mark-paid B3 --date 2025-08-20
check "  R6: all of its 5,850.00 due back at payment" \
    [ "$(unit $F6 state) $(unit $F6 refunded) $(unit $F6 clawback)" = "CLAWBACK_DUE 5850.00 5850.00" ]
echo "R5-IN-1;CRDT;USD;10000.00;2025-08-25;2025-08-25;R5;R5 GOODS;GLOBAL BUYER INC" |
    $SHELPER camt053 "$T/r5-in.xml" CN1200000000000000000001 STMT-2025-08-25
expect_rc 0 "USD 10,000.00 for R5" cg settle import "$T/r5-in.xml" --seller acme
expect_rc 0 "refund sync" cg refund sync --as-of 2025-08-26
check "  R4 refunded 5,850.00, R5 ready" \
    [ "$(unit $F4 state) $(unit $F4 refunded) $(unit $F5 state)" = "REFUNDED 5850.00 READY" ]
R4IN=$(sql "SELECT receipt_id FROM fx_allocation a JOIN orders o ON o.id = a.order_id WHERE o.order_no = 'R4' LIMIT 1")
R5IN=$(sql "SELECT receipt_id FROM fx_allocation a JOIN orders o ON o.id = a.order_id WHERE o.order_no = 'R5' LIMIT 1")
expect_rc 0 "R4's receipt taken back" cg settle unmatch "$R4IN" R4 --note "recalled by the bank"
expect_rc 0 "R5's receipt taken back" cg settle unmatch "$R5IN" R5 --note "recalled by the bank"
expect_rc 0 "refund sync after the reversal" cg refund sync --as-of 2025-09-01
check "  two reversals" grep -q "^0 units collected according to settle, 2 reversed" "$T/out"
check "  refunded unit: all of its 5,850.00 refund due back" \
    [ "$(unit $F4 state) $(unit $F4 clawback)" = "CLAWBACK_DUE 5850.00" ]
check "  unit not filed: waits for the proceeds again" \
    [ "$(unit $F5 state) $(unit $F5 missing)" = "WAIT_DOCS collection" ]
expect_rc 0 "refund sync again" cg refund sync --as-of 2025-09-02
check "  nothing more" grep -q "^0 units collected according to settle, 0 reversed" "$T/out"
check "  clawback unchanged" [ "$(unit $F4 clawback)" = 5850.00 ]
finish
