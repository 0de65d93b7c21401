/*
 * store-flow.c - the SQL of store-flow.h: cancellations and returns over the spool's tables.
 *
 * Each function prepares its statement, runs it and finalizes it; the caller owns the unit of
 * work (cg_store_tx). Failures are CG_EBUSY / CG_EDB with err (cg_db_fail).
 */
#include "config.h"

#include <string.h>

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
