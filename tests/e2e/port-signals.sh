#!/bin/sh
# port-signals.sh - `cebgate port` stops gracefully on SIGTERM, over real TLS on loopback. 20 POSTs
# are held in flight (their chunked bodies half sent) while 40 more are sent in parallel (curl
# --parallel); once the port has stored one of those 40 it gets SIGTERM. From then on it takes
# no new connection (refused at once), an idle keep-alive connection does not hold the stop up
# and is closed, and every request in flight is answered: the 20 held ones, their bodies sent
# after the signal, are all stored and answered 200. Every message the port stored got its 200
# answer at its client; the others got an answer (503, code 3999: the port is stopping) or a
# connection error, never nothing after being stored. The port exits 0 with "stopped" and
# removes its pid file. A second SIGTERM during the wait stops at once, and drain_timeout
# bounds the wait; each says so in the log, and the message cut is not stored. Before, SIGTERM
# stopped the server at once: the requests in flight were cut, and messages already stored lost
# their answers (of 40 sent in parallel, all 40 stored, 14 got an empty reply).
# SIGHUP is logged (the configuration is read only at start) and the port goes on answering;
# before, it ended the port ("Hangup"), without "stopped" and leaving its pid file.
. "${CG_SRCDIR:-.}/tests/e2e/port-lib.sh"

port_senders a
# max_per_client above the 62 connections the test opens at once; bodies of max_body (256 KiB)
# for each chunked POST held, 20 of them within the sender's share of body_budget (16 MiB); the
# held ones are not cut by read_deadline or timeout however slow the machine is.
port_conf "max_per_client = 100
max_body = 262144
read_deadline = 300
timeout = 300
drain_timeout = 60" a
URL=https://127.0.0.1

# msg N (three digits): the test order with guids and order number of its own, signed by a
msg() {
    sed -e "s/-000000000001\"/-000000001$1\"/" -e "s/-0000000000A1</-00000000B$1</" \
        -e "s/PORT-ORDER-0001/PORT-STOP-$1/" "$D/CEB303Message.xml" >"m$1.in" &&
        "$CEBGATE" -c a-sign.conf sign -o "m$1.xml" "m$1.in"
}
ALL=$(seq -f '%03g' 1 63)
HELD=$(seq -f '%03g' 1 20)
SENT=$(seq -f '%03g' 21 60)
made=0
for n in $ALL; do msg "$n" && made=$((made + 1)); done
check "63 signed messages made ($made)" test "$made" = 63

# metric NAME: the port's figure from GET /metrics
metric() {
    curl -sS --cacert server.pem -H @a.hdr "$URL:$P/metrics" 2>/dev/null |
        awk -v k="$1" '$1 == k { print $2 }'
}
held_bytes() { [ "$(metric cebgate_port_body_bytes_held)" = "$1" ]; }
logged() { grep -qF -- "$1" port.err; }
# hold N: POST mN.xml chunked, its first 100 bytes at once and the rest once hN is released
# (release N), recording the HTTP status in cN, the answer in bN and curl's exit code in rN
hold() {
    rm -f "h$1"
    mkfifo "h$1"
    {
        { head -c 100 "m$1.xml" && cat "h$1" && tail -c +101 "m$1.xml"; } |
            curl -sS --max-time 60 --cacert server.pem -H @a.hdr -H 'Expect:' -X POST -T - \
                -o "b$1" -w '%{http_code}' "$URL:$P/messages" >"c$1" 2>"e$1"
        echo $? >"r$1"
    } &
}
# release N: the held body's rest goes (opening the FIFO read-write never blocks)
release() { exec 9<>"h$1" && exec 9>&-; }
# stored N: the port has message N's order (its document guid) stored
stored() { grep -q "B$1	" docs.tsv; }

# ---------------------------------------------------------------- 60 POSTs and a SIGTERM
port_start -r port.conf -v
# an idle keep-alive connection: one GET /health answered, then nothing until it is closed
cat >idle.py <<'EOF'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile="server.pem")
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))),
                    server_hostname="127.0.0.1")
s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
data = b""
while b'"ok"}' not in data:
    data += s.recv(4096)
open("idle.ready", "w").close()
s.settimeout(120)
try:
    rest = s.recv(4096)
    print("closed" if rest == b"" else "data")
except OSError as e:
    print("closed" if "reset" in str(e).lower() else "error %s" % e)
EOF
python3 idle.py "$P" >idle.out 2>&1 &
IDLE_PID=$!
for n in $HELD; do hold "$n"; done
# the 20 held requests are in flight once each took max_body of the budget
check "the 20 held POSTs are in flight" poll_until 300 held_bytes $((20 * 262144))
check "the idle keep-alive connection was answered once" poll_until 300 test -e idle.ready
# one operation for each (separated by "next"), its result on a line of its own in sent.out
for n in $SENT; do
    [ "$n" = 021 ] || echo next
    printf 'url = "%s:%s/messages?n=%s"\ncacert = "server.pem"\nheader = "@a.hdr"\n' \
        "$URL" "$P" "$n"
    printf 'data-binary = "@m%s.xml"\noutput = "b%s"\n' "$n" "$n"
    printf 'write-out = "%s %%{http_code} %%{exitcode}\\n"\nmax-time = 60\n' "$n"
done >sent.cfg
curl -sS --parallel --parallel-max 40 -K sent.cfg >sent.out 2>sent.err &
SENT_PID=$!
# accepted: the port has stored at least one message (port --stats, "accepted")
accepted() {
    n=$("$CEBGATE" -c port.conf port --stats 2>/dev/null |
        awk '$1 == "accepted" && NF == 2 { print $2 }')
    [ "${n:-0}" -ge 1 ]
}
check "the port stored one of the 40 sent in parallel" poll_until 300 accepted
kill -TERM "$PORT_PID"
check "the port logs that it stops, waiting for the requests in flight" poll_until 300 logged \
    "cebgate: info: port: stopping: no new connections; waiting up to 60 s (drain_timeout) for "
curl -sS --max-time 10 --cacert server.pem "$URL:$P/health" >/dev/null 2>health.err
rc=$?
check "a new connection is refused while the port stops (curl exit $rc: $(cat health.err))" \
    test "$rc" = 7
check "the port waits for the held requests" alive "$PORT_PID"
for n in $HELD; do release "$n"; done
ended "$PORT_PID" 300
check "the port exits 0 once they are answered (exit $ENDED_RC)" test "$ENDED_RC" = 0
PORT_PID=""
check "... printing stopped" grep -qx "cebgate port: stopped" port.out
check "... removing its pid file" test ! -e port.pid
check "... without a warning" test -z "$(grep -v ': info: \|: debug: ' port.err)"
wait "$SENT_PID"
ended "$IDLE_PID" 100
check "the idle connection was closed (python: $ENDED_RC, $(cat idle.out))" \
    test "$ENDED_RC/$(cat idle.out)" = 0/closed
for n in $HELD; do poll_until 300 test -s "r$n"; done
"$CEBGATE" -c port.conf port --documents >docs.tsv 2>docs.err
check "port --documents" test -s docs.tsv

# every held request: stored and answered 200 (accepted)
ok200=0
for n in $HELD; do
    if [ "$(cat "c$n")/$(cat "r$n")" = 200/0 ] && grep -q '"result":"accepted"' "b$n" &&
        stored "$n"; then
        ok200=$((ok200 + 1))
    else
        echo "  held $n: HTTP $(cat "c$n"), curl $(cat "r$n") $(cat "e$n")"
    fi
done
check "all 20 held requests were stored and answered 200 ($ok200)" test "$ok200" = 20
# every message sent in parallel: stored and answered 200, or not stored and answered 503 (code
# 3999) or cut with a connection error (curl exit not 0, no HTTP status)
stored_sent=0
bad=0
for n in $SENT; do
    res=$(awk -v n="$n" '$1 == n { print $2 "/" $3 }' sent.out)
    if stored "$n"; then
        stored_sent=$((stored_sent + 1))
        case $res in
        200/0) grep -q '"result":"accepted"' "b$n" || { bad=$((bad + 1)); cat "b$n"; } ;;
        *) bad=$((bad + 1)); echo "  sent $n: stored, answered '$res'" ;;
        esac
    else
        case $res in
        503/0) grep -q '"code":"3999"' "b$n" || { bad=$((bad + 1)); cat "b$n"; } ;;
        000/0 | 000/) bad=$((bad + 1)); echo "  sent $n: not stored, '$res'" ;;
        000/*) ;;
        *) bad=$((bad + 1)); echo "  sent $n: not stored, answered '$res'" ;;
        esac
    fi
done
d="each of the 40 sent in parallel: stored and answered 200, or not stored and answered 503"
check "$d or cut ($stored_sent stored, $bad otherwise)" test "$bad" = 0 -a "$stored_sent" -ge 1
check "the port stored nothing else ($(wc -l <docs.tsv) documents)" \
    test "$(wc -l <docs.tsv)" = $((20 + stored_sent))

# stops_cutting N HOW: the port, sent SIGTERM while message N is held in flight, stops HOW
# ("at a second signal", "after drain_timeout (1 s)") without waiting for it: exit 0,
# "stopped", a warning; the request gets no answer and its message (its body sent once the port
# has gone) is not stored
stops_cutting() {
    ended "$PORT_PID" 300
    check "the port stops $2, exit 0 ($ENDED_RC)" test "$ENDED_RC" = 0
    PORT_PID=""
    check "... printing stopped" grep -qx "cebgate port: stopped" port.out
    check "... warning that it cut a request" grep -qxF "cebgate: warn: port: stopped $2 with 1 \
request in flight, closed without an answer" port.err
    release "$1"
    poll_until 300 test -s "r$1"
    check "the request cut got no HTTP answer (HTTP $(cat "c$1"), curl exit $(cat "r$1"))" \
        test "$(cat "c$1")" = 000 -a "$(cat "r$1")" != 0
    "$CEBGATE" -c port.conf port --documents >docs.tsv 2>docs.err
    check "... and its message was not stored" test "$(grep -c "B$1	" docs.tsv)" = 0
}

# ---------------------------------------------------------------- SIGHUP
port_start -r port.conf
kill -HUP "$PORT_PID"
check "SIGHUP is logged" poll_until 300 logged "cebgate: warn: port: SIGHUP: nothing was reloaded, \
the configuration is read only at start; restart the port to apply a change (a sender added, a \
certificate renewed)"
S=$(curl -sS --cacert server.pem -H @a.hdr --data-binary @m063.xml -o b063 -w '%{http_code}' \
    "$URL:$P/messages" 2>e063)
check "after it a message is still accepted (HTTP $S)" \
    test "$S" = 200 -a -n "$(grep '"result":"accepted"' b063)"
kill -TERM "$PORT_PID"
ended "$PORT_PID" 300
check "then SIGTERM stops the port, exit 0 ($ENDED_RC)" test "$ENDED_RC" = 0
PORT_PID=""
check "... printing stopped" grep -qx "cebgate port: stopped" port.out
check "... removing its pid file" test ! -e port.pid
check "the SIGHUP was logged once, and nothing else was" \
    test "$(grep -c . port.err)/$(grep -c 'warn: port: SIGHUP: ' port.err)" = 1/1

# ---------------------------------------------------------------- a second SIGTERM: at once
port_start -r port.conf -v
hold 061
check "a held POST is in flight" poll_until 300 held_bytes 262144
kill -TERM "$PORT_PID"
check "the port stops, waiting for it" poll_until 300 logged "port: stopping: "
kill -TERM "$PORT_PID"
stops_cutting 061 "at a second signal"

# ---------------------------------------------------------------- drain_timeout
sed 's/^drain_timeout = .*/drain_timeout = 1/' port.conf >port1.conf
port_start -r port1.conf -v
hold 062
check "a held POST is in flight" poll_until 300 held_bytes 262144
kill -TERM "$PORT_PID"
stops_cutting 062 "after drain_timeout (1 s)"
finish
