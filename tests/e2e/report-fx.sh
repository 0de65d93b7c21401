#!/bin/sh
# report-fx.sh - the FX aging and deferred-receipt (credit) reports, which read every order in
# one pass, against the per-order rule: tests/e2e/report-fxgen.py writes 900 orders of three
# sellers with their own [settle] keys, in every collection state (partial, collected within
# and beyond tolerance, refunded, fees netted, cross-currency waiting, removed allocations,
# returned goods, deemed, uncollectible, explained, report filed, not released), and computes
# from the rows it wrote what each report and each order's state must be on three days. The
# reports must equal that exactly; `settle explain` (one order at a time) must agree on a sample.
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"
cleanup_hooks=""
W=$T/w
mkdir -p "$W"
cat >"$W/cebgate.conf" <<EOC
[general]
workdir = .
[settle]
tolerance = 1.00
[settle.b2b]
tolerance = USD=5.00 2%
terms_days = 120
credit_report_days = 20
[settle.late]
terms_days = 200
tax_deadline = 06-30
tax_deadline_years = 2
EOC
cg() { "$CEBGATE" -c "$W/cebgate.conf" "$@"; }
DAYS="2026-11-30 2027-05-15 2028-07-15"
expect_rc 2 "report where there is no database yet refuses" cg report
check "  and makes none" test ! -e "$W/cebgate.db"
expect_rc 0 "a writing command makes the database" cg settle tick
expect_rc 0 "report on the empty database" cg report
# shellcheck disable=SC2086
python3 "$CG_SRCDIR/tests/e2e/report-fxgen.py" "$W/cebgate.db" 900 $DAYS >"$T/want.json" ||
    fail "generate the database"

# same CSV ROWS-EXPR: the report's CSV rows (without the header) equal the expected rows
same() {
    python3 -c 'import csv, json, sys
got = list(csv.reader(open(sys.argv[1])))[1:]
want = json.load(open(sys.argv[2]))[sys.argv[3]][sys.argv[4]]
if got != want:
    print("got ", got[:5], len(got)); print("want", want[:5], len(want))
sys.exit(0 if got == want and len(want) > 0 else 1)' "$1" "$T/want.json" "$2" "$3"
}
for asof in $DAYS; do
    cg report fx aging --as-of "$asof" --format csv >"$T/aging-$asof.csv" || fail "aging on $asof"
    check "aging on $asof equals the rule" same "$T/aging-$asof.csv" "$asof" aging
    cg report fx credit --as-of "$asof" --format csv >"$T/credit-$asof.csv" || fail "credit on $asof"
    check "deferred-receipt reports on $asof equal the rule" same "$T/credit-$asof.csv" "$asof" credit
    cg report fx orders --as-of "$asof" --format csv >"$T/orders-$asof.csv" || fail "orders on $asof"
    # one seller's orders only (what that seller has still to collect)
    for s in b2b late; do
        cg report fx aging --as-of "$asof" --seller $s --format csv >"$T/aging-$s.csv" ||
            fail "aging of $s on $asof"
        check "aging of $s on $asof equals the rule over its orders" \
            same "$T/aging-$s.csv" "$asof" "aging $s"
        cg report fx credit --as-of "$asof" --seller $s --format csv >"$T/credit-$s.csv" ||
            fail "credit of $s on $asof"
        check "deferred-receipt reports of $s on $asof equal the rule over its orders" \
            same "$T/credit-$s.csv" "$asof" "credit $s"
    done
    check "every order's state and open amount on $asof equal the rule" python3 -c 'import csv, json, sys
got = {r["order"]: [r["state"], r["open"]] for r in csv.DictReader(open(sys.argv[1]))}
want = json.load(open(sys.argv[2]))[sys.argv[3]]["states"]
bad = [k for k in want if got.get(k) != want[k]]
print("differ:", [(k, got.get(k), want[k]) for k in bad[:5]]) if bad else None
sys.exit(0 if not bad and len(got) == len(want) == 900 else 1)' "$T/orders-$asof.csv" "$T/want.json" "$asof"
done
# The morning report's need for orders past the tax collection deadline and not collected: as
# many as the rule finds OVERDUE on each day, of all sellers and of one; none on a day without.
for asof in $DAYS; do
    for s in "" b2b late; do
        cg report --as-of "$asof" ${s:+--seller "$s"} --format json >"$T/needs.json" ||
            fail "report on $asof ${s:-all}"
        check "needs on $asof ${s:-all}: the OVERDUE orders the rule finds" python3 -c 'import json, sys
want = sum(1 for k, (st, _) in json.load(open(sys.argv[2]))[sys.argv[3]]["states"].items()
           if st == "OVERDUE" and (not sys.argv[4] or k.startswith(sys.argv[4] + "/")))
got = [n["count"] for n in json.load(open(sys.argv[1]))["needs"]
       if n["what"].startswith(("orders past the tax collection deadline and not collected",
                                "order past the tax collection deadline and not collected"))
       and n["command"] == "cebgate report fx orders" + (" --seller " + sys.argv[4] if sys.argv[4] else "")]
print("got", got, "want", want) if got != ([want] if want else []) else None
sys.exit(0 if got == ([want] if want else []) else 1)' "$T/needs.json" "$T/want.json" "$asof" "$s"
    done
done
check "the rule has OVERDUE orders of both sellers on 2028-07-15" python3 -c 'import json, sys
st = json.load(open(sys.argv[1]))["2028-07-15"]["states"]
sys.exit(0 if all(any(v[0] == "OVERDUE" and k.startswith(p) for k, v in st.items())
                  for p in ("b2b/", "late/")) else 1)' "$T/want.json"
cg report fx orders --as-of 2027-05-15 --seller late --format csv >"$T/orders-late.csv" ||
    fail "orders of late"
check "report fx orders --seller late: its orders only, as many as the rule has" python3 -c 'import csv, json, sys
got = [r["order"] for r in csv.DictReader(open(sys.argv[1]))]
want = [k for k in json.load(open(sys.argv[2]))["2027-05-15"]["states"] if k.startswith("late/")]
sys.exit(0 if sorted(got) == sorted(want) and len(want) > 0 else 1)' "$T/orders-late.csv" "$T/want.json"
for k in reconcile unmatched settlement; do
    expect_rc 2 "report fx $k --seller b2b: over the accounts, a usage error" \
        cg report fx $k --seller b2b
    check "  says which reports take --seller" grep -qF \
        "cebgate: --seller: fx $k is over the accounts, not one seller's orders (fx aging, credit, orders and gains take --seller)" "$T/err"
done
expect_rc 2 "report fx aging --seller of a seller nobody knows" cg report fx aging --seller nobody
check "  names it" grep -qF "cebgate: --seller nobody: no section [seller.nobody]" "$T/err"
# The morning report for one seller: its FX aging is over that seller's orders.
cg report --as-of 2027-05-15 --seller late --format json >"$T/late.json" || fail "report late json"
check "the morning report of late: FX aging over its orders" python3 -c 'import json, sys
s = [x for x in json.load(open(sys.argv[1]))["sections"] if x["id"] == "fx_aging"][0]
want = json.load(open(sys.argv[2]))["2027-05-15"]["aging late"]
sys.exit(0 if s["rows"] == want and len(want) > 0 else 1)' "$T/late.json" "$T/want.json"
check "the data covers every state" python3 -c 'import json, sys
w = json.load(open(sys.argv[1]))
seen = {s for d in w.values() for s, _ in d["states"].values()}
sys.exit(0 if len(seen) == 8 else 1)' "$T/want.json"
check "the credit report has every status" python3 -c 'import json, sys
w = json.load(open(sys.argv[1]))
seen = {r[4] for d in w.values() for r in d["credit"]}
sys.exit(0 if len(seen) == 4 else 1)' "$T/want.json"

# The per-order rule (settle explain): the first order of each seller in each state.
python3 -c 'import json, sys
seen = set()
for name, (st, _) in sorted(json.load(open(sys.argv[1]))["2027-05-15"]["states"].items()):
    key = (name.split("/")[0] if "/" in name else "", st)
    if key not in seen:
        seen.add(key)
        print(name, st)' "$T/want.json" >"$T/sample"
check "the sample has at least 16 orders" [ "$(wc -l <"$T/sample")" -ge 16 ]
while read -r o st; do
    cg settle explain "$o" --as-of 2027-05-15 >"$T/explain" 2>&1 || fail "explain $o"
    check "explain $o: $st, as the rule and the report say" grep -qx "order $o  $st" "$T/explain"
done <"$T/sample"
# The morning report's need for receipts in another currency than their orders: each receipt
# with a live allocation still waiting for the bank's rates counts once. Receipt 5 holds the
# waiting allocations of orders of every seller (i % 8 == 7); receipt 6 one to order 1 (b2b);
# receipt 7 only a removed one and receipt 8 only a converted one (order 2, late), so neither
# waits. All sellers: receipts 5 and 6; b2b: 5 and 6; late: 5.
python3 - "$W/cebgate.db" <<'PY' || fail "add the cross-currency receipts"
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
now = "2026-01-01T00:00:00.000Z"
for rid in (6, 7, 8):
    con.execute("INSERT INTO fx_receipt(id, statement_id, seller, entry_key, line, direction,"
                " currency, gross, fee, net, booked_on, value_on, created_at) VALUES"
                " (?, 1, '', ?, ?, 'in', 'JPY', 1000, 0, 1000, '2025-01-01', '2025-01-01', ?)",
                (rid, "K%d" % rid, rid, now))
for aid, rid, oid, amount_order, removed in ((90001, 6, 1, None, None), (90002, 7, 2, None, now),
                                              (90003, 8, 2, 10, None)):
    con.execute("INSERT INTO fx_allocation(id, receipt_id, order_id, kind, amount_rcpt,"
                " amount_order, cross_ccy, cause, created_at, removed_at)"
                " VALUES (?, ?, ?, 'PRINCIPAL', 100, ?, 1, 'test', ?, ?)",
                (aid, rid, oid, amount_order, now, removed))
con.commit()
PY
CROSS="receipts in another currency than their orders waiting for the bank's rates: settle rate, then settle confirm: cebgate report fx orders"
cg report --as-of 2027-05-15 >"$T/needs" 2>&1 || fail "report"
check "needs: 2 receipts wait for rates" grep -qxF "  2  $CROSS" "$T/needs"
cg report --as-of 2027-05-15 --seller b2b >"$T/needs" 2>&1 || fail "report b2b"
check "needs of b2b: 2 receipts" grep -qxF "  2  $CROSS --seller b2b" "$T/needs"
cg report --as-of 2027-05-15 --seller late >"$T/needs" 2>&1 || fail "report late"
CROSS1="receipt in another currency than its orders waiting for the bank's rates: settle rate, then settle confirm: cebgate report fx orders"
check "needs of late: 1 receipt (the removed and the converted allocations do not wait)" \
    grep -qxF "  1  $CROSS1 --seller late" "$T/needs"
finish
