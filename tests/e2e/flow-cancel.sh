#!/bin/sh
# flow-cancel.sh - `cebgate cancel` through the folder transport, customs played by
# flow-helper.py writing receipts into inbox/: the allowed cancellation of a released inventory
# (CEB605 with its invtNo and reason, CEB606 399 makes the inventory cancelled), each refusal
# with the rule it breaks (unknown order, no inventory, not released, closed, refused by
# customs, a cancellation pending, already cancelled, --confirm of an order no shop
# cancelled), and the shop-file cancellation of a declared order: listed for --confirm with
# the default `cancel = confirm`, declared by the next run with `cancel = auto`, and kept
# listed when the inventory is not released yet. The rules are those of docs/flow.md
# ("Cancellation").
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"
FLOW="python3 $CG_SRCDIR/tests/e2e/flow-helper.py"
cleanup_hooks=""
cat >>"$W/cebgate.conf" <<EOC
[seller.auto]
profile = own
cancel = auto
EOC
mkdir -p "$W/incoming/acme" "$W/incoming/auto"
# acme: SO-0000001..6 with shipment data, SO-0000009 without (no inventory); auto: 7 and 8.
$HELPER orders own "$T/acme.csv" 6 || fail "make orders"
$HELPER orders own "$T/nine.csv" 1 9 || fail "make orders"
sed -n '2,$p' "$T/nine.csv" | awk -F, 'BEGIN { OFS = "," } { $10 = ""; $11 = ""; $12 = ""; $13 = ""; print }' >>"$T/acme.csv"
$HELPER orders own "$T/auto.csv" 2 7 || fail "make orders"
cp "$T/acme.csv" "$W/incoming/acme/day1.csv"
cp "$T/auto.csv" "$W/incoming/auto/day1.csv"
expect_rc 0 "the first run declares the orders" cg run --no-progress
check "eight inventories, nine orders" test "$(sql "SELECT count(*) FROM documents WHERE msg_type = 603")/$(sql "SELECT count(*) FROM orders")" = 8/9

inv() { grep -l "<ceb:orderNo>$1</ceb:orderNo>" "$W"/outbox/CEB603Message_*.xml | head -1; }
cx() { grep -l "<ceb:copNo>$(sql "SELECT d.business_key FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = '$1' AND d.msg_type = 603")</ceb:copNo>" "$W"/outbox/CEB605Message_*.xml | head -1; }
state() { sql "SELECT d.state FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = '$1' AND d.msg_type = ${2:-603}"; }
# customs: released 1, 5, 6, 7; accepted only 2 and 8; closed 3; refused 4
for o in 1 5 6 7; do $FLOW receipt "$W/inbox" "$(inv SO-000000$o)" 2 120 800; done
for o in 2 8; do $FLOW receipt "$W/inbox" "$(inv SO-000000$o)" 2 120; done
$FLOW receipt "$W/inbox" "$(inv SO-0000003)" 120 800 899
$FLOW receipt "$W/inbox" "$(inv SO-0000004)" 2 100
expect_rc 0 "the receipts are applied" cg run --no-progress
check "states as customs said" test "$(for o in 1 2 3 4; do state SO-000000$o; done | tr '\n' ' ')" = "released accepted closed rejected "

refused() { # description rule-text cancel-arguments...
    d=$1; r=$2; shift 2
    expect_rc 1 "refused: $d" cg cancel "$@"
    check "  the rule is named: $r" grep -Fq "$r" "$T/err"
}
refused "an unknown order" "order NOPE-1: not declared" NOPE-1 --reason x
refused "no inventory declared" "no export inventory (CEB603) was declared" SO-0000009 --reason x
refused "inventory not released" "the inventory is accepted, not released: customs cancels only a released inventory" SO-0000002 --reason x
refused "the goods left (closed)" "the goods have left the country (inventory 22442026E" SO-0000003 --reason x
check "  and says what to do instead" grep -Fq "declare a return (cebgate return) instead" "$T/err"
refused "the inventory was refused" "customs refused the inventory (rejected): there is no inventory to cancel" SO-0000004 --reason x
refused "--confirm of an order no shop cancelled" "order SO-0000001: not listed as cancelled by its shop" --confirm SO-0000001
expect_rc 2 "a reason is required" cg cancel SO-0000001
check "nothing was declared by the refusals" test "$(sql "SELECT count(*) FROM documents WHERE msg_type = 605")" = 0

expect_rc 0 "cancel a released inventory" cg cancel SO-0000001 --reason "buyer withdrew the order"
check "it says it was handed over" grep -Fxq "order SO-0000001: cancellation (CEB605) declared: sent" "$T/out"
f=$(cx SO-0000001)
check "the CEB605 is in outbox/" test -n "$f"
check "it carries the inventory's invtNo from the release" \
    grep -q "<ceb:invtNo>$(sql "SELECT d.invt_no FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000001' AND d.msg_type = 603")</ceb:invtNo>" "$f"
check "the invtNo is customs' one" grep -q "<ceb:invtNo>22442026E[0-9]\{9\}</ceb:invtNo>" "$f"
check "and the reason" grep -q "<ceb:reason>buyer withdrew the order</ceb:reason>" "$f"
check "it is signed" grep -q "<ds:SignatureValue>" "$f"
check "it is valid and its signature verifies" cg verify --trust "$T/keys/ca.pem" "$f"
refused "a cancellation is pending" "a cancellation (CEB605 version 1) was already declared and is sent" SO-0000001 --reason again

$FLOW receipt "$W/inbox" "$f" 2 399
expect_rc 0 "CEB606 399 is applied" cg run --no-progress
check "the cancellation is concluded" test "$(state SO-0000001 605)" = concluded
check "the inventory is cancelled" test "$(state SO-0000001)" = cancelled
expect_rc 0 "status of the cancelled order" cg status SO-0000001
check "status shows the inventory cancelled" grep -q "^  CEB603 C[0-9a-f]*  version 1  cancelled (399)" "$T/out"
check "status shows the cancellation" grep -q "^  CEB605 C[0-9a-f]*  version 1  concluded (399)" "$T/out"
expect_rc 0 "status --pending" cg status --pending
check "its inventory and cancellation are not pending" sh -c "! grep -Eq 'SO-0000001  CEB60[35]' '$T/out'"
refused "already cancelled" "order SO-0000001: the inventory 22442026E" SO-0000001 --reason again
check "  (already cancelled)" grep -q "is already cancelled" "$T/err"

# A refused cancellation may be declared again (a modify: customs stored the first one and
# gave it a preNo): SO-0000006's first one is refused by customs.
expect_rc 0 "cancel SO-0000006" cg cancel SO-0000006 --reason "out of stock"
$FLOW receipt "$W/inbox" "$(cx SO-0000006)" 2 100
expect_rc 0 "the refusal is applied" cg run --no-progress
check "its cancellation is rejected" test "$(state SO-0000006 605)" = rejected
expect_rc 0 "cancel SO-0000006 again" cg cancel SO-0000006 --reason "out of stock, second try"
check "version 2, a modify of the refused one" test "$(sql "SELECT version || ' ' || app_type || ' ' || state FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'SO-0000006' AND d.msg_type = 605")" = "2 2 sent"

# The shops cancel 5, 2 (acme: cancel = confirm) and 7, 8 (auto: cancel = auto).
awk -F, 'BEGIN { OFS = "," } NR == 1 { print $0, "status"; next }
    { print $0, ($1 == "SO-0000005" || $1 == "SO-0000002") ? "cancelled" : "" }' "$T/acme.csv" >"$W/incoming/acme/day2.csv"
awk -F, 'BEGIN { OFS = "," } NR == 1 { print $0, "status"; next } { print $0, "cancelled" }' \
    "$T/auto.csv" >"$W/incoming/auto/day2.csv"
expect_rc 0 "the next day's files" cg run --no-progress
cp "$T/out" "$T/day2"
check "auto: SO-0000007's cancellation is declared by the run" \
    grep -Fq "order SO-0000007: cancellation declared (CEB605): order cancelled by the shop" "$T/day2"
check "auto: SO-0000008 is not released: the run says why and declares nothing" \
    grep -Fq "cancellation not declared: order SO-0000008: the inventory is accepted, not released" "$T/day2"
check "auto: the CEB605 of SO-0000007 went out" test "$(state SO-0000007 605)" = sent
check "auto: no CEB605 for SO-0000008" test -z "$(state SO-0000008 605)"
check "confirm: nothing declared for SO-0000005" test -z "$(state SO-0000005 605)"
check "still listed: 2, 5 and 8" test "$(sql "SELECT group_concat(o.order_no, ' ') FROM cancel_needed c JOIN orders o ON o.id = c.order_id WHERE c.done_at IS NULL ORDER BY o.order_no")" = "SO-0000002 SO-0000005 SO-0000008"
refused "--confirm of a shop-cancelled order that is not released" "the inventory is accepted, not released" --confirm SO-0000002
expect_rc 0 "--confirm declares SO-0000005's cancellation" cg cancel --confirm acme/SO-0000005
check "with the shop's status and reason" grep -q "<ceb:reason>order cancelled by the shop (status 'cancelled')</ceb:reason>" "$(cx SO-0000005)"
check "no longer listed" test "$(sql "SELECT count(*) FROM cancel_needed c JOIN orders o ON o.id = c.order_id WHERE c.done_at IS NULL AND o.order_no IN ('SO-0000005', 'SO-0000007')")" = 0
expect_rc 0 "status --cancel" cg status --cancel
check "status --cancel counts the two still needed" grep -Fxq "2 orders need a cancellation (CEB605)" "$T/out"
expect_rc 0 "status SO-0000005" cg status SO-0000005
check "its timeline says the cancellation was declared" grep -q "after its documents were sent: cancellation declared" "$T/out"

# Day 3: the shops' next exports still show the orders cancelled (a line added, so the files are
# read again), and acme's shows SO-0000001 cancelled too, whose cancellation the operator
# declared before the shop did (concluded, 399). An order whose cancellation is declared
# (SO-0000001, SO-0000005, SO-0000007) is not said to need one again, nor listed; SO-0000002
# and SO-0000008, still not released, are.
awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next }
    { $NF = ($1 == "SO-0000001") ? "cancelled" : $NF; print }' "$W/done/acme/day2.csv" >"$W/incoming/acme/day3.csv"
cp "$W/done/auto/day2.csv" "$W/incoming/auto/day3.csv"
$HELPER orders own "$T/ten.csv" 1 10 || fail "make orders"
sed -n '2,$p' "$T/ten.csv" | sed 's/$/,/' >>"$W/incoming/auto/day3.csv"
expect_rc 0 "the third day's files" cg run --no-progress
cp "$T/out" "$T/day3"
for o in SO-0000001 SO-0000005 SO-0000007; do
    check "$o: its cancellation is declared, no need is printed" \
        sh -c "! grep -q 'order $o: cancelled .* it needs a cancellation' '$T/day3'"
done
for o in SO-0000002 SO-0000008; do
    check "$o: still needs a cancellation" grep -q "order $o: cancelled .* it needs a cancellation" "$T/day3"
done
check "the summary counts the two" \
    grep -Fq "  needing a cancellation: 2 orders cancelled or skipped after their documents were sent (cebgate status --cancel)" "$T/day3"
expect_rc 0 "status --cancel on day 3" cg status --cancel
check "status --cancel still counts two" grep -Fxq "2 orders need a cancellation (CEB605)" "$T/out"
finish
