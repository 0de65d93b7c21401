#!/bin/sh
# flow-manifest-port.sh - departure over HTTPS against `cebgate port` with
# close_after_departure = yes: two released orders, a manifest listing both parcels, the
# CEB607 and its CEB608, then the CEB509 and its CEB510, and only after the departure the
# port's 899 closes both inventories; `cebgate status` shows them closed.
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
CLOSE_MS=0 port_conf "$T/port.conf" "$T/port.db" "close_after_departure = yes"
port_start -d "$T" -r "$T/port.conf"
sender_conf
orders orders.csv 2 || fail "make orders"
expect_rc 0 "run declares two orders over HTTPS" cg run --no-progress
count() { sql "SELECT count(*) FROM documents d JOIN orders o ON o.id = d.order_id WHERE $1"; }
# run_until CONDITION N: run (fetching the port's receipts) until N documents match CONDITION.
run_until() {
    i=0
    while [ "$(count "$1")" != "$2" ] && [ $i -lt 50 ]; do
        cg run --no-progress >/dev/null 2>&1
        i=$((i + 1))
    done
}
run_until "d.msg_type = 603 AND d.state = 'released'" 2
check "both inventories released, not closed (the port waits for the departure)" \
    test "$(count "d.msg_type = 603 AND d.state = 'released'")" = 2
cat >"$W/incoming/manifest.csv" <<EOC
bill_no,traf_mode,traf_name,voyage_no,leave_time,logistics_code,logistics_name,logistics_no,gross_weight
MB-9,5,CA1234,CA1234,2026-11-10 08:30,3120980105,SF Express,SF0000000000001,2.5
MB-9,5,CA1234,CA1234,2026-11-10 08:30,3120980105,SF Express,SF0000000000002,2.5
EOC
expect_rc 0 "the manifest is taken and the CEB607 sent" cg run --no-progress
check "the CEB607 went to the port" test "$(count "o.order_no = 'BILL:MB-9' AND d.msg_type = 607 AND d.state <> 'queued'")" = 1
run_until "o.order_no = 'BILL:MB-9' AND d.msg_type = 509 AND d.state = 'accepted'" 1
check "after CEB608 120 the CEB509 went out and the port accepted it (CEB510 120)" \
    test "$(count "o.order_no = 'BILL:MB-9' AND d.msg_type = 509 AND d.state = 'accepted'")" = 1
run_until "d.msg_type = 603 AND d.state = 'closed'" 2
check "the port closed both inventories (899)" test "$(count "d.msg_type = 603 AND d.state = 'closed'")" = 2
check "no 899 arrived before the CEB509 was sent" test "$(sql "SELECT count(*) FROM receipts WHERE status = '899' AND received_at < (SELECT sent_at FROM messages WHERE msg_type = 509)")" = 0
expect_rc 0 "status SO-0000001" cg status SO-0000001
check "status shows it closed" grep -q "^  CEB603 C[0-9a-f]*  version 1  closed (899)" "$T/out"
finish
