#!/bin/sh
# http-tls.sh - `cebgate run` against `cebgate port` when things are wrong, then right:
# a port whose certificate the sender does not trust (exit 1, clear message, nothing marked
# sent or rejected), a wrong URL (404: exit 2), an unreachable port (exit 75), then the right
# port: the queued messages go out with the same guids and bytes, and receipts that become due
# after the run ended are picked up by `cebgate watch` from the stored cursor. Last, mutual TLS:
# without a client certificate the run fails with a clear message (exit 2), with one it works.
# And a port that refuses the messages themselves: each is rejected with the port's reason.
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
waiting() { sql "SELECT count(*) FROM documents WHERE state NOT IN ('accepted','closed','rejected')"; }
states() { sql "SELECT group_concat(state || '=' || n, ' ') FROM
    (SELECT state, count(*) AS n FROM messages GROUP BY state ORDER BY state)"; }

# ---------------------------------------------------------------- a port nobody trusts
port_conf "$T/rogue.conf" "$T/rogue.db"
sed -i -e "s|^tls_cert = .*|tls_cert = $K/rogue.pem|" -e "s|^tls_key = .*|tls_key = $K/rogue.key|" \
    "$T/rogue.conf"
port_start -d "$T" -r "$T/rogue.conf"
sender_conf
sed -i '/^receipts_url/d' "$W/cebgate.conf"
orders orders.csv 5 || fail "make orders"
expect_rc 1 "run refuses a port whose certificate is not trusted" cg run --no-progress
check "it says why (certificate)" grep -qi "certificate" "$T/err"
check "it says the messages stay queued" grep -q "stay queued" "$T/err"
check "nothing marked sent or rejected: 15 queued" test "$(states)" = "queued=15"
sql "SELECT guid || ' ' || sha256 FROM messages ORDER BY guid" >"$T/before"
sender_conf
expect_rc 1 "also when polling receipts from it" cg run --no-progress
check "still 15 queued" test "$(states)" = "queued=15"
"$CEBGATE" -c "$T/rogue.conf" port --stats >"$T/rs" 2>/dev/null
port_stop
check "the untrusted port received no message" grep -q "^received *0$" "$T/rs"

# ---------------------------------------------------------------- unreachable, wrong URL
sender_conf "max_retries = 1"
expect_rc 75 "an unreachable port: run again later (75)" cg run --no-progress
check "still 15 queued" test "$(states)" = "queued=15"
RELEASE_MS=0 CLOSE_MS=2500 port_conf "$T/port.conf" "$T/port.db"
port_start -d "$T" -r "$T/port.conf"
sender_conf
sed -i -e '/^receipts_url/d' -e 's|/messages$|/nothing|' "$W/cebgate.conf"
# The port answers a POST to a path it does not serve with 405 (404 would be as right): either
# is about the URL, not the message.
expect_rc 2 "a wrong URL is a configuration error (2)" cg run --no-progress
check "it names the URL, the port's answer and the setting to check" grep -q \
    "https://127.0.0.1:$P/nothing: HTTP 40[45] (code [0-9]*): .* (check \[transport\] url" "$T/err"
check "nothing marked rejected for it" test "$(states)" = "queued=15"

# ---------------------------------------------------------------- the right port
sender_conf
expect_rc 0 "the right port takes the queued messages" cg run --no-progress
check "15 sent" grep -q "0 signed, 0 queued, 15 sent" "$T/out"
sql "SELECT guid || ' ' || sha256 FROM messages ORDER BY guid" >"$T/after"
check "same guids and bytes as first queued" cmp -s "$T/before" "$T/after"
w=$(waiting)
check "inventories wait for the 899 due after the run ($w)" test "$w" = 5
check "the receipts cursor is stored" test -s "$W/http-receipts.cursor"
"$CEBGATE" -c "$W/cebgate.conf" watch --retry 1 --no-progress >"$T/watch.out" 2>"$T/watch.err" &
WPID=$!
i=0
while [ "$(waiting)" != 0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $WPID
wait $WPID
wrc=$?
check "watch exits 0 on SIGTERM ($wrc)" test "$wrc" = 0
[ "$wrc" = 0 ] || tail -5 "$T/watch.err"
check "watch applied the receipts that became due" test "$(waiting)" = 0
check "each receipt applied once, none late" \
    test "$(sql "SELECT count(*) FROM receipts WHERE outcome <> 'applied'")" = 0
compare_sides
check "port and sender agree (15 documents, same statuses)" test \
    "$(cmp_val port)|$(cmp_val missing-at-port)|$(cmp_val status-differs)" = "15|0|0"
port_stop

# ---------------------------------------------------------------- mutual TLS
port_conf "$T/port.conf" "$T/mtls.db" "tls_client_ca = $K/ca.pem"
port_start -d "$T" -r "$T/port.conf"
W=$T/w2
mkdir -p "$W"
cp "$CG_TESTDATA/mapping/catalog.csv" "$W/catalog.csv"
sender_conf
sed -i '/^receipts_url/d' "$W/cebgate.conf"
orders orders2.csv 3 || fail "make orders"
expect_rc 2 "without a client certificate the port refuses: exit 2" cg run --no-progress
check "it says a client certificate is needed" grep -qi "client certificate" "$T/err"
check "nothing marked rejected: 9 queued" test "$(states)" = "queued=9"
sender_conf "client_cert = $K/client.pem" "client_key = $K/client.key"
run_until_done 20
check "with the client certificate everything is sent and answered ($(states))" \
    test "$(waiting)|$(sql "SELECT count(*) FROM messages WHERE sent_at IS NULL")" = "0|0"
check "runs exited 0" sh -c "! grep -qv '^0$' '$T/runs'"
port_stop

# ---------------------------------------------------------------- refused by the port
# A sender signing with a certificate the port does not trust gets every message refused
# (1001): each is recorded as rejected with the port's code and text, and the run exits 1. (The
# port itself does not start with a sign_cert its trust does not verify.)
port_conf "$T/port.conf" "$T/distrust.db"
port_start -d "$T" -r "$T/port.conf"
W=$T/w3
mkdir -p "$W"
cp "$CG_TESTDATA/mapping/catalog.csv" "$W/catalog.csv"
untrusted_signer || fail "make the untrusted certificate"
sender_conf
orders orders3.csv 2 || fail "make orders"
expect_rc 1 "messages the port refuses: exit 1" cg run --no-progress
check "6 refused" grep -q "0 sent, 0 waiting to be sent, 6 refused" "$T/out"
check "each document rejected with the port's code and reason" test "$(sql "SELECT count(*)
    FROM documents WHERE state = 'rejected' AND status_info LIKE '1001: %'")" = 6
check "and its message too" \
    test "$(sql "SELECT count(*) FROM messages WHERE state = 'rejected'")" = 6
port_stop
finish
