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

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
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
static int decl_ok(const xmlChar *prefix, const xmlChar *href)
{
    const xmlChar *p;
    xmlURIPtr uri;
    int ok;

    if (href == NULL)
        return 0;
    if (prefix != NULL && (prefix[0] == '\0' || xmlStrEqual(prefix, CG_XC("xml"))))
        return 0;
    if (href[0] == '\0')
        return prefix == NULL;
    for (p = href; *p != '\0'; p++)
        if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '\'' || *p == '&' || *p == '<')
            return 0;
    uri = xmlParseURI((const char *)href);
    ok = uri != NULL && uri->scheme != NULL && uri->scheme[0] != '\0';
    xmlFreeURI(uri);
    return ok;
}

static int ns_ok(const xmlNs *ns)
{
    return ns->type == XML_NAMESPACE_DECL && decl_ok(ns->prefix, ns->href);
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

/* ------------------------------------------------------------- from the bytes (SAX2) */

/* A namespace declaration read from the bytes; the strings are the parser's dictionary's. */
struct sax_ns {
    const xmlChar *prefix; /* NULL: the default namespace */
    const xmlChar *uri;    /* "" undeclares the default namespace */
};

struct sax {
    struct c14n c; /* the output; its namespace fields are not used */
    xmlParserCtxtPtr ctxt;
    const char *in;
    size_t len;
    int rc; /* CG_OK until something is met that this reader leaves to the tree */
    unsigned depth;
    size_t nns;
    struct sax_ns ns[MAX_NS];
    size_t mark[MAX_DEPTH + 1]; /* nns where each open element's declarations begin */
    struct cg_c14n_env *env;
};

static void sax_refuse(struct sax *x)
{
    if (x->rc == CG_OK) {
        x->rc = CG_EUNSUPPORTED;
        xmlStopParser(x->ctxt);
    }
}

/*
 * n bytes of text (attr 0) or of an attribute value (attr 1) with the escapes of C14N 1.0. With
 * entities not substituted, libxml2 hands every "&" of an attribute value over as "&#38;" (for
 * its tree builder to decode); that is the character "&".
 */
static void put_escaped_n(struct sax *x, const xmlChar *s, size_t n, int attr)
{
    const xmlChar *end = s + n, *run = s;
    const char *rep;

    while (s < end) {
        if ((rep = esc[*s][attr]) == NULL) {
            s++;
            continue;
        }
        put(&x->c, run, (size_t)(s - run));
        if (*s == '\0') {
            sax_refuse(x);
            return;
        }
        if (attr && *s == '&') {
            if (end - s < 5 || memcmp(s, "&#38;", 5) != 0) {
                sax_refuse(x);
                return;
            }
            s += 4;
        }
        put_s(&x->c, CG_XC(rep));
        run = ++s;
    }
    put(&x->c, run, (size_t)(s - run));
}

static void put_sax_qname(struct sax *x, const xmlChar *prefix, const xmlChar *name)
{
    if (prefix != NULL) {
        put_s(&x->c, prefix);
        put(&x->c, ":", 1);
    }
    put_s(&x->c, name);
}

/* The innermost of the first n declarations in scope that binds prefix, or NULL. */
static const struct sax_ns *sax_lookup(const struct sax *x, const xmlChar *prefix, size_t n)
{
    while (n-- > 0)
        if (str_cmp(x->ns[n].prefix, prefix) == 0)
            return &x->ns[n];
    return NULL;
}

/* Sorted as libxml2 sorts a namespace axis: the default namespace first, then by prefix. */
static void insert_sax_ns(const struct sax_ns **v, size_t n, const struct sax_ns *ns)
{
    size_t i = 0;

    while (i < n && str_cmp(v[i]->prefix, ns->prefix) < 0)
        i++;
    memmove(v + i + 1, v + i, (n - i) * sizeof(*v));
    v[i] = ns;
}

static void put_sax_ns(struct cg_buf *b, struct c14n *c, const struct sax_ns *ns)
{
    const char *pre = ns->prefix != NULL ? " xmlns:" : " xmlns";

    if (b != NULL) {
        if (cg_buf_adds(b, pre) != CG_OK ||
            (ns->prefix != NULL && cg_buf_adds(b, (const char *)ns->prefix) != CG_OK) ||
            cg_buf_adds(b, "=\"") != CG_OK || cg_buf_adds(b, (const char *)ns->uri) != CG_OK ||
            cg_buf_adds(b, "\"") != CG_OK)
            c->rc = CG_EIO;
        return;
    }
    put_s(c, CG_XC(pre));
    if (ns->prefix != NULL)
        put_s(c, ns->prefix);
    put(c, "=\"", 2);
    put_s(c, ns->uri);
    put(c, "\"", 1);
}

/*
 * What C14N renders on a ds:SignedInfo inside a ds:Signature (declaring xmlns:ds) appended to
 * the root: every declaration of the root, the ds prefix bound to XML-DSig, sorted, without an
 * empty default namespace.
 */
static void apex_ns(struct sax *x)
{
    static const struct sax_ns ds = {CG_XC("ds"), CG_XC("http://www.w3.org/2000/09/xmldsig#")};
    const struct sax_ns *v[MAX_NS + 1];
    size_t i, n = 0;

    for (i = 0; i < x->nns; i++)
        if (str_cmp(x->ns[i].prefix, ds.prefix) != 0 &&
            (x->ns[i].prefix != NULL || x->ns[i].uri[0] != '\0'))
            insert_sax_ns(v, n++, &x->ns[i]);
    insert_sax_ns(v, n++, &ds);
    cg_buf_reset(x->env->apex_ns);
    for (i = 0; i < n; i++)
        put_sax_ns(x->env->apex_ns, &x->c, v[i]);
}

/* libxml2's xmlC14NAttrsCompare for attributes as SAX2 gives them (5 pointers each). */
static int sax_attr_cmp(const xmlChar *const *a, const xmlChar *const *b)
{
    int r;

    if (a[2] == NULL || b[2] == NULL) {
        if (a[2] != b[2])
            return a[2] == NULL ? -1 : 1;
        return str_cmp(a[0], b[0]);
    }
    r = str_cmp(a[2], b[2]);
    return r != 0 ? r : str_cmp(a[0], b[0]);
}

static void sax_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
                      int nb_ns, const xmlChar **nsv, int nb_attrs, int nb_defaulted,
                      const xmlChar **attrs)
{
    struct sax *x = ctx;
    const struct sax_ns *render[MAX_NS];
    const xmlChar *const *sorted[MAX_ATTRS];
    const struct sax_ns *prev;
    size_t parent = x->nns, nr = 0, i, j, k;

    if (x->rc != CG_OK)
        return;
    /* an existing signature is refused or removed on the tree */
    if (x->depth == MAX_DEPTH || nb_ns < 0 || nb_attrs < 0 || nb_attrs > MAX_ATTRS ||
        nb_defaulted != 0 || (prefix != NULL && uri == NULL) ||
        (uri != NULL && xmlStrEqual(name, CG_XC("Signature")) &&
         xmlStrEqual(uri, CG_XC("http://www.w3.org/2000/09/xmldsig#")))) {
        sax_refuse(x);
        return;
    }
    x->mark[x->depth] = parent;
    for (i = 0; i < (size_t)nb_ns; i++) {
        const xmlChar *p = nsv[2 * i], *u = nsv[2 * i + 1] != NULL ? nsv[2 * i + 1] : CG_XC("");

        if (!decl_ok(p, u) || x->nns == MAX_NS) {
            sax_refuse(x);
            return;
        }
        for (j = parent; j < x->nns; j++)
            if (str_cmp(x->ns[j].prefix, p) == 0) {
                sax_refuse(x);
                return;
            }
        x->ns[x->nns].prefix = p;
        x->ns[x->nns].uri = u;
        prev = sax_lookup(x, p, parent);
        if (prev != NULL ? !xmlStrEqual(prev->uri, u) : p != NULL || u[0] != '\0')
            insert_sax_ns(render, nr++, &x->ns[x->nns]);
        x->nns++;
    }
    for (i = 0; i < (size_t)nb_attrs; i++) {
        const xmlChar *const *a = attrs + 5 * i;

        if ((a[1] != NULL && a[2] == NULL) ||
            (x->depth == 0 && a[2] != NULL && xmlStrEqual(a[2], XML_XML_NAMESPACE))) {
            /* the root's xml: attributes would be inherited by ds:SignedInfo */
            sax_refuse(x);
            return;
        }
        for (k = 0; k < i && sax_attr_cmp(sorted[k], a) < 0; k++)
            ;
        memmove(sorted + k + 1, sorted + k, (i - k) * sizeof(*sorted));
        sorted[k] = a;
    }
    if (x->depth == 0)
        apex_ns(x);
    put(&x->c, "<", 1);
    put_sax_qname(x, prefix, name);
    for (i = 0; i < nr; i++)
        put_sax_ns(NULL, &x->c, render[i]);
    for (i = 0; i < (size_t)nb_attrs; i++) {
        put(&x->c, " ", 1);
        put_sax_qname(x, sorted[i][1], sorted[i][0]);
        put(&x->c, "=\"", 2);
        put_escaped_n(x, sorted[i][3], (size_t)(sorted[i][4] - sorted[i][3]), 1);
        put(&x->c, "\"", 1);
    }
    put(&x->c, ">", 1);
    x->depth++;
}

/* Where the root's end tag "</qname>" begins: the last "<" before the parser's position. */
static void root_end(struct sax *x, const xmlChar *prefix, const xmlChar *name)
{
    const xmlParserInput *in = x->ctxt->input;
    size_t at, plen = prefix != NULL ? strlen((const char *)prefix) : 0;
    size_t nlen = strlen((const char *)name);
    long consumed = xmlByteConsumed(x->ctxt);
    const char *p;

    /* without a decoder the parser's offset is one in the bytes given */
    if (in == NULL || in->buf == NULL || in->buf->encoder != NULL || consumed <= 0 ||
        (unsigned long)consumed > x->len) {
        sax_refuse(x);
        return;
    }
    at = (size_t)consumed;
    while (at > 0 && x->in[at - 1] != '<')
        at--;
    if (at == 0) {
        sax_refuse(x);
        return;
    }
    p = x->in + at;
    if (*p != '/' || (size_t)(x->len - at) < 1 + plen + (plen > 0) + nlen ||
        (plen > 0 && (memcmp(p + 1, prefix, plen) != 0 || p[1 + plen] != ':')) ||
        memcmp(p + 1 + plen + (plen > 0), name, nlen) != 0) {
        sax_refuse(x);
        return;
    }
    x->env->root_end = at - 1;
}

static void sax_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
    struct sax *x = ctx;

    (void)uri;
    if (x->rc != CG_OK || x->depth == 0)
        return;
    x->depth--;
    put(&x->c, "</", 2);
    put_sax_qname(x, prefix, name);
    put(&x->c, ">", 1);
    x->nns = x->mark[x->depth];
    if (x->depth == 0)
        root_end(x, prefix, name);
}

static void sax_text(void *ctx, const xmlChar *s, int n)
{
    struct sax *x = ctx;

    if (x->rc == CG_OK && x->depth > 0 && n > 0)
        put_escaped_n(x, s, (size_t)n, 0);
}

static void sax_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
    (void)target;
    (void)data;
    sax_refuse(ctx);
}

static void sax_subset(void *ctx, const xmlChar *name, const xmlChar *id, const xmlChar *sys)
{
    (void)name;
    (void)id;
    (void)sys;
    sax_refuse(ctx);
}

static void sax_reference(void *ctx, const xmlChar *name)
{
    (void)name;
    sax_refuse(ctx);
}

/* The tree path reports what is wrong with a document; this reader only gives up on it. */
static void sax_quiet(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

int cg_c14n_bytes(const char *in, size_t len, cg_c14n_sink sink, void *ctx, struct cg_c14n_env *env)
{
    xmlSAXHandler h;
    struct sax *x;
    int rc;

    if (in == NULL || env == NULL || env->apex_ns == NULL)
        return CG_EINVAL;
    if (len == 0 || len > CG_XML_MAX || len > (size_t)INT32_MAX)
        return CG_EUNSUPPORTED;
    x = calloc(1, sizeof(*x));
    if (x == NULL)
        return CG_ENOMEM;
    x->c.sink = sink;
    x->c.ctx = ctx;
    x->c.rc = CG_OK;
    x->in = in;
    x->len = len;
    x->rc = CG_OK;
    x->env = env;
    env->root_end = 0;
    x->ctxt = xmlCreateMemoryParserCtxt(in, (int)len);
    if (x->ctxt == NULL) {
        free(x);
        return CG_ENOMEM;
    }
    memset(&h, 0, sizeof(h));
    h.initialized = XML_SAX2_MAGIC;
    h.startElementNs = sax_start;
    h.endElementNs = sax_end;
    h.characters = sax_text;
    h.ignorableWhitespace = sax_text;
    h.cdataBlock = sax_text;
    h.processingInstruction = sax_pi;
    h.internalSubset = sax_subset;
    h.externalSubset = sax_subset;
    h.reference = sax_reference;
    h.serror = sax_quiet;
    memcpy(x->ctxt->sax, &h, sizeof(h));
    x->ctxt->userData = x;
    xmlCtxtUseOptions(x->ctxt, XML_PARSE_NONET); /* none of NOENT, DTDLOAD, DTDATTR */
    xmlParseDocument(x->ctxt);
    rc = x->rc;
    if (rc == CG_OK && (!x->ctxt->wellFormed || !x->ctxt->nsWellFormed || x->depth != 0 ||
                        env->root_end == 0 || x->ctxt->myDoc != NULL))
        rc = CG_EUNSUPPORTED;
    if (rc == CG_OK) {
        flush(&x->c);
        rc = x->c.rc;
    }
    xmlFreeDoc(x->ctxt->myDoc);
    x->ctxt->myDoc = NULL;
    xmlFreeParserCtxt(x->ctxt);
    free(x);
    return rc;
}
