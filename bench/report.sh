#!/bin/sh
# report.sh - time and size of `cebgate report --html` on a database of N orders (default
# 100,000) written by tests/e2e/report-gen.py (three documents per order, rejected, stuck,
# cancellations, unknown receipts; see its header). Two cases: the declaration tables only
# (FX declared amounts removed), and every order with a declared USD amount, where the FX aging
# and deferred-receipt counts of settle/ are computed too; then `cebgate report fx aging` alone on
# the FX database. Median of 3 runs each, wall time and CPU time (user + sys, from /usr/bin/time:
# what the run costs without waiting for a CPU on a loaded machine); the limit the issue sets
# is 2 s and 2 MB.
#
# Usage: sh bench/report.sh [BUILD_DIR]      (default: ./build; needs cebgate built there)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
CEBGATE=${CEBGATE:-$BUILD/cebgate}
N=${N:-100000}
RUNS=${RUNS:-3}
[ -x "$CEBGATE" ] || { echo "build cebgate first ($CEBGATE)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package time)" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/cg-bench-report.XXXXXX")
trap 'rm -rf "$W"' EXIT
printf '[general]\nworkdir = .\n' >"$W/cebgate.conf"
"$CEBGATE" -c "$W/cebgate.conf" settle tick >/dev/null # creates the database
python3 "$SRC/tests/e2e/report-gen.py" "$W/cebgate.db" "$N" 2026-11-30 >/dev/null
cp "$W/cebgate.db" "$W/fx.db"
sqlite3 "$W/cebgate.db" "DELETE FROM fx_declared; VACUUM;"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# measure CASE [REPORT-ARGS...]: median wall time of `cebgate report` (default: the HTML page)
measure() {
    name=$1
    shift
    [ $# -gt 0 ] || set -- --as-of 2026-11-30 --html "$W/r.html"
    i=0
    : >"$W/times"
    : >"$W/cpu"
    while [ $i -lt "$RUNS" ]; do
        s=$(date +%s%N)
        /usr/bin/time -f '%U %S' -o "$W/t" "$CEBGATE" -c "$W/cebgate.conf" report "$@" >"$W/r.out"
        e=$(date +%s%N)
        echo $(((e - s) / 1000000)) >>"$W/times"
        awk '{ printf "%d\n", ($1 + $2) * 1000 }' "$W/t" >>"$W/cpu"
        i=$((i + 1))
    done
    case "$*" in
    *--html*) size="$(wc -c <"$W/r.html") bytes" ;;
    *) size="(text, $(wc -l <"$W/r.out") lines)" ;;
    esac
    printf '| %s | %s | %s ms | %s ms | %s |\n' "$name" "$N" "$(median <"$W/times")" \
        "$(median <"$W/cpu")" "$size"
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
echo "| case | orders | median time | median CPU (user + sys) | HTML size |"
echo "|---|---:|---:|---:|---:|"
measure "declarations only"
mv "$W/fx.db" "$W/cebgate.db"
measure "with FX declared amounts"
measure "\`report fx aging\` alone, FX database" fx aging --as-of 2026-11-30
