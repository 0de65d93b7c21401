#!/bin/sh
# sign-file.sh - parse + sign + serialize of an existing message on one core, next to the
# RSA-2048 sign rate of `openssl speed rsa2048` on the same core, ROUNDS rounds; prints the
# medians and the ratio (issue 17 target: >= 0.50).
#   sh bench/sign-file.sh [BUILD_DIR] [FILE]
# FILE defaults to the official 202205 CEB603 sample (../shared/spec/samples/202205/export/
# CEB603Message.xml: 10 inventories, 26 KB once its SM2 Signature is removed, which bench/sign
# --file does once before timing). Per message what `cebgate sign` does in-process:
# cg_sign_xml() of the bytes (local RSA-2048 key loaded once, ALG rsa-sha256 by default), free;
# the first signed message must verify. Both are pinned with taskset to CPU (default 0) and rated per
# CPU second, as `openssl speed` rates itself.
# Environment: SECONDS_PER_RUN (default 3), ROUNDS (default 3), CPU (default 0), ALG, BEFORE (a
# second build directory, e.g. of an earlier commit: each round then runs its bench/sign --file
# first, and its rate and ratio are printed beside this build's), BEFORE_MODE (tree: that
# build's bench/sign signs on a parsed tree, as `cebgate sign` did before it signed from the
# bytes; BEFORE=build BEFORE_MODE=tree compares both ways in one build).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
FILE=${2:-$SRC/../shared/spec/samples/202205/export/CEB603Message.xml}
SECS=${SECONDS_PER_RUN:-3}
ROUNDS=${ROUNDS:-3}
CPU=${CPU:-0}
ALG=${ALG:-rsa-sha256}
OPENSSL=${OPENSSL:-openssl}
BEFORE=${BEFORE:-}
BEFORE_MODE=${BEFORE_MODE:-}
make -s -C "$BUILD" bench/sign >/dev/null
[ -z "$BEFORE" ] || make -s -C "$BEFORE" bench/sign >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/cg-bench-signfile.XXXXXX")
trap 'rm -rf "$W"' EXIT
PIN=""
command -v taskset >/dev/null 2>&1 && PIN="taskset -c $CPU"
"$OPENSSL" req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 2 \
    -subj '/CN=bench signer' -addext basicConstraints=critical,CA:FALSE >/dev/null 2>&1
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
r=1
while [ $r -le "$ROUNDS" ]; do
    l0=$(cut -d' ' -f1 /proc/loadavg)
    if [ -n "$BEFORE" ]; then
        $PIN "$BEFORE/bench/sign" --file "$W/key.pem" "$W/cert.pem" "$FILE" "$SECS" "$ALG" \
            $BEFORE_MODE 2>/dev/null | awk '{ print $8 }' >"$W/b.$r"
    fi
    $PIN "$BUILD/bench/sign" --file "$W/key.pem" "$W/cert.pem" "$FILE" "$SECS" "$ALG" \
        2>/dev/null >"$W/c.$r"
    $PIN "$OPENSSL" speed -seconds "$SECS" rsa2048 2>/dev/null |
        awk '/^rsa 2048 bits/ { print $6 }' >"$W/o.$r"
    awk '{ print $8 }' "$W/c.$r" >"$W/p.$r"
    paste "$W/p.$r" "$W/o.$r" | awk '{ printf "%.3f\n", $1 / $2 }' >"$W/ratio.$r"
    if [ -n "$BEFORE" ]; then
        paste "$W/b.$r" "$W/o.$r" | awk '{ printf "%.3f\n", $1 / $2 }' >"$W/bratio.$r"
        echo "round $r before: $(cat "$W/b.$r") msg/s; ratio $(cat "$W/bratio.$r")"
    fi
    echo "round $r (load average $l0 -> $(cut -d' ' -f1 /proc/loadavg)): $(cat "$W/c.$r");" \
        "openssl speed rsa2048 sign/s $(cat "$W/o.$r"); ratio $(cat "$W/ratio.$r")"
    r=$((r + 1))
done
pipe=$(cat "$W"/p.* | median)
rsa=$(cat "$W"/o.* | median)
echo "file: $FILE ($(awk '{ print $16 }' "$W/c.1") bytes without its Signature), $ALG"
echo "median cg_sign_xml (what cebgate sign does): $pipe msg/s per CPU second" \
    "($(awk -v p="$pipe" 'BEGIN { printf "%.0f", 1e6 / p }') us a message)"
echo "median openssl speed rsa2048: $rsa sign/s"
echo "median of the per-round ratios: $(cat "$W"/ratio.* | median);" \
    "ratio of the medians: $(awk -v p="$pipe" -v r="$rsa" 'BEGIN { printf "%.3f", p / r }')" \
    "(target >= 0.50)"
if [ -n "$BEFORE" ]; then
    before=$(cat "$W"/b.* | median)
    echo "before ($BEFORE): median $before msg/s; median of the per-round ratios:" \
        "$(cat "$W"/bratio.* | median); ratio of the medians:" \
        "$(awk -v p="$before" -v r="$rsa" 'BEGIN { printf "%.3f", p / r }')"
fi
