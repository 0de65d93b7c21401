#!/bin/sh
# refund-batch.sh - a filing batch of 500 units: the export-detail and purchase-detail CSV totals
# equal the sums of the units, computed here from the input files with Python's decimal module
# (amount excl. VAT x refund rate, half-up to the fen, per unit); approving and paying the
# batch moves every unit; importing the same result file again changes nothing. Route A
# (simplified, 9610 statistics flag A) items never enter a batch, even with every document.
. "${CG_SRCDIR:-.}/tests/e2e/refund-lib.sh"

python3 - "$T" <<'EOP' || fail "generate the 500-unit files"
import random, sys
t = sys.argv[1]
random.seed(20250615)
rates = {"6109100021": "13", "9503008900": "10.5", "6912000000": "9"}
with open(t + "/rates.csv", "w") as f:
    f.write("hs_code,valid_from,valid_to,refund_rate,vat_rate,flag\n")
    for hs, r in rates.items():
        f.write("%s,2019-04-01,,%s,13,\n" % (hs, r))
with open(t + "/entries.csv", "w") as e, open(t + "/invoices.csv", "w") as i:
    e.write("entry_id,item_no,trade_mode,route,export_date,hs_code,name,spec,unit,quantity,"
            "value_cny,expected_purchase,inventories,order_no,cleared_on,collected\n")
    i.write("invoice_code,invoice_number,line,issued_on,seller_tax_id,item_name,spec,unit,"
            "quantity,amount_ex_vat,vat_rate,vat_amount,hs_code\n")
    for n in range(1, 521):
        hs = list(rates)[n % 3]
        route = "A" if n > 500 else "B"
        qty = random.randint(1, 400)
        fen = random.randint(1, 5000000)  # amount excl. VAT, in fen
        vat = (fen * 13 * 2 + 100) // 200  # 13 %, half-up
        e.write("5100202500%08d,1,9610,%s,2025-0%d-1%d,%s,Item %d,,pcs,%d,%d.%02d,,,,2025-07-01,Y\n"
                % (n, route, 1 + n % 5, n % 10, hs, n, qty, fen // 50, fen % 100))
        i.write("51002507,%08d,1,2025-06-30,91510000MA4CCCCC3A,Item %d,,pcs,%d,%d.%02d,13,%d.%02d,%s\n"
                % (n, n, qty, fen // 100, fen % 100, vat // 100, vat % 100, hs))
EOP
expect_rc 0 "rates" cg refund rates "$T/rates.csv"
expect_rc 0 "520 declaration items" cg refund entries "$T/entries.csv" --as-of 2025-07-01
check "20 route A items are not eligible" \
    [ "$(sqlite3 "$W/cebgate.db" "SELECT count(*) FROM rf_unit WHERE route = 'A' AND regime = 'NOT_ELIGIBLE_SIMPLIFIED' AND state = 'NOT_ELIGIBLE'")" = 20 ]
expect_rc 0 "520 invoices imported and matched" cg refund invoices "$T/invoices.csv" --as-of 2025-07-02
check "500 route B units ready, route A ones untouched" \
    [ "$(sqlite3 "$W/cebgate.db" "SELECT group_concat(route || ':' || state || ':' || n) FROM (SELECT route, state, count(*) n FROM rf_unit GROUP BY route, state ORDER BY route)")" = "A:NOT_ELIGIBLE:20,B:READY:500" ]
expect_rc 1 "an invoice cannot be allocated to a route A unit" \
    cg refund allocate 510020250000000501/1 51002507/00000501/1
expect_rc 0 "prepare the 2025-07 batch" cg refund prepare --period 202507 --as-of 2025-07-03
EXP=$(sed -n 2p "$T/out")
PUR=$(sed -n 3p "$T/out")
python3 - "$T" "$EXP" "$PUR" "$(sed -n 1p "$T/out")" <<'EOP' >"$T/py.out" 2>&1
import csv, sys
from decimal import Decimal, ROUND_HALF_UP
t, exp, pur, line = sys.argv[1:]
rates = {r["hs_code"]: Decimal(r["refund_rate"]) / 100 for r in csv.DictReader(open(t + "/rates.csv"))}
want = Decimal(0)
want_inv = Decimal(0)
for r in csv.DictReader(open(t + "/invoices.csv")):
    if int(r["invoice_number"]) > 500:
        continue  # route A
    a = Decimal(r["amount_ex_vat"])
    want_inv += a
    want += (a * rates[r["hs_code"]]).quantize(Decimal("0.01"), ROUND_HALF_UP)
rows = list(csv.DictReader(open(exp)))
got = sum(Decimal(r["refund_amount"]) for r in rows)
prows = list(csv.DictReader(open(pur)))
got_inv = sum(Decimal(r["amount_ex_vat"]) for r in prows)
ids = {r["entry_id"] for r in rows}
ok = (len(rows) == 500 and got == want and got_inv == want_inv and len(prows) == 500
      and not any(int(i[-8:]) > 500 for i in ids)
      and line == "batch B1: 500 units, invoices CNY %s, refund CNY %s" % (want_inv, want))
print("rows %d refund %s want %s invoices %s want %s: %s" % (len(rows), got, want, got_inv, want_inv, line))
sys.exit(0 if ok else 1)
EOP
pyrc=$?
check "CSV totals equal the sum of the unit amounts ($(cat "$T/py.out"))" [ "$pyrc" -eq 0 ]
check "no route A unit in the batch" \
    [ "$(sqlite3 "$W/cebgate.db" "SELECT count(*) FROM rf_unit WHERE route = 'A' AND batch_id IS NOT NULL")" = 0 ]
sum_units() { sqlite3 "$W/cebgate.db" "SELECT sum(refund_fen) FROM rf_unit WHERE batch_id = 1"; }
expect_rc 0 "pre-checked" cg refund mark-prechecked B1 --date 2025-08-05
expect_rc 0 "filed" cg refund mark-filed B1 --date 2025-08-10
check "500 units moved" grep -q "^filed: 500 units moved" "$T/out"
expect_rc 0 "approved" cg refund mark-approved B1 --date 2025-09-01
check "every unit approved with its refund" \
    [ "$(sqlite3 "$W/cebgate.db" "SELECT count(*) FROM rf_unit WHERE batch_id = 1 AND state = 'APPROVED' AND approved_fen = refund_fen")" = 500 ]
sqlite3 -csv "$W/cebgate.db" "SELECT entry_id, item_no, 'paid', '', '2025-09-20', '' FROM rf_unit WHERE batch_id = 1" |
    { echo "$RESULTS_H"; cat; } >"$T/paid.csv"
expect_rc 0 "the tax office's result file: paid" cg refund results "$T/paid.csv"
check "every unit refunded, the refunded sum is the batch's" \
    [ "$(sqlite3 "$W/cebgate.db" "SELECT count(*) || ' ' || sum(refunded_fen) FROM rf_unit WHERE batch_id = 1 AND state = 'REFUNDED' AND refunded_on = '2025-09-20'")" = "500 $(sum_units)" ]
dump() { sqlite3 "$W/cebgate.db" "SELECT * FROM rf_unit ORDER BY id; SELECT count(*) FROM rf_event; SELECT count(*) FROM rf_alloc" | sed 's/|[0-9T:.-]*Z$//'; }
dump >"$T/before"
expect_rc 0 "the same result file again" cg refund results "$T/paid.csv"
check "is recognised" grep -q "imported before, nothing to do" "$T/out"
cp "$T/paid.csv" "$T/paid-copy.csv" && echo "# the same outcomes again" >>"$T/paid-copy.csv"
expect_rc 0 "another file with the same outcomes" cg refund results "$T/paid-copy.csv"
check "its rows are all known" grep -q "500 rows: 0 recorded, 500 known" "$T/out"
dump >"$T/after"
check "nothing changed" cmp -s "$T/before" "$T/after"
cg report refund pipeline --format csv >"$T/pipe.csv"
check "the pipeline shows 500 refunded, 20 not eligible" \
    [ "$(awk -F, '/REFUNDED/ {gsub(/"/,""); n += $3} END {print n}' "$T/pipe.csv") $(awk -F, '/NOT_ELIGIBLE/ {gsub(/"/,""); n += $3} END {print n}' "$T/pipe.csv")" = "500 20" ]
finish
