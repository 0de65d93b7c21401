#!/bin/sh
# spool-keys.sh - signing keys in cebgate run: each key is loaded once per process, however
# many worker threads sign with it. The default key is a PKCS#12 bundle with its passphrase in
# an environment variable, seller shop has its own encrypted PEM key with a passphrase file;
# `cebgate -vv run --workers 2` over three sellers logs "signing key ... loaded" once per key
# (acme and jl share the default one), never a passphrase, and every message verifies. A wrong
# passphrase rejects that seller's orders with the reason naming the key file.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

DEFAULT_PASS='s3cret-default-pass'
SHOP_PASS='s3cret-shop-pass'
printf '%s\n' "$SHOP_PASS" >"$T/keys/shop.pass"
q "$OPENSSL" pkey -in "$T/keys/shop.key" -aes256 -passout "file:$T/keys/shop.pass" \
    -out "$T/keys/shop.enc" || fail "encrypt the shop key"
q "$OPENSSL" pkcs12 -export -inkey "$T/keys/signer.key" -in "$T/keys/signer.pem" \
    -passout "pass:$DEFAULT_PASS" -out "$T/keys/signer.p12" || fail "make the PKCS#12 bundle"
sed -e "s|^key_file = $T/keys/shop.key\$|key_file = $T/keys/shop.enc|" \
    -e "s|^cert_file = $T/keys/shop.pem\$|cert_file = $T/keys/shop.pem\\nkey_pass_file = $T/keys/shop.pass|" \
    -e "s|^key_file = $T/keys/signer.key\$|key_file = $T/keys/signer.p12|" \
    -e "s|^cert_file = $T/keys/signer.pem\$|key_pass_env = CG_E2E_KEY_PASS|" \
    "$W/cebgate.conf" >"$T/conf" && mv "$T/conf" "$W/cebgate.conf"
check "configuration uses the encrypted keys" \
    sh -c "grep -q 'shop.enc' '$W/cebgate.conf' && grep -q 'signer.p12' '$W/cebgate.conf'"
export CG_E2E_KEY_PASS="$DEFAULT_PASS"

mkdir -p "$W/incoming/acme" "$W/incoming/shop" "$W/incoming/jl"
$HELPER orders own "$W/incoming/acme/orders.csv" 6 1
$HELPER shipments "$W/shipments.csv" 4 101
$HELPER orders shopify "$W/incoming/shop/export.csv" 4 101
$HELPER orders jsonl "$W/incoming/jl/orders.jsonl" 5 201

expect_rc 0 "run with two workers over three sellers" cg -vv run --workers 2 --no-progress
check "15 orders accepted" grep -q 'orders: 15 accepted' "$T/out"
loaded() { grep -c "signing key $1 loaded" "$T/err"; }
check "the default key is loaded once" [ "$(loaded "$T/keys/signer.p12")" -eq 1 ]
check "the shop key is loaded once" [ "$(loaded "$T/keys/shop.enc")" -eq 1 ]
check "no other key loading" [ "$(grep -c 'signing key .* loaded' "$T/err")" -eq 2 ]
check "no passphrase in the output" \
    sh -c "! grep -q -e '$DEFAULT_PASS' -e '$SHOP_PASS' '$T/out' '$T/err'"
check "45 messages in outbox/" [ "$(count "$W/outbox" '*.xml')" -eq 45 ]
expect_rc 0 "cebgate verify accepts them all" \
    "$CEBGATE" verify --trust "$T/keys/ca.pem" "$W"/outbox/*.xml
check "shop's messages are signed with shop's key" \
    sh -c "grep -l 'SO-0000101' '$W'/outbox/CEB303* | xargs grep -l '<ds:KeyName>0002<' | grep -q ."

# A wrong passphrase: the shop orders are rejected with the reason, the others go out.
printf 'not-the-passphrase\n' >"$T/keys/shop.pass"
$HELPER orders shopify "$W/incoming/shop/more.csv" 4 301
$HELPER shipments "$W/shipments.csv" 4 301
$HELPER orders own "$W/incoming/acme/more.csv" 3 401
expect_rc 1 "a wrong passphrase fails the shop file" cg -vv run --workers 2 --no-progress
# (the rejection is one line of the run's report on stdout, not a log message)
check "the reason names the key and the passphrase" \
    grep -q "order SO-0000301: signing key: key file $T/keys/shop.enc: wrong passphrase" "$T/out"
check "the shop key was not loaded" [ "$(loaded "$T/keys/shop.enc")" -eq 0 ]
check "the default key is loaded once" [ "$(loaded "$T/keys/signer.p12")" -eq 1 ]
check "acme's orders still go out" [ "$(count "$W/outbox" 'CEB303*')" -eq 18 ]
check "no passphrase in the output" \
    sh -c "! grep -q -e 'not-the-passphrase' -e '$DEFAULT_PASS' '$T/out' '$T/err'"
finish
