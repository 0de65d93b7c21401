#!/bin/sh
# settle-bulk.sh - acceptance 2 of settle/: a camt.053 of 200 entries (USD, EUR, GBP; payments
# of orders, unknown payers, chargebacks) and a payout report paying 50 orders in 5 payouts are
# imported; every report total equals the sums computed from the same files by
# settle-helper.py (ElementTree and csv, not cebgate); importing both again, and the same
# entries in a file with other bytes, changes nothing.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no/' "$W/cebgate.conf"
$HELPER orders own "$W/incoming/acme/orders.csv" 150 1
expect_rc 0 "150 orders declared" cg run
CG_RETURN_DAY=20250630 $HELPER receipts "$W/outbox" "$W/inbox" 120 800 >/dev/null
expect_rc 0 "released on 2025-06-30" cg run
$SHELPER bulk "$T/stmt.xml" "$T/payout.csv" 200 51
check "the statement has 200 entries" [ "$(grep -c '<Ntry>' "$T/stmt.xml")" -eq 200 ]

expect_rc 0 "camt.053 imported" cg settle import --seller acme "$T/stmt.xml"
check "200 receipts, 100 matched by reference" \
    grep -q 'camt.053, 200 entries: 200 receipts recorded, 0 known from another file, 100 allocations made' "$T/out"
expect_rc 0 "payout report imported" cg settle import --seller acme "$T/payout.csv"
check "5 payouts, 50 orders allocated" \
    grep -q 'payout report, 5 entries: 5 receipts recorded, 0 known from another file, 50 allocations made' "$T/out"

snapshot() {
    for k in orders reconcile unmatched settlement aging; do
        cg report fx $k --as-of 2025-12-31 --format json >"$T/$1-$k.json" || fail "report $k"
    done
    sql "SELECT (SELECT count(*) FROM fx_statement), (SELECT count(*) FROM fx_receipt),
        (SELECT count(*) FROM fx_allocation), (SELECT count(*) FROM fx_event)" >"$T/$1-counts"
}
snapshot first
check "every order collected" python3 -c 'import json,sys
r=json.load(open(sys.argv[1]))
sys.exit(0 if len(r)==150 and all(o["state"]=="COLLECTED" for o in r) else 1)' "$T/first-orders.json"

$SHELPER sums "$T/stmt.xml" "$T/payout.csv" >"$T/expected.json"
check "received, fees and refunds per currency and month equal the files' sums" python3 -c 'import json,sys
exp=json.load(open(sys.argv[1])); rep=json.load(open(sys.argv[2]))
got={}
for r in rep:
    if r["month"] and r["month"]>="2025-07":
        got["%s %s"%(r["currency"],r["month"])]={"received":r["received"],"fees":r["fees"],"refunds":r["refunds"]}
exp.pop("held")
# each currency over several months ends with its total: the sums of the files over its months
from decimal import Decimal
tot={}
for k,v in list(exp.items()):
    cur=k.split()[0]; t=tot.setdefault(cur,{"n":0,"received":Decimal(0),"fees":Decimal(0),"refunds":Decimal(0)})
    t["n"]+=1
    for f in ("received","fees","refunds"): t[f]+=Decimal(v[f])
for cur,t in tot.items():
    if t["n"]>1: exp["%s total"%cur]={f:"%.2f"%t[f] for f in ("received","fees","refunds")}
bad=[k for k in set(exp)|set(got) if exp.get(k)!=got.get(k)]
print("mismatch:", bad, [exp.get(k) for k in bad], [got.get(k) for k in bad]) if bad else None
sys.exit(1 if bad or len(exp)<10 else 0)' "$T/expected.json" "$T/first-reconcile.json"
check "declared USD in June 2025 is 150 x 34.00" python3 -c 'import json,sys
r=[x for x in json.load(open(sys.argv[1])) if x["currency"]=="USD" and x["month"]=="2025-06"]
sys.exit(0 if r and r[0]["declared"]=="5100.00" else 1)' "$T/first-reconcile.json"
check "held per currency equals the files' net" python3 -c 'import json,sys
exp=json.load(open(sys.argv[1]))["held"]; rep=json.load(open(sys.argv[2]))
got={r["currency"]: r["held"] for r in rep}
sys.exit(0 if got==exp else 1)' "$T/expected.json" "$T/first-settlement.json"
check "100 unmatched receipts: the unknown payers and the chargebacks" python3 -c 'import json,sys
import xml.etree.ElementTree as ET
ns={"c":"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"}
want=sorted("%s %s"%(n.find("c:Amt",ns).get("Ccy"),n.find("c:Amt",ns).text) for n in ET.parse(sys.argv[2]).getroot().iterfind(".//c:Ntry",ns) if n.find(".//c:EndToEndId",ns).text=="NOTPROVIDED")
got=sorted("%s %s"%(r["currency"],r["unallocated"]) for r in json.load(open(sys.argv[1]))["receipts"])
sys.exit(0 if len(want)==100 and got==want else 1)' "$T/first-unmatched.json" "$T/stmt.xml"
check "nothing open in the aging report" python3 -c 'import json,sys
sys.exit(0 if json.load(open(sys.argv[1]))==[] else 1)' "$T/first-aging.json"

expect_rc 0 "camt.053 again" cg settle import --seller acme "$T/stmt.xml"
check "recognised as imported" grep -q 'imported before, nothing to do' "$T/out"
expect_rc 0 "payout report again" cg settle import --seller acme "$T/payout.csv"
check "recognised as imported" grep -q 'imported before, nothing to do' "$T/out"
sed 's/^  //' "$T/stmt.xml" >"$T/stmt-reindented.xml"
expect_rc 0 "the same entries in a file with other bytes" cg settle import --seller acme "$T/stmt-reindented.xml"
check "every entry known from the first file" \
    grep -q '200 entries: 0 receipts recorded, 200 known from another file, 0 allocations made' "$T/out"
snapshot again
check "receipts, allocations and events unchanged" \
    [ "$(cut -d'|' -f2- "$T/first-counts")" = "$(cut -d'|' -f2- "$T/again-counts")" ]
check "only the re-indented file added a statement row" \
    [ "$(cut -d'|' -f1 "$T/first-counts") $(cut -d'|' -f1 "$T/again-counts")" = "2 3" ]
for k in orders reconcile unmatched settlement aging; do
    check "report $k unchanged" cmp -s "$T/first-$k.json" "$T/again-$k.json"
done
finish
