#!/bin/sh
# http-e2e.sh - 1,000 orders through `cebgate run` with the HTTP transport to `cebgate port` over
# loopback TLS, receipts polled back until nothing waits: every document ends where the port's
# scenario puts it (orders accepted, inventories closed after 800/899, chosen ones rejected with
# 100 by the reject rules), and the port's and the sender's databases agree document by document.
# Runs are repeated (bounded) until no document waits for a receipt. Receipts that become due
# after a run ended are covered by http-tls.sh. With CG_SIGNER=sm2 (http-e2e-sm2.sh) the orders
# are signed with an SM2 key and the port checks sm2-sm3 signatures against the SM2 CA.
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
N=1000
port_conf "$T/port.conf" "$T/port.db"
port_start -d "$T" -r "$T/port.conf"
# named as the man page says, for top -H and ps -L
check "the port's writer thread is named port-writer" grep -qx port-writer /proc/"$PORT_PID"/task/*/comm
sender_conf
orders orders.csv $N || fail "make orders"

expect_rc 0 "first run sends everything over HTTPS" cg run --no-progress
check "3,000 messages signed and sent, none waiting" \
    grep -q "3000 signed, 3000 queued, 3000 sent, 0 waiting to be sent, 0 refused" "$T/out"
check "nothing left queued" test "$(sql "SELECT count(*) FROM messages WHERE state = 'queued'")" = 0
check "the receipts cursor is stored" test -s "$W/http-receipts.cursor"

run_until_done 40
check "later runs applied the receipts that became due ($RUNS runs, exits $(tr '\n' ' ' <"$T/runs"))" \
    test "$(sql "SELECT count(*) FROM documents WHERE state NOT IN ('accepted','closed','rejected')")" = 0
check "every later run exited 0" sh -c "! grep -qv '^0$' '$T/runs'"

compare_sides
check "sender has 3,000 documents" test "$(cmp_val sender)" = 3000
check "port has the same 3,000, each guid once" \
    test "$(cmp_val port)" = 3000 -a "$(cmp_val port-distinct)" = 3000
check "no document missing at the port" test "$(cmp_val missing-at-port)" = 0
check "nothing at the port the sender did not send" test "$(cmp_val unknown-to-sender)" = 0
check "same message type on both sides" test "$(cmp_val type-differs)" = 0
check "same final status on both sides, final at the port" test "$(cmp_val status-differs)" = 0
check "same invtNo for closed inventories" test "$(cmp_val invtno-differs)" = 0
check "every document in the state the scenario gives it" test "$(cmp_val unexpected-state)" = 0
# rejected: 505+603 of orders 10-19 (20), 303+603 of order 777 (2), 603 of orders 500-504 (5)
check "27 documents rejected by the port's rules" test "$(cmp_val rejected)" = 27
check "a rejection carries the port's reason" test "$(sql "SELECT count(*) FROM documents
    WHERE state = 'rejected' AND status_info LIKE '%printed matter needs a licence%'")" = 5
if [ "${CG_SIGNER:-rsa}" = sm2 ]; then
    uri=http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3
else
    uri=http://www.w3.org/2001/04/xmldsig-more#rsa-sha256
fi
check "the port stored 3,000 messages, each signed $uri" test "$(sqlite3 "$T/port.db" \
    "SELECT count(*) FROM messages WHERE instr(CAST(xml AS TEXT), 'Algorithm=\"$uri\"') > 0")" = 3000

# Receipts: each applied once, in the order the port published them (no spurious "late").
check "receipt log: no late, duplicate or unknown entries" \
    test "$(sql "SELECT count(*) FROM receipts WHERE outcome <> 'applied'")" = 0
published=$("$CEBGATE" -c "$T/port.conf" port --stats 2>/dev/null |
    awk '$1 == "receipts" && NF == 2 { print $2 }')
check "every receipt the port published was applied once ($published)" \
    test "$(sql "SELECT count(*) FROM receipts")" = "${published:-x}"
check "no receipt applied twice for a message" test "$(sql "SELECT count(*) FROM
    (SELECT message_id, status FROM receipts GROUP BY 1, 2 HAVING count(*) > 1)")" = 0
check "inbox/ is empty, receipts archived" test -z "$(ls "$W/inbox")"

expect_rc 0 "another run declares and sends nothing" cg run --no-progress
check "nothing new signed or sent" grep -q "0 signed, 0 queued, 0 sent" "$T/out"
port_stop
finish
