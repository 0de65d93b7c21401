/*
 * refund-int.h - private to refund/: the context, an owned copy of a unit, the transition
 * table and the helpers the refund-*.c files share.
 */
#ifndef CG_REFUND_INT_H
#define CG_REFUND_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "refund/refund.h"
#include "store/store-refund.h"

struct cg_refund {
    struct cg_store *db;
    const struct cg_conf *conf; /* borrowed, outlives r; NULL: no [seller.NAME] is known */
    char today[11];
    char soft_mmdd[6]; /* MM-DD of the soft deadline */
    long soft_years;   /* years after the export year */
    long hard_months;  /* hard deadline: export + this many months */
    int require_fx;
    char hard_fallback[32]; /* auto, TAXABLE or EXEMPT_WITH_DOCS */
    long calendar_days;
    char regime_9610[32], regime_9710[32], regime_9810[32];
    char cleared_states[128]; /* ",A,B," decState codes meaning cleared; ",," none */
    char return_statuses[128];
    long archive_days, keep_years;
    /* The column of a result row a refused mark is about ("amount", "date", "reason"), set by
     * rf_mark_unit with its refusal; NULL: the outcome itself. */
    const char *refused_field;
    /* The unit, state and detail of the last event recorded, for a command to say what it did
     * ("unit E/1: RETURNED: returned 10 on 2025-06-09: nothing left to file"). */
    char last_event[640];
    /* What the last operator action recorded, for the command to print (cg_refund_done). */
    char done[640];
};

/*
 * Where a unit's collection (fx_ok) comes from: an operator, a file or settle/ (then a later
 * reversal there counts), or reversed in settle/ after the unit was filed (its refund is
 * clawed back when paid, unless the order is collected there again first).
 */
enum { RF_FX_NONE = 0, RF_FX_GIVEN = 1, RF_FX_SETTLE = 2, RF_FX_REVERSED = 3 };
#define RF_COLLECTED(x) ((x)->u.fx_ok == RF_FX_GIVEN || (x)->u.fx_ok == RF_FX_SETTLE)

/* A unit with its strings owned, so it can be changed and saved. */
struct unit {
    struct cg_rf_unit u;
    char entry_id[40], invt_nos[512], order_no[64], trade_mode[8], route[4], export_on[11];
    char hs[16], name[256], spec[256], unit[32], regime[32], state[24], cleared_on[11];
    char rate_from[11], period[8], reason[512], missing[64], refunded_on[11];
    char soft_deadline[11], hard_deadline[11];
    char archive_due[11], archived_on[11], keep_until[11];
    char seller[64], fx_note[256];
};

/* Copy a borrowed row into *dst (pointers of dst->u into its own arrays). */
void rf_unit_copy(struct unit *dst, const struct cg_rf_unit *src);
/* Load by "ENTRY/ITEM" or "#ID". CG_ENOTFOUND with err filled. */
int rf_unit_load(struct cg_refund *r, const char *name, struct unit *out, struct cg_err *err);
int rf_unit_load_id(struct cg_refund *r, long long id, struct unit *out, struct cg_err *err);
/* Ids of the units of a batch (batch > 0), of a declaration (entry_id), or all; caller frees. */
int rf_unit_ids(struct cg_refund *r, long long batch, const char *entry_id, long long **ids,
                size_t *n, struct cg_err *err);
/*
 * Record an outcome on one unit (refund-batch.c): a unit already in the outcome's state is
 * left alone (*moved unchanged); otherwise the transition table decides.
 */
int rf_mark_unit(struct cg_refund *r, struct unit *x, int outcome, const char *amount,
                 const char *day, const char *reason, int override, const char *cause_kind,
                 const char *cause_ref, long *moved, struct cg_err *err);
/* Whether a unit of batch bid was filed (its files are with the tax office). */
int rf_batch_filed(struct cg_refund *r, long long bid, int *filed, struct cg_err *err);
/*
 * Take the unit out of its filing batch (none: nothing done, out->id 0), saved. When no unit
 * of the batch was filed, the batch's two files are written again where prepare wrote them,
 * without it, and its totals with them (out: the batch as it is now). When one was (the files
 * are with the tax office), they are kept and out->filed is set; a READY or PRECHECKED unit is
 * refused then (CG_EREJECT, saying to record its outcome first, then `why`).
 */
int rf_batch_leave(struct cg_refund *r, struct unit *x, const char *why,
                   struct cg_refund_batch *out, struct cg_err *err);
/*
 * The two files and the totals of batch bid (not filed yet) written again, where prepare wrote
 * them, from its units as they are now (out: the batch as it is now).
 */
int rf_batch_rewrite(struct cg_refund *r, long long bid, struct cg_refund_batch *out,
                     struct cg_err *err);
/* Set a text field of a unit copy. */
void rf_set(struct unit *x, char *field, size_t size, const char *v);
#define RF_SET(x, f, v) rf_set((x), (x)->f, sizeof((x)->f), (v))

/* Whether the transition table has from -> to for the cause. */
int rf_can_move(const char *from, const char *to, const char *cause_kind);
/*
 * Move the unit to state `to` for the cause (RECEIPT, OPERATOR, TIMER, TAXFILE, IMPORT) if the
 * transition table allows it: event row written, unit saved. CG_EREJECT otherwise.
 */
int rf_move(struct cg_refund *r, struct unit *x, const char *to, const char *cause_kind,
            const char *cause_ref, const char *detail, struct cg_err *err);
/* Save the unit and log an event without a state change (amounts, flags). */
int rf_note(struct cg_refund *r, struct unit *x, const char *cause_kind, const char *cause_ref,
            const char *detail, struct cg_err *err);
/*
 * Bring a refund unit up to date: rate for its export date, refund amount from its invoices,
 * what is missing, and WAIT_CLEARANCE -> WAIT_DOCS -> READY when the conditions hold.
 */
int rf_evaluate(struct cg_refund *r, struct unit *x, const char *cause_kind, const char *cause_ref,
                struct cg_err *err);
/* The refund due on the unit's invoices, or on its expected purchase amount when none. */
int64_t rf_refund_estimate(const struct unit *x);
/*
 * Goods of q thousandths of the unit came back on day (cause RECEIPT for a CEB214, OPERATOR for
 * `refund return`). Before filing they lower what is filed: a unit of a batch not filed yet
 * stays in it with the rest, whose files are written again; once filed, the refund on them is
 * clawed back (now when it was paid, at payment otherwise). A unit that came back whole before
 * filing is RETURNED (out of its batch). CG_EREJECT beyond the declared quantity.
 */
int rf_apply_return(struct cg_refund *r, struct unit *x, int64_t q, const char *day,
                    const char *cause_kind, const char *cause_ref, const char *note,
                    struct cg_err *err);
/*
 * The clawback rule 5 gives for the goods returned since filing: refunded x returned since
 * filing / filed, half-up, at most the refund (0 before the refund is paid). CG_ERANGE (or
 * another cg_refund_share failure) when out of range.
 */
int rf_return_clawback(const struct unit *x, int64_t *fen);
/* What is filed: the quantity not returned, and the invoice amount excl. VAT of it. */
int64_t rf_kept_qty(const struct unit *x);
int64_t rf_filed_amount(const struct unit *x);
/*
 * Of the approved refund, what is paid so far (its payments, or the refunded amount of a unit
 * paid before payments were kept one by one) and what is still to come.
 */
int64_t rf_paid(const struct unit *x);
int64_t rf_to_come(const struct unit *x);
/*
 * Of the approved refund of a unit paid (REFUNDED or beyond), what the tax office will never
 * pay: approved minus refunded, after `final` closed a refund paid in part (0 otherwise).
 */
int64_t rf_shortfall(const struct unit *x);
/* Whether the refund of the unit was filed (in a batch, or declared and beyond). */
int rf_filed(const struct unit *x);
/* Whether s is NULL, empty or only blanks (a reason that says nothing). */
int rf_blank(const char *s);
/* Whether code is in a ",A,B," list. */
int rf_in_list(const char *list, const char *code);
/* Whether a ';'-separated list (a unit's inventories) holds item. */
int rf_in_semi_list(const char *list, const char *item);
/* Day arithmetic on YYYY-MM-DD: valid day, months later (end of month clamped). */
int rf_day_ok(const char *day);
/* The China date (UTC+8, no daylight saving) at instant t, as YYYY-MM-DD: refund/'s today. */
void rf_china_day(time_t t, char out[11]);
void rf_add_months(const char *day, long months, char *out);
void rf_add_days(const char *day, long days, char *out);
void rf_soft_deadline(const struct cg_refund *r, const char *export_on, char *out);

#endif
