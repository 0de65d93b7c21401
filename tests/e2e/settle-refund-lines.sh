#!/bin/sh
# settle-refund-lines.sh - payout reports whose buyer refunds and chargebacks are lines with a
# negative gross, as platforms' payout downloads write them. Each such line is a refund to the
# buyer of the order it names (an outgoing receipt, as a collections CSV row with direction out:
# docs/collections-format.md, "Payout reports"); the sales of the payout are matched as before,
# and the figures add up exactly: what is held grows by what the payout transferred. A bad
# refund line (another currency, a net that is not its gross less the fee given back)
# is reported with file, line, field and why. The fee a platform gives back with a refund (the fee
# column of a refund line, positive where a sale's is negative) is taken off the order's fees
# netted (FEE_REVERSED), so its collected amount goes down by what the buyer got back.
# A refund never takes an order's collected amount below zero (docs/settlement.md, "Collection
# state"): what is beyond what the order collected stays on the refund's receipt, listed by
# report fx unmatched, and the open amount of the order is never more than it expects.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no/' "$W/cebgate.conf"

H=order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight
line() { echo "$1,USD,US,USNY,0.00,TS-001,T-shirt,1,$2,3120980105,SF Express,SF00000000030$3,1"; }
{
    echo "$H"
    line R1 30.00 01
    line R2 45.50 02
    line R3 20.00 03
    line R4 50.00 04
    line R5 20.00 05
    line R6 80.00 06
    line R7 25.00 07
    line R8 10.00 08
    echo "T1,EUR,US,USNY,0.00,TS-001,T-shirt,1,40.00,3120980105,SF Express,SF000000000311,1"
    echo "T2,EUR,US,USNY,0.00,TS-001,T-shirt,1,30.00,3120980105,SF Express,SF000000000312,1"
    echo "T3,EUR,US,USNY,0.00,TS-001,T-shirt,1,20.00,3120980105,SF Express,SF000000000313,1"
} >"$W/incoming/acme/orders.csv"
expect_rc 0 "orders declared" cg run
release 2025-07-01 R1 R2 R3 R4 R5 R6 R7 R8 T1 T2 T3
expect_rc 0 "receipts release the inventories" cg run
orders() { cg report fx orders --as-of 2025-07-25 --format csv >"$T/orders.csv"; }
col() { csv_cell "$T/orders.csv" "acme/$1" "$2"; }

P='Payout ID,Payout Date,Currency,Order ID,Transaction ID,Gross Amount,Fee,Net Amount'
{
    echo "$P"
    echo "PO-1,2025-07-10,USD,R1,TX-11,30.00,-0.90,29.10"
    echo "PO-1,2025-07-10,USD,R3,TX-13,20.00,-0.60,19.40"
    echo "PO-1,2025-07-10,USD,R4,TX-14,50.00,-1.50,48.50"
} >"$T/po-1.csv"
expect_rc 0 "payout PO-1 of three sales" cg settle import --seller acme "$T/po-1.csv"

# ---- PO-2: a sale, a full refund (R1), a partial refund (R3), a refund whose fee the platform
# gives back (R4: 10.00 refunded, 0.30 of fee back, 9.70 out), and R5 sold and refunded in the
# same payout. The payout transfers 44.13 + 19.40 - 30.00 - 5.00 - 9.70 - 20.00 = -1.17.
{
    echo "$P"
    echo "PO-2,2025-07-20,USD,R2,TX-22,45.50,-1.37,44.13"
    echo "PO-2,2025-07-20,USD,R1,TX-11,-30.00,0.00,-30.00"
    echo "PO-2,2025-07-20,USD,R3,TX-13,-5.00,0.00,-5.00"
    echo "PO-2,2025-07-20,USD,R4,TX-14,-10.00,0.30,-9.70"
    echo "PO-2,2025-07-20,USD,R5,TX-25,20.00,-0.60,19.40"
    echo "PO-2,2025-07-20,USD,R5,TX-25,-20.00,0.00,-20.00"
} >"$T/po-2.csv"
expect_rc 0 "payout PO-2 with refund lines is taken" cg settle import --seller acme "$T/po-2.csv"
check "the sales are one receipt, each refund one more: 5 recorded" \
    grep -q ' 5 receipts recorded, 0 known from another file' "$T/out"
check "no problem reported" [ ! -s "$T/err" ]
check "the refunds are outgoing receipts of 30.00, 5.00, 9.70 (gross 10.00, fee 0.30), 20.00" \
    [ "$(sql "SELECT group_concat(gross || '/' || fee || '/' || net, ' ') FROM (SELECT * FROM fx_receipt WHERE direction = 'out' ORDER BY id)")" = "3000/0/3000 500/0/500 1000/30/970 2000/0/2000" ]
check "the sales of PO-2 are one incoming receipt of gross 65.50, fee 1.97, net 63.53" \
    [ "$(sql "SELECT gross || '/' || fee || '/' || net FROM fx_receipt WHERE direction = 'in' AND entry_key LIKE 'payout:%:PO-2'")" = "6550/197/6353" ]
check "each refund is a REFUND_OUT of its order" \
    [ "$(sql "SELECT group_concat(o.order_no || '=' || a.amount_order, ' ') FROM (SELECT * FROM fx_allocation WHERE kind = 'REFUND_OUT' ORDER BY id) a JOIN orders o ON o.id = a.order_id")" = "R1=3000 R3=500 R4=970 R5=2000" ]
check "the fee R4's refund gave back is a FEE_REVERSED of R4: 0.30" \
    [ "$(sql "SELECT group_concat(o.order_no || '=' || a.amount_order, ' ') FROM (SELECT * FROM fx_allocation WHERE kind = 'FEE_REVERSED' ORDER BY id) a JOIN orders o ON o.id = a.order_id")" = "R4=30" ]
orders
check "R1 refunded in full: collected 0.00, AWAITING" \
    [ "$(col R1 collected) $(col R1 state)" = "0.00 AWAITING" ]
check "R2 COLLECTED 45.50" [ "$(col R2 collected) $(col R2 state)" = "45.50 COLLECTED" ]
check "R3 20.00 - 5.00 = 15.00, PARTIAL" [ "$(col R3 collected) $(col R3 state)" = "15.00 PARTIAL" ]
# R4: sold 50.00 (fee 1.50, 48.50 paid), 10.00 refunded to the buyer, of which the platform gave
# back 0.30 of its fee and the seller paid 9.70: 48.50 + (1.50 - 0.30) - 9.70 = 50.00 - 10.00
check "R4 50.00 - 10.00 = 40.00, PARTIAL" [ "$(col R4 collected) $(col R4 state)" = "40.00 PARTIAL" ]
cg settle explain R4 --as-of 2025-07-25 >"$T/r4.txt"
check "R4's fees are net of the 0.30 given back: 1.20" grep -q \
    "^collected USD 40.00 = received 48.50 + fees netted 1.20 - refunds to the buyer 9.70$" \
    "$T/r4.txt"
check "R5 sold and refunded: 0.00, AWAITING" [ "$(col R5 collected) $(col R5 state)" = "0.00 AWAITING" ]
cg report fx settlement --format csv >"$T/held.csv"
check "USD paid out 64.70, held 97.00 - 1.17 = 95.83" \
    [ "$(csv_cell "$T/held.csv" USD paid_out) $(csv_cell "$T/held.csv" USD held)" = "64.70 95.83" ]
cg report fx unmatched --format csv >"$T/un.csv"
check "nothing left unmatched" [ "$(wc -l <"$T/un.csv")" -eq 1 ]

# ---- PO-5: R6 sold (80.00, fee 2.40) and refunded 25.00 with 0.75 of fee given back, R7 and R8
# sold. The lines add up to what the payout transfers: 77.60 - 24.25 + 24.25 + 9.70 = 87.30.
# PO-6 refunds R8 12.00 (0.36 of fee back, 11.64 out), more than the 10.00 it collected.
{
    echo "$P"
    echo "PO-5,2025-07-24,USD,R6,TX-61,80.00,-2.40,77.60"
    echo "PO-5,2025-07-24,USD,R6,TX-61,-25.00,0.75,-24.25"
    echo "PO-5,2025-07-24,USD,R7,TX-71,25.00,-0.75,24.25"
    echo "PO-5,2025-07-24,USD,R8,TX-81,10.00,-0.30,9.70"
} >"$T/po-5.csv"
printf '%s\n' "$P" "PO-6,2025-07-24,USD,R8,TX-81,-12.00,0.36,-11.64" >"$T/po-6.csv"
expect_rc 0 "payout PO-5 with a refund whose fee is given back" \
    cg settle import --seller acme "$T/po-5.csv"
expect_rc 0 "payout PO-6, a refund beyond what R8 collected" cg settle import --seller acme "$T/po-6.csv"
check "PO-5: sales of gross 115.00, fee 3.45, net 111.55; the refund gross 25.00, fee 0.75, net 24.25" \
    [ "$(sql "SELECT group_concat(direction || '=' || gross || '/' || fee || '/' || net, ' ') FROM (SELECT * FROM fx_receipt WHERE entry_key LIKE 'payout:%:PO-5%' ORDER BY id)")" = "in=11500/345/11155 out=2500/75/2425" ]
orders
# R6: 77.60 + (2.40 - 0.75) - 24.25 = 55.00 = 80.00 - 25.00
check "R6 80.00 - 25.00 = 55.00, PARTIAL" [ "$(col R6 collected) $(col R6 state)" = "55.00 PARTIAL" ]
cg settle explain R6 --as-of 2025-07-25 >"$T/r6.txt"
check "R6's fees: 2.40 - 0.75 = 1.65" grep -q \
    "^collected USD 55.00 = received 77.60 + fees netted 1.65 - refunds to the buyer 24.25$" \
    "$T/r6.txt"
# at the bank's rate of PO-5's day, what is given back counts against R6 as the refund does:
# (77.60 + 2.40 - 0.75 - 24.25) x 7.0000 = 543.20 + 16.80 - 5.25 - 169.75 = 385.00
expect_rc 0 "USD rate of PO-5's day" cg settle rate USD 2025-07-24 7.0000 --source test
orders
check "R6 collected CNY at the bank's rate 385.00" [ "$(col R6 collected_cny_bank)" = "385.00" ]
check "R7 COLLECTED 25.00" [ "$(col R7 collected) $(col R7 state)" = "25.00 COLLECTED" ]
# R8 collected 9.70 + 0.30: the fee given back takes 0.36 (9.64 left), the refund 9.64 of 11.64
check "R8: the fee given back first, then the refund to what R8 collected: 0.00" \
    [ "$(col R8 collected) $(col R8 state)" = "0.00 AWAITING" ]
PO6=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE 'payout:%:PO-6 refund R8'")
cg report fx unmatched --format csv >"$T/un.csv"
check "PO-6 keeps 11.64 - 9.64 = 2.00 of refund" [ "$(csv_cell "$T/un.csv" "$PO6" unallocated)" = "2.00" ]
cg report fx settlement --format csv >"$T/held.csv"
check "USD paid out 64.70 + 24.25 + 11.64 = 100.59, held 95.83 + 87.30 - 11.64 = 171.49" \
    [ "$(csv_cell "$T/held.csv" USD paid_out) $(csv_cell "$T/held.csv" USD held)" = "100.59 171.49" ]
# July in USD: received 100.00 + 65.50 + 115.00 = 280.50; fees 3.00 + 1.97 + 3.45 less the
# 0.30 + 0.75 + 0.36 given back = 7.01; refunds to buyers 30.00 + 5.00 + 10.00 + 20.00 + 25.00 +
# 12.00 = 102.00; net 280.50 - 7.01 - 102.00 = 171.49, what is held; declared 280.50, so the
# difference is -102.00 and the ratio 178.50 / 280.50 = 63.636...% = 63.64
cg report fx reconcile --format csv >"$T/rec.csv"
check "reconcile: fees 7.01, refunds 102.00, net 171.49, difference -102.00, ratio 63.64" [ \
    "$(for k in declared received fees refunds net difference ratio; do csv_cell "$T/rec.csv" USD $k; done | tr '\n' ' ')" = \
    "280.50 280.50 7.01 102.00 171.49 -102.00 63.64 " ]
expect_rc 0 "PO-2 again: known, nothing recorded twice" cg settle import "$T/po-2.csv"
check "the same file: nothing to do" grep -q 'imported before, nothing to do' "$T/out"
{ cat "$T/po-2.csv"; echo "PO-2,2025-07-20,USD,R2,TX-22,-1.00,0.00,-1.00"; } >"$T/po-2b.csv"
expect_rc 0 "PO-2 downloaded again with one refund more" cg settle import --seller acme "$T/po-2b.csv"
check "only the new refund recorded" grep -q ' 1 receipt recorded, 5 known from another file' "$T/out"

# ---- a payout of refunds only (the platform debits the seller): no incoming receipt
{
    echo "$P"
    echo "PO-3,2025-07-22,USD,R2,TX-22,-2.00,,-2.00"
} >"$T/po-3.csv"
expect_rc 0 "a payout of one refund" cg settle import --seller acme "$T/po-3.csv"
check "one outgoing receipt" grep -q ' 1 receipt recorded' "$T/out"
check "no incoming receipt for PO-3" \
    [ "$(sql "SELECT count(*) FROM fx_receipt WHERE direction = 'in' AND entry_key LIKE 'payout:%:PO-3%'")" -eq 0 ]
orders
check "R2 45.50 - 1.00 - 2.00 = 42.50, PARTIAL" [ "$(col R2 collected) $(col R2 state)" = "42.50 PARTIAL" ]

# ---- bad refund lines: each named by file, line, field and why; the sale lines are not
{
    echo "$P"
    echo "PO-4,2025-07-23,USD,R2,TX-22,1.00,0.00,1.00"
    echo "PO-4,2025-07-23,USD,,,-3.00,0.00,-3.00"
    echo "PO-4,2025-07-23,EUR,R3,TX-13,-3.00,0.00,-3.00"
    echo "PO-4,2025-07-23,USD,R4,TX-14,-3.00,0.00,-2.00"
    echo "PO-4,2025-07-23,USD,R4,TX-14,-3.00,-4.00,1.00"
} >"$T/po-4.csv"
expect_rc 1 "PO-4 with bad refund lines" cg settle import --seller acme "$T/po-4.csv"
check "line 3, naming no order, is an adjustment of the payout, not a bad line" \
    sh -c "! grep -q 'po-4.csv:3:' '$T/err'"
check "line 4: another currency" \
    grep -q "/po-4.csv:4: entry PO-4: field Currency: payout PO-4 has another currency or date on line 2$" "$T/err"
check "line 5: net not gross less the fee given back" \
    grep -q "/po-4.csv:5: entry PO-4: field Net Amount: -2.00 is not gross -3.00 less the fee 0.00 given back$" "$T/err"
check "line 6: fee larger than the refund" \
    grep -q "/po-4.csv:6: entry PO-4: field Fee: fee larger than the refund$" "$T/err"
check "no 'negative amount', the sale line not named" sh -c "! grep -q 'negative amount\|po-4.csv:2:' '$T/err'"
check "3 bad entries, nothing imported" grep -q 'po-4.csv: 3 bad entries; nothing imported' "$T/err"

# ---- refunds beyond what an order collected: T1 collected nothing, T2 EUR 10.00; T3 is paid
# and refunded in one file, the refund on the row before the payment
C=receipt_id,date,currency,amount,order_no,direction
printf '%s\n' "$C" "X-1,2025-07-10,EUR,10.00,T2,in" >"$T/x1.csv"
printf '%s\n' "$C" "X-2,2025-07-12,EUR,5.00,T1,out" "X-3,2025-07-12,EUR,15.00,T2,out" \
    "X-4,2025-07-12,EUR,5.00,T3,out" "X-5,2025-07-12,EUR,20.00,T3,in" >"$T/x2.csv"
expect_rc 0 "EUR 10.00 for T2" cg settle import --seller acme "$T/x1.csv"
expect_rc 0 "refunds of T1, T2 and T3, and T3's payment" cg settle import --seller acme "$T/x2.csv"
orders
check "T1: a refund with nothing collected leaves collected 0.00, AWAITING" \
    [ "$(col T1 collected) $(col T1 state) $(col T1 open)" = "0.00 AWAITING 40.00" ]
check "T2: 10.00 collected, 15.00 refunded: collected 0.00, open 30.00" \
    [ "$(col T2 collected) $(col T2 state) $(col T2 open)" = "0.00 AWAITING 30.00" ]
check "T3: 20.00 paid, 5.00 refunded, whatever the order of the rows: 15.00, PARTIAL" \
    [ "$(col T3 collected) $(col T3 state) $(col T3 open)" = "15.00 PARTIAL 5.00" ]
cg report fx aging --as-of 2025-07-25 --format csv >"$T/aging.csv"
check "EUR open: 40.00 + 30.00 + 5.00 = 75.00, no more than was declared" \
    [ "$(csv_cell "$T/aging.csv" EUR 0-30) $(csv_cell "$T/aging.csv" EUR total)" = "75.00 75.00" ]
X2=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE 'csv:%:X-2'")
X3=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE 'csv:%:X-3'")
X5=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE 'csv:%:X-5'")
cg report fx unmatched --format csv >"$T/un.csv"
check "the refund of T1 stays on its receipt: 5.00" [ "$(csv_cell "$T/un.csv" "$X2" unallocated)" = "5.00" ]
check "what T2 did not collect stays on its refund: 5.00" \
    [ "$(csv_cell "$T/un.csv" "$X3" unallocated)" = "5.00" ]
expect_rc 1 "settle match of the rest of T2's refund: refused" cg settle match "$X3" T2
check "the operator is told why" \
    grep -q "order acme/T2 has collected EUR 0.00: a refund of EUR 5.00 would take it below zero" "$T/err"
expect_rc 1 "unmatching T3's payment under its refund: refused" cg settle unmatch "$X5" T3
check "the operator is told why" \
    grep -q "order acme/T3 would have collected EUR -5.00: unmatch its refunds first" "$T/err"
orders
check "T2 and T3 unchanged" [ "$(col T2 collected) $(col T3 collected)" = "0.00 15.00" ]
# a refund in USD of T1 (EUR), which collected nothing, stays on its receipt; one of T3 (EUR
# 15.00 collected) waits for review, and converted it would be more than T3 collected
printf '%s\n' "$C" "X-6,2025-07-12,USD,5.00,T1,out" "X-7,2025-07-12,USD,20.00,T3,out" >"$T/x6.csv"
expect_rc 0 "USD refunds of T1 and T3" cg settle import --seller acme "$T/x6.csv"
X6=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE 'csv:%:X-6'")
X7=$(sql "SELECT id FROM fx_receipt WHERE entry_key LIKE 'csv:%:X-7'")
cg report fx unmatched --format csv >"$T/un.csv"
check "the USD refund of T1 stays on its receipt: 5.00" [ "$(csv_cell "$T/un.csv" "$X6" unallocated)" = "5.00" ]
check "the USD refund of T3 waits for review" \
    [ "$(sql "SELECT count(*) FROM fx_allocation WHERE receipt_id = $X7 AND cross_ccy = 1 AND amount_order IS NULL")" -eq 1 ]
expect_rc 0 "USD rate" cg settle rate USD 2025-07-12 7.0000 --source test
expect_rc 0 "EUR rate" cg settle rate EUR 2025-07-12 7.7000 --source test
# USD 20.00 x 7.0000 / 7.7000 = EUR 18.18 (18.1818...); T3 collected 15.00
expect_rc 1 "confirming it: refused" cg settle confirm "$X7"
check "the operator is told why" grep -q \
    "order acme/T3 would have collected EUR -3.18: the refund is more than it collected" "$T/err"
orders
check "T1 still collected 0.00, T3 15.00" [ "$(col T1 collected) $(col T3 collected)" = "0.00 15.00" ]
# ---- a bank's outgoing transfer with charges (camt.053 DBIT, Chrgs 0.40): a refund of R7 of
# the 5.00 debited; the 0.40 is the bank's price for sending it, not a fee given back, so R7
# collected 25.00 - 5.00 = 20.00 (not 19.60) and its fees netted stay as they were
cat >"$T/dbit.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt><GrpHdr><MsgId>M-DBIT</MsgId><CreDtTm>2025-07-23T20:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S-DBIT</Id><CreDtTm>2025-07-23T20:00:00</CreDtTm>
<Acct><Id><IBAN>CN0000000000000000000777</IBAN></Id><Ccy>USD</Ccy></Acct>
<Ntry><NtryRef>D-1</NtryRef><Amt Ccy="USD">5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2025-07-23</Dt></BookgDt><ValDt><Dt>2025-07-23</Dt></ValDt><AcctSvcrRef>D-1</AcctSvcrRef>
<Chrgs><TtlChrgsAndTaxAmt Ccy="USD">0.40</TtlChrgsAndTaxAmt></Chrgs>
<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
<RmtInf><Ustrd>REFUND R7</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>
XML
cg settle explain R7 --as-of 2025-07-25 >"$T/r7-before.txt"
expect_rc 0 "a bank statement with an outgoing transfer and its charges" \
    cg settle import --seller acme "$T/dbit.xml"
orders
check "R7 25.00 - 5.00 = 20.00: the bank's charges do not come off the order" \
    [ "$(col R7 collected) $(col R7 state)" = "20.00 PARTIAL" ]
check "no fee given back is recorded for the bank's charges" \
    [ "$(sql "SELECT count(*) FROM fx_allocation WHERE kind = 'FEE_REVERSED' AND receipt_id = (SELECT id FROM fx_receipt WHERE entry_key LIKE 'camt:%:D-1')")" = 0 ]
cg settle explain R7 --as-of 2025-07-25 >"$T/r7.txt"
check "R7's fees netted are unchanged" sh -c "[ \"\$(grep -o 'fees netted [0-9.]*' '$T/r7.txt')\" = \"\$(grep -o 'fees netted [0-9.]*' '$T/r7-before.txt')\" ]"
finish
