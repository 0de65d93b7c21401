#!/bin/sh
# sign-sm2.sh - SM2 build + validate + sign throughput of a 3-item CEB603 (sign_alg sm2-sm3) on
# one core, next to the SM2 sign rate of `openssl speed sm2`, both in each of ROUNDS rounds;
# prints every round, the medians and the ratio (target: pipeline >= 80% of openssl speed).
#   sh bench/sign-sm2.sh [BUILD_DIR]      (default ./build; the tree must be configured there)
# Environment: SECONDS_PER_RUN (default 3), CPU (default 0), ROUNDS (default 5).
# Rates are per CPU second, as `openssl speed` reports them (CPU user time unless -elapsed),
# so that other work on the machine does not count against one side only. xmlsec has no SM2,
# so unlike bench/sign.sh there is no xmlsec comparison here.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
SECS=${SECONDS_PER_RUN:-3}
CPU=${CPU:-0}
ROUNDS=${ROUNDS:-5}
OPENSSL=${OPENSSL:-openssl}
make -s -C "$BUILD" bench/sign >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/cg-bench-sm2.XXXXXX")
trap 'rm -rf "$W"' EXIT
PIN=""
command -v taskset >/dev/null 2>&1 && PIN="taskset -c $CPU"
"$OPENSSL" genpkey -algorithm SM2 -out "$W/key.pem" 2>/dev/null
"$OPENSSL" req -new -x509 -key "$W/key.pem" -sm3 -sigopt distid:1234567812345678 -days 2 \
    -subj '/CN=bench SM2 signer' -out "$W/cert.pem" 2>/dev/null

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
load() { cut -d' ' -f1 /proc/loadavg; }
r=1
while [ $r -le "$ROUNDS" ]; do
    l0=$(load)
    $PIN "$BUILD/bench/sign" "$W/key.pem" "$W/cert.pem" "$SRC/data" "$SECS" sm2-sm3 >"$W/c.$r"
    $PIN "$OPENSSL" speed -seconds "$SECS" sm2 2>/dev/null |
        awk '/ SM2 / { print $(NF - 1) }' >"$W/o.$r"
    awk '{ print $8 }' "$W/c.$r" >"$W/p.$r"
    paste "$W/p.$r" "$W/o.$r" | awk '{ printf "%.1f\n", 100 * $1 / $2 }' >"$W/ratio.$r"
    echo "round $r (load average $l0 -> $(load)): cebgate $(cat "$W/c.$r");" \
        "openssl speed sm2 sign/s $(cat "$W/o.$r"); pipeline/openssl $(cat "$W/ratio.$r")%"
    r=$((r + 1))
done
pipe=$(cat "$W"/p.* | median)
signonly=$(for f in "$W"/c.*; do awk '{ print $10 }' "$f"; done | median)
raw=$(for f in "$W"/c.*; do awk '{ print $12 }' "$f"; done | median)
sm2=$(cat "$W"/o.* | median)
rr=$(cat "$W"/ratio.* | median)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), pinned to CPU $CPU: ${PIN:-no taskset}; $("$OPENSSL" version)"
echo "median build+validate+sign (CEB603, 3 items, sm2-sm3): $pipe msg/s"
echo "median sign only: $signonly msg/s"
echo "median in-process SM2 sign as openssl speed does it: $raw sign/s"
echo "median openssl speed sm2 sign: $sm2 sign/s"
echo "median of the per-round ratios pipeline/openssl speed: $rr%"
echo "$pipe $sm2 $signonly" | awk '{ printf "ratio of medians pipeline/openssl speed sm2: %.0f%% (target >= 80%%); sign only/openssl speed sm2: %.0f%%\n", 100 * $1 / $2, 100 * $3 / $2 }'
