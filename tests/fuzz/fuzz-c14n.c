/*
 * fuzz-c14n.c - libFuzzer target: the inclusive C14N that signing writes itself
 * (declare/declare-c14n.c) against libxml2's for any document cg_xml_parse() accepts, whole
 * and with each of the first elements as the apex of a subtree (as SignedInfo is). The writer
 * must either leave the tree to libxml2 (CG_EUNSUPPORTED) or write exactly libxml2's bytes; a
 * difference aborts with both forms on stderr (tests/unit/c14n-check.c). The same for the
 * serialized form (declare/declare-save.c against xmlDocDumpMemoryEnc), and for the C14N read
 * from the bytes themselves (cg_c14n_bytes, which `cebgate sign` uses) for any input.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/err.h"
#include "declare/declare.h"
#include "tests/fuzz/fuzz-common.h"
#include "tests/unit/c14n-check.h"

/* Subtrees compared per input: each costs an XPath node set and a libxml2 C14N. */
#define MAX_SUBTREES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void subtrees(xmlNodePtr e, int *left)
{
    for (; e != NULL && *left > 0; e = e->next) {
        if (e->type != XML_ELEMENT_NODE)
            continue;
        (*left)--;
        if (c14n_check_subtree(e) == CG_ERR)
            abort();
        subtrees(e->children, left);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xmlDocPtr doc = NULL;
    struct cg_err err;
    int left = MAX_SUBTREES;

    cg_fuzz_init();
    if (c14n_check_bytes((const char *)data, size) == CG_ERR)
        abort();
    if (cg_xml_parse((const char *)data, size, "c14n.xml", &doc, &err) != CG_OK)
        return 0;
    if (c14n_check_doc(doc) == CG_ERR || save_check_doc(doc) == CG_ERR)
        abort();
    subtrees(xmlDocGetRootElement(doc), &left);
    xmlFreeDoc(doc);
    return 0;
}
