/*
 * settle-customs.c - the customs monthly rates ([settle] customs_rates, a CSV file of month,
 * currency and rate) and, for one order, its declared and collected amounts in CNY at the
 * customs rate of its release month beside the CNY its allocations were worth at the bank's
 * rates, and the difference: the FX gain or loss (docs/settlement.md, "FX gain or loss").
 *
 * The table is read whole when a report asks for it and belongs to the caller
 * (fx_customs_free). A bad line of the file is a configuration error naming the file, line and
 * field (CG_ECONFIG); a missing rate is not an error: the figures it would give stay unknown.
 * Every conversion is rounded once, half away from zero, to the fen.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/csvread.h"
#include "settle/settle-int.h"

#define RATES_MAX_LINE 4096

static int month_ok(const char *m)
{
    int i;

    for (i = 0; i < 7; i++) {
        if (i == 4 ? m[i] != '-' : (m[i] < '0' || m[i] > '9'))
            return 0;
    }
    return m[7] == '\0' && ((m[5] == '0' && m[6] >= '1') || (m[5] == '1' && m[6] <= '2'));
}

static int col_of(const struct cg_row *h, const char *name)
{
    size_t i;

    for (i = 0; i < h->nfields; i++) {
        if (strcmp(cg_row_field(h, i), name) == 0)
            return (int)i;
    }
    return -1;
}

void fx_customs_free(struct fx_customs *t)
{
    free(t->r);
    t->r = NULL;
    t->n = 0;
}

const struct fx_customs_rate *fx_customs_find(const struct fx_customs *t, const char *month,
                                              const char *cur)
{
    size_t i;

    for (i = 0; i < t->n; i++) {
        if (strcmp(t->r[i].month, month) == 0 && strcmp(t->r[i].currency, cur) == 0)
            return &t->r[i];
    }
    return NULL;
}

int fx_customs_load(const struct cg_settle *s, struct fx_customs *t, struct cg_err *err)
{
    char *path = cg_conf_get_path(s->conf, "settle", "customs_rates");
    struct cg_csv c;
    struct cg_row *row = NULL;
    int cm = -1, cc = -1, cr = -1, exp;
    int fd, rc, opened = 0;

    memset(t, 0, sizeof(*t));
    if (path == NULL || path[0] == '\0') {
        free(path);
        return CG_OK;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "[settle] customs_rates: %s: cannot read", path);
        goto done;
    }
    rc = cg_csv_open(&c, fd, path, CG_ENC_UTF8, ',', '"', true, RATES_MAX_LINE, err);
    if (rc != CG_OK) {
        close(fd);
        goto done;
    }
    opened = 1;
    while ((rc = cg_csv_next(&c, &row, err)) == CG_OK) {
        struct fx_customs_rate r, *p;
        const char *m, *cur, *rate;
        if (cm < 0) {
            cm = col_of(row, "month");
            cc = col_of(row, "currency");
            cr = col_of(row, "rate");
            if (cm < 0 || cc < 0 || cr < 0) {
                rc =
                    CG_ERR_SET(err, CG_ECONFIG, "%s:%ld: the header needs month, currency and rate",
                               path, row->line);
                goto done;
            }
            continue;
        }
        m = cg_row_field(row, (size_t)cm);
        cur = cg_row_field(row, (size_t)cc);
        rate = cg_row_field(row, (size_t)cr);
        memset(&r, 0, sizeof(r));
        if (!month_ok(m)) {
            rc = CG_ERR_SET(err, CG_ECONFIG, "%s:%ld: field month: '%s' is not YYYY-MM", path,
                            row->line, m);
            goto done;
        }
        if (strlen(cur) != 3 || cg_money_exponent(cur, &exp) != CG_OK) {
            rc = CG_ERR_SET(err, CG_ECONFIG, "%s:%ld: field currency: '%s' is not an ISO 4217 code",
                            path, row->line, cur);
            goto done;
        }
        if (cg_dec_parse(rate, &r.rate) != CG_OK || r.rate <= 0) {
            rc = CG_ERR_SET(err, CG_ECONFIG,
                            "%s:%ld: field rate: '%s' is not a positive decimal with at most 5 "
                            "decimals",
                            path, row->line, rate);
            goto done;
        }
        if (fx_customs_find(t, m, cur) != NULL) {
            rc = CG_ERR_SET(err, CG_ECONFIG, "%s:%ld: %s %s has a rate already", path, row->line,
                            cur, m);
            goto done;
        }
        cg_strlcpy(r.month, m, sizeof(r.month));
        cg_strlcpy(r.currency, cur, sizeof(r.currency));
        cg_strlcpy(r.text, rate, sizeof(r.text));
        p = realloc(t->r, (t->n + 1) * sizeof(*p));
        if (p == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
        t->r = p;
        t->r[t->n++] = r;
    }
    if (rc == CG_ENOTFOUND)
        rc = CG_OK;
    else if (rc == CG_EPARSE && err != NULL)
        err->code = rc = CG_ECONFIG;
done:
    if (opened)
        cg_csv_close(&c);
    if (rc != CG_OK)
        fx_customs_free(t);
    free(path);
    return rc;
}

/* ------------------------------------------------------------------ one order */

struct alloc_copy {
    long long receipt_id;
    int refund, cross, has_order_amount;
    int64_t amount_rcpt, cny;
    char currency[4];
    char value_on[CG_DAY_LEN]; /* the receipt's: the day of the bank's rate */
};

struct alloc_list {
    struct alloc_copy *a;
    size_t n;
};

static int take_alloc(void *ctx, const struct cg_fx_alloc *a)
{
    struct alloc_list *l = ctx;
    struct alloc_copy *p = realloc(l->a, (l->n + 1) * sizeof(*p));

    if (p == NULL)
        return CG_ENOMEM;
    l->a = p;
    p = &l->a[l->n++];
    memset(p, 0, sizeof(*p));
    p->receipt_id = a->receipt_id;
    p->refund = strcmp(a->kind, "REFUND_OUT") == 0 || strcmp(a->kind, "FEE_REVERSED") == 0;
    p->cross = a->cross;
    p->has_order_amount = a->has_order_amount;
    p->amount_rcpt = a->amount_rcpt;
    p->cny = a->cny;
    cg_strlcpy(p->currency, a->currency, sizeof(p->currency));
    cg_strlcpy(p->value_on, a->value_on, sizeof(p->value_on));
    return 0;
}

/* CNY of one allocation at the bank's rate of its receipt's value day; CG_ENOTFOUND: no rate. */
static int bank_cny(struct cg_settle *s, const struct alloc_copy *a, int64_t *fen, char *missing,
                    size_t size, struct cg_err *err)
{
    const char *day = a->value_on;
    char text[32], source[64];
    int64_t rate = CG_DEC_ONE;
    int rc;

    if (a->cross) {
        /* converted by the operator with the bank's rates: the CNY basis is stored with it */
        if (!a->has_order_amount) {
            snprintf(missing, size, "%s review", a->currency);
            return CG_ENOTFOUND;
        }
        *fen = a->cny;
        return CG_OK;
    }
    if (strcmp(a->currency, "CNY") != 0) {
        /* the receipt's value day comes with the allocation: reading the receipt again would
           add up every allocation of it, for each order it paid */
        rc = cg_store_fx_rate_get(s->db, a->currency, day, text, source, err);
        if (rc == CG_ENOTFOUND) {
            snprintf(missing, size, "%s %s", a->currency, day);
            return CG_ENOTFOUND;
        }
        if (rc == CG_OK && (cg_dec_parse(text, &rate) != CG_OK || rate <= 0))
            return CG_ERR_SET(err, CG_EREJECT, "stored %s rate of %s '%s' is not a rate",
                              a->currency, day, text);
        if (rc != CG_OK)
            return rc;
    }
    if (fx_to_cny(a->amount_rcpt, a->currency, rate, fen) != CG_OK)
        return CG_ERR_SET(err, CG_EREJECT, "%s amount out of range", a->currency);
    return CG_OK;
}

int fx_gain_of(struct cg_settle *s, const struct fx_customs *t, const struct fx_view *v,
               struct fx_gain *g, struct cg_err *err)
{
    struct alloc_list l = {NULL, 0};
    char month[8];
    size_t i;
    int rc;

    memset(g, 0, sizeof(*g));
    snprintf(month, sizeof(month), "%.7s", v->export_on);
    g->rate = v->export_on[0] != '\0' ? fx_customs_find(t, month, v->currency) : NULL;
    if (g->rate != NULL &&
        (fx_to_cny(v->declared, v->currency, g->rate->rate, &g->declared_cny) != CG_OK ||
         fx_to_cny(v->collected, v->currency, g->rate->rate, &g->collected_cny) != CG_OK))
        return CG_ERR_SET(err, CG_EREJECT, "order %s: amount out of range", v->order_no);
    rc = cg_store_fx_allocs_each(s->db, v->id, 0, take_alloc, &l, err);
    if (rc == CG_ENOMEM)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    g->priced = 1;
    for (i = 0; rc == CG_OK && i < l.n; i++) {
        int64_t fen = 0;
        rc = bank_cny(s, &l.a[i], &fen, g->missing, sizeof(g->missing), err);
        if (rc == CG_ENOTFOUND) {
            g->priced = 0;
            rc = CG_OK;
            break;
        }
        g->bank_cny += l.a[i].refund ? -fen : fen;
    }
    if (rc == CG_OK && g->priced && g->rate != NULL)
        g->gain = g->bank_cny - g->collected_cny;
    free(l.a);
    return rc;
}
