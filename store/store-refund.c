/*
 * store-refund.c - every SQL statement of refund/ over the rf_* tables.
 *
 * Each function prepares its statement, runs it and finalizes it; the caller owns the
 * transaction (cg_store_tx). Strings handed to callbacks point into SQLite's row and are valid
 * during the call only. Failures: CG_ENOTFOUND for a missing row, CG_EEXIST for a duplicate,
 * CG_EREJECT when a trigger refuses a write (an invoice line used beyond what it holds),
 * CG_EDB / CG_EBUSY (with err) for the database itself.
 */
#include "config.h"

#include <string.h>

#include "core/buf.h"
#include "store/store-int.h"
#include "store/store-refund.h"

static const char *txt(sqlite3_stmt *s, int i)
{
    const char *p = store_col(s, i);

    return p != NULL ? p : "";
}

/* Run a query, handing each row to row(); a non-zero row() result stops and is returned. */
static int each_row(struct cg_store *st, sqlite3_stmt *s, int (*row)(sqlite3_stmt *, void *),
                    void *ctx, long *n, const char *what, struct cg_err *err)
{
    int r, rc = CG_OK;
    long count = 0;

    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        count++;
        rc = row(s, ctx);
        if (rc != CG_OK)
            break;
    }
    if (rc == CG_OK && r != SQLITE_DONE)
        rc = cg_db_fail(st->db, r, what, err);
    if (n != NULL)
        *n = count;
    sqlite3_finalize(s);
    return rc;
}

/* Step a prepared query and finalize it: CG_OK when it has a row, CG_ENOTFOUND when not. */
static int row_exists(struct cg_store *st, sqlite3_stmt *s, const char *what, struct cg_err *err)
{
    int r = sqlite3_step(s), rc;

    rc = r == SQLITE_ROW    ? CG_OK
         : r == SQLITE_DONE ? CG_ENOTFOUND
                            : cg_db_fail(st->db, r, what, err);
    sqlite3_finalize(s);
    return rc;
}

/* ------------------------------------------------------------------ refund units */

#define UNIT_COLS                                                                                  \
    "u.id, u.entry_id, u.item_no, u.invt_nos, u.order_no, u.trade_mode, u.route, u.export_on, "    \
    "u.hs, u.name, u.spec, u.unit, u.qty_m, u.value_fen, u.expected_fen, u.regime, u.state, "      \
    "u.cleared_on, u.fx_ok, u.has_rate, u.refund_ppm, u.vat_ppm, u.rate_from, u.refund_fen, "      \
    "u.approved_fen, u.refunded_fen, u.clawback_fen, u.clawback_paid_fen, u.returned_qty_m, "      \
    "u.period, coalesce(u.batch_id, 0), u.reason, u.missing, u.refunded_on, u.soft_deadline, "     \
    "u.hard_deadline, u.soft_fired, u.late_ok, u.archive_due, u.archived_on, u.keep_until, "       \
    "u.archive_fired, u.filed_qty_m, u.seller, u.fx_note, u.overpaid_fen, "                        \
    "(SELECT coalesce(sum(amount_fen), 0) FROM rf_payment p WHERE p.unit_id = u.id), "             \
    "(SELECT coalesce(sum(qty_m), 0) FROM rf_alloc a WHERE a.unit_id = u.id), "                    \
    "(SELECT coalesce(sum(amount_fen), 0) FROM rf_alloc a WHERE a.unit_id = u.id), "               \
    "(SELECT coalesce(sum(vat_fen), 0) FROM rf_alloc a WHERE a.unit_id = u.id) FROM rf_unit u "

struct unit_cb {
    cg_rf_unit_fn fn;
    void *ctx;
};

static int unit_row(sqlite3_stmt *s, void *vctx)
{
    struct unit_cb *c = vctx;
    struct cg_rf_unit u;
    int i = 0;

    memset(&u, 0, sizeof(u));
    u.id = sqlite3_column_int64(s, i++);
    u.entry_id = txt(s, i++);
    u.item_no = (long)sqlite3_column_int64(s, i++);
    u.invt_nos = txt(s, i++);
    u.order_no = txt(s, i++);
    u.trade_mode = txt(s, i++);
    u.route = txt(s, i++);
    u.export_on = txt(s, i++);
    u.hs = txt(s, i++);
    u.name = txt(s, i++);
    u.spec = txt(s, i++);
    u.unit = txt(s, i++);
    u.qty_m = sqlite3_column_int64(s, i++);
    u.value_fen = sqlite3_column_int64(s, i++);
    u.expected_fen = sqlite3_column_int64(s, i++);
    u.regime = txt(s, i++);
    u.state = txt(s, i++);
    u.cleared_on = txt(s, i++);
    u.fx_ok = sqlite3_column_int(s, i++);
    u.has_rate = sqlite3_column_int(s, i++);
    u.refund_ppm = sqlite3_column_int64(s, i++);
    u.vat_ppm = sqlite3_column_int64(s, i++);
    u.rate_from = txt(s, i++);
    u.refund_fen = sqlite3_column_int64(s, i++);
    u.approved_fen = sqlite3_column_int64(s, i++);
    u.refunded_fen = sqlite3_column_int64(s, i++);
    u.clawback_fen = sqlite3_column_int64(s, i++);
    u.clawback_paid_fen = sqlite3_column_int64(s, i++);
    u.returned_qty_m = sqlite3_column_int64(s, i++);
    u.period = txt(s, i++);
    u.batch_id = sqlite3_column_int64(s, i++);
    u.reason = txt(s, i++);
    u.missing = txt(s, i++);
    u.refunded_on = txt(s, i++);
    u.soft_deadline = txt(s, i++);
    u.hard_deadline = txt(s, i++);
    u.soft_fired = sqlite3_column_int(s, i++);
    u.late_ok = sqlite3_column_int(s, i++);
    u.archive_due = txt(s, i++);
    u.archived_on = txt(s, i++);
    u.keep_until = txt(s, i++);
    u.archive_fired = sqlite3_column_int(s, i++);
    u.filed_qty_m = sqlite3_column_int64(s, i++);
    u.seller = txt(s, i++);
    u.fx_note = txt(s, i++);
    u.overpaid_fen = sqlite3_column_int64(s, i++);
    u.paid_fen = sqlite3_column_int64(s, i++);
    u.inv_qty_m = sqlite3_column_int64(s, i++);
    u.inv_fen = sqlite3_column_int64(s, i++);
    u.inv_vat_fen = sqlite3_column_int64(s, i++);
    return c->fn(c->ctx, &u);
}

int cg_store_rf_unit_add(struct cg_store *st, const struct cg_rf_unit *u, long long *id,
                         struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(
        st,
        "INSERT INTO rf_unit(entry_id, item_no, invt_nos, order_no, trade_mode, route, "
        "export_on, hs, name, spec, unit, qty_m, value_fen, expected_fen, regime, state, "
        "cleared_on, soft_deadline, hard_deadline, seller, created_at, updated_at) VALUES (?1, "
        "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
        "?19, ?20, :now, :now)",
        &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, u->entry_id);
    sqlite3_bind_int64(s, 2, u->item_no);
    store_bind_text(s, 3, u->invt_nos);
    store_bind_text(s, 4, u->order_no);
    store_bind_text(s, 5, u->trade_mode);
    store_bind_text(s, 6, u->route);
    store_bind_text(s, 7, u->export_on);
    store_bind_text(s, 8, u->hs);
    store_bind_text(s, 9, u->name);
    store_bind_text(s, 10, u->spec);
    store_bind_text(s, 11, u->unit);
    sqlite3_bind_int64(s, 12, u->qty_m);
    sqlite3_bind_int64(s, 13, u->value_fen);
    sqlite3_bind_int64(s, 14, u->expected_fen);
    store_bind_text(s, 15, u->regime);
    store_bind_text(s, 16, u->state);
    store_bind_text(s, 17, u->cleared_on);
    store_bind_text(s, 18, u->soft_deadline);
    store_bind_text(s, 19, u->hard_deadline);
    store_bind_text(s, 20, u->seller != NULL ? u->seller : "");
    rc = store_done(st, s, "record refund unit", err);
    if (rc == CG_OK && id != NULL)
        *id = sqlite3_last_insert_rowid(cg_db_handle(st->db));
    sqlite3_finalize(s);
    return rc;
}

int cg_store_rf_unit_save(struct cg_store *st, const struct cg_rf_unit *u, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(
        st,
        "UPDATE rf_unit SET regime = ?2, state = ?3, cleared_on = ?4, fx_ok = ?5, "
        "has_rate = ?6, refund_ppm = ?7, vat_ppm = ?8, rate_from = ?9, refund_fen = ?10, "
        "approved_fen = ?11, refunded_fen = ?12, clawback_fen = ?13, "
        "clawback_paid_fen = ?14, returned_qty_m = ?15, period = ?16, batch_id = "
        "nullif(?17, 0), reason = ?18, missing = ?19, refunded_on = ?20, "
        "soft_fired = ?21, late_ok = ?22, archive_due = ?23, archived_on = ?24, "
        "keep_until = ?25, archive_fired = ?26, filed_qty_m = ?27, seller = ?28, fx_note = ?29, "
        "overpaid_fen = ?30, "
        "updated_at = :now WHERE id = ?1",
        &s, err);
    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, u->id);
    store_bind_text(s, 2, u->regime);
    store_bind_text(s, 3, u->state);
    store_bind_text(s, 4, u->cleared_on);
    sqlite3_bind_int(s, 5, u->fx_ok);
    sqlite3_bind_int(s, 6, u->has_rate);
    sqlite3_bind_int64(s, 7, u->refund_ppm);
    sqlite3_bind_int64(s, 8, u->vat_ppm);
    store_bind_text(s, 9, u->rate_from);
    sqlite3_bind_int64(s, 10, u->refund_fen);
    sqlite3_bind_int64(s, 11, u->approved_fen);
    sqlite3_bind_int64(s, 12, u->refunded_fen);
    sqlite3_bind_int64(s, 13, u->clawback_fen);
    sqlite3_bind_int64(s, 14, u->clawback_paid_fen);
    sqlite3_bind_int64(s, 15, u->returned_qty_m);
    store_bind_text(s, 16, u->period);
    sqlite3_bind_int64(s, 17, u->batch_id);
    store_bind_text(s, 18, u->reason);
    store_bind_text(s, 19, u->missing);
    store_bind_text(s, 20, u->refunded_on);
    sqlite3_bind_int(s, 21, u->soft_fired);
    sqlite3_bind_int(s, 22, u->late_ok);
    store_bind_text(s, 23, u->archive_due != NULL ? u->archive_due : "");
    store_bind_text(s, 24, u->archived_on != NULL ? u->archived_on : "");
    store_bind_text(s, 25, u->keep_until != NULL ? u->keep_until : "");
    sqlite3_bind_int(s, 26, u->archive_fired);
    sqlite3_bind_int64(s, 27, u->filed_qty_m);
    store_bind_text(s, 28, u->seller != NULL ? u->seller : "");
    store_bind_text(s, 29, u->fx_note != NULL ? u->fx_note : "");
    sqlite3_bind_int64(s, 30, u->overpaid_fen);
    rc = store_done(st, s, "update refund unit", err);
    sqlite3_finalize(s);
    return rc;
}

int cg_store_rf_unit_get(struct cg_store *st, long long id, const char *entry_id, long item_no,
                         cg_rf_unit_fn fn, void *ctx, struct cg_err *err)
{
    struct unit_cb c = {fn, ctx};
    sqlite3_stmt *s = NULL;
    long n = 0;
    int rc;

    rc = store_prep(st,
                    "SELECT " UNIT_COLS "WHERE (?1 > 0 AND u.id = ?1) OR (?1 = 0 AND "
                    "u.entry_id = ?2 AND u.item_no = ?3)",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    store_bind_text(s, 2, entry_id);
    sqlite3_bind_int64(s, 3, item_no);
    rc = each_row(st, s, unit_row, &c, &n, "read refund unit", err);
    return rc == CG_OK && n == 0 ? CG_ENOTFOUND : rc;
}

int cg_store_rf_units_each(struct cg_store *st, long long batch_id, const char *entry_id,
                           cg_rf_unit_fn fn, void *ctx, struct cg_err *err)
{
    struct unit_cb c = {fn, ctx};
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(st,
                    "SELECT " UNIT_COLS "WHERE (?1 = 0 OR u.batch_id = ?1) AND (?2 IS NULL OR "
                    "u.entry_id = ?2) ORDER BY u.id",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, batch_id);
    store_bind_text(s, 2, entry_id);
    return each_row(st, s, unit_row, &c, NULL, "read refund units", err);
}

/* ------------------------------------------------------------------ events */

int cg_store_rf_event_add(struct cg_store *st, const struct cg_rf_event *e, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(st,
                    "INSERT INTO rf_event(unit_id, batch_id, from_state, to_state, cause_kind, "
                    "cause_ref, detail, occurred_on, recorded_at) VALUES (nullif(?1, 0), "
                    "nullif(?2, 0), ?3, ?4, ?5, ?6, ?7, ?8, :now)",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, e->unit_id);
    sqlite3_bind_int64(s, 2, e->batch_id);
    store_bind_text(s, 3, e->from_state);
    store_bind_text(s, 4, e->to_state);
    store_bind_text(s, 5, e->cause_kind);
    store_bind_text(s, 6, e->cause_ref);
    store_bind_text(s, 7, e->detail);
    store_bind_text(s, 8, e->occurred_on);
    rc = store_done(st, s, "record refund event", err);
    sqlite3_finalize(s);
    return rc;
}

struct event_cb {
    cg_rf_event_fn fn;
    void *ctx;
};

static int event_row(sqlite3_stmt *s, void *vctx)
{
    struct event_cb *c = vctx;
    struct cg_rf_event e;

    e.unit_id = sqlite3_column_int64(s, 0);
    e.batch_id = sqlite3_column_int64(s, 1);
    e.from_state = txt(s, 2);
    e.to_state = txt(s, 3);
    e.cause_kind = txt(s, 4);
    e.cause_ref = txt(s, 5);
    e.detail = txt(s, 6);
    e.occurred_on = txt(s, 7);
    return c->fn(c->ctx, &e);
}

int cg_store_rf_events_each(struct cg_store *st, long long unit_id, cg_rf_event_fn fn, void *ctx,
                            struct cg_err *err)
{
    struct event_cb c = {fn, ctx};
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(st,
                    "SELECT coalesce(unit_id, 0), coalesce(batch_id, 0), from_state, to_state, "
                    "cause_kind, cause_ref, detail, occurred_on FROM rf_event WHERE unit_id = ?1 "
                    "ORDER BY id",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, unit_id);
    return each_row(st, s, event_row, &c, NULL, "read refund events", err);
}

/* ------------------------------------------------------------------ refund rates */

int cg_store_rf_rate_put(struct cg_store *st, const char *hs, const char *valid_from,
                         const char *valid_to, int64_t refund_ppm, int64_t vat_ppm,
                         const char *flag, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(st,
                    "INSERT INTO rf_rate(hs, valid_from, valid_to, refund_ppm, vat_ppm, flag, "
                    "loaded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, :now)",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, hs);
    store_bind_text(s, 2, valid_from);
    store_bind_text(s, 3, valid_to);
    sqlite3_bind_int64(s, 4, refund_ppm);
    sqlite3_bind_int64(s, 5, vat_ppm);
    store_bind_text(s, 6, flag);
    rc = store_done(st, s, "record refund rate", err);
    sqlite3_finalize(s);
    return rc;
}

int cg_store_rf_rate_find(struct cg_store *st, const char *hs, const char *day, int64_t *refund_ppm,
                          int64_t *vat_ppm, char *rate_from, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc, r;

    rc = store_prep(st,
                    "SELECT refund_ppm, vat_ppm, valid_from FROM rf_rate WHERE hs = ?1 AND "
                    "valid_from <= ?2 AND (valid_to = '' OR valid_to >= ?2) "
                    "ORDER BY valid_from DESC LIMIT 1",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, hs);
    store_bind_text(s, 2, day);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        *refund_ppm = sqlite3_column_int64(s, 0);
        *vat_ppm = sqlite3_column_int64(s, 1);
        cg_strlcpy(rate_from, txt(s, 2), 11);
    } else if (r == SQLITE_DONE) {
        rc = CG_ENOTFOUND;
    } else {
        rc = cg_db_fail(st->db, r, "find refund rate", err);
    }
    sqlite3_finalize(s);
    return rc;
}

/* ------------------------------------------------------------------ imported files */

int cg_store_rf_file_known(struct cg_store *st, const char *kind, const char *sha256,
                           struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(st, "SELECT 1 FROM rf_file WHERE kind = ?1 AND sha256 = ?2", &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, kind);
    store_bind_text(s, 2, sha256);
    return row_exists(st, s, "look up imported file", err);
}

int cg_store_rf_file_add(struct cg_store *st, const char *kind, const char *sha256,
                         const char *name, long rows, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(st,
                    "INSERT INTO rf_file(kind, sha256, name, rows, imported_at) VALUES (?1, ?2, "
                    "?3, ?4, :now)",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, kind);
    store_bind_text(s, 2, sha256);
    store_bind_text(s, 3, name);
    sqlite3_bind_int64(s, 4, rows);
    rc = store_done(st, s, "record imported file", err);
    sqlite3_finalize(s);
    return rc;
}

/* ------------------------------------------------------------------ invoices */

int cg_store_rf_invline_add(struct cg_store *st, const struct cg_rf_invline *l, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(st,
                    "INSERT INTO rf_invline(code, number, line_no, issued_on, seller_tax_id, name, "
                    "spec, unit, hs, qty_m, amount_fen, vat_ppm, vat_fen, created_at) VALUES (?1, "
                    "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, :now)",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, l->code);
    store_bind_text(s, 2, l->number);
    sqlite3_bind_int64(s, 3, l->line_no);
    store_bind_text(s, 4, l->issued_on);
    store_bind_text(s, 5, l->seller_tax_id);
    store_bind_text(s, 6, l->name);
    store_bind_text(s, 7, l->spec);
    store_bind_text(s, 8, l->unit);
    store_bind_text(s, 9, l->hs);
    sqlite3_bind_int64(s, 10, l->qty_m);
    sqlite3_bind_int64(s, 11, l->amount_fen);
    sqlite3_bind_int64(s, 12, l->vat_ppm);
    sqlite3_bind_int64(s, 13, l->vat_fen);
    rc = store_done(st, s, "record invoice line", err);
    sqlite3_finalize(s);
    return rc;
}

#define INVLINE_COLS                                                                               \
    "l.id, l.code, l.number, l.line_no, l.issued_on, l.seller_tax_id, l.name, l.spec, l.unit, "    \
    "l.hs, "

struct invline_cb {
    cg_rf_invline_fn fn;
    void *ctx;
};

static int invline_row(sqlite3_stmt *s, void *vctx)
{
    struct invline_cb *c = vctx;
    struct cg_rf_invline l;
    int i = 0;

    memset(&l, 0, sizeof(l));
    l.id = sqlite3_column_int64(s, i++);
    l.code = txt(s, i++);
    l.number = txt(s, i++);
    l.line_no = (long)sqlite3_column_int64(s, i++);
    l.issued_on = txt(s, i++);
    l.seller_tax_id = txt(s, i++);
    l.name = txt(s, i++);
    l.spec = txt(s, i++);
    l.unit = txt(s, i++);
    l.hs = txt(s, i++);
    l.qty_m = sqlite3_column_int64(s, i++);
    l.amount_fen = sqlite3_column_int64(s, i++);
    l.vat_ppm = sqlite3_column_int64(s, i++);
    l.vat_fen = sqlite3_column_int64(s, i++);
    l.used_qty_m = sqlite3_column_int64(s, i++);
    l.used_fen = sqlite3_column_int64(s, i++);
    l.used_vat_fen = sqlite3_column_int64(s, i++);
    l.units = (long)sqlite3_column_int64(s, i++);
    return c->fn(c->ctx, &l);
}

#define INVLINE_SQL                                                                                \
    "SELECT " INVLINE_COLS "l.qty_m, l.amount_fen, l.vat_ppm, l.vat_fen, "                         \
    "coalesce(sum(a.qty_m), 0), coalesce(sum(a.amount_fen), 0), coalesce(sum(a.vat_fen), 0), "     \
    "count(DISTINCT a.unit_id) "                                                                   \
    "FROM rf_invline l LEFT JOIN rf_alloc a ON a.line_id = l.id "

int cg_store_rf_invlines_each(struct cg_store *st, int open_only, cg_rf_invline_fn fn, void *ctx,
                              struct cg_err *err)
{
    struct invline_cb c = {fn, ctx};
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(st,
                    INVLINE_SQL "GROUP BY l.id HAVING ?1 = 0 OR coalesce(sum(a.qty_m), 0) < "
                                "l.qty_m ORDER BY l.id",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int(s, 1, open_only);
    return each_row(st, s, invline_row, &c, NULL, "read invoice lines", err);
}

int cg_store_rf_invline_get(struct cg_store *st, const char *code, const char *number, long line_no,
                            cg_rf_invline_fn fn, void *ctx, struct cg_err *err)
{
    struct invline_cb c = {fn, ctx};
    sqlite3_stmt *s = NULL;
    long n = 0;
    int rc;

    rc = store_prep(st,
                    INVLINE_SQL "WHERE l.code = ?1 AND l.number = ?2 AND l.line_no = ?3 GROUP BY "
                                "l.id",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, code);
    store_bind_text(s, 2, number);
    sqlite3_bind_int64(s, 3, line_no);
    rc = each_row(st, s, invline_row, &c, &n, "read invoice line", err);
    return rc == CG_OK && n == 0 ? CG_ENOTFOUND : rc;
}

int cg_store_rf_alloc_add(struct cg_store *st, long long line_id, long long unit_id, int64_t qty_m,
                          int64_t amount_fen, int64_t vat_fen, const char *cause,
                          struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(st,
                    "INSERT INTO rf_alloc(line_id, unit_id, qty_m, amount_fen, vat_fen, cause, "
                    "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, :now)",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, line_id);
    sqlite3_bind_int64(s, 2, unit_id);
    sqlite3_bind_int64(s, 3, qty_m);
    sqlite3_bind_int64(s, 4, amount_fen);
    sqlite3_bind_int64(s, 5, vat_fen);
    store_bind_text(s, 6, cause);
    rc = store_done(st, s, "allocate invoice line", err);
    sqlite3_finalize(s);
    return rc;
}

int cg_store_rf_allocs_each(struct cg_store *st, long long unit_id, cg_rf_invline_fn fn, void *ctx,
                            struct cg_err *err)
{
    struct invline_cb c = {fn, ctx};
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(
        st,
        "SELECT " INVLINE_COLS "a.qty_m, a.amount_fen, l.vat_ppm, a.vat_fen, l.qty_m, "
        "l.amount_fen, l.vat_fen, 1 FROM rf_alloc a JOIN rf_invline l ON l.id = a.line_id WHERE "
        "a.unit_id = ?1 ORDER BY a.id",
        &s, err);
    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, unit_id);
    return each_row(st, s, invline_row, &c, NULL, "read allocations", err);
}

/* ------------------------------------------------------------------ batches */

int cg_store_rf_batch_add(struct cg_store *st, const struct cg_rf_batch *b, long long *id,
                          struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(st,
                    "INSERT INTO rf_batch(period, state, created_on, created_at) VALUES (?1, ?2, "
                    "?3, :now)",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, b->period);
    store_bind_text(s, 2, b->state);
    store_bind_text(s, 3, b->created_on);
    rc = store_done(st, s, "record batch", err);
    if (rc == CG_OK)
        *id = sqlite3_last_insert_rowid(cg_db_handle(st->db));
    sqlite3_finalize(s);
    return rc;
}

int cg_store_rf_batch_save(struct cg_store *st, const struct cg_rf_batch *b, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(st,
                    "UPDATE rf_batch SET state = ?2, units = ?3, refund_fen = ?4, export_csv = ?5, "
                    "purchase_csv = ?6 WHERE id = ?1",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, b->id);
    store_bind_text(s, 2, b->state);
    sqlite3_bind_int64(s, 3, b->units);
    sqlite3_bind_int64(s, 4, b->refund_fen);
    store_bind_text(s, 5, b->export_csv);
    store_bind_text(s, 6, b->purchase_csv);
    rc = store_done(st, s, "update batch", err);
    sqlite3_finalize(s);
    return rc;
}

struct batch_cb {
    cg_rf_batch_fn fn;
    void *ctx;
};

static int batch_row(sqlite3_stmt *s, void *vctx)
{
    struct batch_cb *c = vctx;
    struct cg_rf_batch b;

    b.id = sqlite3_column_int64(s, 0);
    b.period = txt(s, 1);
    b.state = txt(s, 2);
    b.created_on = txt(s, 3);
    b.units = (long)sqlite3_column_int64(s, 4);
    b.refund_fen = sqlite3_column_int64(s, 5);
    b.export_csv = txt(s, 6);
    b.purchase_csv = txt(s, 7);
    return c->fn(c->ctx, &b);
}

int cg_store_rf_batch_get(struct cg_store *st, long long id, cg_rf_batch_fn fn, void *ctx,
                          struct cg_err *err)
{
    struct batch_cb c = {fn, ctx};
    sqlite3_stmt *s = NULL;
    long n = 0;
    int rc;

    rc = store_prep(st,
                    "SELECT id, period, state, created_on, units, refund_fen, export_csv, "
                    "purchase_csv FROM rf_batch WHERE id = ?1",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    rc = each_row(st, s, batch_row, &c, &n, "read batch", err);
    return rc == CG_OK && n == 0 ? CG_ENOTFOUND : rc;
}

/* ------------------------------------------------------------------ returns applied */

int cg_store_rf_return_known(struct cg_store *st, const char *return_guid, long gnum,
                             struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(st, "SELECT 1 FROM rf_return WHERE return_guid = ?1 AND gnum = ?2", &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, return_guid);
    sqlite3_bind_int64(s, 2, gnum);
    return row_exists(st, s, "find applied return", err);
}

int cg_store_rf_return_add(struct cg_store *st, const char *return_guid, long gnum,
                           long long unit_id, int64_t qty_m, const char *day, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    rc = store_prep(st,
                    "INSERT INTO rf_return(return_guid, gnum, unit_id, qty_m, returned_on, "
                    "recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, :now)",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, return_guid);
    sqlite3_bind_int64(s, 2, gnum);
    sqlite3_bind_int64(s, 3, unit_id);
    sqlite3_bind_int64(s, 4, qty_m);
    store_bind_text(s, 5, day);
    rc = store_done(st, s, "record applied return", err);
    sqlite3_finalize(s);
    return rc;
}

/* ------------------------------------------------------------------ payments */

int cg_store_rf_payment(struct cg_store *st, int add, long long unit_id, const char *day,
                        int64_t amount_fen, const char *ref, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_prep(st,
                        add ? "INSERT INTO rf_payment(unit_id, paid_on, amount_fen, ref, "
                              "recorded_at) VALUES (?1, ?2, ?3, ?4, :now)"
                            : "SELECT 1 FROM rf_payment WHERE unit_id = ?1 AND paid_on = ?2 AND "
                              "amount_fen = ?3 AND ref = ?4",
                        &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, unit_id);
    store_bind_text(s, 2, day);
    sqlite3_bind_int64(s, 3, amount_fen);
    store_bind_text(s, 4, ref);
    if (!add)
        return row_exists(st, s, "find recorded payment", err);
    rc = store_done(st, s, "record payment", err);
    sqlite3_finalize(s);
    return rc;
}

int cg_store_rf_last_payment(struct cg_store *st, long long unit_id, char *day, size_t size,
                             struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc, r;

    rc = store_prep(st, "SELECT max(paid_on) FROM rf_payment WHERE unit_id = ?1", &s, err);
    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, unit_id);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW && store_col(s, 0) != NULL)
        cg_strlcpy(day, store_col(s, 0), size);
    else if (r == SQLITE_ROW)
        rc = CG_ENOTFOUND;
    else
        rc = cg_db_fail(st->db, r, "find last payment", err);
    sqlite3_finalize(s);
    return rc;
}

int cg_store_rf_units_fx_open(struct cg_store *st, long *n, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc, r;

    *n = 0;
    rc = store_prep(st, "SELECT count(*) FROM rf_unit WHERE order_no <> '' AND fx_ok IN (0, 2, 3)",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    r = sqlite3_step(s);
    if (r == SQLITE_ROW)
        *n = (long)sqlite3_column_int64(s, 0);
    else
        rc = cg_db_fail(st->db, r, "count refund units", err);
    sqlite3_finalize(s);
    return rc;
}
