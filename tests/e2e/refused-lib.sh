# refused-lib.sh - helpers of the tests of the morning report's list of input files refused
# whole (report-refused-intake.sh, report-dismiss.sh), sourced after lib.sh with cg and $T set.
# report FORMAT: `cebgate report` in that format into $T/report.FORMAT (html: --html)
report() {
    if [ "$1" = html ]; then cg report --html "$T/report.html"; else
        cg report --format "$1" >"$T/report.$1"; fi
}
# refused: from the json report, the rows of the list of files refused whole,
# "seller|file|kind|reason" each, its total, the count of the needs item and each seller's
# failed files
refused() {
    python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
s = [x for x in r["sections"] if x["id"] == "failed_files"][0]
assert s["columns"] == ["seller", "file", "kind", "taken", "reason"], s["columns"]
for row in s["rows"]:
    print("|".join([row[0], row[1], row[2], row[4]]))
print("total", s["total"])
for n in r["needs"]:
    if n["what"].startswith(("input files refused whole", "input file refused whole")):
        print("needs", n["count"], n["command"])
p = [x for x in r["sections"] if x["id"] == "sellers"][0]
for row in p["rows"]:
    print("seller", row[0], row[p["columns"].index("failed_files")])' "$T/report.json"
}
# refused_html: the same from the HTML page: the rows of its table of files refused whole
# ("seller|file|kind|reason", the reason's lines joined by a newline) and the needs item
refused_html() {
    python3 -c 'import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.div = []; self.row = None; self.cell = None; self.li = None
        self.rows = []; self.needs = []
    def handle_starttag(self, tag, attrs):
        if tag == "div": self.div.append(dict(attrs).get("id"))
        if "failed_files" in self.div and tag == "tr": self.row = []
        if self.row is not None and tag == "td": self.cell = ""
        if "needs" in self.div and tag == "li": self.li = ""
    def handle_endtag(self, tag):
        if tag == "div": self.div.pop()
        if tag == "td" and self.cell is not None: self.row.append(self.cell); self.cell = None
        if tag == "tr" and self.row is not None:
            if self.row: self.rows.append(self.row)
            self.row = None
        if tag == "li" and self.li is not None: self.needs.append(self.li); self.li = None
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
        if self.li is not None: self.li += d
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
for r in p.rows: print("|".join([r[0], r[1], r[2], r[4]]))
for n in p.needs:
    if "input files refused whole" in n or "input file refused whole" in n: print("needs", n)' "$T/report.html"
}
# row_is SELLER FILE KIND REASON: the table has the row of that file, its reason's lines joined
# by "; " at the end of the line
row_is() {
    line=$(grep "^ *$1  *$2  *$3  *[0-9][-0-9T:.]*Z  " "$T/report.table") || return 1
    [ "${line%"  $4"}" != "$line" ]
}
