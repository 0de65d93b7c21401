#!/bin/sh
# http-payments.sh - payment receipts over HTTPS: a seller whose payments come from the shop
# sends a CEB403 per paid order beside its CEB303, 505 and 603 to `cebgate port` over loopback
# TLS; the port answers each with CEB404 receipts, polled back until nothing waits; every 403
# ends accepted, and the port's and the sender's databases agree document by document.
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
N=20
port_conf "$T/port.conf" "$T/port.db"
port_start -d "$T" -r "$T/port.conf"
sender_conf
sed -i 's/^profile = own$/profile = own\npayments = shop/' "$W/cebgate.conf"
mkdir -p "$W/incoming"
{
    echo order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight,pay_name,pay_no,pay_time
    i=1
    while [ $i -le $N ]; do
        printf 'SO-%07d,USD,US,USNY,5.00,TS-001,Tee,1,3.50,3120980105,SF Express,SF9%012d,2.5,PayPal,PAY-%d,2026-01-01T08:00:00Z\n' $i $i $i
        i=$((i + 1))
    done
} >"$W/incoming/paid.csv"

expect_rc 0 "the first run sends everything over HTTPS" cg run --no-progress
check "$((N * 4)) messages signed and sent" \
    grep -q "$((N * 4)) signed, $((N * 4)) queued, $((N * 4)) sent, 0 waiting to be sent, 0 refused" "$T/out"
check "one CEB403 per order" [ "$(sql "SELECT count(DISTINCT o.id) FROM documents d
    JOIN orders o ON o.id = d.order_id WHERE d.msg_type = 403")" -eq $N ]
run_until_done 20 || fail "documents still wait after $RUNS runs: $(cat "$T/runs" | tr '\n' ' ')"
check "every CEB403 is accepted (CEB404 120)" [ "$(sql "SELECT count(*) FROM documents
    WHERE msg_type = 403 AND state = 'accepted' AND status = '120'")" -eq $N ]
check "their CEB404 receipts were applied" [ "$(sql "SELECT count(*) FROM receipts
    WHERE msg_type = 404 AND outcome = 'applied'")" -ge $N ]
compare_sides
check "the port has every document ($(cmp_val sender) sent, $(cmp_val port) at the port)" \
    [ "$(cmp_val sender)" = $((N * 4)) ] && [ "$(cmp_val port)" = $((N * 4)) ]
for k in missing-at-port unknown-to-sender type-differs status-differs; do
    check "$k: 0" [ "$(cmp_val $k)" = 0 ]
done
check "the port has $N CEB403" [ "$(awk -F'\t' '$1 == "CEB403"' "$T/port-docs.tsv" | wc -l)" -eq $N ]
finish
