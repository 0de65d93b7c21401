#!/bin/sh
# spool-changes.sh - an order changed in a later file is declared again only in the documents
# whose content changed: a new price changes the order (CEB303) and the inventory (CEB603),
# not the waybill (CEB505); a new tracking number changes the waybill and the inventory, not
# the order. A change customs can no longer take names what differs from the concluded version.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

versions() {
    sql "SELECT d.msg_type || ':' || d.version FROM documents d JOIN orders o ON o.id = d.order_id
         WHERE o.order_no = 'SO-0000001' ORDER BY d.msg_type" | tr '\n' ' '
}
mkdir -p "$W/incoming/acme"
$HELPER orders own "$T/orders.csv" 1 1
cp "$T/orders.csv" "$W/incoming/acme/a.csv"
expect_rc 0 "the order is declared" cg run --no-progress
check "version 1 of each" [ "$(versions)" = "303:1 505:1 603:1 " ]
# The port takes the inventory in and assigns its preNo (a modify of it must carry it).
mkdir "$T/ob"
cp "$W"/outbox/CEB603Message_*.xml "$T/ob/"
$HELPER receipts "$T/ob" "$W/inbox" 2 >/dev/null
expect_rc 0 "the inventory's receipt" cg run --no-progress
check "its preNo is known" [ -n "$(sql "SELECT pre_no FROM documents WHERE msg_type = 603")" ]

# The first line's price 3.50 becomes 3.75.
sed 's/,1,3\.50,/,1,3.75,/' "$T/orders.csv" >"$W/incoming/acme/b.csv"
check "the price changed in the new file" grep -q ',1,3.75,' "$W/incoming/acme/b.csv"
expect_rc 0 "a new price" cg run --no-progress
check "counted as modified" grep -q '0 new, 1 modified' "$T/out"
check "order and inventory again, the waybill not" [ "$(versions)" = "303:2 505:1 603:2 " ]
check "two messages signed" grep -q 'messages: 2 signed' "$T/out"

# A new tracking number.
sed 's/,1,3\.50,/,1,3.75,/; s/SF0000000000001/SF0000000000009/' "$T/orders.csv" \
    >"$W/incoming/acme/c.csv"
expect_rc 0 "a new tracking number" cg run --no-progress
check "waybill and inventory again, the order not" [ "$(versions)" = "303:2 505:2 603:3 " ]
check "the waybill's business key is the new number" \
    [ "$(sql "SELECT business_key FROM documents WHERE msg_type = 505")" = SF0000000000009 ]
# A change after customs concluded the inventory is rejected with what is still possible: a
# cancellation of a released inventory (cebgate cancel), a return once it is closed, as
# `cebgate cancel` itself says (the state is set here as the receipts would set it).
for st in released closed; do
    sql "UPDATE documents SET state = '$st' WHERE msg_type = 603"
    sed "s/,1,3\.50,/,1,4.25,/; s/SF0000000000001/SF0000000000009/" "$T/orders.csv" \
        >"$W/incoming/acme/d-$st.csv"
    expect_rc 1 "a new price after the inventory is $st" cg run --no-progress
    cat "$T/out" "$T/err" >"$T/d-$st.log"
done
# The rejection says what still answers the change, and names what differs from the inventory
# customs concluded (read back from archive/): the first line's price, 3.75 in c.csv, is 4.25
# now, and so is its total (qty 1).
AMOUNT="if only an amount changed (a price adjustment, a partial refund), nothing is declared and the collection is reckoned on the amounts declared (cebgate settle explain)"
CHANGED="; what changed: price of item 1 from '3.75' to '4.25', totalPrice of item 1 from '3.75' to '4.25'"
check "released: a cancellation, if the order is not to go out" grep -Fxq \
    "acme/d-released.csv:2: order SO-0000001: CEB603: changed after customs reached state 'released'; the declaration can no longer change: if the order is not to go out as declared, declare its cancellation (cebgate cancel); $AMOUNT$CHANGED" \
    "$T/d-released.log"
check "closed: a return, if goods came back" grep -Fxq \
    "acme/d-closed.csv:2: order SO-0000001: CEB603: changed after customs reached state 'closed'; the declaration can no longer change: if goods came back, declare their return (cebgate return); $AMOUNT$CHANGED" \
    "$T/d-closed.log"
# Six elements differ: one more MUG-1 (0.25 kg net each, its legal unit kg) makes the net
# weight 1.15 + 0.25 = 1.4 kg, the second line's quantity 3, its legal quantity 0.75 and its
# total 13.50, besides the first line's price and total. The first three in the message's order
# are named, the rest counted.
sed "s/,1,3\.50,/,1,4.25,/; s/SF0000000000001/SF0000000000009/; s/,2,4\.50,/,3,4.50,/" \
    "$T/orders.csv" >"$W/incoming/acme/e.csv"
expect_rc 1 "a new price and quantity" cg run --no-progress
check "three named, the others counted" grep -Fxq \
    "acme/e.csv:2: order SO-0000001: CEB603: changed after customs reached state 'closed'; the declaration can no longer change: if goods came back, declare their return (cebgate return); $AMOUNT; what changed: netWeight from '1.15' to '1.4', price of item 1 from '3.75' to '4.25', totalPrice of item 1 from '3.75' to '4.25', and 3 more" \
    "$T/out"
# Once archive/ no longer holds the concluded version, the rejection says what it always said.
rm -f "$W"/archive/CEB603Message_* "$W"/outbox/CEB603Message_*
sed "s/,1,3\.50,/,1,4.75,/; s/SF0000000000001/SF0000000000009/" "$T/orders.csv" \
    >"$W/incoming/acme/f.csv"
expect_rc 1 "a change once the message is pruned" cg run --no-progress
check "no list of changes without the sent message" grep -Fxq \
    "acme/f.csv:2: order SO-0000001: CEB603: changed after customs reached state 'closed'; the declaration can no longer change: if goods came back, declare their return (cebgate return); $AMOUNT" \
    "$T/out"
# A long value changed only past what the reason shows of it (44 characters) is still named:
# values are compared whole, shown cut at a character.
N1="Carrier Company With A Long Registered Name Branch 01"
N2="Carrier Company With A Long Registered Name Branch 02"
H7="order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight"
printf '%s\n' "$H7" "SO-0000007,USD,US,USNY,5.00,TS-001,Item 0,1,3.50,3120980105,$N1,SF0000000000077,2.5" \
    >"$W/incoming/acme/g.csv"
expect_rc 0 "SO-0000007 declared" cg run --no-progress
sql "UPDATE documents SET state = 'closed' WHERE msg_type = 603 AND order_id = (SELECT id FROM orders WHERE order_no = 'SO-0000007')"
printf '%s\n' "$H7" "SO-0000007,USD,US,USNY,5.00,TS-001,Item 0,1,3.50,3120980105,$N2,SF0000000000077,2.5" \
    >"$W/incoming/acme/h.csv"
expect_rc 1 "its carrier's name changed at its end" cg run --no-progress
C44=$(printf '%s' "$N1" | cut -c1-44)
check "  named, though both show the same first 44 characters" grep -Fq \
    "; what changed: logisticsName from '$C44...' to '$C44...'" "$T/out"
finish
