#!/bin/sh
# port.sh - messages per second `cebgate port` accepts (TLS, signature verification, schema
# validation, business rules, SQLite store, status-2 receipt) with the sender on the same
# machine: curl with BENCH_PAR (default 4) parallel transfers over reused TLS connections.
#
#   sh bench/port.sh [BUILD_DIR]       (default ./build; BENCH_N messages, BENCH_RUNS runs,
#                                       BENCH_PAR transfers at a time)
#
# Reference measured in the same run: GET /health with the same client and parallelism, i.e.
# what the HTTP/TLS transport and the client manage without any message work. The ratio says
# how much of that ceiling the checks leave. Each run starts a fresh port database.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
CEBGATE=$build/cebgate
N=${BENCH_N:-1000}
RUNS=${BENCH_RUNS:-3}
PAR=${BENCH_PAR:-4}
export CEBGATE_DATADIR="$top/data"
W=$(mktemp -d "${TMPDIR:-/tmp}/cg-bench-port.XXXXXX")
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$W"' EXIT
cd "$W"

openssl req -x509 -newkey rsa:2048 -nodes -keyout server.key -out server.pem -days 2 \
    -subj "/CN=bench port" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout signer.key -out signer.pem -days 2 \
    -subj "/CN=bench signer" -addext basicConstraints=critical,CA:FALSE 2>/dev/null
openssl rand -hex 24 >bench.token
printf 'Authorization: Bearer %s\n' "$(cat bench.token)" >auth.hdr
printf '[declare]\nkey_file = %s/signer.key\ncert_file = %s/signer.pem\nsign_alg = rsa-sha256\n' \
    "$W" "$W" >sign.conf

echo "signing $N messages ..." >&2
mkdir msgs
i=1
while [ $i -le "$N" ]; do
    n=$(printf '%06d' $i)
    sed -e "s/-000000000001\"/-000000$n\"/" -e "s/-0000000000A1</-00000B$n</" \
        -e "s/PORT-ORDER-0001/BENCH-ORDER-$n/" "$top/tests/data/port/CEB303Message.xml" >m.xml
    "$CEBGATE" -c sign.conf sign -o "msgs/$n.xml" m.xml
    i=$((i + 1))
done

cat >port.conf <<EOF
[port]
port = 0
tls_cert = server.pem
tls_key = server.key
trust = signer.pem
database = port.db
accept_ms = 3600000
release_ms = 3600000
close_ms = 3600000
[sender.bench]
token_file = bench.token
sign_cert = signer.pem
codes = 3301964J31
EOF

start() {
    rm -f port.db port.db-wal port.db-shm port.num
    "$CEBGATE" -q -c port.conf port --port-file port.num >/dev/null 2>port.err &
    PID=$!
    while [ ! -s port.num ]; do
        kill -0 "$PID" 2>/dev/null || { cat port.err >&2; PID=""; exit 1; }
        sleep 0.05
    done
    URL="https://127.0.0.1:$(cat port.num)"
}
stop() { kill "$PID"; wait "$PID" || true; PID=""; }
now() { date +%s.%N; }

# curl config: one POST per message, or N GETs of /health
# (options after "next" are per transfer, so each block names the CA; no "next" after the last)
mkcfg() {
    : >post.cfg
    : >get.cfg
    sep=""
    for f in msgs/*.xml; do
        printf '%surl = "%s/messages"\ncacert = "server.pem"\ndata-binary = "@%s"\nheader = "Content-Type: application/xml"\nheader = "@auth.hdr"\noutput = "last-answer.json"\nwrite-out = "%%{http_code}\\n"\n' \
            "$sep" "$URL" "$f" >>post.cfg
        printf '%surl = "%s/health"\ncacert = "server.pem"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
            "$sep" "$URL" >>get.cfg
        sep="next
"
    done
}

rates_post=""
rates_get=""
r=1
while [ $r -le "$RUNS" ]; do
    start
    mkcfg
    t0=$(now)
    curl -sS --no-progress-meter --parallel --parallel-max $PAR -K post.cfg >codes.txt
    t1=$(now)
    curl -sS --no-progress-meter --parallel --parallel-max $PAR -K get.cfg >/dev/null
    t2=$(now)
    stop
    ok=$(grep -c '^200$' codes.txt || true)
    acc=$("$CEBGATE" -c port.conf port --stats | awk '/^accepted  /{print $2}')
    [ "$ok" -eq "$N" ] && [ "$acc" -eq "$N" ] || {
        echo "run $r: only $ok answers 200 and $acc accepted of $N; answers:" >&2
        sort codes.txt | uniq -c >&2
        cat last-answer.json >&2
        exit 1
    }
    rp=$(echo "$N $t0 $t1" | awk '{printf "%.1f", $1 / ($3 - $2)}')
    rg=$(echo "$N $t1 $t2" | awk '{printf "%.1f", $1 / ($3 - $2)}')
    echo "run $r: $rp messages/s accepted, $rg GET /health per second" >&2
    rates_post="$rates_post $rp"
    rates_get="$rates_get $rg"
    r=$((r + 1))
done

median() { echo "$@" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mp=$(median $rates_post)
mg=$(median $rates_get)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
echo "messages: $N signed CEB303 (rsa-sha256), $PAR parallel curl transfers over TLS, $RUNS runs"
echo "accepted (verify + validate + store): median $mp messages/s  (runs:$rates_post)"
echo "reference GET /health, same client:   median $mg requests/s  (runs:$rates_get)"
echo "ratio: $(echo "$mp $mg" | awk '{printf "%.2f", $1 / $2}') of the transport ceiling"
