#!/bin/sh
# map-golden.sh - `cebgate map` on sample Shopify, Amazon, own-CSV (UTF-8 and GBK) and JSON-lines
# files: stdout must equal the expected JSON lines byte for byte, stderr must hold exactly the
# expected rejections (file:line: order <no>: field <name>: reason), exit 1 when any order is
# rejected. Each case is tests/data/mapping/<case>/ with the input, expected.jsonl and
# expected.err; the catalogue and shipments beside them are shared.
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"

D="$CG_TESTDATA/mapping"
# The seller's codes are complete: map builds and validates each order's messages the way run
# does. No destination port is set, so an order with its shipment (and so a CEB603) is
# rejected, as run would reject it: POD is required by the 202205 schema.
cat >"$T/cebgate.conf" <<CONF
[seller]
$(cat "$CG_TESTDATA/e2e/seller-codes.ini")
catalog = $D/catalog.csv
shipments = $D/shipments.csv
[declare]
cop_code = 3301960001
cop_name = Acme Export
dxp_id = DXPENT0000000001
CONF

# case profile input expected-exit
golden() {
    c=$1 p=$2 f=$3 want=$4
    # Run from the data folder so file names in the output are relative and stable.
    (cd "$D" && "$CEBGATE" -c "$T/cebgate.conf" map --profile "$p" "$c/$f") \
        >"$T/$c.out" 2>"$T/$c.err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok "$c: exit $got"; else fail "$c: exit $got, expected $want"; fi
    if cmp -s "$T/$c.out" "$D/$c/expected.jsonl"; then ok "$c: JSON equals expected.jsonl"; else
        fail "$c: JSON differs from expected.jsonl"; diff "$D/$c/expected.jsonl" "$T/$c.out" | head -20; fi
    grep -v '^cebgate map: ' "$T/$c.err" | sed "s|$D/||g" >"$T/$c.errs"
    if cmp -s "$T/$c.errs" "$D/$c/expected.err"; then ok "$c: rejections equal expected.err"; else
        fail "$c: rejections differ"; diff "$D/$c/expected.err" "$T/$c.errs" | head -20; fi
}

golden own own orders.csv 1
golden own-gbk own orders.csv 1
golden jsonl jsonl orders.jsonl 1
golden shopify shopify orders_export.csv 1
golden amazon amazon all-orders.txt 1

# The golden files as Excel saves them again (tests/data/mapping/excel/README.md) give the
# golden case's orders and rejections exactly, save for the file's name: the Amazon report
# with Excel's quoting, tab- or comma-separated, and the Shopify export with its payment times
# written back without seconds and offset.
# excel CASE PROFILE FILE: map excel/FILE, compare with CASE's expected files
excel() {
    c=$1 p=$2 f=$3 g=$(ls "$D/$1" | grep -v '^expected')
    (cd "$D" && "$CEBGATE" -c "$T/cebgate.conf" map --profile "$p" "excel/$f") \
        >"$T/x-$f.out" 2>"$T/x-$f.err"
    got=$?
    check "excel/$f: exit 1 for the golden case's rejections (exit $got)" test "$got" -eq 1
    sed "s|\"source\":\"$c/$g\"|\"source\":\"excel/$f\"|" "$D/$c/expected.jsonl" >"$T/x-$f.want"
    check "excel/$f: the JSON of $c/expected.jsonl" cmp -s "$T/x-$f.want" "$T/x-$f.out"
    sed "s|^$c/$g:|excel/$f:|" "$D/$c/expected.err" >"$T/x-$f.wanterr"
    grep -v '^cebgate map: ' "$T/x-$f.err" | sed "s|$D/||g" >"$T/x-$f.errs"
    check "excel/$f: the rejections of $c/expected.err" cmp -s "$T/x-$f.wanterr" "$T/x-$f.errs"
}
excel amazon amazon all-orders-excel.txt
excel amazon amazon all-orders.csv
excel shopify shopify orders_export.csv

# The same order has the same hash wherever it comes from: Shopify #1004 mapped again from a
# copy with its rows moved around keeps its hash; a changed price changes it.
h1=$(sed -n 1p "$D/shopify/expected.jsonl" | sed 's/.*"hash":"\([0-9a-f]*\)".*/\1/')
{ head -1 "$D/shopify/orders_export.csv"; sed -n '5,$p' "$D/shopify/orders_export.csv";
  sed -n '2,4p' "$D/shopify/orders_export.csv"; } >"$T/moved.csv"
# Both copies still hold the golden case's three rejections (#1001 lacks a POD, #1002 waits,
# #1003 is in BRL): exit 1, and the same rejections on their new lines (#1002 and #1003 on 2
# and 3, #1001 on 5), sorted by line.
# moved NAME: map $T/NAME.csv, exit code in the check, stdout in $T/NAME.out, rejections compared
moved() {
    (cd "$T" && "$CEBGATE" -c "$T/cebgate.conf" map --profile shopify "$1.csv") \
        >"$T/$1.out" 2>"$T/$1.err"
    mrc=$?
    check "$1 copy: exit 1 for its rejected orders (exit $mrc)" test "$mrc" -eq 1
    sed -e "s|^shopify/orders_export.csv:2:|$1.csv:5:|" \
        -e "s|^shopify/orders_export.csv:5:|$1.csv:2:|" \
        -e "s|^shopify/orders_export.csv:6:|$1.csv:3:|" "$D/shopify/expected.err" |
        sort -t: -k2,2n >"$T/$1.want"
    grep -v '^cebgate map: ' "$T/$1.err" | sort -t: -k2,2n >"$T/$1.errs"
    check "$1 copy: the same rejections, on their lines" cmp -s "$T/$1.want" "$T/$1.errs"
}
moved moved
check "same order elsewhere in a file keeps its hash" grep -q "\"order_no\":\"1004\".*\"hash\":\"$h1\"" "$T/moved.out"
sed 's/,Fern print A3,30000,/,Fern print A3,30001,/' "$T/moved.csv" >"$T/changed.csv"
moved changed
h2=$(grep '"order_no":"1004"' "$T/changed.out" | sed 's/.*"hash":"\([0-9a-f]*\)".*/\1/')
check "changed content changes the hash ($h1 -> $h2)" test -n "$h2" -a -n "$h1" -a "$h2" != "$h1"

expect_rc 1 "--table prints a table" sh -c "cd '$D' && '$CEBGATE' -c '$T/cebgate.conf' map --table own/orders.csv"
check "table has a header and the order map accepts" sh -c "grep -q '^ORDER ' '$T/out' && grep -q '^A-1 ' '$T/out' && ! grep -q '^A-2 ' '$T/out'"
expect_rc 2 "no FILE is a usage error" "$CEBGATE" -c "$T/cebgate.conf" map
expect_rc 1 "a missing file is an error" "$CEBGATE" -c "$T/cebgate.conf" map "$T/nonexistent.csv"
check "the missing file is named" grep -q "nonexistent.csv" "$T/err"
{ printf '[seller]\nprofile = own\n'; cat "$CG_TESTDATA/e2e/seller-codes.ini"
  printf '[declare]\ncop_code = 3301960001\ncop_name = Acme Export\ndxp_id = DXPENT0000000001\n'; } >"$T/nocat.conf"
expect_rc 2 "no catalogue is a configuration error" "$CEBGATE" -c "$T/nocat.conf" map "$D/own/orders.csv"
check "says which setting is missing" grep -q "set catalog in \[seller\] or the seller's section" "$T/err"
expect_rc 1 "--catalog and --shipments override the configuration" \
    "$CEBGATE" -c "$T/nocat.conf" map --catalog "$D/catalog.csv" --shipments "$D/shipments.csv" "$D/own/orders.csv"
check "with them A-1 maps and A-2 has its waybill (and so needs a POD)" \
    sh -c "grep -q '\"order_no\":\"A-1\"' '$T/out' && grep -q 'order A-2: CEB603 building: element POD: required value is missing' '$T/err'"
expect_rc 2 "unknown profile" "$CEBGATE" -c "$T/cebgate.conf" map --profile nosuch "$D/own/orders.csv"

# A transmitter name longer than the schema's 100 characters is refused when the configuration
# is loaded, at its line, before any order is read.
N101=$(printf '%0101d' 0 | tr 0 N)
sed "s/^cop_name = .*/cop_name = $N101/" "$T/cebgate.conf" >"$T/longname.conf"
expect_rc 2 "a transmitter name too long for the schema is a configuration error" \
    sh -c "cd '$D' && '$CEBGATE' -c '$T/longname.conf' map own/orders.csv"
L=$(grep -n '^cop_name' "$T/longname.conf" | cut -d: -f1)
check "it names the file, line, key and limit" grep -Fxq \
    "cebgate: $T/longname.conf:$L: cop_name: the value is 101 characters long; at most 100 are allowed in [declare]" \
    "$T/err"
check "and nothing was mapped" sh -c "! [ -s '$T/out' ]"
expect_rc 2 "cebgate config refuses it too" "$CEBGATE" -c "$T/longname.conf" config
check "with the same words" grep -Fxq \
    "cebgate: $T/longname.conf:$L: cop_name: the value is 101 characters long; at most 100 are allowed in [declare]" \
    "$T/err"

# A value the schema refuses: the schema is made stricter than the configuration check (copName
# at most 10 characters, and the transmitter is "Acme Export", 11), so the value gets past the
# load and reaches the schema in every message. Each order's rejection keeps its file, line and
# order; the schema's words name the element by its path in the message (BaseTransfer, not a
# document's copName).
cp -R "$CEBGATE_DATADIR" "$T/data"
chmod -R u+w "$T/data"
sed '/name="copName"/,/maxLength/s/maxLength value="100"/maxLength value="10"/' \
    "$CEBGATE_DATADIR/xsd/202205/ceb-export.xsd" >"$T/data/xsd/202205/ceb-export.xsd"
expect_rc 1 "a transmitter name too long for the schema rejects every order" \
    sh -c "cd '$D' && CEBGATE_DATADIR='$T/data' '$CEBGATE' -c '$T/cebgate.conf' map own/orders.csv"
S="CEB303 schema: element /CEB303Message/BaseTransfer/copName: [facet 'maxLength'] The value has a length of '11'; this exceeds the allowed maximum length of '10'."
printf '%s\n' "own/orders.csv:2: order A-1: $S" "own/orders.csv:4: order A-2: $S" >"$T/longname.want"
grep -v '^cebgate map: ' "$T/err" >"$T/longname.errs"
check "each rejection names file, line, order and the element's path" cmp -s "$T/longname.want" "$T/longname.errs"

finish
