/*
 * spool-payments.c - the payment receipt (CEB403) of sellers whose payments come from their
 * collections ([seller] payments = collections): settle/ writes each order's payment record
 * (what it holds now, store-settle.h) in the transaction that matches or unmatches money; this
 * step declares every record changed since its last declaration, one CEB403 per order.
 *
 * The message carries the order number and the seller's ebcCode (as the CEB303 does), the
 * order's currency (its customs code, as in the CEB303), the collected amount as charge, the
 * reference of the latest receipt as payNo, its value day as accountingDate (00:00:00) and the
 * seller's pay_code and pay_name (a record at zero: the time it is declared). The first is an add;
 * a changed record is the next version, a modify (an add again when the E-Port refused every
 * earlier version). A record that fell to zero is declared as a modify with charge 0 when a CEB403
 * is stored at the E-Port, and not at all otherwise. A CEB403 customs concluded (399 and later) is
 * not changed: the record is reported and left. A CEB403 whose current version the E-Port refused
 * before storing it (the transport, a CEB900 or a negative code, no positive receipt) is declared
 * again, unchanged or not, by the next process that runs this step (the next `run`), or in
 * `watch` by the first pass of a new generation (after it loaded the signing keys again: their
 * files changed, or SIGHUP; spool-run.c keys_check resets the mark): the next version, an add
 * when no version was stored. A version declared in this process and generation is not sent
 * again in it, so a refusal costs one message per run or generation, not one per pass. The
 * mark (spool_refused_mark) is the greatest message id when the step first runs in the process
 * or generation; bills (spool-manifest.c) and summaries (spool-summary.c) use the same mark. A
 * refusal by customs after storing it (100) waits for a change. The document and the record's
 * declared revision are committed together (spool_declare_one), so a crash declares a record again
 * or not at all, never twice. A failure to build or sign one order's message is reported and the
 * others go on; database and file errors end the step (temporary).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fsutil.h"
#include "core/money.h"
#include "spool/spool-int.h"
#include "store/store-settle.h"

struct due {
    long long order_id, rev;
    char *seller, *order_no, *pay_no;
    char currency[4];
    char paid_on[11];
    int64_t amount;
    bool refused; /* the current CEB403, declared by an earlier process or generation, was
                   * refused unstored */
};

struct dues {
    struct cg_spool *sp;
    struct due *v;
    size_t n, cap;
};

static bool from_collections(const struct spool_seller *sel)
{
    return sel != NULL && sel->seller != NULL && sel->problem == NULL &&
           strcmp(sel->seller->payments, "collections") == 0;
}

static int due_seen(void *vctx, const struct cg_fx_payment *p)
{
    struct dues *a = vctx;
    struct spool_seller *sel = spool_seller_get(a->sp, p->seller);
    struct due *d;

    if (sel == NULL)
        return CG_ENOMEM;
    if (!from_collections(sel))
        return CG_OK; /* not this seller's source: left for a later change of settings */
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        struct due *g = realloc(a->v, cap * sizeof(*g));
        if (g == NULL)
            return CG_ENOMEM;
        a->v = g;
        a->cap = cap;
    }
    d = &a->v[a->n];
    memset(d, 0, sizeof(*d));
    d->order_id = p->order_id;
    d->rev = p->rev;
    d->amount = p->amount;
    d->refused = p->refused;
    cg_strlcpy(d->currency, p->currency, sizeof(d->currency));
    cg_strlcpy(d->paid_on, p->paid_on != NULL ? p->paid_on : "", sizeof(d->paid_on));
    d->seller = cg_strdup(p->seller);
    d->order_no = cg_strdup(p->order_no);
    d->pay_no = p->pay_no != NULL ? cg_strdup(p->pay_no) : NULL;
    a->n++;
    return d->seller != NULL && d->order_no != NULL && (p->pay_no == NULL || d->pay_no != NULL)
               ? CG_OK
               : CG_ENOMEM;
}

/* The order's current CEB403, if any. */
struct pay_doc {
    bool has;
    int version, state;
    bool ep_stored;
    char hash[65];
};

static int doc_seen(const struct cg_store_doc *d, void *vctx)
{
    struct pay_doc *c = vctx;

    if (d->msg_type != CG_MSG_RECEIPTS)
        return CG_OK;
    c->has = true;
    c->version = d->version;
    c->state = cg_doc_state_parse(d->state);
    c->ep_stored = d->ep_stored;
    cg_strlcpy(c->hash, d->content_hash != NULL ? d->content_hash : "", sizeof(c->hash));
    return CG_OK;
}

static int mark_tx(struct cg_store *st, void *vctx, struct cg_err *err)
{
    const struct due *d = vctx;

    return cg_store_fx_payment_declared(st, d->order_id, d->rev, err);
}

static int mark_record(struct cg_store *st, int64_t doc_id, void *ctx, struct cg_err *err)
{
    (void)doc_id;
    return mark_tx(st, ctx, err);
}

/* "YYYY-MM-DD" -> "YYYYMMDD000000"; false when day is not of that shape. */
static bool accounting_date(const char *day, char out[15])
{
    if (strlen(day) != 10 || day[4] != '-' || day[7] != '-')
        return false;
    snprintf(out, 15, "%.4s%.2s%.2s000000", day, day + 5, day + 8);
    return true;
}

/* Now in China time (UTC+8, no daylight saving): the day a record fell to zero. */
static void now_china(char out[15])
{
    time_t t = time(NULL) + 8 * 3600;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 15, "%Y%m%d%H%M%S", &tm);
}

/*
 * One order's record: declare it, or decide that nothing goes out. *declared is set when a
 * message was recorded. CG_EREJECT for a record whose message cannot be made (reported, the
 * record stays due).
 */
static int declare_due(struct cg_spool *sp, struct due *d, bool *declared, struct cg_err *err)
{
    struct spool_seller *sel = spool_seller_get(sp, d->seller);
    const struct spool_doc_kind *dk = spool_doc_kind_of(CG_MSG_RECEIPTS);
    struct pay_doc cur;
    struct cg_order o;
    struct cg_money m;
    struct spool_job j;
    const char *code;
    int rc;

    *declared = false;
    if (sel == NULL || dk == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    memset(&cur, 0, sizeof(cur));
    rc = cg_store_order_docs(sp->store, d->order_id, doc_seen, &cur, err);
    if (rc != CG_OK)
        return rc;
    if (d->amount == 0 && (!cur.has || !cur.ep_stored))
        return cg_store_tx(sp->store, mark_tx, d, err); /* nothing customs holds */
    if (cur.has && cur.state > CG_DOC_REVIEW && cur.state != CG_DOC_REJECTED)
        return CG_ERR_SET(err, CG_EREJECT,
                          "order %s: CEB403: the collected amount changed after customs reached "
                          "state '%s'; the payment receipt is not changed",
                          d->order_no, cg_doc_state_name(cur.state));
    code = cg_codes_currency(sp->codes, d->currency);
    m.minor = d->amount;
    cg_strlcpy(m.cur, d->currency, sizeof(m.cur));
    memset(&o, 0, sizeof(o));
    o.seller = d->seller;
    o.order_no = d->order_no;
    o.has_payment = true;
    o.pay.pay_code = sel->seller->pay_code[0] != '\0' ? sel->seller->pay_code : NULL;
    o.pay.pay_name = sel->seller->pay_name;
    o.pay.pay_no = d->pay_no;
    if (code == NULL || cg_money_to_dec(&m, &o.pay.charge) != CG_OK)
        return CG_ERR_SET(err, CG_EREJECT, "order %s: CEB403: currency %s has no customs code",
                          d->order_no, d->currency);
    cg_strlcpy(o.currency, code, sizeof(o.currency));
    if (!accounting_date(d->paid_on, o.pay.accounting_date) && d->amount > 0)
        return CG_ERR_SET(err, CG_EREJECT,
                          "order %s: CEB403: no confirmed receipt gives the day the money arrived",
                          d->order_no);
    if (d->amount == 0)
        now_china(o.pay.accounting_date);
    memset(&j, 0, sizeof(j));
    dk->content_hash(&o, j.content_hash);
    /* The E-Port has nothing of a version it refused before storing it: the same content goes
     * out again (a version this process declared in this generation is not: d->refused is false
     * for it). */
    if (cur.has && strcmp(cur.hash, j.content_hash) == 0 && !d->refused)
        return cg_store_tx(sp->store, mark_tx, d, err); /* declared as it is */
    j.order = &o;
    j.sel = sel;
    j.msg_type = CG_MSG_RECEIPTS;
    j.version = cur.has ? cur.version + 1 : 1;
    /* A document every version of which the port refused was never stored there: add it. */
    j.app_type = cur.has && cur.ep_stored ? CG_APP_MODIFY : CG_APP_ADD;
    cg_guid_new(j.guid);
    rc = spool_declare_one(sp, &j, d->order_id, d->order_no, mark_record, d, err);
    free(j.pre_no);
    free(j.invt_no);
    free(j.error);
    if (rc == CG_OK)
        *declared = true;
    return rc;
}

int spool_refused_mark(struct cg_spool *sp, int64_t *mark, struct cg_err *err)
{
    if (!sp->pay_mark_set) {
        int rc = cg_store_fx_payments_mark(sp->store, &sp->pay_mark, err);
        if (rc != CG_OK)
            return rc;
        sp->pay_mark_set = true;
    }
    *mark = sp->pay_mark;
    return CG_OK;
}

int spool_payments_step(struct cg_spool *sp, struct cg_err *err)
{
    struct dues a;
    size_t i;
    long sent = 0;
    int64_t mark = 0;
    int rc;

    memset(&a, 0, sizeof(a));
    a.sp = sp;
    rc = spool_refused_mark(sp, &mark, err);
    if (rc != CG_OK)
        return rc;
    rc = cg_store_fx_payments_due(sp->store, mark, due_seen, &a, err);
    if (rc == CG_ENOMEM)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    for (i = 0; rc == CG_OK && i < a.n && !(sp->opts.stop != NULL && *sp->opts.stop); i++) {
        struct cg_err e;
        bool declared = false;
        cg_err_clear(&e);
        rc = declare_due(sp, &a.v[i], &declared, &e);
        if (rc == CG_EREJECT || rc == CG_EINVAL || rc == CG_ESCHEMA) {
            spool_event(sp, CG_SPOOL_EV_ORDER, "payment receipt: %s", e.msg);
            rc = CG_OK;
        } else if (rc != CG_OK && err != NULL) {
            *err = e;
        }
        if (declared)
            sent++;
    }
    if (sent > 0)
        spool_event(sp, CG_SPOOL_EV_FILE, "collections: %ld payment receipts (CEB403) declared",
                    sent);
    for (i = 0; i < a.n; i++) {
        free(a.v[i].seller);
        free(a.v[i].order_no);
        free(a.v[i].pay_no);
    }
    free(a.v);
    return rc;
}

int cg_spool_payments(struct cg_spool *sp, struct cg_err *err)
{
    int rc = cg_spool_lock_check(sp->lock, err);

    return rc == CG_OK ? spool_payments_step(sp, err) : rc;
}
