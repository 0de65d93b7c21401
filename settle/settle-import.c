/*
 * settle-import.c - statements to receipts: recognising a file, the CSV layouts, and the one
 * transaction that records a statement.
 *
 * Three layouts besides the bank statements (camt in settle-camt.c, MT940 in settle-mt940.c):
 * cebgate's collections CSV (one receipt a row, docs/collections-format.md) and a payment
 * institution's payout report read through a payout profile (an INI file naming the report's
 * columns; rows with the same payout id are one receipt, each row one order's gross, fee and net).
 * CSV is read with libcsv. A statement is recorded all or nothing: any bad entry is reported and
 * nothing is written; a file seen before (same SHA-256) changes nothing; an entry already recorded
 * from another file (the same bank reference in a camt.054 and the day's camt.053) is skipped.
 * Database failures roll the whole statement back and come back as CG_EDB / CG_EBUSY.
 */
#include "config.h"

#include <csv.h>
#include <errno.h>
#include <ini.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/csvread.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/money.h"
#include "core/text.h"
#include "settle/settle-int.h"
#include "store/store.h"

#define CSV_MAX_FIELD (64u * 1024u)

/* ------------------------------------------------------------------ payout profile */

static const char *const po_keys[FX_PO_NCOLS] = {
    "payout_id", "date", "currency", "order_no", "pay_no", "gross", "fee", "net",
};

static int po_handler(void *user, const char *section, const char *name, const char *value)
{
    struct cg_settle *s = user;
    int i;

    if (strcmp(section, "payout") != 0)
        return 1;
    for (i = 0; i < FX_PO_NCOLS; i++) {
        if (strcmp(name, po_keys[i]) == 0) {
            free(s->po_col[i]);
            s->po_col[i] = cg_strdup(value);
            return s->po_col[i] != NULL;
        }
    }
    return strcmp(name, "description") == 0; /* any other key is a mistake in the profile */
}

/* A value with a '/' or ending in ".ini" is a file, as [seller] profile is (mapping-seller.c). */
static bool po_is_file(const char *v)
{
    size_t n = strlen(v);

    return strchr(v, '/') != NULL || (n > 4 && strcmp(v + n - 4, ".ini") == 0);
}

int fx_payout_profile_load(struct cg_settle *s, struct cg_err *err)
{
    const char *name = fx_conf(s, NULL, "payout_profile");
    char *dir = NULL, *path = NULL, *file = NULL;
    int line;
    int rc = CG_OK;

    if (s->po_loaded)
        return CG_OK;
    if (name == NULL || name[0] == '\0')
        return CG_OK;
    if (po_is_file(name)) {
        /* relative to the configuration file's folder, as every other path */
        path = cg_conf_get_path(s->conf, "settle", "payout_profile");
    } else if (!cg_fs_name_ok(name) || strlen(name) > 100) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "[settle] payout_profile: '%s': not a profile name", name);
        goto done;
    } else {
        size_t n = strlen(name) + 5;
        dir = cg_conf_data_dir(s->conf);
        file = malloc(n);
        if (file != NULL)
            snprintf(file, n, "%s.ini", name);
        char *pd = dir != NULL ? cg_fs_join(dir, "profiles") : NULL;
        path = pd != NULL && file != NULL ? cg_fs_join(pd, file) : NULL;
        free(pd);
    }
    if (path == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    errno = 0;
    line = ini_parse(path, po_handler, s);
    if (line < 0) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "[settle] payout_profile: %s: %s", path,
                        errno != 0 ? strerror(errno) : "cannot read");
        goto done;
    }
    if (line > 0) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "[settle] payout_profile: %s:%d: unknown key", path, line);
        goto done;
    }
    if (s->po_col[FX_PO_ID] == NULL || s->po_col[FX_PO_DATE] == NULL ||
        s->po_col[FX_PO_CURRENCY] == NULL || s->po_col[FX_PO_ORDER] == NULL ||
        s->po_col[FX_PO_GROSS] == NULL) {
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "%s: a payout profile names at least payout_id, date, currency, "
                        "order_no and gross",
                        path);
        goto done;
    }
    s->po_loaded = 1;
done:
    free(dir);
    free(file);
    free(path);
    return rc;
}

/* ------------------------------------------------------------------ CSV rows */

struct csv_rows {
    char ***rows; /* each a NULL-terminated array of fields */
    size_t n, cap;
    char **cur;
    size_t ncur, capcur;
    int nomem;
};

static void on_field(void *p, size_t n, void *data)
{
    struct csv_rows *r = data;
    char *f;

    if (r->nomem)
        return;
    if (r->ncur + 2 > r->capcur) {
        size_t cap = r->capcur ? r->capcur * 2 : 16;
        char **c = realloc(r->cur, cap * sizeof(*c));
        if (c == NULL) {
            r->nomem = 1;
            return;
        }
        r->cur = c;
        r->capcur = cap;
    }
    f = strndup(p != NULL ? p : "", n);
    if (f == NULL) {
        r->nomem = 1;
        return;
    }
    r->cur[r->ncur++] = f;
    r->cur[r->ncur] = NULL;
}

static void on_record(int ch, void *data)
{
    struct csv_rows *r = data;

    (void)ch;
    if (r->nomem || r->cur == NULL)
        return;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        char ***rows = realloc(r->rows, cap * sizeof(*rows));
        if (rows == NULL) {
            r->nomem = 1;
            return;
        }
        r->rows = rows;
        r->cap = cap;
    }
    r->rows[r->n++] = r->cur;
    r->cur = NULL;
    r->ncur = r->capcur = 0;
}

static void rows_free(struct csv_rows *r)
{
    size_t i, k;

    for (i = 0; i < r->n; i++) {
        for (k = 0; r->rows[i][k] != NULL; k++)
            free(r->rows[i][k]);
        free(r->rows[i]);
    }
    if (r->cur != NULL) {
        for (k = 0; k < r->ncur; k++)
            free(r->cur[k]);
        free(r->cur);
    }
    free(r->rows);
}

static int rows_read(const char *data, size_t len, struct csv_rows *r, struct cg_err *err)
{
    struct csv_parser p;
    int rc = CG_OK;

    memset(r, 0, sizeof(*r));
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    if (csv_init(&p, CSV_STRICT | CSV_APPEND_NULL | CSV_EMPTY_IS_NULL) != 0)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    csv_set_blk_size(&p, 4096);
    if (csv_parse(&p, data, len, on_field, on_record, r) != len ||
        csv_fini(&p, on_field, on_record, r) != 0)
        rc = CG_ERR_SET(err, CG_EPARSE, "CSV: %s", csv_strerror(csv_error(&p)));
    if (r->nomem)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    csv_free(&p);
    return rc;
}

/*
 * Every cell of the rows must be text once decoded (rows_text read from a UTF-8 or GB18030 file
 * by cg_src_decode): one that is not is reported with its line, its column (header name) and the
 * entry of the row (id_col, NULL: none), as a bad entry of the file.
 */
static void rows_text(struct fx_parsed *p, const struct csv_rows *r, const char *id_col)
{
    size_t i, k, hn = 0, idc = (size_t)-1;

    while (r->n > 0 && r->rows[0][hn] != NULL) {
        if (id_col != NULL && strcmp(r->rows[0][hn], id_col) == 0)
            idc = hn;
        hn++;
    }
    for (i = 0; i < r->n; i++) {
        const char *id = NULL;

        for (k = 0; r->rows[i][k] != NULL; k++) {
            if (i > 0 && k == idc)
                id = r->rows[i][k];
        }
        for (k = 0; r->rows[i][k] != NULL; k++) {
            const char *v = r->rows[i][k];
            size_t n = strlen(v), pos = 0;
            unsigned byte = 0;

            if (cg_text_invalid(v, n, &byte, &pos) < n)
                fx_problem(p, (long)i + 1, id, i > 0 && k < hn ? r->rows[0][k] : NULL, FX_NOT_TEXT,
                           byte, pos);
        }
    }
}

static int col_index(char **header, const char *name)
{
    int i;

    if (name == NULL)
        return -1;
    for (i = 0; header[i] != NULL; i++) {
        if (strcmp(header[i], name) == 0)
            return i;
    }
    return -1;
}

static const char *cell(char **row, int i)
{
    int k;

    if (i < 0)
        return NULL;
    for (k = 0; k < i; k++) {
        if (row[k] == NULL)
            return NULL;
    }
    return row[i] != NULL && row[i][0] != '\0' ? row[i] : NULL;
}

/* "2025-03-20", "2025-03-20 08:15:00" or "2025-03-20T08:15:00Z": the day. */
static int csv_day(const char *s, char out[CG_DAY_LEN])
{
    char d[CG_DAY_LEN];
    long x;

    if (s == NULL || strlen(s) < 10 || (s[10] != '\0' && s[10] != ' ' && s[10] != 'T'))
        return CG_EINVAL;
    memcpy(d, s, 10);
    d[10] = '\0';
    if (fx_day_parse(d, &x) != CG_OK)
        return CG_EINVAL;
    cg_strlcpy(out, d, CG_DAY_LEN);
    return CG_OK;
}

/* An amount cell; a fee may be written negative ("-9.00"), as payout reports do. */
static int csv_amount(struct fx_parsed *p, long line, const char *ref, const char *field,
                      const char *v, const char *cur, int allow_neg, int64_t *out)
{
    struct cg_err e;

    if (v == NULL) {
        fx_problem(p, line, ref, field, "missing");
        return CG_EREJECT;
    }
    if (allow_neg && v[0] == '-')
        v++;
    if (fx_amount_parse(v, cur, out, &e) != CG_OK) {
        fx_problem(p, line, ref, field, "%s", e.msg);
        return CG_EREJECT;
    }
    if (*out < 0 && p->kind == CG_STMT_CSV && strcmp(field, "amount") == 0) {
        /* the collections CSV: money out is a row with direction out */
        fx_problem(p, line, ref, field,
                   "negative amount %s: the amount is written positive, and a refund or "
                   "chargeback (money out) is a row with direction out",
                   v);
        return CG_EREJECT;
    }
    if (*out < 0) {
        fx_problem(p, line, ref, field, "negative amount %s", v);
        return CG_EREJECT;
    }
    return CG_OK;
}

static int known_currency(struct fx_parsed *p, long line, const char *ref, const char *cur)
{
    int exp;

    if (cur == NULL || cg_money_exponent(cur, &exp) != CG_OK) {
        char why[128];
        fx_problem(p, line, ref, "currency", "%s", fx_currency_why(cur, why, sizeof(why)));
        return 0;
    }
    return 1;
}

/* Append a reference for matching, space-separated. */
static void add_token(struct cg_buf *b, const char *s)
{
    if (s == NULL)
        return;
    if (b->len > 0)
        cg_buf_addc(b, ' ');
    cg_buf_adds(b, s);
}

static struct fx_entry *find_entry(struct fx_parsed *p, const char *key)
{
    return fx_parsed_find(p, key, NULL, NULL);
}

static int own_csv(struct fx_parsed *p, struct csv_rows *r)
{
    char **h = r->rows[0];
    int c_id = col_index(h, "receipt_id"), c_date = col_index(h, "date");
    int c_val = col_index(h, "value_date"), c_cur = col_index(h, "currency");
    int c_amt = col_index(h, "amount"), c_fee = col_index(h, "fee");
    int c_ord = col_index(h, "order_no"), c_pay = col_index(h, "pay_no");
    int c_ref = col_index(h, "reference"), c_rem = col_index(h, "remitter");
    int c_dir = col_index(h, "direction");
    size_t i;
    int k;
    static const char *const known[] = {"receipt_id", "date",     "value_date", "currency",
                                        "amount",     "fee",      "order_no",   "pay_no",
                                        "reference",  "remitter", "direction",  NULL};

    for (k = 0; h[k] != NULL; k++) {
        int j, ok = 0;
        for (j = 0; known[j] != NULL; j++)
            ok |= strcmp(h[k], known[j]) == 0;
        if (!ok)
            fx_problem(p, 1, NULL, h[k], "not a column of the collections CSV");
    }
    if (c_id < 0 || c_date < 0 || c_cur < 0 || c_amt < 0) {
        fx_problem(p, 1, NULL, NULL, "the header needs receipt_id, date, currency and amount");
        return CG_OK;
    }
    for (i = 1; i < r->n; i++) {
        char **row = r->rows[i];
        long line = (long)i + 1;
        const char *id = cell(row, c_id), *cur = cell(row, c_cur), *dir = cell(row, c_dir);
        struct fx_entry *e, *dup;
        struct cg_buf refs;
        if (id == NULL) {
            fx_problem(p, line, NULL, "receipt_id", "missing");
            continue;
        }
        if ((dup = find_entry(p, id)) != NULL) {
            fx_problem(p, line, id, "receipt_id", "the same receipt id appears again (line %ld)",
                       dup->line);
            continue;
        }
        if ((e = fx_parsed_add(p)) == NULL || (e->key = cg_strdup(id)) == NULL)
            return CG_ENOMEM;
        e->line = line;
        if (!known_currency(p, line, id, cur))
            continue;
        cg_strlcpy(e->currency, cur, sizeof(e->currency));
        if (csv_day(cell(row, c_date), e->booked_on) != CG_OK)
            fx_problem(p, line, id, "date", "'%s' is not YYYY-MM-DD",
                       cell(row, c_date) ? cell(row, c_date) : "");
        if (cell(row, c_val) == NULL)
            cg_strlcpy(e->value_on, e->booked_on, sizeof(e->value_on));
        else if (csv_day(cell(row, c_val), e->value_on) != CG_OK)
            fx_problem(p, line, id, "value_date", "'%s' is not YYYY-MM-DD", cell(row, c_val));
        if (csv_amount(p, line, id, "amount", cell(row, c_amt), cur, 0, &e->gross) != CG_OK)
            continue;
        if (cell(row, c_fee) != NULL &&
            csv_amount(p, line, id, "fee", cell(row, c_fee), cur, 1, &e->fee) != CG_OK)
            continue;
        if (e->gross == 0 || e->fee > e->gross) {
            fx_problem(p, line, id, "amount", "must be positive and at least the fee");
            continue;
        }
        e->net = e->gross - e->fee;
        if (dir != NULL && strcmp(dir, "in") != 0 && strcmp(dir, "out") != 0)
            fx_problem(p, line, id, "direction", "'%s' is neither in nor out", dir);
        e->out = dir != NULL && strcmp(dir, "out") == 0;
        cg_buf_init(&refs, CSV_MAX_FIELD * 4);
        add_token(&refs, cell(row, c_ord));
        add_token(&refs, cell(row, c_pay));
        add_token(&refs, cell(row, c_ref));
        e->reference = cg_buf_take(&refs);
        cg_buf_free(&refs);
        if (cell(row, c_rem) != NULL && (e->remitter = cg_strdup(cell(row, c_rem))) == NULL)
            return CG_ENOMEM;
    }
    return CG_OK;
}

/*
 * A payout's refund lines (a negative gross: a refund to the buyer, a chargeback) become
 * outgoing entries, as a collections CSV row with direction out: the net refunded, the fee the
 * platform gives back, the order and payment number as references. The key of one is the payout
 * id, "refund" and the order ("PO-2 refund R1", the second refund of R1 in the payout "PO-2
 * refund R1 #2"), so a payout downloaded again with a refund more records only that one. A payout
 * of refunds only has no incoming entry.
 *
 * Its adjustment lines (a row naming no order: an adjustment, a reserve, a chargeback fee; the
 * signed net in net) become entries of their own that belong to no order, keyed "PO-3
 * adjustment", the second in the payout "PO-3 adjustment #2": a negative one is money out that
 * the platform kept, recorded as a charge (never matched, counted with the fees), a positive one
 * money in that automatic matching never gives to an order (fx_payout_adjustment).
 */
static int payout_refunds(struct fx_parsed *p)
{
    size_t n0 = p->n, i, k, to;

    for (i = 0; i < n0; i++) {
        for (k = 0; k < p->e[i].nrefunds; k++) {
            const struct fx_line *l = &p->e[i].refunds[k]; /* not moved by fx_parsed_add */
            struct fx_entry *r;
            struct cg_buf b;
            bool adjust = l->order_ref == NULL;
            if (adjust && l->net == 0)
                continue; /* moves nothing */
            if ((r = fx_parsed_add(p)) == NULL)
                return CG_ENOMEM;
            cg_buf_init(&b, CSV_MAX_FIELD * 4);
            if (adjust)
                cg_buf_addf(&b, "%s adjustment", p->e[i].key);
            else
                cg_buf_addf(&b, "%s refund %s", p->e[i].key, l->order_ref);
            if (l->nth > 1)
                cg_buf_addf(&b, " #%zu", l->nth);
            r->key = cg_buf_take(&b);
            if (adjust)
                cg_buf_addf(&b, "payout %s", r->key != NULL ? r->key : "");
            add_token(&b, l->order_ref);
            add_token(&b, l->pay_ref);
            r->reference = cg_buf_take(&b);
            cg_buf_free(&b);
            if (r->key == NULL || r->reference == NULL)
                return CG_ENOMEM;
            r->line = l->at;
            r->out = !adjust || l->net < 0;
            r->charge = adjust && r->out;
            cg_strlcpy(r->currency, p->e[i].currency, sizeof(r->currency));
            cg_strlcpy(r->booked_on, p->e[i].booked_on, sizeof(r->booked_on));
            cg_strlcpy(r->value_on, p->e[i].value_on, sizeof(r->value_on));
            r->gross = adjust ? (l->net < 0 ? -l->net : l->net) : l->gross;
            r->fee = adjust ? 0 : l->fee;
            r->net = adjust ? r->gross : l->net;
        }
    }
    for (i = to = 0; i < p->n; i++) {
        struct fx_entry *e = &p->e[i];
        if (i < n0 && e->nlines == 0 && e->nrefunds > 0) {
            fx_entry_free(e);
            continue;
        }
        p->e[to++] = *e;
    }
    p->n = to;
    /* The entries moved: the look-up by key reads them again. */
    fx_parsed_keys_changed(p);
    return CG_OK;
}

struct po_row {
    const char *id, *ord;
    size_t row;
};

/*
 * The payout entry of id (currency cur, day day) in *e, made at row line when there is none yet;
 * NULL in *e when the payout was given another currency or day (a problem, reported).
 */
static int payout_entry(struct cg_settle *s, struct fx_parsed *p, const char *id, const char *cur,
                        const char *day, long line, struct fx_entry **e)
{
    *e = find_entry(p, id);
    if (*e == NULL) {
        if ((*e = fx_parsed_add(p)) == NULL || ((*e)->key = cg_strdup(id)) == NULL)
            return CG_ENOMEM;
        (*e)->line = line;
        cg_strlcpy((*e)->currency, cur, sizeof((*e)->currency));
        cg_strlcpy((*e)->booked_on, day, sizeof((*e)->booked_on));
        cg_strlcpy((*e)->value_on, day, sizeof((*e)->value_on));
    } else if (strcmp((*e)->currency, cur) != 0 || strcmp((*e)->booked_on, day) != 0) {
        fx_problem(p, line, id, s->po_col[FX_PO_CURRENCY],
                   "payout %s has another currency or date on line %ld", id, (*e)->line);
        *e = NULL;
    }
    return CG_OK;
}

/*
 * Row line of payout id naming no order, its currency, day, gross (signed) and fee checked: an
 * adjustment of the payout (a reserve, a chargeback fee, a correction). Its net (ncell, when the
 * profile has the column) must be its gross less its fee; it is kept among the payout's refund
 * lines without an order, with the signed net, and becomes an entry of its own
 * (payout_refunds). Only memory fails; a bad amount is a problem of the file.
 */
static int payout_adjustment(struct cg_settle *s, struct fx_parsed *p, const char *id,
                             const char *cur, const char *day, long line, int64_t gross,
                             int64_t fee, const char *ncell, const char *gcell, const char *fcell)
{
    int64_t net = gross - fee, given = 0;
    struct fx_entry *e;
    struct fx_line *l;
    size_t k, nth = 1;

    if (ncell != NULL) {
        if (csv_amount(p, line, id, s->po_col[FX_PO_NET], ncell, cur, 1, &given) != CG_OK)
            return CG_OK;
        if ((ncell[0] == '-' ? -given : given) != net) {
            fx_problem(p, line, id, s->po_col[FX_PO_NET],
                       "%s is not gross %s minus fee %s (a row naming no order is an adjustment "
                       "of the payout)",
                       ncell, gcell, fcell != NULL ? fcell : "0");
            return CG_OK;
        }
    }
    if (payout_entry(s, p, id, cur, day, line, &e) != CG_OK)
        return CG_ENOMEM;
    if (e == NULL)
        return CG_OK;
    for (k = 0; k < e->nrefunds; k++)
        nth += e->refunds[k].order_ref == NULL;
    l = realloc(e->refunds, (e->nrefunds + 1) * sizeof(*l));
    if (l == NULL)
        return CG_ENOMEM;
    e->refunds = l;
    l = &e->refunds[e->nrefunds++];
    memset(l, 0, sizeof(*l));
    l->gross = gross;
    l->fee = fee;
    l->net = net;
    l->at = line;
    l->nth = nth;
    return CG_OK;
}

static int cmp_po_row(const void *a, const void *b)
{
    const struct po_row *x = a, *y = b;
    int c = strcmp(x->id, y->id);

    if (c == 0)
        c = strcmp(x->ord, y->ord);
    return c != 0 ? c : (x->row > y->row) - (x->row < y->row);
}

/*
 * The rows of a payout report by payout and order: (*grp)[i] is the number of row i's pair of
 * payout id (column c_id) and order (c_ord), the same for the rows of the same pair, SIZE_MAX
 * for a row without either; *ngrp is how many pairs. Found by sorting the rows, not by comparing
 * each row with every other. *grp belongs to the caller.
 */
static int po_groups(const struct csv_rows *r, int c_id, int c_ord, size_t **grp, size_t *ngrp)
{
    struct po_row *x = malloc((r->n > 0 ? r->n : 1) * sizeof(*x));
    size_t *g = malloc((r->n > 0 ? r->n : 1) * sizeof(*g));
    size_t i, n = 0, ng = 0;

    if (x == NULL || g == NULL) {
        free(x);
        free(g);
        return CG_ENOMEM;
    }
    for (i = 0; i < r->n; i++) {
        g[i] = SIZE_MAX;
        if (i > 0 && (x[n].id = cell(r->rows[i], c_id)) != NULL &&
            (x[n].ord = cell(r->rows[i], c_ord)) != NULL)
            x[n++].row = i;
    }
    qsort(x, n, sizeof(*x), cmp_po_row);
    for (i = 0; i < n; i++) {
        if (i > 0 && strcmp(x[i].id, x[i - 1].id) == 0 && strcmp(x[i].ord, x[i - 1].ord) == 0)
            g[x[i].row] = g[x[i - 1].row];
        else
            g[x[i].row] = ng++;
    }
    free(x);
    *grp = g;
    *ngrp = ng;
    return CG_OK;
}

static int payout_csv(struct cg_settle *s, struct fx_parsed *p, struct csv_rows *r)
{
    char **h = r->rows[0];
    int c[FX_PO_NCOLS];
    size_t *grp = NULL, ngrp = 0;
    bool *sold = NULL;      /* per pair of payout and order: a sale line of it taken */
    size_t *refunds = NULL; /* per pair: how many refund lines of it taken */
    size_t i;
    int k;
    int rc = CG_OK;

    for (k = 0; k < FX_PO_NCOLS; k++) {
        c[k] = col_index(h, s->po_col[k]);
        if (s->po_col[k] != NULL && c[k] < 0 && k != FX_PO_PAYNO)
            fx_problem(p, 1, NULL, s->po_col[k], "column missing from the header");
    }
    if (p->problems > 0)
        return CG_OK;
    /* An order given twice in a payout, and the refunds of an order in a payout before a refund
       line, are found among the rows sorted by payout and order. */
    if (po_groups(r, c[FX_PO_ID], c[FX_PO_ORDER], &grp, &ngrp) != CG_OK ||
        (sold = calloc(ngrp > 0 ? ngrp : 1, sizeof(*sold))) == NULL ||
        (refunds = calloc(ngrp > 0 ? ngrp : 1, sizeof(*refunds))) == NULL) {
        rc = CG_ENOMEM;
        goto done;
    }
    for (i = 1; i < r->n; i++) {
        char **row = r->rows[i];
        long line = (long)i + 1;
        const char *id = cell(row, c[FX_PO_ID]), *cur = cell(row, c[FX_PO_CURRENCY]);
        const char *ord = cell(row, c[FX_PO_ORDER]);
        char day[CG_DAY_LEN];
        const char *gcell;
        int64_t gross = 0, fee = 0, net = 0;
        int neg, chargeback = 0;
        size_t nth = 0;
        struct fx_entry *e;
        struct fx_line *l;
        if (id == NULL) {
            fx_problem(p, line, NULL, s->po_col[FX_PO_ID], "missing");
            continue;
        }
        if (!known_currency(p, line, id, cur))
            continue;
        if (csv_day(cell(row, c[FX_PO_DATE]), day) != CG_OK) {
            fx_problem(p, line, id, s->po_col[FX_PO_DATE], "'%s' is not YYYY-MM-DD",
                       cell(row, c[FX_PO_DATE]) ? cell(row, c[FX_PO_DATE]) : "");
            continue;
        }
        gcell = cell(row, c[FX_PO_GROSS]);
        neg = gcell != NULL && gcell[0] == '-';
        if (csv_amount(p, line, id, s->po_col[FX_PO_GROSS], gcell, cur, 1, &gross) != CG_OK)
            continue;
        neg = neg && gross > 0;
        if (c[FX_PO_FEE] >= 0 && cell(row, c[FX_PO_FEE]) != NULL &&
            csv_amount(p, line, id, s->po_col[FX_PO_FEE], cell(row, c[FX_PO_FEE]), cur, 1, &fee) !=
                CG_OK)
            continue;
        if (ord == NULL) {
            /* An adjustment: the payout's, no order's. */
            if (payout_adjustment(s, p, id, cur, day, line, neg ? -gross : gross, fee,
                                  c[FX_PO_NET] >= 0 ? cell(row, c[FX_PO_NET]) : NULL, gcell,
                                  cell(row, c[FX_PO_FEE])) != CG_OK) {
                rc = CG_ENOMEM;
                goto done;
            }
            continue;
        }
        /*
         * A chargeback: the gross goes back to the buyer and the platform charges its fee on top,
         * so the net (all out) is the gross plus the fee (Shopify: -63.00, 15.00, -78.00). The
         * gross is the order's refund; the fee is money the platform kept, an adjustment of the
         * payout that belongs to no order, as a row naming none is.
         */
        if (neg && fee > 0 && c[FX_PO_NET] >= 0) {
            const char *ncell = cell(row, c[FX_PO_NET]);
            struct cg_err qe;
            int64_t v = 0;

            if (ncell != NULL && ncell[0] == '-' &&
                fx_amount_parse(ncell + 1, cur, &v, &qe) == CG_OK && v == gross + fee) {
                if (payout_adjustment(s, p, id, cur, day, line, -fee, 0, NULL, gcell, NULL) !=
                    CG_OK) {
                    rc = CG_ENOMEM;
                    goto done;
                }
                fee = 0;
                chargeback = 1;
            }
        }
        /* A refund line: the fee is what the platform gives back, so less goes out. */
        if (neg && fee > gross) {
            fx_problem(p, line, id, s->po_col[FX_PO_FEE], "fee larger than the refund");
            continue;
        }
        net = gross - fee;
        if (c[FX_PO_NET] >= 0 && !chargeback) {
            const char *ncell = cell(row, c[FX_PO_NET]);
            int64_t given = 0;
            if (csv_amount(p, line, id, s->po_col[FX_PO_NET], ncell, cur, neg, &given) != CG_OK)
                continue;
            if (given != net || (neg && net != 0 && ncell[0] != '-')) {
                if (neg)
                    fx_problem(p, line, id, s->po_col[FX_PO_NET],
                               "%s is not gross %s less the fee %s given back", ncell, gcell,
                               cell(row, c[FX_PO_FEE]) ? cell(row, c[FX_PO_FEE]) : "0");
                else
                    fx_problem(p, line, id, s->po_col[FX_PO_NET], "%s is not gross %s minus fee %s",
                               ncell, gcell,
                               cell(row, c[FX_PO_FEE]) ? cell(row, c[FX_PO_FEE]) : "0");
                continue;
            }
        }
        if (net < 0) {
            fx_problem(p, line, id, s->po_col[FX_PO_FEE], "fee larger than gross");
            continue;
        }
        if (payout_entry(s, p, id, cur, day, line, &e) != CG_OK) {
            rc = CG_ENOMEM;
            goto done;
        }
        if (e == NULL)
            continue;
        if (neg) {
            /* Refunds of one order in one payout are several entries: partial refunds. */
            l = realloc(e->refunds, (e->nrefunds + 1) * sizeof(*l));
            if (l == NULL) {
                rc = CG_ENOMEM;
                goto done;
            }
            e->refunds = l;
            l = &e->refunds[e->nrefunds++];
            nth = ++refunds[grp[i]];
        } else {
            /* a sale line of this order taken before in this payout */
            if (sold[grp[i]]) {
                fx_problem(p, line, id, s->po_col[FX_PO_ORDER],
                           "order %s appears twice in payout %s", ord, id);
                continue;
            }
            l = realloc(e->lines, (e->nlines + 1) * sizeof(*l));
            if (l == NULL) {
                rc = CG_ENOMEM;
                goto done;
            }
            e->lines = l;
            l = &e->lines[e->nlines++];
            sold[grp[i]] = true;
        }
        memset(l, 0, sizeof(*l));
        l->order_ref = cg_strdup(ord);
        l->pay_ref = cell(row, c[FX_PO_PAYNO]) ? cg_strdup(cell(row, c[FX_PO_PAYNO])) : NULL;
        if (l->order_ref == NULL || (cell(row, c[FX_PO_PAYNO]) && l->pay_ref == NULL)) {
            rc = CG_ENOMEM;
            goto done;
        }
        l->gross = gross;
        l->fee = fee;
        l->net = net;
        l->at = line;
        l->nth = nth;
        if (!neg) {
            e->gross += gross;
            e->fee += fee;
            e->net += net;
        }
    }
    rc = payout_refunds(p);
done:
    free(grp);
    free(sold);
    free(refunds);
    return rc;
}

/* ------------------------------------------------------------------ recognising a file */

static int header_has(const char *data, size_t len, const char *name)
{
    const char *nl = memchr(data, '\n', len);
    size_t n = nl != NULL ? (size_t)(nl - data) : len;
    size_t k = strlen(name);
    size_t i;

    if (name == NULL || k == 0)
        return 0;
    for (i = 0; i + k <= n; i++) {
        if (memcmp(data + i, name, k) == 0 && (i == 0 || strchr(",\"\xBF", data[i - 1])) &&
            (i + k == n || strchr(",\"\r", data[i + k])))
            return 1;
    }
    return 0;
}

static int header_kind(const struct cg_settle *s, const char *h, size_t n)
{
    if (header_has(h, n, "receipt_id") && header_has(h, n, "amount"))
        return CG_STMT_CSV;
    if (s != NULL && s->po_col[FX_PO_ID] != NULL && header_has(h, n, s->po_col[FX_PO_ID]) &&
        header_has(h, n, s->po_col[FX_PO_GROSS]))
        return CG_STMT_PAYOUT;
    return CG_STMT_NONE;
}

/*
 * The kind of a CSV from its header row, read as the import reads the file (cg_src_decode: a
 * BOM dropped, UTF-8 or GB18030), so that a header in Chinese (a payout profile's 结算单号) is
 * recognised in a GBK file as in a UTF-8 one. Of the first look bytes only whole lines are
 * decoded, so a character cut at the end of the window cannot make UTF-8 look like GB18030.
 * Bytes that do not decode (UTF-16, no memory) are looked at as they are, from start (past a
 * BOM and blank space).
 */
static int csv_kind(const struct cg_settle *s, const char *data, size_t len, size_t look,
                    size_t start)
{
    struct cg_err e;
    char *text = NULL;
    size_t n = look, tlen = 0, i = 0;
    int kind;

    while (n < len && n > 0 && data[n - 1] != '\n')
        n--;
    if (n == 0)
        n = look;
    if (cg_src_decode(data, n, "", CG_ENC_AUTO, &text, &tlen, &e) != CG_OK)
        return header_kind(s, data + start, look - start);
    while (i < tlen && strchr(" \t\r\n", text[i]) != NULL && text[i] != '\0')
        i++;
    kind = header_kind(s, text + i, tlen - i);
    free(text);
    return kind;
}

int cg_settle_sniff(const struct cg_settle *s, const char *data, size_t len)
{
    size_t i = 0;
    size_t look = len < 4096 ? len : 4096;

    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < look && strchr(" \t\r\n", data[i]) != NULL && data[i] != '\0')
        i++;
    if (i < look && data[i] == '<') {
        /* Any ISO 20022 document is taken as a statement, so a wrong message type is reported. */
        if (memmem(data, look, "urn:iso:std:iso:20022:tech:xsd:", 31) == NULL)
            return CG_STMT_NONE;
        return memmem(data, look, "xsd:camt.054", 12) != NULL ? CG_STMT_CAMT054 : CG_STMT_CAMT053;
    }
    if (look - i >= 4 && memcmp(data + i, ":20:", 4) == 0)
        return CG_STMT_MT940;
    if (look - i >= 3 && memcmp(data + i, "{1:", 3) == 0) {
        /* The SWIFT envelope: blocks 1 to 3, then block 4 whose first field is :20:. */
        const char *b4 = memmem(data + i, look - i, "{4:", 3);
        size_t k = b4 != NULL ? (size_t)(b4 + 3 - data) : look;
        while (k < look && (data[k] == '\r' || data[k] == '\n'))
            k++;
        if (look - k >= 4 && memcmp(data + k, ":20:", 4) == 0)
            return CG_STMT_MT940;
    }
    return csv_kind(s, data, len, look, i);
}

/* ------------------------------------------------------------------ recording */

static const char *kind_name(int kind)
{
    switch (kind) {
    case CG_STMT_CSV: return "csv";
    case CG_STMT_CAMT053: return "camt.053";
    case CG_STMT_CAMT054: return "camt.054";
    case CG_STMT_PAYOUT: return "payout";
    case CG_STMT_MT940: return "mt940";
    default: return "?";
    }
}

/* A statement with bad entries is imported not at all. */
static int refuse(const struct fx_parsed *p, struct cg_err *err)
{
    return CG_ERR_SET(err, CG_EREJECT, "%s: %ld bad entr%s; nothing imported", p->name, p->problems,
                      p->problems == 1 ? "y" : "ies");
}

struct record_ctx {
    struct cg_settle *s;
    struct fx_parsed *p;
    const char *seller;
    const char *sha;
    struct cg_settle_import *res;
};

static int take_known(void *ctx, const struct cg_fx_receipt *r)
{
    struct cg_fx_receipt *k = ctx;

    k->id = r->id;
    k->out = r->out;
    cg_strlcpy(k->currency, r->currency, sizeof(k->currency));
    k->gross = r->gross;
    k->fee = r->fee;
    cg_strlcpy(k->value_on, r->value_on, sizeof(k->value_on));
    return 0;
}

/* Receipt k and entry e book the same: direction, currency and amount booked (net). */
static bool booked_same(const struct cg_fx_receipt *k, const struct fx_entry *e)
{
    return k->out == e->out && strcmp(k->currency, e->currency) == 0 && k->gross - k->fee == e->net;
}

/* "in USD, gross 75.50, fee 2.27" */
static void figures(char *buf, size_t size, int out, const char *cur, int64_t gross, int64_t fee)
{
    char g[40], f[40];

    fx_amount_format(gross, cur, g, sizeof(g));
    fx_amount_format(fee, cur, f, sizeof(f));
    snprintf(buf, size, "%s %s, gross %s, fee %s", out ? "out" : "in", cur, g, f);
}

/*
 * Entry e is recorded as receipt id: it is known when the figures are the same (for a bank
 * entry, the amount booked and its direction and currency). Other figures
 * (a payout downloaded again with a line more, a corrected amount) are a problem of the file:
 * a receipt never changes, and skipping it would drop the difference unseen.
 */
static int check_known(struct record_ctx *c, const struct fx_entry *e, long long id,
                       struct cg_err *err)
{
    struct cg_fx_receipt k;
    char was[120], now[120];
    int camt = c->p->kind == CG_STMT_CAMT053 || c->p->kind == CG_STMT_CAMT054 ||
               c->p->kind == CG_STMT_MT940;
    const char *field = c->p->kind == CG_STMT_CSV      ? "amount"
                        : c->p->kind == CG_STMT_PAYOUT ? c->s->po_col[FX_PO_GROSS]
                        : c->p->kind == CG_STMT_MT940  ? "61"
                                                       : "Amt";
    int rc;

    memset(&k, 0, sizeof(k));
    rc = cg_store_fx_receipt_get(c->s->db, id, take_known, &k, err);
    if (rc != CG_OK)
        return rc;
    /* A bank's notification may leave out the charges its statement gives: the amount booked. */
    if (booked_same(&k, e) && (camt || (k.gross == e->gross && k.fee == e->fee)))
        return CG_OK;
    figures(was, sizeof(was), k.out, k.currency, k.gross, k.fee);
    figures(now, sizeof(now), e->out, e->currency, e->gross, e->fee);
    fx_problem(c->p, e->line, e->key_old != NULL ? e->key_old : e->key, field,
               "recorded before as receipt %lld: %s; this file says %s: a recorded receipt never "
               "changes, record the difference as a receipt of its own",
               id, was, now);
    return CG_OK;
}

/*
 * The key of an entry: "KIND:SELLER:ACCOUNT:REF" (KIND camt for both camt messages and for
 * MT940, whose entries share the bank's references). The seller and the account are written
 * with '%' as "%25" and ':' as "%3A", so that the first colon after the kind ends the seller,
 * the next the account, as the indexes of the store (settle migrations 4 and 5) and the lookups
 * below read it: a seller named "shop:eu" can neither hide an entry from the check for known
 * ones nor make two entries one. Names without those characters are written as they are, so
 * keys recorded before stay the same. NULL when out of memory.
 */
static char *key_part(const char *s)
{
    struct cg_buf b;
    int rc = 0;
    char *out;

    cg_buf_init(&b, CSV_MAX_FIELD * 4);
    for (; s != NULL && *s != '\0'; s++) {
        if (*s == '%' || *s == ':')
            rc |= cg_buf_adds(&b, *s == '%' ? "%25" : "%3A");
        else
            rc |= cg_buf_addc(&b, *s);
    }
    out = rc == 0 ? cg_buf_take(&b) : NULL;
    cg_buf_free(&b);
    return out;
}

static char *entry_key(const char *kind, const char *seller, const char *account, const char *ref)
{
    char *sp = key_part(seller), *ap = key_part(account), *key = NULL;
    size_t n;

    if (sp != NULL && ap != NULL) {
        n = strlen(kind) + strlen(sp) + strlen(ap) + strlen(ref) + 4;
        key = malloc(n);
        if (key != NULL)
            snprintf(key, n, "%s:%s:%s:%s", kind, sp, ap, ref);
    }
    free(sp);
    free(ap);
    return key;
}

static const char *key_kind(int kind)
{
    return kind == CG_STMT_CAMT053 || kind == CG_STMT_CAMT054 || kind == CG_STMT_MT940
               ? "camt"
               : kind_name(kind);
}

/*
 * An MT940 line without the bank's reference, recorded by a cebgate from before under its place
 * in the statement (statement reference, sequence number, place): it is that receipt only when
 * the receipt has its value day, direction, currency and amount booked. Many banks write the
 * same statement reference on every statement, so the same place in another day's statement is
 * another line, recorded as a receipt of its own.
 */
static int known_by_place(struct record_ctx *c, const struct fx_entry *e, long long *id,
                          struct cg_err *err)
{
    struct cg_fx_receipt k;
    char *acct = key_part(fx_entry_account(c->p, e));
    int rc;

    if (acct == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    rc = cg_store_fx_entry_known_any(c->s->db, "camt", acct, e->key_old, id, err);
    free(acct);
    if (rc != CG_OK)
        return rc;
    memset(&k, 0, sizeof(k));
    rc = cg_store_fx_receipt_get(c->s->db, *id, take_known, &k, err);
    if (rc != CG_OK)
        return rc;
    if (booked_same(&k, e) && strcmp(k.value_on, e->value_on) == 0)
        return CG_OK;
    return CG_ENOTFOUND;
}

/*
 * The receipt entry e (its key) is recorded as, if any. A bank entry is the account's, whoever
 * imports it: seen before without a seller, or for another seller sharing the account, it is
 * known, so its money counts once. An entry of a payout report or collections CSV is its seller's;
 * one imported without a seller is the same entry as for a seller.
 */
static int find_known(struct record_ctx *c, const char *key, const struct fx_entry *e,
                      long long *id, struct cg_err *err)
{
    const char *kind = key_kind(c->p->kind);
    char *bare = NULL;
    int rc;

    if (strcmp(kind, "camt") == 0) {
        char *acct = key_part(fx_entry_account(c->p, e)); /* as the key holds it */
        if (acct == NULL)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        rc = cg_store_fx_entry_known_any(c->s->db, "camt", acct, e->key, id, err);
        free(acct);
        /*
         * Recorded before with the account of the whole Othr, which settle migration 9 could not
         * take apart (written without whitespace between its elements: "12345678BBAN").
         */
        if (rc == CG_ENOTFOUND && e->account_old != NULL) {
            if ((acct = key_part(e->account_old)) == NULL)
                return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            rc = cg_store_fx_entry_known_any(c->s->db, "camt", acct, e->key, id, err);
            free(acct);
        }
        if (rc == CG_ENOTFOUND && e->key_old != NULL)
            rc = known_by_place(c, e, id, err);
        return rc;
    }
    rc = cg_store_fx_receipt_known(c->s->db, key, id, err);
    if (rc != CG_ENOTFOUND)
        return rc;
    if (c->seller[0] == '\0')
        return cg_store_fx_entry_known_any(c->s->db, kind, NULL, e->key, id, err);
    bare = entry_key(kind, "", fx_entry_account(c->p, e), e->key);
    if (bare == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    rc = cg_store_fx_receipt_known(c->s->db, bare, id, err);
    free(bare);
    return rc;
}

/*
 * Whether outgoing bank entry e, which its bank did not code as its charge, is the bank's charge
 * all the same: its narrative has one of the charge words, and neither its references nor its
 * narrative name an order (an order or payment number of any seller). A batch booking (lines)
 * is a transfer of each line's, never a charge. *charge is set to 1 when it is, else left.
 */
static int charge_by_words(struct record_ctx *c, const struct fx_words *words,
                           const struct fx_entry *e, int *charge, struct cg_err *err)
{
    const char *word = NULL;
    int named = 0;
    int rc;

    if (!e->out || e->charge || e->nlines > 0 || words == NULL)
        return CG_OK;
    rc = fx_words_find(words, e->narrative, &word);
    if (rc != CG_OK)
        return CG_ERR_SET(err, rc, "out of memory");
    if (word == NULL)
        return CG_OK;
    rc = fx_text_names_order(c->s, e->reference, &named, err);
    if (rc == CG_OK && !named)
        rc = fx_text_names_order(c->s, e->narrative, &named, err);
    if (rc == CG_OK)
        *charge = !named;
    return rc;
}

/*
 * The statement imported again for a seller is statement sid: when it was imported for another
 * seller (or none), say which, under what name and when, and what to do, since a statement is
 * recorded once and never moved: its entries stay that seller's, and what the orders of this one
 * are owed of them is matched by hand.
 */
static int dup_note(struct record_ctx *c, long long sid, struct cg_err *err)
{
    char was[64], name[256], day[11];
    struct cg_settle_import *res = c->res;
    int rc =
        cg_store_fx_statement_get(c->s->db, sid, was, sizeof(was), name, sizeof(name), day, err);

    if (rc != CG_OK || c->seller[0] == '\0' || strcmp(was, c->seller) == 0)
        return rc;
    if (was[0] != '\0')
        snprintf(res->dup_where, sizeof(res->dup_where), ", for seller %s (as %s on %s)", was, name,
                 day);
    else
        snprintf(res->dup_where, sizeof(res->dup_where), ", without a seller (as %s on %s)", name,
                 day);
    snprintf(res->dup_todo, sizeof(res->dup_todo),
             "a statement is recorded once and no command moves it to another seller: give "
             "its receipts to %s's orders by hand with `cebgate settle match RECEIPT %s/ORDER` "
             "(`cebgate report fx unmatched` lists the receipts with money left; `cebgate "
             "settle unmatch RECEIPT ORDER` first for one matched to an order by mistake)",
             c->seller, c->seller);
    return CG_OK;
}

static int record(struct cg_store *db, void *vctx, struct cg_err *err)
{
    struct record_ctx *c = vctx;
    struct fx_parsed *p = c->p;
    struct fx_words *words = NULL;
    long long sid = 0, rid = 0;
    char *key = NULL;
    size_t i, k;
    int rc;

    c->res->added = c->res->known = c->res->allocations = c->res->charges = 0;
    rc = cg_store_fx_statement_find(db, c->sha, &sid, err);
    if (rc == CG_OK) {
        c->res->duplicate = 1;
        return dup_note(c, sid, err);
    }
    if (rc != CG_ENOTFOUND)
        return rc;
    rc = cg_store_fx_statement_add(db, c->seller, kind_name(p->kind), p->name, c->sha, p->stmt_id,
                                   (long)p->n, &sid, err);
    /* The words were checked when s was made (cg_settle_new): only memory can fail here. */
    if (rc == CG_OK && strcmp(key_kind(p->kind), "camt") == 0)
        rc = fx_words_parse(fx_conf(c->s, c->seller, "charge_words"), &words, err);
    for (i = 0; rc == CG_OK && i < p->n; i++) {
        struct fx_entry *e = &p->e[i];
        struct cg_fx_receipt r;
        free(key);
        key = entry_key(key_kind(p->kind), c->seller, fx_entry_account(p, e), e->key);
        if (key == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            break;
        }
        memset(&r, 0, sizeof(r));
        r.statement_id = sid;
        r.seller = c->seller;
        r.entry_key = key;
        r.line = e->line;
        r.out = e->out;
        r.charge = e->charge;
        cg_strlcpy(r.currency, e->currency, sizeof(r.currency));
        r.gross = e->gross;
        r.fee = e->fee;
        r.net = e->net;
        cg_strlcpy(r.booked_on, e->booked_on, sizeof(r.booked_on));
        cg_strlcpy(r.value_on, e->value_on, sizeof(r.value_on));
        r.reference = e->reference;
        r.remitter = e->remitter;
        rc = find_known(c, key, e, &rid, err);
        if (rc == CG_OK) {
            rc = check_known(c, e, rid, err);
            c->res->known++;
            continue;
        }
        if (rc == CG_ENOTFOUND) {
            rc = charge_by_words(c, words, e, &r.charge, err);
            if (rc == CG_OK && r.charge && !e->charge)
                c->res->charges++;
            if (rc == CG_OK)
                rc = cg_store_fx_receipt_add(db, &r, &rid, err);
        }
        e->recorded = true;
        c->res->added++;
        for (k = 0; rc == CG_OK && k < e->nlines; k++) {
            struct cg_fx_line l;
            l.receipt_id = rid;
            l.line_no = (long)k + 1;
            l.order_ref = e->lines[k].order_ref;
            l.pay_ref = e->lines[k].pay_ref;
            l.gross = e->lines[k].gross;
            l.fee = e->lines[k].fee;
            l.net = e->lines[k].net;
            rc = cg_store_fx_line_add(db, &l, err);
        }
    }
    free(key);
    fx_words_free(words);
    if (rc == CG_OK && p->problems > 0)
        rc = refuse(p, err);
    if (rc == CG_OK) {
        struct fx_made made;
        rc = fx_auto_match_in_tx(c->s, &made, err);
        c->res->allocations = made.allocations;
        c->res->fees_netted = made.fees_netted;
        c->res->fees_back = made.fees_back;
        c->res->transfers = made.transfers;
    }
    return rc;
}

/* Entries a file's future value dates are warned for by name; one more line counts the rest. */
#define FUTURE_NAMED 10

/*
 * A value date after today in China (UTC+8, the clock's date when s was made) is no date a bank
 * has booked money on yet: most likely a mistyped year or a statement of forecasts. The entry
 * is imported as the statement gives it, with a warning naming the file, line and date of each
 * entry this import recorded (the first FUTURE_NAMED, then a count).
 */
static void warn_future(const struct cg_settle *s, const struct fx_parsed *p)
{
    char today[CG_DAY_LEN];
    char ref[256];
    long day, n = 0;
    size_t i;

    fx_day_format(s->china_now, today);
    for (i = 0; i < p->n; i++) {
        const struct fx_entry *e = &p->e[i];
        if (!e->recorded || fx_day_parse(e->value_on, &day) != CG_OK || day <= s->china_now)
            continue;
        if (++n <= FUTURE_NAMED)
            cg_warn("%s:%ld: entry %s: value date %s is after today (%s, China time); imported "
                    "as the statement gives it",
                    p->name, e->line, cg_text_show(e->key != NULL ? e->key : "-", ref, sizeof(ref)),
                    e->value_on, today);
    }
    if (n > FUTURE_NAMED)
        cg_warn("%s: %ld more entries with a value date after today (%s, China time); imported "
                "as the statement gives them",
                p->name, n - FUTURE_NAMED, today);
}

/* Characters of a file's first line that a refusal shows (then "…"). */
#define HEAD_SHOWN 60

/*
 * A file's first line for a message: decoded as the import decodes it (UTF-8 or GB18030, a BOM
 * dropped), at most HEAD_SHOWN characters, quoted and escaped (cg_text_show), so that a bank's
 * own export says what it holds without the bytes of a file reaching the terminal as they are.
 */
static void head_shown(const char *data, size_t len, char *out, size_t size)
{
    char cut[HEAD_SHOWN * 4 + 1];
    char shown[HEAD_SHOWN * 10 + 1];
    char *text = NULL;
    size_t tlen = 0, n = 0, i, chars = 0;
    struct cg_err e;

    while (n < len && n < 4096 && data[n] != '\n' && data[n] != '\r')
        n++;
    cg_err_clear(&e);
    if (cg_src_decode(data, n, "", CG_ENC_AUTO, &text, &tlen, &e) != CG_OK) {
        free(text);
        text = NULL;
    }
    if (text == NULL) { /* a UTF-16 file: its bytes as they are, escaped */
        tlen = n;
        text = malloc(n + 1);
        if (text == NULL) {
            snprintf(out, size, "(not shown: out of memory)");
            return;
        }
        memcpy(text, data, n);
        text[n] = '\0';
    }
    /* Whole characters: a byte that starts one counts, its continuation bytes go with it. */
    for (i = 0; i < tlen && text[i] != '\0'; i++) {
        if (((unsigned char)text[i] & 0xC0) != 0x80 && chars++ == HEAD_SHOWN)
            break;
    }
    memcpy(cut, text, i < sizeof(cut) ? i : sizeof(cut) - 1);
    cut[i < sizeof(cut) ? i : sizeof(cut) - 1] = '\0';
    snprintf(out, size, "'%s'%s", cg_text_show(cut, shown, sizeof(shown)),
             i < tlen && text[i] != '\0' ? "…" : "");
    free(text);
}

int cg_settle_import(struct cg_settle *s, const char *seller, const char *name, const char *data,
                     size_t len, cg_settle_problem_fn problem, void *pctx,
                     struct cg_settle_import *res, struct cg_err *err)
{
    struct fx_parsed p;
    struct csv_rows rows;
    struct record_ctx c;
    char sha[65];
    char *text = NULL; /* the file decoded to UTF-8 (not camt) */
    size_t tlen = 0;
    int rc;

    memset(&p, 0, sizeof(p));
    memset(&rows, 0, sizeof(rows));
    memset(res, 0, sizeof(*res));
    p.problem = problem;
    p.pctx = pctx;
    p.name = name;
    /* Without a readable payout profile the other kinds are still read. */
    rc = fx_payout_profile_load(s, err);
    p.kind = cg_settle_sniff(s, data, len);
    res->kind = p.kind;
    if (p.kind == CG_STMT_NONE && rc != CG_OK)
        goto done;
    cg_err_clear(err);
    rc = CG_OK;
    if (p.kind == CG_STMT_NONE) {
        char head[HEAD_SHOWN * 10 + 8];
        head_shown(data, len, head, sizeof(head));
        rc =
            CG_ERR_SET(err, CG_EREJECT,
                       "%s: not a statement: neither camt.053/054 XML, MT940, the collections CSV "
                       "nor a payout report of the payout profile; its first line: %s\n"
                       "  the collections CSV has a header row with receipt_id, date, currency and "
                       "amount; a payout report is read through a payout profile naming its "
                       "columns ([settle] payout_profile; docs/collections-format.md)",
                       name, len > 0 ? head : "none, the file is empty");
        goto done;
    }
    /* XML says its encoding itself (libxml2); the text formats are read as order files are. */
    if (p.kind != CG_STMT_CAMT053 && p.kind != CG_STMT_CAMT054) {
        rc = cg_src_decode(data, len, name, CG_ENC_AUTO, &text, &tlen, err);
        if (rc == CG_EPARSE) /* a UTF-16 file: the message says so */
            rc = err->code = CG_EREJECT;
        if (rc != CG_OK)
            goto done;
        /* Not UTF-8 as it came (a BOM aside): read as GB18030 (core/csvread.h). */
        {
            size_t bom = len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;

            p.from_gb18030 = cg_text_invalid(data + bom, len - bom, NULL, NULL) < len - bom;
        }
    }
    if (p.kind == CG_STMT_CAMT053 || p.kind == CG_STMT_CAMT054) {
        rc = fx_parse_camt(&p, data, len, err);
    } else if (p.kind == CG_STMT_MT940) {
        rc = fx_parse_mt940(&p, text, tlen, err);
    } else {
        rc = rows_read(text, tlen, &rows, err);
        if (rc == CG_EPARSE) {
            fx_problem(&p, (long)rows.n + 1, NULL, NULL, "%s", err->msg);
            cg_err_clear(err);
            rc = CG_OK;
        } else if (rc == CG_OK && rows.n > 0) {
            rows_text(&p, &rows, p.kind == CG_STMT_CSV ? "receipt_id" : s->po_col[FX_PO_ID]);
            rc = p.kind == CG_STMT_CSV ? own_csv(&p, &rows) : payout_csv(s, &p, &rows);
            if (rc == CG_ENOMEM)
                CG_ERR_SET(err, rc, "out of memory");
        }
    }
    res->kind = p.kind;
    res->entries = (long)p.n;
    res->problems = p.problems;
    if (rc != CG_OK)
        goto done;
    if (p.problems > 0) {
        rc = refuse(&p, err);
        goto done;
    }
    cg_sha256_hex(data, len, sha);
    c.s = s;
    c.p = &p;
    c.seller = seller != NULL ? seller : "";
    c.sha = sha;
    c.res = res;
    rc = fx_tx(s, record, &c, err);
    res->problems = p.problems;
    if (rc == CG_OK && !res->duplicate)
        warn_future(s, &p);
done:
    free(text);
    rows_free(&rows);
    fx_parsed_free(&p);
    return rc;
}

/* ------------------------------------------------------------------ settlement files */

struct conv_ctx {
    struct cg_settle *s;
    struct fx_parsed *p;
    struct csv_rows *r;
    int c[6];
    long added, known;
};

static int conv_tx(struct cg_store *db, void *vctx, struct cg_err *err)
{
    struct conv_ctx *c = vctx;
    size_t i;
    int rc = CG_OK;

    (void)db;
    c->added = c->known = 0;
    for (i = 1; rc == CG_OK && i < c->r->n; i++) {
        char **row = c->r->rows[i];
        char day[CG_DAY_LEN];
        int64_t cny;
        if (csv_day(cell(row, c->c[1]), day) != CG_OK)
            return CG_ERR_SET(err, CG_EINVAL, "checked day");
        rc = fx_convert_in_tx(c->s, cell(row, c->c[2]), cell(row, c->c[3]), cell(row, c->c[4]), day,
                              cell(row, c->c[0]), cell(row, c->c[5]), &cny, err);
        if (rc == CG_EEXIST) {
            cg_err_clear(err);
            c->known++;
            rc = CG_OK;
        } else if (rc == CG_OK) {
            c->added++;
        } else if (rc == CG_EREJECT) {
            cg_err_prefix(err, "%s:%zu: settlement %s", c->p->name, i + 1, cell(row, c->c[0]));
        }
    }
    return rc;
}

struct ref_row {
    const char *ref;
    size_t row;
};

static int cmp_ref_row(const void *a, const void *b)
{
    const struct ref_row *x = a, *y = b;
    int c = strcmp(x->ref, y->ref);

    return c != 0 ? c : (x->row > y->row) - (x->row < y->row);
}

/*
 * The rows with a reference (column col), sorted by reference and then row: the rows before row
 * i with its reference are the ones before (*at)[i] in *out up to the first of that reference.
 * (*at)[i] is SIZE_MAX for a row without one. Both arrays belong to the caller.
 */
static int refs_sorted(const struct csv_rows *rows, int col, struct ref_row **out, size_t **at,
                       struct cg_err *err)
{
    struct ref_row *r = malloc((rows->n > 0 ? rows->n : 1) * sizeof(*r));
    size_t *pos = malloc((rows->n > 0 ? rows->n : 1) * sizeof(*pos));
    size_t i, n = 0;

    if (r == NULL || pos == NULL) {
        free(r);
        free(pos);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    for (i = 0; i < rows->n; i++) {
        pos[i] = SIZE_MAX;
        if (i > 0 && (r[n].ref = cell(rows->rows[i], col)) != NULL)
            r[n++].row = i;
    }
    qsort(r, n, sizeof(*r), cmp_ref_row);
    for (i = 0; i < n; i++)
        pos[r[i].row] = i;
    *out = r;
    *at = pos;
    return CG_OK;
}

int cg_settle_convert_file(struct cg_settle *s, const char *name, const char *data, size_t len,
                           cg_settle_problem_fn problem, void *pctx, long *added, long *known,
                           struct cg_err *err)
{
    static const char *const cols[] = {"reference", "date", "currency", "amount", "rate", "cny"};
    struct fx_parsed p;
    struct csv_rows rows;
    struct conv_ctx c;
    struct ref_row *refs = NULL;
    size_t *at = NULL;
    size_t i, j;
    int header_ok;
    int k;
    char *text = NULL;
    size_t tlen = 0;
    int rc;

    memset(&p, 0, sizeof(p));
    memset(&c, 0, sizeof(c));
    p.problem = problem;
    p.pctx = pctx;
    p.name = name;
    memset(&rows, 0, sizeof(rows));
    rc = cg_src_decode(data, len, name, CG_ENC_AUTO, &text, &tlen, err);
    if (rc == CG_EPARSE) /* a UTF-16 file: the message says so */
        rc = err->code = CG_EREJECT;
    if (rc != CG_OK)
        return rc;
    rc = rows_read(text, tlen, &rows, err);
    free(text);
    if (rc != CG_OK) {
        rows_free(&rows);
        return rc == CG_EPARSE ? CG_ERR_SET(err, CG_EREJECT, "%s: %s", name, err->msg) : rc;
    }
    rows_text(&p, &rows, "reference");
    for (k = 0; k < 6; k++) {
        c.c[k] = rows.n > 0 ? col_index(rows.rows[0], cols[k]) : -1;
        if (c.c[k] < 0 && k < 5)
            fx_problem(&p, 1, NULL, cols[k], "column missing from the header");
    }
    header_ok = p.problems == 0;
    /* A reference given again is found among the rows sorted by reference, not by comparing
       each row with every row before it. */
    if (header_ok && (rc = refs_sorted(&rows, c.c[0], &refs, &at, err)) != CG_OK)
        goto done;
    for (i = 1; header_ok && i < rows.n; i++) {
        char **row = rows.rows[i];
        const char *ref = cell(row, c.c[0]), *cur = cell(row, c.c[2]);
        char day[CG_DAY_LEN];
        int64_t v;
        struct cg_err e;
        long line = (long)i + 1;
        if (ref == NULL)
            fx_problem(&p, line, NULL, "reference", "missing");
        if (ref != NULL) { /* each row before with the same reference, in the file's order */
            for (j = at[i]; j > 0 && strcmp(refs[j - 1].ref, ref) == 0; j--)
                ;
            for (; j < at[i]; j++)
                fx_problem(&p, line, ref, "reference", "appears again (line %zu)", refs[j].row + 1);
        }
        if (csv_day(cell(row, c.c[1]), day) != CG_OK)
            fx_problem(&p, line, ref, "date", "not YYYY-MM-DD");
        if (!known_currency(&p, line, ref, cur))
            continue;
        if (strcmp(cur, "CNY") == 0)
            fx_problem(&p, line, ref, "currency", "CNY is what is settled into");
        csv_amount(&p, line, ref, "amount", cell(row, c.c[3]), cur, 0, &v);
        if (cell(row, c.c[4]) == NULL || fx_rate_parse(cell(row, c.c[4]), &v, &e) != CG_OK)
            fx_problem(&p, line, ref, "rate", "not a positive rate with at most 5 decimals");
        if (cell(row, c.c[5]) != NULL)
            csv_amount(&p, line, ref, "cny", cell(row, c.c[5]), "CNY", 0, &v);
    }
    if (p.problems > 0) {
        rc = CG_ERR_SET(err, CG_EREJECT, "%s: %ld bad row%s; nothing recorded", name, p.problems,
                        p.problems == 1 ? "" : "s");
    } else {
        c.s = s;
        c.p = &p;
        c.r = &rows;
        rc = fx_tx(s, conv_tx, &c, err);
        *added = c.added;
        *known = c.known;
    }
done:
    free(refs);
    free(at);
    rows_free(&rows);
    return rc;
}
