#!/bin/sh
# sign-remote.sh - `cebgate sign` with signer = remote against the test signing service
# (tests/unit/remote-signer-server, docs/remote-signer.md) on loopback, over HTTP and over
# HTTPS with a CA made here; every signed sample verifies with xmlsec1 and cebgate verify.
# Then with an SM2 key (sign_alg = sm2-sm3): the service answers r||s and the result verifies
# against the SM2 CA; a service answering a DER-encoded SM2 signature is refused.
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
    REMOTE_SIGNER_TOKEN=e2e-token "$SERVER" --key "${KEY:-key.pem}" --cert "${CERT:-cert.pem}" \
        --key-name 01691fe9 \
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

# SM2: an SM2 CA and signer; the service signs with SM3 and the sm2_id it is sent
ID=1234567812345678
q "$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out sm2ca.key &&
    q "$OPENSSL" req -x509 -new -key sm2ca.key -sm3 -sigopt "distid:$ID" -days 2 \
        -subj '/CN=e2e SM2 CA' -out sm2ca.pem &&
    q "$OPENSSL" genpkey -algorithm SM2 -out sm2.key &&
    q "$OPENSSL" req -new -key sm2.key -sm3 -sigopt "distid:$ID" -subj '/CN=SM2 card' -out sm2.csr &&
    q "$OPENSSL" x509 -req -in sm2.csr -vfyopt "distid:$ID" -CA sm2ca.pem -CAkey sm2ca.key \
        -CAcreateserial -sm3 -sigopt "distid:$ID" -days 2 -out sm2.pem || fail "make SM2 keys"
KEY=sm2.key CERT=sm2.pem start sm2
printf 'sign_alg = sm2-sm3\n' | cat http.conf - | sed "s|127.0.0.1:[0-9]*/|127.0.0.1:$port/|" >sm2.conf
sed "s|127.0.0.1:[0-9]*/|127.0.0.1:$port/|" http.conf >sm2rsa.conf
mkdir sm2
for b in CEB303Message.xml CEB603Message.xml; do
    expect_rc 0 "remote sign $b with SM2 (sm2-sm3)" "$CEBGATE" -c sm2.conf sign --replace \
        -o "sm2/$b" "$CG_TESTDATA/sign/$b"
    check "sm2-sm3 URI in $b" grep -q 'chinaport.gov.cn/2022/04/xmldsig#sm2-sm3' "sm2/$b"
    expect_rc 0 "cebgate verify accepts the remote SM2 $b" "$CEBGATE" verify --trust sm2ca.pem \
        "sm2/$b"
    check "verify says sm2-sm3 by the card" grep -q 'OK: sm2-sm3 signature by CN=SM2 card' "$T/out"
done
expect_rc 1 "an SM2 certificate with sign_alg unset (rsa-sha1 for remote) is refused" \
    "$CEBGATE" -c sm2rsa.conf sign --replace "$CG_TESTDATA/sign/CEB303Message.xml"
check "the service's reason is shown" grep -q 'HTTP 400: this key is SM2: ask for sm2-sm3' "$T/err"
KEY=sm2.key CERT=sm2.pem start sm2der --sm2-der
sed "s|127.0.0.1:[0-9]*/|127.0.0.1:$port/|" sm2.conf >sm2der.conf
expect_rc 1 "a DER-encoded SM2 signature from the service is refused" "$CEBGATE" -c sm2der.conf \
    sign --replace "$CG_TESTDATA/sign/CEB303Message.xml"
check "says DER and r||s" grep -q 'DER-encoded SM2 signature.*r||s' "$T/err"

stop_servers
pids=""
expect_rc 75 "service gone: temporary failure" "$CEBGATE" -c http.conf sign --replace \
    "$CG_TESTDATA/sign/CEB303Message.xml"
finish
