#!/bin/sh
# seeds.sh - seed corpora for the libFuzzer targets, taken from tests/data, data/ and examples/.
#
#   tests/fuzz/seeds.sh SRCDIR OUTDIR
#
# Makes OUTDIR/<target>/ for each target of tests/fuzz/ (see README.md there). Receipts are
# also seeded wrapped in a DXP envelope (base64 Data) so both shapes are covered. The hostile
# inputs of tests/data/bad/ are added to the target that reads their kind. With $CEBGATE set,
# validly signed messages are added and OUTDIR/verify-trust.pem is their certificate.
set -eu
src=$1
out=$2
td=$src/tests/data
mkdir -p "$out"
seed() { # target file...
    t=$1
    shift
    mkdir -p "$out/$t"
    for f in "$@"; do
        case $f in *.expect) continue ;; esac
        [ -f "$f" ] && cp "$f" "$out/$t/$(echo "$f" | sed "s|^$src/||; s|/|_|g")"
    done
    return 0
}
seed order-own "$td"/mapping/own/orders.csv "$td"/bad/orders/*.csv
seed order-own-gb18030 "$td"/mapping/own-gbk/orders.csv "$td"/bad/orders/*.csv
seed order-jsonl "$td"/mapping/jsonl/orders.jsonl "$td"/bad/orders/*.jsonl
seed order-shopify "$td"/mapping/shopify/orders_export.csv "$td"/mapping/excel/orders_export.csv
seed order-amazon "$td"/mapping/amazon/all-orders.txt "$td"/mapping/excel/all-orders-excel.txt \
    "$td"/mapping/excel/all-orders.csv
seed catalog "$td"/mapping/catalog.csv "$src"/examples/catalog-*.csv "$td"/bad/catalog/*
seed shipments "$td"/mapping/shipments.csv "$src"/examples/shipments-*.csv "$td"/bad/shipments/*
seed profile "$src"/data/profiles/*.ini "$src"/examples/profiles/*.ini "$td"/bad/profiles/*
seed conf "$td"/e2e/seller-codes.ini "$td"/bad/config/*
if [ -f "$src"/examples/cebgate.conf.in ]; then
    cp "$src"/examples/cebgate.conf.in "$out"/conf/cebgate.conf
    cp "$src"/examples/port.conf.in "$out"/conf/port.conf
fi
seed receipt "$td"/declare/receipts/*.xml "$td"/declare/samples/*/CEB[0-9][0-9][02468]Message.xml \
    "$td"/bad/receipts/*
seed verify "$td"/sign/*.xml "$td"/bad/signed/*
seed c14n "$td"/declare/samples/*/*.xml "$td"/sign/*.xml "$td"/bad/signed/*
seed statement "$src"/examples/statements/* "$td"/settle/*
seed refund "$td"/refund/* "$src"/data/refund-rates.csv
seed port "$td"/port/*.xml "$td"/sign/*.xml "$td"/declare/samples/2018/CEB[0-9][0-9][13579]Message.xml
# Messages with a valid signature for fuzz-verify and fuzz-port, when $CEBGATE names a built
# cebgate: a throw-away self-signed key from openssl signs two samples (rsa-sha1, rsa-sha256).
if [ -n "${CEBGATE:-}" ] && [ -x "$CEBGATE" ] && command -v openssl >/dev/null 2>&1; then
    k=$(mktemp -d "${TMPDIR:-/tmp}/cg-seed-key.XXXXXX")
    if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$k/key.pem" -out "$k/cert.pem" \
        -days 2 -subj '/CN=fuzz seed signer' >/dev/null 2>&1; then
        for alg in rsa-sha1 rsa-sha256; do
            printf '[declare]\nsign_alg = %s\nkey_file = %s\ncert_file = %s\nkey_name = 0001\n' \
                "$alg" "$k/key.pem" "$k/cert.pem" >"$k/c.conf"
            for m in CEB303Message CEB603Message; do
                "$CEBGATE" -c "$k/c.conf" sign --replace -o "$out/verify/signed-$alg-$m.xml" \
                    "$td/sign/$m.xml" >/dev/null 2>&1 &&
                    cp "$out/verify/signed-$alg-$m.xml" "$out/port/"
            done
        done
        cp "$k/cert.pem" "$out/verify-trust.pem"
    fi
    rm -rf "$k"
fi
# Receipts inside a DXP envelope, as the sender gets them.
for f in "$out"/receipt/*.xml; do
    case $f in *-dxp.xml) continue ;; esac
    {
        printf '<?xml version="1.0" encoding="UTF-8"?>\n'
        printf '<dxp:DxpMsg xmlns:dxp="http://www.chinaport.gov.cn/dxp" ver="1.0">'
        printf '<dxp:TransInfo><dxp:CopMsgId>00000000-0000-0000-0000-000000000001</dxp:CopMsgId>'
        printf '<dxp:SenderId>DXPEDCCEB0000002</dxp:SenderId><dxp:ReceiverIds>'
        printf '<dxp:ReceiverId>DXPENT0000000001</dxp:ReceiverId></dxp:ReceiverIds>'
        printf '<dxp:CreatTime>2026-01-01T00:00:00</dxp:CreatTime><dxp:MsgType>CEB</dxp:MsgType>'
        printf '</dxp:TransInfo><dxp:Data>'
        base64 -w0 "$f"
        printf '</dxp:Data></dxp:DxpMsg>\n'
    } >"${f%.xml}-dxp.xml"
done
