#!/bin/sh
# port-share.sh - one sender holds at most its share (sender_budget) of `cebgate port`'s
# body_budget, over real TLS on loopback, with two senders (tokens and signing certificates of
# their own). Sender A holds its whole share with slow bodies (connections that declared a body
# and sent part of it); a further POST and a GET /receipts of A are answered 503 with
# Retry-After, naming sender_budget, while sender B's message is accepted and its receipts
# answered. A's share comes back when its connections end, however they end (closed by the
# client, reset mid-body, cut at read_deadline): A is accepted again, holds its whole share again
# and the port holds nothing in the end. The default share is a quarter of body_budget; one below
# max_body is refused at start-up. The bytes held are read from GET /metrics, which the test
# polls.
. "${CG_SRCDIR:-.}/tests/e2e/port-lib.sh"

# ---------------------------------------------------------------- certificates, tokens, messages
port_senders a b
ORDER_TAG=3
for n in 1 2 3; do order a $n || fail "A signs order $n"; done
for n in 4 5; do order b $n || fail "B signs order $n"; done
check "orders signed" test -s a-3.xml -a -s b-5.xml

# ---------------------------------------------------------------- the port
# max_body 40000, body_budget 400000: sender_budget by default a quarter of it, 100000 (more than
# max_body and receipts_page_bytes 65536), so one sender holds 100000 of the 400000 and no more
port_conf "max_body = 40000
body_budget = 400000
receipts_page_bytes = 65536
read_deadline = 10" a b
# a share smaller than max_body, or larger than the whole budget, is refused at start-up
sed 's/^body_budget = .*/&\nsender_budget = 39999/' port.conf >small.conf
expect_rc 2 "a sender_budget below max_body is refused at start-up" \
    "$CEBGATE" -c small.conf port --port-file small.num
check "... naming sender_budget and max_body" grep -q 'sender_budget (39999) .*max_body (40000)' err
sed 's/^body_budget = .*/&\nsender_budget = 400001/' port.conf >big.conf
expect_rc 2 "a sender_budget above body_budget is refused at start-up" \
    "$CEBGATE" -c big.conf port --port-file big.num
check "... naming sender_budget and body_budget" \
    grep -q 'sender_budget (400001) is larger than body_budget (400000)' err

port_start port.conf -v
check "port started" test -n "$P"
URL="https://127.0.0.1:$P"

# post WHO FILE: the answer in resp, its headers in hdr, the HTTP status in $S
post() {
    S=$(curl -sS --cacert server.pem -H "@$1.hdr" -D hdr --data-binary "@$2" -o resp \
        -w '%{http_code}' "$URL/messages" 2>curl.err)
}
# receipts WHO: GET /receipts?since=0 into resp (headers in hdr), the HTTP status in $S
receipts() {
    S=$(curl -sS --cacert server.pem -H "@$1.hdr" -D hdr -o resp -w '%{http_code}' \
        "$URL/receipts?since=0" 2>curl.err)
}
# metric NAME: its value from GET /metrics
metric() {
    curl -sS --cacert server.pem -H @b.hdr "$URL/metrics" 2>/dev/null |
        awk -v m="$1" '$1 == m { print $2 }'
}
# wait_held N: poll until the port holds N bytes of bodies (at most 20 s)
wait_held() {
    i=0
    while [ "$(metric cebgate_port_body_bytes_held)" != "$1" ] && [ $i -lt 200 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ "$(metric cebgate_port_body_bytes_held)" = "$1" ]
}

cat >share.py <<'EOF'
# share.py PORT TOKENFILE COMMAND ...: raw POSTs to /messages as the sender of TOKENFILE, over TLS
import os, socket, ssl, struct, sys, time

port = int(sys.argv[1])
tok = open(sys.argv[2]).read().strip()
cmd = sys.argv[3]
ctx = ssl.create_default_context(cafile="server.pem")


def connect(length):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                        server_hostname="127.0.0.1")
    s.sendall(("POST /messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Length: %d\r\n\r\n" % (tok, length)).encode() + b"<" * 100)
    return s


def answer(s, wait):
    """The first line the port sent within wait seconds, and EOF (it closed) or OPEN."""
    s.settimeout(wait)
    data = b""
    t0 = time.time()
    while time.time() - t0 < wait:
        try:
            b = s.recv(65536)
        except socket.timeout:
            return data, "OPEN"
        except OSError:
            return data, "EOF"
        if not b:
            return data, "EOF"
        data += b
    return data, "OPEN"


lengths = [int(n) for n in sys.argv[4].split(",")]
if cmd == "hold":
    # hold LEN,LEN,... READY RELEASE: a POST declaring each LEN bytes that sends 100 of them;
    # READY is made once all are sent, and they are closed once RELEASE exists (at most 60 s)
    ready, release = sys.argv[5], sys.argv[6]
    socks = [connect(n) for n in lengths]
    open(ready, "w").close()
    t0 = time.time()
    while not os.path.exists(release) and time.time() - t0 < 60:
        time.sleep(0.05)
    for s in socks:
        data, end = answer(s, 0.1)
        print("held answered: %s" % (data.split(b"\r\n")[0].decode() if data else "nothing"))
        s.close()
elif cmd == "abort":
    # abort LEN,LEN,...: POSTs that send part of their body and reset the connection
    for n in lengths:
        s = connect(n)
        time.sleep(0.2)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    print("aborted %d" % len(lengths))
elif cmd == "stall":
    # stall LEN,LEN,...: POSTs that send part of their body and wait to be cut at read_deadline
    socks = [connect(n) for n in lengths]
    cut = 0
    for s in socks:
        data, end = answer(s, 30)
        cut += end == "EOF"
    print("stalled cut %d" % cut)
EOF
# hold OUT WHO LENGTHS: the POSTs held (in the background, HOLD) until the file release exists
hold() {
    rm -f ready release
    python3 share.py "$P" "$2.token" hold "$3" ready release >"$1" 2>&1 &
    HOLD=$!
    i=0
    while [ ! -e ready ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
}

post a a-1.xml
check "A's order is accepted ($S)" test "$S" = 200
check "the port holds no body once it is answered" wait_held 0

# ---------------------------------------------------------------- A holds its share
hold hold.txt a 40000,40000,20000
check "A's three slow bodies hold its whole share, 100000 bytes" wait_held 100000
post a a-2.xml
check "a further POST of A is answered 503 ($S)" test "$S" = 503
check "... with Retry-After: 1" grep -qi '^Retry-After: 1' hdr
check "... as JSON, result retry, code 3999, naming sender_budget" \
    grep -q '"result":"retry","code":"3999".*sender_budget' resp
receipts a
check "a GET /receipts of A (65536 bytes of its share) is answered 503 ($S)" test "$S" = 503
check "... with Retry-After: 1, code 3999, naming sender_budget" \
    sh -c "grep -qi '^Retry-After: 1' hdr && grep -q '\"code\":\"3999\".*sender_budget' resp"
post b b-4.xml
check "B's order is accepted meanwhile ($S)" test "$S" = 200
check "... with its documents" grep -q '"result":"accepted","code":"0000"' resp
receipts b
check "B's receipts are answered meanwhile ($S)" \
    sh -c "[ '$S' = 200 ] && grep -q '\"type\":\"CEB304Message\"' resp"
check "the refusals took nothing: A's 100000 bytes held" wait_held 100000
check "2 refusals for sender_budget in /metrics ($(metric cebgate_port_sender_budget_refused_total))" \
    test "$(metric cebgate_port_sender_budget_refused_total)" = 2
check "none for body_budget ($(metric cebgate_port_body_budget_refused_total))" \
    test "$(metric cebgate_port_body_budget_refused_total)" = 0
touch release
wait "$HOLD"
check "A's held POSTs got no answer while they were held" \
    test "$(grep -c 'held answered: nothing' hold.txt)" = 3
check "A's share is given back when its connections end: nothing held" wait_held 0
post a a-2.xml
check "A's order is accepted again ($S)" test "$S" = 200

# ---------------------------------------------------------------- every way A's requests end
python3 share.py "$P" a.token abort 40000,40000,20000,40000 >abort.txt 2>&1
check "4 POSTs of A reset mid-body" grep -q '^aborted 4$' abort.txt
python3 share.py "$P" a.token stall 40000,40000,20000 >stall.txt 2>&1
check "3 POSTs of A stalled mid-body were cut at read_deadline" grep -q '^stalled cut 3$' stall.txt
check "after them the port holds nothing" wait_held 0
hold hold2.txt a 40000,40000,20000
check "A holds its whole share again: 100000 bytes" wait_held 100000
touch release
wait "$HOLD"
check "... given back once more" wait_held 0
post a a-3.xml
check "A's last order is accepted ($S)" test "$S" = 200
post b b-5.xml
check "B's last order is accepted ($S)" test "$S" = 200
check "the port holds no body in the end" wait_held 0

port_stop
finish
