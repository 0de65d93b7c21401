/*
 * declare-c14n.c - inclusive C14N 1.0 (without comments) of the trees cebgate signs, written
 * straight from the tree.
 *
 * libxml2's canonicalizer (xmlC14NExecute) is general: per element it builds and frees sorted
 * lists of namespaces and attributes, looks up every namespace declaration of every ancestor,
 * and copies each text and attribute value through a newly allocated escaped string. For a CEB
 * message that costs more than the SM3 digest of the bytes it produces. This file writes the
 * same bytes for the trees cebgate builds and the usual parsed messages: elements, text,
 * attributes whose values are text, namespace declarations with absolute URIs that the elements
 * using them are bound to. For anything else - comments, processing instructions, CDATA,
 * entity references, a DTD, nodes next to the root element, an xml: attribute a subtree would
 * inherit, an element whose namespace is not the declaration in scope, more than MAX_DEPTH
 * levels, MAX_NS namespaces or MAX_ATTRS attributes - it returns CG_EUNSUPPORTED and the
 * caller canonicalizes with xmlC14NExecute, which stays the definition of the output;
 * tests/unit/test-c14n.c compares the two byte for byte.
 *
 * The tree is only read. The bytes go through a fixed buffer on the stack to the caller's sink
 * (a digest, a cg_buf); nothing is allocated except by xmlParseURI for each namespace
 * declaration. A CG_EUNSUPPORTED may come after part of the output went to the sink.
 */
#include "config.h"

#include <string.h>

#include <libxml/tree.h>
#include <libxml/uri.h>

#include "core/err.h"
#include "declare/declare-sign-int.h"

#define OUT_SIZE 4096
#define MAX_NS 32
#define MAX_ATTRS 32
#define MAX_DEPTH 64

struct c14n {
    cg_c14n_sink sink;
    void *ctx;
    unsigned *sigs;          /* NULL, or where ds:Signature elements are counted */
    int rc;                  /* CG_OK until the sink fails */
    size_t nns;              /* namespace declarations in scope, outermost first */
    const xmlNs *ns[MAX_NS]; /* the declarations themselves */
    size_t len;
    char buf[OUT_SIZE];
};

static void flush(struct c14n *c)
{
    if (c->len > 0 && c->rc == CG_OK && c->sink(c->ctx, c->buf, c->len) != 0)
        c->rc = CG_EIO;
    c->len = 0;
}

static inline void put(struct c14n *c, const void *p, size_t n)
{
    if (n > sizeof(c->buf) - c->len) {
        flush(c);
        if (n > sizeof(c->buf)) {
            if (c->rc == CG_OK && c->sink(c->ctx, p, n) != 0)
                c->rc = CG_EIO;
            return;
        }
    }
    memcpy(c->buf + c->len, p, n);
    c->len += n;
}

static inline void put_s(struct c14n *c, const xmlChar *s)
{
    put(c, s, strlen((const char *)s));
}

/*
 * The escapes of C14N 1.0 (libxml2's xmlC11NNormalizeText and xmlC11NNormalizeAttr), indexed by
 * byte: column 0 in text, column 1 in attribute values; NULL: the byte stands for itself. NUL
 * ends the string and is marked so that the scan stops at it.
 */
static const char *const esc[256][2] = {
    [0] = {"", ""},           ['\t'] = {NULL, "&#x9;"},
    ['\n'] = {NULL, "&#xA;"}, ['\r'] = {"&#xD;", "&#xD;"},
    ['"'] = {NULL, "&quot;"}, ['&'] = {"&amp;", "&amp;"},
    ['<'] = {"&lt;", "&lt;"}, ['>'] = {"&gt;", NULL},
};

static void put_escaped(struct c14n *c, const xmlChar *s, int attr)
{
    const xmlChar *run = s;
    const char *rep;

    for (;;) {
        while ((rep = esc[*s][attr]) == NULL)
            s++;
        put(c, run, (size_t)(s - run));
        if (*s == '\0')
            return;
        put_s(c, CG_XC(rep));
        run = ++s;
    }
}

/* prefix:name, or name when the namespace has no prefix (libxml2 tests the prefix's length). */
static void put_qname(struct c14n *c, const xmlNs *ns, const xmlChar *name)
{
    if (ns != NULL && ns->prefix != NULL && ns->prefix[0] != '\0') {
        put_s(c, ns->prefix);
        put(c, ":", 1);
    }
    put_s(c, name);
}

/* An element's qualified name, measured once for its start and end tags. */
struct qname {
    const xmlChar *prefix; /* NULL or empty: none is written */
    const xmlChar *name;
    size_t plen, nlen;
};

static void qname_of(const xmlNode *e, struct qname *q)
{
    q->prefix = e->ns != NULL ? e->ns->prefix : NULL;
    q->plen = q->prefix != NULL ? strlen((const char *)q->prefix) : 0;
    q->name = e->name;
    q->nlen = strlen((const char *)e->name);
}

/*
 * A start tag's "<qname" (end 0) or an end tag's "</qname>" (end 1), copied in one piece when
 * it fits the buffer: an element costs two copies instead of one per part.
 */
static void put_tag(struct c14n *c, const struct qname *q, int end)
{
    size_t n = (size_t)(end ? 3 : 1) + q->plen + (q->plen > 0) + q->nlen;
    char *p;

    if (n > sizeof(c->buf) - c->len)
        flush(c);
    if (n > sizeof(c->buf)) {
        put(c, "</", end ? 2 : 1);
        if (q->plen > 0) {
            put(c, q->prefix, q->plen);
            put(c, ":", 1);
        }
        put(c, q->name, q->nlen);
        if (end)
            put(c, ">", 1);
        return;
    }
    p = c->buf + c->len;
    *p++ = '<';
    if (end)
        *p++ = '/';
    if (q->plen > 0) {
        memcpy(p, q->prefix, q->plen);
        p += q->plen;
        *p++ = ':';
    }
    memcpy(p, q->name, q->nlen);
    p += q->nlen;
    if (end)
        *p++ = '>';
    c->len = (size_t)(p - c->buf);
}

/* xmlStrcmp: NULL before everything, then bytes as unsigned char (as strcmp compares). */
static int str_cmp(const xmlChar *a, const xmlChar *b)
{
    if (a == b)
        return 0;
    if (a == NULL)
        return -1;
    if (b == NULL)
        return 1;
    return strcmp((const char *)a, (const char *)b);
}

/*
 * A declaration this file renders as libxml2 does: an absolute URI (C14N 1.0 refuses relative
 * ones) with nothing libxml2 would write unescaped between quotes, or xmlns="" to undeclare the
 * default namespace. Not the xml prefix, which C14N never renders.
 */
static int ns_ok(const xmlNs *ns)
{
    const xmlChar *p;
    xmlURIPtr uri;
    int ok;

    if (ns->type != XML_NAMESPACE_DECL || ns->href == NULL)
        return 0;
    if (ns->prefix != NULL && (ns->prefix[0] == '\0' || xmlStrEqual(ns->prefix, CG_XC("xml"))))
        return 0;
    if (ns->href[0] == '\0')
        return ns->prefix == NULL;
    for (p = ns->href; *p != '\0'; p++)
        if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '\'' || *p == '&' || *p == '<')
            return 0;
    uri = xmlParseURI((const char *)ns->href);
    ok = uri != NULL && uri->scheme != NULL && uri->scheme[0] != '\0';
    xmlFreeURI(uri);
    return ok;
}

/* The innermost declaration of prefix among the first n in scope, or NULL. */
static const xmlNs *lookup(const struct c14n *c, const xmlChar *prefix, size_t n)
{
    while (n-- > 0)
        if (str_cmp(c->ns[n]->prefix, prefix) == 0)
            return c->ns[n];
    return NULL;
}

/* Whether ns is the innermost declaration of its prefix in scope. */
static int in_scope(const struct c14n *c, const xmlNs *ns)
{
    size_t n = c->nns;

    while (n-- > 0) {
        if (c->ns[n] == ns)
            return 1;
        if (str_cmp(c->ns[n]->prefix, ns->prefix) == 0)
            return 0;
    }
    return 0;
}

/* Pushes e's declarations and checks e's own namespace is the declaration in scope. */
static int enter(struct c14n *c, const xmlNode *e)
{
    const xmlNs *ns, *d;

    for (ns = e->nsDef; ns != NULL; ns = ns->next) {
        if (!ns_ok(ns) || c->nns == MAX_NS)
            return CG_EUNSUPPORTED;
        for (d = e->nsDef; d != ns; d = d->next)
            if (str_cmp(d->prefix, ns->prefix) == 0)
                return CG_EUNSUPPORTED;
        c->ns[c->nns++] = ns;
    }
    if (e->ns != NULL && !in_scope(c, e->ns))
        return CG_EUNSUPPORTED;
    return CG_OK;
}

/* libxml2's xmlC14NAttrsCompare. */
static int attr_cmp(const xmlAttr *a, const xmlAttr *b)
{
    int r;

    if (a->ns == b->ns)
        return str_cmp(a->name, b->name);
    if (a->ns == NULL)
        return -1;
    if (b->ns == NULL)
        return 1;
    if (a->ns->prefix == NULL)
        return -1;
    if (b->ns->prefix == NULL)
        return 1;
    r = str_cmp(a->ns->href, b->ns->href);
    return r != 0 ? r : str_cmp(a->name, b->name);
}

/* Inserts before the first entry not less than the new one, as xmlListInsert does. */
static void insert_ns(const xmlNs **v, size_t n, const xmlNs *ns)
{
    size_t i = 0;

    while (i < n && str_cmp(v[i]->prefix, ns->prefix) < 0)
        i++;
    memmove(v + i + 1, v + i, (n - i) * sizeof(*v));
    v[i] = ns;
}

static void insert_attr(const xmlAttr **v, size_t n, const xmlAttr *a)
{
    size_t i = 0;

    while (i < n && attr_cmp(v[i], a) < 0)
        i++;
    memmove(v + i + 1, v + i, (n - i) * sizeof(*v));
    v[i] = a;
}

/*
 * The namespace declarations C14N renders on e, sorted (the default one first, then by prefix):
 * on the apex of a subtree every declaration in scope, innermost per prefix; below it e's own
 * declarations that change what the parent has in scope (the first `parent` entries). An empty
 * default namespace is rendered only where it undeclares a non-empty one.
 */
static size_t ns_axis(const struct c14n *c, const xmlNode *e, size_t parent, int apex,
                      const xmlNs **out)
{
    const xmlNs *ns, *prev;
    size_t i, n = 0;

    if (apex) {
        for (i = 0; i < c->nns; i++) {
            ns = c->ns[i];
            if (lookup(c, ns->prefix, c->nns) == ns && (ns->prefix != NULL || ns->href[0] != '\0'))
                insert_ns(out, n++, ns);
        }
        return n;
    }
    for (ns = e->nsDef; ns != NULL; ns = ns->next) {
        prev = lookup(c, ns->prefix, parent);
        if (prev != NULL ? !xmlStrEqual(prev->href, ns->href)
                         : ns->prefix != NULL || ns->href[0] != '\0')
            insert_ns(out, n++, ns);
    }
    return n;
}

static int element(struct c14n *c, const xmlNode *e, int apex, unsigned depth)
{
    const xmlNs *nsv[MAX_NS];
    const xmlAttr *attrs[MAX_ATTRS];
    const xmlAttr *a;
    const xmlNode *t, *ch;
    struct qname q;
    size_t mark = c->nns, nn, na = 0, i;
    int rc;

    if (depth > MAX_DEPTH)
        return CG_EUNSUPPORTED;
    rc = enter(c, e);
    if (rc != CG_OK)
        return rc;
    if (c->sigs != NULL && e->name[0] == 'S' && cg_is_ds(e, "Signature"))
        (*c->sigs)++;
    for (a = e->properties; a != NULL; a = a->next) {
        if (a->type != XML_ATTRIBUTE_NODE || na == MAX_ATTRS ||
            (a->ns != NULL && a->ns->href == NULL))
            return CG_EUNSUPPORTED;
        for (t = a->children; t != NULL; t = t->next)
            if (t->type != XML_TEXT_NODE)
                return CG_EUNSUPPORTED;
        insert_attr(attrs, na++, a);
    }
    nn = ns_axis(c, e, mark, apex, nsv);
    qname_of(e, &q);
    put_tag(c, &q, 0);
    for (i = 0; i < nn; i++) {
        if (nsv[i]->prefix != NULL) {
            put(c, " xmlns:", 7);
            put_s(c, nsv[i]->prefix);
            put(c, "=\"", 2);
        } else {
            put(c, " xmlns=\"", 8);
        }
        put_s(c, nsv[i]->href);
        put(c, "\"", 1);
    }
    for (i = 0; i < na; i++) {
        put(c, " ", 1);
        put_qname(c, attrs[i]->ns, attrs[i]->name);
        put(c, "=\"", 2);
        for (t = attrs[i]->children; t != NULL; t = t->next)
            if (t->content != NULL)
                put_escaped(c, t->content, 1);
        put(c, "\"", 1);
    }
    put(c, ">", 1);
    for (ch = e->children; ch != NULL && rc == CG_OK; ch = ch->next) {
        if (ch->type == XML_ELEMENT_NODE)
            rc = element(c, ch, 0, depth + 1);
        else if (ch->type != XML_TEXT_NODE)
            rc = CG_EUNSUPPORTED;
        else if (ch->content != NULL)
            put_escaped(c, ch->content, 0);
    }
    if (rc != CG_OK)
        return rc;
    put_tag(c, &q, 1);
    c->nns = mark;
    return c->rc;
}

/*
 * The ancestors of a subtree's apex, outermost first: their declarations are in scope, and an
 * xml: attribute among them would be inherited (left to libxml2).
 */
static int ancestors(struct c14n *c, const xmlNode *apex)
{
    const xmlNode *chain[MAX_DEPTH];
    const xmlNode *p;
    const xmlAttr *a;
    size_t n = 0;
    int rc;

    for (p = apex->parent; p != NULL && p->type == XML_ELEMENT_NODE; p = p->parent) {
        if (n == MAX_DEPTH)
            return CG_EUNSUPPORTED;
        for (a = p->properties; a != NULL; a = a->next)
            if (a->ns != NULL && xmlStrEqual(a->ns->href, XML_XML_NAMESPACE))
                return CG_EUNSUPPORTED;
        chain[n++] = p;
    }
    if (p == NULL || p->type != XML_DOCUMENT_NODE)
        return CG_EUNSUPPORTED;
    while (n-- > 0) {
        rc = enter(c, chain[n]);
        if (rc != CG_OK)
            return rc;
    }
    return CG_OK;
}

int cg_c14n_fast(const xmlNode *top, cg_c14n_sink sink, void *ctx)
{
    return cg_c14n_fast_sigs(top, sink, ctx, NULL);
}

int cg_c14n_fast_sigs(const xmlNode *top, cg_c14n_sink sink, void *ctx, unsigned *sigs)
{
    struct c14n c;
    int rc;

    c.sink = sink;
    c.ctx = ctx;
    c.sigs = sigs;
    c.rc = CG_OK;
    c.nns = 0;
    c.len = 0;
    if (top == NULL)
        return CG_EINVAL;
    if (top->type == XML_DOCUMENT_NODE) {
        top = top->children;
        if (top == NULL || top->type != XML_ELEMENT_NODE || top->next != NULL)
            return CG_EUNSUPPORTED;
        rc = element(&c, top, 0, 0);
    } else if (top->type == XML_ELEMENT_NODE) {
        rc = ancestors(&c, top);
        if (rc == CG_OK)
            rc = element(&c, top, 1, 0);
    } else {
        return CG_EINVAL;
    }
    if (rc == CG_OK)
        flush(&c);
    return rc != CG_OK ? rc : c.rc;
}
