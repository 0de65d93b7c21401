#!/usr/bin/env python3
"""spool-helper.py - test helper for the spool end-to-end tests and the benchmark.

  orders FORMAT FILE COUNT [FIRST]   write COUNT orders of 3 lines each (FORMAT own, own-paid,
                                     shopify, jsonl); own and jsonl carry shipment data and a
                                     POD, shopify orders get theirs from shipments.csv; own-paid
                                     is own with payment columns (PayPal, payNo PAY-<order>,
                                     paid 2026-11-01 08:00 UTC)
  shipments FILE COUNT [FIRST]       shipments.csv rows for shopify orders FIRST..
  receipts OUTBOX INBOX STATUS...    one receipt file per message in OUTBOX (bare or DXP
                                     wrapped), in the official receipt format (CEB304, 506, 604),
                                     one entity per status given, written to INBOX atomically;
                                     returnTime on the day $CG_RETURN_DAY (YYYYMMDD, default
                                     20260101)
  check-outbox OUTBOX DB             every recorded message is in OUTBOX once, no guid twice,
                                     every order has its three documents declared once
"""
import base64
import os
import sqlite3
import sys
import xml.etree.ElementTree as ET

NS = "http://www.chinaport.gov.cn/ceb"
DXP = "http://www.chinaport.gov.cn/dxp"
SKUS = ["TS-001", "MUG-1", "TOTE-1"]


def order_no(i):
    return "SO-%07d" % i


def write_orders(fmt, path, count, first):
    with open(path + ".part", "w", encoding="utf-8") as f:
        if fmt in ("own", "own-paid"):
            paid = fmt == "own-paid"
            f.write("order_no,currency,country,pod,freight,sku,item_name,qty,price,"
                    "logistics_code,logistics_name,logistics_no,gross_weight%s\n"
                    % (",pay_name,pay_no,pay_time" if paid else ""))
            for i in range(first, first + count):
                for k, sku in enumerate(SKUS):
                    ship = "3120980105,SF Express,SF%013d,2.5" % i if k == 0 else ",,,"
                    if paid:
                        ship += (",PayPal,PAY-%s,2026-11-01T08:00:00Z" % order_no(i)
                                 if k == 0 else ",,,")
                    f.write("%s,USD,US,USNY,5.00,%s,Item %d,%d,%d.50,%s\n"
                            % (order_no(i), sku, k, k + 1, k + 3, ship))
        elif fmt == "shopify":
            f.write("Name,Currency,Shipping Country,Shipping,Lineitem sku,Lineitem name,"
                    "Lineitem quantity,Lineitem price\n")
            for i in range(first, first + count):
                for k, sku in enumerate(SKUS):
                    head = "USD,US,5.00" if k == 0 else ",,"
                    f.write("#%s,%s,%s,Item %d,%d,%d.25\n" % (order_no(i), head, sku, k, k + 1,
                                                          k + 2))
        elif fmt == "jsonl":
            import json
            for i in range(first, first + count):
                o = {"order_no": order_no(i), "currency": "USD", "country": "US",
                     "pod": "USNY", "freight": "4.00",
                     "shipment": {"logistics_code": "3120980105", "logistics_name": "SF",
                                  "logistics_no": "JL%013d" % i, "gross_weight": "2.5"},
                     "lines": [{"sku": s, "item_name": "Item %d" % k, "qty": str(k + 1),
                                "price": "%d.75" % (k + 1)} for k, s in enumerate(SKUS)]}
                f.write(json.dumps(o) + "\n")
        else:
            sys.exit("unknown format " + fmt)
    os.rename(path + ".part", path)


def write_shipments(path, count, first):
    with open(path, "w", encoding="utf-8") as f:
        f.write("order_no,logistics_code,logistics_name,logistics_no,gross_weight,pack_no\n")
        for i in range(first, first + count):
            f.write("%s,3120980105,SF Express,SH%013d,2.5,1\n" % (order_no(i), i))


RECEIPT = {303: (304, "OrderReturn"), 505: (506, "LogisticsReturn"),
           603: (604, "InventoryReturn")}


def message_of(path):
    root = ET.parse(path).getroot()
    if root.tag == "{%s}DxpMsg" % DXP:
        data = root.find("{%s}Data" % DXP).text
        root = ET.fromstring(base64.b64decode(data))
    mtype = int(root.tag.split("}")[1][3:6])
    head = root[0].find("{%s}OrderHead" % NS)
    if head is None:
        head = root[0].find("{%s}InventoryHead" % NS)
    if head is None:
        head = root[0]
    guid = head.find("{%s}guid" % NS).text
    no = head.find(".//{%s}orderNo" % NS)
    cop = head.find(".//{%s}copNo" % NS)
    lno = root.find(".//{%s}logisticsNo" % NS)
    return (mtype, guid, no.text if no is not None else "", cop.text if cop is not None else "",
            lno.text if lno is not None else "")


def write_receipts(outbox, inbox, statuses):
    n = 0
    for name in sorted(os.listdir(outbox)):
        if not name.endswith(".xml"):
            continue
        mtype, guid, no, cop, lno = message_of(os.path.join(outbox, name))
        rtype, entity = RECEIPT[mtype]
        ET.register_namespace("ceb", NS)
        root = ET.Element("{%s}CEB%dMessage" % (NS, rtype),
                          {"guid": "R" + guid[1:], "version": "1.0"})
        for k, st in enumerate(statuses):
            e = ET.SubElement(root, "{%s}%s" % (NS, entity))
            ET.SubElement(e, "{%s}guid" % NS).text = guid
            if rtype == 604:
                ET.SubElement(e, "{%s}agentCode" % NS).text = "3301980002"
                ET.SubElement(e, "{%s}copNo" % NS).text = cop
                ET.SubElement(e, "{%s}preNo" % NS).text = "P%017d" % n
                ET.SubElement(e, "{%s}invtNo" % NS).text = "I%017d" % n
            if rtype in (304, 604):
                ET.SubElement(e, "{%s}ebpCode" % NS).text = "3301960000"
                ET.SubElement(e, "{%s}ebcCode" % NS).text = "3301960001"
                ET.SubElement(e, "{%s}orderNo" % NS).text = no
            if rtype == 506:
                ET.SubElement(e, "{%s}logisticsCode" % NS).text = "3120980105"
                ET.SubElement(e, "{%s}logisticsNo" % NS).text = lno
            ET.SubElement(e, "{%s}returnStatus" % NS).text = st
            ET.SubElement(e, "{%s}returnTime" % NS).text = "%s120000%03d" % (
                os.environ.get("CG_RETURN_DAY", "20260101"), k)
            ET.SubElement(e, "{%s}returnInfo" % NS).text = "status %s [%s]" % (st, guid)
        out = os.path.join(inbox, "CEB%dMessage_%s.xml" % (rtype, guid))
        if os.environ.get("CG_DXP_WRAP"):
            body = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
            ET.register_namespace("dxp", DXP)
            env = ET.Element("{%s}DxpMsg" % DXP, {"ver": "1.0"})
            ti = ET.SubElement(env, "{%s}TransInfo" % DXP)
            ET.SubElement(ti, "{%s}CopMsgId" % DXP).text = guid
            ET.SubElement(ti, "{%s}SenderId" % DXP).text = "DXPEDCCEB0000003"
            ids = ET.SubElement(ti, "{%s}ReceiverIds" % DXP)
            ET.SubElement(ids, "{%s}ReceiverId" % DXP).text = "DXPENT0000000001"
            ET.SubElement(ti, "{%s}CreatTime" % DXP).text = "2026-01-01T12:00:00"
            ET.SubElement(ti, "{%s}MsgType" % DXP).text = "CEB%dMessage" % rtype
            ET.SubElement(env, "{%s}Data" % DXP).text = base64.b64encode(body).decode()
            root = env
        ET.ElementTree(root).write(out + ".part", encoding="UTF-8", xml_declaration=True)
        os.rename(out + ".part", out)
        n += 1
    print("%d receipt files" % n)


def check_outbox(outbox, db):
    c = sqlite3.connect(db)
    bad = 0
    files = set(f for f in os.listdir(outbox) if f.endswith(".xml"))
    rows = c.execute("SELECT guid, file_name, msg_type FROM messages").fetchall()
    names = set()
    for guid, name, mt in rows:
        if name not in files:
            print("recorded message missing from outbox:", name)
            bad += 1
        names.add(name)
    for f in files - names:
        print("outbox file without a record:", f)
        bad += 1
    guids = {}
    for f in files:
        guid = message_of(os.path.join(outbox, f))[1]
        if guid in guids:
            print("guid twice in outbox:", guid)
            bad += 1
        guids[guid] = f
    dup = c.execute("SELECT count(*) FROM (SELECT document_id, version FROM messages "
                    "GROUP BY 1, 2 HAVING count(*) > 1)").fetchone()[0]
    if dup:
        print("document versions with more than one message:", dup)
        bad += 1
    per = c.execute("SELECT count(*) FROM documents d JOIN orders o ON o.id = d.order_id "
                    "GROUP BY d.msg_type").fetchall()
    print("orders:", c.execute("SELECT count(*) FROM orders").fetchone()[0],
          "documents per type:", [p[0] for p in per], "files:", len(files))
    return bad


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    if a[0] == "orders":
        write_orders(a[1], a[2], int(a[3]), int(a[4]) if len(a) > 4 else 1)
    elif a[0] == "shipments":
        write_shipments(a[1], int(a[2]), int(a[3]) if len(a) > 3 else 1)
    elif a[0] == "receipts":
        write_receipts(a[1], a[2], a[3:])
    elif a[0] == "check-outbox":
        sys.exit(1 if check_outbox(a[1], a[2]) else 0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
