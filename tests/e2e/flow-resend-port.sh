#!/bin/sh
# flow-resend-port.sh - `cebgate resend` against `cebgate port` over HTTPS. The port plays
# customs refusing, after storing them (2, then 100), a bill's waybill list (CEB607, rule on its
# billNo) and the documents of order SO-0000777 that carry its orderNo (CEB303, CEB603). Runs leave them: the same
# content would be refused again. What resend refuses to mark (a document customs did not
# refuse, an unknown number, an order rejected before it was declared, no reason, a version
# marked already) is said with the rule. The
# cause is then fixed outside the documents (the port restarted without the rules: a
# registration at customs), and resend marks the refused versions, recording who, when and why:
# the next run declares the bill's CEB607 again as version 2 (a modify, new guid, the same
# preNo), the order's documents go out again as version 2 from its file put back (which would
# else be a duplicate), customs accepts them, and the bill's departure (CEB509) follows. A
# later run sends nothing more: the mark was for one version. The table of marks comes with the
# schema step that adds it to a database put back to version 8.
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
port_conf "$T/port.conf" "$T/port.db"
sed -i 's/^reject_rules = .*$/& | billNo=MB-R1:bill not registered with customs/' "$T/port.conf"
port_start -d "$T" -r "$T/port.conf"
sender_conf
orders o.csv 2 || fail "make orders"
$HELPER orders own "$T/o777.csv" 1 777 && mv "$T/o777.csv" "$W/incoming/o777.csv" ||
    fail "make order 777"
expect_rc 0 "run declares three orders over HTTPS" cg run --no-progress
# the documents (count, run_until of http-lib.sh) with their orders, as ... WHERE condition
D="documents d JOIN orders o ON o.id = d.order_id WHERE"
run_until "$D d.msg_type = 603 AND d.state = 'closed'" 2
run_until "$D o.order_no = 'SO-0000777' AND d.state = 'rejected'" 2
check "SO-0000001 and 2 released and closed" test "$(count "$D d.msg_type = 603 AND d.state = 'closed'")" = 2
# docs ORDER: each document of ORDER as TYPE:VERSION:APPTYPE:STATE, by type
docs() { sql "SELECT group_concat(msg_type || ':' || version || ':' || app_type || ':' || state, ' ') FROM (SELECT d.* FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = '$1' ORDER BY d.msg_type)"; }
check "customs refused SO-0000777's order and inventory (100), not its waybill" \
    test "$(docs SO-0000777)" = "303:1:1:rejected 505:1:1:accepted 603:1:1:rejected"
check "  after the E-Port stored them (2 first)" \
    test "$(sql "SELECT count(DISTINCT r.message_id) FROM receipts r JOIN messages m ON m.id = r.message_id JOIN documents d ON d.id = m.document_id JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000777' AND r.status = '2'")" = 3

cat >"$W/incoming/manifest.csv" <<EOC
bill_no,traf_mode,traf_name,voyage_no,leave_time,logistics_code,logistics_name,logistics_no,gross_weight
MB-R1,5,CA1234,CA1234,2026-11-10 08:30,3120980105,SF Express,SF0000000000001,2.5
MB-R1,5,CA1234,CA1234,2026-11-10 08:30,3120980105,SF Express,SF0000000000002,2.5
EOC
expect_rc 0 "the manifest is taken and MB-R1's CEB607 sent" cg run --no-progress
run_until "$D o.order_no = 'BILL:MB-R1' AND d.msg_type = 607 AND d.state = 'rejected'" 1
check "customs refused MB-R1's CEB607" test "$(docs BILL:MB-R1)" = "607:1:1:rejected"
g1=$(sql "SELECT d.guid FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'BILL:MB-R1'")
pre1=$(sql "SELECT d.pre_no FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'BILL:MB-R1'")
expect_rc 0 "the next run" cg run --no-progress
check "  leaves the bill, naming it" grep -Fxq "manifest.csv: bill MB-R1: its waybill list (CEB607) version 1 was refused by customs: declared again only when a later manifest brings the bill with changed data" "$T/out"
check "  and declares nothing" test "$(docs BILL:MB-R1)" = "607:1:1:rejected"
cp "$W/done/o777.csv" "$T/o777-again.csv"
cp "$T/o777-again.csv" "$W/incoming/o777.csv"
expect_rc 0 "SO-0000777's file dropped again, unmarked" cg run --no-progress
check "  is a duplicate" grep -q '^duplicate o777.csv: same content as o777.csv' "$T/out"
check "  and declares nothing" test "$(docs SO-0000777)" = "303:1:1:rejected 505:1:1:accepted 603:1:1:rejected"

# What resend does not mark.
expect_rc 2 "resend without --reason" cg resend BILL:MB-R1
check "  says the reason is required" grep -q 'reason TEXT is required' "$T/err"
expect_rc 1 "resend of an unknown number" cg resend SO-0000999 --reason x
check "  says so" grep -Fxq "cebgate: SO-0000999: not known (an order number, BILL:NUMBER or SUM:MONTH:COUNTRY:N, as cebgate status prints them)" "$T/err"
printf '%s\n' "order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight" \
    "SO-0000888,USD,US,USNY,5.00,NO-SUCH-SKU,Item 0,1,3.50,3120980105,SF Express,SF0000000000888,2.5" \
    >"$W/incoming/o888.csv"
expect_rc 1 "a run rejects SO-0000888, whose SKU the catalogue lacks" cg run --no-progress
expect_rc 1 "resend of an order rejected before anything was declared" cg resend SO-0000888 --reason x
check "  says so, with the rejection and what to do instead" grep -Eq "^cebgate: SO-0000888: never declared: rejected [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z: o888\.csv:2: order SO-0000888: field sku: 'NO-SUCH-SKU' is not in the product catalogue.*; correct the order in its file and drop the file again \(resend sends again only a document customs refused after the E-Port stored it, 100\)\$" "$T/err"
expect_rc 1 "resend of a number another seller does not have" cg resend bee/SO-0000001 --reason x
check "  says so" grep -Fxq "cebgate: bee/SO-0000001: not known (an order number, BILL:NUMBER or SUM:MONTH:COUNTRY:N, as cebgate status prints them)" "$T/err"
expect_rc 1 "resend of an order customs did not refuse" cg resend SO-0000001 --reason x
check "  names each document, its state and the rule" grep -Fxq "cebgate: SO-0000001: nothing marked: its order (CEB303) version 1 is accepted, not refused by customs; its waybill (CEB505) version 1 is accepted, not refused by customs; its export inventory (CEB603) version 1 is closed, not refused by customs; resend sends again only a document customs refused after the E-Port stored it (100)" "$T/err"
check "  and marks nothing" test "$(sql "SELECT count(*) FROM resend_marks")" = 0

# The cause is fixed outside the documents: the port (customs) without its two rules.
port_stop
sed -i 's/ | orderNo=SO-0000777:order refused//; s/ | billNo=MB-R1:bill not registered with customs//' "$T/port.conf"
OLDP=$P
port_start -d "$T" -r "$T/port.conf"
sed -i "s/127.0.0.1:$OLDP/127.0.0.1:$P/" "$W/cebgate.conf"
me=$(id -un)
expect_rc 0 "resend BILL:MB-R1" cg resend BILL:MB-R1 --reason "bill registered at customs"
check "  says what goes out again and when" grep -Fxq "marked BILL:MB-R1  waybill list (CEB607) version 1, refused by customs: declared again as version 2 by the next run" "$T/out"
check "  records who, when and why" test "$(sql "SELECT k.version || '|' || k.marked_by || '|' || k.reason || '|' || (k.marked_at <> '') FROM resend_marks k JOIN documents d ON d.id = k.document_id JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'BILL:MB-R1'")" = "1|$me|bill registered at customs|1"
expect_rc 0 "status BILL:MB-R1" cg status BILL:MB-R1
check "  shows the mark under the version, with who, when and why" grep -Fxq "    $(sql "SELECT marked_at FROM resend_marks")  v1 marked to go out again by $me: bill registered at customs" "$T/out"
expect_rc 1 "resend BILL:MB-R1 once more" cg resend BILL:MB-R1 --reason again
check "  says it was marked already" grep -Eq "^cebgate: BILL:MB-R1: nothing marked: its waybill list \(CEB607\) version 1 was marked to go out again already, at [0-9T:.Z-]+ by $me; resend sends again only" "$T/err"
expect_rc 0 "resend SO-0000777" cg resend SO-0000777 --reason "sender registered at customs"
check "  marks its two refused documents, saying how each goes out" test "$(cat "$T/out")" = "marked SO-0000777  order (CEB303) version 1, refused by customs: declared again as version 2 from the next file that holds the order: put o777.csv (in done/) back into incoming/
marked SO-0000777  export inventory (CEB603) version 1, refused by customs: declared again as version 2 from the next file that holds the order: put o777.csv (in done/) back into incoming/"

cp "$T/o777-again.csv" "$W/incoming/o777.csv"
expect_rc 0 "the next run" cg run --no-progress
check "  says the bill goes out again, as marked" grep -Fxq "manifest.csv: bill MB-R1: its waybill list (CEB607) version 1 was refused by customs and goes out again: marked by $me at $(sql "SELECT marked_at FROM resend_marks WHERE version = 1 ORDER BY marked_at LIMIT 1") (cebgate resend)" "$T/out"
check "  reads SO-0000777's file again: one order modified" grep -Fxq "  orders: 1 accepted (0 new, 1 modified), 0 unchanged, 0 rejected, 0 waiting, 0 skipped, 0 cancelled" "$T/out"
g2=$(sql "SELECT d.guid FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'BILL:MB-R1' AND d.msg_type = 607")
f=$W/archive/CEB607Message_$g2.xml
check "MB-R1's CEB607 version 2, a modify, with a new guid" test "$(sql "SELECT m.version || ':' || m.app_type FROM messages m WHERE m.guid = '$g2'") $([ "$g2" != "$g1" ] && echo new)" = "2:2 new"
check "  carrying the preNo the E-Port gave version 1" grep -q "<ceb:preNo>$pre1</ceb:preNo>" "$f"
check "SO-0000777's order and inventory version 2, modifies (its waybill unchanged)" \
    test "$(sql "SELECT group_concat(m.msg_type || ':' || m.version || ':' || m.app_type, ' ') FROM (SELECT m.* FROM messages m JOIN documents d ON d.id = m.document_id JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000777' AND m.version = 2 ORDER BY m.msg_type) m")" = "303:2:2 603:2:2"
run_until "$D o.order_no = 'BILL:MB-R1' AND d.msg_type = 509 AND d.state = 'accepted'" 1
check "customs accepted the CEB607, then the departure (CEB509)" test "$(docs BILL:MB-R1)" = "509:1:1:accepted 607:2:2:accepted"
run_until "$D o.order_no = 'SO-0000777' AND d.msg_type = 603 AND d.state = 'closed'" 1
check "customs released and closed SO-0000777" test "$(count "$D o.order_no = 'SO-0000777' AND d.msg_type = 603 AND d.state = 'closed'")" = 1
n=$(sql "SELECT count(*) FROM messages")
expect_rc 0 "a later run" cg run --no-progress
check "  sends nothing more" test "$(sql "SELECT count(*) FROM messages")" = "$n"
expect_rc 1 "resend of the bill accepted now" cg resend BILL:MB-R1 --reason x
check "  names its last document, the departure" grep -q "^cebgate: BILL:MB-R1: nothing marked: its departure (CEB509) version 1 is accepted, not refused by customs;" "$T/err"

# Schema step 9: a database put back to version 8 (the indexes and column of steps 10 and 11
# gone too) gets the table again on open.
sql "DROP TABLE seller_holds; DROP INDEX documents_303; DROP INDEX file_orders_held; DROP INDEX documents_waybill; ALTER TABLE documents DROP COLUMN carrier; ALTER TABLE documents DROP COLUMN route; DROP INDEX file_orders_order; DROP INDEX rejections_order; ALTER TABLE file_orders DROP COLUMN status; DROP TABLE resend_marks; PRAGMA user_version = 8"
expect_rc 0 "status opens the database of version 8" cg status --pending
check "  migrated to version 12 with the table of marks" test "$(sql "PRAGMA user_version") $(sql "SELECT count(*) FROM resend_marks")" = "12 0"
finish
