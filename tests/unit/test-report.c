/*
 * test-report.c - the morning report built from a database written through the store's own
 * functions: counts, the row limit and its "total", the needs list in its order (with the flow, FX
 * and refund items), the per-seller table; untrusted text escaped in the HTML page; a database
 * failure in any report query returned as CG_EBUSY / CG_EDB with no report, never as an empty one.
 *
 * sqlite3_step is wrapped (-Wl,--wrap): a failure is injected into the statements whose SQL
 * contains fail_sql.
 */
#include "config.h"

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
#include <sqlite3.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "mapping/mapping.h"
#include "refund/refund.h"
#include "report/report-int.h"
#include "settle/settle.h"
#include "store/store-dismiss.h"
#include "store/store-intake.h"
#include "store/store.h"

static const char *fail_sql;
static int fail_rc;
static long injected;

int __real_sqlite3_step(sqlite3_stmt *st);
int __wrap_sqlite3_step(sqlite3_stmt *st);

int __wrap_sqlite3_step(sqlite3_stmt *st)
{
    const char *sql = sqlite3_sql(st);

    if (fail_sql != NULL && sql != NULL && strstr(sql, fail_sql) != NULL) {
        injected++;
        return fail_rc;
    }
    return __real_sqlite3_step(st);
}

struct fx {
    char dir[64];
    char *db;
    struct cg_store *st;
};

/*
 * Seller a: orders A1 (its CEB303 rejected by the port with hostile text, and a rejected order
 * line) and A2 (needs a cancellation); seller b: B1. Every document queued otherwise.
 */
static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct cg_err err;
    int64_t file, o[3], d[3];
    const char *sellers[3] = {"a", "a", "b"}, *nos[3] = {"A1", "A2", "B1"};
    char guid[40];
    int i;

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/cg-test-report.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->db = cg_fs_join(f->dir, "cebgate.db");
    assert_int_equal(cg_store_open(f->db, &f->st, &err), CG_OK);
    assert_int_equal(cg_store_file_add(f->st, "a", "orders.csv", "orders.csv", 10, "00", 1,
                                       "active", NULL, &file, &err),
                     CG_OK);
    for (i = 0; i < 3; i++) {
        snprintf(guid, sizeof(guid), "G-%d", i);
        assert_int_equal(
            cg_store_order_put(f->st, sellers[i], nos[i], "h", file, i + 2, &o[i], &err), CG_OK);
        assert_int_equal(
            cg_store_doc_put(f->st, o[i], 303, nos[i], 1, guid, 1, "c", NULL, NULL, &d[i], &err),
            CG_OK);
    }
    assert_int_equal(cg_store_doc_set_state(f->st, d[0], "rejected", "100",
                                            "<script>alert(1)</script> \xff 单证", &err),
                     CG_OK);
    assert_int_equal(cg_store_rejection_add(f->st, file, "a", "A9", 9, "field total: bad", &err),
                     CG_OK);
    assert_int_equal(cg_store_cancel_add(f->st, o[1], file, 3, "cancelled", "buyer", &err), CG_OK);
    assert_int_equal(cg_store_file_finish(f->st, file, "done", NULL, &err), CG_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];

    cg_store_close(f->st);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f->db);
    free(f);
    fail_sql = NULL;
    return 0;
}

static void opts(struct cg_report_opts *o)
{
    cg_report_opts_init(o, NULL);
    o->rows = 1;
    o->stuck_hours = 1;
}

static json_t *section(const struct cg_report *r, const char *id)
{
    size_t i;
    json_t *s;

    json_array_foreach(json_object_get(r->doc, "sections"), i, s)
    {
        if (strcmp(json_string_value(json_object_get(s, "id")), id) == 0)
            return s;
    }
    fail_msg("no section %s", id);
    return NULL;
}

static long long jint(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static void test_counts(void **state)
{
    struct fx *f = *state;
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;
    json_t *docs, *needs, *rej, *sellers, *row;

    opts(&o);
    assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_OK);
    docs = json_object_get(r->doc, "documents");
    assert_int_equal(jint(docs, "total"), 3);
    assert_int_equal(jint(json_object_get(docs, "by_state"), "rejected"), 1);
    assert_int_equal(jint(json_object_get(docs, "by_state"), "queued"), 2);
    /* one rejected document and one rejected order line: two, one row kept */
    rej = section(r, "rejected");
    assert_int_equal(jint(rej, "total"), 2);
    assert_int_equal(json_array_size(json_object_get(rej, "rows")), 1);
    assert_string_equal(json_string_value(json_object_get(rej, "command")),
                        "cebgate status --rejected");
    assert_int_equal(jint(section(r, "cancel"), "total"), 1);
    assert_int_equal(jint(section(r, "stuck"), "total"), 0);
    /* B1, CEB303 only and no cancellation needed, is declared without shipment data */
    assert_int_equal(jint(section(r, "incomplete"), "total"), 1);
    /* the needs list: rejected first, then the cancellation, then B1; nothing else has a
     * count */
    needs = json_object_get(r->doc, "needs");
    assert_int_equal(json_array_size(needs), 3);
    assert_int_equal(jint(json_array_get(needs, 0), "count"), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(needs, 1), "command")),
                        "cebgate status --cancel");
    assert_string_equal(json_string_value(json_object_get(json_array_get(needs, 2), "command")),
                        "cebgate status --incomplete");
    /* per seller: a has 2 orders, 1 rejected document, 1 rejected order, 1 cancellation */
    sellers = section(r, "sellers");
    assert_int_equal(jint(sellers, "total"), 2);
    row = json_array_get(json_object_get(sellers, "rows"), 0);
    assert_string_equal(json_string_value(json_array_get(row, 0)), "a");
    assert_string_equal(json_string_value(json_array_get(row, 1)), "2");
    assert_string_equal(json_string_value(json_array_get(row, 3)), "1");
    assert_string_equal(json_string_value(json_array_get(row, 5)), "1");
    assert_string_equal(json_string_value(json_array_get(row, 6)), "1");
    /* the last run: the one file, 0 orders counted by the file, finished */
    assert_int_equal(jint(json_object_get(r->doc, "last_run"), "files"), 1);
    cg_report_free(r);
}

static void test_seller(void **state)
{
    struct fx *f = *state;
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;

    opts(&o);
    o.seller = "b";
    assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_OK);
    assert_int_equal(jint(json_object_get(r->doc, "documents"), "total"), 1);
    assert_int_equal(jint(section(r, "rejected"), "total"), 0);
    assert_int_equal(jint(section(r, "cancel"), "total"), 0);
    /* B1 only: declared without shipment data */
    assert_int_equal(json_array_size(json_object_get(r->doc, "needs")), 1);
    assert_int_equal(jint(section(r, "incomplete"), "total"), 1);
    cg_report_free(r);
}

static void test_html_escaped(void **state)
{
    struct fx *f = *state;
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;
    struct cg_buf b;
    char *path = cg_fs_join(f->dir, "r.html");
    const char *text;

    opts(&o);
    o.rows = 5;
    assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_OK);
    assert_int_equal(cg_report_write_html(r, path, &err), CG_OK);
    cg_buf_init(&b, 1 << 20);
    assert_int_equal(cg_fs_read(path, 1 << 20, &b, &err), CG_OK);
    text = b.data;
    assert_non_null(strstr(text, "100 &lt;script&gt;alert(1)&lt;/script&gt; \xef\xbf\xbd 单证"));
    assert_null(strstr(text, "<script"));
    assert_null(strstr(text, "\xff"));
    cg_buf_free(&b);
    cg_report_free(r);
    free(path);
}

/* Each report query, failing: the error comes back and there is no report. */
static void test_db_failure(void **state)
{
    static const char *const queries[] = {
        "max(substr(taken_at",         /* last run */
        "GROUP BY o.seller, d.state",  /* documents by state */
        "ORDER BY id DESC",            /* failed files */
        "GROUP BY reason ORDER BY n",  /* the last run's rejection reasons */
        "LEFT JOIN ff USING (seller)", /* per seller */
        "GROUP BY day, d.state",       /* the 30 days */
    };
    struct fx *f = *state;
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;
    size_t i;

    opts(&o);
    for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        fail_sql = queries[i];
        fail_rc = SQLITE_BUSY;
        injected = 0;
        assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_EBUSY);
        assert_int_equal(injected, 1);
        assert_null(r);
        fail_rc = SQLITE_IOERR;
        assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_EDB);
        assert_null(r);
    }
    fail_sql = NULL;
}

/* ------------------------------------------------------------------ the needs list */

/* SQL on the fixture's database through a connection of its own. */
static void exec_sql(struct fx *f, const char *sql)
{
    sqlite3 *db = NULL;
    char *msg = NULL;

    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

/* A CEB603 (document id) of order_no in state, with one receipt (status, return time). */
static void inventory(struct fx *f, int id, const char *order_no, const char *state,
                      const char *status, const char *return_time)
{
    char sql[2048];

    snprintf(sql, sizeof(sql),
             "INSERT INTO documents(id, order_id, msg_type, business_key, version, guid, "
             "app_type, content_hash, state, status, status_info, updated_at, invt_no) SELECT %d, "
             "id, 603, order_no, 1, 'G603-%d', 1, 'c', '%s', '%s', '', '2099-01-01T00:00:00.000Z',"
             " 'INV%d' FROM orders WHERE order_no = '%s';"
             "INSERT INTO messages(id, document_id, version, guid, msg_type, app_type, file_name, "
             "sha256, size, input_file, staged, state, created_at) VALUES (%d, %d, 1, 'G603-%d', "
             "603, 1, 'm%d.xml', 's', 1, 1, 0, '%s', '2099-01-01T00:00:00.000Z');"
             "INSERT INTO receipts(received_at, file_name, msg_type, guid, order_no, status, "
             "return_time, return_info, message_id, outcome) VALUES ('2099-01-01T00:00:00.000Z', "
             "'r%d.xml', 604, 'G603-%d', '%s', '%s', '%s', 'ok', %d, 'applied');",
             id, id, state, status, id, order_no, id, id, id, id, state, id, id, order_no, status,
             return_time, id);
    exec_sql(f, sql);
}

struct needs_fx {
    struct fx base;
    struct cg_conf *conf;
    struct cg_settle *s;
    struct cg_refund *rf;
};

static void write_and_import(struct needs_fx *n, int kind, const char *name, const char *text)
{
    struct cg_refund_import res;
    struct cg_err err;
    char *path = cg_fs_join(n->base.dir, name);

    assert_non_null(path);
    assert_int_equal(cg_fs_write_atomic(n->base.dir, name, text, strlen(text), &err), CG_OK);
    assert_int_equal(cg_refund_import(n->rf, kind, path, NULL, NULL, &res, &err), CG_OK);
    free(path);
}

/*
 * The fixture of setup, and: seller b is route B, its B1 inventory closed (899) in 2025-03 and
 * in no summary; seller a's A3 inventory too, but a is route A; A2's cancellation (CEB605) is
 * declared and waits; A1 declared USD 100.00, released 2025-03-01, and seller a's payment terms
 * are 120 days (a deferred-receipt report, due 30 days after release); one refund unit exported
 * 2024-11-30 (soft deadline 2025-04-30, in the 60-day calendar from 2025-04-01).
 */
static int setup_needs(void **state)
{
    struct needs_fx *n = calloc(1, sizeof(*n));
    struct fx *base = NULL;
    struct cg_err err;
    int64_t o3 = 0, d605 = 0, o2 = 0;
    char *path;
    static const char conf_text[] =
        "[general]\nworkdir = .\n[seller]\nstatistics_flag = A\n[seller.a]\n"
        "[seller.b]\nstatistics_flag = B\n[settle.a]\nterms_days = 120\n";

    assert_non_null(n);
    assert_int_equal(setup((void **)&base), 0);
    n->base = *base;
    free(base);
    base = &n->base;
    assert_int_equal(cg_store_order_put(base->st, "a", "A3", "h", 1, 9, &o3, &err), CG_OK);
    assert_int_equal(cg_store_order_put(base->st, "a", "A2", "h", 1, 3, &o2, &err), CG_OK);
    assert_int_equal(
        cg_store_doc_put(base->st, o2, 605, "A2", 1, "G-605", 1, "c", NULL, NULL, &d605, &err),
        CG_OK);
    inventory(base, 1001, "B1", "closed", "899", "20250320103000");
    inventory(base, 1002, "A3", "closed", "899", "20250321103000");
    inventory(base, 1003, "A1", "released", "800", "20250301090000");
    exec_sql(base, "INSERT INTO fx_declared(order_id, currency, amount, updated_at) SELECT id, "
                   "'USD', 10000, '2025-03-01T00:00:00.000Z' FROM orders WHERE order_no = 'A1'");

    assert_int_equal(cg_conf_register(cg_mapping_conf_keys), CG_OK);
    assert_int_equal(cg_conf_register(cg_settle_conf_keys), CG_OK);
    assert_int_equal(cg_conf_register(cg_refund_conf_keys), CG_OK);
    assert_int_equal(cg_fs_write_atomic(base->dir, "c.conf", conf_text, strlen(conf_text), &err),
                     CG_OK);
    path = cg_fs_join(base->dir, "c.conf");
    assert_int_equal(cg_conf_load(path, &n->conf, &err), CG_OK);
    free(path);
    assert_int_equal(cg_settle_new(n->conf, base->st, &n->s, &err), CG_OK);
    assert_int_equal(cg_refund_new(n->conf, base->st, &n->rf, &err), CG_OK);
    write_and_import(n, CG_RF_RATES, "rates.csv",
                     "hs_code,valid_from,valid_to,refund_rate,vat_rate,flag\n"
                     "6912000000,2019-04-01,,9,13,\n");
    write_and_import(n, CG_RF_ENTRIES, "e.csv",
                     "entry_id,item_no,trade_mode,route,export_date,hs_code,name,spec,unit,"
                     "quantity,value_cny,expected_purchase,inventories,order_no,cleared_on,"
                     "collected\n"
                     "E1,1,9710,,2024-11-30,6912000000,Mug,,pcs,10,100,,,,,\n");
    *state = n;
    return 0;
}

static int teardown_needs(void **state)
{
    struct needs_fx *n = *state;
    struct fx *base = malloc(sizeof(*base));

    cg_refund_free(n->rf);
    cg_settle_free(n->s);
    cg_conf_free(n->conf);
    assert_non_null(base);
    *base = n->base;
    free(n);
    *state = base;
    return teardown(state);
}

static void assert_need(json_t *needs, size_t i, long long count, const char *what,
                        const char *command)
{
    json_t *it = json_array_get(needs, i);

    assert_non_null(it);
    assert_int_equal(jint(it, "count"), count);
    assert_string_equal(json_string_value(json_object_get(it, "what")), what);
    assert_string_equal(json_string_value(json_object_get(it, "command")), command);
}

#define SUMMARY_NEED                                                                               \
    "route-B inventory closed in 2025-03 not in a declared monthly summary (CEB701, due by "       \
    "the 15th)"

/* Every kind of item, each with its command, most urgent first. */
static void test_needs(void **state)
{
    struct needs_fx *n = *state;
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;
    json_t *needs, *row;

    cg_report_opts_init(&o, n->conf);
    o.rows = 5;
    o.as_of = "2025-04-01";
    assert_int_equal(cg_report_build(n->base.st, n->s, n->rf, &o, &r, &err), CG_OK);
    needs = json_object_get(r->doc, "needs");
    assert_need(
        needs, 0, 2,
        "rejected documents and orders: correct and drop the file again, or once the customs "
        "refusal is fixed cebgate resend",
        "cebgate status --rejected");
    assert_need(needs, 1, 1, "order cancelled after declaration: a cancellation (CEB605) is needed",
                "cebgate status --cancel");
    assert_need(needs, 2, 1, "cancellation (CEB605) declared and waiting for customs to confirm it",
                "cebgate status --pending");
    assert_need(needs, 3, 1, SUMMARY_NEED, "cebgate summary --month 202503");
    assert_need(needs, 4, 1, "deferred-receipt report due or overdue", "cebgate report fx credit");
    assert_need(needs, 5, 1, "export VAT refund unit at risk of its filing deadline",
                "cebgate report refund risk");
    assert_int_equal(json_array_size(needs), 6);
    /* the refund sections: one unit waiting for clearance, its deadline in the calendar */
    assert_int_equal(jint(section(r, "refund"), "total"), 1);
    row = json_array_get(json_object_get(section(r, "refund"), "rows"), 0);
    assert_string_equal(json_string_value(json_array_get(row, 0)), "WAIT_CLEARANCE");
    assert_string_equal(json_string_value(json_array_get(row, 1)), "1");
    assert_int_equal(jint(section(r, "refund_calendar"), "total"), 1);
    row = json_array_get(json_object_get(section(r, "refund_calendar"), "rows"), 0);
    assert_string_equal(json_string_value(json_array_get(row, 0)), "2025-04-30");
    assert_string_equal(json_string_value(json_array_get(row, 1)), "E1/1");
    cg_report_free(r);

    /* seller b: its summary, and the refund unit (refund units belong to no seller) */
    o.seller = "b";
    assert_int_equal(cg_report_build(n->base.st, n->s, n->rf, &o, &r, &err), CG_OK);
    needs = json_object_get(r->doc, "needs");
    assert_need(needs, 0, 1, SUMMARY_NEED, "cebgate summary --month 202503");
    assert_need(needs, 1, 1,
                "export VAT refund unit at risk of its filing deadline (the broker's: refund "
                "units belong to no seller)",
                "cebgate report refund risk");
    assert_int_equal(json_array_size(needs), 2);
    cg_report_free(r);

    /* on 2025-05-02 March's summaries are no longer asked for */
    o.seller = NULL;
    o.as_of = "2025-05-02";
    assert_int_equal(cg_report_build(n->base.st, n->s, n->rf, &o, &r, &err), CG_OK);
    needs = json_object_get(r->doc, "needs");
    assert_need(needs, 3, 1, "deferred-receipt report due or overdue", "cebgate report fx credit");
    cg_report_free(r);
}

/* The table's and the page's text of the report built as of 2025-04-01 (caller frees both). */
static void needs_rendered(struct needs_fx *n, char **table, char **html)
{
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;
    struct cg_buf b;
    char *path = cg_fs_join(n->base.dir, "needs.html");
    size_t len = 0;
    FILE *fp;

    cg_report_opts_init(&o, n->conf);
    o.as_of = "2025-04-01";
    assert_int_equal(cg_report_build(n->base.st, n->s, n->rf, &o, &r, &err), CG_OK);
    fp = open_memstream(table, &len);
    assert_non_null(fp);
    assert_int_equal(cg_report_write_table(r, fp, &err), CG_OK);
    assert_int_equal(fclose(fp), 0);
    assert_non_null(path);
    assert_int_equal(cg_report_write_html(r, path, &err), CG_OK);
    cg_buf_init(&b, 1 << 20);
    assert_int_equal(cg_fs_read(path, 1 << 20, &b, &err), CG_OK);
    *html = cg_strdup(b.data);
    assert_non_null(*html);
    cg_buf_free(&b);
    cg_report_free(r);
    free(path);
}

/*
 * Each label of "Needs you today" agrees with its count, in the table and on the page: 2
 * rejected documents and orders, 1 order cancelled; the refund unit at risk alone, then with a
 * second one exported the same day.
 */
static void test_needs_labels_count(void **state)
{
    struct needs_fx *n = *state;
    char *table = NULL, *html = NULL;

    needs_rendered(n, &table, &html);
    assert_non_null(strstr(table, "\n  2  rejected documents and orders: correct and drop the "
                                  "file again, or once the customs refusal is fixed cebgate "
                                  "resend: cebgate status --rejected\n"));
    assert_non_null(strstr(table, "\n  1  order cancelled after declaration: a cancellation "
                                  "(CEB605) is needed: cebgate status --cancel\n"));
    assert_non_null(strstr(table, "\n  1  export VAT refund unit at risk of its filing deadline: "
                                  "cebgate report refund risk\n"));
    assert_non_null(strstr(html, "<li><b>2</b> rejected documents and orders: correct and drop "
                                 "the file again, or once the customs refusal is fixed cebgate "
                                 "resend: <code>cebgate status --rejected</code></li>"));
    assert_non_null(strstr(html, "<li><b>1</b> order cancelled after declaration: a cancellation "
                                 "(CEB605) is needed: <code>cebgate status --cancel</code></li>"));
    assert_non_null(strstr(html, "<li><b>1</b> export VAT refund unit at risk of its filing "
                                 "deadline: <code>cebgate report refund risk</code></li>"));
    free(table);
    free(html);

    write_and_import(n, CG_RF_ENTRIES, "e2.csv",
                     "entry_id,item_no,trade_mode,route,export_date,hs_code,name,spec,unit,"
                     "quantity,value_cny,expected_purchase,inventories,order_no,cleared_on,"
                     "collected\n"
                     "E2,1,9710,,2024-11-30,6912000000,Mug,,pcs,10,100,,,,,\n");
    needs_rendered(n, &table, &html);
    assert_non_null(strstr(table, "\n  2  export VAT refund units at risk of their filing "
                                  "deadline: cebgate report refund risk\n"));
    assert_non_null(strstr(html, "<li><b>2</b> export VAT refund units at risk of their filing "
                                 "deadline: <code>cebgate report refund risk</code></li>"));
    assert_null(strstr(table, "refund unit at risk of its"));
    free(table);
    free(html);
}

/* The row of section sec whose column col is value, or NULL. */
static json_t *row_named(json_t *sec, size_t col, const char *value)
{
    size_t i;
    json_t *row;

    json_array_foreach(json_object_get(sec, "rows"), i, row)
    {
        if (strcmp(json_string_value(json_array_get(row, col)), value) == 0)
            return row;
    }
    return NULL;
}

/* A file of seller a taken and finished with outcome. */
static void file_taken(struct fx *f, const char *name, int64_t inode, const char *outcome,
                       const char *reason)
{
    struct cg_err err;
    int64_t id;

    assert_int_equal(
        cg_store_file_add(f->st, "a", name, name, 10, "03", inode, "active", NULL, &id, &err),
        CG_OK);
    assert_int_equal(cg_store_file_finish(f->st, id, outcome, reason, &err), CG_OK);
}

/*
 * What needs the broker is what is still open: an order rejected, then rejected again by a later
 * file and then declared from a third one needs nothing; an order rejected and not declared since
 * is listed once, by its latest rejection. A file refused whole and taken again under its name
 * (put back from failed/ after a fix) needs nothing; one refused whole again is listed once.
 */
static void test_resolved_not_listed(void **state)
{
    struct fx *f = *state;
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;
    int64_t f2, f3, oid;
    json_t *rej, *row, *needs;

    assert_int_equal(cg_store_file_add(f->st, "a", "orders2.csv", "orders2.csv", 10, "01", 2,
                                       "active", NULL, &f2, &err),
                     CG_OK);
    assert_int_equal(cg_store_rejection_add(f->st, f2, "a", "A9", 4, "field total: bad", &err),
                     CG_OK);
    assert_int_equal(cg_store_rejection_add(f->st, f2, "a", "A8", 5, "field sku: unknown", &err),
                     CG_OK);
    assert_int_equal(cg_store_file_finish(f->st, f2, "done", NULL, &err), CG_OK);
    assert_int_equal(cg_store_rejection_add(f->st, f2, "a", "A8", 6, "field qty: zero", &err),
                     CG_OK);
    assert_int_equal(cg_store_file_add(f->st, "a", "orders3.csv", "orders3.csv", 10, "02", 3,
                                       "active", NULL, &f3, &err),
                     CG_OK);
    assert_int_equal(cg_store_order_put(f->st, "a", "A9", "h9", f3, 2, &oid, &err), CG_OK);
    assert_int_equal(cg_store_file_finish(f->st, f3, "done", NULL, &err), CG_OK);
    /* x.csv refused, then taken again and done; y.csv refused twice */
    file_taken(f, "x.csv", 4, "failed", "x: no orders");
    file_taken(f, "x.csv", 5, "done", NULL);
    file_taken(f, "y.csv", 6, "failed", "y: first");
    file_taken(f, "y.csv", 7, "failed", "y: second");

    opts(&o);
    o.rows = 10;
    assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_OK);
    /* A1's rejected CEB303 and A8's latest rejection; A9 was declared since */
    rej = section(r, "rejected");
    assert_int_equal(jint(rej, "total"), 2);
    row = row_named(rej, 1, "A8");
    assert_non_null(row);
    assert_string_equal(json_string_value(json_array_get(row, 4)), "field qty: zero");
    assert_null(row_named(rej, 1, "A9"));
    /* y.csv once, with its latest reason */
    rej = section(r, "failed_files");
    assert_int_equal(jint(rej, "total"), 1);
    row = json_array_get(json_object_get(rej, "rows"), 0);
    assert_string_equal(json_string_value(json_array_get(row, 1)), "y.csv");
    assert_string_equal(json_string_value(json_array_get(row, 2)), "order file");
    assert_string_equal(json_string_value(json_array_get(row, 4)), "y: second");
    needs = json_object_get(r->doc, "needs");
    assert_int_equal(jint(json_array_get(needs, 0), "count"), 2);
    assert_int_equal(jint(json_array_get(needs, 1), "count"), 1);
    /* per seller: a's open rejected orders are A8 only */
    row = json_array_get(json_object_get(section(r, "sellers"), "rows"), 0);
    assert_string_equal(json_string_value(json_array_get(row, 0)), "a");
    assert_string_equal(json_string_value(json_array_get(row, 5)), "1");
    cg_report_free(r);
}

/*
 * A bank statement or refund file refused whole is listed as an order file refused whole is, with
 * what it is and its reason, and counted in the needs item and for its seller; each seller and
 * name by its latest outcome over both kinds of file: a name refused and then imported (as a
 * statement or as an order file) is no longer listed.
 */
static void test_intake_files_refused(void **state)
{
    struct fx *f = *state;
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;
    json_t *sec, *row, *needs;

    /* an order file refused long ago, then a statement imported under its name */
    file_taken(f, "x.csv", 9, "failed", "x: no orders");
    exec_sql(f, "UPDATE input_files SET taken_at = '2026-01-01T00:00:00.000Z' WHERE name = "
                "'x.csv'");
    assert_int_equal(cg_store_intake_file(f->st, "a", "x.csv", "collections CSV", NULL, &err),
                     CG_OK);
    /* a statement refused long ago, then an order file taken under its name */
    assert_int_equal(
        cg_store_intake_file(f->st, "a", "y.csv", "collections CSV", "y.csv:2: bad", &err), CG_OK);
    exec_sql(f, "UPDATE intake_files SET at = '2026-01-01T00:00:00.000Z' WHERE name = 'y.csv'");
    file_taken(f, "y.csv", 10, "done", NULL);
    /* a statement refused twice, then imported; another refused; a results file refused */
    assert_int_equal(
        cg_store_intake_file(f->st, "a", "s1.xml", "bank statement (camt.053)", "s1: first", &err),
        CG_OK);
    assert_int_equal(
        cg_store_intake_file(f->st, "a", "s1.xml", "bank statement (camt.053)", "s1: second", &err),
        CG_OK);
    assert_int_equal(cg_store_intake_file(f->st, "a", "s2.sta", "bank statement (MT940)",
                                          "s2.sta:4: field 61: bad", &err),
                     CG_OK);
    exec_sql(f, "UPDATE intake_files SET at = '2026-01-02T00:00:00.000Z' WHERE name = 's2.sta'");
    assert_int_equal(cg_store_intake_file(f->st, "", "res.csv", "refund results file",
                                          "res.csv:2: field reason: empty", &err),
                     CG_OK);
    exec_sql(f, "UPDATE intake_files SET at = '2026-01-03T00:00:00.000Z' WHERE name = 'res.csv'");
    opts(&o);
    o.rows = 10;
    assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_OK);
    sec = section(r, "failed_files");
    assert_int_equal(jint(sec, "total"), 3);
    /* newest first: s1.xml (now), res.csv (January 3rd), s2.sta (January 2nd) */
    row = json_array_get(json_object_get(sec, "rows"), 0);
    assert_string_equal(json_string_value(json_array_get(row, 1)), "s1.xml");
    assert_string_equal(json_string_value(json_array_get(row, 2)), "bank statement (camt.053)");
    assert_string_equal(json_string_value(json_array_get(row, 4)), "s1: second");
    row = json_array_get(json_object_get(sec, "rows"), 1);
    assert_string_equal(json_string_value(json_array_get(row, 0)), "(default)");
    assert_string_equal(json_string_value(json_array_get(row, 1)), "res.csv");
    assert_string_equal(json_string_value(json_array_get(row, 2)), "refund results file");
    assert_string_equal(json_string_value(json_array_get(row, 3)), "2026-01-03T00:00:00.000Z");
    assert_string_equal(json_string_value(json_array_get(row, 4)),
                        "res.csv:2: field reason: empty");
    row = json_array_get(json_object_get(sec, "rows"), 2);
    assert_string_equal(json_string_value(json_array_get(row, 1)), "s2.sta");
    /* the needs item counts them: rejected documents and orders first, then these three */
    needs = json_object_get(r->doc, "needs");
    row = json_array_get(needs, 1);
    assert_non_null(strstr(json_string_value(json_object_get(row, "what")), "refused whole"));
    assert_int_equal(jint(row, "count"), 3);
    /* per seller: a's s1.xml and s2.sta; the default seller's res.csv */
    row = row_named(section(r, "sellers"), 0, "a");
    assert_non_null(row);
    assert_string_equal(json_string_value(json_array_get(row, 7)), "2");
    row = row_named(section(r, "sellers"), 0, "(default)");
    assert_non_null(row);
    assert_string_equal(json_string_value(json_array_get(row, 7)), "1");
    cg_report_free(r);

    /* s1.xml imported once fixed: listed no more */
    assert_int_equal(
        cg_store_intake_file(f->st, "a", "s1.xml", "bank statement (camt.053)", NULL, &err), CG_OK);
    assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_OK);
    sec = section(r, "failed_files");
    assert_int_equal(jint(sec, "total"), 2);
    assert_string_equal(
        json_string_value(json_array_get(json_array_get(json_object_get(sec, "rows"), 0), 1)),
        "res.csv");
    cg_report_free(r);
}

static int refusal_copy(const struct cg_store_refusal *r, void *vctx)
{
    char *out = vctx;

    snprintf(out, 256, "%s|%s|%s|%s|%s|%s|%s", r->seller, r->kind, r->refused_at,
             r->dismissed.at != NULL ? "dismissed" : "listed",
             r->dismissed.by != NULL ? r->dismissed.by : "",
             r->dismissed.reason != NULL ? r->dismissed.reason : "", r->reason);
    return CG_OK;
}

/* The count of the needs item of the files refused whole, 0 when there is none. */
static long long refused_need(const struct cg_report *r)
{
    json_t *v;
    size_t i;

    json_array_foreach(json_object_get(r->doc, "needs"), i, v)
    {
        if (strstr(json_string_value(json_object_get(v, "what")), "refused whole") != NULL)
            return jint(v, "count");
    }
    return 0;
}

/*
 * A dismissed refusal is listed no more, in the list, the needs item and per seller; the
 * dismissal covers the refusal of its time only: a later refusal of the same seller and name,
 * of either kind of file, is listed again, and a dismissal of another time hides nothing.
 */
static void test_refusals_dismissed(void **state)
{
    struct fx *f = *state;
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;
    char got[256] = "";
    json_t *sec, *row;

    file_taken(f, "x.csv", 9, "failed", "x.csv: no orders in the file");
    exec_sql(f, "UPDATE input_files SET taken_at = '2026-01-01T00:00:00.000Z' WHERE name = "
                "'x.csv'");
    file_taken(f, "y.csv", 10, "failed", "y.csv: no orders in the file");
    exec_sql(f, "UPDATE input_files SET taken_at = '2026-01-03T00:00:00.000Z' WHERE name = "
                "'y.csv'");
    assert_int_equal(cg_store_intake_file(f->st, "a", "s.xml", "bank statement (camt.053)",
                                          "s.xml: 1 bad entry", &err),
                     CG_OK);
    exec_sql(f, "UPDATE intake_files SET at = '2026-01-02T00:00:00.000Z' WHERE name = 's.xml'");
    assert_int_equal(cg_store_refusals_named(f->st, NULL, "x.csv", refusal_copy, got, &err), CG_OK);
    assert_string_equal(
        got, "a|order file|2026-01-01T00:00:00.000Z|listed|||x.csv: no orders in the file");
    assert_int_equal(cg_store_refusals_named(f->st, "b", "x.csv", refusal_copy, got, &err),
                     CG_ENOTFOUND);

    assert_int_equal(cg_store_refusal_dismiss(f->st, "a", "x.csv", "2026-01-01T00:00:00.000Z",
                                              "order file", "op", "fixed as x2.csv", &err),
                     CG_OK);
    assert_int_equal(cg_store_refusal_dismiss(f->st, "a", "x.csv", "2026-01-01T00:00:00.000Z",
                                              "order file", "op", "again", &err),
                     CG_EEXIST);
    assert_int_equal(cg_store_refusal_dismiss(f->st, "a", "s.xml", "2026-01-02T00:00:00.000Z",
                                              "bank statement (camt.053)", "op2", "not ours", &err),
                     CG_OK);
    /* a dismissal of a time y.csv was not refused at */
    assert_int_equal(cg_store_refusal_dismiss(f->st, "a", "y.csv", "2025-12-31T00:00:00.000Z",
                                              "order file", "op", "old", &err),
                     CG_OK);
    assert_int_equal(cg_store_refusals_named(f->st, "a", "x.csv", refusal_copy, got, &err), CG_OK);
    assert_non_null(strstr(got, "|dismissed|op|fixed as x2.csv|"));

    opts(&o);
    o.rows = 10;
    assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_OK);
    sec = section(r, "failed_files");
    assert_int_equal(jint(sec, "total"), 1);
    row = json_array_get(json_object_get(sec, "rows"), 0);
    assert_string_equal(json_string_value(json_array_get(row, 1)), "y.csv");
    assert_int_equal(refused_need(r), 1);
    row = row_named(section(r, "sellers"), 0, "a");
    assert_non_null(row);
    assert_string_equal(json_string_value(json_array_get(row, 7)), "1");
    cg_report_free(r);

    /* refused again: s.xml as a statement, x.csv now as a statement too, both later */
    assert_int_equal(cg_store_intake_file(f->st, "a", "s.xml", "bank statement (camt.053)",
                                          "s.xml: 2 bad entries", &err),
                     CG_OK);
    assert_int_equal(
        cg_store_intake_file(f->st, "a", "x.csv", "collections CSV", "x.csv:2: bad", &err), CG_OK);
    assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_OK);
    sec = section(r, "failed_files");
    assert_int_equal(jint(sec, "total"), 3);
    assert_int_equal(refused_need(r), 3);
    cg_report_free(r);
    assert_int_equal(cg_store_refusals_named(f->st, "a", "x.csv", refusal_copy, got, &err), CG_OK);
    assert_non_null(strstr(got, "a|collections CSV|"));
    assert_non_null(strstr(got, "|listed|||x.csv:2: bad"));
}

/*
 * The text table keeps each row on one line: a refused file's reason, which lists its rejections
 * one per line, is printed with "; " between them, and the columns after it stay aligned.
 */
static void test_table_multiline_cell(void **state)
{
    struct fx *f = *state;
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;
    char *text = NULL, *line, *save = NULL;
    size_t len = 0;
    FILE *fp;
    int found = 0;

    file_taken(f, "z.csv", 8, "failed",
               "z.csv: all 2 orders rejected\n  line 2: field sku: unknown\n  line 3:\tfield "
               "total: bad");
    opts(&o);
    o.rows = 10;
    assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_OK);
    fp = open_memstream(&text, &len);
    assert_non_null(fp);
    assert_int_equal(cg_report_write_table(r, fp, &err), CG_OK);
    assert_int_equal(fclose(fp), 0);
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        /* no line of the output is the continuation of a cell */
        assert_int_not_equal(strncmp(line, "  line ", 7), 0);
        if (strstr(line, "z.csv") != NULL) {
            found++;
            assert_non_null(strstr(line, "  z.csv: all 2 orders rejected; line 2: field sku: "
                                         "unknown; line 3: field total: bad"));
        }
    }
    assert_int_equal(found, 1);
    free(text);
    cg_report_free(r);
}

/*
 * The CSV carries the last run as the table and the page show it: a section of its own after
 * the needs list, its header naming each figure, one row. The fixture's run is today's one file
 * with no order counted, A9 rejected and no message written.
 */
static void test_csv_last_run(void **state)
{
    struct fx *f = *state;
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;
    char *text = NULL, want[128], today[16];
    size_t len = 0;
    time_t now = time(NULL);
    struct tm tm;
    FILE *fp;

    gmtime_r(&now, &tm);
    strftime(today, sizeof(today), "%Y-%m-%d", &tm);
    opts(&o);
    assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_OK);
    fp = open_memstream(&text, &len);
    assert_non_null(fp);
    assert_int_equal(cg_report_write_csv(r, fp, &err), CG_OK);
    assert_int_equal(fclose(fp), 0);
    assert_non_null(strstr(text, "\n\n\"section\",\"day\",\"files\",\"failed_files\",\"orders\","
                                 "\"rejected\",\"held\",\"messages\",\"started\",\"finished\","
                                 "\"span_s\",\"busy_ms\",\"orders_per_min\",\"rejected_"
                                 "dismissed\",\"held_waiting\",\"held_skipped\",\"held_"
                                 "cancelled\"\n\"last_run\","));
    snprintf(want, sizeof(want), "\"last_run\",\"%s\",\"1\",\"0\",\"0\",\"1\",\"0\",\"0\",\"%s",
             today, today);
    assert_non_null(strstr(text, want));
    /* after the needs list, before the first section */
    assert_true(strstr(text, want) < strstr(text, "\"run_reasons\""));
    free(text);
    cg_report_free(r);
}

/* The table of the report as of day, into a string the caller frees. */
static char *table_of(struct fx *f, const char *day)
{
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;
    char *text = NULL;
    size_t len = 0;
    FILE *fp;

    opts(&o);
    o.as_of = day;
    assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_OK);
    fp = open_memstream(&text, &len);
    assert_non_null(fp);
    assert_int_equal(cg_report_write_table(r, fp, &err), CG_OK);
    assert_int_equal(fclose(fp), 0);
    cg_report_free(r);
    return text;
}

/*
 * The last run's pace is of the time spent on the day's files, each from taken to finished, not
 * of the wall time from the first taken to the last finished, which holds the time between the
 * day's runs: a run of one file at 10:00 (0.4 s) and one of two files worked on together at
 * 10:07:57 (0.0 to 0.6 s and 0.2 to 0.9 s: 0.9 s) took 1.3 s, though 477 s lie between. Their
 * 5 + 4 + 3 = 12 orders (files taken before files listed their orders: their own counts stand
 * for them) are 12 x 60000 / 1300 = 553 orders per minute, rounded down.
 */
static void test_table_last_run_pace(void **state)
{
    struct fx *f = *state;
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;
    int64_t file;
    json_t *run;
    char *text;

    assert_int_equal(cg_store_file_add(f->st, "b", "late.csv", "late.csv", 10, "01", 2, "active",
                                       NULL, &file, &err),
                     CG_OK);
    assert_int_equal(cg_store_file_add(f->st, "b", "later.csv", "later.csv", 10, "02", 3, "active",
                                       NULL, &file, &err),
                     CG_OK);
    exec_sql(f, "UPDATE input_files SET outcome = 'done', orders_listed = 0, orders_new = CASE "
                "name WHEN 'orders.csv' THEN 5 WHEN 'late.csv' THEN 4 ELSE 3 END, taken_at = CASE "
                "name WHEN 'orders.csv' THEN '2026-03-02T10:00:00.000Z' WHEN 'late.csv' THEN "
                "'2026-03-02T10:07:57.000Z' ELSE '2026-03-02T10:07:57.200Z' END, finished_at = "
                "CASE name WHEN 'orders.csv' THEN '2026-03-02T10:00:00.400Z' WHEN 'late.csv' THEN "
                "'2026-03-02T10:07:57.600Z' ELSE '2026-03-02T10:07:57.900Z' END");
    opts(&o);
    o.as_of = "2026-03-02";
    assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_OK);
    run = json_object_get(r->doc, "last_run");
    assert_int_equal(jint(run, "busy_ms"), 1300);
    assert_int_equal(jint(run, "span_s"), 477);
    assert_int_equal(jint(run, "orders_per_min"), 553);
    assert_null(json_object_get(run, "duration_s"));
    cg_report_free(r);
    text = table_of(f, "2026-03-02");
    assert_non_null(strstr(text, "\nRuns of 2026-03-02 (UTC: the input files taken that day)\n"
                                 "  3 files (0 failed), 12 orders taken, 1 rejected, 0 held for "
                                 "their shop status, 0 messages\n"
                                 "  processing: 1.300 s in all (each file from taken to finished), "
                                 "553 orders per minute\n"
                                 "  first taken 2026-03-02T10:00:00.000Z, last finished "
                                 "2026-03-02T10:07:57.900Z: 477 s apart, the time between runs "
                                 "included\n"));
    free(text);
}

/* One file, one order, one order per minute: each count noun in the singular. */
static void test_table_last_run_singular(void **state)
{
    struct fx *f = *state;
    char *text;

    exec_sql(f, "UPDATE input_files SET orders_listed = 0, orders_new = 1, taken_at = "
                "'2026-03-03T10:00:00.000Z', finished_at = '2026-03-03T10:01:00.000Z'");
    text = table_of(f, "2026-03-03");
    assert_non_null(strstr(text, "\n  1 file (0 failed), 1 order taken, 1 rejected, 0 held for "
                                 "their shop status, 0 messages\n"
                                 "  processing: 60.000 s in all (each file from taken to "
                                 "finished), 1 order per minute\n"));
    free(text);
}

/*
 * The orders held for their shop status are counted by the status they were held for, so that
 * the Runs line agrees with the list of those held back as waiting: of a file taken before files
 * listed their orders, its own counts (2 waiting, 2 skipped, 1 cancelled: 5 held).
 */
static void test_table_last_run_held_split(void **state)
{
    struct fx *f = *state;
    char *text;

    exec_sql(f, "UPDATE input_files SET orders_listed = 0, orders_new = 1, orders_waiting = 2, "
                "orders_skipped = 2, orders_cancelled = 1, taken_at = '2026-03-03T10:00:00.000Z', "
                "finished_at = '2026-03-03T10:01:00.000Z'");
    text = table_of(f, "2026-03-03");
    assert_non_null(strstr(text, "\n  1 file (0 failed), 1 order taken, 1 rejected, 5 held for "
                                 "their shop status (2 waiting, 2 skipped, 1 cancelled), 0 "
                                 "messages\n"));
    free(text);
}

/*
 * A seller's pending documents are those `cebgate status --pending` lists: an order (CEB303) or a
 * waybill (CEB505) accepted by customs (120) has its last receipt and is not pending; an export
 * inventory (CEB603) accepted is, until released.
 */
static void test_seller_pending(void **state)
{
    struct fx *f = *state;
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;
    int64_t file, oid, d303, d505, d603;
    json_t *row;

    assert_int_equal(cg_store_file_add(f->st, "c", "orders.csv", "orders.csv", 10, "05", 9,
                                       "active", NULL, &file, &err),
                     CG_OK);
    assert_int_equal(cg_store_order_put(f->st, "c", "C1", "h", file, 2, &oid, &err), CG_OK);
    assert_int_equal(
        cg_store_doc_put(f->st, oid, 303, "C1", 1, "G-C1", 1, "c", NULL, NULL, &d303, &err), CG_OK);
    assert_int_equal(
        cg_store_doc_put(f->st, oid, 505, "W1", 1, "G-W1", 1, "c", NULL, NULL, &d505, &err), CG_OK);
    assert_int_equal(
        cg_store_doc_put(f->st, oid, 603, "P1", 1, "G-P1", 1, "c", NULL, NULL, &d603, &err), CG_OK);
    assert_int_equal(cg_store_doc_set_state(f->st, d303, "accepted", "120", "ok", &err), CG_OK);
    assert_int_equal(cg_store_doc_set_state(f->st, d505, "accepted", "120", "ok", &err), CG_OK);
    assert_int_equal(cg_store_doc_set_state(f->st, d603, "accepted", "120", "ok", &err), CG_OK);
    assert_int_equal(cg_store_file_finish(f->st, file, "done", NULL, &err), CG_OK);

    opts(&o);
    o.seller = "c";
    assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_OK);
    /* the column of rejected documents is told apart from that of rejected orders */
    row = json_object_get(section(r, "sellers"), "columns");
    assert_string_equal(json_string_value(json_array_get(row, 3)), "rejected_documents");
    assert_string_equal(json_string_value(json_array_get(row, 5)), "rejected_orders");
    row = json_array_get(json_object_get(section(r, "sellers"), "rows"), 0);
    assert_string_equal(json_string_value(json_array_get(row, 0)), "c");
    assert_string_equal(json_string_value(json_array_get(row, 2)), "3");
    assert_string_equal(json_string_value(json_array_get(row, 4)), "1");
    cg_report_free(r);
}

/*
 * A seller whose only file was refused whole (a wrong header: no order, no rejection) has its
 * row under "Per seller", with the file counted once however often it was refused; a file
 * refused and then taken again under its name is not counted.
 */
static void test_seller_failed_files_only(void **state)
{
    struct fx *f = *state;
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;
    int64_t id;
    json_t *sec, *row;
    int i;

    for (i = 0; i < 3; i++) {
        assert_int_equal(cg_store_file_add(f->st, i < 2 ? "zed" : "a", i < 2 ? "h.csv" : "k.csv",
                                           "h.csv", 10, "04", 40 + i, "active", NULL, &id, &err),
                         CG_OK);
        assert_int_equal(
            cg_store_file_finish(f->st, id, "failed", "h.csv:1: missing column order_no", &err),
            CG_OK);
    }
    file_taken(f, "k.csv", 44, "done", NULL);
    opts(&o);
    o.rows = 10;
    assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_OK);
    sec = section(r, "sellers");
    row = json_object_get(sec, "columns");
    assert_int_equal(json_array_size(row), 8);
    assert_string_equal(json_string_value(json_array_get(row, 7)), "failed_files");
    /* zed: no order, no rejection, its h.csv refused twice under one name is one file */
    row = row_named(sec, 0, "zed");
    assert_non_null(row);
    assert_string_equal(json_string_value(json_array_get(row, 1)), "0");
    assert_string_equal(json_string_value(json_array_get(row, 5)), "0");
    assert_string_equal(json_string_value(json_array_get(row, 7)), "1");
    row = row_named(sec, 0, "a");
    assert_non_null(row);
    assert_string_equal(json_string_value(json_array_get(row, 7)), "0");
    cg_report_free(r);
}

/* The report of one seller, up to 10 rows per list. */
static struct cg_report *seller_report(struct fx *f, const char *seller)
{
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;

    opts(&o);
    o.rows = 10;
    o.seller = seller;
    assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_OK);
    return r;
}

/* Row i of the last run's reasons is kind, counted n times. */
static void assert_reason(json_t *sec, size_t i, const char *kind, const char *n)
{
    json_t *row = json_array_get(json_object_get(sec, "rows"), i);

    assert_string_equal(json_string_value(json_array_get(row, 0)), kind);
    assert_string_equal(json_string_value(json_array_get(row, 1)), n);
}

/*
 * The last run's rejections are grouped by their kind, as the run summary groups them: the
 * order's place and number left out, quoted values written '…' and numbers N, so two unknown
 * SKUs are one reason counted twice.
 */
static void test_run_reasons_grouped(void **state)
{
    struct fx *f = *state;
    struct cg_report *r = NULL;
    struct cg_err err;
    int64_t file;
    json_t *sec;

    assert_int_equal(cg_store_file_add(f->st, "b", "more.csv", "more.csv", 10, "06", 10, "active",
                                       NULL, &file, &err),
                     CG_OK);
    assert_int_equal(cg_store_rejection_add(f->st, file, "b", "B7", 3,
                                            "b/more.csv:3: order B7: field sku: 'X-1' is not in "
                                            "the product catalogue",
                                            &err),
                     CG_OK);
    assert_int_equal(cg_store_rejection_add(f->st, file, "b", "B8", 4,
                                            "b/more.csv:4: order B8: field sku: 'Y-22' is not in "
                                            "the product catalogue",
                                            &err),
                     CG_OK);
    /* two dates a spreadsheet wrote its own way: one kind, the format's "ISO 8601" kept */
    assert_int_equal(cg_store_rejection_add(f->st, file, "b", "B9", 5,
                                            "b/more.csv:5: order B9: field Paid at: '2026/11/28 "
                                            "14:03' is not a date and time (YYYYMMDDhhmmss, "
                                            "YYYY-MM-DD hh:mm:ss [+hhmm] or ISO 8601) for "
                                            "accountingDate",
                                            &err),
                     CG_OK);
    assert_int_equal(cg_store_rejection_add(f->st, file, "b", "B10", 6,
                                            "b/more.csv:6: order B10: field Paid at: '2026/12/01 "
                                            "08:30' is not a date and time (YYYYMMDDhhmmss, "
                                            "YYYY-MM-DD hh:mm:ss [+hhmm] or ISO 8601) for "
                                            "accountingDate",
                                            &err),
                     CG_OK);
    assert_int_equal(cg_store_file_finish(f->st, file, "done", NULL, &err), CG_OK);

    r = seller_report(f, "b");
    sec = section(r, "run_reasons");
    assert_int_equal(jint(sec, "total"), 2);
    assert_reason(sec, 0,
                  "field Paid at: '\xe2\x80\xa6' is not a date and time (YYYYMMDDhhmmss, "
                  "YYYY-MM-DD hh:mm:ss [+hhmm] or ISO 8601) for accountingDate",
                  "2");
    assert_reason(sec, 1, "field sku: '\xe2\x80\xa6' is not in the product catalogue", "2");
    cg_report_free(r);
}

/*
 * An order rejected by several files of the last run (the same order in two files, or a file
 * dropped again) is one rejected order: counted once in the last run's figure and once under its
 * reasons, by its latest rejection that day.
 */
static void test_run_reasons_each_order_once(void **state)
{
    struct fx *f = *state;
    struct cg_report *r = NULL;
    struct cg_err err;
    int64_t file[3];
    const char *names[3] = {"more.csv", "more.csv", "other.csv"};
    char title[80];
    json_t *sec;
    int i;

    for (i = 0; i < 3; i++) {
        assert_int_equal(cg_store_file_add(f->st, "b", names[i], names[i], 10, "07", 20 + i,
                                           "active", NULL, &file[i], &err),
                         CG_OK);
        /* B7: an unknown SKU in more.csv and again when it is dropped again, a wrong total in
         * other.csv, its latest rejection */
        assert_int_equal(cg_store_rejection_add(f->st, file[i], "b", "B7", 3,
                                                i < 2 ? "b/more.csv:3: order B7: field sku: 'X-1' "
                                                        "is not in the product catalogue"
                                                      : "b/other.csv:3: order B7: field total: "
                                                        "not the sum of the lines",
                                                &err),
                         CG_OK);
        assert_int_equal(cg_store_file_count(f->st, file[i], 0, 0, 0, 1, &err), CG_OK);
        assert_int_equal(cg_store_file_finish(f->st, file[i], "done", NULL, &err), CG_OK);
    }
    /* B8: an unknown SKU in other.csv only */
    assert_int_equal(cg_store_rejection_add(f->st, file[2], "b", "B8", 4,
                                            "b/other.csv:4: order B8: field sku: 'Y-2' is not in "
                                            "the product catalogue",
                                            &err),
                     CG_OK);
    assert_int_equal(cg_store_file_count(f->st, file[2], 0, 0, 0, 1, &err), CG_OK);

    r = seller_report(f, "b");
    assert_int_equal(jint(json_object_get(r->doc, "last_run"), "rejected"), 2);
    sec = section(r, "run_reasons");
    /* the section's count is that of its reasons, and its title says so, naming the day */
    snprintf(title, sizeof(title), "Reasons orders were rejected in the runs of %s",
             json_string_value(json_object_get(json_object_get(r->doc, "last_run"), "day")));
    assert_string_equal(json_string_value(json_object_get(sec, "title")), title);
    assert_int_equal(jint(sec, "total"), 2);
    assert_reason(sec, 0, "field sku: '\xe2\x80\xa6' is not in the product catalogue", "1");
    assert_reason(sec, 1, "field total: not the sum of the lines", "1");
    cg_report_free(r);
}

static void test_bad_as_of(void **state)
{
    struct fx *f = *state;
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;

    opts(&o);
    o.as_of = "2026-02-30x";
    assert_int_equal(cg_report_build(f->st, NULL, NULL, &o, &r, &err), CG_EINVAL);
    assert_null(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seller, setup, teardown),
        cmocka_unit_test_setup_teardown(test_html_escaped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_as_of, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolved_not_listed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seller_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seller_failed_files_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intake_files_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals_dismissed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_multiline_cell, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_last_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_last_run_pace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_last_run_singular, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_last_run_held_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_reasons_grouped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_reasons_each_order_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_needs, setup_needs, teardown_needs),
        cmocka_unit_test_setup_teardown(test_needs_labels_count, setup_needs, teardown_needs),
    };

    cg_store_lib_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
