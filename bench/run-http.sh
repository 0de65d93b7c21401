#!/bin/sh
# run-http.sh - a broker's run over HTTPS: `cebgate run` with [transport] mode = http against a
# local `cebgate port` over TLS on 127.0.0.1, the set-up of the demo and of tests/e2e/http-*.sh
# (certificates, port and sender configuration come from tests/e2e/http-lib.sh).
#
# N orders (3 lines each, own layout) in one file; one `cebgate -q run` declares them: each
# order's CEB303, CEB505 and CEB603 built, validated, signed, posted with `parallel` transfers
# in flight and answered by the port only after its commit. Prints the run's wall and CPU time,
# orders/s, and the port's CPU time over the same run. The port and the sender share the
# machine's CPUs here; a real port runs elsewhere.
#
# Usage: sh bench/run-http.sh [BUILD_DIR]     (default ./build)
#        N=3000 PAR=4 BENCH_RUNS=3 sh bench/run-http.sh
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
N=${N:-3000}
PAR=${PAR:-4}
NRUNS=${BENCH_RUNS:-3}
CEBGATE=${CEBGATE:-$BUILD/cebgate}
[ -x "$CEBGATE" ] || { echo "build cebgate first ($CEBGATE)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package time)" >&2; exit 2; }
export CEBGATE CG_SRCDIR="$SRC" CG_TESTDATA="$SRC/tests/data" CEBGATE_DATADIR="$SRC/data"
. "$SRC/tests/e2e/http-lib.sh"

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
echo "# cebgate run over HTTPS to a local cebgate port  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# nproc $(nproc)  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $N orders (3 messages each), parallel = $PAR, $NRUNS runs, each on a fresh port and spool"
echo "run  wall_s  cpu_s  orders/s  port_cpu_s"
hz=$(getconf CLK_TCK)
r=0
while [ "$r" -lt "$NRUNS" ]; do
    r=$((r + 1))
    rm -rf "$W" && mkdir -p "$W" && cp "$CG_TESTDATA/mapping/catalog.csv" "$W/catalog.csv"
    port_conf "$T/port.conf" "$T/port-$r.db"
    port_start -d "$T" -r "$T/port.conf"
    sender_conf
    sed -i "s/^parallel = 4\$/parallel = $PAR/" "$W/cebgate.conf"
    orders orders.csv "$N" || { echo "cannot make the orders" >&2; exit 1; }
    p0=$(ticks "$PORT_PID")
    /usr/bin/time -f '%e %U %S' -o "$T/time" "$CEBGATE" -q -c "$W/cebgate.conf" run \
        --no-progress >"$T/run.out" 2>"$T/run.err"
    rc=$?
    p1=$(ticks "$PORT_PID")
    port_stop
    [ "$rc" -eq 0 ] || { echo "run exited $rc" >&2; cat "$T/run.err" >&2; exit 1; }
    read -r e u s <"$T/time"
    awk -v r="$r" -v e="$e" -v u="$u" -v s="$s" -v n="$N" -v p=$((p1 - p0)) -v hz="$hz" \
        'BEGIN { printf "%d  %.2f  %.2f  %.0f  %.2f\n", r, e, u + s, n / e, p / hz }'
done | tee "$T/runs"
awk 'NR > 0 { print $4 }' "$T/runs" | sort -n | awk '{ v[NR] = $1 } END {
    printf "median orders/s: %s\n", v[int((NR + 1) / 2)] }'
