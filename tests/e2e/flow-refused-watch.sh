#!/bin/sh
# flow-refused-watch.sh - a bill's CEB607 and a monthly summary's CEB701 that the E-Port refused
# before storing them (a negative code: nothing of them is at the port) are declared again once
# per process or `watch` generation, not at every pass. Through the folder transport, customs
# played by flow-helper.py: a run declares both and the E-Port refuses them; the next run
# declares each again once, version 2, refused again; `watch` (a pass every second) declares
# each again once, version 3; refused again, later passes send nothing and name them as
# waiting; after SIGHUP (a new generation) each goes out once more, version 4.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"
. "${CG_SRCDIR:-.}/tests/e2e/watch-lib.sh"
FLOW="python3 $CG_SRCDIR/tests/e2e/flow-helper.py"
cat >>"$W/cebgate.conf" <<EOC
[seller.bee]
profile = own
statistics_flag = B
[spool]
summary_day = 31
EOC
mkdir -p "$W/incoming/bee"
PASS_SELLER=bee
$HELPER orders own "$W/incoming/bee/orders.csv" 1 41 || fail "make orders"
expect_rc 0 "the run declares the order" cg run --no-progress
inv() { grep -l "<ceb:orderNo>$1</ceb:orderNo>" "$W"/outbox/CEB603Message_*.xml | head -1; }
# Closed last month (China time), so that each run declares last month's summary.
PREV=$(date -u -d "$(date -u -d '+8 hours' +%Y-%m-01) -1 day" +%Y%m)
FLOW_RETURN_DAY=${PREV}15 $FLOW receipt "$W/inbox" "$(inv SO-0000041)" 2 120 800 899
cat >"$W/incoming/bee/manifest.csv" <<EOC
bill_no,traf_mode,traf_name,voyage_no,leave_time,logistics_code,logistics_name,logistics_no
MB-9,5,CA1234,CA1234,2026-11-10 08:30,3120980105,SF Express,SF0000000000041
EOC
expect_rc 0 "closed: the run declares the bill's CEB607 and the summary" cg run --no-progress
doc() { sql "SELECT d.$3 FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no LIKE '$1' AND d.msg_type = $2"; }
# state: version and state of the CEB607 and the CEB701, the messages of each in outbox/
state() {
    echo "$(doc BILL:MB-9 607 version):$(doc BILL:MB-9 607 state):$(grep -l '<ceb:billNo>MB-9</ceb:billNo>' "$W"/outbox/CEB607Message_*.xml | wc -l)/$(doc "SUM:$PREV:%" 701 version):$(doc "SUM:$PREV:%" 701 state):$(ls "$W"/outbox/CEB701Message_*.xml | wc -l)"
}
check "both version 1, sent: $(state)" test "$(state)" = "1:sent:1/1:sent:1"
# refuse: the E-Port's negative code for the current CEB607 and CEB701, dropped into inbox/
refuse() {
    $FLOW receipt "$W/inbox" "$W/outbox/CEB607Message_$(doc BILL:MB-9 607 guid).xml" -301010
    $FLOW receipt "$W/inbox" "$W/outbox/CEB701Message_$(doc "SUM:$PREV:%" 701 guid).xml" -301010
}
refuse
expect_rc 0 "the next run applies the refusals" cg run --no-progress
check "  and declares each again once, version 2: $(state)" test "$(state)" = "2:sent:2/2:sent:2"
refuse

state_within() {
    if within 300 "test \"\$(state)\" = '$2'"; then ok "$1"; else
        fail "$1: $(state), expected $2"
        sed 's/^/  watch: /' "$T/watch.err" | tail -10
    fi
}

"$CEBGATE" -c "$W/cebgate.conf" watch --retry 1 --no-progress >"$T/watch.out" \
    2>"$T/watch.err" &
WPID=$!
# An earlier process declared both: watch's first pass declares each again.
state_within "watch declares each again once, version 3" "3:sent:3/3:sent:3"
refuse
state_within "the E-Port refuses both again" "3:rejected:3/3:rejected:3"
passes
check "passes after that send nothing again: $(state)" test "$(state)" = "3:rejected:3/3:rejected:3"
check "  and name the bill as waiting" grep -Fxq "bee/manifest.csv: bill MB-9: its waybill list (CEB607) version 3 was refused by the E-Port before it stored it and was declared by this process: declared again by the next run (in watch: once the signing keys are loaded again, or SIGHUP)" "$T/watch.out"
check "  and the summary" grep -Eq "^summary $PREV bee country [0-9A-Z]+: its monthly summary \(CEB701\) S[0-9a-f]{20} version 3 was refused by the E-Port before it stored it and was declared by this process: declared again by the next run or \`cebgate summary\` \(in watch: once the signing keys are loaded again, or SIGHUP\)$" "$T/watch.out"
# A new generation: each goes out once more.
kill -HUP "$WPID"
state_within "after SIGHUP, version 4 of each, once" "4:sent:4/4:sent:4"
check "watch said so" grep -q "^SIGHUP: signing keys loaded again; payment receipts (CEB403), bills (CEB607, CEB509) and summaries (CEB701) the port refused before storing them are declared again$" "$T/watch.out"
passes
check "once: $(state)" test "$(state)" = "4:sent:4/4:sent:4"
check "the same watch process did all of it" kill -0 "$WPID"
watch_stop
finish
