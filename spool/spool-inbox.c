/*
 * spool-inbox.c - apply the receipts in inbox/ to the documents, once each, and archive them.
 *
 * A receipt file may be a bare CEB receipt or one wrapped in dxp:DxpMsg. Every receipt entity
 * is appended to the receipts log with what it did: applied (the document moved forward),
 * duplicate (same state again), late (the document is already further), unknown (no message
 * with that guid: kept and reported), mismatch (the guid names a message the receipt does not
 * answer: another type, another business key, a malformed preNo/invtNo; kept and reported,
 * never applied) or no-state (a code that carries no state). The log rows
 * and the file's SHA-256 are committed in one transaction before the file moves to archive/;
 * a file whose SHA-256 is already recorded is only moved, so a crash in between applies
 * nothing twice. A file that cannot be parsed goes to failed/ with a .reason. Files are applied
 * in name order (arrival order for the HTTP transport's zero-padded receipt ids).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "core/text.h"
#include "spool/spool-int.h"

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

struct apply_ctx {
    struct cg_spool *sp;
    const char *name;
    const char *sha;
    struct cg_receipt_event *ev;
    size_t n;
    long applied, dup, late, unknown, mismatch;
};

static const char *outcome_of(int step)
{
    return step == CG_STEP_MOVE ? "applied" : step == CG_STEP_SAME ? "duplicate" : "late";
}

static int apply_tx(struct cg_db *db, void *vctx, struct cg_err *err)
{
    struct apply_ctx *c = vctx;
    sqlite3 *h = cg_db_handle(db);
    sqlite3_stmt *find = NULL, *ins = NULL, *upm = NULL, *upd = NULL, *keys = NULL;
    sqlite3_stmt *rf = NULL, *seen = NULL;
    size_t i;
    int r;
    int rc = CG_OK;

    r = sqlite3_prepare_v2(h,
                           "SELECT m.id, m.state, m.version, d.id, d.version, d.state, "
                           "m.msg_type, d.business_key, o.order_no, d.pre_no, d.invt_no "
                           "FROM messages m JOIN documents d ON d.id = m.document_id "
                           "JOIN orders o ON o.id = d.order_id WHERE m.guid = ?",
                           -1, &find, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_prepare_v2(h,
                               "INSERT INTO receipts(received_at, file_name, msg_type, "
                               "receipt_guid, guid, order_no, status, return_time, return_info, "
                               "message_id, outcome) VALUES (" NOW_SQL
                               ", ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               -1, &ins, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_prepare_v2(h, "UPDATE messages SET state = ?, status = ? WHERE id = ?", -1,
                               &upm, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_prepare_v2(h,
                               "UPDATE documents SET state = ?, status = ?, status_info = ?, "
                               "updated_at = " NOW_SQL " WHERE id = ?",
                               -1, &upd, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_prepare_v2(h,
                               "UPDATE documents SET pre_no = coalesce(?, pre_no), invt_no = "
                               "coalesce(?, invt_no) WHERE id = ?",
                               -1, &keys, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_prepare_v2(h,
                               "INSERT INTO receipt_files(sha256, name, events, received_at) "
                               "VALUES (?, ?, ?, " NOW_SQL ")",
                               -1, &rf, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_prepare_v2(h,
                               "SELECT 1 FROM receipts WHERE message_id = ? AND status IS ? AND "
                               "return_time IS ? AND outcome <> 'unknown' LIMIT 1",
                               -1, &seen, NULL);
    if (r != SQLITE_OK)
        goto sqlfail;
    for (i = 0; i < c->n; i++) {
        struct cg_receipt_event *e = &c->ev[i];
        sqlite3_int64 mid = 0, did = 0;
        int mstate = CG_DOC_NONE, dstate = CG_DOC_NONE, mver = 0, dver = 0;
        int next = cg_doc_state_of_receipt(e->msg_type, e->status);
        const char *outcome;
        bool matches = true;
        char why[512];

        sqlite3_reset(find);
        sqlite3_bind_text(find, 1, e->guid != NULL ? e->guid : "", -1, SQLITE_STATIC);
        r = sqlite3_step(find);
        if (r == SQLITE_ROW) {
            mid = sqlite3_column_int64(find, 0);
            mstate = cg_doc_state_parse((const char *)sqlite3_column_text(find, 1));
            mver = sqlite3_column_int(find, 2);
            did = sqlite3_column_int64(find, 3);
            dver = sqlite3_column_int(find, 4);
            dstate = cg_doc_state_parse((const char *)sqlite3_column_text(find, 5));
            {
                struct cg_receipt_target t = {sqlite3_column_int(find, 6),
                                              (const char *)sqlite3_column_text(find, 7),
                                              (const char *)sqlite3_column_text(find, 8),
                                              (const char *)sqlite3_column_text(find, 9),
                                              (const char *)sqlite3_column_text(find, 10)};

                matches = cg_receipt_matches(e, &t, why, sizeof(why));
            }
        } else if (r != SQLITE_DONE) {
            goto sqlfail;
        }
        sqlite3_reset(find);
        if (mid == 0 || !matches) {
            char g[160], o[160], st[64];

            /* Received text is shown escaped: it must not forge or hide log lines. */
            cg_text_show(e->guid != NULL ? e->guid : "(none)", g, sizeof(g));
            cg_text_show(e->order_no != NULL ? e->order_no : "-", o, sizeof(o));
            cg_text_show(e->return_status != NULL ? e->return_status : "-", st, sizeof(st));
            if (mid == 0) {
                outcome = "unknown";
                c->unknown++;
                cg_warn("inbox/%s: CEB%03d receipt for unknown guid %s (order %s, status %s): "
                        "kept in the log",
                        c->name, e->msg_type, g, o, st);
            } else {
                outcome = "mismatch";
                c->mismatch++;
                cg_warn("inbox/%s: CEB%03d receipt for guid %s (order %s, status %s) not "
                        "applied: %s; kept in the log",
                        c->name, e->msg_type, g, o, st, why);
            }
        } else if (next == CG_DOC_NONE) {
            outcome = "no-state";
        } else {
            int step = cg_doc_state_step(mstate, next);
            /* The same receipt again is a duplicate even when it would not move anything. */
            sqlite3_reset(seen);
            sqlite3_bind_int64(seen, 1, mid);
            if (e->return_status != NULL)
                sqlite3_bind_text(seen, 2, e->return_status, -1, SQLITE_STATIC);
            else
                sqlite3_bind_null(seen, 2);
            if (e->return_time != NULL)
                sqlite3_bind_text(seen, 3, e->return_time, -1, SQLITE_STATIC);
            else
                sqlite3_bind_null(seen, 3);
            if (sqlite3_step(seen) == SQLITE_ROW)
                step = CG_STEP_SAME;
            sqlite3_reset(seen);
            outcome = outcome_of(step);
            if (step == CG_STEP_MOVE) {
                c->applied++;
                sqlite3_reset(upm);
                sqlite3_bind_text(upm, 1, cg_doc_state_name(next), -1, SQLITE_STATIC);
                sqlite3_bind_text(upm, 2, e->return_status, -1, SQLITE_STATIC);
                sqlite3_bind_int64(upm, 3, mid);
                if ((r = sqlite3_step(upm)) != SQLITE_DONE)
                    goto sqlfail;
                /* Only the current version decides the document's state. */
                if (mver == dver && cg_doc_state_step(dstate, next) == CG_STEP_MOVE) {
                    sqlite3_reset(upd);
                    sqlite3_bind_text(upd, 1, cg_doc_state_name(next), -1, SQLITE_STATIC);
                    sqlite3_bind_text(upd, 2, e->return_status, -1, SQLITE_STATIC);
                    sqlite3_bind_text(upd, 3, e->return_info, -1, SQLITE_STATIC);
                    sqlite3_bind_int64(upd, 4, did);
                    if ((r = sqlite3_step(upd)) != SQLITE_DONE)
                        goto sqlfail;
                }
            } else if (step == CG_STEP_SAME) {
                c->dup++;
            } else {
                c->late++;
            }
            if (e->pre_no != NULL || e->invt_no != NULL) {
                sqlite3_reset(keys);
                sqlite3_bind_text(keys, 1, e->pre_no, -1, SQLITE_STATIC);
                sqlite3_bind_text(keys, 2, e->invt_no, -1, SQLITE_STATIC);
                sqlite3_bind_int64(keys, 3, did);
                if ((r = sqlite3_step(keys)) != SQLITE_DONE)
                    goto sqlfail;
            }
        }
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, c->name, -1, SQLITE_STATIC);
        sqlite3_bind_int(ins, 2, e->msg_type);
        sqlite3_bind_text(ins, 3, e->msg_guid, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 4, e->guid, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 5, e->order_no, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 6, e->return_status, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 7, e->return_time, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 8, e->return_info, -1, SQLITE_STATIC);
        if (mid != 0 && matches)
            sqlite3_bind_int64(ins, 9, mid);
        else
            sqlite3_bind_null(ins, 9);
        sqlite3_bind_text(ins, 10, outcome, -1, SQLITE_STATIC);
        if ((r = sqlite3_step(ins)) != SQLITE_DONE)
            goto sqlfail;
    }
    sqlite3_bind_text(rf, 1, c->sha, -1, SQLITE_STATIC);
    sqlite3_bind_text(rf, 2, c->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(rf, 3, (sqlite3_int64)c->n);
    if ((r = sqlite3_step(rf)) != SQLITE_DONE)
        goto sqlfail;
    goto done;
sqlfail:
    rc = cg_db_fail(db, r, "applying receipts", err);
done:
    sqlite3_finalize(find);
    sqlite3_finalize(ins);
    sqlite3_finalize(upm);
    sqlite3_finalize(upd);
    sqlite3_finalize(keys);
    sqlite3_finalize(rf);
    sqlite3_finalize(seen);
    return rc;
}

static bool sha_known(struct cg_spool *sp, const char *sha)
{
    sqlite3_stmt *st = NULL;
    bool known = false;

    if (sqlite3_prepare_v2(cg_db_handle(sp->db), "SELECT 1 FROM receipt_files WHERE sha256 = ?", -1,
                           &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
        known = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return known;
}

static void inbox_fail(struct cg_spool *sp, const char *name, const char *why)
{
    struct cg_err e;
    char used[CG_FS_NAME_MAX + 16];
    char reason[2048];
    int tofd;

    cg_err_clear(&e);
    snprintf(reason, sizeof(reason), "inbox/%s: %s", name, why);
    cg_warn("%s", reason);
    sp->st.receipt_files_failed++;
    tofd = spool_subdir(sp, D_FAILED, "inbox", &e);
    if (tofd < 0)
        return;
    if (spool_move_unique(sp->dfd[D_INBOX], name, tofd, used, sizeof(used), &e) == CG_OK)
        spool_write_reason(sp, tofd, used, reason, &e);
    close(tofd);
}

static int one_file(struct cg_spool *sp, const char *name, struct cg_err *err)
{
    struct cg_buf b;
    struct cg_err e;
    struct apply_ctx c;
    xmlDocPtr doc = NULL, inner = NULL;
    char *xml = NULL;
    size_t xlen = 0;
    char sha[65];
    char used[CG_FS_NAME_MAX + 16];
    int rc = CG_OK;
    int r;

    memset(&c, 0, sizeof(c));
    cg_err_clear(&e);
    cg_buf_init(&b, CG_XML_MAX);
    if (cg_spool_name_problem(name) != NULL) {
        inbox_fail(sp, name, cg_spool_name_problem(name));
        goto done;
    }
    r = cg_fs_read_at(sp->dfd[D_INBOX], name, CG_XML_MAX, &b, &e);
    if (r == CG_ENOTFOUND)
        goto done;
    if (r != CG_OK) {
        inbox_fail(sp, name, e.msg);
        goto done;
    }
    cg_sha256_hex(b.data != NULL ? b.data : "", b.len, sha);
    if (sha_known(sp, sha)) {
        cg_info("inbox/%s: already applied; archived again", name);
        goto archive;
    }
    if (cg_xml_parse(cg_buf_str(&b), b.len, name, &doc, &e) != CG_OK) {
        inbox_fail(sp, name, e.msg);
        goto done;
    }
    r = cg_dxp_unwrap(doc, &xml, &xlen, &e);
    if (r == CG_OK) {
        cg_err_clear(&e);
        if (cg_xml_parse(xml, xlen, name, &inner, &e) != CG_OK) {
            inbox_fail(sp, name, e.msg);
            goto done;
        }
    } else if (r != CG_ENOTFOUND) {
        inbox_fail(sp, name, e.msg);
        goto done;
    }
    cg_err_clear(&e);
    if (cg_receipt_parse(inner != NULL ? inner : doc, &c.ev, &c.n, &e) != CG_OK) {
        inbox_fail(sp, name, e.msg[0] ? e.msg : "not a receipt");
        goto done;
    }
    c.sp = sp;
    c.name = name;
    c.sha = sha;
    rc = cg_db_tx(sp->db, apply_tx, &c, err);
    if (rc != CG_OK)
        goto done;
    sp->st.receipts_applied += c.applied;
    sp->st.receipts_duplicate += c.dup;
    sp->st.receipts_late += c.late;
    sp->st.receipts_unknown += c.unknown;
    sp->st.receipts_mismatch += c.mismatch;
    spool_event(sp, CG_SPOOL_EV_RECEIPTS,
                "receipts %s: %zu entries, %ld applied, %ld duplicate, %ld late, %ld unknown, %ld "
                "mismatched",
                name, c.n, c.applied, c.dup, c.late, c.unknown, c.mismatch);
archive:
    sp->st.receipt_files++;
    rc = spool_move_unique(sp->dfd[D_INBOX], name, sp->dfd[D_ARCHIVE], used, sizeof(used), err);
    if (rc == CG_ENOTFOUND)
        rc = CG_OK;
done:
    cg_receipt_events_free(c.ev, c.n);
    if (inner != NULL)
        xmlFreeDoc(inner);
    if (doc != NULL)
        xmlFreeDoc(doc);
    free(xml);
    cg_buf_free(&b);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int spool_inbox(struct cg_spool *sp, struct cg_err *err)
{
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int fd;
    DIR *d;
    struct dirent *de;
    int rc = CG_OK;

    fd = openat(sp->dfd[D_INBOX], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        return CG_ERR_SET(err, CG_EIO, "inbox/: cannot list: %s", strerror(errno));
    }
    while ((de = readdir(d)) != NULL) {
        if (cg_spool_name_ignored(de->d_name) || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            char **g = realloc(names, (cap ? cap * 2 : 64) * sizeof(*g));
            if (g == NULL)
                break;
            names = g;
            cap = cap ? cap * 2 : 64;
        }
        names[n] = cg_strdup(de->d_name);
        if (names[n] != NULL)
            n++;
    }
    closedir(d);
    /* Name order: the HTTP transport names receipts by zero-padded id, so this is the order
     * the port published them in, and a later status is not taken for a late one. */
    if (n > 1)
        qsort(names, n, sizeof(*names), name_cmp);
    for (i = 0; i < n; i++) {
        if (rc == CG_OK && !(sp->opts.stop != NULL && *sp->opts.stop))
            rc = one_file(sp, names[i], err);
        free(names[i]);
    }
    free(names);
    return rc;
}
