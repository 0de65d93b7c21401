#!/bin/sh
# port-start.sh - `cebgate port` refuses, at start, configurations that could never work, with
# exit 2 and the section, key, file and reason: a sender's sign_cert that is a CA, is not for
# signatures, does not verify against [port] trust, has expired or is not valid yet; a TLS
# certificate out of its validity period or tls_key that is not its key; a token file whose
# first line is empty; missing files and folders (token, certificates, the database's folder,
# --pid-file and --port-file); --stats and --documents on a database that does not exist
# (nothing created). Warns without refusing for a certificate that ends within 30 days and for
# a key or token file others may read. Removes its port file on a clean stop, and a second port
# on the same database is refused with exit 75 naming the database and the first one's pid.
# Certificates are made here with openssl (expired and future ones with `openssl ca`).
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"

: "${OPENSSL:=openssl}"
cd "$T" || exit 1

# ---------------------------------------------------------------- certificates and tokens
q() { "$@" >/dev/null 2>&1; }
mkca() { # name
    q "$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 365 \
        -subj "/CN=$1 test CA" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign"
}
issue() { # name CA days extensions
    q "$OPENSSL" req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" &&
        printf '%b\n' "$4" >"$1.ext" &&
        q "$OPENSSL" x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
            -out "$1.pem" -days "$3" -extfile "$1.ext"
}
SIGNER="basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,nonRepudiation"
mkca ca
mkca rogue
issue a ca 365 "$SIGNER"
issue enc ca 365 "basicConstraints=CA:FALSE\nkeyUsage=keyEncipherment"
issue stranger rogue 365 "$SIGNER"
issue soon ca 10 "$SIGNER"
issue server ca 365 "subjectAltName=IP:127.0.0.1"
issue serversoon ca 10 "subjectAltName=IP:127.0.0.1"
# certificates with given dates: openssl ca takes -startdate and -enddate
mkdir cadb && : >cadb/index.txt && echo 01 >cadb/serial
cat >ca.cnf <<'EOF'
[ca]
default_ca = c
[c]
dir = .
database = cadb/index.txt
serial = cadb/serial
new_certs_dir = cadb
default_md = sha256
policy = p
unique_subject = no
[p]
commonName = supplied
[signer]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
EOF
dated() { # name start end
    q "$OPENSSL" req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" &&
        q "$OPENSSL" ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in "$1.csr" \
            -out "$1.pem" -startdate "$2" -enddate "$3" -extensions signer
}
dated old 20240101000000Z 20250101000000Z
dated future 20450101000000Z 20460101000000Z
check "certificates made" test -s a.pem -a -s enc.pem -a -s stranger.pem -a -s old.pem \
    -a -s future.pem -a -s soon.pem -a -s serversoon.pem
"$OPENSSL" rand -hex 24 >a.token
chmod 600 a.token server.key serversoon.key a.key
printf '\n%s\n' "$(cat a.token)" >empty-first.token
printf ' \t\r\n%s\n' "$(cat a.token)" >blank-first.token
chmod 600 empty-first.token blank-first.token

# conf FILE [KEY=VALUE...]: a port configuration, the defaults changed by KEY=VALUE
conf() {
    f=$1
    shift
    tls_cert=server.pem tls_key=server.key trust=ca.pem token=a.token sign=a.pem db=port.db
    for kv in "$@"; do
        eval "${kv%%=*}=\${kv#*=}"
    done
    {
        printf '[port]\nlisten = 127.0.0.1\nport = 0\ntls_cert = %s\ntls_key = %s\n' \
            "$tls_cert" "$tls_key"
        printf 'trust = %s\ndatabase = %s\n' "$trust" "$db"
        printf '[sender.a]\ntoken_file = %s\nsign_cert = %s\ncodes = 3301964J31\n' "$token" "$sign"
    } >"$f"
}
# refused RC DESCRIPTION CONF TEXT [OPTION...]: `cebgate -c CONF port` exits RC at once and its
# standard error is TEXT exactly (a port that starts instead is stopped after 20 s: exit 124)
refused() {
    rc=$1 d=$2 c=$3 text=$4
    shift 4
    expect_rc "$rc" "$d" timeout 20 "$CEBGATE" -c "$c" port "$@"
    if [ "$(cat "$T/err")" = "$text" ]; then ok "... saying: $text"; else
        fail "$d: expected '$text'"
        sed 's/^/  stderr: /' "$T/err"
    fi
}
# "YYYY-MM-DD hh:mm:ss UTC" of a certificate's end
enddate() {
    date -u -d "$("$OPENSSL" x509 -in "$1" -noout -enddate | sed 's/^notAfter=//')" \
        '+%Y-%m-%d %H:%M:%S UTC'
}

# ---------------------------------------------------------------- a working port
conf good.conf
port_start -r good.conf
check "a sound configuration starts" test -n "$P"
check "... without a warning" sh -c '! grep -q warn port.err'
# two ports on one database would each count sender_daily_max on their own
refused 75 "a second port on the same database is refused" good.conf \
    "cebgate: good.conf:7: [port] database port.db is in use by another cebgate port (process $PORT_PID, port.db.lock): one port per database"
check "... and the first one still has its port file" test -s port.num
port_stop
check "a clean stop removes the pid file" test ! -e port.pid
check "... and the port file" test ! -e port.num
port_start -r good.conf
check "the lock is free again once the first port stopped" test -n "$P"
port_stop

# ---------------------------------------------------------------- certificates refused
# each line: the changes to the sound configuration|exit code|what|standard error
cat a.pem old.pem >two.pem
chmod 600 old.key future.key
while IFS='|' read -r kv rc d text; do
    conf case.conf $kv
    refused "$rc" "$d" case.conf "$text" </dev/null
done <<'EOF'
sign=ca.pem|2|a CA certificate as sign_cert|cebgate: case.conf:10: [sender.a]: sign_cert ca.pem: signing certificate is a CA certificate (basicConstraints CA:TRUE or keyUsage keyCertSign); a CA's key must not sign messages
sign=enc.pem|2|a sign_cert whose keyUsage is not for signatures|cebgate: case.conf:10: [sender.a]: sign_cert enc.pem: signing certificate: keyUsage has neither digitalSignature nor nonRepudiation (an encryption-only certificate)
sign=stranger.pem|2|a sign_cert that does not verify against [port] trust|cebgate: case.conf:10: [sender.a]: sign_cert stranger.pem: does not verify against the trusted certificates: unable to get local issuer certificate
sign=old.pem|2|an expired sign_cert|cebgate: case.conf:10: [sender.a]: sign_cert old.pem: the certificate expired on 2025-01-01 00:00:00 UTC
sign=future.pem|2|a sign_cert not valid yet|cebgate: case.conf:10: [sender.a]: sign_cert future.pem: the certificate is not valid before 2045-01-01 00:00:00 UTC
sign=two.pem|2|the second certificate of a sign_cert file is checked too|cebgate: case.conf:10: [sender.a]: sign_cert (certificate 2 of 2) two.pem: the certificate expired on 2025-01-01 00:00:00 UTC
tls_cert=old.pem tls_key=old.key|2|an expired tls_cert|cebgate: case.conf:4: [port] tls_cert old.pem: the certificate expired on 2025-01-01 00:00:00 UTC
tls_cert=future.pem tls_key=future.key|2|a tls_cert not valid yet|cebgate: case.conf:4: [port] tls_cert future.pem: the certificate is not valid before 2045-01-01 00:00:00 UTC
tls_key=a.key|2|a tls_key that is not the key of tls_cert|cebgate: case.conf:5: [port] tls_key a.key is not the key of the certificate in [port] tls_cert server.pem
EOF

# ---------------------------------------------------------------- certificates ending soon
conf s-soon.conf sign=soon.pem
port_start -r s-soon.conf
check "a sign_cert ending within 30 days does not stop the port" test -n "$P"
# made with -days 10 a moment ago: 9 whole days and nearly 24 hours are left
check "... a warning names the sender, the file and the date" grep -qxF \
    "cebgate: warn: port: [sender.a] sign_cert soon.pem: the certificate expires on $(enddate soon.pem), in 9 days" \
    port.err
port_stop

conf t-soon.conf tls_cert=serversoon.pem tls_key=serversoon.key
port_start -r t-soon.conf
check "a tls_cert ending within 30 days does not stop the port" test -n "$P"
check "... a warning names the file and the date" grep -qxF \
    "cebgate: warn: port: [port] tls_cert serversoon.pem: the certificate expires on $(enddate serversoon.pem), in 9 days" \
    port.err
port_stop

# ---------------------------------------------------------------- secrets others may read
cp a.token loose.token && chmod 644 loose.token
cp server.key loose.key && chmod 640 loose.key
conf loose.conf token=loose.token tls_key=loose.key
port_start -r loose.conf
check "a token or key others may read does not stop the port" test -n "$P"
check "... a warning names the token file and the chmod" grep -qxF \
    "cebgate: warn: port: [sender.a] token_file loose.token may be read by its group or by others (mode 0644): chmod 600 loose.token" \
    port.err
check "... and the TLS key" grep -qxF \
    "cebgate: warn: port: [port] tls_key loose.key may be read by its group or by others (mode 0640): chmod 600 loose.key" \
    port.err
port_stop

# ---------------------------------------------------------------- tokens
conf k-empty.conf token=empty-first.token
refused 2 "a token file whose first line is empty" k-empty.conf \
    "cebgate: k-empty.conf:9: [sender.a]: token_file empty-first.token: the first line is empty (the token is the first line)"
conf k-blank.conf token=blank-first.token
refused 2 "a token file whose first line is white space" k-blank.conf \
    "cebgate: k-blank.conf:9: [sender.a]: token_file blank-first.token: the first line is empty (the token is the first line)"

# ---------------------------------------------------------------- missing files and folders
conf m-token.conf token=nope.token
refused 2 "a missing token_file" m-token.conf \
    "cebgate: m-token.conf:9: [sender.a]: token_file nope.token: no such file"
conf m-sign.conf sign=nope.pem
refused 2 "a missing sign_cert" m-sign.conf \
    "cebgate: m-sign.conf:10: [sender.a]: sign_cert nope.pem: no such file"
conf m-tls.conf tls_cert=nope.pem
refused 2 "a missing tls_cert" m-tls.conf \
    "cebgate: m-tls.conf:4: [port] tls_cert nope.pem: no such file"
conf m-trust.conf trust="ca.pem, nope.pem"
refused 2 "a missing trust file" m-trust.conf \
    "cebgate: m-trust.conf:6: [port] trust ./nope.pem: no such file"
printf 'no certificate here\n' >empty.pem
conf m-trust2.conf trust=empty.pem
refused 2 "a trust file without a certificate" m-trust2.conf \
    "cebgate: m-trust2.conf:6: [port] trust: trusted certificate file ./empty.pem: no PEM certificate in it"
conf m-db.conf db=nodir/x.db
refused 2 "a database in a folder that does not exist" m-db.conf \
    "cebgate: m-db.conf:7: [port] database nodir/x.db: the folder nodir does not exist"
check "... which is not created" test ! -e nodir

# ---------------------------------------------------------------- the line of the key
# a refusal names the line the key was written on (file:line), wherever it stands in the file
conf l-base.conf
{ printf '; keys moved down\n\n' && sed 's/^listen = .*/listen = 127.0.0.300/' l-base.conf; } \
    >l-listen.conf
refused 2 "a listen that is no address, on line 4" l-listen.conf \
    "cebgate: l-listen.conf:4: [port] listen: '127.0.0.300' is not an IPv4 or IPv6 address"
{ sed -n '1,7p' l-base.conf && printf 'body_budget = 4194303\n' && sed -n '8,$p' l-base.conf; } \
    >l-budget.conf
refused 2 "a body_budget below max_body (its default) names body_budget's line, 8" l-budget.conf \
    "cebgate: l-budget.conf:8: [port] body_budget (4194303) is smaller than max_body (4194304): a message of max_body bytes could never be received"
{ cat l-base.conf && printf '[sender.b]\ntoken_file = a.token\ncodes = 3301964J32\n' &&
    printf 'sign_cert = a.pem\n'; } >l-twins.conf
refused 2 "a second sender with the first one's token names its token_file line, 13" l-twins.conf \
    "cebgate: l-twins.conf:13: [sender.a] and [sender.b] have the same token"
refused 2 "--pid-file in a folder that does not exist" good.conf \
    "cebgate: --pid-file $T/nodir/p.pid: the folder $T/nodir does not exist
usage: cebgate port [--stats | --documents] [--port-file FILE] [--pid-file FILE]" \
    --pid-file "$T/nodir/p.pid"
refused 2 "--port-file in a folder that does not exist" good.conf \
    "cebgate: --port-file $T/nodir/p.num: the folder $T/nodir does not exist
usage: cebgate port [--stats | --documents] [--port-file FILE] [--pid-file FILE]" \
    --port-file "$T/nodir/p.num"

# ---------------------------------------------------------------- the views
conf v-typo.conf db=prot.db
refused 2 "--stats on a database that does not exist" v-typo.conf \
    "cebgate: [port] database prot.db: no such file" --stats
refused 2 "--documents on a database that does not exist" v-typo.conf \
    "cebgate: [port] database prot.db: no such file" --documents
check "... nothing was created" test ! -e prot.db
expect_rc 0 "--stats on the port's database" "$CEBGATE" -c good.conf port --stats
check "... reads it" grep -qx 'received          0' "$T/out"
# failed logins (code 1999) are counted in memory only: --stats says where they are, not 0
check "... and says failed logins are not stored, but in /metrics since the start" grep -qxF \
    'failed logins     not stored: counted since the port started, in GET /metrics (cebgate_port_logins_refused_total)' \
    "$T/out"

finish
