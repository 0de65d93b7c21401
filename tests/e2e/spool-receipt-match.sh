#!/bin/sh
# spool-receipts.sh - a receipt is applied only to the message it answers. The guid alone is not
# enough: a CEB304 (order receipt) carrying an inventory's guid, a CEB604 naming one order but
# carrying another order's guid, and a CEB604 with a malformed invtNo are kept in the log as
# "mismatch", reported, and move nothing. Text received in receipts (newlines, C1 CSI, bidi
# overrides) is shown escaped by `cebgate status` and in the log, never raw.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

mkdir -p "$W/incoming/acme"
$HELPER orders own "$W/incoming/acme/orders.csv" 2 1
expect_rc 0 "run declares two orders" cg run
check "six messages in outbox/" [ "$(count "$W/outbox" '*.xml')" -eq 6 ]
# Receipts with status 2 (declaring) for every message: all match and are applied.
$HELPER receipts "$W/outbox" "$W/inbox" 2 >/dev/null
expect_rc 0 "matching receipts are applied" cg run
check "six applied, none mismatched" grep -q 'receipts: 6 files, 6 applied, 0 duplicate, 0 late, 0 unknown guid, 0 mismatched' "$T/out"

guid_of() { # ORDER TYPE: guid of that order's document
    sql "SELECT d.guid FROM documents d JOIN orders o ON o.id = d.order_id
         WHERE o.order_no = '$1' AND d.msg_type = $2"
}
state_of() { # ORDER TYPE
    sql "SELECT d.state FROM documents d JOIN orders o ON o.id = d.order_id
         WHERE o.order_no = '$1' AND d.msg_type = $2"
}
inv1=$(guid_of SO-0000001 603)
ord1=$(guid_of SO-0000001 303)
inv2=$(guid_of SO-0000002 603)
check "guids known" [ -n "$inv1" ] && [ -n "$ord1" ] && [ -n "$inv2" ]
copno1=$(sed -n 's:.*<ceb\:copNo>\([^<]*\)</ceb\:copNo>.*:\1:p' "$W/archive/CEB603Message_$inv1.xml" | head -1)
check "copNo of the first inventory read from its message" [ -n "$copno1" ]

before=$(sql "SELECT group_concat(coalesce(pre_no, '-') || coalesce(invt_no, '-')) FROM documents")
PRE=B20260101000000001
receipt() { # FILE TYPE ENTITY GUID STATUS ORDERNO COPNO INVTNO INFO (preNo: $PRE)
    cat >"$W/inbox/$1" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<ceb:CEB$2Message xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="R0000000-0000-0000-0000-00000000000$2" version="1.0">
<ceb:$3><ceb:guid>$4</ceb:guid><ceb:agentCode>3301980002</ceb:agentCode><ceb:copNo>$7</ceb:copNo>
<ceb:preNo>$PRE</ceb:preNo><ceb:invtNo>$8</ceb:invtNo><ceb:ebpCode>3301960000</ceb:ebpCode>
<ceb:ebcCode>3301960001</ceb:ebcCode><ceb:orderNo>$6</ceb:orderNo><ceb:returnStatus>$5</ceb:returnStatus>
<ceb:returnTime>20260101120000999</ceb:returnTime><ceb:returnInfo>$9</ceb:returnInfo></ceb:$3>
</ceb:CEB$2Message>
XML
}
# 1. An order receipt (CEB304) with status 800 carrying the inventory's guid.
receipt a-304-on-603.xml 304 OrderReturn "$inv1" 800 SO-0000001 "$copno1" 330120260000000001 forged
# 2. An inventory receipt naming order 1 but carrying order 2's inventory guid.
receipt b-604-other.xml 604 InventoryReturn "$inv2" 800 SO-0000001 "$copno1" 330120260000000001 forged
# 3. The right guid, type and keys, but an invtNo with a bidi override, and received text with
#    a newline, a C1 CSI (U+009B) and a right-to-left override in returnInfo.
receipt c-bad-invtno.xml 604 InventoryReturn "$inv1" 800 SO-0000001 "$copno1" '3301&#x202E;2026' \
    'ok&#10;2026-01-01 forged log line &#x9B;31m red &#x202E;txet'
expect_rc 0 "run with mismatched receipts" cg run
check "three mismatched, none applied" grep -q 'receipts: 3 files, 0 applied, 0 duplicate, 0 late, 0 unknown guid, 3 mismatched' "$T/out"
check "the inventory of order 1 is not released" [ "$(state_of SO-0000001 603)" = declaring ]
check "the inventory of order 2 is not released" [ "$(state_of SO-0000002 603)" = declaring ]
check "the order document is not released" [ "$(state_of SO-0000001 303)" = declaring ]
check "no preNo or invtNo taken from them" \
    [ "$(sql "SELECT group_concat(coalesce(pre_no, '-') || coalesce(invt_no, '-')) FROM documents")" = "$before" ]
check "all three kept in the log as mismatch" [ "$(sql "SELECT count(*) FROM receipts WHERE outcome = 'mismatch'")" -eq 3 ]
check "the type mismatch is reported" grep -q "inbox/a-304-on-603.xml: CEB304 receipt for guid $inv1 (order SO-0000001, status 800) not applied: a CEB304 receipt does not answer a CEB603 message; kept in the log" "$T/err"
check "the key mismatch is reported" grep -q "inbox/b-604-other.xml: CEB604 receipt for guid $inv2 (order SO-0000001, status 800) not applied: the receipt's copNo $copno1 is not the document's " "$T/err"
check "the malformed invtNo is reported escaped" grep -qF "not applied: invtNo 3301\\u{202E}2026 is not 1 to 20 letters and digits" "$T/err"
check "no raw bidi override in the log" sh -c "! grep -q \"\$(printf '\\342\\200\\256')\" '$T/err'"

expect_rc 0 "status --unknown lists the mismatched receipts" cg status --unknown
check "each listed as mismatched" [ "$(grep -c 'receipt status 800 for mismatched guid' "$T/out")" -eq 3 ]
check "3 listed" grep -q '^3 receipts for unknown guids or mismatched' "$T/out"
# A receipt that matches in every key brings the same text: applied, and shown escaped by
# `cebgate status ORDER`.
PRE=$(sql "SELECT pre_no FROM documents WHERE guid = '$inv1'")
invt=$(sql "SELECT invt_no FROM documents WHERE guid = '$inv1'")
receipt d-good.xml 604 InventoryReturn "$inv1" 120 SO-0000001 "$copno1" "$invt" \
    'ok&#10;2026-01-01 forged log line &#x9B;31m red &#x202E;txet'
expect_rc 0 "run with a matching receipt" cg run
check "it is applied" grep -q 'receipts: 1 file, 1 applied, 0 duplicate, 0 late, 0 unknown guid, 0 mismatched' "$T/out"
check "the inventory of order 1 is accepted" [ "$(state_of SO-0000001 603)" = accepted ]
expect_rc 0 "status of the order" cg status SO-0000001
check "returnInfo shown with its newline, CSI and override escaped" \
    grep -qF 'info: ok\x0A2026-01-01 forged log line \u{009B}31m red \u{202E}txet' "$T/out"
check "no line of status output starts with the forged text" sh -c "! grep -q '^2026-01-01 forged' '$T/out'"
check "no C1 CSI byte in status output" sh -c "! grep -q \"\$(printf '\\302\\233')\" '$T/out'"
finish
