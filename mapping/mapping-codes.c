/*
 * mapping-codes.c - the customs code tables (the CSV files in data/), loaded once.
 *
 * currency.csv (ISO letters -> customs code), country.csv (ISO alpha-2 -> customs code),
 * unit.csv, transport.csv and package.csv (customs code sets). Each file is CSV with '#'
 * comment lines naming its source and a header row. A missing file or a bad row fails the load
 * with "file:line: reason"; the struct cg_codes belongs to the caller (cg_codes_free()).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "mapping/mapping-int.h"

enum { T_CURRENCY, T_COUNTRY, T_UNIT, T_TRANSPORT, T_PACKAGE, T_COUNT };

static const char *const table_names[T_COUNT] = {"currency", "country", "unit", "transport",
                                                 "package"};

static int col_index(const struct cg_row *hdr, const char *name)
{
    size_t i;

    for (i = 0; i < hdr->nfields; i++) {
        if (strcmp(cg_row_field(hdr, i), name) == 0)
            return (int)i;
    }
    return -1;
}

static int load_table(struct cg_codes *c, const char *dir, int t, struct cg_err *err)
{
    char file[64];
    char *path = NULL;
    struct cg_csv csv;
    bool open_ok = false;
    struct cg_row *row;
    int icode, ikey = -1;
    int fd = -1;
    int rc;
    size_t expect_len = t == T_UNIT ? 3 : (t == T_TRANSPORT || t == T_PACKAGE) ? 1 : 3;

    snprintf(file, sizeof(file), "%s.csv", table_names[t]);
    path = cg_fs_join(dir, file);
    if (path == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    rc = cg_open_read(path, &fd, err);
    if (rc != CG_OK)
        goto done;
    rc = cg_csv_open(&csv, fd, path, CG_ENC_UTF8, ',', '"', true, 4096, err);
    if (rc != CG_OK) {
        close(fd);
        goto done;
    }
    open_ok = true;
    rc = cg_csv_next(&csv, &row, err);
    if (rc != CG_OK) {
        if (rc == CG_ENOTFOUND)
            rc = CG_ERR_SET(err, CG_EPARSE, "%s: no header row", path);
        goto done;
    }
    icode = col_index(row, "code");
    if (t == T_CURRENCY)
        ikey = col_index(row, "iso");
    else if (t == T_COUNTRY)
        ikey = col_index(row, "iso2");
    if (icode < 0 || ((t == T_CURRENCY || t == T_COUNTRY) && ikey < 0)) {
        rc = CG_ERR_SET(err, CG_EPARSE, "%s:%ld: header lacks the code or iso column", path,
                        row->line);
        goto done;
    }
    while ((rc = cg_csv_next(&csv, &row, err)) == CG_OK) {
        const char *code = cg_row_field(row, (size_t)icode);
        const char *key = ikey >= 0 ? cg_row_field(row, (size_t)ikey) : "";
        size_t klen = t == T_CURRENCY ? 3 : 2;

        if (strlen(code) != expect_len) {
            rc = CG_ERR_SET(err, CG_EPARSE, "%s:%ld: code '%s' is not %zu characters", path,
                            row->line, code, expect_len);
            goto done;
        }
        if (cg_map_put(&c->known[t], code, (void *)1, true) != CG_OK)
            goto nomem;
        if (ikey < 0 || *key == '\0')
            continue;
        if (strlen(key) != klen) {
            rc = CG_ERR_SET(err, CG_EPARSE, "%s:%ld: ISO code '%s' is not %zu letters", path,
                            row->line, key, klen);
            goto done;
        }
        {
            struct cg_map *fwd = t == T_CURRENCY ? &c->currency : &c->country;
            struct cg_map *back = t == T_CURRENCY ? &c->currency_iso : &c->country_iso;
            char *v1 = strdup(code);
            char *v2 = strdup(key);

            if (v1 == NULL || v2 == NULL) {
                free(v1);
                free(v2);
                goto nomem;
            }
            if (cg_map_put(fwd, key, v1, false) != CG_OK) {
                free(v1);
                free(v2);
                rc = CG_ERR_SET(err, CG_EPARSE, "%s:%ld: '%s' appears twice", path, row->line, key);
                goto done;
            }
            if (cg_map_put(back, code, v2, false) != CG_OK)
                free(v2); /* first ISO name of a code wins */
        }
    }
    if (rc == CG_ENOTFOUND)
        rc = CG_OK;
    goto done;
nomem:
    rc = CG_ERR_SET(err, CG_ENOMEM, "%s: out of memory", path);
done:
    if (open_ok)
        cg_csv_close(&csv);
    free(path);
    return rc;
}

int cg_codes_load(const char *data_dir, struct cg_codes **out, struct cg_err *err)
{
    struct cg_codes *c = calloc(1, sizeof(*c));
    int rc = CG_OK;
    int t;

    if (c == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    for (t = 0; t < T_COUNT; t++) {
        rc = load_table(c, data_dir, t, err);
        if (rc != CG_OK)
            break;
    }
    if (rc == CG_ENOTFOUND) {
        /* Usually the data directory itself is wrong: say how to name the right one. */
        char msg[CG_ERR_MSG_MAX];

        cg_strlcpy(msg, err != NULL ? err->msg : "", sizeof(msg));
        CG_ERR_SET(err, CG_ENOTFOUND,
                   "%s (data directory %s: set [general] data_dir or the environment variable "
                   "CEBGATE_DATADIR to the folder holding the code tables and xsd/)",
                   msg, data_dir);
    }
    if (rc != CG_OK) {
        cg_codes_free(c);
        return rc;
    }
    *out = c;
    return CG_OK;
}

void cg_codes_free(struct cg_codes *c)
{
    int t;

    if (c == NULL)
        return;
    cg_map_clear(&c->currency, free);
    cg_map_clear(&c->country, free);
    cg_map_clear(&c->currency_iso, free);
    cg_map_clear(&c->country_iso, free);
    for (t = 0; t < T_COUNT; t++)
        cg_map_clear(&c->known[t], NULL);
    free(c);
}

/* Upper-case copy of a short code. */
static void upper(const char *s, char *buf, size_t size)
{
    size_t i;

    for (i = 0; s[i] != '\0' && i + 1 < size; i++)
        buf[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' + 'A' : s[i]);
    buf[i] = '\0';
}

const char *cg_codes_currency(const struct cg_codes *c, const char *iso)
{
    char k[8];

    if (iso == NULL || strlen(iso) != 3)
        return NULL;
    upper(iso, k, sizeof(k));
    return cg_map_get(&c->currency, k);
}

const char *cg_codes_country(const struct cg_codes *c, const char *iso2)
{
    char k[8];

    if (iso2 == NULL || strlen(iso2) != 2)
        return NULL;
    upper(iso2, k, sizeof(k));
    return cg_map_get(&c->country, k);
}

const char *cg_codes_currency_iso(const struct cg_codes *c, const char *code)
{
    return code != NULL ? cg_map_get(&c->currency_iso, code) : NULL;
}

const char *cg_codes_country_iso(const struct cg_codes *c, const char *code)
{
    return code != NULL ? cg_map_get(&c->country_iso, code) : NULL;
}

bool cg_codes_known(const struct cg_codes *c, const char *table, const char *code)
{
    int t;

    if (table == NULL || code == NULL)
        return false;
    for (t = 0; t < T_COUNT; t++) {
        if (strcmp(table, table_names[t]) == 0)
            return cg_map_get(&c->known[t], code) != NULL;
    }
    return false;
}
