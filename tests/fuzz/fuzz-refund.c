/*
 * fuzz-refund.c - libFuzzer target: importing a refund file (customs declaration items, the
 * refund-rate table, purchase invoices, the tax office's results; the kind told by its header
 * line) into a real database in the scratch directory, as `cebgate refund entries|rates|
 * invoices|results` and the intake of `cebgate run` do: every row checked, recorded all or
 * nothing, invoices then matched.
 *
 * Besides ASan and UBSan, it aborts when an import breaks what its result promises:
 *   - a refusal names at least one problem or says why, and each problem text is not empty;
 *   - the count of bad rows is that of the rows the problems name (a row with several bad
 *     fields is one bad row);
 *   - an accepted file had no problem;
 *   - the same rows again (the file with a line end added, so not the same file by its
 *     SHA-256) record nothing new.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refund/refund.h"
#include "store/store.h"
#include "tests/fuzz/fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cg_refund *refund_get(void)
{
    static struct cg_refund *r;
    static struct cg_store *db;
    static struct cg_conf *conf;
    struct cg_err err;
    char path[600];

    if (r != NULL)
        return r;
    if (cg_conf_register(cg_refund_conf_keys) != CG_OK)
        abort();
    conf = cg_fuzz_conf();
    snprintf(path, sizeof(path), "%s/refund.db", cg_fuzz_dir());
    if (cg_store_open(path, &db, &err) != CG_OK || cg_refund_new(conf, db, &r, &err) != CG_OK ||
        cg_refund_set_today(r, "2025-06-01", &err) != CG_OK) {
        fprintf(stderr, "refund set-up: %s\n", err.msg);
        abort();
    }
    return r; /* conf stays: the refund context reads it */
}

/* The "PATH:LINE" of the last problem: each row's problems come together, so a change of it
 * is one more bad row. */
static char last_row[700];

/* A problem: its text checked by cg_fuzz_problem, which counts each bad row once. */
static void row_problem(void *ctx, const char *text)
{
    const char *f = text != NULL ? strstr(text, ": field ") : NULL;
    size_t n = f != NULL ? (size_t)(f - text) : 0;

    if (f != NULL && n < sizeof(last_row) && strlen(last_row) == n &&
        strncmp(last_row, text, n) == 0)
        return;
    cg_fuzz_problem(ctx, text);
    if (f != NULL && n < sizeof(last_row)) {
        memcpy(last_row, text, n);
        last_row[n] = '\0';
    }
}

static int import(struct cg_refund *r, const uint8_t *data, size_t len,
                  struct cg_refund_import *res)
{
    struct cg_err err;
    const char *path = cg_fuzz_write("refund.csv", data, len);
    int rc;

    cg_err_clear(&err);
    memset(res, 0, sizeof(*res));
    cg_fuzz_problems = 0;
    last_row[0] = '\0';
    rc = cg_refund_import(r, CG_RF_NONE, path, row_problem, NULL, res, &err);
    cg_fuzz_import_check(rc, res->problems, err.msg);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cg_refund *r;
    struct cg_refund_import first, again;
    uint8_t *copy;

    cg_fuzz_init();
    r = refund_get();
    if (import(r, data, size, &first) != CG_OK || first.duplicate)
        return 0;
    copy = cg_fuzz_with_line_end(data, size);
    if (import(r, copy, size + 1, &again) == CG_OK && !again.duplicate && again.added != 0) {
        fprintf(stderr, "the same rows again recorded %ld new (first: %ld of %ld rows)\n",
                again.added, first.added, first.rows);
        abort();
    }
    free(copy);
    return 0;
}
