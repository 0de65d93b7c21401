#!/bin/sh
# spool-receipts.sh - numbers from receipts: the preNo/invtNo of a released inventory come from
# its receipt; a late receipt carrying other numbers changes neither the state nor the numbers
# (the next modify would carry them to customs). A message whose hand-over was never recorded
# (a run stopped between the acknowledgement and its record) is recorded as sent and archived
# once a receipt for it arrives.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

mkdir -p "$W/incoming/jl" "$T/ob" "$T/late"
$HELPER orders jsonl "$W/incoming/jl/one.jsonl" 1 1
expect_rc 0 "one order declared" cg run --no-progress
g=$(sql "SELECT guid FROM documents WHERE msg_type = 603")
cp "$W/outbox/CEB603Message_$g.xml" "$T/ob/"
$HELPER receipts "$T/ob" "$W/inbox" 800 >/dev/null
expect_rc 0 "the inventory is released" cg run --no-progress
check "released" [ "$(sql "SELECT state FROM documents WHERE guid = '$g'")" = released ]
pre=$(sql "SELECT pre_no FROM documents WHERE guid = '$g'")
invt=$(sql "SELECT invt_no FROM documents WHERE guid = '$g'")
check "preNo from the receipt" [ "$pre" = P00000000000000000 ]
check "invtNo from the receipt" [ "$invt" = I00000000000000000 ]

# A late "declaring" receipt with other numbers and another time.
$HELPER receipts "$T/ob" "$T/late" 2 >/dev/null
sed -e 's/P00000000000000000/P99999999999999999/; s/I00000000000000000/I99999999999999999/' \
    -e 's/20260101120000000/20260101110000000/' "$T/late/CEB604Message_$g.xml" \
    >"$W/inbox/late-$g.xml"
check "the late receipt carries other numbers" grep -q P99999999999999999 "$W/inbox/late-$g.xml"
expect_rc 0 "the late receipt is applied, at -v" cg -v run --no-progress
check "counted late" grep -q '1 late' "$T/out"
check "its line (at -v) counts one entry" grep -q "^receipts late-$g.xml: 1 entry, 0 applied, 0 duplicate, 1 late" "$T/out"
check "still released" [ "$(sql "SELECT state FROM documents WHERE guid = '$g'")" = released ]
check "preNo unchanged" [ "$(sql "SELECT pre_no FROM documents WHERE guid = '$g'")" = "$pre" ]
check "invtNo unchanged" [ "$(sql "SELECT invt_no FROM documents WHERE guid = '$g'")" = "$invt" ]
check "the late receipt is in the log" \
    [ "$(sql "SELECT count(*) FROM receipts WHERE guid = '$g' AND outcome = 'late'")" -eq 1 ]

# The order's CEB303 as a stopped run leaves it: still queued, no sent_at, no archive copy.
g3=$(sql "SELECT guid FROM documents WHERE msg_type = 303")
sql "UPDATE messages SET state = 'queued', sent_at = NULL WHERE guid = '$g3';
     UPDATE documents SET state = 'queued' WHERE guid = '$g3'"
rm -f "$W/archive/CEB303Message_$g3.xml"
mkdir "$T/ob3"
cp "$W/outbox/CEB303Message_$g3.xml" "$T/ob3/"
$HELPER receipts "$T/ob3" "$W/inbox" 2 >/dev/null
expect_rc 0 "the port's receipt for it arrives" cg run --no-progress
check "the receipt moved it" \
    [ "$(sql "SELECT state FROM messages WHERE guid = '$g3'")" = declaring ]
check "recorded as sent" [ -n "$(sql "SELECT sent_at FROM messages WHERE guid = '$g3'")" ]
check "archived" test -f "$W/archive/CEB303Message_$g3.xml"
check "no message left unsent" [ "$(sql "SELECT count(*) FROM messages WHERE sent_at IS NULL")" -eq 0 ]
finish
