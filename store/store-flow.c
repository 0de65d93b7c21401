/*
 * store-flow.c - the SQL of store-flow.h: cancellations and returns over the spool's tables.
 *
 * Each function prepares its statement, runs it and finalizes it; the caller owns the unit of
 * work (cg_store_tx). Failures are CG_EBUSY / CG_EDB with err (cg_db_fail).
 */
#include "config.h"

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
