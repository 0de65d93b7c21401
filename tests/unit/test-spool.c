/*
 * test-spool.c - unit tests of the spool: the document state machine (receipt codes, no
 * backwards moves, duplicates, final rejections), spool entry names, the working-directory lock
 * (busy, stale lock taken over) and crash recovery (tmp/ files finished or removed, a lost
 * message file sends its order back to be declared again).
 */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/conf.h"
#include "core/fsutil.h"
#include "declare/declare.h"
#include "spool/spool.h"
#include "spool/spool-int.h"
#include "tests/unit/no-fd.h"
#include "mapping/mapping.h"
#include "declare/declare.h"

static void test_receipt_codes(void **state)
{
    (void)state;
    assert_int_equal(cg_doc_state_of_receipt(304, 1), CG_DOC_STORED);
    assert_int_equal(cg_doc_state_of_receipt(304, 2), CG_DOC_DECLARING);
    assert_int_equal(cg_doc_state_of_receipt(304, 3), CG_DOC_TO_CUSTOMS);
    assert_int_equal(cg_doc_state_of_receipt(604, 120), CG_DOC_ACCEPTED);
    assert_int_equal(cg_doc_state_of_receipt(604, 300), CG_DOC_REVIEW);
    assert_int_equal(cg_doc_state_of_receipt(604, 399), CG_DOC_CONCLUDED);
    assert_int_equal(cg_doc_state_of_receipt(604, 500), CG_DOC_INSPECTION);
    assert_int_equal(cg_doc_state_of_receipt(604, 501), CG_DOC_DETAINED);
    assert_int_equal(cg_doc_state_of_receipt(604, 599), CG_DOC_DETAINED);
    assert_int_equal(cg_doc_state_of_receipt(604, 700), CG_DOC_RETURNED);
    assert_int_equal(cg_doc_state_of_receipt(604, 800), CG_DOC_RELEASED);
    assert_int_equal(cg_doc_state_of_receipt(604, 899), CG_DOC_CLOSED);
    /* Rejections: 100, 4, negative codes, any CEB900. */
    assert_int_equal(cg_doc_state_of_receipt(604, 100), CG_DOC_REJECTED);
    assert_int_equal(cg_doc_state_of_receipt(304, 4), CG_DOC_REJECTED);
    assert_int_equal(cg_doc_state_of_receipt(304, -301010), CG_DOC_REJECTED);
    assert_int_equal(cg_doc_state_of_receipt(900, 0), CG_DOC_REJECTED);
    /* A code outside the table carries no state. */
    assert_int_equal(cg_doc_state_of_receipt(604, 42), CG_DOC_NONE);
    assert_int_equal(cg_doc_state_of_receipt(604, 600), CG_DOC_NONE);
}

/* The rules of cg_receipt_matches(), one at a time (docs/spool.md "Receipts"). */
static void test_receipt_matches(void **state)
{
    struct cg_receipt_target inv = {603, "C-1", "SO-1"};
    struct cg_receipt_target ord = {303, "SO-1", "SO-1"};
    struct cg_receipt_event e;
    char why[256];

    (void)state;
    memset(&e, 0, sizeof(e));
    e.msg_type = 604;
    e.cop_no = (char *)(uintptr_t) "C-1";
    e.order_no = (char *)(uintptr_t) "SO-1";
    e.pre_no = (char *)(uintptr_t) "B20260101000000001";
    e.invt_no = (char *)(uintptr_t) "33012026I000000001";
    assert_true(cg_receipt_matches(&e, &inv, why, sizeof(why)));
    e.msg_type = 304;
    assert_false(cg_receipt_matches(&e, &inv, why, sizeof(why)));
    assert_string_equal(why, "a CEB304 receipt does not answer a CEB603 message");
    assert_true(cg_receipt_matches(&e, &ord, why, sizeof(why)));
    e.msg_type = 900;
    assert_true(cg_receipt_matches(&e, &inv, why, sizeof(why)));
    e.msg_type = 604;
    e.cop_no = (char *)(uintptr_t) "C-2";
    assert_false(cg_receipt_matches(&e, &inv, why, sizeof(why)));
    assert_string_equal(why, "the receipt's copNo C-2 is not the document's C-1");
    e.cop_no = NULL;
    assert_false(cg_receipt_matches(&e, &inv, why, sizeof(why)));
    assert_string_equal(why, "the receipt carries no copNo (the document's is C-1)");
    e.cop_no = (char *)(uintptr_t) "C-1";
    e.order_no = (char *)(uintptr_t) "SO-2";
    assert_false(cg_receipt_matches(&e, &inv, why, sizeof(why)));
    assert_string_equal(why, "the receipt's orderNo SO-2 is not the document's SO-1");
    e.order_no = (char *)(uintptr_t) "SO-1";
    e.pre_no = (char *)(uintptr_t) "B2026010100000000123"; /* 20 characters */
    assert_false(cg_receipt_matches(&e, &inv, why, sizeof(why)));
    assert_string_equal(why, "preNo B2026010100000000123 is not 1 to 18 letters and digits");
    e.pre_no = (char *)(uintptr_t) "B20260101000000001";
    e.invt_no = (char *)(uintptr_t) "33012026I000000001";
    assert_true(cg_receipt_matches(&e, &inv, why, sizeof(why)));
    e.msg_type = 304;
    assert_false(cg_receipt_matches(&e, &inv, why, sizeof(why)));
    assert_string_equal(why, "a CEB304 receipt does not answer a CEB603 message");
    assert_true(cg_receipt_matches(&e, &ord, why, sizeof(why)));
    e.msg_type = 900;
    assert_true(cg_receipt_matches(&e, &inv, why, sizeof(why)));
    e.msg_type = 604;
    e.cop_no = (char *)(uintptr_t) "C-2";
    assert_false(cg_receipt_matches(&e, &inv, why, sizeof(why)));
    assert_string_equal(why, "the receipt's copNo C-2 is not the document's C-1");
    e.cop_no = NULL;
    assert_false(cg_receipt_matches(&e, &inv, why, sizeof(why)));
    assert_string_equal(why, "the receipt carries no copNo (the document's is C-1)");
    e.cop_no = (char *)(uintptr_t) "C-1";
    e.order_no = (char *)(uintptr_t) "SO-2";
    assert_false(cg_receipt_matches(&e, &inv, why, sizeof(why)));
    assert_string_equal(why, "the receipt's orderNo SO-2 is not the document's SO-1");
    e.order_no = (char *)(uintptr_t) "SO-1";
    e.pre_no = (char *)(uintptr_t) "B2026010100000000123"; /* 20 characters */
    assert_false(cg_receipt_matches(&e, &inv, why, sizeof(why)));
    assert_string_equal(why, "preNo B2026010100000000123 is not 1 to 18 letters and digits");
    e.pre_no = (char *)(uintptr_t) "B20260101000000001";
    e.invt_no = (char *)(uintptr_t) "3301\n2026";
    assert_false(cg_receipt_matches(&e, &inv, why, sizeof(why)));
    assert_string_equal(why, "invtNo 3301\\x0A2026 is not 1 to 20 letters and digits");
    e.invt_no = (char *)(uintptr_t) "330120260000000000001"; /* 21 characters */
    assert_false(cg_receipt_matches(&e, &inv, why, sizeof(why)));
}

static void test_state_names(void **state)
{
    int i;

    (void)state;
    for (i = 1; i < CG_DOC_NSTATES; i++)
        assert_int_equal(cg_doc_state_parse(cg_doc_state_name(i)), i);
    assert_string_equal(cg_doc_state_name(CG_DOC_RELEASED), "released");
    assert_string_equal(cg_doc_state_name(99), "?");
    assert_int_equal(cg_doc_state_parse("bogus"), CG_DOC_NONE);
    assert_int_equal(cg_doc_state_parse(NULL), CG_DOC_NONE);
}

static void test_forward_only(void **state)
{
    (void)state;
    /* The real flow moves forward step by step. */
    assert_int_equal(cg_doc_state_step(CG_DOC_QUEUED, CG_DOC_SENT), CG_STEP_MOVE);
    assert_int_equal(cg_doc_state_step(CG_DOC_SENT, CG_DOC_DECLARING), CG_STEP_MOVE);
    assert_int_equal(cg_doc_state_step(CG_DOC_DECLARING, CG_DOC_ACCEPTED), CG_STEP_MOVE);
    assert_int_equal(cg_doc_state_step(CG_DOC_ACCEPTED, CG_DOC_RELEASED), CG_STEP_MOVE);
    assert_int_equal(cg_doc_state_step(CG_DOC_RELEASED, CG_DOC_CLOSED), CG_STEP_MOVE);
    assert_int_equal(cg_doc_state_step(CG_DOC_DETAINED, CG_DOC_RELEASED), CG_STEP_MOVE);
    /* A late receipt never moves a document back. */
    assert_int_equal(cg_doc_state_step(CG_DOC_RELEASED, CG_DOC_DECLARING), CG_STEP_LATE);
    assert_int_equal(cg_doc_state_step(CG_DOC_ACCEPTED, CG_DOC_STORED), CG_STEP_LATE);
    assert_int_equal(cg_doc_state_step(CG_DOC_CLOSED, CG_DOC_RELEASED), CG_STEP_LATE);
    /* A cancelled inventory (CEB606 399 on its CEB605) is final: a late 899 or a negative
     * code no longer moves it. */
    assert_int_equal(cg_doc_state_step(CG_DOC_RELEASED, CG_DOC_CANCELLED), CG_STEP_MOVE);
    assert_int_equal(cg_doc_state_step(CG_DOC_CANCELLED, CG_DOC_CLOSED), CG_STEP_LATE);
    assert_int_equal(cg_doc_state_step(CG_DOC_CANCELLED, CG_DOC_REJECTED), CG_STEP_LATE);
    assert_true(cg_doc_state_final(CG_MSG_INVENTORY, CG_DOC_CANCELLED));
    assert_string_equal(cg_doc_state_name(CG_DOC_CANCELLED), "cancelled");
    /* The same state again is a duplicate. */
    assert_int_equal(cg_doc_state_step(CG_DOC_DECLARING, CG_DOC_DECLARING), CG_STEP_SAME);
    assert_int_equal(cg_doc_state_step(CG_DOC_REJECTED, CG_DOC_REJECTED), CG_STEP_SAME);
    /* Rejection ends an unfinished version and is final for it. */
    assert_int_equal(cg_doc_state_step(CG_DOC_DECLARING, CG_DOC_REJECTED), CG_STEP_MOVE);
    assert_int_equal(cg_doc_state_step(CG_DOC_INSPECTION, CG_DOC_REJECTED), CG_STEP_MOVE);
    assert_int_equal(cg_doc_state_step(CG_DOC_REJECTED, CG_DOC_DECLARING), CG_STEP_LATE);
    assert_int_equal(cg_doc_state_step(CG_DOC_REJECTED, CG_DOC_RELEASED), CG_STEP_LATE);
    /* A port refusal (CEB900, negative code) cannot undo what customs accepted; a customs
     * refusal (100) still can, before release; before acceptance a port refusal rejects. */
    assert_true(cg_doc_refusal_too_late(CG_DOC_ACCEPTED, 604, -301010));
    assert_true(cg_doc_refusal_too_late(CG_DOC_RELEASED, 900, -1));
    assert_false(cg_doc_refusal_too_late(CG_DOC_ACCEPTED, 604, 100));
    assert_false(cg_doc_refusal_too_late(CG_DOC_DECLARING, 604, -301010));
    assert_false(cg_doc_refusal_too_late(CG_DOC_SENT, 900, -1));
    assert_false(cg_doc_refusal_too_late(CG_DOC_REJECTED, 900, -1));
    assert_true(cg_receipt_eport_refusal(900, 0));
    assert_true(cg_receipt_eport_refusal(304, -1));
    assert_false(cg_receipt_eport_refusal(304, 100));
    assert_int_equal(cg_doc_state_step(CG_DOC_RELEASED, CG_DOC_REJECTED), CG_STEP_LATE);
    /* No state is no move. */
    assert_int_equal(cg_doc_state_step(CG_DOC_SENT, CG_DOC_NONE), CG_STEP_LATE);
    assert_true(cg_doc_state_final(603, CG_DOC_RELEASED));
    assert_true(cg_doc_state_final(603, CG_DOC_REJECTED));
    assert_false(cg_doc_state_final(603, CG_DOC_DECLARING));
    /* 120 ends an order or a waybill, but an inventory waits for release. */
    assert_true(cg_doc_state_final(303, CG_DOC_ACCEPTED));
    assert_true(cg_doc_state_final(505, CG_DOC_CONCLUDED));
    assert_false(cg_doc_state_final(603, CG_DOC_ACCEPTED));
    assert_false(cg_doc_state_final(303, CG_DOC_REVIEW));
}

static void test_names(void **state)
{
    (void)state;
    assert_null(cg_spool_name_problem("orders.csv"));
    assert_null(cg_spool_name_problem("a..b.csv")); /* dots inside a name are fine */
    assert_null(cg_spool_name_problem("2026-11-01.csv"));
    assert_non_null(cg_spool_name_problem(".."));
    assert_non_null(cg_spool_name_problem("."));
    assert_non_null(cg_spool_name_problem("..\\..\\etc\\passwd"));
    assert_non_null(cg_spool_name_problem("x\\..\\y"));
    assert_non_null(cg_spool_name_problem("..evil"));
    assert_non_null(cg_spool_name_problem("a/b"));
    assert_non_null(cg_spool_name_problem("tab\there"));
    assert_non_null(cg_spool_name_problem(""));
    {
        /* 188 bytes is the longest: with ".9999" and ".reason" it is 200, what a name may be. */
        char n[200];
        memset(n, 'a', sizeof(n) - 1);
        n[sizeof(n) - 1] = '\0';
        n[188] = '\0';
        assert_null(cg_spool_name_problem(n));
        n[188] = 'a';
        n[189] = '\0';
        assert_string_equal(cg_spool_name_problem(n), "name longer than 188 bytes");
        memcpy(n + 189 - 12, ".9999.reason", 12);
        assert_int_equal(strlen(n), 189);
        n[188] = '\0';
        assert_true(cg_fs_name_ok(n));
    }
    assert_true(cg_spool_name_ignored("orders.csv.part"));
    assert_true(cg_spool_name_ignored(".hidden"));
    assert_true(cg_spool_name_ignored(".orders.csv.tmp.123"));
    assert_false(cg_spool_name_ignored("orders.csv"));
    assert_false(cg_spool_name_ignored("..evil")); /* refused, not silently left */
    assert_false(cg_spool_name_ignored("part"));
}

static char *mkdtemp_dir(void)
{
    char tmpl[] = "/tmp/cg-test-spool.XXXXXX";
    char *d = mkdtemp(tmpl);

    assert_non_null(d);
    return cg_strdup(d);
}

static void rm_rf(const char *dir)
{
    char cmd[512];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_lock(void **state)
{
    struct cg_spool_lock *a = NULL, *b = NULL;
    struct cg_err err;
    char *dir = mkdtemp_dir();
    char *path = cg_fs_join(dir, "cebgate.lock");
    char text[32];
    long stale = -1;
    pid_t child;
    int st;

    (void)state;
    assert_int_equal(cg_spool_lock_take(dir, &a, &stale, &err), CG_OK);
    assert_int_equal(stale, 0);
    /* A second holder is refused, naming the PID. */
    assert_int_equal(cg_spool_lock_take(dir, &b, &stale, &err), CG_EBUSY);
    snprintf(text, sizeof(text), "process %ld", (long)getpid());
    assert_non_null(strstr(err.msg, text));
    cg_spool_lock_release(a);
    /* A clean release leaves no PID: no stale warning next time. */
    assert_int_equal(cg_spool_lock_take(dir, &a, &stale, &err), CG_OK);
    assert_int_equal(stale, 0);
    cg_spool_lock_release(a);
    /* A lock file left by a process that died is taken over and its PID reported. */
    child = fork();
    if (child == 0) {
        struct cg_spool_lock *c = NULL;
        _exit(cg_spool_lock_take(dir, &c, NULL, NULL) == CG_OK ? 0 : 1); /* dies holding it */
    }
    assert_true(waitpid(child, &st, 0) == child);
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(cg_spool_lock_take(dir, &a, &stale, &err), CG_OK);
    assert_int_equal(stale, (long)child);
    cg_spool_lock_release(a);
    /* The lock file removed, or replaced by another process's, under the holder: it notices. */
    assert_int_equal(cg_spool_lock_take(dir, &a, &stale, &err), CG_OK);
    assert_int_equal(cg_spool_lock_check(a, &err), CG_OK);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(cg_spool_lock_check(a, &err), CG_EBUSY);
    assert_non_null(strstr(err.msg, "removed or replaced"));
    assert_int_equal(cg_spool_lock_take(dir, &b, &stale, &err), CG_OK);
    assert_int_equal(cg_spool_lock_check(a, &err), CG_EBUSY);
    assert_int_equal(cg_spool_lock_check(b, &err), CG_OK);
    cg_spool_lock_release(b);
    cg_spool_lock_release(a);
    free(path);
    rm_rf(dir);
    free(dir);
}

/* ------------------------------------------------------------------ injected database faults */

/* sqlite3_step is wrapped: statements whose SQL contains fail_sql fail with SQLITE_IOERR. */
static const char *fail_sql;
static long injected;
int __real_sqlite3_step(sqlite3_stmt *st);
int __wrap_sqlite3_step(sqlite3_stmt *st);

/* Run hook once, just before the first statement whose SQL contains hook_sql. */
static const char *hook_sql;
static void (*hook)(void);

int __wrap_sqlite3_step(sqlite3_stmt *st)
{
    const char *sql = sqlite3_sql(st);

    if (hook_sql != NULL && sql != NULL && strstr(sql, hook_sql) != NULL) {
        hook_sql = NULL;
        hook();
    }
    if (fail_sql != NULL && sql != NULL && strstr(sql, fail_sql) != NULL) {
        injected++;
        return SQLITE_IOERR_READ;
    }
    return __real_sqlite3_step(st);
}

/* ------------------------------------------------------------------ recovery */

static struct cg_conf *conf_for(const char *dir)
{
    struct cg_conf *conf = NULL;
    struct cg_err err;

    assert_int_equal(cg_conf_new_defaults(dir, &conf, &err), CG_OK);
    assert_int_equal(cg_conf_set(conf, "general", "workdir", dir, &err), CG_OK);
    return conf;
}

static void put(const char *dir, const char *sub, const char *name)
{
    char *d = cg_fs_join(dir, sub);
    struct cg_err err;

    assert_int_equal(cg_fs_write_atomic(d, name, "<x/>", 4, &err), CG_OK);
    free(d);
}

static bool there(const char *dir, const char *sub, const char *name)
{
    char *d = cg_fs_join(dir, sub);
    char *p = cg_fs_join(d, name);
    bool ok = access(p, F_OK) == 0;

    free(d);
    free(p);
    return ok;
}

/* The test looks at the database through its own connection, not through the store. */
static sqlite3 *db_of(const char *dir)
{
    char *path = cg_fs_join(dir, "cebgate.db");
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    free(path);
    return db;
}

static int db_exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? CG_OK : CG_EDB;
}

static long one(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long v = -1;

    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A spool in a fresh folder with the directory transport, and a connection to its database. */
struct fx {
    char *dir;
    struct cg_conf *conf;
    struct cg_transport *t;
    struct cg_spool *sp;
    sqlite3 *db;
};

static void fx_open(struct fx *f)
{
    struct cg_err err;

    memset(f, 0, sizeof(*f));
    f->dir = mkdtemp_dir();
    f->conf = conf_for(f->dir);
    assert_int_equal(cg_transport_dir_new(f->conf, &f->t, &err), CG_OK);
    assert_int_equal(cg_spool_open(f->conf, NULL, f->t, &f->sp, &err), CG_OK);
    f->db = db_of(f->dir);
}

static void fx_close(struct fx *f)
{
    sqlite3_close(f->db);
    cg_spool_close(f->sp);
    cg_transport_free(f->t);
    cg_conf_free(f->conf);
    rm_rf(f->dir);
    free(f->dir);
}

/* Order O<id> with one CEB303 (guid G<id>, version 1) queued, its message staged or not. */
static void queued(sqlite3 *db, int id, int staged)
{
    char *sql = sqlite3_mprintf(
        "INSERT INTO orders(id, seller, order_no, hash, created_at, updated_at) VALUES "
        "(%d, '', 'O%d', 'h%d', 'now', 'now');"
        "INSERT INTO documents(id, order_id, msg_type, business_key, version, guid, app_type, "
        "content_hash, state, updated_at) VALUES "
        "(%d, %d, 303, 'O%d', 1, 'G%d', 1, 'c%d', 'queued', 'now');"
        "INSERT INTO messages(document_id, version, guid, msg_type, app_type, file_name, sha256, "
        "size, staged, state, created_at) VALUES "
        "(%d, 1, 'G%d', 303, 1, 'CEB303Message_G%d.xml', 's', 4, %d, 'queued', 'now');",
        id, id, id, id, id, id, id, id, id, id, id, staged);

    assert_non_null(sql);
    assert_int_equal(db_exec(db, sql), CG_OK);
    sqlite3_free(sql);
}

static void test_recovery(void **state)
{
    struct fx f;
    struct cg_err err;

    (void)state;
    fx_open(&f);
    /*
     * As a crash leaves it: order 1's CEB303 committed (staged) with its file still in tmp/;
     * order 2's CEB303 committed with its file already in outbox/; order 3's CEB303 v2
     * committed but its file lost (v1 was sent); order 4's only document lost; an orphan in
     * tmp/ from an uncommitted batch.
     */
    queued(f.db, 1, 1);
    queued(f.db, 2, 1);
    queued(f.db, 4, 1);
    /* Order 5: the crash came between the archive link and the move into outbox/. */
    queued(f.db, 5, 1);
    assert_int_equal(
        db_exec(f.db,
                "INSERT INTO orders(id, seller, order_no, hash, created_at, updated_at) VALUES "
                "(3, '', 'O3', 'h3', 'now', 'now');"
                "INSERT INTO documents(id, order_id, msg_type, business_key, version, guid, "
                "app_type, content_hash, state, updated_at) VALUES "
                "(3, 3, 303, 'O3', 2, 'G3B', 2, 'c3b', 'queued', 'now');"
                "INSERT INTO messages(document_id, version, guid, msg_type, app_type, "
                "file_name, sha256, size, staged, state, created_at) VALUES "
                "(3, 1, 'G3A', 303, 1, 'CEB303Message_G3A.xml', 's', 4, 0, 'sent', 'now'),"
                "(3, 2, 'G3B', 303, 2, 'CEB303Message_G3B.xml', 's', 4, 1, 'queued', 'now');"),
        CG_OK);
    put(f.dir, "tmp", "CEB303Message_G1.xml");
    put(f.dir, "outbox", "CEB303Message_G2.xml");
    put(f.dir, "outbox", "CEB303Message_G3A.xml");
    put(f.dir, "tmp", "CEB303Message_ORPHAN.xml");
    put(f.dir, "tmp", "CEB303Message_G5.xml");
    {
        char *from = cg_fs_join(f.dir, "tmp/CEB303Message_G5.xml");
        char *to = cg_fs_join(f.dir, "archive/CEB303Message_G5.xml");
        assert_int_equal(link(from, to), 0);
        free(from);
        free(to);
    }
    cg_spool_close(f.sp);
    f.sp = NULL;

    assert_int_equal(cg_spool_open(f.conf, NULL, f.t, &f.sp, &err), CG_OK);
    assert_int_equal(cg_spool_stats(f.sp)->recovered, 4);
    /* Committed file in tmp/: finished into outbox/, linked into archive/ first. */
    assert_true(there(f.dir, "outbox", "CEB303Message_G1.xml"));
    assert_false(there(f.dir, "tmp", "CEB303Message_G1.xml"));
    assert_true(there(f.dir, "archive", "CEB303Message_G1.xml"));
    /* Already in archive/ but still in tmp/: never handed over, so it is now. */
    assert_true(there(f.dir, "outbox", "CEB303Message_G5.xml"));
    assert_false(there(f.dir, "tmp", "CEB303Message_G5.xml"));
    /* Orphan of an uncommitted batch: removed, never published. */
    assert_false(there(f.dir, "tmp", "CEB303Message_ORPHAN.xml"));
    assert_false(there(f.dir, "outbox", "CEB303Message_ORPHAN.xml"));
    assert_int_equal(one(f.db, "SELECT count(*) FROM messages WHERE staged = 1"), 0);
    /* Lost v2 of order 3: back to v1, order to be declared again. */
    assert_int_equal(one(f.db, "SELECT count(*) FROM messages WHERE guid = 'G3B'"), 0);
    assert_int_equal(one(f.db, "SELECT version FROM documents WHERE id = 3"), 1);
    assert_int_equal(one(f.db, "SELECT hash = '' FROM orders WHERE id = 3"), 1);
    /* Lost only document of order 4: gone, order to be declared again. */
    assert_int_equal(one(f.db, "SELECT count(*) FROM documents WHERE id = 4"), 0);
    assert_int_equal(one(f.db, "SELECT hash = '' FROM orders WHERE id = 4"), 1);
    /* Untouched: order 2. */
    assert_int_equal(one(f.db, "SELECT hash FROM orders WHERE id = 2 AND hash = 'h2'") != -1, 1);
    /* A run hands the queued messages over: the directory transport acknowledges them. */
    assert_int_equal(cg_spool_run(f.sp, &err), CG_OK);
    assert_int_equal(one(f.db, "SELECT count(*) FROM messages WHERE state = 'queued'"), 0);
    assert_true(there(f.dir, "archive", "CEB303Message_G1.xml"));
    /* The receipt log takes rows but refuses changes. */
    assert_int_equal(db_exec(f.db, "INSERT INTO receipts(received_at, file_name, msg_type, guid, "
                                   "status, outcome) VALUES ('now', 'r.xml', 304, 'G1', '2', "
                                   "'applied')"),
                     CG_OK);
    assert_int_not_equal(db_exec(f.db, "DELETE FROM receipts"), CG_OK);
    assert_int_not_equal(db_exec(f.db, "UPDATE receipts SET status = '800'"), CG_OK);
    fx_close(&f);
}

/*
 * With the directory transport, a queued message whose file is no longer in outbox/ is not
 * handed over again: archived, it went out before a crash; in neither folder, the exchange
 * client took it. Either way the run records it as sent without asking the transport (whose
 * answer for a missing outbox file would be "try again"); one still in outbox/ is handed over.
 */
static void test_submit_handed_over(void **state)
{
    struct fx f;
    struct cg_err err;

    (void)state;
    fx_open(&f);
    queued(f.db, 1, 0);
    queued(f.db, 2, 0);
    queued(f.db, 3, 0);
    put(f.dir, "archive", "CEB303Message_G1.xml");
    put(f.dir, "outbox", "CEB303Message_G3.xml");
    assert_int_equal(cg_spool_run(f.sp, &err), CG_OK);
    assert_int_equal(one(f.db, "SELECT count(*) FROM messages WHERE state = 'sent'"), 3);
    /* Nothing was written back to outbox/; the one still there was handed over and archived. */
    assert_false(there(f.dir, "outbox", "CEB303Message_G1.xml"));
    assert_false(there(f.dir, "outbox", "CEB303Message_G2.xml"));
    assert_false(there(f.dir, "archive", "CEB303Message_G2.xml"));
    assert_true(there(f.dir, "archive", "CEB303Message_G3.xml"));
    fx_close(&f);
}

/* A transport that acknowledges every message and whose receipts fetch fails while
 * fetch_fails > 0; it counts the fetches. */
static int fetches, fetch_fails;

static int flaky_submit(void *impl, int outbox_fd, const char *name, struct cg_err *err)
{
    (void)impl;
    (void)outbox_fd;
    (void)name;
    (void)err;
    return CG_OK;
}

static int flaky_fetch(void *impl, int inbox_fd, size_t *count, struct cg_err *err)
{
    (void)impl;
    (void)inbox_fd;
    fetches++;
    *count = 0;
    if (fetch_fails == 0)
        return CG_OK;
    fetch_fails--;
    return CG_ERR_SET(err, CG_ERETRY, "receipts unavailable");
}

static void flaky_free(void *impl)
{
    (void)impl;
}

/*
 * A run fetches receipts before and after sending. When the first fetch failed and nothing
 * reached the port since, the second is not tried (the same retries and warning again); when a
 * message was sent it is, and its success clears the first failure: the run exits 0.
 */
static void test_receipts_fetch_once(void **state)
{
    static const struct cg_transport_ops ops = {"flaky",     false,      flaky_submit, NULL,
                                                flaky_fetch, flaky_free, NULL};
    struct cg_transport t = {&ops, NULL};
    struct fx f;
    struct cg_err err;

    (void)state;
    memset(&f, 0, sizeof(f));
    f.dir = mkdtemp_dir();
    f.conf = conf_for(f.dir);
    assert_int_equal(cg_spool_open(f.conf, NULL, &t, &f.sp, &err), CG_OK);
    f.db = db_of(f.dir);
    /* Nothing to send, receipts unavailable: one fetch, run again later. */
    fetches = 0;
    fetch_fails = 5;
    assert_int_equal(cg_spool_run(f.sp, &err), CG_ERETRY);
    assert_int_equal(fetches, 1);
    assert_non_null(strstr(err.msg, "receipts could not be fetched"));
    /* A message sent after the first fetch failed: the second fetch comes, and succeeds. */
    queued(f.db, 1, 0);
    put(f.dir, "outbox", "CEB303Message_G1.xml");
    fetches = 0;
    fetch_fails = 1;
    cg_err_clear(&err);
    assert_int_equal(cg_spool_run(f.sp, &err), CG_OK);
    assert_int_equal(fetches, 2);
    assert_int_equal(one(f.db, "SELECT count(*) FROM messages WHERE state = 'sent'"), 1);
    sqlite3_close(f.db);
    cg_spool_close(f.sp);
    cg_conf_free(f.conf);
    rm_rf(f.dir);
    free(f.dir);
}

/*
 * With the directory transport the exchange client may take a file from outbox/ the moment it
 * is there, even before the run records it as sent; a crash then must not make the file look
 * lost (its order would be declared twice). So hand-over links each file into archive/ before
 * any is moved into outbox/: here the move of the second file is made to fail (a folder holds
 * its name in outbox/), and both are in archive/ already. A crash at that point is then
 * recovered from archive/, and the client having taken the first from outbox/ changes nothing:
 * both are sent with their own guids, none is declared again.
 */
static void test_hand_over_archive_first(void **state)
{
    struct fx f;
    struct cg_err err;
    char n1[] = "CEB303Message_G1.xml", n2[] = "CEB303Message_G2.xml";
    char *names[2] = {n1, n2};
    char *block = NULL;
    char *taken = NULL;

    (void)state;
    fx_open(&f);
    queued(f.db, 1, 1);
    queued(f.db, 2, 1);
    put(f.dir, "tmp", names[0]);
    put(f.dir, "tmp", names[1]);
    block = cg_fs_join(f.dir, "outbox/CEB303Message_G2.xml");
    assert_int_equal(mkdir(block, 0700), 0);
    cg_err_clear(&err);
    assert_int_equal(spool_hand_over(f.sp, names, 2, &err), CG_EIO);
    assert_non_null(strstr(err.msg, "moving tmp/CEB303Message_G2.xml to outbox/"));
    assert_true(there(f.dir, "archive", names[0]));
    assert_true(there(f.dir, "archive", names[1]));
    assert_true(there(f.dir, "outbox", names[0]));
    assert_true(there(f.dir, "tmp", names[1]));
    /* The client takes the first file; the spool stops here as a crash would. */
    taken = cg_fs_join(f.dir, "outbox/CEB303Message_G1.xml");
    assert_int_equal(unlink(taken), 0);
    assert_int_equal(rmdir(block), 0);
    cg_spool_close(f.sp);
    f.sp = NULL;
    assert_int_equal(cg_spool_open(f.conf, NULL, f.t, &f.sp, &err), CG_OK);
    assert_true(there(f.dir, "outbox", names[1]));
    assert_false(there(f.dir, "tmp", names[1]));
    assert_int_equal(cg_spool_run(f.sp, &err), CG_OK);
    assert_int_equal(one(f.db, "SELECT count(*) FROM messages"), 2);
    assert_int_equal(one(f.db, "SELECT count(*) FROM messages WHERE state = 'sent' AND guid IN "
                               "('G1', 'G2')"),
                     2);
    assert_int_equal(one(f.db, "SELECT count(*) FROM orders WHERE hash = ''"), 0);
    free(block);
    free(taken);
    fx_close(&f);
}

static void test_busy_spool(void **state)
{
    char *dir = mkdtemp_dir();
    struct cg_conf *conf = conf_for(dir);
    struct cg_transport *t = NULL;
    struct cg_spool *a = NULL, *b = NULL;
    struct cg_err err;

    (void)state;
    assert_int_equal(cg_transport_new(conf, &t, &err), CG_OK);
    assert_string_equal(t->ops->name, "dir");
    assert_int_equal(cg_spool_open(conf, NULL, t, &a, &err), CG_OK);
    assert_int_equal(cg_spool_open(conf, NULL, t, &b, &err), CG_EBUSY);
    assert_null(b);
    cg_spool_close(a);
    cg_transport_free(t);
    cg_conf_free(conf);
    rm_rf(dir);
    free(dir);
}

static long count_in(const char *dir, const char *sub)
{
    char *d = cg_fs_join(dir, sub);
    char cmd[512];
    FILE *p;
    long n = -1;

    snprintf(cmd, sizeof(cmd), "find '%s' -type f ! -name '*.reason' 2>/dev/null | wc -l", d);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%ld", &n), 1);
    pclose(p);
    free(d);
    return n;
}

/*
 * A database read the spool decides on fails: the pass stops with CG_EDB (exit 75) and the
 * input stays where the next run takes it, never moved to failed/ as if the read had said
 * "nothing there". Without the fault the same input goes its normal way.
 */
static void set_codes_in(struct cg_conf *conf, const char *section)
{
    static const char *const codes[][2] = {
        {"ebp_code", "3301960000"},   {"ebp_name", "P"},
        {"ebc_code", "3301960001"},   {"ebc_name", "E"},
        {"agent_code", "3301980002"}, {"agent_name", "B"},
        {"owner_code", "3301960001"}, {"owner_name", "E"},
        {"customs_code", "2244"},     {"port_code", "2244"},
    };
    struct cg_err err;
    size_t i;

    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        assert_int_equal(cg_conf_set(conf, section, codes[i][0], codes[i][1], &err), CG_OK);
}

static void set_seller_codes(struct cg_conf *conf)
{
    set_codes_in(conf, "seller");
}

/* A spool in a fresh folder whose [seller] reads cebgate CSV with the test catalogue: sfx_init,
 * then more settings if needed, then sfx_start opens it with the directory transport. */
struct sfx {
    char *dir, *in;
    struct cg_conf *conf;
    struct cg_transport *t;
    struct cg_spool *sp;
    sqlite3 *db;
};

static void sfx_init(struct sfx *f)
{
    char *catalog = cg_fs_join(getenv("CG_TESTDATA"), "mapping/catalog.csv");
    struct cg_err err;

    memset(f, 0, sizeof(*f));
    f->dir = mkdtemp_dir();
    f->conf = conf_for(f->dir);
    f->in = cg_fs_join(f->dir, "incoming");
    assert_int_equal(cg_conf_set(f->conf, "seller", "catalog", catalog, &err), CG_OK);
    set_seller_codes(f->conf);
    free(catalog);
}

static void sfx_start(struct sfx *f)
{
    struct cg_err err;

    assert_int_equal(cg_transport_dir_new(f->conf, &f->t, &err), CG_OK);
    assert_int_equal(cg_spool_open(f->conf, NULL, f->t, &f->sp, &err), CG_OK);
    f->db = db_of(f->dir);
}

static void sfx_close(struct sfx *f)
{
    sqlite3_close(f->db);
    cg_spool_close(f->sp);
    cg_transport_free(f->t);
    cg_conf_free(f->conf);
    free(f->in);
    rm_rf(f->dir);
    free(f->dir);
}

static void test_db_fault_keeps_input(void **state)
{
    /* Every order rejected by the reader (an unknown currency): the file's counts decide. */
    static const char orders[] = "order_no,currency,country,sku,item_name,qty,price\n"
                                 "A-1,XXX,US,TS-001,Item,1,2.50\n";
    struct sfx f;
    struct cg_err err;
    char *inbox;

    (void)state;
    sfx_init(&f);
    sfx_start(&f);
    inbox = cg_fs_join(f.dir, "inbox");

    /* The count of the file's orders fails after its batch was committed. */
    assert_int_equal(cg_fs_write_atomic(f.in, "orders.csv", orders, sizeof(orders) - 1, &err),
                     CG_OK);
    fail_sql = "orders_rejected FROM input_files";
    injected = 0;
    cg_err_clear(&err);
    assert_int_equal(cg_spool_run(f.sp, &err), CG_EDB);
    fail_sql = NULL;
    assert_int_equal(injected, 1);
    assert_int_equal(count_in(f.dir, "failed"), 0);
    assert_int_equal(count_in(f.dir, "active") + count_in(f.dir, "incoming"), 1);
    /* The next run, the fault gone, decides on the real counts: all orders rejected. */
    assert_int_equal(cg_spool_run(f.sp, &err), CG_OK);
    assert_true(there(f.dir, "failed", "orders.csv"));

    /* "Was this receipt file applied already?" fails: the file stays in inbox/. */
    assert_int_equal(cg_fs_write_atomic(inbox, "r1.xml", "<x/>", 4, &err), CG_OK);
    fail_sql = "FROM receipt_files";
    injected = 0;
    assert_int_equal(cg_spool_run(f.sp, &err), CG_EDB);
    fail_sql = NULL;
    assert_int_equal(injected, 1);
    assert_true(there(f.dir, "inbox", "r1.xml"));
    assert_int_equal(count_in(f.dir, "failed/inbox"), 0);
    /* Without the fault it is read, found not to be a receipt, and set aside. */
    assert_int_equal(cg_spool_run(f.sp, &err), CG_OK);
    assert_false(there(f.dir, "inbox", "r1.xml"));
    assert_int_equal(count_in(f.dir, "failed/inbox"), 1);

    free(inbox);
    sfx_close(&f);
}

/* The sqlite3_step hook: from here on the process has no file descriptor left (EMFILE). */
static struct rlimit nofile_saved;
static void no_fd_left(void)
{
    assert_int_equal(cg_test_no_fd_left(&nofile_saved), 0);
}

/* A key file made with the openssl command, as an operator would. */
static void make_key(const char *dir, const char *name)
{
    char cmd[1024];

    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout '%s/%s.key' -out '%s/%s.pem' "
             "-days 2 -subj /CN=%s -addext basicConstraints=critical,CA:FALSE >/dev/null 2>&1",
             dir, name, dir, name, name);
    assert_int_equal(system(cmd), 0);
}

/*
 * A signing key that cannot be opened for want of a file descriptor says nothing about the
 * orders: the batch is dropped uncommitted (no order rejected, the file stays in active/), the
 * run ends with a temporary code (exit 75), and the failure is not remembered, so the next run
 * loads the key and declares the orders.
 */
static void test_key_unopenable_for_now(void **state)
{
    static const char orders[] = "order_no,currency,country,sku,item_name,qty,price\n"
                                 "A-1,USD,US,TS-001,Item,1,2.50\n";
    struct sfx f;
    struct cg_conf *conf;
    struct cg_err err;
    char *dir, *inb;
    char path[1024];
    int rc;

    (void)state;
    sfx_init(&f);
    conf = f.conf;
    dir = f.dir;
    inb = cg_fs_join(dir, "incoming/b");
    make_key(dir, "a");
    make_key(dir, "b");
    set_codes_in(conf, "seller.b");
    assert_int_equal(
        cg_conf_set(conf, "seller.b", "catalog", cg_conf_get(conf, "seller", "catalog"), &err),
        CG_OK);
    assert_int_equal(cg_conf_set(conf, "declare", "cop_code", "3301960001", &err), CG_OK);
    assert_int_equal(cg_conf_set(conf, "declare", "cop_name", "E", &err), CG_OK);
    assert_int_equal(cg_conf_set(conf, "declare", "dxp_id", "DXPENT0000000001", &err), CG_OK);
    snprintf(path, sizeof(path), "%s/a.key", dir);
    assert_int_equal(cg_conf_set(conf, "declare", "key_file", path, &err), CG_OK);
    snprintf(path, sizeof(path), "%s/a.pem", dir);
    assert_int_equal(cg_conf_set(conf, "declare", "cert_file", path, &err), CG_OK);
    snprintf(path, sizeof(path), "%s/b.key", dir);
    assert_int_equal(cg_conf_set(conf, "seller.b", "key_file", path, &err), CG_OK);
    snprintf(path, sizeof(path), "%s/b.pem", dir);
    assert_int_equal(cg_conf_set(conf, "seller.b", "cert_file", path, &err), CG_OK);
    sfx_start(&f);

    /* Seller "" first: the workers load the schema and key a. */
    assert_int_equal(cg_fs_write_atomic(f.in, "a.csv", orders, sizeof(orders) - 1, &err), CG_OK);
    cg_err_clear(&err);
    rc = cg_spool_run(f.sp, &err);
    if (rc != CG_OK)
        fail_msg("first run: %s", err.msg);
    assert_int_equal(one(f.db, "SELECT count(*) FROM messages"), 1);

    /* Seller b: key b is opened once its order is planned, with no descriptor left. */
    assert_int_equal(mkdir(inb, 0750), 0);
    assert_int_equal(cg_fs_write_atomic(inb, "b.csv", orders, sizeof(orders) - 1, &err), CG_OK);
    hook = no_fd_left;
    hook_sql = "FROM orders WHERE seller = ?1 AND order_no";
    cg_err_clear(&err);
    rc = cg_spool_run(f.sp, &err);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &nofile_saved), 0);
    assert_true(cg_rc_temporary(rc));
    if (strstr(err.msg, "signing key") == NULL || strstr(err.msg, "Too many open files") == NULL)
        fail_msg("unexpected: %s", err.msg);
    assert_int_equal(one(f.db, "SELECT count(*) FROM rejections"), 0);
    assert_int_equal(one(f.db, "SELECT count(*) FROM messages"), 1);
    assert_true(there(dir, "active/b", "b.csv"));
    assert_int_equal(count_in(dir, "failed"), 0);

    /* The next run, descriptors back, declares it. */
    cg_err_clear(&err);
    rc = cg_spool_run(f.sp, &err);
    if (rc != CG_OK)
        fail_msg("third run: %s", err.msg);
    assert_int_equal(one(f.db, "SELECT count(*) FROM messages"), 2);
    assert_true(there(dir, "done/b", "b.csv"));

    free(inb);
    sfx_close(&f);
}

/*
 * The first pass over an order file (its order numbers read before its orders) that cannot get
 * a descriptor fails the run for now: nothing rejected, the file stays in active/, and the next
 * run reads it.
 */
static void test_first_pass_for_now(void **state)
{
    /* An unknown currency: the order is rejected by the reader, nothing needs signing. */
    static const char orders[] = "order_no,currency,country,sku,item_name,qty,price\n"
                                 "A-1,XXX,US,TS-001,Item,1,2.50\n";
    struct sfx f;
    struct cg_err err;
    int rc;

    (void)state;
    sfx_init(&f);
    sfx_start(&f);
    assert_int_equal(cg_fs_write_atomic(f.in, "a.csv", orders, sizeof(orders) - 1, &err), CG_OK);
    /* The file is open and its row is the last statement before it is read. */
    hook = no_fd_left;
    hook_sql = "INSERT INTO input_files";
    cg_err_clear(&err);
    rc = cg_spool_run(f.sp, &err);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &nofile_saved), 0);
    assert_null(hook_sql);
    assert_true(cg_rc_temporary(rc));
    if (strstr(err.msg, "a.csv: cannot open it to read its order numbers first: Too many open "
                        "files") == NULL)
        fail_msg("unexpected: %s", err.msg);
    assert_int_equal(one(f.db, "SELECT count(*) FROM rejections"), 0);
    assert_true(there(f.dir, "active", "a.csv"));
    assert_int_equal(count_in(f.dir, "failed"), 0);

    /* Descriptors back: the file is read, its only order rejected. */
    cg_err_clear(&err);
    rc = cg_spool_run(f.sp, &err);
    if (rc != CG_OK)
        fail_msg("second run: %s", err.msg);
    assert_int_equal(one(f.db, "SELECT count(*) FROM rejections"), 1);
    assert_true(there(f.dir, "failed", "a.csv"));
    sfx_close(&f);
}

/*
 * A file found in active/ with a finished row of the same name, content and inode: when the
 * row finished after the file last changed, a crash came between the row and the move out
 * of active/, and the move is all that is left; when the file changed since (an operator put
 * a failed file back and a crash came before its new row), it is new input and read again.
 */
static void test_finished_or_put_back(void **state)
{
    static const char orders[] = "order_no,currency,country,sku,item_name,qty,price\n"
                                 "A-1,XXX,US,TS-001,Item,1,2.50\n";
    struct sfx f;
    struct cg_err err;
    char *failed, *reason, *active;
    sqlite3 *db;

    (void)state;
    sfx_init(&f);
    sfx_start(&f);
    db = f.db;
    failed = cg_fs_join(f.dir, "failed/x.csv");
    reason = cg_fs_join(f.dir, "failed/x.csv.reason");
    active = cg_fs_join(f.dir, "active/x.csv");
    assert_int_equal(cg_fs_write_atomic(f.in, "x.csv", orders, sizeof(orders) - 1, &err), CG_OK);
    assert_int_equal(cg_spool_run(f.sp, &err), CG_OK);
    assert_int_equal(access(reason, F_OK), 0);
    assert_int_equal(one(db, "SELECT count(*) FROM input_files"), 1);

    /* Finished after its last change: only moved. */
    assert_int_equal(rename(failed, active), 0);
    assert_int_equal(unlink(reason), 0);
    assert_int_equal(db_exec(db, "UPDATE input_files SET finished_at = '2999-01-01T00:00:00.000Z'"),
                     CG_OK);
    assert_int_equal(cg_spool_run(f.sp, &err), CG_OK);
    assert_int_equal(access(failed, F_OK), 0);
    assert_int_equal(one(db, "SELECT count(*) FROM input_files"), 1);

    /* Changed after it finished: read again as new input, with its reason. */
    assert_int_equal(rename(failed, active), 0);
    assert_int_equal(db_exec(db, "UPDATE input_files SET finished_at = '2000-01-01T00:00:00.000Z'"),
                     CG_OK);
    assert_int_equal(cg_spool_run(f.sp, &err), CG_OK);
    assert_int_equal(one(db, "SELECT count(*) FROM input_files"), 2);
    assert_int_equal(access(failed, F_OK), 0);
    assert_int_equal(access(reason, F_OK), 0);
    assert_int_equal(one(db, "SELECT count(*) FROM input_files WHERE outcome = 'failed'"), 2);

    free(failed);
    free(reason);
    free(active);
    sfx_close(&f);
}

/* The path of the file in active/ while it is read, for the hooks below. */
static char *active_file;

/* The file in active/ grows after it was read, as a file written in place would. */
static void grow(void)
{
    FILE *fp = fopen(active_file, "a");

    assert_non_null(fp);
    fputs("A-2,XXX,US,TS-001,Item,1,2.50\n", fp);
    fclose(fp);
}

/* The file in active/ gets a new modification time, its bytes unchanged (touch, or copied
 * over with the same content). */
static void touch_it(void)
{
    struct timespec later[2] = {{0, UTIME_OMIT}, {2000000000, 0}};

    assert_int_equal(utimensat(AT_FDCWD, active_file, later, 0), 0);
}

/* Run over one order file; h runs once the file's orders are read, before it is concluded. */
static int run_with_hook(struct sfx *f, void (*h)(void), struct cg_err *err)
{
    static const char orders[] = "order_no,currency,country,sku,item_name,qty,price\n"
                                 "A-1,XXX,US,TS-001,Item,1,2.50\n";

    sfx_init(f);
    sfx_start(f);
    active_file = cg_fs_join(f->dir, "active/orders.csv");
    assert_int_equal(cg_fs_write_atomic(f->in, "orders.csv", orders, sizeof(orders) - 1, err),
                     CG_OK);
    hook = h;
    hook_sql = "orders_rejected FROM input_files";
    cg_err_clear(err);
    return cg_spool_run(f->sp, err);
}

static void test_file_changed_while_read(void **state)
{
    struct sfx f;
    struct cg_err err;

    (void)state;
    /* Not done, not failed: run again. */
    assert_int_equal(run_with_hook(&f, grow, &err), CG_ERETRY);
    assert_non_null(strstr(err.msg, "changed while it was read"));
    assert_true(there(f.dir, "active", "orders.csv"));
    assert_int_equal(count_in(f.dir, "failed") + count_in(f.dir, "done"), 0);
    assert_int_equal(one(f.db, "SELECT count(*) FROM input_files WHERE outcome = 'failed' AND "
                               "reason LIKE '%changed while it was read%'"),
                     1);
    /* The next run takes the whole file as it is now: both orders. */
    assert_int_equal(cg_spool_run(f.sp, &err), CG_OK);
    assert_true(there(f.dir, "failed", "orders.csv"));
    assert_int_equal(one(f.db, "SELECT orders_rejected FROM input_files ORDER BY id DESC LIMIT 1"),
                     2);
    free(active_file);
    sfx_close(&f);
}

static void test_file_touched_while_read(void **state)
{
    struct sfx f;
    struct cg_err err;

    (void)state;
    /* Same bytes as taken: the run concludes the file (its one order is rejected). */
    assert_int_equal(run_with_hook(&f, touch_it, &err), CG_OK);
    assert_null(hook_sql); /* the file was touched while it was read */
    assert_true(there(f.dir, "failed", "orders.csv"));
    assert_int_equal(count_in(f.dir, "active"), 0);
    assert_int_equal(one(f.db, "SELECT count(*) FROM input_files"), 1);
    assert_int_equal(one(f.db, "SELECT count(*) FROM input_files WHERE outcome = 'failed' AND "
                               "reason LIKE '%: its only order rejected%'"),
                     1);
    free(active_file);
    sfx_close(&f);
}

/* Rejections are grouped by "field F: reason"; a long reason is cut at a word, never inside
 * a UTF-8 character. */
static void test_reason_grouping(void **state)
{
    struct cg_spool_stats st;
    char longmsg[600];
    size_t n;
    const char *t;

    (void)state;
    memset(&st, 0, sizeof(st));
    /* Grouped by kind: the quoted value and the numbers given as values are left out; numbers
     * inside a word (CEB603) stay. */
    spool_reason_add(&st, "a.csv:2: order A-1: field sku: 'X' is not in the catalogue");
    spool_reason_add(&st, "b.csv:9: order B-7: field sku: 'Y-2' is not in the catalogue");
    assert_int_equal(st.nreasons, 1);
    assert_int_equal(st.reasons[0].count, 2);
    assert_string_equal(st.reasons[0].text, "field sku: '\xe2\x80\xa6' is not in the catalogue");
    spool_reason_add(&st, "a.csv:4: order A-3: CEB603 building: element POD: required");
    spool_reason_add(&st, "a.csv:5: order A-4: field total: given total 9.50 differs from qty "
                          "x price = 9 by more");
    assert_int_equal(st.nreasons, 3);
    assert_string_equal(st.reasons[1].text, "CEB603 building: element POD: required");
    assert_string_equal(st.reasons[2].text,
                        "field total: given total N differs from qty x price = N by more");
    st.nreasons = 1;
    snprintf(
        longmsg, sizeof(longmsg), "a.csv:3: order A-2: field gname: %s",
        "申报品名 declared name words that go on and on and on and on and on and on and on "
        "申报品名申报品名申报品名申报品名申报品名申报品名申报品名申报品名申报品名申报品名申报品名");
    spool_reason_add(&st, longmsg);
    assert_int_equal(st.nreasons, 2);
    t = st.reasons[1].text;
    n = strlen(t);
    assert_true(n < sizeof(st.reasons[1].text));
    assert_string_equal(t + n - 3, "...");
    /* The byte before "..." ends a character: no UTF-8 continuation byte is left dangling. */
    assert_true(((unsigned char)t[n - 4] & 0xC0) != 0xC0);
    assert_true(((unsigned char)t[n - 4] & 0x80) == 0 || ((unsigned char)t[n - 4] & 0xC0) == 0x80);
    assert_ptr_equal(strstr(t, "field gname: "), t);
}

/* Reason kind of msg, compared with want. */
static void assert_kind(const char *msg, const char *want)
{
    char out[1024];

    cg_spool_reason_kind(msg, out, sizeof(out));
    assert_string_equal(out, want);
}

/*
 * Rejections group by kind: the values are masked (quoted values '…', hexadecimal codes, the
 * numbers a reason gives as values), the fixed wording never, digits included: "ISO 8601" in a
 * date format, "N19,5" of a field's type, the ',' and the example 1024.50 of the hint.
 */
static void test_reason_kind_fixed_wording(void **state)
{
    (void)state;
    assert_kind("bloom/orders_export 订单 excel.csv:2: order 2001: field Paid at: '2026/11/28 "
                "14:03' is not a date and time (YYYYMMDDhhmmss, YYYY-MM-DD hh:mm:ss [+hhmm] or "
                "ISO 8601) for accountingDate",
                "field Paid at: '\xe2\x80\xa6' is not a date and time (YYYYMMDDhhmmss, "
                "YYYY-MM-DD hh:mm:ss [+hhmm] or ISO 8601) for accountingDate");
    assert_kind("jade/jade-negative.csv:2: order J-1004: field qty: '-2' is not a positive "
                "decimal: the quantity sold (qty, N19,5)",
                "field qty: '\xe2\x80\xa6' is not a positive decimal: the quantity sold (qty, "
                "N19,5)");
    assert_kind("jade/jade-thousands.csv:2: order J-1006: field total: '1,234.50' is not a "
                "non-negative decimal (a number has no ',': no thousands separators, and a point "
                "before the decimals: 1024.50): the line total (totalPrice, N19,5)",
                "field total: '\xe2\x80\xa6' is not a non-negative decimal (a number has no ',': "
                "no thousands separators, and a point before the decimals: 1024.50): the line "
                "total (totalPrice, N19,5)");
    /* a number named by the fixed wording stays outside parentheses too */
    assert_kind("a.csv:4: order 9: field country: 'XX' is not in the customs country table "
                "(country.csv); give the ISO 3166 alpha-2 code of the destination (US, DE, ...)",
                "field country: '\xe2\x80\xa6' is not in the customs country table "
                "(country.csv); give the ISO 3166 alpha-2 code of the destination (US, DE, ...)");
    assert_kind("a.csv:5: order 9: field pack_no: '0' is not a whole number from 1 to 999999999 "
                "(packNo, CEB505/CEB603)",
                "field pack_no: '\xe2\x80\xa6' is not a whole number from 1 to 999999999 "
                "(packNo, CEB505/CEB603)");
    /* the values given as bare numbers are masked, so that two such rejections are one kind */
    assert_kind("x.csv:3: order 7: field item_name: byte 0xE9 at position 12 is not valid text "
                "in the file's encoding (UTF-8 or GB18030)",
                "field item_name: byte 0xN at position N is not valid text in the file's encoding "
                "(UTF-8 or GB18030)");
    assert_kind("field note: control character U+001B at position 4",
                "field note: control character U+N at position N");
    assert_kind("b.csv:9: order 4: field total: given total 12.00 differs from qty x price = "
                "10.5 by more than the tolerance 0.01 ([mapping] tolerance)",
                "field total: given total N differs from qty x price = N by more than the "
                "tolerance N ([mapping] tolerance)");
    assert_kind("c.csv:7: order 5: field order_no: the rows of order 5 must follow each other: "
                "it began at line 3 and",
                "field order_no: the rows of order N must follow each other: it began at line N "
                "and");
    /* a word that merely starts like a code stays */
    assert_kind("field sku: 0xford is unknown", "field sku: 0xford is unknown");
    /* the catalogue's path is a quoted value: two sellers' catalogues make one kind */
    assert_kind("a.csv:2: order P-1: field sku: 'NOPE' is not in the product catalogue "
                "'/srv/a/products.csv': add it with its HS code, declared name and legal unit, "
                "then drop the file again",
                "field sku: '\xe2\x80\xa6' is not in the product catalogue '\xe2\x80\xa6': add it "
                "with its HS code, declared name and legal unit, then drop the file again");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_receipt_codes),
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_receipt_matches),
        cmocka_unit_test(test_forward_only),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_lock),
        cmocka_unit_test(test_recovery),
        cmocka_unit_test(test_hand_over_archive_first),
        cmocka_unit_test(test_submit_handed_over),
        cmocka_unit_test(test_receipts_fetch_once),
        cmocka_unit_test(test_busy_spool),
        cmocka_unit_test(test_reason_grouping),
        cmocka_unit_test(test_db_fault_keeps_input),
        cmocka_unit_test(test_key_unopenable_for_now),
        cmocka_unit_test(test_first_pass_for_now),
        cmocka_unit_test(test_finished_or_put_back),
        cmocka_unit_test(test_file_changed_while_read),
        cmocka_unit_test(test_file_touched_while_read),
        cmocka_unit_test(test_reason_kind_fixed_wording),
    };

    /* The keys of the modules under test, as cebgate registers them at start-up. */
    assert_int_equal(cg_conf_register(cg_mapping_conf_keys), CG_OK);
    assert_int_equal(cg_conf_register(cg_declare_conf_keys), CG_OK);
    assert_int_equal(cg_conf_register(cg_spool_conf_keys), CG_OK);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
