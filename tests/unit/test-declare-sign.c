/*
 * test-declare-sign.c - signing and verifying CEB messages: local keys (PEM, encrypted PEM,
 * PKCS#12; passphrase from a file and from the environment; wrong passphrase), rsa-sha1 and
 * rsa-sha256, every verification failure reason, OpenSSL refusing SHA-1, and the remote
 * backend against the test signing service over real loopback HTTP and HTTPS; signers cloned
 * for other threads (key read once, original freed first, original and clone signing at the
 * same time from two threads); the cache of decoded signing certificates (a refusal kept, a
 * certificate with the same subject judged on its own, the bound, trust added later); SM2 keys
 * (sm2-sm3 chosen by the key, the 202205 URIs, r||s, the distinguishing identifier, keys that
 * do not fit the algorithm, clones in two threads).
 *
 * Keys and certificates are made at start-up with the openssl command ($OPENSSL) in a
 * temporary directory: a CA, a signer issued by it, an unrelated self-signed signer, a
 * self-signed "twin" with the signer's subject, and a TLS server certificate for 127.0.0.1; an
 * SM2 CA and an SM2 signer issued by it. The document is the official 2018 CEB603 sample.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/tree.h>
#include <openssl/evp.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/init.h"
#include "declare/declare-sign-int.h"
#include "declare/declare.h"
#include "tests/unit/no-fd.h"
#include "tests/unit/remote-signer.h"

#define PASS "correct horse 7"
#define DS "http://www.w3.org/2000/09/xmldsig#"

static char dir[256];
static char sample[1024];
/* What assert_verifies and assert_rejected trust: the RSA test CA, or the SM2 one. */
static const char *trusted = "ca.pem";

/* ------------------------------------------------------------------ OpenSSL refusing SHA-1 */

/* With refuse_sha1 set, EVP_DigestSignInit behaves as under a policy that forbids SHA-1
 * signatures (as RHEL 9's DEFAULT policy does). Only cebgate's own calls are wrapped. */
static int refuse_sha1;
int __real_EVP_DigestSignInit(EVP_MD_CTX *ctx, EVP_PKEY_CTX **pctx, const EVP_MD *type, ENGINE *e,
                              EVP_PKEY *pkey);
int __wrap_EVP_DigestSignInit(EVP_MD_CTX *ctx, EVP_PKEY_CTX **pctx, const EVP_MD *type, ENGINE *e,
                              EVP_PKEY *pkey);
int __wrap_EVP_DigestSignInit(EVP_MD_CTX *ctx, EVP_PKEY_CTX **pctx, const EVP_MD *type, ENGINE *e,
                              EVP_PKEY *pkey)
{
    if (refuse_sha1 && type != NULL && EVP_MD_get_type(type) == EVP_MD_get_type(EVP_sha1()))
        return 0;
    return __real_EVP_DigestSignInit(ctx, pctx, type, e, pkey);
}

/* ------------------------------------------------------------------ helpers */

static char *path(const char *name)
{
    static char p[8][512];
    static int i;

    i = (i + 1) % 8;
    snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
    return p[i];
}

static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

static void write_text(const char *p, const char *text)
{
    FILE *fp = fopen(p, "w");

    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* NAME.key and NAME.pem issued by the test CA with a key of kind ("rsa:1024") and extensions. */
static int bad_signer(const char *o, const char *name, const char *kind, const char *ext)
{
    char file[64];

    snprintf(file, sizeof(file), "%s.ext", name);
    write_text(path(file), ext);
    return sh("cd %s && %s req -newkey %s -nodes -keyout %s.key -out %s.csr -subj '/CN=%s' "
              ">/dev/null 2>&1 && %s x509 -req -in %s.csr -CA ca.pem -CAkey ca.key "
              "-CAcreateserial -extfile %s.ext -out %s.pem -days 2 >/dev/null 2>&1",
              dir, o, kind, name, name, name, o, name, name, name);
}

static int make_keys(void **state)
{
    const char *o = getenv("OPENSSL");
    const char *td = getenv("CG_TESTDATA");
    char d[] = "/tmp/cg-sign.XXXXXX";
    const char *q = ">/dev/null 2>&1";

    if (o == NULL || o[0] == '\0')
        o = "openssl";
    if (mkdtemp(d) == NULL)
        return -1;
    snprintf(dir, sizeof(dir), "%s", d);
    snprintf(sample, sizeof(sample), "%s/sign/CEB603Message.xml", td != NULL ? td : "tests/data");
    write_text(path("pass.txt"), PASS "\n");
    write_text(path("san.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    if (sh("cd %s && %s req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3 "
           "-subj '/CN=cebgate test CA' %s",
           dir, o, q) != 0 ||
        sh("cd %s && %s req -newkey rsa:2048 -nodes -keyout key.pem -out req.csr "
           "-subj '/CN=cebgate test signer/O=Test Export Co' %s",
           dir, o, q) != 0 ||
        sh("cd %s && %s x509 -req -in req.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
           "-out cert.pem -days 2 %s",
           dir, o, q) != 0 ||
        sh("cd %s && %s pkey -in key.pem -aes256 -passout file:pass.txt -out enc.pem %s", dir, o,
           q) != 0 ||
        sh("cd %s && %s pkcs12 -export -inkey key.pem -in cert.pem -passout file:pass.txt "
           "-out bundle.p12 %s",
           dir, o, q) != 0 ||
        sh("cd %s && %s req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem "
           "-days 2 -subj '/CN=somebody else' %s",
           dir, o, q) != 0 ||
        sh("cd %s && %s req -newkey rsa:2048 -nodes -keyout tls.key -out tls.csr "
           "-subj '/CN=127.0.0.1' %s && %s x509 -req -in tls.csr -CA ca.pem -CAkey ca.key "
           "-CAcreateserial -extfile san.cnf -out tls.pem -days 2 %s",
           dir, o, q, o, q) != 0 ||
        bad_signer(o, "weak", "rsa:1024", "basicConstraints=CA:FALSE") != 0 ||
        bad_signer(o, "encrypt-only", "rsa:2048", "keyUsage=keyEncipherment") != 0 ||
        bad_signer(o, "srv", "rsa:2048", "extendedKeyUsage=serverAuth") != 0 ||
        sh("cd %s && %s req -x509 -newkey rsa:2048 -nodes -keyout twin.key -out twin.pem "
           "-days 2 -subj '/CN=cebgate test signer/O=Test Export Co' "
           "-addext basicConstraints=critical,CA:FALSE %s",
           dir, o, q) != 0 ||
        bad_signer(o, "good", "rsa:2048",
                   "keyUsage=digitalSignature,nonRepudiation\nbasicConstraints=CA:FALSE") != 0 ||
        sh("cd %s && %s genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out sm2ca.key %s "
           "&& %s req -x509 -new -key sm2ca.key -sm3 -sigopt distid:1234567812345678 -days 3 "
           "-subj '/CN=cebgate SM2 CA' -out sm2ca.pem %s",
           dir, o, q, o, q) != 0 ||
        sh("cd %s && %s genpkey -algorithm SM2 -out sm2.key %s && %s req -new -key sm2.key "
           "-sm3 -sigopt distid:1234567812345678 -subj '/CN=cebgate SM2 signer' -out sm2.csr %s "
           "&& %s x509 -req -in sm2.csr -vfyopt distid:1234567812345678 -CA sm2ca.pem "
           "-CAkey sm2ca.key -CAcreateserial -sm3 -sigopt distid:1234567812345678 -days 2 "
           "-out sm2.pem %s",
           dir, o, q, o, q, o, q) != 0)
        return -1;
    return cg_lib_init(NULL) == CG_OK ? 0 : -1;
}

static int remove_keys(void **state)
{
    cg_lib_cleanup();
    sh("rm -rf '%s'", dir);
    return 0;
}

/* The sample with its placeholder signature removed. */
static xmlDocPtr load_sample(void)
{
    xmlDocPtr doc = NULL;
    struct cg_err err;

    assert_int_equal(cg_xml_parse_file(sample, &doc, &err), CG_OK);
    assert_int_equal(cg_sig_strip(doc), 1);
    return doc;
}

static struct cg_signer_opts pem_opts(void)
{
    struct cg_signer_opts o;

    memset(&o, 0, sizeof(o));
    o.kind = "local";
    o.alg = "rsa-sha1";
    o.key_file = path("key.pem");
    o.cert_file = path("cert.pem");
    o.key_name = "0001";
    return o;
}

static xmlDocPtr signed_with(const struct cg_signer_opts *o)
{
    struct cg_signer *s = NULL;
    struct cg_err err;
    xmlDocPtr doc = load_sample();

    cg_err_clear(&err);
    if (cg_signer_new(o, &s, &err) != CG_OK)
        fail_msg("cg_signer_new: %s", err.msg);
    if (cg_signer_sign(s, doc, &err) != CG_OK)
        fail_msg("cg_signer_sign: %s", err.msg);
    cg_signer_free(s);
    return doc;
}

static struct cg_trust *trust_of(const char *file)
{
    struct cg_trust *t = NULL;
    struct cg_err err;

    assert_int_equal(cg_trust_new(&t, &err), CG_OK);
    assert_int_equal(cg_trust_add_file(t, path(file), &err), CG_OK);
    return t;
}

static void assert_verifies(xmlDocPtr doc)
{
    struct cg_trust *t = trust_of(trusted);
    struct cg_err err;

    cg_err_clear(&err);
    if (cg_verify(doc, t, &err) != CG_OK)
        fail_msg("cg_verify: %s", err.msg);
    cg_trust_free(t);
}

/* Verify (trusting the CA) and expect failure with needle in the message. */
static void assert_rejected(xmlDocPtr doc, const char *needle)
{
    struct cg_trust *t = trust_of(trusted);
    struct cg_err err;

    cg_err_clear(&err);
    assert_int_equal(cg_verify(doc, t, &err), CG_ESIG);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, err.msg);
    cg_trust_free(t);
}

static xmlNodePtr elem(xmlNodePtr n)
{
    while (n != NULL && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

static xmlNodePtr last_elem(xmlNodePtr parent)
{
    xmlNodePtr c, last = NULL;

    for (c = elem(parent->children); c != NULL; c = elem(c->next))
        last = c;
    return last;
}

/* First descendant element named local (any namespace). */
static xmlNodePtr find(xmlNodePtr n, const char *local)
{
    xmlNodePtr c, r;

    for (c = n->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)c->name, local) == 0)
            return c;
        if ((r = find(c, local)) != NULL)
            return r;
    }
    return NULL;
}

static char *attr(xmlNodePtr n, const char *name)
{
    static char v[256];
    xmlChar *x = xmlGetProp(n, (const xmlChar *)name);

    snprintf(v, sizeof(v), "%s", x != NULL ? (const char *)x : "(none)");
    xmlFree(x);
    return v;
}

/* ------------------------------------------------------------------ local signing */

static void test_pem_sha1_shape(void **state)
{
    struct cg_signer_opts o = pem_opts();
    xmlDocPtr doc = signed_with(&o);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr sig = last_elem(root), n;
    xmlChar *kn;
    struct cg_sig_info info;
    struct cg_err err;

    assert_string_equal((const char *)sig->name, "Signature");
    assert_string_equal((const char *)sig->ns->href, DS);
    assert_string_equal((const char *)sig->ns->prefix, "ds");
    n = find(sig, "CanonicalizationMethod");
    assert_string_equal(attr(n, "Algorithm"), "http://www.w3.org/TR/2001/REC-xml-c14n-20010315");
    assert_string_equal(attr(find(sig, "SignatureMethod"), "Algorithm"), DS "rsa-sha1");
    assert_string_equal(attr(find(sig, "DigestMethod"), "Algorithm"), DS "sha1");
    assert_string_equal(attr(find(sig, "Reference"), "URI"), "");
    assert_string_equal(attr(find(sig, "Transform"), "Algorithm"), DS "enveloped-signature");
    /* KeyInfo: KeyName first, then X509Data/X509Certificate */
    n = elem(find(sig, "KeyInfo")->children);
    assert_string_equal((const char *)n->name, "KeyName");
    kn = xmlNodeGetContent(n);
    assert_string_equal((const char *)kn, "0001");
    xmlFree(kn);
    n = elem(n->next);
    assert_string_equal((const char *)n->name, "X509Data");
    assert_string_equal((const char *)elem(n->children)->name, "X509Certificate");
    assert_verifies(doc);
    assert_int_equal(cg_verify_info(doc, NULL, &info, &err), CG_OK);
    assert_string_equal(info.alg, "rsa-sha1");
    assert_string_equal(info.key_name, "0001");
    assert_non_null(strstr(info.subject, "cebgate test signer"));
    xmlFreeDoc(doc);
}

static void test_sha256(void **state)
{
    struct cg_signer_opts o = pem_opts();
    xmlDocPtr doc;

    o.alg = "rsa-sha256";
    doc = signed_with(&o);
    assert_string_equal(attr(find(xmlDocGetRootElement(doc), "SignatureMethod"), "Algorithm"),
                        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
    assert_string_equal(attr(find(xmlDocGetRootElement(doc), "DigestMethod"), "Algorithm"),
                        "http://www.w3.org/2001/04/xmlenc#sha256");
    assert_verifies(doc);
    xmlFreeDoc(doc);
}

static void test_one_signer_many_docs(void **state)
{
    struct cg_signer_opts o = pem_opts();
    struct cg_signer *s = NULL;
    struct cg_err err;
    xmlDocPtr doc;
    int i;

    assert_int_equal(cg_signer_new(&o, &s, &err), CG_OK);
    for (i = 0; i < 5; i++) {
        doc = load_sample();
        assert_int_equal(cg_signer_sign(s, doc, &err), CG_OK);
        assert_verifies(doc);
        xmlFreeDoc(doc);
    }
    cg_signer_free(s);
}

/* doc signed by a new signer for o; the serialized result (caller frees with xmlFree). */
static xmlChar *sign_dump(const struct cg_signer_opts *o, xmlDocPtr doc, int *len)
{
    struct cg_signer *s = NULL;
    struct cg_err err;
    xmlChar *out = NULL;

    cg_err_clear(&err);
    if (cg_signer_new(o, &s, &err) != CG_OK)
        fail_msg("cg_signer_new: %s", err.msg);
    if (cg_signer_sign(s, doc, &err) != CG_OK)
        fail_msg("cg_signer_sign: %s", err.msg);
    cg_signer_free(s);
    assert_verifies(doc);
    xmlDocDumpMemory(doc, &out, len);
    assert_non_null(out);
    return out;
}

/*
 * The direct signing path writes exactly what xmlsec's XML-DSig engine writes into the same
 * template (RSA PKCS#1 v1.5 is deterministic): the sample as is, and a document with what
 * C14N treats specially - comments inside and outside the root (not covered by URI=""), a
 * processing instruction, a default and an unused namespace and xml:lang on the root (in scope
 * for SignedInfo), CDATA and characters to escape - with both algorithms and a PKCS#12 key.
 */
static void test_direct_matches_xmlsec(void **state)
{
    static const char odd[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- before -->\n<?cg one?>\n"
        "<ceb:CEB603Message xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\" xmlns=\"urn:d\" "
        "xmlns:z=\"urn:unused\" xml:lang=\"zh\" guid=\"x\" version=\"1.0\">\r\n"
        "  <ceb:Inventory b=\"2\" a=\"&lt;1&gt;\"><!-- inside --><note>a &amp; b\t\u6e2f"
        "<![CDATA[<c>]]></note><e/></ceb:Inventory>\n</ceb:CEB603Message>\n<!-- after -->\n";
    struct cg_signer_opts o = pem_opts();
    struct cg_err err;
    xmlDocPtr a, b;
    xmlChar *da, *db;
    int la, lb, i;

    for (i = 0; i < 6; i++) {
        o = pem_opts();
        if (i % 2 == 1)
            o.alg = "rsa-sha256";
        if (i >= 4) {
            o.key_file = path("bundle.p12");
            o.cert_file = NULL;
            o.pass_file = path("pass.txt");
        }
        if (i < 2 || i >= 4) {
            a = load_sample();
            b = load_sample();
        } else {
            assert_int_equal(cg_xml_parse(odd, sizeof(odd) - 1, "odd.xml", &a, &err), CG_OK);
            assert_int_equal(cg_xml_parse(odd, sizeof(odd) - 1, "odd.xml", &b, &err), CG_OK);
        }
        o.xmlsec_engine = false;
        da = sign_dump(&o, a, &la);
        o.xmlsec_engine = true;
        db = sign_dump(&o, b, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(da, db, (size_t)la);
        if (i == 2 || i == 3) /* the comments stay in the document, outside the digest */
            assert_non_null(strstr((const char *)da, "<!-- inside -->"));
        xmlFree(da);
        xmlFree(db);
        xmlFreeDoc(a);
        xmlFreeDoc(b);
    }
}

/* cg_sign_xml's tree path, as `cebgate sign` took it for every message before. */
static char *tree_signed(struct cg_signer *s, const char *in, int replace, size_t *len)
{
    struct cg_err err;
    xmlDocPtr doc = NULL;
    char *out = NULL;

    assert_int_equal(cg_xml_parse(in, strlen(in), "in.xml", &doc, &err), CG_OK);
    if (replace)
        cg_sig_strip(doc);
    if (cg_signer_sign(s, doc, &err) != CG_OK || cg_xml_serialize(doc, &out, len, &err) != CG_OK)
        fail_msg("%s", err.msg);
    xmlFreeDoc(doc);
    return out;
}

/* The ds:Signature element in xml, as text. */
static const char *sig_text(const char *xml, size_t *len)
{
    const char *a = strstr(xml, "<ds:Signature"), *b = strstr(xml, "</ds:Signature>");

    assert_non_null(a);
    assert_non_null(b);
    *len = (size_t)(b - a) + strlen("</ds:Signature>");
    return a;
}

/* The signed bytes parse and verify against the CA of the test. */
static void assert_bytes_verify(const char *xml, size_t len)
{
    struct cg_err err;
    xmlDocPtr doc = NULL;

    if (cg_xml_parse(xml, len, "out.xml", &doc, &err) != CG_OK)
        fail_msg("%s", err.msg);
    assert_verifies(doc);
    xmlFreeDoc(doc);
}

/*
 * cg_sign_xml, what `cebgate sign` calls: the usual message is signed from its bytes and the
 * output is the input with a ds:Signature inserted before the root's end tag that is the tree
 * path's byte for byte (RSA PKCS#1 v1.5 is deterministic), so for a message that is a
 * serialized tree (the sample without its signature) the whole output is the tree path's, with
 * rsa-sha1, rsa-sha256 and a PKCS#12 key; with what serializing would change (no declaration, a
 * byte-order mark, CR LF, comments, single quotes, escapes, a default namespace) every other
 * byte stays. What the bytes path leaves to the tree (a processing instruction, another
 * encoding, the xmlsec engine, a KeyName to escape) gives the tree path's output; an existing
 * signature is refused, or removed and counted with replace; a malformed message is refused with
 * its line.
 */
static void test_sign_xml(void **state)
{
    static const char *const kept[] = {
        "<r xmlns=\"urn:d\"><a>t</a></r>",
        "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<!-- c -->\r\n"
        "<ceb:CEB603Message xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\" xmlns=\"urn:d\" "
        "guid='g' version=\"1.0\">\r\n  <ceb:Inventory b=\"2\" a=\"&lt;1&gt; &amp; &#38;\">"
        "<!-- inside --><note>a &amp; b\t\xe6\xb8\xaf<![CDATA[<c>]]>&#13;</note><e/>"
        "</ceb:Inventory>\r\n</ceb:CEB603Message >\r\n<!-- after -->\r\n",
    };
    static const char *const tree[] = {
        "<?xml version=\"1.0\"?>\n<?cg one?>\n<r><a>t</a></r>\n",
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<r><a>\xe9</a></r>\n",
    };
    struct cg_signer_opts o;
    struct cg_signer *s = NULL;
    struct cg_err err;
    xmlDocPtr doc;
    char *in = NULL, *out = NULL, *ref = NULL;
    size_t in_len, out_len, ref_len, sl, rl, i;
    const char *sig, *rsig;
    int removed, k;

    (void)state;
    doc = load_sample();
    assert_int_equal(cg_xml_serialize(doc, &in, &in_len, &err), CG_OK);
    xmlFreeDoc(doc);
    for (k = 0; k < 5; k++) {
        o = pem_opts();
        if (k == 1)
            o.alg = "rsa-sha256";
        if (k == 4) /* a KeyName to escape: left to the tree's writer */
            o.key_name = "A&B <1>";
        if (k == 2) {
            o.key_file = path("bundle.p12");
            o.cert_file = NULL;
            o.pass_file = path("pass.txt");
        }
        o.xmlsec_engine = k == 3;
        assert_int_equal(cg_signer_new(&o, &s, &err), CG_OK);
        /* the sample without its signature: the tree path's bytes */
        assert_int_equal(cg_sign_xml(s, in, in_len, "in.xml", 0, &out, &out_len, &removed, &err),
                         CG_OK);
        assert_int_equal(removed, 0);
        ref = tree_signed(s, in, 0, &ref_len);
        assert_int_equal(out_len, ref_len);
        assert_memory_equal(out, ref, out_len);
        assert_bytes_verify(out, out_len);
        free(ref);
        /* signed again: refused; with replace, the old signature is removed and counted */
        assert_int_equal(
            cg_sign_xml(s, out, out_len, "signed.xml", 0, &ref, &ref_len, &removed, &err),
            CG_EEXIST);
        assert_int_equal(
            cg_sign_xml(s, out, out_len, "signed.xml", 1, &ref, &ref_len, &removed, &err), CG_OK);
        assert_int_equal(removed, 1);
        assert_bytes_verify(ref, ref_len);
        free(ref);
        free(out);
        for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
            assert_int_equal(
                cg_sign_xml(s, kept[i], strlen(kept[i]), "kept.xml", 0, &out, &out_len, NULL, &err),
                CG_OK);
            assert_bytes_verify(out, out_len);
            ref = tree_signed(s, kept[i], 0, &ref_len);
            sig = sig_text(out, &sl);
            rsig = sig_text(ref, &rl);
            assert_int_equal(sl, rl);
            assert_memory_equal(sig, rsig, sl);
            if (k >= 3) { /* the xmlsec engine, or the KeyName: signed on the tree */
                assert_int_equal(out_len, ref_len);
                assert_memory_equal(out, ref, out_len);
            } else { /* the input with the signature inserted, nothing else changed */
                assert_int_equal(out_len - sl, strlen(kept[i]));
                assert_memory_equal(out, kept[i], (size_t)(sig - out));
                assert_string_equal(sig + sl, kept[i] + (sig - out));
            }
            free(ref);
            free(out);
        }
        for (i = 0; i < sizeof(tree) / sizeof(tree[0]); i++) {
            assert_int_equal(
                cg_sign_xml(s, tree[i], strlen(tree[i]), "tree.xml", 0, &out, &out_len, NULL, &err),
                CG_OK);
            ref = tree_signed(s, tree[i], 0, &ref_len);
            assert_int_equal(out_len, ref_len);
            assert_memory_equal(out, ref, out_len);
            assert_bytes_verify(out, out_len);
            free(ref);
            free(out);
        }
        assert_int_equal(
            cg_sign_xml(s, "<r>\n<a></r>", 11, "bad.xml", 0, &out, &out_len, NULL, &err),
            CG_EPARSE);
        assert_non_null(strstr(err.msg, "bad.xml:2: not well-formed"));
        assert_null(out);
        cg_signer_free(s);
        s = NULL;
    }
    free(in);
}

static void test_pkcs12_pass_file(void **state)
{
    struct cg_signer_opts o = pem_opts();
    xmlDocPtr doc;

    o.key_file = path("bundle.p12");
    o.cert_file = NULL;
    o.pass_file = path("pass.txt");
    doc = signed_with(&o);
    assert_verifies(doc);
    xmlFreeDoc(doc);
}

static void test_encrypted_pem_pass_env(void **state)
{
    struct cg_signer_opts o = pem_opts();
    xmlDocPtr doc;

    setenv("CG_TEST_KEY_PASS", PASS, 1);
    o.key_file = path("enc.pem");
    o.pass_env = "CG_TEST_KEY_PASS";
    doc = signed_with(&o);
    assert_verifies(doc);
    xmlFreeDoc(doc);
    unsetenv("CG_TEST_KEY_PASS");
}

static void expect_new_fails(const struct cg_signer_opts *o, int code, const char *needle)
{
    struct cg_signer *s = NULL;
    struct cg_err err;

    cg_err_clear(&err);
    assert_int_equal(cg_signer_new(o, &s, &err), code);
    assert_null(s);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, err.msg);
    /* the passphrase never shows up in a message */
    assert_null(strstr(err.msg, "horse"));
    assert_null(strstr(err.msg, "wrong-pass"));
}

static void test_wrong_passphrase(void **state)
{
    struct cg_signer_opts o = pem_opts();

    write_text(path("bad-pass.txt"), "wrong-pass\n");
    o.key_file = path("enc.pem");
    o.pass_file = path("bad-pass.txt");
    expect_new_fails(&o, CG_ECRYPTO, "wrong passphrase");
    o.key_file = path("bundle.p12");
    o.cert_file = NULL;
    expect_new_fails(&o, CG_ECRYPTO, "wrong passphrase");
    setenv("CG_TEST_KEY_PASS", "wrong-pass", 1);
    o.pass_file = NULL;
    o.pass_env = "CG_TEST_KEY_PASS";
    expect_new_fails(&o, CG_ECRYPTO, "wrong passphrase");
    unsetenv("CG_TEST_KEY_PASS");
}

/* fn() with the process out of file descriptors: the next open fails with EMFILE. */
static void with_no_fd_left(void (*fn)(void))
{
    struct rlimit old;

    assert_int_equal(cg_test_no_fd_left(&old), 0);
    fn();
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

static void open_key_without_fd(void)
{
    struct cg_signer_opts o = pem_opts();

    expect_new_fails(&o, CG_EIO, "key.pem: Too many open files");
    o.key_file = path("enc.pem");
    o.pass_file = path("pass.txt");
    expect_new_fails(&o, CG_EIO, "pass.txt: Too many open files");
}

/*
 * A key or passphrase file that cannot be opened for want of a file descriptor (or memory, or
 * because the device failed) may open later: CG_EIO, which the spool takes as temporary (the
 * batch is kept, exit 75), not a key that cannot be used. A missing file stays a key error.
 */
static void test_key_file_temporary(void **state)
{
    struct cg_signer_opts o = pem_opts();

    (void)state;
    with_no_fd_left(open_key_without_fd);
    o.key_file = path("no-such-key.pem");
    expect_new_fails(&o, CG_ECRYPTO, "no-such-key.pem: No such file or directory");
    o = pem_opts();
    o.key_file = path("enc.pem");
    o.pass_file = path("no-such-pass.txt");
    expect_new_fails(&o, CG_ECONFIG, "no-such-pass.txt: No such file or directory");
}

static void test_passphrase_setup_errors(void **state)
{
    struct cg_signer_opts o = pem_opts();

    o.key_file = path("enc.pem");
    expect_new_fails(&o, CG_ECRYPTO, "no passphrase is configured");
    o.key_file = path("bundle.p12");
    o.cert_file = NULL;
    expect_new_fails(&o, CG_ECRYPTO, "no passphrase is configured");
    unsetenv("CG_TEST_UNSET_PASS");
    o.pass_env = "CG_TEST_UNSET_PASS";
    expect_new_fails(&o, CG_ECONFIG, "CG_TEST_UNSET_PASS");
    o.pass_file = path("pass.txt");
    expect_new_fails(&o, CG_ECONFIG, "not both");
    o.pass_env = NULL;
    o.pass_file = path("no-such-pass.txt");
    expect_new_fails(&o, CG_ECONFIG, "no-such-pass.txt");
}

static void test_key_errors(void **state)
{
    struct cg_signer_opts o = pem_opts();

    o.cert_file = path("other.pem");
    expect_new_fails(&o, CG_ECRYPTO, "does not belong");
    o = pem_opts();
    o.cert_file = NULL;
    expect_new_fails(&o, CG_ECONFIG, "cert_file");
    o = pem_opts();
    o.key_file = path("pass.txt");
    expect_new_fails(&o, CG_ECRYPTO, "neither a PEM private key nor a PKCS#12");
    o = pem_opts();
    o.key_file = path("missing.pem");
    expect_new_fails(&o, CG_ECRYPTO, "missing.pem");
    o = pem_opts();
    o.alg = "rsa-md5";
    expect_new_fails(&o, CG_ECONFIG, "rsa-md5");
    o = pem_opts();
    o.kind = "hsm";
    expect_new_fails(&o, CG_ECONFIG, "local or remote");
}

/*
 * Keys that must never sign: a 1024-bit RSA key, the CA's own key, an encryption-only
 * certificate, a TLS server certificate. A certificate meant for signatures is taken.
 */
static void test_signer_key_rules(void **state)
{
    struct cg_signer_opts o = pem_opts();
    struct cg_signer *s = NULL;
    struct cg_err err;

    (void)state;
    o.key_file = path("weak.key");
    o.cert_file = path("weak.pem");
    expect_new_fails(&o, CG_ESIG, "RSA key of 1024 bits is too weak (at least 2048)");
    o.key_file = path("ca.key");
    o.cert_file = path("ca.pem");
    expect_new_fails(&o, CG_ESIG, "is a CA certificate");
    o.key_file = path("encrypt-only.key");
    o.cert_file = path("encrypt-only.pem");
    expect_new_fails(&o, CG_ESIG, "neither digitalSignature nor nonRepudiation");
    o.key_file = path("srv.key");
    o.cert_file = path("srv.pem");
    expect_new_fails(&o, CG_ESIG, "is a TLS certificate");
    o.key_file = path("good.key");
    o.cert_file = path("good.pem");
    cg_err_clear(&err);
    if (cg_signer_new(&o, &s, &err) != CG_OK)
        fail_msg("cg_signer_new: %s", err.msg);
    cg_signer_free(s);
}

static void test_sha1_refused(void **state)
{
    struct cg_signer_opts o = pem_opts();
    struct cg_signer *s = NULL;
    struct cg_err err;

    refuse_sha1 = 1;
    expect_new_fails(&o, CG_ECRYPTO, "forbids SHA-1");
    expect_new_fails(&o, CG_ECRYPTO, "rsa-sha256");
    /* rsa-sha256 still works under such a policy */
    o.alg = "rsa-sha256";
    assert_int_equal(cg_signer_new(&o, &s, &err), CG_OK);
    cg_signer_free(s);
    refuse_sha1 = 0;
}

static void test_already_signed(void **state)
{
    struct cg_signer_opts o = pem_opts();
    struct cg_signer *s = NULL;
    struct cg_err err;
    xmlDocPtr doc = signed_with(&o);
    xmlNodePtr sig = last_elem(xmlDocGetRootElement(doc));

    assert_int_equal(cg_signer_new(&o, &s, &err), CG_OK);
    assert_int_equal(cg_signer_sign(s, doc, &err), CG_EEXIST);
    assert_ptr_equal(last_elem(xmlDocGetRootElement(doc)), sig);
    assert_verifies(doc);
    cg_signer_free(s);
    xmlFreeDoc(doc);
}

/*
 * A ds:Signature anywhere below the root is refused and the document left as it was: where the
 * direct path's own C14N walk finds it, where that walk leaves the document to libxml2 (a
 * comment), and on the xmlsec path. A Signature element of another namespace is no signature.
 */
static void test_nested_signature(void **state)
{
    static const char *const nested[] = {
        "<r xmlns=\"urn:x\"><a><b><ds:Signature "
        "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/></b></a><c/></r>",
        "<r xmlns=\"urn:x\"><!-- c --><a><ds:Signature "
        "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/></a></r>",
    };
    static const char other[] = "<r xmlns=\"urn:x\"><a><Signature/></a></r>";
    struct cg_signer_opts o = pem_opts();
    struct cg_signer *s = NULL;
    struct cg_err err;
    xmlDocPtr doc = NULL;
    xmlChar *before = NULL, *after = NULL;
    int nb = 0, na = 0;
    size_t i;

    (void)state;
    o.alg = "rsa-sha256";
    for (i = 0; i < 2 * (sizeof(nested) / sizeof(nested[0])); i++) {
        o.xmlsec_engine = i % 2 == 1;
        assert_int_equal(cg_signer_new(&o, &s, &err), CG_OK);
        assert_int_equal(cg_xml_parse(nested[i / 2], strlen(nested[i / 2]), "nested", &doc, &err),
                         CG_OK);
        xmlDocDumpMemory(doc, &before, &nb);
        assert_int_equal(cg_signer_sign(s, doc, &err), CG_EEXIST);
        assert_non_null(strstr(err.msg, "already carries a ds:Signature"));
        xmlDocDumpMemory(doc, &after, &na);
        assert_int_equal(na, nb);
        assert_memory_equal(after, before, (size_t)nb);
        xmlFree(before);
        xmlFree(after);
        xmlFreeDoc(doc);
        cg_signer_free(s);
        s = NULL;
    }
    o.xmlsec_engine = false;
    assert_int_equal(cg_signer_new(&o, &s, &err), CG_OK);
    assert_int_equal(cg_xml_parse(other, strlen(other), "other", &doc, &err), CG_OK);
    assert_int_equal(cg_signer_sign(s, doc, &err), CG_OK);
    assert_verifies(doc);
    xmlFreeDoc(doc);
    cg_signer_free(s);
}

/* ------------------------------------------------------------------ verify failures */

static void test_verify_digest_mismatch(void **state)
{
    struct cg_signer_opts o = pem_opts();
    xmlDocPtr doc = signed_with(&o);
    xmlNodePtr qty = find(xmlDocGetRootElement(doc), "qty");

    xmlNodeSetContent(qty, (const xmlChar *)"101");
    assert_rejected(doc, "digest mismatch");
    xmlFreeDoc(doc);
}

/* Put the certificate of PEM file into ds:X509Certificate of doc. */
static void set_key_info_cert(xmlDocPtr doc, const char *pem)
{
    xmlNodePtr cert = find(xmlDocGetRootElement(doc), "X509Certificate");
    struct cg_buf b;
    struct cg_err err;
    const char *p, *e;

    cg_buf_init(&b, 65536);
    assert_int_equal(cg_fs_read(path(pem), 65536, &b, &err), CG_OK);
    p = strchr(cg_buf_str(&b), '\n') + 1;
    e = strstr(p, "-----END");
    xmlNodeSetContent(cert, NULL);
    xmlNodeAddContentLen(cert, (const xmlChar *)p, (int)(e - p));
    cg_buf_free(&b);
}

static void test_verify_wrong_key(void **state)
{
    struct cg_signer_opts o = pem_opts();
    xmlDocPtr doc = signed_with(&o);

    /* Put somebody else's certificate (one that may sign) into KeyInfo. */
    set_key_info_cert(doc, "good.pem");
    assert_rejected(doc, "wrong key");
    xmlFreeDoc(doc);
}

static void test_verify_signature_value_changed(void **state)
{
    struct cg_signer_opts o = pem_opts();
    xmlDocPtr doc = signed_with(&o);
    xmlNodePtr sv = find(xmlDocGetRootElement(doc), "SignatureValue");
    xmlChar *v = xmlNodeGetContent(sv);
    size_t i = 10;

    v[i] = v[i] == 'A' ? 'B' : 'A';
    xmlNodeSetContent(sv, v);
    xmlFree(v);
    assert_rejected(doc, "wrong key");
    xmlFreeDoc(doc);
}

static void test_verify_untrusted(void **state)
{
    struct cg_signer_opts o = pem_opts();
    xmlDocPtr doc = signed_with(&o);
    struct cg_trust *t = trust_of("other.pem");
    struct cg_err err;

    assert_int_equal(cg_verify(doc, t, &err), CG_ESIG);
    assert_non_null(strstr(err.msg, "untrusted certificate"));
    /* without trust the signature itself is fine; pinning the signer's own cert works too */
    assert_int_equal(cg_verify(doc, NULL, &err), CG_OK);
    cg_trust_free(t);
    t = trust_of("cert.pem");
    assert_int_equal(cg_verify(doc, t, &err), CG_OK);
    cg_trust_free(t);
    xmlFreeDoc(doc);
}

static void test_verify_moved_into_body(void **state)
{
    struct cg_signer_opts o = pem_opts();
    xmlDocPtr doc = signed_with(&o);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr sig = last_elem(root);

    xmlUnlinkNode(sig);
    xmlAddChild(elem(root->children), sig);
    assert_rejected(doc, "not a child of the root");
    xmlFreeDoc(doc);
}

static void test_verify_not_last(void **state)
{
    struct cg_signer_opts o = pem_opts();
    xmlDocPtr doc = signed_with(&o);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr first = elem(root->children);

    /* Wrapping attack shape: signed content kept, a new element after the signature. */
    xmlAddChild(root, xmlCopyNode(first, 1));
    assert_rejected(doc, "not the last child");
    xmlFreeDoc(doc);
}

static void test_verify_second_signature(void **state)
{
    struct cg_signer_opts o = pem_opts();
    xmlDocPtr doc = signed_with(&o);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr sig = last_elem(root);

    xmlAddChild(elem(root->children), xmlCopyNode(sig, 1));
    assert_rejected(doc, "more than one ds:Signature");
    xmlFreeDoc(doc);
}

static void test_verify_reference_uri(void **state)
{
    struct cg_signer_opts o = pem_opts();
    xmlDocPtr doc = signed_with(&o);
    xmlNodePtr ref = find(xmlDocGetRootElement(doc), "Reference");

    xmlSetProp(ref, (const xmlChar *)"URI", (const xmlChar *)"#inv1");
    assert_rejected(doc, "signature does not cover the root element");
    xmlUnsetProp(ref, (const xmlChar *)"URI");
    assert_rejected(doc, "no URI attribute");
    xmlFreeDoc(doc);
}

static void test_verify_extra_transform(void **state)
{
    struct cg_signer_opts o = pem_opts();
    xmlDocPtr doc = signed_with(&o);
    xmlNodePtr tr = find(xmlDocGetRootElement(doc), "Transform");
    xmlNodePtr x;

    x = xmlCopyNode(tr, 1);
    xmlSetProp(x, (const xmlChar *)"Algorithm",
               (const xmlChar *)"http://www.w3.org/TR/1999/REC-xpath-19991116");
    xmlAddNextSibling(tr, x);
    assert_rejected(doc, "exactly one ds:Transform");
    xmlUnlinkNode(x);
    xmlFreeNode(x);
    xmlSetProp(tr, (const xmlChar *)"Algorithm",
               (const xmlChar *)"http://www.w3.org/2001/10/xml-exc-c14n#");
    assert_rejected(doc, "is not allowed");
    xmlFreeDoc(doc);
}

static void test_verify_second_reference(void **state)
{
    struct cg_signer_opts o = pem_opts();
    xmlDocPtr doc = signed_with(&o);
    xmlNodePtr ref = find(xmlDocGetRootElement(doc), "Reference");

    xmlAddNextSibling(ref, xmlCopyNode(ref, 1));
    assert_rejected(doc, "more than one ds:Reference");
    xmlFreeDoc(doc);
}

static void test_verify_object(void **state)
{
    struct cg_signer_opts o = pem_opts();
    xmlDocPtr doc = signed_with(&o);
    xmlNodePtr sig = last_elem(xmlDocGetRootElement(doc));

    xmlNewChild(sig, sig->ns, (const xmlChar *)"Object", (const xmlChar *)"x");
    assert_rejected(doc, "unexpected <Object>");
    xmlFreeDoc(doc);
}

static void test_verify_no_signature(void **state)
{
    xmlDocPtr doc = load_sample();

    assert_rejected(doc, "no signature");
    xmlFreeDoc(doc);
}

static void test_verify_official_placeholder(void **state)
{
    xmlDocPtr doc = NULL;
    struct cg_err err;

    /* The official sample's signature is a placeholder: it must not verify. */
    assert_int_equal(cg_xml_parse_file(sample, &doc, &err), CG_OK);
    assert_int_equal(cg_verify(doc, NULL, &err), CG_ESIG);
    xmlFreeDoc(doc);
}

static void test_trust_file_errors(void **state)
{
    struct cg_trust *t = NULL;
    struct cg_err err;

    assert_int_equal(cg_trust_new(&t, &err), CG_OK);
    assert_int_equal(cg_trust_add_file(t, path("pass.txt"), &err), CG_ECRYPTO);
    assert_non_null(strstr(err.msg, "no PEM certificate"));
    assert_int_equal(cg_trust_add_file(t, path("nope.pem"), &err), CG_ECRYPTO);
    cg_trust_free(t);
    cg_trust_free(NULL);
    cg_signer_free(NULL);
}

/* ------------------------------------------------------------------ remote backend */

struct remote_case {
    struct rs_server *srv;
    unsigned port;
    char url[128];
};

static void start_remote(struct remote_case *rc, const struct rs_opts *ro, int tls)
{
    rc->srv = rs_start(ro, &rc->port);
    assert_non_null(rc->srv);
    snprintf(rc->url, sizeof(rc->url), "%s://127.0.0.1:%u/sign", tls ? "https" : "http", rc->port);
}

static struct rs_opts rs_defaults(void)
{
    struct rs_opts ro;

    memset(&ro, 0, sizeof(ro));
    ro.key_file = path("key.pem");
    ro.cert_file = path("cert.pem");
    ro.key_name = "01691fe9";
    ro.token = "t0ken";
    return ro;
}

static struct cg_signer_opts remote_opts(const char *url)
{
    struct cg_signer_opts o;

    memset(&o, 0, sizeof(o));
    o.kind = "remote";
    o.alg = "rsa-sha1";
    o.remote_url = url;
    o.remote_token = "t0ken";
    return o;
}

static int remote_sign(const struct cg_signer_opts *o, xmlDocPtr doc, struct cg_err *err)
{
    struct cg_signer *s = NULL;
    int rc;

    cg_err_clear(err);
    rc = cg_signer_new(o, &s, err);
    if (rc == CG_OK)
        rc = cg_signer_sign(s, doc, err);
    cg_signer_free(s);
    return rc;
}

static void test_remote_http(void **state)
{
    struct rs_opts ro = rs_defaults();
    struct remote_case rc;
    struct cg_signer_opts o;
    struct cg_sig_info info;
    struct cg_err err;
    xmlDocPtr doc;
    const char *algs[] = {"rsa-sha1", "rsa-sha256"};
    size_t i;

    start_remote(&rc, &ro, 0);
    o = remote_opts(rc.url);
    for (i = 0; i < 2; i++) {
        o.alg = algs[i];
        doc = load_sample();
        if (remote_sign(&o, doc, &err) != CG_OK)
            fail_msg("remote sign: %s", err.msg);
        assert_verifies(doc);
        assert_int_equal(cg_verify_info(doc, NULL, &info, &err), CG_OK);
        assert_string_equal(info.alg, algs[i]);
        assert_string_equal(info.key_name, "01691fe9"); /* from the service: none configured */
        xmlFreeDoc(doc);
    }
    /* A configured key_name wins over the service's. */
    o.key_name = "0001";
    doc = load_sample();
    assert_int_equal(remote_sign(&o, doc, &err), CG_OK);
    assert_int_equal(cg_verify_info(doc, NULL, &info, &err), CG_OK);
    assert_string_equal(info.key_name, "0001");
    xmlFreeDoc(doc);
    assert_int_equal(rs_requests(rc.srv), 3);
    rs_stop(rc.srv);
}

static void test_remote_https(void **state)
{
    struct rs_opts ro = rs_defaults();
    struct remote_case rc;
    struct cg_signer_opts o;
    struct cg_err err;
    xmlDocPtr doc;

    ro.tls_cert = path("tls.pem");
    ro.tls_key = path("tls.key");
    start_remote(&rc, &ro, 1);
    o = remote_opts(rc.url);
    o.remote_ca = path("ca.pem");
    doc = load_sample();
    if (remote_sign(&o, doc, &err) != CG_OK)
        fail_msg("remote sign over https: %s", err.msg);
    assert_verifies(doc);
    xmlFreeDoc(doc);
    /* Verification is always on: an unknown CA is refused, nothing is signed. */
    o.remote_ca = path("other.pem");
    doc = load_sample();
    assert_int_equal(remote_sign(&o, doc, &err), CG_ECONFIG);
    assert_non_null(strstr(err.msg, "TLS verification failed"));
    assert_null(last_elem(xmlDocGetRootElement(doc)) == NULL
                    ? NULL
                    : find(xmlDocGetRootElement(doc), "SignedInfo"));
    xmlFreeDoc(doc);
    assert_int_equal(rs_requests(rc.srv), 1);
    rs_stop(rc.srv);
}

static void test_remote_failures(void **state)
{
    struct rs_opts ro = rs_defaults();
    struct remote_case rc;
    struct cg_signer_opts o;
    struct cg_err err;
    xmlDocPtr doc = load_sample();
    char closed[128];

    /* wrong token: refused (401), not retried */
    start_remote(&rc, &ro, 0);
    o = remote_opts(rc.url);
    o.remote_token = "wrong";
    assert_int_equal(remote_sign(&o, doc, &err), CG_ECRYPTO);
    assert_non_null(strstr(err.msg, "HTTP 401"));
    assert_null(strstr(err.msg, "wrong"));
    assert_null(find(xmlDocGetRootElement(doc), "SignedInfo"));
    rs_stop(rc.srv);

    /* service trouble: try again later */
    ro.fail_status = 503;
    start_remote(&rc, &ro, 0);
    o = remote_opts(rc.url);
    assert_int_equal(remote_sign(&o, doc, &err), CG_ERETRY);
    assert_non_null(strstr(err.msg, "HTTP 503"));
    snprintf(closed, sizeof(closed), "%s", rc.url);
    rs_stop(rc.srv);

    /* nobody listening any more: try again later */
    o = remote_opts(closed);
    assert_int_equal(remote_sign(&o, doc, &err), CG_ERETRY);

    /* a signature that does not verify never reaches the document */
    ro.fail_status = 0;
    ro.corrupt = 1;
    start_remote(&rc, &ro, 0);
    o = remote_opts(rc.url);
    assert_int_equal(remote_sign(&o, doc, &err), CG_ECRYPTO);
    assert_non_null(strstr(err.msg, "does not verify"));
    assert_null(find(xmlDocGetRootElement(doc), "SignedInfo"));
    rs_stop(rc.srv);

    o = remote_opts("ftp://127.0.0.1/x");
    assert_int_equal(remote_sign(&o, doc, &err), CG_ECONFIG);
    o = remote_opts(NULL);
    assert_int_equal(remote_sign(&o, doc, &err), CG_ECONFIG);
    xmlFreeDoc(doc);
}

/* ------------------------------------------------------------------ clones for other threads */

/* Copy file name to copy in the test directory (so the copy can be taken away). */
static void copy_file(const char *name, const char *copy)
{
    assert_int_equal(sh("cp '%s' '%s'", path(name), path(copy)), 0);
}

/* Sign n fresh samples with s and check each verifies with the CA and names key_name. */
static void assert_signs(struct cg_signer *s, int n, const char *key_name)
{
    struct cg_sig_info info;
    struct cg_err err;
    xmlDocPtr doc;
    int i;

    for (i = 0; i < n; i++) {
        doc = load_sample();
        cg_err_clear(&err);
        if (cg_signer_sign(s, doc, &err) != CG_OK)
            fail_msg("cg_signer_sign: %s", err.msg);
        assert_verifies(doc);
        assert_int_equal(cg_verify_info(doc, NULL, &info, &err), CG_OK);
        assert_string_equal(info.key_name, key_name);
        assert_non_null(strstr(info.subject, "cebgate test signer"));
        xmlFreeDoc(doc);
    }
}

/*
 * A clone signs documents that verify, for PEM, encrypted PEM (passphrase from the
 * environment), PKCS#12 (passphrase file) and both signing paths; it reads no file and no
 * passphrase (key, certificate and passphrase are gone when it is made) and outlives the
 * original, which is freed before the clone is used (ASan reports any use after free).
 */
static void test_clone_local(void **state)
{
    struct cg_signer *s = NULL, *c = NULL, *c2 = NULL;
    struct cg_signer_opts o;
    struct cg_err err;
    int i;

    for (i = 0; i < 6; i++) {
        o = pem_opts();
        o.xmlsec_engine = i >= 3;
        if (i % 3 == 0) {
            copy_file("key.pem", "gone.key");
            copy_file("cert.pem", "gone.pem");
            o.key_file = path("gone.key");
            o.cert_file = path("gone.pem");
        } else if (i % 3 == 1) {
            copy_file("enc.pem", "gone.key");
            copy_file("cert.pem", "gone.pem");
            setenv("CG_TEST_CLONE_PASS", PASS, 1);
            o.key_file = path("gone.key");
            o.cert_file = path("gone.pem");
            o.pass_env = "CG_TEST_CLONE_PASS";
            o.alg = "rsa-sha256";
        } else {
            copy_file("bundle.p12", "gone.key");
            copy_file("pass.txt", "gone.pass");
            o.key_file = path("gone.key");
            o.cert_file = NULL;
            o.pass_file = path("gone.pass");
        }
        cg_err_clear(&err);
        if (cg_signer_new(&o, &s, &err) != CG_OK)
            fail_msg("cg_signer_new (case %d): %s", i, err.msg);
        assert_int_equal(
            sh("rm -f '%s' '%s' '%s'", path("gone.key"), path("gone.pem"), path("gone.pass")), 0);
        unsetenv("CG_TEST_CLONE_PASS");
        /* Nothing left to load from: a new signer fails, a clone does not. */
        expect_new_fails(&o, i % 3 == 0 ? CG_ECRYPTO : CG_ECONFIG, i % 3 == 1 ? "not set" : "gone");
        if (cg_signer_clone(s, &c, &err) != CG_OK)
            fail_msg("cg_signer_clone (case %d): %s", i, err.msg);
        assert_non_null(c);
        assert_ptr_not_equal(c, s);
        /* A clone of a clone, made while the original still signs. */
        assert_signs(s, 1, "0001");
        assert_int_equal(cg_signer_clone(c, &c2, &err), CG_OK);
        cg_signer_free(s);
        s = NULL;
        assert_signs(c, 3, "0001");
        cg_signer_free(c);
        c = NULL;
        assert_signs(c2, 1, "0001");
        cg_signer_free(c2);
        c2 = NULL;
    }
}

/* Two threads sign their own documents at the same time, with the original and a clone. */
struct signing_thread {
    struct cg_signer *s;
    xmlDocPtr docs[24];
    int n;
    int rc;
    char msg[sizeof(((struct cg_err *)0)->msg) + 32]; /* "document N: " and the error */
};

static void *sign_docs(void *arg)
{
    struct signing_thread *t = arg;
    struct cg_err err;
    int i;

    t->rc = CG_OK;
    for (i = 0; i < t->n && t->rc == CG_OK; i++) {
        cg_err_clear(&err);
        t->rc = cg_signer_sign(t->s, t->docs[i], &err);
        if (t->rc != CG_OK)
            snprintf(t->msg, sizeof(t->msg), "document %d: %s", i, err.msg);
    }
    return NULL;
}

static void sign_in_two_threads(const struct cg_signer_opts *o, int n)
{
    struct signing_thread t[2];
    pthread_t tid[2];
    struct cg_signer *s = NULL, *c = NULL;
    struct cg_err err;
    int i, k;

    cg_err_clear(&err);
    if (cg_signer_new(o, &s, &err) != CG_OK)
        fail_msg("cg_signer_new: %s", err.msg);
    assert_int_equal(cg_signer_clone(s, &c, &err), CG_OK);
    memset(t, 0, sizeof(t));
    for (k = 0; k < 2; k++) {
        t[k].s = k == 0 ? s : c;
        t[k].n = n;
        for (i = 0; i < n; i++)
            t[k].docs[i] = load_sample();
    }
    for (k = 0; k < 2; k++)
        assert_int_equal(pthread_create(&tid[k], NULL, sign_docs, &t[k]), 0);
    for (k = 0; k < 2; k++)
        assert_int_equal(pthread_join(tid[k], NULL), 0);
    for (k = 0; k < 2; k++) {
        if (t[k].rc != CG_OK)
            fail_msg("thread %d: %s", k, t[k].msg);
        for (i = 0; i < n; i++) {
            assert_verifies(t[k].docs[i]);
            xmlFreeDoc(t[k].docs[i]);
        }
    }
    cg_signer_free(c);
    cg_signer_free(s);
}

static void test_clone_threads(void **state)
{
    struct cg_signer_opts o = pem_opts();

    sign_in_two_threads(&o, 24);
    o.key_file = path("bundle.p12");
    o.cert_file = NULL;
    o.pass_file = path("pass.txt");
    o.alg = "rsa-sha256";
    sign_in_two_threads(&o, 24);
}

/*
 * Remote: the clone has the original's settings (URL, token, CA) and its own connection; it
 * signs after the original is freed, and the two sign from two threads at once.
 */
static void test_clone_remote(void **state)
{
    struct rs_opts ro = rs_defaults();
    struct remote_case rc;
    struct cg_signer_opts o;
    struct cg_signer *s = NULL, *c = NULL;
    struct cg_err err;
    char *url, *token;

    ro.tls_cert = path("tls.pem");
    ro.tls_key = path("tls.key");
    start_remote(&rc, &ro, 1);
    /* Settings in buffers that are wiped after cg_signer_new: the clone must not borrow them. */
    url = strdup(rc.url);
    token = strdup("t0ken");
    assert_non_null(url);
    assert_non_null(token);
    o = remote_opts(url);
    o.remote_token = token;
    o.remote_ca = path("ca.pem");
    cg_err_clear(&err);
    if (cg_signer_new(&o, &s, &err) != CG_OK)
        fail_msg("cg_signer_new: %s", err.msg);
    memset(url, 'x', strlen(url));
    memset(token, 'x', strlen(token));
    free(url);
    free(token);
    assert_int_equal(cg_signer_clone(s, &c, &err), CG_OK);
    cg_signer_free(s);
    assert_signs(c, 2, "01691fe9"); /* the token and the CA went along: 401 or TLS errors else */
    cg_signer_free(c);
    assert_int_equal(rs_requests(rc.srv), 2);
    o = remote_opts(rc.url);
    o.remote_ca = path("ca.pem");
    sign_in_two_threads(&o, 8);
    assert_int_equal(rs_requests(rc.srv), 2 + 16);
    rs_stop(rc.srv);
}

/* ------------------------------------------------------------------ SM2 */

static struct cg_signer_opts sm2_opts(void)
{
    struct cg_signer_opts o = pem_opts();

    o.alg = NULL; /* follows the key */
    o.key_file = path("sm2.key");
    o.cert_file = path("sm2.pem");
    return o;
}

/* The SignatureValue of doc, decoded. */
static size_t sig_value_len(xmlDocPtr doc)
{
    xmlChar *text = xmlNodeGetContent(find(xmlDocGetRootElement(doc), "SignatureValue"));
    unsigned char out[1024];
    EVP_ENCODE_CTX *e = EVP_ENCODE_CTX_new();
    int n = 0, m = 0, i, j;

    assert_non_null(text);
    for (i = j = 0; text[i] != '\0'; i++) /* drop the line breaks */
        if (text[i] != '\n')
            text[j++] = text[i];
    text[j] = '\0';
    EVP_DecodeInit(e);
    assert_true(EVP_DecodeUpdate(e, out, &n, text, j) >= 0);
    assert_int_equal(EVP_DecodeFinal(e, out + n, &m), 1);
    EVP_ENCODE_CTX_free(e);
    xmlFree(text);
    return (size_t)(n + m);
}

static void test_sm2_follows_key(void **state)
{
    struct cg_signer_opts o = sm2_opts();
    struct cg_signer *s = NULL;
    struct cg_err err;
    struct cg_sig_info info;
    struct cg_trust *t;
    xmlDocPtr doc;
    int i;

    trusted = "sm2ca.pem";
    cg_err_clear(&err);
    if (cg_signer_new(&o, &s, &err) != CG_OK)
        fail_msg("cg_signer_new: %s", err.msg);
    for (i = 0; i < 5; i++) { /* one signing context, set up once, for every message */
        doc = load_sample();
        assert_int_equal(cg_signer_sign(s, doc, &err), CG_OK);
        assert_string_equal(attr(find(xmlDocGetRootElement(doc), "SignatureMethod"), "Algorithm"),
                            "http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3");
        assert_string_equal(attr(find(xmlDocGetRootElement(doc), "DigestMethod"), "Algorithm"),
                            "http://www.chinaport.gov.cn/2022/04/xmldsig#sm3");
        assert_int_equal(sig_value_len(doc), 64);
        t = trust_of("sm2ca.pem");
        assert_int_equal(cg_verify_info(doc, t, &info, &err), CG_OK);
        assert_string_equal(info.alg, "sm2-sm3");
        cg_trust_free(t);
        /* the RSA CA does not vouch for the SM2 signer */
        t = trust_of("ca.pem");
        assert_int_equal(cg_verify(doc, t, &err), CG_ESIG);
        assert_non_null(strstr(err.msg, "untrusted certificate"));
        cg_trust_free(t);
        xmlFreeDoc(doc);
    }
    cg_signer_free(s);
    /* an RSA key with no sign_alg signs rsa-sha1 */
    o = pem_opts();
    o.alg = NULL;
    trusted = "ca.pem";
    doc = signed_with(&o);
    assert_string_equal(attr(find(xmlDocGetRootElement(doc), "SignatureMethod"), "Algorithm"),
                        DS "rsa-sha1");
    assert_verifies(doc);
    xmlFreeDoc(doc);
}

/* SM2 from the bytes: the same SignedInfo as on the tree (the value is randomized), verifying. */
static void test_sm2_sign_xml(void **state)
{
    struct cg_signer_opts o = sm2_opts();
    struct cg_signer *s = NULL;
    struct cg_err err;
    xmlDocPtr doc = load_sample();
    char *in = NULL, *out = NULL, *ref = NULL;
    size_t in_len, out_len, ref_len;
    const char *a, *b;

    (void)state;
    trusted = "sm2ca.pem";
    assert_int_equal(cg_xml_serialize(doc, &in, &in_len, &err), CG_OK);
    xmlFreeDoc(doc);
    assert_int_equal(cg_signer_new(&o, &s, &err), CG_OK);
    assert_int_equal(cg_sign_xml(s, in, in_len, "in.xml", 0, &out, &out_len, NULL, &err), CG_OK);
    assert_bytes_verify(out, out_len);
    ref = tree_signed(s, in, 0, &ref_len);
    a = strstr(out, "<ds:SignatureValue>");
    b = strstr(ref, "<ds:SignatureValue>");
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a - out, b - ref);
    assert_memory_equal(out, ref, (size_t)(a - out));
    assert_non_null(strstr(out, "xmldsig#sm2-sm3\"/>"));
    free(in);
    free(out);
    free(ref);
    cg_signer_free(s);
    trusted = "ca.pem";
}

static void test_sm2_refusals(void **state)
{
    struct cg_signer_opts o = sm2_opts();
    xmlDocPtr doc;
    xmlNodePtr dv;

    o.alg = "rsa-sha1";
    expect_new_fails(&o, CG_EUNSUPPORTED, "holds an SM2 key");
    o.alg = "rsa-sha256";
    expect_new_fails(&o, CG_EUNSUPPORTED, "holds an SM2 key");
    o.alg = "sm2-sm3";
    o.xmlsec_engine = true;
    expect_new_fails(&o, CG_EUNSUPPORTED, "no SM2 transform");
    o = pem_opts();
    o.alg = "sm2-sm3";
    expect_new_fails(&o, CG_EUNSUPPORTED, "holds an RSA key");
    o.alg = "sm2-sha1";
    expect_new_fails(&o, CG_ECONFIG, "use sm2-sm3, rsa-sha1 or rsa-sha256");
    /* DigestValue changed, SM3 digest of the body no longer matches */
    o = sm2_opts();
    trusted = "sm2ca.pem";
    doc = signed_with(&o);
    dv = find(xmlDocGetRootElement(doc), "DigestValue");
    xmlNodeSetContent(dv, (const xmlChar *)"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    assert_rejected(doc, "digest mismatch");
    xmlFreeDoc(doc);
    /* an SM3 DigestMethod under an RSA SignatureMethod */
    o = pem_opts();
    trusted = "ca.pem";
    doc = signed_with(&o);
    xmlSetProp(find(xmlDocGetRootElement(doc), "DigestMethod"), (const xmlChar *)"Algorithm",
               (const xmlChar *)"http://www.chinaport.gov.cn/2022/04/xmldsig#sm3");
    assert_rejected(doc, "does not go with rsa-sha1");
    xmlFreeDoc(doc);
}

static void test_sm2_id(void **state)
{
    struct cg_signer_opts o = sm2_opts();
    struct cg_trust *t = trust_of("sm2ca.pem");
    struct cg_err err;
    xmlDocPtr doc;

    o.sm2_id = "ALICE123@YAHOO.COM";
    doc = signed_with(&o);
    cg_err_clear(&err);
    assert_int_equal(cg_verify(doc, t, &err), CG_ESIG);
    assert_non_null(strstr(err.msg, "wrong key"));
    assert_non_null(strstr(err.msg, "1234567812345678"));
    assert_int_equal(cg_trust_set_sm2_id(t, "ALICE123@YAHOO.COM", &err), CG_OK);
    assert_int_equal(cg_verify(doc, t, &err), CG_OK);
    assert_int_equal(cg_trust_set_sm2_id(t, "", &err), CG_ECONFIG);
    cg_trust_free(t);
    xmlFreeDoc(doc);
}

static void test_sm2_clone_threads(void **state)
{
    struct cg_signer_opts o = sm2_opts();

    trusted = "sm2ca.pem";
    sign_in_two_threads(&o, 24);
    trusted = "ca.pem";
}

/* ------------------------------------------------------------------ certificate cache */

/* A document signed with key/cert (rsa-sha256). */
static xmlDocPtr signed_by(const char *key, const char *cert)
{
    struct cg_signer_opts o = pem_opts();

    o.alg = "rsa-sha256";
    o.key_file = path(key);
    o.cert_file = path(cert);
    return signed_with(&o);
}

/* A certificate refused by the signer rules is refused again when it comes from the cache. */
static void test_cache_refusal_kept(void **state)
{
    struct cg_trust *t = trust_of("ca.pem");
    xmlDocPtr doc = signed_by("key.pem", "cert.pem");
    xmlDocPtr weak = signed_by("key.pem", "cert.pem");
    struct cg_err err;
    int i;

    set_key_info_cert(weak, "weak.pem");
    for (i = 0; i < 3; i++) {
        cg_err_clear(&err);
        assert_int_equal(cg_verify(weak, t, &err), CG_ESIG);
        assert_string_equal(
            err.msg, "signing certificate: RSA key of 1024 bits is too weak (at least 2048)");
        assert_int_equal(cg_cert_cache_count(cg_trust_cert_cache(t)), 1);
    }
    assert_int_equal(cg_verify(doc, t, &err), CG_OK);
    assert_int_equal(cg_cert_cache_count(cg_trust_cert_cache(t)), 2);
    assert_int_equal(cg_verify(weak, t, &err), CG_ESIG);
    assert_non_null(strstr(err.msg, "too weak"));
    xmlFreeDoc(weak);
    xmlFreeDoc(doc);
    cg_trust_free(t);
}

/* Another certificate with the subject of a cached, trusted one is judged on its own. */
static void test_cache_same_subject(void **state)
{
    struct cg_trust *t = trust_of("ca.pem");
    xmlDocPtr doc = signed_by("key.pem", "cert.pem");
    xmlDocPtr twin = signed_by("twin.key", "twin.pem");
    struct cg_sig_info a, b;
    struct cg_err err;

    assert_int_equal(cg_verify_info(doc, t, &a, &err), CG_OK);
    assert_int_equal(cg_verify_info(doc, t, &a, &err), CG_OK);
    assert_int_equal(cg_verify_info(twin, NULL, &b, &err), CG_OK);
    assert_string_equal(a.subject, b.subject);
    assert_string_not_equal(a.sha256, b.sha256);
    cg_err_clear(&err);
    assert_int_equal(cg_verify_info(twin, t, &b, &err), CG_ESIG);
    assert_non_null(strstr(err.msg, "untrusted certificate"));
    /* the signer's own message still verifies, and says who signed it */
    assert_int_equal(cg_verify_info(doc, t, &b, &err), CG_OK);
    assert_string_equal(a.sha256, b.sha256);
    /* the twin's certificate with the signer's signature: the twin's key does not verify it */
    set_key_info_cert(doc, "twin.pem");
    cg_err_clear(&err);
    assert_int_equal(cg_verify(doc, t, &err), CG_ESIG);
    assert_non_null(strstr(err.msg, "wrong key"));
    xmlFreeDoc(twin);
    xmlFreeDoc(doc);
    cg_trust_free(t);
}

/* The cache keeps at most its bound; an evicted certificate is decoded and checked again. */
static void test_cache_bounded(void **state)
{
    struct cg_trust *t = trust_of("ca.pem");
    struct cg_cert_cache *c = cg_trust_cert_cache(t);
    xmlDocPtr d1 = signed_by("key.pem", "cert.pem");
    xmlDocPtr d2 = signed_by("good.key", "good.pem");
    xmlDocPtr d3 = signed_by("key.pem", "cert.pem");
    struct cg_err err;
    int i;

    set_key_info_cert(d3, "weak.pem");
    assert_int_equal(cg_cert_cache_set_max(c, 2), CG_OK);
    for (i = 0; i < 3; i++) {
        assert_int_equal(cg_verify(d1, t, &err), CG_OK);
        assert_int_equal(cg_verify(d2, t, &err), CG_OK);
        assert_int_equal(cg_verify(d3, t, &err), CG_ESIG);
        assert_non_null(strstr(err.msg, "too weak"));
        assert_int_equal(cg_cert_cache_count(c), 2);
    }
    assert_int_equal(cg_cert_cache_set_max(c, 1), CG_OK);
    assert_int_equal(cg_cert_cache_count(c), 1);
    assert_int_equal(cg_verify(d1, t, &err), CG_OK);
    assert_int_equal(cg_verify(d2, t, &err), CG_OK);
    assert_int_equal(cg_cert_cache_count(c), 1);
    xmlFreeDoc(d1);
    xmlFreeDoc(d2);
    xmlFreeDoc(d3);
    cg_trust_free(t);
}

/* A chain that did not verify is not remembered: trusting its CA later lets it through. */
static void test_cache_trust_added(void **state)
{
    struct cg_trust *t = trust_of("other.pem");
    xmlDocPtr doc = signed_by("key.pem", "cert.pem");
    struct cg_err err;

    cg_err_clear(&err);
    assert_int_equal(cg_verify(doc, t, &err), CG_ESIG);
    assert_non_null(strstr(err.msg, "untrusted certificate"));
    assert_int_equal(cg_verify(doc, t, &err), CG_ESIG);
    assert_int_equal(cg_trust_add_file(t, path("ca.pem"), &err), CG_OK);
    assert_int_equal(cg_verify(doc, t, &err), CG_OK);
    assert_int_equal(cg_verify(doc, t, &err), CG_OK);
    xmlFreeDoc(doc);
    cg_trust_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pem_sha1_shape),
        cmocka_unit_test(test_key_file_temporary),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_one_signer_many_docs),
        cmocka_unit_test(test_direct_matches_xmlsec),
        cmocka_unit_test(test_sign_xml),
        cmocka_unit_test(test_pkcs12_pass_file),
        cmocka_unit_test(test_encrypted_pem_pass_env),
        cmocka_unit_test(test_wrong_passphrase),
        cmocka_unit_test(test_passphrase_setup_errors),
        cmocka_unit_test(test_key_errors),
        cmocka_unit_test(test_signer_key_rules),
        cmocka_unit_test(test_sha1_refused),
        cmocka_unit_test(test_already_signed),
        cmocka_unit_test(test_nested_signature),
        cmocka_unit_test(test_verify_digest_mismatch),
        cmocka_unit_test(test_verify_wrong_key),
        cmocka_unit_test(test_verify_signature_value_changed),
        cmocka_unit_test(test_verify_untrusted),
        cmocka_unit_test(test_verify_moved_into_body),
        cmocka_unit_test(test_verify_not_last),
        cmocka_unit_test(test_verify_second_signature),
        cmocka_unit_test(test_verify_reference_uri),
        cmocka_unit_test(test_verify_extra_transform),
        cmocka_unit_test(test_verify_second_reference),
        cmocka_unit_test(test_verify_object),
        cmocka_unit_test(test_verify_no_signature),
        cmocka_unit_test(test_verify_official_placeholder),
        cmocka_unit_test(test_trust_file_errors),
        cmocka_unit_test(test_remote_http),
        cmocka_unit_test(test_remote_https),
        cmocka_unit_test(test_remote_failures),
        cmocka_unit_test(test_clone_local),
        cmocka_unit_test(test_clone_threads),
        cmocka_unit_test(test_clone_remote),
        cmocka_unit_test(test_sm2_follows_key),
        cmocka_unit_test(test_sm2_sign_xml),
        cmocka_unit_test(test_sm2_refusals),
        cmocka_unit_test(test_sm2_id),
        cmocka_unit_test(test_sm2_clone_threads),
        cmocka_unit_test(test_cache_refusal_kept),
        cmocka_unit_test(test_cache_same_subject),
        cmocka_unit_test(test_cache_bounded),
        cmocka_unit_test(test_cache_trust_added),
    };

    return cmocka_run_group_tests(tests, make_keys, remove_keys);
}
