/*
 * test-db.c - the SQLite connection under the store: migrate from empty, re-open, refuse a newer
 * database, transactions roll back on failure, SQLITE_BUSY is reported as CG_EBUSY, and a
 * constraint failure is told by its kind, not by the words of SQLite's message.
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

#include "store/store-db.h"
#include "store/store-int.h"
#include "core/err.h"
#include "core/fsutil.h"

static const char *const steps[] = {
    "CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT NOT NULL);",
    "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER NOT NULL REFERENCES a(id));",
};
static const struct cg_db_schema schema2 = {"test", steps, 2};
static const struct cg_db_schema schema1 = {"test", steps, 1};

struct fix {
    char dir[64];
    char *path;
};

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/cg-test-db.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->path = cg_fs_join(f->dir, "t.db");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f->path);
    free(f);
    return 0;
}

static int count_tables(struct cg_db *db)
{
    sqlite3_stmt *st;
    int n = -1;
    assert_int_equal(sqlite3_prepare_v2(cg_db_handle(db),
                                        "SELECT count(*) FROM sqlite_master WHERE type='table'", -1,
                                        &st, NULL),
                     SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void test_migrate_from_empty(void **state)
{
    struct fix *f = *state;
    struct cg_db *db = NULL;
    struct cg_err err;
    int ver = -1;
    sqlite3_stmt *st;

    assert_int_equal(cg_db_open(f->path, &schema2, &db, &err), CG_OK);
    assert_int_equal(cg_db_user_version(db, &ver), CG_OK);
    assert_int_equal(ver, 2);
    assert_int_equal(count_tables(db), 2);
    /* WAL and foreign keys are on. */
    assert_int_equal(sqlite3_prepare_v2(cg_db_handle(db), "PRAGMA journal_mode", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    assert_int_equal(cg_db_exec(db, "INSERT INTO b(a_id) VALUES (99)", &err), CG_EDB);
    assert_non_null(strstr(err.msg, "FOREIGN KEY"));
    cg_db_close(db);
}

static void test_step_by_step_and_reopen(void **state)
{
    struct fix *f = *state;
    struct cg_db *db = NULL;
    struct cg_err err;
    int ver = -1;

    assert_int_equal(cg_db_open(f->path, &schema1, &db, &err), CG_OK);
    assert_int_equal(cg_db_exec(db, "INSERT INTO a(v) VALUES ('kept')", &err), CG_OK);
    cg_db_close(db);
    /* Opening with a newer schema runs only the missing step and keeps the data. */
    assert_int_equal(cg_db_open(f->path, &schema2, &db, &err), CG_OK);
    assert_int_equal(cg_db_user_version(db, &ver), CG_OK);
    assert_int_equal(ver, 2);
    assert_int_equal(cg_db_exec(db, "INSERT INTO b(a_id) VALUES (1)", &err), CG_OK);
    cg_db_close(db);
    /* Re-opening an up-to-date database changes nothing. */
    assert_int_equal(cg_db_open(f->path, &schema2, &db, &err), CG_OK);
    assert_int_equal(count_tables(db), 2);
    cg_db_close(db);
}

static void test_newer_refused(void **state)
{
    struct fix *f = *state;
    struct cg_db *db = NULL;
    struct cg_err err;

    assert_int_equal(cg_db_open(f->path, &schema2, &db, &err), CG_OK);
    cg_db_close(db);
    db = NULL;
    assert_int_equal(cg_db_open(f->path, &schema1, &db, &err), CG_EVERSION);
    assert_null(db);
    assert_non_null(strstr(err.msg, "version 2"));
    assert_non_null(strstr(err.msg, "newer cebgate"));
}

static int insert_then_fail(struct cg_db *db, void *ctx, struct cg_err *err)
{
    int rc = cg_db_exec(db, "INSERT INTO a(v) VALUES ('lost')", err);
    if (rc != CG_OK)
        return rc;
    return CG_ERR_SET(err, CG_EREJECT, "unit of work refused");
}

static int insert_ok(struct cg_db *db, void *ctx, struct cg_err *err)
{
    return cg_db_exec(db, "INSERT INTO a(v) VALUES ('ok')", err);
}

static void test_tx_rollback(void **state)
{
    struct fix *f = *state;
    struct cg_db *db = NULL;
    struct cg_err err;
    sqlite3_stmt *st;

    assert_int_equal(cg_db_open(f->path, &schema2, &db, &err), CG_OK);
    assert_int_equal(cg_db_tx(db, insert_then_fail, NULL, &err), CG_EREJECT);
    assert_int_equal(cg_db_tx(db, insert_ok, NULL, &err), CG_OK);
    assert_int_equal(
        sqlite3_prepare_v2(cg_db_handle(db), "SELECT group_concat(v) FROM a", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    cg_db_close(db);
}

static void test_busy(void **state)
{
    struct fix *f = *state;
    struct cg_db *a = NULL;
    struct cg_db *b = NULL;
    struct cg_err err;

    assert_int_equal(cg_db_open(f->path, &schema2, &a, &err), CG_OK);
    assert_int_equal(cg_db_open(f->path, &schema2, &b, &err), CG_OK);
    cg_db_set_busy_timeout(b, 10);
    assert_int_equal(cg_db_exec(a, "BEGIN IMMEDIATE", &err), CG_OK);
    assert_int_equal(cg_db_tx(b, insert_ok, NULL, &err), CG_EBUSY);
    assert_int_equal(cg_db_exec(a, "COMMIT", &err), CG_OK);
    assert_int_equal(cg_db_tx(b, insert_ok, NULL, &err), CG_OK);
    cg_db_close(a);
    cg_db_close(b);
}

static void test_not_a_database(void **state)
{
    struct fix *f = *state;
    struct cg_db *db = NULL;
    struct cg_err err;
    FILE *fp = fopen(f->path, "w");

    assert_non_null(fp);
    fputs("this is not a database file, it is plain text long enough to have a header........"
          "................................................................................",
          fp);
    fclose(fp);
    assert_int_equal(cg_db_open(f->path, &schema2, &db, &err), CG_EDB);
    assert_null(db);
    /* Said as what it is: not a question, and not the words for a full disk. */
    assert_non_null(strstr(err.msg, ": reading user_version (not a SQLite database): "));
}

static void test_main_schema(void **state)
{
    struct fix *f = *state;
    struct cg_db *db = NULL;
    struct cg_err err;
    int ver = 0;

    const struct cg_db_schema spool = {cg_store_schema_spool.name, cg_store_schema_spool.steps,
                                       cg_store_schema_spool.nsteps};

    assert_int_equal(cg_db_open(f->path, &spool, &db, &err), CG_OK);
    assert_int_equal(cg_db_user_version(db, &ver), CG_OK);
    assert_int_equal(ver, spool.nsteps);
    assert_int_equal(cg_db_exec(db, "PRAGMA integrity_check", &err), CG_OK);
    cg_db_close(db);
}

/* A trigger's RAISE is a refusal with its words; a UNIQUE or PRIMARY KEY violation is "already
 * recorded" even when a column's name holds a trigger's word; NOT NULL is a database error. */
static void test_constraint_kinds(void **state)
{
    static const char *const sql[] = {
        "CREATE TABLE t (refused_at TEXT UNIQUE, v INTEGER NOT NULL);"
        "CREATE TABLE k (exceeds TEXT PRIMARY KEY);"
        "CREATE TRIGGER t_cap BEFORE INSERT ON t WHEN new.v > 9"
        " BEGIN SELECT RAISE(ABORT, 'value exceeds the cap'); END;",
    };
    const struct cg_db_schema one = {"test", sql, 1};
    struct fix *f = *state;
    struct cg_store st;
    sqlite3_stmt *s = NULL;
    struct cg_err err;
    size_t i;
    static const struct {
        const char *sql;
        int rc;
        const char *msg;
    } cases[] = {
        {"INSERT INTO t VALUES ('2026-01-01', 1)", CG_OK, NULL},
        {"INSERT INTO t VALUES ('2026-01-01', 2)", CG_EEXIST, "t: already recorded"},
        {"INSERT INTO k VALUES ('a')", CG_OK, NULL},
        {"INSERT INTO k VALUES ('a')", CG_EEXIST, "t: already recorded"},
        {"INSERT INTO t VALUES ('2026-01-02', 10)", CG_EREJECT, "t: value exceeds the cap"},
        {"INSERT INTO t VALUES ('2026-01-03', NULL)", CG_EDB, NULL},
    };

    memset(&st, 0, sizeof(st));
    assert_int_equal(cg_db_open(f->path, &one, &st.db, &err), CG_OK);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cg_err_clear(&err);
        assert_int_equal(store_prep(&st, cases[i].sql, &s, &err), CG_OK);
        assert_int_equal(store_done(&st, s, "t", &err), cases[i].rc);
        if (cases[i].msg != NULL)
            assert_string_equal(err.msg, cases[i].msg);
        sqlite3_finalize(s);
    }
    cg_db_close(st.db);
}

/* :now takes the number after the highest ?N written before it; a ?N of that number written
 * after it would be the same parameter, and binding it would overwrite the time. */
static void test_now_parameter(void **state)
{
    struct fix *f = *state;
    struct cg_store st;
    sqlite3_stmt *s = NULL;
    struct cg_err err;
    static const struct {
        const char *sql;
        int rc;
        int now; /* the parameter holding the time, when accepted */
    } cases[] = {
        {"SELECT ?1, ?2, :now", CG_OK, 3},       {"SELECT :now, ?1", CG_EDB, 0},
        {"SELECT ?1, :now, ?2", CG_EDB, 0},      {"SELECT ?2, :now, ?3", CG_EDB, 0},
        {"SELECT ?1, :now, ?3", CG_OK, 2},       {"SELECT ?1, :now, '?2'", CG_OK, 2},
        {"SELECT ?1, :now AS \"?2\"", CG_OK, 2}, {"SELECT ?1, ?2", CG_OK, 0},
        {"SELECT ?1, :now, ?12", CG_OK, 2},
    };
    static const char *const sql[] = {"CREATE TABLE t (x);"};
    const struct cg_db_schema one = {"test", sql, 1};
    size_t i;

    memset(&st, 0, sizeof(st));
    snprintf(st.now, sizeof(st.now), "%s", "2026-12-03T09:00:00Z");
    assert_int_equal(cg_db_open(f->path, &one, &st.db, &err), CG_OK);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cg_err_clear(&err);
        assert_int_equal(store_prep(&st, cases[i].sql, &s, &err), cases[i].rc);
        if (cases[i].rc != CG_OK) {
            assert_null(s);
            assert_non_null(strstr(err.msg, "write :now after the numbered parameters"));
            continue;
        }
        if (cases[i].now > 0) {
            assert_int_equal(sqlite3_bind_parameter_index(s, ":now"), cases[i].now);
            assert_int_equal(sqlite3_step(s), SQLITE_ROW);
            assert_string_equal((const char *)sqlite3_column_text(s, cases[i].now - 1),
                                "2026-12-03T09:00:00Z");
        }
        sqlite3_finalize(s);
    }
    cg_db_close(st.db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrate_from_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_step_by_step_and_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_main_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_constraint_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_now_parameter, setup, teardown),
    };
    return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
