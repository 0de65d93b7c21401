/*
 * port-db.c - the port's own SQLite database: schema, counters for assigned numbers, and the
 * read-only views (statistics, document dump) that `cebgate port --stats` and GET /metrics use.
 *
 * Tables: messages (accepted CEB messages, by root guid, with their bytes and SHA-256),
 * documents (one per entity, with the assigned numbers and the latest published status),
 * schedule (receipts planned by the scenario, not yet published), receipts (published, with
 * ids that only grow: the GET /receipts cursor), submissions (every checked POST and its
 * answer code) and counters (serials of preNo/invtNo/sumNo). messages, documents, receipts and
 * submissions name the sender ([sender.NAME]) they belong to: receipts are served per sender.
 * SQLite errors come back as CG_EDB/CG_EBUSY with sqlite3_errmsg text. The writer connection's
 * statements are prepared once and kept (cg_port_sql); the views run on the separate read
 * connection, so they see committed data only.
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
    /* 2: who sent what. The sender is the [sender.NAME] the message was attributed to; rows
     * from before have none and are shown to nobody. */
    "ALTER TABLE messages ADD COLUMN sender TEXT;"
    "ALTER TABLE documents ADD COLUMN sender TEXT;"
    "ALTER TABLE receipts ADD COLUMN sender TEXT;"
    "ALTER TABLE submissions ADD COLUMN sender TEXT;"
    "CREATE INDEX receipts_sender ON receipts(sender, id);",
};

const struct cg_db_schema cg_port_db_schema = {"port", steps,
                                               (int)(sizeof(steps) / sizeof(steps[0]))};

static const char *const sql_text[CG_SQL_COUNT] = {
    [CG_SQL_SEEN] = "SELECT id, sha256, sender FROM messages WHERE guid = ?1",
    [CG_SQL_SEEN_DOCS] = "SELECT guid, pre_no, invt_no FROM documents WHERE message_id = ?1 "
                         "ORDER BY id",
    [CG_SQL_DOC_GUID] = "SELECT m.guid FROM documents d JOIN messages m ON m.id = d.message_id "
                        "WHERE d.guid = ?1",
    [CG_SQL_BKEY] = "SELECT guid, sender FROM documents WHERE bkey = ?1 AND app_type = '1'",
    [CG_SQL_INS_MESSAGE] = "INSERT INTO messages(guid, msg_type, sha256, received_at, remote, xml, "
                           "sender) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [CG_SQL_INS_DOCUMENT] = "INSERT INTO documents(message_id, guid, msg_type, app_type, bkey, "
                            "pre_no, invt_no, sum_no, doc, accepted_ms, sender) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [CG_SQL_INS_SCHEDULE] = "INSERT INTO schedule(document_id, due_ms, receipt_type, status, "
                            "info, last) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [CG_SQL_INS_SUBMISSION] = "INSERT INTO submissions(received_at, guid, msg_type, size, sha256, "
                              "code, duplicate, text, remote, sender) "
                              "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
    [CG_SQL_INS_RECEIPT] = "INSERT INTO receipts(document_id, msg_type, msg_guid, doc_guid, "
                           "status, created_at, xml, sender) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                           "coalesce(?8, (SELECT sender FROM documents WHERE id = ?1)))",
    [CG_SQL_COUNTER] = "INSERT INTO counters(name, key, value) VALUES (?1, ?2, 1) "
                       "ON CONFLICT(name, key) DO UPDATE SET value = value + 1 "
                       "RETURNING value",
    [CG_SQL_DUE] = "SELECT s.id, s.document_id, s.receipt_type, s.status, s.last, s.info, "
                   "d.msg_type, d.doc FROM schedule s JOIN documents d ON d.id = "
                   "s.document_id WHERE s.due_ms <= ?1 ORDER BY s.due_ms, s.id LIMIT ?2",
    [CG_SQL_SET_STATUS] = "UPDATE documents SET status = ?3, final = ?2 WHERE id = ?1",
    [CG_SQL_SET_FINAL] = "UPDATE documents SET final = ?2 WHERE id = ?1",
    [CG_SQL_DEL_SCHEDULE] = "DELETE FROM schedule WHERE id = ?1",
    [CG_SQL_INVENTORY] = "SELECT doc FROM documents WHERE msg_type = 603 AND invt_no = ?1 "
                         "AND sender IS (SELECT sender FROM documents WHERE id = ?2) "
                         "ORDER BY id DESC LIMIT 1",
    [CG_SQL_NEXT_DUE] = "SELECT min(due_ms) FROM schedule",
};

int cg_port_sql(struct cg_port *p, enum cg_port_sql id, sqlite3_stmt **out, struct cg_err *err)
{
    int r;

    if (p->stmts[id] == NULL) {
        r = sqlite3_prepare_v3(cg_db_handle(p->db), sql_text[id], -1, SQLITE_PREPARE_PERSISTENT,
                               &p->stmts[id], NULL);
        if (r != SQLITE_OK) {
            p->stmts[id] = NULL;
            return cg_db_fail(p->db, r, "preparing a statement", err);
        }
    } else {
        sqlite3_reset(p->stmts[id]);
        sqlite3_clear_bindings(p->stmts[id]);
    }
    *out = p->stmts[id];
    return CG_OK;
}

void cg_port_sql_reset_all(struct cg_port *p)
{
    size_t i;

    for (i = 0; i < CG_SQL_COUNT; i++)
        if (p->stmts[i] != NULL)
            sqlite3_reset(p->stmts[i]);
}

void cg_port_sql_free(struct cg_port *p)
{
    size_t i;

    for (i = 0; i < CG_SQL_COUNT; i++) {
        sqlite3_finalize(p->stmts[i]);
        p->stmts[i] = NULL;
    }
}

int cg_port_db_next(struct cg_port *p, const char *name, const char *key, long *out,
                    struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    int r;

    rc = cg_port_sql(p, CG_SQL_COUNTER, &st, err);
    if (rc != CG_OK)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *out = (long)sqlite3_column_int64(st, 0);
    else
        rc = cg_db_fail(p->db, r, "counter", err);
    sqlite3_reset(st);
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
    int rc;

    pthread_mutex_lock(&p->rlock);
    rc = stats_from(p->rdb, st, err);
    pthread_mutex_unlock(&p->rlock);
    return rc;
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
