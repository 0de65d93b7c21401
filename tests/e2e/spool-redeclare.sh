#!/bin/sh
# spool-redeclare.sh - documents the port refused before storing them are declared again when
# their file is dropped again. Against `cebgate port` over loopback TLS: a broker signs with a
# certificate the port does not trust, so the port refuses the order's three messages (1001) and
# stores nothing; with the trusted key the same file is not a duplicate, its order goes out again
# (new guids, appType 1: the port has no earlier version) and is accepted, each document stored
# once; the same file once more is a duplicate, and a copy with other bytes finds the order
# unchanged: nothing is declared twice.
. "${CG_SRCDIR:-.}/tests/e2e/http-lib.sh"
port_conf "$T/port.conf" "$T/port.db"
port_start -d "$T" -r "$T/port.conf"
untrusted_signer || fail "make the untrusted certificate"
sender_conf
cat >>"$W/cebgate.conf" <<EOC
[seller.acme]
profile = own
EOC
ORDER=SO-0000301
mkdir -p "$W/incoming/acme"
$HELPER orders own "$T/orders.csv" 1 301 || fail "make orders"
cp "$T/orders.csv" "$W/incoming/acme/orders.csv"
states() { # each document of the order as TYPE:VERSION:APPTYPE:STATE
    sql "SELECT d.msg_type || ':' || d.version || ':' || d.app_type || ':' || d.state
         FROM documents d JOIN orders o ON o.id = d.order_id
         WHERE o.seller = 'acme' AND o.order_no = '$ORDER' ORDER BY d.msg_type" | tr '\n' ' '
}

# 1. The untrusted key: the port refuses each message with 1001 and stores nothing.
expect_rc 1 "the port refuses the messages signed with the untrusted key" cg run --no-progress
check "3 signed, 3 refused" grep -q "3 signed, 3 queued, 0 sent, 0 waiting to be sent, 3 refused" \
    "$T/out"
check "each message refused with the port's code 1001" \
    test "$(sql "SELECT count(*) FROM messages WHERE state = 'rejected' AND status LIKE '1001: %'")" = 3
check "the run names the code" grep -q "1001" "$T/err"
check "each document version 1, appType 1, rejected: $(states)" \
    test "$(states)" = "303:1:1:rejected 505:1:1:rejected 603:1:1:rejected "
cg status "acme/$ORDER" >"$T/st" 2>&1
check "status acme/$ORDER: three documents rejected, the code given" \
    test "$(grep -Ec "CEB(303|505|603) .*version 1  rejected" "$T/st")/$(grep -c "1001: " "$T/st")" = 3/3
check "the port received 3 messages, refused 3 with 1001, stored none" \
    test "$(pstat received)/$(pstat rejected)/$(pstat 'code 1001')/$(pstat accepted)/$(pstat documents)" = 3/3/3/0/0
cg status --rejected >"$T/rej" 2>&1
check "status --rejected lists the 3 documents" test "$(grep -c "acme/$ORDER" "$T/rej")" = 3
check "the file is done" test -f "$W/done/acme/orders.csv"

# 2. The trusted key, the same file again: not a duplicate; the three documents go out again.
sign_with signer
mv "$W/done/acme/orders.csv" "$W/incoming/acme/orders.csv"
expect_rc 0 "the same file with the trusted key" cg run --no-progress
check "the file is taken, not a duplicate" grep -q "summary: 1 file taken (1 done, 0 failed, 0 duplicate)" "$T/out"
check "its order is declared again" grep -q "0 new, 1 modified" "$T/out"
check "3 signed and sent, none refused" \
    grep -q "3 signed, 3 queued, 3 sent, 0 waiting to be sent, 0 refused" "$T/out"
run_until "documents WHERE state IN ('accepted', 'closed')" 3
# version 2 of each, an add again (the port had none); the inventory closes (800, 899)
check "each document version 2, appType 1, accepted (inventory closed): $(states)" \
    test "$(states)" = "303:2:1:accepted 505:2:1:accepted 603:2:1:closed "
cg status "acme/$ORDER" >"$T/st" 2>&1
check "status acme/$ORDER: the order accepted" grep -Eq "CEB303 .*accepted" "$T/st"
check "status acme/$ORDER: the waybill accepted" grep -Eq "CEB505 .*accepted" "$T/st"
check "status acme/$ORDER: the inventory closed" grep -Eq "CEB603 .*closed" "$T/st"
cg status --rejected >"$T/rej" 2>&1
check "status --rejected lists none of them" sh -c "! grep -q 'acme/$ORDER' '$T/rej'"
# received: 3 refused + 3 accepted; each document stored once, under the guid we hold
check "the port received 6, accepted 3, refused 3, holds 3 documents" \
    test "$(pstat received)/$(pstat accepted)/$(pstat rejected)/$(pstat documents)" = 6/3/3/3
"$CEBGATE" -c "$T/port.conf" port --documents | awk -F'\t' '{ print $1, $2 }' | sort \
    >"$T/port-docs"
sql "SELECT 'CEB' || msg_type, guid FROM documents" | tr '|' ' ' | sort >"$T/our-docs"
check "the port holds each document once, as the sender has it" cmp -s "$T/port-docs" "$T/our-docs"

# 3. The same file once more: a duplicate, nothing declared.
mv "$W/done/acme/orders.csv" "$W/incoming/acme/orders.csv"
expect_rc 0 "the same file a third time" cg run --no-progress
check "it is a duplicate" grep -q "summary: 1 file taken (0 done, 0 failed, 1 duplicate)" "$T/out"
check "nothing signed" grep -q "0 signed, 0 queued, 0 sent" "$T/out"
# 4. Other bytes, the same order: unchanged.
{ cat "$T/orders.csv"; echo; } >"$W/incoming/acme/orders-2.csv"
expect_rc 0 "a copy with an extra newline" cg run --no-progress
check "the order is unchanged" grep -q "1 unchanged" "$T/out"
check "nothing signed" grep -q "0 signed, 0 queued, 0 sent" "$T/out"
check "the port still received 6 and holds 3 documents" \
    test "$(pstat received)/$(pstat documents)" = 6/3
check "still version 2 of each" test "$(states)" = "303:2:1:accepted 505:2:1:accepted 603:2:1:closed "
port_stop
finish
