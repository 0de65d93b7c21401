/*
 * mapping-catalog.c - the product catalogue (SKU -> HS code, names, legal units) and the
 * shipments file (order number -> carrier, tracking number, weight), both CSV with a header.
 *
 * Both are read once, streamed, into hash maps keyed by SKU / order number: their size follows
 * the number of products and shipments, never the size of an order file. A bad catalogue row
 * does not stop the load: the product is kept with the reason, and every order line that uses
 * it is refused naming the catalogue file, line and field. Shipment rows are kept as text and
 * checked when an order joins them, so their errors also name the shipments file and line. A
 * missing file, a missing header column or a file that is not CSV fails the load.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/money.h"
#include "mapping/mapping-int.h"

void cg_product_free(void *v)
{
    struct cg_product *p = v;

    if (p == NULL)
        return;
    free(p->sku);
    free(p->gname);
    free(p->gmodel);
    free(p->bar_code);
    free(p->bad);
    free(p);
}

void cg_ship_rec_free(void *v)
{
    struct cg_ship_rec *s = v;
    int i;

    if (s == NULL)
        return;
    for (i = 0; i < F_COUNT; i++)
        free(s->v[i]);
    free(s);
}

enum {
    C_SKU,
    C_GCODE,
    C_GNAME,
    C_GMODEL,
    C_BAR_CODE,
    C_UNIT,
    C_UNIT1,
    C_PER1,
    C_UNIT2,
    C_PER2,
    C_NET,
    C_GROSS,
    C_ORIGIN,
    C_COUNT
};

static const char *const cat_cols[C_COUNT] = {
    "sku",        "gcode",        "gname",          "gmodel", "bar_code",
    "unit",       "unit1",        "unit1_per_unit", "unit2",  "unit2_per_unit",
    "net_weight", "gross_weight", "origin",
};

static void set_bad(struct cg_product *p, const char *path, long line, const char *field,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void set_bad(struct cg_product *p, const char *path, long line, const char *field,
                    const char *fmt, ...)
{
    char why[512];
    char buf[CG_ERR_MSG_MAX];
    va_list ap;

    if (p->bad != NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    snprintf(buf, sizeof(buf), "%s:%ld: field %s: %s", path, line, field, why);
    p->bad = strdup(buf);
}

static void unit_code(struct cg_product *p, const struct cg_codes *codes, const char *v, char *dst,
                      const char *path, long line, const char *field)
{
    if (*v == '\0')
        return;
    if (strlen(v) != 3 || !cg_codes_known(codes, "unit", v)) {
        set_bad(p, path, line, field, "'%s' is not in the customs unit table (unit.csv)", v);
        return;
    }
    memcpy(dst, v, 4);
}

static int64_t dec_or_bad(struct cg_product *p, const char *v, const char *path, long line,
                          const char *field, bool positive)
{
    int64_t d = 0;

    if (cg_dec_parse(v, &d) != CG_OK || d < 0 || (positive && d == 0)) {
        set_bad(p, path, line, field, "'%s' is not a %s decimal (at most 5 fraction digits)%s", v,
                positive ? "positive" : "non-negative", cg_dec_why(v));
        return 0;
    }
    return d;
}

static struct cg_product *product_from_row(const struct cg_row *row, const int *col,
                                           const struct cg_codes *codes, const char *path)
{
    struct cg_product *p = calloc(1, sizeof(*p));
    char v[C_COUNT][1024];
    char why[256];
    int i;

    if (p == NULL)
        return NULL;
    for (i = 0; i < C_COUNT; i++) {
        cg_strlcpy(v[i], col[i] >= 0 ? cg_row_field(row, (size_t)col[i]) : "", sizeof(v[i]));
        cg_trim(v[i]);
    }
    p->sku = strdup(v[C_SKU]);
    p->gname = strdup(v[C_GNAME]);
    p->gmodel = strdup(v[C_GMODEL]);
    p->bar_code = strdup(*v[C_BAR_CODE] != '\0' ? v[C_BAR_CODE] : "无");
    p->net = p->gross = -1;
    if (p->sku == NULL || p->gname == NULL || p->gmodel == NULL || p->bar_code == NULL) {
        cg_product_free(p);
        return NULL;
    }
    for (i = 0; i < C_COUNT; i++) {
        if (!cg_text_ok(v[i], why, sizeof(why)))
            set_bad(p, path, row->line, cat_cols[i], "%s", why);
    }
    if (!cg_is_digits(v[C_GCODE], 10))
        set_bad(p, path, row->line, "gcode",
                "'%s' is not a 10-digit HS code (gcode of the export inventory CEB603)",
                v[C_GCODE]);
    else
        memcpy(p->gcode, v[C_GCODE], 11);
    if (*v[C_GNAME] == '\0' || cg_utf8_len(v[C_GNAME]) > 250)
        set_bad(p, path, row->line, "gname",
                "'%s' must be 1 to 250 characters: the declared Chinese name (gname, CEB603)",
                v[C_GNAME]);
    if (*v[C_GMODEL] == '\0' || cg_utf8_len(v[C_GMODEL]) > 250)
        set_bad(p, path, row->line, "gmodel",
                "'%s' must be 1 to 250 characters: brand, specification and model (gmodel, "
                "CEB603)",
                v[C_GMODEL]);
    if (cg_utf8_len(p->bar_code) > 50)
        set_bad(p, path, row->line, "bar_code",
                "'%s' is longer than the 50 characters of "
                "barCode (CEB303/CEB603)",
                v[C_BAR_CODE]);
    unit_code(p, codes, v[C_UNIT], p->unit, path, row->line, "unit");
    if (*v[C_UNIT1] == '\0')
        set_bad(p, path, row->line, "unit1", "%s",
                "missing: the first legal unit (unit1) is required by CEB603");
    unit_code(p, codes, v[C_UNIT1], p->unit1, path, row->line, "unit1");
    unit_code(p, codes, v[C_UNIT2], p->unit2, path, row->line, "unit2");
    if (*v[C_PER1] != '\0')
        p->per1 = dec_or_bad(p, v[C_PER1], path, row->line, "unit1_per_unit", true);
    else if (*p->unit != '\0' && strcmp(p->unit, p->unit1) == 0)
        p->per1 = CG_DEC_ONE;
    else
        p->per1 = -1; /* decided per line: 1 when the sold unit is unit1 */
    if (*p->unit2 != '\0') {
        if (*v[C_PER2] != '\0')
            p->per2 = dec_or_bad(p, v[C_PER2], path, row->line, "unit2_per_unit", true);
        else
            set_bad(p, path, row->line, "unit2_per_unit", "%s",
                    "missing: unit2 is set, so the quantity of unit2 per sold unit is needed");
    } else if (*v[C_PER2] != '\0') {
        set_bad(p, path, row->line, "unit2_per_unit", "'%s' given but unit2 is empty", v[C_PER2]);
    }
    if (*v[C_NET] != '\0')
        p->net = dec_or_bad(p, v[C_NET], path, row->line, "net_weight", false);
    if (*v[C_GROSS] != '\0')
        p->gross = dec_or_bad(p, v[C_GROSS], path, row->line, "gross_weight", false);
    if (*v[C_ORIGIN] != '\0') {
        const char *c = cg_codes_country(codes, v[C_ORIGIN]);

        if (c == NULL && cg_codes_known(codes, "country", v[C_ORIGIN]))
            c = v[C_ORIGIN];
        if (c == NULL)
            set_bad(p, path, row->line, "origin",
                    "'%s' is neither ISO 3166 alpha-2 nor a customs country code "
                    "(country.csv)",
                    v[C_ORIGIN]);
        else
            cg_strlcpy(p->origin, c, sizeof(p->origin));
    }
    if (*v[C_SKU] == '\0')
        set_bad(p, path, row->line, "sku", "%s", "missing");
    return p;
}

static int header_cols(const struct cg_row *hdr, const char *const *names, int n, int *col)
{
    int i;
    size_t j;

    for (i = 0; i < n; i++) {
        col[i] = -1;
        for (j = 0; j < hdr->nfields; j++) {
            char h[128];

            cg_strlcpy(h, cg_row_field(hdr, j), sizeof(h));
            if (strcmp(cg_trim(h), names[i]) == 0) {
                col[i] = (int)j;
                break;
            }
        }
    }
    return CG_OK;
}

static int open_csv(const char *path, struct cg_csv *csv, struct cg_row **hdr, struct cg_err *err)
{
    int fd = -1;
    int rc = cg_open_read(path, &fd, err);

    if (rc != CG_OK)
        return rc;
    /* No comment lines: a row starting with '#' is data (a carrier list keyed by Shopify's
     * order name "#1001", a SKU "#12"), never skipped unseen. */
    rc = cg_csv_open(csv, fd, path, CG_ENC_AUTO, ',', '"', false, 1 << 20, err);
    if (rc != CG_OK) {
        close(fd);
        return rc;
    }
    rc = cg_csv_next(csv, hdr, err);
    if (rc == CG_ENOTFOUND)
        rc = CG_ERR_SET(err, CG_EPARSE, "%s: empty file: a header row is required", path);
    if (rc != CG_OK)
        cg_csv_close(csv);
    return rc;
}

int cg_catalog_load(const char *path, const struct cg_codes *codes, struct cg_map *out,
                    struct cg_err *err)
{
    struct cg_csv csv;
    struct cg_row *row;
    int col[C_COUNT];
    char why[256];
    int rc;

    rc = open_csv(path, &csv, &row, err);
    if (rc != CG_OK)
        return rc;
    header_cols(row, cat_cols, C_COUNT, col);
    if (col[C_SKU] < 0 || col[C_GCODE] < 0 || col[C_GNAME] < 0 || col[C_UNIT1] < 0) {
        /* The row belongs to the reader: take its line number before closing. */
        long line = row->line;

        cg_csv_close(&csv);
        return CG_ERR_SET(err, CG_EPARSE,
                          "%s:%ld: header needs at least sku, gcode, gname and unit1 columns", path,
                          line);
    }
    while ((rc = cg_csv_next(&csv, &row, err)) == CG_OK) {
        struct cg_product *p = product_from_row(row, col, codes, path);
        struct cg_product *old;

        if (p == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            break;
        }
        /* A key no order can match is refused here, where its file and line are known. */
        if (!cg_text_ok(p->sku, why, sizeof(why))) {
            rc = CG_ERR_SET(err, CG_EPARSE, "%s:%ld: field sku: %s", path, row->line, why);
            cg_product_free(p);
            break;
        }
        old = cg_map_get(out, p->sku);
        if (old != NULL) {
            char buf[64];

            snprintf(buf, sizeof(buf), "%s", old->sku);
            set_bad(old, path, row->line, "sku",
                    "'%s' appears twice in the catalogue: which HS code is meant?", buf);
            cg_product_free(p);
            continue;
        }
        if (cg_map_put(out, p->sku, p, false) != CG_OK) {
            cg_product_free(p);
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            break;
        }
    }
    cg_csv_close(&csv);
    return rc == CG_ENOTFOUND ? CG_OK : rc;
}

static const int ship_fields[] = {F_LOGISTICS_CODE, F_LOGISTICS_NAME, F_LOGISTICS_NO,
                                  F_GROSS_WEIGHT,   F_NET_WEIGHT,     F_PACK_NO,
                                  F_FREIGHT,        F_INSURED_FEE,    F_POD};
#define NSHIP (sizeof(ship_fields) / sizeof(ship_fields[0]))

int cg_shipments_load(const char *path, const char *strip_prefix, struct cg_map *out,
                      struct cg_err *err)
{
    struct cg_csv csv;
    struct cg_row *row;
    const char *names[NSHIP + 1];
    int col[NSHIP + 1];
    char why[256];
    size_t i;
    int rc;

    rc = open_csv(path, &csv, &row, err);
    if (rc != CG_OK)
        return rc;
    names[0] = "order_no";
    for (i = 0; i < NSHIP; i++)
        names[i + 1] = cg_fld_names[ship_fields[i]];
    header_cols(row, names, (int)NSHIP + 1, col);
    if (col[0] < 0 || col[3] < 0) {
        /* The row belongs to the reader: take its line number before closing. */
        long line = row->line;

        cg_csv_close(&csv);
        return CG_ERR_SET(err, CG_EPARSE,
                          "%s:%ld: header needs at least order_no and logistics_no columns", path,
                          line);
    }
    while ((rc = cg_csv_next(&csv, &row, err)) == CG_OK) {
        struct cg_ship_rec *s;
        struct cg_ship_rec *old;
        char key[256];

        cg_strlcpy(key, cg_row_field(row, (size_t)col[0]), sizeof(key));
        cg_trim(key);
        if (strip_prefix != NULL && *strip_prefix != '\0' &&
            strncmp(key, strip_prefix, strlen(strip_prefix)) == 0)
            memmove(key, key + strlen(strip_prefix), strlen(key) - strlen(strip_prefix) + 1);
        if (*key == '\0')
            continue;
        if (!cg_text_ok(key, why, sizeof(why))) {
            rc = CG_ERR_SET(err, CG_EPARSE, "%s:%ld: field order_no: %s", path, row->line, why);
            break;
        }
        old = cg_map_get(out, key);
        if (old != NULL) {
            old->dup_line = row->line;
            continue;
        }
        s = calloc(1, sizeof(*s));
        if (s == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            break;
        }
        s->line = row->line;
        for (i = 0; i < NSHIP; i++) {
            int f = ship_fields[i];

            s->v[f] = strdup(col[i + 1] >= 0 ? cg_row_field(row, (size_t)col[i + 1]) : "");
            if (s->v[f] == NULL)
                break;
            cg_trim(s->v[f]);
        }
        if (i < NSHIP || cg_map_put(out, key, s, false) != CG_OK) {
            cg_ship_rec_free(s);
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            break;
        }
    }
    cg_csv_close(&csv);
    return rc == CG_ENOTFOUND ? CG_OK : rc;
}
