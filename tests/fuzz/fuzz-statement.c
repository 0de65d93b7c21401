/*
 * fuzz-statement.c - libFuzzer target: importing a bank statement or collections file (camt.053
 * and camt.054, MT940, the collections CSV, a payout report of the shipped payout profile) into
 * a real database in the scratch directory, as `cebgate settle import` does: kind sniffed from
 * the bytes, every entry checked, recorded all or nothing, then matched.
 *
 * Besides ASan and UBSan, it aborts when an import breaks what its result promises:
 *   - a refusal for the file's own data names at least one problem, and each problem text is
 *     not empty;
 *   - an accepted file had no problem;
 *   - the same entries again (the file with a line end added, so not the same file by its
 *     SHA-256) record nothing new: the money of an entry counts once.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settle/settle.h"
#include "store/store.h"
#include "tests/fuzz/fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cg_settle *settle_get(void)
{
    static struct cg_settle *s;
    static struct cg_store *db;
    static struct cg_conf *conf;
    struct cg_err err;
    char path[600];

    if (s != NULL)
        return s;
    if (cg_conf_register(cg_settle_conf_keys) != CG_OK)
        abort();
    conf = cg_fuzz_conf();
    snprintf(path, sizeof(path), "%s/settle.db", cg_fuzz_dir());
    if (cg_store_open(path, &db, &err) != CG_OK || cg_settle_new(conf, db, &s, &err) != CG_OK ||
        cg_settle_set_today(s, "2026-12-01", &err) != CG_OK) {
        fprintf(stderr, "settle set-up: %s\n", err.msg);
        abort();
    }
    return s; /* conf stays: the settle context reads it */
}

/* Import; returns the rc. A refusal must have said why, an acceptance must have no problem. */
static int import(struct cg_settle *s, const char *data, size_t len, struct cg_settle_import *res)
{
    struct cg_err err;
    int rc;

    cg_err_clear(&err);
    cg_fuzz_problems = 0;
    rc = cg_settle_import(s, "", "fuzz.sta", data, len, cg_fuzz_problem, NULL, res, &err);
    cg_fuzz_import_check(rc, res->problems, err.msg);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cg_settle *s;
    struct cg_settle_import first, again;
    uint8_t *copy;

    cg_fuzz_init();
    s = settle_get();
    if (import(s, (const char *)data, size, &first) != CG_OK || first.duplicate)
        return 0;
    copy = cg_fuzz_with_line_end(data, size);
    if (import(s, (const char *)copy, size + 1, &again) == CG_OK && !again.duplicate &&
        again.added != 0) {
        fprintf(stderr, "the same entries again recorded %ld new receipts (first: %ld of %ld)\n",
                again.added, first.added, first.entries);
        abort();
    }
    free(copy);
    return 0;
}
