#!/bin/sh
# bench/spool-scale.sh - how the time per order of `cebgate run` grows with the batch (issue 17,
# acceptance point 2): bench/spool.sh at 10,000 orders (3 runs), 100,000 and 1,000,000 orders
# (1 run each), then CPU time and wall time per order and peak memory of each size against the
# 10,000-order median.
#
# Every run gets a folder of its own under one base folder, and nothing is removed until the
# last run has ended. On ext4 without a journal (this machine's file system) the inode allocator
# checks every inode freed in the last 30 seconds one by one before it reuses one, and the
# kernel frees the dentries and inodes of a removed tree in the background, charged to whatever
# runs then; removing one run's 3N files just before the next run made the next run's system
# time per order swing by a factor of 3 (bench/RESULTS.md, "Spool"). SCALE_PAUSE seconds
# (default 35) of idle time precede each run for the same reason.
#
# Usage: sh bench/spool-scale.sh [SIZES]   (default "10000 100000 1000000"; from the source
# tree, after a build in build/). Needs about 20 GB free under /var/tmp for a million orders.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
SIZES=${1:-"10000 100000 1000000"}
PAUSE=${SCALE_PAUSE:-35}
BASE=$(mktemp -d /var/tmp/cg-bench-scale.XXXXXX)
trap 'rm -rf "$BASE"' EXIT
out=$BASE/out.txt
: >"$out"
for n in $SIZES; do
    runs=1
    [ "$n" -le 10000 ] && runs=3
    sleep "$PAUSE"
    echo "== $n orders, $runs run(s), $(date -u +%H:%M:%S) UTC"
    BENCH_DIR=$BASE/n$n BENCH_KEEP=1 SPEED_SECONDS=${SPEED_SECONDS:-5} \
        sh "$SRC/bench/spool.sh" "$n" "$runs" | tee "$BASE/n$n.txt"
    # run K: SECS s, RATE orders/s, M messages, peak RSS R MB, CPU U user + S sys = C ms/order, ...
    grep '^run [0-9]*: [0-9.]* s,' "$BASE/n$n.txt" |
        sed 's/^run [0-9]*: \([0-9.]*\) s, .* peak RSS \([0-9]*\) MB, CPU \([0-9.]*\) user + \([0-9.]*\) sys = \([0-9.]*\) ms.*/\1 \2 \3 \4 \5/' |
        awk -v n="$n" '{ print n, $1 * 1e6 / n, $2, $3 * 1000 / n, $4 * 1000 / n, $5 }' >>"$out"
done
echo
echo "orders | runs | wall us/order (median) | CPU ms/order (user + sys, median) | peak RSS MB | CPU per order / smallest"
# columns of out.txt: orders wall_us rss_mb user_ms sys_ms cpu_ms
awk '
function median(list, k,   m, a, i, j, t) {
    m = split(list, a, " ")
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return a[int((m + 1) / 2)]
}
{ n = $1; if (!(n in cnt)) order[++k] = n; cnt[n]++; w[n] = w[n] " " $2; r[n] = r[n] " " $3
  u[n] = u[n] " " $4; s[n] = s[n] " " $5; c[n] = c[n] " " $6 }
END {
    base = median(c[order[1]])
    for (i = 1; i <= k; i++) {
        n = order[i]
        printf "%d | %d | %.0f | %.3f (%.3f + %.3f) | %d | %.3f\n", n, cnt[n], median(w[n]),
            median(c[n]), median(u[n]), median(s[n]), median(r[n]), median(c[n]) / base
    }
}' "$out"
