#!/usr/bin/env python3
"""settle-helper.py - test files for the settle end-to-end tests, and sums computed from them.

  camt053 OUT ACCOUNT STMT-ID [NS]  a camt.053.001.02 statement as a bank writes it, one Ntry
                                    per stdin line "REF;CRDT|DBIT;CCY;AMOUNT;BOOKED;VALUE;
                                    END-TO-END;REMITTANCE;DEBTOR[;BATCH[;BTC]]" (NS: another
                                    namespace; a camt.054 namespace writes a notification). BATCH,
                                    "E2E=AMOUNT,E2E=AMOUNT...", books the entry as a batch: one
                                    TxDtls per transaction in place of END-TO-END and AMOUNT;
                                    BTC, "DOMAIN/FAMILY/SUB-FAMILY" (as ACMT/MDOP/CHRG), the
                                    entry's bank transaction code
  bulk CAMT PAYOUT N FIRST          a camt.053 with N entries (USD, EUR, GBP; half of them
                                    credits of 34.00 paying orders FIRST.. one each, unknown
                                    payers, chargebacks) and a payout report for orders
                                    1..FIRST-1 (34.00 gross, 1.02 fee, 10 orders a payout)
  sums CAMT PAYOUT                  per currency and month: received gross, fees, refunds,
                                    and per currency the net held, computed from the files
                                    with ElementTree and csv (not by cebgate)
"""
import csv
import json
import random
import sys
import xml.etree.ElementTree as ET

NS053 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def order_no(i):
    return "SO-%07d" % i


def camt053(path, account, stmt_id, entries, ns=NS053):
    notif = ".054." in ns
    ET.register_namespace("", ns)
    q = lambda t: "{%s}%s" % (ns, t)
    doc = ET.Element(q("Document"))
    body = ET.SubElement(doc, q("BkToCstmrDbtCdtNtfctn" if notif else "BkToCstmrStmt"))
    hdr = ET.SubElement(body, q("GrpHdr"))
    ET.SubElement(hdr, q("MsgId")).text = "MSG-" + stmt_id
    ET.SubElement(hdr, q("CreDtTm")).text = "2025-12-31T23:00:00"
    st = ET.SubElement(body, q("Ntfctn" if notif else "Stmt"))
    ET.SubElement(st, q("Id")).text = stmt_id
    ET.SubElement(st, q("ElctrncSeqNb")).text = "1"
    ET.SubElement(st, q("CreDtTm")).text = "2025-12-31T23:00:00"
    acct = ET.SubElement(st, q("Acct"))
    ET.SubElement(ET.SubElement(acct, q("Id")), q("IBAN")).text = account
    ET.SubElement(acct, q("Ccy")).text = "USD"
    svcr = ET.SubElement(ET.SubElement(ET.SubElement(acct, q("Svcr")), q("FinInstnId")), q("BIC"))
    svcr.text = "BKCHCNBJ300"
    for entry in entries:
        ref, ind, ccy, amt, booked, value, e2e, ustrd, debtor = entry[:9]
        batch = [t.split("=") for t in entry[9].split(",")] if len(entry) > 9 and entry[9] \
            else [(e2e, amt)]
        n = ET.SubElement(st, q("Ntry"))
        ET.SubElement(n, q("NtryRef")).text = ref
        ET.SubElement(n, q("Amt"), {"Ccy": ccy}).text = amt
        ET.SubElement(n, q("CdtDbtInd")).text = ind
        ET.SubElement(n, q("Sts")).text = "BOOK"
        ET.SubElement(ET.SubElement(n, q("BookgDt")), q("Dt")).text = booked
        ET.SubElement(ET.SubElement(n, q("ValDt")), q("Dt")).text = value
        ET.SubElement(n, q("AcctSvcrRef")).text = ref
        if len(entry) > 10 and entry[10]:
            domn, fmly, sub = entry[10].split("/")
            d = ET.SubElement(ET.SubElement(n, q("BkTxCd")), q("Domn"))
            ET.SubElement(d, q("Cd")).text = domn
            f = ET.SubElement(d, q("Fmly"))
            ET.SubElement(f, q("Cd")).text = fmly
            ET.SubElement(f, q("SubFmlyCd")).text = sub
        dtls = ET.SubElement(n, q("NtryDtls"))
        for t_e2e, t_amt in batch:
            txd = ET.SubElement(dtls, q("TxDtls"))
            tx = ET.SubElement(txd, q("Refs"))
            ET.SubElement(tx, q("AcctSvcrRef")).text = ref
            ET.SubElement(tx, q("EndToEndId")).text = t_e2e or "NOTPROVIDED"
            amtd = ET.SubElement(ET.SubElement(txd, q("AmtDtls")), q("TxAmt"))
            ET.SubElement(amtd, q("Amt"), {"Ccy": ccy}).text = t_amt
            if debtor:
                party = ET.SubElement(ET.SubElement(txd, q("RltdPties")), q("Dbtr"))
                ET.SubElement(party, q("Nm")).text = debtor
            if ustrd:
                ET.SubElement(ET.SubElement(txd, q("RmtInf")), q("Ustrd")).text = ustrd
    ET.indent(doc)
    with open(path, "wb") as f:
        ET.ElementTree(doc).write(f, encoding="UTF-8", xml_declaration=True)


def bulk(camt_path, payout_path, n, first):
    rnd = random.Random(20251231)
    entries = []
    o = first
    for k in range(n):
        ref = "BK25%08d" % (k + 1)
        day = "2025-%02d-%02d" % (7 + k % 5, 1 + k % 28)
        kind = k % 10
        if kind < 5:  # an order paid in full by wire, one entry per order
            entries.append((ref, "CRDT", "USD", "34.00", day, day, order_no(o),
                            "PAYMENT ORDER " + order_no(o), "BUYER %d LLC" % o))
            o += 1
        elif kind < 8:  # money from payers cebgate cannot match (never an order's amount)
            ccy = ["EUR", "GBP", "USD"][k % 3]
            amt = "%d.%02d" % (rnd.randint(100, 9000), rnd.randint(0, 99))
            entries.append((ref, "CRDT", ccy, amt, day, day, "", "INV %d" % k, "Unknown %d" % k))
        else:  # refunds and fees paid out
            amt = "%d.%02d" % (rnd.randint(1, 30), rnd.randint(0, 99))
            entries.append((ref, "DBIT", "USD", amt, day, day, "", "CHARGEBACK %d" % k, ""))
    camt053(camt_path, "DE89370400440532013000", "STMT-2025-BULK", entries)
    with open(payout_path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Payout ID", "Payout Date", "Currency", "Order ID", "Transaction ID",
                    "Gross Amount", "Fee", "Net Amount", "Status"])
        for i in range(1, first):
            po = "PO-2025-%03d" % (1 + (i - 1) // 10)
            day = "2025-08-%02d 09:30:00" % (1 + (i - 1) // 10)
            w.writerow([po, day, "USD", order_no(i), "TX%08d" % i, "34.00", "-1.02", "32.98",
                        "PAID"])


def month(d):
    return d[:7]


def cents(s):
    s = s.lstrip("-")
    whole, _, frac = s.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def sums(camt_path, payout_path):
    ns = {"c": NS053}
    root = ET.parse(camt_path).getroot()
    rec = {}
    held = {}

    def add(ccy, m, key, v):
        r = rec.setdefault("%s %s" % (ccy, m), {"received": 0, "fees": 0, "refunds": 0})
        r[key] += v

    for n in root.iterfind(".//c:Ntry", ns):
        a = n.find("c:Amt", ns)
        ccy, v = a.get("Ccy"), cents(a.text)
        m = month(n.find("c:ValDt/c:Dt", ns).text)
        if n.find("c:CdtDbtInd", ns).text == "CRDT":
            add(ccy, m, "received", v)
            held[ccy] = held.get(ccy, 0) + v
        else:
            add(ccy, m, "refunds", v)
            held[ccy] = held.get(ccy, 0) - v
    with open(payout_path, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            m = month(r["Payout Date"][:10])
            add(r["Currency"], m, "received", cents(r["Gross Amount"]))
            add(r["Currency"], m, "fees", cents(r["Fee"]))
            held[r["Currency"]] = held.get(r["Currency"], 0) + cents(r["Net Amount"])
    fmt = lambda v: "%s%d.%02d" % ("-" if v < 0 else "", abs(v) // 100, abs(v) % 100)
    out = {k: {kk: fmt(vv) for kk, vv in v.items()} for k, v in rec.items()}
    out["held"] = {k: fmt(v) for k, v in held.items()}
    print(json.dumps(out, sort_keys=True))


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    if a[0] == "camt053":
        lines = [l.rstrip("\n").split(";") for l in sys.stdin if l.strip()]
        camt053(a[1], a[2], a[3], lines, a[4] if len(a) > 4 else NS053)
    elif a[0] == "bulk":
        bulk(a[1], a[2], int(a[3]), int(a[4]))
    elif a[0] == "sums":
        sums(a[1], a[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
