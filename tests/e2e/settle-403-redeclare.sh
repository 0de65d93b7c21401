#!/bin/sh
# settle-403-redeclare.sh - a payment receipt from collections (CEB403) that the port refused
# before storing it is declared again by the next run. Against `cebgate port` over loopback TLS:
# two orders of a seller with payments = collections are declared and released; the broker then
# signs with a certificate the port does not trust, and the run that matches a collection for
# each sends one CEB403 per order, refused with 1001 (once each, although a run declares payment
# receipts twice); with the trusted key the next run declares each again (version 2, an add: the
# port has none) and the port stores one copy of each; customs refuses the one of SO-0000302
# (100) after storing it, and that one, like the accepted one, is not sent again.
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
port_conf "$T/port.conf" "$T/port.db"
sed 's/^reject_rules = .*/& | payNo=BANK-302:payment refused/' "$T/port.conf" >"$T/port.conf.x" &&
    mv "$T/port.conf.x" "$T/port.conf"
port_start -d "$T" -r "$T/port.conf"
untrusted_signer || fail "make the untrusted certificate"
sign_with signer
sender_conf
collections_conf
mkdir -p "$W/incoming/acme"
$HELPER orders own "$W/incoming/acme/orders.csv" 2 301 || fail "make orders"

# 1. The orders, signed with the trusted key: declared and released, no CEB403 yet.
expect_rc 0 "two orders declared with the trusted key" cg run --no-progress
run_until "documents WHERE msg_type = 603 AND state IN ('released', 'closed')" 2
check "both inventories released" \
    test "$(count "documents WHERE msg_type = 603 AND state IN ('released', 'closed')")" = 2
check "no CEB403 yet" test "$(count "documents WHERE msg_type = 403")" = 0
check "the port holds the 6 documents of the orders" test "$(pstat documents)" = 6
received=$(pstat received)
check "the port received 6 messages" test "$received" = 6

# 2. The untrusted key; a collection of USD 20.00 for each order: one CEB403 each, refused.
sign_with stranger
DAY=$(date -u +%Y-%m-%d)
{
    echo receipt_id,date,value_date,currency,amount,order_no
    echo "BANK-301,$DAY,$DAY,USD,20.00,SO-0000301"
    echo "BANK-302,$DAY,$DAY,USD,20.00,SO-0000302"
} >"$W/incoming/acme/collections-1.csv"
expect_rc 1 "the port refuses the payment receipts signed with the untrusted key" \
    cg run --no-progress
check "two allocations" test "$(count "fx_allocation WHERE removed_at IS NULL")" = 2
check "2 signed, 2 refused" \
    grep -q "2 signed, 2 queued, 0 sent, 0 waiting to be sent, 2 refused" "$T/out"
check "each CEB403 version 1, an add, refused with 1001: $(pay SO-0000301 SO-0000302)" \
    test "$(pay SO-0000301 SO-0000302)" = "1:1:rejected:1001/1:1:rejected:1001/"
check "the port refused 2 messages with 1001 and stores no CEB403" \
    test "$(pstat received)/$(pstat 'code 1001')/$(pstat documents)" = 8/2/6

# 3. The trusted key: the next run declares each CEB403 again, once.
sign_with signer
expect_rc 0 "the next run with the trusted key" cg run --no-progress
check "2 signed and sent, none refused" \
    grep -q "2 signed, 2 queued, 2 sent, 0 waiting to be sent, 0 refused" "$T/out"
# SO-0000301 is accepted (120); customs refuses SO-0000302's after storing it (payNo rule: 100)
run_until "documents WHERE msg_type = 403 AND status IN ('120', '100')" 2
check "version 2 of each, an add again, 301 accepted, 302 refused by customs: $(pay SO-0000301 SO-0000302)" \
    test "$(pay SO-0000301 SO-0000302)" = "1:1:rejected:1001 2:1:accepted:120/1:1:rejected:1001 2:1:rejected:100/"
"$CEBGATE" -c "$T/port.conf" port --documents >"$T/port-docs.tsv" 2>"$T/err" || fail "port --documents"
awk -F'\t' '$1 == "CEB403" { print $2 }' "$T/port-docs.tsv" | sort >"$T/port-403"
awk -F'\t' '$1 == "CEB403" { print $3 }' "$T/port-docs.tsv" | sort -u >"$T/port-403-keys"
sql "SELECT guid FROM documents WHERE msg_type = 403" | sort >"$T/our-403"
check "the port holds one CEB403 per order" \
    test "$(wc -l <"$T/port-403")/$(wc -l <"$T/port-403-keys")" = 2/2
check "under the guids of the sender's current versions" cmp -s "$T/port-403" "$T/our-403"
check "the port received 10 messages, refused 2 with 1001, holds 8 documents" \
    test "$(pstat received)/$(pstat 'code 1001')/$(pstat documents)" = 10/2/8

# 4. A further run sends nothing: accepted stays exactly-once, customs' 100 waits for a change.
expect_rc 0 "a further run" cg run --no-progress
check "nothing signed" grep -q "0 signed, 0 queued, 0 sent" "$T/out"
check "still version 2 of each: $(pay SO-0000301 SO-0000302)" \
    test "$(pay SO-0000301 SO-0000302)" = "1:1:rejected:1001 2:1:accepted:120/1:1:rejected:1001 2:1:rejected:100/"
check "the port still received 10 messages" test "$(pstat received)" = 10

# 5. A refused payment receipt is not the order file's: a copy of the orders file, dropped while
# SO-0000301's CEB403 is refused (the untrusted key, a further USD 5.00 collected), is still a
# duplicate of the file done, not read again.
sign_with stranger
{
    echo receipt_id,date,value_date,currency,amount,order_no
    echo "BANK-301B,$DAY,$DAY,USD,5.00,SO-0000301"
} >"$W/incoming/acme/collections-2.csv"
expect_rc 1 "the port refuses the changed payment receipt" cg run --no-progress
check "SO-0000301's CEB403 version 3, a modify, refused with 1001: $(pay SO-0000301)" \
    test "$(pay SO-0000301)" = "1:1:rejected:1001 2:1:accepted:120 3:2:rejected:1001/"
cp "$W/done/acme/orders.csv" "$W/incoming/acme/orders-copy.csv"
expect_rc 1 "the copy of the orders file, the receipt still refused" cg run --no-progress
check "the copy is a duplicate of the file done" \
    test "$(sql "SELECT outcome FROM input_files WHERE name = 'orders-copy.csv'")" = duplicate
port_stop
finish
