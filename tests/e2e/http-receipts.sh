#!/bin/sh
# http-receipts.sh - receipts and sending are independent: with a receipts URL that cannot be
# read, `cebgate run` still takes the new files and hands every message to the port over HTTPS,
# reports the receipts failure and exits 75 (run again); once receipts can be read again the
# next run applies them. A receipt file with 300 entries for unknown guids names ten of them in
# the log and counts the rest in one line. An inbox file whose name holds a newline goes to
# failed/inbox/ under a safe name with its .reason. Fetching and applying a page of receipts
# costs fewer syncs than it has receipt files (counted with strace where it is installed); a
# temporary receipt file left by a crash in the middle of a page is removed.
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
port_conf "$T/port.conf" "$T/port.db"
port_start -d "$T" -r "$T/port.conf"
sender_conf
sed -i "s|^receipts_url = .*|receipts_url = https://127.0.0.1:$P/no-such-endpoint|" \
    "$W/cebgate.conf"
orders orders.csv 5 || fail "make orders"

expect_rc 75 "a run whose receipts cannot be fetched exits 75" cg run --no-progress
check "it says why" grep -q 'fetching receipts' "$T/err"
check "the file was taken" test ! -e "$W/incoming/orders.csv"
check "all 15 messages were sent ($(sql "SELECT group_concat(state) FROM (SELECT DISTINCT state FROM messages)"))" \
    test "$(sql "SELECT count(*) FROM messages WHERE state = 'sent'")" = 15
check "the port has the 15 documents" sh -c \
    "[ \$('$CEBGATE' -c '$T/port.conf' port --documents | wc -l) -eq 15 ]"

sed -i "s|^receipts_url = .*|receipts_url = https://127.0.0.1:$P/receipts|" "$W/cebgate.conf"
# what a crash in the middle of a page leaves: a hidden temporary receipt file
printf '<CEB304Message' >"$W/inbox/.http-receipt-000000000001.xml.tmp.99.42"
if command -v strace >/dev/null 2>&1; then
    # strace and LeakSanitizer both trace the process: no leak check under strace
    expect_rc 0 "with the receipts URL right again, the next run exits 0 (syncs counted)" \
        env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -c \
        -o "$T/strace" -e trace=fsync,fdatasync,syncfs "$CEBGATE" -c "$W/cebgate.conf" run \
        --no-progress
    # A page's files are made durable together and a group of files is applied in one
    # transaction: fewer syncs than files (each file cost five before: its fsync and inbox/'s
    # on fetching, a commit and the fsyncs of archive/ and inbox/ on applying it).
    files=$(find "$W/archive" -name 'http-receipt-*.xml' | wc -l)
    syncs=$(awk '$NF ~ /^(fsync|fdatasync|syncfs)$/ { n += $4 } END { print n + 0 }' "$T/strace")
    check "receipt files fetched and applied: $files, at least one per document" \
        [ "$files" -ge 15 ]
    check "fewer syncs ($syncs) than receipt files" [ "$syncs" -lt "$files" ]
else
    expect_rc 0 "with the receipts URL right again, the next run exits 0" cg run --no-progress
    ok "syncs not counted: strace is not installed"
fi
check "and applied the receipts" test "$(sql "SELECT count(*) FROM documents
    WHERE state IN ('accepted', 'closed')")" = 15
check "no line per receipt file without -v" sh -c "! grep -q '^receipts http-receipt-' '$T/out'"
check "a temporary file a crash left is removed" test ! -e "$W/inbox/.http-receipt-000000000001.xml.tmp.99.42"

# A receipt file with 300 entries for guids cebgate never sent, and 20 files of one such entry
# each (as the HTTP transport writes them): ten are named in the pass, then one line says how
# many more (it wrote one warning per entry before, and named ten of each file).
python3 - "$W/inbox" <<'EOF'
import sys
def rows(first, n):
    return "".join(
    "<ceb:OrderReturn><ceb:guid>F0000000-0000-4000-8000-%012d</ceb:guid>"
    "<ceb:ebpCode>3301960000</ceb:ebpCode><ceb:ebcCode>3301960001</ceb:ebcCode>"
    "<ceb:orderNo>NOBODY-%d</ceb:orderNo><ceb:returnStatus>120</ceb:returnStatus>"
    "<ceb:returnTime>20260301101500000</ceb:returnTime><ceb:returnInfo>ok</ceb:returnInfo>"
    "</ceb:OrderReturn>" % (i, i) for i in range(first, first + n))
def write(name, first, n):
    open(sys.argv[1] + "/" + name, "w").write(
        '<?xml version="1.0" encoding="UTF-8"?>\n<ceb:CEB304Message '
        'xmlns:ceb="http://www.chinaport.gov.cn/ceb" '
        'guid="F0000000-0000-4000-8000-FF%010d" version="1.0">' % first
        + rows(first, n) + "</ceb:CEB304Message>\n")
write("unknown-304.xml", 0, 300)
for k in range(20):
    write("unknown-one-%02d.xml" % k, 1000 + k, 1)
EOF
cg run --no-progress >"$T/out" 2>"$T/err"
check "320 receipts for unknown guids: ten lines name them ($(grep -c 'unknown guid F0' "$T/err"))" \
    test "$(grep -c 'unknown guid F0' "$T/err")" = 10
check "... and one line counts the other 310" \
    test "$(grep -c 'inbox: 310 more receipts for unknown guids, not listed (cebgate status --unknown)$' "$T/err")" = 1
check "no other line about unknown guids" test "$(grep -c 'unknown guid' "$T/err")" = 11
check "all 320 are kept in the log" test "$(sql "SELECT count(*) FROM receipts
    WHERE outcome = 'unknown'")" = 320

# The operator dismisses them (they were another working directory's, say): no longer listed by
# status --unknown or the report, still in the log; a receipt kept later is listed again.
sql "DROP TABLE unknown_dismissals; UPDATE store_modules SET version = 1 WHERE module = 'receipts'"
check "put back in the form of receipts schema 1" test "$(sql "SELECT count(*) FROM sqlite_master WHERE name = 'unknown_dismissals'")" = 0
check "status --unknown counts the 320" test "$(cg status --unknown | tail -n 1)" = \
    "320 receipts for unknown guids or mismatched"
check "the report asks about them" sh -c "cg_report() { \"$CEBGATE\" -c \"$W/cebgate.conf\" report; }; cg_report | grep -q '320  *receipts for unknown or mismatched messages'"
expect_rc 2 "dismiss --unknown needs a reason" cg dismiss --unknown
check "  saying so" grep -q -- "--reason TEXT is required: why the receipts need nothing done" "$T/err"
expect_rc 2 "dismiss --unknown takes no FILE" cg dismiss --unknown x.csv --reason r
span=$(sql "SELECT min(received_at) || ' to ' || max(received_at) FROM receipts WHERE outcome = 'unknown'")
expect_rc 0 "dismiss --unknown --reason" cg dismiss --unknown --reason "another workdir's receipts"
check "  (it migrated to receipts schema 2 first)" test "$(sql "SELECT version FROM store_modules WHERE module = 'receipts'")" = 2
check "  says how many and when they came" test "$(cat "$T/out")" = \
    "dismissed 320 receipts for unknown or mismatched messages, received $span: no longer listed; they stay in the receipts log"
check "  recorded with the reason" test "$(sql "SELECT up_to = (SELECT max(id) FROM receipts), receipts, reason FROM unknown_dismissals")" = \
    "1|320|another workdir's receipts"
check "status --unknown lists none" test "$(cg status --unknown)" = "0 receipts for unknown guids or mismatched"
"$CEBGATE" -c "$W/cebgate.conf" report >"$T/report"
check "the report no longer asks about them" sh -c "! grep -q '[0-9]  *receipts\\{0,1\\} for \\(an \\)\\{0,1\\}unknown or mismatched' '$T/report'"
check "  and lists none" grep -qx 'Receipts for unknown or mismatched messages (0)' "$T/report"
check "they stay in the log" test "$(sql "SELECT count(*) FROM receipts WHERE outcome = 'unknown'")" = 320
expect_rc 1 "dismissing again finds none" cg dismiss --unknown --reason again
check "  saying so" test "$(cat "$T/err")" = \
    "cebgate: no receipt for an unknown or mismatched message is listed (cebgate status --unknown)"
python3 - "$W/inbox" <<'EOF'
import sys
open(sys.argv[1] + "/unknown-later.xml", "w").write(
    '<?xml version="1.0" encoding="UTF-8"?>\n<ceb:CEB304Message '
    'xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="F0000000-0000-4000-8000-FF0000009999" '
    'version="1.0"><ceb:OrderReturn><ceb:guid>F0000000-0000-4000-8000-000000009999</ceb:guid>'
    '<ceb:ebpCode>3301960000</ceb:ebpCode><ceb:ebcCode>3301960001</ceb:ebcCode>'
    '<ceb:orderNo>NOBODY-LATER</ceb:orderNo><ceb:returnStatus>120</ceb:returnStatus>'
    '<ceb:returnTime>20260301101500000</ceb:returnTime><ceb:returnInfo>ok</ceb:returnInfo>'
    '</ceb:OrderReturn></ceb:CEB304Message>\n')
EOF
cg run --no-progress >"$T/out" 2>"$T/err"
check "a receipt kept later is listed" test "$(cg status --unknown | tail -n 1)" = \
    "1 receipt for an unknown guid or mismatched"
check "  by its order" sh -c "cg_s() { \"$CEBGATE\" -c \"$W/cebgate.conf\" status --unknown; }; cg_s | grep -q NOBODY-LATER"

# An inbox file whose name holds a newline goes to failed/inbox/ under a safe name, with its
# .reason, and the log shows the name with '?' for the newline.
printf '<x/>' >"$W/inbox/two
lines.xml"
cg run --no-progress >"$T/out" 2>"$T/err"
check "the file with a newline in its name left inbox/" sh -c "! ls '$W/inbox' | grep -q '^two'"
check "it is in failed/inbox/ with a .reason" sh -c "ls '$W/failed/inbox/' | grep -q '^bad-name-[0-9a-f]*\.reason$'"
check "the reason names the file with '?' for the newline" sh -c \
    "cat '$W'/failed/inbox/bad-name-*.reason | grep -q 'inbox/two?lines.xml'"
check "no log line starts with the rest of the name" sh -c "! grep -q '^lines.xml' '$T/err'"
port_stop

# The port gone and nothing to send: the run tries the receipts once (its retries included),
# says so once and exits 75.
expect_rc 75 "with the port gone, the run exits 75" cg run --no-progress
check "the receipts failure is reported once ($(grep -c 'fetching receipts' "$T/err"))" \
    test "$(grep -c 'fetching receipts' "$T/err")" = 1
check "the run says why it should be run again" grep -q 'receipts could not be fetched' "$T/err"
finish
