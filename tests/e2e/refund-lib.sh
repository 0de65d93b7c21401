# refund-lib.sh - set-up shared by the refund-*.sh tests: the working directory of settle-lib.sh
# (a spool that can run), the column headers of the refund files, and helpers that read one
# cell of `cebgate report refund units`, take batch B1 through filing and approval, and write a
# CEB792 summary result into inbox/ (decState "${DEC_STATE:-A}").
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
cleanup_hooks=""
mkdir -p "$W/inbox"
# The scenarios are dated: `cebgate run` applies no deadline as of the real today here.
printf '[refund]\nrun_tick = no\n' >>"$W/cebgate.conf"
ENTRIES_H=entry_id,item_no,trade_mode,route,export_date,hs_code,name,spec,unit,quantity,value_cny,expected_purchase,inventories,order_no,cleared_on,collected
INVOICES_H=invoice_code,invoice_number,line,issued_on,seller_tax_id,item_name,spec,unit,quantity,amount_ex_vat,vat_rate,vat_amount,hs_code
RATES_H=hs_code,valid_from,valid_to,refund_rate,vat_rate,flag
RESULTS_H=entry_id,item_no,outcome,amount,date,reason
# unit UNIT COLUMN: a column of `report refund units` for unit ENTRY/ITEM
unit() {
    cg report refund units --format csv >"$T/units.csv" || return 1
    csv_cell "$T/units.csv" "$1" "$2"
}
# said DESCRIPTION LINE: the command run last (expect_rc) printed exactly LINE (or LINES)
said() {
    printf '%s\n' "$2" >"$T/want"
    check "$1" cmp -s "$T/want" "$T/out" || sed 's/^/  got: /' "$T/out"
}
# file_b1: the ready units go into batch B1 for period 202506 and through pre-check, filing and
# approval on the dates of spec T2 (2025-06-05, 06-08, 06-10, 07-01), each step checked
file_b1() {
    expect_rc 0 "batch B1" cg refund prepare --period 202506 --as-of 2025-06-05
    expect_rc 0 "B1 pre-checked" cg refund mark-prechecked B1 --date 2025-06-08
    expect_rc 0 "B1 filed" cg refund mark-filed B1 --date 2025-06-10
    expect_rc 0 "B1 approved" cg refund mark-approved B1 --date 2025-07-01
}
# summary_result FILE ENTRY-ID INVT-NO...: a CEB792 (202205 layout) with one line per inventory
summary_result() {
    f=$1; entry=$2; shift 2
    {
        printf '<?xml version="1.0" encoding="UTF-8"?>\n'
        printf '<ceb:CEB792Message guid="%s" version="1.0" xmlns:ceb="http://www.chinaport.gov.cn/ceb">\n' \
            "$(python3 -c 'import uuid; print(str(uuid.uuid4()).upper())')"
        printf '<ceb:SummaryResult><ceb:SummaryResultHead>'
        printf '<ceb:guid>%s</ceb:guid><ceb:customsCode>2244</ceb:customsCode>' \
            "$(python3 -c 'import uuid; print(str(uuid.uuid4()).upper())')"
        printf '<ceb:sumNo>S22442025040000001</ceb:sumNo><ceb:opDate>20250416101112000</ceb:opDate>'
        printf '<ceb:declSeqNo>S22442025041600001</ceb:declSeqNo><ceb:entryId>%s</ceb:entryId>' "$entry"
        printf '<ceb:decState>%s</ceb:decState>' "${DEC_STATE:-A}"
        printf '<ceb:agentCode>3301960001</ceb:agentCode>'
        printf '<ceb:agentName>Acme</ceb:agentName><ceb:ebcCode>3301960001</ceb:ebcCode>'
        printf '<ceb:ebcName>Acme</ceb:ebcName><ceb:declAgentCode>3301960001</ceb:declAgentCode>'
        printf '<ceb:declAgentName>Acme</ceb:declAgentName><ceb:grossWeight>10</ceb:grossWeight>'
        printf '<ceb:netWeight>9</ceb:netWeight><ceb:msgCount>1</ceb:msgCount><ceb:msgSeqNo>1</ceb:msgSeqNo>'
        printf '</ceb:SummaryResultHead>\n'
        n=0
        for i in "$@"; do
            n=$((n + 1))
            printf '<ceb:SummaryResultList><ceb:invtNo>%s</ceb:invtNo><ceb:logisticsNo>SF%013d</ceb:logisticsNo>' "$i" "$n"
            printf '<ceb:gseqno>%d</ceb:gseqno><ceb:gnum>1</ceb:gnum><ceb:gcode>6109100021</ceb:gcode></ceb:SummaryResultList>\n' "$n"
        done
        printf '</ceb:SummaryResult></ceb:CEB792Message>\n'
    } >"$f.part" && mv "$f.part" "$f"
}
# wares FROM TO EXPORT-DAY CLEARED-DAY: 9710 items 31012025000000090K/1 for K = FROM..TO (one
# digit), "Ware K", 10 pcs, HS 6912000000 (refund 9 %, VAT 13 %), cleared on CLEARED-DAY and
# collected, each with an invoice line of K x 1,000.00 excl. VAT (refund K x 90.00), imported
# as of CLEARED-DAY; $UK names unit K
wares() {
    for k in $(seq "$1" "$2"); do eval "U$k=31012025000000090$k/1"; done
    printf '%s\n6912000000,2025-01-01,,9,13,\n' "$RATES_H" >"$T/wares-rates.csv"
    { echo "$ENTRIES_H"; for k in $(seq "$1" "$2"); do
        echo "31012025000000090$k,1,9710,,$3,6912000000,Ware $k,,pcs,10,${k}000.00,,,,$4,Y"
    done; } >"$T/wares-$1.csv"
    { echo "$INVOICES_H"; for k in $(seq "$1" "$2"); do
        echo "3100250901,0000000$k,1,$4,91310000MA1FL0XX1X,Ware $k,,pcs,10,${k}000.00,13,$((k * 130)).00,"
    done; } >"$T/wares-inv-$1.csv"
    expect_rc 0 "the 9 % rate of HS 6912000000" cg refund rates "$T/wares-rates.csv"
    expect_rc 0 "items $1 to $2, exported $3, cleared $4" cg refund entries "$T/wares-$1.csv" --as-of "$4"
    expect_rc 0 "  their invoices" cg refund invoices "$T/wares-inv-$1.csv" --as-of "$4"
}
# rows FILE: the last 3 digits of the entry ids of a batch file, sorted, once each
rows() { python3 -c 'import csv,sys
print(" ".join(sorted(set(r["entry_id"][-3:] for r in csv.DictReader(open(sys.argv[1]))))))' "$1"; }
# total FILE COLUMN: the sum of a column of a batch file
total() { python3 -c 'import csv,sys,decimal
print(sum((decimal.Decimal(r[sys.argv[2]]) for r in csv.DictReader(open(sys.argv[1]))), decimal.Decimal("0.00")))' "$1" "$2"; }
# batch ID: "UNITS REFUND" of batch B<ID>
batch() { sql "SELECT units || ' ' || printf('%.2f', refund_fen / 100.0) FROM rf_batch WHERE id = $1"; }
# pipe MONTH STATE COLUMN...: those columns of the row of `report refund pipeline` for the
# units exported in MONTH (YYYY-MM) in STATE
pipe() {
    cg report refund pipeline --format csv >"$T/pipe.csv" || return 1
    python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["month"] == sys.argv[2] and r["state"] == sys.argv[3]:
        print(" ".join(r.get(c, "-") for c in sys.argv[4:]))' "$T/pipe.csv" "$@"
}
# morning DAY STATE COLUMN...: those columns of the row of STATE in the refund section (units by
# state) of `cebgate report --as-of DAY --format json`
morning() {
    day=$1; shift
    cg report --as-of "$day" --format json >"$T/report.json" || return 1
    python3 -c 'import json,sys
s = [x for x in json.load(open(sys.argv[1]))["sections"] if x["id"] == "refund"][0]
r = dict(zip(s["columns"], [x for x in s["rows"] if x[0] == sys.argv[2]][0]))
print(" ".join(r.get(c, "-") for c in sys.argv[3:]))' "$T/report.json" "$@"
}
# explained UNIT TEXT: `refund explain UNIT` has TEXT
explained() { cg refund explain "$1" | grep -qF "$2"; }
