/*
 * db.c - SQLite connection set-up, numbered migrations and transactions.
 *
 * The connection is WAL with synchronous=FULL (a committed unit of work survives power loss),
 * foreign keys on, and a busy timeout. Migrations run together in one IMMEDIATE transaction, so
 * a crash mid-migration leaves the old version. SQLite's own text goes into struct cg_err.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/db.h"
#include "core/log.h"

struct cg_db {
    sqlite3 *h;
    char *path;
};

int cg_db_fail(struct cg_db *db, int sqlite_rc, const char *what, struct cg_err *err)
{
    int code = (sqlite_rc & 0xff) == SQLITE_BUSY || (sqlite_rc & 0xff) == SQLITE_LOCKED ? CG_EBUSY
                                                                                        : CG_EDB;
    return CG_ERR_SET(
        err, code, "%s: %s: %s", db != NULL && db->path != NULL ? db->path : "db", what,
        db != NULL && db->h != NULL ? sqlite3_errmsg(db->h) : sqlite3_errstr(sqlite_rc));
}

int cg_db_exec(struct cg_db *db, const char *sql, struct cg_err *err)
{
    int r = sqlite3_exec(db->h, sql, NULL, NULL, NULL);

    if (r != SQLITE_OK)
        return cg_db_fail(db, r, "exec", err);
    return CG_OK;
}

int cg_db_user_version(struct cg_db *db, int *out)
{
    sqlite3_stmt *st = NULL;
    int r;

    r = sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL);
    if (r != SQLITE_OK)
        return CG_EDB;
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return r == SQLITE_ROW ? CG_OK : CG_EDB;
}

void cg_db_set_busy_timeout(struct cg_db *db, int ms)
{
    sqlite3_busy_timeout(db->h, ms);
}

struct migrate_ctx {
    const struct cg_db_schema *schema;
};

static int migrate(struct cg_db *db, void *vctx, struct cg_err *err)
{
    struct migrate_ctx *ctx = vctx;
    const struct cg_db_schema *s = ctx->schema;
    char pragma[64];
    int ver = 0;
    int rc;
    int i;

    rc = cg_db_user_version(db, &ver);
    if (rc != CG_OK)
        return cg_db_fail(db, SQLITE_ERROR, "reading user_version", err);
    if (ver > s->nsteps)
        return CG_ERR_SET(err, CG_EVERSION,
                          "%s: %s database is at schema version %d, but this cebgate knows only "
                          "up to %d: use a newer cebgate",
                          db->path, s->name, ver, s->nsteps);
    for (i = ver; i < s->nsteps; i++) {
        rc = cg_db_exec(db, s->steps[i], err);
        if (rc != CG_OK) {
            cg_err_prefix(err, "migration %d of %s database", i + 1, s->name);
            return rc;
        }
    }
    if (ver != s->nsteps) {
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", s->nsteps);
        rc = cg_db_exec(db, pragma, err);
        if (rc != CG_OK)
            return rc;
        cg_info("%s database %s migrated from version %d to %d", s->name, db->path, ver, s->nsteps);
    }
    return CG_OK;
}

int cg_db_open(const char *path, const struct cg_db_schema *schema, struct cg_db **out,
               struct cg_err *err)
{
    struct cg_db *db = NULL;
    struct migrate_ctx mctx;
    int ver = 0;
    int rc;
    int r;

    db = calloc(1, sizeof(*db));
    if (db == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    db->path = cg_strdup(path);
    if (db->path == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto fail;
    }
    r = sqlite3_open_v2(path, &db->h,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (r != SQLITE_OK) {
        rc = cg_db_fail(db, r, "open", err);
        goto fail;
    }
    sqlite3_extended_result_codes(db->h, 1);
    sqlite3_busy_timeout(db->h, 5000);
    /* Check the version before changing anything, so a newer database is left untouched. */
    rc = cg_db_user_version(db, &ver);
    if (rc != CG_OK) {
        rc = cg_db_fail(db, SQLITE_ERROR, "reading user_version (is it a SQLite database?)", err);
        goto fail;
    }
    if (ver > schema->nsteps) {
        rc = CG_ERR_SET(err, CG_EVERSION,
                        "%s: %s database is at schema version %d, but this cebgate knows only "
                        "up to %d: use a newer cebgate",
                        path, schema->name, ver, schema->nsteps);
        goto fail;
    }
    rc = cg_db_exec(db,
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                    "PRAGMA foreign_keys = ON;",
                    err);
    if (rc != CG_OK)
        goto fail;
    if (ver != schema->nsteps) {
        mctx.schema = schema;
        rc = cg_db_tx(db, migrate, &mctx, err);
        if (rc != CG_OK)
            goto fail;
    }
    *out = db;
    return CG_OK;
fail:
    cg_db_close(db);
    return rc;
}

void cg_db_close(struct cg_db *db)
{
    if (db == NULL)
        return;
    if (db->h != NULL)
        sqlite3_close_v2(db->h);
    free(db->path);
    free(db);
}

sqlite3 *cg_db_handle(struct cg_db *db)
{
    return db->h;
}

int cg_db_tx(struct cg_db *db, cg_db_work_fn fn, void *ctx, struct cg_err *err)
{
    int rc;
    int r;

    r = sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (r != SQLITE_OK)
        return cg_db_fail(db, r, "begin transaction", err);
    rc = fn(db, ctx, err);
    if (rc != CG_OK) {
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    r = sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
    if (r != SQLITE_OK) {
        rc = cg_db_fail(db, r, "commit", err);
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return CG_OK;
}
