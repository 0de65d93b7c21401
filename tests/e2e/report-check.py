#!/usr/bin/env python3
"""report-check.py - checks for the report tests, independent of cebgate's code.

  report-check.py dom REPORT.json DOM.html DB      the numbers of the JSON report appear in the
                                                   page text Chromium dumped, and match DB
  report-check.py refs PAGE.html                   no reference outside the page; every
                                                   image is a data: SVG that parses
  report-check.py section REPORT.json ID ROWS TOTAL COMMAND
                                                   a section keeps ROWS rows of TOTAL
Prints one line per problem and exits 1 when there is any.
"""
import base64
import html.parser
import json
import re
import sqlite3
import sys
import xml.dom.minidom

problems = []


def bad(msg):
    problems.append(msg)
    print("problem: " + msg)


class Page(html.parser.HTMLParser):
    """Text of the page, and the cells of each table row under the div it is in."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.div = []
        self.rows = {}  # div id -> [[cell text]]
        self.row = None
        self.cell = None
        self.text = []
        self.tags = []
        self.attrs = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.append((tag, dict(attrs)))
        if tag == "div":
            self.div.append(dict(attrs).get("id", ""))
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "div" and self.div:
            self.div.pop()
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rows.setdefault(self.div[-1] if self.div else "", []).append(self.row)
            self.row = None

    def handle_data(self, data):
        self.text.append(data)
        if self.cell is not None:
            self.cell.append(data)


def parse(path):
    p = Page()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    p.close()
    return p


def dom(report, dom_path, db):
    rep = json.load(open(report, encoding="utf-8"))
    page = parse(dom_path)
    text = " ".join(" ".join(page.text).split())
    con = sqlite3.connect(db)
    # documents by state: the database, the JSON and the page agree
    want = dict(con.execute("SELECT state, count(*) FROM documents GROUP BY state"))
    got = rep["documents"]["by_state"]
    if want != got:
        bad("JSON documents by state %r, database %r" % (got, want))
    rows = page.rows.get("states", [])
    for state, n in got.items():
        if [state, str(n)] not in rows:
            bad("state %s with %d documents not in the page's states table" % (state, n))
    if rep["documents"]["total"] != sum(want.values()):
        bad("JSON total %d, database %d" % (rep["documents"]["total"], sum(want.values())))
    # the needs list: each count with its command
    for need in rep["needs"]:
        item = "%d %s: %s" % (need["count"], need["what"], need["command"])
        if item not in text:
            bad("needs item not in the page: " + item)
    # the last run
    run = rep["last_run"]
    lr = dict((r[0], r[1]) for r in page.rows.get("last_run", []) if len(r) == 2)
    for key, label in (("files", "files"), ("orders", "orders taken"),
                       ("rejected", "orders rejected"), ("messages", "messages")):
        if lr.get(label) != str(run[key]):
            bad("last run %s: page %r, JSON %r" % (label, lr.get(label), run[key]))
    # every section: title with its total, the rows kept, the "more" line
    for sec in rep["sections"]:
        head = "%s (%d)" % (sec["title"], sec["total"])
        if head not in text:
            bad("section heading not in the page: " + head)
        body = [r for r in page.rows.get(sec["id"], []) if r != sec["columns"]]
        if body != sec["rows"]:
            bad("section %s: page rows %r, JSON rows %r" % (sec["id"], body[:3], sec["rows"][:3]))
        more = sec["total"] - len(sec["rows"])
        if more > 0 and ("%d more" % more) not in text:
            bad("section %s: no '%d more' line" % (sec["id"], more))
    # per seller: orders as the database counts them
    orders = dict(con.execute("SELECT seller, count(*) FROM orders GROUP BY seller"))
    sellers = {r[0]: r for r in page.rows.get("sellers", [])}
    for s, n in orders.items():
        r = sellers.get(s or "(default)")
        if r is None or r[1] != str(n):
            bad("seller %r: %d orders in the database, page row %r" % (s, n, r))
    # untrusted text stays text
    if "script" in page.tags:
        bad("a script element in the page")


def refs(path):
    raw = open(path, encoding="utf-8").read()
    page = parse(path)
    imgs = 0
    for tag, attrs in page.attrs:
        for k, v in attrs.items():
            if k in ("src", "href", "srcset", "action", "poster", "data", "background"):
                if k != "src" or not v.startswith("data:image/svg+xml;base64,"):
                    bad("external reference %s=%r on <%s>" % (k, v[:60], tag))
                    continue
                imgs += 1
                svg = base64.b64decode(v.split(",", 1)[1], validate=True)
                try:
                    doc = xml.dom.minidom.parseString(svg)
                except Exception as e:  # noqa: BLE001 - any parse error is the finding
                    bad("an image is not well-formed SVG: %s" % e)
                    continue
                if doc.documentElement.tagName != "svg":
                    bad("an image is not SVG")
                if re.search(rb"(href|src)\s*=", svg):
                    bad("an SVG image refers to something")
    # Markup only: text between tags is shown, never fetched (a receipt may quote a URL).
    markup = re.sub(r">[^<]*<", "><", raw)
    styles = "".join(re.findall(r"<style>([^<]*)</style>", raw))
    if not styles or re.search(r"url\(|@import|//|http", styles):
        bad("no style element, or one that refers to something")
    for pat in ("http:", "https:", "//", "url(", "@import", "<script", "<link", "<iframe",
                "<object", "<embed", "<base"):
        if pat in markup.lower():
            bad("the page's markup contains %r" % pat)
    for m in re.finditer(r"\b(src|href)\s*=\s*[\"']?([^\"' >]*)", markup, re.I):
        if not m.group(2).startswith("data:image/svg+xml;base64,"):
            bad("reference %s=%r" % (m.group(1), m.group(2)[:60]))
    if imgs == 0:
        bad("no chart in the page")
    if "Noto Sans CJK SC" not in raw or 'charset="utf-8"' not in raw:
        bad("no UTF-8 charset or no CJK font in the font stack")


def section(report, sid, nrows, total, command):
    rep = json.load(open(report, encoding="utf-8"))
    secs = [s for s in rep["sections"] if s["id"] == sid]
    if len(secs) != 1:
        bad("no section %s" % sid)
        return
    s = secs[0]
    if len(s["rows"]) != int(nrows) or s["total"] != int(total) or s["command"] != command:
        bad("section %s: %d rows of %d, command %r; expected %s of %s, %r" %
            (sid, len(s["rows"]), s["total"], s["command"], nrows, total, command))


def main():
    a = sys.argv[1:]
    if a[0] == "dom":
        dom(a[1], a[2], a[3])
    elif a[0] == "refs":
        refs(a[1])
    elif a[0] == "section":
        section(*a[1:6])
    else:
        print(__doc__)
        sys.exit(2)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
