/*
 * fuzz-conf.c - libFuzzer target: the configuration reader (cebgate.ini) and the seller
 * profiles read from it.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/conf.h"
#include "mapping/mapping.h"
#include "tests/fuzz/fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int each_seller(const char *name, void *arg)
{
    struct cg_seller *s = NULL;
    struct cg_err err;

    if (cg_seller_load(arg, name, &s, &err) == CG_OK)
        cg_seller_free(s);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *null;
    struct cg_conf *conf = NULL;
    struct cg_err err;
    const char *path;

    cg_fuzz_init();
    if (null == NULL)
        null = fopen("/dev/null", "w");
    path = cg_fuzz_write("cebgate.ini", data, size);
    if (cg_conf_load(path, &conf, &err) != CG_OK)
        return 0;
    each_seller(NULL, conf);
    cg_conf_each_named(conf, "seller", each_seller, conf);
    cg_conf_dump(conf, null);
    cg_conf_free(conf);
    return 0;
}
