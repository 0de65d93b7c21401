/*
 * mapping-profile.c - mapping profiles: which column of a shop's export feeds which field.
 *
 * A profile is a small INI file (parsed with libinih): [profile] says the format (csv, tsv,
 * jsonl), delimiter, quoting, encoding and whether freight is per order or per row; [columns] maps
 * cebgate fields to header names; [fixed] gives fixed values; [status] maps the values of status
 * columns to live / wait / skip / cancelled (mapping-status.c). `base = NAME` (the first key)
 * starts from another profile, built-in or a file, and the rest of the file changes it; an
 * empty value removes what the base set. Built-in profiles live in data/profiles/NAME.ini. An
 * unknown key or a bad value fails the load with "file:line: key: reason" (CG_ECONFIG). The
 * struct cg_profile belongs to the caller (cg_profile_free()).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "core/fsutil.h"
#include "mapping/mapping-int.h"

const char *const cg_fld_names[F_COUNT] = {
    [F_ORDER_NO] = "order_no",
    [F_CURRENCY] = "currency",
    [F_COUNTRY] = "country",
    [F_FREIGHT] = "freight",
    [F_INSURED_FEE] = "insured_fee",
    [F_GOODS_VALUE] = "goods_value",
    [F_NOTE] = "note",
    [F_POD] = "pod",
    [F_LOGISTICS_CODE] = "logistics_code",
    [F_LOGISTICS_NAME] = "logistics_name",
    [F_LOGISTICS_NO] = "logistics_no",
    [F_GROSS_WEIGHT] = "gross_weight",
    [F_NET_WEIGHT] = "net_weight",
    [F_PACK_NO] = "pack_no",
    [F_PAY_CODE] = "pay_code",
    [F_PAY_NAME] = "pay_name",
    [F_PAY_NO] = "pay_no",
    [F_PAY_CHARGE] = "pay_charge",
    [F_PAY_REFUNDED] = "pay_refunded",
    [F_PAY_TIME] = "pay_time",
    [F_SKU] = "sku",
    [F_ITEM_NAME] = "item_name",
    [F_ITEM_DESCRIBE] = "item_describe",
    [F_BAR_CODE] = "bar_code",
    [F_UNIT] = "unit",
    [F_QTY] = "qty",
    [F_PRICE] = "price",
    [F_TOTAL] = "total",
};

int cg_fld_find(const char *name)
{
    int i;

    for (i = 0; i < F_COUNT; i++) {
        if (strcmp(cg_fld_names[i], name) == 0)
            return i;
    }
    return -1;
}

void cg_profile_free(struct cg_profile *p)
{
    int i;

    if (p == NULL)
        return;
    for (i = 0; i < F_COUNT; i++) {
        free(p->column[i]);
        free(p->fixed[i]);
    }
    cg_status_free(p);
    free(p->name);
    free(p->strip_prefix);
    free(p);
}

static struct cg_profile *profile_new(const char *name)
{
    struct cg_profile *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return NULL;
    p->name = strdup(name);
    if (p->name == NULL) {
        free(p);
        return NULL;
    }
    p->delim = ',';
    p->quote = '"';
    p->enc = CG_ENC_AUTO;
    return p;
}

int cg_profile_own(struct cg_profile **out, struct cg_err *err)
{
    struct cg_profile *p = profile_new("own");
    int i;

    if (p == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    for (i = 0; i < F_COUNT; i++) {
        p->column[i] = strdup(cg_fld_names[i]);
        if (p->column[i] == NULL) {
            cg_profile_free(p);
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        }
    }
    p->strict_columns = true;
    *out = p;
    return CG_OK;
}

struct pctx {
    struct cg_profile *p;
    const char *path;
    const char *data_dir;
    int depth;
    bool touched;          /* a key other than base was read */
    char last_status[128]; /* the [status] key read last: a continuation line adds to it */
    struct cg_err *err;
    int failed;
};

static int bad(struct pctx *c, int line, const char *key, const char *why, const char *value)
{
    if (!c->failed)
        CG_ERR_SET(c->err, CG_ECONFIG, "%s:%d: %s: %s%s%s%s", c->path, line, key, why,
                   value != NULL ? " ('" : "", value != NULL ? value : "",
                   value != NULL ? "')" : "");
    c->failed = 1;
    return 0;
}

static bool yesno(const char *v, bool *out)
{
    if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = true;
    else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = false;
    else
        return false;
    return true;
}

static int load(const char *path, const char *data_dir, int depth, struct cg_profile **out,
                struct cg_err *err);
static int find(const char *data_dir, const char *name, const char *rel_dir, int depth,
                struct cg_profile **out, struct cg_err *err);

/* `base = NAME`: replace the (still empty) profile by a copy of the base. */
static int take_base(struct pctx *c, int line, const char *value)
{
    struct cg_profile *b = NULL;
    struct cg_profile tmp;
    struct cg_err e;
    char *dir = NULL;
    const char *slash = strrchr(c->path, '/');
    int rc;

    if (c->touched)
        return bad(c, line, "base", "must be the first key of the profile", NULL);
    if (c->depth >= 4)
        return bad(c, line, "base", "profiles based on each other more than 4 deep", value);
    if (slash != NULL) {
        dir = strndup(c->path, (size_t)(slash - c->path));
        if (dir == NULL)
            return bad(c, line, "base", "out of memory", NULL);
    }
    cg_err_clear(&e);
    rc = find(c->data_dir, value, dir, c->depth + 1, &b, &e);
    free(dir);
    if (rc != CG_OK) {
        if (!c->failed)
            CG_ERR_SET(c->err, CG_ECONFIG, "%s:%d: base: %s", c->path, line, e.msg);
        c->failed = 1;
        return 0;
    }
    /* Keep our name; take everything else from the base. */
    tmp = *b;
    tmp.name = c->p->name;
    free(b->name);
    free(b);
    *c->p = tmp;
    c->touched = true;
    return 1;
}

static int on_key(void *user, const char *section, const char *key, const char *value, int line)
{
    struct pctx *c = user;
    struct cg_profile *p = c->p;

    if (c->failed)
        return 0;
    if (strcmp(section, "profile") == 0 && strcmp(key, "base") == 0)
        return take_base(c, line, value);
    c->touched = true;
    if (strcmp(section, "status") == 0) {
        char why[256];

        bool append = strcmp(c->last_status, key) == 0;

        if (!cg_status_set(p, key, value, append, why, sizeof(why)))
            return bad(c, line, key, why, NULL);
        cg_strlcpy(c->last_status, key, sizeof(c->last_status));
        return 1;
    }
    if (strcmp(section, "profile") == 0) {
        if (strcmp(key, "description") == 0)
            return 1;
        if (strcmp(key, "format") == 0) {
            if (strcmp(value, "csv") == 0) {
                p->jsonl = false;
            } else if (strcmp(value, "tsv") == 0) {
                p->jsonl = false;
                p->delim = '\t';
                p->quote = 0;
            } else if (strcmp(value, "jsonl") == 0) {
                p->jsonl = true;
            } else {
                return bad(c, line, key, "expected csv, tsv or jsonl", value);
            }
            return 1;
        }
        if (strcmp(key, "delimiter") == 0) {
            if (strcmp(value, "tab") == 0)
                p->delim = '\t';
            else if (strlen(value) == 1 && value[0] != '"' && value[0] != '\n')
                p->delim = value[0];
            else
                return bad(c, line, key, "expected one character or 'tab'", value);
            return 1;
        }
        if (strcmp(key, "quote") == 0) {
            if (strcmp(value, "none") == 0)
                p->quote = 0;
            else if (strcmp(value, "double") == 0 || strcmp(value, "\"") == 0)
                p->quote = '"';
            else if (strcmp(value, "single") == 0 || strcmp(value, "'") == 0)
                p->quote = '\'';
            else
                return bad(c, line, key, "expected double, single or none", value);
            return 1;
        }
        if (strcmp(key, "encoding") == 0) {
            if (cg_enc_parse(value, &p->enc) != CG_OK)
                return bad(c, line, key, "expected auto, utf-8 or gb18030", value);
            p->enc_set = p->enc != CG_ENC_AUTO;
            return 1;
        }
        if (strcmp(key, "freight") == 0) {
            if (strcmp(value, "first") == 0)
                p->freight_sum = false;
            else if (strcmp(value, "sum") == 0)
                p->freight_sum = true;
            else
                return bad(c, line, key, "expected first or sum", value);
            return 1;
        }
        if (strcmp(key, "strict_columns") == 0) {
            if (!yesno(value, &p->strict_columns))
                return bad(c, line, key, "expected yes or no", value);
            return 1;
        }
        if (strcmp(key, "strip_prefix") == 0) {
            free(p->strip_prefix);
            p->strip_prefix = strdup(value);
            return p->strip_prefix != NULL ? 1 : bad(c, line, key, "out of memory", NULL);
        }
        return bad(c, line, key, "unknown key in [profile]", NULL);
    }
    if (strcmp(section, "columns") == 0 || strcmp(section, "fixed") == 0) {
        int f = cg_fld_find(key);
        char **slot;

        if (f < 0)
            return bad(c, line, key, "not a cebgate field (see docs/order-format.md)", NULL);
        slot = strcmp(section, "columns") == 0 ? &p->column[f] : &p->fixed[f];
        free(*slot);
        *slot = NULL;
        if (*value == '\0')
            return 1; /* removes what a base profile set */
        *slot = strdup(value);
        return *slot != NULL ? 1 : bad(c, line, key, "out of memory", NULL);
    }
    return bad(c, line, key, "unknown section", section);
}

/* inih reads through us so each key knows its line number. */
struct lreader {
    FILE *fp;
    int line;
    bool after_key; /* a key line came since the last section header */
    bool continues; /* the line inih is on continues the value of the key above it */
    struct pctx *c;
};

static char *read_line(char *str, int num, void *stream)
{
    struct lreader *r = stream;
    char why[160];
    char *s = cg_ini_line(str, num, r->fp, why, sizeof(why));

    if (s != NULL || why[0] != '\0')
        r->line++;
    if (why[0] != '\0' && !r->c->failed) {
        CG_ERR_SET(r->c->err, CG_ECONFIG, "%s:%d: %s", r->c->path, r->line, why);
        r->c->failed = 1;
    }
    if (s != NULL && s[strspn(s, " \t")] == '[')
        r->after_key = false;
    r->continues = s != NULL && r->after_key && cg_ini_continues(s);
    return s;
}

static int handler_lines(void *user, const char *section, const char *name, const char *value)
{
    struct lreader *r = user;

    /* inih gives an indented line as a continuation of the key above it. A [status] column's
     * rules may go on several lines (each adds its rules); anywhere else the line would
     * silently replace the value, as an indented "key = value" line would. */
    r->after_key = true;
    if (r->continues && strcmp(section, "status") != 0)
        return bad(r->c, r->line, name,
                   "an indented line continues the value of the key above it, and only [status] "
                   "rules go on several lines: write each key at the start of its line",
                   NULL);
    return on_key(r->c, section, name, value, r->line);
}

int cg_profile_load(const char *path, struct cg_profile **out, struct cg_err *err)
{
    return load(path, NULL, 0, out, err);
}

static int load(const char *path, const char *data_dir, int depth, struct cg_profile **out,
                struct cg_err *err)
{
    const char *base = strrchr(path, '/');
    char name[128];
    struct cg_profile *p;
    struct pctx c;
    struct lreader r;
    FILE *fp;
    int rc;

    cg_strlcpy(name, base != NULL ? base + 1 : path, sizeof(name));
    if (strlen(name) > 4 && strcmp(name + strlen(name) - 4, ".ini") == 0)
        name[strlen(name) - 4] = '\0';
    fp = fopen(path, "re");
    if (fp == NULL)
        return CG_ERR_SET(err, CG_ECONFIG, "profile %s: %s", path, strerror(errno));
    p = profile_new(name);
    if (p == NULL) {
        fclose(fp);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    memset(&c, 0, sizeof(c));
    c.p = p;
    c.path = path;
    c.data_dir = data_dir;
    c.depth = depth;
    c.err = err;
    memset(&r, 0, sizeof(r));
    r.fp = fp;
    r.c = &c;
    rc = ini_parse_stream(read_line, &r, handler_lines, &r);
    fclose(fp);
    if (c.failed) {
        cg_profile_free(p);
        return CG_ECONFIG;
    }
    if (rc != 0) {
        cg_profile_free(p);
        return CG_ERR_SET(err, CG_ECONFIG, "%s:%d: not a valid INI line", path, rc);
    }
    if (!p->jsonl && p->column[F_ORDER_NO] == NULL) {
        cg_profile_free(p);
        return CG_ERR_SET(err, CG_ECONFIG, "%s: [columns] must name the order_no column", path);
    }
    *out = p;
    return CG_OK;
}

int cg_profile_find(const char *data_dir, const char *name, struct cg_profile **out,
                    struct cg_err *err)
{
    return find(data_dir, name, NULL, 0, out, err);
}

/* A built-in name from data_dir/profiles/, else a path (relative to rel_dir when given). */
static int find(const char *data_dir, const char *name, const char *rel_dir, int depth,
                struct cg_profile **out, struct cg_err *err)
{
    char file[160];
    char *dir = NULL;
    char *path = NULL;
    int rc;

    if (name == NULL || *name == '\0')
        name = "own";
    if (strchr(name, '/') != NULL || strstr(name, ".ini") != NULL) {
        if (name[0] == '/' || rel_dir == NULL)
            return load(name, data_dir, depth, out, err);
        path = cg_fs_join(rel_dir, name);
        if (path == NULL)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        rc = load(path, data_dir, depth, out, err);
        free(path);
        return rc;
    }
    if (data_dir == NULL)
        return CG_ERR_SET(err, CG_ECONFIG, "profile '%s': no data directory for built-in profiles",
                          name);
    if (!cg_fs_name_ok(name) || strlen(name) > 100)
        return CG_ERR_SET(err, CG_ECONFIG, "profile '%s': not a profile name", name);
    snprintf(file, sizeof(file), "%s.ini", name);
    dir = cg_fs_join(data_dir, "profiles");
    path = dir != NULL ? cg_fs_join(dir, file) : NULL;
    if (path == NULL) {
        free(dir);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    rc = load(path, data_dir, depth, out, err);
    free(dir);
    free(path);
    return rc;
}
