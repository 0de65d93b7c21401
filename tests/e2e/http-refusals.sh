#!/bin/sh
# http-refusals.sh - `cebgate run` against a real `cebgate port` over TLS when the port refuses
# one document for what it says: a waybill (CEB505) declared for a carrier code that is not one
# of the sender's `codes` is refused with 4006, final. That document alone is recorded rejected
# with the port's code and text, the other documents are sent and acknowledged, the run exits 1
# (input rejected), and the next run sends nothing again.
# A sender whose credentials the port refuses (a wrong token: 401; mutual TLS without a client
# certificate: 403, code 1999), on the receipts poll or on the POST, stops with exit 2 and one
# line naming the URL, the port's answer and the setting to check, never the token. A run whose
# receipts cannot be fetched for other reasons exits 75 and says how many messages it sent.
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

# ---------------------------------------------------------------- credentials refused
# Before: a wrong token made the receipts poll fail with 401, taken as a temporary receipts
# failure: with nothing to send the run exited 75 saying "files were taken and messages sent".
# errlines: the run's stderr without the warning about rsa-sha256 signatures
errlines() { grep -v 'sign_alg = rsa-sha256 is not in the CEB specification' "$T/err"; }
no_token() { ! grep -q -F -f "$1" "$T/err" "$T/out"; }
port_conf "$T/port.conf" "$T/port2.db"
port_start -d "$T" -r "$T/port.conf"
W=$T/w2
mkdir -p "$W"
cp "$CG_TESTDATA/mapping/catalog.csv" "$W/catalog.csv"
"$OPENSSL" rand -hex 24 >"$T/wrong.token" || fail "make a token"
sender_conf
sed -i "s|^token_file = .*|token_file = $T/wrong.token|" "$W/cebgate.conf"
expect_rc 2 "a wrong token on the receipts poll, nothing to send: exit 2" cg run --no-progress
check "one line: the URL, the port's answer, the setting to check ($(errlines))" test "$(errlines)" = \
    "cebgate: transport http: fetching receipts: https://127.0.0.1:$P/receipts?since=0: HTTP 401 (code 1999): the token is not that of any sender (check [transport] token_file); the run stops here"
check "the summary says nothing was sent" \
    grep -q "messages: 0 signed, 0 queued, 0 sent, 0 waiting to be sent, 0 refused" "$T/out"
check "no byte of the token in the output" no_token "$T/wrong.token"

orders orders.csv 2 || fail "make orders"
expect_rc 2 "with a file to take: exit 2 before it is taken" cg run --no-progress
check "the same line ($(errlines))" test "$(errlines)" = \
    "cebgate: transport http: fetching receipts: https://127.0.0.1:$P/receipts?since=0: HTTP 401 (code 1999): the token is not that of any sender (check [transport] token_file); the run stops here"
check "the file stays in incoming/, nothing signed" \
    test -e "$W/incoming/orders.csv" -a "$(count messages)" = 0

# Without receipts_url the POST meets the wrong token (it said "check [transport] url and the
# client certificate").
sed -i '/^receipts_url/d' "$W/cebgate.conf"
expect_rc 2 "a wrong token on the POST: exit 2" cg run --no-progress
check "a warning and one line: the URL, the answer, token_file ($(errlines))" test "$(errlines)" = \
    "cebgate: warn: HTTP transport gives up on https://127.0.0.1:$P/messages for now: HTTP 401 (code 1999): the token is not that of any sender
cebgate: transport http: https://127.0.0.1:$P/messages: HTTP 401 (code 1999): the token is not that of any sender (check [transport] token_file); the messages stay queued"
check "2 orders, 6 messages signed, none sent" \
    grep -q "messages: 6 signed, 6 queued, 0 sent, 6 waiting to be sent, 0 refused" "$T/out"
check "all 6 stay queued, none rejected ($(states))" test "$(states)" = "queued=6"
check "no byte of the token in the output" no_token "$T/wrong.token"

# The right token: the same 6 go out; then the port gone, nothing to send: receipts cannot be
# fetched, exit 75, and the run does not claim it sent anything.
sender_conf "max_retries = 1"
expect_rc 0 "with the right token the queued messages go out" cg run --no-progress
check "6 sent" grep -q "messages: 0 signed, 0 queued, 6 sent, 0 waiting to be sent, 0 refused" "$T/out"
check "no byte of the token in the output" no_token "$K/test.token"
sed -i "s|^receipts_url = .*|receipts_url = https://127.0.0.1:$P/no-such-endpoint|" \
    "$W/cebgate.conf"
$HELPER orders own "$T/orders3.csv" 1 3 && mv "$T/orders3.csv" "$W/incoming/" ||
    fail "make order SO-0000003"
expect_rc 75 "a receipts URL the port does not serve: sending goes on, exit 75" cg run --no-progress
check "the run says it sent 3 messages ($(tail -1 "$T/err"))" test "$(tail -1 "$T/err")" = \
    "cebgate: receipts could not be fetched (see above); 3 messages sent; run again later"
port_stop
sender_conf "max_retries = 1"
expect_rc 75 "the port gone, nothing to send: exit 75" cg run --no-progress
check "the run says no message was sent ($(tail -1 "$T/err"))" test "$(tail -1 "$T/err")" = \
    "cebgate: receipts could not be fetched (see above); no message was sent; run again later"

# Mutual TLS without a client certificate: 403, code 1999, on the receipts poll.
port_conf "$T/port.conf" "$T/mtls.db" "tls_client_ca = $K/ca.pem"
port_start -d "$T" -r "$T/port.conf"
W=$T/w3
mkdir -p "$W"
sender_conf
expect_rc 2 "no client certificate on the receipts poll: exit 2" cg run --no-progress
check "one line: the URL, the answer, the client certificate ($(errlines))" test "$(errlines)" = \
    "cebgate: transport http: fetching receipts: https://127.0.0.1:$P/receipts?since=0: HTTP 403 (code 1999): a client certificate is required (check [transport] client_cert and client_key, or token_file); the run stops here"
port_stop
finish
