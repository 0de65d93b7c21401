/*
 * spool-status.c - reports from the lifecycle database for `cebgate status`.
 *
 * Read-only queries; the report is written to the caller's stream (like cg_conf_dump). An
 * order or file that is not in the database is CG_ENOTFOUND with a message saying so.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "spool/spool-int.h"

static const char *col(sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return s != NULL ? s : "";
}

static int prep(struct cg_db *db, const char *sql, sqlite3_stmt **st, struct cg_err *err)
{
    int r = sqlite3_prepare_v2(cg_db_handle(db), sql, -1, st, NULL);
    return r == SQLITE_OK ? CG_OK : cg_db_fail(db, r, "status", err);
}

static int order_report(struct cg_db *db, const char *no, FILE *fp, struct cg_err *err)
{
    sqlite3_stmt *o = NULL, *d = NULL, *m = NULL, *r = NULL, *c = NULL;
    int found = 0;
    int rc;

    rc = prep(db,
              "SELECT o.id, o.seller, o.order_no, o.created_at, o.updated_at, f.name "
              "FROM orders o LEFT JOIN input_files f ON f.id = o.last_file WHERE o.order_no = ?",
              &o, err);
    if (rc == CG_OK)
        rc = prep(db,
                  "SELECT id, msg_type, business_key, version, guid, state, "
                  "coalesce(status, ''), coalesce(status_info, ''), coalesce(pre_no, ''), "
                  "coalesce(invt_no, '') FROM documents WHERE order_id = ? ORDER BY msg_type",
                  &d, err);
    if (rc == CG_OK)
        rc = prep(db,
                  "SELECT id, version, app_type, guid, file_name, state, created_at, "
                  "coalesce(sent_at, '') FROM messages WHERE document_id = ? ORDER BY version",
                  &m, err);
    if (rc == CG_OK)
        rc = prep(db,
                  "SELECT c.status, c.reason, c.noted_at, coalesce(f.name, ''), c.line, "
                  "coalesce(c.done_at, '') FROM cancel_needed c LEFT JOIN input_files f ON "
                  "f.id = c.input_file WHERE c.order_id = ?",
                  &c, err);
    if (rc == CG_OK)
        rc = prep(db,
                  "SELECT received_at, msg_type, coalesce(status, ''), coalesce(return_time, ''), "
                  "outcome, coalesce(return_info, '') FROM receipts WHERE message_id = ? "
                  "ORDER BY id",
                  &r, err);
    if (rc != CG_OK)
        goto done;
    sqlite3_bind_text(o, 1, no, -1, SQLITE_STATIC);
    while (sqlite3_step(o) == SQLITE_ROW) {
        found++;
        fprintf(fp, "order %s  seller %s  first seen %s  last changed %s  from %s\n", col(o, 2),
                col(o, 1)[0] ? col(o, 1) : "(default)", col(o, 3), col(o, 4), col(o, 5));
        sqlite3_reset(d);
        sqlite3_bind_int64(d, 1, sqlite3_column_int64(o, 0));
        while (sqlite3_step(d) == SQLITE_ROW) {
            fprintf(fp, "  CEB%d %s  version %d  %s%s%s%s\n", sqlite3_column_int(d, 1), col(d, 2),
                    sqlite3_column_int(d, 3), col(d, 5), col(d, 6)[0] ? " (" : "", col(d, 6),
                    col(d, 6)[0] ? ")" : "");
            if (col(d, 7)[0])
                fprintf(fp, "    info: %s\n", col(d, 7));
            if (col(d, 8)[0] || col(d, 9)[0])
                fprintf(fp, "    preNo %s  invtNo %s\n", col(d, 8), col(d, 9));
            sqlite3_reset(m);
            sqlite3_bind_int64(m, 1, sqlite3_column_int64(d, 0));
            while (sqlite3_step(m) == SQLITE_ROW) {
                fprintf(fp, "    %s  v%d %s  guid %s  %s  file %s\n", col(m, 6),
                        sqlite3_column_int(m, 1), sqlite3_column_int(m, 2) == 2 ? "modify" : "add",
                        col(m, 3), col(m, 5), col(m, 4));
                if (col(m, 7)[0])
                    fprintf(fp, "    %s  v%d sent\n", col(m, 7), sqlite3_column_int(m, 1));
                sqlite3_reset(r);
                sqlite3_bind_int64(r, 1, sqlite3_column_int64(m, 0));
                while (sqlite3_step(r) == SQLITE_ROW)
                    fprintf(fp, "    %s  v%d receipt CEB%d status %s (%s) %s%s%s\n", col(r, 0),
                            sqlite3_column_int(m, 1), sqlite3_column_int(r, 1), col(r, 2),
                            col(r, 4), col(r, 3), col(r, 5)[0] ? " " : "", col(r, 5));
            }
        }
        sqlite3_reset(c);
        sqlite3_bind_int64(c, 1, sqlite3_column_int64(o, 0));
        if (sqlite3_step(c) == SQLITE_ROW)
            fprintf(fp, "  %s  %s (%s) in %s:%d after its documents were sent: %s\n", col(c, 2),
                    col(c, 0), col(c, 1), col(c, 3), sqlite3_column_int(c, 4),
                    col(c, 5)[0] ? "cancellation declared" : "NEEDS A CANCELLATION");
    }
    if (found == 0) {
        sqlite3_stmt *j = NULL;
        if (prep(db,
                 "SELECT at, coalesce(reason, '') FROM rejections WHERE order_no = ? "
                 "ORDER BY id",
                 &j, err) == CG_OK) {
            sqlite3_bind_text(j, 1, no, -1, SQLITE_STATIC);
            while (sqlite3_step(j) == SQLITE_ROW) {
                found++;
                fprintf(fp, "order %s rejected %s: %s\n", no, col(j, 0), col(j, 1));
            }
        }
        sqlite3_finalize(j);
    }
    if (found == 0)
        rc = CG_ERR_SET(err, CG_ENOTFOUND, "order %s: not known", no);
done:
    sqlite3_finalize(o);
    sqlite3_finalize(d);
    sqlite3_finalize(m);
    sqlite3_finalize(r);
    sqlite3_finalize(c);
    return rc;
}

/* A file by its name as dropped, or SELLER/NAME as cebgate run prints it. */
static int file_report(struct cg_db *db, const char *arg, FILE *fp, struct cg_err *err)
{
    sqlite3_stmt *f = NULL, *j = NULL, *m = NULL;
    const char *slash = strchr(arg, '/');
    const char *name = slash != NULL ? slash + 1 : arg;
    int found = 0;
    int rc;

    rc = prep(db,
              "SELECT id, seller, name, active_name, size, sha256, outcome, coalesce(reason,''), "
              "taken_at, coalesce(finished_at, ''), orders_new, orders_modified, "
              "orders_unchanged, orders_rejected, orders_waiting, orders_skipped, "
              "orders_cancelled FROM input_files WHERE (name = ?1 OR "
              "active_name = ?1) AND (?2 IS NULL OR seller = ?2) ORDER BY id",
              &f, err);
    if (rc == CG_OK)
        rc = prep(db,
                  "SELECT line, order_no, reason FROM rejections WHERE input_file = ? "
                  "ORDER BY line",
                  &j, err);
    if (rc == CG_OK)
        rc = prep(db, "SELECT count(*), sum(state = 'queued') FROM messages WHERE input_file = ?",
                  &m, err);
    if (rc != CG_OK)
        goto done;
    sqlite3_bind_text(f, 1, name, -1, SQLITE_STATIC);
    if (slash != NULL)
        sqlite3_bind_text(f, 2, arg, (int)(slash - arg), SQLITE_STATIC);
    while (sqlite3_step(f) == SQLITE_ROW) {
        found++;
        fprintf(fp, "file %s%s%s  %s  taken %s  finished %s\n", col(f, 1), col(f, 1)[0] ? "/" : "",
                col(f, 2), col(f, 6), col(f, 8), col(f, 9));
        fprintf(fp, "  %lld bytes  sha256 %s\n", (long long)sqlite3_column_int64(f, 4), col(f, 5));
        fprintf(fp,
                "  orders: %d new, %d modified, %d unchanged, %d rejected, %d waiting, %d "
                "skipped, %d cancelled\n",
                sqlite3_column_int(f, 10), sqlite3_column_int(f, 11), sqlite3_column_int(f, 12),
                sqlite3_column_int(f, 13), sqlite3_column_int(f, 14), sqlite3_column_int(f, 15),
                sqlite3_column_int(f, 16));
        sqlite3_reset(m);
        sqlite3_bind_int64(m, 1, sqlite3_column_int64(f, 0));
        if (sqlite3_step(m) == SQLITE_ROW)
            fprintf(fp, "  messages: %d (%d still queued)\n", sqlite3_column_int(m, 0),
                    sqlite3_column_int(m, 1));
        if (col(f, 7)[0])
            fprintf(fp, "  reason: %s\n", col(f, 7));
        sqlite3_reset(j);
        sqlite3_bind_int64(j, 1, sqlite3_column_int64(f, 0));
        while (sqlite3_step(j) == SQLITE_ROW)
            fprintf(fp, "  rejected: %s\n", col(j, 2));
    }
    if (found == 0)
        rc = CG_ERR_SET(err, CG_ENOTFOUND, "file %s: not known", arg);
done:
    sqlite3_finalize(f);
    sqlite3_finalize(j);
    sqlite3_finalize(m);
    return rc;
}

static int list_report(struct cg_db *db, int kind, FILE *fp, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    const char *sql;
    long n = 0;
    int rc;

    if (kind == CG_STATUS_PENDING)
        sql = "SELECT o.seller, o.order_no, d.msg_type, d.version, d.state, d.updated_at, "
              "d.guid FROM documents d JOIN orders o ON o.id = d.order_id WHERE NOT (d.state IN "
              "('released', 'closed', 'returned', 'rejected') OR (d.msg_type <> 603 AND "
              "d.state IN ('accepted', 'concluded'))) ORDER BY d.updated_at, d.id";
    else if (kind == CG_STATUS_CANCEL)
        sql = "SELECT o.seller, o.order_no, c.status, c.reason, c.noted_at, coalesce(f.name, ''), "
              "c.line FROM cancel_needed c JOIN orders o ON o.id = c.order_id LEFT JOIN "
              "input_files f ON f.id = c.input_file WHERE c.done_at IS NULL ORDER BY c.id";
    else if (kind == CG_STATUS_REJECTED)
        sql = "SELECT o.seller, o.order_no, d.msg_type, d.version, 'rejected', d.updated_at, "
              "coalesce(d.status, '') || ' ' || coalesce(d.status_info, '') FROM documents d "
              "JOIN orders o ON o.id = d.order_id WHERE d.state = 'rejected' "
              "UNION ALL SELECT r.seller, r.order_no, 0, 0, 'order', r.at, r.reason "
              "FROM rejections r ORDER BY 6";
    else
        sql = "SELECT '', coalesce(order_no, ''), msg_type, 0, coalesce(status, ''), "
              "received_at, coalesce(guid, '') || ' in ' || file_name FROM receipts "
              "WHERE outcome = 'unknown' ORDER BY id";
    rc = prep(db, sql, &st, err);
    if (rc != CG_OK)
        return rc;
    while (sqlite3_step(st) == SQLITE_ROW) {
        n++;
        if (kind == CG_STATUS_CANCEL)
            fprintf(fp, "%s  %s%s%s  %s (%s) in %s:%d after its documents were sent\n", col(st, 4),
                    col(st, 0), col(st, 0)[0] ? "/" : "", col(st, 1), col(st, 2), col(st, 3),
                    col(st, 5), sqlite3_column_int(st, 6));
        else if (kind == CG_STATUS_PENDING)
            fprintf(fp, "%s  %s%s%s  CEB%d v%d  %s  guid %s\n", col(st, 5), col(st, 0),
                    col(st, 0)[0] ? "/" : "", col(st, 1), sqlite3_column_int(st, 2),
                    sqlite3_column_int(st, 3), col(st, 4), col(st, 6));
        else if (kind == CG_STATUS_REJECTED && sqlite3_column_int(st, 2) == 0)
            fprintf(fp, "%s  order %s%s%s  %s\n", col(st, 5), col(st, 0), col(st, 0)[0] ? "/" : "",
                    col(st, 1), col(st, 6));
        else if (kind == CG_STATUS_REJECTED)
            fprintf(fp, "%s  %s%s%s  CEB%d v%d  rejected: %s\n", col(st, 5), col(st, 0),
                    col(st, 0)[0] ? "/" : "", col(st, 1), sqlite3_column_int(st, 2),
                    sqlite3_column_int(st, 3), col(st, 6));
        else
            fprintf(fp, "%s  CEB%d receipt status %s for unknown guid %s (order %s)\n", col(st, 5),
                    sqlite3_column_int(st, 2), col(st, 4), col(st, 6), col(st, 1));
    }
    sqlite3_finalize(st);
    fprintf(fp, "%ld %s\n", n,
            kind == CG_STATUS_PENDING    ? "documents pending"
            : kind == CG_STATUS_REJECTED ? "rejections"
            : kind == CG_STATUS_CANCEL   ? "orders need a cancellation (CEB605)"
                                         : "receipts for unknown guids");
    if (kind == CG_STATUS_PENDING) {
        /* Orders cancelled after they were declared are pending work too. */
        st = NULL;
        if (prep(db, "SELECT count(*) FROM cancel_needed WHERE done_at IS NULL", &st, err) ==
                CG_OK &&
            sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0)
            fprintf(fp, "%d orders need a cancellation (cebgate status --cancel)\n",
                    sqlite3_column_int(st, 0));
        sqlite3_finalize(st);
    }
    return CG_OK;
}

int cg_spool_status(struct cg_db *db, int kind, const char *arg, FILE *fp, struct cg_err *err)
{
    switch (kind) {
    case CG_STATUS_ORDER: return order_report(db, arg, fp, err);
    case CG_STATUS_FILE: return file_report(db, arg, fp, err);
    case CG_STATUS_PENDING:
    case CG_STATUS_REJECTED:
    case CG_STATUS_UNKNOWN:
    case CG_STATUS_CANCEL: return list_report(db, kind, fp, err);
    default: return CG_ERR_SET(err, CG_EINVAL, "unknown status kind %d", kind);
    }
}
