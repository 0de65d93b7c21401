/*
 * declare-save.c - a document serialized as libxml2's xmlDocDumpMemoryEnc(doc, .., "UTF-8")
 * writes it, straight from the tree into a cg_buf.
 *
 * libxml2's serializer passes every token through an output buffer and then through the
 * UTF-8 to UTF-8 converter, a copy of the whole text; for a signed CEB message that costs a
 * good part of what signing it costs apart from the RSA or SM2 operation. This file writes the
 * same bytes for the trees cebgate builds and the usual parsed messages: a document whose only
 * child is the root element, elements with a non-empty prefix or none, text, attributes whose
 * values are text, namespace declarations. For anything else - comments, processing
 * instructions, CDATA, entity references, a DTD, nodes next to the root element, a text node
 * marked not to be escaped, a quote in the version or in a namespace URI, an attribute from
 * another document with bytes above 0x7f, more than MAX_DEPTH levels - it returns
 * CG_EUNSUPPORTED and the caller uses xmlDocDumpMemoryEnc, which stays the definition of the
 * output; tests/unit/test-c14n.c compares the two byte for byte.
 *
 * The tree is only read; the caller owns out. CG_ENOMEM when out cannot grow (it then holds
 * part of the document).
 */
#include "config.h"

#include <string.h>

#include <libxml/parserInternals.h>
#include <libxml/tree.h>

#include "core/buf.h"
#include "core/err.h"
#include "declare/declare-sign-int.h"

#define MAX_DEPTH 128

/*
 * The escapes of libxml2's serializer, indexed by byte: column 0 in text (xmlEscapeContent),
 * column 1 in attribute values (xmlBufAttrSerializeTxtContent); NULL: the byte stands for
 * itself. NUL ends the string and is marked so that the scan stops at it.
 */
static const char *const esc[256][2] = {
    [0] = {"", ""},           ['\t'] = {NULL, "&#9;"},
    ['\n'] = {NULL, "&#10;"}, ['\r'] = {"&#13;", "&#13;"},
    ['"'] = {NULL, "&quot;"}, ['&'] = {"&amp;", "&amp;"},
    ['<'] = {"&lt;", "&lt;"}, ['>'] = {"&gt;", "&gt;"},
};

struct save {
    struct cg_buf *b;
    int rc;
};

/* Appends n bytes: straight into the buffer while it has room (and its NUL), else growing it. */
static inline void put(struct save *s, const void *p, size_t n)
{
    struct cg_buf *b = s->b;

    if (b->data != NULL && n < b->cap - b->len) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
    } else if (s->rc == CG_OK && cg_buf_add(b, p, n) != CG_OK) {
        s->rc = CG_ENOMEM;
    }
}

static inline void put_s(struct save *s, const xmlChar *str)
{
    put(s, str, strlen((const char *)str));
}

static void put_escaped(struct save *s, const xmlChar *str, int attr)
{
    const xmlChar *run = str;
    const char *rep;

    for (;;) {
        while ((rep = esc[*str][attr]) == NULL)
            str++;
        put(s, run, (size_t)(str - run));
        if (*str == '\0')
            return;
        put_s(s, CG_XC(rep));
        run = ++str;
    }
}

static int has_high(const xmlChar *str)
{
    for (; *str != '\0'; str++)
        if (*str >= 0x80)
            return 1;
    return 0;
}

/* prefix:name, or name (a NULL prefix); an empty prefix is refused before this. */
static void put_qname(struct save *s, const xmlNs *ns, const xmlChar *name)
{
    if (ns != NULL && ns->prefix != NULL) {
        put_s(s, ns->prefix);
        put(s, ":", 1);
    }
    put_s(s, name);
}

/* What xmlBufWriteQuotedString writes with double quotes: refused when str has one. */
static int quoted(struct save *s, const xmlChar *str)
{
    if (strchr((const char *)str, '"') != NULL)
        return CG_EUNSUPPORTED;
    put(s, "\"", 1);
    put_s(s, str);
    put(s, "\"", 1);
    return CG_OK;
}

/* Declarations as xmlNsDumpOutput writes them: the xml prefix and NULL URIs are left out. */
static int ns_defs(struct save *s, const xmlNs *ns)
{
    for (; ns != NULL; ns = ns->next) {
        if (ns->type != XML_NAMESPACE_DECL || ns->href == NULL)
            continue;
        if (ns->prefix != NULL && xmlStrEqual(ns->prefix, CG_XC("xml")))
            continue;
        if (ns->prefix != NULL) {
            put(s, " xmlns:", 7);
            put_s(s, ns->prefix);
        } else {
            put(s, " xmlns", 6);
        }
        put(s, "=", 1);
        if (quoted(s, ns->href) != CG_OK)
            return CG_EUNSUPPORTED;
    }
    return CG_OK;
}

static int attrs(struct save *s, const xmlDoc *doc, const xmlAttr *a)
{
    const xmlNode *t;

    for (; a != NULL; a = a->next) {
        if (a->type != XML_ATTRIBUTE_NODE ||
            (a->ns != NULL && a->ns->prefix != NULL && a->ns->prefix[0] == '\0'))
            return CG_EUNSUPPORTED;
        for (t = a->children; t != NULL; t = t->next)
            if (t->type != XML_TEXT_NODE ||
                (t->content != NULL && a->doc != doc && has_high(t->content)))
                return CG_EUNSUPPORTED;
        put(s, " ", 1);
        put_qname(s, a->ns, a->name);
        put(s, "=\"", 2);
        for (t = a->children; t != NULL; t = t->next)
            if (t->content != NULL)
                put_escaped(s, t->content, 1);
        put(s, "\"", 1);
    }
    return CG_OK;
}

static int element(struct save *s, const xmlDoc *doc, const xmlNode *e, unsigned depth)
{
    const xmlNode *ch;
    const xmlChar *prefix = e->ns != NULL ? e->ns->prefix : NULL;
    size_t plen, nlen;
    int rc;

    if (depth > MAX_DEPTH || (prefix != NULL && prefix[0] == '\0'))
        return CG_EUNSUPPORTED;
    /* the name is measured once, for the start and the end tag */
    plen = prefix != NULL ? strlen((const char *)prefix) : 0;
    nlen = strlen((const char *)e->name);
    put(s, "<", 1);
    if (prefix != NULL) {
        put(s, prefix, plen);
        put(s, ":", 1);
    }
    put(s, e->name, nlen);
    rc = ns_defs(s, e->nsDef);
    if (rc == CG_OK)
        rc = attrs(s, doc, e->properties);
    if (rc != CG_OK)
        return rc;
    if (e->children == NULL) {
        put(s, "/>", 2);
        return s->rc;
    }
    put(s, ">", 1);
    for (ch = e->children; ch != NULL && rc == CG_OK; ch = ch->next) {
        if (ch->type == XML_ELEMENT_NODE)
            rc = element(s, doc, ch, depth + 1);
        else if (ch->type != XML_TEXT_NODE || ch->name == xmlStringTextNoenc)
            rc = CG_EUNSUPPORTED;
        else if (ch->content != NULL)
            put_escaped(s, ch->content, 0);
    }
    if (rc != CG_OK)
        return rc;
    put(s, "</", 2);
    if (prefix != NULL) {
        put(s, prefix, plen);
        put(s, ":", 1);
    }
    put(s, e->name, nlen);
    put(s, ">", 1);
    return s->rc;
}

int cg_xml_save_fast(const xmlDoc *doc, struct cg_buf *out)
{
    struct save s = {out, CG_OK};
    const xmlNode *root;
    int rc;

    if (doc == NULL || doc->type != XML_DOCUMENT_NODE)
        return CG_EINVAL;
    root = doc->children;
    if (root == NULL || root->type != XML_ELEMENT_NODE || root->next != NULL ||
        doc->intSubset != NULL || doc->extSubset != NULL)
        return CG_EUNSUPPORTED;
    put(&s, "<?xml version=", 14);
    if (doc->version == NULL)
        put(&s, "\"1.0\"", 5);
    else if (quoted(&s, doc->version) != CG_OK)
        return CG_EUNSUPPORTED;
    put(&s, " encoding=\"UTF-8\"", 17);
    if (doc->standalone == 0)
        put(&s, " standalone=\"no\"", 16);
    else if (doc->standalone == 1)
        put(&s, " standalone=\"yes\"", 17);
    put(&s, "?>\n", 3);
    rc = element(&s, doc, root, 0);
    put(&s, "\n", 1);
    return rc != CG_OK ? rc : s.rc;
}
