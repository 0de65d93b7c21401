#!/bin/sh
# spool-bad.sh - acceptance 3 of the spool: an unreadable file, a file with invalid encoding, a
# symbolic link (to a file and posing as a seller folder), names that try to climb out of the
# spool ("..\..\x" as Windows unzip tools write it, "..x"), a name longer than 188 bytes, an
# empty file and a file without orders each end in failed/ with a .reason; nothing outside the
# spool is touched; the good file of the same batch completes; exit 1. (A file in a folder no
# seller owns waits for the configuration instead: seller-held.sh.)
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

mkdir -p "$W/incoming/acme"
$HELPER orders own "$W/incoming/acme/good.csv" 3 1
$HELPER orders own "$W/incoming/acme/secret.csv" 2 50
mv "$W/incoming/acme/secret.csv" "$T/outside.csv"
cp "$T/outside.csv" "$T/outside.orig"
$HELPER orders own "$W/incoming/acme/locked.csv" 2 60
chmod 000 "$W/incoming/acme/locked.csv"
printf 'order_no,currency,country,pod,freight,sku,item_name,qty,price\nB-1,USD,US,USNY,1,TS-001,\200\377\376 bad,1,2\n' \
    >"$W/incoming/acme/badenc.csv"
ln -s ../../../outside.csv "$W/incoming/acme/link.csv"
mkdir "$T/elsewhere" && cp "$W/incoming/acme/good.csv" "$T/elsewhere/x.csv"
ln -s ../../elsewhere "$W/incoming/evil"
printf 'x' >"$W/incoming/acme/..\\..\\evil.csv"
printf 'x' >"$W/incoming/acme/..sneaky.csv"
: >"$W/incoming/acme/empty.csv"
# The longest name taken in (188 bytes) and one byte more: the first fails as empty with its
# .reason beside it, the second under a safe name; neither stops the rest of the batch.
long188=$(printf '%0184d' 0 | tr 0 l).csv
: >"$W/incoming/acme/$long188"
: >"$W/incoming/acme/x$long188"
head -1 "$W/incoming/acme/good.csv" >"$W/incoming/acme/header-only.csv"
# Excel workbooks dropped as they are (tests/data/bad/orders/): .xlsx (a ZIP) and .xls (OLE2)
cp "$CG_TESTDATA/bad/orders/excel-workbook.xlsx" "$W/incoming/acme/orders.xlsx"
cp "$CG_TESTDATA/bad/orders/excel-97.xls" "$W/incoming/acme/orders.xls"

# As root every file is readable: run as an unprivileged user so the locked file really is.
RUN=""
if [ "$(id -u)" -eq 0 ]; then
    chmod 755 "$T" && chmod -R a+rwX "$W" && chmod a+r "$T"/keys/* && chmod 000 "$W/incoming/acme/locked.csv"
    RUN="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
expect_rc 1 "a batch with bad input exits 1" $RUN "$CEBGATE" -c "$W/cebgate.conf" run
cat "$T/out"
check "the good file completed" test -f "$W/done/acme/good.csv"
check "its orders are declared" [ "$(count "$W/outbox" 'CEB303*')" -eq 3 ]
F=$W/failed/acme
check "unreadable file in failed/" test -f "$F/locked.csv"
check "unreadable: reason" grep -q 'locked.csv: Permission denied' "$F/locked.csv.reason"
check "invalid encoding in failed/" test -f "$F/badenc.csv"
check "invalid encoding: reason names file and line" grep -q 'badenc.csv:2' "$F/badenc.csv.reason"
check "symlink moved to failed/ as a link" test -L "$F/link.csv"
check "symlink: reason" grep -q "symbolic link to '../../../outside.csv': links are never followed" "$F/link.csv.reason"
check "the link target is untouched" cmp -s "$T/outside.csv" "$T/outside.orig"
check "symlinked seller folder moved to failed/" test -L "$W/failed/evil"
check "symlinked folder: reason" grep -q "incoming/'evil': symbolic link to '../../elsewhere'" "$W/failed/evil.reason"
check "nothing taken from the folder it points to" test -f "$T/elsewhere/x.csv"
check "'..\\..\\evil.csv' in failed/ under a safe name" \
    sh -c "grep -l 'evil.csv.*path part' '$F'/unsafe-name-*.reason | grep -q ."
check "'..sneaky.csv' in failed/" sh -c "grep -l 'sneaky.csv.*path part' '$F'/*.reason | grep -q ."
check "empty file in failed/" grep -q 'empty file' "$F/empty.csv.reason"
check "a 188-byte name: in failed/ with its .reason" grep -q 'empty file' "$F/$long188.reason"
check "a 189-byte name: in failed/ under a safe name" \
    sh -c "grep -l 'x$long188.: name longer than 188 bytes' '$F'/unsafe-name-*.reason | grep -q ."

check "0-order file in failed/" grep -q 'no orders in the file' "$F/header-only.csv.reason"
printf '%s\n' "acme/orders.xlsx:1: the file is an Excel workbook (.xlsx, a ZIP archive: it starts with PK 0x03 0x04), not CSV text: save it as CSV UTF-8 and drop that" >"$T/want"
check ".xlsx: in failed/, the reason says it is a workbook to save as CSV" cmp -s "$F/orders.xlsx.reason" "$T/want"
printf '%s\n' "acme/orders.xls:1: the file is an Excel workbook (.xls, Excel 97-2003: it starts with 0xD0 0xCF 0x11 0xE0), not CSV text: save it as CSV UTF-8 and drop that" >"$T/want"
check ".xls: in failed/, the reason says it is a workbook to save as CSV" cmp -s "$F/orders.xls.reason" "$T/want"
check "incoming/ is empty" [ "$(find "$W/incoming" -type f | wc -l)" -eq 0 ]
# 13 taken: the good file and the 12 bad ones above (the symlinked folder counts as one).
check "summary counts the failed files" \
    grep -qx 'summary: 13 files taken (1 done, 12 failed, 0 duplicate)' "$T/out"
expect_rc 0 "status of a failed file" "$CEBGATE" -c "$W/cebgate.conf" status empty.csv
check "status says why" grep -q 'reason: .*empty file' "$T/out"
finish
