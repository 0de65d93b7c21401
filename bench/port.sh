#!/bin/sh
# port.sh - messages per second `cebgate port` accepts (TLS, signature verification, schema
# validation, business rules, SQLite store, status-2 receipt) with the sender on the same
# machine: curl with BENCH_PAR parallel transfers over reused TLS connections.
#
#   sh bench/port.sh [BUILD_DIR]       (default ./build)
#
#   BENCH_N           messages per run (default 1000)
#   BENCH_RUNS        runs per parallelism (default 3)
#   BENCH_PAR         curl transfers at a time; a list ("1 4 16 64") measures each (default 16)
#   BENCH_SIGNED=DIR  make the certificates and signed messages in DIR once and reuse them
#   BENCH_PERF=FILE   record the port of the last run with `perf record -g` into FILE
#
# Reference measured in the same run: GET /health with the same client and parallelism, i.e.
# what the HTTP/TLS transport and the client manage without any message work. The ratio says
# how much of that ceiling the checks leave. Each run starts a fresh port database, and the
# accepted and reference phases alternate run by run, so that the machine's other load weighs
# on both. Besides the port's CPU time per accepted message (from /proc) it prints how much of it
# the writer thread took (the one thread that stores messages, named port-writer), curl's CPU
# time (user + system, /usr/bin/time): sender and port share the two CPUs, so both bound the
# rate; and the median time from a message sent to its answer's first byte, as curl saw it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
CEBGATE=$build/cebgate
N=${BENCH_N:-1000}
RUNS=${BENCH_RUNS:-3}
PARS=${BENCH_PAR:-16}
export CEBGATE_DATADIR="$top/data"
W=$(mktemp -d "${TMPDIR:-/tmp}/cg-bench-port.XXXXXX")
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$W"' EXIT
S=${BENCH_SIGNED:-$W}
mkdir -p "$S"
S=$(cd "$S" && pwd)

# The certificates and the signed messages (not timed), made once per S.
if [ ! -e "$S/ready.$N" ]; then
    cd "$S"
    rm -rf msgs
    openssl req -x509 -newkey rsa:2048 -nodes -keyout server.key -out server.pem -days 60 \
        -subj "/CN=bench port" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -keyout signer.key -out signer.pem -days 60 \
        -subj "/CN=bench signer" -addext basicConstraints=critical,CA:FALSE 2>/dev/null
    openssl rand -hex 24 >bench.token
    printf 'Authorization: Bearer %s\n' "$(cat bench.token)" >auth.hdr
    printf '[declare]\nkey_file = %s/signer.key\ncert_file = %s/signer.pem\nsign_alg = rsa-sha256\n' \
        "$S" "$S" >sign.conf
    echo "signing $N messages ..." >&2
    mkdir msgs
    i=1
    while [ $i -le "$N" ]; do
        n=$(printf '%06d' $i)
        sed -e "s/-000000000001\"/-000000$n\"/" -e "s/-0000000000A1</-00000B$n</" \
            -e "s/PORT-ORDER-0001/BENCH-ORDER-$n/" "$top/tests/data/port/CEB303Message.xml" >m.xml
        "$CEBGATE" -q -c sign.conf sign -o "msgs/$n.xml" m.xml
        i=$((i + 1))
    done
    rm -f m.xml
    touch "ready.$N"
fi
cd "$W"
cp "$S/server.pem" "$S/server.key" "$S/signer.pem" "$S/bench.token" "$S/auth.hdr" .

cat >port.conf <<EOF2
[port]
port = 0
tls_cert = server.pem
tls_key = server.key
trust = signer.pem
database = port.db
accept_ms = 3600000
release_ms = 3600000
close_ms = 3600000
max_per_client = 128
[sender.bench]
token_file = bench.token
sign_cert = signer.pem
codes = 3301964J31
EOF2

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
cpu_of() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"; }
# writer_of PID: CPU seconds of the port's writer thread (named port-writer)
writer_of() {
    for t in /proc/"$1"/task/*; do
        if [ "$(cat "$t/comm")" = port-writer ]; then
            awk '{printf "%.2f", ($14 + $15) / 100}' "$t/stat"
        fi
    done
}

# curl config: one POST per message, or N GETs of /health
# (options after "next" are per transfer, so each block names the CA; no "next" after the last)
mkcfg() {
    : >post.cfg
    : >get.cfg
    sep=""
    for f in "$S"/msgs/*.xml; do
        printf '%surl = "%s/messages"\ncacert = "server.pem"\ndata-binary = "@%s"\nheader = "Content-Type: application/xml"\nheader = "@auth.hdr"\noutput = "last-answer.json"\nwrite-out = "%%{http_code} %%{time_pretransfer} %%{time_starttransfer}\\n"\n' \
            "$sep" "$URL" "$f" >>post.cfg
        printf '%surl = "%s/health"\ncacert = "server.pem"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
            "$sep" "$URL" >>get.cfg
        sep="next
"
    done
}

post() {
    t0=$(now)
    /usr/bin/time -o curl.cpu -f '%U %S' \
        curl -sS --no-progress-meter --parallel --parallel-max "$1" -K post.cfg >codes.txt
    t1=$(now)
    rp=$(echo "$N $t0 $t1" | awk '{printf "%.1f", $1 / ($3 - $2)}')
    cc=$(awk -v n="$N" '{printf "%.3f", ($1 + $2) * 1000 / n}' curl.cpu)
}
health() {
    t0=$(now)
    curl -sS --no-progress-meter --parallel --parallel-max "$1" -K get.cfg >/dev/null
    t1=$(now)
    rg=$(echo "$N $t0 $t1" | awk '{printf "%.1f", $1 / ($3 - $2)}')
}
median() { echo "$@" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "messages: $N signed CEB303 (rsa-sha256), curl over TLS, $RUNS runs per parallelism"
echo "senders  accepted/s (median)  GET /health/s (median)  ratio  port CPU ms/message  of it writer  curl CPU ms/message  answer ms (median)  runs accepted | health"
for PAR in $PARS; do
    rates_post=""
    rates_get=""
    cpus=""
    wcpus=""
    ccpus=""
    lats=""
    r=1
    while [ $r -le "$RUNS" ]; do
        start
        mkcfg
        PERFPID=""
        if [ -n "${BENCH_PERF:-}" ] && [ $r -eq "$RUNS" ]; then
            perf record -q -F 999 --call-graph dwarf,16384 -o "$BENCH_PERF" -p "$PID" 2>/dev/null &
            PERFPID=$!
            sleep 0.5
        fi
        c0=$(cpu_of "$PID")
        # alternate which phase goes first, so that a change of the machine's load during a
        # run does not always favour the same one
        w0=$(writer_of "$PID")
        if [ $((r % 2)) -eq 1 ]; then
            post "$PAR"
            c1=$(cpu_of "$PID")
            w1=$(writer_of "$PID")
            health "$PAR"
        else
            health "$PAR"
            c0=$(cpu_of "$PID")
            w0=$(writer_of "$PID")
            post "$PAR"
            c1=$(cpu_of "$PID")
            w1=$(writer_of "$PID")
        fi
        [ -n "$PERFPID" ] && { kill -INT "$PERFPID"; wait "$PERFPID" || true; }
        stop
        ok=$(grep -c '^200 ' codes.txt || true)
        acc=$("$CEBGATE" -c port.conf port --stats | awk '/^accepted  /{print $2}')
        [ "$ok" -eq "$N" ] && [ "$acc" -eq "$N" ] || {
            echo "run $r: only $ok answers 200 and $acc accepted of $N; answers:" >&2
            cut -d' ' -f1 codes.txt | sort | uniq -c >&2
            cat last-answer.json >&2
            exit 1
        }
        echo "  $PAR senders, run $r: $rp messages/s accepted, $rg GET /health per second; curl CPU $cc ms/message" >&2
        rates_post="$rates_post $rp"
        rates_get="$rates_get $rg"
        cpus="$cpus $(echo "$c0 $c1 $N" | awk '{printf "%.3f", ($2 - $1) * 1000 / $3}')"
        wcpus="$wcpus $(echo "$w0 $w1 $N" | awk '{printf "%.3f", ($2 - $1) * 1000 / $3}')"
        ccpus="$ccpus $cc"
        # time from the request sent to the answer's first byte, as curl saw it
        lats="$lats $(awk '{print ($3 - $2) * 1000}' codes.txt | sort -n |
            awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]}')"
        r=$((r + 1))
    done
    mp=$(median $rates_post)
    mg=$(median $rates_get)
    printf '%7s  %20s  %22s  %5s  %19s  %12s  %19s  %18s  %s |%s\n' "$PAR" "$mp" "$mg" \
        "$(echo "$mp $mg" | awk '{printf "%.2f", $1 / $2}')" "$(median $cpus)" \
        "$(median $wcpus)" "$(median $ccpus)" "$(median $lats)" "$rates_post" "$rates_get"
done
