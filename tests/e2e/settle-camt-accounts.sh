#!/bin/sh
# settle-camt-accounts.sh - a camt.053 file holding the statements of several accounts
# (docs/collections-format.md, "ISO 20022 camt.053 / camt.054"): each statement's entries are
# its own account's, known by that account and the bank's reference, so the same reference in
# two accounts is two entries, each recorded under its account; the file again, or the same
# entries again in MT940, record nothing. A statement that names no account is refused with
# file, line and field. An entry of a one-account file keeps the identity it always had. The
# account of Acct/Id/Othr is its Id alone, whatever scheme or issuer is beside it, so such an
# entry's MT940 twin is known; a database holding the keys the whole Othr gave before is
# rewritten (settle migration 9), and a key it cannot take apart is still found.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
sed -i 's/^tolerance = 1.00$/tolerance = 1.00\nrun_tick = no/' "$W/cebgate.conf"

H=order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight
line() { echo "$1,$2,US,USNY,0.00,TS-001,T-shirt,1,$3,3120980105,SF Express,SF00000000050$4,1"; }
{
    echo "$H"
    line A1 USD 60.00 1
    line E1 EUR 45.50 2
    line O1 EUR 30.00 3
    line O2 EUR 20.00 4
} >"$W/incoming/acme/orders.csv"
expect_rc 0 "orders declared" cg run
release 2026-10-20 A1 E1 O1 O2
expect_rc 0 "receipts release the inventories" cg run
orders() { cg report fx orders --as-of 2026-11-05 --format csv >"$T/orders.csv"; }
col() { csv_cell "$T/orders.csv" "acme/$1" "$2"; }
receipts() { sql "SELECT count(*) FROM fx_receipt"; }
keys() { sql "SELECT group_concat(k, ' ') FROM (SELECT entry_key || '/' || currency || '/' || gross || '/' || fee || '/' || net AS k FROM fx_receipt WHERE $1 ORDER BY id)"; }
USD_ACCT=DE89370400440532013000
EUR_ACCT=GB33BUKB20201555555555
REF=2026110200001

# two FILE DAY USD-REF EUR-REF: one file with the day's statements of two accounts: USD 60.00
# into the USD account paying A1, EUR 44.00 booked (45.50 sent, 1.50 of charges) into the EUR
# account paying E1
two() {
    cat >"$1" <<EOT
<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-$2</MsgId><CreDtTm>${2}T23:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-USD-$2</Id>
      <Acct><Id><IBAN>$USD_ACCT</IBAN></Id><Ccy>USD</Ccy></Acct>
      <Ntry>
        <Amt Ccy="USD">60.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>$2</Dt></BookgDt>
        <ValDt><Dt>$2</Dt></ValDt>
        <AcctSvcrRef>$3</AcctSvcrRef>
        <NtryDtls><TxDtls><Refs><EndToEndId>A1</EndToEndId></Refs></TxDtls></NtryDtls>
      </Ntry>
    </Stmt>
    <Stmt>
      <Id>STMT-EUR-$2</Id>
      <Acct><Id><IBAN>$EUR_ACCT</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Ntry>
        <Amt Ccy="EUR">44.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>$2</Dt></BookgDt>
        <ValDt><Dt>$2</Dt></ValDt>
        <AcctSvcrRef>$4</AcctSvcrRef>
        <Chrgs><TtlChrgsAndTaxAmt Ccy="EUR">1.50</TtlChrgsAndTaxAmt></Chrgs>
        <NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          <RmtInf><Ustrd>ORDER E1</Ustrd></RmtInf></TxDtls></NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
EOT
}
# eur_mt940 FILE YYMMDD REF: the EUR account's statement of that day in MT940, the entry of
# 44.00 booked after 1.50 of charges: 100.00 + 44.00 = 144.00
eur_mt940() {
    cat >"$1" <<EOT
:20:GB$2
:25:$EUR_ACCT
:28C:1/1
:60F:C${2}EUR100,00
:61:${2}C44,00NTRFNONREF//$3
/CHGS/EUR1,50/
:86:ORDER E1
:62F:C${2}EUR144,00
-
EOT
}

# ---- both statements with an entry of bank reference REF
two "$T/two.xml" 2026-11-02 "$REF" "$REF"
expect_rc 0 "a camt.053 with the statements of two accounts" cg settle import "$T/two.xml"
check "both entries recorded, neither taken for the other" \
    grep -q 'two.xml: camt.053, 2 entries: 2 receipts recorded, 0 known from another file' "$T/out"
check "each entry under its own account: USD 60.00 and EUR 45.50 gross, 1.50 fee, 44.00 net" \
    [ "$(keys 1)" = "camt::$USD_ACCT:$REF/USD/6000/0/6000 camt::$EUR_ACCT:$REF/EUR/4550/150/4400" ]
orders
check "A1 60.00 COLLECTED" [ "$(col A1 collected) $(col A1 state)" = "60.00 COLLECTED" ]
check "E1 44.00 booked + 1.50 of charges = 45.50 COLLECTED" \
    [ "$(col E1 collected) $(col E1 state)" = "45.50 COLLECTED" ]
cg report fx settlement --format csv >"$T/held.csv"
check "USD 60.00 held, EUR 44.00 held" \
    [ "$(csv_cell "$T/held.csv" USD held) $(csv_cell "$T/held.csv" EUR held)" = "60.00 44.00" ]

# ---- the same file again, and the same statements downloaded again (another message id, so
# other bytes): nothing recorded
expect_rc 0 "the same file again" cg settle import "$T/two.xml"
check "imported before, nothing to do" grep -q 'two.xml: imported before, nothing to do' "$T/out"
sed 's/MSG-2026-11-02/MSG-2026-11-02-AGAIN/' "$T/two.xml" >"$T/two-again.xml"
expect_rc 0 "the statements downloaded again" cg settle import "$T/two-again.xml"
check "both entries known, each by its own account" \
    grep -q 'two-again.xml: camt.053, 2 entries: 0 receipts recorded, 2 known from another file' "$T/out"
check "still 2 receipts" [ "$(receipts)" -eq 2 ]

# ---- the EUR account's statement of the day in MT940: its entry is the camt entry of the
# second statement, known, not recorded again
eur_mt940 "$T/eur.sta" 261102 "$REF"
expect_rc 0 "the EUR account's MT940 statement" cg settle import "$T/eur.sta"
check "its entry known from the camt.053" \
    grep -q 'eur.sta: MT940, 1 entry: 0 receipts recorded, 1 known from another file' "$T/out"
orders
check "E1 still 45.50 COLLECTED, not counted twice" \
    [ "$(col E1 collected) $(col E1 state)" = "45.50 COLLECTED" ]

# ---- the next day's statements, the two accounts' references apart: each entry is still its
# own account's, and the EUR account's MT940 of the day knows its entry
two "$T/two-0104.xml" 2026-11-04 2026110400001 2026110400002
expect_rc 0 "the next day's statements" cg settle import "$T/two-0104.xml"
check "each entry under its own account" [ "$(keys "entry_key LIKE '%:20261104%'")" = \
    "camt::$USD_ACCT:2026110400001/USD/6000/0/6000 camt::$EUR_ACCT:2026110400002/EUR/4550/150/4400" ]
eur_mt940 "$T/eur-0104.sta" 261104 2026110400002
expect_rc 0 "the EUR account's MT940 statement of that day" cg settle import "$T/eur-0104.sta"
check "its entry known from the camt.053" \
    grep -q 'eur-0104.sta: MT940, 1 entry: 0 receipts recorded, 1 known from another file' "$T/out"
check "4 receipts" [ "$(receipts)" -eq 4 ]

# ---- a statement that names no account: refused, naming file, line and field; nothing of the
# file recorded, not the other statement's entry either
cat >"$T/noacct.xml" <<EOT
<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-20261103</MsgId><CreDtTm>2026-11-03T23:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-USD-20261103</Id>
      <Acct><Id><IBAN>$USD_ACCT</IBAN></Id><Ccy>USD</Ccy></Acct>
      <Ntry><Amt Ccy="USD">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-03</Dt></BookgDt><AcctSvcrRef>2026110300001</AcctSvcrRef></Ntry>
    </Stmt>
    <Stmt>
      <Id>STMT-EUR-20261103</Id>
      <Acct><Ccy>EUR</Ccy></Acct>
      <Ntry><Amt Ccy="EUR">2.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-03</Dt></BookgDt><AcctSvcrRef>2026110300002</AcctSvcrRef></Ntry>
    </Stmt>
    <Stmt>
      <Id>STMT-GBP-20261103</Id>
      <Ntry><Amt Ccy="GBP">3.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-03</Dt></BookgDt><AcctSvcrRef>2026110300003</AcctSvcrRef></Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
EOT
L_ACCT=$(grep -n '<Acct><Ccy>EUR' "$T/noacct.xml" | cut -d: -f1)
L_STMT=$(grep -n '<Stmt>' "$T/noacct.xml" | sed -n 3p | cut -d: -f1)
expect_rc 1 "statements without an account are refused" cg settle import "$T/noacct.xml"
check "an Acct without Id: its line" grep -qx \
    "$T/noacct.xml:$L_ACCT: entry STMT-EUR-20261103: field Acct/Id: the statement names no account (IBAN or Othr/Id)" "$T/err"
check "no Acct at all: the statement's line" grep -qx \
    "$T/noacct.xml:$L_STMT: entry STMT-GBP-20261103: field Acct/Id: the statement names no account (IBAN or Othr/Id)" "$T/err"
check "nothing imported" grep -qx "cebgate: $T/noacct.xml: 2 bad entries; nothing imported" "$T/err"
check "still 4 receipts" [ "$(receipts)" -eq 4 ]

# ---- two statements of one account in a file: a bank reference is still unique
# within the account
sed -e "s/$EUR_ACCT/$USD_ACCT/" -e 's/Ccy="EUR"/Ccy="USD"/g' "$T/two.xml" >"$T/dup.xml"
L1=$(grep -n '<Ntry>' "$T/dup.xml" | sed -n 1p | cut -d: -f1)
L2=$(grep -n '<Ntry>' "$T/dup.xml" | sed -n 2p | cut -d: -f1)
expect_rc 1 "a reference twice in one account is refused" cg settle import "$T/dup.xml"
check "the second named, with the first's line" grep -qx \
    "$T/dup.xml:$L2: entry $REF: field AcctSvcrRef: the same entry reference appears again (line $L1)" "$T/err"

# ---- a one-account file keeps the identity of its entries: KIND:SELLER:ACCOUNT:REF with the
# account of Acct/Id/Othr/Id, as recorded before a file could hold several accounts
EX=$CG_SRCDIR/examples/statements/lotus-camt053-2026-10-31.xml
expect_rc 0 "the example statement (one account, Acct/Id/Othr)" cg settle import "$EX"
check "its entries' keys (80.00 booked after 15.00 of charges, 1250.00, 35.00 out)" \
    [ "$(keys "entry_key LIKE '%:WLB%'")" = \
    "camt::CN5810450000010001:WLB26103100117/USD/9500/1500/8000 camt::CN5810450000010001:WLB26103100142/USD/125000/0/125000 camt::CN5810450000010001:WLB26103100160/USD/3500/0/3500" ]
echo "BK-1;CRDT;USD;7.00;2026-11-04;2026-11-04;;;BUYER ONE" |
    $SHELPER camt053 "$T/one.xml" "$USD_ACCT" STMT-ONE
expect_rc 0 "a one-account statement (Acct/Id/IBAN) for acme" cg settle import --seller acme "$T/one.xml"
check "its entry's key" [ "$(keys "entry_key LIKE '%:BK-1'")" = "camt:acme:$USD_ACCT:BK-1/USD/700/0/700" ]

# othr FILE DAY REF ORDER AMOUNT EXTRA: a statement of account 12345678 named by Acct/Id/Othr,
# with the elements EXTRA (a scheme, an issuer) after its Id, each on a line of its own indented
# by 12 spaces as the Id is; one entry of EUR AMOUNT paying ORDER
OTHR_ACCT=12345678
othr() {
    cat >"$1" <<EOT
<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-$3</MsgId><CreDtTm>${2}T23:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-OTHR-$2</Id>
      <Acct>
        <Id>
          <Othr>
            <Id>$OTHR_ACCT</Id>
$6
          </Othr>
        </Id>
        <Ccy>EUR</Ccy>
      </Acct>
      <Ntry>
        <Amt Ccy="EUR">$5</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>$2</Dt></BookgDt>
        <AcctSvcrRef>$3</AcctSvcrRef>
        <NtryDtls><TxDtls><Refs><EndToEndId>$4</EndToEndId></Refs></TxDtls></NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
EOT
}
# othr_mt940 FILE YYMMDD REF AMOUNT CLOSING: the same account's statement of that day in MT940,
# one entry of EUR AMOUNT: 100,00 + AMOUNT = CLOSING
othr_mt940() {
    cat >"$1" <<EOT
:20:OT$2
:25:$OTHR_ACCT
:28C:1/1
:60F:C${2}EUR100,00
:61:${2}C$4NTRFNONREF//$3
:62F:C${2}EUR$5
-
EOT
}
SCHEME='            <SchmeNm><Cd>BBAN</Cd></SchmeNm>'
ISSUER='            <SchmeNm><Prtry>ACCT</Prtry></SchmeNm>
            <Issr>Bank: X</Issr>'

# ---- an Othr with a scheme beside its Id: the account is the Id, 12345678, so the key is
# camt::12345678:OTHR-1, and the MT940 statement of account 12345678 knows the entry
othr "$T/othr.xml" 2026-11-05 OTHR-1 O1 30.00 "$SCHEME"
expect_rc 0 "a statement of an account named by Othr/Id with SchmeNm" cg settle import "$T/othr.xml"
check "its entry recorded" \
    grep -q 'othr.xml: camt.053, 1 entry: 1 receipt recorded, 0 known from another file' "$T/out"
check "its key holds the account 12345678, not the scheme: EUR 30.00 gross, no fee" \
    [ "$(keys "entry_key LIKE '%:OTHR-1'")" = "camt::$OTHR_ACCT:OTHR-1/EUR/3000/0/3000" ]
othr_mt940 "$T/othr.sta" 261105 OTHR-1 30,00 130,00
expect_rc 0 "the account's MT940 statement of the day" cg settle import "$T/othr.sta"
check "its entry known from the camt.053" \
    grep -q 'othr.sta: MT940, 1 entry: 0 receipts recorded, 1 known from another file' "$T/out"
orders
check "O1 30.00 COLLECTED, not counted twice" \
    [ "$(col O1 collected) $(col O1 state)" = "30.00 COLLECTED" ]
held() { cg report fx settlement --format csv >"$T/held.csv" && csv_cell "$T/held.csv" EUR held; }
check "EUR 118.00 held: 44.00 on 2026-11-02 and on 2026-11-04, 30.00 on 2026-11-05 once" \
    [ "$(held)" = "118.00" ]

# ---- a database from before: the key of OTHR-2 (an Othr with a scheme and an issuer beside its
# Id) put back as the whole Othr gave it, trimmed: the Id, then after each the line break and
# the 12 spaces before the next element, the scheme's text ACCT and the issuer's "Bank: X" (its
# ':' written %3A); the settle schema back at 8. The first settle command migrates the database:
# the key takes the account 12345678, the statement downloaded again records nothing and the
# MT940 twin is known, so O2's 20.00 counts once.
othr "$T/othr-0106.xml" 2026-11-06 OTHR-2 O2 20.00 "$ISSUER"
expect_rc 0 "the next day's statement, Othr with SchmeNm and Issr" cg settle import "$T/othr-0106.xml"
check "its key holds the account 12345678" \
    [ "$(keys "entry_key LIKE '%:OTHR-2'")" = "camt::$OTHR_ACCT:OTHR-2/EUR/2000/0/2000" ]
OLD="'camt::$OTHR_ACCT' || char(10) || '            ACCT' || char(10) || '            Bank%3A X:OTHR-2'"
sql "DROP TRIGGER fx_receipt_append_only_u;
UPDATE fx_receipt SET entry_key = $OLD WHERE entry_key = 'camt::$OTHR_ACCT:OTHR-2';
CREATE TRIGGER fx_receipt_append_only_u BEFORE UPDATE ON fx_receipt
  BEGIN SELECT RAISE(ABORT, 'receipts are immutable'); END;
$SETTLE_BEFORE_14
DROP TABLE fx_receipt_charge;
ALTER TABLE fx_declared DROP COLUMN pay_refunded;
ALTER TABLE fx_declared DROP COLUMN pay_charge;
ALTER TABLE fx_receipt DROP COLUMN charge;
UPDATE store_modules SET version = 8 WHERE module = 'settle';" || fail "the key and schema made old"
check "the key as recorded before" [ "$(sql "SELECT count(*) FROM fx_receipt WHERE entry_key = $OLD")" -eq 1 ]
N=$(receipts)
expect_rc 0 "the same file again, after the upgrade" cg settle import "$T/othr-0106.xml"
check "imported before, nothing to do" grep -q 'othr-0106.xml: imported before, nothing to do' "$T/out"
check "the settle schema at 16" [ "$(sql "SELECT version FROM store_modules WHERE module = 'settle'")" -eq 16 ]
check "the key rewritten to the account 12345678" \
    [ "$(keys "entry_key LIKE '%:OTHR-2'")" = "camt::$OTHR_ACCT:OTHR-2/EUR/2000/0/2000" ]
sed 's/MSG-OTHR-2/MSG-OTHR-2-AGAIN/' "$T/othr-0106.xml" >"$T/othr-0106-again.xml"
expect_rc 0 "the statement downloaded again" cg settle import "$T/othr-0106-again.xml"
check "its entry known" \
    grep -q 'othr-0106-again.xml: camt.053, 1 entry: 0 receipts recorded, 1 known from another file' "$T/out"
othr_mt940 "$T/othr-0106.sta" 261106 OTHR-2 20,00 120,00
expect_rc 0 "the account's MT940 statement of that day" cg settle import "$T/othr-0106.sta"
check "its entry known from the camt.053" \
    grep -q 'othr-0106.sta: MT940, 1 entry: 0 receipts recorded, 1 known from another file' "$T/out"
check "no receipt recorded again" [ "$(receipts)" -eq "$N" ]
orders
check "O2 20.00 COLLECTED, not counted twice" \
    [ "$(col O2 collected) $(col O2 state)" = "20.00 COLLECTED" ]
check "EUR 138.00 held: 118.00 and 20.00 on 2026-11-06 once" [ "$(held)" = "138.00" ]

# ---- an entry recorded before from an Othr written with nothing between its elements: the
# whole Othr gave the account 12345678BBAN, which migration 9 cannot take apart (no whitespace),
# so that key stays; the statement downloaded again is known by it all the same
othr "$T/othr-0107.xml" 2026-11-07 OTHR-3 NOTPROVIDED 10.00 "$SCHEME"
sed 's/^ *//' "$T/othr-0107.xml" | tr -d '\n' >"$T/othr-compact.xml"
check "the file on one line, Othr without whitespace" \
    grep -q "<Othr><Id>$OTHR_ACCT</Id><SchmeNm><Cd>BBAN</Cd></SchmeNm></Othr>" "$T/othr-compact.xml"
expect_rc 0 "the statement with a compact Othr" cg settle import "$T/othr-compact.xml"
check "its key holds the account 12345678" \
    [ "$(keys "entry_key LIKE '%:OTHR-3'")" = "camt::$OTHR_ACCT:OTHR-3/EUR/1000/0/1000" ]
sql "DROP TRIGGER fx_receipt_append_only_u;
UPDATE fx_receipt SET entry_key = 'camt::${OTHR_ACCT}BBAN:OTHR-3' WHERE entry_key LIKE '%:OTHR-3';
CREATE TRIGGER fx_receipt_append_only_u BEFORE UPDATE ON fx_receipt
  BEGIN SELECT RAISE(ABORT, 'receipts are immutable'); END;
$SETTLE_BEFORE_14
DROP TABLE fx_receipt_charge;
ALTER TABLE fx_declared DROP COLUMN pay_refunded;
ALTER TABLE fx_declared DROP COLUMN pay_charge;
ALTER TABLE fx_receipt DROP COLUMN charge;
UPDATE store_modules SET version = 8 WHERE module = 'settle';" || fail "the key and schema made old"
N=$(receipts)
sed 's/MSG-OTHR-3/MSG-OTHR-3-AGAIN/' "$T/othr-compact.xml" >"$T/othr-compact-again.xml"
expect_rc 0 "the statement downloaded again, after the upgrade" cg settle import "$T/othr-compact-again.xml"
check "its entry known" grep -q \
    'othr-compact-again.xml: camt.053, 1 entry: 0 receipts recorded, 1 known from another file' "$T/out"
check "the key left as it was" \
    [ "$(keys "entry_key LIKE '%:OTHR-3'")" = "camt::${OTHR_ACCT}BBAN:OTHR-3/EUR/1000/0/1000" ]
check "the other keys as migration 9 left them" \
    [ "$(keys "entry_key LIKE '%:OTHR-_'")" = "camt::$OTHR_ACCT:OTHR-1/EUR/3000/0/3000 camt::$OTHR_ACCT:OTHR-2/EUR/2000/0/2000 camt::${OTHR_ACCT}BBAN:OTHR-3/EUR/1000/0/1000" ]
check "no receipt recorded again" [ "$(receipts)" -eq "$N" ]
check "EUR 148.00 held: 138.00 and 10.00 on 2026-11-07 once" [ "$(held)" = "148.00" ]
finish
