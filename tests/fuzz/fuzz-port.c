/*
 * fuzz-port.c - libFuzzer target: the port's request handling without the network. The input
 * is the body of a POST from the one configured sender; cg_port_submit() checks and stores it
 * in a real database (in the scratch directory) and the answer is rendered as the JSON the HTTP
 * API sends. Receipts that fall due are published and the receipts page is built, as
 * GET /receipts would.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "port/port.h"
#include "tests/fuzz/fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SENDER_CODES "1105910159, 3301960000, 3301960001, 3301980002, 3120980105"

static struct cg_port *port_get(void)
{
    static struct cg_port *p;
    struct cg_conf *conf;
    struct cg_err err;
    const char *token;

    if (p != NULL)
        return p;
    conf = cg_fuzz_conf();
    /* one sender, known by its token, declaring for the codes of the seed corpus (the official
     * samples and the test seller) */
    token = cg_fuzz_write("sender.token", (const uint8_t *)"fuzz-sender-token-0123456789", 28);
    if (cg_conf_set(conf, "sender.fuzz", "token_file", token, &err) != CG_OK ||
        cg_conf_set(conf, "sender.fuzz", "codes", SENDER_CODES, &err) != CG_OK ||
        cg_conf_set(conf, "port", "require_signature", "no", &err) != CG_OK ||
        cg_conf_set(conf, "port", "accept_ms", "0", &err) != CG_OK ||
        cg_conf_set(conf, "port", "release_ms", "0", &err) != CG_OK ||
        cg_conf_set(conf, "port", "close_ms", "0", &err) != CG_OK ||
        cg_port_new(conf, &p, &err) != CG_OK) {
        fprintf(stderr, "port set-up: %s\n", err.msg);
        abort();
    }
    cg_conf_free(conf);
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int64_t since;
    struct cg_port *p;
    struct cg_port_result res;
    struct cg_err err;
    char *json = NULL;
    size_t n = 0;

    cg_fuzz_init();
    p = port_get();
    (void)cg_port_submit(p, "fuzz", (const char *)data, size, "127.0.0.1", &res);
    if (cg_port_result_json(&res, &json, &err) == CG_OK)
        free(json);
    json = NULL;
    if (res.ndocs > 0 && cg_port_release_due(p, INT64_MAX / 2, &n, &err) == CG_OK && n > 0 &&
        cg_port_receipts_json(p, "fuzz", since, 100, &json, &err) == CG_OK) {
        since += (int64_t)n;
        free(json);
    }
    return 0;
}
