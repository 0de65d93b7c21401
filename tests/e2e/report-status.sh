#!/bin/sh
# report-status.sh - `cebgate status` as the broker uses it after a run: an order named
# SELLER/ORDER-NO, as `status --rejected` and `--pending` print it, shows that seller's order
# only (two sellers may use the same order number); the status of a file refused whole lists
# each of its rejected orders once; an order's timeline shows what it declared (its CEB303 as
# sent); an order declared after it was rejected keeps its
# rejections in its timeline; lines without an order number in two files are listed each.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

mkdir -p "$W/incoming/acme" "$W/incoming/jl"
head='order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight'
# acme: SO-0000001 declared; SO-0000002 sells a SKU that is not in the catalogue
cat >"$W/incoming/acme/orders.csv" <<EOF
$head
SO-0000001,USD,US,USNY,5.00,TS-001,Item 0,1,3.50,3120980105,SF Express,SF0000000000001,2.5
SO-0000002,USD,US,USNY,5.00,NOPE-2,Item 1,1,3.50,3120980105,SF Express,SF0000000000002,2.5
EOF
# jl: an order with the same number, rejected for a SKU of its own
printf '%s\n' '{"order_no": "SO-0000002", "currency": "USD", "country": "US", "pod": "USNY", "freight": "4.00", "shipment": {"logistics_code": "3120980105", "logistics_name": "SF", "logistics_no": "JL0000000000002", "gross_weight": "2.5"}, "lines": [{"sku": "JL-NOPE", "item_name": "Item 0", "qty": "1", "price": "1.75"}]}' \
    >"$W/incoming/jl/orders.jsonl"
# acme: a file whose two orders are both rejected is refused whole
cat >"$W/incoming/acme/bad.csv" <<EOF
$head
SO-0000008,USD,US,USNY,5.00,NOPE-8,Item 0,1,3.50,3120980105,SF Express,SF0000000000008,2.5
SO-0000009,USD,US,USNY,5.00,NOPE-9,Item 0,1,3.50,3120980105,SF Express,SF0000000000009,2.5
EOF

expect_rc 1 "the run rejects orders" cg run
check "bad.csv refused whole" test -f "$W/failed/acme/bad.csv"
expect_rc 0 "status --rejected" cg status --rejected
check "the rejected list names acme/SO-0000002" grep -q '  order acme/SO-0000002  ' "$T/out"

expect_rc 0 "status of a rejected order as the list names it" cg status acme/SO-0000002
check "acme's rejection" grep -q "acme/orders.csv:3: order SO-0000002: field sku: 'NOPE-2'" "$T/out"
check "only acme's" [ "$(wc -l <"$T/out")" -eq 1 ]
expect_rc 0 "status of the order number alone" cg status SO-0000002
check "both sellers' rejections" [ "$(grep -c 'rejected' "$T/out")" -eq 2 ]
expect_rc 0 "status of a declared order as SELLER/ORDER-NO" cg status acme/SO-0000001
check "its timeline" grep -q '^order SO-0000001  seller acme  ' "$T/out"
check "its documents" [ "$(grep -c '^  CEB[356]0[353] ' "$T/out")" -eq 3 ]
# What it declared, read back from its CEB303 as sent: USD is customs currency 502, one TS-001
# (catalogue unit 011) at 3.50 is goods worth 3.50, freight 5.00 (a message's decimals carry no
# trailing zeros).
check "what it declared" sh -c "grep -A2 '^  CEB303 SO-0000001 ' '$T/out' | tail -2 >'$T/decl'"
check "  its currency, goods value and freight" grep -Fxq \
    "    declared: currency 502  goodsValue 3.5  freight 5" "$T/decl"
check "  its item" grep -Fxq "    item 1: TS-001 Item 0  qty 1 011  price 3.5  total 3.5" "$T/decl"
# Once archive/ (and outbox/) no longer hold the message, the report says so.
m303=$(grep -l '<ceb:orderNo>SO-0000001</ceb:orderNo>' "$W"/outbox/CEB303Message_*.xml)
mv "$m303" "$T/m303.xml" && rm -f "$W/archive/$(basename "$m303")"
expect_rc 0 "status of the order once its message is pruned" cg status acme/SO-0000001
check "  it says where it looked" grep -Fxq \
    "    declared: $(basename "$m303") is no longer in archive/ ([spool] archive_days)" "$T/out"
mv "$T/m303.xml" "$m303"
expect_rc 1 "an order another seller does not have" cg status jl/SO-0000001
check "says it is not known" grep -q 'jl/SO-0000001: no such order or input file' "$T/err"

expect_rc 0 "status of the file refused whole" cg status acme/bad.csv
check "its reason" grep -q '^  reason: acme/bad.csv: all 2 orders rejected$' "$T/out"
check "SO-0000008 listed once" [ "$(grep -c 'order SO-0000008' "$T/out")" -eq 1 ]
check "SO-0000009 listed once" [ "$(grep -c 'order SO-0000009' "$T/out")" -eq 1 ]
# SO-0000002 corrected in a later file: declared, its earlier rejection still in its timeline
cat >"$W/incoming/acme/fixed.csv" <<EOF
$head
SO-0000002,USD,US,USNY,5.00,TS-001,Item 1,1,3.50,3120980105,SF Express,SF0000000000002,2.5
EOF
expect_rc 0 "the corrected order is declared" cg run
expect_rc 0 "status of the order declared after its rejection" cg status acme/SO-0000002
check "its timeline" grep -q '^order SO-0000002  seller acme  ' "$T/out"
check "its earlier rejection" \
    grep -q "^  rejected .*: acme/orders.csv:3: order SO-0000002: field sku: 'NOPE-2'" "$T/out"
check "not jl's" [ "$(grep -c 'rejected' "$T/out")" -eq 1 ]

# Lines without an order number, in two files: each is its own rejection, never one order "?".
cat >"$W/incoming/acme/nono1.csv" <<EOF
$head
SO-0000020,USD,US,USNY,5.00,TS-001,Item 1,1,3.50,3120980105,SF Express,SF0000000000020,2.5
,USD,US,USNY,5.00,TS-001,Item 1,1,3.50,3120980105,SF Express,SF0000000000021,2.5
EOF
cat >"$W/incoming/acme/nono2.csv" <<EOF
$head
SO-0000030,USD,US,USNY,5.00,TS-001,Item 1,1,3.50,3120980105,SF Express,SF0000000000030,2.5
,USD,US,USNY,5.00,TS-001,Item 1,1,3.50,3120980105,SF Express,SF0000000000031,2.5
EOF
expect_rc 1 "lines without an order number are rejected" cg run
expect_rc 0 "status --rejected" cg status --rejected
check "nono1.csv's line listed" grep -q '  order acme/?  acme/nono1.csv:3: order ?: field order_no: ' "$T/out"
check "nono2.csv's line listed" grep -q '  order acme/?  acme/nono2.csv:3: order ?: field order_no: ' "$T/out"
expect_rc 0 "report --format json" cg report --format json
check "the report lists both lines" \
    [ "$(grep -o 'acme/nono[12].csv:3: order ?: field order_no' "$T/out" | sort -u | wc -l)" -eq 2 ]
# acme's open rejected orders: SO-0000008 and SO-0000009 of bad.csv and the two lines
check "per seller: acme has 4 rejected orders" python3 -c "
import json, sys
d = json.load(open('$T/out'))
s = [x for x in d['sections'] if x['id'] == 'sellers'][0]
i = s['columns'].index('rejected_orders')
sys.exit(0 if [r[i] for r in s['rows'] if r[0] == 'acme'] == ['4'] else 1)"

# A report written to standard output on a full disk (/dev/full) is a temporary failure that
# names the output and the system's reason, never "out of memory" and never a silent exit 0.
echo "cebgate: report: writing to standard output failed: No space left on device" >"$T/want"
for args in "--format json" "--format csv" "--format table" "refund units --format json" \
    "fx orders --format json" "fx orders --format csv"; do
    # shellcheck disable=SC2086 # the words of $args are the command's arguments
    cg report $args >/dev/full 2>"$T/err"
    rc=$?
    check "report $args to /dev/full exits 75 (got $rc)" [ "$rc" -eq 75 ]
    check "  and says the write failed" cmp -s "$T/want" "$T/err"
done
finish
