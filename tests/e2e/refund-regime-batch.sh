#!/bin/sh
# refund-regime-batch.sh - `refund regime` on a unit of a filing batch. The batch's files list
# the units it claims a refund for, so a unit whose regime changes leaves its batch: before the
# batch is filed its two files are written again without it (and its totals with them), and
# the rest of the batch is pre-checked, filed and approved as a batch; back in REFUND the unit
# goes into a new batch. Once the batch is filed its files stay as filed: a unit of it still
# READY or PRECHECKED is refused (its outcome is recorded first); a REJECTED unit may change
# its regime, as SETTLE-REFUND.md §2.b says, leaves the batch, and the batch is approved without
# it.
. "${CG_SRCDIR:-.}/tests/e2e/refund-lib.sh"

# Five 9710 items of 10 pcs, cleared and collected, three exported in May and two in June;
# invoices of 1,000.00 to 5,000.00: refunds 90.00, 180.00, 270.00, 360.00, 450.00.
wares 1 3 2025-05-10 2025-05-12
wares 4 5 2025-06-10 2025-06-12

# ---- before filing: the unit leaves the batch, whose files are written again
expect_rc 0 "batch B1 of U1, U2, U3" cg refund prepare --period 202506 --as-of 2025-06-05
EXP=$(sed -n 2p "$T/out")
PUR=$(sed -n 3p "$T/out")
check "  its files list 901 902 903, refund 540.00" \
    [ "$(rows "$EXP") $(rows "$PUR") $(total "$EXP" refund_amount)" = "901 902 903 901 902 903 540.00" ]
expect_rc 0 "B1 pre-checked" cg refund mark-prechecked B1 --date 2025-06-08
expect_rc 0 "U2 changes regime while B1 is not filed" \
    cg refund regime $U2 TAXABLE --note "sold at home after all" --as-of 2025-06-09
check "  it says it left B1 and the files were written again" \
    grep -q "unit $U2 left batch B1; its files were written again without it: 2 units, invoices CNY 4000.00, refund CNY 360.00" "$T/out"
check "  U2 is TAXABLE, NO_REFUND, in no batch, no period" \
    [ "$(unit $U2 regime) $(unit $U2 state) $(sql "SELECT batch_id IS NULL OR batch_id = 0 FROM rf_unit WHERE entry_id = '310120250000000902'")/$(unit $U2 period)" = "TAXABLE NO_REFUND 1/" ]
check "  the export detail lists 901 903 only, refund 360.00" \
    [ "$(rows "$EXP") $(total "$EXP" refund_amount)" = "901 903 360.00" ]
check "  so does the purchase detail, 4000.00" \
    [ "$(rows "$PUR") $(total "$PUR" amount_ex_vat)" = "901 903 4000.00" ]
check "  batch B1: 2 units, refund 360.00" [ "$(batch 1)" = "2 360.00" ]
cg refund explain $U2 >"$T/explain.txt"
check "  the event says why and which batch" \
    grep -q "PRECHECKED -> NO_REFUND  OPERATOR regime: REFUND -> TAXABLE: sold at home after all; out of batch B1" "$T/explain.txt"
expect_rc 0 "B1 filed as a batch" cg refund mark-filed B1 --date 2025-06-10
check "  U1 and U3 DECLARED in 202506; U2 untouched" \
    [ "$(unit $U1 state) $(unit $U3 state) $(unit $U1 period) $(unit $U2 state)" = "DECLARED DECLARED 202506 NO_REFUND" ]

# ---- once filed: a READY or PRECHECKED unit of the batch is refused; a REJECTED one moves
expect_rc 0 "B1 approved as a batch" cg refund mark-approved B1 --date 2025-07-01
check "  U1 and U3 APPROVED, approved 90.00 and 270.00" \
    [ "$(unit $U1 state) $(unit $U3 state) $(sql "SELECT group_concat(approved_fen) FROM (SELECT approved_fen FROM rf_unit WHERE batch_id = 1 ORDER BY id)")" = "APPROVED APPROVED 9000,27000" ]
expect_rc 0 "batch B2 of U4, U5" cg refund prepare --period 202507 --as-of 2025-07-02
EXP2=$(sed -n 2p "$T/out")
expect_rc 0 "U4 pre-checked and filed on its own" cg refund mark-prechecked B2 --date 2025-07-08
expect_rc 0 "  filed" cg refund mark-filed $U4 --date 2025-07-10
expect_rc 1 "U5, PRECHECKED in the filed batch B2, cannot change regime" \
    cg refund regime $U5 EXEMPT_WITH_DOCS --note "exempt" --as-of 2025-07-11
check "  the reason names the batch and what to do" \
    grep -q "unit 310120250000000905/1 is PRECHECKED in batch B2, which is filed: its files are with the tax office. Record what the tax office said of the unit first" "$T/err"
check "  U5 is left as it was" [ "$(unit $U5 regime) $(unit $U5 state) $(unit $U5 period)" = "REFUND PRECHECKED 202507" ]
expect_rc 0 "the tax office rejects U4 after filing" \
    cg refund mark-rejected $U4 --note "invoice under review" --date 2025-07-15
expect_rc 0 "a rejected unit changes regime (SETTLE-REFUND.md: REJECTED -> regime change)" \
    cg refund regime $U4 EXEMPT_WITH_DOCS --note "exempt with documents" --as-of 2025-07-16
check "  it left B2, whose files stay as filed" \
    grep -q "unit $U4 left batch B2, which is filed: its files are kept as filed" "$T/out"
check "  B2's export detail still lists what was filed" [ "$(rows "$EXP2")" = "904 905" ]
check "  U4 EXEMPT_WITH_DOCS, NO_REFUND, in no batch" \
    [ "$(unit $U4 regime) $(unit $U4 state)/$(unit $U4 period)" = "EXEMPT_WITH_DOCS NO_REFUND/" ]
expect_rc 0 "U5 filed with B2" cg refund mark-filed B2 --date 2025-07-20
expect_rc 0 "B2 approved as a batch" cg refund mark-approved B2 --date 2025-08-01
check "  U5 APPROVED; U4 untouched" [ "$(unit $U5 state) $(unit $U4 state)" = "APPROVED NO_REFUND" ]

# ---- back in REFUND, both go into a new batch
expect_rc 0 "U2 back to REFUND" cg refund regime $U2 REFUND --note "exported after all" --as-of 2025-08-02
expect_rc 0 "U4 back to REFUND" cg refund regime $U4 REFUND --note "invoice cleared" --as-of 2025-08-02
check "  both READY again" [ "$(unit $U2 state) $(unit $U4 state)" = "READY READY" ]
expect_rc 0 "batch B3 takes them" cg refund prepare --period 202508 --as-of 2025-08-05
check "  2 units, refund 180.00 + 360.00" grep -q "batch B3: 2 units, invoices CNY 6000.00, refund CNY 540.00" "$T/out"
check "  B1 and B2 are as they were" [ "$(batch 1) / $(batch 2)" = "2 360.00 / 2 810.00" ]
cg report refund pipeline --format csv >"$T/pipeline.csv" || fail "report refund pipeline"
check "report refund pipeline: 3 approved units, 2 ready" \
    python3 -c 'import csv,sys
n = {}
for r in csv.DictReader(open(sys.argv[1])):
    n[r["state"]] = n.get(r["state"], 0) + int(r["units"])
sys.exit(0 if n.get("APPROVED") == 3 and n.get("READY") == 2 else 1)' "$T/pipeline.csv"

# ---- a rejected unit that is fixed leaves its filed batch and is filed again in a new one
expect_rc 0 "B3 pre-checked" cg refund mark-prechecked B3 --date 2025-08-08
expect_rc 0 "B3 filed" cg refund mark-filed B3 --date 2025-08-10
expect_rc 0 "the tax office rejects U2" \
    cg refund mark-rejected $U2 --note "export date unclear" --date 2025-08-20
expect_rc 0 "U2 fixed" cg refund fix $U2 --note "export date confirmed by customs" --as-of 2025-08-21
check "  U2 READY in no batch, no period" \
    [ "$(unit $U2 state)/$(unit $U2 period)/$(sql "SELECT ifnull(batch_id, 0) FROM rf_unit WHERE entry_id = '310120250000000902'")" = "READY//0" ]
check "  B3 as filed: 2 units, refund 540.00" [ "$(batch 3)" = "2 540.00" ]
expect_rc 0 "batch B4 takes U2" cg refund prepare --period 202509 --as-of 2025-09-05
check "  1 unit, refund 180.00" grep -q "batch B4: 1 unit, invoices CNY 2000.00, refund CNY 180.00" "$T/out"
cg refund explain $U2 >"$T/explain.txt"
check "  an event says it left B3, whose files stay as filed" \
    grep -q "out of batch B3 (filed: its files are kept as filed)" "$T/explain.txt"
# B4 is not filed, though U2 was filed once (in B3): a regime change rewrites B4's files
expect_rc 0 "U2 changes regime while B4 is not filed" \
    cg refund regime $U2 TAXABLE --note "sold in China after all" --as-of 2025-09-06
check "  B4's files are written again without it" \
    grep -q "unit $U2 left batch B4; its files were written again without it: 0 units" "$T/out"
finish
