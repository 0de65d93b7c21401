#!/bin/sh
# settle-payout-arrival.sh - `settle arrival RECEIPT PAYOUT`: a bank credit of another amount than
# its payout transferred (the bank's charges taken off it) is not found as the payout's arrival;
# the operator records it so, with who, the day and the note. It is then no order's money, no
# longer among the receipts no order takes, and held once, as what was credited; reconcile counts
# the payout's money in the payout's month and what the bank kept as a fee of the credit's month.
# Refused, saying why, for money out, a charge, a receipt of a payout report, an allocated credit,
# an arrival already, an unknown or arrived payout, one that transferred nothing, an id several
# sellers' payouts have (SELLER/ID then names it) and another currency. `settle arrival --undo`
# takes an arrival back, automatic or not, and the credit is never found again by itself
# (docs/settlement.md, "A payout's arrival in the bank").
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no/' "$W/cebgate.conf"
ME=$(id -un)

usd_orders "$W/incoming/acme/orders.csv" S1=160.40 S2=96.00 S3=67.90 S4=109.90
expect_rc 0 "orders declared" cg run
release 2026-11-20 S1 S2 S3 S4
expect_rc 0 "receipts release the inventories" cg run

P='Payout ID,Payout Date,Currency,Order ID,Transaction ID,Gross Amount,Fee,Net Amount'
# payout 88001: 155.45 + 91.92 = 247.37 transferred
{
    echo "$P"
    echo "88001,2026-11-28,USD,S1,TX-1,160.40,4.95,155.45"
    echo "88001,2026-11-28,USD,S2,TX-2,96.00,4.08,91.92"
} >"$T/po-1.csv"
expect_rc 0 "payout 88001" cg settle import --seller acme "$T/po-1.csv"
# The bank credits it as 232.37: 15.00 of lifting fee taken off. Beside it 10.00 from a payer no
# order names, S3's 67.90, 3.00 wired to a supplier and the bank's fee of 12.00 (coded NCHG).
# 1000.00 + 232.37 + 10.00 + 67.90 - 3.00 - 12.00 = 1295.27.
cat >"$T/bank-1.sta" <<'EOT'
:20:ST1
:25:808-123456-838
:28C:1/1
:60F:C261201USD1000,00
:61:2612011201CD232,37NTRF//HK1
:86:SHOPIFY PAYMENTS PAYOUT P-88001
:61:2612011201CD10,00NTRF//HK2
:86:TRANSFER FROM A FRIEND
:61:2612011201CD67,90NTRF//HK3
:86:PAYMENT ORDER S3
:61:2612011201DD3,00NTRF//HK4
:86:WIRE TO SUPPLIER
:61:2612011201DD12,00NCHG//HK5
:86:ACCOUNT FEE
:62F:C261201USD1295,27
-
EOT
# credit FILE ACCOUNT CURRENCY DAY(YYMMDD) OPEN CLOSE AMOUNT BANKREF TEXT: an MT940 statement of
# one credit
credit() {
    printf ':20:%s\n:25:%s\n:28C:1/1\n:60F:C%s%s%s\n:61:%s%sCD%sNTRF//%s\n:86:%s\n:62F:C%s%s%s\n-\n' \
        "$8" "$2" "$4" "$3" "$5" "$4" "$(echo "$4" | cut -c3-6)" "$7" "$8" "$9" "$4" "$3" "$6" >"$1"
}
credit "$T/bank-eur.sta" 808-123456-839 EUR 261201 0,00 50,00 50,00 HK6 "FROM A FRIEND"
expect_rc 0 "the bank statements" cg settle import --seller acme "$T/bank-1.sta" "$T/bank-eur.sta"
rid() { sql "SELECT id FROM fx_receipt WHERE entry_key LIKE '%:$1'"; }
arrival() { sql "SELECT seller || '|' || payout || '|' || cause || '|' || transferred || '|' || coalesce(recorded_by, '-') || '|' || coalesce(recorded_on, '-') || '|' || coalesce(note, '-') FROM fx_transfer WHERE bank_receipt_id = $1"; }
held() { cg report fx settlement --format csv >"$T/set.csv" && csv_cell "$T/set.csv" USD held; }
un_ids() {
    cg report fx unmatched --format csv >"$T/un.csv" &&
        python3 -c 'import csv,sys
print(" ".join(r["receipt"] for r in csv.DictReader(open(sys.argv[1])) if r["receipt"].isdigit()))' "$T/un.csv"
}
C1=$(rid HK1) C2=$(rid HK2) C3=$(rid HK3) D4=$(rid HK4) D5=$(rid HK5) E6=$(rid HK6)
PO=$(sql "SELECT min(id) FROM fx_receipt WHERE entry_key LIKE 'payout:%'")
check "the credit of 232.37 is no payout's arrival" [ -z "$(arrival "$C1")" ]
check "it is left unmatched, with the 10.00, the wire and the EUR 50.00" [ "$(un_ids)" = "$C1 $C2 $D4 $E6" ]
# held: the payout's 247.37, and the bank's 232.37 + 10.00 + 67.90 - 3.00 - 12.00 = 295.27
check "held counts the payout's money twice: 247.37 + 295.27" [ "$(held)" = "542.64" ]
cg report fx reconcile --format csv >"$T/rec.csv" || fail "reconcile"
# November: the payout, 256.40 gross, fees 4.95 + 4.08; December: 232.37 + 10.00 + 67.90
# received, the fee of 12.00, the wire of 3.00 out
check "reconcile counts the credit as received in December" \
    [ "$(rec 2026-11 received fees refunds net) / $(rec 2026-12 received fees refunds net)" = "256.40 9.03 0.00 247.37 / 310.27 12.00 3.00 295.27" ]
UNM="receipts with money no order takes, value day 7 or more days ago: settle match each to its order, settle arrival a payout's bank credit, or settle charge a bank's charge: cebgate report fx unmatched"
cg report --as-of 2026-12-08 >"$T/needs" 2>&1 || fail "report"
check "the morning report counts the four" grep -qxF "  4  $UNM" "$T/needs"

# ---- refusals, exit 1, nothing recorded
refused() {
    d=$1 msg=$2
    shift 2
    expect_rc 1 "$d" cg settle arrival "$@"
    check "  saying why" [ "$(cat "$T/err")" = "cebgate: $msg" ]
}
refused "money out" "receipt $D4 is money out (USD 3.00 paid): only a bank credit can be a payout's arrival" "$D4" 88001
refused "the bank's charge" "receipt $D5 is the bank's charge (USD 12.00 paid): only a bank credit can be a payout's arrival" "$D5" 88001
refused "a receipt of the payout report" "receipt $PO is a receipt of a payout report or collections CSV, not a bank entry: only a bank credit can be a payout's arrival" "$PO" 88001
refused "a credit allocated to S3" "receipt $C3 is allocated (USD 67.90 to S3 of its USD 67.90): a payout's arrival is no order's money; take it back first (settle unmatch $C3 S3)" "$C3" 88001
refused "an unknown payout" "payout 99999: no such payout imported from a payout report" "$C1" 99999
refused "another currency" "receipt $E6 is in EUR, payout 88001 in USD: a payout arrives in its own currency" "$E6" 88001
refused "no such receipt" "receipt 9999: no such receipt" 9999 88001
expect_rc 2 "without the payout: usage" cg settle arrival "$C1"
check "  saying what is expected" grep -qF "settle arrival RECEIPT PAYOUT [--note TEXT] expected" "$T/err"
expect_rc 2 "--undo for another verb: usage" cg settle match "$C1" S1 --undo
check "  saying so" grep -qF "settle match: --undo is for settle arrival only" "$T/err"

# ---- the operator records it
expect_rc 0 "settle arrival of the 232.37 as payout 88001" \
    cg settle arrival "$C1" 88001 --note "lifting fee 15.00 of the correspondent" --as-of 2026-12-09
check "  saying what the bank kept" [ "$(cat "$T/out")" = \
    "receipt $C1: recorded as the arrival of payout 88001 (USD 247.37 transferred, 232.37 credited: 15.00 less, the bank's charges)" ]
check "  recorded with who, the day and the note" \
    [ "$(arrival "$C1")" = "acme|88001|manual|24737|$ME|2026-12-09|lifting fee 15.00 of the correspondent" ]
check "  the only arrival" [ "$(sql "SELECT count(*) FROM fx_transfer")" -eq 1 ]
check "  and its event" [ "$(sql "SELECT cause_kind || '|' || cause_ref || '|' || detail || '|' || occurred_on FROM fx_event WHERE receipt_id = $C1")" = \
    "OPERATOR|operator: lifting fee 15.00 of the correspondent|recorded as the arrival of payout acme/88001 by $ME (USD 247.37 transferred, 232.37 credited: 15.00 less, the bank's charges)|2026-12-09" ]
check "no longer unmatched" [ "$(un_ids)" = "$C2 $D4 $E6" ]
check "held: the payout's money once, as credited: 295.27" [ "$(held)" = "295.27" ]
cg report fx reconcile --format csv >"$T/rec.csv" || fail "reconcile"
# December: received 10.00 + 67.90; fees 12.00 and the 247.37 - 232.37 = 15.00 the bank kept;
# net 77.90 - 27.00 - 3.00 = 47.90, and with November's 247.37 the 295.27 held
check "reconcile: the 15.00 the bank kept is a fee of December" \
    [ "$(rec 2026-11 received fees refunds net) / $(rec 2026-12 received fees refunds net)" = "256.40 9.03 0.00 247.37 / 77.90 27.00 3.00 47.90" ]
UNM3=$(echo "$UNM" | sed 's/^/  3  /')
cg report --as-of 2026-12-08 >"$T/needs" 2>&1 || fail "report"
check "the morning report counts three" grep -qxF "$UNM3" "$T/needs"
expect_rc 1 "settle match of the arrival is refused" cg settle match "$C1" S1
refused "an arrival already" "receipt $C1 is the arrival of payout 88001 already (manual): settle arrival --undo $C1 takes it back" "$C1" 88001
refused "the payout arrived" "payout 88001 has arrived already: receipt $C1 (manual)" "$C2" 88001

# ---- an automatic arrival taken back: payout 88002 of S4's 109.90 - 3.30, credited in full
{
    echo "$P"
    echo "88002,2026-12-02,USD,S4,TX-4,109.90,3.30,106.60"
} >"$T/po-2.csv"
expect_rc 0 "payout 88002" cg settle import --seller acme "$T/po-2.csv"
credit "$T/bank-2.sta" 808-123456-838 USD 261203 1295,27 1401,87 106,60 HK7 "SHOPIFY PAYMENTS PAYOUT P-88002"
expect_rc 0 "its credit, naming it" cg settle import --seller acme "$T/bank-2.sta"
C7=$(rid HK7)
check "found as its arrival" [ "$(arrival "$C7")" = "acme|88002|auto:payout id|10660|-|-|-" ]
check "held: 295.27 + 106.60" [ "$(held)" = "401.87" ]
expect_rc 0 "settle arrival --undo" cg settle arrival --undo "$C7" --note "not this payout" --as-of 2026-12-10
check "  saying so" [ "$(cat "$T/out")" = \
    "receipt $C7: no longer the arrival of payout 88002 (auto:payout id): an ordinary receipt again, never recorded as an arrival automatically" ]
check "  the arrival gone, its undoing kept" [ "[$(arrival "$C7")] $(sql "SELECT seller || '|' || payout || '|' || cause || '|' || transferred || '|' || undone_by || '|' || undone_on || '|' || note FROM fx_transfer_undone WHERE bank_receipt_id = $C7")" = \
    "[] acme|88002|auto:payout id|10660|$ME|2026-12-10|not this payout" ]
check "  and its event" [ "$(sql "SELECT cause_ref || '|' || detail FROM fx_event WHERE receipt_id = $C7")" = \
    "operator: not this payout|arrival of payout acme/88002 (auto:payout id) taken back by $ME" ]
check "the credit is unmatched again" [ "$(un_ids)" = "$C2 $D4 $E6 $C7" ]
check "held counts it again: 401.87 + 106.60" [ "$(held)" = "508.47" ]
credit "$T/bank-3.sta" 808-123456-838 USD 261204 1401,87 1406,87 5,00 HK8 "FROM A FRIEND"
expect_rc 0 "the next import matches again" cg settle import --seller acme "$T/bank-3.sta"
check "  and does not find it again" [ -z "$(sql "SELECT cause FROM fx_transfer WHERE bank_receipt_id = $C7")" ]
refused "undoing no arrival" "receipt $C2 is no payout's arrival: nothing to take back" --undo "$C2"
expect_rc 0 "the manual arrival taken back" cg settle arrival --undo "$C1"
check "  saying so" [ "$(cat "$T/out")" = \
    "receipt $C1: no longer the arrival of payout 88001 (manual): an ordinary receipt again, never recorded as an arrival automatically" ]
# 295.27 + 106.60 + 106.60 + 5.00 + 247.37 - 0: no arrival left
check "  held gets back the 247.37 it took off: 760.84" [ "$(held)" = "760.84" ]
expect_rc 0 "the operator records the credit of 88002 by hand" cg settle arrival "$C7" acme/88002 --as-of 2026-12-10
check "  of the amount transferred" [ "$(cat "$T/out")" = \
    "receipt $C7: recorded as the arrival of payout acme/88002 (USD 106.60 transferred and credited)" ]
check "  recorded so, held: 760.84 - 106.60" [ "$(arrival "$C7") $(held)" = "acme|88002|manual|10660|$ME|2026-12-10|- 654.24" ]
check "  two undoings kept" [ "$(sql "SELECT count(*) FROM fx_transfer_undone")" -eq 2 ]
check "an arrival is removed only by its undoing" sh -c "sqlite3 '$W/cebgate.db' 'DELETE FROM fx_transfer' 2>&1 | grep -qF 'a payout arrival is removed only when its undoing is recorded'"

# ---- payouts that cannot arrive: one of a refund only, and an id two sellers' payouts have
{
    echo "$P"
    echo "88003,2026-12-05,USD,S1,TX-1,-20.00,0.00,-20.00"
    echo "88009,2026-12-06,USD,S2,TX-9,10.00,0.00,10.00"
} >"$T/po-3.csv"
{
    echo "$P"
    echo "88009,2026-12-06,USD,B1,TX-19,10.00,0.00,10.00"
} >"$T/po-4.csv"
expect_rc 0 "acme's payouts 88003 and 88009" cg settle import --seller acme "$T/po-3.csv"
expect_rc 0 "b2b's payout 88009" cg settle import --seller b2b "$T/po-4.csv"
refused "a payout that transferred nothing" "payout 88003 transferred nothing (USD -20.00): it has no arrival" "$C2" 88003
refused "an id of two sellers' payouts" "payout 88009 is several payouts (acme USD, b2b USD): give it as SELLER/88009" "$C2" 88009
expect_rc 0 "named with its seller" cg settle arrival "$C2" b2b/88009
check "  it is b2b's" [ "$(sql "SELECT seller || '|' || payout FROM fx_transfer WHERE bank_receipt_id = $C2")" = "b2b|88009" ]
finish
