#!/bin/sh
# bench/spool.sh - orders from drop to outbox: 100,000 orders of 3 lines each (cebgate CSV with
# shipment data, so CEB303, CEB505 and CEB603 are each built, validated, signed with RSA-2048
# and written, one entity per message) through `cebgate run`; orders per second and peak
# memory (max RSS), median of 3 runs. Reference (issue 5): 1,000 orders/s on 2 cores, < 100 MB.
# Usage: sh bench/spool.sh [ORDERS] [RUNS]   (from the source tree, after a build in build/)
# Environment: CEBGATE (default build/cebgate), CEBGATE_DATADIR (default data), BENCH_DIR
# (working directory; default a new directory under /var/tmp, on disk like a real spool).
set -eu
N=${1:-100000}
RUNS=${2:-3}
SRC=$(cd "$(dirname "$0")/.." && pwd)
CEBGATE=${CEBGATE:-$SRC/build/cebgate}
export CEBGATE_DATADIR=${CEBGATE_DATADIR:-$SRC/data}
B=${BENCH_DIR:-$(mktemp -d /var/tmp/cg-bench-spool.XXXXXX)}
trap 'rm -rf "$B"' EXIT
mkdir -p "$B"
cd "$B"
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
    -subj '/CN=bench' >/dev/null 2>&1
cp "$SRC/tests/data/mapping/catalog.csv" .
cat >cebgate.conf <<EOC
[general]
workdir = w
[seller]
ebp_code = 3301960000
ebp_name = Bench Platform
ebc_code = 3301960001
ebc_name = Bench Export
agent_code = 3301980002
agent_name = Bench Broker
owner_code = 3301960001
owner_name = Bench Export
customs_code = 2244
port_code = 2244
catalog = $B/catalog.csv
profile = own
[declare]
cop_code = 3301960001
cop_name = Bench Export
dxp_id = DXPENT0000000001
key_file = $B/key.pem
cert_file = $B/cert.pem
sign_alg = rsa-sha256
EOC
python3 "$SRC/tests/e2e/spool-helper.py" orders own orders.csv "$N" 1
echo "orders: $N x 3 lines ($(wc -c <orders.csv) bytes), 3 signed messages per order"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
results=""
i=0
while [ $i -lt "$RUNS" ]; do
    i=$((i + 1))
    rm -rf w
    mkdir -p w/incoming
    cp orders.csv w/incoming/orders.csv
    /usr/bin/time -f '%e %M' -o time.txt "$CEBGATE" -q -c cebgate.conf run --no-progress \
        >/dev/null
    read -r secs kb <time.txt
    msgs=$(find w/outbox -name '*.xml' | wc -l)
    rate=$(awk -v n="$N" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
    echo "run $i: $secs s, $rate orders/s, $msgs messages, peak RSS $((kb / 1024)) MB"
    results="$results$rate $((kb / 1024))
"
done
med=$(printf '%s' "$results" | sort -n | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }')
set -- $med
echo "median: $1 orders/s (reference 1000: ratio $(awk -v r="$1" 'BEGIN { printf "%.2f", r / 1000 }')), peak RSS $2 MB (limit 100)"
