#!/bin/sh
# demo.sh - runs examples/demo.sh (what `./quickstart demo` shows) and checks what it says:
# the port started with TLS, the example orders went through `cebgate run` over HTTPS (signed
# sm2-sm3 with the demo's SM2 key, as `cebgate verify` of a sent message shows), the
# expected orders were accepted and rejected with their reasons, the customs rule refused the
# perfume inventory, receipts came back until no inventory was waiting, a bank statement
# collected the released order's money (figures from the statement and the order file), and
# the port and the temporary directory are gone afterwards. A kept directory starts again from
# the commands the demo prints. Then two failures of the machinery
# (openssl failing, the port not starting) must end the demo with exit 1 and leave nothing
# behind.
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"

DEMO=$CG_SRCDIR/examples/demo.sh
# the demo makes its directory under $TMPDIR: inside $T, so nothing can be left outside it
export TMPDIR="$T"

expect_rc 0 "the demo runs and exits 0" sh "$DEMO"
cp "$T/out" "$T/demo.out"
cp "$T/err" "$T/demo.err"
has() { grep -Eq -- "$1" "$T/demo.out"; }
# section NUMBER: the lines under the heading "== NUMBER." up to the next heading
section() { awk -v h="== $1. " 'index($0, h) == 1 { on = 1; next } /^== / { on = 0 } on' "$T/demo.out"; }

check "the port listens with TLS on loopback" has '^listening on https://127\.0\.0\.1:[0-9]+ '
check "the four example files are dropped" \
    sh -c "[ \$(grep -Ec '^(harbor|kite|lotus) ' '$T/demo.out') -eq 4 ]"
check "one line per file" has '^done harbor/orders_export_2026-09-14\.csv: 3 orders taken, 0 rejected'
check "the Amazon file: 2 taken, 1 rejected" has '^done kite/all-orders-2026-09-14\.txt: 2 orders taken, 1 rejected'
check "files: 3 done, 1 failed" has '^summary: 4 files taken \(3 done, 1 failed, 0 duplicate\)'
check "orders: 8 accepted, 5 rejected" has '^  orders: 8 accepted \(8 new, 0 modified\), 0 unchanged, 5 rejected, 0 waiting, 0 skipped, 0 cancelled$'
# Each rejection once, with its value, as it happens; the summary counts it under its kind.
once() { [ "$(grep -Fc -- "$1" "$T/demo.out")" -eq 1 ]; }
check "unknown SKU rejected, printed once" once "field sku: 'KS-DRAGON-XL' is not in the product catalogue"
check "bad total rejected, printed once" once 'field total: given total 95.70 differs from qty x price = 89.70'
check "over-long field rejected, printed once" once "field logistics_no: 'SF1402209140041 / SF1402209140042' is 33 characters"
check "summary: the unknown SKU under its kind" has "1 x rejected: field sku: '…' is not in the product catalogue"
check "summary: the bad total under its kind" has '1 x rejected: field total: given total N differs from qty x price = N'
check "summary: both encoding errors under one kind, UTF-8 named as such" \
    has '2 x rejected: field item_name: byte 0xN at position N is not valid text in the file.s encoding \(UTF-8 or GB18030; a sheet Excel saved as "CSV \(Comma delimited\)" is in the'
check "file in neither UTF-8 nor GB18030 failed" \
    has '^failed lotus/orders-2026-09-15-excel\.csv: all 2 orders rejected'
check "with the reason" has 'field item_name: byte 0x[0-9A-F]{2} at position 3 is not valid text'
check "24 messages signed and sent over HTTPS" \
    has '^  messages: 24 signed, 24 queued, 24 sent, 0 waiting to be sent, 0 refused$'
check "no per-receipt-file lines in the demo output" sh -c "! grep -q '^receipts http-receipt' '$T/demo.out'"
check "waiting ended with every receipt published" has 'the port has no receipt left to publish$'

section 6 >"$T/pending"
check "pending: the count line" grep -Eq '^[0-9]+ documents? pending$' "$T/pending"
check "pending: no inventory is waiting" sh -c "! grep -q CEB603 '$T/pending'"
check "pending: nothing left waiting" grep -q '^0 documents pending$' "$T/pending"

section 7 >"$T/released"
check "released order: the inventory is closed" \
    grep -Eq '^  CEB603 [^ ]+  version 1  closed \(899\)$' "$T/released"
check "released order: the 800 receipt is in its timeline" grep -q 'receipt CEB604 status 800' "$T/released"
check "released order: preNo and invtNo from the port" \
    grep -Eq '^    preNo B[0-9]{17}  invtNo 2901[0-9]{4}E[0-9]{9}$' "$T/released"
section 8 >"$T/refused"
check "refused order: the inventory is rejected with status 100" \
    grep -Eq '^  CEB603 [^ ]+  version 1  rejected \(100\)$' "$T/refused"
check "refused order: the customs reason is shown" grep -q 'dangerous goods certificate' "$T/refused"

section 9 >"$T/stats"
check "port: 24 received and accepted" \
    sh -c "grep -Eq '^received +24$' '$T/stats' && grep -Eq '^accepted +24$' '$T/stats'"
check "port: every document finished its scenario" grep -Eq '^documents final +24$' "$T/stats"
check "port: no receipt pending" grep -Eq '^receipts pending +0$' "$T/stats"
check "a sent inventory carries an sm2-sm3 signature by the demo key" \
    has '^  archive/CEB603Message_[^:]*: OK: sm2-sm3 signature by .*CN=demo signing key 0001'
check "the demo ends with the morning report's path" has "^report: $T/cebgate-demo-report.html\$"
check "the report is an HTML page" grep -q '^<!DOCTYPE html>' "$T/cebgate-demo-report.html"
section 10 >"$T/money"
check "money: the statement's three entries are recorded" grep -qx \
    'statements/lotus-camt053-2026-10-31.xml: camt.053, 3 entries: 3 receipts recorded, 0 known from another file, 1 allocation made (and 1 fee netted)' \
    "$T/money"
check "money: the released order is collected" grep -qx 'order lotus/LB-240914-001  COLLECTED' "$T/money"
check "money: USD 95.00 declared = 80.00 received + 15.00 charges" grep -qx \
    'collected USD 95.00 = received 80.00 + fees netted 15.00 - refunds to the buyer 0.00' \
    "$T/money"
check "money: nothing open" grep -qx 'open USD 0.00 (tolerance 1.00)' "$T/money"
section 11 >"$T/s11"
check "the report's needs list names the rejected orders" grep -q 'cebgate status --rejected' "$T/s11"
check "the statement's USD refund for LB-240914-002, which collected nothing, waits for no rates" \
    sh -c "! grep -q 'receipts in another currency' '$T/s11'"
check "the demo says it finished" has '^== Demo finished$'
check "nothing on stderr" test ! -s "$T/demo.err"

dir=$(sed -n 's/^working directory: //p' "$T/demo.out")
pid=$(sed -n 's/^listening on .* (process \([0-9]*\))$/\1/p' "$T/demo.out")
check "the working directory is removed" test -n "$dir" -a ! -e "$dir"
check "the port process is gone" sh -c "[ -n '$pid' ] && ! kill -0 '$pid' 2>/dev/null"

# CEBGATE_DEMO_KEEP=1: the kept directory is a setup to go on with. The port starts again with
# the command the demo prints, on the TCP port the broker's configuration sends to, and a run
# declares a new file to it.
mkdir "$T/keep"
TMPDIR="$T/keep" CEBGATE_DEMO_KEEP=1 sh "$DEMO" >"$T/kout" 2>"$T/kerr"
check "a kept demo exits 0" [ $? -eq 0 ]
kd=$(sed -n 's/^demo: kept //p' "$T/kerr")
check "it says where it kept the directory" test -n "$kd" -a -d "$kd/broker/incoming"
check "and how to start its port again" \
    grep -Fxq "  start its port again:  $CEBGATE -c $kd/port/port.conf port" "$T/kerr"
check "and how to declare from it" \
    grep -Fxq "  declare them:          $CEBGATE -c $kd/broker/cebgate.conf run" "$T/kerr"
kpid=$(sed -n 's/^listening on .* (process \([0-9]*\))$/\1/p' "$T/kout")
check "the demo's port is gone" sh -c "[ -n '$kpid' ] && ! kill -0 '$kpid' 2>/dev/null"
port_start -d "$T/keep" -r "$kd/port/port.conf"
check "the port starts again on the TCP port the broker sends to" \
    grep -Fxq "url = https://127.0.0.1:$P/messages" "$kd/broker/cebgate.conf"
# The lotus file again with new order and tracking numbers: 3 orders declared, 2 rejected.
sed 's/LB-240914/LB-241201/; s/SF140220914/SF140221201/g' \
    "$CG_SRCDIR/examples/orders/lotus/orders-2026-09-14.csv" >"$kd/broker/incoming/lotus/new.csv"
(cd / && "$CEBGATE" -c "$kd/broker/cebgate.conf" run --no-progress >"$T/krun" 2>&1)
check "a run from anywhere declares the new file to it (exit 1: 2 orders are bad on purpose)" \
    [ $? -eq 1 ]
check "3 orders taken, 2 rejected" grep -q '^done lotus/new.csv: 3 orders taken, 2 rejected' "$T/krun"
check "its 9 messages signed and sent" \
    grep -q '^  messages: 9 signed, 9 queued, 9 sent, 0 waiting to be sent, 0 refused$' "$T/krun"
port_stop

# The machinery failing: exit 1, a clear message, nothing left behind.
demo_dirs() { find "$T" -maxdepth 1 -name 'cebgate-demo.*' | wc -l; }
before=$(demo_dirs)
expect_rc 1 "openssl failing ends the demo with exit 1" env OPENSSL=false sh "$DEMO"
check "and says why" grep -q 'demo: FAILED: openssl could not make the certificates' "$T/err"
cat >"$T/noport" <<EOF
#!/bin/sh
# cebgate, except that the port fails at once
for a in "\$@"; do [ "\$a" = port ] && { echo "cebgate: cannot bind" >&2; exit 1; }; done
exec "$CEBGATE" "\$@"
EOF
chmod +x "$T/noport"
expect_rc 1 "a port that does not start ends the demo with exit 1" env CEBGATE="$T/noport" sh "$DEMO"
check "and says why, with the port's own words" \
    sh -c "grep -q 'demo: FAILED: cebgate port did not start' '$T/err' && grep -q 'cannot bind' '$T/err'"
check "failed demos leave no directory behind" test "$(demo_dirs)" -eq "$before"
finish
