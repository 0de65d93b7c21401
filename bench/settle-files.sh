#!/bin/sh
# settle-files.sh - time of recording a large settle file, the three that grew with the square
# of their rows, by FILE:
#   settlement  `cebgate settle convert --file`: a bank's settlement file of N rows (default
#               20,000: distinct references FX-0000000 on in a shuffled order, USD, days and rates
#               varying, no CNY column), in a working directory holding RECEIPTS USD receipts
#               (default 1, of 100,000,000.00 in all) imported once as a collections CSV
#   payout      `cebgate settle import`: a payout report (data/profiles/payout.ini) of one payout
#               of N sale lines, each of another order (shuffled), USD 1.00
#   refunds     the same with a sale line, then N refund lines (-1.00) of other orders
# Each run records the file into a fresh copy of the working directory, timed with
# /usr/bin/time; the median of RUNS runs (default 3) of wall and CPU (user + sys) seconds is
# printed, with the first run's summary line. BAD=1 makes the last row's day bad: the file is
# read to its end and refused, nothing recorded (the reading alone).
#
# Usage: sh bench/settle-files.sh [BUILD_DIR]     (default: ./build; needs cebgate built there)
#        FILE=settlement N=20000 RUNS=3 RECEIPTS=1 BAD= CEBGATE=/path/to/other/cebgate \
#            sh bench/settle-files.sh
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
CEBGATE=${CEBGATE:-$BUILD/cebgate}
N=${N:-20000}
RUNS=${RUNS:-3}
RECEIPTS=${RECEIPTS:-1}
FILE=${FILE:-settlement}
BAD=${BAD:-}
case $FILE in settlement | payout | refunds) ;; *) echo "FILE is settlement, payout or refunds" >&2; exit 2 ;; esac
# the payout profile of data/profiles, as the tests read it
CEBGATE_DATADIR=${CEBGATE_DATADIR:-$SRC/data}
export CEBGATE_DATADIR
[ -x "$CEBGATE" ] || { echo "build cebgate first ($CEBGATE)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package time)" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/cg-bench-files.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir "$W/template"
printf '[general]\nworkdir = .\n' >"$W/template/cebgate.conf"
awk -v n="$RECEIPTS" 'BEGIN { print "receipt_id,date,currency,amount"
    for (i = 0; i < n; i++) printf "R%07d,2025-09-01,USD,%d.00\n", i, 100000000 / n }' \
    >"$W/receipts.csv"
"$CEBGATE" -q -c "$W/template/cebgate.conf" settle import "$W/receipts.csv" >/dev/null
last=2025-09-29
[ -n "$BAD" ] && last=2025-09-32
case $FILE in
settlement)
    cmd="settle convert --file"
    awk -v n="$N" -v last="$last" 'BEGIN { print "reference,date,currency,amount,rate,cny"
        for (i = 0; i < n; i++)
            printf "FX-%07d,%s,USD,%d.%02d,7.1%03d,\n", (i * 7919) % n,
                i == n - 1 ? last : sprintf("2025-09-%02d", 2 + i % 28), 100 + i % 900, i % 100,
                i % 1000 }' >"$W/file.csv"
    ;;
*)
    cmd="settle import"
    awk -v n="$N" -v last="$last" -v kind="$FILE" 'BEGIN {
        print "Payout ID,Payout Date,Currency,Order ID,Transaction ID,Gross Amount,Fee,Net Amount"
        if (kind == "refunds")
            print "PO-1,2025-09-29,USD,SALE,,1.00,0,1.00"
        a = kind == "refunds" ? "-1.00" : "1.00"
        for (i = 0; i < n; i++)
            printf "PO-1,%s,USD,SO-%07d,,%s,0,%s\n", i == n - 1 ? last : "2025-09-29",
                (i * 7919) % n, a, a }' >"$W/file.csv"
    ;;
esac
i=0
while [ "$i" -lt "$RUNS" ]; do
    rm -rf "$W/run" && cp -r "$W/template" "$W/run"
    /usr/bin/time -f '%e %U %S' -o "$W/time.$i" \
        "$CEBGATE" -c "$W/run/cebgate.conf" $cmd "$W/file.csv" >"$W/out.$i" 2>"$W/err.$i" || true
    [ "$i" -eq 0 ] && tail -n 1 "$W/err.0"
    [ "$i" -eq 0 ] && cat "$W/out.0"
    i=$((i + 1))
done
for f in "$W"/time.*; do tail -n 1 "$f"; done | awk '{ print $1, $2 + $3 }' >"$W/all"
echo "runs (wall cpu): $(tr '\n' ';' <"$W/all")"
med() { cut -d' ' -f"$1" "$W/all" | sort -n | awk -v r="$RUNS" 'NR == int((r + 1) / 2)'; }
echo "median: wall $(med 1) s, cpu $(med 2) s"
