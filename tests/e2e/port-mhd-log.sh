#!/bin/sh
# port-mhd-log.sh - libmicrohttpd's own messages at -vv go through the port's logger, escaped.
# Raw requests over plain HTTP on loopback carry control bytes in the request line and in a
# header, one has a header line without a colon (answered 400 by libmicrohttpd, which logs it),
# and 100 connections send a URL with %1B and %0A and are reset before reading the answer: when
# the answer cannot be sent, libmicrohttpd names that URL, decoded, which before put a raw ESC
# and a forged line into the log (that happens only now and then, so test-port.c checks the
# escaping itself). Every line of the log is then a whole line with no control byte. Before,
# libmicrohttpd's logger was set after other options, and libmicrohttpd logged that what it had
# to say about those went to its own logger on stderr, unescaped.
. "${CG_SRCDIR:-.}/tests/e2e/port-lib.sh"

port_senders a
{
    printf '[port]\nlisten = 127.0.0.1\nport = 0\ntrust = a.pem\ndatabase = port.db\n'
    printf '[sender.a]\ntoken_file = a.token\nsign_cert = a.pem\ncodes = 3301964J31\n'
} >port.conf
port_start -r port.conf -vv
cat >raw.py <<'EOF'
# raw.py PORT: the raw requests, each on a connection of its own
import socket, struct, sys

port = int(sys.argv[1])
tok = open("a.token").read().strip()


def send(data, reset=False):
    s = socket.create_connection(("127.0.0.1", port))
    if reset:  # closed with a reset, the answers unread
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.sendall(data)
        s.close()
        return
    s.sendall(data)
    s.settimeout(10)
    answer = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        answer += b
        if b"\r\n\r\n" in answer:
            break
    s.close()
    print(answer.split(b"\r\n")[0].decode())


send(b"GET /he\x01alth HTTP/1.1\r\nHost: x\r\nX-A\x02b: v\x1b[31m\r\nConnection: close\r\n\r\n")
send(b"GET /health HTTP/1.1\r\nHost: x\r\nBad\x1bHeader\r\n\r\n")
url = b"GET /x%1B[31m%0Acebgate:%20error:%20forged HTTP/1.1\r\nHost: x\r\n"
for i in range(100):
    send((url + b"Authorization: Bearer " + tok.encode() + b"\r\n\r\n") * 20, reset=True)
EOF
python3 raw.py "$P" >raw.out 2>raw.err
check "control bytes in the request line and a header: answered 401" \
    test "$(sed -n 1p raw.out)" = "HTTP/1.1 401 Unauthorized"
check "a header line without a colon: answered 400" \
    test "$(sed -n 2p raw.out)" = "HTTP/1.1 400 Bad Request"
port_stop
check "libmicrohttpd's message about the 400 is in the log" \
    grep -q "^cebgate: debug: port: libmicrohttpd: Error processing request (HTTP response code is 400" \
    port.err
check "libmicrohttpd's logger is set before any other option" \
    test -z "$(grep -F 'EXTERNAL_LOGGER is not the first option' port.err)"
check "every line of the log starts with 'cebgate: '" test -z "$(grep -v '^cebgate: ' port.err)"
check "no line of the log holds a control byte" test "$(LC_ALL=C grep -c '[[:cntrl:]]' port.err)" = 0
finish
