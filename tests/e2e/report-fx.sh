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
expect_rc 0 "report on an empty working directory makes the database" cg report
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
    check "every order's state and open amount on $asof equal the rule" python3 -c 'import csv, json, sys
got = {r["order"]: [r["state"], r["open"]] for r in csv.DictReader(open(sys.argv[1]))}
want = json.load(open(sys.argv[2]))[sys.argv[3]]["states"]
bad = [k for k in want if got.get(k) != want[k]]
print("differ:", [(k, got.get(k), want[k]) for k in bad[:5]]) if bad else None
sys.exit(0 if not bad and len(got) == len(want) == 900 else 1)' "$T/orders-$asof.csv" "$T/want.json" "$asof"
done
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
finish
