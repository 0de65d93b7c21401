#!/usr/bin/env python3
"""report-fxgen.py DB N AS_OF... - fill a cebgate database (made by cebgate, so migrated) with N
declared orders in mixed collection states, written with SQL directly, and print as JSON what
the FX aging and deferred-receipt (credit) reports and each order's state must be on each AS_OF
day, computed here from the rows written by the rules of docs/settlement.md (not by cebgate).

Sellers and their [settle] keys (report-fx.sh writes the same configuration):
  ""    tolerance 1.00, terms 30, credit 90, report 30 days, tax deadline 04-30 + 1 year
  b2b   tolerance "USD=5.00 2%", terms 120, report 20 days
  late  terms 200, tax deadline 06-30 + 2 years
Order i: currency EUR when i % 4 == 0, else USD; declared 100.00 + (i * 37) % 9000 minor units.
Released (CEB603 receipt 800 or 899) on AS_OF[0] - (i * 7) % 400 days (i % 5 == 0: minus one of
the aging buckets' edges, 0 to 181 days), except i % 9 == 0 (not released) and i % 9 == 4 (a
status 100 receipt only: not released). Payments (allocations of a
receipt) by i % 8: none, half, all, all + 0.50, a third then refunded in part, more than declared,
part with a platform fee, a cross-currency allocation waiting for rates; i % 11 == 3 has a removed
allocation of everything; adjustments: i % 13 == 2 returned goods, i % 17 == 5 deemed, i % 19 ==
6 uncollectible, i % 23 == 7 an explained over-collection, i % 7 == 3 deferred-receipt filed.
"""
import datetime
import json
import sqlite3
import sys

SELLERS = ("", "b2b", "late")
EDGES = (0, 30, 31, 60, 61, 90, 91, 180, 181)  # the aging buckets' edges, in days
CONF = {
    "": {"tol": (100, None, 0), "terms": 30, "credit": 90, "report": 30, "md": "04-30",
         "years": 1},
    "b2b": {"tol": (0, ("USD", 500), 20000), "terms": 120, "credit": 90, "report": 20,
            "md": "04-30", "years": 1},
    "late": {"tol": (100, None, 0), "terms": 200, "credit": 90, "report": 30, "md": "06-30",
             "years": 2},
}


def day(d):
    return datetime.date.fromisoformat(d)


def half_up_div(a, b):
    """round(a / b) half away from zero, integers, b > 0."""
    q, r = divmod(abs(a), b)
    if 2 * r >= b:
        q += 1
    return q if a >= 0 else -q


def tolerance(seller, cur, expected):
    amount, own, pct_ppm = CONF[seller]["tol"]  # pct in millionths of one (2% = 20000)
    if own is not None and own[0] == cur:
        amount = own[1]
    pct = half_up_div(expected * pct_ppm, 1000000) if pct_ppm else 0
    return max(amount, pct)


def state_of(o, china):
    """The state as of the UTC day whose end falls on the China date china."""
    c = CONF[o["seller"]]
    expected = o["declared"] - o["returned"]
    collected = o["principal"] + o["fees"] - o["refunds"]
    got = collected - o["explained"]
    opened = max(expected - got, 0)
    tol = tolerance(o["seller"], o["cur"], expected)
    deadline = None
    if o["export_on"]:
        deadline = datetime.date(day(o["export_on"]).year + c["years"], int(c["md"][:2]),
                                 int(c["md"][3:]))
    if not o["export_on"]:
        st = "NOT_EXPORTED"
    elif o["uncollectible"]:
        st = "UNCOLLECTIBLE"
    elif o["deemed"]:
        st = "DEEMED_COLLECTED"
    elif got > expected + tol:
        st = "OVER_COLLECTED"
    elif got >= expected - tol:
        st = "COLLECTED"
    elif china > deadline:
        st = "OVERDUE"
    elif got <= 0:
        st = "AWAITING"
    else:
        st = "PARTIAL"
    if st in ("DEEMED_COLLECTED", "UNCOLLECTIBLE", "NOT_EXPORTED"):
        opened = 0
    return st, opened


def money(minor):
    return "%s%d.%02d" % ("-" if minor < 0 else "", abs(minor) // 100, abs(minor) % 100)


def expect(orders, as_of):
    today = day(as_of)
    china = today + datetime.timedelta(days=1)  # the China date at the end of the UTC day
    aging, credit, states = {}, [], {}
    by_seller = {}  # seller: its own aging, as report fx aging --seller gives it
    for o in orders:
        st, opened = state_of(o, china)
        name = (o["seller"] + "/" if o["seller"] else "") + o["no"]
        states[name] = [st, money(opened)]
        if st in ("AWAITING", "PARTIAL", "OVERDUE") and opened > 0 and o["export_on"]:
            age = (today - day(o["export_on"])).days
            if age >= 0:
                k = 0 if age <= 30 else 1 if age <= 60 else 2 if age <= 90 else \
                    3 if age <= 180 else 4
                for a in (aging.setdefault(o["cur"], [0] * 7),
                          by_seller.setdefault(o["seller"], {}).setdefault(o["cur"], [0] * 7)):
                    a[k] += opened
                    a[5] += opened
                    a[6] += 1
        c = CONF[o["seller"]]
        if c["terms"] > c["credit"] and o["export_on"]:
            ex = day(o["export_on"])
            due = ex + datetime.timedelta(days=c["report"])
            if o["credit_filed"]:
                s = "filed"
            elif st in ("COLLECTED", "DEEMED_COLLECTED"):
                s = "not needed (collected)"
            elif china > due:
                s = "OVERDUE"
            else:
                s = "due"
            credit.append([name, o["export_on"], str(c["terms"]), due.isoformat(), s, o["cur"],
                           money(opened)])
    def rows(ag):
        return [[cur] + [money(v) for v in a[:6]] + [str(a[6])] for cur, a in sorted(ag.items())]
    out = {"aging": rows(aging), "credit": credit, "states": states}
    for seller, ag in by_seller.items():
        out["aging " + seller] = rows(ag)
        out["credit " + seller] = [r for r in credit if r[0].startswith(seller + "/")]
    return out


def main():
    db, n, days = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    base = day(days[0])
    con = sqlite3.connect(db)
    now = "2026-01-01T00:00:00.000Z"
    con.execute("INSERT INTO input_files(id, seller, name, active_name, size, sha256, outcome,"
                " orders_new, taken_at, finished_at) VALUES (1, '', 'o.csv', 'o.csv', 1, ?,"
                " 'done', ?, ?, ?)", ("%064d" % 1, n, now, now))
    con.execute("INSERT INTO fx_statement(id, seller, kind, name, sha256, entries, imported_at)"
                " VALUES (1, '', 'csv', 's.csv', ?, 4, ?)", ("%064d" % 2, now))
    big = 10 ** 12
    for rid, direction, cur in ((1, "in", "USD"), (2, "in", "EUR"), (3, "out", "USD"),
                                (4, "out", "EUR"), (5, "in", "GBP")):
        con.execute("INSERT INTO fx_receipt(id, statement_id, seller, entry_key, line, direction,"
                    " currency, gross, fee, net, booked_on, value_on, created_at) VALUES"
                    " (?, 1, '', ?, ?, ?, ?, ?, ?, ?, '2025-01-01', '2025-01-01', ?)",
                    (rid, "K%d" % rid, rid, direction, cur, 2 * big, big, big, now))
    orders = []
    alloc_id = 0
    for i in range(1, n + 1):
        seller = SELLERS[i % 3]
        cur = "EUR" if i % 4 == 0 else "USD"
        declared = 10000 + (i * 37) % 9000
        no = "FX%06d" % i
        o = {"seller": seller, "no": no, "cur": cur, "declared": declared, "export_on": "",
             "principal": 0, "fees": 0, "refunds": 0, "returned": 0, "explained": 0,
             "deemed": 0, "uncollectible": 0, "credit_filed": 0}
        con.execute("INSERT INTO orders(id, seller, order_no, hash, first_file, last_file, line,"
                    " created_at, updated_at) VALUES (?, ?, ?, 'h', 1, 1, ?, ?, ?)",
                    (i, seller, no, i, now, now))
        con.execute("INSERT INTO fx_declared(order_id, currency, amount, updated_at)"
                    " VALUES (?, ?, ?, ?)", (i, cur, declared, now))
        offset = (i * 7) % 400 if i % 5 else EDGES[(i // 5) % len(EDGES)]
        rel = base - datetime.timedelta(days=offset)
        state = "released" if i % 9 not in (0, 4) else ("rejected" if i % 9 == 4 else "sent")
        con.execute("INSERT INTO documents(id, order_id, msg_type, business_key, version, guid,"
                    " app_type, content_hash, state, status, status_info, updated_at)"
                    " VALUES (?, ?, 603, ?, 1, ?, 1, 'c', ?, NULL, '', ?)",
                    (i, i, no, "G%035d" % i, state, now))
        con.execute("INSERT INTO messages(id, document_id, version, guid, msg_type, app_type,"
                    " file_name, sha256, size, input_file, staged, state, created_at)"
                    " VALUES (?, ?, 1, ?, 603, 1, ?, 's', 1, 1, 0, ?, ?)",
                    (i, i, "G%035d" % i, "m%d.xml" % i, state, now))
        if i % 9 != 0:
            status = "100" if i % 9 == 4 else ("899" if i % 2 else "800")
            rt = rel.strftime("%Y%m%d") + "093000" if i % 5 else ""
            received = (rel.isoformat() if rt == "" else "2020-01-01") + "T10:00:00.000Z"
            con.execute("INSERT INTO receipts(received_at, file_name, msg_type, guid, order_no,"
                        " status, return_time, return_info, message_id, outcome)"
                        " VALUES (?, 'r.xml', 604, ?, ?, ?, ?, 'ok', ?, 'applied')",
                        (received, "G%035d" % i, no, status, rt, i))
            if status != "100":
                o["export_on"] = rel.isoformat()

        def alloc(kind, amount, removed=False, cross=False):
            nonlocal alloc_id
            alloc_id += 1
            rid = {"USD": 1, "EUR": 2}[cur] + (2 if kind == "REFUND_OUT" else 0)
            if cross:
                rid = 5
            con.execute("INSERT INTO fx_allocation(id, receipt_id, order_id, kind, amount_rcpt,"
                        " amount_order, cross_ccy, cause, created_at, removed_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, 'test', ?, ?)",
                        (alloc_id, rid, i, kind, amount, None if cross else amount,
                         1 if cross else 0, now, now if removed else None))
            if not removed and not cross:
                key = {"PRINCIPAL": "principal", "FEE_NETTED": "fees",
                       "REFUND_OUT": "refunds"}[kind]
                o[key] += amount

        k = i % 8
        if k == 1:
            alloc("PRINCIPAL", declared // 2)
        elif k == 2:
            alloc("PRINCIPAL", declared)
        elif k == 3:
            alloc("PRINCIPAL", declared + 50)
        elif k == 4:
            alloc("PRINCIPAL", declared // 3)
            alloc("REFUND_OUT", declared // 7)
        elif k == 5:
            alloc("PRINCIPAL", declared + 2000)
        elif k == 6:
            alloc("PRINCIPAL", declared // 2 - 300)
            alloc("FEE_NETTED", 300)
        elif k == 7:
            alloc("PRINCIPAL", 40, cross=True)
        if i % 11 == 3:
            alloc("PRINCIPAL", declared, removed=True)

        def adjust(kind, amount, key):
            con.execute("INSERT INTO fx_adjust(order_id, kind, amount, note, created_at)"
                        " VALUES (?, ?, ?, 'test', ?)", (i, kind, amount, now))
            o[key] += amount if kind in ("RETURNED", "FX_DIFF", "FREIGHT") else 1

        if i % 13 == 2:
            adjust("RETURNED", declared // 4, "returned")
        if i % 17 == 5:
            adjust("DEEMED", 0, "deemed")
        if i % 19 == 6:
            adjust("UNCOLLECTIBLE", 0, "uncollectible")
        if i % 23 == 7:
            adjust("FX_DIFF", 1500, "explained")
        if i % 7 == 3:
            adjust("TRADE_CREDIT_FILED", 0, "credit_filed")
        orders.append(o)
    con.commit()
    print(json.dumps({d: expect(orders, d) for d in days}, sort_keys=True))


if __name__ == "__main__":
    main()
