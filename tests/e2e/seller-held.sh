#!/bin/sh
# seller-held.sh - a seller whose configuration cannot be used is the configuration's fault, not
# its orders': a folder no [seller.NAME] names, a bad value in a seller's section, a catalogue
# that cannot be read, and files dropped directly in incoming/ when [seller] alone cannot read
# them. Each such seller is named once with the reason, its files stay where they are (nothing
# in failed/, nothing rejected), the other sellers' files go on, and the run ends with exit 2.
# Once the configuration is fixed, the next run declares each order once.
. "${CG_SRCDIR:-.}/tests/e2e/shop-lib.sh"

# [seller] has the codes but no catalogue: the sellers' sections name theirs.
shop_conf "$W/cebgate.conf" "pod = LAX
[seller.good]
catalog = catalog.csv
[seller.jade]
catalog = catalog.csv
pod_by_country = DE=FRA; FR=CDG
[seller.maple]
catalog = no-such.csv"
order() { printf '%s\n' "order_no,currency,country,sku,qty,price" "$1,USD,US,TS-001,1,9.99" >"$2"; }
mkdir -p "$W/incoming/good" "$W/incoming/jade" "$W/incoming/maple" "$W/incoming/ghost"
order G-1 "$W/incoming/good/g.csv"
order J-1 "$W/incoming/jade/j.csv"
order J-2 "$W/incoming/jade/k.csv"
order M-1 "$W/incoming/maple/m.csv"
order X-1 "$W/incoming/ghost/x.csv"
order T-1 "$W/incoming/top.csv"
expect_rc 2 "a run with four sellers it cannot read" cg run --no-progress
check "the good seller's file is declared" [ -f "$W/done/good/g.csv" ]
for f in jade/j.csv jade/k.csv maple/m.csv ghost/x.csv top.csv; do
    check "  incoming/$f waits" [ -f "$W/incoming/$f" ]
done
check "nothing went to failed/" [ -z "$(find "$W/failed" -type f)" ]
check "no order was rejected" grep -q '^  orders: 1 accepted (1 new, 0 modified), 0 unchanged, 0 rejected' "$T/out"
check "jade: its bad value, once" [ "$(grep -Fxc "seller jade: [seller.jade] pod_by_country: 'DE=FRA; FR=CDG' is not COUNTRY=PORT (ISO 3166 alpha-2 = destination port of 3-4 characters)" "$T/out")" = 1 ]
check "  held once, though it has two files" [ "$(grep -c '^held seller jade: ' "$T/out")" = 1 ]
check "maple: its catalogue" grep -q "^seller maple: .*no-such.csv" "$T/out"
check "ghost: no section names its folder" grep -Fxq "folder incoming/ghost/ names no seller: the configuration has no [seller.ghost]" "$T/out"
check "the top folder: [seller] has no catalogue, and the sellers' folders are named" grep -Fxq \
    "no product catalogue: set catalog in [seller] or the seller's section (cebgate map also takes --catalog); every order line needs its HS code from it; files directly in incoming/ are read with [seller] alone: a seller's files go in its folder (incoming/good/, incoming/jade/, incoming/maple/)" "$T/out"
check "  said to wait" grep -Fxq "held: the configuration of [seller] is incomplete (above): the files directly in incoming/ wait until it is fixed; none is rejected for it" "$T/out"
check "the last line counts the four" grep -Fxq "cebgate: the configuration of 4 sellers is incomplete (named above); their files wait for a run after it is fixed" "$T/err"

# The morning report reads the database: each held seller is recorded there with its reason and
# how many of its files wait, and is what needs the broker first.
# rj EXPR: EXPR of the report's JSON in $T/out (d: the document, h: its held_sellers section)
rj() {
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
h = [s for s in d["sections"] if s["id"] == "held_sellers"][0]
print(eval(sys.argv[2]))' "$T/out" "$1"
}
HELD_NEED="sellers held for their configuration, their files waiting, none declared: fix the configuration (cebgate config names what is wrong), then run again"
expect_rc 0 "the report after the run" cg report --format json
check "  4 held sellers are the first need" [ "$(rj '"%d|%s|%s" % (d["needs"][0]["count"], d["needs"][0]["what"], d["needs"][0]["command"])')" = "4|$HELD_NEED|cebgate config" ]
check "  listed by seller with their files" [ "$(rj '" ".join(r[0] + ":" + r[1] for r in h["rows"])')" = "(default):1 ghost:1 jade:2 maple:1" ]
JADE_SINCE=$(rj '[r[2] for r in h["rows"] if r[0] == "jade"][0]')
check "  jade first and last held now" [ "$(rj '[r[2] == r[3] for r in h["rows"] if r[0] == "jade"][0]')" = True ]
check "  jade's reason as the run gave it" [ "$(rj '[r[4] for r in h["rows"] if r[0] == "jade"][0]')" = "seller jade: [seller.jade] pod_by_country: 'DE=FRA; FR=CDG' is not COUNTRY=PORT (ISO 3166 alpha-2 = destination port of 3-4 characters)" ]
expect_rc 0 "a seller's report" cg report --format json --seller jade
check "  holds that seller only" [ "$(rj '(d["needs"][0]["count"], h["total"], d["needs"][0]["command"])')" = "(1, 1, 'cebgate config')" ]
expect_rc 0 "the report as of the day before" cg report --format json --as-of "$(date -u -d yesterday +%F)"
check "  has none held yet" [ "$(rj 'h["total"]')" = 0 ]
# One of jade's files taken away: the next pass counts one.
mv "$W/incoming/jade/k.csv" "$T/k.csv"
expect_rc 2 "the same run again" cg run --no-progress
expect_rc 0 "  its report" cg report --format json
check "  jade has 1 file waiting" [ "$(rj '[r[1] for r in h["rows"] if r[0] == "jade"][0]')" = 1 ]
check "  held since the first run, seen in this one" [ "$(rj '[(r[2], r[3] > r[2]) for r in h["rows"] if r[0] == "jade"][0]')" = "('$JADE_SINCE', True)" ]
mv "$T/k.csv" "$W/incoming/jade/k.csv"

# Fixed: every file is declared once (the top file moved to a seller's folder, as told).
sed -e 's/^pod_by_country = .*/pod_by_country = DE=FRA, FR=CDG/' -e 's/^catalog = no-such.csv/catalog = catalog.csv/' \
    "$W/cebgate.conf" >"$W/fixed.conf"
printf '[seller.ghost]\ncatalog = catalog.csv\n' >>"$W/fixed.conf"
mv "$W/incoming/top.csv" "$W/incoming/good/top.csv"
(cd "$W" && "$CEBGATE" -c fixed.conf run --no-progress >"$T/out" 2>"$T/err")
check "fixed: exit 0" [ $? -eq 0 ]
check "fixed: 5 orders accepted" grep -q '^  orders: 5 accepted (5 new, 0 modified)' "$T/out"
(cd "$W" && "$CEBGATE" -c fixed.conf report --format json >"$T/out" 2>"$T/err")
check "fixed: the report holds no seller" [ "$(rj '(h["total"], len([n for n in d["needs"] if n["command"] == "cebgate config"]))')" = "(0, 0)" ]
for o in G-1 J-1 J-2 M-1 X-1 T-1; do
    check "  $o declared once" [ "$(grep -l "<ceb:orderNo>$o</ceb:orderNo>" "$W"/outbox/CEB303Message_* | wc -l)" -eq 1 ]
done
# A batch dropped for a setting its seller lacks, while the next batch was being signed: neither
# leaves a message in tmp/ (--batch 2: the first batch holds P-1, which needs [seller] agent_name
# for its CEB603, and P-2; P-3 is signed in the next batch meanwhile).
printf '[seller.part]\ncatalog = catalog.csv\nagent_name =\n' >>"$W/fixed.conf"
mkdir -p "$W/incoming/part"
printf '%s\n' "order_no,currency,country,sku,qty,price,logistics_code,logistics_name,logistics_no" \
    "P-1,USD,US,TS-001,1,9.99,3120980105,SF Express,SF8000000200" \
    "P-2,USD,US,TS-001,1,9.99,,," "P-3,USD,US,TS-001,1,9.99,,," >"$W/incoming/part/p.csv"
(cd "$W" && "$CEBGATE" -c fixed.conf run --no-progress --batch 2 >"$T/out" 2>"$T/err")
check "part: exit 2" [ $? -eq 2 ]
check "  the file waits in active/" [ -f "$W/active/part/p.csv" ]
check "  nothing is left in tmp/" [ -z "$(ls "$W/tmp")" ]
(cd "$W" && "$CEBGATE" -c fixed.conf report --format table >"$T/out" 2>"$T/err")
check "  the report holds it, its file in active/ counted" grep -Eq '^  part +1 +[0-9T:.Z-]{24} +[0-9T:.Z-]{24} +part/p.csv:2: order P-1: CEB603 building: element agentName: required value is missing: set \[seller\] agent_name$' "$T/out"
finish
