#!/bin/sh
# map.sh - mapping throughput of `cebgate map` against a python3 reference, and peak memory.
#
# Generates an own-layout CSV of order lines (orders of 1 to 3 lines, all valid, UTF-8, quoted
# item names with commas) and maps it with `cebgate -q map FILE >/dev/null`, which also builds
# and schema-validates each order's messages as run would. The reference, measured in the same
# run on the same file, is bench/map-ref.py: python3 csv.DictReader + json.dumps, one JSON line
# per CSV row. Each is run RUNS times (default 3), alternating; the medians of wall time and of
# CPU time (user + system) give lines/s and the ratio cebgate / python (target >= 3.0). Peak
# memory is "Maximum resident set size" from /usr/bin/time -v, at LINES and at BIG lines (one
# run at BIG, default 2,000,000; BIG=0 skips it).
#
# Usage: sh bench/map.sh [BUILD_DIR]      (default: ./build; needs cebgate built there)
#        LINES=200000 BIG=2000000 RUNS=3 sh bench/map.sh
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
CEBGATE=${CEBGATE:-$BUILD/cebgate}
RUNS=${RUNS:-3}
LINES=${LINES:-200000}
BIG=${BIG:-2000000}
[ -x "$CEBGATE" ] || { echo "build cebgate first ($CEBGATE)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package time)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed for the reference" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/cg-bench-map.XXXXXX")
trap 'rm -rf "$W"' EXIT
export CEBGATE_DATADIR="$SRC/data"
# Complete seller codes: map builds and validates each order's messages, as run does.
{ printf '[seller]\ncatalog = %s/tests/data/mapping/catalog.csv\n' "$SRC"
  cat "$SRC/tests/data/e2e/seller-codes.ini"
  printf '[declare]\ncop_code = 3301960001\ncop_name = Acme Export\ndxp_id = DXPENT0000000001\n'
} >"$W/cebgate.conf"

# gen N FILE: N order lines, orders of 1 to 3 lines, all valid.
gen() {
    awk -v n="$1" 'BEGIN {
        print "order_no,currency,country,freight,sku,item_name,qty,price,total"
        split("TS-001 MUG-1 TEA-1", sku, " ")
        i = 0; o = 0
        while (i < n) {
            o++; k = 1 + o % 3
            for (j = 1; j <= k && i < n; j++) {
                i++
                printf "B%08d,USD,US,5.00,%s,\"Item %d, size M\",%d,9.99,\n", o, sku[j], i, j
            }
        }
    }' >"$2"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# measure OUTPREFIX CMD...: appends wall seconds, CPU seconds and max RSS kB to OUTPREFIX.{t,c,m}
measure() {
    p=$1; shift
    /usr/bin/time -f '%e %U %S %M' -o "$W/time.txt" "$@" >/dev/null 2>"$W/stderr.txt" || {
        echo "failed: $*" >&2; cat "$W/stderr.txt" >&2; exit 1; }
    read -r e u s m <"$W/time.txt"
    echo "$e" >>"$p.t"
    echo "$u $s" | awk '{ printf "%.2f\n", $1 + $2 }' >>"$p.c"
    echo "$m" >>"$p.m"
}

rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%d", (t > 0 ? n / t : 0) }'; }

echo "# cebgate map benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# nproc $(nproc)  cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $LINES order lines, $RUNS runs each (median), cebgate and python3 alternating"
f="$W/orders.csv"
gen "$LINES" "$f"
lines=$((LINES))
r=0
while [ "$r" -lt "$RUNS" ]; do
    r=$((r + 1))
    measure "$W/cg" "$CEBGATE" -q -c "$W/cebgate.conf" map "$f"
    measure "$W/py" python3 "$SRC/bench/map-ref.py" "$f"
done
cgt=$(median <"$W/cg.t"); cgc=$(median <"$W/cg.c"); cgm=$(median <"$W/cg.m")
pyt=$(median <"$W/py.t"); pyc=$(median <"$W/py.c"); pym=$(median <"$W/py.m")
echo "what        wall_s  cpu_s  lines/s(wall)  lines/s(cpu)  max_rss_kB"
echo "cebgate     $cgt  $cgc  $(rate "$lines" "$cgt")  $(rate "$lines" "$cgc")  $cgm"
echo "python3     $pyt  $pyc  $(rate "$lines" "$pyt")  $(rate "$lines" "$pyc")  $pym"
awk -v a="$pyt" -v b="$cgt" -v c="$pyc" -v d="$cgc" 'BEGIN {
    printf "ratio cebgate/python3 (wall): %.2f   (cpu): %.2f   target >= 3.0\n",
        (b > 0 ? a / b : 0), (d > 0 ? c / d : 0) }'
if [ "$BIG" -gt 0 ]; then
    gen "$BIG" "$W/big.csv"
    measure "$W/big" "$CEBGATE" -q -c "$W/cebgate.conf" map "$W/big.csv"
    bt=$(cat "$W/big.t"); bm=$(cat "$W/big.m")
    echo "cebgate $BIG lines (1 run): wall ${bt}s, $(rate "$BIG" "$bt") lines/s, max_rss_kB $bm"
    awk -v a="$cgm" -v b="$bm" -v n="$LINES" -v N="$BIG" 'BEGIN {
        printf "peak memory %d / %d lines: %.2f (1.00 = flat)\n", N, n, (a > 0 ? b / a : 0) }'
fi
