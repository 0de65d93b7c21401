#!/bin/sh
# spool-receipts.sh - numbers from receipts: the preNo/invtNo of a released inventory come from
# its receipt; a late receipt carrying other numbers changes neither the state nor the numbers
# (the next modify would carry them to customs).
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
expect_rc 0 "the late receipt is applied" cg run --no-progress
check "counted late" grep -q '1 late' "$T/out"
check "still released" [ "$(sql "SELECT state FROM documents WHERE guid = '$g'")" = released ]
check "preNo unchanged" [ "$(sql "SELECT pre_no FROM documents WHERE guid = '$g'")" = "$pre" ]
check "invtNo unchanged" [ "$(sql "SELECT invt_no FROM documents WHERE guid = '$g'")" = "$invt" ]
check "the late receipt is in the log" \
    [ "$(sql "SELECT count(*) FROM receipts WHERE guid = '$g' AND outcome = 'late'")" -eq 1 ]
finish
