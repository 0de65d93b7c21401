/*
 * fuzz-verify.c - libFuzzer target: signature verification of arbitrary input, against the
 * certificate the message carries and against a trust store (the certificate of the signed
 * seeds, from $CG_FUZZ_TRUST when set).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "declare/declare.h"
#include "tests/fuzz/fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct cg_trust *trust;
    static int loaded;
    struct cg_sig_info info;
    xmlDocPtr doc = NULL;
    struct cg_err err;

    cg_fuzz_init();
    if (!loaded) {
        const char *pem = getenv("CG_FUZZ_TRUST");

        loaded = 1;
        if (pem != NULL && *pem != '\0' &&
            (cg_trust_new(&trust, &err) != CG_OK || cg_trust_add_file(trust, pem, &err) != CG_OK))
            abort();
    }
    if (cg_xml_parse((const char *)data, size, "signed.xml", &doc, &err) != CG_OK)
        return 0;
    (void)cg_verify_info(doc, NULL, &info, &err);
    if (trust != NULL)
        (void)cg_verify(doc, trust, &err);
    xmlFreeDoc(doc);
    return 0;
}
