#!/bin/sh
# settle-explain-held.sh - `settle explain` of an order settle/ does not have. One the shop's
# file held back for its status (Financial Status pending: waiting) is explained: held, not
# declared, by which file, why and what declares it (exit 0). A number no file gave is no such
# order, of that seller or of any (exit 1, as status and refund explain answer a name they do
# not know), in other words than the held one's.
. "${CG_SRCDIR:-.}/tests/e2e/settle-shopify-lib.sh"
shopify_seller 2001:0.6 2002:0.5
ITEM='Lineitem requires shipping=true|Lineitem taxable=true'
HEAD='Fulfillment Status=unfulfilled|Currency=USD|Shipping Country=US|Subtotal=25.00|Shipping=5.00|Taxes=0.00|Total=30.00|Lineitem quantity=1|Lineitem name=Cotton T-shirt - M|Lineitem price=25.00|Lineitem sku=TS-001'
export_csv "$T/export.csv" \
    "Name=#2001|Financial Status=pending|$HEAD|$ITEM" \
    "Name=#2002|Financial Status=paid|Paid at=2025-07-01 10:15:00 -0400|Payment Method=Shopify Payments|$HEAD|$ITEM"
cp "$T/export.csv" "$W/incoming/shop/orders_export_1.csv"
expect_rc 0 "the export taken: 2002 declared, 2001 held as waiting" cg run
check "  2001 is not in settle, 2002 is" \
    [ "$(sql "SELECT group_concat(o.order_no) FROM fx_declared d JOIN orders o ON o.id = d.order_id")" = "2002" ]

expect_rc 0 "settle explain of the held order" cg settle explain shop/2001
check "  says it is held and that nothing is to be collected" grep -qxF \
    "order shop/2001 is held back for its shop status: not declared, so nothing is to be collected for it; settle follows it once a file declares it and customs releases it" "$T/out"
check "  names the file, the status and what declares it" grep -qE \
    "^  held back by shop/orders_export_1\.csv, taken [0-9T:.Z-]+: waiting: not paid yet, payment only authorized, or pending in that file; a later file of the shop that shows it live \(paid\) declares it$" "$T/out"
check "  two lines" [ "$(wc -l <"$T/out")" -eq 2 ]
expect_rc 0 "settle explain of the held order by its number alone" cg settle explain 2001
check "  the same" grep -qxF \
    "order 2001 is held back for its shop status: not declared, so nothing is to be collected for it; settle follows it once a file declares it and customs releases it" "$T/out"

# A file's name is the seller's text: a right-to-left override in it is shown escaped.
export_csv "$T/export2.csv" "Name=#2003|Financial Status=pending|$HEAD|$ITEM"
cp "$T/export2.csv" "$W/incoming/shop/$(printf 'orders\342\200\256vsc.csv')"
expect_rc 0 "a file with an override in its name holds 2003" cg run
expect_rc 0 "settle explain of 2003" cg settle explain shop/2003
check "  the override is shown escaped" grep -qF 'held back by shop/orders\u{202E}vsc.csv, taken' "$T/out"
check "  and not raw" sh -c "! grep -q \"$(printf '\342\200\256')\" '$T/out'"
expect_rc 1 "settle explain of a number no file gave, of seller shop" cg settle explain shop/2999
check "  no such order of that seller" grep -qxF "cebgate: order shop/2999: no such order of seller shop" "$T/err"
check "  and nothing on standard output" [ ! -s "$T/out" ]
expect_rc 1 "settle explain of a number no file gave, of any seller" cg settle explain 2999
check "  no such order of any seller" grep -qxF "cebgate: order 2999: no such order of any seller" "$T/err"
expect_rc 1 "settle explain of the held number for another seller" cg settle explain acme/2001
check "  no such order of acme" grep -qxF "cebgate: order acme/2001: no such order of seller acme" "$T/err"
finish
