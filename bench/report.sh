#!/bin/sh
# report.sh - time and size of `cebgate report --html` on a database of N orders (default
# 100,000) written by tests/e2e/report-gen.py (three documents per order, rejected, stuck,
# cancellations, unknown receipts; see its header). Two cases: the declaration tables only
# (FX declared amounts removed), and every order with a declared USD amount, where the FX aging
# and deferred-receipt counts of settle/ are computed too. Median of 3 runs each; the limit the
# issue sets is 2 s and 2 MB.
#
# Usage: sh bench/report.sh [BUILD_DIR]      (default: ./build; needs cebgate built there)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
CEBGATE=${CEBGATE:-$BUILD/cebgate}
N=${N:-100000}
RUNS=${RUNS:-3}
[ -x "$CEBGATE" ] || { echo "build cebgate first ($CEBGATE)" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/cg-bench-report.XXXXXX")
trap 'rm -rf "$W"' EXIT
printf '[general]\nworkdir = .\n' >"$W/cebgate.conf"
"$CEBGATE" -c "$W/cebgate.conf" report >/dev/null # creates the database
python3 "$SRC/tests/e2e/report-gen.py" "$W/cebgate.db" "$N" 2026-11-30 >/dev/null
cp "$W/cebgate.db" "$W/fx.db"
sqlite3 "$W/cebgate.db" "DELETE FROM fx_declared; VACUUM;"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
measure() {
    i=0
    : >"$W/times"
    while [ $i -lt "$RUNS" ]; do
        s=$(date +%s%N)
        "$CEBGATE" -c "$W/cebgate.conf" report --as-of 2026-11-30 --html "$W/r.html"
        e=$(date +%s%N)
        echo $(((e - s) / 1000000)) >>"$W/times"
        i=$((i + 1))
    done
    printf '| %s | %s | %s ms | %s bytes |\n' "$1" "$N" "$(median <"$W/times")" \
        "$(wc -c <"$W/r.html")"
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
echo "| case | orders | median time | HTML size |"
echo "|---|---:|---:|---:|"
measure "declarations only"
mv "$W/fx.db" "$W/cebgate.db"
measure "with FX declared amounts"
