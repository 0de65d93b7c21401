/*
 * test-declare-msg.c - CEB messages: every message type built from a fixture and validated
 * against the official 202205 and 2018 schemas, field values checked with XPath, one negative
 * case per type; official samples (2018 requests validate, 202205 duplicated BaseTransfer
 * rejected, every receipt parsed into the expected events); XXE and billion-laughs refused;
 * the DXP envelope validated against dxp-terminal.xsd; no network use while compiling schemas.
 * Every built message is also signed with an SM2 key (sm2-sm3, made with the openssl command at
 * start-up), validated again with its ds:Signature and verified, then unsigned for the checks;
 * its canonical form and that of its SignedInfo, as signing writes them, equal libxml2's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/init.h"
#include "core/log.h"
#include "core/money.h"
#include "declare/declare-sign-int.h"
#include "declare/declare.h"
#include "tests/unit/c14n-check.h"

static struct cg_schema *s2205, *s2018, *sdxp;
static const char *datadir, *testdata;
static char keydir[] = "/tmp/cg-msg-sm2.XXXXXX";
static struct cg_signer *sm2; /* signs every message valid_both sees */

/* ------------------------------------------------------------------ fixtures */

static char ebp_code[] = "1105910159", ebp_name[] = "东方物通科技(北京)有限公司";
static char ebc_code[] = "3301964J31", ebc_name[] = "杭州跨境示例贸易有限公司";
static char agent_code[] = "44306650K2", agent_name[] = "示例报关行有限公司";
static char owner_code[] = "3301964J31", owner_name[] = "杭州跨境示例贸易有限公司";
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
    .owner_code = owner_code,
    .owner_name = owner_name,
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

/* One order of two lines, as mapping/ would produce it. Strings live in the pool. */
struct fixture {
    struct cg_order o;
    struct cg_order_line lines[2];
    char strs[24][300];
    int ns;
};

static char *put(struct fixture *f, const char *s)
{
    char *p = f->strs[f->ns++];
    cg_strlcpy(p, s, sizeof(f->strs[0]));
    return p;
}

static int64_t D(const char *s)
{
    int64_t v = 0;
    assert_int_equal(cg_dec_parse(s, &v), CG_OK);
    return v;
}

static void fixture_init(struct fixture *f, const char *order_no)
{
    struct cg_order_line *l;

    memset(f, 0, sizeof(*f));
    f->o.seller = put(f, "");
    f->o.order_no = put(f, order_no);
    f->o.source = put(f, "orders.csv");
    f->o.line = 2;
    cg_strlcpy(f->o.currency, "502", sizeof(f->o.currency));
    cg_strlcpy(f->o.currency_iso, "USD", sizeof(f->o.currency_iso));
    cg_strlcpy(f->o.country, "502", sizeof(f->o.country));
    cg_strlcpy(f->o.country_iso, "US", sizeof(f->o.country_iso));
    f->o.pod = put(f, "USLAX");
    f->o.pod[4] = '\0'; /* POD is 3..4 characters: "USLA" */
    f->o.goods_value = D("59.97");
    f->o.freight = D("5.5");
    f->o.insured_fee = D("0");
    f->o.has_shipment = true;
    f->o.ship.logistics_code = put(f, "3105961682");
    f->o.ship.logistics_name = put(f, "示例国际物流有限公司");
    f->o.ship.logistics_no = put(f, "YT1234567890123");
    f->o.ship.gross_weight = D("1.25");
    f->o.ship.net_weight = D("1.1");
    f->o.ship.pack_no = 1;
    f->o.ship.freight = D("5.5");
    f->o.ship.insured_fee = D("0");
    f->o.has_payment = true;
    f->o.pay.pay_code = put(f, "312226T001");
    f->o.pay.pay_name = put(f, "示例支付有限公司");
    f->o.pay.pay_no = put(f, "PAY-20240301-0001");
    f->o.pay.charge = D("65.47");
    cg_strlcpy(f->o.pay.accounting_date, "20240301101500", sizeof(f->o.pay.accounting_date));
    f->o.nlines = 2;
    f->o.lines = f->lines;

    l = &f->lines[0];
    l->gnum = 1;
    l->sku = put(f, "SKU-TS-001");
    l->item_name = put(f, "Cotton T-shirt & logo <M>");
    l->bar_code = put(f, "6901234567892");
    cg_strlcpy(l->unit, "011", sizeof(l->unit));
    l->qty = D("2");
    l->price = D("19.99");
    l->total = D("39.98");
    cg_strlcpy(l->gcode, "6109100021", sizeof(l->gcode));
    l->gname = put(f, "棉制针织T恤衫");
    l->gmodel = put(f, "无品牌|M码|100%棉");
    cg_strlcpy(l->unit1, "011", sizeof(l->unit1));
    cg_strlcpy(l->unit2, "035", sizeof(l->unit2));
    l->qty1 = D("2");
    l->qty2 = D("0.4");
    cg_strlcpy(l->origin, "142", sizeof(l->origin));
    l->net_weight = D("0.4");
    l->gross_weight = D("0.5");

    l = &f->lines[1];
    l->gnum = 2;
    l->sku = put(f, "SKU-MUG-7");
    l->item_name = put(f, "Ceramic mug");
    cg_strlcpy(l->unit, "007", sizeof(l->unit));
    l->qty = D("1");
    l->price = D("19.99");
    l->total = D("19.99");
    cg_strlcpy(l->gcode, "6912001000", sizeof(l->gcode));
    l->gname = put(f, "陶瓷杯");
    l->gmodel = put(f, "无品牌|350ml");
    cg_strlcpy(l->unit1, "035", sizeof(l->unit1));
    l->qty1 = D("0.7");
    l->net_weight = D("0.7");
    l->gross_weight = D("0.75");
}

static const char *G1 = "4CDE1CFD-EDED-46B1-946C-B8022E42FC94";
static const char *G2 = "5B1A0E6C-9D47-4F3A-8C21-7E0F1A2B3C4D";
static const char *MG = "311AF125-6FED-4603-8C5D-49B1FA4B4B9B";

/* ------------------------------------------------------------------ helpers */

static char *xp(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr r;
    char *out = NULL;

    assert_non_null(ctx);
    xmlXPathRegisterNs(ctx, (const xmlChar *)"ceb", (const xmlChar *)CG_NS_CEB);
    xmlXPathRegisterNs(ctx, (const xmlChar *)"dxp", (const xmlChar *)CG_NS_DXP);
    r = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
    assert_non_null(r);
    if (r->type == XPATH_NODESET && r->nodesetval != NULL && r->nodesetval->nodeNr > 0) {
        xmlChar *c = xmlNodeGetContent(r->nodesetval->nodeTab[0]);
        out = cg_strdup((const char *)c);
        xmlFree(c);
    } else if (r->type == XPATH_STRING) {
        out = cg_strdup((const char *)r->stringval);
    } else if (r->type == XPATH_NUMBER) {
        char b[32];
        snprintf(b, sizeof(b), "%g", r->floatval);
        out = cg_strdup(b);
    }
    xmlXPathFreeObject(r);
    xmlXPathFreeContext(ctx);
    return out;
}

#define assert_xp(doc, expr, want)                                                                 \
    do {                                                                                           \
        char *got_ = xp((doc), (expr));                                                            \
        if (got_ == NULL)                                                                          \
            fail_msg("%s: no node", (expr));                                                       \
        assert_string_equal(got_, (want));                                                         \
        free(got_);                                                                                \
    } while (0)

#define assert_no_xp(doc, expr)                                                                    \
    do {                                                                                           \
        char *got_ = xp((doc), (expr));                                                            \
        if (got_ != NULL)                                                                          \
            fail_msg("%s: unexpected node '%s'", (expr), got_);                                    \
    } while (0)

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", hay, needle);
}

/* Serialize and parse back, as the port would see it (gives line numbers). */
static xmlDocPtr roundtrip(xmlDocPtr doc)
{
    struct cg_err err;
    char *buf = NULL;
    size_t len = 0;
    xmlDocPtr back = NULL;

    assert_int_equal(cg_xml_serialize(doc, &buf, &len, &err), CG_OK);
    assert_int_equal(cg_xml_parse(buf, len, "built", &back, &err), CG_OK);
    free(buf);
    return back;
}

static void valid_both(xmlDocPtr doc, bool in2018)
{
    struct cg_err err;
    xmlDocPtr back;
    xmlNodePtr si;

    if (cg_msg_validate(s2205, doc, &err) != CG_OK)
        fail_msg("202205: %s", err.msg);
    if (in2018 && cg_msg_validate(s2018, doc, &err) != CG_OK)
        fail_msg("2018: %s", err.msg);
    back = roundtrip(doc);
    if (cg_schema_validate(s2205, back, &err) != CG_OK)
        fail_msg("202205 after a round trip: %s", err.msg);
    xmlFreeDoc(back);
    /* what signing canonicalizes is written directly, as libxml2 writes it */
    assert_int_equal(c14n_check_doc(doc), CG_OK);
    if (cg_signer_sign(sm2, doc, &err) != CG_OK)
        fail_msg("signing with SM2: %s", err.msg);
    si = xmlDocGetRootElement(doc)->last;
    assert_true(cg_is_ds(si, "Signature"));
    for (si = si->children; si != NULL && !cg_is_ds(si, "SignedInfo"); si = si->next)
        ;
    assert_non_null(si);
    assert_int_equal(c14n_check_subtree(si), CG_OK);
    /* what the spool writes is serialized directly, as libxml2 writes it */
    assert_int_equal(save_check_doc(doc), CG_OK);
    if (cg_msg_validate(s2205, doc, &err) != CG_OK)
        fail_msg("202205, signed sm2-sm3: %s", err.msg);
    if (cg_verify(doc, NULL, &err) != CG_OK)
        fail_msg("sm2-sm3 signature: %s", err.msg);
    assert_int_equal(cg_sig_strip(doc), 1);
}

/* An SM2 key and a self-signed SM2 certificate in keydir (v3_req: not a CA, which may not
 * sign messages), and a signer for them. */
static int sm2_signer(void)
{
    const char *o = getenv("OPENSSL");
    struct cg_signer_opts so;
    struct cg_err err;
    char cmd[2048], key[256], cert[256];

    if (o == NULL || o[0] == '\0')
        o = "openssl";
    if (mkdtemp(keydir) == NULL)
        return -1;
    snprintf(key, sizeof(key), "%s/sm2.key", keydir);
    snprintf(cert, sizeof(cert), "%s/sm2.pem", keydir);
    snprintf(cmd, sizeof(cmd),
             "%s genpkey -algorithm SM2 -out %s >/dev/null 2>&1 && %s req -new -x509 -key %s "
             "-sm3 -sigopt distid:1234567812345678 -days 2 -subj '/CN=msg test SM2' "
             "-extensions v3_req -out %s "
             ">/dev/null 2>&1",
             o, key, o, key, cert);
    if (system(cmd) != 0)
        return -1;
    memset(&so, 0, sizeof(so));
    so.key_file = key;
    so.cert_file = cert;
    so.key_name = "0001";
    if (cg_signer_new(&so, &sm2, &err) != CG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

static char *path_of(const char *rel)
{
    char *p = cg_fs_join(testdata, rel);
    assert_non_null(p);
    return p;
}

static xmlDocPtr load_doc(const char *rel)
{
    struct cg_err err;
    xmlDocPtr doc = NULL;
    char *p = path_of(rel);

    if (cg_xml_parse_file(p, &doc, &err) != CG_OK)
        fail_msg("%s: %s", rel, err.msg);
    free(p);
    return doc;
}

static int group_setup(void **state)
{
    struct cg_err err;

    datadir = getenv("CEBGATE_DATADIR");
    testdata = getenv("CG_TESTDATA");
    if (datadir == NULL || testdata == NULL) {
        fprintf(stderr, "run through make check (CEBGATE_DATADIR, CG_TESTDATA)\n");
        return -1;
    }
    if (cg_lib_init(&err) != CG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    cg_log_route_libraries(); /* libxml2's own messages go to the logger, not the test output */
    if (sm2_signer() != 0) {
        fprintf(stderr, "cannot make the SM2 test key with openssl\n");
        return -1;
    }
    if (cg_schema_load(datadir, "202205", &s2205, &err) != CG_OK ||
        cg_schema_load(datadir, "2018", &s2018, &err) != CG_OK ||
        cg_schema_load_kind(datadir, "202205", "dxp", &sdxp, &err) != CG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    char cmd[300];

    cg_schema_free(s2205);
    cg_schema_free(s2018);
    cg_schema_free(sdxp);
    cg_signer_free(sm2);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", keydir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", keydir);
    cg_lib_cleanup();
    return 0;
}

/* ------------------------------------------------------------------ small functions */

/* The first 12 hex digits of a guid: its Unix time in milliseconds (UUID version 7). */
static uint64_t guid_ms(const char *g)
{
    char hex[13];

    memcpy(hex, g, 8);
    memcpy(hex + 8, g + 9, 4);
    hex[12] = '\0';
    return strtoull(hex, NULL, 16);
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void test_guid(void **state)
{
    char a[37], b[37];
    uint64_t t0, t1;
    int i, k;

    for (k = 0; k < 200; k++) {
        t0 = now_ms();
        cg_guid_new(a);
        cg_guid_new(b);
        t1 = now_ms();
        /* Time-ordered: both carry the time of their making, b's no earlier than a's. */
        assert_true(guid_ms(a) >= t0 && guid_ms(a) <= t1);
        assert_true(guid_ms(b) >= guid_ms(a) && guid_ms(b) <= t1);
        assert_int_equal(strlen(a), 36);
        assert_string_not_equal(a, b);
        for (i = 0; i < 36; i++) {
            if (i == 8 || i == 13 || i == 18 || i == 23)
                assert_int_equal(a[i], '-');
            else
                assert_true((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'A' && a[i] <= 'F'));
        }
        assert_int_equal(a[14], '7');
        assert_non_null(strchr("89AB", a[19]));
        /* The 74 bits after the time are random: two guids of the same millisecond differ. */
        if (guid_ms(a) == guid_ms(b))
            assert_memory_not_equal(a + 14, b + 14, 22);
    }
}

/* A child process never repeats its parent's guids (the random bits are drawn ahead). */
static void test_guid_fork(void **state)
{
    char parent[37], child[37], first[37];
    int fd[2], status = 0;
    pid_t pid;

    (void)state;
    cg_guid_new(first); /* the parent has random bits in hand now */
    assert_int_equal(pipe(fd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        cg_guid_new(child);
        _exit(write(fd[1], child, sizeof(child)) == (ssize_t)sizeof(child) ? 0 : 1);
    }
    close(fd[1]);
    assert_int_equal(read(fd[0], child, sizeof(child)), (ssize_t)sizeof(child));
    close(fd[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cg_guid_new(parent);
    /* Past the 48-bit time: the 74 random bits (and version and variant) differ. */
    assert_memory_not_equal(parent + 14, child + 14, 22);
    assert_memory_not_equal(first + 14, child + 14, 22);
}

static void test_time(void **state)
{
    char t[15], d[9];

    cg_ceb_time(0, t);
    assert_string_equal(t, "19700101080000");
    /* 2024-02-29 16:30:05 UTC is 2024-03-01 00:30:05 in China. */
    cg_ceb_time(1709224205, t);
    assert_string_equal(t, "20240301003005");
    cg_ceb_date(1709224205, d);
    assert_string_equal(d, "20240301");
    assert_true(cg_schema_version_ok("2018"));
    assert_true(cg_schema_version_ok("202205"));
    assert_false(cg_schema_version_ok("2019"));
    assert_false(cg_schema_version_ok(NULL));
}

static void test_msg_type_of(void **state)
{
    xmlDocPtr d = load_doc("declare/samples/2018/CEB603Message.xml");
    struct cg_err err;
    xmlDocPtr x = NULL;
    const char *foreign = "<CEB603Message xmlns='urn:other'/>";
    const char *nonum = "<ceb:CEBabcMessage xmlns:ceb='http://www.chinaport.gov.cn/ceb'/>";

    assert_int_equal(cg_msg_type_of(d), 603);
    xmlFreeDoc(d);
    d = load_doc("declare/samples/202205/CEB214Message.xml");
    assert_int_equal(cg_msg_type_of(d), 214);
    xmlFreeDoc(d);
    assert_int_equal(cg_xml_parse(foreign, strlen(foreign), "x", &x, &err), CG_OK);
    assert_int_equal(cg_msg_type_of(x), 0);
    xmlFreeDoc(x);
    assert_int_equal(cg_xml_parse(nonum, strlen(nonum), "x", &x, &err), CG_OK);
    assert_int_equal(cg_msg_type_of(x), 0);
    xmlFreeDoc(x);
    assert_int_equal(cg_msg_type_of(NULL), 0);
}

/* ------------------------------------------------------------------ schemas */

static void test_schema_load_errors(void **state)
{
    struct cg_schema *s = NULL;
    struct cg_err err;

    assert_int_equal(cg_schema_load(datadir, "2019", &s, &err), CG_EINVAL);
    assert_contains(err.msg, "2019");
    assert_int_equal(cg_schema_load("/nonexistent-cebgate", "202205", &s, &err), CG_ECONFIG);
    assert_contains(err.msg, "/nonexistent-cebgate/xsd/202205/ceb-export.xsd");
    assert_int_equal(cg_schema_load_kind(datadir, "2018", "nope", &s, &err), CG_EINVAL);
    assert_null(s);
    /* The other schemas of an edition load too. */
    assert_int_equal(cg_schema_load_kind(datadir, "2018", "import", &s, &err), CG_OK);
    cg_schema_free(s);
    cg_schema_free(NULL);
}

/* A schema that imports from the network is refused without any connection being made. */
static void test_schema_no_network(void **state)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    char dir[] = "/tmp/cg-test-xsd.XXXXXX", sub[128], file[200];
    struct cg_schema *s = NULL;
    struct cg_err err;
    FILE *fp;
    int lfd, cfd;

    lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(lfd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(lfd, 4), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
    assert_int_equal(fcntl(lfd, F_SETFL, O_NONBLOCK), 0);

    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof(sub), "%s/xsd", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(sub, sizeof(sub), "%s/xsd/202205", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(file, sizeof(file), "%s/ceb-export.xsd", sub);
    fp = fopen(file, "w");
    assert_non_null(fp);
    fprintf(fp,
            "<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema' "
            "xmlns:ds='http://www.w3.org/2000/09/xmldsig#' targetNamespace='urn:t'>"
            "<xs:import namespace='http://www.w3.org/2000/09/xmldsig#' "
            "schemaLocation='http://127.0.0.1:%d/xmldsig-core-schema.xsd'/>"
            "<xs:element name='x'><xs:complexType><xs:sequence><xs:element ref='ds:Signature'/>"
            "</xs:sequence></xs:complexType></xs:element></xs:schema>",
            ntohs(a.sin_port));
    fclose(fp);
    assert_int_equal(cg_schema_load(dir, "202205", &s, &err), CG_ECONFIG);
    assert_null(s);
    cfd = accept(lfd, NULL, NULL);
    assert_int_equal(cfd, -1); /* nobody connected */
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    close(lfd);
    unlink(file);
    rmdir(sub);
    snprintf(sub, sizeof(sub), "%s/xsd", dir);
    rmdir(sub);
    rmdir(dir);
}

static const char *const req2018[] = {"303", "403", "505", "507", "509",
                                      "603", "605", "607", "701"};
static const char *const rec2018[] = {"304", "404", "506", "508", "510",
                                      "604", "606", "608", "702", "792"};

static void test_samples_2018_validate(void **state)
{
    char rel[128];
    struct cg_err err;
    size_t i;

    for (i = 0; i < sizeof(req2018) / sizeof(req2018[0]); i++) {
        xmlDocPtr d;
        snprintf(rel, sizeof(rel), "declare/samples/2018/CEB%sMessage.xml", req2018[i]);
        d = load_doc(rel);
        if (cg_schema_validate(s2018, d, &err) != CG_OK)
            fail_msg("%s: %s", rel, err.msg);
        xmlFreeDoc(d);
    }
    for (i = 0; i < sizeof(rec2018) / sizeof(rec2018[0]); i++) {
        xmlDocPtr d;
        snprintf(rel, sizeof(rel), "declare/samples/2018/CEB%sMessage.xml", rec2018[i]);
        d = load_doc(rel);
        if (cg_schema_validate(s2018, d, &err) != CG_OK)
            fail_msg("%s: %s", rel, err.msg);
        xmlFreeDoc(d);
    }
}

static void test_samples_202205(void **state)
{
    static const char *const dup[] = {"303", "403", "505", "507", "509", "603", "605", "607"};
    char rel[128];
    struct cg_err err;
    xmlDocPtr d;
    size_t i;

    for (i = 0; i < sizeof(dup) / sizeof(dup[0]); i++) {
        snprintf(rel, sizeof(rel), "declare/samples/202205/CEB%sMessage.xml", dup[i]);
        d = load_doc(rel);
        assert_int_equal(cg_schema_validate(s2205, d, &err), CG_ESCHEMA);
        /* The samples stand on many lines: the line comes before the path. */
        assert_contains(err.msg, "line ");
        snprintf(rel, sizeof(rel),
                 ": element /CEB%sMessage/BaseTransfer[2]: This element is not expected", dup[i]);
        assert_contains(err.msg, rel);
        xmlFreeDoc(d);
    }
    /* The return request sample is schema-clean. */
    d = load_doc("declare/samples/202205/CEB213Message.xml");
    if (cg_schema_validate(s2205, d, &err) != CG_OK)
        fail_msg("CEB213: %s", err.msg);
    /* ... and in 2018 the message does not exist. */
    assert_int_equal(cg_schema_validate(s2018, d, &err), CG_ESCHEMA);
    xmlFreeDoc(d);
}

/* One compiled schema, used by two threads at once, and again after. */
struct vjob {
    xmlDocPtr doc;
    int rc[20];
};

static void *vthread(void *p)
{
    struct vjob *j = p;
    struct cg_err err;
    int i;

    for (i = 0; i < 20; i++)
        j->rc[i] = cg_schema_validate(s2018, j->doc, &err);
    return NULL;
}

static void test_schema_threads(void **state)
{
    struct vjob a, b;
    pthread_t ta, tb;
    int i;

    a.doc = load_doc("declare/samples/2018/CEB603Message.xml");
    b.doc = load_doc("declare/samples/202205/CEB603Message.xml");
    assert_int_equal(pthread_create(&ta, NULL, vthread, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, vthread, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    for (i = 0; i < 20; i++) {
        assert_int_equal(a.rc[i], CG_OK);
        assert_int_equal(b.rc[i], CG_ESCHEMA);
    }
    xmlFreeDoc(a.doc);
    xmlFreeDoc(b.doc);
}

/* ------------------------------------------------------------------ order-based messages */

static xmlDocPtr build1(int type, struct fixture *f, int app_type, const char *pre_no,
                        const char *invt_no, const char *version, int want, struct cg_err *err)
{
    struct cg_doc_ref r = {.order = &f->o,
                           .guid = G1,
                           .app_type = app_type,
                           .cop_no = "C2991202403010001",
                           .pre_no = pre_no,
                           .invt_no = invt_no};
    xmlDocPtr doc = NULL;
    int rc = cg_build_order_doc(type, MG, &r, 1, &seller, &bt, version, &doc, err);

    if (rc != want)
        fail_msg("CEB%d: rc %d, want %d: %s", type, rc, want, rc != CG_OK ? err->msg : "");
    return doc;
}

static void check_app_time(xmlDocPtr doc, const char *expr)
{
    char *t = xp(doc, expr), now[15];
    time_t before = time(NULL) - 5;

    assert_non_null(t);
    assert_int_equal(strlen(t), 14);
    cg_ceb_time(before, now);
    assert_true(strcmp(t, now) >= 0); /* China time, not earlier than a few seconds ago */
    cg_ceb_time(before + 70, now);
    assert_true(strcmp(t, now) <= 0);
    free(t);
}

static void test_ceb303(void **state)
{
    struct fixture f;
    struct cg_err err;
    xmlDocPtr doc;
    char *s;
    size_t len;

    fixture_init(&f, "SO-2024-0001");
    doc = build1(303, &f, CG_APP_ADD, NULL, NULL, "202205", CG_OK, &err);
    valid_both(doc, true);
    assert_xp(doc, "/ceb:CEB303Message/@guid", MG);
    assert_xp(doc, "/ceb:CEB303Message/@version", "1.0");
    assert_xp(doc, "/ceb:CEB303Message/ceb:Order/ceb:OrderHead/ceb:guid", G1);
    assert_xp(doc, "//ceb:OrderHead/ceb:appType", "1");
    assert_xp(doc, "//ceb:OrderHead/ceb:appStatus", "2");
    check_app_time(doc, "//ceb:OrderHead/ceb:appTime");
    assert_xp(doc, "//ceb:OrderHead/ceb:orderType", "E");
    assert_xp(doc, "//ceb:OrderHead/ceb:orderNo", "SO-2024-0001");
    assert_xp(doc, "//ceb:OrderHead/ceb:ebpCode", "1105910159");
    assert_xp(doc, "//ceb:OrderHead/ceb:ebcName", "杭州跨境示例贸易有限公司");
    assert_xp(doc, "//ceb:OrderHead/ceb:goodsValue", "59.97");
    assert_xp(doc, "//ceb:OrderHead/ceb:freight", "5.5");
    assert_xp(doc, "//ceb:OrderHead/ceb:currency", "502");
    assert_xp(doc, "count(//ceb:OrderList)", "2");
    assert_xp(doc, "//ceb:OrderList[1]/ceb:itemName", "Cotton T-shirt & logo <M>");
    assert_xp(doc, "//ceb:OrderList[1]/ceb:barCode", "6901234567892");
    assert_xp(doc, "//ceb:OrderList[2]/ceb:gnum", "2");
    assert_xp(doc, "//ceb:OrderList[2]/ceb:totalPrice", "19.99");
    assert_no_xp(doc, "//ceb:OrderList[2]/ceb:barCode");
    assert_xp(doc, "/ceb:CEB303Message/ceb:BaseTransfer/ceb:dxpMode", "DXP");
    assert_xp(doc, "/ceb:CEB303Message/ceb:BaseTransfer/ceb:dxpId", "DXPENT0000019448");
    /* Element order: OrderHead, lists, then BaseTransfer last. */
    assert_xp(doc, "local-name(/*/*[last()])", "BaseTransfer");
    /* The root declares ceb and xsi only; the text was escaped, not pasted. */
    assert_int_equal(cg_xml_serialize(doc, &s, &len, &err), CG_OK);
    assert_contains(s, "<ceb:CEB303Message xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\" "
                       "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" guid=");
    assert_contains(s, "Cotton T-shirt &amp; logo &lt;M&gt;");
    free(s);
    xmlFreeDoc(doc);

    /* Negative: missing (build) and over-long (schema) values name the element and order. */
    seller.ebp_name = NULL;
    build1(303, &f, CG_APP_ADD, NULL, NULL, "202205", CG_EINVAL, &err);
    seller.ebp_name = ebp_name;
    assert_string_equal(err.msg, "order SO-2024-0001: element ebpName: required value is missing");
    f.lines[1].sku = put(&f, "SKU-0123456789-0123456789-0123456789");
    doc = build1(303, &f, CG_APP_ADD, NULL, NULL, "202205", CG_OK, &err);
    assert_int_equal(cg_msg_validate(s2205, doc, &err), CG_ESCHEMA);
    assert_string_equal(err.msg,
                        "order SO-2024-0001: element /CEB303Message/Order/OrderList[2]/itemNo: "
                        "[facet 'maxLength'] The value has a length of '36'; this exceeds the "
                        "allowed maximum length of '30'.");
    xmlFreeDoc(doc);
}

static void test_ceb403(void **state)
{
    struct fixture f;
    struct cg_err err;
    xmlDocPtr doc;

    fixture_init(&f, "SO-2024-0002");
    doc = build1(403, &f, CG_APP_ADD, NULL, NULL, "202205", CG_OK, &err);
    valid_both(doc, true);
    assert_xp(doc, "count(/ceb:CEB403Message/ceb:Receipts)", "1");
    assert_xp(doc, "//ceb:Receipts/ceb:guid", G1);
    assert_xp(doc, "//ceb:Receipts/ceb:orderNo", "SO-2024-0002");
    assert_xp(doc, "//ceb:Receipts/ceb:payCode", "312226T001");
    assert_xp(doc, "//ceb:Receipts/ceb:payName", "示例支付有限公司");
    assert_xp(doc, "//ceb:Receipts/ceb:payNo", "PAY-20240301-0001");
    assert_xp(doc, "//ceb:Receipts/ceb:charge", "65.47");
    assert_xp(doc, "//ceb:Receipts/ceb:currency", "502");
    assert_xp(doc, "//ceb:Receipts/ceb:accountingDate", "20240301101500");
    xmlFreeDoc(doc);

    /* Optional payment fields are left out, not written empty. */
    f.o.pay.pay_code = NULL;
    f.o.pay.pay_no = NULL;
    doc = build1(403, &f, CG_APP_ADD, NULL, NULL, "2018", CG_OK, &err);
    valid_both(doc, true);
    assert_no_xp(doc, "//ceb:Receipts/ceb:payCode");
    assert_no_xp(doc, "//ceb:Receipts/ceb:payNo");
    xmlFreeDoc(doc);

    f.o.has_payment = false;
    build1(403, &f, CG_APP_ADD, NULL, NULL, "202205", CG_EINVAL, &err);
    assert_contains(err.msg, "order SO-2024-0002: element payName: ");
    f.o.has_payment = true;
    f.o.pay.accounting_date[0] = '\0';
    build1(403, &f, CG_APP_ADD, NULL, NULL, "202205", CG_EINVAL, &err);
    assert_string_equal(err.msg,
                        "order SO-2024-0002: element accountingDate: required value is missing");
}

static void test_ceb505(void **state)
{
    struct fixture f;
    struct cg_err err;
    xmlDocPtr doc;
    char *gi;

    fixture_init(&f, "SO-2024-0003");
    doc = build1(505, &f, CG_APP_ADD, NULL, NULL, "202205", CG_OK, &err);
    valid_both(doc, true);
    assert_xp(doc, "//ceb:Logistics/ceb:logisticsCode", "3105961682");
    assert_xp(doc, "//ceb:Logistics/ceb:logisticsNo", "YT1234567890123");
    assert_xp(doc, "//ceb:Logistics/ceb:freight", "5.5");
    assert_xp(doc, "//ceb:Logistics/ceb:insuredFee", "0");
    assert_xp(doc, "//ceb:Logistics/ceb:grossWeight", "1.25");
    assert_xp(doc, "//ceb:Logistics/ceb:packNo", "1");
    assert_xp(doc, "//ceb:Logistics/ceb:goodsInfo", "棉制针织T恤衫; 陶瓷杯");
    assert_xp(doc, "//ceb:Logistics/ceb:ebcCode", "3301964J31");
    xmlFreeDoc(doc);

    /* goodsInfo is cut at 200 characters, not bytes, so multi-byte names stay valid. */
    f.lines[0].gname =
        put(&f, "棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉"
                "棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉棉");
    f.lines[1].gname = f.lines[0].gname;
    {
        struct fixture g = f; /* three copies of 80 characters: 244 in all */
        struct cg_order_line ls[3] = {f.lines[0], f.lines[1], f.lines[0]};
        ls[2].gnum = 3;
        g.o.lines = ls;
        g.o.nlines = 3;
        doc = build1(505, &g, CG_APP_ADD, NULL, NULL, "202205", CG_OK, &err);
    }
    valid_both(doc, true);
    gi = xp(doc, "//ceb:Logistics/ceb:goodsInfo");
    assert_non_null(gi);
    assert_true(xmlCheckUTF8((const unsigned char *)gi));
    assert_int_equal(xmlUTF8Strlen((const xmlChar *)gi), 200);
    free(gi);
    xmlFreeDoc(doc);

    /* No shipment yet: the waybill cannot be built. Over-long logisticsNo: 32 in 202205, 80 in
     * 2018. */
    fixture_init(&f, "SO-2024-0003");
    f.o.has_shipment = false;
    build1(505, &f, CG_APP_ADD, NULL, NULL, "202205", CG_EINVAL, &err);
    assert_contains(err.msg, "order SO-2024-0003: element logisticsNo: ");
    f.o.has_shipment = true;
    f.o.ship.logistics_no = put(&f, "YT12345678901234567890123456789012345");
    doc = build1(505, &f, CG_APP_ADD, NULL, NULL, "202205", CG_OK, &err);
    {
        struct cg_doc_ref r = {.order = &f.o, .guid = G1, .app_type = CG_APP_ADD};
        assert_int_equal(cg_msg_validate_refs(s2205, doc, &r, 1, &err), CG_ESCHEMA);
        assert_string_equal(err.msg,
                            "order SO-2024-0003: element /CEB505Message/Logistics/logisticsNo: "
                            "[facet 'maxLength'] The value has a length of '37'; this exceeds the "
                            "allowed maximum length of '32'.");
    }
    /* Without the refs the entity is named by its waybill number. */
    assert_int_equal(cg_msg_validate(s2205, doc, &err), CG_ESCHEMA);
    assert_string_equal(err.msg,
                        "logisticsNo YT12345678901234567890123456789012345: element "
                        "/CEB505Message/Logistics/logisticsNo: [facet 'maxLength'] The value has "
                        "a length of '37'; this exceeds the allowed maximum length of '32'.");
    assert_int_equal(cg_msg_validate(s2018, doc, &err), CG_OK);
    xmlFreeDoc(doc);
}

/* orderType follows the trade mode (spec 202205 OrderHead); 1210 writes the special-area fields. */
static void test_trade_modes(void **state)
{
    static struct {
        char mode[5];
        const char *type;
    } m[] = {{"9610", "E"}, {"9710", "B"}, {"9810", "W"}, {"1210", "E"}};
    char iac_code[] = "2992680001", iac_name[] = "示例保税仓储有限公司", ems_no[] = "T2992W000001";
    struct fixture f;
    struct cg_err err;
    xmlDocPtr doc;
    size_t i;

    (void)state;
    fixture_init(&f, "SO-2024-0009");
    seller.iac_code = iac_code;
    seller.iac_name = iac_name;
    seller.ems_no = ems_no;
    for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        seller.trade_mode = m[i].mode;
        doc = build1(303, &f, CG_APP_ADD, NULL, NULL, "202205", CG_OK, &err);
        valid_both(doc, false);
        assert_xp(doc, "//ceb:OrderHead/ceb:orderType", m[i].type);
        xmlFreeDoc(doc);
        /* The 2018 edition knows only E for exports. */
        doc = build1(303, &f, CG_APP_ADD, NULL, NULL, "2018", CG_OK, &err);
        assert_xp(doc, "//ceb:OrderHead/ceb:orderType", "E");
        xmlFreeDoc(doc);
        doc = build1(603, &f, CG_APP_ADD, NULL, NULL, "202205", CG_OK, &err);
        valid_both(doc, false);
        assert_xp(doc, "//ceb:InventoryHead/ceb:tradeMode", m[i].mode);
        if (strcmp(m[i].mode, "1210") == 0) {
            assert_xp(doc, "//ceb:InventoryHead/ceb:iacCode", iac_code);
            assert_xp(doc, "//ceb:InventoryHead/ceb:iacName", iac_name);
            assert_xp(doc, "//ceb:InventoryHead/ceb:emsNo", ems_no);
            /* in the schema's order: after ownerName, before tradeMode */
            assert_xp(doc, "local-name(//ceb:InventoryHead/ceb:tradeMode/preceding-sibling::*[1])",
                      "emsNo");
        } else {
            assert_no_xp(doc, "//ceb:InventoryHead/ceb:iacCode");
            assert_no_xp(doc, "//ceb:InventoryHead/ceb:emsNo");
        }
        xmlFreeDoc(doc);
    }
    seller.trade_mode = trade_mode;
    seller.iac_code = seller.iac_name = seller.ems_no = NULL;
}

static void test_ceb603(void **state)
{
    struct fixture f;
    struct cg_err err;
    xmlDocPtr doc;
    char today[9];

    fixture_init(&f, "SO-2024-0004");
    doc = build1(603, &f, CG_APP_ADD, "B20240301000000001", "29912024E000000001", "202205", CG_OK,
                 &err);
    valid_both(doc, true);
    /* An add never carries the numbers customs assigns. */
    assert_no_xp(doc, "//ceb:InventoryHead/ceb:preNo");
    assert_no_xp(doc, "//ceb:InventoryHead/ceb:invtNo");
    assert_xp(doc, "//ceb:InventoryHead/ceb:customsCode", "2991");
    assert_xp(doc, "//ceb:InventoryHead/ceb:copNo", "C2991202403010001");
    assert_xp(doc, "//ceb:InventoryHead/ceb:ieFlag", "E");
    assert_xp(doc, "//ceb:InventoryHead/ceb:portCode", "2992");
    cg_ceb_date(time(NULL), today);
    assert_xp(doc, "//ceb:InventoryHead/ceb:ieDate", today);
    assert_xp(doc, "//ceb:InventoryHead/ceb:statisticsFlag", "A");
    assert_xp(doc, "//ceb:InventoryHead/ceb:agentCode", "44306650K2");
    assert_xp(doc, "//ceb:InventoryHead/ceb:ownerName", "杭州跨境示例贸易有限公司");
    assert_xp(doc, "//ceb:InventoryHead/ceb:tradeMode", "9610");
    assert_xp(doc, "//ceb:InventoryHead/ceb:trafMode", "5");
    assert_xp(doc, "//ceb:InventoryHead/ceb:country", "502");
    assert_xp(doc, "//ceb:InventoryHead/ceb:POD", "USLA");
    assert_xp(doc, "//ceb:InventoryHead/ceb:fFlag", "3");
    assert_xp(doc, "//ceb:InventoryHead/ceb:wrapType", "2");
    assert_xp(doc, "//ceb:InventoryHead/ceb:netWeight", "1.1");
    assert_xp(doc, "count(//ceb:InventoryList)", "2");
    assert_xp(doc, "//ceb:InventoryList[1]/ceb:gcode", "6109100021");
    assert_xp(doc, "//ceb:InventoryList[1]/ceb:qty2", "0.4");
    assert_xp(doc, "//ceb:InventoryList[1]/ceb:unit2", "035");
    assert_xp(doc, "//ceb:InventoryList[2]/ceb:barCode", "无");
    assert_xp(doc, "//ceb:InventoryList[2]/ceb:qty1", "0.7");
    assert_no_xp(doc, "//ceb:InventoryList[2]/ceb:qty2");
    assert_no_xp(doc, "//ceb:InventoryList[2]/ceb:unit2");
    /* Schema order: logisticsNo, copNo, (preNo, invtNo,) ieFlag. */
    assert_xp(doc, "local-name(//ceb:InventoryHead/ceb:copNo/following-sibling::*[1])", "ieFlag");
    xmlFreeDoc(doc);

    /* A modify carries preNo and invtNo; without preNo it is refused. */
    doc = build1(603, &f, CG_APP_MODIFY, "B20240301000000001", "29912024E000000001", "202205",
                 CG_OK, &err);
    valid_both(doc, true);
    assert_xp(doc, "//ceb:InventoryHead/ceb:appType", "2");
    assert_xp(doc, "//ceb:InventoryHead/ceb:preNo", "B20240301000000001");
    assert_xp(doc, "//ceb:InventoryHead/ceb:invtNo", "29912024E000000001");
    xmlFreeDoc(doc);
    build1(603, &f, CG_APP_DELETE, NULL, NULL, "202205", CG_EINVAL, &err);
    assert_string_equal(err.msg, "order SO-2024-0004: element preNo: appType 3 (modify/delete) "
                                 "needs the preNo learned from the receipt");
    build1(603, &f, 4, NULL, NULL, "202205", CG_EINVAL, &err);
    assert_contains(err.msg, "element appType");

    /* 2018: invtNo is exactly 18, 202205 up to 20. */
    doc = build1(603, &f, CG_APP_MODIFY, "B20240301000000001", "29912024E00000000123", "2018",
                 CG_OK, &err);
    assert_int_equal(cg_msg_validate(s2205, doc, &err), CG_OK);
    assert_int_equal(cg_msg_validate(s2018, doc, &err), CG_ESCHEMA);
    assert_string_equal(err.msg,
                        "order SO-2024-0004: element "
                        "/CEB603Message/Inventory/InventoryHead/invtNo: [facet 'length'] The "
                        "value has a length of '20'; this differs from the allowed length of "
                        "'18'.");
    xmlFreeDoc(doc);

    /* Negatives: a missing HS code, an over-long gcode. */
    f.lines[1].gcode[0] = '\0';
    build1(603, &f, CG_APP_ADD, NULL, NULL, "202205", CG_EINVAL, &err);
    assert_string_equal(err.msg, "order SO-2024-0004: element gcode: required value is missing");
    f.o.pod = NULL;
    cg_strlcpy(f.lines[1].gcode, "6912001000", sizeof(f.lines[1].gcode));
    build1(603, &f, CG_APP_ADD, NULL, NULL, "202205", CG_EINVAL, &err);
    assert_string_equal(err.msg, "order SO-2024-0004: element POD: required value is missing");
    f.o.pod = put(&f, "USLAX"); /* POD is 3 to 4 characters */
    doc = build1(603, &f, CG_APP_ADD, NULL, NULL, "202205", CG_OK, &err);
    assert_int_equal(cg_msg_validate(s2205, doc, &err), CG_ESCHEMA);
    assert_string_equal(err.msg,
                        "order SO-2024-0004: element /CEB603Message/Inventory/InventoryHead/POD: "
                        "[facet 'maxLength'] The value has a length of '5'; this exceeds the "
                        "allowed maximum length of '4'.");
    xmlFreeDoc(doc);
}

/*
 * cg_orders_pass() says true only when every order passes cg_order_check(): checked here for
 * orders with and without shipment and payment receipt, with one order that fails in a message
 * only it declares, and with a failure in a message its kind does not declare (no verdict).
 */
static void test_orders_pass(void **state)
{
    static struct fixture f[5];
    static char payments[] = "shop";
    const struct cg_order *o[101];
    struct cg_err err;
    size_t i;
    int pass;

    (void)state;
    for (i = 0; i < 5; i++) {
        char no[16];

        snprintf(no, sizeof(no), "P-%zu", i);
        fixture_init(&f[i], no);
        o[i] = &f[i].o;
    }
    f[1].o.has_shipment = false;
    f[2].o.has_payment = false;
    seller.payments = payments; /* CEB403 for the orders with a payment */
    for (pass = 0; pass < 2; pass++) {
        struct cg_schema *s = pass == 0 ? s2205 : s2018;
        const char *v = pass == 0 ? "202205" : "2018";

        assert_true(cg_orders_pass(s, o, 5, &seller, &bt, v));
        for (i = 0; i < 5; i++)
            assert_int_equal(cg_order_check(s, o[i], &seller, &bt, v, &err), CG_OK);
    }

    /* An over-long tracking number fails the waybill of the order that has a shipment... */
    f[3].o.ship.logistics_no = put(&f[3], "YT-0123456789-0123456789-0123456789");
    assert_false(cg_orders_pass(s2205, o, 5, &seller, &bt, "202205"));
    assert_false(cg_orders_pass(s2205, &o[3], 1, &seller, &bt, "202205"));
    assert_int_equal(cg_order_check(s2205, o[3], &seller, &bt, "202205", &err), CG_ESCHEMA);
    assert_string_equal(err.msg,
                        "CEB505 schema: element /CEB505Message/Logistics/logisticsNo: [facet "
                        "'maxLength'] The value has a length of '35'; this exceeds the allowed "
                        "maximum length of '32'.");
    assert_true(cg_orders_pass(s2205, o, 3, &seller, &bt, "202205"));
    assert_true(cg_orders_pass(s2205, &o[4], 1, &seller, &bt, "202205"));
    /* ...and not that of an order without one, which declares no waybill. */
    f[3].o.has_shipment = false;
    assert_true(cg_orders_pass(s2205, o, 5, &seller, &bt, "202205"));
    assert_int_equal(cg_order_check(s2205, o[3], &seller, &bt, "202205", &err), CG_OK);

    /* A pay number too long fails only where the receipt is declared (payments = shop). */
    f[0].o.pay.pay_no = put(&f[0], "PAY-0123456789-0123456789-0123456789-0123456789-0123456789-"
                                   "0123456789");
    assert_false(cg_orders_pass(s2205, o, 5, &seller, &bt, "202205"));
    assert_int_equal(cg_order_check(s2205, o[0], &seller, &bt, "202205", &err), CG_ESCHEMA);
    assert_string_equal(err.msg,
                        "CEB403 schema: element /CEB403Message/Receipts/payNo: [facet "
                        "'maxLength'] The value has a length of '69'; this exceeds the allowed "
                        "maximum length of '60'.");
    seller.payments = NULL;
    assert_true(cg_orders_pass(s2205, o, 5, &seller, &bt, "202205"));

    /* No orders, or more than a message carries: no verdict. */
    assert_false(cg_orders_pass(s2205, o, 0, &seller, &bt, "202205"));
    for (i = 5; i < 101; i++)
        o[i] = o[4];
    assert_true(cg_orders_pass(s2205, o, 100, &seller, &bt, "202205"));
    assert_false(cg_orders_pass(s2205, o, 101, &seller, &bt, "202205"));
}

/*
 * The BaseTransfer values come from [declare] and are checked for length when the configuration
 * is loaded (core/conf.c, declare-keys.c); these are the limits that check stands for. Given to
 * the builder directly, a value one character too long fails the schema of both editions with
 * the element's path, and one at the limit passes: copName counts characters, so 100 Chinese
 * characters (300 bytes) are fine.
 */
static void test_base_transfer_limits(void **state)
{
    static const char over[] = "CEB303 schema: element /CEB303Message/BaseTransfer/%s: [facet "
                               "'maxLength'] The value has a length of '%d'; this exceeds the "
                               "allowed maximum length of '%d'.";
    static struct fixture f;
    struct cg_base_transfer b;
    struct cg_err err;
    char name[512], code[64], id[64], want[512];
    int pass, i;

    (void)state;
    fixture_init(&f, "BT-1");
    f.o.has_shipment = false;
    for (pass = 0; pass < 2; pass++) {
        struct cg_schema *s = pass == 0 ? s2205 : s2018;
        const char *v = pass == 0 ? "202205" : "2018";

        /* At the limits: 18, 100 (Chinese) and 30 characters. */
        memset(code, 'C', 18);
        code[18] = '\0';
        for (i = 0; i < 100; i++)
            memcpy(name + 3 * i, "贸", 3);
        name[300] = '\0';
        memset(id, 'D', 30);
        id[30] = '\0';
        b = (struct cg_base_transfer){.cop_code = code, .cop_name = name, .dxp_id = id};
        assert_int_equal(cg_order_check(s, &f.o, &seller, &b, v, &err), CG_OK);

        /* One more character in each, one at a time. */
        for (i = 0; i < 3; i++) {
            const struct {
                char *v;
                size_t end;
                const char *more, *elem;
                int max;
            } one[] = {{name, 300, "易", "copName", 100},
                       {code, 18, "C", "copCode", 18},
                       {id, 30, "D", "dxpId", 30}};

            memcpy(one[i].v + one[i].end, one[i].more, strlen(one[i].more) + 1);
            assert_int_equal(cg_order_check(s, &f.o, &seller, &b, v, &err), CG_ESCHEMA);
            snprintf(want, sizeof(want), over, one[i].elem, one[i].max + 1, one[i].max);
            assert_string_equal(err.msg, want);
            one[i].v[one[i].end] = '\0';
        }
    }
}

/*
 * A configuration that lacks several settings: the check names them all at once, in the order
 * the builders meet them, only those the order's messages need, and says nothing more when
 * just one is missing or when the failure is the order's own.
 */
static void test_config_missing(void **state)
{
    static struct fixture f;
    static char empty[] = "";
    struct cg_seller bare = seller;
    struct cg_base_transfer nobt = {.cop_code = "", .cop_name = NULL, .dxp_id = ""};
    struct cg_err err;
    char all[512];

    (void)state;
    fixture_init(&f, "M-1");
    bare.ebp_code = empty;
    bare.ebp_name = NULL;
    bare.ebc_name = empty;
    bare.agent_code = empty;
    bare.owner_name = empty;
    bare.port_code = NULL;
    f.o.pod = NULL;
    /* With its shipment: CEB303, CEB505 and CEB603. */
    assert_int_equal(cg_config_missing(&f.o, &bare, &nobt, "202205", all, sizeof(all)), 10);
    assert_string_equal(all, "[seller] ebp_code, [seller] ebp_name, [seller] ebc_name, "
                             "[declare] cop_code, [declare] cop_name, [declare] dxp_id, "
                             "[seller] port_code, [seller] agent_code, [seller] owner_name, "
                             "[seller] pod or pod_by_country, or a pod column");
    assert_int_equal(cg_order_check(s2205, &f.o, &bare, &nobt, "202205", &err), CG_EINVAL);
    assert_string_equal(err.msg,
                        "CEB303 building: element ebpCode: required value is missing: set "
                        "[seller] ebp_code (无 for a foreign platform such as Amazon or Shopify)"
                        "; missing settings: [seller] ebp_code, [seller] ebp_name, [seller] "
                        "ebc_name, [declare] cop_code, [declare] cop_name, [declare] dxp_id, "
                        "[seller] port_code, [seller] agent_code, [seller] owner_name, [seller] "
                        "pod or pod_by_country, or a pod column");
    /* Without a shipment only the CEB303's; a short buffer still counts them all. */
    f.o.has_shipment = false;
    assert_int_equal(cg_config_missing(&f.o, &bare, &nobt, "202205", all, 20), 6);
    assert_string_equal(all, "[seller] ebp_code, ");
    /* One alone: named once, as before. */
    f.o.has_shipment = true;
    f.o.pod = put(&f, "LAX");
    assert_int_equal(cg_config_missing(&f.o, &seller, &bt, "202205", all, sizeof(all)), 0);
    assert_string_equal(all, "");
    bare = seller;
    bare.agent_name = empty;
    assert_int_equal(cg_order_check(s2205, &f.o, &bare, &bt, "202205", &err), CG_EINVAL);
    assert_string_equal(err.msg, "CEB603 building: element agentName: required value is missing: "
                                 "set [seller] agent_name");
    /* Only the configuration gives agentName, copCode or portCode; an order may carry its POD;
     * an order's own element is no setting at all. */
    assert_true(cg_msg_config_only("element agentName: required value is missing"));
    assert_true(cg_msg_config_only("element copCode: required value is missing"));
    assert_true(cg_msg_config_only("element portCode: required value is missing"));
    assert_false(cg_msg_config_only("element POD: required value is missing"));
    assert_false(cg_msg_config_only("element gcode: required value is missing"));
    assert_false(cg_msg_config_only("element agentName: [facet 'maxLength'] too long"));
    /* The order's own failure says nothing of the configuration. */
    f.lines[1].gcode[0] = '\0';
    assert_int_equal(cg_order_check(s2205, &f.o, &seller, &bt, "202205", &err), CG_EINVAL);
    assert_string_equal(err.msg, "CEB603 building: element gcode: required value is missing");
}

/* The element an XPath expression selects first (namespace ceb), NULL when none. */
static xmlNodePtr xp_node(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr r;
    xmlNodePtr n = NULL;

    assert_non_null(ctx);
    xmlXPathRegisterNs(ctx, (const xmlChar *)"ceb", (const xmlChar *)CG_NS_CEB);
    r = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
    assert_non_null(r);
    if (r->type == XPATH_NODESET && r->nodesetval != NULL && r->nodesetval->nodeNr > 0)
        n = r->nodesetval->nodeTab[0];
    xmlXPathFreeObject(r);
    xmlXPathFreeContext(ctx);
    return n;
}

/*
 * A schema error names the element by its path: currency is in OrderHead and in each OrderList,
 * and only the second line's is bad. A message written on one line (as cebgate writes them, and
 * as the port parses them) gives no line, a document on many lines gives it before the path.
 */
static void test_schema_path(void **state)
{
    static const char BAD[] = "[facet 'length'] The value has a length of '2'; this differs from "
                              "the allowed length of '3'.";
    struct fixture f;
    struct cg_err err;
    xmlDocPtr doc, back;
    xmlNodePtr n;
    char want[512];

    (void)state;
    fixture_init(&f, "SO-2024-0009");
    doc = build1(303, &f, CG_APP_ADD, NULL, NULL, "202205", CG_OK, &err);
    n = xp_node(doc, "//ceb:OrderList[2]/ceb:currency");
    assert_non_null(n);
    xmlNodeSetContent(n, (const xmlChar *)"US");
    /* the built tree */
    assert_int_equal(cg_msg_validate(s2205, doc, &err), CG_ESCHEMA);
    snprintf(want, sizeof(want),
             "order SO-2024-0009: element /CEB303Message/Order/OrderList[2]/currency: %s", BAD);
    assert_string_equal(err.msg, want);
    assert_int_equal(cg_schema_validate(s2205, doc, &err), CG_ESCHEMA);
    snprintf(want, sizeof(want), "element /CEB303Message/Order/OrderList[2]/currency: %s", BAD);
    assert_string_equal(err.msg, want);
    /* the same message serialized and parsed again: one line after the XML declaration */
    back = roundtrip(doc);
    assert_int_equal(cg_schema_validate(s2205, back, &err), CG_ESCHEMA);
    assert_string_equal(err.msg, want);
    xmlFreeDoc(back);
    /* the head's currency bad and the lines' good: the head is named */
    xmlNodeSetContent(n, (const xmlChar *)"502");
    xmlNodeSetContent(xp_node(doc, "//ceb:OrderHead/ceb:currency"), (const xmlChar *)"US");
    assert_int_equal(cg_schema_validate(s2205, doc, &err), CG_ESCHEMA);
    snprintf(want, sizeof(want), "element /CEB303Message/Order/OrderHead/currency: %s", BAD);
    assert_string_equal(err.msg, want);
    /* an attribute's error is reported on its element: the attribute ends the path */
    xmlNodeSetContent(xp_node(doc, "//ceb:OrderHead/ceb:currency"), (const xmlChar *)"502");
    xmlSetProp(xmlDocGetRootElement(doc), (const xmlChar *)"guid", (const xmlChar *)"A1B2");
    back = roundtrip(doc);
    assert_int_equal(cg_schema_validate(s2205, back, &err), CG_ESCHEMA);
    assert_string_equal(err.msg, "element /CEB303Message/@guid: [facet 'length'] The value 'A1B2' "
                                 "has a length of '4'; this differs from the allowed length of "
                                 "'36'.");
    xmlFreeDoc(back);
    xmlFreeDoc(doc);

    /* A document on many lines (tests/data/port/CEB303Message.xml): the second OrderList's
     * currency is on line 34, the head's on line 17. */
    doc = load_doc("port/CEB303Message.xml");
    xmlNodeSetContent(xp_node(doc, "//ceb:OrderList[2]/ceb:currency"), (const xmlChar *)"US");
    assert_int_equal(cg_schema_validate(s2205, doc, &err), CG_ESCHEMA);
    snprintf(want, sizeof(want), "line 34: element /CEB303Message/Order/OrderList[2]/currency: %s",
             BAD);
    assert_string_equal(err.msg, want);
    xmlFreeDoc(doc);

    /* A name from the document is escaped (U+200C) and cut after 32 bytes: "x", U+200C (3
     * bytes) and 28 of the 60 'y'. */
    doc = load_doc("port/CEB303Message.xml");
    n = xp_node(doc, "//ceb:OrderList[2]/ceb:gnum");
    xmlAddNextSibling(n, xmlNewDocNode(doc, n->ns,
                                       (const xmlChar *)"x\xe2\x80\x8c"
                                                        "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
                                                        "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy",
                                       (const xmlChar *)"1"));
    assert_int_equal(cg_schema_validate(s2205, doc, &err), CG_ESCHEMA);
    assert_string_equal(err.msg, "element /CEB303Message/Order/OrderList[2]/x\\u{200C}"
                                 "yyyyyyyyyyyyyyyyyyyyyyyyyyyy...: This element is not expected. "
                                 "Expected is ( itemNo ).");
    xmlFreeDoc(doc);
}

/*
 * A deep path is cut: the root, "/...", then the failing element and the 7 above it. A small
 * schema of nested n elements (none of the shipped schemas validates deeper than a few levels)
 * and a one-line document of 12 n, the innermost holding two n and a v that is not an int.
 */
static void test_schema_path_deep(void **state)
{
    static const char xsd[] = "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">"
                              "<xs:element name=\"n\"><xs:complexType><xs:sequence>"
                              "<xs:element ref=\"n\" minOccurs=\"0\" maxOccurs=\"unbounded\"/>"
                              "<xs:element name=\"v\" type=\"xs:int\" minOccurs=\"0\"/>"
                              "</xs:sequence></xs:complexType></xs:element></xs:schema>\n";
    static const char xml[] = "<?xml version=\"1.0\"?>\n"
                              "<n><n><n><n><n><n><n><n><n><n><n><n><n/><n/><v>x</v>"
                              "</n></n></n></n></n></n></n></n></n></n></n></n>\n";
    char dir[] = "/tmp/cg-schema-XXXXXX", sub[64];
    struct cg_schema *s = NULL;
    struct cg_err err;
    xmlDocPtr doc = NULL;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof(sub), "%s/xsd", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(sub, sizeof(sub), "%s/xsd/202205", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(cg_fs_write_atomic(sub, "ceb-export.xsd", xsd, strlen(xsd), &err), CG_OK);
    assert_int_equal(cg_schema_load(dir, "202205", &s, &err), CG_OK);
    assert_int_equal(cg_xml_parse(xml, strlen(xml), "deep", &doc, &err), CG_OK);
    assert_int_equal(cg_schema_validate(s, doc, &err), CG_ESCHEMA);
    assert_string_equal(err.msg, "element /n/.../n/n/n/n/n/n/n/v: 'x' is not a valid value of the "
                                 "atomic type 'xs:int'.");
    xmlFreeDoc(doc);
    cg_schema_free(s);
    s = NULL;

    /* Over 320 bytes: names of 40 letters show as 32 and "..." (36 bytes a step), and the
     * unexpected element's name, "x", ten U+200C and "yyy", as "x", ten "\u{200C}", "y" and
     * "..." (86). Root, 7 elements and the leaf would be 36 + 7 x 36 + 86 = 374 bytes; two
     * steps below the root are left out (36 + 4 + 5 x 36 + 86 = 306; one more would be 342). */
    {
        char big[4096], l40[41], *p;
        size_t i, len = 0;

        memset(l40, 'l', 40);
        l40[40] = '\0';
        snprintf(big, sizeof(big),
                 "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">"
                 "<xs:element name=\"%s\"><xs:complexType><xs:sequence>"
                 "<xs:element ref=\"%s\" minOccurs=\"0\" maxOccurs=\"unbounded\"/>"
                 "<xs:element name=\"v\" type=\"xs:int\" minOccurs=\"0\"/>"
                 "</xs:sequence></xs:complexType></xs:element></xs:schema>\n",
                 l40, l40);
        snprintf(sub, sizeof(sub), "%s/xsd/202205", dir);
        assert_int_equal(cg_fs_write_atomic(sub, "ceb-export.xsd", big, strlen(big), &err), CG_OK);
        assert_int_equal(cg_schema_load(dir, "202205", &s, &err), CG_OK);
        for (i = 0; i < 8; i++)
            len += (size_t)snprintf(big + len, sizeof(big) - len, "<%s>", l40);
        p = big + len;
        *p++ = '<';
        *p++ = 'x';
        for (i = 0; i < 10; i++, p += 3)
            memcpy(p, "\xe2\x80\x8c", 3);
        memcpy(p, "yyy/>", 5);
        len = (size_t)(p + 5 - big);
        for (i = 0; i < 8; i++)
            len += (size_t)snprintf(big + len, sizeof(big) - len, "</%s>", l40);
        assert_int_equal(cg_xml_parse(big, len, "wide", &doc, &err), CG_OK);
        assert_int_equal(cg_schema_validate(s, doc, &err), CG_ESCHEMA);
#define L32 "/llllllllllllllllllllllllllllllll..."
#define ZW10                                                                                       \
    "\\u{200C}\\u{200C}\\u{200C}\\u{200C}\\u{200C}\\u{200C}\\u{200C}\\u{200C}\\u{200C}\\u{200C}"
        assert_string_equal(err.msg, "element " L32 "/..." L32 L32 L32 L32 L32 "/x" ZW10
                                     "y...: This element is not expected. Expected is one of "
                                     "( llllllllllllllllllllllllllllllllllllllll, v ).");
#undef L32
#undef ZW10
        xmlFreeDoc(doc);
        cg_schema_free(s);
    }
    snprintf(sub, sizeof(sub), "%s/xsd/202205/ceb-export.xsd", dir);
    unlink(sub);
    snprintf(sub, sizeof(sub), "%s/xsd/202205", dir);
    rmdir(sub);
    snprintf(sub, sizeof(sub), "%s/xsd", dir);
    rmdir(sub);
    rmdir(dir);
}

/* Several entities: the failing one is named, by its order and by its path (the second of
 * three Inventory elements); 0 and 101 entities are refused. */
static void test_order_batch(void **state)
{
    static const char A2_LONG[] =
        "order A-2: element /CEB603Message/Inventory[2]/InventoryHead/logisticsNo: [facet "
        "'maxLength'] The value has a length of '35'; this exceeds the allowed maximum length of "
        "'32'.";
    static struct fixture f[3];
    struct cg_doc_ref r[101];
    struct cg_err err;
    xmlDocPtr doc = NULL;
    size_t i;

    fixture_init(&f[0], "A-1");
    fixture_init(&f[1], "A-2");
    fixture_init(&f[2], "A-3");
    f[1].o.ship.logistics_no = put(&f[1], "YT-0123456789-0123456789-0123456789");
    memset(r, 0, sizeof(r));
    for (i = 0; i < 3; i++) {
        r[i].order = &f[i].o;
        r[i].guid = i == 1 ? G2 : G1;
        r[i].app_type = CG_APP_ADD;
        r[i].cop_no = "C1";
        r[i].app_status = "1";
    }
    assert_int_equal(cg_build_order_doc(603, MG, r, 3, &seller, &bt, NULL, &doc, &err), CG_OK);
    assert_xp(doc, "count(//ceb:Inventory)", "3");
    assert_xp(doc, "//ceb:Inventory[2]/ceb:InventoryHead/ceb:appStatus", "1");
    assert_int_equal(cg_msg_validate(s2205, doc, &err), CG_ESCHEMA);
    assert_string_equal(err.msg, A2_LONG);
    assert_int_equal(cg_msg_validate_refs(s2205, doc, r, 3, &err), CG_ESCHEMA);
    assert_string_equal(err.msg, A2_LONG);
    xmlFreeDoc(doc);
    doc = NULL;
    assert_int_equal(cg_build_order_doc(603, MG, r, 0, &seller, &bt, NULL, &doc, &err), CG_EINVAL);
    assert_contains(err.msg, "1 to 100");
    for (i = 3; i < 101; i++)
        r[i] = r[0];
    assert_int_equal(cg_build_order_doc(303, MG, r, 100, &seller, &bt, NULL, &doc, &err), CG_OK);
    xmlFreeDoc(doc);
    doc = NULL;
    assert_int_equal(cg_build_order_doc(303, MG, r, 101, &seller, &bt, NULL, &doc, &err),
                     CG_EINVAL);
    assert_null(doc);
    assert_int_equal(cg_build_order_doc(509, MG, r, 1, &seller, &bt, NULL, &doc, &err), CG_EINVAL);
    assert_int_equal(cg_build_order_doc(303, "short", r, 1, &seller, &bt, NULL, &doc, &err),
                     CG_EINVAL);
    assert_int_equal(cg_build_order_doc(303, MG, r, 1, &seller, &bt, "2017", &doc, &err),
                     CG_EINVAL);
    assert_int_equal(cg_build_order_doc(303, MG, r, 1, &seller, NULL, NULL, &doc, &err), CG_EINVAL);
    assert_contains(err.msg, "BaseTransfer");
    r[0].app_status = "3";
    assert_int_equal(cg_build_order_doc(303, MG, r, 1, &seller, &bt, NULL, &doc, &err), CG_EINVAL);
    assert_contains(err.msg, "order A-1: element appStatus");
    r[0].app_status = NULL;
    /* Text that is not UTF-8 or carries control characters is refused at build time. */
    f[0].lines[0].item_name = put(&f[0], "bad \x01 text");
    assert_int_equal(cg_build_order_doc(303, MG, r, 1, &seller, &bt, NULL, &doc, &err), CG_EINVAL);
    assert_string_equal(err.msg, "order A-1: element itemName: value is not valid UTF-8 text");
    f[0].lines[0].item_name = put(&f[0], "bad \xff text");
    assert_int_equal(cg_build_order_doc(303, MG, r, 1, &seller, &bt, NULL, &doc, &err), CG_EINVAL);
    assert_null(doc);
}

/* ------------------------------------------------------------------ the other messages */

static void test_ceb607(void **state)
{
    struct cg_waybill_item items[] = {
        {.logistics_no = "YT1234567890123", .invt_no = "29912024E000000001"},
        {.logistics_no = "YT1234567890124", .total_package_no = "PK-2"},
    };
    struct cg_waybill w = {
        .guid = G1,
        .app_type = CG_APP_ADD,
        .cop_no = "WB2024030100001",
        .pre_no = "P1",
        .traf_name = "CA1234",
        .voyage_no = "CA1234/01MAR",
        .bill_no = "999-12345678",
        .gross_weight = 0,
        .logistics_code = "3105961682",
        .logistics_name = "示例国际物流有限公司",
        .items = items,
        .nitems = 2,
    };
    struct cg_err err;
    xmlDocPtr doc = NULL;

    w.gross_weight = D("2.5");
    assert_int_equal(cg_build_waybill_doc(MG, &w, 1, &seller, &bt, "202205", &doc, &err), CG_OK);
    valid_both(doc, true);
    assert_xp(doc, "//ceb:WayBillHead/ceb:copNo", "WB2024030100001");
    assert_no_xp(doc, "//ceb:WayBillHead/ceb:preNo");
    assert_xp(doc, "//ceb:WayBillHead/ceb:agentCode", "44306650K2");
    assert_xp(doc, "//ceb:WayBillHead/ceb:trafMode", "5");
    assert_xp(doc, "//ceb:WayBillHead/ceb:billNo", "999-12345678");
    assert_xp(doc, "//ceb:WayBillHead/ceb:grossWeight", "2.5");
    assert_xp(doc, "//ceb:WayBillHead/ceb:msgCount", "1");
    assert_xp(doc, "//ceb:WayBillHead/ceb:msgSeqNo", "1");
    assert_xp(doc, "//ceb:WayBillList[2]/ceb:gnum", "2");
    assert_xp(doc, "//ceb:WayBillList[1]/ceb:invtNo", "29912024E000000001");
    assert_xp(doc, "//ceb:WayBillList[2]/ceb:totalPackageNo", "PK-2");
    xmlFreeDoc(doc);

    w.bill_no = NULL;
    assert_int_equal(cg_build_waybill_doc(MG, &w, 1, &seller, &bt, "202205", &doc, &err),
                     CG_EINVAL);
    assert_string_equal(err.msg,
                        "copNo WB2024030100001: element billNo: required value is missing");
    w.bill_no = "999-12345678-999-12345678-999-12345678";
    assert_int_equal(cg_build_waybill_doc(MG, &w, 1, &seller, &bt, "202205", &doc, &err), CG_OK);
    assert_int_equal(cg_msg_validate(s2205, doc, &err), CG_ESCHEMA);
    assert_string_equal(err.msg,
                        "copNo WB2024030100001: element "
                        "/CEB607Message/WayBill/WayBillHead/billNo: [facet 'maxLength'] The "
                        "value has a length of '38'; this exceeds the allowed maximum length of "
                        "'37'.");
    xmlFreeDoc(doc);
    w.bill_no = "999-12345678";
    w.nitems = 0;
    assert_int_equal(cg_build_waybill_doc(MG, &w, 1, &seller, &bt, "202205", &doc, &err),
                     CG_EINVAL);
    assert_contains(err.msg, "WayBillList");
}

static void test_ceb509(void **state)
{
    struct cg_departure_item items[] = {{.logistics_no = "YT1234567890123"},
                                        {.logistics_no = "YT1234567890124", .note = "2 of 2"}};
    struct cg_departure d = {
        .guid = G1,
        .app_type = CG_APP_MODIFY,
        .cop_no = "DP2024030100001",
        .pre_no = "D20240301000000001",
        .logistics_code = "3105961682",
        .logistics_name = "示例国际物流有限公司",
        .traf_mode = "4",
        .bill_no = "BL-1",
        .leave_time = 1709224205,
        .msg_count = 2,
        .msg_seq_no = 2,
        .items = items,
        .nitems = 2,
    };
    struct cg_err err;
    xmlDocPtr doc = NULL;

    assert_int_equal(cg_build_departure_doc(MG, &d, 1, &seller, &bt, "202205", &doc, &err), CG_OK);
    valid_both(doc, true);
    assert_xp(doc, "//ceb:DepartureHead/ceb:appType", "2");
    assert_xp(doc, "//ceb:DepartureHead/ceb:preNo", "D20240301000000001");
    assert_xp(doc, "//ceb:DepartureHead/ceb:trafMode", "4");
    assert_xp(doc, "//ceb:DepartureHead/ceb:leaveTime", "20240301003005");
    assert_xp(doc, "//ceb:DepartureHead/ceb:msgCount", "2");
    assert_xp(doc, "//ceb:DepartureHead/ceb:msgSeqNo", "2");
    assert_no_xp(doc, "//ceb:DepartureHead/ceb:voyageNo");
    assert_xp(doc, "//ceb:DepartureList[2]/ceb:logisticsNo", "YT1234567890124");
    assert_xp(doc, "//ceb:DepartureList[2]/ceb:note", "2 of 2");
    xmlFreeDoc(doc);

    d.leave_time = 0;
    assert_int_equal(cg_build_departure_doc(MG, &d, 1, &seller, &bt, "202205", &doc, &err),
                     CG_EINVAL);
    assert_string_equal(err.msg,
                        "copNo DP2024030100001: element leaveTime: required value is missing");
    d.leave_time = 1709224205;
    d.msg_seq_no = 3;
    assert_int_equal(cg_build_departure_doc(MG, &d, 1, &seller, &bt, "202205", &doc, &err),
                     CG_EINVAL);
    assert_contains(err.msg, "element msgSeqNo");
    d.msg_seq_no = 1;
    d.cop_no = "DP-0123456789-0123456789-0123456789";
    assert_int_equal(cg_build_departure_doc(MG, &d, 1, &seller, &bt, "202205", &doc, &err), CG_OK);
    assert_int_equal(cg_msg_validate(s2205, doc, &err), CG_ESCHEMA);
    assert_string_equal(err.msg,
                        "copNo DP-0123456789-0123456789-0123456789: element "
                        "/CEB509Message/Departure/DepartureHead/copNo: [facet 'maxLength'] The "
                        "value has a length of '35'; this exceeds the allowed maximum length of "
                        "'30'.");
    xmlFreeDoc(doc);
}

static void test_ceb701(void **state)
{
    const char *invts[] = {"29912024E000000001", "29912024E000000002"};
    struct cg_summary s = {
        .guid = G1,
        .app_type = CG_APP_ADD,
        .cop_no = "SUM2024030100001",
        .pre_no = "X",
        .item_name_flag = NULL,
        .invt_nos = invts,
        .ninvt = 2,
    };
    struct cg_err err;
    xmlDocPtr doc = NULL;

    assert_int_equal(cg_build_summary_doc(MG, &s, 1, &seller, &bt, "202205", &doc, &err), CG_OK);
    valid_both(doc, true);
    assert_xp(doc, "//ceb:SummaryApplyHead/ceb:copNo", "SUM2024030100001");
    assert_no_xp(doc, "//ceb:SummaryApplyHead/ceb:preNo");
    assert_xp(doc, "//ceb:SummaryApplyHead/ceb:declAgentCode", "44306650K2");
    assert_xp(doc, "//ceb:SummaryApplyHead/ceb:summaryFlag", "1");
    assert_xp(doc, "//ceb:SummaryApplyHead/ceb:itemNameFlag", "1");
    assert_no_xp(doc, "//ceb:SummaryApplyHead/ceb:startTime");
    assert_xp(doc, "count(//ceb:SummaryApplyList)", "2");
    assert_xp(doc, "//ceb:SummaryApplyList[2]/ceb:invtNo", "29912024E000000002");
    xmlFreeDoc(doc);

    /* A time range instead of a list: 202205 only. */
    s.ninvt = 0;
    s.start_time = 1709224205 - 86400;
    s.end_time = 1709224205;
    s.summary_flag = "2";
    s.item_name_flag = "0";
    assert_int_equal(cg_build_summary_doc(MG, &s, 1, &seller, &bt, "202205", &doc, &err), CG_OK);
    valid_both(doc, false);
    assert_xp(doc, "//ceb:SummaryApplyHead/ceb:startTime", "20240229003005");
    assert_xp(doc, "//ceb:SummaryApplyHead/ceb:endTime", "20240301003005");
    assert_xp(doc, "//ceb:SummaryApplyHead/ceb:summaryFlag", "2");
    assert_xp(doc, "//ceb:SummaryApplyHead/ceb:itemNameFlag", "0");
    xmlFreeDoc(doc);
    assert_int_equal(cg_build_summary_doc(MG, &s, 1, &seller, &bt, "2018", &doc, &err), CG_EINVAL);
    assert_contains(err.msg, "SummaryApplyList");

    s.end_time = 0;
    assert_int_equal(cg_build_summary_doc(MG, &s, 1, &seller, &bt, "202205", &doc, &err),
                     CG_EINVAL);
    assert_contains(err.msg, "copNo SUM2024030100001: element startTime");
    s.start_time = 0;
    s.ninvt = 2;
    invts[1] = "29912024E0000000020000"; /* 22 > 20 */
    assert_int_equal(cg_build_summary_doc(MG, &s, 1, &seller, &bt, "202205", &doc, &err), CG_OK);
    assert_int_equal(cg_msg_validate(s2205, doc, &err), CG_ESCHEMA);
    assert_string_equal(err.msg,
                        "copNo SUM2024030100001: element "
                        "/CEB701Message/SummaryApply/SummaryApplyList[2]/invtNo: [facet "
                        "'maxLength'] The value has a length of '22'; this exceeds the allowed "
                        "maximum length of '20'.");
    xmlFreeDoc(doc);
    s.summary_flag = "3";
    assert_int_equal(cg_build_summary_doc(MG, &s, 1, &seller, &bt, "202205", &doc, &err),
                     CG_EINVAL);
    assert_contains(err.msg, "element summaryFlag");
}

static void test_ceb605(void **state)
{
    struct cg_invt_cancel c = {
        .guid = G1,
        .app_type = CG_APP_ADD,
        .cop_no = "C2991202403010001",
        .pre_no = "B20240301000000001",
        .invt_no = "29912024E000000001",
        .reason = "买家取消订单",
    };
    struct cg_err err;
    xmlDocPtr doc = NULL;

    assert_int_equal(cg_build_cancel_doc(MG, &c, 1, &seller, &bt, "202205", &doc, &err), CG_OK);
    valid_both(doc, true);
    assert_xp(doc, "//ceb:InvtCancel/ceb:customsCode", "2991");
    assert_xp(doc, "//ceb:InvtCancel/ceb:preNo", "B20240301000000001");
    assert_xp(doc, "//ceb:InvtCancel/ceb:invtNo", "29912024E000000001");
    assert_xp(doc, "//ceb:InvtCancel/ceb:reason", "买家取消订单");
    assert_xp(doc, "//ceb:InvtCancel/ceb:ebcCode", "3301964J31");
    xmlFreeDoc(doc);

    c.invt_no = NULL;
    assert_int_equal(cg_build_cancel_doc(MG, &c, 1, &seller, &bt, "202205", &doc, &err), CG_EINVAL);
    assert_string_equal(err.msg,
                        "copNo C2991202403010001: element invtNo: required value is missing");
    c.invt_no = "29912024E000000001";
    c.pre_no = "B2024030100000000100"; /* preNo is exactly 18 */
    assert_int_equal(cg_build_cancel_doc(MG, &c, 1, &seller, &bt, "202205", &doc, &err), CG_OK);
    assert_int_equal(cg_msg_validate(s2205, doc, &err), CG_ESCHEMA);
    assert_string_equal(err.msg,
                        "copNo C2991202403010001: element /CEB605Message/InvtCancel/preNo: "
                        "[facet 'length'] The value has a length of '20'; this differs from the "
                        "allowed length of '18'.");
    xmlFreeDoc(doc);
}

static void test_ceb213(void **state)
{
    struct fixture f;
    struct cg_refund_item it = {.gcode = "6109100021",
                                .gname = "棉制针织T恤衫",
                                .gmodel = "无品牌|M码",
                                .unit = "011",
                                .unit1 = "011"};
    struct cg_invt_refund r = {
        .guid = G1,
        .app_type = CG_APP_ADD,
        .co_el_no = "RT2024030100001",
        .invt_no = "29912024E000000001",
        .bill_no = "999-12345678",
        .traf_name = "CA1234",
        .voyage_no = "CA1234",
        .reason = "客户退货",
    };
    struct cg_err err;
    xmlDocPtr doc = NULL;

    fixture_init(&f, "SO-2024-0005");
    r.order = &f.o;
    assert_int_equal(cg_build_refund_doc(MG, &r, 1, &seller, &bt, "202205", &doc, &err), CG_OK);
    valid_both(doc, false);
    assert_xp(doc, "//ceb:InvtRefundHead/ceb:logisticsNo", "YT1234567890123");
    assert_xp(doc, "//ceb:InvtRefundHead/ceb:coElNo", "RT2024030100001");
    assert_xp(doc, "//ceb:InvtRefundHead/ceb:invtNo", "29912024E000000001");
    assert_xp(doc, "//ceb:InvtRefundHead/ceb:ieFlag", "I");
    /* Table 2-59: the return of a general export is 9661, never the export's 9610. */
    assert_xp(doc, "//ceb:InvtRefundHead/ceb:tradeMode", "9661");
    assert_xp(doc, "//ceb:InvtRefundHead/ceb:country", "502");
    assert_xp(doc, "//ceb:InvtRefundHead/ceb:portCode", "2992");
    assert_xp(doc, "count(//ceb:InvtRefundList)", "2");
    assert_xp(doc, "//ceb:InvtRefundList[1]/ceb:unit2", "035");
    assert_xp(doc, "//ceb:InvtRefundList[2]/ceb:qty1", "0.7");
    xmlFreeDoc(doc);

    /* A special-area export (1210) comes back as 1261; an explicit mode wins. */
    memcpy(trade_mode, "1210", 5);
    assert_int_equal(cg_build_refund_doc(MG, &r, 1, &seller, &bt, "202205", &doc, &err), CG_OK);
    assert_xp(doc, "//ceb:InvtRefundHead/ceb:tradeMode", "1261");
    xmlFreeDoc(doc);
    memcpy(trade_mode, "9610", 5);
    r.trade_mode = "9661";
    assert_int_equal(cg_build_refund_doc(MG, &r, 1, &seller, &bt, "202205", &doc, &err), CG_OK);
    assert_xp(doc, "//ceb:InvtRefundHead/ceb:tradeMode", "9661");
    xmlFreeDoc(doc);
    r.trade_mode = NULL;

    /* Explicit items win over the order's lines. */
    it.qty = D("1");
    it.qty1 = D("1");
    r.items = &it;
    r.nitems = 1;
    assert_int_equal(cg_build_refund_doc(MG, &r, 1, &seller, &bt, NULL, &doc, &err), CG_OK);
    valid_both(doc, false);
    assert_xp(doc, "count(//ceb:InvtRefundList)", "1");
    assert_xp(doc, "//ceb:InvtRefundList/ceb:gnum", "1");
    xmlFreeDoc(doc);

    assert_int_equal(cg_build_refund_doc(MG, &r, 1, &seller, &bt, "2018", &doc, &err),
                     CG_EUNSUPPORTED);
    r.reason = NULL;
    assert_int_equal(cg_build_refund_doc(MG, &r, 1, &seller, &bt, NULL, &doc, &err), CG_EINVAL);
    assert_string_equal(err.msg,
                        "coElNo RT2024030100001: element reason: required value is missing");
    r.reason = "客户退货";
    r.voyage_no = "CA-0123456789-0123456789-0123456789";
    assert_int_equal(cg_build_refund_doc(MG, &r, 1, &seller, &bt, NULL, &doc, &err), CG_OK);
    assert_int_equal(cg_msg_validate(s2205, doc, &err), CG_ESCHEMA);
    assert_string_equal(err.msg,
                        "coElNo RT2024030100001: element "
                        "/CEB213Message/InvtRefund/InvtRefundHead/voyageNo: [facet 'maxLength'] "
                        "The value has a length of '35'; this exceeds the allowed maximum length "
                        "of '32'.");
    xmlFreeDoc(doc);
}

/* ------------------------------------------------------------------ receipts */

struct want {
    const char *file;
    int type;
    size_t n;
    const char *guid, *key_field, *key, *status, *time;
};

static const char *field(const struct cg_receipt_event *e, const char *name)
{
    if (strcmp(name, "order_no") == 0)
        return e->order_no;
    if (strcmp(name, "logistics_no") == 0)
        return e->logistics_no;
    if (strcmp(name, "cop_no") == 0)
        return e->cop_no;
    if (strcmp(name, "pre_no") == 0)
        return e->pre_no;
    if (strcmp(name, "invt_no") == 0)
        return e->invt_no;
    if (strcmp(name, "sum_no") == 0)
        return e->sum_no;
    if (strcmp(name, "bill_no") == 0)
        return e->bill_no;
    fail_msg("no field %s", name);
    return NULL;
}

static void test_receipts_samples(void **state)
{
    static const struct want w[] = {
        {"2018/CEB304Message.xml", 304, 10, "311af125-6fed-4603-8c5d-49b1fa4b4b9b", "order_no",
         "order2018050711340001", "2", "20180507153001001"},
        {"2018/CEB404Message.xml", 404, 10, "4CDE1CFD-EDED-46B1-946C-B8022E42FC94", "order_no",
         "order2018050711340001", "2", "20180507153001001"},
        {"2018/CEB506Message.xml", 506, 10, "4CDE1CFD-EDED-46B1-946C-B8022E42FC94", "logistics_no",
         "L2018050700001", "2", "20180507153001001"},
        {"2018/CEB508Message.xml", 508, 10, "4CDE1CFD-EDED-46B1-946C-B8022E42FC94", "bill_no",
         "B00024204001", "2", "20180507153001001"},
        {"2018/CEB510Message.xml", 510, 10, "4CDE1CFD-EDED-46B1-946C-B8022E42FC94", "pre_no",
         "P20180507000000001", "2", "20180507153001001"},
        {"2018/CEB604Message.xml", 604, 10, "4CDE1CFD-EDED-46B1-946C-B8022E42FC94", "invt_no",
         "Invt20180507000001", "2", "20180507153001001"},
        {"2018/CEB606Message.xml", 606, 10, "4CDE1CFD-EDED-46B1-946C-B8022E42FC94", "cop_no",
         "Cop20180507001", "2", "20180507153001001"},
        {"2018/CEB608Message.xml", 608, 10, "4CDE1CFD-EDED-46B1-946C-B8022E42FC94", "bill_no",
         "B20180508001", "2", "20180507153001001"},
        {"2018/CEB702Message.xml", 702, 10, "123ent97-2b80-4568-aecf-cb6c90530012", "sum_no",
         "S20180507000000001", "2", "20180508101112012"},
        {"2018/CEB792Message.xml", 792, 10, "123ent97-2b80-4568-aecf-cb6c90530012", "sum_no",
         "S20180507000000001", "A", "20180508101112012"},
        {"202205/CEB214Message.xml", 214, 10, "40b39874-45bd-47ea-ae8e-a67425305a47", "cop_no",
         "Cop20220407001", "2", "20200102102522001"},
        {"202205/CEB216Message.xml", 216, 10, "cc087c38-6f19-4b9f-a6c2-5a82a0df5b20",
         "logistics_no", "L2018050700003", "2", "20200401110209412"},
    };
    char rel[128];
    size_t i;

    for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
        struct cg_receipt_event *ev = NULL;
        struct cg_err err;
        size_t n = 0;
        xmlDocPtr d;

        snprintf(rel, sizeof(rel), "declare/samples/%s", w[i].file);
        d = load_doc(rel);
        if (cg_receipt_parse(d, &ev, &n, &err) != CG_OK)
            fail_msg("%s: %s", rel, err.msg);
        assert_int_equal(n, w[i].n);
        assert_int_equal(ev[0].msg_type, w[i].type);
        assert_string_equal(ev[0].msg_guid, "311af125-6fed-4603-8c5d-49b1fa4b4b9b");
        assert_string_equal(ev[0].guid, w[i].guid);
        assert_non_null(field(&ev[0], w[i].key_field));
        assert_string_equal(field(&ev[0], w[i].key_field), w[i].key);
        assert_string_equal(ev[0].return_status, w[i].status);
        assert_string_equal(ev[0].return_time, w[i].time);
        assert_int_equal(ev[n - 1].msg_type, w[i].type);
        if (w[i].type != 792) {
            assert_int_equal(ev[0].status, 2);
            assert_non_null(ev[0].return_info);
        }
        cg_receipt_events_free(ev, n);
        xmlFreeDoc(d);
    }
}

static void test_receipt_fields(void **state)
{
    struct cg_receipt_event *ev = NULL;
    struct cg_err err;
    size_t n = 0;
    xmlDocPtr d = load_doc("declare/samples/2018/CEB604Message.xml");

    assert_int_equal(cg_receipt_parse(d, &ev, &n, &err), CG_OK);
    assert_string_equal(ev[0].agent_code, "1105910159");
    assert_string_equal(ev[0].cop_no, "Cop20180507001");
    assert_string_equal(ev[0].pre_no, "P20180507000000001");
    assert_string_equal(ev[0].ebc_code, "1105910159");
    assert_string_equal(ev[0].order_no, "1105910159");
    assert_string_equal(ev[0].return_info, "新增申报成功[4CDE1CFD-EDED-46B1-946C-B8022E42FC94]");
    assert_null(ev[0].sum_no);
    assert_null(ev[0].entry_id);
    cg_receipt_events_free(ev, n);
    xmlFreeDoc(d);

    /* CEB900 (default namespace): the rejected message is named. */
    d = load_doc("declare/receipts/CEB900Message.xml");
    assert_int_equal(cg_receipt_parse(d, &ev, &n, &err), CG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].msg_type, 900);
    assert_int_equal(ev[0].status, -1);
    assert_string_equal(ev[0].guid, "4CDE1CFD-EDED-46B1-946C-B8022E42FC94");
    assert_string_equal(ev[0].ori_cop_msg_id, "7D1A8C9E-2B44-4F0B-8E61-5C3F9A0B1D22");
    assert_string_equal(ev[0].ori_msg_type, "CEB603Message");
    assert_contains(ev[0].return_info, "logisticsNo");
    /* its oriBizMessage is not well-formed XML (an unbound prefix): no original guid */
    assert_null(ev[0].ori_biz_guid);
    cg_receipt_events_free(ev, n);
    xmlFreeDoc(d);
    cg_receipt_events_free(NULL, 0);

    /* CEB792 in the 202205 shape (list items numbered by gseqno), schema-valid. */
    d = load_doc("declare/receipts/CEB792Message-202205.xml");
    if (cg_schema_validate(s2205, d, &err) != CG_OK)
        fail_msg("CEB792 202205: %s", err.msg);
    assert_int_equal(cg_receipt_parse(d, &ev, &n, &err), CG_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ev[1].msg_type, 792);
    assert_string_equal(ev[1].guid, "6A3C2B1D-0E4F-4A5B-9C8D-7E6F5A4B3C2D");
    assert_string_equal(ev[1].sum_no, "S29912024000000002");
    assert_string_equal(ev[1].entry_id, "299120241000000002");
    assert_string_equal(ev[1].return_status, "1");
    assert_int_equal(ev[1].status, 1);
    assert_string_equal(ev[1].return_time, "20240302090000000");
    assert_null(ev[1].invt_no); /* the list is not an event */
    /* but the event's lines: the inventory linked to the declaration number */
    assert_string_equal(ev[1].decl_seq_no, "D29912024000000002");
    assert_int_equal(ev[1].nlines, 1);
    assert_string_equal(ev[1].lines[0].invt_no, "29912024E000000002");
    assert_string_equal(ev[1].lines[0].logistics_no, "YT1234567890122");
    assert_int_equal(ev[1].lines[0].gnum, 1);
    assert_string_equal(ev[1].lines[0].gcode, "6109100021");
    cg_receipt_events_free(ev, n);
    xmlFreeDoc(d);
}

static int parse_str(const char *xml, struct cg_receipt_event **ev, size_t *n, struct cg_err *err)
{
    xmlDocPtr d = NULL;
    int rc;

    assert_int_equal(cg_xml_parse(xml, strlen(xml), "receipt", &d, err), CG_OK);
    rc = cg_receipt_parse(d, ev, n, err);
    xmlFreeDoc(d);
    return rc;
}

#define NS "xmlns='http://www.chinaport.gov.cn/ceb'"
#define GUID "guid='311AF125-6FED-4603-8C5D-49B1FA4B4B9B'"

static void test_receipt_errors(void **state)
{
    struct cg_receipt_event *ev = NULL;
    struct cg_err err;
    size_t n = 0;
    xmlDocPtr d;

    /* A request is not a receipt. */
    d = load_doc("declare/samples/2018/CEB603Message.xml");
    assert_int_equal(cg_receipt_parse(d, &ev, &n, &err), CG_EUNSUPPORTED);
    assert_contains(err.msg, "CEB603Message is not a receipt");
    xmlFreeDoc(d);
    assert_int_equal(parse_str("<CEB304Message xmlns='urn:x' " GUID "/>", &ev, &n, &err),
                     CG_EPARSE);
    assert_contains(err.msg, "not in the CEB namespace");
    assert_int_equal(parse_str("<CEB304Message " NS " " GUID "/>", &ev, &n, &err), CG_EPARSE);
    assert_contains(err.msg, "no OrderReturn");
    assert_int_equal(
        parse_str("<CEB304Message " NS "><OrderReturn/></CEB304Message>", &ev, &n, &err),
        CG_EPARSE);
    assert_contains(err.msg, "no guid");
    assert_int_equal(parse_str("<CEB304Message " NS " " GUID "><OrderReturn><guid>g</guid>"
                               "<orderNo>1</orderNo></OrderReturn></CEB304Message>",
                               &ev, &n, &err),
                     CG_EPARSE);
    assert_contains(err.msg, "has no returnStatus");
    assert_int_equal(parse_str("<CEB304Message " NS " " GUID "><OrderReturn><guid>g</guid>"
                               "<returnStatus>2x</returnStatus></OrderReturn></CEB304Message>",
                               &ev, &n, &err),
                     CG_EPARSE);
    assert_contains(err.msg, "'2x' is not a number");
    assert_int_equal(parse_str("<CEB304Message " NS " " GUID "><LogisticsReturn/>"
                               "</CEB304Message>",
                               &ev, &n, &err),
                     CG_EPARSE);
    assert_contains(err.msg, "unexpected element LogisticsReturn");
    assert_null(ev);
    /* A negative status (an error code) and a prefix other than ceb are fine. */
    assert_int_equal(parse_str("<x:CEB506Message xmlns:x='http://www.chinaport.gov.cn/ceb' " GUID
                               "><x:LogisticsReturn><x:guid> g1 </x:guid>"
                               "<x:returnStatus>-504012</x:returnStatus>"
                               "<x:returnInfo>运单已存在</x:returnInfo></x:LogisticsReturn>"
                               "</x:CEB506Message>",
                               &ev, &n, &err),
                     CG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].status, -504012);
    assert_string_equal(ev[0].guid, "g1");
    assert_null(ev[0].return_time);
    cg_receipt_events_free(ev, n);
}

/* ------------------------------------------------------------------ safe parsing */

static void test_xml_hostile(void **state)
{
    static const char *const bad[] = {
        /* XXE: a local file */
        "<?xml version='1.0'?><!DOCTYPE r [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><r>&x;</r>",
        /* billion laughs */
        "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
        "<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
        "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>"
        "<!ENTITY lol4 '&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;'>"
        "<!ENTITY lol5 '&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;'>"
        "<!ENTITY lol6 '&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;'>"
        "<!ENTITY lol7 '&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;'>"
        "<!ENTITY lol8 '&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;'>"
        "<!ENTITY lol9 '&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;'>]>"
        "<lolz>&lol9;</lolz>",
        /* parameter entity from outside */
        "<?xml version='1.0'?><!DOCTYPE r [<!ENTITY % p SYSTEM 'file:///etc/passwd'>%p;]><r/>",
        /* external DTD */
        "<?xml version='1.0'?><!DOCTYPE r SYSTEM 'file:///etc/passwd'><r/>",
        /* an empty internal subset is refused too */
        "<!DOCTYPE r []><r/>",
        /* not well-formed */
        "<r><a></r>",
        "",
    };
    struct cg_err err;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        xmlDocPtr d = NULL;
        int rc = cg_xml_parse(bad[i], strlen(bad[i]), "hostile.xml", &d, &err);

        if (rc != CG_EPARSE)
            fail_msg("case %zu: rc %d", i, rc);
        assert_null(d);
        assert_contains(err.msg, "hostile.xml");
        assert_true(strstr(err.msg, "root:") == NULL); /* nothing of /etc/passwd leaked */
    }
    {
        xmlDocPtr d = NULL;
        struct cg_buf deep;
        assert_int_equal(cg_xml_parse("<r>&amp;</r>", 12, NULL, &d, &err), CG_OK);
        xmlFreeDoc(d);
        d = NULL;
        /* 20000 nested elements: refused by the parser's depth limit, not a stack overflow. */
        cg_buf_init(&deep, 1u << 20);
        for (i = 0; i < 20000; i++)
            assert_int_equal(cg_buf_adds(&deep, "<a>"), CG_OK);
        assert_int_equal(cg_xml_parse(deep.data, deep.len, "deep.xml", &d, &err), CG_EPARSE);
        assert_null(d);
        assert_contains(err.msg, "deep.xml");
        cg_buf_free(&deep);
    }
}

/* XXE over the network: no connection is ever made. */
static void test_xml_no_network(void **state)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    char xml[512];
    struct cg_err err;
    xmlDocPtr d = NULL;
    int lfd;

    lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(lfd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(lfd, 4), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
    assert_int_equal(fcntl(lfd, F_SETFL, O_NONBLOCK), 0);
    snprintf(xml, sizeof(xml),
             "<?xml version='1.0'?><!DOCTYPE r [<!ENTITY x SYSTEM 'http://127.0.0.1:%d/x'>]>"
             "<r>&x;</r>",
             ntohs(a.sin_port));
    assert_int_equal(cg_xml_parse(xml, strlen(xml), "xxe.xml", &d, &err), CG_EPARSE);
    snprintf(xml, sizeof(xml),
             "<r xmlns:xi='http://www.w3.org/2001/XInclude'><xi:include "
             "href='http://127.0.0.1:%d/x'/></r>",
             ntohs(a.sin_port));
    /* XInclude is not processed: the document parses, the include stays an element. */
    assert_int_equal(cg_xml_parse(xml, strlen(xml), "xi.xml", &d, &err), CG_OK);
    assert_string_equal((const char *)xmlDocGetRootElement(d)->children->name, "include");
    xmlFreeDoc(d);
    assert_int_equal(accept(lfd, NULL, NULL), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    close(lfd);
}

/* ------------------------------------------------------------------ DXP */

static void test_dxp(void **state)
{
    struct fixture f;
    struct cg_err err;
    xmlDocPtr doc, env = NULL, inner = NULL;
    char *xml = NULL, *wrapped = NULL, *back = NULL, *ct;
    size_t len = 0, wlen = 0, blen = 0;

    fixture_init(&f, "SO-2024-0006");
    doc = build1(603, &f, CG_APP_ADD, NULL, NULL, "202205", CG_OK, &err);
    assert_int_equal(cg_xml_serialize(doc, &xml, &len, &err), CG_OK);
    assert_int_equal(cg_dxp_wrap(xml, len, "CEB603Message", "DXPENT0000019448", "DXPEDCCEB0000003",
                                 G2, &wrapped, &wlen, &err),
                     CG_OK);
    assert_int_equal(cg_xml_parse(wrapped, wlen, "dxp", &env, &err), CG_OK);
    if (cg_schema_validate(sdxp, env, &err) != CG_OK)
        fail_msg("DxpMsg: %s", err.msg);
    assert_xp(env, "/dxp:DxpMsg/@ver", "1.0");
    assert_xp(env, "/dxp:DxpMsg/dxp:TransInfo/dxp:CopMsgId", G2);
    assert_xp(env, "/dxp:DxpMsg/dxp:TransInfo/dxp:SenderId", "DXPENT0000019448");
    assert_xp(env, "/dxp:DxpMsg/dxp:TransInfo/dxp:ReceiverIds/dxp:ReceiverId", "DXPEDCCEB0000003");
    assert_xp(env, "/dxp:DxpMsg/dxp:TransInfo/dxp:MsgType", "CEB603Message");
    ct = xp(env, "/dxp:DxpMsg/dxp:TransInfo/dxp:CreatTime");
    assert_non_null(ct);
    assert_int_equal(strlen(ct), 19);
    assert_int_equal(ct[10], 'T');
    free(ct);
    assert_int_equal(cg_dxp_unwrap(env, &back, &blen, &err), CG_OK);
    assert_int_equal(blen, len);
    assert_memory_equal(back, xml, len);
    assert_int_equal(cg_xml_parse(back, blen, "inner", &inner, &err), CG_OK);
    assert_int_equal(cg_msg_type_of(inner), 603);
    xmlFreeDoc(inner);
    free(back);
    xmlFreeDoc(env);
    free(wrapped);

    /* Not an envelope; a bad Data; base64 wrapped at 76 columns decodes. */
    assert_int_equal(cg_dxp_unwrap(doc, &back, &blen, &err), CG_ENOTFOUND);
    {
        const char *bad = "<dxp:DxpMsg xmlns:dxp='http://www.chinaport.gov.cn/dxp' ver='1.0'>"
                          "<dxp:Data>@@@</dxp:Data></dxp:DxpMsg>";
        const char *nodata = "<dxp:DxpMsg xmlns:dxp='http://www.chinaport.gov.cn/dxp'/>";
        const char *wrap76 = "<dxp:DxpMsg xmlns:dxp='http://www.chinaport.gov.cn/dxp' ver='1.0'>"
                             "<dxp:Data>PHI+\n  aGk8L3I+\n</dxp:Data></dxp:DxpMsg>";
        assert_int_equal(cg_xml_parse(bad, strlen(bad), "bad", &env, &err), CG_OK);
        assert_int_equal(cg_dxp_unwrap(env, &back, &blen, &err), CG_EPARSE);
        xmlFreeDoc(env);
        assert_int_equal(cg_xml_parse(nodata, strlen(nodata), "nodata", &env, &err), CG_OK);
        assert_int_equal(cg_dxp_unwrap(env, &back, &blen, &err), CG_EPARSE);
        xmlFreeDoc(env);
        assert_int_equal(cg_xml_parse(wrap76, strlen(wrap76), "w", &env, &err), CG_OK);
        assert_int_equal(cg_dxp_unwrap(env, &back, &blen, &err), CG_OK);
        assert_int_equal(blen, 9);
        assert_string_equal(back, "<r>hi</r>");
        free(back);
        xmlFreeDoc(env);
    }
    assert_int_equal(
        cg_dxp_wrap(xml, len, "CEB603Message", "DXPENT00000194481", "R", G2, &wrapped, &wlen, &err),
        CG_ERANGE);
    assert_contains(err.msg, "SenderId");
    /* maxLength counts characters: 16 Chinese ones (48 bytes) fit, 17 do not */
    {
        const char *c16 = "中中中中中中中中中中中中中中中中";
        char c17[64];

        xmlDocPtr e16 = NULL;

        assert_int_equal(
            cg_dxp_wrap(xml, len, "CEB603Message", c16, "R", G2, &wrapped, &wlen, &err), CG_OK);
        assert_int_equal(cg_xml_parse(wrapped, wlen, "dxp16", &e16, &err), CG_OK);
        if (cg_schema_validate(sdxp, e16, &err) != CG_OK)
            fail_msg("DxpMsg with 16 Chinese characters of SenderId: %s", err.msg);
        xmlFreeDoc(e16);
        free(wrapped);
        wrapped = NULL;
        snprintf(c17, sizeof(c17), "%s中", c16);
        assert_int_equal(
            cg_dxp_wrap(xml, len, "CEB603Message", c17, "R", G2, &wrapped, &wlen, &err), CG_ERANGE);
        assert_contains(err.msg, "SenderId");
    }
    assert_int_equal(cg_dxp_wrap(xml, len, "CEB603Message", "S", NULL, G2, &wrapped, &wlen, &err),
                     CG_EINVAL);
    assert_contains(err.msg, "ReceiverId");
    free(xml);
    xmlFreeDoc(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guid),
        cmocka_unit_test(test_guid_fork),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_msg_type_of),
        cmocka_unit_test(test_schema_load_errors),
        cmocka_unit_test(test_schema_no_network),
        cmocka_unit_test(test_samples_2018_validate),
        cmocka_unit_test(test_samples_202205),
        cmocka_unit_test(test_schema_threads),
        cmocka_unit_test(test_ceb303),
        cmocka_unit_test(test_ceb403),
        cmocka_unit_test(test_ceb505),
        cmocka_unit_test(test_ceb603),
        cmocka_unit_test(test_trade_modes),
        cmocka_unit_test(test_order_batch),
        cmocka_unit_test(test_schema_path),
        cmocka_unit_test(test_schema_path_deep),
        cmocka_unit_test(test_orders_pass),
        cmocka_unit_test(test_ceb607),
        cmocka_unit_test(test_ceb509),
        cmocka_unit_test(test_ceb701),
        cmocka_unit_test(test_ceb605),
        cmocka_unit_test(test_ceb213),
        cmocka_unit_test(test_receipts_samples),
        cmocka_unit_test(test_receipt_fields),
        cmocka_unit_test(test_receipt_errors),
        cmocka_unit_test(test_xml_hostile),
        cmocka_unit_test(test_xml_no_network),
        cmocka_unit_test(test_dxp),
        cmocka_unit_test(test_config_missing),
        cmocka_unit_test(test_base_transfer_limits),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
