# settle-lib.sh - set-up shared by the settle-*.sh tests: a test CA and signing key made with
# openssl, a working directory $W with sellers acme (cebgate CSV) and b2b (payment terms of 120
# days), and helpers to declare orders through `cebgate run` and have the inventories released
# on a given day by receipts in the official format.
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"
OPENSSL=${OPENSSL:-openssl}
HELPER="python3 $CG_SRCDIR/tests/e2e/spool-helper.py"
SHELPER="python3 $CG_SRCDIR/tests/e2e/settle-helper.py"
W=$T/w
mkdir -p "$W/incoming/acme" "$W/incoming/b2b" "$T/keys"
(
    cd "$T/keys" || exit 1
    "$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout signer.key -out signer.pem -days 2 \
        -subj '/CN=settle test signer' -extensions v3_req >/dev/null 2>&1
) || fail "make test key"
cp "$CG_TESTDATA/mapping/catalog.csv" "$W/catalog.csv"
cat >"$W/cebgate.conf" <<EOC
[general]
workdir = .
[seller]
$(cat "$CG_TESTDATA/e2e/seller-codes.ini")
catalog = catalog.csv
profile = own
[seller.acme]
profile = own
[seller.b2b]
profile = own
[settle]
tolerance = 1.00
[settle.b2b]
terms_days = 120
[declare]
cop_code = 3301960001
cop_name = Acme Export
dxp_id = DXPENT0000000001
key_file = $T/keys/signer.key
cert_file = $T/keys/signer.pem
EOC
cg() { "$CEBGATE" -c "$W/cebgate.conf" "$@"; }
sql() { sqlite3 "$W/cebgate.db" "$@"; }
# settle/'s steps 16, 15 and 14 undone, for a database put back to an older step: no payout's
# arrival, no balance per currency, and the bound of a settlement as step 1 made it
SETTLE_BEFORE_14="DROP TABLE fx_transfer_undone; DROP TABLE fx_transfer; DROP TRIGGER fx_holding_receipt_i; DROP TRIGGER fx_holding_receipt_u;
DROP TRIGGER fx_holding_receipt_d; DROP TRIGGER fx_holding_settlement_i;
DROP TRIGGER fx_holding_settlement_u; DROP TRIGGER fx_holding_settlement_d; DROP TABLE fx_holding;
DROP TRIGGER fx_settlement_bound;
CREATE TRIGGER fx_settlement_bound BEFORE INSERT ON fx_settlement BEGIN
  SELECT RAISE(ABORT, 'settlement exceeds the holding')
   WHERE NEW.amount > (SELECT coalesce(sum(CASE direction WHEN 'in' THEN net ELSE -net END), 0)
     FROM fx_receipt WHERE currency = NEW.currency)
    - (SELECT coalesce(sum(amount), 0) FROM fx_settlement WHERE currency = NEW.currency);
END;"
# usd_orders FILE NO=PRICE...: a cebgate order CSV of one T-shirt in USD an order, no freight, the
# n-th order's waybill SF00000000090n
usd_orders() {
    f=$1 n=0
    shift
    {
        echo order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight
        for o in "$@"; do
            n=$((n + 1))
            echo "${o%%=*},USD,US,USNY,0.00,TS-001,T-shirt,1,${o#*=},3120980105,SF Express,SF00000000090$n,1"
        done
    } >"$f"
}
# release DAY ORDER-NO...: receipts 120 and 800 dated DAY for those orders' inventories
release() {
    day=$1; shift
    rm -rf "$T/rel" && mkdir "$T/rel"
    for o in "$@"; do
        grep -l "<ceb:orderNo>$o</ceb:orderNo>" "$W"/outbox/CEB603Message_*.xml |
            xargs -I{} cp {} "$T/rel/"
    done
    CG_RETURN_DAY=$(echo "$day" | tr -d -) $HELPER receipts "$T/rel" "$W/inbox" 120 800 >/dev/null
}
# csv_cell FILE ROW-MATCH COLUMN: the cell of the first CSV row whose first column is ROW-MATCH
csv_cell() {
    python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])):
    if list(r.values())[0] == sys.argv[2]:
        print(r[sys.argv[3]]); break' "$@"
}
# db_lock: another process holds the database in an exclusive transaction (polled until it
# does) until db_unlock
db_lock() {
    python3 - "$W/cebgate.db" "$T/locked" <<'EOP' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
while os.path.exists(sys.argv[2]):
    time.sleep(0.05)
c.execute("ROLLBACK")
EOP
    db_locker=$!
    n=0
    while [ ! -f "$T/locked" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
}
db_unlock() { rm -f "$T/locked"; wait "$db_locker"; }
# charges_setup: no deadlines at run (run_tick = no); acme's USD orders C1 (100.00) and C2
# (40.00) declared and released on 2025-07-01 (the tests of the bank's charges)
charges_setup() {
    sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no/' "$W/cebgate.conf"
    H=order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight
    {
        echo "$H"
        echo "C1,USD,US,USNY,0.00,TS-001,T-shirt,1,100.00,3120980105,SF Express,SF000000000601,1"
        echo "C2,USD,US,USNY,0.00,TS-001,T-shirt,1,40.00,3120980105,SF Express,SF000000000602,1"
    } >"$W/incoming/acme/orders.csv"
    expect_rc 0 "orders declared" cg run
    release 2025-07-01 C1 C2
    expect_rc 0 "receipts release the inventories" cg run
}
# rec MONTH COLUMN...: those cells of the USD row of that month of $T/rec.csv (report fx
# reconcile), separated by spaces
rec() {
    python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["currency"] == "USD" and r["month"] == sys.argv[2]:
        print(" ".join(r[k] for k in sys.argv[3:])); break' "$T/rec.csv" "$@"
}
# charges_part_is DESCRIPTION COUNT AMOUNT: $T/un.csv (report fx unmatched) ends with the bank's
# charges apart, COUNT of them in USD for AMOUNT
charges_part_is() {
    printf '\n"section","currency","receipts","amount"\n"bank_charges","USD","%s","%s"\n' "$2" "$3" \
        >"$T/want"
    check "$1" sh -c "tail -n 3 '$T/un.csv' | cmp -s - '$T/want'"
}
