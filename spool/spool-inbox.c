/*
 * spool-inbox.c - apply the receipts in inbox/ to the documents, once each, and archive them.
 *
 * A receipt file may be a bare CEB receipt or one wrapped in dxp:DxpMsg. Every receipt entity
 * is appended to the receipts log with what it did: applied (the document moved forward),
 * duplicate (same state again), late (the document is already further), unknown (no message
 * with that guid: kept and reported), mismatch (the guid names a message the receipt does not
 * answer: another type, another business key, a malformed preNo/invtNo; kept and reported,
 * never applied) or no-state (a code that carries no state). Guids are matched whatever their
 * case. A CEB900 whose own guid is unknown is matched through oriCopMsgId, then through the
 * guid of the original message it carries. A port refusal (CEB900, negative code) for a
 * version customs already accepted is logged as late and warned about, never applied. Unknown
 * and mismatched receipts keep their business keys for `status --unknown`. Files are applied
 * in groups (up to GROUP_FILES, in name order: arrival order for the HTTP transport's
 * zero-padded receipt ids): the log rows and the SHA-256 of every file of a group are committed
 * in one transaction before its files move to archive/, and archive/ then inbox/ are fsync'ed
 * once for the group; a file whose SHA-256 is already recorded (or is a copy of one earlier in
 * the group) is only moved, so a crash in between applies nothing twice. A file that cannot be
 * read or parsed goes to failed/ with a .reason, alone: the rest of its group goes on. A
 * temporary failure (database, I/O) rolls the whole group back and leaves its files in inbox/.
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
#include "declare/declare.h"
#include "spool/spool-int.h"
#include "store/store-customs.h"
#include "store/store-flow.h"

/* Receipts for unknown guids named one by one in the log, per pass of inbox/: the HTTP transport
 * writes one file per receipt, so a limit per file would name every one of a backlog. */
#define UNKNOWN_LISTED 10
/* Inbox files applied in one transaction, and the bytes read for a group before it is applied
 * (a group holds every file's receipts in memory until its commit). */
#define GROUP_FILES 256
#define GROUP_BYTES (32u * 1024u * 1024u)

/* One inbox file of a group. */
struct apply_ctx {
    struct cg_spool *sp;
    const char *name; /* borrowed from the pass's list */
    char sha[65];
    bool known; /* applied before, or a copy of a file earlier in the group: only archived */
    struct cg_receipt_event *ev;
    size_t n;
    long applied, dup, late, unknown, mismatch;
    long refused_late; /* port refusals for documents customs already accepted (among late) */
};

/* Letters and digits only, 1..max of them. */
static bool number_ok(const char *s, size_t max)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++) {
        char c = s[n];

        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
            return false;
    }
    return n >= 1 && n <= max;
}

static bool same_key(const char *label, const char *got, const char *want, char *why, size_t size)
{
    char g[128], w[128];

    if (got != NULL && want != NULL && strcmp(got, want) == 0)
        return true;
    if (got == NULL)
        snprintf(why, size, "the receipt carries no %s (the document's is %s)", label,
                 cg_text_show(want, w, sizeof(w)));
    else
        snprintf(why, size, "the receipt's %s %s is not the document's %s", label,
                 cg_text_show(got, g, sizeof(g)), cg_text_show(want, w, sizeof(w)));
    return false;
}

bool cg_receipt_matches(const struct cg_receipt_event *e, const struct cg_receipt_target *t,
                        char *why, size_t size)
{
    int m = t->msg_type;
    char shown[128];

    if (e->msg_type == 900) {
        char want[24];

        /* oriMessageType names the rejected message's type ("Unknown" when the port could not
         * tell); another type means the guid is not the one the receipt is about. */
        snprintf(want, sizeof(want), "CEB%03dMessage", m);
        if (e->ori_msg_type != NULL && strcmp(e->ori_msg_type, "Unknown") != 0 &&
            strcmp(e->ori_msg_type, want) != 0) {
            snprintf(why, size, "a CEB900 about a %s does not answer a CEB%03d message",
                     cg_text_show(e->ori_msg_type, shown, sizeof(shown)), m);
            return false;
        }
        return true;
    }
    if (e->msg_type != m + 1 && !(m == 701 && e->msg_type == 792)) {
        snprintf(why, size, "a CEB%03d receipt does not answer a CEB%03d message", e->msg_type, m);
        return false;
    }
    if (m == 303 || m == 403) {
        if (!same_key("orderNo", e->order_no, t->business_key, why, size))
            return false;
    } else if (m == 505) {
        if (!same_key("logisticsNo", e->logistics_no, t->business_key, why, size))
            return false;
    } else if (e->msg_type != 792 && !same_key("copNo", e->cop_no, t->business_key, why, size)) {
        /* a CEB792 carries no copNo: its guid and inventory lines name the summary */
        return false;
    }
    if (e->order_no != NULL && !same_key("orderNo", e->order_no, t->order_no, why, size))
        return false;
    if (e->pre_no != NULL && !number_ok(e->pre_no, 18)) {
        snprintf(why, size, "preNo %s is not 1 to 18 letters and digits",
                 cg_text_show(e->pre_no, shown, sizeof(shown)));
        return false;
    }
    if (e->invt_no != NULL && !number_ok(e->invt_no, 20)) {
        snprintf(why, size, "invtNo %s is not 1 to 20 letters and digits",
                 cg_text_show(e->invt_no, shown, sizeof(shown)));
        return false;
    }
    return true;
}

static const char *outcome_of(int step)
{
    return step == CG_STEP_MOVE ? "applied" : step == CG_STEP_SAME ? "duplicate" : "late";
}

/* Apply one receipt entity: decide what it does, move the message and document, log it. */
static int apply_one(struct cg_store *st, struct apply_ctx *c, struct cg_receipt_event *e,
                     struct cg_err *err)
{
    struct cg_store_target t;
    struct cg_store_receipt log;
    int next = cg_doc_state_of_receipt(e->msg_type, e->status);
    const char *outcome;
    bool seen = false;
    char why[512];
    char g[160], o[160], rs[64];
    int rc;

    memset(&t, 0, sizeof(t));
    rc = cg_store_receipt_target(st, e->guid, &t, err);
    /* A CEB900 has a guid of its own: the message it refuses is named by oriCopMsgId (the DXP
     * CopMsgId, which is the message's guid) or by the original message it carries. */
    if (rc == CG_ENOTFOUND && e->msg_type == 900 && e->ori_cop_msg_id != NULL)
        rc = cg_store_receipt_target(st, e->ori_cop_msg_id, &t, err);
    if (rc == CG_ENOTFOUND && e->msg_type == 900 && e->ori_biz_guid != NULL)
        rc = cg_store_receipt_target(st, e->ori_biz_guid, &t, err);
    if (rc != CG_OK && rc != CG_ENOTFOUND)
        return rc;
    /* Received text is shown escaped: it must not forge or hide log lines. */
    cg_text_show(e->guid != NULL ? e->guid : "(none)", g, sizeof(g));
    cg_text_show(e->order_no != NULL ? e->order_no : "-", o, sizeof(o));
    cg_text_show(e->return_status != NULL ? e->return_status : "-", rs, sizeof(rs));
    if (rc == CG_ENOTFOUND) {
        outcome = "unknown";
        /* the first few of a pass are named; the rest of the pass writes one more line */
        c->unknown++;
        if (c->sp->unknown_named < UNKNOWN_LISTED) {
            c->sp->unknown_named++;
            cg_warn("inbox/%s: CEB%03d receipt for unknown guid %s (order %s, status %s): "
                    "kept in the log",
                    c->name, e->msg_type, g, o, rs);
        } else {
            c->sp->unknown_unnamed++;
        }
    } else if (!cg_receipt_matches(
                   e, &(struct cg_receipt_target){t.msg_type, t.business_key, t.order_no}, why,
                   sizeof(why))) {
        outcome = "mismatch";
        c->mismatch++;
        cg_warn("inbox/%s: CEB%03d receipt for guid %s (order %s, status %s) not applied: %s; "
                "kept in the log",
                c->name, e->msg_type, g, o, rs, why);
    } else if (next == CG_DOC_NONE) {
        outcome = "no-state";
    } else {
        int cur = cg_doc_state_parse(t.msg_state);
        int step = cg_doc_state_step(cur, next);
        /* The same receipt again is a duplicate even when it would not move anything. */
        rc = cg_store_receipt_seen(st, t.msg_id, e->return_status, e->return_time, &seen, err);
        if (rc != CG_OK)
            return rc;
        if (seen) {
            step = CG_STEP_SAME;
        } else if (cg_doc_refusal_too_late(cur, e->msg_type, e->status)) {
            /* Customs already has this version: a port refusal now cannot undo that. */
            step = CG_STEP_LATE;
            c->refused_late++;
            cg_warn("inbox/%s: CEB%03d receipt for guid %s (order %s, status %s) not applied: "
                    "the CEB%03d was already %s by customs; kept in the log",
                    c->name, e->msg_type, g, o, rs, t.msg_type, t.msg_state);
        }
        outcome = outcome_of(step);
        if (step == CG_STEP_MOVE) {
            c->applied++;
            rc = cg_store_msg_set_state(st, t.msg_id, cg_doc_state_name(next), e->return_status,
                                        err);
            /* Only the current version decides the document's state. */
            if (rc == CG_OK && t.msg_version == t.doc_version &&
                cg_doc_state_step(cg_doc_state_parse(t.doc_state), next) == CG_STEP_MOVE)
                rc = cg_store_doc_set_state(st, t.doc_id, cg_doc_state_name(next), e->return_status,
                                            e->return_info, err);
            /* A concluded cancellation (CEB606 399) cancels the order's inventory. */
            if (rc == CG_OK && t.msg_type == CG_MSG_INVT_CANCEL && next == CG_DOC_CONCLUDED &&
                t.msg_version == t.doc_version)
                rc = cg_store_cancel_concluded(st, t.doc_id, e->return_status, e->return_info, err);
            if (rc != CG_OK)
                return rc;
        } else if (step == CG_STEP_SAME) {
            c->dup++;
        } else {
            c->late++;
        }
        /* Numbers come only from a receipt for the current version that is not late: a late
         * or an old version's receipt changes nothing (the next modify carries them). */
        if ((e->pre_no != NULL || e->invt_no != NULL) && t.msg_version == t.doc_version &&
            step != CG_STEP_LATE) {
            rc = cg_store_doc_set_numbers(st, t.doc_id, e->pre_no, e->invt_no, err);
            if (rc != CG_OK)
                return rc;
        }
    }
    memset(&log, 0, sizeof(log));
    log.file_name = c->name;
    log.msg_type = e->msg_type;
    log.receipt_guid = e->msg_guid;
    log.guid = e->guid;
    log.order_no = e->order_no;
    log.status = e->return_status;
    log.return_time = e->return_time;
    log.return_info = e->return_info;
    log.msg_id = t.msg_id;
    log.outcome = outcome;
    log.logistics_no = e->logistics_no;
    log.cop_no = e->cop_no;
    log.pre_no = e->pre_no;
    log.invt_no = e->invt_no;
    log.sum_no = e->sum_no;
    return cg_store_receipt_log(st, &log, err);
}

/*
 * What customs says beyond the document states: a CEB792's declaration number (entryId) and
 * the inventory lines merged into it, a CEB214's return of exported goods. A CEB792 without
 * an entryId (no declaration yet) records nothing.
 */
static int record_customs(struct cg_store *st, const struct cg_receipt_event *e, struct cg_err *err)
{
    if (e->msg_type == 792 && e->entry_id != NULL) {
        struct cg_customs_line *lines = NULL;
        struct cg_customs_entry ce;
        size_t i;
        int rc;

        if (e->nlines > 0 && (lines = calloc(e->nlines, sizeof(*lines))) == NULL)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        for (i = 0; i < e->nlines; i++) {
            lines[i].invt_no = e->lines[i].invt_no;
            lines[i].logistics_no = e->lines[i].logistics_no;
            lines[i].gnum = e->lines[i].gnum;
            lines[i].gcode = e->lines[i].gcode;
        }
        memset(&ce, 0, sizeof(ce));
        ce.entry_id = e->entry_id;
        ce.sum_no = e->sum_no;
        ce.decl_seq_no = e->decl_seq_no;
        ce.dec_state = e->return_status;
        ce.op_date = e->return_time;
        ce.receipt_guid = e->msg_guid;
        ce.lines = lines;
        ce.nlines = e->nlines;
        rc = cg_store_customs_entry_put(st, &ce, err);
        free(lines);
        return rc;
    }
    if (e->msg_type == 214) {
        struct cg_customs_return r = {e->msg_guid,      e->guid,        e->cop_no,     e->invt_no,
                                      e->return_status, e->return_time, e->return_info};
        return cg_store_customs_return_add(st, &r, err);
    }
    return CG_OK;
}

static int apply_file(struct cg_store *st, struct apply_ctx *c, struct cg_err *err)
{
    size_t i;
    int rc = CG_OK;

    for (i = 0; i < c->n && rc == CG_OK; i++) {
        rc = apply_one(st, c, &c->ev[i], err);
        if (rc == CG_OK)
            rc = record_customs(st, &c->ev[i], err);
    }
    if (rc == CG_OK)
        rc = cg_store_receipt_file_add(st, c->sha, c->name, (long)c->n, err);
    return rc;
}

struct group {
    struct apply_ctx f[GROUP_FILES];
    size_t n;
    size_t bytes;
};

/* Every file of the group not applied before, in name order, in one transaction. */
static int group_tx(struct cg_store *st, void *vctx, struct cg_err *err)
{
    struct group *g = vctx;
    size_t i;
    int rc = CG_OK;

    for (i = 0; i < g->n && rc == CG_OK; i++) {
        struct apply_ctx *c = &g->f[i];

        /* a rolled-back attempt leaves nothing counted */
        c->applied = c->dup = c->late = c->unknown = c->mismatch = c->refused_late = 0;
        if (!c->known)
            rc = apply_file(st, c, err);
    }
    return rc;
}

static void inbox_fail(struct cg_spool *sp, const char *name, const char *why)
{
    struct cg_err e;
    char used[CG_FS_NAME_MAX + 16];
    char shown[CG_FS_NAME_MAX + 1];
    char base[48];
    char sha[65];
    char reason[2048];
    size_t i;
    int tofd;

    cg_err_clear(&e);
    /* A name the spool refuses (a newline, a control character) is shown with '?' for them and
     * moved under a safe name of its own, so that its .reason can be written beside it. */
    cg_strlcpy(shown, name, sizeof(shown));
    for (i = 0; shown[i] != '\0'; i++)
        if ((unsigned char)shown[i] < 0x20 || shown[i] == 0x7f)
            shown[i] = '?';
    snprintf(reason, sizeof(reason), "inbox/%s: %s", shown, why);
    cg_warn("%s", reason);
    sp->st.receipt_files_failed++;
    tofd = spool_subdir(sp, D_FAILED, "inbox", &e);
    if (tofd < 0)
        return;
    cg_sha256_hex(name, strlen(name), sha);
    snprintf(base, sizeof(base), "bad-name-%.16s", sha);
    if (spool_move_unique_as(sp->dfd[D_INBOX], name, tofd,
                             cg_spool_name_problem(name) != NULL ? base : name, used, sizeof(used),
                             &e) == CG_OK)
        spool_write_reason(sp, tofd, used, reason, &e);
    else
        cg_warn("inbox/%s: cannot move it to failed/inbox: %s", shown, e.msg);
    close(tofd);
}

/*
 * Read and parse inbox/name into the group's next slot. A file that cannot be read or parsed
 * is failed alone (it takes no slot); a temporary read error is returned and the file stays.
 */
static int read_one(struct cg_spool *sp, struct group *g, const char *name, struct cg_err *err)
{
    struct cg_buf b;
    struct cg_err e;
    struct apply_ctx *c = &g->f[g->n];
    xmlDocPtr doc = NULL, inner = NULL;
    char *xml = NULL;
    size_t xlen = 0;
    size_t i;
    bool known = false;
    int rc = CG_OK;
    int r;

    memset(c, 0, sizeof(*c));
    cg_err_clear(&e);
    cg_buf_init(&b, CG_XML_MAX);
    if (cg_spool_name_problem(name) != NULL) {
        inbox_fail(sp, name, cg_spool_name_problem(name));
        goto done;
    }
    r = cg_fs_read_at(sp->dfd[D_INBOX], name, CG_XML_MAX, &b, &e);
    if (r == CG_ENOTFOUND)
        goto done;
    if (cg_rc_temporary(r)) {
        /* A read error is not the receipt's fault: it stays in inbox/ for the next run. */
        rc = CG_ERR_SET(err, r, "inbox/%s: %s", name, e.msg);
        goto done;
    }
    if (r != CG_OK) {
        inbox_fail(sp, name, e.msg);
        goto done;
    }
    c->sp = sp;
    c->name = name;
    cg_sha256_hex(b.data != NULL ? b.data : "", b.len, c->sha);
    /* A failed look-up stops the pass: read as "not seen" it would apply the file twice. */
    rc = cg_store_receipt_file_known(sp->store, c->sha, &known, err);
    if (rc != CG_OK)
        goto done;
    /* the same bytes earlier in this group are recorded by the group's own commit */
    for (i = 0; i < g->n && !known; i++)
        known = !g->f[i].known && strcmp(g->f[i].sha, c->sha) == 0;
    if (known) {
        cg_info("inbox/%s: already applied; archived again", name);
        c->known = true;
        g->n++;
        goto done;
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
    if (cg_receipt_parse(inner != NULL ? inner : doc, &c->ev, &c->n, &e) != CG_OK) {
        inbox_fail(sp, name, e.msg[0] ? e.msg : "not a receipt");
        goto done;
    }
    g->bytes += b.len;
    g->n++;
done:
    if (inner != NULL)
        xmlFreeDoc(inner);
    if (doc != NULL)
        xmlFreeDoc(doc);
    free(xml);
    cg_buf_free(&b);
    return rc;
}

static void group_clear(struct group *g)
{
    size_t i;

    for (i = 0; i < g->n; i++)
        cg_receipt_events_free(g->f[i].ev, g->f[i].n);
    g->n = 0;
    g->bytes = 0;
}

/*
 * Apply the group in one transaction, then move its files to archive/ and make the moves
 * durable with one fsync of archive/ and one of inbox/. A crash before the fsyncs leaves some
 * files in inbox/ whose SHA-256 is recorded: the next pass only archives them.
 */
static int group_apply(struct cg_spool *sp, struct group *g, struct cg_err *err)
{
    char used[CG_FS_NAME_MAX + 16];
    size_t i, moved = 0;
    int rc;

    if (g->n == 0)
        return CG_OK;
    rc = cg_store_tx(sp->store, group_tx, g, err);
    if (rc != CG_OK)
        return rc;
    for (i = 0; i < g->n; i++) {
        struct apply_ctx *c = &g->f[i];

        if (c->known)
            continue;
        sp->st.receipts_applied += c->applied;
        sp->st.receipts_duplicate += c->dup;
        sp->st.receipts_late += c->late;
        sp->st.receipts_unknown += c->unknown;
        sp->st.receipts_mismatch += c->mismatch;
        spool_event(sp, CG_SPOOL_EV_RECEIPTS,
                    "receipts %s: %zu entr%s, %ld applied, %ld duplicate, %ld late, %ld unknown, "
                    "%ld mismatched",
                    c->name, c->n, c->n == 1 ? "y" : "ies", c->applied, c->dup, c->late, c->unknown,
                    c->mismatch);
    }
    for (i = 0; i < g->n && rc == CG_OK; i++) {
        sp->st.receipt_files++;
        rc = cg_fs_move_unique_unsynced_at(sp->dfd[D_INBOX], g->f[i].name, sp->dfd[D_ARCHIVE],
                                           g->f[i].name, used, sizeof(used), err);
        if (rc == CG_ENOTFOUND) {
            cg_err_clear(err);
            rc = CG_OK;
        } else if (rc == CG_OK) {
            moved++;
        }
    }
    /* archive/ first: a file is never only in an inbox/ that lost it */
    if (moved > 0) {
        struct cg_err e;
        int r;

        cg_err_clear(&e);
        r = cg_fs_fsync_dir_at(sp->dfd[D_ARCHIVE], &e);
        if (r == CG_OK)
            r = cg_fs_fsync_dir_at(sp->dfd[D_INBOX], &e);
        if (r != CG_OK && rc == CG_OK) {
            *err = e;
            rc = r;
        }
    }
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct unsent {
    int64_t *ids;
    size_t n, cap;
    struct cg_spool *sp;
    struct cg_err *err;
};

static int unsent_one(const struct cg_store_msg *m, void *vctx)
{
    struct unsent *u = vctx;
    int rc;

    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 64;
        int64_t *g = realloc(u->ids, cap * sizeof(*g));
        if (g == NULL)
            return CG_ERR_SET(u->err, CG_ENOMEM, "out of memory");
        u->ids = g;
        u->cap = cap;
    }
    /* The file is archived first, as for an acknowledged message; a name is never trusted. */
    if (cg_fs_name_ok(m->file_name)) {
        rc = spool_archive_sent(u->sp, m->file_name, u->err);
        if (rc != CG_OK)
            return rc;
    }
    u->ids[u->n++] = m->id;
    return CG_OK;
}

static int delivered_tx(struct cg_store *st, void *vctx, struct cg_err *err)
{
    struct unsent *u = vctx;
    size_t i;
    int rc = CG_OK;

    for (i = 0; i < u->n && rc == CG_OK; i++)
        rc = cg_store_msg_delivered(st, u->ids[i], err);
    return rc;
}

/*
 * A message the port answered with a receipt went out, even when the run that handed it over
 * stopped before recording the acknowledgement: archive it and record it as sent.
 */
int spool_settle_received(struct cg_spool *sp, struct cg_err *err)
{
    struct unsent u;
    int rc;

    memset(&u, 0, sizeof(u));
    u.sp = sp;
    u.err = err;
    rc = cg_store_msgs_received_unsent(sp->store, unsent_one, &u, err);
    if (rc == CG_OK && u.n > 0) {
        rc = cg_fs_fsync_dir_at(sp->dfd[D_ARCHIVE], err);
        if (rc == CG_OK)
            rc = cg_fs_fsync_dir_at(sp->dfd[D_OUTBOX], err);
        if (rc == CG_OK)
            rc = cg_store_tx(sp->store, delivered_tx, &u, err);
        if (rc == CG_OK)
            cg_info("%zu messages answered by receipts are recorded as sent and archived", u.n);
    }
    free(u.ids);
    return rc;
}

int spool_inbox(struct cg_spool *sp, struct cg_err *err)
{
    struct group *grp = NULL;
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
    sp->unknown_named = 0;
    sp->unknown_unnamed = 0;
    grp = calloc(1, sizeof(*grp));
    if (grp == NULL && n > 0)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    for (i = 0; i < n && rc == CG_OK; i++) {
        if (grp->n == 0 && sp->opts.stop != NULL && *sp->opts.stop)
            break;
        rc = read_one(sp, grp, names[i], err);
        if (rc != CG_OK) {
            /* the files read before it are applied; the pass stops after them */
            struct cg_err e;

            cg_err_clear(&e);
            if (group_apply(sp, grp, &e) != CG_OK)
                cg_warn("%s", e.msg);
            group_clear(grp);
            break;
        }
        if (grp->n == GROUP_FILES || grp->bytes >= GROUP_BYTES || i + 1 == n) {
            rc = group_apply(sp, grp, err);
            group_clear(grp);
        }
    }
    if (grp != NULL)
        group_clear(grp);
    free(grp);
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (sp->unknown_unnamed > 0)
        cg_warn(
            "inbox: %ld more receipt%s for unknown guids, not listed (cebgate status --unknown)",
            sp->unknown_unnamed, sp->unknown_unnamed == 1 ? "" : "s");
    if (rc == CG_OK)
        rc = spool_settle_received(sp, err);
    return rc;
}
