/*
 * spool-dismiss.c - `cebgate dismiss`: an operator clears a file refused whole from the morning
 * report's list (and its "Needs you today" item) without taking it again under its name.
 *
 * One unit of work: the refusals of the name are read (each seller and name by its latest
 * outcome, as the report lists them) and the one not yet dismissed is recorded as dismissed
 * (store-dismiss.h), covering that refusal only. Nothing in failed/ is moved or deleted. A name
 * not listed, or listed for several sellers when no seller is named, is refused with a message
 * saying so (CG_ENOTFOUND, CG_EINVAL), and nothing is written; a failed read or write is
 * CG_EDB/CG_EBUSY.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/text.h"
#include "spool/spool-int.h"
#include "store/store-dismiss.h"

struct dismiss_ctx {
    const char *arg;                             /* as the operator named it */
    long open, done;                             /* refusals listed, refusals dismissed already */
    char seller[256], kind[128], refused_at[40]; /* the first one listed */
    char d_at[40], d_by[128];                    /* the first one dismissed already */
    char sellers[600];                           /* those listed, as SELLER/FILE */
};

static int refusal_seen(const struct cg_store_refusal *r, void *vctx)
{
    struct dismiss_ctx *c = vctx;
    size_t n = strlen(c->sellers);

    if (r->dismissed.at != NULL) {
        if (c->done++ == 0) {
            cg_strlcpy(c->d_at, r->dismissed.at, sizeof(c->d_at));
            cg_strlcpy(c->d_by, r->dismissed.by != NULL ? r->dismissed.by : "", sizeof(c->d_by));
        }
        return CG_OK;
    }
    if (c->open++ == 0) {
        cg_strlcpy(c->seller, r->seller, sizeof(c->seller));
        cg_strlcpy(c->kind, r->kind != NULL ? r->kind : "", sizeof(c->kind));
        cg_strlcpy(c->refused_at, r->refused_at != NULL ? r->refused_at : "",
                   sizeof(c->refused_at));
    }
    /* "/NAME" for a file dropped into incoming/ itself: the bare name is what was ambiguous */
    snprintf(c->sellers + n, sizeof(c->sellers) - n, "%s%s/%s", n > 0 ? ", " : "", r->seller,
             r->name);
    return CG_OK;
}

struct dismiss_args {
    const char *seller, *name, *by, *reason;
    struct dismiss_ctx *c;
};

static int dismiss_tx(struct cg_store *st, void *vctx, struct cg_err *err)
{
    struct dismiss_args *a = vctx;
    struct dismiss_ctx *c = a->c;
    int rc = cg_store_refusals_named(st, a->seller, a->name, refusal_seen, c, err);

    if (rc == CG_ENOTFOUND) {
        cg_err_clear(err);
        rc = CG_OK;
    }
    if (rc != CG_OK)
        return rc;
    if (c->open > 1)
        return CG_ERR_SET(err, CG_EINVAL,
                          "%s: refused whole for more than one seller (%s): name one as "
                          "SELLER/FILE (/FILE for a file dropped into incoming/ itself)",
                          c->arg, c->sellers);
    if (c->open == 0 && c->done > 0)
        return CG_ERR_SET(err, CG_ENOTFOUND,
                          "%s: its refusal was dismissed already, at %s by %s; the report does "
                          "not list it",
                          c->arg, c->d_at, c->d_by);
    if (c->open == 0)
        return CG_ERR_SET(err, CG_ENOTFOUND,
                          "%s: not listed as refused whole (the report's input files refused "
                          "whole, as SELLER/FILE: cebgate report)",
                          c->arg);
    rc = cg_store_refusal_dismiss(st, c->seller, a->name, c->refused_at, c->kind, a->by, a->reason,
                                  err);
    if (rc == CG_EEXIST)
        rc = CG_ERR_SET(err, CG_ENOTFOUND, "%s: its refusal was dismissed already", c->arg);
    return rc;
}

int cg_spool_dismiss(struct cg_store *st, const char *arg, const char *by, const char *reason,
                     FILE *fp, struct cg_err *err)
{
    struct dismiss_ctx c;
    struct dismiss_args a = {NULL, arg, by, reason, &c};
    const char *slash = strchr(arg, '/');
    char seller[260], seller_shown[1024], shown[1024];
    int rc;

    memset(&c, 0, sizeof(c));
    c.arg = cg_text_show(arg, shown, sizeof(shown));
    if (slash != NULL) {
        if ((size_t)(slash - arg) >= sizeof(seller))
            return CG_ERR_SET(err, CG_ENOTFOUND, "%s: not listed as refused whole", c.arg);
        snprintf(seller, sizeof(seller), "%.*s", (int)(slash - arg), arg);
        a.seller = seller;
        a.name = slash + 1;
    }
    rc = cg_store_tx(st, dismiss_tx, &a, err);
    if (rc != CG_OK)
        return rc;
    snprintf(seller, sizeof(seller), "%s%s", c.seller, c.seller[0] ? "/" : "");
    cg_text_show(seller, seller_shown, sizeof(seller_shown));
    fprintf(fp, "dismissed %s%s  %s  refused %s: no longer listed; the file stays in failed/%s\n",
            seller_shown, cg_text_show(a.name, shown, sizeof(shown)), c.kind, c.refused_at,
            seller_shown);
    return CG_OK;
}

struct unknown_args {
    const char *by, *reason;
    long n;
    char first[40], last[40];
};

static int unknown_tx(struct cg_store *st, void *vctx, struct cg_err *err)
{
    struct unknown_args *a = vctx;
    int rc = cg_store_unknown_dismiss(st, a->by, a->reason, &a->n, a->first, a->last, err);

    if (rc == CG_ENOTFOUND)
        rc = CG_ERR_SET(err, CG_ENOTFOUND,
                        "no receipt for an unknown or mismatched message is listed "
                        "(cebgate status --unknown)");
    return rc;
}

int cg_spool_dismiss_unknown(struct cg_store *st, const char *by, const char *reason, FILE *fp,
                             struct cg_err *err)
{
    struct unknown_args a;
    int rc;

    memset(&a, 0, sizeof(a));
    a.by = by;
    a.reason = reason;
    rc = cg_store_tx(st, unknown_tx, &a, err);
    if (rc != CG_OK)
        return rc;
    fprintf(fp,
            "dismissed %ld receipt%s for unknown or mismatched messages, received %s to %s: no "
            "longer listed; they stay in the receipts log\n",
            a.n, a.n == 1 ? "" : "s", a.first, a.last);
    return CG_OK;
}
