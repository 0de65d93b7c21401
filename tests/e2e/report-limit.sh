#!/bin/sh
# report-limit.sh - the report on a generated database (tests/e2e/report-gen.py writes 600
# orders with SQL and prints the counts they make): every total matches the generator's, each
# list keeps [report] rows items and says how many more there are with the command listing
# them all, in JSON, the text table, CSV and HTML; --seller keeps one seller; a bad --as-of is
# a usage error.
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"
cleanup_hooks=""
CHECK="python3 $CG_SRCDIR/tests/e2e/report-check.py"
W=$T/w
mkdir -p "$W"
printf '[general]\nworkdir = .\n[report]\nrows = 10\nstuck_hours = 24\n' >"$W/cebgate.conf"
cg() { "$CEBGATE" -c "$W/cebgate.conf" "$@"; }
want() { python3 -c "import json, sys; print(json.load(open('$T/want.json'))$1)"; }

expect_rc 0 "a writing command makes the database" cg settle tick
expect_rc 0 "report on the empty database" cg report
check "an empty database needs nothing" grep -q '^  nothing$' "$T/out"
python3 "$CG_SRCDIR/tests/e2e/report-gen.py" "$W/cebgate.db" 600 2026-11-30 >"$T/want.json" ||
    fail "generate the database"

expect_rc 0 "report --format json" cg report --as-of 2026-11-30 --format json
cp "$T/out" "$T/r.json"
check "documents by state as generated" python3 -c "
import json, sys
sys.exit(0 if json.load(open('$T/r.json'))['documents']['by_state'] ==
         json.load(open('$T/want.json'))['states'] else 1)"
for s in rejected:--rejected stuck:--pending cancel:--cancel unknown:--unknown; do
    id=${s%%:*}
    n=$(want "['$id']")
    k=$((n < 10 ? n : 10))
    check "$id: $k rows of $n, the command lists all" \
        $CHECK section "$T/r.json" "$id" "$k" "$n" "cebgate status ${s#*:}"
done
check "sellers: acme and beta" $CHECK section "$T/r.json" sellers 2 2 "cebgate report --format csv"

expect_rc 0 "report as a table" cg report --as-of 2026-11-30
nc=$(want "['cancel']")
check "table: the cancellations' N more line" \
    grep -qx "  \.\.\. $((nc - 10)) more: cebgate status --cancel" "$T/out"
check "table: exactly 10 cancellation rows" \
    [ "$(grep -c 'buyer cancelled' "$T/out")" -eq 10 ]
expect_rc 0 "report as CSV" cg report --as-of 2026-11-30 --format csv
check "CSV: 10 cancellation rows and the more line" sh -c "
    [ \$(grep -c '^\"cancel\",.*buyer cancelled' '$T/out') -eq 10 ] &&
    grep -qx '\"cancel\",\"$((nc - 10)) more: cebgate status --cancel\"' '$T/out'"

expect_rc 0 "report --html" cg report --as-of 2026-11-30 --html "$T/r.html"
nr=$(want "['rejected']")
check "HTML: the rejected list's more line" \
    grep -q "$((nr - 10)) more ($nr in all, the first 10 shown): <code>cebgate status --rejected</code>" \
    "$T/r.html"
check "HTML: 10 rows in the rejected table" python3 -c "
import re, sys
d = open('$T/r.html', encoding='utf-8').read()
t = re.search(r'<div id=\"rejected\">.*?</div>', d).group(0)
sys.exit(0 if t.count('<tr>') == 11 else 1)"
check "HTML: the hostile reason is text" grep -q '&lt;b&gt;&amp;amp; &quot;x&quot;\|&lt;b&gt;&amp;amp; "x"' "$T/r.html"
xmllint --html --noout "$T/r.html" >"$T/xmllint.out" 2>&1
check "HTML: xmllint --html reports nothing" [ $? -eq 0 ] && [ ! -s "$T/xmllint.out" ]
check "HTML: no external reference" $CHECK refs "$T/r.html"
check "HTML: under 200 kB for 600 orders" [ "$(wc -c <"$T/r.html")" -lt 200000 ]
# A reason with an invalid UTF-8 byte and a control character (bytes SQLite keeps as they are).
sqlite3 "$W/cebgate.db" "INSERT INTO rejections(input_file, seller, order_no, line, reason, at)
    VALUES (1, 'acme', 'RGBAD', 1, CAST(X'626164FF0120' AS TEXT) || '终', '2026-11-30T09:00:00.000Z')" ||
    fail "insert a bad reason"
expect_rc 0 "report --html with bytes that are not text" cg report --as-of 2026-11-30 --html "$T/b.html"
check "each replaced by U+FFFD, the rest kept" grep -q 'bad�� 终' "$T/b.html"
xmllint --html --noout "$T/b.html" >"$T/xmllint.out" 2>&1
check "and xmllint --html still reports nothing" [ $? -eq 0 ] && [ ! -s "$T/xmllint.out" ]
sqlite3 "$W/cebgate.db" "DELETE FROM rejections WHERE order_no = 'RGBAD'"

expect_rc 0 "report --seller beta" cg report --as-of 2026-11-30 --seller beta --format json
check "--seller: one seller row with beta's orders" python3 -c "
import json, sys
r = json.load(open('$T/out'))
s = [x for x in r['sections'] if x['id'] == 'sellers'][0]
sys.exit(0 if s['total'] == 1 and s['rows'][0][:2] == ['beta', '$(want "['orders']['beta']")'] else 1)"
check "--seller: only beta's rejections" python3 -c "
import json, sys
r = json.load(open('$T/out'))
s = [x for x in r['sections'] if x['id'] == 'rejected'][0]
sys.exit(0 if s['total'] == 20 + 4 and all(x[0] == 'beta' for x in s['rows']) else 1)"
# A seller name neither the configuration nor the database knows (a typo) would report that
# nothing needs the broker: it is a usage error instead.
expect_rc 2 "report --seller with a name nobody knows" cg report --as-of 2026-11-30 --seller betta
check "the error names the seller" grep -q "seller betta: no section \[seller.betta\] in the configuration and no order of it in the database" "$T/err"
check "and prints no report" [ ! -s "$T/out" ]
expect_rc 2 "a bad --as-of is a usage error" cg report --as-of 2026-13-45
check "the error names the option" grep -q "as-of: '2026-13-45' is not a day" "$T/err"
expect_rc 2 "--html with --format" cg report --html "$T/x.html" --format json
expect_rc 0 "report fx aging still works" cg report fx aging --as-of 2026-11-30
check "fx aging: USD row" grep -q '^USD ' "$T/out"

# A temporary failure: the database cannot answer a report query.
cp "$W/cebgate.db" "$T/saved.db"
sqlite3 "$W/cebgate.db" "DROP TABLE input_files" || fail "drop a table"
expect_rc 75 "a database error is temporary (exit 75)" cg report --format json
check "it names the query's failure" grep -q 'prepare report query: no such table: input_files' "$T/err"
check "and prints no half report" [ ! -s "$T/out" ]
mv "$T/saved.db" "$W/cebgate.db"
# A page path that cannot be right is a configuration or usage error (exit 2), never "run
# again later": its directory does not exist, is not a directory, or the path is a directory.
expect_rc 2 "report --html into a directory that does not exist" cg report --html "$T/nodir/x.html"
check "it names the path and why" \
    grep -q "report page $T/nodir/x.html: directory $T/nodir does not exist" "$T/err"
check "and writes nothing" [ ! -e "$T/nodir" ]
: >"$T/plain"
expect_rc 2 "report --html under a file" cg report --html "$T/plain/x.html"
check "it says the directory is not one" \
    grep -q "report page $T/plain/x.html: $T/plain is not a directory" "$T/err"
mkdir -p "$T/isdir"
expect_rc 2 "report --html naming a directory" cg report --html "$T/isdir"
check "it says the path is a directory" grep -q "report page $T/isdir: is a directory" "$T/err"
mkdir -p "$T/run" && printf '[general]\nworkdir = .\n[report]\nhtml = missing/r.html\n' \
    >"$T/run/cebgate.conf"
expect_rc 2 "run: a report page in a directory that does not exist is a configuration error" \
    "$CEBGATE" -c "$T/run/cebgate.conf" run
check "run names the report file and the reason" \
    grep -q "report page $T/run/missing/r.html: directory $T/run/missing does not exist" "$T/err"
check "run's batch still finished" grep -q '^summary: 0 files taken' "$T/out"
finish
