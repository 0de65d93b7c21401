# port-lib.sh - set-up shared by the port-*.sh tests with several senders over TLS on loopback:
# port_senders makes a self-signed server certificate for 127.0.0.1 and, for each sender named,
# a signing certificate (WHO.pem, WHO.key), a token (WHO.token, its header in WHO.hdr) and a
# signing configuration (WHO-sign.conf); order signs a test order of its own for a sender.
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"

: "${OPENSSL:=openssl}"
D=$CG_TESTDATA/port
cd "$T" || exit 1

mk_self() { # name CN extension
    "$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 60 \
        -subj "/CN=$2" -addext "$3" 2>/dev/null
}
# port_senders WHO...: the server's certificate, and each sender's certificate, token,
# signing configuration and enterprise code (WHO.code: the test order's platform code 3301964J31
# for the first, 3301964J32, 3301964J33 ... for the others: no two senders share a code)
port_senders() {
    mk_self server "cebgate test port" "subjectAltName=IP:127.0.0.1"
    n=31
    for s in "$@"; do
        printf '3301964J%s\n' $n >"$s.code"
        n=$((n + 1))
        mk_self "$s" "signer of sender $s" "basicConstraints=critical,CA:FALSE"
        "$OPENSSL" rand -hex 24 >"$s.token" && chmod 600 "$s.token"
        printf 'Authorization: Bearer %s\n' "$(cat "$s.token")" >"$s.hdr"
        printf '[declare]\nkey_file = %s/%s.key\ncert_file = %s/%s.pem\nsign_alg = rsa-sha256\n' \
            "$T" "$s" "$T" "$s" >"$s-sign.conf"
    done
}
# order WHO N: the order with guids and order number of its own (ORDER_TAG, one digit, tells
# the tests apart; N one digit), on WHO's platform code, signed by WHO into WHO-N.xml
order() {
    sed -e "s/-000000000001\"/-000000000${ORDER_TAG}0$2\"/" \
        -e "s/-0000000000A1</-000000000${ORDER_TAG}A$2</" \
        -e "s/<ceb:ebpCode>3301964J31</<ceb:ebpCode>$(cat "$1.code")</" \
        -e "s/PORT-ORDER-0001/PORT-ORDER-0${ORDER_TAG}0$2/" "$D/CEB303Message.xml" >"$1-$2.in" &&
        "$CEBGATE" -c "$1-sign.conf" sign -o "$1-$2.xml" "$1-$2.in"
}
# port_conf KEYS WHO...: port.conf for the senders port_senders made: TLS on 127.0.0.1 (any free
# port), their signing certificates trusted, receipts at once, KEYS (lines "key = value") added
# to [port], and a [sender.WHO] for each, declaring for its own code (WHO.code)
port_conf() {
    keys=$1
    shift
    trust=$(printf '%s.pem, ' "$@")
    {
        printf '[port]\nlisten = 127.0.0.1\nport = 0\ntls_cert = server.pem\n'
        printf 'tls_key = server.key\ntrust = %s\ndatabase = port.db\n' "${trust%, }"
        printf 'accept_ms = 0\nrelease_ms = 0\nclose_ms = 0\n%s\n' "$keys"
        for s in "$@"; do
            printf '[sender.%s]\ntoken_file = %s.token\nsign_cert = %s.pem\n' "$s" "$s" "$s"
            printf 'codes = %s\n' "$(cat "$s.code")"
        done
    } >port.conf
}
