#!/bin/sh
# settle-403-watch.sh - `cebgate watch` sends again, once and without a restart, a payment
# receipt (CEB403) the port refused before storing it, when the broker fixes the cause. Against
# `cebgate port` over loopback TLS: two orders of a seller with payments = collections are
# declared and released; watch runs (a pass every second) signing with a certificate the port
# does not trust, and a collection for each order makes one CEB403 each, refused with 1001.
# Passes after that send nothing. Then:
# 1. the trusted key and certificate are copied over the configured files: watch loads them
#    again and declares each CEB403 once more (version 2, an add), accepted; nothing after.
# 2. the broker signs with a certificate the CA issued but no sender registered: a changed
#    collection makes SO-0000301's version 3 (a modify), refused with 1001, sent once. The port
#    registers the certificate (restarted on the same TCP port); watch sends nothing until
#    SIGHUP, then version 4 (a modify), accepted, once.
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
. "${CG_SRCDIR:-.}/tests/e2e/watch-lib.sh"
port_conf "$T/port.conf" "$T/port.db"
port_start -d "$T" -r "$T/port.conf"
untrusted_signer || fail "make the untrusted certificate"
# reg.key/reg.pem: issued by the port's trusted CA, not (yet) any sender's sign_cert
(
    cd "$K" &&
        q "$OPENSSL" req -newkey rsa:2048 -nodes -keyout reg.key -out reg.csr \
            -subj "/CN=test signer to register" &&
        : >reg.ext &&
        q "$OPENSSL" x509 -req -in reg.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -out reg.pem -days 2 -extfile reg.ext
) || fail "make the certificate to register"
sign_with signer
sender_conf
collections_conf
mkdir -p "$W/incoming/acme"
$HELPER orders own "$W/incoming/acme/orders.csv" 2 301 || fail "make orders"
# pay_within DESCRIPTION WANT ORDER...: pay ORDER... gives WANT within 30 s
pay_within() {
    d=$1
    want=$2
    shift 2
    if within 300 "test \"\$(pay $*)\" = '$want'"; then ok "$d"; else
        fail "$d: $(pay "$@"), expected $want"
        sed 's/^/  watch: /' "$T/watch.err" | tail -10
    fi
}

# The orders, signed with the trusted key: declared and released, no CEB403 yet.
expect_rc 0 "two orders declared with the trusted key" cg run --no-progress
run_until "documents WHERE msg_type = 603 AND state IN ('released', 'closed')" 2
check "both inventories released" \
    test "$(count "documents WHERE msg_type = 603 AND state IN ('released', 'closed')")" = 2
check "no CEB403 yet" test "$(count "documents WHERE msg_type = 403")" = 0
check "the port received the 6 messages of the orders" test "$(pstat received)" = 6

# watch signs with the untrusted key; a collection of USD 20.00 for each order.
sign_with stranger
"$CEBGATE" -c "$W/cebgate.conf" watch --retry 1 --no-progress >"$T/watch.out" \
    2>"$T/watch.err" &
WPID=$!
DAY=$(date -u +%Y-%m-%d)
{
    echo receipt_id,date,value_date,currency,amount,order_no
    echo "BANK-301,$DAY,$DAY,USD,20.00,SO-0000301"
    echo "BANK-302,$DAY,$DAY,USD,20.00,SO-0000302"
} >"$T/collections-1.csv"
mv "$T/collections-1.csv" "$W/incoming/acme/collections-1.csv"
pay_within "each CEB403 version 1, an add, refused with 1001" \
    "1:1:rejected:1001/1:1:rejected:1001/" SO-0000301 SO-0000302
passes
check "passes without a change send nothing again: $(pay SO-0000301 SO-0000302)" \
    test "$(pay SO-0000301 SO-0000302)" = "1:1:rejected:1001/1:1:rejected:1001/"
check "the port received 8 messages, refused 2 with 1001, stores 6 documents" \
    test "$(pstat received)/$(pstat 'code 1001')/$(pstat documents)" = 8/2/6

# 1. The trusted pair copied over the configured files, watch still running.
sign_with signer
pay_within "watch declares each CEB403 again, version 2, an add, accepted" \
    "1:1:rejected:1001 2:1:accepted:120/1:1:rejected:1001 2:1:accepted:120/" \
    SO-0000301 SO-0000302
check "watch said it loaded the keys again" grep -q "signing keys loaded again" "$T/watch.out"
passes
check "passes after that send nothing: $(pay SO-0000301 SO-0000302)" \
    test "$(pay SO-0000301 SO-0000302)" = \
    "1:1:rejected:1001 2:1:accepted:120/1:1:rejected:1001 2:1:accepted:120/"
check "the port received 10 messages, refused 2 with 1001, stores 8 documents" \
    test "$(pstat received)/$(pstat 'code 1001')/$(pstat documents)" = 10/2/8
"$CEBGATE" -c "$T/port.conf" port --documents >"$T/port-docs.tsv" 2>"$T/err" || fail "port --documents"
awk -F'\t' '$1 == "CEB403" { print $2 }' "$T/port-docs.tsv" | sort >"$T/port-403"
sql "SELECT guid FROM documents WHERE msg_type = 403" | sort >"$T/our-403"
check "the port holds one CEB403 per order, the sender's current versions" \
    test "$(wc -l <"$T/port-403")" = 2 -a "$(cmp -s "$T/port-403" "$T/our-403" && echo same)" = same

# A key file caught half copied: the pass stops (a file dropped meanwhile is not taken), each
# pass tries again, and the whole file loads.
nwarn() { grep -c "signing key: .*sign.key.*tried again at the next pass" "$T/watch.err"; }
head -c 600 "$K/reg.key" >"$W/sign.key"
check "watch reports the key it cannot load" within 300 "[ \"\$(nwarn)\" -ge 1 ]"
n0=$(nwarn)
printf 'not,an,order\n' >"$T/held.csv"
mv "$T/held.csv" "$W/incoming/acme/held.csv"
check "and tries again at each pass" within 300 "[ \"\$(nwarn)\" -ge $((n0 + 2)) ]"
check "a pass with a key that does not load takes no file" test -f "$W/incoming/acme/held.csv"
check "the message names the file, not its content" \
    test "$(grep -c -e 'PRIVATE' -e 'MII' "$T/watch.err")" = 0

# 2. A certificate the port does not know as the sender's; USD 5.00 more for SO-0000301.
sign_with reg
check "the whole key loads and the held file is taken" \
    within 300 "test -f '$W/failed/acme/held.csv'"
passes
{
    echo receipt_id,date,value_date,currency,amount,order_no
    echo "BANK-301B,$DAY,$DAY,USD,5.00,SO-0000301"
} >"$T/collections-2.csv"
mv "$T/collections-2.csv" "$W/incoming/acme/collections-2.csv"
pay_within "SO-0000301's CEB403 version 3, a modify, refused with 1001" \
    "1:1:rejected:1001 2:1:accepted:120 3:2:rejected:1001/" SO-0000301
check "with the reason: not one of this sender's certificates" \
    test "$(sql "SELECT count(*) FROM messages m JOIN documents d ON d.id = m.document_id
                 WHERE d.msg_type = 403 AND m.version = 3 AND m.status LIKE '1001%the signing certificate is not one of this sender%'")" = 1
passes
check "the port received 11 messages, refused 3 with 1001" \
    test "$(pstat received)/$(pstat 'code 1001')" = 11/3
# The port registers the certificate: restarted on the same TCP port with reg.pem as well.
port_stop
cat "$K/signers.pem" "$K/reg.pem" >"$K/signers-reg.pem"
sed -e "s/^port = 0\$/port = $P/" -e "s|^sign_cert = .*|sign_cert = $K/signers-reg.pem|" \
    "$T/port.conf" >"$T/port.conf.x" && mv "$T/port.conf.x" "$T/port.conf"
OLD_P=$P
port_start -d "$T" -r "$T/port.conf"
check "the port is back on the same TCP port ($P)" test "$P" = "$OLD_P"
passes
check "without SIGHUP watch sends nothing again: $(pay SO-0000301)" \
    test "$(pay SO-0000301)" = "1:1:rejected:1001 2:1:accepted:120 3:2:rejected:1001/"
check "the port still received 11 messages" test "$(pstat received)" = 11
kill -HUP "$WPID"
pay_within "after SIGHUP, version 4, a modify, accepted" \
    "1:1:rejected:1001 2:1:accepted:120 3:2:rejected:1001 4:2:accepted:120/" SO-0000301
check "watch said so" grep -q "^SIGHUP: signing keys loaded again" "$T/watch.out"
passes
check "once: $(pay SO-0000301 SO-0000302)" test "$(pay SO-0000301 SO-0000302)" = \
    "1:1:rejected:1001 2:1:accepted:120 3:2:rejected:1001 4:2:accepted:120/1:1:rejected:1001 2:1:accepted:120/"
check "the port received 12 messages, refused 3 with 1001" \
    test "$(pstat received)/$(pstat 'code 1001')" = 12/3
check "no key material in watch's output" \
    test "$(cat "$T/watch.out" "$T/watch.err" | grep -c -e 'PRIVATE KEY' -e 'BEGIN CERT')" = 0
check "the same watch process did all of it" kill -0 "$WPID"
watch_stop
[ -n "${WK_DEBUG:-}" ] && cp "$T/watch.out" "$T/watch.err" "$WK_DEBUG/"
port_stop
finish
