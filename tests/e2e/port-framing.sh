#!/bin/sh
# port-framing.sh - malformed HTTP framing sent to `cebgate port` over TLS with a raw socket.
# What libmicrohttpd passes on, the port answers with its own JSON: an HTTP/1.1 request with no
# Host header, or with two, is 400, code 0001, and its connection is closed (before, it was
# served as any other: /health answered 200), and so is a header name with a space or tab before
# its colon (before, `Content-Length : 10` was a header of another name, and the body was read as
# the next request). What libmicrohttpd cannot read it answers itself,
# before the port sees a request, with a short fixed HTML page of its own (no Content-Type,
# Connection: close), which docs/port.md lists case by case: each is checked here, with its
# status, and that no byte of the request (a marker in it) comes back in the answer.
. "${CG_SRCDIR:-.}/tests/e2e/port-lib.sh"

port_senders a
port_conf "" a
port_start -r port.conf

cat >framing.py <<'EOF'
import socket, ssl, sys
port = int(sys.argv[1])
auth = b"Authorization: Bearer " + open("a.token").read().split()[0].encode() + b"\r\n"
ctx = ssl.create_default_context(cafile="server.pem")
M = b"EVILMARKER"
post = b"POST /messages HTTP/1.1\r\nHost: x\r\n" + auth
cases = [
    ("no-host", b"GET /health HTTP/1.1\r\nX-" + M + b": 1\r\n\r\n"),
    ("two-hosts", b"GET /health HTTP/1.1\r\nHost: a\r\nHost: " + M + b"\r\n\r\n"),
    ("http10-no-host", b"GET /health HTTP/1.0\r\n\r\n"),
    ("no-version", b"GET /" + M + b"\r\n\r\n"),
    ("garbage-line", M + b"\r\n\r\n"),
    ("version-2.0", b"GET /" + M + b" HTTP/2.0\r\nHost: x\r\n\r\n"),
    ("header-too-large", b"GET /health HTTP/1.1\r\nHost: x\r\nX: " + M * 4000 + b"\r\n\r\n"),
    ("uri-too-long", b"GET /" + M * 4000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("header-no-colon", b"GET /health HTTP/1.1\r\nHost: x\r\n" + M + b"\r\n\r\n"),
    ("bad-chunk-size", post + b"Transfer-Encoding: chunked\r\n\r\n" + M + b"\r\n\r\n"),
    ("chunk-no-crlf", post + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc" + M + b"\r\n0\r\n\r\n"),
    ("chunk-too-large", post + b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n" + M),
    ("bad-content-length", post + b"Content-Length: " + M + b"\r\n\r\n"),
    ("huge-content-length", post + b"Content-Length: 99999999999999999999999\r\n\r\n" + M),
    ("version-0.9", b"GET /" + M + b" HTTP/0.9\r\n\r\n"),
    ("space-before-colon", b"GET /health HTTP/1.1\r\nHost: x\r\nX-" + M + b" : 1\r\n\r\n"),
    ("length-space-colon", post + b"Content-Length : 10\r\n\r\n" + M),
    ("tab-before-colon", b"GET /health HTTP/1.1\r\nHost\t: x\r\n\r\n"),
]
def exchange(req):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                        server_hostname="127.0.0.1")
    s.settimeout(10)
    data = b""
    try:
        s.sendall(req)
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except OSError:
        pass
    s.close()
    return data
for name, req in cases:
    # A request too large is answered before the rest of it is read, and closing a socket with
    # bytes unread resets it: a client may see the reset before the answer. Tried again (at
    # most 10 times) until the answer came.
    for attempt in range(10):
        data = exchange(req)
        if data or name != "header-too-large" and name != "uri-too-long":
            break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdrs = [l.split(":", 1)[0].lower() for l in lines[1:]]
    kind = ("json" if body.startswith(b"{") else "html" if body.startswith(b"<html>") else
            "none" if not data else "other")
    print("%s|%s|%s|%s|%s|%s" % (name, lines[0] if data else "-", kind,
          "close" if "Connection: close" in lines else "keep",
          "typed" if "content-type" in hdrs else "untyped",
          "echoed" if M.lower() in data.lower() else "clean"))
    if kind == "json":
        print("%s body|%s" % (name, body.decode()))
EOF
python3 framing.py "$P" >framing.out 2>framing.err
check "every case was sent ($(cat framing.err))" test ! -s framing.err
# case|status line|body|Connection|Content-Type|echo
while IFS= read -r want; do
    name=${want%%|*}
    got=$(grep "^$name|" framing.out)
    check "$name: $want" test "$got" = "$want"
    [ "$got" = "$want" ] || echo "  got: $got"
done <<'EOF'
no-host|HTTP/1.1 400 Bad Request|json|close|typed|clean
two-hosts|HTTP/1.1 400 Bad Request|json|close|typed|clean
http10-no-host|HTTP/1.1 200 OK|json|close|typed|clean
no-version|HTTP/1.1 400 Bad Request|html|close|untyped|clean
garbage-line|-|none|keep|untyped|clean
version-2.0|HTTP/1.1 505 HTTP Version Not Supported|html|close|untyped|clean
header-too-large|HTTP/1.1 431 Request Header Fields Too Large|html|close|untyped|clean
uri-too-long|HTTP/1.1 414 URI Too Long|html|close|untyped|clean
header-no-colon|HTTP/1.1 400 Bad Request|html|close|untyped|clean
bad-chunk-size|HTTP/1.1 400 Bad Request|html|close|untyped|clean
chunk-no-crlf|HTTP/1.1 400 Bad Request|html|close|untyped|clean
chunk-too-large|HTTP/1.1 413 Content Too Large|html|close|untyped|clean
version-0.9|HTTP/1.1 505 HTTP Version Not Supported|html|close|untyped|clean
space-before-colon|HTTP/1.1 400 Bad Request|json|close|typed|clean
length-space-colon|HTTP/1.1 400 Bad Request|json|close|typed|clean
tab-before-colon|HTTP/1.1 400 Bad Request|json|close|typed|clean
EOF
# libmicrohttpd 0.9.75 sends the status line and headers of this one twice, then its page
check "bad-content-length: 400, libmicrohttpd's page" \
    test "$(grep '^bad-content-length|' framing.out | cut -d'|' -f2,4-6)" = \
    "HTTP/1.1 400 Bad Request|close|untyped|clean"
check "huge-content-length: 413, libmicrohttpd's page" \
    test "$(grep '^huge-content-length|' framing.out | cut -d'|' -f2,4-6)" = \
    "HTTP/1.1 413 Content Too Large|close|untyped|clean"
host='{"result":"rejected","code":"0001","text":"an HTTP/1.1 request has exactly one Host header","guid":null,"messageType":null,"duplicate":false,"documents":[]}'
check "no Host: the port's JSON, code 0001" \
    test "$(grep '^no-host body|' framing.out)" = "no-host body|$host"
check "two Host headers: the same" \
    test "$(grep '^two-hosts body|' framing.out)" = "two-hosts body|$host"
blank='{"result":"rejected","code":"0001","text":"a header name holds a space or a tab (whitespace before its colon): refused, as RFC 9112 asks","guid":null,"messageType":null,"duplicate":false,"documents":[]}'
for c in space-before-colon length-space-colon tab-before-colon; do
    check "$c: the port's JSON, code 0001" test "$(grep "^$c body|" framing.out)" = "$c body|$blank"
done
check "HTTP/1.0 needs no Host" \
    test "$(grep '^http10-no-host body|' framing.out)" = 'http10-no-host body|{"status":"ok"}'
# every request libmicrohttpd refused had begun (its request line came) and has ended: the port
# stops at once, with nothing in flight to wait for
kill -TERM "$PORT_PID"
ended "$PORT_PID" 50
check "the port stops within 5 s of SIGTERM, exit 0 ($ENDED_RC)" test "$ENDED_RC" = 0
PORT_PID=""
check "... with no request left in flight" sh -c '! grep -q "in flight" "$1"' sh port.err
grep "in flight" port.err | sed 's/^/  port: /'
finish
