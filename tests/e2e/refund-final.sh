#!/bin/sh
# refund-final.sh - an approved refund paid in part that the tax office will pay no more of.
# `refund mark-final UNIT|BATCH --note REASON` (or a `final` row of a result file) makes the unit
# REFUNDED with what was paid as refunded; the rest of the approved amount is its shortfall,
# shown as such and never as still to come. It is refused, naming the unit and why, when nothing
# is paid yet or the unit is not approved (a batch skips and names those), needs a reason, takes
# no amount, and changes nothing when given again. The refund is dated on the day of the unit's
# last instalment however late the mark is given; a day before it is refused. A clawback of
# goods returned after filing falls due on what was paid. The refund pipeline and `cebgate
# report` count part payments as refunded, what is approved and not paid as to come, and the
# shortfall apart.
. "${CG_SRCDIR:-.}/tests/e2e/refund-lib.sh"

# Three 9710 items of 10 pcs exported 2025-05-10, invoices K x 1,000.00 at a 9 % refund rate:
# refunds 90.00, 180.00 and 270.00, filed and approved in full in B1.
wares 1 3 2025-05-10 2025-05-12
file_b1
st() { sql "SELECT state || ' ' || refunded_fen || ' ' || refunded_on || ' ' || clawback_fen FROM rf_unit WHERE entry_id = '31012025000000090$1'"; }
# the amounts of the pipeline and of cebgate report's units by state
F="units refund refunded to_come shortfall"
events() { sql "SELECT count(*) FROM rf_event WHERE unit_id = (SELECT id FROM rf_unit WHERE entry_id = '31012025000000090$1')"; }

# ---- nothing paid yet: refused
expect_rc 1 "U1 with nothing paid cannot be final" cg refund mark-final $U1 --note "notice 1" --date 2025-07-10
check "  the reason names the unit and says nothing is paid" \
    grep -q "unit $U1 is APPROVED with nothing paid yet of the CNY 90.00 approved" "$T/err"
check "  U1 still APPROVED" [ "$(st 1)" = "APPROVED 0  0" ]

# ---- U1 paid 50.00 of 90.00; U2 100.00 of 180.00; 2 of U2's 10 pcs come back after filing
expect_rc 0 "U1: 50.00 of 90.00 paid" cg refund mark-paid $U1 --amount 50.00 --date 2025-07-20 --note TR-1
expect_rc 0 "U2: 100.00 of 180.00 paid" cg refund mark-paid $U2 --amount 100.00 --date 2025-08-01 --note TR-2
expect_rc 0 "U2: 2 pcs back after filing" cg refund return $U2 2 --date 2025-08-10
# APPROVED in 2025-05: 90.00 + 180.00 + 270.00 = 540.00; paid 50.00 + 100.00 = 150.00; to come
# 540.00 - 150.00 = 390.00
check "pipeline: the part payments count as refunded, the rest to come" \
    [ "$(pipe 2025-05 APPROVED $F)" = "3 540.00 150.00 390.00 0.00" ]
check "cebgate report: the same per state" [ "$(morning 2025-10-01 APPROVED $F)" = "3 540.00 150.00 390.00 0.00" ]

# ---- U1 closed: refunded 50.00, shortfall 90.00 - 50.00 = 40.00
expect_rc 1 "final needs a reason" cg refund mark-final $U1 --date 2025-09-30
check "  the reason names the unit" grep -q "unit $U1: final needs a reason" "$T/err"
expect_rc 1 "final takes no amount" cg refund mark-final $U1 --amount 50.00 --note "notice 2" --date 2025-09-30
check "  nothing changed" [ "$(st 1)" = "APPROVED 0  0" ]
expect_rc 0 "U1: the tax office pays no more" \
    cg refund mark-final $U1 --note "notice 2025-09: no further payment" --date 2025-09-30
check "  1 unit moved" grep -q "^final: 1 unit moved" "$T/out"
check "  U1 REFUNDED 50.00 on 2025-09-30" [ "$(st 1)" = "REFUNDED 5000 2025-09-30 0" ]
check "  units: paid 50.00, nothing to come, shortfall 40.00" \
    [ "$(unit $U1 paid) $(unit $U1 to_come) $(unit $U1 shortfall)" = "50.00 0.00 40.00" ]
check "  explain shows the shortfall" \
    explained $U1 "paid so far CNY 50.00 of CNY 90.00 approved, still to come CNY 0.00, shortfall CNY 40.00"
check "  the event has the reason and the figures" explained $U1 \
    "final on 2025-09-30: notice 2025-09: no further payment: refunded CNY 50.00 of CNY 90.00 approved, shortfall CNY 40.00"
N=$(events 1)
expect_rc 0 "the same mark again" cg refund mark-final $U1 --note "notice 2025-09: no further payment" --date 2025-09-30
check "  changes nothing" [ "$(st 1) $(events 1)" = "REFUNDED 5000 2025-09-30 0 $N" ]
check "  0 units moved" grep -q "^final: 0 units moved" "$T/out"
expect_rc 1 "a payment after the close" cg refund mark-paid $U1 --amount 40.00 --date 2025-10-01 --note TR-3
check "  the reason says the unit is closed" \
    grep -q "unit $U1 is closed: the tax office pays no more (paid CNY 50.00 of CNY 90.00 approved, shortfall CNY 40.00)" "$T/err"

# ---- the batch: U1 closed already, U2 closed now, U3 (nothing paid) skipped and named
expect_rc 0 "B1 final" cg refund mark-final B1 --note "notice 2025-09" --date 2025-09-30
check "  1 unit moved" grep -q "^final: 1 unit moved" "$T/out"
check "  U3 skipped with the reason" \
    grep -q "skipped from B1: unit $U3 is APPROVED with nothing paid yet of the CNY 270.00 approved" "$T/out"
# U2: refunded 100.00, shortfall 180.00 - 100.00 = 80.00; 2 of 10 pcs back since filing:
# clawback 100.00 x 2 / 10 = 20.00
check "  U2 refunded 100.00, clawback 20.00 due" [ "$(st 2)" = "CLAWBACK_DUE 10000 2025-09-30 2000" ]
check "  U2 shortfall 80.00, nothing to come" [ "$(unit $U2 shortfall) $(unit $U2 to_come)" = "80.00 0.00" ]
check "  U3 still APPROVED, 270.00 to come" [ "$(st 3) $(unit $U3 to_come)" = "APPROVED 0  0 270.00" ]
expect_rc 0 "U3 paid in full" cg refund mark-paid $U3 --date 2025-10-01
check "  U3 no shortfall" [ "$(st 3) $(unit $U3 shortfall)" = "REFUNDED 27000 2025-10-01 0 0.00" ]
expect_rc 0 "B1 final again: nothing left to close" cg refund mark-final B1 --note "notice 2025-09" --date 2025-09-30
check "  0 units moved, none skipped" [ "$(cat "$T/out")" = "final: 0 units moved" ]

# ---- not approved: U4 and U5 ready in B2
wares 4 5 2025-05-10 2025-05-12
expect_rc 0 "batch B2" cg refund prepare --period 202506 --as-of 2025-06-05
expect_rc 1 "U4 READY cannot be final" cg refund mark-final $U4 --note "notice 3"
check "  the reason names the unit and its state" grep -q "unit $U4 is READY, not APPROVED" "$T/err"
expect_rc 1 "B2 with no unit approved" cg refund mark-final B2 --note "notice 3"
check "  refused, naming a unit" \
    grep -q "no unit of batch B2 can be closed as final: unit $U4 is READY, not APPROVED.* (and the others likewise)" "$T/err"
expect_rc 0 "B2 pre-checked" cg refund mark-prechecked B2 --date 2025-06-08
expect_rc 0 "B2 filed" cg refund mark-filed B2 --date 2025-06-10
expect_rc 0 "B2 approved" cg refund mark-approved B2 --date 2025-07-01

# ---- from a result file: U4 (refund 360.00) paid 100.00, then final: shortfall 260.00
printf '%s\n310120250000000905,1,final,,2025-09-30,\n' "$RESULTS_H" >"$T/res-bad.csv"
expect_rc 1 "a final row without a reason" cg refund results "$T/res-bad.csv"
check "  the file line and the reason" grep -q "^$T/res-bad.csv:2: .*unit $U5: final needs a reason" "$T/err"
printf '%s\n310120250000000904,1,paid,100.00,2025-08-05,TR-9\n310120250000000904,1,final,,2025-09-30,notice 2025-09\n' \
    "$RESULTS_H" >"$T/res.csv"
expect_rc 0 "result file: a part, then final" cg refund results "$T/res.csv"
check "  U4 REFUNDED 100.00, shortfall 260.00" \
    [ "$(st 4) $(unit $U4 shortfall) $(unit $U4 to_come)" = "REFUNDED 10000 2025-09-30 0 260.00 0.00" ]

# ---- the figures: REFUNDED U1 (90.00, paid 50.00), U3 (270.00 in full), U4 (360.00, paid
# 100.00): 720.00, refunded 420.00, shortfall 40.00 + 260.00 = 300.00; CLAWBACK_DUE U2;
# APPROVED U5: 450.00 to come
check "pipeline REFUNDED" [ "$(pipe 2025-05 REFUNDED $F)" = "3 720.00 420.00 0.00 300.00" ]
check "pipeline CLAWBACK_DUE" [ "$(pipe 2025-05 CLAWBACK_DUE $F)" = "1 180.00 100.00 0.00 80.00" ]
check "pipeline APPROVED" [ "$(pipe 2025-05 APPROVED $F)" = "1 450.00 0.00 450.00 0.00" ]
check "cebgate report REFUNDED" [ "$(morning 2025-10-01 REFUNDED $F)" = "3 720.00 420.00 0.00 300.00" ]
check "cebgate report CLAWBACK_DUE" [ "$(morning 2025-10-01 CLAWBACK_DUE $F)" = "1 180.00 100.00 0.00 80.00" ]

# ---- the refund's day is the last instalment's, not the day the mark is given
# U6 (refund 6 x 90.00 = 540.00) and U7 (630.00) approved in B3; U6 paid on 2025-08-20 and,
# recorded after it, on 2025-08-05: its last instalment is of 2025-08-20; U7 paid on 2025-08-10
wares 6 7 2025-05-10 2025-05-12
expect_rc 0 "batch B3" cg refund prepare --period 202506 --as-of 2025-06-05
expect_rc 0 "B3 pre-checked" cg refund mark-prechecked B3 --date 2025-06-08
expect_rc 0 "B3 filed" cg refund mark-filed B3 --date 2025-06-10
expect_rc 0 "B3 approved" cg refund mark-approved B3 --date 2025-07-01
expect_rc 0 "U6: 100.00 paid on 2025-08-20" cg refund mark-paid $U6 --amount 100.00 --date 2025-08-20 --note TR-61
expect_rc 0 "U6: 50.00 paid on 2025-08-05" cg refund mark-paid $U6 --amount 50.00 --date 2025-08-05 --note TR-62
expect_rc 0 "U7: 70.00 paid on 2025-08-10" cg refund mark-paid $U7 --amount 70.00 --date 2025-08-10 --note TR-71
expect_rc 1 "U7 final on a day before its last instalment" \
    cg refund mark-final $U7 --note "notice 4" --date 2025-08-09
check "  the reason names the unit and both days" grep -Fxq \
    "cebgate: unit $U7: final on 2025-08-09 is before its last instalment, paid on 2025-08-10: the refund is closed on that day or later" "$T/err"
check "  U7 still APPROVED" [ "$(st 7)" = "APPROVED 0  0" ]
expect_rc 1 "B3 final on a day before U6's last instalment" \
    cg refund mark-final B3 --note "notice 4" --date 2025-08-15
check "  the reason names U6" \
    grep -q "unit $U6: final on 2025-08-15 is before its last instalment, paid on 2025-08-20" "$T/err"
check "  nothing closed, U7 neither" [ "$(st 6) / $(st 7)" = "APPROVED 0  0 / APPROVED 0  0" ]
expect_rc 0 "B3 final weeks later, without a day" cg refund mark-final B3 --note "notice 4" --as-of 2025-10-20
check "  2 units moved" grep -q "^final: 2 units moved" "$T/out"
# U6: refunded 100.00 + 50.00 = 150.00 on 2025-08-20; U7: 70.00 on 2025-08-10
check "  each REFUNDED on the day of its own last instalment" \
    [ "$(st 6) / $(st 7)" = "REFUNDED 15000 2025-08-20 0 / REFUNDED 7000 2025-08-10 0" ]
check "  the event has that day" explained $U6 \
    "final on 2025-08-20: notice 4: refunded CNY 150.00 of CNY 540.00 approved, shortfall CNY 390.00"

# ---- a result file's final row: its date, when it has one, not before the last instalment;
# without one, the last instalment's day. U5 (450.00) paid 100.00 on 2025-08-05 and 20.00 on
# 2025-08-12
printf '%s\n%s\n%s\n%s\n' "$RESULTS_H" 310120250000000905,1,paid,100.00,2025-08-05,TR-51 \
    310120250000000905,1,paid,20.00,2025-08-12,TR-52 310120250000000905,1,final,,2025-08-11,notice 5 \
    >"$T/res-early.csv"
expect_rc 1 "a final row dated before the last instalment" cg refund results "$T/res-early.csv"
check "  the file line and the reason" grep -Fxq \
    "$T/res-early.csv:4: field date: unit $U5: final on 2025-08-11 is before its last instalment, paid on 2025-08-12: the refund is closed on that day or later" "$T/err"
check "  nothing of the file recorded" [ "$(st 5) $(unit $U5 paid)" = "APPROVED 0  0 0.00" ]
printf '%s\n%s\n%s\n%s\n' "$RESULTS_H" 310120250000000905,1,paid,100.00,2025-08-05,TR-51 \
    310120250000000905,1,paid,20.00,2025-08-12,TR-52 "310120250000000905,1,final,,,notice 5" \
    >"$T/res-nodate.csv"
expect_rc 0 "a final row without a date" cg refund results "$T/res-nodate.csv" --as-of 2025-10-20
check "  U5 REFUNDED 100.00 + 20.00 = 120.00 on 2025-08-12" [ "$(st 5)" = "REFUNDED 12000 2025-08-12 0" ]
finish
