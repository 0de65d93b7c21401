/*
 * declare-xml.c - parsing untrusted XML safely and serializing documents.
 *
 * Every XML document that comes from outside (order files never are XML, but port requests,
 * receipts and operator files are) goes through cg_xml_parse(): XML_PARSE_NONET, no DTD
 * loading or validation, no entity substitution, no XInclude, huge-text limits left on, and a
 * DOCTYPE declaration refused outright. libxml2's own messages go to the logger; the caller
 * gets one line with the first error's line number. cg_xml_serialize() writes the bytes of
 * xmlDocDumpMemoryEnc(.., "UTF-8") itself for the usual trees (declare-save.c) and leaves the
 * rest to libxml2.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "declare/declare-sign-int.h"
#include "declare/declare.h"

/* The first error libxml2 raised while parsing (its last one is often a consequence: "Extra
 * content at the end of the document" after an attribute it could not read). */
struct first_error {
    xmlParserCtxtPtr doc_ctx; /* the document's parser */
    bool set;
    int line;
    char msg[256];
};

/* The parser's error handler: keeps the first error, then passes every one to the handler of
 * the thread (the logger's, cg_log_route_libraries) as libxml2 would have. */
static void keep_first(void *data, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctx = data;
    struct first_error *f = ctx != NULL ? ctx->_private : NULL;
    xmlStructuredErrorFunc next = xmlStructuredError;

    if (f != NULL && !f->set && e != NULL && e->level >= XML_ERR_ERROR) {
        f->set = true;
        /* An error in an entity's text comes from a parser of its own (with this handler) and
         * has that text's line: the document's is where its parser is. */
        f->line =
            ctx != f->doc_ctx && f->doc_ctx->input != NULL ? f->doc_ctx->input->line : e->line;
        cg_strlcpy(f->msg, e->message != NULL ? e->message : "parse failed", sizeof(f->msg));
    }
    if (next != NULL)
        next(xmlStructuredErrorContext, e);
}

int cg_xml_parse(const char *buf, size_t len, const char *name, xmlDocPtr *out, struct cg_err *err)
{
    struct first_error first = {NULL, false, 0, ""};
    const int opts = XML_PARSE_NONET; /* and none of NOENT, DTDLOAD, DTDATTR, XINCLUDE */
    xmlParserCtxtPtr ctx = NULL;
    xmlDocPtr doc = NULL;
    const xmlError *e;
    int rc = CG_OK;

    if (name == NULL)
        name = "(xml)";
    if (len > CG_XML_MAX)
        return CG_ERR_SET(err, CG_ERANGE, "%s: %zu bytes is over the XML limit of %u", name, len,
                          CG_XML_MAX);
    if (len > (size_t)INT32_MAX)
        return CG_ERR_SET(err, CG_ERANGE, "%s: too large", name);
    ctx = xmlNewParserCtxt();
    if (ctx == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    first.doc_ctx = ctx;
    ctx->_private = &first;
    if (ctx->sax != NULL)
        ctx->sax->serror = keep_first;
    doc = xmlCtxtReadMemory(ctx, buf, (int)len, NULL, NULL, opts);
    if (doc == NULL || !ctx->wellFormed) {
        e = xmlCtxtGetLastError(ctx);
        if (first.set)
            rc = CG_ERR_SET(err, CG_EPARSE, "%s:%d: not well-formed XML: %s", name, first.line,
                            first.msg);
        else
            rc = CG_ERR_SET(err, CG_EPARSE, "%s:%d: not well-formed XML: %s", name,
                            e != NULL ? e->line : 0,
                            e != NULL && e->message != NULL ? e->message : "parse failed");
        /* libxml2 messages end with a newline; drop it. */
        if (err != NULL) {
            size_t n = strlen(err->msg);
            while (n > 0 && (err->msg[n - 1] == '\n' || err->msg[n - 1] == '\r'))
                err->msg[--n] = '\0';
        }
        goto done;
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        rc = CG_ERR_SET(err, CG_EPARSE,
                        "%s: a DOCTYPE declaration is not allowed (DTDs and entities are refused)",
                        name);
        goto done;
    }
    if (xmlDocGetRootElement(doc) == NULL) {
        rc = CG_ERR_SET(err, CG_EPARSE, "%s: no root element", name);
        goto done;
    }
    *out = doc;
    doc = NULL;
done:
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctx);
    return rc;
}

int cg_xml_parse_file(const char *path, xmlDocPtr *out, struct cg_err *err)
{
    struct cg_buf b;
    int rc;

    cg_buf_init(&b, CG_XML_MAX);
    rc = cg_fs_read(path, CG_XML_MAX, &b, err);
    if (rc == CG_OK)
        rc = cg_xml_parse(cg_buf_str(&b), b.len, path, out, err);
    cg_buf_free(&b);
    return rc;
}

int cg_xml_serialize(xmlDocPtr doc, char **out, size_t *len, struct cg_err *err)
{
    xmlChar *mem = NULL;
    struct cg_buf b;
    int n = 0, rc;
    char *p;

    /* The same bytes as below, written straight from the tree (declare-save.c). */
    cg_buf_init(&b, (size_t)INT32_MAX);
    rc = cg_xml_save_fast(doc, &b);
    if (rc == CG_OK) {
        *len = b.len;
        *out = cg_buf_take(&b);
        return *out != NULL ? CG_OK : CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    cg_buf_free(&b);
    if (rc == CG_ENOMEM)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    xmlDocDumpMemoryEnc(doc, &mem, &n, "UTF-8");
    if (mem == NULL || n <= 0) {
        xmlFree(mem);
        return CG_ERR_SET(err, CG_ENOMEM, "cannot serialize XML document");
    }
    p = malloc((size_t)n + 1);
    if (p == NULL) {
        xmlFree(mem);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    memcpy(p, mem, (size_t)n);
    p[n] = '\0';
    xmlFree(mem);
    *out = p;
    *len = (size_t)n;
    return CG_OK;
}
