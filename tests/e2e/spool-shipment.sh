#!/bin/sh
# spool-shipment.sh - shipment data arriving after the order: a first file whose orders have no
# carrier or tracking number yet declares CEB303 only; a later file with the same orders, now
# shipped (shipments.csv filled), adds CEB505 and CEB603 and leaves CEB303 alone, because the
# CEB303 content hash leaves shipment data (and the file name and line) out.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

mkdir -p "$W/incoming/shop"
$HELPER shipments "$T/ship.csv" 4 101
head -1 "$T/ship.csv" >"$W/shipments.csv"
$HELPER orders shopify "$W/incoming/shop/a.csv" 3 101
expect_rc 0 "orders without shipment data" cg run
check "3 new orders" grep -q 'orders: 3 accepted (3 new' "$T/out"
check "CEB303 only" [ "$(count "$W/outbox" '*.xml')" -eq 3 ]
check "no CEB603 without shipment data" [ "$(count "$W/outbox" 'CEB603Message_*')" -eq 0 ]

cp "$T/ship.csv" "$W/shipments.csv"
$HELPER orders shopify "$W/incoming/shop/b.csv" 4 101
expect_rc 0 "the same orders shipped, and one more" cg run
check "3 modified, 1 new" grep -q 'orders: 4 accepted (1 new, 3 modified)' "$T/out"
check "CEB303 not sent again" [ "$(count "$W/outbox" 'CEB303Message_*')" -eq 4 ]
check "CEB505 and CEB603 added" [ "$(count "$W/outbox" 'CEB505Message_*')" -eq 4 ]
check "each CEB603 once" [ "$(count "$W/outbox" 'CEB603Message_*')" -eq 4 ]
check "every CEB303 still version 1" \
    [ "$(sql "SELECT count(*) FROM documents WHERE msg_type = 303 AND version = 1")" -eq 4 ]
finish
