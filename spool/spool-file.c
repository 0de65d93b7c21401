/*
 * spool-file.c - one input file in active/: read its orders in batches, decide per document
 * what to declare, have the workers write signed messages to tmp/, commit the batch, publish
 * the files in outbox/, hand them to the transport; finally move the file to done/ or failed/.
 *
 * Decisions per order (key: seller and order number) and per document (the kinds in
 * spool-plan.c: CEB303 always; CEB403 once payment data is present and the seller's payments
 * come from the shop; CEB505 and CEB603 once shipment data is present):
 *   no document yet                      -> version 1, appType 1 (add)
 *   same content hash                    -> nothing, unless the port refused the current
 *                                           version before storing it (transport, CEB900,
 *                                           negative code) and another input file declared
 *                                           it: then declared again as below
 *   changed, state up to review/rejected -> next version, appType 2 (modify), same business key;
 *                                           appType 1 (add) when the port refused every version
 *                                           (CEB900, negative code) or the transport did
 *   changed after customs concluded it   -> the order is rejected (a cancellation is needed,
 *                                           a return once the inventory is closed)
 *   a waybill to declare whose number    -> the order is rejected: the E-Port keeps the number
 *   another order's waybill holds           for the order that added it (4002)
 * An order that is not live (docs/order-format.md, "Order status") is not declared: it is
 * counted as waiting, skipped or cancelled; when a cancelled or skipped order has documents
 * that went out (not rejected), it is recorded as needing a cancellation and reported, unless a
 * cancellation or a return was declared for it already (or its inventory is cancelled).
 * A batch is one transaction; an order whose message fails to build, validate or sign is
 * rejected as a whole (none of its documents recorded) with the reason, the rest go on. So is
 * an order whose rows are apart in the file: the reader reads the order numbers first
 * (cg_reader_open_whole) and rejects each group of its rows.
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
#include "core/text.h"
#include "spool/spool-int.h"
#include "store/store-flow.h"
#include "store/store-settle.h"

struct doc_row {
    int64_t id;
    int msg_type;
    int version;
    int state;
    char hash[65];
    char *pre_no, *invt_no;
    bool ep_stored; /* some version may be stored at the electronic port */
    bool refused;   /* the current version was refused before the port stored it */
    int64_t file;   /* the input file the current version came from */
};

/*
 * What became of an order in this file. ORDER_CANCEL and ORDER_HELD are not declared because
 * of their status; ORDER_CANCEL was declared before and needs a cancellation.
 */
enum order_outcome {
    ORDER_UNCHANGED = 0,
    ORDER_NEW,
    ORDER_MODIFIED,
    ORDER_REJECTED,
    ORDER_CANCEL,
    ORDER_HELD
};

struct border {
    struct cg_order *o;
    int64_t order_id; /* 0: new */
    bool known;
    enum order_outcome kind;
    bool copy;          /* an earlier file of this run took it: a later copy (spool.h) */
    bool departed;      /* ORDER_CANCEL: its goods have left, so it needs a return instead */
    char *reject;       /* owned */
    size_t job0, njobs; /* its jobs in the batch */
};

struct batch {
    struct cg_spool *sp;
    struct spool_seller *sel;
    int64_t file_id;
    struct border *orders;
    size_t n, cap;
    struct spool_job *jobs;
    size_t njobs;
    /* Reader rejections waiting for the batch transaction. */
    struct {
        char *order_no;
        long line;
        char *reason;
        bool counted; /* not a later group of an order rejected whole already */
    } * rej;
    size_t nrej;
    long c_new, c_mod, c_unch, c_rej;
    long r_rej;       /* added to the run's rejected count besides c_rej: once per order */
    long r_again_rej; /* rejected here after an earlier file of the run took the order */
    long c_copy_unch, c_copy_mod;        /* of c_unch and c_mod, the later copies */
    long c_held[CG_ORDER_CANCELLED + 1]; /* by status: waiting, skipped, cancelled */
    bool flying;                         /* its jobs are with the workers */
    int fd;                              /* the reader's descriptor, for the progress in bytes */
    int64_t base;                        /* bytes_done before this file */
};

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
    b->c_copy_unch = b->c_copy_mod = 0;
    b->r_rej = b->r_again_rej = 0;
    memset(b->c_held, 0, sizeof(b->c_held));
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

struct docs_ctx {
    struct doc_row *rows;
    int n, max;
};

static int doc_row_add(const struct cg_store_doc *d, void *vctx)
{
    struct docs_ctx *c = vctx;
    struct doc_row *r;

    if (c->n >= c->max)
        return CG_OK;
    r = &c->rows[c->n++];
    memset(r, 0, sizeof(*r));
    r->id = d->id;
    r->msg_type = d->msg_type;
    r->version = d->version;
    r->state = cg_doc_state_parse(d->state);
    r->ep_stored = d->ep_stored;
    r->refused = d->refused;
    r->file = d->input_file;
    cg_strlcpy(r->hash, d->content_hash, sizeof(r->hash));
    r->pre_no = cg_strdup(d->pre_no);
    r->invt_no = cg_strdup(d->invt_no);
    return CG_OK;
}

static int load_docs(struct batch *b, int64_t order_id, struct doc_row *rows, int *n,
                     struct cg_err *err)
{
    struct docs_ctx c = {rows, 0, SPOOL_KINDS_MAX};
    int rc;

    rc = cg_store_order_docs(b->sp->store, order_id, doc_row_add, &c, err);
    *n = c.n;
    return rc;
}

static struct spool_job *new_job(struct batch *b)
{
    if (b->njobs == b->cap * SPOOL_KINDS_MAX) {
        /* jobs has room for every kind per order slot. */
        return NULL;
    }
    memset(&b->jobs[b->njobs], 0, sizeof(b->jobs[0]));
    return &b->jobs[b->njobs++];
}

/* The document of a message type among the order's rows, or NULL. */
static struct doc_row *row_of(struct doc_row *rows, int n, int msg_type)
{
    int k;

    for (k = 0; k < n; k++) {
        if (rows[k].msg_type == msg_type)
            return &rows[k];
    }
    return NULL;
}

/*
 * Reject an order whose document customs has concluded: the declaration no longer changes. Goods
 * that came back need a return once the inventory is closed (the goods have left), else the
 * order a cancellation, as `cebgate cancel` says; an amount that changed alone (a price
 * adjustment, a partial refund) is not declared, and settle/ keeps the amounts recorded before.
 */
static void reject_concluded(struct batch *b, struct border *bo, const struct doc_row *cur,
                             int msg_type, int state)
{
    const struct cg_order *o = bo->o;
    char msg[2048];
    char changes[1024];

    /* What differs from the version customs concluded, read back from archive/. */
    spool_sent_changes(b->sp, b->sel, o, msg_type, cur->id, cur->version, changes, sizeof(changes));
    /* What still answers the change: a return of goods that came back once they left, else a
     * cancellation; an amount alone is never declared again. The seller and order are at the
     * start of the line, so that like rejections group together in the run's summary. */
    snprintf(msg, sizeof(msg),
             "%s:%ld: order %s: CEB%03d: " CG_SPOOL_CONCLUDED_CHANGE " '%s'; "
             "the declaration can no longer change: %s; if only an amount changed (a price "
             "adjustment, a partial refund), nothing is declared and the collection is reckoned "
             "on the amounts declared (cebgate settle explain)%s%s",
             o->source != NULL ? o->source : "?", o->line, o->order_no, msg_type,
             cg_doc_state_name(state),
             state == CG_DOC_CLOSED
                 ? "if goods came back, declare their return (cebgate return)"
                 : "if the order is not to go out as declared, declare its cancellation (cebgate "
                   "cancel)",
             changes[0] != '\0' ? "; what changed: " : "", changes);
    bo->reject = cg_strdup(msg);
    bo->kind = ORDER_REJECTED;
    b->njobs = bo->job0;
}

/*
 * Reject an order whose waybill number another order's waybill (CEB505) holds already, of the
 * same seller or another: the E-Port keeps a waybill number for the order that added it and
 * would refuse this one's add (4002). Looked at only when the waybill is about to be declared.
 */
static int reject_waybill_held(struct batch *b, struct border *bo, struct cg_err *err)
{
    const struct cg_order *o = bo->o;
    char seller[256], no[256], lno[256], hno[256], msg[1024];
    int rc;

    if (o->ship.logistics_no == NULL || o->ship.logistics_no[0] == '\0')
        return CG_OK;
    rc = cg_store_waybill_holder(b->sp->store, o->ship.logistics_code, o->ship.logistics_no,
                                 b->sel->name, o->order_no, seller, sizeof(seller), no, sizeof(no),
                                 err);
    if (rc == CG_ENOTFOUND)
        return CG_OK;
    if (rc != CG_OK)
        return rc;
    snprintf(msg, sizeof(msg),
             "%s:%ld: order %s: field logistics_no: waybill number '%s' is already declared for "
             "order %s%s%s (its CEB505); a waybill number belongs to one order: give this order "
             "its own",
             o->source != NULL ? o->source : "?", o->line, o->order_no,
             cg_text_show(o->ship.logistics_no, lno, sizeof(lno)), seller, seller[0] ? "/" : "",
             cg_text_show(no, hno, sizeof(hno)));
    bo->reject = cg_strdup(msg);
    bo->kind = ORDER_REJECTED;
    b->njobs = bo->job0;
    return CG_OK;
}

/* Add the job that declares a new version of one document (cur: its current row or NULL). */
static int add_job(struct batch *b, struct border *bo, int msg_type, const char *hash,
                   const struct doc_row *cur, struct cg_err *err)
{
    struct spool_job *j = new_job(b);

    if (j == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "too many jobs in a batch");
    j->order = bo->o;
    j->sel = b->sel;
    j->msg_type = msg_type;
    cg_strlcpy(j->content_hash, hash, sizeof(j->content_hash));
    j->version = cur != NULL ? cur->version + 1 : 1;
    /* A document every version of which the port refused was never stored there: add it. */
    j->app_type = cur != NULL && cur->ep_stored ? CG_APP_MODIFY : CG_APP_ADD;
    cg_guid_new(j->guid);
    spool_cop_no(bo->o, j->cop_no);
    if (cur != NULL) {
        j->pre_no = cg_strdup(cur->pre_no);
        j->invt_no = cg_strdup(cur->invt_no);
    }
    return CG_OK;
}

/*
 * An order not declared because of its status: held, or, when it is cancelled or skipped and
 * some of its documents went out and were not rejected, in need of a cancellation.
 */
static int plan_held(struct batch *b, struct border *bo, struct cg_err *err)
{
    struct doc_row rows[SPOOL_KINDS_MAX];
    char hash[65];
    bool live = false, answered = false;
    int nrows = 0, k;
    int rc;

    bo->kind = ORDER_HELD;
    bo->job0 = b->njobs;
    if (bo->o->status == CG_ORDER_WAIT)
        return CG_OK;
    rc = cg_store_order_find(b->sp->store, b->sel->name, bo->o->order_no, &bo->order_id, hash, err);
    if (rc == CG_ENOTFOUND)
        return CG_OK;
    if (rc != CG_OK)
        return rc;
    bo->known = true;
    rc = load_docs(b, bo->order_id, rows, &nrows, err);
    for (k = 0; k < nrows; k++) {
        if (rows[k].state != CG_DOC_REJECTED)
            live = true;
        /* a cancellation or a return declared (by the operator, the auto step, before the shop's
         * file said so or after), or the inventory cancelled, answers the need */
        if (((rows[k].msg_type == CG_MSG_INVT_CANCEL || rows[k].msg_type == CG_MSG_RETURN) &&
             rows[k].state != CG_DOC_REJECTED) ||
            (rows[k].msg_type == CG_MSG_INVENTORY && rows[k].state == CG_DOC_CANCELLED))
            answered = true;
        /* as `cebgate cancel` decides it: customs cancels no inventory whose goods have left */
        if ((rows[k].msg_type == CG_MSG_INVENTORY && rows[k].state == CG_DOC_CLOSED) ||
            ((rows[k].msg_type == CG_MSG_BILL_LIST || rows[k].msg_type == CG_MSG_DEPARTURE) &&
             rows[k].state != CG_DOC_REJECTED))
            bo->departed = true;
        free(rows[k].pre_no);
        free(rows[k].invt_no);
    }
    if (live && !answered)
        bo->kind = ORDER_CANCEL;
    if (rc == CG_OK && bo->kind == ORDER_CANCEL && !bo->departed)
        rc = cg_store_order_departing(b->sp->store, bo->order_id, &bo->departed, err);
    return rc;
}

/* Decide what an order needs, kind by kind (spool_doc_kinds); add its jobs. */
static int plan_order(struct batch *b, struct border *bo, struct cg_err *err)
{
    struct cg_spool *sp = b->sp;
    struct cg_order *o = bo->o;
    struct doc_row rows[SPOOL_KINDS_MAX];
    char hash[65];
    int64_t last_file = 0;
    int nrows = 0;
    size_t i;
    int k;
    int rc;

    if (o->status != CG_ORDER_LIVE)
        return plan_held(b, bo, err);
    rc = cg_store_order_find_last(sp->store, b->sel->name, o->order_no, &bo->order_id, hash,
                                  &last_file, err);
    if (rc == CG_OK) {
        bo->known = true;
        /* Taken by an earlier file of this run (the file itself, resumed, is not earlier). */
        bo->copy = last_file != b->file_id && spool_run_file_has(sp, last_file);
        if (strcmp(hash, o->hash) == 0) {
            bo->kind = ORDER_UNCHANGED;
            return CG_OK;
        }
    } else if (rc != CG_ENOTFOUND) {
        return rc;
    }
    rc = CG_OK;
    if (bo->known) {
        rc = load_docs(b, bo->order_id, rows, &nrows, err);
        if (rc != CG_OK)
            goto done;
    }
    bo->job0 = b->njobs;
    bo->kind = bo->known ? ORDER_UNCHANGED : ORDER_NEW;
    for (i = 0; i < spool_ndoc_kinds; i++) {
        const struct spool_doc_kind *dk = &spool_doc_kinds[i];
        char h[65];
        struct doc_row *cur;
        if (!dk->needed(o) || (dk->seller_wants != NULL && !dk->seller_wants(b->sel->seller)))
            continue;
        dk->content_hash(o, h);
        cur = row_of(rows, nrows, dk->msg_type);
        /*
         * The port has nothing of a version it refused before storing it: another file (or the
         * same dropped again) declares it again. The file that declared it, resumed, does not.
         */
        if (cur != NULL && strcmp(cur->hash, h) == 0 && !(cur->refused && cur->file != b->file_id))
            continue;
        if (cur != NULL && cur->state > CG_DOC_REVIEW && cur->state != CG_DOC_REJECTED) {
            reject_concluded(b, bo, cur, dk->msg_type, cur->state);
            goto done;
        }
        if (dk->msg_type == CG_MSG_WAYBILL) {
            rc = reject_waybill_held(b, bo, err);
            if (rc != CG_OK || bo->kind == ORDER_REJECTED)
                goto done;
        }
        rc = add_job(b, bo, dk->msg_type, h, cur, err);
        if (rc != CG_OK)
            goto done;
        if (bo->known)
            bo->kind = ORDER_MODIFIED;
    }
    bo->njobs = b->njobs - bo->job0;
done:
    for (k = 0; k < nrows; k++) {
        free(rows[k].pre_no);
        free(rows[k].invt_no);
    }
    return rc;
}

static const char *business_key(const struct spool_job *j)
{
    const struct spool_doc_kind *dk = spool_doc_kind_of(j->msg_type);

    return dk != NULL ? dk->business_key(j) : j->order->order_no;
}

/*
 * What the order declares (goods, freight, insurance), and what the buyer was charged when the
 * order file gives the payment (pay_charge: after discounts, with taxes) with what the shop
 * refunded of it (pay_refunded), kept with the order for the foreign-exchange collection
 * (settle/), which expects the charge (less the refund) when there is one. A
 * currency outside ISO 4217 gets no amount there; the declaration goes on regardless. Returns 1
 * when d was filled.
 */
static int declared_amount(int64_t oid, const struct cg_order *o, struct cg_fx_declared *d)
{
    int64_t total;
    struct cg_money m, c, r;

    if (cg_dec_add(o->goods_value, o->freight, &total) != CG_OK ||
        cg_dec_add(total, o->insured_fee, &total) != CG_OK ||
        cg_money_from_dec(total, o->currency_iso, &m) != CG_OK)
        return 0;
    d->order_id = oid;
    d->currency = o->currency_iso;
    d->amount = m.minor;
    d->pay_no = o->pay.pay_no;
    d->has_charge =
        o->has_payment && cg_money_from_dec(o->pay.charge, o->currency_iso, &c) == CG_OK;
    d->charge = d->has_charge ? c.minor : 0;
    /* What the shop refunded of the charge: the order then expects the charge less it. */
    d->refunded = d->has_charge && cg_money_from_dec(o->pay.refunded, o->currency_iso, &r) == CG_OK
                      ? r.minor
                      : 0;
    if (d->refunded > d->charge)
        d->refunded = d->charge;
    return 1;
}

struct commit_ctx {
    struct batch *b;
};

/*
 * The batch as one unit of work: orders, documents, messages, rejections, orders that need a
 * cancellation, the orders the file held, the file's counts, and the declared amounts of its orders
 * (one statement for the whole batch).
 */
static int commit_batch(struct cg_store *st, void *vctx, struct cg_err *err)
{
    struct commit_ctx *c = vctx;
    struct batch *b = c->b;
    struct cg_fx_declared *decl = calloc(b->n ? b->n : 1, sizeof(*decl));
    size_t ndecl = 0;
    size_t i, k;
    int rc = CG_OK;

    if (decl == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    for (i = 0; i < b->n && rc == CG_OK; i++) {
        struct border *bo = &b->orders[i];
        int64_t oid = 0;
        if (bo->kind == ORDER_REJECTED) {
            rc = cg_store_rejection_add(st, b->file_id, b->sel->name, bo->o->order_no, bo->o->line,
                                        bo->reject, err);
            continue;
        }
        if (bo->kind == ORDER_CANCEL || bo->kind == ORDER_HELD)
            rc = cg_store_file_order_add(st, b->file_id, b->sel->name, bo->o->order_no,
                                         (int)bo->o->status, err);
        if (rc == CG_OK && bo->kind == ORDER_CANCEL)
            rc = cg_store_cancel_add(st, bo->order_id, b->file_id, bo->o->line,
                                     bo->o->status == CG_ORDER_CANCELLED ? "cancelled" : "skipped",
                                     bo->o->status_reason, err);
        if (bo->kind == ORDER_CANCEL || bo->kind == ORDER_HELD)
            continue;
        rc = cg_store_file_order_add(st, b->file_id, b->sel->name, bo->o->order_no, 0, err);
        if (rc == CG_OK)
            rc = cg_store_order_put(st, b->sel->name, bo->o->order_no, bo->o->hash, b->file_id,
                                    bo->o->line, &oid, err);
        if (rc == CG_OK)
            ndecl += (size_t)declared_amount(oid, bo->o, &decl[ndecl]);
        for (k = bo->job0; rc == CG_OK && k < bo->job0 + bo->njobs; k++) {
            struct spool_job *j = &b->jobs[k];
            int64_t did = 0;
            rc = cg_store_doc_put(
                st, oid, j->msg_type, business_key(j), j->version, j->guid, j->app_type,
                j->content_hash, j->msg_type == CG_MSG_WAYBILL ? bo->o->ship.logistics_code : NULL,
                j->msg_type == CG_MSG_INVENTORY ? b->sel->seller->statistics_flag : NULL, &did,
                err);
            if (rc == CG_OK)
                rc = cg_store_msg_add(st, did, j->version, j->guid, j->msg_type, j->app_type,
                                      j->name, j->sha256, (int64_t)j->size, b->file_id, err);
        }
    }
    for (i = 0; i < b->nrej && rc == CG_OK; i++)
        rc = cg_store_rejection_add(st, b->file_id, b->sel->name, b->rej[i].order_no,
                                    b->rej[i].line, b->rej[i].reason, err);
    if (rc == CG_OK)
        rc = cg_store_file_count(st, b->file_id, b->c_new, b->c_mod, b->c_unch, b->c_rej, err);
    if (rc == CG_OK && (b->c_held[CG_ORDER_WAIT] != 0 || b->c_held[CG_ORDER_SKIP] != 0 ||
                        b->c_held[CG_ORDER_CANCELLED] != 0))
        rc = cg_store_file_count_held(st, b->file_id, b->c_held[CG_ORDER_WAIT],
                                      b->c_held[CG_ORDER_SKIP], b->c_held[CG_ORDER_CANCELLED], err);
    if (rc == CG_OK)
        rc = cg_store_fx_declared_put(st, decl, ndecl, err);
    free(decl);
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
        guids[n] = j->guid;
        names[n] = j->name;
        n++;
    }
    rc = spool_hand_over(sp, names, n, err);
    if (rc == CG_OK)
        rc = cg_fs_fsync_dir_at(sp->dfd[D_TMP], err);
    if (rc != CG_OK)
        goto done;
    sp->st.msgs_queued += (long)n;
    rc = spool_submit_handed(sp, guids, names, n, err);
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

/* In a job's error "CEB603 building: order 1001: element POD: ...", what follows the step
 * ("building: " or "schema: ") near its start; NULL when it has none. */
static const char *job_error_rest(const char *e)
{
    static const char *const steps[] = {"building: ", "schema: "};
    size_t i;

    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        const char *p = strstr(e, steps[i]);

        if (p != NULL && p - e <= 8)
            return p + strlen(steps[i]);
    }
    return NULL;
}

/* A job's error into out, without the order number the rejection line names already. A
 * setting missing from the configuration comes with every other one the order's messages lack. */
static void job_error(const struct cg_spool *sp, const struct spool_job *j, char *out, size_t size)
{
    const char *e = j->error != NULL ? j->error : "failed";
    const char *rest = job_error_rest(e);
    const char *hint;
    char all[512];

    if (rest == NULL) {
        snprintf(out, size, "%s", e);
        return;
    }
    hint = cg_msg_config_hint(rest);
    if (hint == NULL || cg_config_missing(j->order, j->sel->seller, &sp->bt, sp->schema_version,
                                          all, sizeof(all)) < 2)
        all[0] = '\0';
    snprintf(out, size, "%.*s%s%s%s%s%s", (int)(rest - e), e,
             cg_msg_without_order(rest, j->order->order_no), hint != NULL ? ": set " : "",
             hint != NULL ? hint : "", all[0] != '\0' ? "; missing settings: " : "", all);
}

/* Whether j failed for a setting only the configuration gives (cg_msg_config_only). */
static bool job_config_only(const struct spool_job *j)
{
    const char *rest = job_error_rest(j->error);

    return rest != NULL && cg_msg_config_only(rest);
}

/*
 * What the other files of this run did with an order (docs/spool.md, "Operator view"): an order
 * counts once in the run's summary, however many of its files held it.
 */
struct run_seen {
    const struct cg_spool *sp;
    int64_t self;
    bool taken, rejected;
    int held;          /* the status of its first hold in the run, 0: none */
    int64_t held_file; /* the file of that hold */
};

static int run_seen_row(int64_t file, int what, int held_status, void *vctx)
{
    struct run_seen *r = vctx;

    if (file == r->self || !spool_run_file_has(r->sp, file))
        return CG_OK;
    if (what == 0)
        r->taken = true;
    else if (what == 2)
        r->rejected = true;
    else if (r->held_file == 0 || file < r->held_file) {
        r->held_file = file;
        r->held = held_status;
    }
    return CG_OK;
}

/* Look up what the other files of this run did with order_no; nothing when this is its only file.
 */
static int run_seen(struct batch *b, const char *order_no, struct run_seen *r, struct cg_err *err)
{
    memset(r, 0, sizeof(*r));
    r->sp = b->sp;
    r->self = b->file_id;
    if (b->sp->nrun_files < 2 || order_no == NULL || order_no[0] == '\0')
        return CG_OK;
    return cg_store_order_files(b->sp->store, b->sel->name, order_no, run_seen_row, r, err);
}

/* The run counted an order as held for status (its first hold); a file since rejected or took it.
 */
static void run_held_moved(struct cg_spool *sp, int status)
{
    if (status == CG_ORDER_WAIT)
        sp->st.orders_waiting--;
    else if (status == CG_ORDER_SKIP)
        sp->st.orders_skipped--;
    else if (status == CG_ORDER_CANCELLED)
        sp->st.orders_cancelled--;
}

/*
 * An order this file rejected, in the run's counts: rejected once, unless an earlier file of the
 * run took it (it stays counted as taken, this rejection a later copy's) or rejected it already;
 * one held before counts as rejected from now on.
 */
static int run_count_rejected(struct batch *b, const char *order_no, struct cg_err *err)
{
    struct run_seen r;
    int rc = run_seen(b, order_no, &r, err);

    if (rc != CG_OK)
        return rc;
    if (r.taken) {
        b->r_rej--;
        b->r_again_rej++;
    } else if (r.rejected) {
        b->r_rej--;
    } else if (r.held != 0) {
        run_held_moved(b->sp, r.held);
    }
    return CG_OK;
}

/*
 * An order this file took and no earlier file of the run took: counted as taken, and out of the
 * count of rejected or held orders it was in when an earlier file of the run rejected or held it
 * (it has nothing left to fix). Looked up only once the run rejected or held an order.
 */
static int run_count_taken(struct batch *b, const char *order_no, struct cg_err *err)
{
    struct run_seen r;
    int rc;

    if (!b->sp->run_aside)
        return CG_OK;
    rc = run_seen(b, order_no, &r, err);
    if (rc != CG_OK)
        return rc;
    if (r.rejected)
        b->r_rej--;
    else if (r.held != 0)
        run_held_moved(b->sp, r.held);
    return CG_OK;
}

/*
 * An order this file held for its status: counted once, unless an earlier file of the run took,
 * rejected or held it. The lines of reasons group each file's holds as printed.
 */
static int run_count_held(struct batch *b, const struct cg_order *o, struct cg_err *err)
{
    struct run_seen r;
    int rc = run_seen(b, o->order_no, &r, err);

    if (rc != CG_OK)
        return rc;
    spool_held_add(&b->sp->st, o);
    if (r.taken || r.rejected || r.held != 0)
        run_held_moved(b->sp, (int)o->status);
    return CG_OK;
}

/* Every message of a batch is in tmp/ before the batch is committed: a full disk there says
 * that the batch, not one message, did not fit. */
#define NO_SPACE_HINT                                                                              \
    "; all of a batch's messages are written to tmp/ before its commit: free space there or run "  \
    "with a smaller --batch"

/* The batch's jobs are done: reject the orders whose messages failed, commit, publish. */
static int finish(struct batch *b, struct cg_err *err)
{
    struct cg_spool *sp = b->sp;
    struct commit_ctx c;
    long nsigned = 0;
    size_t i, k;
    int rc;

    land(b);
    if (b->n == 0 && b->nrej == 0)
        return CG_OK;
    /*
     * A message that failed for a temporary reason (a full disk, the remote signer unreachable)
     * says nothing about its order: the whole batch is dropped uncommitted and the file stays
     * in active/, so the next run declares these orders once.
     */
    for (k = 0; k < b->njobs; k++) {
        if (b->jobs[k].rc != CG_OK && cg_rc_temporary(b->jobs[k].rc)) {
            rc = CG_ERR_SET(err, b->jobs[k].rc, "%s: %s (nothing of this batch was recorded%s)",
                            b->jobs[k].order->order_no,
                            b->jobs[k].error != NULL ? b->jobs[k].error : "temporary failure",
                            b->jobs[k].no_space ? NO_SPACE_HINT : "");
            job_files_remove(b, 0, b->njobs);
            batch_clear(b);
            return rc;
        }
    }
    /*
     * A setting only the configuration gives (a code or name of [declare] or the seller's
     * section) is not the order's fault: the batch is dropped as for a temporary failure, the
     * file stays in active/ and the seller's other files wait, until the configuration has it.
     */
    for (k = 0; k < b->njobs; k++) {
        struct spool_job *j = &b->jobs[k];

        if (j->rc != CG_OK && j->order != NULL && j->error != NULL && job_config_only(j)) {
            char why[1536];

            job_error(sp, j, why, sizeof(why));
            rc = CG_ERR_SET(err, CG_ECONFIG, "%s:%ld: order %s: %s",
                            j->order->source != NULL ? j->order->source : "?", j->order->line,
                            j->order->order_no, why);
            if (b->sel->config_hold == NULL)
                b->sel->config_hold = cg_strdup(err->msg);
            job_files_remove(b, 0, b->njobs);
            batch_clear(b);
            return rc;
        }
    }
    rc = CG_OK;
    for (i = 0; i < b->n && rc == CG_OK; i++) {
        struct border *bo = &b->orders[i];
        for (k = bo->job0; bo->kind != ORDER_REJECTED && k < bo->job0 + bo->njobs; k++) {
            if (b->jobs[k].rc != CG_OK) {
                char msg[2048];
                char why[1536];
                job_error(sp, &b->jobs[k], why, sizeof(why));
                snprintf(msg, sizeof(msg), "%s:%ld: order %s: %s",
                         bo->o->source != NULL ? bo->o->source : "?", bo->o->line, bo->o->order_no,
                         why);
                bo->reject = cg_strdup(msg);
                bo->kind = ORDER_REJECTED;
            }
        }
        if (bo->kind == ORDER_REJECTED) {
            job_files_remove(b, bo->job0, bo->job0 + bo->njobs);
            spool_event(sp, CG_SPOOL_EV_ORDER, "%s",
                        bo->reject != NULL ? bo->reject : "order rejected");
            spool_reason_add(&sp->st, bo->reject != NULL ? bo->reject : "rejected");
            b->c_rej++;
            rc = run_count_rejected(b, bo->o->order_no, err);
        } else if (bo->kind == ORDER_CANCEL || bo->kind == ORDER_HELD) {
            /* the file's name and the shop's reason are the seller's text: shown escaped */
            char src[512], why[512];

            rc = run_count_held(b, bo->o, err);
            b->c_held[bo->o->status]++;
            if (bo->kind == ORDER_CANCEL) {
                cg_text_show(bo->o->source != NULL ? bo->o->source : "?", src, sizeof(src));
                cg_text_show(bo->o->status_reason != NULL ? bo->o->status_reason : "", why,
                             sizeof(why));
            }
            if (bo->kind == ORDER_CANCEL && bo->departed) {
                sp->st.orders_return_needed++;
                spool_event(sp, CG_SPOOL_EV_ORDER,
                            "%s:%ld: order %s: %s (%s) after its goods left the country: it "
                            "needs a return (cebgate return %s%s%s)",
                            src, bo->o->line, bo->o->order_no, cg_order_status_name(bo->o->status),
                            why, b->sel->name, b->sel->name[0] ? "/" : "", bo->o->order_no);
            } else if (bo->kind == ORDER_CANCEL) {
                sp->st.orders_cancel_needed++;
                spool_event(sp, CG_SPOOL_EV_ORDER,
                            "%s:%ld: order %s: %s (%s) after its documents were sent: it needs "
                            "a cancellation (cebgate status --cancel)",
                            src, bo->o->line, bo->o->order_no, cg_order_status_name(bo->o->status),
                            why);
            }
        } else if (bo->kind == ORDER_UNCHANGED) {
            b->c_unch++;
            b->c_copy_unch += bo->copy;
        } else if (bo->kind == ORDER_NEW) {
            b->c_new++;
        } else {
            b->c_mod++;
            b->c_copy_mod += bo->copy;
        }
        if (bo->kind < ORDER_REJECTED)
            nsigned += (long)bo->njobs;
        if (bo->kind < ORDER_REJECTED && !bo->copy && rc == CG_OK)
            rc = run_count_taken(b, bo->o->order_no, err);
    }
    /* the reader's rejections, each order once (a later group of rows is not counted) */
    for (i = 0; i < b->nrej && rc == CG_OK; i++) {
        if (b->rej[i].counted)
            rc = run_count_rejected(b, b->rej[i].order_no, err);
    }
    if (rc != CG_OK) {
        job_files_remove(b, 0, b->njobs);
        batch_clear(b);
        return rc;
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
        return CG_ERR_SET(err, CG_EIO, "syncfs: %s (nothing of this batch was recorded)",
                          strerror(errno));
    }
    c.b = b;
    rc = cg_store_tx(sp->store, commit_batch, &c, err);
    if (rc != CG_OK) {
        char why[CG_ERR_MSG_MAX];

        job_files_remove(b, 0, b->njobs);
        cg_strlcpy(why, err->msg, sizeof(why));
        return CG_ERR_SET(err, rc, "%s (nothing of this batch was recorded)", why);
    }
    /* Counted once recorded: a batch rolled back signed nothing that counts. */
    sp->st.msgs_signed += nsigned;
    /* The file's own counts hold its copies; the run counts each order once. */
    sp->st.orders_new += b->c_new;
    sp->st.orders_modified += b->c_mod - b->c_copy_mod;
    sp->st.orders_unchanged += b->c_unch - b->c_copy_unch;
    sp->st.orders_again_modified += b->c_copy_mod;
    sp->st.orders_again_unchanged += b->c_copy_unch;
    sp->st.orders_rejected += b->c_rej + b->r_rej;
    sp->st.orders_again_rejected += b->r_again_rej;
    sp->st.rejections += b->c_rej;
    if (b->c_rej > 0 || b->c_held[CG_ORDER_WAIT] > 0 || b->c_held[CG_ORDER_SKIP] > 0 ||
        b->c_held[CG_ORDER_CANCELLED] > 0)
        sp->run_aside = true;
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
    /* The batch before it was not committed (a temporary failure, a configuration to fix): the
     * messages this one's workers wrote were not either. */
    if (rc != CG_OK)
        job_files_remove(p->fill, 0, p->fill->njobs);
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

/* Whether another order of the batch has o's waybill number (a waybill not in the store yet). */
static bool has_waybill(const struct batch *b, const struct cg_order *o)
{
    const char *no = o->has_shipment ? o->ship.logistics_no : NULL;
    size_t i;

    for (i = 0; no != NULL && b != NULL && i < b->n; i++) {
        const struct cg_order *x = b->orders[i].o;
        if (x->has_shipment && x->ship.logistics_no != NULL &&
            strcmp(x->ship.logistics_no, no) == 0 && strcmp(x->order_no, o->order_no) != 0)
            return true;
    }
    return false;
}

static int batch_add(struct pipe *p, struct cg_order *o, struct cg_err *err)
{
    struct batch *b;
    struct border *bo;
    int rc = CG_OK;

    /* The same order again before the first is committed: it must see the first's rows. So
     * must an order with the waybill number of another one, to be refused if that one holds it. */
    if (has_order(p->fill, o->order_no) || has_order(p->fly, o->order_no) ||
        has_waybill(p->fill, o) || has_waybill(p->fly, o))
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

/* again: a later group of rows of an order rejected whole already in this file, recorded but
 * not counted as another rejected order. */
static int add_reader_reject(struct batch *b, const char *msg, bool again)
{
    const char *p = strstr(msg, ": order ");
    char no[64] = "";
    long line = 0;
    const char *c;

    if (p != NULL) {
        const char *q = p + 8;
        size_t k = strcspn(q, ":");
        /* "?" stands for an empty order number (cg_reader_next): stored as none, so that each
         * such line is a rejection of its own and never one order with another file's. */
        if (k < sizeof(no) && !(k == 1 && *q == '?')) {
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
    b->rej[b->nrej].counted = !again;
    b->nrej++;
    if (!again)
        b->c_rej++;
    return CG_OK;
}

/* ------------------------------------------------------------------ the file */

/*
 * Find or make the file's row: *resumed when the same file (same inode) was taken before; dup
 * is set to its outcome when it had finished, or to "same content as ..." for a new copy of a
 * file done without rejected orders (recorded as a duplicate). A copy of a file some of whose
 * orders were rejected, or some of whose documents the port refused before storing them, is
 * read again: declared orders are unchanged, the others get another chance.
 */
static int file_row(struct cg_spool *sp, const char *seller, const char *name,
                    const char *active_name, const struct stat *stt, const char *sha, bool fresh,
                    int64_t *id, bool *resumed, char *dup, size_t dupsz, struct cg_err *err)
{
    char outcome[16];
    int rc = CG_ENOTFOUND;

    *id = 0;
    *resumed = false;
    dup[0] = '\0';
    /*
     * The same file (same inode) resumed after a crash or a stop. Only a file found in active/
     * can be that: one just taken from incoming/ is new input even when it is the same file
     * moved back from failed/ or done/ (an operator retrying it). So is one found in active/
     * whose row finished before the file last changed: put back and moved into active/ since,
     * then a crash came before its new row was written.
     */
    if (!fresh)
        rc = cg_store_file_resumable(sp->store, seller, active_name, sha, (int64_t)stt->st_ino,
                                     &stt->st_ctim, id, outcome, sizeof(outcome), err);
    if (rc == CG_OK) {
        *resumed = true;
        /* Finished, but a crash came before the move: the move is all that is left. */
        if (strcmp(outcome, "active") != 0)
            snprintf(dup, dupsz, "%s", outcome);
        return CG_OK;
    }
    if (rc != CG_ENOTFOUND)
        return rc;
    rc = cg_store_file_same_content(sp->store, seller, sha, dup, dupsz, err);
    if (rc != CG_OK && rc != CG_ENOTFOUND)
        return rc;
    if (rc == CG_ENOTFOUND)
        dup[0] = '\0';
    return cg_store_file_add(sp->store, seller, name, active_name, (int64_t)stt->st_size, sha,
                             (int64_t)stt->st_ino, dup[0] != '\0' ? "duplicate" : "active",
                             dup[0] != '\0' ? dup : NULL, id, err);
}

/*
 * Move active/<sub>/name to done/<sub>/ or failed/<sub>/ (with the reason next to it). The
 * database row is updated first: a crash in between leaves the file in active/ with a finished
 * row of the same name, content and inode, and the next run only moves it.
 */
int spool_file_out(struct cg_spool *sp, struct spool_seller *sel, int subfd, const char *name,
                   int64_t id, const char *outcome, const char *reason, struct cg_err *err)
{
    bool failed = strcmp(outcome, "failed") == 0;
    char used[CG_FS_NAME_MAX + 16];
    int tofd;
    int rc;

    /* A file refused before it was read still gets a row, for cebgate status FILE. */
    if (id == 0)
        rc = cg_store_file_add(sp->store, sel != NULL ? sel->name : "", name, name, 0, "", 0,
                               "failed", reason, NULL, err);
    else
        rc = cg_store_file_finish(sp->store, id, outcome, reason, err);
    if (rc != CG_OK)
        return rc;
    tofd = spool_subdir(sp, failed ? D_FAILED : D_DONE, sel != NULL ? sel->name : "", err);
    if (tofd < 0)
        return tofd;
    rc = spool_move_unique(subfd, name, tofd, used, sizeof(used), err);
    if (rc == CG_OK && reason != NULL && (failed || strcmp(outcome, "duplicate") == 0))
        rc = spool_write_reason(sp, tofd, used, reason, err);
    if (rc == CG_OK && !failed)
        spool_drop_stale_reason(sp, sel != NULL ? sel->name : "", name);
    close(tofd);
    if (failed)
        sp->st.files_failed++;
    else if (strcmp(outcome, "duplicate") == 0)
        sp->st.files_duplicate++;
    else
        sp->st.files_done++;
    return rc;
}

/* Add one rejection reason to the file's reason (8192 bytes). */
static int reason_append(long line, const char *order_no, const char *text, void *vctx)
{
    char *reason = vctx;
    size_t l = strlen(reason);

    (void)line;
    (void)order_no;
    snprintf(reason + l, 8192 - l, "\n  %s", text);
    return CG_OK;
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

/* One input file on its way through spool_process_file. */
struct infile {
    struct cg_spool *sp;
    struct spool_seller *sel;
    int subfd;
    const char *name;
    char display[2 * CG_FS_NAME_MAX + 8];
    char reason[8192]; /* set when the file is refused for its own content */
    char sha[65];
    char dup[512]; /* outcome of a finished earlier take, or "same content as ..." */
    struct stat stt;
    int64_t size, t0, id;
    bool fresh; /* just taken from incoming/, not found in active/ by a resume */
    bool resumed;
    int fd;
    struct cg_reader *rd;
};

/*
 * Open the file and take its size and SHA-256. A file refused for what it is gets a reason;
 * running out of descriptors or memory, or a read error, is temporary (the file stays).
 */
static int infile_open(struct infile *f, struct cg_err *err)
{
    long max = cg_conf_get_int(f->sp->conf, "spool", "max_file_size");
    struct cg_err e;

    cg_err_clear(&e);
    f->fd = openat(f->subfd, f->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (f->fd < 0 && cg_rc_of_open_errno(errno, CG_OK) != CG_OK)
        return CG_ERR_SET(err, CG_EIO, "%s: cannot open: %s", f->display, strerror(errno));
    if (f->fd < 0)
        snprintf(f->reason, sizeof(f->reason), "%s: %s", f->display,
                 errno == ELOOP ? "is a symbolic link (never followed)" : strerror(errno));
    else if (fstat(f->fd, &f->stt) != 0 || !S_ISREG(f->stt.st_mode))
        snprintf(f->reason, sizeof(f->reason), "%s: not a regular file", f->display);
    else if (f->stt.st_size == 0)
        snprintf(f->reason, sizeof(f->reason), "%s: empty file (0 bytes)", f->display);
    else if (max > 0 && f->stt.st_size > max)
        snprintf(f->reason, sizeof(f->reason), "%s: %lld bytes is over [spool] max_file_size %ld",
                 f->display, (long long)f->stt.st_size, max);
    else if (sha_fd(f->fd, f->sha, &f->size, &e) != CG_OK)
        return CG_ERR_SET(err, e.code, "%s: %s", f->display, e.msg);
    return CG_OK;
}

/* The same file finished before a restart: only the move out of active/ was missing. */
static int infile_move_finished(struct infile *f, struct cg_err *err)
{
    char outcome[16];
    int tofd;
    int rc;

    cg_strlcpy(outcome, f->dup, sizeof(outcome));
    tofd =
        spool_subdir(f->sp, strcmp(outcome, "failed") == 0 ? D_FAILED : D_DONE, f->sel->name, err);
    if (tofd < 0)
        return tofd;
    rc = spool_move_unique(f->subfd, f->name, tofd, NULL, 0, err);
    close(tofd);
    if (rc == CG_OK && strcmp(outcome, "failed") != 0)
        spool_drop_stale_reason(f->sp, f->sel->name, f->name);
    if (strcmp(outcome, "failed") == 0)
        f->sp->st.files_failed++;
    else
        f->sp->st.files_done++;
    spool_event(f->sp, CG_SPOOL_EV_FILE, "%s %s: finished before a restart; moved out of active/",
                outcome, f->display);
    return rc;
}

/* Two batches of orders, each with room for a full batch and its jobs. */
static int pipe_init(struct pipe *pp, struct infile *f, struct cg_err *err)
{
    int k;

    for (k = 0; k < 2; k++) {
        struct batch *b = &pp->b[k];
        b->fd = f->fd;
        b->base = f->sp->st.bytes_done;
        b->sp = f->sp;
        b->sel = f->sel;
        b->file_id = f->id;
        b->cap = (size_t)f->sp->opts.batch;
        b->orders = calloc(b->cap, sizeof(*b->orders));
        b->jobs = calloc(b->cap * SPOOL_KINDS_MAX, sizeof(*b->jobs));
        if (b->orders == NULL || b->jobs == NULL)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    return CG_OK;
}

/*
 * The file was refused before its first order: when another module takes files like it from
 * incoming/ itself (an invoice or result file, a statement), the reason says to drop it there.
 */
static void infile_other_kind(struct infile *f)
{
    char head[4096];
    const char *kind, *note;
    long n = 0, bad = 0;
    ssize_t got;
    int fd;

    cg_reader_counts(f->rd, &n, &bad);
    if (n != 0 || bad != 0)
        return;
    note =
        f->sp->opts.refused_note != NULL ? f->sp->opts.refused_note(f->sp->opts.intake_ctx) : NULL;
    if (note != NULL) {
        size_t used = strlen(f->reason);
        snprintf(f->reason + used, sizeof(f->reason) - used, "; %s", note);
    }
    if (f->sp->opts.file_kind == NULL || f->sel->name[0] == '\0')
        return;
    fd = openat(f->subfd, f->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return;
    got = pread(fd, head, sizeof(head), 0);
    close(fd);
    if (got <= 0)
        return;
    kind = f->sp->opts.file_kind(head, (size_t)got);
    if (kind != NULL)
        snprintf(f->reason, sizeof(f->reason),
                 "%s: this is %s, not an order file: drop it in incoming/, not incoming/%s/",
                 f->display, kind, f->sel->name);
}

/*
 * Read every order and declare them batch by batch. A rejected order is recorded and the rest
 * goes on; a file that cannot be read on gets a reason (what was committed before stays).
 */
static int infile_read(struct infile *f, struct pipe *pp, struct cg_err *err)
{
    struct cg_spool *sp = f->sp;
    struct cg_err e;
    int rc;
    int rrc;

    cg_err_clear(&e);
    rc = pipe_init(pp, f, err);
    if (rc == CG_OK)
        rc = spool_run_file_add(sp, f->id, err);
    if (rc != CG_OK)
        return rc;
    /* An order whose rows are apart is rejected whole: none of it is declared. */
    rc = cg_reader_open_whole(f->sel->map, f->fd, f->display, &f->rd, &e);
    f->fd = -1; /* the reader owns it now, also on failure */
    if (rc != CG_OK && cg_rc_temporary(rc))
        return CG_ERR_SET(err, rc, "%s", e.msg[0] ? e.msg : cg_strerror(rc));
    if (rc != CG_OK) {
        snprintf(f->reason, sizeof(f->reason), "%s", e.msg[0] ? e.msg : cg_strerror(e.code));
        return CG_OK;
    }
    for (;;) {
        struct cg_order *o = NULL;
        if (sp->opts.stop != NULL && *sp->opts.stop)
            break;
        cg_err_clear(&e);
        rrc = cg_reader_next(f->rd, &o, &e);
        if (rrc == CG_ENOTFOUND)
            break;
        if (cg_rc_temporary(rrc)) {
            /* A read error, not the file's content: what was committed stays, the rest waits. */
            rc = drain(pp, err);
            return rc != CG_OK ? rc
                               : CG_ERR_SET(err, rrc, "%s", e.msg[0] ? e.msg : cg_strerror(rrc));
        }
        if (rrc != CG_OK && rrc != CG_EREJECT) {
            snprintf(f->reason, sizeof(f->reason), "%s", e.msg[0] ? e.msg : cg_strerror(rrc));
            infile_other_kind(f);
            break;
        }
        /* A later group of an order rejected whole is printed and recorded, and counted with
         * the order once. */
        if (rrc != CG_EREJECT || !cg_reader_again(f->rd))
            sp->st.orders_read++;
        if (rrc == CG_EREJECT) {
            spool_event(sp, CG_SPOOL_EV_ORDER, "%s", e.msg);
            if (!cg_reader_again(f->rd))
                spool_reason_add(&sp->st, e.msg);
            if (add_reader_reject(pp->fill, e.msg, cg_reader_again(f->rd)) != CG_OK)
                return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            continue;
        }
        rc = batch_add(pp, o, err);
        if (rc != CG_OK)
            return rc;
    }
    rc = drain(pp, err);
    if (rc == CG_OK)
        sp->st.bytes_done = pp->b[0].base + f->size;
    return rc;
}

/*
 * The file in active/ has a new modification time but its size and inode are those of intake
 * (touched, copied over with the same bytes): CG_OK when its SHA-256 is still the one taken at
 * intake, so the orders read are the file's; CG_ENOTFOUND when the bytes differ. A failed read
 * is temporary.
 */
static int infile_same_bytes(struct infile *f, struct cg_err *err)
{
    char sha[65];
    int64_t size = 0;
    struct cg_err e;
    int fd, rc;

    cg_err_clear(&e);
    fd = openat(f->subfd, f->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && cg_rc_of_open_errno(errno, CG_OK) != CG_OK)
        return CG_ERR_SET(err, CG_EIO, "%s: cannot open: %s", f->display, strerror(errno));
    if (fd < 0)
        return CG_ENOTFOUND; /* gone or replaced: not the file read */
    rc = sha_fd(fd, sha, &size, &e);
    close(fd);
    if (rc != CG_OK)
        return CG_ERR_SET(err, e.code, "%s: %s", f->display, e.msg);
    if (size != f->size || strcmp(sha, f->sha) != 0)
        return CG_ENOTFOUND;
    cg_info("%s: touched while it was read, same bytes as when taken", f->display);
    return CG_OK;
}

/*
 * The file in active/ is not the one whose size and SHA-256 were taken at intake (written in
 * place instead of as NAME.part and renamed, and still growing): its row is closed as failed
 * with the reason, the file stays in active/ and is taken again, as a new file, by the next run
 * (orders declared so far count as unchanged there). CG_ERETRY: run again.
 */
static int infile_changed(struct infile *f, struct cg_err *err)
{
    struct stat now;
    char why[1024];
    int rc;

    bool same = fstatat(f->subfd, f->name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
                now.st_ino == f->stt.st_ino && now.st_size == f->stt.st_size;

    if (same && now.st_mtim.tv_sec == f->stt.st_mtim.tv_sec &&
        now.st_mtim.tv_nsec == f->stt.st_mtim.tv_nsec)
        return CG_OK;
    if (same && (rc = infile_same_bytes(f, err)) != CG_ENOTFOUND)
        return rc; /* touched, not changed: CG_OK; or temporary */
    snprintf(why, sizeof(why),
             "%s: changed while it was read (%lld bytes when taken, %lld now): it is read again "
             "on the next run; write files as NAME.part and rename them when complete",
             f->display, (long long)f->stt.st_size, (long long)now.st_size);
    cg_warn("%s", why);
    rc = cg_store_file_finish(f->sp->store, f->id, "failed", why, err);
    return rc != CG_OK ? rc : CG_ERR_SET(err, CG_ERETRY, "%s", why);
}

/*
 * Everything read and committed: the file is done when some order was taken or held for its
 * status, else failed with the reason. The counts come from the database; a failed read of
 * them is an error of this run, never "no orders in the file".
 */
static int infile_conclude(struct infile *f, struct cg_err *err)
{
    long nrej = 0, nok = 0, nwait = 0, nskip = 0, ncancel = 0, held;
    char extra[160] = "";
    size_t l;
    int rc;

    rc = cg_store_file_counts(f->sp->store, f->id, &nok, &nrej, err);
    if (rc == CG_OK)
        rc = cg_store_file_held(f->sp->store, f->id, &nwait, &nskip, &ncancel, err);
    if (rc == CG_OK)
        rc = infile_changed(f, err);
    if (rc != CG_OK)
        return rc;
    if (f->reason[0] != '\0') {
        l = strlen(f->reason);
        if (nok > 0)
            snprintf(f->reason + l, sizeof(f->reason) - l,
                     nok == 1 ? " (the order before this point was taken)"
                              : " (the %ld orders before this point were taken)",
                     nok);
        return CG_OK;
    }
    held = nwait + nskip + ncancel;
    if (nok == 0 && nrej == 0 && held == 0) {
        snprintf(f->reason, sizeof(f->reason), "%s: no orders in the file", f->display);
        return CG_OK;
    }
    if (nok == 0 && held == 0) {
        if (nrej == 1)
            snprintf(f->reason, sizeof(f->reason), "%s: its only order rejected", f->display);
        else
            snprintf(f->reason, sizeof(f->reason), "%s: all %ld orders rejected", f->display, nrej);
        return cg_store_file_rejections(f->sp->store, f->id, 20, reason_append, f->reason, err);
    }
    cg_reader_close(f->rd);
    f->rd = NULL;
    rc = spool_file_out(f->sp, f->sel, f->subfd, f->name, f->id, "done", NULL, err);
    if (held > 0)
        snprintf(extra, sizeof(extra), ", %ld waiting, %ld skipped, %ld cancelled", nwait, nskip,
                 ncancel);
    spool_event(f->sp, CG_SPOOL_EV_FILE, "done %s: %ld order%s taken, %ld rejected%s, %.1fs",
                f->display, nok, nok == 1 ? "" : "s", nrej, extra,
                (double)(spool_now_ms() - f->t0) / 1000.0);
    return rc;
}

/* Move a file refused for its own content to failed/ with its reason. */
static int infile_fail(struct infile *f, struct cg_err *err)
{
    const char *nl;
    int rc;

    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
    cg_reader_close(f->rd);
    f->rd = NULL;
    rc = spool_file_out(f->sp, f->sel, f->subfd, f->name, f->id, "failed", f->reason, err);
    /* The orders' reasons were printed one by one already: only the first line here. */
    nl = strchr(f->reason, '\n');
    spool_event(f->sp, CG_SPOOL_EV_FILE, "failed %.*s%s", (int)strcspn(f->reason, "\n"), f->reason,
                nl == NULL             ? ""
                : strchr(nl + 1, '\n') ? " (each listed above)"
                                       : " (listed above)");
    return rc;
}

/*
 * A forwarder's manifest instead of orders (recognised by its header line,
 * docs/manifest-format.md): recorded all or nothing, then moved to done/ or failed/.
 * CG_ENOTFOUND when the file is not a manifest.
 */
static int infile_manifest(struct infile *f, struct cg_err *err)
{
    char head[4096];
    ssize_t n = pread(f->fd, head, sizeof(head) - 1, 0);
    int fd;
    int rc;

    if (n <= 0)
        return CG_ENOTFOUND;
    head[n] = '\0';
    head[strcspn(head, "\r\n")] = '\0';
    if (!spool_is_manifest(head))
        return CG_ENOTFOUND;
    if (lseek(f->fd, 0, SEEK_SET) != 0)
        return CG_ERR_SET(err, CG_EIO, "%s: seek: %s", f->display, strerror(errno));
    fd = f->fd;
    f->fd = -1;
    rc = spool_manifest_file(f->sp, f->sel->name, fd, f->display, f->id, f->reason,
                             sizeof(f->reason), err);
    if (rc != CG_OK)
        return rc;
    if (f->reason[0] != '\0')
        return infile_fail(f, err);
    return spool_file_out(f->sp, f->sel, f->subfd, f->name, f->id, "done", NULL, err);
}

/* Take, read and declare one file, then move it to done/ or failed/ (or leave it, stopped). */
static int infile_process(struct infile *f, struct pipe *pp, struct cg_err *err)
{
    struct cg_spool *sp = f->sp;
    int rc;

    rc = infile_open(f, err);
    if (rc != CG_OK)
        return rc;
    if (f->reason[0] != '\0')
        return infile_fail(f, err);
    rc = file_row(sp, f->sel->name, f->name, f->name, &f->stt, f->sha, f->fresh, &f->id,
                  &f->resumed, f->dup, sizeof(f->dup), err);
    if (rc != CG_OK)
        return rc;
    if (f->dup[0] != '\0') {
        close(f->fd);
        f->fd = -1;
        if (f->resumed)
            return infile_move_finished(f, err);
        sp->st.bytes_done += f->size;
        rc = spool_file_out(sp, f->sel, f->subfd, f->name, f->id, "duplicate", f->dup, err);
        spool_event(sp, CG_SPOOL_EV_FILE, "duplicate %s: %s; nothing declared", f->display, f->dup);
        return rc;
    }
    if (f->sel->problem != NULL) /* the caller leaves such a seller's files (seller_waits) */
        return CG_ERR_SET(err, CG_ECONFIG, "%s: %s", f->display, f->sel->problem);
    if (f->resumed) {
        /* The file is read again from the start: count it again from zero. */
        cg_info("%s: resuming (already declared orders count as unchanged)", f->display);
        rc = cg_store_file_reset_counts(sp->store, f->id, err);
        if (rc != CG_OK)
            return rc;
    }
    rc = infile_manifest(f, err);
    if (rc != CG_ENOTFOUND)
        return rc;
    rc = infile_read(f, pp, err);
    if (rc != CG_OK)
        return rc;
    if (sp->opts.stop != NULL && *sp->opts.stop && f->reason[0] == '\0') {
        spool_event(sp, CG_SPOOL_EV_FILE, "stopped %s: the rest is taken on the next run",
                    f->display);
        return CG_OK;
    }
    rc = infile_conclude(f, err);
    if (rc == CG_OK && f->reason[0] != '\0')
        rc = infile_fail(f, err);
    return rc;
}

bool spool_seller_waits(struct cg_spool *sp, struct spool_seller *sel)
{
    const char *why = sel != NULL ? (sel->problem != NULL ? sel->problem : sel->config_hold) : NULL;

    if (why == NULL)
        return false;
    /* each file that waits is counted once: passed over, or stopped by its own batch */
    if (sel->held_pass != sp->intake_pass) {
        sel->held_pass = sp->intake_pass;
        sel->held_files = 0;
    }
    sel->held_files++;
    if (!sel->held_said) {
        sel->held_said = true;
        sp->st.sellers_held++;
        spool_event(sp, CG_SPOOL_EV_ORDER, "%s", why);
        if (sel->name[0] == '\0')
            spool_event(sp, CG_SPOOL_EV_FILE,
                        "held: the configuration of [seller] is incomplete (above): the files "
                        "directly in incoming/ wait until it is fixed; none is rejected for it");
        else
            spool_event(sp, CG_SPOOL_EV_FILE,
                        "held seller %s: its configuration is incomplete (above): its files wait "
                        "until it is fixed; none is rejected for it",
                        sel->name);
    }
    return true;
}

int spool_seller_held(struct cg_spool *sp, struct spool_seller *sel, int rc)
{
    if (rc != CG_ECONFIG || !spool_seller_waits(sp, sel))
        return rc;
    return CG_OK;
}

int spool_process_file(struct cg_spool *sp, struct spool_seller *sel, int subfd, const char *name,
                       bool fresh, struct cg_err *err)
{
    struct infile f;
    struct pipe pp;
    long out0;
    int rc;

    if (sel == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    /* Each file is a unit of work: only while this process still holds the working directory. */
    rc = cg_spool_lock_check(sp->lock, err);
    if (rc != CG_OK)
        return rc;
    memset(&f, 0, sizeof(f));
    memset(&pp, 0, sizeof(pp));
    pp.b[0].fd = pp.b[1].fd = -1;
    pp.fill = &pp.b[0];
    f.sp = sp;
    f.sel = sel;
    f.subfd = subfd;
    f.name = name;
    f.fresh = fresh;
    f.fd = -1;
    f.t0 = spool_now_ms();
    snprintf(f.display, sizeof(f.display), "%s%s%s", sel->name, sel->name[0] ? "/" : "", name);
    /* A file in active/ while this process has left some there is one of those: no one else
     * puts files in active/. It counts as taken once. */
    if (!fresh && sp->st.files_left > 0)
        sp->st.files_left--;
    else
        sp->st.files_taken++;
    out0 = sp->st.files_done + sp->st.files_failed + sp->st.files_duplicate;
    rc = infile_process(&f, &pp, err);
    if (sp->st.files_done + sp->st.files_failed + sp->st.files_duplicate == out0)
        sp->st.files_left++;
    if (f.fd >= 0)
        close(f.fd);
    cg_reader_close(f.rd);
    batch_free(&pp.b[0]);
    batch_free(&pp.b[1]);
    spool_progress(sp, true);
    return rc;
}
