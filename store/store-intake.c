/*
 * store-intake.c - the outcome of each statement, payout report, invoice or result file taken
 * from incoming/ (store-intake.h): one row per seller and name in intake_files, written over by
 * the file's next outcome.
 *
 * Each function prepares its statement for the one operation and finalizes it. Failures:
 * CG_ENOTFOUND where the header says so, CG_EDB / CG_EBUSY (with err) from the database, or a
 * callback's own non-zero result.
 */
#include "config.h"

#include <string.h>

#include "store/store-intake.h"
#include "store/store-int.h"

int cg_store_intake_file(struct cg_store *st, const char *seller, const char *name,
                         const char *kind, const char *reason, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_prep(st,
                        "INSERT INTO intake_files(seller, name, kind, outcome, reason, at) "
                        "VALUES (?1, ?2, ?3, CASE WHEN ?4 IS NULL THEN 'done' ELSE 'failed' END, "
                        "?4, :now) ON CONFLICT (seller, name) DO UPDATE SET kind = excluded.kind, "
                        "outcome = excluded.outcome, reason = excluded.reason, at = excluded.at",
                        &s, err);

    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, seller);
    store_bind_text(s, 2, name);
    store_bind_text(s, 3, kind);
    if (reason != NULL) {
        size_t n = strlen(reason);
        while (n > 0 && reason[n - 1] == '\n')
            n--; /* the reason's lines, not the line break after the last */
        sqlite3_bind_text(s, 4, reason, (int)n, SQLITE_TRANSIENT);
    }
    rc = store_done(st, s, "record an incoming file's outcome", err);
    sqlite3_finalize(s);
    return rc;
}

int cg_store_intake_named(struct cg_store *st, const char *seller, const char *name,
                          int (*fn)(const struct cg_store_intake *f, void *ctx), void *ctx,
                          struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_prep(st,
                        "SELECT seller, name, kind, outcome, reason, at FROM intake_files WHERE "
                        "name = ?1 AND (?2 IS NULL OR seller = ?2) ORDER BY seller",
                        &s, err);
    int r = SQLITE_DONE, found = 0;

    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, name);
    store_bind_text(s, 2, seller);
    while (rc == CG_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
        struct cg_store_intake f;
        f.seller = store_col(s, 0);
        f.name = store_col(s, 1);
        f.kind = store_col(s, 2);
        f.outcome = store_col(s, 3);
        f.reason = store_col(s, 4);
        f.at = store_col(s, 5);
        found = 1;
        rc = fn(&f, ctx);
    }
    if (rc == CG_OK && r != SQLITE_DONE)
        rc = cg_db_fail(st->db, r, "read an incoming file's outcome", err);
    sqlite3_finalize(s);
    return rc == CG_OK && !found ? CG_ENOTFOUND : rc;
}
