/*
 * spool-cancel.c - the cancellation of an export inventory (CEB605): the rules customs puts
 * on it, the message built, signed and recorded like any other document, and its hand-over.
 *
 * A cancellation is one more document of the order (msg_type 605, business key the
 * inventory's copNo), so its receipts (CEB606) are applied by spool-inbox.c like the others;
 * a CEB606 399 there makes the inventory "cancelled". The message is written to tmp/, flushed,
 * recorded in one transaction (document, message, the order's cancel_needed record done) and
 * only then renamed into outbox/, as spool-file.c does for a batch. Refusals are CG_EREJECT
 * with the rule named; nothing is written for them. The file in tmp/ is removed on any error.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "spool/spool-int.h"
#include "store/store-flow.h"

/* What the order has declared, as far as a cancellation cares. */
struct cancel_docs {
    bool has_inv, has_cancel, departed;
    int inv_state, cancel_state, cancel_version;
    char cop_no[64], pre_no[32], invt_no[32];
    char cancel_pre_no[32]; /* the E-Port's number of the last cancellation, "" when none */
};

static int doc_seen(const struct cg_store_doc *d, void *vctx)
{
    struct cancel_docs *c = vctx;
    int state = cg_doc_state_parse(d->state);

    if (d->msg_type == CG_MSG_INVENTORY) {
        c->has_inv = true;
        c->inv_state = state;
        cg_strlcpy(c->cop_no, d->business_key != NULL ? d->business_key : "", sizeof(c->cop_no));
        cg_strlcpy(c->pre_no, d->pre_no != NULL ? d->pre_no : "", sizeof(c->pre_no));
        cg_strlcpy(c->invt_no, d->invt_no != NULL ? d->invt_no : "", sizeof(c->invt_no));
    } else if (d->msg_type == CG_MSG_INVT_CANCEL) {
        c->has_cancel = true;
        c->cancel_state = state;
        c->cancel_version = d->version;
        cg_strlcpy(c->cancel_pre_no, d->pre_no != NULL ? d->pre_no : "", sizeof(c->cancel_pre_no));
    } else if ((d->msg_type == CG_MSG_BILL_LIST || d->msg_type == CG_MSG_DEPARTURE) &&
               state != CG_DOC_REJECTED) {
        c->departed = true;
    }
    return CG_OK;
}

/* CG_OK when customs allows a cancellation now; else CG_EREJECT naming the rule. */
static int cancel_allowed(const char *order_no, const struct cancel_docs *c, struct cg_err *err)
{
    const char *st = cg_doc_state_name(c->inv_state);

    if (!c->has_inv)
        return CG_ERR_SET(err, CG_EREJECT,
                          "order %s: no export inventory (CEB603) was declared: a cancellation "
                          "(CEB605) cancels a released inventory by its invtNo",
                          order_no);
    if (c->inv_state == CG_DOC_CANCELLED)
        return CG_ERR_SET(err, CG_EREJECT, "order %s: the inventory %s is already cancelled",
                          order_no, c->invt_no);
    if (c->has_cancel && c->cancel_state != CG_DOC_REJECTED)
        return CG_ERR_SET(err, CG_EREJECT,
                          "order %s: a cancellation (CEB605 version %d) was already declared "
                          "and is %s: one cancellation per inventory",
                          order_no, c->cancel_version, cg_doc_state_name(c->cancel_state));
    if (c->departed || c->inv_state == CG_DOC_CLOSED)
        return CG_ERR_SET(err, CG_EREJECT,
                          "order %s: the goods have left the country (inventory %s, %s): customs "
                          "cancels an inventory only before departure; declare a return "
                          "(cebgate return) instead",
                          order_no, c->invt_no, c->departed ? "departure declared" : "closed");
    if (c->inv_state == CG_DOC_REJECTED || c->inv_state == CG_DOC_RETURNED)
        return CG_ERR_SET(err, CG_EREJECT,
                          "order %s: customs refused the inventory (%s): there is no inventory "
                          "to cancel",
                          order_no, st);
    if (c->inv_state != CG_DOC_RELEASED || c->invt_no[0] == '\0')
        return CG_ERR_SET(err, CG_EREJECT,
                          "order %s: the inventory is %s, not released: customs cancels only a "
                          "released inventory (CEB605 needs the invtNo of its release); wait "
                          "for the release",
                          order_no, st);
    return CG_OK;
}

struct one_commit {
    struct spool_job *j;
    int64_t order_id;
    const char *key;
    int (*record)(struct cg_store *st, int64_t doc_id, void *ctx, struct cg_err *err);
    void *ctx;
};

static int commit_one(struct cg_store *st, void *vctx, struct cg_err *err)
{
    struct one_commit *c = vctx;
    struct spool_job *j = c->j;
    int64_t did = 0;
    int rc;

    rc = cg_store_doc_put(st, c->order_id, j->msg_type, c->key, j->version, j->guid, j->app_type,
                          j->content_hash, NULL, NULL, &did, err);
    if (rc == CG_OK)
        rc = cg_store_msg_add(st, did, j->version, j->guid, j->msg_type, j->app_type, j->name,
                              j->sha256, (int64_t)j->size, 0, err);
    if (rc == CG_OK && c->record != NULL)
        rc = c->record(st, did, c->ctx, err);
    return rc;
}

int spool_declare_one(struct cg_spool *sp, struct spool_job *j, int64_t order_id, const char *key,
                      int (*record)(struct cg_store *st, int64_t doc_id, void *ctx,
                                    struct cg_err *err),
                      void *ctx, struct cg_err *err)
{
    struct one_commit cc = {j, order_id, key, record, ctx};
    char *guids[1], *names[1];
    bool committed = false;
    int rc;

    if (sp->pool == NULL) {
        rc = spool_pool_new(sp, sp->opts.workers > 0 ? sp->opts.workers : 1, &sp->pool, err);
        if (rc != CG_OK)
            return rc;
    }
    spool_pool_run(sp->pool, j, 1);
    if (j->rc != CG_OK) {
        rc = CG_ERR_SET(err, j->rc, "%s", j->error != NULL ? j->error : cg_strerror(j->rc));
        goto done;
    }
    /* The file is on disk before the row that points at it is committed. */
    if (syncfs(sp->dfd[D_TMP]) != 0) {
        rc = CG_ERR_SET(err, CG_EIO, "syncfs: %s", strerror(errno));
        goto done;
    }
    rc = cg_store_tx(sp->store, commit_one, &cc, err);
    if (rc != CG_OK)
        goto done;
    /* Recorded: from here a file left in tmp/ is finished by the next start (spool_recover). */
    committed = true;
    names[0] = j->name;
    rc = spool_hand_over(sp, names, 1, err);
    if (rc != CG_OK)
        goto done;
    sp->st.msgs_signed++;
    sp->st.msgs_queued++;
    guids[0] = j->guid;
    rc = spool_submit_names(sp, guids, names, 1, err);
done:
    if (!committed && j->rc == CG_OK && j->name[0] != '\0')
        unlinkat(sp->dfd[D_TMP], j->name, 0);
    return rc;
}

static int cancel_record(struct cg_store *st, int64_t doc_id, void *ctx, struct cg_err *err)
{
    (void)doc_id;
    return cg_store_cancel_done(st, *(const int64_t *)ctx, err);
}

/* Build, sign, record and hand over the CEB605 of one order whose rules allow it. */
static int cancel_declare(struct cg_spool *sp, const char *seller, int64_t order_id,
                          const struct cancel_docs *d, const char *reason, struct cg_err *err)
{
    struct spool_job j;
    int rc;

    memset(&j, 0, sizeof(j));
    j.sel = spool_seller_get(sp, seller);
    if (j.sel == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (j.sel->problem != NULL)
        return CG_ERR_SET(err, CG_ECONFIG, "%s", j.sel->problem);
    j.msg_type = CG_MSG_INVT_CANCEL;
    /* After a refusal the next version changes the stored one (appType 2); it is an add again
     * only when the E-Port refused it before storing it (no preNo came back). */
    j.app_type = d->has_cancel && d->cancel_pre_no[0] != '\0' ? CG_APP_MODIFY : CG_APP_ADD;
    j.version = d->has_cancel ? d->cancel_version + 1 : 1;
    cg_guid_new(j.guid);
    cg_strlcpy(j.cop_no, d->cop_no, sizeof(j.cop_no));
    j.pre_no = d->pre_no[0] != '\0' ? cg_strdup(d->pre_no) : NULL;
    j.invt_no = cg_strdup(d->invt_no);
    j.reason = reason;
    cg_sha256_hex(reason, strlen(reason), j.content_hash);
    rc = spool_declare_one(sp, &j, order_id, j.cop_no, cancel_record, &order_id, err);
    free(j.pre_no);
    free(j.invt_no);
    free(j.error);
    return rc;
}

/* The order, its documents and the rules: CG_OK when allowed. */
static int cancel_check(struct cg_spool *sp, const char *seller, const char *order_no,
                        int64_t *order_id, struct cancel_docs *d, struct cg_err *err)
{
    char hash[65];
    int rc;

    memset(d, 0, sizeof(*d));
    rc = cg_store_order_find(sp->store, seller, order_no, order_id, hash, err);
    if (rc == CG_ENOTFOUND)
        return CG_ERR_SET(err, CG_ENOTFOUND, "order %s: not declared%s%s", order_no,
                          seller[0] != '\0' ? " for seller " : "", seller);
    if (rc == CG_OK)
        rc = cg_store_order_docs(sp->store, *order_id, doc_seen, d, err);
    if (rc == CG_OK && !d->departed)
        rc = cg_store_order_departing(sp->store, *order_id, &d->departed, err);
    if (rc == CG_OK)
        rc = cancel_allowed(order_no, d, err);
    return rc;
}

struct seller_of {
    char *out;
    size_t size;
    int n;
};

static int seller_seen(const struct cg_store_order *o, void *vctx)
{
    struct seller_of *s = vctx;

    cg_strlcpy(s->out, o->seller, s->size);
    s->n++;
    return CG_OK;
}

int spool_order_seller(struct cg_spool *sp, const char *order_no, char *out, size_t size,
                       struct cg_err *err)
{
    struct seller_of so = {out, size, 0};
    int rc = cg_store_orders_named(sp->store, order_no, seller_seen, &so, err);

    if (rc != CG_OK)
        return rc;
    if (so.n == 0)
        return CG_ERR_SET(err, CG_ENOTFOUND, "order %s: not declared", order_no);
    if (so.n > 1)
        return CG_ERR_SET(err, CG_EEXIST, "order %s: several sellers have it; say SELLER/%s",
                          order_no, order_no);
    return CG_OK;
}

struct listed {
    const char *seller, *order_no;
    bool found, done;
    char reason[512];
};

static int listed_seen(const struct cg_store_cancel *c, void *vctx)
{
    struct listed *l = vctx;

    l->found = true;
    l->done = c->done_at != NULL && c->done_at[0] != '\0';
    snprintf(l->reason, sizeof(l->reason), "order %s by the shop (%s)", c->status, c->reason);
    return CG_OK;
}

int cg_spool_cancel(struct cg_spool *sp, const char *seller, const char *order_no,
                    const char *reason, bool confirm, struct cg_err *err)
{
    struct cancel_docs d;
    struct listed l;
    char who[256];
    int64_t order_id = 0;
    int rc;

    if (seller == NULL) {
        rc = spool_order_seller(sp, order_no, who, sizeof(who), err);
        if (rc != CG_OK)
            return rc;
        seller = who;
    }
    rc = cancel_check(sp, seller, order_no, &order_id, &d, err);
    if (rc != CG_OK && !(confirm && rc == CG_EREJECT))
        return rc;
    memset(&l, 0, sizeof(l));
    if (confirm) {
        struct cg_err e2;
        int rc2;

        cg_err_clear(&e2);
        rc2 = cg_store_order_cancel(sp->store, order_id, listed_seen, &l, &e2);
        if (rc2 != CG_OK && rc2 != CG_ENOTFOUND) {
            *err = e2;
            return rc2;
        }
        if (!l.found || l.done)
            return CG_ERR_SET(err, CG_ENOTFOUND,
                              "order %s: not listed as cancelled by its shop (cebgate status "
                              "--cancel); cancel it with --reason",
                              order_no);
        if (rc != CG_OK)
            return rc;
        if (reason == NULL)
            reason = l.reason;
    }
    if (reason == NULL || reason[0] == '\0')
        return CG_ERR_SET(err, CG_EINVAL, "order %s: a cancellation needs a reason", order_no);
    return cancel_declare(sp, seller, order_id, &d, reason, err);
}

struct auto_ctx {
    struct cg_spool *sp;
    struct {
        char *seller, *order_no, *reason;
    } * v;
    size_t n, cap;
};

static int auto_seen(const struct cg_store_cancel *c, void *vctx)
{
    struct auto_ctx *a = vctx;
    char section[300];
    const char *mode;
    char reason[512];

    snprintf(section, sizeof(section), "%s%s", c->seller[0] != '\0' ? "seller." : "seller",
             c->seller);
    mode = cg_conf_get(a->sp->conf, section, "cancel");
    if (mode == NULL || strcmp(mode, "auto") != 0)
        return CG_OK;
    /* its goods have left: customs cancels nothing any more, it needs a return (listed so) */
    if (c->departed)
        return CG_OK;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        void *grown = realloc(a->v, cap * sizeof(*a->v));
        if (grown == NULL)
            return CG_ENOMEM;
        a->v = grown;
        a->cap = cap;
    }
    snprintf(reason, sizeof(reason), "order %s by the shop (%s)", c->status, c->reason);
    a->v[a->n].seller = cg_strdup(c->seller);
    a->v[a->n].order_no = cg_strdup(c->order_no);
    a->v[a->n].reason = cg_strdup(reason);
    a->n++;
    return CG_OK;
}

int spool_cancel_auto(struct cg_spool *sp, struct cg_err *err)
{
    struct auto_ctx a;
    size_t i;
    int rc;

    memset(&a, 0, sizeof(a));
    a.sp = sp;
    rc = cg_store_cancels_open(sp->store, auto_seen, &a, err);
    if (rc == CG_ENOMEM)
        CG_ERR_SET(err, rc, "out of memory");
    for (i = 0; rc == CG_OK && i < a.n; i++) {
        struct cg_err e;
        int r;

        if (a.v[i].seller == NULL || a.v[i].order_no == NULL || a.v[i].reason == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            break;
        }
        cg_err_clear(&e);
        r = cg_spool_cancel(sp, a.v[i].seller, a.v[i].order_no, a.v[i].reason, false, &e);
        if (r == CG_OK) {
            sp->st.cancels_declared++;
            spool_event(sp, CG_SPOOL_EV_ORDER, "order %s: cancellation declared (CEB605): %s",
                        a.v[i].order_no, a.v[i].reason);
        } else if (cg_rc_temporary(r)) {
            *err = e;
            rc = r;
        } else {
            spool_event(sp, CG_SPOOL_EV_ORDER, "cancellation not declared: %s", e.msg);
        }
    }
    for (i = 0; i < a.n; i++) {
        free(a.v[i].seller);
        free(a.v[i].order_no);
        free(a.v[i].reason);
    }
    free(a.v);
    return rc;
}
