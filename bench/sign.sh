#!/bin/sh
# sign.sh - build + validate + sign throughput of a 3-item CEB603 on one core, next to the
# RSA-2048 sign rate of `openssl speed` and to `xmlsec1 --sign` run once per file, all in one
# run, ROUNDS rounds; prints the medians and the ratio (target: pipeline >= 60% of raw RSA).
# Each round also runs the pipeline with xmlsec's generic XML-DSig engine
# (cg_signer_opts.xmlsec_engine) for comparison with cebgate's direct signing path.
#   sh bench/sign.sh [BUILD_DIR]      (default ./build; the tree must be configured there)
# Environment: SECONDS_PER_RUN (default 3), XMLSEC_FILES (default 100), CPU (default 0),
# ROUNDS (default 3), ALG (rsa-sha1 or rsa-sha256, default rsa-sha1).
# Rates are per CPU second, as `openssl speed` reports them (it divides by CPU user time
# unless given -elapsed), so that other work on the machine does not count against one side
# only; bench/sign also prints its wall-clock rate, and the load average is shown per round.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
SECS=${SECONDS_PER_RUN:-3}
FILES=${XMLSEC_FILES:-100}
CPU=${CPU:-0}
ROUNDS=${ROUNDS:-3}
ALG=${ALG:-rsa-sha1}
XMLSEC1=${XMLSEC1:-xmlsec1}
OPENSSL=${OPENSSL:-openssl}
make -s -C "$BUILD" bench/sign >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/cg-bench-sign.XXXXXX")
trap 'rm -rf "$W"' EXIT
PIN=""
command -v taskset >/dev/null 2>&1 && PIN="taskset -c $CPU"
"$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 2 \
    -subj '/CN=bench signer' -addext basicConstraints=critical,CA:FALSE >/dev/null 2>&1
DATA="$SRC/data"
"$BUILD/bench/sign" --template "$DATA" "$W/tmpl.xml"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
load() { cut -d' ' -f1 /proc/loadavg; }
r=1
while [ $r -le "$ROUNDS" ]; do
    l0=$(load)
    $PIN "$BUILD/bench/sign" "$W/key.pem" "$W/cert.pem" "$DATA" "$SECS" "$ALG" direct >"$W/c.$r"
    $PIN "$OPENSSL" speed -seconds "$SECS" rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ { print $6 }' \
        >"$W/o.$r"
    $PIN "$BUILD/bench/sign" "$W/key.pem" "$W/cert.pem" "$DATA" "$SECS" "$ALG" xmlsec >"$W/e.$r"
    t0=$(date +%s.%N)
    i=0
    while [ $i -lt "$FILES" ]; do
        $PIN "$XMLSEC1" --sign --privkey-pem "$W/key.pem,$W/cert.pem" --output "$W/x.xml" \
            "$W/tmpl.xml" 2>/dev/null
        i=$((i + 1))
    done
    t1=$(date +%s.%N)
    echo "$FILES $t0 $t1" | awk '{ printf "%.1f\n", $1 / ($3 - $2) }' >"$W/xs.$r"
    awk '{ print $8 }' "$W/c.$r" >"$W/p.$r"
    awk '{ print $8 }' "$W/e.$r" >"$W/pe.$r"
    paste "$W/p.$r" "$W/o.$r" | awk '{ printf "%.1f\n", 100 * $1 / $2 }' >"$W/ratio.$r"
    echo "round $r (load average $l0 -> $(load)): cebgate $(cat "$W/c.$r");" \
        "xmlsec engine msg/s $(cat "$W/pe.$r"); openssl speed rsa2048 sign/s $(cat "$W/o.$r");" \
        "xmlsec1 --sign files/s $(cat "$W/xs.$r"); pipeline/openssl $(cat "$W/ratio.$r")%"
    r=$((r + 1))
done
"$XMLSEC1" --verify --pubkey-cert-pem "$W/cert.pem" "$W/x.xml" >/dev/null 2>&1 ||
    { echo "xmlsec1 --sign output does not verify" >&2; exit 1; }
pipe=$(cat "$W"/p.* | median)
signonly=$(for f in "$W"/c.*; do awk '{ print $10 }' "$f"; done | median)
wall=$(for f in "$W"/c.*; do awk '{ print $14 }' "$f"; done | median)
engsign=$(for f in "$W"/e.*; do awk '{ print $10 }' "$f"; done | median)
eng=$(cat "$W"/pe.* | median)
rsa=$(cat "$W"/o.* | median)
xs=$(cat "$W"/xs.* | median)
rr=$(cat "$W"/ratio.* | median)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), pinned to CPU $CPU: ${PIN:-no taskset}"
echo "median build+validate+sign (CEB603, 3 items, $ALG): $pipe msg/s"
echo "median sign only: $signonly msg/s"
echo "median build+validate+sign per wall-clock second: $wall msg/s"
echo "median build+validate+sign with xmlsec's engine: $eng msg/s (sign only $engsign msg/s)"
echo "median openssl speed rsa2048 sign: $rsa sign/s"
echo "median xmlsec1 --sign once per file: $xs files/s"
echo "median of the per-round ratios pipeline/openssl speed: $rr%"
echo "$pipe $rsa $signonly $xs $eng" | awk '{ printf "ratio of medians pipeline/raw RSA: %.0f%% (target >= 60%%); sign only/raw RSA: %.0f%%; xmlsec engine/raw RSA: %.0f%%; pipeline/xmlsec1 process: %.0fx\n", 100 * $1 / $2, 100 * $3 / $2, 100 * $5 / $2, $1 / $4 }'
