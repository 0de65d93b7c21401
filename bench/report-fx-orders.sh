#!/bin/sh
# report-fx-orders.sh - time of `cebgate report fx orders` (every declared order with its
# collection state and CNY values) on a database of N orders (default 10,000) written by
# tests/e2e/report-fxgen.py: three sellers, every collection state, about 12,000 allocations of
# five receipts (so one receipt pays thousands of orders, as a platform's payout does). The
# report is written to a file once per run; the median of RUNS runs (default 3) of wall time and
# CPU time (user + sys, from /usr/bin/time), and the size of the output, so that two builds can
# be compared on the same database (KEEP=DIR keeps the working directory and its output).
#
# Usage: sh bench/report-fx-orders.sh [BUILD_DIR]      (default: ./build; needs cebgate built there)
#        N=10000 RUNS=3 CEBGATE=/path/to/cebgate sh bench/report-fx-orders.sh
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
CEBGATE=${CEBGATE:-$BUILD/cebgate}
N=${N:-10000}
RUNS=${RUNS:-3}
[ -x "$CEBGATE" ] || { echo "build cebgate first ($CEBGATE)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package time)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed to write the orders" >&2; exit 2; }
W=${KEEP:-$(mktemp -d "${TMPDIR:-/tmp}/cg-bench-fxorders.XXXXXX")}
[ -n "${KEEP:-}" ] || trap 'rm -rf "$W"' EXIT
mkdir -p "$W"
# the configuration of tests/e2e/report-fx.sh (its heredoc), which report-fxgen.py's rules follow
sed -n '/^cat >"$W\/cebgate.conf" <<EOC$/,/^EOC$/p' "$SRC/tests/e2e/report-fx.sh" | sed '1d;$d' \
    >"$W/cebgate.conf"
grep -q '^\[settle.late\]' "$W/cebgate.conf" || { echo "no configuration in report-fx.sh" >&2; exit 2; }
if [ ! -f "$W/cebgate.db" ]; then
    "$CEBGATE" -q -c "$W/cebgate.conf" settle tick >/dev/null # creates the database
    python3 "$SRC/tests/e2e/report-fxgen.py" "$W/cebgate.db" "$N" 2026-11-30 >/dev/null
fi

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "# cebgate -c WORKDIR/cebgate.conf report fx orders --as-of 2026-11-30 >FILE"
echo "# nproc $(nproc), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$W/t"
: >"$W/c"
r=0
while [ "$r" -lt "$RUNS" ]; do
    r=$((r + 1))
    /usr/bin/time -f '%e %U %S' -o "$W/time.txt" \
        "$CEBGATE" -c "$W/cebgate.conf" report fx orders --as-of 2026-11-30 >"$W/orders.txt"
    read -r e u s <"$W/time.txt"
    echo "$e" >>"$W/t"
    echo "$u $s" | awk '{ printf "%.2f\n", $1 + $2 }' >>"$W/c"
done
echo "orders  wall_s  cpu_s  output"
printf '%6d  %6s  %5s  %s bytes, %s lines\n' "$N" "$(median <"$W/t")" "$(median <"$W/c")" \
    "$(wc -c <"$W/orders.txt")" "$(wc -l <"$W/orders.txt")"
