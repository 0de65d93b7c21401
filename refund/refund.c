/*
 * refund.c - the refund context, the arithmetic of refund amounts, the unit state machine
 * (transition table, events, evaluation of what is missing) and the operator actions.
 *
 * Every public operation is one cg_store_tx: the unit rows, allocations and events it writes
 * are committed together or not at all. A transition not in the table is CG_EREJECT with the
 * unit, both states and the cause named. Arithmetic is integer with 128-bit intermediates and
 * range checks; rounding is half-up (amounts are never negative here).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "refund/refund-int.h"
#include "store/store.h"

/* ------------------------------------------------------------------ arithmetic */

static int parse_fixed(const char *s, int frac, int64_t max, int64_t *out)
{
    int64_t v = 0;
    int seen = 0, digits = 0, point = 0;

    if (s == NULL || *s == '\0')
        return CG_EINVAL;
    for (; *s != '\0'; s++) {
        if (*s == '.' && !point) {
            point = 1;
            continue;
        }
        if (*s < '0' || *s > '9')
            return CG_EINVAL;
        if (point && ++digits > frac)
            return CG_ERANGE;
        if (v > (max - (*s - '0')) / 10)
            return CG_ERANGE;
        v = v * 10 + (*s - '0');
        seen = 1;
    }
    if (!seen)
        return CG_EINVAL;
    for (; digits < frac; digits++) {
        if (v > max / 10)
            return CG_ERANGE;
        v *= 10;
    }
    *out = v;
    return CG_OK;
}

int cg_refund_rate_parse(const char *s, int64_t *ppm)
{
    char buf[32];
    size_t n;
    int64_t v;
    int rc;

    if (s == NULL)
        return CG_EINVAL;
    n = strlen(s);
    if (n > 0 && s[n - 1] == '%')
        n--;
    if (n == 0 || n >= sizeof(buf))
        return CG_EINVAL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    rc = parse_fixed(buf, 4, INT64_C(100000000), &v);
    if (rc != CG_OK)
        return rc;
    if (v > 1000000)
        return CG_ERANGE;
    *ppm = v; /* percent with 4 decimals is millionths of one */
    return CG_OK;
}

void cg_refund_rate_format(int64_t ppm, char *buf, size_t size)
{
    int64_t whole = ppm / 10000, frac = ppm % 10000;
    int d = 4;

    if (frac == 0) {
        snprintf(buf, size, "%lld", (long long)whole);
        return;
    }
    while (frac % 10 == 0) {
        frac /= 10;
        d--;
    }
    snprintf(buf, size, "%lld.%0*lld", (long long)whole, d, (long long)frac);
}

int cg_refund_share(int64_t amount, int64_t part, int64_t whole, int64_t *out)
{
    __int128 p;

    if (amount < 0 || part < 0 || whole <= 0)
        return CG_EINVAL;
    p = ((__int128)amount * part * 2 + whole) / ((__int128)whole * 2);
    if (p > INT64_MAX)
        return CG_ERANGE;
    *out = (int64_t)p;
    return CG_OK;
}

int cg_refund_amount(int64_t base_fen, int64_t ppm, int64_t *out)
{
    return cg_refund_share(base_fen, ppm, 1000000, out);
}

int cg_refund_vat_inside(int64_t gross_fen, int64_t vat_ppm, int64_t *out)
{
    return cg_refund_share(gross_fen, vat_ppm, 1000000 + vat_ppm, out);
}

int cg_refund_fen_parse(const char *s, int64_t *fen)
{
    return parse_fixed(s, 2, INT64_MAX / 4, fen);
}

int cg_refund_qty_parse(const char *s, int64_t *qty_m)
{
    return parse_fixed(s, 3, INT64_MAX / 4, qty_m);
}

void cg_refund_fen_format(int64_t fen, char *buf, size_t size)
{
    snprintf(buf, size, "%s%lld.%02lld", fen < 0 ? "-" : "", (long long)llabs(fen / 100),
             (long long)llabs(fen % 100));
}

void cg_refund_qty_format(int64_t qty_m, char *buf, size_t size)
{
    int64_t frac = qty_m % 1000;
    int d = 3;

    if (frac == 0) {
        snprintf(buf, size, "%lld", (long long)(qty_m / 1000));
        return;
    }
    while (frac % 10 == 0) {
        frac /= 10;
        d--;
    }
    snprintf(buf, size, "%lld.%0*lld", (long long)(qty_m / 1000), d, (long long)frac);
}

/* ------------------------------------------------------------------ days */

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

/* strptime() takes any day of the month up to 31: 2025-02-30 is checked here. */
int rf_day_ok(const char *day)
{
    struct tm tm;
    const char *end;

    if (day == NULL || strlen(day) != 10)
        return 0;
    memset(&tm, 0, sizeof(tm));
    end = strptime(day, "%Y-%m-%d", &tm);
    return end != NULL && *end == '\0' &&
           tm.tm_mday <= days_in_month(tm.tm_year + 1900, tm.tm_mon + 1);
}

void rf_add_months(const char *day, long months, char *out)
{
    int y = 0, m = 0, d = 0;
    long t;

    sscanf(day, "%4d-%2d-%2d", &y, &m, &d);
    t = (long)y * 12 + (m - 1) + months;
    y = (int)(t / 12);
    m = (int)(t % 12) + 1;
    if (d > days_in_month(y, m))
        d = days_in_month(y, m);
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(y % 10000 + 10000) % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

void rf_add_days(const char *day, long days, char *out)
{
    struct tm tm;
    time_t t;

    memset(&tm, 0, sizeof(tm));
    if (strptime(day, "%Y-%m-%d", &tm) == NULL) {
        cg_strlcpy(out, day, 11);
        return;
    }
    tm.tm_hour = 12;
    t = timegm(&tm) + (time_t)days * 86400;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

void rf_soft_deadline(const struct cg_refund *r, const char *export_on, char *out)
{
    int y = 0;

    sscanf(export_on, "%4d", &y);
    snprintf(out, 11, "%04d-%.5s", ((y + (int)r->soft_years) % 10000 + 10000) % 10000,
             r->soft_mmdd);
}

/* ------------------------------------------------------------------ context */

static void copy_key(const struct cg_conf *conf, const char *key, const char *def, char *dst,
                     size_t size)
{
    const char *v = conf != NULL ? cg_conf_get(conf, "refund", key) : NULL;

    cg_strlcpy(dst, v != NULL ? v : def, size);
}

/* A comma-separated list as ",A,B," (blanks dropped), so a code is found as ",CODE,". */
static void list_key(const struct cg_conf *conf, const char *key, const char *def, char *dst,
                     size_t size)
{
    const char *v = conf != NULL ? cg_conf_get(conf, "refund", key) : NULL;
    size_t n = 0;

    if (v == NULL)
        v = def;
    if (size < 3)
        return;
    dst[n++] = ',';
    for (; *v != '\0' && n + 2 < size; v++)
        if (*v != ' ' && *v != '\t' && !(*v == ',' && dst[n - 1] == ','))
            dst[n++] = *v;
    if (dst[n - 1] != ',')
        dst[n++] = ',';
    dst[n] = '\0';
}

int rf_blank(const char *s)
{
    for (; s != NULL && *s != '\0'; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return 0;
    return 1;
}

int rf_in_list(const char *list, const char *code)
{
    size_t n = code != NULL ? strlen(code) : 0;
    const char *p;

    if (n == 0)
        return 0;
    for (p = strstr(list, code); p != NULL; p = strstr(p + 1, code))
        if (p > list && p[-1] == ',' && p[n] == ',')
            return 1;
    return 0;
}

int rf_in_semi_list(const char *list, const char *item)
{
    size_t n = strlen(item);
    const char *p = list;

    if (n == 0)
        return 0;
    while ((p = strstr(p, item)) != NULL) {
        if ((p == list || p[-1] == ';') && (p[n] == '\0' || p[n] == ';'))
            return 1;
        p++;
    }
    return 0;
}

static int regime_ok(const char *s)
{
    return strcmp(s, "REFUND") == 0 || strcmp(s, "EXEMPT_WITH_DOCS") == 0 ||
           strcmp(s, "EXEMPT_NO_INVOICE_103") == 0 || strcmp(s, "TAXABLE") == 0;
}

int cg_refund_new(const struct cg_conf *conf, struct cg_store *db, struct cg_refund **out,
                  struct cg_err *err)
{
    struct cg_refund *r = calloc(1, sizeof(*r));
    char probe[16];

    if (r == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    r->db = db;
    r->conf = conf;
    copy_key(conf, "soft_deadline", "04-30", r->soft_mmdd, sizeof(r->soft_mmdd));
    r->soft_years = conf != NULL ? cg_conf_get_int(conf, "refund", "soft_deadline_years") : 1;
    r->hard_months = conf != NULL ? cg_conf_get_int(conf, "refund", "hard_deadline_months") : 36;
    r->require_fx = conf != NULL ? cg_conf_get_bool(conf, "refund", "require_collection") : 1;
    r->calendar_days = conf != NULL ? cg_conf_get_int(conf, "refund", "calendar_days") : 60;
    copy_key(conf, "hard_fallback", "auto", r->hard_fallback, sizeof(r->hard_fallback));
    copy_key(conf, "regime_9610", "REFUND", r->regime_9610, sizeof(r->regime_9610));
    copy_key(conf, "regime_9710", "REFUND", r->regime_9710, sizeof(r->regime_9710));
    copy_key(conf, "regime_9810", "REFUND", r->regime_9810, sizeof(r->regime_9810));
    r->archive_days = conf != NULL ? cg_conf_get_int(conf, "refund", "archive_days") : 15;
    r->keep_years = conf != NULL ? cg_conf_get_int(conf, "refund", "archive_keep_years") : 10;
    list_key(conf, "cleared_dec_states", "", r->cleared_states, sizeof(r->cleared_states));
    list_key(conf, "return_statuses", "120,800", r->return_statuses, sizeof(r->return_statuses));
    snprintf(probe, sizeof(probe), "2001-%.5s", r->soft_mmdd);
    if (!rf_day_ok(probe) || strlen(r->soft_mmdd) != 5) {
        free(r);
        return CG_ERR_SET(err, CG_ECONFIG, "[refund] soft_deadline: '%s' is not MM-DD",
                          conf != NULL ? cg_conf_get(conf, "refund", "soft_deadline") : "");
    }
    if (!regime_ok(r->regime_9610) || !regime_ok(r->regime_9710) || !regime_ok(r->regime_9810) ||
        (strcmp(r->hard_fallback, "auto") != 0 && strcmp(r->hard_fallback, "TAXABLE") != 0 &&
         strcmp(r->hard_fallback, "EXEMPT_WITH_DOCS") != 0)) {
        free(r);
        return CG_ERR_SET(err, CG_ECONFIG,
                          "[refund] regime_* must be REFUND, EXEMPT_WITH_DOCS, "
                          "EXEMPT_NO_INVOICE_103 or TAXABLE; hard_fallback auto, TAXABLE or "
                          "EXEMPT_WITH_DOCS");
    }
    cg_refund_set_today(r, NULL, NULL);
    *out = r;
    return CG_OK;
}

void cg_refund_free(struct cg_refund *r)
{
    free(r);
}

void rf_china_day(time_t t, char out[11])
{
    time_t c = t + 8 * 3600;
    struct tm tm;

    gmtime_r(&c, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

int cg_refund_set_today(struct cg_refund *r, const char *day, struct cg_err *err)
{
    if (day == NULL) {
        /* the tax office's dates and deadlines are China dates */
        rf_china_day(time(NULL), r->today);
        return CG_OK;
    }
    if (!rf_day_ok(day))
        return CG_ERR_SET(err, CG_EINVAL, "'%s' is not a day (YYYY-MM-DD)", day);
    cg_strlcpy(r->today, day, sizeof(r->today));
    return CG_OK;
}

/* ------------------------------------------------------------------ units */

void rf_set(struct unit *x, char *field, size_t size, const char *v)
{
    (void)x;
    cg_strlcpy(field, v != NULL ? v : "", size);
}

void rf_unit_copy(struct unit *x, const struct cg_rf_unit *s)
{
    memset(x, 0, sizeof(*x));
    x->u = *s;
    RF_SET(x, entry_id, s->entry_id);
    RF_SET(x, invt_nos, s->invt_nos);
    RF_SET(x, order_no, s->order_no);
    RF_SET(x, trade_mode, s->trade_mode);
    RF_SET(x, route, s->route);
    RF_SET(x, export_on, s->export_on);
    RF_SET(x, hs, s->hs);
    RF_SET(x, name, s->name);
    RF_SET(x, spec, s->spec);
    RF_SET(x, unit, s->unit);
    RF_SET(x, regime, s->regime);
    RF_SET(x, state, s->state);
    RF_SET(x, cleared_on, s->cleared_on);
    RF_SET(x, rate_from, s->rate_from);
    RF_SET(x, period, s->period);
    RF_SET(x, reason, s->reason);
    RF_SET(x, missing, s->missing);
    RF_SET(x, refunded_on, s->refunded_on);
    RF_SET(x, soft_deadline, s->soft_deadline);
    RF_SET(x, hard_deadline, s->hard_deadline);
    RF_SET(x, archive_due, s->archive_due);
    RF_SET(x, archived_on, s->archived_on);
    RF_SET(x, keep_until, s->keep_until);
    RF_SET(x, seller, s->seller);
    RF_SET(x, fx_note, s->fx_note);
    x->u.entry_id = x->entry_id;
    x->u.invt_nos = x->invt_nos;
    x->u.order_no = x->order_no;
    x->u.trade_mode = x->trade_mode;
    x->u.route = x->route;
    x->u.export_on = x->export_on;
    x->u.hs = x->hs;
    x->u.name = x->name;
    x->u.spec = x->spec;
    x->u.unit = x->unit;
    x->u.regime = x->regime;
    x->u.state = x->state;
    x->u.cleared_on = x->cleared_on;
    x->u.rate_from = x->rate_from;
    x->u.period = x->period;
    x->u.reason = x->reason;
    x->u.missing = x->missing;
    x->u.refunded_on = x->refunded_on;
    x->u.soft_deadline = x->soft_deadline;
    x->u.hard_deadline = x->hard_deadline;
    x->u.archive_due = x->archive_due;
    x->u.archived_on = x->archived_on;
    x->u.keep_until = x->keep_until;
    x->u.seller = x->seller;
    x->u.fx_note = x->fx_note;
}

static int load_cb(void *ctx, const struct cg_rf_unit *u)
{
    rf_unit_copy(ctx, u);
    return CG_OK;
}

int rf_unit_load_id(struct cg_refund *r, long long id, struct unit *out, struct cg_err *err)
{
    int rc = cg_store_rf_unit_get(r->db, id, NULL, 0, load_cb, out, err);

    if (rc == CG_ENOTFOUND)
        return CG_ERR_SET(err, CG_ENOTFOUND, "no refund unit #%lld", id);
    return rc;
}

int rf_unit_load(struct cg_refund *r, const char *name, struct unit *out, struct cg_err *err)
{
    char entry[64];
    const char *slash;
    long item = 0;
    int rc;

    if (name != NULL && name[0] == '#') {
        long id = 0;
        if (cg_parse_long(name + 1, 1, LONG_MAX, &id) != CG_OK)
            return CG_ERR_SET(err, CG_EINVAL, "'%s' is not a unit (#ID or ENTRY/ITEM)", name);
        return rf_unit_load_id(r, id, out, err);
    }
    slash = name != NULL ? strrchr(name, '/') : NULL;
    if (slash == NULL || (size_t)(slash - name) >= sizeof(entry) || slash == name ||
        cg_parse_long(slash + 1, 1, 99999, &item) != CG_OK)
        return CG_ERR_SET(err, CG_EINVAL, "'%s' is not a unit (ENTRY/ITEM or #ID)",
                          name != NULL ? name : "");
    memcpy(entry, name, (size_t)(slash - name));
    entry[slash - name] = '\0';
    rc = cg_store_rf_unit_get(r->db, 0, entry, item, load_cb, out, err);
    if (rc == CG_ENOTFOUND)
        return CG_ERR_SET(err, CG_ENOTFOUND, "no refund unit %s", name);
    return rc;
}

/* ------------------------------------------------------------------ transitions */

enum { C_RECEIPT = 1, C_OPERATOR = 2, C_TIMER = 4, C_TAXFILE = 8, C_IMPORT = 16 };

static const struct {
    const char *from, *to;
    int causes;
} moves[] = {
    {"WAIT_CLEARANCE", "WAIT_DOCS", C_RECEIPT | C_OPERATOR | C_IMPORT},
    {"WAIT_DOCS", "READY", C_RECEIPT | C_OPERATOR | C_IMPORT},
    {"WAIT_DOCS", "MISMATCH", C_OPERATOR | C_IMPORT},
    {"MISMATCH", "WAIT_DOCS", C_OPERATOR},
    {"READY", "PRECHECKED", C_OPERATOR | C_TAXFILE},
    {"READY", "MISMATCH", C_OPERATOR | C_TAXFILE},
    {"PRECHECKED", "MISMATCH", C_OPERATOR | C_TAXFILE},
    {"READY", "DECLARED", C_OPERATOR}, /* override with a reason only */
    {"PRECHECKED", "DECLARED", C_OPERATOR | C_TAXFILE},
    {"DECLARED", "APPROVED", C_OPERATOR | C_TAXFILE},
    {"APPROVED", "REFUNDED", C_OPERATOR | C_TAXFILE},
    {"PRECHECKED", "REJECTED", C_OPERATOR | C_TAXFILE},
    {"DECLARED", "REJECTED", C_OPERATOR | C_TAXFILE},
    {"REJECTED", "WAIT_DOCS", C_OPERATOR},
    {"REJECTED", "MISMATCH", C_OPERATOR},
    {"REFUNDED", "CLAWBACK_DUE", C_OPERATOR | C_RECEIPT | C_TAXFILE | C_IMPORT},
    {"CLAWBACK_PAID", "CLAWBACK_DUE", C_OPERATOR | C_RECEIPT | C_IMPORT},
    {"CLAWBACK_DUE", "CLAWBACK_PAID", C_OPERATOR | C_TAXFILE | C_IMPORT},
    /* the proceeds reversed in settle/ are collected again: the clawback of the reversal is
     * undone, leaving nothing owed (REFUNDED) or only what was repaid already (CLAWBACK_PAID) */
    {"CLAWBACK_DUE", "REFUNDED", C_IMPORT},
    /* all that was repaid was overpaid and the tax office paid it back: nothing clawed back */
    {"CLAWBACK_PAID", "REFUNDED", C_OPERATOR},
    {"WAIT_CLEARANCE", "LAPSED_SOFT", C_TIMER},
    {"WAIT_DOCS", "LAPSED_SOFT", C_TIMER},
    {"READY", "LAPSED_SOFT", C_TIMER},
    {"PRECHECKED", "LAPSED_SOFT", C_TIMER},
    {"MISMATCH", "LAPSED_SOFT", C_TIMER},
    {"REJECTED", "LAPSED_SOFT", C_TIMER},
    {"LAPSED_SOFT", "READY", C_OPERATOR},
    /* the proceeds counted for a ready unit were reversed in settle/ */
    {"READY", "WAIT_DOCS", C_IMPORT},
    {"PRECHECKED", "WAIT_DOCS", C_IMPORT},
    {"LAPSED_SOFT", "WAIT_DOCS", C_OPERATOR},
    {"WAIT_CLEARANCE", "LAPSED_HARD", C_TIMER},
    {"WAIT_DOCS", "LAPSED_HARD", C_TIMER},
    {"READY", "LAPSED_HARD", C_TIMER},
    {"PRECHECKED", "LAPSED_HARD", C_TIMER},
    {"MISMATCH", "LAPSED_HARD", C_TIMER},
    {"REJECTED", "LAPSED_HARD", C_TIMER},
    {"LAPSED_SOFT", "LAPSED_HARD", C_TIMER},
    /* every exported unit came back before filing: nothing to file */
    {"WAIT_CLEARANCE", "RETURNED", C_OPERATOR | C_RECEIPT},
    {"WAIT_DOCS", "RETURNED", C_OPERATOR | C_RECEIPT},
    {"READY", "RETURNED", C_OPERATOR | C_RECEIPT},
    {"PRECHECKED", "RETURNED", C_OPERATOR | C_RECEIPT},
    {"MISMATCH", "RETURNED", C_OPERATOR | C_RECEIPT},
    {"REJECTED", "RETURNED", C_OPERATOR | C_RECEIPT},
    {"LAPSED_SOFT", "RETURNED", C_OPERATOR | C_RECEIPT},
    /* the operator changes the regime before filing (refund regime): out of REFUND ... */
    {"WAIT_CLEARANCE", "NO_REFUND", C_OPERATOR},
    {"WAIT_DOCS", "NO_REFUND", C_OPERATOR},
    {"READY", "NO_REFUND", C_OPERATOR},
    {"PRECHECKED", "NO_REFUND", C_OPERATOR},
    {"MISMATCH", "NO_REFUND", C_OPERATOR},
    {"REJECTED", "NO_REFUND", C_OPERATOR},
    /* ... and back into it (from LAPSED_SOFT: LAPSED_SOFT -> WAIT_DOCS, as a late filing) */
    {"NO_REFUND", "WAIT_CLEARANCE", C_OPERATOR},
};

static int cause_bit(const char *kind)
{
    return strcmp(kind, "RECEIPT") == 0    ? C_RECEIPT
           : strcmp(kind, "OPERATOR") == 0 ? C_OPERATOR
           : strcmp(kind, "TIMER") == 0    ? C_TIMER
           : strcmp(kind, "TAXFILE") == 0  ? C_TAXFILE
                                           : C_IMPORT;
}

int rf_can_move(const char *from, const char *to, const char *cause_kind)
{
    size_t i;

    for (i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
        if (strcmp(moves[i].from, from) == 0 && strcmp(moves[i].to, to) == 0 &&
            (moves[i].causes & cause_bit(cause_kind)) != 0)
            return 1;
    return 0;
}

static int log_event(struct cg_refund *r, struct unit *x, const char *from, const char *to,
                     const char *kind, const char *ref, const char *detail, struct cg_err *err)
{
    struct cg_rf_event e;

    memset(&e, 0, sizeof(e));
    e.unit_id = x->u.id;
    e.batch_id = x->u.batch_id;
    e.from_state = from;
    e.to_state = to;
    e.cause_kind = kind;
    e.cause_ref = ref != NULL ? ref : "";
    e.detail = detail;
    e.occurred_on = r->today;
    snprintf(r->last_event, sizeof(r->last_event), "unit %s/%ld: %s: %s", x->entry_id, x->u.item_no,
             to, detail != NULL ? detail : "");
    return cg_store_rf_event_add(r->db, &e, err);
}

int rf_move(struct cg_refund *r, struct unit *x, const char *to, const char *cause_kind,
            const char *cause_ref, const char *detail, struct cg_err *err)
{
    char from[24];
    int rc;

    if (strcmp(x->regime, "REFUND") == 0 && strcmp(x->state, "LAPSED_SOFT") == 0 &&
        !rf_can_move(x->state, to, cause_kind))
        return CG_ERR_SET(err, CG_EREJECT,
                          "unit %s/%ld: %s -> %s by %s is not allowed (the soft deadline "
                          "passed: `cebgate refund late %s/%ld --note EVIDENCE` files it late, "
                          "before the hard deadline; `cebgate refund regime %s/%ld REGIME --note "
                          "TEXT` changes its regime)",
                          x->entry_id, x->u.item_no, x->state, to, cause_kind, x->entry_id,
                          x->u.item_no, x->entry_id, x->u.item_no);
    if (!rf_can_move(x->state, to, cause_kind) || strcmp(x->regime, "REFUND") != 0)
        return CG_ERR_SET(err, CG_EREJECT, "unit %s/%ld: %s -> %s by %s is not allowed%s",
                          x->entry_id, x->u.item_no, x->state, to, cause_kind,
                          strcmp(x->regime, "REFUND") != 0 ? " (regime is not REFUND)" : "");
    cg_strlcpy(from, x->state, sizeof(from));
    RF_SET(x, state, to);
    rc = cg_store_rf_unit_save(r->db, &x->u, err);
    if (rc == CG_OK)
        rc = log_event(r, x, from, to, cause_kind, cause_ref, detail, err);
    return rc;
}

int rf_note(struct cg_refund *r, struct unit *x, const char *cause_kind, const char *cause_ref,
            const char *detail, struct cg_err *err)
{
    int rc = cg_store_rf_unit_save(r->db, &x->u, err);

    if (rc == CG_OK)
        rc = log_event(r, x, x->state, x->state, cause_kind, cause_ref, detail, err);
    return rc;
}

int64_t rf_kept_qty(const struct unit *x)
{
    return x->u.qty_m - x->u.returned_qty_m;
}

int64_t rf_filed_amount(const struct unit *x)
{
    int64_t kept = rf_kept_qty(x), v = 0;

    if (x->u.returned_qty_m == 0 || x->u.inv_qty_m == 0)
        return x->u.inv_fen;
    if (kept > x->u.inv_qty_m)
        kept = x->u.inv_qty_m;
    /* the invoices of the goods still abroad: amount x kept / invoiced quantity, half-up */
    if (cg_refund_share(x->u.inv_fen, kept, x->u.inv_qty_m, &v) != CG_OK)
        return x->u.inv_fen;
    return v;
}

int64_t rf_paid(const struct unit *x)
{
    return x->u.paid_fen > x->u.refunded_fen ? x->u.paid_fen : x->u.refunded_fen;
}

int64_t rf_to_come(const struct unit *x)
{
    int64_t paid = rf_paid(x);

    /* only an approved refund not yet paid in full has money to come: once REFUNDED (paid in
     * full, or closed as final with a shortfall) or beyond, the tax office pays no more */
    if (strcmp(x->state, "APPROVED") != 0)
        return 0;
    return x->u.approved_fen > paid ? x->u.approved_fen - paid : 0;
}

int64_t rf_shortfall(const struct unit *x)
{
    if (strcmp(x->state, "REFUNDED") != 0 && strncmp(x->state, "CLAWBACK", 8) != 0)
        return 0;
    return x->u.approved_fen > x->u.refunded_fen ? x->u.approved_fen - x->u.refunded_fen : 0;
}

int rf_filed(const struct unit *x)
{
    return x->u.batch_id != 0 || strcmp(x->state, "DECLARED") == 0 ||
           strcmp(x->state, "APPROVED") == 0 || strcmp(x->state, "REFUNDED") == 0 ||
           strncmp(x->state, "CLAWBACK", 8) == 0;
}

int64_t rf_refund_estimate(const struct unit *x)
{
    int64_t v = 0, base = 0;

    if (x->u.inv_fen > 0)
        return x->u.refund_fen;
    if (cg_refund_share(x->u.expected_fen, rf_kept_qty(x), x->u.qty_m, &base) != CG_OK ||
        cg_refund_amount(base, x->u.refund_ppm, &v) != CG_OK)
        return 0;
    return v;
}

static void add_word(char *dst, const char *w, size_t size)
{
    size_t n = strlen(dst);

    if (n < size)
        cg_strlcpy(dst + n, w, size - n);
}

int rf_evaluate(struct cg_refund *r, struct unit *x, const char *cause_kind, const char *cause_ref,
                struct cg_err *err)
{
    char missing[64] = "";
    int64_t refund = 0;
    int changed = 0, rc;

    if (strcmp(x->regime, "REFUND") != 0)
        return CG_OK;
    if (!x->u.has_rate) {
        int64_t rp = 0, vp = 0;
        char from[11];
        rc = cg_store_rf_rate_find(r->db, x->hs, x->export_on, &rp, &vp, from, err);
        if (rc == CG_OK) {
            x->u.has_rate = 1;
            x->u.refund_ppm = rp;
            x->u.vat_ppm = vp;
            RF_SET(x, rate_from, from);
            changed = 1;
        } else if (rc != CG_ENOTFOUND) {
            return rc;
        }
    }
    if (x->u.has_rate) {
        rc = cg_refund_amount(rf_filed_amount(x), x->u.refund_ppm, &refund);
        if (rc != CG_OK)
            return CG_ERR_SET(err, rc, "unit %s/%ld: refund amount out of range", x->entry_id,
                              x->u.item_no);
    }
    if (refund != x->u.refund_fen && x->u.refunded_fen == 0 && !rf_filed(x)) {
        x->u.refund_fen = refund;
        changed = 1;
    }
    if (x->cleared_on[0] == '\0')
        add_word(missing, "clearance,", sizeof(missing));
    if (x->u.inv_qty_m < rf_kept_qty(x))
        add_word(missing, "invoice,", sizeof(missing));
    if (r->require_fx && !RF_COLLECTED(x))
        add_word(missing, "collection,", sizeof(missing));
    if (!x->u.has_rate)
        add_word(missing, "rate,", sizeof(missing));
    if (missing[0] != '\0')
        missing[strlen(missing) - 1] = '\0';
    if (strcmp(missing, x->missing) != 0) {
        RF_SET(x, missing, missing);
        changed = 1;
    }
    if (strcmp(x->state, "WAIT_CLEARANCE") == 0 && x->cleared_on[0] != '\0') {
        rc = rf_move(r, x, "WAIT_DOCS", cause_kind, cause_ref, "declaration cleared", err);
        if (rc != CG_OK)
            return rc;
        changed = 0;
    }
    if (strcmp(x->state, "WAIT_DOCS") == 0 && missing[0] == '\0')
        return rf_move(r, x, "READY", cause_kind, cause_ref, "documents complete", err);
    return changed ? cg_store_rf_unit_save(r->db, &x->u, err) : CG_OK;
}

/* ------------------------------------------------------------------ returns */

int rf_return_clawback(const struct unit *x, int64_t *fen)
{
    int64_t filed = x->u.filed_qty_m > 0 ? x->u.filed_qty_m : x->u.qty_m;
    int64_t after = x->u.returned_qty_m - (x->u.qty_m - filed), v = 0;
    int rc;

    *fen = 0;
    if (after <= 0 || x->u.refunded_fen == 0)
        return CG_OK;
    rc = cg_refund_share(x->u.refunded_fen, after, filed, &v);
    if (rc != CG_OK)
        return rc;
    *fen = v < x->u.refunded_fen ? v : x->u.refunded_fen;
    return CG_OK;
}

/*
 * Goods back (x->u.returned_qty_m counts them already) of a unit in a batch that is not filed
 * yet: nothing went to the tax office, so the return counts as before filing. The unit stays
 * in the batch with the goods still abroad, its filed quantity, amount and refund lowered by
 * rule 5, or leaves it as RETURNED when all came back; either way the batch's two files and
 * totals are written again (to be uploaded again).
 */
static int unfiled_batch_return(struct cg_refund *r, struct unit *x, const char *qs,
                                const char *day, const char *cause_kind, const char *cause_ref,
                                const char *note, struct cg_err *err)
{
    struct cg_refund_batch b;
    char detail[700], a[32];
    long long bid = x->u.batch_id;
    int64_t refund = 0;
    int rc;

    if (rf_kept_qty(x) == 0) {
        rc = rf_batch_leave(r, x, "record the return", &b, err);
        if (rc != CG_OK)
            return rc;
        x->u.refund_fen = 0;
        snprintf(detail, sizeof(detail),
                 "returned %s on %s: nothing left to file; out of batch B%lld, whose files were "
                 "written again without it (%ld units)%s%s",
                 qs, day, bid, b.units, note != NULL ? ": " : "", note != NULL ? note : "");
        return rf_move(r, x, "RETURNED", cause_kind, cause_ref, detail, err);
    }
    rc = cg_refund_amount(rf_filed_amount(x), x->u.refund_ppm, &refund);
    if (rc != CG_OK)
        return CG_ERR_SET(err, rc, "unit %s/%ld: refund amount out of range", x->entry_id,
                          x->u.item_no);
    x->u.refund_fen = refund;
    x->u.filed_qty_m = rf_kept_qty(x);
    rc = cg_store_rf_unit_save(r->db, &x->u, err);
    if (rc == CG_OK)
        rc = rf_batch_rewrite(r, bid, &b, err);
    if (rc != CG_OK)
        return rc;
    cg_refund_fen_format(b.refund_fen, a, sizeof(a));
    snprintf(detail, sizeof(detail),
             "returned %s on %s before filing; batch B%lld is not filed yet: its files were "
             "written again (%ld units, refund CNY %s)%s%s",
             qs, day, bid, b.units, a, note != NULL ? ": " : "", note != NULL ? note : "");
    return rf_note(r, x, cause_kind, cause_ref, detail, err);
}

int rf_apply_return(struct cg_refund *r, struct unit *x, int64_t q, const char *day,
                    const char *cause_kind, const char *cause_ref, const char *note,
                    struct cg_err *err)
{
    char qs[32], detail[700], a[32], over[96] = "";
    int64_t share = 0;
    int batch_filed = 1, rc;

    cg_refund_qty_format(q, qs, sizeof(qs));
    if (q <= 0 || x->u.returned_qty_m + q > x->u.qty_m)
        return CG_ERR_SET(err, CG_EREJECT,
                          "unit %s/%ld: %s returned would exceed the declared quantity",
                          x->entry_id, x->u.item_no, qs);
    x->u.returned_qty_m += q;
    if (x->u.batch_id != 0) {
        rc = rf_batch_filed(r, x->u.batch_id, &batch_filed, err);
        if (rc != CG_OK)
            return rc;
        if (!batch_filed)
            return unfiled_batch_return(r, x, qs, day, cause_kind, cause_ref, note, err);
    }
    if (!rf_filed(x)) {
        /* Not filed yet: the goods are back in China, only the rest is filed. */
        if (strcmp(x->regime, "REFUND") == 0 && rf_kept_qty(x) == 0) {
            x->u.refund_fen = 0;
            snprintf(detail, sizeof(detail), "returned %s on %s: nothing left to file%s%s", qs, day,
                     note != NULL ? ": " : "", note != NULL ? note : "");
            return rf_move(r, x, "RETURNED", cause_kind, cause_ref, detail, err);
        }
        snprintf(detail, sizeof(detail), "returned %s on %s before filing%s%s", qs, day,
                 note != NULL ? ": " : "", note != NULL ? note : "");
        rc = rf_note(r, x, cause_kind, cause_ref, detail, err);
        return rc == CG_OK ? rf_evaluate(r, x, cause_kind, cause_ref, err) : rc;
    }
    /* Filed: the refund received on the returned part is repaid, refunded x returned / filed.
     * Before the money comes, the clawback falls due at payment (rf_clawback_at_payment). */
    if (x->u.refunded_fen > 0) {
        /* The rule applies to the quantity returned since filing in all: the clawback becomes
         * the rule's figure for it, so the shares of several returns add up to it (all of it
         * back: all of the refund), not to a sum of separately rounded parts. A clawback above
         * it already (the proceeds reversed, or more repaid than the rule asks) stays. */
        int64_t total = 0;

        rc = rf_return_clawback(x, &total);
        if (rc != CG_OK)
            return CG_ERR_SET(err, rc, "unit %s/%ld: clawback out of range", x->entry_id,
                              x->u.item_no);
        share = total > x->u.clawback_fen ? total - x->u.clawback_fen : 0;
        x->u.clawback_fen += share;
        /* What was repaid beyond the rule when a reversed collection was restored: the
         * rule asks more now, so less of it is overpaid. */
        if (x->u.overpaid_fen > 0) {
            int64_t left = x->u.clawback_paid_fen > total ? x->u.clawback_paid_fen - total : 0;
            if (left < x->u.overpaid_fen)
                x->u.overpaid_fen = left;
            cg_refund_fen_format(x->u.overpaid_fen, a, sizeof(a));
            if (x->u.overpaid_fen > 0)
                snprintf(over, sizeof(over), "; overpaid CNY %s, to be reclaimed", a);
            else
                snprintf(over, sizeof(over), "; nothing overpaid any more");
        }
    }
    cg_refund_fen_format(share, a, sizeof(a));
    snprintf(detail, sizeof(detail), "returned %s on %s; clawback CNY %s%s%s%s%s", qs, day, a,
             x->u.refunded_fen == 0 ? " (due when the refund is paid)" : "", over,
             note != NULL ? ": " : "", note != NULL ? note : "");
    if (share > 0 && strcmp(x->state, "CLAWBACK_DUE") != 0)
        return rf_move(r, x, "CLAWBACK_DUE", cause_kind, cause_ref, detail, err);
    return rf_note(r, x, cause_kind, cause_ref, detail, err);
}
