#!/bin/sh
# cli-basics.sh - help, version, init, config, unknown commands, bad configuration lines.
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"

expect_rc 0 "help lists commands" "$CEBGATE" help
check "help names init" grep -q '^  init ' "$T/out"
expect_rc 0 "help init" "$CEBGATE" help init
check "help init shows usage" grep -q 'usage: cebgate .*init DIR' "$T/out"
expect_rc 0 "init --help" "$CEBGATE" init --help
expect_rc 0 "version" "$CEBGATE" version
check "version names the libraries" grep -q 'libxml2 .*xmlsec .*OpenSSL .*libcurl .*SQLite' "$T/out"
expect_rc 2 "unknown command" "$CEBGATE" frobnicate
check "unknown command says so" grep -q "unknown command 'frobnicate'" "$T/err"
expect_rc 0 "unique prefix runs the command" "$CEBGATE" vers
expect_rc 2 "init without DIR is a usage error" "$CEBGATE" init

expect_rc 0 "init creates a working directory" "$CEBGATE" init "$T/w"
for d in incoming active done failed outbox inbox archive; do
    check "init made $d/" test -d "$T/w/$d"
done
check "init wrote cebgate.conf" test -f "$T/w/cebgate.conf"
check "init made the database" test -f "$T/w/cebgate.db"
# Each section once (modules add keys to [seller] separately), with every key it had
check "init's file has each section once" \
    [ -z "$(grep '^\[' "$T/w/cebgate.conf" | sort | uniq -d)" ]
printf '[seller.acme]\nebc_code = 3301960001\ncatalog = %s\n' "$CG_TESTDATA/mapping/catalog.csv" \
    >>"$T/w/cebgate.conf"
expect_rc 0 "config of it, with a seller's section" "$CEBGATE" -c "$T/w/cebgate.conf" config
check "config prints each section once" [ -z "$(grep '^\[' "$T/out" | sort | uniq -d)" ]
check "  [seller.acme] among them" grep -qx '\[seller.acme\]' "$T/out"
check "init's [seller] holds the cancel key of spool/ with the codes of mapping/" \
    [ "$(sed -n '/^\[seller\]$/,/^\[/p' "$T/w/cebgate.conf" | grep -c '^#\(ebp_code\|cancel\) = ')" = 2 ]
check "database is at a schema version" \
    sh -c "[ \"\$(sqlite3 '$T/w/cebgate.db' 'PRAGMA user_version')\" -ge 1 ]"
# An option of report given without its value is named as such, not as an unknown option.
expect_rc 2 "report --html without FILE is a usage error" "$CEBGATE" -c "$T/w/cebgate.conf" report --html
check "says the file is missing" grep -q '^cebgate: --html: FILE expected$' "$T/err"
expect_rc 2 "report --seller without NAME is a usage error" \
    "$CEBGATE" -c "$T/w/cebgate.conf" report --format json --seller
check "says the seller is missing" grep -q '^cebgate: --seller: NAME expected$' "$T/err"
echo "# kept" >>"$T/w/cebgate.conf"
expect_rc 0 "init again is harmless" "$CEBGATE" init "$T/w"
check "init keeps an existing configuration" grep -q '^# kept' "$T/w/cebgate.conf"

# A data directory without the code tables is an installation or configuration error: exit 2
# with the cure, never 75 ("run again later": a scheduler would retry forever).
expect_rc 2 "run with a wrong data directory" \
    env CEBGATE_DATADIR="$T/no-data" "$CEBGATE" --config "$T/w/cebgate.conf" run --no-progress
check "run names the setting that cures it" grep -q 'no-data/currency.csv: .*set \[general\] data_dir' "$T/err"
printf 'order_no,sku,qty,price\nA-1,X,1,1\n' >"$T/one.csv"
expect_rc 2 "map with a wrong data directory" \
    env CEBGATE_DATADIR="$T/no-data" "$CEBGATE" --config "$T/w/cebgate.conf" map "$T/one.csv"
check "map names the setting that cures it" grep -q 'no-data/currency.csv: .*set \[general\] data_dir' "$T/err"

expect_rc 0 "config with the new file" "$CEBGATE" --config "$T/w/cebgate.conf" config
check "config prints sections" grep -q '^\[declare\]' "$T/out"
check "config prints defaults" grep -q '^schema_version = 202205' "$T/out"

# config checks each seller's section as run reads it: every bad one named, exit 2.
cp "$T/w/cebgate.conf" "$T/sellers.conf"
printf '[seller.jade]\ncatalog = %s\npod_by_country = DE=FRA; FR=CDG\n[seller.maple]\ncatalog = no-such.csv\n' \
    "$CG_TESTDATA/mapping/catalog.csv" >>"$T/sellers.conf"
expect_rc 2 "config with two sellers' sections that cannot be used" "$CEBGATE" -c "$T/sellers.conf" config
check "  the configuration is still printed" grep -qx '\[seller.maple\]' "$T/out"
check "  the bad pod_by_country is named with its seller" grep -Fq \
    "cebgate: seller jade: [seller.jade] pod_by_country: 'DE=FRA; FR=CDG' is not COUNTRY=PORT" "$T/err"
check "  the missing catalogue is named with its seller" grep -q \
    "^cebgate: seller maple: .*no-such.csv" "$T/err"
check "  the good seller is not" sh -c "! grep -q 'seller acme' '$T/err'"
printf '[declare]\nremote_token = s3cret-value\n[transport]\nparallel = 3\n' >"$T/good.conf"
expect_rc 0 "config shows set values" "$CEBGATE" -c "$T/good.conf" config
check "set value shown" grep -q '^parallel = 3' "$T/out"
check "secret masked" grep -q '^remote_token = \*\*\*\*\*\*\*\*' "$T/out"
check "secret never printed" sh -c "! grep -q s3cret '$T/out'"

printf '[transport]\n\nparallel = lots\n' >"$T/bad.conf"
expect_rc 2 "bad value is a configuration error" "$CEBGATE" -c "$T/bad.conf" config
check "bad value reports file:line: key: reason" \
    grep -qF "$T/bad.conf:3: parallel: 'lots' is not a whole number from 1 to 64" "$T/err"
printf '[general]\nlogg_level = info\n' >"$T/bad2.conf"
expect_rc 2 "unknown key is a configuration error" "$CEBGATE" -c "$T/bad2.conf" config
check "unknown key reported with line" grep -qF "$T/bad2.conf:2: logg_level: unknown key" "$T/err"
expect_rc 2 "CEBGATE_CONF is used" env CEBGATE_CONF="$T/bad2.conf" "$CEBGATE" config

finish
