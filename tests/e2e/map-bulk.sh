#!/bin/sh
# map-bulk.sh - a generated file of 10,000 orders (1 to 3 lines each) with 50 deliberately bad
# ones must give exactly those 50 rejections, each naming the file, the line and the field the
# generator broke, and exactly 9,950 normalized orders, in the order of the file.
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"

D="$CG_TESTDATA/mapping"
# Complete seller codes: map builds and validates each order's CEB303 as run would.
{ printf '[seller]\ncatalog = %s/catalog.csv\n' "$D"; cat "$CG_TESTDATA/e2e/seller-codes.ini"
  printf '[declare]\ncop_code = 3301960001\ncop_name = Acme Export\ndxp_id = DXPENT0000000001\n'
} >"$T/cebgate.conf"

# Every 200th order is bad, in one of five ways; expected.txt gets "line field" for each.
awk -v ef="$T/expected.txt" -v of="$T/expected-orders.txt" 'BEGIN {
    print "order_no,currency,country,sku,item_name,qty,price,total"
    line = 1
    split("TS-001 MUG-1 TEA-1", sku, " ")
    for (i = 1; i <= 10000; i++) {
        n = 1 + i % 3
        bad = (i % 200 == 0) ? (i / 200) % 5 : -1
        if (bad < 0) printf "B%05d\n", i > of
        for (k = 1; k <= n; k++) {
            line++
            cur = "USD"; s = sku[k]; name = "item " i "-" k; q = k; p = "9.99"
            if (bad == 0 && k == 1) { s = "NOPE-" i; print line, "sku" > ef }
            if (bad == 1 && k == n) { q = 0; print line, "qty" > ef }
            if (bad == 2 && k == 1) { cur = "XXX"; print line, "currency" > ef }
            if (bad == 3 && k == n) { p = "1.234567"; print line, "price" > ef }
            if (bad == 4 && k == 1) { name = "tab\001ctl"; print line, "item_name" > ef }
            if (bad == 2 && k > 1) cur = ""
            printf "B%05d,%s,US,%s,\"%s\",%s,%s,\n", i, cur, s, name, q, p
        }
    }
}' >"$T/bulk.csv"
check "generator wrote 50 bad orders" test "$(wc -l <"$T/expected.txt")" -eq 50

expect_rc 1 "map exits 1 when orders are rejected" "$CEBGATE" -c "$T/cebgate.conf" map "$T/bulk.csv"
grep -v '^cebgate map: ' "$T/err" >"$T/errors.txt"
check "exactly 50 rejections" test "$(wc -l <"$T/errors.txt")" -eq 50
check "exactly 9950 orders" test "$(wc -l <"$T/out")" -eq 9950
# Orders are checked on a second thread while the next are read: the output stays in file order.
sed 's/^.*"order_no":"\([^"]*\)".*$/\1/' "$T/out" >"$T/got-orders.txt"
check "the good orders come out in file order" cmp -s "$T/expected-orders.txt" "$T/got-orders.txt"
check "every rejection is file:line: order <no>: field <name>: reason" \
    sh -c "! grep -v '^$T/bulk.csv:[0-9][0-9]*: order B[0-9]\{5\}: field [a-z_]*: .' '$T/errors.txt'"
sed 's|^[^:]*:\([0-9]*\): order [^:]*: field \([a-z_]*\): .*|\1 \2|' "$T/errors.txt" >"$T/got.txt"
check "rejections name the lines and fields that were broken" cmp -s "$T/expected.txt" "$T/got.txt"
check "the summary counts them" grep -q '^cebgate map: 9950 orders mapped, 50 rejected, 0 waiting, 0 skipped, 0 cancelled$' "$T/err"
check "good orders around bad ones are kept" grep -q '"order_no":"B00199"' "$T/out"
check "no bad order is printed" sh -c "! grep -q '\"order_no\":\"B00200\"' '$T/out'"

finish
