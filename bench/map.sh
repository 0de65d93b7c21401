#!/bin/sh
# map.sh - mapping throughput (order lines per second) and peak memory of `cebgate map` on a
# generated own-layout CSV of 1,000,000 order lines, and the same at 100,000 lines to show that
# memory does not grow with the file (streaming). Median of 3 runs each; peak memory is
# "Maximum resident set size" from /usr/bin/time -v. The reference measured in the same run is
# `wc -l` on the same file (the cost of just reading it).
#
# Usage: sh bench/map.sh [BUILD_DIR]      (default: ./build; needs cebgate built there)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
CEBGATE=${CEBGATE:-$BUILD/cebgate}
RUNS=${RUNS:-3}
[ -x "$CEBGATE" ] || { echo "build cebgate first ($CEBGATE)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package time)" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/cg-bench-map.XXXXXX")
trap 'rm -rf "$W"' EXIT
export CEBGATE_DATADIR="$SRC/data"
# Complete seller codes: map builds and validates each order's messages, as run does.
{ printf '[seller]\ncatalog = %s/tests/data/mapping/catalog.csv\n' "$SRC"
  cat "$SRC/tests/data/e2e/seller-codes.ini"
  printf '[declare]\ncop_code = 3301960001\ncop_name = Acme Export\ndxp_id = DXPENT0000000001\n'
} >"$W/cebgate.conf"

# N order lines, orders of 1 to 3 lines, all valid.
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

# bench LINES: prints "lines seconds lines/s maxrss_kB wc_seconds"
bench() {
    n=$1 f="$W/orders-$1.csv"
    gen "$n" "$f"
    : >"$W/t" ; : >"$W/m" ; : >"$W/w"
    r=0
    while [ "$r" -lt "$RUNS" ]; do
        r=$((r + 1))
        /usr/bin/time -v "$CEBGATE" -q -c "$W/cebgate.conf" map "$f" >/dev/null 2>"$W/time.txt"
        sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$W/time.txt" |
            awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }' >>"$W/t"
        sed -n 's/.*Maximum resident set size (kbytes): //p' "$W/time.txt" >>"$W/m"
        /usr/bin/time -f %e wc -l "$f" 2>>"$W/w" >/dev/null
    done
    t=$(median <"$W/t"); m=$(median <"$W/m"); w=$(median <"$W/w")
    echo "$n $t $(awk -v n="$n" -v t="$t" 'BEGIN { printf "%d", (t > 0 ? n / t : 0) }') $m $w"
}

echo "# cebgate map benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# nproc $(nproc)  cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
echo "# runs per size: $RUNS (median)"
echo "lines seconds lines_per_s max_rss_kB wc_l_seconds"
small=$(bench 100000)
echo "$small"
big=$(bench 1000000)
echo "$big"
echo "$small $big" | awk '{ printf "# memory 1,000,000 / 100,000 lines: %.2f (1.00 = flat)\n", $9 / $4;
    printf "# reading alone (wc -l) vs mapping at 1,000,000 lines: %.1fx faster\n", ($10 > 0 ? $7 / $10 : 0) }'
