# lib.sh - helpers sourced by the end-to-end tests.
# Set by make check: CEBGATE (the binary), CEBGATE_DATADIR, CG_TESTDATA, CG_SRCDIR, CG_BUILDDIR.
set -u
: "${CEBGATE:?run through make check}"
T=$(mktemp -d "${TMPDIR:-/tmp}/cg-e2e.XXXXXX")
cleanup_hooks=""
cleanup() {
    for h in $cleanup_hooks; do "$h" || true; done
    rm -rf "$T"
}
trap cleanup EXIT
fails=0
passes=0
ok() { passes=$((passes + 1)); echo "ok - $*"; }
fail() { fails=$((fails + 1)); echo "FAIL - $*"; }
# check DESCRIPTION COMMAND...: passes when the command exits 0
check() { d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
# expect_rc RC DESCRIPTION COMMAND...: run, keep stdout in $T/out and stderr in $T/err
expect_rc() {
    want=$1; d=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"; got=$?
    if [ "$got" -eq "$want" ]; then ok "$d (exit $got)"; else
        fail "$d: exit $got, expected $want"; sed 's/^/  stderr: /' "$T/err" | head -20; fi
}
finish() {
    echo "$passes passed, $fails failed"
    [ "$fails" -eq 0 ]
}
