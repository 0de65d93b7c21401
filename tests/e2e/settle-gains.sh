#!/bin/sh
# settle-gains.sh - matching by payment number and the CNY columns of the FX reports. Orders
# declared with a payment number (pay_no of the order file) are paid by a collections CSV
# naming only the payment, a camt.053 whose remittance text carries it, a payout line whose
# order column is the platform's own id, and one payment for two orders; an order number wins
# over a payment number. Then `report fx orders`, `gains` and `reconcile` with a customs monthly
# rate table and the bank's rates, against figures computed here with Python's Decimal
# (half-up to the fen, once per conversion), and a bad rate table refused with file, line and
# field. Last, the tolerance written as an amount, an amount per currency and a percentage.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no\ncustoms_rates = customs-rates.csv/' \
    "$W/cebgate.conf"
cat >"$W/customs-rates.csv" <<'EOR'
# customs monthly rates: CNY for one unit (test constants, not published rates)
month,currency,rate
2025-03,USD,7.12345
2025-04,USD,7.125
2025-04,EUR,7.8
EOR

H=order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight,pay_name,pay_time,pay_no
{
    echo "$H"
    echo "G1,USD,US,USNY,0.00,TS-001,T-shirt,1,120.00,3120980105,SF Express,SF0000000000101,1,Example Pay,2025-03-01 10:00:00,PAY-G1"
    echo "G2,USD,US,USNY,0.00,TS-001,T-shirt,1,50.00,3120980105,SF Express,SF0000000000102,1,Example Pay,2025-03-01 10:00:00,PAY-G2"
    echo "G3,USD,US,USNY,0.00,TS-001,T-shirt,1,50.00,3120980105,SF Express,SF0000000000103,1,Example Pay,2025-03-01 10:00:00,PAY-G3"
    echo "G4,USD,US,USNY,0.00,TS-001,T-shirt,1,80.00,3120980105,SF Express,SF0000000000104,1,Example Pay,2025-03-01 10:00:00,PAY-G4"
    echo "G5,USD,US,USNY,0.00,TS-001,T-shirt,1,45.50,3120980105,SF Express,SF0000000000105,1,Example Pay,2025-03-01 10:00:00,PAY-G5"
    echo "G6,USD,US,USNY,0.00,TS-001,T-shirt,1,30.00,3120980105,SF Express,SF0000000000106,1,Example Pay,2025-03-01 10:00:00,PAY-CART"
    echo "G7,USD,US,USNY,0.00,TS-001,T-shirt,1,20.00,3120980105,SF Express,SF0000000000107,1,Example Pay,2025-03-01 10:00:00,PAY-CART"
} >"$W/incoming/acme/orders.csv"
expect_rc 0 "orders declared" cg run
check "the payment numbers are kept with the declared amounts" \
    [ "$(sql "SELECT group_concat(o.order_no || '=' || d.pay_no, ' ') FROM (SELECT * FROM fx_declared ORDER BY order_id) d JOIN orders o ON o.id = d.order_id")" = "G1=PAY-G1 G2=PAY-G2 G3=PAY-G3 G4=PAY-G4 G5=PAY-G5 G6=PAY-CART G7=PAY-CART" ]
release 2025-03-05 G1 G2 G3
release 2025-04-02 G4 G5 G6 G7
expect_rc 0 "receipts release the inventories" cg run

state() { "$CEBGATE" -c "$W/cebgate.conf" settle explain "$1" --as-of 2025-05-01 | sed -n 's/^order acme\/[^ ]*  //p'; }
cause() {
    sql "SELECT group_concat(DISTINCT a.cause) FROM fx_allocation a JOIN orders o ON o.id = a.order_id WHERE o.order_no = '$1' AND a.removed_at IS NULL"
}

# ---- the collections CSV: a payment number alone; an order number beats a payment number
cat >"$T/coll.csv" <<'EOC'
receipt_id,date,currency,amount,fee,order_no,pay_no,reference,remitter
R-G1,2025-03-20,USD,120.00,,,PAY-G1,,BUYER ONE
R-G23,2025-03-20,USD,50.00,,G2,,PAY-G3,BUYER TWO
R-CART,2025-04-15,USD,50.00,,,PAY-CART,,BUYER SIX
EOC
expect_rc 0 "collections CSV imported" cg settle import "$T/coll.csv"
check "four allocations: G1, G2, and G6 and G7 of the one payment" grep -q '4 allocations made' "$T/out"
check "G1 COLLECTED by its payment number" [ "$(state G1) $(cause G1)" = "COLLECTED auto:payment number" ]
check "G2 COLLECTED by its order number" [ "$(state G2) $(cause G2)" = "COLLECTED auto:reference" ]
check "G3, named by payment number beside an order number, still AWAITING" \
    [ "$(state G3)" = "AWAITING" ]
check "one payment for G6 and G7: each takes what it expects" \
    [ "$(state G6) $(state G7)" = "COLLECTED COLLECTED" ]
check "G6 30.00 and G7 20.00 of it" \
    [ "$(sql "SELECT group_concat(o.order_no || ':' || a.amount_order, ' ') FROM (SELECT * FROM fx_allocation ORDER BY id) a JOIN orders o ON o.id = a.order_id JOIN fx_receipt r ON r.id = a.receipt_id WHERE r.entry_key LIKE '%:R-CART'")" = "G6:3000 G7:2000" ]

# ---- camt.053: the payment number in the remittance text
echo "BK-G4;CRDT;USD;80.00;2025-04-10;2025-04-10;;INVOICE PAY-G4 THANK YOU;BUYER FOUR" |
    $SHELPER camt053 "$T/g4.xml" CN1200000000000000000042 STMT-G4
expect_rc 0 "camt.053 imported" cg settle import "$T/g4.xml"
check "G4 COLLECTED by the payment number in the remittance text" \
    [ "$(state G4) $(cause G4)" = "COLLECTED auto:payment number" ]

# ---- a payout line naming the platform's order id and the payment number
P='Payout ID,Payout Date,Currency,Order ID,Transaction ID,Gross Amount,Fee,Net Amount'
printf '%s\nPO-G5,2025-04-10,USD,AMZ-9001,PAY-G5,45.50,-1.37,44.13\n' "$P" >"$T/payout.csv"
expect_rc 0 "payout imported" cg settle import "$T/payout.csv"
check "G5 COLLECTED by the line's payment number, fee netted" \
    [ "$(state G5) $(cause G5)" = "COLLECTED auto:payment number line 1" ]
check "principal 44.13 and fee 1.37" \
    [ "$(sql "SELECT group_concat(a.kind || ':' || a.amount_order, ' ') FROM (SELECT * FROM fx_allocation ORDER BY id) a JOIN orders o ON o.id = a.order_id WHERE o.order_no = 'G5'")" = "PRINCIPAL:4413 FEE_NETTED:137" ]

# ---- CNY at the customs rate and at the bank's rates
expect_rc 0 "bank rate of 2025-03-20" cg settle rate USD 2025-03-20 7.2 --source "bank buying rate"
expect_rc 0 "bank rate of 2025-04-10" cg settle rate USD 2025-04-10 7.05 --source "bank buying rate"
# A day that is not one of the calendar on the command line is a usage error (exit 2), for
# each verb that takes a DAY; nothing is recorded.
for a in "rate USD 2025-02-30 7.1" "convert USD 10.00 --rate 7.1 --date 2025-02-30" \
    "tick --as-of 2025-02-30"; do
    # shellcheck disable=SC2086 # the words of $a are the arguments
    expect_rc 2 "settle $a: not a day" cg settle $a
    check "settle $a: the day is named" grep -qxF "cebgate: '2025-02-30' is not a day (YYYY-MM-DD)" "$T/err"
done
# So is an argument of the wrong form: an unknown currency, a rate or an amount that is not a
# positive decimal of its currency, or CNY to settle.
for a in "rate XYZ 2025-03-21 7.1:unknown currency 'XYZ'" \
    "rate USD 2025-03-21 -7.1:rate '-7.1': not a positive decimal" \
    "rate USD 2025-03-21 7.123456:rate '7.123456': more than 5 decimals" \
    "convert XYZ 10.00 --rate 7.1 --date 2025-03-21:unknown currency 'XYZ'" \
    "convert USD 10.001 --rate 7.1 --date 2025-03-21:'10.001' has more than 2 decimals for USD" \
    "convert USD 0 --rate 7.1 --date 2025-03-21:the amount must be positive" \
    "convert USD 10.00 --rate x --date 2025-03-21:rate 'x': not a positive decimal" \
    "convert CNY 10.00 --rate 1 --date 2025-03-21:CNY is what foreign currency is settled into"; do
    args=${a%%:*}
    # shellcheck disable=SC2086 # the words of $args are the arguments
    expect_rc 2 "settle $args: usage error" cg settle $args
    check "settle $args: says why" grep -qxF "cebgate: ${a#*:}" "$T/err"
done
check "no rate or settlement of 2025-03-21" \
    [ "$(sql "SELECT (SELECT count(*) FROM fx_rate WHERE on_date = '2025-03-21') + (SELECT count(*) FROM fx_settlement WHERE settled_on = '2025-03-21')")" -eq 0 ]
check "no rate or settlement of 2025-02-30" \
    [ "$(sql "SELECT (SELECT count(*) FROM fx_rate WHERE on_date = '2025-02-30') + (SELECT count(*) FROM fx_settlement WHERE settled_on = '2025-02-30')")" -eq 0 ]
# the rule, computed independently: orders (declared, release month) and what each was paid,
# (amount, value day) per allocation; every conversion rounded half-up to the fen
cat >"$T/expect.py" <<'EOP'
import csv, sys
from decimal import Decimal as D, ROUND_HALF_UP
customs = {("2025-03", "USD"): D("7.12345"), ("2025-04", "USD"): D("7.125")}
bank = {"2025-03-20": D("7.2"), "2025-04-10": D("7.05")}
if len(sys.argv) > 3:
    bank["2025-04-15"] = D(sys.argv[3])
orders = {
    "G1": ("120.00", "2025-03", [("120.00", "2025-03-20")]),
    "G2": ("50.00", "2025-03", [("50.00", "2025-03-20")]),
    "G3": ("50.00", "2025-03", []),
    "G4": ("80.00", "2025-04", [("80.00", "2025-04-10")]),
    "G5": ("45.50", "2025-04", [("44.13", "2025-04-10"), ("1.37", "2025-04-10")]),
    "G6": ("30.00", "2025-04", [("30.00", "2025-04-15")]),
    "G7": ("20.00", "2025-04", [("20.00", "2025-04-15")]),
}
fen = lambda x: x.quantize(D("0.01"), rounding=ROUND_HALF_UP)
want, months = {}, {}
for no, (decl, month, paid) in orders.items():
    rate = customs[(month, "USD")]
    coll = sum((D(a) for a, _ in paid), D("0.00"))
    priced = all(day in bank for _, day in paid)
    bcny = sum((fen(D(a) * bank[day]) for a, day in paid), D("0.00")) if priced else None
    w = {"customs_rate": str(rate).rstrip("0") if "." in str(rate) else str(rate),
         "declared_cny": fen(D(decl) * rate), "collected_cny_customs": fen(coll * rate),
         "collected_cny_bank": bcny,
         "fx_gain_loss": bcny - fen(coll * rate) if priced else None}
    want["acme/" + no] = w
    m = months.setdefault(month, {"orders": 0, "declared": D("0.00"), "declared_cny": D("0.00"),
                                  "collected": D("0.00"), "collected_cny_customs": D("0.00"),
                                  "collected_cny_bank": D("0.00"), "fx_gain_loss": D("0.00"),
                                  "unpriced": 0})
    m["orders"] += 1
    m["declared"] += D(decl)
    m["declared_cny"] += w["declared_cny"]
    if not priced:
        m["unpriced"] += 1
        continue
    m["collected"] += coll
    m["collected_cny_customs"] += w["collected_cny_customs"]
    m["collected_cny_bank"] += bcny
    m["fx_gain_loss"] += w["fx_gain_loss"]
txt = lambda v: "" if v is None else str(v)
bad = 0
for r in csv.DictReader(open(sys.argv[1])):
    w = want.get(r["order"])
    if w is None:
        continue
    for k, v in w.items():
        if r[k] != txt(v) and not (k == "customs_rate" and D(r[k]) == D(v)):
            print("orders %s %s: %r, expected %r" % (r["order"], k, r[k], txt(v))); bad = 1
    del want[r["order"]]
rows = list(csv.DictReader(open(sys.argv[2])))
for r in rows:
    m = months.pop(r["month"], None)
    if m is None or r["currency"] != "USD":
        print("gains: unexpected row", r); bad = 1; continue
    for k, v in m.items():
        if r[k] != txt(v):
            print("gains %s %s: %r, expected %r" % (r["month"], k, r[k], txt(v))); bad = 1
sys.exit(1 if bad or want or months else 0)
EOP
cg report fx orders --format csv >"$T/orders.csv"
cg report fx gains --format csv >"$T/gains.csv"
check "orders and gains: customs and bank CNY, gain or loss as the rule gives them" \
    python3 "$T/expect.py" "$T/orders.csv" "$T/gains.csv"
check "G1: USD 120.00 at 7.12345 is CNY 854.81, at the bank's 7.2 CNY 864.00, gain 9.19" \
    [ "$(csv_cell "$T/orders.csv" acme/G1 declared_cny) $(csv_cell "$T/orders.csv" acme/G1 collected_cny_bank) $(csv_cell "$T/orders.csv" acme/G1 fx_gain_loss)" = "854.81 864.00 9.19" ]
check "G4: USD 80.00 at 7.125 is CNY 570.00, at the bank's 7.05 CNY 564.00, loss -6.00" \
    [ "$(csv_cell "$T/orders.csv" acme/G4 declared_cny) $(csv_cell "$T/orders.csv" acme/G4 collected_cny_bank) $(csv_cell "$T/orders.csv" acme/G4 fx_gain_loss)" = "570.00 564.00 -6.00" ]
check "G5: fee and principal converted one by one (CNY 9.66 + 311.12, half-up)" \
    [ "$(csv_cell "$T/orders.csv" acme/G5 collected_cny_bank) $(csv_cell "$T/orders.csv" acme/G5 declared_cny)" = "320.78 324.19" ]
check "G6 has no bank rate for its receipt's day: named, no CNY, no gain" \
    [ "$(csv_cell "$T/orders.csv" acme/G6 flags)|$(csv_cell "$T/orders.csv" acme/G6 collected_cny_bank)|$(csv_cell "$T/orders.csv" acme/G6 fx_gain_loss)" = "no bank rate USD 2025-04-15||" ]
check "2025-04: 4 orders, 2 without a bank rate" \
    [ "$(csv_cell "$T/gains.csv" 2025-04 orders) $(csv_cell "$T/gains.csv" 2025-04 unpriced)" = "4 2" ]
cg report fx reconcile --format csv >"$T/rec.csv"
# 120.00 x 7.12345 = 854.814, 50.00 x 7.12345 = 356.1725 (twice); 80.00, 45.50, 30.00, 20.00
# x 7.125 = 570.00, 324.1875, 213.75, 142.50
check "reconcile: declared CNY per month, each order rounded to the fen" \
    python3 -c 'import csv,sys
r={(x["currency"],x["month"]):x["declared_cny"] for x in csv.DictReader(open(sys.argv[1])) if x["month"]}
sys.exit(0 if r[("USD","2025-03")]=="1567.15" and r[("USD","2025-04")]=="1250.44" else 1)' "$T/rec.csv"
# received in 2025-03: 120.00 + 50.00 of 220.00 declared = 77.2727...%; 2025-04: 50.00 + 80.00
# + 45.50 of 175.50 = 100%
check "reconcile: received less refunds over declared, in percent" \
    [ "$(csv_cell "$T/rec.csv" USD ratio) $(python3 -c 'import csv,sys
print(" ".join(x["ratio"] for x in csv.DictReader(open(sys.argv[1])) if x["month"]=="2025-04"))' "$T/rec.csv")" = "77.27 100.00" ]
expect_rc 0 "bank rate of 2025-04-15" cg settle rate USD 2025-04-15 7.00005 --source "bank buying rate"
cg report fx orders --format csv >"$T/orders.csv"
cg report fx gains --format json >"$T/gains.json"
python3 -c 'import csv, json, sys
rows = json.load(open(sys.argv[1]))
w = csv.DictWriter(open(sys.argv[2], "w"), fieldnames=list(rows[0].keys()))
w.writeheader(); w.writerows(rows)' "$T/gains.json" "$T/gains.csv"
check "with the rate: every order priced, JSON gains as the rule gives them" \
    python3 "$T/expect.py" "$T/orders.csv" "$T/gains.csv" 7.00005
check "G7: USD 20.00 at 7.00005 is CNY 140.00 (140.001)" \
    [ "$(csv_cell "$T/orders.csv" acme/G7 collected_cny_bank)" = "140.00" ]

# ---- a bad customs rate table is a configuration error naming file, line and field
printf 'month,currency,rate\n2025-03,USD,7.12345\n2025-13,USD,7.1\n' >"$W/customs-rates.csv"
expect_rc 2 "month 13 refused" cg report fx gains
check "file, line and field named" \
    grep -q "customs-rates.csv:3: field month: '2025-13' is not YYYY-MM" "$T/err"
printf 'month,currency,rate\n2025-03,USD,7.123456\n' >"$W/customs-rates.csv"
expect_rc 2 "a rate with 6 decimals refused" cg report fx orders
check "the rate named" grep -q "customs-rates.csv:2: field rate: '7.123456' is not a positive" "$T/err"
printf 'month,currency,rate\n2025-03,USD,7.1\n2025-03,USD,7.2\n' >"$W/customs-rates.csv"
expect_rc 2 "a month given twice refused" cg report fx gains
check "the repeat named" grep -q "customs-rates.csv:3: USD 2025-03 has a rate already" "$T/err"
sed -i '/^customs_rates = /d' "$W/cebgate.conf"
cg report fx gains --format csv >"$T/gains.csv"
check "without a table: customs columns empty, bank CNY still there" \
    [ "$(csv_cell "$T/gains.csv" 2025-03 customs_rate)|$(csv_cell "$T/gains.csv" 2025-03 declared_cny)|$(csv_cell "$T/gains.csv" 2025-03 collected_cny_bank)|$(csv_cell "$T/gains.csv" 2025-03 fx_gain_loss)" = "||1224.00|" ]

# ---- the tolerance: an amount, an amount per currency, a percentage of what is expected
printf 'receipt_id,date,currency,amount,order_no\nR-G3,2025-03-25,USD,45.50,G3\n' >"$T/g3.csv"
expect_rc 0 "USD 45.50 for G3 (expects 50.00)" cg settle import "$T/g3.csv"
tol() { sed -i "s/^tolerance = .*/tolerance = $1/" "$W/cebgate.conf"; }
check "tolerance 1.00: 45.50 of 50.00 is PARTIAL" [ "$(state G3)" = "PARTIAL" ]
tol "1.00 10%"
check "1.00 or 10% (5.00), the larger: COLLECTED" [ "$(state G3)" = "COLLECTED" ]
tol "1.00 USD=0.10 5%"
check "USD=0.10 in place of 1.00, or 5% (2.50): PARTIAL" [ "$(state G3)" = "PARTIAL" ]
tol "1.00 USD=4.50"
check "USD=4.50: COLLECTED" [ "$(state G3)" = "COLLECTED" ]
tol "4.50 EUR=0.10"
check "another currency's amount does not apply: 4.50, COLLECTED" [ "$(state G3)" = "COLLECTED" ]
tol "1.00 XYZ=1"
expect_rc 2 "an unknown currency in the tolerance is a configuration error" cg settle explain G3
check "the key is named" grep -q "\\[settle\\] tolerance: '1.00 XYZ=1'" "$T/err"
finish
