#!/bin/sh
# http-refusals.sh - `cebgate run` against a real `cebgate port` over TLS when the port refuses
# one document for what it says: a waybill (CEB505) declared for a carrier code that is not one
# of the sender's `codes` is refused with 4006, final. That document alone is recorded rejected
# with the port's code and text, the other documents are sent and acknowledged, the run exits 1
# (input rejected), and the next run sends nothing again.
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
states() { sql "SELECT group_concat(state || '=' || n, ' ') FROM
    (SELECT state, count(*) AS n FROM messages GROUP BY state ORDER BY state)"; }

# ---------------------------------------------------------------- 4006: final, not credentials
# Before: the port answered 4006 with HTTP 403, which the sender takes as refused credentials:
# the waybill stayed queued, the run stopped with exit 2 ("check [transport] url and the client
# certificate"), and every later run sent it again first, the sender's other messages behind it.
port_conf "$T/port.conf" "$T/port.db"
port_start -d "$T" -r "$T/port.conf"
sender_conf
$HELPER orders own "$T/orders.csv" 3 || fail "make orders"
# order 2 ships with carrier 3120980199, which is not among the port's codes for sender test
sed '/^SO-0000002,/s/,3120980105,/,3120980199,/' "$T/orders.csv" >"$W/orders.csv.x" &&
    mkdir -p "$W/incoming" && mv "$W/orders.csv.x" "$W/incoming/orders.csv"
check "the test file has one order on carrier 3120980199" \
    test "$(grep -c ',3120980199,' "$W/incoming/orders.csv")" = 1

# 3 orders, 3 messages each (CEB303, 505, 603): 9 signed; 8 acknowledged, the 505 of
# SO-0000002 refused.
expect_rc 1 "a run with a document the port refused exits 1" cg run --no-progress
check "8 sent, 1 refused, none waiting" \
    grep -q "messages: 9 signed, 9 queued, 8 sent, 0 waiting to be sent, 1 refused" "$T/out"
check "no transport stop (exit 2) nor a hint at url and certificate" \
    sh -c "! grep -q -e 'stay queued' -e 'check \[transport\]' -e 'HTTP 403' '$T/err'"
check "the refusal is logged with the port's code and text" grep -q \
    "refused by the port: 4006: message [0-9A-F-]*: document [0-9A-F-]* declares for logisticsCode 3120980199, which is not an enterprise code of sender test" \
    "$T/err"
bad="documents d JOIN orders o ON o.id = d.order_id
     WHERE o.order_no = 'SO-0000002' AND d.msg_type = 505"
check "the waybill of SO-0000002 is rejected with 4006 and the port's text" test "$(sql "
    SELECT d.state || '|' || d.status_info FROM $bad" |
    sed 's/[0-9A-F]\{8\}-[0-9A-F-]*/G/g')" = \
    "rejected|4006: message G: document G declares for logisticsCode 3120980199, which is not an enterprise code of sender test"
check "... and so is its message" test "$(sql "SELECT m.state FROM messages m
    JOIN documents d ON d.id = m.document_id JOIN orders o ON o.id = d.order_id
    WHERE o.order_no = 'SO-0000002' AND d.msg_type = 505")" = rejected
check "the other 8 messages were acknowledged ($(states))" test "$(sql "SELECT count(*)
    FROM messages WHERE sent_at IS NOT NULL AND state <> 'rejected'")" = 8
check "nothing is queued ($(states))" test "$(sql "SELECT count(*) FROM messages
    WHERE state = 'queued'")" = 0
check "the port received 9 and holds the 8 documents" \
    test "$(pstat received)|$("$CEBGATE" -c "$T/port.conf" port --documents | wc -l)" = "9|8"

expect_rc 0 "the next run exits 0" cg run --no-progress
check "it sends nothing again" grep -q "messages: 0 signed, 0 queued, 0 sent, 0 waiting to be sent, 0 refused" "$T/out"
check "the port received nothing more" test "$(pstat received)" = 9
check "the waybill stays rejected" test "$(sql "SELECT d.state FROM $bad")" = rejected
check "the other documents got their receipts" test "$(sql "SELECT count(*) FROM documents
    WHERE state IN ('accepted', 'closed')")" = 8
port_stop
finish
