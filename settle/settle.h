/*
 * settle.h - foreign-exchange collection: statements imported as receipts, receipts matched
 * to declared orders, the collection state of each order, the settlement (FX to CNY) ledger,
 * deadline timers and the FX reports.
 *
 * Amounts are int64 minor units with the ISO 4217 currency beside them (core/money.h); rates
 * are decimal text, CNY for one unit of the currency, at most 5 fraction digits. The rounding
 * rules are in docs/settlement.md. A collection state is never stored: it is derived from the
 * allocations, adjustments and dates every time it is asked for; each change is an fx_event
 * row with its cause (statement line, operator, timer). Every operation is one transaction.
 *
 * Errors: CG_EREJECT for input that cannot be taken (a bad statement entry, an allocation
 * beyond a receipt, a settlement beyond the holding), CG_ENOTFOUND for an unknown order or
 * receipt, CG_EDB / CG_EBUSY / CG_EIO for temporary failures (nothing was written).
 */
#ifndef CG_SETTLE_H
#define CG_SETTLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/conf.h"
#include "core/err.h"

struct cg_store;
struct cg_settle;

/* Collection states, derived (docs/settlement.md has the rules). */
enum cg_fx_state {
    CG_FX_NOT_EXPORTED,
    CG_FX_AWAITING,
    CG_FX_PARTIAL,
    CG_FX_COLLECTED,
    CG_FX_OVER_COLLECTED,
    CG_FX_DEEMED,
    CG_FX_UNCOLLECTIBLE,
    CG_FX_OVERDUE,
    CG_FX_NSTATES
};
const char *cg_fx_state_name(int state);

/*
 * A context over an open database (borrowed) with the [settle] configuration read once.
 * *out is the caller's (cg_settle_free) and written only on success.
 */
int cg_settle_new(const struct cg_conf *conf, struct cg_store *db, struct cg_settle **out,
                  struct cg_err *err);
void cg_settle_free(struct cg_settle *s);
/* The day operator actions are recorded on and states derived for (default: today, UTC). */
int cg_settle_set_today(struct cg_settle *s, const char *day, struct cg_err *err);

/*
 * Called after every committed change of an order's collected amount (a match, an unmatch,
 * a confirmed rate, a refund): the hook for the payment receipt message (CEB403) of the
 * export flow. collected is what the order holds now, in its own currency.
 */
typedef void (*cg_settle_collected_fn)(void *ctx, const char *seller, const char *order_no,
                                       int64_t collected, const char *currency);
void cg_settle_on_collected(struct cg_settle *s, cg_settle_collected_fn fn, void *ctx);

/* ------------------------------------------------------------------ statements */

enum cg_stmt_kind {
    CG_STMT_NONE = 0, /* not a statement */
    CG_STMT_CSV,      /* cebgate's collections CSV (docs/collections-format.md) */
    CG_STMT_CAMT053,  /* ISO 20022 bank-to-customer statement */
    CG_STMT_CAMT054,  /* ISO 20022 debit/credit notification */
    CG_STMT_PAYOUT,   /* a payment institution's payout report, through a payout profile */
    CG_STMT_MT940,    /* SWIFT MT940 customer statement */
};
/* What a file is, from its first bytes (namespace of the root, MT940's :20:, or the CSV header
 * decoded as the import decodes it: UTF-8, with or without a BOM, or GB18030). */
int cg_settle_sniff(const struct cg_settle *s, const char *data, size_t len);

struct cg_settle_import {
    int kind;      /* enum cg_stmt_kind */
    int duplicate; /* the same file (SHA-256) was imported before: nothing done */
    long entries;  /* entries in the file */
    long added;    /* receipts recorded */
    long known;    /* entries already recorded from another file (ignored) */
    long
        allocations; /* made by automatic matching afterwards: orders that took some of a receipt */
    /* beside those, fee allocations: FEE_NETTED of money in, FEE_REVERSED given back with a
     * refund (settle explain lists each as an allocation of its own) */
    long fees_netted, fees_back;
    long charges;   /* outgoing entries recorded as the bank's charges by their text */
    long transfers; /* bank credits found to be the arrival of a payout imported before */
    long problems;  /* bad entries (then nothing was imported) */
    /* duplicate imported for a seller, and imported before for another seller (or none): where it
     * went (", for seller maple (as NAME on DAY)", to follow "imported before") and what to do;
     * "" otherwise */
    char dup_where[600], dup_todo[600];
};
/* Each problem as "name:line: entry REF: field F: reason". */
typedef void (*cg_settle_problem_fn)(void *ctx, const char *text);

/*
 * Import a statement (seller: "" or a [seller.NAME] name; name only for messages), then run
 * automatic matching. All or nothing: when any entry is bad, every bad entry is reported
 * through problem and CG_EREJECT returned with nothing recorded.
 */
int cg_settle_import(struct cg_settle *s, const char *seller, const char *name, const char *data,
                     size_t len, cg_settle_problem_fn problem, void *pctx,
                     struct cg_settle_import *res, struct cg_err *err);

/* What cg_settle_intake reports through its callback. */
enum {
    CG_INTAKE_DONE,      /* text: the file; res: what was imported */
    CG_INTAKE_DUPLICATE, /* text: the file, imported before */
    CG_INTAKE_FAILED,    /* text: why; the file is in failed/ with NAME.reason */
    CG_INTAKE_PROBLEM,   /* text: one bad entry */
    CG_INTAKE_PROFILE,   /* text: why the payout profile could not be loaded; payout reports
                            are then not told from the files left to the spool */
};
typedef void (*cg_settle_intake_fn)(void *ctx, int what, const char *text,
                                    const struct cg_settle_import *res);
/*
 * Import the statements among the files in workdir/incoming/ and incoming/<seller>/ (a
 * [seller.NAME] section), moving each to done/ or failed/; other files are left for the spool.
 * A temporary failure leaves the file where it is and is returned.
 */
int cg_settle_intake(struct cg_settle *s, const char *workdir, cg_settle_intake_fn fn, void *ctx,
                     struct cg_err *err);
/*
 * A statement of the given kind imported from the command line (settle import): recorded as
 * imported under seller and the last part of path, so that one of that name the intake refused
 * is no longer listed by the morning report. A name intake would refuse is not recorded.
 */
int cg_settle_note_imported(struct cg_settle *s, const char *seller, const char *path, int kind,
                            struct cg_err *err);

/* ------------------------------------------------------------------ matching */

/* Automatic matching of every receipt with money left (docs/settlement.md, "Matching"). */
int cg_settle_auto_match(struct cg_settle *s, long *made, struct cg_err *err);
/*
 * Operator allocation of receipt (its number) to order ("NO" or "SELLER/NO"); amount NULL
 * takes what the receipt has left. A receipt in another currency needs rates for its value
 * day (cg_settle_rate_set) for both currencies, or stays waiting for review.
 */
int cg_settle_match(struct cg_settle *s, long long receipt, const char *order, const char *amount,
                    const char *note, struct cg_err *err);
int cg_settle_unmatch(struct cg_settle *s, long long receipt, const char *order, const char *note,
                      struct cg_err *err);
/*
 * Record that receipt (its number), an outgoing bank entry nothing of which is allocated, is the
 * bank's own charge: by (the user), reason, on the settle context's day. From then on it is no
 * order's money, as one found a charge at import: never matched automatically, counted with
 * the fees in reconcile, apart from the receipts to act on in unmatched. CG_EREJECT with the
 * reason when the receipt is money in, not a bank entry, allocated (partly or wholly) or a charge
 * already; CG_ENOTFOUND when there is no such receipt.
 */
int cg_settle_charge(struct cg_settle *s, long long receipt, const char *by, const char *reason,
                     struct cg_err *err);
/*
 * Record that bank credit receipt (its number) is the arrival of payout (its id as imported from
 * its payout report, or SELLER/ID when several sellers have it): by (the user), the settle
 * context's day, note (NULL: none), with an event. The amounts may differ: what the payout
 * transferred less what was credited is the bank's charge on the transfer (reconcile counts it
 * with the fees of the credit's value month; a credit above it counts what is over as received),
 * and what is held is what was credited. cg_settle_done says what was recorded, the difference
 * included. CG_EREJECT with the reason when the receipt is money out (a charge among them), not
 * a bank entry, a payout's arrival already or allocated, or when the payout has arrived already,
 * transferred nothing or is in another currency, or when several payouts have the id;
 * CG_ENOTFOUND when there is no such receipt or payout.
 */
int cg_settle_arrival(struct cg_settle *s, long long receipt, const char *payout, const char *by,
                      const char *note, struct cg_err *err);
/*
 * Take back the arrival (automatic or the operator's) bank credit receipt is: the credit is an
 * ordinary receipt again, and is never recorded as an arrival automatically again (the undoing
 * is kept, with by, the day and note, and an event). CG_EREJECT when the receipt is no payout's
 * arrival, CG_ENOTFOUND when there is no such receipt.
 */
int cg_settle_arrival_undo(struct cg_settle *s, long long receipt, const char *by, const char *note,
                           struct cg_err *err);
/* Convert waiting cross-currency allocations of receipt with the stored rates. */
int cg_settle_confirm(struct cg_settle *s, long long receipt, const char *order,
                      struct cg_err *err);
/* CNY for one unit of currency on day (YYYY-MM-DD), with where it came from; CG_EINVAL when
 * day is not a day of the calendar. */
int cg_settle_rate_set(struct cg_settle *s, const char *currency, const char *day, const char *rate,
                       const char *source, struct cg_err *err);

enum cg_fx_mark {
    CG_MARK_DEEMED,        /* deemed collected, with evidence */
    CG_MARK_UNCOLLECTIBLE, /* cannot be collected, with evidence */
    CG_MARK_FX_DIFF,       /* an over-collection explained as exchange difference */
    CG_MARK_FREIGHT,       /* an over-collection explained as freight the buyer paid */
    CG_MARK_RETURNED,      /* goods of this value came back: expected goes down */
    CG_MARK_CREDIT_FILED,  /* the deferred-receipt report was filed */
};
/* amount: NULL for the marks without one (deemed, uncollectible, credit filed). */
int cg_settle_mark(struct cg_settle *s, const char *order, int mark, const char *amount,
                   const char *note, struct cg_err *err);

/*
 * One line saying what the last cg_settle_rate_set or cg_settle_mark recorded ("" after a
 * failure): the order, its state now and the mark, or the rate. Borrowed, valid until the next
 * call on s.
 */
const char *cg_settle_done(const struct cg_settle *s);

/* The order's state and why, as text lines (caller frees *out). */
int cg_settle_explain(struct cg_settle *s, const char *order, const char *as_of, char **out,
                      struct cg_err *err);

/* ------------------------------------------------------------------ settlement, timers */

/*
 * Record a conversion of amount of currency to CNY at the bank's rate on day; CG_EREJECT when
 * more than the holding of that currency, CG_EINVAL when day is not a day of the calendar.
 * reference (may be NULL) makes it once-only.
 */
int cg_settle_convert(struct cg_settle *s, const char *currency, const char *amount,
                      const char *rate, const char *day, const char *reference, int64_t *cny,
                      struct cg_err *err);

/*
 * Record the conversions of a bank's settlement file (docs/collections-format.md): all or
 * nothing, each bad row reported through problem; a reference already recorded is skipped
 * (*known). CG_EREJECT when a row is bad or more than the holding.
 */
int cg_settle_convert_file(struct cg_settle *s, const char *name, const char *data, size_t len,
                           cg_settle_problem_fn problem, void *pctx, long *added, long *known,
                           struct cg_err *err);

struct cg_settle_tick {
    long overdue;     /* orders that passed the tax collection deadline */
    long credit_due;  /* deferred-receipt reports newly required */
    long credit_late; /* deferred-receipt reports not filed in time */
    long late;        /* orders past the internal overdue threshold */
};
/* Apply the deadlines as of day (NULL: today, UTC) at its end, when the China date the deadlines
 * are counted in is the next day; each timer fires once per order. CG_EINVAL when as_of is not a
 * day of the calendar. */
int cg_settle_tick(struct cg_settle *s, const char *as_of, struct cg_settle_tick *res,
                   struct cg_err *err);

/* ------------------------------------------------------------------ reports */

enum cg_fx_report {
    CG_FXR_AGING,      /* open amounts per currency and age bucket */
    CG_FXR_RECONCILE,  /* declared vs collected per currency and month */
    CG_FXR_UNMATCHED,  /* receipts with money not allocated */
    CG_FXR_CREDIT,     /* orders needing a deferred-receipt report */
    CG_FXR_SETTLEMENT, /* holdings and conversions per currency */
    CG_FXR_ORDERS,     /* every declared order with its state */
    CG_FXR_GAINS,      /* CNY at the customs rate vs at the bank rates, per month and currency */
    CG_FXR_CHARGES,    /* the bank's own charges with money not allocated to an order */
};
/*
 * A report: ncols column names, then nrows rows of ncols cells (text, owned). A table may have a
 * part shown apart after its rows (part, owned, freed with it): title heads it for people, id
 * names it, and names the table's own rows, where both are keys (JSON). id and title are static.
 */
struct cg_table {
    size_t ncols, nrows;
    char **cols;
    char **cells; /* row-major */
    const char *id, *title;
    struct cg_table *part; /* NULL: none */
};
void cg_table_free(struct cg_table *t);
int cg_fx_report_parse(const char *name);
/*
 * How many receipts wait for the bank's rates before their allocations to orders in another
 * currency count (settle rate, then settle confirm), for one seller (NULL: all).
 */
int cg_settle_cross_pending(struct cg_settle *s, const char *seller, long *n, struct cg_err *err);
/*
 * How many orders of one seller (NULL: all) are OVERDUE as of as_of (YYYY-MM-DD; NULL: today):
 * not collected once the tax collection deadline has passed, the orders `report fx orders`
 * lists with that state. One pass over the orders, without the report's rows.
 */
int cg_settle_overdue_count(struct cg_settle *s, const char *seller, const char *as_of, long *n,
                            struct cg_err *err);
/*
 * How many receipts `report fx unmatched` lists as to act on (money left that no order takes,
 * the bank's charges left out) whose value day is `days` or more days before as_of
 * (YYYY-MM-DD), for one seller (NULL: all; a bank account's receipts, imported for no seller,
 * only then).
 */
int cg_settle_unmatched_count(struct cg_settle *s, const char *seller, const char *as_of, long days,
                              long *n, struct cg_err *err);
int cg_settle_report(struct cg_settle *s, int report, const char *as_of, struct cg_table **out,
                     struct cg_err *err);
/*
 * Several reports at once (out[i] for reports[i], each the caller's): the ones over the orders
 * share one pass, so asking for aging and credit together reads the orders once. On failure
 * no table is returned.
 */
int cg_settle_reports(struct cg_settle *s, const int *reports, size_t n, const char *as_of,
                      struct cg_table **out, struct cg_err *err);
/*
 * Make the reports over the orders (aging, credit, orders, gains) cover the orders of one seller
 * only ("" the default seller; NULL: every seller, the default). seller is borrowed and must
 * outlive the reports. The other reports are over the accounts, not the orders: asked for with a
 * seller set, they are refused (CG_EINVAL).
 */
void cg_settle_set_report_seller(struct cg_settle *s, const char *seller);
/* Whether a report is over the orders alone, so that it can be for one seller. */
int cg_fx_report_by_seller(int report);

/*
 * The default of [settle] charge_words (docs/collections-format.md, "Bank charges"): the words
 * banks write for their own charges in English, Chinese, German (whole, or as either end of a
 * compound), French, Italian and Spanish. A configuration line holds at most 199 bytes.
 */
#define CG_SETTLE_CHARGE_WORDS                                                                            \
    "CHARGE CHARGES FEE FEES COMMISSION* COMISION* FRAIS 手续费 服务费 管理费 年费 邮电费 " \
    "ENTGELT* *ENTGELT *ENTGELTE GEBÜHR* *GEBÜHR *GEBÜHREN KONTOFÜHRUNG*"

/* The [settle] configuration keys (settle-keys.c), for cg_conf_register(). */
extern const struct cg_conf_key cg_settle_conf_keys[];

#endif
