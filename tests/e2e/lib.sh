# lib.sh - helpers sourced by the end-to-end tests.
# Set by make check: CEBGATE (the binary), CEBGATE_DATADIR, CG_TESTDATA, CG_SRCDIR, CG_BUILDDIR.
set -u
: "${CEBGATE:?run through make check}"
T=$(mktemp -d "${TMPDIR:-/tmp}/cg-e2e.XXXXXX")
# In a sanitizer build every process the test starts writes its reports (AddressSanitizer,
# LeakSanitizer, UndefinedBehaviorSanitizer) to $T/san/report.PID instead of a stderr the test
# may discard; any such file fails the test (san_check, run by finish and again on exit).
# The folder is writable by all: spool-bad.sh runs cebgate as another user.
mkdir -p "$T/san" && chmod 1777 "$T/san"
SAN_LOG=$T/san/report
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$SAN_LOG"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$SAN_LOG"
LSAN_OPTIONS="suppressions=${CG_SRCDIR:-.}/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
LSAN_OPTIONS="$LSAN_OPTIONS:log_path=$SAN_LOG"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
# san_check: 0 when no process wrote a sanitizer report; else print them (into the test's log)
san_check() {
    set -- "$T"/san/report.*
    [ -e "$1" ] || return 0
    for r in "$@"; do
        echo "FAIL - sanitizer report $(basename "$r"):"
        sed 's/^/  /' "$r"
        rm -f "$r"
    done
    return 1
}
cleanup() {
    cleanup_rc=$?
    fails_before=$fails
    for h in ${cleanup_hooks:-}; do "$h" || true; done
    [ "$fails" -eq "$fails_before" ] || cleanup_rc=1
    san_check || cleanup_rc=1
    rm -rf "$T"
    exit "$cleanup_rc"
}
fails=0
passes=0
trap cleanup EXIT
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
# alive PID: the process runs (a child that ended but was not waited for is a zombie: "Z")
alive() {
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
    [ -n "$st" ] && [ "$st" != Z ]
}
# ended PID TENTHS: poll until PID (a child of this shell) has ended, at most TENTHS tenths of a
# second; then reap it. ENDED_RC: its exit code, or "hung" when it was still running and was
# killed; ENDED_WAITED: the tenths of a second waited.
ended() {
    ENDED_WAITED=0
    while alive "$1" && [ "$ENDED_WAITED" -lt "$2" ]; do
        sleep 0.1
        ENDED_WAITED=$((ENDED_WAITED + 1))
    done
    if alive "$1"; then
        kill -KILL "$1"
        wait "$1"
        ENDED_RC=hung
        return 1
    fi
    wait "$1"
    ENDED_RC=$?
}
# poll_until TENTHS COMMAND...: run COMMAND every tenth of a second until it succeeds, at most
# TENTHS times more; its status: 0 once it succeeded, 1 when it never did
poll_until() {
    tenths=$1
    shift
    i=0
    until "$@"; do
        [ $i -lt "$tenths" ] || return 1
        sleep 0.1
        i=$((i + 1))
    done
}
finish() {
    san_check || fail "no sanitizer report from the processes the test started"
    echo "$passes passed, $fails failed"
    [ "$fails" -eq 0 ]
}
# port_start [-d DIR] [-r] CONF [OPTION...]: run `cebgate [OPTION...] -c CONF port` in the
# background (pid file port.pid, output in port.out and port.err, all three in DIR, by default
# the current directory) and wait at most 30 s for the port file it writes last, DIR/port.num;
# PORT_PID and P (its TCP port, empty when it did not start) are set, and port_stop becomes a
# cleanup hook. With -r a port that did not start is a failure, shown with the end of port.err.
port_start() {
    PORT_DIR=.
    port_required=""
    while :; do
        case $1 in
        -d) PORT_DIR=$2; shift 2 ;;
        -r) port_required=1; shift ;;
        *) break ;;
        esac
    done
    port_conf=$1
    shift
    rm -f "$PORT_DIR/port.num"
    "$CEBGATE" "$@" -c "$port_conf" port --port-file "$PORT_DIR/port.num" \
        --pid-file "$PORT_DIR/port.pid" >"$PORT_DIR/port.out" 2>"$PORT_DIR/port.err" &
    PORT_PID=$!
    case " ${cleanup_hooks:-} " in
    *" port_stop "*) ;;
    *) cleanup_hooks="${cleanup_hooks:-} port_stop" ;;
    esac
    i=0
    while [ ! -s "$PORT_DIR/port.num" ] && [ $i -lt 300 ] && kill -0 "$PORT_PID" 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
    done
    P=$(cat "$PORT_DIR/port.num" 2>/dev/null)
    [ -n "$P" ] || [ -z "$port_required" ] || {
        fail "port did not start"
        sed 's/^/  port: /' "$PORT_DIR/port.err" | tail -20
    }
}
# port_stop: SIGTERM to the port port_start started; a failure unless it exits 0
port_stop() {
    [ -n "${PORT_PID:-}" ] || return 0
    kill "$PORT_PID" 2>/dev/null
    wait "$PORT_PID"
    port_rc=$?
    PORT_PID=""
    [ "$port_rc" -eq 0 ] || {
        fail "port exited $port_rc when stopped"
        sed 's/^/  port: /' "$PORT_DIR/port.err" | tail -20
    }
}
