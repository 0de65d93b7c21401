# spool-lib.sh - set-up shared by the spool-*.sh tests: keys made here with openssl (a test CA,
# a default signer and one for seller "shop"), a working directory $W with three sellers
# (acme: cebgate CSV, shop: Shopify export plus shipments.csv, jl: JSON lines), and helpers.
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"
OPENSSL=${OPENSSL:-openssl}
HELPER="python3 $CG_SRCDIR/tests/e2e/spool-helper.py"
W=$T/w
mkdir -p "$W" "$T/keys"
q() { "$@" >/dev/null 2>&1; }
(
    cd "$T/keys" || exit 1
    q "$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
        -subj '/CN=spool test CA'
    for k in signer shop; do
        q "$OPENSSL" req -newkey rsa:2048 -nodes -keyout $k.key -out $k.csr -subj "/CN=$k"
        q "$OPENSSL" x509 -req -in $k.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -out $k.pem -days 2
    done
) || fail "make test keys"
cp "$CG_TESTDATA/mapping/catalog.csv" "$W/catalog.csv"
{ cat "$CEBGATE_DATADIR/profiles/shopify.ini"; printf '\n[fixed]\npod = USNY\n'; } \
    >"$W/shopify-pod.ini"
cat >"$W/cebgate.conf" <<EOC
[general]
workdir = .
[seller]
$(cat "$CG_TESTDATA/e2e/seller-codes.ini")
catalog = catalog.csv
[seller.acme]
profile = own
[seller.shop]
profile = $W/shopify-pod.ini
shipments = shipments.csv
key_file = $T/keys/shop.key
cert_file = $T/keys/shop.pem
key_name = 0002
[seller.jl]
profile = jsonl
[declare]
cop_code = 3301960001
cop_name = Acme Export
dxp_id = DXPENT0000000001
key_file = $T/keys/signer.key
cert_file = $T/keys/signer.pem
sign_alg = rsa-sha256
EOC
cg() { "$CEBGATE" -c "$W/cebgate.conf" "$@"; }
count() { find "$1" -maxdepth 1 -type f -name "${2:-*}" | wc -l; }
sql() { sqlite3 "$W/cebgate.db" "$@"; }
# shown_as KEY SELLER NAME MSG KIND HEAD: the orders row KEY of a bill or monthly summary, whose
# document MSG (CEB607, CEB701) was refused at version 1, is named NAME (`bill MB-2`) wherever
# it is shown: `status KEY` headed HEAD, `status SELLER/NAME` the same, `status --rejected`, and
# the report's rejected list, text and JSON (order column NAME, last column kind KIND).
shown_as() {
    expect_rc 0 "status $1" cg status "$1"
    check "  heads its timeline as a $5" test "$(head -1 "$T/out")" = "$6"
    expect_rc 0 "status '$2/$3', as the lists print it" cg status "$2/$3"
    check "  the same $5" test "$(head -1 "$T/out")" = "$6"
    expect_rc 0 "status --rejected" cg status --rejected
    check "  lists its $4 under the $5's name" test "$(grep -F "  $4 v1  " "$T/out" | awk -F'  ' '{ print $2 "|" $3 }')" = "$2/$3|$4 v1"
    expect_rc 0 "report --format json" cg report --format json
    check "  its rejected row names the $5, kind $5; the columns end with kind" python3 -c '
import json, sys
s = [x for x in json.load(open(sys.argv[1]))["sections"] if x["id"] == "rejected"][0]
r = [r for r in s["rows"] if r[2] == sys.argv[4]]
sys.exit(not (s["columns"] == "seller order message at reason kind".split() and len(r) == 1
              and r[0][:3] == sys.argv[2:5] and r[0][5] == sys.argv[5]))' "$T/out" "$2" "$3" "$4" "$5"
    expect_rc 0 "report" cg report
    check "  the text lists it as $3, kind $5" grep -Eq "^  $2 +$3 +$4 +[0-9:TZ.-]+ +.* +$5\$" "$T/out"
}
