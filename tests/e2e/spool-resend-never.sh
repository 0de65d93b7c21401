#!/bin/sh
# spool-resend-never.sh - `cebgate resend` of an order number that has no document says what
# became of it. An order held for its status by one file and rejected by a later one is said
# rejected; one rejected and then held is said held (the later of the two stands, either way
# round, by number or as SELLER/NUMBER). When the look-up of either fails (its table gone from
# the database) resend says why and exits 75, a temporary failure, not "not known" (exit 1).
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"
HEAD=order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight,status
# row ORDER SKU STATUS: one line of the own CSV format
row() { echo "$1,USD,US,USNY,5.00,$2,Item 0,1,3.50,3120980105,SF Express,SF$1,2.5,$3"; }
RULE="resend sends again only a document customs refused after the E-Port stored it"
CATALOG="is not in the product catalogue '$W/catalog.csv': add it with its HS code, declared name and legal unit, then drop the file again"
held() {
    echo "cebgate: $1: never declared: held back for its status (waiting, skipped or cancelled: cebgate status $1); $RULE (100)"
}

mkdir -p "$W/incoming/acme"
# a.csv holds SO-0000901 (status wait) and rejects SO-0000902 (a SKU the catalogue lacks) ...
{ echo "$HEAD"; row SO-0000901 TS-001 wait; row SO-0000902 NO-SUCH-SKU ""; } \
    >"$W/incoming/acme/a.csv"
expect_rc 1 "a.csv: SO-0000901 waiting, SO-0000902 rejected" cg run --no-progress
# ... b.csv, taken by the next run, the other way round.
{ echo "$HEAD"; row SO-0000901 NO-SUCH-SKU ""; row SO-0000902 TS-001 wait; } \
    >"$W/incoming/acme/b.csv"
expect_rc 1 "b.csv: SO-0000901 rejected, SO-0000902 waiting" cg run --no-progress
check "no order has a document" [ "$(sql 'SELECT count(*) FROM orders')" -eq 0 ]
rej1=$(sql "SELECT at FROM rejections WHERE order_no = 'SO-0000901'")
check "SO-0000901 was rejected ($rej1) after a.csv held it" [ "$(sql "SELECT '$rej1' >
    (SELECT taken_at FROM input_files WHERE name = 'a.csv')")" = 1 ]
check "SO-0000902 was held by b.csv after its rejection" [ "$(sql "SELECT
    (SELECT taken_at FROM input_files WHERE name = 'b.csv') >
    (SELECT at FROM rejections WHERE order_no = 'SO-0000902')")" = 1 ]

REJ1="cebgate: SO-0000901: never declared: rejected $rej1: acme/b.csv:2: order SO-0000901: field sku: 'NO-SUCH-SKU' $CATALOG; correct the order in its file and drop the file again ($RULE, 100)"
expect_rc 1 "resend SO-0000901 (held, then rejected)" cg resend SO-0000901 --reason x
check "  says it was rejected, with the rejection" grep -Fxq "$REJ1" "$T/err"
expect_rc 1 "resend SO-0000902 (rejected, then held)" cg resend SO-0000902 --reason x
check "  says it is held back for its status" grep -Fxq "$(held SO-0000902)" "$T/err"
expect_rc 1 "resend acme/SO-0000902" cg resend acme/SO-0000902 --reason x
check "  the same, naming it as given" grep -Fxq "$(held acme/SO-0000902)" "$T/err"

# The look-up of the rejections fails, then that of the holds.
for t in rejections file_orders; do
    sql "ALTER TABLE $t RENAME TO test_away"
    expect_rc 75 "resend SO-0000901, $t not readable: a temporary failure" \
        cg resend SO-0000901 --reason x
    check "  says why" grep -Fxq "cebgate: $W/./cebgate.db: prepare: no such table: $t" "$T/err"
    check "  and nothing else" [ "$(wc -l <"$T/err")" -eq 1 ]
    expect_rc 75 "resend acme/SO-0000902, $t not readable" cg resend acme/SO-0000902 --reason x
    check "  says why" grep -Fxq "cebgate: $W/./cebgate.db: prepare: no such table: $t" "$T/err"
    sql "ALTER TABLE test_away RENAME TO $t"
done
expect_rc 1 "readable again: resend SO-0000901" cg resend SO-0000901 --reason x
check "  says it was rejected" grep -Fxq "$REJ1" "$T/err"
check "nothing was marked" [ "$(sql 'SELECT count(*) FROM resend_marks')" -eq 0 ]
finish
