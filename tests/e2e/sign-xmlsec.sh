#!/bin/sh
# sign-xmlsec.sh - every official 2018 sample request, signed by `cebgate sign`, verifies with
# the xmlsec1 command-line tool and with `cebgate verify`; a copy with one changed byte in the
# body, one in the signature value, and with the signature moved is rejected with the reason.
# Keys: a test CA and a signer certificate made here with openssl; PEM with rsa-sha1, and a
# PKCS#12 bundle with rsa-sha256 and the passphrase in an environment variable.
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"
: "${XMLSEC1:?xmlsec1 not found by configure}"
OPENSSL=${OPENSSL:-openssl}

cd "$T" || exit 1
q() { "$@" >/dev/null 2>&1; }
printf 'extra pass phrase\n' >pass.txt
q "$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
    -subj '/CN=e2e test CA' || fail "make CA"
q "$OPENSSL" req -newkey rsa:2048 -nodes -keyout key.pem -out req.csr \
    -subj '/CN=e2e signer/O=Example Export Co' || fail "make key"
q "$OPENSSL" x509 -req -in req.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cert.pem \
    -days 2 || fail "make cert"
q "$OPENSSL" pkcs12 -export -inkey key.pem -in cert.pem -passout file:pass.txt -out key.p12 ||
    fail "make PKCS#12"
q "$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 2 \
    -subj '/CN=another seller' -addext basicConstraints=critical,CA:FALSE || fail "make second key"

cat >cebgate.conf <<EOC
[declare]
key_file = key.pem
cert_file = cert.pem
key_name = 0001
[seller.acme]
key_file = other.key
cert_file = other.pem
key_name = 0002
EOC
printf '[declare]\nsign_alg = rsa-sha256\nkey_file = key.p12\nkey_pass_env = CG_E2E_PASS\nkey_name = 0001\n' \
    >p12.conf

mkdir signed signed256
for f in "$CG_TESTDATA"/sign/CEB*Message.xml; do
    b=$(basename "$f")
    expect_rc 0 "sign $b" "$CEBGATE" -c cebgate.conf sign --replace -o "signed/$b" "$f"
    expect_rc 0 "xmlsec1 --verify accepts $b" "$XMLSEC1" --verify --trusted-pem ca.pem "signed/$b"
    expect_rc 0 "cebgate verify accepts $b" "$CEBGATE" verify --trust ca.pem "signed/$b"
    check "verify names the signer of $b" grep -q "OK: rsa-sha1 signature by .*e2e signer" "$T/out"
    CG_E2E_PASS='extra pass phrase' expect_rc 0 "sign $b with PKCS#12, rsa-sha256" \
        "$CEBGATE" -c p12.conf sign --replace -o "signed256/$b" "$f"
    expect_rc 0 "xmlsec1 --verify accepts rsa-sha256 $b" "$XMLSEC1" --verify --trusted-pem ca.pem \
        "signed256/$b"
    expect_rc 0 "cebgate verify accepts rsa-sha256 $b" "$CEBGATE" verify --trust ca.pem \
        "signed256/$b"
done
check "rsa-sha256 in the document" grep -q 'xmldsig-more#rsa-sha256' signed256/CEB603Message.xml

# a message without a signature, as a seller's tool writes it (no declaration, CR LF, single
# quotes, a comment): signed from its bytes, it verifies with xmlsec1, and removing the
# Signature gives back the input byte for byte
mkdir unsigned
for f in signed/CEB*Message.xml; do
    b=$(basename "$f")
    python3 - "$f" "unsigned/$b" <<'EOP'
import re, sys
s = open(sys.argv[1], encoding='utf-8').read()
i = s.index('<ds:Signature'); j = s.index('</ds:Signature>') + len('</ds:Signature>')
s = s[:i] + s[j:]
s = s[s.index('?>') + 2:].lstrip('\n').replace('\n', '\r\n')
s = re.sub(r'version="1.0"', "version='1.0'", s, count=1)
open(sys.argv[2], 'w', encoding='utf-8', newline='').write('<!-- from the shop -->\r\n' + s)
EOP
    expect_rc 0 "sign unsigned $b" "$CEBGATE" -c cebgate.conf sign -o "unsigned/$b.signed" "unsigned/$b"
    expect_rc 0 "xmlsec1 --verify accepts unsigned $b signed" "$XMLSEC1" --verify \
        --trusted-pem ca.pem "unsigned/$b.signed"
    check "signing unsigned $b only added the Signature before the root's end tag" python3 - \
        "unsigned/$b" "unsigned/$b.signed" <<'EOP'
import sys
a = open(sys.argv[1], 'rb').read(); s = open(sys.argv[2], 'rb').read()
i = s.index(b'<ds:Signature'); j = s.index(b'</ds:Signature>') + len(b'</ds:Signature>')
assert s[:i] + s[j:] == a and s[j:].lstrip().startswith(b'</'), 'input not kept'
EOP
done

S=signed/CEB603Message.xml
check "signature is the last child of the root" sh -c "tail -c 60 $S | tr -d '\n' | grep -q '</ds:Signature></ceb:CEB603Message>'"
check "KeyName before X509Data" sh -c "tr -d '\n' <$S | grep -q '<ds:KeyInfo><ds:KeyName>0001</ds:KeyName><ds:X509Data><ds:X509Certificate>'"

# one changed byte in the body
sed 's/<ceb:qty>100</<ceb:qty>900</' "$S" >body.xml
check "body copy differs" sh -c "! cmp -s $S body.xml"
expect_rc 1 "cebgate verify rejects a changed body byte" "$CEBGATE" verify --trust ca.pem body.xml
check "reason: digest mismatch" grep -q 'FAILED: digest mismatch' "$T/out"
expect_rc 1 "xmlsec1 rejects a changed body byte" "$XMLSEC1" --verify --trusted-pem ca.pem body.xml

# one changed byte in the signature value (the first character after the opening tag line)
awk '/<ds:SignatureValue>/ { n = NR + 1 } NR == n { c = substr($0, 1, 1); r = (c == "A") ? "B" : "A"; $0 = r substr($0, 2) } { print }' \
    "$S" >sig.xml
check "signature copy differs" sh -c "! cmp -s $S sig.xml"
expect_rc 1 "cebgate verify rejects a changed signature byte" "$CEBGATE" verify --trust ca.pem sig.xml
check "reason: wrong key" grep -q 'FAILED: wrong key' "$T/out"
expect_rc 1 "xmlsec1 rejects a changed signature byte" "$XMLSEC1" --verify --trusted-pem ca.pem sig.xml

# the signature moved from the end of the root into the first Inventory
python3 - "$S" moved.xml <<'EOP'
import sys
s = open(sys.argv[1], encoding='utf-8').read()
i = s.index('<ds:Signature'); j = s.index('</ds:Signature>') + len('</ds:Signature>')
sig, rest = s[i:j], s[:i] + s[j:]
k = rest.index('<ceb:Inventory>') + len('<ceb:Inventory>')
open(sys.argv[2], 'w', encoding='utf-8').write(rest[:k] + sig + rest[k:])
EOP
expect_rc 1 "cebgate verify rejects a moved signature" "$CEBGATE" verify --trust ca.pem moved.xml
check "reason: does not cover the root" grep -q 'FAILED: signature does not cover the root element' "$T/out"

# a second signature, and no signature
python3 - "$S" two.xml <<'EOP'
import sys
s = open(sys.argv[1], encoding='utf-8').read()
i = s.index('<ds:Signature'); j = s.index('</ds:Signature>') + len('</ds:Signature>')
k = s.index('<ceb:Inventory>') + len('<ceb:Inventory>')
open(sys.argv[2], 'w', encoding='utf-8').write(s[:k] + s[i:j] + s[k:])
EOP
expect_rc 1 "cebgate verify rejects a second Signature" "$CEBGATE" verify --trust ca.pem two.xml
check "reason: more than one" grep -q 'FAILED: more than one ds:Signature' "$T/out"
expect_rc 1 "unsigned official sample (placeholder signature) fails" "$CEBGATE" verify "$CG_TESTDATA/sign/CEB603Message.xml"

# trust
expect_rc 1 "untrusted certificate" "$CEBGATE" verify --trust other.pem "$S"
check "reason: untrusted certificate" grep -q 'FAILED: untrusted certificate' "$T/out"
expect_rc 2 "unreadable trust file" "$CEBGATE" verify --trust pass.txt "$S"

# a seller's own key
expect_rc 0 "sign with the key of [seller.acme]" "$CEBGATE" -c cebgate.conf sign --seller acme \
    --replace -o acme.xml "$S"
expect_rc 0 "seller signature verifies against its certificate" "$CEBGATE" verify --trust other.pem acme.xml
check "KeyName of the seller" grep -q 'KeyName 0002' "$T/out"

# refusals
expect_rc 1 "an already signed file is refused without --replace" "$CEBGATE" -c cebgate.conf sign "$S"
check "says to use --replace" grep -q -- '--replace' "$T/err"
expect_rc 2 "PKCS#12 without its passphrase variable (configuration error)" env -u CG_E2E_PASS "$CEBGATE" -c p12.conf sign --replace "$S"
check "names the variable" grep -q 'CG_E2E_PASS' "$T/err"
CG_E2E_PASS='not it' expect_rc 1 "PKCS#12 with a wrong passphrase" "$CEBGATE" -c p12.conf sign --replace "$S"
check "says wrong passphrase" grep -q 'wrong passphrase' "$T/err"
check "passphrase not echoed" sh -c "! grep -q 'not it' '$T/err'"
expect_rc 2 "sign without FILE" "$CEBGATE" -c cebgate.conf sign

# Before: verify printed the signer's subject, the KeyName text, the reasons and the file name as
# they came, so a received file put raw control and bidi characters on the terminal. Each is
# escaped as the port escapes its answers (cg_text_show): control bytes as \xNN, C1 controls
# and bidi format characters as \u{XXXX}. The subject's CN holds ESC, a newline and U+202E (the
# right-to-left override); OpenSSL writes the first two as RFC 2253 escapes (\1B, \0A). XML
# refuses ESC even as a character reference, so the KeyName holds a newline, U+009B (the C1
# control that starts a terminal sequence as ESC [ does) and U+202E.
ESC=$(printf '\033')
NL=$(printf '\nx')
NL=${NL%x}
RLO=$(printf '\342\200\256')
q "$OPENSSL" req -x509 -utf8 -newkey rsa:2048 -nodes -keyout evil.key -out evil.pem -days 2 \
    -set_serial 0x5EED -subj "/CN=a${ESC}b${NL}c${RLO}d" -addext basicConstraints=critical,CA:FALSE ||
    fail "make the certificate with control characters"
printf '[declare]\nkey_file = evil.key\ncert_file = evil.pem\nkey_name = 0009\n' >evil.conf
expect_rc 0 "sign with it" "$CEBGATE" -c evil.conf sign --replace -o evil0.xml "$S"
# the KeyName is outside what the signature covers (the enveloped transform drops ds:Signature)
python3 - <<'EOP'
x = open("evil0.xml", encoding="utf-8").read()
open("evil.xml", "w", encoding="utf-8").write(
    x.replace("<ds:KeyName>0009</ds:KeyName>", "<ds:KeyName>k\n\u009b31m\u202ez</ds:KeyName>"))
EOP
cp evil.xml "x${ESC}[2Jy.xml"
UNTIL=$("$OPENSSL" x509 -in evil.pem -noout -enddate | sed 's/^notAfter=//')
expect_rc 0 "a subject and KeyName with control and bidi characters verify" \
    "$CEBGATE" verify evil.xml "x${ESC}[2Jy.xml"
check "... shown escaped, one line each" test "$(cat "$T/out")" = \
"evil.xml: OK: rsa-sha1 signature by CN=a\\1Bb\\0Ac\\u{202E}d (serial 5EED, KeyName k\\x0A\\u{009B}31m\\u{202E}z, valid until $UNTIL); certificate not checked against trusted ones (--trust)
x\\x1B[2Jy.xml: OK: rsa-sha1 signature by CN=a\\1Bb\\0Ac\\u{202E}d (serial 5EED, KeyName k\\x0A\\u{009B}31m\\u{202E}z, valid until $UNTIL); certificate not checked against trusted ones (--trust)"
expect_rc 1 "the same signer, not trusted" "$CEBGATE" verify --trust other.pem evil.xml
check "... the reason quoting its subject escaped" test "$(cat "$T/out")" = \
    "evil.xml: FAILED: untrusted certificate: CN=a\\1Bb\\0Ac\\u{202E}d: self-signed certificate"
check "... nothing raw on the terminal" sh -c "! grep -q '$ESC\\|$RLO' '$T/out'"
finish
