#!/usr/bin/env python3
"""flow-helper.py - the customs side for the export-flow tests through the folder transport.

  receipt INBOX MESSAGE STATUS...   one receipt file in INBOX answering the message file
                                    MESSAGE (CEB213, 303, 505, 509, 603, 605 or 607; bare or
                                    DXP wrapped) in the official shape (CEB214, 304, 506, 510,
                                    604, 606, 608), one entity per
                                    status, written atomically. Inventories get the numbers
                                    customs would give: preNo B2026 + 13 digits, invtNo
                                    22442026E + 9 digits, both from the copNo.
"""
import base64
import hashlib
import os
import sys
import xml.etree.ElementTree as ET

NS = "http://www.chinaport.gov.cn/ceb"
DXP = "http://www.chinaport.gov.cn/dxp"
RETURN = {213: "RefundReturn", 303: "OrderReturn", 505: "LogisticsReturn",
          509: "DepartureReturn", 603: "InventoryReturn", 605: "InvtCancelReturn",
          607: "WayBillReturn"}


def q(tag):
    return "{%s}%s" % (NS, tag)


def entity_of(path):
    root = ET.parse(path).getroot()
    if root.tag == "{%s}DxpMsg" % DXP:
        root = ET.fromstring(base64.b64decode(root.find("{%s}Data" % DXP).text))
    mtype = int(root.tag.split("}")[1][3:6])
    ent = root[0]
    head = None
    for h in ("OrderHead", "InventoryHead", "InvtRefundHead", "WayBillHead", "DepartureHead"):
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
        if mtype == 303:
            for f in ("ebpCode", "ebcCode", "orderNo"):
                ET.SubElement(e, q(f)).text = field(head, f)
        if mtype == 505:
            for f in ("logisticsCode", "logisticsNo"):
                ET.SubElement(e, q(f)).text = field(head, f)
        ET.SubElement(e, q("returnStatus")).text = st
        ET.SubElement(e, q("returnTime")).text = "20261110120000%03d" % k
        ET.SubElement(e, q("returnInfo")).text = "status %s [%s]" % (st, guid)
    out = os.path.join(inbox, "CEB%dMessage_%s_%s.xml" % (mtype + 1, guid, "-".join(statuses)))
    ET.ElementTree(root).write(out + ".part", encoding="UTF-8", xml_declaration=True)
    os.rename(out + ".part", out)


def main():
    a = sys.argv[1:]
    if len(a) >= 4 and a[0] == "receipt":
        receipt(a[1], a[2], a[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
