#!/bin/sh
# shop-map-run.sh - what `cebgate map` accepts, `cebgate run` declares: for every order file
# under tests/data (found by name, so a new one is covered too), the order numbers map prints
# on stdout equal the order numbers run records as declared in a fresh working directory with
# the same configuration. The files of tests/data/mapping get no destination port, so their
# orders with a shipment fail CEB603 in both; those of tests/data/shop get one from the seller.
# tests/data/bad holds broken inputs, which bad-inputs.sh checks.
. "${CG_SRCDIR:-.}/tests/e2e/shop-lib.sh"

files=$(find "$CG_TESTDATA" -type f \( -name '*.csv' -o -name '*.txt' -o -name '*.jsonl' \) \
    ! -name 'catalog*.csv' ! -name 'shipments*.csv' ! -name 'expected*' ! -path '*/xsd*' \
    ! -path '*/bad/*' | sort)
n=0
compared=0
for f in $files; do
    n=$((n + 1))
    dir=$(basename "$(dirname "$f")")
    case "$dir" in
    own | own-gbk) profile=own ;;
    jsonl | shopify | amazon) profile=$dir ;;
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
check "at least the 8 order files known today" [ "$n" -ge 8 ]
finish
