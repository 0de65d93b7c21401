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
