/*
 * spool-manifest.c - the forwarder's departure data (docs/manifest-format.md): a CSV dropped
 * into incoming/ like an order file, recognised by its header, recorded as bills and parcels;
 * then, run after run, the CEB607 of each bill whose parcels are all released and the CEB509
 * once customs accepted the CEB607.
 *
 * A manifest is taken all or nothing: a line that is not valid fails the whole file (every bad
 * line named in failed/NAME.reason) and nothing of it is recorded. A valid file is recorded in
 * one unit of work and goes to done/. A bill waits as long as one of its parcels is unknown or
 * its inventory is not released: each run names those lines and declares nothing of that bill,
 * so no bill is ever half sent. The bill's documents belong to its own orders row ("BILL:" +
 * bill number), so their receipts (CEB608, CEB510) are applied like any other.
 *
 * A refused CEB607 or CEB509 follows the rule of every document: refused by the E-Port before
 * it stored it (no positive receipt), it is declared again once by the next process or `watch`
 * generation (spool_refused_mark); refused by customs after storing (100), only when its data
 * changed: a later manifest may bring a bill again while its last document is refused, and
 * when the bill's data differs (the hash of its head and of its parcels, kept in its orders
 * row) it replaces the bill's, which goes out again. Each run names the refused bills that
 * wait. A bill with nothing declared yet (no CEB607: it waits, most often on a mistyped parcel
 * number) is corrected the same way. The same data again changes nothing; a bill whose CEB607 or
 * CEB509 is on its way or accepted fails the file.
 *
 * A parcel leaves on one bill: a file fails when it lists a parcel on two bills, or, once its
 * bills are recorded (a bill it replaces has dropped its old parcels), when another bill holds
 * the parcel that waits or whose CEB607 is not refused (cg_store_parcel_on_bill).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/csvread.h"
#include "core/fsutil.h"
#include "core/money.h"
#include "core/text.h"
#include "spool/spool-int.h"
#include "store/store-flow.h"

enum { M_BILL, M_MODE, M_NAME, M_VOYAGE, M_LEAVE, M_LCODE, M_LNAME, M_LNO, M_WEIGHT, M_N };
static const char *const cols[M_N] = {
    "bill_no",        "traf_mode",      "traf_name",    "voyage_no",    "leave_time",
    "logistics_code", "logistics_name", "logistics_no", "gross_weight",
};
/* Longest value of each column (the CEB607/509 element lengths). */
static const size_t col_max[M_N] = {37, 1, 100, 32, 19, 18, 100, 80, 20};

/* A bill's document in a broker's words, its message type beside them. */
static const char *bill_doc_words(int msg_type)
{
    return msg_type == CG_MSG_DEPARTURE ? "departure (CEB509)" : "waybill list (CEB607)";
}

/* The bill's last declared document (its CEB509 once declared, else its CEB607). */
struct last_doc {
    int msg_type, version;
    char state[16];
};

static int last_doc_seen(const struct cg_store_doc *d, void *vctx)
{
    struct last_doc *l = vctx;

    if ((d->msg_type == CG_MSG_BILL_LIST && l->msg_type == 0) || d->msg_type == CG_MSG_DEPARTURE) {
        l->msg_type = d->msg_type;
        l->version = d->version;
        cg_strlcpy(l->state, d->state, sizeof(l->state));
    }
    return CG_OK;
}

/*
 * "departure (CEB509) version 1 is accepted": which document of the seller's bill was declared
 * last and its state, into out; the state alone when the document cannot be found.
 */
static int bill_last_doc(struct cg_store *st, const char *seller, const char *bill_no,
                         const char *state, char *out, size_t size, struct cg_err *err)
{
    struct last_doc l;
    char key[64];
    char hash[65];
    int64_t oid = 0;
    int rc;

    memset(&l, 0, sizeof(l));
    snprintf(key, sizeof(key), "BILL:%s", bill_no);
    rc = cg_store_order_find(st, seller, key, &oid, hash, err);
    if (rc == CG_OK)
        rc = cg_store_order_docs(st, oid, last_doc_seen, &l, err);
    if (rc == CG_ENOTFOUND)
        rc = CG_OK;
    if (rc != CG_OK)
        return rc;
    if (l.msg_type != 0)
        snprintf(out, size, "%s version %d is %s", bill_doc_words(l.msg_type), l.version, l.state);
    else
        snprintf(out, size, "last document is %s", state);
    return CG_OK;
}

bool spool_is_manifest(const char *first_line)
{
    return strstr(first_line, "bill_no") != NULL && strstr(first_line, "logistics_no") != NULL &&
           strstr(first_line, "leave_time") != NULL;
}

/* "YYYY-MM-DD HH:MM[:SS]" in China time (UTC+8) to UTC seconds; -1 when not a time. */
static int64_t china_time(const char *s)
{
    struct tm tm;
    int y, mo, d, h, mi, se = 0;
    char tail;
    int n = sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &tail);

    if (n != 5 && n != 6)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59 || y < 2000 || h < 0 ||
        mi < 0 || se < 0)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    return (int64_t)timegm(&tm) - 8 * 3600;
}

struct mbill {
    struct cg_store_bill b;
    char *v[M_N]; /* the head values as first seen, owned */
    long line;
    size_t first, n; /* its parcels in the file's order */
    int64_t id;      /* its flow_bills row, once recorded */
    char hash[65];   /* 32 hex digits of the head's hash, 32 of the parcels' */
    /* Recorded before with nothing of it declared: replaced or the same (named once the file's
     * unit of work is committed). */
    bool undeclared;
    enum cg_bill_again outcome;
};
struct mparcel {
    char *no;
    long line;
    size_t bill;
};
struct mfile {
    struct mbill *bills;
    size_t nbills;
    struct mparcel *parcels;
    size_t nparcels;
    struct cg_buf why; /* one line per problem */
    long nbad;
};

static void mfile_free(struct mfile *m)
{
    size_t i, k;

    for (i = 0; i < m->nbills; i++)
        for (k = 0; k < M_N; k++)
            free(m->bills[i].v[k]);
    for (i = 0; i < m->nparcels; i++)
        free(m->parcels[i].no);
    free(m->bills);
    free(m->parcels);
    cg_buf_free(&m->why);
}

static void bad(struct mfile *m, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void bad(struct mfile *m, const char *file, long line, const char *fmt, ...)
{
    char why[512], shown[1024];
    va_list ap;

    if (++m->nbad > 50)
        return;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    /* what the line's fields hold is quoted: shown escaped, on one line */
    cg_buf_addf(&m->why, "%s:%ld: %s\n", file, line, cg_text_show(why, shown, sizeof(shown)));
}

/* The reason of a file with bad lines: each named. */
static void bad_lines(const struct mfile *m, const char *file, char *reason, size_t rsize)
{
    snprintf(reason, rsize, "%s: %ld lines are not valid; nothing of the manifest was taken:\n%s",
             file, m->nbad, cg_buf_str(&m->why));
}

/* One data line: check it and add it to its bill. */
static int take_line(struct mfile *m, const char *file, const struct cg_row *row, const int *at)
{
    const char *v[M_N];
    struct mbill *bl = NULL;
    int64_t leave = 0, w = 0;
    size_t i, k;

    for (k = 0; k < M_N; k++) {
        v[k] = at[k] >= 0 ? cg_row_field(row, (size_t)at[k]) : "";
        if (v[k][0] == '\0' && k != M_WEIGHT) {
            bad(m, file, row->line, "field %s: required value is missing", cols[k]);
            return CG_OK;
        }
        if (strlen(v[k]) > col_max[k]) {
            bad(m, file, row->line, "field %s: longer than %s characters", cols[k],
                k == M_MODE     ? "1"
                : k == M_BILL   ? "37"
                : k == M_VOYAGE ? "32"
                                : "100");
            return CG_OK;
        }
    }
    if (v[M_MODE][0] < '0' || v[M_MODE][0] > '9') {
        bad(m, file, row->line, "field traf_mode: '%s' is not a transport mode code (0-9)",
            v[M_MODE]);
        return CG_OK;
    }
    leave = china_time(v[M_LEAVE]);
    if (leave < 0) {
        bad(m, file, row->line, "field leave_time: '%s' is not YYYY-MM-DD HH:MM[:SS]%s", v[M_LEAVE],
            "");
        return CG_OK;
    }
    if (v[M_WEIGHT][0] != '\0' && (cg_dec_parse(v[M_WEIGHT], &w) != CG_OK || w < 0)) {
        bad(m, file, row->line, "field gross_weight: '%s' is not a weight in kg", v[M_WEIGHT]);
        return CG_OK;
    }
    for (i = 0; i < m->nparcels; i++) {
        const struct mparcel *p = &m->parcels[i];
        const char *other = m->bills[p->bill].v[M_BILL];

        if (strcmp(p->no, v[M_LNO]) != 0)
            continue;
        if (strcmp(other, v[M_BILL]) == 0)
            bad(m, file, row->line, "field logistics_no: %s is listed twice in the file", v[M_LNO]);
        else
            bad(m, file, row->line,
                "bill %s: parcel %s: already on bill %s (line %ld): a parcel leaves on one bill",
                v[M_BILL], v[M_LNO], other, p->line);
        return CG_OK;
    }
    for (i = 0; i < m->nbills && bl == NULL; i++)
        if (strcmp(m->bills[i].v[M_BILL], v[M_BILL]) == 0)
            bl = &m->bills[i];
    if (bl == NULL) {
        struct mbill *g = realloc(m->bills, (m->nbills + 1) * sizeof(*g));
        if (g == NULL)
            return CG_ENOMEM;
        m->bills = g;
        bl = &m->bills[m->nbills++];
        memset(bl, 0, sizeof(*bl));
        for (k = 0; k < M_N; k++)
            if ((bl->v[k] = cg_strdup(v[k])) == NULL)
                return CG_ENOMEM;
        bl->line = row->line;
        bl->b.leave_time = leave;
    } else {
        for (k = 0; k < M_N; k++) {
            if (k != M_LNO && k != M_WEIGHT && strcmp(bl->v[k], v[k]) != 0) {
                bad(m, file, row->line, "field %s: differs from the first line of bill %s", cols[k],
                    v[M_BILL]);
                return CG_OK;
            }
        }
    }
    {
        struct mparcel *g = realloc(m->parcels, (m->nparcels + 1) * sizeof(*g));
        if (g == NULL)
            return CG_ENOMEM;
        m->parcels = g;
        m->parcels[m->nparcels].no = cg_strdup(v[M_LNO]);
        m->parcels[m->nparcels].line = row->line;
        m->parcels[m->nparcels].bill = (size_t)(bl - m->bills);
        if (m->parcels[m->nparcels].no == NULL)
            return CG_ENOMEM;
        m->nparcels++;
    }
    cg_dec_add(bl->b.gross_weight, w, &bl->b.gross_weight);
    bl->n++;
    return CG_OK;
}

struct mrec {
    struct mfile *m;
    const char *seller, *file;
    int64_t file_id;
    long again, same; /* bills taken again after a refusal; refused bills brought unchanged */
};

/* The bill's data hash: what its CEB607 and CEB509 carry but the inventories' numbers. */
static int bill_hash(struct mfile *m, struct mbill *bl)
{
    struct cg_buf b;
    char h[65];
    size_t i;
    int rc = CG_OK;

    cg_buf_init(&b, 64 * 1024 * 1024);
    rc = cg_buf_addf(&b, "%s\x1f%s\x1f%s\x1f%lld\x1f%s\x1f%s\x1f%lld", bl->v[M_MODE], bl->v[M_NAME],
                     bl->v[M_VOYAGE], (long long)bl->b.leave_time, bl->v[M_LCODE], bl->v[M_LNAME],
                     (long long)bl->b.gross_weight);
    if (rc != CG_OK)
        goto done;
    cg_sha256_hex(cg_buf_str(&b), b.len, h);
    memcpy(bl->hash, h, 32);
    cg_buf_free(&b);
    cg_buf_init(&b, 64 * 1024 * 1024);
    for (i = 0; i < m->nparcels && rc == CG_OK; i++)
        if (&m->bills[m->parcels[i].bill] == bl)
            rc = cg_buf_addf(&b, "%s\x1f", m->parcels[i].no);
    if (rc != CG_OK || b.data == NULL) {
        rc = CG_ENOMEM;
        goto done;
    }
    cg_sha256_hex(cg_buf_str(&b), b.len, h);
    memcpy(bl->hash + 32, h, 32);
    bl->hash[64] = '\0';
done:
    cg_buf_free(&b);
    return rc;
}

static int record_tx(struct cg_store *st, void *vctx, struct cg_err *err)
{
    struct mrec *r = vctx;
    struct mfile *m = r->m;
    size_t i, k;
    int rc = CG_OK;

    r->again = r->same = 0;
    m->nbad = 0;
    cg_buf_reset(&m->why);
    for (i = 0; i < m->nbills && rc == CG_OK; i++) {
        struct mbill *bl = &m->bills[i];
        enum cg_bill_again again = CG_BILL_IN_USE;
        char state[16];
        int64_t id = 0;

        bl->undeclared = false;
        bl->b.seller = r->seller;
        bl->b.bill_no = bl->v[M_BILL];
        bl->b.traf_mode = bl->v[M_MODE];
        bl->b.traf_name = bl->v[M_NAME];
        bl->b.voyage_no = bl->v[M_VOYAGE];
        bl->b.logistics_code = bl->v[M_LCODE];
        bl->b.logistics_name = bl->v[M_LNAME];
        bl->b.file_name = r->file;
        bl->b.hash = bl->hash;
        rc = cg_store_bill_again(st, &bl->b, bl->hash, r->file_id, bl->line, &id, &again, state,
                                 err);
        if (rc == CG_ENOTFOUND) {
            rc = cg_store_bill_add(st, &bl->b, r->file_id, bl->line, &id, err);
            again = CG_BILL_REPLACED;
        } else if (rc == CG_OK && again == CG_BILL_IN_USE) {
            char doc[96];
            rc = bill_last_doc(st, r->seller, bl->v[M_BILL], state, doc, sizeof(doc), err);
            if (rc == CG_OK)
                rc = CG_ERR_SET(err, CG_EREJECT,
                                "%s:%ld: bill %s was taken from an earlier manifest and its %s: a "
                                "bill comes again only while nothing of it is declared or after "
                                "its waybill list (CEB607) or departure (CEB509) was refused",
                                r->file, bl->line, bl->v[M_BILL], doc);
        } else if (rc == CG_OK && again == CG_BILL_OTHER_PARCELS) {
            rc = CG_ERR_SET(err, CG_EREJECT,
                            "%s:%ld: bill %s: its parcels differ from those of its CEB607, which "
                            "customs accepted: only the departure data may change",
                            r->file, bl->line, bl->v[M_BILL]);
        } else if (rc == CG_OK && state[0] == '\0') {
            bl->undeclared = true;
            bl->outcome = again;
        } else if (rc == CG_OK && again == CG_BILL_SAME) {
            r->same++;
        } else if (rc == CG_OK) {
            r->again++;
        }
        bl->id = id;
        for (k = 0; k < m->nparcels && rc == CG_OK && again == CG_BILL_REPLACED; k++)
            if (m->parcels[k].bill == i)
                rc = cg_store_bill_parcel_add(st, id, m->parcels[k].line, m->parcels[k].no, err);
    }
    /* Once every bill of the file holds its new parcels (a bill it replaces has dropped its old
     * ones), no parcel may be on another bill that is to leave or has left. */
    for (k = 0; k < m->nparcels && rc == CG_OK; k++) {
        const struct mparcel *p = &m->parcels[k];
        const struct mbill *bl = &m->bills[p->bill];
        char other[64], from[512];

        rc = cg_store_parcel_on_bill(st, r->seller, p->no, bl->id, other, sizeof(other), from,
                                     sizeof(from), err);
        if (rc == CG_ENOTFOUND) {
            rc = CG_OK;
        } else if (rc == CG_OK) {
            bad(m, r->file, p->line,
                "bill %s: parcel %s: already on bill %s (taken from %s): a parcel leaves on one "
                "bill",
                bl->v[M_BILL], p->no, other, from);
        }
    }
    if (rc == CG_OK && m->nbad > 0)
        rc = CG_ERR_SET(err, CG_EREJECT, "parcels already on other bills");
    return rc;
}

int spool_manifest_file(struct cg_spool *sp, const char *seller, int fd, const char *display,
                        int64_t file_id, char *reason, size_t rsize, struct cg_err *err)
{
    struct mfile m;
    struct mrec r;
    struct cg_csv c;
    struct cg_row *row;
    int at[M_N];
    size_t k, i;
    bool header = true;
    int rc;

    memset(&m, 0, sizeof(m));
    cg_buf_init(&m.why, 64 * 1024);
    rc = cg_csv_open(&c, fd, display, CG_ENC_AUTO, ',', '"', false, 1 << 20, err);
    if (rc != CG_OK) {
        close(fd);
        return rc;
    }
    while (rc == CG_OK && (rc = cg_csv_next(&c, &row, err)) == CG_OK) {
        if (header) {
            header = false;
            for (k = 0; k < M_N; k++) {
                at[k] = -1;
                for (i = 0; i < row->nfields; i++)
                    if (strcmp(cg_row_field(row, i), cols[k]) == 0)
                        at[k] = (int)i;
                if (at[k] < 0 && k != M_WEIGHT)
                    bad(&m, display, row->line, "header: column %s is missing", cols[k]);
            }
            if (m.nbad > 0)
                break;
            continue;
        }
        rc = take_line(&m, display, row, at);
        if (rc == CG_ENOMEM)
            rc = CG_ERR_SET(err, rc, "out of memory");
    }
    cg_csv_close(&c);
    if (rc == CG_ENOTFOUND)
        rc = CG_OK;
    if (rc == CG_EPARSE) {
        snprintf(reason, rsize, "%s", err->msg);
        cg_err_clear(err);
        rc = CG_OK;
    } else if (rc == CG_OK && m.nbad == 0 && m.nbills == 0) {
        snprintf(reason, rsize, "%s: a manifest without parcels", display);
    } else if (rc == CG_OK && m.nbad > 0) {
        bad_lines(&m, display, reason, rsize);
    } else if (rc == CG_OK) {
        memset(&r, 0, sizeof(r));
        r.m = &m;
        r.seller = seller;
        r.file = display;
        r.file_id = file_id;
        for (i = 0; i < m.nbills && rc == CG_OK; i++)
            if ((rc = bill_hash(&m, &m.bills[i])) != CG_OK)
                rc = CG_ERR_SET(err, rc, "out of memory");
        if (rc == CG_OK)
            rc = cg_store_tx(sp->store, record_tx, &r, err);
        if (rc == CG_EREJECT && m.nbad > 0) {
            bad_lines(&m, display, reason, rsize);
            cg_err_clear(err);
            rc = CG_OK;
        } else if (rc == CG_EREJECT) {
            snprintf(reason, rsize, "%s", err->msg);
            cg_err_clear(err);
            rc = CG_OK;
        } else if (rc == CG_OK) {
            spool_event(sp, CG_SPOOL_EV_FILE, "manifest %s: %zu bills, %zu parcels", display,
                        m.nbills, m.nparcels);
            if (r.again > 0 || r.same > 0)
                spool_event(sp, CG_SPOOL_EV_FILE,
                            "manifest %s: %ld refused bills taken again with changed data, %ld "
                            "the same as refused (not declared again)",
                            display, r.again, r.same);
            for (i = 0; i < m.nbills; i++) {
                struct mbill *bl = &m.bills[i];

                if (bl->undeclared && bl->outcome == CG_BILL_SAME)
                    spool_event(sp, CG_SPOOL_EV_FILE,
                                "%s:%ld: bill %s: nothing of it is declared yet: the same data "
                                "as taken before, nothing changes",
                                display, bl->line, bl->v[M_BILL]);
                else if (bl->undeclared)
                    spool_event(sp, CG_SPOOL_EV_FILE,
                                "%s:%ld: bill %s: nothing of it is declared yet: its data and "
                                "parcels replace those taken before",
                                display, bl->line, bl->v[M_BILL]);
            }
        }
    }
    mfile_free(&m);
    return rc;
}

/* ------------------------------------------------------------------ each run */

struct bill_check {
    struct cg_spool *sp;
    const struct cg_store_bill *b;
    struct cg_waybill_item *items;
    struct cg_departure_item *ditems;
    char **own; /* the strings the items point to */
    size_t n, cap;
    long waiting;
    int rc;
};

static int parcel_seen(const struct cg_store_parcel *p, void *vctx)
{
    struct bill_check *c = vctx;
    int st = cg_doc_state_parse(p->inv_state);
    char **own;

    if (p->order_id == 0) {
        c->waiting++;
        spool_event(c->sp, CG_SPOOL_EV_ORDER,
                    "%s:%ld: bill %s: parcel %s: no declared order has this waybill: the bill "
                    "waits",
                    c->b->file_name, p->line, c->b->bill_no, p->logistics_no);
    } else if (st != CG_DOC_RELEASED && st != CG_DOC_CLOSED) {
        c->waiting++;
        spool_event(c->sp, CG_SPOOL_EV_ORDER,
                    "%s:%ld: bill %s: parcel %s: the inventory of order %s is %s, not released: "
                    "the bill waits",
                    c->b->file_name, p->line, c->b->bill_no, p->logistics_no, p->order_no,
                    p->inv_state[0] != '\0' ? p->inv_state : "not declared");
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        struct cg_waybill_item *g = realloc(c->items, cap * sizeof(*g));
        struct cg_departure_item *h;
        if (g == NULL)
            return CG_ENOMEM;
        c->items = g;
        h = realloc(c->ditems, cap * sizeof(*h));
        if (h == NULL)
            return CG_ENOMEM;
        c->ditems = h;
        own = realloc(c->own, 2 * cap * sizeof(*own));
        if (own == NULL)
            return CG_ENOMEM;
        c->own = own;
        c->cap = cap;
    }
    memset(&c->items[c->n], 0, sizeof(c->items[c->n]));
    memset(&c->ditems[c->n], 0, sizeof(c->ditems[c->n]));
    c->own[2 * c->n] = cg_strdup(p->logistics_no);
    c->own[2 * c->n + 1] = p->invt_no[0] != '\0' ? cg_strdup(p->invt_no) : NULL;
    c->items[c->n].logistics_no = c->own[2 * c->n];
    c->items[c->n].invt_no = c->own[2 * c->n + 1];
    c->ditems[c->n].logistics_no = c->own[2 * c->n];
    c->n++;
    return c->own[2 * c->n - 2] != NULL ? CG_OK : CG_ENOMEM;
}

struct state_rec {
    int64_t bill_id;
    const char *state;
};

static int bill_state_record(struct cg_store *st, int64_t doc_id, void *ctx, struct cg_err *err)
{
    struct state_rec *r = ctx;

    (void)doc_id;
    return cg_store_bill_set_state(st, r->bill_id, r->state, err);
}

struct bill_docs {
    int s607, s509, v607, v509;
    bool has607, has509;
    char pre607[32], pre509[32]; /* the E-Port's numbers, "" when none came back */
};

static int bill_doc_seen(const struct cg_store_doc *d, void *vctx)
{
    struct bill_docs *b = vctx;

    if (d->msg_type == CG_MSG_BILL_LIST) {
        b->has607 = true;
        b->s607 = cg_doc_state_parse(d->state);
        b->v607 = d->version;
        cg_strlcpy(b->pre607, d->pre_no != NULL ? d->pre_no : "", sizeof(b->pre607));
    } else if (d->msg_type == CG_MSG_DEPARTURE) {
        b->has509 = true;
        b->s509 = cg_doc_state_parse(d->state);
        b->v509 = d->version;
        cg_strlcpy(b->pre509, d->pre_no != NULL ? d->pre_no : "", sizeof(b->pre509));
    }
    return CG_OK;
}

/*
 * A bill whose CEB607 (or, after the CEB607 was accepted, CEB509) of version v was refused:
 * *wait unless it goes out again. It does when a later manifest changed the bill's data (the
 * intake put the bill back into state `changed`: waiting before a CEB607, listed before a
 * CEB509), or when the E-Port refused it before storing it and an earlier process or
 * generation declared it (spool_refused_mark). A bill that waits is named in the run's output.
 */
static int refused_waits(struct cg_spool *sp, const struct cg_store_bill *b, int msg_type, int v,
                         const char *changed, bool *wait, struct cg_err *err)
{
    bool unstored = false, old = false;
    int64_t mark = 0;
    int rc;

    *wait = false;
    if (strcmp(b->state, changed) == 0)
        return CG_OK;
    /* An operator marked the refused version to go out again (cebgate resend): it does, once. */
    rc = spool_resend_open(sp, b->order_id, msg_type, err, "%s: bill %s: its %s version %d",
                           b->file_name, b->bill_no, bill_doc_words(msg_type), v);
    if (rc != CG_ENOTFOUND)
        return rc;
    rc = spool_refused_mark(sp, &mark, err);
    if (rc == CG_OK)
        rc = cg_store_doc_refused(sp->store, b->order_id, msg_type, mark, &unstored, &old, err);
    if (rc != CG_OK || old)
        return rc;
    *wait = true;
    /* Named as a rejected order is: the file it came from, then the bill and its document. */
    if (unstored)
        spool_event(sp, CG_SPOOL_EV_ORDER,
                    "%s: bill %s: its %s version %d was refused by the E-Port before it stored it "
                    "and was declared by this process: declared again by the next run (in watch: "
                    "once the signing keys are loaded again, or SIGHUP)",
                    b->file_name, b->bill_no, bill_doc_words(msg_type), v);
    else
        spool_event(sp, CG_SPOOL_EV_ORDER,
                    "%s: bill %s: its %s version %d was refused by customs: declared again only "
                    "when a later manifest brings the bill with changed data",
                    b->file_name, b->bill_no, bill_doc_words(msg_type), v);
    return CG_OK;
}

/* The bill's next step: its CEB607 when every parcel is released, its CEB509 after the 607. */
static int bill_step(struct cg_spool *sp, const struct cg_store_bill *b, struct cg_err *err)
{
    struct bill_check c;
    struct bill_docs d;
    struct cg_waybill wb;
    struct cg_departure dp;
    struct spool_job j;
    struct state_rec rec;
    char key[32], h[65];
    bool wait = false;
    size_t i;
    int rc;

    memset(&c, 0, sizeof(c));
    memset(&d, 0, sizeof(d));
    memset(&j, 0, sizeof(j));
    c.sp = sp;
    c.b = b;
    rc = cg_store_order_docs(sp->store, b->order_id, bill_doc_seen, &d, err);
    if (rc != CG_OK)
        return rc;
    if (d.has607 && d.s607 != CG_DOC_REJECTED &&
        (d.s607 < CG_DOC_ACCEPTED || d.s607 == CG_DOC_REVIEW))
        return CG_OK; /* the CEB607 is on its way */
    if (d.has509 && d.s509 != CG_DOC_REJECTED)
        return CG_OK;
    if (d.has607 && d.s607 == CG_DOC_REJECTED)
        rc = refused_waits(sp, b, CG_MSG_BILL_LIST, d.v607, "waiting", &wait, err);
    else if (d.has509)
        rc = refused_waits(sp, b, CG_MSG_DEPARTURE, d.v509, "listed", &wait, err);
    if (rc != CG_OK || wait)
        return rc;
    rc = cg_store_bill_parcels(sp->store, b->id, parcel_seen, &c, err);
    if (rc == CG_ENOMEM)
        rc = CG_ERR_SET(err, rc, "out of memory");
    if (rc != CG_OK || c.waiting > 0)
        goto done;
    j.sel = spool_seller_get(sp, b->seller);
    if (j.sel == NULL || j.sel->problem != NULL) {
        rc = CG_ERR_SET(err, j.sel == NULL ? CG_ENOMEM : CG_ECONFIG, "%s",
                        j.sel == NULL ? "out of memory" : j.sel->problem);
        goto done;
    }
    cg_sha256_hex(b->bill_no, strlen(b->bill_no), h);
    cg_guid_new(j.guid);
    rec.bill_id = b->id;
    if (!d.has607 || d.s607 == CG_DOC_REJECTED) {
        snprintf(key, sizeof(key), "W%.20s", h);
        memset(&wb, 0, sizeof(wb));
        wb.guid = j.guid;
        wb.cop_no = key;
        wb.traf_mode = b->traf_mode;
        wb.traf_name = b->traf_name;
        wb.voyage_no = b->voyage_no;
        wb.bill_no = b->bill_no;
        wb.gross_weight = b->gross_weight;
        wb.logistics_code = b->logistics_code;
        wb.logistics_name = b->logistics_name;
        wb.items = c.items;
        wb.nitems = c.n;
        j.msg_type = CG_MSG_BILL_LIST;
        /* Again after a refusal: a modify of what the E-Port stored, else an add. */
        j.version = d.has607 ? d.v607 + 1 : 1;
        j.app_type = d.pre607[0] != '\0' ? CG_APP_MODIFY : CG_APP_ADD;
        wb.app_type = j.app_type;
        wb.pre_no = d.pre607[0] != '\0' ? d.pre607 : NULL;
        j.waybill = &wb;
        rec.state = "listed";
    } else {
        snprintf(key, sizeof(key), "D%.20s", h);
        memset(&dp, 0, sizeof(dp));
        dp.guid = j.guid;
        dp.cop_no = key;
        dp.logistics_code = b->logistics_code;
        dp.logistics_name = b->logistics_name;
        dp.traf_mode = b->traf_mode;
        dp.traf_name = b->traf_name;
        dp.voyage_no = b->voyage_no;
        dp.bill_no = b->bill_no;
        dp.leave_time = (time_t)b->leave_time;
        dp.items = c.ditems;
        dp.nitems = c.n;
        j.msg_type = CG_MSG_DEPARTURE;
        j.version = d.has509 ? d.v509 + 1 : 1;
        j.app_type = d.pre509[0] != '\0' ? CG_APP_MODIFY : CG_APP_ADD;
        dp.app_type = j.app_type;
        dp.pre_no = d.pre509[0] != '\0' ? d.pre509 : NULL;
        j.departure = &dp;
        rec.state = "departed";
    }
    cg_strlcpy(j.content_hash, h, sizeof(j.content_hash));
    rc = spool_declare_one(sp, &j, b->order_id, key, bill_state_record, &rec, err);
    if (rc == CG_OK)
        spool_event(sp, CG_SPOOL_EV_ORDER, "bill %s: CEB%d declared for %zu parcels", b->bill_no,
                    j.msg_type, c.n);
    else if (!cg_rc_temporary(rc) && rc != CG_ECRYPTO && rc != CG_ECONFIG) {
        spool_event(sp, CG_SPOOL_EV_ORDER, "bill %s: CEB%d not declared: %s", b->bill_no,
                    j.msg_type, err->msg);
        cg_err_clear(err);
        rc = CG_OK;
    }
done:
    for (i = 0; i < 2 * c.n; i++)
        free(c.own[i]);
    free(c.own);
    free(c.items);
    free(c.ditems);
    free(j.error);
    return rc;
}

struct bills {
    struct cg_store_bill *v;
    char **strs;
    size_t n, nstrs;
};

static char *keep(struct bills *a, const char *s)
{
    char **g = realloc(a->strs, (a->nstrs + 1) * sizeof(*g));

    if (g == NULL)
        return NULL;
    a->strs = g;
    return a->strs[a->nstrs++] = cg_strdup(s);
}

static int bill_seen(const struct cg_store_bill *b, void *vctx)
{
    struct bills *a = vctx;
    struct cg_store_bill *g = realloc(a->v, (a->n + 1) * sizeof(*g));
    struct cg_store_bill *x;

    if (g == NULL)
        return CG_ENOMEM;
    a->v = g;
    x = &a->v[a->n++];
    *x = *b;
    x->seller = keep(a, b->seller);
    x->bill_no = keep(a, b->bill_no);
    x->traf_mode = keep(a, b->traf_mode);
    x->traf_name = keep(a, b->traf_name);
    x->voyage_no = keep(a, b->voyage_no);
    x->logistics_code = keep(a, b->logistics_code);
    x->logistics_name = keep(a, b->logistics_name);
    x->file_name = keep(a, b->file_name);
    x->state = keep(a, b->state);
    return x->state != NULL && x->file_name != NULL && x->logistics_name != NULL &&
                   x->logistics_code != NULL && x->voyage_no != NULL && x->traf_name != NULL &&
                   x->traf_mode != NULL && x->bill_no != NULL && x->seller != NULL
               ? CG_OK
               : CG_ENOMEM;
}

int spool_manifest_step(struct cg_spool *sp, struct cg_err *err)
{
    struct bills a;
    size_t i;
    int rc;

    memset(&a, 0, sizeof(a));
    rc = cg_store_bills_open(sp->store, bill_seen, &a, err);
    if (rc == CG_ENOMEM)
        rc = CG_ERR_SET(err, rc, "out of memory");
    for (i = 0; i < a.n && rc == CG_OK; i++)
        rc = bill_step(sp, &a.v[i], err);
    for (i = 0; i < a.nstrs; i++)
        free(a.strs[i]);
    free(a.strs);
    free(a.v);
    return rc;
}
