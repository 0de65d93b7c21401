# shop-lib.sh - set-up shared by the shop-*.sh tests: the keys and working directory of
# spool-lib.sh, and shop_conf FILE TEXT, which writes a configuration with the test seller's
# codes in [seller], the signing key in [declare] (rsa-sha1, as the key calls for), and TEXT
# (seller keys and sections) between.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

shop_conf() {
    cat >"$1" <<EOC
[general]
workdir = .
[seller]
$(cat "$CG_TESTDATA/e2e/seller-codes.ini")
$2
[declare]
cop_code = 3301960001
cop_name = Acme Export
dxp_id = DXPENT0000000001
key_file = $T/keys/signer.key
cert_file = $T/keys/signer.pem
EOC
}
