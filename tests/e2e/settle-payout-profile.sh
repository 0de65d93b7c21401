#!/bin/sh
# settle-payout-profile.sh - [settle] payout_profile is resolved as [seller] profile is
# (docs/collections-format.md, "Payout reports"): a value with a '/' or ending in .ini is a file
# relative to the configuration file's folder, whatever folder cebgate runs in; a bare name is a
# profile shipped in the data directory. A profile that cannot be loaded is named with the
# setting, by `settle import` and in the reason of a payout report `cebgate run` then read as an
# order file.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
sed -i "s|^tolerance = 1.00$|tolerance = 1.00\nrun_tick = no\npayout_profile = shop-payouts.ini|" \
    "$W/cebgate.conf"
mkdir -p "$W/profiles" "$T/elsewhere"
cat >"$W/shop-payouts.ini" <<'EOI'
[payout]
payout_id = Payout ID
date = Payout Date
currency = Currency
order_no = Order
gross = Amount
fee = Fee
net = Net
EOI
cp "$W/shop-payouts.ini" "$W/profiles/shop-payouts.ini"
# payout P1 of one order: gross 60.00, fee 1.80, net 58.20; P2, P3 and P4 the same of others
report() {
    printf '%s\n' 'Transaction Date,Type,Order,Payout Date,Payout ID,Amount,Fee,Net,Currency' \
        "2026-11-21 10:00:00,charge,$2,2026-11-28,$1,60.00,1.80,58.20,USD"
}
# payout KEY: gross/fee/net of the receipt recorded for payout KEY of acme
payout() {
    sql "SELECT gross || '/' || fee || '/' || net FROM fx_receipt WHERE entry_key = 'payout:acme::$1'"
}
setting() { sed -i "s|^payout_profile = .*|payout_profile = $1|" "$W/cebgate.conf"; }
report P1 A1 >"$T/p1.csv"
report P2 A2 >"$T/p2.csv"
report P3 A3 >"$T/p3.csv"

# a file name ending in .ini is the file beside cebgate.conf, not data/profiles/NAME.ini.ini
cd "$T/elsewhere" || exit 1
expect_rc 0 "shop-payouts.ini: imported from another folder" cg settle import --seller acme "$T/p1.csv"
check "as a payout report: gross 60.00, fee 1.80, net 58.20" [ "$(payout P1)" = "6000/180/5820" ]
setting ./shop-payouts.ini
expect_rc 0 "./shop-payouts.ini: imported from another folder" \
    cg settle import --seller acme "$T/p2.csv"
check "the same payout read" [ "$(payout P2)" = "6000/180/5820" ]
setting profiles/shop-payouts.ini
expect_rc 0 "profiles/shop-payouts.ini: imported from another folder" \
    cg settle import --seller acme "$T/p3.csv"
check "the same payout read" [ "$(payout P3)" = "6000/180/5820" ]

# a bare name is a shipped profile: payout is data/profiles/payout.ini
setting payout
printf '%s\n' 'Payout ID,Payout Date,Currency,Order ID,Transaction ID,Gross Amount,Fee,Net Amount' \
    'P5,2026-11-28,USD,A5,TX-5,60.00,1.80,58.20' >"$T/p5.csv"
expect_rc 0 "payout: the shipped profile reads its report" cg settle import --seller acme "$T/p5.csv"
check "the payout read" [ "$(payout P5)" = "6000/180/5820" ]

# a profile that cannot be loaded: the setting, the file and why
setting missing.ini
report P4 A4 >"$T/p4.csv"
expect_rc 2 "missing.ini: the payout report is not imported" cg settle import --seller acme "$T/p4.csv"
printf '%s\n' "cebgate: [settle] payout_profile: $W/missing.ini: No such file or directory" >"$T/want"
check "the setting and the file it looked for are named" cmp -s "$T/err" "$T/want"

# run takes the same report dropped for acme as an order file: its reason says why
cp "$T/p4.csv" "$W/incoming/acme/p4.csv"
expect_rc 1 "cebgate run refuses the report it cannot tell from an order file" cg run
check "the file is in failed/acme/" [ -f "$W/failed/acme/p4.csv" ]
# acme reads cebgate's own layout, whose header has no 'Transaction Date'
printf '%s\n' "acme/p4.csv:1: header: unknown column 'Transaction Date' (the columns are listed in docs/order-format.md); if it is a payout report, it was read as an order file because the payout profile could not be loaded: [settle] payout_profile: $W/missing.ini: No such file or directory" >"$T/want"
check "the reason names the profile setting and why it could not be loaded" \
    cmp -s "$W/failed/acme/p4.csv.reason" "$T/want"
check "nothing recorded for P4" [ -z "$(payout P4)" ]
cd / && finish
