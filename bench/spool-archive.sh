#!/bin/sh
# bench/spool-archive.sh - what a spool's history costs each run: a working directory whose
# archive/ already holds ARCHIVE files (the messages and receipts of earlier nights), then RUNS
# batches of ORDERS orders, each its own `cebgate run` (3 signed messages per order, as in
# bench/spool.sh). archive/ is pruned of files older than [spool] archive_days (90 by default);
# the time of each run shows whether that costs a pass in proportion to the history or not.
# Usage: sh bench/spool-archive.sh [ARCHIVE] [ORDERS] [RUNS]   (defaults 300000 1000 3)
# Environment: CEBGATE (default build/cebgate), CEBGATE_DATADIR (default data), BENCH_DIR
# (working folder; default a new one under /var/tmp, removed at the end).
set -eu
A=${1:-300000}
N=${2:-1000}
RUNS=${3:-3}
SRC=$(cd "$(dirname "$0")/.." && pwd)
CEBGATE=${CEBGATE:-$SRC/build/cebgate}
export CEBGATE_DATADIR=${CEBGATE_DATADIR:-$SRC/data}
B=${BENCH_DIR:-$(mktemp -d /var/tmp/cg-bench-archive.XXXXXX)}
trap 'rm -rf "$B"' EXIT
mkdir -p "$B/w/incoming" "$B/w/archive"
cd "$B"
. "$SRC/bench/spool-lib.sh"
spool_setup w
# The history: ARCHIVE files of a few hundred bytes, all younger than archive_days.
python3 - "$B/w/archive" "$A" <<'EOP'
import os, sys, uuid
d, n = sys.argv[1], int(sys.argv[2])
body = b"<ceb:CEB303Message/>\n" * 16
for i in range(n):
    with open(os.path.join(d, "CEB303Message_%s.xml" % str(uuid.UUID(int=i)).upper()), "wb") as f:
        f.write(body)
EOP
sync
echo "archive/: $A files; $RUNS runs of $N orders (3 signed messages each)"
i=0
while [ $i -lt "$RUNS" ]; do
    python3 "$SRC/tests/e2e/spool-helper.py" orders own "w/incoming/orders-$i.csv" "$N" \
        $((1 + i * N))
    /usr/bin/time -f '%e %U %S' -o time.txt "$CEBGATE" -q -c cebgate.conf run --no-progress \
        >/dev/null
    read -r secs usr sys <time.txt
    echo "run $((i + 1)): $secs s wall, CPU $usr user + $sys sys," \
        "$(awk -v n="$N" -v s="$secs" 'BEGIN { printf "%.0f", n / s }') orders/s"
    i=$((i + 1))
done
msgs=$(find w/outbox -name '*.xml' | wc -l)
[ "$msgs" -eq $((3 * N * RUNS)) ] || { echo "expected $((3 * N * RUNS)) messages, found $msgs" >&2; exit 1; }
