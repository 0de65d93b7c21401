/*
 * spool-status.c - reports from the lifecycle database for `cebgate status`.
 *
 * Read-only walks through the store; the report is written to the caller's stream (like
 * cg_conf_dump). An order or file that is not in the database is CG_ENOTFOUND with a message
 * saying so; a failed read is CG_EDB/CG_EBUSY, never "not known".
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/text.h"
#include "spool/spool-int.h"
#include "store/store-dismiss.h"
#include "store/store-flow.h"
#include "store/store-intake.h"

/*
 * A value as text, escaped (core/text.h): receipts bring text from outside (returnInfo,
 * numbers, guids) that must not move the cursor or forge lines. Each call takes the next of 16
 * slots, enough for every value of one printed line.
 */
static const char *or_empty(const char *s)
{
    static char slot[16][4096];
    static unsigned next;

    return cg_text_show(s != NULL ? s : "", slot[next++ % 16], sizeof(slot[0]));
}

struct report {
    struct cg_store *st;
    FILE *fp;
    long found;
    int version; /* of the message whose receipts are printed */
    struct cg_err *err;
    const char *seller;        /* only this seller's orders; NULL: any */
    bool returned;             /* the order being shown has a return (CEB213) */
    int archive_fd, outbox_fd; /* where the messages as sent are read back; -1: not there */
    const char *order_no;      /* of the order being shown */
};

static int receipt_line(const struct cg_store_receipt *r, void *vctx)
{
    struct report *c = vctx;
    const char *info = or_empty(r->return_info);

    fprintf(c->fp, "    %s  v%d receipt CEB%d status %s (%s) %s%s%s\n", r->received_at, c->version,
            r->msg_type, or_empty(r->status), r->outcome, or_empty(r->return_time),
            info[0] ? " " : "", info);
    return CG_OK;
}

static int msg_lines(const struct cg_store_msg *m, void *vctx)
{
    struct report *c = vctx;

    fprintf(c->fp, "    %s  v%d %s  guid %s  %s  file %s\n", m->created_at, m->version,
            m->app_type == 2 ? "modify" : "add", m->guid, m->state, m->file_name);
    if (m->sent_at != NULL && m->sent_at[0])
        fprintf(c->fp, "    %s  v%d sent\n", m->sent_at, m->version);
    c->version = m->version;
    return cg_store_msg_receipts(c->st, m->id, receipt_line, c, c->err);
}

static int entry_line(long gnum, const char *entry_id, void *vctx)
{
    struct report *c = vctx;

    fprintf(c->fp, "    line %ld: customs declaration (entryId) %s\n", gnum, entry_id);
    return CG_OK;
}

/* A refused version an operator marked to go out again (cebgate resend). */
static int resend_line(int version, const char *at, const char *by, const char *reason, void *vctx)
{
    struct report *c = vctx;

    fprintf(c->fp, "    %s  v%d marked to go out again by %s: %s\n", at, version, or_empty(by),
            or_empty(reason));
    return CG_OK;
}

/* What the order declared: its current CEB303 as sent, read back from archive/ (or outbox/). */
static void declared_lines(struct report *c, const struct cg_store_doc *d)
{
    xmlDocPtr doc = NULL;
    struct cg_err e;
    char name[256];
    int rc;

    if (c->archive_fd < 0 && c->outbox_fd < 0)
        return;
    cg_err_clear(&e);
    rc = spool_sent_load_at(c->st, c->archive_fd, c->outbox_fd, d->id, d->version, &doc, name,
                            sizeof(name), &e);
    if (rc == CG_OK)
        spool_sent_order_lines(doc, c->order_no, c->fp);
    else if (rc == CG_ENOTFOUND && name[0] != '\0')
        fprintf(c->fp, "    declared: %s is no longer in archive/ ([spool] archive_days)\n",
                or_empty(name));
    else if (rc != CG_ENOTFOUND)
        fprintf(c->fp, "    declared: cannot be read back: %s\n", or_empty(e.msg));
    xmlFreeDoc(doc);
}

static int doc_lines(const struct cg_store_doc *d, void *vctx)
{
    struct report *c = vctx;
    const char *status = or_empty(d->status);
    int rc;

    fprintf(c->fp, "  CEB%d %s  version %d  %s%s%s%s\n", d->msg_type, or_empty(d->business_key),
            d->version, d->state, status[0] ? " (" : "", status, status[0] ? ")" : "");
    if (d->msg_type == CG_MSG_ORDER)
        declared_lines(c, d);
    if (d->status_info != NULL && d->status_info[0])
        fprintf(c->fp, "    info: %s\n", or_empty(d->status_info));
    if ((d->pre_no != NULL && d->pre_no[0]) || (d->invt_no != NULL && d->invt_no[0]))
        fprintf(c->fp, "    preNo %s  invtNo %s\n", or_empty(d->pre_no), or_empty(d->invt_no));
    if (d->msg_type == CG_MSG_INVENTORY && d->invt_no != NULL && d->invt_no[0]) {
        rc = cg_store_invt_entries(c->st, d->invt_no, entry_line, c, c->err);
        if (rc != CG_OK)
            return rc;
    }
    rc = cg_store_doc_msgs(c->st, d->id, msg_lines, c, c->err);
    if (rc == CG_OK)
        rc = cg_store_resend_marks(c->st, d->id, resend_line, c, c->err);
    return rc;
}

static int cancel_line(const struct cg_store_cancel *k, void *vctx)
{
    struct report *c = vctx;

    fprintf(c->fp, "  %s  %s (%s) in %s:%ld after its documents were sent: %s\n", k->noted_at,
            k->status, k->reason, k->file_name, k->line,
            k->done_at == NULL || !k->done_at[0] ? "NEEDS A CANCELLATION"
            : c->returned                        ? "return declared"
                                                 : "cancellation declared");
    return CG_OK;
}

static int has_return(const struct cg_store_return *r, void *vctx)
{
    (void)r;
    ((struct report *)vctx)->returned = true;
    return CG_OK;
}

static int return_line(const struct cg_store_return *r, void *vctx)
{
    struct report *c = vctx;

    fprintf(c->fp, "  %s  return (CEB213) declared, %s: lines %s: %s\n", r->declared_at, r->state,
            r->lines, r->reason);
    return CG_OK;
}

/* A rejection of an order declared since, under its timeline. */
static int order_rejection_line(const char *at, const char *reason, void *vctx)
{
    struct report *c = vctx;

    fprintf(c->fp, "  rejected %s: %s\n", at, or_empty(reason));
    return CG_OK;
}

static int order_lines(const struct cg_store_order *o, void *vctx)
{
    struct report *c = vctx;
    enum cg_store_owner kind;
    char name[200];
    int rc;

    if (c->seller != NULL && strcmp(o->seller, c->seller) != 0)
        return CG_OK;
    c->found++;
    c->order_no = o->order_no;
    /* A bill and a monthly summary are named as such, a bill with the manifest it came from. */
    kind = cg_store_owner_name(o->order_no, name, sizeof(name));
    fprintf(c->fp, "%s%s  seller %s  first seen %s  last changed %s",
            kind == CG_STORE_OWNER_ORDER ? "order " : "", name,
            o->seller[0] ? o->seller : "(default)", o->created_at, o->updated_at);
    if (kind == CG_STORE_OWNER_ORDER || o->last_file[0] != '\0')
        fprintf(c->fp, "  from %s%s", kind == CG_STORE_OWNER_BILL ? "manifest " : "", o->last_file);
    fputc('\n', c->fp);
    rc = cg_store_order_docs(c->st, o->id, doc_lines, c, c->err);
    c->returned = false;
    if (rc == CG_OK) {
        rc = cg_store_returned(c->st, o->seller, o->order_no, has_return, c, c->err);
        if (rc == CG_ENOTFOUND)
            rc = CG_OK;
    }
    if (rc == CG_OK)
        rc = cg_store_order_cancel(c->st, o->id, cancel_line, c, c->err);
    if (rc == CG_OK || rc == CG_ENOTFOUND)
        rc = cg_store_returned(c->st, o->seller, o->order_no, return_line, c, c->err);
    /* The files that rejected it before (or after) it was declared. */
    if (rc == CG_OK || rc == CG_ENOTFOUND)
        rc = cg_store_order_rejections(c->st, o->seller, o->order_no, order_rejection_line, c,
                                       c->err);
    return rc == CG_ENOTFOUND ? CG_OK : rc;
}

struct rej_ctx {
    FILE *fp;
    const char *no;
    long found;
};

static int rejection_line(const char *at, const char *reason, void *vctx)
{
    struct rej_ctx *c = vctx;

    c->found++;
    fprintf(c->fp, "order %s rejected %s: %s\n", c->no, at, reason);
    return CG_OK;
}

/*
 * What an order held back for its status was, in the words of docs/order-format.md ("Order
 * status"). The shop's own column and value (Financial Status 'pending') are not kept: the
 * run's output named them.
 */
static const char *held_why(int status)
{
    switch (status) {
    case CG_ORDER_WAIT:
        return "waiting (not paid yet, payment only authorized, or pending in that file: declared "
               "when a later file shows it live)";
    case CG_ORDER_SKIP:
        return "skipped (fully refunded or voided before shipping, or every item cancelled, in "
               "that file: never declared)";
    case CG_ORDER_CANCELLED: return "cancelled (cancelled in that file: never declared)";
    default:
        return "waiting, skipped or cancelled (which one is not known for a file taken before "
               "the database kept it)";
    }
}

static int held_line(const char *seller, const char *file, const char *at, int status, void *vctx)
{
    struct rej_ctx *c = vctx;

    c->found++;
    fprintf(c->fp, "order %s%s%s not declared: held back as %s by %s%s%s, taken %s\n", seller,
            seller[0] ? "/" : "", c->no, held_why(status), seller, seller[0] ? "/" : "", file, at);
    return CG_OK;
}

/*
 * The orders numbered no of seller (NULL: any seller), else their rejections, else the files
 * that held it back for its status (the run's output said which status and why).
 */
static int order_lookup(struct cg_store *st, const int dirs[2], const char *seller, const char *no,
                        FILE *fp, long *found, struct cg_err *err)
{
    struct report c = {st, fp, 0, 0, err, seller, false, dirs[0], dirs[1], NULL};
    struct rej_ctx j = {fp, no, 0};
    struct rej_ctx h = {fp, no, 0};
    int rc;

    rc = cg_store_orders_named(st, no, order_lines, &c, err);
    if (rc == CG_OK && c.found == 0)
        rc = cg_store_order_rejections(st, seller, no, rejection_line, &j, err);
    if (rc == CG_OK && c.found == 0 && j.found == 0)
        rc = cg_store_order_held(st, seller, no, held_line, &h, err);
    *found = c.found + j.found + h.found;
    return rc;
}

/*
 * An order by its number (every seller's order with it), or SELLER/ORDER-NO as the pending and
 * rejected lists print it. A number holding a '/' of its own is looked up whole first.
 */
static int order_report(struct cg_store *st, int workdir_fd, const char *arg, FILE *fp,
                        struct cg_err *err)
{
    const char *slash = strchr(arg, '/');
    char seller[256], key[256];
    long found = 0;
    int dirs[2] = {-1, -1};
    int rc;

    if (workdir_fd >= 0) {
        dirs[0] = openat(workdir_fd, "archive", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        dirs[1] = openat(workdir_fd, "outbox", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    rc = order_lookup(st, dirs, NULL, arg, fp, &found, err);
    /* "bill B" and "summary YYYYMM country C #N", as the lists print them */
    if (rc == CG_OK && found == 0 && cg_store_owner_key(arg, key, sizeof(key)))
        rc = order_lookup(st, dirs, NULL, key, fp, &found, err);
    if (rc == CG_OK && found == 0 && slash != NULL && (size_t)(slash - arg) < sizeof(seller)) {
        snprintf(seller, sizeof(seller), "%.*s", (int)(slash - arg), arg);
        rc = order_lookup(st, dirs, seller,
                          cg_store_owner_key(slash + 1, key, sizeof(key)) ? key : slash + 1, fp,
                          &found, err);
    }
    if (dirs[0] >= 0)
        close(dirs[0]);
    if (dirs[1] >= 0)
        close(dirs[1]);
    if (rc != CG_OK)
        return rc;
    if (found == 0)
        return CG_ERR_SET(err, CG_ENOTFOUND, "order %s: not known", arg);
    return CG_OK;
}

struct file_report_ctx {
    struct cg_store *st;
    FILE *fp;
    long found;
    struct cg_err *err;
};

static int file_rejection_line(long line, const char *order_no, const char *reason, void *vctx)
{
    FILE *fp = vctx;

    (void)line;
    (void)order_no;
    fprintf(fp, "  rejected: %s\n", reason);
    return CG_OK;
}

static int dismissal_line(const struct cg_store_dismissal *d, void *vctx)
{
    FILE *fp = vctx;

    fprintf(fp, "  dismissed %s by %s: %s\n", d->at, or_empty(d->by), or_empty(d->reason));
    return CG_OK;
}

/*
 * The line of the dismissal of seller/name's refusal made at refused_at (`cebgate dismiss`), if
 * any: when, by whom, and the operator's reason, escaped as received text is.
 */
static int dismissal(struct cg_store *st, const char *seller, const char *name,
                     const char *refused_at, FILE *fp, struct cg_err *err)
{
    int rc = cg_store_refusal_dismissal(st, seller, name, refused_at, dismissal_line, fp, err);

    return rc == CG_ENOTFOUND ? CG_OK : rc;
}

static int file_lines(const struct cg_store_file *f, void *vctx)
{
    struct file_report_ctx *c = vctx;
    long total = 0, queued = 0;
    int rc;

    c->found++;
    fprintf(c->fp, "file %s%s%s  %s  taken %s  finished %s\n", f->seller, f->seller[0] ? "/" : "",
            f->name, f->outcome, f->taken_at, or_empty(f->finished_at));
    if (strcmp(f->outcome, "failed") == 0) {
        rc = dismissal(c->st, f->seller, f->name, f->taken_at, c->fp, c->err);
        if (rc != CG_OK)
            return rc;
    }
    fprintf(c->fp, "  %lld byte%s  sha256 %s\n", (long long)f->size, f->size == 1 ? "" : "s",
            f->sha256);
    fprintf(c->fp,
            "  orders: %ld new, %ld modified, %ld unchanged, %ld rejected, %ld waiting, %ld "
            "skipped, %ld cancelled\n",
            f->orders_new, f->orders_modified, f->orders_unchanged, f->orders_rejected,
            f->orders_waiting, f->orders_skipped, f->orders_cancelled);
    rc = cg_store_file_messages(c->st, f->id, &total, &queued, c->err);
    if (rc != CG_OK)
        return rc;
    fprintf(c->fp, "  messages: %ld (%ld still queued)\n", total, queued);
    /* A file refused because its orders were: the reason's further lines are those orders'
     * rejections (the first 20), every one of which is listed below. */
    if (f->reason != NULL && f->reason[0])
        fprintf(c->fp, "  reason: %.*s\n",
                (int)(f->orders_rejected > 0 ? strcspn(f->reason, "\n") : strlen(f->reason)),
                f->reason);
    return cg_store_file_rejections(c->st, f->id, -1, file_rejection_line, c->fp, c->err);
}

/*
 * A statement, payout report, invoice or result file settle/ or refund/ took from incoming/: what
 * it is and its latest outcome; when refused whole, the reason, one line of it per line.
 */
static int intake_lines(const struct cg_store_intake *f, void *vctx)
{
    struct file_report_ctx *c = vctx;
    const char *p = f->reason;

    c->found++;
    fprintf(c->fp, "file %s%s%s  %s  %s  %s\n", f->seller, f->seller[0] ? "/" : "", f->name,
            f->kind, strcmp(f->outcome, "failed") == 0 ? "refused whole" : "imported", f->at);
    if (strcmp(f->outcome, "failed") == 0) {
        int rc = dismissal(c->st, f->seller, f->name, f->at, c->fp, c->err);
        if (rc != CG_OK)
            return rc;
    }
    while (p != NULL && *p != '\0') {
        size_t n = strcspn(p, "\n");
        fprintf(c->fp, "  reason: %.*s\n", (int)n, p);
        p += n + (p[n] == '\n');
    }
    if (f->reason != NULL)
        fprintf(c->fp,
                "  see failed/%s%s (with NAME.reason); put the fixed file back in incoming/%s%s "
                "under the same name\n",
                f->seller, f->seller[0] ? "/" : "", f->seller, f->seller[0] ? "/" : "");
    return CG_OK;
}

/* A file by its name as dropped, or SELLER/NAME as cebgate run prints it. */
static int file_report(struct cg_store *st, const char *arg, FILE *fp, struct cg_err *err)
{
    struct file_report_ctx c = {st, fp, 0, err};
    const char *slash = strchr(arg, '/');
    char seller[256];
    int rc;

    if (slash != NULL && (size_t)(slash - arg) >= sizeof(seller))
        return CG_ERR_SET(err, CG_ENOTFOUND, "file %s: not known", arg);
    if (slash != NULL)
        snprintf(seller, sizeof(seller), "%.*s", (int)(slash - arg), arg);
    rc = cg_store_files_named(st, slash != NULL ? seller : NULL, slash != NULL ? slash + 1 : arg,
                              file_lines, &c, err);
    if (rc == CG_OK)
        rc = cg_store_intake_named(st, slash != NULL ? seller : NULL,
                                   slash != NULL ? slash + 1 : arg, intake_lines, &c, err);
    if (rc == CG_ENOTFOUND) {
        cg_err_clear(err);
        rc = CG_OK;
    }
    if (rc != CG_OK)
        return rc;
    if (c.found == 0)
        return CG_ERR_SET(err, CG_ENOTFOUND, "file %s: not known", arg);
    return CG_OK;
}

struct list_ctx {
    FILE *fp;
    int kind;
    long n;
    long returns;       /* --cancel: of n, the orders whose goods have left: a return is needed */
    const char *seller; /* only this seller's items; NULL: every seller's */
};

/*
 * Whether an item of seller is listed (`status --seller NAME`). A receipt for an unknown guid
 * belongs to no seller: the store names none (''), which is not the default seller's ''.
 */
static int seller_listed(const struct list_ctx *c, const char *seller)
{
    if (c->seller != NULL && c->kind == CG_STATUS_UNKNOWN)
        return 0;
    return c->seller == NULL || strcmp(c->seller, seller) == 0;
}

static int list_line(const struct cg_store_item *it, void *vctx)
{
    struct list_ctx *c = vctx;
    const char *slash = it->seller[0] ? "/" : "";
    char name[200];

    if (!seller_listed(c, it->seller))
        return CG_OK;
    c->n++;
    if (c->fp == NULL) /* counting only */
        return CG_OK;
    /* a bill's or summary's documents under its name: "acme/bill MB-2" */
    cg_store_owner_name(it->order_no, name, sizeof(name));
    if (c->kind == CG_STATUS_PENDING)
        fprintf(c->fp, "%s  %s%s%s  CEB%d v%d  %s  guid %s\n", it->at, it->seller, slash, name,
                it->msg_type, it->version, it->state, it->detail);
    else if (c->kind == CG_STATUS_REJECTED && it->msg_type == 0)
        fprintf(c->fp, "%s  order %s%s%s  %s\n", it->at, it->seller, slash,
                it->order_no[0] ? it->order_no : "?", it->detail); /* "?": a line without one */
    else if (c->kind == CG_STATUS_REJECTED)
        fprintf(c->fp, "%s  %s%s%s  CEB%d v%d  rejected: %s\n", it->at, it->seller, slash, name,
                it->msg_type, it->version, or_empty(it->detail));
    else if (c->kind == CG_STATUS_INCOMPLETE)
        fprintf(c->fp,
                "%s  %s%s%s  CEB303 v%d %s, no waybill (CEB505) or inventory (CEB603): no "
                "shipment data in %s\n",
                it->at, it->seller, slash, it->order_no, it->version, it->state,
                or_empty(it->detail));
    else if (c->kind == CG_STATUS_HELD)
        fprintf(c->fp, "%s  %s%s%s  held back as %s by %s%s%s, not declared since\n", it->at,
                it->seller, slash, it->order_no,
                it->version >= 0 ? cg_order_status_name(it->version) : "waiting or unknown",
                it->seller, slash, or_empty(it->detail));
    else
        fprintf(c->fp, "%s  CEB%d receipt status %s for %s guid %s (%s)\n", it->at, it->msg_type,
                or_empty(it->state), it->version == 1 ? "mismatched" : "unknown",
                or_empty(it->detail),
                it->keys[0] != '\0' ? or_empty(it->keys) : "no business keys");
    return CG_OK;
}

static int cancel_list_line(const struct cg_store_cancel *k, void *vctx)
{
    struct list_ctx *c = vctx;

    if (!seller_listed(c, k->seller))
        return CG_OK;
    c->n++;
    if (k->departed)
        c->returns++;
    if (c->fp == NULL)
        return CG_OK;
    fprintf(c->fp, "%s  %s%s%s  %s (%s) in %s:%ld after its documents were sent", k->noted_at,
            k->seller, k->seller[0] ? "/" : "", k->order_no, k->status, k->reason, k->file_name,
            k->line);
    /* customs cancels no inventory whose goods have left: `cebgate cancel` refuses it */
    if (k->departed)
        fprintf(c->fp,
                "; the goods have left the country: a return is needed (cebgate return %s%s%s)",
                k->seller, k->seller[0] ? "/" : "", k->order_no);
    fputc('\n', c->fp);
    return CG_OK;
}

/* The counts under the list of --cancel: cancellations needed, and returns when there are. */
static void cancel_counts(FILE *fp, const struct list_ctx *c, int always)
{
    long n = c->n - c->returns;

    if (always || n > 0)
        fprintf(fp, "%ld %s a cancellation %s\n", n, n == 1 ? "order needs" : "orders need",
                always ? "(CEB605)" : "(cebgate status --cancel)");
    if (c->returns > 0)
        fprintf(fp, "%ld %s a return, the goods having left the country %s\n", c->returns,
                c->returns == 1 ? "order needs" : "orders need",
                always ? "(CEB213)" : "(cebgate status --cancel)");
}

static int cancel_report(struct cg_store *st, const char *seller, FILE *fp, struct cg_err *err)
{
    struct list_ctx c = {fp, CG_STATUS_CANCEL, 0, 0, seller};
    int rc;

    rc = cg_store_cancels_open(st, cancel_list_line, &c, err);
    if (rc != CG_OK)
        return rc;
    cancel_counts(fp, &c, 1);
    return CG_OK;
}

static int list_report(struct cg_store *st, int kind, const char *seller, FILE *fp,
                       struct cg_err *err)
{
    struct list_ctx c = {fp, kind, 0, 0, seller}, k = {NULL, CG_STATUS_CANCEL, 0, 0, seller};
    int rc;

    rc = cg_store_list(st,
                       kind == CG_STATUS_PENDING      ? CG_STORE_LIST_PENDING
                       : kind == CG_STATUS_REJECTED   ? CG_STORE_LIST_REJECTED
                       : kind == CG_STATUS_INCOMPLETE ? CG_STORE_LIST_INCOMPLETE
                       : kind == CG_STATUS_HELD       ? CG_STORE_LIST_HELD
                                                      : CG_STORE_LIST_UNKNOWN,
                       list_line, &c, err);
    if (rc != CG_OK)
        return rc;
    if (kind == CG_STATUS_INCOMPLETE) {
        fprintf(fp,
                "%ld %s declared without shipment data: add %s shipment data (shipments file "
                "or order file) and drop a file with %s again\n",
                c.n, c.n == 1 ? "order" : "orders", c.n == 1 ? "its" : "their",
                c.n == 1 ? "it" : "them");
        return CG_OK;
    }
    if (kind == CG_STATUS_HELD) {
        fprintf(fp, "%ld %s held back as waiting for %s shop status\n", c.n,
                c.n == 1 ? "order" : "orders", c.n == 1 ? "its" : "their");
        return CG_OK;
    }
    if (kind == CG_STATUS_PENDING)
        fprintf(fp, "%ld %s pending\n", c.n, c.n == 1 ? "document" : "documents");
    else if (kind == CG_STATUS_REJECTED)
        fprintf(fp, "%ld %s\n", c.n, c.n == 1 ? "rejection" : "rejections");
    else
        fprintf(fp, "%ld %s\n", c.n,
                c.n == 1 ? "receipt for an unknown guid or mismatched"
                         : "receipts for unknown guids or mismatched");
    if (kind != CG_STATUS_PENDING)
        return CG_OK;
    /* Orders cancelled after they were declared are pending work too: a cancellation, or a
     * return once their goods have left. */
    rc = cg_store_cancels_open(st, cancel_list_line, &k, err);
    if (rc == CG_OK)
        cancel_counts(fp, &k, 0);
    /* and so are orders whose declaration waits for their shipment data, which no receipt will
     * ever complete, and orders held for their status */
    c.fp = NULL;
    c.n = 0;
    c.kind = CG_STATUS_INCOMPLETE;
    if (rc == CG_OK)
        rc = cg_store_list(st, CG_STORE_LIST_INCOMPLETE, list_line, &c, err);
    if (rc == CG_OK && c.n > 0)
        fprintf(fp,
                "%ld %s declared without shipment data, no waybill or inventory (cebgate status "
                "--incomplete)\n",
                c.n, c.n == 1 ? "order" : "orders");
    c.n = 0;
    c.kind = CG_STATUS_HELD;
    if (rc == CG_OK)
        rc = cg_store_list(st, CG_STORE_LIST_HELD, list_line, &c, err);
    if (rc == CG_OK && c.n > 0)
        fprintf(fp, "%ld %s held back as waiting for %s shop status (cebgate status --held)\n", c.n,
                c.n == 1 ? "order" : "orders", c.n == 1 ? "its" : "their");
    return rc;
}

struct sum_list {
    FILE *fp;
    const char *seller; /* NULL: every seller's */
    long n;
};

static int summary_line(const struct cg_store_summary *x, void *vctx)
{
    struct sum_list *c = vctx;

    if (c->seller != NULL && strcmp(c->seller, x->seller) != 0)
        return CG_OK;
    c->n++;
    fprintf(c->fp,
            "%s  %s%s%s  country %s  %ld inventor%s  CEB701 %s%s%s%s  sumNo %s  entryId %s\n",
            x->month, x->seller, x->seller[0] ? "/" : "", x->order_no, x->country, x->ninvt,
            x->ninvt == 1 ? "y" : "ies", x->state[0] ? x->state : "not declared",
            x->status[0] ? " (" : "", x->status, x->status[0] ? ")" : "",
            x->sum_no[0] ? x->sum_no : "-", x->entry_id[0] ? x->entry_id : "-");
    return CG_OK;
}

static int summaries_report(struct cg_store *st, const char *seller, FILE *fp, struct cg_err *err)
{
    struct sum_list c = {fp, seller, 0};
    int rc = cg_store_summaries(st, summary_line, &c, err);

    if (rc == CG_OK)
        fprintf(fp, "%ld summar%s\n", c.n, c.n == 1 ? "y" : "ies");
    return rc;
}

int cg_spool_status(struct cg_store *st, int workdir_fd, int kind, const char *arg, FILE *fp,
                    struct cg_err *err)
{
    switch (kind) {
    case CG_STATUS_ORDER: return order_report(st, workdir_fd, arg, fp, err);
    case CG_STATUS_FILE: return file_report(st, arg, fp, err);
    case CG_STATUS_PENDING:
    case CG_STATUS_REJECTED:
    case CG_STATUS_UNKNOWN:
    case CG_STATUS_INCOMPLETE:
    case CG_STATUS_HELD: return list_report(st, kind, arg, fp, err);
    case CG_STATUS_CANCEL: return cancel_report(st, arg, fp, err);
    case CG_STATUS_SUMMARIES: return summaries_report(st, arg, fp, err);
    default: return CG_ERR_SET(err, CG_EINVAL, "unknown status kind %d", kind);
    }
}
