/*
 * test-refund.c - refund/: the rounding rules of refund amounts at the fen boundary, the VAT
 * inside a gross amount, shares of a clawback, rates as percentages; the rate in force on the
 * export date when the table changes; an invoice line split across two units by quantity; a
 * line refused for a second use, by the library and by the database's own trigger; and the
 * transition table refusing a skipped state.
 *
 * Expected values are worked out by hand from the rule (amount x rate, half-up to the fen) and
 * written beside each assertion; the library is never asked for its own expectations.
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

#include "core/buf.h"
#include "core/conf.h"
#include "core/fsutil.h"
#include "refund/refund-int.h"
#include "refund/refund.h"
/* The test checks the trigger with its own SQL on the store's connection. */
#include "store/store-int.h"

struct fix {
    char dir[64];
    struct cg_store *db;
    struct cg_conf *conf;
    struct cg_refund *r;
};

static int64_t amount(int64_t base, int64_t ppm)
{
    int64_t v = -1;

    assert_int_equal(cg_refund_amount(base, ppm, &v), CG_OK);
    return v;
}

/*
 * refund/'s today is the China date (UTC+8): 2026-03-10 15:59:59 UTC is 23:59:59 on 03-10 in
 * China, 16:00:00 UTC is 00:00 on 03-11; 2026-12-31 16:00 UTC is already 2027-01-01.
 */
static void test_china_day(void **state)
{
    char d[11];

    (void)state;
    rf_china_day((time_t)1773158399, d); /* 2026-03-10 15:59:59 UTC */
    assert_string_equal(d, "2026-03-10");
    rf_china_day((time_t)1773158400, d); /* 2026-03-10 16:00:00 UTC */
    assert_string_equal(d, "2026-03-11");
    rf_china_day((time_t)1798732800, d); /* 2026-12-31 16:00:00 UTC */
    assert_string_equal(d, "2027-01-01");
    rf_china_day((time_t)1798703999, d); /* 2026-12-31 07:59:59 UTC */
    assert_string_equal(d, "2026-12-31");
}

static void test_rounding(void **state)
{
    int64_t v = 0;

    (void)state;
    /* 0.50 x 13 % = 0.065 -> 0.07 (half-up); 0.49 x 13 % = 0.0637 -> 0.06 */
    assert_int_equal(amount(50, 130000), 7);
    assert_int_equal(amount(49, 130000), 6);
    /* 0.01 x 50 % = 0.005 -> 0.01; 0.01 x 49.9999 % = 0.00499999 -> 0.00 */
    assert_int_equal(amount(1, 500000), 1);
    assert_int_equal(amount(1, 499999), 0);
    /* 65,000.00 x 9 % = 5,850.00 exactly; 10,000.01 x 13 % = 1,300.0013 -> 1,300.00 */
    assert_int_equal(amount(6500000, 90000), 585000);
    assert_int_equal(amount(1000001, 130000), 130000);
    /* 0.15 x 10.5 % = 0.01575 -> 0.02 */
    assert_int_equal(amount(15, 105000), 2);
    /* 142,000.00 / 1.13 x 0.13 = 16,336.283... -> 16,336.28 */
    assert_int_equal(cg_refund_vat_inside(14200000, 130000, &v), CG_OK);
    assert_int_equal(v, 1633628);
    /* 5,850.00 x 100 / 1,000 = 585.00; 0.05 x 1/2 = 0.025 -> 0.03 */
    assert_int_equal(cg_refund_share(585000, 100, 1000, &v), CG_OK);
    assert_int_equal(v, 58500);
    assert_int_equal(cg_refund_share(5, 1, 2, &v), CG_OK);
    assert_int_equal(v, 3);
    /* far beyond int64 after multiplying: refused, not wrapped */
    assert_int_equal(cg_refund_share(INT64_MAX, 3, 2, &v), CG_ERANGE);
}

static void test_rates(void **state)
{
    int64_t ppm = 0;
    char buf[16];

    (void)state;
    assert_int_equal(cg_refund_rate_parse("13", &ppm), CG_OK);
    assert_int_equal(ppm, 130000);
    assert_int_equal(cg_refund_rate_parse("10.5%", &ppm), CG_OK);
    assert_int_equal(ppm, 105000);
    assert_int_equal(cg_refund_rate_parse("0.0001", &ppm), CG_OK);
    assert_int_equal(ppm, 1);
    assert_int_equal(cg_refund_rate_parse("0.00001", &ppm), CG_ERANGE);
    assert_int_equal(cg_refund_rate_parse("100.01", &ppm), CG_ERANGE);
    assert_int_equal(cg_refund_rate_parse("-1", &ppm), CG_EINVAL);
    assert_int_equal(cg_refund_rate_parse("", &ppm), CG_EINVAL);
    cg_refund_rate_format(105000, buf, sizeof(buf));
    assert_string_equal(buf, "10.5");
    cg_refund_rate_format(90000, buf, sizeof(buf));
    assert_string_equal(buf, "9");
    assert_int_equal(cg_refund_fen_parse("12.3", &ppm), CG_OK);
    assert_int_equal(ppm, 1230);
    assert_int_equal(cg_refund_fen_parse("12.345", &ppm), CG_ERANGE);
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    struct cg_err err;
    char *path;

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/cg-test-refund.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    path = cg_fs_join(f->dir, "t.db");
    assert_int_equal(cg_store_open(path, &f->db, &err), CG_OK);
    free(path);
    assert_int_equal(cg_conf_register(cg_refund_conf_keys), CG_OK);
    assert_int_equal(cg_conf_new_defaults(f->dir, &f->conf, &err), CG_OK);
    assert_int_equal(cg_refund_new(f->conf, f->db, &f->r, &err), CG_OK);
    assert_int_equal(cg_refund_set_today(f->r, "2025-01-10", &err), CG_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    char cmd[128];

    cg_refund_free(f->r);
    cg_conf_free(f->conf);
    cg_store_close(f->db);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static int import(struct fix *f, int kind, const char *name, const char *text)
{
    struct cg_refund_import res;
    struct cg_err err;
    char *path = cg_fs_join(f->dir, name);
    int rc;

    assert_non_null(path);
    cg_err_clear(&err);
    assert_int_equal(cg_fs_write_atomic(f->dir, name, text, strlen(text), &err), CG_OK);
    rc = cg_refund_import(f->r, kind, path, NULL, NULL, &res, &err);
    free(path);
    return rc;
}

static long long scalar(struct fix *f, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v;

    assert_int_equal(sqlite3_prepare_v2(cg_db_handle(f->db->db), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

#define ENTRIES_H                                                                                  \
    "entry_id,item_no,trade_mode,route,export_date,hs_code,name,spec,unit,quantity,value_cny,"     \
    "expected_purchase,inventories,order_no,cleared_on,collected\n"
#define INVOICES_H                                                                                 \
    "invoice_code,invoice_number,line,issued_on,seller_tax_id,item_name,spec,unit,quantity,"       \
    "amount_ex_vat,vat_rate,vat_amount,hs_code\n"

/* The table cuts 8541401000 from 13 % to 9 % on 2024-12-01: the export date decides. */
static void test_rate_on_export_date(void **state)
{
    struct fix *f = *state;

    assert_int_equal(import(f, CG_RF_RATES, "rates.csv",
                            "hs_code,valid_from,valid_to,refund_rate,vat_rate,flag\n"
                            "8541401000,2019-04-01,2024-11-30,13,13,\n"
                            "8541401000,2024-12-01,,9,13,\n"),
                     CG_OK);
    assert_int_equal(import(f, CG_RF_ENTRIES, "e.csv",
                            ENTRIES_H
                            "E1,1,9710,,2024-11-30,8541401000,Cell,,pcs,10,100,,,,2024-12-"
                            "02,Y\n"
                            "E2,1,9710,,2024-12-01,8541401000,Cell,,pcs,10,100,,,,2024-12-"
                            "02,Y\n"),
                     CG_OK);
    assert_int_equal(scalar(f, "SELECT refund_ppm FROM rf_unit WHERE entry_id = 'E1'"), 130000);
    assert_int_equal(scalar(f, "SELECT refund_ppm FROM rf_unit WHERE entry_id = 'E2'"), 90000);
    assert_int_equal(import(f, CG_RF_INVOICES, "i.csv",
                            INVOICES_H "C,1,1,2024-11-20,S,Cell,,pcs,20,200.01,13,26.00,\n"),
                     CG_OK);
    /* the 20 pcs line serves both units, 10 each: 100.01 (pro rata, half-up) and the rest */
    assert_int_equal(scalar(f, "SELECT sum(amount_fen) FROM rf_alloc a JOIN rf_unit u ON "
                               "u.id = a.unit_id WHERE entry_id = 'E1'"),
                     10001);
    assert_int_equal(scalar(f, "SELECT sum(amount_fen) FROM rf_alloc a JOIN rf_unit u ON "
                               "u.id = a.unit_id WHERE entry_id = 'E2'"),
                     10000);
    /* 100.01 x 13 % = 13.0013 -> 13.00; 100.00 x 9 % = 9.00 */
    assert_int_equal(scalar(f, "SELECT refund_fen FROM rf_unit WHERE entry_id = 'E1'"), 1300);
    assert_int_equal(scalar(f, "SELECT refund_fen FROM rf_unit WHERE entry_id = 'E2'"), 900);
    assert_int_equal(scalar(f, "SELECT count(*) FROM rf_unit WHERE state = 'READY'"), 2);
}

/* A line is never used beyond its quantity: refused by the library and by the database. */
static void test_double_use(void **state)
{
    struct fix *f = *state;
    struct cg_err err;
    char *msg = NULL;

    assert_int_equal(import(f, CG_RF_RATES, "rates.csv",
                            "hs_code,valid_from,valid_to,refund_rate,vat_rate,flag\n"
                            "6912000000,2019-04-01,,9,13,\n"),
                     CG_OK);
    assert_int_equal(import(f, CG_RF_ENTRIES, "e.csv",
                            ENTRIES_H "E1,1,9710,,2024-11-30,6912000000,Mug,,pcs,10,100,,,,,\n"
                                      "E2,1,9710,,2024-11-30,6912000000,Bowl,,pcs,10,100,,,,,\n"),
                     CG_OK);
    assert_int_equal(import(f, CG_RF_INVOICES, "i.csv",
                            INVOICES_H "C,1,1,2024-11-20,S,Mug,,pcs,10,100.00,13,13.00,\n"),
                     CG_OK);
    assert_int_equal(scalar(f, "SELECT count(*) FROM rf_alloc"), 1);
    cg_err_clear(&err);
    assert_int_equal(cg_refund_allocate(f->r, "E2/1", "C/1/1", NULL, "operator", &err), CG_EREJECT);
    assert_non_null(strstr(err.msg, "already used"));
    /* the trigger refuses even a direct insert of one more piece */
    assert_int_not_equal(
        sqlite3_exec(cg_db_handle(f->db->db),
                     "INSERT INTO rf_alloc(line_id, unit_id, qty_m, amount_fen, "
                     "vat_fen, cause, created_at) VALUES (1, 2, 1, 0, 0, 'x', 'x')",
                     NULL, NULL, &msg),
        SQLITE_OK);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "exceeds the invoice line"));
    sqlite3_free(msg);
    assert_int_equal(scalar(f, "SELECT count(*) FROM rf_alloc"), 1);
}

/* No state skipping: a unit waiting for clearance cannot be filed, approved or paid. */
static void test_no_skipping(void **state)
{
    struct fix *f = *state;
    struct cg_err err;
    long moved = 0;

    assert_int_equal(import(f, CG_RF_ENTRIES, "e.csv",
                            ENTRIES_H "E1,1,9710,,2024-11-30,6912000000,Mug,,pcs,10,100,,,,,\n"),
                     CG_OK);
    cg_err_clear(&err);
    assert_int_equal(
        cg_refund_mark(f->r, "E1/1", CG_RFO_FILED, NULL, NULL, "skip", 1, NULL, NULL, &moved, &err),
        CG_EREJECT);
    assert_int_equal(
        cg_refund_mark(f->r, "E1/1", CG_RFO_PAID, NULL, NULL, NULL, 0, NULL, NULL, &moved, &err),
        CG_EREJECT);
    assert_int_equal(moved, 0);
    assert_int_equal(scalar(f, "SELECT count(*) FROM rf_unit WHERE state = 'WAIT_CLEARANCE'"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_china_day),
        cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_rates),
        cmocka_unit_test_setup_teardown(test_rate_on_export_date, setup, teardown),
        cmocka_unit_test_setup_teardown(test_double_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_skipping, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
