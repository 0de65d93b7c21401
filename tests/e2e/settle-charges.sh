#!/bin/sh
# settle-charges.sh - an outgoing bank entry the bank codes as its own charge (camt BkTxCd
# sub-family CHRG, FEES or COMM; MT940 transaction type CHG or COM), such as an account's
# monthly fee, is counted in `report fx reconcile` with the fees, not as a refund to a buyer,
# and is never matched to an order, even one its text names. So is one coded otherwise (NMSC, no
# BkTxCd) whose text has a charge word and that names no order. An outgoing transfer to a buyer
# stays a refund (docs/settlement.md, "Reports"; docs/collections-format.md, "Bank charges").
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
charges_setup

# ---- camt.053 for July: C1 and C2 paid, USD 15.00 refunded to C2's buyer, and the account's
# monthly fee of USD 12.00 (ACMT/MDOP/CHRG, no order named).
printf '%s\n' "BK-C1;CRDT;USD;100.00;2025-07-10;2025-07-10;C1;ORDER C1;BUYER ONE" \
    "BK-C2;CRDT;USD;40.00;2025-07-11;2025-07-11;C2;ORDER C2;BUYER TWO" \
    "BK-R2;DBIT;USD;15.00;2025-07-20;2025-07-20;C2;REFUND ORDER C2;" \
    "BK-F7;DBIT;USD;12.00;2025-07-31;2025-07-31;;ACCOUNT MAINTENANCE FEE JULY;;;ACMT/MDOP/CHRG" |
    $SHELPER camt053 "$T/july.xml" CN1200000000000000000066 STMT-JULY
expect_rc 0 "the July statement is imported" cg settle import --seller acme "$T/july.xml"
cg report fx reconcile --format csv >"$T/rec.csv" || fail "reconcile"
# received 100.00 + 40.00 = 140.00; fees: the account fee 12.00; refunds: C2's 15.00;
# net 140.00 - 12.00 - 15.00 = 113.00; difference 140.00 - 15.00 - 140.00 = -15.00;
# ratio (140.00 - 15.00) / 140.00 = 89.2857... % = 89.29
check "July: declared 140.00, received 140.00, fees 12.00, refunds 15.00" \
    [ "$(rec 2025-07 declared) $(rec 2025-07 received) $(rec 2025-07 fees) $(rec 2025-07 refunds)" = "140.00 140.00 12.00 15.00" ]
check "July: net 113.00, difference -15.00, ratio 89.29" \
    [ "$(rec 2025-07 net) $(rec 2025-07 difference) $(rec 2025-07 ratio)" = "113.00 -15.00 89.29" ]
check "the account fee is recorded as the bank's charge, the refund is not" \
    [ "$(sql "SELECT group_concat(charge, ' ') FROM (SELECT charge FROM fx_receipt WHERE direction = 'out' ORDER BY id)")" = "0 1" ]

# ---- MT940 for August: USD 50.00 in, USD 10.00 back to C1's buyer, USD 7.50 of charges
# (NCHG) whose text names C1. 0.00 + 50.00 - 10.00 - 7.50 = 32.50.
cat >"$T/aug.sta" <<'EOT'
:20:ST250831
:25:HSBCHKHH/400123456999
:28C:8/1
:60F:C250731USD0,00
:61:2508050805CD50,00NTRFNONREF//HK250805001
:86:DEPOSIT OWN ACCOUNT
:61:2508120812DD10,00NTRFC1//HK250812002
:86:REFUND TO BUYER ORDER C1
:61:2508310831DD7,50NCHGNONREF//HK250831003
:86:CHARGES FOR TRANSFERS ORDER C1
:62F:C250831USD32,50
-
EOT
expect_rc 0 "the August MT940 statement is imported" cg settle import --seller acme "$T/aug.sta"
cg report fx reconcile --format csv >"$T/rec.csv" || fail "reconcile"
# received 50.00; fees: the NCHG line 7.50; refunds: C1's 10.00; net 50.00 - 7.50 - 10.00 = 32.50
check "August: received 50.00, fees 7.50, refunds 10.00, net 32.50" \
    [ "$(rec 2025-08 received) $(rec 2025-08 fees) $(rec 2025-08 refunds) $(rec 2025-08 net)" = "50.00 7.50 10.00 32.50" ]
check "the charges are not allocated to C1 though their text names it" \
    [ "$(sql "SELECT count(*) FROM fx_allocation a JOIN fx_receipt r ON r.id = a.receipt_id WHERE r.charge = 1")" -eq 0 ]
# C1: 100.00 collected less the 10.00 refunded = 90.00 of 100.00 (tolerance 1.00): PARTIAL
check "C1 collected 100.00 less its buyer's refund of 10.00 only: PARTIAL" \
    sh -c "\"$CEBGATE\" -c \"$W/cebgate.conf\" settle explain C1 --as-of 2025-08-31 | grep -q 'collected USD 90.00'"

# ---- MT940 for September as Bank of China writes it: every debit NMSC, the bank's own charge
# known by its text only. The service charge names no order: a charge. The refund names C2, its
# text has FEE in it: a refund of C2 all the same. COFFEE is no charge word. 32.50 - 6.00 - 4.00
# - 2.00 = 20.50.
cat >"$T/sep.sta" <<'EOT'
:20:ST250930
:25:HSBCHKHH/400123456999
:28C:9/1
:60F:C250831USD32,50
:61:2509300930DD6,00NMSCNONREF//HK250930001
:86:SERVICE CHARGE SEPTEMBER
:61:2509300930DD4,00NMSCNONREF//HK250930002
:86:REFUND C2 HANDLING FEE
:61:2509300930DD2,00NMSCNONREF//HK250930003
:86:COFFEE MACHINE
:62F:C250930USD20,50
-
EOT
expect_rc 0 "the September MT940 statement is imported" cg settle import --seller acme "$T/sep.sta"
check "the import says one debit is a charge by its text" grep -qx \
    "$T/sep.sta: 1 debit naming no order counted as the bank's charge by the charge words of its text (\[settle\] charge_words)" "$T/out"
# ---- camt.053 for October: the account's fee without a bank transaction code, named in its text
printf '%s\n' "BK-F10;DBIT;USD;12.00;2025-10-31;2025-10-31;;ACCOUNT MAINTENANCE FEE OCTOBER;" |
    $SHELPER camt053 "$T/oct.xml" CN1200000000000000000066 STMT-OCT
expect_rc 0 "the October statement is imported" cg settle import --seller acme "$T/oct.xml"
cg report fx reconcile --format csv >"$T/rec.csv" || fail "reconcile"
# September: nothing declared or received; fees: the service charge 6.00; refunds: C2's 4.00 and
# the coffee machine's 2.00 = 6.00; net 0.00 - 6.00 - 6.00 = -12.00; difference 0.00 - 6.00 -
# 0.00 = -6.00; no ratio without a declared amount
check "September: fees 6.00, refunds 6.00, net -12.00, difference -6.00" \
    grep -qx '"USD","2025-09","0.00","","0.00","6.00","6.00","-12.00","-6.00","","0","0",""' "$T/rec.csv"
# October: the account fee 12.00 in the fees, no refund
check "October: fees 12.00, refunds 0.00, net -12.00, difference 0.00" \
    grep -qx '"USD","2025-10","0.00","","0.00","12.00","0.00","-12.00","0.00","","0","0",""' "$T/rec.csv"
check "the refund naming C2 is C2's refund of 4.00" \
    [ "$(sql "SELECT a.kind || ' ' || a.amount_rcpt FROM fx_allocation a JOIN fx_receipt r ON r.id = a.receipt_id JOIN orders o ON o.id = a.order_id WHERE r.entry_key LIKE '%:HK250930002' AND o.order_no = 'C2'")" = "REFUND_OUT 400" ]
check "of the September and October debits, the service charge and the account fee are charges" \
    [ "$(sql "SELECT group_concat(charge, ' ') FROM (SELECT charge FROM fx_receipt WHERE value_on >= '2025-09-01' ORDER BY id)")" = "1 0 0 1" ]

# ---- report fx unmatched: the receipts to act on are the August deposit no order names and the
# coffee machine; the four charges are no order's money, shown apart: 12.00 + 7.50 + 6.00 + 12.00
# = 37.50
DEP=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE '%:HK250805001'")
COF=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE '%:HK250930003'")
cg report fx unmatched --format csv >"$T/un.csv" || fail "unmatched"
check "unmatched: the deposit and the coffee machine, no charge among them" python3 -c 'import csv,sys
rows = list(csv.reader(open(sys.argv[1])))
got = []
for r in rows[1:]:
    if not r:
        break
    d = dict(zip(rows[0], r))
    got.append([d["receipt"], d["direction"], d["currency"], d["unallocated"]])
sys.exit(0 if got == [[sys.argv[2], "in", "USD", "50.00"], [sys.argv[3], "out", "USD", "2.00"]] else 1)' \
    "$T/un.csv" "$DEP" "$COF"
charges_part_is "unmatched CSV: the charges apart after an empty line, 4 of USD 37.50" 4 37.50
cg report fx unmatched >"$T/un.txt" || fail "unmatched table"
printf 'bank charges (not for orders; cebgate report fx charges lists them)\ncurrency  receipts  amount\nUSD       4         37.50\n' >"$T/want"
check "unmatched table: the receipts, an empty line, the charges under their title" \
    sh -c "[ \"\$(sed -n '2p;3p' '$T/un.txt' | cut -d' ' -f1 | tr '\n' ' ')\" = '$DEP $COF ' ] &&
        [ -z \"\$(sed -n 4p '$T/un.txt')\" ] && sed -n '5,\$p' '$T/un.txt' | cmp -s - '$T/want'"
cg report fx unmatched --format json >"$T/un.json" || fail "unmatched json"
check "unmatched JSON: receipts to act on and bank_charges" python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
ok = sorted(j) == ["bank_charges", "receipts"] and [r["receipt"] for r in j["receipts"]] == sys.argv[2:4]
ok = ok and j["bank_charges"] == [{"currency": "USD", "receipts": "4", "amount": "37.50"}]
sys.exit(0 if ok else 1)' "$T/un.json" "$DEP" "$COF"
# The morning report counts the receipts to act on once their value day is [report]
# unmatched_days (7) or more days before the as-of day; never a charge. As of 2025-10-06 only
# the deposit (5 August) is that old; as of 2025-10-07 the coffee machine (30 September) too.
UNM="receipts with money no order takes, value day 7 or more days ago: settle match each to its order, settle arrival a payout's bank credit, or settle charge a bank's charge: cebgate report fx unmatched"
cg report --as-of 2025-10-06 >"$T/needs" 2>&1 || fail "report"
UNM1="receipt with money no order takes, value day 7 or more days ago: settle match it to its order, settle arrival a payout's bank credit, or settle charge a bank's charge: cebgate report fx unmatched"
check "needs on 2025-10-06: the deposit" grep -qxF "  1  $UNM1" "$T/needs"
cg report --as-of 2025-10-07 >"$T/needs" 2>&1 || fail "report"
check "needs on 2025-10-07: the deposit and the coffee machine" grep -qxF "  2  $UNM" "$T/needs"
cg report --as-of 2025-10-07 --seller acme >"$T/needs" 2>&1 || fail "report acme"
check "  the same for acme, whose statements they are" grep -qxF "  2  $UNM" "$T/needs"
cg report --as-of 2025-08-11 >"$T/needs" 2>&1 || fail "report"
check "needs on 2025-08-11: none yet" test -z "$(grep -F 'money no order takes' "$T/needs")"
printf '[report]\nunmatched_days = 0\n' >>"$W/cebgate.conf"
cg report --as-of 2025-09-30 --format json >"$T/needs.json" 2>&1 || fail "report json"
check "unmatched_days = 0: both on the coffee machine's own day, in JSON" python3 -c 'import json,sys
n = [x for x in json.load(open(sys.argv[1]))["needs"] if x["command"] == "cebgate report fx unmatched"]
sys.exit(0 if len(n) == 1 and n[0]["count"] == 2 and "value day 0 or more days ago" in n[0]["what"] else 1)' "$T/needs.json"
cg report fx charges --format csv >"$T/ch.csv" || fail "charges"
check "report fx charges: the four, each recorded at import" python3 -c 'import csv,sys
got = [[r["value_date"], r["currency"], r["amount"], r["recorded"]] for r in csv.DictReader(open(sys.argv[1]))]
want = [["2025-07-31", "USD", "12.00", "at import"], ["2025-08-31", "USD", "7.50", "at import"],
        ["2025-09-30", "USD", "6.00", "at import"], ["2025-10-31", "USD", "12.00", "at import"]]
print(got) if got != want else None
sys.exit(0 if got == want else 1)' "$T/ch.csv"
finish
