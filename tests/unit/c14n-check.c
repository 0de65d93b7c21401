/*
 * c14n-check.c - test helper: cg_c14n_fast() (declare/declare-c14n.c) against libxml2's own
 * canonicalizer. The reference bytes come from xmlC14NDocDumpMemory with no node set (the whole
 * document) or with the node set an XPath expression selects (a subtree with its namespace
 * nodes), the way XML-DSig defines both; a difference fails the calling cmocka test.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/c14n.h>
#include <libxml/xpath.h>

#include "core/buf.h"
#include "core/err.h"
#include "declare/declare-sign-int.h"
#include "tests/unit/c14n-check.h"

static int to_buf(void *ctx, const void *data, size_t len)
{
    return cg_buf_add(ctx, data, len) == CG_OK ? 0 : -1;
}

/* rc of cg_c14n_fast(top); on CG_OK its bytes are compared with ref (len bytes). */
static int compare(const xmlNode *top, const xmlChar *ref, int len, const char *what)
{
    struct cg_buf b;
    int rc;

    cg_buf_init(&b, 16u << 20);
    rc = cg_c14n_fast(top, to_buf, &b);
    if (rc == CG_OK) {
        if (len < 0)
            fail_msg("%s: libxml2 cannot canonicalize what cg_c14n_fast did", what);
        if (b.len != (size_t)len || memcmp(b.data, ref, b.len) != 0)
            fail_msg("%s: canonical forms differ\nlibxml2:      %.*s\ncg_c14n_fast: %.*s", what,
                     len, (const char *)ref, (int)b.len, b.data);
    }
    cg_buf_free(&b);
    return rc;
}

int c14n_check_doc(xmlDocPtr doc)
{
    xmlChar *ref = NULL;
    int len = xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 0, &ref);
    int rc = compare((const xmlNode *)doc, ref, len, "document");

    xmlFree(ref);
    return rc;
}

int c14n_check_subtree(xmlNodePtr e)
{
    xmlXPathContextPtr x = xmlXPathNewContext(e->doc);
    xmlXPathObjectPtr set;
    xmlChar *ref = NULL;
    char what[200];
    int len, rc;

    assert_non_null(x);
    x->node = e;
    set = xmlXPathEvalExpression(CG_XC("(.//. | .//@* | .//namespace::*)"), x);
    assert_non_null(set);
    len = xmlC14NDocDumpMemory(e->doc, set->nodesetval, XML_C14N_1_0, NULL, 0, &ref);
    snprintf(what, sizeof(what), "subtree %s (line %ld)", (const char *)e->name, xmlGetLineNo(e));
    rc = compare(e, ref, len, what);
    xmlFree(ref);
    xmlXPathFreeObject(set);
    xmlXPathFreeContext(x);
    return rc;
}
