#!/bin/sh
# port-hostile.sh - does a valid sender keep its throughput while a hostile client attacks
# `cebgate port`? Loopback only, bounded (the load test itself about 10 s on 2 cores).
#
#   sh bench/port-hostile.sh [BUILD_DIR]   (default ./build)
#
#   BENCH_N            messages per kind of phase (default 600)
#   BENCH_PAR          the sender's transfers at a time (default 4)
#   BENCH_ROUNDS       rounds of a quiet and an attack phase (default 5)
#   BENCH_ATTACK       which attacks: flood,trickle,bomb (default all three)
#   BENCH_ATTACK_NICE  niceness of the attacking process (default 10)
#   BENCH_BOMB_PAUSE   seconds between two bombs (default 0.1)
#   BENCH_SIGNED=DIR   make the certificates and signed messages in DIR once and reuse them
#
# BENCH_ROUNDS rounds of two phases, alternating so that the machine's other load weighs on
# both: in the quiet phase the sender posts BENCH_N/BENCH_ROUNDS signed messages with curl
# (BENCH_PAR parallel transfers, its token from a header file); in the attack phase as many
# other messages while a hostile client keeps up to 300 bare TCP connections open from
# 127.0.0.2 (no TLS handshake, reopened when closed, at most every 0.2 s), trickles 20
# connections one byte a second from 127.0.0.3, and posts 1 MB bodies with 100,000 attributes
# on one element from 127.0.0.4 (as a registered sender, so they reach the checks; one at a
# time, BENCH_BOMB_PAUSE seconds apart).
# The attacker, the sender and the port share the machine's cores; the attacker runs niced, and
# the attack's real rate is measured and printed (flood connections/s, bombs/s), as is the CPU
# each party used in each kind of phase, and the load average each round.
# Printed: messages/s of both phases and their ratio, answers 200 and the documents in the
# port's database (every accepted message must be there), the attack's counts and rates, and
# the port's peak resident memory (VmHWM). Exit 1 when the attack phase falls below 80% of the
# quiet one, a message is lost, or memory passes 256 MB.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
CEBGATE=$build/cebgate
N=${BENCH_N:-600}
NICE=${BENCH_ATTACK_NICE:-10}
PAR=${BENCH_PAR:-4}
export CEBGATE_DATADIR="$top/data"
W=$(mktemp -d "${TMPDIR:-/tmp}/cg-bench-hostile.XXXXXX")
PID=""
HPID=""
trap '[ -n "$HPID" ] && kill "$HPID" 2>/dev/null; [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$W"' EXIT
cd "$W"
T0=$(date +%s)
# The certificates and the signed messages (not timed) are made in S: with BENCH_SIGNED=DIR they
# are made there once and reused by the next runs, so that a run is only the load test.
S=${BENCH_SIGNED:-$W}
mkdir -p "$S"
S=$(cd "$S" && pwd)
if [ ! -e "$S/ready.$N" ]; then
    cd "$S"
    rm -rf msgs

    q() { "$@" >/dev/null 2>&1; }
    q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 60 -subj "/CN=bench CA"
    issue() {
        q openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1"
        printf '%b\n' "$2" >"$1.ext"
        q openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" \
            -days 60 -extfile "$1.ext"
    }
    issue server "subjectAltName=IP:127.0.0.1"
    issue signer "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature"
    # the attacker's own registered signing certificate (it signs nothing here)
    issue evilsigner "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature"
    for s in good evil; do
        openssl rand -hex 24 >$s.token
        printf 'Authorization: Bearer %s\n' "$(cat $s.token)" >$s.hdr
    done
    printf '[declare]\nkey_file = %s/signer.key\ncert_file = %s/signer.pem\nsign_alg = rsa-sha256\n' \
        "$S" "$S" >sign.conf

    echo "signing $((2 * N)) messages ..." >&2
    mkdir msgs
    # each message: the test CEB303 with its own guid, copNo and orderNo, signed (two at a time)
    export CEBGATE top
    seq 1 $((2 * N)) | xargs -P 2 -n 1 sh -c '
        n=$(printf "%06d" "$1")
        sed -e "s/-000000000001\"/-000000$n\"/" -e "s/-0000000000A1</-00000B$n</" \
            -e "s/PORT-ORDER-0001/BENCH-ORDER-$n/" "$top/tests/data/port/CEB303Message.xml" >"m$n.xml"
        "$CEBGATE" -c sign.conf sign -o "msgs/$n.xml" "m$n.xml" 2>/dev/null && rm "m$n.xml"' sh
    [ "$(ls msgs | wc -l)" -eq $((2 * N)) ] || { echo "signing failed" >&2; exit 1; }

    touch "ready.$N"
    cd "$W"
fi
[ "$S" = "$W" ] || cp -R "$S/." "$W"
T1=$(date +%s)

cat >port.conf <<EOF
[port]
port = 0
tls_cert = server.pem
tls_key = server.key
trust = ca.pem
database = port.db
accept_ms = 3600000
release_ms = 3600000
close_ms = 3600000
max_body = 2097152
read_deadline = 5
[sender.good]
token_file = good.token
sign_cert = signer.pem
codes = 3301964J31
[sender.evil]
token_file = evil.token
sign_cert = evilsigner.pem
codes = 9999999999
EOF
"$CEBGATE" -q -c port.conf port --port-file port.num >/dev/null 2>port.err &
PID=$!
while [ ! -s port.num ]; do
    kill -0 "$PID" 2>/dev/null || { cat port.err >&2; PID=""; exit 1; }
    sleep 0.05
done
P=$(cat port.num)
URL="https://127.0.0.1:$P"

# mkcfg FIRST LAST: a curl config posting msgs FIRST..LAST
mkcfg() {
    : >post.cfg
    sep=""
    i=$1
    while [ $i -le $2 ]; do
        printf '%surl = "%s/messages"\ncacert = "ca.pem"\ndata-binary = "@msgs/%06d.xml"\nheader = "Content-Type: application/xml"\nheader = "@good.hdr"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
            "$sep" "$URL" "$i" >>post.cfg
        sep="next
"
        i=$((i + 1))
    done
}
now() { date +%s.%N; }
# ticks PID: CPU time (user + system) the process has used so far, in 1/100 s
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# phase KIND FIRST LAST: posts messages FIRST..LAST; appends "KIND messages seconds sender-CPU
# port-CPU attacker-CPU" (CPU in seconds, during the phase) to phases.txt, answers to codes.txt
phase() {
    mkcfg "$2" "$3"
    p0=$(ticks "$PID")
    h0=$(ticks "$HPID")
    t0=$(now)
    sh -c 'curl -sS --no-progress-meter --parallel --parallel-max "$1" -K post.cfg >>codes.txt
           times >curl.times' sh "$PAR"
    awk 'NR == 2 { gsub(/[ms]/, " "); print $1 * 60 + $2 + $3 * 60 + $4 }' curl.times >curl.cpu
    t1=$(now)
    echo "$1 $(($3 - $2 + 1)) $t0 $t1 $(cat curl.cpu) $p0 $(ticks "$PID") $h0 $(ticks "$HPID")" |
        awk '{printf "%s %d %.3f %.2f %.2f %.2f\n", $1, $2, $4 - $3, $5, ($7 - $6) / 100, ($9 - $8) / 100}' \
            >>phases.txt
}

: >codes.txt
touch attack.pause
nice -n "$NICE" python3 - "$P" >attack.txt 2>&1 <<'EOF' &
import os, resource, socket, ssl, sys, threading, time
port = int(sys.argv[1])
stop = time.time() + 600
counts = {"flood_opened": 0, "trickles": 0, "bombs": 0, "bomb_codes": {}}
lock = threading.Lock()
def src(addr):
    s = socket.socket()
    s.bind((addr, 0))
    return s
def paused():
    while os.path.exists("attack.pause") and not os.path.exists("attack.stop"):
        time.sleep(0.05)
def flood():
    held = []
    while time.time() < stop and not os.path.exists("attack.stop"):
        if os.path.exists("attack.pause"):
            for s in held:
                s.close()
            held = []
            paused()
        held = [s for s in held if s.fileno() >= 0]
        while len(held) < 300:
            s = src("127.0.0.2")
            s.settimeout(1)
            try:
                s.connect(("127.0.0.1", port))
            except OSError:
                s.close()
                break
            held.append(s)
            with lock:
                counts["flood_opened"] += 1
        alive = []
        for s in held:
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    s.close()
                    continue
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                continue
            alive.append(s)
        held = alive
        time.sleep(0.2)
def trickle():
    while time.time() < stop and not os.path.exists("attack.stop"):
        s = src("127.0.0.3")
        try:
            s.connect(("127.0.0.1", port))
            with lock:
                counts["trickles"] += 1
            while not os.path.exists("attack.stop") and not os.path.exists("attack.pause"):
                s.send(b"\x16")
                time.sleep(1)
        except OSError:
            pass
        s.close()
        paused()
tok = open("evil.token").read().strip()
BOMB_PAUSE = float(os.environ.get("BENCH_BOMB_PAUSE", "0.1"))
body = b"<e " + b" ".join(b'a%d="1"' % i for i in range(100000)) + b"/>"
def bomb():
    ctx = ssl.create_default_context(cafile="ca.pem")
    while time.time() < stop and not os.path.exists("attack.stop"):
        paused()
        try:
            s = ctx.wrap_socket(src("127.0.0.4"), server_hostname="127.0.0.1")
            s.connect(("127.0.0.1", port))
            s.sendall(b"POST /messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                      tok.encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            data = b""
            while b'"code":"' not in data or not data.endswith(b"}"):
                b = s.recv(4096)
                if not b:
                    break
                data += b
            code = data.split(b'"code":"')[1][:4].decode() if b'"code":"' in data else "?"
            with lock:
                counts["bombs"] += 1
                counts["bomb_codes"][code] = counts["bomb_codes"].get(code, 0) + 1
            s.close()
            time.sleep(BOMB_PAUSE)
        except OSError:
            time.sleep(0.05)
kinds = os.environ.get("BENCH_ATTACK", "flood,trickle,bomb").split(",")
ts = [threading.Thread(target=flood, daemon=True)] if "flood" in kinds else []
ts += [threading.Thread(target=trickle, daemon=True) for _ in range(20)] if "trickle" in kinds else []
ts += [threading.Thread(target=bomb, daemon=True)] if "bomb" in kinds else []
for t in ts:
    t.start()
open("attack.ready", "w").close()
while not os.path.exists("attack.stop"):
    time.sleep(0.1)
time.sleep(0.5)
ru = resource.getrusage(resource.RUSAGE_SELF)
print("flood connections opened %d, trickling connections %d, bombs posted %d, bomb answers %s; "
      "the attacker used %.1f s of CPU"
      % (counts["flood_opened"], counts["trickles"], counts["bombs"], counts["bomb_codes"],
         ru.ru_utime + ru.ru_stime))
EOF
HPID=$!
while [ ! -e attack.ready ]; do sleep 0.1; done
# ROUNDS rounds of a quiet phase and an attack phase of N/ROUNDS messages each, alternating, so
# that the machine's other load weighs on both alike; the attack gets 0.5 s to reach its
# strength (the flood is at its 300 connections within 0.2 s, the trickles and bombs start at
# once)
ROUNDS=${BENCH_ROUNDS:-5}
M=$((N / ROUNDS))
: >phases.txt
attack_s=0
k=0
while [ $k -lt $ROUNDS ]; do
    first=$((2 * k * M + 1))
    echo "round $((k + 1)): load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    phase quiet $first $((first + M - 1))
    a0=$(now)
    rm -f attack.pause
    sleep 0.5
    phase attack $((first + M)) $((first + 2 * M - 1))
    touch attack.pause
    attack_s=$(echo "$attack_s $a0 $(now)" | awk '{printf "%.3f", $1 + $3 - $2}')
    tail -n 2 phases.txt | awk '{printf "  %-6s %6.1f messages/s\n", $1, $2 / $3}' >&2
    k=$((k + 1))
done
N=$((ROUNDS * M))
# per kind of phase: messages over the summed times, CPU summed
sum() { awk -v k="$1" -v f="$2" '$1 == k { s += $f } END { printf "%.2f", s }' phases.txt; }
quiet=$(echo "$N $(sum quiet 3)" | awk '{printf "%.1f", $1 / $2}')
attack=$(echo "$N $(sum attack 3)" | awk '{printf "%.1f", $1 / $2}')
peak=$(awk '/^VmHWM/ {print $2}' /proc/$PID/status)
port_cpu=$(awk '{printf "%.1f", ($14 + $15) / 100}' /proc/$PID/stat)
touch attack.stop
wait "$HPID" || true
HPID=""
kill "$PID"
wait "$PID" || true
PID=""

ok=$(grep -c '^200$' codes.txt || true)
docs=$("$CEBGATE" -c port.conf port --documents | wc -l)
ratio=$(echo "$attack $quiet" | awk '{printf "%.2f", $1 / $2}')
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "sender: $N signed CEB303 per kind of phase, $PAR parallel curl transfers over TLS"
echo "quiet:  $quiet messages/s in $(sum quiet 3) s; CPU: sender $(sum quiet 4) s, port $(sum quiet 5) s"
echo "attack: $attack messages/s in $(sum attack 3) s; CPU: sender $(sum attack 4) s, port $(sum attack 5) s, attacker $(sum attack 6) s (nice $NICE)"
echo "ratio attack / quiet: $ratio"
echo "attack ($attack_s s in all, 0.5 s lead-in per round included): $(cat attack.txt)" |
    awk -v s="$attack_s" '{ print; for (i = 1; i <= NF; i++) { if ($i == "opened") f = $(i + 1); if ($i == "posted") b = $(i + 1) }
        printf "attack rate: %.0f flood connections/s, %.1f bombs/s (%.1f MB/s)\n", f / s, b / s, b * 1.09 / s }'
echo "answers 200: $ok of $((2 * N)); documents in the port's database: $docs"
echo "port peak resident memory (VmHWM): $((peak / 1024)) MB; port CPU time in all $port_cpu s"
echo "wall time: $(($(date +%s) - T0)) s, of which the load test (port start to stop) $(($(date +%s) - T1)) s"
fail=0
[ "$ok" -eq $((2 * N)) ] && [ "$docs" -eq $((2 * N)) ] || { echo "FAIL: messages lost" >&2; fail=1; }
awk -v r="$ratio" 'BEGIN { exit !(r >= 0.8) }' || { echo "FAIL: below 80% under attack" >&2; fail=1; }
[ "$peak" -lt 262144 ] || { echo "FAIL: more than 256 MB" >&2; fail=1; }
exit $fail
