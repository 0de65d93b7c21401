#!/bin/sh
# report-html.sh - the morning report of an end-to-end working directory: three sellers' files
# run, the port's receipts (released, one refusal whose text is hostile markup, an unknown
# guid), a file with a bad order; the orders' declared amounts (FX) and a refund unit whose
# deadline passed. `cebgate run` writes the page ([report] html); the page is
# valid HTML (xmllint), refers to nothing outside itself, loads in headless Chromium without a
# console message, and shows the numbers of `--format json`, which match the database.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"
cleanup_hooks=""
CHECK="python3 $CG_SRCDIR/tests/e2e/report-check.py"

command -v chromium >/dev/null 2>&1 || {
    fail "chromium is not installed (Debian package chromium, see quickstart)"
    finish
    exit 1
}
printf '[report]\nhtml = report.html\nstuck_hours = 1\n' >>"$W/cebgate.conf"

mkdir -p "$W/incoming/acme" "$W/incoming/shop" "$W/incoming/jl"
$HELPER orders own "$W/incoming/acme/orders.csv" 6 1
$HELPER shipments "$W/shipments.csv" 4 101
$HELPER orders shopify "$W/incoming/shop/export.csv" 4 101
$HELPER orders jsonl "$W/incoming/jl/orders.jsonl" 5 201
expect_rc 0 "cebgate run takes three sellers' files" cg run
check "run says where the report is" grep -q "^report: $W/report.html\$" "$T/out"
check "run wrote the report" test -s "$W/report.html"

# The port: every message released but one order refused with hostile text; one unknown guid.
mkdir "$T/ob" "$T/ref"
mv "$(ls "$W"/outbox/CEB303Message_* | head -1)" "$T/ref/"
mv "$W"/outbox/*.xml "$T/ob/"
$HELPER receipts "$T/ob" "$W/inbox" 800 >/dev/null
$HELPER receipts "$T/ref" "$T/ref" 100 >/dev/null
r=$(ls "$T"/ref/CEB304Message_*)
sed 's|<ceb:returnInfo>[^<]*</ceb:returnInfo>|<ceb:returnInfo>\&lt;script\&gt;alert(1)\&lt;/script\&gt; \&amp; 单证不符 \&lt;img src=http://x/a.png\&gt;</ceb:returnInfo>|' \
    "$r" >"$W/inbox/$(basename "$r")"
sed 's/[0-9A-F]\{8\}-[0-9A-F]\{4\}-/00000000-0000-/g' <"$(ls "$W"/inbox/CEB604* | head -1)" \
    >"$W/inbox/unknown.xml"
printf 'orderNo,bad\n' >"$W/incoming/acme/broken.csv"
expect_rc 1 "run applies the receipts and rejects the bad file" cg run
check "the refusal is recorded" \
    [ "$(sql "SELECT count(*) FROM documents WHERE state = 'rejected'")" -eq 1 ]

# Refund data: a rate, and a declaration item exported 800 days ago (its soft deadline passed).
EXP=$(date -u -d '800 days ago' +%Y-%m-%d)
printf 'hs_code,valid_from,valid_to,refund_rate,vat_rate,flag\n6912000000,2019-04-01,,9,13,\n' \
    >"$T/rates.csv"
{
    echo "entry_id,item_no,trade_mode,route,export_date,hs_code,name,spec,unit,quantity,value_cny,expected_purchase,inventories,order_no,cleared_on,collected"
    echo "E1,1,9710,,$EXP,6912000000,Mug,,pcs,10,100,,,,,"
} >"$T/entries.csv"
expect_rc 0 "refund rates imported" cg refund rates "$T/rates.csv"
expect_rc 0 "refund declaration items imported" cg refund entries "$T/entries.csv"

expect_rc 0 "report --format json" cg report --format json
cp "$T/out" "$T/report.json"
expect_rc 0 "report --html" cg report --html "$T/report.html"
check "report --html prints nothing" [ ! -s "$T/out" ]
xmllint --html --noout "$T/report.html" >"$T/xmllint.out" 2>&1
check "xmllint --html reports nothing" [ $? -eq 0 ] && [ ! -s "$T/xmllint.out" ]
[ -s "$T/xmllint.out" ] && sed 's/^/  xmllint: /' "$T/xmllint.out" | head -10
check "no external reference, every image a data: SVG that parses" $CHECK refs "$T/report.html"
check "the hostile receipt text is escaped in the file" \
    grep -q '&lt;script&gt;alert(1)&lt;/script&gt; &amp; 单证不符' "$T/report.html"

# Headless Chromium: screenshot, then the DOM it built.
CHROME="timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run
    --disable-background-networking --user-data-dir=$T/chrome --enable-logging=stderr --v=0"
$CHROME --window-size=1200,3000 --screenshot="$T/shot.png" "file://$T/report.html" \
    >"$T/chrome1.out" 2>"$T/chrome1.err"
check "chromium took a screenshot (exit 0)" [ $? -eq 0 ]
check "the screenshot is a 1200x3000 PNG" python3 -c "
import struct, sys
d = open('$T/shot.png', 'rb').read(24)
sys.exit(0 if d[:8] == b'\x89PNG\r\n\x1a\n' and struct.unpack('>II', d[16:24]) == (1200, 3000) else 1)"
$CHROME --dump-dom "file://$T/report.html" >"$T/dom.html" 2>"$T/chrome2.err"
check "chromium dumped the DOM (exit 0)" [ $? -eq 0 ]
check "the page loaded without a console message or failed load" \
    sh -c "! grep -hE 'CONSOLE|Failed to load|ERR_' '$T/chrome1.err' '$T/chrome2.err'"
check "the DOM is the whole page" grep -q 'id="sellers"' "$T/dom.html"
check "the JSON's numbers are in the page and match the database" \
    $CHECK dom "$T/report.json" "$T/dom.html" "$W/cebgate.db"
check "the refusal's text is shown as text" grep -q '&lt;script&gt;alert(1)' "$T/dom.html"
check "the needs list names the refusal first" python3 -c "
import json, sys
n = json.load(open('$T/report.json'))['needs']
sys.exit(0 if n and n[0]['command'] == 'cebgate status --rejected' and n[0]['count'] == 1 and n[1]['command'] == 'cebgate status SELLER/FILE' else 1)"
check "unknown receipt listed" python3 -c "
import json, sys
s = [x for x in json.load(open('$T/report.json'))['sections'] if x['id'] == 'unknown'][0]
sys.exit(0 if s['total'] == 1 and s['rows'][0][2] == 'unknown guid' else 1)"
sec() { python3 -c "import json; print([x for x in json.load(open('$T/report.json'))['sections'] if x['id'] == '$1'][0]$2)"; }
check "FX aging: the declared amounts of the released orders are open" [ "$(sec fx_aging "['total']")" -ge 1 ]
check "refund units by state: the one unit" [ "$(sec refund "['rows'][0][1]")" = 1 ]
check "the needs list has the unit at risk, with its command" python3 -c "
import json, sys
n = [x for x in json.load(open('$T/report.json'))['needs'] if x['command'] == 'cebgate report refund risk']
sys.exit(0 if len(n) == 1 and n[0]['count'] == 1 else 1)"
check "the page has the FX aging and refund charts" \
    sh -c "grep -q 'alt=\"FX aging buckets' '$T/dom.html' && grep -q 'alt=\"Refund amounts by state' '$T/dom.html'"
finish
