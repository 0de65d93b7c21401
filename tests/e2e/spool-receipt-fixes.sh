#!/bin/sh
# spool-receipt-fixes.sh - receipts as the port really sends them, in the official shapes
# (tests/data/e2e/receipts): a lower-case guid is the upper-case guid cebgate wrote; a CEB900
# with a guid of its own is matched through oriCopMsgId, or through the original message it
# carries; a document every version of which the port refused is declared again as an add
# (appType 1), not a modify; a negative code after customs accepted a document is logged and
# reported but does not reject it; `status --unknown` names the business keys of a receipt
# nobody claims.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

R=$CG_TESTDATA/e2e/receipts
lower() { printf '%s' "$1" | tr 'A-Z' 'a-z'; }
guid_of() { # ORDER TYPE
    sql "SELECT d.guid FROM documents d JOIN orders o ON o.id = d.order_id
         WHERE o.order_no = '$1' AND d.msg_type = $2"
}
state_of() { # ORDER TYPE
    sql "SELECT d.state FROM documents d JOIN orders o ON o.id = d.order_id
         WHERE o.order_no = '$1' AND d.msg_type = $2"
}
apptypes() { # ORDER TYPE: version:appType of each message of the document
    sql "SELECT group_concat(m.version || ':' || m.app_type, ' ') FROM messages m
         JOIN documents d ON d.id = m.document_id JOIN orders o ON o.id = d.order_id
         WHERE o.order_no = '$1' AND d.msg_type = $2 ORDER BY m.version"
}

mkdir -p "$W/incoming/acme"
$HELPER orders own "$T/orders.csv" 2 1
cp "$T/orders.csv" "$W/incoming/acme/a.csv"
expect_rc 0 "run declares two orders" cg run --no-progress
check "six messages in outbox/" [ "$(count "$W/outbox" '*.xml')" -eq 6 ]
o1=$(guid_of SO-0000001 303)
o2=$(guid_of SO-0000002 303)
w2=$(guid_of SO-0000002 505)
i1=$(guid_of SO-0000001 603)
check "cebgate writes upper-case guids" sh -c "[ '$o1' = \"\$(printf '%s' '$o1' | tr a-z A-Z)\" ]"
i2=$(guid_of SO-0000002 603)
copno() { sed -n 's:.*<ceb\:copNo>\([^<]*\)</ceb\:copNo>.*:\1:p' "$W/outbox/CEB603Message_$1.xml" | head -1; }
copno1=$(copno "$i1")
copno2=$(copno "$i2")
check "copNo of the inventories read from their messages" [ -n "$copno1" ] && [ -n "$copno2" ]
inv() { # FILE GUID COPNO ORDER STATUS TIME: the official CEB604 shape, guid in lower case
    sed "s/@GUID@/$(lower "$2")/g; s/@COPNO@/$3/; s/@PRENO@/B2026010100000000${4#SO-000000}/;
         s/@INVTNO@/33012026000000000${4#SO-000000}/; s/@ORDER@/$4/; s/@STATUS@/$5/; s/@TIME@/$6/" \
        "$R/CEB604Message.xml" >"$W/inbox/$1"
}

# 1. The official CEB304 shape with the order's guid in lower case: applied.
sed "s/@GUID@/$(lower "$o1")/g; s/@ORDER@/SO-0000001/; s/@STATUS@/2/" "$R/CEB304Message.xml" \
    >"$W/inbox/a-304-lower.xml"
# ... and the port stores order 2's inventory (its preNo is needed for a modify).
inv a-604-lower.xml "$i2" "$copno2" SO-0000002 2 20260101120000001
# 2. A CEB900 with a guid of its own, naming order 2's CEB303 by oriCopMsgId (lower case too).
sed "s/@OWN@/9F0C3A52-6B1D-4E0A-9C55-000000000001/; s/@STATUS@/-1/; s/@ORI@/$(lower "$o2")/;
     s/@TYPE@/CEB303Message/; s/@BIZ@//" "$R/CEB900Message.xml" >"$W/inbox/b-900-ori.xml"
# 3. A CEB900 whose oriCopMsgId is not ours (a platform's own id) but that carries the original
#    CEB505 of order 2: matched through that message's guid.
python3 - "$R/CEB900Message.xml" "$W/outbox/CEB505Message_$w2.xml" "$W/inbox/c-900-biz.xml" <<'PY'
import sys
t = open(sys.argv[1], encoding="utf-8").read()
orig = open(sys.argv[2], encoding="utf-8").read()
t = (t.replace("@OWN@", "9F0C3A52-6B1D-4E0A-9C55-000000000002").replace("@STATUS@", "-2")
      .replace("@ORI@", "PLATFORM-MSG-0001").replace("@TYPE@", "CEB505Message")
      .replace("@BIZ@", orig))
open(sys.argv[3], "w", encoding="utf-8").write(t)
PY
expect_rc 0 "run with the four receipts" cg run --no-progress
check "four applied, none unknown" \
    grep -q 'receipts: 4 files, 4 applied, 0 duplicate, 0 late, 0 unknown guid, 0 mismatched' "$T/out"
check "order 1's CEB303 is declaring (lower-case guid matched)" [ "$(state_of SO-0000001 303)" = declaring ]
check "order 2's CEB303 is rejected (CEB900 via oriCopMsgId)" [ "$(state_of SO-0000002 303)" = rejected ]
check "order 2's CEB505 is rejected (CEB900 via the original message)" [ "$(state_of SO-0000002 505)" = rejected ]
check "order 2's CEB603 is declaring" [ "$(state_of SO-0000002 603)" = declaring ]
check "the CEB900s are logged against their messages" \
    [ "$(sql "SELECT count(*) FROM receipts r JOIN messages m ON m.id = r.message_id
              WHERE r.msg_type = 900 AND r.outcome = 'applied' AND m.guid IN ('$o2', '$w2')")" -eq 2 ]

# 4. Order 2 changes (a new price and a new tracking number): its CEB303 and CEB505, refused by
#    the port, were never stored there and go again as adds; its CEB603 (stored) is a modify.
sed 's/,1,3\.50,/,1,3.75,/; s/SF0000000000002/SF0000000000022/' "$T/orders.csv" \
    | grep -v '^SO-0000001,' >"$W/incoming/acme/b.csv"
expect_rc 0 "the changed order is declared again" cg run --no-progress
check "CEB303 of order 2: version 1 add, version 2 add" [ "$(apptypes SO-0000002 303)" = "1:1 2:1" ]
check "CEB505 of order 2: version 1 add, version 2 add" [ "$(apptypes SO-0000002 505)" = "1:1 2:1" ]
check "CEB603 of order 2: version 2 is a modify" [ "$(apptypes SO-0000002 603)" = "1:1 2:2" ]
o2v2=$(guid_of SO-0000002 303)
check "the new CEB303 message says appType 1" \
    grep -q '<ceb:appType>1</ceb:appType>' "$W/outbox/CEB303Message_$o2v2.xml"

# 5. Customs accepts order 1's inventory (120); then a negative code and a CEB900 about it
#    arrive: logged as late and reported, the inventory stays accepted.
inv d-604-120.xml "$i1" "$copno1" SO-0000001 120 20260101130000001
expect_rc 0 "customs accepts the inventory" cg run --no-progress
check "the inventory is accepted" [ "$(state_of SO-0000001 603)" = accepted ]
inv e-604-neg.xml "$i1" "$copno1" SO-0000001 -301010 20260101140000001
sed "s/@OWN@/9F0C3A52-6B1D-4E0A-9C55-000000000003/; s/@STATUS@/-1/; s/@ORI@/$i1/;
     s/@TYPE@/CEB603Message/; s/@BIZ@//" "$R/CEB900Message.xml" >"$W/inbox/f-900-late.xml"
expect_rc 0 "late refusals" cg run --no-progress
check "both counted late, none applied" \
    grep -q 'receipts: 2 files, 0 applied, 0 duplicate, 2 late, 0 unknown guid, 0 mismatched' "$T/out"
check "the inventory is still accepted" [ "$(state_of SO-0000001 603)" = accepted ]
check "the negative code is reported" grep -q "inbox/e-604-neg.xml: CEB604 receipt for guid $(lower "$i1") (order SO-0000001, status -301010) not applied: the CEB603 was already accepted by customs; kept in the log" "$T/err"
check "the CEB900 is reported" grep -q "inbox/f-900-late.xml: CEB900 receipt for guid 9F0C3A52-6B1D-4E0A-9C55-000000000003 (order -, status -1) not applied: the CEB603 was already accepted by customs" "$T/err"
check "both are in the log as late" \
    [ "$(sql "SELECT group_concat(status || '=' || outcome, ' ') FROM receipts WHERE file_name IN ('e-604-neg.xml', 'f-900-late.xml') ORDER BY id")" = "-301010=late -1=late" ]
expect_rc 0 "status of order 1" cg status SO-0000001
check "status shows the late receipt" grep -q -- '-301010.*late' "$T/out"

# 6. Receipts for guids cebgate never sent: status --unknown names their business keys.
cp "$R/CEB702Message.xml" "$W/inbox/g-702.xml"
sed "s/@GUID@/4cde1cfd-eded-46b1-946c-b8022e42fc94/g; s/@COPNO@/Cop20180507001/;
     s/@PRENO@/P20180507000000001/; s/@INVTNO@/Invt20180507000001/; s/@ORDER@/1105910159/;
     s/@STATUS@/2/; s/@TIME@/20180507153001001/" "$R/CEB604Message.xml" >"$W/inbox/h-604.xml"
expect_rc 0 "unknown receipts" cg run --no-progress
check "two unknown" grep -q 'receipts: 2 files, 0 applied, 0 duplicate, 0 late, 2 unknown guid' "$T/out"
expect_rc 0 "status --unknown" cg status --unknown
check "the CEB702's keys are shown" grep -q \
    'CEB702 receipt status 2 for unknown guid 123ent97-2b80-4568-aecf-cb6c90530012 in g-702.xml (copNo C201805080001, preNo P20180507000000001, sumNo S20180507000000001)$' "$T/out"
check "the CEB604's keys are shown" grep -q \
    'CEB604 receipt status 2 for unknown guid 4cde1cfd-eded-46b1-946c-b8022e42fc94 in h-604.xml (orderNo 1105910159, copNo Cop20180507001, preNo P20180507000000001, invtNo Invt20180507000001)$' "$T/out"
check "no empty order shown" sh -c "! grep -q '(order )' '$T/out'"
finish
