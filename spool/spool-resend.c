/*
 * spool-resend.c - `cebgate resend`: an operator marks a document customs refused after the
 * E-Port stored it (100) to go out again, once, as its next version, after fixing the cause
 * outside the document (the seller's configuration, a code table, a registration at customs);
 * without the mark such a document is declared again only when its content changes.
 *
 * One unit of work: the documents of the order (an order number, BILL:NUMBER or SUM:... as
 * `cebgate status` names them) are read and each one customs refused is marked (resend_marks:
 * the version, when, who and why). A bill is its last document (its CEB509 once declared, else
 * its CEB607). Nothing is declared here: the next pass does it (spool_resend_open for bills and
 * summaries, which are rebuilt from the data kept; an order's documents need the order's data,
 * so they go out from the next file that holds the order, which the mark makes worth reading
 * again). A document that is not refused by customs is not marked, and the answer says why
 * (CG_ENOTFOUND); several sellers with that number and none named is CG_EINVAL; a failed read
 * or write is CG_EDB/CG_EBUSY and nothing is written.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/text.h"
#include "spool/spool-int.h"

/* A document kind in a broker's words, its message type beside them. */
static const char *doc_words(int msg_type)
{
    switch (msg_type) {
    case CG_MSG_ORDER: return "order (CEB303)";
    case CG_MSG_RECEIPTS: return "payment receipt (CEB403)";
    case CG_MSG_WAYBILL: return "waybill (CEB505)";
    case CG_MSG_INVENTORY: return "export inventory (CEB603)";
    case CG_MSG_INVT_CANCEL: return "cancellation (CEB605)";
    case CG_MSG_RETURN: return "return (CEB213)";
    case CG_MSG_BILL_LIST: return "waybill list (CEB607)";
    case CG_MSG_DEPARTURE: return "departure (CEB509)";
    case CG_MSG_SUMMARY: return "monthly summary (CEB701)";
    default: return "document";
    }
}

int spool_resend_open(struct cg_spool *sp, int64_t order_id, int msg_type, struct cg_err *err,
                      const char *fmt, ...)
{
    char by[256], at[64], what[512], shown[1024];
    va_list ap;
    int rc =
        cg_store_resend_open(sp->store, order_id, msg_type, by, sizeof(by), at, sizeof(at), err);

    if (rc != CG_OK)
        return rc;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    spool_event(sp, CG_SPOOL_EV_ORDER,
                "%s was refused by customs and goes out again: marked by %s at %s (cebgate "
                "resend)",
                what, cg_text_show(by, shown, sizeof(shown)), at);
    return CG_OK;
}

#define RESEND_DOCS 16

struct rdoc {
    int64_t id;
    int msg_type, version;
    char state[16];
    bool unstored, marked, from_file;
    char file[256];
    char mark_at[64], mark_by[128];
};

struct resend_ctx {
    const char *arg;  /* the number as the operator named it, shown safely */
    const char *full; /* the whole argument ([SELLER/]NUMBER), shown safely */
    const char *seller_filter;
    char seller[256], order_no[256];
    char sellers[600]; /* every seller with that number, for the question which one */
    long nsellers;
    struct rdoc d[RESEND_DOCS];
    int n;
};

static int doc_seen(const struct cg_store_resend_doc *d, void *vctx)
{
    struct resend_ctx *c = vctx;
    struct rdoc *r;

    if (c->nsellers == 0 || strcmp(c->seller, d->seller) != 0) {
        size_t n = strlen(c->sellers);
        snprintf(c->sellers + n, sizeof(c->sellers) - n, "%s%s", n > 0 ? ", " : "",
                 d->seller[0] ? d->seller : "(incoming/ itself)");
        c->nsellers++;
        cg_strlcpy(c->seller, d->seller, sizeof(c->seller));
        cg_strlcpy(c->order_no, d->order_no, sizeof(c->order_no));
        c->n = 0;
    }
    if (c->nsellers > 1 || c->n >= RESEND_DOCS)
        return CG_OK;
    r = &c->d[c->n++];
    memset(r, 0, sizeof(*r));
    r->id = d->id;
    r->msg_type = d->msg_type;
    r->version = d->version;
    cg_strlcpy(r->state, d->state, sizeof(r->state));
    r->unstored = d->unstored;
    r->from_file = d->file != NULL;
    cg_strlcpy(r->file, d->file != NULL ? d->file : "", sizeof(r->file));
    r->marked = d->mark_at != NULL;
    cg_strlcpy(r->mark_at, d->mark_at != NULL ? d->mark_at : "", sizeof(r->mark_at));
    cg_strlcpy(r->mark_by, d->mark_by != NULL ? d->mark_by : "", sizeof(r->mark_by));
    return CG_OK;
}

/* Why document r cannot be marked, into why; "" when it can. */
static void cannot_mark(const struct rdoc *r, char *why, size_t size)
{
    const char *w = doc_words(r->msg_type);

    why[0] = '\0';
    if (strcmp(r->state, "rejected") != 0)
        snprintf(why, size, "its %s version %d is %s, not refused by customs", w, r->version,
                 r->state);
    else if (r->unstored)
        snprintf(why, size,
                 "its %s version %d was refused by the E-Port before it stored it: that goes out "
                 "again by itself (docs/spool.md, \"Which documents, when\")",
                 w, r->version);
    else if (r->marked)
        snprintf(why, size, "its %s version %d was marked to go out again already, at %s by %s", w,
                 r->version, r->mark_at, r->mark_by);
    else if (r->msg_type == CG_MSG_INVT_CANCEL || r->msg_type == CG_MSG_RETURN)
        snprintf(why, size, "its %s version %d was refused by customs: declare it again with %s", w,
                 r->version,
                 r->msg_type == CG_MSG_RETURN ? "cebgate return" : "cebgate cancel --reason");
    else if (r->msg_type == CG_MSG_RECEIPTS && !r->from_file)
        snprintf(why, size,
                 "its %s version %d, from collections, was refused by customs: it goes out again "
                 "when its collected amount changes",
                 w, r->version);
}

struct resend_args {
    const char *by, *reason;
    struct resend_ctx *c;
    bool marked[RESEND_DOCS];
};

static int resend_tx(struct cg_store *st, void *vctx, struct cg_err *err)
{
    struct resend_args *a = vctx;
    struct resend_ctx *c = a->c;
    struct cg_buf why;
    bool bill;
    int i, nmarked = 0;
    int rc;

    rc = cg_store_resend_docs(st, c->seller_filter, c->order_no, doc_seen, c, err);
    if (rc == CG_ENOTFOUND)
        return CG_ERR_SET(err, CG_ENOTFOUND,
                          "%s: not known (an order number, BILL:NUMBER or SUM:MONTH:COUNTRY:N, as "
                          "cebgate status prints them)",
                          c->full);
    if (rc != CG_OK)
        return rc;
    if (c->nsellers > 1)
        return CG_ERR_SET(err, CG_EINVAL,
                          "%s: more than one seller has it (%s): name one as SELLER/%s", c->arg,
                          c->sellers, c->arg);
    /* A bill is its last document: its CEB509 once declared (documents come by type: 509, 607). */
    bill = strncmp(c->order_no, "BILL:", 5) == 0;
    if (bill && c->n > 1 && c->d[0].msg_type == CG_MSG_DEPARTURE)
        c->n = 1;
    cg_buf_init(&why, 64 * 1024);
    for (i = 0; i < c->n && rc == CG_OK; i++) {
        char w[512];
        cannot_mark(&c->d[i], w, sizeof(w));
        if (w[0] != '\0') {
            if (cg_buf_addf(&why, "%s%s", why.len > 0 ? "; " : "", w) != CG_OK)
                rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            continue;
        }
        rc = cg_store_resend_mark(st, c->d[i].id, c->d[i].version, a->by, a->reason, err);
        if (rc == CG_OK) {
            a->marked[i] = true;
            nmarked++;
        }
    }
    if (rc == CG_OK && nmarked == 0)
        rc = CG_ERR_SET(err, CG_ENOTFOUND,
                        "%s%s%s: nothing marked: %s; resend sends again only a document customs "
                        "refused after the E-Port stored it (100)",
                        c->seller, c->seller[0] ? "/" : "", c->arg,
                        why.len > 0 ? cg_buf_str(&why) : "it has no document");
    cg_buf_free(&why);
    return rc;
}

/* What became of an order number that has no document: rejected, or held for its status. */
struct never {
    bool rejected, held;
    char at[64], held_at[64], reason[1024];
};

static int never_rejected(const char *at, const char *reason, void *vctx)
{
    struct never *n = vctx;

    /* The latest rejection is the one that stands. */
    n->rejected = true;
    cg_strlcpy(n->at, at != NULL ? at : "", sizeof(n->at));
    cg_strlcpy(n->reason, reason != NULL ? reason : "", sizeof(n->reason));
    return CG_OK;
}

static int never_held(const char *seller, const char *file, const char *at, int status, void *vctx)
{
    struct never *n = vctx;

    (void)seller;
    (void)file;
    (void)status;
    /* Oldest first: the last one seen is the latest hold. */
    n->held = true;
    cg_strlcpy(n->held_at, at != NULL ? at : "", sizeof(n->held_at));
    return CG_OK;
}

/*
 * An order number with no document may still be known: rejected before anything was declared,
 * or held back for its status; the later of the two is what stands. Either is said as it is,
 * not as "not known": err holds the "not known" refusal and is replaced only when the number is
 * found (CG_ENOTFOUND either way). A failed look-up is its own error (a temporary failure).
 */
static int never_declared(struct cg_store *st, const struct resend_ctx *c, struct cg_err *err)
{
    struct never n;
    struct cg_err e;
    char why[1024];
    int rc;

    memset(&n, 0, sizeof(n));
    cg_err_clear(&e);
    rc = cg_store_order_rejections(st, c->seller_filter, c->order_no, never_rejected, &n, &e);
    if (rc == CG_OK)
        rc = cg_store_order_held(st, c->seller_filter, c->order_no, never_held, &n, &e);
    if (rc != CG_OK) {
        *err = e;
        return rc;
    }
    if (n.rejected && !(n.held && strcmp(n.held_at, n.at) > 0))
        return CG_ERR_SET(err, CG_ENOTFOUND,
                          "%s: never declared: rejected %s: %s; correct the order in its file and "
                          "drop the file again (resend sends again only a document customs "
                          "refused after the E-Port stored it, 100)",
                          c->full, n.at, cg_text_show(n.reason, why, sizeof(why)));
    if (n.held)
        return CG_ERR_SET(err, CG_ENOTFOUND,
                          "%s: never declared: held back for its status (waiting, skipped or "
                          "cancelled: cebgate status %s); resend sends again only a document "
                          "customs refused after the E-Port stored it (100)",
                          c->full, c->full);
    return CG_ENOTFOUND;
}

int cg_spool_resend(struct cg_store *st, const char *arg, const char *by, const char *reason,
                    FILE *fp, struct cg_err *err)
{
    struct resend_ctx c;
    struct resend_args a;
    const char *slash = strchr(arg, '/');
    char shown[1024], full[1024], sel[600], file[600], seller[256];
    int i, rc;

    memset(&c, 0, sizeof(c));
    memset(&a, 0, sizeof(a));
    a.by = by;
    a.reason = reason;
    a.c = &c;
    c.arg = cg_text_show(arg, shown, sizeof(shown));
    c.full = cg_text_show(arg, full, sizeof(full));
    cg_strlcpy(c.order_no, arg, sizeof(c.order_no));
    rc = cg_store_tx(st, resend_tx, &a, err);
    /* SELLER/NUMBER, unless the number holds a '/' of its own (looked up whole first) */
    if (rc == CG_ENOTFOUND && c.nsellers == 0 && slash != NULL &&
        (size_t)(slash - arg) < sizeof(c.seller)) {
        snprintf(seller, sizeof(seller), "%.*s", (int)(slash - arg), arg);
        memset(&c, 0, sizeof(c));
        memset(a.marked, 0, sizeof(a.marked));
        c.arg = cg_text_show(slash + 1, shown, sizeof(shown));
        c.full = full;
        c.seller_filter = seller;
        cg_strlcpy(c.order_no, slash + 1, sizeof(c.order_no));
        cg_err_clear(err);
        rc = cg_store_tx(st, resend_tx, &a, err);
    }
    if (rc == CG_ENOTFOUND && c.nsellers == 0)
        rc = never_declared(st, &c, err);
    if (rc != CG_OK)
        return rc;
    snprintf(sel, sizeof(sel), "%s%s", c.seller, c.seller[0] ? "/" : "");
    for (i = 0; i < c.n; i++) {
        const struct rdoc *r = &c.d[i];
        char s1[1024], s2[1024];
        if (!a.marked[i])
            continue;
        fprintf(fp, "marked %s%s  %s version %d, refused by customs: ",
                cg_text_show(sel, s1, sizeof(s1)), cg_text_show(c.order_no, s2, sizeof(s2)),
                doc_words(r->msg_type), r->version);
        if (r->msg_type == CG_MSG_SUMMARY)
            fprintf(fp,
                    "declared again as version %d by the next cebgate summary of its month, or "
                    "run between the 1st and [spool] summary_day\n",
                    r->version + 1);
        else if (r->msg_type == CG_MSG_BILL_LIST || r->msg_type == CG_MSG_DEPARTURE)
            fprintf(fp, "declared again as version %d by the next run\n", r->version + 1);
        else
            fprintf(fp,
                    "declared again as version %d from the next file that holds the order: put "
                    "%s (in done/%s) back into incoming/%s\n",
                    r->version + 1, cg_text_show(r->file, file, sizeof(file)), s1, s1);
    }
    return CG_OK;
}
