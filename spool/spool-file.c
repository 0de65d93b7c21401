/*
 * spool-file.c - one input file in active/: read its orders in batches, decide per document
 * what to declare, have the workers write signed messages to tmp/, commit the batch, publish
 * the files in outbox/, hand them to the transport; finally move the file to done/ or failed/.
 *
 * Decisions per order (key: seller and order number) and per document (CEB303 always; CEB505
 * and CEB603 once shipment data is present):
 *   no document yet                      -> version 1, appType 1 (add)
 *   same content hash                    -> nothing
 *   changed, state up to review/rejected -> next version, appType 2 (modify), same business key
 *   changed after customs concluded it   -> the order is rejected (a cancellation is needed)
 * A batch is one transaction; an order whose message fails to build, validate or sign is
 * rejected as a whole (none of its documents recorded) with the reason, the rest go on.
 * The file is moved only after its last batch committed; a crash leaves it in active/ and the
 * next run resumes it, already declared orders being unchanged.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "core/money.h"
#include "spool/spool-int.h"
#include "store/store-settle.h"

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

struct doc_row {
    sqlite3_int64 id;
    int msg_type;
    int version;
    int state;
    char hash[65];
    char *pre_no, *invt_no;
};

struct border {
    struct cg_order *o;
    sqlite3_int64 order_id; /* 0: new */
    bool known;
    int kind;           /* 0 unchanged, 1 new, 2 modified, 3 rejected */
    char *reject;       /* owned */
    size_t job0, njobs; /* its jobs in the batch */
    char hash303[65];
};

/*
 * Statements the planner runs for every order, prepared once per file and reset after each use
 * (a statement left stepping would hold a read snapshot open across the batch commits).
 */
struct plan_sql {
    sqlite3_stmt *order; /* id and hash of (seller, order_no) */
    sqlite3_stmt *docs;  /* the order's documents */
};

struct batch {
    struct cg_spool *sp;
    struct plan_sql *q;
    struct spool_seller *sel;
    sqlite3_int64 file_id;
    struct border *orders;
    size_t n, cap;
    struct spool_job *jobs;
    size_t njobs;
    /* Reader rejections waiting for the batch transaction. */
    struct {
        char *order_no;
        long line;
        char *reason;
    } * rej;
    size_t nrej;
    long c_new, c_mod, c_unch, c_rej;
    bool flying;  /* its jobs are with the workers */
    int fd;       /* the reader's descriptor, for the progress in bytes */
    int64_t base; /* bytes_done before this file */
};

static int dbfail(struct cg_spool *sp, int r, const char *what, struct cg_err *err)
{
    return cg_db_fail(sp->db, r, what, err);
}

static void batch_clear(struct batch *b)
{
    size_t i;

    for (i = 0; i < b->n; i++) {
        cg_order_free(b->orders[i].o);
        free(b->orders[i].reject);
    }
    for (i = 0; i < b->njobs; i++) {
        free(b->jobs[i].pre_no);
        free(b->jobs[i].invt_no);
        free(b->jobs[i].error);
    }
    for (i = 0; i < b->nrej; i++) {
        free(b->rej[i].order_no);
        free(b->rej[i].reason);
    }
    b->n = 0;
    b->njobs = 0;
    b->nrej = 0;
    b->c_new = b->c_mod = b->c_unch = b->c_rej = 0;
}

static void job_files_remove(struct batch *b, size_t from, size_t to);

static void batch_free(struct batch *b)
{
    if (b->flying) {
        /* Stopped by an error: collect the workers' files, which were never committed. */
        spool_pool_wait(b->sp->pool);
        b->flying = false;
        job_files_remove(b, 0, b->njobs);
    }
    batch_clear(b);
    free(b->orders);
    free(b->jobs);
    free(b->rej);
}

/*
 * Hash of the order's canonical content without shipment data: what CEB303 carries. The source
 * file, line and full hash stay out, so shipment data arriving later leaves CEB303 unchanged.
 */
static void hash_303(struct cg_order *o, char out[65])
{
    bool had = o->has_shipment;
    char *json;

    o->has_shipment = false;
    json = cg_order_canonical(o);
    o->has_shipment = had;
    if (json == NULL) {
        cg_strlcpy(out, o->hash, 65);
        return;
    }
    cg_sha256_hex(json, strlen(json), out);
    free(json);
}

static void cop_no_of(const struct cg_order *o, char out[32])
{
    struct cg_buf b;
    char h[65];

    cg_buf_init(&b, 4096);
    cg_buf_addf(&b, "%s\x1f%s", o->seller != NULL ? o->seller : "", o->order_no);
    cg_sha256_hex(cg_buf_str(&b), b.len, h);
    cg_buf_free(&b);
    snprintf(out, 32, "C%.20s", h);
}

static int plan_sql_prepare(struct cg_spool *sp, struct plan_sql *q, struct cg_err *err)
{
    sqlite3 *h = cg_db_handle(sp->db);
    int r;

    r = sqlite3_prepare_v3(h, "SELECT id, hash FROM orders WHERE seller = ? AND order_no = ?", -1,
                           SQLITE_PREPARE_PERSISTENT, &q->order, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_prepare_v3(h,
                               "SELECT id, msg_type, version, state, content_hash, pre_no, "
                               "invt_no FROM documents WHERE order_id = ?",
                               -1, SQLITE_PREPARE_PERSISTENT, &q->docs, NULL);
    return r == SQLITE_OK ? CG_OK : dbfail(sp, r, "prepare", err);
}

static void plan_sql_free(struct plan_sql *q)
{
    sqlite3_finalize(q->order);
    sqlite3_finalize(q->docs);
    q->order = q->docs = NULL;
}

static int load_docs(struct batch *b, sqlite3_int64 order_id, struct doc_row *rows, int *n,
                     struct cg_err *err)
{
    sqlite3_stmt *st = b->q->docs;
    int r;

    *n = 0;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, order_id);
    while ((r = sqlite3_step(st)) == SQLITE_ROW && *n < 3) {
        struct doc_row *d = &rows[(*n)++];
        memset(d, 0, sizeof(*d));
        d->id = sqlite3_column_int64(st, 0);
        d->msg_type = sqlite3_column_int(st, 1);
        d->version = sqlite3_column_int(st, 2);
        d->state = cg_doc_state_parse((const char *)sqlite3_column_text(st, 3));
        cg_strlcpy(d->hash, (const char *)sqlite3_column_text(st, 4), sizeof(d->hash));
        d->pre_no = cg_strdup((const char *)sqlite3_column_text(st, 5));
        d->invt_no = cg_strdup((const char *)sqlite3_column_text(st, 6));
    }
    sqlite3_reset(st);
    if (r != SQLITE_DONE && r != SQLITE_ROW)
        return dbfail(b->sp, r, "documents", err);
    return CG_OK;
}

static struct spool_job *new_job(struct batch *b)
{
    if (b->njobs == b->cap * 3) {
        /* jobs has room for 3 per order slot; cap grows with the orders array. */
        return NULL;
    }
    memset(&b->jobs[b->njobs], 0, sizeof(b->jobs[0]));
    return &b->jobs[b->njobs++];
}

/* Decide what an order needs; add its jobs. */
static int plan_order(struct batch *b, struct border *bo, struct cg_err *err)
{
    struct cg_spool *sp = b->sp;
    struct cg_order *o = bo->o;
    struct doc_row rows[3];
    int nrows = 0;
    sqlite3_stmt *st = b->q->order;
    int types[3];
    int ntypes = 0;
    int r, i, k;
    int rc = CG_OK;

    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, b->sel->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, o->order_no, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        bo->known = true;
        bo->order_id = sqlite3_column_int64(st, 0);
        if (strcmp((const char *)sqlite3_column_text(st, 1), o->hash) == 0) {
            sqlite3_reset(st);
            bo->kind = 0;
            return CG_OK;
        }
    } else if (r != SQLITE_DONE) {
        rc = dbfail(sp, r, "orders", err);
        sqlite3_reset(st);
        return rc;
    }
    sqlite3_reset(st);
    if (bo->known) {
        rc = load_docs(b, bo->order_id, rows, &nrows, err);
        if (rc != CG_OK)
            goto done;
    }
    hash_303(o, bo->hash303);
    types[ntypes++] = 303;
    if (o->has_shipment) {
        types[ntypes++] = 505;
        types[ntypes++] = 603;
    }
    bo->job0 = b->njobs;
    bo->kind = bo->known ? 0 : 1;
    for (i = 0; i < ntypes; i++) {
        const char *h = types[i] == 303 ? bo->hash303 : o->hash;
        struct doc_row *cur = NULL;
        struct spool_job *j;
        for (k = 0; k < nrows; k++) {
            if (rows[k].msg_type == types[i])
                cur = &rows[k];
        }
        if (cur != NULL && strcmp(cur->hash, h) == 0)
            continue;
        if (cur != NULL && cur->state > CG_DOC_REVIEW && cur->state != CG_DOC_REJECTED) {
            char msg[512];
            snprintf(msg, sizeof(msg),
                     "%s:%ld: order %s: CEB%03d: changed after customs reached state '%s'; "
                     "a change now needs a cancellation, not a modify",
                     o->source != NULL ? o->source : "?", o->line, o->order_no, types[i],
                     cg_doc_state_name(cur->state));
            bo->reject = cg_strdup(msg);
            bo->kind = 3;
            b->njobs = bo->job0;
            goto done;
        }
        j = new_job(b);
        if (j == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "too many jobs in a batch");
            goto done;
        }
        j->order = o;
        j->sel = b->sel;
        j->msg_type = types[i];
        j->version = cur != NULL ? cur->version + 1 : 1;
        j->app_type = cur != NULL ? CG_APP_MODIFY : CG_APP_ADD;
        cg_guid_new(j->guid);
        cop_no_of(o, j->cop_no);
        if (cur != NULL) {
            j->pre_no = cg_strdup(cur->pre_no);
            j->invt_no = cg_strdup(cur->invt_no);
        }
        if (bo->known)
            bo->kind = 2;
    }
    bo->njobs = b->njobs - bo->job0;
done:
    for (k = 0; k < nrows; k++) {
        free(rows[k].pre_no);
        free(rows[k].invt_no);
    }
    return rc;
}

/* UTC now as the database stores times: 2026-11-29T00:59:31.123Z. */
static void utc_now(char *out, size_t size)
{
    struct timespec ts;
    struct tm tm;
    char sec[24];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%s.%03dZ", sec, (int)(ts.tv_nsec / 1000000));
}

static const char *business_key(const struct spool_job *j)
{
    if (j->msg_type == 505 && j->order->has_shipment && j->order->ship.logistics_no != NULL)
        return j->order->ship.logistics_no;
    if (j->msg_type == 603)
        return j->cop_no;
    return j->order->order_no;
}

/*
 * What the buyer pays (goods, freight, insurance), kept with the order for the
 * foreign-exchange collection (settle/). A currency outside ISO 4217 gets no amount there;
 * the declaration goes on regardless. Returns 1 when d was filled.
 */
static int declared_amount(sqlite3_int64 oid, const struct cg_order *o, struct cg_fx_declared *d)
{
    int64_t total;
    struct cg_money m;

    if (cg_dec_add(o->goods_value, o->freight, &total) != CG_OK ||
        cg_dec_add(total, o->insured_fee, &total) != CG_OK ||
        cg_money_from_dec(total, o->currency_iso, &m) != CG_OK)
        return 0;
    d->order_id = oid;
    d->currency = o->currency_iso;
    d->amount = m.minor;
    return 1;
}

struct commit_ctx {
    struct batch *b;
};

static int commit_batch(struct cg_db *db, void *vctx, struct cg_err *err)
{
    struct commit_ctx *c = vctx;
    struct batch *b = c->b;
    struct cg_spool *sp = b->sp;
    sqlite3 *h = cg_db_handle(db);
    sqlite3_stmt *up_order = NULL, *up_doc = NULL, *ins_msg = NULL, *ins_rej = NULL;
    sqlite3_stmt *up_file = NULL;
    struct cg_fx_declared *decl = calloc(b->n ? b->n : 1, sizeof(*decl));
    size_t ndecl = 0;
    char now[32];
    int rc = CG_OK;
    int r;
    size_t i, k;

    /* One time for the whole batch: it is one unit of work. */
    utc_now(now, sizeof(now));

    r = sqlite3_prepare_v2(h,
                           "INSERT INTO orders(seller, order_no, hash, first_file, last_file, "
                           "line, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, "
                           "?6) ON CONFLICT(seller, order_no) DO UPDATE SET "
                           "hash = ?3, last_file = ?4, line = ?5, updated_at = ?6 RETURNING id",
                           -1, &up_order, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_prepare_v2(
            h,
            "INSERT INTO documents(order_id, msg_type, business_key, version, guid, app_type, "
            "content_hash, state, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
            "'queued', ?8) ON CONFLICT(order_id, msg_type) DO UPDATE SET business_key = ?3, "
            "version = ?4, guid = ?5, app_type = ?6, content_hash = ?7, state = 'queued', "
            "status = NULL, status_info = NULL, updated_at = ?8 RETURNING id",
            -1, &up_doc, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_prepare_v2(
            h,
            "INSERT INTO messages(document_id, version, guid, msg_type, "
            "app_type, file_name, sha256, size, input_file, staged, state, "
            "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, 'queued', ?10)",
            -1, &ins_msg, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_prepare_v2(h,
                               "INSERT OR IGNORE INTO rejections(input_file, seller, order_no, "
                               "line, reason, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                               -1, &ins_rej, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_prepare_v2(h,
                               "UPDATE input_files SET orders_new = orders_new + ?2, "
                               "orders_modified = orders_modified + ?3, orders_unchanged = "
                               "orders_unchanged + ?4, orders_rejected = orders_rejected + ?5 "
                               "WHERE id = ?1",
                               -1, &up_file, NULL);
    if (r != SQLITE_OK) {
        rc = dbfail(sp, r, "prepare", err);
        goto done;
    }
    for (i = 0; i < b->n; i++) {
        struct border *bo = &b->orders[i];
        sqlite3_int64 oid;
        if (bo->kind == 3) {
            sqlite3_reset(ins_rej);
            sqlite3_bind_int64(ins_rej, 1, b->file_id);
            sqlite3_bind_text(ins_rej, 6, now, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins_rej, 2, b->sel->name, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins_rej, 3, bo->o->order_no, -1, SQLITE_STATIC);
            sqlite3_bind_int64(ins_rej, 4, bo->o->line);
            sqlite3_bind_text(ins_rej, 5, bo->reject, -1, SQLITE_STATIC);
            if ((r = sqlite3_step(ins_rej)) != SQLITE_DONE)
                goto sqlfail;
            continue;
        }
        sqlite3_reset(up_order);
        sqlite3_bind_text(up_order, 1, b->sel->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(up_order, 2, bo->o->order_no, -1, SQLITE_STATIC);
        sqlite3_bind_text(up_order, 3, bo->o->hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64(up_order, 4, b->file_id);
        sqlite3_bind_int64(up_order, 5, bo->o->line);
        sqlite3_bind_text(up_order, 6, now, -1, SQLITE_STATIC);
        if ((r = sqlite3_step(up_order)) != SQLITE_ROW)
            goto sqlfail;
        oid = sqlite3_column_int64(up_order, 0);
        sqlite3_reset(up_order);
        if (decl != NULL)
            ndecl += (size_t)declared_amount(oid, bo->o, &decl[ndecl]);
        for (k = bo->job0; k < bo->job0 + bo->njobs; k++) {
            struct spool_job *j = &b->jobs[k];
            sqlite3_int64 did;
            sqlite3_reset(up_doc);
            sqlite3_bind_int64(up_doc, 1, oid);
            sqlite3_bind_int(up_doc, 2, j->msg_type);
            sqlite3_bind_text(up_doc, 3, business_key(j), -1, SQLITE_STATIC);
            sqlite3_bind_int(up_doc, 4, j->version);
            sqlite3_bind_text(up_doc, 5, j->guid, -1, SQLITE_STATIC);
            sqlite3_bind_int(up_doc, 6, j->app_type);
            sqlite3_bind_text(up_doc, 8, now, -1, SQLITE_STATIC);
            sqlite3_bind_text(up_doc, 7, j->msg_type == 303 ? bo->hash303 : bo->o->hash, -1,
                              SQLITE_STATIC);
            if ((r = sqlite3_step(up_doc)) != SQLITE_ROW)
                goto sqlfail;
            did = sqlite3_column_int64(up_doc, 0);
            sqlite3_reset(up_doc);
            sqlite3_reset(ins_msg);
            sqlite3_bind_int64(ins_msg, 1, did);
            sqlite3_bind_int(ins_msg, 2, j->version);
            sqlite3_bind_text(ins_msg, 3, j->guid, -1, SQLITE_STATIC);
            sqlite3_bind_int(ins_msg, 4, j->msg_type);
            sqlite3_bind_int(ins_msg, 5, j->app_type);
            sqlite3_bind_text(ins_msg, 6, j->name, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins_msg, 7, j->sha256, -1, SQLITE_STATIC);
            sqlite3_bind_int64(ins_msg, 8, (sqlite3_int64)j->size);
            sqlite3_bind_int64(ins_msg, 9, b->file_id);
            sqlite3_bind_text(ins_msg, 10, now, -1, SQLITE_STATIC);
            if ((r = sqlite3_step(ins_msg)) != SQLITE_DONE)
                goto sqlfail;
        }
    }
    for (i = 0; i < b->nrej; i++) {
        sqlite3_reset(ins_rej);
        sqlite3_bind_int64(ins_rej, 1, b->file_id);
        sqlite3_bind_text(ins_rej, 6, now, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_rej, 2, b->sel->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_rej, 3, b->rej[i].order_no, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins_rej, 4, b->rej[i].line);
        sqlite3_bind_text(ins_rej, 5, b->rej[i].reason, -1, SQLITE_STATIC);
        if ((r = sqlite3_step(ins_rej)) != SQLITE_DONE)
            goto sqlfail;
    }
    sqlite3_bind_int64(up_file, 1, b->file_id);
    sqlite3_bind_int64(up_file, 2, b->c_new);
    sqlite3_bind_int64(up_file, 3, b->c_mod);
    sqlite3_bind_int64(up_file, 4, b->c_unch);
    sqlite3_bind_int64(up_file, 5, b->c_rej);
    if ((r = sqlite3_step(up_file)) != SQLITE_DONE)
        goto sqlfail;
    if (decl == NULL)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    else
        rc = cg_store_fx_declared_put(db, decl, ndecl, err);
    goto done;
sqlfail:
    rc = dbfail(sp, r, "recording the batch", err);
done:
    free(decl);
    sqlite3_finalize(up_order);
    sqlite3_finalize(up_doc);
    sqlite3_finalize(ins_msg);
    sqlite3_finalize(ins_rej);
    sqlite3_finalize(up_file);
    return rc;
}

static int publish(struct batch *b, struct cg_err *err)
{
    struct cg_spool *sp = b->sp;
    char **guids = NULL;
    char **names = NULL;
    size_t n = 0;
    size_t i;
    int rc = CG_OK;

    guids = calloc(b->njobs + 1, sizeof(*guids));
    names = calloc(b->njobs + 1, sizeof(*names));
    if (guids == NULL || names == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < b->njobs; i++) {
        struct spool_job *j = &b->jobs[i];
        if (j->rc != CG_OK || j->name[0] == '\0')
            continue;
        if (renameat(sp->dfd[D_TMP], j->name, sp->dfd[D_OUTBOX], j->name) != 0) {
            rc = CG_ERR_SET(err, CG_EIO, "moving tmp/%s to outbox/: %s", j->name, strerror(errno));
            goto done;
        }
        guids[n] = j->guid;
        names[n] = j->name;
        n++;
    }
    rc = cg_fs_fsync_dir_at(sp->dfd[D_OUTBOX], err);
    if (rc == CG_OK)
        rc = cg_fs_fsync_dir_at(sp->dfd[D_TMP], err);
    if (rc != CG_OK)
        goto done;
    sp->st.msgs_queued += (long)n;
    rc = spool_submit_names(sp, guids, names, n, err);
done:
    free(guids);
    free(names);
    return rc;
}

static void job_files_remove(struct batch *b, size_t from, size_t to)
{
    size_t k;

    for (k = from; k < to; k++) {
        if (b->jobs[k].rc == CG_OK && b->jobs[k].name[0] != '\0') {
            unlinkat(b->sp->dfd[D_TMP], b->jobs[k].name, 0);
            b->jobs[k].name[0] = '\0';
        }
    }
}

/* Hand the batch's jobs to the workers without waiting. */
static int start(struct batch *b, struct cg_err *err)
{
    struct cg_spool *sp = b->sp;
    int rc;

    if (b->njobs == 0)
        return CG_OK;
    if (sp->pool == NULL) {
        rc = spool_pool_new(sp, sp->opts.workers, &sp->pool, err);
        if (rc != CG_OK)
            return rc;
    }
    spool_pool_start(sp->pool, b->jobs, b->njobs);
    b->flying = true;
    return CG_OK;
}

static void land(struct batch *b)
{
    if (b->flying) {
        spool_pool_wait(b->sp->pool);
        b->flying = false;
    }
}

/* The batch's jobs are done: reject the orders whose messages failed, commit, publish. */
static int finish(struct batch *b, struct cg_err *err)
{
    struct cg_spool *sp = b->sp;
    struct commit_ctx c;
    size_t i, k;
    int rc;

    land(b);
    if (b->n == 0 && b->nrej == 0)
        return CG_OK;
    for (i = 0; i < b->n; i++) {
        struct border *bo = &b->orders[i];
        for (k = bo->job0; bo->kind != 3 && k < bo->job0 + bo->njobs; k++) {
            if (b->jobs[k].rc != CG_OK) {
                char msg[2048];
                snprintf(msg, sizeof(msg), "%s:%ld: order %s: %s",
                         bo->o->source != NULL ? bo->o->source : "?", bo->o->line, bo->o->order_no,
                         b->jobs[k].error);
                bo->reject = cg_strdup(msg);
                bo->kind = 3;
            }
        }
        if (bo->kind == 3) {
            job_files_remove(b, bo->job0, bo->job0 + bo->njobs);
            cg_warn("%s", bo->reject != NULL ? bo->reject : "order rejected");
            spool_reason_add(&sp->st, bo->reject != NULL ? bo->reject : "rejected");
            b->c_rej++;
        } else if (bo->kind == 0) {
            b->c_unch++;
        } else if (bo->kind == 1) {
            b->c_new++;
        } else {
            b->c_mod++;
        }
        if (bo->kind != 3)
            sp->st.msgs_signed += (long)bo->njobs;
    }
    /*
     * The messages must be on disk before the rows that point at them are committed. One
     * syncfs() for the whole batch gives the same order as an fsync per file (every file's data,
     * inode and tmp/ entry durable before the commit; the commit durable before the renames into
     * outbox/, which are flushed with one fsync per folder) at the cost of one device flush
     * instead of one per message (docs/spool.md, "Crash safety").
     */
    if (b->njobs > 0 && !sp->opts.sync_per_file && syncfs(sp->dfd[D_TMP]) != 0) {
        job_files_remove(b, 0, b->njobs);
        return CG_ERR_SET(err, CG_EIO, "syncfs: %s", strerror(errno));
    }
    c.b = b;
    rc = cg_db_tx(sp->db, commit_batch, &c, err);
    if (rc != CG_OK) {
        job_files_remove(b, 0, b->njobs);
        return rc;
    }
    sp->st.orders_new += b->c_new;
    sp->st.orders_modified += b->c_mod;
    sp->st.orders_unchanged += b->c_unch;
    sp->st.orders_rejected += b->c_rej;
    rc = publish(b, err);
    batch_clear(b);
    if (b->fd >= 0) {
        off_t pos = lseek(b->fd, 0, SEEK_CUR);
        if (pos > 0)
            sp->st.bytes_done = b->base + pos;
    }
    spool_progress(sp, false);
    return rc;
}

/*
 * Two batches: while the workers sign one, the spool thread commits and publishes the one
 * before it and reads orders into the next. Commits stay in file order.
 */
struct pipe {
    struct batch b[2];
    struct batch *fill; /* being filled with orders */
    struct batch *fly;  /* signed or being signed, not yet committed; NULL when none */
    struct plan_sql q;  /* shared by both batches */
};

/* Commit everything: the batch in flight, then the one being filled. */
static int drain(struct pipe *p, struct cg_err *err)
{
    int rc = CG_OK;

    if (p->fly != NULL) {
        land(p->fly);
        rc = start(p->fill, err);
        if (rc == CG_OK)
            rc = finish(p->fly, err);
        p->fly = NULL;
    } else {
        rc = start(p->fill, err);
    }
    if (rc == CG_OK)
        rc = finish(p->fill, err);
    land(p->fill);
    return rc;
}

static bool has_order(const struct batch *b, const char *no)
{
    size_t i;

    for (i = 0; b != NULL && i < b->n; i++) {
        if (strcmp(b->orders[i].o->order_no, no) == 0)
            return true;
    }
    return false;
}

static int batch_add(struct pipe *p, struct cg_order *o, struct cg_err *err)
{
    struct batch *b;
    struct border *bo;
    int rc = CG_OK;

    /* The same order again before the first is committed: it must see the first's rows. */
    if (has_order(p->fill, o->order_no) || has_order(p->fly, o->order_no))
        rc = drain(p, err);
    if (rc != CG_OK) {
        cg_order_free(o);
        return rc;
    }
    b = p->fill;
    bo = &b->orders[b->n++];
    memset(bo, 0, sizeof(*bo));
    bo->o = o;
    rc = plan_order(b, bo, err);
    if (rc != CG_OK || b->n < b->cap)
        return rc;
    /* Full: the workers take this one while the previous one is committed. */
    if (p->fly != NULL)
        land(p->fly);
    rc = start(b, err);
    if (rc == CG_OK && p->fly != NULL)
        rc = finish(p->fly, err);
    p->fill = p->fly != NULL ? p->fly : (b == &p->b[0] ? &p->b[1] : &p->b[0]);
    p->fly = b;
    return rc;
}

static int add_reader_reject(struct batch *b, const char *msg)
{
    const char *p = strstr(msg, ": order ");
    char no[64] = "";
    long line = 0;
    const char *c;

    if (p != NULL) {
        const char *q = p + 8;
        size_t k = strcspn(q, ":");
        if (k < sizeof(no)) {
            memcpy(no, q, k);
            no[k] = '\0';
        }
        /* "file:LINE: order": the number before p. */
        for (c = p; c > msg && c[-1] >= '0' && c[-1] <= '9'; c--)
            ;
        if (c < p)
            line = strtol(c, NULL, 10);
    }
    if (b->nrej % 64 == 0) {
        void *g = realloc(b->rej, (b->nrej + 64) * sizeof(*b->rej));
        if (g == NULL)
            return CG_ENOMEM;
        b->rej = g;
    }
    b->rej[b->nrej].order_no = cg_strdup(no);
    b->rej[b->nrej].line = line;
    b->rej[b->nrej].reason = cg_strdup(msg);
    b->nrej++;
    b->c_rej++;
    return CG_OK;
}

/* ------------------------------------------------------------------ the file */

static int file_row(struct cg_spool *sp, const char *seller, const char *name,
                    const char *active_name, const struct stat *stt, const char *sha,
                    sqlite3_int64 *id, bool *resumed, char *dup, size_t dupsz, struct cg_err *err)
{
    sqlite3 *h = cg_db_handle(sp->db);
    sqlite3_stmt *st = NULL;
    int r;
    int rc = CG_OK;

    *id = 0;
    *resumed = false;
    dup[0] = '\0';
    /* The same file (same inode) resumed after a crash or a stop. */
    r = sqlite3_prepare_v2(h,
                           "SELECT id, outcome FROM input_files WHERE seller = ? AND "
                           "active_name = ? AND sha256 = ? AND inode = ? AND outcome IN "
                           "('active', 'done', 'failed') ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL);
    if (r != SQLITE_OK)
        return dbfail(sp, r, "input_files", err);
    sqlite3_bind_text(st, 1, seller, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, active_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, sha, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)stt->st_ino);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        *resumed = true;
        /* Finished, but a crash came before the move: the move is all that is left. */
        if (strcmp((const char *)sqlite3_column_text(st, 1), "active") != 0)
            snprintf(dup, dupsz, "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    st = NULL;
    if (*id != 0)
        return CG_OK;
    r = sqlite3_prepare_v2(h,
                           "SELECT name, taken_at FROM input_files WHERE seller = ? AND "
                           "sha256 = ? AND outcome = 'done' ORDER BY id LIMIT 1",
                           -1, &st, NULL);
    if (r != SQLITE_OK)
        return dbfail(sp, r, "input_files", err);
    sqlite3_bind_text(st, 1, seller, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sha, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(dup, dupsz, "same content as %s taken at %s",
                 (const char *)sqlite3_column_text(st, 0),
                 (const char *)sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    st = NULL;
    r = sqlite3_prepare_v2(h,
                           "INSERT INTO input_files(seller, name, active_name, size, sha256, "
                           "inode, outcome, reason, taken_at, finished_at) VALUES (?, ?, ?, ?, "
                           "?, ?, ?, ?, " NOW_SQL
                           ", CASE WHEN ?7 = 'active' THEN NULL ELSE " NOW_SQL " END)",
                           -1, &st, NULL);
    if (r != SQLITE_OK)
        return dbfail(sp, r, "input_files", err);
    sqlite3_bind_text(st, 1, seller, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, active_name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)stt->st_size);
    sqlite3_bind_text(st, 5, sha, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)stt->st_ino);
    sqlite3_bind_text(st, 7, dup[0] != '\0' ? "duplicate" : "active", -1, SQLITE_STATIC);
    if (dup[0] != '\0')
        sqlite3_bind_text(st, 8, dup, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 8);
    r = sqlite3_step(st);
    if (r != SQLITE_DONE)
        rc = dbfail(sp, r, "input_files", err);
    else
        *id = sqlite3_last_insert_rowid(h);
    sqlite3_finalize(st);
    return rc;
}

static int file_finish(struct cg_spool *sp, sqlite3_int64 id, const char *outcome,
                       const char *reason, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int r;

    if (id == 0)
        return CG_OK;
    r = sqlite3_prepare_v2(cg_db_handle(sp->db),
                           "UPDATE input_files SET outcome = ?, reason = ?, finished_at = " NOW_SQL
                           " WHERE id = ?",
                           -1, &st, NULL);
    if (r != SQLITE_OK)
        return dbfail(sp, r, "input_files", err);
    sqlite3_bind_text(st, 1, outcome, -1, SQLITE_STATIC);
    if (reason != NULL)
        sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_int64(st, 3, id);
    r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? CG_OK : dbfail(sp, r, "input_files", err);
}

/* A file refused before it was read still gets a row, for cebgate status FILE. */
static int file_row_failed(struct cg_spool *sp, const char *seller, const char *name,
                           const char *reason, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int r;

    r = sqlite3_prepare_v2(cg_db_handle(sp->db),
                           "INSERT INTO input_files(seller, name, active_name, size, sha256, "
                           "outcome, reason, taken_at, finished_at) VALUES (?, ?, ?, 0, '', "
                           "'failed', ?, " NOW_SQL ", " NOW_SQL ")",
                           -1, &st, NULL);
    if (r != SQLITE_OK)
        return dbfail(sp, r, "input_files", err);
    sqlite3_bind_text(st, 1, seller, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? CG_OK : dbfail(sp, r, "input_files", err);
}

/*
 * Move active/<sub>/name to done/<sub>/ or failed/<sub>/ (with the reason next to it). The
 * database row is updated first: a crash in between leaves the file in active/ with a finished
 * row of the same name, content and inode, and the next run only moves it.
 */
int spool_file_out(struct cg_spool *sp, struct spool_seller *sel, int subfd, const char *name,
                   sqlite3_int64 id, const char *outcome, const char *reason, struct cg_err *err)
{
    bool failed = strcmp(outcome, "failed") == 0;
    char used[CG_FS_NAME_MAX + 16];
    int tofd;
    int rc;

    if (id == 0)
        rc = file_row_failed(sp, sel != NULL ? sel->name : "", name, reason, err);
    else
        rc = file_finish(sp, id, outcome, reason, err);
    if (rc != CG_OK)
        return rc;
    tofd = spool_subdir(sp, failed ? D_FAILED : D_DONE, sel != NULL ? sel->name : "", err);
    if (tofd < 0)
        return tofd;
    rc = spool_move_unique(subfd, name, tofd, used, sizeof(used), err);
    if (rc == CG_OK && reason != NULL && (failed || strcmp(outcome, "duplicate") == 0))
        rc = spool_write_reason(sp, tofd, used, reason, err);
    close(tofd);
    if (failed)
        sp->st.files_failed++;
    else if (strcmp(outcome, "duplicate") == 0)
        sp->st.files_duplicate++;
    else
        sp->st.files_done++;
    return rc;
}

static int sha_fd(int fd, char out[65], int64_t *size, struct cg_err *err)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char buf[65536], dg[32];
    unsigned int dl = 0;
    int rc = CG_OK;
    int i;

    *size = 0;
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        rc = CG_ERR_SET(err, CG_ECRYPTO, "sha256 unavailable");
        goto done;
    }
    for (;;) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = CG_ERR_SET(err, CG_EIO, "read failed: %s", strerror(errno));
            goto done;
        }
        if (r == 0)
            break;
        EVP_DigestUpdate(md, buf, (size_t)r);
        *size += r;
    }
    EVP_DigestFinal_ex(md, dg, &dl);
    for (i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", dg[i]);
    if (lseek(fd, 0, SEEK_SET) != 0)
        rc = CG_ERR_SET(err, CG_EIO, "seek failed: %s", strerror(errno));
done:
    EVP_MD_CTX_free(md);
    return rc;
}

int spool_process_file(struct cg_spool *sp, struct spool_seller *sel, int subfd, const char *name,
                       struct cg_err *err)
{
    struct pipe pp;
    struct stat stt;
    struct cg_reader *rd = NULL;
    struct cg_err e;
    char sha[65];
    char dup[512];
    char display[2 * CG_FS_NAME_MAX + 8];
    char reason[8192];
    sqlite3_int64 id = 0;
    bool resumed = false;
    int64_t size = 0, t0 = spool_now_ms();
    long max = cg_conf_get_int(sp->conf, "spool", "max_file_size");
    long nread = 0;
    int fd = -1;
    int rc = CG_OK;
    int rrc;

    memset(&pp, 0, sizeof(pp));
    pp.b[0].fd = pp.b[1].fd = -1;
    pp.fill = &pp.b[0];
    cg_err_clear(&e);
    if (sel == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    reason[0] = '\0';
    snprintf(display, sizeof(display), "%s%s%s", sel->name, sel->name[0] ? "/" : "", name);
    sp->st.files_taken++;
    fd = openat(subfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(reason, sizeof(reason), "%s: %s", display,
                 errno == ELOOP ? "is a symbolic link (never followed)" : strerror(errno));
        goto failed;
    }
    if (fstat(fd, &stt) != 0 || !S_ISREG(stt.st_mode)) {
        snprintf(reason, sizeof(reason), "%s: not a regular file", display);
        goto failed;
    }
    if (stt.st_size == 0) {
        snprintf(reason, sizeof(reason), "%s: empty file (0 bytes)", display);
        goto failed;
    }
    if (max > 0 && stt.st_size > max) {
        snprintf(reason, sizeof(reason), "%s: %lld bytes is over [spool] max_file_size %ld",
                 display, (long long)stt.st_size, max);
        goto failed;
    }
    if (sha_fd(fd, sha, &size, &e) != CG_OK) {
        snprintf(reason, sizeof(reason), "%s: %s", display, e.msg);
        goto failed;
    }
    rc = file_row(sp, sel->name, name, name, &stt, sha, &id, &resumed, dup, sizeof(dup), err);
    if (rc != CG_OK)
        goto done;
    if (resumed && dup[0] != '\0') {
        /* Same file (same inode) already recorded as finished: only the move was missing. */
        char outcome[16];
        int tofd;
        close(fd);
        fd = -1;
        cg_strlcpy(outcome, dup, sizeof(outcome));
        tofd = spool_subdir(sp, strcmp(outcome, "failed") == 0 ? D_FAILED : D_DONE, sel->name, err);
        if (tofd < 0) {
            rc = tofd;
            goto done;
        }
        rc = spool_move_unique(subfd, name, tofd, NULL, 0, err);
        close(tofd);
        cg_info("%s: was %s before a restart; moved out of active/", display, outcome);
        goto done;
    }
    if (dup[0] != '\0') {
        close(fd);
        fd = -1;
        sp->st.bytes_done += size;
        rc = spool_file_out(sp, sel, subfd, name, id, "duplicate", dup, err);
        spool_event(sp, CG_SPOOL_EV_FILE, "duplicate %s: %s; nothing declared", display, dup);
        goto done;
    }
    if (sel->problem != NULL) {
        snprintf(reason, sizeof(reason), "%s: %s", display, sel->problem);
        goto failed;
    }
    if (resumed) {
        /* The file is read again from the start: count it again from zero. */
        sqlite3_stmt *st = NULL;
        cg_info("%s: resuming (already declared orders count as unchanged)", display);
        if (sqlite3_prepare_v2(cg_db_handle(sp->db),
                               "UPDATE input_files SET orders_new = 0, orders_modified = 0, "
                               "orders_unchanged = 0, orders_rejected = 0 WHERE id = ?",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, id);
            sqlite3_step(st);
        }
        sqlite3_finalize(st);
    }
    {
        int k;
        for (k = 0; k < 2; k++) {
            pp.b[k].fd = fd;
            pp.b[k].base = sp->st.bytes_done;
        }
    }
    rc = cg_reader_open_fd(sel->map, fd, display, &rd, &e);
    fd = -1; /* the reader owns it now, also on failure */
    if (rc != CG_OK) {
        rc = CG_OK;
        snprintf(reason, sizeof(reason), "%s", e.msg[0] ? e.msg : cg_strerror(e.code));
        goto failed;
    }
    {
        int k;
        for (k = 0; k < 2; k++) {
            struct batch *b = &pp.b[k];
            b->sp = sp;
            b->q = &pp.q;
            b->sel = sel;
            b->file_id = id;
            b->cap = (size_t)sp->opts.batch;
            b->orders = calloc(b->cap, sizeof(*b->orders));
            b->jobs = calloc(b->cap * 3, sizeof(*b->jobs));
            if (b->orders == NULL || b->jobs == NULL) {
                rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
                goto done;
            }
        }
    }
    rc = plan_sql_prepare(sp, &pp.q, err);
    if (rc != CG_OK)
        goto done;
    for (;;) {
        struct cg_order *o = NULL;
        if (sp->opts.stop != NULL && *sp->opts.stop)
            break;
        cg_err_clear(&e);
        rrc = cg_reader_next(rd, &o, &e);
        if (rrc == CG_ENOTFOUND)
            break;
        if (rrc == CG_EREJECT) {
            nread++;
            sp->st.orders_read++;
            cg_warn("%s", e.msg);
            spool_reason_add(&sp->st, e.msg);
            if (add_reader_reject(pp.fill, e.msg) != CG_OK) {
                rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
                goto done;
            }
            continue;
        }
        if (rrc != CG_OK) {
            snprintf(reason, sizeof(reason), "%s", e.msg[0] ? e.msg : cg_strerror(rrc));
            break;
        }
        nread++;
        sp->st.orders_read++;
        rc = batch_add(&pp, o, err);
        if (rc != CG_OK)
            goto done;
    }
    rc = drain(&pp, err);
    if (rc != CG_OK)
        goto done;
    sp->st.bytes_done = pp.b[0].base + size;
    if (sp->opts.stop != NULL && *sp->opts.stop && reason[0] == '\0') {
        spool_event(sp, CG_SPOOL_EV_FILE, "stopped %s: the rest is taken on the next run", display);
        goto done;
    }
    {
        long nrej = 0, nok = 0;
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(cg_db_handle(sp->db),
                               "SELECT orders_new + orders_modified + orders_unchanged, "
                               "orders_rejected FROM input_files WHERE id = ?",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, id);
            if (sqlite3_step(st) == SQLITE_ROW) {
                nok = sqlite3_column_int(st, 0);
                nrej = sqlite3_column_int(st, 1);
            }
        }
        sqlite3_finalize(st);
        if (reason[0] != '\0') {
            if (nok > 0) {
                size_t l = strlen(reason);
                snprintf(reason + l, sizeof(reason) - l,
                         " (the %ld orders before this point were taken)", nok);
            }
            goto failed;
        }
        if (nok == 0 && nrej == 0) {
            snprintf(reason, sizeof(reason), "%s: no orders in the file", display);
            goto failed;
        }
        if (nok == 0) {
            size_t l;
            int k = 0;
            snprintf(reason, sizeof(reason), "%s: all %ld orders rejected:", display, nrej);
            if (sqlite3_prepare_v2(cg_db_handle(sp->db),
                                   "SELECT reason FROM rejections WHERE input_file = ? "
                                   "ORDER BY line LIMIT 20",
                                   -1, &st, NULL) == SQLITE_OK) {
                sqlite3_bind_int64(st, 1, id);
                while (sqlite3_step(st) == SQLITE_ROW && k++ < 20) {
                    l = strlen(reason);
                    snprintf(reason + l, sizeof(reason) - l, "\n  %s",
                             (const char *)sqlite3_column_text(st, 0));
                }
            }
            sqlite3_finalize(st);
            goto failed;
        }
        cg_reader_close(rd);
        rd = NULL;
        rc = spool_file_out(sp, sel, subfd, name, id, "done", NULL, err);
        spool_event(sp, CG_SPOOL_EV_FILE, "done %s: %ld orders taken, %ld rejected, %.1fs", display,
                    nok, nrej, (double)(spool_now_ms() - t0) / 1000.0);
        goto done;
    }
failed:
    if (fd >= 0) {
        close(fd);
        fd = -1;
    }
    cg_reader_close(rd);
    rd = NULL;
    if (rc == CG_OK) {
        cg_warn("%s", reason);
        rc = spool_file_out(sp, sel, subfd, name, id, "failed", reason, err);
        spool_event(sp, CG_SPOOL_EV_FILE, "failed %s", reason);
    }
done:
    if (fd >= 0)
        close(fd);
    cg_reader_close(rd);
    batch_free(&pp.b[0]);
    batch_free(&pp.b[1]);
    plan_sql_free(&pp.q);
    spool_progress(sp, true);
    return rc;
}
