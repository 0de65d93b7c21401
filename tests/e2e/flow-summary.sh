#!/bin/sh
# flow-summary.sh - the monthly summary (CEB701) through the folder transport, customs played
# by flow-helper.py: route-B inventories closed in a month are grouped by seller and country of
# arrival, route-A ones never (by the flag they were declared with); --dry-run records nothing; nothing is summarised twice; a
# summary customs refused is not declared again while its inventories stay the same, and is
# (a modify) once they change; one the E-Port refused before storing it is declared again once
# by the next process; the CEB792's entryId reaches each
# inventory line (`status ORDER-NO`) and `status --summaries`; `run` declares the previous
# month's summaries itself within [spool] summary_day.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"
FLOW="python3 $CG_SRCDIR/tests/e2e/flow-helper.py"
cleanup_hooks=""
cat >>"$W/cebgate.conf" <<EOC
[seller.bee]
profile = own
statistics_flag = B
[spool]
summary_day = 0
EOC
mkdir -p "$W/incoming/acme" "$W/incoming/bee"
$HELPER orders own "$W/incoming/acme/a.csv" 2 || fail "make orders"
$HELPER orders own "$T/b.csv" 4 21 || fail "make orders"
# SO-0000024 goes to Germany: another country of arrival, another summary
awk -F, 'BEGIN { OFS = "," } $1 == "SO-0000024" { $3 = "DE" } { print }' "$T/b.csv" >"$W/incoming/bee/b.csv"
expect_rc 0 "the run declares six orders" cg run --no-progress
inv() { grep -l "<ceb:orderNo>$1</ceb:orderNo>" "$W"/outbox/CEB603Message_*.xml | head -1; }
for o in SO-0000001 SO-0000002 SO-0000021 SO-0000022 SO-0000023 SO-0000024; do
    $FLOW receipt "$W/inbox" "$(inv $o)" 2 120 800 899
done
expect_rc 0 "released and closed in November 2026" cg run --no-progress
invt() { sql "SELECT d.invt_no FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = '$1' AND d.msg_type = 603"; }
x() { python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot(); n = {"c": "http://www.chinaport.gov.cn/ceb"}
print(" ".join(e.text or "" for e in r.findall(sys.argv[2], n)))' "$1" "$2"; }
US=$(x "$(inv SO-0000021)" .//c:InventoryHead/c:country)
DE=$(x "$(inv SO-0000024)" .//c:InventoryHead/c:country)
check "two countries of arrival ($US, $DE)" test -n "$US" -a -n "$DE" -a "$US" != "$DE"

expect_rc 0 "summary --dry-run" cg summary --month 202611 --dry-run
check "it names the group of three" grep -Fxq "summary 202611 bee country $US: would declare a CEB701 with 3 inventories: $(invt SO-0000021) $(invt SO-0000022) $(invt SO-0000023)" "$T/out"
check "and the group of one" grep -Fxq "summary 202611 bee country $DE: would declare a CEB701 with 1 inventory: $(invt SO-0000024)" "$T/out"
check "two in all" grep -Fxq "202611: 2 summaries would be declared (dry run: nothing recorded or sent)" "$T/out"
check "nothing recorded or written" test "$(sql "SELECT count(*) FROM flow_summaries")/$(ls "$W/outbox" | grep -c CEB701)" = 0/0
# The route is the one each inventory was declared by: acme moving to route B today does not
# make its route-A inventories (statisticsFlag A as sent) part of a summary.
sed 's/^\[seller.acme\]$/[seller.acme]\nstatistics_flag = B/' "$W/cebgate.conf" >"$W/acme-b.conf"
expect_rc 0 "summary --dry-run after acme moved to route B" \
    "$CEBGATE" -c "$W/acme-b.conf" summary --month 202611 --dry-run
check "  acme's route-A inventories are still in no summary" \
    grep -Fxq "202611: 2 summaries would be declared (dry run: nothing recorded or sent)" "$T/out"
check "  nor named" sh -c "! grep -qE '$(invt SO-0000001)|$(invt SO-0000002)' '$T/out'"
check "  each inventory keeps the route it was declared with" test "$(sql "SELECT group_concat(seller || ':' || route, ' ') FROM (SELECT o.seller, d.route FROM documents d JOIN orders o ON o.id = d.order_id WHERE d.msg_type = 603 ORDER BY o.id)")" = "acme:A acme:A bee:B bee:B bee:B bee:B"
# Inventories declared before the route was kept: read from the CEB603 as sent.
sql "UPDATE documents SET route = NULL WHERE msg_type = 603"
expect_rc 0 "summary --dry-run, the routes not kept" \
    "$CEBGATE" -c "$W/acme-b.conf" summary --month 202611 --dry-run
check "  acme's inventories, read as sent, are still route A" \
    grep -Fxq "202611: 2 summaries would be declared (dry run: nothing recorded or sent)" "$T/out"
expect_rc 0 "summary of an empty month" cg summary --month 202610
check "nothing to summarise" grep -Fxq "202610: 0 summaries declared" "$T/out"
expect_rc 2 "a bad month" cg summary --month 202613

expect_rc 0 "summary --month 202611" cg summary --month 202611
check "two summaries declared" grep -Fxq "202611: 2 summaries declared" "$T/out"
s701() { echo "$W/outbox/CEB701Message_$(sql "SELECT d.guid FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SUM:202611:$1:1' AND d.msg_type = 701").xml"; }
check "the $US summary lists the three route-B inventories" test "$(x "$(s701 "$US")" .//c:SummaryApplyList/c:invtNo)" = "$(invt SO-0000021) $(invt SO-0000022) $(invt SO-0000023)"
check "the $DE summary lists the fourth" test "$(x "$(s701 "$DE")" .//c:SummaryApplyList/c:invtNo)" = "$(invt SO-0000024)"
check "the route-A inventories are in no summary" sh -c "! grep -qE '$(invt SO-0000001)|$(invt SO-0000002)' '$W'/outbox/CEB701Message_*.xml"
check "it is valid and its signature verifies" cg verify --trust "$T/keys/ca.pem" "$(s701 "$US")"
expect_rc 0 "summary again" cg summary --month 202611
check "nothing is summarised twice" grep -Fxq "202611: 0 summaries declared" "$T/out"

$FLOW receipt "$W/inbox" "$(s701 "$US")" 2 120
$FLOW receipt "$W/inbox" "$(s701 "$DE")" 2 100
expect_rc 0 "the CEB702 receipts are applied" cg run --no-progress
# Customs refused the $DE summary after the E-Port stored it: the same inventories again would
# only be refused again.
v701() { sql "SELECT d.version || ' ' || d.app_type || ' ' || d.state FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SUM:202611:$DE:1' AND d.msg_type = 701"; }
n701() { grep -l "<ceb:copNo>$(sql "SELECT d.business_key FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SUM:202611:$DE:1' AND d.msg_type = 701")</ceb:copNo>" "$W"/outbox/CEB701Message_*.xml | wc -l; }
K701=$(sql "SELECT d.business_key FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SUM:202611:$DE:1' AND d.msg_type = 701")
expect_rc 0 "summary after the refusal" cg summary --month 202611
check "  declares nothing" grep -Fxq "202611: 0 summaries declared" "$T/out"
check "  names the refused summary as waiting" grep -Fxq "summary 202611 bee country $DE: its monthly summary (CEB701) $K701 version 1 was refused by customs: declared again only when its inventories change" "$T/out"
expect_rc 0 "summary once more" cg summary --month 202611
check "  declares nothing" grep -Fxq "202611: 0 summaries declared" "$T/out"
check "two commands declared nothing again: one CEB701 of $DE in outbox/, version 1" test "$(n701) $(v701)" = "1 1 1 rejected"
# A broker reads a summary as a summary wherever its name is shown: `status` (by its row's name
# or by the name the lists print), the rejected list, the report's rejected list (kind summary).
SNAME="summary 202611 country $DE #1"
SHEAD="$SNAME  seller bee  first seen $(sql "SELECT created_at FROM orders WHERE order_no = 'SUM:202611:$DE:1'")  last changed $(sql "SELECT updated_at FROM orders WHERE order_no = 'SUM:202611:$DE:1'")"
shown_as "SUM:202611:$DE:1" bee "$SNAME" CEB701 summary "$SHEAD"
# Another inventory to $DE closed in November: the summary changes and goes out again.
$HELPER orders own "$T/b2.csv" 1 25 || fail "make orders"
awk -F, 'BEGIN { OFS = "," } $1 == "SO-0000025" { $3 = "DE" } { print }' "$T/b2.csv" >"$W/incoming/bee/b2.csv"
expect_rc 0 "a route-B order to $DE" cg run --no-progress
$FLOW receipt "$W/inbox" "$(inv SO-0000025)" 2 120 800 899
expect_rc 0 "released and closed in November 2026" cg run --no-progress
expect_rc 0 "summary with the new inventory" cg summary --month 202611
check "the refused summary is declared again" grep -Fq "summary 202611 bee country $DE: CEB701 $K701 declared with 2 inventories (again)" "$T/out"
check "version 2, a modify, with both inventories" test "$(n701) $(v701) $(x "$(s701 "$DE")" .//c:SummaryApplyList/c:invtNo)" = "2 2 2 sent $(invt SO-0000024) $(invt SO-0000025)"
# The E-Port refuses version 2 before storing it (a negative code): nothing of it is there, so
# the next process declares it again, once.
$FLOW receipt "$W/inbox" "$(s701 "$DE")" -301010
expect_rc 0 "the refusal is applied" cg run --no-progress
expect_rc 0 "summary after a refusal before storing" cg summary --month 202611
check "  declares it again" grep -Fxq "202611: 1 summary declared" "$T/out"
check "  version 3, sent" test "$(n701) $(v701)" = "3 3 2 sent"
expect_rc 0 "summary once more" cg summary --month 202611
check "  declares nothing more" test "$(n701) $(v701)" = "3 3 2 sent"

$FLOW summary-result "$W/inbox" "$(s701 "$US")" 224420260000000001 3
expect_rc 0 "the CEB792 is applied" cg run --no-progress
check "it matched its summary (no unknown or mismatched receipt)" test "$(sql "SELECT outcome FROM receipts WHERE msg_type = 792")" = no-state
expect_rc 0 "status SO-0000022" cg status SO-0000022
check "each line shows its customs declaration" test "$(grep -c "customs declaration (entryId) 224420260000000001" "$T/out")" = 3
expect_rc 0 "status --summaries" cg status --summaries
check "it lists the $US summary with its entryId" grep -Eq "^202611  bee/SUM:202611:$US:1  country $US  3 inventories  CEB701 accepted \(120\)  sumNo S[0-9]+  entryId 224420260000000001$" "$T/out"
check "and the $DE one, sent again" grep -Eq "^202611  bee/SUM:202611:$DE:1  country $DE  2 inventories  CEB701 sent  sumNo -  entryId -$" "$T/out"
expect_rc 0 "status SO-0000001 (route A)" cg status SO-0000001
check "route A: no customs declaration" sh -c "! grep -q entryId '$T/out'"

# Customs refuses version 3 after storing it; the cause is fixed elsewhere (a registration at
# customs): `cebgate resend` marks it, and the next summary of the month declares it again,
# the same inventories, as version 4 (a modify), once.
$FLOW receipt "$W/inbox" "$(s701 "$DE")" 2 100
expect_rc 0 "customs refuses version 3" cg run --no-progress
expect_rc 0 "summary after the refusal" cg summary --month 202611
check "  declares nothing" test "$(n701) $(v701)" = "3 3 2 rejected"
expect_rc 0 "resend the summary" cg resend "bee/SUM:202611:$DE:1" --reason "consignor registered at customs"
check "  says what goes out again and when" grep -Fxq "marked bee/SUM:202611:$DE:1  monthly summary (CEB701) version 3, refused by customs: declared again as version 4 by the next cebgate summary of its month, or run between the 1st and [spool] summary_day" "$T/out"
expect_rc 0 "summary after the mark" cg summary --month 202611
check "  says it goes out again, as marked" grep -Fxq "summary 202611 bee country $DE: its monthly summary (CEB701) $K701 version 3 was refused by customs and goes out again: marked by $(id -un) at $(sql "SELECT marked_at FROM resend_marks") (cebgate resend)" "$T/out"
check "  version 4, a modify, the same inventories" test "$(n701) $(v701) $(x "$(s701 "$DE")" .//c:SummaryApplyList/c:invtNo)" = "4 4 2 sent $(invt SO-0000024) $(invt SO-0000025)"
expect_rc 0 "summary once more" cg summary --month 202611
check "  declares nothing more" test "$(n701) $(v701)" = "4 4 2 sent"

# run declares the previous month's summaries itself, within summary_day (31: every day).
PREV=$(date -u -d "$(date -u -d '+8 hours' +%Y-%m-01) -1 day" +%Y%m)
sed -i 's/^summary_day = 0$/summary_day = 31/' "$W/cebgate.conf"
$HELPER orders own "$W/incoming/bee/c.csv" 1 31 || fail "make orders"
expect_rc 0 "a new route-B order" cg run --no-progress
FLOW_RETURN_DAY=${PREV}15 $FLOW receipt "$W/inbox" "$(inv SO-0000031)" 2 120 800 899
expect_rc 0 "closed last month: the run summarises it" cg run --no-progress
check "the run declared its summary" grep -Fq "summary $PREV bee country $US: CEB701 S" "$T/out"
check "  and says so" grep -Fq "summaries declared (CEB701): 1" "$T/out"
finish
