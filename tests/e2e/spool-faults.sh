#!/bin/sh
# spool-faults.sh - temporary failures never reject an order. A remote signer that cannot be
# reached, a rename into outbox/ that fails and a disk that fills up while messages are written
# each end the run with exit 75, reject nothing and keep the input; once the cause is gone the
# next run declares every order exactly once (one message per document, every message in
# outbox/ recorded once). A database held by another process is the same. A watch whose lock
# file is removed stops by itself. A file a temporary failure leaves in active/ is counted so in
# the summary, by watch once over its passes.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"
SERVER="$CG_BUILDDIR/tests/unit/remote-signer-server"

# once DESCRIPTION N: N orders, three documents each, one message per document, all in outbox/
once() {
    check "$1: $2 orders" [ "$(sql 'SELECT count(*) FROM orders')" -eq "$2" ]
    check "$1: one version of each document" \
        [ "$(sql 'SELECT count(*) FROM messages')" -eq $(($2 * 3)) ]
    check "$1: no document declared twice" [ "$(sql 'SELECT max(version) FROM documents')" -eq 1 ]
    check "$1: nothing rejected" [ "$(sql 'SELECT count(*) FROM rejections')" -eq 0 ]
    check "$1: outbox matches the records" $HELPER check-outbox "$W/outbox" "$W/cebgate.db"
}
nothing_lost() {
    check "$1: no order rejected" [ "$(sql 'SELECT count(*) FROM rejections')" -eq 0 ]
    check "$1: no file in failed/" [ "$(find "$W/failed" -type f | wc -l)" -eq 0 ]
    check "$1: the input is kept" \
        [ "$(find "$W/incoming/jl" "$W/active" -type f -name '*.jsonl' | wc -l)" -eq 1 ]
    check "$1: summary rejects nothing" grep -q ', 0 rejected' "$T/out"
}

# ---------------------------------------------------------------- the remote signer
cp "$W/cebgate.conf" "$T/local.conf"
mkdir -p "$W/incoming/jl"
$HELPER orders jsonl "$W/incoming/jl/remote.jsonl" 20 1
# Nothing listens on the discard port of loopback: the connection is refused.
printf '[declare]\nsigner = remote\nremote_url = http://127.0.0.1:9/sign\nremote_token = t\n' \
    >>"$W/cebgate.conf"
sed -i '/^\[seller.jl\]/,/^\[/{/^key_file/d}' "$W/cebgate.conf"
expect_rc 75 "signer unreachable: run exits 75" cg run --no-progress
check "the reason names the signer" grep -q 'remote signer' "$T/err"
nothing_lost "signer unreachable"
check "signer unreachable: no order recorded" [ "$(sql 'SELECT count(*) FROM orders')" -eq 0 ]
LEFT="summary: 1 file taken (0 done, 0 failed, 0 duplicate, 1 left in active/ for the next run)"
check "signer unreachable: the summary counts the file as left in active/" grep -Fxq "$LEFT" \
    "$T/out"
expect_rc 75 "still unreachable: exit 75 again" cg run --no-progress
nothing_lost "signer still unreachable"
check "signer still unreachable: the file resumed from active/ is left there again" \
    grep -Fxq "$LEFT" "$T/out"
# watch tries the file again at each pass (--retry 1) while the signer answers nothing; stopped,
# it counts the file once, as left in active/, not once a pass
"$CEBGATE" -c "$W/cebgate.conf" watch --retry 1 --no-progress >"$T/watch.out" \
    2>"$T/watch.err" &
wpid=$!
# (watch.err is created by the background shell: it may not exist yet at the first look)
tries() {
    n=$(grep -c 'CEB303 signing: remote signer' "$T/watch.err" 2>/dev/null)
    echo "${n:-0}"
}
k=0
while [ "$(tries)" -lt 3 ] && [ $k -lt 600 ]; do
    sleep 0.1
    k=$((k + 1))
done
check "watch tried the file in 3 passes" [ "$(tries)" -ge 3 ]
kill -TERM $wpid
wait $wpid
wrc=$?
check "watch stopped by SIGTERM exits 0 (exit $wrc)" [ $wrc -eq 0 ]
check "its summary counts the file once, as left in active/" grep -Fxq "$LEFT" "$T/watch.out"

REMOTE_SIGNER_TOKEN=t "$SERVER" --key "$T/keys/signer.key" --cert "$T/keys/signer.pem" \
    --port-file "$T/signer.port" >/dev/null 2>&1 &
spid=$!
stop_signer() { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; }
cleanup_hooks="stop_signer"
i=0
while [ ! -s "$T/signer.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sed -i "s|^remote_url = .*|remote_url = http://127.0.0.1:$(cat "$T/signer.port")/sign|" \
    "$W/cebgate.conf"
expect_rc 0 "signer back: the rerun declares the orders" cg run --no-progress
once "signer back" 20
check "the file is done" test -f "$W/done/jl/remote.jsonl"
stop_signer
cleanup_hooks=""

# ---------------------------------------------------------------- a failed rename into outbox/
# outbox/ made read-only (a bind mount over itself): the batch is committed, its messages stay
# in tmp/, the run exits 75; the next run finishes them into outbox/ and sends each once.
cp "$T/local.conf" "$W/cebgate.conf"
$HELPER orders jsonl "$W/incoming/jl/ro.jsonl" 5 501
if mount --bind "$W/outbox" "$W/outbox" 2>/dev/null &&
    mount -o remount,bind,ro "$W/outbox" 2>/dev/null; then
    unbind() { umount "$W/outbox" 2>/dev/null; }
    cleanup_hooks="unbind"
    expect_rc 75 "outbox/ refuses the rename: exit 75" cg run --no-progress
    check "the reason names outbox/" grep -q 'to outbox/' "$T/err"
    check "outbox refused: nothing rejected" [ "$(sql 'SELECT count(*) FROM rejections')" -eq 0 ]
    check "the messages wait in tmp/" [ "$(find "$W/tmp" -name '*.xml' | wc -l)" -ge 1 ]
    umount "$W/outbox"
    cleanup_hooks=""
    expect_rc 0 "outbox writable again: the rerun finishes them" cg run --no-progress
    check "recovered after the failed rename" grep -q 'recovered after a crash' "$T/out"
    once "after the failed rename" 25
    check "tmp/ is empty" [ "$(find "$W/tmp" -type f | wc -l)" -eq 0 ]
else
    umount "$W/outbox" 2>/dev/null
    echo "SKIP - failed rename: cannot bind-mount outbox/ read-only here (needs root)"
    expect_rc 0 "the orders without the fault" cg run --no-progress
fi

# ---------------------------------------------------------------- the database held elsewhere
# Another process holds the database's write lock past the busy timeout (5 s): the run exits
# 75 with the input kept; once the lock is released the rerun declares the orders once.
$HELPER orders jsonl "$W/incoming/jl/busy.jsonl" 3 601
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(60)
' "$W/cebgate.db" "$T/held" &
hp=$!
i=0
while [ ! -e "$T/held" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "another process holds the database" test -e "$T/held"
expect_rc 75 "database busy: run exits 75" cg run --no-progress
check "the reason is the lock" grep -q 'database is locked' "$T/err"
nothing_lost "database busy"
kill $hp
wait $hp 2>/dev/null
expect_rc 0 "database free: the rerun declares the orders" cg run --no-progress
once "database free" 28

# ---------------------------------------------------------------- the lock file removed
# watch holds the working directory; deleting its lock file would let a second process in,
# so the holder notices within a second and stops (exit 75).
"$CEBGATE" -c "$W/cebgate.conf" watch --no-progress >"$T/watch.out" 2>"$T/watch.err" &
wp=$!
i=0
while ! grep -q "^$wp\$" "$W/cebgate.lock" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.1; i=$((i + 1))
done
check "watch holds the lock" grep -q "^$wp\$" "$W/cebgate.lock"
rm -f "$W/cebgate.lock"
i=0
while kill -0 $wp 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "watch stopped by itself" sh -c "! kill -0 $wp 2>/dev/null"
kill $wp 2>/dev/null
wait $wp
check "watch exits 75" [ $? -eq 75 ]
check "it says why" grep -q 'cebgate.lock was removed or replaced' "$T/watch.err"

# ---------------------------------------------------------------- a full disk
# The working directory (database and spool) on a small tmpfs that fills while messages are
# written. Mounting needs privileges; without them this part is skipped and says so.
mkdir -p "$T/disk"
if ! mount -t tmpfs -o size=1200k tmpfs "$T/disk" 2>/dev/null; then
    echo "SKIP - disk full: cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)"
    finish
    exit $?
fi
unmount() { umount "$T/disk" 2>/dev/null || umount -l "$T/disk" 2>/dev/null; }
cleanup_hooks="unmount"
cp "$T/local.conf" "$T/disk/cebgate.conf"
cp "$W/catalog.csv" "$W/shopify-pod.ini" "$T/disk/"
W=$T/disk
mkdir -p "$W/incoming/jl"
$HELPER orders jsonl "$W/incoming/jl/big.jsonl" 300 1001
expect_rc 75 "disk full: run exits 75" cg run --no-progress
check "the reason is the full disk" grep -q 'No space left on device\|database or disk is full' "$T/err"
check "  and that nothing of the batch was recorded" grep -q '(nothing of this batch was recorded' "$T/err"
# a message that did not fit in tmp/ says what lets the batch through (the database filling
# first says only that it is full)
if grep -q 'writing: tmp/.*No space left on device' "$T/err"; then
    check "  and that the batch needs room in tmp/ (free space or a smaller --batch)" grep -q \
        "(nothing of this batch was recorded; all of a batch's messages are written to tmp/ before its commit: free space there or run with a smaller --batch)\$" \
        "$T/err"
fi
check "  the summary counts the file as left in active/ for the next run" grep -Fxq \
    "summary: 1 file taken (0 done, 0 failed, 0 duplicate, 1 left in active/ for the next run)" \
    "$T/out"
acc=$(sed -n 's/^  orders: \([0-9]*\) accepted.*/\1/p' "$T/out")
sig=$(sed -n 's/^  messages: \([0-9]*\) signed.*/\1/p' "$T/out")
check "the summary counts as signed only the recorded batches' messages ($sig for $acc orders)" \
    [ -n "$acc" ] && [ "$sig" -eq $((acc * 3)) ]
nothing_lost "disk full"
mount -o remount,size=64m "$T/disk"
expect_rc 0 "space freed: the rerun declares the orders" cg run --no-progress
once "space freed" 300
check "the file is done" test -f "$W/done/jl/big.jsonl"
finish
