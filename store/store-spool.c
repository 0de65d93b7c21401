/*
 * store-spool.c - the spool's entities: input files, orders, documents, messages, receipts,
 * rejections, orders that need a cancellation, and the timelines and lists `cebgate status`
 * shows.
 *
 * Each function runs statements of the table in store-sql.c. Lookups return CG_ENOTFOUND when
 * there is no row; any failed step returns CG_EBUSY or CG_EDB and is never read as "no rows".
 * Strings in structs passed to callbacks are borrowed until the callback returns; a callback
 * may call other store functions (not the one iterating) and stops the iteration by returning
 * non-zero, which is returned.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "store/store-int.h"

/* Step a lookup: CG_OK with a row, CG_ENOTFOUND without, else the failure. */
static int step_row(struct cg_store *st, sqlite3_stmt *s, enum store_stmt id, struct cg_err *err)
{
    int r = sqlite3_step(s);

    if (r == SQLITE_ROW)
        return CG_OK;
    if (r == SQLITE_DONE) {
        sqlite3_reset(s);
        return CG_ENOTFOUND;
    }
    return store_fail(st, id, r, err);
}

/* After a loop of steps ended with r (or a callback's rc): the result, statement reset. */
static int loop_end(struct cg_store *st, sqlite3_stmt *s, enum store_stmt id, int r, int rc,
                    struct cg_err *err)
{
    if (rc == CG_OK && r != SQLITE_DONE && r != SQLITE_ROW)
        return store_fail(st, id, r, err);
    sqlite3_reset(s);
    return rc;
}

static const char *text_or_empty(sqlite3_stmt *s, int i)
{
    const char *v = store_col(s, i);
    return v != NULL ? v : "";
}

/* ------------------------------------------------------------------ input files */

int cg_store_file_resumable(struct cg_store *st, const char *seller, const char *active_name,
                            const char *sha256, int64_t inode, const struct timespec *changed,
                            int64_t *id, char *outcome, size_t outsz, struct cg_err *err)
{
    char changed_at[40];
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_FILE_RESUMABLE, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_text(s, 1, seller, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, active_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, inode);
    store_time(changed, changed_at, sizeof(changed_at));
    sqlite3_bind_text(s, 5, changed_at, -1, SQLITE_STATIC);
    rc = step_row(st, s, S_FILE_RESUMABLE, err);
    if (rc != CG_OK)
        return rc;
    *id = sqlite3_column_int64(s, 0);
    cg_strlcpy(outcome, text_or_empty(s, 1), outsz);
    sqlite3_reset(s);
    return CG_OK;
}

int cg_store_file_same_content(struct cg_store *st, const char *seller, const char *sha256,
                               char *out, size_t outsz, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_FILE_SAME_CONTENT, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_text(s, 1, seller, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, sha256, -1, SQLITE_STATIC);
    rc = step_row(st, s, S_FILE_SAME_CONTENT, err);
    if (rc != CG_OK)
        return rc;
    snprintf(out, outsz, "same content as %s taken at %s", text_or_empty(s, 0),
             text_or_empty(s, 1));
    sqlite3_reset(s);
    return CG_OK;
}

int cg_store_file_add(struct cg_store *st, const char *seller, const char *name,
                      const char *active_name, int64_t size, const char *sha256, int64_t inode,
                      const char *outcome, const char *reason, int64_t *id, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_FILE_ADD, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_text(s, 1, seller, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, active_name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, size);
    sqlite3_bind_text(s, 5, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, inode);
    sqlite3_bind_text(s, 7, outcome, -1, SQLITE_STATIC);
    store_bind_text(s, 8, reason);
    sqlite3_bind_text(s, 9, store_now(st), -1, SQLITE_TRANSIENT);
    rc = store_run(st, s, S_FILE_ADD, err);
    if (rc == CG_OK && id != NULL)
        *id = sqlite3_last_insert_rowid(sqlite3_db_handle(s));
    return rc;
}

int cg_store_file_finish(struct cg_store *st, int64_t id, const char *outcome, const char *reason,
                         struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_FILE_FINISH, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, outcome, -1, SQLITE_STATIC);
    store_bind_text(s, 3, reason);
    sqlite3_bind_text(s, 4, store_now(st), -1, SQLITE_TRANSIENT);
    return store_run(st, s, S_FILE_FINISH, err);
}

int cg_store_file_count(struct cg_store *st, int64_t id, long n_new, long n_mod, long n_unch,
                        long n_rej, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_FILE_COUNT, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, n_new);
    sqlite3_bind_int64(s, 3, n_mod);
    sqlite3_bind_int64(s, 4, n_unch);
    sqlite3_bind_int64(s, 5, n_rej);
    return store_run(st, s, S_FILE_COUNT, err);
}

int cg_store_file_count_held(struct cg_store *st, int64_t id, long n_wait, long n_skip,
                             long n_cancel, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_FILE_COUNT_HELD, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, n_wait);
    sqlite3_bind_int64(s, 3, n_skip);
    sqlite3_bind_int64(s, 4, n_cancel);
    return store_run(st, s, S_FILE_COUNT_HELD, err);
}

int cg_store_file_reset_counts(struct cg_store *st, int64_t id, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_FILE_RESET, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    return store_run(st, s, S_FILE_RESET, err);
}

int cg_store_file_order_add(struct cg_store *st, int64_t id, const char *seller,
                            const char *order_no, int held_status, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_FILE_ORDER_ADD, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int(s, 2, held_status != 0 ? 1 : 0);
    sqlite3_bind_text(s, 3, seller, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, order_no, -1, SQLITE_STATIC);
    if (held_status != 0)
        sqlite3_bind_int(s, 5, held_status);
    else
        sqlite3_bind_null(s, 5);
    return store_run(st, s, S_FILE_ORDER_ADD, err);
}

int cg_store_order_files(struct cg_store *st, const char *seller, const char *order_no,
                         int (*fn)(int64_t file, int what, int held_status, void *ctx), void *ctx,
                         struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_ORDER_FILES, &s, err);
    int r;

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_text(s, 1, seller, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, order_no, -1, SQLITE_STATIC);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        rc =
            fn(sqlite3_column_int64(s, 0), sqlite3_column_int(s, 1), sqlite3_column_int(s, 2), ctx);
        if (rc != CG_OK)
            break;
    }
    return loop_end(st, s, S_ORDER_FILES, r, rc, err);
}

int cg_store_file_counts(struct cg_store *st, int64_t id, long *taken, long *rejected,
                         struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_FILE_COUNTS, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    rc = step_row(st, s, S_FILE_COUNTS, err);
    if (rc != CG_OK)
        return rc;
    *taken = (long)sqlite3_column_int64(s, 0);
    *rejected = (long)sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    return CG_OK;
}

int cg_store_file_held(struct cg_store *st, int64_t id, long *waiting, long *skipped,
                       long *cancelled, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_FILE_HELD, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    rc = step_row(st, s, S_FILE_HELD, err);
    if (rc != CG_OK)
        return rc;
    *waiting = (long)sqlite3_column_int64(s, 0);
    *skipped = (long)sqlite3_column_int64(s, 1);
    *cancelled = (long)sqlite3_column_int64(s, 2);
    sqlite3_reset(s);
    return CG_OK;
}

int cg_store_files_named(struct cg_store *st, const char *seller, const char *name,
                         int (*fn)(const struct cg_store_file *f, void *ctx), void *ctx,
                         struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_FILES_NAMED, &s, err);
    int r;

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    store_bind_text(s, 2, seller);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        struct cg_store_file f;
        memset(&f, 0, sizeof(f));
        f.id = sqlite3_column_int64(s, 0);
        f.seller = text_or_empty(s, 1);
        f.name = text_or_empty(s, 2);
        f.active_name = text_or_empty(s, 3);
        f.size = sqlite3_column_int64(s, 4);
        f.sha256 = text_or_empty(s, 5);
        f.outcome = text_or_empty(s, 6);
        f.reason = store_col(s, 7);
        f.taken_at = text_or_empty(s, 8);
        f.finished_at = store_col(s, 9);
        f.orders_new = (long)sqlite3_column_int64(s, 10);
        f.orders_modified = (long)sqlite3_column_int64(s, 11);
        f.orders_unchanged = (long)sqlite3_column_int64(s, 12);
        f.orders_rejected = (long)sqlite3_column_int64(s, 13);
        f.orders_waiting = (long)sqlite3_column_int64(s, 14);
        f.orders_skipped = (long)sqlite3_column_int64(s, 15);
        f.orders_cancelled = (long)sqlite3_column_int64(s, 16);
        rc = fn(&f, ctx);
        if (rc != CG_OK)
            break;
    }
    return loop_end(st, s, S_FILES_NAMED, r, rc, err);
}

int cg_store_file_messages(struct cg_store *st, int64_t id, long *total, long *queued,
                           struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_FILE_MESSAGES, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    rc = step_row(st, s, S_FILE_MESSAGES, err);
    if (rc != CG_OK)
        return rc == CG_ENOTFOUND ? CG_ERR_SET(err, CG_EDB, "message count gave no row") : rc;
    *total = (long)sqlite3_column_int64(s, 0);
    *queued = (long)sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    return CG_OK;
}

/* ------------------------------------------------------------------ orders and documents */

int cg_store_order_find(struct cg_store *st, const char *seller, const char *order_no, int64_t *id,
                        char hash[65], struct cg_err *err)
{
    return cg_store_order_find_last(st, seller, order_no, id, hash, NULL, err);
}

int cg_store_order_find_last(struct cg_store *st, const char *seller, const char *order_no,
                             int64_t *id, char hash[65], int64_t *last_file, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_ORDER_FIND, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_text(s, 1, seller, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, order_no, -1, SQLITE_STATIC);
    rc = step_row(st, s, S_ORDER_FIND, err);
    if (rc != CG_OK)
        return rc;
    *id = sqlite3_column_int64(s, 0);
    cg_strlcpy(hash, text_or_empty(s, 1), 65);
    if (last_file != NULL)
        *last_file = sqlite3_column_int64(s, 2);
    sqlite3_reset(s);
    return CG_OK;
}

int cg_store_waybill_holder(struct cg_store *st, const char *logistics_code,
                            const char *logistics_no, const char *seller, const char *order_no,
                            char *holder_seller, size_t seller_size, char *holder_no,
                            size_t no_size, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_WAYBILL_HOLDER, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_text(s, 1, logistics_no, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, seller, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, order_no, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, logistics_code, -1, SQLITE_STATIC);
    rc = step_row(st, s, S_WAYBILL_HOLDER, err);
    if (rc != CG_OK)
        return rc;
    cg_strlcpy(holder_seller, text_or_empty(s, 0), seller_size);
    cg_strlcpy(holder_no, text_or_empty(s, 1), no_size);
    sqlite3_reset(s);
    return CG_OK;
}

static void doc_of(sqlite3_stmt *s, struct cg_store_doc *d)
{
    memset(d, 0, sizeof(*d));
    d->id = sqlite3_column_int64(s, 0);
    d->order_id = sqlite3_column_int64(s, 1);
    d->msg_type = sqlite3_column_int(s, 2);
    d->business_key = text_or_empty(s, 3);
    d->version = sqlite3_column_int(s, 4);
    d->guid = text_or_empty(s, 5);
    d->app_type = sqlite3_column_int(s, 6);
    d->content_hash = text_or_empty(s, 7);
    d->state = text_or_empty(s, 8);
    d->status = store_col(s, 9);
    d->status_info = store_col(s, 10);
    d->pre_no = store_col(s, 11);
    d->invt_no = store_col(s, 12);
    d->updated_at = text_or_empty(s, 13);
    d->ep_stored = sqlite3_column_int(s, 14) != 0;
    d->refused = sqlite3_column_int(s, 15) != 0;
    d->input_file = sqlite3_column_int64(s, 16);
}

int cg_store_order_docs(struct cg_store *st, int64_t order_id,
                        int (*fn)(const struct cg_store_doc *d, void *ctx), void *ctx,
                        struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_ORDER_DOCS, &s, err);
    int r;

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, order_id);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        struct cg_store_doc d;
        doc_of(s, &d);
        rc = fn(&d, ctx);
        if (rc != CG_OK)
            break;
    }
    return loop_end(st, s, S_ORDER_DOCS, r, rc, err);
}

/* Step a statement that returns one id (RETURNING): into *id. */
static int step_id(struct cg_store *st, sqlite3_stmt *s, enum store_stmt sid, int64_t *id,
                   struct cg_err *err)
{
    int r = sqlite3_step(s);

    if (r != SQLITE_ROW)
        return store_fail(st, sid, r == SQLITE_DONE ? SQLITE_ERROR : r, err);
    *id = sqlite3_column_int64(s, 0);
    r = sqlite3_step(s);
    if (r != SQLITE_DONE)
        return store_fail(st, sid, r, err);
    sqlite3_reset(s);
    return CG_OK;
}

int cg_store_order_put(struct cg_store *st, const char *seller, const char *order_no,
                       const char *hash, int64_t file_id, long line, int64_t *id,
                       struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_ORDER_PUT, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_text(s, 1, seller, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, order_no, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, hash, -1, SQLITE_STATIC);
    if (file_id != 0)
        sqlite3_bind_int64(s, 4, file_id);
    else
        sqlite3_bind_null(s, 4); /* a row no input file made (a monthly summary's) */
    sqlite3_bind_int64(s, 5, line);
    sqlite3_bind_text(s, 6, store_now(st), -1, SQLITE_TRANSIENT);
    return step_id(st, s, S_ORDER_PUT, id, err);
}

int cg_store_doc_put(struct cg_store *st, int64_t order_id, int msg_type, const char *business_key,
                     int version, const char *guid, int app_type, const char *content_hash,
                     const char *carrier, const char *route, int64_t *id, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_DOC_PUT, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, order_id);
    sqlite3_bind_int(s, 2, msg_type);
    sqlite3_bind_text(s, 3, business_key, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, version);
    sqlite3_bind_text(s, 5, guid, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 6, app_type);
    sqlite3_bind_text(s, 7, content_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, store_now(st), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 9, carrier, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, route, -1, SQLITE_STATIC);
    return step_id(st, s, S_DOC_PUT, id, err);
}

int cg_store_msg_add(struct cg_store *st, int64_t doc_id, int version, const char *guid,
                     int msg_type, int app_type, const char *file_name, const char *sha256,
                     int64_t size, int64_t file_id, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_MSG_ADD, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, doc_id);
    sqlite3_bind_int(s, 2, version);
    sqlite3_bind_text(s, 3, guid, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, msg_type);
    sqlite3_bind_int(s, 5, app_type);
    sqlite3_bind_text(s, 6, file_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 8, size);
    if (file_id != 0)
        sqlite3_bind_int64(s, 9, file_id);
    else
        sqlite3_bind_null(s, 9);
    sqlite3_bind_text(s, 10, store_now(st), -1, SQLITE_TRANSIENT);
    return store_run(st, s, S_MSG_ADD, err);
}

int cg_store_rejection_add(struct cg_store *st, int64_t file_id, const char *seller,
                           const char *order_no, long line, const char *reason, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_REJ_ADD, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, file_id);
    sqlite3_bind_text(s, 2, seller, -1, SQLITE_STATIC);
    store_bind_text(s, 3, order_no);
    sqlite3_bind_int64(s, 4, line);
    sqlite3_bind_text(s, 5, reason != NULL ? reason : "rejected", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, store_now(st), -1, SQLITE_TRANSIENT);
    return store_run(st, s, S_REJ_ADD, err);
}

int cg_store_file_rejections(struct cg_store *st, int64_t file_id, int limit,
                             int (*fn)(long line, const char *order_no, const char *reason,
                                       void *ctx),
                             void *ctx, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_FILE_REJECTIONS, &s, err);
    int r;

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, file_id);
    sqlite3_bind_int(s, 2, limit);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        rc = fn((long)sqlite3_column_int64(s, 0), text_or_empty(s, 1), text_or_empty(s, 2), ctx);
        if (rc != CG_OK)
            break;
    }
    return loop_end(st, s, S_FILE_REJECTIONS, r, rc, err);
}

/* ------------------------------------------------------------------ cancellations needed */

int cg_store_cancel_add(struct cg_store *st, int64_t order_id, int64_t file_id, long line,
                        const char *status, const char *reason, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_CANCEL_ADD, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, order_id);
    if (file_id != 0)
        sqlite3_bind_int64(s, 2, file_id);
    else
        sqlite3_bind_null(s, 2);
    sqlite3_bind_int64(s, 3, line);
    sqlite3_bind_text(s, 4, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, reason != NULL ? reason : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, store_now(st), -1, SQLITE_TRANSIENT);
    return store_run(st, s, S_CANCEL_ADD, err);
}

static void cancel_of(sqlite3_stmt *s, struct cg_store_cancel *c)
{
    memset(c, 0, sizeof(*c));
    c->seller = text_or_empty(s, 0);
    c->order_no = text_or_empty(s, 1);
    c->status = text_or_empty(s, 2);
    c->reason = text_or_empty(s, 3);
    c->noted_at = text_or_empty(s, 4);
    c->file_name = text_or_empty(s, 5);
    c->line = (long)sqlite3_column_int64(s, 6);
    c->done_at = store_col(s, 7);
    c->departed = sqlite3_column_count(s) > 8 && sqlite3_column_int(s, 8) != 0;
}

int cg_store_order_cancel(struct cg_store *st, int64_t order_id,
                          int (*fn)(const struct cg_store_cancel *c, void *ctx), void *ctx,
                          struct cg_err *err)
{
    struct cg_store_cancel c;
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_ORDER_CANCEL, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, order_id);
    rc = step_row(st, s, S_ORDER_CANCEL, err);
    if (rc != CG_OK)
        return rc;
    cancel_of(s, &c);
    rc = fn(&c, ctx);
    sqlite3_reset(s);
    return rc;
}

int cg_store_cancels_open(struct cg_store *st,
                          int (*fn)(const struct cg_store_cancel *c, void *ctx), void *ctx,
                          struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_CANCELS_OPEN, &s, err);
    int r;

    if (rc != CG_OK)
        return rc;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        struct cg_store_cancel c;
        cancel_of(s, &c);
        rc = fn(&c, ctx);
        if (rc != CG_OK)
            break;
    }
    return loop_end(st, s, S_CANCELS_OPEN, r, rc, err);
}

int cg_store_cancels_open_count(struct cg_store *st, long *n, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_CANCELS_OPEN_COUNT, &s, err);

    if (rc != CG_OK)
        return rc;
    rc = step_row(st, s, S_CANCELS_OPEN_COUNT, err);
    if (rc != CG_OK)
        return rc == CG_ENOTFOUND ? CG_ERR_SET(err, CG_EDB, "cancellation count gave no row") : rc;
    *n = (long)sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return CG_OK;
}

/* ------------------------------------------------------------------ messages and transport */

static void msg_of(sqlite3_stmt *s, struct cg_store_msg *m)
{
    memset(m, 0, sizeof(*m));
    m->id = sqlite3_column_int64(s, 0);
    m->doc_id = sqlite3_column_int64(s, 1);
    m->version = sqlite3_column_int(s, 2);
    m->msg_type = sqlite3_column_int(s, 3);
    m->app_type = sqlite3_column_int(s, 4);
    m->guid = text_or_empty(s, 5);
    m->file_name = text_or_empty(s, 6);
    m->state = text_or_empty(s, 7);
    m->status = store_col(s, 8);
    m->created_at = text_or_empty(s, 9);
    m->sent_at = store_col(s, 10);
}

int cg_store_msgs_staged(struct cg_store *st, int (*fn)(const struct cg_store_msg *m, void *ctx),
                         void *ctx, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_MSGS_STAGED, &s, err);
    int r;

    if (rc != CG_OK)
        return rc;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        struct cg_store_msg m;
        memset(&m, 0, sizeof(m));
        m.id = sqlite3_column_int64(s, 0);
        m.doc_id = sqlite3_column_int64(s, 1);
        m.version = sqlite3_column_int(s, 2);
        m.file_name = store_col(s, 3);
        rc = fn(&m, ctx);
        if (rc != CG_OK)
            break;
    }
    return loop_end(st, s, S_MSGS_STAGED, r, rc, err);
}

static int run_id(struct cg_store *st, enum store_stmt sid, int64_t id, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, sid, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    return store_run(st, s, sid, err);
}

int cg_store_msg_unstage(struct cg_store *st, int64_t msg_id, struct cg_err *err)
{
    return run_id(st, S_MSG_UNSTAGE, msg_id, err);
}

int cg_store_msg_forget(struct cg_store *st, int64_t msg_id, int64_t doc_id, int version,
                        struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    rc = run_id(st, S_MSG_DELETE, msg_id, err);
    if (rc == CG_OK)
        rc = run_id(st, S_ORDER_HASH_CLEAR, doc_id, err);
    if (rc == CG_OK)
        rc = store_stmt(st, S_DOC_BACK, &s, err);
    if (rc == CG_OK) {
        sqlite3_bind_int64(s, 1, doc_id);
        sqlite3_bind_int(s, 2, version);
        rc = store_run(st, s, S_DOC_BACK, err);
    }
    if (rc == CG_OK)
        rc = run_id(st, S_DOC_DROP, doc_id, err);
    return rc;
}

int cg_store_msgs_queued(struct cg_store *st, int64_t *after, int max,
                         int (*fn)(const struct cg_store_msg *m, void *ctx), void *ctx,
                         struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_MSGS_QUEUED, &s, err);
    int r;

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, *after);
    sqlite3_bind_int(s, 2, max);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        struct cg_store_msg m;
        memset(&m, 0, sizeof(m));
        m.id = sqlite3_column_int64(s, 0);
        m.guid = text_or_empty(s, 1);
        m.file_name = text_or_empty(s, 2);
        *after = m.id;
        rc = fn(&m, ctx);
        if (rc != CG_OK)
            break;
    }
    return loop_end(st, s, S_MSGS_QUEUED, r, rc, err);
}

int cg_store_msgs_queued_count(struct cg_store *st, long *n, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_MSGS_QUEUED_COUNT, &s, err);

    if (rc != CG_OK)
        return rc;
    rc = step_row(st, s, S_MSGS_QUEUED_COUNT, err);
    if (rc != CG_OK)
        return rc == CG_ENOTFOUND ? CG_ERR_SET(err, CG_EDB, "message count gave no row") : rc;
    *n = (long)sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return CG_OK;
}

int cg_store_msg_answer(struct cg_store *st, const char *guid, int answer, const char *detail,
                        struct cg_err *err)
{
    static const enum store_stmt ids[2] = {S_MSG_ANSWER, S_DOC_ANSWER};
    sqlite3_stmt *s = NULL;
    int rc = CG_OK;
    int k;

    for (k = 0; k < 2 && rc == CG_OK; k++) {
        rc = store_stmt(st, ids[k], &s, err);
        if (rc != CG_OK)
            break;
        sqlite3_bind_text(s, 1, guid, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 2, answer);
        store_bind_text(s, 3, detail);
        sqlite3_bind_text(s, 4, store_now(st), -1, SQLITE_TRANSIENT);
        rc = store_run(st, s, ids[k], err);
    }
    return rc;
}

int cg_store_msgs_received_unsent(struct cg_store *st,
                                  int (*fn)(const struct cg_store_msg *m, void *ctx), void *ctx,
                                  struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_MSGS_RECEIVED_UNSENT, &s, err);
    int r;

    if (rc != CG_OK)
        return rc;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        struct cg_store_msg m;
        memset(&m, 0, sizeof(m));
        m.id = sqlite3_column_int64(s, 0);
        m.guid = text_or_empty(s, 1);
        m.file_name = text_or_empty(s, 2);
        rc = fn(&m, ctx);
        if (rc != CG_OK)
            break;
    }
    return loop_end(st, s, S_MSGS_RECEIVED_UNSENT, r, rc, err);
}

int cg_store_msg_delivered(struct cg_store *st, int64_t msg_id, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_MSG_DELIVERED, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, msg_id);
    sqlite3_bind_text(s, 2, store_now(st), -1, SQLITE_TRANSIENT);
    return store_run(st, s, S_MSG_DELIVERED, err);
}

/* ------------------------------------------------------------------ receipts */

int cg_store_receipt_target(struct cg_store *st, const char *guid, struct cg_store_target *t,
                            struct cg_err *err)
{
    char upper[64];
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_RECEIPT_TARGET, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_text(s, 1, guid != NULL ? guid : "", -1, SQLITE_STATIC);
    rc = step_row(st, s, S_RECEIPT_TARGET, err);
    if (rc == CG_ENOTFOUND && guid != NULL && strlen(guid) < sizeof(upper)) {
        /* The port may write the guid in lower case (the official samples do). */
        size_t i;
        bool lower = false;

        for (i = 0; guid[i] != '\0'; i++) {
            lower = lower || (guid[i] >= 'a' && guid[i] <= 'z');
            upper[i] = guid[i] >= 'a' && guid[i] <= 'z' ? (char)(guid[i] - 'a' + 'A') : guid[i];
        }
        upper[i] = '\0';
        if (!lower)
            return CG_ENOTFOUND;
        rc = store_stmt(st, S_RECEIPT_TARGET, &s, err);
        if (rc != CG_OK)
            return rc;
        sqlite3_bind_text(s, 1, upper, -1, SQLITE_STATIC);
        rc = step_row(st, s, S_RECEIPT_TARGET, err);
    }
    if (rc != CG_OK)
        return rc;
    memset(t, 0, sizeof(*t));
    t->msg_id = sqlite3_column_int64(s, 0);
    cg_strlcpy(t->msg_state, text_or_empty(s, 1), sizeof(t->msg_state));
    t->msg_version = sqlite3_column_int(s, 2);
    t->doc_id = sqlite3_column_int64(s, 3);
    t->doc_version = sqlite3_column_int(s, 4);
    cg_strlcpy(t->doc_state, text_or_empty(s, 5), sizeof(t->doc_state));
    t->msg_type = sqlite3_column_int(s, 6);
    cg_strlcpy(t->business_key, text_or_empty(s, 7), sizeof(t->business_key));
    cg_strlcpy(t->order_no, text_or_empty(s, 8), sizeof(t->order_no));
    cg_strlcpy(t->pre_no, text_or_empty(s, 9), sizeof(t->pre_no));
    cg_strlcpy(t->invt_no, text_or_empty(s, 10), sizeof(t->invt_no));
    sqlite3_reset(s);
    return CG_OK;
}

int cg_store_receipt_seen(struct cg_store *st, int64_t msg_id, const char *status,
                          const char *return_time, bool *seen, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_RECEIPT_SEEN, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, msg_id);
    store_bind_text(s, 2, status);
    store_bind_text(s, 3, return_time);
    rc = step_row(st, s, S_RECEIPT_SEEN, err);
    if (rc != CG_OK && rc != CG_ENOTFOUND)
        return rc;
    *seen = rc == CG_OK;
    sqlite3_reset(s);
    return CG_OK;
}

int cg_store_msg_set_state(struct cg_store *st, int64_t msg_id, const char *state,
                           const char *status, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_MSG_STATE, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, msg_id);
    sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
    store_bind_text(s, 3, status);
    return store_run(st, s, S_MSG_STATE, err);
}

int cg_store_doc_set_state(struct cg_store *st, int64_t doc_id, const char *state,
                           const char *status, const char *info, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_DOC_STATE, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, doc_id);
    sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
    store_bind_text(s, 3, status);
    store_bind_text(s, 4, info);
    sqlite3_bind_text(s, 5, store_now(st), -1, SQLITE_TRANSIENT);
    return store_run(st, s, S_DOC_STATE, err);
}

int cg_store_doc_set_numbers(struct cg_store *st, int64_t doc_id, const char *pre_no,
                             const char *invt_no, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_DOC_NUMBERS, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, doc_id);
    store_bind_text(s, 2, pre_no);
    store_bind_text(s, 3, invt_no);
    return store_run(st, s, S_DOC_NUMBERS, err);
}

int cg_store_receipt_log(struct cg_store *st, const struct cg_store_receipt *e, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_RECEIPT_LOG, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_text(s, 1, store_now(st), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, e->file_name, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, e->msg_type);
    store_bind_text(s, 4, e->receipt_guid);
    store_bind_text(s, 5, e->guid);
    store_bind_text(s, 6, e->order_no);
    store_bind_text(s, 7, e->status);
    store_bind_text(s, 8, e->return_time);
    store_bind_text(s, 9, e->return_info);
    if (e->msg_id != 0)
        sqlite3_bind_int64(s, 10, e->msg_id);
    else
        sqlite3_bind_null(s, 10);
    sqlite3_bind_text(s, 11, e->outcome, -1, SQLITE_STATIC);
    rc = store_run(st, s, S_RECEIPT_LOG, err);
    if (rc != CG_OK || (strcmp(e->outcome, "unknown") != 0 && strcmp(e->outcome, "mismatch") != 0))
        return rc;
    if (e->logistics_no == NULL && e->cop_no == NULL && e->pre_no == NULL && e->invt_no == NULL &&
        e->sum_no == NULL)
        return CG_OK;
    /* Keys of a receipt nobody claims: what an operator needs to find its document. */
    rc = store_stmt(st, S_RECEIPT_KEYS, &s, err);
    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, e->logistics_no);
    store_bind_text(s, 2, e->cop_no);
    store_bind_text(s, 3, e->pre_no);
    store_bind_text(s, 4, e->invt_no);
    store_bind_text(s, 5, e->sum_no);
    return store_run(st, s, S_RECEIPT_KEYS, err);
}

int cg_store_msg_receipts(struct cg_store *st, int64_t msg_id,
                          int (*fn)(const struct cg_store_receipt *r, void *ctx), void *ctx,
                          struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_MSG_RECEIPTS, &s, err);
    int r;

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, msg_id);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        struct cg_store_receipt e;
        memset(&e, 0, sizeof(e));
        e.received_at = text_or_empty(s, 0);
        e.msg_type = sqlite3_column_int(s, 1);
        e.status = store_col(s, 2);
        e.return_time = store_col(s, 3);
        e.outcome = text_or_empty(s, 4);
        e.return_info = store_col(s, 5);
        e.file_name = text_or_empty(s, 6);
        e.receipt_guid = store_col(s, 7);
        e.guid = store_col(s, 8);
        e.order_no = store_col(s, 9);
        e.msg_id = msg_id;
        rc = fn(&e, ctx);
        if (rc != CG_OK)
            break;
    }
    return loop_end(st, s, S_MSG_RECEIPTS, r, rc, err);
}

int cg_store_receipt_file_add(struct cg_store *st, const char *sha256, const char *name,
                              long events, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_RFILE_ADD, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_text(s, 1, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, events);
    sqlite3_bind_text(s, 4, store_now(st), -1, SQLITE_TRANSIENT);
    return store_run(st, s, S_RFILE_ADD, err);
}

int cg_store_receipt_file_known(struct cg_store *st, const char *sha256, bool *known,
                                struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_RFILE_KNOWN, &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_text(s, 1, sha256, -1, SQLITE_STATIC);
    rc = step_row(st, s, S_RFILE_KNOWN, err);
    if (rc != CG_OK && rc != CG_ENOTFOUND)
        return rc;
    *known = rc == CG_OK;
    sqlite3_reset(s);
    return CG_OK;
}

/* ------------------------------------------------------------------ timelines and lists */

int cg_store_orders_named(struct cg_store *st, const char *order_no,
                          int (*fn)(const struct cg_store_order *o, void *ctx), void *ctx,
                          struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_ORDERS_NAMED, &s, err);
    int r;

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_text(s, 1, order_no, -1, SQLITE_STATIC);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        struct cg_store_order o;
        o.id = sqlite3_column_int64(s, 0);
        o.seller = text_or_empty(s, 1);
        o.order_no = text_or_empty(s, 2);
        o.created_at = text_or_empty(s, 3);
        o.updated_at = text_or_empty(s, 4);
        o.last_file = text_or_empty(s, 5);
        rc = fn(&o, ctx);
        if (rc != CG_OK)
            break;
    }
    return loop_end(st, s, S_ORDERS_NAMED, r, rc, err);
}

int cg_store_doc_msgs(struct cg_store *st, int64_t doc_id,
                      int (*fn)(const struct cg_store_msg *m, void *ctx), void *ctx,
                      struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, S_DOC_MSGS, &s, err);
    int r;

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, doc_id);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        struct cg_store_msg m;
        msg_of(s, &m);
        rc = fn(&m, ctx);
        if (rc != CG_OK)
            break;
    }
    return loop_end(st, s, S_DOC_MSGS, r, rc, err);
}

/* Each row of statement sid bound to (order_no, seller or NULL), handed to row. */
static int rows_of_order(struct cg_store *st, enum store_stmt sid, const char *seller,
                         const char *order_no, int (*row)(sqlite3_stmt *s, void *ctx), void *ctx,
                         struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_stmt(st, sid, &s, err);
    int r;

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_text(s, 1, order_no, -1, SQLITE_STATIC);
    if (seller != NULL)
        sqlite3_bind_text(s, 2, seller, -1, SQLITE_STATIC);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        rc = row(s, ctx);
        if (rc != CG_OK)
            break;
    }
    return loop_end(st, s, sid, r, rc, err);
}

struct rejections_fn {
    int (*fn)(const char *at, const char *reason, void *ctx);
    void *ctx;
};

static int rejection_row(sqlite3_stmt *s, void *vctx)
{
    struct rejections_fn *f = vctx;

    return f->fn(text_or_empty(s, 0), text_or_empty(s, 1), f->ctx);
}

int cg_store_order_rejections(struct cg_store *st, const char *seller, const char *order_no,
                              int (*fn)(const char *at, const char *reason, void *ctx), void *ctx,
                              struct cg_err *err)
{
    struct rejections_fn f = {fn, ctx};

    return rows_of_order(st, S_ORDER_REJECTIONS, seller, order_no, rejection_row, &f, err);
}

struct held_fn {
    int (*fn)(const char *seller, const char *file, const char *at, int status, void *ctx);
    void *ctx;
};

static int held_row(sqlite3_stmt *s, void *vctx)
{
    struct held_fn *f = vctx;

    return f->fn(text_or_empty(s, 0), text_or_empty(s, 1), text_or_empty(s, 2),
                 sqlite3_column_int(s, 3), f->ctx);
}

int cg_store_order_held(struct cg_store *st, const char *seller, const char *order_no,
                        int (*fn)(const char *seller, const char *file, const char *at, int status,
                                  void *ctx),
                        void *ctx, struct cg_err *err)
{
    struct held_fn f = {fn, ctx};

    return rows_of_order(st, S_ORDER_HELD, seller, order_no, held_row, &f, err);
}

int cg_store_list(struct cg_store *st, int kind,
                  int (*fn)(const struct cg_store_item *it, void *ctx), void *ctx,
                  struct cg_err *err)
{
    enum store_stmt sid;
    sqlite3_stmt *s = NULL;
    int rc;
    int r;

    if (kind == CG_STORE_LIST_PENDING)
        sid = S_LIST_PENDING;
    else if (kind == CG_STORE_LIST_REJECTED)
        sid = S_LIST_REJECTED;
    else if (kind == CG_STORE_LIST_UNKNOWN)
        sid = S_LIST_UNKNOWN;
    else if (kind == CG_STORE_LIST_INCOMPLETE)
        sid = S_LIST_INCOMPLETE;
    else if (kind == CG_STORE_LIST_HELD)
        sid = S_LIST_HELD;
    else
        return CG_ERR_SET(err, CG_EINVAL, "unknown list kind %d", kind);
    rc = store_stmt(st, sid, &s, err);
    if (rc != CG_OK)
        return rc;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        struct cg_store_item it;
        it.seller = text_or_empty(s, 0);
        it.order_no = text_or_empty(s, 1);
        it.msg_type = sqlite3_column_int(s, 2);
        it.version = sqlite3_column_int(s, 3);
        it.state = text_or_empty(s, 4);
        it.at = text_or_empty(s, 5);
        it.detail = text_or_empty(s, 6);
        it.keys = sid == S_LIST_UNKNOWN ? text_or_empty(s, 7) : "";
        rc = fn(&it, ctx);
        if (rc != CG_OK)
            break;
    }
    return loop_end(st, s, sid, r, rc, err);
}

int cg_store_resend_docs(struct cg_store *st, const char *seller, const char *order_no,
                         int (*fn)(const struct cg_store_resend_doc *d, void *ctx), void *ctx,
                         struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_prep(
        st,
        "SELECT o.seller, o.order_no, d.id, d.msg_type, d.version, d.state, " STORE_DOC_REFUSED
        ", (SELECT f.name FROM messages m JOIN input_files f ON f.id = m.input_file WHERE "
        "m.document_id = d.id AND m.version = d.version), k.marked_at, k.marked_by, k.reason "
        "FROM orders o JOIN documents d ON d.order_id = o.id LEFT JOIN resend_marks k ON "
        "k.document_id = d.id AND k.version = d.version WHERE o.order_no = ?2 AND (?1 IS NULL "
        "OR o.seller = ?1) ORDER BY o.seller, d.msg_type",
        &s, err);
    int r = SQLITE_DONE, found = 0;

    if (rc != CG_OK)
        return rc;
    store_bind_text(s, 1, seller);
    store_bind_text(s, 2, order_no);
    while (rc == CG_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
        struct cg_store_resend_doc d;
        d.seller = text_or_empty(s, 0);
        d.order_no = text_or_empty(s, 1);
        d.id = sqlite3_column_int64(s, 2);
        d.msg_type = sqlite3_column_int(s, 3);
        d.version = sqlite3_column_int(s, 4);
        d.state = text_or_empty(s, 5);
        d.unstored = sqlite3_column_int(s, 6) != 0;
        d.file = store_col(s, 7);
        d.mark_at = store_col(s, 8);
        d.mark_by = store_col(s, 9);
        d.mark_reason = store_col(s, 10);
        found = 1;
        rc = fn(&d, ctx);
    }
    if (rc == CG_OK && r != SQLITE_DONE && r != SQLITE_ROW)
        rc = cg_db_fail(st->db, r, "read an order's documents", err);
    sqlite3_finalize(s);
    return rc == CG_OK && !found ? CG_ENOTFOUND : rc;
}

int cg_store_resend_mark(struct cg_store *st, int64_t doc_id, int version, const char *by,
                         const char *reason, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = store_prep(st,
                        "INSERT INTO resend_marks(document_id, version, marked_by, reason, "
                        "marked_at) VALUES (?1, ?2, ?3, ?4, :now) ON CONFLICT DO NOTHING",
                        &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, doc_id);
    sqlite3_bind_int(s, 2, version);
    store_bind_text(s, 3, by);
    store_bind_text(s, 4, reason);
    rc = store_done(st, s, "mark a document to go out again", err);
    if (rc == CG_OK && sqlite3_changes(cg_db_handle(st->db)) == 0)
        rc = CG_ERR_SET(err, CG_EEXIST, "version %d was marked already", version);
    sqlite3_finalize(s);
    return rc;
}

int cg_store_resend_open(struct cg_store *st, int64_t order_id, int msg_type, char *by,
                         size_t bysize, char *at, size_t atsize, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int r, rc = store_prep(st,
                           "SELECT k.marked_by, k.marked_at FROM documents d JOIN resend_marks k "
                           "ON k.document_id = d.id AND k.version = d.version WHERE "
                           "d.order_id = ?1 AND d.msg_type = ?2 AND d.state = 'rejected'",
                           &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, order_id);
    sqlite3_bind_int(s, 2, msg_type);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        cg_strlcpy(by, text_or_empty(s, 0), bysize);
        cg_strlcpy(at, text_or_empty(s, 1), atsize);
    } else if (r == SQLITE_DONE) {
        rc = CG_ENOTFOUND;
    } else {
        rc = cg_db_fail(st->db, r, "read a document's resend mark", err);
    }
    sqlite3_finalize(s);
    return rc;
}

int cg_store_resend_marks(struct cg_store *st, int64_t doc_id,
                          int (*fn)(int version, const char *at, const char *by, const char *reason,
                                    void *ctx),
                          void *ctx, struct cg_err *err)
{
    sqlite3_stmt *s = NULL;
    int r = SQLITE_DONE, rc = store_prep(st,
                                         "SELECT version, marked_at, marked_by, reason FROM "
                                         "resend_marks WHERE document_id = ?1 ORDER BY version",
                                         &s, err);

    if (rc != CG_OK)
        return rc;
    sqlite3_bind_int64(s, 1, doc_id);
    while (rc == CG_OK && (r = sqlite3_step(s)) == SQLITE_ROW)
        rc = fn(sqlite3_column_int(s, 0), text_or_empty(s, 1), text_or_empty(s, 2),
                text_or_empty(s, 3), ctx);
    if (rc == CG_OK && r != SQLITE_DONE && r != SQLITE_ROW)
        rc = cg_db_fail(st->db, r, "read a document's resend marks", err);
    sqlite3_finalize(s);
    return rc;
}
