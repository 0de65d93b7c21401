#!/bin/sh
# run.sh - long libFuzzer runs of the targets of tests/fuzz/, at most two at a time.
#
#   tests/fuzz/run.sh BUILDDIR OUTDIR SECONDS [TARGET...]
#
# BUILDDIR is a tree configured with --enable-fuzzing where `make fuzz` has run. For each
# target (all by default) the corpus OUTDIR/corpus/TARGET is seeded (tests/fuzz/seeds.sh), the
# target runs niced for SECONDS with ASan, UBSan and leak detection, its log is kept in
# OUTDIR/TARGET.log and crashes in OUTDIR/artifacts/. With $CEBGATE naming a built cebgate,
# validly signed seeds are made and fuzz-verify also verifies against their certificate. OUTDIR/summary.txt gets one line per
# target: exit status, executions per second, cov, ft, corpus size. Exit 1 when any run failed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "$1" && pwd)
out=$2
secs=$3
shift 3
targets=${*:-order-own order-own-gb18030 order-jsonl order-shopify order-amazon catalog \
shipments profile receipt conf verify port c14n statement refund}
par=${FUZZ_PAR:-2}
mkdir -p "$out/artifacts"
out=$(cd "$out" && pwd)
export CEBGATE_DATADIR="$src/data"
sh "$here/seeds.sh" "$src" "$out/seeds"
[ -f "$out/seeds/verify-trust.pem" ] && export CG_FUZZ_TRUST="$out/seeds/verify-trust.pem"
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
: >"$out/summary.txt"

one() {
    t=$1
    mkdir -p "$out/corpus/$t"
    cp "$out/seeds/$t"/* "$out/corpus/$t/" 2>/dev/null || true
    rc=0
    nice -n 19 "$build/tests/fuzz/fuzz-$t" -max_total_time="$secs" -rss_limit_mb=2048 \
        -timeout=30 -print_final_stats=1 -artifact_prefix="$out/artifacts/$t-" \
        "$out/corpus/$t" >"$out/$t.log" 2>&1 || rc=$?
    last=$(grep -E '^#[0-9]+' "$out/$t.log" | tail -n 1)
    execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$t.log")
    n=$(find "$out/corpus/$t" -type f | wc -l)
    echo "$t rc=$rc exec/s=$execs $(echo "$last" | grep -oE 'cov: [0-9]+ ft: [0-9]+') corpus=$n" \
        >>"$out/summary.txt"
}

running=0
for t in $targets; do
    one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$par" ]; then
        wait -n 2>/dev/null || wait
        running=$((running - 1))
    fi
done
wait
cat "$out/summary.txt"
! grep -q 'rc=[1-9]' "$out/summary.txt"
