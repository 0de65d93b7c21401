/*
 * refund-batch.c - filing batches: gather ready units, write the export-detail and
 * purchase-detail CSV files for the tax filing system (docs/refund.md), and record outcomes
 * (pre-check, filing, approval, payment, rejection) per batch or per unit.
 *
 * The batch rows and its units are committed in one transaction after both files are written
 * (atomically, by rename); a failure leaves no batch. An outcome a unit already has changes
 * nothing, so importing the same results twice is harmless.
 */
#include "config.h"

#include <csv.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "refund/refund-int.h"
#include "store/store.h"

static const char *const outcome_names[] = {"prechecked", "incomplete", "mismatch", "filed",
                                            "approved",   "paid",       "rejected", "final"};
static const char *const outcome_states[] = {"PRECHECKED", "READY",    "MISMATCH", "DECLARED",
                                             "APPROVED",   "REFUNDED", "REJECTED", "REFUNDED"};

int cg_refund_outcome_parse(const char *s)
{
    size_t i;

    for (i = 0; s != NULL && i < sizeof(outcome_names) / sizeof(outcome_names[0]); i++)
        if (strcmp(s, outcome_names[i]) == 0)
            return (int)i;
    return -1;
}

/* Rank of the filing states, so an outcome a unit has gone past is "already there". */
static int rank(const char *s)
{
    static const char *const order[] = {"READY",    "PRECHECKED",   "DECLARED",     "APPROVED",
                                        "REFUNDED", "CLAWBACK_DUE", "CLAWBACK_PAID"};
    size_t i;

    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if (strcmp(order[i], s) == 0)
            return (int)i;
    return -1;
}

/* Whether unit x has the outcome's state already, or has gone past it. */
static int already(const struct unit *x, int outcome)
{
    const char *to = outcome_states[outcome];

    return strcmp(x->state, to) == 0 ||
           (outcome != CG_RFO_REJECTED && outcome != CG_RFO_MISMATCH &&
            outcome != CG_RFO_INCOMPLETE && rank(x->state) > rank(to) && rank(to) >= 0);
}

/* Goods returned after filing and before the refund was paid: its share falls due now. */
static int clawback_at_payment(struct cg_refund *r, struct unit *x, const char *day,
                               const char *cause_kind, const char *cause_ref, struct cg_err *err)
{
    int64_t filed = x->u.filed_qty_m > 0 ? x->u.filed_qty_m : x->u.qty_m;
    int64_t after = x->u.returned_qty_m - (x->u.qty_m - filed), share = 0;
    char detail[160], q[32], a[32];
    int rc;

    if (x->u.refunded_fen > 0 && x->u.fx_ok == RF_FX_REVERSED) {
        /* the proceeds were reversed in settle/ after filing: the whole refund goes back */
        cg_refund_fen_format(x->u.refunded_fen, a, sizeof(a));
        x->u.clawback_fen = x->u.refunded_fen;
        snprintf(detail, sizeof(detail),
                 "paid on %s after the collection was reversed: "
                 "clawback CNY %s",
                 day, a);
        return rf_move(r, x, "CLAWBACK_DUE", cause_kind, cause_ref, detail, err);
    }
    if (after <= 0 || x->u.refunded_fen == 0)
        return CG_OK;
    rc = cg_refund_share(x->u.refunded_fen, after, filed, &share);
    if (rc != CG_OK)
        return CG_ERR_SET(err, rc, "unit %s/%ld: clawback out of range", x->entry_id, x->u.item_no);
    if (share > x->u.refunded_fen)
        share = x->u.refunded_fen;
    x->u.clawback_fen = share;
    cg_refund_qty_format(after, q, sizeof(q));
    cg_refund_fen_format(share, a, sizeof(a));
    snprintf(detail, sizeof(detail), "paid on %s after %s came back: clawback CNY %s", day, q, a);
    return share > 0 ? rf_move(r, x, "CLAWBACK_DUE", cause_kind, cause_ref, detail, err) : CG_OK;
}

/*
 * The unit is paid: REFUNDED with refunded on day, and a clawback of goods returned after filing,
 * or of proceeds reversed in settle/, falls due now. *moved counts it.
 */
static int refunded_now(struct cg_refund *r, struct unit *x, int64_t refunded, const char *day,
                        const char *detail, const char *cause_kind, const char *cause_ref,
                        long *moved, struct cg_err *err)
{
    int rc;

    x->u.refunded_fen = refunded;
    RF_SET(x, refunded_on, day);
    rc = rf_move(r, x, "REFUNDED", cause_kind, cause_ref, detail, err);
    if (rc == CG_OK)
        rc = clawback_at_payment(r, x, day, cause_kind, cause_ref, err);
    if (rc == CG_OK)
        (*moved)++;
    return rc;
}

/*
 * A payment of the approved refund, which the tax office may make in parts. A payment is known
 * by its day, amount and reference (the note or the result file's reason, "" when none): one
 * recorded already for the unit is not counted again, so a command run twice or a row in two
 * result files pays once. Without an amount it is what is still to come. Each payment adds to
 * what is paid; the unit is REFUNDED (refunded = the approved amount, on the day of the last
 * part) when the total reaches the approved amount, and a clawback of goods returned after
 * filing or of reversed proceeds falls due then. Beyond the approved amount it is refused
 * (SETTLE-REFUND.md §2.b: refunded <= approved).
 */
static int mark_paid(struct cg_refund *r, struct unit *x, const char *amount, const char *day,
                     const char *reason, const char *cause_kind, const char *cause_ref, long *moved,
                     struct cg_err *err)
{
    const char *ref = reason != NULL ? reason : "";
    int64_t amt = 0, paid = x->u.paid_fen, approved = x->u.approved_fen;
    char a[5][32], detail[700];
    int rc;

    if (amount != NULL && cg_refund_fen_parse(amount, &amt) != CG_OK)
        return CG_ERR_SET(err, CG_EINVAL, "'%s' is not an amount", amount);
    if (amount != NULL) {
        rc = cg_store_rf_payment(r->db, 0, x->u.id, day, amt, ref, err);
        if (rc != CG_ENOTFOUND)
            return rc; /* CG_OK: this payment is recorded already */
    }
    if (already(x, CG_RFO_PAID)) {
        /* paid in full; a unit paid before payments were kept one by one has none recorded */
        if (amount == NULL || (paid == 0 && amt == x->u.refunded_fen))
            return CG_OK;
        cg_refund_fen_format(x->u.refunded_fen, a[0], sizeof(a[0]));
        if (rf_shortfall(x) > 0) {
            cg_refund_fen_format(approved, a[1], sizeof(a[1]));
            cg_refund_fen_format(rf_shortfall(x), a[2], sizeof(a[2]));
            return CG_ERR_SET(err, CG_EREJECT,
                              "unit %s/%ld is closed: the tax office pays no more (paid CNY %s of "
                              "CNY %s approved, shortfall CNY %s); a further payment of CNY %s "
                              "is not taken",
                              x->entry_id, x->u.item_no, a[0], a[1], a[2], amount);
        }
        return CG_ERR_SET(err, CG_EREJECT,
                          "unit %s/%ld is paid in full already (CNY %s): a further payment of "
                          "CNY %s would pass the approved amount",
                          x->entry_id, x->u.item_no, a[0], amount);
    }
    if (!rf_can_move(x->state, "REFUNDED", cause_kind))
        return rf_move(r, x, "REFUNDED", cause_kind, cause_ref, "paid", err); /* the refusal */
    if (amount == NULL) {
        amt = approved - paid;
    } else if (amt <= 0) {
        r->refused_field = "amount";
        return CG_ERR_SET(err, CG_EINVAL, "unit %s/%ld: a payment is an amount above 0, not %s",
                          x->entry_id, x->u.item_no, amount);
    }
    cg_refund_fen_format(amt, a[0], sizeof(a[0]));
    cg_refund_fen_format(paid, a[2], sizeof(a[2]));
    cg_refund_fen_format(approved, a[3], sizeof(a[3]));
    if (amt > approved - paid) {
        r->refused_field = "amount";
        cg_refund_fen_format(paid + amt, a[1], sizeof(a[1]));
        cg_refund_fen_format(approved - paid, a[4], sizeof(a[4]));
        return CG_ERR_SET(err, CG_EREJECT,
                          "unit %s/%ld: paid CNY %s would bring what is paid to CNY %s, beyond "
                          "the CNY %s approved (paid so far CNY %s, still to come CNY %s)",
                          x->entry_id, x->u.item_no, a[0], a[1], a[3], a[2], a[4]);
    }
    rc = amt > 0 ? cg_store_rf_payment(r->db, 1, x->u.id, day, amt, ref, err) : CG_OK;
    if (rc != CG_OK)
        return rc;
    paid += amt;
    x->u.paid_fen = paid;
    cg_refund_fen_format(paid, a[1], sizeof(a[1]));
    cg_refund_fen_format(approved - paid, a[2], sizeof(a[2]));
    if (paid < approved) {
        snprintf(detail, sizeof(detail),
                 "paid CNY %s on %s%s%s: paid so far CNY %s of CNY %s approved, still to come "
                 "CNY %s",
                 a[0], day, ref[0] ? ", " : "", ref, a[1], a[3], a[2]);
        rc = rf_note(r, x, cause_kind, cause_ref, detail, err);
        if (rc == CG_OK)
            (*moved)++;
        return rc;
    }
    snprintf(detail, sizeof(detail), "paid CNY %s on %s%s%s: paid in full, CNY %s", a[0], day,
             ref[0] ? ", " : "", ref, a[3]);
    return refunded_now(r, x, approved, day, detail, cause_kind, cause_ref, moved, err);
}

/*
 * Why an approved refund cannot be closed as paid in part (the unit is not APPROVED, or nothing
 * of it is paid yet), as "unit E/1 is ..." into buf; 0 when it can.
 */
static int final_refusal(const struct unit *x, char *buf, size_t size)
{
    char a[32];

    if (strcmp(x->state, "APPROVED") != 0) {
        snprintf(buf, size,
                 "unit %s/%ld is %s, not APPROVED: only an approved refund paid in part can be "
                 "closed as final",
                 x->entry_id, x->u.item_no, x->state);
        return 1;
    }
    if (rf_paid(x) == 0) {
        cg_refund_fen_format(x->u.approved_fen, a, sizeof(a));
        snprintf(buf, size,
                 "unit %s/%ld is APPROVED with nothing paid yet of the CNY %s approved: record "
                 "the payments first (mark-paid), or the rejection when the tax office pays "
                 "nothing",
                 x->entry_id, x->u.item_no, a);
        return 1;
    }
    return 0;
}

/*
 * The tax office will pay no more of an approved refund paid in part: the unit is REFUNDED with
 * what was paid as refunded; the rest of the approved amount is its shortfall (approved minus
 * refunded), shown as such and never as still to come. The refund is dated on day, by default
 * the day of the last instalment paid (the monthly figures count it then, however late the mark
 * is given); a day before that instalment is refused. The reason is required. A unit paid
 * already (in full, or closed before) is left as it is, so the mark can be given twice; one not
 * APPROVED, or with nothing paid, is refused. A clawback of goods returned after filing, or of
 * reversed proceeds, falls due now, on what was paid (SETTLE-REFUND.md §2.b: clawback <=
 * refunded <= approved).
 */
static int mark_final(struct cg_refund *r, struct unit *x, const char *amount, const char *day,
                      const char *reason, const char *cause_kind, const char *cause_ref,
                      long *moved, struct cg_err *err)
{
    char a[3][32], why[300], detail[800], last[11] = "";
    int rc;

    if (amount != NULL) {
        r->refused_field = "amount";
        return CG_ERR_SET(err, CG_EREJECT,
                          "unit %s/%ld: final takes no amount: what is refunded is what was paid "
                          "(mark-paid the last part first)",
                          x->entry_id, x->u.item_no);
    }
    r->refused_field = "reason";
    if (rf_blank(reason))
        return CG_ERR_SET(err, CG_EREJECT,
                          "unit %s/%ld: final needs a reason (--note, or the reason column of a "
                          "result file): why the tax office pays no more",
                          x->entry_id, x->u.item_no);
    r->refused_field = NULL;
    if (already(x, CG_RFO_FINAL))
        return CG_OK;
    if (final_refusal(x, why, sizeof(why)))
        return CG_ERR_SET(err, CG_EREJECT, "%s", why);
    /* a unit paid before payments were kept one by one has no instalment day: today then */
    rc = cg_store_rf_last_payment(r->db, x->u.id, last, sizeof(last), err);
    if (rc != CG_OK && rc != CG_ENOTFOUND)
        return rc;
    if (day != NULL && strcmp(day, last) < 0) {
        r->refused_field = "date";
        return CG_ERR_SET(err, CG_EREJECT,
                          "unit %s/%ld: final on %s is before its last instalment, paid on %s: "
                          "the refund is closed on that day or later",
                          x->entry_id, x->u.item_no, day, last);
    }
    if (day == NULL)
        day = last[0] != '\0' ? last : r->today;
    cg_refund_fen_format(rf_paid(x), a[0], sizeof(a[0]));
    cg_refund_fen_format(x->u.approved_fen, a[1], sizeof(a[1]));
    cg_refund_fen_format(x->u.approved_fen - rf_paid(x), a[2], sizeof(a[2]));
    snprintf(detail, sizeof(detail),
             "final on %s: %s: refunded CNY %s of CNY %s approved, shortfall CNY %s", day, reason,
             a[0], a[1], a[2]);
    return refunded_now(r, x, rf_paid(x), day, detail, cause_kind, cause_ref, moved, err);
}

int rf_mark_unit(struct cg_refund *r, struct unit *x, int outcome, const char *amount,
                 const char *day, const char *reason, int override, const char *cause_kind,
                 const char *cause_ref, long *moved, struct cg_err *err)
{
    const char *to = outcome_states[outcome];
    char detail[600];
    int64_t amt = 0;
    int rc;

    r->refused_field = NULL;
    /* final is dated by the unit's last instalment unless a day is given */
    if (outcome == CG_RFO_FINAL)
        return mark_final(r, x, amount, day, reason, cause_kind, cause_ref, moved, err);
    if (day == NULL)
        day = r->today;
    if (outcome == CG_RFO_PAID)
        return mark_paid(r, x, amount, day, reason, cause_kind, cause_ref, moved, err);
    if (already(x, outcome))
        return CG_OK;
    if (amount != NULL && cg_refund_fen_parse(amount, &amt) != CG_OK)
        return CG_ERR_SET(err, CG_EINVAL, "'%s' is not an amount", amount);
    /* DECLARED means filed in a VAT period: the batch gives it (refund prepare stores it on
     * the unit) and its files are what the tax office pre-checks and receives */
    if ((outcome == CG_RFO_PRECHECKED || outcome == CG_RFO_FILED) && x->u.batch_id == 0)
        return CG_ERR_SET(err, CG_EREJECT,
                          "unit %s/%ld is in no batch: only a unit of a filing batch (refund "
                          "prepare, which stores its VAT period) can be %s",
                          x->entry_id, x->u.item_no, outcome_names[outcome]);
    switch (outcome) {
    case CG_RFO_INCOMPLETE:
        /* "信息不齐": the data have not reached the tax office yet; retried next period */
        snprintf(detail, sizeof(detail), "pre-check: information incomplete, retry next period");
        return rf_note(r, x, cause_kind, cause_ref, detail, err);
    case CG_RFO_FILED:
        if (strcmp(x->state, "READY") == 0 && !override)
            return CG_ERR_SET(err, CG_EREJECT,
                              "unit %s/%ld is READY, not pre-checked: filing it needs --override "
                              "with a reason",
                              x->entry_id, x->u.item_no);
        if (strcmp(x->state, "READY") == 0 && (reason == NULL || reason[0] == '\0'))
            return CG_ERR_SET(err, CG_EINVAL, "--override needs --note with the reason");
        break;
    case CG_RFO_APPROVED:
        if (amount == NULL)
            amt = x->u.refund_fen;
        r->refused_field = "amount";
        if (amt > x->u.refund_fen)
            return CG_ERR_SET(err, CG_EREJECT,
                              "unit %s/%ld: approved %s exceeds the declared refund", x->entry_id,
                              x->u.item_no, amount);
        /* nothing approved would wait as to come for ever: the tax office refused the refund */
        if (amt <= 0)
            return CG_ERR_SET(err, CG_EREJECT,
                              "unit %s/%ld: approved %s is no refund: record the tax office's "
                              "rejection (rejected, with its reason) instead",
                              x->entry_id, x->u.item_no, amount != NULL ? amount : "0.00");
        r->refused_field = NULL;
        x->u.approved_fen = amt;
        break;
    case CG_RFO_REJECTED:
    case CG_RFO_MISMATCH:
        if (rf_blank(reason))
            return CG_ERR_SET(err, CG_EINVAL, "a %s needs a reason", outcome_names[outcome]);
        RF_SET(x, reason, reason);
        break;
    default: break;
    }
    snprintf(detail, sizeof(detail), "%s on %s%s%s", outcome_names[outcome], day,
             reason != NULL && reason[0] ? ": " : "", reason != NULL ? reason : "");
    rc = rf_move(r, x, to, cause_kind, cause_ref, detail, err);
    if (rc == CG_OK)
        (*moved)++;
    if (rc == CG_OK && outcome == CG_RFO_FILED) {
        /* the supporting documents (备案单证) are due archive_days after filing, then kept */
        rf_add_days(day, r->archive_days, x->archive_due);
        rf_add_months(day, r->keep_years * 12, x->keep_until);
        rc = cg_store_rf_unit_save(r->db, &x->u, err);
    }
    return rc;
}

/* ------------------------------------------------------------------ prepare */

struct prep {
    struct cg_refund *r;
    const char *period, *outdir;
    struct cg_refund_batch *out;
    struct cg_buf exp, pur;
    long seq, pseq;
    const char *cur_entry; /* the unit whose purchase rows are being written */
    char cur_item[24];
    /* a unit with goods returned before filing: its allocations scaled by num / den, on
     * running totals so the rows add up to the unit's filed amount exactly */
    int64_t num, den, cum_q, cum_a, cum_v, out_q, out_a, out_v;
};

static void csv_cell(struct cg_buf *b, const char *v, int last)
{
    char *q = malloc(strlen(v) * 2 + 3);

    if (q != NULL) {
        size_t n = csv_write(q, strlen(v) * 2 + 3, v, strlen(v));
        cg_buf_add(b, q, n);
    }
    free(q);
    cg_buf_addc(b, last ? '\n' : ',');
}

static int purchase_row(void *ctx, const struct cg_rf_invline *l)
{
    struct prep *p = ctx;
    char seq[24], q[32], a[32], v[32], vr[16];
    int64_t lq = l->qty_m, la = l->amount_fen, lv = l->vat_fen;

    if (p->num != p->den) {
        int64_t tq = 0, ta = 0, tv = 0;
        p->cum_q += lq;
        p->cum_a += la;
        p->cum_v += lv;
        if (cg_refund_share(p->cum_q, p->num, p->den, &tq) != CG_OK ||
            cg_refund_share(p->cum_a, p->num, p->den, &ta) != CG_OK ||
            cg_refund_share(p->cum_v, p->num, p->den, &tv) != CG_OK)
            return CG_ERANGE;
        lq = tq - p->out_q;
        la = ta - p->out_a;
        lv = tv - p->out_v;
        p->out_q = tq;
        p->out_a = ta;
        p->out_v = tv;
        if (lq == 0 && la == 0 && lv == 0)
            return CG_OK; /* nothing of this allocation is filed */
    }
    snprintf(seq, sizeof(seq), "%ld", ++p->pseq);
    cg_refund_qty_format(lq, q, sizeof(q));
    cg_refund_fen_format(la, a, sizeof(a));
    cg_refund_fen_format(lv, v, sizeof(v));
    cg_refund_rate_format(l->vat_ppm, vr, sizeof(vr));
    csv_cell(&p->pur, seq, 0);
    csv_cell(&p->pur, l->code, 0);
    csv_cell(&p->pur, l->number, 0);
    snprintf(seq, sizeof(seq), "%ld", l->line_no);
    csv_cell(&p->pur, seq, 0);
    csv_cell(&p->pur, l->issued_on, 0);
    csv_cell(&p->pur, l->seller_tax_id, 0);
    csv_cell(&p->pur, l->name, 0);
    csv_cell(&p->pur, l->unit, 0);
    csv_cell(&p->pur, q, 0);
    csv_cell(&p->pur, a, 0);
    csv_cell(&p->pur, vr, 0);
    csv_cell(&p->pur, v, 0);
    csv_cell(&p->pur, p->cur_entry, 0);
    csv_cell(&p->pur, p->cur_item, 1);
    return CG_OK;
}

static const char export_header[] =
    "seq,entry_id,item_no,export_date,hs_code,name,unit,quantity,amount_ex_vat,refund_rate,"
    "refund_amount,vat_rate,non_refundable\n";
static const char purchase_header[] =
    "seq,invoice_code,invoice_number,line,issued_on,seller_tax_id,item_name,unit,quantity,"
    "amount_ex_vat,vat_rate,vat_amount,entry_id,item_no\n";

/* The unit's export-detail row and purchase-detail rows, added to the batch's totals. */
static int unit_rows(struct prep *p, struct unit *x, struct cg_err *err)
{
    char seq[24], item[24], q[32], a[32], rf[32], rr[16], vr[16], nr[32];
    int64_t cost = 0, kept = rf_kept_qty(x), filed_fen = rf_filed_amount(x);

    snprintf(seq, sizeof(seq), "%ld", ++p->seq);
    snprintf(item, sizeof(item), "%ld", x->u.item_no);
    cg_refund_qty_format(kept, q, sizeof(q));
    cg_refund_fen_format(filed_fen, a, sizeof(a));
    cg_refund_fen_format(x->u.refund_fen, rf, sizeof(rf));
    cg_refund_rate_format(x->u.refund_ppm, rr, sizeof(rr));
    cg_refund_rate_format(x->u.vat_ppm, vr, sizeof(vr));
    /* the part of the input VAT not refunded: amount x (VAT rate - refund rate) */
    cg_refund_amount(filed_fen, x->u.vat_ppm - x->u.refund_ppm, &cost);
    cg_refund_fen_format(cost, nr, sizeof(nr));
    csv_cell(&p->exp, seq, 0);
    csv_cell(&p->exp, x->entry_id, 0);
    csv_cell(&p->exp, item, 0);
    csv_cell(&p->exp, x->export_on, 0);
    csv_cell(&p->exp, x->hs, 0);
    csv_cell(&p->exp, x->name, 0);
    csv_cell(&p->exp, x->unit, 0);
    csv_cell(&p->exp, q, 0);
    csv_cell(&p->exp, a, 0);
    csv_cell(&p->exp, rr, 0);
    csv_cell(&p->exp, rf, 0);
    csv_cell(&p->exp, vr, 0);
    csv_cell(&p->exp, nr, 1);
    p->cur_entry = x->entry_id;
    cg_strlcpy(p->cur_item, item, sizeof(p->cur_item));
    p->num = p->den = x->u.inv_qty_m;
    if (x->u.returned_qty_m > 0 && kept < x->u.inv_qty_m)
        p->num = kept;
    p->cum_q = p->cum_a = p->cum_v = p->out_q = p->out_a = p->out_v = 0;
    p->out->units++;
    p->out->refund_fen += x->u.refund_fen;
    p->out->invoice_fen += filed_fen;
    return cg_store_rf_allocs_each(p->r->db, x->u.id, purchase_row, p, err);
}

/* Write both files of batch bid, dir/name (atomically), and keep their paths in p->out. */
static int write_file(const char *dir, const char *name, const struct cg_buf *b, char *path,
                      size_t size, struct cg_err *err)
{
    int rc = cg_fs_write_atomic(dir, name, b->data, b->len, err);

    snprintf(path, size, "%s/%s", dir, name);
    return rc;
}

static int write_files(struct prep *p, long long bid, struct cg_err *err)
{
    char name[64];
    int rc = CG_OK;

    if (p->exp.data == NULL || p->pur.data == NULL)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (rc == CG_OK)
        rc = cg_fs_mkdir_p(p->outdir, 0750, err);
    snprintf(name, sizeof(name), "refund-%s-B%lld-export.csv", p->period, bid);
    if (rc == CG_OK)
        rc = write_file(p->outdir, name, &p->exp, p->out->export_csv, sizeof(p->out->export_csv),
                        err);
    snprintf(name, sizeof(name), "refund-%s-B%lld-purchase.csv", p->period, bid);
    if (rc == CG_OK)
        rc = write_file(p->outdir, name, &p->pur, p->out->purchase_csv,
                        sizeof(p->out->purchase_csv), err);
    return rc;
}

static int prepare_tx(struct cg_store *db, void *ctx, struct cg_err *err)
{
    struct prep *p = ctx;
    struct cg_refund *r = p->r;
    struct cg_rf_batch b;
    long long *ids = NULL, bid = 0;
    size_t n = 0, i;
    int rc;

    (void)db;
    memset(&b, 0, sizeof(b));
    b.period = p->period;
    b.state = "PREPARED";
    b.created_on = r->today;
    rc = cg_store_rf_batch_add(r->db, &b, &bid, err);
    if (rc == CG_OK)
        rc = rf_unit_ids(r, 0, NULL, &ids, &n, err);
    cg_buf_adds(&p->exp, export_header);
    cg_buf_adds(&p->pur, purchase_header);
    for (i = 0; rc == CG_OK && i < n; i++) {
        struct unit x;
        rc = rf_unit_load_id(r, ids[i], &x, err);
        /* ready, refund regime, in no batch, exported before the filing month */
        if (rc != CG_OK || strcmp(x.regime, "REFUND") != 0 || x.u.batch_id != 0 ||
            (strcmp(x.state, "READY") != 0 && strcmp(x.state, "PRECHECKED") != 0) ||
            strncmp(x.export_on, p->period, 4) > 0 ||
            (strncmp(x.export_on, p->period, 4) == 0 &&
             strncmp(x.export_on + 5, p->period + 4, 2) >= 0))
            continue;
        x.u.batch_id = bid;
        x.u.filed_qty_m = rf_kept_qty(&x);
        RF_SET(&x, period, p->period);
        rc = rf_note(r, &x, "OPERATOR", "prepare", "in filing batch", err);
        if (rc == CG_OK)
            rc = unit_rows(p, &x, err);
    }
    free(ids);
    if (rc == CG_OK && p->out->units == 0)
        return CG_ERR_SET(err, CG_ENOTFOUND, "no ready unit exported before %s", p->period);
    if (rc == CG_OK)
        rc = write_files(p, bid, err);
    if (rc == CG_OK) {
        b.id = bid;
        b.units = p->out->units;
        b.refund_fen = p->out->refund_fen;
        b.export_csv = p->out->export_csv;
        b.purchase_csv = p->out->purchase_csv;
        rc = cg_store_rf_batch_save(r->db, &b, err);
        p->out->id = bid;
    }
    return rc;
}

/* ------------------------------------------------------------------ a unit leaves */

struct batch_row {
    char period[8], export_csv[4096];
    int found;
};

static int keep_batch(void *ctx, const struct cg_rf_batch *b)
{
    struct batch_row *k = ctx;

    cg_strlcpy(k->period, b->period, sizeof(k->period));
    cg_strlcpy(k->export_csv, b->export_csv, sizeof(k->export_csv));
    k->found = 1;
    return CG_OK;
}

/*
 * Whether a unit of batch bid was filed: mark-filed stores the archive due day on it, and it is
 * in a state only a filing reaches. A unit filed before in another batch (rejected, fixed and
 * in this one now) keeps its due day but is not counted until it is filed again.
 */
int rf_batch_filed(struct cg_refund *r, long long bid, int *filed, struct cg_err *err)
{
    long long *ids = NULL;
    size_t n = 0, i;
    int rc = rf_unit_ids(r, bid, NULL, &ids, &n, err);

    *filed = 0;
    for (i = 0; rc == CG_OK && i < n && !*filed; i++) {
        struct unit x;
        rc = rf_unit_load_id(r, ids[i], &x, err);
        if (rc == CG_OK && x.archive_due[0] != '\0' &&
            (strcmp(x.state, "DECLARED") == 0 || strcmp(x.state, "APPROVED") == 0 ||
             strcmp(x.state, "REFUNDED") == 0 || strncmp(x.state, "CLAWBACK", 8) == 0 ||
             strcmp(x.state, "REJECTED") == 0))
            *filed = 1;
    }
    free(ids);
    return rc;
}

int rf_batch_rewrite(struct cg_refund *r, long long bid, struct cg_refund_batch *out,
                     struct cg_err *err)
{
    struct batch_row k;
    struct cg_rf_batch b;
    struct prep p;
    long long *ids = NULL;
    size_t n = 0, i;
    char *slash;
    int rc;

    memset(out, 0, sizeof(*out)); /* the units' rows add up into it */
    memset(&k, 0, sizeof(k));
    memset(&p, 0, sizeof(p));
    rc = cg_store_rf_batch_get(r->db, bid, keep_batch, &k, err);
    if (rc == CG_ENOTFOUND)
        return CG_ERR_SET(err, CG_ENOTFOUND, "no batch B%lld", bid);
    if (rc != CG_OK)
        return rc;
    slash = strrchr(k.export_csv, '/');
    if (slash == NULL)
        return CG_ERR_SET(err, CG_EREJECT, "batch B%lld has no files to write again", bid);
    *slash = '\0';
    p.r = r;
    p.period = k.period;
    p.outdir = k.export_csv;
    p.out = out;
    cg_buf_init(&p.exp, 256u << 20);
    cg_buf_init(&p.pur, 256u << 20);
    cg_buf_adds(&p.exp, export_header);
    cg_buf_adds(&p.pur, purchase_header);
    rc = rf_unit_ids(r, bid, NULL, &ids, &n, err);
    for (i = 0; rc == CG_OK && i < n; i++) {
        struct unit x;
        rc = rf_unit_load_id(r, ids[i], &x, err);
        if (rc == CG_OK)
            rc = unit_rows(&p, &x, err);
    }
    free(ids);
    if (rc == CG_OK)
        rc = write_files(&p, bid, err);
    if (rc == CG_OK) {
        memset(&b, 0, sizeof(b));
        b.id = out->id = bid;
        b.period = k.period;
        b.state = "PREPARED";
        b.units = out->units;
        b.refund_fen = out->refund_fen;
        b.export_csv = out->export_csv;
        b.purchase_csv = out->purchase_csv;
        rc = cg_store_rf_batch_save(r->db, &b, err);
    }
    cg_buf_free(&p.exp);
    cg_buf_free(&p.pur);
    return rc;
}

int rf_batch_leave(struct cg_refund *r, struct unit *x, const char *why,
                   struct cg_refund_batch *out, struct cg_err *err)
{
    long long bid = x->u.batch_id;
    int filed = 0, rc;

    memset(out, 0, sizeof(*out));
    if (bid == 0)
        return CG_OK;
    rc = rf_batch_filed(r, bid, &filed, err);
    if (rc != CG_OK)
        return rc;
    if (filed && (strcmp(x->state, "READY") == 0 || strcmp(x->state, "PRECHECKED") == 0))
        return CG_ERR_SET(err, CG_EREJECT,
                          "unit %s/%ld is %s in batch B%lld, which is filed: its files are with "
                          "the tax office. Record what the tax office said of the unit first "
                          "(refund mark-filed, or mark-rejected with --note REASON), then %s",
                          x->entry_id, x->u.item_no, x->state, bid, why);
    x->u.batch_id = 0;
    x->u.filed_qty_m = 0;
    RF_SET(x, period, "");
    rc = cg_store_rf_unit_save(r->db, &x->u, err);
    if (rc == CG_OK && !filed)
        rc = rf_batch_rewrite(r, bid, out, err);
    out->id = bid;
    out->filed = filed;
    return rc;
}

int cg_refund_prepare(struct cg_refund *r, const char *period, const char *outdir,
                      struct cg_refund_batch *out, struct cg_err *err)
{
    struct prep p;
    long v = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    if (period == NULL || strlen(period) != 6 ||
        cg_parse_long(period, 190001, 999912, &v) != CG_OK || v % 100 < 1 || v % 100 > 12)
        return CG_ERR_SET(err, CG_EINVAL, "refund prepare: '%s' is not a period YYYYMM",
                          period != NULL ? period : "");
    memset(&p, 0, sizeof(p));
    p.r = r;
    p.period = period;
    p.outdir = outdir;
    p.out = out;
    cg_buf_init(&p.exp, 256u << 20);
    cg_buf_init(&p.pur, 256u << 20);
    rc = cg_store_tx(r->db, prepare_tx, &p, err);
    cg_buf_free(&p.exp);
    cg_buf_free(&p.pur);
    if (rc != CG_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* ------------------------------------------------------------------ marks */

struct mark {
    struct cg_refund *r;
    const char *target, *amount, *day, *reason;
    int outcome, override;
    long moved;
    cg_refund_problem_fn skipped;
    void *sctx;
};

static int batch_state(void *ctx, const struct cg_rf_batch *b)
{
    (void)b;
    *(int *)ctx = 1;
    return CG_OK;
}

/*
 * An outcome for a whole batch records it on the members it reaches, as the tax office answers
 * per declaration item: a batch approved with one member rejected approves the others. A member
 * whose state has no move to the outcome's state (REJECTED for `approved`, PRECHECKED for
 * `paid`) is skipped and named through m->skipped; a batch none of whose members the outcome
 * reaches is refused. Filing is the exception while the batch is not filed yet: its files list
 * every member, so a member that cannot be filed refuses the batch (fixed or changed in regime,
 * the unit leaves the batch and the files are written again without it).
 */
static int mark_batch(struct mark *m, long long bid, struct cg_err *err)
{
    const char *to = outcome_states[m->outcome];
    long long *ids = NULL;
    size_t n = 0, i, skipped = 0, members = 0;
    char first[300] = "", text[400], why[300];
    int filed = 1, rc;

    rc = rf_unit_ids(m->r, bid, NULL, &ids, &n, err);
    if (rc == CG_OK && m->outcome == CG_RFO_FILED)
        rc = rf_batch_filed(m->r, bid, &filed, err);
    for (i = 0; rc == CG_OK && i < n; i++) {
        struct unit x;
        rc = rf_unit_load_id(m->r, ids[i], &x, err);
        /* a member no longer in REFUND (the hard deadline's fallback, or a regime changed
         * before units left their batch with it) has no refund to record */
        if (rc != CG_OK || strcmp(x.regime, "REFUND") != 0)
            continue;
        members++;
        if (m->outcome == CG_RFO_FINAL && !already(&x, m->outcome) &&
            final_refusal(&x, why, sizeof(why))) {
            /* not approved, or nothing paid: nothing to close */
            if (skipped++ == 0)
                cg_strlcpy(first, why, sizeof(first));
            snprintf(text, sizeof(text), "skipped from B%lld: %s", bid, why);
            if (m->skipped != NULL)
                m->skipped(m->sctx, text);
            continue;
        }
        if (m->outcome != CG_RFO_INCOMPLETE && filed && !already(&x, m->outcome) &&
            !rf_can_move(x.state, to, "OPERATOR")) {
            if (skipped++ == 0)
                snprintf(first, sizeof(first), "unit %s/%ld is %s", x.entry_id, x.u.item_no,
                         x.state);
            snprintf(text, sizeof(text),
                     "skipped unit %s/%ld of B%lld: %s, which %s does not reach", x.entry_id,
                     x.u.item_no, bid, x.state, outcome_names[m->outcome]);
            if (m->skipped != NULL)
                m->skipped(m->sctx, text);
            continue;
        }
        rc = rf_mark_unit(m->r, &x, m->outcome, m->amount, m->day, m->reason, m->override,
                          "OPERATOR", m->target, &m->moved, err);
    }
    free(ids);
    if (rc == CG_OK && members > 0 && skipped == members)
        rc = CG_ERR_SET(err, CG_EREJECT, "no unit of batch B%lld can be %s: %s%s", bid,
                        m->outcome == CG_RFO_FINAL ? "closed as final" : outcome_names[m->outcome],
                        first, skipped > 1 ? " (and the others likewise)" : "");
    return rc;
}

static int mark_tx(struct cg_store *db, void *ctx, struct cg_err *err)
{
    struct mark *m = ctx;
    struct unit x;
    int rc;

    (void)db;
    if (m->target[0] == 'B') {
        long bid = 0;
        int found = 0;
        if (cg_parse_long(m->target + 1, 1, LONG_MAX, &bid) != CG_OK)
            return CG_ERR_SET(err, CG_EINVAL, "'%s' is not a batch (B<ID>)", m->target);
        /* approved and paid amounts are per unit: one amount for a batch would become every
         * member's, whatever its refund */
        if (m->amount != NULL)
            return CG_ERR_SET(err, CG_EINVAL,
                              "refund mark-%s %s: --amount is the amount of one unit; name the "
                              "units (or use a result file)",
                              outcome_names[m->outcome], m->target);
        rc = cg_store_rf_batch_get(m->r->db, bid, batch_state, &found, err);
        if (rc == CG_ENOTFOUND)
            return CG_ERR_SET(err, CG_ENOTFOUND, "no batch %s", m->target);
        return rc == CG_OK ? mark_batch(m, bid, err) : rc;
    }
    rc = rf_unit_load(m->r, m->target, &x, err);
    if (rc == CG_OK)
        rc = rf_mark_unit(m->r, &x, m->outcome, m->amount, m->day, m->reason, m->override,
                          "OPERATOR", m->target, &m->moved, err);
    return rc;
}

int cg_refund_mark(struct cg_refund *r, const char *target, int outcome, const char *amount,
                   const char *day, const char *reason, int override, cg_refund_problem_fn skipped,
                   void *sctx, long *moved, struct cg_err *err)
{
    struct mark m;
    int rc;

    memset(&m, 0, sizeof(m));
    if (outcome < 0 || outcome > CG_RFO_FINAL || target == NULL)
        return CG_ERR_SET(err, CG_EINVAL, "refund mark: unknown outcome");
    if (day != NULL && !rf_day_ok(day))
        return CG_ERR_SET(err, CG_EINVAL, "'%s' is not a day (YYYY-MM-DD)", day);
    m.r = r;
    m.target = target;
    m.outcome = outcome;
    m.amount = amount;
    m.day = day;
    m.reason = reason;
    m.override = override;
    m.skipped = skipped;
    m.sctx = sctx;
    rc = cg_store_tx(r->db, mark_tx, &m, err);
    *moved = rc == CG_OK ? m.moved : 0;
    return rc;
}
