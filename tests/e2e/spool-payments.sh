#!/bin/sh
# spool-payments.sh - the payment receipt (CEB403) of a seller whose payments come from the shop
# ([seller] payments = shop): one per paid order, queued with its CEB303, agreeing with it on
# orderNo, ebcCode and currency; a changed amount is a modify (appType 2) of the 403 alone; an
# unpaid order has none until a later file shows its payment; a CEB404 in the official shape
# moves it; a seller without the setting gets no CEB403. Folder transport.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

sed -i 's/^profile = own$/profile = own\npayments = shop/' "$W/cebgate.conf"
cat >>"$W/cebgate.conf" <<EOC
[seller.plain]
profile = own
EOC
check "acme takes payments from the shop" grep -q '^payments = shop$' "$W/cebgate.conf"
# ORDER CHARGE PAYTIME: one order of two lines with shipment and (when PAYTIME) payment data.
order() {
    printf '%s,USD,US,USNY,5.00,TS-001,Tee,1,3.50,3120980105,SF Express,SF%s,2.5,PayPal,%s,%s,%s\n' \
        "$1" "${1#SO-}" "${3:+PAY-$1}" "${3:+$2}" "$3"
    printf '%s,,,,,MUG-1,Mug,2,4.50,,,,,,,,\n' "$1"
}
HEAD=order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight,pay_name,pay_no,pay_charge,pay_time
mkdir -p "$W/incoming/acme" "$W/incoming/plain"
{
    echo "$HEAD"
    order SO-0000001 17.50 '2026-01-01 10:00:00 +0800'
    order SO-0000002 17.50 '2026-01-01 11:00:00 +0800'
    order SO-0000003 '' ''
} >"$W/incoming/acme/a.csv"
{ echo "$HEAD"; order SO-0000009 17.50 '2026-01-01 10:00:00 +0800'; } >"$W/incoming/plain/a.csv"
expect_rc 0 "run declares four orders" cg run --no-progress
kinds() { # SELLER ORDER: msg_type:version:appType of each message, by type
    sql "SELECT group_concat(t, ' ') FROM (SELECT m.msg_type || ':' || m.version || ':' ||
         m.app_type AS t FROM messages m JOIN documents d ON d.id = m.document_id
         JOIN orders o ON o.id = d.order_id WHERE o.seller = '$1' AND o.order_no = '$2'
         ORDER BY m.msg_type, m.version)"
}
check "paid order 1: 303, 403, 505, 603" [ "$(kinds acme SO-0000001)" = "303:1:1 403:1:1 505:1:1 603:1:1" ]
check "paid order 2: 303, 403, 505, 603" [ "$(kinds acme SO-0000002)" = "303:1:1 403:1:1 505:1:1 603:1:1" ]
check "unpaid order 3: no 403" [ "$(kinds acme SO-0000003)" = "303:1:1 505:1:1 603:1:1" ]
check "seller without payments = shop: no 403" [ "$(kinds plain SO-0000009)" = "303:1:1 505:1:1 603:1:1" ]
check "fourteen messages in outbox/" [ "$(count "$W/outbox" 'CEB*.xml')" -eq 14 ]
guid_of() { # ORDER TYPE
    sql "SELECT d.guid FROM documents d JOIN orders o ON o.id = d.order_id
         WHERE o.seller = 'acme' AND o.order_no = '$1' AND d.msg_type = $2"
}
val() { # FILE ELEMENT: the element's text (first)
    sed -n "s:.*<ceb\:$2>\([^<]*\)</ceb\:$2>.*:\1:p" "$1" | head -1
}
p1=$(guid_of SO-0000001 403)
o1=$(guid_of SO-0000001 303)
f403=$W/outbox/CEB403Message_$p1.xml
f303=$W/outbox/CEB303Message_$o1.xml
for e in orderNo ebcCode currency; do
    check "303 and 403 agree on $e ($(val "$f303" $e))" [ "$(val "$f403" $e)" = "$(val "$f303" $e)" ]
done
check "the 403 says orderNo SO-0000001" [ "$(val "$f403" orderNo)" = SO-0000001 ]
check "the 403's charge is the file's" [ "$(val "$f403" charge)" = 17.5 ]
check "the 403's payNo is the file's" [ "$(val "$f403" payNo)" = PAY-SO-0000001 ]
check "accountingDate in China time" [ "$(val "$f403" accountingDate)" = 20260101100000 ]
check "appType 1" [ "$(val "$f403" appType)" = 1 ]

# The port stores the 403 of order 1 (CEB404, the official 2018 shape, guid in lower case).
lower() { printf '%s' "$1" | tr 'A-Z' 'a-z'; }
sed "s/@GUID@/$(lower "$p1")/g; s/@ORDER@/SO-0000001/; s/@STATUS@/2/" \
    "$CG_TESTDATA/e2e/receipts/CEB404Message.xml" >"$W/inbox/r-404.xml"
expect_rc 0 "the CEB404 is applied" cg run --no-progress
check "one applied" grep -q 'receipts: 1 file, 1 applied' "$T/out"
state_of() { sql "SELECT state FROM documents WHERE guid = '$1'"; }
check "the 403 is declaring" [ "$(state_of "$p1")" = declaring ]

# A later file: order 1's amount changes, order 3 is now paid, order 2 is the same.
{
    echo "$HEAD"
    order SO-0000001 16.00 '2026-01-01 10:00:00 +0800'
    order SO-0000002 17.50 '2026-01-01 11:00:00 +0800'
    order SO-0000003 17.50 '2026-01-02 09:00:00 +0800'
} >"$W/incoming/acme/b.csv"
expect_rc 0 "run with the changed payments" cg run --no-progress
check "order 1: the 403 again as a modify, nothing else" \
    [ "$(kinds acme SO-0000001)" = "303:1:1 403:1:1 403:2:2 505:1:1 603:1:1" ]
check "order 2 unchanged" [ "$(kinds acme SO-0000002)" = "303:1:1 403:1:1 505:1:1 603:1:1" ]
check "order 3: its first 403, an add" [ "$(kinds acme SO-0000003)" = "303:1:1 403:1:1 505:1:1 603:1:1" ]
p1b=$(guid_of SO-0000001 403)
check "the new 403 carries the new amount" [ "$(val "$W/outbox/CEB403Message_$p1b.xml" charge)" = 16 ]
check "and appType 2" [ "$(val "$W/outbox/CEB403Message_$p1b.xml" appType)" = 2 ]
expect_rc 0 "status of order 1" cg status SO-0000001
check "status lists the CEB403" grep -q 'CEB403 SO-0000001  version 2' "$T/out"
finish
