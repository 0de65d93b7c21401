#!/bin/sh
# make-previous-release.sh - how tests/data/store/previous-release.db was made: a small real
# batch (cebgate init, 5 orders from two sellers, receipts: 2 released, 1 rejected) run by a
# cebgate built from the commit named in README.md, then copied into one file with VACUUM INTO.
# Run from a build directory: CEBGATE=./cebgate CG_SRCDIR=.. CG_TESTDATA=../tests/data \
#   CEBGATE_DATADIR=../data sh ../tests/data/store/make-previous-release.sh OUT.db
set -eu
out=${1:?output file}
. "$CG_SRCDIR/tests/e2e/spool-lib.sh"
"$CEBGATE" init "$W" >/dev/null
mkdir -p "$W/incoming/acme" "$W/incoming/jl"
$HELPER orders own "$W/incoming/acme/orders.csv" 3 1
$HELPER orders jsonl "$W/incoming/jl/orders.jsonl" 2 201
cg run --no-progress >/dev/null
mkdir "$T/rel" "$T/rej"
for o in SO-0000001 SO-0000201; do
    for g in $(sql "SELECT d.guid FROM documents d JOIN orders o ON o.id = d.order_id
                    WHERE o.order_no = '$o'"); do
        cp "$W"/outbox/*"_$g.xml" "$T/rel/"
    done
done
g=$(sql "SELECT d.guid FROM documents d JOIN orders o ON o.id = d.order_id
         WHERE o.order_no = 'SO-0000002' AND d.msg_type = 303")
cp "$W/outbox/CEB303Message_$g.xml" "$T/rej/"
$HELPER receipts "$T/rel" "$W/inbox" 2 800 >/dev/null
$HELPER receipts "$T/rej" "$W/inbox" 100 >/dev/null
cg run --no-progress >/dev/null
rm -f "$out"
sql "VACUUM INTO '$out'"
