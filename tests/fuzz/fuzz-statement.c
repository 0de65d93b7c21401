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

static long problems_seen;

static void problem(void *ctx, const char *text)
{
    (void)ctx;
    if (text == NULL || text[0] == '\0') {
        fprintf(stderr, "an empty problem text\n");
        abort();
    }
    problems_seen++;
}

/* Import; returns the rc. A refusal must have said why, an acceptance must have no problem. */
static int import(struct cg_settle *s, const char *data, size_t len, struct cg_settle_import *res)
{
    struct cg_err err;
    int rc;

    problems_seen = 0;
    cg_err_clear(&err);
    rc = cg_settle_import(s, "", "fuzz.sta", data, len, problem, NULL, res, &err);
    if (rc == CG_OK && (problems_seen > 0 || res->problems > 0)) {
        fprintf(stderr, "accepted with %ld problems\n", problems_seen);
        abort();
    }
    if (rc == CG_EREJECT && res->problems > 0 && problems_seen != res->problems) {
        fprintf(stderr, "%ld problems counted, %ld reported\n", res->problems, problems_seen);
        abort();
    }
    if (rc != CG_OK && err.msg[0] == '\0' && problems_seen == 0) {
        fprintf(stderr, "refused (rc %d) without a word\n", rc);
        abort();
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cg_settle *s;
    struct cg_settle_import first, again;
    char *copy;

    cg_fuzz_init();
    s = settle_get();
    if (import(s, (const char *)data, size, &first) != CG_OK || first.duplicate)
        return 0;
    copy = malloc(size + 1);
    if (copy == NULL)
        abort();
    if (size > 0)
        memcpy(copy, data, size);
    copy[size] = '\n';
    if (import(s, copy, size + 1, &again) == CG_OK && !again.duplicate && again.added != 0) {
        fprintf(stderr, "the same entries again recorded %ld new receipts (first: %ld of %ld)\n",
                again.added, first.added, first.entries);
        abort();
    }
    free(copy);
    return 0;
}
