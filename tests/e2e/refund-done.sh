#!/bin/sh
# refund-done.sh - each `cebgate refund` verb that records an operator's action says in one line
# what it recorded: the unit (or the declaration), its state after it, and the amounts in CNY;
# nothing under -q. The lines are worked out from the inputs: refund rate 9 %, VAT 13 %.
. "${CG_SRCDIR:-.}/tests/e2e/refund-lib.sh"

{
    echo "$RATES_H"
    echo "6912000000,2025-01-01,,9,13,"
} >"$T/rates.csv"
expect_rc 0 "refund rates loaded" cg refund rates "$T/rates.csv"
# declaration 801: A (Mug, not cleared, not collected), B (Bowl, cleared 2025-05-11);
# declaration 802: C (Cup, collected, its invoice line matched at import), D (Plate, neither);
# declaration 803: F (Jug, cleared, collected, its invoice matched: ready).
A=310120250000000801/1
B=310120250000000801/2
C=310120250000000802/1
D=310120250000000802/2
F=310120250000000803/1
{
    echo "$ENTRIES_H"
    echo "310120250000000801,1,9710,,2025-05-10,6912000000,Mug,,pcs,10,1000.00,,,,,"
    echo "310120250000000801,2,9710,,2025-05-10,6912000000,Bowl,,pcs,10,1000.00,,,,2025-05-11,"
    echo "310120250000000802,1,9710,,2025-05-10,6912000000,Cup,,pcs,5,500.00,,,,,Y"
    echo "310120250000000802,2,9710,,2025-05-10,6912000000,Plate,,pcs,5,500.00,,,,,"
    echo "310120250000000803,1,9710,,2025-05-10,6912000000,Jug,,pcs,10,1000.00,,,,2025-05-11,Y"
} >"$T/entries.csv"
# line 1 is named otherwise than A's item, so only `refund allocate` gives it to A
{
    echo "$INVOICES_H"
    echo "3100250801,00000001,1,2025-05-20,91310000MA1FL0XX1X,Mug set,,pcs,10,1000.00,13,130.00,"
    echo "3100250801,00000001,2,2025-05-20,91310000MA1FL0XX1X,Cup,,pcs,5,500.00,13,65.00,"
    echo "3100250801,00000001,3,2025-05-20,91310000MA1FL0XX1X,Jug,,pcs,10,1000.00,13,130.00,"
} >"$T/invoices.csv"
expect_rc 0 "five items" cg refund entries "$T/entries.csv" --as-of 2025-05-12
expect_rc 0 "their invoices" cg refund invoices "$T/invoices.csv" --as-of 2025-05-20

# ---- cleared: A now, B before; then both before; C ready and D waiting for documents
expect_rc 0 "declaration 801 cleared" cg refund cleared 310120250000000801 2025-05-15 --as-of 2025-05-15
said "  A now, waiting for its invoice and proceeds; B before" \
    "declaration 310120250000000801: cleared on 2025-05-15: 1 unit now WAIT_DOCS; 1 unit cleared before, left as it was"
expect_rc 0 "declaration 801 cleared again" cg refund cleared 310120250000000801 2025-05-16 --as-of 2025-05-16
said "  nothing recorded" "declaration 310120250000000801: all 2 units cleared before, nothing recorded"
expect_rc 0 "declaration 802 cleared" cg refund cleared 310120250000000802 2025-05-16 --as-of 2025-05-16
said "  C ready, D waiting" \
    "declaration 310120250000000802: cleared on 2025-05-16: 2 units now 1 READY, 1 WAIT_DOCS"

# ---- allocate: 4 of the line's 10 pcs are 4/10 of CNY 1000.00 and of its VAT 130.00; refund
# 400.00 x 9 % = 36.00; then the other 6 (what A still needs): the rest, refund 1000.00 x 9 %
expect_rc 0 "4 pcs of line 1 to A" cg refund allocate $A 3100250801/00000001/1 4 --as-of 2025-05-20
said "  the line, the quantity, its amounts and A's refund" \
    "unit $A: WAIT_DOCS: invoice line 3100250801/00000001/1 allocated: 4 pcs, CNY 400.00 excl. VAT, VAT CNY 52.00; refund CNY 36.00"
expect_rc 0 "the rest of line 1 to A" cg refund allocate $A 3100250801/00000001/1 --as-of 2025-05-20
said "  6 pcs, the rest of the line" \
    "unit $A: WAIT_DOCS: invoice line 3100250801/00000001/1 allocated: 6 pcs, CNY 600.00 excl. VAT, VAT CNY 78.00; refund CNY 90.00"

# ---- collected: A has everything then
expect_rc 0 "A collected" cg refund collected $A --note "bank slip 42" --as-of 2025-05-21
said "  A is ready" "unit $A: READY: proceeds collected"
expect_rc 0 "A collected again" cg refund collected $A --note "bank slip 42" --as-of 2025-05-21
said "  nothing recorded" "unit $A: READY: proceeds collected before, nothing recorded"

# ---- regime: D, in no batch
expect_rc 0 "D taxable" cg refund regime $D TAXABLE --note "sold at home" --as-of 2025-05-22
said "  the old and the new regime" "unit $D: NO_REFUND: regime REFUND -> TAXABLE"

# ---- -q: recorded, nothing printed
expect_rc 0 "B collected under -q" cg -q refund collected $B --note "bank slip 43" --as-of 2025-05-22
check "  nothing on standard output" [ ! -s "$T/out" ]
expect_rc 0 "B collected again" cg refund collected $B --note "bank slip 43" --as-of 2025-05-22
said "  it was recorded under -q" "unit $B: WAIT_DOCS: proceeds collected before, nothing recorded"

# ---- fix: A, C and F filed in B1; A rejected, fixed: out of the filed batch, ready again
expect_rc 0 "batch B1" cg refund prepare --period 202506 --as-of 2025-06-05
expect_rc 0 "B1 pre-checked" cg refund mark-prechecked B1 --date 2025-06-08
expect_rc 0 "B1 filed" cg refund mark-filed B1 --date 2025-06-10
expect_rc 0 "A rejected" cg refund mark-rejected $A --note "invoice unreadable" --date 2025-06-20
expect_rc 0 "A fixed" cg refund fix $A --note "invoice sent again" --as-of 2025-06-21
said "  A ready again; the batch it left is filed" "unit $A: READY: fix recorded (it was REJECTED)
unit $A left batch B1, which is filed: its files are kept as filed"
expect_rc 0 "B1 approved" cg refund mark-approved B1 --date 2025-07-01

# ---- clawback: F paid 90.00; 2 of its 10 pcs back: 90.00 x 2 / 10 = 18.00, repaid in two parts
expect_rc 0 "B1 paid" cg refund mark-paid B1 --date 2025-07-20
expect_rc 0 "2 pcs of F back" cg refund return $F 2 --date 2025-08-01
expect_rc 0 "5.00 of the clawback repaid" cg refund clawback $F --amount 5.00 --date 2025-08-05
said "  18.00 - 5.00 = 13.00 still due" \
    "unit $F: CLAWBACK_DUE: clawback repaid CNY 5.00 on 2025-08-05, CNY 13.00 still due"
expect_rc 0 "the rest repaid" cg refund clawback $F --date 2025-08-10
said "  13.00, nothing left" "unit $F: CLAWBACK_PAID: clawback repaid CNY 13.00 on 2025-08-10, nothing left due"

# ---- late: B (no invoice) lapses after the soft deadline 2026-04-30; the hard deadline is
# its export day 2025-05-10 + 36 months
expect_rc 0 "tick after the soft deadline" cg refund tick --as-of 2026-05-01
expect_rc 0 "B filed late" cg refund late $B --note "tax office agreed" --as-of 2026-05-02
said "  back to waiting for its invoice" \
    "unit $B: WAIT_DOCS: late filing recorded, before the hard deadline 2028-05-10"
finish
