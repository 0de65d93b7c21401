/*
 * test-port.c - the receiving side without sockets: number formats, the scenario engine,
 * receipts (each one validated against the official export XSD, CEB900 against the import
 * XSD), the business rules (totals, the shipped customs code tables), and cg_port_submit() end to
 * end on a real database: acceptance, idempotent retry, guid reuse, duplicate business key, schema
 * and format errors, size limit, receipts published on schedule (twice with the fault switch),
 * receipts folder, the writer's wait of a tick after a failed publish (counted, not timed).
 * Signature checks need signed messages and run in tests/e2e/port-reject.sh.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <iconv.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/errors.h>

#include "core/conf.h"
#include "core/fsutil.h"
#include "core/init.h"
#include "core/log.h"
#include "declare/declare.h"
#include "mapping/mapping.h"
#include "port/port-int.h"
#include "port/port.h"

static const char *datadir(void)
{
    const char *d = getenv("CEBGATE_DATADIR");

    return d != NULL ? d : "data";
}

static char *testdata(const char *name)
{
    const char *d = getenv("CG_TESTDATA");
    char dir[512];

    snprintf(dir, sizeof(dir), "%s/port", d != NULL ? d : "tests/data");
    return cg_fs_join(dir, name);
}

static char *slurp(const char *name, size_t *len)
{
    struct cg_buf b;
    struct cg_err err;
    char *path = testdata(name);

    cg_buf_init(&b, 1u << 24);
    assert_int_equal(cg_fs_read(path, 1u << 24, &b, &err), CG_OK);
    free(path);
    *len = b.len;
    return cg_buf_take(&b);
}

/* Entities of a test message, with the numbers the port would add. */
static json_t *entities_of(const char *name, const struct cg_port_kind **kind)
{
    struct cg_err err;
    xmlDocPtr doc = NULL;
    json_t *ents = NULL;
    size_t len;
    char *xml = slurp(name, &len);

    assert_int_equal(cg_xml_parse(xml, len, name, &doc, &err), CG_OK);
    *kind = cg_port_kind_find(cg_msg_type_of(doc));
    assert_non_null(*kind);
    assert_int_equal(cg_port_entities(doc, *kind, &ents, &err), CG_OK);
    xmlFreeDoc(doc);
    free(xml);
    return ents;
}

/* ------------------------------------------------------------------ numbers */

static void test_numbers(void **state)
{
    char out[19];
    char t[18];
    char d[9];

    (void)state;
    assert_int_equal(cg_port_pre_no("20260301", 1, out), CG_OK);
    assert_string_equal(out, "B20260301000000001");
    assert_int_equal(strlen(out), 18);
    assert_int_equal(cg_port_pre_no("20260301", 999999999L, out), CG_OK);
    assert_string_equal(out, "B20260301999999999");
    assert_int_equal(cg_port_pre_no("20260301", 1000000000L, out), CG_ERANGE);
    assert_int_equal(cg_port_pre_no("2026031", 1, out), CG_ERANGE);
    assert_int_equal(cg_port_pre_no("20260301", 0, out), CG_ERANGE);
    assert_int_equal(cg_port_invt_no("5141", "2026", 42, out), CG_OK);
    assert_string_equal(out, "51412026E000000042");
    assert_int_equal(cg_port_invt_no("514", "2026", 1, out), CG_ERANGE);
    assert_int_equal(cg_port_invt_no("51A1", "2026", 1, out), CG_ERANGE);
    assert_int_equal(cg_port_seq_no('S', "20260301", 7, out), CG_OK);
    assert_string_equal(out, "S20260301000000007");
    /* 2026-03-01 16:30:00.123 UTC is 2026-03-02 00:30:00.123 in China. */
    cg_port_time17(INT64_C(1772382600123), t);
    assert_string_equal(t, "20260302003000123");
    cg_port_day8(INT64_C(1772382600123), d);
    assert_string_equal(d, "20260302");
    cg_port_day8(INT64_C(1772323200000), d); /* 2026-03-01 00:00 UTC = 08:00 China */
    assert_string_equal(d, "20260301");
    /* 253402300800 s is 10000-01-01 00:00 UTC: a five-digit year does not fit. */
    cg_port_time17(INT64_C(253402300800000), t);
    assert_string_equal(t, "");
    cg_port_day8(INT64_C(253402300800000), d);
    assert_string_equal(d, "");
}

/* ------------------------------------------------------------------ scenario */

static void test_scenario_default(void **state)
{
    struct cg_port_scenario sc = {100, 200, 300, 100, NULL, 0};
    struct cg_port_step st[CG_PORT_MAX_STEPS];
    const struct cg_port_kind *k;
    json_t *ents = entities_of("CEB603Message.xml", &k);
    json_t *ent = json_array_get(ents, 0);
    size_t n;

    (void)state;
    n = cg_port_scenario_plan(&sc, k, ent, st);
    assert_int_equal(n, 4);
    assert_int_equal(st[0].status, 2);
    assert_int_equal(st[0].after_ms, 0);
    assert_int_equal(st[0].receipt_type, 604);
    assert_non_null(strstr(st[0].info, "A1B2C3D4-0603-4000-8000-0000000000A1"));
    assert_int_equal(st[1].status, 120);
    assert_int_equal(st[1].after_ms, 100);
    assert_int_equal(st[2].status, 800);
    assert_int_equal(st[2].after_ms, 200);
    assert_int_equal(st[3].status, 899);
    assert_int_equal(st[3].after_ms, 300);
    json_decref(ents);

    ents = entities_of("CEB303Message.xml", &k);
    n = cg_port_scenario_plan(&sc, k, json_array_get(ents, 0), st);
    assert_int_equal(n, 2);
    assert_int_equal(st[0].receipt_type, 304);
    assert_int_equal(st[1].status, 120);
    json_decref(ents);

    k = cg_port_kind_find(701);
    ent = json_pack("{s:s, s:s, s:[]}", "guid", "G", "appType", "1", "items");
    n = cg_port_scenario_plan(&sc, k, ent, st);
    assert_int_equal(n, 3);
    assert_int_equal(st[1].status, 120);
    assert_int_equal(st[2].receipt_type, 792);
    assert_int_equal(st[2].after_ms, 200);
    json_decref(ent);

    /* A cancellation ends with 399, a return with 800, both after release_ms. */
    ent = json_pack("{s:s, s:s}", "guid", "G", "appType", "1");
    n = cg_port_scenario_plan(&sc, cg_port_kind_find(605), ent, st);
    assert_int_equal(n, 3);
    assert_int_equal(st[2].receipt_type, 606);
    assert_int_equal(st[2].status, 399);
    assert_int_equal(st[2].after_ms, 200);
    n = cg_port_scenario_plan(&sc, cg_port_kind_find(213), ent, st);
    assert_int_equal(n, 3);
    assert_int_equal(st[2].receipt_type, 214);
    assert_int_equal(st[2].status, 800);
    json_decref(ent);

    /* close_after_departure: an inventory's plan ends with 800; the departure closes it. */
    sc.close_on_departure = true;
    ents = entities_of("CEB603Message.xml", &k);
    n = cg_port_scenario_plan(&sc, k, json_array_get(ents, 0), st);
    assert_int_equal(n, 3);
    assert_int_equal(st[2].status, 800);
    json_decref(ents);
}

static void test_scenario_rules(void **state)
{
    struct cg_port_scenario sc = {50, 60, 70, 100, NULL, 0};
    struct cg_port_step st[CG_PORT_MAX_STEPS];
    struct cg_err err;
    const struct cg_port_kind *k;
    json_t *ents = entities_of("CEB603Message.xml", &k);
    json_t *ent = json_array_get(ents, 0);
    size_t n;

    (void)state;
    assert_int_equal(cg_port_scenario_rules(&sc,
                                            "gcode=0902*:tea needs a licence | orderNo="
                                            "X-1:order refused",
                                            &err),
                     CG_OK);
    assert_int_equal(sc.nrules, 2);
    assert_string_equal(sc.rules[0].field, "gcode");
    assert_string_equal(sc.rules[0].value, "0902");
    assert_true(sc.rules[0].prefix);
    assert_string_equal(sc.rules[0].reason, "tea needs a licence");
    assert_false(sc.rules[1].prefix);
    /* gcode of a list line matches the prefix rule: 2 then 100 with the reason. */
    n = cg_port_scenario_plan(&sc, k, ent, st);
    assert_int_equal(n, 2);
    assert_int_equal(st[1].status, 100);
    assert_int_equal(st[1].after_ms, 50);
    assert_non_null(strstr(st[1].info, "tea needs a licence"));
    /* A head field, exact value. */
    json_object_set_new(ent, "orderNo", json_string("X-1"));
    assert_ptr_equal(cg_port_scenario_match(&sc, ent), &sc.rules[0]);
    assert_int_equal(cg_port_scenario_rules(&sc, "orderNo=X-1:order refused", &err), CG_OK);
    assert_ptr_equal(cg_port_scenario_match(&sc, ent), &sc.rules[0]);
    json_object_set_new(ent, "orderNo", json_string("X-12"));
    assert_null(cg_port_scenario_match(&sc, ent));
    /* Malformed rules are refused and leave no rules. */
    assert_int_equal(cg_port_scenario_rules(&sc, "gcode:no equals", &err), CG_ECONFIG);
    assert_non_null(strstr(err.msg, "rule 1"));
    assert_int_equal(sc.nrules, 0);
    assert_int_equal(cg_port_scenario_rules(&sc, "a=b:ok|=x:bad", &err), CG_ECONFIG);
    assert_non_null(strstr(err.msg, "rule 2"));
    assert_int_equal(cg_port_scenario_rules(&sc, "a=b:", &err), CG_ECONFIG);
    cg_port_scenario_clear(&sc);
    json_decref(ents);
}

/* ------------------------------------------------------------------ receipts */

static void validate_with(const char *xsd, xmlDocPtr doc)
{
    char path[1024];
    xmlSchemaParserCtxtPtr pc;
    xmlSchemaPtr s;
    xmlSchemaValidCtxtPtr vc;

    snprintf(path, sizeof(path), "%s/xsd/%s", datadir(), xsd);
    pc = xmlSchemaNewParserCtxt(path);
    assert_non_null(pc);
    s = xmlSchemaParse(pc);
    assert_non_null(s);
    vc = xmlSchemaNewValidCtxt(s);
    assert_int_equal(xmlSchemaValidateDoc(vc, doc), 0);
    xmlSchemaFreeValidCtxt(vc);
    xmlSchemaFree(s);
    xmlSchemaFreeParserCtxt(pc);
}

static void validate(struct cg_schema *s, xmlDocPtr doc)
{
    struct cg_err err;
    int rc = cg_schema_validate(s, doc, &err);

    if (rc != CG_OK)
        fail_msg("receipt fails the schema: %s", err.msg);
}

static void test_receipts_validate(void **state)
{
    static const int types[] = {303, 403, 505, 507, 509, 603, 605, 607, 701};
    struct cg_schema *s202205 = NULL;
    struct cg_schema *s2018 = NULL;
    struct cg_err err;
    xmlDocPtr doc = NULL;
    xmlNodePtr root;
    json_t *ent;
    char guid[37];
    char *xml = NULL;
    size_t len;
    size_t i;

    (void)state;
    assert_int_equal(cg_schema_load(datadir(), "202205", &s202205, &err), CG_OK);
    assert_int_equal(cg_schema_load(datadir(), "2018", &s2018, &err), CG_OK);
    /* Every field any receipt takes; numbers in the official formats (valid in both editions). */
    ent = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
                    "s:s, s:s}",
                    "guid", "A1B2C3D4-0000-4000-8000-0000000000A1", "appType", "1", "ebpCode",
                    "3301964J31", "ebcCode", "3301964J31", "orderNo", "PORT-ORDER-0001",
                    "logisticsCode", "4403180052", "logisticsNo", "EX0000000001CN", "agentCode",
                    "4403960ABC", "operatorCode", "4403180052", "copNo", "COP-1", "preNo",
                    "B20260301000000001", "invtNo", "51412026E000000001", "statisticsFlag", "A",
                    "billNo", "999-12345678", "msgSeqNo", "1", "sumNo", "S20260301000000001");
    assert_non_null(ent);
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        const struct cg_port_kind *k = cg_port_kind_find(types[i]);

        assert_non_null(k);
        cg_guid_new(guid);
        assert_int_equal(cg_port_receipt_build(k, guid, ent, "120", "海关入库 accepted",
                                               "20260301101500123", &doc, &err),
                         CG_OK);
        assert_int_equal(cg_msg_type_of(doc), k->ret_type);
        validate(s202205, doc);
        validate(s2018, doc);
        root = xmlDocGetRootElement(doc);
        {
            xmlChar *g = xmlGetProp(root, CGX("guid"));

            assert_non_null(g);
            assert_string_equal((const char *)g, guid);
            xmlFree(g);
        }
        xmlFreeDoc(doc);
        doc = NULL;
    }
    /* The 604 carries what the sender needs: guid, preNo, invtNo, status. */
    assert_int_equal(cg_port_receipt_build(cg_port_kind_find(603), guid, ent, "800", "released",
                                           "20260301101500123", &doc, &err),
                     CG_OK);
    assert_int_equal(cg_xml_serialize(doc, &xml, &len, &err), CG_OK);
    assert_non_null(strstr(xml, "<ceb:invtNo>51412026E000000001</ceb:invtNo>"));
    assert_non_null(strstr(xml, "<ceb:returnStatus>800</ceb:returnStatus>"));
    assert_non_null(strstr(xml, "<ceb:guid>A1B2C3D4-0000-4000-8000-0000000000A1</ceb:guid>"));
    free(xml);
    xmlFreeDoc(doc);
    json_decref(ent);
    cg_schema_free(s202205);
    cg_schema_free(s2018);
}

static void test_receipts_parse_back(void **state)
{
    struct cg_receipt_event *ev = NULL;
    struct cg_err err;
    xmlDocPtr doc = NULL;
    json_t *ent;
    size_t n = 0;

    (void)state;
    ent = json_pack("{s:s, s:s, s:s, s:s}", "guid", "A1B2C3D4-0000-4000-8000-0000000000A1",
                    "ebpCode", "E1", "ebcCode", "C1", "orderNo", "O-1");
    assert_int_equal(cg_port_receipt_build(cg_port_kind_find(303),
                                           "B0000000-0000-4000-8000-000000000001", ent, "2",
                                           "新增申报成功[x]", "20260301101500123", &doc, &err),
                     CG_OK);
    /* The sender's parser reads what the port writes. */
    assert_int_equal(cg_receipt_parse(doc, &ev, &n, &err), CG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].msg_type, 304);
    assert_string_equal(ev[0].guid, "A1B2C3D4-0000-4000-8000-0000000000A1");
    assert_string_equal(ev[0].order_no, "O-1");
    assert_int_equal(ev[0].status, 2);
    cg_receipt_events_free(ev, n);
    xmlFreeDoc(doc);
    json_decref(ent);
}

static void test_receipt_792_and_900(void **state)
{
    struct cg_schema *s = NULL;
    struct cg_err err;
    xmlDocPtr doc = NULL;
    json_t *sum;
    json_t *invs;
    char *xml = NULL;
    size_t len;

    (void)state;
    assert_int_equal(cg_schema_load(datadir(), "202205", &s, &err), CG_OK);
    sum = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "guid",
                    "A1B2C3D4-0701-4000-8000-0000000000A1", "customsCode", "5141", "sumNo",
                    "S20260301000000001", "declSeqNo", "D20260301000000001", "agentCode", "A1",
                    "agentName", "Broker", "ebcCode", "E1", "ebcName", "Seller", "declAgentCode",
                    "A1", "declAgentName", "Broker");
    invs = json_pack("[{s:s, s:s, s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}]}, {s:s, s:s, s:s, s:s, "
                     "s:[{s:s, s:s}]}]",
                     "invtNo", "51412026E000000001", "logisticsNo", "L1", "grossWeight", "1.25",
                     "netWeight", "1", "items", "gnum", "1", "gcode", "0902109000", "gnum", "2",
                     "gcode", "6912000000", "invtNo", "51412026E000000002", "logisticsNo", "L2",
                     "grossWeight", "0.75", "netWeight", "0.5", "items", "gnum", "1", "gcode",
                     "0902109000");
    assert_non_null(sum);
    assert_non_null(invs);
    assert_int_equal(cg_port_receipt_build_792("B0000000-0000-4000-8000-000000000792", sum, invs,
                                               "A", "20260301101500123", "202205", &doc, &err),
                     CG_OK);
    validate(s, doc);
    assert_int_equal(cg_xml_serialize(doc, &xml, &len, &err), CG_OK);
    assert_non_null(strstr(xml, "<ceb:grossWeight>2</ceb:grossWeight>"));
    assert_non_null(strstr(xml, "<ceb:netWeight>1.5</ceb:netWeight>"));
    assert_non_null(strstr(xml, "<ceb:gseqno>3</ceb:gseqno>"));
    free(xml);
    xmlFreeDoc(doc);
    doc = NULL;
    /* 2018 edition: gnum only. */
    assert_int_equal(cg_port_receipt_build_792("B0000000-0000-4000-8000-000000000792", sum, invs,
                                               "A", "20260301101500123", "2018", &doc, &err),
                     CG_OK);
    cg_schema_free(s);
    s = NULL;
    assert_int_equal(cg_schema_load(datadir(), "2018", &s, &err), CG_OK);
    validate(s, doc);
    xmlFreeDoc(doc);
    doc = NULL;
    /* CEB900 is defined in the import schema; the original goes in as CDATA. */
    assert_int_equal(cg_port_receipt_build_900("B0000000-0000-4000-8000-000000000900", "-0002",
                                               "fails the schema", "20260301101500123", "COP-1",
                                               "CEB303Message", "<a>x</a>", 8, &doc, &err),
                     CG_OK);
    validate_with("202205/ceb-import.xsd", doc);
    assert_int_equal(cg_xml_serialize(doc, &xml, &len, &err), CG_OK);
    assert_non_null(strstr(xml, "<![CDATA[<a>x</a>]]>"));
    free(xml);
    xmlFreeDoc(doc);
    doc = NULL;
    /* Bytes that cannot go into CDATA are left out, the receipt stays valid. */
    assert_int_equal(cg_port_receipt_build_900("B0000000-0000-4000-8000-000000000900", "-0001",
                                               "not XML", "20260301101500123", NULL, NULL,
                                               "a]]>b\xff", 6, &doc, &err),
                     CG_OK);
    validate_with("202205/ceb-import.xsd", doc);
    xmlFreeDoc(doc);
    json_decref(sum);
    json_decref(invs);
    cg_schema_free(s);
}

/* ------------------------------------------------------------------ rules and codes */

static void test_rules(void **state)
{
    struct cg_codes *c = NULL;
    struct cg_err err;
    const struct cg_port_kind *k;
    json_t *ents = entities_of("CEB303Message.xml", &k);
    json_t *ent = json_array_get(ents, 0);
    json_t *line = json_array_get(json_object_get(ent, "items"), 1);
    char code[5] = "";

    (void)state;
    /* The shipped customs tables (mapping's loader). */
    assert_int_equal(cg_codes_load(datadir(), &c, &err), CG_OK);
    /* The test order is consistent: 2 x 19.95 + 20.00 = 59.90. */
    assert_int_equal(cg_port_check_document(k, ent, c, 1000, code, &err), CG_OK);
    assert_string_equal(cg_port_field(ent, "orderNo"), "PORT-ORDER-0001");
    /* goodsValue off by 0.02 with a tolerance of 0.01 */
    json_object_set_new(ent, "goodsValue", json_string("59.92"));
    assert_int_equal(cg_port_check_document(k, ent, c, 1000, code, &err), CG_EREJECT);
    assert_string_equal(code, "4003");
    assert_non_null(strstr(err.msg, "goodsValue 59.92"));
    assert_non_null(strstr(err.msg, "59.90"));
    /* ... accepted within a tolerance of 0.02, refused with none */
    assert_int_equal(cg_port_check_document(k, ent, c, 2000, code, &err), CG_OK);
    json_object_set_new(ent, "goodsValue", json_string("59.90"));
    /* A line whose totalPrice is not qty x price */
    json_object_set_new(line, "totalPrice", json_string("25.00"));
    json_object_set_new(ent, "goodsValue", json_string("64.90"));
    assert_int_equal(cg_port_check_document(k, ent, c, 1000, code, &err), CG_EREJECT);
    assert_string_equal(code, "4003");
    assert_non_null(strstr(err.msg, "line 2"));
    json_object_set_new(line, "totalPrice", json_string("20.00"));
    json_object_set_new(ent, "goodsValue", json_string("59.90"));
    /* Unknown currency in the head, unknown unit on a line */
    json_object_set_new(ent, "currency", json_string("USD"));
    assert_int_equal(cg_port_check_document(k, ent, c, 1000, code, &err), CG_EREJECT);
    assert_string_equal(code, "4004");
    assert_non_null(strstr(err.msg, "currency 'USD'"));
    json_object_set_new(ent, "currency", json_string("502"));
    json_object_set_new(line, "unit", json_string("999"));
    assert_int_equal(cg_port_check_document(k, ent, c, 1000, code, &err), CG_EREJECT);
    assert_string_equal(code, "4004");
    assert_non_null(strstr(err.msg, "line 2: unit '999'"));
    /* Without tables codes are not checked. */
    assert_int_equal(cg_port_check_document(k, ent, NULL, 1000, code, &err), CG_OK);
    cg_codes_free(c);
    json_decref(ents);
}

/* ------------------------------------------------------------------ cg_port_submit */

struct fix {
    char dir[64];
    struct cg_conf *conf;
    struct cg_port *port;
    char *body; /* the message a test submits last (see keep()); teardown frees it */
};

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    struct cg_err err;
    char tok[128];
    FILE *fp;

    snprintf(f->dir, sizeof(f->dir), "/tmp/cg-test-port.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(cg_conf_new_defaults(f->dir, &f->conf, &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "port", "require_signature", "no", &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "port", "accept_ms", "0", &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "port", "release_ms", "60000", &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "port", "close_ms", "120000", &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "port", "receipts_dir", "receipts", &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "port", "max_body", "8192", &err), CG_OK);
    /* the one sender: a token, the enterprise codes of the test messages */
    snprintf(tok, sizeof(tok), "%s/test.token", f->dir);
    fp = fopen(tok, "w");
    assert_non_null(fp);
    fputs("test-token-0123456789abcdef\n", fp);
    fclose(fp);
    assert_int_equal(cg_conf_set(f->conf, "sender.test", "token_file", tok, &err), CG_OK);
    assert_int_equal(
        cg_conf_set(f->conf, "sender.test", "codes", "3301964J31,4403960ABC,4403180052", &err),
        CG_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    char cmd[128];

    cg_port_free(f->port);
    cg_conf_free(f->conf);
    free(f->body);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Keep body in the fixture, freeing the one kept before: teardown frees the last one even when
 * an assert ends the test early. Returns body. */
static char *keep(struct fix *f, char *body)
{
    free(f->body);
    f->body = body;
    return body;
}

static void start(struct fix *f)
{
    struct cg_err err;
    int rc = cg_port_new(f->conf, &f->port, &err);

    if (rc != CG_OK)
        fail_msg("cg_port_new: %s", err.msg);
}

static json_t *receipts(struct fix *f, int64_t since)
{
    struct cg_err err;
    char *s = NULL;
    json_t *j;

    assert_int_equal(cg_port_receipts_json(f->port, "test", since, 1000, &s, &err), CG_OK);
    j = json_loads(s, 0, NULL);
    free(s);
    assert_non_null(j);
    return j;
}

static void test_submit_accept_and_retry(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_port_stats st;
    struct cg_err err;
    json_t *page;
    json_t *r;
    size_t len;
    size_t n = 0;
    char *xml = slurp("CEB603Message.xml", &len);
    char *json = NULL;
    char *path;

    start(f);
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, "127.0.0.1", &res), CG_OK);
    assert_int_equal(res.http_status, 200);
    assert_string_equal(res.code, "0000");
    assert_false(res.duplicate);
    assert_string_equal(res.guid, "A1B2C3D4-0603-4000-8000-000000000001");
    assert_int_equal(res.ndocs, 1);
    assert_int_equal(strlen(res.docs[0].pre_no), 18);
    assert_int_equal(res.docs[0].pre_no[0], 'B');
    assert_int_equal(strlen(res.docs[0].invt_no), 18);
    assert_memory_equal(res.docs[0].invt_no, "5141", 4);
    assert_int_equal(res.docs[0].invt_no[8], 'E');
    /* status 2 and (accept_ms = 0) 120 are published at once; 800/899 wait. */
    page = receipts(f, 0);
    assert_int_equal(json_array_size(json_object_get(page, "receipts")), 2);
    r = json_array_get(json_object_get(page, "receipts"), 0);
    assert_string_equal(json_string_value(json_object_get(r, "type")), "CEB604Message");
    assert_string_equal(json_string_value(json_object_get(r, "status")), "2");
    assert_string_equal(json_string_value(json_object_get(r, "docGuid")),
                        "A1B2C3D4-0603-4000-8000-0000000000A1");
    assert_int_equal(json_integer_value(json_object_get(page, "next")), 2);
    assert_false(json_is_true(json_object_get(page, "more")));
    json_decref(page);

    /* The same bytes again (a retry after a lost answer): accepted again, nothing new. */
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, "127.0.0.1", &res), CG_OK);
    assert_int_equal(res.http_status, 200);
    assert_true(res.duplicate);
    assert_int_equal(res.ndocs, 1);
    assert_int_equal(cg_port_result_json(&res, &json, &err), CG_OK);
    assert_non_null(strstr(json, "\"result\":\"accepted\""));
    assert_non_null(strstr(json, "\"duplicate\":true"));
    assert_non_null(strstr(json, "\"messageType\":\"CEB603Message\""));
    free(json);

    /* Later: 800 and 899. The cursor only returns what is new. */
    assert_int_equal(cg_port_release_due(f->port, cg_port_now_ms() + 200000, &n, &err), CG_OK);
    assert_int_equal(n, 2);
    page = receipts(f, 2);
    assert_int_equal(json_array_size(json_object_get(page, "receipts")), 2);
    r = json_array_get(json_object_get(page, "receipts"), 1);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "899");
    json_decref(page);
    page = receipts(f, 4);
    assert_int_equal(json_array_size(json_object_get(page, "receipts")), 0);
    assert_int_equal(json_integer_value(json_object_get(page, "next")), 4);
    json_decref(page);
    /* Pages: limit 3 of 4 says more; the next page starts after the cursor. */
    assert_int_equal(cg_port_receipts_json(f->port, "test", 0, 3, &json, &err), CG_OK);
    page = json_loads(json, 0, NULL);
    free(json);
    json = NULL;
    assert_int_equal(json_array_size(json_object_get(page, "receipts")), 3);
    assert_true(json_is_true(json_object_get(page, "more")));
    assert_int_equal(json_integer_value(json_object_get(page, "next")), 3);
    json_decref(page);
    assert_int_equal(cg_port_receipts_json(f->port, "test", 3, 3, &json, &err), CG_OK);
    page = json_loads(json, 0, NULL);
    free(json);
    json = NULL;
    assert_int_equal(json_array_size(json_object_get(page, "receipts")), 1);
    assert_false(json_is_true(json_object_get(page, "more")));
    assert_int_equal(json_integer_value(json_object_get(page, "next")), 4);
    json_decref(page);

    /* Every receipt is also in the folder. */
    path = cg_fs_join(f->dir, "receipts");
    {
        char cmd[256];
        FILE *p;
        int files = 0;

        snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c '^CEB604_.*\\.xml$'", path);
        p = popen(cmd, "r");
        assert_non_null(p);
        assert_int_equal(fscanf(p, "%d", &files), 1);
        pclose(p);
        assert_int_equal(files, 4);
    }
    free(path);

    assert_int_equal(cg_port_stats(f->port, &st, &err), CG_OK);
    assert_int_equal(st.received, 2);
    assert_int_equal(st.accepted, 1);
    assert_int_equal(st.accepted_again, 1);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(st.documents, 1);
    assert_int_equal(st.documents_final, 1);
    assert_int_equal(st.receipts, 4);
    assert_int_equal(st.receipts_pending, 0);
    free(xml);
}

static char *replace(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);

    assert_non_null(at);
    snprintf(out, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    return out;
}

static void test_submit_rejections(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_port_stats st;
    struct cg_err err;
    json_t *page;
    json_t *r;
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);
    char *bad;
    char *bad2;
    char big[9000];
    size_t i;

    start(f);
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, NULL, &res), CG_OK);

    /* Same root guid, different content: 4001, 409. */
    bad = replace(xml, "PORT-ORDER-0001", "PORT-ORDER-0002");
    assert_int_equal(cg_port_submit(f->port, "test", bad, strlen(bad), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "4001");
    assert_int_equal(res.http_status, 409);
    assert_non_null(strstr(res.text, "already used"));
    /* New root guid, document guid reused: 4001. */
    bad2 = replace(bad, "000000000001\"", "000000000002\"");
    free(bad);
    assert_int_equal(cg_port_submit(f->port, "test", bad2, strlen(bad2), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "4001");
    assert_non_null(strstr(res.text, "A1B2C3D4-0303-4000-8000-0000000000A1"));
    /* New guids, same order number added again: 4002. */
    bad = replace(xml, "000000000001\"", "000000000003\"");
    free(bad2);
    bad2 = replace(bad, "0000000000A1<", "0000000000A3<");
    assert_int_equal(cg_port_submit(f->port, "test", bad2, strlen(bad2), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "4002");
    assert_int_equal(res.http_status, 409);
    assert_non_null(strstr(res.text, "orderNo=PORT-ORDER-0001"));
    free(bad);
    /* ... the same as a modification (appType 2) is accepted. */
    bad = replace(bad2, "<ceb:appType>1<", "<ceb:appType>2<");
    assert_int_equal(cg_port_submit(f->port, "test", bad, strlen(bad), NULL, &res), CG_OK);
    free(bad);
    free(bad2);

    /* Totals: 4003 */
    bad = replace(xml, "000000000001\"", "000000000004\"");
    bad2 = replace(bad, "<ceb:goodsValue>59.90<", "<ceb:goodsValue>70.00<");
    free(bad);
    assert_int_equal(cg_port_submit(f->port, "test", bad2, strlen(bad2), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "4003");
    assert_int_equal(res.http_status, 422);
    free(bad2);
    /* Unknown currency: 4004 */
    bad = replace(xml, "000000000001\"", "000000000005\"");
    bad2 = replace(bad, "<ceb:currency>502</ceb:currency>\n    </ceb:OrderHead>",
                   "<ceb:currency>999</ceb:currency>\n    </ceb:OrderHead>");
    free(bad);
    assert_int_equal(cg_port_submit(f->port, "test", bad2, strlen(bad2), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "4004");
    free(bad2);
    /* Schema: 0002, with the element named; a CEB900 is published. */
    bad = replace(xml, "000000000001\"", "000000000006\"");
    bad2 = replace(bad, "<ceb:orderType>E</ceb:orderType>", "");
    free(bad);
    assert_int_equal(cg_port_submit(f->port, "test", bad2, strlen(bad2), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0002");
    assert_non_null(strstr(res.text, "orderNo"));
    free(bad2);
    /* DTD with an external entity: 0001, nothing fetched. */
    bad = replace(xml, "<ceb:CEB303Message",
                  "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n<ceb:CEB303Message");
    assert_int_equal(cg_port_submit(f->port, "test", bad, strlen(bad), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0001");
    assert_non_null(strstr(res.text, "DOCTYPE"));
    free(bad);
    /* Not XML, empty, not CEB, not taken. */
    assert_int_equal(cg_port_submit(f->port, "test", "<a>", 3, NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0001");
    assert_int_equal(cg_port_submit(f->port, "test", "", 0, NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0001");
    assert_int_equal(cg_port_submit(f->port, "test", "<a/>", 4, NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0001");
    bad = replace(xml, "CEB303Message", "CEB304Message");
    bad2 = replace(bad, "CEB303Message", "CEB304Message");
    assert_int_equal(cg_port_submit(f->port, "test", bad2, strlen(bad2), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "4005");
    free(bad);
    free(bad2);
    /* Larger than max_body: 0999, HTTP 413. */
    for (i = 0; i < sizeof(big); i++)
        big[i] = ' ';
    assert_int_equal(cg_port_submit(f->port, "test", big, sizeof(big), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0999");
    assert_int_equal(res.http_status, 413);

    assert_int_equal(cg_port_stats(f->port, &st, &err), CG_OK);
    assert_int_equal(st.accepted, 2);
    assert_int_equal(st.rejected, 12);
    assert_int_equal(st.documents, 2);
    for (i = 0; i < st.ncodes; i++)
        if (strcmp(st.by_code[i].code, "0001") == 0)
            assert_int_equal(st.by_code[i].n, 4);
    /* The format and schema refusals got CEB900 receipts. */
    page = receipts(f, 0);
    {
        size_t k;
        int n900 = 0;

        json_array_foreach(json_object_get(page, "receipts"), k,
                           r) if (strcmp(json_string_value(json_object_get(r, "type")),
                                         "CEB900Message") == 0) n900++;
        assert_int_equal(n900, 5);
    }
    json_decref(page);
    free(xml);
}

static void test_submit_receipts_twice(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_err err;
    json_t *page;
    json_t *a;
    json_t *b;
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);

    assert_int_equal(cg_conf_set(f->conf, "port", "fault_receipts_twice", "yes", &err), CG_OK);
    start(f);
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, NULL, &res), CG_OK);
    page = receipts(f, 0);
    assert_int_equal(json_array_size(json_object_get(page, "receipts")), 4);
    a = json_array_get(json_object_get(page, "receipts"), 0);
    b = json_array_get(json_object_get(page, "receipts"), 1);
    /* Two ids, the same receipt. */
    assert_int_not_equal(json_integer_value(json_object_get(a, "id")),
                         json_integer_value(json_object_get(b, "id")));
    assert_string_equal(json_string_value(json_object_get(a, "guid")),
                        json_string_value(json_object_get(b, "guid")));
    assert_string_equal(json_string_value(json_object_get(a, "xml")),
                        json_string_value(json_object_get(b, "xml")));
    json_decref(page);
    free(xml);
}

static void test_submit_rule_rejects(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_err err;
    json_t *page;
    json_t *r;
    size_t len;
    char *xml = slurp("CEB603Message.xml", &len);

    assert_int_equal(cg_conf_set(f->conf, "port", "reject_rules",
                                 "gcode=0902109000:tea is not released in this test", &err),
                     CG_OK);
    start(f);
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, NULL, &res), CG_OK);
    page = receipts(f, 0);
    assert_int_equal(json_array_size(json_object_get(page, "receipts")), 2);
    r = json_array_get(json_object_get(page, "receipts"), 1);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "100");
    json_decref(page);
    free(xml);
}

/* A database failure answers 3001 (HTTP 500, retry) and stores nothing; the retry succeeds. */
static void test_submit_db_failure(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_port_stats st;
    struct cg_err err;
    char *json = NULL;
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);

    start(f);
    assert_int_equal(cg_store_port_read_only(f->port->db, true, &err), CG_OK);
    assert_int_not_equal(cg_port_submit(f->port, "test", xml, len, NULL, &res), CG_OK);
    assert_string_equal(res.code, "3001");
    assert_int_equal(res.http_status, 500);
    assert_non_null(strstr(res.text, "nothing was stored"));
    assert_int_equal(cg_port_result_json(&res, &json, &err), CG_OK);
    assert_non_null(strstr(json, "\"result\":\"retry\""));
    free(json);
    assert_int_equal(cg_store_port_read_only(f->port->db, false, &err), CG_OK);
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, NULL, &res), CG_OK);
    assert_false(res.duplicate);
    assert_int_equal(cg_port_stats(f->port, &st, &err), CG_OK);
    assert_int_equal(st.accepted, 1);
    assert_int_equal(st.documents, 1);
    free(xml);
}

/* An answer quoting message content holds no markup character and no U+2028/U+2029 raw, and a
 * JSON reader still decodes the text as it was. */
static void test_result_json_escapes(void **state)
{
    struct cg_port_result res;
    struct cg_err err;
    json_t *back;
    char *json = NULL;
    const char *text = "orderNo=<img src=x onerror=alert(1)>&\xE2\x80\xA8\xE2\x80\xA9 \xE4\xB8\xAD";

    (void)state;
    memset(&res, 0, sizeof(res));
    res.http_status = 409;
    cg_strlcpy(res.code, "4002", sizeof(res.code));
    cg_strlcpy(res.text, text, sizeof(res.text));
    assert_int_equal(cg_port_result_json(&res, &json, &err), CG_OK);
    assert_non_null(strstr(json, "\"text\":\"orderNo=\\u003cimg src=x onerror=alert(1)\\u003e"
                                 "\\u0026\\u2028\\u2029 \xE4\xB8\xAD\""));
    assert_null(strpbrk(json, "<>&"));
    back = json_loads(json, 0, NULL);
    assert_non_null(back);
    assert_string_equal(json_string_value(json_object_get(back, "text")), text);
    json_decref(back);
    free(json);
}

/* A copy of xml with root guid, document guid and orderNo made unique by n. */
static char *variant(const char *xml, int n)
{
    char a[64];
    char *s1;
    char *s2;
    char *s3;

    snprintf(a, sizeof(a), "-0000000%05d\"", n);
    s1 = replace(xml, "-000000000001\"", a);
    snprintf(a, sizeof(a), "-000000B%05d<", n);
    s2 = replace(s1, "-0000000000A1<", a);
    snprintf(a, sizeof(a), "PORT-ORDER-%05d", n);
    s3 = replace(s2, "PORT-ORDER-0001", a);
    free(s1);
    free(s2);
    return s3;
}

/*
 * Group commit: jobs stored together in one transaction each get the answer they would get
 * one after another (a retry inside the group is a duplicate, an add of the same business key
 * is 4002 and stores nothing of its own, a refusal is recorded), and a group that cannot be
 * stored is run again job by job: each answers 3001, and after the fault the same messages are
 * accepted with fresh numbers.
 */
static void test_group_commit(void **state)
{
    struct fix *f = *state;
    struct cg_port_job *jobs[5] = {NULL};
    struct cg_port_stats st;
    struct cg_err err;
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);
    char *a = variant(xml, 1);
    char *b = variant(xml, 2);
    char *c = variant(xml, 3);
    char *d = variant(xml, 4);
    char *e = variant(xml, 5);
    char *same_key;
    char *bad_schema;
    size_t i;

    start(f);
    /* b with c's orderNo: an add of a business key c adds in the same group */
    same_key = replace(b, "PORT-ORDER-00002", "PORT-ORDER-00003");
    bad_schema = replace(d, "<ceb:orderNo>PORT-ORDER-00004</ceb:orderNo>",
                         "<ceb:orderNumber>PORT-ORDER-00004</ceb:orderNumber>");
    assert_int_equal(cg_port_job_check(f->port, a, strlen(a), "a", &f->port->senders[0], &jobs[0]),
                     CG_OK);
    assert_int_equal(cg_port_job_check(f->port, a, strlen(a), "a", &f->port->senders[0], &jobs[1]),
                     CG_OK);
    assert_int_equal(cg_port_job_check(f->port, c, strlen(c), "c", &f->port->senders[0], &jobs[2]),
                     CG_OK);
    assert_int_equal(
        cg_port_job_check(f->port, same_key, strlen(same_key), "b", &f->port->senders[0], &jobs[3]),
        CG_OK);
    assert_int_equal(cg_port_job_check(f->port, bad_schema, strlen(bad_schema), "d",
                                       &f->port->senders[0], &jobs[4]),
                     CG_OK);
    assert_string_equal(jobs[4]->res.code, "0002");
    cg_port_jobs_store(f->port, jobs, 5);
    assert_string_equal(jobs[0]->res.code, "0000");
    assert_false(jobs[0]->res.duplicate);
    assert_int_equal(jobs[0]->res.ndocs, 1);
    assert_string_equal(jobs[1]->res.code, "0000");
    assert_true(jobs[1]->res.duplicate);
    assert_string_equal(jobs[1]->res.docs[0].pre_no, jobs[0]->res.docs[0].pre_no);
    assert_string_equal(jobs[2]->res.code, "0000");
    assert_string_not_equal(jobs[2]->res.docs[0].pre_no, jobs[0]->res.docs[0].pre_no);
    assert_string_equal(jobs[3]->res.code, "4002");
    assert_int_equal(jobs[3]->res.http_status, 409);
    assert_int_equal(jobs[3]->res.ndocs, 0);
    assert_string_equal(jobs[4]->res.code, "0002");
    assert_int_equal(cg_port_stats(f->port, &st, &err), CG_OK);
    assert_int_equal(st.received, 5);
    assert_int_equal(st.accepted, 2);
    assert_int_equal(st.accepted_again, 1);
    assert_int_equal(st.rejected, 2);
    assert_int_equal(st.documents, 2);
    /* status 2 of both documents, the CEB900 of the schema failure, published with them */
    assert_true(st.receipts >= 3);
    for (i = 0; i < 5; i++)
        cg_port_job_free(jobs[i]);

    /* The group fails (read-only database): every job is tried alone and answers 3001. */
    assert_int_equal(cg_store_port_read_only(f->port->db, true, &err), CG_OK);
    assert_int_equal(cg_port_job_check(f->port, e, strlen(e), "e", &f->port->senders[0], &jobs[0]),
                     CG_OK);
    assert_int_equal(cg_port_job_check(f->port, b, strlen(b), "b", &f->port->senders[0], &jobs[1]),
                     CG_OK);
    cg_port_jobs_store(f->port, jobs, 2);
    for (i = 0; i < 2; i++) {
        assert_string_equal(jobs[i]->res.code, "3001");
        assert_int_equal(jobs[i]->res.http_status, 500);
        assert_int_equal(jobs[i]->res.ndocs, 0);
        assert_non_null(strstr(jobs[i]->res.text, "nothing was stored"));
    }
    assert_int_equal(cg_store_port_read_only(f->port->db, false, &err), CG_OK);
    /* The same jobs again (as the senders' retries would be): accepted, new numbers. */
    cg_port_jobs_store(f->port, jobs, 2);
    for (i = 0; i < 2; i++) {
        assert_string_equal(jobs[i]->res.code, "0000");
        assert_false(jobs[i]->res.duplicate);
        assert_int_equal(jobs[i]->res.ndocs, 1);
    }
    assert_string_not_equal(jobs[0]->res.docs[0].pre_no, jobs[1]->res.docs[0].pre_no);
    assert_int_equal(cg_port_stats(f->port, &st, &err), CG_OK);
    assert_int_equal(st.accepted, 4);
    assert_int_equal(st.documents, 4);
    for (i = 0; i < 2; i++)
        cg_port_job_free(jobs[i]);
    free(same_key);
    free(bad_schema);
    free(a);
    free(b);
    free(c);
    free(d);
    free(e);
    free(xml);
}

/* A receipt file that cannot be written keeps the receipt planned; it is published later. */
static void test_release_retried(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_port_stats st;
    struct cg_err err;
    char *dir = cg_fs_join(f->dir, "receipts");
    size_t len;
    size_t n = 0;
    char *xml = slurp("CEB303Message.xml", &len);
    FILE *fp;

    start(f);
    assert_int_equal(rmdir(dir), 0);
    fp = fopen(dir, "w"); /* a file where the folder should be: every write fails */
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, NULL, &res), CG_OK);
    assert_int_equal(cg_port_stats(f->port, &st, &err), CG_OK);
    assert_int_equal(st.receipts, 0);
    assert_int_equal(st.receipts_pending, 2);
    assert_int_not_equal(cg_port_release_due(f->port, cg_port_now_ms(), &n, &err), CG_OK);
    assert_int_equal(unlink(dir), 0);
    assert_int_equal(cg_fs_mkdir_p(dir, 0750, &err), CG_OK);
    assert_int_equal(cg_port_release_due(f->port, cg_port_now_ms(), &n, &err), CG_OK);
    assert_int_equal(n, 2);
    assert_int_equal(cg_port_stats(f->port, &st, &err), CG_OK);
    assert_int_equal(st.receipts, 2);
    assert_int_equal(st.receipts_pending, 0);
    free(dir);
    free(xml);
}

/*
 * The writer's publish attempts and timed waits, recorded while armed (the writer thread
 * writes, the test reads under the lock). cg_port_release_due and pthread_cond_timedwait are
 * wrapped (-Wl,--wrap): unarmed, both are the real ones.
 */
#define ATTEMPTS 5
#define TICK_MS 250 /* IDLE_MS in port-writer.c */
static struct {
    pthread_mutex_t lock;
    bool armed;
    int attempts;               /* publish attempts seen */
    int failed;                 /* of them, failed */
    int waits;                  /* timed waits seen */
    int waits_before[ATTEMPTS]; /* timed waits seen before attempt i */
    int64_t failed_at;          /* CLOCK_REALTIME ms of the last failed attempt */
    int64_t shortest_tick;      /* least of deadline - failed_at over the waits */
} wr = {.lock = PTHREAD_MUTEX_INITIALIZER};

int __real_cg_port_release_due(struct cg_port *p, int64_t now_ms, size_t *n, struct cg_err *err);
int __wrap_cg_port_release_due(struct cg_port *p, int64_t now_ms, size_t *n, struct cg_err *err);
int __real_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t);
int __wrap_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t);

static int64_t realtime_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int __wrap_cg_port_release_due(struct cg_port *p, int64_t now_ms, size_t *n, struct cg_err *err)
{
    int rc = __real_cg_port_release_due(p, now_ms, n, err);

    pthread_mutex_lock(&wr.lock);
    if (wr.armed && wr.attempts < ATTEMPTS) {
        wr.waits_before[wr.attempts++] = wr.waits;
        if (rc != CG_OK) {
            wr.failed++;
            wr.failed_at = realtime_ms();
        }
    }
    pthread_mutex_unlock(&wr.lock);
    return rc;
}

/* Armed and after a failed attempt, a wait is counted and its tick passes at once: the test
 * does not wait for time. Once the attempts are all recorded the waits are real again. */
int __wrap_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t)
{
    bool counted = false;

    pthread_mutex_lock(&wr.lock);
    if (wr.armed && wr.failed > 0 && wr.attempts < ATTEMPTS) {
        int64_t tick = (int64_t)t->tv_sec * 1000 + t->tv_nsec / 1000000 - wr.failed_at;
        wr.waits++;
        if (wr.waits == 1 || tick < wr.shortest_tick)
            wr.shortest_tick = tick;
        counted = true;
    }
    pthread_mutex_unlock(&wr.lock);
    return counted ? ETIMEDOUT : __real_pthread_cond_timedwait(c, m, t);
}

/*
 * Receipts that fell due but cannot be published stay due; the writer tries them again only
 * after waiting a tick, not at once (it used to, without end, taking a CPU core while the disk
 * was full). Counted by events, not time: exactly one timed wait, its deadline a tick after the
 * failure, between one failed attempt and the next.
 */
static void test_release_failure_waits(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_err err;
    struct timespec one_ms = {0, 1000000L};
    char *dir = cg_fs_join(f->dir, "receipts");
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);
    int i, seen = 0;
    FILE *fp;

    start(f);
    assert_int_equal(rmdir(dir), 0);
    fp = fopen(dir, "w"); /* a file where the folder should be: publishing fails */
    assert_non_null(fp);
    fclose(fp);
    /* accepted, its first receipts due at once (accept_ms = 0) and not published */
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, NULL, &res), CG_OK);
    assert_true(cg_port_next_due(f->port) >= 0);
    pthread_mutex_lock(&wr.lock);
    wr.armed = true;
    pthread_mutex_unlock(&wr.lock);
    assert_int_equal(cg_port_writer_start(f->port, &err), CG_OK);
    /* poll until the writer has made its attempts (at most 30 s on a loaded machine) */
    for (i = 0; i < 30000 && seen < ATTEMPTS; i++) {
        pthread_mutex_lock(&wr.lock);
        seen = wr.attempts;
        pthread_mutex_unlock(&wr.lock);
        if (seen < ATTEMPTS)
            nanosleep(&one_ms, NULL);
    }
    cg_port_writer_stop(f->port);
    pthread_mutex_lock(&wr.lock);
    wr.armed = false;
    pthread_mutex_unlock(&wr.lock);
    assert_int_equal(wr.attempts, ATTEMPTS);
    assert_int_equal(wr.failed, ATTEMPTS);
    for (i = 0; i < ATTEMPTS; i++)
        assert_int_equal(wr.waits_before[i], i);
    assert_true(wr.shortest_tick >= TICK_MS);
    /* still due: they are published once the folder is back */
    assert_true(cg_port_next_due(f->port) >= 0);
    free(dir);
    free(xml);
}

/* ------------------------------------------------------------------ senders and hostile input */

/* A second sender "other" with its own token and codes. */
static void add_other(struct fix *f, const char *codes)
{
    struct cg_err err;
    char tok[128];
    FILE *fp;

    snprintf(tok, sizeof(tok), "%s/other.token", f->dir);
    fp = fopen(tok, "w");
    assert_non_null(fp);
    fputs("other-token-0123456789abcdef\n", fp);
    fclose(fp);
    assert_int_equal(cg_conf_set(f->conf, "sender.other", "token_file", tok, &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "sender.other", "codes", codes, &err), CG_OK);
}

/* Stop the port and start it again with these codes for test and other. */
static void restart_codes(struct fix *f, const char *test, const char *other)
{
    struct cg_err err;

    cg_port_free(f->port);
    f->port = NULL;
    assert_int_equal(cg_conf_set(f->conf, "sender.test", "codes", test, &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "sender.other", "codes", other, &err), CG_OK);
    start(f);
}

/* The sender's page of receipts after since (caller frees). */
static json_t *page_of(struct fix *f, const char *sender, int64_t since)
{
    struct cg_err err;
    char *s = NULL;
    json_t *j;

    assert_int_equal(cg_port_receipts_json(f->port, sender, since, 1000, &s, &err), CG_OK);
    j = json_loads(s, 0, NULL);
    free(s);
    assert_non_null(j);
    return j;
}

static json_t *receipts_of(struct fix *f, const char *sender)
{
    return page_of(f, sender, 0);
}

/* The receipt's XML (base64 in the page), NUL-terminated; caller frees. */
static char *receipt_xml(const json_t *r, size_t *len)
{
    const char *b64 = json_string_value(json_object_get(r, "xml"));
    size_t n = strlen(b64);
    unsigned char *out = calloc(1, n + 1);
    int got;

    assert_non_null(out);
    got = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
    assert_true(got >= 0);
    while (n > 0 && b64[n - 1] == '=') { /* EVP_DecodeBlock counts the padding bytes */
        got--;
        n--;
    }
    out[got] = '\0';
    *len = (size_t)got;
    return (char *)out;
}

/*
 * Before: a refused body naming another sender's guid made a CEB900 with that guid for
 * everybody, with the whole body inside. Now the CEB900 goes to the sender that sent it only,
 * with a guid of its own, a short escaped description and no body; it is well-formed.
 */
static void test_sec_refusal_receipts(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    char forged[256];
    char junk[4096];
    json_t *page;
    json_t *r;
    size_t len;
    size_t i;
    size_t n900 = 0;
    char *xml = slurp("CEB303Message.xml", &len);
    char *rx;

    add_other(f, "9999999999");
    start(f);
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, NULL, &res), CG_OK);
    snprintf(forged, sizeof(forged), "<x guid=\"%s\"/>", res.guid);
    assert_int_equal(cg_port_submit(f->port, "other", forged, strlen(forged), NULL, &res),
                     CG_EREJECT);
    assert_string_equal(res.code, "0001");
    /* control characters and bytes that are not UTF-8 */
    memcpy(junk, "<a>", 3);
    for (i = 3; i < sizeof(junk); i++)
        junk[i] = (char)(i % 2 == 0 ? 0x01 : 0xff);
    assert_int_equal(cg_port_submit(f->port, "other", junk, sizeof(junk), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0001");
    for (i = 0; res.text[i] != '\0'; i++)
        assert_true((unsigned char)res.text[i] >= 0x20);

    /* the victim sees no CEB900 at all */
    page = receipts_of(f, "test");
    json_array_foreach(json_object_get(page, "receipts"), i, r)
        assert_string_not_equal(json_string_value(json_object_get(r, "type")), "CEB900Message");
    json_decref(page);
    /* the sender of the junk gets its two, well-formed, without the forged guid or the body */
    page = receipts_of(f, "other");
    json_array_foreach(json_object_get(page, "receipts"), i, r)
    {
        xmlDocPtr d;

        assert_string_equal(json_string_value(json_object_get(r, "type")), "CEB900Message");
        n900++;
        rx = receipt_xml(r, &len);
        assert_null(strstr(rx, "A1B2C3D4-0303-4000-8000-000000000001"));
        assert_null(strstr(rx, "<x guid"));
        assert_true(len < 2048);
        d = xmlReadMemory(rx, (int)len, "r.xml", NULL, XML_PARSE_NONET);
        assert_non_null(d);
        xmlFreeDoc(d);
        free(rx);
    }
    assert_int_equal(n900, 2);
    json_decref(page);
    free(xml);
}

/* Before: every sender read every receipt. Now a sender reads its own, nobody else any. */
/* A DXP envelope around xml whose CopMsgId element holds id_xml (already escaped for XML). */
static char *dxp_envelope(const char *xml, size_t len, const char *id_xml)
{
    size_t b64max = (len + 2) / 3 * 4 + 1;
    unsigned char *b64 = malloc(b64max);
    size_t size;
    char *env;

    assert_non_null(b64);
    assert_true(EVP_EncodeBlock(b64, (const unsigned char *)xml, (int)len) >= 0);
    size = b64max + strlen(id_xml) + 512;
    env = malloc(size);
    assert_non_null(env);
    snprintf(env, size,
             "<dxp:DxpMsg xmlns:dxp=\"" CG_NS_DXP "\" ver=\"1.0\"><dxp:TransInfo>"
             "<dxp:CopMsgId>%s</dxp:CopMsgId><dxp:SenderId>DXPENT0000000001</dxp:SenderId>"
             "<dxp:ReceiverIds><dxp:ReceiverId>DXPEDCCEB0000002</dxp:ReceiverId>"
             "</dxp:ReceiverIds><dxp:CreatTime>2026-03-01T10:15:00</dxp:CreatTime>"
             "<dxp:MsgType>CEB303Message</dxp:MsgType></dxp:TransInfo>"
             "<dxp:Data>%s</dxp:Data></dxp:DxpMsg>",
             id_xml, (const char *)b64);
    free(b64);
    return env;
}

/*
 * Submit a CEB303 that fails the schema inside a DXP envelope with the given CopMsgId and
 * return the MessageReturn of the CEB900 it gets, serialized (caller frees).
 */
static char *refusal_return_for(struct fix *f, const char *id_xml, int n)
{
    struct cg_port_result res;
    char from[64];
    char to[64];
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);
    char *a;
    char *bad;
    char *env;
    char *rx = NULL;
    char *out = NULL;
    json_t *page;
    json_t *r;
    json_t *last = NULL;
    size_t i;
    xmlDocPtr d;
    xmlNodePtr ret;
    xmlBufferPtr buf;

    snprintf(from, sizeof(from), "A1B2C3D4-0303-4000-8000-000000000001\"");
    snprintf(to, sizeof(to), "A1B2C3D4-0303-4000-8000-0000000009%02d\"", n);
    a = replace(xml, from, to);
    bad = replace(a, "<ceb:orderType>E</ceb:orderType>", "");
    env = dxp_envelope(bad, strlen(bad), id_xml);
    assert_int_equal(cg_port_submit(f->port, "test", env, strlen(env), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0002");
    page = receipts_of(f, "test");
    json_array_foreach(json_object_get(page, "receipts"), i,
                       r) if (strcmp(json_string_value(json_object_get(r, "type")),
                                     "CEB900Message") == 0) last = r;
    assert_non_null(last);
    rx = receipt_xml(last, &len);
    d = xmlReadMemory(rx, (int)len, "r.xml", NULL, XML_PARSE_NONET);
    assert_non_null(d);
    ret = xmlDocGetRootElement(d)->children;
    while (ret != NULL && ret->type != XML_ELEMENT_NODE)
        ret = ret->next;
    assert_non_null(ret);
    buf = xmlBufferCreate();
    assert_true(xmlNodeDump(buf, d, ret, 0, 0) > 0);
    out = strdup((const char *)xmlBufferContent(buf));
    assert_non_null(out);
    xmlBufferFree(buf);
    xmlFreeDoc(d);
    free(rx);
    json_decref(page);
    free(env);
    free(bad);
    free(a);
    free(xml);
    return out;
}

/* The part of a CEB900 MessageReturn from oriCopMsgId on (time and guid vary). */
static const char *from_ori(const char *s)
{
    const char *p = strstr(s, "<ceb:oriCopMsgId");

    assert_non_null(p);
    return p;
}

/*
 * Before: the DXP CopMsgId, outside the signature, went into the CEB900's oriCopMsgId as it
 * was, up to 255 characters of anything. Now only an identifier (1..64 of [A-Za-z0-9._:-]) is
 * carried; anything else leaves oriCopMsgId empty and the refusal is otherwise unchanged.
 */
static void test_sec_cop_msg_id(void **state)
{
    struct fix *f = *state;
    char hostile[512];
    char *ret;
    size_t n;

    start(f);
    /* a plausible identifier is carried as it is */
    ret = refusal_return_for(f, "MSG-2026.03:01_x", 1);
    assert_string_equal(from_ori(ret), "<ceb:oriCopMsgId>MSG-2026.03:01_x</ceb:oriCopMsgId>"
                                       "<ceb:oriMessageType>CEB303Message</ceb:oriMessageType>"
                                       "<ceb:oriBizMessage/></ceb:MessageReturn>");
    assert_non_null(strstr(ret, "<ceb:returnStatus>-0002</ceb:returnStatus>"));
    free(ret);
    /* markup characters */
    ret = refusal_return_for(f, "ID&lt;b&gt;&amp;&quot;x&quot;", 2);
    assert_string_equal(from_ori(ret), "<ceb:oriCopMsgId/>"
                                       "<ceb:oriMessageType>CEB303Message</ceb:oriMessageType>"
                                       "<ceb:oriBizMessage/></ceb:MessageReturn>");
    free(ret);
    /* a bidi override U+202E */
    ret = refusal_return_for(f,
                             "MSG-\xE2\x80\xAE"
                             "gpj.exe",
                             3);
    assert_string_equal(from_ori(ret), "<ceb:oriCopMsgId/>"
                                       "<ceb:oriMessageType>CEB303Message</ceb:oriMessageType>"
                                       "<ceb:oriBizMessage/></ceb:MessageReturn>");
    free(ret);
    /* 300 identifier characters, and the longest accepted one (64) */
    memset(hostile, 'A', 300);
    hostile[300] = '\0';
    ret = refusal_return_for(f, hostile, 4);
    assert_string_equal(from_ori(ret), "<ceb:oriCopMsgId/>"
                                       "<ceb:oriMessageType>CEB303Message</ceb:oriMessageType>"
                                       "<ceb:oriBizMessage/></ceb:MessageReturn>");
    free(ret);
    hostile[65] = '\0';
    ret = refusal_return_for(f, hostile, 5);
    assert_non_null(strstr(ret, "<ceb:oriCopMsgId/>"));
    free(ret);
    hostile[64] = '\0';
    ret = refusal_return_for(f, hostile, 6);
    n = strlen("<ceb:oriCopMsgId>");
    assert_memory_equal(from_ori(ret), "<ceb:oriCopMsgId>", n);
    assert_memory_equal(from_ori(ret) + n, hostile, 64);
    assert_memory_equal(from_ori(ret) + n + 64, "</ceb:oriCopMsgId>", n + 1);
    free(ret);
    /* an empty CopMsgId stays empty */
    ret = refusal_return_for(f, "", 7);
    assert_non_null(strstr(ret, "<ceb:oriCopMsgId/>"));
    free(ret);
}

/*
 * Before: answer texts quote field values, cleaned of control characters and bytes that are
 * not UTF-8 only, so a bidi override (U+202E) or a C1 control (U+0085) in a value reached the
 * sender's answer and the CEB900 as it was. Now they are written as \u{XXXX}, as on the spool
 * side.
 */
static void test_sec_answer_format_chars(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    size_t len;
    size_t i;
    char *xml = slurp("CEB303Message.xml", &len);
    char *a;
    char *bad;
    char *rx = NULL;
    json_t *page;
    json_t *r;

    start(f);
    /* 4004: the unknown currency is quoted; U+202E, '5', U+0085 is three characters long */
    a = replace(xml, "000000000001\"", "000000000011\"");
    bad = replace(a, "<ceb:currency>502</ceb:currency>\n    </ceb:OrderHead>",
                  "<ceb:currency>\xE2\x80\xAE"
                  "5\xC2\x85</ceb:currency>\n    </ceb:OrderHead>");
    assert_int_equal(cg_port_submit(f->port, "test", bad, strlen(bad), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "4004");
    assert_string_equal(res.text, "message A1B2C3D4-0303-4000-8000-000000000011: document "
                                  "A1B2C3D4-0303-4000-8000-0000000000A1: currency "
                                  "'\\u{202E}5\\u{0085}' is not a known currency code");
    free(bad);
    free(a);
    /* 0002: the schema error quotes the value; the CEB900's returnInfo is the same text */
    a = replace(xml, "000000000001\"", "000000000012\"");
    bad = replace(a, "<ceb:goodsValue>59.90<",
                  "<ceb:goodsValue>59.90\xE2\x80\xAE"
                  "x\xC2\x85<");
    assert_int_equal(cg_port_submit(f->port, "test", bad, strlen(bad), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0002");
    assert_non_null(strstr(res.text, "'59.90\\u{202E}x\\u{0085}'"));
    assert_null(strstr(res.text, "\xE2\x80\xAE"));
    assert_null(strstr(res.text, "\xC2\x85"));
    page = receipts_of(f, "test");
    json_array_foreach(json_object_get(page, "receipts"), i,
                       r) if (strcmp(json_string_value(json_object_get(r, "type")),
                                     "CEB900Message") == 0) rx = receipt_xml(r, &len);
    assert_non_null(rx);
    assert_non_null(strstr(rx, "'59.90\\u{202E}x\\u{0085}'"));
    assert_null(strstr(rx, "\xE2\x80\xAE"));
    assert_null(strstr(rx, "\xC2\x85"));
    free(rx);
    json_decref(page);
    free(bad);
    free(a);
    free(xml);
}

static void test_sec_receipts_private(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    json_t *page;
    size_t len;
    char *xml = slurp("CEB603Message.xml", &len);

    add_other(f, "9999999999");
    start(f);
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, NULL, &res), CG_OK);
    page = receipts_of(f, "test");
    assert_int_equal(json_array_size(json_object_get(page, "receipts")), 2);
    json_decref(page);
    page = receipts_of(f, "other");
    assert_int_equal(json_array_size(json_object_get(page, "receipts")), 0);
    json_decref(page);
    page = receipts_of(f, NULL);
    assert_int_equal(json_array_size(json_object_get(page, "receipts")), 0);
    json_decref(page);
    free(xml);
}

/* The CEB303 test order with guids and order number of its own (n from 1 to 9999). */
static char *order_n(const char *xml, int n)
{
    char to[40];
    char *a;
    char *b;

    snprintf(to, sizeof(to), "%012d\"", n);
    a = replace(xml, "000000000001\"", to);
    snprintf(to, sizeof(to), "%010dA1<", n);
    b = replace(a, "0000000000A1<", to);
    free(a);
    snprintf(to, sizeof(to), "PORT-ORDER-%04d", n);
    a = replace(b, "PORT-ORDER-0001", to);
    free(b);
    return a;
}

/* The ids of the sender's receipts after since, as "1,2,3". */
static void receipt_ids(struct fix *f, const char *sender, int64_t since, char *out, size_t size)
{
    json_t *page = page_of(f, sender, since);
    json_t *r;
    size_t i;
    size_t n = 0;

    out[0] = '\0';
    json_array_foreach(json_object_get(page, "receipts"), i, r)
    {
        assert_true(json_is_integer(json_object_get(r, "id")));
        n += (size_t)snprintf(out + n, size - n, "%s%lld", i > 0 ? "," : "",
                              (long long)json_integer_value(json_object_get(r, "id")));
        assert_true(n < size);
    }
    json_decref(page);
}

/* Files in the fixture's receipts_dir whose name ends with suffix. */
static int receipt_files(struct fix *f, const char *suffix)
{
    char cmd[256];
    char line[64];
    FILE *fp;
    long n = -1;

    snprintf(cmd, sizeof(cmd), "ls '%s/receipts' | grep -c -- '%s$'", f->dir, suffix);
    fp = popen(cmd, "r");
    assert_non_null(fp);
    if (fgets(line, sizeof(line), fp) != NULL)
        n = strtol(line, NULL, 10);
    pclose(fp);
    return (int)n;
}

/* Run SQL on the fixture's database file, beside the port or without it. */
static void sql_exec(struct fix *f, const char *sql)
{
    char path[128];
    sqlite3 *db = NULL;
    char *msg = NULL;

    snprintf(path, sizeof(path), "%s/port.db", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

/*
 * Two senders' receipts, published in turns: test's 2 (status 2 and 120 of an order), other's
 * CEB900, test's 2, other's CEB900. Each sender numbers its own: test 1,2,3,4 and other 1,2 (one
 * sequence for all made test's 1,2,4,5 and other's 3,6: the gap told test that other had one).
 */
static void submit_in_turns(struct fix *f, const char *xml, int first)
{
    struct cg_port_result res;
    char *o;

    o = order_n(xml, first);
    assert_int_equal(cg_port_submit(f->port, "test", o, strlen(o), NULL, &res), CG_OK);
    free(o);
    assert_int_equal(cg_port_submit(f->port, "other", "<x/>", 4, NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0001");
    o = order_n(xml, first + 1);
    assert_int_equal(cg_port_submit(f->port, "test", o, strlen(o), NULL, &res), CG_OK);
    free(o);
    assert_int_equal(cg_port_submit(f->port, "other", "<y/>", 4, NULL, &res), CG_EREJECT);
}

/*
 * Before: receipt ids were one sequence for all senders, so the gaps in a sender's own ids
 * counted the receipts of the others. Now each sender's receipts are numbered 1, 2, 3, ... of
 * its own in GET /receipts (id, since).
 */
static void test_receipts_numbered_per_sender(void **state)
{
    struct fix *f = *state;
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);
    char ids[256];

    add_other(f, "9999999999");
    start(f);
    submit_in_turns(f, xml, 1);
    receipt_ids(f, "test", 0, ids, sizeof(ids));
    assert_string_equal(ids, "1,2,3,4");
    receipt_ids(f, "other", 0, ids, sizeof(ids));
    assert_string_equal(ids, "1,2");
    receipt_ids(f, "test", 2, ids, sizeof(ids));
    assert_string_equal(ids, "3,4");
    receipt_ids(f, "other", 1, ids, sizeof(ids));
    assert_string_equal(ids, "2");
    /* The files in receipts_dir, a folder of every sender's receipts, are named by the number
     * among all receipts, 1 to 6, one file each: by the senders' own, test's 1 and other's 1
     * (or two CEB900 of one guid) would share a name and one would replace the other. */
    assert_int_equal(receipt_files(f, "_000000000001.xml"), 1);
    assert_int_equal(receipt_files(f, "_000000000003.xml"), 1);
    assert_int_equal(receipt_files(f, "_000000000006.xml"), 1);
    assert_int_equal(receipt_files(f, ".xml"), 6);
    free(xml);
}

/*
 * A database from before step 3 (one sequence for all senders), made by putting the schema back
 * by SQL: its receipts keep their ids as their numbers, so the cursors the senders hold stay
 * valid, and each sender's next receipt follows its own largest.
 */
static void test_receipts_migration_step3(void **state)
{
    struct fix *f = *state;
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);
    char ids[256];

    add_other(f, "9999999999");
    start(f);
    cg_port_free(f->port);
    f->port = NULL;
    sql_exec(f, "DROP TRIGGER receipt_seq;"
                "DELETE FROM counters WHERE name = 'receipt seq';"
                "DROP TRIGGER stats_submission;"
                "DROP TRIGGER stats_document;"
                "DROP TRIGGER stats_document_final;"
                "DELETE FROM counters WHERE name = 'stats';"
                "DROP INDEX receipts_sender_seq;"
                "DROP INDEX submissions_time;"
                "ALTER TABLE receipts DROP COLUMN seq;"
                "CREATE INDEX receipts_sender ON receipts(sender, id);"
                "PRAGMA user_version = 2;");
    /* the port of step 2 published with one sequence: test 1,2,4,5 and other 3,6 */
    sql_exec(f, "INSERT INTO receipts(id, msg_type, msg_guid, doc_guid, status, created_at, xml, "
                "sender) VALUES "
                "(1, 304, 'G1', 'D1', '2', 't', '<a/>', 'test'),"
                "(2, 304, 'G2', 'D1', '120', 't', '<a/>', 'test'),"
                "(3, 900, 'G3', 'G3', '-0001', 't', '<a/>', 'other'),"
                "(4, 304, 'G4', 'D2', '2', 't', '<a/>', 'test'),"
                "(5, 304, 'G5', 'D2', '120', 't', '<a/>', 'test'),"
                "(6, 900, 'G6', 'G6', '-0001', 't', '<a/>', 'other'),"
                "(7, 900, 'G7', 'G7', '-0001', 't', '<a/>', NULL)");
    start(f); /* migrates to step 3 */
    receipt_ids(f, "test", 0, ids, sizeof(ids));
    assert_string_equal(ids, "1,2,4,5");
    receipt_ids(f, "other", 0, ids, sizeof(ids));
    assert_string_equal(ids, "3,6");
    /* cursors held before: test had applied 2, other 3 */
    receipt_ids(f, "test", 2, ids, sizeof(ids));
    assert_string_equal(ids, "4,5");
    receipt_ids(f, "other", 3, ids, sizeof(ids));
    assert_string_equal(ids, "6");
    /* test's next two follow its 5 (one sequence would have given 8 and 9), other's its 6 */
    submit_in_turns(f, xml, 11);
    receipt_ids(f, "test", 5, ids, sizeof(ids));
    assert_string_equal(ids, "6,7,8,9");
    receipt_ids(f, "other", 6, ids, sizeof(ids));
    assert_string_equal(ids, "7,8");
    free(xml);
}

/* Wait while the China day ends within 10 s, so that a test's messages fall on one day. */
static void one_china_day(void)
{
    while (cg_port_china_day(cg_port_now_ms()) != cg_port_china_day(cg_port_now_ms() + 10000))
        usleep(100000);
}

/*
 * Before: nothing bounded what one sender could make the port store, so a runaway client could
 * fill its disk for everybody. Now a sender has at most sender_daily_max messages recorded in a
 * China day (accepted, accepted again and refused alike); past it its messages are answered 429,
 * code 3998, before they are checked or stored, while other senders go on. The count is read
 * from the database at start-up.
 */
static void test_sender_daily_max(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_port_stats st;
    struct cg_err err;
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);
    char *o = order_n(xml, 2);
    char *json = NULL;
    const struct cg_port_sender *test;
    long stored = -1;
    long refused = -1;

    one_china_day();
    assert_int_equal(cg_conf_set(f->conf, "port", "sender_daily_max", "3", &err), CG_OK);
    add_other(f, "9999999999");
    start(f);
    test = &f->port->senders[0];
    assert_string_equal(test->name, "test");
    /* a message the database could not store is not one of the day's */
    assert_int_equal(cg_store_port_read_only(f->port->db, true, &err), CG_OK);
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, NULL, &res), CG_EDB);
    assert_string_equal(res.code, "3001");
    assert_int_equal(cg_store_port_read_only(f->port->db, false, &err), CG_OK);
    /* accepted, refused (0001 and its CEB900), accepted again: 3 */
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, NULL, &res), CG_OK);
    assert_int_equal(cg_port_submit(f->port, "test", "<x/>", 4, NULL, &res), CG_EREJECT);
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, NULL, &res), CG_OK);
    assert_true(res.duplicate);
    cg_port_quota_usage(f->port, test, cg_port_now_ms(), &stored, &refused);
    assert_int_equal(stored, 3);
    assert_int_equal(refused, 0);
    /* the fourth is not checked: a new order is refused all the same */
    assert_int_equal(cg_port_submit(f->port, "test", o, strlen(o), NULL, &res), CG_ERETRY);
    assert_string_equal(res.code, "3998");
    assert_int_equal(res.http_status, 429);
    assert_string_equal(res.guid, "");
    assert_non_null(strstr(res.text, "sender_daily_max, 3 a day in China time"));
    assert_int_equal(cg_port_result_json(&res, &json, &err), CG_OK);
    assert_non_null(strstr(json, "\"result\":\"retry\",\"code\":\"3998\""));
    free(json);
    /* nothing of it was recorded */
    assert_int_equal(cg_port_stats(f->port, &st, &err), CG_OK);
    assert_int_equal(st.received, 3);
    cg_port_quota_usage(f->port, test, cg_port_now_ms(), &stored, &refused);
    assert_int_equal(stored, 3);
    assert_int_equal(refused, 1);
    /* the other sender is not held back (its order, for its own code) */
    json = replace(o, "<ceb:ebpCode>3301964J31<", "<ceb:ebpCode>9999999999<");
    assert_int_equal(cg_port_submit(f->port, "other", json, strlen(json), NULL, &res), CG_OK);
    free(json);
    json = NULL;

    /* after a restart the day's count comes from the database; a row of another day is not
     * counted */
    cg_port_free(f->port);
    f->port = NULL;
    sql_exec(f, "INSERT INTO submissions(received_at, size, code, text, sender) "
                "VALUES ('2000-01-01T00:00:00Z', 1, '0001', 'old', 'test')");
    start(f);
    test = &f->port->senders[0];
    cg_port_quota_usage(f->port, test, cg_port_now_ms(), &stored, &refused);
    assert_int_equal(stored, 3);
    assert_int_equal(refused, 0);
    assert_int_equal(cg_port_submit(f->port, "test", o, strlen(o), NULL, &res), CG_ERETRY);
    assert_string_equal(res.code, "3998");
    assert_int_equal(cg_port_submit(f->port, "other", "<x/>", 4, NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0001");
    free(o);
    free(xml);
}

/*
 * sender_daily_max counts China days (UTC+8): the day 2025-12-01 runs from 2025-11-30T16:00:00Z
 * (Unix 1764518400) to 2025-12-01T16:00:00Z. Retry-After is the time left to its end, rounded
 * up; the next day starts from nothing; the count read at start-up is that of the day only.
 */
static void test_sender_daily_max_days(void **state)
{
    struct fix *f = *state;
    struct cg_err err;
    const struct cg_port_sender *test;
    const int64_t day = INT64_C(1764518400000); /* 2025-12-01 00:00 China time, in ms */
    long after = 0;
    long stored = -1;
    long refused = -1;

    assert_int_equal(cg_conf_set(f->conf, "port", "sender_daily_max", "1", &err), CG_OK);
    start(f);
    test = &f->port->senders[0];
    assert_int_equal(cg_port_china_day(day) - cg_port_china_day(day - 1), 1);
    assert_int_equal(cg_port_china_day(day + 86399999), cg_port_china_day(day));
    /* one message recorded at 00:00:00: the day is full */
    cg_port_quota_stored(f->port, test, false, day);
    assert_false(cg_port_quota_take(f->port, test, day + 3600 * 1000, &after));
    assert_int_equal(after, 23 * 3600);
    assert_false(cg_port_quota_take(f->port, test, day + 86399500, &after));
    assert_int_equal(after, 1);
    /* the next day starts from nothing: one admitted, which holds the day's one place */
    assert_true(cg_port_quota_take(f->port, test, day + 86400000, &after));
    assert_false(cg_port_quota_take(f->port, test, day + 86400001, &after));
    cg_port_quota_give_back(f->port, test);
    assert_true(cg_port_quota_take(f->port, test, day + 86400002, &after));
    cg_port_quota_give_back(f->port, test);

    /* read from the database: rows of the China day 2025-12-01 only */
    sql_exec(f, "INSERT INTO submissions(received_at, size, code, text, sender) VALUES "
                "('2025-11-30T15:59:59Z', 1, '0001', 'the day before', 'test'),"
                "('2025-11-30T16:00:00Z', 1, '0001', 'first second', 'test'),"
                "('2025-12-01T15:59:59Z', 1, '0000', 'last second', 'test'),"
                "('2025-12-01T12:00:00Z', 1, '0000', 'nobody', NULL),"
                "('2025-12-01T16:00:00Z', 1, '0001', 'the day after', 'test')");
    assert_int_equal(cg_port_quota_load(f->port, day + 10 * 3600 * 1000, &err), CG_OK);
    cg_port_quota_usage(f->port, test, day + 10 * 3600 * 1000, &stored, &refused);
    assert_int_equal(stored, 2);
}

/* Before: a receipts page had no byte bound (78 MB). Now a page stops at receipts_page_bytes. */
static void test_sec_receipts_page_bytes(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_err err;
    json_t *page;
    size_t len;
    size_t n;
    char *xml = slurp("CEB603Message.xml", &len);
    char *s = NULL;

    assert_int_equal(cg_conf_set(f->conf, "port", "receipts_page_bytes", "65536", &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "port", "fault_receipts_twice", "yes", &err), CG_OK);
    start(f);
    for (n = 0; n < 60; n++) {
        char *a;
        char *b;
        char g[40];

        snprintf(g, sizeof(g), "%012zu\"", n + 100);
        a = replace(xml, "000000000001\"", g);
        snprintf(g, sizeof(g), "00000000%04zu<", n + 100);
        b = replace(a, "0000000000A1<", g);
        free(a);
        snprintf(g, sizeof(g), "COP-PORT-%04zu", n + 100);
        a = replace(b, "COP-PORT-0001", g);
        free(b);
        assert_int_equal(cg_port_submit(f->port, "test", a, strlen(a), NULL, &res), CG_OK);
        free(a);
    }
    assert_int_equal(cg_port_receipts_json(f->port, "test", 0, 1000, &s, &err), CG_OK);
    assert_true(strlen(s) <= 65536 + 8192);
    page = json_loads(s, 0, NULL);
    assert_non_null(page);
    assert_true(json_array_size(json_object_get(page, "receipts")) >= 1);
    assert_true(json_is_true(json_object_get(page, "more")));
    json_decref(page);
    free(s);
    free(xml);
}

/*
 * Before: a sender's certificate could declare, modify and delete for another enterprise. Now a
 * document's enterprise code (the first field of its business key) must be one of the sender's
 * codes, and a modify or delete comes from the sender that added the document. Both refusals are
 * HTTP 422, final like any refusal of a message's content: they were 403, which the sending side
 * takes as refused credentials, so it kept such a document queued and sent it again every run.
 */
static void test_sec_codes(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);
    char *a;
    char *b;

    add_other(f, "9999999999");
    start(f);
    /* other declares an order for test's platform code 3301964J31 */
    a = replace(xml, "000000000001\"", "000000000011\"");
    b = replace(a, "0000000000A1<", "0000000000B1<");
    free(a);
    assert_int_equal(cg_port_submit(f->port, "other", b, strlen(b), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "4006");
    assert_int_equal(res.http_status, 422);
    assert_non_null(strstr(res.text, "ebpCode 3301964J31"));
    free(b);
    free(xml);
}

/*
 * Before: codes took any text ("hello world;DROP" started the port) and two senders could list
 * the same code, so one could add the other's business keys first (4002 for the other). A code
 * that is not an enterprise code, or that another sender lists, stops the port at start-up,
 * naming the section, the code (escaped) and why.
 */
static void test_sender_codes_config(void **state)
{
    static const struct {
        const char *codes;
        const char *msg;
    } bad[] = {
        {"hello world;DROP", "[sender.test]: codes: 'hello' is not an enterprise code: it has 5 "
                             "characters, where a customs registration code has 10 and a "
                             "unified social credit code 18"},
        {"3301964J31, world;DROP", "[sender.test]: codes: 'world;DROP' is not an enterprise code: "
                                   "letters of an enterprise code are upper case, as documents "
                                   "carry them (codes are compared exactly)"},
        {"WORLD;DROP", "[sender.test]: codes: 'WORLD;DROP' is not an enterprise code: an "
                       "enterprise code has only digits and upper-case letters"},
        {"3301964J3\x1b", "[sender.test]: codes: '3301964J3\\x1B' is not an enterprise code: an "
                          "enterprise code has only digits and upper-case letters"},
        {"\xe2\x80\xae"
         "3301964J31",
         "[sender.test]: codes: '\\u{202E}3301964J31' is not an "
         "enterprise code: it has 11 characters, where a customs "
         "registration code has 10 and a unified social credit code 18"},
        {"\xe6\x97\xa0",
         "[sender.test]: codes: '\xe6\x97\xa0' is not an enterprise code: it is what "
         "an order on a foreign platform writes for ebpCode; such an order is "
         "declared for its ebcCode, the seller's code, which goes in codes "
         "instead"},
        /* GB 32100: 91350100M000100Y43 is valid; 3 is its check character */
        {"91350100M000100Y44", "[sender.test]: codes: '91350100M000100Y44' is not an enterprise "
                               "code: its check character is not right for a unified social "
                               "credit code (GB 32100 gives 3 for the 17 before it)"},
        {"91350100I000100Y43", "[sender.test]: codes: '91350100I000100Y43' is not an enterprise "
                               "code: a unified social credit code has no letter I (GB 32100: no "
                               "I, O, S, V or Z)"},
    };
    struct fix *f = *state;
    struct cg_err err;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(cg_conf_set(f->conf, "sender.test", "codes", bad[i].codes, &err), CG_OK);
        assert_int_equal(cg_port_new(f->conf, &f->port, &err), CG_ECONFIG);
        assert_null(f->port);
        assert_string_equal(err.msg, bad[i].msg);
    }
    /* a 10-character customs code and an 18-character unified social credit code */
    assert_int_equal(
        cg_conf_set(f->conf, "sender.test", "codes", "3301964J31, 91350100M000100Y43", &err),
        CG_OK);
    add_other(f, "9999999999, 91110000802100433B");
    start(f);
    assert_int_equal(f->port->senders[0].ncodes, 2);
    assert_string_equal(f->port->senders[0].codes[1], "91350100M000100Y43");
    cg_port_free(f->port);
    f->port = NULL;
    /* a code two senders list, both named */
    add_other(f, "9999999999, 3301964J31");
    assert_int_equal(cg_port_new(f->conf, &f->port, &err), CG_ECONFIG);
    assert_string_equal(err.msg, "[sender.test] and [sender.other] both list code 3301964J31 in "
                                 "codes: an enterprise code is one sender's, the one that declares "
                                 "for it");
}

static void test_sec_modify_other_sender(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);
    char *a;
    char *b;

    add_other(f, "9999999999");
    start(f);
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, NULL, &res), CG_OK);
    a = replace(xml, "000000000001\"", "000000000012\"");
    b = replace(a, "0000000000A1<", "0000000000B2<");
    free(a);
    /* Only its own sender is told which document added the key. */
    assert_int_equal(cg_port_submit(f->port, "test", b, strlen(b), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "4002");
    assert_string_equal(res.text, "document A1B2C3D4-0303-4000-8000-0000000000B2 adds CEB303 "
                                  "ebpCode=3301964J31 orderNo=PORT-ORDER-0001, which document "
                                  "A1B2C3D4-0303-4000-8000-0000000000A1 already added (a change "
                                  "of that document needs appType 2; another document needs its "
                                  "own orderNo)");
    /* The platform's code moves to the other sender (no two senders hold one code at once):
     * the document stays the sender's that added it. Neither answer names that document (these
     * texts named its guid). */
    restart_codes(f, "4403960ABC", "3301964J31");
    assert_int_equal(cg_port_submit(f->port, "other", b, strlen(b), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "4002");
    assert_string_equal(res.text, "document A1B2C3D4-0303-4000-8000-0000000000B2 adds CEB303 "
                                  "ebpCode=3301964J31 orderNo=PORT-ORDER-0001, which another "
                                  "sender already added");
    a = replace(b, "<ceb:appType>1<", "<ceb:appType>2<");
    free(b);
    assert_int_equal(cg_port_submit(f->port, "other", a, strlen(a), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "4006");
    assert_int_equal(res.http_status, 422);
    assert_string_equal(res.text, "document A1B2C3D4-0303-4000-8000-0000000000B2 changes CEB303 "
                                  "ebpCode=3301964J31 orderNo=PORT-ORDER-0001, which another "
                                  "sender added");
    /* the sender that added it may change it (while it declares for the code) */
    restart_codes(f, "3301964J31", "9999999999");
    assert_int_equal(cg_port_submit(f->port, "test", a, strlen(a), NULL, &res), CG_OK);
    free(a);
    free(xml);
}

/*
 * An order on a foreign platform (ebpCode 无) is declared for its ebcCode: two sellers on the
 * same foreign platform may use the same order number, and neither may declare for the other.
 */
static void test_sec_foreign_platform(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);
    char *a;
    char *b;
    char *c;

    add_other(f, "9999999999");
    start(f);
    a = replace(xml, "<ceb:ebpCode>3301964J31<", "<ceb:ebpCode>\xe6\x97\xa0<");
    assert_int_equal(cg_port_submit(f->port, "test", a, strlen(a), NULL, &res), CG_OK);
    /* other, same platform and order number, its own ebcCode: a different order */
    b = replace(a, "000000000001\"", "000000000021\"");
    c = replace(b, "0000000000A1<", "0000000000C1<");
    free(b);
    b = replace(c, "<ceb:ebcCode>3301964J31<", "<ceb:ebcCode>9999999999<");
    assert_int_equal(cg_port_submit(f->port, "other", b, strlen(b), NULL, &res), CG_OK);
    free(b);
    /* other, declaring for test's ebcCode */
    b = replace(c, "000000000021\"", "000000000022\"");
    free(c);
    c = replace(b, "0000000000C1<", "0000000000C2<");
    free(b);
    assert_int_equal(cg_port_submit(f->port, "other", c, strlen(c), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "4006");
    assert_non_null(strstr(res.text, "ebcCode 3301964J31"));
    free(c);
    free(a);
    free(xml);
}

/* A body of n start tags, each with attrs attributes, nested depth deep at the start. */
static char *bomb(size_t n, size_t attrs, size_t depth, size_t *len)
{
    struct cg_buf b;
    size_t i;
    size_t j;

    cg_buf_init(&b, 1u << 26);
    for (i = 0; i < depth; i++)
        assert_int_equal(cg_buf_add(&b, "<d>", 3), CG_OK);
    for (i = 0; i < n; i++) {
        assert_int_equal(cg_buf_add(&b, "<e", 2), CG_OK);
        for (j = 0; j < attrs; j++)
            assert_int_equal(cg_buf_addf(&b, " a%zu=\"1\"", j), CG_OK);
        assert_int_equal(cg_buf_add(&b, "/>", 2), CG_OK);
    }
    for (i = 0; i < depth; i++)
        assert_int_equal(cg_buf_add(&b, "</d>", 4), CG_OK);
    *len = b.len;
    return cg_buf_take(&b);
}

/* A port for the bombs below: bodies up to 8 MiB, attributes bounded per element only, and
 * cpu_budget_ms as given. */
static void start_bombs(struct fix *f, const char *cpu_budget_ms)
{
    struct cg_err err;

    assert_int_equal(cg_conf_set(f->conf, "port", "max_body", "8388608", &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "port", "cpu_budget_ms", cpu_budget_ms, &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "port", "max_total_attributes", "10000000", &err), CG_OK);
    start(f);
}

/* Submit bomb(n, attrs, depth), kept in the fixture; the port's return code. */
static int submit_bomb(struct fix *f, size_t n, size_t attrs, size_t depth,
                       struct cg_port_result *res)
{
    size_t len;
    char *b = keep(f, bomb(n, attrs, depth, &len));

    return cg_port_submit(f->port, "test", b, len, NULL, res);
}

/*
 * Before: 100,000 attributes on one element cost ~20 s of CPU in libxml2. Now the shape is
 * bounded before libxml2 sees the body (0999 naming the limit). The CPU budget is as large as
 * it goes, so that a slow build (valgrind, sanitizers) answers with the bound, never 0998.
 */
static void test_sec_parse_bounds(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;

    start_bombs(f, "600000");
    assert_int_equal(submit_bomb(f, 1, 100000, 1, &res), CG_EREJECT);
    assert_string_equal(res.code, "0999");
    assert_non_null(strstr(res.text, "more than 64 attributes (max_attributes)"));
    /* at the limit: parsed (and refused as not CEB) */
    assert_int_equal(submit_bomb(f, 1, 64, 1, &res), CG_EREJECT);
    assert_string_equal(res.code, "0001");
    assert_int_equal(submit_bomb(f, 1, 1, 49, &res), CG_EREJECT);
    assert_string_equal(res.code, "0999");
    assert_non_null(strstr(res.text, "deeper than 48 (max_depth)"));
    assert_int_equal(submit_bomb(f, 200001, 0, 1, &res), CG_EREJECT);
    assert_string_equal(res.code, "0999");
    assert_non_null(strstr(res.text, "more than 200000 elements (max_elements)"));
}

/* A root holding n nodes of kind node ("<?a?>", "<!---->", "<![CDATA[]]>"). */
static char *nodes_bomb(size_t n, const char *node, size_t *len)
{
    struct cg_buf b;
    size_t i;

    cg_buf_init(&b, 1u << 26);
    assert_int_equal(cg_buf_add(&b, "<r>", 3), CG_OK);
    for (i = 0; i < n; i++)
        assert_int_equal(cg_buf_add(&b, node, strlen(node)), CG_OK);
    assert_int_equal(cg_buf_add(&b, "</r>", 4), CG_OK);
    *len = b.len;
    return cg_buf_take(&b);
}

/*
 * Before: comments, processing instructions and CDATA sections were skipped by the bounds, but
 * each is a node of libxml2's tree: 838,000 empty processing instructions in a 4 MiB body took
 * 113 MB to parse. They count as elements for max_elements.
 */
static void test_sec_parse_bounds_nodes(void **state)
{
    static const char *const kinds[] = {"<?a?>", "<!---->", "<![CDATA[]]>"};
    struct fix *f = *state;
    struct cg_port_result res;
    char *b;
    size_t len;
    size_t i;

    start_bombs(f, "600000");
    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        /* the root and 199,999 of them: 200,000 nodes, parsed (and refused as not CEB) */
        b = keep(f, nodes_bomb(199999, kinds[i], &len));
        assert_int_equal(cg_port_submit(f->port, "test", b, len, NULL, &res), CG_EREJECT);
        assert_string_equal(res.code, "0001");
        b = keep(f, nodes_bomb(200000, kinds[i], &len));
        assert_int_equal(cg_port_submit(f->port, "test", b, len, NULL, &res), CG_EREJECT);
        assert_string_equal(res.code, "0999");
        assert_non_null(strstr(res.text, "more than 200000 elements, comments, processing "
                                         "instructions and CDATA sections (max_elements)"));
    }
}

/*
 * The checks of one message have a CPU budget (0998). 150,000 elements with 5 attributes each
 * (6.7 MB) pass the bounds; parsing them takes hundreds of times the smallest budget, 10 ms, on
 * any machine, so the answer is the budget's and not the parser's 0001 (not a CEB message).
 */
static void test_sec_cpu_budget(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;

    start_bombs(f, "10");
    assert_int_equal(submit_bomb(f, 150000, 5, 1, &res), CG_EREJECT);
    assert_string_equal(res.code, "0998");
    assert_int_equal(res.http_status, 422);
    assert_non_null(strstr(res.text, "more than the limit of 10 ms (cpu_budget_ms)"));
}

/*
 * Before: libxml2 keeps each attribute as two nodes; 600,000 empty attributes, 64 to an
 * element, in a 4 MiB body took 150 MB to parse. Attributes are bounded in the whole message
 * (max_total_attributes, namespace declarations included), before parsing and while the body
 * arrives.
 */
static void test_sec_total_attributes(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_err err;
    char why[160];
    size_t len;
    size_t cut;
    char *b;

    assert_int_equal(cg_conf_set(f->conf, "port", "max_body", "4194304", &err), CG_OK);
    start(f);
    b = bomb(157, 64, 1, &len); /* 10,048 attributes */
    assert_int_equal(cg_port_submit(f->port, "test", b, len, NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0999");
    assert_string_equal(res.text, "message refused before parsing: it has more than 10000 "
                                  "attributes in all (max_total_attributes)");
    free(b);
    b = bomb(625, 16, 1, &len); /* 10,000: at the bound */
    assert_int_equal(cg_port_xml_bounds(f->port, b, len, why, sizeof(why)), CG_OK);
    assert_int_equal(cg_port_submit(f->port, "test", b, len, NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0001"); /* parsed, and not a CEB message */
    free(b);
    /* 504,000 attributes in 4 MB: refused from its first 128 KiB on */
    b = bomb(8000, 63, 1, &len);
    assert_true(len < 4194304);
    cut = cg_port_xml_bounds_prefix(b, 131072);
    assert_int_equal(cg_port_xml_bounds(f->port, b, cut, why, sizeof(why)), CG_EREJECT);
    assert_string_equal(why, "more than 10000 attributes in all (max_total_attributes)");
    free(b);
}

/*
 * The port holds a body still arriving to the bounds, judged up to its last '<'. A body at
 * every limit passes whole, so each of its beginnings must pass too (a bound passed early
 * would refuse a good message); the first 16 KiB of an attribute bomb are refused already.
 */
static void test_sec_bounds_prefix(void **state)
{
    struct fix *f = *state;
    struct cg_buf b;
    char why[160];
    size_t i;
    size_t cut;
    size_t len;
    char *bb;

    assert_int_equal(cg_port_xml_bounds_prefix("ab<c", 4), 2);
    assert_int_equal(cg_port_xml_bounds_prefix("ab<![CDAT", 9), 2);
    assert_int_equal(cg_port_xml_bounds_prefix("a<b<![CDAT", 10), 1); /* "<b<![CDA" is short too */
    assert_int_equal(cg_port_xml_bounds_prefix("ab<![CDATA[", 11), 11);
    assert_int_equal(cg_port_xml_bounds_prefix("abc", 3), 3);
    assert_int_equal(cg_port_xml_bounds_prefix("", 0), 0);
    start(f);
    /* 48 deep with 64 attributes on the outermost element, and in each element a comment, a
     * CDATA section and a PI whose first bytes, cut, look like a start tag one deeper */
    cg_buf_init(&b, 1u << 20);
    assert_int_equal(cg_buf_add(&b, "<?xml version=\"1.0\"?><!DOCTYPE d><d", 35), CG_OK);
    for (i = 0; i < 64; i++)
        assert_int_equal(cg_buf_addf(&b, " a%zu='1'", i), CG_OK);
    assert_int_equal(cg_buf_add(&b, ">", 1), CG_OK);
    for (i = 0; i < 48; i++)
        assert_int_equal(
            cg_buf_addf(&b, "%s<!-- <x<y<z --><![CDATA[<e a=\"1\">]]><?p <q?>", i > 0 ? "<d>" : ""),
            CG_OK);
    for (i = 0; i < 48; i++)
        assert_int_equal(cg_buf_add(&b, "</d>", 4), CG_OK);
    assert_int_equal(cg_port_xml_bounds(f->port, b.data, b.len, why, sizeof(why)), CG_OK);
    for (i = 0; i <= b.len; i++) {
        cut = cg_port_xml_bounds_prefix(b.data, i);
        assert_true(cut <= i);
        if (cg_port_xml_bounds(f->port, b.data, cut, why, sizeof(why)) != CG_OK)
            fail_msg("the first %zu bytes passed a bound the whole body keeps: %s", i, why);
    }
    cg_buf_free(&b);
    bb = bomb(1, 100000, 1, &len);
    assert_true(len > 16384);
    cut = cg_port_xml_bounds_prefix(bb, 16384);
    assert_int_equal(cg_port_xml_bounds(f->port, bb, cut, why, sizeof(why)), CG_EREJECT);
    assert_string_equal(why, "an element with more than 64 attributes (max_attributes)");
    free(bb);
}

/* ------------------------------------------------------------------ namespace bombs */

static void add_ext(X509 *x, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, nid, value);

    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

/* A fresh RSA key and a self-signed end-entity certificate for it: dir/sig.key, dir/sig.pem. */
static void make_signer_files(const char *dir)
{
    EVP_PKEY *key = EVP_RSA_gen(2048);
    X509 *x = X509_new();
    X509_NAME *name;
    char path[128];
    FILE *fp;

    assert_non_null(key);
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
    name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                (const unsigned char *)"port test signer", -1, -1,
                                                0),
                     1);
    assert_int_equal(X509_set_issuer_name(x, name), 1);
    assert_int_equal(X509_set_pubkey(x, key), 1);
    add_ext(x, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x, NID_key_usage, "critical,digitalSignature,nonRepudiation");
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    snprintf(path, sizeof(path), "%s/sig.key", dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL), 1);
    fclose(fp);
    snprintf(path, sizeof(path), "%s/sig.pem", dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(PEM_write_X509(fp, x), 1);
    fclose(fp);
    X509_free(x);
    EVP_PKEY_free(key);
}

/* The test order signed with the key of make_signer_files (whole: the signature matches). */
static char *signed_order(struct fix *f, size_t *len)
{
    struct cg_signer_opts o;
    struct cg_signer *s = NULL;
    struct cg_err err;
    char key[128];
    char cert[128];
    char *xml;
    char *signed_xml = NULL;
    size_t xlen;

    snprintf(key, sizeof(key), "%s/sig.key", f->dir);
    snprintf(cert, sizeof(cert), "%s/sig.pem", f->dir);
    memset(&o, 0, sizeof(o));
    o.kind = "local";
    o.alg = "rsa-sha256";
    o.key_file = key;
    o.cert_file = cert;
    o.key_name = "0000000000000001";
    if (cg_signer_new(&o, &s, &err) != CG_OK)
        fail_msg("cg_signer_new: %s", err.msg);
    xml = slurp("CEB303Message.xml", &xlen);
    if (cg_sign_xml(s, xml, xlen, "CEB303Message.xml", 0, &signed_xml, len, NULL, &err) != CG_OK)
        fail_msg("cg_sign_xml: %s", err.msg);
    cg_signer_free(s);
    free(xml);
    return signed_xml;
}

/*
 * The test order signed (signed_order), then levels nested elements each
 * declaring nsper namespaces, around leaves empty elements, put in before its ds:Signature:
 * the signature no longer matches, and canonicalizing the message to find that out costs the
 * square of the namespaces in scope for each of the elements.
 */
static char *ns_bomb(struct fix *f, size_t levels, size_t nsper, size_t leaves)
{
    struct cg_buf b;
    char *signed_xml;
    char *at;
    size_t signed_len = 0;
    size_t i;
    size_t j;

    signed_xml = signed_order(f, &signed_len);
    at = strstr(signed_xml, "<ds:Signature");
    assert_non_null(at);
    cg_buf_init(&b, 1u << 24);
    assert_int_equal(cg_buf_add(&b, signed_xml, (size_t)(at - signed_xml)), CG_OK);
    for (i = 0; i < levels; i++) {
        assert_int_equal(cg_buf_add(&b, "<e", 2), CG_OK);
        for (j = 0; j < nsper; j++)
            assert_int_equal(cg_buf_addf(&b, " xmlns:p%zu_%zu=\"urn:x:%zu:%zu\"", i, j, i, j),
                             CG_OK);
        assert_int_equal(cg_buf_add(&b, ">", 1), CG_OK);
    }
    for (i = 0; i < leaves; i++)
        assert_int_equal(cg_buf_add(&b, "<y/>", 4), CG_OK);
    for (i = 0; i < levels; i++)
        assert_int_equal(cg_buf_add(&b, "</e>", 4), CG_OK);
    assert_int_equal(cg_buf_add(&b, at, strlen(at)), CG_OK);
    free(signed_xml);
    return cg_buf_take(&b);
}

/*
 * Before: 45 nested elements declaring 60 namespaces each, around 1,000 empty elements, in a
 * 79 KB signed message took 48 s of CPU to verify (twice, the budget unchecked on a failed
 * signature) and was answered 1004. Namespace declarations are bounded on the bytes (0999).
 */
static void test_sec_ns_bounds(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_err err;
    const char *eight = "<a xmlns = 'u' xmlns:a=\"u\" xmlns:b\n=\n'u' xmlns:c='u' xmlnsd='u' "
                        "d:xmlns='u' xmlns:e='u' xmlns:f='u' xmlns:g='u' xmlns:h='u'/>";
    const char *nine = "<a xmlns = 'u' xmlns:a=\"u\" xmlns:b\n=\n'u' xmlns:c='u' xmlnsd='u' "
                       "d:xmlns='u' xmlns:e='u' xmlns:f='u' xmlns:g='u' xmlns:h='u' xmlns:i='u'/>";
    char why[160];
    char *b;

    assert_int_equal(cg_conf_set(f->conf, "port", "max_body", "1048576", &err), CG_OK);
    start(f);
    make_signer_files(f->dir);
    b = ns_bomb(f, 45, 60, 300);
    assert_int_equal(cg_port_submit(f->port, "test", b, strlen(b), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0999");
    assert_int_equal(res.http_status, 413);
    assert_string_equal(res.text, "message refused before parsing: it has an element with more "
                                  "than 8 namespace declarations (max_element_namespaces)");
    free(b);
    /* 8 on each of 3 elements: each element is within its bound, the message is not */
    b = ns_bomb(f, 3, 8, 1);
    assert_int_equal(cg_port_submit(f->port, "test", b, strlen(b), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0999");
    assert_string_equal(res.text, "message refused before parsing: it has more than 16 namespace "
                                  "declarations (max_namespaces)");
    free(b);
    /* within both bounds (with the message's own 3): verified, and the signature no longer
     * matches */
    b = ns_bomb(f, 2, 6, 1);
    assert_int_equal(cg_port_submit(f->port, "test", b, strlen(b), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "1004");
    free(b);
    /* what counts as a declaration: xmlns and xmlns:*, with any space around '='; xmlnsd and
     * d:xmlns are attributes */
    assert_int_equal(cg_port_xml_bounds(f->port, eight, strlen(eight), why, sizeof(why)), CG_OK);
    assert_int_equal(cg_port_xml_bounds(f->port, nine, strlen(nine), why, sizeof(why)), CG_EREJECT);
    assert_string_equal(why, "an element with more than 8 namespace declarations "
                             "(max_element_namespaces)");
}

/*
 * A message checked in-process with no sender (cg_port_submit's sender NULL) is attributed by
 * its signing certificate: the sender whose sign_cert signed it owns it. Before, it was refused
 * 1001 and the refusal's log line read the absent sender's name.
 */
static void test_submit_by_signer(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_err err;
    char pem[128];
    char *xml;
    size_t len = 0;

    make_signer_files(f->dir);
    snprintf(pem, sizeof(pem), "%s/sig.pem", f->dir);
    assert_int_equal(cg_conf_set(f->conf, "port", "require_signature", "yes", &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "port", "trust", pem, &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "sender.test", "sign_cert", pem, &err), CG_OK);
    start(f);
    xml = signed_order(f, &len);
    assert_int_equal(cg_port_submit(f->port, NULL, xml, len, NULL, &res), CG_OK);
    assert_string_equal(res.code, "0000");
    /* stored as test's: the same bytes from test are accepted again */
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, NULL, &res), CG_OK);
    assert_string_equal(res.code, "0000");
    assert_true(res.duplicate);
    free(xml);
}

/*
 * The same bomb within raised namespace bounds: the CPU budget is now checked after a failed
 * verification too, and before the second verification, so the answer is 0998, not 1004.
 * Verifying it takes tens of times the smallest budget, 10 ms, on any machine.
 */
static void test_sec_ns_cpu_budget(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_err err;
    char *b;

    assert_int_equal(cg_conf_set(f->conf, "port", "max_body", "1048576", &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "port", "max_namespaces", "1024", &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "port", "max_element_namespaces", "1024", &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "port", "cpu_budget_ms", "10", &err), CG_OK);
    start(f);
    make_signer_files(f->dir);
    b = keep(f, ns_bomb(f, 45, 20, 100));
    assert_int_equal(cg_port_submit(f->port, "test", b, strlen(b), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0998");
    assert_int_equal(res.http_status, 422);
    assert_non_null(strstr(res.text, "cpu_budget_ms"));
}

/* ------------------------------------------------------------------ summaries */

/* The test inventory as number n (guid, copNo, order and waybill), with lines lines. */
static char *inventory_n(int n, int lines)
{
    struct cg_buf b;
    size_t len;
    char *xml = slurp("CEB603Message.xml", &len);
    char *start = strstr(xml, "<ceb:InventoryList>");
    char *end = strstr(xml, "</ceb:InventoryList>");
    char *out;
    char *a;
    char from[64];
    char to[64];
    int i;

    assert_non_null(start);
    assert_non_null(end);
    end += strlen("</ceb:InventoryList>");
    cg_buf_init(&b, 1u << 24);
    assert_int_equal(cg_buf_add(&b, xml, (size_t)(start - xml)), CG_OK);
    for (i = 1; i <= lines; i++)
        assert_int_equal(cg_buf_addf(&b,
                                     "<ceb:InventoryList><ceb:gnum>%d</ceb:gnum>"
                                     "<ceb:itemNo>SKU-%d</ceb:itemNo><ceb:gcode>0902109000"
                                     "</ceb:gcode><ceb:gname>Green tea</ceb:gname><ceb:gmodel>"
                                     "250 g tin</ceb:gmodel><ceb:barCode>none</ceb:barCode>"
                                     "<ceb:country>502</ceb:country><ceb:currency>502"
                                     "</ceb:currency><ceb:qty>1</ceb:qty><ceb:qty1>1</ceb:qty1>"
                                     "<ceb:unit>011</ceb:unit><ceb:unit1>035</ceb:unit1>"
                                     "<ceb:price>1</ceb:price><ceb:totalPrice>1</ceb:totalPrice>"
                                     "</ceb:InventoryList>",
                                     i, i),
                         CG_OK);
    assert_int_equal(cg_buf_add(&b, end, strlen(end)), CG_OK);
    free(xml);
    out = cg_buf_take(&b);
    snprintf(from, sizeof(from), "000000000001\"");
    snprintf(to, sizeof(to), "0000000006%02d\"", n);
    a = replace(out, from, to);
    free(out);
    snprintf(to, sizeof(to), "00000000A6%02d<", n);
    out = replace(a, "0000000000A1<", to);
    free(a);
    snprintf(to, sizeof(to), "COP-PORT-06%02d<", n);
    a = replace(out, "COP-PORT-0001<", to);
    free(out);
    return a;
}

/* A summary (CEB701) number n of the test sender listing the invtNos given. */
static char *summary_n(int n, const char *const *invt, size_t ninvt)
{
    struct cg_buf b;
    size_t i;

    cg_buf_init(&b, 1u << 24);
    assert_int_equal(
        cg_buf_addf(&b,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ceb:CEB701Message "
                    "guid=\"A1B2C3D4-0701-4000-8000-0000000007%02d\" version=\"1.0\" "
                    "xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\"><ceb:SummaryApply>"
                    "<ceb:SummaryApplyHead><ceb:guid>A1B2C3D4-0701-4000-8000-00000000A7%02d"
                    "</ceb:guid><ceb:appType>1</ceb:appType><ceb:appTime>20260301101112"
                    "</ceb:appTime><ceb:appStatus>2</ceb:appStatus><ceb:customsCode>5141"
                    "</ceb:customsCode><ceb:copNo>SUM-%02d</ceb:copNo><ceb:agentCode>4403960ABC"
                    "</ceb:agentCode><ceb:agentName>Example Broker Ltd</ceb:agentName>"
                    "<ceb:ebcCode>3301964J31</ceb:ebcCode><ceb:ebcName>Example Seller Ltd"
                    "</ceb:ebcName><ceb:declAgentCode>4403960ABC</ceb:declAgentCode>"
                    "<ceb:declAgentName>Example Broker Ltd</ceb:declAgentName><ceb:summaryFlag>1"
                    "</ceb:summaryFlag><ceb:itemNameFlag>1</ceb:itemNameFlag><ceb:msgCount>1"
                    "</ceb:msgCount><ceb:msgSeqNo>1</ceb:msgSeqNo></ceb:SummaryApplyHead>",
                    n, n, n),
        CG_OK);
    for (i = 0; i < ninvt; i++)
        assert_int_equal(cg_buf_addf(&b,
                                     "<ceb:SummaryApplyList><ceb:invtNo>%s</ceb:invtNo>"
                                     "</ceb:SummaryApplyList>",
                                     invt[i]),
                         CG_OK);
    assert_int_equal(cg_buf_addf(&b, "</ceb:SummaryApply><ceb:BaseTransfer><ceb:copCode>4403960ABC"
                                     "</ceb:copCode><ceb:copName>Example Broker Ltd</ceb:copName>"
                                     "<ceb:dxpMode>DXP</ceb:dxpMode><ceb:dxpId>DXPENT0000000002"
                                     "</ceb:dxpId></ceb:BaseTransfer></ceb:CEB701Message>\n"),
                     CG_OK);
    return cg_buf_take(&b);
}

/*
 * Before: a CEB792 carried every line of every inventory its summary listed, once per listing:
 * one 91 KB summary listing the same invtNo 1,000 times made a 22 MB receipt (500 MB of memory
 * in the writer). A summary listing an invtNo twice is refused (4007), and so is one whose
 * inventories have more lines in all than max_summary_lines.
 */
static void test_sec_summary_bounds(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_err err;
    char invt[3][24];
    const char *list[2];
    const char *twice[1000];
    char *xml;
    int i;

    assert_int_equal(cg_conf_set(f->conf, "port", "max_body", "1048576", &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "port", "max_summary_lines", "100", &err), CG_OK);
    start(f);
    for (i = 0; i < 3; i++) {
        xml = inventory_n(i + 1, i < 2 ? 60 : 1);
        if (cg_port_submit(f->port, "test", xml, strlen(xml), NULL, &res) != CG_OK)
            fail_msg("inventory %d: %s %s", i + 1, res.code, res.text);
        free(xml);
        assert_int_equal(res.ndocs, 1);
        cg_strlcpy(invt[i], res.docs[0].invt_no, sizeof(invt[i]));
        if (i < 2)
            list[i] = invt[i];
    }
    /* the same invtNo 1,000 times */
    for (i = 0; i < 1000; i++)
        twice[i] = invt[0];
    xml = summary_n(1, twice, 1000);
    assert_int_equal(cg_port_submit(f->port, "test", xml, strlen(xml), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "4007");
    assert_int_equal(res.http_status, 422);
    assert_string_equal(res.text, "message A1B2C3D4-0701-4000-8000-000000000701: a summary lists "
                                  "each inventory once: SummaryApplyList 2 repeats the invtNo "
                                  "of an earlier one");
    free(xml);
    /* 60 + 60 lines are more than 100 */
    xml = summary_n(2, list, 2);
    assert_int_equal(cg_port_submit(f->port, "test", xml, strlen(xml), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "4007");
    assert_string_equal(res.text,
                        "message A1B2C3D4-0701-4000-8000-000000000702: the inventories a summary "
                        "lists may have at most 100 lines in all (max_summary_lines), all of which "
                        "its CEB792 carries; split it into several summaries");
    free(xml);
    /* 60 + 1 are not, and an invtNo of no inventory adds none */
    twice[0] = invt[0];
    twice[1] = invt[2];
    twice[2] = "51412026E999999999";
    xml = summary_n(3, twice, 3);
    if (cg_port_submit(f->port, "test", xml, strlen(xml), NULL, &res) != CG_OK)
        fail_msg("summary: %s %s", res.code, res.text);
    free(xml);
}

/*
 * Before: a document guid reused by another sender was answered with the guid of the message
 * that holds it, another sender's. Only the sender that used it learns which message did.
 */
static void test_sec_doc_guid_other_sender(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);
    char *a;
    char *b;

    add_other(f, "9999999999");
    start(f);
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, NULL, &res), CG_OK);
    /* another message (root guid) with the same document guid, for the other's own code */
    b = replace(xml, "000000000001\"", "000000000031\"");
    a = replace(b, "<ceb:ebpCode>3301964J31<", "<ceb:ebpCode>9999999999<");
    free(b);
    assert_int_equal(cg_port_submit(f->port, "other", a, strlen(a), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "4001");
    assert_int_equal(res.http_status, 409);
    assert_string_equal(res.text,
                        "document guid A1B2C3D4-0303-4000-8000-0000000000A1 was already used");
    assert_null(strstr(res.text, "A1B2C3D4-0303-4000-8000-000000000001"));
    /* its own sender is told which message used it */
    free(a);
    a = replace(xml, "000000000001\"", "000000000031\"");
    assert_int_equal(cg_port_submit(f->port, "test", a, strlen(a), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "4001");
    assert_string_equal(res.text, "document guid A1B2C3D4-0303-4000-8000-0000000000A1 was already "
                                  "used in message A1B2C3D4-0303-4000-8000-000000000001");
    free(a);
    free(xml);
}

/* Before: a guid holding "&#10;" wrote a forged line into the log. */
static void test_sec_guid_newline(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);
    char *a = replace(xml, "guid=\"A1B2C3D4-0303-4000-8000-000000000001\"",
                      "guid=\"A1&#10;port: accepted FORGED\"");

    start(f);
    assert_int_equal(cg_port_submit(f->port, "test", a, strlen(a), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0001");
    assert_null(strchr(res.text, '\n'));
    assert_null(strstr(res.guid, "FORGED"));
    free(a);
    free(xml);
}

/* in converted from UTF-8 to the encoding enc with iconv(3); *len its bytes */
static char *encode(const char *in, const char *enc, size_t *len)
{
    iconv_t cd = iconv_open(enc, "UTF-8");
    size_t inleft = strlen(in);
    size_t outsize = inleft * 4 + 4;
    size_t outleft = outsize;
    char *out = malloc(outsize);
    char *ip = (char *)(uintptr_t)in;
    char *op = out;

    assert_true(cd != (iconv_t)-1);
    assert_non_null(out);
    assert_true(iconv(cd, &ip, &inleft, &op, &outleft) != (size_t)-1);
    iconv_close(cd);
    *len = outsize - outleft;
    return out;
}

/*
 * Before: the bounds read a body's bytes as ASCII ('<', quotes, "xmlns"), but libxml2 decoded
 * whatever encoding a body declared or began with. An attribute bomb in EBCDIC (IBM037) has no
 * '<' byte at all: 30,000 attributes (319 KB) passed the bounds and took 10 s of CPU in the
 * parser before the CPU budget was looked at; in UTF-16 every "xmlns" has NUL bytes between its
 * letters, so namespace declarations were not counted. A CEB message is UTF-8: a body that
 * starts with anything but '<', white space or the UTF-8 byte order mark, has a NUL byte, or
 * names another encoding in its XML declaration is refused before it is parsed.
 */
static void test_sec_encoding(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_err err;
    const char *ok[] = {"\xef\xbb\xbf<?xml version='1.0' encoding = 'utf-8'?><a/>",
                        "<?xml version=\"1.0\"?><a/>", " \r\n<a/>",
                        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><a/>"};
    char why[160];
    char *plain;
    char *b;
    char *xml;
    size_t len;
    size_t i;

    assert_int_equal(cg_conf_set(f->conf, "port", "max_body", "1048576", &err), CG_OK);
    start(f);
    plain = bomb(1, 2000, 1, &len);
    xml = malloc(len + 64);
    assert_non_null(xml);
    snprintf(xml, len + 64, "<?xml version=\"1.0\" encoding=\"IBM037\"?>%s", plain);
    b = encode(xml, "IBM037", &len);
    assert_null(memchr(b, '<', len));
    assert_int_equal(cg_port_submit(f->port, "test", b, len, NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0001");
    assert_int_equal(res.http_status, 422);
    assert_string_equal(res.text, "message does not start with '<', white space or the UTF-8 byte "
                                  "order mark: a CEB message is XML in UTF-8");
    free(b);
    free(xml);
    free(plain);
    /* 10 namespace declarations on one element (max_element_namespaces is 8), in UTF-16 */
    b = encode("<e xmlns:n0='u' xmlns:n1='u' xmlns:n2='u' xmlns:n3='u' xmlns:n4='u' "
               "xmlns:n5='u' xmlns:n6='u' xmlns:n7='u' xmlns:n8='u' xmlns:n9='u'/>",
               "UTF-16LE", &len);
    assert_int_equal(cg_port_submit(f->port, "test", b, len, NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0001");
    assert_string_equal(res.text, "message is not UTF-8: byte 2 is a NUL byte (UTF-16 or "
                                  "UTF-32?); a CEB message is XML in UTF-8");
    free(b);
    xml = cg_strdup("<?xml version='1.0' encoding = \"ISO-8859-1\"?><a/>");
    assert_int_equal(cg_port_submit(f->port, "test", xml, strlen(xml), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0001");
    assert_string_equal(res.text, "the XML declaration names encoding ISO-8859-1: a CEB message "
                                  "is XML in UTF-8");
    free(xml);
    /* an encoding name that is no name is not repeated */
    xml = cg_strdup("<?xml version='1.0' encoding='<b>\x1b[1m'?><a/>");
    assert_int_equal(cg_port_submit(f->port, "test", xml, strlen(xml), NULL, &res), CG_EREJECT);
    assert_string_equal(res.text, "the XML declaration names an encoding other than UTF-8: a CEB "
                                  "message is XML in UTF-8");
    free(xml);
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        assert_int_equal(cg_port_xml_utf8(ok[i], strlen(ok[i]), why, sizeof(why)), CG_OK);
    /* the test order with a UTF-8 byte order mark, as the specification's samples have it */
    plain = slurp("CEB303Message.xml", &len);
    xml = malloc(len + 4);
    assert_non_null(xml);
    memcpy(xml, "\xef\xbb\xbf", 3);
    memcpy(xml + 3, plain, len);
    assert_int_equal(cg_port_submit(f->port, "test", xml, len + 3, NULL, &res), CG_OK);
    free(xml);
    free(plain);
}

/*
 * Before: a document guid is any 36 characters to the schema, so one holding a tab, a newline
 * and U+202E was accepted and came back as it was in the answer's documents, the receipts'
 * docGuid and `cebgate port --documents`, where it forged a row. A document guid is now held
 * to the rule of the root guid: 1 to 40 letters, digits and '-'.
 */
static void test_sec_doc_guid_chars(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);
    char *a = replace(xml, "<ceb:guid>A1B2C3D4-0303-4000-8000-0000000000A1<",
                      "<ceb:guid>A1B2C3D4&#9;303\t4000\nCEB303\tFORGED\t\xe2\x80\xaeXYZ<");

    start(f);
    assert_int_equal(cg_port_submit(f->port, "test", a, strlen(a), NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0002");
    assert_int_equal(res.http_status, 422);
    assert_string_equal(res.text, "message A1B2C3D4-0303-4000-8000-000000000001: entity 1 (Order): "
                                  "its guid is not 1 to 40 letters, digits and '-' (a UUID)");
    assert_int_equal(res.ndocs, 0);
    free(a);
    free(xml);
}

/*
 * Before: an order number is any 60 characters to the schema; one holding a newline and a tab
 * forged a row of `cebgate port --documents`, whose rows are tab-separated. Control characters
 * in a field are now printed escaped (\xNN), so every document is one row of 7 fields.
 */
static void test_sec_dump_documents_escaped(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_err err;
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);
    char *a = replace(xml, "PORT-ORDER-0001", "PO-1\nCEB303\tFAKE");
    char path[128];
    char line[1024];
    char *field;
    FILE *fp;
    int rows = 0;
    int tabs = 0;

    start(f);
    assert_int_equal(cg_port_submit(f->port, "test", a, strlen(a), NULL, &res), CG_OK);
    snprintf(path, sizeof(path), "%s/documents.tsv", f->dir);
    fp = fopen(path, "w+");
    assert_non_null(fp);
    assert_int_equal(cg_port_dump_documents(f->port->db_path, fp, &err), CG_OK);
    rewind(fp);
    while (fgets(line, sizeof(line), fp) != NULL) {
        rows++;
        line[strcspn(line, "\n")] = '\0';
        /* the third field: the business key */
        field = strchr(strchr(line, '\t') + 1, '\t') + 1;
        assert_int_equal(strcspn(field, "\t"), strlen("303|3301964J31|PO-1\\x0ACEB303\\x09FAKE"));
        assert_memory_equal(field, "303|3301964J31|PO-1\\x0ACEB303\\x09FAKE", strcspn(field, "\t"));
        for (field = line; (field = strchr(field, '\t')) != NULL; field++)
            tabs++;
    }
    fclose(fp);
    assert_int_equal(rows, 1);
    assert_int_equal(tabs, 6);
    free(a);
    free(xml);
}

/*
 * Before: a customsCode of 4 characters that are not all digits (the schema asks for a length
 * of 4 only) made the invtNo impossible to form; that failure was taken for the database's, so
 * the inventory was answered 3001 "send again", which the sender did without end, and every
 * group it was stored with was run again message by message. As documented, an inventory
 * without a 4-digit customsCode gets its invtNo from [port] customs_code (0000).
 */
static void test_sec_customs_code_chars(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    size_t len;
    char *xml = slurp("CEB603Message.xml", &len);
    char *a = replace(xml, "<ceb:customsCode>5141<", "<ceb:customsCode>AB@C<");
    char want[32];
    char day[9];

    start(f);
    assert_int_equal(cg_port_submit(f->port, "test", a, strlen(a), NULL, &res), CG_OK);
    assert_string_equal(res.code, "0000");
    assert_int_equal(res.ndocs, 1);
    cg_port_day8(cg_port_now_ms(), day);
    snprintf(want, sizeof(want), "0000%.4sE000000001", day);
    assert_string_equal(res.docs[0].invt_no, want);
    free(a);
    free(xml);
}

/*
 * Before: a DOCTYPE was refused only once libxml2 had parsed it, and the defaults an internal
 * subset declares cost the square of their number: 60,000 namespace defaults (1.6 MB) took
 * 4.8 s of CPU before the answer, past cpu_budget_ms. A DOCTYPE is now refused on the bytes.
 * The document after it is not well-formed (a second root), which libxml2 would answer instead
 * had it parsed the body; the CPU budget is as large as it goes, so that it never answers.
 */
static void test_sec_doctype_bytes(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_err err;
    struct cg_buf b;
    size_t len;
    size_t i;
    char *body;

    assert_int_equal(cg_conf_set(f->conf, "port", "max_body", "4194304", &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "port", "cpu_budget_ms", "600000", &err), CG_OK);
    start(f);
    cg_buf_init(&b, 1u << 24);
    assert_int_equal(
        cg_buf_addf(&b, "<?xml version=\"1.0\"?>\n<!-- a comment -->\n<!DOCTYPE a [<!ATTLIST a"),
        CG_OK);
    for (i = 0; i < 30000; i++)
        assert_int_equal(cg_buf_addf(&b, " xmlns:p%zu CDATA \"u%zu\"", i, i), CG_OK);
    assert_int_equal(cg_buf_addf(&b, ">]><a/><a/>"), CG_OK);
    len = b.len;
    body = keep(f, cg_buf_take(&b));
    assert_int_equal(cg_port_submit(f->port, "test", body, len, NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "0001");
    assert_string_equal(
        res.text, "message: a DOCTYPE declaration is not allowed (DTDs and entities are refused)");
}

/* cg_port_new() with [port] key = value refuses to start, saying msg. */
static void refused_at_start(struct fix *f, const char *key, const char *value, const char *msg)
{
    struct cg_port *p2 = NULL;
    struct cg_err err;

    assert_int_equal(cg_conf_set(f->conf, "port", key, value, &err), CG_OK);
    cg_err_clear(&err);
    assert_int_equal(cg_port_new(f->conf, &p2, &err), CG_ECONFIG);
    assert_null(p2);
    assert_string_equal(err.msg, msg);
}

/*
 * body_budget: a body takes what it declares (max_body while a chunked one arrives) before it is
 * read, or nothing when that would pass the budget; its buffer holds no more than it took; what
 * it took comes back however it ends, once; and the budget is whole again after many bodies.
 */
static void test_body_budget(void **state)
{
    struct fix *f = *state;
    struct cg_port_body a, b, c, d, e;
    struct cg_port_body many[16];
    struct cg_err err;
    char chunk[8193];
    size_t held;
    long refused;
    size_t i;
    size_t k;

    memset(chunk, '<', sizeof(chunk));
    assert_int_equal(cg_conf_set(f->conf, "port", "receipts_page_bytes", "65536", &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "port", "body_budget", "65536", &err), CG_OK);
    start(f); /* max_body 8192 */
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    memset(&c, 0, sizeof(c));
    memset(&d, 0, sizeof(d));
    memset(&e, 0, sizeof(e));
    assert_true(cg_port_body_open(f->port, &a, NULL, 8192, NULL));
    assert_true(cg_port_body_open(f->port, &b, NULL, -1, NULL)); /* chunked: max_body */
    cg_port_body_usage(f->port, &held, &refused);
    assert_int_equal(held, 16384);
    assert_int_equal(refused, 0);
    /* 16384 + 49153 > 65536: refused, nothing taken */
    assert_false(cg_port_body_open(f->port, &c, NULL, 49153, NULL));
    assert_int_equal(c.reserved, 0);
    cg_port_body_usage(f->port, &held, &refused);
    assert_int_equal(held, 16384);
    assert_int_equal(refused, 1);
    assert_true(cg_port_body_open(f->port, &c, NULL, 49152, NULL)); /* exactly the budget */
    assert_true(cg_port_body_open(f->port, &d, NULL, 0, NULL));
    assert_false(cg_port_body_open(f->port, &e, NULL, 1, NULL));
    cg_port_body_usage(f->port, &held, &refused);
    assert_int_equal(held, 65536);
    assert_int_equal(refused, 2);
    /* A body holds what it declared and not a byte more. */
    for (i = 0; i < 8192; i += 1000)
        assert_int_equal(cg_buf_add(&a.buf, chunk, i + 1000 <= 8192 ? 1000 : 8192 - i), CG_OK);
    assert_int_equal(a.buf.len, 8192);
    assert_true(a.buf.cap <= 8193);
    assert_int_equal(cg_buf_add(&a.buf, chunk, 1), CG_ENOMEM);
    for (i = 0; i < 49152; i += 8192)
        assert_int_equal(cg_buf_add(&c.buf, chunk, 8192), CG_OK);
    assert_true(c.buf.cap <= 49153);
    assert_int_equal(cg_buf_add(&c.buf, chunk, 1), CG_ENOMEM);
    /* A chunked body holds max_body at most, and gives back what it does not use once it ended. */
    assert_int_equal(cg_buf_add(&b.buf, chunk, 8192), CG_OK);
    assert_int_equal(cg_buf_add(&b.buf, chunk, 1), CG_ENOMEM);
    cg_buf_reset(&b.buf);
    assert_int_equal(cg_buf_add(&b.buf, chunk, 100), CG_OK);
    cg_port_body_fit(f->port, &b);
    cg_port_body_usage(f->port, &held, &refused);
    assert_int_equal(held, 65536 - 8092);
    cg_port_body_fit(f->port, &b);
    cg_port_body_usage(f->port, &held, &refused);
    assert_int_equal(held, 65536 - 8092);
    /* Closing gives back once; closing again (or a body that took nothing) gives back nothing. */
    cg_port_body_close(f->port, &b);
    cg_port_body_close(f->port, &b);
    cg_port_body_close(f->port, &e);
    cg_port_body_usage(f->port, &held, &refused);
    assert_int_equal(held, 8192 + 49152);
    assert_null(b.buf.data);
    cg_port_body_close(f->port, &a);
    cg_port_body_close(f->port, &c);
    cg_port_body_close(f->port, &d);
    cg_port_body_usage(f->port, &held, &refused);
    assert_int_equal(held, 0);
    /* Many bodies taken, refused, ended early or fitted: the budget is whole again after. */
    memset(many, 0, sizeof(many));
    for (k = 0; k < 1000; k++) {
        for (i = 0; i < 16; i++)
            (void)cg_port_body_open(f->port, &many[i], NULL, i % 4 == 0 ? -1 : (long)(k % 7) * 1000,
                                    NULL);
        for (i = 0; i < 16; i += 3)
            if (many[i].reserved > 0 && cg_buf_add(&many[i].buf, chunk, 1) == CG_OK)
                cg_port_body_fit(f->port, &many[i]);
        for (i = 0; i < 16; i++)
            cg_port_body_close(f->port, &many[i]);
    }
    cg_port_body_usage(f->port, &held, &refused);
    assert_int_equal(held, 0);
    assert_true(refused > 2);
    /* An answer built in a body's place keeps its length and gives back the rest. */
    assert_true(cg_port_body_open(f->port, &a, NULL, 65536, NULL));
    cg_port_body_keep(f->port, &a, 1000);
    cg_port_body_usage(f->port, &held, &refused);
    assert_int_equal(held, 1000);
    cg_port_body_close(f->port, &a);
    assert_true(cg_port_body_open(f->port, &a, NULL, 8192, NULL));
    assert_true(cg_port_body_open(f->port, &b, NULL, 8192, NULL));
    assert_true(cg_port_body_open(f->port, &c, NULL, 49152, NULL));
    assert_false(cg_port_body_open(f->port, &d, NULL, 1, NULL));
    cg_port_body_close(f->port, &a);
    cg_port_body_close(f->port, &b);
    cg_port_body_close(f->port, &c);
    /* A budget below max_body is refused at start-up, naming both keys. */
    refused_at_start(f, "body_budget", "8191",
                     "[port] body_budget (8191) is smaller than max_body (8192): a message of "
                     "max_body bytes could never be received");
    /* ... and one below receipts_page_bytes, as a page of receipts takes it too. */
    refused_at_start(f, "body_budget", "65535",
                     "[port] body_budget (65535) is smaller than receipts_page_bytes (65536): a "
                     "page of receipts could never be answered");
}

struct share_worker {
    struct cg_port *p;
    const struct cg_port_sender *s; /* NULL: a request taking no sender's share */
};

/* Bodies taken, refused, fitted, kept and closed over and over, beside other threads. */
static void *share_churn(void *arg)
{
    struct share_worker *w = arg;
    struct cg_port_body b[5];
    const char *over;
    size_t i;
    int k;

    memset(b, 0, sizeof(b));
    for (k = 0; k < 2000; k++) {
        for (i = 0; i < 5; i++) {
            over = NULL;
            if (!cg_port_body_open(w->p, &b[i], w->s, i == 0 ? -1 : (long)(k % 5) * 2000, &over) &&
                over == NULL)
                return w; /* a refusal named no key */
        }
        if (b[0].reserved > 0 && cg_buf_add(&b[0].buf, "<", 1) == CG_OK)
            cg_port_body_fit(w->p, &b[0]);
        if (b[1].reserved > 0)
            cg_port_body_keep(w->p, &b[1], 1);
        for (i = 0; i < 5; i++)
            cg_port_body_close(w->p, &b[i]);
    }
    return NULL;
}

/*
 * sender_budget: a body takes the same bytes from its sender's share as from body_budget. A
 * sender past its share is refused (naming sender_budget) with nothing taken, while another
 * sender's body still fits; a port that is full is refused naming body_budget, whatever the
 * sender's share. Both are given back together however a body ends, exactly
 * under concurrent requests. The default is a quarter of body_budget, at least max_body and
 * receipts_page_bytes; a share below either or above body_budget is refused at start-up.
 */
static void test_sender_budget(void **state)
{
    struct fix *f = *state;
    static const char tok_a[] = "test-token-0123456789abcdef";
    static const char tok_b[] = "other-token-0123456789abcdef";
    const struct cg_port_sender *sa;
    const struct cg_port_sender *sb;
    struct cg_port_body a[8], b1, b2, x, rest;
    struct share_worker w[4];
    pthread_t t[4];
    struct cg_port *p2 = NULL;
    struct cg_err err;
    const char *over;
    void *ret;
    size_t held;
    long refused;
    long port_refused;
    size_t i;

    add_other(f, "9999999999");
    assert_int_equal(cg_conf_set(f->conf, "port", "receipts_page_bytes", "65536", &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "port", "body_budget", "262144", &err), CG_OK);
    start(f); /* max_body 8192; sender_budget 0: a quarter of 262144 = 65536 */
    assert_int_equal(f->port->sender_budget, 65536);
    sa = cg_port_sender_by_token(f->port, tok_a, strlen(tok_a));
    sb = cg_port_sender_by_token(f->port, tok_b, strlen(tok_b));
    assert_non_null(sa);
    assert_non_null(sb);
    assert_ptr_not_equal(sa, sb);
    memset(a, 0, sizeof(a));
    memset(&b1, 0, sizeof(b1));
    memset(&b2, 0, sizeof(b2));
    memset(&x, 0, sizeof(x));
    memset(&rest, 0, sizeof(rest));
    /* A takes its whole share: 8 bodies of 8192 = 65536 */
    for (i = 0; i < 8; i++)
        assert_true(cg_port_body_open(f->port, &a[i], sa, 8192, NULL));
    cg_port_body_share(f->port, sa, &held, &refused);
    assert_int_equal(held, 65536);
    assert_int_equal(refused, 0);
    /* one more byte of A is refused, naming sender_budget, and takes nothing */
    over = NULL;
    assert_false(cg_port_body_open(f->port, &x, sa, 1, &over));
    assert_string_equal(over, "sender_budget");
    assert_int_equal(x.reserved, 0);
    assert_false(cg_port_body_open(f->port, &x, sa, -1, &over)); /* chunked: max_body */
    cg_port_body_share(f->port, sa, &held, &refused);
    assert_int_equal(held, 65536);
    assert_int_equal(refused, 2);
    cg_port_body_usage(f->port, &held, &port_refused);
    assert_int_equal(held, 65536);
    assert_int_equal(port_refused, 0);
    /* B still gets through, from its own share */
    assert_true(cg_port_body_open(f->port, &b1, sb, 8192, NULL));
    cg_port_body_share(f->port, sb, &held, &refused);
    assert_int_equal(held, 8192);
    cg_port_body_usage(f->port, &held, &port_refused);
    assert_int_equal(held, 65536 + 8192);
    /* the port full (a request of no sender takes the rest): B and A are refused for
     * body_budget, which is looked at first */
    assert_true(cg_port_body_open(f->port, &rest, NULL, 262144 - 65536 - 8192, NULL));
    assert_false(cg_port_body_open(f->port, &b2, sb, 1, &over));
    assert_string_equal(over, "body_budget");
    assert_false(cg_port_body_open(f->port, &x, sa, 1, &over));
    assert_string_equal(over, "body_budget");
    cg_port_body_usage(f->port, &held, &port_refused);
    assert_int_equal(held, 262144);
    assert_int_equal(port_refused, 2);
    cg_port_body_share(f->port, sb, &held, &refused);
    assert_int_equal(held, 8192);
    assert_int_equal(refused, 2);
    cg_port_body_close(f->port, &rest);
    /* A gets back what a body gives back: closed, fitted (chunked) and kept */
    cg_port_body_close(f->port, &a[0]);
    assert_true(cg_port_body_open(f->port, &a[0], sa, -1, NULL));
    assert_int_equal(cg_buf_add(&a[0].buf, "<a/>", 4), CG_OK);
    cg_port_body_fit(f->port, &a[0]);
    cg_port_body_keep(f->port, &a[1], 1000);
    cg_port_body_share(f->port, sa, &held, &refused);
    assert_int_equal(held, 4 + 1000 + 6 * 8192);
    assert_true(cg_port_body_open(f->port, &x, sa, 65536 - 4 - 1000 - 6 * 8192, NULL));
    assert_false(cg_port_body_open(f->port, &b2, sa, 1, NULL));
    cg_port_body_close(f->port, &x);
    cg_port_body_close(f->port, &x); /* again: nothing more */
    for (i = 0; i < 8; i++)
        cg_port_body_close(f->port, &a[i]);
    cg_port_body_close(f->port, &b1);
    cg_port_body_share(f->port, sa, &held, &refused);
    assert_int_equal(held, 0);
    cg_port_body_share(f->port, sb, &held, &refused);
    assert_int_equal(held, 0);
    cg_port_body_usage(f->port, &held, &port_refused);
    assert_int_equal(held, 0);
    /* two threads of A (together asking for more than its share), one of B, one of nobody:
     * nothing is left held */
    for (i = 0; i < 4; i++) {
        w[i].p = f->port;
        w[i].s = i < 2 ? sa : (i == 2 ? sb : NULL);
        assert_int_equal(pthread_create(&t[i], NULL, share_churn, &w[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], &ret), 0);
        assert_null(ret);
    }
    cg_port_body_share(f->port, sa, &held, &refused);
    assert_int_equal(held, 0);
    cg_port_body_share(f->port, sb, &held, &refused);
    assert_int_equal(held, 0);
    cg_port_body_usage(f->port, &held, &port_refused);
    assert_int_equal(held, 0);
    /* the default is never below max_body or receipts_page_bytes */
    assert_int_equal(cg_conf_set(f->conf, "port", "body_budget", "131072", &err), CG_OK);
    assert_int_equal(cg_port_new(f->conf, &p2, &err), CG_OK);
    assert_int_equal(p2->sender_budget, 65536); /* not 131072 / 4 */
    cg_port_free(p2);
    p2 = NULL;
    /* a share that cannot hold one body or page, or is larger than the whole, is refused */
    refused_at_start(f, "sender_budget", "8191",
                     "[port] sender_budget (8191) is smaller than max_body (8192): a message of "
                     "max_body bytes could never be received");
    refused_at_start(f, "sender_budget", "65535",
                     "[port] sender_budget (65535) is smaller than receipts_page_bytes (65536): a "
                     "page of receipts could never be answered");
    refused_at_start(f, "sender_budget", "131073",
                     "[port] sender_budget (131073) is larger than body_budget (131072): one "
                     "sender's share is at most the whole (0 for a quarter of it)");
    assert_int_equal(cg_conf_set(f->conf, "port", "sender_budget", "131072", &err), CG_OK);
    assert_int_equal(cg_port_new(f->conf, &p2, &err), CG_OK);
    assert_int_equal(p2->sender_budget, 131072);
    cg_port_free(p2);
}

/*
 * A message the checks refused waits for the writer (which records the refusal) holding only
 * its answer: its parsed trees (tens of times the body: 200,000 elements in 1.6 MB took 53 MB)
 * are freed when the checks end.
 */
static void test_refused_job_frees_trees(void **state)
{
    struct fix *f = *state;
    struct cg_port_job *j = NULL;
    const char *xml = "<ceb:CEB303Message xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\" "
                      "guid=\"A1B2C3D4-0303-4000-8000-000000000777\" version=\"1.0\">"
                      "<a>x</a><a>y</a></ceb:CEB303Message>";

    start(f);
    assert_int_equal(cg_port_job_check(f->port, xml, strlen(xml), "test", NULL, &j), CG_OK);
    assert_string_equal(j->res.code, "0002");
    assert_false(j->store);
    assert_null(j->doc);
    assert_null(j->env);
    assert_null(j->inner);
    assert_null(j->ents);
    /* ... and the refusal is recorded as before */
    cg_port_jobs_store(f->port, &j, 1);
    assert_string_equal(j->res.code, "0002");
    /* the message is on one line: the answer names the first of the two unexpected a by its
     * path, without a line */
    assert_string_equal(j->res.text, "message A1B2C3D4-0303-4000-8000-000000000777 fails the "
                                     "202205 schema: element /CEB303Message/a[1]: This element is "
                                     "not expected. Expected is ( Order ).");
    cg_port_job_free(j);
}

/* The first column of the one row sql (one parameter, arg) gives in the port's database. */
static char *db_column(struct fix *f, const char *sql, const char *arg, size_t *len)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *out;

    assert_int_equal(sqlite3_open_v2(f->port->db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    *len = (size_t)sqlite3_column_bytes(st, 0);
    out = malloc(*len + 1);
    assert_non_null(out);
    memcpy(out, sqlite3_column_blob(st, 0), *len);
    out[*len] = '\0';
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

/*
 * A message that passed the checks waits for the writer holding its CEB bytes and its
 * documents as JSON text, not its parsed trees (tens of times the body, and body_budget counts
 * only bodies); the writer stores from that text exactly what it stored from the trees: the
 * message's bytes as unwrapped from its DxpMsg and the document as the port keeps it, every
 * leaf of the head and of each list line in the order of the message, then the preNo.
 */
static void test_accepted_job_frees_trees(void **state)
{
    struct fix *f = *state;
    struct cg_port_job *j = NULL;
    size_t len;
    size_t n;
    char *xml = slurp("CEB303Message.xml", &len);
    char *env = dxp_envelope(xml, len, "COP-MSG-0001");
    char *stored;
    char *doc;
    char day[9];
    char want[2048];

    start(f);
    cg_port_day8(cg_port_now_ms(), day);
    assert_int_equal(cg_port_job_check(f->port, env, strlen(env), "test", &f->port->senders[0], &j),
                     CG_OK);
    assert_true(j->store);
    assert_null(j->doc);
    assert_null(j->env);
    assert_null(j->ents);
    /* what it keeps: the CEB bytes out of the envelope, the document as text */
    assert_int_equal(j->xml_len, len);
    assert_memory_equal(j->xml, xml, len);
    assert_non_null(j->ents_json);
    cg_port_jobs_store(f->port, &j, 1);
    assert_string_equal(j->res.code, "0000");
    assert_int_equal(j->res.ndocs, 1);
    assert_string_equal(j->res.docs[0].guid, "A1B2C3D4-0303-4000-8000-0000000000A1");
    /* the first preNo of the day: B, the day in China time, serial 1 in 9 digits */
    snprintf(want, sizeof(want), "B%s000000001", day);
    assert_string_equal(j->res.docs[0].pre_no, want);
    cg_port_job_free(j);

    stored = db_column(f, "SELECT xml FROM messages WHERE guid = ?1",
                       "A1B2C3D4-0303-4000-8000-000000000001", &n);
    assert_int_equal(n, len);
    assert_memory_equal(stored, xml, len);
    doc = db_column(f, "SELECT doc FROM documents WHERE guid = ?1",
                    "A1B2C3D4-0303-4000-8000-0000000000A1", &n);
    snprintf(want, sizeof(want),
             "{\"guid\":\"A1B2C3D4-0303-4000-8000-0000000000A1\",\"appType\":\"1\","
             "\"appTime\":\"20260301101500\",\"appStatus\":\"2\",\"orderType\":\"E\","
             "\"orderNo\":\"PORT-ORDER-0001\",\"ebpCode\":\"3301964J31\","
             "\"ebpName\":\"Example Platform Ltd\",\"ebcCode\":\"3301964J31\","
             "\"ebcName\":\"Example Seller Ltd\",\"goodsValue\":\"59.90\",\"freight\":\"0\","
             "\"currency\":\"502\",\"items\":["
             "{\"gnum\":\"1\",\"itemNo\":\"SKU-TEA-01\",\"itemName\":\"Green tea 250 g\","
             "\"unit\":\"011\",\"currency\":\"502\",\"qty\":\"2\",\"price\":\"19.95\","
             "\"totalPrice\":\"39.90\"},"
             "{\"gnum\":\"2\",\"itemNo\":\"SKU-CUP-02\",\"itemName\":\"Tea cup\","
             "\"unit\":\"011\",\"currency\":\"502\",\"qty\":\"1\",\"price\":\"20\","
             "\"totalPrice\":\"20.00\"}],"
             "\"preNo\":\"B%s000000001\"}",
             day);
    assert_string_equal(doc, want);
    free(doc);
    free(stored);
    free(env);
    free(xml);
}

/* metrics = local: which client addresses are this host's (loopback) ones. */
static void test_addr_loopback(void **state)
{
    static const struct {
        const char *addr;
        bool local;
    } cases[] = {{"127.0.0.1", true},        {"127.255.0.9", true},      {"128.0.0.1", false},
                 {"10.0.0.1", false},        {"0.0.0.0", false},         {"::1", true},
                 {"::ffff:127.0.0.1", true}, {"::ffff:10.0.0.1", false}, {"::", false},
                 {"fe80::1", false},         {"2001:db8::1", false}};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;

        memset(&v4, 0, sizeof(v4));
        memset(&v6, 0, sizeof(v6));
        if (inet_pton(AF_INET, cases[i].addr, &v4.sin_addr) == 1) {
            v4.sin_family = AF_INET;
            assert_int_equal(cg_port_addr_loopback((struct sockaddr *)&v4), cases[i].local);
        } else {
            assert_int_equal(inet_pton(AF_INET6, cases[i].addr, &v6.sin6_addr), 1);
            v6.sin6_family = AF_INET6;
            assert_int_equal(cg_port_addr_loopback((struct sockaddr *)&v6), cases[i].local);
        }
    }
    assert_false(cg_port_addr_loopback(NULL));
}

/* A sender's own daily_max replaces [port] sender_daily_max for it: 0 lifts the limit for one
 * sender, 1 holds another to one message a day; the answer names the sender's own limit. */
static void test_sender_daily_max_own(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_err err;
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);
    char *o = order_n(xml, 2);
    int i;

    one_china_day();
    assert_int_equal(cg_conf_set(f->conf, "port", "sender_daily_max", "2", &err), CG_OK);
    assert_int_equal(cg_conf_set(f->conf, "sender.test", "daily_max", "0", &err), CG_OK);
    add_other(f, "9999999999");
    assert_int_equal(cg_conf_set(f->conf, "sender.other", "daily_max", "1", &err), CG_OK);
    start(f);
    /* test: five messages, past the port's 2, all taken */
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, NULL, &res), CG_OK);
    for (i = 0; i < 4; i++)
        assert_int_equal(cg_port_submit(f->port, "test", "<x/>", 4, NULL, &res), CG_EREJECT);
    /* other: one (for its own code), then 429 naming its own limit */
    free(xml);
    xml = replace(o, "<ceb:ebpCode>3301964J31<", "<ceb:ebpCode>9999999999<");
    assert_int_equal(cg_port_submit(f->port, "other", xml, strlen(xml), NULL, &res), CG_OK);
    assert_int_equal(cg_port_submit(f->port, "other", "<x/>", 4, NULL, &res), CG_ERETRY);
    assert_string_equal(res.code, "3998");
    assert_string_equal(res.text, "this sender has had as many messages recorded today as it may "
                                  "(its daily_max, 1 a day in China time): nothing was read or "
                                  "stored; send again after 00:00 China time");
    free(o);
    free(xml);
}

/* ------------------------------------------------------------------ answers and the log */

/* The log goes to a temporary file at info level until log_end(), which returns its text. */
static FILE *log_start(enum cg_log_level *was)
{
    FILE *fp = tmpfile();

    assert_non_null(fp);
    *was = cg_log_get_level();
    cg_log_set_stream(fp);
    cg_log_set_level(CG_LOG_INFO);
    return fp;
}

static char *log_end(FILE *fp, enum cg_log_level was)
{
    char *text = calloc(1, 65536);
    size_t n;

    cg_log_set_stream(NULL);
    cg_log_set_level(was);
    assert_non_null(text);
    rewind(fp);
    n = fread(text, 1, 65535, fp);
    text[n] = '\0';
    fclose(fp);
    return text;
}

static int count_in(const char *text, const char *what)
{
    int n = 0;

    for (const char *at = strstr(text, what); at != NULL; at = strstr(at + 1, what))
        n++;
    return n;
}

#define SYSTEM_ERROR_TEXT "system error, nothing was stored; send again"

/*
 * Before: with the database on a full disk a message was answered 3001 with the database's
 * path and SQLite's words, a refusal that could not be recorded was answered as a final
 * refusal anyway, the failures to store were not logged and those to record a refusal were
 * logged once a request. Now both are answered 3001 with a text of no detail (nothing of them
 * is recorded: the sender sends again), and the log has the error once a minute for the port.
 */
static void test_sec_store_failure(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    struct cg_port_stats st;
    enum cg_log_level was;
    struct cg_err err;
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);
    bool quota = false;
    char *text;
    FILE *fp;
    int i;

    start(f);
    fp = log_start(&was);
    assert_int_equal(cg_store_port_read_only(f->port->db, true, &err), CG_OK);
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, "192.0.2.7", &res), CG_EDB);
    assert_string_equal(res.code, "3001");
    assert_int_equal(res.http_status, 500);
    assert_string_equal(res.text, SYSTEM_ERROR_TEXT);
    /* a refusal (0001) that cannot be recorded is not answered as final */
    for (i = 0; i < 5; i++) {
        assert_int_equal(cg_port_submit(f->port, "test", "<x/>", 4, "192.0.2.7", &res), CG_EDB);
        assert_string_equal(res.code, "3001");
        assert_int_equal(res.http_status, 500);
        assert_string_equal(res.text, SYSTEM_ERROR_TEXT);
    }
    /* a refusal decided before the checks (413 on Content-Length) is not answered either */
    assert_false(cg_port_record_refusal(f->port, "0999", "message of 9000 bytes is larger", 9000,
                                        "192.0.2.7", &f->port->senders[0], &quota));
    assert_int_equal(cg_store_port_read_only(f->port->db, false, &err), CG_OK);
    assert_int_equal(cg_port_stats(f->port, &st, &err), CG_OK);
    assert_int_equal(st.received, 0);
    /* once it can be recorded, the refusal is answered and recorded */
    assert_int_equal(cg_port_submit(f->port, "test", "<x/>", 4, "192.0.2.7", &res), CG_EREJECT);
    assert_string_equal(res.code, "0001");
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, "192.0.2.7", &res), CG_OK);
    assert_int_equal(cg_port_stats(f->port, &st, &err), CG_OK);
    assert_int_equal(st.received, 2);
    assert_int_equal(st.rejected, 1);
    text = log_end(fp, was);
    /* one line for the six failures, naming the sender, with the database's error */
    assert_int_equal(count_in(text, "answered 3001"), 1);
    assert_int_equal(count_in(text, "error: port: could not store message "
                                    "A1B2C3D4-0303-4000-8000-000000000001 from sender test "
                                    "(192.0.2.7), answered 3001: "),
                     1);
    assert_non_null(strstr(text, "readonly database"));
    /* the answers are logged with the sender that sent them */
    assert_int_equal(count_in(text, "info: port: refused a message from sender test (192.0.2.7): "
                                    "0001 "),
                     1);
    assert_int_equal(count_in(text, "info: port: accepted A1B2C3D4-0303-4000-8000-000000000001 "
                                    "CEB303 (1 documents) from sender test (192.0.2.7)"),
                     1);
    free(text);
    free(xml);
}

/* Every line of text is a whole log line: "cebgate: " first, no control byte but its end. */
static void assert_log_lines_whole(const char *text)
{
    const char *line = text;

    while (*line != '\0') {
        const char *end = strchr(line, '\n');

        assert_non_null(end);
        assert_memory_equal(line, "cebgate: ", 9);
        for (const char *c = line; c < end; c++)
            assert_true((unsigned char)*c >= 0x20 && *c != 0x7f);
        line = end + 1;
    }
}

/*
 * Before: at debug level libxml2's messages were logged as libxml2 wrote them, and they quote
 * the message. A namespace URI written with &#10; and &#x9B; (the 8-bit CSI of the terminal
 * escapes) put a forged "cebgate: error:" line and a terminal escape into the log; a name with
 * U+200C hid a character. Now they are escaped as the answers are (core/text.h). A raw ESC
 * libxml2 refuses and names by its value, which the line shows as it is.
 */
static void test_sec_libxml2_log_escaped(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    enum cg_log_level was;
    const char body[] = "<x xmlns:p=\"&#10;cebgate: error: forged&#x9B;2J\">\n"
                        "<a\xE2\x80\x8C>\x1b[2J\n"
                        "</b></x>";
    const char lines[] = "cebgate: debug: libxml2: (memory):1: xmlns:p: "
                         "'\\x0Acebgate: error: forged\\u{009B}2J' is not a valid URI\n"
                         "cebgate: debug: libxml2: (memory):2: PCDATA invalid Char value 27\n"
                         "cebgate: debug: libxml2: (memory):3: Opening and ending tag mismatch: "
                         "a\\u{200C} line 2 and b\n"
                         "cebgate: info: port: refused a message from sender test (192.0.2.9): ";
    char *text;
    FILE *fp;

    start(f);
    fp = log_start(&was);
    cg_log_set_level(CG_LOG_DEBUG);
    assert_int_equal(cg_port_submit(f->port, "test", body, sizeof(body) - 1, "192.0.2.9", &res),
                     CG_EREJECT);
    text = log_end(fp, was);
    assert_string_equal(res.code, "0001");
    /* libxml2's three messages, in order, then the answer's line */
    assert_memory_equal(text, lines, sizeof(lines) - 1);
    assert_int_equal(count_in(text, "\n"), 4);
    assert_null(strstr(text, "\xC2\x9B"));
    assert_null(strstr(text, "\xE2\x80\x8C"));
    assert_log_lines_whole(text);
    free(text);
}

/* xmlsec's messages take the same way: an ESC and a newline in any part of one are escaped. */
static void test_sec_xmlsec_log_escaped(void **state)
{
    enum cg_log_level was;
    char *text;
    FILE *fp;

    (void)state;
    fp = log_start(&was);
    cg_log_set_level(CG_LOG_DEBUG);
    xmlSecError("test-port.c", 1, "check", "node\x1b[31m", "href\n", XMLSEC_ERRORS_R_INVALID_NODE,
                "name=%s", "x\x1b]0;t\x07\ncebgate: error: forged");
    text = log_end(fp, was);
    assert_string_equal(text, "cebgate: debug: xmlsec: check: node\\x1B[31m/href\\x0A: reason 21: "
                              "name=x\\x1B]0;t\\x07\\x0Acebgate: error: forged\n");
    free(text);
}

static void mhd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mhd_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cg_port_mhd_log(NULL, fmt, ap);
    va_end(ap);
}

/*
 * Before: libmicrohttpd's messages were logged as it wrote them. When a client resets the
 * connection before its answer is sent, libmicrohttpd names the request's URL as decoded from
 * %XX: "/x%1B[31m%0Acebgate: error: forged" put a terminal escape and a forged line into the
 * log. Now the line is escaped as the answers are, and nothing is formatted below debug level.
 */
static void test_sec_mhd_log_escaped(void **state)
{
    enum cg_log_level was;
    char *text;
    FILE *fp;

    (void)state;
    fp = log_start(&was);
    cg_log_set_level(CG_LOG_DEBUG);
    mhd_log("Failed to send the response headers for the request for `%s'. Error: %s\n",
            "/x\x1b[31m\ncebgate: error: forged\xC2\x9B\xE2\x80\x8C\xFF",
            "The connection was forcibly closed by remote peer");
    cg_log_set_level(CG_LOG_INFO);
    mhd_log("Failed to send data in request for %s.\n", "/y\x1b[2J");
    text = log_end(fp, was);
    assert_string_equal(text, "cebgate: debug: port: libmicrohttpd: Failed to send the response "
                              "headers for the request for `/x\\x1B[31m\\x0Acebgate: error: "
                              "forged\\u{009B}\\u{200C}\\xFF'. Error: The connection was "
                              "forcibly closed by remote peer\n");
    free(text);
}

/*
 * A line of a key is logged once a minute at most, with the count of those held back; keys
 * beyond the table's places share its last one, so any number of addresses logs a bounded
 * number of lines.
 */
static void test_log_allow(void **state)
{
    struct fix *f = *state;
    const int64_t t0 = INT64_C(1000000);
    char key[32];
    char note[96];
    long held = -1;
    int i;

    start(f);
    assert_true(cg_port_log_allow(f->port, "401 a", t0, &held));
    assert_int_equal(held, 0);
    assert_false(cg_port_log_allow(f->port, "401 a", t0 + 1, &held));
    assert_false(cg_port_log_allow(f->port, "401 a", t0 + 59999, &held));
    assert_true(cg_port_log_allow(f->port, "401 b", t0 + 2, &held)); /* another key */
    assert_true(cg_port_log_allow(f->port, "401 a", t0 + 60000, &held));
    assert_int_equal(held, 2);
    assert_false(cg_port_log_allow(f->port, "401 a", t0 + 60001, &held));
    assert_true(cg_port_log_allow(f->port, "401 a", t0 + 120001, &held));
    assert_int_equal(held, 1);
    cg_port_log_held(held, note, sizeof(note));
    assert_string_equal(note, " (and 1 more like it not logged in between)");
    cg_port_log_held(0, note, sizeof(note));
    assert_string_equal(note, "");

    /* "401 a" and "401 b" hold two of the 63 places of their own; 61 more fill them */
    for (i = 0; i < CG_PORT_LOG_SLOTS - 3; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_true(cg_port_log_allow(f->port, key, t0 + 120002, &held));
    }
    /* "401 b" (last logged at t0 + 2) made way: one more key has a place of its own */
    assert_true(cg_port_log_allow(f->port, "k-own", t0 + 120003, &held));
    /* every place logged within the minute: the others share the last one */
    assert_true(cg_port_log_allow(f->port, "x1", t0 + 120004, &held));
    assert_false(cg_port_log_allow(f->port, "x2", t0 + 120005, &held));
    assert_false(cg_port_log_allow(f->port, "x3", t0 + 120006, &held));
    assert_false(cg_port_log_allow(f->port, "k0", t0 + 120007, &held)); /* its own place */
    assert_true(cg_port_log_allow(f->port, "x4", t0 + 180004, &held));
    assert_int_equal(held, 2);
}

/*
 * Before: the port's own failures took places in the same table as the client addresses, so
 * after a flood of bad requests from more addresses than it has places, a full disk was not
 * logged until the shared place's minute was over. Now each of them has a place of its own and
 * is logged at once, while one flooding address is still logged once a minute with its count.
 */
static void test_log_own_not_starved(void **state)
{
    struct fix *f = *state;
    const int64_t t0 = INT64_C(1000000);
    const char *flood = "401 192.0.2.1 the token is not that of any sender";
    char key[64];
    long held = -1;
    int allowed = 0;
    int i;

    start(f);
    assert_true(cg_port_log_allow(f->port, flood, t0, &held));
    assert_int_equal(held, 0);
    /* 1,000 addresses: 62 take the other places of their own, the 63rd the shared one's line;
     * the other 937 are held back */
    for (i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "401 10.0.%d.%d the token is not that of any sender", i / 256,
                 i % 256);
        if (cg_port_log_allow(f->port, key, t0 + 1, &held))
            allowed++;
    }
    assert_int_equal(allowed, CG_PORT_LOG_SLOTS - 1);
    /* every own failure is logged at once, with nothing held back */
    assert_true(cg_port_log_allow_own(f->port, CG_PORT_OWN_PUBLISH, t0 + 2, &held));
    assert_int_equal(held, 0);
    assert_true(cg_port_log_allow_own(f->port, CG_PORT_OWN_STORE, t0 + 2, &held));
    assert_true(cg_port_log_allow_own(f->port, CG_PORT_OWN_READ, t0 + 2, &held));
    assert_true(cg_port_log_allow_own(f->port, CG_PORT_OWN_GROUP, t0 + 2, &held));
    /* ... and is itself bounded: once a minute, with the count */
    assert_false(cg_port_log_allow_own(f->port, CG_PORT_OWN_PUBLISH, t0 + 3, &held));
    assert_false(cg_port_log_allow_own(f->port, CG_PORT_OWN_PUBLISH, t0 + 60001, &held));
    assert_true(cg_port_log_allow_own(f->port, CG_PORT_OWN_PUBLISH, t0 + 60002, &held));
    assert_int_equal(held, 2);
    /* the flooding address keeps its place: held back for the minute, then one line with its
     * count */
    for (i = 0; i < 5; i++)
        assert_false(cg_port_log_allow(f->port, flood, t0 + 10 + i, &held));
    assert_false(cg_port_log_allow(f->port, flood, t0 + 59999, &held));
    assert_true(cg_port_log_allow(f->port, flood, t0 + 60000, &held));
    assert_int_equal(held, 6);
}

/*
 * Before: another sender POSTing the exact bytes of an accepted message was told its guid was
 * used by a message "with different content". It is told the guid is taken by another
 * sender's message, true whatever that message holds, and not whose.
 */
static void test_sec_guid_other_sender_same_bytes(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    size_t len;
    char *xml = slurp("CEB303Message.xml", &len);
    char *b = replace(xml, "PORT-ORDER-0001", "PORT-ORDER-0002");

    add_other(f, "9999999999");
    start(f);
    assert_int_equal(cg_port_submit(f->port, "test", xml, len, NULL, &res), CG_OK);
    assert_int_equal(cg_port_submit(f->port, "other", xml, len, NULL, &res), CG_EREJECT);
    assert_string_equal(res.code, "4001");
    assert_int_equal(res.http_status, 409);
    assert_string_equal(res.text, "guid A1B2C3D4-0303-4000-8000-000000000001 is already used by "
                                  "another sender's message; a new message needs a new guid");
    /* other bytes from the other sender: the same answer, it tells nothing of the content */
    assert_int_equal(cg_port_submit(f->port, "other", b, strlen(b), NULL, &res), CG_EREJECT);
    assert_string_equal(res.text, "guid A1B2C3D4-0303-4000-8000-000000000001 is already used by "
                                  "another sender's message; a new message needs a new guid");
    /* its own sender's other bytes: different content */
    assert_int_equal(cg_port_submit(f->port, "test", b, strlen(b), NULL, &res), CG_EREJECT);
    assert_string_equal(res.text,
                        "guid A1B2C3D4-0303-4000-8000-000000000001 was already used by another "
                        "message with different content; a new message needs a new guid");
    free(b);
    free(xml);
}

/*
 * Before: a body with an ESC byte in an attribute value was answered with libxml2's last
 * error ("Extra content at the end of the document"), a consequence of the first. The answer
 * names the first error and its line, and holds no byte of the body that is not printable.
 */
static void test_sec_first_parse_error(void **state)
{
    struct fix *f = *state;
    struct cg_port_result res;
    const char body[] = "<ceb:CEB303Message xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\"\n"
                        " guid=\"A\x1b\" version=\"1.0\"><ceb:x/></ceb:CEB303Message>";

    start(f);
    assert_int_equal(cg_port_submit(f->port, "test", body, sizeof(body) - 1, NULL, &res),
                     CG_EREJECT);
    assert_string_equal(res.code, "0001");
    assert_string_equal(res.text, "message:2: not well-formed XML: invalid character in "
                                  "attribute value");
    assert_null(strchr(res.text, '\x1b'));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_result_json_escapes),
        cmocka_unit_test(test_scenario_default),
        cmocka_unit_test(test_scenario_rules),
        cmocka_unit_test(test_receipts_validate),
        cmocka_unit_test(test_receipts_parse_back),
        cmocka_unit_test(test_receipt_792_and_900),
        cmocka_unit_test(test_rules),
        cmocka_unit_test_setup_teardown(test_submit_accept_and_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_submit_rejections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_submit_receipts_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_submit_rule_rejects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_submit_db_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_failure_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_refusal_receipts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_receipts_private, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_receipts_page_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receipts_numbered_per_sender, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receipts_migration_step3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender_daily_max, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender_daily_max_days, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender_daily_max_own, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender_codes_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_foreign_platform, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_modify_other_sender, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_parse_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_parse_bounds_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_cpu_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_bounds_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_guid_newline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_ns_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_submit_by_signer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_ns_cpu_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_summary_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_doc_guid_other_sender, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_cop_msg_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_answer_format_chars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_encoding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_doc_guid_chars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_dump_documents_escaped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_customs_code_chars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_doctype_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_total_attributes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_job_frees_trees, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accepted_job_frees_trees, setup, teardown),
        cmocka_unit_test(test_addr_loopback),
        cmocka_unit_test_setup_teardown(test_sec_store_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_libxml2_log_escaped, setup, teardown),
        cmocka_unit_test(test_sec_xmlsec_log_escaped),
        cmocka_unit_test(test_sec_mhd_log_escaped),
        cmocka_unit_test_setup_teardown(test_log_allow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_own_not_starved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_guid_other_sender_same_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_first_parse_error, setup, teardown),
    };
    struct cg_err err;
    int rc;

    if (cg_lib_init(&err) != CG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    /* The keys of the modules under test, as cebgate registers them at start-up. */
    assert_int_equal(cg_conf_register(cg_mapping_conf_keys), CG_OK);
    assert_int_equal(cg_conf_register(cg_declare_conf_keys), CG_OK);
    assert_int_equal(cg_conf_register(cg_port_conf_keys), CG_OK);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    cg_lib_cleanup();
    return rc;
}
