#!/bin/sh
# demo.sh - a broker's night in a minute: run by `./quickstart demo`.
#
# In a temporary directory it makes a demo CA, a TLS certificate for the port (127.0.0.1) and
# an encrypted signing key with its certificate (passphrase in a file, never on a command
# line); starts `cebgate port` on loopback with TLS; drops the example orders of three sellers
# (examples/orders/<seller>/) into incoming/<seller>/; runs `cebgate run` with the HTTPS
# transport until every inventory has its final receipt; then shows the run summary, what is
# still pending, the timeline of a released and of a rejected order, the port's counts, a bank
# statement collecting the released order's money, and writes the morning report (cebgate
# report --html) and prints its path.
# The port and the directory are removed on exit, also on error or Ctrl-C.
#
# Some orders are bad on purpose (an unknown SKU, an over-long field, a wrong total, a file
# in neither UTF-8 nor GB18030) and the port refuses perfume (HS 3303) like customs would:
# those rejections are the expected outcome. Exit status: 0 the demo ran, 1 something in the
# machinery failed (no port, a run that could not finish, receipts that never came).
#
# Environment: CEBGATE (the binary, default `cebgate`), CEBGATE_DATADIR (code tables and
# schemas), OPENSSL (default `openssl`), CEBGATE_DEMO_KEEP=1 keeps the directory and says where,
# CEBGATE_DEMO_REPORT the file the morning report is written to at the end (default
# $TMPDIR/cebgate-demo-report.html, outside the directory that is removed).
set -u
: "${CEBGATE:=cebgate}"
: "${OPENSSL:=openssl}"
here=$(cd "$(dirname "$0")" && pwd)
w=$(mktemp -d "${TMPDIR:-/tmp}/cebgate-demo.XXXXXX") || exit 1
report=${CEBGATE_DEMO_REPORT:-${TMPDIR:-/tmp}/cebgate-demo-report.html}
port_pid=""

stop_port() {
    [ -n "$port_pid" ] || return 0
    kill -TERM "$port_pid" 2>/dev/null
    wait "$port_pid"
    port_rc=$?
    port_pid=""
    return "$port_rc"
}
# shellcheck disable=SC2317 # run from the EXIT trap
cleanup() {
    stop_port
    if [ -n "${CEBGATE_DEMO_KEEP:-}" ]; then
        echo "demo: kept $w" >&2
        if [ -n "${url:-}" ]; then
            # The kept port.conf names the TCP port the broker's configuration sends to.
            cat >&2 <<EOF
demo: to go on with it (its certificates are valid for 2 days):
  start its port again:  $CEBGATE -c $w/port/port.conf port
  drop order files into: $w/broker/incoming/SELLER/
  declare them:          $CEBGATE -c $w/broker/cebgate.conf run
  (with CEBGATE_DATADIR=${CEBGATE_DATADIR:-DIR} when cebgate is not installed)
EOF
        fi
    else
        rm -rf "$w"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() {
    echo "demo: FAILED: $*" >&2
    if [ -s "$w/port/port.err" ]; then
        echo "demo: last lines of the port's log:" >&2
        tail -n 5 "$w/port/port.err" | sed 's/^/  /' >&2
    fi
    exit 1
}
heading() { printf '\n== %s\n' "$*"; }
# cebgate runs from the broker's directory, as the systemd unit does; the paths in its
# configuration (catalogues, profiles, keys) are relative to the configuration file anyway.
cg() { (cd "$w/broker" && "$CEBGATE" -c "$w/broker/cebgate.conf" "$@"); }
port_pending() {
    "$CEBGATE" -c "$w/port/port.conf" port --stats 2>/dev/null | sed -n 's/^receipts pending  *//p'
}
quiet() { "$@" >/dev/null 2>>"$w/openssl.log"; }

echo "cebgate demo: a customs broker declares three sellers' export orders to a local port"
echo "working directory: $w"

# ---------------------------------------------------------------- certificates
# ca/ is the demo certificate authority; port/keys/ holds what the port needs (its TLS key and
# certificate, the CA that issued the signers' certificates), broker/keys/ what the sender
# needs (its signing key, the key's passphrase file, its certificate, the CA that verifies
# the port). Nothing secret is passed on a command line: the passphrase is read from a file.
heading "1. Certificates (made now with openssl, valid 2 days)"
mkdir -p "$w/ca" "$w/port/keys" "$w/broker/keys" || die "cannot create $w"
(
    set -e
    umask 077
    cd "$w/ca"
    printf 'basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n' >ca.ext
    printf 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n' >port.ext
    printf 'basicConstraints = CA:FALSE\nkeyUsage = digitalSignature, nonRepudiation\n' >signer.ext
    quiet "$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
        -subj "/O=cebgate demo/CN=cebgate demo CA" -extensions v3_ca \
        -addext "basicConstraints = critical, CA:TRUE"
    quiet "$OPENSSL" req -newkey rsa:2048 -nodes -keyout port.key -out port.csr \
        -subj "/O=cebgate demo/CN=127.0.0.1"
    quiet "$OPENSSL" x509 -req -in port.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
        -out port.pem -days 2 -extfile port.ext
    "$OPENSSL" rand -hex 24 >signer.pass
    "$OPENSSL" rand -hex 24 >broker.token
    # an SM2 key, as the E-Port CA issues them: cebgate signs sm2-sm3 with it (SM2 signatures
    # carry the GM/T 0009 distinguishing identifier, also in the certificate request)
    quiet "$OPENSSL" genpkey -algorithm SM2 -aes-256-cbc -pass file:signer.pass -out signer.key
    quiet "$OPENSSL" req -new -key signer.key -passin file:signer.pass -sm3 \
        -sigopt distid:1234567812345678 -out signer.csr \
        -subj "/O=Westlake Customs Brokerage/CN=demo signing key 0001"
    quiet "$OPENSSL" x509 -req -in signer.csr -vfyopt distid:1234567812345678 -CA ca.pem \
        -CAkey ca.key -CAcreateserial -out signer.pem -days 2 -extfile signer.ext
    cp port.pem port.key ca.pem signer.pem broker.token "$w/port/keys/"
    cp signer.key signer.pass signer.pem ca.pem broker.token "$w/broker/keys/"
) || { sed 's/^/  /' "$w/openssl.log" >&2; die "openssl could not make the certificates"; }
echo "demo CA                  ca/ca.pem"
echo "port TLS certificate     port/keys/port.pem (for 127.0.0.1, issued by the demo CA)"
echo "signing key              broker/keys/signer.key (SM2, encrypted; passphrase in signer.pass)"
echo "signing certificate      broker/keys/signer.pem (issued by the demo CA, trusted by the port)"
echo "broker's token           broker/keys/broker.token (the port knows it as [sender.broker])"

# ---------------------------------------------------------------- the port
heading "2. The port (cebgate port, HTTPS on loopback)"
cp "$here/port.conf.in" "$w/port/port.conf" || die "cannot copy port.conf.in"
"$CEBGATE" -c "$w/port/port.conf" port --port-file "$w/port/port.num" \
    --pid-file "$w/port/port.pid" >"$w/port/port.out" 2>"$w/port/port.err" &
port_pid=$!
i=0
while [ ! -s "$w/port/port.num" ] && [ $i -lt 100 ]; do
    kill -0 "$port_pid" 2>/dev/null || { port_pid=""; die "cebgate port did not start"; }
    sleep 0.1
    i=$((i + 1))
done
[ -s "$w/port/port.num" ] || die "cebgate port did not say which TCP port it took (10 s)"
url="https://127.0.0.1:$(cat "$w/port/port.num")"
# A kept directory is a setup to go on with: its port starts again on the same TCP port.
if [ -n "${CEBGATE_DEMO_KEEP:-}" ]; then
    { sed "s/^port = 0\$/port = $(cat "$w/port/port.num")/" "$w/port/port.conf" \
        >"$w/port/port.conf.new" && mv "$w/port/port.conf.new" "$w/port/port.conf"; } ||
        die "cannot write port.conf"
fi
echo "listening on $url (process $port_pid)"
echo "scenario: 2 declaring, 120 accepted, inventories 800 released and 899 closed;"
echo "          customs rule: $(sed -n 's/^reject_rules = gcode=\([^:]*\):/HS \1 refused (status 100): /p' \
    "$w/port/port.conf")"

# ---------------------------------------------------------------- the sellers' files
heading "3. The sellers' files (examples/orders/ -> incoming/<seller>/)"
b=$w/broker
sed "s|@PORT_URL@|$url|g" "$here/cebgate.conf.in" >"$b/cebgate.conf" || die "cannot write cebgate.conf"
cp -R "$here"/catalog-*.csv "$here"/shipments-*.csv "$here/profiles" "$b/" ||
    die "cannot copy the catalogues and profiles"
for d in "$here"/orders/*/; do
    s=$(basename "$d")
    mkdir -p "$b/incoming/$s" || die "cannot create incoming/$s"
    for f in "$d"*; do
        [ -f "$f" ] || continue
        n=$(basename "$f")
        # a file is copied under a .part name and renamed: cebgate only sees complete files
        { cp "$f" "$b/incoming/$s/$n.part" && mv "$b/incoming/$s/$n.part" "$b/incoming/$s/$n"; } ||
            die "cannot drop $s/$n"
        printf '%-8s %s\n' "$s" "$n"
    done
done
cg config >/dev/null 2>"$w/config.err" || { cat "$w/config.err" >&2; die "cebgate.conf is not valid"; }

# ---------------------------------------------------------------- cebgate run
# run exits 0 (all fine), 1 (some input rejected: expected here), 75 (could not finish, e.g.
# the port was unreachable: run again) or 2 (configuration error).
run_once() {
    cg run --no-progress >"$w/run.out" 2>"$w/run.err"
    run_rc=$?
    case $run_rc in
    0 | 1 | 75) return 0 ;;
    *) sed 's/^/  /' "$w/run.err" >&2; die "cebgate run exited $run_rc" ;;
    esac
}
heading "4. cebgate run (map, validate, sign, send to the port over HTTPS)"
run_once
# one line per input file and the summary; the per-receipt-file lines are left out
grep -v '^receipts [^:]*: [0-9]* entr' "$w/run.out"
[ $run_rc -eq 75 ] && echo "(exit 75: not everything reached the port; the next run sends the rest)"
# one of the messages sent, checked as the port checks it: the SM2 key signed it sm2-sm3
sent=$(find "$w/broker/archive" -name 'CEB603Message_*.xml' | sort | head -n 1)
if [ -n "$sent" ]; then
    echo "signature of one sent inventory (cebgate verify --trust keys/ca.pem):"
    "$CEBGATE" verify --trust "$w/broker/keys/ca.pem" "$sent" | sed "s|^$w/broker/||; s/^/  /" ||
        die "cebgate verify refused a message the demo sent"
fi

# Orders and waybills are answered up to 120 (accepted) and stop there; inventories go on to
# 800 (released) and 899 (closed), or to 100 (refused). The demo runs cebgate again every half
# second until the port has published every receipt, the last run fetched them, and no
# document is left waiting.
still_waiting() {
    cg status --pending >"$w/pending.out" 2>"$w/pending.err" || {
        cat "$w/pending.err" >&2
        die "cebgate status --pending failed"
    }
    grep ' CEB[0-9]* v[0-9]*  ' "$w/pending.out" >"$w/waiting.out"
    [ -s "$w/waiting.out" ] || [ $run_rc -eq 75 ]
}
heading "5. Waiting for the receipts (cebgate run again, at most 30 s)"
tries=0
applied=0
while :; do
    sleep 0.5
    tries=$((tries + 1))
    pp=$(port_pending)
    [ -n "$pp" ] || die "cebgate port --stats failed"
    run_once
    n=$(sed -n 's/^  receipts: [0-9]* files, \([0-9]*\) applied.*/\1/p' "$w/run.out")
    applied=$((applied + ${n:-0}))
    [ "$pp" -ne 0 ] || still_waiting || break
    [ $tries -lt 60 ] || {
        [ "$pp" -eq 0 ] || echo "  the port still has $pp receipts to publish" >&2
        [ ! -s "$w/waiting.out" ] || sed 's/^/  waiting: /' "$w/waiting.out" >&2
        die "receipts still missing after 30 s"
    }
done
echo "$applied more receipts applied in $tries runs; the port has no receipt left to publish"

heading "6. Still pending (cebgate status --pending)"
tail -n 1 "$w/pending.out"
grep ' CEB[0-9]* v[0-9]*  ' "$w/pending.out" | awk '{ print $3, $5 }' | sort | uniq -c |
    awk '{ printf "  %3d x %s %s\n", $1, $2, $3 }'

# The timeline of an order lists each of its documents; the export inventory (CEB603) is the
# one customs releases or refuses, so only it is shown here.
timeline() {
    cg status "$1" >"$w/status.out" 2>"$w/status.err" || {
        cat "$w/status.err" >&2
        die "cebgate status $1 failed"
    }
    awk 'NR == 1 { print; next } /^  CEB/ { show = ($1 == "CEB603") } show' "$w/status.out"
    echo "  (+ $(grep -Ec '^  CEB(303|505) ' "$w/status.out") more documents, the order CEB303 and the waybill CEB505: cebgate status $1)"
}
heading "7. An order released by customs (cebgate status LB-240914-001, its inventory)"
timeline LB-240914-001

heading "8. An order refused by customs (cebgate status HP1043, its inventory)"
timeline HP1043

heading "9. The port's counts (cebgate port --stats)"
"$CEBGATE" -c "$w/port/port.conf" port --stats || die "cebgate port --stats failed"

heading "10. The money: Lotus's bank statement (cebgate settle import, settle explain)"
# The bank's camt.053 of the day: USD 80.00 for LB-240914-001 after USD 15.00 of charges (the
# order declared USD 95.00: 2 x 18.50 + 46.00 + 12.00 freight), a payment no order names, and
# a USD refund to the buyer of the EUR order LB-240914-002, which has collected nothing, so the
# refund stays on its receipt (report fx unmatched); the released order is collected in full.
cg settle import --seller lotus "$here/statements/lotus-camt053-2026-10-31.xml" \
    >"$w/settle.out" 2>"$w/settle.err" || {
    cat "$w/settle.err" >&2
    die "cebgate settle import failed"
}
sed "s|^$here/||" "$w/settle.out"
cg settle explain lotus/LB-240914-001 >"$w/explain.out" 2>"$w/settle.err" || {
    cat "$w/settle.err" >&2
    die "cebgate settle explain failed"
}
sed -n '1,5p' "$w/explain.out"

heading "11. The morning report (cebgate report --html)"
cg report >"$w/report.out" 2>"$w/report.err" || {
    cat "$w/report.err" >&2
    die "cebgate report failed"
}
sed -n '/^Needs you today/,/^$/p' "$w/report.out"
cg report --html "$report" 2>"$w/report.err" || {
    cat "$w/report.err" >&2
    die "cebgate report --html failed"
}
echo "report: $report"

stop_port || die "cebgate port exited $port_rc when stopped"
heading "Demo finished"
echo "Orders, catalogues and configuration: examples/ (examples/README.md explains each file)."
exit 0
