#!/bin/sh
# settle-mt940.sh - SWIFT MT940 bank statements (docs/collections-format.md, "MT940"): recognised
# by their content, with or without the SWIFT envelope, whatever their name; each :61: line an
# entry of the account known by the bank's reference, matched to orders by the references of
# the line and its :86: text, as camt.053 entries are; the /CHGS/ of the supplementary details
# the fee. A statement whose opening balance and lines do not give its closing balance is
# refused with file, line, field and both figures, and nothing of it is recorded. A statement
# may be split over several :20: blocks. The same file again, or the same entries in another
# file, record nothing new. The import's summary says 1 entry, 1 receipt, 1 allocation, 1 debit
# and 2 entries, 2 receipts, 2 allocations, 2 debits.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no/' "$W/cebgate.conf"

H=order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight
line() { echo "$1,USD,US,USNY,0.00,TS-001,T-shirt,1,$2,3120980105,SF Express,SF00000000040$3,1"; }
{
    echo "$H"
    line M1 30.00 01
    line M2 45.50 02
    line M3 20.00 03
    line M4 50.00 04
} >"$W/incoming/acme/orders.csv"
expect_rc 0 "orders declared" cg run
release 2025-07-01 M1 M2 M3 M4
expect_rc 0 "receipts release the inventories" cg run
orders() { cg report fx orders --as-of 2025-07-20 --format csv >"$T/orders.csv"; }
col() { csv_cell "$T/orders.csv" "acme/$1" "$2"; }
receipts() { sql "SELECT count(*) FROM fx_receipt"; }

# ---- a day's statement in the SWIFT envelope, CRLF lines: M1 paid with USD 1.50 of charges
# (30.00 sent, 28.50 booked), M2 named on the second line of its :86:, the bank's service
# charge, M3 paid and partly refunded. 1000.00 + 28.50 + 45.50 - 5.00 + 20.00 - 8.00 = 1081.00.
crlf() { sed 's/$/\r/'; }
crlf >"$T/hsbc-0712.sta" <<'EOT'
{1:F01HSBCHKHHAXXX0000000000}{2:O9401200250712HSBCHKHHAXXX00000000002507121200N}{4:
:20:ST250712
:25:HSBCHKHH/400123456838
:28C:101/1
:60F:C250709USD1000,00
:61:2507100710CD28,50NTRFM1-PAY//HK250710001
/OCMT/USD30,00/ /CHGS/USD1,50/
:86:/ORDP/BUYER ONE/REMI/ORDER M1
:61:250710CD45,50NTRFNONREF//HK250710002
:86:PAYMENT FOR ORDERS
M2 THANK YOU
:61:2507110712D5,00NMSCNONREF//HK250711003
:86:SERVICE CHARGE JULY
:61:2507110711CD20,00NTRFNONREF//HK250711004
:86:ORDER M3
:61:250712DD8,00NTRFRF-M3//HK250712005
:86:REFUND TO BUYER ORDER M3
:62F:C250712USD1081,00
:64:C250712USD1081,00
-}
EOT
expect_rc 0 "the MT940 statement is imported" cg settle import "$T/hsbc-0712.sta"
check "read as MT940: 5 entries, 5 receipts recorded" \
    grep -q 'hsbc-0712.sta: MT940, 5 entries: 5 receipts recorded, 0 known from another file' "$T/out"
check "each :61: an entry: direction, gross, fee, net, entry date, value date" \
    [ "$(sql "SELECT group_concat(direction || '/' || gross || '/' || fee || '/' || net || '/' || booked_on || '/' || value_on, ' ') FROM (SELECT * FROM fx_receipt ORDER BY id)")" = \
    "in/3000/150/2850/2025-07-10/2025-07-10 in/4550/0/4550/2025-07-10/2025-07-10 out/500/0/500/2025-07-12/2025-07-11 in/2000/0/2000/2025-07-11/2025-07-11 out/800/0/800/2025-07-12/2025-07-12" ]
check "an entry is the account's, known by the bank's reference" \
    [ "$(sql "SELECT entry_key FROM fx_receipt ORDER BY id LIMIT 1")" = "camt::HSBCHKHH/400123456838:HK250710001" ]
check "the statement recorded as mt940 with its :20:" \
    [ "$(sql "SELECT kind || ' ' || stmt_id || ' ' || entries FROM fx_statement")" = "mt940 ST250712 5" ]
orders
check "M1 30.00 collected (28.50 booked and 1.50 of charges), COLLECTED" \
    [ "$(col M1 collected) $(col M1 state)" = "30.00 COLLECTED" ]
check "M2 45.50 COLLECTED, named on the :86:'s second line" \
    [ "$(col M2 collected) $(col M2 state)" = "45.50 COLLECTED" ]
check "M3 20.00 - 8.00 refunded = 12.00, PARTIAL" [ "$(col M3 collected) $(col M3 state)" = "12.00 PARTIAL" ]
check "M4 0.00, AWAITING" [ "$(col M4 collected) $(col M4 state)" = "0.00 AWAITING" ]
cg report fx settlement --format csv >"$T/held.csv"
check "USD received 28.50 + 45.50 + 20.00 = 94.00, paid out 13.00, held 81.00" \
    [ "$(csv_cell "$T/held.csv" USD received) $(csv_cell "$T/held.csv" USD paid_out) $(csv_cell "$T/held.csv" USD held)" = "94.00 13.00 81.00" ]

# ---- the same file again, and the same statement with other line ends: nothing new
expect_rc 0 "the same file again" cg settle import "$T/hsbc-0712.sta"
check "imported before, nothing to do" grep -q 'hsbc-0712.sta: imported before, nothing to do' "$T/out"
tr -d '\r' <"$T/hsbc-0712.sta" >"$T/hsbc-0712-lf.sta"
expect_rc 0 "the statement downloaded again (LF lines)" cg settle import "$T/hsbc-0712-lf.sta"
check "its 5 entries known, none recorded" \
    grep -q 'MT940, 5 entries: 0 receipts recorded, 5 known from another file' "$T/out"
check "still 5 receipts" [ "$(receipts)" -eq 5 ]

# ---- a statement that does not balance: refused whole, the closing balance's line named
sed -e 's/HK2507/HX2507/' -e 's/^:62F:C250712USD1081,00/:62F:C250712USD1082,00/' \
    "$T/hsbc-0712-lf.sta" >"$T/unbalanced.sta"
L62=$(grep -n '^:62F:' "$T/unbalanced.sta" | cut -d: -f1)
expect_rc 1 "an unbalanced statement is refused" cg settle import "$T/unbalanced.sta"
check "file, line, field and both figures" grep -qx \
    "$T/unbalanced.sta:$L62: entry ST250712: field 62F: opening balance C 1000.00 plus the lines' 81.00 gives C 1081.00, the closing balance is C 1082.00" "$T/err"
check "nothing imported" grep -qx "cebgate: $T/unbalanced.sta: 1 bad entry; nothing imported" "$T/err"
check "none of its entries recorded" [ "$(receipts)" -eq 5 ]
# the same with a line of a type that is none as well: both in the same round, the line and the
# balance, the line's amount (28.50) counted in the balance as written
sed 's/NTRFM1-PAY/QTRFM1-PAY/' "$T/unbalanced.sta" >"$T/unbalanced-line.sta"
L61=$(grep -n 'QTRFM1-PAY' "$T/unbalanced-line.sta" | cut -d: -f1)
expect_rc 1 "an unbalanced statement with a bad line is refused" cg settle import "$T/unbalanced-line.sta"
check "  the line's problem" grep -qx \
    "$T/unbalanced-line.sta:$L61: entry -: field 61: 'QTRF' is not a transaction type: N, F or S and three letters or digits, as NTRF" "$T/err"
check "  and the balance's, in the same round" grep -qx \
    "$T/unbalanced-line.sta:$L62: entry ST250712: field 62F: opening balance C 1000.00 plus the lines' 81.00 gives C 1081.00, the closing balance is C 1082.00" "$T/err"
check "  two bad entries" grep -qx "cebgate: $T/unbalanced-line.sta: 2 bad entries; nothing imported" "$T/err"

# ---- a statement over two :20: blocks (an intermediate :62M: and :60M:), no envelope, dropped
# into acme's incoming/ under a name that says nothing: recognised by its content
cat >"$W/incoming/acme/hsbc-0715.txt" <<'EOT'
:20:ST250715
:25:HSBCHKHH/400123456838
:28C:102/1
:60F:C250714USD1081,00
:61:2507150715CD30,00NTRFNONREF//HK250715001
:86:ORDER M4 FIRST PART
:62M:C250715USD1111,00
:20:ST250715
:25:HSBCHKHH/400123456838
:28C:102/2
:60M:C250715USD1111,00
:61:250715CD20,00NTRFNONREF//HK250715002
:86:ORDER M4 REST
:62F:C250715USD1131,00
-
EOT
expect_rc 0 "run takes the statement in incoming/acme/" cg run
check "both blocks' lines recorded for acme" \
    [ "$(sql "SELECT group_concat(seller || '/' || net, ' ') FROM (SELECT * FROM fx_receipt WHERE entry_key LIKE '%:HK250715%' ORDER BY id)")" = "acme/3000 acme/2000" ]
check "the statement is in done/acme/" [ -f "$W/done/acme/hsbc-0715.txt" ]
orders
check "M4 30.00 + 20.00 = 50.00 COLLECTED" [ "$(col M4 collected) $(col M4 state)" = "50.00 COLLECTED" ]

# ---- bad lines: each named with its line and field; nothing of the file recorded
cat >"$T/bad.sta" <<'EOT'
:20:ST250716
:25:HSBCHKHH/400123456838
:28C:103/1
:60F:C250715USD1131,00
:61:250716CD1,005NTRFNONREF//HK250716001
:61:250716XD2,00NTRFNONREF//HK250716002
:61:250716CD3,00NTRFNONREF//HK250716003
:61:250716CD4,00NTRFNONREF//HK250716003
:62F:C250716USD1138,00
-
EOT
expect_rc 1 "a statement with bad lines is refused" cg settle import "$T/bad.sta"
check "three decimals in USD" \
    grep -qx "$T/bad.sta:5: entry HK250716001: field 61: '1,005' has more than 2 decimals for USD" "$T/err"
check "an unknown debit/credit mark" \
    grep -qx "$T/bad.sta:6: entry -: field 61: debit/credit mark 'XD' is none of C, D, RC (reversal of a credit) and RD (reversal of a debit)" "$T/err"
check "a bank reference twice" \
    grep -qx "$T/bad.sta:8: entry HK250716003: field 61: the same bank reference appears again (line 7)" "$T/err"
check "nothing recorded" [ "$(receipts)" -eq 7 ]

# ---- a statement over two blocks whose second does not open where the first closed: each
# block balances, but USD 1.00 went missing between them
cat >"$T/gap.sta" <<'EOT'
:20:ST250717
:25:HSBCHKHH/400123456838
:28C:104/1
:60F:C250716USD1131,00
:61:250717CD10,00NTRFNONREF//HK250717001
:62M:C250717USD1141,00
:20:ST250717
:25:HSBCHKHH/400123456838
:28C:104/2
:60M:C250717USD1140,00
:61:250717CD5,00NTRFNONREF//HK250717002
:62F:C250717USD1145,00
-
EOT
expect_rc 1 "the blocks of a statement that do not follow each other are refused" \
    cg settle import "$T/gap.sta"
check "the :60M: names the :62M: it should repeat" grep -qx \
    "$T/gap.sta:10: entry ST250717: field 60M: opening balance C 1140.00 (USD) is not the closing balance C 1141.00 (USD) of line 6" "$T/err"
check "nothing of it recorded" [ "$(receipts)" -eq 7 ]

# ---- the example of examples/statements/ balances: 5000.00 + 99.70 + 250.00 - 5.00 = 5344.70
expect_rc 0 "the example MT940 statement is imported" \
    cg settle import "$CG_SRCDIR/examples/statements/lotus-mt940-2026-11-02.sta"
check "its 3 lines recorded" grep -q 'MT940, 3 entries: 3 receipts recorded' "$T/out"
check "LB-240914-003: 107.70 gross, 8.00 of charges, 99.70 booked" \
    [ "$(sql "SELECT gross || '/' || fee || '/' || net FROM fx_receipt WHERE entry_key LIKE '%:HK26110200311'")" = "10770/800/9970" ]

# ---- lines without the bank's reference (NONREF, no "//"), as German banks' exports write
# them, every statement :20:STARTUMSE with the same :28C:. Each line is known by its content:
# the 3 August statement's first line is not the 2 August one's, though both are line 1 of
# STARTUMSE 00000/001; two equal debits of one day are two; a download of both days as one
# statement under another reference records nothing again.
mt() { # FILE REF FROM-BALANCE TO-BALANCE LINES...: one statement of account 12345678
    f=$1; ref=$2; open=$3; close=$4; shift 4
    { printf ':20:%s\n:25:10020030/12345678\n:28C:00000/001\n:60F:%s\n' "$ref" "$open"
      for l in "$@"; do printf '%s\n' "$l"; done
      printf ':62F:%s\n-\n' "$close"; } >"$f"
}
A=':61:2508020802CR20,00NTRFNONREF
:86:166?00GUTSCHRIFT?20EREF+M4?21SVWZ+Tee?32MUELLER HANS'
B=':61:2508020802DR1,50NMSCNONREF
:86:805?00Kontoführung'
C=':61:2508030803CR20,00NTRFNONREF
:86:166?00GUTSCHRIFT?20SVWZ+Rechnung 7?32SCHMIDT'
D=':61:2508030803DR2,00NMSCNONREF
:86:106?00KARTENZAHLUNG?20KAFFEE AUTOMAT'
mt "$T/de-0802.sta" STARTUMSE C250801EUR0,00 C250802EUR18,50 "$A" "$B"
mt "$T/de-0803.sta" STARTUMSE C250802EUR18,50 C250803EUR34,50 "$C" "$D" "$D"
mt "$T/de-range.sta" 0802-0803 C250801EUR0,00 C250803EUR34,50 "$A" "$B" "$C" "$D" "$D"
n0=$(receipts)
expect_rc 0 "2 August, STARTUMSE" cg settle import "$T/de-0802.sta"
check "  its 2 lines recorded" grep -q 'MT940, 2 entries: 2 receipts recorded, 0 known' "$T/out"
expect_rc 0 "3 August, STARTUMSE again, the same places" cg settle import "$T/de-0803.sta"
check "  its 3 lines recorded: another day's lines, the two equal debits two" \
    grep -q 'MT940, 3 entries: 3 receipts recorded, 0 known' "$T/out"
expect_rc 0 "both days downloaded as one statement" cg settle import "$T/de-range.sta"
check "  all 5 known, nothing recorded" grep -q 'MT940, 5 entries: 0 receipts recorded, 5 known' "$T/out"
check "5 receipts in all: 20.00 + 20.00 in, 1.50 + 2.00 + 2.00 out" \
    [ "$(sql "SELECT count(*) || ' ' || sum(CASE direction WHEN 'in' THEN net ELSE -net END) FROM fx_receipt WHERE id > $n0")" = "5 3450" ]
# A line recorded by a cebgate from before under its place in the statement is the same
# receipt when its value day, direction, currency and amount are the receipt's; the same place
# in another day's statement is not.
python3 - "$W/cebgate.db" "$((n0 + 1))" <<'PY' || fail "put the old key back"
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
# receipts never change: the triggers that say so are set aside for this one update
trg = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'fx_receipt' AND sql LIKE '%immutable%'").fetchall()
for name, _ in trg:
    con.execute('DROP TRIGGER "%s"' % name)
con.execute("UPDATE fx_receipt SET entry_key = substr(entry_key, 1, instr(entry_key, 'noref-') - 1) || 'STARTUMSE/00000/001/1' WHERE id = ?", (int(sys.argv[2]),))
for _, sql in trg:
    con.execute(sql)
con.commit()
PY
check "  the 2 August credit now has its old key" \
    [ "$(sql "SELECT count(*) FROM fx_receipt WHERE entry_key LIKE '%:STARTUMSE/00000/001/1'")" = 1 ]
printf '\n' >>"$T/de-0802.sta"
expect_rc 0 "2 August again (another file by its bytes)" cg settle import "$T/de-0802.sta"
check "  both known: the credit by its old key" grep -q 'MT940, 2 entries: 0 receipts recorded, 2 known' "$T/out"
printf '\n' >>"$T/de-0803.sta"
expect_rc 0 "3 August again: its first line shares the old key's place, not its figures" \
    cg settle import "$T/de-0803.sta"
check "  all 3 known by content, none taken for the 2 August credit" \
    grep -q 'MT940, 3 entries: 0 receipts recorded, 3 known' "$T/out"
check "still 5 receipts" [ "$(sql "SELECT count(*) FROM fx_receipt WHERE id > $n0")" = 5 ]
# ---- the import's summary counts: the singular for 1, the plural for any other count
sta() { # FILE OPEN CLOSE LINES...: one statement of HSBC's account, 20 July
    f=$1; open=$2; close=$3; shift 3
    { printf ':20:ST250720\n:25:HSBCHKHH/400123456838\n:28C:105/1\n:60F:C250719USD%s\n' "$open"
      for l in "$@"; do printf '%s\n' "$l"; done
      printf ':62F:C250720USD%s\n-\n' "$close"; } >"$f"
}
P3=':61:250720CD8,00NTRFNONREF//HK250720001
:86:ORDER M3 REST'
FEE1=':61:250720DD1,00NTRFNONREF//HK250720002
:86:SERVICE CHARGE'
FEE2=':61:250720DD2,00NTRFNONREF//HK250720003
:86:SERVICE CHARGE'
FEE3=':61:250720DD3,00NTRFNONREF//HK250720004
:86:SERVICE CHARGE'
sta "$T/one.sta" 1000,00 1008,00 "$P3"
sta "$T/known.sta" 1000,00 1007,00 "$P3" "$FEE1"
sta "$T/fees.sta" 1000,00 995,00 "$FEE2" "$FEE3"
sta "$T/two.sta" 1000,00 1000,20 ':61:250720CD0,10NTRFNONREF//HK250720005
:86:ORDER M1' ':61:250720CD0,10NTRFNONREF//HK250720006
:86:ORDER M2'
expect_rc 0 "a statement of one entry paying M3" cg settle import "$T/one.sta"
check "  1 entry, 1 receipt, 1 allocation" grep -qxF \
    "$T/one.sta: MT940, 1 entry: 1 receipt recorded, 0 known from another file, 1 allocation made" "$T/out"
expect_rc 0 "the same entry and a service charge" cg settle import "$T/known.sta"
check "  2 entries, 1 receipt, 1 known, 0 allocations" grep -qxF \
    "$T/known.sta: MT940, 2 entries: 1 receipt recorded, 1 known from another file, 0 allocations made" "$T/out"
check "  1 debit counted as the bank's charge" grep -qxF \
    "$T/known.sta: 1 debit naming no order counted as the bank's charge by the charge words of its text ([settle] charge_words)" "$T/out"
expect_rc 0 "two service charges" cg settle import "$T/fees.sta"
check "  2 debits counted as the bank's charges" grep -qxF \
    "$T/fees.sta: 2 debits naming no order counted as the bank's charges by the charge words of their text ([settle] charge_words)" "$T/out"
expect_rc 0 "two payments, of M1 and M2" cg settle import "$T/two.sta"
check "  2 entries, 2 receipts, 2 allocations" grep -qxF \
    "$T/two.sta: MT940, 2 entries: 2 receipts recorded, 0 known from another file, 2 allocations made" "$T/out"
finish
