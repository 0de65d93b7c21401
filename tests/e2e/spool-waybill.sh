#!/bin/sh
# spool-waybill.sh - a waybill number belongs to one order: the E-Port keeps it for the order
# whose waybill (CEB505) added it and refuses another's add (4002), of the same carrier. The run refuses such an
# order before declaring any of its documents, naming the file, line and field and the order
# that holds the number: another seller's, one of the same seller in an earlier file, or one
# earlier in the same file (not yet committed when the second is planned). The order that
# holds it is declared again unhindered, and a corrected file declares the refused one.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

mkdir -p "$W/incoming/acme" "$W/incoming/jl"
head='order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight'
cat >"$W/incoming/acme/a1.csv" <<EOF
$head
WB-1,USD,US,USNY,5.00,TS-001,Item 0,1,3.50,3120980105,SF Express,SF0000000000001,2.5
EOF
expect_rc 0 "acme's WB-1 declared with waybill SF0000000000001" cg run
# The port takes its inventory in and assigns the preNo a later modify carries.
mkdir "$T/ob"
cp "$W"/outbox/CEB603Message_*.xml "$T/ob/"
$HELPER receipts "$T/ob" "$W/inbox" 2 >/dev/null
expect_rc 0 "WB-1's inventory receipt" cg run
jl_line() { # ORDER LOGISTICS-NO
    printf '{"order_no": "%s", "currency": "USD", "country": "US", "pod": "USNY", "freight": "4.00", "shipment": {"logistics_code": "3120980105", "logistics_name": "SF", "logistics_no": "%s", "gross_weight": "2.5"}, "lines": [{"sku": "TS-001", "item_name": "Item 0", "qty": "1", "price": "1.75"}]}\n' "$1" "$2"
}
jl_line JL-1 SF0000000000001 >"$W/incoming/jl/j1.jsonl"
n0=$(count "$W/outbox")
expect_rc 1 "jl's JL-1 with acme's waybill number is rejected" cg run
check "  the reason names file, line, field and the order holding the number" grep -Fq \
    "jl/j1.jsonl:1: order JL-1: field logistics_no: waybill number 'SF0000000000001' is already declared for order acme/WB-1 (its CEB505); a waybill number belongs to one order: give this order its own" \
    "$T/out"
check "  none of JL-1's documents declared" test "$(count "$W/outbox")|$(sql "SELECT count(*) FROM orders WHERE order_no = 'JL-1'")" = "$n0|0"
expect_rc 0 "status --rejected" cg status --rejected
check "  lists JL-1 with the reason" grep -Fq "  order jl/JL-1  jl/j1.jsonl:1: order JL-1: field logistics_no: waybill number 'SF0000000000001' is already declared for order acme/WB-1" "$T/out"

# The same seller: a later file, and two orders of one file (the second planned while the
# first is not committed yet).
cat >"$W/incoming/acme/a2.csv" <<EOF
$head
WB-2,USD,US,USNY,5.00,TS-001,Item 0,1,3.50,3120980105,SF Express,SF0000000000001,2.5
WB-3,USD,US,USNY,5.00,TS-001,Item 0,1,3.50,3120980105,SF Express,SF0000000000003,2.5
WB-4,USD,US,USNY,5.00,TS-001,Item 0,1,3.50,3120980105,SF Express,SF0000000000003,2.5
EOF
expect_rc 1 "acme's WB-2 and WB-4 are rejected" cg run
check "  WB-2: held by WB-1 of an earlier file" grep -Fq \
    "acme/a2.csv:2: order WB-2: field logistics_no: waybill number 'SF0000000000001' is already declared for order acme/WB-1 (its CEB505)" \
    "$T/out"
check "  WB-4: held by WB-3 of the same file" grep -Fq \
    "acme/a2.csv:4: order WB-4: field logistics_no: waybill number 'SF0000000000003' is already declared for order acme/WB-3 (its CEB505)" \
    "$T/out"
check "  WB-3 declared: its three documents" test "$(sql "SELECT count(*) FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'WB-3'")" = 3
check "  the waybill numbers held: one order each" test "$(sql "SELECT group_concat(business_key || '=' || n, ' ') FROM (SELECT business_key, count(*) AS n FROM documents WHERE msg_type = 505 GROUP BY business_key ORDER BY business_key)")" = "SF0000000000001=1 SF0000000000003=1"

# The holder changed (a new price and gross weight, so its waybill too): declared again, its own
# number is no obstacle.
cat >"$W/incoming/acme/a3.csv" <<EOF
$head
WB-1,USD,US,USNY,5.00,TS-001,Item 0,1,3.75,3120980105,SF Express,SF0000000000001,2.75
EOF
expect_rc 0 "WB-1 changed keeps its waybill number" cg run
check "  its three documents at version 2" test "$(sql "SELECT group_concat(d.msg_type || ':' || d.version, ' ') FROM (SELECT d.msg_type, d.version FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'WB-1' ORDER BY d.msg_type) d")" = "303:2 505:2 603:2"
# JL-1 corrected, with a number of its own
jl_line JL-1 JL0000000000001 >"$W/incoming/jl/j1-fixed.jsonl"
expect_rc 0 "JL-1 with its own waybill number is declared" cg run
check "  its waybill's key" test "$(sql "SELECT d.business_key FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'JL-1' AND d.msg_type = 505")" = JL0000000000001
# A waybill is the carrier's number: another carrier (EMS) may use SF's number SF0000000000001.
printf '%s\n' "$head" "WB-4,USD,US,USNY,5.00,TS-001,Item 0,1,3.50,1101980001,EMS,SF0000000000001,2.5" \
    >"$W/incoming/acme/a4.csv"
expect_rc 0 "WB-4 with EMS's waybill of SF's number is declared" cg run
check "  the number held by two carriers' waybills" test "$(sql "SELECT group_concat(carrier, ' ') FROM (SELECT carrier FROM documents WHERE msg_type = 505 AND business_key = 'SF0000000000001' ORDER BY carrier)")" = "1101980001 3120980105"
finish
