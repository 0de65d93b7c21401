/*
 * test-conf.c - the INI configuration: defaults, seller fall-back, unknown keys and sections,
 * bad values with file:line, values longer than their key allows (in characters: [declare]
 * and [seller] values bound for the messages), secrets masked, template round trip, indented
 * lines and lines too long for inih, a key given twice in its section.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <ini.h>

#include "core/conf.h"
#include "core/err.h"
#include "core/log.h"
#include "mapping/mapping.h"
#include "declare/declare.h"
#include "spool/spool.h"
#include "port/port.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/cg-test-conf.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/cebgate.conf", dir);
    return 0;
}

static int teardown(void **state)
{
    unlink(path);
    rmdir(dir);
    return 0;
}

static void write_conf(const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int load(const char *text, struct cg_conf **conf, struct cg_err *err)
{
    write_conf(text);
    return cg_conf_load(path, conf, err);
}

static void test_defaults(void **state)
{
    struct cg_conf *conf = NULL;
    struct cg_err err;

    assert_int_equal(cg_conf_new_defaults(NULL, &conf, &err), CG_OK);
    assert_string_equal(cg_conf_get(conf, "declare", "schema_version"), "202205");
    assert_int_equal(cg_conf_get_int(conf, "transport", "parallel"), 4);
    assert_false(cg_conf_get_bool(conf, "transport", "dxp_wrap"));
    assert_null(cg_conf_get(conf, "seller", "ebc_code"));
    assert_null(cg_conf_get(conf, "nosuch", "key"));
    cg_conf_free(conf);
}

/* The line each key was written on, for messages that name it, also in a section written
 * again further down; 0 for a default and a value set by an option. */
static void test_key_lines(void **state)
{
    struct cg_conf *conf = NULL;
    struct cg_err err;

    (void)state;
    assert_int_equal(load("; a comment\n[port]\nlisten = 127.0.0.1\n\ndatabase = a.db\n"
                          "[sender.a]\ncodes = 3301964J31\n[port]\nthreads = 2\n",
                          &conf, &err),
                     CG_OK);
    assert_int_equal(cg_conf_line(conf, "port", "listen"), 3);
    assert_int_equal(cg_conf_line(conf, "port", "database"), 5);
    assert_int_equal(cg_conf_line(conf, "sender.a", "codes"), 7);
    assert_int_equal(cg_conf_line(conf, "port", "threads"), 9);
    assert_int_equal(cg_conf_line(conf, "port", "max_body"), 0);
    assert_int_equal(cg_conf_set(conf, "port", "listen", "::1", &err), CG_OK);
    assert_int_equal(cg_conf_line(conf, "port", "listen"), 0);
    cg_conf_free(conf);
}

static void test_values_and_seller_fallback(void **state)
{
    struct cg_conf *conf = NULL;
    struct cg_err err;
    char *p;

    assert_int_equal(load("; comment\n"
                          "[seller]\n"
                          "ebc_code = 3301964J31\n"
                          "currency = EUR\n"
                          "catalog = catalog.csv\n"
                          "[seller.acme]\n"
                          "currency = GBP\n"
                          "[transport]\n"
                          "parallel = 8\n"
                          "dxp_wrap = yes\n",
                          &conf, &err),
                     CG_OK);
    assert_string_equal(cg_conf_get(conf, "seller.acme", "currency"), "GBP");
    assert_string_equal(cg_conf_get(conf, "seller.acme", "ebc_code"), "3301964J31");
    assert_string_equal(cg_conf_get(conf, "seller.other", "currency"), "EUR");
    assert_string_equal(cg_conf_get(conf, "seller.acme", "trade_mode"), "9610");
    assert_int_equal(cg_conf_get_int(conf, "transport", "parallel"), 8);
    assert_true(cg_conf_get_bool(conf, "transport", "dxp_wrap"));
    assert_true(cg_conf_has_section(conf, "seller.acme"));
    p = cg_conf_get_path(conf, "seller.acme", "catalog");
    assert_non_null(p);
    assert_non_null(strstr(p, dir));
    assert_non_null(strstr(p, "/catalog.csv"));
    free(p);
    cg_conf_free(conf);
}

static void test_unknown_key(void **state)
{
    struct cg_conf *conf = NULL;
    struct cg_err err;
    char want[256];

    assert_int_equal(load("[general]\nlog_level = info\n\n[transport]\nparalel = 3\n", &conf, &err),
                     CG_ECONFIG);
    assert_null(conf);
    snprintf(want, sizeof(want), "%s:5: paralel: unknown key in [transport]", path);
    assert_string_equal(err.msg, want);
}

static void test_unknown_section(void **state)
{
    struct cg_conf *conf = NULL;
    struct cg_err err;

    assert_int_equal(load("[sellr]\nebc_code = x\n", &conf, &err), CG_ECONFIG);
    assert_non_null(strstr(err.msg, ":2: ebc_code: unknown section [sellr]"));
}

static void test_bad_values(void **state)
{
    struct cg_conf *conf = NULL;
    struct cg_err err;

    assert_int_equal(load("[transport]\nparallel = many\n", &conf, &err), CG_ECONFIG);
    assert_non_null(strstr(err.msg, ":2: parallel: 'many' is not a whole number from 1 to 64"));
    assert_int_equal(load("[transport]\nparallel = 65\n", &conf, &err), CG_ECONFIG);
    assert_non_null(strstr(err.msg, "parallel: '65'"));
    assert_int_equal(load("[declare]\nschema_version = 2020\n", &conf, &err), CG_ECONFIG);
    assert_non_null(strstr(err.msg, ":2: schema_version: '2020' is not one of 202205|2018"));
    assert_int_equal(load("[transport]\ndxp_wrap = maybe\n", &conf, &err), CG_ECONFIG);
    assert_non_null(strstr(err.msg, "dxp_wrap: 'maybe' is not yes or no"));
    assert_int_equal(load("[transport]\nthis line has no equals sign\n", &conf, &err), CG_ECONFIG);
    assert_non_null(strstr(err.msg, ":2: syntax error"));
    assert_int_equal(load("log_level = info\n", &conf, &err), CG_ECONFIG);
    assert_non_null(strstr(err.msg, ":1: log_level: key outside any [section]"));
    assert_null(conf);
}

/* n copies of the text u, for values of a given length in characters. */
static char *repeat(const char *u, size_t n)
{
    size_t len = strlen(u);
    char *s = malloc(len * n + 1);
    size_t i;

    assert_non_null(s);
    for (i = 0; i < n; i++)
        memcpy(s + i * len, u, len);
    s[len * n] = '\0';
    return s;
}

/* Load "[section]\n" + body and expect CG_OK (line 0), or the error "PATH:line: key: the value
 * is n characters long; at most max are allowed in [where]" (where: the section of that line). */
static void expect_length_where(const char *section, const char *body, int line, const char *key,
                                size_t n, size_t max, const char *where)
{
    struct cg_conf *conf = NULL;
    struct cg_err err;
    size_t size = strlen(section) + strlen(body) + 4;
    char *text = malloc(size);
    char want[512];

    assert_non_null(text);
    snprintf(text, size, "[%s]\n%s", section, body);
    if (line == 0) {
        assert_int_equal(load(text, &conf, &err), CG_OK);
        assert_non_null(conf);
        cg_conf_free(conf);
    } else {
        assert_int_equal(load(text, &conf, &err), CG_ECONFIG);
        snprintf(want, sizeof(want),
                 "%s:%d: %s: the value is %zu characters long; at most %zu are allowed in [%s]",
                 path, line, key, n, max, where);
        assert_string_equal(err.msg, want);
        assert_null(conf);
    }
    free(text);
}

static void expect_length_in(const char *section, const char *body, int line, const char *key,
                             size_t n, size_t max)
{
    expect_length_where(section, body, line, key, n, max, section);
}

static void expect_length(const char *body, int line, const char *key, size_t n, size_t max)
{
    expect_length_in("declare", body, line, key, n, max);
}

/*
 * [declare] cop_code, cop_name and dxp_id go into every message's BaseTransfer, whose copCode,
 * copName and dxpId have a maxLength of 18, 100 and 30 in both export schemas: a longer value is
 * refused at load, at its line. The XSD counts characters, so do the limits: a Chinese character
 * is three bytes of UTF-8 and one character.
 */
static void test_base_transfer_lengths(void **state)
{
    static const struct {
        const char *key;
        size_t max;
    } k[] = {{"cop_code", 18}, {"cop_name", 100}, {"dxp_id", 30}};
    struct cg_conf *conf = NULL;
    struct cg_err err;
    char body[1024];
    size_t i;

    for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        char *at = repeat("N", k[i].max);
        char *over = repeat("N", k[i].max + 1);

        snprintf(body, sizeof(body), "%s = %s\n", k[i].key, at);
        expect_length(body, 0, k[i].key, 0, 0);
        snprintf(body, sizeof(body), "schema_version = 2018\n%s = %s\n", k[i].key, over);
        expect_length(body, 3, k[i].key, k[i].max + 1, k[i].max);
        free(at);
        free(over);
    }
    /* An empty value is not checked here (the builder asks for the ones a message needs). */
    expect_length("cop_code =\ncop_name =\ndxp_id =\n", 0, NULL, 0, 0);

    /* Chinese: 18 characters (54 bytes) of cop_code and 30 (90 bytes) of dxp_id are fine, one
     * more is not. */
    {
        char *c18 = repeat("海", 18), *c19 = repeat("海", 19);
        char *c30 = repeat("关", 30), *c31 = repeat("关", 31);

        snprintf(body, sizeof(body), "cop_code = %s\ndxp_id = %s\n", c18, c30);
        expect_length(body, 0, NULL, 0, 0);
        snprintf(body, sizeof(body), "cop_code = %s\n", c19);
        expect_length(body, 2, "cop_code", 19, 18);
        snprintf(body, sizeof(body), "cop_code = %s\ndxp_id = %s\n", c18, c31);
        expect_length(body, 3, "dxp_id", 31, 30);
        free(c18);
        free(c19);
        free(c30);
        free(c31);
    }
    /* A Chinese cop_name of 100 characters is 300 bytes, more than a line holds: written on two
     * lines, 50 + a space + 49 characters pass, 50 + a space + 50 fail at the second line. */
    {
        char *c50 = repeat("贸", 50), *c49 = repeat("易", 49), *e50 = repeat("易", 50);

        snprintf(body, sizeof(body), "cop_name = %s\n  %s\n", c50, c49);
        expect_length(body, 0, NULL, 0, 0);
        snprintf(body, sizeof(body), "cop_name = %s\n  %s\n", c50, e50);
        expect_length(body, 3, "cop_name", 101, 100);
        free(c50);
        free(c49);
        free(e50);
    }
    /* A value set from the command line is checked the same way. */
    {
        char *c100 = repeat("贸", 100), *c101 = repeat("贸", 101);

        assert_int_equal(cg_conf_new_defaults(NULL, &conf, &err), CG_OK);
        assert_int_equal(cg_conf_set(conf, "declare", "cop_name", c100, &err), CG_OK);
        assert_string_equal(cg_conf_get(conf, "declare", "cop_name"), c100);
        assert_int_equal(cg_conf_set(conf, "declare", "cop_name", c101, &err), CG_ECONFIG);
        assert_string_equal(err.msg, "declare.cop_name: the value is 101 characters long; at most "
                                     "100 are allowed in [declare]");
        assert_string_equal(cg_conf_get(conf, "declare", "cop_name"), c100);
        cg_conf_free(conf);
        free(c100);
        free(c101);
    }
}

/*
 * The seller's codes and names go into the messages too (ebpCode, ebcName, ..., payName,
 * iacCode, emsNo): each is held to its element's maxLength at load, in [seller] and in every
 * [seller.NAME], at the line of the key.
 */
static void test_seller_lengths(void **state)
{
    static const struct {
        const char *key;
        size_t max;
    } k[] = {{"ebp_code", 18},   {"ebp_name", 100},   {"ebc_code", 18},   {"ebc_name", 100},
             {"agent_code", 18}, {"agent_name", 100}, {"owner_code", 18}, {"owner_name", 100},
             {"pay_code", 18},   {"pay_name", 100},   {"iac_code", 18},   {"iac_name", 100},
             {"ems_no", 30}};
    char body[1024];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        char *at = repeat("S", k[i].max);
        char *over = repeat("S", k[i].max + 1);

        snprintf(body, sizeof(body), "%s = %s\n[seller.b]\n%s = %s\n", k[i].key, at, k[i].key, at);
        expect_length_in("seller", body, 0, NULL, 0, 0);
        snprintf(body, sizeof(body), "%s = %s\n", k[i].key, over);
        expect_length_in("seller", body, 2, k[i].key, k[i].max + 1, k[i].max);
        snprintf(body, sizeof(body), "profile = own\n[seller.b]\n%s = %s\n", k[i].key, over);
        expect_length_where("seller", body, 4, k[i].key, k[i].max + 1, k[i].max, "seller.b");
        free(at);
        free(over);
    }
    /* In Chinese: 18 characters of ebc_code and 100 of ebc_name (on two lines: 60, a space, 39)
     * pass; 19 and 101 do not. */
    {
        char *c18 = repeat("杭", 18), *c19 = repeat("杭", 19);
        char *c60 = repeat("州", 60), *c39 = repeat("州", 39), *c40 = repeat("州", 40);

        snprintf(body, sizeof(body), "ebc_code = %s\nebc_name = %s\n  %s\n", c18, c60, c39);
        expect_length_in("seller.b", body, 0, NULL, 0, 0);
        snprintf(body, sizeof(body), "ebc_code = %s\n", c19);
        expect_length_in("seller.b", body, 2, "ebc_code", 19, 18);
        snprintf(body, sizeof(body), "ebc_name = %s\n  %s\n", c60, c40);
        expect_length_in("seller.b", body, 3, "ebc_name", 101, 100);
        free(c18);
        free(c19);
        free(c60);
        free(c39);
        free(c40);
    }
}

/*
 * [transport] sender_id and receiver_id go into the DXP envelope's TransInfo, whose SenderId and
 * ReceiverId have a maxLength of 16 in dxp-terminal.xsd (202205 and 2018 alike): a longer value
 * used to pass the load and fail at the envelope of every message. Any characters, counted as
 * characters.
 */
static void test_dxp_id_lengths(void **state)
{
    char *c16 = repeat("\xe4\xb8\xad", 16);
    char body[256];

    expect_length_in("transport", "dxp_wrap = yes\nsender_id = DXPENT0000000001\n", 0, NULL, 0, 0);
    expect_length_in("transport", "sender_id = DXPENT00000000001\n", 2, "sender_id", 17, 16);
    expect_length_in("transport", "receiver_id = DXPEDCCEB0000003\n", 0, NULL, 0, 0);
    expect_length_in("transport", "receiver_id = DXPEDCCEB00000003\n", 2, "receiver_id", 17, 16);
    /* 16 Chinese characters are 48 bytes and fit; one more does not */
    snprintf(body, sizeof(body), "sender_id = %s\n", c16);
    expect_length_in("transport", body, 0, NULL, 0, 0);
    snprintf(body, sizeof(body), "parallel = 2\nsender_id = %s\xe4\xb8\xad\n", c16);
    expect_length_in("transport", body, 3, "sender_id", 17, 16);
    free(c16);
}

/* Indented key lines are keys (inih took the second for a continuation of the first, and the
 * first key's value became "trust = a.pem"); an indented line without '=' continues the value
 * above it, joined with a space and checked whole; comments and blank lines end nothing. */
static void test_indented_lines(void **state)
{
    struct cg_conf *conf = NULL;
    struct cg_err err;

    assert_int_equal(
        load("[port]\n  database = p.db\n  trust = a.pem\n\tlisten = ::1\n", &conf, &err), CG_OK);
    assert_string_equal(cg_conf_get(conf, "port", "database"), "p.db");
    assert_string_equal(cg_conf_get(conf, "port", "trust"), "a.pem");
    assert_string_equal(cg_conf_get(conf, "port", "listen"), "::1");
    cg_conf_free(conf);
    conf = NULL;
    assert_int_equal(
        load("[port]\ntrust = a.pem,\n  b.pem,\n; the CA\n\tc.pem\nport = 8444\n", &conf, &err),
        CG_OK);
    assert_string_equal(cg_conf_get(conf, "port", "trust"), "a.pem, b.pem, c.pem");
    assert_string_equal(cg_conf_get(conf, "port", "port"), "8444");
    cg_conf_free(conf);
    conf = NULL;
    assert_int_equal(load("[transport]\nparallel = 3\n  4\n", &conf, &err), CG_ECONFIG);
    assert_non_null(strstr(err.msg, ":3: parallel: '3 4' is not a whole number from 1 to 64"));
    assert_null(conf);
}

/*
 * inih reads at most INI_MAX_LINE - 1 bytes of a line: a longer one was cut and its rest read as
 * the next line, then refused at its own line. A key line of up to 4095 bytes is now handed to
 * inih in pieces and read as written: a Chinese company name of 100 characters (300 bytes),
 * a long list of files, with the lines after it counted right. Longer lines, and a section
 * header too long for inih, are refused at their line.
 */
static void test_long_line(void **state)
{
    struct cg_conf *conf = NULL;
    struct cg_err err;
    char *name = repeat("\xe4\xb8\xad", 100);
    char *xs = repeat("x", 250);
    char *files = repeat("a.pem, ", 40);
    char *huge = repeat("y", 4096);
    char *text = malloc(8192);
    char want[512];
    int fits = INI_MAX_LINE - 1 - (int)strlen("trust = ");

    assert_non_null(text);
    /* one that just fits is read whole, as before */
    snprintf(text, 8192, "[port]\ntrust = %.*s\nport = 8444\n", fits, xs);
    assert_int_equal(load(text, &conf, &err), CG_OK);
    assert_int_equal(strlen(cg_conf_get(conf, "port", "trust")), (size_t)fits);
    assert_string_equal(cg_conf_get(conf, "port", "port"), "8444");
    cg_conf_free(conf);
    conf = NULL;

    /* longer ones are read whole: 300 bytes of name, 250 of x, a list of 280 bytes ending in a
     * comment, a continued value of 250 bytes joined with a space */
    files[strlen(files) - 2] = '\0'; /* "a.pem, ... a.pem" */
    snprintf(text, 8192,
             "[declare]\ncop_name = %s\ndxp_id = DXPENT0000000001\n[port]\ntrust = %s   ; CAs\n"
             "reject_rules = orderNo=SO-1:no\n  %s\nport = 8444\n",
             name, files, xs);
    assert_int_equal(load(text, &conf, &err), CG_OK);
    assert_string_equal(cg_conf_get(conf, "declare", "cop_name"), name);
    assert_string_equal(cg_conf_get(conf, "declare", "dxp_id"), "DXPENT0000000001");
    assert_string_equal(cg_conf_get(conf, "port", "trust"), files);
    snprintf(want, sizeof(want), "orderNo=SO-1:no %s", xs);
    assert_string_equal(cg_conf_get(conf, "port", "reject_rules"), want);
    assert_string_equal(cg_conf_get(conf, "port", "port"), "8444");
    cg_conf_free(conf);
    conf = NULL;

    /* a line long for its comment or its trailing blanks alone */
    snprintf(text, 8192, "[declare]\ncop_code =     ; %s\ncop_name = Acme Export%s\n", xs, files);
    for (char *c = strstr(text, "Export") + 6; *c != '\n'; c++)
        *c = ' ';
    assert_int_equal(load(text, &conf, &err), CG_OK);
    assert_string_equal(cg_conf_get(conf, "declare", "cop_code"), "");
    assert_string_equal(cg_conf_get(conf, "declare", "cop_name"), "Acme Export");
    cg_conf_free(conf);
    conf = NULL;

    /* the lines after a long one keep their numbers */
    snprintf(text, 8192, "[declare]\ncop_name = %s\ncop_code = 1\ncop_name = x\n", name);
    assert_int_equal(load(text, &conf, &err), CG_ECONFIG);
    snprintf(want, sizeof(want),
             "%s:4: cop_name: given twice in [declare], on line 2 and on line 4; a key is given "
             "once in its section",
             path);
    assert_string_equal(err.msg, want);
    snprintf(text, 8192, "[port]\ntrust = %s\n  %s\nno equals sign here\n", files, xs);
    assert_int_equal(load(text, &conf, &err), CG_ECONFIG);
    snprintf(want, sizeof(want), "%s:4: syntax error (expected [section] or key = value)", path);
    assert_string_equal(err.msg, want);
    /* a 101st character is still refused by the key's limit */
    snprintf(text, 8192, "[declare]\ncop_name = %s\xe4\xb8\xad\n", name);
    assert_int_equal(load(text, &conf, &err), CG_ECONFIG);
    snprintf(want, sizeof(want),
             "%s:2: cop_name: the value is 101 characters long; at most 100 are allowed in "
             "[declare]",
             path);
    assert_string_equal(err.msg, want);

    /* longer than 4095 bytes, or a section header inih cannot take */
    snprintf(text, 8192, "[port]\ntrust = %s\nport = 8444\n", huge);
    assert_int_equal(load(text, &conf, &err), CG_ECONFIG);
    snprintf(want, sizeof(want),
             "%s:2: the line is longer than 4095 bytes, the most a configuration line may have",
             path);
    assert_string_equal(err.msg, want);
    snprintf(text, 8192, "[general]\n[seller.%s]\ncurrency = USD\n", xs);
    assert_int_equal(load(text, &conf, &err), CG_ECONFIG);
    snprintf(want, sizeof(want),
             "%s:2: the line is longer than %d bytes; only a key = value line may be, up to 4095 "
             "bytes",
             path, INI_MAX_LINE - 1);
    assert_string_equal(err.msg, want);
    /* a carriage return inside a long line (old Mac line ends: the whole file one line) is
     * refused, not taken as the end of the line with the rest dropped; a CR LF ending is not */
    snprintf(text, 8192, "; a comment\r[general]\rworkdir = .\r[spool]\rbatch = x\r; %s\r", xs);
    assert_int_equal(load(text, &conf, &err), CG_ECONFIG);
    snprintf(want, sizeof(want),
             "%s:1: a carriage return (0x0D) inside the line: the file has old Mac line ends; "
             "save it with LF or CR LF line ends",
             path);
    assert_string_equal(err.msg, want);
    snprintf(text, 8192, "[port]\r\ntrust = %s\r\nport = 8444\r\n", files);
    assert_int_equal(load(text, &conf, &err), CG_OK);
    assert_string_equal(cg_conf_get(conf, "port", "trust"), files);
    assert_string_equal(cg_conf_get(conf, "port", "port"), "8444");
    cg_conf_free(conf);
    conf = NULL;
    assert_null(conf);
    free(name);
    free(xs);
    free(files);
    free(huge);
    free(text);
}

/* Load text and expect the error "PATH:line: key: given twice in [section], on line first and on
 * line line; a key is given once in its section". */
static void expect_twice(const char *text, int line, const char *key, const char *section,
                         int first)
{
    struct cg_conf *conf = NULL;
    struct cg_err err;
    char want[512];

    assert_int_equal(load(text, &conf, &err), CG_ECONFIG);
    snprintf(want, sizeof(want),
             "%s:%d: %s: given twice in [%s], on line %d and on line %d; a key is given once in "
             "its section",
             path, line, key, section, first, line);
    assert_string_equal(err.msg, want);
    assert_null(conf);
}

/*
 * A key given again in its section used to replace the first value without a word: two
 * key_file lines signed with the second key. No key is meant to repeat (a long value goes on
 * indented lines under its key), so the second one is refused naming both lines, in one
 * section header or in the same header given twice. The same key in [seller] and
 * [seller.NAME], a section header given twice with other keys, and a value continued on
 * indented lines are still read.
 */
static void test_key_twice(void **state)
{
    struct cg_conf *conf = NULL;
    struct cg_err err;

    expect_twice("[declare]\nkey_file = a.key\nsign_alg = sm2-sm3\nkey_file = b.key\n", 4,
                 "key_file", "declare", 2);
    expect_twice("[declare]\nschema_version = 2018\n\n[transport]\nparallel = 2\n"
                 "[declare]\nschema_version = 202205\n",
                 7, "schema_version", "declare", 2);
    /* an empty value counts as given */
    expect_twice("[declare]\ncop_code =\ncop_code = 3301960001\n", 3, "cop_code", "declare", 2);
    expect_twice("[seller.acme]\ncurrency = USD\n[seller.shop]\ncurrency = EUR\n"
                 "[seller.acme]\ncurrency = GBP\n",
                 6, "currency", "seller.acme", 2);
    /* a continued value is given on its key's line */
    expect_twice("[port]\ntrust = a.pem,\n  b.pem\nport = 8444\ntrust = c.pem\n", 5, "trust",
                 "port", 2);

    assert_int_equal(load("[seller]\ncurrency = USD\n[seller.acme]\ncurrency = GBP\n"
                          "[declare]\ncop_code = 3301960001\n[transport]\nparallel = 2\n"
                          "[declare]\ncop_name = Acme Export\n[port]\ntrust = a.pem,\n  b.pem\n",
                          &conf, &err),
                     CG_OK);
    assert_string_equal(cg_conf_get(conf, "seller", "currency"), "USD");
    assert_string_equal(cg_conf_get(conf, "seller.acme", "currency"), "GBP");
    assert_string_equal(cg_conf_get(conf, "declare", "cop_code"), "3301960001");
    assert_string_equal(cg_conf_get(conf, "declare", "cop_name"), "Acme Export");
    assert_string_equal(cg_conf_get(conf, "port", "trust"), "a.pem, b.pem");
    /* a value set after loading (a command-line option) still replaces the file's */
    assert_int_equal(cg_conf_set(conf, "transport", "parallel", "3", &err), CG_OK);
    assert_int_equal(cg_conf_get_int(conf, "transport", "parallel"), 3);
    cg_conf_free(conf);
}

static void test_set_checked(void **state)
{
    struct cg_conf *conf = NULL;
    struct cg_err err;

    assert_int_equal(cg_conf_new_defaults(NULL, &conf, &err), CG_OK);
    assert_int_equal(cg_conf_set(conf, "transport", "parallel", "2", &err), CG_OK);
    assert_int_equal(cg_conf_get_int(conf, "transport", "parallel"), 2);
    assert_int_equal(cg_conf_set(conf, "transport", "parallel", "0", &err), CG_ECONFIG);
    assert_int_equal(cg_conf_set(conf, "transport", "nope", "0", &err), CG_ECONFIG);
    cg_conf_free(conf);
}

static void test_dump_masks_secrets(void **state)
{
    struct cg_conf *conf = NULL;
    struct cg_err err;
    char *text = NULL;
    size_t len = 0;
    FILE *mem;
    const struct cg_conf_key *k;
    size_t i;
    const char *secret_key = NULL;
    const char *secret_sec = NULL;
    char line[256];

    for (i = 0; (k = cg_conf_key_at(i)) != NULL; i++) {
        if (k->type == CG_CONF_SECRET) {
            secret_key = k->key;
            secret_sec = k->section;
            break;
        }
    }
    assert_non_null(secret_key);
    assert_int_equal(cg_conf_new_defaults(NULL, &conf, &err), CG_OK);
    assert_int_equal(cg_conf_set(conf, secret_sec, secret_key, "hunter2", &err), CG_OK);
    assert_int_equal(cg_conf_set(conf, "seller", "ebc_code", "3301964J31", &err), CG_OK);
    mem = open_memstream(&text, &len);
    cg_conf_dump(conf, mem);
    fclose(mem);
    assert_non_null(strstr(text, "ebc_code = 3301964J31"));
    assert_null(strstr(text, "hunter2"));
    snprintf(line, sizeof(line), "%s = ********", secret_key);
    assert_non_null(strstr(text, line));
    free(text);
    cg_conf_free(conf);
}

static void test_template_loads(void **state)
{
    struct cg_conf *conf = NULL;
    struct cg_err err;
    FILE *fp = fopen(path, "w");
    char cmd[512];

    /* The template cebgate init writes must load, and uncommenting every key must too. */
    assert_non_null(fp);
    cg_conf_write_template(fp);
    fclose(fp);
    assert_int_equal(cg_conf_load(path, &conf, &err), CG_OK);
    cg_conf_free(conf);
    snprintf(cmd, sizeof(cmd),
             "sed -i -e 's/^#\\([a-z_0-9]* = ..*\\)$/\\1/' -e '/^#[a-z_0-9]* = $/d' '%s'", path);
    assert_int_equal(system(cmd), 0);
    conf = NULL;
    assert_int_equal(cg_conf_load(path, &conf, &err), CG_OK);
    assert_string_equal(cg_conf_get(conf, "declare", "schema_version"), "202205");
    cg_conf_free(conf);
}

/* The hook before each log message runs first (a progress bar is taken off its line). */
static FILE *log_fp;

static void before_log(void *ctx)
{
    (*(int *)ctx)++;
    fputs("[cleared]", log_fp);
}

static void test_log_before_hook(void **state)
{
    char buf[256];
    size_t n;
    int calls = 0;

    (void)state;
    log_fp = tmpfile();
    assert_non_null(log_fp);
    cg_log_set_stream(log_fp);
    cg_log_set_before(before_log, &calls);
    cg_warn("first %d", 1);
    cg_debug("below the level: not written, no hook");
    cg_log_set_before(NULL, NULL);
    cg_warn("second");
    cg_log_set_stream(NULL);
    assert_int_equal(calls, 1);
    rewind(log_fp);
    n = fread(buf, 1, sizeof(buf) - 1, log_fp);
    buf[n] = '\0';
    assert_string_equal(buf, "[cleared]cebgate: warn: first 1\ncebgate: warn: second\n");
    fclose(log_fp);
}

/* A module that is not built into core/ adds its section by registering its own table. */
static const struct cg_conf_key ledger_keys[] = {
    {"ledger", "rounding", CG_CONF_ENUM, "half-up", "half-up|half-even", "rounding of shares"},
    {NULL, NULL, CG_CONF_STR, NULL, NULL, NULL},
};

static void test_module_registers_keys(void **state)
{
    struct cg_conf *conf = NULL;
    struct cg_err err;
    char *text = NULL;
    size_t len = 0;
    FILE *mem;

    (void)state;
    assert_int_equal(cg_conf_new_defaults(NULL, &conf, &err), CG_OK);
    assert_int_equal(cg_conf_set(conf, "ledger", "rounding", "half-even", &err), CG_ECONFIG);
    assert_int_equal(cg_conf_register(ledger_keys), CG_OK);
    assert_int_equal(cg_conf_register(ledger_keys), CG_OK); /* twice is once */
    assert_int_equal(cg_conf_set(conf, "ledger", "rounding", "half-even", &err), CG_OK);
    assert_int_equal(cg_conf_set(conf, "ledger", "rounding", "up", &err), CG_ECONFIG);
    assert_string_equal(cg_conf_get(conf, "ledger", "rounding"), "half-even");
    mem = open_memstream(&text, &len);
    cg_conf_write_template(mem);
    fclose(mem);
    assert_non_null(strstr(text, "\n[ledger]\n"));
    /* After the modules registered before it. */
    assert_non_null(strstr(text, "[port]"));
    assert_true(strstr(text, "[port]") < strstr(text, "[ledger]"));
    free(text);
    cg_conf_free(conf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test_setup_teardown(test_values_and_seller_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_section, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_base_transfer_lengths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seller_lengths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dxp_id_lengths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_indented_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_twice, setup, teardown),
        cmocka_unit_test(test_set_checked),
        cmocka_unit_test(test_dump_masks_secrets),
        cmocka_unit_test_setup_teardown(test_template_loads, setup, teardown),
        cmocka_unit_test(test_log_before_hook),
        cmocka_unit_test(test_module_registers_keys),
    };
    /* The keys of the modules under test, as cebgate registers them at start-up. */
    assert_int_equal(cg_conf_register(cg_mapping_conf_keys), CG_OK);
    assert_int_equal(cg_conf_register(cg_declare_conf_keys), CG_OK);
    assert_int_equal(cg_conf_register(cg_spool_conf_keys), CG_OK);
    assert_int_equal(cg_conf_register(cg_port_conf_keys), CG_OK);
    return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
