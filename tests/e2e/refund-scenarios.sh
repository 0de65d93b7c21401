#!/bin/sh
# refund-scenarios.sh - the refund worked scenarios of SETTLE-REFUND.md section 5 through the CLI
# with the amounts they give: T2 a return after the refund (CNY 5,850.00 refunded, 585.00 clawed
# back, the invoice not released); T4 the soft deadline passing with CNY 13,000.00 refund and
# 16,336.28 output VAT at risk, a late filing with evidence, and a second unit lapsing for good
# after 36 months; T3 a summary result (CEB792, fed through the spool's receipt path) linking
# the inventories of a resubmitted declaration to its declaration number, whose units wait for
# clearance. The proceeds of T2 come from settle/ (a camt.053 for the order the spool declared).
# Also: rate changes on the export date, an invoice line split across two units,
# double use refused, mismatch reasons, and refused files with file, line, field and reason.
. "${CG_SRCDIR:-.}/tests/e2e/refund-lib.sh"

{
    echo "$RATES_H"
    echo "6912000000,2025-01-01,,9,13,"
    echo "6109100021,2019-04-01,,13,13,"
    echo "8541401000,2019-04-01,2024-11-30,13,13,"
    echo "8541401000,2024-12-01,,9,13,"
} >"$T/rates.csv"
expect_rc 0 "refund rates loaded" cg refund rates "$T/rates.csv"

# ---- T2: 9710 declaration E1, 1,000 mugs, invoice CNY 65,000.00 excl. VAT, refund rate 9 %
{
    echo "$ENTRIES_H"
    echo "310120250000000001,1,9710,,2025-05-10,6912000000,Mug,350ml,pcs,1000,71000.00,,,E2,2025-05-12,"
} >"$T/t2-entries.csv"
{
    echo "$INVOICES_H"
    echo "3100251130,00012345,1,2025-05-20,91310000MA1FL0XX1X,Mug,350ml,pcs,1000,65000.00,13,8450.00,"
} >"$T/t2-invoices.csv"
E1=310120250000000001/1
expect_rc 0 "T2 declaration item imported" cg refund entries "$T/t2-entries.csv" --as-of 2025-05-12
expect_rc 0 "T2 invoice imported and matched" cg refund invoices "$T/t2-invoices.csv" --as-of 2025-05-21
check "T2 invoice matched, waiting for the proceeds only" \
    [ "$(unit $E1 state) $(unit $E1 invoice) $(unit $E1 refund) $(unit $E1 missing)" = "WAIT_DOCS 65000.00 5850.00 collection" ]
expect_rc 2 "collected needs evidence" cg refund collected $E1
# the order behind E1 is declared and released by the spool, then collected in settle/
{
    echo "order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight"
    echo "E2,USD,US,USNY,0.00,MUG-1,Mug,1000,10.00,3120980105,SF Express,SF0000000000002,400"
} >"$W/incoming/acme/orders.csv"
expect_rc 0 "order E2 declared" cg run
release 2025-05-10 E2
expect_rc 0 "order E2 released" cg run
expect_rc 0 "nothing collected yet" cg refund sync --as-of 2025-05-27
check "so the unit still waits" [ "$(unit $E1 state) $(grep -c . "$T/out")" = "WAIT_DOCS 1" ]
echo "E2-IN-1;CRDT;USD;10000.00;2025-05-28;2025-05-28;E2;E2 GOODS;GLOBAL BUYER INC" |
    $SHELPER camt053 "$T/e2-in.xml" CN1200000000000000000001 STMT-2025-05-28
expect_rc 0 "USD 10,000.00 received" cg settle import "$T/e2-in.xml" --seller acme
expect_rc 0 "T2 collection taken from settle" cg refund sync --as-of 2025-06-01
check "one unit collected" grep -q "^1 unit collected according to settle" "$T/out"
check "T2 unit ready" [ "$(unit $E1 state)" = READY ]
expect_rc 0 "T2 batch for period 202506" cg refund prepare --period 202506 --as-of 2025-06-05
EXP=$(sed -n 2p "$T/out")
check "T2 export detail: refund 5850.00, non-refundable 2600.00 (4 %)" \
    [ "$(csv_cell "$EXP" 1 refund_amount) $(csv_cell "$EXP" 1 non_refundable)" = "5850.00 2600.00" ]
expect_rc 1 "filing a unit that was not pre-checked is refused" cg refund mark-filed B1 --date 2025-06-10
expect_rc 0 "T2 pre-checked" cg refund mark-prechecked B1 --date 2025-06-08
expect_rc 0 "T2 declared in 2025-06" cg refund mark-filed B1 --date 2025-06-10
expect_rc 0 "T2 approved" cg refund mark-approved B1 --date 2025-07-01
expect_rc 0 "T2 refunded on 2025-07-20" cg refund mark-paid B1 --date 2025-07-20
check "T2 refunded 5850.00 in period 202506" \
    [ "$(unit $E1 state) $(unit $E1 refunded) $(unit $E1 period)" = "REFUNDED 5850.00 202506" ]
expect_rc 0 "T2 100 pcs return on 2025-09-01" cg refund return $E1 100 --date 2025-09-01 --as-of 2025-09-01
cg report refund clawbacks --format csv >"$T/claw.csv"
check "T2 clawback due 585.00 (5,850.00 x 100/1,000)" \
    [ "$(unit $E1 state) $(csv_cell "$T/claw.csv" $E1 clawback) $(csv_cell "$T/claw.csv" $E1 returned)" = "CLAWBACK_DUE 585.00 100" ]
cg report refund invoices --format csv >"$T/inv.csv"
check "T2 the returned part's invoice stays allocated (1000 of 1000 used)" \
    [ "$(csv_cell "$T/inv.csv" 3100251130/00012345/1 used) $(csv_cell "$T/inv.csv" 3100251130/00012345/1 status)" = "1000 used" ]
expect_rc 1 "a clawback above what is due is refused" cg refund clawback $E1 --amount 585.01
expect_rc 1 "returning more than was declared is refused" cg refund return $E1 901
# A day that is not one of the calendar is a usage error (exit 2) for every verb taking a DAY,
# and nothing changes.
for a in "clawback $E1 --date 2025-09-31" "reclaimed $E1 --date 2025-09-31" \
    "return $E1 1 --date 2025-09-31" "archived $E1 --note box --date 2025-09-31" \
    "cleared 224420250000000031 2025-09-31" "mark-final $E1 --note n --date 2025-09-31" \
    "tick --as-of 2025-09-31"; do
    # shellcheck disable=SC2086 # the words of $a are the arguments
    expect_rc 2 "refund $a: not a day" cg refund $a
    check "refund $a: the day is named" grep -q "'2025-09-31' is not a day" "$T/err"
done
check "T2 still waits for its clawback" [ "$(unit $E1 state)" = CLAWBACK_DUE ]
expect_rc 0 "T2 clawback repaid" cg refund clawback $E1 --date 2025-10-01
check "T2 clawback paid" [ "$(unit $E1 state)" = CLAWBACK_PAID ]

# ---- T4: E2 exported 2024-11-20, CNY 142,000.00 declared, invoice expected CNY 100,000.00
{
    echo "$ENTRIES_H"
    echo "310120240000000002,1,9710,,2024-11-20,6109100021,T-shirt,,pcs,5000,142000.00,100000.00,,E4,2024-11-22,Y"
    echo "310120240000000003,1,9710,,2024-11-20,6109100021,Tote,,pcs,10,1130.00,500.00,,,2024-11-22,Y"
} >"$T/t4-entries.csv"
E2=310120240000000002/1
E3=310120240000000003/1
expect_rc 0 "T4 declaration items imported" cg refund entries "$T/t4-entries.csv" --as-of 2024-11-25
check "T4 deadlines: soft 2025-04-30, hard 2027-11-20" \
    [ "$(sqlite3 "$W/cebgate.db" "SELECT soft_deadline || ' ' || hard_deadline FROM rf_unit WHERE entry_id = '310120240000000002'")" = "2025-04-30 2027-11-20" ]
cg report refund calendar --as-of 2025-04-01 --format csv >"$T/cal.csv"
check "T4 calendar on 2025-04-01: E2 due 2025-04-30 with 13000.00 at risk" \
    [ "$(csv_cell "$T/cal.csv" 2025-04-30 unit) $(csv_cell "$T/cal.csv" 2025-04-30 refund_at_risk) $(csv_cell "$T/cal.csv" 2025-04-30 missing)" = "$E2 13000.00 invoice" ]
check "nothing due within 60 days of 2025-01-01" \
    [ "$(cg report refund calendar --as-of 2025-01-01 --format csv | wc -l)" = 1 ]
expect_rc 0 "nothing lapses on 2025-04-30" cg refund tick --as-of 2025-04-30
check "still waiting for the invoice on 2025-04-30" [ "$(unit $E2 state)" = WAIT_DOCS ]
expect_rc 0 "T4 tick on 2025-05-01" cg refund tick --as-of 2025-05-01
check "T4 both units past the soft deadline" grep -q "^tick: 2 past the soft deadline, 0 past the hard" "$T/out"
cg report refund risk --as-of 2025-05-01 --format csv >"$T/risk.csv"
check "T4 at risk: refund 13000.00, VAT if sold at home 16336.28 (142,000.00 / 1.13 x 0.13)" \
    [ "$(unit $E2 state) $(csv_cell "$T/risk.csv" $E2 refund_at_risk) $(csv_cell "$T/risk.csv" $E2 vat_if_domestic)" = "LAPSED_SOFT 13000.00 16336.28" ]
{
    echo "$INVOICES_H"
    echo "3300251130,00077777,1,2025-05-06,91330000MA2AAAAA1Y,T-shirt,,pcs,5000,100000.00,13,13000.00,6109100021"
} >"$T/t4-invoices.csv"
expect_rc 0 "T4 invoice received 2025-05-06" cg refund invoices "$T/t4-invoices.csv" --as-of 2025-05-06
check "a lapsed unit does not file itself" [ "$(unit $E2 state) $(unit $E2 refund)" = "LAPSED_SOFT 13000.00" ]
expect_rc 2 "late filing needs evidence" cg refund late $E2
expect_rc 0 "T4 late filing with evidence" cg refund late $E2 --note "collection evidence filed" --as-of 2025-05-06
check "T4 LAPSED_SOFT -> READY by the operator" [ "$(unit $E2 state)" = READY ]
check "T4 the event names the operator's reason" \
    sh -c "'$CEBGATE' -c '$W/cebgate.conf' refund explain $E2 | grep -q 'LAPSED_SOFT -> WAIT_DOCS  OPERATOR late filing: collection evidence filed'"
expect_rc 0 "T4 batch for 2025-05" cg refund prepare --period 202505 --as-of 2025-05-07
check "only the ready unit is in it" grep -q "^batch B2: 1 unit, invoices CNY 100000.00, refund CNY 13000.00" "$T/out"
expect_rc 0 "filed with --override and a reason" cg refund mark-filed B2 --override --note "pre-check skipped: late filing" --date 2025-05-15
expect_rc 0 "T4 tick on 2027-11-21" cg refund tick --as-of 2027-11-21
check "T4 the unit with no invoice lapses for good" grep -q "^tick: 0 past the soft deadline, 1 past the hard" "$T/out"
check "T4 LAPSED_HARD, regime TAXABLE; the filed unit stays DECLARED" \
    [ "$(unit $E3 state) $(unit $E3 regime) $(unit $E2 state)" = "LAPSED_HARD TAXABLE DECLARED" ]
expect_rc 1 "nothing moves a LAPSED_HARD unit back: late" cg refund late $E3 --note again
expect_rc 1 "nothing moves a LAPSED_HARD unit back: filed" cg refund mark-filed $E3 --override --note x
expect_rc 1 "nothing moves a LAPSED_HARD unit back: regime" cg refund regime $E3 REFUND --note x

# ---- rates on the export date, an invoice line across two units, double use refused
{
    echo "$ENTRIES_H"
    echo "310120240000000010,1,9710,,2024-11-30,8541401000,Solar cell,,pcs,300,9000.00,,,,2024-12-02,Y"
    echo "310120240000000010,2,9710,,2024-11-30,8541401000,Solar cell,,pcs,200,6000.00,,,,2024-12-02,Y"
    echo "310120240000000011,1,9710,,2024-12-01,8541401000,Solar cell,,pcs,100,3000.00,,,,2024-12-03,Y"
    echo "310120240000000012,1,9710,,2024-12-01,8541401000,Solar cell,,kg,5,300.00,,,,2024-12-03,Y"
} >"$T/split-entries.csv"
{
    echo "$INVOICES_H"
    echo "4400241130,00000001,1,2024-11-25,91440000MA3BBBBB2Z,Solar cell,,pcs,500,10000.01,13,1300.00,"
} >"$T/split-invoices.csv"
expect_rc 0 "solar items imported" cg refund entries "$T/split-entries.csv" --as-of 2024-12-03
expect_rc 0 "one invoice line for 500 pcs" cg refund invoices "$T/split-invoices.csv" --as-of 2024-12-03
S1=310120240000000010/1
S2=310120240000000010/2
check "the line is split by quantity: 300 and 200 pcs, 6000.01 + 4000.00 = 10000.01" \
    [ "$(unit $S1 invoice) $(unit $S2 invoice)" = "6000.01 4000.00" ]
check "exported 2024-11-30 at 13 %: 780.00 and 520.00 (half-up of 780.0013)" \
    [ "$(unit $S1 refund_rate) $(unit $S1 refund) $(unit $S2 refund)" = "13 780.00 520.00" ]
check "the third unit finds no invoice left" [ "$(unit 310120240000000011/1 invoice)" = "0.00" ]
expect_rc 1 "double use of the line refused" cg refund allocate 310120240000000011/1 4400241130/00000001/1 100
check "the refusal names the line" grep -q "already used" "$T/err"
{
    echo "$INVOICES_H"
    echo "4400241201,00000002,1,2024-12-02,91440000MA3BBBBB2Z,Solar cell,,pcs,100,3000.00,13,390.00,"
    echo "4400241201,00000002,2,2024-12-02,91440000MA3BBBBB2Z,Solar cell,,pcs,5,150.00,13,19.50,"
} >"$T/dec-invoices.csv"
expect_rc 0 "a second invoice for the December export" cg refund invoices "$T/dec-invoices.csv" --as-of 2024-12-04
check "exported 2024-12-01: the rate in force that day is 9 % -> 270.00" \
    [ "$(unit 310120240000000011/1 refund_rate) $(unit 310120240000000011/1 refund)" = "9 270.00" ]
check "the item declared in kg is a mismatch, not matched to the pcs line" \
    [ "$(unit 310120240000000012/1 state) $(unit 310120240000000012/1 invoice)" = "MISMATCH 0.00" ]
cg refund explain 310120240000000012/1 >"$T/explain.txt"
check "with the reason" \
    grep -q "invoice 4400241201/00000002 line 2: unit 'pcs' differs from the declaration's 'kg'" "$T/explain.txt"

# ---- T3: inventories of a resubmitted declaration summarised by CEB792 into one entryId
summary_result "$W/inbox/ceb792-1.xml" 224420250000000031 INV22442025000002 INV22442025000003 INV22442025000004
if command -v xmllint >/dev/null 2>&1; then
    check "the CEB792 follows the official schema" \
        xmllint --noout --nonet --schema "$CG_SRCDIR/data/xsd/202205/ceb-export.xsd" "$W/inbox/ceb792-1.xml"
fi
expect_rc 0 "the CEB792 goes through the receipt path" cg run
check "its entryId and three inventory lines are recorded" \
    [ "$(sqlite3 "$W/cebgate.db" "SELECT count(*) || ' ' || min(entry_id) FROM customs_entry_invt")" = "3 224420250000000031" ]
{
    echo "$ENTRIES_H"
    echo ",1,9610,B,2025-04-16,6109100021,T-shirt,,pcs,2,852.00,,INV22442025000002;INV22442025000003,,,"
    echo ",2,9610,B,2025-04-16,6109100021,T-shirt,,pcs,1,390.00,,INV22442025000004,,,"
} >"$T/t3-entries.csv"
expect_rc 0 "T3 items found by their inventories" cg refund entries "$T/t3-entries.csv" --as-of 2025-04-16
check "T3 two units of one declaration, both waiting for clearance" \
    [ "$(unit 224420250000000031/1 state) $(unit 224420250000000031/2 state)" = "WAIT_CLEARANCE WAIT_CLEARANCE" ]
{
    echo "$ENTRIES_H"
    echo ",3,9610,B,2025-04-16,6109100021,T-shirt,,pcs,1,390.00,,INV22442025000001,,,"
} >"$T/t3-v1.csv"
expect_rc 1 "the rejected first version's inventory is in no summary" cg refund entries "$T/t3-v1.csv"
check "and the refusal says file, line, field and reason" \
    grep -q "^$T/t3-v1.csv:2: field inventories: inventory INV22442025000001 is in no summary result (CEB792)" "$T/err"
expect_rc 0 "T3 declaration cleared" cg refund cleared 224420250000000031 2025-04-25 --as-of 2025-04-25
check "T3 units wait for documents once cleared" \
    [ "$(unit 224420250000000031/1 state) $(unit 224420250000000031/1 missing)" = "WAIT_DOCS invoice,collection" ]

# ---- bad files: every bad row named, nothing kept
{
    echo "$INVOICES_H"
    echo "5100250101,00000009,1,2025-01-32,91510000MA4CCCCC3A,Cup,,pcs,10,100.00,13,13.00,"
    echo "5100250101,00000009,2,2025-01-05,91510000MA4CCCCC3A,Cup,,pcs,10,100.00,13,12.00,"
    echo "5100250101,00000009,3,2025-01-05,91510000MA4CCCCC3A,Cup,,pcs,10,100.001,13,13.00,"
} >"$T/bad-invoices.csv"
expect_rc 1 "an invoice file with bad rows is refused" cg refund invoices "$T/bad-invoices.csv"
check "bad day named" grep -q "^$T/bad-invoices.csv:2: field issued_on: '2025-01-32' is not a day" "$T/err"
check "wrong VAT named" grep -q "^$T/bad-invoices.csv:3: field vat_amount: 12.00 is not 100.00 x 13 % (13.00)" "$T/err"
check "three decimals named" grep -q "^$T/bad-invoices.csv:4: field amount_ex_vat: '100.001' is not an amount" "$T/err"
check "nothing of it kept" [ "$(sqlite3 "$W/cebgate.db" "SELECT count(*) FROM rf_invline WHERE code = '5100250101'")" = 0 ]
check "the file is kept as it was" [ "$(wc -l <"$T/bad-invoices.csv")" = 4 ]

# ---- invoices dropped into the spool are imported by cebgate run
{
    echo "$INVOICES_H"
    echo "3100250901,00055555,1,2025-04-20,91310000MA1FL0XX1X,T-shirt,,pcs,3,600.00,13,78.00,"
} >"$W/incoming/t3-invoices.csv"
expect_rc 0 "cebgate run imports an invoice file from incoming/" cg run
check "moved to done/ and matched to both T3 units" \
    [ -f "$W/done/t3-invoices.csv" ] && [ "$(unit 224420250000000031/1 invoice) $(unit 224420250000000031/2 invoice)" = "400.00 200.00" ]
check "the summary counts the invoice file as a file taken and done" \
    grep -Fxq "summary: 1 file taken (1 done, 0 failed, 0 duplicate)" "$T/out"
# The next month's file under the same name: imported and kept beside the first as .1 (before,
# the move to done/ failed on the name and every run stopped with exit 75 on it).
cp "$W/done/t3-invoices.csv" "$T/t3-first.csv"
{
    echo "$INVOICES_H"
    echo "3100250901,00055556,1,2025-05-20,91310000MA1FL0XX1X,Mug,,pcs,1,100.00,13,13.00,"
} >"$W/incoming/t3-invoices.csv"
expect_rc 0 "cebgate run imports a second invoice file of the same name" cg run
check "  moved to done/t3-invoices.csv.1, the first left as it was" \
    [ -f "$W/done/t3-invoices.csv.1" ] && [ ! -e "$W/incoming/t3-invoices.csv" ] &&
    cmp -s "$T/t3-first.csv" "$W/done/t3-invoices.csv"
check "  its invoice line recorded" \
    [ "$(sqlite3 "$W/cebgate.db" "SELECT count(*) FROM rf_invline WHERE number = '00055556'")" = 1 ]
cp "$T/bad-invoices.csv" "$W/incoming/bad-invoices.csv"
expect_rc 1 "cebgate run refuses a bad invoice file from incoming/" cg run
check "it is in failed/ with every bad row in its reason" \
    [ "$(grep -c '^bad-invoices.csv:[234]: field' "$W/failed/bad-invoices.csv.reason")" = 3 ]
check "the summary counts it as a file taken and failed" \
    grep -Fxq "summary: 1 file taken (0 done, 1 failed, 0 duplicate)" "$T/out"
# An invoice file dropped into a seller's folder is read as orders and refused at its header:
# the reason says what it is and where it goes.
cp "$W/done/t3-invoices.csv" "$W/incoming/acme/invoices.csv"
expect_rc 1 "cebgate run refuses an invoice file in incoming/acme/" cg run
check "the reason says to drop it in incoming/" grep -Fxq \
    "acme/invoices.csv: this is a purchase invoice file (docs/invoices-format.md), not an order file: drop it in incoming/, not incoming/acme/" \
    "$W/failed/acme/invoices.csv.reason"

# ---- a database held by another process: temporary failure, nothing written, file kept
{
    echo "$INVOICES_H"
    echo "6100250101,00000001,1,2025-01-05,91610000MA5DDDDD4B,Cup,,pcs,10,100.00,13,13.00,"
} >"$T/later.csv"
python3 - "$W/cebgate.db" "$CEBGATE" "$W/cebgate.conf" "$T/later.csv" >"$T/busy.out" 2>&1 <<'EOP'
import sqlite3, subprocess, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
p = subprocess.run([sys.argv[2], "-c", sys.argv[3], "refund", "invoices", sys.argv[4]],
                   capture_output=True, text=True)
db.execute("ROLLBACK")
print(p.returncode)
print(p.stderr)
EOP
check "exit 75 while the database is locked" [ "$(head -1 "$T/busy.out")" = 75 ]
check "nothing of it recorded, the file kept" \
    [ "$(sqlite3 "$W/cebgate.db" "SELECT count(*) FROM rf_invline WHERE code = '6100250101'")" = 0 ] && [ -f "$T/later.csv" ]
expect_rc 0 "the same command later succeeds" cg refund invoices "$T/later.csv"
finish
