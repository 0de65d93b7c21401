#!/bin/sh
# settle-charge-mark.sh - `settle charge RECEIPT --reason TEXT`: a debit recorded as money out
# (imported before the charge words, or with other words) is recorded by the operator as the
# bank's own charge, with who, the day and why; refused, saying why, for money in, a debit
# allocated to an order (wholly or partly) and a charge already. `report fx unmatched` lists the
# receipts to act on and shows the bank's charges apart, per currency; `report fx charges` lists
# them (docs/settlement.md, "Bank charges recorded by the operator").
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
ME=$(id -un)
charges_setup

# ---- July, imported as a cebgate without charge words would have: C1 paid 100.00, a service
# charge of 6.00 (NMSC, a charge by its text only: money out here), the bank's fee of 12.00
# coded NCHG (a charge whatever the words), 15.00 refunded to C1's buyer, 3.00 wired to a
# supplier, 25.00 from a payer no order names, and 2.50 of the bank's charges for C1's payment
# (NMSC, its text naming C1: without the charge words, a refund of C1). 100.00 - 6.00 - 12.00 -
# 15.00 - 3.00 + 25.00 - 2.50 = 86.50.
cat >"$T/jul.sta" <<'EOT'
:20:ST250731
:25:HSBCHKHH/400123456777
:28C:7/1
:60F:C250630USD0,00
:61:2507100710CD100,00NTRFNONREF//HK250710001
:86:PAYMENT ORDER C1
:61:2507200720DD6,00NMSCNONREF//HK250720002
:86:SERVICE CHARGE JULY
:61:2507310731DD12,00NCHGNONREF//HK250731003
:86:ACCOUNT FEE
:61:2507210721DD15,00NTRFNONREF//HK250721004
:86:REFUND TO BUYER ORDER C1
:61:2507220722DD3,00NMSCNONREF//HK250722005
:86:WIRE TO SUPPLIER
:61:2507230723CD25,00NTRFNONREF//HK250723006
:86:UNKNOWN PAYER
:61:2507240724DD2,50NMSCNONREF//HK250724007
:86:CHARGES FOR PAYMENT C1
:62F:C250731USD86,50
-
EOT
sed -i 's/^\[settle\]$/[settle]\ncharge_words =/' "$W/cebgate.conf"
expect_rc 0 "July imported without charge words" cg settle import --seller acme "$T/jul.sta"
sed -i '/^charge_words =$/d' "$W/cebgate.conf"
rid() { sql "SELECT id FROM fx_receipt WHERE entry_key LIKE '%:$1'"; }
PAY=$(rid HK250710001) SVC=$(rid HK250720002) FEE=$(rid HK250731003)
REF=$(rid HK250721004) WIRE=$(rid HK250722005) UNK=$(rid HK250723006) CHG=$(rid HK250724007)
check "the service charge is money out, the coded fee a charge" \
    [ "$(sql "SELECT group_concat(charge, ' ') FROM (SELECT charge FROM fx_receipt WHERE direction = 'out' ORDER BY id)")" = "0 1 0 0 0" ]
check "the charges for C1's payment are a refund of C1" \
    [ "$(sql "SELECT a.kind || ' ' || a.amount_rcpt || ' ' || o.order_no FROM fx_allocation a JOIN orders o ON o.id = a.order_id WHERE a.receipt_id = $CHG AND a.removed_at IS NULL")" = "REFUND_OUT 250 C1" ]

cg report fx reconcile --format csv >"$T/rec.csv" || fail "reconcile"
# received 100.00 + 25.00 = 125.00; fees: the coded 12.00; refunds 6.00 + 15.00 + 3.00 + 2.50 =
# 26.50; net 125.00 - 12.00 - 26.50 = 86.50; difference 125.00 - 26.50 - 140.00 = -41.50;
# ratio 98.50 / 140.00 = 70.357..% = 70.36
check "July before: received 125.00, fees 12.00, refunds 26.50, net 86.50, -41.50, 70.36" \
    [ "$(rec 2025-07 received fees refunds net difference ratio)" = "125.00 12.00 26.50 86.50 -41.50 70.36" ]

# unmatched ROWS: "receipt direction unallocated" of the receipts to act on, by receipt
unmatched_rows() {
    python3 -c 'import csv,sys
rows = list(csv.reader(open(sys.argv[1])))
head = rows[0]
out = []
for r in rows[1:]:
    if not r:
        break
    d = dict(zip(head, r))
    out.append("%s %s %s" % (d["receipt"], d["direction"], d["unallocated"]))
print(", ".join(out))' "$T/un.csv"
}
cg report fx unmatched --format csv >"$T/un.csv" || fail "unmatched"
check "unmatched before: the service charge, the wire and the unknown payer; not the coded fee" \
    [ "$(unmatched_rows)" = "$SVC out 6.00, $WIRE out 3.00, $UNK in 25.00" ]
charges_part_is "unmatched before: the coded fee apart, 1 charge of USD 12.00" 1 12.00

# ---- refusals, each saying why; nothing is recorded
expect_rc 1 "settle charge of money in: refused" cg settle charge "$UNK" --reason "not ours"
check "  says it is money in" grep -qxF \
    "cebgate: receipt $UNK is money in (USD 25.00 received): only money out can be the bank's charge" "$T/err"
expect_rc 1 "settle charge of the charges for C1's payment, allocated to C1: refused" \
    cg settle charge "$CHG" --reason "the bank's charges"
check "  names the allocation and how to take it back" grep -qxF \
    "cebgate: receipt $CHG is allocated (USD 2.50 to C1 of its USD 2.50): a charge is no order's money; take it back first (settle unmatch $CHG C1)" "$T/err"
expect_rc 0 "1.00 of the wire matched to C1 as a refund" cg settle match "$WIRE" C1 1.00
expect_rc 1 "settle charge of the wire, partly allocated: refused" \
    cg settle charge "$WIRE" --reason "a fee"
check "  names the part allocated" grep -qxF \
    "cebgate: receipt $WIRE is allocated (USD 1.00 to C1 of its USD 3.00): a charge is no order's money; take it back first (settle unmatch $WIRE C1)" "$T/err"
expect_rc 0 "the wire's 1.00 taken back" cg settle unmatch "$WIRE" C1
expect_rc 1 "settle charge of the coded fee: refused" cg settle charge "$FEE" --reason "again"
check "  says it is a charge from its import" grep -qxF \
    "cebgate: receipt $FEE is the bank's charge already (found so when its statement was imported)" "$T/err"
expect_rc 1 "settle charge of a receipt that is not there" cg settle charge 999 --reason "x"
check "  says so" grep -qxF "cebgate: receipt 999: no such receipt" "$T/err"
expect_rc 2 "settle charge without --reason: a usage error" cg settle charge "$SVC"
check "  asks for the reason" grep -qF \
    "settle charge: --reason TEXT is required: why the receipt is the bank's charge" "$T/err"
check "nothing recorded by the refusals" [ "$(sql "SELECT count(*) FROM fx_receipt_charge")" -eq 0 ]

# ---- the service charge and the charges for C1's payment are the bank's
expect_rc 0 "the charges for C1's payment taken back from C1" cg settle unmatch "$CHG" C1
expect_rc 0 "settle charge of them" cg settle charge "$CHG" --reason "the bank's charges for the payment" \
    --as-of 2025-08-02
expect_rc 0 "settle charge of the service charge" \
    cg settle charge "$SVC" --reason "service charge imported before the charge words" --as-of 2025-08-01
check "  says so, with who" grep -qxF "receipt $SVC: recorded as the bank's charge by $ME" "$T/out"
check "  recorded with who, the day and why" \
    [ "$(sql "SELECT marked_by || '|' || marked_on || '|' || reason FROM fx_receipt_charge WHERE receipt_id = $SVC")" = "$ME|2025-08-01|service charge imported before the charge words" ]
expect_rc 1 "settle charge of it again: refused" cg settle charge "$SVC" --reason "again"
check "  says who recorded it, when and why" grep -qxF \
    "cebgate: receipt $SVC is the bank's charge already (recorded so by $ME on 2025-08-01: service charge imported before the charge words)" "$T/err"

cg report fx reconcile --format csv >"$T/rec.csv" || fail "reconcile"
# fees 12.00 + 6.00 + 2.50 = 20.50; refunds 15.00 + 3.00 = 18.00; net 125.00 - 20.50 - 18.00 =
# 86.50; difference 125.00 - 18.00 - 140.00 = -33.00; ratio 107.00 / 140.00 = 76.428..% = 76.43
check "July after: fees 20.50, refunds 18.00, net 86.50, difference -33.00, ratio 76.43" \
    [ "$(rec 2025-07 received fees refunds net difference ratio)" = "125.00 20.50 18.00 86.50 -33.00 76.43" ]
cg report fx unmatched --format csv >"$T/un.csv" || fail "unmatched"
check "unmatched after: the wire and the unknown payer" \
    [ "$(unmatched_rows)" = "$WIRE out 3.00, $UNK in 25.00" ]
charges_part_is "unmatched after: 3 charges of USD 20.50 (6.00 + 12.00 + 2.50) apart" 3 20.50
cg report fx unmatched >"$T/un.txt" || fail "unmatched table"
printf '\nbank charges (not for orders; cebgate report fx charges lists them)\ncurrency  receipts  amount\nUSD       3         20.50\n' >"$T/want"
check "the table: the charges apart under their title" \
    sh -c "tail -n 4 '$T/un.txt' | cmp -s - '$T/want'"
check "the table: the 2 receipts to act on under the header, then the part" \
    [ "$(sed -n '1,4p' "$T/un.txt" | cut -d' ' -f1 | tr '\n' ' ')" = "receipt $WIRE $UNK  " ]
cg report fx unmatched --format json >"$T/un.json" || fail "unmatched json"
check "JSON: the receipts to act on and the bank's charges by name" python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
got = ([r["receipt"] for r in j["receipts"]], j["bank_charges"])
want = ([sys.argv[2], sys.argv[3]], [{"currency": "USD", "receipts": "3", "amount": "20.50"}])
sys.exit(0 if got == want and sorted(j) == ["bank_charges", "receipts"] else 1)' "$T/un.json" "$WIRE" "$UNK"
cg report fx charges --format csv >"$T/ch.csv" || fail "charges"
check "report fx charges: the service charge with who, when and why, the fee at import" python3 -c 'import csv,sys
got = [[r["receipt"], r["value_date"], r["currency"], r["amount"], r["recorded"]] for r in csv.DictReader(open(sys.argv[1]))]
want = [[sys.argv[2], "2025-07-20", "USD", "6.00", "by %s on 2025-08-01: service charge imported before the charge words" % sys.argv[5]],
        [sys.argv[3], "2025-07-31", "USD", "12.00", "at import"],
        [sys.argv[4], "2025-07-24", "USD", "2.50", "by %s on 2025-08-02: the bank\x27s charges for the payment" % sys.argv[5]]]
print(got) if got != want else None
sys.exit(0 if got == want else 1)' "$T/ch.csv" "$SVC" "$FEE" "$CHG" "$ME"
expect_rc 2 "report fx charges --seller: over the accounts" cg report fx charges --seller acme

# ---- a charge is no order's money: a run's matching gives nothing of the charges for C1's
# payment to C1, though their text names it; the operator can still record one as a refund
sed -i '/^run_tick = no$/d' "$W/cebgate.conf"
expect_rc 0 "a run, matching receipts" cg run
check "  its settle line: two orders past the tax collection deadline (2025), nothing else" grep -Fxq \
    "settle: 0 allocations, 2 past the tax collection deadline, 0 deferred-receipt reports due, 0 not filed in time" \
    "$T/out"
check "nothing allocated of the charges for C1's payment" \
    [ "$(sql "SELECT count(*) FROM fx_allocation WHERE receipt_id = $CHG AND removed_at IS NULL")" -eq 0 ]
expect_rc 0 "the service charge matched to C1 by the operator: a refund after all" \
    cg settle match "$SVC" C1
cg report fx reconcile --format csv >"$T/rec.csv" || fail "reconcile"
# fees 12.00 + 2.50 = 14.50; refunds 15.00 + 3.00 + 6.00 = 24.00; net 86.50
check "July: fees 14.50, refunds 24.00, net 86.50" \
    [ "$(rec 2025-07 fees refunds net)" = "14.50 24.00 86.50" ]
cg report fx unmatched --format csv >"$T/un.csv" || fail "unmatched"
charges_part_is "unmatched: the fee and the charges for C1's payment apart" 2 14.50
finish
