#!/bin/sh
# refund-results-bad.sh - a result file of the tax office with bad rows is refused whole: every
# bad row is named as "file:line: field F: reason", nothing of the file is recorded, and the
# command exits 1 as for any refused file. A `rejected` or `mismatch` row needs the tax office's
# reason: one that is empty, or only blanks, is such a bad row, as is a payment of 0 or an
# approval of 0. A row the unit's state refuses is named by the column at fault. The same
# file dropped into the spool's incoming/ goes to failed/ with those lines in failed/NAME.reason.
# mark-mismatch and mark-final take a note of blanks for no reason either.
. "${CG_SRCDIR:-.}/tests/e2e/refund-lib.sh"

# Four 9710 items exported 2025-05-10, pre-checked in B1: a rejection or mismatch may be
# recorded on each of them.
wares 1 4 2025-05-10 2025-05-12
expect_rc 0 "batch B1" cg refund prepare --period 202506 --as-of 2025-06-05
expect_rc 0 "B1 pre-checked" cg refund mark-prechecked B1 --date 2025-06-08
states() { sql "SELECT group_concat(state || ' ' || reason, ',') FROM (SELECT state, reason FROM rf_unit ORDER BY id)"; }
recorded() { sql "SELECT (SELECT count(*) FROM rf_event) || ' ' || (SELECT count(*) FROM rf_file WHERE kind = 'results')"; }
check "  the four units PRECHECKED, no reason" [ "$(states)" = "PRECHECKED ,PRECHECKED ,PRECHECKED ,PRECHECKED " ]
BEFORE=$(recorded)

# line 2: a rejection without a reason; line 3: a mismatch whose reason is blanks; line 4: a
# rejection with its reason (good); line 5: a day that is none
{
    echo "$RESULTS_H"
    echo "310120250000000901,1,rejected,,2025-07-01,"
    echo "310120250000000902,1,mismatch,,2025-07-01,   "
    echo "310120250000000903,1,rejected,,2025-07-01,invoice not verified"
    echo "310120250000000903,1,rejected,,2025-07-32,invoice not verified"
} >"$T/res-bad.csv"
cp "$T/res-bad.csv" "$T/res-bad.keep"
expect_rc 1 "a result file with a rejection and a mismatch without a reason is refused" \
    cg refund results "$T/res-bad.csv"
cat >"$T/want" <<EOW
$T/res-bad.csv:2: field reason: empty: a rejected row needs the tax office's reason
$T/res-bad.csv:3: field reason: empty: a mismatch row needs the tax office's reason
$T/res-bad.csv:5: field date: '2025-07-32' is not a day (YYYY-MM-DD)
cebgate: $T/res-bad.csv: 3 bad rows: nothing imported
cebgate: some files were refused
EOW
check "  every bad row named with its line, field and why, and nothing else" cmp -s "$T/want" "$T/err"
check "  nothing recorded: the units as they were, no event, the file not known" \
    [ "$(states) / $(recorded)" = "PRECHECKED ,PRECHECKED ,PRECHECKED ,PRECHECKED  / $BEFORE" ]
check "  the file kept as it was" cmp -s "$T/res-bad.csv" "$T/res-bad.keep"

# ---- the same file through the spool's incoming/
cp "$T/res-bad.keep" "$W/incoming/res-bad.csv"
expect_rc 1 "cebgate run refuses the result file from incoming/" cg run
check "  it is in failed/, not left in incoming/" \
    [ -f "$W/failed/res-bad.csv" ] && [ ! -e "$W/incoming/res-bad.csv" ]
cat >"$T/want" <<EOW
res-bad.csv:2: field reason: empty: a rejected row needs the tax office's reason
res-bad.csv:3: field reason: empty: a mismatch row needs the tax office's reason
res-bad.csv:5: field date: '2025-07-32' is not a day (YYYY-MM-DD)
res-bad.csv: 3 bad rows: nothing imported
EOW
check "  failed/res-bad.csv.reason names every bad row with its line" \
    cmp -s "$T/want" "$W/failed/res-bad.csv.reason"
check "  the summary counts it as a file taken and failed" \
    grep -Fxq "summary: 1 file taken (0 done, 1 failed, 0 duplicate)" "$T/out"
check "  nothing recorded" [ "$(states) / $(recorded)" = "PRECHECKED ,PRECHECKED ,PRECHECKED ,PRECHECKED  / $BEFORE" ]
# The same name refused again (the tax office's monthly file is often named alike): kept beside
# the first as res-bad.csv.1, with its own reason; the first is left as it was.
cp "$T/res-bad.keep" "$W/incoming/res-bad.csv"
expect_rc 1 "cebgate run refuses a second file of that name" cg run
check "  it is failed/res-bad.csv.1, not left in incoming/" \
    [ -f "$W/failed/res-bad.csv.1" ] && [ ! -e "$W/incoming/res-bad.csv" ]
check "  with its own reason" cmp -s "$T/want" "$W/failed/res-bad.csv.1.reason"
check "  the first one kept with its reason" \
    cmp -s "$T/res-bad.keep" "$W/failed/res-bad.csv" && cmp -s "$T/want" "$W/failed/res-bad.csv.reason"

# ---- with the reasons given, the file is taken
{
    echo "$RESULTS_H"
    echo "310120250000000901,1,rejected,,2025-07-01,no customs record"
    echo "310120250000000902,1,mismatch,,2025-07-01,quantity differs"
    echo "310120250000000903,1,rejected,,2025-07-01,invoice not verified"
} >"$T/res-good.csv"
expect_rc 0 "the corrected file is imported" cg refund results "$T/res-good.csv"
check "  3 rows recorded" grep -q "res-good.csv: results, 3 rows: 3 recorded" "$T/out"
check "  each unit with its outcome and reason" \
    [ "$(states)" = "REJECTED no customs record,MISMATCH quantity differs,REJECTED invoice not verified,PRECHECKED " ]

# ---- a payment of 0: U4 filed and approved (refund 4 x 90.00 = 360.00); line 2 pays 100.00
# of it, line 3 pays nothing
expect_rc 0 "U4 filed" cg refund mark-filed $U4 --date 2025-06-10
# An approval of nothing is no refund (it would wait as "to come" for ever): a bad row of the
# amount, and refused by mark-approved too; the tax office's refusal is recorded as rejected.
BEFORE=$(recorded)
{
    echo "$RESULTS_H"
    echo "310120250000000904,1,approved,0.00,2025-07-01,"
} >"$T/res-app0.csv"
expect_rc 1 "a result file approving 0.00 is refused" cg refund results "$T/res-app0.csv"
cat >"$T/want" <<EOW
$T/res-app0.csv:2: field amount: unit 310120250000000904/1: approved 0.00 is no refund: record the tax office's rejection (rejected, with its reason) instead
cebgate: $T/res-app0.csv: 1 bad row: nothing imported
cebgate: some files were refused
EOW
check "  the row named with its line, the amount field and why" cmp -s "$T/want" "$T/err"
expect_rc 1 "mark-approved --amount 0 is refused" cg refund mark-approved $U4 --amount 0 --date 2025-07-01
check "  says why" grep -Fq "unit 310120250000000904/1: approved 0 is no refund" "$T/err"
check "  nothing recorded, U4 still DECLARED (filed)" \
    [ "$(sql "SELECT state FROM rf_unit WHERE entry_id = '310120250000000904'") / $(recorded)" = "DECLARED / $BEFORE" ]
expect_rc 0 "U4 approved" cg refund mark-approved $U4 --date 2025-07-01
paid4() { sql "SELECT state || ' ' || (SELECT count(*) FROM rf_payment WHERE unit_id = u.id) FROM rf_unit u WHERE entry_id = '310120250000000904'"; }
check "  U4 APPROVED, no payment" [ "$(paid4)" = "APPROVED 0" ]
BEFORE=$(recorded)
{
    echo "$RESULTS_H"
    echo "310120250000000904,1,paid,100.00,2025-07-20,TR-1"
    echo "310120250000000904,1,paid,0.00,2025-07-21,TR-2"
} >"$T/res-zero.csv"
expect_rc 1 "a result file paying 0 is refused" cg refund results "$T/res-zero.csv"
cat >"$T/want" <<EOW
$T/res-zero.csv:3: field amount: '0.00': a payment is an amount above 0
cebgate: $T/res-zero.csv: 1 bad row: nothing imported
cebgate: some files were refused
EOW
check "  the row named with its line, field and why" cmp -s "$T/want" "$T/err"
check "  nothing recorded: no payment, no event" [ "$(paid4) / $(recorded)" = "APPROVED 0 / $BEFORE" ]

# A payment beyond the approved amount is a bad row of its amount, not of its outcome.
{
    echo "$RESULTS_H"
    echo "310120250000000904,1,paid,400.00,2025-07-20,TR-1"
} >"$T/res-over.csv"
expect_rc 1 "a result file paying more than approved is refused" cg refund results "$T/res-over.csv"
cat >"$T/want" <<EOW
$T/res-over.csv:2: field amount: unit 310120250000000904/1: paid CNY 400.00 would bring what is paid to CNY 400.00, beyond the CNY 360.00 approved (paid so far CNY 0.00, still to come CNY 360.00)
cebgate: $T/res-over.csv: 1 bad row: nothing imported
cebgate: some files were refused
EOW
check "  the row named with its line, the amount field and why" cmp -s "$T/want" "$T/err"
check "  nothing recorded" [ "$(paid4) / $(recorded)" = "APPROVED 0 / $BEFORE" ]

# ---- a reason of blanks is no reason for the commands either
expect_rc 2 "mark-mismatch with a note of blanks" cg refund mark-mismatch $U4 --note "   " --date 2025-07-02
check "  says a reason is needed" grep -Fxq "cebgate: a mismatch needs a reason" "$T/err"
expect_rc 1 "mark-final with a note of blanks" cg refund mark-final $U4 --note "   " --date 2025-07-02
check "  says a reason is needed" grep -q "unit $U4: final needs a reason" "$T/err"
check "  nothing recorded" [ "$(paid4) / $(recorded)" = "APPROVED 0 / $BEFORE" ]

# A final row dated before the last instalment is a bad row of its date; one with an amount, of
# its amount. U4 paid 100.00 on 2025-07-20 first.
expect_rc 0 "U4 paid 100.00 on 2025-07-20" cg refund mark-paid $U4 --amount 100.00 --date 2025-07-20
BEFORE=$(recorded)
{
    echo "$RESULTS_H"
    echo "310120250000000904,1,final,,2025-07-10,office pays no more"
    echo "310120250000000904,1,final,5.00,2025-07-25,office pays no more"
} >"$T/res-final.csv"
expect_rc 1 "a result file with bad final rows is refused" cg refund results "$T/res-final.csv"
cat >"$T/want" <<EOW
$T/res-final.csv:2: field date: unit 310120250000000904/1: final on 2025-07-10 is before its last instalment, paid on 2025-07-20: the refund is closed on that day or later
$T/res-final.csv:3: field amount: unit 310120250000000904/1: final takes no amount: what is refunded is what was paid (mark-paid the last part first)
cebgate: $T/res-final.csv: 2 bad rows: nothing imported
cebgate: some files were refused
EOW
check "  each row named with its line, its field and why" cmp -s "$T/want" "$T/err"
check "  nothing recorded: U4 APPROVED with its one payment" [ "$(paid4) / $(recorded)" = "APPROVED 1 / $BEFORE" ]
finish
