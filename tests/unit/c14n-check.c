/*
 * c14n-check.c - test helper: cg_c14n_fast() (declare/declare-c14n.c) against libxml2's own
 * canonicalizer. The reference bytes come from xmlC14NDocDumpMemory with no node set (the whole
 * document) or with the node set an XPath expression selects (a subtree with its namespace
 * nodes), the way XML-DSig defines both; a difference is printed on stderr and returned as
 * CG_ERR for the caller to fail on. The same for cg_xml_save_fast() (declare/declare-save.c)
 * against xmlDocDumpMemoryEnc.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * rc of cg_c14n_fast(top), or CG_ERR when it wrote bytes other than ref (len bytes); len -1:
 * libxml2 failed, -2: libxml2 refuses the whole document (nothing to compare).
 */
static int compare(const xmlNode *top, const xmlChar *ref, int len, const char *what)
{
    struct cg_buf b;
    int rc;

    cg_buf_init(&b, 16u << 20);
    rc = cg_c14n_fast(top, to_buf, &b);
    if (rc == CG_OK && len == -1) {
        fprintf(stderr, "%s: libxml2 cannot canonicalize what cg_c14n_fast wrote\n", what);
        rc = CG_ERR;
    } else if (rc == CG_OK && len >= 0 &&
               (b.len != (size_t)len || memcmp(b.data, ref, b.len) != 0)) {
        fprintf(stderr, "%s: canonical forms differ\nlibxml2:      %.*s\ncg_c14n_fast: %.*s\n",
                what, len, (const char *)ref, (int)b.len, b.data);
        rc = CG_ERR;
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
    xmlChar *ref = NULL, *whole = NULL;
    char what[200];
    int len, rc;

    if (x == NULL)
        return CG_ENOMEM;
    x->node = e;
    set = xmlXPathEvalExpression(CG_XC("(.//. | .//@* | .//namespace::*)"), x);
    if (set == NULL) {
        xmlXPathFreeContext(x);
        return CG_ENOMEM;
    }
    len = xmlC14NDocDumpMemory(e->doc, set->nodesetval, XML_C14N_1_0, NULL, 0, &ref);
    /*
     * For a node set libxml2 walks the whole document and gives up on any element with a
     * relative or malformed namespace URI, even outside the set. Signing never gets that far:
     * the document's own digest fails first. Then there is nothing to compare with.
     */
    if (len < 0 && xmlC14NDocDumpMemory(e->doc, NULL, XML_C14N_1_0, NULL, 0, &whole) < 0)
        len = -2;
    snprintf(what, sizeof(what), "subtree %s (line %ld)", (const char *)e->name, xmlGetLineNo(e));
    rc = compare(e, ref, len, what);
    xmlFree(ref);
    xmlFree(whole);
    xmlXPathFreeObject(set);
    xmlXPathFreeContext(x);
    return rc;
}

int save_check_doc(xmlDocPtr doc)
{
    xmlChar *ref = NULL;
    int len = 0, rc;
    struct cg_buf b;
    struct cg_err err;
    char *ser = NULL;
    size_t ser_len = 0;

    xmlDocDumpMemoryEnc(doc, &ref, &len, "UTF-8");
    if (ref == NULL)
        return CG_ENOMEM;
    cg_buf_init(&b, 16u << 20);
    rc = cg_xml_save_fast(doc, &b);
    if (rc == CG_OK && (b.len != (size_t)len || memcmp(b.data, ref, b.len) != 0)) {
        fprintf(stderr, "serialized forms differ\nlibxml2:          %.*s\ncg_xml_save_fast: %.*s\n",
                len, (const char *)ref, (int)b.len, b.data);
        rc = CG_ERR;
    }
    if (rc != CG_ERR && (cg_xml_serialize(doc, &ser, &ser_len, &err) != CG_OK ||
                         ser_len != (size_t)len || memcmp(ser, ref, ser_len) != 0)) {
        fprintf(stderr, "cg_xml_serialize differs from libxml2\n");
        rc = CG_ERR;
    }
    free(ser);
    cg_buf_free(&b);
    xmlFree(ref);
    return rc;
}
