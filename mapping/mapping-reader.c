/*
 * mapping-reader.c - the mapping context (profile, catalogue, shipments, limits) and the
 * streamed order readers for CSV (own layout and shop exports) and JSON lines.
 *
 * A reader holds one CSV record or one JSON line and the order being built, never the file:
 * rows of one order are adjacent (as shops export them) and an order is handed out when the
 * next one starts. The reader also keeps the order numbers met (struct cg_seen), so that an
 * order met again after another one (its rows apart, or a second JSON line) is rejected
 * instead of being taken as a second version of the first. cg_reader_open_whole() reads the
 * file once before, for the order numbers alone (a set of their 64-bit hashes, then, read
 * again, the numbers in full of those whose hash was met twice), so that such an order is
 * rejected whole, each of its groups of rows; that reader keeps no set of the numbers met. A
 * rejected order gives CG_EREJECT with "file:line: order <no>: field <name>: reason" and the
 * reader goes on; a failure of the whole file (I/O, a header that lacks a needed column, an
 * unclosed quote) is any other code. The context owns what it loads; the reader owns its
 * descriptor and closes it.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/money.h"
#include "core/text.h"
#include "mapping/mapping-int.h"

/* ------------------------------------------------------------------ context */

void cg_map_ctx_free(struct cg_map_ctx *m)
{
    if (m == NULL)
        return;
    cg_profile_free(m->profile);
    cg_map_clear(&m->catalog, cg_product_free);
    cg_map_clear(&m->shipments, cg_ship_rec_free);
    free(m->catalog_path);
    free(m->shipments_path);
    free(m->default_country);
    free(m);
}

int cg_map_ctx_new(const struct cg_conf *conf, const struct cg_seller *seller,
                   const struct cg_codes *codes, struct cg_map_ctx **out, struct cg_err *err)
{
    struct cg_map_ctx *m = calloc(1, sizeof(*m));
    char *data_dir = NULL;
    const char *v;
    int rc = CG_OK;

    if (m == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    m->seller = seller;
    m->codes = codes;
    cg_map_init(&m->catalog);
    cg_map_init(&m->shipments);
    data_dir = cg_conf_data_dir(conf);
    if (data_dir == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    rc = cg_profile_find(data_dir, seller->profile, &m->profile, err);
    if (rc != CG_OK)
        goto done;
    v = cg_conf_get(conf, "mapping", "encoding");
    if (cg_enc_parse(v, &m->enc) != CG_OK) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "[mapping] encoding: '%s' is not auto, utf-8 or gb18030",
                        v);
        goto done;
    }
    if (m->profile->enc_set)
        m->enc = m->profile->enc;
    v = cg_conf_get(conf, "mapping", "tolerance");
    if (v == NULL || cg_dec_parse(v, &m->tolerance) != CG_OK || m->tolerance < 0) {
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "[mapping] tolerance: '%s' is not a non-negative decimal (5 fraction "
                        "digits at most)",
                        v != NULL ? v : "");
        goto done;
    }
    m->max_line = (size_t)cg_conf_get_int(conf, "mapping", "max_record");
    if (m->max_line < 1024)
        m->max_line = 1024;
    if (seller->currency != NULL && *seller->currency != '\0' &&
        cg_codes_currency(codes, seller->currency) == NULL) {
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "[seller] currency: '%s' is not in the customs currency table",
                        seller->currency);
        goto done;
    }
    if (seller->country != NULL && *seller->country != '\0') {
        if (cg_codes_country(codes, seller->country) == NULL) {
            rc = CG_ERR_SET(err, CG_ECONFIG,
                            "[seller] country: '%s' is not in the customs country table",
                            seller->country);
            goto done;
        }
        m->default_country = strdup(seller->country);
    }
    if (seller->traf_mode != NULL && *seller->traf_mode != '\0' &&
        !cg_codes_known(codes, "transport", seller->traf_mode)) {
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "[seller] traf_mode: '%s' is not in the customs transport mode table",
                        seller->traf_mode);
        goto done;
    }
    if (seller->wrap_type != NULL && *seller->wrap_type != '\0' &&
        !cg_codes_known(codes, "package", seller->wrap_type)) {
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "[seller] wrap_type: '%s' is not in the customs package kind table",
                        seller->wrap_type);
        goto done;
    }
    if (seller->catalog == NULL || *seller->catalog == '\0') {
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "no product catalogue: set catalog in [seller] or the seller's section "
                        "(cebgate map also takes --catalog); every order line needs its HS "
                        "code from it");
        goto done;
    }
    m->catalog_path = strdup(seller->catalog);
    if (m->catalog_path == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    rc = cg_catalog_load(m->catalog_path, codes, &m->catalog, err);
    if (rc != CG_OK)
        goto done;
    m->have_catalog = true;
    if (seller->shipments != NULL && *seller->shipments != '\0') {
        m->shipments_path = strdup(seller->shipments);
        if (m->shipments_path == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
        rc = cg_shipments_load(m->shipments_path, m->profile->strip_prefix, &m->shipments, err);
        if (rc != CG_OK)
            goto done;
    }
done:
    free(data_dir);
    if (rc != CG_OK) {
        cg_map_ctx_free(m);
        return rc;
    }
    *out = m;
    return CG_OK;
}

/* ------------------------------------------------------------------ reader */

struct cg_reader {
    struct cg_map_ctx *m;
    char *name;
    bool jsonl;
    struct cg_csv csv;
    struct cg_src src;
    bool header_done;
    int col[F_COUNT];
    int *scol; /* header index of each status column of the profile, -1 when absent */
    struct cg_ob ob;
    struct cg_ob_scratch scratch;
    bool ob_active;
    char *key;           /* order number of the order being built */
    struct cg_seen seen; /* every order number begun so far, with its first line */
    /* Opened by cg_reader_open_whole(): seen is not kept; apart holds the numbers whose hash the
     * first pass met twice (order number -> struct apart; met_again false for a number met once).
     */
    bool whole;
    struct cg_map apart;
    bool group_again; /* whole: the order being read is a later group of one rejected already */
    bool last_again;  /* the order cg_reader_next() returned last was such a group */
    long orders, rejected;
    int held_rc; /* a failure of the file, returned after the order before it */
    struct cg_err held_err;
};

/*
 * A tab-separated profile (the Amazon report) also reads the report saved again as CSV (Excel's
 * "CSV UTF-8"): true when the header line at fd's offset has no tab but has the order number's
 * column between commas (or quotes). The line is looked at, not parsed; fd's offset stays, and
 * a descriptor that cannot be read at an offset (a pipe) keeps the tab.
 */
static bool header_by_commas(int fd, const struct cg_profile *p)
{
    char buf[8192];
    const char *col = p->column[F_ORDER_NO] != NULL ? p->column[F_ORDER_NO] : "order_no";
    const char *line = buf, *end, *q;
    size_t n = strlen(col);
    off_t pos = lseek(fd, 0, SEEK_CUR);
    ssize_t got;

    if (pos < 0 || (got = pread(fd, buf, sizeof(buf), pos)) <= 0)
        return false;
    if (got >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        line += 3;
    for (end = line; end < buf + got && *end != '\n' && *end != '\r'; end++) {
        if (*end == '\t')
            return false;
    }
    for (q = line; q + n <= end; q++) {
        if (memcmp(q, col, n) == 0 && (q == line || q[-1] == ',' || q[-1] == '"') &&
            (q + n == end || q[n] == ',' || q[n] == '"'))
            return true;
    }
    return false;
}

int cg_reader_open_fd(struct cg_map_ctx *m, int fd, const char *name, struct cg_reader **out,
                      struct cg_err *err)
{
    struct cg_reader *r = calloc(1, sizeof(*r));
    int rc;

    if (r == NULL || (r->name = strdup(name)) == NULL) {
        free(r);
        close(fd);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    r->m = m;
    cg_buf_init(&r->scratch.canon, SIZE_MAX / 2);
    cg_map_init(&r->scratch.jcache);
    cg_seen_init(&r->seen);
    cg_map_init(&r->apart);
    r->jsonl = m->profile->jsonl;
    if (r->jsonl)
        rc = cg_src_open(&r->src, fd, name, m->enc, m->max_line, err);
    else if (m->profile->delim == '\t' && header_by_commas(fd, m->profile))
        rc = cg_csv_open(&r->csv, fd, name, m->enc, ',', '"', false, m->max_line, err);
    else
        rc = cg_csv_open(&r->csv, fd, name, m->enc, m->profile->delim, m->profile->quote, false,
                         m->max_line, err);
    if (rc != CG_OK) {
        close(fd);
        free(r->name);
        free(r);
        return rc;
    }
    *out = r;
    return CG_OK;
}

int cg_reader_open_path(struct cg_map_ctx *m, const char *path, struct cg_reader **out,
                        struct cg_err *err)
{
    int fd = -1;
    int rc = cg_open_read(path, &fd, err);

    if (rc != CG_OK)
        return rc;
    return cg_reader_open_fd(m, fd, path, out, err);
}

void cg_reader_close(struct cg_reader *r)
{
    if (r == NULL)
        return;
    if (r->ob_active)
        cg_ob_discard(&r->ob);
    if (r->jsonl)
        cg_src_close(&r->src);
    else
        cg_csv_close(&r->csv);
    free(r->key);
    cg_seen_clear(&r->seen);
    cg_map_clear(&r->apart, free);
    free(r->scol);
    cg_buf_free(&r->scratch.canon);
    cg_map_clear(&r->scratch.jcache, free);
    free(r->name);
    free(r);
}

void cg_reader_counts(const struct cg_reader *r, long *orders, long *rejected)
{
    if (orders != NULL)
        *orders = r->orders;
    if (rejected != NULL)
        *rejected = r->rejected;
}

static const char *strip(const struct cg_profile *p, const char *no)
{
    size_t n;

    if (p->strip_prefix == NULL || no == NULL)
        return no;
    n = strlen(p->strip_prefix);
    return strncmp(no, p->strip_prefix, n) == 0 ? no + n : no;
}

/* ------------------------------------------------------------------ CSV */

/*
 * The field a header column means when written another way ("Order_No", "order no",
 * "ORDER-NO" for order_no): compared in lower case with blanks and '-' as '_'; -1 for none.
 */
static int near_field(const char *h)
{
    char norm[64];
    size_t i;

    for (i = 0; h[i] != '\0' && i + 1 < sizeof(norm); i++) {
        char c = h[i];
        norm[i] = c == ' ' || c == '-' ? '_' : (char)tolower((unsigned char)c);
    }
    if (h[i] != '\0')
        return -1;
    norm[i] = '\0';
    return cg_fld_find(norm);
}

/* True when the header has column name: a field of its own, or, in a header read as one
 * column, a part of it between delimiters (a file read with the wrong one). */
static bool header_has(const struct cg_row *row, const char *name)
{
    const char *h, *q;
    size_t i, n = strlen(name);

    for (i = 0; i < row->nfields; i++) {
        if (strcmp(cg_row_field(row, i), name) == 0)
            return true;
    }
    if (row->nfields != 1)
        return false;
    for (h = cg_row_field(row, 0); (q = strstr(h, name)) != NULL; h = q + 1) {
        const char *h0 = cg_row_field(row, 0);

        if ((q == h0 || strchr(",;\t", q[-1]) != NULL) &&
            (q[n] == '\0' || strchr(",;\t", q[n]) != NULL))
            return true;
    }
    return false;
}

/*
 * When the header is a shop's export that the profile does not read (a Shopify export read
 * as cebgate's own CSV), hint holds the profile to set; else it is left alone. A profile that
 * takes the order number from that shop's column is that shop's layout already.
 */
static void shop_hint(const struct cg_profile *p, const struct cg_row *row, char *hint, size_t n)
{
    static const struct {
        const char *profile, *what, *cols[3];
    } shops[] = {
        {"shopify", "a Shopify export", {"Name", "Financial Status", "Lineitem name"}},
        {"amazon", "an Amazon report", {"amazon-order-id", "product-name", "order-status"}},
    };
    size_t i, k;

    for (i = 0; i < sizeof(shops) / sizeof(shops[0]); i++) {
        bool all = true;

        if (p->column[F_ORDER_NO] != NULL && strcmp(p->column[F_ORDER_NO], shops[i].cols[0]) == 0)
            continue;
        for (k = 0; k < 3 && all; k++)
            all = header_has(row, shops[i].cols[k]);
        if (all) {
            snprintf(hint, n,
                     "; this looks like %s: set profile = %s for this seller "
                     "(docs/order-format.md)",
                     shops[i].what, shops[i].profile);
            return;
        }
    }
}

static int read_header(struct cg_reader *r, struct cg_err *err)
{
    const struct cg_profile *p = r->m->profile;
    struct cg_row *row;
    char file_hint[200] = "";
    size_t i;
    int f;
    int rc = cg_csv_next(&r->csv, &row, err);

    if (rc == CG_ENOTFOUND)
        return CG_ERR_SET(err, CG_EPARSE, "%s: empty file: a header row is required", r->name);
    if (rc != CG_OK)
        return rc;
    for (i = 0; i < row->nfields; i++)
        cg_trim(row->data + row->off[i]);
    for (f = 0; f < F_COUNT; f++) {
        r->col[f] = -1;
        if (p->column[f] == NULL)
            continue;
        for (i = 0; i < row->nfields; i++) {
            if (strcmp(cg_row_field(row, i), p->column[f]) == 0) {
                r->col[f] = (int)i;
                break;
            }
        }
    }
    if (p->nstatus > 0) {
        size_t k;

        r->scol = malloc(p->nstatus * sizeof(*r->scol));
        if (r->scol == NULL)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        for (k = 0; k < p->nstatus; k++) {
            r->scol[k] = -1;
            for (i = 0; i < row->nfields; i++) {
                if (strcmp(cg_row_field(row, i), p->status[k].column) == 0) {
                    r->scol[k] = (int)i;
                    break;
                }
            }
        }
    }
    /* A header read as one column that holds another delimiter: the file's is not the profile's
     * (a spreadsheet saved with ';' where the profile expects ','). */
    if (row->nfields == 1) {
        static const struct {
            char c;
            const char *what, *by, *setting;
        } other[] = {
            {';', "';'", "';'", ";"}, {'\t', "a tab", "tabs", "tab"}, {',', "','", "','", ","}};
        const char *h = cg_row_field(row, 0);

        for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
            if (other[i].c != p->delim && strchr(h, other[i].c) != NULL) {
                snprintf(file_hint, sizeof(file_hint),
                         "; the header is one column with %s in it: if the file is separated by "
                         "%s, set delimiter = %s in the seller's profile (docs/order-format.md)",
                         other[i].what, other[i].by, other[i].setting);
                break;
            }
        }
    }
    /* A shop's export read with another layout: the profile is what to change, not a column
     * name or the delimiter. */
    shop_hint(p, row, file_hint, sizeof(file_hint));
    if (p->strict_columns) {
        for (i = 0; i < row->nfields; i++) {
            const char *h = cg_row_field(row, i);
            char shown[256];
            bool mapped = false;

            /* A column the profile names ([columns] sku = Item SKU) is known too. */
            for (f = 0; f < F_COUNT && !mapped; f++)
                mapped = r->col[f] == (int)i;
            if (*h != '\0' && !mapped && cg_fld_find(h) < 0 && cg_status_find(p, h) == NULL) {
                int near = near_field(h);
                char hint[96] = "";

                if (near >= 0)
                    snprintf(hint, sizeof(hint),
                             "; write it '%s' (names are lower case, words joined by '_')",
                             cg_fld_names[near]);
                return CG_ERR_SET(err, CG_EPARSE,
                                  "%s:%ld: header: unknown column '%s' (the columns are listed "
                                  "in docs/order-format.md)%s%s",
                                  r->name, row->line, cg_text_show(h, shown, sizeof(shown)), hint,
                                  file_hint);
            }
        }
    }
    {
        static const int need[] = {F_ORDER_NO, F_SKU, F_QTY};

        for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
            f = need[i];
            if (r->col[f] < 0 && p->fixed[f] == NULL)
                return CG_ERR_SET(err, CG_EPARSE,
                                  "%s:%ld: header: no column '%s' (needed for %s)%s", r->name,
                                  row->line, p->column[f] != NULL ? p->column[f] : cg_fld_names[f],
                                  cg_fld_names[f], file_hint);
        }
        if (r->col[F_PRICE] < 0 && r->col[F_TOTAL] < 0)
            return CG_ERR_SET(err, CG_EPARSE,
                              "%s:%ld: header: no column '%s' or '%s' (the price)%s", r->name,
                              row->line, p->column[F_PRICE] != NULL ? p->column[F_PRICE] : "price",
                              p->column[F_TOTAL] != NULL ? p->column[F_TOTAL] : "total", file_hint);
    }
    r->header_done = true;
    return CG_OK;
}

/* Fill v from a row; false when every field of the row is empty (a blank spreadsheet row). */
static bool row_vals(struct cg_reader *r, struct cg_row *row, struct cg_vals *v)
{
    const struct cg_profile *p = r->m->profile;
    bool any = false;
    size_t i;
    int f;

    for (i = 0; i < row->nfields; i++) {
        cg_trim(row->data + row->off[i]);
        if (row->data[row->off[i]] != '\0')
            any = true;
    }
    memset(v, 0, sizeof(*v));
    v->line = row->line;
    for (f = 0; f < F_COUNT; f++) {
        const char *x = r->col[f] >= 0 ? cg_row_field(row, (size_t)r->col[f]) : "";

        v->name[f] = p->column[f] != NULL ? p->column[f] : cg_fld_names[f];
        if (*x == '\0' && p->fixed[f] != NULL) {
            x = p->fixed[f];
            v->name[f] = cg_fld_names[f];
        }
        v->v[f] = x;
    }
    v->v[F_ORDER_NO] = strip(p, v->v[F_ORDER_NO]);
    return any;
}

/* Where the first pass met an order number: the line of its first group of rows, and of its
 * second (0 when the number is met in one group only). */
struct apart {
    long first, again; /* the lines of its first two groups */
    bool met_again;    /* a second group was met (a line number says nothing: it may be 0) */
};

/*
 * Reject the order begun at line, a later group of rows of an order begun at first (shown is
 * its number as messages show it). Such an order is never declared as a second version of the
 * first group, whatever the status of its rows.
 */
static void fail_later(struct cg_reader *r, const char *shown, const char *field, long line,
                       long first)
{
    if (r->jsonl)
        cg_ob_fail(&r->ob, line, field,
                   "order %s is on line %ld already: one line holds the whole order", shown, first);
    else
        cg_ob_fail(&r->ob, line, field,
                   "the rows of order %s must follow each other: it began at line %ld and "
                   "another order came between",
                   shown, first);
    r->ob.reject_held = true;
}

/*
 * The order begun at line has been met before in the file: reject it, naming the line the
 * first one began on (the first one goes on as it was read). Out of memory fails the file.
 * Opened by cg_reader_open_whole(), the first group of an order whose rows are apart is
 * rejected too, naming the line its rows come again on.
 */
static void once(struct cg_reader *r, const char *no, const char *field, long line)
{
    const struct apart *a;
    char shown[256];
    long first = 0;
    int rc;

    if (*no == '\0' || r->held_rc != CG_OK)
        return;
    if (r->whole) {
        a = r->apart.n > 0 ? cg_map_get(&r->apart, no) : NULL;
        if (a == NULL || !a->met_again)
            return;
        cg_text_show(no, shown, sizeof(shown));
        if (line != a->first) {
            fail_later(r, shown, field, line, a->first);
            r->group_again = true;
            return;
        }
        if (r->jsonl)
            cg_ob_fail(&r->ob, line, field,
                       "order %s is on line %ld again: one line holds the whole order", shown,
                       a->again);
        else
            cg_ob_fail(&r->ob, line, field,
                       "the rows of order %s must follow each other: they come again at line %ld, "
                       "after another order",
                       shown, a->again);
        r->ob.reject_held = true;
        return;
    }
    rc = cg_seen_add(&r->seen, no, line, &first);
    if (rc == CG_ENOMEM)
        r->held_rc = CG_ERR_SET(&r->held_err, CG_ENOMEM, "%s: out of memory", r->name);
    if (rc != CG_EEXIST)
        return;
    cg_text_show(no, shown, sizeof(shown));
    fail_later(r, shown, field, line, first);
}

static int begin(struct cg_reader *r, const struct cg_vals *v)
{
    free(r->key);
    r->key = strdup(v->v[F_ORDER_NO]);
    cg_ob_begin(&r->ob, r->m, &r->scratch, r->name, v->v[F_ORDER_NO], v->line);
    r->ob_active = true;
    if (r->key == NULL)
        cg_ob_fail(&r->ob, v->line, "order_no", "out of memory");
    /* A row without an order number (a spreadsheet's total row) is rejected for that first,
     * not for the SKU or price it lacks as well. */
    if (*v->v[F_ORDER_NO] == '\0')
        cg_ob_fail(&r->ob, v->line,
                   v->name[F_ORDER_NO] != NULL ? v->name[F_ORDER_NO] : cg_fld_names[F_ORDER_NO],
                   "missing: the order number (orderNo, CEB303/CEB603) is required");
    once(r, v->v[F_ORDER_NO], v->name[F_ORDER_NO], v->line);
    return CG_OK;
}

/* One CSV row into the order being built: its status values, then its values and item. */
static void add_row(struct cg_reader *r, const struct cg_row *row, const struct cg_vals *v)
{
    const struct cg_profile *p = r->m->profile;
    bool drop = false;
    size_t k;

    for (k = 0; k < p->nstatus; k++) {
        if (r->scol[k] >= 0 && cg_ob_status(&r->ob, p->status[k].column,
                                            cg_row_field(row, (size_t)r->scol[k]), v->line))
            drop = true;
    }
    cg_ob_row(&r->ob, v, !drop);
}

static int finish(struct cg_reader *r, struct cg_order **out, struct cg_err *err)
{
    int rc = cg_ob_finish(&r->ob, out, err);

    r->ob_active = false;
    r->last_again = r->group_again;
    r->group_again = false;
    return rc;
}

static int csv_next(struct cg_reader *r, struct cg_order **out, struct cg_err *err)
{
    struct cg_row *row;
    struct cg_vals v;
    int rc;

    if (!r->header_done) {
        rc = read_header(r, err);
        if (rc != CG_OK)
            return rc;
    }
    if (r->held_rc != CG_OK) {
        if (err != NULL)
            *err = r->held_err;
        return r->held_rc;
    }
    for (;;) {
        rc = cg_csv_next(&r->csv, &row, err);
        if (rc == CG_ENOTFOUND)
            return r->ob_active ? finish(r, out, err) : CG_ENOTFOUND;
        if (rc != CG_OK) {
            /* The order read before the bad record is complete: hand it out first. */
            if (!r->ob_active)
                return rc;
            r->held_rc = rc;
            if (err != NULL)
                r->held_err = *err;
            else
                cg_err_clear(&r->held_err);
            return finish(r, out, err);
        }
        if (!row_vals(r, row, &v))
            continue;
        if (r->ob_active && strcmp(v.v[F_ORDER_NO], r->key) == 0) {
            add_row(r, row, &v);
            continue;
        }
        if (r->ob_active) {
            struct cg_err e2;

            rc = finish(r, out, &e2);
            begin(r, &v);
            add_row(r, row, &v);
            if (err != NULL)
                *err = e2;
            return rc;
        }
        begin(r, &v);
        if (r->held_rc != CG_OK) {
            if (err != NULL)
                *err = r->held_err;
            return r->held_rc;
        }
        add_row(r, row, &v);
    }
}

/* ------------------------------------------------------------------ JSON lines */

struct jvals {
    struct cg_vals v;
    char num[F_COUNT][32];
    char name[F_COUNT][64];
};

/* Text of one JSON value into j for field f; false (with the order failed) when unusable. */
static bool jval(struct cg_ob *b, struct jvals *j, int f, const char *name, json_t *x, long line)
{
    snprintf(j->name[f], sizeof(j->name[f]), "%s", name);
    j->v.name[f] = j->name[f];
    if (json_is_null(x))
        return true;
    if (json_is_string(x)) {
        j->v.v[f] = json_string_value(x);
        return true;
    }
    if (json_is_integer(x)) {
        snprintf(j->num[f], sizeof(j->num[f]), "%" JSON_INTEGER_FORMAT, json_integer_value(x));
        j->v.v[f] = j->num[f];
        return true;
    }
    if (json_is_real(x)) {
        cg_ob_fail(b, line, j->name[f],
                   "a JSON number with a fraction is binary floating point and not exact: "
                   "write decimals as strings (\"12.50\")");
        return false;
    }
    cg_ob_fail(b, line, j->name[f], "expected a string or a whole number");
    return false;
}

static int json_order(struct cg_reader *r, json_t *root, long line, struct cg_order **out,
                      struct cg_err *err)
{
    struct cg_ob *b = &r->ob;
    struct jvals *oj = calloc(1, sizeof(*oj));
    struct jvals *lj = calloc(1, sizeof(*lj));
    const char *key;
    json_t *val;
    json_t *lines = NULL;
    json_t *no = json_object_get(root, "order_no");
    size_t i;
    int rc;

    cg_ob_begin(b, r->m, &r->scratch, r->name,
                strip(r->m->profile, json_is_string(no) ? json_string_value(no) : ""), line);
    r->ob_active = true;
    if (json_is_string(no))
        once(r, strip(r->m->profile, json_string_value(no)), "order_no", line);
    if (r->held_rc != CG_OK) {
        cg_ob_discard(b);
        r->ob_active = false;
        free(oj);
        free(lj);
        if (err != NULL)
            *err = r->held_err;
        return r->held_rc;
    }
    if (oj == NULL || lj == NULL) {
        cg_ob_fail(b, line, "-", "out of memory");
        goto finish;
    }
    if (json_is_integer(no) || json_is_real(no))
        cg_ob_fail(b, line, "order_no", "write the order number as a string");
    oj->v.line = lj->v.line = line;
    /* Status first: an order that is not declared is not checked. */
    for (i = 0; i < r->m->profile->nstatus; i++) {
        const char *col = r->m->profile->status[i].column;

        val = json_object_get(root, col);
        if (json_is_string(val))
            cg_ob_status(b, col, json_string_value(val), line);
        else if (val != NULL && !json_is_null(val))
            cg_ob_fail(b, line, col, "expected a string");
    }
    json_object_foreach(root, key, val)
    {
        int f;

        if (b->failed)
            break;
        if (strcmp(key, "order_no") == 0)
            continue;
        if (strcmp(key, "lines") == 0) {
            lines = val;
            continue;
        }
        if (cg_status_find(r->m->profile, key) != NULL)
            continue; /* read above */
        if (strcmp(key, "shipment") == 0 || strcmp(key, "payment") == 0) {
            const char *k2;
            json_t *v2;
            bool pay = key[0] == 'p';

            if (json_is_null(val))
                continue;
            if (!json_is_object(val)) {
                cg_ob_fail(b, line, key, "expected an object");
                break;
            }
            json_object_foreach(val, k2, v2)
            {
                char nm[64];

                snprintf(nm, sizeof(nm), "%s.%s", key, k2);
                if (pay && strcmp(k2, "charge") == 0)
                    f = F_PAY_CHARGE;
                else if (pay && strcmp(k2, "refunded") == 0)
                    f = F_PAY_REFUNDED;
                else if (pay && (strcmp(k2, "time") == 0 || strcmp(k2, "accounting_date") == 0))
                    f = F_PAY_TIME;
                else
                    f = cg_fld_find(k2);
                if (f < 0 || f >= F_FIRST_LINE_FIELD || f == F_ORDER_NO ||
                    (pay != (f >= F_PAY_CODE && f <= F_PAY_TIME))) {
                    cg_ob_fail(b, line, nm, "unknown key (see docs/order-format.md)");
                    break;
                }
                if (!jval(b, oj, f, nm, v2, line))
                    break;
            }
            continue;
        }
        f = cg_fld_find(key);
        if (f < 0 || f >= F_FIRST_LINE_FIELD) {
            cg_ob_fail(b, line, key, "unknown key (see docs/order-format.md)");
            break;
        }
        jval(b, oj, f, key, val, line);
    }
    if (b->failed)
        goto finish;
    for (i = 0; i < F_COUNT; i++) {
        if (oj->v.v[i] == NULL && r->m->profile->fixed[i] != NULL)
            oj->v.v[i] = r->m->profile->fixed[i];
    }
    if (lines != NULL && !json_is_array(lines)) {
        cg_ob_fail(b, line, "lines", "expected an array of order lines");
        goto finish;
    }
    cg_ob_row(b, &oj->v, false);
    for (i = 0; lines != NULL && i < json_array_size(lines) && !b->failed; i++) {
        json_t *item = json_array_get(lines, i);
        int f;

        memset(lj, 0, sizeof(*lj));
        lj->v.line = line;
        if (!json_is_object(item)) {
            cg_ob_fail(b, line, "lines", "item %zu is not an object", i + 1);
            break;
        }
        json_object_foreach(item, key, val)
        {
            char nm[64];

            snprintf(nm, sizeof(nm), "lines[%zu].%s", i + 1, key);
            f = cg_fld_find(key);
            if (f < F_FIRST_LINE_FIELD) {
                cg_ob_fail(b, line, nm, "unknown key in an order line (see docs/order-format.md)");
                break;
            }
            if (!jval(b, lj, f, nm, val, line))
                break;
        }
        for (f = F_FIRST_LINE_FIELD; f < F_COUNT; f++) {
            if (lj->v.v[f] == NULL && r->m->profile->fixed[f] != NULL)
                lj->v.v[f] = r->m->profile->fixed[f];
        }
        cg_ob_row(b, &lj->v, true);
    }
finish:
    rc = finish(r, out, err);
    free(oj);
    free(lj);
    return rc;
}

static bool blank(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return false;
    }
    return true;
}

static int jsonl_next(struct cg_reader *r, struct cg_order **out, struct cg_err *err)
{
    const char *p = NULL;
    size_t n = 0;
    json_t *root;
    json_error_t jerr;
    int rc;

    if (r->held_rc != CG_OK) {
        if (err != NULL)
            *err = r->held_err;
        return r->held_rc;
    }
    do {
        rc = cg_src_line(&r->src, &p, &n, err);
        if (rc != CG_OK)
            return rc;
    } while (blank(p, n));
    root = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL || !json_is_object(root)) {
        char shown[JSON_ERROR_TEXT_LENGTH * 4];

        /* jansson quotes the text near the error, which may hold control characters. */
        json_decref(root);
        return CG_ERR_SET(err, CG_EREJECT, "%s:%ld: order ?: field json: %s", r->name, r->src.line,
                          root == NULL ? cg_text_show(jerr.text, shown, sizeof(shown))
                                       : "the line is not a JSON object (one order "
                                         "per line)");
    }
    rc = json_order(r, root, r->src.line, out, err);
    json_decref(root);
    return rc;
}

/* ------------------------------------------------------------------ first pass */

/*
 * The next group of rows of one order number (a JSON line is one) into no, with the line it
 * begins on: the groups the reading proper begins an order at. "" stands for rows without an
 * order number, which part the rows around them there too; open says whether a group began.
 * CG_ENOTFOUND at the end, and at a failure of the file's content, which the reading proper
 * reports where it comes (the groups before it are the same); other codes (I/O, memory) are
 * temporary.
 */
static int next_group(struct cg_reader *r, struct cg_buf *no, bool *open, long *line,
                      struct cg_err *err)
{
    struct cg_row *row;
    struct cg_vals v;
    int rc;

    if (r->jsonl) {
        for (;;) {
            const char *p = NULL;
            size_t n = 0;
            json_error_t jerr;
            json_t *root, *x;

            rc = cg_src_line(&r->src, &p, &n, err);
            if (rc != CG_OK)
                return cg_rc_temporary(rc) ? rc : CG_ENOTFOUND;
            if (blank(p, n))
                continue;
            /* As jsonl_next() and json_order(): a line that is no object, or whose order_no is
             * not a string, begins no order that can be met again. */
            root = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
            x = json_is_object(root) ? json_object_get(root, "order_no") : NULL;
            if (!json_is_string(x)) {
                json_decref(root);
                continue;
            }
            cg_buf_reset(no);
            rc = cg_buf_adds(no, strip(r->m->profile, json_string_value(x)));
            json_decref(root);
            if (rc != CG_OK)
                return CG_ERR_SET(err, CG_ENOMEM, "%s: out of memory", r->name);
            *line = r->src.line;
            return CG_OK;
        }
    }
    if (!r->header_done) {
        rc = read_header(r, err);
        if (rc != CG_OK)
            return cg_rc_temporary(rc) ? rc : CG_ENOTFOUND;
    }
    for (;;) {
        rc = cg_csv_next(&r->csv, &row, err);
        if (rc != CG_OK)
            return cg_rc_temporary(rc) ? rc : CG_ENOTFOUND;
        if (!row_vals(r, row, &v))
            continue;
        /* As csv_next(): a row of the order number before continues its group. */
        if (*open && strcmp(v.v[F_ORDER_NO], cg_buf_str(no)) == 0)
            continue;
        cg_buf_reset(no);
        if (cg_buf_adds(no, v.v[F_ORDER_NO]) != CG_OK)
            return CG_ERR_SET(err, CG_ENOMEM, "%s: out of memory", r->name);
        *open = true;
        *line = v.line;
        return CG_OK;
    }
}

/*
 * Read the file on a copy of fd from pos, with the reader's layout, and put each order number
 * that begins a group of rows into all; a hash met before goes into twice. With apart, only
 * the numbers whose hash is in twice are taken, in full: each with the lines of its first two
 * groups. fd is left at pos.
 */
static int first_pass(struct cg_map_ctx *m, int fd, off_t pos, const char *name,
                      struct cg_hset *all, struct cg_hset *twice, struct cg_map *apart,
                      struct cg_err *err)
{
    struct cg_reader *r = NULL;
    struct cg_buf no;
    bool open = false;
    long line = 0;
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    int rc;

    cg_buf_init(&no, SIZE_MAX / 2);
    if (d < 0)
        return CG_ERR_SET(err, CG_EIO, "%s: cannot open it to read its order numbers first: %s",
                          name, strerror(errno));
    rc = cg_reader_open_fd(m, d, name, &r, err);
    if (rc != CG_OK) {
        /* The reading proper opens it the same way and says why. */
        if (!cg_rc_temporary(rc))
            rc = CG_ENOTFOUND;
        goto done;
    }
    while ((rc = next_group(r, &no, &open, &line, err)) == CG_OK) {
        const char *k = cg_buf_str(&no);
        uint64_t h;
        struct apart *a;

        if (*k == '\0')
            continue;
        h = cg_hash_order_no(k);
        if (apart == NULL) {
            rc = cg_hset_add(all, h);
            if (rc == CG_EEXIST)
                rc = cg_hset_add(twice, h);
        } else if (cg_hset_has(twice, h)) {
            a = cg_map_get(apart, k);
            if (a == NULL && (a = calloc(1, sizeof(*a))) != NULL) {
                a->first = line;
                rc = cg_map_put(apart, k, a, false);
                if (rc != CG_OK)
                    free(a);
            } else if (a != NULL && !a->met_again) {
                a->again = line;
                a->met_again = true;
            }
            if (a == NULL)
                rc = CG_ENOMEM;
        }
        if (rc == CG_ENOMEM) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "%s: out of memory", name);
            break;
        }
    }
done:
    cg_buf_free(&no);
    cg_reader_close(r);
    if (rc == CG_ENOTFOUND || rc == CG_EEXIST)
        rc = CG_OK;
    if (rc == CG_OK && lseek(fd, pos, SEEK_SET) != pos)
        rc = CG_ERR_SET(err, CG_EIO, "%s: seek: %s", name, strerror(errno));
    return rc;
}

int cg_reader_open_whole(struct cg_map_ctx *m, int fd, const char *name, struct cg_reader **out,
                         struct cg_err *err)
{
    struct cg_hset all, twice;
    struct cg_map apart;
    struct cg_reader *r = NULL;
    off_t pos = lseek(fd, 0, SEEK_CUR);
    int rc;

    cg_hset_init(&all);
    cg_hset_init(&twice);
    cg_map_init(&apart);
    if (pos < 0) {
        rc = CG_ERR_SET(err, CG_EIO, "%s: seek: %s", name, strerror(errno));
        close(fd);
        goto done;
    }
    /* 8 bytes a number; the numbers in full only for those met twice, or sharing a hash. */
    rc = first_pass(m, fd, pos, name, &all, &twice, NULL, err);
    cg_hset_clear(&all);
    if (rc == CG_OK && twice.n > 0)
        rc = first_pass(m, fd, pos, name, NULL, &twice, &apart, err);
    cg_hset_clear(&twice);
    if (rc != CG_OK) {
        close(fd);
        goto done;
    }
    rc = cg_reader_open_fd(m, fd, name, &r, err);
    if (rc != CG_OK)
        goto done;
    r->whole = true;
    r->apart = apart;
    cg_map_init(&apart);
    *out = r;
done:
    cg_map_clear(&apart, free);
    return rc;
}

int cg_reader_next(struct cg_reader *r, struct cg_order **out, struct cg_err *err)
{
    int rc;

    r->last_again = false;
    rc = r->jsonl ? jsonl_next(r, out, err) : csv_next(r, out, err);
    if (rc != CG_EREJECT)
        r->last_again = false;
    if (rc == CG_OK)
        r->orders++;
    else if (rc == CG_EREJECT && !r->last_again)
        r->rejected++;
    return rc;
}

bool cg_reader_again(const struct cg_reader *r)
{
    return r->last_again;
}
