/*
 * refund-report.c - the refund reports as tables of text (struct cg_table of settle/settle.h):
 * the pipeline by state and export month, the deadline calendar, the amounts at risk, invoice
 * utilisation, clawbacks, and every unit.
 *
 * Reads only. The table and its cells belong to the caller (cg_table_free). Amounts are CNY
 * with two decimals, computed from the stored fen; nothing is rounded here.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "refund/refund-int.h"
#include "settle/settle.h"

static const char *const report_names[] = {"pipeline",  "calendar", "risk",   "invoices",
                                           "clawbacks", "units",    "archive"};

int cg_refund_report_parse(const char *name)
{
    size_t i;

    for (i = 0; name != NULL && i < sizeof(report_names) / sizeof(report_names[0]); i++)
        if (strcmp(name, report_names[i]) == 0)
            return (int)i;
    return -1;
}

struct rep {
    struct cg_refund *r;
    int kind;
    const char *as_of;
    char until[11];
    struct cg_table *t;
    size_t cap;
    int nomem;
    /* pipeline: one bucket per (month, state) */
    struct bucket {
        char month[8], state[24];
        long units;
        int64_t invoice, refund, refunded, to_come, shortfall;
    } * b;
    size_t nb;
};

/* Append a row of t->ncols cells (copied). */
static void add_row(struct rep *p, const char *const *cells)
{
    size_t i, nc = p->t->ncols;

    if (p->nomem)
        return;
    if ((p->t->nrows + 1) * nc > p->cap) {
        size_t cap = p->cap ? p->cap * 2 : nc * 32;
        char **c = realloc(p->t->cells, cap * sizeof(*c));
        if (c == NULL) {
            p->nomem = 1;
            return;
        }
        p->t->cells = c;
        p->cap = cap;
    }
    for (i = 0; i < nc; i++) {
        char *d = cg_strdup(cells[i] != NULL ? cells[i] : "");
        if (d == NULL)
            p->nomem = 1;
        p->t->cells[p->t->nrows * nc + i] = d;
    }
    p->t->nrows++;
    if (p->nomem) /* keep the table freeable: a short row is dropped */
        for (i = 0; i < nc; i++)
            if (p->t->cells[(p->t->nrows - 1) * nc + i] == NULL)
                p->t->cells[(p->t->nrows - 1) * nc + i] = cg_strdup("");
}

static int set_cols(struct rep *p, const char *const *cols, size_t n)
{
    size_t i;

    p->t = calloc(1, sizeof(*p->t));
    if (p->t == NULL || (p->t->cols = calloc(n, sizeof(char *))) == NULL)
        return CG_ENOMEM;
    for (i = 0; i < n; i++)
        if ((p->t->cols[p->t->ncols++] = cg_strdup(cols[i])) == NULL)
            return CG_ENOMEM;
    return CG_OK;
}

/* Not yet filed: the states a deadline still matters for. */
static int rank_open(const char *s)
{
    return strcmp(s, "WAIT_CLEARANCE") == 0 || strcmp(s, "WAIT_DOCS") == 0 ||
           strcmp(s, "READY") == 0 || strcmp(s, "PRECHECKED") == 0 || strcmp(s, "MISMATCH") == 0 ||
           strcmp(s, "REJECTED") == 0 || strcmp(s, "LAPSED_SOFT") == 0;
}

#define FEN(buf, v) (cg_refund_fen_format((v), (buf), sizeof(buf)), (buf))

static int unit_row(void *ctx, const struct cg_rf_unit *u)
{
    struct rep *p = ctx;
    struct unit x;
    char id[64], a[8][32], q[32], rr[16], rq[32], order[140];
    int64_t vat = 0, risk, paid, to_come;

    rf_unit_copy(&x, u);
    cg_refund_qty_format(u->returned_qty_m, rq, sizeof(rq));
    snprintf(id, sizeof(id), "%s/%ld", u->entry_id, u->item_no);
    snprintf(order, sizeof(order), "%s%s%s", u->seller, u->seller[0] ? "/" : "", u->order_no);
    cg_refund_qty_format(u->qty_m, q, sizeof(q));
    cg_refund_rate_format(u->refund_ppm, rr, sizeof(rr));
    {
        /* the goods still abroad: a return takes its share of the declared value away */
        int64_t value = u->value_fen;
        cg_refund_share(u->value_fen, u->qty_m - u->returned_qty_m, u->qty_m, &value);
        cg_refund_vat_inside(value, u->vat_ppm, &vat);
    }
    risk = rf_refund_estimate(&x);
    paid = rf_paid(&x);
    to_come = rf_to_come(&x);
    switch (p->kind) {
    case CG_RFR_UNITS: {
        const char *c[] = {id,
                           u->regime,
                           u->state,
                           u->export_on,
                           u->hs,
                           q,
                           FEN(a[0], u->inv_fen),
                           rr,
                           FEN(a[1], u->refund_fen),
                           FEN(a[2], u->refunded_fen),
                           FEN(a[3], u->clawback_fen),
                           u->missing,
                           u->period,
                           FEN(a[4], rf_filed_amount(&x)),
                           rq,
                           u->cleared_on,
                           order,
                           u->fx_note,
                           FEN(a[5], paid),
                           FEN(a[6], to_come),
                           FEN(a[7], rf_shortfall(&x))};
        add_row(p, c);
        break;
    }
    case CG_RFR_ARCHIVE:
        if (u->archive_due[0] != '\0') {
            const char *st = u->archived_on[0] != '\0'              ? "archived"
                             : strcmp(p->as_of, u->archive_due) > 0 ? "overdue"
                                                                    : "due";
            const char *c[] = {id, u->period, u->archive_due, u->archived_on, u->keep_until, st};
            add_row(p, c);
        }
        break;
    case CG_RFR_RISK:
        if (strcmp(u->state, "LAPSED_SOFT") == 0 || strcmp(u->state, "LAPSED_HARD") == 0 ||
            (strcmp(u->regime, "REFUND") == 0 && rank_open(u->state) &&
             strcmp(u->soft_deadline, p->until) <= 0)) {
            const char *c[] = {id,
                               u->state,
                               u->regime,
                               u->soft_deadline,
                               u->hard_deadline,
                               FEN(a[0], risk),
                               FEN(a[1], vat),
                               u->missing};
            add_row(p, c);
        }
        break;
    case CG_RFR_CALENDAR:
        if (strcmp(u->regime, "REFUND") == 0 && rank_open(u->state)) {
            const char *dl = u->late_ok || strcmp(u->state, "LAPSED_SOFT") == 0 ? u->hard_deadline
                                                                                : u->soft_deadline;
            if (strcmp(dl, p->until) <= 0) {
                const char *c[] = {dl, id, u->state, FEN(a[0], risk), FEN(a[1], vat), u->missing};
                add_row(p, c);
            }
        }
        break;
    case CG_RFR_CLAWBACKS:
        if (u->returned_qty_m > 0 || u->clawback_fen > 0) {
            const char *c[] = {id,
                               u->state,
                               rq,
                               q,
                               FEN(a[0], u->refunded_fen),
                               FEN(a[1], u->clawback_fen),
                               FEN(a[2], u->clawback_paid_fen),
                               FEN(a[3], u->clawback_fen - u->clawback_paid_fen),
                               FEN(a[4], u->overpaid_fen)};
            add_row(p, c);
        }
        break;
    default: {
        struct bucket *bk = NULL;
        size_t i;
        char month[8];
        snprintf(month, sizeof(month), "%.7s", u->export_on);
        for (i = 0; i < p->nb; i++)
            if (strcmp(p->b[i].month, month) == 0 && strcmp(p->b[i].state, u->state) == 0)
                bk = &p->b[i];
        if (bk == NULL) {
            struct bucket *nb = realloc(p->b, (p->nb + 1) * sizeof(*nb));
            if (nb == NULL)
                return CG_ENOMEM;
            p->b = nb;
            bk = &p->b[p->nb++];
            memset(bk, 0, sizeof(*bk));
            cg_strlcpy(bk->month, month, sizeof(bk->month));
            cg_strlcpy(bk->state, u->state, sizeof(bk->state));
        }
        bk->units++;
        bk->invoice += u->inv_fen;
        bk->refund += u->refund_fen;
        /* what the tax office paid so far (its parts too), what is still to come of what it
         * approved, and what it will never pay (closed as final) */
        bk->refunded += paid;
        bk->to_come += to_come;
        bk->shortfall += rf_shortfall(&x);
    }
    }
    return p->nomem ? CG_ENOMEM : CG_OK;
}

static int invoice_row(void *ctx, const struct cg_rf_invline *l)
{
    struct rep *p = ctx;
    char id[160], q[32], uq[32], a[2][32], n[16];

    snprintf(id, sizeof(id), "%s/%s/%ld", l->code, l->number, l->line_no);
    cg_refund_qty_format(l->qty_m, q, sizeof(q));
    cg_refund_qty_format(l->used_qty_m, uq, sizeof(uq));
    snprintf(n, sizeof(n), "%ld", l->units);
    {
        const char *c[] = {id,
                           l->name,
                           l->unit,
                           q,
                           uq,
                           FEN(a[0], l->amount_fen),
                           FEN(a[1], l->used_fen),
                           n,
                           l->used_qty_m == 0         ? "unused"
                           : l->used_qty_m < l->qty_m ? "partly used"
                                                      : "used"};
        add_row(p, c);
    }
    return p->nomem ? CG_ENOMEM : CG_OK;
}

static int cmp_bucket(const void *a, const void *b)
{
    const struct bucket *x = a, *y = b;
    int c = strcmp(x->month, y->month);

    return c != 0 ? c : strcmp(x->state, y->state);
}

/* Configured sellers and their route, for the empty pipeline's part. */
struct routes {
    struct rep *p;
    long sellers, route_a;
};

static void route_row(struct routes *w, const char *seller)
{
    char section[80];
    const char *flag;

    snprintf(section, sizeof(section), "seller%s%s", seller[0] ? "." : "", seller);
    flag = cg_conf_get(w->p->r->conf, section, "statistics_flag");
    if (flag == NULL)
        flag = "";
    w->sellers++;
    if (strcmp(flag, "A") == 0) {
        const char *c[] = {seller[0] ? seller : "(incoming/)", flag,
                           "route A: a simplified 9610 declaration, no customs declaration for "
                           "tax: never eligible for the export VAT refund"};
        w->route_a++;
        add_row(w->p, c);
    } else {
        const char *c[] = {seller[0] ? seller : "(incoming/)", flag,
                           "no declaration item imported yet (cebgate refund entries FILE)"};
        add_row(w->p, c);
    }
}

static int route_seen(const char *name, void *ctx)
{
    route_row(ctx, name);
    return 0;
}

/*
 * An empty pipeline says why, as a part of the table: each configured seller ([seller.NAME]; the
 * [seller] section itself when there is none) with its statistics_flag and what it means for the
 * refund, under a title that says whether every seller declares by route A (then no 9610 unit
 * will ever come) or some do. No part without a configuration or a seller.
 */
static int pipeline_why(struct rep *p)
{
    static const char *const cols[] = {"seller", "statistics_flag", "why"};
    struct cg_table *top = p->t;
    struct routes w = {p, 0, 0};
    size_t cap = p->cap;
    int rc;

    if (p->r->conf == NULL)
        return CG_OK;
    p->t = NULL;
    p->cap = 0;
    rc = set_cols(p, cols, 3);
    top->part = p->t;
    if (rc == CG_OK) {
        cg_conf_each_named(p->r->conf, "seller", route_seen, &w);
        if (w.sellers == 0 && cg_conf_has_section(p->r->conf, "seller"))
            route_row(&w, "");
        p->t->id = "sellers";
        p->t->title =
            w.route_a == w.sellers
                ? "No refund unit: every seller declares by route A (statistics_flag = A), never "
                  "eligible for the export VAT refund: a simplified 9610 declaration is no "
                  "customs declaration for tax (docs/refund.md, Regime); a refund needs route B "
                  "(statistics_flag = B) or a 9710/9810 declaration, and its items imported "
                  "(cebgate refund entries FILE)"
            : w.route_a > 0
                ? "No refund unit yet: the sellers on route A (statistics_flag = A) never have "
                  "any (a simplified 9610 declaration is no customs declaration for tax); the "
                  "others get theirs from their declarations' items (cebgate refund entries "
                  "FILE)"
                : "No refund unit yet: units come from the declarations' items (cebgate refund "
                  "entries FILE)";
        top->id = "pipeline";
    }
    p->t = top;
    p->cap = cap;
    if (rc == CG_OK && w.sellers == 0) {
        cg_table_free(top->part);
        top->part = NULL;
    }
    return rc;
}

int cg_refund_report(struct cg_refund *r, int report, const char *as_of, struct cg_table **out,
                     struct cg_err *err)
{
    static const char *const c_units[] = {
        "unit",    "regime",       "state",    "export_date", "hs_code",  "quantity",
        "invoice", "refund_rate",  "refund",   "refunded",    "clawback", "missing",
        "period",  "filed_amount", "returned", "cleared_on",  "order",    "fx_note",
        "paid",    "to_come",      "shortfall"};
    static const char *const c_arch[] = {"unit",        "period",     "archive_due",
                                         "archived_on", "keep_until", "status"};
    static const char *const c_risk[] = {
        "unit",          "state",          "regime",          "soft_deadline",
        "hard_deadline", "refund_at_risk", "vat_if_domestic", "missing"};
    static const char *const c_cal[] = {"deadline",        "unit",   "state", "refund_at_risk",
                                        "vat_if_domestic", "missing"};
    static const char *const c_claw[] = {"unit",     "state",  "returned", "quantity", "refunded",
                                         "clawback", "repaid", "due",      "overpaid"};
    static const char *const c_inv[] = {"invoice_line",  "item_name", "unit",  "quantity", "used",
                                        "amount_ex_vat", "allocated", "units", "status"};
    static const char *const c_pipe[] = {"month",  "state",    "units",   "invoice",
                                         "refund", "refunded", "to_come", "shortfall"};
    struct rep p;
    int rc;

    memset(&p, 0, sizeof(p));
    p.r = r;
    p.kind = report;
    p.as_of = as_of != NULL ? as_of : r->today;
    if (!rf_day_ok(p.as_of))
        return CG_ERR_SET(err, CG_EINVAL, "'%s' is not a day (YYYY-MM-DD)", p.as_of);
    {
        /* the calendar's horizon: as_of + calendar_days, by whole months and days */
        struct tm tm;
        time_t t;
        memset(&tm, 0, sizeof(tm));
        strptime(p.as_of, "%Y-%m-%d", &tm);
        t = timegm(&tm) + (time_t)r->calendar_days * 86400;
        gmtime_r(&t, &tm);
        strftime(p.until, sizeof(p.until), "%Y-%m-%d", &tm);
    }
    switch (report) {
    case CG_RFR_UNITS: rc = set_cols(&p, c_units, 21); break;
    case CG_RFR_ARCHIVE: rc = set_cols(&p, c_arch, 6); break;
    case CG_RFR_RISK: rc = set_cols(&p, c_risk, 8); break;
    case CG_RFR_CALENDAR: rc = set_cols(&p, c_cal, 6); break;
    case CG_RFR_CLAWBACKS: rc = set_cols(&p, c_claw, 9); break;
    case CG_RFR_INVOICES: rc = set_cols(&p, c_inv, 9); break;
    default: rc = set_cols(&p, c_pipe, 8); break;
    }
    if (rc != CG_OK)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    else if (report == CG_RFR_INVOICES)
        rc = cg_store_rf_invlines_each(r->db, 0, invoice_row, &p, err);
    else
        rc = cg_store_rf_units_each(r->db, 0, NULL, unit_row, &p, err);
    if (rc == CG_OK && report == CG_RFR_PIPELINE) {
        size_t i;
        if (p.nb > 0) /* qsort's base may not be NULL, even for no elements */
            qsort(p.b, p.nb, sizeof(*p.b), cmp_bucket);
        for (i = 0; i < p.nb; i++) {
            char n[24], a[5][32];
            snprintf(n, sizeof(n), "%ld", p.b[i].units);
            const char *c[] = {p.b[i].month,
                               p.b[i].state,
                               n,
                               FEN(a[0], p.b[i].invoice),
                               FEN(a[1], p.b[i].refund),
                               FEN(a[2], p.b[i].refunded),
                               FEN(a[3], p.b[i].to_come),
                               FEN(a[4], p.b[i].shortfall)};
            add_row(&p, c);
        }
        if (p.nb == 0)
            rc = pipeline_why(&p);
    }
    if (rc == CG_ENOMEM || (rc == CG_OK && p.nomem))
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    free(p.b);
    if (rc != CG_OK) {
        cg_table_free(p.t);
        return rc;
    }
    *out = p.t;
    return CG_OK;
}
