/*
 * sign.c - throughput of build + validate + sign for a CEB603 with 3 items, one thread.
 *
 *   bench/sign KEY.pem CERT.pem DATA_DIR SECONDS [ALG [ENGINE]]
 *   bench/sign --template DATA_DIR OUT.xml   (the same message with an empty xmlsec
 *                                             signature template, for xmlsec1 --sign)
 *   bench/sign --file KEY.pem CERT.pem FILE.xml SECONDS [ALG [bytes|tree]]
 *
 * Per message this does what the spool does: cg_build_order_doc() makes a CEB603 (202205
 * edition) from a struct cg_order with three lines (new root and entity guids, orderNo and
 * copNo each time), cg_schema_validate() checks it against the shipped 202205 export schema
 * (cg_schema_load(DATA_DIR), compiled once), and cg_signer_sign() signs it with one local
 * signer whose key was loaded once. Each run lasts SECONDS of wall-clock time; rates are per
 * CPU second of this process (as `openssl speed` divides by CPU time) and, last, per wall
 * second. ALG is rsa-sha1 (default), rsa-sha256 or sm2-sm3 (with an SM2 key); ENGINE is direct
 * (default, what cebgate uses) or xmlsec (cg_signer_opts.xmlsec_engine, xmlsec's generic
 * XML-DSig engine, for comparison). Prints messages per second of the whole pipeline, of
 * signing alone, and the in-process rate of the bare private-key operation of the same key
 * for comparison. With --file it measures what `cebgate sign FILE` does in-process for an
 * existing message instead: its bytes (any Signature removed once, up front) signed with
 * cg_sign_xml() (mode bytes, the default), or parsed with cg_xml_parse(), signed, serialized
 * with cg_xml_serialize() and freed (mode tree), per message; the signing-only rate is then the
 * whole call's (bytes) or cg_signer_sign()'s (tree). Part of
 * the benchmarks, not of cebgate; exits 1 on any failure (the first signed message must
 * verify).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/init.h"
#include "core/money.h"
#include "declare/declare.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall-clock time; a run lasts SECONDS of it. */
static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of this process (user + system): the divisor of the "_cpu" rates, the same basis
 * as `openssl speed` (CPU user time unless -elapsed), so that other processes on the core
 * do not count against one side only. */
static double cpu(void)
{
    return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static char ebp_code[] = "1105910159", ebp_name[] = "东方物通科技(北京)有限公司";
static char ebc_code[] = "3301964J31", ebc_name[] = "杭州跨境示例贸易有限公司";
static char agent_code[] = "44306650K2", agent_name[] = "示例报关行有限公司";
static char customs_code[] = "2991", port_code[] = "2992", traf_mode[] = "5", wrap_type[] = "2",
            trade_mode[] = "9610", stat_flag[] = "A", cur_iso[] = "USD", seller_name[] = "";

static struct cg_seller seller = {
    .name = seller_name,
    .ebp_code = ebp_code,
    .ebp_name = ebp_name,
    .ebc_code = ebc_code,
    .ebc_name = ebc_name,
    .agent_code = agent_code,
    .agent_name = agent_name,
    .owner_code = ebc_code,
    .owner_name = ebc_name,
    .customs_code = customs_code,
    .port_code = port_code,
    .traf_mode = traf_mode,
    .wrap_type = wrap_type,
    .trade_mode = trade_mode,
    .statistics_flag = stat_flag,
    .currency = cur_iso,
};

static const struct cg_base_transfer bt = {
    .cop_code = "44306650K2",
    .cop_name = "示例报关行有限公司",
    .dxp_id = "DXPENT0000019448",
};

/* Writable storage behind the order's strings. */
static char order_no[64], seller_key[] = "", source[] = "orders.csv", pod[] = "USLA";
static char lg_code[] = "3105961682", lg_name[] = "示例国际物流有限公司";
static char lg_no[] = "YT1234567890123", pay_code[] = "312226T001", pay_name[] = "示例支付有限公司";
static char pay_no[] = "PAY-20240301-0001";
static char sku[3][16] = {"SKU-TS-001", "SKU-MUG-7", "SKU-CAP-22"};
static char item[3][32] = {"Cotton T-shirt", "Ceramic mug", "Baseball cap"};
static char bar[3][16] = {"6901234567892", "无", "6901234567908"};
static char gname[3][32] = {"棉制针织T恤衫", "陶瓷杯", "棉制帽"};
static char gmodel[3][32] = {"无品牌|M码|100%棉", "无品牌|350ml", "无品牌|均码|棉"};

static int64_t dec(const char *s)
{
    int64_t v = 0;

    if (cg_dec_parse(s, &v) != CG_OK) {
        fprintf(stderr, "bad decimal %s\n", s);
        exit(1);
    }
    return v;
}

/* One order of three lines, as mapping/ produces it. */
static void order_init(struct cg_order *o, struct cg_order_line *l)
{
    static const char *const hs[3] = {"6109100021", "6912001000", "6505009900"};
    static const char *const unit[3] = {"011", "007", "007"};
    static const char *const qty[3] = {"2", "1", "1"};
    static const char *const price[3] = {"19.99", "19.99", "9.5"};
    static const char *const total[3] = {"39.98", "19.99", "9.5"};
    static const char *const unit1[3] = {"011", "035", "035"};
    static const char *const qty1[3] = {"2", "0.7", "0.1"};
    static const char *const nw[3] = {"0.4", "0.7", "0.1"};
    static const char *const gw[3] = {"0.5", "0.75", "0.15"};
    int i;

    memset(o, 0, sizeof(*o));
    memset(l, 0, 3 * sizeof(*l));
    o->seller = seller_key;
    o->order_no = order_no;
    o->source = source;
    o->line = 2;
    cg_strlcpy(o->currency, "502", sizeof(o->currency));
    cg_strlcpy(o->currency_iso, "USD", sizeof(o->currency_iso));
    cg_strlcpy(o->country, "502", sizeof(o->country));
    cg_strlcpy(o->country_iso, "US", sizeof(o->country_iso));
    o->pod = pod;
    o->goods_value = dec("69.47");
    o->freight = dec("5.5");
    o->has_shipment = true;
    o->ship.logistics_code = lg_code;
    o->ship.logistics_name = lg_name;
    o->ship.logistics_no = lg_no;
    o->ship.gross_weight = dec("1.4");
    o->ship.net_weight = dec("1.2");
    o->ship.pack_no = 1;
    o->ship.freight = dec("5.5");
    o->has_payment = true;
    o->pay.pay_code = pay_code;
    o->pay.pay_name = pay_name;
    o->pay.pay_no = pay_no;
    o->pay.charge = dec("74.97");
    cg_strlcpy(o->pay.accounting_date, "20240301101500", sizeof(o->pay.accounting_date));
    o->nlines = 3;
    o->lines = l;
    for (i = 0; i < 3; i++) {
        l[i].gnum = i + 1;
        l[i].sku = sku[i];
        l[i].item_name = item[i];
        l[i].bar_code = bar[i];
        cg_strlcpy(l[i].unit, unit[i], sizeof(l[i].unit));
        l[i].qty = dec(qty[i]);
        l[i].price = dec(price[i]);
        l[i].total = dec(total[i]);
        cg_strlcpy(l[i].gcode, hs[i], sizeof(l[i].gcode));
        l[i].gname = gname[i];
        l[i].gmodel = gmodel[i];
        cg_strlcpy(l[i].unit1, unit1[i], sizeof(l[i].unit1));
        l[i].qty1 = dec(qty1[i]);
        cg_strlcpy(l[i].origin, "142", sizeof(l[i].origin));
        l[i].net_weight = dec(nw[i]);
        l[i].gross_weight = dec(gw[i]);
    }
}

/* The builder's work for message n: new guids, orderNo and copNo. */
static int build(const struct cg_order *o, unsigned long n, xmlDocPtr *doc, struct cg_err *err)
{
    struct cg_doc_ref ref;
    char msg_guid[37], guid[37], cop_no[32];

    snprintf(order_no, sizeof(order_no), "SO-2024-%010lu", n);
    snprintf(cop_no, sizeof(cop_no), "C2991%012lu", n);
    cg_guid_new(msg_guid);
    cg_guid_new(guid);
    memset(&ref, 0, sizeof(ref));
    ref.order = o;
    ref.guid = guid;
    ref.app_type = CG_APP_ADD;
    ref.cop_no = cop_no;
    return cg_build_order_doc(603, msg_guid, &ref, 1, &seller, &bt, "202205", doc, err);
}

/* The message with an empty xmlsec template (rsa-sha1, KeyInfo/X509Data), for xmlsec1 --sign. */
static int write_template(const struct cg_order *o, const char *out)
{
    struct cg_err err;
    xmlDocPtr doc = NULL;
    xmlNodePtr root, sig, si, ref, tr, ki, xd;
    xmlNsPtr ns;
    const char *ds = "http://www.w3.org/2000/09/xmldsig#";

    if (build(o, 0, &doc, &err) != CG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    root = xmlDocGetRootElement(doc);
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
    if (xmlSaveFileEnc(out, doc, "UTF-8") < 0) {
        xmlFreeDoc(doc);
        return 1;
    }
    xmlFreeDoc(doc);
    return 0;
}

/* SM2 as `openssl speed sm2` does it: EVP_DigestSignInit (SM3, Z with the default
 * distinguishing identifier) and EVP_DigestSign of 20 bytes, per CPU second. */
static double raw_rate_sm2(EVP_PKEY *k, double secs)
{
    unsigned char msg[20], sig[128];
    size_t len;
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(k, NULL);
    unsigned long n = 0;
    double t0, c0, r = 0;

    memset(msg, 'x', sizeof(msg));
    if (mc == NULL || pc == NULL || EVP_PKEY_CTX_set1_id(pc, "1234567812345678", 16) != 1)
        goto done;
    EVP_MD_CTX_set_pkey_ctx(mc, pc);
    t0 = now();
    c0 = cpu();
    do {
        len = sizeof(sig);
        if (EVP_DigestSignInit(mc, NULL, EVP_sm3(), NULL, k) != 1 ||
            EVP_DigestSign(mc, sig, &len, msg, sizeof(msg)) != 1)
            goto done;
        n++;
    } while (now() - t0 < secs);
    r = (double)n / (cpu() - c0);
done:
    EVP_MD_CTX_free(mc);
    EVP_PKEY_CTX_free(pc);
    return r;
}

/* The private-key operation alone with the same key, in this process, for comparison: one
 * reused context, as `openssl speed` does (RSA; SM2 as above). Per CPU second. */
static double raw_rate(const char *key_file, const char *alg, double secs)
{
    unsigned char md[EVP_MAX_MD_SIZE], sig[512];
    size_t len;
    FILE *fp = fopen(key_file, "r");
    EVP_PKEY *k = fp != NULL ? PEM_read_PrivateKey(fp, NULL, NULL, NULL) : NULL;
    EVP_PKEY_CTX *pc = k != NULL ? EVP_PKEY_CTX_new(k, NULL) : NULL;
    const EVP_MD *mdt = strcmp(alg, "rsa-sha256") == 0 ? EVP_sha256() : EVP_sha1();
    unsigned long n = 0;
    double t0, c0, t = 0, r = 0;

    if (fp != NULL)
        fclose(fp);
    if (k != NULL && strcmp(alg, "sm2-sm3") == 0) {
        r = raw_rate_sm2(k, secs);
        goto done;
    }
    memset(md, 'x', sizeof(md));
    if (pc == NULL || EVP_PKEY_sign_init(pc) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(pc, mdt) != 1)
        goto done;
    t0 = now();
    c0 = cpu();
    do {
        len = sizeof(sig);
        if (EVP_PKEY_sign(pc, sig, &len, md, (size_t)EVP_MD_get_size(mdt)) != 1)
            goto done;
        n++;
        t = now() - t0;
    } while (t < secs);
    r = (double)n / (cpu() - c0);
done:
    EVP_PKEY_CTX_free(pc);
    EVP_PKEY_free(k);
    return r;
}

/* The result line (without its last field): n messages in t wall seconds and c CPU seconds. */
static void report(unsigned long n, double t, double c, double sign_time, double raw)
{
    printf("messages %lu seconds %.3f cpu_seconds %.3f pipeline_per_cpu_s %.1f "
           "sign_only_per_cpu_s %.1f raw_sign_per_cpu_s %.1f pipeline_per_wall_s %.1f",
           n, t, c, (double)n / c, (double)n / sign_time, raw, (double)n / t);
}

/* Signs doc, adding the CPU time it took to *sign_time; the first message (n 0) must verify.
 * 0, or 1 with the reason on stderr. */
static int sign_timed(struct cg_signer *s, xmlDocPtr doc, unsigned long n, double *sign_time)
{
    struct cg_err err;
    double t1 = cpu();

    if (cg_signer_sign(s, doc, &err) != CG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    *sign_time += cpu() - t1;
    if (n == 0 && cg_verify(doc, NULL, &err) != CG_OK) {
        fprintf(stderr, "first message does not verify: %s\n", err.msg);
        return 1;
    }
    return 0;
}

/* The bytes of a signed message parse and verify; 0, or 1 with the reason on stderr. */
static int verify_bytes(const char *xml, size_t len)
{
    struct cg_err err;
    xmlDocPtr doc = NULL;
    int rc = 0;

    if (cg_xml_parse(xml, len, "signed", &doc, &err) != CG_OK ||
        cg_verify(doc, NULL, &err) != CG_OK) {
        fprintf(stderr, "first message does not verify: %s\n", err.msg);
        rc = 1;
    }
    xmlFreeDoc(doc);
    return rc;
}

/*
 * --file: what `cebgate sign FILE` does with the bytes of path (without its Signature), one
 * thread, for secs seconds of wall-clock time; the same line format as the build pipeline.
 * Mode "bytes" (default) is cg_sign_xml(), as the command calls it; "tree" is
 * cg_xml_parse() + cg_signer_sign() + cg_xml_serialize(), the path cg_sign_xml() leaves the
 * unusual message to (and the only one before it signed from the bytes).
 */
static int file_loop(const char *key, const char *cert, const char *path, double secs,
                     const char *alg, const char *mode)
{
    struct cg_signer_opts so;
    struct cg_signer *s = NULL;
    struct cg_err err;
    xmlDocPtr doc = NULL;
    char *in = NULL, *out = NULL;
    size_t in_len = 0, out_len = 0;
    double t0, c0, t, sign_time = 0, t1;
    int tree = strcmp(mode, "tree") == 0;
    unsigned long n = 0;
    int rc = 1;

    memset(&so, 0, sizeof(so));
    so.kind = "local";
    so.alg = alg;
    so.key_file = key;
    so.cert_file = cert;
    so.key_name = "0001";
    if (!tree && strcmp(mode, "bytes") != 0) {
        fprintf(stderr, "mode is bytes or tree, not %s\n", mode);
        return 1;
    }
    if (cg_signer_new(&so, &s, &err) != CG_OK || cg_xml_parse_file(path, &doc, &err) != CG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        goto done;
    }
    cg_sig_strip(doc);
    if (cg_xml_serialize(doc, &in, &in_len, &err) != CG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        goto done;
    }
    xmlFreeDoc(doc);
    doc = NULL;
    t0 = now();
    c0 = cpu();
    do {
        if (!tree) {
            t1 = cpu();
            if (cg_sign_xml(s, in, in_len, path, 0, &out, &out_len, NULL, &err) != CG_OK) {
                fprintf(stderr, "%s\n", err.msg);
                goto done;
            }
            sign_time += cpu() - t1;
        } else {
            if (cg_xml_parse(in, in_len, path, &doc, &err) != CG_OK) {
                fprintf(stderr, "%s\n", err.msg);
                goto done;
            }
            if (sign_timed(s, doc, 1, &sign_time) != 0)
                goto done;
            if (cg_xml_serialize(doc, &out, &out_len, &err) != CG_OK) {
                fprintf(stderr, "%s\n", err.msg);
                goto done;
            }
            xmlFreeDoc(doc);
            doc = NULL;
        }
        if (n == 0 && verify_bytes(out, out_len) != 0)
            goto done;
        free(out);
        out = NULL;
        n++;
        t = now() - t0;
    } while (t < secs);
    c0 = cpu() - c0; /* before raw_rate runs */
    report(n, t, c0, sign_time, raw_rate(key, alg, secs));
    printf(" input_bytes %zu\n", in_len);
    rc = 0;
done:
    free(in);
    free(out);
    xmlFreeDoc(doc);
    cg_signer_free(s);
    return rc;
}

int main(int argc, char **argv)
{
    struct cg_signer_opts so;
    struct cg_signer *s = NULL;
    struct cg_schema *schema = NULL;
    struct cg_order o;
    struct cg_order_line lines[3];
    struct cg_err err;
    xmlDocPtr doc = NULL;
    double secs, t0, c0, t, sign_time = 0;
    unsigned long n = 0;
    int rc = 1;

    if (cg_lib_init(&err) != CG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    order_init(&o, lines);
    if (argc == 4 && strcmp(argv[1], "--template") == 0) {
        rc = write_template(&o, argv[3]);
        cg_lib_cleanup();
        return rc;
    }
    if (argc >= 6 && argc <= 8 && strcmp(argv[1], "--file") == 0) {
        rc = file_loop(argv[2], argv[3], argv[4], strtod(argv[5], NULL),
                       argc >= 7 ? argv[6] : "rsa-sha256", argc == 8 ? argv[7] : "bytes");
        cg_lib_cleanup();
        return rc;
    }
    if (argc < 5) {
        fputs(
            "usage: sign KEY CERT DATA_DIR SECONDS [ALG [direct|xmlsec]] | "
            "sign --template DATA_DIR OUT | sign --file KEY CERT FILE SECONDS [ALG [bytes|tree]]\n",
            stderr);
        cg_lib_cleanup();
        return 2;
    }
    secs = strtod(argv[4], NULL);
    memset(&so, 0, sizeof(so));
    so.kind = "local";
    so.alg = argc > 5 ? argv[5] : "rsa-sha1";
    so.key_file = argv[1];
    so.cert_file = argv[2];
    so.key_name = "0001";
    so.xmlsec_engine = argc > 6 && strcmp(argv[6], "xmlsec") == 0;
    if (cg_signer_new(&so, &s, &err) != CG_OK ||
        cg_schema_load(argv[3], "202205", &schema, &err) != CG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        goto done;
    }
    t0 = now();
    c0 = cpu();
    do {
        if (build(&o, n, &doc, &err) != CG_OK || cg_schema_validate(schema, doc, &err) != CG_OK) {
            fprintf(stderr, "message %lu: %s\n", n, err.msg);
            goto done;
        }
        if (sign_timed(s, doc, n, &sign_time) != 0)
            goto done;
        xmlFreeDoc(doc);
        doc = NULL;
        n++;
        t = now() - t0;
    } while (t < secs);
    c0 = cpu() - c0; /* before raw_rate runs */
    report(n, t, c0, sign_time, raw_rate(argv[1], so.alg, secs));
    printf(" engine %s\n", so.xmlsec_engine ? "xmlsec" : "direct");
    rc = 0;
done:
    xmlFreeDoc(doc);
    cg_schema_free(schema);
    cg_signer_free(s);
    cg_lib_cleanup();
    return rc;
}
