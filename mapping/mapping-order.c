/*
 * mapping-order.c - builds one normalized struct cg_order from the rows of one order, checks
 * every value against the CEB 202205 limits, and writes the order as JSON.
 *
 * Every input format (own CSV, profiles over shop exports, JSON lines) hands rows to the same
 * builder: cg_ob_begin(), cg_ob_row() per row, cg_ob_finish(). The first problem of an order
 * is kept as "field <name>: reason" with the file and line it is on; later rows of that order
 * are still consumed (so the next order starts in the right place) but not checked. Money and
 * quantities are decs (core/money.h): line total = qty x price rounded half-up to 5 fraction
 * digits, or the given total when it is within [mapping] tolerance of that; goodsValue is the
 * exact sum of the line totals. The order hash is SHA-256 over a canonical JSON of the
 * normalized content without file name and line, so the same order gives the same hash in any
 * file. The builder owns the order until finish hands it out.
 */
#include "config.h"

#include <assert.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/fsutil.h"
#include "core/money.h"
#include "core/text.h"
#include "mapping/mapping-int.h"

/* Catalogue strings whose canonical JSON is kept per reader; past this they are encoded each
 * time (the cache follows the catalogue, which is held anyway). */
#define JSON_CACHE_MAX 65536
#define MAX_LINES 100 /* CEB303 OrderList and CEB603 InventoryList: 1 to 100 per entity */

void cg_dec_text(int64_t v, bool amount, char *buf, size_t size)
{
    if (cg_dec_format(v, amount ? 2 : 0, buf, size) != CG_OK)
        cg_strlcpy(buf, "0", size);
}

/* The line's strings are one block, starting at sku (add_line()). */
static void line_free(struct cg_order_line *l)
{
    free(l->sku);
}

void cg_order_free(struct cg_order *o)
{
    size_t i;

    if (o == NULL)
        return;
    for (i = 0; i < o->nlines; i++)
        line_free(&o->lines[i]);
    free(o->lines);
    free(o->status_reason);
    free(o->order_no); /* and seller and source, in the same block */
    free(o->pod);
    free(o->note);
    free(o->ship.logistics_code);
    free(o->ship.logistics_name);
    free(o->ship.logistics_no);
    free(o->pay.pay_code);
    free(o->pay.pay_name);
    free(o->pay.pay_no);
    free(o);
}

void cg_ob_fail(struct cg_ob *b, long line, const char *field, const char *fmt, ...)
{
    char why[CG_ERR_MSG_MAX - 128];
    va_list ap;

    if (b->failed)
        return;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    snprintf(b->msg, sizeof(b->msg), "field %s: %s", field, why);
    b->failed = true;
    b->fail_line = line;
    if (b->fail_file == NULL)
        b->fail_file = b->source;
}

/* Checks text for XML and length in characters; returns false after recording a failure. */
static bool text_check(struct cg_ob *b, long line, const char *field, const char *v, size_t min,
                       size_t max, const char *meaning)
{
    char why[256];
    size_t n;

    if (!cg_text_ok(v, why, sizeof(why))) {
        cg_ob_fail(b, line, field, "%s", why);
        return false;
    }
    n = cg_utf8_len(v);
    if (n < min) {
        cg_ob_fail(b, line, field, "missing: %s is required", meaning);
        return false;
    }
    if (n > max) {
        cg_ob_fail(b, line, field, "'%.40s%s' is %zu characters; %s allows at most %zu", v,
                   n > 40 ? "..." : "", n, meaning, max);
        return false;
    }
    return true;
}

static bool dec_check(struct cg_ob *b, long line, const char *field, const char *v, bool positive,
                      const char *meaning, int64_t *out)
{
    int rc = cg_dec_parse(v, out);

    if (rc == CG_ERANGE) {
        cg_ob_fail(b, line, field,
                   "'%s' is out of range or has more than 5 fraction digits (%s is a decimal of "
                   "up to 5 fraction digits)",
                   v, meaning);
        return false;
    }
    if (rc != CG_OK || *out < 0 || (positive && *out == 0)) {
        cg_ob_fail(b, line, field, "'%s' is not a %s decimal%s: %s", v,
                   positive ? "positive" : "non-negative", cg_dec_why(v), meaning);
        return false;
    }
    return true;
}

static char *xstrdup(struct cg_ob *b, const char *s)
{
    char *d = strdup(s != NULL ? s : "");

    if (d == NULL)
        cg_ob_fail(b, 0, "-", "out of memory");
    return d;
}

/*
 * Copies of the n strings src[] in one allocation, in that order, each *dst[i] pointing at its
 * copy; a NULL src[i] leaves *dst[i] NULL. Freeing the first copy frees them all; src[0] must
 * not be NULL. Out of memory fails the order and leaves every *dst[i] NULL.
 */
static void pack_strings(struct cg_ob *b, const char *const src[], char **const dst[], size_t n)
{
    size_t len[8], size = 0, i;
    char *blk;

    assert(n <= sizeof(len) / sizeof(len[0]) && src[0] != NULL);
    for (i = 0; i < n; i++) {
        len[i] = src[i] != NULL ? strlen(src[i]) + 1 : 0;
        size += len[i];
    }
    blk = malloc(size);
    if (blk == NULL) {
        cg_ob_fail(b, 0, "-", "out of memory");
        return;
    }
    for (i = 0; i < n; i++) {
        if (src[i] == NULL)
            continue;
        memcpy(blk, src[i], len[i]);
        *dst[i] = blk;
        blk += len[i];
    }
}

void cg_ob_begin(struct cg_ob *b, struct cg_map_ctx *m, struct cg_ob_scratch *scratch,
                 const char *source, const char *order_no, long line)
{
    memset(b, 0, sizeof(*b));
    b->m = m;
    b->scratch = scratch;
    b->source = source;
    b->o = calloc(1, sizeof(*b->o));
    if (b->o == NULL) {
        cg_ob_fail(b, line, "-", "out of memory");
        return;
    }
    b->o->line = line;
    {
        /* order_no, source and seller in one block that starts at order_no. */
        const char *src[3] = {order_no != NULL ? order_no : "", source != NULL ? source : "",
                              m->seller != NULL ? m->seller->name : ""};
        char **dst[3] = {&b->o->order_no, &b->o->source, &b->o->seller};

        pack_strings(b, src, dst, 3);
    }
}

void cg_ob_discard(struct cg_ob *b)
{
    int i;

    cg_order_free(b->o);
    for (i = 0; i < F_FIRST_LINE_FIELD; i++)
        free(b->first[i]);
    memset(b, 0, sizeof(*b));
}

static const char *nz(const char *s)
{
    return s != NULL && *s != '\0' ? s : NULL;
}

static void add_line(struct cg_ob *b, const struct cg_vals *v)
{
    struct cg_map_ctx *m = b->m;
    struct cg_order *o = b->o;
    struct cg_order_line *l;
    const struct cg_product *p;
    const char *sku = nz(v->v[F_SKU]);
    const char *nm_sku = v->name[F_SKU] != NULL ? v->name[F_SKU] : "sku";
    const char *unit;
    int64_t qty = 0, price = 0, total = 0, computed = 0;
    long line = v->line;
    int f;

#define NAME(fld) (v->name[fld] != NULL ? v->name[fld] : cg_fld_names[fld])
    for (f = F_FIRST_LINE_FIELD; f < F_COUNT; f++) {
        char why[256];

        if (v->v[f] != NULL && !cg_text_ok(v->v[f], why, sizeof(why))) {
            cg_ob_fail(b, line, NAME(f), "%s", why);
            return;
        }
    }
    if (o->nlines == MAX_LINES) {
        cg_ob_fail(b, line, nm_sku,
                   "an order has at most %d lines (OrderList of CEB303 and InventoryList of "
                   "CEB603 hold 1 to %d); split the order",
                   MAX_LINES, MAX_LINES);
        return;
    }
    if (sku == NULL) {
        cg_ob_fail(b, line, nm_sku, "missing: the seller's SKU (itemNo) is required");
        return;
    }
    if (!text_check(b, line, nm_sku, sku, 1, 20,
                    "the item number (itemNo of the export inventory CEB603)"))
        return;
    p = cg_map_get(&m->catalog, sku);
    if (p == NULL) {
        /* The catalogue's path is quoted, so that cg_spool_reason_kind() groups the
         * unknown SKUs of every catalogue (and of one catalogue however -c named it) as one. */
        if (m->catalog_path != NULL)
            cg_ob_fail(b, line, nm_sku,
                       "'%s' is not in the product catalogue '%s': add it with its HS code, "
                       "declared name and legal unit, then drop the file again",
                       sku, m->catalog_path);
        else
            cg_ob_fail(b, line, nm_sku,
                       "'%s' is not in the product catalogue (none configured): add it with its "
                       "HS code, declared name and legal unit, then drop the file again",
                       sku);
        return;
    }
    if (p->bad != NULL) {
        cg_ob_fail(b, line, nm_sku, "'%s' has an unusable catalogue entry: %s", sku, p->bad);
        return;
    }
    if (nz(v->v[F_ITEM_NAME]) != NULL &&
        !text_check(b, line, NAME(F_ITEM_NAME), v->v[F_ITEM_NAME], 1, 250,
                    "the item name as sold (itemName, CEB303)"))
        return;
    if (nz(v->v[F_ITEM_DESCRIBE]) != NULL &&
        !text_check(b, line, NAME(F_ITEM_DESCRIBE), v->v[F_ITEM_DESCRIBE], 0, 1000,
                    "the item description (itemDescribe, CEB303)"))
        return;
    if (nz(v->v[F_BAR_CODE]) != NULL && !text_check(b, line, NAME(F_BAR_CODE), v->v[F_BAR_CODE], 0,
                                                    50, "the bar code (barCode, CEB303/CEB603)"))
        return;
    unit = nz(v->v[F_UNIT]) != NULL ? v->v[F_UNIT] : nz(p->unit);
    if (unit == NULL) {
        cg_ob_fail(b, line, NAME(F_UNIT),
                   "missing: the sold unit (unit, CEB303/CEB603) is in neither the row nor the "
                   "catalogue entry of '%s'",
                   sku);
        return;
    }
    if (strlen(unit) != 3 || !cg_codes_known(m->codes, "unit", unit)) {
        cg_ob_fail(b, line, NAME(F_UNIT),
                   "'%s' is not in the customs unit table (unit.csv); the sold unit is a "
                   "3-digit code such as 011 (件) or 035 (千克)",
                   unit);
        return;
    }
    if (nz(v->v[F_QTY]) == NULL) {
        cg_ob_fail(b, line, NAME(F_QTY), "missing: the quantity (qty, CEB303/CEB603) is required");
        return;
    }
    if (!dec_check(b, line, NAME(F_QTY), v->v[F_QTY], true, "the quantity sold (qty, N19,5)", &qty))
        return;
    if (nz(v->v[F_PRICE]) != NULL) {
        if (!dec_check(b, line, NAME(F_PRICE), v->v[F_PRICE], false,
                       "the unit price (price, N19,5)", &price))
            return;
        if (cg_dec_mul(qty, price, &computed) != CG_OK) {
            cg_ob_fail(b, line, NAME(F_PRICE), "qty x price is too large for a CEB amount");
            return;
        }
        total = computed;
        if (nz(v->v[F_TOTAL]) != NULL) {
            int64_t given = 0, diff = 0;
            char g[CG_DEC_STRMAX], c[CG_DEC_STRMAX], t[CG_DEC_STRMAX];

            if (!dec_check(b, line, NAME(F_TOTAL), v->v[F_TOTAL], false,
                           "the line total (totalPrice, N19,5)", &given))
                return;
            if (cg_dec_sub(given, computed, &diff) != CG_OK || diff > m->tolerance ||
                diff < -m->tolerance) {
                cg_dec_text(given, true, g, sizeof(g));
                cg_dec_text(computed, true, c, sizeof(c));
                cg_dec_text(m->tolerance, true, t, sizeof(t));
                cg_ob_fail(b, line, NAME(F_TOTAL),
                           "given total %s differs from qty x price = %s by more than the "
                           "tolerance %s ([mapping] tolerance); customs checks totalPrice = qty "
                           "x price",
                           g, c, t);
                return;
            }
            total = given;
        }
    } else if (nz(v->v[F_TOTAL]) != NULL) {
        if (!dec_check(b, line, NAME(F_TOTAL), v->v[F_TOTAL], false,
                       "the line total (totalPrice, N19,5)", &total))
            return;
        if (cg_dec_div(total, qty, &price) != CG_OK) {
            cg_ob_fail(b, line, NAME(F_TOTAL), "total / qty is out of range");
            return;
        }
    } else {
        cg_ob_fail(b, line, NAME(F_PRICE),
                   "missing: neither the unit price nor the line total is given");
        return;
    }
    if (cg_dec_add(o->goods_value, total, &o->goods_value) != CG_OK) {
        cg_ob_fail(b, line, NAME(F_TOTAL), "the order total (goodsValue) is out of range");
        return;
    }
    if (o->nlines == b->cap) {
        size_t nc = b->cap == 0 ? 4 : b->cap * 2;
        struct cg_order_line *nl = realloc(o->lines, nc * sizeof(*nl));

        if (nl == NULL) {
            cg_ob_fail(b, line, "-", "out of memory");
            return;
        }
        o->lines = nl;
        b->cap = nc;
    }
    l = &o->lines[o->nlines];
    memset(l, 0, sizeof(*l));
    o->nlines++;
    l->gnum = (int)o->nlines;
    {
        /* sku, item_name, item_describe (or NULL), bar_code, gname and gmodel in one block that
         * starts at sku: one allocation per line instead of six. */
        const char *src[6] = {sku,
                              nz(v->v[F_ITEM_NAME]) != NULL ? v->v[F_ITEM_NAME] : p->gname,
                              nz(v->v[F_ITEM_DESCRIBE]),
                              nz(v->v[F_BAR_CODE]) != NULL ? v->v[F_BAR_CODE] : p->bar_code,
                              p->gname,
                              p->gmodel};
        char **dst[6] = {&l->sku,      &l->item_name, &l->item_describe,
                         &l->bar_code, &l->gname,     &l->gmodel};

        pack_strings(b, src, dst, 6);
    }
    cg_strlcpy(l->unit, unit, sizeof(l->unit));
    l->qty = qty;
    l->price = price;
    l->total = total;
    memcpy(l->gcode, p->gcode, sizeof(l->gcode));
    memcpy(l->unit1, p->unit1, sizeof(l->unit1));
    memcpy(l->unit2, p->unit2, sizeof(l->unit2));
    memcpy(l->origin, p->origin, sizeof(l->origin));
    /* Legal quantities: qty in the sold unit times the catalogue's conversion. */
    if (p->per1 >= 0) {
        if (cg_dec_mul(qty, p->per1, &l->qty1) != CG_OK || l->qty1 == 0) {
            cg_ob_fail(b, line, NAME(F_QTY),
                       "qty %s in legal unit %s (qty1) rounds to 0 or is out of range", v->v[F_QTY],
                       p->unit1);
            return;
        }
    } else if (strcmp(unit, p->unit1) == 0) {
        l->qty1 = qty;
    } else {
        cg_ob_fail(b, line, NAME(F_UNIT),
                   "sold in unit %s but the legal unit (unit1) of '%s' is %s and the catalogue "
                   "gives no unit1_per_unit to convert",
                   unit, sku, p->unit1);
        return;
    }
    if (*p->unit2 != '\0' && (cg_dec_mul(qty, p->per2, &l->qty2) != CG_OK || l->qty2 == 0)) {
        cg_ob_fail(b, line, NAME(F_QTY), "qty in the second legal unit (qty2) rounds to 0");
        return;
    }
    if (p->net >= 0 && cg_dec_mul(qty, p->net, &l->net_weight) != CG_OK) {
        cg_ob_fail(b, line, NAME(F_QTY), "net weight out of range");
        return;
    }
    if (p->gross >= 0 && cg_dec_mul(qty, p->gross, &l->gross_weight) != CG_OK) {
        cg_ob_fail(b, line, NAME(F_QTY), "gross weight out of range");
        return;
    }
#undef NAME
}

void cg_ob_row(struct cg_ob *b, const struct cg_vals *v, bool has_line)
{
    int f;

    if (b->failed)
        return;
    for (f = 0; f < F_FIRST_LINE_FIELD; f++) {
        const char *x = v->v[f];
        const char *name = v->name[f] != NULL ? v->name[f] : cg_fld_names[f];

        if (f == F_ORDER_NO || x == NULL || *x == '\0')
            continue;
        if (f == F_FREIGHT && b->m->profile->freight_sum) {
            int64_t d = 0;
            char why[256];

            /* Per-item shipping of an item left out (an Amazon item cancelled) is not the
             * order's freight: that item is not shipped. */
            if (!has_line)
                continue;

            if (!cg_text_ok(x, why, sizeof(why))) {
                cg_ob_fail(b, v->line, name, "%s", why);
                return;
            }
            if (!dec_check(b, v->line, name, x, false, "the freight (freight, N19,5)", &d))
                return;
            if (cg_dec_add(b->freight_sum, d, &b->freight_sum) != CG_OK) {
                cg_ob_fail(b, v->line, name, "freight out of range");
                return;
            }
            b->freight_seen = true;
            continue;
        }
        if (b->first[f] == NULL) {
            b->first[f] = strdup(x);
            if (b->first[f] == NULL) {
                cg_ob_fail(b, v->line, name, "out of memory");
                return;
            }
            b->first_name[f] = name;
            b->first_line[f] = v->line;
        } else if (strcmp(b->first[f], x) != 0) {
            cg_ob_fail(b, v->line, name,
                       "'%s' differs from '%s' on line %ld of the same order; an order has one "
                       "value",
                       x, b->first[f], b->first_line[f]);
            return;
        }
    }
    if (has_line)
        add_line(b, v);
}

/*
 * The order-level value of f: from the rows, else fixed by the profile; with its name/line. The
 * name is the column the value came from; for a value no row has, the column the profile reads
 * it from (Shopify's "Shipping Country", not "country"), so that "missing" names what the seller
 * must fill in; a fixed value is named by its field.
 */
static const char *oval(struct cg_ob *b, int f, const char **name, long *line)
{
    const struct cg_profile *p = b->m->profile;

    if (b->first_name[f] != NULL)
        *name = b->first_name[f];
    else if (nz(p->fixed[f]) == NULL && p->column[f] != NULL && *p->column[f] != '\0')
        *name = p->column[f];
    else
        *name = cg_fld_names[f];
    *line = b->first[f] != NULL ? b->first_line[f] : b->o->line;
    if (b->first[f] != NULL)
        return b->first[f];
    return nz(p->fixed[f]);
}

static void finish_money(struct cg_ob *b, int f, const struct cg_ship_rec *sr, int64_t *out)
{
    const char *name;
    long line;
    const char *v = oval(b, f, &name, &line);

    *out = 0;
    if (f == F_FREIGHT && b->freight_seen) {
        *out = b->freight_sum;
        return;
    }
    if (v == NULL && sr != NULL && nz(sr->v[f]) != NULL) {
        v = sr->v[f];
        name = cg_fld_names[f];
        line = sr->line;
        b->fail_file = b->m->shipments_path;
    }
    if (v != NULL)
        dec_check(b, line, name, v, false,
                  f == F_FREIGHT ? "the freight (freight, N19,5)"
                                 : "the insurance fee (insuredFee, N19,5)",
                  out);
    if (!b->failed)
        b->fail_file = NULL;
}

static void finish_codes(struct cg_ob *b)
{
    struct cg_map_ctx *m = b->m;
    struct cg_order *o = b->o;
    const char *name;
    long line;
    const char *cur = oval(b, F_CURRENCY, &name, &line);
    const char *ctry;
    const char *code;

    if (cur == NULL)
        cur = nz(m->seller != NULL ? m->seller->currency : NULL);
    if (cur == NULL) {
        cg_ob_fail(b, o->line, name, "missing: no currency in the order and no [seller] currency");
        return;
    }
    code = cg_codes_currency(m->codes, cur);
    if (code == NULL && cg_codes_known(m->codes, "currency", cur))
        code = cur;
    if (code == NULL) {
        cg_ob_fail(b, line, name,
                   "'%s' is not in the customs currency table (currency.csv); CEB messages "
                   "take the customs code (USD is 502)",
                   cur);
        return;
    }
    cg_strlcpy(o->currency, code, sizeof(o->currency));
    cg_strlcpy(o->currency_iso,
               cg_codes_currency_iso(m->codes, code) != NULL ? cg_codes_currency_iso(m->codes, code)
                                                             : "",
               sizeof(o->currency_iso));

    ctry = oval(b, F_COUNTRY, &name, &line);
    if (ctry == NULL)
        ctry = m->default_country;
    if (ctry == NULL) {
        cg_ob_fail(b, o->line, name,
                   "missing: the destination country (country of CEB603) is in neither the "
                   "order nor [seller] country");
        return;
    }
    code = cg_codes_country(m->codes, ctry);
    if (code == NULL && strlen(ctry) == 3 && cg_codes_known(m->codes, "country", ctry))
        code = ctry;
    if (code == NULL) {
        cg_ob_fail(b, line, name,
                   "'%s' is not in the customs country table (country.csv); give the ISO "
                   "3166 alpha-2 code of the destination (US, DE, ...)",
                   ctry);
        return;
    }
    cg_strlcpy(o->country, code, sizeof(o->country));
    cg_strlcpy(o->country_iso,
               cg_codes_country_iso(m->codes, code) != NULL ? cg_codes_country_iso(m->codes, code)
                                                            : "",
               sizeof(o->country_iso));
}

static void finish_text(struct cg_ob *b, int f, size_t min, size_t max, const char *meaning,
                        char **dst)
{
    const char *name;
    long line;
    const char *v = oval(b, f, &name, &line);

    if (v == NULL || b->failed)
        return;
    if (text_check(b, line, name, v, min, max, meaning))
        *dst = xstrdup(b, v);
}

static void finish_shipment(struct cg_ob *b)
{
    struct cg_map_ctx *m = b->m;
    struct cg_order *o = b->o;
    const struct cg_ship_rec *sr = NULL;
    const char *v[F_FIRST_LINE_FIELD] = {NULL};
    const char *name[F_FIRST_LINE_FIELD] = {NULL};
    long line[F_FIRST_LINE_FIELD] = {0};
    static const int sf[] = {F_LOGISTICS_CODE, F_LOGISTICS_NAME, F_LOGISTICS_NO,
                             F_GROSS_WEIGHT,   F_NET_WEIGHT,     F_PACK_NO};
    int64_t sum_net = 0, sum_gross = 0;
    size_t i;
    long pack = 1;

    for (i = 0; i < sizeof(sf) / sizeof(sf[0]); i++)
        v[sf[i]] = oval(b, sf[i], &name[sf[i]], &line[sf[i]]);
    if (v[F_LOGISTICS_NO] == NULL) {
        sr = cg_map_get(&m->shipments, o->order_no);
        if (sr == NULL)
            return; /* no shipment yet: valid, it waits */
        b->fail_file = m->shipments_path;
        if (sr->dup_line != 0) {
            cg_ob_fail(b, sr->dup_line, "order_no",
                       "the order has shipment rows on lines %ld and %ld; which parcel is it?",
                       sr->line, sr->dup_line);
            return;
        }
        for (i = 0; i < sizeof(sf) / sizeof(sf[0]); i++) {
            if (v[sf[i]] == NULL || !(sf[i] == F_LOGISTICS_CODE || sf[i] == F_LOGISTICS_NAME)) {
                v[sf[i]] = nz(sr->v[sf[i]]);
                name[sf[i]] = cg_fld_names[sf[i]];
                line[sf[i]] = sr->line;
            }
        }
    }
    if (!text_check(b, line[F_LOGISTICS_NO], name[F_LOGISTICS_NO], v[F_LOGISTICS_NO], 1, 32,
                    "the waybill number (logisticsNo, CEB505/CEB603)"))
        return;
    if (!text_check(b, line[F_LOGISTICS_CODE], name[F_LOGISTICS_CODE],
                    v[F_LOGISTICS_CODE] != NULL ? v[F_LOGISTICS_CODE] : "", 1, 18,
                    "the logistics enterprise customs code (logisticsCode, CEB505/CEB603)"))
        return;
    if (!text_check(b, line[F_LOGISTICS_NAME], name[F_LOGISTICS_NAME],
                    v[F_LOGISTICS_NAME] != NULL ? v[F_LOGISTICS_NAME] : "", 1, 100,
                    "the logistics enterprise name (logisticsName, CEB505/CEB603)"))
        return;
    for (i = 0; i < o->nlines; i++) {
        if (cg_dec_add(sum_net, o->lines[i].net_weight, &sum_net) != CG_OK ||
            cg_dec_add(sum_gross, o->lines[i].gross_weight, &sum_gross) != CG_OK) {
            cg_ob_fail(b, o->line, "gross_weight", "weights out of range");
            return;
        }
    }
    if (v[F_GROSS_WEIGHT] != NULL) {
        if (!dec_check(b, line[F_GROSS_WEIGHT], name[F_GROSS_WEIGHT], v[F_GROSS_WEIGHT], true,
                       "the gross weight in kg (grossWeight, CEB505/CEB603)",
                       &o->ship.gross_weight))
            return;
    } else if (sum_gross > 0) {
        o->ship.gross_weight = sum_gross;
    } else {
        cg_ob_fail(b, line[F_LOGISTICS_NO], "gross_weight",
                   "missing: the parcel's gross weight in kg (grossWeight, CEB505) is neither "
                   "given nor in the catalogue");
        return;
    }
    if (v[F_NET_WEIGHT] != NULL) {
        if (!dec_check(b, line[F_NET_WEIGHT], name[F_NET_WEIGHT], v[F_NET_WEIGHT], true,
                       "the net weight in kg (netWeight, CEB603)", &o->ship.net_weight))
            return;
    } else {
        o->ship.net_weight = sum_net;
    }
    if (o->ship.net_weight > o->ship.gross_weight) {
        char n[CG_DEC_STRMAX], g[CG_DEC_STRMAX];

        cg_dec_text(o->ship.net_weight, false, n, sizeof(n));
        cg_dec_text(o->ship.gross_weight, false, g, sizeof(g));
        cg_ob_fail(b, line[F_GROSS_WEIGHT] != 0 ? line[F_GROSS_WEIGHT] : line[F_LOGISTICS_NO],
                   name[F_GROSS_WEIGHT] != NULL ? name[F_GROSS_WEIGHT] : "gross_weight",
                   "net weight %s kg is more than the gross weight %s kg", n, g);
        return;
    }
    if (v[F_PACK_NO] != NULL && cg_parse_long(v[F_PACK_NO], 1, 999999999, &pack) != CG_OK) {
        cg_ob_fail(b, line[F_PACK_NO], name[F_PACK_NO],
                   "'%s' is not a whole number from 1 to 999999999 (packNo, CEB505/CEB603)",
                   v[F_PACK_NO]);
        return;
    }
    o->ship.pack_no = pack;
    o->ship.logistics_no = xstrdup(b, v[F_LOGISTICS_NO]);
    o->ship.logistics_code = xstrdup(b, v[F_LOGISTICS_CODE]);
    o->ship.logistics_name = xstrdup(b, v[F_LOGISTICS_NAME]);
    o->has_shipment = true;
    b->fail_file = NULL;
    /* Freight and insurance from the shipments file when the order file has none. */
    if (sr != NULL) {
        const char *nm;
        long ln;

        if (!b->freight_seen && oval(b, F_FREIGHT, &nm, &ln) == NULL)
            finish_money(b, F_FREIGHT, sr, &o->freight);
        if (oval(b, F_INSURED_FEE, &nm, &ln) == NULL)
            finish_money(b, F_INSURED_FEE, sr, &o->insured_fee);
    }
    o->ship.freight = o->freight;
    o->ship.insured_fee = o->insured_fee;
}

static void finish_payment(struct cg_ob *b)
{
    struct cg_order *o = b->o;
    const char *name, *tname;
    long line, tline;
    const char *pname = oval(b, F_PAY_NAME, &name, &line);
    const char *pno = oval(b, F_PAY_NO, &name, &line);
    const char *ptime;
    const char *charge, *refunded;
    char t[15];

    ptime = oval(b, F_PAY_TIME, &tname, &tline);
    /* No arrival time: not paid yet, so no receipt of payment (CEB403) for now. */
    if (ptime == NULL)
        return;
    if (pname == NULL && pno == NULL) {
        cg_ob_fail(b, tline, tname, "a payment time without the payment company (payName, CEB403)");
        return;
    }
    finish_text(b, F_PAY_NAME, 1, 100, "the payment company name (payName, CEB403)",
                &o->pay.pay_name);
    finish_text(b, F_PAY_CODE, 0, 18, "the payment company code (payCode, CEB403)",
                &o->pay.pay_code);
    finish_text(b, F_PAY_NO, 0, 60, "the payment transaction number (payNo, CEB403)",
                &o->pay.pay_no);
    if (b->failed)
        return;
    if (o->pay.pay_name == NULL) {
        oval(b, F_PAY_NAME, &name, &line);
        cg_ob_fail(b, o->line, name, "missing: the payment company name (payName, CEB403)");
        return;
    }
    if (cg_time_to_customs(ptime, t) != CG_OK && cg_time_year_last(ptime)) {
        cg_ob_fail(b, tline, tname,
                   "'%s' has the year last, so whether the day or the month comes first cannot "
                   "be told: write the year first, YYYY-MM-DD hh:mm[:ss] (Excel writes dates in "
                   "the computer's regional format: format the column as yyyy-mm-dd hh:mm:ss "
                   "before saving) for accountingDate",
                   ptime);
        return;
    }
    if (cg_time_to_customs(ptime, t) != CG_OK) {
        cg_ob_fail(b, tline, tname,
                   "'%s' is not a date and time (accepted: YYYY-MM-DD hh:mm[:ss] or YYYY/MM/DD "
                   "hh:mm[:ss], with an offset +hhmm or without one (China time), ISO 8601 "
                   "YYYY-MM-DDThh:mm:ss[Z|+hh:mm], YYYYMMDDhhmmss; Excel may have changed it "
                   "when the file was saved: format the column as yyyy-mm-dd hh:mm:ss, or use "
                   "the shop's export as it was) for accountingDate",
                   ptime);
        return;
    }
    memcpy(o->pay.accounting_date, t, sizeof(t));
    charge = oval(b, F_PAY_CHARGE, &name, &line);
    if (charge != NULL) {
        if (!dec_check(b, line, name, charge, false, "the amount received (charge, CEB403)",
                       &o->pay.charge))
            return;
    } else if (cg_dec_add(o->goods_value, o->freight, &o->pay.charge) != CG_OK ||
               cg_dec_add(o->pay.charge, o->insured_fee, &o->pay.charge) != CG_OK) {
        cg_ob_fail(b, o->line, name, "charge out of range");
        return;
    }
    refunded = oval(b, F_PAY_REFUNDED, &name, &line);
    if (refunded != NULL) {
        if (!dec_check(b, line, name, refunded, false,
                       "what the shop refunded of the charge (refunded)", &o->pay.refunded))
            return;
        if (o->pay.refunded > o->pay.charge) {
            char c[48];
            cg_dec_format(o->pay.charge, 2, c, sizeof(c));
            cg_ob_fail(b, line, name,
                       "'%s' is more than the charge %s: the shop cannot refund more than the "
                       "buyer paid",
                       refunded, c);
            return;
        }
    }
    o->has_payment = true;
}

/*
 * An order without its own destination port takes it from the shipments file, else from the
 * seller's pod_by_country for its destination, else from the seller's pod.
 */
static void finish_pod(struct cg_ob *b)
{
    struct cg_map_ctx *m = b->m;
    struct cg_order *o = b->o;
    const struct cg_ship_rec *sr = cg_map_get(&m->shipments, o->order_no);
    char port[8];

    if (sr != NULL && nz(sr->v[F_POD]) != NULL) {
        b->fail_file = m->shipments_path;
        if (text_check(b, sr->line, "pod", sr->v[F_POD], 3, 4,
                       "the destination port code (POD, CEB603)")) {
            o->pod = xstrdup(b, sr->v[F_POD]);
            b->fail_file = NULL;
        }
        return;
    }
    if (m->seller == NULL)
        return;
    if (cg_pod_lookup(m->seller->pod_by_country, o->country_iso, port, sizeof(port)))
        o->pod = xstrdup(b, port);
    else if (nz(m->seller->pod) != NULL)
        o->pod = xstrdup(b, m->seller->pod);
}

/* An order that is not declared: only who and where, its status and why. */
static int finish_held(struct cg_ob *b, int status, const char *reason, struct cg_order **out,
                       struct cg_err *err)
{
    struct cg_order *o = calloc(1, sizeof(*o));

    if (o == NULL || b->o == NULL) {
        free(o);
        cg_ob_discard(b);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    o->status = status;
    o->line = b->o->line;
    o->status_reason = strdup(reason);
    /* The block of order_no, seller and source moves to the held order. */
    o->order_no = b->o->order_no;
    o->seller = b->o->seller;
    o->source = b->o->source;
    b->o->order_no = NULL;
    b->o->seller = NULL;
    b->o->source = NULL;
    cg_ob_discard(b);
    if (o->status_reason == NULL || o->order_no == NULL) {
        cg_order_free(o);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    *out = o;
    return CG_OK;
}

static int order_json(const struct cg_order *o, bool canonical, struct cg_buf *out,
                      struct cg_map *cache);

int cg_ob_finish(struct cg_ob *b, struct cg_order **out, struct cg_err *err)
{
    struct cg_map_ctx *m = b->m;
    struct cg_order *o = b->o;
    const char *name;
    long line;
    const char *gv;
    char why[256];
    int status = cg_ob_status_of(b, why, sizeof(why));

    /* An order that is not declared is not checked either: its data may be incomplete. Rows
     * of an order apart in the file are rejected whatever their status says. */
    if (status != CG_ORDER_LIVE && !b->reject_held)
        return finish_held(b, status, why, out, err);
    if (!b->failed && o->nlines == 0)
        cg_ob_fail(b, o->line, "sku", "the order has no lines (no row with a SKU)");
    if (!b->failed)
        text_check(b, o->line,
                   b->m->profile->column[F_ORDER_NO] != NULL ? b->m->profile->column[F_ORDER_NO]
                                                             : "order_no",
                   o->order_no, 1, 60, "the order number (orderNo, CEB303/CEB603)");
    /* The spool keeps a bill's documents under "BILL:" + its number and a monthly summary's
     * under "SUM:...", beside the orders: an order of that name would be taken for one. */
    if (!b->failed &&
        (strncmp(o->order_no, "BILL:", 5) == 0 || strncmp(o->order_no, "SUM:", 4) == 0))
        cg_ob_fail(b, o->line,
                   b->m->profile->column[F_ORDER_NO] != NULL ? b->m->profile->column[F_ORDER_NO]
                                                             : "order_no",
                   "an order number may not begin with BILL: or SUM:, which name the bills and "
                   "monthly summaries cebgate declares");
    if (!b->failed)
        finish_codes(b);
    if (!b->failed)
        finish_money(b, F_FREIGHT, NULL, &o->freight);
    if (!b->failed)
        finish_money(b, F_INSURED_FEE, NULL, &o->insured_fee);
    if (!b->failed && (gv = oval(b, F_GOODS_VALUE, &name, &line)) != NULL) {
        int64_t given = 0, diff = 0;

        if (dec_check(b, line, name, gv, false, "the order value (goodsValue, N19,5)", &given) &&
            (cg_dec_sub(given, o->goods_value, &diff) != CG_OK || diff > m->tolerance ||
             diff < -m->tolerance)) {
            char g[CG_DEC_STRMAX], s[CG_DEC_STRMAX], t[CG_DEC_STRMAX];

            cg_dec_text(given, true, g, sizeof(g));
            cg_dec_text(o->goods_value, true, s, sizeof(s));
            cg_dec_text(m->tolerance, true, t, sizeof(t));
            cg_ob_fail(b, line, name,
                       "given order value %s but the lines sum to %s (more than the tolerance "
                       "%s apart); goodsValue must be the sum of the line totals",
                       g, s, t);
        }
    }
    if (!b->failed)
        finish_text(b, F_NOTE, 0, 1000, "the note (note, CEB303)", &o->note);
    if (!b->failed)
        finish_text(b, F_POD, 3, 4, "the destination port code (POD, CEB603)", &o->pod);
    if (!b->failed && o->pod == NULL)
        finish_pod(b);
    if (!b->failed)
        finish_shipment(b);
    if (!b->failed)
        finish_payment(b);
    if (!b->failed) {
        cg_buf_reset(&b->scratch->canon);
        if (order_json(o, true, &b->scratch->canon, &b->scratch->jcache) != CG_OK)
            cg_ob_fail(b, o->line, "-", "out of memory");
        else
            cg_sha256_hex(b->scratch->canon.data, b->scratch->canon.len, o->hash);
    }
    if (b->failed) {
        char shown[256];

        /* The order number may be the very field that failed: show it escaped. */
        CG_ERR_SET(err, CG_EREJECT, "%s:%ld: order %s: %s",
                   b->fail_file != NULL ? b->fail_file : b->source, b->fail_line,
                   o != NULL && o->order_no != NULL && *o->order_no != '\0'
                       ? cg_text_show(o->order_no, shown, sizeof(shown))
                       : "?",
                   b->msg);
        cg_ob_discard(b);
        return CG_EREJECT;
    }
    b->o = NULL;
    cg_ob_discard(b);
    *out = o;
    return CG_OK;
}

/* ------------------------------------------------------------------ JSON */

/*
 * The order is written straight into a buffer, field by field, instead of building a jansson
 * tree per order only to serialize it. The text is the one json_dumps() gives for that tree:
 * compact, keys in insertion order (output) or sorted by strcmp (canonical, the hash input).
 * A string that is its own JSON text (cg_json_plain(): valid UTF-8 without '"', '\' or control
 * characters, and only ASCII in the canonical text) is copied; any other string is encoded by
 * jansson (json_dumpb), so escaping and \uXXXX for non-ASCII in the canonical text are
 * jansson's. A string jansson refuses (not UTF-8)
 * leaves its key out, as json_object_set_new() does with a NULL value.
 */

enum jv_type { JV_STR, JV_DEC, JV_AMOUNT, JV_INT, JV_BOOL, JV_NULL, JV_LINES, JV_SHIP, JV_PAY };

struct jv {
    const char *k;
    size_t kl; /* strlen(k) */
    enum jv_type t;
    const char *s; /* JV_STR: NULL is null */
    int64_t n;     /* JV_DEC, JV_AMOUNT (decs), JV_INT, JV_BOOL; JV_STR: 1 for catalogue text */
};

struct jw {
    struct cg_buf *b;
    size_t flags; /* jansson flags for strings */
    bool canonical;
    const struct cg_order *o;
    struct cg_map *cache; /* catalogue text -> its canonical JSON string; may be NULL */
    int rc;
};

/* A key and its length, for the initializers of struct jv. */
#define JK(k) k, sizeof(k) - 1

/*
 * Most pieces fit in what the buffer already has: they are copied in place, and the copy of a
 * piece of constant length is inlined. The text is NUL-terminated once, at the end
 * (order_json()); the room check keeps a byte for that NUL.
 */
static inline __attribute__((always_inline)) void jw_add(struct jw *w, const char *p, size_t n)
{
    struct cg_buf *b = w->b;

    if (b->data != NULL && n < b->cap - b->len) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        return;
    }
    if (w->rc == CG_OK && cg_buf_add(b, p, n) != CG_OK)
        w->rc = CG_ENOMEM;
}

/* ,"k": (the comma when asked) */
static void jw_key(struct jw *w, const char *k, size_t kl, bool comma)
{
    struct cg_buf *b = w->b;
    char *d;

    if (b->data != NULL && kl + 4 < b->cap - b->len) {
        d = b->data + b->len;
        if (comma)
            *d++ = ',';
        *d++ = '"';
        memcpy(d, k, kl);
        d += kl;
        *d++ = '"';
        *d++ = ':';
        b->len = (size_t)(d - b->data);
        return;
    }
    if (comma)
        jw_add(w, ",", 1);
    jw_add(w, "\"", 1);
    jw_add(w, k, kl);
    jw_add(w, "\":", 2);
}

/* Key and string value; false (nothing written) when jansson refuses the string. cached: the
 * string is catalogue text, repeated by every order of its product. */
static bool jw_str(struct jw *w, const char *k, size_t kl, const char *s, bool comma, bool cached)
{
    json_t *j;
    char small[512];
    char *big = NULL;
    const char *hit;
    size_t n;

    if (s != NULL && cg_json_plain(s, w->canonical, &n)) {
        jw_key(w, k, kl, comma);
        jw_add(w, "\"", 1);
        jw_add(w, s, n);
        jw_add(w, "\"", 1);
        return true;
    }
    if (s == NULL) {
        jw_key(w, k, kl, comma);
        jw_add(w, "null", 4);
        return true;
    }
    cached = cached && w->cache != NULL && w->canonical;
    if (cached && (hit = cg_map_get(w->cache, s)) != NULL) {
        jw_key(w, k, kl, comma);
        jw_add(w, hit, strlen(hit));
        return true;
    }
    j = json_string(s);
    if (j == NULL)
        return false;
    n = json_dumpb(j, small, sizeof(small), w->flags | JSON_ENCODE_ANY);
    if (n > sizeof(small)) {
        big = malloc(n);
        if (big == NULL || json_dumpb(j, big, n, w->flags | JSON_ENCODE_ANY) != n)
            w->rc = CG_ENOMEM;
    } else if (n == 0) {
        w->rc = CG_ENOMEM;
    }
    json_decref(j);
    if (w->rc == CG_OK) {
        jw_key(w, k, kl, comma);
        jw_add(w, big != NULL ? big : small, n);
    }
    if (w->rc == CG_OK && cached && w->cache->n < JSON_CACHE_MAX) {
        char *e = big != NULL ? big : strndup(small, n);

        /* Not kept when memory is short: the text is written either way. */
        if (e != NULL && cg_map_put(w->cache, s, e, false) == CG_OK)
            big = NULL;
        else if (e != big)
            free(e);
    }
    free(big);
    return true;
}

/*
 * The order of an object's members in the canonical text: its keys sorted by strcmp. Each call
 * site passes the same keys every time, so the order is worked out once per call site, by the
 * first thread that needs it, and read without a lock after that.
 */
#define JV_MAX 32

struct key_order {
    atomic_int ready;
    pthread_mutex_t lock;
    unsigned char idx[JV_MAX];
};

#define KEY_ORDER_INIT                                                                             \
    {                                                                                              \
        0, PTHREAD_MUTEX_INITIALIZER,                                                              \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

static const unsigned char *key_order(struct key_order *ko, const struct jv *v, size_t n)
{
    size_t i, k;

    assert(n <= JV_MAX);
    if (atomic_load_explicit(&ko->ready, memory_order_acquire))
        return ko->idx;
    pthread_mutex_lock(&ko->lock);
    if (!atomic_load_explicit(&ko->ready, memory_order_relaxed)) {
        for (i = 0; i < n; i++) {
            unsigned char x = (unsigned char)i;

            for (k = i; k > 0 && strcmp(v[ko->idx[k - 1]].k, v[x].k) > 0; k--)
                ko->idx[k] = ko->idx[k - 1];
            ko->idx[k] = x;
        }
        atomic_store_explicit(&ko->ready, 1, memory_order_release);
    }
    pthread_mutex_unlock(&ko->lock);
    return ko->idx;
}

static void jw_object(struct jw *w, const struct jv *v, size_t n, struct key_order *ko);

static void jw_line(struct jw *w, const struct cg_order_line *l)
{
    struct jv v[] = {
        {JK("gnum"), JV_INT, NULL, l->gnum},
        {JK("sku"), JV_STR, l->sku, 0},
        {JK("item_name"), JV_STR, l->item_name, 0},
        {JK("item_describe"), JV_STR, l->item_describe, 0},
        {JK("bar_code"), JV_STR, l->bar_code, 1},
        {JK("unit"), JV_STR, l->unit, 0},
        {JK("qty"), JV_DEC, NULL, l->qty},
        {JK("price"), JV_AMOUNT, NULL, l->price},
        {JK("total"), JV_AMOUNT, NULL, l->total},
        {JK("gcode"), JV_STR, l->gcode, 0},
        {JK("gname"), JV_STR, l->gname, 1},
        {JK("gmodel"), JV_STR, l->gmodel, 1},
        {JK("unit1"), JV_STR, l->unit1, 0},
        {JK("qty1"), JV_DEC, NULL, l->qty1},
        {JK("unit2"), JV_STR, *l->unit2 != '\0' ? l->unit2 : NULL, 0},
        {JK("qty2"), *l->unit2 != '\0' ? JV_DEC : JV_NULL, NULL, l->qty2},
        {JK("origin"), JV_STR, *l->origin != '\0' ? l->origin : NULL, 0},
        {JK("net_weight"), JV_DEC, NULL, l->net_weight},
        {JK("gross_weight"), JV_DEC, NULL, l->gross_weight},
    };

    static struct key_order ko = KEY_ORDER_INIT;

    jw_object(w, v, sizeof(v) / sizeof(v[0]), &ko);
}

static void jw_value(struct jw *w, const struct jv *v, bool comma)
{
    const struct cg_order *o = w->o;
    char num[CG_DEC_STRMAX];
    size_t i;

    if (v->t == JV_STR) {
        jw_str(w, v->k, v->kl, v->s, comma, v->n != 0);
        return;
    }
    jw_key(w, v->k, v->kl, comma);
    switch (v->t) {
    case JV_DEC:
    case JV_AMOUNT:
        /* "digits", written in place when there is room, as cg_dec_text() would write it */
        if (w->b->data != NULL && CG_DEC_STRMAX + 2 < w->b->cap - w->b->len) {
            char *d = w->b->data + w->b->len;

            *d++ = '"';
            d += cg_dec_put(v->n, v->t == JV_AMOUNT ? 2 : 0, d);
            *d++ = '"';
            w->b->len = (size_t)(d - w->b->data);
        } else {
            cg_dec_text(v->n, v->t == JV_AMOUNT, num, sizeof(num));
            jw_add(w, "\"", 1);
            jw_add(w, num, strlen(num));
            jw_add(w, "\"", 1);
        }
        break;
    case JV_INT: {
        /* Decimal digits of a JSON integer, as json_dumps() writes it (%lld). */
        unsigned long long m =
            v->n < 0 ? 0ULL - (unsigned long long)v->n : (unsigned long long)v->n;
        char *p = num + sizeof(num);

        do {
            *--p = (char)('0' + m % 10);
            m /= 10;
        } while (m != 0);
        if (v->n < 0)
            *--p = '-';
        jw_add(w, p, (size_t)(num + sizeof(num) - p));
        break;
    }
    case JV_BOOL: jw_add(w, v->n ? "true" : "false", v->n ? 4 : 5); break;
    case JV_LINES:
        jw_add(w, "[", 1);
        for (i = 0; i < o->nlines; i++) {
            if (i > 0)
                jw_add(w, ",", 1);
            jw_line(w, &o->lines[i]);
        }
        jw_add(w, "]", 1);
        break;
    case JV_SHIP:
        if (o->has_shipment) {
            struct jv s[] = {
                {JK("logistics_code"), JV_STR, o->ship.logistics_code, 0},
                {JK("logistics_name"), JV_STR, o->ship.logistics_name, 0},
                {JK("logistics_no"), JV_STR, o->ship.logistics_no, 0},
                {JK("gross_weight"), JV_DEC, NULL, o->ship.gross_weight},
                {JK("net_weight"), JV_DEC, NULL, o->ship.net_weight},
                {JK("pack_no"), JV_INT, NULL, o->ship.pack_no},
            };

            static struct key_order ko = KEY_ORDER_INIT;

            jw_object(w, s, sizeof(s) / sizeof(s[0]), &ko);
        } else {
            jw_add(w, "null", 4);
        }
        break;
    case JV_PAY:
        if (o->has_payment) {
            struct jv p[] = {
                {JK("pay_code"), JV_STR, o->pay.pay_code, 0},
                {JK("pay_name"), JV_STR, o->pay.pay_name, 0},
                {JK("pay_no"), JV_STR, o->pay.pay_no, 0},
                {JK("charge"), JV_AMOUNT, NULL, o->pay.charge},
                {JK("accounting_date"), JV_STR, o->pay.accounting_date, 0},
                {JK("refunded"), JV_AMOUNT, NULL, o->pay.refunded},
            };

            static struct key_order ko = KEY_ORDER_INIT, ko_refunded = KEY_ORDER_INIT;

            /* refunded only when the shop refunded something: the hash of an order without a
             * refund stays what it was before the key existed. */
            if (o->pay.refunded != 0)
                jw_object(w, p, sizeof(p) / sizeof(p[0]), &ko_refunded);
            else
                jw_object(w, p, sizeof(p) / sizeof(p[0]) - 1, &ko);
        } else {
            jw_add(w, "null", 4);
        }
        break;
    case JV_STR:
    case JV_NULL: jw_add(w, "null", 4); break;
    }
}

/* One object: members in the order given, or sorted by key for the canonical text (ko: the
 * call site's order, at most JV_MAX members). */
static void jw_object(struct jw *w, const struct jv *v, size_t n, struct key_order *ko)
{
    const unsigned char *idx = w->canonical ? key_order(ko, v, n) : NULL;
    bool comma = false;
    size_t i;

    jw_add(w, "{", 1);
    for (i = 0; i < n; i++) {
        const struct jv *x = &v[idx != NULL ? idx[i] : i];

        if (x->t == JV_STR) {
            if (jw_str(w, x->k, x->kl, x->s, comma, x->n != 0))
                comma = true;
        } else {
            jw_value(w, x, comma);
            comma = true;
        }
    }
    jw_add(w, "}", 1);
}

static int order_json(const struct cg_order *o, bool canonical, struct cg_buf *out,
                      struct cg_map *cache)
{
    static struct key_order ko_canonical = KEY_ORDER_INIT;
    struct jw w = {out, canonical ? JSON_ENSURE_ASCII : 0, canonical, o, cache, CG_OK};
    size_t len0 = out->len;
    struct jv v[] = {
        {JK("order_no"), JV_STR, o->order_no, 0},
        {JK("seller"), JV_STR, o->seller, 0},
        {JK("source"), JV_STR, o->source, 0},
        {JK("line"), JV_INT, NULL, o->line},
        {JK("currency"), JV_STR, o->currency, 0},
        {JK("currency_iso"), JV_STR, o->currency_iso, 0},
        {JK("country"), JV_STR, o->country, 0},
        {JK("country_iso"), JV_STR, o->country_iso, 0},
        {JK("pod"), JV_STR, o->pod, 0},
        {JK("goods_value"), JV_AMOUNT, NULL, o->goods_value},
        {JK("freight"), JV_AMOUNT, NULL, o->freight},
        {JK("insured_fee"), JV_AMOUNT, NULL, o->insured_fee},
        {JK("note"), JV_STR, o->note, 0},
        {JK("lines"), JV_LINES, NULL, 0},
        {JK("has_shipment"), JV_BOOL, NULL, o->has_shipment},
        {JK("shipment"), JV_SHIP, NULL, 0},
        {JK("has_payment"), JV_BOOL, NULL, o->has_payment},
        {JK("payment"), JV_PAY, NULL, 0},
        {JK("hash"), JV_STR, o->hash, 0},
    };
    size_t n = sizeof(v) / sizeof(v[0]);

    if (canonical) {
        /* Without file name, line and the hash itself: same content, same hash anywhere. */
        memmove(&v[2], &v[4], (n - 4) * sizeof(v[0]));
        n -= 3;
    }
    jw_object(&w, v, n, canonical ? &ko_canonical : NULL);
    if (w.rc != CG_OK)
        out->len = len0;
    if (out->data != NULL)
        out->data[out->len] = '\0';
    return w.rc;
}

int cg_order_json_add(const struct cg_order *o, bool canonical, struct cg_buf *out)
{
    return order_json(o, canonical, out, NULL);
}

static char *order_text(const struct cg_order *o, bool canonical)
{
    struct cg_buf b;

    cg_buf_init(&b, SIZE_MAX / 2);
    if (cg_order_json_add(o, canonical, &b) != CG_OK) {
        cg_buf_free(&b);
        return NULL;
    }
    return cg_buf_take(&b);
}

char *cg_order_canonical(const struct cg_order *o)
{
    return order_text(o, true);
}

char *cg_order_to_json(const struct cg_order *o)
{
    return order_text(o, false);
}
