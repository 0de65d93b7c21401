/*
 * port-codes.c - the customs code tables the port checks documents against (currency, country,
 * unit), read from CSV files with libcsv.
 *
 * A table file has comment lines starting with '#', a header line, then one code per line in
 * the column named "code" (the first column when no header cell is named so); the shipped
 * data/currency.csv, country.csv and unit.csv have that shape.
 * Each table is a sorted array of code strings owned by struct cg_port_codes. A table that was
 * never filled is "not checked": every code passes, so a port without tables still runs (it
 * says so in its start-up log). A malformed file fails the load with file and line.
 */
#include "config.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "port/port-int.h"

#define CODE_MAX 16
#define CODES_FILE_MAX (4u * 1024u * 1024u)

struct table {
    char **codes;
    size_t n;
    size_t cap;
    bool filled;
};

struct cg_port_codes {
    struct table t[CG_PORT_NTABLES];
};

static const char *const table_files[CG_PORT_NTABLES] = {"currency.csv", "country.csv", "unit.csv"};

int cg_port_codes_new(struct cg_port_codes **out, struct cg_err *err)
{
    struct cg_port_codes *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    *out = c;
    return CG_OK;
}

void cg_port_codes_free(struct cg_port_codes *c)
{
    size_t i;
    size_t j;

    if (c == NULL)
        return;
    for (i = 0; i < CG_PORT_NTABLES; i++) {
        for (j = 0; j < c->t[i].n; j++)
            free(c->t[i].codes[j]);
        free(c->t[i].codes);
    }
    free(c);
}

static int cmp_code(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cg_port_codes_add(struct cg_port_codes *c, enum cg_port_table t, const char *code)
{
    struct table *tb = &c->t[t];
    char **grown;
    size_t lo = 0;
    size_t hi;
    size_t mid;
    int r;

    tb->filled = true;
    hi = tb->n;
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        r = strcmp(tb->codes[mid], code);
        if (r == 0)
            return CG_OK;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (tb->n == tb->cap) {
        grown = realloc(tb->codes, (tb->cap == 0 ? 64 : tb->cap * 2) * sizeof(*grown));
        if (grown == NULL)
            return CG_ENOMEM;
        tb->codes = grown;
        tb->cap = tb->cap == 0 ? 64 : tb->cap * 2;
    }
    memmove(&tb->codes[lo + 1], &tb->codes[lo], (tb->n - lo) * sizeof(*tb->codes));
    tb->codes[lo] = cg_strdup(code);
    if (tb->codes[lo] == NULL) {
        memmove(&tb->codes[lo], &tb->codes[lo + 1], (tb->n - lo) * sizeof(*tb->codes));
        return CG_ENOMEM;
    }
    tb->n++;
    return CG_OK;
}

bool cg_port_codes_known(const struct cg_port_codes *c, enum cg_port_table t, const char *code)
{
    const struct table *tb = &c->t[t];

    if (!tb->filled)
        return true;
    return bsearch(&code, tb->codes, tb->n, sizeof(*tb->codes), cmp_code) != NULL;
}

struct load_ctx {
    struct cg_port_codes *c;
    enum cg_port_table t;
    long row;   /* 0 = header */
    int field;  /* index in the current row */
    int column; /* index of the "code" column (the first when the header has none) */
    int rc;
};

static void on_field(void *s, size_t len, void *data)
{
    struct load_ctx *l = data;
    char code[CODE_MAX + 1];
    int f = l->field++;

    if (l->row == 0) {
        if (len == 4 && memcmp(s, "code", 4) == 0)
            l->column = f;
        return;
    }
    if (f != l->column || l->rc != CG_OK)
        return;
    if (len == 0 || len > CODE_MAX) {
        l->rc = CG_EPARSE;
        return;
    }
    memcpy(code, s, len);
    code[len] = '\0';
    l->rc = cg_port_codes_add(l->c, l->t, code);
}

static void on_row(int c, void *data)
{
    struct load_ctx *l = data;

    (void)c;
    l->row++;
    l->field = 0;
}

/* Drop lines starting with '#' (the tables carry their sources in such a preamble). */
static void strip_comments(struct cg_buf *b)
{
    size_t in = 0;
    size_t out = 0;
    size_t end;
    bool comment;

    while (in < b->len) {
        end = in;
        while (end < b->len && b->data[end] != '\n')
            end++;
        if (end < b->len)
            end++;
        comment = b->data[in] == '#';
        if (!comment) {
            memmove(b->data + out, b->data + in, end - in);
            out += end - in;
        }
        in = end;
    }
    b->len = out;
    if (b->data != NULL)
        b->data[out] = '\0';
}

int cg_port_codes_load_file(struct cg_port_codes *c, enum cg_port_table t, const char *path,
                            struct cg_err *err)
{
    struct csv_parser p;
    struct load_ctx l;
    struct cg_buf b;
    int rc;

    memset(&l, 0, sizeof(l));
    l.c = c;
    l.t = t;
    cg_buf_init(&b, CODES_FILE_MAX);
    rc = cg_fs_read(path, CODES_FILE_MAX, &b, err);
    if (rc != CG_OK)
        goto done;
    strip_comments(&b);
    if (csv_init(&p, CSV_APPEND_NULL) != 0) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    if (csv_parse(&p, b.data != NULL ? b.data : "", b.len, on_field, on_row, &l) != b.len ||
        csv_fini(&p, on_field, on_row, &l) != 0) {
        rc = CG_ERR_SET(err, CG_EPARSE, "%s:%ld: %s", path, l.row + 1, csv_strerror(csv_error(&p)));
        csv_free(&p);
        goto done;
    }
    csv_free(&p);
    if (l.rc == CG_OK && l.row < 2)
        l.rc = CG_EPARSE;
    if (l.rc != CG_OK) {
        rc = CG_ERR_SET(err, l.rc == CG_ENOMEM ? CG_ENOMEM : CG_EPARSE,
                        "%s: data row %ld: the code is missing, empty or longer than %d "
                        "characters (a header line, then one code per line)",
                        path, l.row, CODE_MAX);
        goto done;
    }
    c->t[t].filled = true;
done:
    cg_buf_free(&b);
    return rc;
}

int cg_port_codes_load_dir(struct cg_port_codes *c, const char *dir, int *loaded,
                           struct cg_err *err)
{
    char *path = NULL;
    int rc = CG_OK;
    int i;

    *loaded = 0;
    for (i = 0; i < CG_PORT_NTABLES; i++) {
        free(path);
        path = cg_fs_join(dir, table_files[i]);
        if (path == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            break;
        }
        if (access(path, F_OK) != 0)
            continue;
        rc = cg_port_codes_load_file(c, (enum cg_port_table)i, path, err);
        if (rc != CG_OK)
            break;
        (*loaded)++;
    }
    free(path);
    return rc;
}
