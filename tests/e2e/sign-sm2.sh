#!/bin/sh
# sign-sm2.sh - SM2/SM3 signatures (sign_alg = sm2-sm3, CEB 202205 §6.2) checked without cebgate.
# Keys: an SM2 CA and an SM2 signer made here with openssl (SM2-with-SM3 certificates, the
# GM/T 0009 distinguishing identifier), a second SM2 CA with its own signer (not trusted).
# Every signed export message type (303, 403, 505, 507, 509, 603, 605, 607, 701, 213; the
# official 202205 samples without their placeholder signature and duplicated BaseTransfer) is
# signed by `cebgate sign` with no sign_alg set (the algorithm follows the key) and then:
# validated against the official 202205 schema with xmllint; SignedInfo and the document
# without its Signature canonicalized with lxml, r||s turned into DER with openssl asn1parse,
# the signature checked with `openssl dgst -sm3 -verify -sigopt distid:1234567812345678` and
# the SM3 of the document compared with DigestValue; accepted by `cebgate verify`. Refused:
# a changed body byte, SignedInfo byte and SignatureValue byte, a DER-encoded SignatureValue,
# a signer from the untrusted CA, an SM2 key with sign_alg = rsa-sha1. Accepted: a message
# signed here with openssl in the older smart-card form (w3.org sm2-sm3 URI, SHA-1 digest).
# `cebgate port`, trusting the SM2 CA, accepts and refuses the same messages over HTTPS.
# Also the CEB303, CEB505 and CEB603 that `cebgate run` builds and signs with the SM2 key get
# the schema and openssl checks; another sm2_id; an RSA key signs rsa-sha1 unless rsa-sha256 is
# asked for (with a warning); the `cebgate init` template says which algorithm when.
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"
OPENSSL=${OPENSSL:-openssl}
XSD=$CG_SRCDIR/data/xsd/202205/ceb-export.xsd
SAMPLES=$CG_TESTDATA/declare/samples/202205
ID=1234567812345678
PY=""
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import lxml.etree' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || { fail "python3 with lxml (Debian: python3-lxml) is needed"; finish; exit 1; }
TOOL="$PY $CG_SRCDIR/tests/e2e/sm2-tool.py"

cd "$T" || exit 1
q() { "$@" >/dev/null 2>&1; }
# sm2_ca NAME: NAME.key, NAME.pem (self-signed SM2 CA); sm2_leaf NAME CA CN: NAME.key, NAME.pem
sm2_ca() {
    q "$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out "$1.key" &&
        q "$OPENSSL" req -x509 -new -key "$1.key" -sm3 -sigopt "distid:$ID" -days 2 \
            -subj "/CN=$1 SM2 CA" -addext basicConstraints=critical,CA:TRUE \
            -addext keyUsage=critical,keyCertSign,cRLSign -out "$1.pem"
}
printf 'keyUsage=critical,digitalSignature,nonRepudiation\nbasicConstraints=CA:FALSE\n' >leaf.ext
sm2_leaf() {
    q "$OPENSSL" genpkey -algorithm SM2 -out "$1.key" &&
        q "$OPENSSL" req -new -key "$1.key" -sm3 -sigopt "distid:$ID" -subj "/CN=$3" \
            -out "$1.csr" &&
        q "$OPENSSL" x509 -req -in "$1.csr" -vfyopt "distid:$ID" -CA "$2.pem" -CAkey "$2.key" \
            -CAcreateserial -sm3 -sigopt "distid:$ID" -days 2 -extfile leaf.ext -out "$1.pem"
}
sm2_ca ca || fail "make the SM2 CA"
sm2_leaf signer ca "e2e SM2 signer" || fail "make the SM2 signer"
sm2_ca rogue || fail "make the second SM2 CA"
sm2_leaf intruder rogue "e2e SM2 intruder" || fail "make the untrusted signer"
expect_rc 0 "openssl itself accepts the SM2 chain" "$OPENSSL" verify -vfyopt "distid:$ID" \
    -CAfile ca.pem signer.pem
"$OPENSSL" x509 -in signer.pem -pubkey -noout >signer.pub
printf 'sm2 pass\n' >pass.txt
q "$OPENSSL" pkcs12 -export -inkey signer.key -in signer.pem -passout file:pass.txt \
    -out signer.p12 || fail "make the SM2 PKCS#12 bundle"

printf '[declare]\nkey_file = signer.key\ncert_file = signer.pem\nkey_name = 0001\n' >pem.conf
printf '[declare]\nkey_file = signer.p12\nkey_pass_file = pass.txt\nkey_name = 0001\n' >p12.conf
printf '[declare]\nkey_file = intruder.key\ncert_file = intruder.pem\nkey_name = 0009\n' >rogue.conf
printf '[declare]\nsign_alg = rsa-sha1\nkey_file = signer.key\ncert_file = signer.pem\n' >rsa.conf

# independent check of one SM2-signed file: openssl on lxml's canonical forms
indep() {
    $TOOL split "$1" x || return 1
    [ "$(wc -c <x.rs)" -eq 64 ] || { echo "SignatureValue is not 64 bytes"; return 1; }
    printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' \
        "$(head -c 32 x.rs | od -An -tx1 | tr -d ' \n')" \
        "$(tail -c 32 x.rs | od -An -tx1 | tr -d ' \n')" >x.cnf
    "$OPENSSL" asn1parse -genconf x.cnf -out x.der -noout >/dev/null || return 1
    "$OPENSSL" dgst -sm3 -verify signer.pub -sigopt "distid:$ID" -signature x.der x.si \
        >/dev/null || return 1
    "$OPENSSL" dgst -sm3 -binary x.doc | cmp -s - x.dv
}

mkdir in signed p12
for n in 303 403 505 507 509 603 605 607 701 213; do
    b=CEB${n}Message.xml
    $TOOL unsigned "$SAMPLES/$b" "in/$b" || fail "prepare $b"
    expect_rc 0 "sign $b with the SM2 key, sign_alg unset" \
        "$CEBGATE" -c pem.conf sign -o "signed/$b" "in/$b"
    check "$b carries the 202205 sm2-sm3 and sm3 URIs" sh -c \
        "grep -q 'Algorithm=\"http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3\"' signed/$b &&
         grep -q 'Algorithm=\"http://www.chinaport.gov.cn/2022/04/xmldsig#sm3\"' signed/$b"
    expect_rc 0 "$b passes the official 202205 schema (xmllint)" xmllint --noout --nonet \
        --schema "$XSD" "signed/$b"
    check "$b: openssl verifies r||s over lxml's SignedInfo and DigestValue is the SM3 of the document" \
        indep "signed/$b"
    expect_rc 0 "cebgate verify accepts $b" "$CEBGATE" verify --trust ca.pem "signed/$b"
    check "verify names sm2-sm3 and the signer of $b" grep -q \
        "OK: sm2-sm3 signature by CN=e2e SM2 signer" "$T/out"
done
expect_rc 0 "sign CEB603 with the SM2 key from a PKCS#12 bundle" \
    "$CEBGATE" -c p12.conf sign -o p12/CEB603Message.xml in/CEB603Message.xml
check "PKCS#12 signature verifies independently" indep p12/CEB603Message.xml

S=signed/CEB603Message.xml
# a changed body byte
sed '0,/<ceb:qty>/s/<ceb:qty>\([0-9]\)/<ceb:qty>9\1/' "$S" >body.xml
check "body copy differs" sh -c "! cmp -s $S body.xml"
expect_rc 1 "cebgate verify refuses a changed body byte" "$CEBGATE" verify --trust ca.pem body.xml
check "reason: digest mismatch" grep -q 'FAILED: digest mismatch' "$T/out"
# a changed SignedInfo byte (the line break inside ds:Reference becomes a space)
$PY - "$S" si.xml <<'EOP'
import sys
s = open(sys.argv[1], encoding='utf-8').read()
a = '<ds:Reference URI="">\n<ds:Transforms>'
assert s.count(a) == 1
open(sys.argv[2], 'w', encoding='utf-8').write(s.replace(a, a.replace('\n', ' ')))
EOP
expect_rc 1 "cebgate verify refuses a changed SignedInfo byte" "$CEBGATE" verify --trust ca.pem si.xml
check "reason: wrong key (signature over SignedInfo)" grep -q 'FAILED: wrong key' "$T/out"
# a changed SignatureValue byte
awk '/<ds:SignatureValue>/ { sub(/<ds:SignatureValue>./, "<ds:SignatureValue>" ((substr($0, index($0, ">") + 1, 1) == "A") ? "B" : "A")) } { print }' \
    "$S" >sv.xml
check "signature value copy differs" sh -c "! cmp -s $S sv.xml"
expect_rc 1 "cebgate verify refuses a changed SignatureValue byte" "$CEBGATE" verify --trust ca.pem sv.xml
check "reason: wrong key" grep -q 'FAILED: wrong key' "$T/out"
# the same signature DER-encoded
$TOOL der "$S" der.xml || fail "make the DER copy"
expect_rc 1 "cebgate verify refuses a DER-encoded SignatureValue" "$CEBGATE" verify --trust ca.pem der.xml
check "reason names DER and r||s" grep -q 'FAILED: SignatureValue is a DER-encoded SM2 signature.*raw 64-byte r||s' "$T/out"
# a signer certified by an SM2 CA that is not trusted
expect_rc 0 "sign with the untrusted CA's signer" "$CEBGATE" -c rogue.conf sign -o rogue.xml in/CEB303Message.xml
expect_rc 0 "its signature itself is sound (no trust given)" "$CEBGATE" verify rogue.xml
expect_rc 1 "cebgate verify refuses a certificate from an untrusted SM2 CA" \
    "$CEBGATE" verify --trust ca.pem rogue.xml
check "reason: untrusted certificate" grep -q 'FAILED: untrusted certificate: CN=e2e SM2 intruder' "$T/out"
# an algorithm that does not fit the key
expect_rc 1 "sign_alg = rsa-sha1 with an SM2 key is refused" \
    "$CEBGATE" -c rsa.conf sign -o x.xml in/CEB303Message.xml
check "says the key is SM2" grep -q 'holds an SM2 key' "$T/err"

# another distinguishing identifier: [declare] sm2_id, cebgate verify --sm2-id, openssl distid
printf 'sm2_id = ALICE123@YAHOO.COM\n' | cat pem.conf - >id.conf
expect_rc 0 "sign with sm2_id set" "$CEBGATE" -c id.conf sign -o id.xml in/CEB303Message.xml
$TOOL split id.xml y || fail "split id.xml"
printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' \
    "$(head -c 32 y.rs | od -An -tx1 | tr -d ' \n')" "$(tail -c 32 y.rs | od -An -tx1 | tr -d ' \n')" >y.cnf
"$OPENSSL" asn1parse -genconf y.cnf -out y.der -noout >/dev/null
expect_rc 0 "openssl verifies it with distid ALICE123@YAHOO.COM" "$OPENSSL" dgst -sm3 \
    -verify signer.pub -sigopt distid:ALICE123@YAHOO.COM -signature y.der y.si
expect_rc 1 "openssl refuses it with the default distid" "$OPENSSL" dgst -sm3 \
    -verify signer.pub -sigopt "distid:$ID" -signature y.der y.si
expect_rc 1 "cebgate verify with the default identifier refuses it" "$CEBGATE" verify \
    --trust ca.pem id.xml
check "reason: wrong key, naming the identifier" grep -q "FAILED: wrong key.*identifier $ID" "$T/out"
expect_rc 0 "cebgate verify --sm2-id accepts it" "$CEBGATE" verify --trust ca.pem \
    --sm2-id ALICE123@YAHOO.COM id.xml
expect_rc 2 "--sm2-id without --trust is a usage error" "$CEBGATE" verify --sm2-id x id.xml

# RSA: rsa-sha1 when sign_alg is unset; rsa-sha256 only when asked for, with a warning
q "$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.pem -days 2 \
    -subj '/CN=e2e RSA signer' -extensions v3_req || fail "make the RSA key"
printf '[declare]\nkey_file = rsa.key\ncert_file = rsa.pem\nkey_name = 0001\n' >rsa1.conf
printf 'sign_alg = rsa-sha256\n' | cat rsa1.conf - >rsa256.conf
expect_rc 0 "an RSA key with sign_alg unset signs" "$CEBGATE" -c rsa1.conf sign -o rsa1.xml \
    in/CEB303Message.xml
check "with rsa-sha1, the specification's RSA algorithm" \
    grep -q 'Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"' rsa1.xml
check "and no warning" test ! -s "$T/err"
expect_rc 0 "sign_alg = rsa-sha256 signs" "$CEBGATE" -c rsa256.conf sign -o rsa256.xml \
    in/CEB303Message.xml
check "with a warning that the specification does not name it" \
    grep -q 'rsa-sha256 is not in the CEB specification' "$T/err"
# the template `cebgate init` writes says which algorithm to use when
expect_rc 0 "cebgate init" "$CEBGATE" init initdir
check "the template explains sign_alg: SM2 key sm2-sm3, RSA key rsa-sha1, rsa-sha256 on request" \
    sh -c "tr -d '#\n' <initdir/cebgate.conf | tr -s ' ' | grep -q 'unset, it follows the key: SM2 key sm2-sm3 .* RSA key rsa-sha1 .* rsa-sha256 is not in the specification'"

# the older smart-card form, signed here with openssl, verifies
$TOOL oldform in/CEB303Message.xml old.xml signer.key signer.pem || fail "make the older form"
check "older form uses the w3.org sm2-sm3 URI and SHA-1" sh -c \
    "grep -q 'xmldsig#sm2-sm3' old.xml && grep -q 'Algorithm=\"http://www.w3.org/2000/09/xmldsig#sha1\"' old.xml"
expect_rc 0 "cebgate verify accepts the older smart-card form" "$CEBGATE" verify --trust ca.pem old.xml
check "reported as sm2-sm3" grep -q 'OK: sm2-sm3 signature' "$T/out"
sed 's/<ceb:orderNo>/<ceb:orderNo>X/' old.xml >old-body.xml
expect_rc 1 "older form with a changed body byte is refused" "$CEBGATE" verify --trust ca.pem old-body.xml
check "reason: digest mismatch (SHA-1)" grep -q 'FAILED: digest mismatch' "$T/out"

# messages the builders make: `cebgate run` (folder transport) with the SM2 key, 3 orders with
# shipment data -> CEB303, CEB505, CEB603 each in outbox/, every one checked the same way
mkdir -p spool/incoming
cp "$CG_TESTDATA/mapping/catalog.csv" spool/catalog.csv
{
    printf '[general]\nworkdir = .\n[seller]\n'
    cat "$CG_TESTDATA/e2e/seller-codes.ini"
    printf 'catalog = catalog.csv\nprofile = own\n[declare]\ncop_code = 3301960001\n'
    printf 'cop_name = Acme Export\ndxp_id = DXPENT0000000001\nkey_file = %s\ncert_file = %s\n' \
        "$T/signer.key" "$T/signer.pem"
} >spool/cebgate.conf
$PY "$CG_SRCDIR/tests/e2e/spool-helper.py" orders own spool/incoming/orders.csv 3 ||
    fail "make orders"
expect_rc 0 "cebgate run signs the built messages with the SM2 key" \
    "$CEBGATE" -c spool/cebgate.conf run --no-progress
check "9 messages in outbox/" test "$(find spool/outbox -name 'CEB*.xml' | wc -l)" -eq 9
for t in 303 505 603; do
    for f in spool/outbox/CEB${t}Message_*.xml; do
        expect_rc 0 "built CEB$t passes the 202205 schema" xmllint --noout --nonet --schema "$XSD" "$f"
        check "built CEB$t: openssl verifies it, DigestValue is the SM3 of the document" indep "$f"
    done
done

# the port: trusts the SM2 CA, accepts the signatures of the SM2-signed inventory and of the
# older form, refuses the
# changed copies (1004, signature does not match) and the untrusted CA's signer (1001)
"$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout tls.key -out tls.pem -days 2 \
    -subj '/CN=sm2 test port' -addext subjectAltName=IP:127.0.0.1 2>/dev/null || fail "make TLS cert"
"$OPENSSL" rand -hex 24 >sender.token || fail "make the sender's token"
printf 'Authorization: Bearer %s\n' "$(cat sender.token)" >auth.hdr
# one sender: its token, the SM2 signer as its signing certificate, the samples' enterprise code
# (the intruder cannot be a sign_cert: the port refuses to start on one that does not verify
# against trust; its messages are refused for their CA before the sender is looked at)
printf '[port]\nlisten = 127.0.0.1\nport = 0\ntls_cert = tls.pem\ntls_key = tls.key\ntrust = ca.pem\ndatabase = port.db\n' \
    >port.conf
cp signer.pem sender-sign.pem
printf '[sender.sample]\ntoken_file = sender.token\nsign_cert = sender-sign.pem\ncodes = 1105910159\n' \
    >>port.conf
port_start port.conf
check "port started" test -n "$P"
# at_port FILE HTTP CODE WORDS DESCRIPTION
at_port() {
    s=$(curl -sS --cacert tls.pem -H @auth.hdr -H 'Content-Type: application/xml' --data-binary "@$1" \
        -o resp -w '%{http_code}' "https://127.0.0.1:$P/messages" 2>curl.err)
    if [ "$s" = "$2" ] && grep -q "\"code\":\"$3\"" resp && grep -q -- "$4" resp; then
        ok "$5 (HTTP $s, code $3)"
    else
        fail "$5: HTTP $s, expected $2 code $3 with '$4'"; sed 's/^/  body: /' resp; cat curl.err
    fi
}
# The official samples' own figures break the port's business rules (code 4003), which are
# checked after the signature (1001/1004) and the schema (0002): reaching them means accepted.
at_port "$S" 422 4003 'totalPrice 200 is not qty 100' \
    "port accepts the SM2 signature of the CEB603 (and then refuses the sample's totals)"
at_port old.xml 422 4003 'goodsValue 12345678912345.12345' \
    "port accepts the older smart-card form (and then refuses the sample's goodsValue)"
at_port body.xml 422 1004 'digest mismatch' "port refuses a changed body byte"
at_port si.xml 422 1004 'wrong key' "port refuses a changed SignedInfo byte"
at_port sv.xml 422 1004 'wrong key' "port refuses a changed SignatureValue byte"
# a signature of the wrong shape is 1001 (1004 is kept for a value that does not match)
at_port der.xml 422 1001 'DER-encoded SM2 signature' "port refuses a DER-encoded SignatureValue"
at_port rogue.xml 422 1001 'not trusted' "port refuses a signer from an untrusted SM2 CA"
port_stop

# the official 202205 samples: sm2-sm3 URIs over a copied RSA-1024 placeholder signature; the
# certificate check refuses the 1024-bit key before the algorithm is looked at
expect_rc 1 "official 202205 CEB213 sample does not verify" "$CEBGATE" verify "$SAMPLES/CEB213Message.xml"
check "reason: its placeholder certificate is RSA-1024, too weak to sign" \
    grep -q 'RSA key of 1024 bits is too weak' "$T/out"
finish
