/*
 * store-port.c - the port's SQLite database: its schema steps, one prepared statement per
 * operation, transactions and savepoints, and the views (statistics, document dump).
 *
 * Tables: messages (accepted CEB messages, by root guid, with their bytes and SHA-256),
 * documents (one per entity, with the assigned numbers and the latest published status),
 * schedule (receipts planned by the scenario, not yet published), receipts (published, each
 * with seq, its sender's own number, 1, 2, 3, ... for each sender: the GET /receipts cursor,
 * which tells a sender nothing of the others' receipts), submissions (every checked POST and
 * its answer code) and counters (serials of preNo/invtNo/sumNo). messages, documents, receipts
 * and submissions name the sender ([sender.NAME]) they belong to. counters also keeps each
 * sender's largest receipt number ('receipt seq'), which deleting receipts does not lower.
 * Statements are prepared once per connection (on first use) and reset after each use; the
 * struct is used by one thread at a time. Every SQLite failure comes back as CG_EDB/CG_EBUSY
 * with sqlite3_errmsg text, apart from CG_ENOTFOUND for a lookup that found nothing.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "core/text.h"
#include "store/store-db.h"
#include "store/store-port.h"

enum q {
    Q_SEEN,      /* messages by guid */
    Q_SEEN_DOCS, /* documents of a message */
    Q_DOC_GUID,  /* document guid used before */
    Q_BKEY,      /* business key added before */
    Q_INS_MESSAGE,
    Q_INS_DOCUMENT,
    Q_INS_SCHEDULE,
    Q_INS_SUBMISSION,
    Q_INS_RECEIPT,
    Q_COUNTER,
    Q_DUE,        /* planned receipts due */
    Q_SET_STATUS, /* document status and final */
    Q_SET_FINAL,  /* document final only (CEB792) */
    Q_DEL_SCHEDULE,
    Q_INVENTORY, /* an inventory by invtNo (CEB792) */
    Q_NEXT_DUE,
    Q_RECEIPTS,  /* a sender's receipts after a cursor */
    Q_DAY_COUNT, /* submissions per sender in a time range */
    Q_COUNT
};

struct cg_store_port {
    struct cg_db *db;
    sqlite3_stmt *stmts[Q_COUNT];
};

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
    /* 3: each sender numbers its own receipts (seq), so the numbers it reads count only its own
     * receipts. A receipt published before keeps its id as its number, so a cursor a sender holds
     * stays valid, and the sender's next number follows its own largest. Submissions are indexed
     * by time, so that each sender's submissions of one day are counted from the index. */
    "ALTER TABLE receipts ADD COLUMN seq INTEGER;"
    "UPDATE receipts SET seq = id;"
    "DROP INDEX receipts_sender;"
    "CREATE UNIQUE INDEX receipts_sender_seq ON receipts(sender, seq);"
    "CREATE INDEX submissions_time ON submissions(received_at, sender);",
    /* 4: the counts that --stats and GET /metrics show, which a count(*) would read whole tables
     * for at every scrape (a year of submissions, with a reader held on the WAL meanwhile): the
     * submissions per code (and accepted or accepted again) and the documents whose scenario
     * finished are kept in counters (name 'stats') by triggers, in the transaction of each
     * change, starting from what the tables hold. Documents are counted by their largest id
     * (the port only adds them), receipts by the largest id AUTOINCREMENT ever gave
     * (sqlite_sequence), the receipts still planned by count(*) over schedule, which holds only
     * what is not yet published. Keys: 'code CODE' and 'code 0000 again' per answer,
     * documents_final. */
    "DELETE FROM counters WHERE name = 'stats';"
    "INSERT INTO counters(name, key, value)"
    " SELECT 'stats', 'code ' || code || CASE WHEN code = '0000' AND duplicate <> 0"
    "  THEN ' again' ELSE '' END, count(*)"
    " FROM submissions GROUP BY 2"
    " UNION ALL SELECT 'stats', 'documents_final', count(*) FROM documents WHERE final = 1;"
    "CREATE TRIGGER stats_submission AFTER INSERT ON submissions BEGIN"
    " INSERT INTO counters(name, key, value) VALUES ('stats', 'code ' || new.code ||"
    "  CASE WHEN new.code = '0000' AND new.duplicate <> 0 THEN ' again' ELSE '' END, 1)"
    "  ON CONFLICT(name, key) DO UPDATE SET value = value + 1;"
    " END;"
    "CREATE TRIGGER stats_document AFTER INSERT ON documents WHEN new.final = 1 BEGIN"
    " UPDATE counters SET value = value + 1 WHERE name = 'stats' AND key = 'documents_final';"
    " END;"
    "CREATE TRIGGER stats_document_final AFTER UPDATE OF final ON documents"
    " WHEN (old.final = 1) <> (new.final = 1) BEGIN"
    " UPDATE counters SET value = value + CASE WHEN new.final = 1 THEN 1 ELSE -1 END"
    "  WHERE name = 'stats' AND key = 'documents_final';"
    " END;",
    /* 5: a sender's largest receipt number is kept in counters ('receipt seq', sender) by a
     * trigger, so that its numbers keep growing after an operator deleted old receipts: a
     * sender's cursor is the largest number it read, and a number given again would never be
     * fetched. Receipts of no sender (from before step 2) have no number to keep. */
    "INSERT INTO counters(name, key, value)"
    " SELECT 'receipt seq', sender, max(seq) FROM receipts WHERE sender IS NOT NULL"
    " GROUP BY sender;"
    "CREATE TRIGGER receipt_seq AFTER INSERT ON receipts WHEN new.sender IS NOT NULL BEGIN"
    " INSERT INTO counters(name, key, value) VALUES ('receipt seq', new.sender, new.seq)"
    "  ON CONFLICT(name, key) DO UPDATE SET value = max(value, new.seq);"
    " END;",
};

static const char *const sql_text[Q_COUNT] = {
    [Q_SEEN] = "SELECT id, sha256, sender FROM messages WHERE guid = ?1",
    [Q_SEEN_DOCS] = "SELECT guid, pre_no, invt_no FROM documents WHERE message_id = ?1 "
                    "ORDER BY id",
    [Q_DOC_GUID] =
        "SELECT m.guid, d.sender FROM documents d JOIN messages m ON m.id = d.message_id "
        "WHERE d.guid = ?1",
    [Q_BKEY] = "SELECT guid, sender FROM documents WHERE bkey = ?1 AND app_type = '1'",
    [Q_INS_MESSAGE] = "INSERT INTO messages(guid, msg_type, sha256, received_at, remote, xml, "
                      "sender) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_INS_DOCUMENT] = "INSERT INTO documents(message_id, guid, msg_type, app_type, bkey, "
                       "pre_no, invt_no, sum_no, doc, accepted_ms, sender) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [Q_INS_SCHEDULE] = "INSERT INTO schedule(document_id, due_ms, receipt_type, status, "
                       "info, last) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_INS_SUBMISSION] = "INSERT INTO submissions(received_at, guid, msg_type, size, sha256, "
                         "code, duplicate, text, remote, sender) "
                         "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
    /* The sender's next number: one more than the largest it was ever given (kept in counters
     * by step 5's trigger, so deleted receipts do not give their numbers again; a primary-key
     * lookup; only the writer inserts, inside its transaction). */
    [Q_INS_RECEIPT] = "INSERT INTO receipts(document_id, msg_type, msg_guid, doc_guid, "
                      "status, created_at, xml, sender, seq) "
                      "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, w.s, "
                      "coalesce((SELECT value FROM counters WHERE name = 'receipt seq' "
                      "AND key = w.s), 0) + 1 "
                      "FROM (SELECT coalesce(?8, (SELECT sender FROM documents WHERE id = ?1)) "
                      "AS s) w RETURNING seq, id",
    [Q_COUNTER] = "INSERT INTO counters(name, key, value) VALUES (?1, ?2, 1) "
                  "ON CONFLICT(name, key) DO UPDATE SET value = value + 1 "
                  "RETURNING value",
    [Q_DUE] = "SELECT s.id, s.document_id, s.receipt_type, s.status, s.last, s.info, "
              "d.msg_type, d.doc FROM schedule s JOIN documents d ON d.id = "
              "s.document_id WHERE s.due_ms <= ?1 ORDER BY s.due_ms, s.id LIMIT ?2",
    [Q_SET_STATUS] = "UPDATE documents SET status = ?3, final = ?2 WHERE id = ?1",
    [Q_SET_FINAL] = "UPDATE documents SET final = ?2 WHERE id = ?1",
    [Q_DEL_SCHEDULE] = "DELETE FROM schedule WHERE id = ?1",
    [Q_INVENTORY] = "SELECT doc FROM documents WHERE msg_type = 603 AND invt_no = ?1 "
                    "AND sender IS (SELECT sender FROM documents WHERE id = ?2) "
                    "ORDER BY id DESC LIMIT 1",
    [Q_NEXT_DUE] = "SELECT min(due_ms) FROM schedule",
    [Q_RECEIPTS] = "SELECT seq, msg_type, msg_guid, doc_guid, status, xml FROM receipts "
                   "WHERE sender = ?3 AND seq > ?1 ORDER BY seq LIMIT ?2",
    [Q_DAY_COUNT] = "SELECT sender, count(*) FROM submissions WHERE received_at >= ?1 "
                    "AND received_at < ?2 AND sender IS NOT NULL GROUP BY sender",
};

static const struct cg_db_schema schema = {"port", steps, (int)(sizeof(steps) / sizeof(steps[0]))};

int cg_store_port_open(const char *path, struct cg_store_port **out, struct cg_err *err)
{
    struct cg_store_port *s = calloc(1, sizeof(*s));
    int rc;

    if (s == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    rc = cg_db_open(path, &schema, &s->db, err);
    if (rc != CG_OK) {
        free(s);
        return rc;
    }
    /* A group of messages stored in one transaction makes SQLite spill statement journals to
     * temporary files; creating and deleting a file for each group cost more than the rest of
     * the commit. They only serve to undo one statement, so memory is the place for them. */
    rc = cg_db_exec(s->db, "PRAGMA temp_store = MEMORY", err);
    if (rc != CG_OK) {
        cg_store_port_close(s);
        return rc;
    }
    *out = s;
    return CG_OK;
}

void cg_store_port_close(struct cg_store_port *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(s->stmts[i]);
    cg_db_close(s->db);
    free(s);
}

/* The cached statement id, reset and with its bindings cleared. */
static int stmt(struct cg_store_port *s, enum q id, sqlite3_stmt **out, struct cg_err *err)
{
    int r;

    if (s->stmts[id] == NULL) {
        r = sqlite3_prepare_v3(cg_db_handle(s->db), sql_text[id], -1, SQLITE_PREPARE_PERSISTENT,
                               &s->stmts[id], NULL);
        if (r != SQLITE_OK) {
            s->stmts[id] = NULL;
            return cg_db_fail(s->db, r, "preparing a statement", err);
        }
    } else {
        sqlite3_reset(s->stmts[id]);
        sqlite3_clear_bindings(s->stmts[id]);
    }
    *out = s->stmts[id];
    return CG_OK;
}

void cg_store_port_reset(struct cg_store_port *s)
{
    size_t i;

    for (i = 0; i < Q_COUNT; i++)
        if (s->stmts[i] != NULL)
            sqlite3_reset(s->stmts[i]);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v != NULL)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Text or "" when NULL; borrowed until the statement moves. */
static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);

    return v != NULL ? (const char *)v : "";
}

/* Step a statement that returns no rows, then reset it. */
static int done(struct cg_store_port *s, sqlite3_stmt *st, const char *what, struct cg_err *err)
{
    int r = sqlite3_step(st);

    sqlite3_reset(st);
    return r == SQLITE_DONE ? CG_OK : cg_db_fail(s->db, r, what, err);
}

/* ------------------------------------------------------------------ transactions */

int cg_store_port_begin(struct cg_store_port *s, struct cg_err *err)
{
    return cg_db_exec(s->db, "BEGIN IMMEDIATE", err);
}

int cg_store_port_commit(struct cg_store_port *s, struct cg_err *err)
{
    return cg_db_exec(s->db, "COMMIT", err);
}

int cg_store_port_abort(struct cg_store_port *s, struct cg_err *err)
{
    if (sqlite3_get_autocommit(cg_db_handle(s->db)))
        return CG_OK;
    return cg_db_exec(s->db, "ROLLBACK", err);
}

static int named(struct cg_store_port *s, const char *verb, const char *name, struct cg_err *err)
{
    char sql[96];

    if (strspn(name, "abcdefghijklmnopqrstuvwxyz_") != strlen(name) || strlen(name) > 32)
        return CG_ERR_SET(err, CG_EINVAL, "savepoint name '%s'", name);
    snprintf(sql, sizeof(sql), "%s %s", verb, name);
    return cg_db_exec(s->db, sql, err);
}

int cg_store_port_savepoint(struct cg_store_port *s, const char *name, struct cg_err *err)
{
    return named(s, "SAVEPOINT", name, err);
}

int cg_store_port_release(struct cg_store_port *s, const char *name, struct cg_err *err)
{
    return named(s, "RELEASE", name, err);
}

int cg_store_port_rollback_to(struct cg_store_port *s, const char *name, struct cg_err *err)
{
    return named(s, "ROLLBACK TO", name, err);
}

struct tx_ctx {
    struct cg_store_port *s;
    cg_store_port_work_fn fn;
    void *ctx;
};

static int tx_work(struct cg_db *db, void *vctx, struct cg_err *err)
{
    struct tx_ctx *t = vctx;

    (void)db;
    return t->fn(t->s, t->ctx, err);
}

int cg_store_port_tx(struct cg_store_port *s, cg_store_port_work_fn fn, void *ctx,
                     struct cg_err *err)
{
    struct tx_ctx t = {s, fn, ctx};

    return cg_db_tx(s->db, tx_work, &t, err);
}

int cg_store_port_read_only(struct cg_store_port *s, bool on, struct cg_err *err)
{
    return cg_db_exec(s->db, on ? "PRAGMA query_only = ON" : "PRAGMA query_only = OFF", err);
}

/* ------------------------------------------------------------------ messages and documents */

int cg_store_port_message_find(struct cg_store_port *s, const char *guid, int64_t *id,
                               char sha256[65], char *sender, size_t sender_size,
                               struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    int r;

    if ((rc = stmt(s, Q_SEEN, &st, err)) != CG_OK)
        return rc;
    bind_text(st, 1, guid);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        cg_strlcpy(sha256, col(st, 1), 65);
        cg_strlcpy(sender, col(st, 2), sender_size);
    } else {
        rc = r == SQLITE_DONE ? CG_ENOTFOUND : cg_db_fail(s->db, r, "message lookup", err);
    }
    sqlite3_reset(st);
    return rc;
}

int cg_store_port_message_docs(struct cg_store_port *s, int64_t id, cg_store_port_doc_fn fn,
                               void *ctx, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    int r;

    if ((rc = stmt(s, Q_SEEN_DOCS, &st, err)) != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    while ((r = sqlite3_step(st)) == SQLITE_ROW)
        if ((rc = fn(col(st, 0), col(st, 1), col(st, 2), ctx)) != CG_OK)
            break;
    if (rc == CG_OK && r != SQLITE_DONE)
        rc = cg_db_fail(s->db, r, "documents of a message", err);
    sqlite3_reset(st);
    return rc;
}

int cg_store_port_message_add(struct cg_store_port *s, const struct cg_store_port_message *m,
                              int64_t *id, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = stmt(s, Q_INS_MESSAGE, &st, err)) != CG_OK)
        return rc;
    bind_text(st, 1, m->guid);
    sqlite3_bind_int(st, 2, m->msg_type);
    bind_text(st, 3, m->sha256);
    bind_text(st, 4, m->received_at);
    bind_text(st, 5, m->remote);
    sqlite3_bind_blob(st, 6, m->xml, (int)m->xml_len, SQLITE_STATIC);
    bind_text(st, 7, m->sender);
    rc = done(s, st, "storing the message", err);
    if (rc == CG_OK)
        *id = sqlite3_last_insert_rowid(cg_db_handle(s->db));
    return rc;
}

/* ?1 = a; the first (and second) column of the row into out (and out2); CG_ENOTFOUND. */
static int lookup(struct cg_store_port *s, enum q id, const char *a, char *out, size_t size,
                  char *out2, size_t size2, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    int r;

    if ((rc = stmt(s, id, &st, err)) != CG_OK)
        return rc;
    bind_text(st, 1, a);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        cg_strlcpy(out, col(st, 0), size);
        if (out2 != NULL)
            cg_strlcpy(out2, col(st, 1), size2);
    } else {
        rc = r == SQLITE_DONE ? CG_ENOTFOUND : cg_db_fail(s->db, r, "lookup", err);
    }
    sqlite3_reset(st);
    return rc;
}

int cg_store_port_doc_guid_used(struct cg_store_port *s, const char *guid, char *msg_guid,
                                size_t size, char *sender, size_t sender_size, struct cg_err *err)
{
    return lookup(s, Q_DOC_GUID, guid, msg_guid, size, sender, sender_size, err);
}

int cg_store_port_bkey_added(struct cg_store_port *s, const char *bkey, char *guid, size_t size,
                             char *sender, size_t sender_size, struct cg_err *err)
{
    return lookup(s, Q_BKEY, bkey, guid, size, sender, sender_size, err);
}

int cg_store_port_document_add(struct cg_store_port *s, const struct cg_store_port_document *d,
                               int64_t *id, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = stmt(s, Q_INS_DOCUMENT, &st, err)) != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, d->message_id);
    bind_text(st, 2, d->guid);
    sqlite3_bind_int(st, 3, d->msg_type);
    bind_text(st, 4, d->app_type);
    bind_text(st, 5, d->bkey);
    bind_text(st, 6, d->pre_no);
    bind_text(st, 7, d->invt_no != NULL && d->invt_no[0] != '\0' ? d->invt_no : NULL);
    bind_text(st, 8, d->sum_no != NULL && d->sum_no[0] != '\0' ? d->sum_no : NULL);
    bind_text(st, 9, d->doc_json);
    sqlite3_bind_int64(st, 10, d->accepted_ms);
    bind_text(st, 11, d->sender);
    rc = done(s, st, "storing a document", err);
    if (rc == CG_OK)
        *id = sqlite3_last_insert_rowid(cg_db_handle(s->db));
    return rc;
}

int cg_store_port_counter_next(struct cg_store_port *s, const char *name, const char *key,
                               long *out, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    int r;

    if ((rc = stmt(s, Q_COUNTER, &st, err)) != CG_OK)
        return rc;
    bind_text(st, 1, name);
    bind_text(st, 2, key);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *out = (long)sqlite3_column_int64(st, 0);
    else
        rc = cg_db_fail(s->db, r, "counter", err);
    sqlite3_reset(st);
    return rc;
}

int cg_store_port_inventory(struct cg_store_port *s, const char *invt_no, int64_t summary_id,
                            char **doc_json, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    int r;

    if ((rc = stmt(s, Q_INVENTORY, &st, err)) != CG_OK)
        return rc;
    bind_text(st, 1, invt_no);
    sqlite3_bind_int64(st, 2, summary_id);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        *doc_json = cg_strdup(col(st, 0));
        if (*doc_json == NULL)
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    } else {
        rc = r == SQLITE_DONE ? CG_ENOTFOUND : cg_db_fail(s->db, r, "inventory lookup", err);
    }
    sqlite3_reset(st);
    return rc;
}

/* ------------------------------------------------------------------ planned receipts */

int cg_store_port_schedule_add(struct cg_store_port *s, int64_t document_id, int64_t due_ms,
                               int receipt_type, int status, const char *info, bool last,
                               struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = stmt(s, Q_INS_SCHEDULE, &st, err)) != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, document_id);
    sqlite3_bind_int64(st, 2, due_ms);
    sqlite3_bind_int(st, 3, receipt_type);
    sqlite3_bind_int(st, 4, status);
    bind_text(st, 5, info);
    sqlite3_bind_int(st, 6, last ? 1 : 0);
    return done(s, st, "planning receipts", err);
}

int cg_store_port_due(struct cg_store_port *s, int64_t now_ms, int limit, cg_store_port_due_fn fn,
                      void *ctx, struct cg_err *err)
{
    struct cg_store_port_due d;
    sqlite3_stmt *st = NULL;
    int rc;
    int r;

    if ((rc = stmt(s, Q_DUE, &st, err)) != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int(st, 2, limit);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        d.sched_id = sqlite3_column_int64(st, 0);
        d.doc_id = sqlite3_column_int64(st, 1);
        d.receipt_type = sqlite3_column_int(st, 2);
        d.status = sqlite3_column_int(st, 3);
        d.last = sqlite3_column_int(st, 4) != 0;
        d.info = col(st, 5);
        d.req_type = sqlite3_column_int(st, 6);
        d.doc_json = col(st, 7);
        if ((rc = fn(&d, ctx)) != CG_OK)
            break;
    }
    if (rc == CG_OK && r != SQLITE_DONE)
        rc = cg_db_fail(s->db, r, "due receipts", err);
    sqlite3_reset(st);
    return rc;
}

int cg_store_port_schedule_done(struct cg_store_port *s, int64_t sched_id, int64_t doc_id,
                                int status, bool final, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = stmt(s, status < 0 ? Q_SET_FINAL : Q_SET_STATUS, &st, err)) != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, doc_id);
    sqlite3_bind_int(st, 2, final ? 1 : 0);
    if (status >= 0)
        sqlite3_bind_int(st, 3, status);
    if ((rc = done(s, st, "publishing a receipt", err)) != CG_OK)
        return rc;
    if ((rc = stmt(s, Q_DEL_SCHEDULE, &st, err)) != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, sched_id);
    return done(s, st, "publishing a receipt", err);
}

int cg_store_port_next_due(struct cg_store_port *s, int64_t *out, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    int r;

    if ((rc = stmt(s, Q_NEXT_DUE, &st, err)) != CG_OK)
        return rc;
    r = sqlite3_step(st);
    if (r == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = r == SQLITE_ROW ? CG_ENOTFOUND : cg_db_fail(s->db, r, "next due receipt", err);
    sqlite3_reset(st);
    return rc;
}

/* ------------------------------------------------------------------ receipts and submissions */

int cg_store_port_receipt_add(struct cg_store_port *s, int64_t document_id, const char *sender,
                              int type, const char *msg_guid, const char *doc_guid,
                              const char *status, const char *created_at, const void *xml,
                              size_t len, int64_t *id, int64_t *row, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    int r;

    if ((rc = stmt(s, Q_INS_RECEIPT, &st, err)) != CG_OK)
        return rc;
    if (document_id > 0)
        sqlite3_bind_int64(st, 1, document_id);
    else
        sqlite3_bind_null(st, 1);
    sqlite3_bind_int(st, 2, type);
    bind_text(st, 3, msg_guid);
    bind_text(st, 4, doc_guid);
    bind_text(st, 5, status);
    bind_text(st, 6, created_at);
    sqlite3_bind_blob(st, 7, xml, (int)len, SQLITE_STATIC);
    bind_text(st, 8, sender);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        if (id != NULL)
            *id = sqlite3_column_int64(st, 0);
        if (row != NULL)
            *row = sqlite3_column_int64(st, 1);
    } else {
        rc = cg_db_fail(s->db, r, "receipt", err);
    }
    sqlite3_reset(st);
    return rc;
}

int cg_store_port_receipts(struct cg_store_port *s, const char *sender, int64_t since, int limit,
                           cg_store_port_receipt_fn fn, void *ctx, struct cg_err *err)
{
    struct cg_store_port_receipt rec;
    sqlite3_stmt *st = NULL;
    int rc;
    int r;

    if ((rc = stmt(s, Q_RECEIPTS, &st, err)) != CG_OK)
        return rc;
    sqlite3_bind_int64(st, 1, since);
    sqlite3_bind_int(st, 2, limit);
    bind_text(st, 3, sender);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        rec.id = sqlite3_column_int64(st, 0);
        rec.type = sqlite3_column_int(st, 1);
        rec.msg_guid = col(st, 2);
        rec.doc_guid = col(st, 3);
        rec.status = col(st, 4);
        rec.xml = sqlite3_column_blob(st, 5);
        rec.len = (size_t)sqlite3_column_bytes(st, 5);
        if ((rc = fn(&rec, ctx)) != CG_OK)
            break;
    }
    if (rc == CG_OK && r != SQLITE_DONE)
        rc = cg_db_fail(s->db, r, "receipts", err);
    sqlite3_reset(st);
    return rc;
}

int cg_store_port_submissions_between(struct cg_store_port *s, const char *from, const char *to,
                                      cg_store_port_count_fn fn, void *ctx, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    int r;

    if ((rc = stmt(s, Q_DAY_COUNT, &st, err)) != CG_OK)
        return rc;
    bind_text(st, 1, from);
    bind_text(st, 2, to);
    while ((r = sqlite3_step(st)) == SQLITE_ROW)
        if ((rc = fn(col(st, 0), (long)sqlite3_column_int64(st, 1), ctx)) != CG_OK)
            break;
    if (rc == CG_OK && r != SQLITE_DONE)
        rc = cg_db_fail(s->db, r, "submissions of the day", err);
    sqlite3_reset(st);
    return rc;
}

int cg_store_port_submission_add(struct cg_store_port *s, const struct cg_store_port_submission *m,
                                 struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = stmt(s, Q_INS_SUBMISSION, &st, err)) != CG_OK)
        return rc;
    bind_text(st, 1, m->received_at);
    bind_text(st, 2, m->guid != NULL && m->guid[0] != '\0' ? m->guid : NULL);
    if (m->msg_type != 0)
        sqlite3_bind_int(st, 3, m->msg_type);
    sqlite3_bind_int64(st, 4, m->size);
    bind_text(st, 5, m->sha256 != NULL && m->sha256[0] != '\0' ? m->sha256 : NULL);
    bind_text(st, 6, m->code);
    sqlite3_bind_int(st, 7, m->duplicate ? 1 : 0);
    bind_text(st, 8, m->text);
    bind_text(st, 9, m->remote != NULL && m->remote[0] != '\0' ? m->remote : NULL);
    bind_text(st, 10, m->sender);
    return done(s, st, "submission", err);
}

/* ------------------------------------------------------------------ views */

/* One number from sql (0 when NULL or no row). */
static int number(struct cg_store_port *s, const char *sql, long *out, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int r;

    r = sqlite3_prepare_v2(cg_db_handle(s->db), sql, -1, &st, NULL);
    if (r != SQLITE_OK)
        return cg_db_fail(s->db, r, "statistics", err);
    r = sqlite3_step(st);
    *out = r == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return r == SQLITE_ROW || r == SQLITE_DONE ? CG_OK : cg_db_fail(s->db, r, "statistics", err);
}

int cg_store_port_stats(struct cg_store_port *s, struct cg_store_port_stats *st, struct cg_err *err)
{
    sqlite3_stmt *q = NULL;
    int rc;
    int r;

    memset(st, 0, sizeof(*st));
    /* A few rows and two index look-ups, whatever the tables hold (schema step 4). */
    if ((rc = number(s, "SELECT max(id) FROM documents", &st->documents, err)) != CG_OK ||
        (rc = number(s, "SELECT seq FROM sqlite_sequence WHERE name = 'receipts'", &st->receipts,
                     err)) != CG_OK ||
        (rc = number(s, "SELECT count(*) FROM schedule", &st->receipts_pending, err)) != CG_OK)
        return rc;
    /* 'code 0000', 'code 0000 again', 'code 0001', ...: codes in order. */
    r = sqlite3_prepare_v2(cg_db_handle(s->db),
                           "SELECT key, value FROM counters WHERE name = 'stats' ORDER BY key", -1,
                           &q, NULL);
    if (r != SQLITE_OK)
        return cg_db_fail(s->db, r, "statistics", err);
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        const char *key = col(q, 0);
        long n = (long)sqlite3_column_int64(q, 1);

        if (strcmp(key, "documents_final") == 0) {
            st->documents_final = n;
            continue;
        }
        if (strncmp(key, "code ", 5) != 0)
            continue;
        st->received += n;
        if (strcmp(key + 5, "0000") == 0) {
            st->accepted += n;
        } else if (strcmp(key + 5, "0000 again") == 0) {
            st->accepted_again += n;
        } else {
            st->rejected += n;
            if (n > 0 && st->ncodes < sizeof(st->by_code) / sizeof(st->by_code[0])) {
                cg_strlcpy(st->by_code[st->ncodes].code, key + 5,
                           sizeof(st->by_code[st->ncodes].code));
                st->by_code[st->ncodes].n = n;
                st->ncodes++;
            }
        }
    }
    if (r != SQLITE_DONE)
        rc = cg_db_fail(s->db, r, "statistics", err);
    sqlite3_finalize(q);
    return rc;
}

int cg_store_port_dump_documents(struct cg_store_port *s, FILE *fp, struct cg_err *err)
{
    char f[4][2048];
    sqlite3_stmt *st = NULL;
    int rc = CG_OK;
    int r;

    r = sqlite3_prepare_v2(cg_db_handle(s->db),
                           "SELECT msg_type, guid, bkey, pre_no, invt_no, status, final "
                           "FROM documents ORDER BY id",
                           -1, &st, NULL);
    if (r != SQLITE_OK)
        return cg_db_fail(s->db, r, "documents", err);
    /* Fields come from messages: control characters (a tab, a newline) are printed escaped, so
     * that each document stays one row of 7 tab-separated fields. */
    while ((r = sqlite3_step(st)) == SQLITE_ROW)
        fprintf(fp, "CEB%s\t%s\t%s\t%s\t%s\t%s\t%s\n", col(st, 0),
                cg_text_show(col(st, 1), f[0], sizeof(f[0])),
                cg_text_show(col(st, 2), f[1], sizeof(f[1])),
                cg_text_show(col(st, 3), f[2], sizeof(f[2])),
                cg_text_show(col(st, 4), f[3], sizeof(f[3])), col(st, 5), col(st, 6));
    if (r != SQLITE_DONE)
        rc = cg_db_fail(s->db, r, "documents", err);
    sqlite3_finalize(st);
    return rc;
}

int cg_store_port_inventories_of(struct cg_store_port *s, const char *logistics_no,
                                 int64_t departure_id,
                                 int (*fn)(int64_t doc_id, const char *guid, void *ctx), void *ctx,
                                 struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = CG_OK;
    int r = sqlite3_prepare_v2(cg_db_handle(s->db),
                               "SELECT i.id, i.guid FROM documents i JOIN documents d ON d.id = ?2 "
                               "WHERE i.msg_type = 603 AND i.sender IS d.sender AND "
                               "json_extract(i.doc, '$.logisticsNo') = ?1 AND "
                               "coalesce(i.status, 0) <> 899 ORDER BY i.id",
                               -1, &st, NULL);

    if (r != SQLITE_OK)
        return cg_db_fail(s->db, r, "preparing a statement", err);
    sqlite3_bind_text(st, 1, logistics_no, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, departure_id);
    while (rc == CG_OK && (r = sqlite3_step(st)) == SQLITE_ROW)
        rc = fn(sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1), ctx);
    if (rc == CG_OK && r != SQLITE_DONE)
        rc = cg_db_fail(s->db, r, "reading inventories", err);
    sqlite3_finalize(st);
    return rc;
}
