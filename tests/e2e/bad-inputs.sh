#!/bin/sh
# bad-inputs.sh - every hostile input of tests/data/bad/ gets exactly its expected clear error
# (tests/data/bad/README.md: which command, what NAME.expect holds). Nothing crashes, nothing
# is half-taken; under the sanitizer build this runs with ASan and UBSan.
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"

B="$CG_TESTDATA/bad"
O="$CG_TESTDATA/mapping/own/orders.csv"
# map builds and validates each order's messages as run would: the seller's codes and the
# declaring enterprise are set, so only the hostile input can fail
cat >"$T/map.conf" <<CONF
[seller]
$(cat "$CG_TESTDATA/e2e/seller-codes.ini")
catalog = $CG_TESTDATA/mapping/catalog.csv
shipments = $CG_TESTDATA/mapping/shipments.csv
pod = LAX
[declare]
cop_code = 3301960001
cop_name = Acme Export
dxp_id = DXPENT0000000001
CONF

# compare CASE GOT-FILE WANT-FILE
compare() {
    if cmp -s "$2" "$3"; then ok "$1"; else
        fail "$1"
        diff "$3" "$2" | head -20 | sed 's/^/  /'
    fi
}

# one KIND FILE COMMAND...: run in the kind's folder; exit status and output against FILE.expect
one() {
    kind=$1 f=$2
    shift 2
    (cd "$B/$kind" && "$@") >"$T/stdout" 2>"$T/stderr"
    echo "exit $?" >"$T/got"
    if [ "$kind" = signed ]; then cat "$T/stdout" "$T/stderr" >>"$T/got"; else cat "$T/stderr" >>"$T/got"; fi
    compare "$kind/$f" "$T/got" "$B/$kind/$f.expect"
}

n=0
for p in "$B"/orders/* "$B"/catalog/* "$B"/shipments/* "$B"/profiles/* "$B"/config/* "$B"/signed/*; do
    case $p in *.expect) continue ;; esac
    f=$(basename "$p")
    kind=$(basename "$(dirname "$p")")
    n=$((n + 1))
    case $kind in
    orders)
        prof=own
        case $f in *.jsonl) prof=jsonl ;; esac
        one orders "$f" "$CEBGATE" -c "$T/map.conf" map --profile "$prof" "$f" ;;
    catalog) one catalog "$f" "$CEBGATE" -c "$T/map.conf" map --catalog "$f" --profile own "$O" ;;
    shipments) one shipments "$f" "$CEBGATE" -c "$T/map.conf" map --shipments "$f" --profile own "$O" ;;
    profiles) one profiles "$f" "$CEBGATE" -c "$T/map.conf" map --profile "./$f" "$O" ;;
    config) one config "$f" "$CEBGATE" -c "$f" config ;;
    signed) one signed "$f" "$CEBGATE" verify "$f" ;;
    esac
done

# Receipts: all dropped into one working directory's inbox/, then one run.
W=$T/w
mkdir -p "$W/inbox"
cat >"$W/cebgate.conf" <<CONF
[general]
workdir = .
[seller]
$(cat "$CG_TESTDATA/e2e/seller-codes.ini")
catalog = $CG_TESTDATA/mapping/catalog.csv
CONF
nr=0
for p in "$B"/receipts/*; do
    case $p in *.expect) continue ;; esac
    cp "$p" "$W/inbox/"
    nr=$((nr + 1))
done
expect_rc 1 "a run with only unreadable receipts exits 1" "$CEBGATE" -c "$W/cebgate.conf" run
check "every hostile receipt counted unreadable" grep -q "0 applied, .* $nr unreadable files" "$T/out"
for p in "$B"/receipts/*; do
    case $p in *.expect) continue ;; esac
    f=$(basename "$p")
    n=$((n + 1))
    if [ -f "$W/failed/inbox/$f" ] && cmp -s "$p" "$W/failed/inbox/$f"; then
        compare "receipts/$f" "$W/failed/inbox/$f.reason" "$p.expect"
    else
        fail "receipts/$f: not kept unchanged in failed/inbox/"
    fi
done
check "every case has its .expect" [ "$(find "$B" -name '*.expect' | wc -l)" -eq "$n" ]
finish
