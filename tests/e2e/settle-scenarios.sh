#!/bin/sh
# settle-scenarios.sh - the FX worked scenarios of SETTLE-REFUND.md section 5 through the CLI on
# real files, with the amounts the scenarios give: T1 partial collection with platform fees, then
# completion, settlement and a refused over-settlement; T2 (FX side) a buyer refund after
# collection and the returned goods lowering what is expected; T4 (FX side) the deferred-receipt
# report and the tax collection deadline; T5 a receipt in another currency, confirmed with the
# bank's rates and explained; and one payout report paying several orders. Orders are declared
# by `cebgate run` from a CSV file and released by receipts in the official format.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
# The deadlines are applied by `settle tick --as-of` below, not by run on today's date.
sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no/' "$W/cebgate.conf"

H=order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight
{
    echo "$H"
    echo "O1,USD,US,USNY,0.00,TS-001,T-shirt,1,120.00,3120980105,SF Express,SF0000000000001,1"
    echo "E2,USD,US,USNY,0.00,MUG-1,Mug,1000,10.00,3120980105,SF Express,SF0000000000002,400"
    echo "O5,USD,US,USNY,0.00,MUG-1,Mug,500,10.00,3120980105,SF Express,SF0000000000005,200"
    echo "P1,USD,US,USNY,0.00,TS-001,T-shirt,1,30.00,3120980105,SF Express,SF0000000000011,1"
    echo "P2,USD,US,USNY,0.00,TS-001,T-shirt,1,45.50,3120980105,SF Express,SF0000000000012,1"
    echo "P3,USD,US,USNY,0.00,TS-001,T-shirt,1,99.99,3120980105,SF Express,SF0000000000013,1"
} >"$W/incoming/acme/orders.csv"
{
    echo "$H"
    echo "E4,USD,US,USNY,0.00,TOTE-1,Tote,1000,20.00,3120980105,SF Express,SF0000000000004,300"
} >"$W/incoming/b2b/orders.csv"
expect_rc 0 "orders declared" cg run
release 2025-03-05 O1
release 2025-05-10 E2
release 2025-06-02 O5
release 2025-07-01 P1 P2 P3
release 2024-11-20 E4
expect_rc 0 "receipts release the inventories" cg run
cg report fx orders --as-of 2025-03-06 --format csv >"$T/orders.csv"
check "O1 declared USD 120.00, released 2025-03-05, awaiting" \
    [ "$(csv_cell "$T/orders.csv" acme/O1 declared) $(csv_cell "$T/orders.csv" acme/O1 released) $(csv_cell "$T/orders.csv" acme/O1 state)" = "120.00 2025-03-05 AWAITING" ]
check "E4 released 2024-11-20 with USD 20000.00" \
    [ "$(csv_cell "$T/orders.csv" b2b/E4 released) $(csv_cell "$T/orders.csv" b2b/E4 declared)" = "2024-11-20 20000.00" ]

# ---- T1: payout 1 nets a 9.00 fee from 60.00; payout 2 completes; settle 102.00 at 7.1500
P='Payout ID,Payout Date,Currency,Order ID,Transaction ID,Gross Amount,Fee,Net Amount'
printf '%s\nPO-1,2025-03-20 08:15:00,USD,O1,TX-1,60.00,-9.00,51.00\n' "$P" >"$T/payout-1.csv"
printf '%s\nPO-2,2025-04-10 08:15:00,USD,O1,TX-2,60.00,-9.00,51.00\n' "$P" >"$T/payout-2.csv"
expect_rc 0 "T1 payout 1 imported" cg settle import "$T/payout-1.csv"
check "payout 1 allocated automatically, its fee netted beside" grep -Fxq \
    "$T/payout-1.csv: payout report, 1 entry: 1 receipt recorded, 0 known from another file, 1 allocation made (and 1 fee netted)" \
    "$T/out"
expect_rc 0 "T1 explain O1" cg settle explain O1 --as-of 2025-03-25
check "explain lists the two the import counted: the principal and the fee netted" \
    [ "$(sed -n '/^allocations:$/,/^events:$/p' "$T/out" | grep -c '^  receipt ')" -eq 2 ]
check "O1 is PARTIAL" grep -q '^order acme/O1  PARTIAL$' "$T/out"
check "principal 51.00 plus fee netted 9.00" \
    grep -q 'collected USD 60.00 = received 51.00 + fees netted 9.00' "$T/out"
check "open USD 60.00" grep -q '^open USD 60.00 ' "$T/out"
check "event AWAITING -> PARTIAL caused by the payout line" \
    [ "$(sql "SELECT count(*) FROM fx_event e JOIN orders o ON o.id = e.order_id WHERE o.order_no = 'O1' AND from_state = 'AWAITING' AND to_state = 'PARTIAL' AND cause_kind = 'BANKFILE' AND occurred_on = '2025-03-20'")" -eq 1 ]
cg report fx aging --as-of 2025-03-25 --format csv >"$T/aging.csv"
check "aging on 2025-03-25: USD 60.00 open in 0-30 days" [ "$(csv_cell "$T/aging.csv" USD 0-30)" = "60.00" ]
check "aging on 2025-03-25: E4 USD 20000.00 in 91-180 days" [ "$(csv_cell "$T/aging.csv" USD 91-180)" = "20000.00" ]
expect_rc 0 "T1 payout 2 imported" cg settle import "$T/payout-2.csv"
expect_rc 0 "T1 explain O1 again" cg settle explain O1 --as-of 2025-04-10
check "O1 is COLLECTED" grep -q '^order acme/O1  COLLECTED$' "$T/out"
check "netted 18.00 + net 102.00 = 120.00" \
    grep -q 'collected USD 120.00 = received 102.00 + fees netted 18.00' "$T/out"
cg report fx aging --as-of 2025-04-15 --format csv >"$T/aging.csv"
check "aging on 2025-04-15: nothing open in 0-30 days" [ "$(csv_cell "$T/aging.csv" USD 0-30)" = "0.00" ]
expect_rc 0 "T1 settle USD 102.00 at 7.1500" \
    cg settle convert USD 102.00 --rate 7.1500 --date 2025-04-11 --ref SETT-1
check "CNY 729.30" grep -q 'CNY 729.30$' "$T/out"
cg report fx settlement --format csv >"$T/sett.csv"
check "USD held 0.00 after settlement" [ "$(csv_cell "$T/sett.csv" USD held)" = "0.00" ]
check "settlement ledger CNY 729.30 at 7.1500" \
    [ "$(csv_cell "$T/sett.csv" USD cny) $(csv_cell "$T/sett.csv" USD average_rate)" = "729.30 7.1500" ]
expect_rc 1 "T1 a further USD 1.00 is refused" \
    cg settle convert USD 1.00 --rate 7.1500 --date 2025-04-12
check "refusal names the holding" grep -q 'needs more than the USD 0.00 held' "$T/err"
check "one settlement recorded" [ "$(sql 'SELECT count(*) FROM fx_settlement')" -eq 1 ]

# ---- T2 (FX side): collected 10,000.00; buyer refunded 1,000.00 for 100 pcs returned
ACCT=CN1200000000000000000001
echo "E2-IN-1;CRDT;USD;10000.00;2025-05-28;2025-05-28;E2;E2 GOODS;GLOBAL BUYER INC" |
    $SHELPER camt053 "$T/e2-in.xml" $ACCT STMT-2025-05-28
echo "E2-RF-1;DBIT;USD;1000.00;2025-09-01;2025-09-01;E2;REFUND 100 PCS RETURNED;" |
    $SHELPER camt053 "$T/e2-rf.xml" $ACCT STMT-2025-09-01
expect_rc 0 "T2 statement with the collection" cg settle import "$T/e2-in.xml"
expect_rc 0 "T2 explain" cg settle explain E2
check "E2 COLLECTED at 10000.00" grep -q '^order acme/E2  COLLECTED$' "$T/out"
expect_rc 0 "T2 statement with the refund to the buyer" cg settle import "$T/e2-rf.xml"
expect_rc 0 "T2 explain after refund" cg settle explain E2 --as-of 2025-09-01
check "refund lowers the collected amount: PARTIAL" grep -q '^order acme/E2  PARTIAL$' "$T/out"
check "refund recorded as REFUND_OUT" grep -q 'REFUND_OUT USD 1000.00' "$T/out"
expect_rc 0 "T2 returned goods recorded" \
    cg settle mark E2 returned 1000.00 --note "100 pcs returned in original state" --as-of 2025-09-01
expect_rc 0 "T2 explain after the return" cg settle explain E2 --as-of 2025-09-01
check "expected becomes USD 9000.00" grep -q '^expected USD 9000.00 (returned goods 1000.00)' "$T/out"
check "collected 9000.00 of 9000.00: COLLECTED" grep -q '^order acme/E2  COLLECTED$' "$T/out"
expect_rc 1 "the same settlement reference twice is refused" \
    cg settle convert USD 100.00 --rate 7.1500 --ref SETT-1
check "refusal names the reference" grep -q 'settlement SETT-1 is already recorded' "$T/err"
check "events: COLLECTED -> PARTIAL (bank file) -> COLLECTED (operator)" \
    [ "$(sql "SELECT group_concat(to_state || '/' || cause_kind, ' ') FROM (SELECT e.to_state, e.cause_kind FROM fx_event e JOIN orders o ON o.id = e.order_id WHERE o.order_no = 'E2' ORDER BY e.id)")" = "COLLECTED/BANKFILE PARTIAL/BANKFILE COLLECTED/OPERATOR" ]

# ---- T5: EUR 4,600.00 for an order declared USD 5,000.00
echo "R5-EUR-1;CRDT;EUR;4600.00;2025-06-20;2025-06-20;O5;PAYMENT O5;EURO BUYER GMBH" |
    $SHELPER camt053 "$T/o5.xml" $ACCT STMT-2025-06-20
expect_rc 0 "T5 statement imported" cg settle import "$T/o5.xml"
R5=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE '%:R5-EUR-1'")
expect_rc 0 "T5 explain" cg settle explain O5 --as-of 2025-06-20
check "not taken as a partial USD payment: still AWAITING" grep -q '^order acme/O5  AWAITING$' "$T/out"
check "flagged for review" grep -qx '1 receipt in another currency waits for review: settle rate, then settle confirm' "$T/out"
check "allocation waits without an order amount" \
    [ "$(sql "SELECT cross_ccy, amount_order IS NULL, amount_rcpt FROM fx_allocation WHERE receipt_id = $R5")" = "1|1|460000" ]
expect_rc 1 "T5 confirm without rates is refused" cg settle confirm "$R5"
check "refusal names both missing rates at once" grep -qxF \
    'cebgate: no EUR and USD rates for 2025-06-20: record them with `cebgate settle rate EUR 2025-06-20 RATE` and `cebgate settle rate USD 2025-06-20 RATE`' "$T/err"
expect_rc 0 "EUR rate of the bank" cg settle rate EUR 2025-06-20 7.8000 --source "bank conversion"
expect_rc 1 "T5 confirm with the EUR rate only is refused" cg settle confirm "$R5"
check "refusal names the rate still missing" grep -qxF \
    'cebgate: no USD rate for 2025-06-20: record it with `cebgate settle rate USD 2025-06-20 RATE`' "$T/err"
expect_rc 0 "USD rate of the bank" cg settle rate USD 2025-06-20 7.1000 --source "bank conversion"
expect_rc 0 "T5 operator confirms" cg settle confirm "$R5" O5
check "EUR 4600.00 -> USD 5053.52, CNY basis 35880.00, rates stored" \
    [ "$(sql "SELECT amount_rcpt, amount_order, cny, rate_rcpt, rate_order, rate_source, rate_date FROM fx_allocation WHERE receipt_id = $R5")" = "460000|505352|3588000|7.8000|7.1000|bank conversion|2025-06-20" ]
expect_rc 0 "T5 explain after confirmation" cg settle explain O5 --as-of 2025-06-20
check "OVER_COLLECTED" grep -q '^order acme/O5  OVER_COLLECTED$' "$T/out"
check "excess USD 53.52 named" grep -q 'over-collected by USD 53.52' "$T/out"
expect_rc 0 "T5 difference tagged as exchange difference" \
    cg settle mark O5 fx-diff 53.52 --note "EUR/USD exchange gain" --as-of 2025-06-21
expect_rc 0 "T5 explain after tagging" cg settle explain O5
check "COLLECTED" grep -q '^order acme/O5  COLLECTED$' "$T/out"
cg report fx reconcile --format csv >"$T/rec.csv"
check "USD 2025-06: declared 5000.00, received 0.00" \
    python3 -c 'import csv,sys
rows=[r for r in csv.DictReader(open(sys.argv[1])) if r["currency"]=="USD" and r["month"]=="2025-06"]
sys.exit(0 if len(rows)==1 and rows[0]["declared"]=="5000.00" and rows[0]["received"]=="0.00" else 1)' "$T/rec.csv"
check "EUR 2025-06: declared 0.00, received 4600.00" \
    python3 -c 'import csv,sys
rows=[r for r in csv.DictReader(open(sys.argv[1])) if r["currency"]=="EUR" and r["month"]=="2025-06"]
sys.exit(0 if len(rows)==1 and rows[0]["declared"]=="0.00" and rows[0]["received"]=="4600.00" else 1)' "$T/rec.csv"
check "a cross-currency adjustment row" \
    grep -q "^\"USD\",.*cross-currency: EUR 4600.00 of receipt $R5 counted as USD 5053.52" "$T/rec.csv"

# ---- T4 (FX side): USD 20,000.00 exported 2024-11-20, buyer terms 120 days
# The deadlines are China dates; a tick or report as of a UTC day is as at its end, 08:00 of the
# next day in China: as of 2024-12-19 the report due 2024-12-20 is still due, as of 2024-12-20
# (2024-12-21 in China) it is late; the tax deadline 2025-04-30 passes as of 2025-04-30.
expect_rc 0 "T4 tick on 2024-12-19" cg settle tick --as-of 2024-12-19
check "deferred-receipt report required" grep -q ', 1 deferred-receipt report due, 0 not filed in time' "$T/out"
cg report fx credit --as-of 2024-12-19 --format csv >"$T/credit.csv"
check "report due 2024-12-20, status due as of 2024-12-19" \
    [ "$(csv_cell "$T/credit.csv" b2b/E4 report_due) $(csv_cell "$T/credit.csv" b2b/E4 status)" = "2024-12-20 due" ]
expect_rc 0 "T4 tick on 2024-12-20" cg settle tick --as-of 2024-12-20
check "not filed in time" grep -q ', 0 deferred-receipt reports due, 1 not filed in time' "$T/out"
cg report fx credit --as-of 2024-12-20 --format csv >"$T/credit.csv"
check "overdue deferred-receipt list as of 2024-12-20 (2024-12-21 in China)" [ "$(csv_cell "$T/credit.csv" b2b/E4 status)" = "OVERDUE" ]
expect_rc 0 "T4 tick on 2025-04-29" cg settle tick --as-of 2025-04-29
check "the deadline day itself (in China) is still in time" grep -q '^tick: 0 past the tax collection deadline' "$T/out"
expect_rc 0 "T4 tick on 2025-04-30" cg settle tick --as-of 2025-04-30
check "one order past the tax collection deadline" grep -q '^tick: 1 past the tax collection deadline' "$T/out"
check "timer event AWAITING -> OVERDUE on 2025-04-30" \
    [ "$(sql "SELECT from_state || '>' || to_state || ' ' || occurred_on FROM fx_event e JOIN orders o ON o.id = e.order_id WHERE o.order_no = 'E4' AND cause_ref = 'tax-deadline'")" = "AWAITING>OVERDUE 2025-04-30" ]
expect_rc 0 "T4 tick again" cg settle tick --as-of 2025-05-01
check "a timer fires once" grep -q '^tick: 0 past the tax collection deadline, 0 deferred' "$T/out"
expect_rc 0 "T4 report filed late" cg settle filed E4 --note "filed in the digital SAFE system"
cg report fx credit --as-of 2025-05-02 --format csv >"$T/credit.csv"
check "credit report shows it filed" [ "$(csv_cell "$T/credit.csv" b2b/E4 status)" = "filed" ]
expect_rc 2 "deemed collection needs evidence: a usage error" cg settle deem E4
check "refusal says so" grep -qxF 'cebgate: settle deem: --note TEXT is required: a note with the evidence' "$T/err"
expect_rc 2 "a mark needs evidence too" cg settle mark E4 returned 1.00
check "refusal says so" grep -qxF 'cebgate: settle mark: --note TEXT is required: a note with the evidence' "$T/err"
expect_rc 0 "deemed collected with evidence" \
    cg settle deem E4 --note "export credit insurance payout, claim 2025-118" --as-of 2025-05-20
expect_rc 0 "explain E4" cg settle explain E4
check "E4 DEEMED_COLLECTED, nothing open" \
    sh -c "grep -q '^order b2b/E4  DEEMED_COLLECTED$' '$T/out' && grep -q '^open USD 0.00 ' '$T/out'"
check "the evidence is in the event" \
    grep -q '2025-05-20 OVERDUE -> DEEMED_COLLECTED  OPERATOR operator: export credit insurance payout, claim 2025-118' "$T/out"

# ---- one payout for three orders, with fees
{
    echo "$P"
    echo "PO-9,2025-07-15,USD,P1,TX-91,30.00,-0.90,29.10"
    echo "PO-9,2025-07-15,USD,P2,TX-92,45.50,-1.37,44.13"
    echo "PO-9,2025-07-15,USD,P3,TX-93,99.99,-3.00,96.99"
} >"$T/payout-9.csv"
expect_rc 0 "payout of three orders imported" cg settle import "$T/payout-9.csv"
check "three orders allocated" grep -q '1 receipt recorded, 0 known from another file, 3 allocations made' "$T/out"
RP=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE 'payout:%:PO-9'")
check "one receipt of net 170.22, fee 5.27" [ "$(sql "SELECT gross, fee, net FROM fx_receipt WHERE id = $RP")" = "17549|527|17022" ]
cg report fx orders --format csv >"$T/orders.csv"
check "P1 P2 P3 COLLECTED" [ "$(csv_cell "$T/orders.csv" acme/P1 state) $(csv_cell "$T/orders.csv" acme/P2 state) $(csv_cell "$T/orders.csv" acme/P3 state)" = "COLLECTED COLLECTED COLLECTED" ]
expect_rc 0 "the same payout file again" cg settle import "$T/payout-9.csv"
check "imported before, nothing done" grep -q 'imported before, nothing to do' "$T/out"
expect_rc 0 "unmatch P2" cg settle unmatch "$RP" P2 --note "wrong order"
cg report fx unmatched --format csv >"$T/un.csv"
check "the payout shows 44.13 unallocated" [ "$(csv_cell "$T/un.csv" "$RP" unallocated)" = "44.13" ]
check "P2 awaiting again" sh -c "'$CEBGATE' -c '$W/cebgate.conf' settle explain P2 --as-of 2025-07-20 | grep -q '^order acme/P2  AWAITING'"
expect_rc 0 "match it back by hand" cg settle match "$RP" P2 --note "confirmed with the platform"
check "P2 COLLECTED again" sh -c "'$CEBGATE' -c '$W/cebgate.conf' settle explain P2 | grep -q '^order acme/P2  COLLECTED'"
expect_rc 1 "an allocation beyond the receipt is refused" cg settle match "$RP" P1 0.01
check "nothing left on the receipt" grep -q 'has USD 0.00 left' "$T/err"

# ---- a bank's settlement file: the bank's CNY amount kept, the rate's where it gives none
printf 'reference,date,currency,amount,rate,cny\nFX-0001,2025-09-05 10:12:00,USD,5000.00,7.1012,35506.00\nFX-0002,2025-09-05,EUR,4600.00,7.8000,\n' >"$T/fx.csv"
expect_rc 0 "settlement file recorded" cg settle convert --file "$T/fx.csv"
check "two settlements" grep -q '2 settlements recorded, 0 recorded before' "$T/out"
cg report fx settlement --format csv >"$T/sett.csv"
check "USD settled 5102.00 for CNY 36235.30, average 7.1022" \
    [ "$(csv_cell "$T/sett.csv" USD settled) $(csv_cell "$T/sett.csv" USD cny) $(csv_cell "$T/sett.csv" USD average_rate)" = "5102.00 36235.30 7.1022" ]
check "EUR 4600.00 for CNY 35880.00 at 7.8000" \
    [ "$(csv_cell "$T/sett.csv" EUR settled) $(csv_cell "$T/sett.csv" EUR cny) $(csv_cell "$T/sett.csv" EUR average_rate)" = "4600.00 35880.00 7.8000" ]
expect_rc 0 "the same file again" cg settle convert --file "$T/fx.csv"
check "nothing recorded twice" grep -q '0 settlements recorded, 2 recorded before' "$T/out"
printf 'reference,date,currency,amount,rate\nFX-0003,2025-09-06,USD,1.00,7.1\nFX-0004,2025-09-06,USD,999999.00,7.1\n' >"$T/fx-big.csv"
expect_rc 1 "a file settling more than is held" cg settle convert --file "$T/fx-big.csv"
check "the line is named" grep -q "fx-big.csv:3: settlement FX-0004: settling USD 999999.00 needs more than the USD" "$T/err"
check "and nothing of it recorded" [ "$(sql 'SELECT count(*) FROM fx_settlement')" -eq 3 ]
printf 'reference,date,currency,amount,rate\nFX-0005,2025-09-06,USD,1.005,7.1\nFX-0005,09/06/2025,XYZ,1.00,7.1234567\n' >"$T/fx-bad.csv"
expect_rc 1 "a settlement file with bad rows" cg settle convert --file "$T/fx-bad.csv"
check "3 decimals reported" grep -q "fx-bad.csv:2: entry FX-0005: field amount: '1.005' has more than 2 decimals for USD" "$T/err"
check "duplicate reference reported" grep -q "fx-bad.csv:3: entry FX-0005: field reference: appears again (line 2)" "$T/err"
printf 'reference,date,currency,amount,rate\nFX-0002,2025-09-05,EUR,4600.00,7.8000\nFX-0006,2025-09-06,USD,1.00,7.1\n' >"$T/fx-one.csv"
expect_rc 0 "a settlement file of one recorded settlement and a new one" cg settle convert --file "$T/fx-one.csv"
check "1 settlement recorded, 1 recorded before" grep -qxF "$T/fx-one.csv: 1 settlement recorded, 1 recorded before" "$T/out"

# ---- statements dropped into incoming/ are recognised by content and imported by run
echo "N-1;CRDT;USD;77.00;2025-08-01;2025-08-01;;UNKNOWN REMITTER;SOMEONE" |
    $SHELPER camt053 "$T/n.xml" $ACCT NTF-1 urn:iso:std:iso:20022:tech:xsd:camt.054.001.02
cp "$T/n.xml" "$W/incoming/acme/notification.xml"
expect_rc 0 "run takes the camt.054" cg run
check "run says so" grep -q '^done statement acme/notification.xml: camt.054, 1 entry, 1 receipt recorded, 0 allocations' "$T/out"
check "kept in done/acme/" test -f "$W/done/acme/notification.xml"
check "the summary counts the statement as a file taken and done" \
    grep -Fxq "summary: 1 file taken (1 done, 0 failed, 0 duplicate)" "$T/out"
check "a statement-only run still has the summary's receipts line, of none" grep -Fxq \
    "  receipts: 0 files, 0 applied, 0 duplicate, 0 late, 0 unknown guid, 0 mismatched, 0 unreadable files" "$T/out"
check "not taken as an order file" [ "$(sql "SELECT count(*) FROM input_files WHERE name = 'notification.xml'")" -eq 0 ]
cp "$T/n.xml" "$W/incoming/acme/again.xml"
expect_rc 0 "the same notification again" cg run
check "recognised as imported before" grep -q '^duplicate statement acme/again.xml' "$T/out"
check "the summary counts it as a duplicate" \
    grep -Fxq "summary: 1 file taken (0 done, 0 failed, 1 duplicate)" "$T/out"
check "still one receipt for it" [ "$(sql "SELECT count(*) FROM fx_receipt WHERE entry_key LIKE 'camt:%:N-1'")" -eq 1 ]
finish
