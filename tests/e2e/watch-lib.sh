# watch-lib.sh - helpers for the tests that run `cebgate watch` in the background, sourced after
# lib.sh: within (a condition polled), passes (watch ran a whole pass), watch_stop (SIGTERM, exit
# 0 expected; run by the cleanup too). The test starts watch with its output in $T/watch.out and
# $T/watch.err and sets WPID.

# within N COMMAND: true once the shell command holds, tried every 0.1 s at most N times
within() {
    n=$1
    shift
    k=0
    while [ $k -lt "$n" ]; do
        if eval "$@"; then return 0; fi
        sleep 0.1
        k=$((k + 1))
    done
    return 1
}
# passes: watch ran at least one whole pass after this is called. A file watch cannot read is
# dropped three times into incoming/$PASS_SELLER (default acme); a pass takes each to failed/ in
# its intake. The pass that took the second began after the first was in failed/, and has ended
# when the third is there.
NPASS=0
passes() {
    for _ in 1 2 3; do
        NPASS=$((NPASS + 1))
        printf 'not,an,order\n' >"$T/pass-$NPASS.csv"
        mv "$T/pass-$NPASS.csv" "$W/incoming/${PASS_SELLER:-acme}/pass-$NPASS.csv"
        within 300 "test -f '$W/failed/${PASS_SELLER:-acme}/pass-$NPASS.csv'" ||
            { fail "watch took no pass ($NPASS)"; return 1; }
    done
}
WPID=""
watch_stop() {
    [ -n "$WPID" ] || return 0
    kill -TERM "$WPID" 2>/dev/null
    wait "$WPID"
    watch_rc=$?
    WPID=""
    [ "$watch_rc" -eq 0 ] || {
        fail "watch exited $watch_rc when stopped"
        sed 's/^/  watch: /' "$T/watch.err" | tail -20
    }
}
cleanup_hooks="watch_stop ${cleanup_hooks:-}"
