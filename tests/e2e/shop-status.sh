#!/bin/sh
# shop-status.sh - `cebgate run` on a Shopify export and an Amazon report with every kind of
# order status (tests/data/shop/): exactly the live orders are declared, the others are counted
# by reason in the summary, exit 0. The destination port comes from the seller's
# pod_by_country, pod and the shipments file. The next day's export declares the order that was
# waiting and reports the declared order that was cancelled since as needing a cancellation
# (printed once, in the summary, in the database, in cebgate status). The expected outcomes come
# from the status rules in docs/order-format.md.
. "${CG_SRCDIR:-.}/tests/e2e/shop-lib.sh"

S=$CG_TESTDATA/shop
cp "$S/shipments.csv" "$W/shop-shipments.csv"
shop_conf "$W/cebgate.conf" "catalog = catalog.csv
shipments = shop-shipments.csv
pod = LGG
pod_by_country = US=LAX, DE=HAM
[seller.sh]
profile = shopify
[seller.az]
profile = amazon"
mkdir -p "$W/incoming/sh" "$W/incoming/az"
cp "$S/shopify/orders_export_2026-10-02.csv" "$W/incoming/sh/"
cp "$S/amazon/all-orders-2026-10-02.txt" "$W/incoming/az/"
(cd "$W" && expect_rc 0 "run on the two exports exits 0" "$CEBGATE" -c cebgate.conf run --no-progress)
cp "$T/out" "$T/run1"
has() { grep -Fxq -- "$1" "$T/run1"; }

sql "SELECT seller || ' ' || order_no FROM orders ORDER BY 1" >"$T/declared"
cat >"$T/want" <<EOF
az 302-0000001-0000001
az 302-0000004-0000004
az 302-0000005-0000005
sh 2001
sh 2004
sh 2006
EOF
if cmp -s "$T/want" "$T/declared"; then ok "exactly the live orders are declared"; else
    fail "declared orders differ"; diff "$T/want" "$T/declared"; fi
check "summary counts" has "  orders: 6 accepted (6 new, 0 modified), 0 unchanged, 0 rejected, 3 waiting, 1 skipped, 2 cancelled"
check "Shopify cancelled" has "         1 x cancelled: Cancelled at set"
check "Shopify refunded, not shipped" has "         1 x skipped: Financial Status 'refunded'"
check "Shopify unpaid" has "         1 x waiting: Financial Status 'pending'"
check "Shopify authorized" has "         1 x waiting: Financial Status 'authorized'"
check "Amazon Cancelled" has "         1 x cancelled: order-status 'Cancelled'"
check "Amazon Pending" has "         1 x waiting: order-status 'Pending'"
check "nothing needs a cancellation yet" sh -c "! grep -q 'needing a cancellation' '$T/run1'"
check "both files done" has "summary: 2 files taken (2 done, 0 failed, 0 duplicate)"
check "the file line counts the orders not declared" \
    has "done sh/orders_export_2026-10-02.csv: 3 orders taken, 0 rejected, 2 waiting, 1 skipped, 1 cancelled, $(sed -n 's/^done sh.*cancelled, //p' "$T/run1")"

# The multi-item order has its three lines; the one with a cancelled item has one line.
msg_of() { grep -l "<ceb:orderNo>$2</ceb:orderNo>" "$W"/outbox/CEB$1Message_* | head -1; }
nlines() { grep -o '<ceb:gnum>' "$(msg_of 303 "$1")" | wc -l; }
check "multi-item Amazon order: 3 lines in CEB303" [ "$(nlines 302-0000001-0000001)" -eq 3 ]
check "Amazon order with a cancelled item: 1 line in CEB303" [ "$(nlines 302-0000004-0000004)" -eq 1 ]
check "the multi-line note is declared as written" \
    grep -q 'Gift wrap, please\.' "$(msg_of 303 2001)"
# Destination ports: pod_by_country (US, DE) and the shipments file's own column.
check "POD from pod_by_country (US)" grep -q '<ceb:POD>LAX</ceb:POD>' "$(msg_of 603 2001)"
check "POD from the shipments file" grep -q '<ceb:POD>JFK</ceb:POD>' "$(msg_of 603 2004)"
check "POD from pod_by_country (DE)" grep -q '<ceb:POD>HAM</ceb:POD>' "$(msg_of 603 302-0000001-0000001)"

# The next day: #2001 cancelled (after its documents were sent), #2005 paid, #2007 waiting.
cp "$S/shopify/orders_export_2026-10-03.csv" "$W/incoming/sh/"
(cd "$W" && expect_rc 0 "the next day's run exits 0" "$CEBGATE" -c cebgate.conf run --no-progress)
cp "$T/out" "$T/run2"
check "the order paid since is declared" [ "$(sql "SELECT count(*) FROM orders WHERE order_no = '2005'")" = 1 ]
check "the cancelled order is printed once as needing a cancellation" \
    sh -c "[ \$(grep -c 'order 2001: cancelled (Cancelled at set) after its documents were sent: it needs a cancellation' '$T/run2') -eq 1 ]"
check "the summary says so" grep -Fq "  needing a cancellation: 1 order cancelled or skipped after its documents were sent (cebgate status --cancel)" "$T/run2"
check "summary counts of the second run" grep -Fxq "  orders: 1 accepted (1 new, 0 modified), 0 unchanged, 0 rejected, 1 waiting, 0 skipped, 1 cancelled" "$T/run2"
check "recorded for the cancellation step" [ "$(sql "SELECT o.order_no || ' ' || c.status || ' ' || c.reason FROM cancel_needed c JOIN orders o ON o.id = c.order_id WHERE c.done_at IS NULL")" = '2001 cancelled Cancelled at set' ]
(cd "$W" && expect_rc 0 "status --cancel" "$CEBGATE" -c cebgate.conf status --cancel)
check "status --cancel lists it" grep -q "sh/2001  cancelled (Cancelled at set) in orders_export_2026-10-03.csv:2 after its documents were sent" "$T/out"
check "status --cancel counts" grep -Fxq "1 order needs a cancellation (CEB605)" "$T/out"
(cd "$W" && expect_rc 0 "status of the order" "$CEBGATE" -c cebgate.conf status 2001)
check "the order's timeline says it needs a cancellation" grep -q "NEEDS A CANCELLATION" "$T/out"
(cd "$W" && expect_rc 0 "status --pending" "$CEBGATE" -c cebgate.conf status --pending)
check "status --pending mentions it" grep -Fxq "1 order needs a cancellation (cebgate status --cancel)" "$T/out"
# An order only ever held back for its status (#2007, waiting in both files) is known: status
# names the files that held it, not "no such order".
(cd "$W" && expect_rc 0 "status of an order held back for its status" "$CEBGATE" -c cebgate.conf status 2007)
WAITING="waiting (not paid yet, payment only authorized, or pending in that file: declared when a later file shows it live)"
check "status names each file that held it back, and the status it was held for" [ "$(sed 's/, taken .*//' "$T/out")" = "order sh/2007 not declared: held back as $WAITING by sh/orders_export_2026-10-02.csv
order sh/2007 not declared: held back as $WAITING by sh/orders_export_2026-10-03.csv" ]
(cd "$W" && expect_rc 0 "status SELLER/ORDER of it" "$CEBGATE" -c cebgate.conf status sh/2007)
check "the same two files" [ "$(grep -c '^order sh/2007 not declared: held back' "$T/out")" = 2 ]
# A file taken before the database kept the status an order was held for (schema version 10)
sql "UPDATE file_orders SET status = NULL WHERE order_no = '2007' AND input_file = (SELECT min(input_file) FROM file_orders WHERE order_no = '2007')"
(cd "$W" && expect_rc 0 "status of it, one file's status not kept" "$CEBGATE" -c cebgate.conf status sh/2007)
check "  that file says it is not known which" [ "$(sed 's/, taken .*//' "$T/out")" = "order sh/2007 not declared: held back as waiting, skipped or cancelled (which one is not known for a file taken before the database kept it) by sh/orders_export_2026-10-02.csv
order sh/2007 not declared: held back as $WAITING by sh/orders_export_2026-10-03.csv" ]
(cd "$W" && expect_rc 1 "status of an order of no file" "$CEBGATE" -c cebgate.conf status 9999)
# A file named the way run prints it.
(cd "$W" && expect_rc 0 "status SELLER/FILE" "$CEBGATE" -c cebgate.conf status sh/orders_export_2026-10-02.csv)
check "status SELLER/FILE shows the file" grep -q "^file sh/orders_export_2026-10-02.csv  done" "$T/out"
check "with the orders not declared" grep -Fxq "  orders: 3 new, 0 modified, 0 unchanged, 0 rejected, 2 waiting, 1 skipped, 1 cancelled" "$T/out"
(cd "$W" && expect_rc 1 "status OTHER-SELLER/FILE is unknown" "$CEBGATE" -c cebgate.conf status az/orders_export_2026-10-02.csv)
# An item that needs no shipping (a gift card, a tip: "Lineitem requires shipping" false, no SKU)
# is no goods leaving the country: the built-in shopify profile leaves it out and declares the
# rest (#3001); an order of such items only is skipped, even when Shopify shows it fulfilled
# (#3002).
o=$(grep '^#2007,' "$S/shopify/orders_export_2026-10-02.csv")
item() { # NAME FINANCIAL FULFILLMENT ITEM-NAME SKU REQUIRES-SHIPPING
    echo "$o" | awk -F, -v OFS=, -v n="$1" -v fs="$2" -v ff="$3" -v nm="$4" -v sku="$5" -v rs="$6" \
        '{ $1 = n; $3 = fs; $5 = ff; $18 = nm; $21 = sku; $22 = rs; print }'
}
{
    head -n 1 "$S/shopify/orders_export_2026-10-02.csv"
    item '#3001' paid fulfilled 'Canvas tote' TOTE-1 true
    item '#3001' '' '' Tip '' false
    item '#3002' paid fulfilled 'Gift card 50 EUR' '' false
} >"$W/gift.csv"
(cd "$W" && expect_rc 0 "map: an export with a tip and a gift card exits 0" \
    "$CEBGATE" -c cebgate.conf map --seller sh gift.csv)
check "the order with a tip is declared with its one item" \
    grep -q '^{"order_no":"3001",.*"lines":\[{"gnum":1,"sku":"TOTE-1",[^]]*}\]' "$T/out"
check "only that order is declared" [ "$(grep -c '^{' "$T/out")" -eq 1 ]
check "the gift-card-only order is skipped" grep -Fxq \
    "gift.csv:4: order 3002: skipped: every item dropped (Lineitem requires shipping 'false')" "$T/err"
# A live Amazon order whose kept item has an unknown SKU is rejected for it: a cancelled item
# beside it does not make it a skipped order (302-0000009-0000009).
a=$S/amazon/all-orders-2026-10-02.txt
{
    head -n 1 "$a"
    sed -n 2p "$a" | awk -F'\t' -v OFS='\t' '{ $1 = "302-0000009-0000009"; $5 = "Unshipped";
        $11 = "NO-SUCH-SKU"; $13 = "Unshipped"; print }'
    sed -n 2p "$a" | awk -F'\t' -v OFS='\t' '{ $1 = "302-0000009-0000009"; $5 = "Unshipped";
        $13 = "Cancelled"; print }'
} >"$W/hidden.txt"
(cd "$W" && expect_rc 1 "map: a live order with an unknown SKU beside a cancelled item exits 1" \
    "$CEBGATE" -c cebgate.conf map --seller az hidden.txt)
check "the unknown SKU is reported on its line" grep -q \
    "^hidden.txt:2: order 302-0000009-0000009: field sku: 'NO-SUCH-SKU' is not in the product catalogue" "$T/err"
check "the order is not counted as skipped" grep -Fxq \
    "cebgate map: 0 orders mapped, 1 rejected, 0 waiting, 0 skipped, 0 cancelled" "$T/err"
finish
