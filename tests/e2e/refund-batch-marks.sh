#!/bin/sh
# refund-batch-marks.sh - outcomes marked on a whole batch (`refund mark-OUTCOME B<ID>`) when
# its members are not all in the same state, and a mismatch fixed inside a batch.
# - The tax office rejects one unit of a filed batch and approves the rest: `mark-approved B1`
#   approves the members the approval reaches (DECLARED) and names the one it skipped
#   (REJECTED), instead of refusing the whole batch; `mark-paid B1` pays them alike. A batch
#   none of whose members the outcome reaches is refused. Filing a batch not filed yet is
#   never partial: its files list every member, so a member that cannot be filed refuses it.
#   An --amount is one unit's approved or paid amount: with a batch it is refused, as it
#   would set every member's amount to it.
# - A unit the pre-check found mismatched (MISMATCH) and then fixed leaves its batch, as a
#   fixed rejection does (SETTLE-REFUND.md §2.b: MISMATCH needs an operator fix before filing):
#   before the batch is filed its files are written again without it, and `prepare` puts it
#   into a new batch with the data as fixed. So does a unit whose hard deadline passes while
#   its batch is not filed (its regime falls back: nothing to claim).
. "${CG_SRCDIR:-.}/tests/e2e/refund-lib.sh"

# Five 9710 items of 10 pcs, cleared and collected; invoices of 1,000.00 to 5,000.00 at a 9 %
# refund rate: refunds 90.00, 180.00, 270.00, 360.00, 450.00.
wares 1 5 2025-05-10 2025-05-12

# ---- a filed batch with one rejected member: the others are approved and paid as a batch
expect_rc 0 "batch B1 of all five" cg refund prepare --period 202506 --as-of 2025-06-05
EXP=$(sed -n 2p "$T/out")
PUR=$(sed -n 3p "$T/out")
expect_rc 0 "B1 pre-checked" cg refund mark-prechecked B1 --date 2025-06-08
expect_rc 0 "B1 filed" cg refund mark-filed B1 --date 2025-06-10
expect_rc 0 "the tax office rejects U2" cg refund mark-rejected $U2 --note "invoice under review" --date 2025-06-20
# an amount is a unit's: given for a batch it would be every member's approved (or paid) amount
expect_rc 2 "B1 approved with --amount 80.00 is refused" \
    cg refund mark-approved B1 --amount 80.00 --date 2025-07-01
check "  the reason says the amount is per unit" \
    grep -q "refund mark-approved B1: --amount is the amount of one unit; name the units" "$T/err"
check "  nothing approved" [ "$(sql "SELECT count(*) FROM rf_unit WHERE approved_fen > 0")" = 0 ]
expect_rc 0 "B1 approved with U2 rejected" cg refund mark-approved B1 --date 2025-07-01
check "  4 units moved" grep -qx "approved: 4 units moved" "$T/out"
check "  it names the member it skipped and why" \
    grep -qx "skipped unit $U2 of B1: REJECTED, which approved does not reach" "$T/out"
check "  U1 U3 U4 U5 APPROVED with their refunds, U2 REJECTED with none" \
    [ "$(sql "SELECT group_concat(state || ':' || approved_fen, ' ') FROM (SELECT state, approved_fen FROM rf_unit WHERE batch_id = 1 ORDER BY id)")" = "APPROVED:9000 REJECTED:0 APPROVED:27000 APPROVED:36000 APPROVED:45000" ]
expect_rc 2 "B1 paid with --amount is refused" cg refund mark-paid B1 --amount 50.00 --date 2025-07-20
check "  nothing paid" [ "$(sql "SELECT count(*) FROM rf_unit WHERE refunded_fen > 0")" = 0 ]
expect_rc 0 "B1 paid" cg refund mark-paid B1 --date 2025-07-20
check "  4 units moved, U2 skipped" \
    [ "$(grep -c "" "$T/out") $(grep -x "paid: 4 units moved" "$T/out" | wc -l) $(grep -c "skipped unit $U2 of B1: REJECTED" "$T/out")" = "2 1 1" ]
check "  refunded 90.00 + 270.00 + 360.00 + 450.00 = 1170.00 on 2025-07-20" \
    [ "$(sql "SELECT sum(refunded_fen) || ' ' || group_concat(DISTINCT refunded_on) FROM rf_unit WHERE state = 'REFUNDED'")" = "117000 2025-07-20" ]
check "  U2 untouched: REJECTED, nothing approved or refunded" \
    [ "$(unit $U2 state) $(sql "SELECT approved_fen + refunded_fen FROM rf_unit WHERE entry_id = '310120250000000902'")" = "REJECTED 0" ]
expect_rc 0 "B1 approved again changes nothing" cg refund mark-approved B1 --date 2025-07-21
check "  0 moved" grep -qx "approved: 0 units moved" "$T/out"
check "  B1 as filed: 5 units, refund 1350.00" [ "$(batch 1)" = "5 1350.00" ]
check "  its files as filed" [ "$(rows "$EXP") $(total "$EXP" refund_amount) $(total "$PUR" amount_ex_vat)" = "901 902 903 904 905 1350.00 15000.00" ]

# ---- U2 fixed: out of B1, filed again in B2
expect_rc 0 "U2 fixed" cg refund fix $U2 --note "invoice confirmed" --as-of 2025-07-22
expect_rc 0 "batch B2 takes U2" cg refund prepare --period 202508 --as-of 2025-08-01
check "  1 unit, refund 180.00" grep -q "batch B2: 1 unit, invoices CNY 2000.00, refund CNY 180.00" "$T/out"
expect_rc 1 "B2 cannot be approved before it is filed" cg refund mark-approved B2 --date 2025-08-02
check "  the reason names the unit and its state" \
    grep -q "no unit of batch B2 can be approved: unit $U2 is READY" "$T/err"
check "  U2 still READY" [ "$(unit $U2 state)" = READY ]

# ---- a pre-check mismatch fixed inside a batch not filed yet
wares 6 7 2025-06-10 2025-06-12
expect_rc 0 "batch B3 of U6, U7 (U2 is in B2)" cg refund prepare --period 202507 --as-of 2025-07-05
EXP3=$(sed -n 2p "$T/out")
PUR3=$(sed -n 3p "$T/out")
check "  its files list 906 907, refund 1170.00" \
    [ "$(rows "$EXP3") $(total "$EXP3" refund_amount)" = "906 907 1170.00" ]
expect_rc 0 "the pre-check finds U7 mismatched" \
    cg refund mark-mismatch $U7 --note "name differs from the invoice" --date 2025-07-08
expect_rc 0 "U6 pre-checked" cg refund mark-prechecked $U6 --date 2025-07-08
expect_rc 1 "B3 cannot be filed while it lists the mismatched U7" cg refund mark-filed B3 --date 2025-07-09
check "  U6 still PRECHECKED" [ "$(unit $U6 state)" = PRECHECKED ]
expect_rc 0 "U7 fixed" cg refund fix $U7 --note "declaration name corrected" --as-of 2025-07-09
check "  it says it left B3, whose files were written again without it" \
    grep -q "unit $U7 left batch B3; its files were written again without it: 1 unit, invoices CNY 6000.00, refund CNY 540.00" "$T/out"
check "  U7 READY in no batch, no period" \
    [ "$(unit $U7 state)/$(unit $U7 period)/$(sql "SELECT ifnull(batch_id, 0) FROM rf_unit WHERE entry_id = '310120250000000907'")" = "READY//0" ]
check "  B3's files list 906 only: refund 540.00, invoices 6000.00" \
    [ "$(rows "$EXP3") $(total "$EXP3" refund_amount) $(rows "$PUR3") $(total "$PUR3" amount_ex_vat)" = "906 540.00 906 6000.00" ]
check "  B3: 1 unit, refund 540.00" [ "$(batch 3)" = "1 540.00" ]
cg refund explain $U7 >"$T/explain.txt"
check "  the event says it left B3" \
    grep -q "MISMATCH -> WAIT_DOCS  OPERATOR fix: declaration name corrected; out of batch B3, whose files were written again without it" "$T/explain.txt"
expect_rc 0 "B3 filed now" cg refund mark-filed B3 --date 2025-07-10
check "  U6 DECLARED in 202507" [ "$(unit $U6 state) $(unit $U6 period)" = "DECLARED 202507" ]
expect_rc 0 "batch B4 takes U7" cg refund prepare --period 202508 --as-of 2025-08-05
check "  1 unit, refund 630.00" grep -q "batch B4: 1 unit, invoices CNY 7000.00, refund CNY 630.00" "$T/out"
EXP4=$(sed -n 2p "$T/out")

# ---- the soft deadline passes while B4 is not filed: filing it is refused, saying what to do
expect_rc 0 "tick past the soft deadline (2026-04-30)" cg refund tick --as-of 2026-05-01
check "  U7 LAPSED_SOFT" [ "$(unit $U7 state)" = LAPSED_SOFT ]
expect_rc 1 "B4 cannot be filed while U7 is lapsed" cg refund mark-filed B4 --date 2026-05-02
check "  the refusal says how to file it late or change its regime" grep -qF \
    "unit $U7: LAPSED_SOFT -> DECLARED by OPERATOR is not allowed (the soft deadline passed: \`cebgate refund late $U7 --note EVIDENCE\` files it late, before the hard deadline; \`cebgate refund regime $U7 REGIME --note TEXT\` changes its regime)" "$T/err"

# ---- the hard deadline passes while B4 is not filed: U7's regime falls back and it leaves B4,
# whose files no longer claim its refund
expect_rc 0 "tick past the hard deadline (2025-06-10 + 36 months)" cg refund tick --as-of 2028-06-11
check "  U7 LAPSED_HARD, EXEMPT_WITH_DOCS, in no batch" \
    [ "$(unit $U7 state) $(unit $U7 regime) $(sql "SELECT ifnull(batch_id, 0) FROM rf_unit WHERE entry_id = '310120250000000907'")" = "LAPSED_HARD EXEMPT_WITH_DOCS 0" ]
check "  B4: 0 units, refund 0.00; its export detail has no row" \
    [ "$(batch 4) $(grep -c "" "$EXP4")" = "0 0.00 1" ]
check "  the event says it left B4" explained $U7 "out of batch B4, whose files were written again without it (0 units)"
check "  B3, filed, is as filed" [ "$(batch 3) $(unit $U6 state)" = "1 540.00 DECLARED" ]
finish
