#!/bin/sh
# settle-text.sh - statements and collections CSVs are read as order files are
# (docs/collections-format.md, "Text and encodings"): a GBK (GB18030) MT940 or CSV, as Chinese
# banks and Excel write them, is stored as UTF-8, its 手续费 debit is the bank's charge by its
# words; a byte that is neither UTF-8 nor GB18030 refuses the file with file, line, field and
# the byte. A receipt a cebgate from before stored with such bytes is reported with them
# escaped in every format, never as "out of memory".
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
gbk() { iconv -f UTF-8 -t GBK; }
crlf() { sed 's/$/\r/'; }

# ---- Bank of China's MT940 in GBK: a 0.80 charge (汇款手续费 电报费) and a payment
crlf <<'EOT' | gbk >"$T/boc-gbk.sta"
:20:940S2612030003
:25:BKCHCNBJ300/766666666666
:28C:00336/00001
:60F:C261202USD1156,90
:61:2612031203D0,80NMSCNONREF//2612030000300
:86:汇款手续费 电报费
:61:2612031203C1234,50NTRFNONREF//2612030000301
:86:ORDER 1002
:62F:C261203USD2390,60
-
EOT
check "the file really is GBK (not UTF-8)" sh -c "! iconv -f UTF-8 -t UTF-8 '$T/boc-gbk.sta' >/dev/null 2>&1"
expect_rc 0 "a GBK MT940 is imported" cg settle import "$T/boc-gbk.sta"
check "its debit is the bank's charge by the word 手续费" \
    grep -q "1 debit naming no order counted as the bank's charge" "$T/out"
check "the :86: text is stored as UTF-8" \
    [ "$(sql "SELECT reference FROM fx_receipt WHERE entry_key LIKE '%:2612030000300'")" = "汇款手续费 电报费" ]
check "and recorded as a charge" \
    [ "$(sql "SELECT charge FROM fx_receipt WHERE entry_key LIKE '%:2612030000300'")" = 1 ]

# ---- the collections CSV Excel saves on a Chinese Windows machine
printf 'receipt_id,date,currency,amount,fee,order_no,reference,remitter\r\nBOC-C-0001,2026-12-05,USD,47.46,0.00,,亚马逊 113-1234567-1234567,王小明\r\n' |
    gbk >"$T/collections gbk.csv"
expect_rc 0 "a GBK collections CSV is imported" cg settle import "$T/collections gbk.csv"
check "reference and remitter stored as UTF-8" \
    [ "$(sql "SELECT reference || '|' || remitter FROM fx_receipt WHERE entry_key LIKE '%:BOC-C-0001'")" = "亚马逊 113-1234567-1234567|王小明" ]
expect_rc 0 "report fx unmatched --format json" cg report fx unmatched --format json
check "shows the Chinese text" grep -q '"remitter": "王小明"' "$T/out"

# ---- bytes that are neither: 0xFF is no GB18030 byte (after GBK text, so the file is GB18030),
# 0x80 alone is none either
receipts() { sql "SELECT count(*) FROM fx_receipt"; }
before=$(receipts)
{
    printf ':20:X1\r\n:25:BKCHCNBJ300/766666666666\r\n:60F:C261204USD0,00\r\n'
    printf ':61:2612041204C1,00NTRFNONREF//B1\r\n'
    printf ':86:' && printf '汇款' | gbk && printf '\377\r\n:62F:C261204USD1,00\r\n-\r\n'
} >"$T/bad.sta"
expect_rc 1 "an MT940 with a byte that is no text is refused" cg settle import "$T/bad.sta"
check "file, line, entry, field, byte, position (in the line as written)" grep -qx \
    "$T/bad.sta:5: entry B1: field 86: byte 0xFF at position 7 is not UTF-8/GB18030 text: save the file as UTF-8 (or GB18030)" "$T/err"
{
    printf 'receipt_id,date,currency,amount,reference,remitter\n'
    printf 'R-1,2026-12-04,USD,1.00,ok,' && printf '王' | gbk && printf '\200\n'
} >"$T/bad.csv"
expect_rc 1 "a collections CSV with such a byte is refused" cg settle import "$T/bad.csv"
check "line, receipt, column, byte, position" grep -qx \
    "$T/bad.csv:2: entry R-1: field remitter: byte 0x80 at position 2 is not UTF-8/GB18030 text: save the file as UTF-8 (or GB18030)" "$T/err"
check "nothing of either recorded" [ "$(receipts)" -eq "$before" ]

# ---- a receipt stored with GBK bytes by a cebgate from before (put back by SQL): 汇款 is
# BB E3 BF EE in GBK, 张三 D5 C5 C8 FD, none of them a UTF-8 character
sql "INSERT INTO fx_receipt(statement_id, seller, entry_key, line, direction, currency, gross,
     fee, net, booked_on, value_on, reference, remitter, created_at) VALUES
     ((SELECT min(id) FROM fx_statement), '', 'csv:::OLD-1', 2, 'in', 'USD', 4746, 0, 4746,
     '2026-12-05', '2026-12-05', CAST(X'BBE3BFEE2031313320' AS TEXT),
     CAST(X'D5C5C8FD' AS TEXT), '2026-12-05T00:00:00Z')"
expect_rc 0 "report fx unmatched --format json with those bytes" cg report fx unmatched --format json
check "no 'out of memory'" sh -c "! grep -q 'out of memory' '$T/err'"
check "the bytes escaped in the JSON" grep -qF '"reference": "\\xBB\\xE3\\xBF\\xEE 113 "' "$T/out"
check "and the remitter's" grep -qF '"remitter": "\\xD5\\xC5\\xC8\\xFD"' "$T/out"
check "the JSON parses" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out"
expect_rc 0 "report fx unmatched as a table" cg report fx unmatched
check "the table shows them escaped too" grep -qF '\xBB\xE3\xBF\xEE 113' "$T/out"
expect_rc 0 "and CSV" cg report fx unmatched --format csv
check "the CSV too" grep -qF '\xD5\xC5\xC8\xFD' "$T/out"
finish
