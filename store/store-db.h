/*
 * store-db.h - the SQLite connection under the store: open with migrations, run units of work
 * in transactions. Private to store/: the lifecycle store (store.c) and the port's database
 * (store-port.c) are opened through it.
 *
 * A database is opened in WAL mode with foreign keys on and a busy timeout, then brought to
 * the newest schema version of the struct cg_db_schema it was opened with: step i of the
 * schema takes PRAGMA user_version from i to i+1, all steps in one transaction. A database
 * whose user_version is above what this program knows is refused with CG_EVERSION.
 */
#ifndef CG_STORE_DB_H
#define CG_STORE_DB_H

#include <sqlite3.h>

#include "core/err.h"

struct cg_db;

struct cg_db_schema {
    const char *name;         /* for messages, e.g. "cebgate" or "port" */
    const char *const *steps; /* steps[i]: SQL from version i to i + 1 */
    int nsteps;               /* newest version */
};

/* Open (creating if needed) and migrate. *out is written only on success. */
int cg_db_open(const char *path, const struct cg_db_schema *schema, struct cg_db **out,
               struct cg_err *err);
/*
 * The same with n schemas: schemas[0]'s version is PRAGMA user_version, the others' are rows
 * of the table store_modules (created when there are any). All steps run in one transaction.
 */
int cg_db_open_all(const char *path, const struct cg_db_schema *const *schemas, int n,
                   struct cg_db **out, struct cg_err *err);
void cg_db_close(struct cg_db *db);
/* Borrowed handle for prepared statements. */
sqlite3 *cg_db_handle(struct cg_db *db);
int cg_db_user_version(struct cg_db *db, int *out);
/* Version of a module kept in store_modules; 0 when it has no row or there is no table. */
int cg_db_module_version(struct cg_db *db, const char *module, int *out, struct cg_err *err);
/* Run sql (no results); maps SQLITE_BUSY to CG_EBUSY. */
int cg_db_exec(struct cg_db *db, const char *sql, struct cg_err *err);
/* Set the busy timeout in milliseconds (default 5000). */
void cg_db_set_busy_timeout(struct cg_db *db, int ms);

/*
 * Run fn inside BEGIN IMMEDIATE ... COMMIT. If fn returns non-zero the transaction is rolled
 * back and its code returned; a failing COMMIT is rolled back and reported.
 */
typedef int (*cg_db_work_fn)(struct cg_db *db, void *ctx, struct cg_err *err);
int cg_db_tx(struct cg_db *db, cg_db_work_fn fn, void *ctx, struct cg_err *err);

/* Fill err from the connection's last error; returns CG_EBUSY or CG_EDB. */
int cg_db_fail(struct cg_db *db, int sqlite_rc, const char *what, struct cg_err *err);

#endif
