/*
 * fuzz-catalog.c - libFuzzer targets for the files a mapping context loads: the catalogue
 * (fuzz-catalog), the shipments file (fuzz-shipments, built with CG_FUZZ_SHIPMENTS) and a
 * shop-export profile (fuzz-profile, built with CG_FUZZ_PROFILE).
 *
 * The input is written as that file of the seller and a mapping context is made from it, as
 * `cebgate map` does before reading orders.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mapping/mapping.h"
#include "tests/fuzz/fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#if defined(CG_FUZZ_SHIPMENTS)
#define CG_FUZZ_KEY "shipments"
#define CG_FUZZ_NAME "input.csv"
#define CG_FUZZ_OTHER "catalog"
#define CG_FUZZ_OTHER_FILE "mapping/catalog.csv"
#elif defined(CG_FUZZ_PROFILE)
#define CG_FUZZ_KEY "profile"
#define CG_FUZZ_NAME "shop.ini"
#define CG_FUZZ_OTHER "catalog"
#define CG_FUZZ_OTHER_FILE "mapping/catalog.csv"
#else
#define CG_FUZZ_KEY "catalog"
#define CG_FUZZ_NAME "input.csv"
#define CG_FUZZ_OTHER "shipments"
#define CG_FUZZ_OTHER_FILE "mapping/shipments.csv"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct cg_conf *conf;
    static struct cg_seller *seller;
    static struct cg_codes *codes;
    struct cg_map_ctx *m = NULL;
    struct cg_err err;

    cg_fuzz_init();
    if (conf == NULL) {
        char input[512], other[512];
        const char *kv[] = {CG_FUZZ_KEY, input, CG_FUZZ_OTHER, other, NULL};

        snprintf(input, sizeof(input), "%s", cg_fuzz_write(CG_FUZZ_NAME, data, 0));
        snprintf(other, sizeof(other), "%s", cg_fuzz_testdata(CG_FUZZ_OTHER_FILE));
        cg_fuzz_seller(kv, &conf, &seller, &codes);
    }
    cg_fuzz_write(CG_FUZZ_NAME, data, size);
    if (cg_map_ctx_new(conf, seller, codes, &m, &err) == CG_OK)
        cg_map_ctx_free(m);
    return 0;
}
