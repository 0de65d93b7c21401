/*
 * fuzz-common.c - set-up shared by the libFuzzer targets: libraries, scratch directory, order
 * readers.
 *
 * The scratch directory is made once per process under $TMPDIR and removed by an atexit
 * handler. Any set-up failure aborts: a fuzz target that cannot start must not report success.
 */
#include "config.h"

#define _XOPEN_SOURCE_EXTENDED 1
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/init.h"
#include "core/log.h"
#include "declare/declare.h"
#include "mapping/mapping.h"
#include "port/port.h"
#include "spool/spool.h"
#include "tests/fuzz/fuzz-common.h"

static char scratch[256];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void cleanup(void)
{
    if (scratch[0] != '\0')
        nftw(scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void cg_fuzz_init(void)
{
    struct cg_err err;
    const char *tmp = getenv("TMPDIR");

    if (scratch[0] != '\0')
        return;
    if (getenv("CEBGATE_DATADIR") == NULL)
        setenv("CEBGATE_DATADIR", CG_FUZZ_SRCDIR "/data", 1);
    snprintf(scratch, sizeof(scratch), "%s/cg-fuzz.XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(scratch) == NULL)
        abort();
    atexit(cleanup);
    /* The configuration keys of every module, as cebgate registers them at start-up. */
    if (cg_conf_register(cg_mapping_conf_keys) != CG_OK ||
        cg_conf_register(cg_declare_conf_keys) != CG_OK ||
        cg_conf_register(cg_spool_conf_keys) != CG_OK ||
        cg_conf_register(cg_port_conf_keys) != CG_OK)
        abort();
    if (cg_lib_init(&err) != CG_OK) {
        fprintf(stderr, "cg_lib_init: %s\n", err.msg);
        abort();
    }
    cg_log_set_level(CG_LOG_ERROR);
    cg_log_set_stream(fopen("/dev/null", "w"));
}

const char *cg_fuzz_dir(void)
{
    return scratch;
}

const char *cg_fuzz_write(const char *name, const uint8_t *data, size_t size)
{
    static char path[512];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", scratch, name);
    fp = fopen(path, "wb");
    if (fp == NULL || (size > 0 && fwrite(data, 1, size, fp) != size) || fclose(fp) != 0)
        abort();
    return path;
}

struct cg_conf *cg_fuzz_conf(void)
{
    struct cg_conf *conf = NULL;
    struct cg_err err;

    if (cg_conf_new_defaults(scratch, &conf, &err) != CG_OK) {
        fprintf(stderr, "cg_conf_new_defaults: %s\n", err.msg);
        abort();
    }
    return conf;
}

const char *cg_fuzz_testdata(const char *rel)
{
    static char path[512];

    snprintf(path, sizeof(path), "%s/tests/data/%s", CG_FUZZ_SRCDIR, rel);
    return path;
}

/* One context per profile and encoding, made at the first call and kept. */
struct ctx {
    char key[64];
    struct cg_conf *conf;
    struct cg_seller *seller;
    struct cg_codes *codes;
    struct cg_map_ctx *map;
};

void cg_fuzz_seller(const char *const *kv, struct cg_conf **conf, struct cg_seller **seller,
                    struct cg_codes **codes)
{
    struct cg_err err;
    char *data_dir;
    size_t i;

    *conf = cg_fuzz_conf();
    for (i = 0; kv[i] != NULL; i += 2) {
        int enc = strcmp(kv[i], "encoding") == 0;

        if (cg_conf_set(*conf, enc ? "mapping" : "seller", kv[i], kv[i + 1], &err) != CG_OK)
            goto fail;
    }
    data_dir = cg_conf_data_dir(*conf);
    if (data_dir == NULL || cg_codes_load(data_dir, codes, &err) != CG_OK)
        goto fail;
    free(data_dir);
    if (cg_seller_load(*conf, NULL, seller, &err) != CG_OK)
        goto fail;
    return;
fail:
    fprintf(stderr, "seller set-up: %s\n", err.msg);
    abort();
}

static struct ctx *ctx_get(const char *profile, const char *encoding)
{
    static struct ctx c;
    struct cg_err err;
    char catalog[512], shipments[512];
    const char *kv[] = {"catalog", catalog,    "shipments", shipments, "profile",
                        profile,   "encoding", encoding,    NULL};

    if (c.map != NULL)
        return &c;
    snprintf(catalog, sizeof(catalog), "%s", cg_fuzz_testdata("mapping/catalog.csv"));
    snprintf(shipments, sizeof(shipments), "%s", cg_fuzz_testdata("mapping/shipments.csv"));
    cg_fuzz_seller(kv, &c.conf, &c.seller, &c.codes);
    if (cg_map_ctx_new(c.conf, c.seller, c.codes, &c.map, &err) != CG_OK) {
        fprintf(stderr, "order reader set-up: %s\n", err.msg);
        abort();
    }
    return &c;
}

/* The data as a file open at its start; aborts when it cannot be made. */
static int data_fd(const uint8_t *data, size_t size)
{
    int fd = memfd_create("orders", 0);

    if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size) ||
        lseek(fd, 0, SEEK_SET) != 0)
        abort();
    return fd;
}

/*
 * Every order of the data, read as `map` reads it (rows apart: the first group is the order) and
 * as `run` reads it (a first pass over the order numbers, then rows apart reject the order
 * whole). Each order run takes must be one map gives, byte for byte in its canonical form: the
 * first pass may only hold orders back, never change or invent one.
 */
void cg_fuzz_orders(const char *profile, const char *encoding, const uint8_t *data, size_t size)
{
    enum { MAX_KEPT = 512 };
    struct ctx *c;
    struct cg_reader *r = NULL;
    struct cg_err err;
    char *kept[MAX_KEPT];
    size_t nkept = 0, i;
    bool all_kept = true;
    int pass, rc;

    cg_fuzz_init();
    c = ctx_get(profile, encoding);
    for (pass = 0; pass < 2; pass++) {
        rc = pass == 0 ? cg_reader_open_fd(c->map, data_fd(data, size), "orders.csv", &r, &err)
                       : cg_reader_open_whole(c->map, data_fd(data, size), "orders.csv", &r, &err);
        if (rc != CG_OK)
            continue;
        for (;;) {
            struct cg_order *o = NULL;
            char *canon;

            rc = cg_reader_next(r, &o, &err);
            if (rc == CG_EREJECT)
                continue;
            if (rc != CG_OK)
                break;
            free(cg_order_to_json(o));
            canon = cg_order_canonical(o);
            cg_order_free(o);
            if (canon == NULL)
                continue;
            if (pass == 0 && nkept < MAX_KEPT) {
                kept[nkept++] = canon;
                continue;
            }
            if (pass == 0) {
                all_kept = false;
            } else if (all_kept) {
                for (i = 0; i < nkept && strcmp(kept[i], canon) != 0; i++)
                    ;
                if (i == nkept) {
                    fprintf(stderr, "run took an order map did not give:\n%s\n", canon);
                    abort();
                }
            }
            free(canon);
        }
        cg_reader_close(r);
        r = NULL;
    }
    for (i = 0; i < nkept; i++)
        free(kept[i]);
}

long cg_fuzz_problems;

void cg_fuzz_problem(void *ctx, const char *text)
{
    (void)ctx;
    if (text == NULL || text[0] == '\0') {
        fprintf(stderr, "an empty problem text\n");
        abort();
    }
    cg_fuzz_problems++;
}

void cg_fuzz_import_check(int rc, long reported, const char *msg)
{
    long seen = cg_fuzz_problems;

    cg_fuzz_problems = 0;
    if (rc == CG_OK && (seen > 0 || reported > 0)) {
        fprintf(stderr, "accepted with %ld problems\n", seen);
        abort();
    }
    if (rc == CG_EREJECT && reported > 0 && seen != reported) {
        fprintf(stderr, "%ld problems counted, %ld reported\n", reported, seen);
        abort();
    }
    if (rc != CG_OK && msg[0] == '\0' && seen == 0) {
        fprintf(stderr, "refused (rc %d) without a word\n", rc);
        abort();
    }
}

uint8_t *cg_fuzz_with_line_end(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size + 1);

    if (copy == NULL)
        abort();
    if (size > 0)
        memcpy(copy, data, size);
    copy[size] = '\n';
    return copy;
}
