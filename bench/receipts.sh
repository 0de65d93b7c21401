#!/bin/sh
# bench/receipts.sh - receipts from inbox/ into the lifecycle database: ORDERS orders (3
# documents each, CEB303, CEB505, CEB603) are declared once through the directory transport,
# then one receipt file per document (one entity, status 2) is written into inbox/, as the
# port's exchange client or the HTTP transport leaves them, and `cebgate run` applies them.
# Prints receipts applied per second (median of RUNS runs, each on a fresh copy of the
# declared working directory) and, from one more run under `strace -f -c`, the fsync and
# fdatasync calls per receipt.
# Usage: sh bench/receipts.sh [ORDERS] [RUNS]   (from the source tree, after a build in build/)
# Environment: CEBGATE (default build/cebgate), CEBGATE_DATADIR (default data), BENCH_DIR
# (working folder; default a new one under /var/tmp, on disk like a real spool).
set -eu
N=${1:-1000}
RUNS=${2:-3}
SRC=$(cd "$(dirname "$0")/.." && pwd)
CEBGATE=${CEBGATE:-$SRC/build/cebgate}
export CEBGATE_DATADIR=${CEBGATE_DATADIR:-$SRC/data}
B=${BENCH_DIR:-$(mktemp -d /var/tmp/cg-bench-receipts.XXXXXX)}
trap 'rm -rf "$B"' EXIT
mkdir -p "$B"
cd "$B"
. "$SRC/bench/spool-lib.sh"
spool_setup w
HELPER="python3 $SRC/tests/e2e/spool-helper.py"
mkdir -p w/incoming
$HELPER orders own w/incoming/orders.csv "$N" 1
"$CEBGATE" -q -c cebgate.conf run --no-progress >/dev/null
mkdir receipts
$HELPER receipts w/outbox receipts 2 >/dev/null
R=$(find receipts -name '*.xml' | wc -l)
echo "receipts: $R files of one entry each, for $N orders x 3 documents"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
# prepare RUN: a copy of the declared working directory with every receipt file in inbox/
prepare() {
    rm -rf "$1"
    cp -a w "$1"
    cp receipts/*.xml "$1/inbox/"
    sed "s#^workdir = w\$#workdir = $1#" cebgate.conf >"$1.conf"
}
# applied RUN: receipts the run recorded as applied
applied() { sqlite3 "$1/cebgate.db" "SELECT count(*) FROM receipts WHERE outcome = 'applied'"; }
results=""
i=0
while [ $i -lt "$RUNS" ]; do
    i=$((i + 1))
    prepare run$i
    /usr/bin/time -f '%e %U %S' -o time.txt "$CEBGATE" -q -c run$i.conf run --no-progress \
        >run$i.out
    read -r secs usr sys <time.txt
    a=$(applied run$i)
    [ "$a" -eq "$R" ] || { echo "run $i: $a receipts applied, expected $R" >&2; exit 1; }
    rate=$(awk -v n="$R" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
    echo "run $i: $secs s ($usr user, $sys sys), $rate receipts/s, $(wc -l <run$i.out) lines on stdout"
    results="$results$rate
"
    rm -rf run$i
done
rate=$(printf '%s' "$results" | sort -n | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }')
echo "median: $rate receipts/s"
prepare strace
strace -f -c -e trace=fsync,fdatasync,syncfs -o strace.txt "$CEBGATE" -q -c strace.conf run \
    --no-progress >/dev/null
a=$(applied strace)
[ "$a" -eq "$R" ] || { echo "strace run: $a receipts applied, expected $R" >&2; exit 1; }
# strace -c columns: % time, seconds, usecs/call, calls, [errors,] syscall
calls() { awk -v s="$1" '$NF == s { print $4 }' strace.txt; }
fs=$(calls fsync)
fds=$(calls fdatasync)
sfs=$(calls syncfs)
echo "strace -f -c: ${fs:-0} fsync, ${fds:-0} fdatasync, ${sfs:-0} syncfs for $R receipts:" \
    "$(awk -v a="${fs:-0}" -v b="${fds:-0}" -v c="${sfs:-0}" -v n="$R" 'BEGIN { printf "%.3f", (a + b + c) / n }') syncs per receipt"
