/*
 * settle-match.c - allocations of receipts to orders (automatic and by the operator), rates,
 * operator records, the settlement ledger and the deadline timers.
 *
 * Every public function here is one transaction (fx_tx): the allocation rows, operator
 * records and the fx_event rows describing the state change commit together or not at all.
 * The money invariants are checked here with a clear message and again by triggers in the
 * database (store-settle-schema.c), so a bug cannot over-allocate a receipt or settle more
 * than is held. Cross-currency allocations are never converted by automatic matching: they
 * wait, flagged, until the operator confirms them with stored rates of the receipt's value day.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "settle/settle-int.h"

/* ------------------------------------------------------------------ conversion */

/* amount of rcur at rate_r to ocur at rate_o (both CNY per unit), rounded half-up. */
static int cross_convert(int64_t amount, const char *rcur, int64_t rate_r, const char *ocur,
                         int64_t rate_o, int64_t *out)
{
    int er, eo;
    int64_t up = 1, down = 1, a, d;

    if (cg_money_exponent(rcur, &er) != CG_OK || cg_money_exponent(ocur, &eo) != CG_OK)
        return CG_EINVAL;
    if (eo > er && fx_pow10(eo - er, &up) != CG_OK)
        return CG_ERANGE;
    if (er > eo && fx_pow10(er - eo, &down) != CG_OK)
        return CG_ERANGE;
    if (fx_muldiv(amount, up, 1, &a) != CG_OK || fx_muldiv(rate_o, down, 1, &d) != CG_OK)
        return CG_ERANGE;
    return fx_muldiv(a, rate_r, d, out);
}

static int rate_of(struct cg_settle *s, const char *cur, const char *day, char *text, char *source,
                   int64_t *rate, struct cg_err *err)
{
    int rc;

    if (strcmp(cur, "CNY") == 0) {
        cg_strlcpy(text, "1", 32);
        cg_strlcpy(source, "CNY", 64);
        *rate = CG_DEC_ONE;
        return CG_OK;
    }
    rc = cg_store_fx_rate_get(s->db, cur, day, text, source, err);
    if (rc == CG_ENOTFOUND)
        return CG_ERR_SET(err, CG_EREJECT,
                          "no %s rate for %s: record it with `cebgate settle rate %s %s RATE`", cur,
                          day, cur, day);
    if (rc == CG_OK)
        rc = fx_rate_parse(text, rate, err);
    return rc;
}

/*
 * Refuse when any of the n currencies cur (CNY needs none) has no rate on day, naming every one
 * missing at once, so that the operator records them all before trying again; CG_OK when all are
 * recorded.
 */
static int rates_known(struct cg_settle *s, const char *day, const char *const *cur, size_t n,
                       struct cg_err *err)
{
    char miss[16][4], names[128] = "", cmds[1200] = "", text[32], source[64];
    size_t nmiss = 0, i, j;
    int rc;

    for (i = 0; i < n; i++) {
        if (strcmp(cur[i], "CNY") == 0)
            continue;
        for (j = 0; j < nmiss && strcmp(miss[j], cur[i]) != 0; j++)
            ;
        if (j < nmiss || nmiss == sizeof(miss) / sizeof(miss[0]))
            continue;
        rc = cg_store_fx_rate_get(s->db, cur[i], day, text, source, err);
        if (rc == CG_ENOTFOUND) {
            cg_err_clear(err);
            cg_strlcpy(miss[nmiss++], cur[i], sizeof(miss[0]));
        } else if (rc != CG_OK) {
            return rc;
        }
    }
    if (nmiss == 0)
        return CG_OK;
    if (nmiss == 1)
        return CG_ERR_SET(err, CG_EREJECT,
                          "no %s rate for %s: record it with `cebgate settle rate %s %s RATE`",
                          miss[0], day, miss[0], day);
    for (i = 0; i < nmiss; i++) {
        const char *sep = i == 0 ? "" : i + 1 == nmiss ? " and " : ", ";
        size_t a = strlen(names), b = strlen(cmds);
        snprintf(names + a, sizeof(names) - a, "%s%s", sep, miss[i]);
        snprintf(cmds + b, sizeof(cmds) - b, "%s`cebgate settle rate %s %s RATE`", sep, miss[i],
                 day);
    }
    return CG_ERR_SET(err, CG_EREJECT, "no %s rates for %s: record them with %s", names, day, cmds);
}

/* ------------------------------------------------------------------ allocating */

/*
 * An order's state event of automatic matching, kept until the pass has made all of its
 * allocations: a payout and its refund in one file move the order once, from its state before
 * the first to its state after the last, and an order whose state they leave as it was gets no
 * event (its allocations are its record).
 */
struct fx_bank_event {
    long long order_id, receipt_id; /* the receipt of the last allocation */
    int before;                     /* the state before the first allocation */
    char on[CG_DAY_LEN];            /* the value day of the last allocation */
    char cause[120];                /* the rule of the first allocation */
    char detail[600];               /* the allocations, "; " between them */
};

static int bank_event_note(struct cg_settle *s, const struct fx_view *v, long long receipt,
                           int before, const char *on, const char *cause, const char *detail)
{
    struct fx_bank_event *e = NULL;
    size_t i, n;

    for (i = 0; i < s->nbank_ev; i++) {
        if (s->bank_ev[i].order_id == v->id) {
            e = &s->bank_ev[i];
            break;
        }
    }
    if (e == NULL) {
        if (s->nbank_ev == s->cap_bank_ev) {
            size_t cap = s->cap_bank_ev ? s->cap_bank_ev * 2 : 16;
            struct fx_bank_event *p = realloc(s->bank_ev, cap * sizeof(*p));
            if (p == NULL)
                return CG_ENOMEM;
            s->bank_ev = p;
            s->cap_bank_ev = cap;
        }
        e = &s->bank_ev[s->nbank_ev++];
        memset(e, 0, sizeof(*e));
        e->order_id = v->id;
        e->before = before;
        cg_strlcpy(e->cause, cause, sizeof(e->cause));
    }
    e->receipt_id = receipt;
    if (strcmp(on, e->on) > 0)
        cg_strlcpy(e->on, on, sizeof(e->on));
    n = strlen(e->detail);
    if (n + 1 < sizeof(e->detail))
        snprintf(e->detail + n, sizeof(e->detail) - n, "%s%s", n > 0 ? "; " : "", detail);
    return CG_OK;
}

/* The kept events of the pass whose order's state changed, as of their last value day. */
static int bank_events_write(struct cg_settle *s, struct cg_err *err)
{
    size_t i;
    int rc = CG_OK;

    for (i = 0; rc == CG_OK && i < s->nbank_ev; i++) {
        const struct fx_bank_event *e = &s->bank_ev[i];
        struct fx_view v;
        rc = fx_view_load(s, e->order_id, e->on, &v, err);
        if (rc == CG_OK && v.state != e->before)
            rc = fx_event(s, e->order_id, e->receipt_id, e->before, e->on, "BANKFILE", e->cause,
                          e->detail, err);
    }
    return rc;
}

struct rcpt {
    long long id;
    char seller[64];
    int out;
    int charge;   /* the bank's own charge or a payout's adjustment: never matched */
    int fee_back; /* its fee is one given back with the refund (fx_fee_given_back) */
    char currency[4];
    int64_t net, fee, left, fee_left;
    char value_on[CG_DAY_LEN];
    char *reference;
    long line;
    long long statement_id;
};

static int take_receipt(void *ctx, const struct cg_fx_receipt *r)
{
    struct rcpt *x = ctx;

    x->id = r->id;
    cg_strlcpy(x->seller, r->seller, sizeof(x->seller));
    x->out = r->out;
    x->charge = r->charge || fx_payout_adjustment(r);
    x->fee_back = fx_fee_given_back(r);
    cg_strlcpy(x->currency, r->currency, sizeof(x->currency));
    x->net = r->net;
    x->fee = r->fee;
    x->left = r->net - r->used_principal - r->used_refunds;
    x->fee_left = r->fee - r->used_fees;
    if (r->transfer_payout != NULL) /* a payout's arrival: its money is the payout's */
        x->left = x->fee_left = 0;
    cg_strlcpy(x->value_on, r->value_on, sizeof(x->value_on));
    x->reference = cg_strdup(r->reference);
    x->line = r->line;
    x->statement_id = r->statement_id;
    return x->reference == NULL ? CG_ENOMEM : 0;
}

/*
 * Allocate amount (receipt currency) of receipt x to order v with kind. convert: use the
 * stored rates for a receipt in another currency (operator); else it waits for review.
 */
static int allocate(struct cg_settle *s, struct rcpt *x, struct fx_view *v, const char *kind,
                    int64_t amount, int convert, const char *cause_kind, const char *cause,
                    struct cg_err *err)
{
    struct cg_fx_alloc a;
    char rr[32], ro[32], src_r[64], src_o[64], detail[200], amt[40];
    int64_t rate_r = 0, rate_o = 0;
    int before = v->state;
    int rc;

    if (amount <= 0)
        return CG_OK;
    memset(&a, 0, sizeof(a));
    a.receipt_id = x->id;
    a.order_id = v->id;
    a.kind = kind;
    a.amount_rcpt = amount;
    a.cause = cause;
    if (strcmp(x->currency, v->currency) == 0) {
        a.has_order_amount = 1;
        a.amount_order = amount;
    } else {
        a.cross = 1;
        if (convert) {
            const char *need[2] = {x->currency, v->currency};
            rc = rates_known(s, x->value_on, need, 2, err);
            if (rc == CG_OK)
                rc = rate_of(s, x->currency, x->value_on, rr, src_r, &rate_r, err);
            if (rc == CG_OK)
                rc = rate_of(s, v->currency, x->value_on, ro, src_o, &rate_o, err);
            if (rc == CG_OK)
                rc = cross_convert(amount, x->currency, rate_r, v->currency, rate_o,
                                   &a.amount_order);
            if (rc == CG_OK)
                rc = fx_to_cny(amount, x->currency, rate_r, &a.cny);
            if (rc != CG_OK)
                return rc == CG_EINVAL || rc == CG_ERANGE
                           ? CG_ERR_SET(err, CG_EREJECT, "conversion out of range")
                           : rc;
            a.has_order_amount = 1;
            a.rate_rcpt = rr;
            a.rate_order = ro;
            a.rate_source = src_r;
            a.rate_date = x->value_on;
        }
    }
    /*
     * A refund never takes the order's collected amount below zero: automatic matching gives it
     * what the order collected and leaves the rest on the receipt; the operator is refused.
     */
    if ((strcmp(kind, "REFUND_OUT") == 0 || strcmp(kind, "FEE_REVERSED") == 0) &&
        a.has_order_amount && a.amount_order > v->collected) {
        char have[40];
        if (strcmp(cause_kind, "BANKFILE") != 0 || a.cross) {
            fx_amount_format(v->collected, v->currency, have, sizeof(have));
            fx_amount_format(a.amount_order, v->currency, amt, sizeof(amt));
            return CG_ERR_SET(err, CG_EREJECT,
                              "order %s/%s has collected %s %s: a refund of %s %s would take it "
                              "below zero",
                              v->seller, v->order_no, v->currency, have, v->currency, amt);
        }
        amount = a.amount_rcpt = a.amount_order = v->collected > 0 ? v->collected : 0;
        if (amount == 0)
            return CG_OK;
    }
    /*
     * A refund in another currency cannot be compared with what the order collected until the
     * operator converts it; when the order has collected nothing, in its currency or waiting for
     * rates, there is nothing it could take back: it stays on the receipt.
     */
    if (strcmp(kind, "REFUND_OUT") == 0 && !a.has_order_amount &&
        strcmp(cause_kind, "BANKFILE") == 0 && v->collected <= 0 && v->sums.pending_cross == 0)
        return CG_OK;
    rc = cg_store_fx_alloc_add(s->db, &a, NULL, err);
    if (rc != CG_OK)
        return rc;
    if (a.has_order_amount)
        fx_touch(s, v->id);
    if (strcmp(kind, "FEE_NETTED") == 0 || strcmp(kind, "FEE_REVERSED") == 0)
        x->fee_left -= amount;
    else
        x->left -= amount;
    fx_amount_format(amount, x->currency, amt, sizeof(amt));
    snprintf(detail, sizeof(detail), "%s %s %s from receipt %lld%s", kind, x->currency, amt, x->id,
             a.cross && !a.has_order_amount ? " (CROSS_CCY, waits for review)" : "");
    if (strcmp(cause_kind, "BANKFILE") == 0)
        rc = bank_event_note(s, v, x->id, before, x->value_on, cause, detail);
    else
        rc = fx_event(s, v->id, x->id, before, NULL, cause_kind, cause, detail, err);
    if (rc == CG_OK)
        rc = fx_view_load(s, v->id, x->value_on, v, err);
    return rc;
}

/*
 * Money the receipt still has goes to v: principal and the fee netted, or for an outgoing receipt
 * the fee the platform gave back with the refund (the fee netted no longer covers it) and the
 * refund. The fee given back goes first: when the order collected less than the two, what is
 * left is refund, which stays on the receipt as money to allocate (report fx unmatched).
 */
static int allocate_rest(struct cg_settle *s, struct rcpt *x, struct fx_view *v, int64_t amount,
                         int64_t fee, int convert, const char *cause_kind, const char *cause,
                         struct cg_err *err)
{
    /* A platform fee is netted, or given back, only against the order's own currency. */
    int same = strcmp(x->currency, v->currency) == 0;
    int rc = CG_OK;

    if (x->out && x->fee_back && same)
        rc = allocate(s, x, v, "FEE_REVERSED", fee, convert, cause_kind, cause, err);
    if (rc == CG_OK)
        rc = allocate(s, x, v, x->out ? "REFUND_OUT" : "PRINCIPAL", amount, convert, cause_kind,
                      cause, err);
    if (rc == CG_OK && !x->out && same)
        rc = allocate(s, x, v, "FEE_NETTED", fee, convert, cause_kind, cause, err);
    return rc;
}

/*
 * Automatic matching's allocate_rest: made->allocations counts the orders that took some of the
 * receipt's money (PRINCIPAL, REFUND_OUT); the fee allocation beside one (FEE_NETTED, or
 * FEE_REVERSED of a refund) is counted apart, so that the two add up to the allocations
 * `settle explain` lists.
 */
static int auto_rest(struct cg_settle *s, struct rcpt *x, struct fx_view *v, int64_t amount,
                     int64_t fee, const char *cause, struct fx_made *made, struct cg_err *err)
{
    int64_t before = x->left, fee_before = x->fee_left;
    int rc = allocate_rest(s, x, v, amount, fee, 0, "BANKFILE", cause, err);

    if (rc == CG_OK && x->left < before)
        made->allocations++;
    if (rc == CG_OK && x->fee_left < fee_before) {
        if (x->out)
            made->fees_back++;
        else
            made->fees_netted++;
    }
    return rc;
}

/* A list of order or receipt ids; it grows as needed, free(id) when done. */
struct id_list {
    long long *id;
    size_t n;
};

static int id_push(struct id_list *l, long long id)
{
    long long *p = realloc(l->id, (l->n + 1) * sizeof(*p));

    if (p == NULL)
        return CG_ENOMEM;
    l->id = p;
    p[l->n++] = id;
    return 0;
}

static int has_id(const struct id_list *l, long long id)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (l->id[i] == id)
            return 1;
    }
    return 0;
}

static int take_view(void *ctx, const struct cg_fx_order *o)
{
    *(long long *)ctx = o->id;
    return 0;
}

/* The order a reference token names (in the receipt's seller when it has one). */
static int find_ref(struct cg_settle *s, const struct rcpt *x, const char *tok, long long *id,
                    struct cg_err *err)
{
    int rc;

    if (tok[0] == '#')
        tok++;
    if (tok[0] == '\0')
        return CG_ENOTFOUND;
    rc = cg_store_fx_order_find(s->db, x->seller[0] ? x->seller : NULL, tok, take_view, id, err);
    if (rc == CG_EEXIST) { /* several sellers: a reference alone cannot tell */
        cg_err_clear(err);
        return CG_ENOTFOUND;
    }
    return rc;
}

struct pay_hits {
    struct id_list ids; /* every order with the payment number */
    char seller[64];    /* seller of the first order found */
    int sellers;        /* more than one seller has the payment number */
};

static int take_pay(void *ctx, const struct cg_fx_order *o)
{
    struct pay_hits *h = ctx;

    if (h->ids.n == 0)
        cg_strlcpy(h->seller, o->seller, sizeof(h->seller));
    else if (strcmp(h->seller, o->seller) != 0)
        h->sellers = 1;
    return id_push(&h->ids, o->id);
}

/*
 * The orders whose payment number (payNo of the order file) is tok, in the receipt's seller
 * when it has one; a payment number several sellers use names none. One payment may pay
 * several orders of a seller. h->ids is emptied first and keeps its memory.
 */
static int find_pay(struct cg_settle *s, const struct rcpt *x, const char *tok, struct pay_hits *h,
                    struct cg_err *err)
{
    int rc;

    h->ids.n = 0;
    h->seller[0] = '\0';
    h->sellers = 0;
    if (tok[0] == '#')
        tok++;
    if (tok[0] == '\0')
        return CG_ENOTFOUND;
    rc = cg_store_fx_order_find_pay(s->db, x->seller[0] ? x->seller : NULL, tok, take_pay, h, err);
    if (rc == CG_OK && h->sellers)
        return CG_ENOTFOUND;
    return rc;
}

enum { BY_ORDER_NO, BY_PAY_NO };

/*
 * What splits references into words that may be order or payment numbers: blanks, ',', ';' and
 * ':', and the full-width punctuation of Chinese text (below). A '/' splits a word only when the
 * word whole names nothing, as an order number may hold a '/' (docs/order-format.md).
 */
#define REF_SEPARATORS " \t\r\n,;:"

/*
 * Full-width punctuation in UTF-8, blanked before the text is split: the ideographic space,
 * 、。〈〉《》「」『』【】, ！＃（），／：；？ and the curly quotes.
 */
static void blank_fullwidth(char *t)
{
    unsigned char *u = (unsigned char *)t;

    for (; *u != '\0'; u++) {
        bool sep = false;

        if (u[0] == 0xE3 && u[1] == 0x80)
            sep = u[2] <= 0x82 || (u[2] >= 0x88 && u[2] <= 0x91);
        else if (u[0] == 0xEF && u[1] == 0xBC)
            sep = u[2] == 0x81 || u[2] == 0x83 || u[2] == 0x88 || u[2] == 0x89 || u[2] == 0x8C ||
                  u[2] == 0x8F || u[2] == 0x9A || u[2] == 0x9B || u[2] == 0x9F;
        else if (u[0] == 0xE2 && u[1] == 0x80)
            sep = u[2] == 0x98 || u[2] == 0x99 || u[2] == 0x9C || u[2] == 0x9D;
        if (sep && (u[2] & 0xC0) == 0x80) {
            u[0] = u[1] = u[2] = ' ';
            u += 2;
        }
    }
}

/*
 * Whether a word holding '/' is a date, not a list of numbers: digits and '/' alone, with two
 * '/' (28/11/2026, 2026/11/28) or parts of at most two digits each (11/28). Its parts are not
 * looked up: order 2026 or 11 is not named by a payment's date.
 */
static bool date_like(const char *w)
{
    size_t slashes = 0, run = 0, longest = 0;

    for (; *w != '\0'; w++) {
        if (*w == '/') {
            slashes++;
            run = 0;
        } else if (*w >= '0' && *w <= '9') {
            if (++run > longest)
                longest = run;
        } else {
            return false;
        }
    }
    return slashes >= 2 || longest <= 2;
}

/*
 * fn on each word of text that may name orders, in order: each word whole, and when that names
 * nothing (CG_ENOTFOUND) and it holds a '/', each of its parts between the '/'. fn returns CG_OK
 * (names something), CG_ENOTFOUND, 1 to stop, or an error, which is returned.
 */
static int words_each(const char *text, int (*fn)(void *ctx, const char *word), void *ctx,
                      struct cg_err *err)
{
    char *copy = cg_strdup(text != NULL ? text : "");
    char *save = NULL, *tok;
    int rc = CG_OK;

    if (copy == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    blank_fullwidth(copy);
    for (tok = strtok_r(copy, REF_SEPARATORS, &save); tok != NULL;
         tok = strtok_r(NULL, REF_SEPARATORS, &save)) {
        rc = fn(ctx, tok);
        if (rc == CG_ENOTFOUND && strchr(tok, '/') != NULL && !date_like(tok)) {
            char *psave = NULL, *part;

            for (part = strtok_r(tok, "/", &psave);
                 part != NULL && (rc == CG_OK || rc == CG_ENOTFOUND);
                 part = strtok_r(NULL, "/", &psave))
                rc = fn(ctx, part);
        }
        if (rc == CG_ENOTFOUND)
            rc = CG_OK;
        if (rc != CG_OK)
            break;
    }
    free(copy);
    return rc == 1 ? CG_OK : rc;
}

struct refs_ctx {
    struct cg_settle *s;
    const struct rcpt *x;
    int by;
    size_t max;
    struct id_list *ids;
    struct pay_hits h;
    struct cg_err *err;
};

/* The orders word names, added to the list; 1 once it holds max. */
static int ref_word(void *vctx, const char *tok)
{
    struct refs_ctx *c = vctx;
    long long id = 0;
    size_t j;
    int rc;

    if (c->max > 0 && c->ids->n >= c->max)
        return 1;
    if (c->by == BY_PAY_NO) {
        rc = find_pay(c->s, c->x, tok, &c->h, c->err);
    } else {
        c->h.ids.n = 0;
        rc = find_ref(c->s, c->x, tok, &id, c->err);
        if (rc == CG_OK)
            rc = id_push(&c->h.ids, id);
    }
    for (j = 0; rc == CG_OK && j < c->h.ids.n && (c->max == 0 || c->ids->n < c->max); j++) {
        if (!has_id(c->ids, c->h.ids.id[j]))
            rc = id_push(c->ids, c->h.ids.id[j]);
    }
    return rc;
}

/*
 * Orders named in text, in order of appearance, without repeats, into ids (emptied first; it
 * keeps its memory): by order number (BY_ORDER_NO) or by the orders' payment numbers
 * (BY_PAY_NO). max > 0 stops at max orders; 0 takes every order named. The list holds distinct
 * orders of the database, so it never outgrows them, however long the text.
 */
static int refs_in(struct cg_settle *s, const struct rcpt *x, const char *text, int by, size_t max,
                   struct id_list *ids, struct cg_err *err)
{
    struct refs_ctx c = {.s = s, .x = x, .by = by, .max = max, .ids = ids, .err = err};
    int rc;

    ids->n = 0;
    rc = words_each(text, ref_word, &c, err);
    free(c.h.ids.id);
    return rc;
}

static int stop_at_first(void *ctx, const struct cg_fx_order *o)
{
    (void)ctx;
    (void)o;
    return 1;
}

struct names_ctx {
    struct cg_settle *s;
    int *named;
    struct cg_err *err;
};

/* 1 (stop) when tok is an order or payment number of any seller. */
static int names_word(void *vctx, const char *tok)
{
    struct names_ctx *c = vctx;
    int rc;

    if (tok[0] == '#')
        tok++;
    if (tok[0] == '\0')
        return CG_ENOTFOUND;
    rc = cg_store_fx_order_find(c->s->db, NULL, tok, stop_at_first, NULL, c->err);
    if (rc == CG_ENOTFOUND)
        rc = cg_store_fx_order_find_pay(c->s->db, NULL, tok, stop_at_first, NULL, c->err);
    if (rc == CG_OK || rc == CG_EEXIST || rc == 1) {
        cg_err_clear(c->err);
        *c->named = 1;
        return 1;
    }
    return rc;
}

int fx_text_names_order(struct cg_settle *s, const char *text, int *named, struct cg_err *err)
{
    struct names_ctx c = {s, named, err};

    *named = 0;
    return words_each(text, names_word, &c, err);
}

struct line_list {
    struct cg_fx_line *l;
    char **str; /* copies the lines point into: 2 per line */
    size_t n;
};

static int take_line(void *ctx, const struct cg_fx_line *l)
{
    struct line_list *ll = ctx;
    struct cg_fx_line *p = realloc(ll->l, (ll->n + 1) * sizeof(*p));
    char **q;

    if (p == NULL)
        return CG_ENOMEM;
    ll->l = p;
    q = realloc(ll->str, (ll->n + 1) * 2 * sizeof(*q));
    if (q == NULL)
        return CG_ENOMEM;
    ll->str = q;
    q[2 * ll->n] = cg_strdup(l->order_ref);
    q[2 * ll->n + 1] = cg_strdup(l->pay_ref);
    p[ll->n] = *l;
    p[ll->n].order_ref = q[2 * ll->n];
    p[ll->n].pay_ref = q[2 * ll->n + 1];
    ll->n++;
    return 0;
}

static int take_alloc_order(void *ctx, const struct cg_fx_alloc *a)
{
    return id_push(ctx, a->order_id);
}

static int take_receipt_id(void *ctx, const struct cg_fx_receipt *r)
{
    return id_push(ctx, r->id);
}

/*
 * An order the operator closed (deemed collected, uncollectible): its state no longer follows
 * its money, so automatic matching gives it none, in or out; the money stays on the receipt,
 * listed as unmatched, for the operator to match by hand or not at all. Told by the operator's
 * record, not by the state: an order closed before its release shows NOT_EXPORTED until then,
 * and is closed all the same.
 */
static int closed(const struct fx_view *v)
{
    return v->sums.deemed > 0 || v->sums.uncollectible > 0;
}

/*
 * A payout (or batch-booked entry): each line to the order it names; a line naming a closed
 * order stays on the receipt.
 */
static int match_lines(struct cg_settle *s, struct rcpt *x, struct line_list *ll,
                       struct fx_made *made, struct cg_err *err)
{
    struct id_list done = {NULL, 0}, ids = {NULL, 0};
    char cause[96];
    size_t i;
    int rc = cg_store_fx_allocs_each(s->db, 0, x->id, take_alloc_order, &done, err);

    for (i = 0; rc == CG_OK && i < ll->n; i++) {
        const struct cg_fx_line *l = &ll->l[i];
        struct fx_view v;
        const char *rule = "reference";
        rc = refs_in(s, x, l->order_ref, BY_ORDER_NO, 1, &ids, err);
        if (rc == CG_OK && ids.n == 0)
            rc = refs_in(s, x, l->pay_ref, BY_ORDER_NO, 1, &ids, err);
        if (rc == CG_OK && ids.n == 0) {
            /* The payment number of one order only: a line pays one order. */
            rule = "payment number";
            rc = refs_in(s, x, l->pay_ref, BY_PAY_NO, 2, &ids, err);
            if (rc == CG_OK && ids.n == 0)
                rc = refs_in(s, x, l->order_ref, BY_PAY_NO, 2, &ids, err);
            if (ids.n != 1)
                ids.n = 0;
        }
        if (rc != CG_OK || ids.n == 0 || has_id(&done, ids.id[0]))
            continue;
        rc = fx_view_load(s, ids.id[0], x->value_on, &v, err);
        if (rc != CG_OK)
            break;
        snprintf(cause, sizeof(cause), "auto:%s line %ld", rule, l->line_no);
        if (closed(&v) || l->net > x->left || l->fee > x->fee_left)
            continue;
        rc = auto_rest(s, x, &v, l->net, l->fee, cause, made, err);
    }
    free(ids.id);
    free(done.id);
    return rc;
}

struct cand_ctx {
    struct cg_settle *s;
    const struct rcpt *x;
    long window;
    long long found;
    int count;
    int rc;
    struct cg_err *err;
};

static int candidate(void *vctx, const struct cg_fx_order *o)
{
    struct cand_ctx *c = vctx;
    long ex, val;
    int64_t base;
    struct fx_view v;

    if (strcmp(o->currency, c->x->currency) != 0 || o->export_on[0] == '\0')
        return 0;
    if (c->x->seller[0] && strcmp(o->seller, c->x->seller) != 0)
        return 0;
    if (fx_day_parse(o->export_on, &ex) != CG_OK || fx_day_parse(c->x->value_on, &val) != CG_OK)
        return 0;
    if (val < ex || val - ex > c->window)
        return 0;
    base = o->has_charge ? o->charge : o->declared;
    if (base != c->x->left + c->x->fee_left && base != c->x->left)
        return 0;
    /* Only an order nothing was received for yet. */
    c->rc = fx_view_load(c->s, o->id, c->x->value_on, &v, c->err);
    if (c->rc != CG_OK)
        return c->rc;
    if (v.state != CG_FX_AWAITING && v.state != CG_FX_OVERDUE)
        return 0;
    if (v.open != c->x->left + c->x->fee_left && v.open != c->x->left)
        return 0;
    c->found = o->id;
    c->count++;
    return 0;
}

/*
 * The orders a receipt names, however many, in the order named. Those in the receipt's
 * currency come first: each takes what it still expects (one that expects nothing is passed
 * over), and the last of them the rest when no order in another currency is named, so an excess
 * shows on it as an over-collection. Only what they leave goes to an order in another
 * currency, the first named, as an allocation flagged CROSS_CCY that waits for the operator: its
 * expected amount is in a currency the receipt cannot be compared with, and it is never
 * converted here. An order the operator closed (deemed collected, uncollectible) takes nothing,
 * as its state would not show money beyond what it expected. When one is named, the others in the
 * receipt's currency take only what they still expect and nothing goes to an order in another
 * currency: what is left may be the closed order's, so it stays on the receipt, listed as
 * unmatched, for the operator. An outgoing receipt is a refund to the first
 * order named in its currency, else to the first named; when that order is closed, the refund
 * stays on the receipt for the operator, not given to another order named.
 */
static int match_named(struct cg_settle *s, struct rcpt *x, const struct id_list *ids,
                       const char *rule, struct fx_made *made, struct cg_err *err)
{
    size_t n = ids->n, i, last_same = n;
    unsigned char *same = calloc(n, 1); /* 1: order i is in the receipt's currency */
    int cross = 0, shut = 0, pass;      /* shut: a closed order is named */
    int rc = same == NULL ? CG_ENOMEM : CG_OK;

    for (i = 0; rc == CG_OK && i < n; i++) {
        struct fx_view v;
        rc = fx_view_load(s, ids->id[i], x->value_on, &v, err);
        if (rc != CG_OK)
            break;
        same[i] = strcmp(v.currency, x->currency) == 0;
        shut |= closed(&v);
        if (same[i])
            last_same = i;
        else
            cross = 1;
    }
    /* pass 0: the orders in the receipt's currency; pass 1: the others, flagged for review */
    for (pass = 0; pass < (shut && !x->out ? 1 : 2); pass++) {
        for (i = 0; rc == CG_OK && i < n && x->left > 0; i++) {
            struct fx_view v;
            int64_t amt = x->left, fee = x->fee_left;
            if (same[i] != (pass == 0))
                continue;
            rc = fx_view_load(s, ids->id[i], x->value_on, &v, err);
            if (rc != CG_OK)
                break;
            if (closed(&v)) {
                if (x->out)
                    goto done; /* the refund is that order's: the operator records it */
                continue;
            }
            if (pass == 0 && !x->out && (i != last_same || cross || shut)) {
                if (v.open <= 0)
                    continue;
                fee = fee < v.open ? fee : v.open;
                amt = v.open - fee < amt ? v.open - fee : amt;
            }
            rc = auto_rest(s, x, &v, amt, fee, rule, made, err);
        }
    }
done:
    free(same);
    return rc;
}

/*
 * The released orders matching by amount and date may give a receipt (rule 4): what of them
 * does not change while receipts are matched (id, seller, currency, release day, what the buyer
 * was charged or declared), read once per matching pass and sorted by that amount, so a receipt
 * naming no order looks at the orders of its amount only, not at every order of the database.
 * Whether an order was paid yet changes with each receipt matched: candidate() loads that as
 * it always did.
 */
struct cand {
    struct cg_fx_order o; /* o.seller is seller, o.order_no NULL */
    char *seller;
};

struct cands {
    struct cand *o; /* by base amount, then id */
    size_t n, cap;
    bool loaded;
    bool nomem;
};

static int64_t cand_base(const struct cg_fx_order *o)
{
    return o->has_charge ? o->charge : o->declared;
}

static int cand_take(void *vctx, const struct cg_fx_order *o)
{
    struct cands *c = vctx;
    struct cand *p;

    if (o->export_on[0] == '\0')
        return 0; /* not released: never a candidate */
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        p = realloc(c->o, cap * sizeof(*p));
        if (p == NULL) {
            c->nomem = true;
            return CG_ENOMEM;
        }
        c->o = p;
        c->cap = cap;
    }
    p = &c->o[c->n];
    p->o = *o;
    p->o.order_no = NULL;
    p->o.seller = p->seller = cg_strdup(o->seller);
    if (p->seller == NULL) {
        c->nomem = true;
        return CG_ENOMEM;
    }
    c->n++;
    return 0;
}

static int cand_cmp(const void *a, const void *b)
{
    const struct cg_fx_order *x = &((const struct cand *)a)->o, *y = &((const struct cand *)b)->o;
    int64_t bx = cand_base(x), by = cand_base(y);

    if (bx != by)
        return bx < by ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void cands_free(struct cands *c)
{
    size_t i;

    for (i = 0; i < c->n; i++)
        free(c->o[i].seller);
    free(c->o);
    memset(c, 0, sizeof(*c));
}

static int cands_load(struct cg_settle *s, struct cands *c, struct cg_err *err)
{
    int rc;

    if (c->loaded)
        return CG_OK;
    rc = cg_store_fx_orders_each(s->db, cand_take, c, err);
    if (c->nomem)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (rc != CG_OK)
        return rc;
    if (c->n > 1)
        qsort(c->o, c->n, sizeof(*c->o), cand_cmp);
    c->loaded = true;
    return CG_OK;
}

/* candidate() for each released order whose base amount is base; stops at its failure. */
static int cands_each(const struct cands *c, int64_t base, struct cand_ctx *cc)
{
    size_t lo = 0, hi = c->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cand_base(&c->o[mid].o) < base)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < c->n && cand_base(&c->o[lo].o) == base; lo++) {
        int rc = candidate(cc, &c->o[lo].o);
        if (rc != 0)
            return rc;
    }
    return CG_OK;
}

static int match_one(struct cg_settle *s, struct rcpt *x, struct cands *cands, struct fx_made *made,
                     struct cg_err *err)
{
    struct line_list ll = {NULL, NULL, 0};
    struct id_list ids = {NULL, 0};
    const char *rule = "auto:reference";
    int rc;

    rc = cg_store_fx_lines_each(s->db, x->id, take_line, &ll, err);
    if (rc == CG_OK && ll.n > 0) {
        rc = match_lines(s, x, &ll, made, err);
        goto done;
    }
    if (rc != CG_OK || x->charge)
        goto done;
    /*
     * 1: the order numbers in its references, else the orders whose payment numbers are there,
     * shared as match_named says.
     */
    rc = refs_in(s, x, x->reference, BY_ORDER_NO, 0, &ids, err);
    if (rc == CG_OK && ids.n == 0) {
        rule = "auto:payment number";
        rc = refs_in(s, x, x->reference, BY_PAY_NO, 0, &ids, err);
    }
    if (rc == CG_OK && ids.n > 0)
        rc = match_named(s, x, &ids, rule, made, err);
    if (rc != CG_OK || ids.n > 0 || x->out)
        goto done;
    /* 2: one released order of that amount and currency, paid within the window. */
    {
        struct cand_ctx c;
        memset(&c, 0, sizeof(c));
        c.s = s;
        c.x = x;
        c.window = fx_conf_int(s, x->seller, "match_window_days");
        c.err = err;
        rc = cands_load(s, cands, err);
        if (rc == CG_OK)
            rc = cands_each(cands, x->left + x->fee_left, &c);
        if (rc == CG_OK && x->fee_left != 0)
            rc = cands_each(cands, x->left, &c);
        if (rc == CG_OK && c.count == 1) {
            struct fx_view v;
            rc = fx_view_load(s, c.found, x->value_on, &v, err);
            if (rc == CG_OK)
                rc = auto_rest(s, x, &v, x->left, x->fee_left, "auto:amount and date", made, err);
        }
    }
done:
    while (ll.n > 0) {
        ll.n--;
        free(ll.str[2 * ll.n]);
        free(ll.str[2 * ll.n + 1]);
    }
    free(ll.str);
    free(ll.l);
    free(ids.id);
    return rc;
}

int fx_auto_match_in_tx(struct cg_settle *s, struct fx_made *made, struct cg_err *err)
{
    struct id_list open = {NULL, 0};
    struct cands cands;
    size_t i;
    int pass, rc;

    memset(made, 0, sizeof(*made));
    memset(&cands, 0, sizeof(cands));
    s->nbank_ev = 0;
    /* A bank credit that is a payout's arrival is no order's money: taken out first. */
    rc = fx_transfers_in_tx(s, &made->transfers, err);
    if (rc == CG_OK)
        rc = cg_store_fx_receipts_each(s->db, 1, take_receipt_id, &open, err);
    /* Money in first, then refunds: a refund takes only what its order collected. */
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; rc == CG_OK && i < open.n; i++) {
            struct rcpt x;
            memset(&x, 0, sizeof(x));
            rc = cg_store_fx_receipt_get(s->db, open.id[i], take_receipt, &x, err);
            if (rc == CG_OK && x.left > 0 && x.out == pass)
                rc = match_one(s, &x, &cands, made, err);
            free(x.reference);
        }
    }
    if (rc == CG_OK)
        rc = bank_events_write(s, err);
    free(s->bank_ev);
    s->bank_ev = NULL;
    s->nbank_ev = s->cap_bank_ev = 0;
    cands_free(&cands);
    free(open.id);
    if (rc == CG_ENOMEM)
        CG_ERR_SET(err, rc, "out of memory");
    return rc;
}

struct auto_ctx {
    struct cg_settle *s;
    struct fx_made made;
};

static int auto_tx(struct cg_store *db, void *vctx, struct cg_err *err)
{
    struct auto_ctx *c = vctx;

    (void)db;
    return fx_auto_match_in_tx(c->s, &c->made, err);
}

int cg_settle_auto_match(struct cg_settle *s, long *made, struct cg_err *err)
{
    struct auto_ctx c;
    int rc;

    memset(&c, 0, sizeof(c));
    c.s = s;
    rc = fx_tx(s, auto_tx, &c, err);
    if (rc == CG_OK && made != NULL)
        *made = c.made.allocations;
    return rc;
}

/* ------------------------------------------------------------------ operator: match */

struct op_ctx {
    struct cg_settle *s;
    long long receipt;
    const char *order;
    const char *amount;
    const char *note;
    const char *currency;
    const char *day;
    const char *rate;
    const char *reference;
    int mark;
    int64_t out;
};

int fx_receipt_load(struct cg_settle *s, long long id, cg_fx_receipt_fn fn, void *ctx,
                    struct cg_err *err)
{
    int rc = cg_store_fx_receipt_get(s->db, id, fn, ctx, err);

    if (rc == CG_ENOTFOUND)
        CG_ERR_SET(err, rc, "receipt %lld: no such receipt", id);
    return rc;
}

static int load_receipt(struct cg_settle *s, long long id, struct rcpt *x, struct cg_err *err)
{
    memset(x, 0, sizeof(*x));
    return fx_receipt_load(s, id, take_receipt, x, err);
}

static int match_tx(struct cg_store *db, void *vctx, struct cg_err *err)
{
    struct op_ctx *c = vctx;
    struct cg_settle *s = c->s;
    struct rcpt x;
    struct fx_view v;
    long long oid = 0;
    int64_t amt = 0;
    char cause[300];
    int rc;

    (void)db;
    rc = load_receipt(s, c->receipt, &x, err);
    if (rc == CG_OK)
        rc = fx_order_resolve(s, c->order, &oid, err);
    if (rc == CG_OK)
        rc = fx_view_load(s, oid, NULL, &v, err);
    if (rc != CG_OK)
        goto done;
    snprintf(cause, sizeof(cause), "operator%s%s", c->note ? ": " : "", c->note ? c->note : "");
    if (c->amount != NULL) {
        rc = fx_amount_parse(c->amount, x.currency, &amt, err);
        if (rc != CG_OK)
            goto done;
        if (amt <= 0 || amt > x.left) {
            char left[40];
            fx_amount_format(x.left, x.currency, left, sizeof(left));
            rc = CG_ERR_SET(err, CG_EREJECT,
                            "receipt %lld has %s %s left; %s %s cannot be allocated", x.id,
                            x.currency, left, x.currency, c->amount);
            goto done;
        }
        rc =
            allocate(s, &x, &v, x.out ? "REFUND_OUT" : "PRINCIPAL", amt, 1, "OPERATOR", cause, err);
    } else {
        if (x.left <= 0 && x.fee_left <= 0) {
            rc = CG_ERR_SET(err, CG_EREJECT, "receipt %lld is fully allocated", x.id);
            goto done;
        }
        rc = allocate_rest(s, &x, &v, x.left, x.fee_left, 1, "OPERATOR", cause, err);
    }
done:
    free(x.reference);
    return rc;
}

int cg_settle_match(struct cg_settle *s, long long receipt, const char *order, const char *amount,
                    const char *note, struct cg_err *err)
{
    struct op_ctx c;

    memset(&c, 0, sizeof(c));
    c.s = s;
    c.receipt = receipt;
    c.order = order;
    c.amount = amount;
    c.note = note;
    return fx_tx(s, match_tx, &c, err);
}

/* After an operator's change: the order's collected amount is not below zero (else: hint). */
static int not_below_zero(struct cg_settle *s, long long oid, const char *hint, struct cg_err *err)
{
    struct fx_view v;
    char have[40];
    int rc = fx_view_load(s, oid, NULL, &v, err);

    if (rc != CG_OK || v.collected >= 0)
        return rc;
    fx_amount_format(v.collected, v.currency, have, sizeof(have));
    return CG_ERR_SET(err, CG_EREJECT, "order %s/%s would have collected %s %s: %s", v.seller,
                      v.order_no, v.currency, have, hint);
}

static int unmatch_tx(struct cg_store *db, void *vctx, struct cg_err *err)
{
    struct op_ctx *c = vctx;
    struct cg_settle *s = c->s;
    struct rcpt x;
    struct fx_view v;
    long long oid = 0;
    long n = 0;
    char cause[300];
    int rc;

    rc = load_receipt(s, c->receipt, &x, err);
    if (rc == CG_OK)
        rc = fx_order_resolve(s, c->order, &oid, err);
    if (rc == CG_OK)
        rc = fx_view_load(s, oid, NULL, &v, err);
    if (rc == CG_OK)
        rc = cg_store_fx_alloc_remove(db, x.id, oid, &n, err);
    if (rc == CG_OK && n == 0)
        rc = CG_ERR_SET(err, CG_ENOTFOUND, "receipt %lld is not allocated to %s", x.id, c->order);
    if (rc == CG_OK)
        rc = not_below_zero(s, oid, "unmatch its refunds first", err);
    snprintf(cause, sizeof(cause), "operator%s%s", c->note ? ": " : "", c->note ? c->note : "");
    if (rc == CG_OK) {
        fx_touch(s, oid);
        rc = fx_event(s, oid, x.id, v.state, NULL, "OPERATOR", cause,
                      "allocations of the receipt removed", err);
    }
    free(x.reference);
    return rc;
}

int cg_settle_unmatch(struct cg_settle *s, long long receipt, const char *order, const char *note,
                      struct cg_err *err)
{
    struct op_ctx c;

    memset(&c, 0, sizeof(c));
    c.s = s;
    c.receipt = receipt;
    c.order = order;
    c.note = note;
    return fx_tx(s, unmatch_tx, &c, err);
}

/* ------------------------------------------------------------------ operator: charge */

int fx_alloc_list_take(void *vctx, const struct cg_fx_alloc *a)
{
    struct fx_alloc_list *l = vctx;
    size_t n = strlen(l->text);
    char amt[40];

    fx_amount_format(a->amount_rcpt, a->currency, amt, sizeof(amt));
    if (l->n++ == 0)
        snprintf(l->first, sizeof(l->first), "%s", a->order_no);
    if (n + 1 < sizeof(l->text))
        snprintf(l->text + n, sizeof(l->text) - n, "%s%s %s to %s", n > 0 ? ", " : "", a->currency,
                 amt, a->order_no);
    return 0;
}

struct charge_ctx {
    struct cg_settle *s;
    long long receipt;
    const char *by, *reason;
    char was[400]; /* the operator's record of it as a charge, "" when none */
    struct fx_alloc_list allocs;
};

static int take_charge_record(void *vctx, const struct cg_fx_receipt *r)
{
    struct charge_ctx *c = vctx;

    if (r->charge_by != NULL)
        snprintf(c->was, sizeof(c->was), "recorded so by %s on %s: %s", r->charge_by, r->charge_on,
                 r->charge_reason);
    return 0;
}

static int charge_tx(struct cg_store *db, void *vctx, struct cg_err *err)
{
    struct charge_ctx *c = vctx;
    struct rcpt x;
    char amt[40];
    int rc = load_receipt(c->s, c->receipt, &x, err);

    if (rc == CG_OK)
        rc = cg_store_fx_receipt_get(db, x.id, take_charge_record, c, err);
    if (rc == CG_OK)
        rc = cg_store_fx_allocs_each(db, 0, x.id, fx_alloc_list_take, &c->allocs, err);
    if (rc != CG_OK)
        goto done;
    fx_amount_format(x.net, x.currency, amt, sizeof(amt));
    if (!x.out)
        rc = CG_ERR_SET(err, CG_EREJECT,
                        "receipt %lld is money in (%s %s received): only money out can be the "
                        "bank's charge",
                        x.id, x.currency, amt);
    else if (x.fee_back)
        rc = CG_ERR_SET(err, CG_EREJECT,
                        "receipt %lld is a refund of a payout report or collections CSV, not a "
                        "bank entry: only a bank's debit can be the bank's charge",
                        x.id);
    else if (x.charge)
        rc = CG_ERR_SET(err, CG_EREJECT, "receipt %lld is the bank's charge already (%s)", x.id,
                        c->was[0] ? c->was : "found so when its statement was imported");
    else if (c->allocs.n > 0)
        rc = CG_ERR_SET(err, CG_EREJECT,
                        "receipt %lld is allocated (%s of its %s %s): a charge is no order's "
                        "money; take it back first (settle unmatch %lld %s)",
                        x.id, c->allocs.text, x.currency, amt, x.id, c->allocs.first);
    if (rc == CG_OK)
        rc = cg_store_fx_charge_mark(db, x.id, c->by, c->reason, c->s->today, err);
done:
    free(x.reference);
    return rc;
}

int cg_settle_charge(struct cg_settle *s, long long receipt, const char *by, const char *reason,
                     struct cg_err *err)
{
    struct charge_ctx c;

    memset(&c, 0, sizeof(c));
    c.s = s;
    c.receipt = receipt;
    c.by = by;
    c.reason = reason;
    return fx_tx(s, charge_tx, &c, err);
}

/* ------------------------------------------------------------------ operator: confirm */

struct pend {
    long long id, order_id;
    int64_t amount;
    struct pend *next;
};

static int take_pending(void *ctx, const struct cg_fx_alloc *a)
{
    struct pend **head = ctx;
    struct pend *p;

    if (a->has_order_amount)
        return 0;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return CG_ENOMEM;
    p->id = a->id;
    p->order_id = a->order_id;
    p->amount = a->amount_rcpt;
    p->next = *head;
    *head = p;
    return 0;
}

/* Every rate the allocations of list (of order only, when not 0) need, all named when missing. */
static int confirm_rates_known(struct cg_settle *s, const struct rcpt *x, const struct pend *list,
                               long long only, struct cg_err *err)
{
    char cur[17][4];
    const char *need[17];
    size_t n = 0, i;
    const struct pend *p;
    int rc = CG_OK;

    cg_strlcpy(cur[n++], x->currency, sizeof(cur[0]));
    for (p = list; rc == CG_OK && p != NULL && n < sizeof(cur) / sizeof(cur[0]); p = p->next) {
        struct fx_view v;
        if (only != 0 && p->order_id != only)
            continue;
        rc = fx_view_load(s, p->order_id, NULL, &v, err);
        if (rc == CG_OK)
            cg_strlcpy(cur[n++], v.currency, sizeof(cur[0]));
    }
    for (i = 0; i < n; i++)
        need[i] = cur[i];
    return rc == CG_OK ? rates_known(s, x->value_on, need, n, err) : rc;
}

static int confirm_tx(struct cg_store *db, void *vctx, struct cg_err *err)
{
    struct op_ctx *c = vctx;
    struct cg_settle *s = c->s;
    struct rcpt x;
    struct pend *list = NULL, *p;
    long long only = 0;
    long n = 0;
    int rc;

    rc = load_receipt(s, c->receipt, &x, err);
    if (rc == CG_OK && c->order != NULL)
        rc = fx_order_resolve(s, c->order, &only, err);
    if (rc == CG_OK)
        rc = cg_store_fx_allocs_each(db, 0, x.id, take_pending, &list, err);
    if (rc == CG_OK)
        rc = confirm_rates_known(s, &x, list, only, err);
    for (p = list; rc == CG_OK && p != NULL; p = p->next) {
        struct fx_view v;
        char rr[32], ro[32], sr[64], so[64], detail[384], a1[40], a2[40];
        int64_t rate_r, rate_o, amount_order = 0, cny = 0;
        if (only != 0 && p->order_id != only)
            continue;
        rc = fx_view_load(s, p->order_id, NULL, &v, err);
        if (rc == CG_OK)
            rc = rate_of(s, x.currency, x.value_on, rr, sr, &rate_r, err);
        if (rc == CG_OK)
            rc = rate_of(s, v.currency, x.value_on, ro, so, &rate_o, err);
        if (rc == CG_OK && (cross_convert(p->amount, x.currency, rate_r, v.currency, rate_o,
                                          &amount_order) != CG_OK ||
                            fx_to_cny(p->amount, x.currency, rate_r, &cny) != CG_OK))
            rc = CG_ERR_SET(err, CG_EREJECT, "conversion out of range");
        if (rc == CG_OK)
            rc = cg_store_fx_alloc_confirm(db, p->id, amount_order, cny, rr, ro, sr, x.value_on,
                                           err);
        if (rc == CG_OK && x.out)
            rc = not_below_zero(s, p->order_id, "the refund is more than it collected", err);
        if (rc != CG_OK)
            break;
        fx_touch(s, p->order_id);
        fx_amount_format(p->amount, x.currency, a1, sizeof(a1));
        fx_amount_format(amount_order, v.currency, a2, sizeof(a2));
        snprintf(detail, sizeof(detail),
                 "CROSS_CCY confirmed: %s %s = %s %s at %s %s/CNY and %s %s/CNY (%s, %s)",
                 x.currency, a1, v.currency, a2, rr, x.currency, ro, v.currency, sr, x.value_on);
        rc = fx_event(s, p->order_id, x.id, v.state, NULL, "OPERATOR", "operator: confirm", detail,
                      err);
        n++;
    }
    if (rc == CG_OK && n == 0)
        rc =
            CG_ERR_SET(err, CG_ENOTFOUND, "receipt %lld has no allocation waiting for rates", x.id);
    while (list != NULL) {
        p = list->next;
        free(list);
        list = p;
    }
    free(x.reference);
    return rc;
}

int cg_settle_confirm(struct cg_settle *s, long long receipt, const char *order, struct cg_err *err)
{
    struct op_ctx c;

    memset(&c, 0, sizeof(c));
    c.s = s;
    c.receipt = receipt;
    c.order = order;
    return fx_tx(s, confirm_tx, &c, err);
}

static int rate_tx(struct cg_store *db, void *vctx, struct cg_err *err)
{
    struct op_ctx *c = vctx;

    return cg_store_fx_rate_put(db, c->currency, c->day, c->rate,
                                c->note != NULL ? c->note : "operator", err);
}

int cg_settle_rate_set(struct cg_settle *s, const char *currency, const char *day, const char *rate,
                       const char *source, struct cg_err *err)
{
    struct op_ctx c;
    int64_t r;
    long d;
    int exp, rc;
    char why[128];

    if (cg_money_exponent(currency, &exp) != CG_OK)
        return CG_ERR_SET(err, CG_EINVAL, "%s", fx_currency_why(currency, why, sizeof(why)));
    if (fx_day_parse(day, &d) != CG_OK)
        return CG_ERR_SET(err, CG_EINVAL, "'%s' is not a day (YYYY-MM-DD)", day);
    if (fx_rate_parse(rate, &r, err) != CG_OK) {
        err->code = CG_EINVAL;
        return CG_EINVAL;
    }
    memset(&c, 0, sizeof(c));
    c.s = s;
    c.currency = currency;
    c.day = day;
    c.rate = rate;
    c.note = source;
    s->done[0] = '\0';
    rc = fx_tx(s, rate_tx, &c, err);
    if (rc == CG_OK)
        snprintf(s->done, sizeof(s->done), "rate %s %s: CNY %s for one %s (%s)", currency, day,
                 rate, currency, source != NULL ? source : "operator");
    return rc;
}

const char *cg_settle_done(const struct cg_settle *s)
{
    return s->done;
}

/* ------------------------------------------------------------------ operator: marks */

static const char *const mark_kind[] = {"DEEMED",  "UNCOLLECTIBLE", "FX_DIFF",
                                        "FREIGHT", "RETURNED",      "TRADE_CREDIT_FILED"};

/* s->done for a mark: "order SELLER/NO: STATE: what was recorded: NOTE", the order as it is now. */
static int mark_done(struct cg_settle *s, long long oid, int mark, int64_t amt, const char *note,
                     struct cg_err *err)
{
    static const char *const words[] = {"deemed collected",    "recorded as uncollectible",
                                        "exchange difference", "freight the buyer paid",
                                        "goods returned",      "deferred-receipt report filed"};
    struct fx_view v;
    char a[40], e[40], what[160];
    int rc = fx_view_load(s, oid, NULL, &v, err);

    if (rc != CG_OK)
        return rc;
    fx_amount_format(amt, v.currency, a, sizeof(a));
    fx_amount_format(v.expected, v.currency, e, sizeof(e));
    if (mark == CG_MARK_RETURNED)
        snprintf(what, sizeof(what), "goods returned %s %s, expected now %s %s", v.currency, a,
                 v.currency, e);
    else if (mark == CG_MARK_FX_DIFF || mark == CG_MARK_FREIGHT)
        snprintf(what, sizeof(what), "%s %s %s explained", words[mark], v.currency, a);
    else
        snprintf(what, sizeof(what), "%s", words[mark]);
    snprintf(s->done, sizeof(s->done), "order %s%s%s: %s: %s: %s", v.seller, v.seller[0] ? "/" : "",
             v.order_no, cg_fx_state_name(v.state), what, note);
    return CG_OK;
}

static int mark_tx(struct cg_store *db, void *vctx, struct cg_err *err)
{
    struct op_ctx *c = vctx;
    struct cg_settle *s = c->s;
    struct fx_view v;
    long long oid = 0;
    int64_t amt = 0;
    char cause[300];
    int rc = fx_order_resolve(s, c->order, &oid, err);

    if (rc == CG_OK)
        rc = fx_view_load(s, oid, NULL, &v, err);
    if (rc != CG_OK)
        return rc;
    if (c->mark == CG_MARK_FX_DIFF || c->mark == CG_MARK_FREIGHT || c->mark == CG_MARK_RETURNED) {
        if (c->amount == NULL)
            return CG_ERR_SET(err, CG_EREJECT, "%s needs an amount in %s", mark_kind[c->mark],
                              v.currency);
        rc = fx_amount_parse(c->amount, v.currency, &amt, err);
        if (rc != CG_OK)
            return rc;
        if (amt <= 0)
            return CG_ERR_SET(err, CG_EREJECT, "the amount must be positive");
        /* Goods returned are valued as declared: never more than declared and not returned. */
        if (c->mark == CG_MARK_RETURNED && amt > v.declared - v.sums.returned)
            return CG_ERR_SET(err, CG_EREJECT, "returned value is more than the %s %s", v.currency,
                              v.has_charge ? "declared and not returned yet" : "expected");
    }
    snprintf(cause, sizeof(cause), "operator: %s", c->note);
    rc = cg_store_fx_adjust_add(db, oid, mark_kind[c->mark], amt, c->note, err);
    if (rc == CG_OK)
        rc = fx_event(s, oid, 0, v.state, NULL, "OPERATOR", cause, mark_kind[c->mark], err);
    if (rc == CG_OK)
        rc = mark_done(s, oid, c->mark, amt, c->note, err);
    return rc;
}

int cg_settle_mark(struct cg_settle *s, const char *order, int mark, const char *amount,
                   const char *note, struct cg_err *err)
{
    struct op_ctx c;
    int rc;

    if (mark < CG_MARK_DEEMED || mark > CG_MARK_CREDIT_FILED)
        return CG_ERR_SET(err, CG_EINVAL, "unknown mark");
    if (note == NULL || note[0] == '\0')
        return CG_ERR_SET(err, CG_EREJECT, "a note with the evidence is required");
    memset(&c, 0, sizeof(c));
    c.s = s;
    c.order = order;
    c.mark = mark;
    c.amount = amount;
    c.note = note;
    s->done[0] = '\0';
    rc = fx_tx(s, mark_tx, &c, err);
    if (rc != CG_OK)
        s->done[0] = '\0';
    return rc;
}

/* ------------------------------------------------------------------ settlement */

static int take_holding(void *ctx, const struct cg_fx_holding *h)
{
    *(struct cg_fx_holding *)ctx = *h;
    return 0;
}

int fx_convert_in_tx(struct cg_settle *s, const char *cur, const char *amount, const char *rate,
                     const char *day, const char *reference, const char *bank_cny, int64_t *cny,
                     struct cg_err *err)
{
    struct cg_fx_holding h;
    int64_t amt = 0, r = 0, held;
    char a[40], b[40];
    int rc;

    memset(&h, 0, sizeof(h));
    if (reference != NULL) {
        rc = cg_store_fx_settlement_known(s->db, reference, err);
        if (rc == CG_OK)
            return CG_ERR_SET(err, CG_EEXIST, "settlement %s is already recorded", reference);
        if (rc != CG_ENOTFOUND)
            return rc;
    }
    rc = fx_amount_parse(amount, cur, &amt, err);
    if (rc == CG_OK)
        rc = fx_rate_parse(rate, &r, err);
    if (rc == CG_OK && amt <= 0)
        rc = CG_ERR_SET(err, CG_EREJECT, "the amount must be positive");
    if (rc == CG_OK)
        rc = cg_store_fx_holdings_each(s->db, cur, take_holding, &h, err);
    if (rc != CG_OK)
        return rc;
    held = h.received - h.paid_out - h.settled;
    if (amt > held) {
        fx_amount_format(amt, cur, a, sizeof(a));
        fx_amount_format(held, cur, b, sizeof(b));
        return CG_ERR_SET(err, CG_EREJECT, "settling %s %s needs more than the %s %s held", cur, a,
                          cur, b);
    }
    /* The bank's own CNY amount when the settlement file gives it, never recomputed. */
    if (bank_cny != NULL)
        rc = fx_amount_parse(bank_cny, "CNY", cny, err);
    else if (fx_to_cny(amt, cur, r, cny) != CG_OK)
        rc = CG_ERR_SET(err, CG_EREJECT, "conversion out of range");
    if (rc != CG_OK)
        return rc;
    return cg_store_fx_settlement_add(s->db, cur, amt, *cny, rate, day, reference, err);
}

static int convert_tx(struct cg_store *db, void *vctx, struct cg_err *err)
{
    struct op_ctx *c = vctx;

    (void)db;
    return fx_convert_in_tx(c->s, c->currency, c->amount, c->rate, c->day, c->reference, NULL,
                            &c->out, err);
}

int cg_settle_convert(struct cg_settle *s, const char *currency, const char *amount,
                      const char *rate, const char *day, const char *reference, int64_t *cny,
                      struct cg_err *err)
{
    struct op_ctx c;
    int64_t amt = 0, r = 0;
    long d;
    int exp;
    char why[128];
    int rc;

    if (day == NULL)
        day = s->today;
    if (fx_day_parse(day, &d) != CG_OK)
        return CG_ERR_SET(err, CG_EINVAL, "'%s' is not a day (YYYY-MM-DD)", day);
    if (strcmp(currency, "CNY") == 0)
        return CG_ERR_SET(err, CG_EINVAL, "CNY is what foreign currency is settled into");
    /* The arguments' own form is checked here (exit 2); what is held, in the transaction. */
    if (cg_money_exponent(currency, &exp) != CG_OK)
        return CG_ERR_SET(err, CG_EINVAL, "%s", fx_currency_why(currency, why, sizeof(why)));
    if (fx_amount_parse(amount, currency, &amt, err) != CG_OK ||
        fx_rate_parse(rate, &r, err) != CG_OK) {
        err->code = CG_EINVAL;
        return CG_EINVAL;
    }
    if (amt <= 0)
        return CG_ERR_SET(err, CG_EINVAL, "the amount must be positive");
    memset(&c, 0, sizeof(c));
    c.s = s;
    c.currency = currency;
    c.amount = amount;
    c.rate = rate;
    c.day = day;
    c.reference = reference;
    rc = fx_tx(s, convert_tx, &c, err);
    if (rc == CG_OK && cny != NULL)
        *cny = c.out;
    return rc;
}

/* ------------------------------------------------------------------ timers */

struct tick_ctx {
    struct cg_settle *s;
    const char *as_of;
    struct cg_settle_tick *res;
    struct id_list orders;
};

static int take_order_id(void *ctx, const struct cg_fx_order *o)
{
    return o->export_on[0] == '\0' ? 0 : id_push(ctx, o->id);
}

/* Fire timer kind once (on the tick's day); an event with its cause. */
static int fire(struct cg_settle *s, const struct fx_view *v, const char *kind, const char *on,
                int before, const char *detail, long *count, struct cg_err *err)
{
    int rc = cg_store_fx_timer_fire(s->db, v->id, kind, on, err);

    if (rc == CG_EEXIST) {
        cg_err_clear(err);
        return CG_OK;
    }
    if (rc == CG_OK)
        rc = fx_event(s, v->id, 0, before, on, "TIMER", kind, detail, err);
    if (rc == CG_OK)
        (*count)++;
    return rc;
}

/*
 * The deadlines are China dates counted from the China release day; a deadline D has passed when
 * the China date of the tick (fx_china_day) is after D: a tick as of a UTC day given is as at
 * its end, when the China date is the next day, so D has passed as of the UTC day D itself; a
 * tick as of today is as at now, so D has passed from midnight in China (16:00 UTC on D).
 */
static int tick_one(struct tick_ctx *c, long long id, struct cg_err *err)
{
    struct cg_settle *s = c->s;
    struct fx_view v, before;
    long ex = 0, now = 0, dl = 0;
    long terms, credit_days, report_days, overdue_days;
    char due[CG_DAY_LEN], prev[CG_DAY_LEN], detail[160];
    int rc = fx_view_load(s, id, c->as_of, &v, err);

    if (rc != CG_OK)
        return rc;
    if (fx_day_parse(v.export_on, &ex) != CG_OK || fx_day_parse(c->as_of, &now) != CG_OK)
        return CG_OK;
    now = fx_china_day(s, now);
    terms = fx_conf_int(s, v.seller, "terms_days");
    credit_days = fx_conf_int(s, v.seller, "credit_days");
    report_days = fx_conf_int(s, v.seller, "credit_report_days");
    overdue_days = fx_conf_int(s, v.seller, "overdue_days");
    /* Deferred receipt: expected more than credit_days after export, report due in 30 days. */
    if (terms > credit_days && v.sums.credit_filed == 0 && v.state != CG_FX_COLLECTED &&
        v.state != CG_FX_DEEMED) {
        fx_day_format(ex + report_days, due);
        snprintf(detail, sizeof(detail),
                 "payment expected %ld day%s after export: deferred-receipt report due %s", terms,
                 terms == 1 ? "" : "s", due);
        rc = fire(s, &v, "credit-report-due", c->as_of, v.state, detail, &c->res->credit_due, err);
        if (rc == CG_OK && now > ex + report_days) {
            snprintf(detail, sizeof(detail), "deferred-receipt report due %s not filed", due);
            rc = fire(s, &v, "credit-report-late", c->as_of, v.state, detail, &c->res->credit_late,
                      err);
        }
        if (rc != CG_OK)
            return rc;
    }
    /* The tax collection deadline; the state before it is the state as of the UTC day before. */
    if (v.state == CG_FX_OVERDUE && fx_day_parse(v.deadline, &dl) == CG_OK) {
        fx_day_format(dl - 1, prev);
        rc = fx_view_load(s, id, prev, &before, err);
        snprintf(detail, sizeof(detail), "tax collection deadline %s passed", v.deadline);
        if (rc == CG_OK)
            rc = fire(s, &v, "tax-deadline", c->as_of, before.state, detail, &c->res->overdue, err);
        if (rc != CG_OK)
            return rc;
    }
    /* The internal overdue threshold. */
    if ((v.state == CG_FX_AWAITING || v.state == CG_FX_PARTIAL || v.state == CG_FX_OVERDUE) &&
        now - ex > overdue_days) {
        snprintf(detail, sizeof(detail), "not collected %ld day%s after export", overdue_days,
                 overdue_days == 1 ? "" : "s");
        rc = fire(s, &v, "internal-overdue", c->as_of, v.state, detail, &c->res->late, err);
    }
    return rc;
}

static int tick_tx(struct cg_store *db, void *vctx, struct cg_err *err)
{
    struct tick_ctx *c = vctx;
    size_t i;
    int rc = cg_store_fx_orders_each(db, take_order_id, &c->orders, err);

    for (i = 0; rc == CG_OK && i < c->orders.n; i++)
        rc = tick_one(c, c->orders.id[i], err);
    if (rc == CG_ENOMEM)
        CG_ERR_SET(err, rc, "out of memory");
    return rc;
}

int cg_settle_tick(struct cg_settle *s, const char *as_of, struct cg_settle_tick *res,
                   struct cg_err *err)
{
    struct tick_ctx c;
    long d;
    int rc;

    memset(res, 0, sizeof(*res));
    if (as_of == NULL)
        as_of = s->today;
    if (fx_day_parse(as_of, &d) != CG_OK)
        return CG_ERR_SET(err, CG_EINVAL, "'%s' is not a day (YYYY-MM-DD)", as_of);
    memset(&c, 0, sizeof(c));
    c.s = s;
    c.as_of = as_of;
    c.res = res;
    rc = fx_tx(s, tick_tx, &c, err);
    free(c.orders.id);
    return rc;
}
