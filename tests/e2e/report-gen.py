#!/usr/bin/env python3
"""report-gen.py DB N [AS_OF] - fill a cebgate database (made by cebgate, so migrated) with N
orders of two sellers, written with SQL directly, and print the counts the report must show.

Order i (1..N): seller beta when i % 3 == 0, else acme. Three documents each (CEB303, CEB505
accepted; CEB603 released), changed on AS_OF minus i % 30 days, except: i % 10 == 0 the CEB603
is rejected (status 100, hostile text), i % 10 == 1 it is sent and unchanged for 3 days
(stuck). i % 50 == 0 also has a rejected order line; i % 20 == 5 needs a cancellation; i % 100
== 7 has a receipt for an unknown guid. Every order has a declared USD amount (FX) and its
released CEB603s a release receipt.
"""
import datetime
import json
import sqlite3
import sys


def main():
    db, n = sys.argv[1], int(sys.argv[2])
    as_of = datetime.date.fromisoformat(sys.argv[3] if len(sys.argv) > 3 else "2026-11-30")
    con = sqlite3.connect(db)
    con.execute("PRAGMA foreign_keys = ON")

    def at(days, hour=8):
        d = as_of - datetime.timedelta(days=days)
        return "%sT%02d:00:00.000Z" % (d.isoformat(), hour)

    run = at(0, 1)
    for fid, seller in ((1, "acme"), (2, "beta")):
        con.execute("INSERT INTO input_files(id, seller, name, active_name, size, sha256, outcome,"
                    " orders_new, taken_at, finished_at) VALUES (?, ?, 'orders.csv', "
                    "'orders.csv', 1, ?, 'done', ?, ?, ?)",
                    (fid, seller, "%064d" % fid,
                     sum(1 for i in range(1, n + 1) if (i % 3 == 0) == (seller == "beta")),
                     run, at(0, 2)))
    orders, docs, msgs, rcpts, rej, canc, unk, fx = [], [], [], [], [], [], [], []
    want = {"states": {}, "rejected": 0, "stuck": 0, "cancel": 0, "unknown": 0,
            "orders": {"acme": 0, "beta": 0}}
    for i in range(1, n + 1):
        seller = "beta" if i % 3 == 0 else "acme"
        fid = 2 if seller == "beta" else 1
        no = "RG%07d" % i
        want["orders"][seller] += 1
        orders.append((i, seller, no, "h", fid, fid, i, run, run))
        for k, t in enumerate((303, 505, 603)):
            did = i * 3 + k
            state, status, info, when = "accepted", "120", "ok", at(i % 30)
            if t == 603:
                state, status = "released", "800"
                if i % 10 == 0:
                    state, status, info = "rejected", "100", "退单 <b>&amp; \"x\""
                    want["rejected"] += 1
                elif i % 10 == 1:
                    state, status, when = "sent", None, at(3)
                    want["stuck"] += 1
            want["states"][state] = want["states"].get(state, 0) + 1
            guid = "G%035d" % did
            docs.append((did, i, t, no, 1, guid, 1, "c", state, status, info, when))
            msgs.append((did, did, 1, guid, t, 1, "m%d.xml" % did, "s", 1, fid, 0, state, when))
            if t == 603 and state == "released":
                rcpts.append((when, "r.xml", 604, guid, no, "800",
                              (as_of - datetime.timedelta(days=i % 200)).strftime("%Y%m%d")
                              + "120000", "ok", did, "applied"))
        fx.append((i, "USD", 1000 + i % 500, run))
        if i % 50 == 0:
            rej.append((fid, seller, no, i, "line %d: orderNo: bad <i>value</i>" % i, run))
            want["rejected"] += 1
        if i % 20 == 5:
            canc.append((i, fid, i, "cancelled", "buyer cancelled", run))
            want["cancel"] += 1
        if i % 100 == 7:
            unk.append((run, "u%d.xml" % i, 604, "X%035d" % i, no, "800", "", "?", None, "unknown"))
            want["unknown"] += 1
    con.executemany("INSERT INTO orders(id, seller, order_no, hash, first_file, last_file, line,"
                    " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)", orders)
    # each order taken from its seller's file, as the run lists it
    con.executemany("INSERT INTO file_orders(input_file, held, seller, order_no) VALUES (?,0,?,?)",
                    [(o[4], o[1], o[2]) for o in orders])
    con.executemany("INSERT INTO documents(id, order_id, msg_type, business_key, version, guid,"
                    " app_type, content_hash, state, status, status_info, updated_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", docs)
    con.executemany("INSERT INTO messages(id, document_id, version, guid, msg_type, app_type,"
                    " file_name, sha256, size, input_file, staged, state, created_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", msgs)
    con.executemany("INSERT INTO receipts(received_at, file_name, msg_type, guid, order_no,"
                    " status, return_time, return_info, message_id, outcome)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?)", rcpts + unk)
    con.executemany("INSERT INTO rejections(input_file, seller, order_no, line, reason, at)"
                    " VALUES (?,?,?,?,?,?)", rej)
    con.executemany("INSERT INTO cancel_needed(order_id, input_file, line, status, reason,"
                    " noted_at) VALUES (?,?,?,?,?,?)", canc)
    con.executemany("INSERT INTO fx_declared(order_id, currency, amount, updated_at)"
                    " VALUES (?,?,?,?)", fx)
    con.commit()
    print(json.dumps(want, sort_keys=True))


if __name__ == "__main__":
    main()
