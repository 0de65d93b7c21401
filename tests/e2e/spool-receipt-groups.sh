#!/bin/sh
# spool-receipt-groups.sh - inbox/ files are applied in groups, one transaction each, in name
# order. A file that cannot be parsed in the middle of a group is failed alone and the others
# are applied; a database failure in a group rolls all of it back (exit 75, every file stays in
# inbox/) and the next run applies each once; a run killed between the group's commit and its
# moves to archive/ leaves files the next run only archives ("already applied"), so no receipt
# is applied twice. The line per receipt file is printed at -v only. Where strace is installed,
# the kill is a real SIGKILL at the 6th move, and the syncs of a group are counted: fewer than
# one per file (each file cost three before groups: two directory fsyncs and a commit).
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

mkdir -p "$W/incoming/jl" "$T/r2" "$T/r3" "$T/r120"
$HELPER orders jsonl "$W/incoming/jl/four.jsonl" 4 1
expect_rc 0 "4 orders declared" cg run --no-progress
check "12 messages (CEB303, CEB505, CEB603 each)" [ "$(count "$W/outbox" '*.xml')" -eq 12 ]
CG_RETURN_DAY=20260101 $HELPER receipts "$W/outbox" "$T/r2" 2 >/dev/null
CG_RETURN_DAY=20260102 $HELPER receipts "$W/outbox" "$T/r3" 3 >/dev/null
CG_RETURN_DAY=20260103 $HELPER receipts "$W/outbox" "$T/r120" 120 >/dev/null
# put ROUND DIR: the receipt files of DIR into inbox/ as ROUND-NAME (name order: 4 CEB304, 4
# CEB506, 4 CEB604)
put() { for f in "$2"/*.xml; do cp "$f" "$W/inbox/$1-$(basename "$f")"; done; }
rows() { sql "SELECT count(*) FROM receipts WHERE $1"; }
SUMMARY0='  receipts: 12 files, 12 applied, 0 duplicate, 0 late, 0 unknown guid, 0 mismatched'
NOSTRACE=""
command -v strace >/dev/null 2>&1 || NOSTRACE=1
# strace and LeakSanitizer both trace the process: no leak check under strace
STRACE_ENV="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# 1. A bad file fifth of 13: failed alone, the 12 others applied in the same pass.
put a "$T/r2"
printf '<CEB304Message xmlns="http://www.chinaport.gov.cn/ceb"><broken' >"$W/inbox/a-CEB505-bad.xml"
expect_rc 1 "a group with an unreadable file in the middle" cg run --no-progress
check "12 receipts applied" [ "$(rows "status = '2' AND outcome = 'applied'")" -eq 12 ]
check "12 files recorded" [ "$(sql "SELECT count(*) FROM receipt_files")" -eq 12 ]
check "every message declaring" \
    [ "$(sql "SELECT count(*) FROM messages WHERE state = 'declaring'")" -eq 12 ]
check "the bad file in failed/inbox/" test -f "$W/failed/inbox/a-CEB505-bad.xml"
check "with its reason" grep -q '^inbox/a-CEB505-bad.xml: ' "$W/failed/inbox/a-CEB505-bad.xml.reason"
check "the 12 in archive/" [ "$(count "$W/archive" 'a-CEB*')" -eq 12 ]
check "inbox/ empty" [ "$(count "$W/inbox")" -eq 0 ]
check "summary: 12 files, 12 applied, 1 unreadable" grep -qx "$SUMMARY0, 1 unreadable file" "$T/out"
check "no line per receipt file without -v" sh -c "! grep -q '^receipts ' '$T/out'"

# 2. The database refuses the seventh file's receipt: the whole group is rolled back.
g7=$(ls "$T/r3" | sed -n 7p | sed 's/^CEB[0-9]*Message_//; s/\.xml$//')
sql "CREATE TRIGGER test_refuse BEFORE INSERT ON receipts WHEN NEW.guid = '$g7'
     BEGIN SELECT RAISE(ABORT, 'test: database refuses'); END"
put b "$T/r3"
expect_rc 75 "a database failure in the group" cg run --no-progress
check "no receipt of the group applied" [ "$(rows "status = '3'")" -eq 0 ]
check "no file of the group recorded" [ "$(sql "SELECT count(*) FROM receipt_files")" -eq 12 ]
check "every file stays in inbox/" [ "$(count "$W/inbox" 'b-CEB*')" -eq 12 ]
check "none archived" [ "$(count "$W/archive" 'b-CEB*')" -eq 0 ]
sql "DROP TRIGGER test_refuse"
if [ -z "$NOSTRACE" ]; then
    expect_rc 0 "the next run (-v, syncs counted)" env "$STRACE_ENV" strace -f -c \
        -o "$T/strace" -e trace=fsync,fdatasync,syncfs "$CEBGATE" -v -c "$W/cebgate.conf" run \
        --no-progress
    syncs=$(awk '$NF ~ /^(fsync|fdatasync|syncfs)$/ { n += $4 } END { print n + 0 }' "$T/strace")
    check "fewer syncs ($syncs) than the 12 files" [ "$syncs" -lt 12 ]
else
    expect_rc 0 "the next run (-v)" cg -v run --no-progress
    ok "syncs not counted: strace is not installed"
fi
check "each receipt applied once" [ "$(rows "status = '3' AND outcome = 'applied'")" -eq 12 ]
check "no other row" [ "$(rows "status = '3'")" -eq 12 ]
check "summary: 12 files, 12 applied" grep -qx "$SUMMARY0, 0 unreadable files" "$T/out"
check "at -v a line per file, 12" [ "$(grep -c '^receipts b-CEB[0-9]*Message_.*\.xml: 1 entry, 1 applied, 0 duplicate, 0 late, 0 unknown, 0 mismatched$' "$T/out")" -eq 12 ]
check "inbox/ empty" [ "$(count "$W/inbox")" -eq 0 ]

# 3. Killed after the group's commit, at the 6th of its 12 moves: 5 moved, 7 left in inbox/.
put c "$T/r120"
if [ -z "$NOSTRACE" ]; then
    env "$STRACE_ENV" strace -f -o /dev/null -e trace=renameat2 \
        -e inject=renameat2:signal=KILL:when=6 "$CEBGATE" -c "$W/cebgate.conf" run \
        --no-progress >"$T/out" 2>"$T/err"
    rc=$?
    check "killed by SIGKILL at the 6th move (exit $rc)" [ "$rc" -eq 137 ]
else
    # the same state by hand: the run completes, then 7 of its files are put back
    expect_rc 0 "the group applied" cg run --no-progress
    for f in $(ls "$W/archive" | grep '^c-CEB' | sort | tail -7); do
        mv "$W/archive/$f" "$W/inbox/$f"
    done
    ok "killed by hand: strace is not installed"
fi
check "the group was committed: 12 applied" \
    [ "$(rows "status = '120' AND outcome = 'applied'")" -eq 12 ]
check "5 files moved" [ "$(count "$W/archive" 'c-CEB*')" -eq 5 ]
check "7 left in inbox/" [ "$(count "$W/inbox" 'c-CEB*')" -eq 7 ]
expect_rc 0 "the next run" cg -v run --no-progress
check "the 7 are known: archived again" \
    [ "$(grep -c '^.*inbox/c-CEB[0-9]*Message_.*\.xml: already applied; archived again$' "$T/err")" -eq 7 ]
check "nothing applied twice" [ "$(rows "status = '120'")" -eq 12 ]
check "36 files recorded in all" [ "$(sql "SELECT count(*) FROM receipt_files")" -eq 36 ]
check "every message accepted" \
    [ "$(sql "SELECT count(*) FROM messages WHERE state = 'accepted'")" -eq 12 ]
check "summary: 7 files, 0 applied" grep -qx '  receipts: 7 files, 0 applied, 0 duplicate, 0 late, 0 unknown guid, 0 mismatched, 0 unreadable files' "$T/out"
check "all 12 in archive/, under their names" [ "$(count "$W/archive" 'c-CEB*')" -eq 12 ]
check "no second copy in archive/" [ "$(count "$W/archive" 'c-CEB*.xml.*')" -eq 0 ]
check "inbox/ empty" [ "$(count "$W/inbox")" -eq 0 ]
finish
