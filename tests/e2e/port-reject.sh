#!/bin/sh
# port-reject.sh - `cebgate port` over real TLS on loopback, with curl as the sender: it accepts
# a signed message (and its retry, idempotently), serves receipts and metrics, and refuses,
# each with its code and a clear reason: a bad signature, an untrusted certificate, a signature
# that does not cover the root (wrapping), a schema failure, a body over the limit, a DTD with
# an external entity, and a different message reusing a guid. Then mutual TLS, --stats and a
# clean stop on SIGTERM. Certificates are made here with openssl.
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"

: "${OPENSSL:=openssl}"
: "${XMLSEC1:=xmlsec1}"
D=$CG_TESTDATA/port
cd "$T" || exit 1

# ---------------------------------------------------------------- certificates
mk_self() { # name CN [extra -addext]
    "$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 2 \
        -subj "/CN=$2" ${3:+-addext "$3"} 2>/dev/null
}
mk_self server "cebgate test port" "subjectAltName=IP:127.0.0.1"
mk_self signer "trusted test signer" "basicConstraints=critical,CA:FALSE"
mk_self stranger "untrusted test signer" "basicConstraints=critical,CA:FALSE"
mk_self clientca "test client CA"
"$OPENSSL" req -newkey rsa:2048 -nodes -keyout client.key -out client.csr \
    -subj "/CN=test sender" 2>/dev/null
"$OPENSSL" x509 -req -in client.csr -CA clientca.pem -CAkey clientca.key -CAcreateserial \
    -out client.pem -days 2 2>/dev/null
"$OPENSSL" req -newkey rsa:2048 -nodes -keyout client2.key -out client2.csr \
    -subj "/CN=a sender nobody registered" 2>/dev/null
"$OPENSSL" x509 -req -in client2.csr -CA clientca.pem -CAkey clientca.key -CAcreateserial \
    -out client2.pem -days 2 2>/dev/null
mk_self rogue "not the client CA"
check "certificates made" test -s server.pem -a -s signer.pem -a -s client.pem
# the sender's token, in a file; curl reads the header from a file (-H @file), so the token is
# never on a command line
"$OPENSSL" rand -hex 24 >test.token
printf 'Authorization: Bearer %s\n' "$(cat test.token)" >auth.hdr
A="-H @auth.hdr"

# ---------------------------------------------------------------- messages
cat >sign.conf <<EOF
[declare]
key_file = $T/signer.key
cert_file = $T/signer.pem
sign_alg = rsa-sha256
EOF
sed "s|signer\.|stranger.|g" sign.conf >stranger.conf
sign() { "$CEBGATE" -c "${3:-sign.conf}" sign -o "$2" "$1"; }
# newguid FILE N: give the message and its documents other guids (…000N)
newguid() { sed -e "s/-000000000001\"/-00000000000$2\"/" -e "s/-0000000000A1</-0000000000B$2</" "$1"; }

check "sign the order" sign "$D/CEB303Message.xml" good.xml
check "sign the inventory" sign "$D/CEB603Message.xml" inv.xml
# bad signature: signed, then a value changed
newguid "$D/CEB303Message.xml" 2 >m2.xml && sign m2.xml m2s.xml
sed 's/<ceb:itemName>Tea cup</<ceb:itemName>Coffee cup</' m2s.xml >tampered.xml
check "tampered copy differs" sh -c "! cmp -s m2s.xml tampered.xml"
# untrusted certificate: a valid signature by a key the port does not trust
newguid "$D/CEB303Message.xml" 3 >m3.xml && sign m3.xml untrusted.xml stranger.conf
# wrapping: a signature by the trusted key that references only the Order (by Id), so the rest
# of the message can be changed without breaking it
newguid "$D/CEB303Message.xml" 4 | sed 's/<ceb:Order>/<ceb:Order Id="signed">/' |
    sed 's|</ceb:CEB303Message>|<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#signed"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:KeyName>0001</ds:KeyName><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo></ds:Signature></ceb:CEB303Message>|' \
        >wrap-tmpl.xml
"$XMLSEC1" --sign --privkey-pem signer.key,signer.pem --id-attr:Id Order --output wrap-signed.xml \
    wrap-tmpl.xml 2>/dev/null
sed 's|<ceb:copName>Example Seller Ltd</ceb:copName>|<ceb:copName>Somebody Else</ceb:copName>|' \
    wrap-signed.xml >wrapped.xml
check "the wrapped message is a valid XML-DSig signature by the trusted key" \
    "$XMLSEC1" --verify --id-attr:Id Order --trusted-pem signer.pem wrapped.xml
# schema failure, correctly signed
newguid "$D/CEB303Message.xml" 5 | sed 's|<ceb:orderType>E</ceb:orderType>||' >m5.xml
sign m5.xml badschema.xml
# DTD with an external entity
sed 's|^<ceb:CEB303Message|<!DOCTYPE ceb:CEB303Message [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<ceb:CEB303Message|' \
    good.xml | sed 's|<ceb:itemName>Tea cup<|<ceb:itemName>\&xxe;<|' >dtd.xml
check "DTD message has a DOCTYPE" grep -q DOCTYPE dtd.xml
# larger than max_body (20000 bytes)
{ cat good.xml; i=0; while [ $i -lt 400 ]; do echo "<!-- padding padding padding padding padding -->"; i=$((i + 1)); done; } >big.xml
# a new message in the DXP envelope
newguid "$D/CEB303Message.xml" 6 | sed 's/PORT-ORDER-0001/PORT-ORDER-0006/' >m6.xml
sign m6.xml m6s.xml
printf '<?xml version="1.0" encoding="UTF-8"?>\n<dxp:DxpMsg xmlns:dxp="http://www.chinaport.gov.cn/dxp" ver="1.0"><dxp:TransInfo><dxp:CopMsgId>COP-MSG-6</dxp:CopMsgId><dxp:SenderId>DXPENT0000000001</dxp:SenderId><dxp:ReceiverIds><dxp:ReceiverId>DXPEDCCEB0000003</dxp:ReceiverId></dxp:ReceiverIds><dxp:CreatTime>2026-03-01T10:15:00</dxp:CreatTime><dxp:MsgType>CEB303Message</dxp:MsgType></dxp:TransInfo><dxp:Data>%s</dxp:Data></dxp:DxpMsg>\n' \
    "$(base64 -w0 m6s.xml)" >dxp.xml
# a different message reusing the guid of good.xml
sed 's/PORT-ORDER-0001/PORT-ORDER-0009/' "$D/CEB303Message.xml" >m9.xml && sign m9.xml reuse.xml

# ---------------------------------------------------------------- the port
cat >sender.ini <<EOF
[sender.test]
token_file = test.token
client_cert = client.pem
sign_cert = signer.pem
codes = 3301964J31, 4403960ABC
EOF
cat sender.ini - >port.conf <<EOF
[port]
listen = 127.0.0.1
port = 0
tls_cert = server.pem
tls_key = server.key
trust = signer.pem
database = port.db
max_body = 20000
accept_ms = 0
release_ms = 0
close_ms = 0
receipts_dir = receipts
EOF
port_start port.conf
check "port started and wrote its port number" test -n "$P"
check "port says where it listens" grep -q "listening on https://127.0.0.1:$P/" port.out
check "pid file names the process" sh -c "[ \"\$(cat port.pid)\" = $PORT_PID ]"
URL="https://127.0.0.1:$P"

# post FILE: body in $T/resp, status in $S
post() {
    S=$(curl -sS --cacert server.pem $A -H 'Content-Type: application/xml' --data-binary "@$1" \
        -o resp -w '%{http_code}' "$URL/messages" 2>curl.err)
}
# expect FILE HTTP CODE WORDS DESCRIPTION
expect() {
    post "$1"
    if [ "$S" = "$2" ] && grep -q "\"code\":\"$3\"" resp && grep -q "$4" resp; then
        ok "$5 (HTTP $S, code $3)"
    else
        fail "$5: HTTP $S, expected $2 code $3 with '$4'"; sed 's/^/  body: /' resp; cat curl.err
    fi
}

expect good.xml 200 0000 '"result":"accepted"' "signed order accepted"
check "answer names the document and its preNo" grep -q '"preNo":"B[0-9]\{17\}"' resp
expect good.xml 200 0000 '"duplicate":true' "the same message again is accepted again (retry)"
expect dxp.xml 200 0000 'A1B2C3D4-0303-4000-8000-000000000006' "signed order in dxp:DxpMsg accepted"
expect inv.xml 200 0000 '"invtNo":"5141[0-9]\{4\}E[0-9]\{9\}"' "signed inventory accepted with invtNo"
expect tampered.xml 422 1004 'does not match' "bad signature (content changed after signing)"
expect untrusted.xml 422 1001 'not trusted' "signature by an untrusted certificate"
expect wrapped.xml 422 1001 'does not cover the whole root' "signature wrapping (Reference to an Id)"
expect badschema.xml 422 0002 'orderNo' "message failing the schema"
expect big.xml 413 0999 'larger than the limit' "message larger than max_body"
expect dtd.xml 422 0001 'DOCTYPE' "DTD with an external entity"
check "the entity was not expanded into any answer" sh -c "! grep -q 'root:' resp"
expect reuse.xml 409 4001 'already used' "different message reusing a guid"

# receipts: order 2+120, inventory 2+120+800+899 (all delays 0), CEB900 for 0001 and 0002
S=$(curl -sS --cacert server.pem $A -o rec.json -w '%{http_code}' "$URL/receipts?since=0")
check "GET /receipts answers 200" test "$S" = 200
check "receipts of the order" grep -q '"type":"CEB304Message"' rec.json
check "inventory released and closed" sh -c "grep -o '\"type\":\"CEB604Message\"[^}]*\"status\":\"899\"' rec.json | grep -q 899"
check "CEB900 for the schema failure" grep -q '"type":"CEB900Message"' rec.json
python3 - rec.json >rec.txt <<'EOF'
import base64, json, sys
page = json.load(open(sys.argv[1]))
ids = [r["id"] for r in page["receipts"]]
assert ids == sorted(ids) and len(set(ids)) == len(ids), ids
assert page["next"] == ids[-1]
for r in page["receipts"]:
    xml = base64.b64decode(r["xml"]).decode("utf-8")
    assert r["guid"] in xml
    print(r["type"], r["status"], r["docGuid"])
EOF
check "receipt page is ordered, XML decodes and carries its guid" test -s rec.txt
check "four inventory receipts" sh -c "[ \$(grep -c '^CEB604Message' rec.txt) -eq 4 ]"
NEXT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next"])' rec.json)
curl -sS --cacert server.pem $A -o rec2.json "$URL/receipts?since=$NEXT"
check "cursor: nothing new after next" grep -q '"receipts":\[\]' rec2.json
check "receipts written into receipts_dir" sh -c "ls receipts | grep -q '^CEB604_.*\.xml$'"
S=$(curl -sS --cacert server.pem $A -o /dev/null -w '%{http_code}' "$URL/receipts?since=x")
check "bad cursor is a 400" test "$S" = 400

curl -sS --cacert server.pem $A -o metrics.txt "$URL/metrics"
check "metrics: received" grep -q '^cebgate_port_messages_received_total 11$' metrics.txt
check "metrics: accepted" grep -q '^cebgate_port_messages_accepted_total 3$' metrics.txt
check "metrics: rejected by code" grep -q '^cebgate_port_messages_rejected_total{code="1001"} 2$' metrics.txt
check "metrics: pending receipts" grep -q '^cebgate_port_receipts_pending 0$' metrics.txt
# Plain HTTP to the TLS port connects and gets no HTTP answer (curl 52: empty reply, 56: the
# connection was reset), not a refused connection (7); HTTPS on the same port still answers.
curl -sS -o /dev/null "http://127.0.0.1:$P/health" 2>curl.err
crc=$?
check "plain HTTP is not served on the TLS port (curl exit $crc)" test "$crc" -eq 52 -o "$crc" -eq 56
S=$(curl -sS --cacert server.pem -o /dev/null -w '%{http_code}' "$URL/health")
check "HTTPS on the same port answers meanwhile" test "$S" = 200

kill -TERM "$PORT_PID"
wait "$PORT_PID"
rc=$?
PORT_PID=""
check "SIGTERM stops the port cleanly (exit 0)" test "$rc" -eq 0
check "pid file removed" test ! -e port.pid
expect_rc 0 "port --stats" "$CEBGATE" -c port.conf port --stats
check "stats: accepted 3, accepted again 1" sh -c "grep -q '^accepted  *3$' '$T/out' && grep -q '^accepted again  *1$' '$T/out'"
check "stats: rejected by code" grep -q 'code 0999  *1$' "$T/out"
expect_rc 0 "port --documents" "$CEBGATE" -c port.conf port --documents
check "documents: inventory closed" grep -q "^CEB603	A1B2C3D4-0603-4000-8000-0000000000A1	603|4403960ABC|COP-PORT-0001	B[0-9]*	5141[0-9]*E[0-9]*	899	1$" "$T/out"

# ---------------------------------------------------------------- mutual TLS
cp port.conf mtls.conf
echo "tls_client_ca = clientca.pem" >>mtls.conf
sed -i 's/^database = port.db/database = mtls.db/' mtls.conf
port_start mtls.conf
URL="https://127.0.0.1:$P"
# /health is open to anybody; every other request needs a sender. With tls_client_ca the TLS
# handshake asks for a certificate without requiring one, and each request is then checked:
# without a certificate the sender's token is not enough, and a certificate from another CA is
# refused, both with 403, code 1999 and the reason.
S=$(curl -sS --cacert server.pem -o resp -w '%{http_code}' "$URL/health" 2>curl.err)
check "mutual TLS: /health answers without a certificate (HTTP $S)" test "$S" = 200
S=$(curl -sS --cacert server.pem $A -o resp -w '%{http_code}' "$URL/receipts" 2>curl.err)
check "mutual TLS: no client certificate is refused (HTTP $S)" sh -c \
    "[ '$S' = 403 ] && grep -q '\"code\":\"1999\"' resp && grep -q 'a client certificate is required' resp"
S=$(curl -sS --cacert server.pem --cert rogue.pem --key rogue.key -o resp -w '%{http_code}' \
    "$URL/receipts" 2>curl.err)
check "mutual TLS: a certificate from another CA is refused (HTTP $S)" sh -c \
    "[ '$S' = 403 ] && grep -q '\"code\":\"1999\"' resp && grep -q 'the client certificate is not trusted' resp"
# Before: refusals of client certificates were not logged. They are warnings with the address,
# and GnuTLS's words about the verification go to the log, not to the client.
check "... the answer has none of GnuTLS's words" sh -c "! grep -q 'client certificate: ' resp"
check "... the refusal is logged with the address and GnuTLS's reason" grep -q \
    'warn: port: refused a request from 127.0.0.1: HTTP 403, code 1999: the client certificate is not trusted (client certificate: ' \
    port.err
check "... as is the request without a certificate" grep -q \
    'warn: port: refused a request from 127.0.0.1: HTTP 403, code 1999: a client certificate is required' \
    port.err
S=$(curl -sS --cacert server.pem --cert client.pem --key client.key -H 'Content-Type: application/xml' \
    --data-binary @good.xml -o resp -w '%{http_code}' "$URL/messages")
check "mutual TLS: the client certificate is accepted" test "$S" = 200
S=$(curl -sS --cacert server.pem --cert client2.pem --key client2.key -o resp -w '%{http_code}' \
    "$URL/receipts" 2>curl.err)
check "mutual TLS: a certificate the CA issued to no registered sender is refused (HTTP $S)" \
    sh -c "[ '$S' = 403 ] && grep -q '\"code\":\"1999\"' resp"
check "... saying it is no sender's client_cert" grep -q 'not the client_cert of any sender' resp
# Before: these refusals were not counted; the three 403 (no certificate, another CA's, no
# sender's) are, and /metrics from this host needs no certificate (metrics = local)
S=$(curl -sS --cacert server.pem -o resp -w '%{http_code}' "$URL/metrics" 2>curl.err)
check "mutual TLS: the 3 refused logins are counted in /metrics, by status (HTTP $S)" \
    test "$(grep '^cebgate_port_logins_refused_total' resp)" = 'cebgate_port_logins_refused_total{status="401"} 0
cebgate_port_logins_refused_total{status="403"} 3'
port_stop

# ---------------------------------------------------------------- fault injection (test only)
sed -e 's/^database = port.db/database = f503.db/' port.conf >f503.conf
echo "fault_503_percent = 100" >>f503.conf
port_start f503.conf
URL="https://127.0.0.1:$P"
S=$(curl -sS --cacert server.pem $A --data-binary @good.xml -D hdr -o resp -w '%{http_code}' "$URL/messages")
check "fault 503: answered 503" test "$S" = 503
check "fault 503: with Retry-After" grep -qi '^retry-after: 1' hdr
check "fault 503: result retry" grep -q '"result":"retry"' resp
port_stop
sed -e 's/^database = port.db/database = fdrop.db/' port.conf >fdrop.conf
echo "fault_drop_percent = 100" >>fdrop.conf
port_start fdrop.conf
URL="https://127.0.0.1:$P"
drops=0
for i in 1 2 3 4 5 6; do
    curl -sS --cacert server.pem $A --data-binary @good.xml -o /dev/null "$URL/messages" 2>/dev/null
    [ $? -eq 52 ] && drops=$((drops + 1))
done
check "fault drop: every connection closed without an answer" test "$drops" -eq 6
port_stop
expect_rc 0 "fault drop: port --documents" "$CEBGATE" -c fdrop.conf port --documents
stored=$(wc -l <"$T/out")
check "fault drop: the message is stored at most once ($stored)" test "$stored" -le 1
# Whether a dropped attempt stored it (half of them store before closing) is chance: sent again
# without faults, it is a duplicate exactly when it was stored, and then stored once.
sed '/^fault_drop_percent/d' fdrop.conf >fdrop2.conf
port_start fdrop2.conf
URL="https://127.0.0.1:$P"
post good.xml
check "fault drop: sent again, accepted (HTTP $S)" grep -q '"result":"accepted"' resp
check "fault drop: a duplicate exactly when a dropped attempt stored it ($stored)" \
    test "$(grep -c '"duplicate":true' resp)" -eq "$stored"
port_stop
expect_rc 0 "fault drop: port --documents afterwards" "$CEBGATE" -c fdrop2.conf port --documents
check "fault drop: the message stored once" sh -c \
    "[ \$(wc -l <'$T/out') -eq 1 ] && grep -q '^CEB303	A1B2C3D4-0303-4000-8000-0000000000A1	' '$T/out'"

# ---------------------------------------------------------------- plain HTTP, loopback only
printf '[port]\nlisten = 127.0.0.1\nport = 0\ntrust = signer.pem\ndatabase = plain.db\n' |
    cat sender.ini - >plain.conf
port_start plain.conf
check "plain HTTP on loopback says so" grep -q "listening on http://127.0.0.1:$P/" port.out
S=$(curl -sS -o resp -w '%{http_code}' "http://127.0.0.1:$P/health")
check "plain HTTP on loopback serves" test "$S" = 200
S=$(curl -sS $A -o resp -w '%{http_code}' -X PUT "http://127.0.0.1:$P/messages")
check "wrong method is a 405" test "$S" = 405
S=$(curl -sS $A -o resp -w '%{http_code}' "http://127.0.0.1:$P/nothing")
check "unknown path is a 404" test "$S" = 404
port_stop
printf '[port]\nlisten = 0.0.0.0\nport = 0\ntrust = signer.pem\ndatabase = open.db\n' |
    cat sender.ini - >open.conf
expect_rc 2 "plain HTTP on a public address is refused" "$CEBGATE" -c open.conf port
check "says to set TLS" grep -q 'is not loopback: set tls_cert and tls_key' "$T/err"

# a bad configuration is a configuration error, not a crash
printf '[port]\nport = 0\ntrust = signer.pem\ntls_cert = server.pem\ndatabase = x.db\n' >bad.conf
expect_rc 2 "tls_cert without tls_key is refused" "$CEBGATE" -c bad.conf port
printf '[port]\nport = 0\ndatabase = x.db\n' >notrust.conf
expect_rc 2 "no trusted signer is refused" "$CEBGATE" -c notrust.conf port
check "says why" grep -q 'trust names no signer certificate' "$T/err"

finish
