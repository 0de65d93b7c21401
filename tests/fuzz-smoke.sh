#!/bin/sh
# fuzz-smoke.sh - each libFuzzer target of tests/fuzz/ for a few seconds from its seed corpus.
#
# Uses the targets of this build tree when it was configured with --enable-fuzzing; otherwise,
# when clang can link libFuzzer, builds them in ./fuzz-build (clang, ASan, UBSan; kept between
# runs, removed by make clean). Without clang and libFuzzer the test is skipped and says why.
# A crash, leak or sanitizer report fails the test and prints the target's log.
set -u
: "${CG_SRCDIR:?run through make check}" "${CG_BUILDDIR:?run through make check}"
secs=${FUZZ_SMOKE_SECONDS:-3}
T=$(mktemp -d "${TMPDIR:-/tmp}/cg-fuzz-smoke.XXXXXX")
trap 'rm -rf "$T"' EXIT
skip() {
    echo "SKIP: $*: fuzz targets not run"
    exit 77
}
if grep -q -- '--enable-fuzzing' "$CG_BUILDDIR/config.status" 2>/dev/null; then
    fb=$CG_BUILDDIR
else
    command -v clang >/dev/null 2>&1 || skip "clang not installed (Debian packages clang, libclang-rt-14-dev)"
    printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$T/t.c"
    clang -fsanitize=fuzzer,address,undefined "$T/t.c" -o "$T/t" >"$T/cc.log" 2>&1 ||
        skip "clang cannot link libFuzzer with ASan/UBSan (Debian package libclang-rt-14-dev)"
    fb=$CG_BUILDDIR/fuzz-build
    mkdir -p "$fb"
    echo "building the fuzz targets in $fb"
    (
        cd "$fb" || exit 1
        unset MAKEFLAGS MFLAGS MAKELEVEL CFLAGS LDFLAGS
        if [ ! -f Makefile ]; then
            CC=clang "$CG_SRCDIR/configure" --quiet --enable-fuzzing || exit 1
        fi
        make -j2 fuzz
    ) >"$T/build.log" 2>&1 || {
        tail -n 40 "$T/build.log"
        echo "FAIL - building the fuzz targets"
        exit 1
    }
fi
export CEBGATE_DATADIR="$CG_SRCDIR/data"
sh "$CG_SRCDIR/tests/fuzz/seeds.sh" "$CG_SRCDIR" "$T/seeds"
[ -f "$T/seeds/verify-trust.pem" ] && export CG_FUZZ_TRUST="$T/seeds/verify-trust.pem"
ASAN_OPTIONS=detect_leaks=1
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS UBSAN_OPTIONS
fails=0
n=0
for t in order-own order-own-gb18030 order-jsonl order-shopify order-amazon catalog shipments \
    profile receipt conf verify port c14n statement refund; do
    n=$((n + 1))
    bin=$fb/tests/fuzz/fuzz-$t
    if [ ! -x "$bin" ]; then
        echo "FAIL - $t: $bin was not built"
        fails=$((fails + 1))
        continue
    fi
    mkdir -p "$T/corpus/$t"
    cp "$T/seeds/$t"/* "$T/corpus/$t/" 2>/dev/null
    if "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 \
        -artifact_prefix="$T/$t-" "$T/corpus/$t" >"$T/$t.log" 2>&1; then
        echo "ok - $t: $(grep -E '^#[0-9]+' "$T/$t.log" | tail -n 1)"
    else
        fails=$((fails + 1))
        echo "FAIL - $t"
        grep -v '^#[0-9]' "$T/$t.log" | tail -n 60
        for a in "$T/$t"-*; do
            [ -f "$a" ] && echo "  input (base64): $(base64 -w0 "$a" | head -c 2000)"
        done
    fi
done
echo "$((n - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
