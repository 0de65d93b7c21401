# http-lib.sh - set-up shared by the http-*.sh tests: `cebgate run` with [transport] mode = http
# against a real `cebgate port` over TLS on 127.0.0.1. Certificates are made here with openssl:
# a test CA, the port's server certificate (127.0.0.1 and localhost), a signing certificate the
# port trusts (issued by the CA), a client certificate for mutual TLS, and a self-signed "rogue"
# server certificate nobody trusts; an SM2 CA and an SM2 signing certificate it issued (SM2
# with SM3), trusted by the port too. CG_SIGNER=sm2 makes the sender sign with the SM2 key
# (sign_alg unset: sm2-sm3 follows the key); by default it signs with the RSA one (rsa-sha256).
# Orders are made with spool-helper.py; a few get another item (HS code 4911910000) so the
# port's reject rules hit chosen documents.
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"
OPENSSL=${OPENSSL:-openssl}
HELPER="python3 $CG_SRCDIR/tests/e2e/spool-helper.py"
W=$T/w
K=$T/keys
mkdir -p "$W" "$K"
q() { "$@" >/dev/null 2>&1; }
(
    cd "$K" || exit 1
    q "$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
        -subj '/CN=http test CA' || exit 1
    issue() { # name CN [extension line]
        q "$OPENSSL" req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" ||
            return 1
        if [ -n "${3:-}" ]; then printf '%s\n' "$3" >"$1.ext"; else : >"$1.ext"; fi
        q "$OPENSSL" x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
            -out "$1.pem" -days 2 -extfile "$1.ext"
    }
    "$OPENSSL" rand -hex 24 >test.token || exit 1
    # for curl: the token as a header file (-H @file), never on a command line
    printf 'Authorization: Bearer %s\n' "$(cat test.token)" >auth.hdr
    issue server "cebgate test port" "subjectAltName=IP:127.0.0.1,DNS:localhost" &&
        issue signer "test signer" && issue client "test sender" || exit 1
    q "$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.pem -days 2 \
        -subj '/CN=rogue port' -addext "subjectAltName=IP:127.0.0.1"
    id=distid:1234567812345678
    q "$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out sm2ca.key &&
        q "$OPENSSL" req -x509 -new -key sm2ca.key -sm3 -sigopt "$id" -days 2 \
            -subj '/CN=http test SM2 CA' -out sm2ca.pem &&
        q "$OPENSSL" genpkey -algorithm SM2 -out sm2signer.key &&
        q "$OPENSSL" req -new -key sm2signer.key -sm3 -sigopt "$id" -subj '/CN=test SM2 signer' \
            -out sm2signer.csr &&
        q "$OPENSSL" x509 -req -in sm2signer.csr -vfyopt "$id" -CA sm2ca.pem -CAkey sm2ca.key \
            -CAcreateserial -sm3 -sigopt "$id" -days 2 -out sm2signer.pem &&
        cat signer.pem sm2signer.pem >signers.pem
) || fail "make test certificates"
if [ "${CG_SIGNER:-rsa}" = sm2 ]; then
    SIGNER_LINES="key_file = $K/sm2signer.key
cert_file = $K/sm2signer.pem"
else
    SIGNER_LINES="key_file = $K/signer.key
cert_file = $K/signer.pem
sign_alg = rsa-sha256"
fi

# ---------------------------------------------------------------- the port
# port_conf FILE DB [extra [port] lines]: a port on 127.0.0.1, port 0, TLS, trusting the test
# CA's signers; one sender, "test", known by its token or (with tls_client_ca) its client
# certificate, signing with signer.pem or sm2signer.pem for the test seller's codes and the carrier's. Scenario: 2, 120 at once; for inventories 800 and 899 after release_ms/close_ms.
# Rules: carrier numbers SF000000000001x (orders 10-19), order SO-0000777 and HS code
# 4911910000 (orders 500-504) end in 100.
port_conf() {
    cat >"$1" <<EOF
[port]
listen = 127.0.0.1
port = 0
tls_cert = $K/server.pem
tls_key = $K/server.key
trust = $K/ca.pem, $K/sm2ca.pem
database = $2
accept_ms = 0
release_ms = ${RELEASE_MS:-0}
close_ms = ${CLOSE_MS:-0}
reject_rules = logisticsNo=SF000000000001*:carrier not admitted | orderNo=SO-0000777:order refused | gcode=4911910000:printed matter needs a licence
EOF
    f=$1
    shift 2
    for l in "$@"; do printf '%s\n' "$l" >>"$f"; done
    cat >>"$f" <<EOF
[sender.test]
token_file = $K/test.token
client_cert = $K/client.pem
sign_cert = $K/signers.pem
codes = 3301960000, 3301960001, 3301980002, 3120980105
EOF
}
# pstat KEY: the port's count for a --stats line, e.g. "code 1001", "received" or "documents"
pstat() {
    "$CEBGATE" -c "$T/port.conf" port --stats 2>/dev/null |
        awk -v k="$1" '{ v = $NF; $NF = ""; sub(/ +$/, ""); sub(/^ +/, ""); if ($0 == k) print v }'
}

# ---------------------------------------------------------------- the sender
cp "$CG_TESTDATA/mapping/catalog.csv" "$W/catalog.csv"
# untrusted_signer: make $K/stranger.key and stranger.pem, a signing certificate the port neither
# trusts nor knows as the sender's (not a CA, so it may sign: only its trust is wrong), and sign
# with $W/sign.key and sign.pem (SIGNER_LINES, for sender_conf), a copy of it: sign_with signer
# puts the trusted key there, sign_with stranger the untrusted one again.
untrusted_signer() {
    q "$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout "$K/stranger.key" \
        -out "$K/stranger.pem" -days 2 -subj "/CN=untrusted test signer" \
        -addext "basicConstraints=critical,CA:FALSE" || return 1
    SIGNER_LINES="key_file = $W/sign.key
cert_file = $W/sign.pem
sign_alg = rsa-sha256"
    sign_with stranger
}
sign_with() { cp "$K/$1.key" "$W/sign.key" && cp "$K/$1.pem" "$W/sign.pem"; }
# sender_conf [extra [transport] lines]: one seller, HTTP transport to the port on $P; an extra
# line replaces the line of its key above (a key is given once in a section).
sender_conf() {
    cat >"$W/cebgate.conf" <<EOF
[general]
workdir = .
[seller]
$(cat "$CG_TESTDATA/e2e/seller-codes.ini")
catalog = catalog.csv
profile = own
[declare]
cop_code = 3301960001
cop_name = Acme Export
dxp_id = DXPENT0000000001
$SIGNER_LINES
[transport]
mode = http
url = https://127.0.0.1:$P/messages
receipts_url = https://127.0.0.1:$P/receipts
ca_file = $K/ca.pem
token_file = $K/test.token
parallel = 4
connect_timeout = 5
timeout = 20
retry_base_ms = 100
retry_max_delay = 2
EOF
    for l in "$@"; do
        sed -i "/^${l%% =*} = /d" "$W/cebgate.conf"
        printf '%s\n' "$l" >>"$W/cebgate.conf"
    done
}
# collections_conf: after sender_conf, seller acme (profile own) whose payments come from its
# collections (CEB403 from settle/), with settle's deadline timer off.
collections_conf() {
    cat >>"$W/cebgate.conf" <<EOC
[settle]
run_tick = no
[seller.acme]
profile = own
payments = collections
pay_code = 3301960PAY
pay_name = Bank of Test
EOC
}
cg() { "$CEBGATE" -c "$W/cebgate.conf" "$@"; }
sql() { sqlite3 "$W/cebgate.db" "$@"; }
# pay ORDER...: each payment receipt (CEB403) of the orders as VERSION:APPTYPE:STATE:STATUS
# (the code alone), versions apart by a space, each order ending in /
pay() {
    for o in "$@"; do
        sql "SELECT group_concat(m.version || ':' || m.app_type || ':' || m.state || ':' ||
                 substr(coalesce(m.status, ''), 1, instr(coalesce(m.status, '') || ':', ':') - 1),
                 ' ')
             FROM messages m JOIN documents d ON d.id = m.document_id
             JOIN orders o ON o.id = d.order_id
             WHERE o.order_no = '$o' AND d.msg_type = 403 ORDER BY m.version"
    done | tr '\n' '/'
}

# orders FILE COUNT: COUNT orders (3 items each, with shipment data) dropped into incoming/;
# orders 500-504 carry FERN-1 (HS code 4911910000) instead of TOTE-1.
orders() {
    $HELPER orders own "$T/$1" "$2" || return 1
    awk -F, 'BEGIN { OFS = "," }
        $1 >= "SO-0000500" && $1 <= "SO-0000504" && $6 == "TOTE-1" { $6 = "FERN-1" } { print }' \
        "$T/$1" >"$T/$1.x" && mkdir -p "$W/incoming" && mv "$T/$1.x" "$W/incoming/$1"
}

# The final state each document must reach under the port's rules (SQL over orders/documents).
EXPECTED_SQL="CASE
  WHEN d.msg_type = 303 THEN CASE WHEN o.order_no = 'SO-0000777' THEN 'rejected' ELSE 'accepted' END
  WHEN d.msg_type = 505 THEN CASE WHEN o.order_no BETWEEN 'SO-0000010' AND 'SO-0000019'
                                  THEN 'rejected' ELSE 'accepted' END
  ELSE CASE WHEN o.order_no BETWEEN 'SO-0000010' AND 'SO-0000019' OR o.order_no = 'SO-0000777'
              OR o.order_no BETWEEN 'SO-0000500' AND 'SO-0000504' THEN 'rejected' ELSE 'closed' END
  END"

# count FROM: the rows of "TABLE [WHERE ...]" in the sender's database
count() { sql "SELECT count(*) FROM $1"; }
# run_until FROM N: `cebgate run` (fetching receipts) until count FROM gives N, at most 60 runs
run_until() {
    i=0
    while [ "$(count "$1")" != "$2" ] && [ $i -lt 60 ]; do
        cg run --no-progress >/dev/null 2>&1
        i=$((i + 1))
    done
}

# run_until_done MAX: `cebgate run` until no document waits for a receipt (at most MAX runs).
# Exit codes go to $T/runs (one per run); 0 and 75 go on, anything else stops.
RUNS=0
run_until_done() {
    : >"$T/runs"
    RUNS=0
    while [ "$RUNS" -lt "$1" ]; do
        cg run --no-progress >>"$T/run.out" 2>>"$T/run.err"
        rc=$?
        RUNS=$((RUNS + 1))
        echo "$rc" >>"$T/runs"
        case $rc in 0 | 75) ;; *) return 1 ;; esac
        waiting=$(sql "SELECT count(*) FROM documents
                       WHERE state NOT IN ('accepted', 'closed', 'rejected')")
        [ "$waiting" = 0 ] && return 0
        sleep 0.3
    done
    return 1
}

# compare_sides PORTDB: every sender document is at the port once with the same type and final
# status, and the port has nothing the sender did not send; every document reached the state
# the scenario gives it.
compare_sides() {
    "$CEBGATE" -c "$T/port.conf" port --documents >"$T/port-docs.tsv" 2>"$T/err" ||
        { fail "port --documents"; return; }
    sql ".mode tabs" "CREATE TEMP TABLE p(type, guid, bkey, pre_no, invt_no, status, final);" \
        ".import $T/port-docs.tsv p" \
        "SELECT 'sender', count(*) FROM documents;
         SELECT 'port', count(*) FROM p;
         SELECT 'port-distinct', count(DISTINCT guid) FROM p;
         SELECT 'missing-at-port', count(*) FROM documents d
           WHERE NOT EXISTS (SELECT 1 FROM p WHERE p.guid = d.guid);
         SELECT 'unknown-to-sender', count(*) FROM p
           WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.guid = p.guid);
         SELECT 'type-differs', count(*) FROM documents d JOIN p ON p.guid = d.guid
           WHERE p.type <> 'CEB' || d.msg_type;
         SELECT 'status-differs', count(*) FROM documents d JOIN p ON p.guid = d.guid
           WHERE p.status <> d.status OR p.final <> '1';
         SELECT 'invtno-differs', count(*) FROM documents d JOIN p ON p.guid = d.guid
           WHERE d.msg_type = 603 AND d.state = 'closed' AND coalesce(d.invt_no, '') <> p.invt_no;
         SELECT 'unexpected-state', count(*) FROM documents d JOIN orders o ON o.id = d.order_id
           WHERE d.state <> ($EXPECTED_SQL);
         SELECT 'rejected', count(*) FROM documents WHERE state = 'rejected';" \
        >"$T/cmp" 2>"$T/cmp.err" || { fail "compare: $(cat "$T/cmp.err")"; return; }
}
# cmp_val KEY: a figure compare_sides found
cmp_val() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' "$T/cmp"; }
