#!/bin/sh
# refund-sellers.sh - two sellers of one working directory with the same order number: acme's
# order 1001 is collected in settle/, b2b's order 1001 is not. A unit follows its own seller's
# order ("SELLER/NO" in `report fx orders`) when the items file names the seller; a unit that
# knows only the number, when that number belongs to several sellers, is left as it is with an
# event and a note in `report refund units` saying how to resolve it; a number of one seller
# only is matched by the number, as before. Units (9710, 100 mugs, invoice CNY 6,500.00, rate
# 9 %) all cleared and invoiced, so only the collection decides READY:
#   S1 acme/1001 (seller given)   collected: READY
#   S2 b2b/1001 (seller given)    not collected: WAIT_DOCS, missing collection
#   S3 1001 (no seller)           ambiguous: left WAIT_DOCS; `refund collected` resolves it
#   S4 1002 (no seller, acme's only order 1002): READY
#   S5 1001 (no seller)           ambiguous; the items file again with its seller resolves it
# b2b's order 1001 reversed while S2 and S5 are pre-checked in a batch not filed yet takes them
# out of it (its files written again) to wait for the proceeds.
. "${CG_SRCDIR:-.}/tests/e2e/refund-lib.sh"

ACCT=CN1200000000000000000001
{
    echo "$RATES_H"
    echo "6912000000,2025-01-01,,9,13,"
} >"$T/rates.csv"
expect_rc 0 "refund rates loaded" cg refund rates "$T/rates.csv"

S1=310120250000000011/1
S2=310120250000000012/1
S3=310120250000000013/1
S4=310120250000000014/1
S5=310120250000000015/1
# entry ENTRY-NO ORDER: a 9710 item of 100 mugs, cleared on 2025-05-12
entry() {
    echo "31012025000000001$1,1,9710,,2025-05-10,6912000000,Mug,350ml,pcs,100,7100.00,,,$2,2025-05-12,"
}
{
    echo "$ENTRIES_H,seller"
    echo "$(entry 1 1001),acme"
    echo "$(entry 2 1001),b2b"
    echo "$(entry 3 1001),"
    echo "$(entry 4 1002),"
} >"$T/entries.csv"
{
    echo "$ENTRIES_H"
    entry 5 1001
} >"$T/entries-old.csv"
{
    echo "$INVOICES_H"
    for n in 1 2 3 4 5; do
        echo "3100251130,0002234$n,1,2025-05-20,91310000MA1FL0XX1X,Mug,350ml,pcs,100,6500.00,13,845.00,"
    done
} >"$T/invoices.csv"
expect_rc 0 "declaration items imported, with a seller column" \
    cg refund entries "$T/entries.csv" --as-of 2025-05-12
expect_rc 0 "declaration items imported, without one" \
    cg refund entries "$T/entries-old.csv" --as-of 2025-05-12
expect_rc 0 "invoices imported and matched" cg refund invoices "$T/invoices.csv" --as-of 2025-05-21

H=order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight
{
    echo "$H"
    echo "1001,USD,US,USNY,0.00,MUG-1,Mug,100,10.00,3120980105,SF Express,SF0000000000101,40"
    echo "1002,USD,US,USNY,0.00,MUG-1,Mug,100,10.00,3120980105,SF Express,SF0000000000102,40"
} >"$W/incoming/acme/orders.csv"
{
    echo "$H"
    echo "1001,USD,US,USNY,0.00,MUG-1,Mug,100,10.00,3120980105,SF Express,SF0000000000201,40"
} >"$W/incoming/b2b/orders.csv"
expect_rc 0 "orders declared" cg run
release 2025-05-10 1001 1002
expect_rc 0 "orders released" cg run
{
    echo "A1001-IN-1;CRDT;USD;1000.00;2025-05-28;2025-05-28;1001;1001 GOODS;GLOBAL BUYER INC"
    echo "A1002-IN-1;CRDT;USD;1000.00;2025-05-28;2025-05-28;1002;1002 GOODS;GLOBAL BUYER INC"
} | $SHELPER camt053 "$T/in.xml" $ACCT STMT-2025-05-28
expect_rc 0 "acme's orders 1001 and 1002 collected" cg settle import "$T/in.xml" --seller acme
cg report fx orders --as-of 2025-06-01 --format csv >"$T/fx.csv"
check "settle: acme/1001 COLLECTED, b2b/1001 AWAITING" \
    [ "$(csv_cell "$T/fx.csv" acme/1001 state) $(csv_cell "$T/fx.csv" b2b/1001 state)" = "COLLECTED AWAITING" ]

expect_rc 0 "collections taken from settle" cg refund sync --as-of 2025-06-01
cp "$T/out" "$T/sync.out"
check "S1: acme's unit follows acme/1001: READY" [ "$(unit $S1 state)" = "READY" ]
check "S2: b2b's unit does not take acme's collection: WAIT_DOCS, missing collection" \
    [ "$(unit $S2 state) $(unit $S2 missing)" = "WAIT_DOCS collection" ]
check "S3: number of two sellers, no seller: left WAIT_DOCS" \
    [ "$(unit $S3 state) $(unit $S3 missing)" = "WAIT_DOCS collection" ]
check "S5: the same, for a unit of an items file without the seller column" \
    [ "$(unit $S5 state) $(unit $S5 missing)" = "WAIT_DOCS collection" ]
check "S4: number of one seller: matched by the number, READY" [ "$(unit $S4 state)" = "READY" ]
check "the sync counts 2 collected and 2 ambiguous" \
    grep -q "^2 units collected according to settle, 0 reversed, 2 not taken: order number of several sellers" "$T/sync.out"
check "units report: the order as matched" \
    [ "$(unit $S1 order) $(unit $S2 order) $(unit $S3 order) $(unit $S4 order)" = "acme/1001 b2b/1001 1001 1002" ]
check "units report: the note on S3 says why and how to resolve it" \
    sh -c "grep -F '$S3' '$T/units.csv' | grep 'order 1001 is in settle for sellers acme, b2b' | grep -q 'refund collected'"
check "units report: no note on S1, S2, S4" \
    [ "$(unit $S1 fx_note)$(unit $S2 fx_note)$(unit $S4 fx_note)" = "" ]
cg refund explain $S3 >"$T/explain.txt"
check "S3: an event says the order number is ambiguous" \
    grep -q "IMPORT settle: order 1001 is in settle for sellers acme, b2b" "$T/explain.txt"
expect_rc 0 "another sync" cg refund sync --as-of 2025-06-02
cg refund explain $S3 >"$T/explain2.txt"
check "S3: the note is recorded once" \
    [ "$(grep -c 'IMPORT settle: order 1001 is in settle for sellers' "$T/explain2.txt")" = 1 ]

# S3 resolved by hand, S5 by its seller given in a new items file
expect_rc 0 "S3: collection recorded by hand" \
    cg refund collected $S3 --note "acme/1001 paid, bank slip 77" --as-of 2025-06-02
check "S3: READY" [ "$(unit $S3 state)" = "READY" ]
{
    echo "$ENTRIES_H,seller"
    echo "$(entry 5 1001),b2b"
} >"$T/entries-s5.csv"
expect_rc 0 "S5: items file again, now with its seller" \
    cg refund entries "$T/entries-s5.csv" --as-of 2025-06-02
check "S5: the row counts as known" grep -q "1 row: 0 recorded, 1 known" "$T/out"
check "S5: seller b2b recorded, the note gone" \
    [ "$(unit $S5 order)|$(unit $S5 fx_note)" = "b2b/1001|" ]
cg refund explain $S5 >"$T/explain.txt"
check "S5: an event names the seller given" grep -q "seller b2b given by entries-s5.csv" "$T/explain.txt"
{
    echo "$ENTRIES_H,seller"
    echo "$(entry 5 1001),acme"
} >"$T/entries-s5b.csv"
expect_rc 1 "S5: another seller for it later is refused" \
    cg refund entries "$T/entries-s5b.csv" --as-of 2025-06-02
check "S5: the reason names the seller it has" grep -q "field seller: unit $S5 is of seller b2b, not acme" "$T/err"
{
    echo "$ENTRIES_H,seller"
    echo "$(entry 6 1001),acmee"
} >"$T/entries-typo.csv"
expect_rc 1 "a seller the configuration does not have is refused" \
    cg refund entries "$T/entries-typo.csv" --as-of 2025-06-02
check "the reason names the file, line, field and seller" \
    grep -q "entries-typo.csv:2: .*field seller: 'acmee' is not a seller of the configuration (no \[seller.acmee\] section)" "$T/err"
check "and nothing of the file is recorded" [ "$(unit 310120250000000016/1 state)" = "" ]
{
    echo "$ENTRIES_H,seller"
    printf '%s,acme\033[2J\n' "$(entry 6 1001)"
} >"$T/entries-esc.csv"
expect_rc 1 "a seller with an escape sequence in it is refused" \
    cg refund entries "$T/entries-esc.csv" --as-of 2025-06-02
check "the reason shows the escape sequence escaped" \
    grep -Fq "entries-esc.csv:2: field seller: 'acme\\x1B[2J' is not a seller of the configuration" "$T/err"
check "  and no escape character reaches the terminal" test "$(tr -d -c '\033' <"$T/err" | wc -c)" = 0

# b2b's order 1001 is collected: S2 and S5 follow it, nothing else moves
echo "B1001-IN-1;CRDT;USD;1000.00;2025-06-03;2025-06-03;1001;1001 GOODS;OTHER BUYER LTD" |
    $SHELPER camt053 "$T/in2.xml" $ACCT STMT-2025-06-03
expect_rc 0 "b2b's order 1001 collected" cg settle import "$T/in2.xml" --seller b2b
expect_rc 0 "sync" cg refund sync --as-of 2025-06-04
check "S2 and S5: READY" [ "$(unit $S2 state) $(unit $S5 state)" = "READY READY" ]
check "1 seller's collection: 2 units" grep -q "^2 units collected according to settle, 0 reversed, 0 not taken" "$T/out"

# acme's order 1001 reversed (the buyer refunded in full): S1 only, not b2b's S2 and S5
echo "A1001-RF-1;DBIT;USD;1000.00;2025-06-05;2025-06-05;1001;REFUND;" |
    $SHELPER camt053 "$T/rf.xml" $ACCT STMT-2025-06-05
expect_rc 0 "acme's buyer refund imported" cg settle import "$T/rf.xml" --seller acme
expect_rc 0 "sync" cg refund sync --as-of 2025-06-06
check "S1 waits for the proceeds again; S2, S5 stay READY" \
    [ "$(unit $S1 state) $(unit $S2 state) $(unit $S5 state)" = "WAIT_DOCS READY READY" ]
check "one reversal" grep -q "^0 units collected according to settle, 1 reversed" "$T/out"


# b2b's order 1001 reversed while S2 and S5 are in batch B1, pre-checked and not filed yet: they
# must not be filed on proceeds no longer collected (SETTLE-REFUND.md §2.b: READY needs the
# collection), so they wait for them again out of the batch, whose files are written again
expect_rc 0 "batch B1 of S2, S3, S4, S5" cg refund prepare --period 202506 --as-of 2025-06-07
check "  4 units, refund 4 x 585.00" grep -q "batch B1: 4 units, invoices CNY 26000.00, refund CNY 2340.00" "$T/out"
EXP=$(sed -n 2p "$T/out")
expect_rc 0 "B1 pre-checked" cg refund mark-prechecked B1 --date 2025-06-08
echo "B1001-RF-1;DBIT;USD;1000.00;2025-06-09;2025-06-09;1001;REFUND;" |
    $SHELPER camt053 "$T/rf2.xml" $ACCT STMT-2025-06-09
expect_rc 0 "b2b's buyer refund imported" cg settle import "$T/rf2.xml" --seller b2b
expect_rc 0 "sync" cg refund sync --as-of 2025-06-10
check "two reversals" grep -q "^0 units collected according to settle, 2 reversed" "$T/out"
check "S2 and S5 wait for the proceeds again, in no batch; S3, S4 PRECHECKED in B1" \
    [ "$(unit $S2 state)/$(unit $S2 period) $(unit $S5 state)/$(unit $S5 period) $(unit $S3 state)/$(unit $S3 period) $(unit $S4 state)/$(unit $S4 period)" = "WAIT_DOCS/ WAIT_DOCS/ PRECHECKED/202506 PRECHECKED/202506" ]
check "  missing: collection" [ "$(unit $S2 missing) $(unit $S5 missing)" = "collection collection" ]
check "B1's export detail lists S3 and S4 only, refund 1170.00" \
    [ "$(rows "$EXP") $(total "$EXP" refund_amount)" = "013 014 1170.00" ]
check "  B1: 2 units, refund 1170.00" [ "$(batch 1)" = "2 1170.00" ]
check "S2: the event says it left B1" explained $S2 \
    "PRECHECKED -> WAIT_DOCS  IMPORT settle: collection reversed: order b2b/1001 is AWAITING; out of batch B1, whose files were written again without it (3 units)"
expect_rc 0 "B1 filed" cg refund mark-filed B1 --date 2025-06-11
check "  S3 and S4 DECLARED, S2 and S5 not" \
    [ "$(unit $S3 state) $(unit $S4 state) $(unit $S2 state) $(unit $S5 state)" = "DECLARED DECLARED WAIT_DOCS WAIT_DOCS" ]

finish
