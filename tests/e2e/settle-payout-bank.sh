#!/bin/sh
# settle-payout-bank.sh - a payout imported from a payout report and the bank credit that
# receives it are the same money: the credit is recorded as the payout's arrival (fx_transfer),
# whichever is imported first, and is then no order's money, not held a second time and not left
# unmatched (docs/settlement.md, "A payout's arrival in the bank"). The credit is the payout's when
# it is in the payout's currency for what the payout transferred (sales' nets less its refunds and
# adjustments) and its text names the payout id, or, naming neither a payout nor an order, its
# value day is within 7 days after the payout's day. Settle migration 15 on a database of step 14.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no/' "$W/cebgate.conf"

usd_orders "$W/incoming/acme/orders.csv" S1=160.40 S2=96.00 S3=67.90 S4=66.50 S5=50.00
expect_rc 0 "orders declared" cg run
release 2026-11-20 S1 S2 S3 S4 S5
expect_rc 0 "receipts release the inventories" cg run
# The database as settle step 14 left it: steps 15 and 16 make fx_transfer and fx_transfer_undone
# when it is opened.
sql "DROP TABLE fx_transfer; DROP TABLE fx_transfer_undone; UPDATE store_modules SET version = 14 WHERE module = 'settle'" ||
    fail "the schema put back to step 14"

P='Payout ID,Payout Date,Currency,Order ID,Transaction ID,Gross Amount,Fee,Net Amount'
# stmt FILE REF DAY(YYMMDD) OPEN CLOSE LINE...: an MT940 statement of USD account 808-123456-838,
# each LINE "AMOUNT|BANKREF|TEXT" a credit on DAY
stmt() {
    f=$1 ref=$2 day=$3 open=$4 close=$5
    shift 5
    {
        printf ':20:%s\n:25:808-123456-838\n:28C:1/1\n:60F:C%sUSD%s\n' "$ref" "$day" "$open"
        for l in "$@"; do
            printf ':61:%s%sC%sNTRF//%s\n:86:%s\n' "$day" "$(echo "$day" | cut -c3-6)" \
                "${l%%|*}" "$(echo "$l" | cut -d'|' -f2)" "${l##*|}"
        done
        printf ':62F:C%sUSD%s\n' "$day" "$close"
    } >"$f"
}
held() { cg report fx settlement --format csv >"$T/set.csv" && csv_cell "$T/set.csv" USD held; }
arrival() { sql "SELECT seller || '|' || payout || '|' || cause FROM fx_transfer WHERE bank_receipt_id = (SELECT id FROM fx_receipt WHERE entry_key LIKE '%:$1')"; }

# ---- the payout first, then the bank: 155.45 + 91.92 = 247.37 transferred
{
    echo "$P"
    echo "88001,2026-11-28,USD,S1,TX-1,160.40,4.95,155.45"
    echo "88001,2026-11-28,USD,S2,TX-2,96.00,4.08,91.92"
} >"$T/po-1.csv"
expect_rc 0 "payout 88001" cg settle import --seller acme "$T/po-1.csv"
check "settle migrations 15 and 16 made fx_transfer" \
    [ "$(sql "SELECT version FROM store_modules WHERE module = 'settle'")" -eq 16 ]
check "held: the payout's 247.37" [ "$(held)" = "247.37" ]
stmt "$T/bank-1.sta" ST1 261201 1000,00 1257,37 \
    "247,37|HK1|SHOPIFY PAYMENTS PAYOUT P-88001" "10,00|HK2|TRANSFER FROM A FRIEND"
expect_rc 0 "then the bank statement receiving it" cg settle import "$T/bank-1.sta"
check "the import says so" grep -qx \
    "$T/bank-1.sta: 1 bank credit is the arrival of a payout imported from a payout report, not counted again" \
    "$T/out"
check "the credit naming P-88001 is payout 88001's arrival" [ "$(arrival HK1)" = "acme|88001|auto:payout id" ]
check "the other credit is none" [ -z "$(arrival HK2)" ]
check "held: 247.37 once, and the other 10.00" [ "$(held)" = "257.37" ]
expect_rc 1 "settling more than is held is refused" cg settle convert USD 257.38 --rate 7.1
check "saying what is held" grep -q "settling USD 257.38 needs more than the USD 257.37 held" "$T/err"

# ---- the bank first, then the payout: 65.63 + 64.27 - 20.00 (a refund of S1) = 109.90
stmt "$T/bank-2.sta" ST2 261203 1257,37 1367,27 "109,90|HK3|SHOPIFY PAYMENTS PAYOUT P-88002"
expect_rc 0 "a bank credit naming a payout not imported yet" cg settle import "$T/bank-2.sta"
check "is no order's money: left unmatched for now" [ "$(sql "SELECT count(*) FROM fx_allocation a JOIN fx_receipt r ON r.id = a.receipt_id WHERE r.entry_key LIKE '%:HK3'")" -eq 0 ]
check "held counts it until its payout comes" [ "$(held)" = "367.27" ]
{
    echo "$P"
    echo "88002,2026-12-02,USD,S3,TX-3,67.90,2.27,65.63"
    echo "88002,2026-12-02,USD,S4,TX-4,66.50,2.23,64.27"
    echo "88002,2026-12-02,USD,S1,TX-1,-20.00,0.00,-20.00"
} >"$T/po-2.csv"
expect_rc 0 "then payout 88002" cg settle import --seller acme "$T/po-2.csv"
check "the credit is its arrival" [ "$(arrival HK3)" = "acme|88002|auto:payout id" ]
check "held: 367.27, the payout's 109.90 counted once" [ "$(held)" = "367.27" ]

# ---- a credit naming no payout: the payout of its amount within 7 days before it
{
    echo "$P"
    echo "88003,2026-12-04,USD,S5,TX-5,50.00,1.50,48.50"
} >"$T/po-3.csv"
expect_rc 0 "payout 88003" cg settle import --seller acme "$T/po-3.csv"
stmt "$T/bank-3.sta" ST3 261207 1367,27 1415,77 "48,50|HK4|SHOPIFY"
expect_rc 0 "a credit of its amount 3 days later, naming no payout" cg settle import --seller acme "$T/bank-3.sta"
check "is its arrival by the day" [ "$(arrival HK4)" = "acme|88003|auto:payout day" ]
check "held: 415.77" [ "$(held)" = "415.77" ]

cg report fx unmatched --format csv >"$T/un.csv"
check "unmatched lists the 10.00 only" [ "$(grep -c "^\"[0-9]" "$T/un.csv")" -eq 1 ]
check "  that one" grep -q '"TRANSFER FROM A FRIEND"' "$T/un.csv"
cg report fx orders --as-of 2026-12-10 --format csv >"$T/orders.csv"
check "the orders collected from the payouts: S1 160.40 - 20.00" \
    [ "$(csv_cell "$T/orders.csv" acme/S1 collected) $(csv_cell "$T/orders.csv" acme/S3 collected) $(csv_cell "$T/orders.csv" acme/S5 collected)" = "140.40 67.90 50.00" ]
cg report fx reconcile --format csv >"$T/rec.csv"
check "reconcile: the payouts' money in November, the credit of 10.00 in December" \
    [ "$(rec 2026-11 received fees refunds net) / $(rec 2026-12 received fees refunds net)" = "256.40 9.03 0.00 247.37 / 194.40 6.00 20.00 168.40" ]
finish
