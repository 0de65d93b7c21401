/*
 * sign.c - throughput of build + validate + sign for a CEB603 with 3 items, one thread.
 *
 *   bench/sign KEY.pem CERT.pem SAMPLE.xml XSD SECONDS [ALG]
 *   bench/sign --template SAMPLE.xml OUT.xml   (the same message with an empty xmlsec
 *                                                signature template, for xmlsec1 --sign)
 *
 * The message comes from the official 2018 CEB603 sample: its first Inventory with three
 * InventoryList items. "Build" makes a fresh tree for every message (a deep copy of that
 * message with new guids, copNo and orderNo, as a builder would set them); "validate" runs
 * xmlSchemaValidateDoc with the compiled 2018 export schema (compiled once); "sign" is
 * cg_signer_sign with one signer whose key was loaded once. Prints messages per second of the
 * whole pipeline and of signing alone. Part of the benchmarks, not of cebgate.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <libxml/xmlschemas.h>

#include "core/err.h"
#include "core/init.h"
#include "declare/declare.h"

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static xmlNodePtr next_elem(xmlNodePtr n)
{
    while (n != NULL && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
    xmlNodePtr c;

    for (c = next_elem(n->children); c != NULL; c = next_elem(c->next))
        if (strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

static void set_text(xmlNodePtr n, const char *v)
{
    if (n != NULL)
        xmlNodeSetContent(n, (const xmlChar *)v);
}

/* The sample cut down to one Inventory with three items, unsigned. */
static xmlDocPtr make_message(const char *sample)
{
    struct cg_err err;
    xmlDocPtr doc = NULL;
    xmlNodePtr root, inv, c, next, list, copy;
    char num[8];
    int kept = 0, i;

    if (cg_xml_parse_file(sample, &doc, &err) != CG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    cg_sig_strip(doc);
    root = xmlDocGetRootElement(doc);
    for (c = next_elem(root->children); c != NULL; c = next) {
        next = next_elem(c->next);
        if (strcmp((const char *)c->name, "Inventory") == 0 && kept++ > 0) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
    }
    inv = child(root, "Inventory");
    list = child(inv, "InventoryList");
    for (i = 2; i <= 3; i++) {
        copy = xmlCopyNode(list, 1);
        snprintf(num, sizeof(num), "%d", i);
        set_text(child(copy, "gnum"), num);
        xmlAddChild(inv, copy);
    }
    return doc;
}

static void uuid(char out[37])
{
    static const char hex[] = "0123456789ABCDEF";
    int i;

    for (i = 0; i < 36; i++)
        out[i] = (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : hex[rand() & 15];
    out[36] = '\0';
}

/* A builder's work: a new tree with this message's keys. */
static xmlDocPtr build(xmlDocPtr tmpl, unsigned long n)
{
    xmlDocPtr doc = xmlCopyDoc(tmpl, 1);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr head = child(child(root, "Inventory"), "InventoryHead");
    char g[37], v[64];

    uuid(g);
    xmlSetProp(root, (const xmlChar *)"guid", (const xmlChar *)g);
    uuid(g);
    set_text(child(head, "guid"), g);
    snprintf(v, sizeof(v), "COP%012lu", n);
    set_text(child(head, "copNo"), v);
    snprintf(v, sizeof(v), "ORD%012lu", n);
    set_text(child(head, "orderNo"), v);
    return doc;
}

static int write_template(const char *sample, const char *out)
{
    xmlDocPtr doc = make_message(sample);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNsPtr ns;
    xmlNodePtr sig, si, ref, tr, ki, xd;
    const char *ds = "http://www.w3.org/2000/09/xmldsig#";

    sig = xmlNewChild(root, NULL, (const xmlChar *)"Signature", NULL);
    ns = xmlNewNs(sig, (const xmlChar *)ds, (const xmlChar *)"ds");
    xmlSetNs(sig, ns);
    si = xmlNewChild(sig, ns, (const xmlChar *)"SignedInfo", NULL);
    xmlSetProp(xmlNewChild(si, ns, (const xmlChar *)"CanonicalizationMethod", NULL),
               (const xmlChar *)"Algorithm",
               (const xmlChar *)"http://www.w3.org/TR/2001/REC-xml-c14n-20010315");
    xmlSetProp(xmlNewChild(si, ns, (const xmlChar *)"SignatureMethod", NULL),
               (const xmlChar *)"Algorithm",
               (const xmlChar *)"http://www.w3.org/2000/09/xmldsig#rsa-sha1");
    ref = xmlNewChild(si, ns, (const xmlChar *)"Reference", NULL);
    xmlSetProp(ref, (const xmlChar *)"URI", (const xmlChar *)"");
    tr = xmlNewChild(ref, ns, (const xmlChar *)"Transforms", NULL);
    xmlSetProp(xmlNewChild(tr, ns, (const xmlChar *)"Transform", NULL),
               (const xmlChar *)"Algorithm",
               (const xmlChar *)"http://www.w3.org/2000/09/xmldsig#enveloped-signature");
    xmlSetProp(xmlNewChild(ref, ns, (const xmlChar *)"DigestMethod", NULL),
               (const xmlChar *)"Algorithm",
               (const xmlChar *)"http://www.w3.org/2000/09/xmldsig#sha1");
    xmlNewChild(ref, ns, (const xmlChar *)"DigestValue", NULL);
    xmlNewChild(sig, ns, (const xmlChar *)"SignatureValue", NULL);
    ki = xmlNewChild(sig, ns, (const xmlChar *)"KeyInfo", NULL);
    xd = xmlNewChild(ki, ns, (const xmlChar *)"X509Data", NULL);
    xmlNewChild(xd, ns, (const xmlChar *)"X509Certificate", NULL);
    if (xmlSaveFileEnc(out, doc, "UTF-8") < 0)
        return 1;
    xmlFreeDoc(doc);
    return 0;
}

/* The RSA private-key operation alone with the same key, in this process, for comparison. */
static double raw_rate(const char *key_file, const char *alg, double secs)
{
    unsigned char data[600], sig[512];
    size_t len;
    FILE *fp = fopen(key_file, "r");
    EVP_PKEY *k = fp != NULL ? PEM_read_PrivateKey(fp, NULL, NULL, NULL) : NULL;
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    const EVP_MD *md = strcmp(alg, "rsa-sha256") == 0 ? EVP_sha256() : EVP_sha1();
    unsigned long n = 0;
    double t0 = now(), t;

    if (fp != NULL)
        fclose(fp);
    memset(data, 'x', sizeof(data));
    do {
        len = sizeof(sig);
        if (k == NULL || m == NULL || EVP_DigestSignInit(m, NULL, md, NULL, k) != 1 ||
            EVP_DigestSign(m, sig, &len, data, sizeof(data)) != 1)
            return 0;
        n++;
        t = now() - t0;
    } while (t < secs);
    EVP_MD_CTX_free(m);
    EVP_PKEY_free(k);
    return (double)n / t;
}

int main(int argc, char **argv)
{
    struct cg_signer_opts o;
    struct cg_signer *s = NULL;
    struct cg_err err;
    xmlSchemaParserCtxtPtr pc;
    xmlSchemaPtr schema;
    xmlSchemaValidCtxtPtr vc;
    xmlDocPtr tmpl, doc;
    double secs, t0, t, sign_time = 0, t1;
    unsigned long n = 0;
    int rc = 1;

    if (cg_lib_init(&err) != CG_OK)
        return 1;
    if (argc == 4 && strcmp(argv[1], "--template") == 0) {
        rc = write_template(argv[2], argv[3]);
        cg_lib_cleanup();
        return rc;
    }
    if (argc < 6) {
        fputs("usage: sign KEY CERT SAMPLE XSD SECONDS [ALG] | sign --template SAMPLE OUT\n",
              stderr);
        return 2;
    }
    secs = strtod(argv[5], NULL);
    memset(&o, 0, sizeof(o));
    o.kind = "local";
    o.alg = argc > 6 ? argv[6] : "rsa-sha1";
    o.key_file = argv[1];
    o.cert_file = argv[2];
    o.key_name = "0001";
    if (cg_signer_new(&o, &s, &err) != CG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    pc = xmlSchemaNewParserCtxt(argv[4]);
    schema = pc != NULL ? xmlSchemaParse(pc) : NULL;
    vc = schema != NULL ? xmlSchemaNewValidCtxt(schema) : NULL;
    if (vc == NULL) {
        fprintf(stderr, "cannot compile %s\n", argv[4]);
        return 1;
    }
    tmpl = make_message(argv[3]);
    srand(42);
    t0 = now();
    do {
        doc = build(tmpl, n);
        if (xmlSchemaValidateDoc(vc, doc) != 0) {
            fprintf(stderr, "message %lu does not validate\n", n);
            goto done;
        }
        t1 = now();
        if (cg_signer_sign(s, doc, &err) != CG_OK) {
            fprintf(stderr, "%s\n", err.msg);
            goto done;
        }
        sign_time += now() - t1;
        if (n == 0 && cg_verify(doc, NULL, &err) != CG_OK) {
            fprintf(stderr, "first message does not verify: %s\n", err.msg);
            goto done;
        }
        xmlFreeDoc(doc);
        n++;
        t = now() - t0;
    } while (t < secs);
    printf("messages %lu seconds %.3f pipeline_per_s %.1f sign_only_per_s %.1f "
           "raw_evp_sign_per_s %.1f\n",
           n, t, (double)n / t, (double)n / sign_time, raw_rate(argv[1], o.alg, secs));
    rc = 0;
done:
    xmlFreeDoc(tmpl);
    xmlSchemaFreeValidCtxt(vc);
    xmlSchemaFree(schema);
    xmlSchemaFreeParserCtxt(pc);
    cg_signer_free(s);
    cg_lib_cleanup();
    return rc;
}
