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

void cg_fuzz_orders(const char *profile, const char *encoding, const uint8_t *data, size_t size)
{
    struct ctx *c;
    struct cg_reader *r = NULL;
    struct cg_err err;
    int fd, rc;

    cg_fuzz_init();
    c = ctx_get(profile, encoding);
    fd = memfd_create("orders", 0);
    if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size) ||
        lseek(fd, 0, SEEK_SET) != 0)
        abort();
    if (cg_reader_open_fd(c->map, fd, "orders.csv", &r, &err) != CG_OK)
        return;
    for (;;) {
        struct cg_order *o = NULL;

        rc = cg_reader_next(r, &o, &err);
        if (rc == CG_OK) {
            free(cg_order_to_json(o));
            free(cg_order_canonical(o));
            cg_order_free(o);
        } else if (rc != CG_EREJECT) {
            break;
        }
    }
    cg_reader_close(r);
}
