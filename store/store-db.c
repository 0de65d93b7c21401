/*
 * store-db.c - SQLite connection set-up, numbered migrations and transactions.
 *
 * The connection is WAL with synchronous=FULL (a committed unit of work survives power loss),
 * foreign keys on, and a busy timeout. Migrations of every schema the database is opened with
 * run together in one IMMEDIATE transaction, so a crash mid-migration leaves the old versions.
 * The first schema's version is PRAGMA user_version; the others' are rows of store_modules.
 * SQLite's own text goes into struct cg_err; the connection belongs to struct cg_db.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/store-db.h"

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
    const struct cg_db_schema *const *schemas;
    int n;
};

/* Whether the bookkeeping table of the other modules' versions exists. */
static int have_modules_table(struct cg_db *db, bool *out, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int r;

    r = sqlite3_prepare_v2(db->h,
                           "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                           "name = 'store_modules'",
                           -1, &st, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_step(st);
    sqlite3_finalize(st);
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        return cg_db_fail(db, r, "reading module versions", err);
    *out = r == SQLITE_ROW;
    return CG_OK;
}

int cg_db_module_version(struct cg_db *db, const char *module, int *out, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    bool table = false;
    int rc;
    int r;

    *out = 0;
    rc = have_modules_table(db, &table, err);
    if (rc != CG_OK || !table)
        return rc;
    r = sqlite3_prepare_v2(db->h, "SELECT version FROM store_modules WHERE module = ?", -1, &st,
                           NULL);
    if (r == SQLITE_OK) {
        sqlite3_bind_text(st, 1, module, -1, SQLITE_STATIC);
        r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            *out = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        return cg_db_fail(db, r, "reading module versions", err);
    return CG_OK;
}

static int too_new(struct cg_db *db, const struct cg_db_schema *s, int ver, struct cg_err *err)
{
    return CG_ERR_SET(err, CG_EVERSION,
                      "%s: %s database is at schema version %d, but this cebgate knows only "
                      "up to %d: use a newer cebgate",
                      db->path, s->name, ver, s->nsteps);
}

static int run_steps(struct cg_db *db, const struct cg_db_schema *s, int ver, struct cg_err *err)
{
    int rc;
    int i;

    for (i = ver; i < s->nsteps; i++) {
        rc = cg_db_exec(db, s->steps[i], err);
        if (rc != CG_OK) {
            cg_err_prefix(err, "migration %d of %s database", i + 1, s->name);
            return rc;
        }
    }
    if (ver != s->nsteps)
        cg_info("%s database %s migrated from version %d to %d", s->name, db->path, ver, s->nsteps);
    return CG_OK;
}

static int migrate(struct cg_db *db, void *vctx, struct cg_err *err)
{
    struct migrate_ctx *ctx = vctx;
    const struct cg_db_schema *s = ctx->schemas[0];
    sqlite3_stmt *st = NULL;
    char pragma[64];
    int ver = 0;
    int rc;
    int r;
    int k;

    rc = cg_db_user_version(db, &ver);
    if (rc != CG_OK)
        return cg_db_fail(db, SQLITE_ERROR, "reading user_version", err);
    if (ver > s->nsteps)
        return too_new(db, s, ver, err);
    rc = run_steps(db, s, ver, err);
    if (rc == CG_OK && ver != s->nsteps) {
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", s->nsteps);
        rc = cg_db_exec(db, pragma, err);
    }
    if (rc != CG_OK || ctx->n < 2)
        return rc;
    rc = cg_db_exec(db,
                    "CREATE TABLE IF NOT EXISTS store_modules (module TEXT PRIMARY KEY, "
                    "version INTEGER NOT NULL)",
                    err);
    for (k = 1; rc == CG_OK && k < ctx->n; k++) {
        s = ctx->schemas[k];
        rc = cg_db_module_version(db, s->name, &ver, err);
        if (rc != CG_OK)
            break;
        if (ver > s->nsteps)
            return too_new(db, s, ver, err);
        if (ver == s->nsteps)
            continue;
        rc = run_steps(db, s, ver, err);
        if (rc != CG_OK)
            break;
        r = sqlite3_prepare_v2(
            db->h, "INSERT OR REPLACE INTO store_modules(module, version) VALUES (?, ?)", -1, &st,
            NULL);
        if (r == SQLITE_OK) {
            sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 2, s->nsteps);
            r = sqlite3_step(st);
        }
        sqlite3_finalize(st);
        st = NULL;
        if (r != SQLITE_DONE)
            rc = cg_db_fail(db, r, "recording a module version", err);
    }
    return rc;
}

/* Whether the schemas need any step (read before anything is changed). */
static int pending(struct cg_db *db, const struct cg_db_schema *const *schemas, int n, bool *any,
                   struct cg_err *err)
{
    int ver = 0;
    int rc;
    int k;

    *any = false;
    rc = cg_db_user_version(db, &ver);
    if (rc != CG_OK) {
        /* The first read of the file: say which of the usual causes SQLite met. A full disk
         * shows here as an I/O error (the -shm file cannot be sized), not as a bad file. */
        int code = sqlite3_extended_errcode(db->h) & 0xff;

        return cg_db_fail(db, SQLITE_ERROR,
                          code == SQLITE_NOTADB ? "reading user_version (not a SQLite database)"
                          : code == SQLITE_IOERR || code == SQLITE_FULL
                              ? "reading user_version (is the disk full? the database needs room "
                                "for its -wal and -shm files)"
                              : "reading user_version",
                          err);
    }
    if (ver > schemas[0]->nsteps)
        return too_new(db, schemas[0], ver, err);
    *any = ver != schemas[0]->nsteps;
    for (k = 1; k < n; k++) {
        rc = cg_db_module_version(db, schemas[k]->name, &ver, err);
        if (rc != CG_OK)
            return rc;
        if (ver > schemas[k]->nsteps)
            return too_new(db, schemas[k], ver, err);
        if (ver != schemas[k]->nsteps)
            *any = true;
    }
    return CG_OK;
}

int cg_db_open_all(const char *path, const struct cg_db_schema *const *schemas, int n,
                   struct cg_db **out, struct cg_err *err)
{
    struct cg_db *db = NULL;
    struct migrate_ctx mctx;
    bool any = false;
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
    /* Check the versions before changing anything, so a newer database is left untouched. */
    rc = pending(db, schemas, n, &any, err);
    if (rc != CG_OK)
        goto fail;
    rc = cg_db_exec(db,
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                    "PRAGMA foreign_keys = ON;",
                    err);
    if (rc != CG_OK)
        goto fail;
    if (any) {
        mctx.schemas = schemas;
        mctx.n = n;
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

int cg_db_open(const char *path, const struct cg_db_schema *schema, struct cg_db **out,
               struct cg_err *err)
{
    return cg_db_open_all(path, &schema, 1, out, err);
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
