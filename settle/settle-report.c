/*
 * settle-report.c - the FX reports as tables of text cells (rendered by cli/cmd-report.c).
 *
 * Every figure is computed from the stored receipts, allocations and settlements at the time
 * of the call, with the derived collection state as of the given day; nothing is cached. Amounts
 * are formatted with the currency's own decimals; amounts in different currencies are never
 * added together. The table and its cells belong to the caller (cg_table_free).
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "settle/settle-int.h"

struct tb {
    struct cg_table *t;
    size_t cap;
    int nomem;
};

static int tb_new(struct tb *b, const char *cols)
{
    char *copy = cg_strdup(cols);
    char *save = NULL, *tok;

    memset(b, 0, sizeof(*b));
    b->t = calloc(1, sizeof(*b->t));
    if (b->t == NULL || copy == NULL) {
        free(copy);
        free(b->t);
        b->t = NULL;
        return CG_ENOMEM;
    }
    for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        char **c = realloc(b->t->cols, (b->t->ncols + 1) * sizeof(*c));
        if (c == NULL || (c[b->t->ncols] = cg_strdup(tok)) == NULL) {
            if (c != NULL)
                b->t->cols = c;
            b->nomem = 1;
            break;
        }
        b->t->cols = c;
        b->t->ncols++;
    }
    free(copy);
    return b->nomem ? CG_ENOMEM : CG_OK;
}

/* Add a row of t->ncols cells given as strings. */
static void tb_row(struct tb *b, ...)
{
    va_list ap;
    size_t i;

    if (b->nomem)
        return;
    if ((b->t->nrows + 1) * b->t->ncols > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : b->t->ncols * 16;
        char **c = realloc(b->t->cells, cap * sizeof(*c));
        if (c == NULL) {
            b->nomem = 1;
            return;
        }
        b->t->cells = c;
        b->cap = cap;
    }
    va_start(ap, b);
    for (i = 0; i < b->t->ncols; i++) {
        const char *s = va_arg(ap, const char *);
        char *d = cg_strdup(s != NULL ? s : "");
        if (d == NULL)
            b->nomem = 1;
        b->t->cells[b->t->nrows * b->t->ncols + i] = d != NULL ? d : cg_strdup("");
    }
    va_end(ap);
    b->t->nrows++;
}

static const char *amt(char *buf, int64_t minor, const char *cur)
{
    fx_amount_format(minor, cur, buf, 40);
    return buf;
}

static const char *num(char *buf, long long n)
{
    snprintf(buf, 24, "%lld", n);
    return buf;
}

/* ------------------------------------------------------------------ per-currency sums */

enum { NB = 5 };

struct cur_sum {
    char currency[4];
    char month[8];
    int64_t v[10];
    long n[3];
};

struct sums {
    struct cur_sum *c;
    size_t n;
};

static struct cur_sum *sum_of(struct sums *s, const char *cur, const char *month)
{
    size_t i;
    struct cur_sum *p;

    for (i = 0; i < s->n; i++) {
        if (strcmp(s->c[i].currency, cur) == 0 && strcmp(s->c[i].month, month) == 0)
            return &s->c[i];
    }
    p = realloc(s->c, (s->n + 1) * sizeof(*p));
    if (p == NULL)
        return NULL;
    s->c = p;
    p = &s->c[s->n++];
    memset(p, 0, sizeof(*p));
    cg_strlcpy(p->currency, cur, sizeof(p->currency));
    cg_strlcpy(p->month, month, sizeof(p->month));
    return p;
}

static int cmp_sum(const void *a, const void *b)
{
    const struct cur_sum *x = a, *y = b;
    int c = strcmp(x->currency, y->currency);

    return c != 0 ? c : strcmp(x->month, y->month);
}

/* By currency, then month. */
static void sort_sums(struct sums *s)
{
    if (s->n > 1)
        qsort(s->c, s->n, sizeof(s->c[0]), cmp_sum);
}

struct rep_ctx {
    struct cg_settle *s;
    int report; /* enum cg_fx_report */
    struct fx_customs customs;
    const char *as_of;
    long today;
    long china; /* fx_china_day of today: what the deadlines are compared with */
    struct tb *b;
    struct sums sums;
    struct cg_err *err;
    int rc;
};

/* ------------------------------------------------------------------ orders, aging, credit */

/*
 * The orders are read in one pass (fx_views_each): each row_* callback gets an order's view,
 * derived as of the report's day, and its seller's configuration.
 */

/* The sums of v's release month and currency; *cs is NULL for an order not released yet. */
static int release_sum(struct rep_ctx *c, const struct fx_view *v, struct cur_sum **cs)
{
    char month[8];

    *cs = NULL;
    if (v->export_on[0] == '\0')
        return CG_OK;
    snprintf(month, sizeof(month), "%.7s", v->export_on);
    *cs = sum_of(&c->sums, v->currency, month);
    return *cs == NULL ? CG_ENOMEM : CG_OK;
}

/* CNY columns: empty when what they need is not known. */
static const char *cny_if(char *buf, int known, int64_t fen)
{
    buf[0] = '\0';
    return known ? amt(buf, fen, "CNY") : buf;
}

static int row_order(void *vctx, const struct fx_view *vp, const struct fx_seller_conf *conf)
{
    struct rep_ctx *c = vctx;
    const struct fx_view v = *vp;
    struct fx_gain g;
    char a[40], b[40], d[40], e[40], f[40], h[40], k[40], m[40], p[40], name[140], flags[128];
    /* Not exported (customs has not released it, or refused its inventory): nothing is due, so
     * nothing is open, whatever it will expect once released. */
    int not_due = v.state == CG_FX_NOT_EXPORTED;

    (void)conf;
    c->rc = fx_gain_of(c->s, &c->customs, &v, &g, c->err);
    if (c->rc != CG_OK)
        return c->rc;
    snprintf(name, sizeof(name), "%s%s%s", v.seller, v.seller[0] ? "/" : "", v.order_no);
    snprintf(flags, sizeof(flags), "%s%s%s%s%s%s",
             v.sums.pending_cross > 0 ? "CROSS_CCY review" : (v.sums.cross > 0 ? "CROSS_CCY" : ""),
             v.sums.cross > 0 && !g.priced ? "; " : "", g.priced ? "" : "no bank rate ",
             g.priced ? "" : g.missing, not_due && (v.sums.cross > 0 || !g.priced) ? "; " : "",
             not_due ? "not due: not exported" : "");
    tb_row(c->b, name, v.currency, amt(a, v.declared, v.currency), v.export_on,
           cg_fx_state_name(v.state), amt(b, v.expected, v.currency),
           amt(d, v.collected, v.currency), amt(e, not_due ? 0 : v.open, v.currency), v.deadline,
           flags, g.rate != NULL ? g.rate->text : "", cny_if(f, g.rate != NULL, g.declared_cny),
           cny_if(h, g.rate != NULL, g.collected_cny), cny_if(k, g.priced, g.bank_cny),
           cny_if(m, g.priced && g.rate != NULL, g.gain),
           v.has_charge ? amt(p, v.charge, v.currency) : "");
    return 0;
}

/*
 * Gains per release month and currency: v[0] declared, v[1] declared CNY, v[2] collected,
 * v[3] collected CNY at the customs rate, v[4] at the bank rates, v[5] gain, of the orders
 * whose allocations all have bank rates (v[2..5]); n[0] orders, n[1] the others.
 */
static int row_gain(void *vctx, const struct fx_view *v, const struct fx_seller_conf *conf)
{
    struct rep_ctx *c = vctx;
    struct fx_gain g;
    struct cur_sum *cs;
    int rc = release_sum(c, v, &cs);

    (void)conf;
    if (rc != CG_OK || cs == NULL)
        return rc;
    c->rc = fx_gain_of(c->s, &c->customs, v, &g, c->err);
    if (c->rc != CG_OK)
        return c->rc;
    cs->n[0]++;
    cs->v[0] += v->declared;
    cs->v[1] += g.declared_cny;
    if (!g.priced) {
        cs->n[1]++;
        return 0;
    }
    cs->v[2] += v->collected;
    cs->v[3] += g.collected_cny;
    cs->v[4] += g.bank_cny;
    cs->v[5] += g.gain;
    return 0;
}

/* After the pass over the orders (row_gain): a row per release month and currency. */
static int gains_rows(struct rep_ctx *c)
{
    size_t i;

    sort_sums(&c->sums);
    for (i = 0; i < c->sums.n; i++) {
        struct cur_sum *cs = &c->sums.c[i];
        const char *cur = cs->currency;
        const struct fx_customs_rate *r = fx_customs_find(&c->customs, cs->month, cur);
        char a[40], b[40], d[40], e[40], f[40], g[40], n1[24], n2[24];
        tb_row(c->b, cs->month, cur, num(n1, cs->n[0]), amt(a, cs->v[0], cur),
               r != NULL ? r->text : "", cny_if(b, r != NULL, cs->v[1]), amt(d, cs->v[2], cur),
               cny_if(e, r != NULL, cs->v[3]), amt(f, cs->v[4], "CNY"),
               cny_if(g, r != NULL, cs->v[5]), num(n2, cs->n[1]));
    }
    return CG_OK;
}

/*
 * The as-of day is a UTC day and the report is as at its end; the release day is a China date
 * (UTC+8), so the release is compared as an instant: an order counts once released by the end of
 * the as-of day, aged in UTC days from its release instant.
 */
static int row_aging(void *vctx, const struct fx_view *v, const struct fx_seller_conf *conf)
{
    struct rep_ctx *c = vctx;
    struct cur_sum *cs;
    long ex, age;
    int k;

    (void)conf;
    if (v->state != CG_FX_AWAITING && v->state != CG_FX_PARTIAL && v->state != CG_FX_OVERDUE)
        return 0;
    if (v->open <= 0 || fx_day_parse(v->released_utc_on, &ex) != CG_OK || ex > c->today)
        return 0;
    age = c->today - ex;
    k = age <= 30 ? 0 : age <= 60 ? 1 : age <= 90 ? 2 : age <= 180 ? 3 : 4;
    cs = sum_of(&c->sums, v->currency, "");
    if (cs == NULL)
        return CG_ENOMEM;
    cs->v[k] += v->open;
    cs->v[NB] += v->open;
    cs->n[0]++;
    return 0;
}

static int row_credit(void *vctx, const struct fx_view *v, const struct fx_seller_conf *conf)
{
    struct rep_ctx *c = vctx;
    long ex;
    char due[CG_DAY_LEN], a[40], t[24], name[140];
    const char *st;

    if (conf->terms_days <= conf->credit_days || fx_day_parse(v->export_on, &ex) != CG_OK)
        return 0;
    fx_day_format(ex + conf->credit_report_days, due);
    if (v->sums.credit_filed > 0)
        st = "filed";
    else if (v->state == CG_FX_COLLECTED || v->state == CG_FX_DEEMED)
        st = "not needed (collected)";
    else if (c->china > ex + conf->credit_report_days)
        st = "OVERDUE";
    else
        st = "due";
    snprintf(name, sizeof(name), "%s%s%s", v->seller, v->seller[0] ? "/" : "", v->order_no);
    tb_row(c->b, name, v->export_on, num(t, conf->terms_days), due, st, v->currency,
           amt(a, v->open, v->currency));
    return 0;
}

/* ------------------------------------------------------------------ reconciliation */

/* v[4]: declared less returned at the customs rate of the month (none known: n[2] = 0). */
static int rec_order(void *vctx, const struct fx_view *v, const struct fx_seller_conf *conf)
{
    struct rep_ctx *c = vctx;
    struct cur_sum *cs;
    const struct fx_customs_rate *r;
    int64_t fen = 0;
    int rc = release_sum(c, v, &cs);

    (void)conf;
    if (rc != CG_OK || cs == NULL)
        return rc;
    cs->v[0] += v->declared - v->sums.returned;
    r = fx_customs_find(&c->customs, cs->month, v->currency);
    if (r != NULL) {
        if (fx_to_cny(v->declared - v->sums.returned, v->currency, r->rate, &fen) != CG_OK)
            return CG_ERR_SET(c->err, CG_EREJECT, "order %s: amount out of range", v->order_no);
        cs->v[4] += fen;
        cs->n[2] = 1;
    }
    if (v->state == CG_FX_OVER_COLLECTED)
        cs->n[0]++;
    if (v->sums.cross > 0)
        cs->n[1]++;
    return 0;
}

static int rec_receipt(void *vctx, const struct cg_fx_receipt *r)
{
    struct rep_ctx *c = vctx;
    struct cur_sum *cs;
    char month[8];

    if (r->transfer_payout != NULL && r->net == r->transfer_amount)
        return 0; /* a payout's arrival: its money counted with the payout's receipts */
    snprintf(month, sizeof(month), "%.7s", r->value_on);
    cs = sum_of(&c->sums, r->currency, month);
    if (cs == NULL)
        return CG_ENOMEM;
    if (r->transfer_payout != NULL && r->net < r->transfer_amount) {
        /* credited less than the payout transferred: the bank's charge on the transfer */
        cs->v[2] += r->transfer_amount - r->net;
    } else if (r->transfer_payout != NULL) {
        /* credited more: what is over is money received that the payout did not give */
        cs->v[1] += r->net - r->transfer_amount;
    } else if (fx_fee_given_back(r)) {
        /* the buyer gets the gross; the fee given back with it lowers the fees */
        cs->v[2] -= r->fee;
        cs->v[3] += r->gross;
    } else if (r->charge) {
        /*
         * the bank's own charge (an account fee): a fee of the account, nobody's refund; but what
         * the operator recorded as an order's refund (settle match) went to that buyer
         */
        cs->v[2] += r->net - r->used_refunds;
        cs->v[3] += r->used_refunds;
    } else if (r->out) {
        /* a bank's transfer: the amount debited went out, its charges are the bank's */
        cs->v[3] += r->net;
    } else {
        cs->v[1] += r->gross;
        cs->v[2] += r->fee;
    }
    return 0;
}

static int rec_cross(void *vctx, const struct cg_fx_alloc *a)
{
    struct rep_ctx *c = vctx;
    struct fx_view v;
    char x[40], y[40], note[160];

    if (!a->cross)
        return 0;
    c->rc = fx_view_load(c->s, a->order_id, c->as_of, &v, c->err);
    if (c->rc != CG_OK)
        return c->rc;
    if (a->has_order_amount)
        snprintf(note, sizeof(note), "cross-currency: %s %s of receipt %lld counted as %s %s",
                 a->currency, amt(x, a->amount_rcpt, a->currency), a->receipt_id, v.currency,
                 amt(y, a->amount_order, v.currency));
    else
        snprintf(note, sizeof(note), "cross-currency: %s %s of receipt %lld waits for review",
                 a->currency, amt(x, a->amount_rcpt, a->currency), a->receipt_id);
    tb_row(c->b, v.currency, "", "", "", "", "", "", "", "", "", "", "", note);
    return 0;
}

/* got / declared in percent, 2 decimals, half away from zero; empty when nothing declared. */
static const char *ratio(char *buf, int64_t got, int64_t declared)
{
    int64_t bp = 0;

    buf[0] = '\0';
    if (declared > 0 && fx_muldiv(got, 10000, declared, &bp) == CG_OK)
        snprintf(buf, 32, "%s%lld.%02lld", bp < 0 ? "-" : "", (long long)(llabs(bp) / 100),
                 (long long)(llabs(bp) % 100));
    return buf;
}

/* One row of reconcile: the sums of a currency over a month (or over all of them). */
static void rec_row(struct rep_ctx *c, const struct cur_sum *cs, const char *month,
                    const char *note)
{
    const char *cur = cs->currency;
    char a[40], b[40], d[40], e[40], f[40], g[40], h[40], r[32], n1[24], n2[24];
    int64_t net = cs->v[1] - cs->v[2] - cs->v[3];
    /* received gross less refunds against what was declared: fees are netted, not owed */
    int64_t diff = cs->v[1] - cs->v[3] - cs->v[0];

    tb_row(c->b, cur, month, amt(a, cs->v[0], cur), cny_if(h, cs->n[2], cs->v[4]),
           amt(b, cs->v[1], cur), amt(d, cs->v[2], cur), amt(e, cs->v[3], cur), amt(f, net, cur),
           amt(g, diff, cur), ratio(r, cs->v[1] - cs->v[3], cs->v[0]), num(n1, cs->n[0]),
           num(n2, cs->n[1]), note);
}

/* After the pass over the orders (rec_order): the receipts, the rows, the cross allocations. */
static int reconcile_rows(struct rep_ctx *c)
{
    size_t i;
    int rc = cg_store_fx_receipts_each(c->s->db, 0, rec_receipt, c, c->err);

    if (rc != CG_OK)
        return rc;
    sort_sums(&c->sums);
    for (i = 0; i < c->sums.n; i++) {
        struct cur_sum *cs = &c->sums.c[i];

        rec_row(c, cs, cs->month, "");
        /*
         * A currency over several months ends with its total: a buyer pays before release, so
         * a month may hold money for orders declared in the next one, and only the total over
         * the months shows the currency's ratio (the figure SAFE looks at over a period).
         */
        if (i > 0 && strcmp(c->sums.c[i - 1].currency, cs->currency) == 0 &&
            (i + 1 == c->sums.n || strcmp(c->sums.c[i + 1].currency, cs->currency) != 0)) {
            struct cur_sum t;
            size_t j, k, first = i;

            while (first > 0 && strcmp(c->sums.c[first - 1].currency, cs->currency) == 0)
                first--;
            memset(&t, 0, sizeof(t));
            t.n[2] = 1;
            for (j = first; j <= i; j++) {
                for (k = 0; k < sizeof(t.v) / sizeof(t.v[0]); k++)
                    t.v[k] += c->sums.c[j].v[k];
                t.n[0] += c->sums.c[j].n[0];
                t.n[1] += c->sums.c[j].n[1];
                /* CNY only when every month with declared orders had its rate */
                if (c->sums.c[j].v[0] != 0 && !c->sums.c[j].n[2])
                    t.n[2] = 0;
            }
            cg_strlcpy(t.currency, cs->currency, sizeof(t.currency));
            rec_row(c, &t, "total", "all months above");
        }
    }
    return cg_store_fx_allocs_each(c->s->db, 0, 0, rec_cross, c, c->err);
}

/* ------------------------------------------------------------------ receipts, settlement */

/*
 * A receipt with money left: one to act on is a row; the bank's own charge is no order's money
 * and only adds to its currency's count (n[0]) and amount left (v[0]), shown apart.
 */
static int row_unmatched(void *vctx, const struct cg_fx_receipt *r)
{
    struct rep_ctx *c = vctx;
    char id[24], a[40], b[40], d[40], e[40];
    int64_t left = r->net - r->used_principal - r->used_refunds;

    if (r->charge) {
        struct cur_sum *cs = sum_of(&c->sums, r->currency, "");
        if (cs == NULL)
            return CG_ENOMEM;
        cs->n[0]++;
        cs->v[0] += left;
        return 0;
    }
    tb_row(c->b, num(id, r->id), r->seller, r->value_on, r->out ? "out" : "in", r->currency,
           amt(a, r->gross, r->currency), amt(b, r->fee, r->currency), amt(d, r->net, r->currency),
           amt(e, left, r->currency), r->reference, r->remitter);
    return 0;
}

/* The bank's own charges with money left, each with how it came to be one. */
static int row_charge(void *vctx, const struct cg_fx_receipt *r)
{
    struct rep_ctx *c = vctx;
    char id[24], a[40], how[1200];

    if (!r->charge)
        return 0;
    if (r->charge_by != NULL)
        snprintf(how, sizeof(how), "by %s on %s: %s", r->charge_by, r->charge_on, r->charge_reason);
    else
        snprintf(how, sizeof(how), "at import");
    tb_row(c->b, num(id, r->id), r->seller, r->value_on, r->currency,
           amt(a, r->net - r->used_principal - r->used_refunds, r->currency), how, r->reference,
           r->remitter);
    return 0;
}

static int row_holding(void *vctx, const struct cg_fx_holding *h)
{
    struct rep_ctx *c = vctx;
    char a[40], b[40], d[40], e[40], f[40], g[40], n[24];
    int exp = 2;
    int64_t div, avg = 0;

    if (strcmp(h->currency, "CNY") == 0)
        return 0;
    g[0] = '\0';
    /* average bank rate: CNY per unit = fen * 10^exp * 10^4 / (minor * 100), 4 decimals */
    if (h->settled > 0 && cg_money_exponent(h->currency, &exp) == CG_OK &&
        fx_pow10(exp + 2, &div) == CG_OK && fx_muldiv(h->cny, div, h->settled, &avg) == CG_OK)
        snprintf(g, sizeof(g), "%lld.%04lld", (long long)(avg / 10000), (long long)(avg % 10000));
    tb_row(c->b, h->currency, amt(a, h->received, h->currency), amt(b, h->paid_out, h->currency),
           amt(d, h->settled, h->currency),
           amt(e, h->received - h->paid_out - h->settled, h->currency), amt(f, h->cny, "CNY"), g,
           num(n, h->settlements));
    return 0;
}

/* The receipts to act on, then a part apart: the bank's charges per currency. */
static int unmatched_rows(struct rep_ctx *c)
{
    struct tb part;
    size_t i;
    int rc = cg_store_fx_receipts_each(c->s->db, 1, row_unmatched, c, c->err);

    if (rc != CG_OK)
        return rc;
    if (tb_new(&part, "currency,receipts,amount") != CG_OK) {
        cg_table_free(part.t);
        return CG_ENOMEM;
    }
    c->b->t->id = "receipts";
    c->b->t->part = part.t;
    part.t->id = "bank_charges";
    part.t->title = "bank charges (not for orders; cebgate report fx charges lists them)";
    sort_sums(&c->sums);
    for (i = 0; i < c->sums.n; i++) {
        struct cur_sum *cs = &c->sums.c[i];
        char n[24], a[40];
        tb_row(&part, cs->currency, num(n, cs->n[0]), amt(a, cs->v[0], cs->currency));
    }
    return part.nomem ? CG_ENOMEM : CG_OK;
}

struct unmatched_count {
    const char *seller;
    char last[CG_DAY_LEN]; /* the latest value day counted */
    long n;
};

static int count_unmatched(void *vctx, const struct cg_fx_receipt *r)
{
    struct unmatched_count *u = vctx;

    if (r->charge || strcmp(r->value_on, u->last) > 0 ||
        (u->seller != NULL && strcmp(r->seller != NULL ? r->seller : "", u->seller) != 0))
        return 0;
    u->n++;
    return 0;
}

int cg_settle_unmatched_count(struct cg_settle *s, const char *seller, const char *as_of, long days,
                              long *n, struct cg_err *err)
{
    struct unmatched_count u;
    long d;
    int rc;

    *n = 0;
    if (fx_day_parse(as_of, &d) != CG_OK)
        return CG_ERR_SET(err, CG_EINVAL, "'%s' is not a day (YYYY-MM-DD)", as_of);
    memset(&u, 0, sizeof(u));
    u.seller = seller;
    fx_day_format(d - days, u.last);
    rc = cg_store_fx_receipts_each(s->db, 1, count_unmatched, &u, err);
    if (rc == CG_OK)
        *n = u.n;
    return rc;
}

static int charge_rows(struct rep_ctx *c)
{
    return cg_store_fx_receipts_each(c->s->db, 1, row_charge, c, c->err);
}

static int holding_rows(struct rep_ctx *c)
{
    return cg_store_fx_holdings_each(c->s->db, NULL, row_holding, c, c->err);
}

/* ------------------------------------------------------------------ entry */

static const char *const report_names[] = {"aging",      "reconcile", "unmatched", "credit",
                                           "settlement", "orders",    "gains",     "charges"};

int cg_fx_report_parse(const char *name)
{
    int i;

    for (i = 0; i <= CG_FXR_CHARGES; i++) {
        if (strcmp(name, report_names[i]) == 0)
            return i;
    }
    return -1;
}

/* After the pass over the orders (row_aging): a row per currency. */
static int aging_rows(struct rep_ctx *c)
{
    size_t i;

    sort_sums(&c->sums);
    for (i = 0; i < c->sums.n; i++) {
        struct cur_sum *cs = &c->sums.c[i];
        char v[6][40], n[24];
        int k;
        for (k = 0; k <= NB; k++)
            amt(v[k], cs->v[k], cs->currency);
        tb_row(c->b, cs->currency, v[0], v[1], v[2], v[3], v[4], v[5], num(n, cs->n[0]));
    }
    return CG_OK;
}

/* Each report: what it does for each order in the common pass (NULL: none), then at the end. */
static const struct {
    fx_view_fn row;
    int (*finish)(struct rep_ctx *c);
} kinds[] = {
    [CG_FXR_AGING] = {row_aging, aging_rows},    [CG_FXR_RECONCILE] = {rec_order, reconcile_rows},
    [CG_FXR_UNMATCHED] = {NULL, unmatched_rows}, [CG_FXR_CREDIT] = {row_credit, NULL},
    [CG_FXR_SETTLEMENT] = {NULL, holding_rows},  [CG_FXR_ORDERS] = {row_order, NULL},
    [CG_FXR_GAINS] = {row_gain, gains_rows},     [CG_FXR_CHARGES] = {NULL, charge_rows},
};

struct multi {
    struct rep_ctx *c;
    size_t n;
    const char *seller; /* NULL: every seller's orders */
};

/* One order of the common pass, handed to every report that reads orders. */
static int multi_row(void *vctx, const struct fx_view *v, const struct fx_seller_conf *conf)
{
    struct multi *m = vctx;
    size_t i;
    int rc;

    if (m->seller != NULL && strcmp(v->seller, m->seller) != 0)
        return 0;
    for (i = 0; i < m->n; i++) {
        if (kinds[m->c[i].report].row != NULL &&
            (rc = kinds[m->c[i].report].row(&m->c[i], v, conf)) != 0)
            return rc;
    }
    return 0;
}

static const char *const cols[] = {
    "currency,0-30,31-60,61-90,91-180,>180,total,orders",
    "currency,month,declared,declared_cny,received,fees,refunds,net,difference,ratio,"
    "over_collected,cross_ccy,note",
    "receipt,seller,value_date,direction,currency,gross,fee,net,unallocated,reference,"
    "remitter",
    "order,released,terms_days,report_due,status,currency,open",
    "currency,received,paid_out,settled,held,cny,average_rate,settlements",
    "order,currency,declared,released,state,expected,collected,open,tax_deadline,flags,"
    "customs_rate,declared_cny,collected_cny_customs,collected_cny_bank,fx_gain_loss,charged",
    "month,currency,orders,declared,customs_rate,declared_cny,collected,"
    "collected_cny_customs,collected_cny_bank,fx_gain_loss,unpriced",
    "receipt,seller,value_date,currency,amount,recorded,reference,remitter",
};

int cg_settle_reports(struct cg_settle *s, const int *reports, size_t n, const char *as_of,
                      struct cg_table **out, struct cg_err *err)
{
    struct rep_ctx *c = calloc(n > 0 ? n : 1, sizeof(*c));
    struct tb *b = calloc(n > 0 ? n : 1, sizeof(*b));
    struct multi m = {c, n, s->report_seller};
    long today;
    size_t i;
    int rc = CG_OK, pass = 0;

    if (as_of == NULL)
        as_of = s->today;
    if (c == NULL || b == NULL) {
        free(c);
        free(b);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    if (fx_day_parse(as_of, &today) != CG_OK)
        rc = CG_ERR_SET(err, CG_EREJECT, "'%s' is not a day (YYYY-MM-DD)", as_of);
    for (i = 0; rc == CG_OK && i < n; i++) {
        int r = reports[i];
        if (r < 0 || r > CG_FXR_CHARGES) {
            rc = CG_ERR_SET(err, CG_EINVAL, "unknown report");
            break;
        }
        if (s->report_seller != NULL && !cg_fx_report_by_seller(r)) {
            rc = CG_ERR_SET(err, CG_EINVAL,
                            "--seller: the %s report is over the accounts, not one seller's "
                            "orders (aging, credit, orders and gains can be for one seller)",
                            report_names[r]);
            break;
        }
        c[i].s = s;
        c[i].report = r;
        c[i].as_of = as_of;
        c[i].today = today;
        c[i].china = fx_china_day(s, today);
        c[i].b = &b[i];
        c[i].err = err;
        if (tb_new(&b[i], cols[r]) != CG_OK)
            rc = CG_ENOMEM;
        else if ((r == CG_FXR_ORDERS || r == CG_FXR_GAINS || r == CG_FXR_RECONCILE))
            rc = fx_customs_load(s, &c[i].customs, err);
        pass |= kinds[r].row != NULL;
    }
    if (rc == CG_OK && pass)
        rc = fx_views_each(s, as_of, multi_row, &m, err);
    for (i = 0; rc == CG_OK && i < n; i++) {
        if (kinds[c[i].report].finish != NULL)
            rc = kinds[c[i].report].finish(&c[i]);
        if (rc == CG_OK && b[i].nomem)
            rc = CG_ENOMEM;
    }
    if (rc == CG_ENOMEM)
        CG_ERR_SET(err, rc, "out of memory");
    for (i = 0; i < n; i++) {
        free(c[i].sums.c);
        fx_customs_free(&c[i].customs);
        if (rc == CG_OK)
            out[i] = b[i].t;
        else
            cg_table_free(b[i].t);
    }
    free(c);
    free(b);
    return rc;
}

void cg_settle_set_report_seller(struct cg_settle *s, const char *seller)
{
    s->report_seller = seller;
}

int cg_fx_report_by_seller(int report)
{
    return report == CG_FXR_AGING || report == CG_FXR_CREDIT || report == CG_FXR_ORDERS ||
           report == CG_FXR_GAINS;
}

int cg_settle_report(struct cg_settle *s, int report, const char *as_of, struct cg_table **out,
                     struct cg_err *err)
{
    return cg_settle_reports(s, &report, 1, as_of, out, err);
}

int cg_settle_cross_pending(struct cg_settle *s, const char *seller, long *n, struct cg_err *err)
{
    return cg_store_fx_cross_pending(s->db, seller, n, err);
}

struct overdue_ctx {
    const char *seller;
    long n;
};

static int count_overdue(void *vctx, const struct fx_view *v, const struct fx_seller_conf *conf)
{
    struct overdue_ctx *c = vctx;

    (void)conf;
    if (v->state == CG_FX_OVERDUE && (c->seller == NULL || strcmp(v->seller, c->seller) == 0))
        c->n++;
    return 0;
}

int cg_settle_overdue_count(struct cg_settle *s, const char *seller, const char *as_of, long *n,
                            struct cg_err *err)
{
    struct overdue_ctx c = {seller, 0};
    long day;
    int rc;

    if (as_of != NULL && fx_day_parse(as_of, &day) != CG_OK)
        return CG_ERR_SET(err, CG_EINVAL, "'%s' is not a day (YYYY-MM-DD)", as_of);
    rc = fx_views_each(s, as_of, count_overdue, &c, err);
    if (rc == CG_OK)
        *n = c.n;
    return rc;
}
