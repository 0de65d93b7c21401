/*
 * refund.h - the export VAT refund (出口退税) of a trading company: refund units (one item of
 * a customs declaration each), their regime and state, refund rates by HS code and date,
 * purchase invoices matched to units, filing batches with the tax system's detail files,
 * outcomes, returns and clawbacks, deadlines and reports.
 *
 * Money is int64 fen (CNY); quantities int64 thousandths of the declared unit; rates int64
 * millionths (9 % = 90000), written as percentages with at most 4 decimals ("9", "10.5").
 * Every rounding is half-up to the fen, once per unit (docs/refund.md has the rules). A unit's
 * state moves only along the whitelisted transitions, each one an rf_event row with its cause,
 * in the same transaction as the change. Every operation is one transaction.
 *
 * Errors: CG_EREJECT for input that cannot be taken (a bad file row, a transition the rules
 * forbid, an invoice line used twice), CG_ENOTFOUND for an unknown unit or batch, CG_EINVAL
 * for a malformed argument, CG_EDB / CG_EBUSY / CG_EIO for temporary failures (nothing was
 * written).
 */
#ifndef CG_REFUND_H
#define CG_REFUND_H

#include <stddef.h>
#include <stdint.h>

#include "core/conf.h"
#include "core/err.h"

struct cg_store;
struct cg_refund;
struct cg_table;

/* ------------------------------------------------------------------ arithmetic (tested) */

/* A percentage with at most 4 decimals ("13", "10.5", "9%") into millionths; 0..100 %. */
int cg_refund_rate_parse(const char *s, int64_t *ppm);
/* Format millionths as a percentage without trailing zeros ("9", "10.5"). */
void cg_refund_rate_format(int64_t ppm, char *buf, size_t size);
/* round_half_up(base_fen * ppm / 10^6): the refund of an amount excl. VAT. */
int cg_refund_amount(int64_t base_fen, int64_t ppm, int64_t *out);
/* round_half_up(gross_fen / (1 + r) * r): the VAT inside a gross amount. */
int cg_refund_vat_inside(int64_t gross_fen, int64_t vat_ppm, int64_t *out);
/* round_half_up(amount * part / whole): a share of an amount (whole > 0, 0 <= part). */
int cg_refund_share(int64_t amount, int64_t part, int64_t whole, int64_t *out);
/* "12.34" CNY into fen (at most 2 decimals, >= 0); a quantity into thousandths. */
int cg_refund_fen_parse(const char *s, int64_t *fen);
int cg_refund_qty_parse(const char *s, int64_t *qty_m);
void cg_refund_fen_format(int64_t fen, char *buf, size_t size);
void cg_refund_qty_format(int64_t qty_m, char *buf, size_t size);

/* ------------------------------------------------------------------ context */

/* conf (may be NULL: the defaults) is borrowed and must outlive *out. */
int cg_refund_new(const struct cg_conf *conf, struct cg_store *db, struct cg_refund **out,
                  struct cg_err *err);
void cg_refund_free(struct cg_refund *r);
/* The day operator actions are recorded on (default: today, UTC). */
int cg_refund_set_today(struct cg_refund *r, const char *day, struct cg_err *err);

/* ------------------------------------------------------------------ files */

enum cg_refund_file {
    CG_RF_NONE = 0,
    CG_RF_ENTRIES,  /* customs declaration items (docs/refund.md) */
    CG_RF_RATES,    /* refund-rate table (data/refund-rates.csv) */
    CG_RF_INVOICES, /* purchase invoices (docs/invoices-format.md) */
    CG_RF_RESULTS,  /* the tax office's outcomes per unit (docs/refund.md) */
};
/* What a file is, from its header line; CG_RF_NONE when it is none of them. */
int cg_refund_sniff(const char *data, size_t len);

struct cg_refund_import {
    int kind;      /* enum cg_refund_file */
    int duplicate; /* the same file (SHA-256) was imported before: nothing done */
    long rows, added, known;
    long problems; /* bad rows (a row with several bad fields is one) */
    long matched;  /* invoices: allocations made by matching afterwards */
};
/* Each problem as "path:line: field F: reason", path as given to cg_refund_import. */
typedef void (*cg_refund_problem_fn)(void *ctx, const char *text);
/*
 * Import the file at path, of the given kind (CG_RF_NONE: from its header). All or nothing:
 * when any row is bad, every bad row is reported through problem and CG_EREJECT returned with
 * nothing recorded. The same file (SHA-256) again does nothing. Importing invoices runs the
 * matching afterwards.
 */
/*
 * An invoice or result file imported from the command line: recorded as imported under the last
 * part of path, so that one of that name the intake refused from incoming/ is no longer listed
 * by the morning report. Other kinds, and names intake would refuse, are not recorded.
 */
int cg_refund_note_imported(struct cg_refund *r, int kind, const char *path, struct cg_err *err);
int cg_refund_import(struct cg_refund *r, int kind, const char *path, cg_refund_problem_fn problem,
                     void *pctx, struct cg_refund_import *res, struct cg_err *err);

/* What cg_refund_intake reports. */
enum { CG_RF_INTAKE_DONE, CG_RF_INTAKE_DUPLICATE, CG_RF_INTAKE_FAILED, CG_RF_INTAKE_PROBLEM };
typedef void (*cg_refund_intake_fn)(void *ctx, int what, const char *text,
                                    const struct cg_refund_import *res);
/* Import the invoice and result files in workdir/incoming/ (to done/ or failed/); their
 * problems name each file by its name as dropped. */
int cg_refund_intake(struct cg_refund *r, const char *workdir, cg_refund_intake_fn fn, void *ctx,
                     struct cg_err *err);

/* ------------------------------------------------------------------ units */

/*
 * A unit is named "ENTRY/ITEM" (declaration number and item) or "#ID". Operator actions need a
 * note where the rules ask for a reason.
 */
int cg_refund_match(struct cg_refund *r, long *made, struct cg_err *err);
/* Allocate (part of) invoice line "CODE/NUMBER/LINE" to a unit; qty NULL: what both allow. */
int cg_refund_allocate(struct cg_refund *r, const char *unit, const char *line, const char *qty,
                       const char *note, struct cg_err *err);
/* The declaration reached clearance (结关) on day: its units leave WAIT_CLEARANCE. */
int cg_refund_cleared(struct cg_refund *r, const char *entry_id, const char *day,
                      struct cg_err *err);
/* The proceeds of a unit are collected (or deemed collected), with evidence. */
int cg_refund_collected(struct cg_refund *r, const char *unit, const char *note,
                        struct cg_err *err);
/*
 * Take the collection state of each unit's order from settle/ (s, over the same database):
 * units whose order is COLLECTED or DEEMED_COLLECTED there get their proceeds recorded, with
 * an event; *n counts them. A collection counted from settle/ that is undone there later
 * (AWAITING, PARTIAL, OVERDUE or UNCOLLECTIBLE) is a reversal, *reversed counts them: a unit
 * not filed waits for the proceeds again, a refunded unit owes all of its refund back
 * (CLAWBACK_DUE), a unit filed and not yet paid owes it when paid. An order collected again
 * after such a reversal counts in *n: the unit owes only what its returns give (rule 5), not
 * less than it repaid. Units without an order number are left to `refund collected`.
 * A unit's order is "SELLER/NO" in settle/ when the unit knows its seller; a unit that knows
 * only the number takes the order of that number when one seller has it. When several have
 * it nothing is taken: the unit keeps a note saying so (an event when it is new) and counts
 * in *ambiguous.
 */
struct cg_settle;
int cg_refund_sync_collection(struct cg_refund *r, struct cg_settle *s, long *n, long *reversed,
                              long *ambiguous, struct cg_err *err);
/*
 * Apply what customs said (refund-customs.c): declarations whose CEB792 decState is one of
 * [refund] cleared_dec_states clear their units (on the result's opDate); export returns
 * (CEB213) with a CEB214 in [refund] return_statuses bring their lines back as `refund
 * return` would, each line once. Lines whose unit is not known yet wait for a later sync.
 */
struct cg_refund_sync {
    long cleared;    /* units cleared */
    long returns;    /* return lines applied */
    long unresolved; /* return lines without a unit yet */
    long refused;    /* return lines beyond the unit's quantity (an event says so) */
};
int cg_refund_sync_customs(struct cg_refund *r, struct cg_refund_sync *res, struct cg_err *err);
/*
 * The supporting documents (备案单证) of a filed unit, or of every unit of batch "B<ID>", were
 * archived on day (NULL: today); note says where. *n counts the units recorded.
 */
int cg_refund_archived(struct cg_refund *r, const char *target, const char *day, const char *note,
                       long *n, struct cg_err *err);
/* Late filing after the soft deadline, with evidence: LAPSED_SOFT -> READY or WAIT_DOCS. */
int cg_refund_late(struct cg_refund *r, const char *unit, const char *note, struct cg_err *err);
/*
 * Change a unit's regime (REFUND, EXEMPT_WITH_DOCS, EXEMPT_NO_INVOICE_103, TAXABLE). A unit of
 * a filing batch leaves it: *left (optional) gets the batch (id 0: none) and, when the batch
 * was not filed, its files written again without the unit and its new totals; filed is set
 * when it was filed (its files are kept as filed). A READY or PRECHECKED unit of a filed batch
 * is refused (CG_EREJECT): its outcome is recorded first.
 */
struct cg_refund_batch;
int cg_refund_regime(struct cg_refund *r, const char *unit, const char *regime, const char *note,
                     struct cg_refund_batch *left, struct cg_err *err);
/*
 * Operator fix of a mismatch or rejection: back to WAIT_DOCS, out of its filing batch as with
 * cg_refund_regime (*left, optional, says which batch and whether its files were written again).
 */
int cg_refund_fix(struct cg_refund *r, const char *unit, const char *note,
                  struct cg_refund_batch *left, struct cg_err *err);
/*
 * Goods of qty came back on day: after a refund the proportional clawback falls due. On success
 * done (size bytes, NULL: not wanted) says what was recorded: "unit E/1: STATE: DETAIL" of the
 * unit's event.
 */
int cg_refund_return(struct cg_refund *r, const char *unit, const char *qty, const char *day,
                     const char *note, char *done, size_t size, struct cg_err *err);
/*
 * What the last successful cg_refund_allocate, _cleared, _collected, _late, _fix, _regime,
 * _clawback_paid or _reclaimed call recorded, as one line without a newline for the command to
 * print: "unit ENTRY/ITEM: STATE: WHAT" with the unit's state after it and the amounts in CNY
 * ("unit E/1: CLAWBACK_PAID: clawback repaid CNY 54.00 on 2025-08-10, nothing left due"), or
 * "declaration ENTRY: ..." for cleared. "" after any other call or a failure. Borrowed from r,
 * valid until its next call.
 */
const char *cg_refund_done(const struct cg_refund *r);
/* The clawback was repaid (amount NULL: all that is due). */
int cg_refund_clawback_paid(struct cg_refund *r, const char *unit, const char *amount,
                            const char *day, struct cg_err *err);
/*
 * The tax office paid back on day what was overpaid (amount NULL: all of it): the clawback
 * and the repaid amount both go down by it, so the clawback is the rule's again; a unit with
 * nothing clawed back then is REFUNDED. CG_EREJECT beyond what is overpaid.
 */
int cg_refund_reclaimed(struct cg_refund *r, const char *unit, const char *amount, const char *day,
                        struct cg_err *err);

/* ------------------------------------------------------------------ batches, outcomes */

struct cg_refund_batch {
    long long id;
    long units;
    int64_t refund_fen, invoice_fen;
    char export_csv[4096], purchase_csv[4096];
    int filed; /* a unit left it (refund regime): it was filed, its files were kept as filed */
};
/*
 * Gather the ready units exported before period (YYYYMM) into a new batch and write its
 * export-detail and purchase-detail CSV files into outdir. CG_ENOTFOUND when nothing is ready.
 */
int cg_refund_prepare(struct cg_refund *r, const char *period, const char *outdir,
                      struct cg_refund_batch *out, struct cg_err *err);

enum cg_refund_outcome {
    CG_RFO_PRECHECKED,
    CG_RFO_INCOMPLETE, /* pre-check "信息不齐": stays READY, retried next period */
    CG_RFO_MISMATCH,
    CG_RFO_FILED,
    CG_RFO_APPROVED,
    CG_RFO_PAID,
    CG_RFO_REJECTED,
    CG_RFO_FINAL, /* the tax office pays no more of a part-paid approved refund */
};
int cg_refund_outcome_parse(const char *s);
/*
 * Record an outcome for "B<ID>" (every unit of a batch), a unit, or "#ID". amount: approved or
 * paid amount of a unit (NULL: the unit's refund, or what is still to come of what was approved;
 * CG_EINVAL for a batch); day NULL: today; reason for a rejection or mismatch, the reference of a
 * payment; override lets an operator file a unit that was not pre-checked. A payment adds to what
 * is paid (REFUNDED once it reaches the approved amount; beyond it CG_EREJECT); one of the same
 * day, amount and reference as a recorded one is not counted again. *moved counts units that
 * changed (a payment recorded counts); units already there are left as they are. For
 * a batch, a member whose state the outcome does not reach (a REJECTED one for `approved`) is
 * skipped and named through skipped (optional; called inside the transaction, so a caller keeps the
 * text until the call returns CG_OK); CG_EREJECT when every member is skipped, and for `filed`
 * while the batch is not filed yet (its files list every member) no member is skipped.
 * `final` (reason required, no amount) closes an APPROVED unit that is paid in part: REFUNDED
 * with what was paid as refunded and the rest of the approved amount as its shortfall, never
 * to come; CG_EREJECT for a unit not approved or with nothing paid (a batch skips and names
 * them); a unit paid already (in full, or closed before) is left as it is. Its day NULL is the
 * day of the unit's last instalment (each member's own for a batch), not today; a day before
 * that instalment is CG_EREJECT, naming the unit (for a batch nothing is recorded then).
 */
int cg_refund_mark(struct cg_refund *r, const char *target, int outcome, const char *amount,
                   const char *day, const char *reason, int override, cg_refund_problem_fn skipped,
                   void *sctx, long *moved, struct cg_err *err);

struct cg_refund_tick {
    long lapsed_soft, lapsed_hard;
    int64_t at_risk_fen, vat_due_fen; /* of the units that lapsed now */
    long archive_late;                /* filed units whose documents are late, found now */
};
/* Apply the deadlines as of day (NULL: today). */
int cg_refund_tick(struct cg_refund *r, const char *as_of, struct cg_refund_tick *res,
                   struct cg_err *err);

/* The unit's regime, state, amounts, allocations and events as text (caller frees *out). */
int cg_refund_explain(struct cg_refund *r, const char *unit, char **out, struct cg_err *err);
/*
 * An order, [SELLER/]ORDER-NO (a number alone: every seller's order with it), and its refund
 * units: the units its goods belong to (through its export inventory, or its number and seller)
 * each explained as above, or why it has none and what is needed next (the seller's route A,
 * the inventory not released, no customs declaration or no unit recorded yet). Caller frees
 * *out. CG_ENOTFOUND when neither the spool nor a unit knows the order.
 */
int cg_refund_explain_order(struct cg_refund *r, const char *order, char **out, struct cg_err *err);

/* ------------------------------------------------------------------ reports */

enum cg_refund_report {
    CG_RFR_PIPELINE,  /* count and amounts by state and export month */
    CG_RFR_CALENDAR,  /* deadlines within the next calendar_days */
    CG_RFR_RISK,      /* lapsed or at-risk units: refund and VAT if sold at home */
    CG_RFR_INVOICES,  /* invoice lines: allocated, left, units */
    CG_RFR_CLAWBACKS, /* returns: clawback due and paid */
    CG_RFR_UNITS,     /* every unit */
    CG_RFR_ARCHIVE,   /* filed units: supporting documents due, archived, kept until */
};
int cg_refund_report_parse(const char *name);
/* A table as settle/'s reports (struct cg_table, cg_table_free in settle/settle.h). */
int cg_refund_report(struct cg_refund *r, int report, const char *as_of, struct cg_table **out,
                     struct cg_err *err);

/* The [refund] configuration keys (refund-keys.c), for cg_conf_register(). */
extern const struct cg_conf_key cg_refund_conf_keys[];

#endif
