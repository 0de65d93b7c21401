#!/bin/sh
# refund-instalments.sh - an approved refund the tax office pays in parts. Each payment with an
# amount adds to what is paid; the unit is REFUNDED when the total reaches the approved
# amount; a payment beyond it is refused. A payment is recognised by its day, amount and
# reference (--note, or the reason column of a result file): the same command run again, or
# the same row in another result file, is not counted twice. `report refund units` and
# `refund explain` show what is paid so far and what is still to come, and so do the refund
# pipeline and `cebgate report` per state (the parts paid as refunded, the rest as to come).
. "${CG_SRCDIR:-.}/tests/e2e/refund-lib.sh"

# Two 9710 items of 10 pcs, invoices 1,000.00 and 2,000.00 at a 9 % refund rate: refunds 90.00
# and 180.00, filed and approved in B1.
wares 1 2 2025-05-10 2025-05-12
file_b1
paid() { sql "SELECT state || ' ' || refunded_fen || ' ' || refunded_on FROM rf_unit WHERE entry_id = '31012025000000090$1'"; }
events() { sql "SELECT count(*) FROM rf_event WHERE unit_id = (SELECT id FROM rf_unit WHERE entry_id = '31012025000000090$1')"; }

# ---- U1: 50.00, then the same command again, then too much, then the 40.00 left
expect_rc 0 "U1: 50.00 of 90.00 paid" cg refund mark-paid $U1 --amount 50.00 --date 2025-07-20 --note TR-1
check "  U1 still APPROVED, not refunded yet" [ "$(paid 1)" = "APPROVED 0 " ]
check "  paid so far 50.00, still to come 40.00" [ "$(unit $U1 paid) $(unit $U1 to_come)" = "50.00 40.00" ]
check "  explain says so" explained $U1 "paid so far CNY 50.00 of CNY 90.00 approved, still to come CNY 40.00"
# APPROVED in 2025-05: U1 and U2, 90.00 + 180.00 = 270.00; paid 50.00; to come 40.00 + 180.00
check "  report refund pipeline: 50.00 refunded, 220.00 to come" \
    [ "$(pipe 2025-05 APPROVED units refund refunded to_come)" = "2 270.00 50.00 220.00" ]
check "  cebgate report, refunds by state: the same" \
    [ "$(morning 2025-08-01 APPROVED units refund refunded to_come)" = "2 270.00 50.00 220.00" ]
N=$(events 1)
expect_rc 0 "the same payment again" cg refund mark-paid $U1 --amount 50.00 --date 2025-07-20 --note TR-1
check "  not counted twice: paid 50.00, no new event" [ "$(unit $U1 paid) $(unit $U1 to_come) $(events 1)" = "50.00 40.00 $N" ]
expect_rc 1 "50.00 more would pass the approved 90.00" cg refund mark-paid $U1 --amount 50.00 --date 2025-08-20 --note TR-2
check "  the reason gives the figures" \
    grep -q "unit $U1: paid CNY 50.00 would bring what is paid to CNY 100.00, beyond the CNY 90.00 approved (paid so far CNY 50.00, still to come CNY 40.00)" "$T/err"
check "  nothing changed" [ "$(unit $U1 paid) $(paid 1)" = "50.00 APPROVED 0 " ]
expect_rc 0 "U1: the 40.00 left" cg refund mark-paid $U1 --amount 40.00 --date 2025-08-20 --note TR-2
check "  U1 REFUNDED 90.00 on 2025-08-20, nothing to come" \
    [ "$(paid 1) $(unit $U1 paid) $(unit $U1 to_come)" = "REFUNDED 9000 2025-08-20 90.00 0.00" ]
N=$(events 1)
expect_rc 0 "the last payment again" cg refund mark-paid $U1 --amount 40.00 --date 2025-08-20 --note TR-2
check "  changes nothing" [ "$(paid 1) $(events 1)" = "REFUNDED 9000 2025-08-20 $N" ]
expect_rc 1 "a payment on a unit paid in full" cg refund mark-paid $U1 --amount 10.00 --date 2025-08-21
check "  the reason says it is paid in full" grep -q "unit $U1 is paid in full already (CNY 90.00)" "$T/err"

# ---- U2 from result files: 90.00 and 90.00 on two days; the second file repeats the first row
printf '%s\n310120250000000902,1,paid,90.00,2025-07-25,\n' "$RESULTS_H" >"$T/res1.csv"
printf '%s\n310120250000000902,1,paid,90.00,2025-07-25,\n310120250000000902,1,paid,90.00,2025-08-25,\n' \
    "$RESULTS_H" >"$T/res2.csv"
expect_rc 0 "first result file: 90.00 of 180.00" cg refund results "$T/res1.csv"
check "  U2 APPROVED, 90.00 paid, 90.00 to come" [ "$(paid 2) $(unit $U2 paid) $(unit $U2 to_come)" = "APPROVED 0  90.00 90.00" ]
expect_rc 0 "second result file: its first row again, then 90.00 on another day" cg refund results "$T/res2.csv"
check "  U2 REFUNDED 180.00 on 2025-08-25: the repeated row counted once" \
    [ "$(paid 2) $(unit $U2 paid) $(unit $U2 to_come)" = "REFUNDED 18000 2025-08-25 180.00 0.00" ]
finish
