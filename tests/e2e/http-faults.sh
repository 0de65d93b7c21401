#!/bin/sh
# http-faults.sh - the HTTP path under faults: the port answers 503 (Retry-After: 1) to 20% of
# the messages, closes 5% of the connections mid-request (half before checking the message, half
# after storing it, so the answer is lost) and publishes every receipt twice. `cebgate run` is
# repeated (bounded) until no document waits; then nothing is lost and nothing duplicated, on
# either side: each guid stored once at the port and every sent document there, every document
# acknowledged once at the sender with the same bytes, each receipt applied once.
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
N=300
port_conf "$T/port.conf" "$T/port.db" "fault_503_percent = 20" "fault_drop_percent = 5" \
    "fault_receipts_twice = yes"
port_start -d "$T" -r "$T/port.conf"
sender_conf
orders orders.csv $N || fail "make orders"

run_until_done 30
check "runs ended with nothing waiting ($RUNS runs, exits $(tr '\n' ' ' <"$T/runs"))" \
    test "$(sql "SELECT count(*) FROM documents WHERE state NOT IN ('accepted','closed','rejected')")" = 0
check "no run failed otherwise than 'run again' (75)" sh -c "! grep -qv '^\(0\|75\)$' '$T/runs'"
curl -sS --cacert "$K/ca.pem" -H @"$K/auth.hdr" "https://127.0.0.1:$P/metrics" >"$T/metrics" 2>"$T/err"
f503=$(awk '/faults_injected_total\{kind="503"\}/ { print $2 }' "$T/metrics")
fdrop=$(awk '/faults_injected_total\{kind="drop"\}/ { print $2 }' "$T/metrics")
check "the port injected 503s ($f503) and dropped connections ($fdrop)" \
    test "${f503:-0}" -gt 0 -a "${fdrop:-0}" -gt 0

# Sender side.
check "900 documents, one version each" test "$(sql "SELECT count(*), max(version) FROM documents")" = "900|1"
check "900 messages, each guid once, none left queued" test "$(sql "SELECT count(*),
    count(DISTINCT guid), sum(state = 'queued') FROM messages")" = "900|900|0"
check "every message acknowledged once (sent time set, nothing refused by the transport)" \
    test "$(sql "SELECT count(*) FROM messages WHERE sent_at IS NOT NULL AND state <> 'rejected'
        OR (state = 'rejected' AND status = '100')")" = 900
check "the archive holds each sent message once, with the bytes recorded" sh -c '
    cd "$1/archive" && for f in $(sqlite3 "$1/cebgate.db" "SELECT file_name || \",\" || sha256 FROM messages"); do
        n=${f%%,*}; h=${f#*,}
        [ "$(sha256sum "$n" | cut -d" " -f1)" = "$h" ] || { echo "$n differs"; exit 1; }
    done' sh "$W"
published=$("$CEBGATE" -c "$T/port.conf" port --stats 2>/dev/null |
    awk '$1 == "receipts" && NF == 2 { print $2 }')
again=$("$CEBGATE" -c "$T/port.conf" port --stats 2>/dev/null | awk '/^accepted again/ { print $3 }')
check "lost answers were re-sent and answered as duplicates ($again)" test "${again:-0}" -gt 0
# Per message, from both databases: every duplicate answer was for the bytes the port stored
# first, and the port stored the bytes the sender recorded.
psql() { sqlite3 "$W/cebgate.db" "ATTACH '$T/port.db' AS port;" "$@"; }
check "each re-sent message had the same bytes as the one stored" test "$(psql "SELECT count(*),
    sum(s.sha256 = m.sha256) FROM port.submissions s JOIN port.messages m ON m.guid = s.guid
    WHERE s.duplicate = 1")" = "$again|$again"
check "each message stored at the port with the sender's bytes" test "$(psql "SELECT count(*),
    sum(p.sha256 = m.sha256) FROM messages m JOIN port.messages p ON p.guid = m.guid")" = "900|900"
check "the port published every receipt twice ($published)" test $((${published:-1} % 2)) = 0
check "each receipt applied once: the log holds half of them, each receipt guid once" \
    test "$(sql "SELECT count(*), count(DISTINCT receipt_guid) FROM receipts")" = \
    "$((${published:-0} / 2))|$((${published:-0} / 2))"
check "per receipt: published twice by the port, applied once, to its document, same status" \
    test "$(psql "SELECT count(*) FROM (SELECT msg_guid, doc_guid, status, count(*) FROM
        port.receipts GROUP BY 1, 2, 3)")|$(psql "SELECT count(*) FROM
        (SELECT msg_guid, doc_guid, status, count(*) / 2 FROM port.receipts GROUP BY 1, 2, 3
         INTERSECT SELECT r.receipt_guid, r.guid, r.status, count(*) FROM receipts r
         WHERE r.outcome = 'applied' GROUP BY 1, 2, 3)")|$(psql "SELECT count(*) FROM
        (SELECT msg_guid FROM port.receipts GROUP BY 1 HAVING count(*) <> 2)")" = \
    "$((${published:-0} / 2))|$((${published:-0} / 2))|0"
check "receipt log: no late or unknown entries" \
    test "$(sql "SELECT count(*) FROM receipts WHERE outcome IN ('late', 'unknown')")" = 0
check "no receipt applied twice for a message" test "$(sql "SELECT count(*) FROM
    (SELECT message_id, status FROM receipts WHERE outcome = 'applied' GROUP BY 1, 2
     HAVING count(*) > 1)")" = 0

# Port side, and both together.
compare_sides
check "port: each guid stored once" test "$(cmp_val port)" = 900 -a "$(cmp_val port-distinct)" = 900
check "port: every sent document present" test "$(cmp_val missing-at-port)" = 0
check "port: nothing the sender did not send" test "$(cmp_val unknown-to-sender)" = 0
check "same type and final status on both sides" \
    test "$(cmp_val type-differs)|$(cmp_val status-differs)" = "0|0"
check "every document in the state the scenario gives it" test "$(cmp_val unexpected-state)" = 0
check "20 documents rejected by the port's rules" test "$(cmp_val rejected)" = 20
port_stop
finish
