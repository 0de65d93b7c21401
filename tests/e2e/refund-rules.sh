#!/bin/sh
# refund-rules.sh - the rounding rules of docs/refund.md on small quantities, where rounding
# each part on its own would lose or add a fen: the clawback of several returns adds up to the
# rule applied to their total (a refund of CNY 1.00 on 3 pcs, returned one by one, gives back
# 0.33 + 0.34 + 0.33 = 1.00), and the parts of an invoice line add up to its amount and its VAT
# (VAT 1.00 over three 1-pc units: 0.33 + 0.33 + 0.34; VAT 0.02 over four: 0.01 + 0.01 + 0 + 0,
# no part taking VAT the line no longer has). Also the state rules around them: a regime
# change moves the state through the transition table like any other move, so it cannot take
# a unit out of a final state (RETURNED) nor file a lapsed unit after the hard deadline; and
# only a unit of a filing batch is pre-checked or filed, so that DECLARED has its VAT period.
. "${CG_SRCDIR:-.}/tests/e2e/refund-lib.sh"

{
    echo "$RATES_H"
    echo "6912000000,2025-01-01,,9,13,"
} >"$T/rates.csv"
expect_rc 0 "refund rates loaded" cg refund rates "$T/rates.csv"

# ---- rule 5: clawbacks of several returns add up to the rule applied to their total
# Two 9710 items of 3 mugs, each with an invoice of CNY 11.11: refund 11.11 x 9 % = 1.00 each.
{
    echo "$ENTRIES_H"
    echo "310120250000000501,1,9710,,2025-05-10,6912000000,Mug,,pcs,3,100.00,,,,2025-05-12,Y"
    echo "310120250000000502,1,9710,,2025-05-10,6912000000,Bowl,,pcs,3,100.00,,,,2025-05-12,Y"
} >"$T/claw-entries.csv"
{
    echo "$INVOICES_H"
    echo "3100250501,00000001,1,2025-05-20,91310000MA1FL0XX1X,Mug,,pcs,3,11.11,13,1.44,"
    echo "3100250501,00000001,2,2025-05-20,91310000MA1FL0XX1X,Bowl,,pcs,3,11.11,13,1.44,"
} >"$T/claw-invoices.csv"
C1=310120250000000501/1
C2=310120250000000502/1
expect_rc 0 "two items of 3 pcs" cg refund entries "$T/claw-entries.csv" --as-of 2025-05-12
expect_rc 0 "their invoices" cg refund invoices "$T/claw-invoices.csv" --as-of 2025-05-21
check "both ready with a refund of 1.00 (11.11 x 9 % = 0.9999)" \
    [ "$(unit $C1 state) $(unit $C1 refund) $(unit $C2 state) $(unit $C2 refund)" = "READY 1.00 READY 1.00" ]
file_b1
expect_rc 0 "1 of the second item's 3 pcs back before payment" cg refund return $C2 1 --date 2025-07-05
expect_rc 0 "B1 paid" cg refund mark-paid B1 --date 2025-07-20
check "  at payment: 1.00 x 1 / 3 = 0.33 due" [ "$(unit $C2 state) $(unit $C2 clawback)" = "CLAWBACK_DUE 0.33" ]
expect_rc 0 "first pc of 3 back" cg refund return $C1 1 --date 2025-09-01
check "  clawback 1.00 x 1 / 3 = 0.33" [ "$(unit $C1 state) $(unit $C1 clawback)" = "CLAWBACK_DUE 0.33" ]
expect_rc 0 "second pc of 3 back" cg refund return $C1 1 --date 2025-09-02
check "  clawback 1.00 x 2 / 3 = 0.67 in all" [ "$(unit $C1 clawback)" = 0.67 ]
cg refund explain $C1 >"$T/explain.txt"
check "  the event says what this return adds: 0.34" \
    grep -q "returned 1 on 2025-09-02; clawback CNY 0.34" "$T/explain.txt"
expect_rc 0 "third pc of 3 back" cg refund return $C1 1 --date 2025-09-03
check "  all of it back: all of the refund, 1.00" [ "$(unit $C1 clawback)" = 1.00 ]
expect_rc 0 "the other 2 pcs of the second item back after payment" cg refund return $C2 2 --date 2025-09-04
check "  0.33 at payment and 0.67 now add up to the whole refund, 1.00" [ "$(unit $C2 clawback)" = 1.00 ]

# ---- rule 1: the parts of an invoice line add up to its amount and to its VAT
# Three 1-pc items of one declaration on a 3-pcs line of CNY 7.69, VAT 1.00: two parts of
# round(7.69 / 3) = 2.56 and round(1.00 / 3) = 0.33, the last one the rest, 2.57 and 0.34.
# Four 1-pc items on a 4-pcs line of CNY 0.15, VAT 0.02: amounts 0.04 (3.75 fen), the last
# 0.03; VAT round(0.5 fen) = 0.01 twice, then nothing is left for the other two.
{
    echo "$ENTRIES_H"
    for k in 1 2 3; do
        echo "310120250000000601,$k,9710,,2025-05-10,6912000000,Cup,,pcs,1,10.00,,,,2025-05-12,Y"
    done
    for k in 1 2 3 4; do
        echo "310120250000000602,$k,9710,,2025-05-10,6912000000,Spoon,,pcs,1,1.00,,,,2025-05-12,Y"
    done
} >"$T/vat-entries.csv"
{
    echo "$INVOICES_H"
    echo "3100250601,00000001,1,2025-05-20,91310000MA1FL0XX1X,Cup,,pcs,3,7.69,13,1.00,"
    echo "3100250601,00000002,1,2025-05-20,91310000MA1FL0XX1X,Spoon,,pcs,4,0.15,13,0.02,"
} >"$T/vat-invoices.csv"
expect_rc 0 "seven 1-pc items" cg refund entries "$T/vat-entries.csv" --as-of 2025-05-12
expect_rc 0 "two invoice lines shared among them" cg refund invoices "$T/vat-invoices.csv" --as-of 2025-05-21
check "the cups take 2.56 + 2.56 + 2.57 = 7.69" \
    [ "$(unit 310120250000000601/1 invoice) $(unit 310120250000000601/2 invoice) $(unit 310120250000000601/3 invoice)" = "2.56 2.56 2.57" ]
expect_rc 0 "batch B2" cg refund prepare --period 202506 --as-of 2025-06-05
PUR=$(sed -n 3p "$T/out")
# parts NUMBER COLUMN: the column of the purchase rows of invoice NUMBER, in file order
parts() {
    python3 -c 'import csv,sys
print(" ".join(r[sys.argv[3]] for r in csv.DictReader(open(sys.argv[1])) if r["invoice_number"] == sys.argv[2]))' "$PUR" "$@"
}
check "purchase detail, cup line: amounts 2.56 2.56 2.57 (7.69)" [ "$(parts 00000001 amount_ex_vat)" = "2.56 2.56 2.57" ]
check "  VAT 0.33 0.33 0.34: the last part takes the rest, 1.00 in all" \
    [ "$(parts 00000001 vat_amount)" = "0.33 0.33 0.34" ]
check "spoon line: amounts 0.04 0.04 0.04 0.03 (0.15)" [ "$(parts 00000002 amount_ex_vat)" = "0.04 0.04 0.04 0.03" ]
check "  VAT 0.01 0.01 0.00 0.00: never more than the line's 0.02" \
    [ "$(parts 00000002 vat_amount)" = "0.01 0.01 0.00 0.00" ]

# ---- refund regime: through the transition table, no generic "set state"
{
    echo "$RATES_H"
    echo "6911101000,2019-04-01,,13,13,"
} >"$T/rates-2.csv"
expect_rc 0 "a rate for porcelain since 2019" cg refund rates "$T/rates-2.csv"
{
    echo "$ENTRIES_H"
    echo "310120250000000701,1,9710,,2025-05-10,6911101000,Plate,,pcs,10,1000.00,,,,2025-05-12,Y"
    echo "310120220000000702,1,9710,,2022-01-10,6911101000,Dish,,pcs,10,1000.00,,,,2022-01-12,Y"
    echo "310120250000000703,1,9710,,2025-05-10,6911101000,Tray,,pcs,10,1000.00,,,,2025-05-12,Y"
} >"$T/regime-entries.csv"
G1=310120250000000701/1
G2=310120220000000702/1
G3=310120250000000703/1
expect_rc 0 "three items" cg refund entries "$T/regime-entries.csv" --as-of 2025-05-12
expect_rc 0 "all of the first item back before filing" cg refund return $G1 10 --date 2025-05-25
check "  RETURNED, nothing to file" [ "$(unit $G1 state) $(unit $G1 refund)" = "RETURNED 0.00" ]
expect_rc 1 "RETURNED is final: no regime change to EXEMPT_WITH_DOCS" \
    cg refund regime $G1 EXEMPT_WITH_DOCS --note "try"
check "  the reason names the unit and the state" \
    grep -q "unit $G1: regime REFUND in state RETURNED is final" "$T/err"
expect_rc 1 "nor back to REFUND" cg refund regime $G1 REFUND --note "try"
check "  the unit is left as it was" [ "$(unit $G1 regime) $(unit $G1 state)" = "REFUND RETURNED" ]
expect_rc 1 "a unit in REFUND cannot be put in REFUND again to restart it" \
    cg refund regime $G3 REFUND --note "restart"
check "  the reason says so" grep -q "unit $G3: the regime is REFUND already" "$T/err"
expect_rc 0 "out of REFUND before filing" cg refund regime $G3 TAXABLE --note "sold at home" --as-of 2025-05-26
check "  TAXABLE, NO_REFUND" [ "$(unit $G3 regime) $(unit $G3 state)" = "TAXABLE NO_REFUND" ]
expect_rc 0 "and back" cg refund regime $G3 REFUND --note "exported after all" --as-of 2025-05-27
check "  from WAIT_CLEARANCE on: cleared, waiting for the invoice" \
    [ "$(unit $G3 regime) $(unit $G3 state) $(unit $G3 missing)" = "REFUND WAIT_DOCS invoice" ]
cg refund explain $G3 >"$T/explain.txt"
check "  both moves are events of the table" \
    grep -q "WAIT_DOCS -> NO_REFUND  OPERATOR regime: REFUND -> TAXABLE: sold at home" "$T/explain.txt"
check "  (back in REFUND)" grep -q "NO_REFUND -> WAIT_CLEARANCE  OPERATOR regime: TAXABLE -> REFUND: exported after all" "$T/explain.txt"
# exported 2022-01-10: soft deadline 2023-04-30, hard deadline 2025-01-10
expect_rc 0 "tick on 2023-05-01" cg refund tick --as-of 2023-05-01
check "  the 2022 item lapses (soft)" [ "$(unit $G2 state)" = LAPSED_SOFT ]
expect_rc 0 "the operator changes its regime" cg refund regime $G2 TAXABLE --note "sold at home" --as-of 2023-05-02
check "  TAXABLE, still LAPSED_SOFT" [ "$(unit $G2 regime) $(unit $G2 state)" = "TAXABLE LAPSED_SOFT" ]
expect_rc 1 "late filing is refused after the hard deadline" cg refund late $G2 --note "evidence" --as-of 2025-01-11
expect_rc 1 "so is a regime change back to REFUND" cg refund regime $G2 REFUND --note "evidence" --as-of 2025-01-11
check "  with the same reason" grep -q "unit $G2: the hard deadline 2025-01-10 has passed" "$T/err"
check "  the unit is left as it was" [ "$(unit $G2 regime) $(unit $G2 state)" = "TAXABLE LAPSED_SOFT" ]
expect_rc 0 "before the hard deadline, back to REFUND" cg refund regime $G2 REFUND --note "evidence" --as-of 2025-01-10
check "  LAPSED_SOFT -> WAIT_DOCS as a late filing, waiting for the invoice" \
    [ "$(unit $G2 regime) $(unit $G2 state) $(unit $G2 missing)" = "REFUND WAIT_DOCS invoice" ]

# ---- pre-checked and filed: units of a filing batch only (DECLARED in VAT period P)
{
    echo "$ENTRIES_H"
    echo "310120250000000801,1,9710,,2025-05-10,6911101000,Pot,,pcs,10,1000.00,,,,2025-05-12,Y"
} >"$T/nobatch-entries.csv"
{
    echo "$INVOICES_H"
    echo "3100250801,00000001,1,2025-05-20,91310000MA1FL0XX1X,Pot,,pcs,10,100.00,13,13.00,"
} >"$T/nobatch-invoices.csv"
N1=310120250000000801/1
expect_rc 0 "an item" cg refund entries "$T/nobatch-entries.csv" --as-of 2025-05-12
expect_rc 0 "its invoice" cg refund invoices "$T/nobatch-invoices.csv" --as-of 2025-05-21
check "  ready, 100.00 x 13 % = 13.00, in no batch" [ "$(unit $N1 state) $(unit $N1 refund) $(unit $N1 period)" = "READY 13.00 " ]
expect_rc 1 "a unit in no batch cannot be pre-checked" cg refund mark-prechecked $N1 --date 2025-06-08
check "  the reason names the unit and why" \
    grep -q "unit $N1 is in no batch: only a unit of a filing batch (refund prepare, which stores its VAT period) can be prechecked" "$T/err"
expect_rc 1 "nor filed, even with --override" cg refund mark-filed $N1 --override --note "filed by hand" --date 2025-06-10
check "  the reason names the unit and why" grep -q "unit $N1 is in no batch: .* can be filed" "$T/err"
{
    echo "$RESULTS_H"
    echo "310120250000000801,1,prechecked,,2025-06-08,"
} >"$T/nobatch-results.csv"
expect_rc 1 "nor through a result file" cg refund results "$T/nobatch-results.csv"
check "  the file line names the unit and why" \
    grep -q "^$T/nobatch-results.csv:2: field outcome: unit $N1 is in no batch: .* can be prechecked" "$T/err"
check "  the unit is left as it was: READY, no period" [ "$(unit $N1 state) $(unit $N1 period)" = "READY " ]
expect_rc 0 "in batch B3" cg refund prepare --period 202507 --as-of 2025-07-01
expect_rc 0 "B3 pre-checked" cg refund mark-prechecked $N1 --date 2025-07-05
expect_rc 0 "B3 filed" cg refund mark-filed $N1 --date 2025-07-10
check "  DECLARED in period 202507" [ "$(unit $N1 state) $(unit $N1 period)" = "DECLARED 202507" ]
finish
