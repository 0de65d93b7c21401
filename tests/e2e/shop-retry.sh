#!/bin/sh
# shop-retry.sh - retrying a file as the README says: a file whose every order was refused
# (no destination port configured) goes to failed/; after the configuration is fixed, moving
# it back into incoming/ processes it again and declares its orders. A file done with some
# orders rejected (an unknown SKU) and moved back after the catalogue is fixed is read again:
# the fixed order is declared, the others stay unchanged. Moving a file done without
# rejections back is a duplicate. No run reports "0 done, 0 failed" for a file it took. The
# NAME.reason a refusal left in failed/ goes once the file moved back finishes (done or
# duplicate); a copy taken while the refused file stays in failed/ leaves its reason there.
. "${CG_SRCDIR:-.}/tests/e2e/shop-lib.sh"

write_conf() {
    shop_conf "$W/cebgate.conf" "catalog = catalog.csv
$1
[seller.own]
profile = own"
}
run() { (cd "$W" && expect_rc "$1" "$2" "$CEBGATE" -c cebgate.conf run --no-progress); }
# add_sku SKU: the catalogue learns SKU (a cotton T-shirt)
add_sku() {
    printf '%s,6109100021,棉制针织T恤衫,"Acme牌,纯棉",,011,011,,035,0.2,0.2,0.25,CN\n' "$1" >>"$W/catalog.csv"
}
write_conf ""
mkdir -p "$W/incoming/own"
cat >"$W/incoming/own/parcels.csv" <<'EOF'
order_no,currency,country,sku,qty,price,logistics_code,logistics_name,logistics_no
R-1,USD,US,TS-001,1,9.99,3120980105,SF Express,SF7000000000001
R-2,USD,US,MUG-1,2,7.50,3120980105,SF Express,SF7000000000002
EOF
run 1 "without a destination port every order is refused"
check "the file went to failed/" test -f "$W/failed/own/parcels.csv"
check "with its reason" grep -q "all 2 orders rejected" "$W/failed/own/parcels.csv.reason"
check "the run counted it as failed" grep -Fxq "summary: 1 file taken (0 done, 1 failed, 0 duplicate)" "$T/out"

# Fix the configuration, move the file back (same content, same inode), run again.
write_conf "pod = LAX"
mv "$W/failed/own/parcels.csv" "$W/incoming/own/parcels.csv"
run 0 "the file moved back is processed again"
check "the reason of its refusal went with it" test ! -e "$W/failed/own/parcels.csv.reason"
check "counted as taken and done" grep -Fxq "summary: 1 file taken (1 done, 0 failed, 0 duplicate)" "$T/out"
check "both orders are declared" grep -Fxq "  orders: 2 accepted (2 new, 0 modified), 0 unchanged, 0 rejected, 0 waiting, 0 skipped, 0 cancelled" "$T/out"
check "a run that only retried a file still has its receipts line, of none" grep -Fxq \
    "  receipts: 0 files, 0 applied, 0 duplicate, 0 late, 0 unknown guid, 0 mismatched, 0 unreadable files" "$T/out"
check "now in done/" test -f "$W/done/own/parcels.csv"
check "no longer in failed/" test ! -e "$W/failed/own/parcels.csv"
check "the database has them" [ "$(sql "SELECT count(*) FROM orders WHERE order_no IN ('R-1', 'R-2')")" -eq 2 ]
check "and two input file records, failed then done" \
    [ "$(sql "SELECT group_concat(outcome, ',') FROM (SELECT outcome FROM input_files WHERE name = 'parcels.csv' ORDER BY id)")" = "failed,done" ]

# A file done with one order rejected (unknown SKU), moved back after the catalogue is fixed.
cat >"$W/incoming/own/more.csv" <<'EOF'
order_no,currency,country,sku,qty,price
R-3,USD,US,TS-001,1,9.99
R-4,USD,US,NEW-1,1,5.00
EOF
run 1 "an unknown SKU rejects one order"
check "the file is done with one rejection" grep -q "^done own/more.csv: 1 order taken, 1 rejected" "$T/out"
add_sku NEW-1
mv "$W/done/own/more.csv" "$W/incoming/own/more.csv"
run 0 "moved back from done/ after the fix"
check "the fixed order is declared, the other unchanged" grep -Fxq "  orders: 1 accepted (1 new, 0 modified), 1 unchanged, 0 rejected, 0 waiting, 0 skipped, 0 cancelled" "$T/out"
check "R-4 is declared" [ "$(sql "SELECT count(*) FROM orders WHERE order_no = 'R-4'")" -eq 1 ]

# A file done without rejections moved back again: a duplicate, nothing declared twice. A
# reason an earlier refusal of that name left in failed/ goes too.
printf 'own/parcels.csv: an earlier refusal\n' >"$W/failed/own/parcels.csv.reason"
mv "$W/done/own/parcels.csv" "$W/incoming/own/parcels.csv"
run 0 "a clean file moved back again"
check "is a duplicate" grep -Fxq "summary: 1 file taken (0 done, 0 failed, 1 duplicate)" "$T/out"
check "the stale reason in failed/ is gone" test ! -e "$W/failed/own/parcels.csv.reason"

# A file refused whole (its one SKU unknown), then a copy of it taken after the fix while the
# refused file stays in failed/: the reason stays beside it.
cat >"$W/incoming/own/copy.csv" <<'EOF'
order_no,currency,country,sku,qty,price
R-5,USD,US,TS-001,1,4.00
R-5,USD,US,NEW-2,1,4.00
EOF
run 1 "every order of copy.csv is refused"
check "copy.csv went to failed/" test -f "$W/failed/own/copy.csv"
cp "$W/failed/own/copy.csv.reason" "$T/copy.reason"
add_sku NEW-2
cp "$W/failed/own/copy.csv" "$W/incoming/own/copy.csv"
run 0 "a copy taken after the fix"
check "the copy is done" test -f "$W/done/own/copy.csv"
check "the refused file keeps its reason" cmp -s "$W/failed/own/copy.csv.reason" "$T/copy.reason"
check "never 0 done and 0 failed for a taken file" sh -c "! grep -q 'taken (0 done, 0 failed, 0 duplicate)' '$T/out'"
finish
