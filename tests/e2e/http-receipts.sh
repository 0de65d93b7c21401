#!/bin/sh
# http-receipts.sh - receipts and sending are independent: with a receipts URL that cannot be
# read, `cebgate run` still takes the new files and hands every message to the port over HTTPS,
# reports the receipts failure and exits 75 (run again); once receipts can be read again the
# next run applies them.
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
port_conf "$T/port.conf" "$T/port.db"
start_port "$T/port.conf"
sender_conf
sed -i "s|^receipts_url = .*|receipts_url = https://127.0.0.1:$P/no-such-endpoint|" \
    "$W/cebgate.conf"
orders orders.csv 5 || fail "make orders"

expect_rc 75 "a run whose receipts cannot be fetched exits 75" cg run --no-progress
check "it says why" grep -q 'fetching receipts' "$T/err"
check "the file was taken" test ! -e "$W/incoming/orders.csv"
check "all 15 messages were sent ($(sql "SELECT group_concat(state) FROM (SELECT DISTINCT state FROM messages)"))" \
    test "$(sql "SELECT count(*) FROM messages WHERE state = 'sent'")" = 15
check "the port has the 15 documents" sh -c \
    "[ \$('$CEBGATE' -c '$T/port.conf' port --documents | wc -l) -eq 15 ]"

sed -i "s|^receipts_url = .*|receipts_url = https://127.0.0.1:$P/receipts|" "$W/cebgate.conf"
expect_rc 0 "with the receipts URL right again, the next run exits 0" cg run --no-progress
check "and applied the receipts" test "$(sql "SELECT count(*) FROM documents
    WHERE state IN ('accepted', 'closed')")" = 15
stop_port
finish
