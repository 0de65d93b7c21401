/*
 * test-store-port.c - the port's store: a round trip through each operation on a real database
 * file, and a database failure injected into every read the port decides on (guid seen before,
 * document guid used, business key added, inventory of a summary, next due receipt, counter):
 * each returns the database error, never "not found". sqlite3_step is wrapped
 * (-Wl,--wrap=sqlite3_step) to fail on demand.
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

#include "store/store-port.h"

int __real_sqlite3_step(sqlite3_stmt *st);
int __wrap_sqlite3_step(sqlite3_stmt *st);

static int fail_step; /* non-zero: the next sqlite3_step calls fail with this code */

int __wrap_sqlite3_step(sqlite3_stmt *st)
{
    if (fail_step != 0)
        return fail_step;
    return __real_sqlite3_step(st);
}

struct fix {
    char dir[64];
    char path[96];
    struct cg_store_port *s;
};

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    struct cg_err err;

    snprintf(f->dir, sizeof(f->dir), "/tmp/cg-test-store-port.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/port.db", f->dir);
    assert_int_equal(cg_store_port_open(f->path, &f->s, &err), CG_OK);
    fail_step = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    char cmd[128];

    fail_step = 0;
    cg_store_port_close(f->s);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static int count_docs(const char *guid, const char *pre_no, const char *invt_no, void *ctx)
{
    (void)guid;
    (void)pre_no;
    (void)invt_no;
    (*(int *)ctx)++;
    return CG_OK;
}

/* One message with one inventory, stored; the lookups find it, and the next due receipt. */
static void store_one(struct fix *f, int64_t *doc_id)
{
    struct cg_store_port_message m = {"M-1", 603,    "ab",   "2026-01-01T00:00:00Z",
                                      NULL,  "acme", "<x/>", 4};
    struct cg_store_port_document d;
    struct cg_err err;
    int64_t mid = 0;

    memset(&d, 0, sizeof(d));
    assert_int_equal(cg_store_port_begin(f->s, &err), CG_OK);
    assert_int_equal(cg_store_port_message_add(f->s, &m, &mid, &err), CG_OK);
    d.message_id = mid;
    d.guid = "D-1";
    d.msg_type = 603;
    d.app_type = "1";
    d.bkey = "603|A|C";
    d.pre_no = "P";
    d.invt_no = "I-1";
    d.doc_json = "{\"invtNo\":\"I-1\"}";
    d.accepted_ms = 1;
    d.sender = "acme";
    assert_int_equal(cg_store_port_document_add(f->s, &d, doc_id, &err), CG_OK);
    assert_int_equal(cg_store_port_schedule_add(f->s, *doc_id, 500, 604, 2, "i", true, &err),
                     CG_OK);
    assert_int_equal(cg_store_port_commit(f->s, &err), CG_OK);
}

static void test_round_trip(void **state)
{
    struct fix *f = *state;
    struct cg_err err;
    char sha[65];
    char a[64];
    char b[64];
    char *json = NULL;
    int64_t id = 0;
    int64_t doc = 0;
    int64_t due = 0;
    long n = 0;
    int ndocs = 0;

    store_one(f, &doc);
    assert_int_equal(cg_store_port_message_find(f->s, "M-1", &id, sha, a, sizeof(a), &err), CG_OK);
    assert_string_equal(sha, "ab");
    assert_string_equal(a, "acme");
    assert_int_equal(cg_store_port_message_docs(f->s, id, count_docs, &ndocs, &err), CG_OK);
    assert_int_equal(ndocs, 1);
    assert_int_equal(cg_store_port_message_find(f->s, "M-2", &id, sha, a, sizeof(a), &err),
                     CG_ENOTFOUND);
    assert_int_equal(cg_store_port_doc_guid_used(f->s, "D-1", a, sizeof(a), b, sizeof(b), &err),
                     CG_OK);
    assert_string_equal(a, "M-1");
    assert_string_equal(b, "acme");
    assert_int_equal(cg_store_port_doc_guid_used(f->s, "D-2", a, sizeof(a), b, sizeof(b), &err),
                     CG_ENOTFOUND);
    assert_int_equal(cg_store_port_bkey_added(f->s, "603|A|C", a, sizeof(a), b, sizeof(b), &err),
                     CG_OK);
    assert_string_equal(a, "D-1");
    assert_string_equal(b, "acme");
    assert_int_equal(cg_store_port_bkey_added(f->s, "603|A|X", a, sizeof(a), b, sizeof(b), &err),
                     CG_ENOTFOUND);
    assert_int_equal(cg_store_port_inventory(f->s, "I-1", doc, &json, &err), CG_OK);
    assert_string_equal(json, "{\"invtNo\":\"I-1\"}");
    free(json);
    assert_int_equal(cg_store_port_next_due(f->s, &due, &err), CG_OK);
    assert_int_equal(due, 500);
    assert_int_equal(cg_store_port_begin(f->s, &err), CG_OK);
    assert_int_equal(cg_store_port_counter_next(f->s, "preNo", "20260101", &n, &err), CG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(cg_store_port_counter_next(f->s, "preNo", "20260101", &n, &err), CG_OK);
    assert_int_equal(n, 2);
    assert_int_equal(cg_store_port_commit(f->s, &err), CG_OK);
    cg_store_port_reset(f->s);
}

/* Every read the port decides on: a failing step is a database error, never "not found". */
static void test_read_failures(void **state)
{
    struct fix *f = *state;
    struct cg_err err;
    char sha[65];
    char a[64];
    char b[64];
    char *json = NULL;
    int64_t id = 0;
    int64_t doc = 0;
    int64_t due = 0;
    long n = 0;
    int ndocs = 0;

    store_one(f, &doc);
    fail_step = SQLITE_IOERR;
    assert_int_equal(cg_store_port_message_find(f->s, "M-2", &id, sha, a, sizeof(a), &err), CG_EDB);
    assert_int_equal(cg_store_port_message_docs(f->s, 1, count_docs, &ndocs, &err), CG_EDB);
    assert_int_equal(cg_store_port_doc_guid_used(f->s, "D-2", a, sizeof(a), b, sizeof(b), &err),
                     CG_EDB);
    assert_int_equal(cg_store_port_bkey_added(f->s, "603|A|X", a, sizeof(a), b, sizeof(b), &err),
                     CG_EDB);
    assert_int_equal(cg_store_port_inventory(f->s, "I-9", doc, &json, &err), CG_EDB);
    assert_null(json);
    assert_int_equal(cg_store_port_next_due(f->s, &due, &err), CG_EDB);
    assert_int_equal(cg_store_port_counter_next(f->s, "preNo", "20260101", &n, &err), CG_EDB);
    fail_step = SQLITE_BUSY;
    assert_int_equal(cg_store_port_message_find(f->s, "M-2", &id, sha, a, sizeof(a), &err),
                     CG_EBUSY);
    fail_step = 0;
    cg_store_port_reset(f->s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_failures, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
