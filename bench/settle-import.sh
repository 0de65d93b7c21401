#!/bin/sh
# settle-import.sh - time of `cebgate settle import` on one large bank statement.
#
# A database of ORDERS declared and released orders (default N / 2; USD 10.00 to 14.99 each,
# sellers acme and beta) is written once by tests/e2e/report-gen.py; each run copies it into a
# fresh working directory and imports one statement of N entries (default 20,000) for seller
# acme, so every run records all N receipts. The statement is MT940 (FORMAT=mt940, the default:
# one :61: line and its :86: text an entry) or camt.053 (FORMAT=camt: one Ntry an entry), a
# month of a busy account, entry i of:
#   i % 10 in 0..4  a payment naming an acme order by number in its text (order i, exact amount)
#   i % 10 == 5     a payment naming an order of seller beta (no order of acme's: unmatched)
#   i % 10 == 6     an unknown payer, no order named, an amount no order expects
#   i % 10 == 7     an unknown payer, no order named, the amount of an acme order (matched by
#                   amount and date when no other order of acme's expects it)
#   i % 10 == 8     a refund to the buyer of the order paid 8 entries before (half of it)
#   i % 10 == 9     every 5th: the bank's service charge (a debit with a charge word); else a
#                   payment of an acme order with 1.50 of charges netted (MT940 /CHGS/)
# and closing balance = opening + the lines, so the statement balances. Each run is timed with
# /usr/bin/time (wall, user + sys); the median of RUNS runs (default 3) gives entries/s. The
# first run's summary line is printed, to see that every entry was recorded.
#
# Usage: sh bench/settle-import.sh [BUILD_DIR]      (default: ./build; needs cebgate built there)
#        N=20000 RUNS=3 FORMAT=mt940|camt sh bench/settle-import.sh
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
CEBGATE=${CEBGATE:-$BUILD/cebgate}
N=${N:-20000}
ORDERS=${ORDERS:-$((N / 2 + 10))}
RUNS=${RUNS:-3}
FORMAT=${FORMAT:-mt940}
[ -x "$CEBGATE" ] || { echo "build cebgate first ($CEBGATE)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package time)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed to write the orders" >&2; exit 2; }
case $FORMAT in mt940 | camt) ;; *) echo "FORMAT is mt940 or camt" >&2; exit 2 ;; esac
W=$(mktemp -d "${TMPDIR:-/tmp}/cg-bench-settle.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir "$W/template"
printf '[general]\nworkdir = .\n' >"$W/template/cebgate.conf"
"$CEBGATE" -q -c "$W/template/cebgate.conf" settle tick >/dev/null # creates the database
python3 "$SRC/tests/e2e/report-gen.py" "$W/template/cebgate.db" "$ORDERS" 2025-06-30 >/dev/null

# gen N FORMAT FILE: the statement. Order k is RG%07d, seller beta when k % 3 == 0, declared
# 1000 + k % 500 cents; acme's orders are taken in turn for the payments.
gen() {
    awk -v n="$1" -v fmt="$2" -v norders="$ORDERS" '
    function acme(j) { j = 1 + j % norders; if (j % 3 == 0) j++; if (j > norders) j = 1; return j }
    function amt(c, sep) { return sprintf("%d%s%02d", c / 100, sep, c % 100) }
    function entry(i, dir, cents, fee, ref, text, code) {
        day = 1 + i % 30
        if (fmt == "mt940") {
            printf ":61:2507%02d%s%s%sN%sNONREF//BK%08d\n", day, "", dir, amt(cents, ","), \
                code, i
            if (fee > 0)
                printf "/OCMT/USD%s/ /CHGS/USD%s/\n", amt(cents + fee, ","), amt(fee, ",")
            printf ":86:%s\n", text
        } else {
            printf "<Ntry><NtryRef>BK%08d</NtryRef><Amt Ccy=\"USD\">%s</Amt>", i, amt(cents, ".")
            printf "<CdtDbtInd>%s</CdtDbtInd><Sts>BOOK</Sts>", dir == "C" ? "CRDT" : "DBIT"
            printf "<BookgDt><Dt>2025-07-%02d</Dt></BookgDt><ValDt><Dt>2025-07-%02d</Dt></ValDt>", \
                day, day
            printf "<AcctSvcrRef>BK%08d</AcctSvcrRef><NtryDtls><TxDtls><Refs>", i
            printf "<AcctSvcrRef>BK%08d</AcctSvcrRef><EndToEndId>NOTPROVIDED</EndToEndId>", i
            printf "</Refs><RmtInf><Ustrd>%s</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n", text
        }
        bal += dir == "C" ? cents : -cents
    }
    BEGIN {
        open = 100000000; bal = open
        if (fmt == "mt940") {
            print ":20:ST2507"
            print ":25:BKCHCNBJ/400123456838"
            print ":28C:1/1"
            printf ":60F:C250630USD%s\n", amt(open, ",")
        } else {
            print "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            print "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">"
            print "<BkToCstmrStmt><GrpHdr><MsgId>MSG-ST2507</MsgId>"
            print "<CreDtTm>2025-07-31T23:00:00</CreDtTm></GrpHdr><Stmt><Id>ST2507</Id>"
            print "<CreDtTm>2025-07-31T23:00:00</CreDtTm><Acct><Id><IBAN>CN4012345683800000"
            print "</IBAN></Id><Ccy>USD</Ccy></Acct>"
        }
        for (i = 0; i < n; i++) {
            r = i % 10; k = acme(i)
            if (r <= 4)
                entry(i, "C", 1000 + k % 500, 0, "", sprintf("ORDER RG%07d THANK YOU", k), "TRF")
            else if (r == 5) {
                b = 3 * (1 + i % int(norders / 3))
                entry(i, "C", 1000 + b % 500, 0, "", sprintf("PAYMENT RG%07d", b), "TRF")
            } else if (r == 6)
                entry(i, "C", 2500 + i % 700, 0, "", sprintf("PAYMENT FROM BUYER %d", i), "TRF")
            else if (r == 7) {
                k = acme(7 * i)
                entry(i, "C", 1000 + k % 500, 0, "", sprintf("PAYMENT FROM BUYER %d", i), "TRF")
            }
            else if (r == 8) {
                k = acme(i - 8)
                entry(i, "D", int((1000 + k % 500) / 2), 0, "",
                      sprintf("REFUND TO BUYER ORDER RG%07d", k), "TRF")
            } else if (i % 50 == 49)
                entry(i, "D", 1500, 0, "", "SERVICE CHARGE JULY", "MSC")
            else
                entry(i, "C", 1000 + k % 500 - 150, 150, "", sprintf("ORDER RG%07d", k), "TRF")
        }
        if (fmt == "mt940") {
            printf ":62F:C250731USD%s\n", amt(bal, ",")
            print "-"
        } else {
            print "</Stmt></BkToCstmrStmt></Document>"
        }
    }' >"$3"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%d", (t > 0 ? n / t : 0) }'; }

f="$W/statement.$FORMAT"
gen "$N" "$FORMAT" "$f"
cmd="cebgate -c WORKDIR/cebgate.conf settle import --seller acme $(basename "$f")"
echo "# cebgate settle import benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# command: $cmd"
echo "# nproc $(nproc)  cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $FORMAT statement of $N entries ($(wc -c <"$f") bytes), $ORDERS orders, $RUNS runs (median)"
: >"$W/t"
: >"$W/c"
r=0
while [ "$r" -lt "$RUNS" ]; do
    r=$((r + 1))
    rm -rf "$W/run"
    cp -r "$W/template" "$W/run"
    /usr/bin/time -f '%e %U %S' -o "$W/time.txt" \
        "$CEBGATE" -c "$W/run/cebgate.conf" settle import --seller acme "$f" \
        >"$W/out.txt" 2>"$W/err.txt" || {
        echo "failed: $cmd" >&2
        cat "$W/err.txt" >&2
        exit 1
    }
    [ "$r" -gt 1 ] || sed -e "s|$W/||" -e "s/^/# /" "$W/out.txt"
    read -r e u s <"$W/time.txt"
    echo "$e" >>"$W/t"
    echo "$u $s" | awk '{ printf "%.2f\n", $1 + $2 }' >>"$W/c"
done
t=$(median <"$W/t")
c=$(median <"$W/c")
echo "format  entries  wall_s  cpu_s  entries/s(wall)  entries/s(cpu)"
printf '%-7s %7d  %6s  %5s  %15s  %14s\n' "$FORMAT" "$N" "$t" "$c" "$(rate "$N" "$t")" \
    "$(rate "$N" "$c")"
