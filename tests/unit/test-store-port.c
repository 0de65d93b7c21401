/*
 * test-store-port.c - the port's store: a round trip through each operation on a real database
 * file, and a database failure injected into every read the port decides on (guid seen before,
 * document guid used, business key added, inventory of a summary, next due receipt, counter):
 * each returns the database error, never "not found". sqlite3_step is wrapped
 * (-Wl,--wrap=sqlite3_step) to fail on demand. The counts of --stats and /metrics, kept by
 * triggers, against count(*) over the tables on a connection of the test's own, also after a
 * database of schema step 3 is opened.
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

/* count(*) of sql on a connection of the test's own: what the counts must equal. */
static long sql_count(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long n;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(__real_sqlite3_step(st), SQLITE_ROW);
    n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* The counts equal count(*) over the tables, as the queries --stats ran before step 4. */
static void assert_stats_are_counts(struct fix *f)
{
    struct cg_store_port_stats st;
    struct cg_err err;

    assert_int_equal(cg_store_port_stats(f->s, &st, &err), CG_OK);
    assert_int_equal(st.received, sql_count(f->path, "SELECT count(*) FROM submissions"));
    assert_int_equal(st.accepted, sql_count(f->path, "SELECT count(*) FROM submissions WHERE "
                                                     "code = '0000' AND duplicate = 0"));
    assert_int_equal(st.accepted_again,
                     sql_count(f->path, "SELECT count(*) FROM submissions "
                                        "WHERE code = '0000' AND duplicate = 1"));
    assert_int_equal(st.rejected,
                     sql_count(f->path, "SELECT count(*) FROM submissions WHERE code <> '0000'"));
    assert_int_equal(st.documents, sql_count(f->path, "SELECT count(*) FROM documents"));
    assert_int_equal(st.documents_final,
                     sql_count(f->path, "SELECT count(*) FROM documents WHERE final = 1"));
    assert_int_equal(st.receipts, sql_count(f->path, "SELECT count(*) FROM receipts"));
    assert_int_equal(st.receipts_pending, sql_count(f->path, "SELECT count(*) FROM schedule"));
}

static int first_due(const struct cg_store_port_due *d, void *ctx)
{
    *(int64_t *)ctx = d->sched_id;
    return 1;
}

static void submit(struct fix *f, const char *guid, const char *code, bool duplicate)
{
    struct cg_store_port_submission m = {
        "2026-01-01T00:00:00Z", guid, 303, 10, "ab", code, duplicate, "text", NULL, "acme"};
    struct cg_err err;

    assert_int_equal(cg_store_port_begin(f->s, &err), CG_OK);
    assert_int_equal(cg_store_port_submission_add(f->s, &m, &err), CG_OK);
    assert_int_equal(cg_store_port_commit(f->s, &err), CG_OK);
}

/* Each change moves its count, in its own transaction; a rolled-back one moves none. The counts
 * are kept as the rows come, not counted from the tables at each read. */
static void test_stats_kept(void **state)
{
    struct fix *f = *state;
    struct cg_store_port_stats st;
    struct cg_err err;
    int64_t doc = 0;
    int64_t sched = 0;

    store_one(f, &doc);
    submit(f, "M-1", "0000", false);
    submit(f, "M-1", "0000", true);
    submit(f, "M-2", "0002", false);
    submit(f, "M-3", "1001", false);
    submit(f, NULL, "0002", false);
    assert_int_equal(cg_store_port_begin(f->s, &err), CG_OK);
    assert_int_equal(cg_store_port_schedule_add(f->s, doc, 900, 604, 800, "i", true, &err), CG_OK);
    assert_int_equal(cg_store_port_due(f->s, 600, 10, first_due, &sched, &err), 1);
    assert_int_equal(cg_store_port_receipt_add(f->s, doc, NULL, 604, "R-1", "D-1", "2",
                                               "2026-01-01T00:00:01Z", "<r/>", 4, NULL, NULL, &err),
                     CG_OK);
    assert_int_equal(cg_store_port_schedule_done(f->s, sched, doc, 2, true, &err), CG_OK);
    assert_int_equal(cg_store_port_commit(f->s, &err), CG_OK);
    /* A change rolled back moves no count. */
    assert_int_equal(cg_store_port_begin(f->s, &err), CG_OK);
    {
        struct cg_store_port_submission m = {
            "2026-01-01T00:00:00Z", "M-9", 303, 1, NULL, "0002", false, "t", NULL, "acme"};

        assert_int_equal(cg_store_port_submission_add(f->s, &m, &err), CG_OK);
    }
    assert_int_equal(cg_store_port_abort(f->s, &err), CG_OK);

    assert_int_equal(cg_store_port_stats(f->s, &st, &err), CG_OK);
    assert_int_equal(st.received, 5);
    assert_int_equal(st.accepted, 1);
    assert_int_equal(st.accepted_again, 1);
    assert_int_equal(st.rejected, 3);
    assert_int_equal(st.ncodes, 2);
    assert_string_equal(st.by_code[0].code, "0002");
    assert_int_equal(st.by_code[0].n, 2);
    assert_string_equal(st.by_code[1].code, "1001");
    assert_int_equal(st.by_code[1].n, 1);
    assert_int_equal(st.documents, 1);
    assert_int_equal(st.documents_final, 1);
    assert_int_equal(st.receipts, 1);
    assert_int_equal(st.receipts_pending, 1);
    assert_stats_are_counts(f);
    /* Totals count what came, not the rows still kept: an operator pruning old submissions
     * does not take them back (Prometheus counters never go down). */
    sql_exec(f->path, "DELETE FROM submissions WHERE id <= 3; DELETE FROM receipts");
    assert_int_equal(cg_store_port_stats(f->s, &st, &err), CG_OK);
    assert_int_equal(st.received, 5);
    assert_int_equal(st.accepted, 1);
    assert_int_equal(st.rejected, 3);
    assert_int_equal(st.receipts, 1);
}

/* A database of step 3 (no counts kept) with rows in every table: opening it counts them. */
static void test_stats_from_step_3(void **state)
{
    struct fix *f = *state;
    struct cg_store_port_stats st;
    struct cg_err err;
    int64_t doc = 0;

    store_one(f, &doc);
    submit(f, "M-1", "0000", false);
    cg_store_port_close(f->s);
    f->s = NULL;
    sql_exec(f->path, "DROP TRIGGER stats_submission; DROP TRIGGER stats_document;"
                      "DROP TRIGGER stats_document_final;"
                      "DELETE FROM counters WHERE name = 'stats';"
                      "DROP TRIGGER receipt_seq; DELETE FROM counters WHERE name = 'receipt seq';"
                      "INSERT INTO submissions(received_at, size, code, text)"
                      " VALUES ('t', 1, '0999', 'x'), ('t', 1, '0999', 'x'), ('t', 1, '0000', 'x');"
                      "UPDATE submissions SET duplicate = 1 WHERE id = 4;"
                      "UPDATE documents SET final = 1;"
                      "INSERT INTO receipts(msg_type, msg_guid, doc_guid, status, created_at, xml)"
                      " VALUES (604, 'a', 'b', '2', 't', x'00');"
                      "PRAGMA user_version = 3;");
    assert_int_equal(cg_store_port_open(f->path, &f->s, &err), CG_OK);
    assert_int_equal(cg_store_port_stats(f->s, &st, &err), CG_OK);
    assert_int_equal(st.received, 4);
    assert_int_equal(st.accepted, 1);
    assert_int_equal(st.accepted_again, 1);
    assert_int_equal(st.rejected, 2);
    assert_int_equal(st.ncodes, 1);
    assert_string_equal(st.by_code[0].code, "0999");
    assert_int_equal(st.documents, 1);
    assert_int_equal(st.documents_final, 1);
    assert_int_equal(st.receipts, 1);
    assert_int_equal(st.receipts_pending, 1);
    /* and keeps them from then on */
    submit(f, "M-4", "0999", false);
    assert_stats_are_counts(f);
}

/* Add a receipt of doc for sender acme in its own transaction; its number among acme's. */
static int64_t receipt(struct fix *f, int64_t doc)
{
    struct cg_err err;
    int64_t id = 0;

    assert_int_equal(cg_store_port_begin(f->s, &err), CG_OK);
    assert_int_equal(cg_store_port_receipt_add(f->s, doc, "acme", 604, "g", "D-1", "2", "t", "x", 1,
                                               &id, NULL, &err),
                     CG_OK);
    assert_int_equal(cg_store_port_commit(f->s, &err), CG_OK);
    return id;
}

/* A sender's numbers keep growing after its receipts were deleted (pruned): its cursor is the
 * largest it read, so a number given again would never be fetched. */
static void test_receipt_numbers_after_pruning(void **state)
{
    struct fix *f = *state;
    int64_t doc = 0;

    store_one(f, &doc);
    assert_int_equal(receipt(f, doc), 1);
    assert_int_equal(receipt(f, doc), 2);
    sql_exec(f->path, "DELETE FROM receipts");
    assert_int_equal(receipt(f, doc), 3);
    sql_exec(f->path, "DELETE FROM receipts WHERE seq = 3");
    assert_int_equal(receipt(f, doc), 4);
}

/* A database of step 4 (no number kept): opening it keeps each sender's largest number. */
static void test_receipt_numbers_from_step_4(void **state)
{
    struct fix *f = *state;
    struct cg_err err;
    int64_t doc = 0;

    store_one(f, &doc);
    assert_int_equal(receipt(f, doc), 1);
    assert_int_equal(receipt(f, doc), 2);
    cg_store_port_close(f->s);
    f->s = NULL;
    sql_exec(f->path, "DROP TRIGGER receipt_seq; DELETE FROM counters WHERE name = 'receipt seq';"
                      "UPDATE receipts SET seq = seq + 6;"
                      "PRAGMA user_version = 4;");
    assert_int_equal(cg_store_port_open(f->path, &f->s, &err), CG_OK);
    sql_exec(f->path, "DELETE FROM receipts");
    assert_int_equal(receipt(f, doc), 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_from_step_3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receipt_numbers_after_pruning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receipt_numbers_from_step_4, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
