/*
 * store-holds.c - the sellers held for their configuration (store-holds.h): one row per seller
 * in seller_holds (spool schema step 12), replaced as a whole by each complete pass.
 */
#include "config.h"

#include "store/store-holds.h"
#include "store/store-int.h"

/* Run sql (no result rows) with seller, reason and files bound as ?1, ?2, ?3. */
static int exec3(struct cg_store *st, const char *sql, const struct cg_store_hold *h,
                 const char *what, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_prep(st, sql, &s, err);

    if (rc != CG_OK)
        return rc;
    if (h != NULL) {
        store_bind_text(s, 1, h->seller);
        store_bind_text(s, 2, h->reason);
        sqlite3_bind_int64(s, 3, h->files);
    }
    rc = store_done(st, s, what, err);
    sqlite3_finalize(s);
    return rc;
}

int cg_store_holds_set(struct cg_store *st, const struct cg_store_hold *h, size_t n,
                       struct cg_err *err)
{
    size_t i;
    int rc;

    /* Every row is marked gone (files -1), then each hold of this pass written back. */
    rc = exec3(st, "UPDATE seller_holds SET files = -1", NULL, "mark the held sellers", err);
    for (i = 0; i < n && rc == CG_OK; i++)
        rc = exec3(st,
                   "INSERT INTO seller_holds(seller, reason, files, since, seen) VALUES (?1, ?2, "
                   "?3, :now, :now) ON CONFLICT(seller) DO UPDATE SET reason = excluded.reason, "
                   "seen = excluded.seen, files = excluded.files",
                   &h[i], "record a held seller", err);
    if (rc == CG_OK)
        rc = exec3(st, "DELETE FROM seller_holds WHERE files < 0", NULL,
                   "forget the sellers no longer held", err);
    return rc;
}

int cg_store_holds_list(struct cg_store *st, const char *seller,
                        int (*fn)(const struct cg_store_hold *h, void *ctx), void *ctx,
                        struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int r = SQLITE_DONE,
        rc = store_prep(st,
                        "SELECT seller, reason, since, seen, files FROM seller_holds WHERE ?1 IS "
                        "NULL OR seller = ?1 ORDER BY seller",
                        &s, err);

    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, seller);
    while (rc == CG_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
        struct cg_store_hold h;

        h.seller = store_col(s, 0);
        h.reason = store_col(s, 1);
        h.since = store_col(s, 2);
        h.seen = store_col(s, 3);
        h.files = (long)sqlite3_column_int64(s, 4);
        rc = fn(&h, ctx);
    }
    if (rc == CG_OK && r != SQLITE_DONE)
        rc = cg_db_fail(st->db, r, "list the held sellers", err);
    sqlite3_finalize(s);
    return rc;
}
