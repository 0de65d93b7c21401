#!/bin/sh
# settle-detect.sh - the kind of a statement is told from its header read as the file is read
# (docs/collections-format.md): a payout report whose headers are Chinese, saved in GBK as a
# Chinese payment institution or Excel on a Chinese Windows machine writes it, is recognised as
# the same report in UTF-8 (with or without a BOM) is, by `settle import` and by `cebgate run`,
# and records the same receipt and lines. A file that is no statement (a bank's own CSV export)
# is refused in GBK with the same words as in UTF-8.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
gbk() { iconv -f UTF-8 -t GBK; }
sed -i "s|^tolerance = 1.00$|tolerance = 1.00\nrun_tick = no\npayout_profile = $T/cn-payout.ini|" \
    "$W/cebgate.conf"
cat >"$T/cn-payout.ini" <<'EOI'
[payout]
description = 结算明细 (a Chinese payment institution's settlement report)
payout_id = 结算单号
date = 结算日期
currency = 币种
order_no = 订单号
pay_no = 交易流水号
gross = 交易金额
fee = 手续费
net = 结算金额
EOI
# payout PO-CN-1 of two orders, 30.00 (fee 0.90) and 45.50 (fee 1.37): gross 75.50, fee 2.27,
# net 73.23
printf '%s\r\n' '结算单号,结算日期,币种,订单号,交易流水号,交易金额,手续费,结算金额,状态' \
    'PO-CN-1,2026-11-08 10:00:00,USD,A1,TX-1,30.00,-0.90,29.10,已结算' \
    'PO-CN-1,2026-11-08 10:00:00,USD,A2,TX-2,45.50,-1.37,44.13,已结算' >"$T/po-utf8.csv"
gbk <"$T/po-utf8.csv" >"$T/po-gbk.csv"
{ printf '\357\273\277' && cat "$T/po-utf8.csv"; } >"$T/po-bom.csv"
check "the GBK file really is GBK (not UTF-8)" sh -c "! iconv -f UTF-8 -t UTF-8 '$T/po-gbk.csv' >/dev/null 2>&1"

# receipt SELLER: the payout receipt recorded for SELLER and its lines
receipt() {
    sql "SELECT entry_key || '|' || direction || '|' || currency || '|' || gross || '|' || fee || '|' ||
         net || '|' || booked_on || '|' || value_on || '|' || ifnull(reference, '-') FROM fx_receipt
         WHERE seller = '$1'"
    sql "SELECT l.line_no || '|' || l.order_ref || '|' || l.pay_ref || '|' || l.gross || '|' ||
         l.fee || '|' || l.net FROM fx_receipt_line l JOIN fx_receipt r ON r.id = l.receipt_id
         WHERE r.seller = '$1' ORDER BY l.line_no"
}
# want SELLER: what the payout records for SELLER, worked out from the rows above
want() {
    printf '%s\n' "payout:$1::PO-CN-1|in|USD|7550|227|7323|2026-11-08|2026-11-08|-" \
        '1|A1|TX-1|3000|90|2910' '2|A2|TX-2|4550|137|4413'
}

expect_rc 0 "the UTF-8 payout report is imported" cg settle import --seller acme "$T/po-utf8.csv"
check "as a payout report of one entry" grep -qxF \
    "$T/po-utf8.csv: payout report, 1 entry: 1 receipt recorded, 0 known from another file, 0 allocations made" \
    "$T/out"
check "as the payout of its two rows" sh -c "[ \"\$1\" = \"\$2\" ]" - "$(receipt acme)" "$(want acme)"

expect_rc 0 "the same report in GBK is imported" cg settle import --seller b2b "$T/po-gbk.csv"
check "as a payout report of one entry too" grep -qxF \
    "$T/po-gbk.csv: payout report, 1 entry: 1 receipt recorded, 0 known from another file, 0 allocations made" \
    "$T/out"
check "no problem reported" [ ! -s "$T/err" ]
check "the same receipt and lines" sh -c "[ \"\$1\" = \"\$2\" ]" - "$(receipt b2b)" "$(want b2b)"

expect_rc 0 "the report with a BOM is the same payout, known" cg settle import --seller acme "$T/po-bom.csv"
check "nothing more recorded" grep -qxF \
    "$T/po-bom.csv: payout report, 1 entry: 0 receipts recorded, 1 known from another file, 0 allocations made" \
    "$T/out"

# ---- a longer UTF-8 report: the header is read from the first 4096 bytes, and the 4096th byte
# is the first of a three-byte character (已), cut off; 68 rows of 1.00 (fee 0.03)
python3 - "$T/po-long.csv" <<'EOP'
import sys
rows = ["结算单号,结算日期,币种,订单号,交易流水号,交易金额,手续费,结算金额,状态"]
rows += ["PO-CN-3,2026-11-09,USD,B%d,TX-B%d,1.00,-0.03,0.97,%s已结算" % (i, i, "x" * 50 if i == 1 else "")
         for i in range(1, 69)]
open(sys.argv[1], "wb").write("".join(r + "\r\n" for r in rows).encode())
EOP
check "the 4096th byte starts a 3-byte character" python3 -c \
    'import sys; d = open(sys.argv[1], "rb").read(); sys.exit(not (len(d) > 4096 and 0xE0 <= d[4095] <= 0xEF))' \
    "$T/po-long.csv"
expect_rc 0 "the longer report is imported" cg settle import --seller acme "$T/po-long.csv"
check "as one payout of 68 orders: gross 68.00, fee 2.04, net 65.96" \
    [ "$(sql "SELECT gross || '/' || fee || '/' || net || '/' || (SELECT count(*) FROM fx_receipt_line WHERE receipt_id = r.id) FROM fx_receipt r WHERE entry_key = 'payout:acme::PO-CN-3'")" = "6800/204/6596/68" ]

# ---- cebgate run reads a GBK payout dropped into incoming/<seller>/ as a statement, not as
# an order file for the spool
sed 's/PO-CN-1/PO-CN-2/; s/A1,TX-1/A3,TX-3/; s/A2,TX-2/A4,TX-4/' "$T/po-utf8.csv" | gbk \
    >"$W/incoming/acme/结算明细.csv"
expect_rc 0 "cebgate run" cg run
check "the GBK payout is recorded as acme's" \
    [ "$(sql "SELECT gross || '/' || fee || '/' || net FROM fx_receipt WHERE entry_key = 'payout:acme::PO-CN-2'")" = "7550/227/7323" ]
check "and put in done/acme" [ -f "$W/done/acme/结算明细.csv" ]
check "not read as orders" [ "$(sql "SELECT count(*) FROM orders")" = 0 ]

# ---- a bank's own CSV export is no statement cebgate reads, in UTF-8 or GBK alike
printf '%s\r\n' '交易日期,交易金额,币种,对方户名,附言' '2026-12-08,1234.50,USD,王小明,货款' \
    >"$T/bank-utf8.csv"
gbk <"$T/bank-utf8.csv" >"$T/bank-gbk.csv"
receipts() { sql "SELECT count(*) FROM fx_receipt"; }
before=$(receipts)
HINT="  the collections CSV has a header row with receipt_id, date, currency and amount; a payout report is read through a payout profile naming its columns ([settle] payout_profile; docs/collections-format.md)"
# not_statement FILE LINE: the refusal of FILE, showing its first line as LINE, then the hint
not_statement() {
    printf '%s\n' "cebgate: $1: not a statement: neither camt.053/054 XML, MT940, the collections CSV nor a payout report of the payout profile; its first line: $2" \
        "$HINT" "cebgate: some statements were refused"
}
for f in bank-utf8 bank-gbk; do
    expect_rc 1 "$f.csv is refused" cg settle import "$T/$f.csv"
    not_statement "$T/$f.csv" "'交易日期,交易金额,币种,对方户名,附言'" >"$T/want"
    check "$f.csv: not a statement, its header shown decoded, what a statement needs" \
        cmp -s "$T/err" "$T/want"
done
# a bank's export with income and expense columns: the same, whatever the columns
printf '%s\r\n' '交易日期,收入金额,支出金额,余额,对方户名,摘要' '2026-12-08,1234.50,,1234.50,王小明,货款' \
    >"$T/bank-2.csv"
expect_rc 1 "bank-2.csv is refused" cg settle import "$T/bank-2.csv"
not_statement "$T/bank-2.csv" "'交易日期,收入金额,支出金额,余额,对方户名,摘要'" >"$T/want"
check "bank-2.csv: its header shown" cmp -s "$T/err" "$T/want"
# a first line with control characters and longer than 60 characters: escaped, cut, "…"
y51=yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy
printf 'date,\033[2J%sLATER\nrest\n' "$y51" >"$T/ctl.csv"
expect_rc 1 "ctl.csv is refused" cg settle import "$T/ctl.csv"
not_statement "$T/ctl.csv" "'date,\\x1B[2J$y51'…" >"$T/want"
check "ctl.csv: its first 60 characters shown escaped, then …" cmp -s "$T/err" "$T/want"
: >"$T/empty.csv"
expect_rc 1 "an empty file is refused" cg settle import "$T/empty.csv"
not_statement "$T/empty.csv" "none, the file is empty" >"$T/want"
check "empty.csv: it says the file is empty" cmp -s "$T/err" "$T/want"
check "nothing recorded" [ "$(receipts)" -eq "$before" ]
finish
