/*
 * test-report.c - the morning report built from a database written through the store's own
 * functions: counts, the row limit and its "total", the needs list in its order, the per-seller
 * table; untrusted text escaped in the HTML page; a database failure in any report query
 * returned as CG_EBUSY / CG_EDB with no report, never as an empty one.
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
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "report/report-int.h"
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
        assert_int_equal(cg_store_doc_put(f->st, o[i], 303, nos[i], 1, guid, 1, "c", &d[i], &err),
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
    assert_int_equal(cg_report_build(f->st, NULL, &o, &r, &err), CG_OK);
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
    /* the needs list: rejected first, then the cancellation; nothing else has a count */
    needs = json_object_get(r->doc, "needs");
    assert_int_equal(json_array_size(needs), 2);
    assert_int_equal(jint(json_array_get(needs, 0), "count"), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(needs, 1), "command")),
                        "cebgate status --cancel");
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
    /* no refund tables: the section says so and counts nothing */
    assert_int_equal(jint(section(r, "refund"), "total"), 0);
    assert_non_null(json_object_get(section(r, "refund"), "empty"));
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
    assert_int_equal(cg_report_build(f->st, NULL, &o, &r, &err), CG_OK);
    assert_int_equal(jint(json_object_get(r->doc, "documents"), "total"), 1);
    assert_int_equal(jint(section(r, "rejected"), "total"), 0);
    assert_int_equal(jint(section(r, "cancel"), "total"), 0);
    assert_int_equal(json_array_size(json_object_get(r->doc, "needs")), 0);
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
    assert_int_equal(cg_report_build(f->st, NULL, &o, &r, &err), CG_OK);
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
        "max(substr(taken_at",        /* last run */
        "GROUP BY o.seller, d.state", /* documents by state */
        "ORDER BY id DESC",           /* failed files */
        "GROUP BY r.reason",          /* the last run's rejection reasons */
        "count(DISTINCT order_no)",   /* per seller */
        "GROUP BY day, d.state",      /* the 30 days */
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
        assert_int_equal(cg_report_build(f->st, NULL, &o, &r, &err), CG_EBUSY);
        assert_int_equal(injected, 1);
        assert_null(r);
        fail_rc = SQLITE_IOERR;
        assert_int_equal(cg_report_build(f->st, NULL, &o, &r, &err), CG_EDB);
        assert_null(r);
    }
    fail_sql = NULL;
}

static void test_bad_as_of(void **state)
{
    struct fx *f = *state;
    struct cg_report_opts o;
    struct cg_report *r = NULL;
    struct cg_err err;

    opts(&o);
    o.as_of = "2026-02-30x";
    assert_int_equal(cg_report_build(f->st, NULL, &o, &r, &err), CG_EINVAL);
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
    };

    cg_store_lib_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
