#!/usr/bin/env python3
"""flow-helper.py - the customs side for the export-flow tests through the folder transport.

  receipt INBOX MESSAGE STATUS...   one receipt file in INBOX answering the message file
                                    MESSAGE (CEB213, 303, 403, 505, 509, 603, 605 or 607; bare
                                    or DXP wrapped) in the official shape (CEB214, 304, 404,
                                    506, 510, 604, 606, 608), one entity per
                                    status, written atomically; returnTime on the day
                                    $FLOW_RETURN_DAY (YYYYMMDD, default 20261110). Inventories get the numbers
                                    customs would give: preNo B2026 + 13 digits, invtNo
                                    22442026E + 9 digits, both from the copNo.
  pay-agree DIR COUNT CHARGE PREFIX every CEB403 message under DIR (bare or DXP wrapped) has a
                                    CEB303 under DIR with the same orderNo, ebcCode and currency,
                                    charge CHARGE and payNo PREFIX + orderNo; COUNT orders have
                                    one; each difference is printed and the exit status is 1
  payments DIR                      one line per CEB403 message under DIR, sorted: orderNo,
                                    appType, charge, currency, payNo, accountingDate
  summary-result INBOX MESSAGE ENTRYID LINES
                                    a CEB792 for the CEB701 in MESSAGE: declaration ENTRYID,
                                    each inventory it lists with lines 1..LINES
"""
import base64
import hashlib
import os
import sys
from decimal import Decimal
import xml.etree.ElementTree as ET

NS = "http://www.chinaport.gov.cn/ceb"
DXP = "http://www.chinaport.gov.cn/dxp"
RETURN = {213: "RefundReturn", 303: "OrderReturn", 403: "ReceiptsReturn",
          505: "LogisticsReturn", 509: "DepartureReturn", 603: "InventoryReturn", 605: "InvtCancelReturn",
          607: "WayBillReturn", 701: "SummaryReturn"}


def q(tag):
    return "{%s}%s" % (NS, tag)


def entity_of(path):
    root = ET.parse(path).getroot()
    if root.tag == "{%s}DxpMsg" % DXP:
        root = ET.fromstring(base64.b64decode(root.find("{%s}Data" % DXP).text))
    mtype = int(root.tag.split("}")[1][3:6])
    ent = root[0]
    head = None
    for h in ("OrderHead", "InventoryHead", "InvtRefundHead", "WayBillHead", "DepartureHead",
              "SummaryApplyHead"):
        if head is None:
            head = ent.find(q(h))
    return mtype, head if head is not None else ent


def numbers(cop):
    n = int(hashlib.sha256(cop.encode()).hexdigest()[:12], 16) % 10**9
    return "B2026%013d" % n, "22442026E%09d" % n


def field(head, name):
    e = head.find(q(name))
    return e.text if e is not None else None


def receipt(inbox, message, statuses):
    mtype, head = entity_of(message)
    guid = field(head, "guid")
    ET.register_namespace("ceb", NS)
    root = ET.Element(q("CEB%dMessage" % (mtype + 1)),
                      {"guid": "A" + guid[1:], "version": "1.0"})
    for k, st in enumerate(statuses):
        e = ET.SubElement(root, q(RETURN[mtype]))
        ET.SubElement(e, q("guid")).text = guid
        if mtype in (603, 605):
            cop = field(head, "copNo")
            pre, invt = numbers(cop)
            ET.SubElement(e, q("agentCode")).text = field(head, "agentCode")
            if mtype == 603:
                ET.SubElement(e, q("ebpCode")).text = field(head, "ebpCode")
                ET.SubElement(e, q("ebcCode")).text = field(head, "ebcCode")
            ET.SubElement(e, q("copNo")).text = cop
            ET.SubElement(e, q("preNo")).text = pre
            ET.SubElement(e, q("invtNo")).text = invt
        if mtype == 213:
            for f in ("ebpCode", "ebcCode", "agentCode", "coElNo"):
                ET.SubElement(e, q(f)).text = field(head, f)
            ET.SubElement(e, q("preNo")).text = numbers(field(head, "coElNo"))[0]
            ET.SubElement(e, q("invtNo")).text = field(head, "invtNo")
        if mtype in (509, 607):
            if mtype == 607:
                ET.SubElement(e, q("agentCode")).text = field(head, "agentCode")
            ET.SubElement(e, q("logisticsCode")).text = field(head, "logisticsCode")
            ET.SubElement(e, q("copNo")).text = field(head, "copNo")
            ET.SubElement(e, q("preNo")).text = numbers(field(head, "copNo"))[0]
            if mtype == 607:
                ET.SubElement(e, q("billNo")).text = field(head, "billNo")
            ET.SubElement(e, q("msgSeqNo")).text = "1"
        if mtype == 701:
            for f in ("agentCode", "ebcCode", "copNo"):
                ET.SubElement(e, q(f)).text = field(head, f)
            ET.SubElement(e, q("preNo")).text = numbers(field(head, "copNo"))[0]
            ET.SubElement(e, q("msgSeqNo")).text = "1"
        if mtype == 303:
            for f in ("ebpCode", "ebcCode", "orderNo"):
                ET.SubElement(e, q(f)).text = field(head, f)
        if mtype == 403:
            for f in ("ebcCode", "orderNo", "payNo"):
                if field(head, f) is not None:
                    ET.SubElement(e, q(f)).text = field(head, f)
        if mtype == 505:
            for f in ("logisticsCode", "logisticsNo"):
                ET.SubElement(e, q(f)).text = field(head, f)
        ET.SubElement(e, q("returnStatus")).text = st
        ET.SubElement(e, q("returnTime")).text = "%s120000%03d" % (
            os.environ.get("FLOW_RETURN_DAY", "20261110"), k)
        ET.SubElement(e, q("returnInfo")).text = "status %s [%s]" % (st, guid)
    out = os.path.join(inbox, "CEB%dMessage_%s_%s.xml" % (mtype + 1, guid, "-".join(statuses)))
    ET.ElementTree(root).write(out + ".part", encoding="UTF-8", xml_declaration=True)
    os.rename(out + ".part", out)


def summary_result(inbox, message, entry_id, lines):
    """A CEB792 for the CEB701 in message: every inventory it lists with lines 1..lines."""
    root = ET.parse(message).getroot()
    if root.tag == "{%s}DxpMsg" % DXP:
        root = ET.fromstring(base64.b64decode(root.find("{%s}Data" % DXP).text))
    ent = root[0]
    head = ent.find(q("SummaryApplyHead"))
    guid = field(head, "guid")
    ET.register_namespace("ceb", NS)
    out = ET.Element(q("CEB792Message"), {"guid": "E" + guid[1:], "version": "1.0"})
    res = ET.SubElement(out, q("SummaryResult"))
    h = ET.SubElement(res, q("SummaryResultHead"))
    seq = numbers(field(head, "copNo"))[0][1:]
    for f, v in (("guid", guid), ("customsCode", field(head, "customsCode")),
                 ("sumNo", "S" + seq), ("opDate", "20261205120000"), ("declSeqNo", "D" + seq),
                 ("entryId", entry_id), ("decState", "A"),
                 ("agentCode", field(head, "agentCode")), ("agentName", "Broker Co"),
                 ("ebcCode", field(head, "ebcCode")), ("ebcName", "Acme Export"),
                 ("declAgentCode", field(head, "agentCode")), ("declAgentName", "Broker Co"),
                 ("grossWeight", "1"), ("netWeight", "1"), ("msgCount", "1"),
                 ("msgSeqNo", "1")):
        ET.SubElement(h, q(f)).text = v
    n = 0
    for lst in ent.findall(q("SummaryApplyList")):
        for g in range(1, lines + 1):
            n += 1
            li = ET.SubElement(res, q("SummaryResultList"))
            ET.SubElement(li, q("invtNo")).text = field(lst, "invtNo")
            ET.SubElement(li, q("gseqno")).text = str(n)
            ET.SubElement(li, q("gnum")).text = str(g)
            ET.SubElement(li, q("gcode")).text = "6109100021"
    path = os.path.join(inbox, "CEB792Message_%s.xml" % guid)
    ET.ElementTree(out).write(path + ".part", encoding="UTF-8", xml_declaration=True)
    os.rename(path + ".part", path)


def messages(top, mtype):
    """The entities of every CEB<mtype> message file under top."""
    for d, _, files in os.walk(top):
        for n in sorted(files):
            if n.startswith("CEB%dMessage" % mtype) and n.endswith(".xml"):
                yield entity_of(os.path.join(d, n))[1]


def pay_agree(top, count, charge, prefix):
    orders = {field(e, "orderNo"): e for e in messages(top, 303)}
    bad = 0
    seen = set()
    for e in messages(top, 403):
        no = field(e, "orderNo")
        seen.add(no)
        o = orders.get(no)
        if o is None:
            print("403 %s: no 303" % no)
            bad += 1
            continue
        for f in ("ebcCode", "currency"):
            if field(e, f) != field(o, f):
                print("403 %s: %s %s, the 303 has %s" % (no, f, field(e, f), field(o, f)))
                bad += 1
        if Decimal(field(e, "charge")) != Decimal(charge):
            print("403 %s: charge %s, not %s" % (no, field(e, "charge"), charge))
            bad += 1
        if field(e, "payNo") != prefix + no:
            print("403 %s: payNo %s" % (no, field(e, "payNo")))
            bad += 1
    if len(seen) != count:
        print("%d orders have a 403, not %d" % (len(seen), count))
        bad += 1
    return 1 if bad else 0


def payments(top):
    rows = []
    for e in messages(top, 403):
        rows.append(" ".join(field(e, f) or "-" for f in ("orderNo", "appType", "charge",
                                                          "currency", "payNo",
                                                          "accountingDate")))
    for r in sorted(rows):
        print(r)


def main():
    a = sys.argv[1:]
    if len(a) >= 4 and a[0] == "receipt":
        receipt(a[1], a[2], a[3:])
    elif len(a) == 5 and a[0] == "pay-agree":
        sys.exit(pay_agree(a[1], int(a[2]), a[3], a[4]))
    elif len(a) == 2 and a[0] == "payments":
        payments(a[1])
    elif len(a) == 5 and a[0] == "summary-result":
        summary_result(a[1], a[2], a[3], int(a[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
