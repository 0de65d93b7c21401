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
