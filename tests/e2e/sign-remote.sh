#!/bin/sh
# sign-remote.sh - `cebgate sign` with signer = remote against the test signing service
# (tests/unit/remote-signer-server, docs/remote-signer.md) on loopback, over HTTP and over
# HTTPS with a CA made here; every signed sample verifies with xmlsec1 and cebgate verify.
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"
: "${XMLSEC1:?xmlsec1 not found by configure}"
OPENSSL=${OPENSSL:-openssl}
SERVER="$CG_BUILDDIR/tests/unit/remote-signer-server"

cd "$T" || exit 1
q() { "$@" >/dev/null 2>&1; }
q "$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
    -subj '/CN=e2e test CA' || fail "make CA"
q "$OPENSSL" req -newkey rsa:2048 -nodes -keyout key.pem -out req.csr -subj '/CN=card signer' ||
    fail "make key"
q "$OPENSSL" x509 -req -in req.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cert.pem \
    -days 2 || fail "make cert"
printf 'subjectAltName=IP:127.0.0.1\n' >san.cnf
q "$OPENSSL" req -newkey rsa:2048 -nodes -keyout tls.key -out tls.csr -subj '/CN=127.0.0.1' ||
    fail "make TLS key"
q "$OPENSSL" x509 -req -in tls.csr -CA ca.pem -CAkey ca.key -CAcreateserial -extfile san.cnf \
    -out tls.pem -days 2 || fail "make TLS cert"

pids=""
stop_servers() { for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
cleanup_hooks="stop_servers"
# start NAME ARGS...: run the service, wait for its port file, set $port
start() {
    name=$1; shift
    REMOTE_SIGNER_TOKEN=e2e-token "$SERVER" --key key.pem --cert cert.pem --key-name 01691fe9 \
        --port-file "$name.port" "$@" &
    pids="$pids $!"
    i=0
    while [ ! -s "$name.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    port=$(cat "$name.port")
}

start http
printf '[declare]\nsigner = remote\nremote_url = http://127.0.0.1:%s/sign\nremote_token = e2e-token\nkey_name = 0001\n' \
    "$port" >http.conf
start https --tls-cert tls.pem --tls-key tls.key
printf '[declare]\nsigner = remote\nsign_alg = rsa-sha256\nremote_url = https://127.0.0.1:%s/sign\nremote_token = e2e-token\nremote_ca = ca.pem\nkey_name =\n' \
    "$port" >https.conf
sed 's/^remote_ca = .*//' https.conf >noca.conf

mkdir http https
for f in "$CG_TESTDATA"/sign/CEB*Message.xml; do
    b=$(basename "$f")
    expect_rc 0 "remote sign $b over http" "$CEBGATE" -c http.conf sign --replace -o "http/$b" "$f"
    expect_rc 0 "xmlsec1 --verify accepts $b" "$XMLSEC1" --verify --trusted-pem ca.pem "http/$b"
    expect_rc 0 "cebgate verify accepts $b" "$CEBGATE" verify --trust ca.pem "http/$b"
    check "configured KeyName used" grep -q 'KeyName 0001' "$T/out"
    expect_rc 0 "remote sign $b over https (rsa-sha256)" "$CEBGATE" -c https.conf sign --replace \
        -o "https/$b" "$f"
    expect_rc 0 "xmlsec1 --verify accepts https/$b" "$XMLSEC1" --verify --trusted-pem ca.pem "https/$b"
    expect_rc 0 "cebgate verify accepts https/$b" "$CEBGATE" verify --trust ca.pem "https/$b"
    check "service's KeyName used when key_name is empty" grep -q 'KeyName 01691fe9' "$T/out"
done

expect_rc 2 "https without the right CA is refused" "$CEBGATE" -c noca.conf sign --replace \
    "$CG_TESTDATA/sign/CEB303Message.xml"
check "says TLS verification failed" grep -q 'TLS verification failed' "$T/err"
sed 's/^remote_token = .*/remote_token = nope/' http.conf >badtoken.conf
expect_rc 1 "a wrong token is refused" "$CEBGATE" -c badtoken.conf sign --replace \
    "$CG_TESTDATA/sign/CEB303Message.xml"
check "says HTTP 401" grep -q 'HTTP 401' "$T/err"
stop_servers
pids=""
expect_rc 75 "service gone: temporary failure" "$CEBGATE" -c http.conf sign --replace \
    "$CG_TESTDATA/sign/CEB303Message.xml"
finish
