/*
 * store.c - the store object: open with every module's migrations, units of work, and the
 * statement cache the entity functions share.
 *
 * A struct cg_store owns its connection and prepared statements; it is used by one thread at a
 * time. Every SQLite failure becomes CG_EBUSY (busy or locked) or CG_EDB with SQLite's text in
 * struct cg_err; "no row" is reported by the entity functions as CG_ENOTFOUND, never a failure.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "store/store-int.h"

/* SQLite's own log (corruption notices, recoveries, misuse) goes into ours at debug level. */
static void sqlite_log(void *ctx, int code, const char *msg)
{
    (void)ctx;
    cg_debug("sqlite: (%d) %s", code, msg);
}

void cg_store_lib_init(void)
{
    /* Must come before SQLite is used for anything. */
    sqlite3_config(SQLITE_CONFIG_LOG, sqlite_log, NULL);
}

const char *cg_store_lib_version(void)
{
    return sqlite3_libversion();
}

int cg_store_open_with(const char *path, const struct cg_store_schema *const *schemas, int n,
                       struct cg_store **out, struct cg_err *err)
{
    struct cg_db_schema *copy = NULL;
    const struct cg_db_schema **list = NULL;
    struct cg_store *st = NULL;
    int rc = CG_OK;
    int k;

    if (n < 1)
        return CG_ERR_SET(err, CG_EINVAL, "no schema to open %s with", path);
    st = calloc(1, sizeof(*st));
    copy = calloc((size_t)n, sizeof(*copy));
    list = calloc((size_t)n, sizeof(*list));
    if (st == NULL || copy == NULL || list == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    for (k = 0; k < n; k++) {
        copy[k].name = schemas[k]->name;
        copy[k].steps = schemas[k]->steps;
        copy[k].nsteps = schemas[k]->nsteps;
        list[k] = &copy[k];
    }
    rc = cg_db_open_all(path, list, n, &st->db, err);
    if (rc == CG_OK) {
        st->main_name = schemas[0]->name;
        *out = st;
        st = NULL;
    }
done:
    free(copy);
    free(list);
    cg_store_close(st);
    return rc;
}

void cg_store_close(struct cg_store *st)
{
    int k;

    if (st == NULL)
        return;
    for (k = 0; k < S_N; k++)
        sqlite3_finalize(st->st[k]);
    store_kept_free(st);
    cg_db_close(st->db);
    free(st);
}

int cg_store_module_version(struct cg_store *st, const char *module, int *out, struct cg_err *err)
{
    *out = 0;
    if (strcmp(module, st->main_name) == 0)
        return cg_db_user_version(st->db, out) == CG_OK
                   ? CG_OK
                   : cg_db_fail(st->db, SQLITE_ERROR, "reading user_version", err);
    return cg_db_module_version(st->db, module, out, err);
}

void store_time(const struct timespec *ts, char *out, size_t size)
{
    struct tm tm;
    char sec[24];

    gmtime_r(&ts->tv_sec, &tm);
    strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%s.%03dZ", sec, (int)(ts->tv_nsec / 1000000));
}

/* UTC now as the database stores times. */
static void utc_now(char *out, size_t size)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    store_time(&ts, out, size);
}

const char *store_now(struct cg_store *st)
{
    static __thread char buf[32];

    if (st->now[0] != '\0')
        return st->now;
    utc_now(buf, sizeof(buf));
    return buf;
}

struct tx_ctx {
    struct cg_store *st;
    cg_store_work_fn fn;
    void *ctx;
};

static int tx_body(struct cg_db *db, void *vctx, struct cg_err *err)
{
    struct tx_ctx *c = vctx;

    (void)db;
    return c->fn(c->st, c->ctx, err);
}

int cg_store_tx(struct cg_store *st, cg_store_work_fn fn, void *ctx, struct cg_err *err)
{
    struct tx_ctx c = {st, fn, ctx};
    int rc;
    int k;

    /* One time for the whole unit of work. */
    utc_now(st->now, sizeof(st->now));
    rc = cg_db_tx(st->db, tx_body, &c, err);
    st->now[0] = '\0';
    if (rc != CG_OK) {
        /* A rolled-back unit of work leaves no statement in the middle of a step. */
        for (k = 0; k < S_N; k++) {
            if (st->st[k] != NULL)
                sqlite3_reset(st->st[k]);
        }
        store_kept_reset(st);
    }
    return rc;
}

int store_stmt(struct cg_store *st, enum store_stmt id, sqlite3_stmt **out, struct cg_err *err)
{
    int r;

    if (st->st[id] == NULL) {
        r = sqlite3_prepare_v3(cg_db_handle(st->db), store_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                               &st->st[id], NULL);
        if (r != SQLITE_OK) {
            sqlite3_finalize(st->st[id]);
            st->st[id] = NULL;
            return cg_db_fail(st->db, r, "prepare", err);
        }
    } else {
        sqlite3_reset(st->st[id]);
        sqlite3_clear_bindings(st->st[id]);
    }
    *out = st->st[id];
    return CG_OK;
}

int store_fail(struct cg_store *st, enum store_stmt id, int sqlite_rc, struct cg_err *err)
{
    int rc = cg_db_fail(st->db, sqlite_rc, "query", err);

    if (st->st[id] != NULL)
        sqlite3_reset(st->st[id]);
    return rc;
}

int store_run(struct cg_store *st, sqlite3_stmt *s, enum store_stmt id, struct cg_err *err)
{
    int r = sqlite3_step(s);

    if (r != SQLITE_DONE && r != SQLITE_ROW)
        return store_fail(st, id, r, err);
    sqlite3_reset(s);
    return CG_OK;
}

const char *store_col(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

void store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v != NULL)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}
