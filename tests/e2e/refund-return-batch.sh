#!/bin/sh
# refund-return-batch.sh - goods that come back while their unit sits in a batch prepared and
# not filed yet. Nothing has gone to the tax office, so the return counts as before filing
# (docs/refund.md, rule 5): the unit stays in the batch with the goods still abroad only, or
# leaves it when all of them came back, and the batch's two files and totals are written
# again. Once the batch is filed, a return is clawed back as before.
. "${CG_SRCDIR:-.}/tests/e2e/refund-lib.sh"

# Three 9710 items of 10 pcs, invoices 1,000.00, 2,000.00, 3,000.00 at a 9 % refund rate:
# refunds 90.00, 180.00, 270.00.
wares 1 3 2025-05-10 2025-05-12
# --out relative to the working directory ($W, workdir = .), through its parent: the files are
# named by their normalised path, without "./" or "../"
expect_rc 0 "batch B1 of all three" cg refund prepare --period 202506 --as-of 2025-06-05 \
    --out ../w/batches
EXP=$(sed -n 2p "$T/out")
PUR=$(sed -n 3p "$T/out")
check "  its files named by their normalised paths" \
    [ "$EXP $PUR" = "$(cd "$W" && pwd -P)/batches/refund-202506-B1-export.csv $(cd "$W" && pwd -P)/batches/refund-202506-B1-purchase.csv" ]
check "  B1: 3 units, refund 540.00" [ "$(batch 1)" = "3 540.00" ]
expect_rc 0 "B1 pre-checked" cg refund mark-prechecked B1 --date 2025-06-08

# ---- 4 of U2's 10 pcs come back before B1 is filed: 6 pcs are filed, 2,000.00 x 6/10 =
# 1,200.00 excl. VAT, refund 1,200.00 x 9 % = 108.00
expect_rc 0 "4 pcs of U2 back before filing" cg refund return $U2 4 --date 2025-06-09
check "  it says what it recorded" [ "$(cat "$T/out")" = "unit $U2: PRECHECKED: returned 4 on 2025-06-09 before filing; batch B1 is not filed yet: its files were written again (3 units, refund CNY 468.00)" ]
check "  U2 still PRECHECKED in B1, refund 108.00, filed amount 1200.00" \
    [ "$(unit $U2 state) $(unit $U2 period) $(unit $U2 refund) $(sql "SELECT filed_qty_m || ' ' || batch_id FROM rf_unit WHERE entry_id = '310120250000000902'")" = "PRECHECKED 202506 108.00 6000 1" ]
check "  B1: 3 units, refund 90.00 + 108.00 + 270.00 = 468.00" [ "$(batch 1)" = "3 468.00" ]
check "  export detail: U2 with 6 pcs, 1200.00, refund 108.00" \
    [ "$(python3 -c 'import csv,sys
print(" ".join(r["quantity"] + "/" + r["amount_ex_vat"] + "/" + r["refund_amount"] for r in csv.DictReader(open(sys.argv[1])) if r["entry_id"].endswith("902")))' "$EXP")" = "6/1200.00/108.00" ]
check "  export detail totals: refund 468.00; purchase detail 1000.00 + 1200.00 + 3000.00" \
    [ "$(total "$EXP" refund_amount) $(total "$EXP" amount_ex_vat) $(total "$PUR" amount_ex_vat)" = "468.00 5200.00 5200.00" ]
check "  the event names B1 and its files written again" \
    explained $U2 "batch B1 is not filed yet: its files were written again (3 units, refund CNY 468.00)"

# ---- all 10 pcs of U3 come back before filing: nothing to file, U3 leaves B1
expect_rc 0 "all 10 pcs of U3 back before filing" cg refund return $U3 10 --date 2025-06-09
check "  it says what it recorded" [ "$(cat "$T/out")" = "unit $U3: RETURNED: returned 10 on 2025-06-09: nothing left to file; out of batch B1, whose files were written again without it (2 units)" ]
check "  U3 RETURNED, in no batch, refund 0.00" \
    [ "$(unit $U3 state) $(sql "SELECT ifnull(batch_id, 0) || ' ' || refund_fen FROM rf_unit WHERE entry_id = '310120250000000903'")" = "RETURNED 0 0" ]
check "  B1: 2 units, refund 90.00 + 108.00 = 198.00" [ "$(batch 1)" = "2 198.00" ]
check "  its files list 901 902 only" \
    [ "$(rows "$EXP") $(total "$EXP" refund_amount) $(rows "$PUR") $(total "$PUR" amount_ex_vat)" = "901 902 198.00 901 902 2200.00" ]
check "  the event says U3 left B1" explained $U3 "out of batch B1, whose files were written again without it"

# ---- B1 filed, approved and paid on what it lists: no clawback for the goods back before
expect_rc 0 "B1 filed" cg refund mark-filed B1 --date 2025-06-10
expect_rc 0 "B1 approved" cg refund mark-approved B1 --date 2025-07-01
check "  U2 approved 108.00" [ "$(sql "SELECT approved_fen FROM rf_unit WHERE entry_id = '310120250000000902'")" = 10800 ]
expect_rc 0 "B1 paid" cg refund mark-paid B1 --date 2025-07-20
check "  U1 and U2 REFUNDED, nothing clawed back" \
    [ "$(unit $U1 state) $(unit $U2 state) $(sql "SELECT sum(clawback_fen) FROM rf_unit")" = "REFUNDED REFUNDED 0" ]

# ---- after filing the return is clawed back: 3 of the 6 filed pcs of U2, 108.00 x 3/6 = 54.00
expect_rc 0 "3 pcs of U2 back after payment" cg refund return $U2 3 --date 2025-08-01
check "  it says what it recorded" [ "$(cat "$T/out")" = "unit $U2: CLAWBACK_DUE: returned 3 on 2025-08-01; clawback CNY 54.00" ]
check "  U2 CLAWBACK_DUE 54.00, B1 as filed" \
    [ "$(unit $U2 state) $(sql "SELECT clawback_fen FROM rf_unit WHERE entry_id = '310120250000000902'") $(batch 1) $(total "$EXP" refund_amount)" = "CLAWBACK_DUE 5400 2 198.00 198.00" ]
finish
