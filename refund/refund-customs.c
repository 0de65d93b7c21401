/*
 * refund-customs.c - what customs said, applied to the refund units: a CEB792 summary result
 * whose decState is one of [refund] cleared_dec_states clears the units of its declaration
 * (entryId), and an export return (CEB213) that customs accepted (a CEB214 with one of
 * [refund] return_statuses) brings the returned lines back through the rule of `refund
 * return` (rf_apply_return).
 *
 * Reads the customs_* and flow tables through store-customs.h, never writes them. One
 * transaction; each return line is applied once (rf_return), a line whose declaration item is
 * not known yet (no CEB792 for the inventory, no unit imported) is left for a later sync.
 * Failures: CG_EDB / CG_EBUSY / CG_ENOMEM roll everything back (temporary).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "refund/refund-int.h"
#include "store/store-customs.h"
#include "store/store.h"

struct entry {
    char *entry_id, *dec_state, *op_date;
};

/* A return receipt with its strings owned. */
struct ret {
    char *guid, *invt_no, *status, *return_time, *seller, *order_no, *lines;
};

struct sync {
    struct cg_refund *r;
    struct cg_refund_sync *res;
    struct entry *e;
    size_t ne;
    struct ret *ret;
    size_t nret;
    int nomem;
};

static char *dup_or_flag(struct sync *y, const char *s)
{
    char *d = cg_strdup(s != NULL ? s : "");

    if (d == NULL)
        y->nomem = 1;
    return d;
}

static int keep_entry(void *ctx, const char *entry_id, const char *dec_state, const char *op_date)
{
    struct sync *y = ctx;
    struct entry *p;

    if (!rf_in_list(y->r->cleared_states, dec_state))
        return CG_OK;
    p = realloc(y->e, (y->ne + 1) * sizeof(*p));
    if (p == NULL)
        return CG_ENOMEM;
    y->e = p;
    p = &y->e[y->ne++];
    p->entry_id = dup_or_flag(y, entry_id);
    p->dec_state = dup_or_flag(y, dec_state);
    p->op_date = dup_or_flag(y, op_date);
    return y->nomem ? CG_ENOMEM : CG_OK;
}

static int keep_return(void *ctx, const struct cg_customs_returned *c)
{
    struct sync *y = ctx;
    struct ret *p;

    if (!rf_in_list(y->r->return_statuses, c->status))
        return CG_OK;
    p = realloc(y->ret, (y->nret + 1) * sizeof(*p));
    if (p == NULL)
        return CG_ENOMEM;
    y->ret = p;
    p = &y->ret[y->nret++];
    p->guid = dup_or_flag(y, c->guid);
    p->invt_no = dup_or_flag(y, c->invt_no);
    p->status = dup_or_flag(y, c->status);
    p->return_time = dup_or_flag(y, c->return_time);
    p->seller = dup_or_flag(y, c->seller);
    p->order_no = dup_or_flag(y, c->order_no);
    p->lines = dup_or_flag(y, c->lines);
    return y->nomem ? CG_ENOMEM : CG_OK;
}

static void sync_free(struct sync *y)
{
    size_t i;

    for (i = 0; i < y->ne; i++) {
        free(y->e[i].entry_id);
        free(y->e[i].dec_state);
        free(y->e[i].op_date);
    }
    for (i = 0; i < y->nret; i++) {
        free(y->ret[i].guid);
        free(y->ret[i].invt_no);
        free(y->ret[i].status);
        free(y->ret[i].return_time);
        free(y->ret[i].seller);
        free(y->ret[i].order_no);
        free(y->ret[i].lines);
    }
    free(y->e);
    free(y->ret);
}

/* YYYYMMDD... (a customs time, China) as YYYY-MM-DD; the fallback when it is not a day. */
static void customs_day(const char *t, const char *fallback, char *out)
{
    char d[11];

    if (t != NULL && strlen(t) >= 8) {
        snprintf(d, sizeof(d), "%.4s-%.2s-%.2s", t, t + 4, t + 6);
        if (rf_day_ok(d)) {
            cg_strlcpy(out, d, 11);
            return;
        }
    }
    cg_strlcpy(out, fallback, 11);
}

/* The units of a declaration whose decState says it is cleared leave WAIT_CLEARANCE. */
static int apply_clearance(struct sync *y, const struct entry *e, struct cg_err *err)
{
    long long *ids = NULL;
    size_t n = 0, i;
    char day[11], detail[160];
    int rc;

    customs_day(e->op_date, y->r->today, day);
    rc = rf_unit_ids(y->r, 0, e->entry_id, &ids, &n, err);
    for (i = 0; rc == CG_OK && i < n; i++) {
        struct unit x;
        rc = rf_unit_load_id(y->r, ids[i], &x, err);
        if (rc != CG_OK || x.cleared_on[0] != '\0')
            continue;
        RF_SET(&x, cleared_on, day);
        snprintf(detail, sizeof(detail), "summary result (CEB792): decState %s on %s", e->dec_state,
                 day);
        rc = rf_note(y->r, &x, "RECEIPT", "CEB792", detail, err);
        if (rc == CG_OK)
            rc = rf_evaluate(y->r, &x, "RECEIPT", "CEB792", err);
        y->res->cleared++;
    }
    free(ids);
    return rc;
}

struct pick {
    const char *invt_no, *gcode, *order_no, *seller;
    int one_seller; /* the order number is one seller's in the spool */
    long long id;
    int matches, hs_matches;
    long long hs_id;
};

static int pick_unit(void *ctx, const struct cg_rf_unit *u)
{
    struct pick *k = ctx;

    if (k->invt_no != NULL
            ? !rf_in_semi_list(u->invt_nos, k->invt_no)
            : strcmp(u->order_no, k->order_no) != 0 ||
                  (u->seller[0] != '\0' ? strcmp(u->seller, k->seller) != 0 : !k->one_seller))
        return CG_OK;
    k->matches++;
    k->id = u->id;
    if (k->gcode != NULL && strcmp(u->hs, k->gcode) == 0) {
        k->hs_matches++;
        k->hs_id = u->id;
    }
    return CG_OK;
}

static int count_order(const struct cg_store_order *o, void *ctx)
{
    (void)o;
    (*(long *)ctx)++;
    return 0;
}

/*
 * The unit a returned inventory line belongs to: through the CEB792 line (declaration, HS
 * code) and the unit's inventories; for a declaration named directly (9710, 9810), the one
 * unit of the order: of its seller, or, for a unit that does not know its seller, of the
 * number when no other seller has it. 0 when none (or more than one) fits.
 */
static int unit_of_line(struct sync *y, const struct ret *c, long gnum, long long *id,
                        struct cg_err *err)
{
    char entry[64], gcode[32];
    struct pick k;
    int rc;

    *id = 0;
    memset(&k, 0, sizeof(k));
    rc = cg_store_customs_line_get(y->r->db, c->invt_no, gnum, entry, sizeof(entry), gcode,
                                   sizeof(gcode), err);
    if (rc == CG_OK) {
        k.invt_no = c->invt_no;
        k.gcode = gcode;
        rc = cg_store_rf_units_each(y->r->db, 0, entry, pick_unit, &k, err);
    } else if (rc == CG_ENOTFOUND && c->order_no[0] != '\0') {
        long sellers = 0;
        k.order_no = c->order_no;
        k.seller = c->seller;
        rc = cg_store_orders_named(y->r->db, c->order_no, count_order, &sellers, err);
        k.one_seller = sellers <= 1;
        if (rc == CG_OK)
            rc = cg_store_rf_units_each(y->r->db, 0, NULL, pick_unit, &k, err);
    }
    if (rc == CG_ENOTFOUND)
        return CG_OK;
    if (rc == CG_OK)
        *id = k.matches == 1 ? k.id : k.hs_matches == 1 ? k.hs_id : 0;
    return rc;
}

/* A returned quantity as declared (at most 5 decimals) in thousandths, half-up. */
static int qty_thousandths(const char *s, size_t len, int64_t *out)
{
    int64_t whole = 0, frac = 0;
    int digits = 0, point = 0, seen = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] == '.' && !point) {
            point = 1;
            continue;
        }
        if (s[i] < '0' || s[i] > '9')
            return CG_EINVAL;
        seen = 1;
        if (point) {
            if (++digits > 5)
                return CG_EINVAL;
            frac = frac * 10 + (s[i] - '0');
        } else {
            if (whole > INT64_C(1000000000000))
                return CG_ERANGE;
            whole = whole * 10 + (s[i] - '0');
        }
    }
    if (!seen)
        return CG_EINVAL;
    for (; digits < 5; digits++)
        frac *= 10;
    *out = whole * 1000 + (frac + 50) / 100;
    return CG_OK;
}

static int apply_return(struct sync *y, const struct ret *c, struct cg_err *err)
{
    const char *p = c->lines;
    char day[11], ref[32];
    int rc = CG_OK;

    customs_day(c->return_time, y->r->today, day);
    snprintf(ref, sizeof(ref), "CEB214 %s", c->status);
    while (rc == CG_OK && *p != '\0') {
        const char *end = strchr(p, ','), *colon;
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        char gbuf[16], note[400];
        long gnum = 0;
        long long id = 0;
        int64_t q = 0;
        struct unit x;

        colon = memchr(p, ':', len);
        if (colon == NULL || (size_t)(colon - p) >= sizeof(gbuf))
            goto next;
        memcpy(gbuf, p, (size_t)(colon - p));
        gbuf[colon - p] = '\0';
        if (cg_parse_long(gbuf, 1, 99999, &gnum) != CG_OK ||
            qty_thousandths(colon + 1, len - (size_t)(colon - p) - 1, &q) != CG_OK || q <= 0)
            goto next;
        rc = cg_store_rf_return_known(y->r->db, c->guid, gnum, err);
        if (rc == CG_OK)
            goto next; /* applied before */
        if (rc != CG_ENOTFOUND)
            break;
        rc = unit_of_line(y, c, gnum, &id, err);
        if (rc != CG_OK)
            break;
        if (id == 0) {
            y->res->unresolved++;
            goto next;
        }
        rc = rf_unit_load_id(y->r, id, &x, err);
        if (rc != CG_OK)
            break;
        snprintf(note, sizeof(note), "order %s, inventory %s line %ld", c->order_no, c->invt_no,
                 gnum);
        if (x.seller[0] == '\0' && c->seller[0] != '\0' && strcmp(x.order_no, c->order_no) == 0) {
            /* the return names the seller of the unit's order */
            size_t used = strlen(note);
            RF_SET(&x, seller, c->seller);
            snprintf(note + used, sizeof(note) - used, "; the order is %s/%s", c->seller,
                     c->order_no);
        }
        rc = rf_apply_return(y->r, &x, q, day, "RECEIPT", ref, note, err);
        if (rc == CG_EREJECT) {
            /* more than the unit holds: kept as an event, not applied */
            char why[600];
            cg_strlcpy(why, err->msg, sizeof(why));
            cg_err_clear(err);
            rc = rf_note(y->r, &x, "RECEIPT", ref, why, err);
            y->res->refused++;
        } else if (rc == CG_OK) {
            y->res->returns++;
        }
        if (rc == CG_OK)
            rc = cg_store_rf_return_add(y->r->db, c->guid, gnum, id, q, day, err);
    next:
        p += len;
        if (*p == ',')
            p++;
    }
    return rc;
}

static int sync_tx(struct cg_store *db, void *ctx, struct cg_err *err)
{
    struct sync *y = ctx;
    size_t i;
    int rc = CG_OK;

    (void)db;
    if (y->r->cleared_states[1] != '\0')
        rc = cg_store_customs_entries_each(y->r->db, keep_entry, y, err);
    if (rc == CG_OK)
        rc = cg_store_customs_returned_each(y->r->db, keep_return, y, err);
    if (rc == CG_ENOMEM || y->nomem)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    for (i = 0; rc == CG_OK && i < y->ne; i++)
        rc = apply_clearance(y, &y->e[i], err);
    for (i = 0; rc == CG_OK && i < y->nret; i++)
        rc = apply_return(y, &y->ret[i], err);
    return rc;
}

int cg_refund_sync_customs(struct cg_refund *r, struct cg_refund_sync *res, struct cg_err *err)
{
    struct sync y;
    int rc;

    memset(res, 0, sizeof(*res));
    memset(&y, 0, sizeof(y));
    y.r = r;
    y.res = res;
    rc = cg_store_tx(r->db, sync_tx, &y, err);
    sync_free(&y);
    if (rc != CG_OK)
        memset(res, 0, sizeof(*res));
    return rc;
}
