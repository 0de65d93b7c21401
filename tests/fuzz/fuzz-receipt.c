/*
 * fuzz-receipt.c - libFuzzer target: receipt parsing, every type, bare and inside a DXP
 * envelope (the envelope is opened first, as the sender does with what the port returns).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "declare/declare.h"
#include "tests/fuzz/fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_receipt(xmlDocPtr doc)
{
    struct cg_receipt_event *ev = NULL;
    struct cg_err err;
    size_t n = 0;

    (void)cg_msg_type_of(doc);
    if (cg_receipt_parse(doc, &ev, &n, &err) == CG_OK)
        cg_receipt_events_free(ev, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xmlDocPtr doc = NULL, inner = NULL;
    struct cg_err err;
    char *xml = NULL;
    size_t len = 0;

    cg_fuzz_init();
    if (cg_xml_parse((const char *)data, size, "receipt.xml", &doc, &err) != CG_OK)
        return 0;
    if (cg_dxp_unwrap(doc, &xml, &len, &err) == CG_OK) {
        if (cg_xml_parse(xml, len, "receipt.xml", &inner, &err) == CG_OK) {
            parse_receipt(inner);
            xmlFreeDoc(inner);
        }
        free(xml);
    } else {
        parse_receipt(doc);
    }
    xmlFreeDoc(doc);
    return 0;
}
