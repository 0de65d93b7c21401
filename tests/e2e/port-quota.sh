#!/bin/sh
# port-quota.sh - each sender of `cebgate port` has a daily limit of its own (sender_daily_max)
# and numbers its receipts of its own, over real TLS on loopback with two senders (tokens and
# signing certificates of their own). With sender_daily_max = 3, sender A's accepted order, its
# retry and a refused message are its 3 of the day; its next POST is answered 429 with
# Retry-After (the seconds to 00:00 China time) and code 3998, none of its bytes quoted, logged
# and counted in /metrics, while sender B is accepted. After a restart A is still refused (the
# count is read from the database) and B still accepted. The receipts A and B got in turns are
# numbered 1, 2, 3 for each, and `since` pages through them.
. "${CG_SRCDIR:-.}/tests/e2e/port-lib.sh"

# ---------------------------------------------------------------- certificates, tokens, messages
port_senders a b
ORDER_TAG=4
for n in 1 2; do order a $n || fail "A signs order $n"; done
for n in 4 5; do order b $n || fail "B signs order $n"; done
check "orders signed" test -s a-2.xml -a -s b-5.xml
printf '<x/>' >junk.xml

port_conf "sender_daily_max = 3" a b
port_start port.conf -v
check "port started" test -n "$P"

# post WHO FILE: the answer in resp, its headers in hdr, the HTTP status in $S
post() {
    S=$(curl -sS --cacert server.pem -H "@$1.hdr" -D hdr --data-binary "@$2" -o resp \
        -w '%{http_code}' "https://127.0.0.1:$P/messages" 2>curl.err)
}
# ids WHO SINCE: the ids of WHO's receipts after SINCE, as "1,2,3"
ids() {
    curl -sS --cacert server.pem -H "@$1.hdr" -o page.json \
        "https://127.0.0.1:$P/receipts?since=$2" 2>curl.err &&
        python3 -c 'import json, sys
print(",".join(str(r["id"]) for r in json.load(open("page.json"))["receipts"]))'
}
# metric NAME: its value from GET /metrics (this host may read them)
metric() {
    curl -sS --cacert server.pem -H @b.hdr "https://127.0.0.1:$P/metrics" 2>/dev/null |
        awk -v m="$1" '$1 == m { print $2 }'
}
# to_midnight: seconds from now to the next 00:00 China time (UTC+8), rounded up
to_midnight() {
    python3 -c 'import time
t = time.time() + 8 * 3600
print(int(-(-(86400 - t % 86400) // 1)))'
}

# the test's messages fall on one China day: wait while 00:00 China time is less than 60 s away
i=0
while [ "$(to_midnight)" -lt 60 ] && [ $i -lt 700 ]; do
    sleep 0.1
    i=$((i + 1))
done

# ---------------------------------------------------------------- A's day: 3 messages
post a a-1.xml
check "A's order is accepted ($S)" test "$S" = 200
post b b-4.xml
check "B's order is accepted ($S)" test "$S" = 200
post a a-1.xml
check "A's retry is accepted again ($S)" sh -c "[ '$S' = 200 ] && grep -q '\"duplicate\":true' resp"
post a junk.xml
check "A's junk is refused 0001 ($S)" sh -c "[ '$S' = 422 ] && grep -q '\"code\":\"0001\"' resp"

# ---------------------------------------------------------------- past it
LATEST=$(to_midnight)
post a a-2.xml
EARLIEST=$(to_midnight)
check "A's 4th message of the day is answered 429 ($S)" test "$S" = 429
check "... as JSON: result retry, code 3998, naming sender_daily_max and nothing of the message" \
    test "$(cat resp)" = '{"result":"retry","code":"3998","text":"this sender has had as many messages recorded today as it may (sender_daily_max, 3 a day in China time): nothing was read or stored; send again after 00:00 China time","guid":null,"messageType":null,"duplicate":false,"documents":[]}'
RA=$(tr -d '\r' <hdr | awk 'tolower($1) == "retry-after:" { print $2 }')
check "... with Retry-After: the seconds to 00:00 China time ($EARLIEST <= $RA <= $LATEST)" \
    test "$RA" -ge "$EARLIEST" -a "$RA" -le "$LATEST"
check "... and the connection closed (the body is not read)" grep -qi '^Connection: close' hdr
post a junk.xml
check "A's junk too is answered 429, not checked ($S)" \
    sh -c "[ '$S' = 429 ] && grep -q '\"code\":\"3998\"' resp"
post b b-5.xml
check "B's order is accepted meanwhile ($S)" test "$S" = 200
check "2 refusals for sender_daily_max in /metrics" \
    test "$(metric cebgate_port_sender_daily_max_refused_total)" = 2
check "the refusals are not recorded: 5 messages received" \
    test "$(metric cebgate_port_messages_received_total)" = 5
check "the port logs that A reached its limit, once" \
    test "$(grep -c 'sender a has had 3 messages recorded today (China time), its sender_daily_max of 3' port.err)" = 1

# ---------------------------------------------------------------- receipts numbered per sender
# published in turns: A's order (2, 120), B's order (2, 120), A's CEB900, B's order (2, 120)
check "A's receipts are numbered 1,2,3 ($(ids a 0))" test "$(ids a 0)" = "1,2,3"
check "B's receipts are numbered 1,2,3,4 ($(ids b 0))" test "$(ids b 0)" = "1,2,3,4"
check "since pages through A's own ($(ids a 2))" test "$(ids a 2)" = "3"
check "... and B's ($(ids b 2))" test "$(ids b 2)" = "3,4"

# ---------------------------------------------------------------- the count survives a restart
port_stop
port_start port.conf -v
check "port started again" test -n "$P"
post a a-2.xml
check "after a restart A is still answered 429 ($S)" \
    sh -c "[ '$S' = 429 ] && grep -q '\"code\":\"3998\"' resp"
post b junk.xml
check "B, with 2 of the day, is checked and refused 0001 ($S)" \
    sh -c "[ '$S' = 422 ] && grep -q '\"code\":\"0001\"' resp"
check "B's CEB900 follows its 4 ($(ids b 4))" test "$(ids b 4)" = "5"
port_stop
finish
