#!/bin/sh
# flow-return.sh - `cebgate return` through the folder transport, customs played by
# flow-helper.py: the return (CEB213) of an exported order with every line of its inventory,
# a partial return whose legal quantities are scaled and rounded down, tradeMode 9661 (table
# 2-59, not the export's 9610), CEB214 tracked up to 800, a refused return declared again,
# and each refusal with its rule (unknown order, inventory not released, cancelled, a return
# pending, a line the inventory does not have, named twice, or above the quantity declared).
# `cebgate status` shows the return (read through cg_store_returned).
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"
FLOW="python3 $CG_SRCDIR/tests/e2e/flow-helper.py"
cleanup_hooks=""
mkdir -p "$W/incoming/acme"
$HELPER orders own "$W/incoming/acme/day1.csv" 5 || fail "make orders"
expect_rc 0 "the run declares five orders" cg run --no-progress
inv() { grep -l "<ceb:orderNo>$1</ceb:orderNo>" "$W"/outbox/CEB603Message_*.xml | head -1; }
ret() { echo "$W/outbox/CEB213Message_$(sql "SELECT d.guid FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = '$1' AND d.msg_type = 213").xml"; }
state() { sql "SELECT d.state FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = '$1' AND d.msg_type = ${2:-603}"; }
# customs: released 1, 4, 5; accepted only 2; closed 3
for o in 1 4 5; do $FLOW receipt "$W/inbox" "$(inv SO-000000$o)" 2 120 800; done
$FLOW receipt "$W/inbox" "$(inv SO-0000002)" 2 120
$FLOW receipt "$W/inbox" "$(inv SO-0000003)" 120 800 899
expect_rc 0 "the receipts are applied" cg run --no-progress
B="--reason damaged --traf-name CA1234 --voyage CA1234"

refused() { # description rule-text return-arguments...
    d=$1; r=$2; shift 2
    expect_rc 1 "refused: $d" cg return "$@"
    check "  the rule is named: $r" grep -Fq "$r" "$T/err"
}
refused "an unknown order" "order NOPE-1: not declared" NOPE-1 $B
refused "inventory not released" "the inventory is accepted: only exported goods (inventory released or closed, its invtNo known) can be returned" SO-0000002 $B
refused "a line the inventory does not have" "the inventory has no line 7" SO-0000001 --lines 7 $B
refused "a line named twice" "line 2 named twice" SO-0000001 --lines 2,2:1 $B
refused "more than declared" "line 2: 3 is more than the 2 declared" SO-0000001 --lines 2:3 $B
refused "not a quantity" "quantity 'x' is not a positive number" SO-0000001 --lines 2:x $B
# The inventory as sent is read back from archive/ (or outbox/); once pruned, it cannot be.
f=$(basename "$(inv SO-0000001)")
mkdir "$T/kept" && mv "$W/outbox/$f" "$T/kept/o" && mv "$W/archive/$f" "$T/kept/a"
refused "the inventory's message pruned" "order SO-0000001: the inventory's message $f is no longer in archive/ ([spool] archive_days): its lines cannot be read back" SO-0000001 $B
mv "$T/kept/o" "$W/outbox/$f" && mv "$T/kept/a" "$W/archive/$f"
expect_rc 2 "how the goods come back is required" cg return SO-0000001 --reason damaged
check "nothing was declared by the refusals" test "$(sql "SELECT count(*) FROM documents WHERE msg_type = 213")" = 0

# The shop cancelled SO-0000003 after its goods left (recorded as a later shop file records
# it): customs no longer cancels it, a return answers it.
sql "INSERT INTO cancel_needed(order_id, status, reason, noted_at) SELECT id, 'cancelled',
     'Status set', '2025-07-02T00:00:00Z' FROM orders WHERE order_no = 'SO-0000003'"
expect_rc 0 "status --cancel before the return" cg status --cancel
check "  it needs a return, not a cancellation" test "$(tail -2 "$T/out")" = "0 orders need a cancellation (CEB605)
1 order needs a return, the goods having left the country (CEB213)"
# The whole order of the closed inventory comes back.
expect_rc 0 "return acme/SO-0000003 (closed)" cg return acme/SO-0000003 $B
cp "$T/out" "$T/return3.out"
expect_rc 0 "status --cancel after the return" cg status --cancel
check "  the return answers the cancellation needed" grep -Fxq "0 orders need a cancellation (CEB605)" "$T/out"
expect_rc 0 "status SO-0000003" cg status SO-0000003
check "  its timeline says the return was declared" grep -q "after its documents were sent: return declared$" "$T/out"
cp "$T/return3.out" "$T/out"
check "it is sent" grep -Fxq "order SO-0000003: return (CEB213) declared: sent" "$T/out"
check "  and names the settle command for the money the order no longer brings" grep -Fxq \
    "order SO-0000003: once customs releases the return (800), record the declared value of the goods coming back for settlement: cebgate settle mark acme/SO-0000003 returned AMOUNT --note \"...\"" \
    "$T/out"
mark=$(sed -n 's/^order SO-0000003: once .*: cebgate \(settle mark .*\)$/\1/p' "$T/out")
f=$(ret SO-0000003)
check "the CEB213 is in outbox/" test -f "$f"
check "it is valid and its signature verifies" cg verify --trust "$T/keys/ca.pem" "$f"
x() { python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot(); n = {"c": "http://www.chinaport.gov.cn/ceb"}
print(" ".join(e.text or "" for e in r.findall(sys.argv[2], n)))' "$1" "$2"; }
check "tradeMode 9661 (general export), not 9610" test "$(x "$f" .//c:InvtRefundHead/c:tradeMode)" = 9661
check "ieFlag I" test "$(x "$f" .//c:InvtRefundHead/c:ieFlag)" = I
check "the invtNo customs gave the inventory" test "$(x "$f" .//c:InvtRefundHead/c:invtNo)" = "$(sql "SELECT d.invt_no FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000003' AND d.msg_type = 603")"
check "billNo: the parcel's logisticsNo (none given)" test "$(x "$f" .//c:InvtRefundHead/c:billNo)" = SF0000000000003
check "trafName and voyageNo as given" test "$(x "$f" .//c:InvtRefundHead/c:trafName)/$(x "$f" .//c:InvtRefundHead/c:voyageNo)" = CA1234/CA1234
check "the inventory's three lines with their quantities" test "$(x "$f" .//c:InvtRefundList/c:gnum)|$(x "$f" .//c:InvtRefundList/c:qty)|$(x "$f" .//c:InvtRefundList/c:gcode)" = "1 2 3|1 2 3|$(x "$(inv SO-0000003)" .//c:InventoryList/c:gcode)"
check "and their legal quantities" test "$(x "$f" .//c:InvtRefundList/c:qty1)" = "$(x "$(inv SO-0000003)" .//c:InventoryList/c:qty1)"
refused "a return pending" "a return (CEB213 version 1) was already declared and is sent: one return per order" SO-0000003 $B

# Part of an order: a third of a unit of MUG-1 (line 2: qty 2, qty1 0.5 kg).
expect_rc 0 "return a part of SO-0000004" cg return SO-0000004 --lines 2:0.33333 $B
f=$(ret SO-0000004)
check "one line, gnum 2, qty 0.33333" test "$(x "$f" .//c:InvtRefundList/c:gnum) $(x "$f" .//c:InvtRefundList/c:qty)" = "2 0.33333"
# 0.5 x 0.33333 / 2 = 0.0833325, rounded down at the 5th decimal
check "qty1 scaled and rounded down: 0.08333" test "$(x "$f" .//c:InvtRefundList/c:qty1)" = 0.08333

# CEB214: 2, 120, 800 for SO-0000003; 100 for SO-0000004, which may then be declared again.
$FLOW receipt "$W/inbox" "$(ret SO-0000003)" 2 120 800
$FLOW receipt "$W/inbox" "$(ret SO-0000004)" 2 100
expect_rc 0 "the CEB214 receipts are applied" cg run --no-progress
check "SO-0000003's return released" test "$(state SO-0000003 213)" = released
check "SO-0000004's return rejected" test "$(state SO-0000004 213)" = rejected
expect_rc 0 "status SO-0000003" cg status SO-0000003
check "status shows the return document" grep -q "^  CEB213 R[0-9a-f]*  version 1  released (800)" "$T/out"
check "status shows the order as returned, with its lines" grep -q "return (CEB213) declared, released: lines 1:1,2:2,3:3: damaged" "$T/out"
# the command return printed works as printed, once AMOUNT is filled in
eval "expect_rc 0 'the printed settle mark, AMOUNT 1.00' cg $(echo "$mark" | sed 's/ AMOUNT / 1.00 /')"
check "  records 1.00 returned with the note" test "$(sql "SELECT a.kind || ' ' || a.amount || ' ' || a.note FROM fx_adjust a JOIN orders o ON o.id = a.order_id WHERE o.order_no = 'SO-0000003'")" = "RETURNED 100 ..."
expect_rc 0 "SO-0000004 returned again after the refusal" cg return SO-0000004 --lines 1,3:2 $B
check "version 2, a modify of the refused one" test "$(sql "SELECT version || ' ' || app_type || ' ' || state FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000004' AND d.msg_type = 213")" = "2 2 sent"
f=$(ret SO-0000004)
check "it carries the preNo customs gave the first one" test "$(x "$f" .//c:InvtRefundHead/c:preNo)" = "$(sql "SELECT d.pre_no FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000004' AND d.msg_type = 213")"
check "the return record has the new lines" test "$(sql "SELECT lines FROM flow_returns f JOIN orders o ON o.id = f.order_id WHERE o.order_no = 'SO-0000004'")" = "1:1,3:2"

# A cancelled inventory has nothing to return.
expect_rc 0 "cancel SO-0000005" cg cancel SO-0000005 --reason "buyer withdrew"
$FLOW receipt "$W/inbox" "$(grep -l "<ceb:invtNo>$(sql "SELECT d.invt_no FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000005' AND d.msg_type = 603")</ceb:invtNo>" "$W"/outbox/CEB605Message_*.xml)" 2 399
expect_rc 0 "the cancellation is concluded" cg run --no-progress
refused "a cancelled inventory" "was cancelled: the goods never left, there is nothing to return" SO-0000005 $B
finish
