/*
 * store-flow.c - the SQL of store-flow.h: cancellations and returns over the spool's tables.
 *
 * Each function prepares its statement, runs it and finalizes it; the caller owns the unit of
 * work (cg_store_tx). Failures are CG_EBUSY / CG_EDB with err (cg_db_fail).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "store/store-flow.h"
#include "store/store-int.h"

/* Prepare sql; ?9 is bound to the unit of work's time when the statement uses it. */
static int flow_prep(struct cg_store *st, const char *sql, sqlite3_stmt **out, struct cg_err *err)
{
    int r = sqlite3_prepare_v2(cg_db_handle(st->db), sql, -1, out, NULL);

    if (r != SQLITE_OK)
        return cg_db_fail(st->db, r, "prepare", err);
    if (sqlite3_bind_parameter_count(*out) >= 9)
        sqlite3_bind_text(*out, 9, store_now(st), -1, SQLITE_TRANSIENT);
    return CG_OK;
}

static int flow_run(struct cg_store *st, sqlite3_stmt *s, const char *what, struct cg_err *err)
{
    int r = sqlite3_step(s);

    sqlite3_finalize(s);
    return r == SQLITE_DONE ? CG_OK : cg_db_fail(st->db, r, what, err);
}

int cg_store_cancel_done(struct cg_store *st, int64_t order_id, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = flow_prep(st,
                       "UPDATE cancel_needed SET done_at = ?9 WHERE order_id = ?1 AND "
                       "done_at IS NULL",
                       &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, order_id);
    return flow_run(st, s, "record the cancellation as declared", err);
}

int cg_store_cancel_concluded(struct cg_store *st, int64_t doc_id, const char *status,
                              const char *info, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = flow_prep(st,
                       "UPDATE documents SET state = 'cancelled', status = ?2, status_info = ?3, "
                       "updated_at = ?9 WHERE msg_type = 603 AND order_id = (SELECT order_id "
                       "FROM documents WHERE id = ?1)",
                       &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, doc_id);
    store_bind_text(s, 2, status);
    store_bind_text(s, 3, info);
    return flow_run(st, s, "record the inventory as cancelled", err);
}

int cg_store_return_put(struct cg_store *st, int64_t order_id, int64_t doc_id, const char *lines,
                        const char *reason, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = flow_prep(st,
                       "INSERT INTO flow_returns(order_id, document_id, lines, reason, "
                       "declared_at) VALUES (?1, ?2, ?3, ?4, ?9) ON CONFLICT(order_id) DO UPDATE "
                       "SET document_id = ?2, lines = ?3, reason = ?4, declared_at = ?9",
                       &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, order_id);
    sqlite3_bind_int64(s, 2, doc_id);
    store_bind_text(s, 3, lines);
    store_bind_text(s, 4, reason);
    return flow_run(st, s, "record the return", err);
}

static const char *text_of(sqlite3_stmt *s, int i)
{
    const char *v = store_col(s, i);

    return v != NULL ? v : "";
}

/* Step s to its end, calling row(s, ctx) per row; finalizes s. */
static int flow_each(struct cg_store *st, sqlite3_stmt *s, const char *what,
                     int (*row)(sqlite3_stmt *s, void *ctx), void *ctx, struct cg_err *err)
{
    int rc = CG_OK;
    int r;

    while (rc == CG_OK && (r = sqlite3_step(s)) == SQLITE_ROW)
        rc = row(s, ctx);
    if (rc == CG_OK && r != SQLITE_DONE)
        rc = cg_db_fail(st->db, r, what, err);
    sqlite3_finalize(s);
    return rc;
}

int cg_store_returned(struct cg_store *st, const char *seller, const char *order_no,
                      int (*fn)(const struct cg_store_return *r, void *ctx), void *ctx,
                      struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    struct cg_store_return r;
    int rc = flow_prep(st,
                       "SELECT o.seller, o.order_no, d.state, d.status, f.lines, f.reason, "
                       "f.declared_at FROM flow_returns f JOIN orders o ON o.id = f.order_id "
                       "JOIN documents d ON d.id = f.document_id WHERE o.order_no = ?1 AND "
                       "(?2 IS NULL OR o.seller = ?2) ORDER BY o.id LIMIT 1",
                       &s, err);
    int r2;

    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, order_no);
    store_bind_text(s, 2, seller);
    r2 = sqlite3_step(s);
    if (r2 == SQLITE_ROW) {
        memset(&r, 0, sizeof(r));
        r.seller = text_of(s, 0);
        r.order_no = text_of(s, 1);
        r.state = text_of(s, 2);
        r.status = text_of(s, 3);
        r.lines = text_of(s, 4);
        r.reason = text_of(s, 5);
        r.declared_at = text_of(s, 6);
        rc = fn != NULL ? fn(&r, ctx) : CG_OK;
    } else if (r2 == SQLITE_DONE) {
        rc = CG_ENOTFOUND;
    } else {
        rc = cg_db_fail(st->db, r2, "read the return", err);
    }
    sqlite3_finalize(s);
    return rc;
}

/* ------------------------------------------------------------------ names */

const char *cg_store_owner_word(enum cg_store_owner kind)
{
    return kind == CG_STORE_OWNER_BILL      ? "bill"
           : kind == CG_STORE_OWNER_SUMMARY ? "summary"
                                            : "order";
}

enum cg_store_owner cg_store_owner_name(const char *order_no, char *out, size_t size)
{
    const char *month, *country, *serial;

    if (strncmp(order_no, "BILL:", 5) == 0 && order_no[5] != '\0') {
        snprintf(out, size, "bill %s", order_no + 5);
        return CG_STORE_OWNER_BILL;
    }
    /* SUM:MONTH:COUNTRY:N, as cg_store_summary_add names it */
    month = strncmp(order_no, "SUM:", 4) == 0 ? order_no + 4 : NULL;
    country = month != NULL ? strchr(month, ':') : NULL;
    serial = country != NULL ? strchr(country + 1, ':') : NULL;
    if (serial != NULL && country > month && serial > country + 1 && serial[1] != '\0' &&
        strchr(serial + 1, ':') == NULL) {
        snprintf(out, size, "summary %.*s country %.*s #%s", (int)(country - month), month,
                 (int)(serial - country - 1), country + 1, serial + 1);
        return CG_STORE_OWNER_SUMMARY;
    }
    snprintf(out, size, "%s", order_no);
    return CG_STORE_OWNER_ORDER;
}

bool cg_store_owner_key(const char *name, char *out, size_t size)
{
    char month[16], country[16], serial[16], rest[2];

    if (strncmp(name, "bill ", 5) == 0 && name[5] != '\0' && name[5] != ' ') {
        snprintf(out, size, "BILL:%s", name + 5);
        return true;
    }
    if (sscanf(name, "summary %15[0-9] country %15[A-Za-z0-9] #%15[0-9]%1s", month, country, serial,
               rest) == 3) {
        snprintf(out, size, "SUM:%s:%s:%s", month, country, serial);
        return true;
    }
    return false;
}

/* ------------------------------------------------------------------ departures */

int cg_store_bill_add(struct cg_store *st, const struct cg_store_bill *b, int64_t file_id,
                      long line, int64_t *id, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    char order_no[160];
    int64_t oid = 0;
    int rc;

    snprintf(order_no, sizeof(order_no), "BILL:%s", b->bill_no);
    rc = cg_store_order_put(st, b->seller, order_no, b->hash != NULL ? b->hash : "", file_id, line,
                            &oid, err);
    if (rc == CG_OK)
        rc = flow_prep(st,
                       "INSERT INTO flow_bills(seller, bill_no, traf_mode, traf_name, voyage_no, "
                       "leave_time, logistics_code, logistics_name, gross_weight, file_name, "
                       "order_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?10, ?11, "
                       "?12, ?9) ON CONFLICT(seller, bill_no) DO NOTHING",
                       &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, b->seller);
    store_bind_text(s, 2, b->bill_no);
    store_bind_text(s, 3, b->traf_mode);
    store_bind_text(s, 4, b->traf_name);
    store_bind_text(s, 5, b->voyage_no);
    sqlite3_bind_int64(s, 6, b->leave_time);
    store_bind_text(s, 7, b->logistics_code);
    store_bind_text(s, 8, b->logistics_name);
    sqlite3_bind_int64(s, 10, b->gross_weight);
    store_bind_text(s, 11, b->file_name);
    sqlite3_bind_int64(s, 12, oid);
    rc = flow_run(st, s, "record the bill", err);
    if (rc == CG_OK && sqlite3_changes(cg_db_handle(st->db)) == 0)
        return CG_ERR_SET(err, CG_EEXIST, "bill %s was recorded before", b->bill_no);
    if (rc == CG_OK)
        *id = sqlite3_last_insert_rowid(cg_db_handle(st->db));
    return rc;
}

int cg_store_bill_again(struct cg_store *st, const struct cg_store_bill *b, const char *hash,
                        int64_t file_id, long line, int64_t *id, enum cg_bill_again *outcome,
                        char state[16], struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int64_t bid, oid;
    char old[65];
    bool has509;
    const char *last;
    int r, rc = flow_prep(st,
                          "SELECT b.id, b.order_id, o.hash, (SELECT d.state FROM documents d "
                          "WHERE d.order_id = b.order_id AND d.msg_type = 607), (SELECT d.state "
                          "FROM documents d WHERE d.order_id = b.order_id AND d.msg_type = 509) "
                          "FROM flow_bills b JOIN orders o ON o.id = b.order_id WHERE b.seller = "
                          "?1 AND b.bill_no = ?2",
                          &s, err);

    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, b->seller);
    store_bind_text(s, 2, b->bill_no);
    r = sqlite3_step(s);
    if (r != SQLITE_ROW) {
        sqlite3_finalize(s);
        return r == SQLITE_DONE ? CG_ENOTFOUND : cg_db_fail(st->db, r, "read the bill", err);
    }
    bid = sqlite3_column_int64(s, 0);
    oid = sqlite3_column_int64(s, 1);
    cg_strlcpy(old, text_of(s, 2), sizeof(old));
    has509 = sqlite3_column_type(s, 4) != SQLITE_NULL;
    last = text_of(s, has509 ? 4 : 3);
    cg_strlcpy(state, last, 16);
    sqlite3_finalize(s);
    *id = bid;
    /* Nothing declared yet (no CEB607): the bill waits, and its data may be corrected. */
    if (state[0] != '\0' && strcmp(state, "rejected") != 0) {
        *outcome = CG_BILL_IN_USE;
        return CG_OK;
    }
    if (strcmp(old, hash) == 0) {
        *outcome = CG_BILL_SAME;
        return CG_OK;
    }
    /* The parcels half of the hash; a bill recorded without one cannot be compared. */
    if (has509 && strlen(old) == 64 && strlen(hash) == 64 && strcmp(old + 32, hash + 32) != 0) {
        *outcome = CG_BILL_OTHER_PARCELS;
        return CG_OK;
    }
    *outcome = CG_BILL_REPLACED;
    rc = flow_prep(st,
                   "UPDATE flow_bills SET traf_mode = ?2, traf_name = ?3, voyage_no = ?4, "
                   "leave_time = ?5, logistics_code = ?6, logistics_name = ?7, gross_weight = ?8, "
                   "file_name = ?10, state = ?11 WHERE id = ?1",
                   &s, err);
    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, bid);
    store_bind_text(s, 2, b->traf_mode);
    store_bind_text(s, 3, b->traf_name);
    store_bind_text(s, 4, b->voyage_no);
    sqlite3_bind_int64(s, 5, b->leave_time);
    store_bind_text(s, 6, b->logistics_code);
    store_bind_text(s, 7, b->logistics_name);
    sqlite3_bind_int64(s, 8, b->gross_weight);
    store_bind_text(s, 10, b->file_name);
    store_bind_text(s, 11, has509 ? "listed" : "waiting");
    rc = flow_run(st, s, "record the bill again", err);
    if (rc == CG_OK)
        rc = flow_prep(st, "DELETE FROM flow_parcels WHERE bill_id = ?1", &s, err);
    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, bid);
    rc = flow_run(st, s, "clear the bill's parcels", err);
    if (rc == CG_OK)
        rc = flow_prep(st,
                       "UPDATE orders SET hash = ?2, last_file = ?3, line = ?4, updated_at = ?9 "
                       "WHERE id = ?1",
                       &s, err);
    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, oid);
    store_bind_text(s, 2, hash);
    sqlite3_bind_int64(s, 3, file_id);
    sqlite3_bind_int64(s, 4, line);
    return flow_run(st, s, "record the bill's data hash", err);
}

int cg_store_doc_refused(struct cg_store *st, int64_t order_id, int msg_type, int64_t mark,
                         bool *unstored, bool *old, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int r, rc = flow_prep(st,
                          "SELECT " STORE_DOC_REFUSED ", EXISTS (SELECT 1 FROM messages m WHERE "
                          "m.document_id = d.id AND m.version = d.version AND m.id <= ?3) FROM "
                          "documents d WHERE d.order_id = ?1 AND d.msg_type = ?2",
                          &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, order_id);
    sqlite3_bind_int(s, 2, msg_type);
    sqlite3_bind_int64(s, 3, mark);
    *unstored = false;
    *old = false;
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        *unstored = sqlite3_column_int(s, 0) != 0;
        *old = *unstored && sqlite3_column_int(s, 1) != 0;
    } else if (r != SQLITE_DONE) {
        rc = cg_db_fail(st->db, r, "read the document's refusal", err);
    }
    sqlite3_finalize(s);
    return rc;
}

int cg_store_bill_parcel_add(struct cg_store *st, int64_t bill_id, long line,
                             const char *logistics_no, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = flow_prep(
        st, "INSERT INTO flow_parcels(bill_id, line, logistics_no) VALUES (?1, ?2, ?3)", &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, bill_id);
    sqlite3_bind_int64(s, 2, line);
    store_bind_text(s, 3, logistics_no);
    return flow_run(st, s, "record a parcel of the bill", err);
}

int cg_store_parcel_on_bill(struct cg_store *st, const char *seller, const char *logistics_no,
                            int64_t bill_id, char *bill_no, size_t bsize, char *file_name,
                            size_t fsize, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    /* CROSS JOIN keeps flow_parcels first: found by flow_parcels_no, not by walking every bill
     * of the seller. A bill holds its parcels while it waits, while its CEB607 is on its way or
     * accepted, and while the E-Port refused it before storing it (STORE_DOC_REFUSED: it goes
     * out again, parcels and all); one customs refused lets them go. */
    int r, rc = flow_prep(st,
                          "SELECT b.bill_no, b.file_name FROM flow_parcels p CROSS JOIN "
                          "flow_bills b ON b.id = p.bill_id LEFT JOIN documents d ON d.order_id "
                          "= b.order_id AND d.msg_type = 607 WHERE p.logistics_no = ?1 AND "
                          "b.seller = ?2 AND b.id <> ?3 AND (b.state = 'waiting' OR "
                          "coalesce(d.state, '') <> 'rejected' OR " STORE_DOC_REFUSED
                          ") ORDER BY b.id LIMIT 1",
                          &s, err);

    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, logistics_no);
    store_bind_text(s, 2, seller);
    sqlite3_bind_int64(s, 3, bill_id);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        cg_strlcpy(bill_no, text_of(s, 0), bsize);
        cg_strlcpy(file_name, text_of(s, 1), fsize);
    } else {
        rc = r == SQLITE_DONE ? CG_ENOTFOUND : cg_db_fail(st->db, r, "read the parcel's bill", err);
    }
    sqlite3_finalize(s);
    return rc;
}

struct bills_open_w {
    int (*fn)(const struct cg_store_bill *b, void *ctx);
    void *ctx;
};

static int bills_open_row(sqlite3_stmt *s, void *vctx)
{
    struct bills_open_w *w = vctx;
    struct cg_store_bill b;

    b.id = sqlite3_column_int64(s, 0);
    b.order_id = sqlite3_column_int64(s, 1);
    b.seller = text_of(s, 2);
    b.bill_no = text_of(s, 3);
    b.traf_mode = text_of(s, 4);
    b.traf_name = text_of(s, 5);
    b.voyage_no = text_of(s, 6);
    b.logistics_code = text_of(s, 7);
    b.logistics_name = text_of(s, 8);
    b.file_name = text_of(s, 9);
    b.state = text_of(s, 10);
    b.leave_time = sqlite3_column_int64(s, 11);
    b.gross_weight = sqlite3_column_int64(s, 12);
    return w->fn(&b, w->ctx);
}

int cg_store_bills_open(struct cg_store *st, int (*fn)(const struct cg_store_bill *b, void *ctx),
                        void *ctx, struct cg_err *err)
{
    struct bills_open_w w = {fn, ctx};
    sqlite3_stmt *s = NULL;
    int rc =
        flow_prep(st,
                  "SELECT id, order_id, seller, bill_no, traf_mode, traf_name, voyage_no, "
                  "logistics_code, logistics_name, file_name, state, leave_time, "
                  "gross_weight FROM flow_bills b WHERE state <> 'departed' OR EXISTS (SELECT 1 "
                  "FROM documents d WHERE d.order_id = b.order_id AND d.msg_type = 509 AND "
                  "d.state = 'rejected') ORDER BY id",
                  &s, err);

    if (rc != CG_OK)
        return rc;
    return flow_each(st, s, "read the bills", bills_open_row, &w, err);
}

int cg_store_bill_set_state(struct cg_store *st, int64_t bill_id, const char *state,
                            struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = flow_prep(st, "UPDATE flow_bills SET state = ?2 WHERE id = ?1", &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, bill_id);
    store_bind_text(s, 2, state);
    return flow_run(st, s, "record the bill's state", err);
}

struct bill_parcels_w {
    int (*fn)(const struct cg_store_parcel *p, void *ctx);
    void *ctx;
};

static int bill_parcels_row(sqlite3_stmt *s, void *vctx)
{
    struct bill_parcels_w *w = vctx;
    struct cg_store_parcel p;

    p.line = (long)sqlite3_column_int64(s, 0);
    p.logistics_no = text_of(s, 1);
    p.order_id = sqlite3_column_int64(s, 2);
    p.order_no = text_of(s, 3);
    p.inv_state = text_of(s, 4);
    p.invt_no = text_of(s, 5);
    return w->fn(&p, w->ctx);
}

int cg_store_bill_parcels(struct cg_store *st, int64_t bill_id,
                          int (*fn)(const struct cg_store_parcel *p, void *ctx), void *ctx,
                          struct cg_err *err)
{
    struct bill_parcels_w w = {fn, ctx};
    sqlite3_stmt *s = NULL;
    int rc =
        flow_prep(st,
                  "SELECT p.line, p.logistics_no, coalesce(o.id, 0), coalesce(o.order_no, ''), "
                  "coalesce(i.state, ''), coalesce(i.invt_no, '') FROM flow_parcels p "
                  "JOIN flow_bills b ON b.id = p.bill_id LEFT JOIN documents w ON "
                  "w.msg_type = 505 AND w.business_key = p.logistics_no AND w.order_id IN "
                  "(SELECT id FROM orders WHERE seller = b.seller) LEFT JOIN orders o ON "
                  "o.id = w.order_id LEFT JOIN documents i ON i.order_id = o.id AND "
                  "i.msg_type = 603 WHERE p.bill_id = ?1 ORDER BY p.line",
                  &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, bill_id);
    return flow_each(st, s, "read the parcels", bill_parcels_row, &w, err);
}

int cg_store_order_departing(struct cg_store *st, int64_t order_id, bool *yes, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = flow_prep(st,
                       "SELECT 1 FROM documents w JOIN orders o ON o.id = w.order_id JOIN "
                       "flow_parcels p ON p.logistics_no = w.business_key JOIN flow_bills b ON "
                       "b.id = p.bill_id AND b.seller = o.seller WHERE w.order_id = ?1 AND "
                       "w.msg_type = 505 AND b.state <> 'waiting' LIMIT 1",
                       &s, err);
    int r;

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, order_id);
    r = sqlite3_step(s);
    *yes = r == SQLITE_ROW;
    sqlite3_finalize(s);
    return r == SQLITE_ROW || r == SQLITE_DONE ? CG_OK
                                               : cg_db_fail(st->db, r, "read the bill", err);
}

/* ------------------------------------------------------------------ monthly summaries */

struct sum_candidates_w {
    int (*fn)(const struct cg_store_sum_cand *c, void *ctx);
    void *ctx;
};

static int sum_candidates_row(sqlite3_stmt *s, void *vctx)
{
    struct sum_candidates_w *w = vctx;
    struct cg_store_sum_cand c;

    c.seller = text_of(s, 0);
    c.order_no = text_of(s, 1);
    c.invt_no = text_of(s, 2);
    c.order_id = sqlite3_column_int64(s, 3);
    c.inv_id = sqlite3_column_int64(s, 4);
    c.inv_version = sqlite3_column_int(s, 5);
    c.route = sqlite3_column_type(s, 6) == SQLITE_NULL ? NULL : text_of(s, 6);
    return w->fn(&c, w->ctx);
}

int cg_store_sum_candidates(struct cg_store *st, const char *month,
                            int (*fn)(const struct cg_store_sum_cand *c, void *ctx), void *ctx,
                            struct cg_err *err)
{
    struct sum_candidates_w w = {fn, ctx};
    sqlite3_stmt *s = NULL;
    int rc = flow_prep(
        st,
        "SELECT o.seller, o.order_no, d.invt_no, o.id, d.id, d.version, d.route FROM documents d "
        "JOIN "
        "orders o ON o.id = d.order_id WHERE d.msg_type = 603 AND d.state = 'closed' AND "
        "coalesce(d.invt_no, '') <> '' AND (SELECT substr(min(r.return_time), 1, 6) FROM receipts "
        "r JOIN messages m ON m.id = r.message_id WHERE m.document_id = d.id AND r.status = "
        "'899' AND r.outcome IN ('applied', 'duplicate', 'late')) = ?1 AND NOT EXISTS (SELECT 1 "
        "FROM flow_summary_invts si JOIN flow_summaries su ON su.id = si.summary_id JOIN "
        "documents sd ON sd.order_id = su.order_id AND sd.msg_type = 701 WHERE si.invt_no = "
        "d.invt_no AND sd.state <> 'rejected') ORDER BY o.seller, o.id",
        &s, err);

    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, month);
    return flow_each(st, s, "read the inventories to summarise", sum_candidates_row, &w, err);
}

int cg_store_sum_open(struct cg_store *st, const char *seller, const char *month,
                      const char *country, int64_t *id, int64_t *order_id, bool *again,
                      struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    char order_no[96];
    long seq = 0;
    int rc = flow_prep(st,
                       "SELECT su.id, su.order_id FROM flow_summaries su LEFT JOIN documents sd "
                       "ON sd.order_id = su.order_id AND sd.msg_type = 701 WHERE su.seller = ?1 "
                       "AND su.month = ?2 AND su.country = ?3 AND (sd.id IS NULL OR sd.state = "
                       "'rejected') ORDER BY su.id DESC LIMIT 1",
                       &s, err);
    int r;

    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, seller);
    store_bind_text(s, 2, month);
    store_bind_text(s, 3, country);
    r = sqlite3_step(s);
    *again = r == SQLITE_ROW;
    if (*again) {
        *id = sqlite3_column_int64(s, 0);
        *order_id = sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        return cg_db_fail(st->db, r, "read the summaries", err);
    if (*again)
        return CG_OK;
    rc = flow_prep(st,
                   "SELECT coalesce(max(seq), 0) FROM flow_summaries WHERE seller = ?1 AND month "
                   "= ?2 AND country = ?3",
                   &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, seller);
    store_bind_text(s, 2, month);
    store_bind_text(s, 3, country);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW)
        seq = (long)sqlite3_column_int64(s, 0) + 1;
    sqlite3_finalize(s);
    if (r != SQLITE_ROW)
        return cg_db_fail(st->db, r, "read the summaries", err);
    snprintf(order_no, sizeof(order_no), "SUM:%s:%s:%ld", month, country, seq);
    rc = cg_store_order_put(st, seller, order_no, "", 0, 0, order_id, err);
    if (rc == CG_OK)
        rc = flow_prep(st,
                       "INSERT INTO flow_summaries(seller, month, country, seq, order_id, "
                       "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?9)",
                       &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, seller);
    store_bind_text(s, 2, month);
    store_bind_text(s, 3, country);
    sqlite3_bind_int64(s, 4, seq);
    sqlite3_bind_int64(s, 5, *order_id);
    rc = flow_run(st, s, "record the summary", err);
    if (rc == CG_OK)
        *id = sqlite3_last_insert_rowid(cg_db_handle(st->db));
    return rc;
}

int cg_store_sum_invts_clear(struct cg_store *st, int64_t summary_id, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = flow_prep(st, "DELETE FROM flow_summary_invts WHERE summary_id = ?1", &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, summary_id);
    return flow_run(st, s, "clear the summary's inventories", err);
}

int cg_store_sum_invt_add(struct cg_store *st, int64_t summary_id, const char *invt_no,
                          int64_t order_id, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = flow_prep(st,
                       "INSERT INTO flow_summary_invts(summary_id, invt_no, order_id) VALUES "
                       "(?1, ?2, ?3)",
                       &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, summary_id);
    store_bind_text(s, 2, invt_no);
    sqlite3_bind_int64(s, 3, order_id);
    return flow_run(st, s, "record a summarised inventory", err);
}

struct summaries_w {
    int (*fn)(const struct cg_store_summary *s, void *ctx);
    void *ctx;
};

static int summaries_row(sqlite3_stmt *s, void *vctx)
{
    struct summaries_w *w = vctx;
    struct cg_store_summary x;

    x.seller = text_of(s, 0);
    x.month = text_of(s, 1);
    x.country = text_of(s, 2);
    x.order_no = text_of(s, 3);
    x.ninvt = (long)sqlite3_column_int64(s, 4);
    x.state = text_of(s, 5);
    x.status = text_of(s, 6);
    x.sum_no = text_of(s, 7);
    x.entry_id = text_of(s, 8);
    return w->fn(&x, w->ctx);
}

int cg_store_summaries(struct cg_store *st, int (*fn)(const struct cg_store_summary *s, void *ctx),
                       void *ctx, struct cg_err *err)
{
    struct summaries_w w = {fn, ctx};
    sqlite3_stmt *s = NULL;
    int rc = flow_prep(
        st,
        "SELECT su.seller, su.month, su.country, o.order_no, (SELECT count(*) FROM "
        "flow_summary_invts WHERE summary_id = su.id), coalesce(sd.state, ''), "
        "coalesce(sd.status, ''), coalesce((SELECT e.sum_no FROM customs_entry_invt ci JOIN "
        "customs_entry e ON e.entry_id = ci.entry_id JOIN flow_summary_invts si ON si.invt_no = "
        "ci.invt_no WHERE si.summary_id = su.id LIMIT 1), ''), coalesce((SELECT ci.entry_id FROM "
        "customs_entry_invt ci JOIN flow_summary_invts si ON si.invt_no = ci.invt_no WHERE "
        "si.summary_id = su.id LIMIT 1), '') FROM flow_summaries su JOIN orders o ON o.id = "
        "su.order_id LEFT JOIN documents sd ON sd.order_id = su.order_id AND sd.msg_type = 701 "
        "ORDER BY su.month, su.seller, su.country, su.seq",
        &s, err);

    if (rc != CG_OK)
        return rc;
    return flow_each(st, s, "read the summaries", summaries_row, &w, err);
}

struct invt_entries_w {
    int (*fn)(long gnum, const char *entry_id, void *ctx);
    void *ctx;
};

static int invt_entries_row(sqlite3_stmt *s, void *vctx)
{
    struct invt_entries_w *w = vctx;

    return w->fn((long)sqlite3_column_int64(s, 0), text_of(s, 1), w->ctx);
}

int cg_store_invt_entries(struct cg_store *st, const char *invt_no,
                          int (*fn)(long gnum, const char *entry_id, void *ctx), void *ctx,
                          struct cg_err *err)
{
    struct invt_entries_w w = {fn, ctx};
    sqlite3_stmt *s = NULL;
    int rc = flow_prep(st,
                       "SELECT gnum, entry_id FROM customs_entry_invt WHERE invt_no = ?1 ORDER "
                       "BY gnum",
                       &s, err);

    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, invt_no);
    return flow_each(st, s, "read the declarations", invt_entries_row, &w, err);
}
