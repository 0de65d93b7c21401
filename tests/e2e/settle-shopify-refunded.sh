#!/bin/sh
# settle-shopify-refunded.sh - a Shopify order whose Total holds more than goods (a gift card
# bought with a T-shirt) and whose shop refunded part of it (the gift card, not goods that came
# back): the order expects Total - Refunded Amount once an export gives the refund, so the
# payout less the refund makes it COLLECTED instead of PARTIAL for good. The refunded amount is
# the largest any file of the order gave, never added up: an older export taken later does not
# lower it, a larger refund raises it; a Refunded Amount above the Total is refused with its
# file, line and column (docs/settlement.md, "What an order is expected to bring").
. "${CG_SRCDIR:-.}/tests/e2e/settle-shopify-lib.sh"
shopify_seller 1001:0.6 1002:0.5
PAID='Paid at=2025-07-01 10:15:00 -0400|Fulfillment Status=fulfilled|Currency=USD|Shipping Country=US|Payment Method=Shopify Payments'
ITEM='Lineitem requires shipping=true|Lineitem taxable=true'
CARD='Lineitem quantity=1|Lineitem name=Gift card 20|Lineitem price=20.00|Lineitem requires shipping=false|Lineitem taxable=false'
# 1001: 1 x 25.00 T-shirt + a 20.00 gift card, 5.00 shipping: Subtotal 45.00, Total 50.00;
#       declared 25.00 + 5.00 = 30.00 (the gift card is no goods leaving: not declared)
# 1002: 1 x 40.00 mug + 10.00 shipping: Total 50.00, declared 50.00
# day 1: both paid, nothing refunded
row1001() { # FINANCIAL-STATUS REFUNDED-AMOUNT
    echo "Name=#1001|Financial Status=$1|$PAID|Payment Reference=c1001.1|Subtotal=45.00|Shipping=5.00|Taxes=0.00|Total=50.00|Refunded Amount=$2|Lineitem quantity=1|Lineitem name=Cotton T-shirt - M|Lineitem price=25.00|Lineitem sku=TS-001|$ITEM"
}
row1002() { # REFUNDED-AMOUNT
    echo "Name=#1002|Financial Status=paid|$PAID|Payment Reference=c1002.1|Subtotal=40.00|Shipping=10.00|Taxes=0.00|Total=50.00|Refunded Amount=$1|Lineitem quantity=1|Lineitem name=Ceramic mug|Lineitem price=40.00|Lineitem sku=MUG-1|$ITEM"
}
export_csv "$W/incoming/shop/orders_export_1.csv" "$(row1001 paid 0.00)" "Name=#1001|$CARD" \
    "$(row1002 0.00)"
expect_rc 0 "the Shopify export declared" cg run
amounts() {
    sql "SELECT group_concat(o.order_no || ':' || d.amount || ':' || coalesce(d.pay_charge, '-')
         || ':' || d.pay_refunded, ' ') FROM (SELECT * FROM fx_declared ORDER BY order_id) d
         JOIN orders o ON o.id = d.order_id WHERE o.seller = 'shop'"
}
check "declared, charged and nothing refunded recorded" \
    [ "$(amounts)" = "1001:3000:5000:0 1002:5000:5000:0" ]
release 2025-07-02 1001 1002
expect_rc 0 "receipts release the inventories" cg run

# The payout of 2025-07-10 pays each Total, its fee netted; that of 2025-07-12 gives the buyer
# of 1001 the 20.00 of the gift card back.
P='Payout ID,Payout Date,Currency,Order ID,Transaction ID,Gross Amount,Fee,Net Amount'
printf '%s\n' "$P" \
    "PO-0710,2025-07-10,USD,1001,c1001.1,50.00,1.75,48.25" \
    "PO-0710,2025-07-10,USD,1002,c1002.1,50.00,1.75,48.25" >"$T/payout-1.csv"
printf '%s\n' "$P" "PO-0712,2025-07-12,USD,1001,c1001.1,-20.00,0.00,-20.00" >"$T/payout-2.csv"
expect_rc 0 "the payout imported" cg settle import --seller shop "$T/payout-1.csv"
row() { # ORDER: state declared expected collected open charged of shop/ORDER
    cg report fx orders --format csv --as-of 2025-07-31 >"$T/orders.csv"
    for k in state declared expected collected open charged; do
        printf '%s ' "$(csv_cell "$T/orders.csv" "shop/$1" $k)"
    done
}
# explained ORDER DECLARED EXPECTED REFUNDED: `settle explain` of ORDER, paid 50.00 (48.25 + 1.75
# of fee netted), COLLECTED: what it expects, the charge less what the shop refunded, is what it
# collected, the payouts having given REFUNDED back to the buyer; it exits 0
explained() {
    cg settle explain "shop/$1" --as-of 2025-07-31 >"$T/out" 2>"$T/err" || return 1
    printf '%s\n' "order shop/$1  COLLECTED" \
        "declared USD $2, released 2025-07-02, tax collection deadline 2026-04-30" \
        "charged USD 50.00 (what the buyer paid, from the order file's payment)" \
        "expected USD $3 (the charge less what the shop refunded, $4; returned goods 0.00)" \
        "collected USD $3 = received 48.25 + fees netted 1.75 - refunds to the buyer $4" \
        "open USD 0.00 (tolerance 1.00)" >"$T/want"
    head -n 6 "$T/out" | cmp -s - "$T/want"
}
check "1001 COLLECTED: 48.25 + 1.75 = 50.00 of its Total 50.00" \
    [ "$(row 1001)" = "COLLECTED 30.00 50.00 50.00 0.00 50.00 " ]
expect_rc 0 "the gift card's refund imported" cg settle import --seller shop "$T/payout-2.csv"
# 50.00 - 20.00 = 30.00 collected of 50.00 expected: 20.00 open, more than the tolerance 1.00
check "1001 PARTIAL while no export shows the refund: 30.00 of 50.00" \
    [ "$(row 1001)" = "PARTIAL 30.00 50.00 30.00 20.00 50.00 " ]

# day 2: the export shows 1001 partially refunded, Refunded Amount 20.00
export_csv "$T/export-2.csv" "$(row1001 partially_refunded 20.00)" "Name=#1001|$CARD" \
    "$(row1002 0.00)"
cp "$T/export-2.csv" "$W/incoming/shop/orders_export_2.csv"
expect_rc 0 "the export of day 2 taken" cg run
check "1001 declares nothing again (its documents are unchanged)" \
    [ "$(grep -l '<ceb:orderNo>1001</ceb:orderNo>' "$W"/outbox/CEB303Message_*.xml | wc -l)" -eq 1 ]
check "1001's refunded 20.00 recorded beside its charge 50.00" \
    [ "$(amounts)" = "1001:3000:5000:2000 1002:5000:5000:0" ]
# expected 50.00 - 20.00 = 30.00, collected 30.00: COLLECTED
check "1001 COLLECTED: expects 50.00 - 20.00 = 30.00, collected 30.00" \
    [ "$(row 1001)" = "COLLECTED 30.00 30.00 30.00 0.00 50.00 " ]
check "1002 untouched: COLLECTED 50.00 of 50.00" \
    [ "$(row 1002)" = "COLLECTED 50.00 50.00 50.00 0.00 50.00 " ]
check "explain shows the charge, the shop's refund and what is expected" \
    explained 1001 30.00 30.00 20.00

# The same export read again under another name: the refund is the export's figure, not added
cp "$T/export-2.csv" "$W/incoming/shop/orders_export_2b.csv"
expect_rc 0 "the export of day 2 taken again" cg run
check "1001 still refunded 20.00 (not 40.00)" \
    [ "$(amounts)" = "1001:3000:5000:2000 1002:5000:5000:0" ]
check "1001 still COLLECTED, expecting 30.00" \
    [ "$(row 1001)" = "COLLECTED 30.00 30.00 30.00 0.00 50.00 " ]

# A Refunded Amount above the Total is the file's mistake: 1002 refused, 1001 goes on
export_csv "$W/incoming/shop/orders_export_3.csv" "$(row1001 partially_refunded 20.00)" \
    "Name=#1001|$CARD" "$(row1002 50.01)"
expect_rc 1 "the export with 1002 refunded 50.01 of 50.00" cg run
check "1002 refused with its file, line and column" \
    grep -qF "orders_export_3.csv:4: order 1002: field Refunded Amount: '50.01' is more than the charge 50.00: the shop cannot refund more than the buyer paid" "$T/out" "$T/err"
check "1002's amounts stay as recorded" \
    [ "$(amounts)" = "1001:3000:5000:2000 1002:5000:5000:0" ]

# Shop refunds only grow: the largest Refunded Amount any file of the order gave is kept, so an
# older export dropped later (a smaller refund, or none) leaves what the order expects as it was,
# and only a larger refund lowers that. 1002's buyer gets 10.00 back (payout of 2025-07-14):
# collected 50.00 - 10.00 = 40.00.
printf '%s\n' "$P" "PO-0714,2025-07-14,USD,1002,c1002.1,-10.00,0.00,-10.00" >"$T/payout-3.csv"
expect_rc 0 "1002's refund of 10.00 imported" cg settle import --seller shop "$T/payout-3.csv"
# take1002 N AMOUNT REFUNDED EXPECTED WHY: orders_export_N.csv gives 1002 with Refunded Amount
# AMOUNT; 1002 is then recorded refunded REFUNDED and COLLECTED, expecting 50.00 - REFUNDED =
# EXPECTED, all of which it collected (the refunds to the buyer are REFUNDED too)
take1002() {
    export_csv "$W/incoming/shop/orders_export_$1.csv" "$(row1002 "$2")"
    expect_rc 0 "orders_export_$1.csv with 1002 refunded '$2' taken" cg run
    check "1002 refunded $3 recorded: $5" \
        [ "$(amounts)" = "1001:3000:5000:2000 1002:5000:5000:${3%.*}${3#*.}" ]
    check "1002 COLLECTED, expecting 50.00 - $3 = $4" \
        [ "$(row 1002)" = "COLLECTED 50.00 $4 $4 0.00 50.00 " ]
    check "explain 1002: expected $4, the shop refunded $3" explained 1002 50.00 "$4" "$3"
}
take1002 4 10.00 10.00 40.00 "the export's figure"
take1002 5 5.00 10.00 40.00 \
    "an older export's 5.00 taken later is not kept (it would expect 45.00)"
take1002 6 '' 10.00 40.00 \
    "an export of before any refund taken later is not kept (it would expect 50.00)"
# 5.00 more goes back to the buyer (2025-07-16): collected 35.00 of 40.00, PARTIAL until an
# export says 15.00; then 50.00 - 15.00 = 35.00 expected
printf '%s\n' "$P" "PO-0716,2025-07-16,USD,1002,c1002.1,-5.00,0.00,-5.00" >"$T/payout-4.csv"
expect_rc 0 "1002's refund of 5.00 more imported" cg settle import --seller shop "$T/payout-4.csv"
check "1002 PARTIAL: 35.00 of 40.00" \
    [ "$(row 1002)" = "PARTIAL 50.00 40.00 35.00 5.00 50.00 " ]
take1002 7 15.00 15.00 35.00 "a larger refund raises it"
finish
