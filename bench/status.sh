#!/bin/sh
# status.sh - time of `cebgate status --pending` on a database of N orders (default 1,000,000)
# written by tests/e2e/report-gen.py (three documents per order, rejected, stuck,
# cancellations, unknown receipts; see its header), with N / 100 orders of a second file held
# back as waiting and N / 100 orders declared without shipment data (their CEB505 and CEB603
# removed, foreign keys off as the sqlite3 shell has them: their receipts stay in the log), so
# that the counts --pending ends with have something to count. Median of RUNS
# (default 3) runs of `/usr/bin/time cebgate status --pending`: wall time and CPU time (user +
# sys). KEEP=DIR keeps the database in DIR (made once, reused when there); CEBGATE=PATH times
# another build on it. The database is migrated by the build timed (an older one is migrated
# by its first run, which is not timed).
#
# Usage: sh bench/status.sh [BUILD_DIR]      (default: ./build; needs cebgate built there)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
CEBGATE=${CEBGATE:-$BUILD/cebgate}
N=${N:-1000000}
RUNS=${RUNS:-3}
[ -x "$CEBGATE" ] || { echo "build cebgate first ($CEBGATE)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package time)" >&2; exit 2; }
if [ -n "${KEEP:-}" ]; then
    W=$KEEP
    mkdir -p "$W"
else
    W=$(mktemp -d "${TMPDIR:-/tmp}/cg-bench-status.XXXXXX")
    trap 'rm -rf "$W"' EXIT
fi
printf '[general]\nworkdir = .\n' >"$W/cebgate.conf"
if [ ! -f "$W/cebgate.db" ]; then
    "$CEBGATE" -c "$W/cebgate.conf" settle tick >/dev/null # creates the database
    python3 "$SRC/tests/e2e/report-gen.py" "$W/cebgate.db" "$N" 2026-11-30 >/dev/null
    sqlite3 "$W/cebgate.db" "
INSERT INTO input_files(id, seller, name, active_name, size, sha256, outcome, taken_at,
  finished_at) VALUES (3, 'acme', 'held.csv', 'held.csv', 1, 'h3', 'done',
  '2026-11-30T03:00:00.000Z', '2026-11-30T03:00:01.000Z');
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $N / 100)
INSERT INTO file_orders(input_file, held, seller, order_no, status)
  SELECT 3, 1, 'acme', printf('HD%07d', i), 1 FROM k;
DELETE FROM messages WHERE document_id IN (SELECT id FROM documents WHERE msg_type IN (505, 603)
  AND order_id % 100 = 3);
DELETE FROM documents WHERE msg_type IN (505, 603) AND order_id % 100 = 3;
VACUUM;"
    "$CEBGATE" -c "$W/cebgate.conf" status --pending >/dev/null # migrated, not timed
fi

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
i=0
: >"$W/times"
: >"$W/cpu"
while [ $i -lt "$RUNS" ]; do
    s=$(date +%s%N)
    /usr/bin/time -f '%U %S' -o "$W/t" "$CEBGATE" -c "$W/cebgate.conf" status --pending >"$W/out"
    e=$(date +%s%N)
    echo $(((e - s) / 1000000)) >>"$W/times"
    awk '{ printf "%d\n", ($1 + $2) * 1000 }' "$W/t" >>"$W/cpu"
    i=$((i + 1))
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
echo "| orders | median time | median CPU (user + sys) | output |"
echo "|---:|---:|---:|---|"
printf '| %s | %s ms | %s ms | %s lines, last: %s |\n' "$N" "$(median <"$W/times")" \
    "$(median <"$W/cpu")" "$(wc -l <"$W/out")" "$(tail -n 3 "$W/out" | tr '\n' ';')"
