#!/bin/sh
# refund-input-bad.sh - what `cebgate refund entries` and `refund invoices` say about a bad
# file: each bad field named as "FILE:LINE: field F: reason", FILE the path as given on the
# command line (as `settle import` names it); an amount or quantity written with a thousands
# separator is said to be one, in the words the order readers use; and the count at the end is
# of bad rows, a row with several bad fields counting once (and a count of one row says so in
# the singular).
. "${CG_SRCDIR:-.}/tests/e2e/refund-lib.sh"

mkdir -p "$T/in"
# one row, two bad fields: a day that is none, an amount with a thousands separator
{
    echo "$ENTRIES_H"
    echo "290120261000000001,1,9610,B,2026-13-03,6302600000,Towel,,pcs,30,\"11,260.87\",,,,,"
} >"$T/in/entries-thousands.csv"
expect_rc 1 "declaration items with a thousands separator are refused" \
    cg refund entries "$T/in/entries-thousands.csv"
cat >"$T/want" <<EOW
$T/in/entries-thousands.csv:2: field export_date: '2026-13-03' is not a day (YYYY-MM-DD)
$T/in/entries-thousands.csv:2: field value_cny: '11,260.87' is not an amount (a number has no ',': no thousands separators, and a point before the decimals: 1024.50)
cebgate: $T/in/entries-thousands.csv: 1 bad row: nothing imported
cebgate: some files were refused
EOW
check "  the file as given, the separator named, one bad row" cmp -s "$T/want" "$T/err"
check "  nothing recorded" [ "$(sql "SELECT count(*) FROM rf_unit")" = 0 ]

# An invoice file under a relative path with a space and Chinese characters in its name: rows 2
# and 3 bad (an amount and a quantity with thousands separators, a VAT amount that is none), row
# 4 good.
{
    echo "$INVOICES_H"
    echo "3100250901,00055555,1,2026-11-20,91310000MA1FL0XX1X,Towel,,pcs,30,\"6,000.00\",13,780.00,"
    echo "3100250901,00055555,2,2026-11-20,91310000MA1FL0XX1X,Towel,,pcs,\"1,000\",100.00,13,x,"
    echo "3100250901,00055555,3,2026-11-20,91310000MA1FL0XX1X,Towel,,pcs,1,100.00,13,13.00,"
} >"$T/in/发票 11月.csv"
in_t() { (cd "$T" && cg "$@"); }
expect_rc 1 "an invoice file with thousands separators is refused" \
    in_t refund invoices "in/发票 11月.csv"
cat >"$T/want" <<EOW
in/发票 11月.csv:2: field amount_ex_vat: '6,000.00' is not an amount (a number has no ',': no thousands separators, and a point before the decimals: 1024.50)
in/发票 11月.csv:3: field quantity: '1,000' is not a quantity > 0 (a number has no ',': no thousands separators, and a point before the decimals: 1024.50)
in/发票 11月.csv:3: field vat_amount: 'x' is not an amount
cebgate: in/发票 11月.csv: 2 bad rows: nothing imported
cebgate: some files were refused
EOW
check "  the path as given, each field named, two bad rows" cmp -s "$T/want" "$T/err"
check "  nothing recorded" [ "$(sql "SELECT count(*) FROM rf_invline")" = 0 ]
# without a separator, the decimals allowed are named as before
printf '%s\n%s\n' "$INVOICES_H" \
    "3100250901,00055556,1,2026-11-20,91310000MA1FL0XX1X,Towel,,pcs,1.0005,100.001,13,13.00," \
    >"$T/in/decimals.csv"
expect_rc 1 "an invoice file with too many decimals is refused" \
    cg refund invoices "$T/in/decimals.csv"
cat >"$T/want" <<EOW
$T/in/decimals.csv:2: field quantity: '1.0005' is not a quantity > 0 (3 decimals at most)
$T/in/decimals.csv:2: field amount_ex_vat: '100.001' is not an amount (2 decimals at most)
cebgate: $T/in/decimals.csv: 1 bad row: nothing imported
cebgate: some files were refused
EOW
check "  the decimals allowed named, one bad row" cmp -s "$T/want" "$T/err"
# the good row alone: imported, its count in the singular
printf '%s\n%s\n' "$INVOICES_H" \
    "3100250901,00055555,3,2026-11-20,91310000MA1FL0XX1X,Towel,,pcs,1,100.00,13,13.00," \
    >"$T/in/one.csv"
expect_rc 0 "an invoice file of one good row is imported" cg refund invoices "$T/in/one.csv"
check "  1 row, 0 allocations" [ "$(cat "$T/out")" = "$T/in/one.csv: invoices, 1 row: 1 recorded, 0 known, 0 allocations made" ]
finish
