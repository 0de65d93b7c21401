/*
 * store-customs.c - the customs_* tables ("customs" schema) and their SQL: customs declarations
 * (entryId) from CEB792 summary results with the inventory lines merged into each, and the
 * export-return receipts (CEB214).
 *
 * Written by the receipt ingestion inside its transaction; read-only for everybody else. The
 * caller owns the transaction. Failures: CG_ENOTFOUND for a missing row, CG_EDB / CG_EBUSY
 * (with err) for the database itself.
 */
#include "config.h"

#include <string.h>

#include "core/buf.h"
#include "store/store-customs.h"
#include "store/store-int.h"

/* 1: declarations, their inventory lines, return receipts. */
static const char customs_step_1[] =
    "CREATE TABLE customs_entry ("
    "  entry_id TEXT PRIMARY KEY,"
    "  sum_no TEXT,"
    "  decl_seq_no TEXT,"
    "  dec_state TEXT,"
    "  op_date TEXT,"
    "  receipt_guid TEXT,"
    "  updated_at TEXT NOT NULL"
    ");"
    "CREATE TABLE customs_entry_invt ("
    "  invt_no TEXT NOT NULL,"
    "  gnum INTEGER NOT NULL,"
    "  entry_id TEXT NOT NULL REFERENCES customs_entry(entry_id),"
    "  logistics_no TEXT,"
    "  gcode TEXT,"
    "  recorded_at TEXT NOT NULL,"
    "  PRIMARY KEY (invt_no, gnum)"
    ");"
    "CREATE INDEX customs_entry_invt_entry ON customs_entry_invt(entry_id);"
    "CREATE TABLE customs_return ("
    "  id INTEGER PRIMARY KEY,"
    "  receipt_guid TEXT,"
    "  guid TEXT NOT NULL,"
    "  cop_no TEXT,"
    "  invt_no TEXT,"
    "  status TEXT NOT NULL,"
    "  return_time TEXT,"
    "  return_info TEXT,"
    "  recorded_at TEXT NOT NULL,"
    "  UNIQUE (guid, status, return_time)"
    ");"
    "CREATE INDEX customs_return_invt ON customs_return(invt_no);";

static const char *const customs_steps[] = {
    customs_step_1,
};

const struct cg_store_schema cg_store_schema_customs = {
    "customs",
    customs_steps,
    (int)(sizeof(customs_steps) / sizeof(customs_steps[0])),
};

/* Step a prepared query, handing each row to row(); a non-zero result stops and is returned.
 * Finalizes the statement. */
static int each_row(struct cg_store *st, sqlite3_stmt *s, int (*row)(sqlite3_stmt *, void *),
                    void *ctx, const char *what, struct cg_err *err)
{
    int rc = CG_OK, r;

    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        rc = row(s, ctx);
        if (rc != CG_OK)
            break;
    }
    if (rc == CG_OK && r != SQLITE_DONE)
        rc = cg_db_fail(st->db, r, what, err);
    sqlite3_finalize(s);
    return rc;
}

int cg_store_customs_entry_put(struct cg_store *st, const struct cg_customs_entry *e,
                               struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    size_t i;
    int rc;

    rc = store_prep(st,
                    "INSERT INTO customs_entry(entry_id, sum_no, decl_seq_no, dec_state, op_date, "
                    "receipt_guid, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, :now) "
                    "ON CONFLICT(entry_id) DO UPDATE SET sum_no = ?2, decl_seq_no = ?3, "
                    "dec_state = ?4, op_date = ?5, receipt_guid = ?6, updated_at = :now",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, e->entry_id);
    store_bind_text(s, 2, e->sum_no);
    store_bind_text(s, 3, e->decl_seq_no);
    store_bind_text(s, 4, e->dec_state);
    store_bind_text(s, 5, e->op_date);
    store_bind_text(s, 6, e->receipt_guid);
    rc = store_done(st, s, "record customs declaration", err);
    sqlite3_finalize(s);
    s = NULL;
    if (rc == CG_OK)
        rc = store_prep(st,
                        "INSERT INTO customs_entry_invt(invt_no, gnum, entry_id, logistics_no, "
                        "gcode, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, :now) "
                        "ON CONFLICT(invt_no, gnum) DO UPDATE SET entry_id = ?3, "
                        "logistics_no = ?4, gcode = ?5, recorded_at = :now",
                        &s, err);
    for (i = 0; rc == CG_OK && i < e->nlines; i++) {
        sqlite3_reset(s);
        store_bind_text(s, 1, e->lines[i].invt_no);
        sqlite3_bind_int64(s, 2, e->lines[i].gnum);
        store_bind_text(s, 3, e->entry_id);
        store_bind_text(s, 4, e->lines[i].logistics_no);
        store_bind_text(s, 5, e->lines[i].gcode);
        rc = store_done(st, s, "record customs declaration line", err);
    }
    sqlite3_finalize(s);
    return rc;
}

int cg_store_customs_entry_of(struct cg_store *st, const char *invt_no, long gnum, char *entry_id,
                              size_t size, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc, r;

    rc = store_prep(st,
                    "SELECT entry_id FROM customs_entry_invt WHERE invt_no = ?1 AND "
                    "(?2 = 0 OR gnum = ?2) ORDER BY gnum LIMIT 1",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, invt_no);
    sqlite3_bind_int64(s, 2, gnum);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW)
        cg_strlcpy(entry_id, store_col(s, 0) != NULL ? store_col(s, 0) : "", size);
    else if (r == SQLITE_DONE)
        rc = CG_ENOTFOUND;
    else
        rc = cg_db_fail(st->db, r, "find customs declaration", err);
    sqlite3_finalize(s);
    return rc;
}

int cg_store_customs_return_add(struct cg_store *st, const struct cg_customs_return *r,
                                struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(st,
                    "INSERT INTO customs_return(receipt_guid, guid, cop_no, invt_no, status, "
                    "return_time, return_info, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                    ":now) ON CONFLICT(guid, status, return_time) DO NOTHING",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, r->receipt_guid);
    store_bind_text(s, 2, r->guid);
    store_bind_text(s, 3, r->cop_no);
    store_bind_text(s, 4, r->invt_no);
    store_bind_text(s, 5, r->status);
    store_bind_text(s, 6, r->return_time);
    store_bind_text(s, 7, r->return_info);
    rc = store_done(st, s, "record return receipt", err);
    sqlite3_finalize(s);
    return rc;
}

struct return_cb {
    cg_customs_return_fn fn;
    void *ctx;
};

static int return_row(sqlite3_stmt *s, void *vctx)
{
    struct return_cb *cb = vctx;
    struct cg_customs_return c;

    c.receipt_guid = store_col(s, 0);
    c.guid = store_col(s, 1);
    c.cop_no = store_col(s, 2);
    c.invt_no = store_col(s, 3);
    c.status = store_col(s, 4);
    c.return_time = store_col(s, 5);
    c.return_info = store_col(s, 6);
    return cb->fn(cb->ctx, &c);
}

int cg_store_customs_returns_each(struct cg_store *st, const char *invt_no, cg_customs_return_fn fn,
                                  void *ctx, struct cg_err *err)
{
    struct return_cb cb = {fn, ctx};
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(st,
                    "SELECT receipt_guid, guid, cop_no, invt_no, status, return_time, return_info "
                    "FROM customs_return WHERE invt_no = ?1 ORDER BY id",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, invt_no);
    return each_row(st, s, return_row, &cb, "read return receipts", err);
}

int cg_store_customs_line_get(struct cg_store *st, const char *invt_no, long gnum, char *entry_id,
                              size_t esize, char *gcode, size_t gsize, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc, r;

    rc = store_prep(st,
                    "SELECT entry_id, gcode FROM customs_entry_invt WHERE invt_no = ?1 AND "
                    "gnum = ?2",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, invt_no);
    sqlite3_bind_int64(s, 2, gnum);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        cg_strlcpy(entry_id, store_col(s, 0) != NULL ? store_col(s, 0) : "", esize);
        cg_strlcpy(gcode, store_col(s, 1) != NULL ? store_col(s, 1) : "", gsize);
    } else if (r == SQLITE_DONE) {
        rc = CG_ENOTFOUND;
    } else {
        rc = cg_db_fail(st->db, r, "find customs declaration line", err);
    }
    sqlite3_finalize(s);
    return rc;
}

int cg_store_customs_seller_of(struct cg_store *st, const char *invt_no, const char *order_no,
                               char *seller, size_t size, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc, r;

    rc = store_prep(st,
                    "SELECT o.seller FROM documents d JOIN orders o ON o.id = d.order_id "
                    "WHERE d.invt_no = ?1 AND o.order_no = ?2 LIMIT 1",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, invt_no);
    store_bind_text(s, 2, order_no);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW)
        cg_strlcpy(seller, store_col(s, 0) != NULL ? store_col(s, 0) : "", size);
    else if (r == SQLITE_DONE)
        rc = CG_ENOTFOUND;
    else
        rc = cg_db_fail(st->db, r, "find the seller of an inventory", err);
    sqlite3_finalize(s);
    return rc;
}

struct entry_cb {
    cg_customs_entry_fn fn;
    void *ctx;
};

static int entry_row(sqlite3_stmt *s, void *vctx)
{
    struct entry_cb *cb = vctx;

    return cb->fn(cb->ctx, store_col(s, 0), store_col(s, 1), store_col(s, 2));
}

int cg_store_customs_entries_each(struct cg_store *st, cg_customs_entry_fn fn, void *ctx,
                                  struct cg_err *err)
{
    struct entry_cb cb = {fn, ctx};
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(st,
                    "SELECT entry_id, coalesce(dec_state, ''), coalesce(op_date, '') FROM "
                    "customs_entry ORDER BY entry_id",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    return each_row(st, s, entry_row, &cb, "read customs declarations", err);
}

struct returned_cb {
    cg_customs_returned_fn fn;
    void *ctx;
};

static int returned_row(sqlite3_stmt *s, void *vctx)
{
    struct returned_cb *cb = vctx;
    struct cg_customs_returned c;

    c.guid = store_col(s, 0);
    c.invt_no = store_col(s, 1);
    c.status = store_col(s, 2);
    c.return_time = store_col(s, 3);
    c.seller = store_col(s, 4);
    c.order_no = store_col(s, 5);
    c.lines = store_col(s, 6);
    return cb->fn(cb->ctx, &c);
}

int cg_store_customs_returned_each(struct cg_store *st, cg_customs_returned_fn fn, void *ctx,
                                   struct cg_err *err)
{
    struct returned_cb cb = {fn, ctx};
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(st,
                    "SELECT r.guid, coalesce(r.invt_no, ''), r.status, coalesce(r.return_time, "
                    "''), o.seller, o.order_no, f.lines FROM customs_return r "
                    "JOIN messages m ON m.guid = r.guid JOIN flow_returns f ON "
                    "f.document_id = m.document_id JOIN orders o ON o.id = f.order_id "
                    "ORDER BY r.id",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    return each_row(st, s, returned_row, &cb, "read export returns", err);
}
