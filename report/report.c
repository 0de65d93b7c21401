/*
 * report.c - builds the morning report into one JSON document (struct cg_report) from the
 * store's query functions and settle/'s FX reports; report-html.c and report-text.c render it.
 *
 * The builder owns the document; sections are objects with columns, the first `rows` rows,
 * the count of all rows ("total") and the command listing them all. The "needs you today"
 * list is derived from the section totals, most urgent first. Failures from the store are
 * returned as they are (CG_EDB / CG_EBUSY: temporary); CG_ENOMEM when jansson cannot allocate.
 */
#include "config.h"

#include <jansson.h>
#include <libxml/xmlstring.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "lifecycle/lifecycle.h"
#include "refund/refund.h"
#include "report/report-int.h"
#include "settle/settle.h"
#include "spool/spool.h"
#include "store/store-flow.h"
#include "store/store-holds.h"
#include "store/store-report.h"

/* A callback's way to stop a list early without an error. */
#define STOP 1

void cg_report_opts_init(struct cg_report_opts *o, const struct cg_conf *conf)
{
    memset(o, 0, sizeof(*o));
    o->conf = conf;
    o->stuck_hours = conf != NULL ? cg_conf_get_int(conf, "report", "stuck_hours") : 24;
    o->rows = conf != NULL ? cg_conf_get_int(conf, "report", "rows") : 50;
    o->unmatched_days = conf != NULL ? cg_conf_get_int(conf, "report", "unmatched_days") : 7;
    if (o->unmatched_days < 0)
        o->unmatched_days = 7;
    if (o->stuck_hours <= 0)
        o->stuck_hours = 24;
    if (o->rows <= 0)
        o->rows = 50;
}

void cg_report_free(struct cg_report *r)
{
    if (r == NULL)
        return;
    json_decref(r->doc);
    free(r);
}

/* ------------------------------------------------------------------ sections */

struct builder {
    struct cg_report *r;
    const struct cg_report_opts *o;
    json_t *sections; /* array */
    int oom;
};

/* s with invalid UTF-8 and control characters (but tab, newline) replaced by U+FFFD. */
char *report_clean(const char *s)
{
    size_t n = strlen(s), i = 0, o = 0;
    unsigned char *out = malloc(n * 3 + 1);

    if (out == NULL)
        return NULL;
    while (i < n) {
        int len = (int)(n - i > 4 ? 4 : n - i);
        int c = xmlGetUTF8Char((const unsigned char *)s + i, &len);
        if (c < 0 || (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f || (c >= 0x80 && c < 0xa0) ||
            c == 0xfffe || c == 0xffff) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i += c < 0 ? 1 : (size_t)len;
            continue;
        }
        memcpy(out + o, s + i, (size_t)len);
        o += (size_t)len;
        i += (size_t)len;
    }
    out[o] = '\0';
    return (char *)out;
}

/* Text from the database is untrusted: JSON strings must be UTF-8, so it is cleaned first. */
static json_t *jstr(const char *s)
{
    char *c = report_clean(s != NULL ? s : "");
    json_t *v = c != NULL ? json_string(c) : NULL;

    free(c);
    return v;
}

static void put(struct builder *b, json_t *obj, const char *key, json_t *v)
{
    if (v == NULL || json_object_set_new(obj, key, v) != 0)
        b->oom = 1;
}

/*
 * The command as a seller's report gives it: with `--seller NAME` when the command takes one
 * (status's lists, the FX reports of one seller's orders), a refused file named NAME/FILE; as it
 * is in the report of every seller, and for the commands over the accounts or refund units.
 */
static json_t *seller_cmd(const struct builder *b, const char *command)
{
    static const char *const with_seller[] = {"cebgate status --", "cebgate report fx orders",
                                              "cebgate report fx credit",
                                              "cebgate report fx aging"};
    const char *seller = b->o->seller;
    char buf[300];
    size_t i;

    if (seller == NULL)
        return jstr(command);
    if (strcmp(command, "cebgate status SELLER/FILE") == 0) {
        snprintf(buf, sizeof(buf), "cebgate status %s/FILE", seller);
        return jstr(buf);
    }
    for (i = 0; i < sizeof(with_seller) / sizeof(with_seller[0]); i++) {
        if (strncmp(command, with_seller[i], strlen(with_seller[i])) == 0) {
            snprintf(buf, sizeof(buf), "%s --seller %s", command, seller[0] ? seller : "''");
            return jstr(buf);
        }
    }
    return jstr(command);
}

/* A new section with its columns ("a,b,c"); added to the document's sections. */
static json_t *section(struct builder *b, const char *id, const char *title, const char *cols,
                       const char *command)
{
    json_t *s = json_object(), *c = json_array();
    const char *p = cols;

    if (s == NULL || c == NULL || json_array_append_new(b->sections, s) != 0) {
        json_decref(s);
        json_decref(c);
        b->oom = 1;
        return NULL;
    }
    while (*p != '\0') {
        const char *e = strchr(p, ',');
        size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
        if (json_array_append_new(c, json_stringn(p, n)) != 0)
            b->oom = 1;
        p += n + (e != NULL);
    }
    put(b, s, "id", jstr(id));
    put(b, s, "title", jstr(title));
    put(b, s, "columns", c);
    put(b, s, "rows", json_array());
    put(b, s, "total", json_integer(0));
    put(b, s, "command", seller_cmd(b, command));
    return s;
}

/* Count a row; keep it when fewer than the limit are kept (limit 0: keep every row). */
static void row(struct builder *b, json_t *s, long limit, int n, ...)
{
    json_t *rows, *a;
    va_list ap;
    int i;

    if (s == NULL)
        return;
    rows = json_object_get(s, "rows");
    json_integer_set(json_object_get(s, "total"),
                     json_integer_value(json_object_get(s, "total")) + 1);
    if (limit > 0 && (long)json_array_size(rows) >= limit)
        return;
    a = json_array();
    if (a == NULL || json_array_append_new(rows, a) != 0) {
        b->oom = 1;
        return;
    }
    va_start(ap, n);
    for (i = 0; i < n; i++) {
        if (json_array_append_new(a, jstr(va_arg(ap, const char *))) != 0)
            b->oom = 1;
    }
    va_end(ap);
}

static long total_of(json_t *s)
{
    return s != NULL ? (long)json_integer_value(json_object_get(s, "total")) : 0;
}

static const char *msg_name(int type, char *buf, size_t size)
{
    if (type == 0)
        return "order";
    snprintf(buf, size, "CEB%d", type);
    return buf;
}

static int seller_ok(const struct builder *b, const char *seller)
{
    return b->o->seller == NULL || strcmp(b->o->seller, seller) == 0;
}

static const char *seller_name(const char *s)
{
    return s[0] != '\0' ? s : "(default)";
}

/* ------------------------------------------------------------------ documents by state */

struct states_ctx {
    struct builder *b;
    json_t *by_state; /* state -> n */
    json_t *sellers;  /* seller -> {state -> n} */
    long total;
};

static int add_count(json_t *obj, const char *key, long n)
{
    json_t *v = json_object_get(obj, key);

    if (v != NULL)
        return json_integer_set(v, json_integer_value(v) + n);
    return json_object_set_new(obj, key, json_integer(n));
}

static int on_state(void *vctx, const char *seller, const char *state, long n)
{
    struct states_ctx *c = vctx;
    json_t *per = json_object_get(c->sellers, seller);

    if (per == NULL) {
        per = json_object();
        if (per == NULL || json_object_set_new(c->sellers, seller, per) != 0)
            return CG_ENOMEM;
    }
    c->total += n;
    if (add_count(c->by_state, state, n) != 0 || add_count(per, state, n) != 0)
        return CG_ENOMEM;
    return CG_OK;
}

/* Rejected first, then the states still moving in the order of progress, then final ones. */
static int state_rank(const char *state)
{
    int s = cg_doc_state_parse(state);

    if (s == CG_DOC_REJECTED)
        return 0;
    if (s == CG_DOC_RETURNED || s == CG_DOC_RELEASED || s == CG_DOC_CLOSED)
        return 100 + s;
    return s > 0 ? 1 + s : 99;
}

static int build_states(struct builder *b, struct cg_store *st, json_t **sellers_out,
                        struct cg_err *err)
{
    struct states_ctx c = {b, json_object(), json_object(), 0};
    json_t *docs = json_object(), *sec;
    const char *names[CG_DOC_NSTATES + 8];
    size_t n = 0, i, j;
    const char *k;
    json_t *v;
    int rc;

    *sellers_out = NULL;
    if (c.by_state == NULL || c.sellers == NULL || docs == NULL) {
        json_decref(c.by_state);
        json_decref(c.sellers);
        json_decref(docs);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    rc = cg_store_report_states(st, b->o->seller, on_state, &c, err);
    if (rc != CG_OK) {
        json_decref(c.by_state);
        json_decref(c.sellers);
        json_decref(docs);
        return rc == CG_ENOMEM ? CG_ERR_SET(err, CG_ENOMEM, "out of memory") : rc;
    }
    json_object_foreach(c.by_state, k, v)
    {
        if (n < sizeof(names) / sizeof(names[0]))
            names[n++] = k;
    }
    for (i = 1; i < n; i++) { /* insertion sort by rank: a handful of states */
        const char *x = names[i];
        for (j = i; j > 0 && state_rank(names[j - 1]) > state_rank(x); j--)
            names[j] = names[j - 1];
        names[j] = x;
    }
    sec = section(b, "states", "Documents by state", "state,documents", "cebgate status --pending");
    for (i = 0; i < n; i++) {
        char num[24];
        snprintf(num, sizeof(num), "%lld",
                 (long long)json_integer_value(json_object_get(c.by_state, names[i])));
        row(b, sec, 0, 2, names[i], num);
    }
    put(b, docs, "total", json_integer(c.total));
    put(b, docs, "by_state", c.by_state);
    put(b, b->r->doc, "documents", docs);
    *sellers_out = c.sellers;
    return CG_OK;
}

/* ------------------------------------------------------------------ lists */

struct list_ctx {
    struct builder *b;
    json_t *sec;
    const char *cutoff; /* stuck: changed before this */
    long returns;       /* cancellations: orders whose goods have left (a return is needed) */
    long concluded;     /* rejected: orders changed after customs concluded them */
    long own_content;   /* failed files: refused for their own content, not their orders' */
};

/*
 * The order column's text: an order's number as it is, a bill or a monthly summary by its name
 * ("bill MB-2", "summary 202611 country US #1"); the last column, "kind", says which.
 */
static const char *owner(const char *order_no, char *name, size_t size)
{
    return cg_store_owner_word(cg_store_owner_name(order_no, name, size));
}

static int on_rejected(const struct cg_store_item *it, void *vctx)
{
    struct list_ctx *c = vctx;
    char m[16], name[200];
    const char *kind;

    if (!seller_ok(c->b, it->seller))
        return CG_OK;
    kind = owner(it->order_no, name, sizeof(name));
    /* a change customs concluded cannot be corrected in the file: counted apart */
    if (it->msg_type == 0 && strstr(it->detail, ": " CG_SPOOL_CONCLUDED_CHANGE " '") != NULL)
        c->concluded++;
    row(c->b, c->sec, c->b->o->rows, 6, seller_name(it->seller), name,
        msg_name(it->msg_type, m, sizeof(m)), it->at, it->detail, kind);
    return CG_OK;
}

static int on_pending(const struct cg_store_item *it, void *vctx)
{
    struct list_ctx *c = vctx;
    char m[16], v[16], name[200];
    const char *kind;

    if (strcmp(it->at, c->cutoff) >= 0)
        return STOP; /* oldest change first: every later one is younger */
    if (!seller_ok(c->b, it->seller))
        return CG_OK;
    snprintf(v, sizeof(v), "%d", it->version);
    kind = owner(it->order_no, name, sizeof(name));
    row(c->b, c->sec, c->b->o->rows, 7, seller_name(it->seller), name,
        msg_name(it->msg_type, m, sizeof(m)), v, it->state, it->at, kind);
    return CG_OK;
}

static int on_unknown(const struct cg_store_item *it, void *vctx)
{
    struct list_ctx *c = vctx;
    char m[16];

    /* a receipt for a guid cebgate never sent belongs to no seller: the broker's report only */
    if (c->b->o->seller != NULL)
        return STOP;

    row(c->b, c->sec, c->b->o->rows, 6, it->order_no, msg_name(it->msg_type, m, sizeof(m)),
        it->version ? "mismatch" : "unknown guid", it->state, it->at, it->detail);
    return CG_OK;
}

/* An order declared without shipment data (CEB303 only), or held for its shop status. */
static int on_incomplete(const struct cg_store_item *it, void *vctx)
{
    struct list_ctx *c = vctx;

    if (!seller_ok(c->b, it->seller))
        return CG_OK;
    row(c->b, c->sec, c->b->o->rows, 5, seller_name(it->seller), it->order_no, it->state, it->at,
        it->detail);
    return CG_OK;
}

static int on_held(const struct cg_store_item *it, void *vctx)
{
    struct list_ctx *c = vctx;

    if (!seller_ok(c->b, it->seller))
        return CG_OK;
    row(c->b, c->sec, c->b->o->rows, 4, seller_name(it->seller), it->order_no, it->at, it->detail);
    return CG_OK;
}

struct holds_ctx {
    struct builder *b;
    json_t *sec;
    const char *now; /* with --as-of: a seller first held after that day is not listed */
};

/* A seller whose files wait for its configuration (the last complete pass of run or watch). */
static int on_hold(const struct cg_store_hold *h, void *vctx)
{
    struct holds_ctx *c = vctx;
    char files[24];

    if (c->now != NULL && strcmp(h->since, c->now) > 0)
        return CG_OK;
    snprintf(files, sizeof(files), "%ld", h->files);
    row(c->b, c->sec, c->b->o->rows, 5, seller_name(h->seller), files, h->since, h->seen,
        h->reason);
    return CG_OK;
}

static int on_cancel(const struct cg_store_cancel *k, void *vctx)
{
    struct list_ctx *c = vctx;
    char where[300];

    if (!seller_ok(c->b, k->seller))
        return CG_OK;
    snprintf(where, sizeof(where), "%s:%ld", k->file_name, k->line);
    /* customs cancels no inventory whose goods have left: that order needs a return */
    if (k->departed)
        c->returns++;
    row(c->b, c->sec, c->b->o->rows, 7, seller_name(k->seller), k->order_no, k->status, k->reason,
        k->noted_at, where, k->departed ? "return (CEB213)" : "cancellation (CEB605)");
    return CG_OK;
}

static int on_failed(void *vctx, const char *seller, const char *name, const char *kind,
                     const char *reason, const char *taken_at, long open_rejections)
{
    struct list_ctx *c = vctx;

    /* a file refused because its orders were rejected is counted by them (rejected) */
    if (open_rejections == 0)
        c->own_content++;
    row(c->b, c->sec, c->b->o->rows, 5, seller_name(seller), name, kind, taken_at, reason);
    return CG_OK;
}

static int list_end(int rc)
{
    return rc == STOP ? CG_OK : rc;
}

/* ------------------------------------------------------------------ last run */

/* The last run's rejections by kind (cg_spool_reason_kind), as the run summary groups them. */
struct reasons_ctx {
    struct builder *b;
    json_t *sec;
    json_t *kinds; /* kind -> orders */
};

struct kind_count {
    const char *kind;
    long n;
};

static int on_reason(void *vctx, const char *reason, long n)
{
    struct reasons_ctx *c = vctx;
    char kind[1024];

    json_t *v;

    cg_spool_reason_kind(reason, kind, sizeof(kind));
    v = json_object_get(c->kinds, kind);
    if (v != NULL)
        return json_integer_set(v, json_integer_value(v) + n) == 0 ? CG_OK : CG_ENOMEM;
    /* A reason from the database may hold bytes that are not UTF-8: the key is only looked up
     * here, and row() cleans the text it shows. */
    return json_object_set_new_nocheck(c->kinds, kind, json_integer(n)) == 0 ? CG_OK : CG_ENOMEM;
}

/* Most frequent first, then by the kind's text. */
static int kind_cmp(const void *a, const void *b)
{
    const struct kind_count *x = a, *y = b;

    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->kind, y->kind);
}

static int reasons_rows(struct reasons_ctx *c, struct cg_err *err)
{
    size_t n = json_object_size(c->kinds), i = 0;
    struct kind_count *v = calloc(n ? n : 1, sizeof(*v));
    const char *k;
    json_t *x;
    char num[24];

    if (v == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    json_object_foreach(c->kinds, k, x)
    {
        v[i].kind = k;
        v[i++].n = (long)json_integer_value(x);
    }
    qsort(v, n, sizeof(*v), kind_cmp);
    for (i = 0; i < n; i++) {
        snprintf(num, sizeof(num), "%ld", v[i].n);
        row(c->b, c->sec, c->b->o->rows, 2, v[i].kind, num);
    }
    free(v);
    return CG_OK;
}

static int iso_secs(const char *s, time_t *out)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
        return CG_EINVAL;
    *out = timegm(&tm);
    return CG_OK;
}

static int build_last_run(struct builder *b, struct cg_store *st, const char *day,
                          struct cg_err *err)
{
    struct cg_report_run run;
    struct reasons_ctx rc_ctx = {b, NULL, NULL};
    char title[80];
    json_t *o;
    time_t t0, t1;
    int rc = cg_store_report_last_run(st, b->o->seller, day, &run, err);

    if (rc == CG_ENOTFOUND) {
        put(b, b->r->doc, "last_run", json_null());
        return CG_OK;
    }
    if (rc != CG_OK)
        return rc;
    o = json_object();
    if (o == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    put(b, o, "day", jstr(run.day));
    put(b, o, "files", json_integer(run.files));
    put(b, o, "failed_files", json_integer(run.failed));
    put(b, o, "orders", json_integer(run.orders));
    put(b, o, "rejected", json_integer(run.rejected));
    put(b, o, "rejected_dismissed", json_integer(run.dismissed));
    put(b, o, "held", json_integer(run.held));
    /* the held by the shop status they were held for; they add up to held */
    put(b, o, "held_waiting", json_integer(run.held_waiting));
    put(b, o, "held_skipped", json_integer(run.held_skipped));
    put(b, o, "held_cancelled", json_integer(run.held_cancelled));
    put(b, o, "messages", json_integer(run.messages));
    put(b, o, "started", jstr(run.started));
    put(b, o, "finished", jstr(run.finished));
    /* The wall time from the first file taken to the last finished: the time between the day's
     * runs included, so not what the files took. */
    if (iso_secs(run.started, &t0) == CG_OK && iso_secs(run.finished, &t1) == CG_OK && t1 >= t0)
        put(b, o, "span_s", json_integer((long)(t1 - t0)));
    /* What the files took, and orders per minute of that, rounded down (under a millisecond
     * counts as one). */
    put(b, o, "busy_ms", json_integer(run.busy_ms));
    put(b, o, "orders_per_min",
        json_integer((json_int_t)run.orders * 60000 / (run.busy_ms > 0 ? run.busy_ms : 1)));
    put(b, b->r->doc, "last_run", o);
    snprintf(title, sizeof(title), "Reasons orders were rejected in the runs of %s", run.day);
    rc_ctx.sec = section(b, "run_reasons", title, "reason,orders", "cebgate status --rejected");
    rc_ctx.kinds = json_object();
    if (rc_ctx.kinds == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    rc = cg_store_report_run_reasons(st, b->o->seller, run.day, on_reason, &rc_ctx, err);
    if (rc == CG_ENOMEM)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (rc == CG_OK)
        rc = reasons_rows(&rc_ctx, err);
    json_decref(rc_ctx.kinds);
    return rc;
}

/* ------------------------------------------------------------------ chart: last 30 days */

struct days_ctx {
    struct builder *b;
    json_t *days; /* day -> {state -> n} */
};

static int on_day(void *vctx, const char *day, const char *state, long n)
{
    struct days_ctx *c = vctx;
    json_t *d = json_object_get(c->days, day);

    if (d == NULL)
        return CG_OK;
    return add_count(d, state, n) == 0 ? CG_OK : CG_ENOMEM;
}

static void day_add(char *day, size_t size, const char *from, long delta)
{
    struct tm tm;
    time_t t;

    memset(&tm, 0, sizeof(tm));
    strptime(from, "%Y-%m-%d", &tm);
    t = timegm(&tm) + delta * 86400L;
    gmtime_r(&t, &tm);
    strftime(day, size, "%Y-%m-%d", &tm);
}

static int build_days(struct builder *b, struct cg_store *st, const char *today, struct cg_err *err)
{
    struct days_ctx c = {b, json_object()};
    char from[16], day[16];
    long i;
    int rc;

    if (c.days == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    day_add(from, sizeof(from), today, -29);
    for (i = 0; i < 30; i++) {
        day_add(day, sizeof(day), from, i);
        put(b, c.days, day, json_object());
    }
    rc = cg_store_report_days(st, b->o->seller, from, today, on_day, &c, err);
    if (rc != CG_OK) {
        json_decref(c.days);
        return rc == CG_ENOMEM ? CG_ERR_SET(err, CG_ENOMEM, "out of memory") : rc;
    }
    put(b, b->r->doc, "days", c.days);
    return CG_OK;
}

/* ------------------------------------------------------------------ FX, refunds */

/*
 * settle/'s FX aging section, and for "Needs you today" the deferred-receipt reports due or
 * overdue and the orders past the tax collection deadline not collected (OVERDUE), of the
 * report's seller.
 */
static int build_fx(struct builder *b, struct cg_settle *s, const char *today, json_t **credit_due,
                    long *overdue, long *cross, long *unmatched, struct cg_err *err)
{
    static const int kinds[2] = {CG_FXR_AGING, CG_FXR_CREDIT};
    struct cg_table *t[2] = {NULL, NULL};
    json_t *sec;
    size_t r;
    int rc;
    long due = 0;

    *credit_due = json_integer(0);
    *cross = *unmatched = *overdue = 0;
    if (s == NULL)
        return CG_OK;
    rc = cg_settle_cross_pending(s, b->o->seller, cross, err);
    if (rc == CG_OK)
        rc =
            cg_settle_unmatched_count(s, b->o->seller, today, b->o->unmatched_days, unmatched, err);
    if (rc == CG_OK)
        rc = cg_settle_overdue_count(s, b->o->seller, b->o->as_of, overdue, err);
    if (rc != CG_OK)
        return rc;
    /* both in one pass over the orders, of the seller asked for */
    cg_settle_set_report_seller(s, b->o->seller);
    rc = cg_settle_reports(s, kinds, 2, b->o->as_of, t, err);
    if (rc != CG_OK)
        return rc;
    sec = section(b, "fx_aging", "FX aging: open amounts per currency by days since release",
                  "currency,0-30,31-60,61-90,91-180,>180,total,orders", "cebgate report fx aging");
    for (r = 0; t[0]->ncols == 8 && r < t[0]->nrows; r++) {
        char **c = t[0]->cells + r * t[0]->ncols;
        row(b, sec, b->o->rows, 8, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
    }
    for (r = 0; t[1]->ncols >= 5 && r < t[1]->nrows; r++) {
        const char *order = t[1]->cells[r * t[1]->ncols];
        const char *status = t[1]->cells[r * t[1]->ncols + 4];
        const char *slash = strchr(order, '/');
        size_t n = slash != NULL ? (size_t)(slash - order) : 0;
        /* the order column is SELLER/NO, or NO for the default seller */
        if (b->o->seller != NULL &&
            (strlen(b->o->seller) != n || strncmp(order, b->o->seller, n) != 0))
            continue;
        if (strcmp(status, "due") == 0 || strcmp(status, "OVERDUE") == 0)
            due++;
    }
    cg_table_free(t[0]);
    cg_table_free(t[1]);
    json_integer_set(*credit_due, due);
    return CG_OK;
}

/* The refund states in the order of the pipeline (docs/refund.md); others after, by name. */
static int refund_rank(const char *state)
{
    static const char *const order[] = {
        "WAIT_CLEARANCE", "WAIT_DOCS",    "READY",        "PRECHECKED", "MISMATCH",
        "DECLARED",       "APPROVED",     "REFUNDED",     "REJECTED",   "LAPSED_SOFT",
        "LAPSED_HARD",    "CLAWBACK_DUE", "CLAWBACK_PAID"};
    size_t i;

    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (strcmp(order[i], state) == 0)
            return (int)i;
    }
    return (int)i;
}

struct refund_sum {
    char state[32];
    long units;
    int64_t refund, refunded, to_come, shortfall; /* fen */
};

static int cmp_refund_sum(const void *a, const void *b)
{
    const struct refund_sum *x = a, *y = b;
    int d = refund_rank(x->state) - refund_rank(y->state);

    return d != 0 ? d : strcmp(x->state, y->state);
}

/*
 * Why there is no refund unit, from the pipeline's part (each configured seller, its
 * statistics_flag, why): its title, and the sellers on route A by name when not all are. A
 * seller's report (seller not NULL) speaks of that seller's route alone.
 */
static const char *no_refund_units(const struct cg_table *p, const char *seller, char *why,
                                   size_t size)
{
    const char *sep = "; on route A: ";
    size_t r, len, a = 0;

    for (r = 0; seller != NULL && p->ncols == 3 && r < p->nrows; r++) {
        if (strcmp(p->cells[r * 3], seller) != 0)
            continue;
        if (strcmp(p->cells[r * 3 + 1], "A") == 0)
            snprintf(why, size,
                     "No refund unit: seller %s declares by route A (statistics_flag = A), never "
                     "eligible for the export VAT refund: a simplified 9610 declaration is no "
                     "customs declaration for tax (docs/refund.md, Regime); a refund needs route "
                     "B (statistics_flag = B) or a 9710/9810 declaration, and its items imported "
                     "(cebgate refund entries FILE)",
                     seller);
        else
            snprintf(why, size,
                     "No refund unit yet: seller %s declares by route B (statistics_flag = B): "
                     "its units come from its declarations' items (cebgate refund entries FILE)",
                     seller);
        return why;
    }
    if (seller != NULL) {
        snprintf(why, size,
                 "No refund unit yet: units come from the declarations' items (cebgate refund "
                 "entries FILE)");
        return why;
    }
    snprintf(why, size, "%s", p->title);
    for (r = 0; p->ncols == 3 && r < p->nrows; r++)
        a += strcmp(p->cells[r * 3 + 1], "A") == 0;
    for (r = 0; a > 0 && a < p->nrows && r < p->nrows; r++) {
        if (strcmp(p->cells[r * 3 + 1], "A") != 0)
            continue;
        len = strlen(why);
        snprintf(why + len, size - len, "%s%s", sep, p->cells[r * 3]);
        sep = ", ";
    }
    return why;
}

/*
 * Refund units by state over every export month: refund/'s pipeline report (month, state,
 * units, invoice, refund, refunded so far, still to come, shortfall) added up per state; amounts
 * are exact CNY text, so the sums are taken in fen.
 */
static int refund_by_state(struct builder *b, const struct cg_table *t, struct cg_err *err)
{
    struct refund_sum *v = NULL;
    size_t n = 0, r, i;
    char why[4096];
    json_t *sec;
    int rc = CG_OK;

    for (r = 0; t->ncols == 8 && r < t->nrows && rc == CG_OK; r++) {
        char **c = t->cells + r * t->ncols;
        int64_t refund = 0, refunded = 0, to_come = 0, shortfall = 0;
        for (i = 0; i < n && strcmp(v[i].state, c[1]) != 0; i++)
            ;
        if (i == n) {
            struct refund_sum *g = realloc(v, (n + 1) * sizeof(*g));
            if (g == NULL) {
                rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
                break;
            }
            v = g;
            memset(&v[n], 0, sizeof(v[n]));
            cg_strlcpy(v[n].state, c[1], sizeof(v[n].state));
            n++;
        }
        if (cg_refund_fen_parse(c[4], &refund) != CG_OK ||
            cg_refund_fen_parse(c[5], &refunded) != CG_OK ||
            cg_refund_fen_parse(c[6], &to_come) != CG_OK ||
            cg_refund_fen_parse(c[7], &shortfall) != CG_OK)
            rc = CG_ERR_SET(err, CG_ERANGE, "refund pipeline: amount '%s' out of range", c[4]);
        v[i].units += strtol(c[2], NULL, 10);
        v[i].refund += refund;
        v[i].refunded += refunded;
        v[i].to_come += to_come;
        v[i].shortfall += shortfall;
    }
    if (rc == CG_OK && n > 1)
        qsort(v, n, sizeof(*v), cmp_refund_sum);
    sec =
        section(b, "refund", "Export VAT refund units by state",
                "state,units,refund,refunded,to_come,shortfall", "cebgate report refund pipeline");
    if (sec != NULL && n == 0 && t->part != NULL && t->part->title != NULL)
        put(b, sec, "empty", jstr(no_refund_units(t->part, b->o->seller, why, sizeof(why))));
    for (i = 0; rc == CG_OK && i < n; i++) {
        char u[24], a[4][32];
        snprintf(u, sizeof(u), "%ld", v[i].units);
        cg_refund_fen_format(v[i].refund, a[0], sizeof(a[0]));
        cg_refund_fen_format(v[i].refunded, a[1], sizeof(a[1]));
        cg_refund_fen_format(v[i].to_come, a[2], sizeof(a[2]));
        cg_refund_fen_format(v[i].shortfall, a[3], sizeof(a[3]));
        row(b, sec, 0, 6, v[i].state, u, a[0], a[1], a[2], a[3]);
    }
    free(v);
    return rc;
}

/*
 * The refund sections from refund/'s reports as of the report's day: units by state (pipeline),
 * the deadline calendar, and the count of units at risk of their deadline (*at_risk).
 */
static int build_refund(struct builder *b, struct cg_refund *rf, const char *as_of, long *at_risk,
                        struct cg_err *err)
{
    struct cg_table *t = NULL;
    json_t *sec;
    size_t r;
    int rc;

    *at_risk = 0;
    if (rf == NULL)
        return CG_OK;
    rc = cg_refund_report(rf, CG_RFR_PIPELINE, as_of, &t, err);
    if (rc == CG_OK)
        rc = refund_by_state(b, t, err);
    cg_table_free(t);
    t = NULL;
    if (rc == CG_OK)
        rc = cg_refund_report(rf, CG_RFR_CALENDAR, as_of, &t, err);
    if (rc != CG_OK)
        return rc;
    sec = section(b, "refund_calendar", "Export VAT refund deadlines coming up",
                  "deadline,unit,state,refund_at_risk,vat_if_domestic,missing",
                  "cebgate report refund calendar");
    for (r = 0; t->ncols == 6 && r < t->nrows; r++) {
        char **c = t->cells + r * t->ncols;
        row(b, sec, b->o->rows, 6, c[0], c[1], c[2], c[3], c[4], c[5]);
    }
    cg_table_free(t);
    t = NULL;
    rc = cg_refund_report(rf, CG_RFR_RISK, as_of, &t, err);
    if (rc != CG_OK)
        return rc;
    /* A unit past its hard deadline is final (its regime fell back): nothing left to act on. */
    for (r = 0; t->ncols >= 2 && r < t->nrows; r++) {
        if (strcmp(t->cells[r * t->ncols + 1], "LAPSED_HARD") != 0)
            (*at_risk)++;
    }
    cg_table_free(t);
    return CG_OK;
}

/* ------------------------------------------------------------------ per seller */

/* Documents in the rejected state among a seller's counts by state. */
static long rejected_sum(json_t *per)
{
    const char *k;
    json_t *v;
    long n = 0;

    json_object_foreach(per, k, v)
    {
        if (state_rank(k) == 0)
            n += (long)json_integer_value(v);
    }
    return n;
}

struct sellers_ctx {
    struct builder *b;
    json_t *sec;
    json_t *states; /* seller -> {state -> n} */
};

static int on_seller(void *vctx, const char *seller, long orders, long rejected, long cancels,
                     long pending, long failed_files)
{
    struct sellers_ctx *c = vctx;
    json_t *per = json_object_get(c->states, seller);
    char a[24], d[24], e[24], f[24], g[24], h[24], i[24];
    long total = 0;
    const char *k;
    json_t *v;

    json_object_foreach(per, k, v) total += (long)json_integer_value(v);
    snprintf(a, sizeof(a), "%ld", orders);
    snprintf(d, sizeof(d), "%ld", total);
    snprintf(e, sizeof(e), "%ld", rejected_sum(per));
    snprintf(f, sizeof(f), "%ld", pending);
    snprintf(g, sizeof(g), "%ld", rejected);
    snprintf(h, sizeof(h), "%ld", cancels);
    snprintf(i, sizeof(i), "%ld", failed_files);
    row(c->b, c->sec, c->b->o->rows, 8, seller_name(seller), a, d, e, f, g, h, i);
    return CG_OK;
}

/* ------------------------------------------------------------------ cancellations, summaries */

struct waiting_ctx {
    struct builder *b;
    long n;
};

/* CEB605 cancellations declared and not concluded yet (pending: no final state). */
static int on_cancel_waiting(const struct cg_store_item *it, void *vctx)
{
    struct waiting_ctx *c = vctx;

    if (it->msg_type == CG_MSG_INVT_CANCEL && seller_ok(c->b, it->seller))
        c->n++;
    return CG_OK;
}

struct sum_ctx {
    struct builder *b;
    const struct cg_conf *conf;
    char (*route_b)[2][64]; /* seller, "A" or "B": each seller looked up once */
    size_t nsellers;
    long inventories;
    json_t *sellers; /* seller -> inventories */
    int nomem;
};

/*
 * Whether seller declares by route B: statistics_flag of [seller.NAME] (with the fall-back to
 * [seller] the configuration gives), as the spool reads it; a seller without its section is not.
 */
static int route_b(struct sum_ctx *c, const char *seller)
{
    char section[80];
    const char *flag;
    char(*g)[2][64];
    size_t i;

    for (i = 0; i < c->nsellers; i++) {
        if (strcmp(c->route_b[i][0], seller) == 0)
            return c->route_b[i][1][0] == 'B';
    }
    g = realloc(c->route_b, (c->nsellers + 1) * sizeof(*g));
    if (g == NULL) {
        c->nomem = 1;
        return 0;
    }
    c->route_b = g;
    cg_strlcpy(g[c->nsellers][0], seller, sizeof(g[0][0]));
    snprintf(section, sizeof(section), "seller%s%s", seller[0] ? "." : "", seller);
    flag = c->conf != NULL && (seller[0] == '\0' || cg_conf_has_section(c->conf, section))
               ? cg_conf_get(c->conf, section, "statistics_flag")
               : NULL;
    cg_strlcpy(g[c->nsellers][1], flag != NULL ? flag : "", sizeof(g[0][1]));
    return g[c->nsellers++][1][0] == 'B';
}

static int on_sum_cand(const struct cg_store_sum_cand *k, void *vctx)
{
    struct sum_ctx *c = vctx;

    if (!seller_ok(c->b, k->seller) || !route_b(c, k->seller))
        return c->nomem ? CG_ENOMEM : CG_OK;
    c->inventories++;
    return add_count(c->sellers, seller_name(k->seller), 1) == 0 ? CG_OK : CG_ENOMEM;
}

/*
 * The monthly summaries (CEB701) of the month before today that route-B sellers still owe:
 * inventories closed that month that no declared summary holds. Customs wants them by the 15th.
 */
static int build_summaries(struct builder *b, struct cg_store *st, const char *today,
                           char *month_out, struct sum_ctx *c, struct cg_err *err)
{
    int y = 0, m = 0;
    char buf[32];
    int rc;

    sscanf(today, "%4d-%2d", &y, &m);
    if (--m < 1) {
        m = 12;
        y--;
    }
    snprintf(buf, sizeof(buf), "%04d%02d", y, m);
    cg_strlcpy(month_out, buf, 8);
    c->b = b;
    c->conf = b->o->conf;
    c->sellers = json_object();
    if (c->sellers == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    rc = cg_store_sum_candidates(st, month_out, on_sum_cand, c, err);
    if (rc == CG_ENOMEM || c->nomem)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    return rc;
}

/* ------------------------------------------------------------------ needs you today */

/*
 * An item of "Needs you today" with a count above zero: its label agrees with the count, one for
 * 1 ("1 document stuck ...") and many for more ("2 documents stuck ...").
 */
static void need(struct builder *b, json_t *needs, const char *one, const char *many, long n,
                 const char *command)
{
    const char *what = n == 1 ? one : many;
    json_t *o;

    if (n <= 0)
        return;
    o = json_object();
    if (o == NULL || json_array_append_new(needs, o) != 0) {
        json_decref(o);
        b->oom = 1;
        return;
    }
    put(b, o, "what", jstr(what));
    put(b, o, "count", json_integer(n));
    put(b, o, "command", seller_cmd(b, command));
}

static json_t *find_section(struct builder *b, const char *id)
{
    size_t i;
    json_t *s;

    json_array_foreach(b->sections, i, s)
    {
        if (strcmp(json_string_value(json_object_get(s, "id")), id) == 0)
            return s;
    }
    return NULL;
}

/* ------------------------------------------------------------------ build */

static void clock_now(const struct cg_report_opts *o, char *iso, size_t isz, char *day, size_t dsz)
{
    time_t t = o->now != 0 ? o->now : time(NULL);
    struct tm tm;

    if (o->as_of != NULL) {
        snprintf(day, dsz, "%s", o->as_of);
        snprintf(iso, isz, "%sT23:59:59.999Z", o->as_of);
        return;
    }
    gmtime_r(&t, &tm);
    strftime(day, dsz, "%Y-%m-%d", &tm);
    strftime(iso, isz, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

static int valid_day(const char *s)
{
    struct tm tm;
    const char *end;

    memset(&tm, 0, sizeof(tm));
    end = s != NULL ? strptime(s, "%Y-%m-%d", &tm) : NULL;
    return end != NULL && *end == '\0' && strlen(s) == 10;
}

int cg_report_build(struct cg_store *st, struct cg_settle *s, struct cg_refund *rf,
                    const struct cg_report_opts *o, struct cg_report **out, struct cg_err *err)
{
    struct builder b;
    struct list_ctx lc;
    struct holds_ctx hc;
    struct sellers_ctx sc;
    struct sum_ctx sum;
    json_t *sellers_states = NULL, *credit_due = NULL, *needs;
    char now[40], today[16], cutoff[40], month[8], what[256], what2[256], cmd[64];
    struct waiting_ctx waiting = {NULL, 0};
    long refund_risk = 0, cross = 0, unmatched = 0, overdue = 0;
    time_t cut;
    struct tm tm;
    int rc;

    if (o->as_of != NULL && !valid_day(o->as_of))
        return CG_ERR_SET(err, CG_EINVAL, "--as-of: '%s' is not a day (YYYY-MM-DD)", o->as_of);
    memset(&b, 0, sizeof(b));
    memset(&sum, 0, sizeof(sum));
    b.o = o;
    b.r = calloc(1, sizeof(*b.r));
    if (b.r == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    b.r->doc = json_object();
    b.sections = json_array();
    needs = json_array();
    if (b.r->doc == NULL || b.sections == NULL || needs == NULL) {
        json_decref(b.sections);
        json_decref(needs);
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    clock_now(o, now, sizeof(now), today, sizeof(today));
    memset(&tm, 0, sizeof(tm));
    strptime(now, "%Y-%m-%dT%H:%M:%S", &tm);
    cut = timegm(&tm) - (time_t)o->stuck_hours * 3600;
    gmtime_r(&cut, &tm);
    strftime(cutoff, sizeof(cutoff), "%Y-%m-%dT%H:%M:%S.000Z", &tm);

    put(&b, b.r->doc, "as_of", jstr(today));
    put(&b, b.r->doc, "now", jstr(now));
    put(&b, b.r->doc, "seller", o->seller != NULL ? jstr(o->seller) : json_null());
    put(&b, b.r->doc, "stuck_hours", json_integer(o->stuck_hours));
    put(&b, b.r->doc, "rows", json_integer(o->rows));
    put(&b, b.r->doc, "needs", needs);
    put(&b, b.r->doc, "sections", b.sections);

    rc = build_last_run(&b, st, today, err);
    if (rc == CG_OK)
        rc = build_states(&b, st, &sellers_states, err);
    if (rc != CG_OK)
        goto done;

    hc.b = &b;
    hc.now = o->as_of != NULL ? now : NULL;
    hc.sec = section(&b, "held_sellers", "Sellers held for their configuration: their files wait",
                     "seller,files,since,seen,reason", "cebgate config");
    rc = list_end(cg_store_holds_list(st, o->seller, on_hold, &hc, err));
    if (rc != CG_OK)
        goto done;
    lc.b = &b;
    lc.cutoff = cutoff;
    lc.returns = 0;
    lc.concluded = 0;
    lc.own_content = 0;
    lc.sec = section(&b, "rejected", "Rejected documents and orders, with the reason",
                     "seller,order,message,at,reason,kind", "cebgate status --rejected");
    rc = list_end(cg_store_list(st, CG_STORE_LIST_REJECTED, on_rejected, &lc, err));
    if (rc == CG_OK) {
        lc.sec = section(&b, "failed_files", "Input files refused whole, with the reason",
                         "seller,file,kind,taken,reason", "cebgate status SELLER/FILE");
        rc = cg_store_report_failed_files(st, o->seller, on_failed, &lc, err);
    }
    if (rc == CG_OK) {
        lc.sec =
            section(&b, "stuck", "Stuck: pending and unchanged longer than the threshold",
                    "seller,order,message,version,state,since,kind", "cebgate status --pending");
        rc = list_end(cg_store_list(st, CG_STORE_LIST_PENDING, on_pending, &lc, err));
    }
    if (rc == CG_OK) {
        lc.sec = section(&b, "unknown", "Receipts for unknown or mismatched messages",
                         "order,message,kind,status,received,detail", "cebgate status --unknown");
        if (o->seller != NULL)
            put(&b, lc.sec, "empty",
                jstr("receipts for unknown guids belong to no seller: see the report of every "
                     "seller"));
        rc = list_end(cg_store_list(st, CG_STORE_LIST_UNKNOWN, on_unknown, &lc, err));
    }
    if (rc == CG_OK) {
        lc.sec = section(&b, "cancel",
                         "Orders cancelled after declaration, needing a cancellation (CEB605) or "
                         "a return (CEB213)",
                         "seller,order,status,reason,noted,file,needs", "cebgate status --cancel");
        rc = list_end(cg_store_cancels_open(st, on_cancel, &lc, err));
    }
    if (rc == CG_OK) {
        lc.sec = section(&b, "incomplete",
                         "Orders declared without shipment data: CEB303 only, no waybill or "
                         "inventory",
                         "seller,order,state,since,file", "cebgate status --incomplete");
        rc = list_end(cg_store_list(st, CG_STORE_LIST_INCOMPLETE, on_incomplete, &lc, err));
    }
    if (rc == CG_OK) {
        lc.sec = section(&b, "held", "Orders held back as waiting for their shop status",
                         "seller,order,taken,file", "cebgate status --held");
        rc = list_end(cg_store_list(st, CG_STORE_LIST_HELD, on_held, &lc, err));
    }
    if (rc == CG_OK)
        rc = build_fx(&b, s, today, &credit_due, &overdue, &cross, &unmatched, err);
    if (rc == CG_OK) {
        waiting.b = &b;
        rc = list_end(cg_store_list(st, CG_STORE_LIST_PENDING, on_cancel_waiting, &waiting, err));
    }
    if (rc == CG_OK)
        rc = build_summaries(&b, st, today, month, &sum, err);
    if (rc == CG_OK)
        rc = build_refund(&b, rf, o->as_of, &refund_risk, err);
    if (rc == CG_OK) {
        sc.b = &b;
        sc.states = sellers_states;
        sc.sec = section(
            &b, "sellers", "Per seller",
            "seller,orders,documents,rejected_documents,pending,rejected_orders,cancellations,"
            "failed_files",
            "cebgate report --format csv");
        rc = cg_store_report_sellers(st, o->seller, on_seller, &sc, err);
    }
    if (rc == CG_OK)
        rc = build_days(&b, st, today, err);
    if (rc != CG_OK)
        goto done;

    need(&b, needs,
         "seller held for its configuration, its files waiting, none declared: fix the "
         "configuration (cebgate config names what is wrong), then run again",
         "sellers held for their configuration, their files waiting, none declared: fix the "
         "configuration (cebgate config names what is wrong), then run again",
         total_of(find_section(&b, "held_sellers")), "cebgate config");
    need(&b, needs,
         "rejected document or order: correct and drop the file again, or once the customs refusal "
         "is fixed cebgate resend",
         "rejected documents and orders: correct and drop the file again, or once the customs "
         "refusal is fixed cebgate resend",
         total_of(find_section(&b, "rejected")) - lc.concluded, "cebgate status --rejected");
    need(&b, needs,
         "order changed after customs concluded it (no corrected file can declare it): a "
         "cancellation of the declared order (cebgate cancel), or a return once its goods left "
         "(cebgate return), or dismiss the file",
         "orders changed after customs concluded them (no corrected file can declare them): a "
         "cancellation of the declared order (cebgate cancel), or a return once its goods left "
         "(cebgate return), or dismiss the file",
         lc.concluded, "cebgate status --rejected");
    need(&b, needs, "input file refused whole: correct and drop it again, or dismiss it",
         "input files refused whole: correct and drop them again, or dismiss them", lc.own_content,
         "cebgate status SELLER/FILE");
    need(&b, needs, "order cancelled after declaration: a cancellation (CEB605) is needed",
         "orders cancelled after declaration: a cancellation (CEB605) is needed",
         total_of(find_section(&b, "cancel")) - lc.returns, "cebgate status --cancel");
    need(&b, needs,
         "order cancelled after its goods left the country: a return (CEB213) is needed, "
         "cebgate return SELLER/ORDER-NO",
         "orders cancelled after their goods left the country: a return (CEB213) is needed, "
         "cebgate return SELLER/ORDER-NO",
         lc.returns, "cebgate status --cancel");
    need(&b, needs,
         "order declared without shipment data, no waybill or inventory (never released): add "
         "its shipment data (shipments file or order file) and drop a file with it again",
         "orders declared without shipment data, no waybill or inventory (never released): add "
         "their shipment data (shipments file or order file) and drop a file with them again",
         total_of(find_section(&b, "incomplete")), "cebgate status --incomplete");
    need(&b, needs, "cancellation (CEB605) declared and waiting for customs to confirm it",
         "cancellations (CEB605) declared and waiting for customs to confirm them", waiting.n,
         "cebgate status --pending");
    need(&b, needs, "document stuck longer than the threshold",
         "documents stuck longer than the threshold", total_of(find_section(&b, "stuck")),
         "cebgate status --pending");
    snprintf(what, sizeof(what),
             "route-B inventory closed in %.4s-%.2s not in a declared monthly summary (CEB701, "
             "due by the 15th)",
             month, month + 4);
    snprintf(what2, sizeof(what2),
             "route-B inventories closed in %.4s-%.2s not in a declared monthly summary (CEB701, "
             "due by the 15th)",
             month, month + 4);
    snprintf(cmd, sizeof(cmd), "cebgate summary --month %s", month);
    need(&b, needs, what, what2, sum.inventories, cmd);
    need(&b, needs, "deferred-receipt report due or overdue",
         "deferred-receipt reports due or overdue", (long)json_integer_value(credit_due),
         "cebgate report fx credit");
    need(&b, needs,
         "order past the tax collection deadline and not collected (OVERDUE): settle match its "
         "receipts, or settle deem or settle uncollectible with the evidence",
         "orders past the tax collection deadline and not collected (OVERDUE): settle match their "
         "receipts, or settle deem or settle uncollectible with the evidence",
         overdue, "cebgate report fx orders");
    need(&b, needs,
         "receipt in another currency than its orders waiting for the bank's rates: settle rate, "
         "then settle confirm",
         "receipts in another currency than their orders waiting for the bank's rates: settle "
         "rate, then settle confirm",
         cross, "cebgate report fx orders");
    snprintf(what, sizeof(what),
             "receipt with money no order takes, value day %ld or more days ago: settle match it "
             "to its order, settle arrival a payout's bank credit, or settle charge a bank's "
             "charge",
             b.o->unmatched_days);
    snprintf(what2, sizeof(what2),
             "receipts with money no order takes, value day %ld or more days ago: settle match "
             "each to its order, settle arrival a payout's bank credit, or settle charge a bank's "
             "charge",
             b.o->unmatched_days);
    need(&b, needs, what, what2, unmatched, "cebgate report fx unmatched");
    need(&b, needs,
         o->seller == NULL ? "export VAT refund unit at risk of its filing deadline"
                           : "export VAT refund unit at risk of its filing deadline (the "
                             "broker's: refund units belong to no seller)",
         o->seller == NULL ? "export VAT refund units at risk of their filing deadline"
                           : "export VAT refund units at risk of their filing deadline (the "
                             "broker's: refund units belong to no seller)",
         refund_risk, "cebgate report refund risk");
    need(&b, needs, "receipt for an unknown or mismatched message",
         "receipts for unknown or mismatched messages", total_of(find_section(&b, "unknown")),
         "cebgate status --unknown");
    need(&b, needs,
         "order held back as waiting for its shop status, not declared: a later file that "
         "shows it live declares it",
         "orders held back as waiting for their shop status, not declared: a later file that "
         "shows them live declares them",
         total_of(find_section(&b, "held")), "cebgate status --held");
    if (b.oom)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
done:
    json_decref(sum.sellers);
    free(sum.route_b);
    json_decref(sellers_states);
    json_decref(credit_due);
    if (rc == CG_OK) {
        *out = b.r;
        return CG_OK;
    }
    cg_report_free(b.r);
    return rc;
}
