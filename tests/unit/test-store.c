/*
 * test-store.c - the store layer: a database written by the previous release opens, migrates
 * and reads back through the store; orders that need a cancellation and orders held for their
 * status are recorded per file; a module adds its own migration steps; every read the
 * spool decides on reports an injected database failure as CG_EDB/CG_EBUSY, never as "not
 * found"; a commit that fails (SQLITE_BUSY, SQLITE_IOERR) rolls the unit of work back.
 *
 * sqlite3_step, sqlite3_prepare_v3 and sqlite3_exec are wrapped (-Wl,--wrap): a failure is
 * injected into the statements whose SQL contains fail_sql, or into COMMIT.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/err.h"
#include "core/fsutil.h"
#include "store/store-int.h"
#include "store/store-dismiss.h"
#include "store/store-intake.h"
#include "store/store-settle.h"
#include "store/store.h"

/* ------------------------------------------------------------------ fault injection */

static const char *fail_sql; /* inject into statements whose SQL contains this */
static int fail_rc;          /* the SQLite code to return */
static bool fail_prepare;    /* at prepare instead of step */
static int fail_commit_rc;   /* SQLite code for COMMIT; 0: none */
static long injected;        /* how many failures were injected */

int __real_sqlite3_step(sqlite3_stmt *st);
int __real_sqlite3_prepare_v3(sqlite3 *db, const char *sql, int n, unsigned int flags,
                              sqlite3_stmt **out, const char **tail);
int __real_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *ctx, char **errmsg);
int __wrap_sqlite3_step(sqlite3_stmt *st);
int __wrap_sqlite3_prepare_v3(sqlite3 *db, const char *sql, int n, unsigned int flags,
                              sqlite3_stmt **out, const char **tail);
int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *ctx, char **errmsg);

int __wrap_sqlite3_step(sqlite3_stmt *st)
{
    const char *sql = sqlite3_sql(st);

    if (!fail_prepare && fail_sql != NULL && sql != NULL && strstr(sql, fail_sql) != NULL) {
        injected++;
        return fail_rc;
    }
    return __real_sqlite3_step(st);
}

int __wrap_sqlite3_prepare_v3(sqlite3 *db, const char *sql, int n, unsigned int flags,
                              sqlite3_stmt **out, const char **tail)
{
    if (fail_prepare && fail_sql != NULL && strstr(sql, fail_sql) != NULL) {
        injected++;
        *out = NULL;
        return fail_rc;
    }
    return __real_sqlite3_prepare_v3(db, sql, n, flags, out, tail);
}

int __wrap_sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                        void *ctx, char **errmsg)
{
    if (fail_commit_rc != 0 && strcmp(sql, "COMMIT") == 0) {
        injected++;
        return fail_commit_rc;
    }
    return __real_sqlite3_exec(db, sql, cb, ctx, errmsg);
}

static void inject(const char *sql, int rc, bool at_prepare)
{
    fail_sql = sql;
    fail_rc = rc;
    fail_prepare = at_prepare;
    injected = 0;
}

static void no_faults(void)
{
    fail_sql = NULL;
    fail_rc = 0;
    fail_prepare = false;
    fail_commit_rc = 0;
}

/* ------------------------------------------------------------------ fixture */

struct fix {
    char dir[64];
    char *path;
    struct cg_store *st;
};

/* A copy of the database the previous release wrote, opened through the store. */
static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    const char *data = getenv("CG_TESTDATA");
    struct cg_err err;
    char cmd[1024];

    no_faults();
    assert_non_null(f);
    assert_non_null(data);
    snprintf(f->dir, sizeof(f->dir), "/tmp/cg-test-store.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->path = cg_fs_join(f->dir, "cebgate.db");
    snprintf(cmd, sizeof(cmd), "cp '%s/store/previous-release.db' '%s'", data, f->path);
    assert_int_equal(system(cmd), 0);
    cg_err_clear(&err);
    assert_int_equal(cg_store_open(f->path, &f->st, &err), CG_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    char cmd[128];

    no_faults();
    cg_store_close(f->st);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f->path);
    free(f);
    return 0;
}

/* ------------------------------------------------------------------ reading the old database */

struct seen {
    int n;
    int64_t id;
    char states[8][24];
    int types[8];
    char pre_no[8][32];
};

static int order_seen(const struct cg_store_order *o, void *vctx)
{
    struct seen *s = vctx;

    s->n++;
    s->id = o->id;
    return CG_OK;
}

static int doc_seen(const struct cg_store_doc *d, void *vctx)
{
    struct seen *s = vctx;

    if (s->n < 8) {
        s->types[s->n] = d->msg_type;
        snprintf(s->states[s->n], sizeof(s->states[0]), "%s", d->state);
        snprintf(s->pre_no[s->n], sizeof(s->pre_no[0]), "%s", d->pre_no ? d->pre_no : "");
    }
    s->n++;
    return CG_OK;
}

static int file_seen(const struct cg_store_file *file, void *vctx)
{
    struct cg_store_file *out = vctx;

    out->id = file->id;
    out->orders_new = file->orders_new;
    out->orders_rejected = file->orders_rejected;
    return CG_OK;
}

static int intake_seen(const struct cg_store_intake *f, void *vctx)
{
    (void)f;
    (void)vctx;
    return CG_OK;
}

static int refusal_seen(const struct cg_store_refusal *r, void *vctx)
{
    (void)r;
    (void)vctx;
    return CG_OK;
}

static int count_item(const struct cg_store_item *it, void *vctx)
{
    (void)it;
    (*(int *)vctx)++;
    return CG_OK;
}

static void docs_of(struct cg_store *st, const char *no, struct seen *docs)
{
    struct seen o;
    struct cg_err err;

    memset(&o, 0, sizeof(o));
    memset(docs, 0, sizeof(*docs));
    assert_int_equal(cg_store_orders_named(st, no, order_seen, &o, &err), CG_OK);
    assert_int_equal(o.n, 1);
    assert_int_equal(cg_store_order_docs(st, o.id, doc_seen, docs, &err), CG_OK);
}

/* The facts tests/data/store/README.md gives for the batch that made the file. */
static void test_previous_release(void **state)
{
    struct fix *f = *state;
    struct cg_store_file file;
    struct cg_err err;
    struct seen d;
    char hash[65];
    int64_t id = 0;
    long taken = -1, rej = -1, w = -1, sk = -1, c = -1, open = -1;
    int ver = -1, n = 0;

    /* Opening it upgrades it to the current schema: step 3, the 'mismatch' receipt outcome;
     * step 4, the table of orders that need a cancellation and the held counts; step 5, lines
     * without an order number kept apart; step 6, the orders each file held; step 7, the
     * outcomes of the statements, invoice and result files taken from incoming/ (none yet);
     * step 8, the dismissals of files refused whole (orders.csv was taken, not refused); step
     * 9, the resend marks of refused documents (none); step 10, the lookups of an order's files
     * by seller and number, and the status a held order was held for; step 11, the indexes of
     * the incomplete and held lists; step 12, the sellers held for their configuration (none). */
    assert_int_equal(cg_store_module_version(f->st, "cebgate", &ver, &err), CG_OK);
    assert_int_equal(ver, 12);
    assert_int_equal(cg_store_intake_named(f->st, NULL, "orders.csv", intake_seen, NULL, &err),
                     CG_ENOTFOUND);
    assert_int_equal(cg_store_refusals_named(f->st, NULL, "orders.csv", refusal_seen, NULL, &err),
                     CG_ENOTFOUND);
    assert_int_equal(cg_store_cancels_open_count(f->st, &open, &err), CG_OK);
    assert_int_equal(open, 0);
    /* Released order: CEB303, 505, 603 released, the inventory carries a preNo. */
    docs_of(f->st, "SO-0000001", &d);
    assert_int_equal(d.n, 3);
    assert_int_equal(d.types[0], 303);
    assert_int_equal(d.types[1], 505);
    assert_int_equal(d.types[2], 603);
    assert_string_equal(d.states[0], "released");
    assert_string_equal(d.states[1], "released");
    assert_string_equal(d.states[2], "released");
    assert_true(d.pre_no[2][0] == 'P');
    /* Rejected CEB303, the other two sent. */
    docs_of(f->st, "SO-0000002", &d);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.states[0], "rejected");
    assert_string_equal(d.states[1], "sent");
    assert_string_equal(d.states[2], "sent");
    /* Orders by seller: jl's order is not acme's. */
    assert_int_equal(cg_store_order_find(f->st, "jl", "SO-0000201", &id, hash, &err), CG_OK);
    assert_int_equal(strlen(hash), 64);
    assert_int_equal(cg_store_order_find(f->st, "acme", "SO-0000201", &id, hash, &err),
                     CG_ENOTFOUND);
    /* The first file: 3 orders taken, none rejected. */
    memset(&file, 0, sizeof(file));
    assert_int_equal(cg_store_files_named(f->st, NULL, "orders.csv", file_seen, &file, &err),
                     CG_OK);
    assert_int_equal(file.orders_new, 3);
    assert_int_equal(cg_store_file_counts(f->st, file.id, &taken, &rej, &err), CG_OK);
    assert_int_equal(taken, 3);
    assert_int_equal(rej, 0);
    assert_int_equal(cg_store_file_held(f->st, file.id, &w, &sk, &c, &err), CG_OK);
    assert_true(w == 0 && sk == 0 && c == 0);
    /* Pending: SO-0000002's 505 and 603, SO-0000003's three, SO-0000202's three. */
    assert_int_equal(cg_store_list(f->st, CG_STORE_LIST_PENDING, count_item, &n, &err), CG_OK);
    assert_int_equal(n, 8);
    n = 0;
    assert_int_equal(cg_store_list(f->st, CG_STORE_LIST_REJECTED, count_item, &n, &err), CG_OK);
    assert_int_equal(n, 1);
}

static int table_count(const char *path, const char *name)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                        "AND name = ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* The old database keeps its format when only the spool's schema is open: no table added. */
static void test_format_kept(void **state)
{
    struct fix *f = *state;
    const struct cg_store_schema *list[1] = {&cg_store_schema_spool};
    const char *data = getenv("CG_TESTDATA");
    struct cg_store *st = NULL;
    struct cg_err err;
    char *path = cg_fs_join(f->dir, "spool-only.db");
    char cmd[1024];
    int ver = -1;

    assert_non_null(path);
    snprintf(cmd, sizeof(cmd), "cp '%s/store/previous-release.db' '%s'", data, path);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cg_store_open_with(path, list, 1, &st, &err), CG_OK);
    assert_int_equal(cg_store_module_version(st, "cebgate", &ver, &err), CG_OK);
    assert_int_equal(ver, cg_store_schema_spool.nsteps);
    cg_store_close(st);
    assert_int_equal(table_count(path, "store_modules"), 0);
    assert_int_equal(table_count(path, "fx_declared"), 0);
    free(path);
}

struct rej_seen {
    int n;
    char item[8][160]; /* "ORDER-NO|reason" */
};

static int rejection_seen(const struct cg_store_item *it, void *vctx)
{
    struct rej_seen *r = vctx;

    if (it->msg_type == 0 && r->n < 8)
        snprintf(r->item[r->n], sizeof(r->item[0]), "%s|%s", it->order_no, it->detail);
    r->n++;
    return CG_OK;
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/*
 * A database of version 4 held the lines rejected without an order number as order '?': one
 * order, listed once, for every such line of every file. Opening it keeps each line apart
 * (order number none), drops a line stored twice (the file resumed by a release that stored
 * none), and leaves a refused order whose number is '?' as it was.
 */
static void test_no_number_split(void **state)
{
    struct fix *f = *state;
    const struct cg_store_schema old = {"cebgate", cg_store_schema_spool.steps, 4};
    const struct cg_store_schema *list[1] = {&old};
    struct cg_store *st = NULL;
    struct rej_seen r;
    struct cg_err err;
    char *path = cg_fs_join(f->dir, "v4.db");
    int ver = -1;

    assert_non_null(path);
    assert_int_equal(cg_store_open_with(path, list, 1, &st, &err), CG_OK);
    assert_int_equal(cg_store_module_version(st, "cebgate", &ver, &err), CG_OK);
    assert_int_equal(ver, 4);
    cg_store_close(st);
    exec_sql(path, "INSERT INTO input_files(id, seller, name, active_name, size, sha256, outcome, "
                   "taken_at) VALUES (1, 'acme', 'a.csv', 'a.csv', 1, 'a1', 'done', "
                   "'2026-03-01T01:00:00Z'), (2, 'acme', 'b.jsonl', 'b.jsonl', 1, 'b2', 'done', "
                   "'2026-03-01T02:00:00Z');"
                   "INSERT INTO rejections(input_file, seller, order_no, line, reason, at) VALUES "
                   "(1, 'acme', '?', 3, 'acme/a.csv:3: order ?: field order_no: is empty', "
                   "'2026-03-01T01:00:01Z'),"
                   "(1, 'acme', '', 3, 'acme/a.csv:3: order ?: field order_no: is empty', "
                   "'2026-03-01T01:30:01Z'),"
                   "(2, 'acme', '?', 4, 'acme/b.jsonl:4: order ?: field json: not JSON', "
                   "'2026-03-01T02:00:01Z'),"
                   "(2, 'acme', '?', 6, 'acme/b.jsonl:6: order ?: CEB303: changed after customs "
                   "reached state ''released''', '2026-03-01T02:00:02Z');");
    assert_int_equal(cg_store_open(path, &st, &err), CG_OK);
    assert_int_equal(cg_store_module_version(st, "cebgate", &ver, &err), CG_OK);
    assert_int_equal(ver, cg_store_schema_spool.nsteps);
    memset(&r, 0, sizeof(r));
    assert_int_equal(cg_store_list(st, CG_STORE_LIST_REJECTED, rejection_seen, &r, &err), CG_OK);
    cg_store_close(st);
    /* By time: a.csv's line once, b.jsonl's line, then the order '?' b.jsonl refused. */
    assert_int_equal(r.n, 3);
    assert_string_equal(r.item[0], "|acme/a.csv:3: order ?: field order_no: is empty");
    assert_string_equal(r.item[1], "|acme/b.jsonl:4: order ?: field json: not JSON");
    assert_string_equal(r.item[2], "?|acme/b.jsonl:6: order ?: CEB303: changed after customs "
                                   "reached state 'released'");
    free(path);
}

struct fx_seen {
    int n;
    char currency[4];
    int64_t declared;
    bool has_charge;
    int64_t charge;
    int64_t refunded;
};

static int fx_order_seen(void *vctx, const struct cg_fx_order *o)
{
    struct fx_seen *s = vctx;

    s->n++;
    snprintf(s->currency, sizeof(s->currency), "%s", o->currency);
    s->declared = o->declared;
    s->has_charge = o->has_charge;
    s->charge = o->charge;
    s->refunded = o->refunded;
    return CG_OK;
}

static int declare_one(struct cg_store *st, void *vctx, struct cg_err *err)
{
    const struct cg_fx_declared *d = vctx;

    return cg_store_fx_declared_put(st, d, 1, err);
}

/*
 * The registered modules on the previous release's database: settle/'s tables are added as
 * its own module and the spool's version is its own current one; the new tables take the old
 * orders' declared amounts.
 */
static void test_settle_added(void **state)
{
    struct fix *f = *state;
    struct cg_fx_declared d;
    struct fx_seen seen;
    struct cg_err err;
    char hash[65];
    int64_t id = 0;
    int ver = -1;

    assert_int_equal(cg_store_module_version(f->st, "cebgate", &ver, &err), CG_OK);
    assert_int_equal(ver, cg_store_schema_spool.nsteps);
    assert_int_equal(cg_store_module_version(f->st, "settle", &ver, &err), CG_OK);
    assert_int_equal(ver, cg_store_schema_settle.nsteps);
    assert_int_equal(table_count(f->path, "fx_declared"), 1);
    assert_int_equal(table_count(f->path, "fx_allocation"), 1);
    /* An old order has no declared amount yet: not found, not an error. */
    memset(&seen, 0, sizeof(seen));
    cg_err_clear(&err);
    assert_int_equal(cg_store_fx_order_find(f->st, NULL, "SO-0000001", fx_order_seen, &seen, &err),
                     CG_ENOTFOUND);
    assert_int_equal(err.code, CG_OK);
    assert_int_equal(cg_store_order_find(f->st, "acme", "SO-0000001", &id, hash, &err), CG_OK);
    memset(&d, 0, sizeof(d));
    d.order_id = id;
    d.currency = "USD";
    d.amount = 12345;
    assert_int_equal(cg_store_tx(f->st, declare_one, &d, &err), CG_OK);
    assert_int_equal(
        cg_store_fx_order_find(f->st, "acme", "SO-0000001", fx_order_seen, &seen, &err), CG_OK);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.currency, "USD");
    assert_int_equal(seen.declared, 12345);
}

/* A new database gets every registered module's tables. */
static void test_fresh_database(void **state)
{
    struct fix *f = *state;
    struct cg_store *st = NULL;
    struct cg_err err;
    char *path = cg_fs_join(f->dir, "fresh.db");
    int ver = -1;

    assert_non_null(path);
    assert_int_equal(cg_store_open(path, &st, &err), CG_OK);
    assert_int_equal(cg_store_module_version(st, "cebgate", &ver, &err), CG_OK);
    assert_int_equal(ver, cg_store_schema_spool.nsteps);
    assert_int_equal(cg_store_module_version(st, "settle", &ver, &err), CG_OK);
    assert_int_equal(ver, cg_store_schema_settle.nsteps);
    cg_store_close(st);
    assert_int_equal(table_count(path, "fx_declared"), 1);
    assert_int_equal(table_count(path, "fx_statement"), 1);
    free(path);
}

static void sql_run(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *msg = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg != NULL ? msg : "?");
    sqlite3_close(db);
}

static long long sql_value(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* The details of sql's query plan (EXPLAIN QUERY PLAN), each followed by ';', into out. */
static void plan_of(const char *path, const char *sql, char *out, size_t size)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
    size_t n = 0;

    assert_non_null(q);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW && n < size)
        n += (size_t)snprintf(out + n, size - n, "%s;", (const char *)sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
    sqlite3_close(db);
    sqlite3_free(q);
}

/* The order numbers of a list, joined by ',' in its order. */
static int join_item(const struct cg_store_item *it, void *vctx)
{
    char *out = vctx;
    size_t n = strlen(out);

    snprintf(out + n, 256 - n, "%s%s", n > 0 ? "," : "", it->order_no);
    return CG_OK;
}

/*
 * The spool's step 11 on a database put back at step 10 (its three indexes dropped,
 * user_version 10): it adds the partial indexes of the incomplete and held lists, each over the
 * rows its list reads, and the lists read the same; and that of the waybills by number. Of the
 * orders: I-1 has a CEB303 only (incomplete), I-2 its CEB603 too, I-3 a rejected CEB303 only, I-4 a
 * CEB303 only and a cancellation needed (none of those three incomplete); H-1 was held as waiting,
 * H-2 taken by the same file, H-3 held as skipped: only H-1 is held.
 */
static void test_status_lists_step(void **state)
{
    struct fix *f = *state;
    struct cg_store *st = NULL;
    struct cg_err err;
    char *path = cg_fs_join(f->dir, "step10.db");
    char got[256] = "", plan[2048];
    int ver = -1;

    assert_non_null(path);
    assert_int_equal(cg_store_open(path, &st, &err), CG_OK);
    cg_store_close(st);
    sql_run(path,
            "DROP TABLE seller_holds; DROP INDEX documents_303; DROP INDEX file_orders_held; "
            "DROP INDEX documents_waybill; ALTER TABLE documents DROP COLUMN carrier; "
            "ALTER TABLE documents DROP COLUMN route; PRAGMA user_version = 10;"
            "INSERT INTO input_files(id, seller, name, active_name, size, sha256, taken_at) "
            "VALUES (1, 'acme', 'a.csv', 'a.csv', 1, 's', 't1');"
            "INSERT INTO orders(id, seller, order_no, hash, last_file, created_at, updated_at) "
            "VALUES (1, 'acme', 'I-1', 'h', 1, 'x', 'x'), (2, 'acme', 'I-2', 'h', 1, 'x', 'x'),"
            " (3, 'acme', 'I-3', 'h', 1, 'x', 'x'), (4, 'acme', 'I-4', 'h', 1, 'x', 'x'),"
            " (5, 'acme', 'H-2', 'h', 1, 'x', 'x');"
            "INSERT INTO documents(order_id, msg_type, business_key, version, guid, app_type, "
            "content_hash, state, updated_at) VALUES (1, 303, 'I-1', 1, 'g1', 1, 'c', 'sent', "
            "'u1'), (2, 303, 'I-2', 1, 'g2', 1, 'c', 'sent', 'u2'), (2, 603, 'I-2', 1, 'g3', 1, "
            "'c', 'sent', 'u3'), (3, 303, 'I-3', 1, 'g4', 1, 'c', 'rejected', 'u4'), (4, 303, "
            "'I-4', 1, 'g5', 1, 'c', 'sent', 'u5');"
            "INSERT INTO cancel_needed(order_id, input_file, line, status, reason, noted_at) "
            "VALUES (4, 1, 5, 'cancelled', 'r', 'n');"
            "INSERT INTO file_orders(input_file, held, seller, order_no, status) VALUES "
            "(1, 1, 'acme', 'H-1', 1), (1, 0, 'acme', 'H-2', NULL), (1, 1, 'acme', 'H-3', 2);");
    assert_int_equal(sql_value(path, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                     "('documents_303', 'file_orders_held', "
                                     "'documents_waybill')"),
                     0);
    assert_int_equal(cg_store_open(path, &st, &err), CG_OK);
    assert_int_equal(cg_store_module_version(st, "cebgate", &ver, &err), CG_OK);
    assert_int_equal(ver, 12);
    assert_int_equal(sql_value(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                                     "name = 'documents_303' AND tbl_name = 'documents' AND sql "
                                     "LIKE '%WHERE msg_type = 303 AND%state <> ''rejected''%'"),
                     1);
    assert_int_equal(sql_value(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                                     "name = 'file_orders_held' AND tbl_name = 'file_orders' AND "
                                     "sql LIKE '%WHERE held = 1'"),
                     1);
    /* the partial indexes hold the CEB303s not rejected and the held rows, nothing else */
    assert_int_equal(sql_value(path, "SELECT count(*) FROM documents INDEXED BY documents_303 "
                                     "WHERE msg_type = 303 AND state <> 'rejected'"),
                     3);
    assert_int_equal(sql_value(path, "SELECT count(*) FROM file_orders INDEXED BY "
                                     "file_orders_held WHERE held = 1"),
                     2);
    /* the lists' statements read them: the CEB303s, and the held rows with all they need */
    plan_of(path, store_sql[S_LIST_INCOMPLETE], plan, sizeof(plan));
    assert_non_null(strstr(plan, "SCAN d USING INDEX documents_303;"));
    plan_of(path, store_sql[S_LIST_HELD], plan, sizeof(plan));
    assert_non_null(strstr(plan, "SCAN x USING COVERING INDEX file_orders_held;"));
    /* and the run's look-up of the order holding a waybill number, the waybills by number */
    assert_int_equal(sql_value(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                                     "name = 'documents_waybill' AND sql LIKE "
                                     "'%(business_key) WHERE msg_type = 505'"),
                     1);
    plan_of(path, store_sql[S_WAYBILL_HOLDER], plan, sizeof(plan));
    assert_non_null(strstr(plan, "SEARCH d USING INDEX documents_waybill (business_key=?);"));
    assert_int_equal(cg_store_list(st, CG_STORE_LIST_INCOMPLETE, join_item, got, &err), CG_OK);
    assert_string_equal(got, "I-1");
    got[0] = '\0';
    assert_int_equal(cg_store_list(st, CG_STORE_LIST_HELD, join_item, got, &err), CG_OK);
    assert_string_equal(got, "H-1");
    cg_store_close(st);
    free(path);
}

/*
 * The order holding a waybill: another order's CEB505 with its number as business key and the
 * same carrier, of any seller, not the order asking (another carrier's waybill with the same
 * number, or one declared before its carrier was kept, holds nothing); a waybill refused before the
 * port stored it (rejected, no positive receipt) holds nothing, one customs refused after the port
 * stored it (status 100) still does.
 */
static void test_waybill_holder(void **state)
{
    struct fix *f = *state;
    struct cg_store *st = NULL;
    struct cg_err err;
    char *path = cg_fs_join(f->dir, "waybill.db");
    char seller[8], no[8];

    assert_non_null(path);
    assert_int_equal(cg_store_open(path, &st, &err), CG_OK);
    cg_store_close(st);
    sql_run(path,
            "INSERT INTO orders(id, seller, order_no, hash, created_at, updated_at) VALUES "
            "(1, 'acme', 'W-1', 'h', 'x', 'x'), (2, 'jl', 'W-2', 'h', 'x', 'x'), "
            "(3, 'jl', 'W-3', 'h', 'x', 'x'), (4, 'jl', 'W-4', 'h', 'x', 'x');"
            "INSERT INTO documents(id, order_id, msg_type, business_key, version, guid, app_type, "
            "content_hash, state, updated_at, carrier) VALUES (1, 1, 505, 'SF1', 1, 'g1', 1, 'c', "
            "'sent', 'u', 'C1'), (2, 2, 505, 'SF2', 1, 'g2', 1, 'c', 'rejected', 'u', 'C1'), (3, "
            "3, 505, 'SF3', 1, 'g3', 1, 'c', 'rejected', 'u', 'C1'), (4, 3, 303, 'SF1', 1, 'g4', "
            "1, 'c', 'sent', 'u', NULL), (5, 4, 505, 'SF5', 1, 'g5', 1, 'c', 'sent', 'u', NULL);"
            "INSERT INTO messages(id, document_id, version, guid, msg_type, app_type, file_name, "
            "sha256, size, state, created_at) VALUES (3, 3, 1, 'g3', 505, 1, 'm3', 's', 1, "
            "'rejected', 'x');"
            "INSERT INTO receipts(received_at, file_name, msg_type, guid, status, message_id, "
            "outcome) VALUES ('x', 'r', 506, 'g3', '2', 3, 'applied'), ('x', 'r', 506, 'g3', "
            "'100', 3, 'applied');");
    assert_int_equal(cg_store_open(path, &st, &err), CG_OK);
    assert_int_equal(cg_store_waybill_holder(st, "C1", "SF1", "jl", "W-9", seller, sizeof(seller),
                                             no, sizeof(no), &err),
                     CG_OK);
    assert_string_equal(seller, "acme");
    assert_string_equal(no, "W-1");
    assert_int_equal(cg_store_waybill_holder(st, "C1", "SF1", "acme", "W-1", seller, sizeof(seller),
                                             no, sizeof(no), &err),
                     CG_ENOTFOUND);
    assert_int_equal(cg_store_waybill_holder(st, "C1", "SF2", "acme", "W-9", seller, sizeof(seller),
                                             no, sizeof(no), &err),
                     CG_ENOTFOUND);
    assert_int_equal(cg_store_waybill_holder(st, "C1", "SF3", "acme", "W-9", seller, sizeof(seller),
                                             no, sizeof(no), &err),
                     CG_OK);
    assert_string_equal(no, "W-3");
    assert_int_equal(cg_store_waybill_holder(st, "C1", "SF4", "acme", "W-9", seller, sizeof(seller),
                                             no, sizeof(no), &err),
                     CG_ENOTFOUND);
    /* another carrier's SF1; a waybill declared before carriers were kept */
    assert_int_equal(cg_store_waybill_holder(st, "C2", "SF1", "jl", "W-9", seller, sizeof(seller),
                                             no, sizeof(no), &err),
                     CG_ENOTFOUND);
    assert_int_equal(cg_store_waybill_holder(st, "C1", "SF5", "acme", "W-9", seller, sizeof(seller),
                                             no, sizeof(no), &err),
                     CG_ENOTFOUND);
    cg_store_close(st);
    free(path);
}

/*
 * settle/'s steps 16, 15 and 14 undone: no payout's arrival, no balance per currency, and the
 * bound of a settlement as step 1 made it. Run first where a test puts a database back to an older
 * step.
 */
#define SETTLE_BEFORE_14                                                                           \
    "DROP TABLE fx_transfer_undone;"                                                               \
    "DROP TABLE fx_transfer;"                                                                      \
    "DROP TRIGGER fx_holding_receipt_i;"                                                           \
    "DROP TRIGGER fx_holding_receipt_u;"                                                           \
    "DROP TRIGGER fx_holding_receipt_d;"                                                           \
    "DROP TRIGGER fx_holding_settlement_i;"                                                        \
    "DROP TRIGGER fx_holding_settlement_u;"                                                        \
    "DROP TRIGGER fx_holding_settlement_d;"                                                        \
    "DROP TABLE fx_holding;"                                                                       \
    "DROP TRIGGER fx_settlement_bound;"                                                            \
    "CREATE TRIGGER fx_settlement_bound BEFORE INSERT ON fx_settlement BEGIN"                      \
    "  SELECT RAISE(ABORT, 'settlement exceeds the holding')"                                      \
    "   WHERE NEW.amount > (SELECT coalesce(sum(CASE direction WHEN 'in' THEN net ELSE -net END)," \
    "    0) FROM fx_receipt WHERE currency = NEW.currency)"                                        \
    "    - (SELECT coalesce(sum(amount), 0) FROM fx_settlement WHERE currency = NEW.currency);"    \
    "END;"

/*
 * settle/'s step 8 on a database at step 7 with statements and receipts: the statements are
 * kept with their ids, the receipts still refer to them, and a statement may now be 'mt940';
 * step 10 gives the receipts recorded before charge 0.
 */
static void test_settle_mt940_step(void **state)
{
    struct fix *f = *state;
    struct cg_store *st = NULL;
    struct cg_err err;
    char *path = cg_fs_join(f->dir, "step7.db");

    assert_non_null(path);
    assert_int_equal(cg_store_open(path, &st, &err), CG_OK);
    cg_store_close(st);
    /* fx_statement and fx_receipt as steps 1 to 7 made them, with a statement and its
     * receipt (step 10 adds fx_receipt's charge). */
    sql_run(path, SETTLE_BEFORE_14
            "ALTER TABLE fx_declared DROP COLUMN pay_refunded;"
            "ALTER TABLE fx_declared DROP COLUMN pay_charge;"
            "DROP TABLE fx_receipt_charge;"
            "ALTER TABLE fx_receipt DROP COLUMN charge;"
            "DROP TABLE fx_statement;"
            "CREATE TABLE fx_statement (id INTEGER PRIMARY KEY, seller TEXT NOT NULL,"
            "  kind TEXT NOT NULL CHECK (kind IN ('csv', 'camt.053', 'camt.054', 'payout')),"
            "  name TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE, stmt_id TEXT,"
            "  entries INTEGER NOT NULL, imported_at TEXT NOT NULL);"
            "INSERT INTO fx_statement VALUES (7, 'acme', 'camt.053', 's.xml', 'aa', 'S', 1, 'x');"
            "INSERT INTO fx_receipt(id, statement_id, seller, entry_key, line, direction, "
            "currency, gross, fee, net, booked_on, value_on, created_at) VALUES (3, 7, 'acme', "
            "'camt:acme:A:R', 1, 'in', 'USD', 100, 0, 100, '2025-07-01', '2025-07-01', 'x');"
            "UPDATE store_modules SET version = 7 WHERE module = 'settle';");
    assert_int_equal(cg_store_open(path, &st, &err), CG_OK);
    cg_store_close(st);
    assert_int_equal(sql_value(path, "SELECT version FROM store_modules WHERE module = 'settle'"),
                     cg_store_schema_settle.nsteps);
    assert_int_equal(sql_value(path, "SELECT count(*) FROM fx_statement WHERE id = 7 AND "
                                     "kind = 'camt.053' AND sha256 = 'aa' AND entries = 1"),
                     1);
    assert_int_equal(sql_value(path, "SELECT count(*) FROM fx_receipt r JOIN fx_statement s "
                                     "ON s.id = r.statement_id WHERE r.id = 3"),
                     1);
    /* step 10: a receipt recorded before is no bank charge */
    assert_int_equal(sql_value(path, "SELECT charge FROM fx_receipt WHERE id = 3"), 0);
    assert_int_equal(sql_value(path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    sql_run(path, "INSERT INTO fx_statement VALUES (8, '', 'mt940', 'm.sta', 'bb', 'M', 0, 'x');");
    free(path);
}

/* The receipt of id holds key. */
static int key_is(const char *path, int id, const char *key)
{
    char sql[300];

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM fx_receipt WHERE id = %d AND entry_key = '%s'",
             id, key);
    return sql_value(path, sql) == 1;
}

/*
 * settle/'s step 9 on a database at step 8: the keys of camt entries whose account was the whole
 * text of Acct/Id/Othr (its Id, then a scheme or an issuer, the whitespace between kept) take
 * the account's first word, the Id. Not rewritten: an account without whitespace, a key of an
 * MT940 statement (its account is :25: as it is), a key of another kind. Where the new key is
 * recorded already, or two old keys become one, the receipt recorded first holds it and the
 * other keeps its old key.
 */
static void test_settle_othr_step(void **state)
{
    struct fix *f = *state;
    struct cg_store *st = NULL;
    struct cg_err err;
    char *path = cg_fs_join(f->dir, "step8.db");

    assert_non_null(path);
    assert_int_equal(cg_store_open(path, &st, &err), CG_OK);
    cg_store_close(st);
    sql_run(path,
            "INSERT INTO fx_statement VALUES (1, 'a:b', 'camt.053', 's.xml', 'aa', 'S', 1, 'x');"
            "INSERT INTO fx_statement VALUES (2, '', 'camt.054', 'n.xml', 'bb', 'N', 5, 'x');"
            "INSERT INTO fx_statement VALUES (3, '', 'mt940', 'm.sta', 'cc', 'M', 2, 'x');"
            "INSERT INTO fx_statement VALUES (4, '', 'payout', 'p.csv', 'dd', NULL, 1, 'x');"
            "INSERT INTO fx_receipt(id, statement_id, seller, entry_key, line, direction, "
            "currency, gross, fee, net, booked_on, value_on, created_at) VALUES "
            "(1, 1, 'a:b', 'camt:a%3Ab:123\n    BBAN:R1', 1, 'in', 'USD', 1, 0, 1, 'd', 'd', 'x'),"
            "(2, 2, '', 'camt::4711' || char(9) || 'Bank%3A X:C:2025:08', 2, 'in', 'USD', 1, 0, 1,"
            " 'd', 'd', 'x'),"
            "(3, 2, '', 'camt::DE89370400440532013000:R3', 3, 'in', 'USD', 1, 0, 1, 'd', 'd', 'x'),"
            "(4, 3, '', 'camt::55 66:R4', 4, 'in', 'USD', 1, 0, 1, 'd', 'd', 'x'),"
            "(5, 2, '', 'camt::777\n  BBAN:R5', 5, 'in', 'USD', 1, 0, 1, 'd', 'd', 'x'),"
            "(6, 2, '', 'camt::777\n  BANK X:R5', 6, 'in', 'USD', 1, 0, 1, 'd', 'd', 'x'),"
            "(7, 3, '', 'camt::888:R7', 7, 'in', 'USD', 1, 0, 1, 'd', 'd', 'x'),"
            "(8, 2, '', 'camt::888\n  BBAN:R7', 8, 'in', 'USD', 1, 0, 1, 'd', 'd', 'x'),"
            "(9, 4, '', 'payout::P 1', 9, 'in', 'USD', 1, 0, 1, 'd', 'd', 'x');" SETTLE_BEFORE_14
            "ALTER TABLE fx_declared DROP COLUMN pay_refunded;"
            "ALTER TABLE fx_declared DROP COLUMN pay_charge;"
            "DROP TABLE fx_receipt_charge;"
            "ALTER TABLE fx_receipt DROP COLUMN charge;"
            "UPDATE store_modules SET version = 8 WHERE module = 'settle';");
    assert_int_equal(cg_store_open(path, &st, &err), CG_OK);
    cg_store_close(st);
    assert_int_equal(sql_value(path, "SELECT version FROM store_modules WHERE module = 'settle'"),
                     cg_store_schema_settle.nsteps);
    assert_true(key_is(path, 1, "camt:a%3Ab:123:R1"));
    assert_true(key_is(path, 2, "camt::4711:C:2025:08"));
    assert_true(key_is(path, 3, "camt::DE89370400440532013000:R3"));
    assert_true(key_is(path, 4, "camt::55 66:R4"));
    assert_true(key_is(path, 5, "camt::777:R5"));
    assert_true(key_is(path, 6, "camt::777\n  BANK X:R5"));
    assert_true(key_is(path, 7, "camt::888:R7"));
    assert_true(key_is(path, 8, "camt::888\n  BBAN:R7"));
    assert_true(key_is(path, 9, "payout::P 1"));
    assert_int_equal(sql_value(path, "SELECT count(*) FROM sqlite_temp_master"), 0);
    /* Receipts are immutable again. */
    assert_int_equal(sql_value(path, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                                     "AND name = 'fx_receipt_append_only_u'"),
                     1);
    free(path);
}

/*
 * settle/'s step 11 on a database at step 10 with receipts: the operator's charge records come,
 * the receipts stay as they were, and the database itself takes a record for a bank's debit
 * only, once: not for money in, a payout's refund, or a debit that is a charge from its import.
 */
static void test_settle_charge_step(void **state)
{
    struct fix *f = *state;
    struct cg_store *st = NULL;
    struct cg_err err;
    char *path = cg_fs_join(f->dir, "step10.db");

    assert_non_null(path);
    assert_int_equal(cg_store_open(path, &st, &err), CG_OK);
    cg_store_close(st);
    sql_run(path, "INSERT INTO fx_statement VALUES (1, '', 'mt940', 'm.sta', 'aa', 'M', 4, 'x');"
                  "INSERT INTO fx_statement VALUES (2, '', 'payout', 'p.csv', 'bb', NULL, 1, 'x');"
                  "INSERT INTO fx_receipt(id, statement_id, seller, entry_key, line, direction, "
                  "currency, gross, fee, net, booked_on, value_on, created_at, charge) VALUES "
                  "(1, 1, '', 'camt::A:R1', 1, 'out', 'USD', 600, 0, 600, 'd', 'd', 'x', 0),"
                  "(2, 1, '', 'camt::A:R2', 2, 'in', 'USD', 100, 0, 100, 'd', 'd', 'x', 0),"
                  "(3, 1, '', 'camt::A:R3', 3, 'out', 'USD', 1200, 0, 1200, 'd', 'd', 'x', 1),"
                  "(4, 2, '', 'payout::P 1 refund T1', 4, 'out', 'USD', 50, 0, 50, 'd', 'd', 'x', "
                  "0);" SETTLE_BEFORE_14 "ALTER TABLE fx_declared DROP COLUMN pay_refunded;"
                  "ALTER TABLE fx_declared DROP COLUMN pay_charge;"
                  "DROP TABLE fx_receipt_charge;"
                  "UPDATE store_modules SET version = 10 WHERE module = 'settle';");
    assert_int_equal(cg_store_open(path, &st, &err), CG_OK);
    assert_int_equal(sql_value(path, "SELECT version FROM store_modules WHERE module = 'settle'"),
                     cg_store_schema_settle.nsteps);
    assert_int_equal(sql_value(path, "SELECT count(*) FROM fx_receipt_charge"), 0);
    assert_int_equal(sql_value(path, "SELECT sum(charge) FROM fx_receipt"), 1);
    assert_int_equal(cg_store_fx_charge_mark(st, 2, "ann", "in", "2025-08-01", &err), CG_EREJECT);
    assert_string_equal(err.msg, "a charge must be a bank debit with nothing allocated");
    assert_int_equal(cg_store_fx_charge_mark(st, 3, "ann", "coded", "2025-08-01", &err),
                     CG_EREJECT);
    assert_int_equal(cg_store_fx_charge_mark(st, 4, "ann", "payout", "2025-08-01", &err),
                     CG_EREJECT);
    assert_int_equal(cg_store_fx_charge_mark(st, 1, "ann", "a fee", "2025-08-01", &err), CG_OK);
    assert_int_equal(cg_store_fx_charge_mark(st, 1, "bob", "again", "2025-08-02", &err), CG_EEXIST);
    cg_store_close(st);
    assert_int_equal(sql_value(path, "SELECT count(*) FROM fx_receipt_charge WHERE receipt_id = 1 "
                                     "AND marked_by = 'ann' AND reason = 'a fee' AND marked_on = "
                                     "'2025-08-01' AND recorded_at <> ''"),
                     1);
    assert_int_equal(sql_value(path, "SELECT count(*) FROM fx_receipt_charge"), 1);
    free(path);
}

/*
 * A database of orders 1001 and 1002 of seller shop put back in the form of settle/'s version
 * `version` by sql (run after the orders are inserted; it sets fx_declared's columns and rows),
 * then opened again, which migrates it, into *st. Returns its path (the caller's).
 */
static char *settle_orders_at(struct fix *f, const char *name, const char *sql, int version,
                              struct cg_store **st)
{
    struct cg_err err;
    char *path = cg_fs_join(f->dir, name);
    char back[128];

    assert_non_null(path);
    assert_int_equal(cg_store_open(path, st, &err), CG_OK);
    cg_store_close(*st);
    sql_run(path, "INSERT INTO orders(id, seller, order_no, hash, created_at, updated_at) VALUES "
                  "(1, 'shop', '1001', 'h', 'x', 'x'), (2, 'shop', '1002', 'h', 'x', 'x');");
    sql_run(path, SETTLE_BEFORE_14);
    sql_run(path, sql);
    snprintf(back, sizeof(back), "UPDATE store_modules SET version = %d WHERE module = 'settle';",
             version);
    sql_run(path, back);
    assert_int_equal(cg_store_open(path, st, &err), CG_OK);
    assert_int_equal(sql_value(path, "SELECT version FROM store_modules WHERE module = 'settle'"),
                     cg_store_schema_settle.nsteps);
    return path;
}

/*
 * settle/'s step 12 on a database at step 11 with declared orders: each keeps its declared amount
 * and payment number and has no charge (NULL: it expects the declared amount); recorded again,
 * an order takes the charge its file gives, and loses it when a later file gives no payment. The
 * database refuses a charge below zero.
 */
static void test_settle_pay_charge_step(void **state)
{
    struct fix *f = *state;
    struct cg_store *st = NULL;
    struct cg_fx_declared d;
    struct fx_seen seen;
    struct cg_err err;
    sqlite3 *db = NULL;
    char *path = settle_orders_at(
        f, "step11.db",
        "ALTER TABLE fx_declared DROP COLUMN pay_refunded;"
        "ALTER TABLE fx_declared DROP COLUMN pay_charge;"
        "INSERT INTO fx_declared(order_id, currency, amount, pay_no, updated_at) VALUES "
        "(1, 'USD', 5500, 'c1001.1', 'x'), (2, 'EUR', 9000, NULL, 'x');",
        11, &st);

    assert_int_equal(sql_value(path, "SELECT count(*) FROM fx_declared WHERE order_id = 1 AND "
                                     "currency = 'USD' AND amount = 5500 AND pay_no = 'c1001.1' "
                                     "AND pay_charge IS NULL"),
                     1);
    assert_int_equal(sql_value(path, "SELECT count(*) FROM fx_declared WHERE order_id = 2 AND "
                                     "amount = 9000 AND pay_charge IS NULL"),
                     1);
    memset(&seen, 0, sizeof(seen));
    seen.has_charge = true;
    assert_int_equal(cg_store_fx_order_find(st, "shop", "1001", fx_order_seen, &seen, &err), CG_OK);
    assert_int_equal(seen.declared, 5500);
    assert_false(seen.has_charge);
    /* 1001 again, its file giving the payment: charged 54.00 */
    memset(&d, 0, sizeof(d));
    d.order_id = 1;
    d.currency = "USD";
    d.amount = 5500;
    d.pay_no = "c1001.1";
    d.has_charge = true;
    d.charge = 5400;
    assert_int_equal(cg_store_tx(st, declare_one, &d, &err), CG_OK);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(cg_store_fx_order_find(st, "shop", "1001", fx_order_seen, &seen, &err), CG_OK);
    assert_int_equal(seen.declared, 5500);
    assert_true(seen.has_charge);
    assert_int_equal(seen.charge, 5400);
    /* a later file of 1001 without the payment: no charge any more */
    d.has_charge = false;
    assert_int_equal(cg_store_tx(st, declare_one, &d, &err), CG_OK);
    assert_int_equal(cg_store_fx_order_find(st, "shop", "1001", fx_order_seen, &seen, &err), CG_OK);
    assert_false(seen.has_charge);
    cg_store_close(st);
    assert_int_equal(sql_value(path, "SELECT count(*) FROM fx_declared WHERE pay_charge IS NULL"),
                     2);
    assert_int_equal(sql_value(path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE fx_declared SET pay_charge = -1 WHERE order_id = 2",
                                  NULL, NULL, NULL),
                     SQLITE_CONSTRAINT);
    sqlite3_close(db);
    free(path);
}

/*
 * settle/'s step 13 on a database at step 12 with declared amounts and charges: the shop's
 * refunded amount comes as 0 (each order expects its charge as before), a later file of the
 * order records it, again the same amount when read again (not added up), and none once a file
 * gives no payment; the database refuses a refund below 0 or above the charge.
 */
static void test_settle_pay_refunded_step(void **state)
{
    struct fix *f = *state;
    struct cg_store *st = NULL;
    struct cg_fx_declared d;
    struct fx_seen seen;
    struct cg_err err;
    sqlite3 *db = NULL;
    char *path = settle_orders_at(f, "step12.db",
                                  "ALTER TABLE fx_declared DROP COLUMN pay_refunded;"
                                  "INSERT INTO fx_declared(order_id, currency, amount, pay_no, "
                                  "pay_charge, updated_at) VALUES (1, 'USD', 2500, 'c1001.1', "
                                  "4500, 'x'), (2, 'EUR', 9000, NULL, NULL, 'x');",
                                  12, &st);

    assert_int_equal(sql_value(path, "SELECT count(*) FROM fx_declared WHERE order_id = 1 AND "
                                     "amount = 2500 AND pay_charge = 4500 AND pay_refunded = 0"),
                     1);
    assert_int_equal(sql_value(path, "SELECT count(*) FROM fx_declared WHERE order_id = 2 AND "
                                     "pay_charge IS NULL AND pay_refunded = 0"),
                     1);
    memset(&seen, 0, sizeof(seen));
    seen.refunded = -1;
    assert_int_equal(cg_store_fx_order_find(st, "shop", "1001", fx_order_seen, &seen, &err), CG_OK);
    assert_int_equal(seen.charge, 4500);
    assert_int_equal(seen.refunded, 0);
    /* 1001 again, the shop having refunded a gift card of 20.00, twice: 20.00 */
    memset(&d, 0, sizeof(d));
    d.order_id = 1;
    d.currency = "USD";
    d.amount = 2500;
    d.pay_no = "c1001.1";
    d.has_charge = true;
    d.charge = 4500;
    d.refunded = 2000;
    assert_int_equal(cg_store_tx(st, declare_one, &d, &err), CG_OK);
    assert_int_equal(cg_store_tx(st, declare_one, &d, &err), CG_OK);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(cg_store_fx_order_find(st, "shop", "1001", fx_order_seen, &seen, &err), CG_OK);
    assert_int_equal(seen.charge, 4500);
    assert_int_equal(seen.refunded, 2000);
    /* a later file without the payment: no charge, nothing refunded of it */
    d.has_charge = false;
    assert_int_equal(cg_store_tx(st, declare_one, &d, &err), CG_OK);
    assert_int_equal(cg_store_fx_order_find(st, "shop", "1001", fx_order_seen, &seen, &err), CG_OK);
    assert_false(seen.has_charge);
    assert_int_equal(seen.refunded, 0);
    cg_store_close(st);
    assert_int_equal(sql_value(path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE fx_declared SET pay_charge = 4500, pay_refunded = "
                                  "4501 WHERE order_id = 1",
                                  NULL, NULL, NULL),
                     SQLITE_CONSTRAINT);
    assert_int_equal(sqlite3_exec(db, "UPDATE fx_declared SET pay_refunded = -1 WHERE order_id = 2",
                                  NULL, NULL, NULL),
                     SQLITE_CONSTRAINT);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE fx_declared SET pay_charge = 4500, pay_refunded = "
                                  "4500 WHERE order_id = 1",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    free(path);
}

struct holdings {
    int n;
    char text[256];
};

/* Each holding as "CUR received paid_out settled cny settlements;". */
static int holding_seen(void *vctx, const struct cg_fx_holding *h)
{
    struct holdings *c = vctx;
    size_t len = strlen(c->text);

    c->n++;
    snprintf(c->text + len, sizeof(c->text) - len, "%s %lld %lld %lld %lld %ld;", h->currency,
             (long long)h->received, (long long)h->paid_out, (long long)h->settled,
             (long long)h->cny, h->settlements);
    return 0;
}

static const char *holdings_text(struct cg_store *st, const char *currency)
{
    static struct holdings c;
    struct cg_err err;

    memset(&c, 0, sizeof(c));
    assert_int_equal(cg_store_fx_holdings_each(st, currency, holding_seen, &c, &err), CG_OK);
    return c.text;
}

/*
 * settle/'s step 14 on a database at step 13 with receipts and settlements: the balance of each
 * currency is seeded from them, USD received 100.00 + 50.00, paid out 30.00, settled 70.00 +
 * 40.00 (CNY 500.00 + 280.00): 10.00 held; EUR 20.00 received and settled (CNY 150.00); GBP
 * 5.00 in and out, nothing settled. The database then refuses a settlement of one cent more than
 * is held, takes one of all that is held, and keeps the balance with each receipt and
 * settlement written, changed or removed by hand.
 */
static void test_settle_holding_step(void **state)
{
    struct fix *f = *state;
    struct cg_store *st = NULL;
    struct cg_err err;
    sqlite3 *db = NULL;
    char *path = settle_orders_at(
        f, "step13.db",
        "INSERT INTO fx_statement VALUES (1, '', 'csv', 'c.csv', 'aa', NULL, 6, 'x');"
        "INSERT INTO fx_receipt(id, statement_id, seller, entry_key, line, direction, currency, "
        "gross, fee, net, booked_on, value_on, created_at) VALUES "
        "(1, 1, '', 'csv::R1', 2, 'in', 'USD', 10300, 300, 10000, 'd', 'd', 'x'),"
        "(2, 1, '', 'csv::R2', 3, 'in', 'USD', 5000, 0, 5000, 'd', 'd', 'x'),"
        "(3, 1, '', 'csv::R3', 4, 'out', 'USD', 3000, 0, 3000, 'd', 'd', 'x'),"
        "(4, 1, '', 'csv::R4', 5, 'in', 'EUR', 2000, 0, 2000, 'd', 'd', 'x'),"
        "(5, 1, '', 'csv::R5', 6, 'in', 'GBP', 500, 0, 500, 'd', 'd', 'x'),"
        "(6, 1, '', 'csv::R6', 7, 'out', 'GBP', 500, 0, 500, 'd', 'd', 'x');"
        "INSERT INTO fx_settlement(id, currency, amount, cny, rate, settled_on, reference, "
        "created_at) VALUES (1, 'USD', 7000, 50000, '7.14286', 'd', 'S1', 'x'),"
        "(2, 'USD', 4000, 28000, '7', 'd', 'S2', 'x'), (3, 'EUR', 2000, 15000, '7.5', 'd', NULL, "
        "'x');",
        13, &st);

    assert_int_equal(sql_value(path, "SELECT count(*) FROM fx_holding"), 3);
    assert_string_equal(holdings_text(st, NULL), "EUR 2000 0 2000 15000 1;GBP 500 500 0 0 0;"
                                                 "USD 15000 3000 11000 78000 2;");
    assert_string_equal(holdings_text(st, "USD"), "USD 15000 3000 11000 78000 2;");
    assert_string_equal(holdings_text(st, "JPY"), "");
    /* 10.00 held: 10.01 is refused, 10.00 taken; nothing of EUR and GBP, or of JPY never held */
    assert_int_equal(
        cg_store_fx_settlement_add(st, "USD", 1001, 7150, "7.15", "2025-09-01", "S3", &err),
        CG_EREJECT);
    assert_string_equal(err.msg, "settlement exceeds the holding");
    assert_int_equal(cg_store_fx_settlement_add(st, "EUR", 1, 8, "7.5", "2025-09-01", NULL, &err),
                     CG_EREJECT);
    assert_int_equal(cg_store_fx_settlement_add(st, "GBP", 1, 9, "9", "2025-09-01", NULL, &err),
                     CG_EREJECT);
    assert_int_equal(cg_store_fx_settlement_add(st, "JPY", 1, 1, "0.05", "2025-09-01", NULL, &err),
                     CG_EREJECT);
    assert_int_equal(
        cg_store_fx_settlement_add(st, "USD", 1000, 7150, "7.15", "2025-09-01", "S3", &err), CG_OK);
    assert_string_equal(holdings_text(st, "USD"), "USD 15000 3000 12000 85150 3;");
    assert_int_equal(cg_store_fx_settlement_add(st, "USD", 1, 7, "7.15", "2025-09-01", NULL, &err),
                     CG_EREJECT);
    cg_store_close(st);
    /* written by hand: a receipt of JPY 500 in, settlement S1 made 60.00 at CNY 420.00, then S2
     * removed; receipt 6 removed with its guard lifted */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "INSERT INTO fx_receipt(id, statement_id, seller, entry_key, line, "
                     "direction, currency, gross, fee, net, booked_on, value_on, created_at) "
                     "VALUES (7, 1, '', 'csv::R7', 8, 'in', 'JPY', 500, 0, 500, 'd', 'd', 'x');"
                     "UPDATE fx_settlement SET amount = 6000, cny = 42000 WHERE reference = 'S1';"
                     "DELETE FROM fx_settlement WHERE reference = 'S2';"
                     "DROP TRIGGER fx_receipt_append_only_d;"
                     "DELETE FROM fx_receipt WHERE id = 6;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(cg_store_open(path, &st, &err), CG_OK);
    assert_string_equal(holdings_text(st, NULL), "EUR 2000 0 2000 15000 1;GBP 500 0 0 0 0;"
                                                 "JPY 500 0 0 0 0;USD 15000 3000 7000 49150 2;");
    /* USD settled: S1 60.00 + S3 10.00, CNY 420.00 + 71.50; 150.00 - 30.00 - 70.00 = 50.00 held */
    assert_int_equal(cg_store_fx_settlement_add(st, "USD", 5001, 1, "7", "2025-09-02", NULL, &err),
                     CG_EREJECT);
    assert_int_equal(cg_store_fx_settlement_add(st, "USD", 5000, 1, "7", "2025-09-02", NULL, &err),
                     CG_OK);
    cg_store_close(st);
    free(path);
}

/*
 * settle/'s step 16 on a database at step 15 with a payout's arrival: the arrival keeps no amount
 * (its credit's net stands for it) and what is held is unchanged; taken back, the undoing keeps
 * it as it was and what is held gets the credit's net back; an arrival of another amount than
 * its credit takes off what the payout transferred; an arrival is removed only by its undoing.
 */
static void test_settle_arrival_step(void **state)
{
    struct fix *f = *state;
    struct cg_store *st = NULL;
    struct cg_fx_transfer t;
    struct cg_err err;
    char *path = cg_fs_join(f->dir, "step15.db");

    assert_non_null(path);
    assert_int_equal(cg_store_open(path, &st, &err), CG_OK);
    cg_store_close(st);
    sql_run(
        path,
        "DROP TABLE fx_transfer_undone;"
        "DROP TRIGGER fx_transfer_undo_only;"
        "DROP TRIGGER fx_holding_transfer_i;"
        "DROP TRIGGER fx_holding_transfer_d;"
        "ALTER TABLE fx_transfer DROP COLUMN transferred;"
        "ALTER TABLE fx_transfer DROP COLUMN recorded_by;"
        "ALTER TABLE fx_transfer DROP COLUMN recorded_on;"
        "ALTER TABLE fx_transfer DROP COLUMN note;"
        "CREATE TRIGGER fx_transfer_append_only_d BEFORE DELETE ON fx_transfer"
        "  BEGIN SELECT RAISE(ABORT, 'payout arrivals are immutable'); END;"
        "CREATE TRIGGER fx_holding_transfer_i AFTER INSERT ON fx_transfer BEGIN"
        "  UPDATE fx_holding SET received = received"
        "    - (SELECT net FROM fx_receipt WHERE id = NEW.bank_receipt_id)"
        "  WHERE currency = (SELECT currency FROM fx_receipt WHERE id = NEW.bank_receipt_id);"
        "END;"
        "INSERT INTO fx_statement VALUES (1, 'acme', 'payout', 'p.csv', 'aa', NULL, 1, 'x');"
        "INSERT INTO fx_statement VALUES (2, '', 'mt940', 'b.sta', 'bb', 'ST', 2, 'x');"
        "INSERT INTO fx_receipt(id, statement_id, seller, entry_key, line, direction, currency, "
        "gross, fee, net, booked_on, value_on, created_at) VALUES "
        "(1, 1, 'acme', 'payout:acme::88001', 2, 'in', 'USD', 103000, 3000, 100000, 'd', "
        "'2026-11-28', 'x'),"
        "(2, 2, '', 'camt::A:HK1', 3, 'in', 'USD', 100000, 0, 100000, 'd', '2026-12-01', 'x'),"
        "(3, 1, 'acme', 'payout:acme::88002', 3, 'in', 'USD', 50000, 0, 50000, 'd', "
        "'2026-11-29', 'x'),"
        "(4, 2, '', 'camt::A:HK2', 4, 'in', 'USD', 48500, 0, 48500, 'd', '2026-12-02', 'x');"
        "INSERT INTO fx_transfer VALUES (2, 'acme', '88001', 'auto:payout id', 't15');"
        "UPDATE store_modules SET version = 15 WHERE module = 'settle';");
    assert_int_equal(cg_store_open(path, &st, &err), CG_OK);
    assert_int_equal(sql_value(path, "SELECT version FROM store_modules WHERE module = 'settle'"),
                     cg_store_schema_settle.nsteps);
    assert_int_equal(sql_value(path, "SELECT count(*) FROM fx_transfer WHERE bank_receipt_id = 2 "
                                     "AND transferred IS NULL AND recorded_by IS NULL"),
                     1);
    /* 1000.00 + 1000.00 + 500.00 + 485.00 in, the arrival's 1000.00 off */
    assert_string_equal(holdings_text(st, "USD"), "USD 198500 0 0 0 0;");
    assert_int_equal(cg_store_fx_transfer_undo(st, 2, "ann", "2026-12-10", "wrong", &err), CG_OK);
    assert_string_equal(holdings_text(st, "USD"), "USD 298500 0 0 0 0;");
    assert_int_equal(sql_value(path, "SELECT count(*) FROM fx_transfer_undone WHERE "
                                     "bank_receipt_id = 2 AND seller = 'acme' AND payout = '88001' "
                                     "AND cause = 'auto:payout id' AND transferred IS NULL AND "
                                     "arrived_at = 't15' AND undone_by = 'ann' AND undone_on = "
                                     "'2026-12-10' AND note = 'wrong'"),
                     1);
    assert_int_equal(sql_value(path, "SELECT count(*) FROM fx_transfer"), 0);
    assert_int_equal(cg_store_fx_transfer_undo(st, 2, "ann", "2026-12-10", NULL, &err),
                     CG_ENOTFOUND);
    /* payout 88002 transferred 500.00, credited 485.00: 500.00 taken off, 485.00 held of it */
    memset(&t, 0, sizeof(t));
    t.receipt_id = 4;
    t.seller = "acme";
    t.payout = "88002";
    t.cause = "manual";
    t.transferred = 50000;
    t.by = "ann";
    t.on = "2026-12-10";
    assert_int_equal(cg_store_fx_transfer_add(st, &t, &err), CG_OK);
    assert_string_equal(holdings_text(st, "USD"), "USD 248500 0 0 0 0;");
    cg_store_close(st);
    assert_int_equal(sql_value(path, "SELECT count(*) FROM fx_transfer WHERE bank_receipt_id = 4 "
                                     "AND transferred = 50000 AND recorded_by = 'ann' AND "
                                     "recorded_on = '2026-12-10' AND note IS NULL"),
                     1);
    /* removed without its undoing: refused */
    {
        sqlite3 *db = NULL;
        char *msg = NULL;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_not_equal(sqlite3_exec(db, "DELETE FROM fx_transfer", NULL, NULL, &msg),
                             SQLITE_OK);
        assert_string_equal(msg, "a payout arrival is removed only when its undoing is recorded");
        sqlite3_free(msg);
        sqlite3_close(db);
    }
    free(path);
}

/* ------------------------------------------------------------------ held and cancelled orders */

struct cancels {
    int n;
    char status[16], reason[64], file[64], order[32];
    long line;
    bool done;
};

static int cancel_seen(const struct cg_store_cancel *k, void *vctx)
{
    struct cancels *c = vctx;

    c->n++;
    snprintf(c->status, sizeof(c->status), "%s", k->status);
    snprintf(c->reason, sizeof(c->reason), "%s", k->reason);
    snprintf(c->file, sizeof(c->file), "%s", k->file_name);
    snprintf(c->order, sizeof(c->order), "%s%s%s", k->seller, k->seller[0] ? "/" : "", k->order_no);
    c->line = k->line;
    c->done = k->done_at != NULL;
    return CG_OK;
}

static int file_name_seen(const struct cg_store_file *file, void *vctx)
{
    (*(int *)vctx)++;
    (void)file;
    return CG_OK;
}

/* A declared order shown cancelled later is recorded once; the first record stays. */
static void test_cancel_needed(void **state)
{
    struct fix *f = *state;
    struct cg_store_file file;
    struct cancels c;
    struct cg_err err;
    char hash[65];
    int64_t oid = 0, other = 0;
    long n = -1;

    memset(&file, 0, sizeof(file));
    assert_int_equal(cg_store_files_named(f->st, NULL, "orders.csv", file_seen, &file, &err),
                     CG_OK);
    assert_int_equal(cg_store_order_find(f->st, "acme", "SO-0000001", &oid, hash, &err), CG_OK);
    assert_int_equal(cg_store_order_find(f->st, "acme", "SO-0000002", &other, hash, &err), CG_OK);
    memset(&c, 0, sizeof(c));
    assert_int_equal(cg_store_order_cancel(f->st, oid, cancel_seen, &c, &err), CG_ENOTFOUND);
    assert_int_equal(c.n, 0);
    assert_int_equal(
        cg_store_cancel_add(f->st, oid, file.id, 7, "cancelled", "Cancelled At set", &err), CG_OK);
    /* Seen again, now as skipped: the first record is kept. */
    assert_int_equal(cg_store_cancel_add(f->st, oid, file.id, 9, "skipped", "refunded", &err),
                     CG_OK);
    assert_int_equal(cg_store_order_cancel(f->st, oid, cancel_seen, &c, &err), CG_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.status, "cancelled");
    assert_string_equal(c.reason, "Cancelled At set");
    assert_string_equal(c.file, "orders.csv");
    assert_int_equal(c.line, 7);
    assert_false(c.done);
    /* Without the file that showed it. */
    assert_int_equal(cg_store_cancel_add(f->st, other, 0, 3, "skipped", "refunded", &err), CG_OK);
    memset(&c, 0, sizeof(c));
    assert_int_equal(cg_store_cancels_open(f->st, cancel_seen, &c, &err), CG_OK);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.order, "acme/SO-0000002");
    assert_string_equal(c.file, "");
    assert_int_equal(cg_store_cancels_open_count(f->st, &n, &err), CG_OK);
    assert_int_equal(n, 2);
}

static long sql_long(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long n;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/*
 * The previous release's files list no orders (their counts stand for them); a file taken now
 * does, each order once per kind however often it is noted; a resumed old file is read again
 * from the start and lists its orders from then on.
 */
static void test_file_orders(void **state)
{
    struct fix *f = *state;
    struct cg_err err;
    int64_t id = 0;

    assert_true(sql_long(f->path, "SELECT count(*) FROM input_files") > 0);
    assert_int_equal(sql_long(f->path, "SELECT count(*) FROM input_files WHERE orders_listed <> 0"),
                     0);
    assert_int_equal(
        cg_store_file_add(f->st, "acme", "n.csv", "n.csv", 10, "cd", 7, "active", NULL, &id, &err),
        CG_OK);
    assert_int_equal(cg_store_file_order_add(f->st, id, "acme", "A-1", 0, &err), CG_OK);
    assert_int_equal(cg_store_file_order_add(f->st, id, "acme", "A-1", 0, &err), CG_OK);
    assert_int_equal(cg_store_file_order_add(f->st, id, "acme", "A-2", 1 /* waiting */, &err),
                     CG_OK);
    assert_int_equal(sql_long(f->path, "SELECT count(*) FROM file_orders WHERE held = 0"), 1);
    assert_int_equal(sql_long(f->path, "SELECT count(*) FROM file_orders WHERE held = 1"), 1);
    assert_int_equal(sql_long(f->path, "SELECT count(*) FROM input_files WHERE orders_listed = 1"),
                     1);
    assert_int_equal(cg_store_file_reset_counts(f->st, 1, &err), CG_OK);
    assert_int_equal(sql_long(f->path, "SELECT orders_listed FROM input_files WHERE id = 1"), 1);
}

/* Held counts add up per file and a resumed file starts them from zero. */
static void test_held_counts(void **state)
{
    struct fix *f = *state;
    struct cg_err err;
    int64_t id = 0;
    long w = -1, sk = -1, c = -1;

    assert_int_equal(cg_store_file_add(f->st, "acme", "shop.csv", "shop.csv", 10, "ab", 5, "active",
                                       NULL, &id, &err),
                     CG_OK);
    assert_int_equal(cg_store_file_count_held(f->st, id, 2, 1, 0, &err), CG_OK);
    assert_int_equal(cg_store_file_count_held(f->st, id, 1, 0, 3, &err), CG_OK);
    assert_int_equal(cg_store_file_held(f->st, id, &w, &sk, &c, &err), CG_OK);
    assert_true(w == 3 && sk == 1 && c == 3);
    assert_int_equal(cg_store_file_reset_counts(f->st, id, &err), CG_OK);
    assert_int_equal(cg_store_file_held(f->st, id, &w, &sk, &c, &err), CG_OK);
    assert_true(w == 0 && sk == 0 && c == 0);
    assert_int_equal(cg_store_file_held(f->st, id + 1000, &w, &sk, &c, &err), CG_ENOTFOUND);
}

/*
 * A copy of a file done with rejected orders is read again, one done without is a duplicate;
 * a file is found by name for one seller or for any.
 */
static void test_same_content_and_seller(void **state)
{
    struct fix *f = *state;
    struct cg_err err;
    int64_t a = 0, b = 0;
    char out[256];
    int n = 0;

    assert_int_equal(cg_store_file_add(f->st, "acme", "a.csv", "a.csv", 10, "cafe", 11, "active",
                                       NULL, &a, &err),
                     CG_OK);
    assert_int_equal(cg_store_file_count(f->st, a, 1, 0, 0, 1, &err), CG_OK);
    assert_int_equal(cg_store_file_finish(f->st, a, "done", NULL, &err), CG_OK);
    assert_int_equal(cg_store_file_same_content(f->st, "acme", "cafe", out, sizeof(out), &err),
                     CG_ENOTFOUND);
    assert_int_equal(
        cg_store_file_add(f->st, "jl", "a.csv", "a.csv", 10, "cafe", 12, "active", NULL, &b, &err),
        CG_OK);
    assert_int_equal(cg_store_file_count(f->st, b, 2, 0, 0, 0, &err), CG_OK);
    assert_int_equal(cg_store_file_finish(f->st, b, "done", NULL, &err), CG_OK);
    assert_int_equal(cg_store_file_same_content(f->st, "jl", "cafe", out, sizeof(out), &err),
                     CG_OK);
    assert_non_null(strstr(out, "a.csv"));
    assert_int_equal(cg_store_files_named(f->st, NULL, "a.csv", file_name_seen, &n, &err), CG_OK);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(cg_store_files_named(f->st, "jl", "a.csv", file_name_seen, &n, &err), CG_OK);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(cg_store_files_named(f->st, "", "a.csv", file_name_seen, &n, &err), CG_OK);
    assert_int_equal(n, 0);
}

/* ------------------------------------------------------------------ a module's own steps */

static const char *const ledger_steps[] = {
    "CREATE TABLE ledger (id INTEGER PRIMARY KEY, fen INTEGER NOT NULL);",
    "ALTER TABLE ledger ADD COLUMN currency TEXT NOT NULL DEFAULT 'CNY';",
};

static void test_module_steps(void **state)
{
    struct fix *f = *state;
    const struct cg_store_schema ledger1 = {"ledger", ledger_steps, 1};
    const struct cg_store_schema ledger2 = {"ledger", ledger_steps, 2};
    const struct cg_store_schema *list[2] = {&cg_store_schema_spool, &ledger1};
    struct cg_store *st = NULL;
    struct cg_err err;
    int ver = -1;

    cg_store_close(f->st);
    f->st = NULL;
    /* The module's first step, added to a database that had only the spool's tables. */
    assert_int_equal(cg_store_open_with(f->path, list, 2, &st, &err), CG_OK);
    assert_int_equal(cg_store_module_version(st, "ledger", &ver, &err), CG_OK);
    assert_int_equal(ver, 1);
    cg_store_close(st);
    st = NULL;
    /* The module grown to two steps: only the second runs. */
    list[1] = &ledger2;
    assert_int_equal(cg_store_open_with(f->path, list, 2, &st, &err), CG_OK);
    assert_int_equal(cg_store_module_version(st, "ledger", &ver, &err), CG_OK);
    assert_int_equal(ver, 2);
    cg_store_close(st);
    st = NULL;
    /* A program that knows only step 1 of the module refuses the newer database. */
    list[1] = &ledger1;
    cg_err_clear(&err);
    assert_int_equal(cg_store_open_with(f->path, list, 2, &st, &err), CG_EVERSION);
    assert_non_null(strstr(err.msg, "ledger"));
    assert_null(st);
    /* The spool's version is unchanged and the registered list still opens the database. */
    assert_int_equal(cg_store_open(f->path, &f->st, &err), CG_OK);
    assert_int_equal(cg_store_module_version(f->st, "cebgate", &ver, &err), CG_OK);
    assert_int_equal(ver, cg_store_schema_spool.nsteps);
    assert_int_equal(cg_store_module_version(f->st, "ledger", &ver, &err), CG_OK);
    assert_int_equal(ver, 2);
}

/* ------------------------------------------------------------------ injected failures */

static int any_doc(const struct cg_store_doc *d, void *ctx)
{
    (void)d;
    (void)ctx;
    return CG_OK;
}

static int any_msg(const struct cg_store_msg *m, void *ctx)
{
    (void)m;
    (void)ctx;
    return CG_OK;
}

static int any_order(const struct cg_store_order *o, void *ctx)
{
    (void)o;
    (void)ctx;
    return CG_OK;
}

static int any_file(const struct cg_store_file *file, void *ctx)
{
    (void)file;
    (void)ctx;
    return CG_OK;
}

static int any_rejection(long line, const char *order_no, const char *reason, void *ctx)
{
    (void)line;
    (void)order_no;
    (void)reason;
    (void)ctx;
    return CG_OK;
}

static int any_item(const struct cg_store_item *it, void *ctx)
{
    (void)it;
    (void)ctx;
    return CG_OK;
}

/* Each decision read, with the SQL fragment that identifies its statement. */
static int read_file_counts(struct cg_store *st, struct cg_err *err)
{
    long a, b;
    return cg_store_file_counts(st, 1, &a, &b, err);
}

static int read_receipt_seen(struct cg_store *st, struct cg_err *err)
{
    bool seen;
    return cg_store_receipt_seen(st, 1, "800", "20261130000000", &seen, err);
}

static int read_receipt_file(struct cg_store *st, struct cg_err *err)
{
    bool known;
    return cg_store_receipt_file_known(st, "0000", &known, err);
}

static int read_receipt_target(struct cg_store *st, struct cg_err *err)
{
    struct cg_store_target t;
    return cg_store_receipt_target(st, "no-such-guid", &t, err);
}

static int read_order(struct cg_store *st, struct cg_err *err)
{
    int64_t id;
    char hash[65];
    return cg_store_order_find(st, "acme", "SO-0000001", &id, hash, err);
}

static int read_docs(struct cg_store *st, struct cg_err *err)
{
    return cg_store_order_docs(st, 1, any_doc, NULL, err);
}

static int read_resumable(struct cg_store *st, struct cg_err *err)
{
    int64_t id;
    char out[16];
    struct timespec changed = {946684800, 0}; /* 2000-01-01 */

    return cg_store_file_resumable(st, "acme", "orders.csv", "00", 1, &changed, &id, out,
                                   sizeof(out), err);
}

static int read_same_content(struct cg_store *st, struct cg_err *err)
{
    char out[128];
    return cg_store_file_same_content(st, "acme", "00", out, sizeof(out), err);
}

static int read_staged(struct cg_store *st, struct cg_err *err)
{
    return cg_store_msgs_staged(st, any_msg, NULL, err);
}

static int read_queued(struct cg_store *st, struct cg_err *err)
{
    int64_t after = 0;
    return cg_store_msgs_queued(st, &after, 10, any_msg, NULL, err);
}

static int read_received_unsent(struct cg_store *st, struct cg_err *err)
{
    return cg_store_msgs_received_unsent(st, any_msg, NULL, err);
}

static int read_queued_count(struct cg_store *st, struct cg_err *err)
{
    long n;
    return cg_store_msgs_queued_count(st, &n, err);
}

static int read_status_order(struct cg_store *st, struct cg_err *err)
{
    return cg_store_orders_named(st, "SO-0000001", any_order, NULL, err);
}

static int read_status_file(struct cg_store *st, struct cg_err *err)
{
    return cg_store_files_named(st, NULL, "orders.csv", any_file, NULL, err);
}

static int read_file_rejections(struct cg_store *st, struct cg_err *err)
{
    return cg_store_file_rejections(st, 1, 20, any_rejection, NULL, err);
}

static int read_pending(struct cg_store *st, struct cg_err *err)
{
    return cg_store_list(st, CG_STORE_LIST_PENDING, any_item, NULL, err);
}

static int read_file_held(struct cg_store *st, struct cg_err *err)
{
    long w, s, c;
    return cg_store_file_held(st, 1, &w, &s, &c, err);
}

static int any_cancel(const struct cg_store_cancel *k, void *ctx)
{
    (void)k;
    (void)ctx;
    return CG_OK;
}

static int read_order_cancel(struct cg_store *st, struct cg_err *err)
{
    return cg_store_order_cancel(st, 1, any_cancel, NULL, err);
}

static int read_cancels_open(struct cg_store *st, struct cg_err *err)
{
    return cg_store_cancels_open(st, any_cancel, NULL, err);
}

static int read_cancels_count(struct cg_store *st, struct cg_err *err)
{
    long n;
    return cg_store_cancels_open_count(st, &n, err);
}

static const struct {
    const char *what;
    const char *sql; /* fragment of its statement */
    int (*read)(struct cg_store *st, struct cg_err *err);
    int plain; /* its result without a fault: CG_OK or CG_ENOTFOUND */
} reads[] = {
    {"count of a file's orders", "orders_rejected FROM input_files", read_file_counts, CG_OK},
    {"receipt already seen", "FROM receipts WHERE message_id", read_receipt_seen, CG_OK},
    {"receipt file already applied", "FROM receipt_files", read_receipt_file, CG_OK},
    {"message of a receipt", "FROM messages m JOIN documents", read_receipt_target, CG_ENOTFOUND},
    {"order look-up", "FROM orders WHERE seller", read_order, CG_OK},
    {"documents of an order", "FROM documents d WHERE order_id", read_docs, CG_OK},
    {"file being resumed", "AND inode", read_resumable, CG_ENOTFOUND},
    {"file with the same content", "outcome = 'done'", read_same_content, CG_ENOTFOUND},
    {"staged messages (recovery)", "WHERE staged = 1", read_staged, CG_OK},
    {"queued messages", "AND id >", read_queued, CG_OK},
    {"count of queued messages", "count(*) FROM messages WHERE state", read_queued_count, CG_OK},
    {"answered but not recorded sent", "sent_at IS NULL AND EXISTS", read_received_unsent, CG_OK},
    {"status of an order", "LEFT JOIN input_files", read_status_order, CG_OK},
    {"status of a file", "OR active_name", read_status_file, CG_OK},
    {"rejections of a file", "FROM rejections WHERE input_file", read_file_rejections, CG_OK},
    {"pending list", "'returned', 'rejected'", read_pending, CG_OK},
    {"held orders of a file", "orders_cancelled FROM input_files WHERE id", read_file_held, CG_OK},
    {"cancellation of an order", "WHERE c.order_id", read_order_cancel, CG_ENOTFOUND},
    {"cancellations needed", "c.done_at IS NULL ORDER BY", read_cancels_open, CG_OK},
    {"count of cancellations needed", "count(*) FROM cancel_needed", read_cancels_count, CG_OK},
};

static void test_read_faults(void **state)
{
    struct fix *f = *state;
    struct cg_err err;
    size_t i;

    for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
        int rc;
        /* Without a fault: the plain answer, found or not. */
        no_faults();
        cg_err_clear(&err);
        rc = reads[i].read(f->st, &err);
        if (rc != reads[i].plain)
            fail_msg("%s: %d without a fault, expected %d", reads[i].what, rc, reads[i].plain);
        /* An I/O error in the middle of the read. */
        inject(reads[i].sql, SQLITE_IOERR_READ, false);
        cg_err_clear(&err);
        rc = reads[i].read(f->st, &err);
        if (injected == 0)
            fail_msg("%s: fault not reached (SQL fragment '%s')", reads[i].what, reads[i].sql);
        if (rc != CG_EDB)
            fail_msg("%s: SQLITE_IOERR gave %d (%s), expected CG_EDB", reads[i].what, rc,
                     cg_strerror(rc));
        assert_true(err.code == CG_EDB && err.msg[0] != '\0');
        /* Another process holding the database past the timeout. */
        inject(reads[i].sql, SQLITE_BUSY, false);
        rc = reads[i].read(f->st, &err);
        if (rc != CG_EBUSY)
            fail_msg("%s: SQLITE_BUSY gave %d, expected CG_EBUSY", reads[i].what, rc);
        /* The statement failing to prepare (a damaged schema, out of memory). */
        no_faults();
        cg_store_close(f->st);
        f->st = NULL;
        assert_int_equal(cg_store_open(f->path, &f->st, &err), CG_OK);
        inject(reads[i].sql, SQLITE_CORRUPT, true);
        rc = reads[i].read(f->st, &err);
        if (rc != CG_EDB)
            fail_msg("%s: failed prepare gave %d, expected CG_EDB", reads[i].what, rc);
        /* The same read works again once the fault is gone. */
        no_faults();
        rc = reads[i].read(f->st, &err);
        if (rc != reads[i].plain)
            fail_msg("%s: %d after the fault, expected %d", reads[i].what, rc, reads[i].plain);
    }
    /* At the command line a database error is a temporary failure. */
    assert_int_equal(cg_rc_exit_code(CG_EDB), 75);
    assert_int_equal(cg_rc_exit_code(CG_EBUSY), 75);
}

/* The one classification: what is temporary keeps the input, the rest may reject it. */
static void test_classification(void **state)
{
    static const int temporary[] = {CG_EIO, CG_ENOMEM, CG_ERETRY, CG_EBUSY, CG_EDB, CG_ENET};
    static const int input[] = {CG_EREJECT, CG_EPARSE,  CG_ESCHEMA, CG_ERANGE,  CG_ESIG,
                                CG_EINVAL,  CG_ECONFIG, CG_ECRYPTO, CG_EVERSION};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(temporary) / sizeof(temporary[0]); i++) {
        assert_true(cg_rc_temporary(temporary[i]));
        assert_int_equal(cg_rc_exit_code(temporary[i]), 75);
    }
    for (i = 0; i < sizeof(input) / sizeof(input[0]); i++) {
        assert_false(cg_rc_temporary(input[i]));
        assert_int_not_equal(cg_rc_exit_code(input[i]), 75);
    }
    assert_false(cg_rc_temporary(CG_OK));
}

/* ------------------------------------------------------------------ failing commits */

static int add_order(struct cg_store *st, void *ctx, struct cg_err *err)
{
    int64_t id = 0;
    return cg_store_order_put(st, "acme", (const char *)ctx, "h", 1, 1, &id, err);
}

static void commit_fails(struct fix *f, int sqlite_rc, int want)
{
    char no[] = "SO-NEW";
    struct cg_err err;
    int64_t id;
    char hash[65];

    cg_err_clear(&err);
    fail_commit_rc = sqlite_rc;
    injected = 0;
    assert_int_equal(cg_store_tx(f->st, add_order, no, &err), want);
    assert_int_equal(injected, 1);
    assert_true(err.msg[0] != '\0');
    fail_commit_rc = 0;
    /* Rolled back: the order is not there, and the next unit of work goes through. */
    assert_int_equal(cg_store_order_find(f->st, "acme", "SO-NEW", &id, hash, &err), CG_ENOTFOUND);
    assert_int_equal(cg_store_tx(f->st, add_order, no, &err), CG_OK);
    assert_int_equal(cg_store_order_find(f->st, "acme", "SO-NEW", &id, hash, &err), CG_OK);
    assert_string_equal(hash, "h");
}

static void test_commit_busy(void **state)
{
    commit_fails(*state, SQLITE_BUSY, CG_EBUSY);
}

static void test_commit_ioerr(void **state)
{
    commit_fails(*state, SQLITE_IOERR_FSYNC, CG_EDB);
}

/* A write failing inside the unit of work rolls back what it wrote before. */
static int two_orders(struct cg_store *st, void *ctx, struct cg_err *err)
{
    int64_t id = 0;
    int rc;

    (void)ctx;
    rc = cg_store_order_put(st, "acme", "SO-A", "h", 1, 1, &id, err);
    if (rc == CG_OK)
        rc = cg_store_doc_put(st, id, 303, "SO-A", 1, "G-A", 1, "c", NULL, NULL, &id, err);
    return rc;
}

static void test_write_fault_rolls_back(void **state)
{
    struct fix *f = *state;
    struct cg_err err;
    int64_t id;
    char hash[65];

    inject("INSERT INTO documents", SQLITE_FULL, false);
    assert_int_equal(cg_store_tx(f->st, two_orders, NULL, &err), CG_EDB);
    assert_int_equal(injected, 1);
    no_faults();
    assert_int_equal(cg_store_order_find(f->st, "acme", "SO-A", &id, hash, &err), CG_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_previous_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_number_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_needed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_held_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_orders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_content_and_seller, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settle_added, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settle_mt940_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settle_othr_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settle_charge_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settle_pay_charge_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settle_pay_refunded_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settle_holding_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settle_arrival_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fresh_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_lists_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waybill_holder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_module_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_ioerr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_fault_rolls_back, setup, teardown),
        cmocka_unit_test(test_classification),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
