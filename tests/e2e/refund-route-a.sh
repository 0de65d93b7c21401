#!/bin/sh
# refund-route-a.sh - an empty refund pipeline says why: with the example configuration
# (examples/cebgate.conf.in, every seller statistics_flag = A) `report refund pipeline` and the
# morning report's "Export VAT refund units by state" say that route A is never eligible; with one
# seller on route B they name the sellers on route A; with a unit the pipeline is rows only.
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"
W=$T/w
mkdir -p "$W"
sed 's|@PORT_URL@|https://127.0.0.1:9|' "$CG_SRCDIR/examples/cebgate.conf.in" >"$W/cebgate.conf"
cg() { "$CEBGATE" -c "$W/cebgate.conf" "$@"; }
# the reports read an existing database: a writing command makes it
cg settle tick >/dev/null 2>"$T/tick.err" || { cat "$T/tick.err"; fail "settle tick makes the database"; }
ALL_A="No refund unit: every seller declares by route A (statistics_flag = A), never eligible for the export VAT refund: a simplified 9610 declaration is no customs declaration for tax (docs/refund.md, Regime); a refund needs route B (statistics_flag = B) or a 9710/9810 declaration, and its items imported (cebgate refund entries FILE)"
SOME_A="No refund unit yet: the sellers on route A (statistics_flag = A) never have any (a simplified 9610 declaration is no customs declaration for tax); the others get theirs from their declarations' items (cebgate refund entries FILE)"
WHY_A="route A: a simplified 9610 declaration, no customs declaration for tax: never eligible for the export VAT refund"
WHY_B="no declaration item imported yet (cebgate refund entries FILE)"
HEAD='"month","state","units","invoice","refund","refunded","to_come","shortfall"'
# morning_line [--seller NAME]: the line under the refund units' title of the morning report (table)
morning_line() {
    cg report --format table "$@" | sed -n '/^Export VAT refund units by state (0)$/{n;p;}'
}

# ---- every seller on route A, as the example configuration has it
expect_rc 0 "the pipeline, every seller on route A" cg report refund pipeline
check "  says no unit will come, and why" grep -qxF "$ALL_A" "$T/out"
expect_rc 0 "  as CSV" cg report refund pipeline --format csv
printf '%s\n\n"section","seller","statistics_flag","why"\n"sellers","lotus","A","%s"\n"sellers","harbor","A","%s"\n"sellers","kite","A","%s"\n' \
    "$HEAD" "$WHY_A" "$WHY_A" "$WHY_A" >"$T/want"
check "  each seller with its flag and why" cmp -s "$T/want" "$T/out"
check "the morning report says the same under its refund units" [ "$(morning_line)" = "  $ALL_A" ]
check "a seller's morning report speaks of that seller" \
    [ "$(morning_line --seller lotus)" = "  No refund unit: seller lotus declares by route A (statistics_flag = A), never eligible for the export VAT refund: a simplified 9610 declaration is no customs declaration for tax (docs/refund.md, Regime); a refund needs route B (statistics_flag = B) or a 9710/9810 declaration, and its items imported (cebgate refund entries FILE)" ]
cg report --format json >"$T/report.json"
check "  and in its JSON (the section's empty)" python3 -c 'import json,sys
s = [x for x in json.load(open(sys.argv[1]))["sections"] if x["id"] == "refund"][0]
sys.exit(0 if s["rows"] == [] and s["empty"] == sys.argv[2] else 1)' "$T/report.json" "$ALL_A"

# ---- kite on route B: the sellers on route A are named
sed -i 's/^\[seller.kite\]$/[seller.kite]\nstatistics_flag = B/' "$W/cebgate.conf"
expect_rc 0 "the pipeline, one seller on route B" cg report refund pipeline --format csv
printf '%s\n\n"section","seller","statistics_flag","why"\n"sellers","lotus","A","%s"\n"sellers","harbor","A","%s"\n"sellers","kite","B","%s"\n' \
    "$HEAD" "$WHY_A" "$WHY_A" "$WHY_B" >"$T/want"
check "  lotus and harbor never eligible, kite waiting for its items" cmp -s "$T/want" "$T/out"
expect_rc 0 "  as a table" cg report refund pipeline
check "  under the title for some sellers on route A" grep -qxF "$SOME_A" "$T/out"
check "the morning report names the sellers on route A" \
    [ "$(morning_line)" = "  $SOME_A; on route A: lotus, harbor" ]
check "kite's morning report: kite on route B, waiting for its items" \
    [ "$(morning_line --seller kite)" = "  No refund unit yet: seller kite declares by route B (statistics_flag = B): its units come from its declarations' items (cebgate refund entries FILE)" ]
check "harbor's: harbor on route A" \
    [ "$(morning_line --seller harbor)" = "  No refund unit: seller harbor declares by route A (statistics_flag = A), never eligible for the export VAT refund: a simplified 9610 declaration is no customs declaration for tax (docs/refund.md, Regime); a refund needs route B (statistics_flag = B) or a 9710/9810 declaration, and its items imported (cebgate refund entries FILE)" ]

# ---- a unit: the pipeline is its rows only
{
    echo "entry_id,item_no,trade_mode,route,export_date,hs_code,name,spec,unit,quantity,value_cny"
    echo "310120250000000301,1,9710,,2025-03-20,6109100021,Mug,,pcs,10,710.00"
} >"$T/entries.csv"
expect_rc 0 "a 9710 unit" cg refund entries "$T/entries.csv" --as-of 2025-04-16
expect_rc 0 "the pipeline with the unit" cg report refund pipeline --format csv
printf '%s\n"2025-03","WAIT_CLEARANCE","1","0.00","0.00","0.00","0.00","0.00"\n' "$HEAD" >"$T/want"
check "  its row, no reason" cmp -s "$T/want" "$T/out"
expect_rc 0 "the morning report with the unit" cg report --format json
check "  has no reason under its refund units" python3 -c 'import json,sys
s = [x for x in json.load(open(sys.argv[1]))["sections"] if x["id"] == "refund"][0]
sys.exit(0 if "empty" not in s and s["total"] == 1 else 1)' "$T/out"
finish
