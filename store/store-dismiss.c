/*
 * store-dismiss.c - the dismissals of files refused whole (store-dismiss.h): one row per
 * refusal dismissed in refusal_dismissals, keyed by seller, name and the refusal's time; the
 * refusals themselves are the latest outcomes of input_files and intake_files
 * (STORE_REFUSED_FILES, as the report reads them).
 *
 * Each function prepares its statement for the one operation and finalizes it. Failures:
 * CG_ENOTFOUND or CG_EEXIST where the header says so, CG_EDB / CG_EBUSY (with err) from the
 * database, or a callback's own non-zero result.
 */
#include "config.h"

#include "core/buf.h"
#include "store/store-dismiss.h"
#include "store/store-int.h"

int cg_store_refusals_named(struct cg_store *st, const char *seller, const char *name,
                            int (*fn)(const struct cg_store_refusal *r, void *ctx), void *ctx,
                            struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_prep(st,
                        "WITH " STORE_REFUSED_FILES " SELECT seller, name, kind, reason, at, "
                        "dismissed_at, dismissed_by, dismissed_why FROM rf WHERE name = ?2 ORDER "
                        "BY seller",
                        &s, err);
    int r = SQLITE_DONE, found = 0;

    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, seller);
    store_bind_text(s, 2, name);
    while (rc == CG_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
        struct cg_store_refusal f;
        f.seller = store_col(s, 0);
        f.name = store_col(s, 1);
        f.kind = store_col(s, 2);
        f.reason = store_col(s, 3);
        f.refused_at = store_col(s, 4);
        f.dismissed.at = store_col(s, 5);
        f.dismissed.by = store_col(s, 6);
        f.dismissed.reason = store_col(s, 7);
        found = 1;
        rc = fn(&f, ctx);
    }
    if (rc == CG_OK && r != SQLITE_DONE)
        rc = cg_db_fail(st->db, r, "read the refusals of a file", err);
    sqlite3_finalize(s);
    return rc == CG_OK && !found ? CG_ENOTFOUND : rc;
}

int cg_store_refusal_dismiss(struct cg_store *st, const char *seller, const char *name,
                             const char *refused_at, const char *kind, const char *by,
                             const char *reason, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc =
        store_prep(st,
                   "INSERT INTO refusal_dismissals(seller, name, refused_at, kind, "
                   "dismissed_by, reason, dismissed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, :now) ON "
                   "CONFLICT DO NOTHING",
                   &s, err);

    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, seller);
    store_bind_text(s, 2, name);
    store_bind_text(s, 3, refused_at);
    store_bind_text(s, 4, kind);
    store_bind_text(s, 5, by);
    store_bind_text(s, 6, reason);
    rc = store_done(st, s, "dismiss a refused file", err);
    /* the refusal's row is there already: dismissed before */
    if (rc == CG_OK && sqlite3_changes(cg_db_handle(st->db)) == 0)
        rc = CG_ERR_SET(err, CG_EEXIST, "%s: its refusal of %s was dismissed already", name,
                        refused_at);
    sqlite3_finalize(s);
    return rc;
}

int cg_store_unknown_dismiss(struct cg_store *st, const char *by, const char *reason, long *n,
                             char first[40], char last[40], struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int64_t up_to = 0;
    int rc = store_prep(st,
                        "SELECT count(*), max(id), min(received_at), max(received_at) FROM "
                        "receipts WHERE outcome IN ('unknown', 'mismatch') AND id > (SELECT "
                        "coalesce(max(up_to), 0) FROM unknown_dismissals)",
                        &s, err);
    int r;

    *n = 0;
    if (rc != CG_OK)
        return rc;
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        *n = (long)sqlite3_column_int64(s, 0);
        up_to = sqlite3_column_int64(s, 1);
        cg_strlcpy(first, store_col(s, 2) != NULL ? store_col(s, 2) : "", 40);
        cg_strlcpy(last, store_col(s, 3) != NULL ? store_col(s, 3) : "", 40);
    } else {
        rc = cg_db_fail(st->db, r, "count the receipts for unknown messages", err);
    }
    sqlite3_finalize(s);
    if (rc != CG_OK)
        return rc;
    if (*n == 0)
        return CG_ENOTFOUND;
    rc = store_prep(st,
                    "INSERT INTO unknown_dismissals(up_to, receipts, dismissed_by, reason, "
                    "dismissed_at) VALUES (?1, ?2, ?3, ?4, :now)",
                    &s, err);
    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, up_to);
    sqlite3_bind_int64(s, 2, *n);
    store_bind_text(s, 3, by);
    store_bind_text(s, 4, reason);
    rc = store_done(st, s, "dismiss the receipts for unknown messages", err);
    sqlite3_finalize(s);
    return rc;
}

int cg_store_refusal_dismissal(struct cg_store *st, const char *seller, const char *name,
                               const char *refused_at,
                               int (*fn)(const struct cg_store_dismissal *d, void *ctx), void *ctx,
                               struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_prep(st,
                        "SELECT dismissed_at, dismissed_by, reason FROM refusal_dismissals WHERE "
                        "seller = ?1 AND name = ?2 AND refused_at = ?3",
                        &s, err);
    int r;

    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, seller);
    store_bind_text(s, 2, name);
    store_bind_text(s, 3, refused_at);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        struct cg_store_dismissal d;
        d.at = store_col(s, 0);
        d.by = store_col(s, 1);
        d.reason = store_col(s, 2);
        rc = fn(&d, ctx);
    } else if (r == SQLITE_DONE) {
        rc = CG_ENOTFOUND;
    } else {
        rc = cg_db_fail(st->db, r, "read the dismissal of a refused file", err);
    }
    sqlite3_finalize(s);
    return rc;
}
