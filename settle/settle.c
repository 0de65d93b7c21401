/*
 * settle.c - the settle/ context, days and rates arithmetic, and the derived collection state.
 *
 * The state of an order is computed here from its declared amount, release day, allocations
 * and operator records (docs/settlement.md, "Collection state"); it is never stored, so it
 * cannot drift from the allocations. Every change to an order goes through fx_event(), which
 * derives the state after the change and appends an fx_event row with the cause. Arithmetic is
 * in int64 minor units with 128-bit intermediates; every rounding is half away from zero.
 * Nothing here prints; failures come back as enum cg_rc with err filled.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/money.h"
#include "settle/settle-int.h"
#include "store/store.h"

static const char *const state_names[CG_FX_NSTATES] = {
    "NOT_EXPORTED",   "AWAITING",         "PARTIAL",       "COLLECTED",
    "OVER_COLLECTED", "DEEMED_COLLECTED", "UNCOLLECTIBLE", "OVERDUE",
};

const char *cg_fx_state_name(int state)
{
    if (state < 0 || state >= CG_FX_NSTATES)
        return "?";
    return state_names[state];
}

/* ------------------------------------------------------------------ days */

int fx_day_parse(const char *s, long *days)
{
    long y, m, d;
    struct tm tm;
    int i;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return CG_EINVAL;
    for (i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return CG_EINVAL;
    }
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return CG_EINVAL;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return CG_EINVAL;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = (int)y - 1900;
    tm.tm_mon = (int)m - 1;
    tm.tm_mday = (int)d;
    *days = (long)(timegm(&tm) / 86400);
    return CG_OK;
}

void fx_day_format(long days, char out[CG_DAY_LEN])
{
    time_t t = (time_t)days * 86400;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, CG_DAY_LEN, "%Y-%m-%d", &tm);
}

void fx_day_today(char out[CG_DAY_LEN])
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, CG_DAY_LEN, "%Y-%m-%d", &tm);
}

/*
 * A report or tick as of a UTC day is as at the end of it, its last second, which in China
 * (UTC+8, no daylight saving) is 07:59:59 of the next day; as of today read off the clock, it is
 * as at now.
 */
long fx_china_day(const struct cg_settle *s, long utc_day)
{
    long today;

    if (utc_day < 0)
        return -1;
    if (!s->today_given && fx_day_parse(s->today, &today) == CG_OK && utc_day == today)
        return s->china_now;
    return (utc_day * 86400 + 86399 + 8 * 3600) / 86400;
}

/* ------------------------------------------------------------------ amounts and rates */

int fx_pow10(int n, int64_t *out)
{
    int64_t v = 1;

    if (n < 0 || n > 18)
        return CG_ERANGE;
    while (n-- > 0)
        v *= 10;
    *out = v;
    return CG_OK;
}

int fx_muldiv(int64_t a, int64_t b, int64_t c, int64_t *out)
{
    __int128 p = (__int128)a * b;
    __int128 q, r;
    int neg = p < 0;

    if (c <= 0)
        return CG_EINVAL;
    if (neg)
        p = -p;
    q = p / c;
    r = p % c;
    if (2 * r >= c) /* half away from zero */
        q++;
    if (neg)
        q = -q;
    if (q > INT64_MAX || q < -INT64_MAX)
        return CG_ERANGE;
    *out = (int64_t)q;
    return CG_OK;
}

int fx_to_cny(int64_t amount, const char *cur, int64_t rate, int64_t *fen)
{
    int exp;
    int64_t div;

    /* minor units * rate (5 decimals) / 10^(5 + exp - 2) = fen, rounded once */
    if (cg_money_exponent(cur, &exp) != CG_OK || fx_pow10(5 + exp - 2, &div) != CG_OK)
        return CG_EINVAL;
    return fx_muldiv(amount, rate, div, fen);
}

int fx_rate_parse(const char *s, int64_t *rate, struct cg_err *err)
{
    int rc = cg_dec_parse(s, rate);

    if (rc == CG_ERANGE)
        return CG_ERR_SET(err, CG_EREJECT, "rate '%s': more than 5 decimals", s);
    if (rc != CG_OK || *rate <= 0)
        return CG_ERR_SET(err, CG_EREJECT, "rate '%s': not a positive decimal", s);
    return CG_OK;
}

const char *fx_currency_why(const char *cur, char *buf, size_t size)
{
    char up[4];
    size_t i;
    int exp;

    cur = cur != NULL ? cur : "";
    for (i = 0; i < 3 && cur[i] >= 'a' && cur[i] <= 'z'; i++)
        up[i] = (char)(cur[i] - 'a' + 'A');
    up[i] = '\0';
    if (i == 3 && cur[3] == '\0' && cg_money_exponent(up, &exp) == CG_OK)
        snprintf(buf, size,
                 "unknown currency '%s': a currency is its ISO 4217 code in capital "
                 "letters, %s",
                 cur, up);
    else
        snprintf(buf, size, "unknown currency '%s'", cur);
    return buf;
}

int fx_amount_parse(const char *s, const char *cur, int64_t *minor, struct cg_err *err)
{
    struct cg_money m;
    char why[128];
    int exp;
    int rc;

    if (cg_money_exponent(cur, &exp) != CG_OK)
        return CG_ERR_SET(err, CG_EREJECT, "%s", fx_currency_why(cur, why, sizeof(why)));
    rc = cg_money_parse(s, cur, &m);
    if (rc == CG_ERANGE)
        return CG_ERR_SET(err, CG_EREJECT, "'%s' has more than %d decimals for %s", s, exp, cur);
    /* the words the order files use for a thousands separator, a currency sign, an exponent */
    if (rc != CG_OK)
        return CG_ERR_SET(err, CG_EREJECT, "'%s' is not an amount%s", s, cg_dec_why(s));
    *minor = m.minor;
    return CG_OK;
}

void fx_amount_format(int64_t minor, const char *cur, char *buf, size_t size)
{
    struct cg_money m;

    m.minor = minor;
    cg_strlcpy(m.cur, cur, sizeof(m.cur));
    if (cg_money_format(&m, buf, size) != CG_OK)
        snprintf(buf, size, "%lld", (long long)minor);
}

/* ------------------------------------------------------------------ configuration */

const char *fx_conf(const struct cg_settle *s, const char *seller, const char *key)
{
    char sec[96];

    if (seller != NULL && seller[0] != '\0') {
        snprintf(sec, sizeof(sec), "settle.%s", seller);
        return cg_conf_get(s->conf, sec, key);
    }
    return cg_conf_get(s->conf, "settle", key);
}

long fx_conf_int(const struct cg_settle *s, const char *seller, const char *key)
{
    const char *v = fx_conf(s, seller, key);

    return v != NULL ? strtol(v, NULL, 10) : 0;
}

static int tolerance_of(const char *text, const char *cur, int64_t expected, int64_t *out);
static int check_tolerance(const char *name, void *ctx);

/* The charge words of [settle] (seller NULL) or [settle.SELLER]: a bad word is CG_ECONFIG. */
static int check_words_of(const struct cg_settle *s, const char *seller, struct cg_err *err)
{
    struct fx_words *w = NULL;
    struct cg_err e;
    int rc;

    cg_err_clear(&e);
    rc = fx_words_parse(fx_conf(s, seller, "charge_words"), &w, &e);
    fx_words_free(w);
    if (rc == CG_EINVAL)
        return CG_ERR_SET(err, CG_ECONFIG, "[settle%s%s] charge_words: %s", seller ? "." : "",
                          seller ? seller : "", e.msg);
    return rc == CG_OK ? CG_OK : CG_ERR_SET(err, rc, "%s", e.msg);
}

struct words_check {
    const struct cg_settle *s;
    struct cg_err *err;
    int rc;
};

static int check_words(const char *name, void *ctx)
{
    struct words_check *c = ctx;

    c->rc = check_words_of(c->s, name, c->err);
    return c->rc != CG_OK;
}

int cg_settle_new(const struct cg_conf *conf, struct cg_store *db, struct cg_settle **out,
                  struct cg_err *err)
{
    struct cg_settle *s = calloc(1, sizeof(*s));
    int64_t t;
    const char *tol;
    const char *dl;
    long dummy;
    char probe[CG_DAY_LEN + 8];

    if (s == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    s->conf = conf;
    s->db = db;
    fx_day_today(s->today);
    s->china_now = (long)((time(NULL) + 8 * 3600) / 86400);
    tol = fx_conf(s, NULL, "tolerance");
    if (tol == NULL || tolerance_of(tol, "USD", 0, &t) != CG_OK ||
        cg_conf_each_named(conf, "settle", check_tolerance, s) != 0) {
        free(s);
        return CG_ERR_SET(err, CG_ECONFIG,
                          "[settle] tolerance: '%s' (or a seller's) is not AMOUNT, CUR=AMOUNT or "
                          "P%% words",
                          tol != NULL ? tol : "");
    }
    dl = fx_conf(s, NULL, "tax_deadline");
    snprintf(probe, sizeof(probe), "2000-%s", dl != NULL ? dl : "");
    if (fx_day_parse(probe, &dummy) != CG_OK) {
        free(s);
        return CG_ERR_SET(err, CG_ECONFIG, "[settle] tax_deadline: '%s' is not MM-DD",
                          dl != NULL ? dl : "");
    }
    {
        struct words_check wc = {s, err, CG_OK};
        wc.rc = check_words_of(s, NULL, err);
        if (wc.rc == CG_OK)
            cg_conf_each_named(conf, "settle", check_words, &wc);
        if (wc.rc != CG_OK) {
            free(s);
            return wc.rc;
        }
    }
    *out = s;
    return CG_OK;
}

void cg_settle_free(struct cg_settle *s)
{
    int i;

    if (s == NULL)
        return;
    for (i = 0; i < FX_PO_NCOLS; i++)
        free(s->po_col[i]);
    free(s->touched);
    free(s->pass_conf);
    free(s);
}

int cg_settle_set_today(struct cg_settle *s, const char *day, struct cg_err *err)
{
    long d;

    if (fx_day_parse(day, &d) != CG_OK)
        return CG_ERR_SET(err, CG_EINVAL, "'%s' is not a day (YYYY-MM-DD)", day);
    cg_strlcpy(s->today, day, sizeof(s->today));
    s->today_given = true;
    return CG_OK;
}

void cg_settle_on_collected(struct cg_settle *s, cg_settle_collected_fn fn, void *ctx)
{
    s->on_collected = fn;
    s->on_collected_ctx = ctx;
}

/* ------------------------------------------------------------------ derived state */

static int copy_order(void *ctx, const struct cg_fx_order *o)
{
    struct fx_view *v = ctx;

    v->id = o->id;
    cg_strlcpy(v->seller, o->seller, sizeof(v->seller));
    cg_strlcpy(v->order_no, o->order_no, sizeof(v->order_no));
    cg_strlcpy(v->currency, o->currency, sizeof(v->currency));
    v->declared = o->declared;
    v->has_charge = o->has_charge;
    v->charge = o->charge;
    v->refunded = o->refunded;
    cg_strlcpy(v->export_on, o->export_on, sizeof(v->export_on));
    cg_strlcpy(v->released_utc_on, o->released_utc_on, sizeof(v->released_utc_on));
    return 0;
}

void fx_seller_conf_get(const struct cg_settle *s, const char *seller, struct fx_seller_conf *c)
{
    memset(c, 0, sizeof(*c));
    cg_strlcpy(c->seller, seller != NULL ? seller : "", sizeof(c->seller));
    c->tolerance = fx_conf(s, seller, "tolerance");
    c->tax_deadline = fx_conf(s, seller, "tax_deadline");
    c->tax_deadline_years = fx_conf_int(s, seller, "tax_deadline_years");
    c->terms_days = fx_conf_int(s, seller, "terms_days");
    c->credit_days = fx_conf_int(s, seller, "credit_days");
    c->credit_report_days = fx_conf_int(s, seller, "credit_report_days");
}

/* The tax collection deadline: [settle] tax_deadline (MM-DD) of export year + years. */
static void tax_deadline(const struct fx_seller_conf *c, const struct fx_view *v, char *out)
{
    out[0] = '\0';
    if (v->export_on[0] == '\0' || c->tax_deadline == NULL)
        return;
    snprintf(out, CG_DAY_LEN, "%04ld-%.5s", strtol(v->export_on, NULL, 10) + c->tax_deadline_years,
             c->tax_deadline);
}

/*
 * The tolerance of an order of currency cur expecting expected (minor units) from the
 * [settle] tolerance text: words "AMOUNT" (any currency), "CUR=AMOUNT" (that currency, in
 * place of AMOUNT) and "P%" (of what is expected, rounded half-up to the currency's minor
 * unit); the larger of the amount and the percentage. CG_EINVAL when a word is malformed.
 */
static int tolerance_of(const char *text, const char *cur, int64_t expected, int64_t *out)
{
    char copy[256], *save = NULL, *w;
    int64_t amount = 0, own = -1, pct = 0, dec;
    struct cg_money m;

    if (cg_strlcpy(copy, text, sizeof(copy)) >= sizeof(copy))
        return CG_EINVAL;
    for (w = strtok_r(copy, " ,", &save); w != NULL; w = strtok_r(NULL, " ,", &save)) {
        size_t n = strlen(w);
        char *eq = strchr(w, '=');
        if (n > 1 && w[n - 1] == '%') {
            w[n - 1] = '\0';
            if (cg_dec_parse(w, &dec) != CG_OK || dec < 0 || dec > 100 * CG_DEC_ONE ||
                fx_muldiv(expected, dec, 100 * CG_DEC_ONE, &pct) != CG_OK)
                return CG_EINVAL;
        } else if (eq != NULL) {
            *eq = '\0';
            if (strlen(w) != 3 || cg_money_parse(eq + 1, w, &m) != CG_OK || m.minor < 0)
                return CG_EINVAL;
            if (strcmp(w, cur) == 0)
                own = m.minor;
        } else {
            if (cg_dec_parse(w, &dec) != CG_OK || dec < 0 ||
                cg_money_from_dec(dec, cur, &m) != CG_OK)
                return CG_EINVAL;
            amount = m.minor;
        }
    }
    if (own >= 0)
        amount = own;
    *out = amount > pct ? amount : pct;
    return CG_OK;
}

static int64_t tolerance(const struct fx_seller_conf *c, const struct fx_view *v)
{
    const char *t = c->tolerance;
    int64_t tol = 0;

    if (t == NULL || tolerance_of(t, v->currency, v->expected, &tol) != CG_OK)
        return 0;
    return tol;
}

/* Each [settle.NAME] tolerance is checked when the context is made. */
static int check_tolerance(const char *name, void *ctx)
{
    const struct cg_settle *s = ctx;
    const char *t = fx_conf(s, name, "tolerance");
    int64_t tol;

    return t == NULL || tolerance_of(t, "USD", 0, &tol) != CG_OK ? -1 : 0;
}

/* Days since 1970-01-01 of day, or -1 when it is not a day (then no deadline has passed). */
static long day_or_none(const char *day)
{
    long d;

    return fx_day_parse(day, &d) == CG_OK ? d : -1;
}

int64_t fx_expected(bool has_charge, int64_t charge, int64_t refunded, int64_t declared,
                    int64_t returned)
{
    int64_t part = 0;

    if (!has_charge)
        return declared - returned;
    if (refunded > 0)
        return charge > refunded ? charge - refunded : 0;
    if (returned <= 0)
        return charge;
    if (returned >= declared || fx_muldiv(charge, declared - returned, declared, &part) != CG_OK)
        return 0;
    return part;
}

/* china_day: the China date deadlines are compared with (fx_china_day), -1 for none. */
static void derive(const struct fx_seller_conf *c, struct fx_view *v, long china_day)
{
    int64_t tol;
    int64_t got;
    long dl = 0;

    v->expected = fx_expected(v->has_charge, v->charge, v->refunded, v->declared, v->sums.returned);
    tol = tolerance(c, v);
    v->collected = v->sums.principal + v->sums.fees - v->sums.refunds;
    got = v->collected - v->sums.explained;
    v->open = v->expected - got > 0 ? v->expected - got : 0;
    tax_deadline(c, v, v->deadline);
    if (v->export_on[0] == '\0')
        v->state = CG_FX_NOT_EXPORTED;
    else if (v->sums.uncollectible > 0)
        v->state = CG_FX_UNCOLLECTIBLE;
    else if (v->sums.deemed > 0)
        v->state = CG_FX_DEEMED;
    else if (got > v->expected + tol)
        v->state = CG_FX_OVER_COLLECTED;
    else if (got >= v->expected - tol)
        v->state = CG_FX_COLLECTED;
    else if (china_day >= 0 && fx_day_parse(v->deadline, &dl) == CG_OK && china_day > dl)
        v->state = CG_FX_OVERDUE;
    else if (got <= 0)
        v->state = CG_FX_AWAITING;
    else
        v->state = CG_FX_PARTIAL;
    if (v->state == CG_FX_DEEMED || v->state == CG_FX_UNCOLLECTIBLE)
        v->open = 0;
}

void fx_pass_begin(struct cg_settle *s)
{
    s->pass_on = true;
}

void fx_pass_end(struct cg_settle *s)
{
    free(s->pass_conf);
    s->pass_conf = NULL;
    s->npass_conf = 0;
    s->pass_on = false;
}

/* The configuration of seller: during a unit of work resolved once (kept in s), else now. */
static void pass_conf(struct cg_settle *s, const char *seller, struct fx_seller_conf *c)
{
    struct fx_seller_conf *p;
    size_t i;

    if (!s->pass_on) {
        fx_seller_conf_get(s, seller, c);
        return;
    }
    for (i = 0; i < s->npass_conf; i++) {
        if (strcmp(s->pass_conf[i].seller, seller) == 0) {
            *c = s->pass_conf[i];
            return;
        }
    }
    fx_seller_conf_get(s, seller, c);
    /* Out of memory: resolved again next time, the same. */
    p = realloc(s->pass_conf, (s->npass_conf + 1) * sizeof(*p));
    if (p != NULL) {
        s->pass_conf = p;
        s->pass_conf[s->npass_conf++] = *c;
    }
}

int fx_view_load(struct cg_settle *s, long long order_id, const char *as_of, struct fx_view *v,
                 struct cg_err *err)
{
    struct fx_seller_conf c;
    int rc;

    memset(v, 0, sizeof(*v));
    rc = cg_store_fx_order_get(s->db, order_id, copy_order, v, err);
    if (rc == CG_OK)
        rc = cg_store_fx_order_sums(s->db, order_id, &v->sums, err);
    if (rc == CG_OK) {
        pass_conf(s, v->seller, &c);
        derive(&c, v, fx_china_day(s, day_or_none(as_of != NULL ? as_of : s->today)));
    }
    return rc;
}

struct views_ctx {
    struct cg_settle *s;
    long china; /* the China date deadlines are compared with, once for the pass */
    fx_view_fn fn;
    void *ctx;
    struct fx_seller_conf *conf; /* one per seller met so far */
    size_t nconf;
    size_t last;
    int nomem;
};

/* The configuration of seller, resolved the first time the seller is met. */
static const struct fx_seller_conf *views_conf(struct views_ctx *c, const char *seller)
{
    struct fx_seller_conf *p;
    size_t i;

    if (c->nconf > 0 && strcmp(c->conf[c->last].seller, seller) == 0)
        return &c->conf[c->last];
    for (i = 0; i < c->nconf; i++) {
        if (strcmp(c->conf[i].seller, seller) == 0) {
            c->last = i;
            return &c->conf[i];
        }
    }
    p = realloc(c->conf, (c->nconf + 1) * sizeof(*p));
    if (p == NULL)
        return NULL;
    c->conf = p;
    fx_seller_conf_get(c->s, seller, &c->conf[c->nconf]);
    c->last = c->nconf++;
    return &c->conf[c->last];
}

static int views_row(void *vctx, const struct cg_fx_order *o, const struct cg_fx_sums *sums)
{
    struct views_ctx *c = vctx;
    const struct fx_seller_conf *conf = views_conf(c, o->seller);
    struct fx_view v;

    if (conf == NULL) {
        c->nomem = 1;
        return CG_ENOMEM;
    }
    memset(&v, 0, sizeof(v));
    copy_order(&v, o);
    v.sums = *sums;
    derive(conf, &v, c->china);
    return c->fn(c->ctx, &v, conf);
}

int fx_views_each(struct cg_settle *s, const char *as_of, fx_view_fn fn, void *ctx,
                  struct cg_err *err)
{
    struct views_ctx c;
    int rc;

    memset(&c, 0, sizeof(c));
    c.s = s;
    c.china = fx_china_day(s, day_or_none(as_of != NULL ? as_of : s->today));
    c.fn = fn;
    c.ctx = ctx;
    rc = cg_store_fx_orders_sums_each(s->db, views_row, &c, err);
    free(c.conf);
    if (c.nomem)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    return rc;
}

static int take_id(void *ctx, const struct cg_fx_order *o)
{
    *(long long *)ctx = o->id;
    return 0;
}

int fx_order_resolve(struct cg_settle *s, const char *spec, long long *id, struct cg_err *err)
{
    char seller[64];
    const char *slash = strchr(spec, '/');
    int rc;

    if (slash != NULL && (size_t)(slash - spec) < sizeof(seller)) {
        memcpy(seller, spec, (size_t)(slash - spec));
        seller[slash - spec] = '\0';
        rc = cg_store_fx_order_find(s->db, seller, slash + 1, take_id, id, err);
    } else {
        rc = cg_store_fx_order_find(s->db, NULL, spec, take_id, id, err);
    }
    if (rc == CG_ENOTFOUND)
        CG_ERR_SET(err, CG_ENOTFOUND, "order %s: not declared (or no declared amount)", spec);
    return rc;
}

void fx_touch(struct cg_settle *s, long long order_id)
{
    size_t i;

    for (i = 0; i < s->ntouched; i++) {
        if (s->touched[i] == order_id)
            return;
    }
    if (s->ntouched == s->cap_touched) {
        size_t cap = s->cap_touched ? s->cap_touched * 2 : 16;
        long long *p = realloc(s->touched, cap * sizeof(*p));
        if (p == NULL) {
            s->touch_failed = true; /* the transaction fails: no payment record is missed */
            return;
        }
        s->touched = p;
        s->cap_touched = cap;
    }
    s->touched[s->ntouched++] = order_id;
}

int fx_event(struct cg_settle *s, long long order_id, long long receipt_id, int before,
             const char *as_of, const char *cause_kind, const char *cause_ref, const char *detail,
             struct cg_err *err)
{
    struct fx_view v;
    struct cg_fx_event e;
    int rc = fx_view_load(s, order_id, as_of, &v, err);

    if (rc != CG_OK)
        return rc;
    memset(&e, 0, sizeof(e));
    e.order_id = order_id;
    e.receipt_id = receipt_id;
    e.from_state = before >= 0 ? cg_fx_state_name(before) : NULL;
    e.to_state = cg_fx_state_name(v.state);
    e.cause_kind = cause_kind;
    e.cause_ref = cause_ref;
    e.detail = detail;
    e.occurred_on = as_of != NULL ? as_of : s->today;
    return cg_store_fx_event_add(s->db, &e, err);
}

struct tx_call {
    struct cg_settle *s;
    int (*fn)(struct cg_store *, void *, struct cg_err *);
    void *ctx;
};

/*
 * The operation, then the payment record of every order whose allocations it changed, in the
 * same transaction: the collected amount in the order's currency (never below zero), which the
 * spool declares as the order's CEB403 for sellers with payments = collections.
 */
static int tx_with_payments(struct cg_store *db, void *vctx, struct cg_err *err)
{
    struct tx_call *c = vctx;
    size_t i;
    int rc = c->fn(db, c->ctx, err);

    if (rc == CG_OK && c->s->touch_failed)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    for (i = 0; rc == CG_OK && i < c->s->ntouched; i++) {
        struct fx_view v;
        rc = fx_view_load(c->s, c->s->touched[i], NULL, &v, err);
        if (rc == CG_OK)
            rc = cg_store_fx_payment_put(db, v.id, v.currency, v.collected > 0 ? v.collected : 0,
                                         err);
    }
    return rc;
}

int fx_tx(struct cg_settle *s, int (*fn)(struct cg_store *, void *, struct cg_err *), void *ctx,
          struct cg_err *err)
{
    struct tx_call call = {s, fn, ctx};
    bool pass = !s->pass_on; /* not inside another fx_tx */
    size_t i;
    int rc;

    s->ntouched = 0;
    s->touch_failed = false;
    if (pass)
        fx_pass_begin(s);
    rc = cg_store_tx(s->db, tx_with_payments, &call, err);
    if (rc == CG_OK && s->on_collected != NULL) {
        for (i = 0; i < s->ntouched; i++) {
            struct fx_view v;
            struct cg_err e2;
            if (fx_view_load(s, s->touched[i], NULL, &v, &e2) == CG_OK)
                s->on_collected(s->on_collected_ctx, v.seller, v.order_no, v.collected, v.currency);
        }
    }
    if (pass)
        fx_pass_end(s);
    s->ntouched = 0;
    return rc;
}

/* ------------------------------------------------------------------ explain */

struct explain_ctx {
    struct cg_buf *b;
    const char *cur;
};

static int explain_alloc(void *vctx, const struct cg_fx_alloc *a)
{
    struct explain_ctx *c = vctx;
    char r[40], o[40];

    fx_amount_format(a->amount_rcpt, a->currency, r, sizeof(r));
    fx_amount_format(a->amount_order, c->cur, o, sizeof(o));
    if (a->has_order_amount && a->cross)
        return cg_buf_addf(c->b, "  receipt %lld %s %s %s = %s %s (rates %s/%s CNY, %s %s)\n",
                           a->receipt_id, a->kind, a->currency, r, c->cur, o,
                           a->rate_rcpt ? a->rate_rcpt : "", a->rate_order ? a->rate_order : "",
                           a->rate_source ? a->rate_source : "", a->rate_date ? a->rate_date : "");
    if (!a->has_order_amount)
        return cg_buf_addf(c->b, "  receipt %lld %s %s %s: other currency, waits for rates\n",
                           a->receipt_id, a->kind, a->currency, r);
    return cg_buf_addf(c->b, "  receipt %lld %s %s %s (%s)\n", a->receipt_id, a->kind, a->currency,
                       r, a->cause);
}

static int explain_event(void *vctx, const struct cg_fx_event *e, const char *recorded_at)
{
    struct explain_ctx *c = vctx;

    (void)recorded_at;
    return cg_buf_addf(c->b, "  %s %s -> %s  %s %s%s%s\n", e->occurred_on,
                       e->from_state[0] ? e->from_state : "-", e->to_state, e->cause_kind,
                       e->cause_ref, e->detail[0] ? ": " : "", e->detail);
}

int cg_settle_explain(struct cg_settle *s, const char *order, const char *as_of, char **out,
                      struct cg_err *err)
{
    struct cg_buf b;
    struct fx_view v;
    struct explain_ctx c;
    long long id = 0;
    char d[40], col[40], ex[40], op[40], tol[40];
    struct fx_seller_conf conf;
    int rc;

    cg_buf_init(&b, 1u << 20);
    rc = fx_order_resolve(s, order, &id, err);
    if (rc == CG_OK)
        rc = fx_view_load(s, id, as_of, &v, err);
    if (rc != CG_OK)
        goto done;
    fx_amount_format(v.declared, v.currency, d, sizeof(d));
    fx_amount_format(v.collected, v.currency, col, sizeof(col));
    fx_amount_format(v.expected, v.currency, ex, sizeof(ex));
    fx_amount_format(v.open, v.currency, op, sizeof(op));
    fx_seller_conf_get(s, v.seller, &conf);
    fx_amount_format(tolerance(&conf, &v), v.currency, tol, sizeof(tol));
    cg_buf_addf(&b, "order %s%s%s  %s\n", v.seller, v.seller[0] ? "/" : "", v.order_no,
                cg_fx_state_name(v.state));
    cg_buf_addf(&b, "declared %s %s, released %s, tax collection deadline %s\n", v.currency, d,
                v.export_on[0] ? v.export_on : "not yet", v.deadline[0] ? v.deadline : "-");
    if (v.has_charge) {
        fx_amount_format(v.charge, v.currency, d, sizeof(d));
        cg_buf_addf(&b, "charged %s %s (what the buyer paid, from the order file's payment)\n",
                    v.currency, d);
    }
    fx_amount_format(v.sums.returned, v.currency, d, sizeof(d));
    if (v.has_charge && v.refunded > 0) {
        char r[40];
        fx_amount_format(v.refunded, v.currency, r, sizeof(r));
        cg_buf_addf(&b,
                    "expected %s %s (the charge less what the shop refunded, %s; returned goods "
                    "%s)\n",
                    v.currency, ex, r, d);
    } else if (v.has_charge)
        cg_buf_addf(&b,
                    "expected %s %s (the charge, in proportion to the declared value kept; "
                    "returned goods %s)\n",
                    v.currency, ex, d);
    else
        cg_buf_addf(&b, "expected %s %s (returned goods %s)\n", v.currency, ex, d);
    fx_amount_format(v.sums.principal, v.currency, d, sizeof(d));
    cg_buf_addf(&b, "collected %s %s = received %s", v.currency, col, d);
    fx_amount_format(v.sums.fees, v.currency, d, sizeof(d));
    cg_buf_addf(&b, " + fees netted %s", d);
    fx_amount_format(v.sums.refunds, v.currency, d, sizeof(d));
    cg_buf_addf(&b, " - refunds to the buyer %s\n", d);
    if (v.sums.explained > 0) {
        fx_amount_format(v.sums.explained, v.currency, d, sizeof(d));
        cg_buf_addf(&b, "explained over-collection %s %s\n", v.currency, d);
    }
    if (v.state == CG_FX_NOT_EXPORTED) {
        fx_amount_format(0, v.currency, d, sizeof(d));
        cg_buf_addf(&b,
                    "open %s %s: not due: not exported (customs has not released its inventory: "
                    "refused, or not yet), so nothing is to be collected; the expected %s %s "
                    "falls due only once it is released\n",
                    v.currency, d, v.currency, ex);
    } else {
        cg_buf_addf(&b, "open %s %s (tolerance %s)\n", v.currency, op, tol);
    }
    if (v.state == CG_FX_OVER_COLLECTED) {
        fx_amount_format(v.collected - v.sums.explained - v.expected, v.currency, d, sizeof(d));
        cg_buf_addf(&b,
                    "over-collected by %s %s: explain it (settle mark ORDER fx-diff|freight "
                    "AMOUNT) or refund the buyer\n",
                    v.currency, d);
    } else if (v.state == CG_FX_PARTIAL || v.state == CG_FX_OVERDUE) {
        cg_buf_addf(&b, "under-collected by %s %s\n", v.currency, op);
    }
    if (v.sums.pending_cross > 0)
        cg_buf_addf(&b,
                    "%d receipt%s in another currency wait%s for review: settle rate, then "
                    "settle confirm\n",
                    v.sums.pending_cross, v.sums.pending_cross == 1 ? "" : "s",
                    v.sums.pending_cross == 1 ? "s" : "");
    cg_buf_adds(&b, "allocations:\n");
    c.b = &b;
    c.cur = v.currency;
    rc = cg_store_fx_allocs_each(s->db, id, 0, explain_alloc, &c, err);
    if (rc == CG_OK) {
        cg_buf_adds(&b, "events:\n");
        rc = cg_store_fx_events_each(s->db, id, explain_event, &c, err);
    }
    if (rc == CG_OK) {
        *out = cg_buf_take(&b);
        if (*out == NULL)
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
done:
    cg_buf_free(&b);
    return rc;
}

/* ------------------------------------------------------------------ tables */

void cg_table_free(struct cg_table *t)
{
    size_t i;

    if (t == NULL)
        return;
    cg_table_free(t->part);
    for (i = 0; i < t->ncols; i++)
        free(t->cols[i]);
    for (i = 0; i < t->ncols * t->nrows; i++)
        free(t->cells[i]);
    free(t->cols);
    free(t->cells);
    free(t);
}
