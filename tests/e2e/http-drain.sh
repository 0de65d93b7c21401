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
# started again sends the same messages and the port has each document once.
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
states() { sql "SELECT group_concat(state || '=' || n, ' ') FROM
    (SELECT state, count(*) AS n FROM messages GROUP BY state ORDER BY state)"; }
logged() { grep -qF -- "$1" "$T/port.err"; }

port_conf "$T/port.conf" "$T/port.db" "drain_timeout = 60" "read_deadline = 300" "timeout = 300"
port_start -d "$T" -r "$T/port.conf" -v

# The client: connection "late" sends a request line and its first headers, then the held POST
# (chunked, its body's first chunk only) is sent on connection "held"; the client says "ready"
# once the port holds that body (it took max_body of body_budget: 4194304 bytes held). After the
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
for i in range(300):
    if metric("cebgate_port_body_bytes_held") == "4194304":
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
check "the held POST is in flight" poll_until 300 test -e "$T/ready"
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
finish
