/*
 * refund-ops.c - operator actions and timers on refund units: clearance, collection, invoice
 * allocation and matching, late filing, fixes, regime changes, returns and clawbacks, the
 * deadline tick, and the explanation of a unit.
 *
 * Each public function is one transaction (cg_store_tx); a refusal (CG_EREJECT) or a database
 * failure rolls everything back. Matching never splits an invoice line beyond what is left
 * of it, and the database refuses an allocation beyond a line's quantity or amount.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "lifecycle/lifecycle.h"
#include "refund/refund-int.h"
#include "settle/settle.h"
#include "store/store-flow.h"
#include "store/store.h"

struct op {
    struct cg_refund *r;
    const char *unit, *arg, *arg2, *note, *day;
    long count;
    struct cg_refund_tick *tick;
    struct cg_refund_batch *left; /* refund regime: the batch the unit left */
};

static int run(struct cg_refund *r, cg_store_work_fn fn, struct op *o, struct cg_err *err)
{
    int rc;

    o->r = r;
    r->done[0] = '\0';
    rc = cg_store_tx(r->db, fn, o, err);
    if (rc != CG_OK)
        r->done[0] = '\0';
    return rc;
}

const char *cg_refund_done(const struct cg_refund *r)
{
    return r->done;
}

/* r->done: "unit ENTRY/ITEM: STATE: " and what fmt says, the unit as it is now. */
static void done_unit(struct cg_refund *r, const struct unit *x, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void done_unit(struct cg_refund *r, const struct unit *x, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(r->done, sizeof(r->done), "unit %s/%ld: %s: ", x->entry_id, x->u.item_no,
                     x->state);

    if (n < 0 || (size_t)n >= sizeof(r->done))
        return;
    va_start(ap, fmt);
    vsnprintf(r->done + n, sizeof(r->done) - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Run fn in one transaction on a struct op made of the arguments. */
static int unit_op(struct cg_refund *r, cg_store_work_fn fn, const char *unit, const char *arg,
                   const char *arg2, const char *note, const char *day, struct cg_err *err)
{
    struct op o;

    memset(&o, 0, sizeof(o));
    o.unit = unit;
    o.arg = arg;
    o.arg2 = arg2;
    o.note = note;
    o.day = day;
    return run(r, fn, &o, err);
}

static int need_note(const char *note, const char *what, struct cg_err *err)
{
    if (note == NULL || note[0] == '\0')
        return CG_ERR_SET(err, CG_EINVAL, "refund %s: --note with the reason or evidence expected",
                          what);
    return CG_OK;
}

/* ------------------------------------------------------------------ clearance, collection */

struct idlist {
    long long *ids;
    size_t n, cap;
    int nomem;
};

static int collect_id(void *ctx, const struct cg_rf_unit *u)
{
    struct idlist *l = ctx;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        long long *p = realloc(l->ids, cap * sizeof(*p));
        if (p == NULL) {
            l->nomem = 1;
            return CG_ENOMEM;
        }
        l->ids = p;
        l->cap = cap;
    }
    l->ids[l->n++] = u->id;
    return CG_OK;
}

/* Ids of the units of a batch (batch > 0), of a declaration, or all. */
int rf_unit_ids(struct cg_refund *r, long long batch, const char *entry_id, long long **ids,
                size_t *n, struct cg_err *err)
{
    struct idlist l = {NULL, 0, 0, 0};
    int rc = cg_store_rf_units_each(r->db, batch, entry_id, collect_id, &l, err);

    if (l.nomem)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (rc != CG_OK) {
        free(l.ids);
        return rc;
    }
    *ids = l.ids;
    *n = l.n;
    return CG_OK;
}

/* A state and how many units a declaration's clearance left in it. */
struct state_count {
    char state[24];
    long n;
};

static void count_state(struct state_count *s, size_t size, const char *state)
{
    size_t i;

    for (i = 0; i < size && s[i].n > 0; i++) {
        if (strcmp(s[i].state, state) == 0) {
            s[i].n++;
            return;
        }
    }
    if (i < size) {
        cg_strlcpy(s[i].state, state, sizeof(s[i].state));
        s[i].n = 1;
    }
}

/*
 * r->done for a declaration's clearance: "declaration E: cleared on DAY: 2 units now READY", or
 * "... 3 units now 2 READY, 1 WAIT_DOCS"; "; 1 unit cleared before, left as it was" after it when
 * some were; "declaration E: all 2 units cleared before, nothing recorded" when all were.
 */
static void done_cleared(struct cg_refund *r, const char *entry, const char *day, long all,
                         long now, const struct state_count *s, size_t size)
{
    size_t used, i;

    if (now == 0) {
        snprintf(r->done, sizeof(r->done),
                 "declaration %s: all %ld %s cleared before, nothing recorded", entry, all,
                 all == 1 ? "unit" : "units");
        return;
    }
    snprintf(r->done, sizeof(r->done), "declaration %s: cleared on %s: %ld %s now", entry, day, now,
             now == 1 ? "unit" : "units");
    for (i = 0; i < size && s[i].n > 0; i++) {
        used = strlen(r->done);
        if (s[0].n == now)
            snprintf(r->done + used, sizeof(r->done) - used, " %s", s[i].state);
        else
            snprintf(r->done + used, sizeof(r->done) - used, "%s %ld %s", i > 0 ? "," : "", s[i].n,
                     s[i].state);
    }
    used = strlen(r->done);
    if (all > now)
        snprintf(r->done + used, sizeof(r->done) - used, "; %ld %s cleared before, left as it was",
                 all - now, all - now == 1 ? "unit" : "units");
}

static int cleared_tx(struct cg_store *db, void *ctx, struct cg_err *err)
{
    struct op *o = ctx;
    struct state_count states[16];
    long long *ids = NULL;
    size_t n = 0, i;
    int rc;

    (void)db;
    memset(states, 0, sizeof(states));
    rc = rf_unit_ids(o->r, 0, o->unit, &ids, &n, err);
    if (rc == CG_OK && n == 0)
        rc = CG_ERR_SET(err, CG_ENOTFOUND, "no refund unit of declaration %s", o->unit);
    for (i = 0; rc == CG_OK && i < n; i++) {
        struct unit x;
        rc = rf_unit_load_id(o->r, ids[i], &x, err);
        if (rc != CG_OK || x.cleared_on[0] != '\0')
            continue;
        RF_SET(&x, cleared_on, o->day);
        rc = rf_note(o->r, &x, "OPERATOR", "cleared", o->day, err);
        if (rc == CG_OK)
            rc = rf_evaluate(o->r, &x, "OPERATOR", "cleared", err);
        if (rc == CG_OK)
            count_state(states, sizeof(states) / sizeof(states[0]), x.state);
        o->count++;
    }
    free(ids);
    if (rc == CG_OK)
        done_cleared(o->r, o->unit, o->day, (long)n, o->count, states,
                     sizeof(states) / sizeof(states[0]));
    return rc;
}

int cg_refund_cleared(struct cg_refund *r, const char *entry_id, const char *day,
                      struct cg_err *err)
{
    if (!rf_day_ok(day))
        return CG_ERR_SET(err, CG_EINVAL, "refund cleared: '%s' is not a day (YYYY-MM-DD)",
                          day != NULL ? day : "");
    return unit_op(r, cleared_tx, entry_id, NULL, NULL, NULL, day, err);
}

static int collected_tx(struct cg_store *db, void *ctx, struct cg_err *err)
{
    struct op *o = ctx;
    struct unit x;
    int rc;

    (void)db;
    rc = rf_unit_load(o->r, o->unit, &x, err);
    if (rc == CG_OK && RF_COLLECTED(&x))
        done_unit(o->r, &x, "proceeds collected before, nothing recorded");
    if (rc != CG_OK || RF_COLLECTED(&x))
        return rc;
    x.u.fx_ok = RF_FX_GIVEN;
    rc = rf_note(o->r, &x, "OPERATOR", "collected", o->note, err);
    if (rc == CG_OK)
        rc = rf_evaluate(o->r, &x, "OPERATOR", "collected", err);
    if (rc == CG_OK)
        done_unit(o->r, &x, "proceeds collected");
    return rc;
}

int cg_refund_collected(struct cg_refund *r, const char *unit, const char *note, struct cg_err *err)
{
    if (need_note(note, "collected", err) != CG_OK)
        return CG_EINVAL;
    return unit_op(r, collected_tx, unit, NULL, NULL, note, NULL, err);
}

struct sync {
    struct cg_refund *r;
    const struct cg_table *t;
    size_t order_col, state_col;
    size_t *by_order; /* row numbers sorted by order number, then by seller */
    long n, reversed, ambiguous;
    char order[140]; /* the unit's order in the events: "SELLER/NO", or "NO" without a seller */
};

/* The "SELLER/NO" (or "NO", for the files directly in incoming/) of a settle/ row. */
static const char *order_name(const struct sync *y, size_t row)
{
    return y->t->cells[row * y->t->ncols + y->order_col];
}

/* The order number of a settle/ row: what follows "SELLER/". */
static const char *order_key(const struct sync *y, size_t row)
{
    const char *name = order_name(y, row);
    const char *slash = strchr(name, '/');

    return slash != NULL ? slash + 1 : name;
}

static int cmp_row(const void *a, const void *b, void *ctx)
{
    size_t ra = *(const size_t *)a, rb = *(const size_t *)b;
    int c = strcmp(order_key(ctx, ra), order_key(ctx, rb));

    return c != 0 ? c : strcmp(order_name(ctx, ra), order_name(ctx, rb));
}

/* Rows sorted by order number, so a unit's order is found by bisection. */
static int index_rows(struct sync *y)
{
    size_t i;

    y->by_order = malloc((y->t->nrows + 1) * sizeof(*y->by_order));
    if (y->by_order == NULL)
        return CG_ENOMEM;
    for (i = 0; i < y->t->nrows; i++)
        y->by_order[i] = i;
    qsort_r(y->by_order, y->t->nrows, sizeof(*y->by_order), cmp_row, y);
    return CG_OK;
}

/* Whether a settle/ row is the order seller/order_no. */
static int is_order(const struct sync *y, size_t row, const char *seller, const char *order_no)
{
    const char *name = order_name(y, row);
    size_t n = strlen(seller);

    return strncmp(name, seller, n) == 0 && name[n] == '/' && strcmp(name + n + 1, order_no) == 0;
}

/*
 * The settle/ state of a unit's order, or NULL. A unit that knows its seller takes the row
 * "SELLER/NO" and no other; one that does not takes the row with its number when one seller
 * has it. When several sellers have it, NULL and *sellers lists them ("acme, b2b"; the files
 * directly in incoming/ as "(default)"), *nsellers their count; nothing is guessed.
 */
static const char *fx_state_of(const struct sync *y, const struct unit *x, char *sellers,
                               size_t size, long *nsellers)
{
    size_t lo = 0, hi = y->t->nrows, i, found = y->t->nrows;

    *nsellers = 0;
    sellers[0] = '\0';
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(order_key(y, y->by_order[mid]), x->order_no) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (i = lo; i < y->t->nrows && strcmp(order_key(y, y->by_order[i]), x->order_no) == 0; i++) {
        const char *name = order_name(y, y->by_order[i]);
        const char *slash = strchr(name, '/');
        size_t used = strlen(sellers);
        if (x->seller[0] != '\0') {
            if (is_order(y, y->by_order[i], x->seller, x->order_no))
                found = y->by_order[i];
            continue;
        }
        found = y->by_order[i];
        (*nsellers)++;
        snprintf(sellers + used, size - used, "%s%.*s", used > 0 ? ", " : "",
                 slash != NULL ? (int)(slash - name) : 9, slash != NULL ? name : "(default)");
    }
    if (found == y->t->nrows || *nsellers > 1)
        return NULL;
    return y->t->cells[found * y->t->ncols + y->state_col];
}

/*
 * A unit that knows only its order number, when several sellers have that number in settle/:
 * nothing is taken from any of them. The note (and an event, once) says so and how to resolve
 * it; the unit is otherwise left as it is.
 */
static int fx_ambiguous(struct sync *y, struct unit *x, const char *sellers, struct cg_err *err)
{
    char note[sizeof(x->fx_note)];

    y->ambiguous++;
    snprintf(note, sizeof(note),
             "order %s is in settle for sellers %s: not taken; give the unit its seller (the "
             "items file again with a seller column) or record the collection (refund collected)",
             x->order_no, sellers);
    if (strcmp(note, x->fx_note) == 0)
        return CG_OK;
    RF_SET(x, fx_note, note);
    return rf_note(y->r, x, "IMPORT", "settle", note, err);
}

/* A settle/ state that undoes a collection counted before. */
static int reversed_state(const char *state)
{
    return strcmp(state, "AWAITING") == 0 || strcmp(state, "PARTIAL") == 0 ||
           strcmp(state, "OVERDUE") == 0 || strcmp(state, "UNCOLLECTIBLE") == 0;
}

/*
 * The proceeds settle/ had reported collected are not any more (an allocation taken back,
 * uncollectible): a unit not filed waits for them again; a refunded unit owes back all of the
 * refund not yet clawed back; a unit filed and not paid owes it when the refund is paid.
 * An overpayment left by an earlier restored collection counts towards it again. A READY or
 * PRECHECKED unit of a batch not filed yet is not filed either: it leaves the batch, whose
 * files are written again without it, as READY needs the proceeds collected.
 */
static int fx_reversed(struct sync *y, struct unit *x, const char *state, struct cg_err *err)
{
    char detail[400], a[32], out[128] = "";
    int64_t due;
    int filed = 1, rc;

    if (x->u.batch_id != 0 &&
        (strcmp(x->state, "READY") == 0 || strcmp(x->state, "PRECHECKED") == 0)) {
        struct cg_refund_batch left;
        rc = rf_batch_filed(y->r, x->u.batch_id, &filed, err);
        if (rc == CG_OK && !filed)
            rc = rf_batch_leave(y->r, x, "reverse the collection", &left, err);
        if (rc != CG_OK)
            return rc;
        if (!filed)
            snprintf(out, sizeof(out),
                     "; out of batch B%lld, whose files were written again without it (%ld %s)",
                     left.id, left.units, left.units == 1 ? "unit" : "units");
    }
    if (!rf_filed(x)) {
        x->u.fx_ok = RF_FX_NONE;
        snprintf(detail, sizeof(detail), "collection reversed: order %s is %s%s", y->order, state,
                 out);
        if (strcmp(x->state, "READY") == 0 || strcmp(x->state, "PRECHECKED") == 0)
            rc = rf_move(y->r, x, "WAIT_DOCS", "IMPORT", "settle", detail, err);
        else
            rc = rf_note(y->r, x, "IMPORT", "settle", detail, err);
        return rc == CG_OK ? rf_evaluate(y->r, x, "IMPORT", "settle", err) : rc;
    }
    x->u.fx_ok = RF_FX_REVERSED;
    x->u.overpaid_fen = 0;
    due = x->u.refunded_fen - x->u.clawback_fen;
    if (x->u.refunded_fen == 0 || due <= 0) {
        snprintf(detail, sizeof(detail),
                 "collection reversed after filing: order %s is %s; the refund is clawed back "
                 "when paid",
                 y->order, state);
        return rf_note(y->r, x, "IMPORT", "settle", detail, err);
    }
    x->u.clawback_fen = x->u.refunded_fen;
    cg_refund_fen_format(due, a, sizeof(a));
    snprintf(detail, sizeof(detail),
             "collection reversed after the refund: order %s is %s; "
             "clawback CNY %s",
             y->order, state, a);
    if (strcmp(x->state, "CLAWBACK_DUE") == 0)
        return rf_note(y->r, x, "IMPORT", "settle", detail, err);
    return rf_move(y->r, x, "CLAWBACK_DUE", "IMPORT", "settle", detail, err);
}

/*
 * The proceeds reversed before are collected again in settle/ (the reversal was a step on the
 * way, e.g. a buyer refund booked before the returned goods are marked): the unit counts as
 * collected again, and a refund paid owes only what returns give (rule 5: refunded x returned
 * since filing / filed), never less than was repaid already. The rest of the reversal's
 * clawback is undone: back to REFUNDED when nothing is owed, CLAWBACK_PAID when the repaid
 * amount covers it. What was repaid beyond the rule's figure is overpaid: it stays in the
 * clawback and the repaid amount, is owed back by the tax office, and is said in the event
 * (`refund reclaimed` records it paid back). A refund not yet paid falls due by the rule when
 * it is paid.
 */
static int fx_recollected(struct sync *y, struct unit *x, const char *state, struct cg_err *err)
{
    char detail[700], a[32], b[32];
    int64_t keep = 0, rule, before = x->u.clawback_fen;
    int rc;

    x->u.fx_ok = RF_FX_SETTLE;
    if (x->u.refunded_fen == 0 || !rf_filed(x)) {
        snprintf(detail, sizeof(detail), "collection restored: order %s is %s again", y->order,
                 state);
        rc = rf_note(y->r, x, "IMPORT", "settle", detail, err);
        return rc == CG_OK ? rf_evaluate(y->r, x, "IMPORT", "settle", err) : rc;
    }
    rc = rf_return_clawback(x, &keep);
    if (rc != CG_OK)
        return CG_ERR_SET(err, rc, "unit %s/%ld: clawback out of range", x->entry_id, x->u.item_no);
    rule = keep;
    x->u.overpaid_fen = x->u.clawback_paid_fen > rule ? x->u.clawback_paid_fen - rule : 0;
    if (keep < x->u.clawback_paid_fen)
        keep = x->u.clawback_paid_fen;
    if (keep > before)
        keep = before; /* this only undoes a clawback, it never adds to it */
    x->u.clawback_fen = keep;
    cg_refund_fen_format(keep, a, sizeof(a));
    cg_refund_fen_format(before, b, sizeof(b));
    snprintf(detail, sizeof(detail),
             "collection restored: order %s is %s again; clawback CNY %s instead of %s "
             "(returns since filing, not less than repaid)",
             y->order, state, a, b);
    if (x->u.overpaid_fen > 0) {
        size_t used = strlen(detail);
        cg_refund_fen_format(x->u.overpaid_fen, a, sizeof(a));
        cg_refund_fen_format(rule, b, sizeof(b));
        snprintf(detail + used, sizeof(detail) - used,
                 "; CNY %s repaid beyond the CNY %s the rule asks: overpaid, to be reclaimed from "
                 "the tax office (refund reclaimed when it is paid back)",
                 a, b);
    }
    if (strcmp(x->state, "CLAWBACK_DUE") == 0 && keep == 0)
        return rf_move(y->r, x, "REFUNDED", "IMPORT", "settle", detail, err);
    if (strcmp(x->state, "CLAWBACK_DUE") == 0 && keep == x->u.clawback_paid_fen)
        return rf_move(y->r, x, "CLAWBACK_PAID", "IMPORT", "settle", detail, err);
    return rf_note(y->r, x, "IMPORT", "settle", detail, err);
}

static int sync_tx(struct cg_store *db, void *ctx, struct cg_err *err)
{
    struct sync *y = ctx;
    long long *ids = NULL;
    size_t n = 0, i;
    int rc;

    (void)db;
    rc = rf_unit_ids(y->r, 0, NULL, &ids, &n, err);
    for (i = 0; rc == CG_OK && i < n; i++) {
        struct unit x;
        const char *state;
        char detail[200], sellers[160];
        long nsellers = 0;
        rc = rf_unit_load_id(y->r, ids[i], &x, err);
        if (rc != CG_OK || x.order_no[0] == '\0' || x.u.fx_ok == RF_FX_GIVEN)
            continue;
        state = fx_state_of(y, &x, sellers, sizeof(sellers), &nsellers);
        if (nsellers > 1) {
            rc = fx_ambiguous(y, &x, sellers, err);
            continue;
        }
        if (state == NULL)
            continue;
        snprintf(y->order, sizeof(y->order), "%s%s%s", x.seller, x.seller[0] ? "/" : "",
                 x.order_no);
        if (x.fx_note[0] != '\0') {
            /* the number is one seller's again: what follows is taken as usual */
            RF_SET(&x, fx_note, "");
            rc = cg_store_rf_unit_save(y->r->db, &x.u, err);
            if (rc != CG_OK)
                continue;
        }
        if (x.u.fx_ok == RF_FX_SETTLE) {
            if (reversed_state(state)) {
                rc = fx_reversed(y, &x, state, err);
                y->reversed++;
            }
            continue;
        }
        if (strcmp(state, "COLLECTED") != 0 && strcmp(state, "DEEMED_COLLECTED") != 0)
            continue;
        if (x.u.fx_ok == RF_FX_REVERSED) {
            rc = fx_recollected(y, &x, state, err);
            y->n++;
            continue;
        }
        x.u.fx_ok = RF_FX_SETTLE;
        snprintf(detail, sizeof(detail), "order %s is %s", y->order, state);
        rc = rf_note(y->r, &x, "IMPORT", "settle", detail, err);
        if (rc == CG_OK)
            rc = rf_evaluate(y->r, &x, "IMPORT", "settle", err);
        y->n++;
    }
    free(ids);
    return rc;
}

int cg_refund_sync_collection(struct cg_refund *r, struct cg_settle *s, long *n, long *reversed,
                              long *ambiguous, struct cg_err *err)
{
    struct cg_table *t = NULL;
    struct sync y;
    long watch = 0;
    size_t c;
    int rc;

    memset(&y, 0, sizeof(y));
    *n = *reversed = *ambiguous = 0;
    /* nothing to ask settle/ when no unit follows an order's collection */
    rc = cg_store_rf_units_fx_open(r->db, &watch, err);
    if (rc != CG_OK || watch == 0)
        return rc;
    rc = cg_settle_report(s, CG_FXR_ORDERS, r->today, &t, err);
    if (rc != CG_OK)
        return rc;
    y.r = r;
    y.t = t;
    y.order_col = y.state_col = t->ncols;
    for (c = 0; c < t->ncols; c++) {
        if (strcmp(t->cols[c], "order") == 0)
            y.order_col = c;
        else if (strcmp(t->cols[c], "state") == 0)
            y.state_col = c;
    }
    if (y.order_col == t->ncols || y.state_col == t->ncols)
        rc = CG_ERR_SET(err, CG_EUNSUPPORTED, "settle's order report has no order or state");
    else if (index_rows(&y) != CG_OK)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    else
        rc = cg_store_tx(r->db, sync_tx, &y, err);
    free(y.by_order);
    cg_table_free(t);
    if (rc == CG_OK) {
        *n = y.n;
        *reversed = y.reversed;
        *ambiguous = y.ambiguous;
    }
    return rc;
}

/* ------------------------------------------------------------------ invoices */

/* Allocate up to want_m of line l to unit x; *took what was taken. Amount and VAT pro rata,
 * never more than is left of the line; the last part of a line takes what is left of both, so
 * the parts add up to the line's amount and VAT exactly. */
static int take(struct cg_refund *r, struct unit *x, struct cg_rf_invline *l, int64_t want_m,
                const char *cause, int64_t *took, struct cg_err *err)
{
    int64_t left = l->qty_m - l->used_qty_m, q = want_m < left ? want_m : left;
    int64_t amount_left = l->amount_fen - l->used_fen, vat_left = l->vat_fen - l->used_vat_fen;
    int64_t amount = amount_left, vat = vat_left;
    int rc = CG_OK;

    *took = 0;
    if (q <= 0)
        return CG_OK;
    if (q < left) {
        rc = cg_refund_share(l->amount_fen, q, l->qty_m, &amount);
        if (rc == CG_OK)
            rc = cg_refund_share(l->vat_fen, q, l->qty_m, &vat);
        /* parts rounded up one by one could pass the line before its last part */
        if (amount > amount_left)
            amount = amount_left;
        if (vat > vat_left)
            vat = vat_left;
    }
    if (rc != CG_OK)
        return CG_ERR_SET(err, rc, "invoice %s/%s/%ld: amount out of range", l->code, l->number,
                          l->line_no);
    if (vat < 0)
        vat = 0; /* parts recorded before the cap above may have taken more than the line's VAT */
    rc = cg_store_rf_alloc_add(r->db, l->id, x->u.id, q, amount, vat, cause, err);
    if (rc == CG_EREJECT)
        return CG_ERR_SET(err, CG_EREJECT,
                          "invoice %s/%s line %ld is already used: the allocation exceeds it",
                          l->code, l->number, l->line_no);
    if (rc != CG_OK)
        return rc;
    l->used_qty_m += q;
    l->used_fen += amount;
    l->used_vat_fen += vat;
    x->u.inv_qty_m += q;
    x->u.inv_fen += amount;
    x->u.inv_vat_fen += vat;
    *took = q;
    return CG_OK;
}

/* Why line l cannot serve unit x, or NULL when it can. */
static const char *mismatch(const struct unit *x, const struct cg_rf_invline *l, char *buf,
                            size_t size)
{
    if (strcmp(l->name, x->name) != 0)
        return NULL; /* another article: not a candidate at all */
    if (strcmp(l->unit, x->unit) != 0)
        snprintf(buf, size, "invoice %s/%s line %ld: unit '%s' differs from the declaration's '%s'",
                 l->code, l->number, l->line_no, l->unit, x->unit);
    else if (l->hs[0] != '\0' && strcmp(l->hs, x->hs) != 0)
        snprintf(buf, size, "invoice %s/%s line %ld: HS %s differs from the declaration's %s",
                 l->code, l->number, l->line_no, l->hs, x->hs);
    else if (l->spec[0] != '\0' && x->spec[0] != '\0' && strcmp(l->spec, x->spec) != 0)
        snprintf(buf, size, "invoice %s/%s line %ld: spec '%s' differs from the declaration's '%s'",
                 l->code, l->number, l->line_no, l->spec, x->spec);
    else
        return NULL;
    return buf;
}

struct lines {
    struct cg_rf_invline *v;
    char **strs;
    size_t n, cap, nstrs;
    int nomem;
};

static const char *keep(struct lines *ls, const char *s)
{
    char **p = realloc(ls->strs, (ls->nstrs + 1) * sizeof(*p));
    char *d = cg_strdup(s);

    if (p != NULL)
        ls->strs = p;
    if (p == NULL || d == NULL) {
        free(d);
        ls->nomem = 1;
        return "";
    }
    ls->strs[ls->nstrs++] = d;
    return d;
}

static int keep_line(void *ctx, const struct cg_rf_invline *l)
{
    struct lines *ls = ctx;
    struct cg_rf_invline *c;

    if (ls->n == ls->cap) {
        size_t cap = ls->cap ? ls->cap * 2 : 64;
        struct cg_rf_invline *p = realloc(ls->v, cap * sizeof(*p));
        if (p == NULL) {
            ls->nomem = 1;
            return CG_ENOMEM;
        }
        ls->v = p;
        ls->cap = cap;
    }
    c = &ls->v[ls->n++];
    *c = *l;
    c->code = keep(ls, l->code);
    c->number = keep(ls, l->number);
    c->issued_on = keep(ls, l->issued_on);
    c->seller_tax_id = keep(ls, l->seller_tax_id);
    c->name = keep(ls, l->name);
    c->spec = keep(ls, l->spec);
    c->unit = keep(ls, l->unit);
    c->hs = keep(ls, l->hs);
    return ls->nomem ? CG_ENOMEM : CG_OK;
}

static void lines_free(struct lines *ls)
{
    size_t i;

    for (i = 0; i < ls->nstrs; i++)
        free(ls->strs[i]);
    free(ls->strs);
    free(ls->v);
}

static int match_tx(struct cg_store *db, void *ctx, struct cg_err *err)
{
    struct op *o = ctx;
    struct lines ls;
    long long *ids = NULL;
    size_t n = 0, i, j;
    int rc;

    (void)db;
    memset(&ls, 0, sizeof(ls));
    rc = cg_store_rf_invlines_each(o->r->db, 1, keep_line, &ls, err);
    if (ls.nomem)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (rc == CG_OK)
        rc = rf_unit_ids(o->r, 0, NULL, &ids, &n, err);
    for (i = 0; rc == CG_OK && i < n; i++) {
        struct unit x;
        char why[512] = "";
        int64_t need;
        rc = rf_unit_load_id(o->r, ids[i], &x, err);
        if (rc != CG_OK)
            break;
        need = rf_kept_qty(&x) - x.u.inv_qty_m;
        if (strcmp(x.regime, "NOT_ELIGIBLE_SIMPLIFIED") == 0 || need <= 0 ||
            (strcmp(x.state, "WAIT_CLEARANCE") != 0 && strcmp(x.state, "WAIT_DOCS") != 0 &&
             strcmp(x.state, "LAPSED_SOFT") != 0))
            continue;
        for (j = 0; rc == CG_OK && j < ls.n && need > 0; j++) {
            struct cg_rf_invline *l = &ls.v[j];
            int64_t took = 0;
            char buf[512];
            if (l->used_qty_m >= l->qty_m || strcmp(l->name, x.name) != 0)
                continue;
            if (mismatch(&x, l, buf, sizeof(buf)) != NULL) {
                if (why[0] == '\0')
                    cg_strlcpy(why, buf, sizeof(why));
                continue;
            }
            rc = take(o->r, &x, l, need, "match", &took, err);
            need -= took;
            if (took > 0)
                o->count++;
        }
        if (rc != CG_OK)
            break;
        if (x.u.inv_qty_m == 0 && why[0] != '\0' && strcmp(x.state, "WAIT_DOCS") == 0) {
            RF_SET(&x, reason, why);
            rc = rf_move(o->r, &x, "MISMATCH", "IMPORT", "match", why, err);
        } else {
            rc = rf_evaluate(o->r, &x, "IMPORT", "match", err);
        }
    }
    free(ids);
    lines_free(&ls);
    return rc;
}

int cg_refund_match(struct cg_refund *r, long *made, struct cg_err *err)
{
    struct op o;
    int rc;

    memset(&o, 0, sizeof(o));
    rc = run(r, match_tx, &o, err);
    if (made != NULL)
        *made = rc == CG_OK ? o.count : 0;
    return rc;
}

static int allocate_tx(struct cg_store *db, void *ctx, struct cg_err *err)
{
    struct op *o = ctx;
    struct lines ls;
    struct unit x;
    char code[64], number[64];
    long line_no = 0;
    int64_t want = 0, took = 0, fen = 0, vat = 0;
    const char *a = o->arg, *b, *c;
    int rc;

    (void)db;
    memset(&ls, 0, sizeof(ls));
    b = strchr(a, '/');
    c = b != NULL ? strchr(b + 1, '/') : NULL;
    if (b == NULL || c == NULL || (size_t)(b - a) >= sizeof(code) ||
        (size_t)(c - b - 1) >= sizeof(number) || cg_parse_long(c + 1, 1, 99999, &line_no) != CG_OK)
        return CG_ERR_SET(err, CG_EINVAL, "refund allocate: '%s' is not CODE/NUMBER/LINE", a);
    memcpy(code, a, (size_t)(b - a));
    code[b - a] = '\0';
    memcpy(number, b + 1, (size_t)(c - b - 1));
    number[c - b - 1] = '\0';
    rc = rf_unit_load(o->r, o->unit, &x, err);
    if (rc != CG_OK)
        return rc;
    if (strcmp(x.regime, "NOT_ELIGIBLE_SIMPLIFIED") == 0)
        return CG_ERR_SET(err, CG_EREJECT, "unit %s is route A (simplified): no refund", o->unit);
    rc = cg_store_rf_invline_get(o->r->db, code, number, line_no, keep_line, &ls, err);
    if (rc == CG_ENOTFOUND)
        rc = CG_ERR_SET(err, CG_ENOTFOUND, "no invoice line %s", a);
    if (rc == CG_OK && o->arg2 != NULL && cg_refund_qty_parse(o->arg2, &want) != CG_OK)
        rc = CG_ERR_SET(err, CG_EINVAL, "refund allocate: quantity '%s' is not a number", o->arg2);
    if (rc == CG_OK && o->arg2 == NULL)
        want = rf_kept_qty(&x) - x.u.inv_qty_m;
    if (rc == CG_OK && (want <= 0 || want > rf_kept_qty(&x) - x.u.inv_qty_m))
        rc = CG_ERR_SET(err, CG_EREJECT, "unit %s needs %lld thousandths more, not %lld", o->unit,
                        (long long)(rf_kept_qty(&x) - x.u.inv_qty_m), (long long)want);
    if (rc == CG_OK && ls.v[0].used_qty_m + want > ls.v[0].qty_m)
        rc = CG_ERR_SET(err, CG_EREJECT,
                        "invoice line %s is already used: %lld of %lld thousandths allocated", a,
                        (long long)ls.v[0].used_qty_m, (long long)ls.v[0].qty_m);
    fen = x.u.inv_fen;
    vat = x.u.inv_vat_fen;
    if (rc == CG_OK)
        rc = take(o->r, &x, &ls.v[0], want, "operator", &took, err);
    if (rc == CG_OK)
        rc = rf_note(o->r, &x, "OPERATOR", a, o->note, err);
    if (rc == CG_OK)
        rc = rf_evaluate(o->r, &x, "OPERATOR", "allocate", err);
    if (rc == CG_OK) {
        char q[32], f[32], v[32], rf[32];
        cg_refund_qty_format(took, q, sizeof(q));
        cg_refund_fen_format(x.u.inv_fen - fen, f, sizeof(f));
        cg_refund_fen_format(x.u.inv_vat_fen - vat, v, sizeof(v));
        cg_refund_fen_format(x.u.refund_fen, rf, sizeof(rf));
        done_unit(o->r, &x,
                  "invoice line %s allocated: %s%s%s, CNY %s excl. VAT, VAT CNY %s; "
                  "refund CNY %s",
                  a, q, x.unit[0] != '\0' ? " " : "", x.unit, f, v, rf);
    }
    lines_free(&ls);
    return rc;
}

int cg_refund_allocate(struct cg_refund *r, const char *unit, const char *line, const char *qty,
                       const char *note, struct cg_err *err)
{
    return unit_op(r, allocate_tx, unit, line, qty, note, NULL, err);
}

/* ------------------------------------------------------------------ operator moves */

static int late_tx(struct cg_store *db, void *ctx, struct cg_err *err)
{
    struct op *o = ctx;
    struct unit x;
    int rc;

    (void)db;
    rc = rf_unit_load(o->r, o->unit, &x, err);
    if (rc != CG_OK)
        return rc;
    if (strcmp(x.state, "LAPSED_SOFT") != 0)
        return CG_ERR_SET(err, CG_EREJECT, "unit %s is %s: late filing is for LAPSED_SOFT units",
                          o->unit, x.state);
    if (strcmp(o->r->today, x.hard_deadline) > 0)
        return CG_ERR_SET(err, CG_EREJECT, "unit %s: the hard deadline %s has passed", o->unit,
                          x.hard_deadline);
    x.u.late_ok = 1;
    rc = rf_move(o->r, &x, "WAIT_DOCS", "OPERATOR", "late filing", o->note, err);
    if (rc == CG_OK)
        rc = rf_evaluate(o->r, &x, "OPERATOR", "late filing", err);
    if (rc == CG_OK)
        done_unit(o->r, &x, "late filing recorded, before the hard deadline %s", x.hard_deadline);
    return rc;
}

int cg_refund_late(struct cg_refund *r, const char *unit, const char *note, struct cg_err *err)
{
    if (need_note(note, "late", err) != CG_OK)
        return CG_EINVAL;
    return unit_op(r, late_tx, unit, NULL, NULL, note, NULL, err);
}

/*
 * A corrected mismatch or rejection goes back to WAIT_DOCS and is evaluated again, out of its
 * batch (rf_batch_leave), as SETTLE-REFUND.md §2.b has both needing the operator's fix before
 * the unit is filed: a batch not filed yet has its files written again without it, a filed one
 * keeps its files as filed. Either way `prepare` puts the unit into a new batch, with the data
 * as fixed, for a later period.
 */
static int fix_tx(struct cg_store *db, void *ctx, struct cg_err *err)
{
    struct op *o = ctx;
    struct cg_refund_batch *left = o->left;
    struct unit x;
    char detail[600], was[24];
    int rc;

    (void)db;
    memset(left, 0, sizeof(*left));
    rc = rf_unit_load(o->r, o->unit, &x, err);
    if (rc != CG_OK)
        return rc;
    cg_strlcpy(detail, o->note, sizeof(detail));
    if (strcmp(x.state, "REJECTED") == 0 || strcmp(x.state, "MISMATCH") == 0) {
        rc = rf_batch_leave(o->r, &x, "fix it", left, err);
        if (rc != CG_OK)
            return rc;
        if (left->id != 0 && left->filed)
            snprintf(detail, sizeof(detail),
                     "%s; out of batch B%lld (filed: its files are kept "
                     "as filed), to be filed again in a new batch",
                     o->note, left->id);
        else if (left->id != 0)
            snprintf(detail, sizeof(detail),
                     "%s; out of batch B%lld, whose files were written again without it (%ld "
                     "units), to be filed in a new batch",
                     o->note, left->id, left->units);
    }
    RF_SET(&x, reason, "");
    cg_strlcpy(was, x.state, sizeof(was));
    rc = rf_move(o->r, &x, "WAIT_DOCS", "OPERATOR", "fix", detail, err);
    if (rc == CG_OK)
        rc = rf_evaluate(o->r, &x, "OPERATOR", "fix", err);
    if (rc == CG_OK)
        done_unit(o->r, &x, "fix recorded (it was %s)", was);
    return rc;
}

int cg_refund_fix(struct cg_refund *r, const char *unit, const char *note,
                  struct cg_refund_batch *left, struct cg_err *err)
{
    struct cg_refund_batch none;
    struct op o;

    if (need_note(note, "fix", err) != CG_OK)
        return CG_EINVAL;
    memset(&o, 0, sizeof(o));
    o.unit = unit;
    o.note = note;
    o.left = left != NULL ? left : &none;
    return run(r, fix_tx, &o, err);
}

/* A regime change moves the state through the transition table like any other move:
 * leaving REFUND ends the refund (NO_REFUND; a LAPSED_SOFT unit stays lapsed), coming back
 * to it starts again from WAIT_CLEARANCE, or from LAPSED_SOFT as a late filing does, and only
 * before the hard deadline. Final and filed units keep their regime. A unit of a filing batch
 * leaves it (rf_batch_leave: the batch's files are written again without it unless the batch
 * was filed; a READY or PRECHECKED unit of a filed batch is refused), so that a batch lists only
 * units it claims a refund for and a unit back in REFUND goes into a new batch. */
static int regime_tx(struct cg_store *db, void *ctx, struct cg_err *err)
{
    struct op *o = ctx;
    struct unit x;
    struct cg_refund_batch *left = o->left;
    char detail[800], was[32];
    size_t used;
    int rc;

    (void)db;
    rc = rf_unit_load(o->r, o->unit, &x, err);
    if (rc != CG_OK)
        return rc;
    if (strcmp(x.regime, "NOT_ELIGIBLE_SIMPLIFIED") == 0 || strcmp(x.state, "LAPSED_HARD") == 0 ||
        strcmp(x.state, "RETURNED") == 0 || strcmp(x.state, "NOT_ELIGIBLE") == 0)
        return CG_ERR_SET(err, CG_EREJECT, "unit %s: regime %s in state %s is final", o->unit,
                          x.regime, x.state);
    if (strcmp(x.state, "DECLARED") == 0 || strcmp(x.state, "APPROVED") == 0 ||
        strcmp(x.state, "REFUNDED") == 0 || strncmp(x.state, "CLAWBACK", 8) == 0)
        return CG_ERR_SET(err, CG_EREJECT, "unit %s is %s: filed units keep their regime", o->unit,
                          x.state);
    if (strcmp(x.regime, o->arg) == 0)
        return CG_ERR_SET(err, CG_EREJECT, "unit %s: the regime is %s already%s", o->unit, x.regime,
                          strcmp(x.state, "LAPSED_SOFT") == 0
                              ? " (a late filing is refund late, with evidence)"
                              : "");
    if (strcmp(o->arg, "REFUND") == 0 && strcmp(o->r->today, x.hard_deadline) > 0)
        return CG_ERR_SET(err, CG_EREJECT, "unit %s: the hard deadline %s has passed", o->unit,
                          x.hard_deadline);
    /* out of its batch first: the batch's files must not list a unit it does not claim */
    rc = rf_batch_leave(o->r, &x, "change the regime", left, err);
    if (rc != CG_OK)
        return rc;
    snprintf(detail, sizeof(detail), "%s -> %s: %s", x.regime, o->arg, o->note);
    used = strlen(detail);
    if (left->id != 0 && left->filed)
        snprintf(detail + used, sizeof(detail) - used,
                 "; out of batch B%lld (filed: its files are kept as filed)", left->id);
    else if (left->id != 0)
        snprintf(detail + used, sizeof(detail) - used,
                 "; out of batch B%lld, whose files were written again without it (%ld %s)",
                 left->id, left->units, left->units == 1 ? "unit" : "units");
    cg_strlcpy(was, x.regime, sizeof(was));
    if (strcmp(o->arg, "REFUND") == 0) {
        RF_SET(&x, regime, o->arg);
        if (strcmp(x.state, "LAPSED_SOFT") == 0) {
            x.u.late_ok = 1; /* filed late, as with refund late */
            rc = rf_move(o->r, &x, "WAIT_DOCS", "OPERATOR", "regime", detail, err);
        } else {
            rc = rf_move(o->r, &x, "WAIT_CLEARANCE", "OPERATOR", "regime", detail, err);
        }
        if (rc == CG_OK)
            rc = rf_evaluate(o->r, &x, "OPERATOR", "regime", err);
    } else if (strcmp(x.regime, "REFUND") == 0 && strcmp(x.state, "LAPSED_SOFT") != 0) {
        /* the move is checked while the regime is still REFUND, then the regime changes */
        rc = rf_move(o->r, &x, "NO_REFUND", "OPERATOR", "regime", detail, err);
        if (rc == CG_OK) {
            RF_SET(&x, regime, o->arg);
            rc = cg_store_rf_unit_save(o->r->db, &x.u, err);
        }
    } else {
        RF_SET(&x, regime, o->arg);
        rc = rf_note(o->r, &x, "OPERATOR", "regime", detail, err);
    }
    if (rc == CG_OK)
        done_unit(o->r, &x, "regime %s -> %s", was, x.regime);
    return rc;
}

int cg_refund_regime(struct cg_refund *r, const char *unit, const char *regime, const char *note,
                     struct cg_refund_batch *left, struct cg_err *err)
{
    struct cg_refund_batch none;
    struct op o;

    if (regime == NULL ||
        (strcmp(regime, "REFUND") != 0 && strcmp(regime, "EXEMPT_WITH_DOCS") != 0 &&
         strcmp(regime, "EXEMPT_NO_INVOICE_103") != 0 && strcmp(regime, "TAXABLE") != 0))
        return CG_ERR_SET(err, CG_EINVAL,
                          "refund regime: '%s' is not REFUND, EXEMPT_WITH_DOCS, "
                          "EXEMPT_NO_INVOICE_103 or TAXABLE",
                          regime != NULL ? regime : "");
    if (need_note(note, "regime", err) != CG_OK)
        return CG_EINVAL;
    memset(&o, 0, sizeof(o));
    o.unit = unit;
    o.arg = regime;
    o.note = note;
    o.left = left != NULL ? left : &none;
    return run(r, regime_tx, &o, err);
}

/* ------------------------------------------------------------------ returns, clawbacks */

static int return_tx(struct cg_store *db, void *ctx, struct cg_err *err)
{
    struct op *o = ctx;
    struct unit x;
    int64_t q = 0;
    int rc;

    (void)db;
    rc = rf_unit_load(o->r, o->unit, &x, err);
    if (rc != CG_OK)
        return rc;
    if (cg_refund_qty_parse(o->arg, &q) != CG_OK || q <= 0)
        return CG_ERR_SET(err, CG_EINVAL, "refund return: quantity '%s' is not a number > 0",
                          o->arg);
    return rf_apply_return(o->r, &x, q, o->day, "OPERATOR", "return", o->note, err);
}

int cg_refund_return(struct cg_refund *r, const char *unit, const char *qty, const char *day,
                     const char *note, char *done, size_t size, struct cg_err *err)
{
    int rc;

    if (day == NULL)
        day = r->today;
    if (!rf_day_ok(day))
        return CG_ERR_SET(err, CG_EINVAL, "refund return: '%s' is not a day", day);
    r->last_event[0] = '\0';
    rc = unit_op(r, return_tx, unit, qty, NULL, note, day, err);
    if (rc == CG_OK && done != NULL && size > 0)
        snprintf(done, size, "%s", r->last_event);
    return rc;
}

static int clawback_tx(struct cg_store *db, void *ctx, struct cg_err *err)
{
    struct op *o = ctx;
    struct unit x;
    int64_t due, amount;
    char detail[128];
    int rc;

    (void)db;
    rc = rf_unit_load(o->r, o->unit, &x, err);
    if (rc != CG_OK)
        return rc;
    due = x.u.clawback_fen - x.u.clawback_paid_fen;
    amount = due;
    if (o->arg != NULL && cg_refund_fen_parse(o->arg, &amount) != CG_OK)
        return CG_ERR_SET(err, CG_EINVAL, "refund clawback: '%s' is not an amount", o->arg);
    if (amount <= 0 || amount > due)
        return CG_ERR_SET(err, CG_EREJECT, "unit %s: %lld fen of clawback due, not %lld", o->unit,
                          (long long)due, (long long)amount);
    x.u.clawback_paid_fen += amount;
    snprintf(detail, sizeof(detail), "repaid %lld fen on %s", (long long)amount, o->day);
    if (x.u.clawback_paid_fen == x.u.clawback_fen)
        rc = rf_move(o->r, &x, "CLAWBACK_PAID", "OPERATOR", "clawback", detail, err);
    else
        rc = rf_note(o->r, &x, "OPERATOR", "clawback", detail, err);
    if (rc == CG_OK) {
        char a[32], left[32];
        cg_refund_fen_format(amount, a, sizeof(a));
        cg_refund_fen_format(due - amount, left, sizeof(left));
        if (due == amount)
            done_unit(o->r, &x, "clawback repaid CNY %s on %s, nothing left due", a, o->day);
        else
            done_unit(o->r, &x, "clawback repaid CNY %s on %s, CNY %s still due", a, o->day, left);
    }
    return rc;
}

int cg_refund_clawback_paid(struct cg_refund *r, const char *unit, const char *amount,
                            const char *day, struct cg_err *err)
{
    if (day == NULL)
        day = r->today;
    if (!rf_day_ok(day))
        return CG_ERR_SET(err, CG_EINVAL, "refund clawback: '%s' is not a day", day);
    return unit_op(r, clawback_tx, unit, amount, NULL, NULL, day, err);
}

static int reclaimed_tx(struct cg_store *db, void *ctx, struct cg_err *err)
{
    struct op *o = ctx;
    struct unit x;
    int64_t amount;
    char detail[160], a[32], b[32];
    int rc;

    (void)db;
    rc = rf_unit_load(o->r, o->unit, &x, err);
    if (rc != CG_OK)
        return rc;
    amount = x.u.overpaid_fen;
    if (o->arg != NULL && cg_refund_fen_parse(o->arg, &amount) != CG_OK)
        return CG_ERR_SET(err, CG_EINVAL, "refund reclaimed: '%s' is not an amount", o->arg);
    if (amount <= 0 || amount > x.u.overpaid_fen)
        return CG_ERR_SET(err, CG_EREJECT, "unit %s: %lld fen overpaid, not %lld", o->unit,
                          (long long)x.u.overpaid_fen, (long long)amount);
    x.u.overpaid_fen -= amount;
    x.u.clawback_paid_fen -= amount;
    x.u.clawback_fen -= amount;
    cg_refund_fen_format(amount, a, sizeof(a));
    cg_refund_fen_format(x.u.clawback_fen, b, sizeof(b));
    snprintf(detail, sizeof(detail),
             "overpaid CNY %s paid back by the tax office on %s; clawback CNY %s", a, o->day, b);
    if (x.u.clawback_fen == 0 && strcmp(x.state, "CLAWBACK_PAID") == 0)
        rc = rf_move(o->r, &x, "REFUNDED", "OPERATOR", "reclaimed", detail, err);
    else
        rc = rf_note(o->r, &x, "OPERATOR", "reclaimed", detail, err);
    if (rc == CG_OK)
        done_unit(o->r, &x, "%s", detail);
    return rc;
}

int cg_refund_reclaimed(struct cg_refund *r, const char *unit, const char *amount, const char *day,
                        struct cg_err *err)
{
    if (day == NULL)
        day = r->today;
    if (!rf_day_ok(day))
        return CG_ERR_SET(err, CG_EINVAL, "refund reclaimed: '%s' is not a day", day);
    return unit_op(r, reclaimed_tx, unit, amount, NULL, NULL, day, err);
}

/* ------------------------------------------------------------------ deadlines */

static int open_state(const char *s)
{
    return strcmp(s, "WAIT_CLEARANCE") == 0 || strcmp(s, "WAIT_DOCS") == 0 ||
           strcmp(s, "READY") == 0 || strcmp(s, "PRECHECKED") == 0 || strcmp(s, "MISMATCH") == 0 ||
           strcmp(s, "REJECTED") == 0;
}

static int tick_tx(struct cg_store *db, void *ctx, struct cg_err *err)
{
    struct op *o = ctx;
    struct cg_refund *r = o->r;
    long long *ids = NULL;
    size_t n = 0, i;
    int rc;

    (void)db;
    rc = rf_unit_ids(r, 0, NULL, &ids, &n, err);
    for (i = 0; rc == CG_OK && i < n; i++) {
        struct unit x;
        int64_t vat = 0, value = 0;
        char detail[240];
        rc = rf_unit_load_id(r, ids[i], &x, err);
        if (rc != CG_OK || strcmp(x.regime, "REFUND") != 0)
            continue;
        if ((open_state(x.state) || strcmp(x.state, "LAPSED_SOFT") == 0) &&
            strcmp(o->day, x.hard_deadline) > 0) {
            const char *fb = r->hard_fallback;
            int filed = 1;
            if (strcmp(fb, "auto") == 0)
                fb = x.u.inv_qty_m >= x.u.qty_m ? "EXEMPT_WITH_DOCS" : "TAXABLE";
            snprintf(detail, sizeof(detail), "hard deadline %s passed; regime %s", x.hard_deadline,
                     fb);
            /* nothing is claimed any more: a batch not filed yet must not list the unit */
            if (x.u.batch_id != 0)
                rc = rf_batch_filed(r, x.u.batch_id, &filed, err);
            if (rc == CG_OK && !filed) {
                struct cg_refund_batch left;
                size_t used = strlen(detail);
                rc = rf_batch_leave(r, &x, "apply the hard deadline", &left, err);
                snprintf(detail + used, sizeof(detail) - used,
                         "; out of batch B%lld, whose files were written again without it (%ld "
                         "units)",
                         left.id, left.units);
            }
            if (rc == CG_OK)
                rc = rf_move(r, &x, "LAPSED_HARD", "TIMER", "hard deadline", detail, err);
            if (rc == CG_OK) {
                RF_SET(&x, regime, fb);
                rc = cg_store_rf_unit_save(r->db, &x.u, err);
            }
            o->tick->lapsed_hard++;
        } else if (open_state(x.state) && !x.u.late_ok && !x.u.soft_fired &&
                   strcmp(o->day, x.soft_deadline) > 0) {
            snprintf(detail, sizeof(detail), "soft deadline %s passed before filing",
                     x.soft_deadline);
            x.u.soft_fired = 1;
            rc = rf_move(r, &x, "LAPSED_SOFT", "TIMER", "soft deadline", detail, err);
            o->tick->lapsed_soft++;
        } else {
            if (x.archive_due[0] != '\0' && x.archived_on[0] == '\0' && !x.u.archive_fired &&
                strcmp(o->day, x.archive_due) > 0) {
                /* a reminder, not a state: the filing stands, the documents are late */
                snprintf(detail, sizeof(detail),
                         "supporting documents (contract, transport document) due by %s "
                         "are not archived",
                         x.archive_due);
                x.u.archive_fired = 1;
                rc = rf_note(r, &x, "TIMER", "archive", detail, err);
                o->tick->archive_late++;
            }
            continue;
        }
        if (rc == CG_OK &&
            cg_refund_share(x.u.value_fen, rf_kept_qty(&x), x.u.qty_m, &value) == CG_OK &&
            cg_refund_vat_inside(value, x.u.vat_ppm, &vat) == CG_OK) {
            o->tick->at_risk_fen += rf_refund_estimate(&x);
            o->tick->vat_due_fen += vat;
        }
    }
    free(ids);
    return rc;
}

int cg_refund_tick(struct cg_refund *r, const char *as_of, struct cg_refund_tick *res,
                   struct cg_err *err)
{
    struct op o;
    char saved[11];
    int rc;

    memset(&o, 0, sizeof(o));
    memset(res, 0, sizeof(*res));
    cg_strlcpy(saved, r->today, sizeof(saved));
    if (as_of != NULL && (rc = cg_refund_set_today(r, as_of, err)) != CG_OK)
        return rc;
    o.day = r->today;
    o.tick = res;
    rc = run(r, tick_tx, &o, err);
    cg_strlcpy(r->today, saved, sizeof(r->today));
    if (rc != CG_OK)
        memset(res, 0, sizeof(*res));
    return rc;
}

/* ------------------------------------------------------------------ supporting documents */

static int archive_one(struct op *o, struct unit *x, struct cg_err *err)
{
    char detail[600];

    if (x->archive_due[0] == '\0')
        return CG_ERR_SET(err, CG_EREJECT,
                          "unit %s/%ld is %s: supporting documents are archived after filing",
                          x->entry_id, x->u.item_no, x->state);
    if (x->archived_on[0] != '\0')
        return CG_OK; /* recorded before */
    RF_SET(x, archived_on, o->day);
    snprintf(detail, sizeof(detail),
             "supporting documents archived on %s (due %s, kept until "
             "%s): %s",
             o->day, x->archive_due, x->keep_until, o->note);
    o->count++;
    return rf_note(o->r, x, "OPERATOR", "archived", detail, err);
}

static int archived_tx(struct cg_store *db, void *ctx, struct cg_err *err)
{
    struct op *o = ctx;
    struct unit x;
    int rc;

    (void)db;
    if (o->unit[0] == 'B') {
        long long *ids = NULL;
        size_t n = 0, i;
        long bid = 0;
        if (cg_parse_long(o->unit + 1, 1, 0x7fffffffL, &bid) != CG_OK)
            return CG_ERR_SET(err, CG_EINVAL, "'%s' is not a batch (B<ID>)", o->unit);
        rc = rf_unit_ids(o->r, bid, NULL, &ids, &n, err);
        if (rc == CG_OK && n == 0)
            rc = CG_ERR_SET(err, CG_ENOTFOUND, "no batch %s", o->unit);
        for (i = 0; rc == CG_OK && i < n; i++) {
            rc = rf_unit_load_id(o->r, ids[i], &x, err);
            if (rc == CG_OK)
                rc = archive_one(o, &x, err);
        }
        free(ids);
        return rc;
    }
    rc = rf_unit_load(o->r, o->unit, &x, err);
    return rc == CG_OK ? archive_one(o, &x, err) : rc;
}

int cg_refund_archived(struct cg_refund *r, const char *target, const char *day, const char *note,
                       long *n, struct cg_err *err)
{
    struct op o;
    int rc;

    *n = 0;
    if (need_note(note, "archived", err) != CG_OK)
        return CG_EINVAL;
    if (day == NULL)
        day = r->today;
    if (!rf_day_ok(day))
        return CG_ERR_SET(err, CG_EINVAL, "refund archived: '%s' is not a day", day);
    memset(&o, 0, sizeof(o));
    o.unit = target;
    o.note = note;
    o.day = day;
    rc = run(r, archived_tx, &o, err);
    if (rc == CG_OK)
        *n = o.count;
    return rc;
}

/* ------------------------------------------------------------------ explain */

static int explain_alloc(void *ctx, const struct cg_rf_invline *l)
{
    struct cg_buf *b = ctx;
    char q[32], a[32];

    cg_refund_qty_format(l->qty_m, q, sizeof(q));
    cg_refund_fen_format(l->amount_fen, a, sizeof(a));
    cg_buf_addf(b, "  invoice %s/%s line %ld (%s, seller %s): %s %s, CNY %s excl. VAT\n", l->code,
                l->number, l->line_no, l->issued_on, l->seller_tax_id, q, l->unit, a);
    return CG_OK;
}

static int explain_event(void *ctx, const struct cg_rf_event *e)
{
    struct cg_buf *b = ctx;

    cg_buf_addf(b, "  %s  %s -> %s  %s %s%s%s\n", e->occurred_on, e->from_state, e->to_state,
                e->cause_kind, e->cause_ref, e->detail[0] ? ": " : "", e->detail);
    return CG_OK;
}

/* A unit's regime, state, amounts, allocations and events, appended to bp. */
static int explain_unit(struct cg_refund *r, const struct unit *u, struct cg_buf *bp,
                        struct cg_err *err)
{
    const struct unit x = *u;
    char q[32], rr[16], vr[16], a[10][32], rq[32], fq[32], over[64] = "", shortfall[96] = "";
    int rc;

    cg_refund_qty_format(x.u.returned_qty_m, rq, sizeof(rq));
    if (x.u.filed_qty_m > 0)
        cg_refund_qty_format(x.u.filed_qty_m, fq, sizeof(fq));
    else
        cg_strlcpy(fq, "-", sizeof(fq));
    cg_refund_qty_format(x.u.qty_m, q, sizeof(q));
    cg_refund_rate_format(x.u.refund_ppm, rr, sizeof(rr));
    cg_refund_rate_format(x.u.vat_ppm, vr, sizeof(vr));
    cg_refund_fen_format(x.u.inv_fen, a[0], sizeof(a[0]));
    cg_refund_fen_format(x.u.refund_fen, a[1], sizeof(a[1]));
    cg_refund_fen_format(x.u.approved_fen, a[2], sizeof(a[2]));
    cg_refund_fen_format(x.u.refunded_fen, a[3], sizeof(a[3]));
    cg_refund_fen_format(x.u.clawback_fen, a[4], sizeof(a[4]));
    cg_refund_fen_format(x.u.clawback_paid_fen, a[5], sizeof(a[5]));
    cg_refund_fen_format(x.u.overpaid_fen, a[6], sizeof(a[6]));
    if (x.u.overpaid_fen > 0)
        snprintf(over, sizeof(over), ", overpaid %s", a[6]);
    cg_refund_fen_format(rf_paid(&x), a[7], sizeof(a[7]));
    cg_refund_fen_format(rf_to_come(&x), a[8], sizeof(a[8]));
    cg_refund_fen_format(rf_shortfall(&x), a[9], sizeof(a[9]));
    if (rf_shortfall(&x) > 0)
        snprintf(shortfall, sizeof(shortfall), ", shortfall CNY %s (the tax office pays no more)",
                 a[9]);
    cg_buf_addf(
        bp,
        "unit %s/%ld (#%lld): %s %s, HS %s, %s %s, exported %s (%s%s%s)\n"
        "order %s%s%s%s%s\n"
        "regime %s, state %s%s%s\n"
        "refund rate %s%%, VAT rate %s%% (from %s)\n"
        "invoices CNY %s, refund CNY %s, approved %s, refunded %s, clawback %s (repaid %s%s)\n"
        "paid so far CNY %s of CNY %s approved, still to come CNY %s%s\n"
        "soft deadline %s, hard deadline %s\n"
        "returned %s, filed quantity %s; supporting documents due %s, archived %s, kept until %s\n",
        x.entry_id, x.u.item_no, x.u.id, x.name, x.spec, x.hs, q, x.unit, x.export_on, x.trade_mode,
        x.route[0] ? " route " : "", x.route, x.seller, x.seller[0] ? "/" : "",
        x.order_no[0] ? x.order_no : "-", x.fx_note[0] ? ": " : "", x.fx_note, x.regime, x.state,
        x.missing[0] ? ", missing " : "", x.missing, x.u.has_rate ? rr : "-",
        x.u.has_rate ? vr : "-", x.u.has_rate ? x.rate_from : "-", a[0], a[1], a[2], a[3], a[4],
        a[5], over, a[7], a[2], a[8], shortfall, x.soft_deadline, x.hard_deadline, rq, fq,
        x.archive_due[0] ? x.archive_due : "-", x.archived_on[0] ? x.archived_on : "-",
        x.keep_until[0] ? x.keep_until : "-");
    rc = cg_store_rf_allocs_each(r->db, x.u.id, explain_alloc, bp, err);
    if (rc == CG_OK)
        rc = cg_store_rf_events_each(r->db, x.u.id, explain_event, bp, err);
    return rc;
}

int cg_refund_explain(struct cg_refund *r, const char *unit, char **out, struct cg_err *err)
{
    struct unit x;
    struct cg_buf b;
    int rc;

    rc = rf_unit_load(r, unit, &x, err);
    if (rc != CG_OK)
        return rc;
    cg_buf_init(&b, 1u << 20);
    rc = explain_unit(r, &x, &b, err);
    if (rc == CG_OK && b.data == NULL)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (rc == CG_OK)
        *out = cg_buf_take(&b);
    cg_buf_free(&b);
    return rc;
}

/* ------------------------------------------------------------------ explain an order */

/* The orders of a name: every seller's order with that number (the first 16), or one seller's. */
struct order_list {
    const char *seller; /* NULL: any seller */
    struct order_ref {
        char seller[64], order_no[128];
        int64_t id;
    } o[16];
    size_t n;
    long named; /* orders with the number, of any seller */
};

static int order_seen(const struct cg_store_order *o, void *ctx)
{
    struct order_list *l = ctx;

    l->named++;
    if (l->seller != NULL && strcmp(o->seller, l->seller) != 0)
        return CG_OK;
    if (l->n < sizeof(l->o) / sizeof(l->o[0])) {
        cg_strlcpy(l->o[l->n].seller, o->seller, sizeof(l->o[0].seller));
        cg_strlcpy(l->o[l->n].order_no, o->order_no, sizeof(l->o[0].order_no));
        l->o[l->n++].id = o->id;
    }
    return CG_OK;
}

/* The order's export inventory (CEB603): its state and invtNo, "" when none was declared. */
struct order_invt {
    char state[24], invt_no[40];
};

static int invt_seen(const struct cg_store_doc *d, void *ctx)
{
    struct order_invt *v = ctx;

    if (d->msg_type == CG_MSG_INVENTORY) {
        cg_strlcpy(v->state, d->state != NULL ? d->state : "", sizeof(v->state));
        cg_strlcpy(v->invt_no, d->invt_no != NULL ? d->invt_no : "", sizeof(v->invt_no));
    }
    return CG_OK;
}

/* The units of an order: through its inventory, or by its number (and seller). */
struct order_units {
    struct cg_refund *r;
    const char *seller, *order_no, *invt_no;
    int one_seller; /* no other seller has an order of that number */
    int any_seller; /* a unit of any seller with the number (no seller named, none in the spool) */
    struct cg_buf *b;
    struct cg_err *err;
    long n;
};

static int unit_of_order(void *ctx, const struct cg_rf_unit *u)
{
    struct order_units *c = ctx;
    struct unit x;

    if (!(c->invt_no[0] != '\0' && rf_in_semi_list(u->invt_nos, c->invt_no)) &&
        (strcmp(u->order_no, c->order_no) != 0 ||
         (c->any_seller          ? 0
          : u->seller[0] != '\0' ? strcmp(u->seller, c->seller) != 0
                                 : !c->one_seller)))
        return CG_OK;
    rf_unit_copy(&x, u);
    if (c->n++ > 0)
        cg_buf_addf(c->b, "\n");
    return explain_unit(c->r, &x, c->b, c->err);
}

static int first_entry(long gnum, const char *entry_id, void *ctx)
{
    char *entry = ctx;

    (void)gnum;
    if (entry[0] == '\0' && entry_id != NULL)
        cg_strlcpy(entry, entry_id, 40);
    return CG_OK;
}

/* Why an order has no refund unit, and what is needed next, appended to b. */
static int explain_none(struct cg_refund *r, const char *name, const char *seller,
                        const char *order_no, const struct order_invt *v, struct cg_buf *b,
                        struct cg_err *err)
{
    char section[80], entry[40] = "", from[200];
    const char *flag = NULL;
    int rc;

    snprintf(section, sizeof(section), "seller%s%s", seller[0] ? "." : "", seller);
    if (r->conf != NULL && (seller[0] == '\0' || cg_conf_has_section(r->conf, section)))
        flag = cg_conf_get(r->conf, section, "statistics_flag");
    /* Where the value comes from: [seller.NAME] inherits a key it leaves out from [seller],
     * and [seller] from the default. */
    if (r->conf != NULL && cg_conf_is_set(r->conf, section, "statistics_flag"))
        snprintf(from, sizeof(from), "in [%s]", section);
    else if (r->conf != NULL && cg_conf_is_set(r->conf, "seller", "statistics_flag"))
        snprintf(from, sizeof(from), "in [seller], which [%s] inherits", section);
    else if (seller[0] != '\0')
        snprintf(from, sizeof(from), "by default: neither [%s] nor [seller] sets it", section);
    else
        snprintf(from, sizeof(from), "by default: [seller] does not set it");
    if (flag != NULL && strcmp(flag, "A") == 0) {
        cg_buf_addf(b,
                    "order %s: no refund unit, and there will be none: seller %s declares by "
                    "route A (statistics_flag = A %s); a route-A inventory is a simplified "
                    "9610 declaration with no customs declaration for tax, so it is never "
                    "eligible for the export VAT refund (regime NOT_ELIGIBLE_SIMPLIFIED, "
                    "docs/refund.md); only route B (statistics_flag = B: released inventories "
                    "summarised each month into a customs declaration) is refunded\n",
                    name, seller[0] ? seller : "(incoming/)", from);
        return CG_OK;
    }
    if (v->state[0] == '\0') {
        cg_buf_addf(b,
                    "order %s: no refund unit: no export inventory (CEB603) was declared for "
                    "it (cebgate status %s); a refund unit comes from the customs declaration "
                    "of a released inventory\n",
                    name, name);
        return CG_OK;
    }
    if (strcmp(v->state, "cancelled") == 0) {
        cg_buf_addf(b,
                    "order %s: no refund unit: its export inventory %s was cancelled (CEB605): "
                    "the goods were not exported, there is nothing to refund\n",
                    name, v->invt_no[0] ? v->invt_no : "(no invtNo)");
        return CG_OK;
    }
    if ((strcmp(v->state, "released") != 0 && strcmp(v->state, "closed") != 0) ||
        v->invt_no[0] == '\0') {
        cg_buf_addf(b,
                    "order %s: no refund unit yet: its export inventory is %s, not released; "
                    "a refund unit needs the inventory released by customs (800), then "
                    "summarised into a customs declaration (the monthly summary CEB701 and its "
                    "result CEB792), then the declaration's items imported (cebgate refund "
                    "entries FILE)\n",
                    name, v->state);
        return CG_OK;
    }
    rc = cg_store_invt_entries(r->db, v->invt_no, first_entry, entry, err);
    if (rc != CG_OK)
        return rc;
    if (entry[0] == '\0')
        cg_buf_addf(b,
                    "order %s: no refund unit yet: inventory %s is %s, but no customs "
                    "declaration is recorded for it: next, the monthly summary of its month "
                    "(CEB701, cebgate summary) and its result (CEB792), which gives the "
                    "declaration number; then the declaration's items (cebgate refund entries "
                    "FILE, with %s in the inventories column)\n",
                    name, v->invt_no, v->state, v->invt_no);
    else
        cg_buf_addf(b,
                    "order %s: no refund unit yet: inventory %s is in customs declaration %s "
                    "(CEB792), but no refund unit names it: next, the declaration's items "
                    "(cebgate refund entries FILE, with %s in the inventories column, or "
                    "order_no %s and seller %s)\n",
                    name, v->invt_no, entry, v->invt_no, order_no, seller);
    return CG_OK;
}

/* One order: its units explained, or why it has none. */
static int explain_one_order(struct cg_refund *r, const char *seller, const char *order_no,
                             int64_t id, int one_seller, struct cg_buf *b, struct cg_err *err)
{
    struct order_invt v;
    struct order_units c;
    char name[200];
    int rc = CG_OK;

    memset(&v, 0, sizeof(v));
    snprintf(name, sizeof(name), "%s%s%s", seller, seller[0] ? "/" : "", order_no);
    if (id > 0)
        rc = cg_store_order_docs(r->db, id, invt_seen, &v, err);
    if (rc != CG_OK)
        return rc;
    memset(&c, 0, sizeof(c));
    c.r = r;
    c.seller = seller;
    c.order_no = order_no;
    c.invt_no = v.invt_no;
    c.one_seller = one_seller;
    c.err = err;
    {
        struct cg_buf units;
        cg_buf_init(&units, 1u << 20);
        c.b = &units;
        rc = cg_store_rf_units_each(r->db, 0, NULL, unit_of_order, &c, err);
        if (rc == CG_OK && c.n > 0) {
            if (v.invt_no[0] != '\0')
                cg_buf_addf(b, "order %s: inventory %s (%s): %ld refund unit%s\n", name, v.invt_no,
                            v.state, c.n, c.n == 1 ? "" : "s");
            else
                cg_buf_addf(b, "order %s: %ld refund unit%s\n", name, c.n, c.n == 1 ? "" : "s");
            cg_buf_addf(b, "%s", cg_buf_str(&units));
        }
        cg_buf_free(&units);
    }
    if (rc == CG_OK && c.n == 0)
        rc = explain_none(r, name, seller, order_no, &v, b, err);
    return rc;
}

int cg_refund_explain_order(struct cg_refund *r, const char *name, char **out, struct cg_err *err)
{
    struct order_list l;
    const char *slash = strchr(name, '/');
    char seller[64] = "";
    const char *no = name;
    struct cg_buf b;
    size_t i;
    int rc;

    /* the whole name as a number first (a number may hold a '/'), then SELLER/ORDER-NO */
    memset(&l, 0, sizeof(l));
    rc = cg_store_orders_named(r->db, name, order_seen, &l, err);
    if (rc == CG_OK && l.n == 0 && slash != NULL && slash != name &&
        (size_t)(slash - name) < sizeof(seller)) {
        snprintf(seller, sizeof(seller), "%.*s", (int)(slash - name), name);
        no = slash + 1;
        memset(&l, 0, sizeof(l));
        l.seller = seller;
        rc = cg_store_orders_named(r->db, no, order_seen, &l, err);
    }
    if (rc != CG_OK)
        return rc;
    cg_buf_init(&b, 1u << 22);
    for (i = 0; rc == CG_OK && i < l.n; i++) {
        if (i > 0)
            cg_buf_addf(&b, "\n");
        rc = explain_one_order(r, l.o[i].seller, l.o[i].order_no, l.o[i].id, l.named == 1, &b, err);
    }
    if (rc == CG_OK && l.n == 0) {
        /* not in the spool: units that name the order (a 9710 or 9810 declaration) */
        struct order_units c;
        struct cg_buf units;
        memset(&c, 0, sizeof(c));
        c.r = r;
        c.seller = seller;
        c.order_no = no;
        c.invt_no = "";
        c.any_seller = seller[0] == '\0';
        c.b = &units;
        c.err = err;
        cg_buf_init(&units, 1u << 22);
        rc = cg_store_rf_units_each(r->db, 0, NULL, unit_of_order, &c, err);
        if (rc == CG_OK && c.n == 0)
            rc = CG_ERR_SET(err, CG_ENOTFOUND, "order %s: not known", name);
        if (rc == CG_OK)
            cg_buf_addf(&b, "order %s: not declared by cebgate; %ld refund unit%s name it\n%s",
                        name, c.n, c.n == 1 ? "" : "s", cg_buf_str(&units));
        cg_buf_free(&units);
    }
    if (rc == CG_OK && b.data == NULL)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (rc == CG_OK)
        *out = cg_buf_take(&b);
    cg_buf_free(&b);
    return rc;
}
