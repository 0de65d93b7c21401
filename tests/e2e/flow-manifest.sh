#!/bin/sh
# flow-manifest.sh - the forwarder's manifest (docs/manifest-format.md) through the folder
# transport, customs played by flow-helper.py: a manifest with bad lines fails whole, every bad
# line named, nothing recorded; a good one is recorded; a bill whose parcels are all released
# gets its CEB607 (each parcel with its inventory's invtNo), then its CEB509 once customs
# accepted the CEB607 (leaveTime as given, China time); a bill with a parcel not released or
# unknown waits, the line named, nothing of it sent, and goes out once the parcel is released.
# A CEB607 refused by customs is not declared again by the next runs, which name it as waiting;
# a later manifest with the same data for the bill changes nothing, one with changed data
# declares it again (a modify); a bill customs did not refuse cannot come again. A bill waiting
# on a mistyped parcel, nothing of it declared, is corrected by a later manifest. A parcel on a
# declared bill can no longer be cancelled (the goods are leaving). A parcel leaves on one bill:
# a file listing it on two bills, or on a new bill while an accepted, sent or waiting bill holds
# it, fails whole, each line named; a refused bill lets it go, and a file that replaces a
# waiting bill may move one of its parcels to another bill.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"
FLOW="python3 $CG_SRCDIR/tests/e2e/flow-helper.py"
cleanup_hooks=""
mkdir -p "$W/incoming/acme"
$HELPER orders own "$W/incoming/acme/day1.csv" 4 || fail "make orders"
expect_rc 0 "the run declares four orders" cg run --no-progress
inv() { grep -l "<ceb:orderNo>$1</ceb:orderNo>" "$W"/outbox/CEB603Message_*.xml | head -1; }
for o in 1 2 3; do $FLOW receipt "$W/inbox" "$(inv SO-000000$o)" 2 120 800; done
$FLOW receipt "$W/inbox" "$(inv SO-0000004)" 2 120
expect_rc 0 "the receipts are applied" cg run --no-progress
H=bill_no,traf_mode,traf_name,voyage_no,leave_time,logistics_code,logistics_name,logistics_no,gross_weight
C='3120980105,SF Express'

cat >"$W/incoming/acme/manifest-bad.csv" <<EOC
$H
MB-1,5,CA1234,CA1234,2026-11-10 08:30,$C,SF0000000000001,2.5
MB-1,5,CA1234,CA1234,10.11.2026,$C,SF0000000000002,2.5
MB-1,5,CA9999,CA1234,2026-11-10 08:30,$C,SF0000000000003,2.5
MB-2,5,CA1234,CA1234,2026-11-10 08:30,$C,,2.5
EOC
expect_rc 1 "a manifest with bad lines fails" cg run --no-progress
r=$W/failed/acme/manifest-bad.csv.reason
check "failed/ has it with a reason" test -f "$r"
check "  naming the bad time by line" grep -Fq "manifest-bad.csv:3: field leave_time: '10.11.2026' is not YYYY-MM-DD HH:MM[:SS]" "$r"
check "  a head value that differs within a bill" grep -Fq "manifest-bad.csv:4: field traf_name: differs from the first line of bill MB-1" "$r"
check "  a missing parcel number" grep -Fq "manifest-bad.csv:5: field logistics_no: required value is missing" "$r"
check "the summary counts it once, as failed" grep -q '^summary: 1 file taken (0 done, 1 failed, 0 duplicate)$' "$T/out"
check "nothing of it was recorded" test "$(sql "SELECT count(*) FROM flow_bills")" = 0

cat >"$W/incoming/acme/manifest-1.csv" <<EOC
$H
MB-1,5,CA1234,CA1234,2026-11-10 08:30,$C,SF0000000000001,2.5
MB-1,5,CA1234,CA1234,2026-11-10 08:30,$C,SF0000000000002,1.25
MB-2,5,CA1235,CA1235,2026-11-11 09:00,$C,SF0000000000003,2.5
MB-2,5,CA1235,CA1235,2026-11-11 09:00,$C,SF0000000000004,2.5
MB-3,5,CA1236,CA1236,2026-11-12 10:00,$C,SF0000000009999,2.5
EOC
expect_rc 0 "a good manifest is taken" cg run --no-progress
cp "$T/out" "$T/run1"
check "done/ has it" test -f "$W/done/acme/manifest-1.csv"
check "the summary counts it once, as done" grep -q '^summary: 1 file taken (1 done, 0 failed, 0 duplicate)$' "$T/run1"
check "three bills, five parcels recorded" test "$(sql "SELECT count(*) FROM flow_bills")/$(sql "SELECT count(*) FROM flow_parcels")" = 3/5
check "MB-2 waits for SO-0000004, named by line" grep -Fq "manifest-1.csv:5: bill MB-2: parcel SF0000000000004: the inventory of order SO-0000004 is accepted, not released: the bill waits" "$T/run1"
check "MB-3 waits for an unknown parcel, named by line" grep -Fq "manifest-1.csv:6: bill MB-3: parcel SF0000000009999: no declared order has this waybill: the bill waits" "$T/run1"
wb() { sql "SELECT d.guid FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'BILL:$1' AND d.msg_type = $2"; }
x() { python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot(); n = {"c": "http://www.chinaport.gov.cn/ceb"}
print(" ".join(e.text or "" for e in r.findall(sys.argv[2], n)))' "$1" "$2"; }
f=$W/outbox/CEB607Message_$(wb MB-1 607).xml
check "MB-1's CEB607 is in outbox/" test -f "$f"
check "nothing for MB-2 and MB-3" test -z "$(wb MB-2 607)$(wb MB-3 607)"
check "it is valid and its signature verifies" cg verify --trust "$T/keys/ca.pem" "$f"
invt() { sql "SELECT d.invt_no FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = '$1' AND d.msg_type = 603"; }
check "its parcels with their invtNo" test "$(x "$f" .//c:WayBillList/c:logisticsNo)|$(x "$f" .//c:WayBillList/c:invtNo)" = "SF0000000000001 SF0000000000002|$(invt SO-0000001) $(invt SO-0000002)"
check "bill, flight, voyage as given; weight summed (2.5 + 1.25)" test "$(x "$f" .//c:WayBillHead/c:billNo) $(x "$f" .//c:WayBillHead/c:trafName) $(x "$f" .//c:WayBillHead/c:voyageNo) $(x "$f" .//c:WayBillHead/c:grossWeight)" = "MB-1 CA1234 CA1234 3.75"
check "no CEB509 before the CEB607 is accepted" test -z "$(wb MB-1 509)"
expect_rc 1 "a parcel on a declared bill cannot be cancelled" cg cancel SO-0000001 --reason x
check "  the rule is named" grep -Fq "the goods have left the country (inventory $(invt SO-0000001), departure declared)" "$T/err"

$FLOW receipt "$W/inbox" "$f" 2 120
expect_rc 0 "CEB608 120 is applied" cg run --no-progress
f=$W/outbox/CEB509Message_$(wb MB-1 509).xml
check "then MB-1's CEB509 goes out" test -f "$f"
check "its parcels" test "$(x "$f" .//c:DepartureList/c:logisticsNo)" = "SF0000000000001 SF0000000000002"
check "leaveTime as given (China time)" test "$(x "$f" .//c:DepartureHead/c:leaveTime)" = 20261110083000
check "the bill has departed" test "$(sql "SELECT state FROM flow_bills WHERE bill_no = 'MB-1'")" = departed
$FLOW receipt "$W/inbox" "$f" 2 120
expect_rc 0 "CEB510 120 is applied" cg run --no-progress
check "the CEB509 is accepted" test "$(sql "SELECT d.state FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'BILL:MB-1' AND d.msg_type = 509")" = accepted

$FLOW receipt "$W/inbox" "$(inv SO-0000004)" 800
expect_rc 0 "SO-0000004 released" cg run --no-progress
check "MB-2's CEB607 now goes out" test -f "$W/outbox/CEB607Message_$(wb MB-2 607).xml"
check "MB-3 still waits" test -z "$(wb MB-3 607)"
# Customs refuses MB-2's CEB607 after the E-Port stored it (2, then 100): resending the same
# bill cannot help, so runs leave it and say why, until a manifest changes the bill.
$FLOW receipt "$W/inbox" "$W/outbox/CEB607Message_$(wb MB-2 607).xml" 2 100
n607() { grep -l "<ceb:billNo>$1</ceb:billNo>" "$W"/outbox/CEB607Message_*.xml | wc -l; }
v607() { sql "SELECT d.version || ' ' || d.app_type || ' ' || d.state FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'BILL:$1' AND d.msg_type = 607"; }
# named as a rejected order is: the manifest it came from, the bill, its document in words
WAITS="acme/manifest-1.csv: bill MB-2: its waybill list (CEB607) version 1 was refused by customs: declared again only when a later manifest brings the bill with changed data"
expect_rc 0 "the refusal is applied" cg run --no-progress
check "MB-2's CEB607 version 1 is rejected" test "$(v607 MB-2)" = "1 1 rejected"
check "  the run names it as waiting" grep -Fxq "$WAITS" "$T/out"
expect_rc 0 "the next run" cg run --no-progress
check "  names it again" grep -Fxq "$WAITS" "$T/out"
# A broker reads a bill as a bill wherever its name is shown: `status` (by BILL:B or by the
# name the lists print), the rejected list, the report's rejected list (kind column "bill").
R607=$(sql "SELECT d.updated_at || '</td><td>' || d.status || ' ' || d.status_info FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'BILL:MB-2' AND d.msg_type = 607")
HEAD="bill MB-2  seller acme  first seen $(sql "SELECT created_at FROM orders WHERE order_no = 'BILL:MB-2'")  last changed $(sql "SELECT updated_at FROM orders WHERE order_no = 'BILL:MB-2'")  from manifest manifest-1.csv"
shown_as BILL:MB-2 acme "bill MB-2" CEB607 bill "$HEAD"
expect_rc 0 "report --html" cg report --html "$T/r.html"
check "  the page lists it as bill MB-2, kind bill" grep -Fq "<tr><td>acme</td><td>bill MB-2</td><td>CEB607</td><td>$R607</td><td>bill</td></tr>" "$T/r.html"
expect_rc 0 "and the run after" cg run --no-progress
check "two runs declared nothing again: one CEB607 of MB-2 in outbox/, version 1" test "$(n607 MB-2) $(v607 MB-2)" = "1 1 1 rejected"
# The same data for MB-2 in another file: taken, nothing declared again.
cat >"$W/incoming/acme/manifest-2.csv" <<EOC
$H
MB-2,5,CA1235,CA1235,2026-11-11 09:00,$C,SF0000000000003,2.5
MB-2,5,CA1235,CA1235,2026-11-11 09:00,$C,SF0000000000004,2.5
EOC
expect_rc 0 "a manifest with MB-2's data unchanged" cg run --no-progress
check "  is taken" test -f "$W/done/acme/manifest-2.csv"
check "  says the bill is the same as refused" grep -Fxq "manifest acme/manifest-2.csv: 0 refused bills taken again with changed data, 1 the same as refused (not declared again)" "$T/out"
check "  declares nothing" test "$(n607 MB-2) $(v607 MB-2)" = "1 1 1 rejected"
check "  the bill still waits" grep -Fxq "$WAITS" "$T/out"
# The corrected manifest: another flight. MB-2 takes its data and goes out again, a modify.
cat >"$W/incoming/acme/manifest-3.csv" <<EOC
$H
MB-2,5,CA1299,CA1299,2026-11-11 09:00,$C,SF0000000000003,2.5
MB-2,5,CA1299,CA1299,2026-11-11 09:00,$C,SF0000000000004,2.5
EOC
expect_rc 0 "a manifest with MB-2 on another flight" cg run --no-progress
check "  is taken" test -f "$W/done/acme/manifest-3.csv"
check "  says the bill was taken again" grep -Fxq "manifest acme/manifest-3.csv: 1 refused bills taken again with changed data, 0 the same as refused (not declared again)" "$T/out"
check "MB-2's CEB607 version 2, a modify, sent" test "$(n607 MB-2) $(v607 MB-2)" = "2 2 2 sent"
f=$W/outbox/CEB607Message_$(wb MB-2 607).xml
check "  on the new flight" test "$(x "$f" .//c:WayBillHead/c:trafName) $(x "$f" .//c:WayBillHead/c:voyageNo)" = "CA1299 CA1299"
check "  with the preNo of the first" grep -q "<ceb:preNo>$(sql "SELECT d.pre_no FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'BILL:MB-2' AND d.msg_type = 607")</ceb:preNo>" "$f"
expect_rc 0 "the next run" cg run --no-progress
check "  declares nothing more" test "$(n607 MB-2)" = 2
# Customs accepts it; then refuses MB-2's CEB509: it waits the same way. A manifest may change
# the departure data but not the parcels of the CEB607 customs accepted.
$FLOW receipt "$W/inbox" "$f" 2 120
expect_rc 0 "CEB608 120 is applied" cg run --no-progress
v509() { sql "SELECT d.version || ' ' || d.app_type || ' ' || d.state FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'BILL:MB-2' AND d.msg_type = 509"; }
check "MB-2's CEB509 goes out" test "$(v509)" = "1 1 sent"
$FLOW receipt "$W/inbox" "$W/outbox/CEB509Message_$(wb MB-2 509).xml" 2 100
expect_rc 0 "customs refuses it" cg run --no-progress
expect_rc 0 "the next run" cg run --no-progress
check "  names it as waiting" grep -Fxq "acme/manifest-3.csv: bill MB-2: its departure (CEB509) version 1 was refused by customs: declared again only when a later manifest brings the bill with changed data" "$T/out"
check "  and declares nothing" test "$(v509) $(ls "$W"/outbox | grep -c CEB509)" = "1 1 rejected 2"
cat >"$W/incoming/acme/manifest-5.csv" <<EOC
$H
MB-2,5,CA1299,CA1299,2026-11-12 07:15,$C,SF0000000000003,2.5
EOC
expect_rc 1 "a manifest with MB-2 short of a parcel fails" cg run --no-progress
check "  naming the rule" grep -Fxq "acme/manifest-5.csv:2: bill MB-2: its parcels differ from those of its CEB607, which customs accepted: only the departure data may change" "$W/failed/acme/manifest-5.csv.reason"
cat >"$W/incoming/acme/manifest-6.csv" <<EOC
$H
MB-2,5,CA1299,CA1299,2026-11-12 07:15,$C,SF0000000000003,2.5
MB-2,5,CA1299,CA1299,2026-11-12 07:15,$C,SF0000000000004,2.5
EOC
expect_rc 0 "a manifest with MB-2 leaving a day later" cg run --no-progress
check "MB-2's CEB509 version 2, a modify, sent" test "$(v509)" = "2 2 sent"
check "  leaveTime as given" test "$(x "$W/outbox/CEB509Message_$(wb MB-2 509).xml" .//c:DepartureHead/c:leaveTime)" = 20261112071500
check "  the CEB607 is not declared again" test "$(n607 MB-2) $(v607 MB-2)" = "2 2 2 accepted"
# MB-1's documents were accepted: a manifest cannot change it.
cat >"$W/incoming/acme/manifest-4.csv" <<EOC
$H
MB-1,5,CA7777,CA7777,2026-11-10 08:30,$C,SF0000000000001,2.5
EOC
expect_rc 1 "a manifest with MB-1 again fails" cg run --no-progress
check "  naming its last document, its state and the rule" grep -Fxq "acme/manifest-4.csv:2: bill MB-1 was taken from an earlier manifest and its departure (CEB509) version 1 is accepted: a bill comes again only while nothing of it is declared or after its waybill list (CEB607) or departure (CEB509) was refused" "$W/failed/acme/manifest-4.csv.reason"
# MB-3 waits on a mistyped parcel number (SF0000000009999 for SF0000000000005). Nothing of it
# is declared, so a later manifest corrects it: the same data changes nothing, changed data
# replaces the bill's and its parcels, and the bill goes out once the new parcels are released.
$HELPER orders own "$W/incoming/acme/day2.csv" 1 5 || fail "make order 5"
expect_rc 0 "the run declares a fifth order" cg run --no-progress
$FLOW receipt "$W/inbox" "$(inv SO-0000005)" 2 120 800
expect_rc 0 "SO-0000005 released" cg run --no-progress
MB3WAITS="acme/manifest-1.csv:6: bill MB-3: parcel SF0000000009999: no declared order has this waybill: the bill waits"
check "MB-3 still waits on its mistyped parcel" grep -Fxq "$MB3WAITS" "$T/out"
check "  nothing of it declared" test -z "$(wb MB-3 607)"
# mb3 NAME PARCEL WEIGHT WHAT: a manifest NAME.csv with MB-3 alone, which the run takes
mb3() {
    printf '%s\nMB-3,5,CA1236,CA1236,2026-11-12 10:00,%s,%s,%s\n' "$H" "$C" "$2" "$3" \
        >"$W/incoming/acme/$1.csv"
    expect_rc 0 "a manifest with MB-3's $4" cg run --no-progress
    check "  is taken" test -f "$W/done/acme/$1.csv"
}
mb3 manifest-7 SF0000000009999 2.5 "data unchanged"
check "  says nothing changes" grep -Fxq "acme/manifest-7.csv:2: bill MB-3: nothing of it is declared yet: the same data as taken before, nothing changes" "$T/out"
check "  the bill still waits, as recorded from manifest-1.csv" grep -Fxq "$MB3WAITS" "$T/out"
mb3 manifest-8 SF0000000000005 1.5 "parcel corrected"
check "  says it replaced the bill's data, naming file and line" grep -Fxq "acme/manifest-8.csv:2: bill MB-3: nothing of it is declared yet: its data and parcels replace those taken before" "$T/out"
check "  counts no refused bill" test "$(grep -c "refused bills taken again" "$T/out")" = 0
check "  the mistyped parcel is no longer named" test "$(grep -c SF0000000009999 "$T/out")" = 0
check "MB-3's only parcel is the corrected one, from line 2" test "$(sql "SELECT group_concat(p.line || ' ' || p.logistics_no) FROM flow_parcels p JOIN flow_bills b ON b.id = p.bill_id WHERE b.bill_no = 'MB-3'")" = "2 SF0000000000005"
f=$W/outbox/CEB607Message_$(wb MB-3 607).xml
check "MB-3's CEB607 goes out, version 1, an add" test "$(n607 MB-3) $(v607 MB-3)" = "1 1 1 sent"
check "  listing exactly the corrected parcel with its invtNo" test "$(x "$f" .//c:WayBillList/c:logisticsNo)|$(x "$f" .//c:WayBillList/c:invtNo)" = "SF0000000000005|$(invt SO-0000005)"
check "  with the corrected weight" test "$(x "$f" .//c:WayBillHead/c:grossWeight)" = 1.5
# Its CEB607 is on its way now: the bill can no longer come again, and the whole file fails.
cat >"$W/incoming/acme/manifest-9.csv" <<EOC
$H
MB-4,5,CA1237,CA1237,2026-11-13 10:00,$C,SF0000000000006,2.5
MB-3,5,CA1236,CA1236,2026-11-12 10:00,$C,SF0000000000005,2.5
EOC
expect_rc 1 "a manifest with MB-3 again, its CEB607 sent, fails" cg run --no-progress
check "  naming its last document, its state and the rule" grep -Fxq "acme/manifest-9.csv:3: bill MB-3 was taken from an earlier manifest and its waybill list (CEB607) version 1 is sent: a bill comes again only while nothing of it is declared or after its waybill list (CEB607) or departure (CEB509) was refused" "$W/failed/acme/manifest-9.csv.reason"
check "  nothing of it is recorded: no MB-4, MB-3 unchanged" test "$(sql "SELECT count(*) FROM flow_bills WHERE bill_no = 'MB-4'") $(sql "SELECT gross_weight FROM flow_bills WHERE bill_no = 'MB-3'")" = "0 150000"
$FLOW receipt "$W/inbox" "$(inv SO-0000001)" 899
expect_rc 0 "899 for SO-0000001" cg run --no-progress
expect_rc 0 "status SO-0000001" cg status SO-0000001
check "status shows it closed" grep -q "^  CEB603 C[0-9a-f]*  version 1  closed (899)" "$T/out"
# A parcel leaves on one bill. A new bill with a parcel already on MB-1 (accepted) and one
# with a parcel on MB-3 (its CEB607 sent, its parcel taken from manifest-8.csv) fail the whole
# file, each line named; nothing of it is recorded.
cat >"$W/incoming/acme/manifest-10.csv" <<EOC
$H
MB-5,5,CA1240,CA1240,2026-11-14 10:00,$C,SF0000000000001,2.5
MB-5,5,CA1240,CA1240,2026-11-14 10:00,$C,SF0000000000010,2.5
MB-6,5,CA1241,CA1241,2026-11-14 11:00,$C,SF0000000000005,2.5
EOC
expect_rc 1 "a manifest with parcels already on MB-1 and MB-3 fails" cg run --no-progress
check "  every such line named with the other bill and its file" test "$(cat "$W/failed/acme/manifest-10.csv.reason")" = "acme/manifest-10.csv: 2 lines are not valid; nothing of the manifest was taken:
acme/manifest-10.csv:2: bill MB-5: parcel SF0000000000001: already on bill MB-1 (taken from acme/manifest-1.csv): a parcel leaves on one bill
acme/manifest-10.csv:4: bill MB-6: parcel SF0000000000005: already on bill MB-3 (taken from acme/manifest-8.csv): a parcel leaves on one bill"
check "  nothing of it is recorded" test "$(sql "SELECT count(*) FROM flow_bills WHERE bill_no IN ('MB-5', 'MB-6')") $(sql "SELECT count(*) FROM flow_parcels WHERE logistics_no IN ('SF0000000000001', 'SF0000000000005', 'SF0000000000010')")" = "0 2"
# One file with a parcel on two bills fails too; a parcel twice on the same bill, as before.
cat >"$W/incoming/acme/manifest-11.csv" <<EOC
$H
MB-7,5,CA1242,CA1242,2026-11-15 10:00,$C,SF0000000000011,2.5
MB-8,5,CA1243,CA1243,2026-11-15 11:00,$C,SF0000000000011,2.5
MB-7,5,CA1242,CA1242,2026-11-15 10:00,$C,SF0000000000011,2.5
EOC
expect_rc 1 "a manifest with a parcel on two bills fails" cg run --no-progress
check "  naming both bills and both lines" test "$(cat "$W/failed/acme/manifest-11.csv.reason")" = "acme/manifest-11.csv: 2 lines are not valid; nothing of the manifest was taken:
acme/manifest-11.csv:3: bill MB-8: parcel SF0000000000011: already on bill MB-7 (line 2): a parcel leaves on one bill
acme/manifest-11.csv:4: field logistics_no: SF0000000000011 is listed twice in the file"
check "  nothing of it is recorded" test "$(sql "SELECT count(*) FROM flow_bills WHERE bill_no IN ('MB-7', 'MB-8')")" = 0
# A value quoted in a reason is shown escaped: an escape sequence in a manifest does not reach
# the reason file or the terminal as it is.
printf '%s\nMB-9,\033,CA1244,CA1244,2026-11-15 10:00,%s,SF0000000000012,2.5\n' "$H" "$C" >"$W/incoming/acme/manifest-12.csv"
expect_rc 1 "a manifest with an escape character as its transport mode fails" cg run --no-progress
check "  the character is named escaped" test "$(cat "$W/failed/acme/manifest-12.csv.reason")" = "acme/manifest-12.csv: 1 lines are not valid; nothing of the manifest was taken:
acme/manifest-12.csv:2: field traf_mode: '\\x1B' is not a transport mode code (0-9)"
# A bill customs refused lets its parcels go: one moves to a new bill, which takes it; the
# refused bill cannot take it back, and goes out again without it.
$HELPER orders own "$W/incoming/acme/day3.csv" 2 12 || fail "make orders 12 and 13"
expect_rc 0 "the run declares orders 12 and 13" cg run --no-progress
for o in 12 13; do $FLOW receipt "$W/inbox" "$(inv SO-00000$o)" 2 120 800; done
expect_rc 0 "both released" cg run --no-progress
cat >"$W/incoming/acme/manifest-12.csv" <<EOC
$H
MB-10,5,CA1250,CA1250,2026-11-16 10:00,$C,SF0000000000012,2.5
MB-10,5,CA1250,CA1250,2026-11-16 10:00,$C,SF0000000000013,2.5
EOC
expect_rc 0 "a manifest with MB-10" cg run --no-progress
check "  MB-10's CEB607 goes out" test "$(v607 MB-10)" = "1 1 sent"
$FLOW receipt "$W/inbox" "$W/outbox/CEB607Message_$(wb MB-10 607).xml" 2 100
expect_rc 0 "customs refuses it" cg run --no-progress
cat >"$W/incoming/acme/manifest-13.csv" <<EOC
$H
MB-11,5,CA1251,CA1251,2026-11-16 11:00,$C,SF0000000000013,2.5
EOC
expect_rc 0 "a manifest moving SF0000000000013 from refused MB-10 to MB-11" cg run --no-progress
check "  is taken" test -f "$W/done/acme/manifest-13.csv"
f=$W/outbox/CEB607Message_$(wb MB-11 607).xml
check "  MB-11's CEB607 lists it with its invtNo" test "$(v607 MB-11) $(x "$f" .//c:WayBillList/c:logisticsNo)|$(x "$f" .//c:WayBillList/c:invtNo)" = "1 1 sent SF0000000000013|$(invt SO-0000013)"
cat >"$W/incoming/acme/manifest-14.csv" <<EOC
$H
MB-10,5,CA1252,CA1252,2026-11-16 10:00,$C,SF0000000000012,2.5
MB-10,5,CA1252,CA1252,2026-11-16 10:00,$C,SF0000000000013,2.5
EOC
expect_rc 1 "MB-10 corrected but still with SF0000000000013 fails" cg run --no-progress
check "  naming MB-11" grep -Fxq "acme/manifest-14.csv:3: bill MB-10: parcel SF0000000000013: already on bill MB-11 (taken from acme/manifest-13.csv): a parcel leaves on one bill" "$W/failed/acme/manifest-14.csv.reason"
check "  MB-10 unchanged, still refused" test "$(v607 MB-10) $(sql "SELECT traf_name FROM flow_bills WHERE bill_no = 'MB-10'")" = "1 1 rejected CA1250"
cat >"$W/incoming/acme/manifest-15.csv" <<EOC
$H
MB-10,5,CA1252,CA1252,2026-11-16 10:00,$C,SF0000000000012,2.5
EOC
expect_rc 0 "MB-10 corrected without it" cg run --no-progress
check "  MB-10's CEB607 version 2 lists SF0000000000012 alone" test "$(v607 MB-10) $(x "$W/outbox/CEB607Message_$(wb MB-10 607).xml" .//c:WayBillList/c:logisticsNo)" = "2 2 sent SF0000000000012"
# A waiting bill holds its parcels; a file that replaces it may move one to another bill.
cat >"$W/incoming/acme/manifest-16.csv" <<EOC
$H
MB-12,5,CA1253,CA1253,2026-11-17 10:00,$C,SF0000000000014,2.5
MB-12,5,CA1253,CA1253,2026-11-17 10:00,$C,SF0000000000015,2.5
EOC
expect_rc 0 "a manifest with MB-12, waiting on unknown parcels" cg run --no-progress
check "  MB-12 waits" grep -Fxq "acme/manifest-16.csv:3: bill MB-12: parcel SF0000000000015: no declared order has this waybill: the bill waits" "$T/out"
cat >"$W/incoming/acme/manifest-17.csv" <<EOC
$H
MB-13,5,CA1254,CA1254,2026-11-17 11:00,$C,SF0000000000015,2.5
EOC
expect_rc 1 "a new bill with a parcel of waiting MB-12 fails" cg run --no-progress
check "  naming MB-12" grep -Fxq "acme/manifest-17.csv:2: bill MB-13: parcel SF0000000000015: already on bill MB-12 (taken from acme/manifest-16.csv): a parcel leaves on one bill" "$W/failed/acme/manifest-17.csv.reason"
cat >"$W/incoming/acme/manifest-18.csv" <<EOC
$H
MB-13,5,CA1254,CA1254,2026-11-17 11:00,$C,SF0000000000015,2.5
MB-12,5,CA1253,CA1253,2026-11-17 10:00,$C,SF0000000000014,2.5
EOC
expect_rc 0 "a file moving it to MB-13 while it replaces MB-12" cg run --no-progress
check "  is taken" test -f "$W/done/acme/manifest-18.csv"
check "  each parcel on one bill" test "$(sql "SELECT group_concat(x, ', ') FROM (SELECT b.bill_no || ' ' || p.logistics_no AS x FROM flow_parcels p JOIN flow_bills b ON b.id = p.bill_id WHERE b.bill_no IN ('MB-12', 'MB-13') ORDER BY b.bill_no)")" = "MB-12 SF0000000000014, MB-13 SF0000000000015"
# A bill the E-Port refused before storing it (a negative code) goes out again, parcels and all:
# it holds them. The refusal and a new bill with its parcel come in the same run.
$HELPER orders own "$W/incoming/acme/day4.csv" 1 16 || fail "make order 16"
expect_rc 0 "the run declares order 16" cg run --no-progress
$FLOW receipt "$W/inbox" "$(inv SO-0000016)" 2 120 800
expect_rc 0 "released" cg run --no-progress
cat >"$W/incoming/acme/manifest-19.csv" <<EOC
$H
MB-14,5,CA1255,CA1255,2026-11-18 10:00,$C,SF0000000000016,2.5
EOC
expect_rc 0 "a manifest with MB-14" cg run --no-progress
check "  MB-14's CEB607 goes out" test "$(v607 MB-14)" = "1 1 sent"
$FLOW receipt "$W/inbox" "$W/outbox/CEB607Message_$(wb MB-14 607).xml" -1
cat >"$W/incoming/acme/manifest-20.csv" <<EOC
$H
MB-15,5,CA1256,CA1256,2026-11-18 11:00,$C,SF0000000000016,2.5
EOC
expect_rc 1 "the E-Port refuses MB-14; a new bill with its parcel fails" cg run --no-progress
check "  naming MB-14" grep -Fxq "acme/manifest-20.csv:2: bill MB-15: parcel SF0000000000016: already on bill MB-14 (taken from acme/manifest-19.csv): a parcel leaves on one bill" "$W/failed/acme/manifest-20.csv.reason"
check "  MB-14 goes out again with it, MB-15 is not recorded" test "$(v607 MB-14) $(x "$W/outbox/CEB607Message_$(wb MB-14 607).xml" .//c:WayBillList/c:logisticsNo) $(sql "SELECT count(*) FROM flow_bills WHERE bill_no = 'MB-15'")" = "2 2 sent SF0000000000016 0"
# The report's table per seller counts the seller's orders: the 8 of day1 to day4 (1 to 5, 12,
# 13, 16), not the bills beside them.
cg report --format json >"$T/report.json" || fail "report"
check "per seller: acme has 8 orders" python3 -c 'import json, sys
s = [x for x in json.load(open(sys.argv[1]))["sections"] if x["id"] == "sellers"][0]
c = s["columns"]
row = [r for r in s["rows"] if r[0] == "acme"][0]
sys.exit(0 if row[c.index("orders")] == "8" else 1)' "$T/report.json"
finish
