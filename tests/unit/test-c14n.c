/*
 * test-c14n.c - the canonical form declare-c14n.c writes is libxml2's byte for byte: every
 * official sample (2018 and 202205, requests and receipts, each with its placeholder
 * ds:Signature) as a whole document and with every element as the apex of a subtree (which
 * includes each ds:SignedInfo), and documents made for the namespace situations C14N treats
 * specially; the canonical form read from the bytes (cg_c14n_bytes) the same way. What the
 * writer leaves to libxml2 (comments, processing instructions, CDATA,
 * inherited xml: attributes, relative namespace URIs, deep nesting) is refused with
 * CG_EUNSUPPORTED, never written differently; a failing sink stops it with CG_EIO. The
 * serialized form declare-save.c writes is xmlDocDumpMemoryEnc's byte for byte, on the same
 * samples and documents and on built trees.
 */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/init.h"
#include "declare/declare-sign-int.h"
#include "declare/declare.h"
#include "tests/unit/c14n-check.h"

static const char *testdata(void)
{
    const char *td = getenv("CG_TESTDATA");

    return td != NULL ? td : "tests/data";
}

static xmlDocPtr parse(const char *xml)
{
    xmlDocPtr doc = NULL;
    struct cg_err err;

    if (cg_xml_parse(xml, strlen(xml), "test.xml", &doc, &err) != CG_OK)
        fail_msg("%s", err.msg);
    return doc;
}

static int has_xml_attr(const xmlNode *e)
{
    const xmlAttr *a;

    for (a = e->properties; a != NULL; a = a->next)
        if (a->ns != NULL && xmlStrEqual(a->ns->href, XML_XML_NAMESPACE))
            return 1;
    return 0;
}

/* Whether a comment, processing instruction or CDATA section lies in the tree of n. */
static int has_other(xmlNodePtr n)
{
    xmlNodePtr c;

    if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE || n->type == XML_CDATA_SECTION_NODE)
        return 1;
    for (c = n->children; c != NULL; c = c->next)
        if (has_other(c))
            return 1;
    return 0;
}

/*
 * Every element below e as the apex of a subtree: written as libxml2 writes it, or refused
 * exactly when an ancestor carries an xml: attribute (inherited by C14N 1.0) or strict is 0.
 * Returns how many subtrees were written.
 */
static int subtrees(xmlNodePtr e, int inherited_xml, int strict)
{
    xmlNodePtr c;
    int rc, n = 0;

    for (; e != NULL; e = e->next) {
        if (e->type != XML_ELEMENT_NODE)
            continue;
        rc = c14n_check_subtree(e);
        assert_int_not_equal(rc, CG_ERR);
        if (strict && !inherited_xml)
            assert_int_equal(rc, CG_OK);
        else if (inherited_xml)
            assert_int_equal(rc, CG_EUNSUPPORTED);
        n += rc == CG_OK;
        c = e->children;
        n += subtrees(c, inherited_xml || has_xml_attr(e), strict);
    }
    return n;
}

/* <p:r><p:nnn..n a="1">text</p:nnn..n></p:r>, a name longer than the writers' buffers, in b. */
static void long_name_doc(struct cg_buf *b, const char *text)
{
    size_t i;

    cg_buf_reset(b);
    assert_int_equal(cg_buf_adds(b, "<p:r xmlns:p=\"urn:p\"><p:"), CG_OK);
    for (i = 0; i < 5000; i++)
        assert_int_equal(cg_buf_addc(b, 'n'), CG_OK);
    assert_int_equal(cg_buf_addf(b, " a=\"1\">%s</p:", text), CG_OK);
    for (i = 0; i < 5000; i++)
        assert_int_equal(cg_buf_addc(b, 'n'), CG_OK);
    assert_int_equal(cg_buf_adds(b, "></p:r>"), CG_OK);
}

/* A document the writer handles: the whole of it and every subtree as libxml2 writes them. */
static void same_as_libxml2(const char *xml)
{
    xmlDocPtr doc = parse(xml);

    assert_int_equal(c14n_check_doc(doc), CG_OK);
    assert_true(subtrees(xmlDocGetRootElement(doc), 0, 1) > 0);
    assert_int_equal(save_check_doc(doc), CG_OK);
    xmlFreeDoc(doc);
    /* from the bytes: the same form, or left to the tree (a ds:Signature) */
    assert_int_not_equal(c14n_check_bytes(xml, strlen(xml)), CG_ERR);
}

/*
 * A sample from its bytes: refused with its placeholder ds:Signature (left to the tree); without
 * it (removed on doc and serialized, as a message to sign comes) written as libxml2 writes the
 * parsed document.
 */
static void sample_bytes(const char *path, xmlDocPtr doc)
{
    struct cg_err err;
    struct cg_buf raw;
    char *xml;
    size_t len;

    cg_buf_init(&raw, CG_XML_MAX);
    if (cg_fs_read(path, CG_XML_MAX, &raw, &err) != CG_OK)
        fail_msg("%s", err.msg);
    if (c14n_check_bytes(raw.data, raw.len) != (cg_sig_strip(doc) > 0 ? CG_EUNSUPPORTED : CG_OK))
        fail_msg("%s: written or refused wrongly from its bytes", path);
    assert_int_equal(cg_xml_serialize(doc, &xml, &len, &err), CG_OK);
    if (c14n_check_bytes(xml, len) != CG_OK)
        fail_msg("%s without its signature: not written from its bytes", path);
    free(xml);
    cg_buf_free(&raw);
}

static void test_samples(void **state)
{
    static const char *const dirs[] = {"2018", "202205"};
    char path[1024];
    struct dirent *de;
    struct cg_err err;
    xmlDocPtr doc;
    DIR *d;
    size_t i;
    int files = 0, sis = 0;
    xmlNodePtr si;

    (void)state;
    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(path, sizeof(path), "%s/declare/samples/%s", testdata(), dirs[i]);
        d = opendir(path);
        assert_non_null(d);
        while ((de = readdir(d)) != NULL) {
            if (strstr(de->d_name, ".xml") == NULL)
                continue;
            snprintf(path, sizeof(path), "%s/declare/samples/%s/%s", testdata(), dirs[i],
                     de->d_name);
            if (cg_xml_parse_file(path, &doc, &err) != CG_OK)
                fail_msg("%s", err.msg);
            /* the two receipt samples with comments go to libxml2, the rest is written */
            if (c14n_check_doc(doc) != (has_other((xmlNodePtr)doc) ? CG_EUNSUPPORTED : CG_OK))
                fail_msg("%s: written or refused wrongly", path);
            if (save_check_doc(doc) != (has_other((xmlNodePtr)doc) ? CG_EUNSUPPORTED : CG_OK))
                fail_msg("%s: serialized or refused wrongly", path);
            subtrees(xmlDocGetRootElement(doc), 0, !has_other((xmlNodePtr)doc));
            /* the placeholder signature's SignedInfo, where signing canonicalizes it */
            for (si = xmlDocGetRootElement(doc)->last; si != NULL && !cg_is_ds(si, "Signature");
                 si = si->prev)
                ;
            if (si != NULL && (si = si->children) != NULL) {
                while (si != NULL && !cg_is_ds(si, "SignedInfo"))
                    si = si->next;
                assert_non_null(si);
                assert_int_equal(c14n_check_subtree(si), CG_OK);
                sis++;
            }
            sample_bytes(path, doc);
            xmlFreeDoc(doc);
            files++;
        }
        closedir(d);
    }
    assert_true(files >= 30);
    assert_true(sis >= 10);
}

/* Default namespace, prefixes declared low, the same declaration repeated, one changed. */
static void test_namespaces(void **state)
{
    (void)state;
    same_as_libxml2(
        "<r xmlns=\"http://a.example/d\" xmlns:z=\"urn:unused\"><a><b xmlns:p=\"urn:p\">"
        "<p:c p:x=\"1\"/><c xmlns:p=\"urn:p\"><p:d/></c>"
        "<e xmlns:p=\"urn:other\"><p:f/></e></b></a></r>");
    /* the default namespace undeclared, declared again, and the same again (not rendered) */
    same_as_libxml2("<r xmlns=\"urn:d\"><a xmlns=\"\"><b xmlns=\"urn:d\"><c xmlns=\"urn:d\"/>"
                    "</b><d xmlns=\"\"/></a></r>");
    /* no namespace at all; xmlns="" where nothing is undeclared (not rendered) */
    same_as_libxml2("<r><a xmlns=\"\"><b>t</b></a></r>");
    /* prefixes out of order, a prefixed root, declarations sorted by prefix */
    same_as_libxml2("<ceb:R xmlns:zz=\"urn:z\" xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\" "
                    "xmlns=\"urn:d\" xmlns:aa=\"urn:a\" xmlns:ds=\"http://www.w3.org/2000/09/"
                    "xmldsig#\"><ceb:x/><ds:Signature><ds:SignedInfo><ds:Reference URI=\"\"/>"
                    "</ds:SignedInfo></ds:Signature></ceb:R>");
    /* a declaration on the apex's parent only, and one the apex repeats */
    same_as_libxml2("<r><s xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" xmlns=\"urn:d\">"
                    "<ds:SignedInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:a/>"
                    "</ds:SignedInfo></s></r>");
}

/* Attribute order (no namespace first, then by namespace URI, not prefix) and escapes. */
static void test_attributes_and_text(void **state)
{
    (void)state;
    same_as_libxml2("<r xmlns:b=\"urn:a\" xmlns:a=\"urn:b\" z=\"1\" a:y=\"2\" b:y=\"3\" b:x=\"4\" "
                    "a=\"5\" m=\"\"><e/></r>");
    same_as_libxml2("<r a=\"&lt;&amp;&gt;&quot;'&#9;&#10;&#13; x\" b='\"'>"
                    "a &amp; b &lt; c &gt; d \"'&#13;&#9;\n\xe6\xb8\xaf\xf0\x9f\x98\x80"
                    "<e a=\"\xe4\xb8\xad\"> </e><e></e>tail</r>");
    /* a long text goes through more than one buffer of the writer */
    {
        struct cg_buf b;
        xmlDocPtr doc;
        size_t i;

        cg_buf_init(&b, 1u << 20);
        assert_int_equal(cg_buf_adds(&b, "<r a=\"1\">"), CG_OK);
        for (i = 0; i < 3000; i++)
            assert_int_equal(cg_buf_adds(&b, "x&amp;y&lt;z&gt;\xe6\xb8\xaf "), CG_OK);
        assert_int_equal(cg_buf_adds(&b, "</r>"), CG_OK);
        doc = parse(cg_buf_str(&b));
        assert_int_equal(c14n_check_doc(doc), CG_OK);
        assert_int_equal(save_check_doc(doc), CG_OK);
        xmlFreeDoc(doc);
        /* and a prefixed name longer than that buffer, in a start and an end tag */
        long_name_doc(&b, "t");
        doc = parse(cg_buf_str(&b));
        assert_int_equal(c14n_check_doc(doc), CG_OK);
        assert_int_equal(subtrees(xmlDocGetRootElement(doc), 0, 1), 2);
        xmlFreeDoc(doc);
        cg_buf_free(&b);
    }
}

/* xml: attributes are ordinary attributes of their element; a subtree below would inherit them. */
static void test_xml_attributes(void **state)
{
    xmlDocPtr doc = parse("<r xml:lang=\"zh\" xmlns=\"urn:d\"><a xml:space=\"preserve\" b=\"1\">"
                          "<c/></a></r>");

    (void)state;
    assert_int_equal(c14n_check_doc(doc), CG_OK);
    /* r itself is written; everything below it is left to libxml2 */
    assert_int_equal(subtrees(xmlDocGetRootElement(doc), 0, 1), 1);
    xmlFreeDoc(doc);
}

static int count_sink(void *ctx, const void *data, size_t len)
{
    (void)data;
    *(size_t *)ctx += len;
    return 0;
}

static int failing_sink(void *ctx, const void *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    return -1;
}

/* check() of levels elements each opened with open ("<e ...>"), one in another. */
static int nested_with(int (*check)(xmlDocPtr), const char *open, int levels)
{
    struct cg_buf b;
    xmlDocPtr doc;
    int i, rc;

    cg_buf_init(&b, 1u << 20);
    for (i = 0; i < levels; i++)
        assert_int_equal(cg_buf_adds(&b, open), CG_OK);
    for (i = 0; i < levels; i++)
        assert_int_equal(cg_buf_adds(&b, "</e>"), CG_OK);
    doc = parse(cg_buf_str(&b));
    rc = check(doc);
    xmlFreeDoc(doc);
    cg_buf_free(&b);
    return rc;
}

static int nested(const char *open, int levels)
{
    return nested_with(c14n_check_doc, open, levels);
}

/* Refused (left to libxml2), never written differently. */
static void test_left_to_libxml2(void **state)
{
    static const char *const docs[] = {
        "<r><!-- c --><a/></r>",
        "<r><?pi x?><a/></r>",
        "<r><a><![CDATA[<x>]]></a></r>",
        "<!-- before --><r><a/></r>",
        "<r/><!-- after -->",
        "<?pi x?><r/>",
        "<r xmlns=\"relative/ns\"><a/></r>",
        "<r xmlns:p=\"p\"><a/></r>",
        "<r xmlns=\"urn:a&amp;b\"><a/></r>",
    };
    struct cg_buf deep;
    xmlDocPtr doc;
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        doc = parse(docs[i]);
        n = 0;
        if (cg_c14n_fast((xmlNodePtr)doc, count_sink, &n) != CG_EUNSUPPORTED)
            fail_msg("not refused: %s", docs[i]);
        xmlFreeDoc(doc);
    }
    /* deeper than the writer goes: refused; 60 levels: written as libxml2 writes them */
    assert_int_equal(nested("<e>", 100), CG_EUNSUPPORTED);
    assert_int_equal(nested("<e a=\"1\">", 60), CG_OK);
    cg_buf_init(&deep, 1u << 20);
    /* more attributes than the writer sorts: refused */
    assert_int_equal(cg_buf_adds(&deep, "<r"), CG_OK);
    for (i = 0; i < 40; i++)
        assert_int_equal(cg_buf_addf(&deep, " a%zu=\"%zu\"", 40 - i, i), CG_OK);
    assert_int_equal(cg_buf_adds(&deep, "/>"), CG_OK);
    doc = parse(cg_buf_str(&deep));
    assert_int_equal(c14n_check_doc(doc), CG_EUNSUPPORTED);
    xmlFreeDoc(doc);
    cg_buf_free(&deep);
    /* not a document or element */
    doc = parse("<r>t</r>");
    n = 0;
    assert_int_equal(cg_c14n_fast(xmlDocGetRootElement(doc)->children, count_sink, &n), CG_EINVAL);
    assert_int_equal(cg_c14n_fast(NULL, count_sink, &n), CG_EINVAL);
    xmlFreeDoc(doc);
}

/*
 * Serializing: what declare-save.c writes is xmlDocDumpMemoryEnc's output byte for byte, for
 * parsed documents (the samples above, standalone declarations) and for built trees whose
 * document has no encoding (attribute values above 0x7f, escapes, empty elements, a default
 * namespace); what it leaves to libxml2 is refused and cg_xml_serialize still gives
 * libxml2's bytes.
 */
static void test_save(void **state)
{
    static const char *const refused[] = {
        "<r><!-- c --><a/></r>",         "<r><?pi x?><a/></r>", "<r><a><![CDATA[<x>]]></a></r>",
        "<!-- before --><r><a/></r>",    "<r/><!-- after -->",  "<?pi x?><r/>",
        "<r xmlns:p=\"urn:a&quot;b\"/>",
    };
    static const char *const written[] = {
        "<?xml version=\"1.0\" standalone=\"yes\"?><r/>",
        "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"no\"?><r>t</r>",
        "<r xmlns=\"urn:d\"><a xmlns=\"\"><b xmlns:p=\"urn:p\" p:x=\"&#10;\"/></a></r>",
        "<r xmlns=\"relative/ns\" xmlns:z=\"z\"><a/></r>",
    };
    xmlDocPtr doc;
    xmlNodePtr root, e;
    xmlAttrPtr a;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        doc = parse(refused[i]);
        if (save_check_doc(doc) != CG_EUNSUPPORTED)
            fail_msg("not refused: %s", refused[i]);
        xmlFreeDoc(doc);
    }
    for (i = 0; i < sizeof(written) / sizeof(written[0]); i++) {
        doc = parse(written[i]);
        if (save_check_doc(doc) != CG_OK)
            fail_msg("not written as libxml2 writes it: %s", written[i]);
        xmlFreeDoc(doc);
    }
    /* a built tree: the document has no encoding, its attributes do have it as their doc */
    doc = xmlNewDoc(CG_XC("1.0"));
    root = xmlNewDocNode(doc, NULL, CG_XC("r"), NULL);
    xmlDocSetRootElement(doc, root);
    xmlSetNs(root, xmlNewNs(root, CG_XC("http://www.chinaport.gov.cn/ceb"), CG_XC("ceb")));
    xmlSetProp(root, CG_XC("a"), CG_XC("\xe4\xb8\xad \t\"<>&\r\n'"));
    e = xmlNewChild(root, root->ns, CG_XC("t"), CG_XC("\xe6\xb8\xaf <>&amp;\r\"'"));
    xmlNewChild(root, root->ns, CG_XC("empty"), NULL);
    xmlNewChild(e, NULL, CG_XC("u"), CG_XC(""));
    assert_int_equal(save_check_doc(doc), CG_OK);
    /* an attribute of no document with a byte above 0x7f: left to libxml2 */
    a = xmlNewProp(NULL, CG_XC("b"), CG_XC("\xe4\xb8\xad"));
    assert_non_null(a);
    a->parent = root;
    root->properties->next = a;
    a->prev = root->properties;
    assert_int_equal(save_check_doc(doc), CG_EUNSUPPORTED);
    /* a text not to be escaped: left to libxml2 */
    xmlUnlinkNode((xmlNodePtr)a);
    xmlFreeProp(a);
    xmlAddChild(root, xmlNewTextLen(CG_XC("x"), 1))->name = xmlStringTextNoenc;
    assert_int_equal(save_check_doc(doc), CG_EUNSUPPORTED);
    xmlFreeDoc(doc);
    /* deeper than the writer goes: refused */
    assert_int_equal(nested_with(save_check_doc, "<e>", 200), CG_EUNSUPPORTED);
    assert_int_equal(nested_with(save_check_doc, "<e>", 100), CG_OK);
}

static int bytes(const char *xml)
{
    return c14n_check_bytes(xml, strlen(xml));
}

/*
 * From the bytes, what C14N drops or treats specially (comments anywhere, CDATA, escapes and
 * "&" in attribute values, CR LF, a byte-order mark, no declaration, a root with a prefix,
 * namespaces redeclared) is written as libxml2 writes the parsed tree; the rest is refused and
 * left to the tree, which reports or handles it.
 */
static void test_bytes(void **state)
{
    static const char *const written[] = {
        "<r><!-- c --><a/></r>",
        "<!-- before --><r><a/></r>\n<!-- after -->\n",
        "<r><a><![CDATA[<x>&amp;]]></a></r>",
        "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<r>a\r\nb</r >\r\n",
        "<?xml version=\"1.0\" standalone=\"yes\"?><r a='\"' b=\"x&amp;y&#38;z&amp;#38;&lt;\t"
        "&#9;\n&#10;&#13;\">&#13;&amp;&gt;&#x6E2F;\xf0\x9f\x98\x80</r>",
        "<ceb:R xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\" xmlns=\"urn:d\" "
        "xmlns:ds=\"urn:not-dsig\"><ceb:a xmlns=\"\"><b xmlns=\"urn:d\" xml:lang=\"zh\"/></ceb:a>"
        "<ds:Signature/></ceb:R>",
        "<r xmlns=\"\"><a xmlns:p=\"urn:p\" p:y=\"1\" x=\"2\" xmlns:q=\"urn:a\" q:y=\"3\"/></r>",
    };
    static const char *const refused[] = {
        "<r><?pi x?></r>",
        "<?pi x?><r>t</r>",
        "<!DOCTYPE r [<!ENTITY e \"x\">]><r>&e;</r>",
        "<r>&undefined;</r>",
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r>\xe9</r>",
        "<r xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><a><ds:Signature/></a></r>",
        "<r xml:lang=\"zh\"><a/></r>",
        "<r xmlns=\"relative/ns\"><a/></r>",
        "<r><a></r>",
        "<r>t</r><r/>",
        "<r/>",
        "<p:r>t</p:r>",
        "<r><a p:b=\"1\"/></r>",
        "",
        "<r>",
    };
    struct cg_buf b;
    char *text;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(written) / sizeof(written[0]); i++)
        if (bytes(written[i]) != CG_OK)
            fail_msg("not written from its bytes: %s", written[i]);
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        if (bytes(refused[i]) != CG_EUNSUPPORTED)
            fail_msg("not refused from its bytes: %s", refused[i]);
    /* UTF-16 (a decoder): refused */
    assert_int_equal(c14n_check_bytes("\xff\xfe<\0r\0/\0>\0", 10), CG_EUNSUPPORTED);
    /* the limits of the tree writer hold here too */
    cg_buf_init(&b, 1u << 20);
    for (i = 0; i < 60; i++)
        assert_int_equal(cg_buf_adds(&b, "<e a=\"1\">"), CG_OK);
    for (i = 0; i < 60; i++)
        assert_int_equal(cg_buf_adds(&b, "</e>"), CG_OK);
    assert_int_equal(bytes(cg_buf_str(&b)), CG_OK);
    cg_buf_reset(&b);
    for (i = 0; i < 100; i++)
        assert_int_equal(cg_buf_adds(&b, "<e>"), CG_OK);
    for (i = 0; i < 100; i++)
        assert_int_equal(cg_buf_adds(&b, "</e>"), CG_OK);
    assert_int_equal(bytes(cg_buf_str(&b)), CG_EUNSUPPORTED);
    cg_buf_reset(&b);
    assert_int_equal(cg_buf_adds(&b, "<r"), CG_OK);
    for (i = 0; i < 40; i++)
        assert_int_equal(cg_buf_addf(&b, " a%zu=\"%zu\"", 40 - i, i), CG_OK);
    assert_int_equal(cg_buf_adds(&b, ">t</r>"), CG_OK);
    assert_int_equal(bytes(cg_buf_str(&b)), CG_EUNSUPPORTED);
    /* a long text and a long name go through more than one buffer of the writer */
    cg_buf_reset(&b);
    for (i = 0; i < 3000; i++)
        assert_int_equal(cg_buf_adds(&b, "x&amp;y&lt;z&gt;\xe6\xb8\xaf "), CG_OK);
    text = strdup(cg_buf_str(&b));
    assert_non_null(text);
    long_name_doc(&b, text);
    free(text);
    assert_int_equal(bytes(cg_buf_str(&b)), CG_OK);
    cg_buf_free(&b);
}

static void test_sink_failure(void **state)
{
    xmlDocPtr doc = parse("<r xmlns=\"urn:d\"><a b=\"c\">text</a></r>");
    size_t n = 0;

    (void)state;
    assert_int_equal(cg_c14n_fast((xmlNodePtr)doc, failing_sink, NULL), CG_EIO);
    assert_int_equal(cg_c14n_fast((xmlNodePtr)doc, count_sink, &n), CG_OK);
    assert_int_equal(n, strlen("<r xmlns=\"urn:d\"><a b=\"c\">text</a></r>"));
    xmlFreeDoc(doc);
    {
        static const char xml[] = "<r xmlns=\"urn:d\"><a b=\"c\">text</a></r>";
        struct cg_buf ns;
        struct cg_c14n_env env = {0, &ns};

        cg_buf_init(&ns, 4096);
        assert_int_equal(cg_c14n_bytes(xml, sizeof(xml) - 1, failing_sink, NULL, &env), CG_EIO);
        n = 0;
        assert_int_equal(cg_c14n_bytes(xml, sizeof(xml) - 1, count_sink, &n, &env), CG_OK);
        assert_int_equal(n, sizeof(xml) - 1);
        assert_int_equal(env.root_end, sizeof(xml) - 1 - strlen("</r>"));
        assert_string_equal(cg_buf_str(&ns),
                            " xmlns=\"urn:d\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"");
        cg_buf_free(&ns);
    }
}

static int setup(void **state)
{
    (void)state;
    return cg_lib_init(NULL) == CG_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    cg_lib_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_namespaces),
        cmocka_unit_test(test_attributes_and_text),
        cmocka_unit_test(test_xml_attributes),
        cmocka_unit_test(test_left_to_libxml2),
        cmocka_unit_test(test_save),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_sink_failure),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
