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

/*
 * libxml2's C14N of the subtree of e, given the node set XML-DSig uses for it: (.//. | .//@* |
 * .//namespace::*) from e. Its length with the bytes in *ref, -1 when libxml2 fails, NO_SET when
 * the node set cannot be made.
 */
#define NO_SET (-3)
static int libxml2_subtree(xmlNodePtr e, xmlChar **ref)
{
    xmlXPathContextPtr x = xmlXPathNewContext(e->doc);
    xmlXPathObjectPtr set = NULL;
    int len = NO_SET;

    *ref = NULL;
    if (x != NULL) {
        x->node = e;
        set = xmlXPathEvalExpression(CG_XC("(.//. | .//@* | .//namespace::*)"), x);
    }
    if (set != NULL)
        len = xmlC14NDocDumpMemory(e->doc, set->nodesetval, XML_C14N_1_0, NULL, 0, ref);
    xmlXPathFreeObject(set);
    xmlXPathFreeContext(x);
    return len;
}

int c14n_check_subtree(xmlNodePtr e)
{
    xmlChar *ref = NULL, *whole = NULL;
    char what[200];
    int len = libxml2_subtree(e, &ref), rc;

    if (len == NO_SET)
        return CG_ENOMEM;
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

/* The C14N form of the ds:SignedInfo of a ds:Signature appended to doc's root, by libxml2. */
static int apex_ref(xmlDocPtr doc, struct cg_buf *out)
{
    xmlNodePtr root = xmlDocGetRootElement(doc), sig, si;
    xmlNsPtr ds;
    xmlChar *ref = NULL;
    int len, rc = CG_ENOMEM;

    sig = xmlNewDocNode(doc, NULL, CG_XC("Signature"), NULL);
    if (sig == NULL || xmlAddChild(root, sig) == NULL)
        return CG_ENOMEM;
    ds = xmlNewNs(sig, CG_XC("http://www.w3.org/2000/09/xmldsig#"), CG_XC("ds"));
    xmlSetNs(sig, ds);
    si = xmlNewChild(sig, ds, CG_XC("SignedInfo"), NULL);
    if (si != NULL && (len = libxml2_subtree(si, &ref)) != NO_SET)
        rc = len > 0 && cg_buf_add(out, ref, (size_t)len) == CG_OK ? CG_OK : CG_ERR;
    xmlFree(ref);
    xmlUnlinkNode(sig);
    xmlFreeNode(sig);
    return rc;
}

int c14n_check_bytes(const char *xml, size_t len)
{
    struct cg_buf b, ns, want, probe;
    struct cg_c14n_env env = {0, &ns};
    struct cg_err err;
    xmlDocPtr doc = NULL, pdoc = NULL;
    xmlChar *ref = NULL;
    xmlNodePtr last;
    int rlen = -1, rc;

    cg_buf_init(&b, 16u << 20);
    cg_buf_init(&ns, 1u << 20);
    cg_buf_init(&want, 1u << 20);
    cg_buf_init(&probe, 80u << 20);
    rc = cg_c14n_bytes(xml, len, to_buf, &b, &env);
    if (rc != CG_OK)
        goto done;
    if (cg_xml_parse(xml, len, "bytes.xml", &doc, &err) != CG_OK) {
        fprintf(stderr, "cg_c14n_bytes wrote a document cg_xml_parse refuses: %s\n", err.msg);
        rc = CG_ERR;
        goto done;
    }
    rlen = xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 0, &ref);
    if (rlen < 0 || b.len != (size_t)rlen || memcmp(b.data, ref, b.len) != 0) {
        fprintf(stderr, "canonical forms differ\nlibxml2:       %.*s\ncg_c14n_bytes: %.*s\n", rlen,
                ref != NULL ? (const char *)ref : "", (int)b.len, b.data);
        rc = CG_ERR;
        goto done;
    }
    /* what SignedInfo inherits: libxml2's rendering of a ds:SignedInfo appended to the root */
    cg_buf_reset(&b);
    if (cg_buf_addf(&want, "<ds:SignedInfo%s></ds:SignedInfo>", cg_buf_str(&ns)) != CG_OK ||
        apex_ref(doc, &b) != CG_OK || b.len != want.len || memcmp(b.data, want.data, b.len) != 0) {
        fprintf(stderr, "SignedInfo's namespaces differ\nlibxml2:       %.*s\ncg_c14n_bytes: %s\n",
                (int)b.len, b.data, cg_buf_str(&want));
        rc = CG_ERR;
        goto done;
    }
    /* an element inserted at root_end becomes the root's last child */
    if (env.root_end >= len || cg_buf_add(&probe, xml, env.root_end) != CG_OK ||
        cg_buf_adds(&probe, "<cg-probe/>") != CG_OK ||
        cg_buf_add(&probe, xml + env.root_end, len - env.root_end) != CG_OK ||
        cg_xml_parse(probe.data, probe.len, "probe.xml", &pdoc, &err) != CG_OK ||
        (last = xmlDocGetRootElement(pdoc)->last) == NULL || last->type != XML_ELEMENT_NODE ||
        !xmlStrEqual(last->name, CG_XC("cg-probe"))) {
        fprintf(stderr, "root_end %zu is not where the root's end tag begins\n", env.root_end);
        rc = CG_ERR;
    }
done:
    xmlFree(ref);
    xmlFreeDoc(doc);
    xmlFreeDoc(pdoc);
    cg_buf_free(&b);
    cg_buf_free(&ns);
    cg_buf_free(&want);
    cg_buf_free(&probe);
    return rc;
}
