#!/bin/sh
# sign.sh - build + validate + sign throughput of a 3-item CEB603 on one core, next to the
# RSA-2048 sign rate of `openssl speed` and to `xmlsec1 --sign` run once per file, all in one
# run, three rounds; prints the medians and the ratio (target: pipeline >= 60% of raw RSA).
#   sh bench/sign.sh [BUILD_DIR]      (default ./build; the tree must be configured there)
# Environment: SECONDS_PER_RUN (default 3), XMLSEC_FILES (default 100), CPU (default 0).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
SECS=${SECONDS_PER_RUN:-3}
FILES=${XMLSEC_FILES:-100}
CPU=${CPU:-0}
XMLSEC1=${XMLSEC1:-xmlsec1}
OPENSSL=${OPENSSL:-openssl}
make -s -C "$BUILD" bench/sign >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/cg-bench-sign.XXXXXX")
trap 'rm -rf "$W"' EXIT
PIN=""
command -v taskset >/dev/null 2>&1 && PIN="taskset -c $CPU"
"$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 2 \
    -subj '/CN=bench signer' >/dev/null 2>&1
SAMPLE="$SRC/tests/data/sign/CEB603Message.xml"
XSD="$SRC/tests/data/sign/xsd-2018/ceb-export.xsd"
"$BUILD/bench/sign" --template "$SAMPLE" "$W/tmpl.xml"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for r in 1 2 3; do
    $PIN "$BUILD/bench/sign" "$W/key.pem" "$W/cert.pem" "$SAMPLE" "$XSD" "$SECS" >"$W/c.$r"
    $PIN "$OPENSSL" speed -seconds "$SECS" rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ { print $6 }' \
        >"$W/o.$r"
    t0=$(date +%s.%N)
    i=0
    while [ $i -lt "$FILES" ]; do
        $PIN "$XMLSEC1" --sign --privkey-pem "$W/key.pem,$W/cert.pem" --output "$W/x.xml" \
            "$W/tmpl.xml" 2>/dev/null
        i=$((i + 1))
    done
    t1=$(date +%s.%N)
    echo "$FILES $t0 $t1" | awk '{ printf "%.1f\n", $1 / ($3 - $2) }' >"$W/xs.$r"
    echo "round $r: cebgate $(cat "$W/c.$r"); openssl speed rsa2048 sign/s $(cat "$W/o.$r");" \
        "xmlsec1 --sign files/s $(cat "$W/xs.$r")"
done
"$XMLSEC1" --verify --pubkey-cert-pem "$W/cert.pem" "$W/x.xml" >/dev/null 2>&1 ||
    { echo "xmlsec1 --sign output does not verify" >&2; exit 1; }
pipe=$(for r in 1 2 3; do awk '{ print $6 }' "$W/c.$r"; done | median)
signonly=$(for r in 1 2 3; do awk '{ print $8 }' "$W/c.$r"; done | median)
rsa=$(cat "$W"/o.* | median)
xs=$(cat "$W"/xs.* | median)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), pinned to CPU $CPU: ${PIN:-no taskset}"
echo "median build+validate+sign (CEB603, 3 items, rsa-sha1): $pipe msg/s"
echo "median sign only: $signonly msg/s"
echo "median openssl speed rsa2048 sign: $rsa sign/s"
echo "median xmlsec1 --sign once per file: $xs files/s"
echo "$pipe $rsa $signonly $xs" | awk '{ printf "ratio pipeline/raw RSA: %.0f%% (target >= 60%%); sign only/raw RSA: %.0f%%; pipeline/xmlsec1 process: %.0fx\n", 100 * $1 / $2, 100 * $3 / $2, $1 / $4 }'
