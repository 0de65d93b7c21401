/*
 * settle-transfer.c - a bank credit that is the arrival of a payout imported from a payout
 * report. The payout's receipts hold its money and its orders' allocations; the credit in the bank
 * statement that receives it is the same money, so it is recorded as that payout's arrival
 * (cg_store_fx_transfer_add): never matched to an order, not held again, not left unmatched.
 *
 * A bank credit (camt or MT940, money in, not the bank's charge, nothing allocated) is the
 * arrival of a payout not arrived yet, of any seller (a bank entry is the account's, whoever
 * imported it), in the same currency and whose transfer (incoming nets less outgoing ones) is the
 * amount booked, when either its text holds the payout's id as a word of its own (no letter or
 * digit right before or after it: "SHOPIFY PAYMENTS PAYOUT P-88001" holds 88001) and no other such
 * payout's, or, its text naming no such payout and no order, its value day is from the payout's
 * day to PAYOUT_DAYS after it, the payout is of the credit's seller (any for a credit imported
 * without one) and no other payout fits. A credit whose arrival the operator took back (settle
 * arrival --undo) is left to the operator: never recorded automatically again. Runs in the
 * caller's transaction; memory and database failures come back as CG_ENOMEM / CG_EDB / CG_EBUSY.
 *
 * The operator records a credit as a payout's arrival by hand (cg_settle_arrival), of what the
 * payout transferred or of another amount (the bank's charges taken off it), and takes an
 * arrival back (cg_settle_arrival_undo), each one transaction with its event.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "settle/settle-int.h"

/* Days after a payout's day its money may be booked by the bank, when the bank names no payout. */
#define PAYOUT_DAYS 7

struct payout {
    char *seller, *id;
    char currency[4];
    long day;
    int64_t transfer;
    bool arrived; /* in this pass */
};

struct credit {
    long long id;
    char *seller, *reference;
    char currency[4];
    long day;
    int64_t net;
};

struct lists {
    struct payout *p;
    size_t np;
    struct credit *c;
    size_t nc;
    bool nomem;
};

static int take_payout(void *ctx, const struct cg_fx_payout *x)
{
    struct lists *l = ctx;
    struct payout *p = realloc(l->p, (l->np + 1) * sizeof(*p));
    long day;

    if (p == NULL)
        return CG_ENOMEM;
    l->p = p;
    if (x->transfer <= 0 || fx_day_parse(x->day, &day) != CG_OK)
        return 0; /* nothing transferred: nothing arrives */
    p = &l->p[l->np];
    memset(p, 0, sizeof(*p));
    p->seller = cg_strdup(x->seller);
    p->id = cg_strdup(x->id);
    if (p->seller == NULL || p->id == NULL) {
        free(p->seller);
        free(p->id);
        return CG_ENOMEM;
    }
    cg_strlcpy(p->currency, x->currency, sizeof(p->currency));
    p->day = day;
    p->transfer = x->transfer;
    l->np++;
    return 0;
}

static int take_credit(void *ctx, const struct cg_fx_receipt *r)
{
    struct lists *l = ctx;
    struct credit *c;
    long day;

    if (r->out || r->charge || r->transfer_undone || r->entry_key == NULL ||
        strncmp(r->entry_key, "camt:", 5) != 0 || r->used_principal != 0 || r->used_fees != 0 ||
        r->used_refunds != 0 || fx_day_parse(r->value_on, &day) != CG_OK)
        return 0;
    c = realloc(l->c, (l->nc + 1) * sizeof(*c));
    if (c == NULL)
        return CG_ENOMEM;
    l->c = c;
    c = &l->c[l->nc];
    memset(c, 0, sizeof(*c));
    c->id = r->id;
    c->seller = cg_strdup(r->seller != NULL ? r->seller : "");
    c->reference = cg_strdup(r->reference != NULL ? r->reference : "");
    if (c->seller == NULL || c->reference == NULL) {
        free(c->seller);
        free(c->reference);
        return CG_ENOMEM;
    }
    cg_strlcpy(c->currency, r->currency, sizeof(c->currency));
    c->day = day;
    c->net = r->net;
    l->nc++;
    return 0;
}

/* Whether text holds id with neither a letter nor a digit right before or after it. */
static bool names_payout(const char *text, const char *id)
{
    size_t n = strlen(id);
    const char *at;

    if (n == 0)
        return false;
    for (at = strstr(text, id); at != NULL; at = strstr(at + 1, id)) {
        if ((at == text || !isalnum((unsigned char)at[-1])) && !isalnum((unsigned char)at[n]))
            return true;
    }
    return false;
}

/* The one payout credit c is the arrival of (*which, its rule in *cause), or none (-1). */
static int arrival_of(struct cg_settle *s, struct lists *l, const struct credit *c, long *which,
                      const char **cause, struct cg_err *err)
{
    long by_id = -1, by_day = -1;
    size_t i, nid = 0, nday = 0;
    int named = 0;
    int rc;

    *which = -1;
    for (i = 0; i < l->np; i++) {
        const struct payout *p = &l->p[i];
        if (p->arrived || strcmp(p->currency, c->currency) != 0 || p->transfer != c->net)
            continue;
        if (names_payout(c->reference, p->id)) {
            by_id = (long)i;
            nid++;
        } else if (c->day >= p->day && c->day <= p->day + PAYOUT_DAYS &&
                   (c->seller[0] == '\0' || strcmp(c->seller, p->seller) == 0)) {
            by_day = (long)i;
            nday++;
        }
    }
    if (nid == 1) {
        *which = by_id;
        *cause = "auto:payout id";
        return CG_OK;
    }
    if (nid > 1 || nday != 1)
        return CG_OK;
    rc = fx_text_names_order(s, c->reference, &named, err);
    if (rc == CG_OK && !named) {
        *which = by_day;
        *cause = "auto:payout day";
    }
    return rc;
}

int fx_transfers_in_tx(struct cg_settle *s, long *arrived, struct cg_err *err)
{
    struct lists l;
    size_t i;
    int rc;

    memset(&l, 0, sizeof(l));
    *arrived = 0;
    rc = cg_store_fx_payouts_each(s->db, take_payout, &l, err);
    if (rc == CG_OK && l.np > 0)
        rc = cg_store_fx_receipts_each(s->db, 1, take_credit, &l, err);
    for (i = 0; rc == CG_OK && i < l.nc; i++) {
        struct cg_fx_transfer t;
        long which;
        const char *cause = NULL;
        rc = arrival_of(s, &l, &l.c[i], &which, &cause, err);
        if (rc != CG_OK || which < 0)
            continue;
        memset(&t, 0, sizeof(t));
        t.receipt_id = l.c[i].id;
        t.seller = l.p[which].seller;
        t.payout = l.p[which].id;
        t.cause = cause;
        t.transferred = l.p[which].transfer;
        rc = cg_store_fx_transfer_add(s->db, &t, err);
        if (rc == CG_OK) {
            l.p[which].arrived = true;
            (*arrived)++;
        }
    }
    if (rc == CG_ENOMEM)
        CG_ERR_SET(err, rc, "out of memory");
    for (i = 0; i < l.np; i++) {
        free(l.p[i].seller);
        free(l.p[i].id);
    }
    for (i = 0; i < l.nc; i++) {
        free(l.c[i].seller);
        free(l.c[i].reference);
    }
    free(l.p);
    free(l.c);
    return rc;
}

/* ------------------------------------------------------------------ operator: arrival */

/* What the operator's arrival and its undoing read of the bank credit. */
struct credit_seen {
    long long id;
    int out, charge, bank;
    char currency[4];
    int64_t net;
    char payout[256], seller[64], cause[64]; /* its arrival, "" when none */
};

static int take_seen(void *ctx, const struct cg_fx_receipt *r)
{
    struct credit_seen *c = ctx;

    c->id = r->id;
    c->out = r->out;
    c->charge = r->charge;
    c->bank = r->entry_key != NULL && strncmp(r->entry_key, "camt:", 5) == 0;
    cg_strlcpy(c->currency, r->currency, sizeof(c->currency));
    c->net = r->net;
    if (r->transfer_payout != NULL) {
        cg_strlcpy(c->payout, r->transfer_payout, sizeof(c->payout));
        cg_strlcpy(c->seller, r->transfer_seller != NULL ? r->transfer_seller : "",
                   sizeof(c->seller));
        cg_strlcpy(c->cause, r->transfer_cause != NULL ? r->transfer_cause : "", sizeof(c->cause));
    }
    return 0;
}

static int credit_load(struct cg_settle *s, long long id, struct credit_seen *c, struct cg_err *err)
{
    memset(c, 0, sizeof(*c));
    return fx_receipt_load(s, id, take_seen, c, err);
}

/* The payouts a PAYOUT argument names: the first of them kept, all of them listed. */
struct payout_seen {
    size_t n;
    char seller[64], id[256], currency[4];
    int64_t transfer;
    long long arrived_in;
    char cause[64];
    char all[300]; /* "acme USD, maple USD" */
};

static int take_payout_seen(void *ctx, const struct cg_fx_payout *p)
{
    struct payout_seen *f = ctx;
    size_t n = strlen(f->all);

    if (f->n++ == 0) {
        cg_strlcpy(f->seller, p->seller, sizeof(f->seller));
        cg_strlcpy(f->id, p->id, sizeof(f->id));
        cg_strlcpy(f->currency, p->currency, sizeof(f->currency));
        f->transfer = p->transfer;
        f->arrived_in = p->arrived_in;
        cg_strlcpy(f->cause, p->arrival_cause != NULL ? p->arrival_cause : "", sizeof(f->cause));
    }
    if (n + 1 < sizeof(f->all))
        snprintf(f->all + n, sizeof(f->all) - n, "%s%s %s", n > 0 ? ", " : "",
                 p->seller[0] ? p->seller : "(no seller)", p->currency);
    return 0;
}

/*
 * The payout spec names: its id as imported (any seller), or SELLER/ID; CG_ENOTFOUND when
 * none, CG_EREJECT when several.
 */
static int payout_find(struct cg_settle *s, const char *spec, struct payout_seen *f,
                       struct cg_err *err)
{
    const char *slash = strchr(spec, '/');
    int rc;

    memset(f, 0, sizeof(*f));
    rc = cg_store_fx_payout_find(s->db, NULL, spec, take_payout_seen, f, err);
    if (rc == CG_OK && f->n == 0 && slash != NULL && (size_t)(slash - spec) < sizeof(f->seller)) {
        char seller[64];
        memcpy(seller, spec, (size_t)(slash - spec));
        seller[slash - spec] = '\0';
        rc = cg_store_fx_payout_find(s->db, seller, slash + 1, take_payout_seen, f, err);
    }
    if (rc != CG_OK)
        return rc;
    if (f->n == 0)
        return CG_ERR_SET(err, CG_ENOTFOUND,
                          "payout %s: no such payout imported from a payout report", spec);
    if (f->n > 1)
        return CG_ERR_SET(err, CG_EREJECT,
                          "payout %s is several payouts (%s): give it as SELLER/%s", spec, f->all,
                          f->id);
    return CG_OK;
}

struct arrival_ctx {
    struct cg_settle *s;
    long long receipt;
    const char *payout, *by, *note;
};

/* Why credit c cannot be a payout's arrival (CG_EREJECT with the reason), else CG_OK. */
static int credit_refused(struct cg_settle *s, const struct credit_seen *c, struct cg_err *err)
{
    struct fx_alloc_list allocs;
    char amt[40];
    int rc;

    fx_amount_format(c->net, c->currency, amt, sizeof(amt));
    if (c->charge)
        return CG_ERR_SET(err, CG_EREJECT,
                          "receipt %lld is the bank's charge (%s %s paid): only a bank credit can "
                          "be a payout's arrival",
                          c->id, c->currency, amt);
    if (c->out)
        return CG_ERR_SET(err, CG_EREJECT,
                          "receipt %lld is money out (%s %s paid): only a bank credit can be a "
                          "payout's arrival",
                          c->id, c->currency, amt);
    if (!c->bank)
        return CG_ERR_SET(err, CG_EREJECT,
                          "receipt %lld is a receipt of a payout report or collections CSV, not a "
                          "bank entry: only a bank credit can be a payout's arrival",
                          c->id);
    if (c->payout[0])
        return CG_ERR_SET(err, CG_EREJECT,
                          "receipt %lld is the arrival of payout %s already (%s): settle arrival "
                          "--undo %lld takes it back",
                          c->id, c->payout, c->cause, c->id);
    memset(&allocs, 0, sizeof(allocs));
    rc = cg_store_fx_allocs_each(s->db, 0, c->id, fx_alloc_list_take, &allocs, err);
    if (rc == CG_OK && allocs.n > 0)
        rc = CG_ERR_SET(err, CG_EREJECT,
                        "receipt %lld is allocated (%s of its %s %s): a payout's arrival is no "
                        "order's money; take it back first (settle unmatch %lld %s)",
                        c->id, allocs.text, c->currency, amt, c->id, allocs.first);
    return rc;
}

/* Why payout f cannot arrive as credit c (CG_EREJECT with the reason), else CG_OK. */
static int payout_refused(const char *spec, const struct payout_seen *f,
                          const struct credit_seen *c, struct cg_err *err)
{
    char amt[40];

    if (f->arrived_in != 0)
        return CG_ERR_SET(err, CG_EREJECT, "payout %s has arrived already: receipt %lld (%s)", spec,
                          f->arrived_in, f->cause);
    if (f->transfer <= 0) {
        fx_amount_format(f->transfer, f->currency, amt, sizeof(amt));
        return CG_ERR_SET(err, CG_EREJECT,
                          "payout %s transferred nothing (%s %s): it has no arrival", spec,
                          f->currency, amt);
    }
    if (strcmp(f->currency, c->currency) != 0)
        return CG_ERR_SET(err, CG_EREJECT,
                          "receipt %lld is in %s, payout %s in %s: a payout arrives in its own "
                          "currency",
                          c->id, c->currency, spec, f->currency);
    return CG_OK;
}

/* "USD 1000.00 transferred, 985.00 credited: 15.00 less, the bank's charges" and the like. */
static void amounts_text(const char *cur, int64_t transferred, int64_t credited, char *out,
                         size_t size)
{
    char t[40], c[40], d[40];

    fx_amount_format(transferred, cur, t, sizeof(t));
    fx_amount_format(credited, cur, c, sizeof(c));
    fx_amount_format(credited > transferred ? credited - transferred : transferred - credited, cur,
                     d, sizeof(d));
    if (credited == transferred)
        snprintf(out, size, "%s %s transferred and credited", cur, t);
    else if (credited < transferred)
        snprintf(out, size, "%s %s transferred, %s credited: %s less, the bank's charges", cur, t,
                 c, d);
    else
        snprintf(out, size, "%s %s transferred, %s credited: %s more, counted as received", cur, t,
                 c, d);
}

/* The operator's event of receipt id: no order's, cause "operator[: NOTE]". */
static int arrival_event(struct cg_settle *s, long long id, const char *note, const char *detail,
                         struct cg_err *err)
{
    struct cg_fx_event e;
    char cause[1100];

    snprintf(cause, sizeof(cause), "operator%s%s", note ? ": " : "", note ? note : "");
    memset(&e, 0, sizeof(e));
    e.receipt_id = id;
    e.cause_kind = "OPERATOR";
    e.cause_ref = cause;
    e.detail = detail;
    e.occurred_on = s->today;
    return cg_store_fx_event_add(s->db, &e, err);
}

static int arrival_tx(struct cg_store *db, void *vctx, struct cg_err *err)
{
    struct arrival_ctx *a = vctx;
    struct cg_settle *s = a->s;
    struct credit_seen c;
    struct payout_seen f;
    struct cg_fx_transfer t;
    char amounts[200], detail[600];
    int rc = credit_load(s, a->receipt, &c, err);

    if (rc == CG_OK)
        rc = credit_refused(s, &c, err);
    if (rc == CG_OK)
        rc = payout_find(s, a->payout, &f, err);
    if (rc == CG_OK)
        rc = payout_refused(a->payout, &f, &c, err);
    if (rc != CG_OK)
        return rc;
    memset(&t, 0, sizeof(t));
    t.receipt_id = c.id;
    t.seller = f.seller;
    t.payout = f.id;
    t.cause = "manual";
    t.transferred = f.transfer;
    t.by = a->by;
    t.on = s->today;
    t.note = a->note;
    rc = cg_store_fx_transfer_add(db, &t, err);
    amounts_text(c.currency, f.transfer, c.net, amounts, sizeof(amounts));
    snprintf(detail, sizeof(detail), "recorded as the arrival of payout %s%s%s by %s (%s)",
             f.seller, f.seller[0] ? "/" : "", f.id, a->by, amounts);
    if (rc == CG_OK)
        rc = arrival_event(s, c.id, a->note, detail, err);
    if (rc == CG_OK)
        snprintf(s->done, sizeof(s->done),
                 "receipt %lld: recorded as the arrival of payout %s (%s)", c.id, a->payout,
                 amounts);
    return rc;
}

static int undo_tx(struct cg_store *db, void *vctx, struct cg_err *err)
{
    struct arrival_ctx *a = vctx;
    struct cg_settle *s = a->s;
    struct credit_seen c;
    char detail[600];
    int rc = credit_load(s, a->receipt, &c, err);

    if (rc == CG_OK && !c.payout[0])
        rc = CG_ERR_SET(err, CG_EREJECT,
                        "receipt %lld is no payout's arrival: nothing to take back", c.id);
    if (rc == CG_OK)
        rc = cg_store_fx_transfer_undo(db, c.id, a->by, s->today, a->note, err);
    snprintf(detail, sizeof(detail), "arrival of payout %s%s%s (%s) taken back by %s", c.seller,
             c.seller[0] ? "/" : "", c.payout, c.cause, a->by);
    if (rc == CG_OK)
        rc = arrival_event(s, c.id, a->note, detail, err);
    if (rc == CG_OK)
        snprintf(s->done, sizeof(s->done),
                 "receipt %lld: no longer the arrival of payout %s (%s): an ordinary receipt "
                 "again, never recorded as an arrival automatically",
                 c.id, c.payout, c.cause);
    return rc;
}

/* One operator action on an arrival, fn, in a transaction of its own. */
static int arrival_run(struct cg_settle *s, long long receipt, const char *payout, const char *by,
                       const char *note, int (*fn)(struct cg_store *, void *, struct cg_err *),
                       struct cg_err *err)
{
    struct arrival_ctx a;

    memset(&a, 0, sizeof(a));
    a.s = s;
    a.receipt = receipt;
    a.payout = payout;
    a.by = by;
    a.note = note;
    s->done[0] = '\0';
    return fx_tx(s, fn, &a, err);
}

int cg_settle_arrival(struct cg_settle *s, long long receipt, const char *payout, const char *by,
                      const char *note, struct cg_err *err)
{
    return arrival_run(s, receipt, payout, by, note, arrival_tx, err);
}

int cg_settle_arrival_undo(struct cg_settle *s, long long receipt, const char *by, const char *note,
                           struct cg_err *err)
{
    return arrival_run(s, receipt, NULL, by, note, undo_tx, err);
}
