#!/bin/sh
# settle-camt-balance.sh - a camt.053 statement giving its opening balance (OPBD, else PRCD)
# and its closing balance (CLBD) must add up, as an MT940 statement must: the opening plus the
# credits less the debits booked in it give the closing. One that does not is refused whole,
# naming the file, the closing balance's line, the statement, the field and the figures.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
receipts() { sql "SELECT count(*) FROM fx_receipt"; }
# camt FILE STMT-ID OPEN-TYPE OPEN-IND OPEN-AMOUNT CLOSE-IND CLOSE-AMOUNT: a statement with a
# credit of 49.50, a debit of 12.00 and a pending credit of 500.00 (not booked: not counted)
camt() {
    cat >"$1" <<EOX
<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt>
<GrpHdr><MsgId>M-$2</MsgId><CreDtTm>2026-12-02T06:00:00</CreDtTm></GrpHdr>
<Stmt>
<Id>$2</Id>
<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>$3</Cd></CdOrPrtry></Tp>
<Amt Ccy="EUR">$5</Amt><CdtDbtInd>$4</CdtDbtInd><Dt><Dt>2026-11-30</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>
<Amt Ccy="EUR">$7</Amt><CdtDbtInd>$6</CdtDbtInd><Dt><Dt>2026-12-01</Dt></Dt></Bal>
<Ntry><Amt Ccy="EUR">49.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-12-01</Dt></BookgDt><AcctSvcrRef>$2-1</AcctSvcrRef></Ntry>
<Ntry><Amt Ccy="EUR">12.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-12-01</Dt></BookgDt><AcctSvcrRef>$2-2</AcctSvcrRef></Ntry>
<Ntry><Amt Ccy="EUR">500.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>PDNG</Sts>
<BookgDt><Dt>2026-12-01</Dt></BookgDt><AcctSvcrRef>$2-3</AcctSvcrRef></Ntry>
</Stmt>
</BkToCstmrStmt>
</Document>
EOX
}
# the line of the closing balance's amount, found apart from cebgate
clbd_line() { grep -n 'CLBD' "$1" | cut -d: -f1 | awk '{ print $1 + 1 }'; }

# refused FILE WHAT REASON: the import of FILE is refused with REASON on the closing balance's
# line, and nothing of it is recorded
refused() {
    expect_rc 1 "$2" cg settle import "$1"
    check "$2: file, line, statement, field and the figures" \
        grep -qx "$1:$(clbd_line "$1"): entry $3" "$T/err"
    check "$2: nothing imported" [ "$(receipts)" -eq 0 ]
}
# 1000.00 + 49.50 - 12.00 = 1037.50, the bank says 9999.99
camt "$T/bad.xml" S-BAD OPBD CRDT 1000.00 CRDT 9999.99
refused "$T/bad.xml" "a closing balance that does not add up is refused" \
    "S-BAD: field Bal/CLBD: opening balance (OPBD) CRDT 1000.00 plus the entries' 37.50 gives CRDT 1037.50, the closing balance is CRDT 9999.99"
# The previous closing balance (PRCD) opens it when there is no OPBD; a debit balance is less.
camt "$T/prcd.xml" S-PRCD PRCD DBIT 20.00 CRDT 17.49
refused "$T/prcd.xml" "PRCD as the opening balance, a debit one counting negative" \
    "S-PRCD: field Bal/CLBD: opening balance (PRCD) DBIT 20.00 plus the entries' 37.50 gives CRDT 17.50, the closing balance is CRDT 17.49"

camt "$T/good.xml" S-GOOD OPBD CRDT 1000.00 CRDT 1037.50
expect_rc 0 "a statement whose balances add up is imported" cg settle import "$T/good.xml"
check "its two booked entries recorded" [ "$(receipts)" -eq 2 ]
camt "$T/good2.xml" S-GOOD2 PRCD DBIT 20.00 CRDT 17.50
expect_rc 0 "with a debit opening balance too" cg settle import "$T/good2.xml"
check "two more" [ "$(receipts)" -eq 4 ]
finish
