#!/bin/sh
# shop-map-run.sh - what `cebgate map` accepts, `cebgate run` declares: for every order file
# under tests/data (found by name, so a new one is covered too), the order numbers map prints
# on stdout equal the order numbers run records as declared in a fresh working directory with
# the same configuration. The files of tests/data/mapping get no destination port, so their
# orders with a shipment fail CEB603 in both; those of tests/data/shop get one from the seller.
# tests/data/bad holds broken inputs, which bad-inputs.sh checks; tests/data/settle and
# tests/data/refund hold statements and refund files, no order files.
. "${CG_SRCDIR:-.}/tests/e2e/shop-lib.sh"

files=$(find "$CG_TESTDATA" -type f \( -name '*.csv' -o -name '*.txt' -o -name '*.jsonl' \) \
    ! -name 'catalog*.csv' ! -name 'shipments*.csv' ! -name 'expected*' ! -path '*/xsd*' \
    ! -path '*/bad/*' ! -path '*/settle/*' ! -path '*/refund/*' | sort)
n=0
compared=0
for f in $files; do
    n=$((n + 1))
    dir=$(basename "$(dirname "$f")")
    case "$dir" in
    own | own-gbk) profile=own ;;
    jsonl | shopify | amazon) profile=$dir ;;
    excel) # the golden files as Excel saves them again (mapping/excel/README.md)
        case "$f" in */all-orders*) profile=amazon ;; *) profile=shopify ;; esac ;;
    *) fail "$f: no profile known for an order file in '$dir/' (add it to this test)"; continue ;;
    esac
    case "$f" in
    */shop/*) extra="shipments = $CG_TESTDATA/shop/shipments.csv
pod = LGG
pod_by_country = US=LAX, DE=HAM" ;;
    *) extra="shipments = $CG_TESTDATA/mapping/shipments.csv" ;;
    esac
    w=$T/w$n
    mkdir -p "$w/incoming/s"
    shop_conf "$w/cebgate.conf" "catalog = $CG_TESTDATA/mapping/catalog.csv
$extra
[seller.s]
profile = $profile"
    "$CEBGATE" -c "$w/cebgate.conf" map --seller s "$f" >"$w/map.out" 2>"$w/map.err"
    mrc=$?
    if [ "$mrc" -gt 1 ]; then fail "$f: map exit $mrc"; sed 's/^/  /' "$w/map.err"; continue; fi
    sed 's/^{"order_no":"\([^"]*\)".*/\1/' "$w/map.out" | sort >"$w/map.set"
    cp "$f" "$w/incoming/s/"
    (cd "$w" && "$CEBGATE" -c cebgate.conf run --no-progress >"$w/run.out" 2>"$w/run.err")
    rrc=$?
    if [ "$rrc" -gt 1 ]; then fail "$f: run exit $rrc"; sed 's/^/  /' "$w/run.err"; continue; fi
    sqlite3 "$w/cebgate.db" "SELECT order_no FROM orders" | sort >"$w/run.set"
    if cmp -s "$w/map.set" "$w/run.set"; then
        ok "${f#"$CG_TESTDATA"/}: map accepts what run declares ($(wc -l <"$w/map.set") orders)"
    else
        fail "${f#"$CG_TESTDATA"/}: map and run differ"
        diff "$w/map.set" "$w/run.set" | sed 's/^/  /'
    fi
    # The same exit status: 1 exactly when some order was rejected.
    if [ "$mrc" -eq "$rrc" ]; then ok "${f#"$CG_TESTDATA"/}: same exit status ($mrc)"; else
        fail "${f#"$CG_TESTDATA"/}: map exit $mrc, run exit $rrc"; fi
    compared=$((compared + 1))
done
check "every order file was compared ($compared of $n)" [ "$compared" -eq "$n" ]

# A file with no order at all (a header only, or only empty rows): run moves it to failed/ with
# "no orders in the file", and map says the same and exits 1 too.
w=$T/none
mkdir -p "$w/incoming/s"
shop_conf "$w/cebgate.conf" "catalog = $CG_TESTDATA/mapping/catalog.csv
[seller.s]
profile = own"
echo "order_no,sku,qty,price" >"$w/header-only.csv"
printf 'order_no,sku,qty,price\n,,,\n,,,\n' >"$w/empty-rows.csv"
for f in header-only empty-rows; do
    expect_rc 1 "$f.csv: map exits 1" "$CEBGATE" -c "$w/cebgate.conf" map --seller s "$w/$f.csv"
    check "$f.csv: map says there is no order" grep -qxF "cebgate: $w/$f.csv: no orders in the file" "$T/err"
    cp "$w/$f.csv" "$w/incoming/s/"
    expect_rc 1 "$f.csv: run exits 1" sh -c "cd '$w' && '$CEBGATE' -c cebgate.conf run --no-progress"
    check "$f.csv: run moves it to failed/, no orders in the file" \
        grep -q "no orders in the file" "$w/failed/s/$f.csv.reason"
done
# An invoice file, a refund results file and a bank statement are not order files: map says
# what each is and which command imports it.
printf 'invoice_code,invoice_number,line,issued_on,seller_tax_id,item_name,spec,unit,quantity,amount_ex_vat,vat_rate,vat_amount,hs_code\n3100251130,00012345,1,2025-05-20,91310000MA1FL0XX1X,Mug,350ml,pcs,1000,65000.00,13,8450.00,\n' >"$w/inv.csv"
cp "$CG_SRCDIR/examples/statements/lotus-camt053-2026-10-31.xml" "$w/camt.xml"
for f in "inv.csv:a purchase invoice file (docs/invoices-format.md):cebgate refund invoices" \
    "camt.xml:a collection statement (docs/collections-format.md):cebgate settle import"; do
    nm=${f%%:*}
    rest=${f#*:}
    kind=${rest%%:*}
    cmd=${rest#*:}
    expect_rc 1 "$nm: map exits 1" "$CEBGATE" -c "$w/cebgate.conf" map --seller s "$w/$nm"
    check "$nm: map says what the file is and how to import it" grep -qxF \
        "cebgate: $w/$nm: this is $kind, not an order file: import it with \`$cmd FILE\`, or drop it in incoming/ for \`cebgate run\`" "$T/err"
done
# The rows of one order must follow each other. An order met again after another one (rows
# NA-1, NA-2, NA-1) is rejected by map from the later rows on, naming the line the order began
# on; map streams, so the rows read first are the order it prints. run reads the order numbers
# first and rejects such an order whole: each group of its rows, the first naming the line its
# rows come again on, and none of it is declared; the other orders are. Own CSV and an Amazon
# export (tab-separated, the order number in amazon-order-id); JSON lines hold an order per
# line, so a second line with the same number is the same fault.
apart() { # NAME PROFILE FILE FIELD LINE FIRST ORDER MAP-ORDERS RUN-ORDERS, the file in $T/$FILE
    name=$1 profile=$2 f=$3 field=$4 line=$5 first=$6 order=$7 orders=$8 runorders=$9
    w=$T/apart-$name
    mkdir -p "$w/incoming/s"
    shop_conf "$w/cebgate.conf" "catalog = $CG_TESTDATA/mapping/catalog.csv
shipments = $CG_TESTDATA/shop/shipments.csv
pod = LGG
[seller.s]
profile = $profile"
    cp "$T/$f" "$w/$f"
    if [ "$profile" = jsonl ]; then
        why="order $order is on line $first already: one line holds the whole order"
        why1="order $order is on line $line again: one line holds the whole order"
    else
        why="the rows of order $order must follow each other: it began at line $first and another order came between"
        why1="the rows of order $order must follow each other: they come again at line $line, after another order"
    fi
    expect_rc 1 "$name: map exits 1" sh -c "cd '$w' && '$CEBGATE' -c cebgate.conf map --seller s $f"
    check "$name: map rejects the later rows" \
        grep -qxF "$f:$line: order $order: field $field: $why" "$T/err"
    check "$name: map says nothing else on stderr" \
        [ "$(grep -vc '^cebgate map: ' "$T/err")" -eq 1 ]
    check "$name: map prints the other orders and the first rows of $order" \
        [ "$(sed 's/^{"order_no":"\([^"]*\)".*/\1/' "$T/out" | tr '\n' ' ')" = "$orders" ]
    cp "$T/out" "$w/map.out"
    cp "$w/$f" "$w/incoming/s/"
    expect_rc 1 "$name: run exits 1" sh -c "cd '$w' && '$CEBGATE' -c cebgate.conf run --no-progress"
    cat "$T/out" "$T/err" >"$w/run.log"
    check "$name: run rejects the first rows of $order, naming the line they come again on" \
        grep -qxF "s/$f:$first: order $order: field $field: $why1" "$w/run.log"
    check "$name: run rejects the later rows" \
        grep -qxF "s/$f:$line: order $order: field $field: $why" "$w/run.log"
    check "$name: run takes the other orders, the file is done, $order counted once" \
        grep -q "^done s/$f: $(echo $runorders | wc -w) orders\{0,1\} taken, 1 rejected, " "$w/run.log"
    check "$name: the run summary counts $order once" \
        grep -q "^  orders: $(echo $runorders | wc -w) accepted .*, 1 rejected," "$w/run.log"
    check "$name: run records a rejection at each line of $order" [ "$(sqlite3 "$w/cebgate.db" \
        "SELECT line || ' ' || order_no FROM rejections ORDER BY line" | tr '\n' ' ')" = \
        "$first $order $line $order " ]
    check "$name: run declares the other orders" [ "$(sqlite3 "$w/cebgate.db" \
        "SELECT order_no FROM orders ORDER BY id" | tr '\n' ' ')" = "$runorders" ]
    check "$name: no message in outbox/ is for $order" \
        [ -z "$(grep -l "<ceb:orderNo>$order</ceb:orderNo>" "$w"/outbox/*.xml)" ]
    for o in $runorders; do
        check "$name: $o's order (CEB303) is in outbox/" \
            [ "$(grep -l "<ceb:orderNo>$o</ceb:orderNo>" "$w"/outbox/CEB303Message_*.xml | wc -l)" -eq 1 ]
    done
    (cd "$w" && "$CEBGATE" -c cebgate.conf status --rejected) >"$w/rejected.out" 2>&1
    check "$name: status --rejected lists $order with the reason" \
        grep -qF "  order s/$order  s/$f:$line: order $order: field $field: $why" "$w/rejected.out"
}
printf '%s\n' order_no,currency,country,sku,qty,price NA-1,USD,US,TS-001,1,9.99 \
    NA-2,USD,US,MUG-1,1,7.50 NA-1,USD,US,MUG-1,2,7.50 NA-1,USD,US,TOTE-1,1,20 \
    NA-3,USD,US,TS-001,1,9.99 >"$T/apart.csv"
apart own own apart.csv order_no 4 2 NA-1 "NA-1 NA-2 NA-3 " "NA-2 NA-3 "
check "own: map's NA-1 is the first row alone" \
    grep -q '^{"order_no":"NA-1".*"lines":\[{[^]]*"sku":"TS-001"[^]]*}\]' "$T/apart-own/map.out"
a=$CG_TESTDATA/shop/amazon/all-orders-2026-10-02.txt
# The later rows say Cancelled: they are rejected all the same, no cancellation of the order
# is recorded.
{ sed -n 1,2p "$a"; sed -n 7p "$a"; sed -n 3p "$a" | sed 's/\tShipped\t/\tCancelled\t/'
    sed -n 4p "$a"; } >"$T/apart.txt"
apart amazon amazon apart.txt amazon-order-id 4 2 302-0000001-0000001 \
    "302-0000001-0000001 302-0000004-0000004 " "302-0000004-0000004 "
check "amazon: the cancelled later rows record no cancellation" \
    [ "$(sqlite3 "$T/apart-amazon/cebgate.db" "SELECT count(*) FROM cancel_needed")" -eq 0 ]
j='"currency":"USD","country":"US","lines":[{"sku":"TS-001","qty":1,"price":"9.99"}]}'
printf '%s\n' "{\"order_no\":\"J-1\",$j" "{\"order_no\":\"J-2\",$j" "{\"order_no\":\"J-1\",$j" \
    >"$T/apart.jsonl"
apart jsonl jsonl apart.jsonl order_no 3 1 J-1 "J-1 J-2 " "J-2 "
# Orders whose numbers look alike, each in one group of rows (a blank spreadsheet row between
# two rows of NA-1 parts nothing): run rejects none of them and declares each once.
w=$T/alike
mkdir -p "$w/incoming/s"
shop_conf "$w/cebgate.conf" "catalog = $CG_TESTDATA/mapping/catalog.csv
pod = LGG
[seller.s]
profile = own"
printf '%s\n' order_no,currency,country,sku,qty,price NA-1,USD,US,TS-001,1,9.99 ,,,,, \
    NA-1,USD,US,MUG-1,2,7.50 NA-10,USD,US,TS-001,1,9.99 na-1,USD,US,TS-001,1,9.99 \
    NA-1-1,USD,US,MUG-1,1,7.50 >"$w/incoming/s/alike.csv"
expect_rc 0 "alike: run exits 0" sh -c "cd '$w' && '$CEBGATE' -c cebgate.conf run --no-progress"
check "alike: nothing rejected" [ "$(sqlite3 "$w/cebgate.db" "SELECT count(*) FROM rejections")" -eq 0 ]
check "alike: each order declared once" [ "$(sqlite3 "$w/cebgate.db" \
    "SELECT o.order_no FROM documents d JOIN orders o ON o.id = d.order_id WHERE d.msg_type = 303
     ORDER BY o.id" | tr '\n' ' ')" = "NA-1 NA-10 na-1 NA-1-1 " ]
check "alike: NA-1 has both its lines" \
    grep -q "<ceb:gnum>2</ceb:gnum>" "$(grep -l "<ceb:orderNo>NA-1</ceb:orderNo>" "$w"/outbox/CEB303Message_*.xml)"
# Without --seller, map reads the file as [seller] says; a broker's configuration keeps the
# catalogue in each [seller.NAME]: the error says which sellers there are.
w=$T/noseller
mkdir -p "$w"
shop_conf "$w/cebgate.conf" "[seller.kite]
catalog = $CG_TESTDATA/mapping/catalog.csv
[seller.lotus]
catalog = $CG_TESTDATA/mapping/catalog.csv"
printf 'order_no,currency,country,sku,qty,price\nNS-1,USD,US,TS-001,1,9.99\n' >"$w/o.csv"
expect_rc 2 "map without --seller, no [seller] catalog: exit 2" "$CEBGATE" -c "$w/cebgate.conf" map "$w/o.csv"
check "the error names the sellers to choose from" grep -qxF "cebgate: no product catalogue: set catalog in [seller] or the seller's section (cebgate map also takes --catalog); every order line needs its HS code from it; no --seller given: try --seller NAME for one of kite, lotus" "$T/err"
check "at least the 8 order files known today" [ "$n" -ge 8 ]
finish
