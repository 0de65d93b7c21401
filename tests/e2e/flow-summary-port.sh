#!/bin/sh
# flow-summary-port.sh - the monthly summary over HTTPS against `cebgate port`: a route-B
# seller's two orders are released and closed by the port, `cebgate summary` for that month
# sends one CEB701, the port answers CEB702 and a CEB792 with the declaration numbers it
# generates, and every order's `status` shows its entryId.
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
CLOSE_MS=0 port_conf "$T/port.conf" "$T/port.db"
port_start -d "$T" -r "$T/port.conf"
sender_conf
sed -i 's/^profile = own$/profile = own\nstatistics_flag = B/' "$W/cebgate.conf"
printf '[spool]\nsummary_day = 0\n' >>"$W/cebgate.conf"
orders orders.csv 2 || fail "make orders"
expect_rc 0 "run declares two route-B orders over HTTPS" cg run --no-progress
# run_until TABLE-AND-CONDITION N: run (fetching the port's receipts) until N rows match.
run_until "documents WHERE msg_type = 603 AND state = 'closed'" 2
check "both inventories closed by the port" test "$(count "documents WHERE msg_type = 603 AND state = 'closed'")" = 2
M=$(sql "SELECT substr(min(return_time), 1, 6) FROM receipts WHERE status = '899'")
PR=$(pstat receipts)
expect_rc 0 "summary --month $M" cg summary --month "$M"
check "one summary declared" grep -Fxq "$M: 1 summary declared" "$T/out"
# A dry run records and sends nothing: the port's answers to the CEB701, published meanwhile,
# are not fetched (nothing in inbox/, the cursor and the receipts recorded unchanged).
i=0
while [ "$(pstat receipts)" -le "$PR" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "the port published its answers to the CEB701" [ "$(pstat receipts)" -gt "$PR" ]
R=$(count receipts)
SENT=$(pstat received)
cp "$W/http-receipts.cursor" "$T/cursor.before"
expect_rc 0 "summary --month $M --dry-run" cg summary --month "$M" --dry-run
check "nothing left to declare" grep -Fxq "$M: 0 summaries would be declared (dry run: nothing recorded or sent)" "$T/out"
check "  no receipt recorded" [ "$(count receipts)" = "$R" ]
check "  none put into inbox/" [ -z "$(ls -A "$W/inbox")" ]
check "  the receipts cursor unchanged" cmp -s "$W/http-receipts.cursor" "$T/cursor.before"
check "  nothing sent to the port" [ "$(pstat received)" = "$SENT" ]
run_until "customs_entry_invt" 6
check "the port's CEB792 gave every inventory line its declaration (2 x 3 lines)" \
    test "$(count "customs_entry_invt")" = 6
E=$(sql "SELECT DISTINCT entry_id FROM customs_entry_invt")
check "one generated entryId of 18 digits ($E)" sh -c "echo '$E' | grep -Eqx '[0-9]{18}'"
for o in SO-0000001 SO-0000002; do
    expect_rc 0 "status $o" cg status $o
    check "$o: each of its 3 lines shows the entryId" test "$(grep -c "customs declaration (entryId) $E" "$T/out")" = 3
done
check "the CEB701 was accepted (CEB702 120)" test "$(sql "SELECT state FROM documents WHERE msg_type = 701")" = accepted
"$CEBGATE" -c "$T/port.conf" port --documents >"$T/docs" 2>"$T/err"
check "the port has the CEB701, final" test "$(awk -F'\t' '$1 == "CEB701" { print $7 }' "$T/docs")" = 1
finish
