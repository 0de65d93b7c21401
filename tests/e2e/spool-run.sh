#!/bin/sh
# spool-run.sh - acceptance 1 of the spool: three sellers' files (cebgate CSV, Shopify, JSON
# lines) -> cebgate run -> every message in outbox/ verifies and validates -> receipts in the
# official format dropped into inbox/ -> cebgate status shows the documents released; a rerun
# and the same files again declare nothing new; a rejected document corrected in a later file
# goes out as a new version (appType 2); late, duplicate and unknown receipts are logged and
# move nothing.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

mkdir -p "$W/incoming/acme" "$W/incoming/shop" "$W/incoming/jl"
$HELPER orders own "$W/incoming/acme/orders.csv" 6 1
$HELPER shipments "$W/shipments.csv" 4 101
$HELPER orders shopify "$W/incoming/shop/export.csv" 4 101
$HELPER orders jsonl "$W/incoming/jl/orders.jsonl" 5 201
cp "$W/incoming/acme/orders.csv" "$T/orders-again.csv"
echo "half" >"$W/incoming/acme/late.csv.part"

expect_rc 0 "cebgate run takes three sellers' files" cg run
check "summary names the files" grep -q 'summary: 3 files taken (3 done, 0 failed' "$T/out"
check "summary counts the orders" grep -q 'orders: 15 accepted (15 new' "$T/out"
check "one line per file when not on a terminal" grep -q '^done acme/orders.csv: 6 orders' "$T/out"
check "45 messages in outbox/" [ "$(count "$W/outbox" '*.xml')" -eq 45 ]
check "names are <MessageType>_<guid>.xml" \
    sh -c "ls '$W/outbox' | grep -Evq '^CEB(303|505|603)Message_[0-9A-F-]{36}\.xml$' && exit 1 || exit 0"
check "15 of each type" [ "$(count "$W/outbox" 'CEB603Message_*')" -eq 15 ]
check ".part file left alone" test -f "$W/incoming/acme/late.csv.part"
check "inputs kept in done/<seller>/" test -f "$W/done/shop/export.csv"
check "audit copies in archive/" [ "$(count "$W/archive" 'CEB*')" -eq 45 ]
nv=0
for f in "$W"/outbox/*.xml; do
    "$XMLSEC1" --verify --trusted-pem "$T/keys/ca.pem" "$f" >/dev/null 2>&1 || nv=$((nv + 1))
done
check "every message verifies with xmlsec1" [ "$nv" -eq 0 ]
expect_rc 0 "cebgate verify accepts them all" "$CEBGATE" verify --trust "$T/keys/ca.pem" "$W"/outbox/*.xml
check "shop's messages are signed with shop's key" \
    sh -c "grep -l 'SO-0000101' '$W'/outbox/CEB303* | xargs grep -l '<ds:KeyName>0002<' | grep -q ."
expect_rc 0 "every message validates against the XSD" \
    xmllint --noout --schema "$CEBGATE_DATADIR/xsd/202205/ceb-export.xsd" "$W"/outbox/*.xml
check "documents are sent" [ "$(sql "SELECT count(*) FROM documents WHERE state = 'sent'")" -eq 45 ]

# The port answers: declaring, then released.
$HELPER receipts "$W/outbox" "$W/inbox" 2 800 >/dev/null
expect_rc 0 "run applies the receipts" cg run
check "receipts applied" grep -q 'receipts: 45 files, 90 applied' "$T/out"
check "inbox emptied into archive/" [ "$(count "$W/inbox")" -eq 0 ]
expect_rc 0 "status of an order" cg status SO-0000101
check "status shows CEB303 released" grep -q 'CEB303 SO-0000101  version 1  released (800)' "$T/out"
check "status shows CEB603 released" grep -q 'CEB603 .*released (800)' "$T/out"
check "status shows the receipts with times" grep -q 'receipt CEB604 status 800 (applied)' "$T/out"
check "status shows the preNo from the receipt" grep -q 'preNo P' "$T/out"
expect_rc 0 "status --pending" cg status --pending
check "nothing pending" grep -q '^0 documents pending' "$T/out"
expect_rc 0 "status of a file" cg status export.csv
check "file status counts" grep -q 'orders: 4 new, 0 modified, 0 unchanged, 0 rejected' "$T/out"

# Late and duplicated receipts never move back; unknown guids are kept and reported.
mkdir "$T/ob1" && cp "$(ls "$W"/archive/CEB303Message_* | head -1)" "$T/ob1/"
$HELPER receipts "$T/ob1" "$W/inbox" 3 >/dev/null
sed 's/[0-9A-F]\{8\}-[0-9A-F]\{4\}-/00000000-0000-/g' <"$(ls "$W"/inbox/* | head -1)" >"$W/inbox/unknown.xml"
expect_rc 0 "late and unknown receipts" cg run
check "late receipt counted" grep -q '1 late, 1 unknown guid' "$T/out"
check "still nothing pending" sh -c "cg() { \"$CEBGATE\" -c '$W/cebgate.conf' \"\$@\"; }; cg status --pending | grep -q '^0 documents'"
expect_rc 0 "status --unknown" cg status --unknown
check "unknown guid listed" grep -q 'unknown guid 00000000-0000-' "$T/out"
check "one unknown receipt counted" grep -qx '1 receipt for an unknown guid or mismatched' "$T/out"
sql "SELECT * FROM receipts ORDER BY rowid" >"$T/receipts.before"
sql "DELETE FROM receipts" 2>"$T/sql.err"
check "receipt log is append-only: DELETE refused" grep -q 'receipts are an append-only log' "$T/sql.err"
sql "UPDATE receipts SET outcome = 'applied'" 2>"$T/sql.err"
check "receipt log is append-only: UPDATE refused" grep -q 'receipts are an append-only log' "$T/sql.err"
sql "SELECT * FROM receipts ORDER BY rowid" >"$T/receipts.after"
check "receipt log is append-only: all $(wc -l <"$T/receipts.before") rows unchanged" \
    sh -c "[ -s '$T/receipts.before' ] && cmp -s '$T/receipts.before' '$T/receipts.after'"

# Rerun: nothing new. The same file again: nothing declared, and said so.
expect_rc 0 "rerun" cg run
check "rerun declares nothing" grep -q 'messages: 0 signed' "$T/out"
cp "$T/orders-again.csv" "$W/incoming/acme/orders.csv"
expect_rc 0 "the same file again" cg run
check "duplicate file said so" grep -q '^duplicate acme/orders.csv: same content as orders.csv' "$T/out"
check "nothing signed for it" grep -q 'messages: 0 signed' "$T/out"
check "outbox unchanged" [ "$(count "$W/outbox" '*.xml')" -eq 45 ]

# Same orders in a new file, unchanged: nothing. A rejected document, corrected: version 2.
$HELPER orders jsonl "$W/incoming/jl/again.jsonl" 6 201
expect_rc 0 "unchanged orders in a new file" cg run
check "unchanged counted" grep -q 'orders: 1 accepted (1 new, 0 modified), 5 unchanged, 0 rejected' "$T/out"
check "only the new order declared" grep -q 'messages: 3 signed' "$T/out"
$HELPER orders jsonl "$W/incoming/jl/new.jsonl" 1 301
expect_rc 0 "a new order" cg run
g=$(sql "SELECT d.guid FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000301' AND d.msg_type = 303")
mkdir "$T/ob2" && cp "$W"/outbox/*"$(sql "SELECT d.guid FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000301' AND d.msg_type = 505")".xml "$W"/outbox/*"$(sql "SELECT d.guid FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000301' AND d.msg_type = 603")".xml "$W/outbox/CEB303Message_$g.xml" "$T/ob2/"
$HELPER receipts "$T/ob2" "$W/inbox" 2 100 >/dev/null
expect_rc 0 "customs rejects it" cg run
check "document rejected" [ "$(sql "SELECT state FROM documents WHERE guid = '$g'")" = rejected ]
expect_rc 0 "status --rejected" cg status --rejected
check "rejected list names it" grep -q 'SO-0000301  CEB303 v1  rejected: 100' "$T/out"
check "three rejections counted" grep -qx '3 rejections' "$T/out"
sed 's/"Item 0"/"Item zero"/' "$W/done/jl/new.jsonl" >"$W/incoming/jl/fixed.jsonl"
expect_rc 0 "the corrected order" cg run
check "counted as modified" grep -q 'orders: 1 accepted (0 new, 1 modified)' "$T/out"
check "version 2 is a modify" \
    [ "$(sql "SELECT m.version || '/' || m.app_type FROM messages m JOIN documents d ON d.id = m.document_id JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000301' AND m.msg_type = 303 ORDER BY m.version DESC LIMIT 1")" = 2/2 ]
g2=$(sql "SELECT d.guid FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000301' AND d.msg_type = 303")
check "same business key, new guid" [ "$g2" != "$g" ]
check "appType 2 in the message" grep -q '<ceb:appType>2</ceb:appType>' "$W/outbox/CEB303Message_$g2.xml"
expect_rc 0 "history keeps both versions" cg status SO-0000301
check "v1 in the history" grep -q "v1 add  guid $g" "$T/out"
check "v2 in the history" grep -q "v2 modify  guid $g2" "$T/out"

# The DXP envelope: messages wrapped for the exchange client, wrapped receipts unwrapped.
mkdir -p "$W/incoming/jl"
printf '[transport]\ndxp_wrap = yes\nsender_id = DXPENT0000000001\n' >>"$W/cebgate.conf"
$HELPER orders jsonl "$W/incoming/jl/dxp.jsonl" 1 400
# Without sender_id the envelope's SenderId is [declare] dxp_id, which may have 30 characters
# where SenderId has 16: a longer one stops the run before it takes anything.
sed -e '/^sender_id = /d' -e 's/^dxp_id = .*/dxp_id = DXPENT00000000001/' "$W/cebgate.conf" \
    >"$W/longid.conf"
L=$(grep -n '^dxp_id = ' "$W/longid.conf" | cut -d: -f1)
expect_rc 2 "dxp_wrap, no sender_id and a dxp_id of 17 characters" \
    "$CEBGATE" -c "$W/longid.conf" run --no-progress
check "  refused with the file, the line, both settings and the limit" test "$(cat "$T/err")" = \
    "cebgate: $W/longid.conf:$L: dxp_id: the value is 17 characters long; [transport] dxp_wrap = yes without sender_id sends [declare] dxp_id as the DXP envelope's SenderId, which allows at most 16: set [transport] sender_id"
check "  the order file is still in incoming/" test -f "$W/incoming/jl/dxp.jsonl"
check "  its order is not recorded" test "$(sql "SELECT count(*) FROM orders WHERE order_no = 'SO-0000400'")" = 0
# sender_id left empty is not given: dxp_id stands in for it, and is held to the same limit.
sed -i 's/^\[transport\]$/[transport]\nsender_id =/' "$W/longid.conf"
check "  (sender_id = in it now)" grep -qx 'sender_id =' "$W/longid.conf"
expect_rc 2 "dxp_wrap, an empty sender_id and a dxp_id of 17 characters" \
    "$CEBGATE" -c "$W/longid.conf" run --no-progress
check "  refused as without sender_id" test "$(cat "$T/err")" = \
    "cebgate: $W/longid.conf:$L: dxp_id: the value is 17 characters long; [transport] dxp_wrap = yes without sender_id sends [declare] dxp_id as the DXP envelope's SenderId, which allows at most 16: set [transport] sender_id"
# The HTTP transport reads [transport] token_file before the run takes anything: missing,
# unreadable or with an empty first line, the run stops naming the setting and the file (exit 2),
# never printing what the file holds. (The configuration ends in [transport].)
tokrun() { # DESCRIPTION TOKEN-FILE WHY
    { cat "$W/cebgate.conf"
      printf 'mode = http\nurl = https://127.0.0.1:9/messages\ntoken_file = %s\n' "$2"; } \
        >"$W/token.conf"
    expect_rc 2 "$1" "$CEBGATE" -c "$W/token.conf" run --no-progress
    check "  refused with the setting and the file" \
        test "$(cat "$T/err")" = "cebgate: [transport] token_file $2: $3"
    check "  the order file is still in incoming/" test -f "$W/incoming/jl/dxp.jsonl"
    check "  its order is not recorded" \
        test "$(sql "SELECT count(*) FROM orders WHERE order_no = 'SO-0000400'")" = 0
}
tokrun "a token file that does not exist" "$T/none.token" "no such file"
: >"$T/empty.token"
tokrun "an empty token file" "$T/empty.token" \
    "the first line is empty (the token is the first line)"
printf '  \nt0ken-s3cret\n' >"$T/blank.token"
tokrun "a token file whose first line is blank" "$T/blank.token" \
    "the first line is empty (the token is the first line)"
check "  what the file holds is not printed" sh -c "! grep -q s3cret '$T/out' '$T/err'"
mkdir "$T/dir.token"
tokrun "a token file that cannot be read (a directory)" "$T/dir.token" \
    "cannot read: Is a directory"
expect_rc 0 "run with dxp_wrap" cg run
g=$(sql "SELECT d.guid FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000400' AND d.msg_type = 603")
check "the message is a DxpMsg" grep -q '<dxp:DxpMsg' "$W/outbox/CEB603Message_$g.xml"
check "with the sender and MsgType" \
    sh -c "grep -q '<dxp:SenderId>DXPENT0000000001<' '$W/outbox/CEB603Message_$g.xml' && grep -q '<dxp:MsgType>CEB603Message<' '$W/outbox/CEB603Message_$g.xml'"
mkdir "$T/ob3" && cp "$W/outbox/CEB603Message_$g.xml" "$T/ob3/"
CG_DXP_WRAP=1 $HELPER receipts "$T/ob3" "$W/inbox" 2 800 >/dev/null
check "the receipt is wrapped" grep -q 'DxpMsg' "$W/inbox/CEB604Message_$g.xml"
expect_rc 0 "wrapped receipts are applied" cg run
check "the inventory is released" [ "$(sql "SELECT state FROM documents WHERE guid = '$g'")" = released ]

# archive/ keeps [spool] archive_days (90 by default). It is scanned at most once a day: the
# runs above left archive/.pruned, so a file past the limit stays until that mark is a day old.
check "a scan of archive/ leaves its mark" test -f "$W/archive/.pruned"
old=$(ls "$W"/archive/CEB304Message_* | head -1)
touch -d '100 days ago' "$old"
expect_rc 0 "a run within a day of the last scan" cg run
check "does not scan archive/ again" test -e "$old"
touch -d '25 hours ago' "$W/archive/.pruned"
expect_rc 0 "a run a day after the last scan prunes the archive" cg run
check "a file older than archive_days is removed" test ! -e "$old"
check "newer ones are kept" [ "$(count "$W/archive" 'CEB303Message_*')" -ge 15 ]
check "the mark is renewed" [ "$(($(date +%s) - $(stat -c %Y "$W/archive/.pruned")))" -lt 3600 ]
old=$(ls "$W"/archive/CEB304Message_* | head -1)
touch -d '100 days ago' "$old"
touch -d '1 hour' "$W/archive/.pruned"
expect_rc 0 "a mark from the future does not hold the scan off" cg run
check "so the old file is removed" test ! -e "$old"

# A second process is refused while the first holds the lock.
"$CEBGATE" -c "$W/cebgate.conf" watch --no-progress >"$T/watch.out" 2>&1 &
wp=$!
# It holds the lock once its PID is in cebgate.lock (written after flock is taken).
i=0
while [ "$(cat "$W/cebgate.lock" 2>/dev/null)" != "$wp" ] && [ $i -lt 100 ] && kill -0 $wp; do
    sleep 0.1
    i=$((i + 1))
done
check "watch took the lock" test "$(cat "$W/cebgate.lock" 2>/dev/null)" = "$wp"
expect_rc 75 "a second process is refused" cg run
check "refusal names the PID" grep -q "in use by cebgate process $wp" "$T/err"
kill -TERM $wp
wait $wp
check "watch exits 0 on SIGTERM" [ $? -eq 0 ]
finish
