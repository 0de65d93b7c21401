#!/bin/sh
# refund-reversal.sh - T2 of SETTLE-REFUND.md (CNY 5,850.00 refunded, 100 of 1,000 pcs back:
# clawback 5,850.00 x 100/1,000 = 585.00, the FX order COLLECTED at 9,000.00 of 9,000.00) with
# the operator's and the bank's events in different orders. When the buyer refund (DBIT) is
# imported before the returned goods are marked in settle/, the order is PARTIAL for a while
# and `refund sync` reverses the collection (all of the refund clawed back); once the order is
# COLLECTED again, that clawback is undone and the return counts by rule 5, never below what
# was repaid already. Six units of the same figures, one per order:
#   E1/order E2: DBIT, sync, marked returned, refund return, sync (the reversal comes first);
#   E3/order E3: refund return, DBIT, marked returned, sync (the straightforward order);
#   E4/order E4: DBIT, sync, marked returned, sync, then refund return;
#   E5/order E5: DBIT, sync, 1,000.00 repaid, marked returned, sync, refund return;
#   E6/order E6: DBIT, sync, 1,000.00 repaid, refund return, marked returned, sync;
#   E7/order E7: DBIT, sync, 2,000.00 repaid, marked returned, sync, reclaimed in two parts.
# E5 and E6 repaid more than the rule asks once the collection is restored: 1,000.00 against
# 5,850.00 x 100/1,000 = 585.00 leaves 415.00 overpaid, to be reclaimed from the tax office
# (E5 all of its 1,000.00 until its goods come back, nothing being owed before); `refund reclaimed`
# records the money back (E5): clawback and repaid 585.00, nothing overpaid. E7 has no goods back:
# all of its 2,000.00 is overpaid, and once all of it is paid back it is REFUNDED again.
. "${CG_SRCDIR:-.}/tests/e2e/refund-lib.sh"

ACCT=CN1200000000000000000001
{
    echo "$RATES_H"
    echo "6912000000,2025-01-01,,9,13,"
} >"$T/rates.csv"
expect_rc 0 "refund rates loaded" cg refund rates "$T/rates.csv"

# 9710 declarations, 1,000 mugs each, USD 10,000.00; invoices CNY 65,000.00 excl. VAT, rate 9 %
{
    echo "$ENTRIES_H"
    for n in 1 3 4 5 6 7; do
        echo "31012025000000000$n,1,9710,,2025-05-10,6912000000,Mug,350ml,pcs,1000,71000.00,,,E$((n == 1 ? 2 : n)),2025-05-12,"
    done
} >"$T/entries.csv"
{
    echo "$INVOICES_H"
    for n in 1 3 4 5 6 7; do
        echo "3100251130,0001234$n,1,2025-05-20,91310000MA1FL0XX1X,Mug,350ml,pcs,1000,65000.00,13,8450.00,"
    done
} >"$T/invoices.csv"
E1=310120250000000001/1
E3=310120250000000003/1
E4=310120250000000004/1
E5=310120250000000005/1
E6=310120250000000006/1
E7=310120250000000007/1
expect_rc 0 "declaration items imported" cg refund entries "$T/entries.csv" --as-of 2025-05-12
expect_rc 0 "invoices imported and matched" cg refund invoices "$T/invoices.csv" --as-of 2025-05-21
{
    echo "order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight"
    for o in 2 3 4 5 6 7; do
        echo "E$o,USD,US,USNY,0.00,MUG-1,Mug,1000,10.00,3120980105,SF Express,SF000000000000$o,400"
    done
} >"$W/incoming/acme/orders.csv"
expect_rc 0 "orders declared" cg run
release 2025-05-10 E2 E3 E4 E5 E6 E7
expect_rc 0 "orders released" cg run
for o in 2 3 4 5 6 7; do
    echo "E$o-IN-1;CRDT;USD;10000.00;2025-05-28;2025-05-28;E$o;E$o GOODS;GLOBAL BUYER INC"
done | $SHELPER camt053 "$T/in.xml" $ACCT STMT-2025-05-28
expect_rc 0 "USD 10,000.00 collected for each order" cg settle import "$T/in.xml" --seller acme
expect_rc 0 "collections taken from settle" cg refund sync --as-of 2025-06-01
check "all four ready" \
    [ "$(unit $E1 state) $(unit $E3 state) $(unit $E4 state) $(unit $E5 state)" = "READY READY READY READY" ]
file_b1
expect_rc 0 "B1 paid on 2025-07-20" cg refund mark-paid B1 --date 2025-07-20
check "each refunded 5850.00 (65,000.00 x 9 %)" \
    [ "$(unit $E1 refunded) $(unit $E3 refunded) $(unit $E4 refunded) $(unit $E5 refunded)" = "5850.00 5850.00 5850.00 5850.00" ]

# the buyer refund of USD 1,000.00 for a given order, on 2025-09-01
dbit() {
    echo "E$1-RF-1;DBIT;USD;1000.00;2025-09-01;2025-09-01;E$1;REFUND 100 PCS RETURNED;" |
        $SHELPER camt053 "$T/rf$1.xml" $ACCT "STMT-2025-09-01-$1"
    cg settle import "$T/rf$1.xml" --seller acme
}
marked() {
    cg settle mark "E$1" returned 1000.00 --note "100 pcs returned" --as-of 2025-09-01
}
# clawback_state UNIT: state, clawback, repaid and returned quantity of the unit
clawback_state() {
    cg report refund clawbacks --format csv >"$T/claw.csv" || return 1
    echo "$(unit "$1" state) $(csv_cell "$T/claw.csv" "$1" clawback)" \
        "$(csv_cell "$T/claw.csv" "$1" repaid) $(csv_cell "$T/claw.csv" "$1" returned)"
}
# overpaid UNIT: the overpaid column of the clawbacks report and what is due
overpaid() {
    cg report refund clawbacks --format csv >"$T/claw.csv" || return 1
    echo "$(csv_cell "$T/claw.csv" "$1" overpaid) $(csv_cell "$T/claw.csv" "$1" due)"
}

# ---- E1: the buyer refund first, the collection reversed, then restored
expect_rc 0 "E1: buyer refund imported" dbit 2
expect_rc 0 "E1: sync while order E2 is PARTIAL" cg refund sync --as-of 2025-09-01
check "E1: collection reversed, all of the refund due meanwhile" \
    [ "$(unit $E1 state) $(unit $E1 clawback)" = "CLAWBACK_DUE 5850.00" ]
expect_rc 0 "E1: returned goods marked in settle" marked 2
expect_rc 0 "E1: settle explain" cg settle explain E2 --as-of 2025-09-01
check "E1: order E2 COLLECTED again at 9000.00" grep -q '^order acme/E2  COLLECTED$' "$T/out"
expect_rc 0 "E1: 100 pcs returned" cg refund return $E1 100 --date 2025-09-01 --as-of 2025-09-01
expect_rc 0 "E1: sync after the return" cg refund sync --as-of 2025-09-02
check "E1: clawback 585.00 (5,850.00 x 100/1,000), nothing repaid, 100 back" \
    [ "$(clawback_state $E1)" = "CLAWBACK_DUE 585.00 0.00 100" ]
cg refund explain $E1 >"$T/explain.txt"
check "E1: the event says why the clawback went down" \
    grep -q "IMPORT settle: collection restored: order E2 is COLLECTED again; clawback CNY 585.00 instead of 5850.00" "$T/explain.txt"
expect_rc 0 "E1: another sync changes nothing" cg refund sync --as-of 2025-09-03
check "E1: still 585.00" [ "$(clawback_state $E1)" = "CLAWBACK_DUE 585.00 0.00 100" ]

# ---- E3: the return first, then the buyer refund and the returned goods, then sync
expect_rc 0 "E3: 100 pcs returned" cg refund return $E3 100 --date 2025-09-01 --as-of 2025-09-01
check "E3: clawback 585.00 at once" [ "$(clawback_state $E3)" = "CLAWBACK_DUE 585.00 0.00 100" ]
expect_rc 0 "E3: buyer refund imported" dbit 3
expect_rc 0 "E3: returned goods marked in settle" marked 3
expect_rc 0 "E3: sync" cg refund sync --as-of 2025-09-02
check "E3: clawback 585.00" [ "$(clawback_state $E3)" = "CLAWBACK_DUE 585.00 0.00 100" ]

# ---- E4: reversed and restored before the goods are returned to the refund side
expect_rc 0 "E4: buyer refund imported" dbit 4
expect_rc 0 "E4: sync while order E4 is PARTIAL" cg refund sync --as-of 2025-09-01
expect_rc 0 "E4: returned goods marked in settle" marked 4
expect_rc 0 "E4: sync while order E4 is COLLECTED" cg refund sync --as-of 2025-09-01
check "E4: nothing returned yet: REFUNDED, no clawback" \
    [ "$(unit $E4 state) $(unit $E4 clawback)" = "REFUNDED 0.00" ]
expect_rc 0 "E4: 100 pcs returned" cg refund return $E4 100 --date 2025-09-01 --as-of 2025-09-01
check "E4: clawback 585.00" [ "$(clawback_state $E4)" = "CLAWBACK_DUE 585.00 0.00 100" ]

# ---- E5: part of the reversal's clawback repaid before the collection is restored
expect_rc 0 "E5: buyer refund imported" dbit 5
expect_rc 0 "E5: sync while order E5 is PARTIAL" cg refund sync --as-of 2025-09-01
expect_rc 0 "E5: 1000.00 of 5850.00 repaid" cg refund clawback $E5 --amount 1000.00 --date 2025-09-01
expect_rc 0 "E5: returned goods marked in settle" marked 5
expect_rc 0 "E5: sync while order E5 is COLLECTED" cg refund sync --as-of 2025-09-02
check "E5: never below what was repaid: 1000.00, paid" \
    [ "$(unit $E5 state) $(unit $E5 clawback)" = "CLAWBACK_PAID 1000.00" ]
check "E5: nothing back, nothing owed: all of the 1000.00 overpaid, nothing due" \
    [ "$(overpaid $E5)" = "1000.00 0.00" ]
cg refund explain $E5 >"$T/explain.txt"
check "E5: the event states the overpayment and that it is to be reclaimed" \
    grep -q "IMPORT settle: collection restored: order E5 is COLLECTED again; clawback CNY 1000.00 instead of 5850.00 (returns since filing, not less than repaid); CNY 1000.00 repaid beyond the CNY 0.00 the rule asks: overpaid, to be reclaimed from the tax office" "$T/explain.txt"
expect_rc 0 "E5: 100 pcs returned" cg refund return $E5 100 --date 2025-09-02 --as-of 2025-09-02
check "E5: the rule's 585.00 is covered by the 1000.00 repaid" \
    [ "$(clawback_state $E5)" = "CLAWBACK_PAID 1000.00 1000.00 100" ]
check "E5: overpaid 1000.00 - 585.00 = 415.00" [ "$(overpaid $E5)" = "415.00 0.00" ]
cg refund explain $E5 >"$T/explain.txt"
check "E5: the return's event says what stays overpaid" \
    grep -q "returned 100 on 2025-09-02; clawback CNY 0.00; overpaid CNY 415.00, to be reclaimed" "$T/explain.txt"
check "E5: explain shows it" grep -q "clawback 1000.00 (repaid 1000.00, overpaid 415.00)" "$T/explain.txt"
expect_rc 1 "E5: more reclaimed than overpaid is refused" \
    cg refund reclaimed $E5 --amount 415.01 --date 2025-10-15
check "E5: the reason says what is overpaid" grep -q "41500 fen overpaid, not 41501" "$T/err"
expect_rc 0 "E5: the tax office paid back the overpayment" \
    cg refund reclaimed $E5 --date 2025-10-15
said "E5: the command says so: 1000.00 - 415.00 = 585.00 clawed back" \
    "unit $E5: CLAWBACK_PAID: overpaid CNY 415.00 paid back by the tax office on 2025-10-15; clawback CNY 585.00"
check "E5: clawback and repaid the rule's 585.00, nothing overpaid" \
    [ "$(clawback_state $E5) $(overpaid $E5)" = "CLAWBACK_PAID 585.00 585.00 100 0.00 0.00" ]

# ---- E6: part repaid while reversed, the goods back, then the collection restored
expect_rc 0 "E6: buyer refund imported" dbit 6
expect_rc 0 "E6: sync while order E6 is PARTIAL" cg refund sync --as-of 2025-09-01
expect_rc 0 "E6: 1000.00 of 5850.00 repaid" cg refund clawback $E6 --amount 1000.00 --date 2025-09-01
expect_rc 0 "E6: 100 pcs returned" cg refund return $E6 100 --date 2025-09-01 --as-of 2025-09-01
check "E6: still all of the refund owed while reversed, nothing overpaid" \
    [ "$(clawback_state $E6) $(overpaid $E6)" = "CLAWBACK_DUE 5850.00 1000.00 100 0.00 4850.00" ]
expect_rc 0 "E6: returned goods marked in settle" marked 6
expect_rc 0 "E6: sync while order E6 is COLLECTED" cg refund sync --as-of 2025-09-02
check "E6: 1000.00 repaid covers the rule's 585.00: paid, 415.00 overpaid" \
    [ "$(clawback_state $E6) $(overpaid $E6)" = "CLAWBACK_PAID 1000.00 1000.00 100 415.00 0.00" ]
cg refund explain $E6 >"$T/explain.txt"
check "E6: the event states it" \
    grep -q "CLAWBACK_DUE -> CLAWBACK_PAID  IMPORT settle: collection restored: order E6 is COLLECTED again; clawback CNY 1000.00 instead of 5850.00 (returns since filing, not less than repaid); CNY 415.00 repaid beyond the CNY 585.00 the rule asks: overpaid, to be reclaimed from the tax office" "$T/explain.txt"
expect_rc 1 "E4: nothing overpaid, nothing to reclaim" cg refund reclaimed $E4 --date 2025-10-15

# ---- E7: 2000.00 repaid while reversed, restored with no goods back, paid back in two parts
expect_rc 0 "E7: buyer refund imported" dbit 7
expect_rc 0 "E7: sync while order E7 is PARTIAL" cg refund sync --as-of 2025-09-01
expect_rc 0 "E7: 2000.00 repaid" cg refund clawback $E7 --amount 2000.00 --date 2025-09-01
said "E7: the command says what is still due: 5850.00 - 2000.00" \
    "unit $E7: CLAWBACK_DUE: clawback repaid CNY 2000.00 on 2025-09-01, CNY 3850.00 still due"
expect_rc 0 "E7: returned goods marked in settle" marked 7
expect_rc 0 "E7: sync while order E7 is COLLECTED" cg refund sync --as-of 2025-09-02
check "E7: nothing back: all of the 2000.00 overpaid" \
    [ "$(clawback_state $E7) $(overpaid $E7)" = "CLAWBACK_PAID 2000.00 2000.00 0 2000.00 0.00" ]
expect_rc 0 "E7: 500.00 paid back" cg refund reclaimed $E7 --amount 500.00 --date 2025-10-15
said "E7: the command says so" \
    "unit $E7: CLAWBACK_PAID: overpaid CNY 500.00 paid back by the tax office on 2025-10-15; clawback CNY 1500.00"
check "E7: 1500.00 left overpaid" \
    [ "$(clawback_state $E7) $(overpaid $E7)" = "CLAWBACK_PAID 1500.00 1500.00 0 1500.00 0.00" ]
expect_rc 0 "E7: the rest paid back" cg refund reclaimed $E7 --date 2025-10-20
said "E7: the command says so, REFUNDED" \
    "unit $E7: REFUNDED: overpaid CNY 1500.00 paid back by the tax office on 2025-10-20; clawback CNY 0.00"
check "E7: nothing clawed back: REFUNDED, out of the clawbacks report" \
    [ "$(unit $E7 state) $(unit $E7 clawback) $(overpaid $E7)" = "REFUNDED 0.00  " ]
cg refund explain $E7 >"$T/explain.txt"
check "E7: the event says so" \
    grep -q "CLAWBACK_PAID -> REFUNDED  OPERATOR reclaimed: overpaid CNY 1500.00 paid back by the tax office on 2025-10-20; clawback CNY 0.00" "$T/explain.txt"

finish
