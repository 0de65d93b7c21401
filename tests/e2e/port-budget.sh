#!/bin/sh
# port-budget.sh - `cebgate port` holds at most body_budget bytes of request bodies at once, over
# real TLS on loopback. A POST whose declared body would pass the budget is answered 503 with
# Retry-After at once, before its body is read; a chunked body counts as max_body until it has
# ended. The budget is given back when each request ends, however it ends: answered (accepted,
# refused by the checks, over a bound while it arrives), the client gone mid-body, or cut at
# read_deadline; after many of each, the whole budget is there again. A page of GET /receipts
# takes receipts_page_bytes of the same budget before it is built. The bytes held are read from
# GET /metrics, which the test polls.
. "${CG_SRCDIR:-.}/tests/e2e/port-lib.sh"

# ---------------------------------------------------------------- certificates, token, message
mk_self server "cebgate test port" "subjectAltName=IP:127.0.0.1"
mk_self signer "trusted test signer" "basicConstraints=critical,CA:FALSE"
"$OPENSSL" rand -hex 24 >test.token
printf 'Authorization: Bearer %s\n' "$(cat test.token)" >auth.hdr
printf '[declare]\nkey_file = %s/signer.key\ncert_file = %s/signer.pem\nsign_alg = rsa-sha256\n' \
    "$T" "$T" >sign.conf
check "sign the order" "$CEBGATE" -c sign.conf sign -o good.xml "$D/CEB303Message.xml"
# over max_attributes in its first 16 KiB: refused while it arrives (413), not over max_body
python3 -c 'import sys; sys.stdout.write("<e " + " ".join("a%d=\"1\"" % i for i in range(2000)) + "/>")' \
    >bomb.xml

# ---------------------------------------------------------------- the port
# max_body 40000 and body_budget 80000: two bodies of max_body at once, not three; a page of
# receipts takes 65536 bytes until it is built. The one sender may hold the whole budget
# (sender_budget; port-share.sh tests a sender's share)
cat >port.conf <<EOF
[port]
listen = 127.0.0.1
port = 0
tls_cert = server.pem
tls_key = server.key
trust = signer.pem
database = port.db
max_body = 40000
body_budget = 80000
sender_budget = 80000
receipts_page_bytes = 65536
read_deadline = 15
accept_ms = 0
release_ms = 0
close_ms = 0
[sender.test]
token_file = test.token
sign_cert = signer.pem
codes = 3301964J31, 4403960ABC
EOF
# a budget smaller than max_body or receipts_page_bytes is refused at start-up, naming both keys
sed 's/^body_budget = .*/body_budget = 30000/' port.conf >small.conf
expect_rc 2 "a body_budget below max_body is refused at start-up" \
    "$CEBGATE" -c small.conf port --port-file small.num
check "... naming body_budget and max_body" grep -q 'body_budget.*max_body' err
sed 's/^body_budget = .*/body_budget = 50000/' port.conf >small.conf
expect_rc 2 "a body_budget below receipts_page_bytes is refused at start-up" \
    "$CEBGATE" -c small.conf port --port-file small.num
check "... naming body_budget and receipts_page_bytes" grep -q 'body_budget.*receipts_page_bytes' err

port_start port.conf -v
check "port started" test -n "$P"
URL="https://127.0.0.1:$P"

# post FILE [curl options]: body in resp, HTTP status in $S
post() {
    f=$1
    shift
    S=$(curl -sS --cacert server.pem -H @auth.hdr "$@" --data-binary "@$f" -o resp \
        -w '%{http_code}' "$URL/messages" 2>curl.err)
}
# held: bytes of request bodies the port holds now, from GET /metrics
held() {
    curl -sS --cacert server.pem -H @auth.hdr "$URL/metrics" 2>/dev/null |
        awk '$1 == "cebgate_port_body_bytes_held" { print $2 }'
}
# refused: POSTs answered 503 for the budget, from GET /metrics
refused() {
    curl -sS --cacert server.pem -H @auth.hdr "$URL/metrics" 2>/dev/null |
        awk '$1 == "cebgate_port_body_budget_refused_total" { print $2 }'
}
# wait_held N: poll until the port holds N bytes of bodies (at most 10 s)
wait_held() {
    i=0
    while [ "$(held)" != "$1" ] && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ "$(held)" = "$1" ]
}

cat >budget.py <<'EOF'
# budget.py PORT COMMAND ...: raw POSTs to /messages as the sender, over TLS
import os, socket, ssl, struct, sys, time

port = int(sys.argv[1])
cmd = sys.argv[2]
tok = open("test.token").read().strip()
ctx = ssl.create_default_context(cafile="server.pem")


def connect():
    s = socket.create_connection(("127.0.0.1", port))
    return ctx.wrap_socket(s, server_hostname="127.0.0.1")


def head(framing):
    return ("POST /messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n%s\r\n\r\n"
            % (tok, framing)).encode()


def answer(s, wait):
    """What the port sent within wait seconds, and EOF (it closed) or OPEN."""
    s.settimeout(wait)
    data = b""
    end = "OPEN"
    t0 = time.time()
    while time.time() - t0 < wait:
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        except OSError:
            end = "EOF"
            break
        if not b:
            end = "EOF"
            break
        data += b
    return data.decode("latin-1"), end


if cmd == "hold":
    # hold N LEN READY RELEASE: N POSTs declaring LEN bytes, 100 of them sent; READY is made
    # once they are sent, and they are closed once RELEASE exists (at most 30 s)
    n, length, ready, release = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
    socks = []
    for i in range(n):
        s = connect()
        s.sendall(head("Content-Length: %d" % length) + b"<" * 100)
        socks.append(s)
    open(ready, "w").close()
    t0 = time.time()
    while not os.path.exists(release) and time.time() - t0 < 30:
        time.sleep(0.05)
    for s in socks:
        data, end = answer(s, 0.1)
        print("held answered: %s" % (data.split("\r\n")[0] if data else "nothing"))
        s.close()
elif cmd == "ask":
    # ask NAME=FRAMING ...: headers only, no body; the answer and EOF/OPEN in NAME.txt
    for a in sys.argv[3:]:
        name, framing = a.split("=", 1)
        s = connect()
        s.sendall(head(framing))
        data, end = answer(s, 1.5)
        open(name + ".txt", "w").write(data + "\n" + end + "\n")
elif cmd == "abort":
    # abort N LEN: N POSTs declaring LEN bytes that send 100 of them and reset the connection
    for i in range(int(sys.argv[3])):
        s = connect()
        s.sendall(head("Content-Length: %s" % sys.argv[4]) + b"<" * 100)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    print("aborted")
elif cmd == "stall":
    # stall N LEN: N POSTs (one chunked) that send part of their body and wait to be cut
    socks = []
    for i in range(int(sys.argv[3])):
        s = connect()
        if i == 0:
            s.sendall(head("Transfer-Encoding: chunked") + b"64\r\n" + b"<" * 100 + b"\r\n")
        else:
            s.sendall(head("Content-Length: %s" % sys.argv[4]) + b"<" * 100)
        socks.append(s)
    cut = 0
    for s in socks:
        data, end = answer(s, 25)
        cut += end == "EOF"
    print("stalled cut %d" % cut)
elif cmd == "spill":
    # spill NAME HEAD: a request with head HEAD ('|' for CRLF) whose body goes on for 64 MB (in
    # 64 KiB chunks when chunked); prints whether the port closed the connection before all of
    # it was sent
    name, h = sys.argv[3], sys.argv[4].replace("|", "\r\n").replace("TOKEN", tok)
    chunked = "chunked" in h
    piece = b"<" * 65536
    if chunked:
        piece = b"10000\r\n" + piece + b"\r\n"
    s = connect()
    s.sendall(h.encode() + b"\r\n\r\n")
    sent = 0
    end = "all sent"
    try:
        while sent < 64 << 20:
            s.sendall(piece)
            sent += 65536
    except OSError:
        end = "closed"
    print("%s: %s" % (name, end))
EOF
# ask NAME=FRAMING ...: POSTs with headers only; the answers in NAME.txt
ask() { python3 budget.py "$P" ask "$@" >ask.err 2>&1 || cat ask.err; }
status_of() { head -1 "$1.txt" | tr -d '\r'; }

post good.xml
check "a signed order is accepted ($S)" test "$S" = 200
check "the port holds no body once it is answered" wait_held 0

# hold OUT N: N POSTs declaring 40000 bytes each, held (in the background, HOLD) until the file
# release exists; returns once they are sent
hold() {
    rm -f ready release
    python3 budget.py "$P" hold "$2" 40000 ready release >"$1" 2>&1 &
    HOLD=$!
    i=0
    while [ ! -e ready ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
}

# ---------------------------------------------------------------- the budget is full
hold hold.txt 2
check "two bodies of 40000 bytes declared are held: 80000 bytes" wait_held 80000
ask "full=Content-Length: 40000" "small=Content-Length: 1776" \
    "chunked=Transfer-Encoding: chunked"
check "a third POST of 40000 bytes is answered 503 at once ($(status_of full))" \
    grep -q '^HTTP/1.1 503' full.txt
check "... with Retry-After" grep -qi '^Retry-After: 1' full.txt
check "... as JSON, result retry, code 3999, naming body_budget" \
    grep -q '"result":"retry","code":"3999".*body_budget' full.txt
check "... and the connection is closed (its body is not read)" test "$(tail -1 full.txt)" = EOF
check "a POST of 1776 bytes is answered 503 too ($(status_of small))" \
    grep -q '^HTTP/1.1 503' small.txt
check "a chunked POST (counted as max_body) is answered 503 ($(status_of chunked))" \
    grep -q '^HTTP/1.1 503' chunked.txt
# receipts PAGE: GET /receipts?since=0 into PAGE, its HTTP status in $S, its headers in hdr
receipts() {
    S=$(curl -sS --cacert server.pem -H @auth.hdr -D hdr -o "$1" -w '%{http_code}' \
        "$URL/receipts?since=0" 2>curl.err)
}
receipts page.json
check "GET /receipts is answered 503 too ($S)" test "$S" = 503
check "... with Retry-After, code 3999" sh -c "grep -qi '^Retry-After: 1' hdr &&
    grep -q '\"code\":\"3999\"' page.json"
S=$(curl -sS --cacert server.pem -o resp -w '%{http_code}' "$URL/health" 2>curl.err)
check "GET /health is answered meanwhile ($S)" test "$S" = 200
check "the refused requests took nothing: still 80000 bytes held" wait_held 80000
check "the 4 refusals are counted in /metrics ($(refused))" test "$(refused)" = 4
touch release
wait "$HOLD"
check "the held POSTs got no answer while they were held" \
    test "$(grep -c 'held answered: nothing' hold.txt)" = 2
check "their bytes are given back when the client closes" wait_held 0
post good.xml
check "the order is accepted again once the budget is free ($S)" test "$S" = 200

# ---------------------------------------------------------------- every way a request ends
printf '<a>\001 junk' >junk.xml
python3 -c 'import sys; sys.stdout.write("<x>" + "y" * 40000 + "</x>")' >big.xml
n413=0 n422=0 nbomb=0 nchunk=0 ngood=0
i=0
while [ $i -lt 10 ]; do
    post big.xml
    [ "$S" = 413 ] && n413=$((n413 + 1))
    post junk.xml
    [ "$S" = 422 ] && n422=$((n422 + 1))
    post bomb.xml
    [ "$S" = 413 ] && grep -q max_attributes resp && nbomb=$((nbomb + 1))
    post junk.xml -H 'Transfer-Encoding: chunked'
    [ "$S" = 422 ] && nchunk=$((nchunk + 1))
    post good.xml
    [ "$S" = 200 ] && ngood=$((ngood + 1))
    i=$((i + 1))
done
check "10 bodies over max_body refused with 413 ($n413)" test $n413 = 10
check "10 bodies refused by the checks with 422 ($n422)" test $n422 = 10
check "10 attribute bombs refused while they arrive with 413 ($nbomb)" test $nbomb = 10
check "10 chunked bodies refused by the checks with 422 ($nchunk)" test $nchunk = 10
check "10 orders accepted ($ngood)" test $ngood = 10
python3 budget.py "$P" abort 30 40000 >abort.txt 2>&1
check "30 clients gone mid-body" grep -q '^aborted$' abort.txt
# one chunked (40000 bytes held until it ends) and 3 of 5000 bytes: within the budget
python3 budget.py "$P" stall 4 5000 >stall.txt 2>&1
check "4 clients stalled mid-body (1 chunked) were cut at read_deadline" \
    grep -q '^stalled cut 4$' stall.txt
check "after all of them the port holds no body" wait_held 0
# a body the port drops is read only so far: a chunked one past max_body to twice max_body, one
# sent with a GET to max_body; then the connection is closed (they went on until read_deadline,
# gigabytes at loopback speed)
python3 budget.py "$P" spill chunked \
    "POST /messages HTTP/1.1|Host: x|Authorization: Bearer TOKEN|Transfer-Encoding: chunked" \
    >spill.txt 2>&1
python3 budget.py "$P" spill get "GET /health HTTP/1.1|Host: x|Content-Length: 1000000000" \
    >>spill.txt 2>&1
check "a chunked body going on past max_body is cut off" grep -q '^chunked: closed$' spill.txt
check "a body sent with GET /health is cut off" grep -q '^get: closed$' spill.txt
check "the port logged both" test "$(grep -c 'body passed .* bytes that are dropped' port.err)" = 2
check "... and holds no body" wait_held 0

# a page of receipts takes receipts_page_bytes before it is built, its length until it is sent
hold hold1.txt 1
check "one body of 40000 bytes is held" wait_held 40000
receipts page.json
check "GET /receipts, needing 65536 bytes of the 40000 left, is answered 503 ($S)" test "$S" = 503
post good.xml
check "a POST of 1776 bytes still fits and is accepted ($S)" test "$S" = 200
touch release
wait "$HOLD"
check "the held body is given back" wait_held 0
receipts page.json
check "GET /receipts is answered once the budget is free ($S)" \
    sh -c "[ '$S' = 200 ] && grep -q '\"type\":\"CEB304Message\"' page.json"
check "the page is given back once it has been sent" wait_held 0

# the whole budget is usable again, and no more than it
r0=$(refused)
hold hold2.txt 2
check "two bodies of 40000 bytes are held again" wait_held 80000
ask "full2=Content-Length: 1"
check "a third POST, of 1 byte, is answered 503 ($(status_of full2))" \
    grep -q '^HTTP/1.1 503' full2.txt
touch release
wait "$HOLD"
check "nothing is held once they are gone" wait_held 0
check "the refusal is counted ($r0, then $(refused))" test "$(refused)" = $((r0 + 1))

port_stop
finish
