#!/bin/sh
# http-drain.sh - what a client sees while `cebgate port` stops gracefully (SIGTERM, drain_timeout),
# over real TLS on loopback. A request whose request line came before the signal and whose
# headers and body come after it is answered 503, code 3999, whole: the status line, Connection:
# close, Retry-After and the JSON body of the length its Content-Length says, then an orderly
# close (TLS close_notify and FIN, no reset), although the client sent a 200 KB body the port
# never reads into a message. A request in flight at the signal (its chunked body held) is still
# answered, with Connection: close. Before, the stop closed the connection whose headers were
# still arriving: its client got an end of stream and no answer at all. Meanwhile `cebgate run`
# finds the port closed (connection refused) and takes it as temporary: exit 75, its messages
# kept queued with their bytes, the input file taken once; the next run against the port
# started again sends the same messages and the port has each document once. Last, over plain
# HTTP through a relay that holds a request after its request line, `cebgate run` itself gets
# the stop's 503 and takes it as temporary too (exit 75, its messages kept queued).
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
states() { sql "SELECT group_concat(state || '=' || n, ' ') FROM
    (SELECT state, count(*) AS n FROM messages GROUP BY state ORDER BY state)"; }
logged() { grep -qF -- "$1" "$T/port.err"; }

port_conf "$T/port.conf" "$T/port.db" "drain_timeout = 60" "read_deadline = 300" "timeout = 300"
port_start -d "$T" -r "$T/port.conf" -v

# The client: connection "late" sends a request line and its first headers, then the held POST
# (chunked, its body's first chunk only) is sent on connection "held"; the client says "ready"
# once the port counts both in flight (GET /metrics: 3 with the scrape itself). After the
# signal ("go"), late sends its other headers and a body of 200,000 bytes, then reads its answer;
# held ends its body and reads its own. Each answer goes to NAME.status (the status line, then
# the Connection header, then the body and how the stream ended).
cat >"$T/drain.py" <<'EOF'
import json, os, socket, ssl, sys, time
port, keys, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
tok = open(keys + "/test.token").read().split()[0]
auth = b"Authorization: Bearer " + tok.encode() + b"\r\n"
ctx = ssl.create_default_context(cafile=keys + "/ca.pem")
def conn():
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                           server_hostname="127.0.0.1")
def answer(s):
    s.settimeout(60)
    data, end = b"", "eof"
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except ssl.SSLEOFError:
        end = "eof without close_notify"
    except OSError as e:
        end = "error %s" % e
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdr = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    whole = "whole" if str(len(body)) == hdr.get("content-length") else "cut"
    return "%s\nconnection: %s\nretry-after: %s\n%s body: %s\nend: %s\n" % (
        lines[0], hdr.get("connection"), hdr.get("retry-after"), whole,
        body.decode("utf-8", "replace"), end)
def metric(name):
    s = conn()
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + auth + b"\r\n")
    for line in answer(s).splitlines():
        if line.startswith(name + " "):
            return line.split()[1]
late = conn()
late.sendall(b"POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\n")
held = conn()
held.sendall(b"POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
             b"Transfer-Encoding: chunked\r\n\r\n5\r\n<ceb:\r\n")
for i in range(300):  # late's request and the held one in flight, and this scrape
    if metric("cebgate_port_requests_in_flight") == "3":
        break
    time.sleep(0.1)
open(out + "/ready", "w").close()
while not os.path.exists(out + "/go"):
    time.sleep(0.05)
body = b"<x>" + b"a" * 199993 + b"</x>"
try:
    late.sendall(auth + b"Content-Length: %d\r\n\r\n" % len(body) + body)
except OSError as e:
    open(out + "/late.status", "w").write("send failed: %s\n" % e)
else:
    open(out + "/late.status", "w").write(answer(late))
held.sendall(b"0\r\n\r\n")
open(out + "/held.status", "w").write(answer(held))
EOF
python3 "$T/drain.py" "$P" "$K" "$T" >"$T/drain.out" 2>&1 &
DRAIN_PID=$!
check "late's request and the held POST are in flight" poll_until 300 test -e "$T/ready"
kill -TERM "$PORT_PID"
check "the port stops, waiting for both requests (the late one's request line came first)" \
    poll_until 300 logged "port: stopping: no new connections; waiting up to 60 s \
(drain_timeout) for 2 requests in flight"

# ---------------------------------------------------------------- the sender meanwhile
sender_conf "max_retries = 0"
orders orders.csv 3 || fail "make orders"
expect_rc 75 "run while the port stops: connection refused, run again later" \
    cg run --no-progress
check "nothing marked sent or rejected: 9 queued ($(states))" test "$(states)" = "queued=9"
check "the input file was taken once" test "$(sql "SELECT count(*) FROM input_files")" = 1
sql "SELECT guid || ' ' || sha256 FROM messages ORDER BY guid" >"$T/before"

# ---------------------------------------------------------------- the answers
touch "$T/go"
ended "$DRAIN_PID" 600
check "the client ended (python exit $ENDED_RC: $(cat "$T/drain.out"))" test "$ENDED_RC" = 0
ended "$PORT_PID" 300
check "the port exits 0 once both were answered ($ENDED_RC)" test "$ENDED_RC" = 0
PORT_PID=""
check "... printing stopped" grep -qx "cebgate port: stopped" "$T/port.out"
check "... without cutting a request" sh -c '! grep -q "warn: port: stopped" "$1"' sh "$T/port.err"
want='HTTP/1.1 503 Service Unavailable
connection: close
retry-after: 1
whole body: {"result":"retry","code":"3999","text":"the port is stopping; send again","guid":null,"messageType":null,"duplicate":false,"documents":[]}
end: eof'
check "the late request got the whole 503, code 3999, then an orderly close" \
    test "$(cat "$T/late.status")" = "$want"
[ "$(cat "$T/late.status")" = "$want" ] || sed 's/^/  late: /' "$T/late.status"
check "the held request was answered (422: its body is no message), closing the connection" \
    test "$(sed -n '1,3p;5p' "$T/held.status")" = "HTTP/1.1 422 Unprocessable Content
connection: close
retry-after: None
end: eof"
[ "$(sed -n 4p "$T/held.status" | cut -c1-5)" = whole ] || sed 's/^/  held: /' "$T/held.status"

# ---------------------------------------------------------------- the port is back
port_start -d "$T" -r "$T/port.conf"
sender_conf
expect_rc 0 "the next run against the port started again" cg run --no-progress
check "the 9 queued messages went out with the same guids and bytes" \
    test "$(sql "SELECT guid || ' ' || sha256 FROM messages ORDER BY guid" |
        grep -cxFf "$T/before")|$(sql "SELECT count(*) FROM messages WHERE sent_at IS NOT NULL")" = "9|9"
"$CEBGATE" -c "$T/port.conf" port --documents >"$T/port-docs.tsv" 2>/dev/null
check "the port has each document once (9)" \
    test "$(cut -f2 "$T/port-docs.tsv" | sort -u | wc -l)/$(wc -l <"$T/port-docs.tsv")" = 9/9
port_stop

# ---------------------------------------------------------------- a 503 of the stop, to run
# The port speaks plain HTTP on loopback here, behind a relay (relay.py) through which `cebgate
# run` sends: the relay passes the request line of the first connection on at once and holds
# the rest of it until "go2"; every later connection it passes on whole, or resets when the
# port no longer takes connections. So run's first message has begun when the port gets
# SIGTERM, and is answered the stop's 503 (code 3999) once its headers and body follow: a
# temporary answer for run, which gives up on the port for this run (max_retries = 0) and exits
# 75, every message kept queued.
sed -e '/^tls_cert/d' -e '/^tls_key/d' -e 's/^drain_timeout = .*/drain_timeout = 60/' \
    "$T/port.conf" >"$T/plain.conf"
port_start -d "$T" -r "$T/plain.conf" -v
cat >"$T/relay.py" <<'EOF2'
import os, socket, struct, sys, threading, time
upstream, d = int(sys.argv[1]), sys.argv[2]
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(16)
open(d + "/relay.port.tmp", "w").write(str(ls.getsockname()[1]))
os.rename(d + "/relay.port.tmp", d + "/relay.port")
def pipe(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass
def serve(c, first):
    try:
        u = socket.create_connection(("127.0.0.1", upstream))
    except OSError:  # the port takes no connection: reset the client's
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
        return
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
    if first:
        buf = b""
        while b"\r\n" not in buf:
            buf += c.recv(65536)
        line, rest = buf.split(b"\r\n", 1)
        u.sendall(line + b"\r\n")
        open(d + "/line.sent", "w").close()
        while not os.path.exists(d + "/go2"):
            time.sleep(0.05)
        u.sendall(rest)
    pipe(c, u)
first = True
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c, first), daemon=True).start()
    first = False
EOF2
python3 "$T/relay.py" "$P" "$T" >"$T/relay.out" 2>&1 &
RELAY_PID=$!
relay_stop() { kill "$RELAY_PID" 2>/dev/null; }
cleanup_hooks="$cleanup_hooks relay_stop"
check "the relay listens" poll_until 300 test -s "$T/relay.port"
R=$(cat "$T/relay.port")
sender_conf "max_retries = 0" "parallel = 1" "url = http://127.0.0.1:$R/messages" \
    "receipts_url = http://127.0.0.1:$P/receipts"
$HELPER orders own "$T/orders2.csv" 2 100 && mv "$T/orders2.csv" "$W/incoming/" ||
    fail "make orders 100-101"
"$CEBGATE" -vv -c "$W/cebgate.conf" run --no-progress >"$T/run2.out" 2>"$T/run2.err" &
RUN_PID=$!
check "the first POST's request line reached the port" poll_until 300 test -e "$T/line.sent"
# the port counts it in flight (GET /metrics: 2 with the scrape itself)
in_flight() {
    [ "$(curl -sS -H @"$K/auth.hdr" "http://127.0.0.1:$P/metrics" 2>/dev/null |
        awk '$1 == "cebgate_port_requests_in_flight" { print $2 }')" = 2 ]
}
check "the port counts run's POST in flight" poll_until 300 in_flight
kill -TERM "$PORT_PID"
check "the port stops, waiting for run's POST" poll_until 300 logged \
    "waiting up to 60 s (drain_timeout) for 1 request in flight"
touch "$T/go2"
ended "$RUN_PID" 600
check "run, answered 503 by the stopping port and then reset, exits 75 ($ENDED_RC)" \
    test "$ENDED_RC" = 75
check "... having been told the port is stopping (code 3999)" \
    grep -qF 'last: HTTP 503 (code 3999): the port is stopping; send again; unacknowledged messages are kept queued for the next run' "$T/run2.err"
check "nothing of this run marked sent or rejected: its 6 queued ($(states))" \
    test "$(sql "SELECT count(*) FROM messages WHERE state = 'queued'")" = 6
ended "$PORT_PID" 300
check "the port exits 0 ($ENDED_RC)" test "$ENDED_RC" = 0
PORT_PID=""
finish
