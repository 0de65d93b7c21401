#!/bin/sh
# settle-shopify-charge.sh - what a Shopify order expects is what its buyer was charged: the
# order's Total (after discount codes, with taxes), recorded beside the declared amount (line
# items at their prices + shipping) when the export gives the payment (Paid at). A Shopify
# Payments payout paying each Total makes the order COLLECTED; by the declared amount a
# discounted order would stay PARTIAL and a taxed one OVER_COLLECTED. An order without Paid at
# expects its declared amount as before, whatever its Total; a later export with another Total
# records the new one. `report fx reconcile` keeps comparing with the declared amounts
# (docs/settlement.md, "What an order is expected to bring").
. "${CG_SRCDIR:-.}/tests/e2e/settle-shopify-lib.sh"
shopify_seller 1001:0.6 1002:0.5 1003:0.4 1004:0.2
PAID='Financial Status=paid|Paid at=2025-07-01 10:15:00 -0400|Fulfillment Status=fulfilled|Currency=USD|Shipping Country=US|Payment Method=Shopify Payments'
ITEM='Lineitem requires shipping=true|Lineitem taxable=true'
# 1001: 2 x 25.00 with the code SAVE10 (10%: 5.00), 5.00 shipping, 4.00 tax: Subtotal 45.00,
#       Total 54.00; declared 50.00 + 5.00 = 55.00
# 1002: 1 x 80.00 with the code QUARTER (25%: 20.00), 10.00 shipping, no tax: Total 70.00;
#       declared 80.00 + 10.00 = 90.00
# 1003: two lines, 1 x 30.00 each, 5.00 shipping, 5.20 sales tax (8% of 65.00): Total 70.20;
#       declared 60.00 + 5.00 = 65.00
# 1004: 1 x 40.00 with a 4.00 code, 5.00 shipping: Total 41.00, but no Paid at (no payment
#       record): it expects the declared 45.00 as before
export_csv "$T/export-1.csv" \
    "Name=#1001|$PAID|Payment Reference=c1001.1|Subtotal=45.00|Shipping=5.00|Taxes=4.00|Total=54.00|Discount Code=SAVE10|Discount Amount=5.00|Lineitem quantity=2|Lineitem name=Cotton T-shirt - M|Lineitem price=25.00|Lineitem sku=TS-001|$ITEM|Lineitem discount=5.00|Tax 1 Name=NY 8%|Tax 1 Value=4.00" \
    "Name=#1002|$PAID|Payment Reference=c1002.1|Subtotal=60.00|Shipping=10.00|Taxes=0.00|Total=70.00|Discount Code=QUARTER|Discount Amount=20.00|Lineitem quantity=1|Lineitem name=Ceramic mug|Lineitem price=80.00|Lineitem sku=MUG-1|$ITEM|Lineitem discount=20.00" \
    "Name=#1003|$PAID|Payment Reference=c1003.1|Subtotal=60.00|Shipping=5.00|Taxes=5.20|Total=70.20|Discount Amount=0.00|Lineitem quantity=1|Lineitem name=Canvas tote|Lineitem price=30.00|Lineitem sku=TOTE-1|$ITEM|Tax 1 Name=NY 8%|Tax 1 Value=5.20" \
    "Name=#1003|Lineitem quantity=1|Lineitem name=Fern print|Lineitem price=30.00|Lineitem sku=FERN-1|$ITEM" \
    "Name=#1004|Financial Status=paid|Fulfillment Status=fulfilled|Currency=USD|Shipping Country=US|Subtotal=36.00|Shipping=5.00|Taxes=0.00|Total=41.00|Discount Code=FERN4|Discount Amount=4.00|Lineitem quantity=1|Lineitem name=Fern print|Lineitem price=40.00|Lineitem sku=FERN-1|$ITEM"
cp "$T/export-1.csv" "$W/incoming/shop/orders_export_1.csv"
expect_rc 0 "the Shopify export declared" cg run
charges() {
    sql "SELECT group_concat(o.order_no || ':' || d.amount || ':' || coalesce(d.pay_charge, '-'), ' ')
         FROM (SELECT * FROM fx_declared ORDER BY order_id) d JOIN orders o ON o.id = d.order_id
         WHERE o.seller = 'shop'"
}
check "declared and charged recorded side by side; 1004 without a payment has no charge" \
    [ "$(charges)" = "1001:5500:5400 1002:9000:7000 1003:6500:7020 1004:4500:-" ]

# 1002 edited before release (2.00 tax added): a later export with Total 72.00
export_csv "$T/export-2.csv" \
    "Name=#1002|$PAID|Payment Reference=c1002.1|Subtotal=60.00|Shipping=10.00|Taxes=2.00|Total=72.00|Discount Code=QUARTER|Discount Amount=20.00|Lineitem quantity=1|Lineitem name=Ceramic mug|Lineitem price=80.00|Lineitem sku=MUG-1|$ITEM|Lineitem discount=20.00"
cp "$T/export-2.csv" "$W/incoming/shop/orders_export_2.csv"
expect_rc 0 "the later export of 1002 declared" cg run
check "1002 takes the new Total 72.00; its declared amount stays 90.00" \
    [ "$(charges)" = "1001:5500:5400 1002:9000:7200 1003:6500:7020 1004:4500:-" ]
release 2025-07-02 1001 1002 1003 1004
expect_rc 0 "receipts release the inventories" cg run

# The Shopify Payments payout of 2025-07-10 pays each Total, its fee netted (41.00 for 1004).
P='Payout ID,Payout Date,Currency,Order ID,Transaction ID,Gross Amount,Fee,Net Amount'
printf '%s\n' "$P" \
    "PO-0710,2025-07-10,USD,1001,c1001.1,54.00,1.87,52.13" \
    "PO-0710,2025-07-10,USD,1002,c1002.1,72.00,2.39,69.61" \
    "PO-0710,2025-07-10,USD,1003,c1003.1,70.20,2.34,67.86" \
    "PO-0710,2025-07-10,USD,1004,c1004.1,41.00,1.49,39.51" >"$T/payout.csv"
expect_rc 0 "the payout imported" cg settle import --seller shop "$T/payout.csv"
cg report fx orders --format csv --as-of 2025-07-31 >"$T/orders.csv"
row() { # ORDER: state declared expected collected open charged of shop/ORDER
    for k in state declared expected collected open charged; do
        printf '%s ' "$(csv_cell "$T/orders.csv" "shop/$1" $k)"
    done
}
# 54.00 of 54.00 expected (by the declared 55.00 within the tolerance of 1.00 too)
check "1001 COLLECTED: expects its Total 54.00, declared 55.00" \
    [ "$(row 1001)" = "COLLECTED 55.00 54.00 54.00 0.00 54.00 " ]
# by the declared amount: 72.00 < 90.00 - 1.00, PARTIAL
check "1002 COLLECTED: expects the later Total 72.00, declared 90.00" \
    [ "$(row 1002)" = "COLLECTED 90.00 72.00 72.00 0.00 72.00 " ]
# by the declared amount: 70.20 > 65.00 + 1.00, OVER_COLLECTED
check "1003 COLLECTED: expects its Total 70.20, declared 65.00" \
    [ "$(row 1003)" = "COLLECTED 65.00 70.20 70.20 0.00 70.20 " ]
check "1004 without a payment record expects the declared 45.00: PARTIAL, 4.00 open" \
    [ "$(row 1004)" = "PARTIAL 45.00 45.00 41.00 4.00  " ]
check "the orders report appends its charged column" \
    [ "$(python3 -c 'import csv,sys; print(",".join(next(csv.reader(open(sys.argv[1])))))' "$T/orders.csv")" = "order,currency,declared,released,state,expected,collected,open,tax_deadline,flags,customs_rate,declared_cny,collected_cny_customs,collected_cny_bank,fx_gain_loss,charged" ]

expect_rc 0 "settle explain 1002" cg settle explain shop/1002 --as-of 2025-07-31
printf '%s\n' "order shop/1002  COLLECTED" \
    "declared USD 90.00, released 2025-07-02, tax collection deadline 2026-04-30" \
    "charged USD 72.00 (what the buyer paid, from the order file's payment)" \
    "expected USD 72.00 (the charge, in proportion to the declared value kept; returned goods 0.00)" \
    >"$T/want"
check "explain shows the declared amount and the charge" sh -c "head -n 4 '$T/out' | cmp -s - '$T/want'"
expect_rc 0 "settle explain 1004" cg settle explain shop/1004 --as-of 2025-07-31
check "explain of 1004: no charge, expects the declared amount" \
    sh -c "! grep -q charged '$T/out' && sed -n 3p '$T/out' | grep -qxF 'expected USD 45.00 (returned goods 0.00)'"

# SAFE compares with the declaration: declared 55.00 + 90.00 + 65.00 + 45.00 = 255.00, received
# 54.00 + 72.00 + 70.20 + 41.00 = 237.20 (fees 8.09 netted), difference -17.80, ratio
# 237.20 / 255.00 = 93.0196...% -> 93.02
cg report fx reconcile --format csv >"$T/rec.csv"
check "reconcile compares with the declared amounts" \
    [ "$(rec 2025-07 declared received fees difference ratio)" = "255.00 237.20 8.09 -17.80 93.02" ]

# One mug of 1002 comes back (declared 80.00): it expects 72.00 x (90.00 - 80.00) / 90.00 = 8.00
expect_rc 0 "1002: the mug returned" cg settle mark shop/1002 returned 80.00 --note "RMA 7"
cg report fx orders --format csv --as-of 2025-07-31 >"$T/orders.csv"
check "1002 expects 8.00 of its charge after the return" \
    [ "$(row 1002)" = "OVER_COLLECTED 90.00 8.00 72.00 0.00 72.00 " ]
finish
