/*
 * store-settle.c - every SQL statement of settle/: fx_* tables, and read-only queries over
 * the declaration tables.
 *
 * Each function takes its statement from the store (store_keep: prepared on first use, kept for
 * the life of the connection, so an import of many entries parses each SQL text once), runs it
 * and gives it back reset; the caller owns the transaction (cg_store_tx). Strings handed to
 * callbacks point into SQLite's row and are valid during the call only. Failures: CG_ENOTFOUND for
 * a missing row, CG_EEXIST for a duplicate, CG_EREJECT when a trigger refuses an allocation or
 * settlement that breaks a money invariant, CG_EDB / CG_EBUSY (with err) for the database itself.
 */
#include "config.h"

#include <string.h>

#include "core/buf.h"
#include "store/store-int.h"
#include "store/store-settle.h"

/* Rows carry the time the store gives them (store_now), bound to this parameter by store_keep,
 * which needs it written after the numbered parameters. */
#define NOW_SQL ":now"

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s != NULL)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *p = sqlite3_column_text(st, i);

    return p != NULL ? (const char *)p : "";
}

/* Step a statement that returns no row; constraint failures from our triggers are rejects. */
static int run(struct cg_db *db, sqlite3_stmt *st, const char *what, struct cg_err *err)
{
    int r = sqlite3_step(st);

    if (r == SQLITE_DONE)
        return CG_OK;
    if ((r & 0xff) == SQLITE_CONSTRAINT) {
        const char *m = sqlite3_errmsg(cg_db_handle(db));
        if (strstr(m, "exceeds") != NULL || strstr(m, "a charge must be") != NULL ||
            strstr(m, "a payout arrives") != NULL)
            return CG_ERR_SET(err, CG_EREJECT, "%s", m);
        if (strstr(m, "UNIQUE") != NULL)
            return CG_ERR_SET(err, CG_EEXIST, "%s: already recorded", what);
    }
    return cg_db_fail(db, r, what, err);
}

/* ------------------------------------------------------------------ declared orders */

int cg_store_fx_declared_put(struct cg_store *store, const struct cg_fx_declared *d, size_t n,
                             struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    size_t i;
    int rc;

    if (n == 0)
        return CG_OK;
    /*
     * Shop refunds only grow: an order recorded again keeps the largest refunded amount any of
     * its files gave, so an older export taken later does not lower it, and never more than the
     * charge of the file taken (the table's CHECK). Two-argument min() and max() of SQLite.
     */
    rc = store_keep(
        store,
        "INSERT INTO fx_declared(order_id, currency, amount, pay_no, pay_charge, pay_refunded, "
        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, " NOW_SQL ") ON CONFLICT(order_id) DO UPDATE "
        "SET currency = ?2, amount = ?3, pay_no = ?4, pay_charge = ?5, pay_refunded = "
        "min(max(pay_refunded, ?6), coalesce(?5, max(pay_refunded, ?6))), "
        "updated_at = " NOW_SQL,
        &st, err);
    for (i = 0; rc == CG_OK && i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, d[i].order_id);
        bind_text(st, 2, d[i].currency);
        sqlite3_bind_int64(st, 3, d[i].amount);
        if (d[i].pay_no != NULL && d[i].pay_no[0] != '\0')
            bind_text(st, 4, d[i].pay_no);
        else
            sqlite3_bind_null(st, 4);
        if (d[i].has_charge)
            sqlite3_bind_int64(st, 5, d[i].charge);
        else
            sqlite3_bind_null(st, 5);
        sqlite3_bind_int64(st, 6, d[i].has_charge ? d[i].refunded : 0);
        rc = run(db, st, "record declared amount", err);
    }
    store_unkeep(store, st);
    return rc;
}

/* ------------------------------------------------------------------ payment records */

/* SQL: the text of k after its first colon */
#define KEY_TAIL(k) "substr(" k ", instr(" k ", ':') + 1)"
/*
 * The payment number is the receipt's reference: its key after "KIND:SELLER:ACCOUNT:", whose
 * parts hold no colon (settle/ writes one as %3A) while the reference may ("C:2025:08").
 */
#define PAY_NO_SQL KEY_TAIL(KEY_TAIL(KEY_TAIL("r.entry_key")))

int cg_store_fx_payment_put(struct cg_store *store, long long order_id, const char *currency,
                            int64_t amount, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = store_keep(
        store,
        "INSERT INTO fx_payment(order_id, currency, amount, pay_no, paid_on, rev, declared_rev, "
        "updated_at) SELECT ?1, ?2, ?3, (SELECT " PAY_NO_SQL " "
        "FROM fx_allocation a JOIN fx_receipt r ON r.id = "
        "a.receipt_id WHERE a.order_id = ?1 AND a.removed_at IS NULL AND a.kind = "
        "'PRINCIPAL' AND a.amount_order IS NOT NULL ORDER BY r.value_on DESC, a.id DESC LIMIT 1), "
        "(SELECT r.value_on FROM fx_allocation a JOIN fx_receipt r ON r.id = a.receipt_id WHERE "
        "a.order_id = ?1 AND a.removed_at IS NULL AND a.kind = 'PRINCIPAL' AND a.amount_order IS "
        "NOT NULL ORDER BY r.value_on DESC, a.id DESC LIMIT 1), 1, 0, " NOW_SQL " WHERE ?3 > 0 OR "
        "EXISTS (SELECT 1 FROM fx_payment WHERE order_id = ?1) ON CONFLICT(order_id) DO UPDATE "
        "SET currency = excluded.currency, amount = excluded.amount, pay_no = excluded.pay_no, "
        "paid_on = excluded.paid_on, rev = rev + 1, updated_at = excluded.updated_at WHERE "
        "currency IS NOT excluded.currency OR amount IS NOT excluded.amount OR pay_no IS NOT "
        "excluded.pay_no OR paid_on IS NOT excluded.paid_on",
        &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, order_id);
    bind_text(st, 2, currency);
    sqlite3_bind_int64(st, 3, amount);
    rc = run(store->db, st, "record payment", err);
    store_unkeep(store, st);
    return rc;
}

/*
 * The orders whose CEB403's current version the E-Port refused before storing it
 * (STORE_DOC_REFUSED) by a message up to ?1: the mark taken before this process (in `watch`,
 * this generation of its signing keys) declared any.
 */
#define REFUSED_403_SQL                                                                            \
    "SELECT d.order_id FROM documents d JOIN messages m ON m.document_id = d.id AND m.version = "  \
    "d.version WHERE d.state = 'rejected' AND d.msg_type = 403 AND m.id <= ?1 "                    \
    "AND " STORE_DOC_REFUSED
#define PAYMENT_COLS_SQL                                                                           \
    "SELECT p.order_id, o.seller, o.order_no, p.currency, p.amount, p.pay_no, p.paid_on, p.rev, "  \
    "p.order_id IN refused FROM fx_payment p JOIN orders o ON o.id = p.order_id WHERE "

int cg_store_fx_payments_due(struct cg_store *store, int64_t mark, cg_fx_payment_fn fn, void *ctx,
                             struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int r;
    /* Two arms, so that the changed records are still found by the partial index fx_payment_due
     * and the refused ones through the few rejected documents. */
    int rc = store_keep(store,
                        "WITH refused(order_id) AS (" REFUSED_403_SQL ") " PAYMENT_COLS_SQL
                        "p.rev > p.declared_rev UNION ALL " PAYMENT_COLS_SQL
                        "p.rev <= p.declared_rev AND p.order_id IN refused ORDER BY 1",
                        &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, mark);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct cg_fx_payment p;
        memset(&p, 0, sizeof(p));
        p.order_id = sqlite3_column_int64(st, 0);
        p.seller = col_text(st, 1);
        p.order_no = col_text(st, 2);
        cg_strlcpy(p.currency, col_text(st, 3), sizeof(p.currency));
        p.amount = sqlite3_column_int64(st, 4);
        p.pay_no = (const char *)sqlite3_column_text(st, 5);
        p.paid_on = (const char *)sqlite3_column_text(st, 6);
        p.rev = sqlite3_column_int64(st, 7);
        p.refused = sqlite3_column_int(st, 8) != 0;
        if ((rc = fn(ctx, &p)) != 0)
            goto done;
    }
    if (r != SQLITE_DONE)
        rc = cg_db_fail(store->db, r, "read payment records", err);
done:
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_payments_mark(struct cg_store *store, int64_t *mark, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int r;
    int rc = store_keep(store, "SELECT coalesce(max(id), 0) FROM messages", &st, err);

    if (rc != CG_OK)
        return rc;
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *mark = sqlite3_column_int64(st, 0);
    else
        rc = cg_db_fail(store->db, r, "read the last message", err);
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_payment_declared(struct cg_store *store, long long order_id, long long rev,
                                 struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc =
        store_keep(store,
                   "UPDATE fx_payment SET declared_rev = ?2 WHERE order_id = ?1 AND declared_rev "
                   "< ?2",
                   &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, order_id);
    sqlite3_bind_int64(st, 2, rev);
    rc = run(store->db, st, "record declared payment", err);
    store_unkeep(store, st);
    return rc;
}

/*
 * The release: the first 800 or 899 on the order's inventory (CEB603). Its day is the China
 * date of the receipt's returnTime (YYYYMMDDhhmmss, China time, UTC+8); its instant is that
 * time in UTC (a returnTime of a date only: the start of that China day; none: when the receipt
 * was received).
 */
#define RELEASE_FROM                                                                               \
    "FROM receipts r JOIN messages m ON m.id = r.message_id JOIN documents dc ON dc.id = "         \
    "m.document_id WHERE dc.order_id = o.id AND dc.msg_type = 603 AND r.status IN ('800', '899')"
#define RT_DAY                                                                                     \
    "substr(r.return_time, 1, 4) || '-' || substr(r.return_time, 5, 2) || '-' || "                 \
    "substr(r.return_time, 7, 2)"
#define ORDER_SQL                                                                                  \
    "SELECT o.id, o.seller, o.order_no, d.currency, d.amount, coalesce((SELECT min(CASE WHEN "     \
    "length(r.return_time) >= 8 THEN " RT_DAY                                                      \
    " ELSE substr(r.received_at, 1, 10) END) " RELEASE_FROM                                        \
    "), ''), coalesce((SELECT min(CASE WHEN length(r.return_time) >= 14 THEN "                     \
    "datetime(" RT_DAY " || ' ' || substr(r.return_time, 9, 2) || ':' || "                         \
    "substr(r.return_time, 11, 2) || ':' || substr(r.return_time, 13, 2), '-8 hours') WHEN "       \
    "length(r.return_time) >= 8 THEN datetime(" RT_DAY ", '-8 hours') ELSE "                       \
    "coalesce(datetime(r.received_at), substr(r.received_at, 1, 10)) END) " RELEASE_FROM           \
    "), ''), d.pay_charge, d.pay_refunded FROM orders o JOIN fx_declared d ON d.order_id = o.id "

/* The columns of an ORDER_SQL row. */
#define ORDER_COLS 9
static void order_of_row(sqlite3_stmt *st, struct cg_fx_order *o)
{
    memset(o, 0, sizeof(*o));
    o->id = sqlite3_column_int64(st, 0);
    o->seller = col_text(st, 1);
    o->order_no = col_text(st, 2);
    cg_strlcpy(o->currency, col_text(st, 3), sizeof(o->currency));
    o->declared = sqlite3_column_int64(st, 4);
    cg_strlcpy(o->export_on, col_text(st, 5), sizeof(o->export_on));
    cg_strlcpy(o->released_utc_on, col_text(st, 6), sizeof(o->released_utc_on));
    o->has_charge = sqlite3_column_type(st, 7) != SQLITE_NULL;
    o->charge = o->has_charge ? sqlite3_column_int64(st, 7) : 0;
    o->refunded = o->has_charge ? sqlite3_column_int64(st, 8) : 0;
}

static int each_order(struct cg_db *db, sqlite3_stmt *st, cg_fx_order_fn fn, void *ctx, long *n,
                      struct cg_err *err)
{
    int r;
    int rc = CG_OK;

    *n = 0;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct cg_fx_order o;
        order_of_row(st, &o);
        (*n)++;
        if (fn != NULL && (rc = fn(ctx, &o)) != 0)
            return rc;
    }
    if (r != SQLITE_DONE)
        return cg_db_fail(db, r, "read orders", err);
    return CG_OK;
}

int cg_store_fx_order_find(struct cg_store *store, const char *seller, const char *order_no,
                           cg_fx_order_fn fn, void *ctx, struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    long n = 0;
    int rc = store_keep(store, ORDER_SQL "WHERE o.order_no = ?1 AND (?2 IS NULL OR o.seller = ?2)",
                        &st, err);

    if (rc != CG_OK)
        return rc;
    bind_text(st, 1, order_no);
    bind_text(st, 2, seller);
    rc = each_order(db, st, NULL, NULL, &n, err);
    if (rc == CG_OK && n == 0)
        rc = CG_ENOTFOUND;
    else if (rc == CG_OK && n > 1)
        rc = CG_ERR_SET(err, CG_EEXIST, "order %s: several sellers have it; say SELLER/%s",
                        order_no, order_no);
    if (rc == CG_OK) {
        sqlite3_reset(st);
        rc = each_order(db, st, fn, ctx, &n, err);
    }
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_order_find_pay(struct cg_store *store, const char *seller, const char *pay_no,
                               cg_fx_order_fn fn, void *ctx, struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    long n = 0;
    int rc = store_keep(
        store, ORDER_SQL "WHERE d.pay_no = ?1 AND (?2 IS NULL OR o.seller = ?2) ORDER BY o.id", &st,
        err);

    if (rc != CG_OK)
        return rc;
    bind_text(st, 1, pay_no);
    bind_text(st, 2, seller);
    rc = each_order(db, st, fn, ctx, &n, err);
    if (rc == CG_OK && n == 0)
        rc = CG_ENOTFOUND;
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_order_get(struct cg_store *store, long long id, cg_fx_order_fn fn, void *ctx,
                          struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    long n = 0;
    int rc = store_keep(store, ORDER_SQL "WHERE o.id = ?1", &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    rc = each_order(db, st, fn, ctx, &n, err);
    if (rc == CG_OK && n == 0)
        rc = CG_ENOTFOUND;
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_orders_each(struct cg_store *store, cg_fx_order_fn fn, void *ctx,
                            struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    long n = 0;
    int rc = store_keep(store, ORDER_SQL "ORDER BY o.id", &st, err);

    if (rc != CG_OK)
        return rc;
    rc = each_order(db, st, fn, ctx, &n, err);
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_order_sums(struct cg_store *store, long long order_id, struct cg_fx_sums *out,
                           struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int r;
    int rc =
        store_keep(store,
                   "SELECT coalesce(sum(CASE WHEN kind = 'PRINCIPAL' THEN amount_order END), 0), "
                   "coalesce(sum(CASE kind WHEN 'FEE_NETTED' THEN amount_order "
                   "  WHEN 'FEE_REVERSED' THEN -amount_order END), 0), "
                   "coalesce(sum(CASE WHEN kind = 'REFUND_OUT' THEN amount_order END), 0), "
                   "coalesce(sum(amount_order IS NULL), 0), coalesce(sum(cross_ccy), 0), "
                   "(SELECT coalesce(sum(CASE WHEN kind = 'RETURNED' THEN amount END), 0) "
                   "  FROM fx_adjust WHERE order_id = ?1), "
                   "(SELECT coalesce(sum(CASE WHEN kind IN ('FX_DIFF', 'FREIGHT') THEN amount END),"
                   "  0) FROM fx_adjust WHERE order_id = ?1), "
                   "(SELECT count(*) FROM fx_adjust WHERE order_id = ?1 AND kind = 'DEEMED'), "
                   "(SELECT count(*) FROM fx_adjust WHERE order_id = ?1 AND kind = "
                   "  'UNCOLLECTIBLE'), "
                   "(SELECT count(*) FROM fx_adjust WHERE order_id = ?1 AND kind = "
                   "  'TRADE_CREDIT_FILED') "
                   "FROM fx_allocation WHERE order_id = ?1 AND removed_at IS NULL",
                   &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, order_id);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        out->principal = sqlite3_column_int64(st, 0);
        out->fees = sqlite3_column_int64(st, 1);
        out->refunds = sqlite3_column_int64(st, 2);
        out->pending_cross = sqlite3_column_int(st, 3);
        out->cross = sqlite3_column_int(st, 4);
        out->returned = sqlite3_column_int64(st, 5);
        out->explained = sqlite3_column_int64(st, 6);
        out->deemed = sqlite3_column_int(st, 7);
        out->uncollectible = sqlite3_column_int(st, 8);
        out->credit_filed = sqlite3_column_int(st, 9);
    } else {
        rc = cg_db_fail(db, r, "sum allocations", err);
    }
    store_unkeep(store, st);
    return rc;
}

/*
 * The sums of cg_store_fx_order_sums for every order at once: the live allocations and the
 * adjustments grouped by order, joined to the orders (absent: zero).
 */
#define ORDER_SUMS_SQL                                                                             \
    "SELECT x.*, coalesce(a.principal, 0), coalesce(a.fees, 0), coalesce(a.refunds, 0), "          \
    "coalesce(a.pending, 0), coalesce(a.cross_n, 0), coalesce(j.returned, 0), "                    \
    "coalesce(j.explained, 0), coalesce(j.deemed, 0), coalesce(j.uncollectible, 0), "              \
    "coalesce(j.credit_filed, 0) FROM (" ORDER_SQL ") x LEFT JOIN (SELECT order_id, "              \
    "sum(CASE WHEN kind = 'PRINCIPAL' THEN amount_order END) AS principal, "                       \
    "sum(CASE kind WHEN 'FEE_NETTED' THEN amount_order WHEN 'FEE_REVERSED' THEN -amount_order "    \
    "END) AS fees, "                                                                               \
    "sum(CASE WHEN kind = 'REFUND_OUT' THEN amount_order END) AS refunds, "                        \
    "sum(amount_order IS NULL) AS pending, sum(cross_ccy) AS cross_n FROM fx_allocation WHERE "    \
    "removed_at IS NULL GROUP BY order_id) a ON a.order_id = x.id LEFT JOIN (SELECT order_id, "    \
    "sum(CASE WHEN kind = 'RETURNED' THEN amount END) AS returned, "                               \
    "sum(CASE WHEN kind IN ('FX_DIFF', 'FREIGHT') THEN amount END) AS explained, "                 \
    "sum(kind = 'DEEMED') AS deemed, sum(kind = 'UNCOLLECTIBLE') AS uncollectible, "               \
    "sum(kind = 'TRADE_CREDIT_FILED') AS credit_filed FROM fx_adjust GROUP BY order_id) j "        \
    "ON j.order_id = x.id ORDER BY x.id"

int cg_store_fx_orders_sums_each(struct cg_store *store, cg_fx_order_sums_fn fn, void *ctx,
                                 struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int r;
    int rc = store_keep(store, ORDER_SUMS_SQL, &st, err);

    if (rc != CG_OK)
        return rc;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct cg_fx_order o;
        struct cg_fx_sums s;
        order_of_row(st, &o);
        memset(&s, 0, sizeof(s));
        s.principal = sqlite3_column_int64(st, ORDER_COLS + 0);
        s.fees = sqlite3_column_int64(st, ORDER_COLS + 1);
        s.refunds = sqlite3_column_int64(st, ORDER_COLS + 2);
        s.pending_cross = sqlite3_column_int(st, ORDER_COLS + 3);
        s.cross = sqlite3_column_int(st, ORDER_COLS + 4);
        s.returned = sqlite3_column_int64(st, ORDER_COLS + 5);
        s.explained = sqlite3_column_int64(st, ORDER_COLS + 6);
        s.deemed = sqlite3_column_int(st, ORDER_COLS + 7);
        s.uncollectible = sqlite3_column_int(st, ORDER_COLS + 8);
        s.credit_filed = sqlite3_column_int(st, ORDER_COLS + 9);
        if ((rc = fn(ctx, &o, &s)) != 0)
            break;
    }
    if (rc == CG_OK && r != SQLITE_DONE)
        rc = cg_db_fail(db, r, "read orders and sums", err);
    store_unkeep(store, st);
    return rc;
}

/* ------------------------------------------------------------------ statements, receipts */

int cg_store_fx_statement_find(struct cg_store *store, const char *sha256, long long *id,
                               struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int r;
    int rc = store_keep(store, "SELECT id FROM fx_statement WHERE sha256 = ?1", &st, err);

    if (rc != CG_OK)
        return rc;
    bind_text(st, 1, sha256);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else if (r == SQLITE_DONE)
        rc = CG_ENOTFOUND;
    else
        rc = cg_db_fail(db, r, "find statement", err);
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_statement_get(struct cg_store *store, long long id, char *seller,
                              size_t seller_size, char *name, size_t name_size, char day[11],
                              struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int r;
    int rc = store_keep(store,
                        "SELECT seller, name, substr(imported_at, 1, 10) FROM fx_statement "
                        "WHERE id = ?1",
                        &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        cg_strlcpy(seller, col_text(st, 0) != NULL ? col_text(st, 0) : "", seller_size);
        cg_strlcpy(name, col_text(st, 1) != NULL ? col_text(st, 1) : "", name_size);
        cg_strlcpy(day, col_text(st, 2) != NULL ? col_text(st, 2) : "", 11);
    } else if (r == SQLITE_DONE) {
        rc = CG_ENOTFOUND;
    } else {
        rc = cg_db_fail(db, r, "read statement", err);
    }
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_statement_add(struct cg_store *store, const char *seller, const char *kind,
                              const char *name, const char *sha256, const char *stmt_id,
                              long entries, long long *id, struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int rc = store_keep(store,
                        "INSERT INTO fx_statement(seller, kind, name, sha256, stmt_id, entries, "
                        "imported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, " NOW_SQL ")",
                        &st, err);

    if (rc != CG_OK)
        return rc;
    bind_text(st, 1, seller);
    bind_text(st, 2, kind);
    bind_text(st, 3, name);
    bind_text(st, 4, sha256);
    bind_text(st, 5, stmt_id);
    sqlite3_bind_int64(st, 6, entries);
    rc = run(db, st, "record statement", err);
    if (rc == CG_OK)
        *id = sqlite3_last_insert_rowid(cg_db_handle(db));
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_receipt_add(struct cg_store *store, const struct cg_fx_receipt *r, long long *id,
                            struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int rc = store_keep(
        store,
        "INSERT INTO fx_receipt(statement_id, seller, entry_key, line, direction, "
        "currency, gross, fee, net, booked_on, value_on, reference, remitter, charge, "
        "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, " NOW_SQL
        ")",
        &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, r->statement_id);
    bind_text(st, 2, r->seller);
    bind_text(st, 3, r->entry_key);
    sqlite3_bind_int64(st, 4, r->line);
    bind_text(st, 5, r->out ? "out" : "in");
    bind_text(st, 6, r->currency);
    sqlite3_bind_int64(st, 7, r->gross);
    sqlite3_bind_int64(st, 8, r->fee);
    sqlite3_bind_int64(st, 9, r->net);
    bind_text(st, 10, r->booked_on);
    bind_text(st, 11, r->value_on);
    bind_text(st, 12, r->reference);
    bind_text(st, 13, r->remitter);
    sqlite3_bind_int(st, 14, r->out && r->charge);
    rc = run(db, st, "record receipt", err);
    if (rc == CG_OK)
        *id = sqlite3_last_insert_rowid(cg_db_handle(db));
    store_unkeep(store, st);
    return rc;
}

/*
 * Step st, a query of one id or none, and give it back: CG_OK and *id (may be NULL) for a row,
 * else CG_ENOTFOUND.
 */
static int row_found(struct cg_store *store, sqlite3_stmt *st, long long *id, const char *what,
                     struct cg_err *err)
{
    int r = sqlite3_step(st);
    int rc = r == SQLITE_ROW    ? CG_OK
             : r == SQLITE_DONE ? CG_ENOTFOUND
                                : cg_db_fail(store->db, r, what, err);

    if (rc == CG_OK && id != NULL)
        *id = sqlite3_column_int64(st, 0);
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_receipt_known(struct cg_store *store, const char *entry_key, long long *id,
                              struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = store_keep(store, "SELECT id FROM fx_receipt WHERE entry_key = ?1", &st, err);

    if (rc != CG_OK)
        return rc;
    bind_text(st, 1, entry_key);
    return row_found(store, st, id, "find receipt", err);
}

int cg_store_fx_entry_known_any(struct cg_store *store, const char *kind, const char *account,
                                const char *ref, long long *id, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    char sql[320];
    size_t n = strlen(kind) + 1; /* "KIND:" */
    int rc;

    /*
     * The part of the key after its seller, "ACCOUNT:REF": the expression of the indexes
     * fx_receipt_bank, fx_receipt_csv and fx_receipt_payout (migration steps 4 and 5), so that
     * they are used.
     */
    snprintf(sql, sizeof(sql),
             "SELECT id FROM fx_receipt WHERE substr(entry_key, 1, %zu) = '%s:' AND "
             "substr(entry_key, %zu + instr(substr(entry_key, %zu), ':')) = ?1 || ':' || ?2",
             n, kind, n + 1, n + 1);
    rc = store_keep(store, sql, &st, err);
    if (rc != CG_OK)
        return rc;
    bind_text(st, 1, account != NULL ? account : "");
    bind_text(st, 2, ref);
    return row_found(store, st, id, "find entry", err);
}

#define RECEIPT_SQL                                                                                \
    "SELECT r.id, r.statement_id, r.seller, r.entry_key, r.line, r.direction = 'out', "            \
    "r.currency, r.gross, r.fee, r.net, r.booked_on, r.value_on, r.reference, r.remitter, "        \
    "coalesce(sum(CASE WHEN a.kind = 'PRINCIPAL' THEN a.amount_rcpt END), 0), "                    \
    "coalesce(sum(CASE WHEN a.kind IN ('FEE_NETTED', 'FEE_REVERSED') THEN a.amount_rcpt END), "    \
    "0), "                                                                                         \
    "coalesce(sum(CASE WHEN a.kind = 'REFUND_OUT' THEN a.amount_rcpt END), 0), "                   \
    "r.charge OR m.receipt_id IS NOT NULL, m.marked_by, m.reason, m.marked_on, t.payout, "         \
    "t.seller, coalesce(t.transferred, r.net), t.cause, t.recorded_by, t.recorded_on, "            \
    "EXISTS (SELECT 1 FROM fx_transfer_undone u WHERE u.bank_receipt_id = r.id) "                  \
    "FROM fx_receipt r "                                                                           \
    "LEFT JOIN fx_receipt_charge m ON m.receipt_id = r.id "                                        \
    "LEFT JOIN fx_transfer t ON t.bank_receipt_id = r.id "                                         \
    "LEFT JOIN fx_allocation a ON a.receipt_id = r.id AND a.removed_at IS NULL "

static int each_receipt(struct cg_db *db, sqlite3_stmt *st, cg_fx_receipt_fn fn, void *ctx, long *n,
                        struct cg_err *err)
{
    int r;
    int rc;

    *n = 0;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct cg_fx_receipt x;
        memset(&x, 0, sizeof(x));
        x.id = sqlite3_column_int64(st, 0);
        x.statement_id = sqlite3_column_int64(st, 1);
        x.seller = col_text(st, 2);
        x.entry_key = col_text(st, 3);
        x.line = (long)sqlite3_column_int64(st, 4);
        x.out = sqlite3_column_int(st, 5);
        cg_strlcpy(x.currency, col_text(st, 6), sizeof(x.currency));
        x.gross = sqlite3_column_int64(st, 7);
        x.fee = sqlite3_column_int64(st, 8);
        x.net = sqlite3_column_int64(st, 9);
        cg_strlcpy(x.booked_on, col_text(st, 10), sizeof(x.booked_on));
        cg_strlcpy(x.value_on, col_text(st, 11), sizeof(x.value_on));
        x.reference = col_text(st, 12);
        x.remitter = col_text(st, 13);
        x.used_principal = sqlite3_column_int64(st, 14);
        x.used_fees = sqlite3_column_int64(st, 15);
        x.used_refunds = sqlite3_column_int64(st, 16);
        x.charge = sqlite3_column_int(st, 17);
        if (sqlite3_column_type(st, 18) != SQLITE_NULL) {
            x.charge_by = col_text(st, 18);
            x.charge_reason = col_text(st, 19);
            x.charge_on = col_text(st, 20);
        }
        if (sqlite3_column_type(st, 21) != SQLITE_NULL) {
            x.transfer_payout = col_text(st, 21);
            x.transfer_seller = col_text(st, 22);
            x.transfer_amount = sqlite3_column_int64(st, 23);
            x.transfer_cause = col_text(st, 24);
            x.transfer_by = col_text(st, 25);
            x.transfer_on = col_text(st, 26);
        }
        x.transfer_undone = sqlite3_column_int(st, 27);
        (*n)++;
        if ((rc = fn(ctx, &x)) != 0)
            return rc;
    }
    if (r != SQLITE_DONE)
        return cg_db_fail(db, r, "read receipts", err);
    return CG_OK;
}

int cg_store_fx_receipt_get(struct cg_store *store, long long id, cg_fx_receipt_fn fn, void *ctx,
                            struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    long n = 0;
    int rc = store_keep(store, RECEIPT_SQL "WHERE r.id = ?1 GROUP BY r.id", &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    rc = each_receipt(db, st, fn, ctx, &n, err);
    if (rc == CG_OK && n == 0)
        rc = CG_ENOTFOUND;
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_receipts_each(struct cg_store *store, int open_only, cg_fx_receipt_fn fn, void *ctx,
                              struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    long n = 0;
    int rc =
        store_keep(store,
                   open_only ? RECEIPT_SQL
                       "GROUP BY r.id HAVING r.net > "
                       "coalesce(sum(CASE WHEN a.kind IN ('PRINCIPAL', 'REFUND_OUT') THEN "
                       "a.amount_rcpt END), 0) AND max(t.bank_receipt_id) IS NULL ORDER BY r.id"
                             : RECEIPT_SQL "GROUP BY r.id ORDER BY r.id",
                   &st, err);

    if (rc != CG_OK)
        return rc;
    rc = each_receipt(db, st, fn, ctx, &n, err);
    store_unkeep(store, st);
    return rc;
}

/*
 * The payouts imported from payout reports, their receipts added up per seller, id and currency,
 * each with its arrival (LEFT JOIN fx_transfer t), as the query's first part; what follows picks
 * them.
 */
#define PAYOUT_SQL                                                                                 \
    "SELECT p.seller, p.pid, p.currency, min(p.value_on),"                                         \
    "  sum(CASE p.direction WHEN 'in' THEN p.net ELSE -p.net END), t.bank_receipt_id, t.cause"     \
    " FROM ("                                                                                      \
    "  SELECT seller, currency, value_on, direction, net,"                                         \
    "    CASE WHEN instr(ref, ' refund ') > 0 THEN substr(ref, 1, instr(ref, ' refund ') - 1)"     \
    "      WHEN instr(ref, ' adjustment') > 0"                                                     \
    "        THEN substr(ref, 1, instr(ref, ' adjustment') - 1)"                                   \
    "      ELSE ref END AS pid FROM ("                                                             \
    "    SELECT r.seller, r.currency, r.value_on, r.direction, r.net,"                             \
    "      substr(r.entry_key, 9 + instr(substr(r.entry_key, 8), ':')) AS ref"                     \
    "      FROM fx_receipt r WHERE substr(r.entry_key, 1, 7) = 'payout:')) p"                      \
    " LEFT JOIN fx_transfer t ON t.seller = p.seller AND t.payout = p.pid"

/* Each payout of query st (PAYOUT_SQL and its choice) to fn. */
static int each_payout(struct cg_store *store, sqlite3_stmt *st, cg_fx_payout_fn fn, void *ctx,
                       struct cg_err *err)
{
    int r;
    int rc = CG_OK;

    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct cg_fx_payout p;
        memset(&p, 0, sizeof(p));
        p.seller = col_text(st, 0) != NULL ? col_text(st, 0) : "";
        p.id = col_text(st, 1) != NULL ? col_text(st, 1) : "";
        cg_strlcpy(p.currency, col_text(st, 2) != NULL ? col_text(st, 2) : "", sizeof(p.currency));
        cg_strlcpy(p.day, col_text(st, 3) != NULL ? col_text(st, 3) : "", sizeof(p.day));
        p.transfer = sqlite3_column_int64(st, 4);
        p.arrived_in = sqlite3_column_int64(st, 5);
        p.arrival_cause = col_text(st, 6);
        if ((rc = fn(ctx, &p)) != 0)
            break;
    }
    if (rc == CG_OK && r != SQLITE_DONE)
        rc = cg_db_fail(store->db, r, "read payouts", err);
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_payouts_each(struct cg_store *store, cg_fx_payout_fn fn, void *ctx,
                             struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = store_keep(store,
                        PAYOUT_SQL " WHERE t.bank_receipt_id IS NULL"
                                   " GROUP BY p.seller, p.pid, p.currency ORDER BY p.seller, p.pid",
                        &st, err);

    return rc == CG_OK ? each_payout(store, st, fn, ctx, err) : rc;
}

int cg_store_fx_payout_find(struct cg_store *store, const char *seller, const char *id,
                            cg_fx_payout_fn fn, void *ctx, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = store_keep(store,
                        PAYOUT_SQL " WHERE p.pid = ?1 AND (?2 IS NULL OR p.seller = ?2)"
                                   " GROUP BY p.seller, p.pid, p.currency"
                                   " ORDER BY p.seller, p.currency",
                        &st, err);

    if (rc != CG_OK)
        return rc;
    bind_text(st, 1, id);
    bind_text(st, 2, seller);
    return each_payout(store, st, fn, ctx, err);
}

/* Insert a row of sql, bound to receipt_id and three texts, then the store's time. */
static int receipt_row_add(struct cg_store *store, const char *sql, long long receipt_id,
                           const char *t2, const char *t3, const char *t4, const char *what,
                           struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = store_keep(store, sql, &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, receipt_id);
    bind_text(st, 2, t2);
    bind_text(st, 3, t3);
    bind_text(st, 4, t4);
    rc = run(store->db, st, what, err);
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_transfer_add(struct cg_store *store, const struct cg_fx_transfer *t,
                             struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = store_keep(store,
                        "INSERT INTO fx_transfer(bank_receipt_id, seller, payout, cause, "
                        "transferred, recorded_by, recorded_on, note, created_at) VALUES (?1, ?2, "
                        "?3, ?4, ?5, ?6, ?7, ?8, " NOW_SQL ")",
                        &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, t->receipt_id);
    bind_text(st, 2, t->seller);
    bind_text(st, 3, t->payout);
    bind_text(st, 4, t->cause);
    sqlite3_bind_int64(st, 5, t->transferred);
    bind_text(st, 6, t->by);
    bind_text(st, 7, t->on);
    bind_text(st, 8, t->note);
    rc = run(store->db, st, "record a payout's arrival", err);
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_transfer_undo(struct cg_store *store, long long receipt_id, const char *by,
                              const char *on, const char *note, struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int rc = store_keep(store,
                        "INSERT INTO fx_transfer_undone(bank_receipt_id, seller, payout, cause, "
                        "transferred, arrived_at, undone_by, undone_on, note, recorded_at) "
                        "SELECT bank_receipt_id, seller, payout, cause, transferred, created_at, "
                        "?2, ?3, ?4, " NOW_SQL " FROM fx_transfer WHERE bank_receipt_id = ?1",
                        &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, receipt_id);
    bind_text(st, 2, by);
    bind_text(st, 3, on);
    bind_text(st, 4, note);
    rc = run(db, st, "record an arrival taken back", err);
    if (rc == CG_OK && sqlite3_changes(cg_db_handle(db)) == 0)
        rc = CG_ENOTFOUND;
    store_unkeep(store, st);
    if (rc != CG_OK)
        return rc;
    rc = store_keep(store, "DELETE FROM fx_transfer WHERE bank_receipt_id = ?1", &st, err);
    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, receipt_id);
    rc = run(db, st, "take a payout's arrival back", err);
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_charge_mark(struct cg_store *store, long long receipt_id, const char *by,
                            const char *reason, const char *on, struct cg_err *err)
{
    return receipt_row_add(
        store,
        "INSERT INTO fx_receipt_charge(receipt_id, marked_by, reason, marked_on, "
        "recorded_at) VALUES (?1, ?2, ?3, ?4, " NOW_SQL ")",
        receipt_id, by, reason, on, "record the bank's charge", err);
}

int cg_store_fx_line_add(struct cg_store *store, const struct cg_fx_line *l, struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int rc =
        store_keep(store,
                   "INSERT INTO fx_receipt_line(receipt_id, line_no, order_ref, pay_ref, gross, "
                   "fee, net) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                   &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, l->receipt_id);
    sqlite3_bind_int64(st, 2, l->line_no);
    bind_text(st, 3, l->order_ref);
    bind_text(st, 4, l->pay_ref);
    sqlite3_bind_int64(st, 5, l->gross);
    sqlite3_bind_int64(st, 6, l->fee);
    sqlite3_bind_int64(st, 7, l->net);
    rc = run(db, st, "record receipt line", err);
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_lines_each(struct cg_store *store, long long receipt_id, cg_fx_line_fn fn,
                           void *ctx, struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int r;
    int rc = store_keep(store,
                        "SELECT receipt_id, line_no, order_ref, pay_ref, gross, fee, net FROM "
                        "fx_receipt_line WHERE receipt_id = ?1 ORDER BY line_no",
                        &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, receipt_id);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct cg_fx_line l;
        l.receipt_id = sqlite3_column_int64(st, 0);
        l.line_no = (long)sqlite3_column_int64(st, 1);
        l.order_ref = col_text(st, 2);
        l.pay_ref = col_text(st, 3);
        l.gross = sqlite3_column_int64(st, 4);
        l.fee = sqlite3_column_int64(st, 5);
        l.net = sqlite3_column_int64(st, 6);
        if ((rc = fn(ctx, &l)) != 0)
            goto done;
    }
    if (r != SQLITE_DONE)
        rc = cg_db_fail(db, r, "read receipt lines", err);
done:
    store_unkeep(store, st);
    return rc;
}

/* ------------------------------------------------------------------ allocations */

int cg_store_fx_alloc_add(struct cg_store *store, const struct cg_fx_alloc *a, long long *id,
                          struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int rc =
        store_keep(store,
                   "INSERT INTO fx_allocation(receipt_id, order_id, kind, amount_rcpt, "
                   "amount_order, cny, rate_rcpt, rate_order, rate_source, rate_date, cross_ccy, "
                   "cause, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                   "?12, " NOW_SQL ")",
                   &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, a->receipt_id);
    sqlite3_bind_int64(st, 2, a->order_id);
    bind_text(st, 3, a->kind);
    sqlite3_bind_int64(st, 4, a->amount_rcpt);
    if (a->has_order_amount)
        sqlite3_bind_int64(st, 5, a->amount_order);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_int64(st, 6, a->cny);
    bind_text(st, 7, a->rate_rcpt);
    bind_text(st, 8, a->rate_order);
    bind_text(st, 9, a->rate_source);
    bind_text(st, 10, a->rate_date);
    sqlite3_bind_int(st, 11, a->cross);
    bind_text(st, 12, a->cause);
    rc = run(db, st, "record allocation", err);
    if (rc == CG_OK && id != NULL)
        *id = sqlite3_last_insert_rowid(cg_db_handle(db));
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_alloc_remove(struct cg_store *store, long long receipt_id, long long order_id,
                             long *n, struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int rc = store_keep(store,
                        "UPDATE fx_allocation SET removed_at = ?3 WHERE receipt_id = ?1 AND "
                        "order_id = ?2 AND removed_at IS NULL",
                        &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, receipt_id);
    sqlite3_bind_int64(st, 2, order_id);
    /* the time as ?3: :now written before ?1 would be parameter 1 */
    sqlite3_bind_text(st, 3, store_now(store), -1, SQLITE_TRANSIENT);
    rc = run(db, st, "remove allocation", err);
    if (rc == CG_OK)
        *n = sqlite3_changes(cg_db_handle(db));
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_alloc_confirm(struct cg_store *store, long long id, int64_t amount_order,
                              int64_t cny, const char *rate_rcpt, const char *rate_order,
                              const char *source, const char *rate_date, struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int rc = store_keep(store,
                        "UPDATE fx_allocation SET amount_order = ?2, cny = ?3, rate_rcpt = ?4, "
                        "rate_order = ?5, rate_source = ?6, rate_date = ?7 WHERE id = ?1 AND "
                        "amount_order IS NULL AND removed_at IS NULL",
                        &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, amount_order);
    sqlite3_bind_int64(st, 3, cny);
    bind_text(st, 4, rate_rcpt);
    bind_text(st, 5, rate_order);
    bind_text(st, 6, source);
    bind_text(st, 7, rate_date);
    rc = run(db, st, "confirm allocation", err);
    if (rc == CG_OK && sqlite3_changes(cg_db_handle(db)) == 0)
        rc = CG_ENOTFOUND;
    store_unkeep(store, st);
    return rc;
}

#define ALLOC_SQL                                                                                  \
    "SELECT a.id, a.receipt_id, a.order_id, a.kind, a.amount_rcpt, a.amount_order IS NOT NULL, "   \
    "coalesce(a.amount_order, 0), a.cny, a.rate_rcpt, a.rate_order, a.rate_source, a.rate_date, "  \
    "a.cross_ccy, a.cause, o.order_no, r.currency, r.value_on FROM fx_allocation a JOIN orders o " \
    "ON o.id = "                                                                                   \
    "a.order_id JOIN fx_receipt r ON r.id = a.receipt_id WHERE a.removed_at IS NULL AND "

int cg_store_fx_allocs_each(struct cg_store *store, long long order_id, long long receipt_id,
                            cg_fx_alloc_fn fn, void *ctx, struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int r;
    /*
     * One statement per filter: with "(?1 = 0 OR a.order_id = ?1)" the planner cannot use the
     * index on order_id or receipt_id and reads every allocation each time, so a report asking
     * for each order's allocations in turn took time in the square of the orders.
     */
    int rc = store_keep(store,
                        order_id != 0     ? ALLOC_SQL "a.order_id = ?1 AND (?2 = 0 OR "
                                                      "a.receipt_id = ?2) ORDER BY a.id"
                        : receipt_id != 0 ? ALLOC_SQL "a.receipt_id = ?2 ORDER BY a.id"
                                          : ALLOC_SQL "1 ORDER BY a.id",
                        &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, order_id);
    sqlite3_bind_int64(st, 2, receipt_id);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct cg_fx_alloc a;
        memset(&a, 0, sizeof(a));
        a.id = sqlite3_column_int64(st, 0);
        a.receipt_id = sqlite3_column_int64(st, 1);
        a.order_id = sqlite3_column_int64(st, 2);
        a.kind = col_text(st, 3);
        a.amount_rcpt = sqlite3_column_int64(st, 4);
        a.has_order_amount = sqlite3_column_int(st, 5);
        a.amount_order = sqlite3_column_int64(st, 6);
        a.cny = sqlite3_column_int64(st, 7);
        a.rate_rcpt = (const char *)sqlite3_column_text(st, 8);
        a.rate_order = (const char *)sqlite3_column_text(st, 9);
        a.rate_source = (const char *)sqlite3_column_text(st, 10);
        a.rate_date = (const char *)sqlite3_column_text(st, 11);
        a.cross = sqlite3_column_int(st, 12);
        a.cause = col_text(st, 13);
        a.order_no = col_text(st, 14);
        a.currency = col_text(st, 15);
        a.value_on = col_text(st, 16);
        if ((rc = fn(ctx, &a)) != 0)
            goto done;
    }
    if (r != SQLITE_DONE)
        rc = cg_db_fail(db, r, "read allocations", err);
done:
    store_unkeep(store, st);
    return rc;
}

/* ------------------------------------------------------------------ operator records */

int cg_store_fx_adjust_add(struct cg_store *store, long long order_id, const char *kind,
                           int64_t amount, const char *note, struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int rc = store_keep(store,
                        "INSERT INTO fx_adjust(order_id, kind, amount, note, created_at) VALUES "
                        "(?1, ?2, ?3, ?4, " NOW_SQL ")",
                        &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, order_id);
    bind_text(st, 2, kind);
    sqlite3_bind_int64(st, 3, amount);
    bind_text(st, 4, note);
    rc = run(db, st, "record adjustment", err);
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_event_add(struct cg_store *store, const struct cg_fx_event *e, struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int rc =
        store_keep(store,
                   "INSERT INTO fx_event(order_id, receipt_id, from_state, to_state, cause_kind, "
                   "cause_ref, detail, occurred_on, recorded_at) VALUES (nullif(?1, 0), "
                   "nullif(?2, 0), ?3, ?4, ?5, ?6, ?7, ?8, " NOW_SQL ")",
                   &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, e->order_id);
    sqlite3_bind_int64(st, 2, e->receipt_id);
    bind_text(st, 3, e->from_state);
    bind_text(st, 4, e->to_state);
    bind_text(st, 5, e->cause_kind);
    bind_text(st, 6, e->cause_ref);
    bind_text(st, 7, e->detail);
    bind_text(st, 8, e->occurred_on);
    rc = run(db, st, "record event", err);
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_events_each(struct cg_store *store, long long order_id, cg_fx_event_fn fn,
                            void *ctx, struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int r;
    int rc =
        store_keep(store,
                   "SELECT coalesce(order_id, 0), coalesce(receipt_id, 0), from_state, to_state, "
                   "cause_kind, cause_ref, detail, occurred_on, recorded_at FROM fx_event WHERE "
                   "order_id = ?1 ORDER BY occurred_on, id",
                   &st, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, order_id);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct cg_fx_event e;
        e.order_id = sqlite3_column_int64(st, 0);
        e.receipt_id = sqlite3_column_int64(st, 1);
        e.from_state = col_text(st, 2);
        e.to_state = col_text(st, 3);
        e.cause_kind = col_text(st, 4);
        e.cause_ref = col_text(st, 5);
        e.detail = col_text(st, 6);
        e.occurred_on = col_text(st, 7);
        if ((rc = fn(ctx, &e, col_text(st, 8))) != 0)
            goto done;
    }
    if (r != SQLITE_DONE)
        rc = cg_db_fail(db, r, "read events", err);
done:
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_timer_fire(struct cg_store *store, long long order_id, const char *kind,
                           const char *on, struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int rc = store_keep(
        store, "INSERT OR IGNORE INTO fx_timer(order_id, kind, fired_on) VALUES (?1, ?2, ?3)", &st,
        err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, order_id);
    bind_text(st, 2, kind);
    bind_text(st, 3, on);
    rc = run(db, st, "record timer", err);
    if (rc == CG_OK && sqlite3_changes(cg_db_handle(db)) == 0)
        rc = CG_EEXIST;
    store_unkeep(store, st);
    return rc;
}

/* ------------------------------------------------------------------ rates, settlements */

int cg_store_fx_rate_put(struct cg_store *store, const char *currency, const char *on,
                         const char *rate, const char *source, struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int rc =
        store_keep(store,
                   "INSERT INTO fx_rate(currency, on_date, rate, source) VALUES (?1, ?2, ?3, ?4) "
                   "ON CONFLICT(currency, on_date) DO UPDATE SET rate = ?3, source = ?4",
                   &st, err);

    if (rc != CG_OK)
        return rc;
    bind_text(st, 1, currency);
    bind_text(st, 2, on);
    bind_text(st, 3, rate);
    bind_text(st, 4, source);
    rc = run(db, st, "record rate", err);
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_rate_get(struct cg_store *store, const char *currency, const char *on, char *rate,
                         char *source, struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int r;
    int rc = store_keep(
        store, "SELECT rate, source FROM fx_rate WHERE currency = ?1 AND on_date = ?2", &st, err);

    if (rc != CG_OK)
        return rc;
    bind_text(st, 1, currency);
    bind_text(st, 2, on);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        cg_strlcpy(rate, col_text(st, 0), 32);
        cg_strlcpy(source, col_text(st, 1), 64);
    } else if (r == SQLITE_DONE) {
        rc = CG_ENOTFOUND;
    } else {
        rc = cg_db_fail(db, r, "read rate", err);
    }
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_holdings_each(struct cg_store *store, const char *currency, cg_fx_holding_fn fn,
                              void *ctx, struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int r;
    int rc = store_keep(
        store,
        "SELECT currency, received, paid_out, settled, cny, settlements FROM fx_holding WHERE "
        "?1 IS NULL OR currency = ?1 ORDER BY currency",
        &st, err);

    if (rc != CG_OK)
        return rc;
    bind_text(st, 1, currency);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct cg_fx_holding h;
        cg_strlcpy(h.currency, col_text(st, 0), sizeof(h.currency));
        h.received = sqlite3_column_int64(st, 1);
        h.paid_out = sqlite3_column_int64(st, 2);
        h.settled = sqlite3_column_int64(st, 3);
        h.cny = sqlite3_column_int64(st, 4);
        h.settlements = (long)sqlite3_column_int64(st, 5);
        if ((rc = fn(ctx, &h)) != 0)
            goto done;
    }
    if (r != SQLITE_DONE)
        rc = cg_db_fail(db, r, "read holdings", err);
done:
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_settlement_known(struct cg_store *store, const char *reference, struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int r;
    int rc = store_keep(store, "SELECT 1 FROM fx_settlement WHERE reference = ?1", &st, err);

    if (rc != CG_OK)
        return rc;
    bind_text(st, 1, reference);
    r = sqlite3_step(st);
    rc = r == SQLITE_ROW    ? CG_OK
         : r == SQLITE_DONE ? CG_ENOTFOUND
                            : cg_db_fail(db, r, "find settlement", err);
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_settlement_add(struct cg_store *store, const char *currency, int64_t amount,
                               int64_t cny, const char *rate, const char *on, const char *reference,
                               struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int rc =
        store_keep(store,
                   "INSERT INTO fx_settlement(currency, amount, cny, rate, settled_on, reference, "
                   "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, " NOW_SQL ")",
                   &st, err);

    if (rc != CG_OK)
        return rc;
    bind_text(st, 1, currency);
    sqlite3_bind_int64(st, 2, amount);
    sqlite3_bind_int64(st, 3, cny);
    bind_text(st, 4, rate);
    bind_text(st, 5, on);
    bind_text(st, 6, reference);
    rc = run(db, st, "record settlement", err);
    store_unkeep(store, st);
    return rc;
}

int cg_store_fx_cross_pending(struct cg_store *store, const char *seller, long *n,
                              struct cg_err *err)
{
    struct cg_db *db = store->db;
    sqlite3_stmt *st = NULL;
    int r;
    int rc = store_keep(
        store,
        "SELECT COUNT(DISTINCT a.receipt_id) FROM fx_allocation a JOIN orders o ON o.id = "
        "a.order_id WHERE a.removed_at IS NULL AND a.amount_order IS NULL AND (?1 IS "
        "NULL OR o.seller = ?1)",
        &st, err);

    if (rc != CG_OK)
        return rc;
    bind_text(st, 1, seller);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *n = (long)sqlite3_column_int64(st, 0);
    else
        rc = cg_db_fail(db, r, "count cross-currency receipts", err);
    store_unkeep(store, st);
    return rc;
}
