#!/bin/sh
# http-stop.sh - SIGTERM while the HTTP transport waits for a port that answers 503 to every
# message ([port] fault_503_percent = 100, Retry-After: 1), with retries set to go on for an
# hour or more: `cebgate run` and then `cebgate watch` exit 0 within a few seconds of the signal,
# nothing is marked sent or rejected (every message stays queued, a file dropped meanwhile
# waits in incoming/), and a following run against the healthy port sends the same messages
# (same guids, same bytes) and the new file's, each document once.
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
states() { sql "SELECT group_concat(state || '=' || n, ' ') FROM
    (SELECT state, count(*) AS n FROM messages GROUP BY state ORDER BY state)"; }
faults() {
    curl -sS --cacert "$K/ca.pem" -H @"$K/auth.hdr" "https://127.0.0.1:$P/metrics" 2>/dev/null |
        awk '/faults_injected_total\{kind="503"\}/ { print $2 }'
}
# retries_logged LOG: answers the sender logged it will send again (0 before LOG exists)
# stop_when_busy PID LOG N: once the sender (run with -vv) has logged N answers it will send
# again (it has taken the port's 503s and put them in its backoff), SIGTERM; then wait at most
# 10 s.
# STOP_SEEN: such answers logged at the signal; STOP_RC: the exit code, or "hung" (then it is
# killed); STOP_WAITED: tenths of a second from the signal to the exit.
retries_logged() { cat "$1" 2>/dev/null | grep -c 'debug: message .* attempt [0-9]*: '; }
stop_when_busy() {
    i=0
    while [ "$(retries_logged "$2")" -lt "$3" ] && [ $i -lt 300 ] && alive "$1"; do
        sleep 0.1
        i=$((i + 1))
    done
    STOP_SEEN=$(retries_logged "$2")
    kill -TERM "$1"
    ended "$1" 100
    STOP_RC=$ENDED_RC
    STOP_WAITED=$ENDED_WAITED
}

# ---------------------------------------------------------------- a port that answers 503
port_conf "$T/port.conf" "$T/port.db" "fault_503_percent = 100"
port_start -d "$T" -r "$T/port.conf"
sender_conf "max_retries = 100" "retry_max_delay = 60" "retry_deadline = 3600"
orders orders.csv 5 || fail "make orders"
"$CEBGATE" -vv -c "$W/cebgate.conf" run --no-progress >"$T/run.out" 2>"$T/run.err" &
stop_when_busy $! "$T/run.err" 15
check "run stopped by SIGTERM exits 0 within 10 s (exit $STOP_RC, $STOP_WAITED/10 s)" \
    test "$STOP_RC" = 0
[ "$STOP_RC" = 0 ] || tail -5 "$T/run.err"
check "the sender had taken 15 answers to retry before the signal ($STOP_SEEN)" \
    test "$STOP_SEEN" -ge 15
check "the port answered 503 before the signal ($(faults))" test "$(faults)" -ge 15
check "it says the messages were kept for the next run" grep -q "stopped on request" "$T/run.err"
check "nothing marked sent or rejected: 15 queued ($(states))" test "$(states)" = "queued=15"
check "the input file was taken once" test "$(sql "SELECT count(*) FROM input_files")" = 1

# ---------------------------------------------------------------- the same for watch
$HELPER orders own "$T/orders2.csv" 2 100 && mv "$T/orders2.csv" "$W/incoming/" ||
    fail "make orders 100-101"
"$CEBGATE" -vv -c "$W/cebgate.conf" watch --retry 60 --no-progress >"$T/watch.out" \
    2>"$T/watch.err" &
# Its first pass hands the queued messages over before it takes new files: stopped there.
stop_when_busy $! "$T/watch.err" 15
check "watch stopped by SIGTERM exits 0 within 10 s (exit $STOP_RC, $STOP_WAITED/10 s)" \
    test "$STOP_RC" = 0
[ "$STOP_RC" = 0 ] || tail -5 "$T/watch.err"
check "watch had taken 15 answers to retry before the signal ($STOP_SEEN)" test "$STOP_SEEN" -ge 15
check "still nothing marked: 15 queued ($(states))" test "$(states)" = "queued=15"
check "the new file is left for the next run" test -f "$W/incoming/orders2.csv"
sql "SELECT guid || ' ' || sha256 FROM messages ORDER BY guid" >"$T/before"
port_stop

# ---------------------------------------------------------------- the port is well again
port_conf "$T/port.conf" "$T/port.db"
port_start -d "$T" -r "$T/port.conf"
sender_conf
expect_rc 0 "the next run against the healthy port" cg run --no-progress
check "all 21 sent, none queued ($(states))" test "$(sql "SELECT count(*) FROM messages
    WHERE sent_at IS NOT NULL")|$(sql "SELECT count(*) FROM messages WHERE state = 'queued'")" = "21|0"
sql "SELECT guid || ' ' || sha256 FROM messages ORDER BY guid" >"$T/after"
check "the 15 stopped ones went out with the same guids and bytes" \
    test "$(grep -cxFf "$T/before" "$T/after")" = 15
"$CEBGATE" -c "$T/port.conf" port --documents >"$T/port-docs.tsv" 2>/dev/null
check "the port has each document once (21)" \
    test "$(cut -f2 "$T/port-docs.tsv" | sort -u | wc -l)" = 21
port_stop
finish
