#!/bin/sh
# shop-output.sh - what an operator reads. A file of 70 orders that all fail the same way (no
# destination port for their CEB603) prints each rejection once, with the order number once
# and no "warning:" copy, the file's failed line does not list them again, and the summary has
# one grouped line for the 70. A seller whose configuration lacks settings only it can give is
# told all of them at once, and its files wait (exit 2) instead of its orders being rejected. On
# a terminal (script(1) gives one) the progress bar knows the
# number of files of every seller folder from its first drawing.
. "${CG_SRCDIR:-.}/tests/e2e/shop-lib.sh"

shop_conf "$W/cebgate.conf" "catalog = catalog.csv
[seller.own]
profile = own
[seller.b]
profile = own
[seller.c]
profile = own
ebp_name =
agent_name ="
mkdir -p "$W/incoming/own"
{
    echo "order_no,currency,country,sku,qty,price,logistics_code,logistics_name,logistics_no"
    i=1
    while [ $i -le 70 ]; do
        printf 'N-%d,USD,US,TS-001,1,9.99,3120980105,SF Express,SF80000000%05d\n' $i $i
        i=$((i + 1))
    done
} >"$W/incoming/own/bulk.csv"
(cd "$W" && "$CEBGATE" -c cebgate.conf run --no-progress >"$T/out" 2>&1)
check "exit 1: orders were rejected" [ $? -eq 1 ]
POD="CEB603 building: element POD: required value is missing: set [seller] pod or pod_by_country, or a pod column (docs/order-format.md)"
i=1
once=0
while [ $i -le 70 ]; do
    [ "$(grep -c "order N-$i:" "$T/out")" -eq 1 ] && once=$((once + 1))
    i=$((i + 1))
done
check "each of the 70 rejections is printed once ($once)" [ "$once" -eq 70 ]
check "each with its file, line and reason" \
    grep -Fxq "own/bulk.csv:71: order N-70: $POD" "$T/out"
check "the order number is not repeated in the reason" \
    sh -c "! grep -Eq 'order (N-[0-9]+): .*order \\1' '$T/out'"
check "the reason appears 70 times and once more in the summary" \
    [ "$(grep -Fc "$POD" "$T/out")" -eq 71 ]
check "no warning copies" sh -c "! grep -q 'warn' '$T/out'"
check "the failed line does not list them again" \
    grep -Fxq "failed own/bulk.csv: all 70 orders rejected (each listed above)" "$T/out"
check "one grouped line in the summary" grep -Fxq "        70 x rejected: $POD" "$T/out"
check "no 'other reasons' line" sh -c "! grep -q 'other' '$T/out'"
check "the .reason file keeps the list" \
    [ "$(grep -Fc "$POD" "$W/failed/own/bulk.csv.reason")" -ge 20 ]

# Three settings missing for seller c, two of them settings only the configuration gives: the
# configuration is at fault, not the order. The run names every missing setting, rejects
# nothing, keeps the file in active/ and the seller's other file in incoming/, goes on with
# seller b's file, and ends with exit 2; once the settings are there, the next run declares each
# order once.
mkdir -p "$W/incoming/c" "$W/incoming/b"
printf '%s\n' "order_no,currency,country,sku,qty,price,logistics_code,logistics_name,logistics_no" \
    "Q-1,USD,US,TS-001,1,9.99,3120980105,SF Express,SF8000000100" >"$W/incoming/c/q.csv"
printf '%s\n' "order_no,currency,country,sku,qty,price" "R-1,USD,US,TS-001,1,9.99" \
    >"$W/incoming/c/r.csv"
printf '%s\n' "order_no,currency,country,sku,qty,price" "B-1,USD,US,TS-001,1,9.99" \
    >"$W/incoming/b/b1.csv"
(cd "$W" && "$CEBGATE" -c cebgate.conf run --no-progress >"$T/out" 2>"$T/err")
check "exit 2: a configuration error" [ $? -eq 2 ]
check "the order's line names every missing setting" grep -Fxq "c/q.csv:2: order Q-1: CEB303 \
building: element ebpName: required value is missing: set [seller] ebp_name; missing settings: \
[seller] ebp_name, [seller] agent_name, [seller] pod or pod_by_country, or a pod column" "$T/out"
check "the seller is said to be held, nothing rejected" grep -Fxq "held seller c: its \
configuration is incomplete (above): its files wait until it is fixed; none is rejected for \
it" "$T/out"
check "the last line says what to do" grep -Fxq "cebgate: the configuration of 1 seller is \
incomplete (named above); its files wait for a run after it is fixed" "$T/err"
check "no order was rejected" grep -q '^  orders: 1 accepted (1 new, 0 modified), 0 unchanged, 0 rejected' "$T/out"
check "the file is left in active/" [ -f "$W/active/c/q.csv" ]
check "the seller's other file waits in incoming/" [ -f "$W/incoming/c/r.csv" ]
check "nothing of seller c went to failed/" [ ! -e "$W/failed/c" ]
check "seller b's file was declared" [ -f "$W/done/b/b1.csv" ]
check "no rejection is recorded for Q-1" \
    [ "$(sqlite3 "$W/cebgate.db" "SELECT count(*) FROM rejections WHERE order_no = 'Q-1'")" = 0 ]
sed -e 's/^ebp_name =$/ebp_name = Shopify/' -e 's/^agent_name =$/agent_name = Acme Agent\npod = LAX/' \
    "$W/cebgate.conf" >"$W/fixed.conf"
(cd "$W" && "$CEBGATE" -c fixed.conf run --no-progress >"$T/out" 2>&1)
check "fixed: exit 0" [ $? -eq 0 ]
check "fixed: both of seller c's files are done" [ -f "$W/done/c/q.csv" ] && [ -f "$W/done/c/r.csv" ]
for t in 303 603; do
    check "fixed: Q-1's CEB$t was declared once" [ "$(grep -l '<ceb:orderNo>Q-1</ceb:orderNo>' \
        "$W"/outbox/CEB${t}Message_* 2>/dev/null | wc -l)" -eq 1 ]
done
check "fixed: Q-1's waybill (CEB505) was declared once" [ "$(grep -l \
    '<ceb:logisticsNo>SF8000000100</ceb:logisticsNo>' "$W"/outbox/CEB505Message_* 2>/dev/null |
    wc -l)" -eq 1 ]
check "fixed: R-1's CEB303 was declared once" [ "$(grep -l '<ceb:orderNo>R-1</ceb:orderNo>' \
    "$W"/outbox/CEB303Message_* 2>/dev/null | wc -l)" -eq 1 ]

# The progress bar on a terminal: three files in two seller folders, counted from the start.
mkdir -p "$W/incoming/b"
for n in 1 2 3; do
    d=own
    [ $n -eq 3 ] && d=b
    printf 'order_no,currency,country,sku,qty,price\nP-%d,USD,US,TS-001,1,9.99\n' $n \
        >"$W/incoming/$d/p$n.csv"
done
(cd "$W" && script -qec "'$CEBGATE' -c cebgate.conf run" /dev/null >"$T/tty" 2>&1)
tr '\r' '\n' <"$T/tty" | grep -o 'files [0-9]*/[0-9]*' >"$T/bar"
check "the bar was drawn" [ -s "$T/bar" ]
check "it knows the 3 files from its first drawing" sh -c "! grep -qv '/3\$' '$T/bar'"
# A transmitter name longer than the schema's 100 characters stops run when it loads the
# configuration, at the line of the key: nothing is read or declared.
N101=$(printf '%0101d' 0 | tr 0 N)
sed "s/^cop_name = .*/cop_name = $N101/" "$W/cebgate.conf" >"$W/longname.conf"
L=$(grep -n '^cop_name' "$W/longname.conf" | cut -d: -f1)
printf 'order_no,currency,country,sku,qty,price\nL-1,USD,US,TS-001,1,9.99\n' >"$W/incoming/own/l.csv"
(cd "$W" && "$CEBGATE" -c longname.conf run --no-progress >"$T/out" 2>&1)
check "exit 2: a configuration error" [ $? -eq 2 ]
check "it names the file, line, key and limit" grep -Fxq "cebgate: longname.conf:$L: cop_name: \
the value is 101 characters long; at most 100 are allowed in [declare]" "$T/out"
check "the order file is left in incoming" [ -f "$W/incoming/own/l.csv" ]
# A value the schema refuses: the schema is made stricter than the configuration check (copName
# at most 10 characters; the transmitter is "Acme Export", 11), so the value gets past the load
# and reaches the schema. Run's rejection keeps the file, line and order, and the schema's words
# name the element by its path in the message.
cp -R "$CEBGATE_DATADIR" "$T/data"
chmod -R u+w "$T/data"
sed '/name="copName"/,/maxLength/s/maxLength value="100"/maxLength value="10"/' \
    "$CEBGATE_DATADIR/xsd/202205/ceb-export.xsd" >"$T/data/xsd/202205/ceb-export.xsd"
(cd "$W" && CEBGATE_DATADIR="$T/data" "$CEBGATE" -c cebgate.conf run --no-progress >"$T/out" 2>&1)
check "exit 1: the order was rejected" [ $? -eq 1 ]
check "the rejection names file, line, order and the element's path" grep -Fxq "own/l.csv:2: \
order L-1: CEB303 schema: element /CEB303Message/BaseTransfer/copName: [facet 'maxLength'] The \
value has a length of '11'; this exceeds the allowed maximum length of '10'." "$T/out"
finish
