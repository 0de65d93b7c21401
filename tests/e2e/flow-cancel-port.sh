#!/bin/sh
# flow-cancel-port.sh - a cancellation and a return over HTTPS against `cebgate port`, which
# plays customs: it takes the CEB605 of a released inventory and answers CEB606 2, 120 and
# 399, so the sender's run cancels the inventory; it takes the CEB213 of the other order and
# answers CEB214 2, 120 and 800. The port keeps inventories released (close_ms far away).
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
CLOSE_MS=600000 port_conf "$T/port.conf" "$T/port.db"
port_start -d "$T" -r "$T/port.conf"
sender_conf
orders orders.csv 2 || fail "make orders"
expect_rc 0 "run declares two orders over HTTPS" cg run --no-progress
released() { sql "SELECT count(*) FROM documents WHERE msg_type = 603 AND state = '$1'"; }
# run_until STATE N: run (fetching the port's receipts) until N inventories are in STATE.
run_until() {
    i=0
    while [ "$(released "$1")" != "$2" ] && [ $i -lt 50 ]; do
        cg run --no-progress >/dev/null 2>&1
        i=$((i + 1))
    done
}
run_until released 2
check "both inventories released by the port" test "$(released released)" = 2
expect_rc 0 "cancel SO-0000001" cg cancel SO-0000001 --reason "buyer withdrew the order"
check "sent to the port" grep -Fxq "order SO-0000001: cancellation (CEB605) declared: sent" "$T/out"
run_until cancelled 1
check "the port's CEB606 399 cancelled the inventory" test "$(released cancelled)" = 1
check "the other order's inventory is still released" test "$(released released)" = 1
check "the sender applied 2, 120 and 399 to the CEB605" test "$(sql "SELECT group_concat(r.status, ' ') FROM receipts r JOIN messages m ON m.id = r.message_id WHERE m.msg_type = 605 AND r.outcome = 'applied' ORDER BY r.id")" = "2 120 399"
"$CEBGATE" -c "$T/port.conf" port --documents >"$T/docs" 2>"$T/err"
check "the port has the CEB605 concluded (399), final, for that inventory" test "$(awk -F'\t' '$1 == "CEB605" { print $5, $6, $7 }' "$T/docs")" = "$(sql "SELECT d.invt_no FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000001' AND d.msg_type = 603") 399 1"
expect_rc 0 "return SO-0000002" cg return SO-0000002 --reason damaged --traf-name CA1234 --voyage CA1234
check "sent to the port" grep -Fxq "order SO-0000002: return (CEB213) declared: sent" "$T/out"
rstate() { sql "SELECT state FROM documents WHERE msg_type = 213"; }
i=0
while [ "$(rstate)" != released ] && [ $i -lt 50 ]; do
    cg run --no-progress >/dev/null 2>&1
    i=$((i + 1))
done
check "the port's CEB214 800 released the return" test "$(rstate)" = released
"$CEBGATE" -c "$T/port.conf" port --documents >"$T/docs" 2>"$T/err"
check "the port has the CEB213 released (800), final" test "$(awk -F'\t' '$1 == "CEB213" { print $5, $6, $7 }' "$T/docs")" = "$(sql "SELECT d.invt_no FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000002' AND d.msg_type = 603") 800 1"
finish
