/*
 * port-db.c - the port's own SQLite database: schema, counters for assigned numbers, and the
 * read-only views (statistics, document dump) that `cebgate port --stats` and GET /metrics use.
 *
 * Tables: messages (accepted CEB messages, by root guid, with their bytes and SHA-256),
 * documents (one per entity, with the assigned numbers and the latest published status),
 * schedule (receipts planned by the scenario, not yet published), receipts (published, with
 * ids that only grow: the GET /receipts cursor), submissions (every checked POST and its
 * answer code) and counters (serials of preNo/invtNo/sumNo). SQLite errors come back as
 * CG_EDB/CG_EBUSY with sqlite3_errmsg text.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "port/port-int.h"

static const char *const steps[] = {
    "CREATE TABLE messages ("
    " id INTEGER PRIMARY KEY,"
    " guid TEXT NOT NULL UNIQUE,"
    " msg_type INTEGER NOT NULL,"
    " sha256 TEXT NOT NULL,"
    " received_at TEXT NOT NULL,"
    " remote TEXT,"
    " xml BLOB NOT NULL);"
    "CREATE TABLE documents ("
    " id INTEGER PRIMARY KEY,"
    " message_id INTEGER NOT NULL REFERENCES messages(id),"
    " guid TEXT NOT NULL UNIQUE,"
    " msg_type INTEGER NOT NULL,"
    " app_type TEXT NOT NULL,"
    " bkey TEXT NOT NULL,"
    " pre_no TEXT,"
    " invt_no TEXT,"
    " sum_no TEXT,"
    " doc TEXT NOT NULL,"
    " accepted_ms INTEGER NOT NULL,"
    " status INTEGER,"
    " final INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX documents_bkey ON documents(bkey, app_type);"
    "CREATE INDEX documents_invt ON documents(invt_no);"
    "CREATE TABLE schedule ("
    " id INTEGER PRIMARY KEY,"
    " document_id INTEGER NOT NULL REFERENCES documents(id),"
    " due_ms INTEGER NOT NULL,"
    " receipt_type INTEGER NOT NULL,"
    " status INTEGER NOT NULL,"
    " info TEXT NOT NULL,"
    " last INTEGER NOT NULL);"
    "CREATE INDEX schedule_due ON schedule(due_ms, id);"
    "CREATE TABLE receipts ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " document_id INTEGER REFERENCES documents(id),"
    " msg_type INTEGER NOT NULL,"
    " msg_guid TEXT NOT NULL,"
    " doc_guid TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " created_at TEXT NOT NULL,"
    " xml BLOB NOT NULL);"
    "CREATE TABLE submissions ("
    " id INTEGER PRIMARY KEY,"
    " received_at TEXT NOT NULL,"
    " guid TEXT,"
    " msg_type INTEGER,"
    " size INTEGER NOT NULL,"
    " sha256 TEXT,"
    " code TEXT NOT NULL,"
    " duplicate INTEGER NOT NULL DEFAULT 0,"
    " text TEXT NOT NULL,"
    " remote TEXT);"
    "CREATE INDEX submissions_code ON submissions(code);"
    "CREATE TABLE counters ("
    " name TEXT NOT NULL,"
    " key TEXT NOT NULL,"
    " value INTEGER NOT NULL,"
    " PRIMARY KEY (name, key));",
};

const struct cg_db_schema cg_port_db_schema = {"port", steps,
                                               (int)(sizeof(steps) / sizeof(steps[0]))};

int cg_port_db_next(struct cg_db *db, const char *name, const char *key, long *out,
                    struct cg_err *err)
{
    sqlite3 *h = cg_db_handle(db);
    sqlite3_stmt *st = NULL;
    int rc = CG_OK;
    int r;

    r = sqlite3_prepare_v2(h,
                           "INSERT INTO counters(name, key, value) VALUES (?1, ?2, 1) "
                           "ON CONFLICT(name, key) DO UPDATE SET value = value + 1 "
                           "RETURNING value",
                           -1, &st, NULL);
    if (r != SQLITE_OK)
        return cg_db_fail(db, r, "counter", err);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *out = (long)sqlite3_column_int64(st, 0);
    else
        rc = cg_db_fail(db, r, "counter", err);
    sqlite3_finalize(st);
    return rc;
}

static int count(struct cg_db *db, const char *sql, long *out, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int r;

    r = sqlite3_prepare_v2(cg_db_handle(db), sql, -1, &st, NULL);
    if (r != SQLITE_OK)
        return cg_db_fail(db, r, "statistics", err);
    r = sqlite3_step(st);
    *out = r == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return r == SQLITE_ROW ? CG_OK : cg_db_fail(db, r, "statistics", err);
}

static int stats_from(struct cg_db *db, struct cg_port_stats *st, struct cg_err *err)
{
    sqlite3_stmt *q = NULL;
    int rc;
    int r;

    memset(st, 0, sizeof(*st));
    if ((rc = count(db, "SELECT count(*) FROM submissions", &st->received, err)) != CG_OK ||
        (rc = count(db, "SELECT count(*) FROM submissions WHERE code = '0000' AND duplicate = 0",
                    &st->accepted, err)) != CG_OK ||
        (rc = count(db, "SELECT count(*) FROM submissions WHERE code = '0000' AND duplicate = 1",
                    &st->accepted_again, err)) != CG_OK ||
        (rc = count(db, "SELECT count(*) FROM submissions WHERE code <> '0000'", &st->rejected,
                    err)) != CG_OK ||
        (rc = count(db, "SELECT count(*) FROM documents", &st->documents, err)) != CG_OK ||
        (rc = count(db, "SELECT count(*) FROM documents WHERE final = 1", &st->documents_final,
                    err)) != CG_OK ||
        (rc = count(db, "SELECT count(*) FROM receipts", &st->receipts, err)) != CG_OK ||
        (rc = count(db, "SELECT count(*) FROM schedule", &st->receipts_pending, err)) != CG_OK)
        return rc;
    r = sqlite3_prepare_v2(cg_db_handle(db),
                           "SELECT code, count(*) FROM submissions WHERE code <> '0000' "
                           "GROUP BY code ORDER BY code",
                           -1, &q, NULL);
    if (r != SQLITE_OK)
        return cg_db_fail(db, r, "statistics", err);
    while ((r = sqlite3_step(q)) == SQLITE_ROW && st->ncodes < 32) {
        const unsigned char *c = sqlite3_column_text(q, 0);

        cg_strlcpy(st->by_code[st->ncodes].code, c != NULL ? (const char *)c : "?", 5);
        st->by_code[st->ncodes].n = (long)sqlite3_column_int64(q, 1);
        st->ncodes++;
    }
    sqlite3_finalize(q);
    return CG_OK;
}

int cg_port_stats(struct cg_port *p, struct cg_port_stats *st, struct cg_err *err)
{
    return stats_from(p->db, st, err);
}

int cg_port_stats_read(const char *db_path, struct cg_port_stats *st, struct cg_err *err)
{
    struct cg_db *db = NULL;
    int rc;

    rc = cg_db_open(db_path, &cg_port_db_schema, &db, err);
    if (rc == CG_OK)
        rc = stats_from(db, st, err);
    cg_db_close(db);
    return rc;
}

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);

    return s != NULL ? (const char *)s : "";
}

int cg_port_dump_documents(const char *db_path, FILE *fp, struct cg_err *err)
{
    struct cg_db *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc;
    int r;

    rc = cg_db_open(db_path, &cg_port_db_schema, &db, err);
    if (rc != CG_OK)
        return rc;
    r = sqlite3_prepare_v2(cg_db_handle(db),
                           "SELECT msg_type, guid, bkey, pre_no, invt_no, status, final "
                           "FROM documents ORDER BY id",
                           -1, &st, NULL);
    if (r != SQLITE_OK) {
        rc = cg_db_fail(db, r, "documents", err);
        goto done;
    }
    while ((r = sqlite3_step(st)) == SQLITE_ROW)
        fprintf(fp, "CEB%s\t%s\t%s\t%s\t%s\t%s\t%s\n", col(st, 0), col(st, 1), col(st, 2),
                col(st, 3), col(st, 4), col(st, 5), col(st, 6));
    if (r != SQLITE_DONE)
        rc = cg_db_fail(db, r, "documents", err);
done:
    sqlite3_finalize(st);
    cg_db_close(db);
    return rc;
}
