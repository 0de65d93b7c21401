#!/bin/sh
# seeds.sh - seed corpora for the libFuzzer targets, taken from tests/data, data/ and examples/.
#
#   tests/fuzz/seeds.sh SRCDIR OUTDIR
#
# Makes OUTDIR/<target>/ for each target of tests/fuzz/ (see README.md there). Receipts are
# also seeded wrapped in a DXP envelope (base64 Data) so both shapes are covered. The hostile
# inputs of tests/data/bad/ are added to the target that reads their kind.
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
        [ -f "$f" ] && cp "$f" "$out/$t/$(echo "$f" | sed "s|^$src/||; s|/|_|g")"
    done
    return 0
}
seed order-own "$td"/mapping/own/orders.csv "$td"/bad/orders/*.csv
seed order-own-gb18030 "$td"/mapping/own-gbk/orders.csv "$td"/bad/orders/*.csv
seed order-jsonl "$td"/mapping/jsonl/orders.jsonl "$td"/bad/orders/*.jsonl
seed order-shopify "$td"/mapping/shopify/orders_export.csv
seed order-amazon "$td"/mapping/amazon/all-orders.txt
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
seed port "$td"/port/*.xml "$td"/sign/*.xml "$td"/declare/samples/2018/CEB[0-9][0-9][13579]Message.xml
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
