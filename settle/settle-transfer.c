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
 * without one) and no other payout fits. Runs in the caller's transaction; memory and database
 * failures come back as CG_ENOMEM / CG_EDB / CG_EBUSY.
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

    if (r->out || r->charge || r->entry_key == NULL || strncmp(r->entry_key, "camt:", 5) != 0 ||
        r->used_principal != 0 || r->used_fees != 0 || r->used_refunds != 0 ||
        fx_day_parse(r->value_on, &day) != CG_OK)
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
        long which;
        const char *cause = NULL;
        rc = arrival_of(s, &l, &l.c[i], &which, &cause, err);
        if (rc != CG_OK || which < 0)
            continue;
        rc = cg_store_fx_transfer_add(s->db, l.c[i].id, l.p[which].seller, l.p[which].id, cause,
                                      err);
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
